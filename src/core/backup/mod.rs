//! Backup archives: what one holds, how it is written, and how it is checked.
//!
//! A backup is a zip file `backup_YYYYMMDD_HHMMSS.zip` (UTC) with two files
//! beside it:
//!
//! - `<name>.zip.sha256`: the archive's SHA-256 in the form `sha256sum -c`
//!   reads, so a copy can be checked with standard tools;
//! - `<name>.zip.sig`: an Ed25519 signature (see [`signing`] for exactly what
//!   is signed). The signing key is derived from the vault's data key; its
//!   public half is kept in the data directory as `backup_signing.pub`, so a
//!   backup can be verified without unlocking anything.
//!
//! Inside the zip: `passwords.db` (a consistent snapshot, never a raw copy of
//! a live WAL database), the wrapped key file if there is one, `crypto.salt`,
//! `auth.json`, the optional configuration files that exist, optionally the
//! breach cache and the logs, and `manifest.json` listing every other file
//! with its size and SHA-256. Records in the database stay sealed: a backup
//! is exactly as secret as the vault it came from.
//!
//! With `--encrypt` the finished zip is sealed under a backup passphrase
//! into `backup_YYYYMMDD_HHMMSS.zip.enc` (see [`sealed`] for the layout); the
//! plain zip exists only in a private staging directory while that runs.
//! The side files then name and cover the encrypted file, so its checksum
//! and signature can be checked without the passphrase. When the setting
//! `backup.gpg_key_id` names a key, gpg adds `<archive>.asc` (see [`gpg`]).
//!
//! Verification ([`verify`]) never trusts the archive: it checks names,
//! sizes (declared and actual), the manifest and the database, and only ever
//! writes into a private temporary directory; an encrypted archive is first
//! decrypted into one.

pub mod auto;
mod create;
pub mod gpg;
mod inspect;
mod manifest;
pub mod restore;
pub mod retention;
pub mod sealed;
pub mod signing;
mod verify;

use std::path::{Path, PathBuf};

pub use create::{create, create_from};
pub use manifest::{MANIFEST_FORMAT, Manifest, ManifestFile};
pub use sealed::{DecryptedArchive, SealedError, decrypt_to_temp};
pub use verify::{
    CheckStatus, Limits, VerifyCheck, VerifyReport, checks, verify, verify_archive, verify_with,
    verify_with_passphrase,
};

use crate::core::fsio::FileError;
use crate::core::kdf::KdfParams;
use crate::core::secret::SecretString;
use crate::core::store::StoreError;

/// The name of the database snapshot inside an archive.
pub const DB_NAME: &str = "passwords.db";
/// The name of the manifest inside an archive.
pub const MANIFEST_NAME: &str = "manifest.json";

/// What goes into a backup beyond the vault itself, and how it is
/// protected.
#[derive(Debug, Clone, Default)]
pub struct BackupOptions {
    /// Include `breach_cache.json` (cached breach-check answers).
    pub include_breach_cache: bool,
    /// Include the files of the log directory.
    pub include_logs: bool,
    /// Encrypt the archive (`.zip.enc`) under a backup passphrase.
    pub encryption: Option<Encryption>,
    /// Also sign the archive with this GPG key (`.asc`), if gpg is there.
    pub gpg_key_id: Option<String>,
}

/// The backup passphrase and the Argon2id settings to encrypt with.
#[derive(Clone)]
pub struct Encryption {
    /// The passphrase (not the master password, unless the user chose so).
    pub passphrase: SecretString,
    /// Argon2id settings written into the archive's header.
    pub kdf: KdfParams,
}

impl Encryption {
    /// Encryption under `passphrase` with the default Argon2id settings
    /// (64 MiB, 3 passes, 4 lanes, as for `.spmx` exports).
    pub fn new(passphrase: SecretString) -> Self {
        Self {
            passphrase,
            kdf: KdfParams::default(),
        }
    }
}

impl std::fmt::Debug for Encryption {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Encryption")
            .field("passphrase", &"..")
            .field("kdf", &self.kdf)
            .finish()
    }
}

/// What a finished backup wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupInfo {
    /// The archive (`.zip`, or `.zip.enc` when encrypted).
    pub path: PathBuf,
    /// The `sha256sum` side file.
    pub sha256_path: PathBuf,
    /// The signature side file.
    pub signature_path: PathBuf,
    /// The public key that verifies the signature (`backup_signing.pub`).
    pub public_key_path: PathBuf,
    /// The archive's size in bytes.
    pub size: u64,
    /// The archive's SHA-256, lowercase hex.
    pub sha256: String,
    /// Fingerprint of the signing key: the first 16 hex digits of the
    /// SHA-256 of the public key.
    pub key_fingerprint: String,
    /// The manifest stored in the archive.
    pub manifest: Manifest,
    /// Whether the archive is encrypted under a backup passphrase.
    pub encrypted: bool,
    /// The GPG signature (`.asc`), when one was written.
    pub gpg_signature_path: Option<PathBuf>,
    /// Things that went wrong without spoiling the backup (no gpg, a GPG
    /// key that could not sign), one sentence each, saying what to do.
    pub warnings: Vec<String>,
}

/// A backup could not be written. Nothing that looks like a complete
/// backup is left behind.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    /// A backup with the same name (taken the same second) exists.
    #[error("{} already exists; wait a second and take the backup again", path.display())]
    Exists {
        /// The archive that already exists.
        path: PathBuf,
    },
    /// A file every vault has is missing from the data directory.
    #[error(
        "{} is missing, so the vault cannot be backed up completely; run `doctor` to see \
         what is wrong with the data directory",
        path.display()
    )]
    MissingFile {
        /// The missing file.
        path: PathBuf,
    },
    /// `auth.json` could not be parsed, so the key mode is unknown.
    #[error("{} cannot be read ({detail}); run `doctor` before taking a backup", path.display())]
    BadAuthFile {
        /// The authentication file.
        path: PathBuf,
        /// What is wrong with it.
        detail: String,
    },
    /// Writing the zip failed.
    #[error("could not write the backup archive {}: {detail}; check free space and try again",
            path.display())]
    Zip {
        /// The archive being written (its temporary name).
        path: PathBuf,
        /// What the zip writer reported.
        detail: String,
    },
    /// Reading a source file or writing an output file failed.
    #[error(transparent)]
    File(#[from] FileError),
    /// The database snapshot failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Encrypting the archive failed.
    #[error(transparent)]
    Sealed(#[from] SealedError),
}

/// Whether the archive at `path` is an encrypted backup: its name ends in
/// `.enc`, or it begins with the encrypted format's magic bytes.
pub fn is_encrypted(path: &Path) -> bool {
    path.as_os_str()
        .to_string_lossy()
        .ends_with(sealed::EXTENSION)
        || sealed::has_magic(path)
}

/// Lowercase hex of some bytes.
pub(crate) fn to_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Bytes of a hex string of exactly `N` bytes (either case).
pub(crate) fn from_hex<const N: usize>(text: &str) -> Option<[u8; N]> {
    let text = text.as_bytes();
    if text.len() != 2 * N {
        return None;
    }
    let digit = |c: u8| (c as char).to_digit(16).map(|d| d as u8);
    let mut out = [0u8; N];
    for (i, pair) in text.chunks_exact(2).enumerate() {
        out[i] = digit(pair[0])? << 4 | digit(pair[1])?;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_print_no_passphrase() {
        let options = BackupOptions {
            encryption: Some(Encryption::new("hunter2-marker".into())),
            ..BackupOptions::default()
        };
        let printed = format!("{options:?} {options:#?}");
        assert!(!printed.contains("hunter2"), "{printed}");
        assert!(printed.contains("Encryption"), "{printed}");
    }

    #[test]
    fn hex_round_trips_and_rejects_bad_text() {
        assert_eq!(to_hex(&[0x00, 0xab, 0x7f]), "00ab7f");
        assert_eq!(from_hex::<3>("00AB7f"), Some([0x00, 0xab, 0x7f]));
        assert_eq!(from_hex::<3>("00ab7"), None);
        assert_eq!(from_hex::<2>("zz00"), None);
        assert_eq!(from_hex::<1>("é"), None);
    }
}
