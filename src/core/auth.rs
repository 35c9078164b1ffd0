//! `auth.json`: how the vault checks a master password and counts failures.
//!
//! The file keeps a verifier (an HMAC under the authentication key derived
//! from the password), never the password or a plain hash of it, plus login
//! metadata and the lockout state. Keeping the failure counter on disk means
//! restarting the program does not reset it.

use std::path::Path;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use serde::{Deserialize, Serialize};

use crate::core::crypto;
use crate::core::fsio;
use crate::core::kdf::SaltFile;
use crate::core::keys::KeyMode;
use crate::core::secret::Key256;

const AUTH_FILE_VERSION: u32 = 1;
const VERIFIER_LABEL: &str = "secure-password-manager v1 master password verifier";

fn verifier_message(key_mode: KeyMode, key_file_required: bool) -> Vec<u8> {
    format!("{VERIFIER_LABEL}|mode={key_mode}|key-file={key_file_required}").into_bytes()
}

fn salt_digest(salt: &SaltFile) -> String {
    let canonical = format!(
        "{}|{}|{}|{}|{}",
        salt.kdf, salt.m_cost_kib, salt.t_cost, salt.p_cost, salt.salt
    );
    B64.encode(crypto::sha256(canonical.as_bytes()))
}

/// Failures in a row that trigger the first lockout.
pub const FREE_ATTEMPTS: u32 = 5;
/// Length of the first lockout, in seconds.
pub const FIRST_LOCKOUT_SECS: i64 = 30;
/// Longest lockout, in seconds.
pub const MAX_LOCKOUT_SECS: i64 = 3600;

/// The contents of `auth.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthFile {
    /// Format version of this file.
    pub version: u32,
    /// How the data key is kept.
    pub key_mode: KeyMode,
    /// Whether a key file must join the master password.
    pub key_file_required: bool,
    /// HMAC-SHA256, under the authentication key, of a fixed label and the
    /// key mode, base64. Binding the mode means a tampered mode fails the
    /// check instead of sealing new records under the wrong key.
    pub verifier: String,
    /// SHA-256 of the salt and KDF parameters in `crypto.salt`, base64, to
    /// tell a damaged salt file from a wrong password.
    pub salt_digest: String,
    /// SHA-256 of the fields above and `created_at`, base64. It catches
    /// accidental damage (a flipped bit, a bad edit), which would otherwise
    /// look like a wrong password; it is no defence against deliberate
    /// tampering, which the verifier binding handles.
    pub checksum: String,
    /// When the vault was created (RFC 3339).
    pub created_at: String,
    /// When the vault was last unlocked (RFC 3339).
    #[serde(default)]
    pub last_login_at: Option<String>,
    /// Failed unlock attempts since the last success.
    #[serde(default)]
    pub failed_attempts: u32,
    /// Unix seconds until which unlocking is refused.
    #[serde(default)]
    pub locked_until: Option<i64>,
    /// In password-derived mode, the version of the data key the password
    /// derives: it goes up with each change of the password or salt, and
    /// every record names the version that sealed it.
    #[serde(default = "first_key_version")]
    pub data_key_version: u32,
}

fn first_key_version() -> u32 {
    1
}

impl AuthFile {
    /// A new file for a vault whose authentication key is `auth_key`.
    pub fn new(
        auth_key: &Key256,
        key_mode: KeyMode,
        key_file_required: bool,
        salt: &SaltFile,
    ) -> Self {
        Self {
            version: AUTH_FILE_VERSION,
            key_mode,
            key_file_required,
            verifier: B64.encode(crypto::verifier(
                auth_key,
                &verifier_message(key_mode, key_file_required),
            )),
            salt_digest: salt_digest(salt),
            checksum: String::new(),
            created_at: crate::core::time::now_rfc3339(),
            last_login_at: None,
            failed_attempts: 0,
            locked_until: None,
            data_key_version: first_key_version(),
        }
        .with_checksum()
    }

    /// This vault's file for a new authentication key and salt (a master
    /// password change): creation time, last login and the failure count
    /// carry over.
    pub fn rekeyed(&self, auth_key: &Key256, salt: &SaltFile) -> Self {
        self.rekeyed_as(auth_key, salt, self.key_mode, self.key_file_required)
    }

    /// [`Self::rekeyed`] with a new key mode and key file requirement.
    pub fn rekeyed_as(
        &self,
        auth_key: &Key256,
        salt: &SaltFile,
        key_mode: KeyMode,
        key_file_required: bool,
    ) -> Self {
        let mut next = Self::new(auth_key, key_mode, key_file_required, salt);
        next.created_at = self.created_at.clone();
        next.last_login_at = self.last_login_at.clone();
        next.failed_attempts = self.failed_attempts;
        next.locked_until = self.locked_until;
        next.data_key_version = self.data_key_version;
        next.with_checksum()
    }

    fn with_checksum(mut self) -> Self {
        self.checksum = self.expected_checksum();
        self
    }

    fn expected_checksum(&self) -> String {
        let canonical = format!(
            "{}|{}|{}|{}|{}|{}",
            self.version,
            self.key_mode,
            self.key_file_required,
            self.verifier,
            self.salt_digest,
            self.created_at
        );
        B64.encode(crypto::sha256(canonical.as_bytes()))
    }

    /// Parses the file's bytes; the error explains what is wrong.
    pub fn parse(bytes: &[u8]) -> Result<Self, String> {
        let file: AuthFile = serde_json::from_slice(bytes).map_err(|e| e.to_string())?;
        if file.version != AUTH_FILE_VERSION {
            return Err(format!("unsupported version {}", file.version));
        }
        let verifier = B64
            .decode(&file.verifier)
            .map_err(|_| "verifier is not base64")?;
        if verifier.len() != 32 {
            return Err("verifier has the wrong length".to_owned());
        }
        if file.checksum != file.expected_checksum() {
            return Err("its fixed fields fail their checksum (the file was altered)".to_owned());
        }
        Ok(file)
    }

    /// Whether `auth_key` matches the stored verifier (constant time).
    pub fn verify(&self, auth_key: &Key256) -> bool {
        let message = verifier_message(self.key_mode, self.key_file_required);
        let expected = crypto::verifier(auth_key, &message);
        match B64.decode(&self.verifier) {
            Ok(stored) => crypto::ct_eq(&stored, &expected),
            Err(_) => false,
        }
    }

    /// Seconds left in the current lockout, if unlocking is refused now.
    pub fn lockout_remaining(&self, now: i64) -> Option<i64> {
        self.locked_until
            .filter(|until| *until > now)
            .map(|until| until - now)
    }

    /// Whether `salt` is the salt file this vault was created with.
    pub fn matches_salt(&self, salt: &SaltFile) -> bool {
        crypto::ct_eq(self.salt_digest.as_bytes(), salt_digest(salt).as_bytes())
    }

    /// Counts an attempt before it is checked, as if it will fail, and
    /// starts the lockout that failure would bring. A success clears both
    /// ([`Self::record_success`]). Returns that lockout's length, if any.
    pub fn begin_attempt(&mut self, now: i64) -> Option<i64> {
        self.failed_attempts = self.failed_attempts.saturating_add(1);
        let secs = lockout_secs(self.failed_attempts)?;
        self.locked_until = Some(now + secs);
        Some(secs)
    }

    /// Records a successful unlock: the counter and any lockout are cleared.
    pub fn record_success(&mut self, now: i64) {
        self.failed_attempts = 0;
        self.locked_until = None;
        self.last_login_at = Some(crate::core::time::format_rfc3339(now));
    }

    /// Writes the file atomically.
    pub fn save(&self, path: &Path) -> Result<(), fsio::FileError> {
        let json = serde_json::to_vec_pretty(self).unwrap_or_default();
        fsio::write_atomic(path, &json)
    }
}

/// Lockout length after `failures` failures in a row: none for the first
/// four, 30 s at the fifth, doubling with each further failure, at most 1 h.
pub fn lockout_secs(failures: u32) -> Option<i64> {
    if failures < FREE_ATTEMPTS {
        return None;
    }
    let doublings = (failures - FREE_ATTEMPTS).min(20);
    Some((FIRST_LOCKOUT_SECS << doublings).min(MAX_LOCKOUT_SECS))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lockout_starts_at_five_and_doubles_to_an_hour() {
        assert_eq!(lockout_secs(4), None);
        assert_eq!(lockout_secs(5), Some(30));
        assert_eq!(lockout_secs(6), Some(60));
        assert_eq!(lockout_secs(7), Some(120));
        assert_eq!(lockout_secs(11), Some(1920));
        assert_eq!(lockout_secs(12), Some(3600));
        assert_eq!(lockout_secs(500), Some(3600));
    }

    fn salt() -> SaltFile {
        SaltFile::generate(crate::core::kdf::KdfParams::default())
    }

    #[test]
    fn verifier_accepts_only_the_right_key_and_mode() {
        let key = Key256::random();
        let mut file = AuthFile::new(&key, KeyMode::FileKey, false, &salt());
        assert!(file.verify(&key));
        assert!(!file.verify(&Key256::random()));
        let json = serde_json::to_string(&file).unwrap();
        assert!(!json.contains(&B64.encode(key.expose())));
        file.key_mode = KeyMode::PasswordDerived;
        assert!(
            !file.verify(&key),
            "a tampered key mode must fail the check"
        );
    }

    #[test]
    fn salt_digest_detects_a_changed_salt() {
        let original = salt();
        let file = AuthFile::new(&Key256::random(), KeyMode::FileKey, false, &original);
        assert!(file.matches_salt(&original));
        let mut changed = original.clone();
        changed.t_cost += 1;
        assert!(!file.matches_salt(&changed));
        assert!(!file.matches_salt(&salt()));
    }

    #[test]
    fn success_clears_failures_and_lockout() {
        let mut file = AuthFile::new(&Key256::random(), KeyMode::FileKey, false, &salt());
        for _ in 0..5 {
            file.begin_attempt(1000);
        }
        assert_eq!(file.lockout_remaining(1000), Some(30));
        assert_eq!(file.lockout_remaining(1031), None);
        file.record_success(1031);
        assert_eq!(file.failed_attempts, 0);
        assert!(file.last_login_at.is_some());
    }
}
