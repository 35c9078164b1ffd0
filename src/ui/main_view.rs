//! The unlocked window's frame: menu bar, status bar and small dialogs.

use egui::{RichText, Ui};

use super::backup_status::StatusLine;
use super::command::Command;
use super::theme;
use super::widgets;

/// A small dialog over the main window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialog {
    /// The keyboard shortcuts.
    Shortcuts,
    /// Version and licence.
    About,
    /// Confirm emptying the trash.
    ConfirmEmptyTrash,
    /// Confirm deleting one trashed entry for good.
    ConfirmPurge(uuid::Uuid),
}

/// What a dialog decided.
pub enum DialogOutcome {
    /// Still open.
    Open,
    /// Closed without a decision.
    Closed,
    /// The person confirmed.
    Confirmed,
}

/// Draws the menu bar; returns the chosen command.
pub fn menu_bar_ui(ui: &mut Ui, has_selection: bool) -> Option<Command> {
    let mut chosen = None;
    egui::MenuBar::new().ui(ui, |ui| {
        ui.menu_button("File", |ui| {
            for (command, enabled) in [
                (Command::NewEntry, true),
                (Command::Import, true),
                (Command::Export, true),
                (Command::BackupNow, true),
                (Command::Lock, true),
                (Command::Quit, true),
            ] {
                if command.menu_item(ui, enabled) {
                    chosen = Some(command);
                }
            }
        });
        ui.menu_button("Entry", |ui| {
            for command in [
                Command::EditEntry,
                Command::CopyPassword,
                Command::CopyUsername,
                Command::CopyUrl,
                Command::DeleteEntry,
            ] {
                if command.menu_item(ui, has_selection) {
                    chosen = Some(command);
                }
            }
        });
        ui.menu_button("Security", |ui| {
            if Command::RunAudit.menu_item(ui, true) {
                chosen = Some(Command::RunAudit);
            }
        });
        ui.menu_button("Backup", |ui| {
            for command in [Command::BackupNow, Command::RestoreBackup] {
                if command.menu_item(ui, true) {
                    chosen = Some(command);
                }
            }
        });
        ui.menu_button("Help", |ui| {
            for command in [
                Command::ShowShortcuts,
                Command::OpenDataFolder,
                Command::ShowAbout,
            ] {
                if command.menu_item(ui, true) {
                    chosen = Some(command);
                }
            }
        });
    });
    chosen
}

/// Draws the status bar.
pub fn status_bar_ui(
    ui: &mut Ui,
    shown: usize,
    total: usize,
    clipboard: Option<(&str, u64)>,
    backup: &StatusLine,
) {
    ui.horizontal(|ui| {
        ui.label(format!(
            "{} shown / {} {}",
            widgets::number(shown),
            widgets::number(total),
            if total == 1 { "entry" } else { "entries" }
        ));
        ui.separator();
        ui.label(RichText::new("Unlocked").color(theme::SUCCESS));
        ui.separator();
        if backup.busy {
            ui.spinner();
        }
        let text = RichText::new(&backup.text);
        ui.label(match backup.color {
            Some(color) => text.color(color),
            None => text,
        });
        if let Some((what, secs)) = clipboard {
            ui.separator();
            ui.label(format!("{what} on the clipboard, cleared in {secs} s"));
        }
    });
}

/// Draws a dialog.
pub fn dialog_ui(ctx: &egui::Context, dialog: Dialog) -> DialogOutcome {
    let mut outcome = DialogOutcome::Open;
    let response = egui::Modal::new(egui::Id::unique("dialog")).show(ctx, |ui| {
        ui.set_max_width(460.0);
        match dialog {
            Dialog::Shortcuts => {
                ui.heading("Keyboard shortcuts");
                egui::Grid::new("shortcuts")
                    .num_columns(2)
                    .spacing([24.0, 6.0])
                    .show(ui, |ui| {
                        for command in Command::WITH_SHORTCUTS {
                            ui.label(command.label());
                            ui.label(RichText::new(command.shortcut_text(ctx)).monospace());
                            ui.end_row();
                        }
                        ui.label("Close the top dialog");
                        ui.label(RichText::new("Escape").monospace());
                        ui.end_row();
                    });
            }
            Dialog::About => {
                ui.heading("Secure Password Manager");
                ui.label(format!("Version {}", env!("CARGO_PKG_VERSION")));
                ui.label("A local-first password manager. Your vault never leaves this computer.");
            }
            Dialog::ConfirmEmptyTrash | Dialog::ConfirmPurge(_) => {
                let question = if dialog == Dialog::ConfirmEmptyTrash {
                    "Delete every entry in the trash for good?"
                } else {
                    "Delete this entry for good?"
                };
                ui.heading(question);
                ui.label("This cannot be undone.");
                ui.add_space(theme::GAP);
                ui.horizontal(|ui| {
                    if ui.button("Delete for good").clicked() {
                        outcome = DialogOutcome::Confirmed;
                    }
                    if ui.button("Cancel").clicked() {
                        outcome = DialogOutcome::Closed;
                    }
                });
                return;
            }
        }
        ui.add_space(theme::GAP);
        if ui.button("Close").clicked() {
            outcome = DialogOutcome::Closed;
        }
    });
    if response.should_close() && matches!(outcome, DialogOutcome::Open) {
        outcome = DialogOutcome::Closed;
    }
    outcome
}
