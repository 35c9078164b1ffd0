//! What every command shares: paths, settings, secret input, unlocking.

use crate::cli::output::note;
use std::path::PathBuf;

use crate::cli::input::SecretInput;
use crate::core::backup::BackupError;
use crate::core::backup::auto::{self, AutoOutcome};
use crate::core::lock::VaultLock;
use crate::core::paths::Paths;
use crate::core::secret::SecretString;
use crate::core::settings::Settings;
use crate::core::two_factor;
use crate::core::vault::{self, Credentials, HistoryPolicy, SecondFactor, Vault, VaultError};

/// State for one command run.
pub struct Ctx {
    /// Where files live.
    pub paths: Paths,
    /// The global --key-file flag.
    pub key_file: Option<PathBuf>,
    /// Where secrets come from.
    pub input: SecretInput,
    /// Loaded settings.
    pub settings: Settings,
    /// An automatic backup running beside a writing command.
    pub auto_backup: Option<AutoBackup>,
}

/// An automatic backup on its own thread.
pub type AutoBackup = std::thread::JoinHandle<Result<AutoOutcome, BackupError>>;

/// Whether the command changes the vault (and so needs the writer lock).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Reading only; works while another process writes.
    Read,
    /// Writing; one process at a time.
    Write,
}

impl Ctx {
    /// Creates the data directories and starts the log file (idempotent).
    pub fn create_dirs_and_log(&self) {
        crate::cli::logging::start_once(&self.paths);
    }

    /// Asks for the master password and unlocks the vault.
    pub fn unlock(&mut self, access: Access) -> anyhow::Result<Vault> {
        vault::check_present(&self.paths)?;
        // Take the lock before asking anything, so a busy vault fails at once.
        let lock = match access {
            Access::Write => {
                Some(VaultLock::acquire(&self.paths.lock_file()).map_err(VaultError::from)?)
            }
            Access::Read => None,
        };
        let password = self.input.secret("Master password", "master password")?;
        let credentials = Credentials {
            password,
            key_file: self.key_file.clone(),
        };
        let policy = HistoryPolicy::from_settings(&self.settings);
        let vault = self.unlock_with_factor(&credentials, lock, policy)?;
        for notice in vault.notices() {
            note!("warning: {notice}");
        }
        if access == Access::Write {
            self.start_auto_backup(&vault);
        }
        Ok(vault)
    }

    /// Checks the master password (and the two-factor code when that is on)
    /// without opening the records: for commands that grant trust, such as
    /// pairing a browser or approving a site ahead of time.
    pub fn check_master_password(&mut self) -> anyhow::Result<()> {
        vault::check_present(&self.paths)?;
        let (credentials, code) = self.current_credentials("Master password")?;
        if let Some(code) = &code {
            vault::authenticate_with(&self.paths, &credentials, SecondFactor::Code(code))?;
        }
        Ok(())
    }

    /// The master password, checked, and (only when two-factor unlock is
    /// on, and only after the password proved right) a code, not yet
    /// checked: for operations that check it themselves as they change
    /// the key files. `prompt` names the password on a terminal.
    pub fn current_credentials(
        &mut self,
        prompt: &str,
    ) -> anyhow::Result<(Credentials, Option<SecretString>)> {
        let password = self.input.secret(prompt, "master password")?;
        let credentials = Credentials {
            password,
            key_file: self.key_file.clone(),
        };
        match vault::authenticate(&self.paths, &credentials) {
            Ok(_) => Ok((credentials, None)),
            Err(VaultError::SecondFactorRequired) => {
                let code = self
                    .input
                    .secret("Two-factor code (or a recovery code)", "two-factor code")?;
                Ok((credentials, Some(code)))
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Unlocks; when the vault has two-factor unlock on, the code is asked
    /// for after the password is verified (the next stdin line when not on
    /// a terminal).
    fn unlock_with_factor(
        &mut self,
        credentials: &Credentials,
        lock: Option<VaultLock>,
        policy: HistoryPolicy,
    ) -> anyhow::Result<Vault> {
        if !two_factor::is_enabled(&self.paths) {
            return Ok(Vault::unlock(&self.paths, credentials, lock, policy)?);
        }
        match vault::authenticate(&self.paths, credentials) {
            Err(VaultError::SecondFactorRequired) => {}
            Err(e) => return Err(e.into()),
            // Two-factor unlock was turned off meanwhile: unlock anew below
            // without a code.
            Ok(_) => return Ok(Vault::unlock(&self.paths, credentials, lock, policy)?),
        }
        let code = self
            .input
            .secret("Two-factor code (or a recovery code)", "two-factor code")?;
        let factor = SecondFactor::Code(&code);
        Ok(Vault::unlock_with(
            &self.paths,
            credentials,
            factor,
            lock,
            policy,
        )?)
    }

    /// How to run `command` on this same vault, for hints: with
    /// `--data-dir` when the data directory was chosen by flag or
    /// environment (copied as shown, the hint must not reach another vault).
    pub fn command(&self, command: &str) -> String {
        if self.paths.layout != crate::core::paths::Layout::Portable {
            return format!("password-manager {command}");
        }
        let dir = self.paths.data_dir.display().to_string();
        let safe = |c: char| c.is_ascii_alphanumeric() || "/._-+,:@=".contains(c);
        let shown = if !dir.is_empty() && dir.chars().all(safe) {
            dir
        } else {
            format!("'{}'", dir.replace('\'', "'\\''"))
        };
        format!(
            "password-manager --data-dir {} {command}",
            crate::cli::output::printable(&shown)
        )
    }

    /// Starts an automatic backup when one is due (`backup.auto`); it runs
    /// beside the command, which waits for it before exiting.
    fn start_auto_backup(&mut self, vault: &Vault) {
        let policy = self.settings.backup_auto();
        let dir = self.settings.backups_dir(&self.paths);
        // An empty vault has nothing to keep: its backup would only
        // postpone the first one worth having by a whole interval.
        if self.auto_backup.is_some()
            || vault.entries().is_empty()
            || !auto::due(&dir, &policy, chrono::Utc::now())
        {
            return;
        }
        let source = vault.backup_source();
        let spawned = std::thread::Builder::new()
            .name("auto-backup".to_owned())
            .spawn(move || auto::run_in(&source, &dir, &policy));
        match spawned {
            Ok(handle) => self.auto_backup = Some(handle),
            Err(e) => note!("warning: could not start the automatic backup: {e}"),
        }
    }

    /// Waits for an automatic backup started by this command and reports
    /// a failure (a success is only logged).
    pub fn finish_auto_backup(&mut self) {
        let Some(handle) = self.auto_backup.take() else {
            return;
        };
        match handle.join() {
            Ok(Ok(_)) => {}
            Ok(Err(e)) => note!(
                "warning: the automatic backup failed: {e}; run `{}` to retry, or set \
                 backup.auto to false",
                self.command("backup")
            ),
            Err(_) => note!("warning: the automatic backup stopped unexpectedly"),
        }
    }
}
