//! `audit`: the security audit, its report and its exclusions.

use std::path::Path;

use anyhow::{Context, bail};

use crate::cli::args::{AuditAction, AuditArgs};
use crate::cli::context::{Access, Ctx};
use crate::cli::output::{self, note, say};
use crate::cli::{EXIT_FINDINGS, ExitStatus, UsageError};
use crate::core::audit::breach::BreachSource;
use crate::core::audit::{AuditReport, Rule};
use crate::core::vault::{Scope, Vault};

/// `audit`.
pub fn audit(ctx: &mut Ctx, args: AuditArgs) -> anyhow::Result<()> {
    if let Some(action) = args.action {
        return exclusion(ctx, action);
    }
    let export_format = match args.format.as_str() {
        "json" | "csv" => args.format.as_str(),
        other => bail!(UsageError(format!(
            "--format {other:?}: the report is written as json or csv"
        ))),
    };
    if let Some(path) = args.export.as_ref().filter(|p| p.exists() && !args.force) {
        bail!(UsageError(format!(
            "{} already exists; choose another path or add --force to replace it",
            path.display()
        )));
    }
    let breach = breach_source(ctx, &args)?;

    let mut vault = ctx.unlock(Access::Write)?;
    let report = vault.audit(
        breach.as_deref(),
        ctx.settings.audit_max_age_days(),
        &|_, _| {},
    )?;
    vault.record_audit(&report)?;
    if let Some(path) = &args.export {
        write_report(path, export_format, &report, &vault)?;
    }
    if args.json {
        say!(
            "{}",
            String::from_utf8_lossy(&vault.audit_report_json(&report))
        );
    } else {
        print_summary(&report, &vault);
    }
    if report.has_findings() {
        return Err(ExitStatus(EXIT_FINDINGS).into());
    }
    Ok(())
}

/// Where breach checks go for this run, if anywhere.
fn breach_source(ctx: &Ctx, args: &AuditArgs) -> anyhow::Result<Option<Box<dyn BreachSource>>> {
    if args.no_breach || (!ctx.settings.breach_enabled() && args.offline.is_none()) {
        return Ok(None);
    }
    let mut config = crate::breach::BreachConfig::from_settings(&ctx.settings, &ctx.paths);
    if let Some(file) = &args.offline {
        config.offline_file = Some(file.clone());
    }
    Ok(Some(Box::new(crate::breach::BreachChecker::new(config))))
}

/// `breach refresh` (and `--refresh-breach-cache`).
pub fn refresh(ctx: &mut Ctx) -> anyhow::Result<()> {
    let config = crate::breach::BreachConfig::from_settings(&ctx.settings, &ctx.paths);
    let vault = ctx.unlock(Access::Read)?;
    let hashes = vault.password_hashes();
    drop(vault);
    let checker = crate::breach::BreachChecker::new(config);
    let report = checker.refresh(&hashes, &|_, _| {})?;
    say!(
        "Refreshed the breach cache: {} prefixes, {} fetched, {} failed.",
        report.prefixes,
        report.fetched,
        report.failed
    );
    if report.failed > 0 {
        bail!(
            "{} could not be fetched; run it again later (the audit reports those passwords \
             as unknown, never as safe)",
            output::count(report.failed, "prefix", "prefixes")
        );
    }
    Ok(())
}

fn exclusion(ctx: &mut Ctx, action: AuditAction) -> anyhow::Result<()> {
    let (id, rule, excluded) = match action {
        AuditAction::Exclude { id, rule } => (id, rule, true),
        AuditAction::Include { id, rule } => (id, rule, false),
    };
    let rule: Rule = rule.parse().map_err(UsageError)?;
    let mut vault = ctx.unlock(Access::Write)?;
    let entry = vault.find(&id, Scope::Live)?;
    let (uuid, short) = (entry.uuid, entry.short_id());
    vault.set_audit_exclusion(uuid, rule, excluded)?;
    if excluded {
        say!("Entry {short} is left out of the {rule} findings.");
    } else {
        say!("Entry {short} counts for the {rule} findings again.");
    }
    Ok(())
}

fn print_summary(report: &AuditReport, vault: &Vault) {
    let c = &report.counts;
    say!(
        "Security score: {} / 100 ({} entries audited{}).",
        report.score,
        c.entries,
        if report.breach_checked {
            ""
        } else {
            "; breach checks skipped"
        }
    );
    for rule in Rule::ALL {
        let n = c.of(*rule);
        if n > 0 {
            say!("  {:<30} {n}", rule.label());
        }
    }
    if c.excluded > 0 {
        say!("  ({} findings excluded by choice)", c.excluded);
    }
    if c.breach_unknown > 0 {
        note!(
            "warning: {} could not be checked for breaches; they are NOT known to be safe",
            output::count(c.breach_unknown, "entry", "entries")
        );
    }
    if !report.has_findings() {
        say!("Nothing to fix.");
        return;
    }
    let rows: Vec<Vec<String>> = report
        .findings
        .iter()
        .filter_map(|f| {
            let e = vault.get(f.entry)?;
            Some(vec![
                e.short_id(),
                output::printable(e.title.expose()),
                f.rule.as_str().to_owned(),
                output::printable(&f.detail),
            ])
        })
        .collect();
    say!("");
    output::print_table(&["ID", "TITLE", "FINDING", "DETAIL"], &rows);
}

/// Writes the report for filing: no passwords, no hashes; owner-only.
fn write_report(
    path: &Path,
    format: &str,
    report: &AuditReport,
    vault: &Vault,
) -> anyhow::Result<()> {
    let bytes = if format == "json" {
        vault.audit_report_json(report)
    } else {
        vault.audit_report_csv(report)
    };
    crate::core::fsio::write_atomic(path, &bytes)
        .with_context(|| format!("the report was not written to {}", path.display()))?;
    say!(
        "Report written to {}.",
        output::printable(&path.display().to_string())
    );
    Ok(())
}
