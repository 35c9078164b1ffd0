//! `init`, `generate`, `settings`, `doctor`, `paths`.

use crate::cli::output::{note, say};
use anyhow::bail;
use serde_json::json;

use crate::cli::UsageError;
use crate::cli::args::{GenerateArgs, InitArgs, SettingsCommand};
use crate::cli::context::Ctx;
use crate::cli::output;
use crate::core::doctor;
use crate::core::events;
use crate::core::generator::{self, PasswordPolicy};
use crate::core::kdf::KdfParams;
use crate::core::keys::KeyMode;
use crate::core::lock::VaultLock;
use crate::core::paths::Paths;
use crate::core::settings::Settings;
use crate::core::strength;
use crate::core::vault::rekey::KeyChange;
use crate::core::vault::{self, CreateOptions, Vault, VaultError};
use crate::event;

/// `init`.
pub fn init(ctx: &mut Ctx, args: InitArgs) -> anyhow::Result<()> {
    let mode_text = args.key_mode.unwrap_or_else(|| ctx.settings.key_mode());
    let key_mode: KeyMode = mode_text.parse().map_err(UsageError)?;
    let base = ctx.settings.kdf();
    let kdf = KdfParams::new(
        args.kdf_memory.unwrap_or(base.m_cost_kib),
        args.kdf_iterations.unwrap_or(base.t_cost),
        args.kdf_parallelism.unwrap_or(base.p_cost),
    )
    .map_err(|e| UsageError(e.to_string()))?;
    if vault::exists(&ctx.paths) {
        return Err(VaultError::AlreadyExists {
            path: ctx.paths.auth(),
        }
        .into());
    }
    if let Some(key_file) = &ctx.key_file {
        if key_mode == KeyMode::PasswordDerived {
            bail!(UsageError(
                "a key file needs the file-key mode, but the key mode here is \
                 password-derived (from --key-mode or key_management.mode); leave out \
                 --key-file or choose --key-mode file-key"
                    .into()
            ));
        }
        check_new_key_file(key_file, &ctx.paths)?;
    }

    ctx.create_dirs_and_log();
    ctx.paths.ensure_dirs()?;
    let lock = VaultLock::acquire(&ctx.paths.lock_file()).map_err(VaultError::from)?;
    let password = ctx.input.new_master_password()?;
    if password.is_blank() {
        return Err(VaultError::EmptyPassword.into());
    }
    let estimate = strength::estimate(&password, &["password", "manager", "vault"]);
    if estimate.is_weak() {
        note!(
            "warning: this master password is {} (estimated {} to crack offline).",
            estimate.label(),
            estimate.crack_time
        );
        if let Some(w) = &estimate.warning {
            note!("warning: {w}");
        }
        for s in &estimate.suggestions {
            note!("hint: {s}");
        }
        if ctx.input.interactive() && !ctx.input.confirm("Use this weak password anyway?")? {
            bail!("no vault was created; choose a longer or less predictable master password");
        }
    }

    let options = CreateOptions {
        key_mode,
        key_file: ctx.key_file.clone(),
        kdf,
    };
    let vault = Vault::create(&ctx.paths, &password, &options, Some(lock))?;
    for notice in vault.notices() {
        note!("warning: {notice}");
    }
    say!(
        "Created a vault in {} (key mode {key_mode}, Argon2id {} MiB, {}, {}).",
        ctx.paths.data_dir.display(),
        kdf.m_cost_kib / 1024,
        output::count(kdf.t_cost as usize, "pass", "passes"),
        output::count(kdf.p_cost as usize, "lane", "lanes")
    );
    if ctx.key_file.is_some() {
        say!(
            "Key protection is on: the vault opens only with the master password and this key \
             file. Keep a copy of the key file somewhere safe."
        );
    }
    Ok(())
}

/// Refuses, as a usage error, a key file that cannot join the master
/// password.
fn check_new_key_file(key_file: &std::path::Path, paths: &Paths) -> anyhow::Result<()> {
    vault::check_new_key_file(key_file, paths).map_err(|e| UsageError(e.to_string()).into())
}

/// `generate`.
pub fn generate(args: GenerateArgs) -> anyhow::Result<()> {
    let made = match args.passphrase {
        Some(words) => generator::passphrase(words, &args.separator),
        None => generator::password(&PasswordPolicy {
            length: args.length,
            digits: !args.no_digits,
            symbols: !args.no_symbols,
            exclude_ambiguous: args.exclude_ambiguous,
        }),
    };
    let secret = made.map_err(UsageError)?;
    say!("{}", secret.expose());
    Ok(())
}

/// `settings get` / `settings set`.
pub fn settings(ctx: &mut Ctx, command: SettingsCommand) -> anyhow::Result<()> {
    match command {
        SettingsCommand::Get { key: None } => {
            output::print_json(ctx.settings.effective());
        }
        SettingsCommand::Get { key: Some(key) } => {
            let value = ctx
                .settings
                .get(&key)
                .map_err(|e| UsageError(e.to_string()))?;
            match value.as_str() {
                Some(text) => say!("{}", output::printable(text)),
                None => say!("{}", serde_json::to_string_pretty(value)?),
            }
        }
        SettingsCommand::Set { key, value } => {
            ctx.create_dirs_and_log();
            ctx.paths.ensure_dirs()?;
            // Take turns with other processes changing settings, and reload
            // inside the turn, so no concurrent change is lost.
            let patience = std::time::Duration::from_secs(10);
            let _turn = crate::core::lock::lock_directory(&ctx.paths.config_dir, patience)
                .map_err(|_| {
                    anyhow::anyhow!(
                        "another process kept the settings busy for 10 s; try again in a moment"
                    )
                })?;
            let mut fresh: Settings = Settings::load(&ctx.paths.settings())?.settings;
            fresh
                .set(&key, &value)
                .map_err(|e| UsageError(e.to_string()))?;
            fresh.save(&ctx.paths.settings())?;
            event!(info, events::SETTINGS_CHANGED, "setting {key} changed");
            say!("{key} = {}", fresh.get(&key)?);
        }
    }
    Ok(())
}

/// `doctor`; fails (exit 1) when something needs attention.
pub fn doctor(paths: &Paths, json_out: bool) -> anyhow::Result<()> {
    let report = doctor::run(paths);
    let holder = report
        .lock_holder
        .map(|pid| pid.map_or("unknown pid".into(), |p| p.to_string()));
    event!(
        info,
        events::DOCTOR_REPORT,
        "doctor: healthy={} integrity_problems={} permission_fixes={} stray_files={}",
        report.healthy(),
        report.integrity_problems.len(),
        report.permission_fixes.len(),
        report.stray_files.len()
    );
    if json_out {
        output::print_json(&json!({
            "healthy": report.healthy(),
            "vault_present": report.vault_present,
            "schema_version": report.schema_version,
            "integrity_problems": report.integrity_problems,
            "database_error": report.database_error,
            "checkpoint": report.checkpoint.map(|c| json!({
                "busy": c.busy, "log_frames": c.log_frames,
                "checkpointed_frames": c.checkpointed_frames })),
            "wal_bytes_before_checkpoint": report.wal_bytes,
            "removed_temp_files": report.removed_temp_files,
            "permission_fixes": report.permission_fixes,
            "stray_files": report.stray_files.iter()
                .map(|(p, size)| json!({ "path": p, "bytes": size })).collect::<Vec<_>>(),
            "lock_holder": holder,
        }));
    } else {
        print_doctor(paths, &report, holder.as_deref());
    }
    if !report.healthy() {
        bail!("doctor found problems (listed above)");
    }
    Ok(())
}

fn print_doctor(paths: &Paths, report: &doctor::Report, holder: Option<&str>) {
    let ok = |good: bool| if good { "ok  " } else { "FAIL" };
    say!(
        "{} vault present in {}",
        ok(report.vault_present),
        output::printable(&paths.data_dir.display().to_string())
    );
    if let Some(v) = report.schema_version {
        say!("ok   schema version {v}");
    }
    if let Some(e) = &report.database_error {
        say!("FAIL database: {}", output::printable(e));
    }
    if report.database_error.is_none() && report.vault_present {
        say!(
            "{} integrity check",
            ok(report.integrity_problems.is_empty())
        );
        for p in &report.integrity_problems {
            say!("       {p}");
        }
    }
    if let Some(c) = report.checkpoint {
        let verdict = if c.busy {
            "busy (another process is using the vault)"
        } else {
            "done"
        };
        let wal = report.wal_bytes.map_or_else(
            || "no write-ahead log".to_owned(),
            |bytes| format!("write-ahead log of {bytes} bytes"),
        );
        say!(
            "{} WAL checkpoint: {verdict} ({wal}, {} frames copied)",
            ok(!c.busy),
            c.checkpointed_frames
        );
    }
    if report.permission_fixes.is_empty() {
        say!("ok   permissions are owner-only");
    }
    for fix in &report.permission_fixes {
        say!("WARN permissions: {}", output::printable(fix));
    }
    for path in &report.removed_temp_files {
        say!(
            "note removed {}, left by an interrupted save",
            output::printable(&path.display().to_string())
        );
    }
    for (path, size) in &report.stray_files {
        let shown = output::printable(&path.display().to_string());
        say!("note stray file {shown} ({size} bytes)");
    }
    match holder {
        Some(pid) => say!("note the vault is open for writing by pid {pid}"),
        None => say!("ok   no process holds the vault lock"),
    }
}

/// `paths`.
pub fn paths(paths: &Paths, json_out: bool) {
    let files = paths.named_files();
    if json_out {
        let map: serde_json::Map<String, serde_json::Value> = files
            .iter()
            .map(|n| (n.key.to_owned(), json!(n.path)))
            .chain([("layout".to_owned(), json!(paths.layout.as_str()))])
            .collect();
        output::print_json(&map);
        return;
    }
    let mut rows = vec![vec!["layout".to_owned(), paths.layout.as_str().to_owned()]];
    rows.extend(
        files
            .into_iter()
            .map(|n| vec![n.label.to_owned(), n.path.display().to_string()]),
    );
    output::print_table(&["WHAT", "WHERE"], &rows);
}

/// `passwd`: the current master password (and two-factor code), then the
/// new one.
pub fn passwd(ctx: &mut Ctx) -> anyhow::Result<()> {
    vault::check_present(&ctx.paths)?;
    // The writer lock keeps every other writer out until the change is in.
    let _lock = VaultLock::acquire(&ctx.paths.lock_file()).map_err(VaultError::from)?;
    let (current, code) = ctx.current_credentials("Current master password")?;
    let new_password = ctx.input.new_master_password()?;
    if new_password.is_blank() {
        return Err(VaultError::EmptyPassword.into());
    }
    vault::refuse_same_password(&current, &new_password)?;
    let estimate = strength::estimate(&new_password, &["password", "manager", "vault"]);
    if estimate.is_weak() {
        note!(
            "warning: the new master password is {} (estimated {} to crack offline).",
            estimate.label(),
            estimate.crack_time
        );
        if ctx.input.interactive() && !ctx.input.confirm("Use this weak password anyway?")? {
            bail!("the master password was not changed; choose a longer or less predictable one");
        }
    }
    let factor = code
        .as_ref()
        .map_or(vault::SecondFactor::Absent, vault::SecondFactor::Code);
    let bar = output::progress_bar(ctx.input.interactive(), "Re-encrypting");
    let done = vault::rekey::change_master_password(
        &ctx.paths,
        &current,
        factor,
        &new_password,
        None,
        &mut |done, total| bar.update(done, total),
    )?;
    bar.finish();
    say!("Master password changed.");
    if done.records > 0 {
        say!(
            "{} re-encrypted under the new derived key (password-derived mode).",
            output::count(done.records, "record", "records")
        );
    }
    if done.tokens_revoked > 0 {
        say!(
            "{} revoked: paired browser extensions must pair again.",
            output::count(
                done.tokens_revoked,
                "browser bridge token",
                "browser bridge tokens"
            )
        );
    }
    say!(
        "Backups made before this change still open with the previous master password; make a \
         new backup now ({}).",
        ctx.command("backup")
    );
    Ok(())
}

/// `key rotate [--prune-old-backups]`.
pub fn key_rotate(ctx: &mut Ctx, prune_old_backups: bool) -> anyhow::Result<()> {
    vault::check_present(&ctx.paths)?;
    let _lock = VaultLock::acquire(&ctx.paths.lock_file()).map_err(VaultError::from)?;
    let (current, code) = ctx.current_credentials("Master password")?;
    let factor = code
        .as_ref()
        .map_or(vault::SecondFactor::Absent, vault::SecondFactor::Code);
    let backups_dir = ctx.settings.backups_dir(&ctx.paths);
    let before = crate::core::backup::retention::list(&backups_dir);
    let bar = output::progress_bar(ctx.input.interactive(), "Re-encrypting");
    let rotated =
        vault::rekey::rotate_data_key(&ctx.paths, &current, factor, &mut |done, total| {
            bar.update(done, total)
        })?;
    bar.finish();
    say!(
        "Data key rotated to version {}: {} re-encrypted.",
        rotated.key_version,
        output::count(rotated.records, "record", "records")
    );
    say!(
        "Backups are now signed with the key fingerprint {}.",
        rotated.signing_fingerprint
    );
    if before.is_empty() {
        return Ok(());
    }
    if prune_old_backups {
        // A fresh backup under the new key first, so pruning never leaves
        // none at all.
        let vault = Vault::unlock_with(
            &ctx.paths,
            &current,
            vault::SecondFactor::NotChecked,
            None,
            vault::HistoryPolicy::default(),
        )?;
        let options = crate::core::backup::BackupOptions {
            include_breach_cache: false,
            include_logs: false,
            encryption: None,
            gpg_key_id: ctx.settings.backup_gpg_key_id(),
        };
        let fresh = crate::core::backup::create(&vault, &backups_dir, &options).map_err(|e| {
            anyhow::anyhow!(
                "the key was rotated, but the new backup failed: {e}; the old backups were kept \
                 (run `{}`, then prune them)",
                ctx.command("backup")
            )
        })?;
        drop(vault);
        say!(
            "Backup written under the new key: {}.",
            output::printable(&fresh.path.display().to_string())
        );
        let mut removed = 0;
        for found in &before {
            for file in crate::core::backup::retention::with_side_files(&found.path) {
                match std::fs::remove_file(&file) {
                    Ok(()) => {}
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                    Err(e) => bail!("could not delete {}: {e}", file.display()),
                }
            }
            removed += 1;
        }
        say!(
            "Deleted {} made under the old key.",
            output::count(removed, "backup", "backups")
        );
    } else {
        say!(
            "{} made before the rotation still open with the old key and the master password of \
             their time. Make a fresh backup now ({}); if the old key may be exposed, then \
             delete the old ones with their .sha256, .sig and .asc files.",
            output::count(before.len(), "backup", "backups"),
            ctx.command("backup")
        );
    }
    Ok(())
}

/// Asks for the master password (and two-factor code) once `change`
/// applies to the vault, then makes it, with progress on a terminal.
fn run_key_change(ctx: &mut Ctx, change: &KeyChange) -> anyhow::Result<vault::rekey::KeysChanged> {
    vault::check_present(&ctx.paths)?;
    if let KeyChange::Protect(key_file) = change {
        check_new_key_file(key_file, &ctx.paths)?;
    }
    let _lock = VaultLock::acquire(&ctx.paths.lock_file()).map_err(VaultError::from)?;
    // Refused before the password is asked for when it cannot apply.
    vault::rekey::plan_key_change(&ctx.paths, change)?;
    let (current, code) = ctx.current_credentials("Master password")?;
    let factor = code
        .as_ref()
        .map_or(vault::SecondFactor::Absent, vault::SecondFactor::Code);
    let bar = output::progress_bar(ctx.input.interactive(), "Re-encrypting");
    let done = vault::rekey::change_keys(&ctx.paths, &current, factor, change, &mut |d, t| {
        bar.update(d, t)
    })?;
    bar.finish();
    Ok(done)
}

/// `key mode file-key|password-derived`.
pub fn key_mode(ctx: &mut Ctx, mode: &str) -> anyhow::Result<()> {
    let mode: KeyMode = mode.parse().map_err(UsageError)?;
    let done = run_key_change(ctx, &KeyChange::Mode(mode))?;
    say!(
        "The vault is in {mode} mode now; {} re-encrypted.",
        output::count(done.records, "record", "records")
    );
    say!(
        "Backups made before still open as they were made (with the key mode and master \
         password of their time)."
    );
    Ok(())
}

/// `key protect --key-file PATH`: the global flag names the new key file
/// (the vault opens without one until this is done).
pub fn key_protect(ctx: &mut Ctx) -> anyhow::Result<()> {
    let Some(key_file) = ctx.key_file.take() else {
        return Err(UsageError(
            "name the key file to add with --key-file PATH (at least 32 bytes; random data is \
             best)"
                .to_owned(),
        )
        .into());
    };
    let done = run_key_change(ctx, &KeyChange::Protect(key_file.clone()))?;
    say!(
        "Key protection is on: {} must join the master password from now on (pass it with \
         --key-file). Keep a copy of it apart from the vault; without it the vault does not open.",
        key_file.display()
    );
    say!(
        "{} re-encrypted: the data key was only re-wrapped. Backups made before open without the \
         key file, with the master password of their time.",
        output::count(done.records, "record", "records")
    );
    Ok(())
}

/// `key unprotect` (the global --key-file names the key file in use).
pub fn key_unprotect(ctx: &mut Ctx) -> anyhow::Result<()> {
    let done = run_key_change(ctx, &KeyChange::Unprotect)?;
    say!("Key protection is off: the master password alone opens the vault.");
    say!(
        "{} re-encrypted: the data key was only re-wrapped. Backups made while the key file was \
         required still need it.",
        output::count(done.records, "record", "records")
    );
    Ok(())
}
