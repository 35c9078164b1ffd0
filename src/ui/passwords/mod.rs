//! The Passwords section: filters on the left, a searchable table in the
//! middle, the selected entry's details on the right.

mod detail;
mod sidebar;
mod table;

use uuid::Uuid;

use crate::core::entries::Entry;
use crate::core::time;
use crate::core::vault::{Filter, Vault};
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

/// State of the Passwords section.
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
    rows_key: Option<(u64, View, String, Column, bool)>,
    /// Entries in the vault that are not in the trash.
    pub live_total: usize,
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
            live_total: 0,
        }
    }
}

impl PasswordsState {
    /// The rows shown, recomputed only when the vault, filter, search or
    /// sort changed.
    pub fn rows(&mut self, vault: &Vault) -> &[Uuid] {
        let key = (
            vault.revision(),
            self.view.clone(),
            self.search.clone(),
            self.sort,
            self.ascending,
        );
        if self.rows_key.as_ref() != Some(&key) {
            let filter = Filter {
                category: match &self.view {
                    View::Category(name) => Some(name.clone()),
                    _ => None,
                },
                favorites: self.view == View::Favorites,
                expiring_days: (self.view == View::Expiring).then_some(30),
                expired: self.view == View::Expired,
                trash: self.view == View::Trash,
                search: (!self.search.trim().is_empty()).then(|| self.search.clone()),
            };
            let mut found = vault.query(&filter);
            if self.sort != Column::Title || !self.ascending {
                sort(&mut found, self.sort, self.ascending);
            }
            self.rows = found.iter().map(|e| e.uuid).collect();
            self.live_total = vault.entries().iter().filter(|e| !e.is_trashed()).count();
            self.rows_key = Some(key);
            if self.selected.is_some_and(|s| !self.rows.contains(&s)) {
                self.selected = None;
                self.reveal = false;
            }
        }
        &self.rows
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

fn sort(entries: &mut [&Entry], column: Column, ascending: bool) {
    let text = |e: &Entry| -> String {
        match column {
            Column::Title => e.title.expose().to_lowercase(),
            Column::Username => e.username.expose().to_lowercase(),
            Column::Url => e
                .primary_url()
                .map(|u| u.expose().to_lowercase())
                .unwrap_or_default(),
            Column::Category => e.category.expose().to_lowercase(),
            Column::Modified | Column::Expires => String::new(),
        }
    };
    entries.sort_by(|a, b| {
        let order = match column {
            Column::Modified => a.updated_at.cmp(&b.updated_at),
            Column::Expires => a
                .expires_at
                .unwrap_or(i64::MAX)
                .cmp(&b.expires_at.unwrap_or(i64::MAX)),
            _ => text(a).cmp(&text(b)),
        };
        if ascending { order } else { order.reverse() }
    });
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
