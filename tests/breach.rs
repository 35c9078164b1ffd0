//! The breach checker, through `spm::breach` directly.
//!
//! `online` drives the range client against a scripted server on
//! 127.0.0.1 (`mock`), `cache` checks `breach_cache.json`, and `offline`
//! searches Pwned Passwords files written by the tests (plus KeePassXC's
//! sample from `../shared/fixtures`, skipped when that folder is absent).
//! No test sends anything anywhere but 127.0.0.1.

#[path = "breach/cache.rs"]
mod cache;
#[path = "breach/mock.rs"]
mod mock;
#[path = "breach/offline.rs"]
mod offline;
#[path = "breach/online.rs"]
mod online;

use std::path::Path;
use std::time::Duration;

use spm::breach::BreachConfig;
use spm::core::audit::breach::{Sha1, hex_upper, sha1_of};

/// A hash from 40 hex digits.
pub fn from_hex(hex: &str) -> Sha1 {
    assert_eq!(hex.len(), 40, "{hex}");
    let mut hash = [0u8; 20];
    for (i, byte) in hash.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).unwrap();
    }
    hash
}

/// An invented, random-looking 35-digit suffix.
pub fn suffix(seed: &str) -> String {
    hex_upper(&sha1_of(seed))[5..].to_owned()
}

/// The hash made of `prefix` and the suffix of `seed`.
pub fn hash(prefix: &str, seed: &str) -> Sha1 {
    from_hex(&format!("{prefix}{}", suffix(seed)))
}

/// A range answer: `SUFFIX:COUNT` lines ending in CRLF.
pub fn body(rows: &[(String, u64)]) -> String {
    rows.iter().map(|(s, c)| format!("{s}:{c}\r\n")).collect()
}

/// A configuration for `api_url` with the cache under `dir`: four
/// requests at once, a one-hour TTL, a two-second timeout.
pub fn config(api_url: &str, dir: &Path) -> BreachConfig {
    BreachConfig {
        api_url: api_url.to_owned(),
        max_concurrency: 4,
        cache_ttl: Duration::from_secs(3600),
        timeout: Duration::from_secs(2),
        offline_file: None,
        cache_path: dir.join("cache").join("breach_cache.json"),
    }
}

/// A progress callback that ignores progress.
pub fn quiet(_done: usize, _total: usize) {}
