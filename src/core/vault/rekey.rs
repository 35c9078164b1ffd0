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

use super::unlock::{SecondFactor, authenticate_with, confirm_key_file_unchanged, read_key_file};
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
/// Far more than any journal this program writes.
const MAX_JOURNAL_BYTES: u64 = 64 * 1024;
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
    /// Names in the data directory removed once the files are in (the key
    /// file a new key mode or key file replaces).
    #[serde(default)]
    remove: Vec<String>,
}

/// What a master password change did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasswordChanged {
    /// Files rewritten.
    pub files: usize,
    /// Browser bridge tokens revoked.
    pub tokens_revoked: usize,
    /// Records re-encrypted (password-derived mode, where the data key
    /// comes from the password; none in file-key mode).
    pub records: usize,
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
/// `progress` gets (done, total) records when they move to a new key
/// (password-derived mode).
pub fn change_master_password(
    paths: &Paths,
    current: &Credentials,
    factor: SecondFactor<'_>,
    new_password: &SecretString,
    params: Option<KdfParams>,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<PasswordChanged, VaultError> {
    change_keyed(paths, current, factor, new_password, params, None, progress)
        .map(|changed| changed.done)
}

/// What a change leaves for a vault that stays open in this process.
pub(crate) struct KeyedChange<T> {
    /// What the change did.
    pub done: T,
    /// The data keys to go on with (new ones in password-derived mode).
    pub keys: crate::core::keys::Keyring,
    /// The new key of `totp_config.json`.
    pub two_factor_key: Key256,
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
    change_keyed(
        paths,
        current,
        factor,
        new_password,
        params,
        stop,
        &mut |_, _| {},
    )
    .map(|changed| (changed.done, changed.two_factor_key))
}

/// [`change_master_password`] (stopping after `stop`, for crash tests)
/// that also returns the keys to go on with.
pub(crate) fn change_keyed(
    paths: &Paths,
    current: &Credentials,
    factor: SecondFactor<'_>,
    new_password: &SecretString,
    params: Option<KdfParams>,
    stop: Option<Step>,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<KeyedChange<PasswordChanged>, VaultError> {
    // The same password with new KDF parameters (`kdf apply`) is no
    // reason to end the browsers' pairings.
    let same_password = new_password.ct_eq(&current.password);
    let plan = Plan {
        operation: if same_password {
            "key derivation"
        } else {
            "master password"
        },
        rotate: false,
        revoke_tokens: !same_password,
        mode: None,
        key_file: KeyFileChange::Keep,
    };
    let mut switched = switch(paths, current, factor, new_password, params, &plan, stop)?;
    if switched.derived_mode && stop.is_none() {
        switched.done.records = finish_rotation(paths, &switched.keys, &switched.kek, progress)?;
        rotate::publish_signing_key(paths, &switched.keys)?;
    }
    Ok(KeyedChange {
        done: switched.done,
        keys: switched.keys.only_active(),
        two_factor_key: switched.two_factor_key,
    })
}

/// What a switch of the key files does besides the new password.
struct Plan {
    /// For messages: `master password`, `data key`.
    operation: &'static str,
    /// Add a new data key, which becomes the active one.
    rotate: bool,
    /// Revoke every browser bridge token.
    revoke_tokens: bool,
    /// The key mode afterwards (`None`: as it is).
    mode: Option<KeyMode>,
    /// The key file afterwards.
    key_file: KeyFileChange,
}

/// What a switch does to the key file that joins the master password.
enum KeyFileChange {
    /// As it is.
    Keep,
    /// This file joins from now on (key protection on).
    Add(PathBuf),
    /// None from now on (key protection off).
    Remove,
}

/// What a switch leaves for the caller.
struct Switched {
    done: PasswordChanged,
    two_factor_key: Key256,
    /// The data keys as now wrapped in the key file.
    keys: crate::core::keys::Keyring,
    /// The key that wraps them.
    kek: Key256,
    /// Password-derived mode: the records must move to the new key.
    derived_mode: bool,
}

/// New salt, verifier, wrapped key file (and re-sealed two-factor file)
/// for `new_password`, switched in under the journal.
fn switch(
    paths: &Paths,
    current: &Credentials,
    factor: SecondFactor<'_>,
    new_password: &SecretString,
    params: Option<KdfParams>,
    plan: &Plan,
    stop: Option<Step>,
) -> Result<Switched, VaultError> {
    if new_password.is_blank() {
        return Err(VaultError::EmptyPassword);
    }
    // (The unlock finishes an earlier interrupted change first.)
    let mut unlocked = authenticate_with(paths, current, factor)?;
    let auth_path = paths.auth();
    let auth = current_auth(paths)?;
    // In password-derived mode the data key comes from the password and
    // salt, so any change there gives a new one that every record must
    // move to (and a move left half-way is finished first).
    let to_mode = plan.mode.unwrap_or(auth.key_mode);
    let derived_mode = to_mode == KeyMode::PasswordDerived;
    let key_file_after = match &plan.key_file {
        KeyFileChange::Keep => auth.key_file_required,
        KeyFileChange::Add(_) => true,
        KeyFileChange::Remove => false,
    };
    if derived_mode && key_file_after {
        return Err(VaultError::Invalid(
            "a key file needs file-key mode; run `key unprotect` first, or keep file-key mode"
                .to_owned(),
        ));
    }
    if unlocked.keys.versions().len() > 1 {
        // A rotation or move stopped half-way is finished before the next.
        finish_rotation(paths, &unlocked.keys, &unlocked.kek, &mut |_, _| {})?;
        unlocked.keys = unlocked.keys.only_active();
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
    let digest = match &plan.key_file {
        // The bytes that just opened the vault, not a second read.
        KeyFileChange::Keep => unlocked.key_file_digest.take(),
        KeyFileChange::Add(path) => Some(read_key_file(path, kdf::MIN_KEY_FILE_BYTES)?),
        KeyFileChange::Remove => None,
    };

    let salt = SaltFile::generate(params);
    let salt_value = salt.salt_bytes().map_err(VaultError::Invalid)?;
    let derived = kdf::derive(&params, &salt_value, new_password, digest.as_ref())?;
    let (key_path, key_name) = if derived_mode {
        (paths.secret_key_migrating(), super::unlock::MIGRATING_NAME)
    } else {
        key_file_location(paths, key_file_after)
    };
    // The key file this change leaves behind, removed once it is in.
    let remove: Vec<String> = if auth.key_mode == KeyMode::FileKey {
        let (_, old_name) = key_file_location(paths, auth.key_file_required);
        (old_name != key_name)
            .then(|| old_name.to_owned())
            .into_iter()
            .collect()
    } else {
        Vec::new()
    };
    let new_two_factor = two_factor::file_key(&derived.kek);
    #[cfg(test)]
    tests::before_turn(paths);

    // The rest happens in the directory's turn, so no unlock reads the
    // files (or clears the `.next` ones) half-way.
    let _turn = lock::lock_directory(&paths.data_dir, TURN_PATIENCE).map_err(|e| match e {
        lock::LockError::Busy { .. } => VaultError::UnlockBusy,
        lock::LockError::File(e) => VaultError::File(e),
    })?;
    // Read again in the turn: an unlock elsewhere during the derivation
    // may have counted a failed attempt or used a two-factor or recovery
    // code, and the new files must carry that, not undo it.
    let auth = current_auth(paths)?;
    let totp = two_factor::resealed(paths, &unlocked.two_factor_key, &new_two_factor)?;
    // Every new file complete beside its original.
    let mut files = vec![
        file_name(&paths.salt()),
        file_name(&auth_path),
        key_name.to_owned(),
    ];
    clear_next_files(paths)?;
    salt.save(&next(&paths.salt()))?;
    let keys = if derived_mode {
        // The old key, and the new password's as the next version: what
        // opens every record until the last one moved.
        let next_version = unlocked.keys.versions().last().copied().unwrap_or(0) + 1;
        unlocked
            .keys
            .with_active(derived.password_data_key.clone(), next_version)
    } else if plan.rotate {
        unlocked.keys.rotated()
    } else {
        unlocked.keys.clone()
    };
    let mut next_auth = auth.rekeyed_as(&derived.auth, &salt, to_mode, key_file_after);
    if derived_mode {
        next_auth.data_key_version = keys.active_version();
    }
    next_auth.save(&next(&auth_path))?;
    KeyFile::wrap(&keys, &derived.kek, key_name).save(&next(&key_path))?;
    if let Some(bytes) = totp {
        fsio::write_atomic(&next(&paths.totp_config()), &bytes)?;
        files.push(file_name(&paths.totp_config()));
    }
    let switched = |done| Switched {
        done,
        two_factor_key: new_two_factor.clone(),
        keys: keys.clone(),
        kek: derived.kek.clone(),
        derived_mode,
    };
    if stop == Some(Step::Prepared) {
        return Ok(switched(stopped()));
    }

    // A new key file must still hold what the keys were derived from, or
    // the committed vault would open with nothing.
    if let (KeyFileChange::Add(path), Some(digest)) = (&plan.key_file, &digest)
        && let Err(e) = confirm_key_file_unchanged(path, digest)
    {
        clear_next_files(paths)?;
        return Err(e);
    }

    // The commit point.
    let journal = Journal {
        format: JOURNAL_FORMAT.to_owned(),
        operation: plan.operation.to_owned(),
        files,
        revoke_tokens: plan.revoke_tokens,
        remove,
    };
    let text = serde_json::to_vec_pretty(&journal).unwrap_or_default();
    fsio::write_atomic(&paths.data_dir.join(JOURNAL_FILE), &text)?;
    if stop == Some(Step::Committed) {
        return Ok(switched(stopped()));
    }
    let done = apply(paths, &journal, stop)?;
    if stop.is_none() && plan.revoke_tokens {
        event!(
            info,
            events::PASSWORD_ROTATED,
            "master password changed (reason master): {} files rewritten, {} browser tokens \
             revoked",
            done.files,
            done.tokens_revoked
        );
    }
    Ok(switched(done))
}

fn stopped() -> PasswordChanged {
    PasswordChanged {
        files: 0,
        tokens_revoked: 0,
        records: 0,
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
fn candidates(paths: &Paths) -> [PathBuf; 6] {
    [
        paths.salt(),
        paths.auth(),
        paths.secret_key(),
        paths.secret_key_enc(),
        paths.secret_key_migrating(),
        paths.totp_config(),
    ]
}

/// Removes `.next` files left by a change that never committed.
fn clear_next_files(paths: &Paths) -> Result<usize, FileError> {
    let mut removed = 0;
    for path in candidates(paths) {
        let stray = next(&path);
        // Looked for first: on a read-only file system even removing a
        // file that is not there fails.
        if std::fs::symlink_metadata(&stray).is_err() {
            continue;
        }
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
    check_journal(paths, journal)?;
    for name in &journal.files {
        let live = paths.data_dir.join(name);
        let waiting = next(&live);
        match std::fs::rename(&waiting, &live) {
            Ok(()) => {}
            // Renamed before the interruption.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(FileError::io(&waiting, "rename", e).into()),
        }
        if stop == Some(Step::FirstRenamed) {
            return Ok(stopped());
        }
    }
    for name in &journal.remove {
        let old = paths.data_dir.join(name);
        match std::fs::remove_file(&old) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(FileError::io(&old, "remove", e).into()),
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
        files: journal.files.len(),
        tokens_revoked: revoked,
        records: 0,
    })
}

/// Refuses a journal that names anything but the vault's key files, or
/// that would remove a wrapped key file the vault needs once its files are
/// in. Checked before anything moves, so a damaged or planted journal
/// changes nothing.
fn check_journal(paths: &Paths, journal: &Journal) -> Result<(), VaultError> {
    let damaged = |detail: String| VaultError::CorruptFile {
        path: paths.data_dir.join(JOURNAL_FILE),
        detail,
    };
    let allowed: Vec<String> = candidates(paths).iter().map(|p| file_name(p)).collect();
    if let Some(name) = journal.files.iter().find(|name| !allowed.contains(name)) {
        return Err(damaged(format!(
            "it names {name:?}, which is not a key file"
        )));
    }
    // Only the wrapped key file that a new key mode or key file replaced
    // goes.
    let wrapped = [
        file_name(&paths.secret_key()),
        file_name(&paths.secret_key_enc()),
    ];
    let kept = key_files_needed_after(paths, journal);
    for name in &journal.remove {
        if !wrapped.contains(name) || journal.files.contains(name) || kept.contains(name) {
            return Err(damaged(format!(
                "it would remove {name:?}, which the vault needs after the change"
            )));
        }
    }
    Ok(())
}

/// The wrapped key files the vault needs once the journal's files are in,
/// by the `auth.json` that will be live then: the one of its key mode and
/// key protection, none in password-derived mode, both when that
/// `auth.json` cannot be read.
fn key_files_needed_after(paths: &Paths, journal: &Journal) -> Vec<String> {
    let live = paths.auth();
    let waiting = next(&live);
    let after = if journal.files.contains(&file_name(&live)) && waiting.exists() {
        waiting
    } else {
        live
    };
    let auth = fsio::read_optional(&after)
        .ok()
        .flatten()
        .and_then(|bytes| AuthFile::parse(&bytes).ok());
    match auth {
        Some(auth) if auth.key_mode == KeyMode::PasswordDerived => Vec::new(),
        Some(auth) => vec![
            key_file_location(paths, auth.key_file_required)
                .1
                .to_owned(),
        ],
        None => vec![
            file_name(&paths.secret_key()),
            file_name(&paths.secret_key_enc()),
        ],
    }
}

pub(crate) fn current_auth(paths: &Paths) -> Result<AuthFile, VaultError> {
    let path = paths.auth();
    let bytes =
        fsio::read_optional(&path)?.ok_or(VaultError::MissingFile { path: path.clone() })?;
    AuthFile::parse(&bytes).map_err(|detail| VaultError::CorruptFile { path, detail })
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
    // Not read into memory at every start when it is far too large to be
    // one this program wrote.
    if let Ok(meta) = std::fs::symlink_metadata(&journal_path)
        && meta.len() > MAX_JOURNAL_BYTES
    {
        return Err(VaultError::CorruptFile {
            path: journal_path,
            detail: format!(
                "it holds {} bytes, and a key change journal holds a few hundred",
                meta.len()
            ),
        });
    }
    let Some(bytes) = fsio::read_optional(&journal_path)? else {
        let removed = clear_next_files(paths)?;
        if removed == 0 {
            return Ok(None);
        }
        let note = "an interrupted key change (master password or data key) was rolled back; \
                    the vault opens as before"
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

mod modes;
mod rotate;

pub(crate) use modes::keys_change_keyed;
pub use modes::{KeyChange, KeysChanged, change_keys, plan_key_change};
pub use rotate::{Rotated, rotate_data_key};
pub(crate) use rotate::{finish_rotation, rotate_data_key_keyed};

#[cfg(test)]
mod tests;
