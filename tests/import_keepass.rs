//! KeePass import and export against real files from KeePassXC, keepass-rs
//! and Bitwarden (read from `../shared/fixtures`, never copied here; see
//! its MANIFEST.md for where each file comes from and what it holds), and
//! a round trip through our own KDBX 4 export, checked with KeePassXC's
//! command line when it is installed.

use std::path::{Path, PathBuf};

use spm::core::exchange::{ExchangeError, FileKey, ImportedEntry, Parsed, keepass};

/// `../shared/fixtures/<rel>`, or `None` (with the agreed message) when the
/// fixtures are not there.
fn fixture(rel: &str) -> Option<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/fixtures");
    if !root.is_dir() {
        println!("skipped: ../shared/fixtures not found");
        return None;
    }
    Some(root.join(rel))
}

fn key(password: Option<&str>, key_file: Option<&str>) -> FileKey {
    FileKey {
        password: password.map(Into::into),
        key_file: key_file.and_then(fixture),
    }
}

/// Opens a fixture KDBX; `None` when the fixtures are missing.
fn kdbx(
    rel: &str,
    password: Option<&str>,
    key_file: Option<&str>,
) -> Option<Result<Parsed, ExchangeError>> {
    let path = fixture(rel)?;
    Some(keepass::read_kdbx(&path, &key(password, key_file)))
}

fn entry<'a>(parsed: &'a Parsed, title: &str) -> &'a ImportedEntry {
    parsed
        .entries
        .iter()
        .find(|e| e.entry.title.expose() == title)
        .unwrap_or_else(|| panic!("no entry titled {title:?}"))
}

fn titles(parsed: &Parsed) -> Vec<&str> {
    parsed
        .entries
        .iter()
        .map(|e| e.entry.title.expose())
        .collect()
}

fn field<'a>(imported: &'a ImportedEntry, name: &str) -> (&'a str, bool) {
    let f = imported
        .entry
        .fields
        .iter()
        .find(|f| f.name.expose() == name)
        .unwrap_or_else(|| panic!("no field {name:?}"));
    (f.value.expose(), f.hidden)
}

/// (username, password, first URL) of an entry.
fn login(imported: &ImportedEntry) -> (&str, &str, &str) {
    let e = &imported.entry;
    let url = e.urls.first().map_or("", |u| u.expose());
    (e.username.expose(), e.password.expose(), url)
}

#[test]
fn newdatabase_kdbx_keeps_history_as_history_and_turns_totp_strings_into_a_uri() {
    let Some(parsed) = kdbx("keepassxc/NewDatabase.kdbx", Some("a"), None) else {
        return;
    };
    let parsed = parsed.unwrap();
    // Six history versions, but only the two real entries.
    assert_eq!(titles(&parsed), ["Sample Entry", "Subgroup Entry"]);
    let sample = entry(&parsed, "Sample Entry");
    assert_eq!(
        login(sample),
        ("User Name", "Password", "http://www.somesite.com/")
    );
    assert_eq!(
        sample.entry.totp.as_ref().unwrap().expose(),
        "otpauth://totp/Sample%20Entry?secret=HXDMVJECJJWSRB3HWIZR4IFUGFTMXBOZ"
    );
    // Every version had the current password, so none is an older one.
    assert!(sample.history.is_empty());
    assert_eq!(field(sample, "TestAttribute1"), ("b", false));
    assert_eq!(field(sample, "testattribute1"), ("a", false));
    assert_eq!(
        sample.entry.fields.len(),
        2,
        "TOTP strings are not kept as fields"
    );
    assert_eq!(
        parsed.warnings,
        [
            "item 1: 1 attachment was not imported (this program does not store attachments); \
          save them from KeePass if you need them"
        ]
    );
    let bank = entry(&parsed, "Subgroup Entry");
    assert_eq!(
        login(bank),
        ("Bank User Name", "SecurePassword", "https://www.bank.com")
    );
    assert_eq!(bank.entry.category.expose(), "Homebanking/Subgroup");
    assert!(
        parsed
            .categories
            .contains(&"Homebanking/Subgroup".to_owned())
    );
    assert!(!parsed.categories.iter().any(|c| c.contains("Recycle")));
}

#[test]
fn a_unicode_password_opens_as_typed_and_in_its_other_normal_form() {
    // NFC (as KeePassXC stores it) and NFD ("o" + combining diaeresis).
    for password in ["\u{394}\u{f6}\u{636}", "\u{394}o\u{308}\u{636}"] {
        let Some(parsed) = kdbx("keepassxc/NonAscii.kdbx", Some(password), None) else {
            return;
        };
        let parsed = parsed.unwrap();
        assert_eq!(titles(&parsed), ["秘密"]);
        assert_eq!(parsed.entries[0].entry.password.expose(), "🚗🐎🔋📎");
    }
    let wrong = kdbx("keepassxc/NonAscii.kdbx", Some("\u{394}"), None).unwrap();
    assert!(matches!(wrong, Err(ExchangeError::WrongKey { .. })));
}

#[test]
fn an_empty_password_is_a_key_and_no_password_is_not() {
    let Some(parsed) = kdbx("keepassxc/Compressed.kdbx", Some(""), None) else {
        return;
    };
    assert_eq!(titles(&parsed.unwrap()), ["Sample Entry"]);
    let none = kdbx("keepassxc/Compressed.kdbx", None, None).unwrap();
    assert!(matches!(none, Err(ExchangeError::NeedsKey { .. })));
    let other = kdbx("keepassxc/Compressed.kdbx", Some(" "), None).unwrap();
    assert!(matches!(other, Err(ExchangeError::WrongKey { .. })));
}

#[test]
fn protected_strings_come_out_decrypted_and_hidden() {
    let Some(parsed) = kdbx("keepassxc/ProtectedStrings.kdbx", Some("masterpw"), None) else {
        return;
    };
    let parsed = parsed.unwrap();
    let sample = entry(&parsed, "Sample Entry");
    assert_eq!(sample.entry.username.expose(), "Protected User Name");
    assert_eq!(sample.entry.password.expose(), "ProtectedPassword");
    assert_eq!(field(sample, "TestProtected"), ("ABC", true));
    assert_eq!(field(sample, "TestUnprotected"), ("DEF", false));
}

#[test]
fn key_file_databases_open_with_exactly_their_key() {
    let Some(both) = kdbx(
        "keepassxc/KeyFileProtected.kdbx",
        Some("a"),
        Some("keepassxc/KeyFileProtected.key"),
    ) else {
        return;
    };
    let both = both.unwrap();
    assert_eq!(titles(&both), ["entry1", "entry2"]);
    assert_eq!(login(&both.entries[1]), ("username", "password", ""));

    let rel = "keepassxc/KeyFileProtectedNoPassword.kdbx";
    let key_file = Some("keepassxc/KeyFileProtectedNoPassword.key");
    let only_file = kdbx(rel, None, key_file).unwrap().unwrap();
    assert_eq!(titles(&only_file), ["entry1", "entry2"]);
    let with_empty = kdbx(rel, Some(""), key_file).unwrap();
    assert!(matches!(with_empty, Err(ExchangeError::WrongKey { .. })));
}

#[test]
fn every_key_file_shape_opens_its_database() {
    // (database, password, key file, entries, first title)
    let cases = [
        (
            "keepass-rs/test_db_with_keyfile",
            None,
            "test_key.key",
            1,
            "Test key",
        ),
        (
            "keepass-rs/test_db_kdbx4_with_keyfile",
            None,
            "test_key.key",
            1,
            "",
        ),
        (
            "keepass-rs/test_db_with_keyfile_xml",
            None,
            "test_key_xml.key",
            6,
            "",
        ),
        (
            "keepass-rs/test_db_kdbx4_with_keyfile_v2",
            Some("demopass"),
            ".keyx",
            1,
            "secret",
        ),
        (
            "keepass-rs/test_db_kdbx4_with_keyfile_v2_alt",
            Some("demopass"),
            ".keyx",
            2,
            "",
        ),
        ("keepassxc/FileKeyXmlV2", None, ".keyx", 0, ""),
    ];
    for (name, password, key_name, count, first_title) in cases {
        // A key name starting with "." sits next to its database.
        let key_file = match key_name.strip_prefix('.') {
            Some(ext) => format!("{name}.{ext}"),
            None => format!("keepass-rs/{key_name}"),
        };
        let Some(parsed) = kdbx(&format!("{name}.kdbx"), password, Some(&key_file)) else {
            return;
        };
        let parsed = parsed.unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(parsed.entries.len(), count, "{name}");
        if !first_title.is_empty() {
            assert_eq!(titles(&parsed)[0], first_title, "{name}");
        }
    }
    let single = kdbx(
        "keepass-rs/test_db_with_keyfile.kdbx",
        None,
        Some("keepass-rs/test_key.key"),
    );
    assert_eq!(
        login(&single.unwrap().unwrap().entries[0]),
        ("jdoe", "1234", "")
    );
}

#[test]
fn damaged_key_files_are_refused_with_the_reason() {
    let cases = [
        (
            "FileKeyXmlV2HashFail",
            "keyx",
            "does not match the key file's Hash",
        ),
        ("FileKeyXmlV2BrokenHex", "keyx", "not valid hex"),
        ("FileKeyXmlBrokenBase64", "key", "not valid base64"),
    ];
    for (name, ext, reason) in cases {
        let key_file = format!("keepassxc/{name}.{ext}");
        let Some(result) = kdbx(&format!("keepassxc/{name}.kdbx"), None, Some(&key_file)) else {
            return;
        };
        match result {
            Err(ExchangeError::Malformed { path, detail, .. }) => {
                assert!(path.ends_with(&key_file), "{name}: {path:?}");
                assert!(detail.contains(reason), "{name}: {detail}");
            }
            other => panic!("{name}: expected a key file error, got {other:?}"),
        }
    }
}

#[test]
fn a_kdbx3_file_with_a_modified_header_is_refused() {
    let Some(result) = kdbx("keepassxc/BrokenHeaderHash.kdbx", Some(""), None) else {
        return;
    };
    match result {
        Err(ExchangeError::Malformed { detail, .. }) => {
            assert!(detail.contains("header was modified"), "{detail}");
        }
        other => panic!("expected Malformed, got {other:?}"),
    }
}

#[test]
fn old_formats_are_unsupported_with_advice_and_junk_is_malformed() {
    for rel in [
        "keepassxc/FileKeyXml.kdbx",
        "keepassxc/Format200.kdbx",
        "keepassxc/basic.kdb",
        "keepass-rs/test_db_kdb_with_password.kdb",
    ] {
        let Some(result) = kdbx(rel, Some("a"), None) else {
            return;
        };
        match result {
            Err(ExchangeError::Unsupported { advice, .. }) => {
                assert!(advice.contains("save it as a KDBX 4 database"), "{rel}");
            }
            other => panic!("{rel}: expected Unsupported, got {other:?}"),
        }
    }
    for rel in [
        "keepass-rs/broken_random_data.kdbx",
        "keepass-rs/broken_kdbx_version.kdbx",
    ] {
        let result = kdbx(rel, Some(""), None).unwrap();
        assert!(
            matches!(result, Err(ExchangeError::Malformed { .. })),
            "{rel}"
        );
    }
}

#[test]
fn challenge_response_files_fail_cleanly_without_the_hardware() {
    for (rel, password) in [
        ("keepassxc/YubiKeyProtectedPasswords.kdbx", "a"),
        (
            "keepass-rs/test_db_with_challenge_response_key.kdbx",
            "demopass",
        ),
    ] {
        let Some(result) = kdbx(rel, Some(password), None) else {
            return;
        };
        assert!(
            matches!(result, Err(ExchangeError::WrongKey { .. })),
            "{rel}"
        );
    }
}

#[test]
fn a_truncated_database_is_an_error_at_every_length() {
    let Some(path) = fixture("keepass-rs/test_db_few_rounds.kdbx") else {
        return;
    };
    let whole = std::fs::read(&path).unwrap();
    let full = keepass::read_kdbx(&path, &key(Some("demopass"), None)).unwrap();
    assert_eq!(full.entries.len(), 1);
    let dir = tempfile::tempdir().unwrap();
    let cut = dir.path().join("cut.kdbx");
    for len in 0..whole.len() {
        std::fs::write(&cut, &whole[..len]).unwrap();
        let result = keepass::read_kdbx(&cut, &key(Some("demopass"), None));
        assert!(result.is_err(), "a file cut to {len} bytes was accepted");
    }
}

#[test]
fn keepass_rs_databases_read_with_titles_filled_in() {
    let Some(parsed) = kdbx(
        "keepass-rs/test_db_with_password.kdbx",
        Some("demopass"),
        None,
    ) else {
        return;
    };
    let parsed = parsed.unwrap();
    assert_eq!(parsed.entries.len(), 6);
    let sample = entry(&parsed, "Sample Entry");
    assert_eq!(
        login(sample),
        ("User Name", "Password", "http://keepass.info/")
    );
    assert_eq!(
        field(sample, "custom attribute"),
        ("data for custom attribute", false)
    );
    let test = entry(&parsed, "test entry");
    assert_eq!(login(test), ("jdoe", "nWuu5AtqsxqNhnYgLwoB", ""));
    assert_eq!(test.entry.category.expose(), "General/Subgroup");
    // The entry with no title, username or password is named, not dropped.
    let untitled = entry(&parsed, "Untitled");
    assert_eq!(
        untitled.entry.notes.expose(),
        "This entry has an empty title, username, and password"
    );
}

#[test]
fn kdbx4_kdf_and_cipher_variants_all_open() {
    for variant in [
        "argon2_twofish",
        "argon2_chacha20",
        "argon2id_twofish",
        "argon2id_chacha20",
    ] {
        let rel = format!("keepass-rs/test_db_kdbx4_with_password_{variant}.kdbx");
        let Some(parsed) = kdbx(&rel, Some("demopass"), None) else {
            return;
        };
        let parsed = parsed.unwrap_or_else(|e| panic!("{variant}: {e}"));
        assert_eq!(
            login(entry(&parsed, "test")),
            ("test", "test", ""),
            "{variant}"
        );
    }
    for variant in ["argon2", "argon2id"] {
        let rel = format!("keepass-rs/test_db_kdbx4_with_password_{variant}.kdbx");
        let parsed = kdbx(&rel, Some("demopass"), None).unwrap().unwrap();
        assert_eq!(titles(&parsed), ["Test", "Untitled"], "{variant}");
    }
    let aes = kdbx(
        "keepass-rs/test_db_kdbx4_with_password_aes.kdbx",
        Some("demopass"),
        None,
    );
    let aes = aes.unwrap().unwrap();
    let asdf = entry(&aes, "ASDF");
    assert_eq!(login(asdf), ("ghj", "klmno", "https://example.com"));
    let tags: Vec<&str> = asdf.entry.tags.iter().map(|t| t.expose()).collect();
    assert_eq!(tags, ["keepass-rs", "test"]);
    // 2021-04-10 16:53:18 UTC.
    assert_eq!(asdf.entry.expires_at, Some(1_618_073_598));
    let wrong = kdbx(
        "keepass-rs/test_db_kdbx4_with_password_aes.kdbx",
        Some("demo"),
        None,
    );
    assert!(matches!(
        wrong.unwrap(),
        Err(ExchangeError::WrongKey { .. })
    ));
}

#[test]
fn keepassxc_otp_strings_are_kept_as_their_uri() {
    let Some(parsed) = kdbx(
        "keepass-rs/test_db_kdbx4_with_totp_entry.kdbx",
        Some("test"),
        None,
    ) else {
        return;
    };
    let parsed = parsed.unwrap();
    assert_eq!(
        entry(&parsed, "this entry has totp")
            .entry
            .totp
            .as_ref()
            .unwrap()
            .expose(),
        "otpauth://totp/KeePassXC:none?secret=JBSWY3DPEHPK3PXP&period=30&digits=6&issuer=KeePassXC"
    );
    assert!(parsed.entries[0].entry.fields.is_empty());
}

#[test]
fn entries_in_the_recycle_bin_are_trashed_when_they_moved_there() {
    let Some(parsed) = kdbx(
        "keepass-rs/test_db_kdbx4_with_password_deleted_entry.kdbx",
        Some("demopass"),
        None,
    ) else {
        return;
    };
    let parsed = parsed.unwrap();
    assert_eq!(
        entry(&parsed, "deleted entry").entry.deleted_at,
        Some(1_630_439_951)
    );
    assert_eq!(entry(&parsed, "Test").entry.deleted_at, None);
    assert!(parsed.categories.is_empty());
}

#[path = "import_keepass/xml.rs"]
mod xml;

#[path = "import_keepass/export.rs"]
mod export;
