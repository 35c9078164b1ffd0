//! Optional OpenPGP signatures made with the user's own `gpg`.
//!
//! The Ed25519 `.sig` says which vault made a backup; a GPG signature
//! (`<archive>.asc`, ASCII-armored and detached) ties it to a person's key
//! that others may already know, and can be checked with nothing but gpg.
//! Signing is best effort: a backup without it is still a good backup, so
//! a missing gpg or a failed signature becomes a warning, never an error.
//!
//! gpg runs without a shell, its arguments passed one by one; the key id
//! is checked against a small alphabet first and paths are made absolute,
//! so nothing reaches gpg that it could read as an option. `--batch` keeps
//! it from asking anything; a run that still hangs is stopped after
//! [`TIMEOUT`].

use std::ffi::OsString;
use std::io::{Read, Seek};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use crate::core::fsio;
use crate::core::paths::sibling;

/// The suffix of the signature file beside an archive.
pub const ASC_SUFFIX: &str = ".asc";
/// The program run, looked up on `PATH`.
const PROGRAM: &str = "gpg";
/// How long one gpg run may take before it is stopped.
pub const TIMEOUT: Duration = Duration::from_secs(120);
/// The most of gpg's messages kept for an error.
const MAX_MESSAGES_BYTES: u64 = 64 * 1024;
/// The longest key id accepted (a user id with an e-mail address fits).
const MAX_KEY_ID_LEN: usize = 256;

/// Running gpg failed, or it refused.
#[derive(Debug, thiserror::Error)]
pub enum GpgError {
    /// No `gpg` program on `PATH`.
    #[error("gpg is not installed (there is no `gpg` on PATH)")]
    NotInstalled,
    /// The key id holds characters that are never part of one.
    #[error(
        "{0:?} is not a GPG key id, fingerprint or e-mail address (letters, digits and @ . _ + - \
         only, not starting with -)"
    )]
    BadKeyId(String),
    /// gpg ran and exited with an error.
    #[error("gpg exited with {status}: {message}")]
    Failed {
        /// Its exit status.
        status: ExitStatus,
        /// The last thing it said.
        message: String,
    },
    /// gpg did not finish in time and was stopped.
    #[error("gpg did not finish within {} seconds and was stopped", TIMEOUT.as_secs())]
    TimedOut,
    /// gpg could not be started or its output not read.
    #[error("could not run gpg: {0}")]
    Io(#[from] std::io::Error),
}

/// Whether `id` may be passed to gpg as a key id: a key id, fingerprint or
/// e-mail address made of letters, digits and `@ . _ + -`, not starting
/// with `-`.
pub fn valid_key_id(id: &str) -> bool {
    let safe = |c: char| c.is_ascii_alphanumeric() || "@._+-".contains(c);
    !id.is_empty() && id.len() <= MAX_KEY_ID_LEN && !id.starts_with('-') && id.chars().all(safe)
}

/// The `.asc` file that belongs beside `archive`.
pub fn signature_path(archive: &Path) -> PathBuf {
    sibling(archive, ASC_SUFFIX)
}

/// Writes `<archive>.asc`, a detached armored signature by `key_id`,
/// through a hidden temporary file renamed into place. Returns its path.
pub fn sign(archive: &Path, key_id: &str) -> Result<PathBuf, GpgError> {
    if !valid_key_id(key_id) {
        return Err(GpgError::BadKeyId(key_id.to_owned()));
    }
    let archive = std::path::absolute(archive)?;
    let target = signature_path(&archive);
    let dir = fsio::parent_dir(&archive);
    let name = target.file_name().unwrap_or_default().to_string_lossy();
    let temp = tempfile::Builder::new()
        .prefix(&format!(".{name}."))
        .suffix(".tmp")
        .tempfile_in(dir)?;
    let args: Vec<OsString> = vec![
        "--batch".into(),
        "--yes".into(),
        "--local-user".into(),
        key_id.into(),
        "--armor".into(),
        "--detach-sign".into(),
        "--output".into(),
        temp.path().into(),
        archive.clone().into(),
    ];
    run(&args)?;
    temp.persist_noclobber(&target).map_err(|e| e.error)?;
    Ok(target)
}

/// Checks `asc` as a detached signature of `archive`. Returns what gpg
/// said about the signer.
pub fn verify(asc: &Path, archive: &Path) -> Result<String, GpgError> {
    let args: Vec<OsString> = vec![
        "--batch".into(),
        "--verify".into(),
        std::path::absolute(asc)?.into(),
        std::path::absolute(archive)?.into(),
    ];
    let messages = run(&args)?;
    let good = messages.lines().find(|l| l.contains("Good signature"));
    Ok(good.map_or_else(|| last_line(&messages), |l| l.trim().to_owned()))
}

/// Runs gpg with `args`, its input closed, and returns what it wrote to
/// standard error.
fn run(args: &[OsString]) -> Result<String, GpgError> {
    // gpg may start gpg-agent, which can keep inherited pipes open long
    // after gpg exits; an unnamed file never waits for that.
    let mut messages = tempfile::tempfile()?;
    let spawned = Command::new(PROGRAM)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(messages.try_clone()?)
        .spawn();
    let mut child = match spawned {
        Ok(child) => child,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(GpgError::NotInstalled),
        Err(e) => return Err(e.into()),
    };

    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break status;
        }
        if started.elapsed() > TIMEOUT {
            let _ = child.kill();
            let _ = child.wait();
            return Err(GpgError::TimedOut);
        }
        std::thread::sleep(Duration::from_millis(20));
    };

    messages.rewind()?;
    let mut bytes = Vec::new();
    messages.take(MAX_MESSAGES_BYTES).read_to_end(&mut bytes)?;
    let text = String::from_utf8_lossy(&bytes).into_owned();
    if status.success() {
        Ok(text)
    } else {
        Err(GpgError::Failed {
            status,
            message: last_line(&text),
        })
    }
}

/// The last line gpg wrote that says something.
fn last_line(text: &str) -> String {
    let line = text.lines().rev().find(|l| !l.trim().is_empty());
    let line = line.unwrap_or("(it printed nothing)").trim();
    line.chars().take(300).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_ids_are_held_to_a_safe_alphabet() {
        for good in [
            "ABCDEF0123456789",
            "0xABCDEF01",
            "0123456789ABCDEF0123456789ABCDEF01234567",
            "backup.signer+home@example.org",
        ] {
            assert!(valid_key_id(good), "{good}");
        }
        for bad in [
            "",
            "-u",
            "--homedir=/tmp",
            "a b",
            "a;rm",
            "$(x)",
            "a\nb",
            "<test@example.org>",
            "ä@example.org",
        ] {
            assert!(!valid_key_id(bad), "{bad:?}");
        }
        assert!(!valid_key_id(&"a".repeat(MAX_KEY_ID_LEN + 1)));
    }

    #[test]
    fn a_bad_key_id_never_reaches_gpg() {
        let error = sign(Path::new("/nonexistent/backup.zip"), "--armor").unwrap_err();
        assert!(matches!(error, GpgError::BadKeyId(_)), "{error}");
    }

    #[test]
    fn the_last_line_is_what_gpg_said_last() {
        assert_eq!(last_line("gpg: one\ngpg: two\n\n"), "gpg: two");
        assert_eq!(last_line(""), "(it printed nothing)");
    }
}
