//! Re-deriving the vault's keys with new Argon2id parameters: a master
//! password change to the same password (see [`super::rekey`], which makes
//! it crash-safe), then one timed derivation with the new files to show
//! what an unlock now costs.

use std::time::{Duration, Instant};

use super::rekey::{KeyedChange, change_keyed};
use super::unlock::{SecondFactor, read_key_file};
use super::{Credentials, VaultError};
use crate::core::auth::AuthFile;
use crate::core::events;
use crate::core::fsio;
use crate::core::kdf::{self, KdfParams, SaltFile};
use crate::core::paths::Paths;
use crate::event;

/// What re-deriving with new parameters did.
#[derive(Debug, Clone)]
pub struct KdfChanged {
    /// The parameters before.
    pub old: KdfParams,
    /// The parameters now in `crypto.salt`.
    pub new: KdfParams,
    /// How long deriving the keys with the new parameters took, timed
    /// after the change: what each unlock now spends in Argon2id.
    pub unlock: Duration,
    /// Browser bridge tokens revoked (as by any master password change).
    pub tokens_revoked: usize,
    /// Records re-encrypted (password-derived mode, where the data key
    /// comes from the password and the parameters; none in file-key mode).
    pub records: usize,
}

/// The Argon2id parameters in the vault's `crypto.salt`.
pub fn current_params(paths: &Paths) -> Result<KdfParams, VaultError> {
    Ok(read_salt(paths)?.params())
}

/// Re-derives every key with `params` under the same master password (and
/// key file): new salt, `auth.json`, wrapped key and `totp_config.json`,
/// crash-safely. `factor` is the two-factor code when two-factor unlock is
/// on. The caller holds the writer lock. Refused, with nothing changed,
/// for parameters below the floor. In password-derived key mode every
/// record is re-encrypted under the new derived key; `progress` gets
/// (done, total) records.
pub fn change_kdf_params(
    paths: &Paths,
    credentials: &Credentials,
    factor: SecondFactor<'_>,
    params: KdfParams,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<KdfChanged, VaultError> {
    change_kdf_params_keyed(paths, credentials, factor, params, progress).map(|c| c.done)
}

/// [`change_kdf_params`] that also returns the keys to go on with, for a
/// vault that stays open in this process.
pub(crate) fn change_kdf_params_keyed(
    paths: &Paths,
    credentials: &Credentials,
    factor: SecondFactor<'_>,
    params: KdfParams,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<KeyedChange<KdfChanged>, VaultError> {
    params.validate()?;
    let old = current_params(paths)?;
    let changed = change_keyed(
        paths,
        credentials,
        factor,
        &credentials.password,
        Some(params),
        None,
        progress,
    )?;

    // Time the new derivation and check it against the new verifier, so
    // the report also proves that the new files open.
    let salt = read_salt(paths)?;
    let salt_value = salt
        .salt_bytes()
        .map_err(|detail| VaultError::CorruptFile {
            path: paths.salt(),
            detail,
        })?;
    let digest = credentials
        .key_file
        .as_deref()
        .map(|path| read_key_file(path, 0))
        .transpose()?;
    let started = Instant::now();
    let derived = kdf::derive(
        &salt.params(),
        &salt_value,
        &credentials.password,
        digest.as_ref(),
    )?;
    let unlock = started.elapsed();
    let auth_bytes = fsio::read_optional(&paths.auth())?
        .ok_or(VaultError::MissingFile { path: paths.auth() })?;
    let auth = AuthFile::parse(&auth_bytes).map_err(|detail| VaultError::CorruptFile {
        path: paths.auth(),
        detail,
    })?;
    if !auth.verify(&derived.auth) {
        return Err(VaultError::Invalid(
            "the new key files do not accept the master password; restore a backup".to_owned(),
        ));
    }
    event!(
        info,
        events::KDF_CHANGED,
        "Argon2id parameters changed from {} KiB, t={}, p={} to {} KiB, t={}, p={}",
        old.m_cost_kib,
        old.t_cost,
        old.p_cost,
        params.m_cost_kib,
        params.t_cost,
        params.p_cost
    );
    Ok(KeyedChange {
        done: KdfChanged {
            old,
            new: salt.params(),
            unlock,
            tokens_revoked: changed.done.tokens_revoked,
            records: changed.done.records,
        },
        keys: changed.keys,
        two_factor_key: changed.two_factor_key,
    })
}

fn read_salt(paths: &Paths) -> Result<SaltFile, VaultError> {
    let bytes = fsio::read_optional(&paths.salt())?
        .ok_or(VaultError::MissingFile { path: paths.salt() })?;
    SaltFile::parse(&bytes).map_err(|detail| VaultError::CorruptFile {
        path: paths.salt(),
        detail,
    })
}
