//! `breach_cache.json`: answers within the TTL send nothing, older ones
//! are fetched again, and a damaged file is only a lost cache.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::time::Duration;

use spm::breach::{BreachChecker, BreachConfig, BreachError, RefreshReport};
use spm::core::audit::breach::{BreachAnswer, BreachSource, hex_upper, sha1_of};

use super::mock::{MockServer, Reply};
use super::{body, config, hash, quiet, suffix};

const PASSWORD: &str = "Tr0ub4dor&3 invented";

/// A server that lists `PASSWORD`'s hash 9 times.
fn listing_server() -> MockServer {
    let listed = hex_upper(&sha1_of(PASSWORD))[5..].to_owned();
    let text = body(&[(listed, 9), (suffix("other"), 1)]);
    MockServer::start(move |_, _| Reply::Body(text.clone()))
}

/// Moves every entry's fetch time `seconds` into the past.
fn age_cache(path: &Path, seconds: u64) {
    let mut json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    for entry in json["prefixes"].as_object_mut().unwrap().values_mut() {
        let at = entry["fetched_at"].as_u64().unwrap();
        entry["fetched_at"] = (at - seconds).into();
    }
    std::fs::write(path, serde_json::to_vec(&json).unwrap()).unwrap();
}

#[test]
fn second_lookup_within_the_ttl_sends_nothing() {
    let server = listing_server();
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(&server.url(), dir.path());
    let target = [sha1_of(PASSWORD)];

    let first = BreachChecker::new(cfg.clone()).lookup(&target, &quiet);
    let second = BreachChecker::new(cfg.clone()).lookup(&target, &quiet);
    assert_eq!(first, [BreachAnswer::Found(9)]);
    assert_eq!(second, first);
    assert_eq!(server.requests().len(), 1);

    // The file holds the prefix and the service's rows by design, but no
    // password, and only its owner can read it.
    let text = std::fs::read_to_string(&cfg.cache_path).unwrap();
    assert!(!text.contains(PASSWORD) && !text.contains("Tr0ub4dor"));
    let json: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(json["version"], 1);
    let prefix = &hex_upper(&target[0])[..5];
    assert_eq!(
        json["prefixes"][prefix]["rows"].as_object().unwrap().len(),
        2
    );
    let mode = std::fs::metadata(&cfg.cache_path)
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
    let dir_mode = std::fs::metadata(dir.path().join("cache"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(dir_mode & 0o777, 0o700);
}

#[test]
fn an_entry_older_than_the_ttl_is_fetched_again() {
    let server = listing_server();
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(&server.url(), dir.path());
    let checker = BreachChecker::new(cfg.clone());
    checker.lookup(&[sha1_of(PASSWORD)], &quiet);
    age_cache(&cfg.cache_path, 2 * 3600);

    assert_eq!(
        checker.lookup(&[sha1_of(PASSWORD)], &quiet),
        [BreachAnswer::Found(9)]
    );
    assert_eq!(server.requests().len(), 2);
}

#[test]
fn a_failed_refetch_is_unknown_not_the_stale_answer() {
    let listed = hex_upper(&sha1_of(PASSWORD))[5..].to_owned();
    let text = body(&[(listed, 9)]);
    let server = MockServer::start(move |_, earlier| match earlier {
        0 => Reply::Body(text.clone()),
        _ => Reply::Status(503),
    });
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(&server.url(), dir.path());
    let checker = BreachChecker::new(cfg.clone());
    checker.lookup(&[sha1_of(PASSWORD)], &quiet);
    age_cache(&cfg.cache_path, 2 * 3600);

    let answers = checker.lookup(&[sha1_of(PASSWORD)], &quiet);
    assert!(matches!(&answers[0], BreachAnswer::Unknown(r) if r.contains("HTTP 503")));
}

#[test]
fn a_corrupt_cache_file_is_ignored_and_replaced() {
    let server = listing_server();
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(&server.url(), dir.path());
    std::fs::create_dir_all(cfg.cache_path.parent().unwrap()).unwrap();
    std::fs::write(
        &cfg.cache_path,
        b"{\"version\":1,\"prefixes\":{\"8BE3C\":[tru",
    )
    .unwrap();

    let answers = BreachChecker::new(cfg.clone()).lookup(&[sha1_of(PASSWORD)], &quiet);
    assert_eq!(answers, [BreachAnswer::Found(9)]);
    assert_eq!(server.requests().len(), 1);
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&cfg.cache_path).unwrap()).unwrap();
    assert_eq!(json["prefixes"].as_object().unwrap().len(), 1);
}

#[test]
fn deleting_the_cache_forces_a_refetch() {
    let server = listing_server();
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(&server.url(), dir.path());
    let checker = BreachChecker::new(cfg.clone());
    checker.lookup(&[sha1_of(PASSWORD)], &quiet);
    std::fs::remove_file(&cfg.cache_path).unwrap();

    checker.lookup(&[sha1_of(PASSWORD)], &quiet);
    assert_eq!(server.requests().len(), 2);
}

#[test]
fn refresh_refetches_fresh_prefixes_and_counts_failures() {
    let text = body(&[(suffix("ok"), 4)]);
    let server = MockServer::start(move |prefix, earlier| match (prefix, earlier) {
        ("DEAD0", 1..) => Reply::Status(500),
        _ => Reply::Body(text.clone()),
    });
    let dir = tempfile::tempdir().unwrap();
    let checker = BreachChecker::new(config(&server.url(), dir.path()));
    let hashes = [
        hash("DEAD0", "ok"),
        hash("BEEF0", "ok"),
        hash("BEEF0", "no"),
    ];
    checker.lookup(&hashes, &quiet);
    assert_eq!(server.requests().len(), 2);

    let report = checker.refresh(&hashes, &quiet).unwrap();
    assert_eq!(
        report,
        RefreshReport {
            prefixes: 2,
            fetched: 1,
            failed: 1
        }
    );
    assert_eq!(server.requests().len(), 4);
}

#[test]
fn offline_mode_sends_nothing_and_has_nothing_to_refresh() {
    let server = listing_server();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("pwned.txt");
    let line = format!("{}:77\n", hex_upper(&sha1_of(PASSWORD)));
    std::fs::write(&file, line).unwrap();
    let cfg = BreachConfig {
        offline_file: Some(file.clone()),
        cache_ttl: Duration::from_secs(60),
        ..config(&server.url(), dir.path())
    };
    let checker = BreachChecker::new(cfg);

    let answers = checker.lookup(&[sha1_of(PASSWORD), sha1_of("not listed")], &quiet);
    assert_eq!(answers, [BreachAnswer::Found(77), BreachAnswer::NotFound]);
    assert!(matches!(
        checker.refresh(&[sha1_of(PASSWORD)], &quiet),
        Err(BreachError::OfflineMode { path }) if path == file
    ));
    assert_eq!(server.requests().len(), 0);
}
