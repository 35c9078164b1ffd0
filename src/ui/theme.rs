//! Colors, spacing and text sizes: the one place the look is decided.

use egui::{Color32, CornerRadius, FontId, Margin, Stroke, TextStyle, Visuals};

/// Which theme to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ThemeChoice {
    /// Follow the operating system.
    System,
    /// Always light.
    Light,
    /// Always dark.
    Dark,
}

/// Space between related controls.
pub const GAP: f32 = 8.0;
/// Space between groups of controls.
pub const SECTION_GAP: f32 = 18.0;
/// Height of one row of the password table.
pub const ROW_HEIGHT: f32 = 26.0;
/// Width of the narrow forms (unlock, first run).
pub const FORM_WIDTH: f32 = 420.0;
/// Accent color for primary actions and selections.
pub const ACCENT: Color32 = Color32::from_rgb(0x25, 0x63, 0xeb);
/// Marks favorites.
pub const FAVORITE: Color32 = Color32::from_rgb(0xea, 0xb3, 0x08);
/// Color of errors.
pub const DANGER: Color32 = Color32::from_rgb(0xdc, 0x26, 0x26);
/// Color of warnings.
pub const WARNING: Color32 = Color32::from_rgb(0xd9, 0x77, 0x06);
/// Color of success.
pub const SUCCESS: Color32 = Color32::from_rgb(0x16, 0xa3, 0x4a);

/// Applies the theme and the text sizes.
pub fn apply(ctx: &egui::Context, choice: ThemeChoice) {
    ctx.set_theme(match choice {
        ThemeChoice::System => egui::ThemePreference::System,
        ThemeChoice::Light => egui::ThemePreference::Light,
        ThemeChoice::Dark => egui::ThemePreference::Dark,
    });
    ctx.all_styles_mut(|style| {
        style.text_styles = [
            (TextStyle::Heading, FontId::proportional(22.0)),
            (TextStyle::Body, FontId::proportional(14.5)),
            (TextStyle::Button, FontId::proportional(14.5)),
            (TextStyle::Small, FontId::proportional(12.0)),
            (TextStyle::Monospace, FontId::monospace(14.0)),
        ]
        .into();
        style.spacing.item_spacing = egui::vec2(GAP, 6.0);
        style.spacing.button_padding = egui::vec2(10.0, 5.0);
        style.spacing.interact_size.y = 26.0;
        style.spacing.window_margin = Margin::same(16);
        let radius = CornerRadius::same(6);
        let visuals: &mut Visuals = &mut style.visuals;
        visuals.widgets.inactive.corner_radius = radius;
        visuals.widgets.hovered.corner_radius = radius;
        visuals.widgets.active.corner_radius = radius;
        visuals.widgets.noninteractive.corner_radius = radius;
        visuals.hyperlink_color = ACCENT;
    });
    // Selected rows: the accent as background, and text that stays readable
    // on it in either theme.
    ctx.style_mut_of(egui::Theme::Dark, |style| {
        style.visuals.selection.bg_fill = Color32::from_rgb(0x1e, 0x40, 0xaf);
        style.visuals.selection.stroke = Stroke::new(1.0, Color32::WHITE);
        style.visuals.hyperlink_color = Color32::from_rgb(0x93, 0xc5, 0xfd);
    });
    ctx.style_mut_of(egui::Theme::Light, |style| {
        style.visuals.selection.bg_fill = Color32::from_rgb(0xbf, 0xdb, 0xfe);
        style.visuals.selection.stroke = Stroke::new(1.0, Color32::from_rgb(0x1e, 0x3a, 0x8a));
    });
}

/// Parses `#rrggbb` into a color (gray when it is not one).
pub fn parse_color(text: &str) -> Color32 {
    let hex = text.trim_start_matches('#');
    let channel = |i: usize| u8::from_str_radix(hex.get(i..i + 2).unwrap_or("80"), 16).ok();
    match (hex.len(), channel(0), channel(2), channel(4)) {
        (6, Some(r), Some(g), Some(b)) => Color32::from_rgb(r, g, b),
        _ => Color32::GRAY,
    }
}

/// The color of a zxcvbn score, from red to green.
pub fn strength_color(score: u8) -> Color32 {
    match score {
        0 => DANGER,
        1 => Color32::from_rgb(0xea, 0x58, 0x0c),
        2 => WARNING,
        3 => Color32::from_rgb(0x65, 0xa3, 0x0d),
        _ => SUCCESS,
    }
}
