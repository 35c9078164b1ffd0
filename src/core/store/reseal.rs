//! What a key rotation needs of the store: the rows not yet sealed with
//! the active key, and re-sealing one in place.

use rusqlite::params;
use uuid::Uuid;

use super::{
    SealedRow, Store, StoreError, Writer, bytes, map_err, sealed_row, tables, uuid_from_blob,
};

impl Store {
    /// Up to `limit` rows of `table` not sealed with `version`, with their
    /// `parent` set (a history row's entry uuid): what a key rotation
    /// still has to re-seal.
    pub fn rows_not_sealed_with(
        &self,
        table: &'static str,
        version: u32,
        limit: usize,
    ) -> Result<Vec<SealedRow>, StoreError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let sql = match table {
            tables::ENTRIES => {
                "SELECT seq, uuid, key_version, format, sealed, NULL FROM entries
                 WHERE key_version != ?1 LIMIT ?2"
            }
            tables::HISTORY => {
                "SELECT h.seq, h.uuid, h.key_version, h.format, h.sealed, e.uuid
                 FROM history h JOIN entries e ON e.seq = h.entry_seq
                 WHERE h.key_version != ?1 LIMIT ?2"
            }
            tables::CATEGORIES => {
                "SELECT 0, uuid, key_version, format, sealed, NULL FROM categories
                 WHERE key_version != ?1 LIMIT ?2"
            }
            _ => {
                "SELECT 0, uuid, key_version, format, sealed, NULL FROM audit
                 WHERE key_version != ?1 LIMIT ?2"
            }
        };
        let fail = |e| map_err(&self.path, "read", e);
        let mut stmt = self.conn.prepare_cached(sql).map_err(fail)?;
        let rows = stmt
            .query_map(params![version, limit], |r| {
                let parent = match r.get_ref(5)? {
                    rusqlite::types::ValueRef::Null => Uuid::nil(),
                    value => uuid_from_blob(bytes(value)),
                };
                sealed_row(r, parent)
            })
            .map_err(fail)?;
        rows.collect::<Result<_, _>>().map_err(fail)
    }

    /// How many rows of every table are not sealed with `version`.
    pub fn count_not_sealed_with(&self, version: u32) -> Result<usize, StoreError> {
        let fail = |e| map_err(&self.path, "read", e);
        let mut total = 0usize;
        for table in [
            tables::ENTRIES,
            tables::HISTORY,
            tables::CATEGORIES,
            tables::AUDIT,
        ] {
            let n: i64 = self
                .conn
                .query_row(
                    &format!("SELECT COUNT(*) FROM {table} WHERE key_version != ?1"),
                    [version],
                    |r| r.get(0),
                )
                .map_err(fail)?;
            total += usize::try_from(n).unwrap_or(0);
        }
        Ok(total)
    }
}

impl Writer<'_> {
    /// Replaces a row's seal and key version in place (a key rotation);
    /// everything else about the row stays.
    pub fn reseal(&mut self, table: &'static str, row: &SealedRow) -> Result<(), StoreError> {
        let by_seq = matches!(table, tables::ENTRIES | tables::HISTORY);
        let sql = format!(
            "UPDATE {table} SET key_version = ?1, sealed = ?2 WHERE {} = ?3",
            if by_seq { "seq" } else { "uuid" }
        );
        let changed = if by_seq {
            self.tx
                .execute(&sql, params![row.key_version, row.sealed, row.row])
        } else {
            self.tx.execute(
                &sql,
                params![row.key_version, row.sealed, row.uuid.as_bytes()],
            )
        }
        .map_err(|e| self.fail(e))?;
        if changed != 1 {
            return Err(StoreError::Sqlite {
                path: self.path.clone(),
                action: format!("re-seal a row of {table} in"),
                detail: "the row is gone".to_owned(),
            });
        }
        Ok(())
    }
}
