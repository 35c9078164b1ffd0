//! The side files of a backup and the key that signs it.
//!
//! **What is signed:** the 32-byte SHA-256 of the whole zip file, prefixed
//! with [`SIGNATURE_CONTEXT`]. Signing the digest lets the archive be hashed
//! while it streams from disk (never held in memory whole), and the context
//! keeps a backup signature from being valid for any other message.
//!
//! File formats (text, one trailing newline each):
//!
//! - `backup_signing.pub`: the line [`PUBLIC_KEY_HEADER`], then the 32-byte
//!   Ed25519 public key as 64 lowercase hex digits;
//! - `backup_signing.retired`: the line [`RETIRED_KEYS_HEADER`], then one
//!   public key per line as above, newest last: the keys of data keys that
//!   a rotation or a new derived key replaced, so backups they signed still
//!   verify;
//! - `<archive>.sig`: the line [`SIGNATURE_HEADER`], then the 64-byte
//!   signature as 128 lowercase hex digits;
//! - `<archive>.sha256`: `<64 hex digits><two spaces><archive file name>`,
//!   exactly what `sha256sum` prints and `sha256sum -c` reads.

use std::io::Read;
use std::path::Path;

use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};

use super::{from_hex, to_hex};
use crate::core::crypto;
use crate::core::fsio::{self, FileError};
use crate::core::secret::Key256;

/// The name of the public key file in the data directory.
pub const PUBLIC_KEY_FILE: &str = "backup_signing.pub";
/// The first line of the public key file.
pub const PUBLIC_KEY_HEADER: &str = "secure-password-manager backup signing key (Ed25519, hex)";
/// The name of the retired public keys' file in the data directory.
pub const RETIRED_KEYS_FILE: &str = "backup_signing.retired";
/// The first line of the retired public keys' file.
pub const RETIRED_KEYS_HEADER: &str =
    "secure-password-manager retired backup signing keys (Ed25519, hex, newest last)";
/// How many retired keys are kept (the oldest go first).
const MAX_RETIRED_KEYS: usize = 64;
/// The first line of a signature file.
pub const SIGNATURE_HEADER: &str =
    "secure-password-manager backup signature (Ed25519 over the context and SHA-256 of the zip)";
/// Bytes signed before the archive's digest.
pub const SIGNATURE_CONTEXT: &[u8] = b"secure-password-manager backup v1\0";

/// The Ed25519 key for a vault's backup signing seed
/// ([`crate::core::vault::Vault::backup_signing_key`]). The returned key
/// wipes itself when dropped.
pub fn signing_key(seed: &Key256) -> SigningKey {
    SigningKey::from_bytes(seed.expose())
}

/// A public key's fingerprint: the first 16 hex digits of its SHA-256.
pub fn fingerprint(key: &VerifyingKey) -> String {
    to_hex(&crypto::sha256(key.as_bytes())[..8])
}

/// Signs an archive's SHA-256.
pub fn sign_digest(key: &SigningKey, digest: &[u8; 32]) -> Signature {
    key.sign(&signed_message(digest))
}

/// Whether `signature` is `key`'s signature of an archive with this digest
/// (strict verification: no malleable or weak-key signatures).
pub fn verify_digest(key: &VerifyingKey, digest: &[u8; 32], signature: &Signature) -> bool {
    key.verify_strict(&signed_message(digest), signature)
        .is_ok()
}

fn signed_message(digest: &[u8; 32]) -> Vec<u8> {
    [SIGNATURE_CONTEXT, digest.as_slice()].concat()
}

/// The text of a public key file.
pub fn public_key_text(key: &VerifyingKey) -> String {
    format!("{PUBLIC_KEY_HEADER}\n{}\n", to_hex(key.as_bytes()))
}

/// Parses a public key file; the error says what is wrong.
pub fn parse_public_key(text: &str) -> Result<VerifyingKey, String> {
    let hex = body_after_header(text, PUBLIC_KEY_HEADER)?;
    let bytes = from_hex::<32>(hex).ok_or("the key is not 64 hex digits")?;
    VerifyingKey::from_bytes(&bytes).map_err(|_| "the key is not a valid Ed25519 key".to_owned())
}

/// Writes `key` as the vault's backup public key in `data_dir`, unless it
/// is already there; a different key there before is added to the retired
/// keys first, so the backups it signed still verify.
pub fn publish_public_key(data_dir: &Path, key: &VerifyingKey) -> Result<(), FileError> {
    let path = data_dir.join(PUBLIC_KEY_FILE);
    let text = public_key_text(key);
    let before = fsio::read_optional(&path)?;
    if before.as_deref() == Some(text.as_bytes()) {
        return Ok(());
    }
    let previous = before
        .as_deref()
        .and_then(|bytes| std::str::from_utf8(bytes).ok())
        .and_then(|text| parse_public_key(text).ok());
    if let Some(previous) = previous {
        let retired_path = data_dir.join(RETIRED_KEYS_FILE);
        // An unreadable list is started again rather than blocking the
        // new key: it only helps older backups verify.
        let mut retired = fsio::read_optional(&retired_path)?
            .and_then(|bytes| String::from_utf8(bytes).ok())
            .and_then(|text| parse_retired_keys(&text).ok())
            .unwrap_or_default();
        retired.retain(|k| k != &previous && k != key);
        retired.push(previous);
        let excess = retired.len().saturating_sub(MAX_RETIRED_KEYS);
        retired.drain(..excess);
        fsio::write_atomic(&retired_path, retired_keys_text(&retired).as_bytes())?;
    }
    fsio::write_atomic(&path, text.as_bytes())
}

/// The text of a retired keys file.
pub fn retired_keys_text(keys: &[VerifyingKey]) -> String {
    let mut text = format!(
        "{RETIRED_KEYS_HEADER}
"
    );
    for key in keys {
        text.push_str(&to_hex(key.as_bytes()));
        text.push('\n');
    }
    text
}

/// Parses a retired keys file; the error names the bad line.
pub fn parse_retired_keys(text: &str) -> Result<Vec<VerifyingKey>, String> {
    let mut lines = text.lines();
    if lines.next() != Some(RETIRED_KEYS_HEADER) {
        return Err(format!("the first line is not {RETIRED_KEYS_HEADER:?}"));
    }
    lines
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty())
        .map(|(n, line)| {
            let bytes = from_hex::<32>(line.trim())
                .ok_or_else(|| format!("line {} is not 64 hex digits", n + 2))?;
            VerifyingKey::from_bytes(&bytes)
                .map_err(|_| format!("line {} is not a valid Ed25519 key", n + 2))
        })
        .collect()
}

/// The text of a signature file.
pub fn signature_text(signature: &Signature) -> String {
    format!("{SIGNATURE_HEADER}\n{}\n", to_hex(&signature.to_bytes()))
}

/// Parses a signature file; the error says what is wrong.
pub fn parse_signature(text: &str) -> Result<Signature, String> {
    let hex = body_after_header(text, SIGNATURE_HEADER)?;
    let bytes = from_hex::<64>(hex).ok_or("the signature is not 128 hex digits")?;
    Ok(Signature::from_bytes(&bytes))
}

fn body_after_header<'a>(text: &'a str, header: &str) -> Result<&'a str, String> {
    let mut lines = text.lines();
    if lines.next() != Some(header) {
        return Err(format!("the first line is not {header:?}"));
    }
    let body = lines.next().ok_or("the second line is missing")?.trim();
    if lines.any(|l| !l.trim().is_empty()) {
        return Err("there is text after the second line".to_owned());
    }
    Ok(body)
}

/// The line `sha256sum` prints for a file with this digest and name.
pub fn sha256_line(digest: &[u8; 32], file_name: &str) -> String {
    format!("{}  {file_name}\n", to_hex(digest))
}

/// Parses a `sha256sum` side file holding exactly one line: the digest and
/// the file name it names.
pub fn parse_sha256_line(text: &str) -> Result<([u8; 32], String), String> {
    let mut lines = text.lines().filter(|l| !l.trim().is_empty());
    let line = lines.next().ok_or("the file is empty")?;
    if lines.next().is_some() {
        return Err("it holds more than one line".to_owned());
    }
    // `sha256sum` marks binary mode with '*' in place of the second space.
    let (hex, name) = line
        .split_once("  ")
        .or_else(|| line.split_once(" *"))
        .ok_or("the line is not `<digest>  <file name>`")?;
    let digest = from_hex::<32>(hex).ok_or("the digest is not 64 hex digits")?;
    Ok((digest, name.to_owned()))
}

/// SHA-256 and size of a file, read as a stream, refusing a link.
pub fn hash_file(path: &Path) -> Result<([u8; 32], u64), FileError> {
    use sha2::Digest;
    let meta = std::fs::symlink_metadata(path).map_err(|e| FileError::io(path, "inspect", e))?;
    fsio::check_regular(path, &meta)?;
    let mut file = std::fs::File::open(path).map_err(|e| FileError::io(path, "open", e))?;
    let mut hasher = sha2::Sha256::new();
    let mut buf = vec![0u8; 64 * 1024];
    let mut size = 0u64;
    loop {
        let n = file
            .read(&mut buf)
            .map_err(|e| FileError::io(path, "read", e))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        size += n as u64;
    }
    Ok((hasher.finalize().into(), size))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_verifies_only_for_its_digest_and_key() {
        let key = signing_key(&Key256::from_bytes([3; 32]));
        let other = signing_key(&Key256::from_bytes([4; 32]));
        let digest = [9u8; 32];
        let sig = parse_signature(&signature_text(&sign_digest(&key, &digest))).unwrap();
        let public = parse_public_key(&public_key_text(&key.verifying_key())).unwrap();
        assert!(verify_digest(&public, &digest, &sig));
        assert!(!verify_digest(&public, &[8u8; 32], &sig));
        assert!(!verify_digest(&other.verifying_key(), &digest, &sig));
        assert_eq!(fingerprint(&public).len(), 16);
    }

    #[test]
    fn a_new_public_key_retires_the_one_before() {
        let dir = tempfile::tempdir().unwrap();
        let keys: Vec<VerifyingKey> = (1..=3u8)
            .map(|n| signing_key(&Key256::from_bytes([n; 32])).verifying_key())
            .collect();
        let read = |name: &str| std::fs::read_to_string(dir.path().join(name)).unwrap();
        publish_public_key(dir.path(), &keys[0]).unwrap();
        assert!(!dir.path().join(RETIRED_KEYS_FILE).exists());
        publish_public_key(dir.path(), &keys[0]).unwrap();
        assert!(
            !dir.path().join(RETIRED_KEYS_FILE).exists(),
            "same key again"
        );
        publish_public_key(dir.path(), &keys[1]).unwrap();
        publish_public_key(dir.path(), &keys[2]).unwrap();
        assert_eq!(parse_public_key(&read(PUBLIC_KEY_FILE)).unwrap(), keys[2]);
        assert_eq!(
            parse_retired_keys(&read(RETIRED_KEYS_FILE)).unwrap(),
            keys[..2]
        );
        // Back to an older key: it leaves the retired list, the current one joins.
        publish_public_key(dir.path(), &keys[0]).unwrap();
        assert_eq!(
            parse_retired_keys(&read(RETIRED_KEYS_FILE)).unwrap(),
            [keys[1], keys[2]]
        );
        assert!(parse_retired_keys("wrong\n").is_err());
        let bad = format!("{RETIRED_KEYS_HEADER}\n{}\nzz\n", "00".repeat(32));
        assert_eq!(
            parse_retired_keys(&bad).unwrap_err(),
            "line 3 is not 64 hex digits"
        );
    }

    #[test]
    fn a_small_order_key_in_the_retired_list_verifies_nothing() {
        use ed25519_dalek::Verifier;
        // The identity point as a public key, with the signature (R =
        // identity, s = 0): plain Ed25519 verification accepts it for every
        // message; the strict check must not.
        let identity = format!("01{}", "00".repeat(31));
        let text = format!("{RETIRED_KEYS_HEADER}\n{identity}\n{identity}\n");
        let keys = parse_retired_keys(&text).unwrap();
        let forged = Signature::from_bytes(&{
            let mut bytes = [0u8; 64];
            bytes[0] = 1;
            bytes
        });
        for key in &keys {
            assert!(key.verify(&signed_message(&[7u8; 32]), &forged).is_ok());
            assert!(!verify_digest(key, &[7u8; 32], &forged));
        }
    }

    #[test]
    fn side_files_parse_strictly() {
        let line = sha256_line(&[0xab; 32], "backup_20260101_000000.zip");
        assert_eq!(
            line,
            format!("{}  backup_20260101_000000.zip\n", "ab".repeat(32))
        );
        let (digest, name) = parse_sha256_line(&line).unwrap();
        assert_eq!(
            (digest, name.as_str()),
            ([0xab; 32], "backup_20260101_000000.zip")
        );
        assert!(parse_sha256_line("").is_err());
        assert!(parse_sha256_line("abc  x.zip\n").is_err());
        assert!(parse_public_key("wrong header\n00\n").is_err());
        let extra = format!("{SIGNATURE_HEADER}\n{}\nmore\n", "00".repeat(64));
        assert!(parse_signature(&extra).is_err());
    }
}
