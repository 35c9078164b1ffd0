//! The audit's memory in the vault: snapshots of past runs (the trend) and
//! the rules each entry is excluded from, sealed in the `audit` table.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{Vault, VaultError, records};
use crate::core::audit::breach::BreachSource;
use crate::core::audit::{self, AuditInput, AuditReport, Rule, Snapshot};
use crate::core::events;
use crate::core::store::tables;
use crate::core::time;
use crate::event;

/// One row of the `audit` table. Postcard encodes variants by position:
/// add new ones at the end only (and new `Rule`s likewise).
#[derive(Serialize, Deserialize)]
enum AuditRecord {
    /// A past run (row uuid: its own).
    Snapshot(Snapshot),
    /// The rules one entry is excluded from (row uuid: the entry's).
    Exclusions(Vec<Rule>),
}

/// An audit's inputs, owned: see [`Vault::audit_job`].
pub struct AuditJob {
    entries: Vec<crate::core::entries::Entry>,
    password_changed: HashMap<Uuid, i64>,
    exclusions: HashMap<Uuid, Vec<Rule>>,
    max_age_days: u32,
}

impl AuditJob {
    fn input<'a>(
        &'a self,
        progress: &'a (dyn Fn(usize, usize) + Sync),
        breach: Option<&'a dyn BreachSource>,
    ) -> AuditInput<'a> {
        AuditInput {
            now: time::now_unix(),
            max_age_days: self.max_age_days,
            password_changed: &self.password_changed,
            exclusions: &self.exclusions,
            breach,
            progress,
        }
    }

    /// Runs the audit (on any thread).
    pub fn run(
        &self,
        breach: Option<&dyn BreachSource>,
        progress: &(dyn Fn(usize, usize) + Sync),
    ) -> AuditReport {
        audit::run(&self.entries, &self.input(progress, breach))
    }
}

#[derive(Serialize)]
struct ReportOut<'a> {
    time: String,
    score: u8,
    breach_checked: bool,
    counts: &'a audit::Counts,
    findings: Vec<FindingOut<'a>>,
}

#[derive(Serialize)]
struct FindingOut<'a> {
    rule: &'static str,
    entry_id: String,
    title: &'a str,
    username: &'a str,
    url: &'a str,
    detail: &'a str,
}

impl<'a> ReportOut<'a> {
    fn of(report: &'a AuditReport, vault: &'a Vault) -> Self {
        let findings = report
            .findings
            .iter()
            .filter_map(|f| {
                let e = vault.get(f.entry)?;
                Some(FindingOut {
                    rule: f.rule.as_str(),
                    entry_id: e.short_id(),
                    title: e.title.expose(),
                    username: e.username.expose(),
                    url: e.primary_url().map_or("", |u| u.expose()),
                    detail: &f.detail,
                })
            })
            .collect();
        Self {
            time: time::format_rfc3339(report.at),
            score: report.score,
            breach_checked: report.breach_checked,
            counts: &report.counts,
            findings,
        }
    }
}

/// A CSV cell, quoted when needed; a leading `=`, `+`, `-` or `@` gets a
/// `'` first so a spreadsheet does not run it as a formula.
fn csv_cell(text: &str) -> String {
    let guarded = if text.starts_with(['=', '+', '-', '@']) {
        format!("'{text}")
    } else {
        text.to_owned()
    };
    if guarded.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", guarded.replace('"', "\"\""))
    } else {
        guarded
    }
}

/// What the `audit` table holds.
#[derive(Default)]
struct AuditState {
    snapshots: Vec<Snapshot>,
    exclusions: HashMap<Uuid, Vec<Rule>>,
}

impl Vault {
    fn audit_state(&self) -> Result<AuditState, VaultError> {
        let mut state = AuditState::default();
        for row in self.store.load_audit()? {
            match records::open::<AuditRecord>(&self.keys, tables::AUDIT, &row) {
                Ok(AuditRecord::Snapshot(snapshot)) => state.snapshots.push(snapshot),
                Ok(AuditRecord::Exclusions(rules)) => {
                    state.exclusions.insert(row.uuid, rules);
                }
                Err(damage) => event!(
                    error,
                    events::RECORD_INTEGRITY_FAILED,
                    "audit record {}",
                    damage.reason
                ),
            }
        }
        state.snapshots.sort_by_key(|s| s.at);
        Ok(state)
    }

    /// Audits the live entries. `breach` checks passwords against a breach
    /// database (none: no breach findings, and the report says so).
    /// Nothing is stored: see [`Vault::record_audit`].
    pub fn audit(
        &self,
        breach: Option<&dyn BreachSource>,
        max_age_days: u32,
        progress: &(dyn Fn(usize, usize) + Sync),
    ) -> Result<AuditReport, VaultError> {
        Ok(self.audit_job(max_age_days)?.run(breach, progress))
    }

    /// Everything an audit reads, copied out of the vault so the run can
    /// happen on another thread while the vault stays in use.
    pub fn audit_job(&self, max_age_days: u32) -> Result<AuditJob, VaultError> {
        let state = self.audit_state()?;
        let (history, _) = self.all_history()?;
        let password_changed = history
            .iter()
            .filter_map(|(uuid, items)| Some((*uuid, items.iter().map(|h| h.changed_at).max()?)))
            .collect();
        Ok(AuditJob {
            entries: self
                .entries
                .iter()
                .filter(|e| !e.is_trashed())
                .cloned()
                .collect(),
            password_changed,
            exclusions: state.exclusions,
            max_age_days,
        })
    }

    /// The report again after entry `uuid` changed: its own findings,
    /// reuse and duplicates are worked out anew at once; its breach status
    /// becomes unknown until the next audit checks the new password.
    pub fn recheck_audit(
        &self,
        report: &AuditReport,
        uuid: Uuid,
        max_age_days: u32,
    ) -> Result<AuditReport, VaultError> {
        let job = self.audit_job(max_age_days)?;
        Ok(audit::recheck(
            report,
            &job.entries,
            uuid,
            &job.input(&|_, _| {}, None),
        ))
    }

    /// The report as JSON for filing: time, score, counts and each finding
    /// with entry id, title, username and URL. Never a password or a hash.
    pub fn audit_report_json(&self, report: &AuditReport) -> Vec<u8> {
        serde_json::to_vec_pretty(&ReportOut::of(report, self)).unwrap_or_default()
    }

    /// The findings as CSV for filing (one row each), with the same columns.
    pub fn audit_report_csv(&self, report: &AuditReport) -> Vec<u8> {
        let out = ReportOut::of(report, self);
        let mut text = String::from("time,score,rule,entry_id,title,username,url,detail\n");
        for f in &out.findings {
            let score = out.score.to_string();
            let cells = [
                out.time.as_str(),
                score.as_str(),
                f.rule,
                &f.entry_id,
                f.title,
                f.username,
                f.url,
                f.detail,
            ];
            let line: Vec<String> = cells.iter().map(|c| csv_cell(c)).collect();
            text.push_str(&line.join(","));
            text.push('\n');
        }
        text.into_bytes()
    }

    /// The SHA-1 of every distinct non-empty password of the live entries
    /// (what a breach cache refresh needs).
    pub fn password_hashes(&self) -> Vec<crate::core::audit::breach::Sha1> {
        let mut hashes: Vec<_> = self
            .entries
            .iter()
            .filter(|e| !e.is_trashed() && !e.password.is_empty())
            .map(|e| crate::core::audit::breach::sha1_of(e.password.expose()))
            .collect();
        hashes.sort_unstable();
        hashes.dedup();
        hashes
    }

    /// Stores a run's score and counts for the trend, and logs them.
    pub fn record_audit(&mut self, report: &AuditReport) -> Result<(), VaultError> {
        let record = AuditRecord::Snapshot(report.snapshot());
        let row = records::seal(
            &self.keys,
            tables::AUDIT,
            Uuid::new_v4(),
            Uuid::nil(),
            &record,
            256,
        );
        self.store.write(|w| w.put_audit(&row))?;
        let c = &report.counts;
        if c.breach_unknown > 0 {
            let mut reasons: Vec<&str> = report
                .findings
                .iter()
                .filter(|f| f.rule == Rule::BreachUnknown)
                .map(|f| f.detail.as_str())
                .collect();
            reasons.sort_unstable();
            reasons.dedup();
            event!(
                error,
                events::BREACH_CHECK_ERROR,
                "{} passwords could not be checked for breaches: {}",
                c.breach_unknown,
                reasons.join("; ")
            );
        }
        event!(
            info,
            events::SECURITY_AUDIT_RESULT,
            "audit score={} entries={} weak={} reused={} duplicate={} expired={} expiring={} \
             old={} breached={} breach_unknown={} insecure_url={} excluded={}",
            report.score,
            c.entries,
            c.weak,
            c.reused,
            c.duplicate,
            c.expired,
            c.expiring,
            c.old,
            c.breached,
            c.breach_unknown,
            c.insecure_url,
            c.excluded
        );
        Ok(())
    }

    /// Past runs, oldest first.
    pub fn audit_trend(&self) -> Result<Vec<Snapshot>, VaultError> {
        Ok(self.audit_state()?.snapshots)
    }

    /// The rules each entry is excluded from.
    pub fn audit_exclusions(&self) -> Result<HashMap<Uuid, Vec<Rule>>, VaultError> {
        Ok(self.audit_state()?.exclusions)
    }

    /// Excludes an entry from one rule's findings, or includes it again.
    pub fn set_audit_exclusion(
        &mut self,
        uuid: Uuid,
        rule: Rule,
        excluded: bool,
    ) -> Result<(), VaultError> {
        self.slot(uuid)?;
        let mut rules = self
            .audit_state()?
            .exclusions
            .remove(&uuid)
            .unwrap_or_default();
        rules.retain(|r| *r != rule);
        if excluded {
            rules.push(rule);
            rules.sort();
        }
        let keys = &self.keys;
        self.store.write(|w| {
            if rules.is_empty() {
                w.delete_audit(uuid)
            } else {
                let record = AuditRecord::Exclusions(rules);
                w.put_audit(&records::seal(
                    keys,
                    tables::AUDIT,
                    uuid,
                    Uuid::nil(),
                    &record,
                    64,
                ))
            }
        })?;
        Ok(())
    }
}
