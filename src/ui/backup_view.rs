//! The Backup section: the last backup and whether it verifies, the
//! backups folder, what the next manual backup includes, automatic backups,
//! retention with Prune now, and the archives in the folder with Verify and
//! Restore…. Everything slow (writing, verifying, pruning) runs on the
//! worker; this module only draws and reports what was asked for.

use std::path::{Path, PathBuf};

use chrono::NaiveDateTime;
use egui::text::LayoutJob;
use egui::{Color32, RichText, TextFormat, Ui};

use super::command::Command;
use super::theme;
use super::widgets;
use crate::core::backup::retention;
use crate::core::backup::{CheckStatus, VerifyCheck, VerifyReport};
use crate::core::settings::Settings;

/// A backup archive found in the backups folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed {
    /// The archive.
    pub path: PathBuf,
    /// Its file name.
    pub name: String,
    /// When it was taken (UTC, from its name).
    pub at: NaiveDateTime,
    /// Its size in bytes.
    pub size: u64,
}

/// The archives in `dir`, newest first (none when it cannot be read).
/// Reads only the directory, never an archive.
pub fn list_backups(dir: &Path) -> Vec<Listed> {
    let mut listed: Vec<Listed> = retention::list(dir)
        .into_iter()
        .map(|found| Listed {
            name: found
                .path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
            size: std::fs::metadata(&found.path).map_or(0, |m| m.len()),
            at: found.at,
            path: found.path,
        })
        .collect();
    listed.reverse();
    listed
}

/// What verifying the newest backup found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Check {
    /// Not verified yet (a check is queued or running).
    Pending,
    /// Every check passed; the manifest counts this many entries.
    Verified {
        /// Entries in the backup.
        entries: u64,
    },
    /// These checks failed.
    Failed(Vec<&'static str>),
}

impl Check {
    /// The outcome of a verification report.
    pub fn from_report(report: &VerifyReport) -> Self {
        if report.ok() {
            Check::Verified {
                entries: report.manifest.as_ref().map_or(0, |m| m.entry_count),
            }
        } else {
            Check::Failed(report.failures().map(|c| c.name).collect())
        }
    }
}

/// The newest backup, as the status bar and the section show it. Cached:
/// refreshed after a backup or a restore and from the folder listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LastBackup {
    /// The archive as listed.
    pub listed: Listed,
    /// Whether it verifies.
    pub check: Check,
}

/// One line for the status bar: its text and color.
pub fn status_line(last: Option<&LastBackup>, writing: bool, now: NaiveDateTime) -> StatusLine {
    if writing {
        return StatusLine {
            text: "Writing a backup…".to_owned(),
            color: None,
            busy: true,
        };
    }
    let Some(last) = last else {
        return StatusLine {
            text: "No backup yet".to_owned(),
            color: Some(theme::WARNING),
            busy: false,
        };
    };
    let ago = ago((now - last.listed.at).num_seconds());
    let (text, color) = match &last.check {
        Check::Pending => (format!("Last backup: {ago} (checking)"), None),
        Check::Verified { .. } => (
            format!("Last backup: {ago} (verified)"),
            Some(theme::SUCCESS),
        ),
        Check::Failed(_) => (
            "Last backup FAILED to verify".to_owned(),
            Some(theme::DANGER),
        ),
    };
    StatusLine {
        text,
        color,
        busy: false,
    }
}

/// What the status bar shows about backups.
pub struct StatusLine {
    /// The words.
    pub text: String,
    /// Their color, when it carries meaning.
    pub color: Option<Color32>,
    /// Whether a backup is being written (a spinner goes with it).
    pub busy: bool,
}

/// "3 h ago" for an age in seconds.
pub fn ago(secs: i64) -> String {
    match secs {
        i64::MIN..=-61 => "in the future (check the clock)".to_owned(),
        -60..=59 => "just now".to_owned(),
        60..=3_599 => format!("{} min ago", secs / 60),
        3_600..=172_799 => format!("{} h ago", secs / 3_600),
        _ => format!("{} days ago", secs / 86_400),
    }
}

/// A size in bytes for people: "512 bytes", "12.3 KiB", "4.0 MiB".
pub fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 3] = ["KiB", "MiB", "GiB"];
    if bytes < 1024 {
        return format!("{bytes} bytes");
    }
    let mut value = bytes as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}

/// A UTC time from an archive name, in this computer's time zone.
pub fn local_time(at: NaiveDateTime) -> String {
    at.and_utc()
        .with_timezone(&chrono::Local)
        .format("%Y-%m-%d %H:%M")
        .to_string()
}

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
    /// Apply the retention rule to the folder now.
    Prune,
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
        if ui
            .add_enabled(!view.pruning, egui::Button::new("Prune now"))
            .on_hover_text("Delete the backups the rule does not keep")
            .clicked()
        {
            action = Some(BackupAction::Prune);
        }
    });
    match &view.pruned {
        None => {}
        Some(Ok(deleted)) if deleted.is_empty() => {
            ui.label("Nothing to delete: the rule keeps every backup in the folder.");
        }
        Some(Ok(deleted)) => {
            let names: Vec<String> = deleted
                .iter()
                .filter_map(|p| p.file_name())
                .map(|n| n.to_string_lossy().into_owned())
                .collect();
            ui.label(format!(
                "Deleted {} backups: {}",
                names.len(),
                names.join(", ")
            ));
        }
        Some(Err(e)) => widgets::error_line(ui, e),
    }
    action
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages_read_like_speech() {
        assert_eq!(ago(5), "just now");
        assert_eq!(ago(-30), "just now");
        assert_eq!(ago(3 * 60 + 5), "3 min ago");
        assert_eq!(ago(3 * 3600 + 10), "3 h ago");
        assert_eq!(ago(47 * 3600), "47 h ago");
        assert_eq!(ago(5 * 86_400), "5 days ago");
        assert!(ago(-3600).contains("future"));
    }

    #[test]
    fn sizes_use_binary_units() {
        assert_eq!(human_size(0), "0 bytes");
        assert_eq!(human_size(1023), "1023 bytes");
        assert_eq!(human_size(1536), "1.5 KiB");
        assert_eq!(human_size(5 * 1024 * 1024), "5.0 MiB");
        assert_eq!(human_size(3 * 1024 * 1024 * 1024 * 1024), "3072.0 GiB");
    }

    #[test]
    fn the_status_line_says_when_and_whether_it_verified() {
        let at = NaiveDateTime::parse_from_str("2026-03-01 09:00:00", "%Y-%m-%d %H:%M:%S").unwrap();
        let now = at + chrono::Duration::hours(3);
        let mut last = LastBackup {
            listed: Listed {
                path: PathBuf::from("/b/backup_20260301_090000.zip"),
                name: "backup_20260301_090000.zip".to_owned(),
                at,
                size: 10,
            },
            check: Check::Verified { entries: 2 },
        };
        assert_eq!(
            status_line(Some(&last), false, now).text,
            "Last backup: 3 h ago (verified)"
        );
        last.check = Check::Failed(vec!["manifest"]);
        assert_eq!(
            status_line(Some(&last), false, now).text,
            "Last backup FAILED to verify"
        );
        assert_eq!(status_line(None, false, now).text, "No backup yet");
        assert!(status_line(None, true, now).busy);
    }
}
