//! Changing the master password without ever leaving a vault that no
//! password opens.
//!
//! The files a master password reaches (`crypto.salt`, `auth.json`, the
//! wrapped key file and `totp_config.json`) are written complete beside the
//! live ones as `NAME.next`. The commit point is the atomic write of
//! `key-change.journal`, which names them. Then each `.next` file is renamed
//! over its original, the browser bridge's tokens are revoked, and the
//! journal is removed.
//!
//! A crash before the journal exists leaves the old files whole (the
//! stray `.next` files are removed later: the old password opens the vault);
//! a crash after it leaves a journal that the next program to open the data
//! directory, or the next unlock, finishes (the new password opens it). No
//! record is touched: in file-key mode the data key is only re-wrapped.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::unlock::{SecondFactor, authenticate_with, read_key_file};
use super::{Credentials, VaultError, key_file_location};
use crate::core::auth::AuthFile;
use crate::core::bridge::tokens::TokenStore;
use crate::core::events;
use crate::core::fsio::{self, FileError};
use crate::core::kdf::{self, KdfParams, SaltFile};
use crate::core::keys::{KeyFile, KeyMode};
use crate::core::lock;
use crate::core::paths::Paths;
use crate::core::secret::{Key256, SecretString};
use crate::core::two_factor;
use crate::event;

/// The journal's name in the data directory.
pub const JOURNAL_FILE: &str = "key-change.journal";
/// What a file being switched in is called until then.
const NEXT_SUFFIX: &str = ".next";
const JOURNAL_FORMAT: &str = "secure-password-manager key change v1";
/// How long the switch waits for an unlock in another process.
const TURN_PATIENCE: std::time::Duration = std::time::Duration::from_secs(30);

/// Enough to finish a change that was interrupted after its commit.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Journal {
    format: String,
    /// What is being changed, for messages (`master password`).
    operation: String,
    /// Names in the data directory, each with a complete `NAME.next`.
    files: Vec<String>,
    /// Revoke every browser bridge token once the files are in.
    revoke_tokens: bool,
}

/// What a master password change did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasswordChanged {
    /// Files rewritten.
    pub files: usize,
    /// Browser bridge tokens revoked.
    pub tokens_revoked: usize,
}

/// A step of [`change_master_password`], for tests that stop it there as a
/// crash would.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Step {
    /// The `.next` files are written.
    Prepared,
    /// The journal is written (committed).
    Committed,
    /// The first `.next` file is renamed in.
    FirstRenamed,
    /// Every file is in and the tokens are revoked; the journal remains.
    Switched,
}

/// Changes the master password of the vault in `paths` from `current`'s to
/// `new_password` (the key file, if any, stays), optionally with new KDF
/// parameters. The caller holds the writer lock. `factor` is the
/// two-factor code when the caller has not checked one already.
pub fn change_master_password(
    paths: &Paths,
    current: &Credentials,
    factor: SecondFactor<'_>,
    new_password: &SecretString,
    params: Option<KdfParams>,
) -> Result<PasswordChanged, VaultError> {
    change_until(paths, current, factor, new_password, params, None).map(|(done, _)| done)
}

/// [`change_master_password`] that also returns the new key of
/// `totp_config.json`, for a vault that stays open (the window).
pub(crate) fn change_master_password_keyed(
    paths: &Paths,
    current: &Credentials,
    factor: SecondFactor<'_>,
    new_password: &SecretString,
    params: Option<KdfParams>,
) -> Result<(PasswordChanged, Key256), VaultError> {
    change_until(paths, current, factor, new_password, params, None)
}

/// [`change_master_password`] that stops after `stop` as if the process
/// died there (for crash tests).
#[doc(hidden)]
pub fn change_until(
    paths: &Paths,
    current: &Credentials,
    factor: SecondFactor<'_>,
    new_password: &SecretString,
    params: Option<KdfParams>,
    stop: Option<Step>,
) -> Result<(PasswordChanged, Key256), VaultError> {
    if new_password.is_blank() {
        return Err(VaultError::EmptyPassword);
    }
    // (The unlock finishes an earlier interrupted change first.)
    let unlocked = authenticate_with(paths, current, factor)?;
    let auth_path = paths.auth();
    let auth_bytes = fsio::read_optional(&auth_path)?.ok_or(VaultError::MissingFile {
        path: auth_path.clone(),
    })?;
    let auth = AuthFile::parse(&auth_bytes).map_err(|detail| VaultError::CorruptFile {
        path: auth_path.clone(),
        detail,
    })?;
    if auth.key_mode == KeyMode::PasswordDerived {
        return Err(VaultError::Invalid(
            "in password-derived key mode the data key comes from the master password, so \
             changing it means re-encrypting every record, which this version does not do yet; \
             switch to file-key mode first, or export and import into a new vault"
                .to_owned(),
        ));
    }
    let salt_bytes = fsio::read_optional(&paths.salt())?
        .ok_or(VaultError::MissingFile { path: paths.salt() })?;
    let old_salt = SaltFile::parse(&salt_bytes).map_err(|detail| VaultError::CorruptFile {
        path: paths.salt(),
        detail,
    })?;
    let params = params.unwrap_or_else(|| old_salt.params());
    params.validate()?;
    kdf::check_memory(&params)?;
    let digest = current
        .key_file
        .as_deref()
        .map(|path| read_key_file(path, 0))
        .transpose()?;

    let salt = SaltFile::generate(params);
    let salt_value = salt.salt_bytes().map_err(VaultError::Invalid)?;
    let derived = kdf::derive(&params, &salt_value, new_password, digest.as_ref())?;
    let (key_path, key_name) = key_file_location(paths, auth.key_file_required);
    let new_two_factor = two_factor::file_key(&derived.kek);
    let totp = two_factor::resealed(paths, &unlocked.two_factor_key, &new_two_factor)?;

    // The rest happens in the directory's turn, so no unlock reads the
    // files (or clears the `.next` ones) half-way.
    let _turn = lock::lock_directory(&paths.data_dir, TURN_PATIENCE).map_err(|e| match e {
        lock::LockError::Busy { .. } => VaultError::UnlockBusy,
        lock::LockError::File(e) => VaultError::File(e),
    })?;
    // Every new file complete beside its original.
    let mut files = vec![
        file_name(&paths.salt()),
        file_name(&auth_path),
        key_name.to_owned(),
    ];
    clear_next_files(paths)?;
    salt.save(&next(&paths.salt()))?;
    auth.rekeyed(&derived.auth, &salt).save(&next(&auth_path))?;
    KeyFile::wrap(&unlocked.keys, &derived.kek, key_name).save(&next(&key_path))?;
    if let Some(bytes) = totp {
        fsio::write_atomic(&next(&paths.totp_config()), &bytes)?;
        files.push(file_name(&paths.totp_config()));
    }
    if stop == Some(Step::Prepared) {
        return Ok((stopped(), new_two_factor));
    }

    // The commit point.
    let journal = Journal {
        format: JOURNAL_FORMAT.to_owned(),
        operation: "master password".to_owned(),
        files,
        revoke_tokens: true,
    };
    let text = serde_json::to_vec_pretty(&journal).unwrap_or_default();
    fsio::write_atomic(&paths.data_dir.join(JOURNAL_FILE), &text)?;
    if stop == Some(Step::Committed) {
        return Ok((stopped(), new_two_factor));
    }
    let done = apply(paths, &journal, stop)?;
    if stop.is_none() {
        event!(
            info,
            events::PASSWORD_ROTATED,
            "master password changed (reason master): {} files rewritten, {} browser tokens \
             revoked",
            done.files,
            done.tokens_revoked
        );
    }
    Ok((done, new_two_factor))
}

fn stopped() -> PasswordChanged {
    PasswordChanged {
        files: 0,
        tokens_revoked: 0,
    }
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

fn next(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(NEXT_SUFFIX);
    path.with_file_name(name)
}

/// The files a change may rewrite.
fn candidates(paths: &Paths) -> [PathBuf; 5] {
    [
        paths.salt(),
        paths.auth(),
        paths.secret_key(),
        paths.secret_key_enc(),
        paths.totp_config(),
    ]
}

/// Removes `.next` files left by a change that never committed.
fn clear_next_files(paths: &Paths) -> Result<usize, FileError> {
    let mut removed = 0;
    for path in candidates(paths) {
        let stray = next(&path);
        match std::fs::remove_file(&stray) {
            Ok(()) => removed += 1,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(FileError::io(&stray, "remove", e)),
        }
    }
    Ok(removed)
}

/// Renames the journal's files in (those still waiting), revokes the
/// tokens, removes the journal.
fn apply(
    paths: &Paths,
    journal: &Journal,
    stop: Option<Step>,
) -> Result<PasswordChanged, VaultError> {
    let allowed: Vec<String> = candidates(paths).iter().map(|p| file_name(p)).collect();
    let mut renamed = 0;
    for name in &journal.files {
        // A journal names only the vault's own files.
        if !allowed.contains(name) {
            return Err(VaultError::CorruptFile {
                path: paths.data_dir.join(JOURNAL_FILE),
                detail: format!("it names {name:?}, which is not a key file"),
            });
        }
        let live = paths.data_dir.join(name);
        let waiting = next(&live);
        match std::fs::rename(&waiting, &live) {
            Ok(()) => renamed += 1,
            // Renamed before the interruption.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(FileError::io(&waiting, "rename", e).into()),
        }
        if stop == Some(Step::FirstRenamed) {
            return Ok(stopped());
        }
    }
    fsio::sync_dir(&paths.data_dir).map_err(|e| FileError::io(&paths.data_dir, "sync", e))?;
    let revoked = if journal.revoke_tokens {
        revoke_tokens(paths)?
    } else {
        0
    };
    if stop == Some(Step::Switched) {
        return Ok(stopped());
    }
    let journal_path = paths.data_dir.join(JOURNAL_FILE);
    std::fs::remove_file(&journal_path).map_err(|e| FileError::io(&journal_path, "remove", e))?;
    fsio::sync_dir(&paths.data_dir).map_err(|e| FileError::io(&paths.data_dir, "sync", e))?;
    Ok(PasswordChanged {
        files: journal.files.len().max(renamed),
        tokens_revoked: revoked,
    })
}

/// Revokes every browser bridge token by removing the token file (the
/// caller holds the directory's turn, which the token store's own
/// revocation would wait for). The service reads the file at every
/// request, so the tokens stop working at once.
fn revoke_tokens(paths: &Paths) -> Result<usize, VaultError> {
    let path = paths.bridge_tokens();
    // An unreadable file is removed all the same: no token survives.
    let count = TokenStore::load(&path).map_or(0, |store| store.list().len());
    match std::fs::remove_file(&path) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
        Err(e) => return Err(FileError::io(&path, "remove", e).into()),
    }
    if count > 0 {
        event!(
            info,
            events::BROWSER_BRIDGE_TOKEN_REVOKED,
            "{count} browser bridge tokens revoked: the master password changed"
        );
    }
    Ok(count)
}

/// Finishes a change that was interrupted after its commit, or removes
/// what one left before it; says what it did. Every unlock runs this
/// first, in its turn, so the files it reads are all old or all new.
pub fn finish_interrupted_in_turn(paths: &Paths) -> Result<Option<String>, VaultError> {
    let journal_path = paths.data_dir.join(JOURNAL_FILE);
    let Some(bytes) = fsio::read_optional(&journal_path)? else {
        let removed = clear_next_files(paths)?;
        if removed == 0 {
            return Ok(None);
        }
        let note = "an interrupted master password change was rolled back; the previous \
                    master password still opens the vault"
            .to_owned();
        event!(warn, events::PASSWORD_ROTATED, "{note}");
        return Ok(Some(note));
    };
    let journal: Journal = serde_json::from_slice(&bytes)
        .ok()
        .filter(|j: &Journal| j.format == JOURNAL_FORMAT)
        .ok_or_else(|| VaultError::CorruptFile {
            path: journal_path.clone(),
            detail: "not a key change journal this version writes".to_owned(),
        })?;
    let done = apply(paths, &journal, None)?;
    let note = format!(
        "finished an interrupted {} change: the new one opens the vault ({} browser tokens \
         revoked)",
        journal.operation, done.tokens_revoked
    );
    event!(info, events::PASSWORD_ROTATED, "{note} (reason master)");
    Ok(Some(note))
}

/// [`finish_interrupted_in_turn`] for callers outside an unlock (the
/// command line at start): takes the directory's turn first.
pub fn finish_interrupted(paths: &Paths) -> Result<Option<String>, VaultError> {
    let journal = paths.data_dir.join(JOURNAL_FILE);
    let stray = candidates(paths).iter().any(|p| next(p).exists());
    if !journal.exists() && !stray {
        return Ok(None);
    }
    let _turn = lock::lock_directory(&paths.data_dir, TURN_PATIENCE).map_err(|e| match e {
        lock::LockError::Busy { .. } => VaultError::UnlockBusy,
        lock::LockError::File(e) => VaultError::File(e),
    })?;
    finish_interrupted_in_turn(paths)
}

#[cfg(test)]
mod tests;
