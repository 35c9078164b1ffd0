//! Sealing entries, history items and categories into rows, and back.
//!
//! The associated data of every record names the table, the row's uuid (and
//! for history, its entry's uuid), the record format and the key version.
//! A ciphertext copied to another row or table, or relabelled with another
//! key version, therefore fails to open.
//!
//! Records are postcard-encoded, which is compact but not self-describing,
//! so a change of layout needs a new record format. Format 2 appended one
//! optional field to entries (`imported`) and history items (`source`); a
//! format-1 record is exactly a format-2 record with that field absent, so
//! it decodes once the encoding of `None` (a single zero byte) is appended.
//! Categories did not change. Old records are rewritten in the new format
//! only when they are next saved.

use serde::Serialize;
use serde::de::DeserializeOwned;
use uuid::Uuid;
use zeroize::Zeroizing;

use crate::core::crypto;
use crate::core::entries::{Category, Entry, HistoryItem};
use crate::core::keys::Keyring;
use crate::core::store::{SealedRow, tables};

/// The record format new records are sealed in.
pub const RECORD_FORMAT: u32 = 2;

/// The oldest record format that still opens.
const OLDEST_FORMAT: u32 = 1;

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
    let aad = aad(table, uuid, parent, RECORD_FORMAT, key_version);
    SealedRow {
        row: 0,
        uuid,
        parent,
        key_version,
        format: RECORD_FORMAT,
        sealed: crypto::seal(keys.active_key(), &aad, &plain),
    }
}

/// The same row sealed again with the keyring's active key (a key
/// rotation): its format and contents stay as they are.
pub fn reseal(
    keys: &Keyring,
    table: &'static str,
    row: &SealedRow,
) -> Result<SealedRow, DamagedRecord> {
    let plain = open_bytes(keys, table, row)?;
    let version = keys.active_version();
    let new = aad(table, row.uuid, row.parent, row.format, version);
    Ok(SealedRow {
        key_version: version,
        sealed: crypto::seal(keys.active_key(), &new, &plain),
        ..row.clone()
    })
}

/// The plaintext of a row, decrypted with the key version that sealed it.
fn open_bytes(
    keys: &Keyring,
    table: &'static str,
    row: &SealedRow,
) -> Result<Zeroizing<Vec<u8>>, DamagedRecord> {
    let key = keys.get(row.key_version).ok_or_else(|| {
        damaged(
            table,
            row,
            format!(
                "was sealed with key version {}, which this vault lacks",
                row.key_version
            ),
        )
    })?;
    if !(OLDEST_FORMAT..=RECORD_FORMAT).contains(&row.format) {
        return Err(damaged(
            table,
            row,
            format!("uses an unknown record format {}", row.format),
        ));
    }
    let aad = aad(table, row.uuid, row.parent, row.format, row.key_version);
    crypto::open(key, &aad, &row.sealed).map_err(|e| damaged(table, row, e.to_string()))
}

fn damaged(table: &'static str, row: &SealedRow, reason: String) -> DamagedRecord {
    DamagedRecord {
        table,
        uuid: row.uuid,
        reason,
    }
}

/// Opens a row sealed by [`seal`].
pub fn open<T: DeserializeOwned>(
    keys: &Keyring,
    table: &'static str,
    row: &SealedRow,
) -> Result<T, DamagedRecord> {
    let mut plain = open_bytes(keys, table, row)?;
    if row.format == 1 && (table == tables::ENTRIES || table == tables::HISTORY) {
        // The absent format-2 field (see the module comment), added in a
        // new buffer so that growing it leaves no plaintext copy behind.
        let mut longer = Zeroizing::new(Vec::with_capacity(plain.len() + 1));
        longer.extend_from_slice(&plain);
        longer.push(0);
        plain = longer;
    }
    postcard::from_bytes(&plain).map_err(|e| damaged(table, row, format!("does not decode ({e})")))
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

    /// Seals `value` the way format 1 did: its encoding without the trailing
    /// format-2 field, labelled format 1.
    fn sealed_as_format_1<T: Serialize>(
        keys: &Keyring,
        table: &'static str,
        uuid: Uuid,
        parent: Uuid,
        value: &T,
    ) -> SealedRow {
        let mut plain = postcard::to_stdvec(value).unwrap();
        assert_eq!(plain.pop(), Some(0), "the new field is last and absent");
        let aad = aad(table, uuid, parent, 1, keys.active_version());
        SealedRow {
            row: 0,
            uuid,
            parent,
            key_version: keys.active_version(),
            format: 1,
            sealed: crypto::seal(keys.active_key(), &aad, &plain),
        }
    }

    #[test]
    fn format_1_entries_and_history_still_open() {
        let keys = keys();
        let entry = Entry {
            uuid: Uuid::new_v4(),
            title: "Old".into(),
            password: "pw".into(),
            deleted_at: Some(5),
            ..Default::default()
        };
        let row = sealed_as_format_1(&keys, tables::ENTRIES, entry.uuid, Uuid::nil(), &entry);
        assert_eq!(open_entry(&keys, &row).unwrap(), entry);

        let item = HistoryItem {
            uuid: Uuid::new_v4(),
            entry_uuid: entry.uuid,
            password: "older".into(),
            changed_at: 7,
            reason: crate::core::entries::RotationReason::Breach,
            changed_by: crate::core::entries::Actor::User,
            source: None,
        };
        let row = sealed_as_format_1(&keys, tables::HISTORY, item.uuid, entry.uuid, &item);
        let opened = open_history(&keys, &row).unwrap();
        assert_eq!(opened.password, item.password);
        assert_eq!(opened.changed_at, 7);
        assert_eq!(opened.source, None);
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
