//! The Browser Bridge inside the window. The service starts with the app
//! when `browser_bridge.enabled` is set (or from Settings > Browser
//! Bridge) and stops with it. Its workers never touch the vault: their
//! messages are answered here on the UI thread between frames, against the
//! unlocked vault or with "locked". Approval prompts queue and show one at
//! a time as a popup that brings the window forward.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::Receiver;
use std::time::{Duration, Instant};

use egui::{RichText, ViewportCommand};

use super::{App, Screen};
use crate::bridge::api;
use crate::bridge::endpoints::{Bridge, EndpointConfig};
use crate::bridge::link::{Action, Approval, ApprovalPrompt, BridgeMessage, Link};
use crate::bridge::owner::Owner;
use crate::bridge::server::{Server, ServerConfig};
use crate::core::bridge::approvals::ApprovalStore;
use crate::core::bridge::origin::parse_origin;
use crate::core::bridge::pairing;
use crate::core::bridge::tokens::TokenStore;
use crate::core::events;
use crate::core::time;
use crate::event;
use crate::ui::bridge_view::{BridgeAction, ServiceState};
use crate::ui::theme;
use crate::ui::widgets::capitalized;

/// The service's side of the window.
pub(super) struct BridgeHost {
    running: Option<Running>,
    /// Why the last start failed.
    failure: Option<String>,
    /// Read by the workers: whether the vault is locked.
    locked: Arc<AtomicBool>,
    owner: Owner,
    /// Prompts waiting for the user, oldest first; the first one shows.
    prompts: VecDeque<Waiting>,
    /// Whether the setting to start with the app has been looked at.
    autostart_checked: bool,
    /// How long a worker waits for an answer (a prompt older than this
    /// was given up on).
    patience: Duration,
}

impl Default for BridgeHost {
    fn default() -> Self {
        Self {
            running: None,
            failure: None,
            locked: Arc::new(AtomicBool::new(true)),
            owner: Owner::default(),
            prompts: VecDeque::new(),
            autostart_checked: false,
            patience: EndpointConfig::default().approval_timeout,
        }
    }
}

struct Running {
    server: Server,
    receiver: Receiver<BridgeMessage>,
}

struct Waiting {
    prompt: ApprovalPrompt,
    arrived: Instant,
}

impl BridgeHost {
    /// Where the service stands, for Settings.
    pub(super) fn state(&self) -> ServiceState {
        match (&self.running, &self.failure) {
            (Some(running), _) => ServiceState::Running(running.server.addr()),
            (None, Some(failure)) => ServiceState::Failed(failure.clone()),
            (None, None) => ServiceState::Stopped,
        }
    }

    /// The address the service listens on, while it runs.
    pub(super) fn addr(&self) -> Option<SocketAddr> {
        self.running.as_ref().map(|r| r.server.addr())
    }

    /// How many approval prompts wait for an answer.
    pub(super) fn waiting(&self) -> usize {
        self.prompts.len()
    }
}

/// The popup's buttons, in order, with their answers.
const ANSWERS: [(&str, Approval); 4] = [
    ("Approve once", Approval::Once),
    ("Remember & approve", Approval::Remember),
    ("Deny once", Approval::DenyOnce),
    ("Remember & deny", Approval::RememberDeny),
];

impl App {
    /// Per frame: starts the service the first time if the settings ask
    /// for it, keeps the locked flag current, and answers what the workers
    /// sent since the last frame.
    pub(super) fn bridge_tick(&mut self, ctx: &egui::Context) {
        if !self.bridge.autostart_checked {
            self.bridge.autostart_checked = true;
            if self.settings.bridge_enabled() {
                self.start_bridge(ctx);
            }
        }
        let unlocked = matches!(self.screen, Screen::Main(_));
        self.bridge.locked.store(!unlocked, Ordering::SeqCst);
        if !unlocked {
            // Nobody may answer for a locked vault: dropping a prompt's
            // reply channel denies the request.
            self.bridge.prompts.clear();
        }
        let messages: Vec<BridgeMessage> = match &self.bridge.running {
            Some(running) => running.receiver.try_iter().collect(),
            None => Vec::new(),
        };
        let had_prompt = !self.bridge.prompts.is_empty();
        for message in messages {
            match message {
                BridgeMessage::Vault(call) => {
                    let vault = match &mut self.screen {
                        Screen::Main(main) => Some(&mut main.vault),
                        _ => None,
                    };
                    self.bridge.owner.answer(vault, call);
                }
                BridgeMessage::Approve(prompt) if unlocked => {
                    self.bridge.prompts.push_back(Waiting {
                        prompt,
                        arrived: Instant::now(),
                    });
                }
                BridgeMessage::Approve(_) => {}
                BridgeMessage::ClearClipboard { reply } => {
                    let _ = reply.send(self.clipboard.clear_now());
                }
            }
        }
        let patience = self.bridge.patience;
        self.bridge
            .prompts
            .retain(|w| w.arrived.elapsed() < patience);
        if !self.bridge.prompts.is_empty() {
            if !had_prompt {
                // Bring the window forward even when it is behind the
                // browser that asked.
                ctx.send_viewport_cmd(ViewportCommand::Minimized(false));
                ctx.send_viewport_cmd(ViewportCommand::Focus);
                ctx.send_viewport_cmd(ViewportCommand::RequestUserAttention(
                    egui::UserAttentionType::Critical,
                ));
            }
            // Prompts nobody answers in time disappear.
            ctx.request_repaint_after(Duration::from_secs(1));
        }
    }

    /// Starts the service with the current settings; a failure (port in
    /// use, say) is kept for Settings and shown as a toast.
    pub(super) fn start_bridge(&mut self, ctx: &egui::Context) {
        if self.bridge.running.is_some() {
            return;
        }
        let wake = ctx.clone();
        let (link, receiver) = Link::new(move || wake.request_repaint());
        let config = EndpointConfig {
            token_ttl_hours: self.settings.bridge_token_ttl_hours(),
            approval_ttl_days: self.settings.bridge_approval_ttl_days(),
            ..EndpointConfig::default()
        };
        self.bridge.patience = config.approval_timeout;
        let bridge = Arc::new(Bridge::new(
            self.paths.clone(),
            config,
            link,
            self.bridge.locked.clone(),
            Arc::new(time::now_unix),
        ));
        let server_config =
            ServerConfig::loopback(self.settings.bridge_host(), self.settings.bridge_port());
        let handler = Arc::new(move |request: &api::ApiRequest, port| {
            api::route(request, port, bridge.as_ref())
        });
        match Server::start(&server_config, handler) {
            Ok(server) => {
                event!(
                    info,
                    events::BROWSER_BRIDGE_STARTED,
                    "browser bridge listening on {}",
                    server.addr()
                );
                self.bridge.failure = None;
                self.bridge.running = Some(Running { server, receiver });
            }
            Err(e) => {
                event!(warn, events::BROWSER_BRIDGE_FAILED, "{e}");
                let message = capitalized(&e.to_string());
                self.toasts.error(message.clone());
                self.bridge.failure = Some(message);
            }
        }
    }

    /// Stops the service: waiting prompts are denied, and workers waiting
    /// on the window get "unavailable" at once.
    pub(super) fn stop_bridge(&mut self) {
        self.bridge.prompts.clear();
        self.bridge.failure = None;
        if let Some(Running { server, receiver }) = self.bridge.running.take() {
            drop(receiver);
            server.stop();
            event!(
                info,
                events::BROWSER_BRIDGE_STOPPED,
                "browser bridge stopped"
            );
        }
    }

    /// Does what Settings > Browser Bridge asked for.
    pub(super) fn bridge_action(&mut self, ctx: &egui::Context, action: BridgeAction) {
        let paths = self.paths.clone();
        let result: Result<Option<String>, String> = match action {
            BridgeAction::Start => {
                self.start_bridge(ctx);
                Ok(None)
            }
            BridgeAction::Stop => {
                self.stop_bridge();
                Ok(Some("The browser bridge stopped.".to_owned()))
            }
            BridgeAction::Setting(key, value) => {
                self.change_setting(key, &value);
                Ok(None)
            }
            BridgeAction::Pair => {
                let seconds = self.settings.bridge_pairing_window_seconds();
                match pairing::open_window(&paths.bridge_pairing(), seconds, time::now_unix()) {
                    Ok(code) => {
                        if let Some(main) = self.main() {
                            main.settings.bridge.code = Some(code);
                        }
                        let stopped = self.bridge.running.is_none();
                        Ok(stopped.then(|| {
                            "The bridge is stopped; start it so the extension can reach it."
                                .to_owned()
                        }))
                    }
                    Err(e) => Err(e.to_string()),
                }
            }
            BridgeAction::CancelPairing => pairing::close(&paths.bridge_pairing())
                .map(|_| Some("Pairing cancelled.".to_owned()))
                .map_err(|e| e.to_string()),
            BridgeAction::Revoke(id) => TokenStore::load(&paths.bridge_tokens())
                .map_err(|e| e.to_string())
                .and_then(|mut store| store.revoke(&id).map_err(|e| e.to_string()))
                .map(|_| Some("Token revoked; that extension must pair again.".to_owned())),
            BridgeAction::RevokeAll => TokenStore::load(&paths.bridge_tokens())
                .map_err(|e| e.to_string())
                .and_then(|mut store| store.revoke_all().map_err(|e| e.to_string()))
                .map(|n| {
                    Some(format!(
                        "Revoked {n} token(s); every extension must pair again."
                    ))
                }),
            BridgeAction::Forget(origin) => match parse_origin(&origin) {
                Ok(page) => ApprovalStore::load(&paths.approval_store())
                    .map_err(|e| e.to_string())
                    .and_then(|mut store| store.forget(&page).map_err(|e| e.to_string()))
                    .map(|_| Some(format!("{origin} will ask again."))),
                Err(e) => Err(e.to_string()),
            },
            BridgeAction::ClearApprovals => ApprovalStore::load(&paths.approval_store())
                .map_err(|e| e.to_string())
                .and_then(|mut store| store.clear().map_err(|e| e.to_string()))
                .map(|n| {
                    Some(format!(
                        "Forgot {n} decision(s); every site will ask again."
                    ))
                }),
        };
        match result {
            Ok(Some(message)) => self.toasts.info(message),
            Ok(None) => {}
            Err(e) => self.toasts.error(capitalized(&e)),
        }
        if let Some(main) = self.main() {
            main.settings.bridge.invalidate();
        }
    }

    /// Draws the front approval prompt, if any, and sends its answer.
    pub(super) fn approval_ui(&mut self, ctx: &egui::Context) {
        if !matches!(self.screen, Screen::Main(_)) {
            return;
        }
        let more = self.bridge.prompts.len().saturating_sub(1);
        let Some(front) = self.bridge.prompts.front() else {
            return;
        };
        let prompt = &front.prompt;
        let left = self.bridge.patience.saturating_sub(front.arrived.elapsed());
        let mut answer = None;
        let modal = egui::Modal::new(egui::Id::unique("bridge-approval")).show(ctx, |ui| {
            ui.set_width(540.0);
            ui.heading(match prompt.action {
                Action::Fill => "Fill a login?",
                Action::Save => "Save a login?",
            });
            ui.add_space(theme::GAP);
            let what = match prompt.action {
                Action::Fill => "wants the logins for",
                Action::Save => "wants to save a login for",
            };
            ui.label(format!(
                "The browser extension in {} {what}",
                prompt.browser
            ));
            ui.label(
                RichText::new(&prompt.origin)
                    .monospace()
                    .strong()
                    .size(16.0),
            );
            let matches = match prompt.matches {
                0 => "No entry matches this site.".to_owned(),
                1 => "1 entry matches this site.".to_owned(),
                n => format!("{n} entries match this site."),
            };
            ui.label(matches);
            ui.add_space(theme::GAP);
            ui.label(
                RichText::new(
                    "Remembered decisions apply to this site until they expire or you revoke \
                     them in Settings > Browser Bridge.",
                )
                .weak(),
            );
            ui.add_space(theme::GAP);
            ui.horizontal(|ui| {
                for (label, value) in ANSWERS {
                    if ui.button(label).clicked() {
                        answer = Some(value);
                    }
                }
            });
            ui.add_space(theme::GAP);
            let mut footer = format!("Denied automatically in {} s.", left.as_secs());
            if more > 0 {
                footer.push_str(&format!(
                    " {more} more request{} waiting.",
                    if more == 1 { "" } else { "s" }
                ));
            }
            ui.label(RichText::new(footer).weak().small());
        });
        if answer.is_none() && modal.should_close() {
            answer = Some(Approval::DenyOnce);
        }
        if let Some(answer) = answer
            && let Some(waiting) = self.bridge.prompts.pop_front()
        {
            // The worker may have given up already; then nothing happens.
            let _ = waiting.prompt.reply.send(answer);
            if let Some(main) = self.main() {
                main.settings.bridge.invalidate();
            }
        }
    }
}
