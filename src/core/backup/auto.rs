//! Automatic backups: whether one is due, and taking it followed by the
//! retention rule.
//!
//! A backup is due when `backup.auto` is on and the newest archive in the
//! backups directory (by the time in its name) is older than
//! `backup.interval_hours`, or there is none. The window checks when it
//! unlocks; a command that writes to the vault checks when it starts and
//! finishes the backup before it exits.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};

use super::retention::{self, Retention};
use super::{BackupError, BackupInfo, BackupOptions, create_from};
use crate::core::fsio::FileError;
use crate::core::vault::BackupSource;

/// When automatic backups run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AutoPolicy {
    /// `backup.auto`.
    pub enabled: bool,
    /// `backup.interval_hours`.
    pub interval_hours: u32,
    /// The retention rule applied after each automatic backup.
    pub retention: Retention,
}

/// What an automatic backup did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AutoOutcome {
    /// The new backup.
    pub info: BackupInfo,
    /// Archives the retention rule deleted (with their side files).
    pub pruned: Vec<PathBuf>,
}

/// The newest backup in `dir` and when it was taken (UTC).
pub fn newest(dir: &Path) -> Option<retention::Found> {
    retention::list(dir).pop()
}

/// Whether an automatic backup into `dir` is due at `now`.
pub fn due(dir: &Path, policy: &AutoPolicy, now: DateTime<Utc>) -> bool {
    if !policy.enabled {
        return false;
    }
    match newest(dir) {
        None => true,
        Some(found) => {
            let age = now.naive_utc() - found.at;
            age >= chrono::Duration::hours(i64::from(policy.interval_hours))
        }
    }
}

/// Takes a backup into the vault's backups directory, then applies the
/// retention rule there. A failed deletion is reported, the backup kept.
pub fn run(source: &BackupSource, policy: &AutoPolicy) -> Result<AutoOutcome, BackupError> {
    let dir = source.paths().backups_dir();
    let info = create_from(source, &dir, &BackupOptions::default())?;
    let pruned = prune(&dir, policy.retention)?;
    Ok(AutoOutcome { info, pruned })
}

/// Deletes the archives the rule does not keep, each with its side files.
/// Stops at the first file that cannot be deleted.
pub fn prune(dir: &Path, rule: Retention) -> Result<Vec<PathBuf>, FileError> {
    let (_, delete) = retention::plan(&retention::list(dir), rule);
    let mut deleted = Vec::new();
    for backup in delete {
        for file in retention::with_side_files(&backup.path) {
            match std::fs::remove_file(&file) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(FileError::io(&file, "delete", e)),
            }
        }
        deleted.push(backup.path);
    }
    Ok(deleted)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(enabled: bool, hours: u32) -> AutoPolicy {
        AutoPolicy {
            enabled,
            interval_hours: hours,
            retention: Retention {
                daily: 7,
                weekly: 4,
                monthly: 12,
            },
        }
    }

    #[test]
    fn a_backup_is_due_when_the_newest_is_older_than_the_interval() {
        let dir = tempfile::tempdir().unwrap();
        let at = |s: &str| DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc);
        assert!(due(
            dir.path(),
            &policy(true, 24),
            at("2026-03-01T12:00:00Z")
        ));
        assert!(!due(
            dir.path(),
            &policy(false, 24),
            at("2026-03-01T12:00:00Z")
        ));
        std::fs::write(dir.path().join("backup_20260301_120000.zip"), b"").unwrap();
        std::fs::write(dir.path().join("not_a_backup.zip"), b"").unwrap();
        assert!(!due(
            dir.path(),
            &policy(true, 24),
            at("2026-03-02T11:59:59Z")
        ));
        assert!(due(
            dir.path(),
            &policy(true, 24),
            at("2026-03-02T12:00:00Z")
        ));
        assert!(due(
            dir.path(),
            &policy(true, 1),
            at("2026-03-01T13:00:00Z")
        ));
    }
}
