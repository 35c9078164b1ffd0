//! The vault's SQLite schema and its migrations.
//!
//! Each migration runs once, in order, inside the transaction that opens the
//! vault; the `migrations` table records which ones ran and when, and the
//! `metadata` table holds the resulting schema version.

/// The schema version this build writes.
pub const CURRENT_VERSION: u32 = 2;

/// One step from version `version - 1` to `version`.
pub struct Migration {
    /// The version this migration produces.
    pub version: u32,
    /// What it does, for the `migrations` table.
    pub name: &'static str,
    /// The SQL it runs.
    pub sql: &'static str,
}

/// Every migration, oldest first.
pub const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "initial schema: entries, history, categories",
        // Every user-visible value lives inside `sealed`. The other columns are
        // identifiers and the facts needed to open the seal: which data key
        // version sealed it and which record format it uses.
        //
        // Entries and history rows are keyed by an ascending row id, so new rows
        // are appended and pages stay full; the uuid is only stored, not
        // indexed, because an unlocked vault finds rows through its in-memory
        // map. A random-uuid key would leave pages a sixth empty.
        sql: "
        CREATE TABLE entries (
            seq         INTEGER PRIMARY KEY,
            uuid        BLOB NOT NULL,
            key_version INTEGER NOT NULL,
            format      INTEGER NOT NULL,
            sealed      BLOB NOT NULL
        );
        CREATE TABLE history (
            seq         INTEGER PRIMARY KEY,
            uuid        BLOB NOT NULL,
            entry_seq   INTEGER NOT NULL REFERENCES entries(seq) ON DELETE CASCADE,
            key_version INTEGER NOT NULL,
            format      INTEGER NOT NULL,
            sealed      BLOB NOT NULL
        );
        CREATE INDEX history_by_entry ON history(entry_seq, seq);
        CREATE TABLE categories (
            uuid        BLOB PRIMARY KEY,
            key_version INTEGER NOT NULL,
            format      INTEGER NOT NULL,
            sealed      BLOB NOT NULL
        ) WITHOUT ROWID;
    ",
    },
    Migration {
        version: 2,
        name: "security audit: score snapshots and per-entry exclusions",
        // Sealed like everything else; an exclusion row is keyed by its
        // entry's uuid, a snapshot row by a uuid of its own.
        sql: "
            CREATE TABLE audit (
                uuid        BLOB PRIMARY KEY,
                key_version INTEGER NOT NULL,
                format      INTEGER NOT NULL,
                sealed      BLOB NOT NULL
            ) WITHOUT ROWID;
        ",
    },
];
