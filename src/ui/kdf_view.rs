//! Settings > Security > KDF tuning: the vault's Argon2id parameters, a
//! benchmark of this machine (its runs, the recommendation, warnings), and
//! Apply, which re-derives the keys with the recommendation after asking
//! for the master password (and a two-factor code when that is on).

use std::sync::mpsc::Receiver;
use std::time::Duration;

use egui::{RichText, Ui};
use zeroize::Zeroize;

use super::theme;
use super::widgets;
use crate::core::kdf::KdfParams;
use crate::core::kdf_tuning::{self, Recommendation, Sample};
use crate::core::secret::SecretString;
use crate::core::settings::Settings;

/// Memory the window's benchmark offers, in MiB.
const MEMORY_RANGE_MIB: std::ops::RangeInclusive<u32> = 19..=1024;

/// What the section asks the app to do.
pub enum KdfAction {
    /// Save the target unlock time (`key_management.benchmark_target_ms`).
    SetTarget(u32),
    /// Time Argon2id at this memory and find the passes for the target.
    RunBenchmark {
        /// Memory in KiB.
        memory_kib: u32,
        /// Target unlock time in milliseconds.
        target_ms: u32,
    },
    /// Re-derive the vault's keys with these parameters.
    Apply {
        /// The new parameters.
        params: KdfParams,
        /// The master password.
        password: SecretString,
        /// A two-factor code, when two-factor unlock is on.
        code: Option<SecretString>,
    },
}

/// What the worker reports while the benchmark runs.
pub enum KdfProgress {
    /// One more Argon2id run is timed.
    Sample(Sample),
}

/// A benchmark in progress.
pub struct Running {
    /// What is being done, for the progress bar.
    pub what: &'static str,
    /// The runs timed so far.
    pub samples: Vec<Sample>,
    /// The worker's reports.
    pub reports: Receiver<KdfProgress>,
}

/// The section's state.
pub struct KdfView {
    /// The vault's parameters, as `crypto.salt` holds them (`None`: not
    /// read yet).
    pub current: Option<KdfParams>,
    /// Why the parameters could not be read, or why a job failed.
    pub error: Option<String>,
    /// The target unlock time in milliseconds.
    pub target_ms: u32,
    /// The memory to benchmark at, in MiB.
    pub memory_mib: u32,
    /// The benchmark, while it runs.
    pub running: Option<Running>,
    /// The last benchmark's result.
    pub recommendation: Option<Recommendation>,
    /// What the last apply did, in a sentence or three.
    pub summary: Option<String>,
    /// Scroll the section's end into view on the next frame (a result or
    /// the password form appeared below the fold).
    pub reveal: bool,
    asking: bool,
    focus_password: bool,
    password: String,
    code: String,
}

impl Drop for KdfView {
    fn drop(&mut self) {
        self.password.zeroize();
        self.code.zeroize();
    }
}

impl KdfView {
    /// The view with the target from the settings.
    pub fn from_settings(settings: &Settings) -> Self {
        Self {
            current: None,
            error: None,
            target_ms: settings.benchmark_target_ms(),
            memory_mib: kdf_tuning::DEFAULT_MEMORY_KIB / 1024,
            running: None,
            recommendation: None,
            summary: None,
            reveal: false,
            asking: false,
            focus_password: false,
            password: String::new(),
            code: String::new(),
        }
    }

    /// Closes the password form and wipes what was typed into it.
    pub fn form_ended(&mut self) {
        self.asking = false;
        self.password.zeroize();
        self.password.clear();
        self.code.zeroize();
        self.code.clear();
    }
}

/// `64 MiB, 3 passes, 4 lanes`.
pub fn describe(p: &KdfParams) -> String {
    let plural = |n: u32, one: &str, many: &str| {
        if n == 1 {
            format!("1 {one}")
        } else {
            format!("{n} {many}")
        }
    };
    format!(
        "{} MiB, {}, {}",
        p.m_cost_kib / 1024,
        plural(p.t_cost, "pass", "passes"),
        plural(p.p_cost, "lane", "lanes")
    )
}

/// Draws the section; returns what was asked for.
pub fn kdf_ui(ui: &mut Ui, view: &mut KdfView, two_factor_on: bool) -> Option<KdfAction> {
    ui.add_space(theme::SECTION_GAP);
    ui.label(RichText::new("KDF tuning").strong());
    ui.separator();
    ui.label(
        "Argon2id turns the master password into the vault's keys. More passes make every \
         guess slower for an attacker, and every unlock slower for you.",
    );
    ui.add_space(theme::GAP);
    let current = view
        .current
        .map_or_else(|| "unknown".to_owned(), |p| describe(&p));
    ui.label(format!("Current parameters: {current}"));
    ui.add_space(theme::GAP);

    let mut action = benchmark_controls_ui(ui, view);
    if let Some(running) = &view.running {
        ui.add_space(theme::GAP);
        progress_ui(ui, running);
    }
    let samples = match (&view.running, &view.recommendation) {
        (Some(running), _) => Some(&running.samples),
        (_, Some(found)) => Some(&found.samples),
        _ => None,
    };
    if let Some(samples) = samples.filter(|s| !s.is_empty()) {
        ui.add_space(theme::GAP);
        samples_ui(ui, samples);
    }
    if view.recommendation.is_some() {
        action = action.or(recommendation_ui(ui, view, two_factor_on));
    }
    if let Some(summary) = &view.summary {
        ui.add_space(theme::GAP);
        ui.label(RichText::new(summary).color(theme::SUCCESS));
    }
    if let Some(error) = &view.error {
        ui.add_space(theme::GAP);
        widgets::error_line(ui, error);
    }
    if std::mem::take(&mut view.reveal) {
        ui.scroll_to_cursor(Some(egui::Align::BOTTOM));
    }
    action
}

fn benchmark_controls_ui(ui: &mut Ui, view: &mut KdfView) -> Option<KdfAction> {
    let mut action = None;
    let range = kdf_tuning::MIN_TARGET_MS..=kdf_tuning::MAX_TARGET_MS;
    let slider = egui::Slider::new(&mut view.target_ms, range)
        .logarithmic(true)
        .suffix(" ms")
        .text("Target unlock time");
    if ui.add(slider).changed() {
        action = Some(KdfAction::SetTarget(view.target_ms));
    }
    let slider = egui::Slider::new(&mut view.memory_mib, MEMORY_RANGE_MIB)
        .logarithmic(true)
        .suffix(" MiB")
        .text("Memory to measure at");
    ui.add(slider);
    ui.add_space(theme::GAP);
    let idle = view.running.is_none();
    if ui
        .add_enabled(idle, egui::Button::new("Run benchmark"))
        .clicked()
    {
        action = Some(KdfAction::RunBenchmark {
            memory_kib: view.memory_mib * 1024,
            target_ms: view.target_ms,
        });
    }
    action
}

fn progress_ui(ui: &mut Ui, running: &Running) {
    let done = running.samples.len();
    let text = match running.samples.last() {
        Some(last) => format!(
            "{}: run {done} of at most {}, {} passes took {:.0} ms",
            running.what,
            kdf_tuning::MAX_SAMPLES,
            last.t_cost,
            last.ms
        ),
        None => format!("{}: first run…", running.what),
    };
    let fraction = done as f32 / kdf_tuning::MAX_SAMPLES as f32;
    ui.horizontal(|ui| {
        ui.add(
            egui::ProgressBar::new(fraction)
                .text(text)
                .desired_width(ui.available_width().min(560.0)),
        );
        ui.spinner();
    });
    ui.ctx().request_repaint_after(Duration::from_millis(100));
}

fn samples_ui(ui: &mut Ui, samples: &[Sample]) {
    egui::Grid::new("kdf-samples")
        .num_columns(2)
        .spacing([24.0, 4.0])
        .striped(true)
        .show(ui, |ui| {
            ui.label(RichText::new("Passes").strong());
            ui.label(RichText::new("Time").strong());
            ui.end_row();
            for sample in samples {
                ui.label(sample.t_cost.to_string());
                ui.label(format!("{:.0} ms", sample.ms));
                ui.end_row();
            }
        });
}

fn recommendation_ui(ui: &mut Ui, view: &mut KdfView, two_factor_on: bool) -> Option<KdfAction> {
    let found = view.recommendation.as_ref()?;
    let params = found.params;
    ui.add_space(theme::GAP);
    ui.label(format!(
        "Recommended: {} (about {:.0} ms per unlock here).",
        describe(&params),
        found.estimated_ms
    ));
    for warning in &found.warnings {
        ui.label(RichText::new(format!("Warning: {warning}.")).color(theme::WARNING));
    }
    ui.add_space(theme::GAP);
    let idle = view.running.is_none();
    if !view.asking {
        let unchanged = view.current == Some(params);
        let button = ui.add_enabled(idle && !unchanged, egui::Button::new("Apply…"));
        if unchanged {
            ui.label(RichText::new("The vault already uses these parameters.").weak());
        }
        if !button.clicked() {
            return None;
        }
        // The form replaces the button in this very frame, so the section
        // can scroll to it at once.
        view.asking = true;
        view.focus_password = true;
        view.reveal = true;
        view.error = None;
    }
    apply_form_ui(ui, view, params, two_factor_on)
}

fn apply_form_ui(
    ui: &mut Ui,
    view: &mut KdfView,
    params: KdfParams,
    two_factor_on: bool,
) -> Option<KdfAction> {
    ui.label(
        "Applying re-derives the vault's keys with these parameters under the same master \
         password (in password-derived mode every record is re-encrypted under the new derived \
         key). Paired browser extensions stay paired. Backups made earlier keep their own \
         parameters.",
    );
    ui.add_space(theme::GAP);
    let mut entered = false;
    egui::Grid::new("kdf-apply")
        .num_columns(2)
        .spacing([12.0, 6.0])
        .show(ui, |ui| {
            let label = ui.label("Master password");
            let field = ui
                .add(
                    egui::TextEdit::singleline(&mut view.password)
                        .password(true)
                        .desired_width(240.0),
                )
                .labelled_by(label.id);
            if std::mem::take(&mut view.focus_password) {
                field.request_focus();
            }
            entered |= field.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
            ui.end_row();
            if two_factor_on {
                let label = ui.label("Two-factor code");
                let field = ui
                    .add(egui::TextEdit::singleline(&mut view.code).desired_width(240.0))
                    .labelled_by(label.id);
                entered |= field.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
                ui.end_row();
            }
        });
    ui.add_space(theme::GAP);
    let mut action = None;
    ui.horizontal(|ui| {
        let idle = view.running.is_none();
        let ready =
            idle && !view.password.is_empty() && (!two_factor_on || !view.code.trim().is_empty());
        let clicked = widgets::primary_button(ui, "Apply new parameters", ready).clicked();
        if (clicked || entered) && ready {
            let code = two_factor_on.then(|| SecretString::new(view.code.trim().to_owned()));
            action = Some(KdfAction::Apply {
                params,
                password: SecretString::new(std::mem::take(&mut view.password)),
                code,
            });
            view.form_ended();
        }
        if ui.add_enabled(idle, egui::Button::new("Cancel")).clicked() {
            view.form_ended();
        }
    });
    action
}
