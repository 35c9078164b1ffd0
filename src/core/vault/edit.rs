//! Writes: adding, changing, trashing, restoring and purging entries.
//!
//! Each method is one transaction. The in-memory entries and search index
//! change only after the commit succeeded, so a failed write (a full disk, a
//! crash) leaves both the file and the open vault as they were.

use uuid::Uuid;

use super::lookup::same_name;
use super::{Vault, VaultError, records};
use crate::core::entries::{Actor, Category, Entry, EntryPatch, HistoryItem, RotationReason};
use crate::core::events::{self, entry_ref};
use crate::core::secret::SecretString;
use crate::core::time;
use crate::event;

impl Vault {
    /// Adds a new entry; its uuid and timestamps are assigned here.
    pub fn add(&mut self, entry: Entry) -> Result<Uuid, VaultError> {
        let uuids = self.add_many(vec![entry])?;
        Ok(uuids[0])
    }

    /// Adds many entries in one transaction (imports, benchmarks).
    pub fn add_many(&mut self, mut entries: Vec<Entry>) -> Result<Vec<Uuid>, VaultError> {
        let now = time::now_unix();
        for entry in &mut entries {
            entry.validate().map_err(VaultError::Invalid)?;
            entry.uuid = Uuid::new_v4();
            entry.created_at = now;
            entry.updated_at = now;
        }
        let new_categories = self.settle_categories(&mut entries);
        let keys = &self.keys;
        let rows = self.store.write(|w| {
            for category in &new_categories {
                w.put_category(&records::seal_category(keys, category))?;
            }
            entries
                .iter()
                .map(|entry| w.put_entry(&records::seal_entry(keys, entry, 0)))
                .collect::<Result<Vec<i64>, _>>()
        })?;

        self.revision += 1;
        self.categories.extend(new_categories);
        self.categories
            .sort_by(|a, b| a.name.expose().cmp(b.name.expose()));
        let uuids: Vec<Uuid> = entries.iter().map(|e| e.uuid).collect();
        for (entry, row) in entries.into_iter().zip(rows) {
            event!(
                info,
                events::ENTRY_ADDED,
                "{} added",
                entry_ref(&entry.uuid)
            );
            self.index.push(&entry);
            self.slots.insert(entry.uuid, self.entries.len());
            self.entries.push(entry);
            self.rows.push(row);
        }
        Ok(uuids)
    }

    /// Changes an entry. A new password pushes the old one into the history
    /// with `reason` and `actor`.
    pub fn update(
        &mut self,
        uuid: Uuid,
        patch: EntryPatch,
        reason: RotationReason,
        actor: Actor,
    ) -> Result<(), VaultError> {
        let slot = self.slot(uuid)?;
        let old = &self.entries[slot];
        let mut next = patch.apply(old).map_err(VaultError::Invalid)?;
        next.validate().map_err(VaultError::Invalid)?;
        let now = time::now_unix();
        next.updated_at = now;

        let rotated = !next.password.ct_eq(&old.password);
        let history =
            (rotated && self.history_policy.enabled && !old.password.is_empty()).then(|| {
                HistoryItem {
                    uuid: Uuid::new_v4(),
                    entry_uuid: uuid,
                    password: old.password.clone(),
                    changed_at: now,
                    reason,
                    changed_by: actor,
                    source: None,
                }
            });
        let new_categories = self.settle_categories(std::slice::from_mut(&mut next));
        let keys = &self.keys;
        let keep = self.history_policy.max_versions;
        let row = self.rows[slot];
        self.store.write(|w| {
            for category in &new_categories {
                w.put_category(&records::seal_category(keys, category))?;
            }
            w.put_entry(&records::seal_entry(keys, &next, row))?;
            if let Some(item) = &history {
                w.push_history(row, &records::seal_history(keys, item), keep)?;
            }
            Ok(())
        })?;

        self.revision += 1;
        self.categories.extend(new_categories);
        if rotated {
            event!(
                info,
                events::PASSWORD_ROTATED,
                "{} password changed: reason={reason} by={actor}",
                entry_ref(&uuid)
            );
        }
        event!(info, events::ENTRY_UPDATED, "{} updated", entry_ref(&uuid));
        self.index.update(slot, &next);
        self.entries[slot] = next;
        Ok(())
    }

    /// Moves an entry to the trash.
    pub fn trash(&mut self, uuid: Uuid) -> Result<(), VaultError> {
        if self.entries[self.slot(uuid)?].is_trashed() {
            return Err(VaultError::Invalid(
                "that entry is already in the trash".to_owned(),
            ));
        }
        self.set_deleted(uuid, Some(time::now_unix()))?;
        event!(
            info,
            events::ENTRY_TRASHED,
            "{} moved to the trash",
            entry_ref(&uuid)
        );
        Ok(())
    }

    /// Brings an entry back from the trash.
    pub fn restore(&mut self, uuid: Uuid) -> Result<(), VaultError> {
        if !self.entries[self.slot(uuid)?].is_trashed() {
            return Err(VaultError::Invalid(
                "that entry is not in the trash".to_owned(),
            ));
        }
        self.set_deleted(uuid, None)?;
        event!(
            info,
            events::ENTRY_RESTORED,
            "{} restored from the trash",
            entry_ref(&uuid)
        );
        Ok(())
    }

    /// Deletes a trashed entry and its history for good.
    pub fn purge(&mut self, uuid: Uuid) -> Result<(), VaultError> {
        if !self.entries[self.slot(uuid)?].is_trashed() {
            return Err(VaultError::Invalid(
                "only entries in the trash can be purged; move it to the trash first".to_owned(),
            ));
        }
        self.purge_many(&[uuid])?;
        Ok(())
    }

    /// Deletes every trashed entry; returns how many.
    pub fn empty_trash(&mut self) -> Result<usize, VaultError> {
        let trashed: Vec<Uuid> = self
            .entries
            .iter()
            .filter(|e| e.is_trashed())
            .map(|e| e.uuid)
            .collect();
        self.purge_many(&trashed)?;
        Ok(trashed.len())
    }

    fn purge_many(&mut self, uuids: &[Uuid]) -> Result<(), VaultError> {
        let rows: Vec<i64> = uuids
            .iter()
            .filter_map(|uuid| self.slots.get(uuid))
            .map(|&slot| self.rows[slot])
            .collect();
        self.store.write(|w| {
            rows.iter().try_for_each(|row| w.delete_entry(*row))?;
            // An entry's audit exclusions go with it.
            uuids.iter().try_for_each(|uuid| w.delete_audit(*uuid))
        })?;
        self.revision += 1;
        for uuid in uuids {
            let Some(slot) = self.slots.remove(uuid) else {
                continue;
            };
            self.index.swap_remove(slot);
            self.entries.swap_remove(slot);
            self.rows.swap_remove(slot);
            if let Some(moved) = self.entries.get(slot) {
                self.slots.insert(moved.uuid, slot);
            }
            event!(
                info,
                events::ENTRY_PURGED,
                "{} deleted for good",
                entry_ref(uuid)
            );
        }
        if self.index.wants_rebuild() {
            self.index = crate::core::index::SearchIndex::build(&self.entries);
        }
        Ok(())
    }

    fn set_deleted(&mut self, uuid: Uuid, deleted_at: Option<i64>) -> Result<(), VaultError> {
        let slot = self.slot(uuid)?;
        let mut next = self.entries[slot].clone();
        next.deleted_at = deleted_at;
        let row = records::seal_entry(&self.keys, &next, self.rows[slot]);
        self.store.write(|w| w.put_entry(&row))?;
        self.revision += 1;
        self.entries[slot] = next;
        Ok(())
    }

    pub(super) fn slot(&self, uuid: Uuid) -> Result<usize, VaultError> {
        self.slots
            .get(&uuid)
            .copied()
            .ok_or_else(|| VaultError::NotFound {
                id: crate::core::entries::short_id(&uuid),
                listing: "list",
            })
    }

    /// Gives each entry's category the spelling of an existing category
    /// that matches it ignoring case, and returns the categories that are
    /// new to the vault.
    pub(super) fn settle_categories(&self, entries: &mut [Entry]) -> Vec<Category> {
        let mut missing: Vec<Category> = Vec::new();
        for entry in entries {
            let name = entry.category.expose().trim().to_owned();
            if name.is_empty() {
                entry.category = SecretString::default();
                continue;
            }
            let known = self
                .categories
                .iter()
                .chain(&missing)
                .find(|c| same_name(c.name.expose(), &name));
            match known {
                Some(c) => entry.category = c.name.clone(),
                None => {
                    entry.category = SecretString::from(name.as_str());
                    missing.push(Category {
                        uuid: Uuid::new_v4(),
                        name: name.as_str().into(),
                        color: NEW_CATEGORY_COLOR.to_owned(),
                    });
                }
            }
        }
        missing
    }
}

/// The color a category gets when an entry names it first.
pub(super) const NEW_CATEGORY_COLOR: &str = "#6b7280";
