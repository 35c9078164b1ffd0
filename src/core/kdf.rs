//! Argon2id key derivation and the `crypto.salt` file that records its inputs.
//!
//! One Argon2id run per unlock turns the master password (and the key file's
//! digest, when key protection is on) into 32 bytes of key material. HKDF then
//! splits that into independent keys: one wraps the data key, one is checked
//! against the verifier in `auth.json`, one is the data key itself in
//! password-derived mode.

use std::path::Path;

use argon2::{Algorithm, Argon2, Params, Version};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use serde::{Deserialize, Serialize};
use unicode_normalization::UnicodeNormalization;
use zeroize::Zeroizing;

use crate::core::crypto;
use crate::core::fsio;
use crate::core::secret::{Key256, SecretBytes, SecretString};

/// Default memory cost: 64 MiB (RFC 9106, second recommended setting).
pub const DEFAULT_M_COST_KIB: u32 = 64 * 1024;
/// Default number of passes.
pub const DEFAULT_T_COST: u32 = 3;
/// Default parallelism (lanes).
pub const DEFAULT_P_COST: u32 = 4;
/// Lowest accepted memory cost: 19 MiB (OWASP's floor).
pub const MIN_M_COST_KIB: u32 = 19 * 1024;
/// Lowest accepted number of passes at the minimum memory cost.
pub const MIN_T_COST: u32 = 2;
/// Highest accepted memory cost (4 GiB); a larger value is a corrupt file.
pub const MAX_M_COST_KIB: u32 = 4 * 1024 * 1024;
/// Highest accepted number of passes.
pub const MAX_T_COST: u32 = 100;
/// Highest accepted parallelism.
pub const MAX_P_COST: u32 = 64;
/// Length of a new salt in bytes.
pub const SALT_LEN: usize = 32;
const MIN_SALT_LEN: usize = 16;
const SALT_FILE_VERSION: u32 = 1;

/// Key derivation parameters were refused or derivation failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KdfError {
    /// A parameter is below the security floor or beyond sane limits.
    #[error("{0}")]
    Params(String),
    /// Argon2 itself refused (should not happen with validated parameters).
    #[error("key derivation failed: {0}")]
    Argon2(String),
}

/// Argon2id cost parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct KdfParams {
    /// Memory cost in KiB.
    pub m_cost_kib: u32,
    /// Number of passes.
    pub t_cost: u32,
    /// Parallelism (lanes).
    pub p_cost: u32,
}

impl Default for KdfParams {
    fn default() -> Self {
        Self {
            m_cost_kib: DEFAULT_M_COST_KIB,
            t_cost: DEFAULT_T_COST,
            p_cost: DEFAULT_P_COST,
        }
    }
}

impl KdfParams {
    /// Parameters checked against the security floor (m ≥ 19 MiB, t ≥ 2).
    pub fn new(m_cost_kib: u32, t_cost: u32, p_cost: u32) -> Result<Self, KdfError> {
        let params = Self {
            m_cost_kib,
            t_cost,
            p_cost,
        };
        params.validate()?;
        Ok(params)
    }

    /// Parameters below the floor, for the library's own unit tests only.
    ///
    /// Compiled only into test builds of the library, so no command-line flag,
    /// setting or file can reach it.
    #[cfg(test)]
    pub fn insecure_for_tests() -> Self {
        Self {
            m_cost_kib: 64,
            t_cost: 1,
            p_cost: 1,
        }
    }

    /// Checks the parameters against the floor and the sanity limits.
    pub fn validate(&self) -> Result<(), KdfError> {
        #[cfg(test)]
        if *self == Self::insecure_for_tests() {
            return Ok(());
        }
        if self.m_cost_kib < MIN_M_COST_KIB {
            return Err(KdfError::Params(format!(
                "Argon2id memory {} KiB is below the accepted minimum of {MIN_M_COST_KIB} KiB \
                 (19 MiB)",
                self.m_cost_kib
            )));
        }
        if self.t_cost < MIN_T_COST {
            return Err(KdfError::Params(format!(
                "{} Argon2id passes are below the accepted minimum of {MIN_T_COST}",
                self.t_cost
            )));
        }
        if self.m_cost_kib > MAX_M_COST_KIB {
            return Err(KdfError::Params(format!(
                "Argon2id memory {} KiB is beyond the supported maximum of {MAX_M_COST_KIB} KiB",
                self.m_cost_kib
            )));
        }
        if self.t_cost > MAX_T_COST {
            return Err(KdfError::Params(format!(
                "{} Argon2id passes are beyond the supported maximum of {MAX_T_COST}",
                self.t_cost
            )));
        }
        if self.p_cost == 0 || self.p_cost > MAX_P_COST {
            return Err(KdfError::Params(format!(
                "Argon2id parallelism {} must be between 1 and {MAX_P_COST}",
                self.p_cost
            )));
        }
        Ok(())
    }
}

/// The contents of `crypto.salt`: the salt and the cost parameters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SaltFile {
    /// Format version of this file.
    pub version: u32,
    /// Always "argon2id".
    pub kdf: String,
    /// Memory cost in KiB.
    pub m_cost_kib: u32,
    /// Number of passes.
    pub t_cost: u32,
    /// Parallelism.
    pub p_cost: u32,
    /// The salt, base64.
    pub salt: String,
    /// When the salt or parameters last changed (RFC 3339).
    pub updated_at: String,
}

impl SaltFile {
    /// A fresh random salt with the given parameters.
    pub fn generate(params: KdfParams) -> Self {
        let salt: [u8; SALT_LEN] = crypto::random_array();
        Self {
            version: SALT_FILE_VERSION,
            kdf: "argon2id".to_owned(),
            m_cost_kib: params.m_cost_kib,
            t_cost: params.t_cost,
            p_cost: params.p_cost,
            salt: B64.encode(salt),
            updated_at: crate::core::time::now_rfc3339(),
        }
    }

    /// Parses and checks the file's contents; the error explains what is wrong.
    pub fn parse(bytes: &[u8]) -> Result<Self, String> {
        let file: SaltFile = serde_json::from_slice(bytes).map_err(|e| e.to_string())?;
        if file.version != SALT_FILE_VERSION {
            return Err(format!("unsupported version {}", file.version));
        }
        if file.kdf != "argon2id" {
            return Err(format!(
                "unsupported key derivation function {:?}",
                file.kdf
            ));
        }
        file.params().validate().map_err(|e| e.to_string())?;
        file.salt_bytes()?;
        Ok(file)
    }

    /// The cost parameters.
    pub fn params(&self) -> KdfParams {
        KdfParams {
            m_cost_kib: self.m_cost_kib,
            t_cost: self.t_cost,
            p_cost: self.p_cost,
        }
    }

    /// The decoded salt.
    pub fn salt_bytes(&self) -> Result<Vec<u8>, String> {
        let salt = B64
            .decode(&self.salt)
            .map_err(|e| format!("salt is not base64: {e}"))?;
        if salt.len() < MIN_SALT_LEN {
            return Err(format!(
                "salt is {} bytes; at least {MIN_SALT_LEN} are required",
                salt.len()
            ));
        }
        Ok(salt)
    }

    /// Writes the file atomically.
    pub fn save(&self, path: &Path) -> Result<(), fsio::FileError> {
        let json = serde_json::to_vec_pretty(self).unwrap_or_default();
        fsio::write_atomic(path, &json)
    }
}

/// The keys one Argon2id run yields.
pub struct DerivedKeys {
    /// Wraps and unwraps the data key in `secret.key` / `secret.key.enc`.
    pub kek: Key256,
    /// Checked against the verifier in `auth.json`.
    pub auth: Key256,
    /// The data key itself in password-derived mode.
    pub password_data_key: Key256,
}

impl std::fmt::Debug for DerivedKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DerivedKeys(..)")
    }
}

/// Normalises a password to Unicode NFC, so composed and decomposed
/// spellings of the same text derive the same keys.
pub fn normalize_password(password: &SecretString) -> SecretString {
    let source = password.expose();
    // Reserve enough up front that the string never reallocates and leaves a
    // copy of the password in freed memory.
    let mut out = String::with_capacity(source.len() * 3 + 16);
    out.extend(source.nfc());
    SecretString::new(out)
}

/// Runs Argon2id once over the password (and key file digest) and splits the
/// result into the keys the vault needs.
pub fn derive(
    params: &KdfParams,
    salt: &[u8],
    password: &SecretString,
    key_file_digest: Option<&SecretBytes>,
) -> Result<DerivedKeys, KdfError> {
    params.validate()?;
    check_memory(params)?;
    let normalized = normalize_password(password);
    let pw = normalized.expose().as_bytes();

    // Length-prefix the password so no password can imitate a key file digest.
    let mut input = Zeroizing::new(Vec::with_capacity(4 + pw.len() + 32));
    input.extend_from_slice(&(pw.len() as u32).to_le_bytes());
    input.extend_from_slice(pw);
    if let Some(digest) = key_file_digest {
        input.extend_from_slice(digest.expose());
    }

    let argon_params = Params::new(params.m_cost_kib, params.t_cost, params.p_cost, Some(32))
        .map_err(|e| KdfError::Argon2(e.to_string()))?;
    let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, argon_params);
    let mut master = Zeroizing::new([0u8; 32]);
    argon
        .hash_password_into(&input, salt, &mut master[..])
        .map_err(|e| KdfError::Argon2(e.to_string()))?;

    Ok(DerivedKeys {
        kek: crypto::hkdf_subkey(
            &master[..],
            b"secure-password-manager v1 key-encryption key",
        ),
        auth: crypto::hkdf_subkey(
            &master[..],
            b"secure-password-manager v1 authentication key",
        ),
        password_data_key: crypto::hkdf_subkey(&master[..], b"secure-password-manager v1 data key"),
    })
}

/// Most Argon2id work a file may ask for before its passphrase is tried:
/// memory times passes, in bytes (64 passes over 1 GiB, as for KDBX files).
/// Each limit of [`KdfParams::validate`] alone still allows 4 GiB times 100
/// passes, minutes of work demanded by a file nobody has checked yet.
pub const MAX_FILE_KDF_WORK_BYTES: u64 = 64 << 30;

/// Refuses parameters read from a file (an export, an encrypted backup)
/// that ask for more work than [`MAX_FILE_KDF_WORK_BYTES`].
pub fn check_file_work(params: &KdfParams) -> Result<(), KdfError> {
    let work = u64::from(params.m_cost_kib) * 1024 * u64::from(params.t_cost);
    if work > MAX_FILE_KDF_WORK_BYTES {
        return Err(KdfError::Params(format!(
            "{} passes over {} MiB is more work than any file of this program asks for",
            params.t_cost,
            params.m_cost_kib / 1024
        )));
    }
    Ok(())
}

/// Runs Argon2id once over the NFC form of a file passphrase (an export's or
/// an encrypted backup's, never the master password) and returns the 32-byte
/// output, for the caller to split with [`crypto::hkdf_subkey`].
pub fn stretch_passphrase(
    passphrase: &SecretString,
    salt: &[u8],
    params: &KdfParams,
) -> Result<Key256, KdfError> {
    params.validate()?;
    check_memory(params)?;
    let normalized = normalize_password(passphrase);
    let argon_params = Params::new(params.m_cost_kib, params.t_cost, params.p_cost, Some(32))
        .map_err(|e| KdfError::Argon2(e.to_string()))?;
    let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, argon_params);
    let mut output = Zeroizing::new([0u8; 32]);
    argon
        .hash_password_into(normalized.expose().as_bytes(), salt, &mut output[..])
        .map_err(|e| KdfError::Argon2(e.to_string()))?;
    Ok(Key256::from_bytes(*output))
}

/// Shortest key file accepted when a vault is created.
pub const MIN_KEY_FILE_BYTES: usize = 32;

/// Reads a key file and returns its SHA-256 digest (any file may serve).
/// The error says why the file cannot be used.
///
/// The file is hashed as it is read, so a large file (a photo, say) costs
/// no memory; a FIFO or device is refused, since it may never end.
pub fn key_file_digest(path: &Path, min_len: usize) -> Result<SecretBytes, String> {
    use sha2::Digest;
    use std::io::Read;

    use std::os::unix::fs::OpenOptionsExt;

    // Opened without waiting (a FIFO would block the open until a writer
    // came), then checked on the handle itself, so a file swapped between
    // a check and the open cannot slip in.
    let mut file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)
        .map_err(|e| e.to_string())?;
    let meta = file.metadata().map_err(|e| e.to_string())?;
    if meta.is_dir() {
        return Err("it is a directory, not a file".to_owned());
    }
    if !meta.is_file() {
        return Err("it is not a regular file".to_owned());
    }
    let mut hasher = sha2::Sha256::new();
    let mut buffer = Zeroizing::new(vec![0u8; 64 * 1024]);
    let mut total = 0usize;
    loop {
        let n = file.read(&mut buffer[..]).map_err(|e| e.to_string())?;
        if n == 0 {
            break;
        }
        hasher.update(&buffer[..n]);
        total += n;
    }
    if total < min_len {
        return Err(format!(
            "it holds {total} bytes; a key file needs at least {min_len} (for example one made \
             with `head -c 64 /dev/urandom > FILE`)"
        ));
    }
    let digest: [u8; 32] = hasher.finalize().into();
    Ok(SecretBytes::new(digest.to_vec()))
}

/// Fails if this process cannot get the memory Argon2id needs: Argon2
/// aborts the whole process when an allocation fails, so ask first.
pub fn check_memory(params: &KdfParams) -> Result<(), KdfError> {
    let needed = u64::from(params.m_cost_kib) * 1024;
    let physical = crate::core::hardening::physical_memory_bytes().map(|total| total / 2);
    let limit = crate::core::hardening::address_space_limit().map(|l| l.saturating_sub(256 << 20));
    let available = [physical, limit].into_iter().flatten().min();
    match available {
        Some(available) if needed > available => Err(KdfError::Params(format!(
            "Argon2id is set to use {} MiB of memory, but this process can have only about {} \
             MiB here; open the vault on a machine (or in a session) with more memory",
            needed >> 20,
            available >> 20
        ))),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fifo_or_directory_is_refused_as_a_key_file_without_waiting() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("key.fifo");
        let name = std::ffi::CString::new(fifo.as_os_str().as_encoded_bytes()).unwrap();
        // SAFETY: mkfifo reads the NUL-terminated path only.
        assert_eq!(unsafe { libc::mkfifo(name.as_ptr(), 0o600) }, 0);
        // Without a writer, a blocking open of the FIFO would never return.
        assert_eq!(
            key_file_digest(&fifo, 0).unwrap_err(),
            "it is not a regular file"
        );
        assert_eq!(
            key_file_digest(dir.path(), 0).unwrap_err(),
            "it is a directory, not a file"
        );
        let short = dir.path().join("short.key");
        std::fs::write(&short, [1u8; 8]).unwrap();
        assert!(key_file_digest(&short, MIN_KEY_FILE_BYTES).is_err());
        assert!(key_file_digest(&short, 0).is_ok());
    }

    #[test]
    fn floor_is_enforced() {
        assert!(KdfParams::new(MIN_M_COST_KIB, MIN_T_COST, 1).is_ok());
        assert!(KdfParams::new(MIN_M_COST_KIB - 1, 3, 1).is_err());
        assert!(KdfParams::new(MIN_M_COST_KIB, 1, 1).is_err());
        assert!(KdfParams::new(MIN_M_COST_KIB, 2, 0).is_err());
        let message = KdfParams::new(1024, 2, 1).unwrap_err().to_string();
        assert!(message.contains("below the accepted minimum"), "{message}");
    }

    #[test]
    fn nfc_and_nfd_spellings_derive_the_same_keys() {
        let params = KdfParams::insecure_for_tests();
        let salt = [7u8; 16];
        let nfc = SecretString::from("caf\u{e9}");
        let nfd = SecretString::from("cafe\u{301}");
        let a = derive(&params, &salt, &nfc, None).unwrap();
        let b = derive(&params, &salt, &nfd, None).unwrap();
        assert_eq!(a.auth.expose(), b.auth.expose());
        assert_ne!(a.auth.expose(), a.kek.expose());
    }

    #[test]
    fn key_file_changes_every_key() {
        let params = KdfParams::insecure_for_tests();
        let pw = SecretString::from("pw");
        let digest = SecretBytes::new(vec![1; 32]);
        let a = derive(&params, &[0; 16], &pw, None).unwrap();
        let b = derive(&params, &[0; 16], &pw, Some(&digest)).unwrap();
        assert_ne!(a.auth.expose(), b.auth.expose());
        assert_ne!(a.kek.expose(), b.kek.expose());
    }

    #[test]
    fn salt_file_round_trips_and_rejects_garbage() {
        let file = SaltFile::generate(KdfParams::default());
        let json = serde_json::to_vec(&file).unwrap();
        assert_eq!(SaltFile::parse(&json).unwrap(), file);
        assert!(SaltFile::parse(b"{\"version\":1").is_err());
        let weak = json_with(&file, "m_cost_kib", 8);
        assert!(
            SaltFile::parse(&weak)
                .unwrap_err()
                .contains("below the accepted minimum")
        );
    }

    fn json_with(file: &SaltFile, key: &str, value: u32) -> Vec<u8> {
        let mut v = serde_json::to_value(file).unwrap();
        v[key] = value.into();
        serde_json::to_vec(&v).unwrap()
    }
}
