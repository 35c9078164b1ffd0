//! Consistent copies of the live database, and checks of a database file
//! that is not the open vault (a snapshot inside a backup, say).
//!
//! A raw copy of a WAL database can miss committed pages that still sit in
//! the `-wal` file, or catch a half-written checkpoint. `VACUUM INTO` instead
//! writes a fresh database from one read transaction, so the copy holds
//! exactly the state of one commit, whatever other connections are doing.

use std::path::Path;

use rusqlite::{Connection, OpenFlags};

use super::{Store, StoreError, map_err, read_schema_version};
use crate::core::fsio;
use crate::core::paths::sibling;

/// What a database file holds, read without opening it as the vault.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileSummary {
    /// The schema version recorded in the file (0: none recorded).
    pub schema_version: u32,
    /// Rows in the entries table, trashed and damaged ones included.
    pub entry_rows: u64,
}

impl Store {
    /// Writes a consistent copy of the database to `path`, which must not
    /// exist yet. The copy is owner-only and uses a rollback journal, so it
    /// is one self-contained file (no `-wal` beside it).
    pub fn snapshot_to(&self, path: &Path) -> Result<(), StoreError> {
        // SQLite accepts an existing empty file as the target; creating it
        // ourselves gives it owner-only permissions whatever the umask is.
        drop(fsio::create_new_private(path)?);
        let result = self.vacuum_into(path);
        if result.is_err() {
            // A half-written copy must not be mistaken for a snapshot.
            let _ = std::fs::remove_file(path);
        }
        result
    }

    fn vacuum_into(&self, path: &Path) -> Result<(), StoreError> {
        let target = path.to_str().ok_or_else(|| StoreError::Sqlite {
            path: path.to_path_buf(),
            action: "write a snapshot to".to_owned(),
            detail: "the path is not valid UTF-8; choose another directory".to_owned(),
        })?;
        self.conn
            .execute("VACUUM INTO ?1", [target])
            .map_err(|e| map_err(&self.path, "snapshot", e))?;

        // The copy inherits WAL mode from its header; switch it to a
        // rollback journal so a reader never needs a -wal or -shm file.
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NOFOLLOW;
        let copy = Connection::open_with_flags(path, flags)
            .map_err(|e| map_err(path, "open the snapshot", e))?;
        copy.query_row("PRAGMA journal_mode = DELETE", [], |r| {
            r.get::<_, String>(0)
        })
        .map_err(|e| map_err(path, "finish the snapshot", e))?;
        drop(copy);
        std::fs::File::open(path)
            .and_then(|f| f.sync_all())
            .map_err(|e| fsio::FileError::io(path, "sync the snapshot", e).into())
    }
}

/// Runs `PRAGMA integrity_check` on the database file at `path`, opened
/// read-only without following links. An empty list means it is sound.
pub fn integrity_check_file(path: &Path) -> Result<Vec<String>, StoreError> {
    let conn = open_read_only(path)?;
    let fail = |e| map_err(path, "check", e);
    let mut stmt = conn.prepare("PRAGMA integrity_check").map_err(fail)?;
    let rows = stmt
        .query_map([], |r| r.get::<_, String>(0))
        .map_err(fail)?;
    let lines: Vec<String> = rows.collect::<Result<_, _>>().map_err(fail)?;
    Ok(lines.into_iter().filter(|l| l != "ok").collect())
}

/// The schema version and entry count of the database file at `path`,
/// opened read-only without following links.
pub fn summarize_file(path: &Path) -> Result<FileSummary, StoreError> {
    let conn = open_read_only(path)?;
    let fail = |e| map_err(path, "read", e);
    let schema_version = read_schema_version(&conn).map_err(fail)?;
    let entry_rows: i64 = conn
        .query_row("SELECT count(*) FROM entries", [], |r| r.get(0))
        .map_err(fail)?;
    Ok(FileSummary {
        schema_version,
        entry_rows: u64::try_from(entry_rows).unwrap_or(0),
    })
}

fn open_read_only(path: &Path) -> Result<Connection, StoreError> {
    for suffix in ["", "-wal", "-shm", "-journal"] {
        fsio::refuse_symlink(&sibling(path, suffix))?;
    }
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY
        | OpenFlags::SQLITE_OPEN_NO_MUTEX
        | OpenFlags::SQLITE_OPEN_NOFOLLOW;
    Connection::open_with_flags(path, flags).map_err(|e| map_err(path, "open", e))
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use uuid::Uuid;

    use super::*;
    use crate::core::store::SealedRow;

    fn row() -> SealedRow {
        SealedRow {
            row: 0,
            uuid: Uuid::new_v4(),
            parent: Uuid::nil(),
            key_version: 1,
            format: 1,
            sealed: vec![7; 40],
        }
    }

    #[test]
    fn snapshot_holds_committed_rows_in_one_private_file() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::create(&dir.path().join("v.db")).unwrap();
        for _ in 0..3 {
            store.write(|w| w.put_entry(&row())).unwrap();
        }
        let copy = dir.path().join("copy.db");
        store.snapshot_to(&copy).unwrap();

        let mode = std::fs::metadata(&copy).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        assert!(!sibling(&copy, "-wal").exists());
        assert_eq!(integrity_check_file(&copy).unwrap(), Vec::<String>::new());
        let summary = summarize_file(&copy).unwrap();
        assert_eq!(summary.entry_rows, 3);
        assert_eq!(summary.schema_version, crate::core::store::CURRENT_VERSION);
        // The copy opens as a vault database with the same rows.
        assert_eq!(Store::open(&copy).unwrap().load_entries().unwrap().len(), 3);
    }

    #[test]
    fn snapshot_refuses_an_existing_target() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::create(&dir.path().join("v.db")).unwrap();
        let copy = dir.path().join("copy.db");
        std::fs::write(&copy, b"keep").unwrap();
        assert!(store.snapshot_to(&copy).is_err());
        assert_eq!(std::fs::read(&copy).unwrap(), b"keep");
    }

    #[test]
    fn integrity_check_file_refuses_links_and_garbage() {
        let dir = tempfile::tempdir().unwrap();
        let garbage = dir.path().join("g.db");
        std::fs::write(&garbage, vec![0x5a; 8192]).unwrap();
        let err = integrity_check_file(&garbage).unwrap_err();
        assert!(matches!(err, StoreError::NotAVault { .. }), "{err}");

        let db = dir.path().join("v.db");
        drop(Store::create(&db).unwrap());
        let link = dir.path().join("link.db");
        std::os::unix::fs::symlink(&db, &link).unwrap();
        let err = integrity_check_file(&link).unwrap_err();
        assert!(matches!(err, StoreError::File(_)), "{err}");
    }
}
