//! What values each setting accepts, and the check of a value against
//! its rule.

use std::path::Path;

use serde_json::Value;

use crate::core::kdf::KdfParams;
use crate::core::kdf_tuning;

/// What values a setting accepts.
pub(super) enum Rule {
    Bool,
    Int {
        min: i64,
        max: i64,
    },
    OneOf(&'static [&'static str]),
    LoopbackHost,
    Kdf,
    /// `https://…`, or `http://` to a loopback address (a local mock).
    BreachUrl,
    /// A file path, or empty for none.
    OptionalPath,
    /// An absolute directory path, or empty for the default.
    OptionalDir,
    /// A GPG key id, fingerprint or e-mail address, or empty for none.
    GpgKeyId,
}

/// Every known leaf setting and the values it accepts.
pub(super) const RULES: &[(&str, Rule)] = &[
    ("ui.theme", Rule::OneOf(&["system", "light", "dark"])),
    (
        "key_management.mode",
        Rule::OneOf(&["file-key", "password-derived"]),
    ),
    ("key_management.kdf", Rule::Kdf),
    (
        "key_management.benchmark_target_ms",
        Rule::Int {
            min: kdf_tuning::MIN_TARGET_MS as i64,
            max: kdf_tuning::MAX_TARGET_MS as i64,
        },
    ),
    (
        "clipboard.auto_clear_seconds",
        Rule::Int { min: 5, max: 600 },
    ),
    ("password_history.enabled", Rule::Bool),
    (
        "password_history.max_versions",
        Rule::Int { min: 1, max: 100 },
    ),
    (
        "security.auto_lock_minutes",
        Rule::Int { min: 1, max: 1440 },
    ),
    ("security.lock_on_minimize", Rule::Bool),
    ("browser_bridge.enabled", Rule::Bool),
    ("browser_bridge.host", Rule::LoopbackHost),
    (
        "browser_bridge.port",
        Rule::Int {
            min: 1,
            max: 65_535,
        },
    ),
    (
        "browser_bridge.token_ttl_hours",
        Rule::Int { min: 1, max: 720 },
    ),
    (
        "browser_bridge.pairing_window_seconds",
        Rule::Int { min: 10, max: 600 },
    ),
    (
        "browser_bridge.approval_ttl_days",
        Rule::Int { min: 0, max: 3650 },
    ),
    ("audit.max_age_days", Rule::Int { min: 1, max: 3650 }),
    ("breach.enabled", Rule::Bool),
    ("breach.api_url", Rule::BreachUrl),
    ("breach.max_concurrency", Rule::Int { min: 1, max: 32 }),
    ("breach.cache_ttl_hours", Rule::Int { min: 1, max: 8760 }),
    ("breach.timeout_seconds", Rule::Int { min: 1, max: 120 }),
    ("breach.offline_file", Rule::OptionalPath),
    ("backup.auto", Rule::Bool),
    ("backup.interval_hours", Rule::Int { min: 1, max: 8760 }),
    ("backup.dir", Rule::OptionalDir),
    ("backup.keep_daily", Rule::Int { min: 1, max: 366 }),
    ("backup.keep_weekly", Rule::Int { min: 0, max: 520 }),
    ("backup.keep_monthly", Rule::Int { min: 0, max: 1200 }),
    ("backup.gpg_key_id", Rule::GpgKeyId),
];

pub(super) fn check(rule: &Rule, value: &Value) -> Result<(), String> {
    match rule {
        Rule::Bool => value
            .as_bool()
            .map(|_| ())
            .ok_or_else(|| "expected true or false".into()),
        Rule::Int { min, max } => match value.as_i64() {
            Some(n) if (*min..=*max).contains(&n) => Ok(()),
            _ => Err(format!("expected a whole number from {min} to {max}")),
        },
        Rule::OneOf(options) => match value.as_str() {
            Some(s) if options.contains(&s) => Ok(()),
            _ => Err(format!("expected one of {}", options.join(", "))),
        },
        Rule::LoopbackHost => match value.as_str() {
            Some("127.0.0.1" | "::1" | "localhost") => Ok(()),
            _ => Err("expected a loopback address: 127.0.0.1, ::1 or localhost".into()),
        },
        Rule::BreachUrl => match value.as_str() {
            Some(url) if url.starts_with("https://") && url.len() > 8 => Ok(()),
            Some(url) if is_loopback_http(url) => Ok(()),
            _ => Err(
                "expected an https:// address (http:// only to 127.0.0.1, [::1] or localhost)"
                    .into(),
            ),
        },
        Rule::OptionalPath => value
            .as_str()
            .map(|_| ())
            .ok_or_else(|| "expected a file path, or \"\" for none".into()),
        // Relative paths are refused: each process would resolve one against
        // its own working directory, and backups would scatter.
        Rule::OptionalDir => match value.as_str() {
            Some(dir) if dir.is_empty() || Path::new(dir).is_absolute() => Ok(()),
            _ => Err("expected an absolute directory path, or \"\" for the default".into()),
        },
        Rule::GpgKeyId => match value.as_str() {
            Some(id) if id.is_empty() || crate::core::backup::gpg::valid_key_id(id) => Ok(()),
            _ => Err(
                "expected a GPG key id, fingerprint or e-mail address (letters, digits and \
                 @ . _ + - only, not starting with -), or \"\" for none"
                    .into(),
            ),
        },
        Rule::Kdf => {
            let params: KdfParams = serde_json::from_value(value.clone()).map_err(|_| {
                "expected {\"m_cost_kib\": N, \"t_cost\": N, \"p_cost\": N}".to_owned()
            })?;
            params.validate().map_err(|e| e.to_string())
        }
    }
}

/// Whether `url` is plain HTTP to this machine (how tests reach a mock).
fn is_loopback_http(url: &str) -> bool {
    let Some(rest) = url.strip_prefix("http://") else {
        return false;
    };
    let host = if rest.starts_with("[::1]") {
        "[::1]"
    } else {
        rest.split([':', '/']).next().unwrap_or("")
    };
    matches!(host, "127.0.0.1" | "[::1]" | "localhost")
}
