//! The command line: parses arguments, reads secrets, calls the vault core,
//! prints results and maps failures to exit codes.
//!
//! This is an edge in the logging policy: every error that ends a command is
//! logged here once (`COMMAND_FAILED`) and printed once to stderr.

mod args;
mod commands;
mod context;
mod input;
mod logging;
mod output;

use crate::cli::output::note;
use std::process::ExitCode;

use clap::Parser;

use crate::core::events;
use crate::core::exchange::ExchangeError;
use crate::core::hardening;
use crate::core::lock::LockError;
use crate::core::paths::Paths;
use crate::core::settings::Settings;
use crate::core::vault::VaultError;
use crate::event;
use args::{Cli, Command};
use commands::{admin, audit, backup, bridge, entries, exchange, kdf, totp};
use context::Ctx;

/// Exit status for success.
pub const EXIT_OK: u8 = 0;
/// Exit status for an error.
pub const EXIT_ERROR: u8 = 1;
/// Exit status for a usage error.
pub const EXIT_USAGE: u8 = 2;
/// Exit status for a failed authentication.
pub const EXIT_AUTH: u8 = 3;
/// Exit status while locked out.
pub const EXIT_LOCKED_OUT: u8 = 4;
/// Exit status when another process holds the vault.
pub const EXIT_BUSY: u8 = 5;

/// Exit status of `audit` when it found something to fix.
pub const EXIT_FINDINGS: u8 = 6;

/// The command worked and its result is an exit status other than 0 (the
/// audit's findings): nothing more is printed.
#[derive(Debug, thiserror::Error)]
#[error("exit status {0}")]
pub struct ExitStatus(pub u8);

/// A mistake in how the command was called (exit status 2).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

/// Runs the command line and returns the process exit code.
pub fn run() -> ExitCode {
    hardening::restrict_new_files();
    restore_default_sigpipe();
    let cli = Cli::parse();
    // No command (a double-click) opens the window.
    let command = match cli.command {
        Some(command) => command,
        None if cli.refresh_breach_cache => Command::Breach(args::BreachCommand::Refresh),
        None => Command::Gui,
    };
    if let Command::Generate(args) = command {
        return finish(admin::generate(args));
    }

    let paths = match Paths::resolve(cli.data_dir.as_deref()) {
        Ok(p) => p,
        Err(e) => return finish(Err(e.into())),
    };
    if let Command::Paths(a) = &command {
        admin::paths(&paths, a.json);
        return ExitCode::from(EXIT_OK);
    }

    // Log beside an existing vault. A command that finds none (a mistyped
    // --data-dir, say) creates nothing there; `init` and `settings set`
    // start logging once they have created the directories.
    if paths.auth().exists() || matches!(command, Command::Gui) {
        logging::start_once(&paths);
    }

    // A master password change or a restore killed while switching files
    // is finished before anything reads them.
    match crate::core::vault::rekey::finish_interrupted(&paths) {
        Ok(Some(done)) => note!("{done}"),
        Ok(None) => {}
        Err(e) => note!("warning: {e}"),
    }
    match crate::core::backup::restore::finish_interrupted(&paths) {
        Ok(Some(done)) => note!("{done}"),
        Ok(None) => {}
        Err(e) => note!("warning: {e}"),
    }

    let loaded = match Settings::load(&paths.settings()) {
        Ok(l) => l,
        Err(e) => return finish(Err(e.into())),
    };
    for warning in &loaded.warnings {
        event!(warn, events::SETTINGS_INVALID, "{warning}");
        note!("warning: {warning}");
    }
    let mut ctx = Ctx {
        paths,
        key_file: cli.key_file,
        input: input::SecretInput::new(),
        settings: loaded.settings,
        auto_backup: None,
    };
    let result = dispatch(&mut ctx, command);
    ctx.finish_auto_backup();
    finish(result)
}

/// Lets a closed pipe (`password-manager list | head -1`) end the process
/// quietly, as it does for other command-line tools, instead of making
/// every print fail.
fn restore_default_sigpipe() {
    // SAFETY: installing the default disposition for SIGPIPE touches no memory.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

fn dispatch(ctx: &mut Ctx, command: Command) -> anyhow::Result<()> {
    match command {
        Command::Init(a) => admin::init(ctx, a),
        Command::Add(a) => entries::add(ctx, a),
        Command::List(a) => entries::list(ctx, a),
        Command::Show(a) => entries::show(ctx, a),
        Command::Edit(a) => entries::edit(ctx, a),
        Command::Rm(a) => entries::remove(ctx, &a.id),
        Command::Restore(a) if backup::names_backup(&a) => backup::restore(ctx, a),
        Command::Restore(a) => {
            if a.target_dir.is_some() || a.public_key.is_some() {
                return Err(UsageError(format!(
                    "{} is not a backup archive (an existing .zip or .zip.enc file)",
                    a.target
                ))
                .into());
            }
            entries::restore(ctx, &a.target)
        }
        Command::Trash(c) => entries::trash(ctx, c),
        Command::History(a) => entries::history(ctx, a),
        Command::Categories(a) => entries::categories(ctx, a.json),
        Command::Import(a) => exchange::import(ctx, a),
        Command::Merge(a) => exchange::merge(ctx, a),
        Command::Export(a) => exchange::export(ctx, a),
        Command::Audit(a) => audit::audit(ctx, a),
        Command::Breach(args::BreachCommand::Refresh) => audit::refresh(ctx),
        Command::Bridge(c) => bridge::bridge(ctx, c),
        Command::Passwd => admin::passwd(ctx),
        Command::Key(args::KeyCommand::Rotate { prune_old_backups }) => {
            admin::key_rotate(ctx, prune_old_backups)
        }
        Command::Key(args::KeyCommand::Mode { mode }) => admin::key_mode(ctx, &mode),
        Command::Key(args::KeyCommand::Protect) => admin::key_protect(ctx),
        Command::Key(args::KeyCommand::Unprotect) => admin::key_unprotect(ctx),
        Command::Totp(c) => totp::totp(ctx, c),
        Command::Kdf(c) => kdf::kdf(ctx, c),
        Command::Backup(a) => backup::backup(ctx, a),
        Command::VerifyBackup(a) => backup::verify_backup(ctx, a),
        Command::Gui => crate::ui::run(ctx.paths.clone()).map_err(anyhow::Error::from),
        Command::Settings(c) => admin::settings(ctx, c),
        Command::Doctor(a) => admin::doctor(&ctx.paths, a.json),
        Command::Paths(a) => {
            admin::paths(&ctx.paths, a.json);
            Ok(())
        }
        Command::Generate(a) => admin::generate(a),
    }
}

fn finish(result: anyhow::Result<()>) -> ExitCode {
    // Output that could not be written is a failure too, even when the
    // work itself succeeded: a script must not take a silent exit 0.
    let result = result.and_then(|()| match output::take_output_error() {
        Some(e) => Err(anyhow::anyhow!("could not write the output: {e}")),
        None => Ok(()),
    });
    let Err(error) = result else {
        return ExitCode::from(EXIT_OK);
    };
    if let Some(ExitStatus(code)) = error.downcast_ref::<ExitStatus>() {
        return ExitCode::from(*code);
    }
    let code = exit_code(&error);
    event!(
        error,
        events::COMMAND_FAILED,
        "exit {code}: {}",
        log_summary(&error)
    );
    note!("error: {}", output::printable(&message(&error)));
    ExitCode::from(code)
}

/// The error and its causes, joined by ": ", leaving out a cause whose
/// words the message already holds (many messages quote their cause).
fn message(error: &anyhow::Error) -> String {
    let mut text = String::new();
    for cause in error.chain() {
        let part = cause.to_string();
        if text.is_empty() {
            text = part;
        } else if !text.contains(&part) {
            text.push_str(": ");
            text.push_str(&part);
        }
    }
    text
}

/// What the log may say about a failure. The terminal gets the full
/// message, but that can quote what the user typed (an id that may be a
/// title, a flag's value), so the log keeps to messages built only from
/// file paths and fixed text.
fn log_summary(error: &anyhow::Error) -> String {
    if error.downcast_ref::<UsageError>().is_some() {
        return "usage error".to_owned();
    }
    if let Some(e) = error.downcast_ref::<VaultError>() {
        return match e {
            VaultError::NotFound { .. } => "no entry matched the given id".to_owned(),
            VaultError::Ambiguous { count, .. } => format!("the given id matched {count} entries"),
            VaultError::Invalid(_) => "the request was refused as invalid".to_owned(),
            other => other.to_string(),
        };
    }
    for known in error.chain() {
        if known.is::<crate::core::store::StoreError>()
            || known.is::<crate::core::fsio::FileError>()
            || known.is::<LockError>()
            || known.is::<crate::core::settings::SettingsError>()
            || known.is::<crate::core::exchange::ExchangeError>()
        {
            return known.to_string();
        }
    }
    "the command failed (its message went to standard error)".to_owned()
}

fn exit_code(error: &anyhow::Error) -> u8 {
    if error.downcast_ref::<UsageError>().is_some() {
        return EXIT_USAGE;
    }
    if let Some(LockError::Busy { .. }) = error.downcast_ref::<LockError>() {
        return EXIT_BUSY;
    }
    let vault_error = error.downcast_ref::<VaultError>().or_else(|| {
        match error.downcast_ref::<crate::core::backup::restore::RestoreError>() {
            Some(crate::core::backup::restore::RestoreError::Unlock { cause }) => Some(cause),
            _ => None,
        }
    });
    match vault_error {
        Some(VaultError::WrongPassword { .. })
        | Some(VaultError::WrongSecondFactor { .. })
        | Some(VaultError::SecondFactorRequired)
        | Some(VaultError::KeyFileRequired)
        | Some(VaultError::KeyFileNotUsed)
        | Some(VaultError::KeyFileUnusable { .. }) => EXIT_AUTH,
        Some(VaultError::LockedOut { .. }) => EXIT_LOCKED_OUT,
        Some(VaultError::Busy(LockError::Busy { .. })) | Some(VaultError::UnlockBusy) => EXIT_BUSY,
        Some(VaultError::Invalid(_)) => EXIT_USAGE,
        _ => match error.downcast_ref::<ExchangeError>() {
            Some(ExchangeError::WrongKey { .. }) | Some(ExchangeError::NeedsKey { .. }) => {
                EXIT_AUTH
            }
            _ => EXIT_ERROR,
        },
    }
}
