//! `backup` and `verify-backup`.

use anyhow::bail;
use serde::Serialize;

use crate::cli::args::{BackupAction, BackupArgs, VerifyBackupArgs};
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
    match args.action {
        Some(BackupAction::Status { dir, json }) => return status(ctx, dir, json),
        Some(BackupAction::Prune { dir, dry_run }) => return prune(ctx, dir, dry_run),
        None => {}
    }
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

/// `backup prune`: needs no master password.
fn prune(ctx: &Ctx, dir: Option<std::path::PathBuf>, dry_run: bool) -> anyhow::Result<()> {
    use crate::core::backup::retention;
    let dir = dir.unwrap_or_else(|| ctx.paths.backups_dir());
    let rule = ctx.settings.backup_retention();
    let (keep, delete) = retention::plan(&retention::list(&dir), rule);
    for backup in &delete {
        let name = output::printable(&backup.path.display().to_string());
        if dry_run {
            say!("would delete {name}");
            continue;
        }
        for file in retention::with_side_files(&backup.path) {
            match std::fs::remove_file(&file) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => bail!(
                    "could not delete {}: {e}; nothing after it was deleted",
                    file.display()
                ),
            }
        }
        say!("deleted {name}");
    }
    say!(
        "{} {}, kept {} (daily {}, weekly {}, monthly {}).",
        if dry_run { "Would delete" } else { "Deleted" },
        output::count(delete.len(), "backup", "backups"),
        keep.len(),
        rule.daily,
        rule.weekly,
        rule.monthly
    );
    Ok(())
}

/// `backup status`: needs no master password.
fn status(ctx: &Ctx, dir: Option<std::path::PathBuf>, json: bool) -> anyhow::Result<()> {
    let dir = dir.unwrap_or_else(|| ctx.paths.backups_dir());
    // Archive names carry their UTC time, so the greatest name is the newest.
    let newest = std::fs::read_dir(&dir)
        .ok()
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("backup_") && n.ends_with(".zip"))
        })
        .max();
    let Some(newest) = newest else {
        if json {
            output::print_json(&serde_json::json!({"dir": dir, "last_backup": null}));
        }
        bail!(
            "no backup in {}; run `password-manager backup`",
            dir.display()
        );
    };
    let size = std::fs::metadata(&newest).map(|m| m.len()).unwrap_or(0);
    let key = ctx.paths.data_dir.join(signing::PUBLIC_KEY_FILE);
    let report = backup::verify(&newest, key.exists().then_some(key.as_path()));
    let created = report.manifest.as_ref().map(|m| m.created_at.clone());
    if json {
        output::print_json(&serde_json::json!({
            "dir": dir,
            "last_backup": newest,
            "created_at": created,
            "size": size,
            "entries": report.manifest.as_ref().map(|m| m.entry_count),
            "verified": report.ok(),
        }));
    } else {
        say!(
            "Last backup: {} ({}, {size} bytes): {}.",
            output::printable(&newest.display().to_string()),
            created.as_deref().unwrap_or("time unknown"),
            if report.ok() {
                "verified"
            } else {
                "DOES NOT VERIFY"
            }
        );
    }
    if !report.ok() {
        let failed: Vec<&str> = report.failures().map(|c| c.name).collect();
        bail!(
            "the last backup failed verification ({})",
            failed.join(", ")
        );
    }
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
