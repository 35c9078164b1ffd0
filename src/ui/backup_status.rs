//! What the window knows about backups and how it words it: the archives
//! in the folder, whether the newest verifies, and the status bar's line.
//! Plain data and text; the app keeps it fresh, the views draw it.

use std::path::{Path, PathBuf};

use chrono::NaiveDateTime;
use egui::Color32;

use super::theme;
use crate::core::backup::VerifyReport;
use crate::core::backup::retention;

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
