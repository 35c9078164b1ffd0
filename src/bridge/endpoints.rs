//! The endpoints behind the guards: pairing, token checks, approvals, and
//! the vault operations, which go to the vault's owner over the [`Link`].

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use serde::Deserialize;
use serde_json::{Value, json};

use super::api::{self, ApiRequest, ApiResponse, Endpoints};
use super::guard::Caller;
use super::limit::RateLimiter;
use super::link::{
    Action, ApprovalPrompt, BridgeMessage, Link, StoreItem, Stored, Unanswered, VaultCall,
    VaultReply,
};
use crate::core::bridge::approvals::{ApprovalStore, Decision};
use crate::core::bridge::origin::{PageOrigin, parse_origin};
use crate::core::bridge::pairing::{self, PairError};
use crate::core::bridge::tokens::{Rejection, TokenInfo, TokenStore};
use crate::core::events;
use crate::core::paths::Paths;
use crate::core::secret::SecretString;
use crate::event;

/// Credential queries allowed per origin per second.
pub const QUERIES_PER_SECOND: usize = 5;
/// Longest an audit report's message may be.
const MAX_REPORT_CHARS: usize = 1024;

/// The settings the endpoints use.
#[derive(Debug, Clone)]
pub struct EndpointConfig {
    /// Hours a new token lasts.
    pub token_ttl_hours: u32,
    /// Days a remembered approval lasts (0: until revoked).
    pub approval_ttl_days: u32,
    /// How long a request waits for the user's approval.
    pub approval_timeout: Duration,
    /// How long a request waits for the vault's owner.
    pub vault_timeout: Duration,
    /// Credential queries allowed per origin per second.
    pub queries_per_second: usize,
}

impl Default for EndpointConfig {
    fn default() -> Self {
        Self {
            token_ttl_hours: 24,
            approval_ttl_days: 90,
            approval_timeout: Duration::from_secs(60),
            vault_timeout: Duration::from_secs(10),
            queries_per_second: QUERIES_PER_SECOND,
        }
    }
}

/// The clock the endpoints read (Unix seconds); tests inject one.
pub type Clock = Arc<dyn Fn() -> i64 + Send + Sync>;

/// The bridge's state shared by every worker.
pub struct Bridge {
    paths: Paths,
    config: EndpointConfig,
    link: Link,
    locked: Arc<AtomicBool>,
    limiter: RateLimiter,
    clock: Clock,
    /// Token and approval files are read and written by one request at a
    /// time (other processes take turns through the files' own locks).
    files: std::sync::Mutex<()>,
    /// `approval_store.json` as last read, with the file's identity then:
    /// read again only when the file changed (every save replaces it, so
    /// its inode changes).
    approvals: std::sync::Mutex<Option<(FileStamp, ApprovalStore)>>,
}

/// What tells one version of a file from the next.
type FileStamp = Option<(u64, u64, i64, i64)>;

fn stamp(path: &std::path::Path) -> FileStamp {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata(path)
        .ok()
        .map(|m| (m.ino(), m.len(), m.mtime(), m.mtime_nsec()))
}

impl std::fmt::Debug for Bridge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Bridge")
            .field("data_dir", &self.paths.data_dir)
            .finish_non_exhaustive()
    }
}

impl Bridge {
    /// State for a bridge over `paths`, talking to the owner through
    /// `link`; `locked` is kept current by the owner.
    pub fn new(
        paths: Paths,
        config: EndpointConfig,
        link: Link,
        locked: Arc<AtomicBool>,
        clock: Clock,
    ) -> Self {
        let per_second = config.queries_per_second;
        Self {
            paths,
            config,
            link,
            locked,
            limiter: RateLimiter::new(per_second),
            clock,
            files: std::sync::Mutex::new(()),
            approvals: std::sync::Mutex::new(None),
        }
    }

    fn now(&self) -> i64 {
        (self.clock)()
    }

    fn pair(&self, request: &ApiRequest) -> ApiResponse {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Pair {
            code: String,
            browser: String,
            fingerprint: String,
        }
        let body: Pair = match parse_body(request) {
            Ok(body) => body,
            Err(answer) => return answer,
        };
        let now = self.now();
        let _turn = self.files.lock().unwrap_or_else(|e| e.into_inner());
        if let Err(e) = pairing::redeem(&self.paths.bridge_pairing(), &body.code, now) {
            return pair_refused(&e);
        }
        let issued = TokenStore::load(&self.paths.bridge_tokens())
            .map_err(|e| e.to_string())
            .and_then(|mut store| {
                store
                    .issue(
                        &body.browser,
                        &body.fingerprint,
                        self.config.token_ttl_hours,
                        now,
                    )
                    .map_err(|e| e.to_string())
            });
        match issued {
            Ok((token, info)) => ApiResponse::json(
                200,
                json!({
                    "token": token.expose(),
                    "token_id": info.id,
                    "expires": crate::core::time::format_rfc3339(info.expires),
                }),
            ),
            Err(e) => ApiResponse::error(400, "PAIRING_REFUSED", &e),
        }
    }

    /// The token's record, or the 401 to answer.
    fn authenticate(&self, request: &ApiRequest) -> Result<TokenInfo, ApiResponse> {
        let unauthorized = |code: &str, message: &str| ApiResponse::error(401, code, message);
        let Some(header) = request.authorization.as_deref() else {
            return Err(unauthorized(
                "TOKEN_MISSING",
                "send Authorization: Bearer <token>; pair the extension to get one",
            ));
        };
        let Some(token) = header.strip_prefix("Bearer ") else {
            return Err(unauthorized(
                "TOKEN_MALFORMED",
                "the Authorization header must be Bearer <token>",
            ));
        };
        let fingerprint = request.fingerprint.as_deref().unwrap_or("");
        let _turn = self.files.lock().unwrap_or_else(|e| e.into_inner());
        let mut store = TokenStore::load(&self.paths.bridge_tokens())
            .map_err(|e| unauthorized("TOKEN_STORE_UNREADABLE", &e.to_string()))?;
        let accepted = store
            .authenticate(token.trim(), fingerprint, self.now())
            .map_err(|rejection| match rejection {
                Rejection::Expired { .. } => {
                    unauthorized("TOKEN_EXPIRED", "the token has expired; pair again")
                }
                Rejection::WrongFingerprint { .. } => unauthorized(
                    "FINGERPRINT_MISMATCH",
                    "the token was issued to another extension",
                ),
                Rejection::Malformed => unauthorized("TOKEN_MALFORMED", "the token is malformed"),
                Rejection::Unreadable(e) => unauthorized("TOKEN_STORE_UNREADABLE", &e.to_string()),
                Rejection::Unknown => unauthorized(
                    "TOKEN_INVALID",
                    "the token is unknown or was revoked; pair again",
                ),
            })?;
        if let Some(e) = accepted.save_error {
            event!(
                warn,
                events::BROWSER_BRIDGE_TOKEN_ISSUED,
                "could not record a token's last use: {e}"
            );
        }
        Ok(accepted.info)
    }

    /// Asks the owner a vault question, mapping silence and a locked vault
    /// to their answers.
    fn vault<T>(
        &self,
        call: impl FnOnce(std::sync::mpsc::SyncSender<VaultReply<T>>) -> VaultCall,
    ) -> Result<T, ApiResponse> {
        if self.locked.load(Ordering::SeqCst) {
            return Err(locked());
        }
        let answer = self
            .link
            .ask(self.config.vault_timeout, |reply| {
                BridgeMessage::Vault(call(reply))
            })
            .map_err(|_| {
                ApiResponse::error(
                    503,
                    "UNAVAILABLE",
                    "the password manager did not answer; try again",
                )
            })?;
        match answer {
            VaultReply::Locked => Err(locked()),
            VaultReply::Done(value) => Ok(value),
            VaultReply::Failed {
                status,
                code,
                message,
            } => Err(ApiResponse::error(status, code, &message)),
        }
    }

    /// Whether `origin` may do `action`: a remembered decision, or the
    /// user's answer to a prompt (remembered when asked to).
    fn approve(
        &self,
        origin: &PageOrigin,
        token: &TokenInfo,
        action: Action,
        matches: usize,
    ) -> Result<(), ApiResponse> {
        let now = self.now();
        let remembered = self.remembered(origin, now)?;
        let token_ref = token_ref(&token.id);
        match remembered {
            Some(Decision::Allow) => return Ok(()),
            Some(Decision::Deny) => {
                event!(
                    info,
                    events::APPROVAL_DENIED,
                    "{origin} denied by a remembered decision (token {token_ref})"
                );
                return Err(ApiResponse::error(
                    403,
                    "DENIED",
                    "the user denied this site; change it in Settings > Browser Bridge",
                ));
            }
            None => {}
        }
        let answer = self.link.ask(self.config.approval_timeout, |reply| {
            BridgeMessage::Approve(ApprovalPrompt {
                origin: origin.to_string(),
                browser: token.browser.clone(),
                matches,
                action,
                reply,
            })
        });
        let approval = match answer {
            Ok(approval) => approval,
            Err(Unanswered::TimedOut) => {
                return Err(ApiResponse::error(
                    403,
                    "APPROVAL_TIMEOUT",
                    "nobody answered the approval prompt in time",
                ));
            }
            Err(Unanswered::Unavailable) => {
                return Err(ApiResponse::error(
                    403,
                    "NOT_APPROVED",
                    "the request could not be shown for approval",
                ));
            }
        };
        if approval.remembered() {
            let decision = if approval.allows() {
                Decision::Allow
            } else {
                Decision::Deny
            };
            let _turn = self.files.lock().unwrap_or_else(|e| e.into_inner());
            let saved = ApprovalStore::load(&self.paths.approval_store())
                .map_err(|e| e.to_string())
                .and_then(|mut store| {
                    store
                        .remember(
                            origin,
                            decision,
                            &token.id,
                            self.config.approval_ttl_days,
                            self.now(),
                        )
                        .map_err(|e| e.to_string())
                });
            if let Err(e) = saved {
                event!(
                    warn,
                    events::APPROVAL_REMEMBERED,
                    "could not remember {origin}: {e}"
                );
            }
        }
        if approval.allows() {
            event!(
                info,
                events::APPROVAL_GRANTED,
                "{origin} approved (token {token_ref})"
            );
            Ok(())
        } else {
            event!(
                info,
                events::APPROVAL_DENIED,
                "{origin} denied (token {token_ref})"
            );
            Err(ApiResponse::error(
                403,
                "DENIED",
                "the user denied this request",
            ))
        }
    }

    /// The remembered decision for `origin`, from the cached store when
    /// the file has not changed since it was read.
    fn remembered(&self, origin: &PageOrigin, now: i64) -> Result<Option<Decision>, ApiResponse> {
        let path = self.paths.approval_store();
        let current = stamp(&path);
        let mut cache = self.approvals.lock().unwrap_or_else(|e| e.into_inner());
        let fresh = matches!(&*cache, Some((seen, _)) if *seen == current && current.is_some());
        if !fresh {
            let store = ApprovalStore::load(&path).map_err(|e| internal(&e.to_string()))?;
            *cache = Some((current, store));
        }
        Ok(cache.as_ref().and_then(|(_, store)| {
            store
                .list()
                .iter()
                .find(|a| a.origin == *origin && !a.is_expired(now))
                .map(|a| a.decision)
        }))
    }

    fn query(&self, request: &ApiRequest) -> Result<ApiResponse, ApiResponse> {
        let token = self.authenticate(request)?;
        if self.locked.load(Ordering::SeqCst) {
            return Err(locked());
        }
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Query {
            origin: String,
        }
        let body: Query = parse_body(request)?;
        let origin = page_origin(&body.origin)?;
        if !self.limiter.allow(origin.as_str(), Instant::now()) {
            return Err(ApiResponse::error(
                429,
                "RATE_LIMITED",
                "too many queries for this site; wait a second",
            ));
        }
        let matches = self.vault(|reply| VaultCall::Count {
            origin: origin.clone(),
            reply,
        })?;
        self.approve(&origin, &token, Action::Fill, matches)?;
        let found = self.vault(|reply| VaultCall::Query {
            origin: origin.clone(),
            reply,
        })?;
        let entries: Vec<Value> = found
            .iter()
            .map(|c| {
                let mut entry = json!({
                    "entry_id": c.entry_id,
                    "title": c.title,
                    "username": c.username,
                    "password": c.password.expose(),
                });
                if let Some(code) = &c.totp {
                    entry["totp"] = json!(code);
                }
                entry
            })
            .collect();
        Ok(ApiResponse::json(200, json!({ "entries": entries })))
    }

    fn store(&self, request: &ApiRequest) -> Result<ApiResponse, ApiResponse> {
        let token = self.authenticate(request)?;
        if self.locked.load(Ordering::SeqCst) {
            return Err(locked());
        }
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Store {
            origin: String,
            title: Option<String>,
            username: String,
            password: String,
            notes: Option<String>,
            #[serde(default)]
            update: bool,
        }
        let body: Store = parse_body(request)?;
        let origin = page_origin(&body.origin)?;
        if body.password.is_empty() {
            return Err(bad_request("password must not be empty"));
        }
        let matches = self.vault(|reply| VaultCall::Count {
            origin: origin.clone(),
            reply,
        })?;
        self.approve(&origin, &token, Action::Save, matches)?;
        let item = StoreItem {
            page: origin,
            title: body.title,
            username: body.username,
            password: SecretString::new(body.password),
            notes: body.notes,
            update: body.update,
        };
        match self.vault(|reply| VaultCall::Store { item, reply })? {
            Stored::Added { entry_id } => Ok(ApiResponse::json(
                201,
                json!({"entry_id": entry_id, "created": true}),
            )),
            Stored::Updated { entry_id } => Ok(ApiResponse::json(
                200,
                json!({"entry_id": entry_id, "updated": true}),
            )),
            Stored::Conflict { entry_id } => Err(ApiResponse::json(
                409,
                json!({"error": {
                    "code": "EXISTS",
                    "message": "an entry with this username exists for this site; send \
                                update: true to replace its password",
                    "entry_id": entry_id,
                }}),
            )),
        }
    }

    fn clear_clipboard(&self, request: &ApiRequest) -> Result<ApiResponse, ApiResponse> {
        self.authenticate(request)?;
        let cleared = self
            .link
            .ask(self.config.vault_timeout, |reply| {
                BridgeMessage::ClearClipboard { reply }
            })
            .unwrap_or(false);
        Ok(ApiResponse::json(200, json!({ "cleared": cleared })))
    }

    fn audit_report(&self, request: &ApiRequest) -> Result<ApiResponse, ApiResponse> {
        let token = self.authenticate(request)?;
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Report {
            event: String,
            origin: Option<String>,
            message: Option<String>,
        }
        let body: Report = parse_body(request)?;
        let clean = |text: &str| -> String {
            text.chars()
                .filter(|c| !c.is_control())
                .take(MAX_REPORT_CHARS)
                .collect()
        };
        let event_name = clean(&body.event);
        if event_name.is_empty() {
            return Err(bad_request("event must not be empty"));
        }
        event!(
            info,
            events::BROWSER_EXTENSION_REPORT,
            "token {}: {} {} {}",
            token_ref(&token.id),
            event_name,
            body.origin.as_deref().map(clean).unwrap_or_default(),
            body.message.as_deref().map(clean).unwrap_or_default()
        );
        Ok(ApiResponse::json(202, json!({ "logged": true })))
    }
}

impl Endpoints for Bridge {
    fn locked(&self) -> bool {
        self.locked.load(Ordering::SeqCst)
    }

    fn handle(&self, request: &ApiRequest, _caller: &Caller) -> ApiResponse {
        let post = request.method == "POST";
        let outcome = match request.path.as_str() {
            "/v1/pair" if post => Ok(self.pair(request)),
            "/v1/credentials/query" if post => self.query(request),
            "/v1/credentials/store" if post => self.store(request),
            "/v1/clipboard/clear" if post => self.clear_clipboard(request),
            "/v1/audit/report" if post => self.audit_report(request),
            "/v1/pair"
            | "/v1/credentials/query"
            | "/v1/credentials/store"
            | "/v1/clipboard/clear"
            | "/v1/audit/report" => Err(api::method_not_allowed()),
            _ => Err(api::not_found()),
        };
        outcome.unwrap_or_else(|answer| answer)
    }
}

/// A short hash of a token id for the log ("token id hash").
fn token_ref(id: &str) -> String {
    let digest = crate::core::crypto::sha256(id.as_bytes());
    digest[..4].iter().map(|b| format!("{b:02x}")).collect()
}

fn parse_body<T: serde::de::DeserializeOwned>(request: &ApiRequest) -> Result<T, ApiResponse> {
    serde_json::from_slice(&request.body).map_err(|e| {
        // serde's message names the field and position, never the value.
        let what = if e.is_syntax() || e.is_eof() {
            "the body is not valid JSON".to_owned()
        } else {
            format!(
                "the body's fields are wrong: {}",
                e.to_string().split(" at line").next().unwrap_or("")
            )
        };
        bad_request(&what)
    })
}

fn page_origin(text: &str) -> Result<PageOrigin, ApiResponse> {
    parse_origin(text).map_err(|e| ApiResponse::error(400, "BAD_ORIGIN", &format!("origin: {e}")))
}

fn bad_request(message: &str) -> ApiResponse {
    ApiResponse::error(400, "BAD_REQUEST", message)
}

fn locked() -> ApiResponse {
    ApiResponse::error(
        423,
        "LOCKED",
        "the vault is locked; ask the user to unlock Secure Password Manager",
    )
}

fn internal(message: &str) -> ApiResponse {
    ApiResponse::error(500, "INTERNAL", message)
}

fn pair_refused(error: &PairError) -> ApiResponse {
    let (code, message) = match error {
        PairError::Wrong { attempts_left } => (
            "PAIRING_CODE_WRONG",
            format!("the pairing code is wrong; {attempts_left} attempt(s) left"),
        ),
        PairError::Expired => (
            "PAIRING_EXPIRED",
            "the pairing code expired; start pairing again".to_owned(),
        ),
        other => (
            "PAIRING_CLOSED",
            format!("{other}; start pairing again in the app"),
        ),
    };
    ApiResponse::error(403, code, &message)
}
