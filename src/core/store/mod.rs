//! The SQLite layer: the only module that knows the vault is SQLite.
//!
//! It stores and returns sealed rows and knows nothing of their contents;
//! sealing and opening happen in the vault above it. Every write is one
//! transaction, so a crash leaves either the old state or the new one.

mod reseal;
mod schema;
mod snapshot;

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, ErrorCode, OpenFlags, OptionalExtension, Transaction, params};
use uuid::Uuid;

pub use schema::CURRENT_VERSION;
pub use snapshot::{FileSummary, integrity_check_file, summarize_file};

/// Table names, also bound into each record's associated data.
pub mod tables {
    /// Entries.
    pub const ENTRIES: &str = "entries";
    /// Password history.
    pub const HISTORY: &str = "history";
    /// Categories.
    pub const CATEGORIES: &str = "categories";
    /// Audit snapshots and exclusions.
    pub const AUDIT: &str = "audit";
}

/// A database operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The disk is full; the transaction was rolled back.
    #[error(
        "the disk holding {} is full, so the change was not saved; the vault keeps its \
         previous contents. Free some space and try again",
        path.display()
    )]
    DiskFull { path: PathBuf },
    /// The file is not a SQLite database or is damaged beyond opening.
    #[error(
        "{} is not a readable vault database ({detail}); restore it from a backup",
        path.display()
    )]
    NotAVault { path: PathBuf, detail: String },
    /// The vault was written by a newer version of the program.
    #[error(
        "{} uses schema version {found}, but this program supports up to version \
         {supported}; upgrade Secure Password Manager to open it",
        path.display()
    )]
    NewerSchema {
        path: PathBuf,
        found: u32,
        supported: u32,
    },
    /// Another connection holds a lock for too long.
    #[error("{} is busy in another process; try again in a moment", path.display())]
    Busy { path: PathBuf },
    /// A file of the database is a link or otherwise unusable.
    #[error(transparent)]
    File(#[from] crate::core::fsio::FileError),
    /// Anything else SQLite reported.
    #[error("could not {action} {}: {detail}", path.display())]
    Sqlite {
        path: PathBuf,
        action: String,
        detail: String,
    },
}

/// A sealed record as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SealedRow {
    /// SQLite's row id for entries and history (0: not stored yet, or a
    /// category, which is keyed by uuid).
    pub row: i64,
    /// The row's uuid.
    pub uuid: Uuid,
    /// The entry a history row belongs to (nil for other tables).
    pub parent: Uuid,
    /// Version of the data key that sealed it.
    pub key_version: u32,
    /// Record format (the schema version it was sealed under).
    pub format: u32,
    /// nonce || ciphertext || tag.
    pub sealed: Vec<u8>,
}

/// Results of `PRAGMA wal_checkpoint(TRUNCATE)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Checkpoint {
    /// Whether a reader or writer kept the checkpoint from completing.
    pub busy: bool,
    /// Frames in the write-ahead log.
    pub log_frames: i64,
    /// Frames copied into the database.
    pub checkpointed_frames: i64,
}

/// An open vault database.
pub struct Store {
    conn: Connection,
    path: PathBuf,
}

impl Store {
    /// Creates a new vault database; fails if the file exists.
    pub fn create(path: &Path) -> Result<Self, StoreError> {
        if path.exists() {
            return Err(StoreError::Sqlite {
                path: path.to_path_buf(),
                action: "create".to_owned(),
                detail: "the file already exists".to_owned(),
            });
        }
        // Make the file ourselves, owner-only, whatever the process umask;
        // SQLite gives its -wal and -shm files the same permissions.
        drop(crate::core::fsio::create_new_private(path)?);
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE;
        Self::open_with(path, flags)
    }

    /// Opens an existing vault database, running pending migrations.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let store = Self::open_with(path, OpenFlags::SQLITE_OPEN_READ_WRITE)?;
        Ok(store)
    }

    fn open_with(path: &Path, flags: OpenFlags) -> Result<Self, StoreError> {
        // Never follow a link: it could point the vault's writes elsewhere.
        let flags = flags
            | OpenFlags::SQLITE_OPEN_NO_MUTEX
            | OpenFlags::SQLITE_OPEN_URI
            | OpenFlags::SQLITE_OPEN_NOFOLLOW;
        let creating = flags.contains(OpenFlags::SQLITE_OPEN_CREATE);
        for suffix in ["", "-wal", "-shm", "-journal"] {
            crate::core::fsio::refuse_symlink(&crate::core::paths::sibling(path, suffix))?;
        }
        let conn =
            Connection::open_with_flags(path, flags).map_err(|e| map_err(path, "open", e))?;
        let mut store = Self {
            conn,
            path: path.to_path_buf(),
        };
        // Check before configuring: switching to WAL would write a header
        // into an emptied file and destroy the evidence.
        if !creating && store.schema_version()? == 0 {
            // An existing file without the vault's tables was emptied or
            // replaced; treating it as a new vault would hide the loss.
            return Err(StoreError::NotAVault {
                path: path.to_path_buf(),
                detail: "it holds no vault tables; it may have been emptied or replaced".into(),
            });
        }
        store.configure()?;
        store.migrate()?;
        Ok(store)
    }

    fn configure(&self) -> Result<(), StoreError> {
        let fail = |e| map_err(&self.path, "configure", e);
        self.conn
            .busy_timeout(Duration::from_secs(5))
            .map_err(fail)?;
        // WAL lets readers (the CLI) work while the window writes; FULL syncs
        // the log on every commit so a committed entry survives power loss.
        self.conn
            .query_row("PRAGMA journal_mode = WAL", [], |r| r.get::<_, String>(0))
            .map_err(fail)?;
        self.conn
            // secure_delete overwrites deleted records (a purged entry's
            // history, say) instead of leaving them in free pages.
            .execute_batch(
                "PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; PRAGMA secure_delete = ON;",
            )
            .map_err(fail)
    }

    /// The schema version recorded in the database (0 for a new file).
    pub fn schema_version(&self) -> Result<u32, StoreError> {
        read_schema_version(&self.conn).map_err(|e| map_err(&self.path, "read", e))
    }

    fn migrate(&mut self) -> Result<(), StoreError> {
        let found = self.schema_version()?;
        if found > CURRENT_VERSION {
            return Err(StoreError::NewerSchema {
                path: self.path.clone(),
                found,
                supported: CURRENT_VERSION,
            });
        }
        if found == CURRENT_VERSION {
            return Ok(());
        }
        let path = self.path.clone();
        let fail = |e| map_err(&path, "upgrade", e);
        let tx = self.conn.transaction().map_err(fail)?;
        tx.execute_batch(
            "CREATE TABLE IF NOT EXISTS metadata (key TEXT PRIMARY KEY, value TEXT NOT NULL);
             CREATE TABLE IF NOT EXISTS migrations (
                 version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL);",
        )
        .map_err(fail)?;
        let now = crate::core::time::now_rfc3339();
        for migration in schema::MIGRATIONS.iter().filter(|m| m.version > found) {
            tx.execute_batch(migration.sql).map_err(fail)?;
            tx.execute(
                "INSERT INTO migrations (version, name, applied_at) VALUES (?1, ?2, ?3)",
                params![migration.version, migration.name, now],
            )
            .map_err(fail)?;
        }
        tx.execute(
            "INSERT INTO metadata (key, value) VALUES ('schema_version', ?1)
             ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            params![CURRENT_VERSION.to_string()],
        )
        .map_err(fail)?;
        tx.execute(
            "INSERT OR IGNORE INTO metadata (key, value) VALUES ('created_at', ?1)",
            params![now],
        )
        .map_err(fail)?;
        tx.commit().map_err(fail)
    }

    /// The applied migrations: (version, name, applied_at).
    pub fn migrations(&self) -> Result<Vec<(u32, String, String)>, StoreError> {
        let fail = |e| map_err(&self.path, "read", e);
        let mut stmt = self
            .conn
            .prepare("SELECT version, name, applied_at FROM migrations ORDER BY version")
            .map_err(fail)?;
        let rows = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .map_err(fail)?;
        rows.collect::<Result<_, _>>().map_err(fail)
    }

    /// Every entry row.
    pub fn load_entries(&self) -> Result<Vec<SealedRow>, StoreError> {
        self.load(
            "SELECT seq, uuid, key_version, format, sealed FROM entries",
            [],
            Uuid::nil(),
        )
    }

    /// Every category row.
    pub fn load_categories(&self) -> Result<Vec<SealedRow>, StoreError> {
        self.load(
            "SELECT 0, uuid, key_version, format, sealed FROM categories",
            [],
            Uuid::nil(),
        )
    }

    /// Every audit row (snapshots and exclusions).
    pub fn load_audit(&self) -> Result<Vec<SealedRow>, StoreError> {
        self.load(
            "SELECT 0, uuid, key_version, format, sealed FROM audit",
            [],
            Uuid::nil(),
        )
    }

    /// The history rows of one entry (its row id and uuid), newest first.
    pub fn load_history(&self, entry_row: i64, entry: Uuid) -> Result<Vec<SealedRow>, StoreError> {
        self.load(
            "SELECT seq, uuid, key_version, format, sealed FROM history
             WHERE entry_seq = ?1 ORDER BY seq DESC",
            [entry_row],
            entry,
        )
    }

    /// Every history row, with the row id of its entry, oldest first. The
    /// rows' `parent` is nil: the caller knows which uuid each entry row has.
    pub fn load_all_history(&self) -> Result<Vec<(i64, SealedRow)>, StoreError> {
        let fail = |e| map_err(&self.path, "read", e);
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT seq, uuid, key_version, format, sealed, entry_seq FROM history
                 ORDER BY entry_seq, seq",
            )
            .map_err(fail)?;
        let rows = stmt
            .query_map([], |r| Ok((r.get(5)?, sealed_row(r, Uuid::nil())?)))
            .map_err(fail)?;
        rows.collect::<Result<_, _>>().map_err(fail)
    }

    fn load<P: rusqlite::Params>(
        &self,
        sql: &str,
        params: P,
        parent: Uuid,
    ) -> Result<Vec<SealedRow>, StoreError> {
        let fail = |e| map_err(&self.path, "read", e);
        let mut stmt = self.conn.prepare_cached(sql).map_err(fail)?;
        let rows = stmt
            .query_map(params, |r| sealed_row(r, parent))
            .map_err(fail)?;
        rows.collect::<Result<_, _>>().map_err(fail)
    }

    /// Runs `f` in one transaction; commits only if it returns `Ok`.
    pub fn write<T>(
        &mut self,
        f: impl FnOnce(&mut Writer<'_>) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let path = self.path.clone();
        let tx = self
            .conn
            .transaction()
            .map_err(|e| map_err(&path, "start a write to", e))?;
        let mut writer = Writer {
            tx,
            path: path.clone(),
        };
        let value = f(&mut writer)?;
        writer
            .tx
            .commit()
            .map_err(|e| map_err(&path, "save changes to", e))?;
        Ok(value)
    }

    /// `PRAGMA integrity_check`: an empty list means the file is sound.
    pub fn integrity_check(&self) -> Result<Vec<String>, StoreError> {
        let fail = |e| map_err(&self.path, "check", e);
        let mut stmt = self.conn.prepare("PRAGMA integrity_check").map_err(fail)?;
        let rows = stmt
            .query_map([], |r| r.get::<_, String>(0))
            .map_err(fail)?;
        let lines: Vec<String> = rows.collect::<Result<_, _>>().map_err(fail)?;
        Ok(lines.into_iter().filter(|l| l != "ok").collect())
    }

    /// Copies the write-ahead log into the database and truncates it.
    pub fn checkpoint(&self) -> Result<Checkpoint, StoreError> {
        self.conn
            .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| {
                Ok(Checkpoint {
                    busy: r.get::<_, i64>(0)? != 0,
                    log_frames: r.get(1)?,
                    checkpointed_frames: r.get(2)?,
                })
            })
            .map_err(|e| map_err(&self.path, "checkpoint", e))
    }

    /// The database file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// Writes inside one transaction (see [`Store::write`]).
pub struct Writer<'a> {
    tx: Transaction<'a>,
    path: PathBuf,
}

impl Writer<'_> {
    fn fail(&self, e: rusqlite::Error) -> StoreError {
        map_err(&self.path, "save changes to", e)
    }

    /// Stores an entry row: a new one (row 0) is appended and its row id
    /// returned; an existing one is replaced in place.
    pub fn put_entry(&mut self, row: &SealedRow) -> Result<i64, StoreError> {
        if row.row == 0 {
            self.tx
                .prepare_cached(
                    "INSERT INTO entries (uuid, key_version, format, sealed)
                     VALUES (?1, ?2, ?3, ?4)",
                )
                .and_then(|mut stmt| {
                    stmt.execute(params![
                        row.uuid.as_bytes(),
                        row.key_version,
                        row.format,
                        row.sealed
                    ])
                })
                .map_err(|e| self.fail(e))?;
            return Ok(self.tx.last_insert_rowid());
        }
        let changed = self
            .tx
            .prepare_cached(
                "UPDATE entries SET uuid = ?1, key_version = ?2, format = ?3, sealed = ?4
                 WHERE seq = ?5",
            )
            .and_then(|mut stmt| {
                stmt.execute(params![
                    row.uuid.as_bytes(),
                    row.key_version,
                    row.format,
                    row.sealed,
                    row.row
                ])
            })
            .map_err(|e| self.fail(e))?;
        if changed != 1 {
            return Err(StoreError::Sqlite {
                path: self.path.clone(),
                action: "update an entry in".to_owned(),
                detail: format!("row {} is gone", row.row),
            });
        }
        Ok(row.row)
    }

    /// Deletes an entry row and its history.
    pub fn delete_entry(&mut self, row: i64) -> Result<(), StoreError> {
        self.tx
            .execute("DELETE FROM entries WHERE seq = ?1", [row])
            .map_err(|e| self.fail(e))?;
        Ok(())
    }

    /// Inserts or replaces a category row.
    pub fn put_category(&mut self, row: &SealedRow) -> Result<(), StoreError> {
        self.tx
            .execute(
                "INSERT INTO categories (uuid, key_version, format, sealed) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT(uuid) DO UPDATE SET key_version = excluded.key_version,
                     format = excluded.format, sealed = excluded.sealed",
                params![row.uuid.as_bytes(), row.key_version, row.format, row.sealed],
            )
            .map_err(|e| self.fail(e))?;
        Ok(())
    }

    /// Inserts or replaces an audit row.
    pub fn put_audit(&mut self, row: &SealedRow) -> Result<(), StoreError> {
        self.tx
            .execute(
                "INSERT INTO audit (uuid, key_version, format, sealed) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT(uuid) DO UPDATE SET key_version = excluded.key_version,
                     format = excluded.format, sealed = excluded.sealed",
                params![row.uuid.as_bytes(), row.key_version, row.format, row.sealed],
            )
            .map_err(|e| self.fail(e))?;
        Ok(())
    }

    /// Deletes an audit row.
    pub fn delete_audit(&mut self, uuid: Uuid) -> Result<(), StoreError> {
        self.tx
            .execute("DELETE FROM audit WHERE uuid = ?1", [uuid.as_bytes()])
            .map_err(|e| self.fail(e))?;
        Ok(())
    }

    /// Deletes a category row.
    pub fn delete_category(&mut self, uuid: Uuid) -> Result<(), StoreError> {
        self.tx
            .execute("DELETE FROM categories WHERE uuid = ?1", [uuid.as_bytes()])
            .map_err(|e| self.fail(e))?;
        Ok(())
    }

    /// Appends a history row for the entry stored at `entry_row` and keeps
    /// only that entry's newest `keep` rows.
    pub fn push_history(
        &mut self,
        entry_row: i64,
        row: &SealedRow,
        keep: u32,
    ) -> Result<(), StoreError> {
        self.tx
            .execute(
                "INSERT INTO history (uuid, entry_seq, key_version, format, sealed)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![
                    row.uuid.as_bytes(),
                    entry_row,
                    row.key_version,
                    row.format,
                    row.sealed
                ],
            )
            .map_err(|e| self.fail(e))?;
        self.tx
            .execute(
                "DELETE FROM history WHERE entry_seq = ?1 AND seq NOT IN (
                     SELECT seq FROM history WHERE entry_seq = ?1 ORDER BY seq DESC LIMIT ?2)",
                params![entry_row, keep],
            )
            .map_err(|e| self.fail(e))?;
        Ok(())
    }
}

fn read_schema_version(conn: &Connection) -> rusqlite::Result<u32> {
    let has_metadata: bool = conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'metadata')",
        [],
        |r| r.get(0),
    )?;
    if !has_metadata {
        return Ok(0);
    }
    let value: Option<String> = conn
        .query_row(
            "SELECT value FROM metadata WHERE key = 'schema_version'",
            [],
            |r| r.get(0),
        )
        .optional()?;
    Ok(value.and_then(|v| v.parse().ok()).unwrap_or(0))
}

/// The bytes of a blob or text value; nothing for other types.
/// A sealed row from the columns `seq, uuid, key_version, format, sealed`
/// (in that order). Every column is read leniently: a value of the wrong
/// type or range makes that one record fail to open (and be reported),
/// never the whole vault.
fn sealed_row(r: &rusqlite::Row<'_>, parent: Uuid) -> rusqlite::Result<SealedRow> {
    let small = |i| r.get::<_, i64>(i).ok().and_then(|v| u32::try_from(v).ok());
    Ok(SealedRow {
        row: r.get(0)?,
        uuid: uuid_from_blob(bytes(r.get_ref(1)?)),
        parent,
        key_version: small(2).unwrap_or(u32::MAX),
        format: small(3).unwrap_or(u32::MAX),
        sealed: bytes(r.get_ref(4)?).to_vec(),
    })
}

fn bytes(value: rusqlite::types::ValueRef<'_>) -> &[u8] {
    match value {
        rusqlite::types::ValueRef::Blob(b) | rusqlite::types::ValueRef::Text(b) => b,
        _ => &[],
    }
}

fn uuid_from_blob(bytes: &[u8]) -> Uuid {
    // A uuid of the wrong length is damage; the nil uuid makes the row fail
    // to open (its associated data no longer matches) instead of panicking.
    Uuid::from_slice(bytes).unwrap_or_else(|_| Uuid::nil())
}

fn map_err(path: &Path, action: &str, e: rusqlite::Error) -> StoreError {
    let path = path.to_path_buf();
    if let rusqlite::Error::SqliteFailure(code, message) = &e {
        match code.code {
            ErrorCode::DiskFull => return StoreError::DiskFull { path },
            ErrorCode::NotADatabase | ErrorCode::DatabaseCorrupt => {
                let detail = message.clone().unwrap_or_else(|| code.to_string());
                return StoreError::NotAVault { path, detail };
            }
            ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked => {
                return StoreError::Busy { path };
            }
            // SQLite reports a failed write of its log or shared-memory file
            // as a plain I/O error; a full disk is by far the likeliest cause.
            ErrorCode::SystemIoFailure | ErrorCode::CannotOpen
                if crate::core::fsio::looks_full(&path) =>
            {
                return StoreError::DiskFull { path };
            }
            ErrorCode::CannotOpen | ErrorCode::ReadOnly => {
                let detail = "the file or its directory cannot be opened for writing; check \
                              that both exist, are not links, and are writable by you"
                    .to_owned();
                return StoreError::Sqlite {
                    path,
                    action: action.to_owned(),
                    detail,
                };
            }
            _ => {}
        }
    }
    StoreError::Sqlite {
        path,
        action: action.to_owned(),
        detail: e.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(uuid: Uuid) -> SealedRow {
        SealedRow {
            row: 0,
            uuid,
            parent: Uuid::nil(),
            key_version: 1,
            format: 1,
            sealed: vec![1, 2, 3],
        }
    }

    #[test]
    fn new_store_records_schema_and_migrations() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::create(&dir.path().join("v.db")).unwrap();
        assert_eq!(store.schema_version().unwrap(), CURRENT_VERSION);
        assert_eq!(store.migrations().unwrap().len(), schema::MIGRATIONS.len());
        assert!(store.integrity_check().unwrap().is_empty());
    }

    #[test]
    fn a_version_1_database_gains_the_audit_table() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("v.db");
        drop(Store::create(&path).unwrap());
        // Turn it back into what version 1 made.
        let conn = Connection::open(&path).unwrap();
        conn.execute_batch(
            "DROP TABLE audit; DELETE FROM migrations WHERE version = 2;
             UPDATE metadata SET value = '1' WHERE key = 'schema_version';",
        )
        .unwrap();
        drop(conn);

        let mut store = Store::open(&path).unwrap();
        assert_eq!(store.schema_version().unwrap(), 2);
        let applied = store.migrations().unwrap();
        assert_eq!(applied.len(), 2);
        assert!(applied[1].1.contains("audit"), "{applied:?}");
        store.write(|w| w.put_audit(&row(Uuid::new_v4()))).unwrap();
        assert_eq!(store.load_audit().unwrap().len(), 1);
    }

    #[test]
    fn newer_schema_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("v.db");
        drop(Store::create(&path).unwrap());
        let conn = Connection::open(&path).unwrap();
        conn.execute(
            "UPDATE metadata SET value = '99' WHERE key = 'schema_version'",
            [],
        )
        .unwrap();
        drop(conn);
        let err = Store::open(&path).err().unwrap();
        assert!(
            matches!(err, StoreError::NewerSchema { found: 99, .. }),
            "{err}"
        );
        assert!(err.to_string().contains("upgrade"));
    }

    #[test]
    fn entries_get_ascending_rows_and_update_in_place() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::create(&dir.path().join("v.db")).unwrap();
        let first = store.write(|w| w.put_entry(&row(Uuid::new_v4()))).unwrap();
        let mut second = row(Uuid::new_v4());
        second.row = store.write(|w| w.put_entry(&second)).unwrap();
        assert!(second.row > first);
        second.sealed = vec![9];
        store.write(|w| w.put_entry(&second)).unwrap();
        let loaded = store.load_entries().unwrap();
        assert_eq!(loaded.len(), 2);
        assert_eq!(loaded[1].sealed, vec![9]);
        store.write(|w| w.delete_entry(first)).unwrap();
        assert_eq!(store.load_entries().unwrap().len(), 1);
    }

    #[test]
    fn history_keeps_only_the_newest_versions() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::create(&dir.path().join("v.db")).unwrap();
        let entry = Uuid::new_v4();
        let entry_row = store.write(|w| w.put_entry(&row(entry))).unwrap();
        for i in 0..5u8 {
            let mut h = row(Uuid::new_v4());
            h.sealed = vec![i];
            store.write(|w| w.push_history(entry_row, &h, 3)).unwrap();
        }
        let history = store.load_history(entry_row, entry).unwrap();
        let order: Vec<u8> = history.iter().map(|h| h.sealed[0]).collect();
        assert_eq!(order, vec![4, 3, 2]);
        assert!(history.iter().all(|h| h.parent == entry));
        store.write(|w| w.delete_entry(entry_row)).unwrap();
        assert!(store.load_history(entry_row, entry).unwrap().is_empty());
    }

    #[test]
    fn garbage_file_is_not_a_vault() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("v.db");
        std::fs::write(&path, vec![0x5a; 8192]).unwrap();
        let err = Store::open(&path).err().unwrap();
        assert!(matches!(err, StoreError::NotAVault { .. }), "{err}");
    }
}
