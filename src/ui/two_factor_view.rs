//! Settings > Security > Two-factor unlock: set it up (QR code, otpauth
//! URI and key for typing, the current code to prove the app has it, then
//! the recovery codes shown once), or turn it off with the master password
//! and a code.

use egui::{RichText, TextureHandle, Ui};
use zeroize::Zeroize;

use super::backup_status::ago;
use super::theme;
use super::widgets;
use crate::core::secret::SecretString;
use crate::core::two_factor::{Enrolment, Status};

/// What the section asks the app to do.
pub enum TwoFactorAction {
    /// Make a new secret and show it.
    Start,
    /// Turn two-factor unlock on with this code from the app.
    Enable(SecretString),
    /// Drop the new secret unused.
    Cancel,
    /// Put the recovery codes on the clipboard (cleared like any secret).
    CopyRecoveryCodes,
    /// The recovery codes were stored; stop showing them.
    CodesStored,
    /// Turn two-factor unlock off.
    Disable {
        /// The master password.
        password: SecretString,
        /// A current code or a recovery code.
        code: SecretString,
    },
}

/// The section's state.
#[derive(Default)]
pub struct TwoFactorView {
    /// Two-factor unlock as last read (`None`: off).
    pub status: Option<Status>,
    /// Why something failed.
    pub error: Option<String>,
    /// The new secret while it is being set up.
    pub enrolment: Option<Enrolment>,
    /// The recovery codes, shown once after enrolment.
    pub recovery: Option<Vec<SecretString>>,
    /// Whether turning it off is running.
    pub busy: bool,
    qr: Option<TextureHandle>,
    code: String,
    disabling: bool,
    password: String,
    disable_code: String,
}

impl Drop for TwoFactorView {
    fn drop(&mut self) {
        self.code.zeroize();
        self.password.zeroize();
        self.disable_code.zeroize();
    }
}

impl TwoFactorView {
    /// Forgets the QR code of an enrolment that ended.
    pub fn enrolment_ended(&mut self) {
        self.enrolment = None;
        self.qr = None;
        self.code.zeroize();
        self.code.clear();
    }

    /// Closes the turn-off form and wipes what was typed into it.
    pub fn disable_ended(&mut self) {
        self.disabling = false;
        self.password.zeroize();
        self.password.clear();
        self.disable_code.zeroize();
        self.disable_code.clear();
    }
}

/// Draws the section; returns what was asked for.
pub fn two_factor_ui(ui: &mut Ui, view: &mut TwoFactorView) -> Option<TwoFactorAction> {
    ui.add_space(theme::SECTION_GAP);
    ui.label(RichText::new("Two-factor unlock").strong());
    ui.separator();
    let action = if let Some(codes) = &view.recovery {
        recovery_ui(ui, codes)
    } else if view.enrolment.is_some() {
        enrol_ui(ui, view)
    } else if let Some(status) = view.status.clone() {
        enabled_ui(ui, view, &status)
    } else {
        ui.label(
            "Ask for a code from an authenticator app after the master password, so the \
             password alone does not open this vault here.",
        );
        ui.add_space(theme::GAP);
        widgets::primary_button(ui, "Set up two-factor unlock", true)
            .clicked()
            .then_some(TwoFactorAction::Start)
    };
    if let Some(error) = &view.error {
        ui.add_space(theme::GAP);
        widgets::error_line(ui, error);
    }
    action
}

fn enrol_ui(ui: &mut Ui, view: &mut TwoFactorView) -> Option<TwoFactorAction> {
    let enrolment = view.enrolment.as_ref()?;
    if view.qr.is_none() {
        view.qr = qr_texture(ui.ctx(), enrolment);
    }
    let mut action = None;
    ui.label("1. Scan this QR code with your authenticator app:");
    ui.add_space(theme::GAP);
    if let Some(texture) = &view.qr {
        ui.add(
            egui::Image::new(texture)
                .fit_to_exact_size(egui::vec2(200.0, 200.0))
                .alt_text("QR code of the new two-factor secret"),
        );
    }
    ui.add_space(theme::GAP);
    ui.label("or type this key into it (time-based, SHA-1, 6 digits, 30 s):");
    ui.label(
        RichText::new(format!("Key: {}", enrolment.key_text().expose()))
            .monospace()
            .strong(),
    );
    ui.label(
        RichText::new(enrolment.uri().expose())
            .monospace()
            .small()
            .weak(),
    );
    ui.add_space(theme::GAP);
    ui.label("2. Type the code the app shows now:");
    ui.horizontal(|ui| {
        let label = ui.label("Code from the app");
        let field = ui
            .add(egui::TextEdit::singleline(&mut view.code).desired_width(120.0))
            .labelled_by(label.id);
        let entered = field.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
        let ready = !view.code.trim().is_empty();
        if (widgets::primary_button(ui, "Turn on two-factor unlock", ready).clicked() || entered)
            && ready
        {
            action = Some(TwoFactorAction::Enable(SecretString::new(
                view.code.trim().to_owned(),
            )));
        }
        if ui.button("Cancel").clicked() {
            action = Some(TwoFactorAction::Cancel);
        }
    });
    action
}

fn recovery_ui(ui: &mut Ui, codes: &[SecretString]) -> Option<TwoFactorAction> {
    ui.label(RichText::new("Two-factor unlock is on.").color(theme::SUCCESS));
    ui.label(
        "These recovery codes each unlock once in place of a code, if the phone is lost. Store \
         them away from this computer: they are not shown again.",
    );
    ui.add_space(theme::GAP);
    egui::Grid::new("recovery-codes")
        .num_columns(2)
        .spacing([24.0, 4.0])
        .show(ui, |ui| {
            for pair in codes.chunks(2) {
                for code in pair {
                    ui.label(RichText::new(code.expose()).monospace().size(16.0));
                }
                ui.end_row();
            }
        });
    ui.add_space(theme::GAP);
    let mut action = None;
    ui.horizontal(|ui| {
        if ui.button("Copy recovery codes").clicked() {
            action = Some(TwoFactorAction::CopyRecoveryCodes);
        }
        if widgets::primary_button(ui, "I have stored them", true).clicked() {
            action = Some(TwoFactorAction::CodesStored);
        }
    });
    action
}

fn enabled_ui(ui: &mut Ui, view: &mut TwoFactorView, status: &Status) -> Option<TwoFactorAction> {
    let now = crate::core::time::now_unix();
    ui.horizontal(|ui| {
        let (rect, _) = ui.allocate_exact_size(egui::vec2(12.0, 12.0), egui::Sense::hover());
        ui.painter()
            .circle_filled(rect.center(), 5.0, theme::SUCCESS);
        ui.label(format!(
            "On for {} since {} ({}, {} digits, {} s).",
            status.account,
            ago(now - status.created),
            status.algorithm,
            status.digits,
            status.period
        ));
    });
    let left = match status.recovery_left {
        0 => RichText::new(
            "No recovery codes left: turn two-factor unlock off and on again for new ones.",
        )
        .color(theme::WARNING),
        1 => RichText::new("1 recovery code left.").color(theme::WARNING),
        n => RichText::new(format!("{n} recovery codes left.")),
    };
    ui.label(left);
    ui.add_space(theme::GAP);
    if !view.disabling {
        if ui.button("Turn off…").clicked() {
            view.disabling = true;
            view.error = None;
        }
        return None;
    }
    ui.label("Turning it off needs the master password and a current code (or a recovery code).");
    let mut action = None;
    egui::Grid::new("two-factor-off")
        .num_columns(2)
        .spacing([12.0, 6.0])
        .show(ui, |ui| {
            let label = ui.label("Master password");
            ui.add(
                egui::TextEdit::singleline(&mut view.password)
                    .password(true)
                    .desired_width(240.0),
            )
            .labelled_by(label.id);
            ui.end_row();
            let label = ui.label("Code or recovery code");
            ui.add(egui::TextEdit::singleline(&mut view.disable_code).desired_width(240.0))
                .labelled_by(label.id);
            ui.end_row();
        });
    ui.add_space(theme::GAP);
    ui.horizontal(|ui| {
        let ready = !view.busy && !view.password.is_empty() && !view.disable_code.trim().is_empty();
        if ui
            .add_enabled(ready, egui::Button::new("Turn off two-factor unlock"))
            .clicked()
        {
            action = Some(TwoFactorAction::Disable {
                password: SecretString::new(std::mem::take(&mut view.password)),
                code: SecretString::new(std::mem::take(&mut view.disable_code)),
            });
        }
        if ui
            .add_enabled(!view.busy, egui::Button::new("Cancel"))
            .clicked()
        {
            view.disable_ended();
            view.error = None;
        }
        if view.busy {
            ui.spinner();
        }
    });
    action
}

/// The enrolment's URI as a QR code texture, one texel per module with a
/// four-module quiet zone (drawn scaled up without smoothing).
fn qr_texture(ctx: &egui::Context, enrolment: &Enrolment) -> Option<TextureHandle> {
    let code = qrcode::QrCode::new(enrolment.uri().expose().as_bytes()).ok()?;
    let width = code.width();
    let quiet = 4;
    let side = width + 2 * quiet;
    let modules = code.to_colors();
    let mut gray = vec![255u8; side * side];
    for (i, color) in modules.iter().enumerate() {
        if *color == qrcode::Color::Dark {
            let (y, x) = (i / width + quiet, i % width + quiet);
            gray[y * side + x] = 0;
        }
    }
    let image = egui::ColorImage::from_gray([side, side], &gray);
    gray.zeroize();
    Some(ctx.load_texture("two-factor-qr", image, egui::TextureOptions::NEAREST))
}
