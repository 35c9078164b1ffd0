//! `backup` and `verify-backup`.

use anyhow::bail;
use serde::Serialize;

use crate::cli::args::{BackupAction, BackupArgs, RestoreArgs, VerifyBackupArgs};
use crate::cli::context::{Access, Ctx};
use crate::cli::output::{self, note, say};
use crate::core::backup::restore::{self, RestoreError, RestoreKeys, Staged};
use crate::core::backup::{
    self, BackupOptions, CheckStatus, Encryption, VerifyReport, retention, signing,
};
use crate::core::lock::VaultLock;
use crate::core::paths::Paths;
use crate::core::time;
use crate::core::vault::{self, Credentials, VaultError};

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
    let out_dir = args
        .output
        .unwrap_or_else(|| ctx.settings.backups_dir(&ctx.paths));
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
    let dir = dir.unwrap_or_else(|| ctx.settings.backups_dir(&ctx.paths));
    let rule = ctx.settings.backup_retention();
    let (keep, delete) = retention::plan(&retention::list(&dir), rule);
    if dry_run {
        for backup in &delete {
            say!(
                "would delete {}",
                output::printable(&backup.path.display().to_string())
            );
        }
    } else {
        let deleted = backup::auto::prune(&dir, rule)
            .map_err(|e| anyhow::anyhow!("{e}; nothing after it was deleted"))?;
        for path in &deleted {
            say!("deleted {}", output::printable(&path.display().to_string()));
        }
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
    let dir = dir.unwrap_or_else(|| ctx.settings.backups_dir(&ctx.paths));
    let Some(newest) = retention::list(&dir).pop() else {
        if json {
            output::print_json(&serde_json::json!({"dir": dir, "last_backup": null}));
        }
        bail!(
            "no backup in {}; run `{}`",
            dir.display(),
            ctx.command("backup")
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
        let entries = report
            .manifest
            .as_ref()
            .map(|m| {
                format!(
                    ", {}",
                    output::count(m.entry_count as usize, "entry", "entries")
                )
            })
            .unwrap_or_default();
        say!("Last backup: {shown} ({created}, {size} bytes{entries}): {verdict}.");
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

/// The name the unlock step is reported under.
const UNLOCK_CHECK: &str = "unlock";

fn status_word(s: CheckStatus) -> &'static str {
    match s {
        CheckStatus::Passed => "passed",
        CheckStatus::Failed => "FAILED",
        CheckStatus::Skipped => "skipped",
    }
}

/// Prints every check (and the unlock step, when there was one) as lines
/// or as the `checks` array of a JSON object with `extra` fields.
fn print_checks(
    report: &VerifyReport,
    unlock: Option<(CheckStatus, String)>,
    json: Option<serde_json::Value>,
) {
    let mut rows: Vec<CheckJson<'_>> = report
        .checks
        .iter()
        .map(|c| CheckJson {
            name: c.name,
            status: status_word(c.status),
            detail: &c.detail,
        })
        .collect();
    if let Some((status, detail)) = &unlock {
        rows.push(CheckJson {
            name: UNLOCK_CHECK,
            status: status_word(*status),
            detail,
        });
    }
    match json {
        Some(mut object) => {
            object["checks"] = serde_json::to_value(&rows).unwrap_or_default();
            output::print_json(&object);
        }
        None => {
            for row in &rows {
                say!(
                    "{:<8} {}: {}",
                    row.status,
                    row.name,
                    output::printable(row.detail)
                );
            }
        }
    }
}

/// The signing key to check against: the flag, else the vault's own.
fn public_key_for(paths: &Paths, flag: Option<&std::path::Path>) -> Option<std::path::PathBuf> {
    let own = paths.data_dir.join(signing::PUBLIC_KEY_FILE);
    flag.map(std::path::Path::to_path_buf)
        .or_else(|| own.exists().then_some(own))
}

/// `verify-backup`: needs no master password unless `--unlock`.
pub fn verify_backup(ctx: &mut Ctx, args: VerifyBackupArgs) -> anyhow::Result<()> {
    let key = public_key_for(&ctx.paths, args.public_key.as_deref());
    // Asked before any check runs, so a prompt never interrupts the output.
    let passphrase = if backup::is_encrypted(&args.file) {
        Some(ctx.input.secret("Backup passphrase", "backup passphrase")?)
    } else {
        None
    };
    let (report, unlock) = if args.unlock {
        verify_and_unlock(ctx, &args, key.as_deref(), passphrase.as_ref())?
    } else {
        let report =
            backup::verify_with_passphrase(&args.file, key.as_deref(), passphrase.as_ref());
        (report, None)
    };
    drop(passphrase);
    let json = args.json.then(|| {
        serde_json::json!({
            "file": args.file,
            "ok": report.ok() && unlock.as_ref().is_none_or(|u| u.0 == CheckStatus::Passed),
            "encrypted": report.encrypted,
            "key_fingerprint": report.key_fingerprint,
        })
    });
    print_checks(&report, unlock.clone(), json);
    if let Some((CheckStatus::Failed, detail)) = unlock {
        bail!(
            "{}: the vault inside did not open ({detail})",
            args.file.display()
        );
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
        let unsigned = report
            .checks
            .iter()
            .any(|c| c.name == backup::checks::SIGNATURE && c.status == CheckStatus::Skipped);
        if unsigned {
            say!(
                "The backup verified, except its signature: give the vault's backup_signing.pub \
                 (--public-key, or --data-dir of the vault) to check who made it."
            );
        } else {
            say!("The backup verified.");
        }
    }
    Ok(())
}

/// Verifies, then opens the vault inside in a private temporary
/// directory. Returns the report and the unlock step's outcome.
fn verify_and_unlock(
    ctx: &mut Ctx,
    args: &VerifyBackupArgs,
    key: Option<&std::path::Path>,
    passphrase: Option<&crate::core::secret::SecretString>,
) -> anyhow::Result<(VerifyReport, Option<(CheckStatus, String)>)> {
    let report = backup::verify_with_passphrase(&args.file, key, passphrase);
    if !report.ok() {
        let why = "the archive failed verification".to_owned();
        return Ok((report, Some((CheckStatus::Skipped, why))));
    }
    let scratch = tempfile::Builder::new().prefix("spm-verify-").tempdir()?;
    let credentials = Credentials {
        password: ctx
            .input
            .secret("Master password of the backup", "master password")?,
        key_file: ctx.key_file.clone(),
    };
    let target = Paths::portable(scratch.path());
    let keys = RestoreKeys {
        credentials: &credentials,
        passphrase,
    };
    match restore::stage_in(&args.file, key, &keys, &target, scratch.path()) {
        Ok(staged) => {
            let detail = format!(
                "opened with the master password: {}, {}",
                output::count(staged.entries, "entry", "entries"),
                output::count(staged.history, "history record", "history records")
            );
            Ok((staged.report, Some((CheckStatus::Passed, detail))))
        }
        Err(RestoreError::Verification { report }) => {
            let why = "the archive failed verification".to_owned();
            Ok((*report, Some((CheckStatus::Skipped, why))))
        }
        Err(RestoreError::Unlock { cause }) => {
            let why = format!(
                "{cause} (a backup opens with the master password, and key file, it was made \
                 with)"
            );
            Ok((report, Some((CheckStatus::Failed, why))))
        }
        Err(e @ RestoreError::Damaged { .. }) => {
            Ok((report, Some((CheckStatus::Failed, e.to_string()))))
        }
        Err(e) => Err(e.into()),
    }
}

/// Whether `restore`'s argument names a backup archive rather than an
/// entry: an existing file ending in `.zip` or `.zip.enc`.
pub fn names_backup(args: &RestoreArgs) -> bool {
    let path = std::path::Path::new(&args.target);
    let archive_name = args.target.ends_with(".zip") || args.target.ends_with(".zip.enc");
    archive_name && path.is_file()
}

#[derive(Serialize)]
struct RestoreJson<'a> {
    file: &'a std::path::Path,
    data_dir: &'a std::path::Path,
    entries: usize,
    history: usize,
    signature_checked: bool,
    key_fingerprint: &'a str,
    pre_restore: Option<&'a std::path::Path>,
}

/// `restore FILE`: verify and unlock the backup, then switch it in.
pub fn restore(ctx: &mut Ctx, args: RestoreArgs) -> anyhow::Result<()> {
    let file = std::path::PathBuf::from(&args.target);
    let target = match &args.target_dir {
        Some(dir) => Paths::portable(dir),
        None => ctx.paths.clone(),
    };
    let replacing = vault::exists(&target);
    if replacing && !args.yes && !ctx.input.interactive() {
        bail!(crate::cli::UsageError(format!(
            "{} holds a vault; restoring replaces it (its files are kept in pre-restore-…); \
             pass --yes to confirm when not on a terminal",
            target.data_dir.display()
        )));
    }
    target.ensure_dirs()?;
    // Hold the vault from the start: nobody writes while the backup is
    // checked, and a busy vault fails before any password is asked.
    let lock = VaultLock::acquire(&target.lock_file()).map_err(VaultError::from)?;
    // The passphrase opens the archive, the master password the vault in it.
    let passphrase = if backup::is_encrypted(&file) {
        Some(ctx.input.secret("Backup passphrase", "backup passphrase")?)
    } else {
        None
    };
    let credentials = Credentials {
        password: ctx
            .input
            .secret("Master password of the backup", "master password")?,
        key_file: ctx.key_file.clone(),
    };
    let key = public_key_for(&target, args.public_key.as_deref());
    let keys = RestoreKeys {
        credentials: &credentials,
        passphrase: passphrase.as_ref(),
    };
    let staged = match restore::stage(&file, key.as_deref(), &keys, &target) {
        Ok(staged) => staged,
        Err(e) => {
            crate::event!(
                error,
                crate::core::events::RESTORE_FAILED,
                "restore of {} refused: {e}",
                file.display()
            );
            if let RestoreError::Verification { report } = &e {
                let json = args
                    .json
                    .then(|| serde_json::json!({"file": file, "ok": false}));
                print_checks(report, None, json);
            }
            return Err(e.into());
        }
    };
    if !args.json {
        print_checks(&staged.report, None, None);
        describe(&staged);
    }
    if replacing && !args.yes {
        let question = format!(
            "Replace the vault in {} with this backup? Its current files are kept in \
             pre-restore-…",
            target.data_dir.display()
        );
        if !ctx.input.confirm(&question)? {
            say!("Nothing was restored.");
            return Ok(());
        }
    }
    let (entries, history) = (staged.entries, staged.history);
    let signature_checked = staged.signature_checked;
    let fingerprint = staged.vault_key_fingerprint.clone();
    let restored = restore::switch(staged, &target, &lock)?;
    drop(lock);
    if args.json {
        output::print_json(&RestoreJson {
            file: &file,
            data_dir: &target.data_dir,
            entries,
            history,
            signature_checked,
            key_fingerprint: &fingerprint,
            pre_restore: restored.pre_restore.as_deref(),
        });
        return Ok(());
    }
    say!(
        "Restored {} and {} into {}.",
        output::count(entries, "entry", "entries"),
        output::count(history, "history record", "history records"),
        output::printable(&target.data_dir.display().to_string())
    );
    if let Some(pre) = &restored.pre_restore {
        say!(
            "The previous files are in {}.",
            output::printable(&pre.display().to_string())
        );
    }
    Ok(())
}

/// What the staged backup holds, before it is switched in.
fn describe(staged: &Staged) {
    let manifest = &staged.manifest;
    say!(
        "passed   {UNLOCK_CHECK}: opened with the master password: {}, {}",
        output::count(staged.entries, "entry", "entries"),
        output::count(staged.history, "history record", "history records")
    );
    say!(
        "Backup taken {} by version {} (schema {}).",
        manifest.created_at,
        output::printable(&manifest.product_version),
        manifest.schema_version
    );
    if !staged.signature_checked {
        say!(
            "warning: the signature was not checked (no public key); the restored vault signs \
             with the key fingerprint {} — compare it with the one you recorded",
            staged.vault_key_fingerprint
        );
    }
    if staged.logs_left > 0 {
        say!(
            "The archive's {} stay in the archive; the live log is not replaced.",
            output::count(staged.logs_left, "log file", "log files")
        );
    }
}
