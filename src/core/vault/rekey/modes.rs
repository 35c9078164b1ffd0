//! Switching the key mode and key protection by a key file.

use super::*;

/// A change to how the data key is kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyChange {
    /// To this key mode: to password-derived, every record moves to the key
    /// the master password derives; to file-key, the current data key is
    /// wrapped in `secret.key` and no record changes.
    Mode(KeyMode),
    /// Key protection on: from now on this key file joins the master
    /// password (file-key mode only).
    Protect(PathBuf),
    /// Key protection off: the master password alone opens the vault again
    /// (the credentials name the key file in use).
    Unprotect,
}

/// What a key mode or key file change did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeysChanged {
    /// Records re-encrypted (switching to password-derived mode moves
    /// every record to the derived key; the other changes only re-wrap).
    pub records: usize,
}

/// Checks that `change` applies to the vault in `paths` as it is now;
/// the error says why not, and what to do instead.
pub fn plan_key_change(paths: &Paths, change: &KeyChange) -> Result<(), VaultError> {
    plan(paths, change).map(|_| ())
}

fn plan(paths: &Paths, change: &KeyChange) -> Result<Plan, VaultError> {
    let auth = current_auth(paths)?;
    let (mode, key_file) = match change {
        KeyChange::Mode(mode) => {
            if auth.key_mode == *mode {
                return Err(VaultError::Invalid(format!(
                    "the vault is already in {mode} mode"
                )));
            }
            (Some(*mode), KeyFileChange::Keep)
        }
        KeyChange::Protect(key_file) => {
            if auth.key_file_required {
                return Err(VaultError::Invalid(
                    "the vault is already protected by a key file; turn key protection off \
                     first (`key unprotect`) to use another one"
                        .to_owned(),
                ));
            }
            if auth.key_mode == KeyMode::PasswordDerived {
                return Err(VaultError::Invalid(
                    "a key file needs file-key mode; switch to it first (`key mode file-key`)"
                        .to_owned(),
                ));
            }
            super::super::check_new_key_file(key_file, paths)?;
            (None, KeyFileChange::Add(key_file.clone()))
        }
        KeyChange::Unprotect => {
            if !auth.key_file_required {
                return Err(VaultError::Invalid(
                    "the vault is not protected by a key file".to_owned(),
                ));
            }
            (None, KeyFileChange::Remove)
        }
    };
    Ok(Plan {
        operation: if mode.is_some() {
            "key mode"
        } else {
            "key file"
        },
        rotate: false,
        revoke_tokens: false,
        mode,
        key_file,
    })
}

/// Makes `change`, crash-safely like a master password change: the new
/// files switched in under the journal, then (to password-derived mode)
/// every record moved in transactions. `progress` gets (done, total)
/// records. The caller holds the writer lock.
pub fn change_keys(
    paths: &Paths,
    current: &Credentials,
    factor: SecondFactor<'_>,
    change: &KeyChange,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<KeysChanged, VaultError> {
    keys_change_keyed(paths, current, factor, change, progress).map(|changed| changed.done)
}

/// [`change_keys`] that also returns the keys to go on with, for a vault
/// that stays open in this process.
pub(crate) fn keys_change_keyed(
    paths: &Paths,
    current: &Credentials,
    factor: SecondFactor<'_>,
    change: &KeyChange,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<KeyedChange<KeysChanged>, VaultError> {
    let plan = plan(paths, change)?;
    let switched = switch(paths, current, factor, &current.password, None, &plan, None)?;
    let records = if switched.derived_mode {
        let moved = finish_rotation(paths, &switched.keys, &switched.kek, progress)?;
        rotate::publish_signing_key(paths, &switched.keys)?;
        moved
    } else {
        0
    };
    event!(
        info,
        events::PASSWORD_ROTATED,
        "{} changed (reason key management): {records} records re-encrypted",
        plan.operation
    );
    Ok(KeyedChange {
        done: KeysChanged { records },
        keys: switched.keys.only_active(),
        two_factor_key: switched.two_factor_key,
    })
}
