//! Restoring a backup: verify, unlock, then switch files in with renames.
//!
//! A restore runs in two steps, so nothing live is touched until the
//! backup has proved itself:
//!
//! 1. [`stage`] copies the archive and its side files into a private
//!    staging directory inside the target's data directory, verifies the
//!    copy (so the archive cannot change between the check and the use),
//!    extracts the vault's files next to it, unlocks the staged vault with
//!    the backup's master password and decrypts every entry and history
//!    record. Failing anywhere removes the staging directory and leaves the
//!    live vault as it was.
//! 2. [`switch`], holding the vault's writer lock, writes a journal
//!    (`restore.journal`) naming the staged files, moves every current
//!    vault file into `pre-restore-<timestamp>/` (never deleting one),
//!    renames the staged files into place, and removes the journal.
//!
//! If the process dies during step 2, the journal is still there and the
//! next program to open the data directory ([`finish_interrupted`]) runs
//! the same moves again; each move can be repeated safely, so the result is
//! the restored vault, whole. A process killed before the journal exists
//! leaves the old vault untouched and a staging directory that is removed
//! the same way.
//!
//! Logs inside an archive are not restored over the live log (they stay in
//! the archive); every other file is.

use std::io;
use std::path::{Path, PathBuf};

use tempfile::TempDir;

use super::signing::{self, PUBLIC_KEY_FILE};
use super::verify::{Limits, VerifyReport, checks, verify_opened};
use super::{CheckStatus, DB_NAME, Manifest, inspect};
use crate::core::fsio::{self, FileError};
use crate::core::paths::{Paths, sibling};
use crate::core::secret::SecretString;
use crate::core::vault::{Credentials, HistoryPolicy, SecondFactor, Vault, VaultError};

/// The journal of a restore that has started switching files.
pub const JOURNAL_FILE: &str = "restore.journal";
/// Prefix of staging directories in the data directory.
const STAGING_PREFIX: &str = ".restore-staging-";
/// Prefix of the directories that keep the files a restore replaced.
pub const PRE_RESTORE_PREFIX: &str = "pre-restore-";
const JOURNAL_FORMAT: &str = "secure-password-manager-restore-journal/1";

/// Why a restore stopped. The live vault is unchanged unless the error is
/// [`RestoreError::Switch`], which says what to do.
#[derive(Debug, thiserror::Error)]
pub enum RestoreError {
    /// A verification check failed.
    #[error(
        "{} failed verification ({}); nothing was restored",
        report.archive.display(),
        report.failures().map(|c| c.name).collect::<Vec<_>>().join(", ")
    )]
    Verification {
        /// Every check and what it found.
        report: Box<VerifyReport>,
    },
    /// The archive holds something a backup never holds.
    #[error("{0}; nothing was restored")]
    Unexpected(String),
    /// The staged vault did not unlock (wrong password, missing key file…).
    #[error("the backup's vault did not open: {cause}; nothing was restored")]
    Unlock {
        /// What unlocking said.
        cause: VaultError,
    },
    /// Some records in the backup do not decrypt.
    #[error(
        "{damaged} record(s) in the backup do not decrypt ({first}); nothing was restored — \
         try an older backup"
    )]
    Damaged {
        /// How many.
        damaged: usize,
        /// The first one, described.
        first: String,
    },
    /// Staging failed (disk full, permissions…).
    #[error("could not stage the restore: {0}; nothing was restored")]
    Staging(String),
    /// Moving files failed part-way; the journal stays, and the next start
    /// finishes the restore.
    #[error(
        "the restore stopped while switching files ({0}); the previous files are in {1}, and \
         the next start of the program finishes the restore — free the problem (disk space, \
         permissions) and run any command"
    )]
    Switch(String, String),
    /// The lock file or a data file could not be used.
    #[error(transparent)]
    File(#[from] FileError),
}

/// A backup unpacked, verified and unlocked, ready to switch in.
pub struct Staged {
    /// Every verification check.
    pub report: VerifyReport,
    /// The archive's manifest.
    pub manifest: Manifest,
    /// Entries in the backup (trashed ones included).
    pub entries: usize,
    /// History records in the backup.
    pub history: usize,
    /// Whether the signature was checked against a public key (and passed).
    pub signature_checked: bool,
    /// Fingerprint of the restored vault's own backup signing key, to be
    /// compared with a recorded one when no public key was at hand.
    pub vault_key_fingerprint: String,
    /// Log files left in the archive.
    pub logs_left: usize,
    dir: TempDir,
    /// Archive names of the staged files, in `dir`.
    names: Vec<String>,
}

impl std::fmt::Debug for Staged {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Staged")
            .field("archive", &self.report.archive)
            .field("entries", &self.entries)
            .field("history", &self.history)
            .field("files", &self.names)
            .finish_non_exhaustive()
    }
}

/// What a finished restore did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Restored {
    /// Where the replaced files went (`None` when there were none).
    pub pre_restore: Option<PathBuf>,
    /// Files switched in.
    pub files: usize,
}

/// Where a file named in an archive is restored to; `Ok(None)` for files
/// that stay in the archive (logs). Anything a backup never holds is
/// refused, including the files only a restore itself stages.
fn archive_destination(paths: &Paths, name: &str) -> Result<Option<PathBuf>, String> {
    if name.starts_with("logs/") {
        return Ok(None);
    }
    if name == PUBLIC_KEY_FILE || name.starts_with("passwords.db-") {
        return Err(format!(
            "the archive holds {name:?}, which a backup never holds"
        ));
    }
    destination(paths, name)
}

/// Where a staged file goes.
fn destination(paths: &Paths, name: &str) -> Result<Option<PathBuf>, String> {
    let path = match name {
        DB_NAME => paths.db(),
        "secret.key" => paths.secret_key(),
        "secret.key.enc" => paths.secret_key_enc(),
        "crypto.salt" => paths.salt(),
        "auth.json" => paths.auth(),
        "totp_config.json" => paths.totp_config(),
        "settings.json" => paths.settings(),
        "browser_bridge_tokens.json" => paths.bridge_tokens(),
        "approval_store.json" => paths.approval_store(),
        "breach_cache.json" => paths.breach_cache(),
        PUBLIC_KEY_FILE => paths.data_dir.join(PUBLIC_KEY_FILE),
        "passwords.db-wal" | "passwords.db-shm" => sibling(&paths.db(), &name[DB_NAME.len()..]),
        _ if name.starts_with("logs/") => return Ok(None),
        _ => {
            return Err(format!(
                "the archive holds {name:?}, which a backup never holds"
            ));
        }
    };
    Ok(Some(path))
}

/// Every file a restore replaces: moved aside whether or not the backup
/// has a file of its own in its place, so the result is the backup's state.
fn live_files(paths: &Paths) -> Vec<PathBuf> {
    let db = paths.db();
    vec![
        sibling(&db, "-wal"),
        sibling(&db, "-shm"),
        sibling(&db, "-journal"),
        db,
        paths.secret_key(),
        paths.secret_key_enc(),
        // Both data keys of a move to a derived key left half-way: they
        // belong with the records moved aside, and would make the restored
        // vault's unlock fail.
        paths.secret_key_migrating(),
        paths.salt(),
        paths.totp_config(),
        paths.settings(),
        paths.bridge_tokens(),
        paths.approval_store(),
        paths.breach_cache(),
        paths.data_dir.join(PUBLIC_KEY_FILE),
        // Last: until auth.json moves, the old vault is still whole.
        paths.auth(),
    ]
}

/// Verifies `archive`, unpacks it into a staging directory in
/// `target.data_dir` and unlocks it with `credentials`. Touches no live
/// file. `public_key` defaults to the target's `backup_signing.pub`; with
/// a key, the signature must verify.
pub fn stage(
    archive: &Path,
    public_key: Option<&Path>,
    keys: &RestoreKeys<'_>,
    target: &Paths,
) -> Result<Staged, RestoreError> {
    target.ensure_dirs()?;
    stage_in(archive, public_key, keys, target, &target.data_dir)
}

/// The secrets a restore needs: the backup's master password (and key
/// file), and the passphrase of an encrypted archive.
pub struct RestoreKeys<'a> {
    /// Unlocks the vault inside.
    pub credentials: &'a Credentials,
    /// Opens a `.zip.enc` archive.
    pub passphrase: Option<&'a SecretString>,
}

/// [`stage`] into a staging directory under `parent` (a temporary
/// directory for `verify-backup --unlock`).
pub fn stage_in(
    archive: &Path,
    public_key: Option<&Path>,
    keys: &RestoreKeys<'_>,
    target: &Paths,
    parent: &Path,
) -> Result<Staged, RestoreError> {
    let staging = |e: io::Error| RestoreError::Staging(e.to_string());
    // A restore opens a vault with a master password: during a lockout it
    // waits like any unlock.
    let live = live_auth(target);
    if let Some(remaining_secs) = live
        .as_ref()
        .and_then(|auth| auth.lockout_remaining(crate::core::time::now_unix()))
    {
        return Err(RestoreError::Unlock {
            cause: VaultError::LockedOut { remaining_secs },
        });
    }
    let dir = tempfile::Builder::new()
        .prefix(STAGING_PREFIX)
        .tempdir_in(parent)
        .map_err(staging)?;
    let copy = copy_archive(archive, dir.path())?;

    let own_key = target.data_dir.join(PUBLIC_KEY_FILE);
    let key = public_key
        .map(Path::to_path_buf)
        .or_else(|| own_key.exists().then_some(own_key));
    // An encrypted archive is decrypted once, into the staging directory,
    // and that plain copy is what is checked and extracted.
    let plain = dir.path().join("archive.zip");
    let opened = match (super::is_encrypted(&copy), keys.passphrase) {
        (false, _) => None,
        (true, None) => {
            return Err(RestoreError::Unexpected(format!(
                "{} is encrypted; the backup passphrase is needed to restore it",
                archive.display()
            )));
        }
        (true, Some(passphrase)) => Some(decrypt_into(&copy, &plain, passphrase)),
    };
    let opened_ref = opened.as_ref().map(|r| {
        r.as_ref()
            .map(|size| (plain.as_path(), *size))
            .map_err(Clone::clone)
    });
    let mut report = verify_opened(&copy, key.as_deref(), opened_ref, &Limits::default());
    report.archive = archive.to_path_buf();
    name_the_original(&mut report, dir.path(), archive);
    let zip = if opened.is_some() {
        plain.clone()
    } else {
        copy.clone()
    };
    let manifest = match (&report.manifest, report.ok()) {
        (Some(manifest), true) => manifest.clone(),
        _ => {
            return Err(RestoreError::Verification {
                report: Box::new(report),
            });
        }
    };
    let signature_checked =
        report.check(checks::SIGNATURE).map(|c| c.status) == Some(CheckStatus::Passed);

    let files = dir.path().join("files");
    fsio::create_private_dir(&files)?;
    let staged_paths = Paths::portable(&files);
    let extracted = inspect::extract(&zip, &Limits::default(), &manifest, |name| {
        archive_destination(&staged_paths, name)
    })
    .map_err(RestoreError::Unexpected)?;
    for used in [&copy, &plain] {
        match std::fs::remove_file(used) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(staging(e)),
            _ => {}
        }
    }
    let logs_left = manifest
        .files
        .iter()
        .filter(|f| f.path.starts_with("logs/"))
        .count();

    let (entries, history, fingerprint) = match open_staged(&staged_paths, keys.credentials) {
        Ok(opened) => opened,
        Err(e) => {
            // A wrong password here counts towards this vault's lockout,
            // as it would at its unlock.
            if let RestoreError::Unlock {
                cause: VaultError::WrongPassword { .. },
            } = &e
            {
                count_failure(target);
            }
            return Err(e);
        }
    };
    // The live vault's failure count and lockout carry over, so a restore
    // is no way to clear them.
    if let Some(live) = &live {
        carry_failures(&staged_paths, live);
    }
    // The restored vault signs its next backups with this key.
    let mut names: Vec<String> = extracted.into_iter().map(|(name, _)| name).collect();
    for leftover in ["passwords.db-wal", "passwords.db-shm", PUBLIC_KEY_FILE] {
        if files.join(leftover).exists() && !names.iter().any(|n| n == leftover) {
            names.push(leftover.to_owned());
        }
    }
    for name in &names {
        if let Ok(file) = std::fs::File::open(files.join(name)) {
            file.sync_all().map_err(staging)?;
        }
    }
    fsio::sync_dir(&files).map_err(staging)?;
    Ok(Staged {
        report,
        manifest,
        entries,
        history,
        signature_checked,
        vault_key_fingerprint: fingerprint,
        logs_left,
        dir,
        names,
    })
}

/// The checks ran on a private copy in `copy_dir`; their details name the
/// files the person chose instead, which are the ones they can look at.
fn name_the_original(report: &mut VerifyReport, copy_dir: &Path, archive: &Path) {
    let copy_dir = copy_dir.display().to_string();
    let original_dir = fsio::parent_dir(archive).display().to_string();
    for check in &mut report.checks {
        check.detail = check.detail.replace(&copy_dir, &original_dir);
    }
}

/// Decrypts `sealed` into a new owner-only file `plain`; the plaintext
/// size, or why it could not be decrypted.
fn decrypt_into(sealed: &Path, plain: &Path, passphrase: &SecretString) -> Result<u64, String> {
    let file = fsio::create_new_private(plain).map_err(|e| e.to_string())?;
    let mut out = io::BufWriter::new(file);
    let size =
        super::sealed::open_file(sealed, &mut out, plain, passphrase).map_err(|e| e.to_string())?;
    let file = out.into_inner().map_err(|e| e.to_string())?;
    file.sync_all().map_err(|e| e.to_string())?;
    Ok(size)
}

/// Copies the archive and its side files into `dir` under their own names.
fn copy_archive(archive: &Path, dir: &Path) -> Result<PathBuf, RestoreError> {
    let name = archive
        .file_name()
        .ok_or_else(|| RestoreError::Unexpected(format!("{} is not a file", archive.display())))?;
    let copy = dir.join(name);
    for suffix in ["", ".sha256", ".sig", ".asc"] {
        let from = sibling(archive, suffix);
        let to = sibling(&copy, suffix);
        let meta = match std::fs::symlink_metadata(&from) {
            Ok(meta) => meta,
            // Verification names what is missing.
            Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
            Err(e) => return Err(FileError::io(&from, "inspect", e).into()),
        };
        fsio::check_regular(&from, &meta)?;
        let mut source = std::fs::File::open(&from).map_err(|e| FileError::io(&from, "open", e))?;
        let mut out = fsio::create_new_private(&to)?;
        io::copy(&mut source, &mut out).map_err(|e| FileError::io(&to, "write", e))?;
    }
    Ok(copy)
}

/// The target's `auth.json`, when it has a readable one.
fn live_auth(target: &Paths) -> Option<crate::core::auth::AuthFile> {
    let bytes = fsio::read_optional(&target.auth()).ok()??;
    crate::core::auth::AuthFile::parse(&bytes).ok()
}

/// Counts a failed attempt in the target's `auth.json` (best effort: a
/// file that cannot be read or written is left as it is).
fn count_failure(target: &Paths) {
    let patience = std::time::Duration::from_secs(5);
    let Ok(_turn) = crate::core::lock::lock_directory(&target.data_dir, patience) else {
        return;
    };
    if let Some(mut auth) = live_auth(target) {
        auth.begin_attempt(crate::core::time::now_unix());
        let _ = auth.save(&target.auth());
    }
}

/// Copies the live failure count and lockout into the staged `auth.json`.
fn carry_failures(staged: &Paths, live: &crate::core::auth::AuthFile) {
    if let Some(mut auth) = live_auth(staged) {
        auth.failed_attempts = live.failed_attempts;
        auth.locked_until = live.locked_until;
        let _ = auth.save(&staged.auth());
    }
}

/// Unlocks the staged vault, decrypts every record and writes its public
/// signing key. Returns (entries, history records, key fingerprint).
fn open_staged(
    staged: &Paths,
    credentials: &Credentials,
) -> Result<(usize, usize, String), RestoreError> {
    let fail = |cause| RestoreError::Unlock { cause };
    // A backup's two-factor settings are restored with it, but not asked
    // for here: this checks that the password opens every record, and
    // nothing of the vault is shown.
    let vault = Vault::unlock_with(
        staged,
        credentials,
        SecondFactor::NotChecked,
        None,
        HistoryPolicy::default(),
    )
    .map_err(fail)?;
    let (history, damaged_history) = vault.check_history().map_err(fail)?;
    if let Some(first) = vault.damaged().first() {
        return Err(RestoreError::Damaged {
            damaged: vault.damaged().len() + damaged_history,
            first: format!("{} {}: {}", first.table, first.short_id(), first.reason),
        });
    }
    if damaged_history > 0 {
        return Err(RestoreError::Damaged {
            damaged: damaged_history,
            first: "history records".to_owned(),
        });
    }
    let key = signing::signing_key(&vault.backup_signing_key());
    let public = key.verifying_key();
    fsio::write_atomic(
        &staged.data_dir.join(PUBLIC_KEY_FILE),
        signing::public_key_text(&public).as_bytes(),
    )?;
    let entries = vault.entries().len();
    drop(vault);
    Ok((entries, history, signing::fingerprint(&public)))
}

pub use switch::{finish_interrupted, switch};

mod switch;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_archive_names_are_refused_and_logs_stay_in_the_archive() {
        let paths = Paths::portable(Path::new("/nonexistent"));
        for name in [
            "evil.so",
            "../auth.json",
            "backup_signing.pub",
            "passwords.db-wal",
        ] {
            assert!(archive_destination(&paths, name).is_err(), "{name}");
        }
        assert_eq!(
            archive_destination(&paths, "logs/password_manager.log"),
            Ok(None)
        );
        assert_eq!(
            archive_destination(&paths, "auth.json"),
            Ok(Some(paths.auth()))
        );
    }
}
