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

use serde::{Deserialize, Serialize};
use tempfile::TempDir;

use super::signing::{self, PUBLIC_KEY_FILE};
use super::verify::{Limits, VerifyReport, checks, verify_opened};
use super::{CheckStatus, DB_NAME, Manifest, inspect};
use crate::core::events;
use crate::core::fsio::{self, FileError};
use crate::core::lock::VaultLock;
use crate::core::paths::{Paths, sibling};
use crate::core::secret::SecretString;
use crate::core::vault::{Credentials, HistoryPolicy, Vault, VaultError};
use crate::event;

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

    let (entries, history, fingerprint) = open_staged(&staged_paths, keys.credentials)?;
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

/// Unlocks the staged vault, decrypts every record and writes its public
/// signing key. Returns (entries, history records, key fingerprint).
fn open_staged(
    staged: &Paths,
    credentials: &Credentials,
) -> Result<(usize, usize, String), RestoreError> {
    let fail = |cause| RestoreError::Unlock { cause };
    let vault = Vault::unlock(staged, credentials, None, HistoryPolicy::default()).map_err(fail)?;
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

/// The journal: enough to finish a switch that was interrupted.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Journal {
    format: String,
    /// Staging directory name inside the data directory.
    staging: String,
    /// Timestamp naming the `pre-restore-…` directories.
    stamp: String,
    /// Archive names of the staged files (in `<staging>/files`).
    files: Vec<String>,
}

/// Switches a staged backup in. `lock` must be the target's writer lock,
/// which keeps every other writer out until the switch is done.
pub fn switch(staged: Staged, target: &Paths, _lock: &VaultLock) -> Result<Restored, RestoreError> {
    let Staged { dir, names, .. } = staged;
    if fsio::parent_dir(dir.path()) != target.data_dir {
        return Err(RestoreError::Staging(
            "the backup was staged outside the target's data directory".to_owned(),
        ));
    }
    let staging = dir.keep();
    let journal = Journal {
        format: JOURNAL_FORMAT.to_owned(),
        staging: staging
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
        stamp: unused_stamp(target),
        files: names,
    };
    let text = serde_json::to_vec_pretty(&journal).unwrap_or_default();
    fsio::write_atomic(&target.data_dir.join(JOURNAL_FILE), &text)?;
    let restored = apply(target, &journal, &mut || true)?;
    event!(
        info,
        events::RESTORE_COMPLETE,
        "backup restored into {}: {} files switched in, previous files in {}",
        target.data_dir.display(),
        restored.files,
        restored
            .pre_restore
            .as_deref()
            .map_or_else(|| "(none)".into(), |p| p.display().to_string())
    );
    Ok(restored)
}

/// A timestamp for `pre-restore-…` that no earlier restore used, so the
/// files kept by one restore are never mistaken for this one's.
fn unused_stamp(paths: &Paths) -> String {
    let base = chrono::Utc::now().format("%Y%m%d_%H%M%S").to_string();
    (0..)
        .map(|n| {
            if n == 0 {
                base.clone()
            } else {
                format!("{base}_{n}")
            }
        })
        .find(|stamp| {
            [&paths.data_dir, &paths.config_dir, &paths.cache_dir]
                .iter()
                .all(|dir| !dir.join(format!("{PRE_RESTORE_PREFIX}{stamp}")).exists())
        })
        .unwrap_or(base)
}

/// Finishes a restore that was interrupted while switching files, and
/// removes staging directories of restores that never got that far. Does
/// nothing while another process holds the vault. Returns a sentence to
/// show when it finished a restore.
pub fn finish_interrupted(paths: &Paths) -> Result<Option<String>, RestoreError> {
    let journal_path = paths.data_dir.join(JOURNAL_FILE);
    let has_staging = || {
        std::fs::read_dir(&paths.data_dir)
            .into_iter()
            .flatten()
            .flatten()
            .any(|e| e.file_name().to_string_lossy().starts_with(STAGING_PREFIX))
    };
    if !journal_path.exists() && !has_staging() {
        return Ok(None);
    }
    let Ok(_lock) = VaultLock::acquire(&paths.lock_file()) else {
        return Ok(None);
    };
    let mut finished = None;
    if let Some(bytes) = fsio::read_optional(&journal_path)? {
        let journal: Journal = serde_json::from_slice(&bytes)
            .ok()
            .filter(|j: &Journal| j.format == JOURNAL_FORMAT && !j.staging.contains('/'))
            .ok_or_else(|| {
                RestoreError::Switch(
                    format!("{} cannot be read", journal_path.display()),
                    "pre-restore-…".to_owned(),
                )
            })?;
        let restored = apply(paths, &journal, &mut || true)?;
        event!(
            warn,
            events::RESTORE_COMPLETE,
            "an interrupted restore was finished: {} files switched in",
            restored.files
        );
        finished = Some(format!(
            "A restore was interrupted; it has now been finished. The previous files are in {}.",
            restored
                .pre_restore
                .as_deref()
                .map_or_else(|| "(none)".into(), |p| p.display().to_string())
        ));
    }
    // Staging directories without a journal belong to restores that died
    // before switching anything.
    for entry in std::fs::read_dir(&paths.data_dir).into_iter().flatten() {
        let Ok(entry) = entry else { continue };
        let is_dir = entry.file_type().is_ok_and(|t| t.is_dir());
        if is_dir
            && entry
                .file_name()
                .to_string_lossy()
                .starts_with(STAGING_PREFIX)
        {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
    Ok(finished)
}

/// Runs the journal's moves. Every step can be repeated: a file whose
/// staged copy is gone has already been switched in. `proceed` is asked
/// before each move (tests stop part-way to play a crash).
fn apply(
    paths: &Paths,
    journal: &Journal,
    proceed: &mut dyn FnMut() -> bool,
) -> Result<Restored, RestoreError> {
    let staging = paths.data_dir.join(&journal.staging).join("files");
    let pre_dir =
        |dest: &Path| fsio::parent_dir(dest).join(format!("{PRE_RESTORE_PREFIX}{}", journal.stamp));
    let pre_shown = pre_dir(&paths.db()).display().to_string();
    let fail = |what: String| RestoreError::Switch(what, pre_shown.clone());
    let crash = || RestoreError::Switch("stopped".to_owned(), pre_shown.clone());

    let mut new: Vec<(PathBuf, PathBuf)> = Vec::new();
    for name in &journal.files {
        let dest = destination(paths, name)
            .ok()
            .flatten()
            .ok_or_else(|| fail(format!("the journal names {name:?}")))?;
        new.push((staging.join(name), dest));
    }

    // 1. Move every live file aside, unless its replacement is already in.
    let mut moved_any = false;
    for live in live_files(paths) {
        if std::fs::symlink_metadata(&live).is_err() {
            continue;
        }
        let replaced_already = new
            .iter()
            .any(|(staged, dest)| *dest == live && !staged.exists());
        if replaced_already {
            continue;
        }
        let aside_dir = pre_dir(&live);
        let aside = aside_dir.join(live.file_name().unwrap_or_default());
        if aside.exists() {
            // Moved before; what is here now is the staged copy.
            continue;
        }
        if !proceed() {
            return Err(crash());
        }
        fsio::create_private_dir(&aside_dir)?;
        std::fs::rename(&live, &aside)
            .map_err(|e| fail(format!("moving {} aside: {e}", live.display())))?;
        moved_any = true;
    }
    // 2. Move the staged files in.
    let mut switched = 0;
    for (staged, dest) in &new {
        if !staged.exists() {
            switched += 1;
            continue;
        }
        if !proceed() {
            return Err(crash());
        }
        move_file(staged, dest).map_err(|e| fail(format!("moving in {}: {e}", dest.display())))?;
        switched += 1;
    }
    for dir in [&paths.data_dir, &paths.config_dir, &paths.cache_dir] {
        let _ = fsio::sync_dir(dir);
    }
    // 3. Done: the journal goes first, then the empty staging directory.
    if !proceed() {
        return Err(crash());
    }
    let journal_path = paths.data_dir.join(JOURNAL_FILE);
    match std::fs::remove_file(&journal_path) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => return Err(FileError::io(&journal_path, "remove", e).into()),
    }
    let _ = fsio::sync_dir(&paths.data_dir);
    let _ = std::fs::remove_dir_all(paths.data_dir.join(&journal.staging));
    let pre = pre_dir(&paths.db());
    Ok(Restored {
        pre_restore: (moved_any || pre.exists()).then_some(pre),
        files: switched,
    })
}

/// Renames `from` to `to`; across file systems (a config directory on
/// another disk), copies next to `to` and renames that.
fn move_file(from: &Path, to: &Path) -> io::Result<()> {
    match std::fs::rename(from, to) {
        Err(e) if e.raw_os_error() == Some(libc::EXDEV) => {
            let bytes = std::fs::read(from)?;
            fsio::write_atomic(to, &bytes).map_err(io::Error::other)?;
            std::fs::remove_file(from)
        }
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fake data directory with an "old" and a staged "new" file set.
    fn setup(dir: &Path) -> (Paths, Journal) {
        let paths = Paths::portable(dir);
        paths.ensure_dirs().unwrap();
        for (path, text) in [
            (paths.db(), "old db"),
            (paths.auth(), "old auth"),
            (paths.salt(), "old salt"),
            (paths.secret_key(), "old key"),
            (paths.bridge_tokens(), "old tokens"),
        ] {
            std::fs::write(path, text).unwrap();
        }
        let files = dir.join(".restore-staging-x").join("files");
        std::fs::create_dir_all(&files).unwrap();
        let names = [
            "passwords.db",
            "auth.json",
            "crypto.salt",
            "secret.key",
            "settings.json",
        ];
        for name in names {
            std::fs::write(files.join(name), format!("new {name}")).unwrap();
        }
        let journal = Journal {
            format: JOURNAL_FORMAT.to_owned(),
            staging: ".restore-staging-x".to_owned(),
            stamp: "20260101_000000".to_owned(),
            files: names.iter().map(|n| (*n).to_owned()).collect(),
        };
        let text = serde_json::to_vec(&journal).unwrap();
        std::fs::write(dir.join(JOURNAL_FILE), text).unwrap();
        (paths, journal)
    }

    fn read(path: PathBuf) -> Option<String> {
        std::fs::read_to_string(path).ok()
    }

    #[test]
    fn a_switch_stopped_at_any_step_finishes_whole_and_keeps_every_old_file() {
        for stop_after in 0..20 {
            let dir = tempfile::tempdir().unwrap();
            let (paths, journal) = setup(dir.path());
            let mut steps = 0;
            let first = apply(&paths, &journal, &mut || {
                steps += 1;
                steps <= stop_after
            });
            // Five files aside, five in, the journal: eleven steps.
            assert_eq!(first.is_ok(), stop_after >= 11, "stop after {stop_after}");
            // The next start finishes it.
            let note = finish_interrupted(&paths).unwrap();
            assert_eq!(note.is_some(), first.is_err(), "stop after {stop_after}");

            assert_eq!(read(paths.db()).as_deref(), Some("new passwords.db"));
            assert_eq!(read(paths.auth()).as_deref(), Some("new auth.json"));
            assert_eq!(read(paths.settings()).as_deref(), Some("new settings.json"));
            assert_eq!(read(paths.bridge_tokens()), None, "not in the backup");
            let pre = dir.path().join("pre-restore-20260101_000000");
            assert_eq!(read(pre.join("passwords.db")).as_deref(), Some("old db"));
            assert_eq!(read(pre.join("auth.json")).as_deref(), Some("old auth"));
            assert_eq!(
                read(pre.join("browser_bridge_tokens.json")).as_deref(),
                Some("old tokens")
            );
            assert!(!dir.path().join(JOURNAL_FILE).exists());
            assert!(!dir.path().join(".restore-staging-x").exists());
        }
    }

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

    #[test]
    fn staging_without_a_journal_is_cleaned_up() {
        let dir = tempfile::tempdir().unwrap();
        let paths = Paths::portable(dir.path());
        paths.ensure_dirs().unwrap();
        std::fs::create_dir_all(dir.path().join(".restore-staging-abc/files")).unwrap();
        assert_eq!(finish_interrupted(&paths).unwrap(), None);
        assert!(!dir.path().join(".restore-staging-abc").exists());
    }
}
