//! The Passwords section: filters on the left, a searchable table in the
//! middle, the selected entry's details on the right.

mod detail;
mod sidebar;
mod table;

use uuid::Uuid;

use std::collections::{HashMap, HashSet};

use crate::core::audit::{AuditReport, Rule};
use crate::core::entries::Entry;
use crate::core::time;
use crate::core::vault::Vault;
use crate::ui::command::Command;

pub use detail::{CopyWhat, DetailAction};

/// Which entries the sidebar selects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum View {
    /// Every live entry.
    All,
    /// Favorites.
    Favorites,
    /// Expiring within 30 days.
    Expiring,
    /// Already expired.
    Expired,
    /// The trash.
    Trash,
    /// One category.
    Category(String),
    /// The entries the last audit found with this rule.
    Audit(Rule),
}

/// A table column to sort by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Column {
    Title,
    Username,
    Url,
    Category,
    Modified,
    Expires,
}

/// How many entries each sidebar filter holds.
#[derive(Default)]
pub struct Counts {
    /// Live entries.
    pub all: usize,
    /// Live favorites.
    pub favorites: usize,
    /// Live entries expiring within 30 days.
    pub expiring: usize,
    /// Live entries already expired.
    pub expired: usize,
    /// Entries in the trash.
    pub trash: usize,
    /// Live entries per category name.
    pub per_category: std::collections::HashMap<String, usize>,
}

/// State of the Passwords section.
///
/// Everything derived from the whole vault (the sorted order, the counts)
/// is cached until the vault changes, so a frame costs only the visible
/// rows and a keystroke in the search box costs one index scan and one
/// pass over the cached order.
pub struct PasswordsState {
    /// The sidebar's choice.
    pub view: View,
    /// The search box's text.
    pub search: String,
    sort: Column,
    ascending: bool,
    /// The selected entry.
    pub selected: Option<Uuid>,
    /// Whether the selected entry's password is shown.
    pub reveal: bool,
    /// Put the cursor in the search box on the next frame.
    pub focus_search: bool,
    rows: Vec<Uuid>,
    rows_key: Option<(u64, View, String, Column, bool, i64)>,
    order: Vec<usize>,
    order_key: Option<(u64, Column, bool)>,
    counts: Counts,
    counts_key: Option<(u64, i64)>,
    details: Option<detail::Details>,
    /// Entries in the vault that are not in the trash.
    pub live_total: usize,
    /// Which entries the last audit found, by rule (for `View::Audit`).
    audit_hits: HashMap<Rule, HashSet<Uuid>>,
}

impl Default for PasswordsState {
    fn default() -> Self {
        Self {
            view: View::All,
            search: String::new(),
            sort: Column::Title,
            ascending: true,
            selected: None,
            reveal: false,
            focus_search: false,
            rows: Vec::new(),
            rows_key: None,
            order: Vec::new(),
            order_key: None,
            counts: Counts::default(),
            counts_key: None,
            details: None,
            live_total: 0,
            audit_hits: HashMap::new(),
        }
    }
}

/// The current hour, so date-based filters refresh during a long session.
fn hour() -> i64 {
    time::now_unix() / 3600
}

impl PasswordsState {
    /// Takes in the last audit's findings, for the audit views.
    pub fn set_audit_findings(&mut self, report: Option<&AuditReport>) {
        self.audit_hits.clear();
        for finding in report.map_or(&[][..], |r| &r.findings[..]) {
            self.audit_hits
                .entry(finding.rule)
                .or_default()
                .insert(finding.entry);
        }
        // The cached rows were filtered with the old findings.
        self.rows_key = None;
    }

    /// How many entries the last audit found with `rule`.
    pub fn audit_count(&self, rule: Rule) -> usize {
        self.audit_hits.get(&rule).map_or(0, HashSet::len)
    }

    /// The rows shown, recomputed only when the vault, filter, search or
    /// sort changed.
    pub fn rows(&mut self, vault: &Vault) -> &[Uuid] {
        let key = (
            vault.revision(),
            self.view.clone(),
            self.search.clone(),
            self.sort,
            self.ascending,
            hour(),
        );
        if self.rows_key.as_ref() == Some(&key) {
            return &self.rows;
        }
        self.refresh_order(vault);
        let entries = vault.entries();
        let matching: Option<Vec<bool>> = (!self.search.trim().is_empty()).then(|| {
            let mut hit = vec![false; entries.len()];
            for slot in vault.search_slots(&self.search) {
                hit[slot] = true;
            }
            hit
        });
        let now = time::now_unix();
        let view = &self.view;
        let wanted = |e: &Entry| match view {
            View::All => !e.is_trashed(),
            View::Favorites => !e.is_trashed() && e.favorite,
            View::Expiring => !e.is_trashed() && e.expires_within(now, 30),
            View::Expired => !e.is_trashed() && e.is_expired(now),
            View::Trash => e.is_trashed(),
            View::Category(name) => !e.is_trashed() && e.category.expose() == name,
            View::Audit(rule) => self
                .audit_hits
                .get(rule)
                .is_some_and(|hits| hits.contains(&e.uuid)),
        };
        self.rows = self
            .order
            .iter()
            .filter(|&&slot| matching.as_ref().is_none_or(|hit| hit[slot]))
            .map(|&slot| &entries[slot])
            .filter(|e| wanted(e))
            .map(|e| e.uuid)
            .collect();
        self.live_total = self.counts(vault).all;
        self.rows_key = Some(key);
        if self.selected.is_some_and(|s| !self.rows.contains(&s)) {
            self.selected = None;
            self.reveal = false;
        }
        &self.rows
    }

    /// Every entry's position, sorted by the current column.
    fn refresh_order(&mut self, vault: &Vault) {
        let key = (vault.revision(), self.sort, self.ascending);
        if self.order_key == Some(key) {
            return;
        }
        let entries = vault.entries();
        let mut order: Vec<usize> = (0..entries.len()).collect();
        match self.sort {
            Column::Modified => order.sort_by_key(|&i| entries[i].updated_at),
            Column::Expires => order.sort_by_key(|&i| entries[i].expires_at.unwrap_or(i64::MAX)),
            column => {
                // Lowercase each key once rather than in every comparison.
                let keys: Vec<String> = entries.iter().map(|e| sort_text(e, column)).collect();
                order.sort_by(|&a, &b| keys[a].cmp(&keys[b]));
            }
        }
        if !self.ascending {
            order.reverse();
        }
        self.order = order;
        self.order_key = Some(key);
    }

    /// The sidebar's counts, recomputed when the vault changes.
    pub fn counts(&mut self, vault: &Vault) -> &Counts {
        let key = (vault.revision(), hour());
        if self.counts_key != Some(key) {
            let now = time::now_unix();
            let mut counts = Counts::default();
            for e in vault.entries() {
                if e.is_trashed() {
                    counts.trash += 1;
                    continue;
                }
                counts.all += 1;
                counts.favorites += usize::from(e.favorite);
                counts.expiring += usize::from(e.expires_within(now, 30));
                counts.expired += usize::from(e.is_expired(now));
                *counts
                    .per_category
                    .entry(e.category.expose().to_owned())
                    .or_default() += 1;
            }
            self.counts = counts;
            self.counts_key = Some(key);
        }
        &self.counts
    }

    /// Clicking a header sorts by it, or flips the order.
    pub fn sort_by(&mut self, column: Column) {
        if self.sort == column {
            self.ascending = !self.ascending;
        } else {
            self.sort = column;
            self.ascending = true;
        }
    }
}

fn sort_text(e: &Entry, column: Column) -> String {
    match column {
        Column::Username => e.username.expose().to_lowercase(),
        Column::Url => e
            .primary_url()
            .map(|u| u.expose().to_lowercase())
            .unwrap_or_default(),
        Column::Category => e.category.expose().to_lowercase(),
        _ => e.title.expose().to_lowercase(),
    }
}

/// What the section asks the app to do.
pub enum PasswordsAction {
    /// Run a command.
    Command(Command),
    /// Something from the detail panel.
    Detail(DetailAction),
    /// Empty the trash (after confirmation).
    EmptyTrash,
}

/// Draws the Passwords section.
pub fn passwords_ui(
    ui: &mut egui::Ui,
    state: &mut PasswordsState,
    vault: &Vault,
) -> Option<PasswordsAction> {
    let mut action = None;
    egui::Panel::left("filters")
        .resizable(false)
        .exact_size(200.0)
        .show(ui, |ui| {
            action = sidebar::sidebar_ui(ui, state, vault).or(action.take());
        });
    if let Some(uuid) = state.selected
        && let Some(entry) = vault.get(uuid)
    {
        egui::Panel::right("details")
            .resizable(true)
            .default_size(340.0)
            .show(ui, |ui| {
                if let Some(a) = detail::detail_ui(ui, state, vault, entry) {
                    action = Some(PasswordsAction::Detail(a));
                }
            });
    }
    egui::CentralPanel::default().show(ui, |ui| {
        if let Some(a) = table::table_ui(ui, state, vault) {
            action = Some(a);
        }
    });
    action
}

/// A date for the table ("2026-12-04"), or empty.
fn date(unix: Option<i64>) -> String {
    unix.map(time::format_date).unwrap_or_default()
}
