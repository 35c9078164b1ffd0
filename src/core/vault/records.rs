//! Sealing entries, history items and categories into rows, and back.
//!
//! The associated data of every record names the table, the row's uuid (and
//! for history, its entry's uuid), the record format and the key version.
//! A ciphertext copied to another row or table, or relabelled with another
//! key version, therefore fails to open.

use serde::Serialize;
use serde::de::DeserializeOwned;
use uuid::Uuid;
use zeroize::Zeroizing;

use crate::core::crypto;
use crate::core::entries::{Category, Entry, HistoryItem};
use crate::core::keys::Keyring;
use crate::core::store::{CURRENT_VERSION, SealedRow, tables};

/// A record that could not be opened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DamagedRecord {
    /// Which table it is in.
    pub table: &'static str,
    /// Its uuid.
    pub uuid: Uuid,
    /// What went wrong.
    pub reason: String,
}

impl DamagedRecord {
    /// The short id a user would type for it.
    pub fn short_id(&self) -> String {
        crate::core::entries::short_id(&self.uuid)
    }
}

fn aad(table: &str, uuid: Uuid, parent: Uuid, format: u32, key_version: u32) -> Vec<u8> {
    format!(
        "secure-password-manager|{table}|{}|{}|format={format}|key={key_version}",
        uuid.simple(),
        parent.simple()
    )
    .into_bytes()
}

/// Seals a value into a row of `table`.
pub fn seal<T: Serialize>(
    keys: &Keyring,
    table: &'static str,
    uuid: Uuid,
    parent: Uuid,
    value: &T,
    size_hint: usize,
) -> SealedRow {
    // Reserve enough that encoding never reallocates and leaves a plaintext
    // copy in freed memory.
    let buffer = Vec::with_capacity(size_hint + 256);
    let plain = Zeroizing::new(postcard::to_extend(value, buffer).unwrap_or_default());
    let key_version = keys.active_version();
    let aad = aad(table, uuid, parent, CURRENT_VERSION, key_version);
    SealedRow {
        row: 0,
        uuid,
        parent,
        key_version,
        format: CURRENT_VERSION,
        sealed: crypto::seal(keys.active_key(), &aad, &plain),
    }
}

/// Opens a row sealed by [`seal`].
pub fn open<T: DeserializeOwned>(
    keys: &Keyring,
    table: &'static str,
    row: &SealedRow,
) -> Result<T, DamagedRecord> {
    let damaged = |reason: String| DamagedRecord {
        table,
        uuid: row.uuid,
        reason,
    };
    let key = keys.get(row.key_version).ok_or_else(|| {
        damaged(format!(
            "was sealed with key version {}, which this vault lacks",
            row.key_version
        ))
    })?;
    if row.format != CURRENT_VERSION {
        return Err(damaged(format!(
            "uses an unknown record format {}",
            row.format
        )));
    }
    let aad = aad(table, row.uuid, row.parent, row.format, row.key_version);
    let plain = crypto::open(key, &aad, &row.sealed).map_err(|e| damaged(e.to_string()))?;
    postcard::from_bytes(&plain).map_err(|e| damaged(format!("does not decode ({e})")))
}

/// Opens an entry row.
pub fn open_entry(keys: &Keyring, row: &SealedRow) -> Result<Entry, DamagedRecord> {
    let mut entry: Entry = open(keys, tables::ENTRIES, row)?;
    entry.uuid = row.uuid;
    Ok(entry)
}

/// Seals an entry for the database row `row` (0 for a new row).
pub fn seal_entry(keys: &Keyring, entry: &Entry, row: i64) -> SealedRow {
    let hint = size_hint(entry);
    let mut sealed = seal(keys, tables::ENTRIES, entry.uuid, Uuid::nil(), entry, hint);
    sealed.row = row;
    sealed
}

/// Opens a history row.
pub fn open_history(keys: &Keyring, row: &SealedRow) -> Result<HistoryItem, DamagedRecord> {
    let mut item: HistoryItem = open(keys, tables::HISTORY, row)?;
    item.uuid = row.uuid;
    item.entry_uuid = row.parent;
    Ok(item)
}

/// Seals a history item.
pub fn seal_history(keys: &Keyring, item: &HistoryItem) -> SealedRow {
    let hint = item.password.expose().len() + 32;
    seal(
        keys,
        tables::HISTORY,
        item.uuid,
        item.entry_uuid,
        item,
        hint,
    )
}

/// Opens a category row.
pub fn open_category(keys: &Keyring, row: &SealedRow) -> Result<Category, DamagedRecord> {
    let mut category: Category = open(keys, tables::CATEGORIES, row)?;
    category.uuid = row.uuid;
    Ok(category)
}

/// Seals a category.
pub fn seal_category(keys: &Keyring, category: &Category) -> SealedRow {
    let hint = category.name.expose().len() + category.color.len();
    seal(
        keys,
        tables::CATEGORIES,
        category.uuid,
        Uuid::nil(),
        category,
        hint,
    )
}

/// Opens many entry rows, spread over the machine's cores.
pub fn open_entries(keys: &Keyring, rows: &[SealedRow]) -> Vec<Result<Entry, DamagedRecord>> {
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(8);
    if threads == 1 || rows.len() < 2048 {
        return rows.iter().map(|row| open_entry(keys, row)).collect();
    }
    let chunk = rows.len().div_ceil(threads);
    std::thread::scope(|scope| {
        let workers: Vec<_> = rows
            .chunks(chunk)
            .map(|part| {
                scope.spawn(move || {
                    part.iter()
                        .map(|row| open_entry(keys, row))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        workers
            .into_iter()
            // A worker cannot fail short of a bug; if one panics, so does the
            // unlock, rather than silently leaving entries out.
            .flat_map(|w| {
                w.join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
            })
            .collect()
    })
}

fn size_hint(entry: &Entry) -> usize {
    let texts = [
        &entry.title,
        &entry.username,
        &entry.password,
        &entry.notes,
        &entry.category,
    ];
    texts.iter().map(|t| t.expose().len() + 5).sum::<usize>()
        + entry
            .urls
            .iter()
            .chain(&entry.tags)
            .map(|t| t.expose().len() + 5)
            .sum::<usize>()
        + entry.totp.as_ref().map_or(0, |t| t.expose().len() + 5)
        + entry
            .fields
            .iter()
            .map(|f| f.name.expose().len() + f.value.expose().len() + 11)
            .sum::<usize>()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::secret::Key256;

    fn keys() -> Keyring {
        Keyring::single(Key256::random())
    }

    #[test]
    fn entry_round_trips_and_rejects_a_moved_ciphertext() {
        let keys = keys();
        let entry = Entry {
            uuid: Uuid::new_v4(),
            title: "T".into(),
            ..Default::default()
        };
        let row = seal_entry(&keys, &entry, 0);
        assert_eq!(open_entry(&keys, &row).unwrap(), entry);

        let mut moved = row.clone();
        moved.uuid = Uuid::new_v4();
        let damage = open_entry(&keys, &moved).unwrap_err();
        assert!(damage.reason.contains("integrity"), "{}", damage.reason);

        let mut relabelled = row.clone();
        relabelled.key_version = 2;
        assert!(
            open_entry(&keys, &relabelled)
                .unwrap_err()
                .reason
                .contains("key version 2")
        );
    }

    #[test]
    fn a_row_cannot_move_between_tables() {
        let keys = keys();
        let entry = Entry {
            uuid: Uuid::new_v4(),
            title: "T".into(),
            ..Default::default()
        };
        let row = seal_entry(&keys, &entry, 0);
        assert!(open_category(&keys, &row).is_err());
    }

    #[test]
    fn parallel_open_keeps_order() {
        let keys = keys();
        let rows: Vec<SealedRow> = (0..5000)
            .map(|i| {
                let title = format!("entry {i}");
                seal_entry(
                    &keys,
                    &Entry {
                        uuid: Uuid::new_v4(),
                        title: title.into(),
                        ..Default::default()
                    },
                    0,
                )
            })
            .collect();
        let opened = open_entries(&keys, &rows);
        assert_eq!(opened.len(), 5000);
        assert_eq!(opened[4321].as_ref().unwrap().title.expose(), "entry 4321");
    }
}
