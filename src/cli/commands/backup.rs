//! `backup` and `verify-backup`.

use anyhow::bail;
use serde::Serialize;

use crate::cli::args::{BackupArgs, VerifyBackupArgs};
use crate::cli::context::{Access, Ctx};
use crate::cli::output::{self, say};
use crate::core::backup::{self, BackupOptions, CheckStatus, signing};

#[derive(Serialize)]
struct BackupJson<'a> {
    path: &'a std::path::Path,
    size: u64,
    entries: u64,
    key_fingerprint: &'a str,
}

/// `backup`.
pub fn backup(ctx: &mut Ctx, args: BackupArgs) -> anyhow::Result<()> {
    let out_dir = args.output.unwrap_or_else(|| ctx.paths.backups_dir());
    let vault = ctx.unlock(Access::Read)?;
    let options = BackupOptions {
        include_breach_cache: args.include_breach_cache,
        include_logs: args.include_logs,
    };
    let info = backup::create(&vault, &out_dir, &options)?;
    if args.json {
        output::print_json(&BackupJson {
            path: &info.path,
            size: info.size,
            entries: info.manifest.entry_count,
            key_fingerprint: &info.key_fingerprint,
        });
        return Ok(());
    }
    say!(
        "Backup written: {} ({} bytes, {}).",
        output::printable(&info.path.display().to_string()),
        info.size,
        output::count(info.manifest.entry_count as usize, "entry", "entries")
    );
    say!(
        "Checksum in {}.sha256, signature in {}.sig; signing key fingerprint {}.",
        output::printable(&info.path.display().to_string()),
        output::printable(&info.path.display().to_string()),
        info.key_fingerprint
    );
    Ok(())
}

#[derive(Serialize)]
struct CheckJson<'a> {
    name: &'a str,
    status: &'static str,
    detail: &'a str,
}

/// `verify-backup`: needs no master password.
pub fn verify_backup(ctx: &mut Ctx, args: VerifyBackupArgs) -> anyhow::Result<()> {
    let default_key = ctx.paths.data_dir.join(signing::PUBLIC_KEY_FILE);
    let key = args
        .public_key
        .clone()
        .or_else(|| default_key.exists().then_some(default_key));
    let report = backup::verify(&args.file, key.as_deref());
    let status = |s: CheckStatus| match s {
        CheckStatus::Passed => "passed",
        CheckStatus::Failed => "FAILED",
        CheckStatus::Skipped => "skipped",
    };
    if args.json {
        let checks: Vec<CheckJson<'_>> = report
            .checks
            .iter()
            .map(|c| CheckJson {
                name: c.name,
                status: status(c.status),
                detail: &c.detail,
            })
            .collect();
        output::print_json(&serde_json::json!({
            "file": args.file,
            "ok": report.ok(),
            "key_fingerprint": report.key_fingerprint,
            "checks": checks,
        }));
    } else {
        for check in &report.checks {
            say!(
                "{:<8} {}: {}",
                status(check.status),
                check.name,
                output::printable(&check.detail)
            );
        }
    }
    if !report.ok() {
        let failed: Vec<&str> = report.failures().map(|c| c.name).collect();
        bail!(
            "{} failed verification ({}); do not restore from it",
            args.file.display(),
            failed.join(", ")
        );
    }
    if !args.json {
        say!("The backup verified.");
    }
    Ok(())
}
