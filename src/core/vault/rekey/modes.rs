//! Switching the key mode and key protection by a key file.

use super::*;

/// What a key mode or key file change did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeysChanged {
    /// Records re-encrypted (switching to password-derived mode moves
    /// every record to the derived key; the other changes only re-wrap).
    pub records: usize,
}

/// Switches the vault to `mode`: to password-derived, every record moves
/// to the key the master password derives; to file-key, the current data
/// key is wrapped in `secret.key` and no record changes. Crash-safe like a
/// master password change. The caller holds the writer lock.
pub fn change_key_mode(
    paths: &Paths,
    current: &Credentials,
    factor: SecondFactor<'_>,
    mode: KeyMode,
) -> Result<KeysChanged, VaultError> {
    if current_auth(paths)?.key_mode == mode {
        return Err(VaultError::Invalid(format!(
            "the vault is already in {mode} mode"
        )));
    }
    let plan = Plan {
        operation: "key mode",
        rotate: false,
        revoke_tokens: false,
        mode: Some(mode),
        key_file: KeyFileChange::Keep,
    };
    keys_change(paths, current, factor, &plan)
}

/// Turns key protection on: from now on `key_file` joins the master
/// password (file-key mode only). The caller holds the writer lock.
pub fn protect_with_key_file(
    paths: &Paths,
    current: &Credentials,
    factor: SecondFactor<'_>,
    key_file: &Path,
) -> Result<KeysChanged, VaultError> {
    let auth = current_auth(paths)?;
    if auth.key_file_required {
        return Err(VaultError::Invalid(
            "the vault is already protected by a key file; run `key unprotect` first to use \
             another one"
                .to_owned(),
        ));
    }
    if auth.key_mode == KeyMode::PasswordDerived {
        return Err(VaultError::Invalid(
            "a key file needs file-key mode; run `key mode file-key` first".to_owned(),
        ));
    }
    let plan = Plan {
        operation: "key file",
        rotate: false,
        revoke_tokens: false,
        mode: None,
        key_file: KeyFileChange::Add(key_file.to_path_buf()),
    };
    keys_change(paths, current, factor, &plan)
}

/// Turns key protection off: the master password alone opens the vault
/// again. `current` names the key file in use. The caller holds the
/// writer lock.
pub fn unprotect(
    paths: &Paths,
    current: &Credentials,
    factor: SecondFactor<'_>,
) -> Result<KeysChanged, VaultError> {
    if !current_auth(paths)?.key_file_required {
        return Err(VaultError::Invalid(
            "the vault is not protected by a key file".to_owned(),
        ));
    }
    let plan = Plan {
        operation: "key file",
        rotate: false,
        revoke_tokens: false,
        mode: None,
        key_file: KeyFileChange::Remove,
    };
    keys_change(paths, current, factor, &plan)
}

/// [`change_key_mode`] for a vault that stays open in this process: also
/// the data keys it goes on with and the new key of `totp_config.json`.
pub(crate) fn change_key_mode_for_open(
    paths: &Paths,
    current: &Credentials,
    mode: KeyMode,
) -> Result<(KeysChanged, crate::core::keys::Keyring, Key256), VaultError> {
    if current_auth(paths)?.key_mode == mode {
        return Err(VaultError::Invalid(format!(
            "the vault is already in {mode} mode"
        )));
    }
    let plan = Plan {
        operation: "key mode",
        rotate: false,
        revoke_tokens: false,
        mode: Some(mode),
        key_file: KeyFileChange::Keep,
    };
    keys_change_keyed(paths, current, SecondFactor::NotChecked, &plan)
}

fn keys_change(
    paths: &Paths,
    current: &Credentials,
    factor: SecondFactor<'_>,
    plan: &Plan,
) -> Result<KeysChanged, VaultError> {
    keys_change_keyed(paths, current, factor, plan).map(|(done, _, _)| done)
}

fn keys_change_keyed(
    paths: &Paths,
    current: &Credentials,
    factor: SecondFactor<'_>,
    plan: &Plan,
) -> Result<(KeysChanged, crate::core::keys::Keyring, Key256), VaultError> {
    let switched = switch(paths, current, factor, &current.password, None, plan, None)?;
    let records = if switched.derived_mode {
        finish_rotation(paths, &switched.keys, &switched.kek, &mut |_, _| {})?
    } else {
        0
    };
    event!(
        info,
        events::PASSWORD_ROTATED,
        "{} changed (reason key management): {records} records re-encrypted",
        plan.operation
    );
    Ok((
        KeysChanged { records },
        switched.keys.only_active(),
        switched.two_factor_key,
    ))
}
