//! `browser_bridge_tokens.json`: the bearer tokens paired extensions present.
//!
//! A token is 256 bits from the operating system's random source, handed to
//! the extension once as 64 lower-case hexadecimal digits (either case is
//! accepted back). The file keeps only the SHA-256 of the token's 32 bytes,
//! next to a random id that names the token in lists and logs (it is not
//! derived from the token), the browser's name, the extension's
//! self-reported key fingerprint, and the creation, last-use and expiry
//! times in Unix seconds. Reading the file therefore never lets anyone
//! present a token.
//!
//! Authentication hashes the presented token and compares the digest with
//! every stored one in constant time, without stopping at a match, so the
//! time taken says nothing about which token (if any) matched.
//!
//! `last_used` is bookkeeping: it is saved at most once a minute per token
//! (so it is accurate to a minute), only when the data directory is free at
//! that moment, and a failure to save it does not refuse the request; the
//! error comes back in [`Authenticated::save_error`] for the server to log.
//!
//! Format (version 1), written atomically and owner-only:
//!
//! ```json
//! {"version": 1, "tokens": [{"id": "3f9c0a1b2c3d4e5f", "hash": "<64 hex>",
//!   "browser": "Firefox", "fingerprint": "<extension key>", "created": 1767225600,
//!   "last_used": null, "expires": 1767312000}]}
//! ```
//!
//! A field this version does not know makes the file damaged (see
//! [`super::store`]): a newer format announces itself with a higher
//! `version`.

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use super::store::{self, StoreError, StoreKind, TURN_PATIENCE};
use crate::core::crypto;
use crate::core::events;
use crate::core::secret::SecretString;
use crate::core::time;
use crate::event;

/// The file format this version reads and writes.
pub const FORMAT_VERSION: u64 = 1;
/// Length of a token's text: 64 hexadecimal digits (256 bits).
pub const TOKEN_TEXT_LEN: usize = 64;
/// Length of a token id: 16 lower-case hexadecimal digits.
pub const ID_LEN: usize = 16;
/// The longest browser name kept, in characters.
pub const MAX_BROWSER_CHARS: usize = 64;
/// The longest key fingerprint accepted, in bytes.
pub const MAX_FINGERPRINT_LEN: usize = 128;
/// How many tokens may exist at once.
pub const MAX_TOKENS: usize = 64;
/// `last_used` is saved at most this often per token, in seconds.
pub const LAST_USED_RESOLUTION: i64 = 60;
/// How long a `last_used` update waits for the data directory before
/// leaving the update to a later request.
const BOOKKEEPING_PATIENCE: Duration = Duration::from_millis(100);

/// What the store knows about a token; never the token or its hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenInfo {
    /// Random id naming the token in lists and logs.
    pub id: String,
    /// The browser's name as the extension gave it, cleaned.
    pub browser: String,
    /// The extension's self-reported key fingerprint.
    pub fingerprint: String,
    /// When the token was issued, Unix seconds.
    pub created: i64,
    /// When it was last accepted (to the minute), Unix seconds.
    pub last_used: Option<i64>,
    /// When it stops being accepted, Unix seconds.
    pub expires: i64,
}

impl TokenInfo {
    /// Whether the token is no longer accepted at `now`.
    pub fn is_expired(&self, now: i64) -> bool {
        now >= self.expires
    }
}

/// A token could not be issued or the store could not be changed.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    /// The file could not be read, understood or written.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The fingerprint is empty, too long or not printable.
    #[error(
        "the extension's key fingerprint must be 1 to {MAX_FINGERPRINT_LEN} printable ASCII \
         characters without spaces"
    )]
    BadFingerprint,
    /// A lifetime of zero hours.
    #[error("a browser token must be valid for at least one hour")]
    BadLifetime,
    /// Too many tokens exist already.
    #[error(
        "{MAX_TOKENS} browser tokens exist already; revoke one (or all) before pairing another \
         browser"
    )]
    TooMany,
}

/// Why a presented token was refused. No variant holds the token.
#[derive(Debug, thiserror::Error)]
pub enum Rejection {
    /// Not 64 hexadecimal digits.
    #[error("the token is not {TOKEN_TEXT_LEN} hexadecimal digits")]
    Malformed,
    /// No stored token has this hash: never issued, or revoked.
    #[error("the token is not one this vault issued, or it was revoked")]
    Unknown,
    /// The token's lifetime is over.
    #[error("token {id} has expired; pair the browser again")]
    Expired {
        /// The token's id.
        id: String,
    },
    /// The token was presented with another extension's fingerprint.
    #[error("token {id} was presented with a key fingerprint it was not issued to")]
    WrongFingerprint {
        /// The token's id.
        id: String,
    },
    /// The token file could not be read; every token is refused.
    #[error(transparent)]
    Unreadable(StoreError),
}

/// A token that was accepted.
#[derive(Debug)]
pub struct Authenticated {
    /// The token, with `last_used` as saved.
    pub info: TokenInfo,
    /// Saving `last_used` failed; the request is still authentic. For the
    /// caller to log once.
    pub save_error: Option<StoreError>,
}

/// The token store, as of its last load or change.
pub struct TokenStore {
    path: PathBuf,
    tokens: Vec<Token>,
}

impl fmt::Debug for TokenStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenStore")
            .field("path", &self.path)
            .field("tokens", &self.tokens.len())
            .finish()
    }
}

/// A stored token in memory: what is public about it, and its hash.
#[derive(Clone)]
struct Token {
    info: TokenInfo,
    hash: [u8; 32],
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct TokenFile {
    version: u64,
    tokens: Vec<TokenRecord>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct TokenRecord {
    id: String,
    hash: String,
    browser: String,
    fingerprint: String,
    created: i64,
    last_used: Option<i64>,
    expires: i64,
}

impl TokenStore {
    /// Reads the store at `path`; a missing file is an empty store.
    pub fn load(path: &Path) -> Result<Self, StoreError> {
        Ok(Self {
            path: path.to_path_buf(),
            tokens: read_tokens(path)?,
        })
    }

    /// The file this store lives in.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Reads the file again, taking in changes other processes made.
    pub fn reload(&mut self) -> Result<(), StoreError> {
        self.tokens = read_tokens(&self.path)?;
        Ok(())
    }

    /// Every token, expired ones included, as of the last load or change.
    pub fn list(&self) -> Vec<TokenInfo> {
        self.tokens.iter().map(|t| t.info.clone()).collect()
    }

    /// Issues a token for `browser`'s extension with key `fingerprint`,
    /// valid for `ttl_hours`, and saves it. The token text is returned
    /// once and stored nowhere.
    pub fn issue(
        &mut self,
        browser: &str,
        fingerprint: &str,
        ttl_hours: u32,
        now: i64,
    ) -> Result<(SecretString, TokenInfo), TokenError> {
        if !valid_fingerprint(fingerprint) {
            return Err(TokenError::BadFingerprint);
        }
        if ttl_hours == 0 {
            return Err(TokenError::BadLifetime);
        }
        let _turn = store::take_turn(&self.path, TURN_PATIENCE)?;
        self.reload()?;
        if self.tokens.len() >= MAX_TOKENS {
            // Expired tokens make room before anyone is told to revoke.
            self.tokens.retain(|t| !t.info.is_expired(now));
        }
        if self.tokens.len() >= MAX_TOKENS {
            return Err(TokenError::TooMany);
        }

        let secret = Zeroizing::new(crypto::random_array::<32>());
        let info = TokenInfo {
            id: self.fresh_id(),
            browser: clean_label(browser),
            fingerprint: fingerprint.to_owned(),
            created: now,
            last_used: None,
            expires: now.saturating_add(i64::from(ttl_hours) * 3600),
        };
        self.tokens.push(Token {
            info: info.clone(),
            hash: crypto::sha256(&secret[..]),
        });
        self.save()?;
        event!(
            info,
            events::BROWSER_BRIDGE_TOKEN_ISSUED,
            "token {} issued, valid until {}, for browser {:?}",
            info.id,
            time::format_rfc3339(info.expires),
            info.browser
        );
        Ok((SecretString::new(store::to_hex(&secret[..])), info))
    }

    /// Checks a presented token and the fingerprint it came with, against
    /// the file as it is now (so a revocation by another process counts at
    /// once).
    pub fn authenticate(
        &mut self,
        token_text: &str,
        fingerprint: &str,
        now: i64,
    ) -> Result<Authenticated, Rejection> {
        let mut secret = Zeroizing::new([0u8; 32]);
        if !store::from_hex(token_text, &mut secret[..]) {
            return Err(Rejection::Malformed);
        }
        self.reload().map_err(Rejection::Unreadable)?;
        let digest = crypto::sha256(&secret[..]);

        // Every stored hash is compared, whatever matched before it.
        let mut found = None;
        for (index, token) in self.tokens.iter().enumerate() {
            let same = crypto::ct_eq(&token.hash, &digest);
            found = if same { Some(index) } else { found };
        }
        let token = &self.tokens[found.ok_or(Rejection::Unknown)?];
        let id = token.info.id.clone();
        if !crypto::ct_eq(token.info.fingerprint.as_bytes(), fingerprint.as_bytes()) {
            return Err(Rejection::WrongFingerprint { id });
        }
        if token.info.is_expired(now) {
            return Err(Rejection::Expired { id });
        }

        let due = token
            .info
            .last_used
            .is_none_or(|last| now.saturating_sub(last) >= LAST_USED_RESOLUTION);
        let mut info = token.info.clone();
        let mut save_error = None;
        if due {
            match self.record_use(&id, now) {
                Ok(true) => info.last_used = Some(now),
                Ok(false) => {}
                Err(error) => save_error = Some(error),
            }
        }
        Ok(Authenticated { info, save_error })
    }

    /// Revokes the token with this id; false when there is none.
    pub fn revoke(&mut self, id: &str) -> Result<bool, TokenError> {
        let _turn = store::take_turn(&self.path, TURN_PATIENCE)?;
        self.reload()?;
        let before = self.tokens.len();
        self.tokens.retain(|t| !t.info.id.eq_ignore_ascii_case(id));
        if self.tokens.len() == before {
            return Ok(false);
        }
        self.save()?;
        event!(
            info,
            events::BROWSER_BRIDGE_TOKEN_REVOKED,
            "token {} revoked",
            id.to_ascii_lowercase()
        );
        Ok(true)
    }

    /// Revokes every token; returns how many there were.
    pub fn revoke_all(&mut self) -> Result<usize, TokenError> {
        let _turn = store::take_turn(&self.path, TURN_PATIENCE)?;
        self.reload()?;
        let revoked = std::mem::take(&mut self.tokens);
        if revoked.is_empty() {
            return Ok(0);
        }
        if let Err(error) = self.save() {
            self.tokens = revoked;
            return Err(error.into());
        }
        for token in &revoked {
            event!(
                info,
                events::BROWSER_BRIDGE_TOKEN_REVOKED,
                "token {} revoked (all tokens revoked)",
                token.info.id
            );
        }
        Ok(revoked.len())
    }

    /// Removes expired tokens; returns how many.
    pub fn purge_expired(&mut self, now: i64) -> Result<usize, TokenError> {
        let _turn = store::take_turn(&self.path, TURN_PATIENCE)?;
        self.reload()?;
        let before = self.tokens.len();
        self.tokens.retain(|t| !t.info.is_expired(now));
        let purged = before - self.tokens.len();
        if purged > 0 {
            self.save()?;
        }
        Ok(purged)
    }

    /// Saves `last_used = now` for token `id` if the data directory is free
    /// right now; `Ok(false)` when the update was left for later (busy, or
    /// the token went away meanwhile).
    fn record_use(&mut self, id: &str, now: i64) -> Result<bool, StoreError> {
        let _turn = match store::take_turn(&self.path, BOOKKEEPING_PATIENCE) {
            Ok(turn) => turn,
            Err(StoreError::Busy { .. }) => return Ok(false),
            Err(error) => return Err(error),
        };
        self.reload()?;
        let Some(token) = self.tokens.iter_mut().find(|t| t.info.id == id) else {
            return Ok(false);
        };
        token.info.last_used = Some(now);
        self.save()?;
        Ok(true)
    }

    fn fresh_id(&self) -> String {
        loop {
            let id = store::to_hex(&crypto::random_array::<{ ID_LEN / 2 }>());
            if !self.tokens.iter().any(|t| t.info.id == id) {
                return id;
            }
        }
    }

    fn save(&self) -> Result<(), StoreError> {
        let file = TokenFile {
            version: FORMAT_VERSION,
            tokens: self
                .tokens
                .iter()
                .map(|t| TokenRecord {
                    id: t.info.id.clone(),
                    hash: store::to_hex(&t.hash),
                    browser: t.info.browser.clone(),
                    fingerprint: t.info.fingerprint.clone(),
                    created: t.info.created,
                    last_used: t.info.last_used,
                    expires: t.info.expires,
                })
                .collect(),
        };
        store::write(&self.path, &file)
    }
}

/// Reads and checks the file; records are named by position, never by
/// content, in errors.
fn read_tokens(path: &Path) -> Result<Vec<Token>, StoreError> {
    let Some(file) = store::read::<TokenFile>(path, StoreKind::Tokens, FORMAT_VERSION)? else {
        return Ok(Vec::new());
    };
    let damaged = |n: usize, what: &str| {
        StoreError::corrupt(path, StoreKind::Tokens, format!("token {} {what}", n + 1))
    };
    let mut tokens: Vec<Token> = Vec::with_capacity(file.tokens.len());
    for (n, record) in file.tokens.into_iter().enumerate() {
        let mut hash = [0u8; 32];
        if !store::is_lower_hex(&record.hash, 64) || !store::from_hex(&record.hash, &mut hash) {
            return Err(damaged(n, "has a hash that is not 64 hexadecimal digits"));
        }
        if !store::is_lower_hex(&record.id, ID_LEN) {
            return Err(damaged(n, "has an id that is not 16 hexadecimal digits"));
        }
        if !valid_fingerprint(&record.fingerprint) {
            return Err(damaged(n, "has an invalid key fingerprint"));
        }
        if clean_label(&record.browser) != record.browser {
            return Err(damaged(n, "has a browser name with control characters"));
        }
        if tokens
            .iter()
            .any(|t| t.info.id == record.id || t.hash == hash)
        {
            return Err(damaged(n, "repeats an earlier token"));
        }
        tokens.push(Token {
            info: TokenInfo {
                id: record.id,
                browser: record.browser,
                fingerprint: record.fingerprint,
                created: record.created,
                last_used: record.last_used,
                expires: record.expires,
            },
            hash,
        });
    }
    Ok(tokens)
}

/// 1 to [`MAX_FINGERPRINT_LEN`] printable ASCII characters, no spaces.
fn valid_fingerprint(text: &str) -> bool {
    (1..=MAX_FINGERPRINT_LEN).contains(&text.len()) && text.bytes().all(|b| b.is_ascii_graphic())
}

/// A browser name fit for lists and logs: control and bidirectional
/// formatting characters removed, runs of whitespace made one space, at
/// most [`MAX_BROWSER_CHARS`] characters, "unknown browser" when nothing
/// is left.
fn clean_label(text: &str) -> String {
    let kept = text
        .chars()
        .filter(|&c| !c.is_control() && !is_bidi_control(c))
        .collect::<String>();
    let label: String = kept
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .chars()
        .take(MAX_BROWSER_CHARS)
        .collect();
    let label = label.trim_end().to_owned();
    if label.is_empty() {
        "unknown browser".to_owned()
    } else {
        label
    }
}

/// Characters that reorder the text around them when displayed.
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

#[cfg(test)]
mod tests;
