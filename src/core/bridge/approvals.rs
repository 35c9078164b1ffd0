//! `approval_store.json`: the user's remembered allow or deny per origin.
//!
//! When the user answers a bridge request with "remember", the decision is
//! kept for the page's origin in its canonical form ([`PageOrigin::as_str`]:
//! `https://Example.com:443` and `https://example.com` are one key), with
//! when it was made, which token asked, and when it expires:
//! `browser_bridge.approval_ttl_days` after it was made, or never when that
//! setting is 0. An expired decision is ignored, as if it were not there.
//!
//! The token is named by a hash of its id ([`token_id_hash`]), not the id:
//! approvals outlive the tokens that asked for them, and the id is the
//! handle that revokes a token, so it is kept to the token store and its
//! own log lines. The hash still lets a reader tie an approval to a listed
//! token. Decisions made ahead of any request (`bridge approvals allow`)
//! have no token.
//!
//! Format (version 1), written atomically and owner-only; a field this
//! version does not know makes the file damaged (see [`super::store`]):
//!
//! ```json
//! {"version": 1, "approvals": [{"origin": "https://example.com", "decision": "allow",
//!   "at": 1767225600, "by_token": "5d41402abc4b2a76", "expires": 1775001600}]}
//! ```

use std::fmt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::origin::{self, PageOrigin};
use super::store::{self, StoreError, StoreKind, TURN_PATIENCE};
use crate::core::crypto;
use crate::core::events;
use crate::core::time;
use crate::event;

/// The file format this version reads and writes.
pub const FORMAT_VERSION: u64 = 1;
/// How many origins may have a remembered decision.
pub const MAX_APPROVALS: usize = 10_000;
/// Length of a token id hash: 16 lower-case hexadecimal digits.
pub const TOKEN_HASH_LEN: usize = 16;

/// What the user decided for an origin.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Decision {
    /// Requests from the origin are served without asking.
    Allow,
    /// Requests from the origin are refused without asking.
    Deny,
}

impl Decision {
    /// `allow` or `deny`.
    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Allow => "allow",
            Decision::Deny => "deny",
        }
    }
}

impl fmt::Display for Decision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One remembered decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Approval {
    /// The origin it applies to.
    pub origin: PageOrigin,
    /// Allow or deny.
    pub decision: Decision,
    /// When it was made, Unix seconds.
    pub at: i64,
    /// [`token_id_hash`] of the token whose request it answered; `None`
    /// when it was made ahead of any request.
    pub by_token: Option<String>,
    /// When it stops counting, Unix seconds; `None` for never.
    pub expires: Option<i64>,
}

impl Approval {
    /// Whether the decision no longer counts at `now`.
    pub fn is_expired(&self, now: i64) -> bool {
        self.expires.is_some_and(|expires| now >= expires)
    }
}

/// The approval store could not be changed.
#[derive(Debug, thiserror::Error)]
pub enum ApprovalError {
    /// The file could not be read, understood or written.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Too many origins have a remembered decision.
    #[error(
        "{MAX_APPROVALS} origins have a remembered decision already; forget some (or clear them \
         all) first"
    )]
    TooMany,
}

/// The name a token goes by in approvals and their log lines: the first 16
/// hexadecimal digits of the SHA-256 of its id (ids are compared without
/// regard to case).
pub fn token_id_hash(token_id: &str) -> String {
    let digest = crypto::sha256(token_id.to_ascii_lowercase().as_bytes());
    store::to_hex(&digest[..TOKEN_HASH_LEN / 2])
}

/// The approval store, as of its last load or change.
#[derive(Debug)]
pub struct ApprovalStore {
    path: PathBuf,
    approvals: Vec<Approval>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ApprovalFile {
    version: u64,
    approvals: Vec<ApprovalRecord>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ApprovalRecord {
    origin: String,
    decision: Decision,
    at: i64,
    by_token: Option<String>,
    expires: Option<i64>,
}

impl ApprovalStore {
    /// Reads the store at `path`; a missing file is an empty store.
    pub fn load(path: &Path) -> Result<Self, StoreError> {
        Ok(Self {
            path: path.to_path_buf(),
            approvals: read_approvals(path)?,
        })
    }

    /// The file this store lives in.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Reads the file again, taking in changes other processes made.
    pub fn reload(&mut self) -> Result<(), StoreError> {
        self.approvals = read_approvals(&self.path)?;
        Ok(())
    }

    /// Every remembered decision, expired ones included, as of the last
    /// load or change.
    pub fn list(&self) -> &[Approval] {
        &self.approvals
    }

    /// The decision that counts for `origin` at `now`, read from the file
    /// as it is now; `None` when there is none or it has expired.
    pub fn lookup(
        &mut self,
        origin: &PageOrigin,
        now: i64,
    ) -> Result<Option<Decision>, StoreError> {
        self.reload()?;
        Ok(self
            .approvals
            .iter()
            .find(|a| a.origin == *origin && !a.is_expired(now))
            .map(|a| a.decision))
    }

    /// Remembers the user's answer to a request made with token `token_id`,
    /// replacing any earlier decision for the origin. `ttl_days` is
    /// `browser_bridge.approval_ttl_days` (0: never expires).
    pub fn remember(
        &mut self,
        origin: &PageOrigin,
        decision: Decision,
        token_id: &str,
        ttl_days: u32,
        now: i64,
    ) -> Result<Approval, ApprovalError> {
        self.put(
            origin,
            decision,
            Some(token_id_hash(token_id)),
            ttl_days,
            now,
        )
    }

    /// Allows `origin` before any request (`bridge approvals allow ORIGIN`).
    pub fn allow_ahead(
        &mut self,
        origin: &PageOrigin,
        ttl_days: u32,
        now: i64,
    ) -> Result<Approval, ApprovalError> {
        self.put(origin, Decision::Allow, None, ttl_days, now)
    }

    /// Forgets the decision for `origin`; false when there was none.
    pub fn forget(&mut self, origin: &PageOrigin) -> Result<bool, ApprovalError> {
        let _turn = store::take_turn(&self.path, TURN_PATIENCE)?;
        self.reload()?;
        let before = self.approvals.len();
        self.approvals.retain(|a| a.origin != *origin);
        if self.approvals.len() == before {
            return Ok(false);
        }
        self.save()?;
        Ok(true)
    }

    /// Forgets every decision; returns how many there were.
    pub fn clear(&mut self) -> Result<usize, ApprovalError> {
        let _turn = store::take_turn(&self.path, TURN_PATIENCE)?;
        self.reload()?;
        let cleared = std::mem::take(&mut self.approvals);
        if cleared.is_empty() {
            return Ok(0);
        }
        if let Err(error) = self.save() {
            self.approvals = cleared;
            return Err(error.into());
        }
        Ok(cleared.len())
    }

    /// Removes expired decisions; returns how many.
    pub fn purge_expired(&mut self, now: i64) -> Result<usize, ApprovalError> {
        let _turn = store::take_turn(&self.path, TURN_PATIENCE)?;
        self.reload()?;
        let before = self.approvals.len();
        self.approvals.retain(|a| !a.is_expired(now));
        let purged = before - self.approvals.len();
        if purged > 0 {
            self.save()?;
        }
        Ok(purged)
    }

    fn put(
        &mut self,
        origin: &PageOrigin,
        decision: Decision,
        by_token: Option<String>,
        ttl_days: u32,
        now: i64,
    ) -> Result<Approval, ApprovalError> {
        let _turn = store::take_turn(&self.path, TURN_PATIENCE)?;
        self.reload()?;
        self.approvals.retain(|a| a.origin != *origin);
        if self.approvals.len() >= MAX_APPROVALS {
            self.approvals.retain(|a| !a.is_expired(now));
        }
        if self.approvals.len() >= MAX_APPROVALS {
            return Err(ApprovalError::TooMany);
        }
        let approval = Approval {
            origin: origin.clone(),
            decision,
            at: now,
            by_token,
            expires: (ttl_days > 0).then(|| now.saturating_add(i64::from(ttl_days) * 86_400)),
        };
        self.approvals.push(approval.clone());
        self.save()?;

        let until = approval.expires.map_or_else(
            || "for good".to_owned(),
            |t| format!("until {}", time::format_rfc3339(t)),
        );
        let by = approval.by_token.as_deref().map_or_else(
            || "ahead of any request".to_owned(),
            |hash| format!("for token id hash {hash}"),
        );
        event!(
            info,
            events::APPROVAL_REMEMBERED,
            "{decision} remembered {until} {by}: {origin}"
        );
        Ok(approval)
    }

    fn save(&self) -> Result<(), StoreError> {
        let file = ApprovalFile {
            version: FORMAT_VERSION,
            approvals: self
                .approvals
                .iter()
                .map(|a| ApprovalRecord {
                    origin: a.origin.as_str().to_owned(),
                    decision: a.decision,
                    at: a.at,
                    by_token: a.by_token.clone(),
                    expires: a.expires,
                })
                .collect(),
        };
        store::write(&self.path, &file)
    }
}

/// Reads and checks the file; records are named by position in errors.
fn read_approvals(path: &Path) -> Result<Vec<Approval>, StoreError> {
    let kind = StoreKind::Approvals;
    let Some(file) = store::read::<ApprovalFile>(path, kind, FORMAT_VERSION)? else {
        return Ok(Vec::new());
    };
    let damaged = |n: usize, what: &str| {
        StoreError::corrupt(path, kind, format!("approval {} {what}", n + 1))
    };
    let mut approvals: Vec<Approval> = Vec::with_capacity(file.approvals.len());
    for (n, record) in file.approvals.into_iter().enumerate() {
        let origin = match origin::parse_origin(&record.origin) {
            Ok(origin) if origin.as_str() == record.origin => origin,
            _ => return Err(damaged(n, "has an origin that is not in canonical form")),
        };
        let bad_hash = |hash: &String| !store::is_lower_hex(hash, TOKEN_HASH_LEN);
        if record.by_token.as_ref().is_some_and(bad_hash) {
            return Err(damaged(n, "has a token id hash that is not 16 hex digits"));
        }
        if approvals.iter().any(|a| a.origin == origin) {
            return Err(damaged(n, "repeats an earlier origin"));
        }
        approvals.push(Approval {
            origin,
            decision: record.decision,
            at: record.at,
            by_token: record.by_token,
            expires: record.expires,
        });
    }
    Ok(approvals)
}

#[cfg(test)]
mod tests;
