//! Requests and answers as plain values, and the routing every request
//! takes: the guards first, then the endpoint. Nothing here touches a
//! socket, so the whole API can be driven from tests and fuzzers.

use serde_json::{Value, json};

use super::guard::{self, Caller};

/// The API version in every path (`/v1/…`).
pub const API_VERSION: u32 = 1;

/// One request, as the server read it.
#[derive(Clone, Default)]
pub struct ApiRequest {
    /// `GET`, `POST`, `OPTIONS`…
    pub method: String,
    /// The path without the query string.
    pub path: String,
    /// The `Host` header.
    pub host: Option<String>,
    /// The `Origin` header.
    pub origin: Option<String>,
    /// The `Authorization` header.
    pub authorization: Option<String>,
    /// The `X-Bridge-Fingerprint` header: the extension's key fingerprint.
    pub fingerprint: Option<String>,
    /// The body (at most the body limit).
    pub body: Vec<u8>,
}

impl std::fmt::Debug for ApiRequest {
    // Never the body or the token: they may hold secrets.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApiRequest")
            .field("method", &self.method)
            .field("path", &self.path)
            .field("origin", &self.origin)
            .field("body_bytes", &self.body.len())
            .finish_non_exhaustive()
    }
}

/// One answer.
pub struct ApiResponse {
    /// The HTTP status.
    pub status: u16,
    /// The JSON body (`null` for none).
    pub body: Value,
    /// Extra headers (CORS).
    pub headers: Vec<(&'static str, String)>,
}

impl std::fmt::Debug for ApiResponse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApiResponse")
            .field("status", &self.status)
            .finish_non_exhaustive()
    }
}

impl ApiResponse {
    /// A JSON answer.
    pub fn json(status: u16, body: Value) -> Self {
        Self {
            status,
            body,
            headers: Vec::new(),
        }
    }

    /// `{"error": {"code", "message"}}`. The message must never hold a
    /// secret or echo the request.
    pub fn error(status: u16, code: &str, message: &str) -> Self {
        Self::json(status, json!({"error": {"code": code, "message": message}}))
    }

    /// The error code, if this is an error answer.
    pub fn error_code(&self) -> Option<&str> {
        self.body.get("error")?.get("code")?.as_str()
    }
}

/// What the endpoints behind the guards provide.
pub trait Endpoints: Send + Sync {
    /// Whether the vault is locked now (for `/v1/status`).
    fn locked(&self) -> bool;
    /// Every endpoint other than `/v1/status`, for a caller the guards let
    /// through.
    fn handle(&self, request: &ApiRequest, caller: &Caller) -> ApiResponse;
}

/// What `/v1/status` reports: versions, the lock state and capabilities;
/// never vault data.
pub fn status(locked: bool) -> Value {
    json!({
        "product": "secure-password-manager",
        "version": env!("CARGO_PKG_VERSION"),
        "api_version": API_VERSION,
        "locked": locked,
        "capabilities": [
            "pair",
            "credentials.query",
            "credentials.store",
            "clipboard.clear",
            "audit.report"
        ],
    })
}

/// Runs the guards, answers preflights and `/v1/status`, and hands every
/// other request to `endpoints`. Adds the CORS headers an extension needs.
pub fn route(request: &ApiRequest, port: u16, endpoints: &dyn Endpoints) -> ApiResponse {
    if !guard::host_allowed(request.host.as_deref(), port) {
        return ApiResponse::error(
            403,
            "HOST_REFUSED",
            "the Host header must name this service on 127.0.0.1, localhost or [::1]",
        );
    }
    let caller = guard::caller(request.origin.as_deref());
    if caller == Caller::Refused {
        return ApiResponse::error(
            403,
            "ORIGIN_REFUSED",
            "web pages may not call the bridge; only the browser extension may",
        );
    }
    let mut response = if request.method == "OPTIONS" {
        let mut preflight = ApiResponse::json(204, Value::Null);
        if matches!(caller, Caller::Extension(_)) {
            preflight.headers.extend(guard::preflight_headers());
        }
        preflight
    } else if request.path == "/v1/status" {
        if request.method == "GET" {
            ApiResponse::json(200, status(endpoints.locked()))
        } else {
            method_not_allowed()
        }
    } else {
        endpoints.handle(request, &caller)
    };
    response.headers.extend(guard::cors_headers(&caller));
    response
}

/// 405 for a known path asked with the wrong method.
pub fn method_not_allowed() -> ApiResponse {
    ApiResponse::error(
        405,
        "METHOD_NOT_ALLOWED",
        "this path does not take that method",
    )
}

/// 404 for an unknown path.
pub fn not_found() -> ApiResponse {
    ApiResponse::error(404, "NOT_FOUND", "no such endpoint; see GET /v1/status")
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Nothing;

    impl Endpoints for Nothing {
        fn locked(&self) -> bool {
            true
        }
        fn handle(&self, _: &ApiRequest, _: &Caller) -> ApiResponse {
            not_found()
        }
    }

    fn get(path: &str, host: &str, origin: Option<&str>) -> ApiResponse {
        let request = ApiRequest {
            method: "GET".into(),
            path: path.into(),
            host: Some(host.into()),
            origin: origin.map(Into::into),
            ..Default::default()
        };
        route(&request, 43110, &Nothing)
    }

    #[test]
    fn status_reports_versions_and_the_lock_state_only() {
        let answer = get("/v1/status", "127.0.0.1:43110", None);
        assert_eq!(answer.status, 200);
        assert_eq!(answer.body["locked"], true);
        assert_eq!(answer.body["api_version"], 1);
        assert!(answer.body.get("entries").is_none());
    }

    #[test]
    fn rebinding_and_web_pages_are_refused_before_any_work() {
        let rebound = get("/v1/status", "evil.example:43110", None);
        assert_eq!(
            (rebound.status, rebound.error_code()),
            (403, Some("HOST_REFUSED"))
        );
        let page = get(
            "/v1/status",
            "127.0.0.1:43110",
            Some("https://evil.example"),
        );
        assert_eq!(
            (page.status, page.error_code()),
            (403, Some("ORIGIN_REFUSED"))
        );
        assert!(page.headers.is_empty(), "no CORS for a web page");
        let ext = get(
            "/v1/status",
            "localhost:43110",
            Some("chrome-extension://abc"),
        );
        assert_eq!(ext.status, 200);
        assert!(
            ext.headers
                .iter()
                .any(|(k, _)| *k == "Access-Control-Allow-Origin")
        );
        assert_eq!(get("/v2/nothing", "[::1]:43110", None).status, 404);
    }
}
