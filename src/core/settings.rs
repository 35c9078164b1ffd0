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

mod rules;

use rules::{RULES, Rule, check};

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
mod tests;
