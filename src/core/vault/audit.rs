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
        let state = self.audit_state()?;
        let (history, _) = self.all_history()?;
        let password_changed: HashMap<Uuid, i64> = history
            .iter()
            .filter_map(|(uuid, items)| Some((*uuid, items.iter().map(|h| h.changed_at).max()?)))
            .collect();
        let input = AuditInput {
            now: time::now_unix(),
            max_age_days,
            password_changed: &password_changed,
            exclusions: &state.exclusions,
            breach,
            progress,
        };
        Ok(audit::run(&self.entries, &input))
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
