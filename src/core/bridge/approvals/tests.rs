use std::os::unix::fs::PermissionsExt;

use super::*;

const NOW: i64 = 1_767_225_600;
const DAY: i64 = 86_400;
const TOKEN: &str = "0123456789abcdef";

fn origin(text: &str) -> PageOrigin {
    origin::parse_origin(text).unwrap()
}

fn temp_store() -> (tempfile::TempDir, ApprovalStore) {
    let dir = tempfile::tempdir().unwrap();
    let store = ApprovalStore::load(&dir.path().join("approval_store.json")).unwrap();
    (dir, store)
}

#[test]
fn remembered_decisions_are_found_replaced_and_forgotten() {
    let (_dir, mut store) = temp_store();
    let site = origin("https://example.com");
    let other = origin("https://login.example.com");
    assert_eq!(store.lookup(&site, NOW).unwrap(), None);

    let approval = store
        .remember(&site, Decision::Allow, TOKEN, 90, NOW)
        .unwrap();
    assert_eq!(
        approval.by_token.as_deref(),
        Some(token_id_hash(TOKEN).as_str())
    );
    assert_eq!(approval.expires, Some(NOW + 90 * DAY));
    assert_eq!(store.lookup(&site, NOW).unwrap(), Some(Decision::Allow));
    // Decisions are per origin: a subdomain is another origin.
    assert_eq!(store.lookup(&other, NOW).unwrap(), None);

    store
        .remember(&site, Decision::Deny, TOKEN, 90, NOW + 5)
        .unwrap();
    assert_eq!(store.lookup(&site, NOW + 5).unwrap(), Some(Decision::Deny));
    assert_eq!(store.list().len(), 1);

    store
        .remember(&other, Decision::Allow, TOKEN, 90, NOW)
        .unwrap();
    assert!(store.forget(&site).unwrap());
    assert!(!store.forget(&site).unwrap());
    assert_eq!(store.lookup(&site, NOW).unwrap(), None);
    assert_eq!(store.lookup(&other, NOW).unwrap(), Some(Decision::Allow));

    store.allow_ahead(&site, 0, NOW).unwrap();
    assert_eq!(store.clear().unwrap(), 2);
    assert_eq!(store.clear().unwrap(), 0);
    assert_eq!(store.lookup(&other, NOW).unwrap(), None);
}

#[test]
fn decisions_expire_after_the_ttl_and_never_with_zero() {
    let (_dir, mut store) = temp_store();
    let timed = origin("https://timed.example");
    let forever = origin("https://forever.example");
    store
        .remember(&timed, Decision::Allow, TOKEN, 1, NOW)
        .unwrap();
    let kept = store
        .remember(&forever, Decision::Deny, TOKEN, 0, NOW)
        .unwrap();
    assert_eq!(kept.expires, None);

    assert_eq!(
        store.lookup(&timed, NOW + DAY - 1).unwrap(),
        Some(Decision::Allow)
    );
    assert_eq!(store.lookup(&timed, NOW + DAY).unwrap(), None);
    let far = NOW + 3650 * DAY * 10;
    assert_eq!(store.lookup(&forever, far).unwrap(), Some(Decision::Deny));

    assert_eq!(store.purge_expired(NOW + DAY).unwrap(), 1);
    assert_eq!(store.list().len(), 1);
    let max = store
        .remember(&timed, Decision::Allow, TOKEN, u32::MAX, i64::MAX - 1)
        .unwrap();
    assert_eq!(max.expires, Some(i64::MAX));
}

#[test]
fn origin_keys_are_canonical() {
    let (dir, mut store) = temp_store();
    store
        .remember(
            &origin("HTTPS://Example.COM:443/"),
            Decision::Allow,
            TOKEN,
            90,
            NOW,
        )
        .unwrap();
    assert_eq!(
        store.lookup(&origin("https://example.com"), NOW).unwrap(),
        Some(Decision::Allow)
    );
    let unicode = origin("https://bücher.example");
    store.allow_ahead(&unicode, 90, NOW).unwrap();
    let punycode = origin("https://xn--bcher-kva.example:443");
    assert_eq!(store.lookup(&punycode, NOW).unwrap(), Some(Decision::Allow));
    // Scheme and port are part of the origin.
    for different in ["http://example.com", "https://example.com:8443"] {
        assert_eq!(
            store.lookup(&origin(different), NOW).unwrap(),
            None,
            "{different}"
        );
    }

    let text = std::fs::read_to_string(dir.path().join("approval_store.json")).unwrap();
    assert!(
        text.contains("\"origin\": \"https://example.com\""),
        "{text}"
    );
    assert!(
        text.contains("\"origin\": \"https://xn--bcher-kva.example\""),
        "{text}"
    );
    assert!(text.contains("\"by_token\": null"), "{text}");
}

#[test]
fn the_file_names_tokens_by_hash_and_is_private() {
    let (dir, mut store) = temp_store();
    store
        .remember(
            &origin("https://example.com"),
            Decision::Allow,
            TOKEN,
            90,
            NOW,
        )
        .unwrap();
    let path = dir.path().join("approval_store.json");
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(!text.contains(TOKEN));
    assert!(text.contains(&token_id_hash(TOKEN)));
    assert_eq!(
        token_id_hash(TOKEN),
        token_id_hash(&TOKEN.to_ascii_uppercase())
    );
    assert_eq!(token_id_hash(TOKEN).len(), TOKEN_HASH_LEN);
    let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);

    // Another process sees the change, and its own changes are seen here.
    let mut cli = ApprovalStore::load(&path).unwrap();
    assert_eq!(cli.list().len(), 1);
    assert_eq!(cli.clear().unwrap(), 1);
    assert_eq!(
        store.lookup(&origin("https://example.com"), NOW).unwrap(),
        None
    );
}

#[test]
fn a_damaged_file_is_an_error_naming_it() {
    let (dir, mut store) = temp_store();
    let path = dir.path().join("approval_store.json");
    let record = |origin: &str, by: &str| {
        format!(
            r#"{{"version": 1, "approvals": [{{"origin": "{origin}", "decision": "allow",
                "at": 1, "by_token": {by}, "expires": null}}]}}"#
        )
    };
    std::fs::write(&path, record("https://example.com", "null")).unwrap();
    assert_eq!(
        store.lookup(&origin("https://example.com"), NOW).unwrap(),
        Some(Decision::Allow)
    );

    let broken = [
        record("https://Example.com", "null"),
        record("https://example.com/path", "null"),
        record("ftp://example.com", "null"),
        record("https://example.com", "\"not-hex\""),
        record("https://example.com", "7"),
        r#"{"version": 1, "approvals": [{"origin": "https://a.example", "decision": "maybe",
            "at": 1, "by_token": null, "expires": null}]}"#
            .to_owned(),
        r#"{"version": 1, "approvals": [], "extra": true}"#.to_owned(),
        "not json".to_owned(),
    ];
    for text in broken {
        std::fs::write(&path, &text).unwrap();
        let err = ApprovalStore::load(&path).unwrap_err();
        assert!(matches!(err, StoreError::Corrupt { .. }), "{text}: {err}");
        let message = err.to_string();
        assert!(message.contains("approval_store.json"), "{message}");
        assert!(message.contains("each site asks again"), "{message}");
        assert!(store.lookup(&origin("https://example.com"), NOW).is_err());
    }
    let one = r#"{"origin": "https://example.com", "decision": "allow", "at": 1,
        "by_token": null, "expires": null}"#;
    let twice = format!(r#"{{"version": 1, "approvals": [{one}, {one}]}}"#);
    std::fs::write(&path, twice).unwrap();
    assert!(
        ApprovalStore::load(&path)
            .unwrap_err()
            .to_string()
            .contains("repeats")
    );
}
