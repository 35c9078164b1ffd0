//! The desktop window: eframe/egui over the vault core.
//!
//! One module per screen, panel or modal; drawing functions end in `_ui`.
//! Each frame the [`app::App`] first drains its worker channel and runs the
//! queued [`command::Command`]s, then draws from its state. Slow work (the
//! KDF at unlock and at vault creation) runs on named worker threads.

pub mod app;
mod backup_status;
mod backup_view;
mod bridge_view;
mod categories_view;
pub mod clipboard;
pub mod command;
mod editor;
mod export_view;
mod first_run;
mod generator;
mod import_view;
mod kdf_view;
mod logs_view;
mod main_view;
mod password_view;
mod passwords;
mod restore_view;
mod security_view;
mod settings_view;
pub mod theme;
mod toast;
mod two_factor_view;
mod unlock;
mod widgets;
mod worker;

use crate::core::paths::Paths;

/// The window could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum UiError {
    /// No X11 or Wayland display to draw on.
    #[error(
        "no graphical display was found (neither DISPLAY nor WAYLAND_DISPLAY is set), so the \
         window cannot open. The command line works without one: run `password-manager --help`"
    )]
    NoDisplay,
    /// The windowing system refused.
    #[error(
        "the window could not be opened ({0}). The command line works without a window: run \
         `password-manager --help`"
    )]
    Platform(String),
}

/// The application icon, drawn for this product (assets/icons).
fn window_icon() -> egui::IconData {
    let png = include_bytes!("../../assets/icons/icon-256.png");
    eframe::icon_data::from_png_bytes(png).unwrap_or_default()
}

/// Opens the window and runs until it closes.
pub fn run(paths: Paths) -> Result<(), UiError> {
    let has_display = ["DISPLAY", "WAYLAND_DISPLAY"]
        .iter()
        .any(|v| std::env::var_os(v).is_some_and(|s| !s.is_empty()));
    if !has_display {
        return Err(UiError::NoDisplay);
    }
    let options = eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default()
            .with_title(app::TITLE)
            .with_app_id("secure-password-manager")
            .with_inner_size([1100.0, 720.0])
            .with_min_inner_size([760.0, 520.0])
            .with_icon(window_icon()),
        // Window size and position persist, beside the vault (so portable
        // mode keeps everything in one directory); vault data never does.
        persist_window: true,
        persistence_path: Some(paths.window_state()),
        ..Default::default()
    };
    eframe::run_native(
        app::TITLE,
        options,
        Box::new(move |_cc| Ok(Box::new(app::App::new(paths, clipboard::system())))),
    )
    .map_err(|e| UiError::Platform(e.to_string()))
}
