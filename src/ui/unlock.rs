//! The unlock screen: password (focused, Enter submits, show/hide), the key
//! file when the vault needs one, a clear message on failure and a live
//! countdown while locked out.

use std::time::{Duration, Instant};

use egui::{RichText, Ui};
use zeroize::Zeroize;

use super::theme;
use super::widgets;
use crate::core::secret::SecretString;

/// What the person asked for.
pub enum UnlockAction {
    /// Try these credentials.
    Submit {
        password: SecretString,
        key_file: Option<std::path::PathBuf>,
    },
    /// The password was right; try this two-factor or recovery code.
    SubmitCode(SecretString),
    /// Leave the code step and type the password again.
    Back,
}

/// The unlock screen's state.
#[derive(Default)]
pub struct UnlockState {
    password: String,
    show: bool,
    key_file: String,
    /// Whether the vault needs a key file.
    pub needs_key_file: bool,
    /// Why the last attempt failed.
    pub error: Option<String>,
    /// News to show above the form (a restore that just finished).
    pub notice: Option<String>,
    /// Until when unlocking is refused.
    pub locked_until: Option<Instant>,
    /// Whether an unlock is running.
    pub busy: bool,
    focused_once: bool,
    /// The password was verified and a two-factor code is asked for.
    pub code_step: bool,
    code: String,
}

impl Drop for UnlockState {
    fn drop(&mut self) {
        self.password.zeroize();
        self.code.zeroize();
    }
}

impl UnlockState {
    /// Moves to the code step (the password was right).
    pub fn ask_for_code(&mut self) {
        self.code_step = true;
        self.error = None;
        self.focused_once = false;
    }

    /// Back to the password.
    pub fn back_to_password(&mut self) {
        self.code_step = false;
        self.code.zeroize();
        self.code.clear();
        self.error = None;
        self.focused_once = false;
    }
}

/// Draws the unlock screen.
pub fn unlock_ui(ui: &mut Ui, state: &mut UnlockState) -> Option<UnlockAction> {
    let remaining = state
        .locked_until
        .map(|until| until.saturating_duration_since(Instant::now()))
        .filter(|left| !left.is_zero());
    if remaining.is_some() {
        ui.ctx().request_repaint_after(Duration::from_millis(250));
    } else {
        state.locked_until = None;
    }

    let mut action = None;
    ui.vertical_centered(|ui| {
        ui.set_max_width(theme::FORM_WIDTH);
        ui.add_space(theme::SECTION_GAP * 3.0);
        widgets::logo_ui(ui, 72.0);
        ui.add_space(theme::GAP);
        ui.heading("Unlock your vault");
        ui.add_space(theme::SECTION_GAP);
        if state.code_step {
            ui.with_layout(egui::Layout::top_down(egui::Align::Min), |ui| {
                action = code_step_ui(ui, state, remaining);
            });
            return;
        }
        ui.with_layout(egui::Layout::top_down(egui::Align::Min), |ui| {
            if let Some(notice) = &state.notice {
                ui.label(RichText::new(notice).color(theme::SUCCESS));
                ui.add_space(theme::GAP);
            }
            let field =
                widgets::text_field(ui, "Master password", &mut state.password, !state.show);
            if !state.focused_once {
                field.request_focus();
                state.focused_once = true;
            }
            let entered = field.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
            ui.checkbox(&mut state.show, "Show password");
            if state.needs_key_file {
                ui.add_space(theme::GAP);
                widgets::file_field(ui, "Key file", &mut state.key_file, 260.0);
            }
            ui.add_space(theme::GAP);
            if let Some(left) = remaining {
                let secs = left.as_secs() + 1;
                ui.label(
                    RichText::new(format!("Too many wrong passwords. Try again in {secs} s."))
                        .color(theme::WARNING),
                );
            } else if let Some(error) = &state.error {
                widgets::error_line(ui, error);
            }
            let ready = !state.busy && remaining.is_none();
            let clicked = widgets::primary_button(ui, "Unlock", ready).clicked();
            if state.busy {
                ui.horizontal(|ui| {
                    ui.spinner();
                    ui.label("Unlocking…");
                });
            }
            if (clicked || entered) && ready {
                let key_file = (state.needs_key_file && !state.key_file.trim().is_empty())
                    .then(|| std::path::PathBuf::from(state.key_file.trim()));
                action = Some(UnlockAction::Submit {
                    password: SecretString::new(std::mem::take(&mut state.password)),
                    key_file,
                });
                state.focused_once = false;
            }
        });
    });
    action
}

/// The second step of a two-factor unlock: the code from the app, or a
/// recovery code.
fn code_step_ui(
    ui: &mut Ui,
    state: &mut UnlockState,
    remaining: Option<Duration>,
) -> Option<UnlockAction> {
    ui.label(RichText::new("Two-factor unlock").strong());
    ui.label(
        "The master password is right. Enter the 6-digit code your authenticator app shows, \
         or one of your recovery codes.",
    );
    ui.add_space(theme::GAP);
    let field = widgets::text_field(ui, "Two-factor code", &mut state.code, false);
    if !state.focused_once {
        field.request_focus();
        state.focused_once = true;
    }
    let entered = field.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
    ui.add_space(theme::GAP);
    if let Some(left) = remaining {
        let secs = left.as_secs() + 1;
        ui.label(
            RichText::new(format!("Too many failed attempts. Try again in {secs} s."))
                .color(theme::WARNING),
        );
    } else if let Some(error) = &state.error {
        widgets::error_line(ui, error);
    }
    let ready = !state.busy && remaining.is_none() && !state.code.trim().is_empty();
    let mut action = None;
    ui.horizontal(|ui| {
        if widgets::primary_button(ui, "Unlock", ready).clicked() || (entered && ready) {
            action = Some(UnlockAction::SubmitCode(SecretString::new(std::mem::take(
                &mut state.code,
            ))));
            state.focused_once = false;
        }
        if ui
            .add_enabled(!state.busy, egui::Button::new("Use another password"))
            .clicked()
        {
            action = Some(UnlockAction::Back);
        }
    });
    if state.busy {
        ui.horizontal(|ui| {
            ui.spinner();
            ui.label("Checking the code…");
        });
    }
    action
}
