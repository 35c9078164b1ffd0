use std::os::unix::fs::PermissionsExt;

use super::*;

const NOW: i64 = 1_767_225_600;
const FP: &str = "sha256:AbCdEf0123456789";

fn temp_store() -> (tempfile::TempDir, TokenStore) {
    let dir = tempfile::tempdir().unwrap();
    let store = TokenStore::load(&dir.path().join("browser_bridge_tokens.json")).unwrap();
    (dir, store)
}

fn issue(store: &mut TokenStore) -> (SecretString, TokenInfo) {
    store.issue("Firefox", FP, 24, NOW).unwrap()
}

#[test]
fn an_issued_token_authenticates_and_is_shown_once() {
    let (_dir, mut store) = temp_store();
    let (token, info) = issue(&mut store);
    assert_eq!(token.expose().len(), TOKEN_TEXT_LEN);
    assert!(store::is_lower_hex(token.expose(), TOKEN_TEXT_LEN));
    assert!(store::is_lower_hex(&info.id, ID_LEN));
    assert_eq!(info.expires, NOW + 24 * 3600);
    assert_eq!(info.browser, "Firefox");

    let ok = store.authenticate(token.expose(), FP, NOW + 5).unwrap();
    assert_eq!(ok.info.id, info.id);
    assert_eq!(ok.info.last_used, Some(NOW + 5));
    assert!(ok.save_error.is_none());
    // Either case of the hexadecimal digits is the same token.
    let upper = token.expose().to_ascii_uppercase();
    assert!(store.authenticate(&upper, FP, NOW + 6).is_ok());

    let (second, other) = issue(&mut store);
    assert_ne!(second.expose(), token.expose());
    assert_ne!(other.id, info.id);
    assert_eq!(
        store
            .authenticate(second.expose(), FP, NOW)
            .unwrap()
            .info
            .id,
        other.id
    );
    assert_eq!(store.list().len(), 2);
}

#[test]
fn each_refusal_has_its_reason() {
    let (_dir, mut store) = temp_store();
    let (token, info) = issue(&mut store);

    let never_issued = store::to_hex(&[7u8; 32]);
    assert!(matches!(
        store.authenticate(&never_issued, FP, NOW),
        Err(Rejection::Unknown)
    ));
    assert!(matches!(
        store.authenticate(token.expose(), "sha256:other", NOW),
        Err(Rejection::WrongFingerprint { id }) if id == info.id
    ));
    assert!(matches!(
        store.authenticate(token.expose(), "", NOW),
        Err(Rejection::WrongFingerprint { .. })
    ));
    assert!(matches!(
        store.authenticate(token.expose(), FP, info.expires),
        Err(Rejection::Expired { id }) if id == info.id
    ));
    assert!(
        store
            .authenticate(token.expose(), FP, info.expires - 1)
            .is_ok()
    );

    let huge = "a".repeat(1 << 20);
    let spaced = format!(" {}", token.expose());
    let cut = &token.expose()[..63];
    let longer = format!("{}0", token.expose());
    let malformed = [
        "",
        "abc",
        cut,
        &longer,
        &spaced,
        &huge,
        &"g".repeat(64),
        &"ü".repeat(32),
        &"０".repeat(64),
    ];
    for text in malformed {
        assert!(
            matches!(store.authenticate(text, FP, NOW), Err(Rejection::Malformed)),
            "{:?}",
            text.get(..20)
        );
    }
}

#[test]
fn revoked_tokens_are_refused_even_by_a_store_loaded_earlier() {
    let (dir, mut server) = temp_store();
    let (first, info) = issue(&mut server);
    let (second, _) = issue(&mut server);
    let (third, _) = issue(&mut server);

    // Another process (the command line) revokes one token.
    let mut cli = TokenStore::load(&dir.path().join("browser_bridge_tokens.json")).unwrap();
    assert!(cli.revoke(&info.id.to_ascii_uppercase()).unwrap());
    assert!(!cli.revoke(&info.id).unwrap());
    assert!(!cli.revoke("not an id").unwrap());
    assert!(matches!(
        server.authenticate(first.expose(), FP, NOW),
        Err(Rejection::Unknown)
    ));
    assert!(server.authenticate(second.expose(), FP, NOW).is_ok());

    assert_eq!(cli.revoke_all().unwrap(), 2);
    assert_eq!(cli.revoke_all().unwrap(), 0);
    for token in [&second, &third] {
        assert!(matches!(
            server.authenticate(token.expose(), FP, NOW),
            Err(Rejection::Unknown)
        ));
    }
    assert!(server.list().is_empty());
}

#[test]
fn the_file_holds_hashes_never_tokens() {
    let (dir, mut store) = temp_store();
    let (token, info) = issue(&mut store);
    store.authenticate(token.expose(), FP, NOW).unwrap();
    let path = dir.path().join("browser_bridge_tokens.json");
    let bytes = std::fs::read(&path).unwrap();
    let text = String::from_utf8(bytes.clone()).unwrap();

    let mut raw = [0u8; 32];
    assert!(store::from_hex(token.expose(), &mut raw));
    assert!(!text.contains(token.expose()));
    assert!(!text.to_ascii_lowercase().contains(token.expose()));
    assert!(!bytes.windows(32).any(|w| w == raw));
    assert!(text.contains(&store::to_hex(&crypto::sha256(&raw))));
    assert!(text.contains(&info.id));
    assert!(text.contains("\"version\": 1"));

    let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
}

#[test]
fn nothing_printable_holds_the_token() {
    let (_dir, mut store) = temp_store();
    let (token, info) = issue(&mut store);
    let rejection = store
        .authenticate(token.expose(), "other", NOW)
        .unwrap_err();
    let ok = store.authenticate(token.expose(), FP, NOW).unwrap();
    let printed = format!("{token:?} {info:?} {store:?} {rejection:?} {rejection} {ok:?}");
    assert!(!printed.contains(token.expose()), "{printed}");
    let mut raw = [0u8; 32];
    store::from_hex(token.expose(), &mut raw);
    assert!(!printed.contains(&store::to_hex(&crypto::sha256(&raw))));
}

#[test]
fn last_used_is_saved_at_most_once_a_minute() {
    let (dir, mut store) = temp_store();
    let (token, _) = issue(&mut store);
    let path = dir.path().join("browser_bridge_tokens.json");
    let saved_last_used = || TokenStore::load(&path).unwrap().list()[0].last_used;
    assert_eq!(saved_last_used(), None);

    store.authenticate(token.expose(), FP, NOW + 10).unwrap();
    assert_eq!(saved_last_used(), Some(NOW + 10));
    let quiet = store.authenticate(token.expose(), FP, NOW + 40).unwrap();
    assert_eq!(quiet.info.last_used, Some(NOW + 10));
    assert_eq!(saved_last_used(), Some(NOW + 10));
    store.authenticate(token.expose(), FP, NOW + 70).unwrap();
    assert_eq!(saved_last_used(), Some(NOW + 70));

    // While another process holds the data directory, the update waits for
    // a later request instead of holding this one up.
    let turn = store::take_turn(&path, Duration::ZERO).unwrap();
    let busy = store.authenticate(token.expose(), FP, NOW + 200).unwrap();
    assert_eq!(busy.info.last_used, Some(NOW + 70));
    assert!(busy.save_error.is_none());
    drop(turn);
    assert_eq!(saved_last_used(), Some(NOW + 70));
}

#[test]
fn a_damaged_file_refuses_every_token_with_advice() {
    let (dir, mut store) = temp_store();
    let (token, _) = issue(&mut store);
    let path = dir.path().join("browser_bridge_tokens.json");
    std::fs::write(&path, "{\"version\": 1, \"tokens\": [").unwrap();

    let err = TokenStore::load(&path).unwrap_err().to_string();
    assert!(err.contains("browser_bridge_tokens.json"), "{err}");
    assert!(err.contains("pair your browsers again"), "{err}");
    assert!(matches!(
        store.authenticate(token.expose(), FP, NOW),
        Err(Rejection::Unreadable(StoreError::Corrupt { .. }))
    ));
    assert!(matches!(
        store.issue("x", FP, 1, NOW),
        Err(TokenError::Store(_))
    ));

    // A field this version does not know is refused, not dropped.
    std::fs::write(&path, r#"{"version": 1, "tokens": [], "scopes": []}"#).unwrap();
    let err = TokenStore::load(&path).unwrap_err().to_string();
    assert!(err.contains("unknown field `scopes`"), "{err}");

    let good = serde_json::json!({
        "id": "0011223344556677", "hash": "ab".repeat(32), "browser": "b", "fingerprint": "f",
        "created": 1, "last_used": null, "expires": 2
    });
    let file = |record: &serde_json::Value| {
        serde_json::json!({"version": 1, "tokens": [record]}).to_string()
    };
    std::fs::write(&path, file(&good)).unwrap();
    assert_eq!(TokenStore::load(&path).unwrap().list().len(), 1);
    let edits = [
        ("id", serde_json::json!("zz")),
        ("id", serde_json::json!("0011223344556677AA")),
        ("hash", serde_json::json!("00")),
        ("hash", serde_json::json!("AB".repeat(32))),
        ("browser", serde_json::json!("b\u{7}")),
        ("fingerprint", serde_json::json!("f g")),
    ];
    for (field, value) in edits {
        let mut record = good.clone();
        record[field] = value;
        std::fs::write(&path, file(&record)).unwrap();
        let err = TokenStore::load(&path).unwrap_err();
        assert!(matches!(err, StoreError::Corrupt { .. }), "{field}: {err}");
        assert!(err.to_string().contains("token 1"), "{err}");
    }
    let twice = serde_json::json!({"version": 1, "tokens": [good, good]}).to_string();
    std::fs::write(&path, twice).unwrap();
    assert!(
        TokenStore::load(&path)
            .unwrap_err()
            .to_string()
            .contains("repeats")
    );
}

#[test]
fn issue_checks_what_the_extension_sent() {
    let (_dir, mut store) = temp_store();
    for bad in [
        "",
        "has space",
        "tab\there",
        "é",
        &"f".repeat(MAX_FINGERPRINT_LEN + 1),
    ] {
        assert!(
            matches!(
                store.issue("Firefox", bad, 24, NOW),
                Err(TokenError::BadFingerprint)
            ),
            "{bad:?}"
        );
    }
    assert!(matches!(
        store.issue("Firefox", FP, 0, NOW),
        Err(TokenError::BadLifetime)
    ));
    assert!(store.list().is_empty());

    let (_, info) = store
        .issue("Fire\u{202e}fox\n\t  Nightly\u{0}", FP, 1, NOW)
        .unwrap();
    assert_eq!(info.browser, "Firefox Nightly");
    let (_, info) = store.issue(" \u{7} ", FP, 1, NOW).unwrap();
    assert_eq!(info.browser, "unknown browser");
    let (_, info) = store.issue(&"ä".repeat(500), FP, 1, NOW).unwrap();
    assert_eq!(info.browser.chars().count(), MAX_BROWSER_CHARS);
    let (_, info) = store.issue("Chrome", FP, u32::MAX, i64::MAX - 5).unwrap();
    assert_eq!(info.expires, i64::MAX);
}

#[test]
fn the_number_of_tokens_is_bounded_and_expired_ones_make_room() {
    let (_dir, mut store) = temp_store();
    store.issue("short-lived", FP, 1, NOW).unwrap();
    for _ in 1..MAX_TOKENS {
        store.issue("Firefox", FP, 48, NOW).unwrap();
    }
    assert!(matches!(
        store.issue("Firefox", FP, 24, NOW),
        Err(TokenError::TooMany)
    ));
    // Two hours later the short-lived token has expired and gives way.
    let later = NOW + 2 * 3600;
    store.issue("Firefox", FP, 24, later).unwrap();
    assert_eq!(store.list().len(), MAX_TOKENS);
    assert!(store.list().iter().all(|t| t.browser != "short-lived"));
}

#[test]
fn purging_removes_only_expired_tokens() {
    let (_dir, mut store) = temp_store();
    let (short, _) = store.issue("a", FP, 1, NOW).unwrap();
    let (long, _) = store.issue("b", FP, 10, NOW).unwrap();
    assert_eq!(store.purge_expired(NOW).unwrap(), 0);
    assert_eq!(store.purge_expired(NOW + 3600).unwrap(), 1);
    assert!(matches!(
        store.authenticate(short.expose(), FP, NOW),
        Err(Rejection::Unknown)
    ));
    assert!(store.authenticate(long.expose(), FP, NOW).is_ok());
}
