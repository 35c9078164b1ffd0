//! Small widgets shared by several screens. Every input carries an
//! accessible name, which screen readers announce and tests use.

use egui::{Response, TextEdit, Ui};

use crate::core::strength::Strength;

/// A labelled single-line text field; `secret` masks it.
pub fn text_field(ui: &mut Ui, label: &str, value: &mut String, secret: bool) -> Response {
    let label = ui.label(label);
    let edit = TextEdit::singleline(value)
        .password(secret)
        .desired_width(f32::INFINITY);
    ui.add(edit).labelled_by(label.id)
}

/// A labelled multi-line text field.
pub fn text_area(ui: &mut Ui, label: &str, value: &mut String, rows: usize) -> Response {
    let label = ui.label(label);
    let edit = TextEdit::multiline(value)
        .desired_rows(rows)
        .desired_width(f32::INFINITY);
    ui.add(edit).labelled_by(label.id)
}

/// A bar from red to green with the score's words and the crack time.
pub fn strength_meter(ui: &mut Ui, strength: &Strength) {
    let fraction = (f32::from(strength.score) + 1.0) / 5.0;
    let color = super::theme::strength_color(strength.score);
    ui.add(
        egui::ProgressBar::new(fraction)
            .fill(color)
            .desired_height(6.0)
            .desired_width(ui.available_width()),
    );
    ui.label(
        egui::RichText::new(format!(
            "Strength: {} (about {} to crack offline)",
            strength.label(),
            strength.crack_time
        ))
        .small(),
    );
    if let Some(warning) = &strength.warning {
        ui.label(
            egui::RichText::new(warning)
                .small()
                .color(super::theme::WARNING),
        );
    }
}

/// A red line explaining what went wrong.
pub fn error_line(ui: &mut Ui, text: &str) {
    ui.label(egui::RichText::new(text).color(super::theme::DANGER));
}
