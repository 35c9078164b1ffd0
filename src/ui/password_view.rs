//! Settings > Security > Change master password: the current password,
//! the new one twice with the strength meter, then a summary of what the
//! change did (browser tokens revoked, what it means for backups).

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
    rotate_open: bool,
    rotate_password: String,
    /// Why the last rotation failed.
    pub rotate_error: Option<String>,
    /// What the last rotation did.
    pub rotated: Option<String>,
    /// Backups made before the last rotation (they open with the old key).
    pub old_backups: Vec<std::path::PathBuf>,
    /// Whether the vault is in password-derived mode.
    pub derived: bool,
    /// Which confirmation the key form is for: rotation or mode switch.
    switching_mode: bool,
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

    /// Closes the rotation (or mode switch) form.
    pub fn close_rotation(&mut self) {
        self.rotate_password.zeroize();
        self.rotate_password.clear();
        self.rotate_open = false;
        self.switching_mode = false;
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
        ui.label(
            "Changing it re-wraps the vault's key under the new password: quick, and no entry is \
             re-encrypted. Paired browser extensions must pair again afterwards.",
        );
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
                "{n} backup{} made before still open{} with the old key and your master \
                 password.",
                if n == 1 { "" } else { "s" },
                if n == 1 { "s" } else { "" }
            ));
            let label = format!("Delete the {n} old backup{}", if n == 1 { "" } else { "s" });
            if ui.button(label).clicked() {
                action = Some(PasswordAction::DeleteOldBackups);
            }
        }
        ui.add_space(theme::GAP);
    }
    let (mode, other, moves) = if view.derived {
        ("password-derived", "file-key", "no record changes")
    } else {
        (
            "file-key",
            "password-derived",
            "every record moves to the derived key",
        )
    };
    if !view.rotate_open {
        ui.label(
            "Rotating re-encrypts every entry, history record and category under a new random \
             key, with a new salt and a new backup signing key.",
        );
        ui.add_space(theme::GAP);
        if ui.button("Rotate encryption key…").clicked() {
            view.rotate_open = true;
            view.switching_mode = false;
            view.rotate_error = None;
        }
        ui.add_space(theme::GAP);
        ui.label(format!(
            "Key mode: {mode}. Switching to {other} mode: {moves}."
        ));
        if ui.button(format!("Switch to {other} mode…")).clicked() {
            view.rotate_open = true;
            view.switching_mode = true;
            view.rotate_error = None;
        }
        if let Some(error) = &view.rotate_error {
            widgets::error_line(ui, error);
        }
        return action;
    }
    ui.set_max_width(theme::FORM_WIDTH + 200.0);
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
    ui.horizontal(|ui| {
        let ready = !view.rotate_password.is_empty();
        let label = if view.switching_mode {
            format!("Switch to {other} mode")
        } else {
            "Rotate encryption key".to_owned()
        };
        if widgets::primary_button(ui, &label, ready).clicked() {
            let password = SecretString::new(std::mem::take(&mut view.rotate_password));
            action = Some(if view.switching_mode {
                PasswordAction::SwitchMode(password)
            } else {
                PasswordAction::Rotate(password)
            });
        }
        if ui.button("Cancel").clicked() {
            view.close_rotation();
        }
    });
    action
}
