//! `backup` and `verify-backup`.

use anyhow::bail;
use serde::Serialize;

use crate::cli::args::{BackupAction, BackupArgs, VerifyBackupArgs};
use crate::cli::context::{Access, Ctx};
use crate::cli::output::{self, note, say};
use crate::core::backup::{self, BackupOptions, CheckStatus, Encryption, retention, signing};
use crate::core::time;

#[derive(Serialize)]
struct BackupJson<'a> {
    path: &'a std::path::Path,
    size: u64,
    entries: u64,
    key_fingerprint: &'a str,
    encrypted: bool,
    gpg_signature: Option<&'a std::path::Path>,
    warnings: &'a [String],
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
    let encryption = if args.encrypt {
        Some(Encryption::new(ctx.input.new_backup_passphrase()?))
    } else {
        None
    };
    let options = BackupOptions {
        include_breach_cache: args.include_breach_cache,
        include_logs: args.include_logs,
        encryption,
        gpg_key_id: ctx.settings.backup_gpg_key_id(),
    };
    let info = backup::create(&vault, &out_dir, &options)?;
    for warning in &info.warnings {
        note!("warning: {}", output::printable(warning));
    }
    if args.json {
        output::print_json(&BackupJson {
            path: &info.path,
            size: info.size,
            entries: info.manifest.entry_count,
            key_fingerprint: &info.key_fingerprint,
            encrypted: info.encrypted,
            gpg_signature: info.gpg_signature_path.as_deref(),
            warnings: &info.warnings,
        });
        return Ok(());
    }
    let shown = output::printable(&info.path.display().to_string());
    say!(
        "Backup written: {shown} ({} bytes, {}{}).",
        info.size,
        output::count(info.manifest.entry_count as usize, "entry", "entries"),
        if info.encrypted {
            ", encrypted with the backup passphrase"
        } else {
            ""
        }
    );
    say!(
        "Checksum in {shown}.sha256, signature in {shown}.sig; signing key fingerprint {}.",
        info.key_fingerprint
    );
    if let Some(asc) = &info.gpg_signature_path {
        say!(
            "GPG signature in {}.",
            output::printable(&asc.display().to_string())
        );
    }
    Ok(())
}

/// `backup prune`: needs no master password.
fn prune(ctx: &Ctx, dir: Option<std::path::PathBuf>, dry_run: bool) -> anyhow::Result<()> {
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

/// `backup status`: needs no master password. An encrypted backup's
/// contents are not checked (that needs its passphrase), only its checksum
/// and signatures.
fn status(ctx: &Ctx, dir: Option<std::path::PathBuf>, json: bool) -> anyhow::Result<()> {
    let dir = dir.unwrap_or_else(|| ctx.paths.backups_dir());
    let Some(newest) = retention::list(&dir).pop() else {
        if json {
            output::print_json(&serde_json::json!({"dir": dir, "last_backup": null}));
        }
        bail!(
            "no backup in {}; run `password-manager backup`",
            dir.display()
        );
    };
    let size = std::fs::metadata(&newest.path)
        .map(|m| m.len())
        .unwrap_or(0);
    let key = ctx.paths.data_dir.join(signing::PUBLIC_KEY_FILE);
    let report = backup::verify(&newest.path, key.exists().then_some(key.as_path()));
    // An encrypted archive's manifest is out of reach; its name has the time.
    let created = report.manifest.as_ref().map_or_else(
        || time::format_rfc3339(newest.at.and_utc().timestamp()),
        |m| m.created_at.clone(),
    );
    let shown = output::printable(&newest.path.display().to_string());
    if json {
        output::print_json(&serde_json::json!({
            "dir": dir,
            "last_backup": newest.path,
            "created_at": created,
            "size": size,
            "entries": report.manifest.as_ref().map(|m| m.entry_count),
            "encrypted": report.encrypted,
            "verified": report.ok(),
        }));
    } else {
        let verdict = match (report.ok(), report.encrypted) {
            (false, _) => "DOES NOT VERIFY".to_owned(),
            (true, false) => "verified".to_owned(),
            (true, true) => format!(
                "encrypted; checksum and signature verified (check its contents with \
                 `password-manager verify-backup {shown}` and the backup passphrase)"
            ),
        };
        say!("Last backup: {shown} ({created}, {size} bytes): {verdict}.");
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
    // Asked before any check runs, so a prompt never interrupts the output.
    let passphrase = if backup::is_encrypted(&args.file) {
        Some(ctx.input.secret("Backup passphrase", "backup passphrase")?)
    } else {
        None
    };
    let report = backup::verify_with_passphrase(&args.file, key.as_deref(), passphrase.as_ref());
    drop(passphrase);
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
            "encrypted": report.encrypted,
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
