//! The entry editor (a modal): every field with inline checks, the
//! generator, and, when an existing entry's password changes, the reason
//! recorded in its history.

use egui::{RichText, Ui};
use uuid::Uuid;
use zeroize::Zeroize;

use super::generator::{self, GeneratorState};
use super::theme;
use super::widgets;
use crate::core::entries::{CustomField, Entry, EntryPatch, RotationReason};
use crate::core::secret::SecretString;
use crate::core::time;

/// One custom field being edited.
#[derive(Default)]
struct FieldRow {
    name: String,
    value: String,
    hidden: bool,
}

/// The editor's state.
pub struct EditorState {
    /// The entry being edited; `None` for a new one.
    pub uuid: Option<Uuid>,
    title: String,
    username: String,
    password: String,
    original_password: String,
    show_password: bool,
    urls: String,
    notes: String,
    /// Category name.
    pub category: String,
    tags: String,
    expires: String,
    favorite: bool,
    totp: String,
    fields: Vec<FieldRow>,
    reason: RotationReason,
    generator: Option<GeneratorState>,
    /// Why saving failed, if it did.
    pub error: Option<String>,
    touched_title: bool,
    /// Put the cursor in Title on the next frame (a new entry).
    focus_title: bool,
}

impl Drop for EditorState {
    fn drop(&mut self) {
        for text in [
            &mut self.password,
            &mut self.original_password,
            &mut self.notes,
        ] {
            text.zeroize();
        }
        for field in &mut self.fields {
            field.value.zeroize();
        }
    }
}

/// What the editor produced.
pub enum EditorOutcome {
    /// Keep editing.
    Open,
    /// Closed without saving.
    Cancelled,
    /// Save a new entry.
    Add(Box<Entry>),
    /// Save changes to an existing entry.
    Update(Uuid, Box<EntryPatch>, RotationReason),
}

impl EditorState {
    /// An empty editor for a new entry.
    pub fn new_entry(category: Option<String>) -> Self {
        let mut state = Self::blank(None, category.unwrap_or_default());
        state.focus_title = true;
        state
    }

    fn blank(uuid: Option<Uuid>, category: String) -> Self {
        Self {
            uuid,
            title: String::new(),
            username: String::new(),
            password: String::new(),
            original_password: String::new(),
            show_password: false,
            urls: String::new(),
            notes: String::new(),
            category,
            tags: String::new(),
            expires: String::new(),
            favorite: false,
            totp: String::new(),
            fields: Vec::new(),
            reason: RotationReason::Manual,
            generator: None,
            error: None,
            touched_title: false,
            focus_title: false,
        }
    }

    /// An editor on `entry` ready to rotate its password: the generator is
    /// open, a new password is already in place, and the reason is set, so
    /// Save finishes the job.
    pub fn rotate(entry: &Entry, reason: RotationReason) -> Self {
        let mut state = Self::edit(entry);
        let generator = GeneratorState::default();
        state.password.zeroize();
        state.password = generator.current().expose().to_owned();
        state.generator = Some(generator);
        state.reason = reason;
        state
    }

    /// An editor filled with `entry`.
    pub fn edit(entry: &Entry) -> Self {
        let join = |items: &[SecretString], sep: &str| {
            items
                .iter()
                .map(|s| s.expose())
                .collect::<Vec<_>>()
                .join(sep)
        };
        let mut state = Self::blank(Some(entry.uuid), entry.category.expose().to_owned());
        state.title = entry.title.expose().to_owned();
        state.username = entry.username.expose().to_owned();
        state.password = entry.password.expose().to_owned();
        state.original_password = state.password.clone();
        state.urls = join(&entry.urls, "\n");
        state.notes = entry.notes.expose().to_owned();
        state.tags = join(&entry.tags, ", ");
        state.expires = entry.expires_at.map(time::format_date).unwrap_or_default();
        state.favorite = entry.favorite;
        state.totp = entry
            .totp
            .as_ref()
            .map(|t| t.expose().to_owned())
            .unwrap_or_default();
        state.fields = entry
            .fields
            .iter()
            .map(|f| FieldRow {
                name: f.name.expose().to_owned(),
                value: f.value.expose().to_owned(),
                hidden: f.hidden,
            })
            .collect();
        state
    }

    fn password_changed(&self) -> bool {
        self.uuid.is_some() && self.password != self.original_password
    }

    /// Checks the fields and builds what to save.
    fn build(&mut self) -> Result<EditorOutcome, String> {
        if self.title.trim().is_empty() {
            return Err("The title is required (the site or app name).".to_owned());
        }
        let expires_at = match self.expires.trim() {
            "" => None,
            text => Some(
                time::parse_date_end_of_day(text)
                    .map_err(|_| "Expires must be a date like 2031-12-31, or empty.".to_owned())?,
            ),
        };
        let totp = match self.totp.trim() {
            "" => None,
            // A value that gives no code is kept (the hint says why).
            value => Some(SecretString::from(value)),
        };
        if let Some(line) = self
            .urls
            .lines()
            .position(|l| l.trim().contains(char::is_whitespace))
        {
            return Err(format!("URL line {} contains a space.", line + 1));
        }
        if let Some(problem) = field_problem(&self.fields) {
            return Err(problem);
        }
        let lines = |text: &str, sep: char| -> Vec<SecretString> {
            text.split(sep)
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(SecretString::from)
                .collect()
        };
        let fields: Vec<CustomField> = self
            .fields
            .iter()
            .filter(|f| !f.name.trim().is_empty() || !f.value.is_empty())
            .map(|f| CustomField {
                name: f.name.trim().into(),
                value: f.value.as_str().into(),
                hidden: f.hidden,
            })
            .collect();
        let entry = Entry {
            title: self.title.trim().into(),
            username: self.username.as_str().into(),
            password: self.password.as_str().into(),
            urls: lines(&self.urls, '\n'),
            notes: self.notes.as_str().into(),
            category: self.category.trim().into(),
            tags: lines(&self.tags, ','),
            favorite: self.favorite,
            expires_at,
            totp: totp.clone(),
            fields: fields.clone(),
            ..Default::default()
        };
        entry
            .validate()
            .map_err(|e| format!("{}{}.", e[..1].to_uppercase(), &e[1..]))?;
        let Some(uuid) = self.uuid else {
            return Ok(EditorOutcome::Add(Box::new(entry)));
        };
        let patch = EntryPatch {
            title: Some(entry.title),
            username: Some(entry.username),
            password: Some(entry.password),
            urls: Some(entry.urls),
            notes: Some(entry.notes),
            category: Some(entry.category),
            tags: Some(entry.tags),
            favorite: Some(entry.favorite),
            expires_at: Some(expires_at),
            totp: Some(totp),
            replace_fields: Some(fields),
            ..Default::default()
        };
        Ok(EditorOutcome::Update(uuid, Box::new(patch), self.reason))
    }
}

/// Draws the editor modal.
pub fn editor_ui(
    ctx: &egui::Context,
    state: &mut EditorState,
    categories: &[String],
) -> EditorOutcome {
    let heading = if state.uuid.is_some() {
        "Edit entry"
    } else {
        "New entry"
    };
    let mut outcome = EditorOutcome::Open;
    let modal = egui::Modal::new(egui::Id::unique("entry-editor")).show(ctx, |ui| {
        ui.set_width(600.0);
        ui.heading(heading);
        ui.add_space(theme::GAP);
        egui::ScrollArea::vertical()
            .max_height(ctx.content_rect().height() - 180.0)
            .show(ui, |ui| {
                fields_ui(ui, state, categories);
            });
        ui.separator();
        if let Some(error) = &state.error {
            widgets::error_line(ui, error);
        }
        ui.horizontal(|ui| {
            if ui.button("Save").clicked() {
                match state.build() {
                    Ok(built) => outcome = built,
                    Err(e) => state.error = Some(e),
                }
            }
            if ui.button("Cancel").clicked() {
                outcome = EditorOutcome::Cancelled;
            }
        });
    });
    if modal.should_close() && matches!(outcome, EditorOutcome::Open) {
        outcome = EditorOutcome::Cancelled;
    }
    outcome
}

fn fields_ui(ui: &mut Ui, state: &mut EditorState, categories: &[String]) {
    ui.columns(2, |columns| {
        let title = widgets::text_field(&mut columns[0], "Title", &mut state.title, false);
        if std::mem::take(&mut state.focus_title) {
            title.request_focus();
        }
        // Say what is missing once the person has been in the field.
        state.touched_title |= title.lost_focus();
        if state.touched_title && state.title.trim().is_empty() {
            hint(&mut columns[0], "Required: the site or app name.");
        }
        widgets::text_field(&mut columns[1], "Username", &mut state.username, false);
    });
    widgets::text_field(ui, "Password", &mut state.password, !state.show_password);
    ui.horizontal(|ui| {
        ui.checkbox(&mut state.show_password, "Show");
        let label = if state.generator.is_some() {
            "Hide generator"
        } else {
            "Generator"
        };
        if ui.button(label).clicked() {
            state.generator = match state.generator {
                Some(_) => None,
                None => Some(GeneratorState::default()),
            };
        }
    });
    if let Some(gen_state) = &mut state.generator {
        egui::Frame::group(ui.style()).show(ui, |ui| {
            if generator::generator_ui(ui, gen_state) {
                state.password.zeroize();
                state.password = gen_state.current().expose().to_owned();
            }
        });
    }
    if state.password_changed() {
        egui::ComboBox::from_label("Reason for the change")
            .selected_text(state.reason.as_str())
            .show_ui(ui, |ui| {
                for reason in [
                    RotationReason::Manual,
                    RotationReason::Expiry,
                    RotationReason::Breach,
                    RotationReason::Strength,
                ] {
                    ui.selectable_value(&mut state.reason, reason, reason.as_str());
                }
            });
    }
    widgets::text_area(ui, "URLs (one per line)", &mut state.urls, 2);
    if let Some(line) = state
        .urls
        .lines()
        .position(|l| l.trim().contains(char::is_whitespace))
    {
        hint(
            ui,
            &format!("Line {}: a URL cannot contain spaces.", line + 1),
        );
    }
    ui.horizontal(|ui| {
        egui::ComboBox::from_label("Category")
            .selected_text(if state.category.is_empty() {
                "None"
            } else {
                state.category.as_str()
            })
            .show_ui(ui, |ui| {
                ui.selectable_value(&mut state.category, String::new(), "None");
                for name in categories {
                    ui.selectable_value(&mut state.category, name.clone(), name.as_str());
                }
            });
        ui.add_space(theme::SECTION_GAP);
        ui.checkbox(&mut state.favorite, "Favorite");
    });
    ui.columns(2, |columns| {
        widgets::text_field(
            &mut columns[0],
            "Tags (comma separated)",
            &mut state.tags,
            false,
        );
        widgets::text_field(
            &mut columns[1],
            "Expires (YYYY-MM-DD)",
            &mut state.expires,
            false,
        );
        let date = state.expires.trim();
        if !date.is_empty() && time::parse_date_end_of_day(date).is_err() {
            hint(&mut columns[1], "A date like 2031-12-31, or empty.");
        }
    });
    widgets::text_field(ui, "TOTP URI", &mut state.totp, true);
    let totp = state.totp.trim();
    if !totp.is_empty() && crate::core::totp::Totp::parse(totp).is_err() {
        hint(
            ui,
            "An otpauth:// URI as a site's two-factor setup shows it, a steam:// secret, or a \
             base32 secret.",
        );
    }
    widgets::text_area(ui, "Notes", &mut state.notes, 3);

    ui.add_space(theme::GAP);
    ui.label(RichText::new("Custom fields").strong());
    let mut remove = None;
    for (i, field) in state.fields.iter_mut().enumerate() {
        ui.horizontal(|ui| {
            let name = ui.label(format!("Field {} name", i + 1));
            ui.add(egui::TextEdit::singleline(&mut field.name).desired_width(120.0))
                .labelled_by(name.id);
            let value = ui.label("value");
            ui.add(
                egui::TextEdit::singleline(&mut field.value)
                    .password(field.hidden)
                    .desired_width(180.0),
            )
            .labelled_by(value.id);
            ui.checkbox(&mut field.hidden, "Hidden");
            if ui.button("Remove").clicked() {
                remove = Some(i);
            }
        });
    }
    if let Some(problem) = field_problem(&state.fields) {
        hint(ui, &problem);
    }
    if let Some(i) = remove {
        state.fields.remove(i);
    }
    if ui.button("Add field").clicked() {
        state.fields.push(FieldRow::default());
    }
}

/// What is wrong with the custom fields, if anything: a value without a
/// name, or two fields with the same name.
fn field_problem(fields: &[FieldRow]) -> Option<String> {
    for (i, field) in fields.iter().enumerate() {
        let name = field.name.trim();
        if name.is_empty() && !field.value.is_empty() {
            return Some(format!("Field {} needs a name.", i + 1));
        }
        if !name.is_empty() && fields[..i].iter().any(|f| f.name.trim() == name) {
            return Some(format!(
                "Field {}: another field is already named that.",
                i + 1
            ));
        }
    }
    None
}

/// A short line under a field saying what it needs.
fn hint(ui: &mut Ui, text: &str) {
    ui.label(RichText::new(text).small().color(theme::DANGER));
}
