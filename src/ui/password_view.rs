//! Settings > Security > Change master password (the current password,
//! the new one twice with the strength meter, then a summary of what the
//! change did) and Encryption key (rotate the data key, switch the key
//! mode, require a key file or stop requiring it).

use egui::{RichText, Ui};
use zeroize::Zeroize;

use super::theme;
use super::widgets;
use crate::core::secret::SecretString;
use crate::core::strength::{self, Strength};

/// What the part asks the app to do.
pub enum PasswordAction {
    /// Change the master password.
    Change {
        /// The current master password.
        current: SecretString,
        /// The new one.
        new: SecretString,
    },
    /// Rotate the data key (the master password confirms it).
    Rotate(SecretString),
    /// Switch to the other key mode (the master password confirms it).
    SwitchMode(SecretString),
    /// Require this key file with the master password from now on.
    Protect {
        /// The key file.
        key_file: std::path::PathBuf,
        /// The master password, to confirm.
        password: SecretString,
    },
    /// Stop requiring the key file (the master password confirms it).
    Unprotect(SecretString),
    /// Delete the backups made before the last rotation.
    DeleteOldBackups,
}

/// The part's state.
#[derive(Default)]
pub struct PasswordView {
    open: bool,
    current: String,
    new: String,
    repeat: String,
    weak_accepted: bool,
    strength: Option<(String, Strength)>,
    /// Why the last change failed.
    pub error: Option<String>,
    /// What the last change did.
    pub summary: Option<String>,
    rotate_password: String,
    /// Why the last rotation failed.
    pub rotate_error: Option<String>,
    /// What the last rotation did.
    pub rotated: Option<String>,
    /// Backups made before the last rotation (they open with the old key).
    pub old_backups: Vec<std::path::PathBuf>,
    /// Whether the vault is in password-derived mode.
    pub derived: bool,
    /// Whether a key file joins the master password.
    pub protected: bool,
    /// Which key change the open form confirms.
    key_form: KeyForm,
    /// The key file to require (the form's field).
    key_file: String,
}

/// The key change a form confirms.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
enum KeyForm {
    /// No form is open.
    #[default]
    Closed,
    Rotate,
    SwitchMode,
    Protect,
    Unprotect,
}

impl Drop for PasswordView {
    fn drop(&mut self) {
        self.wipe();
    }
}

impl PasswordView {
    fn wipe(&mut self) {
        self.rotate_password.zeroize();
        self.current.zeroize();
        self.new.zeroize();
        self.repeat.zeroize();
        if let Some((text, _)) = &mut self.strength {
            text.zeroize();
        }
        self.strength = None;
    }

    /// Closes the key change form.
    pub fn close_rotation(&mut self) {
        self.rotate_password.zeroize();
        self.rotate_password.clear();
        self.key_file.clear();
        self.key_form = KeyForm::Closed;
    }

    /// Closes the form after a change (or Cancel).
    pub fn close(&mut self) {
        self.wipe();
        self.open = false;
        self.weak_accepted = false;
    }

    fn strength(&mut self) -> Option<&Strength> {
        if self.new.is_empty() {
            return None;
        }
        if self
            .strength
            .as_ref()
            .is_none_or(|(seen, _)| *seen != self.new)
        {
            let estimate = strength::estimate(
                &SecretString::from(self.new.as_str()),
                &["password", "manager", "vault"],
            );
            if let Some((old, _)) = &mut self.strength {
                old.zeroize();
            }
            self.strength = Some((self.new.clone(), estimate));
            self.weak_accepted = false;
        }
        self.strength.as_ref().map(|(_, s)| s)
    }
}

/// Draws the part; returns what was asked for.
pub fn password_ui(ui: &mut Ui, view: &mut PasswordView) -> Option<PasswordAction> {
    ui.add_space(theme::SECTION_GAP);
    ui.label(RichText::new("Your master password").strong());
    ui.separator();
    if let Some(summary) = &view.summary {
        ui.label(RichText::new(summary).color(theme::SUCCESS));
        ui.add_space(theme::GAP);
    }
    if !view.open {
        ui.label(if view.derived {
            "Changing it re-encrypts every record under the key the new password derives (the \
             vault is in password-derived mode). Paired browser extensions must pair again \
             afterwards."
        } else {
            "Changing it re-wraps the vault's key under the new password: quick, and no entry is \
             re-encrypted. Paired browser extensions must pair again afterwards."
        });
        ui.add_space(theme::GAP);
        if ui.button("Change master password…").clicked() {
            view.open = true;
            view.error = None;
            view.summary = None;
        }
        return None;
    }
    ui.set_max_width(theme::FORM_WIDTH + 200.0);
    widgets::text_field(ui, "Current master password", &mut view.current, true);
    ui.add_space(theme::GAP);
    widgets::text_field(ui, "New master password", &mut view.new, true);
    let weak = match view.strength() {
        Some(strength) => {
            let strength = strength.clone();
            widgets::strength_meter(ui, &strength);
            strength.is_weak()
        }
        None => false,
    };
    ui.add_space(theme::GAP);
    widgets::text_field(ui, "Repeat the new master password", &mut view.repeat, true);
    let differ = !view.repeat.is_empty() && view.repeat != view.new;
    if differ {
        widgets::error_line(ui, "The two new passwords differ.");
    }
    if weak {
        ui.checkbox(&mut view.weak_accepted, "Use this weak password anyway");
    }
    if let Some(error) = &view.error {
        widgets::error_line(ui, error);
    }
    ui.add_space(theme::GAP);
    // (While a change runs the window shows its progress screen instead.)
    let ready = !view.current.is_empty()
        && !view.new.trim().is_empty()
        && view.repeat == view.new
        && (!weak || view.weak_accepted);
    let mut action = None;
    ui.horizontal(|ui| {
        if widgets::primary_button(ui, "Change master password", ready).clicked() {
            action = Some(PasswordAction::Change {
                current: SecretString::new(std::mem::take(&mut view.current)),
                new: SecretString::new(view.new.clone()),
            });
            view.error = None;
        }
        if ui.button("Cancel").clicked() {
            view.close();
        }
    });
    action
}

/// Draws Security > Encryption key; returns what was asked for.
pub fn key_ui(ui: &mut Ui, view: &mut PasswordView) -> Option<PasswordAction> {
    ui.add_space(theme::SECTION_GAP);
    ui.label(RichText::new("Encryption key").strong());
    ui.separator();
    let mut action = None;
    if let Some(rotated) = &view.rotated {
        ui.label(RichText::new(rotated).color(theme::SUCCESS));
        if !view.old_backups.is_empty() {
            let n = view.old_backups.len();
            ui.label(format!(
                "{n} backup{} made before still open{} with the old key and the master password \
                 of {} time. Deleting them makes a fresh backup under the new key first.",
                if n == 1 { "" } else { "s" },
                if n == 1 { "s" } else { "" },
                if n == 1 { "its" } else { "their" }
            ));
            let label = format!("Delete the {n} old backup{}", if n == 1 { "" } else { "s" });
            if ui.button(label).clicked() {
                action = Some(PasswordAction::DeleteOldBackups);
            }
        }
        ui.add_space(theme::GAP);
    }
    if view.key_form == KeyForm::Closed {
        key_choices_ui(ui, view);
        if let Some(error) = &view.rotate_error {
            widgets::error_line(ui, error);
        }
        return action;
    }
    ui.set_max_width(theme::FORM_WIDTH + 200.0);
    if view.key_form == KeyForm::Protect {
        ui.label(
            "Choose a file you keep apart from the vault (on a USB stick, say) and never \
             change: at least 32 bytes, random data is best. From now on the vault opens only \
             with your master password and this file.",
        );
        ui.add_space(theme::GAP);
        widgets::file_field(ui, "Key file", &mut view.key_file, 320.0);
        ui.add_space(theme::GAP);
    }
    widgets::text_field(
        ui,
        "Master password (to confirm)",
        &mut view.rotate_password,
        true,
    );
    if let Some(error) = &view.rotate_error {
        widgets::error_line(ui, error);
    }
    ui.add_space(theme::GAP);
    let other = other_mode(view.derived);
    ui.horizontal(|ui| {
        let ready = !view.rotate_password.is_empty()
            && (view.key_form != KeyForm::Protect || !view.key_file.trim().is_empty());
        let label = match view.key_form {
            KeyForm::SwitchMode => format!("Switch to {other} mode"),
            KeyForm::Protect => "Require the key file".to_owned(),
            KeyForm::Unprotect => "Stop requiring the key file".to_owned(),
            KeyForm::Rotate | KeyForm::Closed => "Rotate encryption key".to_owned(),
        };
        if widgets::primary_button(ui, &label, ready).clicked() {
            let password = SecretString::new(std::mem::take(&mut view.rotate_password));
            view.rotate_error = None;
            action = Some(match view.key_form {
                KeyForm::SwitchMode => PasswordAction::SwitchMode(password),
                KeyForm::Protect => PasswordAction::Protect {
                    key_file: std::path::PathBuf::from(view.key_file.trim()),
                    password,
                },
                KeyForm::Unprotect => PasswordAction::Unprotect(password),
                KeyForm::Rotate | KeyForm::Closed => PasswordAction::Rotate(password),
            });
        }
        if ui.button("Cancel").clicked() {
            view.close_rotation();
        }
    });
    action
}

fn other_mode(derived: bool) -> &'static str {
    if derived {
        "file-key"
    } else {
        "password-derived"
    }
}

/// The three choices, each with a line on what it does.
fn key_choices_ui(ui: &mut Ui, view: &mut PasswordView) {
    let open = |view: &mut PasswordView, form| {
        view.key_form = form;
        view.rotate_error = None;
    };
    ui.label(
        "Rotating re-encrypts every entry, history record and category under a new random \
         key, with a new salt and a new backup signing key.",
    );
    ui.add_space(theme::GAP);
    if ui.button("Rotate encryption key…").clicked() {
        open(view, KeyForm::Rotate);
    }
    ui.add_space(theme::SECTION_GAP);
    let (mode, moves) = if view.derived {
        ("password-derived", "no record changes")
    } else {
        ("file-key", "every record moves to the derived key")
    };
    let other = other_mode(view.derived);
    ui.label(format!(
        "Key mode: {mode}. Switching to {other} mode: {moves}."
    ));
    ui.add_space(theme::GAP);
    let switch = ui.add_enabled(
        !view.protected,
        egui::Button::new(format!("Switch to {other} mode…")),
    );
    if view.protected {
        ui.label(
            RichText::new("A key file needs file-key mode: stop requiring it first.")
                .small()
                .weak(),
        );
    } else if switch.clicked() {
        open(view, KeyForm::SwitchMode);
    }
    ui.add_space(theme::SECTION_GAP);
    if view.derived {
        ui.label("Key file: a key file needs file-key mode.");
    } else if view.protected {
        ui.label(
            "Key file: required. The vault opens only with your master password and the key \
             file; stopping re-wraps the key (no record changes).",
        );
        ui.add_space(theme::GAP);
        if ui.button("Stop requiring the key file…").clicked() {
            open(view, KeyForm::Unprotect);
        }
    } else {
        ui.label(
            "Key file: not required. A file you keep apart can join the master password; the \
             key is only re-wrapped (no record changes).",
        );
        ui.add_space(theme::GAP);
        if ui.button("Require a key file…").clicked() {
            open(view, KeyForm::Protect);
        }
    }
}
