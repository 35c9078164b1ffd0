//! `settings.json`: preferences and feature toggles.
//!
//! The file holds nested sections merged over built-in defaults. Only the
//! keys a user set are written back, together with any keys this version
//! does not know (so a newer version's settings survive an older one). A file
//! that does not parse is moved aside and defaults are used; an invalid value
//! is replaced by its default alone. Both come back as warnings for the edge
//! to log and show.

use std::path::{Path, PathBuf};

use serde_json::{Map, Value, json};

use crate::core::fsio::{self, FileError};
use crate::core::kdf::KdfParams;
use crate::core::kdf_tuning;

/// A setting could not be read or changed.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    /// No such setting.
    #[error("there is no setting {key:?}; known settings: {known}")]
    Unknown { key: String, known: String },
    /// The key names a whole section.
    #[error("{key:?} is a section; set one of its keys: {keys}")]
    Section { key: String, keys: String },
    /// The value is not acceptable for this setting.
    #[error("{value} is not a valid value for {key}: {expected}")]
    Invalid {
        key: String,
        value: String,
        expected: String,
    },
    /// The file could not be written.
    #[error(transparent)]
    File(#[from] FileError),
}

/// What values a setting accepts.
enum Rule {
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
const RULES: &[(&str, Rule)] = &[
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

/// The built-in defaults.
pub fn defaults() -> Value {
    let kdf = KdfParams::default();
    json!({
        "key_management": {
            "mode": "file-key",
            "kdf": { "m_cost_kib": kdf.m_cost_kib, "t_cost": kdf.t_cost, "p_cost": kdf.p_cost },
            "benchmark_target_ms": kdf_tuning::DEFAULT_TARGET_MS
        },
        "clipboard": { "auto_clear_seconds": 25 },
        "password_history": { "enabled": true, "max_versions": 10 },
                "security": { "auto_lock_minutes": 5, "lock_on_minimize": true },
        "ui": { "theme": "system" },
        "browser_bridge": {
            "enabled": false,
            "host": "127.0.0.1",
            "port": 43110,
            "token_ttl_hours": 24,
            "pairing_window_seconds": 120,
            "approval_ttl_days": 90
        },
        "audit": { "max_age_days": 365 },
        "backup": {
            "auto": true,
            "interval_hours": 24,
            "dir": "",
            "keep_daily": 7,
            "keep_weekly": 4,
            "keep_monthly": 12,
            "gpg_key_id": ""
        },
        "breach": {
            "enabled": true,
            "api_url": "https://api.pwnedpasswords.com/range/",
            "max_concurrency": 8,
            "cache_ttl_hours": 168,
            "timeout_seconds": 10,
            "offline_file": ""
        }
    })
}

/// Loaded settings.
#[derive(Debug, Clone)]
pub struct Settings {
    /// What the file holds (written back on save).
    stored: Value,
    /// Defaults with the stored values merged over them, invalid ones replaced.
    effective: Value,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            stored: Value::Object(Map::new()),
            effective: defaults(),
        }
    }
}

/// Settings plus what was wrong with the file, for the edge to log.
#[derive(Debug)]
pub struct Loaded {
    /// The usable settings.
    pub settings: Settings,
    /// One sentence per problem found.
    pub warnings: Vec<String>,
}

impl Settings {
    /// Reads `path`; a missing file gives the defaults.
    pub fn load(path: &Path) -> Result<Loaded, FileError> {
        let Some(bytes) = fsio::read_optional(path)? else {
            return Ok(Loaded {
                settings: Settings::default(),
                warnings: Vec::new(),
            });
        };
        match serde_json::from_slice::<Value>(&bytes) {
            Ok(stored @ Value::Object(_)) => {
                let mut warnings = Vec::new();
                let effective = effective(&stored, path, &mut warnings);
                Ok(Loaded {
                    settings: Settings { stored, effective },
                    warnings,
                })
            }
            Ok(_) => Ok(set_aside(path, "the top level is not a JSON object")?),
            Err(e) => {
                // serde_json's message already ends "at line L column C".
                let detail = e.to_string();
                Ok(set_aside(path, &detail)?)
            }
        }
    }

    /// The effective value of a setting or section.
    pub fn get(&self, key: &str) -> Result<&Value, SettingsError> {
        pointer(&self.effective, key).ok_or_else(|| unknown(key))
    }

    /// Changes one setting; `raw` is JSON (`true`, `30`) or plain text.
    pub fn set(&mut self, key: &str, raw: &str) -> Result<(), SettingsError> {
        let mut value = serde_json::from_str::<Value>(raw).unwrap_or_else(|_| Value::from(raw));
        let Some((_, rule)) = RULES.iter().find(|(k, _)| *k == key) else {
            return match pointer(&defaults(), key) {
                Some(Value::Object(section)) => Err(SettingsError::Section {
                    key: key.to_owned(),
                    keys: section
                        .keys()
                        .map(|k| format!("{key}.{k}"))
                        .collect::<Vec<_>>()
                        .join(", "),
                }),
                _ => Err(unknown(key)),
            };
        };
        // A key id of digits alone (or digits and one E) parses as a JSON
        // number, but is meant as text.
        if matches!(rule, Rule::GpgKeyId) && !value.is_string() {
            value = Value::from(raw);
        }
        check(rule, &value).map_err(|expected| SettingsError::Invalid {
            key: key.to_owned(),
            value: value.to_string(),
            expected,
        })?;
        insert(&mut self.stored, key, value.clone());
        insert(&mut self.effective, key, value);
        Ok(())
    }

    /// Writes the stored settings atomically.
    pub fn save(&self, path: &Path) -> Result<(), FileError> {
        let mut json = serde_json::to_vec_pretty(&self.stored).unwrap_or_default();
        json.push(b'\n');
        fsio::write_atomic(path, &json)
    }

    /// Every setting with its effective value.
    pub fn effective(&self) -> &Value {
        &self.effective
    }

    fn int(&self, key: &str) -> i64 {
        pointer(&self.effective, key)
            .and_then(Value::as_i64)
            .or_else(|| pointer(&defaults(), key).and_then(Value::as_i64))
            .unwrap_or_default()
    }

    fn bool(&self, key: &str) -> bool {
        pointer(&self.effective, key)
            .and_then(Value::as_bool)
            .or_else(|| pointer(&defaults(), key).and_then(Value::as_bool))
            .unwrap_or_default()
    }

    /// `password_history.enabled`.
    pub fn history_enabled(&self) -> bool {
        self.bool("password_history.enabled")
    }

    /// `password_history.max_versions`.
    pub fn history_max_versions(&self) -> u32 {
        self.int("password_history.max_versions") as u32
    }

    /// `clipboard.auto_clear_seconds`.
    pub fn clipboard_clear_seconds(&self) -> u64 {
        self.int("clipboard.auto_clear_seconds") as u64
    }

    /// `security.auto_lock_minutes`.
    pub fn auto_lock_minutes(&self) -> u64 {
        self.int("security.auto_lock_minutes") as u64
    }

    /// `ui.theme`: "system", "light" or "dark".
    pub fn theme(&self) -> String {
        pointer(&self.effective, "ui.theme")
            .and_then(Value::as_str)
            .unwrap_or("system")
            .to_owned()
    }

    /// `security.lock_on_minimize`.
    pub fn lock_on_minimize(&self) -> bool {
        self.bool("security.lock_on_minimize")
    }

    /// `key_management.benchmark_target_ms`: how long an unlock should
    /// take, for the KDF benchmark.
    pub fn benchmark_target_ms(&self) -> u32 {
        u32::try_from(self.int("key_management.benchmark_target_ms"))
            .unwrap_or(kdf_tuning::DEFAULT_TARGET_MS)
    }

    /// `key_management.kdf` as parameters (already validated).
    pub fn kdf(&self) -> KdfParams {
        pointer(&self.effective, "key_management.kdf")
            .and_then(|v| serde_json::from_value(v.clone()).ok())
            .unwrap_or_default()
    }

    /// `backup.keep_daily`, `keep_weekly`, `keep_monthly`.
    pub fn backup_retention(&self) -> crate::core::backup::retention::Retention {
        let count = |key| usize::try_from(self.int(key)).unwrap_or(0);
        crate::core::backup::retention::Retention {
            daily: count("backup.keep_daily").max(1),
            weekly: count("backup.keep_weekly"),
            monthly: count("backup.keep_monthly"),
        }
    }

    /// `backup.gpg_key_id`, when set: the GPG key that signs each backup.
    pub fn backup_gpg_key_id(&self) -> Option<String> {
        self.get("backup.gpg_key_id")
            .ok()
            .and_then(Value::as_str)
            .filter(|id| !id.is_empty())
            .map(str::to_owned)
    }

    /// `backup.auto`, `backup.interval_hours` and the retention rule.
    pub fn backup_auto(&self) -> crate::core::backup::auto::AutoPolicy {
        crate::core::backup::auto::AutoPolicy {
            enabled: self.bool("backup.auto"),
            interval_hours: u32::try_from(self.int("backup.interval_hours")).unwrap_or(24),
            retention: self.backup_retention(),
        }
    }

    /// Where backups go: `backup.dir` when set, otherwise the vault's own
    /// `backups/` directory. The command line, the window and automatic
    /// backups all ask here, so they never disagree.
    pub fn backups_dir(&self, paths: &crate::core::paths::Paths) -> PathBuf {
        self.get("backup.dir")
            .ok()
            .and_then(Value::as_str)
            .filter(|dir| !dir.trim().is_empty())
            .map_or_else(|| paths.backups_dir(), PathBuf::from)
    }

    /// `browser_bridge.approval_ttl_days`: how long a remembered bridge
    /// approval lasts, in days; 0 keeps it until it is forgotten.
    pub fn bridge_approval_ttl_days(&self) -> u32 {
        u32::try_from(self.int("browser_bridge.approval_ttl_days")).unwrap_or(90)
    }

    /// `browser_bridge.enabled`.
    pub fn bridge_enabled(&self) -> bool {
        self.bool("browser_bridge.enabled")
    }

    /// `browser_bridge.host` as an address (`localhost` is 127.0.0.1).
    pub fn bridge_host(&self) -> std::net::IpAddr {
        let text = pointer(&self.effective, "browser_bridge.host").and_then(Value::as_str);
        match text {
            Some("::1") => std::net::IpAddr::V6(std::net::Ipv6Addr::LOCALHOST),
            _ => std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST),
        }
    }

    /// `browser_bridge.port`.
    pub fn bridge_port(&self) -> u16 {
        u16::try_from(self.int("browser_bridge.port")).unwrap_or(43110)
    }

    /// `browser_bridge.token_ttl_hours`.
    pub fn bridge_token_ttl_hours(&self) -> u32 {
        u32::try_from(self.int("browser_bridge.token_ttl_hours")).unwrap_or(24)
    }

    /// `browser_bridge.pairing_window_seconds`.
    pub fn bridge_pairing_window_seconds(&self) -> u32 {
        u32::try_from(self.int("browser_bridge.pairing_window_seconds")).unwrap_or(120)
    }

    /// `audit.max_age_days`.
    pub fn audit_max_age_days(&self) -> u32 {
        u32::try_from(self.int("audit.max_age_days")).unwrap_or(365)
    }

    /// `breach.enabled`.
    pub fn breach_enabled(&self) -> bool {
        self.bool("breach.enabled")
    }

    /// `breach.api_url`.
    pub fn breach_api_url(&self) -> String {
        self.get("breach.api_url")
            .ok()
            .and_then(Value::as_str)
            .unwrap_or("https://api.pwnedpasswords.com/range/")
            .to_owned()
    }

    /// `breach.max_concurrency`.
    pub fn breach_max_concurrency(&self) -> usize {
        usize::try_from(self.int("breach.max_concurrency")).unwrap_or(8)
    }

    /// `breach.cache_ttl_hours`.
    pub fn breach_cache_ttl_hours(&self) -> u64 {
        u64::try_from(self.int("breach.cache_ttl_hours")).unwrap_or(168)
    }

    /// `breach.timeout_seconds`.
    pub fn breach_timeout_seconds(&self) -> u64 {
        u64::try_from(self.int("breach.timeout_seconds")).unwrap_or(10)
    }

    /// `breach.offline_file`, when set.
    pub fn breach_offline_file(&self) -> Option<std::path::PathBuf> {
        self.get("breach.offline_file")
            .ok()
            .and_then(Value::as_str)
            .filter(|p| !p.trim().is_empty())
            .map(std::path::PathBuf::from)
    }

    /// `key_management.mode`.
    pub fn key_mode(&self) -> String {
        pointer(&self.effective, "key_management.mode")
            .and_then(Value::as_str)
            .unwrap_or("file-key")
            .to_owned()
    }
}

/// Every known setting key, for help text.
pub fn known_keys() -> Vec<&'static str> {
    RULES.iter().map(|(k, _)| *k).collect()
}

fn unknown(key: &str) -> SettingsError {
    SettingsError::Unknown {
        key: key.to_owned(),
        known: known_keys().join(", "),
    }
}

fn set_aside(path: &Path, detail: &str) -> Result<Loaded, FileError> {
    // The process id keeps two copies set aside in the same second apart.
    let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%SZ");
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(format!(".corrupt-{stamp}-{}", std::process::id()));
    let aside: PathBuf = path.with_file_name(name);
    let warning = match std::fs::rename(path, &aside) {
        Ok(()) => format!(
            "{} could not be read ({detail}); it was moved to {} and the default settings are \
             in use",
            path.display(),
            aside.display()
        ),
        // Another process found it broken too and moved it first.
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => format!(
            "{} could not be read ({detail}); another process has moved it aside and the \
             default settings are in use",
            path.display()
        ),
        Err(e) => return Err(FileError::io(path, "move aside", e)),
    };
    Ok(Loaded {
        settings: Settings::default(),
        warnings: vec![warning],
    })
}

fn effective(stored: &Value, path: &Path, warnings: &mut Vec<String>) -> Value {
    let defaults = defaults();
    let mut merged = defaults.clone();
    merge(&mut merged, stored);
    // A known section replaced by a plain value would hide all its settings.
    if let Value::Object(sections) = &defaults {
        for (name, default) in sections {
            if merged.get(name).is_some_and(|v| !v.is_object()) {
                warnings.push(format!(
                    "{}: {name} should be a section of settings, not {}; using its defaults",
                    path.display(),
                    merged[name]
                ));
                merged[name] = default.clone();
            }
        }
    }
    for (key, rule) in RULES {
        let Some(value) = pointer(&merged, key) else {
            continue;
        };
        if let Err(expected) = check(rule, value) {
            let default = pointer(&defaults, key).cloned().unwrap_or(Value::Null);
            warnings.push(format!(
                "{}: {key} = {value} is invalid ({expected}); using the default {default}",
                path.display()
            ));
            insert(&mut merged, key, default);
        }
    }
    merged
}

fn check(rule: &Rule, value: &Value) -> Result<(), String> {
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

fn pointer<'a>(root: &'a Value, dotted: &str) -> Option<&'a Value> {
    dotted
        .split('.')
        .try_fold(root, |node, part| node.get(part))
}

fn insert(root: &mut Value, dotted: &str, value: Value) {
    let mut node = root;
    let parts: Vec<&str> = dotted.split('.').collect();
    for part in &parts[..parts.len() - 1] {
        if !node.get(*part).is_some_and(Value::is_object) {
            node[*part] = Value::Object(Map::new());
        }
        node = &mut node[*part];
    }
    node[parts[parts.len() - 1]] = value;
}

fn merge(base: &mut Value, over: &Value) {
    match (base, over) {
        (Value::Object(base), Value::Object(over)) => {
            for (k, v) in over {
                match base.get_mut(k) {
                    Some(existing) if existing.is_object() && v.is_object() => merge(existing, v),
                    _ => {
                        base.insert(k.clone(), v.clone());
                    }
                }
            }
        }
        (base, over) => *base = over.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load_text(text: &str) -> (tempfile::TempDir, Loaded) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("settings.json");
        std::fs::write(&path, text).unwrap();
        let loaded = Settings::load(&path).unwrap();
        (dir, loaded)
    }

    #[test]
    fn breach_addresses_must_be_https_or_loopback() {
        let (_dir, loaded) = load_text("{}");
        let mut s = loaded.settings;
        s.set("breach.api_url", "http://127.0.0.1:8080/range/")
            .unwrap();
        s.set("breach.api_url", "http://[::1]:9/range/").unwrap();
        s.set("breach.api_url", "https://mirror.example/range/")
            .unwrap();
        for bad in [
            "http://example.com/range/",
            "ftp://x/",
            "http://127.0.0.1.evil/",
        ] {
            assert!(s.set("breach.api_url", bad).is_err(), "{bad}");
        }
        assert_eq!(s.breach_offline_file(), None);
        s.set("breach.offline_file", "/data/pwned.txt").unwrap();
        assert_eq!(
            s.breach_offline_file(),
            Some(std::path::PathBuf::from("/data/pwned.txt"))
        );
        assert_eq!(s.audit_max_age_days(), 365);
        assert_eq!(s.breach_max_concurrency(), 8);
    }

    #[test]
    fn missing_file_gives_defaults() {
        let dir = tempfile::tempdir().unwrap();
        let loaded = Settings::load(&dir.path().join("settings.json")).unwrap();
        assert!(loaded.warnings.is_empty());
        assert_eq!(loaded.settings.clipboard_clear_seconds(), 25);
        assert_eq!(loaded.settings.history_max_versions(), 10);
        assert_eq!(
            loaded.settings.get("browser_bridge.port").unwrap(),
            &json!(43110)
        );
    }

    #[test]
    fn unknown_keys_survive_a_save() {
        let (dir, mut loaded) = load_text(r#"{"future": {"x": 1}, "clipboard": {"y": 2}}"#);
        loaded
            .settings
            .set("clipboard.auto_clear_seconds", "40")
            .unwrap();
        let path = dir.path().join("settings.json");
        loaded.settings.save(&path).unwrap();
        let saved: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        assert_eq!(saved["future"]["x"], 1);
        assert_eq!(saved["clipboard"]["y"], 2);
        assert_eq!(saved["clipboard"]["auto_clear_seconds"], 40);
    }

    #[test]
    fn corrupt_file_is_moved_aside_with_its_line() {
        let (dir, loaded) = load_text("{\n  \"clipboard\": {,\n}");
        assert_eq!(loaded.warnings.len(), 1);
        assert!(
            loaded.warnings[0].contains("line 2"),
            "{}",
            loaded.warnings[0]
        );
        let names: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert!(
            names
                .iter()
                .any(|n| n.starts_with("settings.json.corrupt-")),
            "{names:?}"
        );
        assert!(!names.contains(&"settings.json".to_owned()));
    }

    #[test]
    fn invalid_value_alone_is_replaced_by_its_default() {
        let (_dir, loaded) = load_text(
            r#"{"browser_bridge": {"port": 0, "token_ttl_hours": 48},
                "clipboard": {"auto_clear_seconds": -5}}"#,
        );
        let s = &loaded.settings;
        assert_eq!(s.get("browser_bridge.port").unwrap(), &json!(43110));
        assert_eq!(s.get("browser_bridge.token_ttl_hours").unwrap(), &json!(48));
        assert_eq!(s.clipboard_clear_seconds(), 25);
        assert_eq!(loaded.warnings.len(), 2);
        assert!(
            loaded
                .warnings
                .iter()
                .any(|w| w.contains("browser_bridge.port = 0"))
        );
    }

    #[test]
    fn a_section_replaced_by_a_value_falls_back_to_its_defaults() {
        let (_dir, loaded) = load_text(r#"{"password_history": 5, "security": []}"#);
        assert!(loaded.settings.history_enabled());
        assert_eq!(loaded.settings.history_max_versions(), 10);
        assert_eq!(loaded.settings.auto_lock_minutes(), 5);
        assert_eq!(loaded.warnings.len(), 2, "{:?}", loaded.warnings);
        assert!(loaded.warnings[0].contains("password_history should be a section"));
    }

    #[test]
    fn set_validates_keys_and_values() {
        let mut s = Settings::default();
        assert!(matches!(
            s.set("nope.key", "1"),
            Err(SettingsError::Unknown { .. })
        ));
        assert!(matches!(
            s.set("clipboard", "1"),
            Err(SettingsError::Section { .. })
        ));
        assert!(matches!(
            s.set("browser_bridge.port", "0"),
            Err(SettingsError::Invalid { .. })
        ));
        assert!(s.set("browser_bridge.host", "10.0.0.1").is_err());
        let weak_kdf = r#"{"m_cost_kib": 1024, "t_cost": 1, "p_cost": 1}"#;
        assert!(s.set("key_management.kdf", weak_kdf).is_err());
        s.set("security.lock_on_minimize", "false").unwrap();
        assert_eq!(s.get("security.lock_on_minimize").unwrap(), &json!(false));
        s.set("key_management.mode", "password-derived").unwrap();
        assert_eq!(s.key_mode(), "password-derived");
    }

    #[test]
    fn the_benchmark_aims_for_500_ms_unless_set_from_100_to_5000() {
        let mut s = Settings::default();
        assert_eq!(s.benchmark_target_ms(), 500);
        for bad in ["99", "5001", "10000"] {
            assert!(
                s.set("key_management.benchmark_target_ms", bad).is_err(),
                "{bad}"
            );
        }
        s.set("key_management.benchmark_target_ms", "5000").unwrap();
        assert_eq!(s.benchmark_target_ms(), 5000);
        s.set("key_management.benchmark_target_ms", "100").unwrap();
        assert_eq!(s.benchmark_target_ms(), 100);
    }

    #[test]
    fn backups_go_to_the_chosen_absolute_folder_or_the_default() {
        let paths = crate::core::paths::Paths::portable(Path::new("/vault"));
        let mut s = Settings::default();
        assert_eq!(s.backups_dir(&paths), paths.backups_dir());
        s.set("backup.dir", "/mnt/usb/backups").unwrap();
        assert_eq!(s.backups_dir(&paths), Path::new("/mnt/usb/backups"));
        for bad in ["backups", "./here", "1"] {
            assert!(s.set("backup.dir", bad).is_err(), "{bad}");
        }
        s.set("backup.dir", "").unwrap();
        assert_eq!(s.backups_dir(&paths), paths.backups_dir());
        let (_dir, loaded) = load_text(r#"{"backup": {"dir": "relative/dir"}}"#);
        assert_eq!(loaded.settings.backups_dir(&paths), paths.backups_dir());
        assert_eq!(loaded.warnings.len(), 1, "{:?}", loaded.warnings);
    }

    #[test]
    fn bridge_approvals_last_90_days_unless_set_from_0_to_3650() {
        let mut s = Settings::default();
        assert_eq!(s.bridge_approval_ttl_days(), 90);
        s.set("browser_bridge.approval_ttl_days", "0").unwrap();
        assert_eq!(s.bridge_approval_ttl_days(), 0);
        s.set("browser_bridge.approval_ttl_days", "3650").unwrap();
        for bad in ["-1", "3651", "\"x\"", "1.5"] {
            assert!(
                s.set("browser_bridge.approval_ttl_days", bad).is_err(),
                "{bad}"
            );
        }
        assert_eq!(s.bridge_approval_ttl_days(), 3650);
    }

    #[test]
    fn a_gpg_key_id_is_text_of_safe_characters() {
        let mut s = Settings::default();
        assert_eq!(s.backup_gpg_key_id(), None);
        s.set("backup.gpg_key_id", "ABCDEF0123456789").unwrap();
        assert_eq!(s.backup_gpg_key_id().as_deref(), Some("ABCDEF0123456789"));
        // Digits alone stay text rather than becoming a number.
        s.set("backup.gpg_key_id", "12345678").unwrap();
        assert_eq!(s.backup_gpg_key_id().as_deref(), Some("12345678"));
        s.set("backup.gpg_key_id", "me+backup@example.org").unwrap();
        for bad in ["--homedir", "-x", "a b", "x;y", "\"$(id)\""] {
            assert!(s.set("backup.gpg_key_id", bad).is_err(), "{bad}");
        }
        s.set("backup.gpg_key_id", "").unwrap();
        assert_eq!(s.backup_gpg_key_id(), None);
        let (_dir, loaded) = load_text(r#"{"backup": {"gpg_key_id": "--batch"}}"#);
        assert_eq!(loaded.settings.backup_gpg_key_id(), None);
        assert_eq!(loaded.warnings.len(), 1, "{:?}", loaded.warnings);
    }
}
