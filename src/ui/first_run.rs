//! First run: a welcome, then the master password with a live strength
//! meter, the key mode and the KDF preset with its measured unlock time.

use std::sync::mpsc::{Receiver, channel};
use std::time::Duration;

use egui::{RichText, Ui};
use zeroize::Zeroize;

use super::theme;
use super::widgets;
use crate::core::kdf::{self, KdfParams};
use crate::core::keys::KeyMode;
use crate::core::secret::SecretString;
use crate::core::strength::{self, Strength};

/// A choice of Argon2id costs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Preset {
    /// RFC 9106's second recommendation: 64 MiB, 3 passes, 4 lanes.
    Standard,
    /// Four times the memory: 256 MiB.
    Strong,
    /// The accepted floor: 19 MiB, 2 passes (for slow machines).
    Light,
}

impl Preset {
    const ALL: [Preset; 3] = [Preset::Standard, Preset::Strong, Preset::Light];

    fn params(self) -> KdfParams {
        match self {
            Preset::Standard => KdfParams::default(),
            Preset::Strong => KdfParams {
                m_cost_kib: 256 * 1024,
                t_cost: 3,
                p_cost: 4,
            },
            Preset::Light => KdfParams {
                m_cost_kib: 19 * 1024,
                t_cost: 2,
                p_cost: 1,
            },
        }
    }

    fn label(self) -> &'static str {
        match self {
            Preset::Standard => "Standard (64 MiB)",
            Preset::Strong => "Strong (256 MiB)",
            Preset::Light => "Light (19 MiB)",
        }
    }
}

/// What the person asked for.
pub enum FirstRunAction {
    /// Create the vault with these settings.
    Create {
        password: SecretString,
        key_mode: KeyMode,
        key_file: Option<std::path::PathBuf>,
        kdf: KdfParams,
    },
}

/// The first-run screen's state.
pub struct FirstRunState {
    welcomed: bool,
    password: String,
    confirm: String,
    strength: Option<(u64, Strength)>,
    weak_accepted: bool,
    key_mode: KeyMode,
    use_key_file: bool,
    key_file: String,
    preset: Preset,
    timings: Vec<(Preset, Duration)>,
    timing_results: Option<Receiver<(Preset, Duration)>>,
    /// Why the last attempt failed.
    pub error: Option<String>,
    /// Whether the vault is being created.
    pub busy: bool,
}

impl Default for FirstRunState {
    fn default() -> Self {
        Self {
            welcomed: false,
            password: String::new(),
            confirm: String::new(),
            strength: None,
            weak_accepted: false,
            key_mode: KeyMode::FileKey,
            use_key_file: false,
            key_file: String::new(),
            preset: Preset::Standard,
            timings: Vec::new(),
            timing_results: None,
            error: None,
            busy: false,
        }
    }
}

impl Drop for FirstRunState {
    fn drop(&mut self) {
        self.password.zeroize();
        self.confirm.zeroize();
    }
}

impl FirstRunState {
    /// Measures each preset once on a background thread, so the screen can
    /// say how long unlocking will take on this machine.
    fn start_timing(&mut self, ctx: &egui::Context) {
        let (sender, receiver) = channel();
        let ctx = ctx.clone();
        let started = std::thread::Builder::new()
            .name("kdf-timing".into())
            .spawn(move || {
                let password = SecretString::from("timing only");
                for preset in Preset::ALL {
                    let began = std::time::Instant::now();
                    if kdf::derive(&preset.params(), &[0u8; 16], &password, None).is_ok()
                        && sender.send((preset, began.elapsed())).is_err()
                    {
                        return;
                    }
                    ctx.request_repaint();
                }
            });
        if started.is_ok() {
            self.timing_results = Some(receiver);
        }
    }

    fn collect_timings(&mut self) {
        if let Some(results) = &self.timing_results {
            self.timings.extend(results.try_iter());
        }
    }

    fn strength(&mut self) -> Option<&Strength> {
        if self.password.is_empty() {
            return None;
        }
        let key = fingerprint(&self.password);
        if self.strength.as_ref().is_none_or(|(k, _)| *k != key) {
            let estimate = strength::estimate(&SecretString::from(self.password.as_str()), &[]);
            self.strength = Some((key, estimate));
            self.weak_accepted = false;
        }
        self.strength.as_ref().map(|(_, s)| s)
    }
}

/// A cheap fingerprint that tells when the password changed (not stored).
fn fingerprint(text: &str) -> u64 {
    let digest = crate::core::crypto::sha256(text.as_bytes());
    u64::from_le_bytes(digest[..8].try_into().unwrap_or_default())
}

/// Draws the first-run screen.
pub fn first_run_ui(ui: &mut Ui, state: &mut FirstRunState) -> Option<FirstRunAction> {
    state.collect_timings();
    let mut action = None;
    egui::ScrollArea::vertical().show(ui, |ui| {
        ui.vertical_centered(|ui| {
            ui.set_max_width(theme::FORM_WIDTH);
            ui.add_space(theme::SECTION_GAP * 2.0);
            if !state.welcomed {
                welcome_ui(ui, state);
            } else {
                action = setup_ui(ui, state);
            }
        });
    });
    action
}

fn welcome_ui(ui: &mut Ui, state: &mut FirstRunState) {
    widgets::logo_ui(ui, 96.0);
    ui.add_space(theme::GAP);
    ui.heading("Welcome to Secure Password Manager");
    ui.add_space(theme::GAP);
    ui.label(
        "Your logins are kept in an encrypted vault on this computer, opened with one master \
         password. Your passwords never leave this machine (breach checks send only the first \
         five characters of a password's SHA-1 hash, and can be turned off in Settings > \
         General).",
    );
    ui.add_space(theme::SECTION_GAP);
    if widgets::primary_button(ui, "Create a vault", true).clicked() {
        state.welcomed = true;
        state.start_timing(ui.ctx());
    }
}

fn setup_ui(ui: &mut Ui, state: &mut FirstRunState) -> Option<FirstRunAction> {
    ui.heading("Create your vault");
    ui.add_space(theme::GAP);
    ui.with_layout(egui::Layout::top_down(egui::Align::Min), |ui| {
        widgets::text_field(ui, "Master password", &mut state.password, true);
        if let Some(strength) = state.strength().cloned() {
            widgets::strength_meter(ui, &strength);
        }
        widgets::text_field(ui, "Repeat the master password", &mut state.confirm, true);
        ui.add_space(theme::SECTION_GAP);

        ui.label(RichText::new("How the vault key is kept").strong());
        ui.radio_value(
            &mut state.key_mode,
            KeyMode::FileKey,
            "Key file (recommended)",
        );
        ui.label(
            RichText::new("A random key, locked by your master password, in secret.key.").small(),
        );
        ui.radio_value(
            &mut state.key_mode,
            KeyMode::PasswordDerived,
            "Password-derived",
        );
        ui.label(RichText::new("No key on disk: the key comes from the password alone.").small());
        if state.key_mode == KeyMode::FileKey {
            ui.checkbox(&mut state.use_key_file, "Also require a key file");
            ui.label(
                RichText::new("Any file you keep apart (on a USB stick, say) joins the password.")
                    .small(),
            );
            if state.use_key_file {
                widgets::file_field(ui, "Key file", &mut state.key_file, 240.0);
            }
        }
        ui.add_space(theme::SECTION_GAP);

        ui.label(RichText::new("Key derivation strength").strong());
        for preset in Preset::ALL {
            let timing = state.timings.iter().find(|(p, _)| *p == preset);
            let text = match timing {
                Some((_, took)) => format!(
                    "{} — unlocks in about {} ms here",
                    preset.label(),
                    took.as_millis()
                ),
                None => format!("{} — measuring…", preset.label()),
            };
            ui.radio_value(&mut state.preset, preset, text);
        }
        ui.add_space(theme::SECTION_GAP);

        let weak = state.strength().is_some_and(|s| s.is_weak());
        if weak {
            ui.checkbox(
                &mut state.weak_accepted,
                "I understand this password is weak",
            );
        }
        if let Some(error) = &state.error {
            widgets::error_line(ui, error);
        }
        let label = if state.busy {
            "Creating…"
        } else {
            "Create vault"
        };
        let clicked = widgets::primary_button(ui, label, !state.busy).clicked();
        if clicked {
            return submit(state, weak);
        }
        if state.busy {
            ui.spinner();
        }
        None
    })
    .inner
}

fn submit(state: &mut FirstRunState, weak: bool) -> Option<FirstRunAction> {
    let problem = if state.password.trim().is_empty() {
        Some("The master password must not be empty.")
    } else if state.password != state.confirm {
        Some("The two passwords differ.")
    } else if weak && !state.weak_accepted {
        Some("This password is weak: choose a stronger one, or confirm that you accept it.")
    } else if state.use_key_file && state.key_file.trim().is_empty() {
        Some("Choose the key file, or turn the key file off.")
    } else {
        None
    };
    if let Some(problem) = problem {
        state.error = Some(problem.to_owned());
        return None;
    }
    state.error = None;
    state.confirm.zeroize();
    let key_file = (state.key_mode == KeyMode::FileKey && state.use_key_file)
        .then(|| std::path::PathBuf::from(state.key_file.trim()));
    Some(FirstRunAction::Create {
        password: SecretString::new(std::mem::take(&mut state.password)),
        key_mode: state.key_mode,
        key_file,
        kdf: state.preset.params(),
    })
}
