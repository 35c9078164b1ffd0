//! Settings > Browser Bridge: whether the service runs and where, pairing
//! a new extension with a code and its countdown, the paired extensions
//! with Revoke, and the remembered approvals with Revoke. The files are
//! read here (they are small); every change is done by the app.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use egui::{RichText, Ui};

use super::backup_status::ago;
use super::theme;
use super::widgets;
use crate::core::bridge::approvals::{Approval, ApprovalStore, Decision};
use crate::core::bridge::pairing::{self, PairingCode, PairingStatus};
use crate::core::bridge::tokens::{TokenInfo, TokenStore};
use crate::core::paths::Paths;
use crate::core::settings::Settings;
use crate::core::time;

/// How often the lists are read again while the page shows (the service
/// updates "last used" and adds approvals).
const REFRESH: Duration = Duration::from_secs(2);

/// Where the service stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServiceState {
    /// Not running.
    Stopped,
    /// Listening on this address.
    Running(SocketAddr),
    /// The last start failed; the message says why and what to do.
    Failed(String),
}

/// What the page asks the app to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BridgeAction {
    /// Start the service.
    Start,
    /// Stop the service.
    Stop,
    /// Save a changed setting (dotted key, value as `settings set` takes it).
    Setting(&'static str, String),
    /// Open a pairing window and show its code.
    Pair,
    /// Close the pairing window early.
    CancelPairing,
    /// Revoke one token by id.
    Revoke(String),
    /// Revoke every token.
    RevokeAll,
    /// Forget the remembered decision for an origin.
    Forget(String),
    /// Forget every remembered decision.
    ClearApprovals,
}

/// The page's state: editable copies of the settings, the lists as last
/// read, and the pairing code this window opened.
pub struct BridgeView {
    enabled: bool,
    port: u16,
    /// The paired extensions.
    pub tokens: Vec<TokenInfo>,
    /// The remembered decisions.
    pub approvals: Vec<Approval>,
    /// Why a list could not be read.
    pub load_error: Option<String>,
    /// The code of the pairing window opened here, shown until the window
    /// is used, expires or is closed.
    pub code: Option<PairingCode>,
    /// The pairing window as last read.
    pub pairing: PairingStatus,
    loaded: Option<Instant>,
}

impl BridgeView {
    /// The page with the values the settings hold.
    pub fn from_settings(settings: &Settings) -> Self {
        Self {
            enabled: settings.bridge_enabled(),
            port: settings.bridge_port(),
            tokens: Vec::new(),
            approvals: Vec::new(),
            load_error: None,
            code: None,
            pairing: PairingStatus::NoWindow,
            loaded: None,
        }
    }

    /// Reads the lists again at the next frame.
    pub fn invalidate(&mut self) {
        self.loaded = None;
    }

    /// Reads the token, approval and pairing files when they were last
    /// read more than a moment ago (or never).
    fn refresh(&mut self, paths: &Paths) {
        if self.loaded.is_some_and(|at| at.elapsed() < REFRESH) {
            return;
        }
        self.loaded = Some(Instant::now());
        let now = time::now_unix();
        let mut errors = Vec::new();
        match TokenStore::load(&paths.bridge_tokens()) {
            Ok(store) => self.tokens = store.list(),
            Err(e) => errors.push(e.to_string()),
        }
        match ApprovalStore::load(&paths.approval_store()) {
            Ok(store) => self.approvals = store.list().to_vec(),
            Err(e) => errors.push(e.to_string()),
        }
        match pairing::status(&paths.bridge_pairing(), now) {
            Ok(status) => self.pairing = status,
            Err(e) => errors.push(e.to_string()),
        }
        if !matches!(self.pairing, PairingStatus::Open { .. }) {
            // The code means nothing once its window is over.
            self.code = None;
        }
        self.load_error = (!errors.is_empty()).then(|| widgets::capitalized(&errors.join("; ")));
    }
}

/// Draws the page; returns what was asked for.
pub fn bridge_ui(
    ui: &mut Ui,
    view: &mut BridgeView,
    state: &ServiceState,
    paths: &Paths,
) -> Option<BridgeAction> {
    view.refresh(paths);
    // The countdown and "last used" move on their own.
    ui.ctx().request_repaint_after(Duration::from_secs(1));
    let mut action = None;
    service_ui(ui, view, state, &mut action);
    pairing_ui(ui, view, &mut action);
    tokens_ui(ui, view, &mut action);
    approvals_ui(ui, view, &mut action);
    if let Some(error) = &view.load_error {
        ui.add_space(theme::GAP);
        widgets::error_line(ui, error);
    }
    action
}

fn heading_ui(ui: &mut Ui, title: &str) {
    ui.add_space(theme::SECTION_GAP);
    ui.label(RichText::new(title).strong());
    ui.separator();
}

fn service_ui(
    ui: &mut Ui,
    view: &mut BridgeView,
    state: &ServiceState,
    action: &mut Option<BridgeAction>,
) {
    heading_ui(ui, "Service");
    ui.label(
        "Paired browser extensions fill and save logins through a service that only \
         listens on this computer. Each site asks for your approval first.",
    );
    ui.add_space(theme::GAP);
    ui.horizontal(|ui| {
        match state {
            ServiceState::Running(addr) => {
                status_dot(ui, theme::SUCCESS);
                ui.label(format!("Listening on {addr}"));
                ui.add_space(theme::GAP);
                if ui.button("Stop the bridge").clicked() {
                    *action = Some(BridgeAction::Stop);
                }
            }
            ServiceState::Stopped | ServiceState::Failed(_) => {
                status_dot(ui, ui.visuals().weak_text_color());
                ui.label("Stopped");
                ui.add_space(theme::GAP);
                if ui.button("Start the bridge").clicked() {
                    *action = Some(BridgeAction::Start);
                }
            }
        };
    });
    if let ServiceState::Failed(message) = state {
        widgets::error_line(ui, message);
    }
    ui.add_space(theme::GAP);
    if ui
        .checkbox(&mut view.enabled, "Start the bridge with the app")
        .changed()
    {
        *action = Some(BridgeAction::Setting(
            "browser_bridge.enabled",
            view.enabled.to_string(),
        ));
    }
    ui.horizontal(|ui| {
        ui.label("Port");
        let port = ui.add(egui::DragValue::new(&mut view.port).range(1..=65535));
        if port.lost_focus() || port.drag_stopped() {
            *action = Some(BridgeAction::Setting(
                "browser_bridge.port",
                view.port.to_string(),
            ));
        }
        ui.label(RichText::new("(used the next time the bridge starts)").weak());
    });
}

fn pairing_ui(ui: &mut Ui, view: &BridgeView, action: &mut Option<BridgeAction>) {
    heading_ui(ui, "Pair a browser extension");
    match (&view.code, view.pairing) {
        (
            Some(code),
            PairingStatus::Open {
                seconds_left,
                attempts_left,
                ..
            },
        ) => {
            ui.label("Enter this code in the extension:");
            let digits = code.expose();
            let (left, right) = digits.split_at(digits.len() / 2);
            ui.label(
                RichText::new(format!("{left} {right}"))
                    .monospace()
                    .size(28.0)
                    .strong(),
            );
            let left_now = (code.expires() - time::now_unix()).clamp(0, seconds_left.max(0));
            ui.label(format!(
                "Valid for {}:{:02} more; {attempts_left} wrong codes close it early.",
                left_now / 60,
                left_now % 60
            ));
            if ui.button("Cancel pairing").clicked() {
                *action = Some(BridgeAction::CancelPairing);
            }
        }
        (None, PairingStatus::Open { seconds_left, .. }) => {
            ui.label(format!(
                "A pairing window opened from the command line is open for {seconds_left} s more."
            ));
            if ui.button("Cancel pairing").clicked() {
                *action = Some(BridgeAction::CancelPairing);
            }
        }
        (_, status) => {
            let last = match status {
                PairingStatus::Used => Some("The last pairing code was used: a browser paired."),
                PairingStatus::Expired => Some("The last pairing code expired unused."),
                PairingStatus::TooManyAttempts => {
                    Some("The last pairing window closed after too many wrong codes.")
                }
                _ => None,
            };
            if let Some(last) = last {
                ui.label(RichText::new(last).weak());
            }
            if widgets::primary_button(ui, "Pair new extension", true).clicked() {
                *action = Some(BridgeAction::Pair);
            }
        }
    }
}

fn tokens_ui(ui: &mut Ui, view: &BridgeView, action: &mut Option<BridgeAction>) {
    heading_ui(ui, "Paired extensions");
    if view.tokens.is_empty() {
        ui.label("No browser extension is paired.");
        return;
    }
    let now = time::now_unix();
    egui::Grid::new("bridge-tokens")
        .num_columns(6)
        .spacing([16.0, 6.0])
        .striped(true)
        .show(ui, |ui| {
            for title in ["Browser", "Fingerprint", "Paired", "Last used", "Expires"] {
                ui.label(RichText::new(title).weak());
            }
            ui.end_row();
            for token in &view.tokens {
                ui.label(&token.browser);
                ui.label(RichText::new(short(&token.fingerprint, 20)).monospace());
                ui.label(ago(now - token.created));
                ui.label(token.last_used.map_or("never".to_owned(), |t| ago(now - t)));
                if token.is_expired(now) {
                    ui.label(RichText::new("expired").color(theme::WARNING));
                } else {
                    ui.label(until(token.expires - now));
                }
                let name = format!("Revoke the token of {}", token.browser);
                let revoke = labelled(ui.button("Revoke"), &name).on_hover_text(name);
                if revoke.clicked() {
                    *action = Some(BridgeAction::Revoke(token.id.clone()));
                }
                ui.end_row();
            }
        });
    ui.add_space(theme::GAP);
    if ui.button("Revoke all").clicked() {
        *action = Some(BridgeAction::RevokeAll);
    }
}

fn approvals_ui(ui: &mut Ui, view: &BridgeView, action: &mut Option<BridgeAction>) {
    heading_ui(ui, "Remembered decisions");
    if view.approvals.is_empty() {
        ui.label("No site has a remembered decision; each one asks when it is first used.");
        return;
    }
    let now = time::now_unix();
    egui::Grid::new("bridge-approvals")
        .num_columns(5)
        .spacing([16.0, 6.0])
        .striped(true)
        .show(ui, |ui| {
            for title in ["Site", "Decision", "Decided", "Expires"] {
                ui.label(RichText::new(title).weak());
            }
            ui.end_row();
            for approval in &view.approvals {
                let origin = approval.origin.as_str();
                ui.label(RichText::new(origin).monospace());
                match approval.decision {
                    Decision::Allow => ui.label(RichText::new("allowed").color(theme::SUCCESS)),
                    Decision::Deny => ui.label(RichText::new("denied").color(theme::DANGER)),
                };
                ui.label(ago(now - approval.at));
                match approval.expires {
                    None => ui.label("never"),
                    Some(t) if t <= now => ui.label(RichText::new("expired").color(theme::WARNING)),
                    Some(t) => ui.label(until(t - now)),
                };
                let name = format!("Forget the decision for {origin}");
                let revoke = labelled(ui.button("Revoke"), &name).on_hover_text(name);
                if revoke.clicked() {
                    *action = Some(BridgeAction::Forget(origin.to_owned()));
                }
                ui.end_row();
            }
        });
    ui.add_space(theme::GAP);
    if ui.button("Clear all").clicked() {
        *action = Some(BridgeAction::ClearApprovals);
    }
}

/// `button` named `name` for screen readers (rows of "Revoke" buttons
/// would otherwise all sound the same).
fn labelled(button: egui::Response, name: &str) -> egui::Response {
    button.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Button, true, name.to_owned()));
    button
}

/// A small filled circle in `color`, the service's state at a glance.
fn status_dot(ui: &mut Ui, color: egui::Color32) {
    let (rect, _) = ui.allocate_exact_size(egui::vec2(12.0, 12.0), egui::Sense::hover());
    ui.painter().circle_filled(rect.center(), 5.0, color);
}

/// "in 3 h" for a time `secs` ahead, to the nearest unit (a token made a
/// moment ago for 24 hours expires "in 24 h").
fn until(secs: i64) -> String {
    match secs {
        i64::MIN..=59 => "in under a minute".to_owned(),
        60..=3_599 => format!("in {} min", (secs + 30) / 60),
        3_600..=172_799 => format!("in {} h", (secs + 1_800) / 3_600),
        _ => format!("in {} days", (secs + 43_200) / 86_400),
    }
}

/// At most `chars` characters of `text`, with an ellipsis when cut.
fn short(text: &str, chars: usize) -> String {
    if text.chars().count() <= chars {
        return text.to_owned();
    }
    let mut cut: String = text.chars().take(chars.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_ahead_read_like_speech() {
        assert_eq!(until(30), "in under a minute");
        assert_eq!(until(5 * 60), "in 5 min");
        assert_eq!(until(23 * 3600 + 59), "in 23 h");
        assert_eq!(until(24 * 3600 - 5), "in 24 h");
        assert_eq!(until(90 * 86_400 - 5), "in 90 days");
    }

    #[test]
    fn long_fingerprints_are_cut_with_an_ellipsis() {
        assert_eq!(short("abc", 20), "abc");
        assert_eq!(short("abcdefghij", 5), "abcd…");
    }
}
