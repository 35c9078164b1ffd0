//! Bringing parsed files into the vault: planning (what each imported
//! entry will do, without writing) and applying the plan in one
//! transaction.
//!
//! An imported entry whose uuid the vault already knows is a copy of the
//! same entry (our own exports, a KDBX made from this vault, a Bitwarden
//! export imported twice) and is merged: the side edited last wins, the
//! other side's password goes into the history, and a deletion on either
//! side moves the entry to the trash. Any other entry is compared with the
//! live entries by username and host, and the duplicate policy decides.

use std::collections::{HashMap, HashSet};

use uuid::Uuid;

use super::{Vault, VaultError, records};
use crate::core::entries::{Actor, Category, Entry, HistoryItem, ImportMark, RotationReason};
use crate::core::events;
use crate::core::exchange::{Format, ImportedEntry, Parsed, PastPassword, Skipped, host_of};
use crate::core::secret::SecretString;
use crate::core::time;
use crate::event;

/// What to do with an imported entry that duplicates a live one (same
/// username on the same host).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DuplicatePolicy {
    /// Leave the vault's entry alone and report the row as skipped.
    #[default]
    Skip,
    /// Overwrite the vault's entry; its old password goes into history.
    Update,
    /// Add the imported entry beside it.
    KeepBoth,
}

impl DuplicatePolicy {
    /// Every policy, in display order.
    pub const ALL: &'static [DuplicatePolicy] = &[
        DuplicatePolicy::Skip,
        DuplicatePolicy::Update,
        DuplicatePolicy::KeepBoth,
    ];

    /// The name used on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            DuplicatePolicy::Skip => "skip",
            DuplicatePolicy::Update => "update",
            DuplicatePolicy::KeepBoth => "keep-both",
        }
    }
}

impl std::str::FromStr for DuplicatePolicy {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        DuplicatePolicy::ALL
            .iter()
            .copied()
            .find(|p| p.as_str() == s)
            .ok_or_else(|| format!("{s:?} is not one of: skip, update, keep-both"))
    }
}

/// What one imported entry will do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Becomes a new entry.
    Add,
    /// Replaces the fields of this vault entry (duplicate policy `update`).
    Update(Uuid),
    /// Is merged with the vault's copy of the same entry (same uuid).
    Merge(Uuid),
    /// Is left out, for this reason.
    Skip(String),
}

/// The outcome of planning: every imported entry with its action, plus what
/// the reader already skipped. Nothing has been written yet.
#[derive(Debug)]
pub struct ImportPlan {
    /// The format the file was read as.
    pub format: Format,
    /// Imported entries and what each will do, in file order.
    pub items: Vec<(ImportedEntry, Action)>,
    /// Entries of this vault the file says were deleted after their last
    /// change here: they move to the trash.
    pub trash: Vec<Uuid>,
    /// Items the reader could not import.
    pub unreadable: Vec<Skipped>,
    /// The reader's warnings.
    pub warnings: Vec<String>,
    /// Categories the file names that the vault lacks, with their colors.
    pub new_categories: Vec<(String, String)>,
}

impl ImportPlan {
    /// How many entries will be added, updated (or merged), and skipped.
    pub fn counts(&self) -> (usize, usize, usize) {
        let mut counts = (0, 0, self.unreadable.len());
        for (_, action) in &self.items {
            match action {
                Action::Add => counts.0 += 1,
                Action::Update(_) | Action::Merge(_) => counts.1 += 1,
                Action::Skip(_) => counts.2 += 1,
            }
        }
        counts
    }

    /// Every skipped item with its reason: the reader's and the planner's.
    pub fn skipped(&self) -> Vec<Skipped> {
        let mut all = self.unreadable.clone();
        all.extend(self.items.iter().filter_map(|(item, action)| match action {
            Action::Skip(reason) => Some(Skipped {
                location: item.location.clone(),
                reason: reason.clone(),
            }),
            _ => None,
        }));
        all
    }
}

/// What an applied import did.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ImportReport {
    /// New entries.
    pub added: usize,
    /// Entries overwritten or merged.
    pub updated: usize,
    /// Entries moved to the trash because the file deleted them.
    pub trashed: usize,
    /// Items left out, with reasons.
    pub skipped: Vec<Skipped>,
    /// The reader's warnings.
    pub warnings: Vec<String>,
}

/// The key that makes two entries duplicates: the username and the host of
/// the first URL, or (for entries without a URL) the username and the
/// title, both compared without regard to case.
fn duplicate_key(entry: &Entry) -> Option<(String, String)> {
    let user = entry.username.expose().trim().to_lowercase();
    let place = match entry.urls.iter().find_map(|u| host_of(u.expose())) {
        Some(host) => format!("host:{host}"),
        None => format!("title:{}", entry.title.expose().trim().to_lowercase()),
    };
    Some((user, place))
}

impl Vault {
    /// Decides what each entry of `parsed` will do, writing nothing.
    pub fn plan_import(&self, parsed: Parsed, policy: DuplicatePolicy) -> ImportPlan {
        let mut by_key: HashMap<(String, String), Uuid> = HashMap::new();
        for entry in self.entries.iter().filter(|e| !e.is_trashed()) {
            if let Some(key) = duplicate_key(entry) {
                by_key.entry(key).or_insert(entry.uuid);
            }
        }

        // Times beyond this are a wrong clock or a hostile file: trusted,
        // they would win every later merge against edits made here.
        let trusted_until = time::now_unix() + FUTURE_SKEW;
        let mut warnings = parsed.warnings;
        let mut ids_in_file = HashSet::new();
        let mut items = Vec::with_capacity(parsed.entries.len());
        for mut item in parsed.entries {
            // A file that names one id twice (a copied row, a hostile file)
            // would otherwise store two rows with the same id, and the vault
            // would hide one of them: the later one becomes an entry of its
            // own instead.
            if !item.entry.uuid.is_nil() && !ids_in_file.insert(item.entry.uuid) {
                warnings.push(format!(
                    "{} repeats the id of an earlier entry in the file; it is imported \
                     as a separate entry",
                    item.location
                ));
                item.entry.uuid = Uuid::nil();
            }
            if distrust_future(&mut item.entry, trusted_until) {
                warnings.push(format!(
                    "{} is dated in the future; that time is not kept, and a copy in the \
                     vault is preferred to it",
                    item.location
                ));
            }
            let action = self.action_for(&item, policy, &by_key);
            items.push((item, action));
        }
        let trash = parsed
            .deleted
            .iter()
            .filter_map(|&(uuid, at)| {
                let local = self.get(uuid)?;
                // A live copy in the file changed after the deletion wins.
                let edited_in_file = items
                    .iter()
                    .filter(|(item, _)| item.entry.uuid == uuid && !item.entry.is_trashed())
                    .map(|(item, _)| item.entry.updated_at)
                    .max()
                    .unwrap_or(i64::MIN);
                (!local.is_trashed()
                    && at > local.updated_at
                    && at > edited_in_file
                    && at <= trusted_until)
                    .then_some(uuid)
            })
            .collect();
        let new_categories = parsed
            .categories
            .iter()
            // Trimmed, as entries' categories are (`settle_categories`): "Work "
            // is the vault's "Work", not a second category that looks the same.
            .map(|name| name.trim())
            .filter(|name| !name.is_empty())
            .filter(|name| {
                !self
                    .categories
                    .iter()
                    .any(|c| super::lookup::same_name(c.name.expose(), name))
            })
            .map(|name| {
                let color = parsed
                    .category_colors
                    .iter()
                    .find(|(n, c)| n.trim() == name && is_color(c))
                    .map_or(super::edit::NEW_CATEGORY_COLOR, |(_, c)| c.as_str());
                (name.to_owned(), color.to_owned())
            })
            .collect();
        ImportPlan {
            format: parsed.format,
            items,
            trash,
            unreadable: parsed.skipped,
            warnings,
            new_categories,
        }
    }

    fn action_for(
        &self,
        item: &ImportedEntry,
        policy: DuplicatePolicy,
        by_key: &HashMap<(String, String), Uuid>,
    ) -> Action {
        if let Err(problem) = item.entry.validate() {
            return Action::Skip(problem);
        }
        if let Some(local) = (!item.entry.uuid.is_nil())
            .then(|| self.get(item.entry.uuid))
            .flatten()
        {
            // Equal times do not mean equal content (two copies changed in
            // the same second): what counts is whether merging changes
            // anything, the entry or its history.
            let merged = self.merged(local.uuid, item.clone(), "", 0);
            if merged.entry == *local && merged.history.is_empty() {
                return Action::Skip("already in the vault, unchanged".to_owned());
            }
            return Action::Merge(local.uuid);
        }
        if item.entry.is_trashed() {
            // A deleted entry the vault never had: nothing to merge with.
            return Action::Skip("it is in the file's trash".to_owned());
        }
        let duplicate = duplicate_key(&item.entry).and_then(|k| by_key.get(&k).copied());
        match (duplicate, policy) {
            (None, _) | (Some(_), DuplicatePolicy::KeepBoth) => Action::Add,
            (Some(uuid), DuplicatePolicy::Update) => Action::Update(uuid),
            (Some(uuid), DuplicatePolicy::Skip) => Action::Skip(format!(
                "same username on the same site as entry {}",
                crate::core::entries::short_id(&uuid)
            )),
        }
    }

    /// Applies a plan in one transaction: all of it is written, or none.
    pub fn apply_import(&mut self, plan: ImportPlan) -> Result<ImportReport, VaultError> {
        let now = time::now_unix();
        let source = plan.format.name().to_owned();
        let mut report = ImportReport {
            skipped: plan.skipped(),
            warnings: plan.warnings.clone(),
            ..ImportReport::default()
        };

        // Work out every row to write before touching the database.
        let mut writes: Vec<Write> = Vec::new();
        for (item, action) in plan.items {
            let write = match action {
                Action::Skip(_) => continue,
                Action::Add => self.added(item, &source, now),
                Action::Update(uuid) => self.overwritten(uuid, item, &source, now),
                Action::Merge(uuid) => self.merged(uuid, item, &source, now),
            };
            match &write.slot {
                None => report.added += 1,
                Some(_) => report.updated += 1,
            }
            writes.push(write);
        }
        for uuid in plan.trash {
            let Ok(slot) = self.slot(uuid) else { continue };
            report.trashed += 1;
            // The file may both change the entry and delete it: trash the
            // merged entry, not the vault's old copy, or the file's changes
            // (and its password) would be overwritten by the second write.
            if let Some(write) = writes.iter_mut().find(|w| w.slot == Some(slot)) {
                write.entry.deleted_at.get_or_insert(now);
                continue;
            }
            let mut entry = self.entries[slot].clone();
            entry.deleted_at = Some(now);
            writes.push(Write {
                slot: Some(slot),
                entry,
                history: Vec::new(),
            });
        }
        let mut entries: Vec<Entry> = writes.iter().map(|w| w.entry.clone()).collect();
        let mut categories = self.settle_categories(&mut entries);
        for (name, color) in &plan.new_categories {
            match categories
                .iter_mut()
                .find(|c| super::lookup::same_name(c.name.expose(), name))
            {
                Some(category) => category.color = color.clone(),
                None => categories.push(Category {
                    uuid: Uuid::new_v4(),
                    name: name.as_str().into(),
                    color: color.clone(),
                }),
            }
        }
        for (write, settled) in writes.iter_mut().zip(entries) {
            write.entry = settled;
        }

        let rows = self.write_import(&writes, &categories)?;
        self.finish_import(writes, rows, categories);
        event!(
            info,
            events::IMPORT_COMPLETED,
            "import from {source}: added={} updated={} trashed={} skipped={}",
            report.added,
            report.updated,
            report.trashed,
            report.skipped.len()
        );
        Ok(report)
    }

    fn write_import(
        &mut self,
        writes: &[Write],
        categories: &[Category],
    ) -> Result<Vec<i64>, VaultError> {
        let keys = &self.keys;
        let keep = self.history_policy.max_versions;
        let keep_history = self.history_policy.enabled;
        let existing: Vec<i64> = writes
            .iter()
            .map(|w| w.slot.map_or(0, |s| self.rows[s]))
            .collect();
        let rows = self.store.write(|w| {
            for category in categories {
                w.put_category(&records::seal_category(keys, category))?;
            }
            let mut rows = Vec::with_capacity(writes.len());
            for (write, row) in writes.iter().zip(existing) {
                let row = w.put_entry(&records::seal_entry(keys, &write.entry, row))?;
                if keep_history {
                    for item in &write.history {
                        w.push_history(row, &records::seal_history(keys, item), keep)?;
                    }
                }
                rows.push(row);
            }
            Ok(rows)
        })?;
        Ok(rows)
    }

    fn finish_import(&mut self, writes: Vec<Write>, rows: Vec<i64>, categories: Vec<Category>) {
        self.revision += 1;
        self.categories.extend(categories);
        self.categories
            .sort_by(|a, b| a.name.expose().cmp(b.name.expose()));
        for (write, row) in writes.into_iter().zip(rows) {
            match write.slot {
                Some(slot) => {
                    self.index.update(slot, &write.entry);
                    self.entries[slot] = write.entry;
                }
                None => {
                    self.index.push(&write.entry);
                    self.slots.insert(write.entry.uuid, self.entries.len());
                    self.entries.push(write.entry);
                    self.rows.push(row);
                }
            }
        }
    }

    /// A new entry from an imported one.
    fn added(&self, item: ImportedEntry, source: &str, now: i64) -> Write {
        let mut entry = item.entry;
        if entry.uuid.is_nil() || self.slots.contains_key(&entry.uuid) {
            entry.uuid = Uuid::new_v4();
        }
        if entry.created_at <= 0 {
            entry.created_at = now;
        }
        if entry.updated_at <= 0 {
            entry.updated_at = entry.created_at;
        }
        entry.imported = Some(ImportMark {
            format: source.to_owned(),
            at: now,
        });
        let history = imported_history(entry.uuid, &item.history, source);
        Write {
            slot: None,
            entry,
            history,
        }
    }

    /// The vault's entry `uuid` overwritten by a duplicate from the file.
    fn overwritten(&self, uuid: Uuid, item: ImportedEntry, source: &str, now: i64) -> Write {
        let slot = self.slots[&uuid];
        let old = &self.entries[slot];
        let mut entry = item.entry;
        keep_what_the_file_lacks(&mut entry, old);
        entry.uuid = uuid;
        entry.created_at = old.created_at;
        entry.updated_at = now;
        entry.deleted_at = None;
        entry.imported = Some(ImportMark {
            format: source.to_owned(),
            at: now,
        });
        let mut history =
            self.unknown_history(uuid, imported_history(uuid, &item.history, source), None);
        if !old.password.ct_eq(&entry.password) && !old.password.is_empty() {
            history.push(history_item(uuid, old.password.clone(), now, source));
        }
        Write {
            slot: Some(slot),
            entry,
            history,
        }
    }

    /// The vault's copy of an entry merged with the file's copy: the one
    /// changed last wins, the other's password goes into history, and a
    /// deletion on either side after the other's last change is kept.
    fn merged(&self, uuid: Uuid, item: ImportedEntry, source: &str, now: i64) -> Write {
        let slot = self.slots[&uuid];
        let local = &self.entries[slot];
        let theirs = item.entry;
        let theirs_newer = theirs.updated_at > local.updated_at;
        let (mut entry, loser) = if theirs_newer {
            (theirs, local.clone())
        } else {
            (local.clone(), theirs)
        };
        entry.uuid = uuid;
        entry.created_at = local.created_at.min(entry.created_at.max(1));
        entry.deleted_at = merged_deletion(local, &loser, &entry);
        if theirs_newer {
            entry.imported = Some(ImportMark {
                format: source.to_owned(),
                at: now,
            });
        }

        let replaced = (!loser.password.ct_eq(&entry.password) && !loser.password.is_empty())
            .then(|| history_item(uuid, loser.password.clone(), loser.updated_at, source));
        let history = self.unknown_history(
            uuid,
            imported_history(uuid, &item.history, source),
            replaced,
        );
        Write {
            slot: Some(slot),
            entry,
            history,
        }
    }
}

impl Vault {
    /// `items` without the ones the entry's history already holds (the same
    /// password changed at the same time), so merging a file twice does not
    /// repeat its history; then `replaced` (the password a merge sets
    /// aside) unless that history or `items` already holds it, so merging an
    /// older copy again and again does not fill the history with one
    /// password and push the real history out.
    fn unknown_history(
        &self,
        uuid: Uuid,
        mut items: Vec<HistoryItem>,
        replaced: Option<HistoryItem>,
    ) -> Vec<HistoryItem> {
        let known = self.history(uuid).map(|(k, _)| k).unwrap_or_default();
        items.retain(|item| {
            !known
                .iter()
                .any(|k| k.changed_at == item.changed_at && k.password.ct_eq(&item.password))
        });
        if let Some(replaced) = replaced {
            let held = known
                .iter()
                .chain(&items)
                .any(|k| k.password.ct_eq(&replaced.password));
            if !held {
                items.push(replaced);
            }
        }
        items
    }
}

/// Fills what an imported entry leaves empty from the vault's entry it
/// overwrites. A browser CSV has no TOTP, custom fields, tags or category
/// (and often no notes or password): `update` takes what the file says and
/// must not wipe the rest, such as a TOTP secret or a hidden PIN.
fn keep_what_the_file_lacks(entry: &mut Entry, old: &Entry) {
    if entry.password.is_empty() {
        entry.password = old.password.clone();
    }
    if entry.notes.is_blank() {
        entry.notes = old.notes.clone();
    }
    if entry.category.is_blank() {
        entry.category = old.category.clone();
    }
    if entry.tags.is_empty() {
        entry.tags = old.tags.clone();
    }
    if entry.totp.is_none() {
        entry.totp = old.totp.clone();
    }
    if entry.expires_at.is_none() {
        entry.expires_at = old.expires_at;
    }
    entry.favorite |= old.favorite;
    for url in &old.urls {
        if !entry.urls.contains(url) {
            entry.urls.push(url.clone());
        }
    }
    for field in &old.fields {
        if !entry.fields.iter().any(|f| f.name == field.name) {
            entry.fields.push(field.clone());
        }
    }
}

/// How far ahead of this machine's clock an imported time may be (other
/// machines' clocks drift).
const FUTURE_SKEW: i64 = 24 * 60 * 60;

/// Forgets an imported entry's times later than `limit`: a change time
/// becomes unknown (so the vault's copy wins a merge), a deletion time
/// becomes the (known) change time. Says whether anything was forgotten.
fn distrust_future(entry: &mut Entry, limit: i64) -> bool {
    let mut forgot = false;
    if entry.created_at > limit {
        entry.created_at = 0;
        forgot = true;
    }
    if entry.updated_at > limit {
        entry.updated_at = 0;
        forgot = true;
    }
    if let Some(deleted) = entry.deleted_at.filter(|&d| d > limit) {
        entry.deleted_at = Some(entry.updated_at.max(1).min(deleted));
        forgot = true;
    }
    forgot
}

/// The trash state after a merge: a deletion on either side stands unless
/// the other side changed the entry after it.
fn merged_deletion(local: &Entry, loser: &Entry, winner: &Entry) -> Option<i64> {
    let deletions = [local.deleted_at, loser.deleted_at, winner.deleted_at];
    let latest_deletion = deletions.into_iter().flatten().max()?;
    let latest_edit = [local, loser, winner]
        .iter()
        .filter(|e| e.deleted_at.is_none())
        .map(|e| e.updated_at)
        .max();
    match latest_edit {
        Some(edit) if edit > latest_deletion => None,
        _ => Some(latest_deletion),
    }
}

/// Whether `text` is a `#rrggbb` color.
fn is_color(text: &str) -> bool {
    text.len() == 7 && text.starts_with('#') && text[1..].bytes().all(|b| b.is_ascii_hexdigit())
}

/// One row to write: a new entry (`slot` none) or a changed one.
struct Write {
    slot: Option<usize>,
    entry: Entry,
    history: Vec<HistoryItem>,
}

fn history_item(entry: Uuid, password: SecretString, at: i64, source: &str) -> HistoryItem {
    HistoryItem {
        uuid: Uuid::new_v4(),
        entry_uuid: entry,
        password,
        changed_at: at,
        reason: RotationReason::Import,
        changed_by: Actor::Import,
        source: Some(source.to_owned()),
    }
}

/// The file's own password history as history items, oldest first (the
/// store keeps the newest rows, so the order of insertion matters).
fn imported_history(entry: Uuid, past: &[PastPassword], source: &str) -> Vec<HistoryItem> {
    let mut items: Vec<&PastPassword> = past.iter().filter(|p| !p.password.is_empty()).collect();
    items.sort_by_key(|p| p.changed_at);
    items
        .into_iter()
        .map(|p| {
            let mut item = history_item(entry, p.password.clone(), p.changed_at, source);
            if let Some((reason, actor)) = p.reason {
                item.reason = reason;
                item.changed_by = actor;
            }
            item
        })
        .collect()
}
