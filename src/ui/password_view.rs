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
    /// Whether the change is running.
    pub busy: bool,
    /// Why the last change failed.
    pub error: Option<String>,
    /// What the last change did.
    pub summary: Option<String>,
}

impl Drop for PasswordView {
    fn drop(&mut self) {
        self.wipe();
    }
}

impl PasswordView {
    fn wipe(&mut self) {
        self.current.zeroize();
        self.new.zeroize();
        self.repeat.zeroize();
        if let Some((text, _)) = &mut self.strength {
            text.zeroize();
        }
        self.strength = None;
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
    let ready = !view.busy
        && !view.current.is_empty()
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
        if ui
            .add_enabled(!view.busy, egui::Button::new("Cancel"))
            .clicked()
        {
            view.close();
        }
        if view.busy {
            ui.spinner();
            ui.label("Changing…");
        }
    });
    action
}
