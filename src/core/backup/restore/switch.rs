//! Switching staged files in under a journal, and finishing a switch that
//! was interrupted.

use std::io;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::{
    JOURNAL_FILE, JOURNAL_FORMAT, PRE_RESTORE_PREFIX, RestoreError, Restored, STAGING_PREFIX,
    Staged, destination, live_files,
};
use crate::core::events;
use crate::core::fsio::{self, FileError};
use crate::core::lock::VaultLock;
use crate::core::paths::Paths;
use crate::event;

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
    fn staging_without_a_journal_is_cleaned_up() {
        let dir = tempfile::tempdir().unwrap();
        let paths = Paths::portable(dir.path());
        paths.ensure_dirs().unwrap();
        std::fs::create_dir_all(dir.path().join(".restore-staging-abc/files")).unwrap();
        assert_eq!(finish_interrupted(&paths).unwrap(), None);
        assert!(!dir.path().join(".restore-staging-abc").exists());
    }
}
