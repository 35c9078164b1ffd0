//! Two-factor unlock: after the master password is verified, a TOTP code
//! (RFC 6238: SHA-1, 6 digits, 30 s, for every common authenticator app)
//! or one of ten single-use recovery codes, before the vault opens.
//!
//! `totp_config.json` holds the TOTP secret sealed under a key derived
//! from the master password (so the file alone reveals nothing), the last
//! accepted time step (a code works once), and the recovery codes as
//! HMACs under a random key sealed with the secret (so changing the master
//! password re-seals one value and the codes keep working). Wrong codes count towards the same lockout as
//! wrong passwords; the unlock in [`crate::core::vault`] does the
//! counting.
//!
//! A second factor guards this installation against someone who learned
//! the master password. It is not part of the encryption: the files and
//! the master password together still open the vault, which is why
//! backups verify and restore without a code.

use std::path::Path;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use serde::{Deserialize, Serialize};
use totp_rs::{Algorithm, Builder};
use zeroize::Zeroize;

use crate::core::crypto;
use crate::core::events;
use crate::core::fsio::{self, FileError};
use crate::core::paths::Paths;
use crate::core::secret::{Key256, SecretBytes, SecretString};
use crate::event;

/// The issuer authenticator apps show.
pub const ISSUER: &str = "Secure Password Manager";
/// The file format this version reads and writes.
pub const FORMAT_VERSION: u64 = 1;
/// Seconds per code.
pub const PERIOD: u64 = 30;
/// Digits per code.
pub const DIGITS: usize = 6;
/// How many recovery codes enrolment hands out.
pub const RECOVERY_CODES: usize = 10;
/// Length of the random secret (160 bits, as RFC 4226 recommends).
const SECRET_BYTES: usize = 20;
/// Time steps accepted either side of now, for clock skew.
const SKEW_STEPS: i64 = 1;
/// Recovery codes use letters and digits that cannot be mistaken for one
/// another (no 0/o, 1/l/i).
const RECOVERY_ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
/// Characters per recovery code (about 59 bits), shown in groups of four.
const RECOVERY_CHARS: usize = 12;
/// Binds the sealed secret to this file and format.
const SECRET_AAD: &[u8] = b"secure-password-manager totp_config v1 secret";

/// `totp_config.json` could not be read, understood or written.
#[derive(Debug, thiserror::Error)]
pub enum TwoFactorError {
    /// Reading or writing failed.
    #[error(transparent)]
    File(#[from] FileError),
    /// The file is not what this version writes.
    #[error(
        "{} is damaged ({detail}); restore it from a backup, or move it away to turn \
         two-factor unlock off",
        path.display()
    )]
    Corrupt {
        /// The file.
        path: std::path::PathBuf,
        /// What is wrong.
        detail: String,
    },
    /// Two-factor unlock is on already.
    #[error("two-factor unlock is already on; turn it off first to enrol a new authenticator")]
    AlreadyEnabled,
    /// Two-factor unlock is off.
    #[error("two-factor unlock is not on")]
    NotEnabled,
    /// The code typed at enrolment does not match the new secret.
    #[error(
        "that code does not match the new secret; check the authenticator app's clock and type \
         the code it shows now"
    )]
    EnrolmentCodeWrong,
}

/// The key that seals the secret and keys the recovery-code HMACs, from
/// the key-encryption key the master password derives.
pub fn file_key(kek: &Key256) -> Key256 {
    crypto::hkdf_subkey(kek.expose(), b"secure-password-manager v1 two-factor")
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfigFile {
    version: u64,
    issuer: String,
    account: String,
    algorithm: String,
    digits: usize,
    period: u64,
    created: i64,
    /// The recovery-code key and the TOTP secret, sealed with
    /// XChaCha20-Poly1305, base64.
    secret: String,
    /// The last time step whose code was accepted.
    last_step: i64,
    recovery: Vec<RecoveryCode>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RecoveryCode {
    /// HMAC-SHA-256 of the normalised code under the recovery-code key,
    /// hex.
    hmac: String,
    /// When it was used, Unix seconds.
    used: Option<i64>,
}

/// What `totp status` and Settings show. Never the secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    /// The issuer in the authenticator app.
    pub issuer: String,
    /// The account label in the authenticator app.
    pub account: String,
    /// `SHA1`.
    pub algorithm: String,
    /// Digits per code.
    pub digits: usize,
    /// Seconds per code.
    pub period: u64,
    /// When it was turned on, Unix seconds.
    pub created: i64,
    /// Recovery codes not used yet.
    pub recovery_left: usize,
}

/// Whether two-factor unlock is on for the vault in `paths`.
pub fn is_enabled(paths: &Paths) -> bool {
    std::fs::symlink_metadata(paths.totp_config()).is_ok()
}

/// The settings of two-factor unlock, or `None` when it is off.
pub fn status(paths: &Paths) -> Result<Option<Status>, TwoFactorError> {
    Ok(load(&paths.totp_config())?.map(|file| Status {
        recovery_left: file.recovery.iter().filter(|c| c.used.is_none()).count(),
        issuer: file.issuer,
        account: file.account,
        algorithm: file.algorithm,
        digits: file.digits,
        period: file.period,
        created: file.created,
    }))
}

fn load(path: &Path) -> Result<Option<ConfigFile>, TwoFactorError> {
    let Some(bytes) = fsio::read_optional(path)? else {
        return Ok(None);
    };
    let corrupt = |detail: String| TwoFactorError::Corrupt {
        path: path.to_owned(),
        detail,
    };
    let file: ConfigFile =
        serde_json::from_slice(&bytes).map_err(|e| corrupt(format!("not valid JSON: {e}")))?;
    if file.version != FORMAT_VERSION {
        return Err(corrupt(format!(
            "format version {} is not one this version reads ({FORMAT_VERSION})",
            file.version
        )));
    }
    if file.algorithm != "SHA1" || file.digits != DIGITS || file.period != PERIOD {
        return Err(corrupt(
            "unsupported algorithm, digits or period".to_owned(),
        ));
    }
    Ok(Some(file))
}

fn save(path: &Path, file: &ConfigFile) -> Result<(), TwoFactorError> {
    let mut text = serde_json::to_vec_pretty(file).map_err(|e| TwoFactorError::Corrupt {
        path: path.to_owned(),
        detail: e.to_string(),
    })?;
    text.push(b'\n');
    fsio::write_atomic(path, &text)?;
    Ok(())
}

/// The code for `secret` at time step `step`.
fn code_at_step(secret: &[u8], step: i64) -> String {
    // The skew is applied by the caller, one step at a time; the secret
    // (160 bits) is ours, so the lenient build is safe.
    let totp = Builder::new()
        .with_algorithm(Algorithm::SHA1)
        .with_digits(DIGITS as u8)
        .with_skew(0)
        .with_step_duration(PERIOD)
        .with_secret(secret)
        .build_noncompliant();
    let at = u64::try_from(step).unwrap_or(0) * PERIOD;
    totp.generate(at).to_string()
}

fn step_of(unix: i64) -> i64 {
    unix.div_euclid(PERIOD as i64)
}

/// The time step within `SKEW_STEPS` of `now` whose code is `code`, if any.
fn matching_step(secret: &[u8], code: &str, now: i64) -> Option<i64> {
    let current = step_of(now);
    (current - SKEW_STEPS..=current + SKEW_STEPS)
        .find(|&step| crypto::ct_eq(code_at_step(secret, step).as_bytes(), code.as_bytes()))
}

/// A TOTP code as typed: digits only, spaces removed.
fn normalise_code(input: &str) -> Option<String> {
    let digits: String = input.chars().filter(|c| !c.is_whitespace()).collect();
    (digits.len() == DIGITS && digits.bytes().all(|b| b.is_ascii_digit())).then_some(digits)
}

/// A recovery code as typed: lower case, without spaces and dashes.
fn normalise_recovery(input: &str) -> String {
    input
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .flat_map(char::to_lowercase)
        .collect()
}

fn recovery_hmac(key: &Key256, normalised: &str) -> String {
    let tag = crypto::verifier(key, format!("recovery code {normalised}").as_bytes());
    tag.iter().map(|b| format!("{b:02x}")).collect()
}

fn grouped(text: &str, size: usize, separator: &str) -> String {
    text.as_bytes()
        .chunks(size)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join(separator)
}

/// Length of the random key of the recovery-code HMACs.
const RECOVERY_KEY_BYTES: usize = 32;

/// What the sealed value holds: the recovery-code key, then the secret.
struct Opened {
    recovery_key: Key256,
    secret: SecretBytes,
}

fn seal_parts(key: &Key256, recovery_key: &Key256, secret: &[u8]) -> String {
    let mut plain = zeroize::Zeroizing::new(Vec::with_capacity(RECOVERY_KEY_BYTES + secret.len()));
    plain.extend_from_slice(recovery_key.expose());
    plain.extend_from_slice(secret);
    B64.encode(crypto::seal(key, SECRET_AAD, &plain))
}

fn open_parts(path: &Path, key: &Key256, sealed: &str) -> Result<Opened, TwoFactorError> {
    let corrupt = |detail: &str| TwoFactorError::Corrupt {
        path: path.to_owned(),
        detail: detail.to_owned(),
    };
    let bytes = B64
        .decode(sealed)
        .map_err(|_| corrupt("the sealed secret is not base64"))?;
    let plain = crypto::open(key, SECRET_AAD, &bytes)
        .map_err(|_| corrupt("the sealed secret does not open with this master password's key"))?;
    if plain.len() <= RECOVERY_KEY_BYTES {
        return Err(corrupt("the sealed secret is too short"));
    }
    let mut recovery = [0u8; RECOVERY_KEY_BYTES];
    recovery.copy_from_slice(&plain[..RECOVERY_KEY_BYTES]);
    let recovery_key = Key256::from_bytes(recovery);
    recovery.zeroize();
    Ok(Opened {
        recovery_key,
        secret: SecretBytes::new(plain[RECOVERY_KEY_BYTES..].to_vec()),
    })
}

/// `totp_config.json` re-sealed under `new_key` (after a master password
/// change), or `None` when two-factor unlock is off. Codes, recovery codes
/// and the last used step carry over.
pub fn resealed(
    paths: &Paths,
    old_key: &Key256,
    new_key: &Key256,
) -> Result<Option<Vec<u8>>, TwoFactorError> {
    let path = paths.totp_config();
    let Some(mut file) = load(&path)? else {
        return Ok(None);
    };
    let opened = open_parts(&path, old_key, &file.secret)?;
    file.secret = seal_parts(new_key, &opened.recovery_key, opened.secret.expose());
    let mut text = serde_json::to_vec_pretty(&file).map_err(|e| TwoFactorError::Corrupt {
        path: path.clone(),
        detail: e.to_string(),
    })?;
    text.push(b'\n');
    Ok(Some(text))
}

/// The account name an authenticator app shows by default: the login
/// name, or "vault".
pub fn default_account() -> String {
    std::env::var("USER")
        .ok()
        .filter(|name| !name.trim().is_empty())
        .unwrap_or_else(|| "vault".to_owned())
}

/// A new secret waiting for the user to prove their app has it.
pub struct Enrolment {
    secret: SecretBytes,
    account: String,
}

impl std::fmt::Debug for Enrolment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Enrolment")
            .field("account", &self.account)
            .finish_non_exhaustive()
    }
}

impl Enrolment {
    /// A fresh random secret for `account` (the label in the app).
    pub fn new(account: &str) -> Self {
        let mut secret = vec![0u8; SECRET_BYTES];
        crypto::fill_random(&mut secret);
        Self {
            secret: SecretBytes::new(secret),
            account: account.trim().to_owned(),
        }
    }

    /// The account label.
    pub fn account(&self) -> &str {
        &self.account
    }

    /// The secret in base32 without padding.
    fn base32(&self) -> SecretString {
        SecretString::new(crate::core::exchange::totp::base32(self.secret.expose()))
    }

    /// The secret for typing by hand: base32 in groups of four.
    pub fn key_text(&self) -> SecretString {
        SecretString::new(grouped(self.base32().expose(), 4, " "))
    }

    /// The `otpauth://` URI a QR code carries.
    pub fn uri(&self) -> SecretString {
        let label = format!("{ISSUER}:{}", self.account);
        SecretString::new(format!(
            "otpauth://totp/{}?secret={}&issuer={}&algorithm=SHA1&digits={DIGITS}&period={PERIOD}",
            percent_encode(&label),
            self.base32().expose(),
            percent_encode(ISSUER)
        ))
    }

    /// The code the app shows at `unix` (for previews and tests).
    pub fn code_at(&self, unix: i64) -> String {
        code_at_step(self.secret.expose(), step_of(unix))
    }

    /// Turns two-factor unlock on once `code` matches the new secret:
    /// writes `totp_config.json` sealed under `key` ([`file_key`]) and
    /// returns the ten recovery codes, shown this once.
    pub fn complete(
        &self,
        paths: &Paths,
        key: &Key256,
        code: &str,
        now: i64,
    ) -> Result<Vec<SecretString>, TwoFactorError> {
        let path = paths.totp_config();
        if is_enabled(paths) {
            return Err(TwoFactorError::AlreadyEnabled);
        }
        let step = normalise_code(code)
            .and_then(|code| matching_step(self.secret.expose(), &code, now))
            .ok_or(TwoFactorError::EnrolmentCodeWrong)?;
        let codes: Vec<SecretString> = (0..RECOVERY_CODES).map(|_| new_recovery_code()).collect();
        let recovery_key = Key256::random();
        let file = ConfigFile {
            version: FORMAT_VERSION,
            issuer: ISSUER.to_owned(),
            account: self.account.clone(),
            algorithm: "SHA1".to_owned(),
            digits: DIGITS,
            period: PERIOD,
            created: now,
            secret: seal_parts(key, &recovery_key, self.secret.expose()),
            last_step: step,
            recovery: codes
                .iter()
                .map(|c| RecoveryCode {
                    hmac: recovery_hmac(&recovery_key, &normalise_recovery(c.expose())),
                    used: None,
                })
                .collect(),
        };
        save(&path, &file)?;
        event!(
            info,
            events::TWO_FACTOR_ENABLED,
            "two-factor unlock turned on with {RECOVERY_CODES} recovery codes"
        );
        Ok(codes)
    }
}

fn new_recovery_code() -> SecretString {
    let mut raw = [0u8; RECOVERY_CHARS];
    let mut text = String::with_capacity(RECOVERY_CHARS);
    // Rejection sampling keeps every character equally likely.
    let limit = 256 - 256 % RECOVERY_ALPHABET.len();
    while text.len() < RECOVERY_CHARS {
        crypto::fill_random(&mut raw);
        for &b in &raw {
            if (b as usize) < limit && text.len() < RECOVERY_CHARS {
                text.push(RECOVERY_ALPHABET[b as usize % RECOVERY_ALPHABET.len()] as char);
            }
        }
    }
    SecretString::new(grouped(&text, 4, "-"))
}

fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// What a second factor was.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Accepted {
    /// A current TOTP code.
    Code,
    /// A recovery code; this many are left.
    Recovery {
        /// Unused recovery codes after this one.
        left: usize,
    },
}

/// Why a second factor was refused.
#[derive(Debug)]
pub enum Refused {
    /// Not the current code, nor an unused recovery code.
    Wrong,
    /// The code of a time step that was already used.
    Replayed,
    /// The file could not be read or updated (a code that cannot be marked
    /// used is not accepted).
    Failed(TwoFactorError),
}

/// Checks `input` (a TOTP code or a recovery code) against the vault's
/// two-factor settings under `key`, and marks it used. The caller has
/// verified the master password and counted the attempt.
pub fn verify(
    paths: &Paths,
    key: &Key256,
    input: &SecretString,
    now: i64,
) -> Result<Accepted, Refused> {
    let path = paths.totp_config();
    let mut file = match load(&path) {
        Ok(Some(file)) => file,
        Ok(None) => return Err(Refused::Failed(TwoFactorError::NotEnabled)),
        Err(e) => return Err(Refused::Failed(e)),
    };
    let opened = open_parts(&path, key, &file.secret).map_err(Refused::Failed)?;
    let accepted = if let Some(code) = normalise_code(input.expose()) {
        let step = matching_step(opened.secret.expose(), &code, now).ok_or(Refused::Wrong)?;
        if step <= file.last_step {
            return Err(Refused::Replayed);
        }
        file.last_step = step;
        Accepted::Code
    } else {
        let hmac = recovery_hmac(&opened.recovery_key, &normalise_recovery(input.expose()));
        let found = file
            .recovery
            .iter_mut()
            .find(|c| c.used.is_none() && crypto::ct_eq(c.hmac.as_bytes(), hmac.as_bytes()))
            .ok_or(Refused::Wrong)?;
        found.used = Some(now);
        let left = file.recovery.iter().filter(|c| c.used.is_none()).count();
        Accepted::Recovery { left }
    };
    save(&path, &file).map_err(Refused::Failed)?;
    if let Accepted::Recovery { left } = accepted {
        event!(
            warn,
            events::TWO_FACTOR_RECOVERY_USED,
            "a recovery code was used to unlock; {left} left"
        );
    }
    Ok(accepted)
}

/// Removes `totp_config.json`. The caller has verified the master
/// password and a code.
pub(crate) fn remove(paths: &Paths) -> Result<(), TwoFactorError> {
    let path = paths.totp_config();
    match std::fs::remove_file(&path) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(TwoFactorError::NotEnabled);
        }
        Err(e) => return Err(FileError::io(&path, "remove", e).into()),
    }
    let _ = fsio::sync_dir(fsio::parent_dir(&path));
    event!(
        info,
        events::TWO_FACTOR_DISABLED,
        "two-factor unlock turned off"
    );
    Ok(())
}

#[cfg(test)]
mod tests;
