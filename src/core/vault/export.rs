//! Gathering what an export writes: entries with their whole history, and
//! the categories.

use std::collections::HashMap;

use super::{Vault, VaultError, records};
use crate::core::entries::HistoryItem;
use crate::core::events;
use crate::core::exchange::ExportData;
use crate::event;

impl Vault {
    /// Everything an export needs: live entries (and trashed ones when
    /// `with_trash`), each with its history oldest first, and the
    /// categories. History records that fail their integrity check are
    /// left out and counted in the second value.
    pub fn export_data(&self, with_trash: bool) -> Result<(ExportData, usize), VaultError> {
        let (mut history, damaged) = self.all_history()?;
        let entries = self
            .entries
            .iter()
            .filter(|e| with_trash || !e.is_trashed())
            .map(|e| (e.clone(), history.remove(&e.uuid).unwrap_or_default()))
            .collect();
        let data = ExportData {
            entries,
            categories: self.categories.clone(),
        };
        Ok((data, damaged))
    }

    /// Every entry's history, oldest first, and how many history records
    /// failed their integrity check (left out, and logged).
    pub(super) fn all_history(
        &self,
    ) -> Result<(HashMap<uuid::Uuid, Vec<HistoryItem>>, usize), VaultError> {
        let uuid_of_row: HashMap<i64, uuid::Uuid> = self
            .rows
            .iter()
            .zip(&self.entries)
            .map(|(&row, entry)| (row, entry.uuid))
            .collect();
        let mut history: HashMap<uuid::Uuid, Vec<HistoryItem>> = HashMap::new();
        let mut damaged = 0;
        for (entry_row, mut row) in self.store.load_all_history()? {
            let Some(&uuid) = uuid_of_row.get(&entry_row) else {
                continue;
            };
            row.parent = uuid;
            match records::open_history(&self.keys, &row) {
                Ok(item) => history.entry(uuid).or_default().push(item),
                Err(d) => {
                    event!(
                        error,
                        events::RECORD_INTEGRITY_FAILED,
                        "history record of {} {}",
                        events::entry_ref(&uuid),
                        d.reason
                    );
                    damaged += 1;
                }
            }
        }
        Ok((history, damaged))
    }
}
