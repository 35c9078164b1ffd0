//! The export dialog: the format (encrypted ones first), whether to include
//! the trash, where to write, and a passphrase or, for plain formats, an
//! explicit acknowledgement that the file will not be encrypted.

use egui::{RichText, Ui};
use zeroize::Zeroize;

use super::theme;
use super::widgets;
use crate::core::exchange::ExportFormat;

/// The export dialog's state.
pub struct ExportState {
    /// The chosen format.
    pub format: ExportFormat,
    /// Whether trashed entries go too.
    pub include_trash: bool,
    /// Where to write.
    pub path: String,
    /// The passphrase of an encrypted export.
    pub passphrase: String,
    /// The passphrase again.
    pub confirm: String,
    /// The person accepted a plain, readable file.
    pub plaintext_ok: bool,
    /// The file picker confirmed replacing an existing file.
    pub replace_ok: bool,
    /// The export is being written.
    pub busy: bool,
    /// Why the last attempt failed.
    pub error: Option<String>,
}

impl Default for ExportState {
    fn default() -> Self {
        Self {
            format: ExportFormat::Spmx,
            include_trash: false,
            path: String::new(),
            passphrase: String::new(),
            confirm: String::new(),
            plaintext_ok: false,
            replace_ok: false,
            busy: false,
            error: None,
        }
    }
}

impl Drop for ExportState {
    fn drop(&mut self) {
        self.passphrase.zeroize();
        self.confirm.zeroize();
    }
}

/// What the dialog asks the app to do.
pub enum ExportAction {
    /// Open the save-file picker.
    Browse,
    /// Write the export.
    Export,
    /// Close the dialog.
    Close,
}

impl ExportState {
    /// What stops the export, if anything.
    fn missing(&self) -> Option<&'static str> {
        if self.path.trim().is_empty() {
            return Some("Choose where to save the file.");
        }
        if self.format.is_plaintext() {
            return (!self.plaintext_ok)
                .then_some("Confirm that you want a file that is not encrypted.");
        }
        if self.passphrase.is_empty() {
            return Some("Choose a passphrase for the file.");
        }
        if self.passphrase != self.confirm {
            return Some("The two passphrases differ.");
        }
        None
    }
}

/// Draws the dialog; returns what the person asked for.
pub fn export_ui(ctx: &egui::Context, state: &mut ExportState) -> Option<ExportAction> {
    let mut action = None;
    let modal = egui::Modal::new(egui::Id::unique("export-dialog")).show(ctx, |ui| {
        ui.set_width(560.0);
        ui.heading("Export the vault");
        ui.add_space(theme::GAP);
        if state.busy {
            ui.horizontal(|ui| {
                ui.spinner();
                ui.label("Writing the export…");
            });
            return;
        }
        action = form_ui(ui, state);
    });
    if modal.should_close() && !state.busy && action.is_none() {
        action = Some(ExportAction::Close);
    }
    action
}

fn form_ui(ui: &mut Ui, state: &mut ExportState) -> Option<ExportAction> {
    let mut action = None;
    for format in ExportFormat::ALL {
        ui.radio_value(&mut state.format, *format, format.label());
    }
    if state.format != ExportFormat::Csv {
        ui.checkbox(&mut state.include_trash, "Include the entries in the trash");
    }
    ui.add_space(theme::GAP);
    ui.horizontal(|ui| {
        let label = ui.label("Save as");
        let typed = ui
            .add(
                egui::TextEdit::singleline(&mut state.path)
                    .hint_text(format!("a path ending in .{}", state.format.extension()))
                    .desired_width(380.0),
            )
            .labelled_by(label.id);
        if typed.changed() {
            state.replace_ok = false;
        }
        if ui.button("Browse…").clicked() {
            action = Some(ExportAction::Browse);
        }
    });
    ui.add_space(theme::GAP);
    if state.format.is_plaintext() {
        ui.label(
            RichText::new(
                "This file will NOT be encrypted: anyone who gets it can read every password. \
                 Delete it as soon as it has been used.",
            )
            .color(theme::DANGER),
        );
        ui.checkbox(
            &mut state.plaintext_ok,
            "I understand; write a file that is not encrypted",
        );
    } else {
        ui.label(
            "The file gets its own passphrase (not your master password). Without it, \
             the file cannot be opened.",
        );
        widgets::text_field(ui, "Export passphrase", &mut state.passphrase, true);
        widgets::text_field(ui, "Repeat the export passphrase", &mut state.confirm, true);
    }
    if let Some(error) = &state.error {
        widgets::error_line(ui, error);
    }
    ui.add_space(theme::GAP);
    let missing = state.missing();
    if let Some(why) = missing {
        ui.label(RichText::new(why).small());
    }
    ui.horizontal(|ui| {
        if widgets::primary_button(ui, "Export", missing.is_none()).clicked() {
            action = Some(ExportAction::Export);
        }
        if ui.button("Cancel").clicked() {
            action = Some(ExportAction::Close);
        }
    });
    action
}
