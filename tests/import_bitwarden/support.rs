//! Helpers shared by the Bitwarden import tests, and a test-only encryptor
//! that writes password-protected exports the way Bitwarden does, so both
//! KDFs are tested without relying on fixtures.

use std::path::{Path, PathBuf};

use aes::cipher::{BlockEncryptMut, KeyIvInit, block_padding::Pkcs7};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use spm::core::exchange::{FileKey, ImportedEntry, Parsed, bitwarden};

/// A fixture's path, or `None` (after saying so) when the shared folder is
/// not there.
pub fn fixture(relative: &str) -> Option<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/fixtures");
    if !root.exists() {
        println!("skipped: ../shared/fixtures not found");
        return None;
    }
    Some(root.join(relative))
}

/// Writes `text` to a fresh temporary file.
pub fn temp_file(text: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("export.json");
    std::fs::write(&path, text).unwrap();
    (dir, path)
}

pub fn no_key() -> FileKey {
    FileKey::default()
}

pub fn password(text: &str) -> FileKey {
    FileKey {
        password: Some(text.into()),
        key_file: None,
    }
}

/// Reads an unencrypted export given as text.
pub fn read_text(text: &str) -> Parsed {
    let (_dir, path) = temp_file(text);
    bitwarden::read(&path, &no_key()).unwrap()
}

/// Reads a plain export whose `items` list is `items`.
pub fn read_items(items: &str) -> Parsed {
    read_text(&format!(
        r#"{{"encrypted": false, "folders": [], "items": [{items}]}}"#
    ))
}

pub fn by_title<'a>(parsed: &'a Parsed, title: &str) -> &'a ImportedEntry {
    parsed
        .entries
        .iter()
        .find(|e| e.entry.title.expose() == title)
        .unwrap_or_else(|| panic!("no entry titled {title:?}"))
}

/// An entry's custom fields as (name, value, hidden).
pub fn fields(entry: &ImportedEntry) -> Vec<(String, String, bool)> {
    entry
        .entry
        .fields
        .iter()
        .map(|f| {
            (
                f.name.expose().to_owned(),
                f.value.expose().to_owned(),
                f.hidden,
            )
        })
        .collect()
}

pub fn owned(list: &[(&str, &str, bool)]) -> Vec<(String, String, bool)> {
    list.iter()
        .map(|(n, v, h)| (n.to_string(), v.to_string(), *h))
        .collect()
}

/// Everything a user sees of the entries, in order, for comparing reads.
pub fn summary(parsed: &Parsed) -> Vec<String> {
    parsed
        .entries
        .iter()
        .map(|e| {
            let entry = &e.entry;
            let urls: Vec<&str> = entry.urls.iter().map(|u| u.expose()).collect();
            format!(
                "{}|{}|{}|{:?}|{}|{}|{:?}|{}|{:?}|{:?}",
                entry.title.expose(),
                entry.username.expose(),
                entry.password.expose(),
                urls,
                entry.notes.expose(),
                entry.category.expose(),
                entry.totp.as_ref().map(|t| t.expose()),
                entry.favorite,
                entry.uuid,
                fields(e),
            )
        })
        .collect()
}
/// The key derivation a test export uses.
pub enum TestKdf {
    Pbkdf2 {
        iterations: u32,
    },
    Argon2id {
        iterations: u32,
        memory_mib: u32,
        parallelism: u32,
    },
}

/// The stretched keys a test export is sealed with.
struct TestKeys {
    enc: [u8; 32],
    mac: [u8; 32],
}

/// Derives and stretches keys as Bitwarden does.
fn test_keys(password: &str, salt: &str, kdf: &TestKdf) -> TestKeys {
    let mut master = [0u8; 32];
    match *kdf {
        TestKdf::Pbkdf2 { iterations } => pbkdf2::pbkdf2_hmac::<Sha256>(
            password.as_bytes(),
            salt.as_bytes(),
            iterations,
            &mut master,
        ),
        TestKdf::Argon2id {
            iterations,
            memory_mib,
            parallelism,
        } => {
            let params =
                argon2::Params::new(memory_mib * 1024, iterations, parallelism, Some(32)).unwrap();
            argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params)
                .hash_password_into(
                    password.as_bytes(),
                    &Sha256::digest(salt.as_bytes()),
                    &mut master,
                )
                .unwrap();
        }
    }
    let hkdf = hkdf::Hkdf::<Sha256>::from_prk(&master).unwrap();
    let mut keys = TestKeys {
        enc: [0; 32],
        mac: [0; 32],
    };
    hkdf.expand(b"enc", &mut keys.enc).unwrap();
    hkdf.expand(b"mac", &mut keys.mac).unwrap();
    keys
}

/// Seals `plaintext` as a type-2 EncString.
fn seal(keys: &TestKeys, iv: [u8; 16], plaintext: &[u8]) -> String {
    let ciphertext = cbc::Encryptor::<aes::Aes256>::new_from_slices(&keys.enc, &iv)
        .unwrap()
        .encrypt_padded_vec_mut::<Pkcs7>(plaintext);
    let mut mac = Hmac::<Sha256>::new_from_slice(&keys.mac).unwrap();
    mac.update(&iv);
    mac.update(&ciphertext);
    format!(
        "2.{}|{}|{}",
        BASE64.encode(iv),
        BASE64.encode(&ciphertext),
        BASE64.encode(mac.finalize().into_bytes())
    )
}

/// A password-protected export of `plain` (a plain export's JSON text).
pub fn protect(plain: &str, password: &str, kdf: &TestKdf) -> String {
    let salt = "c2FsdC1mb3ItdGVzdHMtb25seQ==";
    let keys = test_keys(password, salt, kdf);
    let (kdf_type, iterations, memory, parallelism) = match *kdf {
        TestKdf::Pbkdf2 { iterations } => (0, iterations, None, None),
        TestKdf::Argon2id {
            iterations,
            memory_mib,
            parallelism,
        } => (1, iterations, Some(memory_mib), Some(parallelism)),
    };
    serde_json::json!({
        "encrypted": true,
        "passwordProtected": true,
        "salt": salt,
        "kdfType": kdf_type,
        "kdfIterations": iterations,
        "kdfMemory": memory,
        "kdfParallelism": parallelism,
        "encKeyValidation_DO_NOT_EDIT": seal(&keys, [3; 16], b"a2d5f1c0-0000-4000-8000-000000000001"),
        "data": seal(&keys, [9; 16], plain.as_bytes()),
    })
    .to_string()
}

/// A small plain export with invented data, used by the encryption tests.
pub const SMALL_EXPORT: &str = r#"{
  "encrypted": false,
  "folders": [{"id": "f1", "name": "Travel"}],
  "items": [
    {"id": "5e0c7a1e-3b1f-4c55-9a7e-2f4b8c1d0e01", "type": 1, "name": "Rail Pass",
     "folderId": "f1", "favorite": false, "notes": "seat 12",
     "login": {"username": "traveller", "password": "tr4in-Ticket!",
               "uris": [{"uri": "https://rail.example"}], "totp": null}},
    {"id": "5e0c7a1e-3b1f-4c55-9a7e-2f4b8c1d0e02", "type": 2, "name": "Locker",
     "notes": "code 4471", "secureNote": {"type": 0}}
  ]
}"#;
