//! Breach checks against Have I Been Pwned's Pwned Passwords database,
//! behind the core's [`BreachSource`] trait.
//!
//! Online, a [`BreachChecker`] sends only the first five hex digits of each
//! SHA-1 to the range API (k-anonymity), with padding asked for so that the
//! answer's size says nothing either, and matches the rest of the hash
//! locally. Answers are cached per prefix in `breach_cache.json` for
//! `breach.cache_ttl_hours`. Offline, with `breach.offline_file` set, it
//! searches a downloaded Pwned Passwords file and sends nothing.
//!
//! Whatever fails makes the affected passwords [`BreachAnswer::Unknown`]
//! with a reason; nothing is reported "not found" unless it was checked. A
//! cache entry older than the TTL is never served, not even when its
//! refetch fails: the audit says "unknown" rather than pass off an old
//! answer as a current one.
//!
//! This module lives outside `src/core/` because it names an HTTP crate.

mod cache;
mod error;
mod offline;
mod pool;
mod range;
mod rows;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

pub use error::BreachError;
pub use offline::OfflineFile;
pub use range::user_agent;

use crate::core::audit::breach::{BreachAnswer, BreachSource, Sha1};
use crate::core::paths::Paths;
use crate::core::settings::Settings;
use cache::BreachCache;
use range::RangeClient;
use rows::{RangeRows, prefix_of};

/// The most requests in flight whatever the configuration says (the
/// setting's own upper bound): more would only draw 429 answers.
const MAX_CONCURRENCY: usize = 32;

/// Where and how a [`BreachChecker`] looks hashes up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BreachConfig {
    /// The range API address; the five-digit prefix is appended.
    pub api_url: String,
    /// The most range requests in flight at once (1 to 32).
    pub max_concurrency: usize,
    /// How long a fetched prefix is answered from the cache.
    pub cache_ttl: Duration,
    /// The connect timeout and the overall timeout of one request.
    pub timeout: Duration,
    /// A Pwned Passwords file to search instead of the network.
    pub offline_file: Option<PathBuf>,
    /// Where `breach_cache.json` lives.
    pub cache_path: PathBuf,
}

impl BreachConfig {
    /// The `breach.*` settings, with the cache in the cache directory.
    pub fn from_settings(settings: &Settings, paths: &Paths) -> Self {
        Self {
            api_url: settings.breach_api_url(),
            max_concurrency: settings.breach_max_concurrency().max(1),
            cache_ttl: Duration::from_secs(settings.breach_cache_ttl_hours().saturating_mul(3600)),
            timeout: Duration::from_secs(settings.breach_timeout_seconds()),
            offline_file: settings.breach_offline_file(),
            cache_path: paths.breach_cache(),
        }
    }
}

/// What [`BreachChecker::refresh`] did, counted in prefixes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RefreshReport {
    /// Distinct prefixes the hashes needed.
    pub prefixes: usize,
    /// Prefixes fetched and stored in the cache.
    pub fetched: usize,
    /// Prefixes whose request failed (their hashes stay unknown).
    pub failed: usize,
}

/// Checks SHA-1 hashes against the range API (with the cache) or against
/// an offline file.
pub struct BreachChecker {
    config: BreachConfig,
    client: RangeClient,
}

/// The outcome of one online run.
struct OnlineRun {
    answers: Vec<BreachAnswer>,
    report: RefreshReport,
    saved: Result<(), BreachError>,
}

impl BreachChecker {
    /// A checker for `config`; nothing is read or sent until it is used.
    pub fn new(config: BreachConfig) -> Self {
        let client = RangeClient::new(&config.api_url, config.timeout);
        Self { config, client }
    }

    /// The configuration in use.
    pub fn config(&self) -> &BreachConfig {
        &self.config
    }

    /// Refetches every prefix `hashes` need, fresh in the cache or not, and
    /// stores the answers. Fails when lookups use the offline file, or when
    /// the cache could not be saved; failed requests are counted, not errors.
    pub fn refresh(
        &self,
        hashes: &[Sha1],
        progress: &(dyn Fn(usize, usize) + Sync),
    ) -> Result<RefreshReport, BreachError> {
        if let Some(path) = &self.config.offline_file {
            return Err(BreachError::OfflineMode { path: path.clone() });
        }
        let run = self.check_online(hashes, progress, false);
        run.saved?;
        Ok(run.report)
    }

    /// Answers from the cache where fresh (when `use_cache`), fetches the
    /// other prefixes in parallel, and saves what was fetched.
    fn check_online(
        &self,
        hashes: &[Sha1],
        progress: &(dyn Fn(usize, usize) + Sync),
        use_cache: bool,
    ) -> OnlineRun {
        let (mut cache, problem) = BreachCache::load(&self.config.cache_path);
        if let Some(problem) = problem {
            log::warn!("{problem}");
        }
        let mut answers = vec![None; hashes.len()];
        let groups = group_by_prefix(hashes);

        // Fresh prefixes are answered without a request.
        let (ttl, started) = (self.config.cache_ttl, unix_now());
        let mut to_fetch: Vec<(&str, &[usize])> = Vec::new();
        for (prefix, indices) in &groups {
            match cache.fresh(prefix, started, ttl).filter(|_| use_cache) {
                Some(rows) => answer_from(&mut answers, hashes, indices, rows),
                None => to_fetch.push((prefix, indices)),
            }
        }
        let total = groups.len();
        let mut done = total - to_fetch.len();
        progress(done, total);

        let mut report = RefreshReport {
            prefixes: total,
            ..RefreshReport::default()
        };
        let fetch = |item: &(&str, &[usize])| self.client.fetch(item.0);
        let limit = self.config.max_concurrency.clamp(1, MAX_CONCURRENCY);
        pool::run_bounded(&to_fetch, limit, fetch, |at, result| {
            let (prefix, indices) = to_fetch[at];
            match result {
                Ok(rows) => {
                    answer_from(&mut answers, hashes, indices, &rows);
                    cache.insert(prefix, unix_now(), rows);
                    report.fetched += 1;
                }
                Err(error) => {
                    answer_unknown(&mut answers, indices, &error);
                    report.failed += 1;
                }
            }
            done += 1;
            progress(done, total);
        });

        let saved = match report.fetched {
            0 => Ok(()),
            _ => cache
                .save(&self.config.cache_path, unix_now(), ttl)
                .map_err(Into::into),
        };
        OnlineRun {
            answers: finish(answers),
            report,
            saved,
        }
    }
}

impl BreachSource for BreachChecker {
    /// Online: one request per distinct prefix not fresh in the cache;
    /// progress counts prefixes. Offline: one search per hash; progress
    /// counts hashes.
    fn lookup(
        &self,
        hashes: &[Sha1],
        progress: &(dyn Fn(usize, usize) + Sync),
    ) -> Vec<BreachAnswer> {
        if let Some(path) = &self.config.offline_file {
            return lookup_offline(path, hashes, progress);
        }
        let run = self.check_online(hashes, progress, true);
        // The answers are right even when the cache could not be saved;
        // the next run just sends the requests again.
        if let Err(error) = run.saved {
            log::warn!("{error}");
        }
        run.answers
    }
}

/// Searches the offline file for every hash. An unsorted file makes every
/// answer unknown, including those already found "not there": once the
/// order is known to be broken, no "not found" from it can be trusted.
fn lookup_offline(
    path: &Path,
    hashes: &[Sha1],
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Vec<BreachAnswer> {
    let all_unknown =
        |error: BreachError| vec![BreachAnswer::Unknown(error.to_string()); hashes.len()];
    let file = match OfflineFile::open(path) {
        Ok(file) => file,
        Err(error) => return all_unknown(error),
    };
    let total = hashes.len();
    progress(0, total);
    let mut answers = Vec::with_capacity(total);
    for (index, hash) in hashes.iter().enumerate() {
        answers.push(match file.lookup(hash) {
            Ok(Some(count)) => BreachAnswer::Found(count),
            Ok(None) => BreachAnswer::NotFound,
            Err(error @ BreachError::OfflineNotSorted { .. }) => return all_unknown(error),
            Err(error) => BreachAnswer::Unknown(error.to_string()),
        });
        progress(index + 1, total);
    }
    answers
}

/// The indices of `hashes`, grouped by prefix: one request per group.
fn group_by_prefix(hashes: &[Sha1]) -> BTreeMap<String, Vec<usize>> {
    let mut groups: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (index, hash) in hashes.iter().enumerate() {
        groups.entry(prefix_of(hash)).or_default().push(index);
    }
    groups
}

/// Marks the hashes at `indices` unknown, with what failed as the reason.
fn answer_unknown(answers: &mut [Option<BreachAnswer>], indices: &[usize], error: &BreachError) {
    let unknown = BreachAnswer::Unknown(error.to_string());
    for &index in indices {
        answers[index] = Some(unknown.clone());
    }
}

/// Answers the hashes at `indices` from the rows of their prefix.
fn answer_from(
    answers: &mut [Option<BreachAnswer>],
    hashes: &[Sha1],
    indices: &[usize],
    rows: &RangeRows,
) {
    for &index in indices {
        answers[index] = Some(match rows.count_of(&hashes[index]) {
            Some(count) => BreachAnswer::Found(count),
            None => BreachAnswer::NotFound,
        });
    }
}

/// Every hash has an answer by now; should one not, it is unknown, never
/// "not found".
fn finish(answers: Vec<Option<BreachAnswer>>) -> Vec<BreachAnswer> {
    answers
        .into_iter()
        .map(|answer| answer.unwrap_or_else(|| BreachAnswer::Unknown("not checked".into())))
        .collect()
}

/// Seconds since the Unix epoch (0 if the clock is before it, which makes
/// every cache entry stale rather than fresh).
fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_from_default_settings_uses_the_public_service_and_the_cache_dir() {
        let paths = Paths::portable(Path::new("/data/spm"));
        let config = BreachConfig::from_settings(&Settings::default(), &paths);
        assert_eq!(
            config,
            BreachConfig {
                api_url: "https://api.pwnedpasswords.com/range/".into(),
                max_concurrency: 8,
                cache_ttl: Duration::from_secs(168 * 3600),
                timeout: Duration::from_secs(10),
                offline_file: None,
                cache_path: paths.breach_cache(),
            }
        );
    }

    #[test]
    fn a_hash_left_without_an_answer_is_unknown_never_not_found() {
        let answers = finish(vec![Some(BreachAnswer::NotFound), None]);
        assert_eq!(answers[0], BreachAnswer::NotFound);
        assert!(matches!(&answers[1], BreachAnswer::Unknown(_)));
    }
}
