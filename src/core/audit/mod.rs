//! The security audit: weak, reused, duplicate, expired, expiring, old and
//! breached passwords and insecure login URLs, with a score from 0 to 100.
//!
//! The audit reads entries in memory and asks a [`breach::BreachSource`]
//! about SHA-1 hashes (never passwords). It writes nothing; the vault keeps
//! the snapshots (time, score, counts) that draw the trend, and the
//! per-entry exclusions.

pub mod breach;

use std::collections::HashMap;
use std::fmt;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::core::entries::Entry;
use crate::core::exchange::host_of;
use crate::core::secret::SecretString;
use crate::core::strength;
use breach::{BreachAnswer, BreachSource, Sha1};

/// How many leading characters of a password are scored: zxcvbn slows down
/// sharply on long input, and 100 characters are beyond any guessing.
pub const SCORED_PREFIX_CHARS: usize = 100;

/// Passwords shorter than this are weak whatever their score.
pub const MIN_LENGTH: usize = 8;

/// "Expiring" means within this many days.
pub const EXPIRING_DAYS: u32 = 30;

/// A kind of finding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Rule {
    /// zxcvbn score of 2 or less, or shorter than 8 characters.
    Weak,
    /// The same password on two or more entries.
    Reused,
    /// The same username on the same host, twice.
    Duplicate,
    /// Past its expiry date.
    Expired,
    /// Expires within 30 days.
    Expiring,
    /// Not changed for `audit.max_age_days`.
    Old,
    /// Found in Have I Been Pwned's Pwned Passwords.
    Breached,
    /// The breach check failed: status unknown (never "not breached").
    BreachUnknown,
    /// An `http://` login URL.
    InsecureUrl,
}

impl Rule {
    /// Every rule, in report order.
    pub const ALL: &'static [Rule] = &[
        Rule::Breached,
        Rule::Weak,
        Rule::Reused,
        Rule::Expired,
        Rule::Expiring,
        Rule::Duplicate,
        Rule::Old,
        Rule::InsecureUrl,
        Rule::BreachUnknown,
    ];

    /// The name used in reports and on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Rule::Weak => "weak",
            Rule::Reused => "reused",
            Rule::Duplicate => "duplicate",
            Rule::Expired => "expired",
            Rule::Expiring => "expiring",
            Rule::Old => "old",
            Rule::Breached => "breached",
            Rule::BreachUnknown => "breach_unknown",
            Rule::InsecureUrl => "insecure_url",
        }
    }

    /// What it means, for people.
    pub fn label(self) -> &'static str {
        match self {
            Rule::Weak => "Weak password",
            Rule::Reused => "Reused password",
            Rule::Duplicate => "Duplicate login",
            Rule::Expired => "Expired",
            Rule::Expiring => "Expires within 30 days",
            Rule::Old => "Not changed for a long time",
            Rule::Breached => "Found in a breach",
            Rule::BreachUnknown => "Breach status unknown",
            Rule::InsecureUrl => "Insecure (http://) address",
        }
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Rule {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Rule::ALL
            .iter()
            .copied()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| {
                let names: Vec<&str> = Rule::ALL.iter().map(|r| r.as_str()).collect();
                format!("{s:?} is not one of: {}", names.join(", "))
            })
    }
}

/// One problem with one entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// The entry.
    pub entry: Uuid,
    /// What is wrong.
    pub rule: Rule,
    /// Specifics without secrets: "score 1 of 4", "shared by 3 entries",
    /// "seen 1,234 times", "expired on 2026-01-02".
    pub detail: String,
}

/// How many entries each rule found (an entry counts once per rule).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    /// Live entries audited.
    pub entries: usize,
    /// Weak passwords.
    pub weak: usize,
    /// Entries sharing a password with another.
    pub reused: usize,
    /// Entries with the same username on the same host as another.
    pub duplicate: usize,
    /// Expired entries.
    pub expired: usize,
    /// Entries expiring within 30 days.
    pub expiring: usize,
    /// Entries not changed for the maximum age.
    pub old: usize,
    /// Breached passwords.
    pub breached: usize,
    /// Entries whose breach check failed.
    pub breach_unknown: usize,
    /// Entries with an http:// URL.
    pub insecure_url: usize,
    /// Findings left out because the entry is excluded from that rule.
    pub excluded: usize,
}

impl Counts {
    fn add(&mut self, rule: Rule) {
        self.set(rule, self.of(rule) + 1);
    }

    fn set(&mut self, rule: Rule, value: usize) {
        let slot = match rule {
            Rule::Weak => &mut self.weak,
            Rule::Reused => &mut self.reused,
            Rule::Duplicate => &mut self.duplicate,
            Rule::Expired => &mut self.expired,
            Rule::Expiring => &mut self.expiring,
            Rule::Old => &mut self.old,
            Rule::Breached => &mut self.breached,
            Rule::BreachUnknown => &mut self.breach_unknown,
            Rule::InsecureUrl => &mut self.insecure_url,
        };
        *slot = value;
    }

    /// How many entries a rule found.
    pub fn of(&self, rule: Rule) -> usize {
        match rule {
            Rule::Weak => self.weak,
            Rule::Reused => self.reused,
            Rule::Duplicate => self.duplicate,
            Rule::Expired => self.expired,
            Rule::Expiring => self.expiring,
            Rule::Old => self.old,
            Rule::Breached => self.breached,
            Rule::BreachUnknown => self.breach_unknown,
            Rule::InsecureUrl => self.insecure_url,
        }
    }
}

/// The score from the counts:
/// `100 − (30·weak + 30·reused + 10·duplicate + 15·expired + 15·breached) / entries`,
/// rounded and clamped to 0–100. An empty vault scores 100.
pub fn score(counts: &Counts) -> u8 {
    if counts.entries == 0 {
        return 100;
    }
    let penalty = 30 * counts.weak
        + 30 * counts.reused
        + 10 * counts.duplicate
        + 15 * counts.expired
        + 15 * counts.breached;
    let value = 100.0 - penalty as f64 / counts.entries as f64;
    value.round().clamp(0.0, 100.0) as u8
}

/// What an audit run found.
#[derive(Debug, Clone)]
pub struct AuditReport {
    /// When it ran, Unix seconds.
    pub at: i64,
    /// 0–100, see [`score`].
    pub score: u8,
    /// Entries per rule.
    pub counts: Counts,
    /// Every finding, by rule then entry order.
    pub findings: Vec<Finding>,
    /// Findings left out because their entry is excluded from the rule.
    pub excluded: Vec<Finding>,
    /// Whether breach checks ran at all (off, or no source).
    pub breach_checked: bool,
}

impl AuditReport {
    /// Whether anything needs attention.
    pub fn has_findings(&self) -> bool {
        !self.findings.is_empty()
    }

    /// Moves an entry's findings of `rule` to the excluded ones (after the
    /// person chose to exclude it), with counts and score updated.
    pub fn exclude(&mut self, entry: Uuid, rule: Rule) {
        let (moved, kept): (Vec<Finding>, Vec<Finding>) = std::mem::take(&mut self.findings)
            .into_iter()
            .partition(|f| f.entry == entry && f.rule == rule);
        self.findings = kept;
        for finding in moved {
            self.counts.excluded += 1;
            let slot = self.counts.of(rule);
            self.counts.set(rule, slot.saturating_sub(1));
            self.excluded.push(finding);
        }
        self.score = score(&self.counts);
    }

    /// The point on the trend line this run makes.
    pub fn snapshot(&self) -> Snapshot {
        Snapshot {
            at: self.at,
            score: self.score,
            counts: self.counts.clone(),
        }
    }
}

/// A past run's score and counts (the trend).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Snapshot {
    /// When it ran, Unix seconds.
    pub at: i64,
    /// Its score.
    pub score: u8,
    /// Its counts.
    pub counts: Counts,
}

/// What an audit needs besides the entries.
pub struct AuditInput<'a> {
    /// The time to judge expiry and age against, Unix seconds.
    pub now: i64,
    /// `audit.max_age_days`.
    pub max_age_days: u32,
    /// When each entry's password last changed (from its history); entries
    /// missing here use their creation time.
    pub password_changed: &'a HashMap<Uuid, i64>,
    /// Rules each entry is excluded from.
    pub exclusions: &'a HashMap<Uuid, Vec<Rule>>,
    /// Where to check breaches, if at all.
    pub breach: Option<&'a dyn BreachSource>,
    /// Told (done, total) as breach checks progress.
    pub progress: &'a (dyn Fn(usize, usize) + Sync),
}

/// Audits the live entries among `entries`.
pub fn run(entries: &[Entry], input: &AuditInput<'_>) -> AuditReport {
    let live: Vec<&Entry> = entries.iter().filter(|e| !e.is_trashed()).collect();
    let mut raw: Vec<Finding> = Vec::new();
    for entry in &live {
        raw.extend(weakness(entry));
        raw.extend(dated_findings(entry, input));
    }
    raw.extend(reused(&live));
    raw.extend(duplicates(&live));
    let breach_checked = input.breach.is_some();
    if let Some(source) = input.breach {
        raw.extend(breaches(&live, source, input.progress));
    }
    assemble(&live, raw, input, breach_checked)
}

/// The report after entry `changed` was edited. The expensive rules
/// (strength, breaches) are kept from `report` for the other entries; the
/// changed entry's strength is scored again and its breach status becomes
/// unknown until the next run checks the new password; every cheap rule
/// is worked out again for everyone.
pub fn recheck(
    report: &AuditReport,
    entries: &[Entry],
    changed: Uuid,
    input: &AuditInput<'_>,
) -> AuditReport {
    let live: Vec<&Entry> = entries.iter().filter(|e| !e.is_trashed()).collect();
    let kept = [Rule::Weak, Rule::Breached, Rule::BreachUnknown];
    let mut raw: Vec<Finding> = report
        .findings
        .iter()
        .chain(&report.excluded)
        .filter(|f| f.entry != changed && kept.contains(&f.rule))
        .filter(|f| live.iter().any(|e| e.uuid == f.entry))
        .cloned()
        .collect();
    for entry in &live {
        raw.extend(dated_findings(entry, input));
    }
    raw.extend(reused(&live));
    raw.extend(duplicates(&live));
    if let Some(entry) = live.iter().find(|e| e.uuid == changed) {
        raw.extend(weakness(entry));
        if report.breach_checked && !entry.password.is_empty() {
            raw.push(Finding {
                entry: changed,
                rule: Rule::BreachUnknown,
                detail: "changed since the last breach check; run the audit again".to_owned(),
            });
        }
    }
    assemble(&live, raw, input, report.breach_checked)
}

/// Sorts findings into kept and excluded, counts them, and scores.
fn assemble(
    live: &[&Entry],
    raw: Vec<Finding>,
    input: &AuditInput<'_>,
    breach_checked: bool,
) -> AuditReport {
    let mut counts = Counts {
        entries: live.len(),
        ..Counts::default()
    };
    let mut findings = Vec::with_capacity(raw.len());
    let mut excluded = Vec::new();
    for finding in raw {
        let is_excluded = input
            .exclusions
            .get(&finding.entry)
            .is_some_and(|rules| rules.contains(&finding.rule));
        if is_excluded {
            counts.excluded += 1;
            excluded.push(finding);
        } else {
            counts.add(finding.rule);
            findings.push(finding);
        }
    }
    let order: HashMap<Uuid, usize> = live.iter().enumerate().map(|(i, e)| (e.uuid, i)).collect();
    findings.sort_by_key(|f| {
        let rank = Rule::ALL.iter().position(|r| *r == f.rule).unwrap_or(0);
        (rank, order.get(&f.entry).copied().unwrap_or(0))
    });
    AuditReport {
        at: input.now,
        score: score(&counts),
        counts,
        findings,
        excluded,
        breach_checked,
    }
}

/// The strength rule: weak when short or easy to guess.
fn weakness(entry: &Entry) -> Option<Finding> {
    let password = entry.password.expose();
    if password.is_empty() {
        return None;
    }
    let length = password.chars().count();
    let detail = if length < MIN_LENGTH {
        format!("{length} characters (fewer than {MIN_LENGTH})")
    } else {
        let scored = SecretString::new(password.chars().take(SCORED_PREFIX_CHARS).collect());
        let score = strength::estimate(&scored, &[]).score;
        if score > 2 {
            return None;
        }
        format!("strength {score} of 4")
    };
    Some(Finding {
        entry: entry.uuid,
        rule: Rule::Weak,
        detail,
    })
}

/// The cheap rules that look at one entry alone: expiry, age, http://.
fn dated_findings(entry: &Entry, input: &AuditInput<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    let mut found = |rule, detail: String| {
        out.push(Finding {
            entry: entry.uuid,
            rule,
            detail,
        })
    };
    let password = entry.password.expose();
    if let Some(expires) = entry.expires_at {
        let date = crate::core::time::format_date(expires);
        if entry.is_expired(input.now) {
            found(Rule::Expired, format!("expired on {date}"));
        } else if entry.expires_within(input.now, EXPIRING_DAYS) {
            found(Rule::Expiring, format!("expires on {date}"));
        }
    }
    let changed = input
        .password_changed
        .get(&entry.uuid)
        .copied()
        .unwrap_or(entry.created_at);
    let age_days = (input.now - changed) / 86_400;
    if !password.is_empty() && age_days >= i64::from(input.max_age_days) {
        found(Rule::Old, format!("password unchanged for {age_days} days"));
    }
    if entry.urls.iter().any(|u| {
        u.expose()
            .trim()
            .to_ascii_lowercase()
            .starts_with("http://")
    }) {
        found(
            Rule::InsecureUrl,
            "an address starts with http://".to_owned(),
        );
    }
    out
}

/// Entries whose password another entry also has.
fn reused(live: &[&Entry]) -> Vec<Finding> {
    let mut groups: HashMap<&str, Vec<Uuid>> = HashMap::new();
    for entry in live.iter().filter(|e| !e.password.is_empty()) {
        groups
            .entry(entry.password.expose())
            .or_default()
            .push(entry.uuid);
    }
    shared(groups.values(), Rule::Reused, "same password as")
}

/// One finding per member of every group of two or more, naming the
/// others by short id.
fn shared<'a>(groups: impl Iterator<Item = &'a Vec<Uuid>>, rule: Rule, what: &str) -> Vec<Finding> {
    let mut out = Vec::new();
    for members in groups.filter(|m| m.len() > 1) {
        for &uuid in members {
            let others: Vec<String> = members
                .iter()
                .filter(|&&m| m != uuid)
                .map(crate::core::entries::short_id)
                .collect();
            out.push(Finding {
                entry: uuid,
                rule,
                detail: format!("{what} {}", others.join(", ")),
            });
        }
    }
    out
}

/// Entries with the same username on the same host as another.
fn duplicates(live: &[&Entry]) -> Vec<Finding> {
    let mut groups: HashMap<(String, String), Vec<Uuid>> = HashMap::new();
    for entry in live {
        let user = entry.username.expose().trim().to_lowercase();
        let Some(host) = entry.urls.iter().find_map(|u| host_of(u.expose())) else {
            continue;
        };
        if user.is_empty() {
            continue;
        }
        groups.entry((user, host)).or_default().push(entry.uuid);
    }
    shared(
        groups.values(),
        Rule::Duplicate,
        "same username and site as",
    )
}

/// Breach findings: one lookup per distinct password.
fn breaches(
    live: &[&Entry],
    source: &dyn BreachSource,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Vec<Finding> {
    let mut distinct: HashMap<Sha1, Vec<Uuid>> = HashMap::new();
    for entry in live.iter().filter(|e| !e.password.is_empty()) {
        distinct
            .entry(breach::sha1_of(entry.password.expose()))
            .or_default()
            .push(entry.uuid);
    }
    let hashes: Vec<Sha1> = distinct.keys().copied().collect();
    let answers = source.lookup(&hashes, progress);
    let mut out = Vec::new();
    for (hash, answer) in hashes.iter().zip(answers) {
        let (rule, detail) = match answer {
            BreachAnswer::Found(count) => (Rule::Breached, format!("seen {count} times")),
            BreachAnswer::NotFound => continue,
            BreachAnswer::Unknown(reason) => (Rule::BreachUnknown, reason),
        };
        for &uuid in &distinct[hash] {
            out.push(Finding {
                entry: uuid,
                rule,
                detail: detail.clone(),
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counts(entries: usize, weak: usize, reused: usize, breached: usize) -> Counts {
        Counts {
            entries,
            weak,
            reused,
            breached,
            ..Counts::default()
        }
    }

    #[test]
    fn the_score_follows_its_formula() {
        assert_eq!(score(&Counts::default()), 100, "empty vault");
        assert_eq!(score(&counts(10, 0, 0, 0)), 100);
        assert_eq!(score(&counts(10, 10, 0, 0)), 70);
        assert_eq!(score(&counts(10, 1, 2, 0)), 91);
        assert_eq!(score(&counts(4, 1, 0, 1)), 89, "100 - 45/4 = 88.75");
        let all_bad = Counts {
            entries: 2,
            weak: 2,
            reused: 2,
            duplicate: 2,
            expired: 2,
            breached: 2,
            ..Counts::default()
        };
        assert_eq!(score(&all_bad), 0);
        let worse_than_zero = Counts {
            entries: 1,
            weak: 5,
            reused: 5,
            ..Counts::default()
        };
        assert_eq!(score(&worse_than_zero), 0, "clamped");
    }

    #[test]
    fn rules_parse_from_their_names() {
        for rule in Rule::ALL {
            assert_eq!(rule.as_str().parse::<Rule>().unwrap(), *rule);
        }
    }
}
