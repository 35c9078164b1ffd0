//! The Backup section: the last backup and whether it verifies, the
//! backups folder, what the next manual backup includes, automatic backups,
//! retention with Prune now, and the archives in the folder with Verify and
//! Restore…. Everything slow (writing, verifying, pruning) runs on the
//! worker; this module only draws and reports what was asked for.

use std::path::{Path, PathBuf};

use egui::text::LayoutJob;
use egui::{RichText, TextFormat, Ui};

use super::backup_status::{Check, LastBackup, Listed, ago, human_size, local_time};
use super::command::Command;
use super::theme;
use super::widgets;
use crate::core::backup::{CheckStatus, VerifyCheck, VerifyReport};
use crate::core::settings::Settings;

/// What the section asks the app to do.
pub enum BackupAction {
    /// Write a backup now with the section's options.
    BackupNow,
    /// Pick another backups folder.
    ChooseFolder,
    /// Go back to the vault's own backups folder.
    DefaultFolder,
    /// Save a changed setting (dotted key, value as `settings set` takes it).
    Setting(&'static str, String),
    /// Show what the retention rule would delete now, to confirm.
    Prune,
    /// Delete what the confirmation showed.
    ConfirmPrune,
    /// Keep everything after all.
    CancelPrune,
    /// Verify this archive and show every check.
    Verify(PathBuf),
    /// Restore from this archive (opens the restore dialog).
    Restore(PathBuf),
    /// Pick an archive anywhere and restore from it.
    RestoreFromFile,
}

/// The section's state: editable copies of the backup settings, the
/// options of the next manual backup, and what the last actions found.
pub struct BackupView {
    auto: bool,
    interval_hours: u32,
    keep_daily: u32,
    keep_weekly: u32,
    keep_monthly: u32,
    /// Include the log files in the next manual backup.
    pub include_logs: bool,
    /// Include the breach cache in the next manual backup.
    pub include_breach_cache: bool,
    /// The archives in the folder, newest first.
    pub list: Vec<Listed>,
    /// The archive chosen in the list.
    pub selected: Option<PathBuf>,
    /// The last Verify's report.
    pub report: Option<VerifyReport>,
    /// The archive being verified by Verify.
    pub verifying: Option<PathBuf>,
    /// What the last Prune now deleted, or why it stopped.
    pub pruned: Option<Result<Vec<PathBuf>, String>>,
    /// Whether Prune now is running.
    pub pruning: bool,
    /// What Prune now would delete, waiting for confirmation.
    pub prune_plan: Option<Vec<PathBuf>>,
}

impl BackupView {
    /// The section with the values the settings hold.
    pub fn from_settings(settings: &Settings) -> Self {
        let policy = settings.backup_auto();
        let count = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
        Self {
            auto: policy.enabled,
            interval_hours: policy.interval_hours,
            keep_daily: count(policy.retention.daily),
            keep_weekly: count(policy.retention.weekly),
            keep_monthly: count(policy.retention.monthly),
            include_logs: false,
            include_breach_cache: false,
            list: Vec::new(),
            selected: None,
            report: None,
            verifying: None,
            pruned: None,
            pruning: false,
            prune_plan: None,
        }
    }

    /// Takes a fresh listing, forgetting a selection that is gone.
    pub fn set_list(&mut self, list: Vec<Listed>) {
        if let Some(selected) = &self.selected
            && !list.iter().any(|l| &l.path == selected)
        {
            self.selected = None;
        }
        self.list = list;
    }
}

/// What the section needs from the app besides its own state.
pub struct BackupContext<'a> {
    /// The newest backup, if any.
    pub last: Option<&'a LastBackup>,
    /// Whether a backup is being written.
    pub writing: bool,
    /// The folder in use.
    pub dir: &'a Path,
    /// Whether it is a chosen folder rather than the vault's own.
    pub custom_dir: bool,
}

/// Below this width the archives go under the settings instead of beside
/// them.
const TWO_COLUMNS_FROM: f32 = 1000.0;

/// Draws the section; returns what was asked for.
pub fn backup_ui(
    ui: &mut Ui,
    view: &mut BackupView,
    cx: &BackupContext<'_>,
) -> Option<BackupAction> {
    let mut chosen = Vec::new();
    egui::ScrollArea::vertical().show(ui, |ui| {
        ui.add_space(theme::GAP);
        ui.heading("Backup");
        ui.add_space(theme::GAP);
        if ui.available_width() >= TWO_COLUMNS_FROM {
            // Settings on the left, the archives on the right, so Verify
            // and Restore… are in view without scrolling.
            ui.horizontal_top(|ui| {
                let width = (ui.available_width() - 2.0 * theme::SECTION_GAP) / 2.0;
                ui.vertical(|ui| {
                    ui.set_width(width);
                    chosen.extend(settings_column_ui(ui, view, cx));
                });
                ui.add_space(2.0 * theme::SECTION_GAP);
                ui.vertical(|ui| {
                    ui.set_width(width);
                    chosen.push(archives_ui(ui, view));
                });
            });
        } else {
            ui.set_max_width(ui.available_width().min(780.0));
            chosen.extend(settings_column_ui(ui, view, cx));
            ui.add_space(theme::SECTION_GAP);
            chosen.push(archives_ui(ui, view));
        }
        ui.add_space(theme::SECTION_GAP);
    });
    chosen.into_iter().flatten().last()
}

/// Backup now, the last backup, the folder, automatic backups and
/// retention.
fn settings_column_ui(
    ui: &mut Ui,
    view: &mut BackupView,
    cx: &BackupContext<'_>,
) -> [Option<BackupAction>; 4] {
    [
        now_ui(ui, view, cx),
        folder_ui(ui, cx),
        automatic_ui(ui, view),
        retention_ui(ui, view),
    ]
}

/// Backup now with its options, and the last backup.
fn now_ui(ui: &mut Ui, view: &mut BackupView, cx: &BackupContext<'_>) -> Option<BackupAction> {
    let mut action = None;
    ui.horizontal(|ui| {
        let button = widgets::primary_button(ui, Command::BackupNow.label(), !cx.writing)
            .on_hover_text(Command::BackupNow.tooltip());
        if button.clicked() {
            action = Some(BackupAction::BackupNow);
        }
        ui.add_space(theme::GAP);
        ui.checkbox(&mut view.include_logs, "Include the logs");
        ui.checkbox(&mut view.include_breach_cache, "Include the breach cache");
    });
    if cx.writing {
        ui.horizontal(|ui| {
            ui.spinner();
            ui.label("Writing the backup…");
        });
    }

    ui.add_space(theme::SECTION_GAP);
    heading_ui(ui, "Last backup");
    let Some(last) = cx.last else {
        ui.label("No backup in this folder yet.");
        return action;
    };
    let now = chrono::Utc::now().naive_utc();
    ui.label(RichText::new(&last.listed.name).monospace());
    let mut facts = format!(
        "Taken {} ({}), {}",
        local_time(last.listed.at),
        ago((now - last.listed.at).num_seconds()),
        human_size(last.listed.size)
    );
    if let Check::Verified { entries } = last.check {
        facts.push_str(&format!(", {entries} entries"));
    }
    ui.label(facts);
    match &last.check {
        Check::Pending => {
            ui.horizontal(|ui| {
                ui.spinner();
                ui.label("Verifying…");
            });
        }
        Check::Verified { .. } => {
            ui.label(RichText::new("Verified: every check passed").color(theme::SUCCESS));
        }
        Check::Failed(names) => {
            let text = format!("FAILED to verify: {}", names.join(", "));
            ui.label(RichText::new(text).color(theme::DANGER));
        }
    }
    action
}

fn folder_ui(ui: &mut Ui, cx: &BackupContext<'_>) -> Option<BackupAction> {
    let mut action = None;
    ui.add_space(theme::SECTION_GAP);
    heading_ui(ui, "Backups folder");
    ui.horizontal_wrapped(|ui| {
        ui.label(RichText::new(cx.dir.display().to_string()).monospace());
    });
    ui.horizontal(|ui| {
        if ui.button("Choose folder…").clicked() {
            action = Some(BackupAction::ChooseFolder);
        }
        if cx.custom_dir && ui.button("Use the default folder").clicked() {
            action = Some(BackupAction::DefaultFolder);
        }
    });
    action
}

fn automatic_ui(ui: &mut Ui, view: &mut BackupView) -> Option<BackupAction> {
    let mut action = None;
    ui.add_space(theme::SECTION_GAP);
    heading_ui(ui, "Automatic backups");
    let text = "Back up when the vault is unlocked and the last backup is older than:";
    if ui.checkbox(&mut view.auto, text).changed() {
        action = Some(BackupAction::Setting("backup.auto", view.auto.to_string()));
    }
    ui.horizontal(|ui| {
        ui.add_space(theme::SECTION_GAP + 6.0);
        let label = ui.label("Hours between automatic backups");
        let drag = egui::DragValue::new(&mut view.interval_hours)
            .range(1..=8760)
            .suffix(" h");
        let changed = ui
            .add_enabled(view.auto, drag)
            .labelled_by(label.id)
            .changed();
        if changed {
            action = Some(BackupAction::Setting(
                "backup.interval_hours",
                view.interval_hours.to_string(),
            ));
        }
    });
    action
}

fn retention_ui(ui: &mut Ui, view: &mut BackupView) -> Option<BackupAction> {
    let mut action = None;
    ui.add_space(theme::SECTION_GAP);
    heading_ui(ui, "Retention");
    ui.label(
        "Pruning keeps the newest backup of each of the last days, weeks and months below, and \
         deletes the other backups in the folder with their side files. Automatic backups prune \
         after each run.",
    );
    ui.horizontal(|ui| {
        // The ranges are the settings' own.
        for (label, key, value, range) in [
            (
                "Keep daily",
                "backup.keep_daily",
                &mut view.keep_daily,
                1..=366,
            ),
            (
                "Keep weekly",
                "backup.keep_weekly",
                &mut view.keep_weekly,
                0..=520,
            ),
            (
                "Keep monthly",
                "backup.keep_monthly",
                &mut view.keep_monthly,
                0..=1200,
            ),
        ] {
            let label = ui.label(label);
            let drag = egui::DragValue::new(value).range(range);
            if ui.add(drag).labelled_by(label.id).changed() {
                action = Some(BackupAction::Setting(key, value.to_string()));
            }
            ui.add_space(theme::GAP);
        }
        let idle = !view.pruning && view.prune_plan.is_none();
        if ui
            .add_enabled(idle, egui::Button::new("Prune now"))
            .on_hover_text("Delete the backups the rule does not keep, after a confirmation")
            .clicked()
        {
            action = Some(BackupAction::Prune);
        }
    });
    if let Some(plan) = &view.prune_plan {
        ui.add_space(theme::GAP);
        let n = plan.len();
        ui.label(format!(
            "The rule keeps the others and deletes {} (with {} side files):",
            if n == 1 {
                "1 backup".to_owned()
            } else {
                format!("{n} backups")
            },
            if n == 1 { "its" } else { "their" }
        ));
        names_ui(ui, plan);
        ui.horizontal(|ui| {
            let label = if n == 1 {
                "Delete 1 backup".to_owned()
            } else {
                format!("Delete {n} backups")
            };
            if widgets::primary_button(ui, &label, true).clicked() {
                action = Some(BackupAction::ConfirmPrune);
            }
            if ui.button("Cancel").clicked() {
                action = Some(BackupAction::CancelPrune);
            }
        });
    }
    match &view.pruned {
        None => {}
        Some(Ok(deleted)) if deleted.is_empty() => {
            ui.label("Nothing to delete: the rule keeps every backup in the folder.");
        }
        Some(Ok(deleted)) => {
            let n = deleted.len();
            ui.label(if n == 1 {
                "Deleted 1 backup:".to_owned()
            } else {
                format!("Deleted {n} backups:")
            });
            names_ui(ui, deleted);
        }
        Some(Err(e)) => widgets::error_line(ui, e),
    }
    action
}

/// Archive names, one per line; a long list ends with how many more.
fn names_ui(ui: &mut Ui, paths: &[PathBuf]) {
    const SHOWN: usize = 8;
    for path in paths.iter().take(SHOWN) {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        ui.label(RichText::new(format!("  {name}")).monospace());
    }
    if paths.len() > SHOWN {
        ui.label(format!("  and {} more", paths.len() - SHOWN));
    }
}

/// The archives in the folder, with Verify and Restore… for the selected
/// one and Restore from file… for any other.
fn archives_ui(ui: &mut Ui, view: &mut BackupView) -> Option<BackupAction> {
    let mut action = None;
    heading_ui(ui, &format!("Backups in the folder ({})", view.list.len()));
    if view.list.is_empty() {
        ui.label("None yet.");
    } else {
        let now = chrono::Utc::now().naive_utc();
        // A year of retention is a few dozen archives; the buttons stay put.
        egui::ScrollArea::vertical()
            .id_salt("backup-list-scroll")
            .max_height(280.0)
            .auto_shrink([false, true])
            .show(ui, |ui| {
                egui::Grid::new("backup-list")
                    .num_columns(3)
                    .spacing([24.0, 4.0])
                    .striped(true)
                    .show(ui, |ui| {
                        for listed in &view.list {
                            let selected = view.selected.as_ref() == Some(&listed.path);
                            let name = RichText::new(&listed.name).monospace();
                            if ui.selectable_label(selected, name).clicked() {
                                view.selected = Some(listed.path.clone());
                            }
                            let at = listed.at;
                            let age = ago((now - at).num_seconds());
                            ui.label(format!("{} ({age})", local_time(at)));
                            ui.label(human_size(listed.size));
                            ui.end_row();
                        }
                    });
            });
    }
    ui.add_space(theme::GAP);
    ui.horizontal(|ui| {
        let chosen = view.selected.clone();
        let idle = view.verifying.is_none();
        let verify = ui
            .add_enabled(chosen.is_some() && idle, egui::Button::new("Verify"))
            .on_hover_text("Check the selected backup without unlocking it");
        if let (true, Some(path)) = (verify.clicked(), &chosen) {
            action = Some(BackupAction::Verify(path.clone()));
        }
        let restore = ui
            .add_enabled(
                chosen.is_some(),
                egui::Button::new(Command::RestoreBackup.label()),
            )
            .on_hover_text("Restore the vault from the selected backup");
        if let (true, Some(path)) = (restore.clicked(), chosen) {
            action = Some(BackupAction::Restore(path));
        }
        ui.add_space(theme::SECTION_GAP);
        if ui
            .button("Restore from file…")
            .on_hover_text("Restore from a backup archive kept somewhere else")
            .clicked()
        {
            action = Some(BackupAction::RestoreFromFile);
        }
    });
    if view.selected.is_none() && !view.list.is_empty() {
        ui.label(RichText::new("Select a backup to verify it or restore from it.").small());
    }
    if view.verifying.is_some() {
        ui.horizontal(|ui| {
            ui.spinner();
            ui.label("Verifying…");
        });
    } else if let Some(report) = &view.report {
        ui.add_space(theme::GAP);
        let name = report
            .archive
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let verdict = if report.ok() {
            RichText::new(format!("{name} verifies.")).color(theme::SUCCESS)
        } else {
            RichText::new(format!(
                "{name} FAILED verification; do not restore from it."
            ))
            .color(theme::DANGER)
        };
        ui.label(verdict.strong());
        checks_ui(ui, &report.checks);
    }
    action
}

/// Every named check, one line each: "name: passed" with the status
/// colored, then its detail in small print (one sentence for a screen
/// reader, too).
pub fn checks_ui(ui: &mut Ui, checks: &[VerifyCheck]) {
    for check in checks {
        check_ui(ui, check.name, check.status, &check.detail);
    }
}

/// One check, or a step reported like one (the restore's unlock).
pub fn check_ui(ui: &mut Ui, name: &str, status: CheckStatus, detail: &str) {
    let (word, color) = match status {
        CheckStatus::Passed => ("passed", theme::SUCCESS),
        CheckStatus::Failed => ("FAILED", theme::DANGER),
        CheckStatus::Skipped => ("skipped", ui.visuals().weak_text_color()),
    };
    let body = egui::TextStyle::Body.resolve(ui.style());
    let small = egui::TextStyle::Small.resolve(ui.style());
    let plain = ui.visuals().text_color();
    let weak = ui.visuals().weak_text_color();
    let mut job = LayoutJob::default();
    job.append(
        &format!("{name}: "),
        0.0,
        TextFormat::simple(body.clone(), plain),
    );
    job.append(word, 0.0, TextFormat::simple(body, color));
    // Small print shares the line's baseline (TextFormat aligns to the
    // bottom by default).
    job.append(
        &format!(" \u{2014} {detail}"),
        0.0,
        TextFormat::simple(small, weak),
    );
    ui.add(egui::Label::new(job).wrap());
}

fn heading_ui(ui: &mut Ui, title: &str) {
    ui.label(RichText::new(title).strong());
    ui.separator();
}
