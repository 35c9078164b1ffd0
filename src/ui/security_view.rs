//! The Security section: the score as a gauge, the counts (each filters the
//! password list), the findings with Rotate and Exclude, the score's trend,
//! and the report export. The audit itself runs on the worker.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use egui::{Color32, RichText, Ui};
use uuid::Uuid;

use super::theme;
use super::widgets;
use crate::core::audit::{AuditReport, Rule, Snapshot};
use crate::core::time;
use crate::core::vault::Vault;

/// Progress of a running audit: breach prefixes done and in all.
#[derive(Default)]
pub struct AuditProgress {
    /// Done so far.
    pub done: AtomicUsize,
    /// In all (0 until known).
    pub total: AtomicUsize,
}

/// The section's state.
#[derive(Default)]
pub struct SecurityView {
    /// The last run's report (this session).
    pub report: Option<AuditReport>,
    /// Past runs, oldest first.
    pub trend: Vec<Snapshot>,
    /// Set while an audit runs.
    pub running: Option<Arc<AuditProgress>>,
    /// Why the last run or export failed.
    pub error: Option<String>,
    /// Skip breach checks on the next run.
    pub no_breach: bool,
}

/// What the section asks the app to do.
pub enum SecurityAction {
    /// Run the audit.
    Run,
    /// Show the entries a rule found in the password list.
    ShowRule(Rule),
    /// Open the editor on the entry with a new password and this reason.
    Rotate(Uuid, Rule),
    /// Leave the entry out of the rule's findings.
    Exclude(Uuid, Rule),
    /// Write the report to a file.
    ExportReport,
}

/// Draws the section.
pub fn security_ui(ui: &mut Ui, state: &mut SecurityView, vault: &Vault) -> Option<SecurityAction> {
    let mut action = None;
    ui.horizontal(|ui| {
        let idle = state.running.is_none();
        if widgets::primary_button(ui, "Run audit", idle).clicked() {
            action = Some(SecurityAction::Run);
        }
        ui.checkbox(&mut state.no_breach, "Skip breach checks");
        let can_export = idle && state.report.is_some();
        if ui
            .add_enabled(can_export, egui::Button::new("Export report…"))
            .clicked()
        {
            action = Some(SecurityAction::ExportReport);
        }
    });
    if let Some(progress) = &state.running {
        let (done, total) = (
            progress.done.load(Ordering::Relaxed),
            progress.total.load(Ordering::Relaxed),
        );
        let fraction = if total == 0 {
            0.0
        } else {
            done as f32 / total as f32
        };
        ui.add(
            egui::ProgressBar::new(fraction)
                .text(format!("Auditing… breach checks {done} of {total}")),
        );
    }
    if let Some(error) = &state.error {
        widgets::error_line(ui, error);
    }
    ui.add_space(theme::GAP);

    let Some(report) = &state.report else {
        ui.label(
            "Run the audit to check every password for weakness, reuse, expiry, age and \
             breaches (Have I Been Pwned, which only ever sees the first five characters of \
             each password's SHA-1 hash).",
        );
        trend_ui(ui, &state.trend);
        return action;
    };
    ui.horizontal(|ui| {
        gauge_ui(ui, report.score);
        ui.add_space(theme::SECTION_GAP);
        ui.vertical(|ui| {
            if let Some(rule) = counts_ui(ui, report) {
                action = Some(SecurityAction::ShowRule(rule));
            }
        });
        ui.add_space(theme::SECTION_GAP);
        ui.vertical(|ui| trend_ui(ui, &state.trend));
    });
    ui.add_space(theme::GAP);
    ui.separator();
    if let Some(chosen) = findings_ui(ui, report, vault) {
        action = Some(chosen);
    }
    action
}

/// The score as a ring, colored by how good it is.
fn gauge_ui(ui: &mut Ui, score: u8) {
    let size = egui::vec2(120.0, 120.0);
    let (rect, _) = ui.allocate_exact_size(size, egui::Sense::hover());
    let painter = ui.painter_at(rect);
    let center = rect.center();
    let radius = 48.0;
    let color = score_color(score);
    let track = ui.visuals().widgets.inactive.bg_fill;
    let arc = |fraction: f32| -> Vec<egui::Pos2> {
        let steps = 64;
        (0..=steps)
            .map(|i| {
                // From the top, clockwise.
                let angle = -std::f32::consts::FRAC_PI_2
                    + std::f32::consts::TAU * fraction * i as f32 / steps as f32;
                center + radius * egui::vec2(angle.cos(), angle.sin())
            })
            .collect()
    };
    painter.add(egui::Shape::line(arc(1.0), egui::Stroke::new(10.0, track)));
    if score > 0 {
        painter.add(egui::Shape::line(
            arc(f32::from(score) / 100.0),
            egui::Stroke::new(10.0, color),
        ));
    }
    painter.text(
        center,
        egui::Align2::CENTER_CENTER,
        score.to_string(),
        egui::FontId::proportional(30.0),
        ui.visuals().strong_text_color(),
    );
    ui.label(RichText::new(format!("Security score {score} of 100")).strong());
}

fn score_color(score: u8) -> Color32 {
    match score {
        80..=100 => theme::SUCCESS,
        50..=79 => theme::WARNING,
        _ => theme::DANGER,
    }
}

/// One button per rule with findings; returns the rule clicked.
fn counts_ui(ui: &mut Ui, report: &AuditReport) -> Option<Rule> {
    let c = &report.counts;
    let mut chosen = None;
    ui.label(format!(
        "{} entries audited on {}{}",
        c.entries,
        time::format_rfc3339(report.at)
            .replace('T', " ")
            .trim_end_matches('Z'),
        if report.breach_checked {
            ""
        } else {
            " (breach checks skipped)"
        }
    ));
    for rule in Rule::ALL {
        let n = c.of(*rule);
        if n == 0 {
            continue;
        }
        let text = format!("{}: {n}", rule.label());
        if ui
            .link(text)
            .on_hover_text("Show these entries in the password list")
            .clicked()
        {
            chosen = Some(*rule);
        }
    }
    if c.excluded > 0 {
        ui.label(RichText::new(format!("{} findings excluded by choice", c.excluded)).small());
    }
    if c.breach_unknown > 0 {
        ui.label(
            RichText::new(format!(
                "{} could not be checked for breaches: they are not known to be safe.",
                c.breach_unknown
            ))
            .color(theme::WARNING),
        );
    }
    if !report.has_findings() {
        ui.label(RichText::new("Nothing to fix.").color(theme::SUCCESS));
    }
    chosen
}

fn trend_ui(ui: &mut Ui, trend: &[Snapshot]) {
    if trend.len() < 2 {
        return;
    }
    ui.label(RichText::new("Score over time").strong());
    // x: days since 1970, labelled as dates.
    let points: Vec<[f64; 2]> = trend
        .iter()
        .map(|s| [s.at as f64 / 86_400.0, f64::from(s.score)])
        .collect();
    egui_plot::Plot::new("score-trend")
        .height(120.0)
        .width(320.0)
        .include_y(0.0)
        .include_y(100.0)
        .allow_drag(false)
        .allow_zoom(false)
        .allow_scroll(false)
        .x_axis_formatter(|mark, _| time::format_date((mark.value * 86_400.0) as i64))
        .show(ui, |plot| {
            plot.line(egui_plot::Line::new("score", points));
        });
}

/// Rotation reasons follow the finding.
pub fn reason_for(rule: Rule) -> crate::core::entries::RotationReason {
    use crate::core::entries::RotationReason;
    match rule {
        Rule::Breached | Rule::BreachUnknown => RotationReason::Breach,
        Rule::Expired | Rule::Expiring | Rule::Old => RotationReason::Expiry,
        Rule::Weak | Rule::Reused => RotationReason::Strength,
        Rule::Duplicate | Rule::InsecureUrl => RotationReason::Manual,
    }
}

fn findings_ui(ui: &mut Ui, report: &AuditReport, vault: &Vault) -> Option<SecurityAction> {
    let mut action = None;
    egui::ScrollArea::vertical()
        .auto_shrink([false, false])
        .show(ui, |ui| {
            egui::Grid::new("findings")
                .num_columns(5)
                .striped(true)
                .spacing([16.0, 6.0])
                .show(ui, |ui| {
                    for header in ["Finding", "Entry", "Detail", "", ""] {
                        ui.label(RichText::new(header).strong());
                    }
                    ui.end_row();
                    for finding in &report.findings {
                        let Some(entry) = vault.get(finding.entry) else {
                            continue;
                        };
                        ui.label(finding.rule.label());
                        ui.label(entry.title.expose());
                        ui.label(RichText::new(&finding.detail).small());
                        // A new password fixes the password findings; a
                        // duplicate login or an http:// address needs an edit.
                        let fix = match finding.rule {
                            Rule::Duplicate | Rule::InsecureUrl => "Edit",
                            _ => "Rotate",
                        };
                        if ui.button(fix).clicked() {
                            action = Some(SecurityAction::Rotate(finding.entry, finding.rule));
                        }
                        if ui
                            .button("Exclude")
                            .on_hover_text("Leave this entry out of this finding from now on")
                            .clicked()
                        {
                            action = Some(SecurityAction::Exclude(finding.entry, finding.rule));
                        }
                        ui.end_row();
                    }
                });
        });
    action
}
