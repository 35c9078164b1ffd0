//! Rotating the data key: a new key switched in beside the old one, every
//! record re-sealed in batches, the old key dropped last.

use super::*;

/// What a data key rotation did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rotated {
    /// The new data key's version.
    pub key_version: u32,
    /// Records re-encrypted (entries, history, categories, audit).
    pub records: usize,
    /// The new backup signing key's fingerprint.
    pub signing_fingerprint: String,
}

/// Records re-sealed per transaction.
pub(super) const BATCH: usize = 1000;

/// Rotates the data key: a new random key (and new salt, verifier and
/// wrapped key file, switched in under the journal with both keys), then
/// every record re-sealed in batches of transactions, then the old key
/// dropped. At every moment the master password opens the vault and every
/// record decrypts; an unlock that finds more than one key finishes the
/// re-sealing. `progress` gets (done, total) records. The caller holds the
/// writer lock.
pub fn rotate_data_key(
    paths: &Paths,
    current: &Credentials,
    factor: SecondFactor<'_>,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<Rotated, VaultError> {
    rotate_data_key_keyed(paths, current, factor, progress).map(|changed| changed.done)
}

/// [`rotate_data_key`] that also returns the new keyring and the new key
/// of `totp_config.json`, for a vault that stays open (the window).
pub(crate) fn rotate_data_key_keyed(
    paths: &Paths,
    current: &Credentials,
    factor: SecondFactor<'_>,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<KeyedChange<Rotated>, VaultError> {
    let plan = Plan {
        operation: "data key",
        rotate: true,
        revoke_tokens: false,
        mode: None,
        key_file: KeyFileChange::Keep,
    };
    let switched = switch(paths, current, factor, &current.password, None, &plan, None)?;
    let records = finish_rotation(paths, &switched.keys, &switched.kek, progress)?;
    let rotated = Rotated {
        key_version: switched.keys.active_version(),
        records,
        signing_fingerprint: publish_signing_key(paths, &switched.keys)?,
    };
    event!(
        info,
        events::PASSWORD_ROTATED,
        "data key rotated to version {} (reason key rotation): {} records re-encrypted, backup \
         signing key {}",
        rotated.key_version,
        rotated.records,
        rotated.signing_fingerprint
    );
    Ok(KeyedChange {
        done: rotated,
        keys: switched.keys.only_active(),
        two_factor_key: switched.two_factor_key,
    })
}

/// Re-seals every record not sealed with the active key, then rewrites
/// the key file with the active key alone. Returns how many records moved.
pub(crate) fn finish_rotation(
    paths: &Paths,
    keys: &crate::core::keys::Keyring,
    kek: &Key256,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<usize, VaultError> {
    use crate::core::store::{Store, tables};
    let active = keys.active_version();
    let mut store = Store::open(&paths.db())?;
    let total = store.count_not_sealed_with(active)?;
    let mut done = 0;
    progress(done, total);
    for table in [
        tables::ENTRIES,
        tables::HISTORY,
        tables::CATEGORIES,
        tables::AUDIT,
    ] {
        loop {
            let stale = store.rows_not_sealed_with(table, active, BATCH)?;
            if stale.is_empty() {
                break;
            }
            let mut resealed = Vec::with_capacity(stale.len());
            for row in &stale {
                let fresh = crate::core::vault::records::reseal(keys, table, row).map_err(|d| {
                    VaultError::Damaged {
                        id: d.short_id(),
                        reason: format!(
                            "{}; the key rotation stopped before it, and the vault still opens",
                            d.reason
                        ),
                    }
                })?;
                resealed.push(fresh);
            }
            store.write(|w| {
                for row in &resealed {
                    w.reseal(table, row)?;
                }
                Ok(())
            })?;
            done += resealed.len();
            progress(done, total);
        }
    }
    let migrating = paths.secret_key_migrating();
    if std::fs::symlink_metadata(&migrating).is_ok() {
        // Password-derived mode: the new key comes from the password alone
        // once no record needs the old one.
        std::fs::remove_file(&migrating).map_err(|e| FileError::io(&migrating, "remove", e))?;
        fsio::sync_dir(&paths.data_dir).map_err(|e| FileError::io(&paths.data_dir, "sync", e))?;
    } else if keys.versions().len() > 1 {
        let auth = current_auth(paths)?;
        let (key_path, key_name) = key_file_location(paths, auth.key_file_required);
        KeyFile::wrap(&keys.only_active(), kek, key_name).save(&key_path)?;
    }
    Ok(done)
}

/// Writes the backup signing key's public half for the active data key
/// (retiring the one before, so older backups still verify); returns its
/// fingerprint.
pub(super) fn publish_signing_key(
    paths: &Paths,
    keys: &crate::core::keys::Keyring,
) -> Result<String, VaultError> {
    use crate::core::backup::signing;
    let seed = crate::core::vault::backup::signing_seed(keys);
    let key = signing::signing_key(&seed);
    let public = key.verifying_key();
    signing::publish_public_key(&paths.data_dir, &public)?;
    Ok(signing::fingerprint(&public))
}
