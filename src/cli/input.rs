//! Reading secrets: without echo from a terminal, one line each from a pipe.

use std::io::{self, BufRead, IsTerminal, Read, Write};

use anyhow::{Context, bail};
use zeroize::Zeroize;

use crate::cli::UsageError;
use crate::core::secret::SecretString;

/// Longest secret line accepted from standard input (64 KiB).
const MAX_SECRET_LINE: usize = 64 * 1024;

/// Where secrets come from for this run.
pub struct SecretInput {
    interactive: bool,
}

impl SecretInput {
    /// Chooses terminal prompts or stdin lines by what stdin is.
    pub fn new() -> Self {
        Self {
            interactive: io::stdin().is_terminal(),
        }
    }

    /// Whether a person can be asked questions.
    pub fn interactive(&self) -> bool {
        self.interactive
    }

    /// Reads one secret. `prompt` is shown on a terminal; `what` names the
    /// secret in errors ("the master password").
    pub fn secret(&mut self, prompt: &str, what: &str) -> anyhow::Result<SecretString> {
        if self.interactive {
            let value = rpassword::prompt_password(format!("{prompt}: "))
                .with_context(|| format!("could not read the {what} from the terminal"))?;
            return Ok(SecretString::new(value));
        }
        let mut line = String::with_capacity(256);
        let read = io::stdin()
            .lock()
            .take(MAX_SECRET_LINE as u64 + 2)
            .read_line(&mut line)
            .with_context(|| format!("could not read the {what} from standard input"))?;
        if read == 0 {
            bail!(
                "standard input ended before the {what}; pipe one line per secret \
                 (see `password-manager --help`)"
            );
        }
        let content = line.trim_end_matches(['\n', '\r']).len();
        let cut_short = !line.ends_with('\n') && read == MAX_SECRET_LINE + 2;
        if content > MAX_SECRET_LINE || cut_short {
            line.zeroize();
            bail!("the {what} on standard input is longer than {MAX_SECRET_LINE} bytes");
        }
        let trimmed = line.trim_end_matches(['\n', '\r']).to_owned();
        line.zeroize();
        Ok(SecretString::new(trimmed))
    }

    /// Reads a new master password: twice on a terminal, once from a pipe.
    pub fn new_master_password(&mut self) -> anyhow::Result<SecretString> {
        let first = self.secret("New master password", "new master password")?;
        if self.interactive {
            let again = self.secret("Repeat the master password", "repeated master password")?;
            if !first.ct_eq(&again) {
                bail!("the two master passwords differ; type the same one twice");
            }
        }
        Ok(first)
    }

    /// Reads a new backup passphrase (for `backup --encrypt`): twice on a
    /// terminal, once from a pipe (the line after the master password).
    /// An empty passphrase is refused.
    pub fn new_backup_passphrase(&mut self) -> anyhow::Result<SecretString> {
        let what = "backup passphrase";
        let first = self.secret("New backup passphrase", what)?;
        if first.is_empty() {
            bail!(UsageError(
                "the backup passphrase cannot be empty; nothing was written".to_owned()
            ));
        }
        if self.interactive {
            let again = self.secret("Repeat the backup passphrase", what)?;
            if !first.ct_eq(&again) {
                bail!(UsageError(
                    "the two backup passphrases differ; nothing was written".to_owned()
                ));
            }
        }
        Ok(first)
    }

    /// Asks a yes/no question on the terminal (default no).
    pub fn confirm(&mut self, question: &str) -> anyhow::Result<bool> {
        if !self.interactive {
            return Ok(false);
        }
        let mut err = io::stderr().lock();
        let _ = write!(err, "{question} [y/N] ");
        let _ = err.flush();
        let mut answer = String::new();
        io::stdin().lock().read_line(&mut answer)?;
        Ok(matches!(
            answer.trim().to_ascii_lowercase().as_str(),
            "y" | "yes"
        ))
    }
}
