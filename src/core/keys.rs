//! The vault's data keys and the files that hold them wrapped.
//!
//! In file-key mode a random 256-bit data key is wrapped (sealed) under the
//! key-encryption key derived from the master password and stored in
//! `secret.key`; with key protection on, the key file joins the KDF input and
//! the wrapped keys live in `secret.key.enc` instead. In password-derived mode
//! there is no key file on disk: the data key comes from the KDF itself.
//!
//! Keys carry a version. Every sealed record names the version that sealed
//! it, so a later key rotation can re-seal record by record and survive a
//! crash at any point: both versions stay available until the last record
//! moves.

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::core::crypto;
use crate::core::fsio;
use crate::core::secret::Key256;

const KEY_FILE_VERSION: u32 = 1;

/// How the vault's data key is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum KeyMode {
    /// A random data key, wrapped under the master password, in a key file.
    FileKey,
    /// The data key is derived from the master password; no key file.
    PasswordDerived,
}

impl KeyMode {
    /// The name used on the command line and in files.
    pub fn as_str(self) -> &'static str {
        match self {
            KeyMode::FileKey => "file-key",
            KeyMode::PasswordDerived => "password-derived",
        }
    }
}

impl fmt::Display for KeyMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for KeyMode {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "file-key" => Ok(KeyMode::FileKey),
            "password-derived" => Ok(KeyMode::PasswordDerived),
            other => Err(format!(
                "unknown key mode {other:?}; use file-key or password-derived"
            )),
        }
    }
}

/// The data keys of an unlocked vault, by version.
#[derive(Clone)]
pub struct Keyring {
    keys: BTreeMap<u32, Key256>,
    active: u32,
}

impl fmt::Debug for Keyring {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Keyring")
            .field("versions", &self.keys.keys().collect::<Vec<_>>())
            .field("active", &self.active)
            .finish()
    }
}

impl Keyring {
    /// A keyring holding one key as version 1.
    pub fn single(key: Key256) -> Self {
        Self {
            keys: BTreeMap::from([(1, key)]),
            active: 1,
        }
    }

    /// The version new records are sealed with.
    pub fn active_version(&self) -> u32 {
        self.active
    }

    /// The key new records are sealed with.
    pub fn active_key(&self) -> &Key256 {
        // The constructors guarantee the active version is present.
        &self.keys[&self.active]
    }

    /// The key of a given version, if this keyring has it.
    pub fn get(&self, version: u32) -> Option<&Key256> {
        self.keys.get(&version)
    }

    /// The versions held, oldest first.
    pub fn versions(&self) -> Vec<u32> {
        self.keys.keys().copied().collect()
    }

    /// This keyring plus a new random key, one version above the newest,
    /// which becomes the active one (a key rotation's first step).
    pub fn rotated(&self) -> Self {
        let next = self.keys.keys().last().copied().unwrap_or(0) + 1;
        let mut keys = self.keys.clone();
        keys.insert(next, Key256::random());
        Self { keys, active: next }
    }

    /// Only the active key (a rotation's last step, once no record needs
    /// the others).
    pub fn only_active(&self) -> Self {
        Self::single_version(self.active_key().clone(), self.active)
    }

    /// This keyring plus `key` as `version`, which becomes the active one
    /// (a password-derived key replacing the previous one).
    pub fn with_active(&self, key: Key256, version: u32) -> Self {
        let mut keys = self.keys.clone();
        keys.insert(version, key);
        Self {
            keys,
            active: version,
        }
    }

    /// A keyring holding one key as `version`.
    pub fn single_version(key: Key256, version: u32) -> Self {
        Self {
            keys: BTreeMap::from([(version, key)]),
            active: version,
        }
    }
}

/// One wrapped key as stored on disk.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct WrappedKey {
    key_version: u32,
    created_at: String,
    /// nonce || ciphertext || tag, base64.
    wrapped: String,
}

/// The on-disk form of `secret.key` / `secret.key.enc`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct KeyFile {
    version: u32,
    active_key_version: u32,
    keys: Vec<WrappedKey>,
}

fn wrap_aad(file_name: &str, key_version: u32) -> Vec<u8> {
    format!("secure-password-manager|{file_name}|key-version={key_version}").into_bytes()
}

impl KeyFile {
    /// Wraps a keyring under `kek` for storage in the file named `file_name`.
    pub fn wrap(keyring: &Keyring, kek: &Key256, file_name: &str) -> Self {
        let now = crate::core::time::now_rfc3339();
        let keys = keyring
            .keys
            .iter()
            .map(|(version, key)| WrappedKey {
                key_version: *version,
                created_at: now.clone(),
                wrapped: B64.encode(crypto::seal(
                    kek,
                    &wrap_aad(file_name, *version),
                    key.expose(),
                )),
            })
            .collect();
        Self {
            version: KEY_FILE_VERSION,
            active_key_version: keyring.active,
            keys,
        }
    }

    /// Parses the file's bytes; the error explains what is wrong.
    pub fn parse(bytes: &[u8]) -> Result<Self, String> {
        let file: KeyFile = serde_json::from_slice(bytes).map_err(|e| e.to_string())?;
        if file.version != KEY_FILE_VERSION {
            return Err(format!("unsupported version {}", file.version));
        }
        if !file
            .keys
            .iter()
            .any(|k| k.key_version == file.active_key_version)
        {
            return Err(format!(
                "active key version {} is missing",
                file.active_key_version
            ));
        }
        Ok(file)
    }

    /// Unwraps every key with `kek`. Fails if any key fails its integrity
    /// check: the wrong key file, or a damaged file.
    pub fn unwrap_keys(&self, kek: &Key256, file_name: &str) -> Result<Keyring, String> {
        let mut keys = BTreeMap::new();
        for entry in &self.keys {
            let blob = B64
                .decode(&entry.wrapped)
                .map_err(|_| format!("key version {} is not valid base64", entry.key_version))?;
            let plain = crypto::open(kek, &wrap_aad(file_name, entry.key_version), &blob)
                .map_err(|e| format!("key version {} {e}", entry.key_version))?;
            let bytes: Zeroizing<[u8; 32]> =
                Zeroizing::new(plain[..].try_into().map_err(|_| {
                    format!("key version {} has the wrong length", entry.key_version)
                })?);
            keys.insert(entry.key_version, Key256::from_bytes(*bytes));
        }
        Ok(Keyring {
            keys,
            active: self.active_key_version,
        })
    }

    /// Writes the file atomically.
    pub fn save(&self, path: &Path) -> Result<(), fsio::FileError> {
        let json = serde_json::to_vec_pretty(self).unwrap_or_default();
        fsio::write_atomic(path, &json)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrapped_keyring_unwraps_only_with_its_kek_and_file_name() {
        let data = Key256::random();
        let expected = *data.expose();
        let ring = Keyring::single(data);
        let kek = Key256::random();
        let file = KeyFile::wrap(&ring, &kek, "secret.key");
        let json = serde_json::to_vec(&file).unwrap();
        let parsed = KeyFile::parse(&json).unwrap();
        let back = parsed.unwrap_keys(&kek, "secret.key").unwrap();
        assert_eq!(back.active_key().expose(), &expected);
        assert!(parsed.unwrap_keys(&Key256::random(), "secret.key").is_err());
        assert!(parsed.unwrap_keys(&kek, "secret.key.enc").is_err());
    }

    #[test]
    fn keyring_debug_shows_versions_only() {
        let ring = Keyring::single(Key256::from_bytes([0x42; 32]));
        let text = format!("{ring:?}");
        assert!(text.contains("versions"));
        assert!(!text.contains("66"));
    }
}
