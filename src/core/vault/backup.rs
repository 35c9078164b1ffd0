//! What a backup needs from an unlocked vault: a consistent copy of the
//! database and the key that signs the archive.

use std::path::Path;

use super::Vault;
use crate::core::crypto;
use crate::core::paths::Paths;
use crate::core::secret::Key256;
use crate::core::store::{Store, StoreError};

/// HKDF label of the backup signing key: its own purpose, so the seed says
/// nothing about the data key or any other subkey.
const BACKUP_SIGNING_LABEL: &[u8] = b"secure-password-manager/backup-signing/v1";

impl Vault {
    /// Writes a consistent, owner-only copy of the database to `path`
    /// (which must not exist), even while other connections write.
    pub fn snapshot_to(&self, path: &Path) -> Result<(), StoreError> {
        self.store.snapshot_to(path)
    }

    /// The 32-byte Ed25519 seed that signs this vault's backups, derived
    /// with HKDF from the active data key. It changes when the data key is
    /// rotated, so the published public key must be replaced then.
    pub fn backup_signing_key(&self) -> Key256 {
        signing_seed(&self.keys)
    }

    /// What a backup needs, detached from this vault so it can be taken on
    /// another thread while the vault stays in use.
    pub fn backup_source(&self) -> BackupSource {
        BackupSource {
            paths: self.paths.clone(),
            seed: self.backup_signing_key(),
        }
    }

    /// Decrypts every history record: (records that open, records that
    /// do not).
    pub fn check_history(&self) -> Result<(usize, usize), super::VaultError> {
        let (history, damaged) = self.all_history()?;
        Ok((history.values().map(Vec::len).sum(), damaged))
    }
}

/// The vault's paths and backup signing seed: everything a backup needs,
/// safe to move to a worker thread. The snapshot is taken through a
/// connection of its own, so the vault keeps working meanwhile.
pub struct BackupSource {
    paths: Paths,
    seed: Key256,
}

impl std::fmt::Debug for BackupSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BackupSource")
            .field("data_dir", &self.paths.data_dir)
            .finish_non_exhaustive()
    }
}

impl BackupSource {
    /// The vault's paths.
    pub fn paths(&self) -> &Paths {
        &self.paths
    }

    /// Writes a consistent, owner-only copy of the database to `path`.
    pub fn snapshot_to(&self, path: &Path) -> Result<(), StoreError> {
        Store::open(&self.paths.db())?.snapshot_to(path)
    }

    /// The seed of the backup signing key ([`Vault::backup_signing_key`]).
    pub fn backup_signing_key(&self) -> Key256 {
        self.seed.clone()
    }
}

/// The backup signing key's seed for the keyring's active data key.
pub(crate) fn signing_seed(keys: &crate::core::keys::Keyring) -> Key256 {
    crypto::hkdf_subkey(keys.active_key().expose(), BACKUP_SIGNING_LABEL)
}
