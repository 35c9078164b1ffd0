//! The checks every request passes before any work: the `Host` header
//! (DNS rebinding), the `Origin` header (web pages are refused), and the
//! CORS answer for extension origins.

/// What the `Origin` header says about the caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Caller {
    /// No `Origin` header: a native client or the extension's background
    /// worker.
    Native,
    /// A browser extension (`chrome-extension://…`, `moz-extension://…`).
    Extension(String),
    /// An ordinary web page or anything else a page could send: refused.
    Refused,
}

/// The schemes of extension origins.
const EXTENSION_SCHEMES: [&str; 3] = [
    "chrome-extension://",
    "moz-extension://",
    "safari-web-extension://",
];

/// Whether the `Host` header names this service on a loopback name:
/// `127.0.0.1:PORT`, `localhost:PORT` or `[::1]:PORT`, nothing else. A
/// page that rebinds its own domain to 127.0.0.1 still sends its domain
/// here, and is refused.
pub fn host_allowed(host: Option<&str>, port: u16) -> bool {
    let Some(host) = host else {
        return false;
    };
    let host = host.trim().to_ascii_lowercase();
    ["127.0.0.1", "localhost", "[::1]"]
        .iter()
        .any(|name| host == format!("{name}:{port}"))
}

/// Classifies the `Origin` header.
pub fn caller(origin: Option<&str>) -> Caller {
    let Some(origin) = origin else {
        return Caller::Native;
    };
    let origin = origin.trim();
    let extension = EXTENSION_SCHEMES.iter().find_map(|scheme| {
        let id = origin.get(scheme.len()..)?;
        let scheme_matches = origin
            .get(..scheme.len())
            .is_some_and(|s| s.eq_ignore_ascii_case(scheme));
        let id_ok = !id.is_empty()
            && id.len() <= 128
            && id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.' || b == b'_');
        (scheme_matches && id_ok).then(|| origin.to_owned())
    });
    match extension {
        Some(origin) => Caller::Extension(origin),
        None => Caller::Refused,
    }
}

/// The CORS headers of an answer to this caller: the extension's own
/// origin echoed back, never `*`; nothing for a native caller.
pub fn cors_headers(caller: &Caller) -> Vec<(&'static str, String)> {
    match caller {
        Caller::Extension(origin) => vec![
            ("Access-Control-Allow-Origin", origin.clone()),
            ("Vary", "Origin".to_owned()),
        ],
        _ => Vec::new(),
    }
}

/// Extra headers of a preflight answer for an extension.
pub fn preflight_headers() -> Vec<(&'static str, String)> {
    vec![
        (
            "Access-Control-Allow-Methods",
            "GET, POST, OPTIONS".to_owned(),
        ),
        (
            "Access-Control-Allow-Headers",
            "Authorization, Content-Type, X-Bridge-Fingerprint".to_owned(),
        ),
        ("Access-Control-Max-Age", "600".to_owned()),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback_names_with_our_port_pass_the_host_check() {
        for good in [
            "127.0.0.1:43110",
            "localhost:43110",
            "[::1]:43110",
            "LOCALHOST:43110",
        ] {
            assert!(host_allowed(Some(good), 43110), "{good}");
        }
        for bad in [
            "evil.example:43110",
            "127.0.0.1",
            "127.0.0.1:80",
            "localhost.evil.example:43110",
            "127.0.0.1:43110.evil",
            "0.0.0.0:43110",
            "",
        ] {
            assert!(!host_allowed(Some(bad), 43110), "{bad}");
        }
        assert!(!host_allowed(None, 43110));
    }

    #[test]
    fn web_pages_are_refused_and_extensions_named() {
        assert_eq!(caller(None), Caller::Native);
        assert_eq!(
            caller(Some("chrome-extension://abcdefghijklmnop")),
            Caller::Extension("chrome-extension://abcdefghijklmnop".to_owned())
        );
        assert!(matches!(
            caller(Some("moz-extension://0b5c-44e1-9a1e")),
            Caller::Extension(_)
        ));
        for bad in [
            "https://evil.example",
            "http://127.0.0.1:43110",
            "null",
            "file://",
            "chrome-extension://",
            "chrome-extension://abc/def",
            "chrome-extension://abc\r\nX: y",
            "chrome-extension.evil://abc",
        ] {
            assert_eq!(caller(Some(bad)), Caller::Refused, "{bad}");
        }
    }

    #[test]
    fn cors_never_answers_with_a_wildcard() {
        let ext = Caller::Extension("chrome-extension://abc".to_owned());
        let headers = cors_headers(&ext);
        assert!(
            headers
                .iter()
                .any(|(k, v)| *k == "Access-Control-Allow-Origin" && v == "chrome-extension://abc")
        );
        assert!(headers.iter().all(|(_, v)| v != "*"));
        assert!(cors_headers(&Caller::Native).is_empty());
    }
}
