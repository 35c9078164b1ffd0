//! Everything that can go wrong opening or changing a vault.

use std::path::PathBuf;

use crate::core::fsio::FileError;
use crate::core::kdf::KdfError;
use crate::core::lock::LockError;
use crate::core::store::StoreError;

/// A vault operation failed; the message says what and what to do next.
#[derive(Debug, thiserror::Error)]
pub enum VaultError {
    /// There is no vault in the data directory.
    #[error("there is no vault in {}; create one with `password-manager init`", dir.display())]
    NoVault { dir: PathBuf },
    /// Some vault files are there but `auth.json` is not.
    #[error(
        "{} holds part of a vault ({present}) but no auth.json. An interrupted `init` leaves \
         this: if nothing was ever stored there, delete those files and run `init` again; \
         otherwise restore auth.json from a backup",
        dir.display()
    )]
    IncompleteVault { dir: PathBuf, present: String },
    /// Another process's unlock did not finish in time.
    #[error(
        "another Secure Password Manager process is unlocking this vault and has not finished \
         (it may be stopped or waiting for input); let it finish or end it, then try again"
    )]
    UnlockBusy,
    /// The attempt could not be counted, so the password was not checked.
    #[error(
        "unlocking was refused because the attempt could not be recorded ({error}); counting \
         attempts is what limits password guessing. Make the data directory writable and try \
         again"
    )]
    AttemptNotRecorded { error: FileError },
    /// `init` found an existing vault.
    #[error(
        "{} already exists, so a new vault was not created; use a different --data-dir \
         or move the old files away first",
        path.display()
    )]
    AlreadyExists { path: PathBuf },
    /// The master password (or key file) is wrong.
    #[error("{}", wrong_password_message(*.with_key_file, *.locked_for))]
    WrongPassword {
        /// Whether a key file took part (it may be the wrong one).
        with_key_file: bool,
        /// The lockout this failure started, in seconds.
        locked_for: Option<i64>,
    },
    /// Too many failures: unlocking is refused for a while.
    #[error(
        "too many failed unlock attempts (wrong master passwords or two-factor codes): \
         unlocking is refused for another {}; wait and try again",
        human_duration(*.remaining_secs)
    )]
    LockedOut { remaining_secs: i64 },
    /// The vault needs its key file and none was given.
    #[error(
        "this vault is protected by a key file as well as the master password; give the key \
         file too (--key-file PATH on the command line)"
    )]
    KeyFileRequired,
    /// The key file given cannot be read or is unfit.
    #[error(
        "the key file {} cannot be used: {reason}; check the key file's path",
        path.display()
    )]
    KeyFileUnusable { path: PathBuf, reason: String },
    /// A key file was given to a vault that does not use one.
    #[error("this vault does not use a key file; leave the key file out (--key-file)")]
    KeyFileNotUsed,
    /// A master password was empty or only whitespace.
    #[error("the master password must not be empty or only whitespace")]
    EmptyPassword,
    /// A file the vault needs is missing.
    #[error(
        "{} is missing, so the vault cannot be opened; restore it from a backup",
        path.display()
    )]
    MissingFile { path: PathBuf },
    /// A file the vault needs is unreadable.
    #[error(
        "{} is damaged ({detail}); nothing was changed. Restore the file from a backup",
        path.display()
    )]
    CorruptFile { path: PathBuf, detail: String },
    /// The key derivation parameters were refused.
    #[error(transparent)]
    Kdf(#[from] KdfError),
    /// Another process holds the writer lock.
    #[error(transparent)]
    Busy(#[from] LockError),
    /// A file could not be read or written.
    #[error(transparent)]
    File(#[from] FileError),
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// No entry matches the id or title.
    #[error("no entry matches {id:?}; `password-manager {listing}` shows ids and titles")]
    NotFound { id: String, listing: &'static str },
    /// Several entries match.
    #[error("{count} entries match {id:?}; use the id that `password-manager {listing}` shows")]
    Ambiguous {
        id: String,
        count: usize,
        listing: &'static str,
    },
    /// The entry's record failed its integrity check.
    #[error(
        "entry {id} failed its integrity check ({reason}); it cannot be shown or changed. \
         Restore the vault from a backup to recover it"
    )]
    Damaged { id: String, reason: String },
    /// The request does not make sense for this entry.
    #[error("{0}")]
    Invalid(String),
    /// Two-factor unlock is on and no code was given (the master password
    /// was right).
    #[error(
        "this vault asks for a two-factor code after the master password; enter the 6-digit code \
         from your authenticator app, or one of your recovery codes"
    )]
    SecondFactorRequired,
    /// The two-factor code was wrong or already used.
    #[error("{}", wrong_code_message(*.replayed, *.locked_for))]
    WrongSecondFactor {
        /// The code of a time step that was already used.
        replayed: bool,
        /// The lockout this failure started, in seconds.
        locked_for: Option<i64>,
    },
    /// `totp_config.json` could not be used.
    #[error(transparent)]
    TwoFactor(#[from] crate::core::two_factor::TwoFactorError),
}

fn wrong_code_message(replayed: bool, locked_for: Option<i64>) -> String {
    let what = if replayed {
        "that two-factor code was already used; wait for the next one"
    } else {
        "wrong two-factor code; check the authenticator app (and its clock), or use a recovery \
         code"
    };
    match locked_for {
        Some(secs) => format!(
            "{what}. After repeated failures unlocking is refused for {}",
            human_duration(secs)
        ),
        None => what.to_owned(),
    }
}

fn wrong_password_message(with_key_file: bool, locked_for: Option<i64>) -> String {
    let what = if with_key_file {
        "master password or key file"
    } else {
        "master password"
    };
    match locked_for {
        Some(secs) => format!(
            "wrong {what}; after repeated failures unlocking is refused for {}",
            human_duration(secs)
        ),
        None => format!("wrong {what}; check it and try again"),
    }
}

/// "45 s", "2 min 5 s", "1 h".
pub fn human_duration(secs: i64) -> String {
    let secs = secs.max(1);
    match (secs / 3600, (secs % 3600) / 60, secs % 60) {
        (0, 0, s) => format!("{s} s"),
        (0, m, 0) => format!("{m} min"),
        (0, m, s) => format!("{m} min {s} s"),
        (h, 0, _) => format!("{h} h"),
        (h, m, _) => format!("{h} h {m} min"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_naturally() {
        assert_eq!(human_duration(30), "30 s");
        assert_eq!(human_duration(60), "1 min");
        assert_eq!(human_duration(125), "2 min 5 s");
        assert_eq!(human_duration(3600), "1 h");
    }
}
