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

/// A labelled one-line path field `width` wide with a **Choose…** button
/// beside it; returns whether the button was clicked.
pub fn path_field(ui: &mut Ui, label: &str, value: &mut String, width: f32) -> bool {
    ui.horizontal(|ui| {
        let label = ui.label(label);
        ui.add(TextEdit::singleline(value).desired_width(width))
            .labelled_by(label.id);
        ui.button("Choose…").clicked()
    })
    .inner
}

/// [`path_field`] whose button picks a file with the system's dialog.
pub fn file_field(ui: &mut Ui, label: &str, value: &mut String, width: f32) {
    if path_field(ui, label, value, width)
        && let Some(path) = rfd::FileDialog::new().pick_file()
    {
        *value = path.display().to_string();
    }
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
            "Strength: {} ({} to crack offline)",
            strength.label(),
            crack_time_phrase(&strength.crack_time)
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

/// A button for the screen's main action, in the accent color.
pub fn primary_button(ui: &mut Ui, text: &str, enabled: bool) -> Response {
    let label = egui::RichText::new(text)
        .color(egui::Color32::WHITE)
        .strong();
    let button = egui::Button::new(label)
        .fill(super::theme::ACCENT)
        .min_size(egui::vec2(120.0, 30.0));
    ui.add_enabled(enabled, button)
}

/// The application icon, drawn at `size` points (decoded once per window).
pub fn logo_ui(ui: &mut Ui, size: f32) {
    let id = egui::Id::unique("app-logo-texture");
    let texture = ui.ctx().data_mut(|d| d.get_temp::<egui::TextureHandle>(id));
    let texture = match texture {
        Some(t) => t,
        None => {
            let png = include_bytes!("../../assets/icons/icon-128.png");
            let Ok(icon) = eframe::icon_data::from_png_bytes(png) else {
                return;
            };
            let size = [icon.width as usize, icon.height as usize];
            let image = egui::ColorImage::from_rgba_unmultiplied(size, &icon.rgba);
            let handle = ui
                .ctx()
                .load_texture("app-logo", image, egui::TextureOptions::LINEAR);
            ui.ctx().data_mut(|d| d.insert_temp(id, handle.clone()));
            handle
        }
    };
    ui.add(egui::Image::new(&texture).fit_to_exact_size(egui::vec2(size, size)));
}

/// "about 3 hours", but "less than a second" and "centuries" as they are.
fn crack_time_phrase(crack_time: &str) -> String {
    let starts_with_digit = crack_time
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_digit());
    if starts_with_digit {
        format!("about {crack_time}")
    } else {
        crack_time.to_owned()
    }
}

/// A count with its thousands grouped: "100,016".
pub fn number(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

/// "Text" from "text" (core messages start in lower case).
pub fn capitalized(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crack_times_read_as_phrases() {
        assert_eq!(crack_time_phrase("3 hours"), "about 3 hours");
        assert_eq!(
            crack_time_phrase("less than a second"),
            "less than a second"
        );
        assert_eq!(crack_time_phrase("centuries"), "centuries");
    }

    #[test]
    fn numbers_group_their_thousands() {
        assert_eq!(number(0), "0");
        assert_eq!(number(999), "999");
        assert_eq!(number(1000), "1,000");
        assert_eq!(number(100_016), "100,016");
        assert_eq!(number(12_345_678), "12,345,678");
    }
}
