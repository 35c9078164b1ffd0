//! The HTTP side: one GET of `api_url` + a five-digit prefix to the Pwned
//! Passwords range API (k-anonymity: the rest of the hash never leaves the
//! machine).
//!
//! Redirects are not followed: the real service does not redirect, and a
//! redirect could carry the prefix to a host nobody configured (or to plain
//! http). A 3xx therefore counts as a failed request.

use std::thread;
use std::time::Duration;

use super::error::BreachError;
use super::rows::{RangeRows, parse_range_body};

/// The largest answer accepted. A padded answer is about 40 KB; anything
/// near this is not a range answer.
const BODY_LIMIT: u64 = 2 * 1024 * 1024;
/// How many 429 answers are waited out before the prefix is given up.
const MAX_RETRIES: u32 = 3;
/// The longest single wait a `Retry-After` header can impose.
const MAX_WAIT: Duration = Duration::from_secs(30);

/// The `User-Agent` every request carries, as the service asks clients to
/// name themselves.
pub fn user_agent() -> String {
    format!("secure-password-manager/{}", env!("CARGO_PKG_VERSION"))
}

/// A blocking client for one range API address.
pub(crate) struct RangeClient {
    agent: ureq::Agent,
    /// `api_url`, ending in `/`.
    base: String,
    timeout_seconds: u64,
    /// Whether `api_url` is https, or http to this machine.
    allowed: bool,
}

impl RangeClient {
    /// A client for `api_url` whose connect and overall timeouts are both
    /// `timeout`.
    pub(crate) fn new(api_url: &str, timeout: Duration) -> Self {
        let loopback = is_loopback_http(api_url);
        // A request to this machine never goes through a proxy from the
        // environment; any other address honours it, as users behind a
        // corporate proxy need.
        let proxy = if loopback {
            None
        } else {
            ureq::Proxy::try_from_env()
        };
        let config = ureq::Agent::config_builder()
            .timeout_connect(Some(timeout))
            .timeout_global(Some(timeout))
            .http_status_as_error(false)
            .max_redirects(0)
            .user_agent(user_agent())
            .proxy(proxy)
            .build();
        let mut base = api_url.trim().to_owned();
        if !base.ends_with('/') {
            base.push('/');
        }
        Self {
            agent: config.into(),
            base,
            timeout_seconds: timeout.as_secs_f64().ceil() as u64,
            allowed: loopback || (api_url.starts_with("https://") && api_url.len() > 8),
        }
    }

    /// Fetches and parses the rows of one prefix, waiting out 429 answers.
    pub(crate) fn fetch(&self, prefix: &str) -> Result<RangeRows, BreachError> {
        if !self.allowed {
            return Err(BreachError::InsecureUrl);
        }
        let url = format!("{}{}", self.base, prefix.to_ascii_uppercase());
        let mut refused = 0;
        loop {
            let mut response = self
                .agent
                .get(&url)
                .header("Add-Padding", "true")
                .call()
                .map_err(|e| self.describe(e))?;
            match response.status().as_u16() {
                200 => {}
                429 => {
                    refused += 1;
                    if refused > MAX_RETRIES {
                        return Err(BreachError::RateLimited { tries: refused });
                    }
                    let header = response.headers().get("retry-after");
                    thread::sleep(retry_wait(header.and_then(|v| v.to_str().ok()), refused));
                    continue;
                }
                status => return Err(BreachError::Status { status }),
            }
            let bytes = response
                .body_mut()
                .with_config()
                .limit(BODY_LIMIT)
                .read_to_vec()
                .map_err(|e| self.describe(e))?;
            let body = String::from_utf8(bytes).map_err(|_| BreachError::BadResponse {
                detail: "it is not UTF-8 text".into(),
            })?;
            return parse_range_body(prefix, &body);
        }
    }

    /// Names what failed. ureq's own messages are not used: some quote the
    /// address, and the address holds the prefix.
    fn describe(&self, error: ureq::Error) -> BreachError {
        use std::io::ErrorKind;
        let network = |reason: &str| BreachError::Network {
            reason: reason.to_owned(),
        };
        match error {
            ureq::Error::Timeout(_) => BreachError::Timeout {
                seconds: self.timeout_seconds,
            },
            ureq::Error::Io(e)
                if matches!(e.kind(), ErrorKind::TimedOut | ErrorKind::WouldBlock) =>
            {
                BreachError::Timeout {
                    seconds: self.timeout_seconds,
                }
            }
            ureq::Error::Io(e) => network(&e.kind().to_string()),
            ureq::Error::HostNotFound => network("the host name was not found"),
            ureq::Error::ConnectionFailed => network("the connection failed"),
            ureq::Error::Tls(what) => network(&format!("TLS: {what}")),
            ureq::Error::Rustls(e) => network(&format!("TLS: {e}")),
            ureq::Error::BadUri(_) => network("breach.api_url is not a valid address"),
            ureq::Error::Protocol(_) => BreachError::BadResponse {
                detail: "it is not valid HTTP".into(),
            },
            ureq::Error::BodyExceedsLimit(_) => BreachError::BadResponse {
                detail: "it is larger than 2 MiB".into(),
            },
            _ => network("the request failed"),
        }
    }
}

/// How long to wait after the `refused`-th 429: what `Retry-After` says
/// (in seconds, capped), or a short doubling back-off when it says nothing
/// usable (missing, or an HTTP date).
fn retry_wait(retry_after: Option<&str>, refused: u32) -> Duration {
    match retry_after.and_then(|v| v.trim().parse::<u64>().ok()) {
        Some(seconds) => Duration::from_secs(seconds).min(MAX_WAIT),
        None => Duration::from_secs(1 << refused.saturating_sub(1).min(4)),
    }
}

/// Whether `url` is plain http to this machine (the only http allowed).
pub(crate) fn is_loopback_http(url: &str) -> bool {
    let Some(rest) = url.trim().strip_prefix("http://") else {
        return false;
    };
    let host = if rest.starts_with("[::1]") {
        "[::1]"
    } else {
        rest.split([':', '/']).next().unwrap_or("")
    };
    matches!(host, "127.0.0.1" | "[::1]" | "localhost")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_seconds_are_obeyed_up_to_the_cap() {
        assert_eq!(retry_wait(Some("1"), 1), Duration::from_secs(1));
        assert_eq!(retry_wait(Some(" 0 "), 2), Duration::ZERO);
        assert_eq!(retry_wait(Some("3600"), 1), MAX_WAIT);
    }

    #[test]
    fn missing_or_dated_retry_after_backs_off_briefly() {
        assert_eq!(retry_wait(None, 1), Duration::from_secs(1));
        assert_eq!(retry_wait(None, 2), Duration::from_secs(2));
        let date = "Wed, 21 Oct 2015 07:28:00 GMT";
        assert_eq!(retry_wait(Some(date), 3), Duration::from_secs(4));
    }

    #[test]
    fn only_https_or_loopback_http_is_requested() {
        assert!(is_loopback_http("http://127.0.0.1:8080/range/"));
        assert!(is_loopback_http("http://[::1]:9/range/"));
        assert!(is_loopback_http("http://localhost/range/"));
        assert!(!is_loopback_http("http://127.0.0.1.evil/range/"));
        assert!(!is_loopback_http("http://127.0.0.1@evil.example/"));
        let client = RangeClient::new("http://example.com/range/", Duration::from_secs(1));
        assert!(matches!(
            client.fetch("8BE3C"),
            Err(BreachError::InsecureUrl)
        ));
    }

    #[test]
    fn the_user_agent_names_product_and_version() {
        assert_eq!(
            user_agent(),
            format!("secure-password-manager/{}", env!("CARGO_PKG_VERSION"))
        );
    }
}
