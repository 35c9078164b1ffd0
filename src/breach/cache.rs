//! `breach_cache.json`: the range answers already fetched, so that an audit
//! run within the TTL sends nothing.
//!
//! The file holds, per prefix, when it was fetched (Unix seconds) and the
//! non-padding `suffix: count` rows the service returned: hash fragments
//! and counts, never a password. It is versioned; a file that cannot be
//! read, is damaged, or has another version is treated as empty and
//! replaced on the next save.
//!
//! ```json
//! {"version":1,"prefixes":{"8BE3C":{"fetched_at":1700000000,
//!   "rows":{"943B1609FFFBFC51AAD666D0A04ADF83C9D":123}}}}
//! ```

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::rows::{RangeRows, is_prefix, join_hash, suffix_of};
use crate::core::fsio::{self, FileError};

/// The layout version this code reads and writes.
const VERSION: u32 = 1;

#[derive(Serialize, Deserialize)]
struct FileForm {
    version: u32,
    prefixes: BTreeMap<String, FileEntry>,
}

#[derive(Serialize, Deserialize)]
struct FileEntry {
    fetched_at: u64,
    rows: BTreeMap<String, u64>,
}

/// One cached prefix.
#[derive(Debug, Clone)]
struct Entry {
    fetched_at: u64,
    rows: RangeRows,
}

/// The cached prefixes, in memory.
#[derive(Debug, Default)]
pub(crate) struct BreachCache {
    entries: HashMap<String, Entry>,
}

impl BreachCache {
    /// Reads the cache. Anything wrong with the file gives an empty (or
    /// partial) cache plus a sentence saying what was wrong, for the caller
    /// to log; it is never an error, since the cache only saves requests.
    pub(crate) fn load(path: &Path) -> (Self, Option<String>) {
        let bytes = match fsio::read_optional(path) {
            Ok(Some(bytes)) => bytes,
            Ok(None) => return (Self::default(), None),
            Err(e) => return (Self::default(), Some(format!("{e}; it is ignored"))),
        };
        let problem = |what: String| {
            Some(format!(
                "the breach cache {} {what}; it is ignored and will be replaced",
                path.display()
            ))
        };
        // serde_json's message can quote the file's text (hash fragments),
        // so only the position is reported.
        let form: FileForm = match serde_json::from_slice(&bytes) {
            Ok(form) => form,
            Err(e) => {
                let at = format!("is damaged near line {} column {}", e.line(), e.column());
                return (Self::default(), problem(at));
            }
        };
        if form.version != VERSION {
            let what = format!("has version {} (expected {VERSION})", form.version);
            return (Self::default(), problem(what));
        }
        let total = form.prefixes.len();
        let entries: HashMap<String, Entry> = form
            .prefixes
            .into_iter()
            .filter_map(|(prefix, entry)| {
                let rows = decode_rows(&prefix, &entry.rows)?;
                let entry = Entry {
                    fetched_at: entry.fetched_at,
                    rows,
                };
                Some((prefix.to_ascii_uppercase(), entry))
            })
            .collect();
        let dropped = total - entries.len();
        let note = (dropped > 0).then(|| format!("had {dropped} damaged entries (skipped)"));
        (Self { entries }, note.and_then(problem))
    }

    /// The rows of `prefix` if they were fetched less than `ttl` before
    /// `now`. A fetch time in the future (a clock that went back) counts
    /// as stale, so such an entry cannot stay "fresh" forever.
    pub(crate) fn fresh(&self, prefix: &str, now: u64, ttl: Duration) -> Option<&RangeRows> {
        let entry = self.entries.get(prefix)?;
        is_fresh(entry.fetched_at, now, ttl).then_some(&entry.rows)
    }

    /// Records the rows fetched for `prefix` at `fetched_at`.
    pub(crate) fn insert(&mut self, prefix: &str, fetched_at: u64, rows: RangeRows) {
        let entry = Entry { fetched_at, rows };
        self.entries.insert(prefix.to_ascii_uppercase(), entry);
    }

    /// Writes the cache atomically (0600, directory created 0700 if
    /// missing). Entries another process saved meanwhile are kept when
    /// newer; entries older than `ttl` are dropped, since they are never
    /// served and would only make the file grow.
    pub(crate) fn save(self, path: &Path, now: u64, ttl: Duration) -> Result<(), FileError> {
        fsio::create_private_dir(fsio::parent_dir(path))?;
        let (mut merged, _) = Self::load(path);
        for (prefix, entry) in self.entries {
            let newer = merged
                .entries
                .get(&prefix)
                .is_none_or(|old| old.fetched_at <= entry.fetched_at);
            if newer {
                merged.entries.insert(prefix, entry);
            }
        }
        merged
            .entries
            .retain(|_, entry| is_fresh(entry.fetched_at, now, ttl));
        let bytes = serde_json::to_vec(&merged.to_file_form())
            .map_err(|e| FileError::io(path, "encode", std::io::Error::other(e)))?;
        fsio::write_atomic(path, &bytes)
    }

    fn to_file_form(&self) -> FileForm {
        let prefixes = self
            .entries
            .iter()
            .map(|(prefix, entry)| {
                let rows = entry
                    .rows
                    .iter()
                    .map(|(hash, count)| (suffix_of(hash), *count))
                    .collect();
                let fetched_at = entry.fetched_at;
                (prefix.clone(), FileEntry { fetched_at, rows })
            })
            .collect();
        FileForm {
            version: VERSION,
            prefixes,
        }
    }
}

/// Whether something fetched at `fetched_at` is younger than `ttl` at `now`.
fn is_fresh(fetched_at: u64, now: u64, ttl: Duration) -> bool {
    now.checked_sub(fetched_at)
        .is_some_and(|age| age < ttl.as_secs())
}

/// The rows of one stored prefix, or `None` if anything in it is damaged
/// (a bad prefix or suffix, or a count of 0, which the service uses only
/// for padding and which is never stored).
fn decode_rows(prefix: &str, rows: &BTreeMap<String, u64>) -> Option<RangeRows> {
    if !is_prefix(prefix) {
        return None;
    }
    let mut decoded = Vec::with_capacity(rows.len());
    for (suffix, &count) in rows {
        if count == 0 {
            return None;
        }
        decoded.push((join_hash(prefix, suffix)?, count));
    }
    Some(RangeRows::from_rows(decoded))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::audit::breach::sha1_of;

    const HOUR: Duration = Duration::from_secs(3600);

    fn rows_for(password: &str, count: u64) -> RangeRows {
        RangeRows::from_rows(vec![(sha1_of(password), count)])
    }

    #[test]
    fn entries_are_fresh_only_within_the_ttl() {
        let mut cache = BreachCache::default();
        cache.insert("8be3c", 1_000, rows_for("Password", 5));
        assert!(cache.fresh("8BE3C", 1_000, HOUR).is_some());
        assert!(cache.fresh("8BE3C", 1_000 + 3_599, HOUR).is_some());
        assert!(cache.fresh("8BE3C", 1_000 + 3_600, HOUR).is_none());
        assert!(cache.fresh("8BE3C", 999, HOUR).is_none(), "future = stale");
        assert!(cache.fresh("00000", 1_000, HOUR).is_none());
    }

    #[test]
    fn saved_cache_reads_back_with_the_same_rows() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cache/breach_cache.json");
        let mut cache = BreachCache::default();
        cache.insert("8BE3C", 5_000, rows_for("Password", 123));
        cache.save(&path, 5_010, HOUR).unwrap();

        let (loaded, problem) = BreachCache::load(&path);
        assert_eq!(problem, None);
        let rows = loaded.fresh("8BE3C", 5_010, HOUR).unwrap();
        assert_eq!(rows.count_of(&sha1_of("Password")), Some(123));
    }

    #[test]
    fn expired_entries_are_dropped_on_save_and_newer_ones_on_disk_kept() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("breach_cache.json");
        let mut first = BreachCache::default();
        first.insert("8BE3C", 9_000, rows_for("Password", 2));
        first.insert("00000", 1, rows_for("x", 1));
        first.save(&path, 9_000, HOUR).unwrap();

        // A second process that fetched the same prefix earlier must not
        // overwrite the newer entry.
        let mut second = BreachCache::default();
        second.insert("8BE3C", 8_000, rows_for("Password", 1));
        second.save(&path, 9_000, HOUR).unwrap();

        let (loaded, _) = BreachCache::load(&path);
        assert_eq!(loaded.entries.len(), 1);
        let rows = loaded.fresh("8BE3C", 9_000, HOUR).unwrap();
        assert_eq!(rows.count_of(&sha1_of("Password")), Some(2));
    }

    #[test]
    fn damaged_files_and_entries_are_ignored_with_a_note() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("breach_cache.json");
        for text in [
            "{\"version\":1,\"prefixes\":{\"8BE3C\":{\"fetched_at\":".to_owned(),
            "[1,2,3]".to_owned(),
            "{\"version\":7,\"prefixes\":{}}".to_owned(),
        ] {
            std::fs::write(&path, &text).unwrap();
            let (cache, problem) = BreachCache::load(&path);
            assert!(cache.entries.is_empty(), "{text}");
            assert!(problem.unwrap().contains("ignored"), "{text}");
        }

        let good = suffix_of(&sha1_of("Password"));
        let text = format!(
            "{{\"version\":1,\"prefixes\":{{\
             \"8BE3C\":{{\"fetched_at\":1,\"rows\":{{\"{good}\":4}}}},\
             \"ZZZZZ\":{{\"fetched_at\":1,\"rows\":{{}}}},\
             \"00000\":{{\"fetched_at\":1,\"rows\":{{\"{good}\":0}}}}}}}}"
        );
        std::fs::write(&path, text).unwrap();
        let (cache, problem) = BreachCache::load(&path);
        assert_eq!(cache.entries.len(), 1);
        let note = problem.unwrap();
        assert!(note.contains("had 2 damaged entries"), "{note}");
        assert!(!note.contains(&good[..10]), "no hash fragment in the note");
    }
}
