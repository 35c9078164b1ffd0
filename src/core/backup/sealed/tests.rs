//! The encrypted format's round trips and refusals.

use super::*;

const PASS: &str = "backup passphrase for tests";
const CHUNK: usize = DEFAULT_CHUNK_SIZE as usize;
const RECORD: usize = CHUNK + TAG_LEN;

fn names() -> Names<'static> {
    Names {
        input: Path::new("in/backup_x.zip"),
        output: Path::new("out/backup_x.zip.enc"),
    }
}

/// Plaintext whose every byte depends on its position, so swapped chunks
/// could never decrypt to the same thing.
fn plaintext(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 7 + i / 251) as u8).collect()
}

fn seal_bytes(plain: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    seal_stream(
        plain,
        plain.len() as u64,
        &mut out,
        &PASS.into(),
        &KdfParams::insecure_for_tests(),
        DEFAULT_CHUNK_SIZE,
        &names(),
    )
    .unwrap();
    out
}

/// Opens `sealed` as if read from `backup_x.zip.enc`.
fn open_bytes(sealed: &[u8], passphrase: &str) -> Result<Vec<u8>, SealedError> {
    let mut out = Vec::new();
    let names = Names {
        input: Path::new("backup_x.zip.enc"),
        output: Path::new("plain.zip"),
    };
    open_stream(sealed, &mut out, &passphrase.into(), &names)?;
    Ok(out)
}

/// The message of a refusal, which must name the file.
#[track_caller]
fn refusal(sealed: &[u8]) -> (SealedError, String) {
    let error = open_bytes(sealed, PASS).expect_err("the file must be refused");
    let message = error.to_string();
    assert!(message.contains("backup_x.zip.enc"), "{message}");
    assert!(!message.contains(PASS), "{message}");
    (error, message)
}

/// Recomputes the header checksum after a deliberate header change.
fn rechecksum(sealed: &mut [u8]) {
    let checksum = crypto::sha256(&sealed[..CHECKED_LEN]);
    sealed[CHECKED_LEN..HEADER_LEN].copy_from_slice(&checksum);
}

#[test]
fn round_trips_across_chunk_boundaries() {
    for len in [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 3 * CHUNK] {
        let plain = plaintext(len);
        let sealed = seal_bytes(&plain);
        let chunks = len.div_ceil(CHUNK).max(1);
        assert_eq!(
            sealed.len(),
            HEADER_LEN + len + chunks * TAG_LEN,
            "{len} bytes"
        );
        assert_eq!(&sealed[..MAGIC.len()], MAGIC);
        assert_eq!(open_bytes(&sealed, PASS).unwrap(), plain, "{len} bytes");
    }
}

#[test]
fn every_archive_gets_its_own_salt_and_nonce_prefix() {
    let a = seal_bytes(b"same");
    let b = seal_bytes(b"same");
    assert_ne!(a[22..69], b[22..69]);
    assert_ne!(a[HEADER_LEN..], b[HEADER_LEN..]);
}

#[test]
fn a_wrong_passphrase_says_so() {
    let sealed = seal_bytes(&plaintext(10));
    let error = open_bytes(&sealed, "not the passphrase").unwrap_err();
    assert!(
        matches!(error, SealedError::WrongPassphrase { .. }),
        "{error}"
    );
    let message = error.to_string();
    assert!(message.contains("passphrase is wrong"), "{message}");
    assert!(message.contains("backup_x.zip.enc"), "{message}");
}

#[test]
fn an_empty_passphrase_is_refused_when_sealing() {
    let mut out = Vec::new();
    let error = seal_stream(
        &b"x"[..],
        1,
        &mut out,
        &"".into(),
        &KdfParams::insecure_for_tests(),
        DEFAULT_CHUNK_SIZE,
        &names(),
    )
    .unwrap_err();
    assert!(matches!(error, SealedError::EmptyPassphrase));
    assert!(out.is_empty());
}

#[test]
fn a_source_that_changes_length_is_refused() {
    let mut out = Vec::new();
    let params = KdfParams::insecure_for_tests();
    let short = seal_stream(
        &b"abc"[..],
        4,
        &mut out,
        &PASS.into(),
        &params,
        1024,
        &names(),
    );
    assert!(matches!(short, Err(SealedError::SourceChanged { .. })));
    let long = seal_stream(
        &b"abcde"[..],
        4,
        &mut out,
        &PASS.into(),
        &params,
        1024,
        &names(),
    );
    assert!(matches!(long, Err(SealedError::SourceChanged { .. })));
}

#[test]
fn truncation_anywhere_is_refused_as_truncated() {
    let sealed = seal_bytes(&plaintext(2 * CHUNK + 10));
    let cuts = [
        (HEADER_LEN - 1, "inside its header"),
        (HEADER_LEN, "after 0 of its 3 chunks"),
        (HEADER_LEN + 100, "inside chunk 1 of 3"),
        (HEADER_LEN + RECORD, "after 1 of its 3 chunks"),
        (HEADER_LEN + 2 * RECORD, "after 2 of its 3 chunks"),
        (sealed.len() - 1, "inside chunk 3 of 3"),
    ];
    for (cut, place) in cuts {
        let (error, message) = refusal(&sealed[..cut]);
        assert!(
            matches!(error, SealedError::Truncated { .. }),
            "{cut}: {message}"
        );
        assert!(message.contains("truncated"), "{message}");
        assert!(message.contains(place), "{cut}: {message}");
    }
    // The first bytes of the magic alone are too little to tell.
    let (error, _) = refusal(&sealed[..3]);
    assert!(matches!(error, SealedError::Truncated { .. }));
}

#[test]
fn appended_data_is_refused() {
    for len in [5, CHUNK] {
        let sealed = seal_bytes(&plaintext(len));
        let mut longer = sealed.clone();
        longer.push(0);
        let (error, message) = refusal(&longer);
        assert!(matches!(error, SealedError::Damaged { .. }), "{message}");
        assert!(message.contains("appended"), "{message}");
        // A whole copy of the last chunk appended is no better.
        let mut doubled = sealed.clone();
        doubled.extend_from_slice(&sealed[HEADER_LEN..]);
        let (_, message) = refusal(&doubled);
        assert!(message.contains("appended"), "{message}");
    }
}

#[test]
fn reordered_and_repeated_chunks_are_refused() {
    let sealed = seal_bytes(&plaintext(3 * CHUNK));
    let chunk = |i: usize| &sealed[HEADER_LEN + i * RECORD..HEADER_LEN + (i + 1) * RECORD];
    let header = &sealed[..HEADER_LEN];

    let swapped = [header, chunk(1), chunk(0), chunk(2)].concat();
    let (error, message) = refusal(&swapped);
    assert!(matches!(error, SealedError::Damaged { .. }), "{message}");
    assert!(message.contains("chunk 1 of 3"), "{message}");

    let repeated = [header, chunk(0), chunk(0), chunk(2)].concat();
    let (_, message) = refusal(&repeated);
    assert!(message.contains("chunk 2 of 3"), "{message}");

    // The last chunk moved forward: its final flag no longer fits either.
    let last_first = [header, chunk(2), chunk(1), chunk(0)].concat();
    let (_, message) = refusal(&last_first);
    assert!(message.contains("chunk 1 of 3"), "{message}");
}

#[test]
fn a_changed_ciphertext_byte_is_refused_as_damaged() {
    let mut sealed = seal_bytes(&plaintext(CHUNK + 1));
    let at = HEADER_LEN + RECORD + 1;
    sealed[at] ^= 0x01;
    let (error, message) = refusal(&sealed);
    assert!(matches!(error, SealedError::Damaged { .. }), "{message}");
    assert!(message.contains("chunk 2 of 2"), "{message}");
}

#[test]
fn every_changed_header_byte_is_refused() {
    let sealed = seal_bytes(&plaintext(100));
    for at in 0..HEADER_LEN {
        let mut changed = sealed.clone();
        changed[at] ^= 0x04;
        let (error, message) = refusal(&changed);
        let expected = match at {
            0..8 => matches!(error, SealedError::NotSealed { .. }),
            8 => matches!(error, SealedError::NewerFormat { .. }),
            _ => matches!(error, SealedError::Damaged { .. }),
        };
        assert!(expected, "byte {at}: {message}");
    }
}

#[test]
fn a_header_changed_with_its_checksum_still_fails() {
    let sealed = seal_bytes(&plaintext(CHUNK + 1));
    // The nonce prefix, the chunk size and the length are not part of
    // the key derivation: the chunks catch a change to them.
    for at in [54, 69, 73] {
        let mut changed = sealed.clone();
        changed[at] ^= 0x01;
        rechecksum(&mut changed);
        let (error, message) = refusal(&changed);
        assert!(
            matches!(
                error,
                SealedError::Damaged { .. } | SealedError::Truncated { .. }
            ),
            "byte {at}: {message}"
        );
    }
    // The salt and the key check are: a changed one is a wrong key.
    for at in [22, 81] {
        let mut changed = sealed.clone();
        changed[at] ^= 0x01;
        rechecksum(&mut changed);
        let (error, message) = refusal(&changed);
        assert!(
            matches!(error, SealedError::WrongPassphrase { .. }),
            "byte {at}: {message}"
        );
    }
}

#[test]
fn weak_or_absurd_key_derivation_is_refused_before_it_runs() {
    let sealed = seal_bytes(b"x");
    let with_kdf = |m: u32, t: u32, p: u32| {
        let mut changed = sealed.clone();
        changed[10..14].copy_from_slice(&m.to_le_bytes());
        changed[14..18].copy_from_slice(&t.to_le_bytes());
        changed[18..22].copy_from_slice(&p.to_le_bytes());
        rechecksum(&mut changed);
        changed
    };
    let started = std::time::Instant::now();
    for (m, t, p) in [
        (8, 2, 1),
        (kdf::MIN_M_COST_KIB, 1, 1),
        (kdf::MAX_M_COST_KIB, kdf::MAX_T_COST, 1),
        (kdf::MAX_M_COST_KIB + 1, 2, 1),
        (kdf::MIN_M_COST_KIB, 2, 0),
    ] {
        let (error, message) = refusal(&with_kdf(m, t, p));
        assert!(
            matches!(error, SealedError::RefusedKdf { .. }),
            "{m} {t} {p}: {message}"
        );
        assert!(message.contains("refused"), "{message}");
    }
    assert!(started.elapsed() < std::time::Duration::from_secs(2));
}

#[test]
fn a_chunk_size_out_of_bounds_is_refused_without_allocating_it() {
    let mut sealed = seal_bytes(b"x");
    sealed[69..73].copy_from_slice(&u32::MAX.to_le_bytes());
    rechecksum(&mut sealed);
    let (error, message) = refusal(&sealed);
    assert!(matches!(error, SealedError::Damaged { .. }), "{message}");
    assert!(message.contains("chunk size"), "{message}");
}

#[test]
fn other_files_are_not_taken_for_encrypted_backups() {
    for bytes in [&b"PK\x03\x04 a zip"[..], b"", b"SPMBKENX and more"] {
        let (error, _) = refusal(bytes);
        assert!(matches!(error, SealedError::NotSealed { .. }), "{error}");
    }
}

#[test]
fn a_file_round_trips_through_a_private_directory_that_goes_away() {
    let dir = tempfile::tempdir().unwrap();
    let plain_path = dir.path().join("backup_x.zip");
    let plain = plaintext(CHUNK + 1);
    std::fs::write(&plain_path, &plain).unwrap();
    let sealed_path = dir.path().join("backup_x.zip.enc");
    let out = File::create(&sealed_path).unwrap();
    let params = KdfParams::insecure_for_tests();
    let size = seal_file(&plain_path, &out, &sealed_path, &PASS.into(), &params).unwrap();
    assert_eq!(size, std::fs::metadata(&sealed_path).unwrap().len());
    assert!(has_magic(&sealed_path));
    assert!(!has_magic(&plain_path));

    let decrypted = decrypt_to_temp(&sealed_path, &PASS.into()).unwrap();
    assert_eq!(std::fs::read(decrypted.zip_path()).unwrap(), plain);
    assert_eq!(decrypted.size(), plain.len() as u64);
    let mode = std::fs::metadata(decrypted.dir())
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o700);
    let kept = decrypted.dir().to_path_buf();
    drop(decrypted);
    assert!(!kept.exists());

    let error = decrypt_to_temp(&sealed_path, &"wrong".into()).unwrap_err();
    assert!(matches!(error, SealedError::WrongPassphrase { .. }));
}
