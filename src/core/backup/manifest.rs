//! `manifest.json`: what an archive claims to hold.

use serde::{Deserialize, Serialize};

use crate::core::keys::KeyMode;

/// The value of the manifest's `format` field for this layout.
pub const MANIFEST_FORMAT: &str = "secure-password-manager-backup/1";

/// The largest manifest a verifier reads; a real one is a few KiB.
pub(super) const MAX_MANIFEST_BYTES: u64 = 1024 * 1024;

/// Describes a backup archive and every other file in it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// The archive layout ([`MANIFEST_FORMAT`]).
    pub format: String,
    /// The version of the program that wrote it.
    pub product_version: String,
    /// The database schema version of the snapshot.
    pub schema_version: u32,
    /// How the vault's data key was kept.
    pub key_mode: KeyMode,
    /// Whether unlocking needs a key file (which is never in the archive).
    pub key_file_required: bool,
    /// When the backup was taken, RFC 3339 in UTC.
    pub created_at: String,
    /// Entry rows in the snapshot, trashed ones included.
    pub entry_count: u64,
    /// Every file of the archive except the manifest itself.
    pub files: Vec<ManifestFile>,
}

/// One file listed in the manifest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ManifestFile {
    /// Its name inside the archive (`passwords.db`, `logs/…`).
    pub path: String,
    /// Its size in bytes.
    pub size: u64,
    /// Its SHA-256, lowercase hex.
    pub sha256: String,
}

impl Manifest {
    /// The listed file with this archive name.
    pub fn file(&self, path: &str) -> Option<&ManifestFile> {
        self.files.iter().find(|f| f.path == path)
    }
}
