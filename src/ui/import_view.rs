//! The import dialog: choose a file, see its detected format, give its
//! password or map its columns, preview exactly what will be stored, then
//! confirm and read the result (what came in, what did not, and why).

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use egui::{RichText, Ui};
use zeroize::Zeroize;

use super::theme;
use super::widgets::{self, capitalized};
use crate::core::exchange::{self, Format, csv::Mapping};
use crate::core::vault::{Action, DuplicatePolicy, ImportPlan, ImportReport};

/// How many rows the preview shows.
const PREVIEW_ROWS: usize = 50;

/// Where the dialog is.
pub enum Stage {
    /// Choosing the file and its options.
    Choose,
    /// Reading the file on the worker; the counter is bytes read so far.
    Reading {
        /// Bytes read so far.
        progress: Arc<AtomicU64>,
        /// The file's size.
        total: u64,
    },
    /// What the import will do; nothing is written yet.
    Preview(Box<ImportPlan>),
    /// Writing, on the worker.
    Applying,
    /// What was imported.
    Done(ImportReport),
}

/// The import dialog's state.
pub struct ImportState {
    /// The file's path as typed or picked.
    pub path: String,
    /// The format it will be read as.
    pub format: Option<Format>,
    /// The format detection found.
    pub detected: Option<Format>,
    /// Why the file cannot be read, if detection failed.
    pub problem: Option<String>,
    /// Whether the file needs a password or key file.
    pub needs_key: bool,
    /// The file's password.
    pub password: String,
    /// The file has a key file and no password (KDBX).
    pub no_password: bool,
    /// The file's key file (KDBX).
    pub key_file: String,
    /// The header row, for a generic CSV.
    pub headers: Vec<String>,
    /// The column choice, for a generic CSV.
    pub mapping: Mapping,
    /// What to do with duplicates.
    pub policy: DuplicatePolicy,
    /// How many entries the file held (for the preview's heading).
    pub read: usize,
    /// Where the dialog is.
    pub stage: Stage,
    /// An error from reading or applying, shown on the Choose stage.
    pub error: Option<String>,
    /// The path field has been given the keyboard focus once.
    focused: bool,
}

impl Default for ImportState {
    fn default() -> Self {
        Self {
            path: String::new(),
            format: None,
            detected: None,
            problem: None,
            needs_key: false,
            password: String::new(),
            no_password: false,
            key_file: String::new(),
            headers: Vec::new(),
            mapping: Mapping::default(),
            policy: DuplicatePolicy::Skip,
            read: 0,
            stage: Stage::Choose,
            error: None,
            focused: false,
        }
    }
}

impl Drop for ImportState {
    fn drop(&mut self) {
        self.password.zeroize();
    }
}

/// What the dialog asks the app to do.
pub enum ImportAction {
    /// Open the file picker.
    Browse,
    /// Read the file with the chosen options.
    Read,
    /// Write the previewed plan.
    Apply,
    /// Close the dialog.
    Close,
}

impl ImportState {
    /// Looks at the file at `path`: its format, whether it needs a key, and
    /// for a generic CSV its columns.
    pub fn inspect(&mut self, path: String) {
        self.path = path;
        self.problem = None;
        self.error = None;
        self.headers.clear();
        let path = PathBuf::from(self.path.trim());
        match exchange::detect(&path) {
            Ok(format) => {
                self.detected = Some(format);
                self.set_format(format);
            }
            Err(e) => {
                self.format = None;
                self.detected = None;
                self.problem = Some(capitalized(&e.to_string()));
            }
        }
    }

    /// Reads the file as `format` from now on.
    pub fn set_format(&mut self, format: Format) {
        let path = PathBuf::from(self.path.trim());
        self.format = Some(format);
        self.problem = None;
        self.needs_key = exchange::needs_key(&path, format).unwrap_or(false);
        if format == Format::GenericCsv {
            match exchange::csv::headers(&path) {
                Ok(headers) => {
                    self.mapping = exchange::csv::guess_mapping(&headers);
                    self.headers = headers;
                }
                Err(e) => self.problem = Some(capitalized(&e.to_string())),
            }
        }
    }

    /// Whether the chosen options are enough to read the file, and if not,
    /// what is missing.
    fn missing(&self) -> Option<&'static str> {
        if self.format.is_none() {
            return Some("Choose a file first.");
        }
        if self.format == Some(Format::GenericCsv)
            && self.mapping.title.is_none()
            && self.mapping.url.is_none()
        {
            return Some("Choose the Title or the URL column: one of them is required.");
        }
        if self.needs_key && self.no_password && self.key_file.trim().is_empty() {
            return Some("Without a password, the file's key file is needed.");
        }
        None
    }
}

/// Draws the dialog; returns what the person asked for.
pub fn import_ui(ctx: &egui::Context, state: &mut ImportState) -> Option<ImportAction> {
    let mut action = None;
    let modal = egui::Modal::new(egui::Id::unique("import-dialog")).show(ctx, |ui| {
        ui.set_width(720.0_f32.min(ctx.content_rect().width() - 80.0));
        ui.heading("Import a file");
        ui.add_space(theme::GAP);
        action = match &mut state.stage {
            Stage::Choose => choose_ui(ui, state),
            Stage::Reading { progress, total } => {
                let done = progress.load(Ordering::Relaxed);
                let fraction = if *total == 0 {
                    0.0
                } else {
                    done as f32 / *total as f32
                };
                ui.label(format!("Reading {}…", state.path.trim()));
                ui.add(egui::ProgressBar::new(fraction.min(1.0)).show_percentage());
                None
            }
            Stage::Preview(plan) => preview_ui(ui, plan, state.read),
            Stage::Applying => {
                ui.horizontal(|ui| {
                    ui.spinner();
                    ui.label("Saving the imported entries…");
                });
                None
            }
            Stage::Done(report) => done_ui(ui, report),
        };
    });
    let busy = matches!(state.stage, Stage::Reading { .. } | Stage::Applying);
    if modal.should_close() && !busy && action.is_none() {
        action = Some(ImportAction::Close);
    }
    action
}

fn choose_ui(ui: &mut Ui, state: &mut ImportState) -> Option<ImportAction> {
    let mut action = None;
    ui.horizontal(|ui| {
        let label = ui.label("File to import");
        let field = ui
            .add(egui::TextEdit::singleline(&mut state.path).desired_width(460.0))
            .labelled_by(label.id);
        if !state.focused {
            field.request_focus();
            state.focused = true;
        }
        // Enter in the path reads the file, once it is ready to be read.
        if field.lost_focus()
            && ui.input(|i| i.key_pressed(egui::Key::Enter))
            && state.missing().is_none()
        {
            action = Some(ImportAction::Read);
        }
        // Look at the file as soon as the path names one (detection reads
        // only its first few kilobytes).
        if field.changed() {
            if std::path::Path::new(state.path.trim()).is_file() {
                let path = state.path.clone();
                state.inspect(path);
            } else {
                state.format = None;
                state.problem = None;
            }
        }
        if ui.button("Browse…").clicked() {
            action = Some(ImportAction::Browse);
        }
    });
    if let Some(problem) = &state.problem {
        widgets::error_line(ui, problem);
    }
    if state.format.is_some() {
        format_ui(ui, state);
        if state.needs_key {
            key_ui(ui, state);
        }
        if state.format == Some(Format::GenericCsv) {
            mapping_ui(ui, state);
        }
        ui.add_space(theme::GAP);
        ui.label("An entry with the same username on the same site as one in the vault:");
        ui.horizontal(|ui| {
            for (policy, text) in [
                (DuplicatePolicy::Skip, "Skip it"),
                (DuplicatePolicy::Update, "Update the vault's entry"),
                (DuplicatePolicy::KeepBoth, "Keep both"),
            ] {
                ui.radio_value(&mut state.policy, policy, text);
            }
        });
    }
    if let Some(error) = &state.error {
        widgets::error_line(ui, error);
    }
    ui.add_space(theme::GAP);
    let missing = state.missing();
    if let Some(why) = missing.filter(|_| state.format.is_some()) {
        ui.label(RichText::new(why).color(theme::WARNING));
    }
    ui.horizontal(|ui| {
        if widgets::primary_button(ui, "Read file", missing.is_none()).clicked() {
            action = Some(ImportAction::Read);
        }
        if ui.button("Cancel").clicked() {
            action = Some(ImportAction::Close);
        }
    });
    action
}

fn format_ui(ui: &mut Ui, state: &mut ImportState) {
    let current = state.format.unwrap_or(Format::GenericCsv);
    let mut chosen = current;
    ui.horizontal(|ui| {
        let label = ui.label("Format");
        egui::ComboBox::from_id_salt("import-format")
            .selected_text(current.label())
            .width(360.0)
            .show_ui(ui, |ui| {
                for format in Format::ALL {
                    ui.selectable_value(&mut chosen, *format, format.label());
                }
            })
            .response
            .labelled_by(label.id);
        let note = match state.detected {
            Some(found) if found == current => "detected from the file".to_owned(),
            Some(found) => format!("chosen by you; the file looks like {}", found.label()),
            None => "chosen by you".to_owned(),
        };
        ui.label(RichText::new(note).small().weak());
    });
    if chosen != current {
        state.set_format(chosen);
    }
}

fn key_ui(ui: &mut Ui, state: &mut ImportState) {
    ui.add_space(theme::GAP);
    ui.label("This file is protected.");
    if state.format == Some(Format::Kdbx) {
        ui.checkbox(&mut state.no_password, "No password (key file only)");
    }
    if !state.no_password {
        widgets::text_field(ui, "Password of the file", &mut state.password, true);
    }
    if state.format == Some(Format::Kdbx) {
        widgets::text_field(
            ui,
            "Key file of the file (optional)",
            &mut state.key_file,
            false,
        );
    }
}

fn mapping_ui(ui: &mut Ui, state: &mut ImportState) {
    ui.add_space(theme::GAP);
    ui.label("Which column holds what (a Title or a URL column is required):");
    let headers = state.headers.clone();
    let m = &mut state.mapping;
    egui::Grid::new("csv-mapping")
        .num_columns(4)
        .spacing([12.0, 6.0])
        .show(ui, |ui| {
            let fields: [(&str, &mut Option<usize>); 7] = [
                ("Title column", &mut m.title),
                ("Username column", &mut m.username),
                ("Password column", &mut m.password),
                ("URL column", &mut m.url),
                ("Notes column", &mut m.notes),
                ("TOTP column", &mut m.totp),
                ("Category column", &mut m.category),
            ];
            for (i, (label, slot)) in fields.into_iter().enumerate() {
                let text = slot
                    .and_then(|c| headers.get(c))
                    .map_or("(none)", String::as_str);
                egui::ComboBox::from_label(label)
                    .selected_text(text)
                    .show_ui(ui, |ui| {
                        ui.selectable_value(slot, None, "(none)");
                        for (c, header) in headers.iter().enumerate() {
                            ui.selectable_value(slot, Some(c), header);
                        }
                    });
                if i % 2 == 1 {
                    ui.end_row();
                }
            }
        });
}

fn preview_ui(ui: &mut Ui, plan: &ImportPlan, read: usize) -> Option<ImportAction> {
    let (add, update, skip) = plan.counts();
    ui.label(format!(
        "{} as {}: {read} entries read. {add} will be added, {update} updated, {skip} skipped{}.",
        "The file was read",
        plan.format.label(),
        if plan.trash.is_empty() {
            String::new()
        } else {
            format!(", {} moved to the trash", plan.trash.len())
        }
    ));
    ui.label(
        RichText::new("Nothing has been written yet. The first rows, as they will be stored:")
            .small(),
    );
    ui.add_space(theme::GAP);
    egui::ScrollArea::vertical()
        .max_height(300.0)
        .show(ui, |ui| preview_table_ui(ui, plan));
    skipped_and_warnings_ui(ui, &plan.skipped(), &plan.warnings);

    let mut action = None;
    ui.add_space(theme::GAP);
    ui.horizontal(|ui| {
        let text = format!("Import {} entries", add + update);
        if widgets::primary_button(ui, &text, add + update + plan.trash.len() > 0).clicked() {
            action = Some(ImportAction::Apply);
        }
        if ui.button("Cancel").clicked() {
            action = Some(ImportAction::Close);
        }
    });
    action
}

fn preview_table_ui(ui: &mut Ui, plan: &ImportPlan) {
    egui::Grid::new("import-preview")
        .num_columns(7)
        .striped(true)
        .spacing([12.0, 4.0])
        .show(ui, |ui| {
            for header in [
                "Action", "Title", "Username", "Password", "URL", "Category", "Extras",
            ] {
                ui.label(RichText::new(header).strong());
            }
            ui.end_row();
            for (item, action) in plan.items.iter().take(PREVIEW_ROWS) {
                let e = &item.entry;
                ui.label(match action {
                    Action::Add => "Add",
                    Action::Update(_) => "Update",
                    Action::Merge(_) => "Merge",
                    Action::Skip(_) => "Skip",
                });
                ui.label(clip(e.title.expose()));
                ui.label(clip(e.username.expose()));
                ui.label(if e.password.is_empty() {
                    "(empty)".to_owned()
                } else {
                    format!("{} characters", e.password.expose().chars().count())
                });
                ui.label(e.primary_url().map_or(String::new(), |u| clip(u.expose())));
                ui.label(clip(e.category.expose()));
                ui.label(extras(item));
                ui.end_row();
            }
        });
    if plan.items.len() > PREVIEW_ROWS {
        ui.label(format!("… and {} more.", plan.items.len() - PREVIEW_ROWS));
    }
}

/// What else an entry brings: custom fields, TOTP, history, trash.
fn extras(item: &exchange::ImportedEntry) -> String {
    let e = &item.entry;
    let mut parts = Vec::new();
    if !e.fields.is_empty() {
        parts.push(format!("{} fields", e.fields.len()));
    }
    if !e.notes.is_empty() {
        parts.push("notes".to_owned());
    }
    if e.totp.is_some() {
        parts.push("TOTP".to_owned());
    }
    if !item.history.is_empty() {
        parts.push(format!("{} old passwords", item.history.len()));
    }
    if e.urls.len() > 1 {
        parts.push(format!("{} URLs", e.urls.len()));
    }
    if e.is_trashed() {
        parts.push("in trash".to_owned());
    }
    parts.join(", ")
}

fn clip(text: &str) -> String {
    const MAX: usize = 32;
    let first_line = text.lines().next().unwrap_or("");
    if first_line.chars().count() > MAX || text.contains('\n') {
        let cut: String = first_line.chars().take(MAX).collect();
        format!("{cut}…")
    } else {
        first_line.to_owned()
    }
}

fn skipped_and_warnings_ui(ui: &mut Ui, skipped: &[exchange::Skipped], warnings: &[String]) {
    if !skipped.is_empty() {
        ui.add_space(theme::GAP);
        ui.label(RichText::new(format!("Skipped ({})", skipped.len())).strong());
        egui::ScrollArea::vertical()
            .id_salt("skipped")
            .max_height(140.0)
            .show(ui, |ui| {
                for skip in skipped {
                    ui.label(format!("{}: {}", skip.location, skip.reason));
                }
            });
    }
    for warning in warnings {
        ui.label(RichText::new(warning).color(theme::WARNING));
    }
}

fn done_ui(ui: &mut Ui, report: &ImportReport) -> Option<ImportAction> {
    ui.label(
        RichText::new(format!(
            "Imported: {} added, {} updated, {} skipped{}.",
            report.added,
            report.updated,
            report.skipped.len(),
            if report.trashed > 0 {
                format!(", {} moved to the trash", report.trashed)
            } else {
                String::new()
            }
        ))
        .color(theme::SUCCESS),
    );
    skipped_and_warnings_ui(ui, &report.skipped, &report.warnings);
    ui.add_space(theme::GAP);
    ui.button("Done").clicked().then_some(ImportAction::Close)
}
