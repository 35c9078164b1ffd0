//! The pairing window: a short time in which a browser extension may pair
//! by giving the six-digit code the user sees.
//!
//! The window or `password-manager bridge pair` opens the window; the
//! running server, another process, redeems codes. They meet through
//! `bridge_pairing.json` in the data directory. Every step takes its turn
//! on the data directory and saves its outcome atomically before it
//! returns, so parallel guesses cannot outrun the count of wrong codes and
//! a killed process loses no attempt.
//!
//! Rules: a code is used once; the fifth wrong code closes the window, and
//! the right code is refused after that too; opening a window replaces any
//! earlier one (and its count); an expired window refuses every code.
//!
//! Format (version 1), written atomically and owner-only:
//!
//! ```json
//! {"version": 1, "key": "<64 hex>", "code_mac": "<64 hex>", "opened": 1767225600,
//!   "expires": 1767225720, "wrong_attempts": 0, "used": false}
//! ```

use std::fmt;
use std::path::Path;

use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use super::store::{self, StoreError, StoreKind, TURN_PATIENCE};
use crate::core::crypto;
use crate::core::events;
use crate::core::fsio::{self, FileError};
use crate::core::secret::{Key256, SecretString};
use crate::core::time;
use crate::event;

/// The file format this version reads and writes.
pub const FORMAT_VERSION: u64 = 1;
/// How many digits a pairing code has.
pub const CODE_DIGITS: usize = 6;
/// The wrong codes a window takes before it closes.
pub const MAX_WRONG_ATTEMPTS: u32 = 5;
/// The longest window that can be opened, in seconds.
pub const MAX_WINDOW_SECONDS: u32 = 3600;
/// Codes are drawn from 0 to 999,999.
const CODE_SPACE: u32 = 1_000_000;

/// A freshly opened window's code, shown to the user once.
pub struct PairingCode {
    code: SecretString,
    expires: i64,
}

impl PairingCode {
    /// The six digits, for the user to read.
    pub fn expose(&self) -> &str {
        self.code.expose()
    }

    /// When the window closes, Unix seconds.
    pub fn expires(&self) -> i64 {
        self.expires
    }
}

impl fmt::Debug for PairingCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PairingCode")
            .field("expires", &self.expires)
            .finish_non_exhaustive()
    }
}

/// Where the pairing window stands, for a countdown. Never the code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PairingStatus {
    /// No window was opened (or it was closed).
    NoWindow,
    /// Codes are accepted.
    Open {
        /// Seconds until it closes.
        seconds_left: i64,
        /// Wrong codes it still takes.
        attempts_left: u32,
        /// When it closes, Unix seconds.
        expires: i64,
    },
    /// Its time ran out.
    Expired,
    /// A browser paired with its code.
    Used,
    /// Too many wrong codes closed it.
    TooManyAttempts,
}

/// Why a code was refused or a window could not be opened. The messages
/// never hold a code.
#[derive(Debug, thiserror::Error)]
pub enum PairError {
    /// No window is open.
    #[error(
        "no pairing window is open; open one (password-manager bridge pair, or Settings in the \
         window) and enter the code it shows"
    )]
    NoWindow,
    /// The window's time ran out.
    #[error("the pairing window has expired; open a new one")]
    Expired,
    /// The code was already used.
    #[error("this pairing window's code has been used; open a new window to pair another browser")]
    Used,
    /// The code is wrong; the window stays open.
    #[error("wrong pairing code; {attempts_left} more wrong codes close the window")]
    Wrong {
        /// Wrong codes the window still takes.
        attempts_left: u32,
    },
    /// Too many wrong codes closed the window.
    #[error("too many wrong pairing codes closed the window; open a new one")]
    TooManyAttempts,
    /// A window of zero or too many seconds.
    #[error("a pairing window lasts from 1 to {MAX_WINDOW_SECONDS} seconds")]
    BadWindow,
    /// The file could not be read, understood or written.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The file: the code is kept only as an HMAC-SHA256 under a random key
/// made for this window.
///
/// Why a keyed hash: a six-digit code has a million values, so a bare
/// SHA-256 of it is reversed by trying them all in well under a second. A
/// per-window random key stops a table computed once from working on every
/// window, and makes equal codes in two windows look unrelated. It cannot
/// stop someone who reads this file (key included) from trying a million
/// codes offline; what guards the code against that reader is the file's
/// owner-only mode, the window's short life, and the fact that a code is
/// worth nothing once the window has closed.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct PairingFile {
    version: u64,
    key: SecretString,
    code_mac: String,
    opened: i64,
    expires: i64,
    wrong_attempts: u32,
    used: bool,
}

impl PairingFile {
    fn status(&self, now: i64) -> PairingStatus {
        if self.used {
            PairingStatus::Used
        } else if self.wrong_attempts >= MAX_WRONG_ATTEMPTS {
            PairingStatus::TooManyAttempts
        } else if now >= self.expires {
            PairingStatus::Expired
        } else {
            PairingStatus::Open {
                seconds_left: self.expires - now,
                attempts_left: MAX_WRONG_ATTEMPTS - self.wrong_attempts,
                expires: self.expires,
            }
        }
    }

    /// Whether `code` is this window's code, compared in constant time.
    fn accepts(&self, code: &str) -> bool {
        let mut key = Zeroizing::new([0u8; 32]);
        let mut stored = [0u8; 32];
        if !store::from_hex(self.key.expose(), &mut key[..])
            || !store::from_hex(&self.code_mac, &mut stored)
        {
            return false;
        }
        let candidate = normalise_code(code);
        // Malformed input still costs a MAC, so its timing matches a code.
        let mac = code_mac(
            &Key256::from_bytes(*key),
            candidate.as_ref().map_or("", |c| c.as_str()),
        );
        candidate.is_some() & crypto::ct_eq(&mac, &stored)
    }
}

/// Opens a pairing window of `window_seconds`, replacing any earlier one,
/// and returns its code.
pub fn open_window(path: &Path, window_seconds: u32, now: i64) -> Result<PairingCode, PairError> {
    if !(1..=MAX_WINDOW_SECONDS).contains(&window_seconds) {
        return Err(PairError::BadWindow);
    }
    let _turn = store::take_turn(path, TURN_PATIENCE)?;
    let key = Key256::random();
    let code = random_code();
    let expires = now.saturating_add(i64::from(window_seconds));
    let file = PairingFile {
        version: FORMAT_VERSION,
        key: SecretString::new(store::to_hex(key.expose())),
        code_mac: store::to_hex(&code_mac(&key, code.expose())),
        opened: now,
        expires,
        wrong_attempts: 0,
        used: false,
    };
    store::write(path, &file)?;
    event!(
        info,
        events::BROWSER_BRIDGE_PAIRING_OPENED,
        "pairing window opened until {}",
        time::format_rfc3339(expires)
    );
    Ok(PairingCode { code, expires })
}

/// Redeems a code a browser extension sent. Spaces and dashes in it are
/// ignored (`123 456`); anything but the window's code is a wrong code.
pub fn redeem(path: &Path, code: &str, now: i64) -> Result<(), PairError> {
    let _turn = store::take_turn(path, TURN_PATIENCE)?;
    let Some(mut window) = read(path)? else {
        refused("no pairing window is open");
        return Err(PairError::NoWindow);
    };
    match window.status(now) {
        PairingStatus::Open { .. } => {}
        PairingStatus::Used => {
            refused("the window's code has been used");
            return Err(PairError::Used);
        }
        PairingStatus::TooManyAttempts => {
            refused("the window was closed after too many wrong codes");
            return Err(PairError::TooManyAttempts);
        }
        PairingStatus::Expired | PairingStatus::NoWindow => {
            refused("the window has expired");
            return Err(PairError::Expired);
        }
    }

    if window.accepts(code) {
        window.used = true;
        store::write(path, &window)?;
        event!(
            info,
            events::BROWSER_BRIDGE_PAIRING_ACCEPTED,
            "pairing code accepted; the window is used up"
        );
        return Ok(());
    }
    window.wrong_attempts += 1;
    store::write(path, &window)?;
    let attempts_left = MAX_WRONG_ATTEMPTS.saturating_sub(window.wrong_attempts);
    if attempts_left == 0 {
        event!(
            warn,
            events::BROWSER_BRIDGE_PAIRING_CLOSED,
            "pairing window closed after {MAX_WRONG_ATTEMPTS} wrong codes"
        );
        return Err(PairError::TooManyAttempts);
    }
    refused(&format!("wrong code, {attempts_left} attempts left"));
    Err(PairError::Wrong { attempts_left })
}

/// Where the window stands at `now`, without the code.
pub fn status(path: &Path, now: i64) -> Result<PairingStatus, StoreError> {
    Ok(read(path)?.map_or(PairingStatus::NoWindow, |w| w.status(now)))
}

/// Closes the window (removes the file); false when there was none.
pub fn close(path: &Path) -> Result<bool, StoreError> {
    let _turn = store::take_turn(path, TURN_PATIENCE)?;
    // Only a regular file is removed; a planted link or directory is
    // reported, as for any other file of the vault.
    match std::fs::symlink_metadata(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(false),
        Err(e) => return Err(FileError::io(path, "inspect", e).into()),
        Ok(meta) => fsio::check_regular(path, &meta)?,
    }
    std::fs::remove_file(path).map_err(|e| FileError::io(path, "remove", e))?;
    event!(
        info,
        events::BROWSER_BRIDGE_PAIRING_CLOSED,
        "pairing window closed"
    );
    Ok(true)
}

fn read(path: &Path) -> Result<Option<PairingFile>, StoreError> {
    let kind = StoreKind::Pairing;
    let Some(window) = store::read::<PairingFile>(path, kind, FORMAT_VERSION)? else {
        return Ok(None);
    };
    if !store::is_lower_hex(window.key.expose(), 64) || !store::is_lower_hex(&window.code_mac, 64) {
        let detail = "its key or code hash is not 64 hexadecimal digits";
        return Err(StoreError::corrupt(path, kind, detail));
    }
    Ok(Some(window))
}

fn refused(reason: &str) {
    event!(
        warn,
        events::BROWSER_BRIDGE_PAIRING_FAILED,
        "pairing code refused: {reason}"
    );
}

/// HMAC-SHA256 of the code's digits under the window's key.
fn code_mac(key: &Key256, code: &str) -> [u8; 32] {
    crypto::verifier(key, code.as_bytes())
}

/// A uniformly random six-digit code from the operating system's source.
fn random_code() -> SecretString {
    // 4,294,000,000 is the largest multiple of a million below 2^32. Values
    // at or above it are drawn again: taking them modulo a million would
    // make the codes below 967,296 slightly likelier than the rest.
    const LIMIT: u32 = u32::MAX - u32::MAX % CODE_SPACE;
    loop {
        let mut draw = Zeroizing::new(crypto::random_array::<4>());
        let value = u32::from_le_bytes(*draw);
        draw.fill(0);
        if value < LIMIT {
            return SecretString::new(format!("{:06}", value % CODE_SPACE));
        }
    }
}

/// The code's six digits with spaces and dashes taken out; `None` for
/// anything else (checked without reading more than a short input).
fn normalise_code(code: &str) -> Option<Zeroizing<String>> {
    if code.len() > 32 {
        return None;
    }
    let digits: Zeroizing<String> =
        Zeroizing::new(code.chars().filter(|c| !matches!(c, ' ' | '-')).collect());
    (digits.len() == CODE_DIGITS && digits.bytes().all(|b| b.is_ascii_digit())).then_some(digits)
}

#[cfg(test)]
mod tests;
