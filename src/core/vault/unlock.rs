//! Checking a master password (and key file) and unwrapping the data keys.
//!
//! Attempts are serialised across processes by a lock on the data
//! directory, and each attempt is counted in `auth.json` *before* it is
//! checked. So parallel guesses each see the count the previous one left,
//! and killing a process mid-check does not erase its guess. If the count
//! cannot be saved, the password is not checked at all.

use std::path::Path;
use std::time::Duration;

use super::{VaultError, key_file_location};
use crate::core::auth::AuthFile;
use crate::core::events;
use crate::core::fsio;
use crate::core::hardening;
use crate::core::kdf::{self, SaltFile};
use crate::core::keys::{KeyFile, KeyMode, Keyring};
use crate::core::lock;
use crate::core::paths::Paths;
use crate::core::secret::SecretBytes;
use crate::core::secret::{Key256, SecretString};
use crate::core::time;
use crate::core::two_factor::{self, Refused};
use crate::event;

use super::Credentials;

/// The name the migrating key file's wraps are bound to.
pub(crate) const MIGRATING_NAME: &str = "secret.key.migrating";

/// What an unlock does about two-factor unlock.
#[derive(Clone, Copy)]
pub enum SecondFactor<'a> {
    /// No code at hand: a vault with two-factor unlock answers
    /// [`VaultError::SecondFactorRequired`] once the password is verified,
    /// without counting the attempt.
    Absent,
    /// A TOTP code or a recovery code.
    Code(&'a SecretString),
    /// Not asked: a backup's master password is being checked, and nothing
    /// of the vault is shown (the files and the password open it anyway).
    NotChecked,
}

/// What a successful check yields.
pub struct Unlocked {
    /// The data keys.
    pub keys: Keyring,
    /// The key of `totp_config.json` ([`two_factor::file_key`]).
    pub two_factor_key: Key256,
    /// The key that wraps the data keys in the key file.
    pub(crate) kek: Key256,
    /// The digest of the key file that opened the vault, if one did: a key
    /// change derives the new keys from these very bytes, not from a
    /// second read that may differ.
    pub(crate) key_file_digest: Option<SecretBytes>,
}

/// Checks the credentials (no second factor) and returns the data keys.
pub fn authenticate(paths: &Paths, credentials: &Credentials) -> Result<Keyring, VaultError> {
    authenticate_with(paths, credentials, SecondFactor::Absent).map(|u| u.keys)
}

/// How long an unlock waits for another process's unlock to finish.
const UNLOCK_PATIENCE: Duration = Duration::from_secs(30);

/// Checks the credentials and, when two-factor unlock is on, the second
/// factor; returns the unwrapped data keys. Records the attempt in
/// `auth.json` (failure counter, lockout, last login): a wrong password
/// and a wrong code each count once, and only a complete unlock clears the
/// count.
pub fn authenticate_with(
    paths: &Paths,
    credentials: &Credentials,
    factor: SecondFactor<'_>,
) -> Result<Unlocked, VaultError> {
    hardening::protect_process_memory();
    if !paths.auth().exists() {
        return Err(missing_vault(paths));
    }
    // Read the key file before taking a turn: it may sit on a slow stick.
    let digest = credentials
        .key_file
        .as_deref()
        .map(|path| read_key_file(path, 0))
        .transpose()?;
    let _turn = lock::lock_directory(&paths.data_dir, UNLOCK_PATIENCE).map_err(|e| match e {
        lock::LockError::Busy { .. } => VaultError::UnlockBusy,
        lock::LockError::File(e) => VaultError::File(e),
    })?;

    // A master password change killed half-way is finished (or undone)
    // before its files are read.
    super::rekey::finish_interrupted_in_turn(paths)?;
    let auth_path = paths.auth();
    let auth_bytes = fsio::read_optional(&auth_path)?.ok_or_else(|| missing_vault(paths))?;
    let mut auth = AuthFile::parse(&auth_bytes).map_err(|detail| VaultError::CorruptFile {
        path: auth_path.clone(),
        detail,
    })?;
    let salt_path = paths.salt();
    let salt_bytes = fsio::read_optional(&salt_path)?.ok_or_else(|| VaultError::MissingFile {
        path: salt_path.clone(),
    })?;
    let corrupt_salt = |detail: String| VaultError::CorruptFile {
        path: salt_path.clone(),
        detail,
    };
    let salt = SaltFile::parse(&salt_bytes).map_err(corrupt_salt)?;
    let salt_value = salt.salt_bytes().map_err(corrupt_salt)?;
    // A damaged salt would make every password look wrong and lock the
    // owner out; the digest in auth.json tells the two apart.
    if !auth.matches_salt(&salt) {
        return Err(corrupt_salt(
            "its salt or parameters differ from the ones this vault was created with".into(),
        ));
    }

    match (auth.key_file_required, &digest) {
        (true, None) => return Err(VaultError::KeyFileRequired),
        (false, Some(_)) => return Err(VaultError::KeyFileNotUsed),
        _ => {}
    }

    let now = time::now_unix();
    if let Some(remaining_secs) = auth.lockout_remaining(now) {
        event!(
            warn,
            events::LOGIN_LOCKED_OUT,
            "unlock refused: locked out for {remaining_secs} s"
        );
        return Err(VaultError::LockedOut { remaining_secs });
    }

    // Everything that can fail for reasons other than the password is
    // checked before the attempt is counted.
    let wrapped = match auth.key_mode {
        KeyMode::FileKey => {
            let (path, name) = key_file_location(paths, auth.key_file_required);
            let bytes = fsio::read_optional(&path)?
                .ok_or_else(|| VaultError::MissingFile { path: path.clone() })?;
            let file = KeyFile::parse(&bytes).map_err(|detail| VaultError::CorruptFile {
                path: path.clone(),
                detail,
            })?;
            Some((file, path, name))
        }
        KeyMode::PasswordDerived => None,
    };
    kdf::check_memory(&salt.params())?;

    let before = auth.clone();
    let locked_for = auth.begin_attempt(now);
    auth.save(&auth_path)
        .map_err(|error| VaultError::AttemptNotRecorded { error })?;
    let derived = match kdf::derive(
        &salt.params(),
        &salt_value,
        &credentials.password,
        digest.as_ref(),
    ) {
        Ok(derived) => derived,
        Err(e) => {
            // Not the password's fault: take the count back.
            let _ = before.save(&auth_path);
            return Err(e.into());
        }
    };
    if !auth.verify(&derived.auth) {
        let attempts = auth.failed_attempts;
        event!(
            warn,
            events::LOGIN_FAILED,
            "wrong master password (failure {attempts} in a row)"
        );
        return Err(VaultError::WrongPassword {
            with_key_file: digest.is_some(),
            locked_for,
        });
    }

    let two_factor_key = two_factor::file_key(&derived.kek);
    if !matches!(factor, SecondFactor::NotChecked) && two_factor::is_enabled(paths) {
        let SecondFactor::Code(code) = factor else {
            // The password is right, but that alone is not an unlock: the
            // count goes back to where it was, not to zero.
            let _ = before.save(&auth_path);
            return Err(VaultError::SecondFactorRequired);
        };
        match two_factor::verify(paths, &two_factor_key, code, now) {
            Ok(_) => {}
            Err(refused @ (Refused::Wrong | Refused::Replayed)) => {
                let attempts = auth.failed_attempts;
                let replayed = matches!(refused, Refused::Replayed);
                event!(
                    warn,
                    events::LOGIN_FAILED,
                    "{} two-factor code (failure {attempts} in a row)",
                    if replayed { "reused" } else { "wrong" }
                );
                return Err(VaultError::WrongSecondFactor {
                    replayed,
                    locked_for,
                });
            }
            Err(Refused::Failed(e)) => {
                // Not the user's fault: take the count back.
                let _ = before.save(&auth_path);
                return Err(e.into());
            }
        }
    }

    // The password is right: clear the count before anything else can
    // fail. Clearing is bookkeeping; if it cannot be saved (a full disk,
    // say) the owner still gets in, and the atomic write changes nothing.
    auth.record_success(now);
    let _ = auth.save(&auth_path);

    let keys = match wrapped {
        Some((file, path, name)) => file
            .unwrap_keys(&derived.kek, name)
            .map_err(|detail| VaultError::CorruptFile { path, detail })?,
        None => {
            let derived_key =
                Keyring::single_version(derived.password_data_key.clone(), auth.data_key_version);
            // Records still moving to this key need the previous one too.
            let migrating = paths.secret_key_migrating();
            match fsio::read_optional(&migrating)? {
                None => derived_key,
                Some(bytes) => KeyFile::parse(&bytes)
                    .and_then(|file| file.unwrap_keys(&derived.kek, MIGRATING_NAME))
                    .map_err(|detail| VaultError::CorruptFile {
                        path: migrating.clone(),
                        detail,
                    })?,
            }
        }
    };
    event!(info, events::LOGIN_SUCCESS, "vault unlocked");
    Ok(Unlocked {
        keys,
        two_factor_key,
        kek: derived.kek.clone(),
        key_file_digest: digest,
    })
}

/// Reads a key file's digest, naming the file when it cannot be used.
pub(super) fn read_key_file(path: &Path, min_len: usize) -> Result<SecretBytes, VaultError> {
    kdf::key_file_digest(path, min_len).map_err(|reason| VaultError::KeyFileUnusable {
        path: path.to_path_buf(),
        reason,
    })
}

/// Fails unless the key file at `path` still holds the bytes that gave
/// `digest`. Keys derived from a file that changes between reads (one still
/// being written, or a kernel file such as `/proc/sys/kernel/random/uuid`)
/// would leave a vault that nothing opens.
pub(super) fn confirm_key_file_unchanged(
    path: &Path,
    digest: &SecretBytes,
) -> Result<(), VaultError> {
    let again = read_key_file(path, 0)?;
    if crate::core::crypto::ct_eq(again.expose(), digest.expose()) {
        return Ok(());
    }
    Err(VaultError::KeyFileUnusable {
        path: path.to_path_buf(),
        reason: "its contents changed between two reads, and a key file must never change (use \
                 a file of fixed random bytes, for example one made with `head -c 64 \
                 /dev/urandom > FILE`); nothing was changed"
            .to_owned(),
    })
}

/// The error for a data directory without `auth.json`: no vault at all, or
/// the remains of one (an interrupted `init`, or a lost `auth.json`).
pub(super) fn missing_vault(paths: &Paths) -> VaultError {
    let present: Vec<String> = [
        paths.db(),
        paths.salt(),
        paths.secret_key(),
        paths.secret_key_enc(),
    ]
    .iter()
    .filter(|p| p.exists())
    .filter_map(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
    .collect();
    if present.is_empty() {
        VaultError::NoVault {
            dir: paths.data_dir.clone(),
        }
    } else {
        VaultError::IncompleteVault {
            dir: paths.data_dir.clone(),
            present: present.join(", "),
        }
    }
}
