//! Opening a password-protected export.
//!
//! The file password and the header's `salt` give a 32-byte key: kdfType 0
//! is PBKDF2-HMAC-SHA256 over the salt string's bytes, kdfType 1 is Argon2id
//! over the SHA-256 of the salt string (`kdfMemory` MiB, `kdfIterations`
//! passes, `kdfParallelism` lanes). HKDF-Expand-SHA256 stretches that key into
//! an AES-256 key (info `enc`) and an HMAC-SHA256 key (info `mac`).
//!
//! Values are EncStrings, `2.<iv>|<ciphertext>|<mac>` in base64: AES-256-CBC
//! with PKCS#7 padding, authenticated by HMAC-SHA256 over iv and ciphertext.
//! The MAC is checked, in constant time, before anything is decrypted, so a
//! wrong password or a changed byte is caught without running the cipher
//! over data nobody vouched for. `encKeyValidation_DO_NOT_EDIT` is an
//! EncString that only the right key authenticates: it tells a wrong
//! password from a damaged `data`.

use std::path::Path;

use aes::Aes256;
use aes::cipher::{BlockDecryptMut, KeyIvInit, block_padding::Pkcs7};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use hmac::{Hmac, Mac};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use super::malformed;
use crate::core::exchange::ExchangeError;
use crate::core::secret::SecretString;

/// PBKDF2 iterations accepted. Bitwarden allows up to 2,000,000; the margin
/// leaves room for a future default while an absurd value (a damaged header)
/// is refused instead of running for hours.
const PBKDF2_ITERATIONS: std::ops::RangeInclusive<u64> = 1..=5_000_000;
/// Argon2id passes accepted (Bitwarden allows 2 to 10).
const ARGON2_ITERATIONS: std::ops::RangeInclusive<u64> = 1..=16;
/// Argon2id memory in MiB (Bitwarden allows 16 to 1024); above 1 GiB a
/// damaged header could exhaust the machine's memory.
const ARGON2_MEMORY_MIB: std::ops::RangeInclusive<u64> = 1..=1024;
/// Argon2id lanes (Bitwarden allows 1 to 16).
const ARGON2_PARALLELISM: std::ops::RangeInclusive<u64> = 1..=16;

/// Decrypts a password-protected export's `data`: the plain export as JSON
/// text, in a buffer wiped when dropped.
pub(super) fn decrypt_export(
    path: &Path,
    root: &Map<String, Value>,
    password: &SecretString,
) -> Result<Zeroizing<Vec<u8>>, ExchangeError> {
    let kdf = Kdf::from_header(root).map_err(|why| malformed(path, why))?;
    let salt = match root.get("salt").and_then(Value::as_str) {
        Some(salt) if !salt.is_empty() => salt,
        _ => return Err(malformed(path, "the header has no \"salt\"")),
    };
    let check = enc_string(root, "encKeyValidation_DO_NOT_EDIT").map_err(|w| malformed(path, w))?;
    let data = enc_string(root, "data").map_err(|why| malformed(path, why))?;

    let keys = kdf
        .derive(password.expose().as_bytes(), salt)
        .map_err(|why| malformed(path, why))?;
    if !keys.authenticates(&check) {
        return Err(ExchangeError::WrongKey {
            path: path.to_owned(),
        });
    }
    // The check value's content is not needed, only proof it decrypts.
    keys.decrypt(&check)
        .map_err(|why| malformed(path, format!("the password check value {why}")))?;
    if !keys.authenticates(&data) {
        return Err(malformed(
            path,
            "the password is right but \"data\" fails its integrity check; \
             the file was changed or damaged, so export it again",
        ));
    }
    keys.decrypt(&data)
        .map_err(|why| malformed(path, format!("\"data\" {why}")))
}

/// The key derivation a header asks for, checked to be within reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kdf {
    /// PBKDF2-HMAC-SHA256.
    Pbkdf2 { iterations: u32 },
    /// Argon2id, version 0x13.
    Argon2id {
        iterations: u32,
        memory_mib: u32,
        parallelism: u32,
    },
}

impl Kdf {
    /// Reads `kdfType` and its parameters.
    fn from_header(root: &Map<String, Value>) -> Result<Self, String> {
        match root.get("kdfType").and_then(Value::as_u64) {
            Some(0) => Ok(Kdf::Pbkdf2 {
                iterations: bounded(root, "kdfIterations", PBKDF2_ITERATIONS)?,
            }),
            Some(1) => Ok(Kdf::Argon2id {
                iterations: bounded(root, "kdfIterations", ARGON2_ITERATIONS)?,
                memory_mib: bounded(root, "kdfMemory", ARGON2_MEMORY_MIB)?,
                parallelism: bounded(root, "kdfParallelism", ARGON2_PARALLELISM)?,
            }),
            Some(other) => Err(format!(
                "\"kdfType\" is {other}; Bitwarden uses 0 (PBKDF2) and 1 (Argon2id)"
            )),
            None => Err("the header has no numeric \"kdfType\"".to_owned()),
        }
    }

    /// Derives the encryption and MAC keys from the password.
    fn derive(self, password: &[u8], salt: &str) -> Result<Keys, String> {
        let mut master = Zeroizing::new([0u8; 32]);
        match self {
            Kdf::Pbkdf2 { iterations } => {
                pbkdf2::pbkdf2_hmac::<Sha256>(password, salt.as_bytes(), iterations, &mut *master);
            }
            Kdf::Argon2id {
                iterations,
                memory_mib,
                parallelism,
            } => {
                let params =
                    argon2::Params::new(memory_mib * 1024, iterations, parallelism, Some(32))
                        .map_err(|e| format!("the Argon2id parameters are not usable ({e})"))?;
                let argon = argon2::Argon2::new(
                    argon2::Algorithm::Argon2id,
                    argon2::Version::V0x13,
                    params,
                );
                let salt = Sha256::digest(salt.as_bytes());
                argon
                    .hash_password_into(password, &salt, &mut *master)
                    .map_err(|e| format!("Argon2id failed ({e})"))?;
            }
        }
        Keys::stretch(&master)
    }
}

/// Reads a whole-number header value and checks it against its range.
fn bounded(
    root: &Map<String, Value>,
    key: &str,
    range: std::ops::RangeInclusive<u64>,
) -> Result<u32, String> {
    let value = root
        .get(key)
        .and_then(Value::as_u64)
        .ok_or_else(|| format!("the header's \"{key}\" is missing or not a whole number"))?;
    if !range.contains(&value) {
        return Err(format!(
            "the header's \"{key}\" is {value}, outside {}..={}; the header is damaged \
             or was not written by Bitwarden",
            range.start(),
            range.end()
        ));
    }
    u32::try_from(value).map_err(|_| format!("the header's \"{key}\" is too large"))
}

/// The two keys stretched from the derived key.
struct Keys {
    enc: Zeroizing<[u8; 32]>,
    mac: Zeroizing<[u8; 32]>,
}

impl Keys {
    /// HKDF-Expand-SHA256 of the derived key, with info `enc` and `mac`.
    fn stretch(master: &[u8; 32]) -> Result<Self, String> {
        let hkdf = hkdf::Hkdf::<Sha256>::from_prk(master)
            .map_err(|_| "the derived key has the wrong length".to_owned())?;
        let mut keys = Self {
            enc: Zeroizing::new([0u8; 32]),
            mac: Zeroizing::new([0u8; 32]),
        };
        hkdf.expand(b"enc", &mut *keys.enc)
            .and_then(|()| hkdf.expand(b"mac", &mut *keys.mac))
            .map_err(|_| "the key could not be stretched".to_owned())?;
        Ok(keys)
    }

    /// Whether the value's MAC is right for these keys. `verify_slice`
    /// compares in constant time.
    fn authenticates(&self, value: &EncString) -> bool {
        let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(&self.mac[..]) else {
            return false;
        };
        mac.update(&value.iv);
        mac.update(&value.ciphertext);
        mac.verify_slice(&value.mac).is_ok()
    }

    /// Decrypts an authenticated value. The error completes a sentence
    /// naming the value.
    fn decrypt(&self, value: &EncString) -> Result<Zeroizing<Vec<u8>>, String> {
        let decryptor = cbc::Decryptor::<Aes256>::new_from_slices(&self.enc[..], &value.iv)
            .map_err(|_| "cannot be decrypted (bad key or iv length)".to_owned())?;
        // Decrypt in place in a buffer that is wiped, so no plaintext copy is
        // left in freed memory.
        let mut buffer = Zeroizing::new(value.ciphertext.clone());
        let length = decryptor
            .decrypt_padded_mut::<Pkcs7>(&mut buffer)
            .map_err(|_| "decrypts to invalid padding; the file is damaged".to_owned())?
            .len();
        buffer.truncate(length);
        Ok(buffer)
    }
}

/// A parsed type-2 EncString.
struct EncString {
    iv: [u8; 16],
    ciphertext: Vec<u8>,
    mac: [u8; 32],
}

/// Reads the EncString at `root[key]`; the error says what is wrong with it.
fn enc_string(root: &Map<String, Value>, key: &str) -> Result<EncString, String> {
    let text = root
        .get(key)
        .and_then(Value::as_str)
        .ok_or_else(|| format!("the header has no \"{key}\" text"))?;
    EncString::parse(text).map_err(|why| format!("\"{key}\" {why}"))
}

impl EncString {
    /// Parses `2.<iv>|<ciphertext>|<mac>`. The error completes a sentence
    /// naming the value.
    fn parse(text: &str) -> Result<Self, String> {
        let Some(rest) = text.strip_prefix("2.") else {
            return Err(
                "is not of encryption type 2 (AES-256-CBC with HMAC-SHA256), the only \
                 one password-protected exports use"
                    .to_owned(),
            );
        };
        let parts: Vec<&str> = rest.split('|').collect();
        let [iv, ciphertext, mac] = parts[..] else {
            return Err(format!(
                "has {} parts instead of three (iv|ciphertext|mac)",
                parts.len()
            ));
        };
        let decode = |part: &str, name: &str| {
            BASE64
                .decode(part.trim())
                .map_err(|_| format!("has a {name} that is not base64"))
        };
        let iv: [u8; 16] = decode(iv, "iv")?
            .try_into()
            .map_err(|_| "has an iv that is not 16 bytes".to_owned())?;
        let mac: [u8; 32] = decode(mac, "MAC")?
            .try_into()
            .map_err(|_| "has a MAC that is not 32 bytes".to_owned())?;
        let ciphertext = decode(ciphertext, "ciphertext")?;
        if ciphertext.is_empty() || ciphertext.len() % 16 != 0 {
            return Err("has a ciphertext that is not whole AES blocks".to_owned());
        }
        Ok(Self {
            iv,
            ciphertext,
            mac,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aes::cipher::BlockEncryptMut;

    fn header(text: &str) -> Map<String, Value> {
        match serde_json::from_str(text).unwrap() {
            Value::Object(map) => map,
            _ => unreachable!("the samples are objects"),
        }
    }

    /// The other half of [`Keys::decrypt`], for building test values.
    fn seal(keys: &Keys, iv: [u8; 16], plaintext: &[u8]) -> String {
        let ciphertext = cbc::Encryptor::<Aes256>::new_from_slices(&keys.enc[..], &iv)
            .unwrap()
            .encrypt_padded_vec_mut::<Pkcs7>(plaintext);
        let mut mac = Hmac::<Sha256>::new_from_slice(&keys.mac[..]).unwrap();
        mac.update(&iv);
        mac.update(&ciphertext);
        let mac = mac.finalize().into_bytes();
        format!(
            "2.{}|{}|{}",
            BASE64.encode(iv),
            BASE64.encode(&ciphertext),
            BASE64.encode(mac)
        )
    }

    fn test_keys() -> Keys {
        Kdf::Pbkdf2 { iterations: 2 }.derive(b"pw", "salt").unwrap()
    }

    #[test]
    fn pbkdf2_matches_the_rfc_7914_vector() {
        // RFC 7914 section 11: PBKDF2-HMAC-SHA256("passwd", "salt", 1), 64 bytes;
        // the first 32 are the derived key, stretched here with HKDF.
        let mut master = [0u8; 32];
        pbkdf2::pbkdf2_hmac::<Sha256>(b"passwd", b"salt", 1, &mut master);
        assert_eq!(master[..4], [0x55, 0xac, 0x04, 0x6e]);
        let derived = Kdf::Pbkdf2 { iterations: 1 }
            .derive(b"passwd", "salt")
            .unwrap();
        let stretched = Keys::stretch(&master).unwrap();
        assert_eq!(*derived.enc, *stretched.enc);
        assert_ne!(*derived.enc, *derived.mac);
    }

    #[test]
    fn sealed_values_open_with_the_right_keys_only() {
        let keys = test_keys();
        let sealed = EncString::parse(&seal(&keys, [7; 16], b"hello bitwarden")).unwrap();
        assert!(keys.authenticates(&sealed));
        assert_eq!(&keys.decrypt(&sealed).unwrap()[..], b"hello bitwarden");

        let other = Kdf::Pbkdf2 { iterations: 2 }.derive(b"px", "salt").unwrap();
        assert!(!other.authenticates(&sealed));
    }

    #[test]
    fn a_changed_byte_fails_the_mac() {
        let keys = test_keys();
        let mut sealed = EncString::parse(&seal(&keys, [1; 16], b"data")).unwrap();
        sealed.ciphertext[3] ^= 1;
        assert!(!keys.authenticates(&sealed));
    }

    #[test]
    fn malformed_enc_strings_say_what_is_wrong() {
        let why = |text: &str| EncString::parse(text).err().unwrap();
        assert!(why("0.abc").contains("type 2"));
        assert!(why("2.AAAA|BBBB").contains("2 parts"));
        assert!(why("2.!!|AAAA|AAAA").contains("iv that is not base64"));
        assert!(why("2.AAAA|AAAA|AAAA").contains("not 16 bytes"));
        let iv = BASE64.encode([0u8; 16]);
        let mac = BASE64.encode([0u8; 32]);
        assert!(why(&format!("2.{iv}|AAAA|{mac}")).contains("whole AES blocks"));
    }

    #[test]
    fn absurd_kdf_parameters_are_refused() {
        let why = |text: &str| Kdf::from_header(&header(text)).err().unwrap();
        assert!(why(r#"{"kdfType": 0, "kdfIterations": 0}"#).contains("is 0, outside"));
        assert!(why(r#"{"kdfType": 0}"#).contains("\"kdfIterations\" is missing"));
        assert!(
            why(r#"{"kdfType": 1, "kdfIterations": 3, "kdfMemory": 1048576, "kdfParallelism": 4}"#)
                .contains("\"kdfMemory\" is 1048576")
        );
        assert!(
            why(r#"{"kdfType": 1, "kdfIterations": 3, "kdfMemory": 64, "kdfParallelism": 0}"#)
                .contains("\"kdfParallelism\" is 0")
        );
        assert!(why(r#"{"kdfType": 7}"#).contains("\"kdfType\" is 7"));
        assert_eq!(
            Kdf::from_header(&header(
                r#"{"kdfType": 1, "kdfIterations": 3, "kdfMemory": 64, "kdfParallelism": 4}"#
            )),
            Ok(Kdf::Argon2id {
                iterations: 3,
                memory_mib: 64,
                parallelism: 4
            })
        );
    }
}
