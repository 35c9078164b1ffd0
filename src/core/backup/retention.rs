//! Which backups to keep: the newest of each of the last `daily` days, of
//! the last `weekly` ISO weeks and of the last `monthly` months that have
//! a backup (the usual daily/weekly/monthly rotation). Everything else goes,
//! with its side files.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use chrono::{Datelike, NaiveDateTime};

/// How many backups of each period to keep.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retention {
    /// Newest backup of each of this many days.
    pub daily: usize,
    /// Newest backup of each of this many ISO weeks.
    pub weekly: usize,
    /// Newest backup of each of this many months.
    pub monthly: usize,
}

impl Default for Retention {
    fn default() -> Self {
        Self {
            daily: 7,
            weekly: 4,
            monthly: 12,
        }
    }
}

/// A backup archive found in a directory, with the time in its name.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Found {
    /// When it was made (UTC, from `backup_<YYYYMMDD_HHMMSS>.zip[.enc]`).
    pub at: NaiveDateTime,
    /// The archive.
    pub path: PathBuf,
}

/// The time in a backup archive's file name (plain `.zip` or encrypted
/// `.zip.enc`), if it is one of ours.
pub fn time_of(name: &str) -> Option<NaiveDateTime> {
    let name = name.strip_suffix(super::sealed::EXTENSION).unwrap_or(name);
    let stamp = name.strip_prefix("backup_")?.strip_suffix(".zip")?;
    NaiveDateTime::parse_from_str(stamp, "%Y%m%d_%H%M%S").ok()
}

/// The backup archives in `dir`, oldest first (none if it cannot be read).
pub fn list(dir: &Path) -> Vec<Found> {
    let mut found: Vec<Found> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let path = e.path();
            let at = time_of(path.file_name()?.to_str()?)?;
            Some(Found { at, path })
        })
        .collect();
    found.sort();
    found
}

/// The period a time falls in: (year, day / ISO week / month).
type PeriodOf = fn(&NaiveDateTime) -> (i32, u32);

/// Splits `backups` into those to keep and those to delete.
pub fn plan(backups: &[Found], rule: Retention) -> (Vec<Found>, Vec<Found>) {
    let mut newest_first: Vec<&Found> = backups.iter().collect();
    newest_first.sort_by_key(|b| std::cmp::Reverse(b.at));
    let mut keep: BTreeSet<&Path> = BTreeSet::new();
    let periods: [(usize, PeriodOf); 3] = [
        (rule.daily, |t| (t.year(), t.ordinal())),
        (rule.weekly, |t| {
            let week = t.iso_week();
            (week.year(), week.week())
        }),
        (rule.monthly, |t| (t.year(), t.month())),
    ];
    for (count, period) in periods {
        let mut seen = Vec::new();
        for backup in &newest_first {
            let key = period(&backup.at);
            if seen.len() >= count {
                break;
            }
            if !seen.contains(&key) {
                seen.push(key);
                keep.insert(&backup.path);
            }
        }
    }
    backups
        .iter()
        .cloned()
        .partition(|b| keep.contains(b.path.as_path()))
}

/// The files that go with an archive: itself and its side files.
pub fn with_side_files(archive: &Path) -> Vec<PathBuf> {
    let name = archive.as_os_str().to_owned();
    let mut files = vec![archive.to_path_buf()];
    for suffix in [".sha256", ".sig", ".asc"] {
        let mut side = name.clone();
        side.push(suffix);
        files.push(PathBuf::from(side));
    }
    files
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> Found {
        Found {
            at: NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M").unwrap(),
            path: PathBuf::from(format!("{text}.zip")),
        }
    }

    #[test]
    fn names_carry_their_time() {
        assert!(time_of("backup_20261204_193000.zip").is_some());
        assert!(time_of("backup_20261204_193000.zip.enc").is_some());
        assert_eq!(time_of("backup_20261204_193000.zip.sha256"), None);
        assert_eq!(time_of("backup_20261204_193000.zip.enc.sig"), None);
        assert_eq!(time_of("backup_20261204_193000.enc"), None);
        assert_eq!(time_of("backup_2026.zip"), None);
        assert_eq!(time_of("notes.zip"), None);
    }

    #[test]
    fn two_years_of_daily_backups_keep_the_expected_ones() {
        // One backup at 02:00 every day from 2025-01-01 to 2026-12-31, and
        // a second one at 14:00 on the last day.
        let mut all = Vec::new();
        let mut day = chrono::NaiveDate::from_ymd_opt(2025, 1, 1).unwrap();
        let end = chrono::NaiveDate::from_ymd_opt(2026, 12, 31).unwrap();
        while day <= end {
            all.push(at(&format!("{day} 02:00")));
            day = day.succ_opt().unwrap();
        }
        all.push(at("2026-12-31 14:00"));
        let (keep, delete) = plan(&all, Retention::default());
        let kept: Vec<String> = keep
            .iter()
            .map(|f| f.at.format("%Y-%m-%d %H:%M").to_string())
            .collect();
        // 7 days (the newest of the last day is the 14:00 one), the newest
        // of 4 ISO weeks (2026-W53 is the last day's week; then the Sundays
        // of W52, W51, W50), and of 12 months (the last day of each month).
        let mut expected: Vec<String> = [
            "2026-12-25",
            "2026-12-26",
            "2026-12-27",
            "2026-12-28",
            "2026-12-29",
            "2026-12-30",
            "2026-12-13",
            "2026-12-20",
            "2026-01-31",
            "2026-02-28",
            "2026-03-31",
            "2026-04-30",
            "2026-05-31",
            "2026-06-30",
            "2026-07-31",
            "2026-08-31",
            "2026-09-30",
            "2026-10-31",
            "2026-11-30",
        ]
        .iter()
        .map(|d| format!("{d} 02:00"))
        .collect();
        expected.push("2026-12-31 14:00".to_owned());
        expected.sort_unstable();
        let mut kept_sorted = kept.clone();
        kept_sorted.sort();
        assert_eq!(kept_sorted, expected);
        assert_eq!(keep.len() + delete.len(), all.len());
    }

    #[test]
    fn encrypted_archives_are_listed_with_plain_ones_and_keep_their_side_files() {
        let dir = tempfile::tempdir().unwrap();
        for name in [
            "backup_20261101_020000.zip",
            "backup_20261102_020000.zip.enc",
            "backup_20261102_020000.zip.enc.sha256",
            "backup_20261102_020000.zip.enc.asc",
            ".backup_20261103_020000.zip.enc.x.tmp",
            "notes.enc",
        ] {
            std::fs::write(dir.path().join(name), b"x").unwrap();
        }
        let found: Vec<String> = list(dir.path())
            .iter()
            .map(|f| f.path.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        assert_eq!(
            found,
            [
                "backup_20261101_020000.zip",
                "backup_20261102_020000.zip.enc"
            ]
        );
        let sides = with_side_files(&dir.path().join("backup_20261102_020000.zip.enc"));
        let names: Vec<String> = sides
            .iter()
            .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        assert_eq!(
            names,
            [
                "backup_20261102_020000.zip.enc",
                "backup_20261102_020000.zip.enc.sha256",
                "backup_20261102_020000.zip.enc.sig",
                "backup_20261102_020000.zip.enc.asc",
            ]
        );
    }

    #[test]
    fn fewer_backups_than_the_rule_keeps_all_of_them() {
        let all = vec![at("2026-01-01 02:00"), at("2026-03-01 02:00")];
        let (keep, delete) = plan(&all, Retention::default());
        assert_eq!(keep.len(), 2);
        assert!(delete.is_empty());
    }
}
