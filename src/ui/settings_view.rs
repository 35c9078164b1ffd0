//! The Settings section. General: locking, clipboard, history, theme, and
//! where every file lives. Security: [`super::two_factor_view`], then
//! [`super::kdf_view`]. Browser Bridge: see [`super::bridge_view`].

use egui::{RichText, Ui};

use super::bridge_view::{self, BridgeAction, BridgeView, ServiceState};
use super::kdf_view::{self, KdfAction, KdfView};
use super::password_view::{self, PasswordAction, PasswordView};
use super::theme::{self, ThemeChoice};
use super::two_factor_view::{self, TwoFactorAction, TwoFactorView};
use crate::core::paths::Paths;
use crate::core::settings::Settings;

/// What the section asks for.
pub enum SettingsAction {
    /// Save a changed setting: dotted key and value as `settings set` takes it.
    Change(&'static str, String),
    /// Show the data folder in the file manager.
    OpenDataFolder,
    /// Something on the Browser Bridge page.
    Bridge(BridgeAction),
    /// Something in Security > Two-factor unlock.
    TwoFactor(TwoFactorAction),
    /// Something in Security > KDF tuning.
    Kdf(KdfAction),
    /// Security > Change master password.
    Password(PasswordAction),
}

/// The pages of the section.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SettingsPage {
    /// Locking, clipboard, history, theme, files.
    General,
    /// Two-factor unlock and KDF tuning.
    Security,
    /// The Browser Bridge.
    BrowserBridge,
}

/// The section's editable copy of the values.
pub struct SettingsView {
    auto_lock_minutes: u64,
    lock_on_minimize: bool,
    clipboard_seconds: u64,
    history_enabled: bool,
    history_versions: u32,
    breach_checks: bool,
    theme: ThemeChoice,
    /// The page showing.
    pub page: SettingsPage,
    /// The Browser Bridge page.
    pub bridge: BridgeView,
    /// Two-factor unlock on the Security page.
    pub two_factor: TwoFactorView,
    /// KDF tuning on the Security page.
    pub kdf: KdfView,
    /// Change master password on the Security page.
    pub password: PasswordView,
}

impl SettingsView {
    /// The values as the settings hold them.
    pub fn from_settings(settings: &Settings) -> Self {
        Self {
            auto_lock_minutes: settings.auto_lock_minutes(),
            lock_on_minimize: settings.lock_on_minimize(),
            clipboard_seconds: settings.clipboard_clear_seconds(),
            breach_checks: settings.breach_enabled(),
            history_enabled: settings.history_enabled(),
            history_versions: settings.history_max_versions(),
            theme: theme_choice(&settings.theme()),
            page: SettingsPage::General,
            bridge: BridgeView::from_settings(settings),
            two_factor: TwoFactorView::default(),
            kdf: KdfView::from_settings(settings),
            password: PasswordView::default(),
        }
    }
}

/// The theme a setting names.
pub fn theme_choice(name: &str) -> ThemeChoice {
    match name {
        "light" => ThemeChoice::Light,
        "dark" => ThemeChoice::Dark,
        _ => ThemeChoice::System,
    }
}

/// Draws the section; returns the settings that changed this frame.
pub fn settings_ui(
    ui: &mut Ui,
    view: &mut SettingsView,
    paths: &Paths,
    bridge: &ServiceState,
) -> Vec<SettingsAction> {
    ui.add_space(theme::GAP);
    ui.horizontal(|ui| {
        ui.heading("Settings");
        ui.add_space(theme::SECTION_GAP);
        for (page, label) in [
            (SettingsPage::General, "General"),
            (SettingsPage::Security, "Security"),
            (SettingsPage::BrowserBridge, "Browser Bridge"),
        ] {
            ui.selectable_value(&mut view.page, page, label);
        }
    });
    match view.page {
        SettingsPage::General => general_ui(ui, view, paths),
        SettingsPage::Security => {
            let mut actions = Vec::new();
            egui::ScrollArea::vertical().show(ui, |ui| {
                ui.set_max_width(720.0);
                ui.scope(|ui| {
                    let action = password_view::password_ui(ui, &mut view.password);
                    actions.extend(action.map(SettingsAction::Password));
                });
                ui.scope(|ui| {
                    let action = password_view::key_ui(ui, &mut view.password);
                    actions.extend(action.map(SettingsAction::Password));
                });
                let two_factor = two_factor_view::two_factor_ui(ui, &mut view.two_factor);
                actions.extend(two_factor.map(SettingsAction::TwoFactor));
                let two_factor_on = view.two_factor.status.is_some();
                let kdf = kdf_view::kdf_ui(ui, &mut view.kdf, two_factor_on);
                actions.extend(kdf.map(SettingsAction::Kdf));
                ui.add_space(theme::SECTION_GAP);
            });
            actions
        }
        SettingsPage::BrowserBridge => {
            let mut action = None;
            egui::ScrollArea::vertical().show(ui, |ui| {
                ui.set_max_width(880.0);
                action = bridge_view::bridge_ui(ui, &mut view.bridge, bridge, paths);
                ui.add_space(theme::SECTION_GAP);
            });
            action.map(SettingsAction::Bridge).into_iter().collect()
        }
    }
}

fn general_ui(ui: &mut Ui, view: &mut SettingsView, paths: &Paths) -> Vec<SettingsAction> {
    let mut actions = Vec::new();
    let mut change =
        |key: &'static str, value: String| actions.push(SettingsAction::Change(key, value));
    let mut open_folder = false;
    egui::ScrollArea::vertical().show(ui, |ui| {
        ui.set_max_width(720.0);
        section(ui, "Locking");
        let slider = egui::Slider::new(&mut view.auto_lock_minutes, 1..=240)
            .text("Lock after this many minutes without use");
        if ui.add(slider).changed() {
            change(
                "security.auto_lock_minutes",
                view.auto_lock_minutes.to_string(),
            );
        }
        if ui
            .checkbox(
                &mut view.lock_on_minimize,
                "Lock when the window is minimized",
            )
            .changed()
        {
            change(
                "security.lock_on_minimize",
                view.lock_on_minimize.to_string(),
            );
        }

        section(ui, "Clipboard");
        let slider = egui::Slider::new(&mut view.clipboard_seconds, 5..=600)
            .text("Clear a copied secret after this many seconds");
        if ui.add(slider).changed() {
            change(
                "clipboard.auto_clear_seconds",
                view.clipboard_seconds.to_string(),
            );
        }

        section(ui, "Password history");
        if ui
            .checkbox(&mut view.history_enabled, "Keep previous passwords")
            .changed()
        {
            change("password_history.enabled", view.history_enabled.to_string());
        }
        let slider = egui::Slider::new(&mut view.history_versions, 1..=100)
            .text("Previous passwords kept per entry");
        if ui.add_enabled(view.history_enabled, slider).changed() {
            change(
                "password_history.max_versions",
                view.history_versions.to_string(),
            );
        }

        section(ui, "Breach checks");
        if ui
            .checkbox(
                &mut view.breach_checks,
                "Check passwords against known breaches during an audit",
            )
            .changed()
        {
            change("breach.enabled", view.breach_checks.to_string());
        }
        ui.label(
            egui::RichText::new(
                "Only the first five characters of each password's SHA-1 hash are sent (Have I \
                 Been Pwned's range search); the password never leaves this machine.",
            )
            .small()
            .weak(),
        );

        section(ui, "Theme");
        ui.horizontal(|ui| {
            for (choice, label, name) in [
                (ThemeChoice::System, "Follow the system", "system"),
                (ThemeChoice::Light, "Light", "light"),
                (ThemeChoice::Dark, "Dark", "dark"),
            ] {
                if ui.radio_value(&mut view.theme, choice, label).changed() {
                    theme::apply(ui.ctx(), choice);
                    change("ui.theme", name.to_owned());
                }
            }
        });

        section(ui, "Files");
        egui::Grid::new("files")
            .num_columns(2)
            .spacing([16.0, 4.0])
            .striped(true)
            .show(ui, |ui| {
                for named in paths.named_files() {
                    ui.label(named.label);
                    ui.label(
                        RichText::new(named.path.display().to_string())
                            .monospace()
                            .small(),
                    );
                    ui.end_row();
                }
            });
        ui.add_space(theme::GAP);
        open_folder = ui.button("Open data folder").clicked();
    });
    if open_folder {
        actions.push(SettingsAction::OpenDataFolder);
    }
    actions
}

fn section(ui: &mut Ui, title: &str) {
    ui.add_space(theme::SECTION_GAP);
    ui.label(RichText::new(title).strong());
    ui.separator();
}
