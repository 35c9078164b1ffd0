//! `doctor`: health checks an operator can run without the master password.

use std::path::PathBuf;

use crate::core::lock;
use crate::core::paths::{Paths, sibling};
use crate::core::store::{Checkpoint, Store};

/// What `doctor` found.
#[derive(Debug, Default)]
pub struct Report {
    /// Whether a vault exists in the data directory.
    pub vault_present: bool,
    /// The schema version, when the database opened.
    pub schema_version: Option<u32>,
    /// `PRAGMA integrity_check` problems (empty when sound).
    pub integrity_problems: Vec<String>,
    /// The WAL checkpoint's outcome.
    pub checkpoint: Option<Checkpoint>,
    /// Why the database could not be checked, if it could not.
    pub database_error: Option<String>,
    /// Files and directories whose permissions were too wide (now fixed).
    pub permission_fixes: Vec<String>,
    /// Files that should not be there, with sizes: a rollback journal (the
    /// vault uses a write-ahead log instead) and temporary files left by
    /// an interrupted save.
    pub stray_files: Vec<(PathBuf, u64)>,
    /// Temporary files of interrupted saves that were removed (older than
    /// a minute, so no save in progress loses its file).
    pub removed_temp_files: Vec<PathBuf>,
    /// Size of the write-ahead log before the checkpoint, if there was one.
    pub wal_bytes: Option<u64>,
    /// The pid holding the writer lock (`Some(None)`: held, pid unknown).
    pub lock_holder: Option<Option<u32>>,
}

impl Report {
    /// Whether anything needs attention.
    pub fn healthy(&self) -> bool {
        self.vault_present
            && self.integrity_problems.is_empty()
            && self.database_error.is_none()
            && self.checkpoint.is_none_or(|c| !c.busy)
    }
}

/// Runs every check.
pub fn run(paths: &Paths) -> Report {
    let mut report = Report {
        vault_present: paths.auth().exists(),
        ..Default::default()
    };

    report.lock_holder = lock::probe(&paths.lock_file()).unwrap_or(None);
    report.wal_bytes = std::fs::metadata(sibling(&paths.db(), "-wal"))
        .ok()
        .map(|m| m.len());

    // Only a vault's own directory is tightened: pointed at some other
    // directory by mistake, doctor must not change it.
    if report.vault_present {
        report.permission_fixes = paths.tighten_permissions();
        report.removed_temp_files = remove_old_temp_files(paths);
    }
    report.stray_files = stray_files(paths);

    let db = paths.db();
    if !db.exists() {
        if report.vault_present {
            report.database_error = Some(format!("{} is missing", db.display()));
        }
        return report;
    }
    match Store::open(&db) {
        Ok(store) => {
            report.schema_version = store.schema_version().ok();
            match store.integrity_check() {
                Ok(problems) => report.integrity_problems = problems,
                Err(e) => report.database_error = Some(e.to_string()),
            }
            match store.checkpoint() {
                Ok(c) => report.checkpoint = Some(c),
                Err(e) => report.database_error = Some(e.to_string()),
            }
        }
        Err(e) => report.database_error = Some(e.to_string()),
    }
    report
}

fn stray_files(paths: &Paths) -> Vec<(PathBuf, u64)> {
    let db = paths.db();
    let mut found: Vec<PathBuf> = [sibling(&db, "-journal")]
        .into_iter()
        .filter(|p| p.exists())
        .collect();
    if let Ok(dir) = std::fs::read_dir(&paths.data_dir) {
        for item in dir.flatten() {
            let name = item.file_name().to_string_lossy().into_owned();
            if is_our_temp_file(&name) {
                found.push(item.path());
            }
        }
    }
    found
        .into_iter()
        .map(|p| {
            let size = std::fs::metadata(&p).map(|m| m.len()).unwrap_or(0);
            (p, size)
        })
        .collect()
}

/// Deletes `.NAME.*.tmp` files older than a minute from the data directory.
fn remove_old_temp_files(paths: &Paths) -> Vec<PathBuf> {
    let Ok(dir) = std::fs::read_dir(&paths.data_dir) else {
        return Vec::new();
    };
    let minute_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(60);
    let mut removed = Vec::new();
    for item in dir.flatten() {
        let name = item.file_name().to_string_lossy().into_owned();
        let old = item
            .metadata()
            .and_then(|m| m.modified())
            .is_ok_and(|t| t < minute_ago);
        let leftover = is_our_temp_file(&name) && old;
        if leftover && std::fs::remove_file(item.path()).is_ok() {
            removed.push(item.path());
        }
    }
    removed
}

/// Whether `name` is a temporary file of the vault's own atomic saves:
/// `.NAME.RANDOM.tmp` for one of the files the vault writes.
fn is_our_temp_file(name: &str) -> bool {
    const SAVED: &[&str] = &[
        "auth.json",
        "crypto.salt",
        "secret.key",
        "secret.key.enc",
        "settings.json",
        "totp_config.json",
        "browser_bridge_tokens.json",
        "approval_store.json",
        "breach_cache.json",
    ];
    SAVED.iter().any(|saved| {
        name.strip_prefix('.')
            .and_then(|rest| rest.strip_prefix(saved))
            .and_then(|rest| rest.strip_prefix('.'))
            .is_some_and(|rest| rest.ends_with(".tmp") && !rest.contains('/'))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_vaults_own_temporary_files_count() {
        assert!(is_our_temp_file(".auth.json.Ab12Cd.tmp"));
        assert!(is_our_temp_file(".settings.json.x.tmp"));
        assert!(!is_our_temp_file(".notes.swp.tmp"));
        assert!(!is_our_temp_file("auth.json.tmp"));
        assert!(!is_our_temp_file(".auth.json"));
    }
}
