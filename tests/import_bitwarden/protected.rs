//! Password-protected exports sealed by the test-only encryptor.

use std::path::PathBuf;

use spm::core::exchange::{ExchangeError, Parsed, bitwarden};

use super::support::*;

fn protected_file(kdf: &TestKdf) -> (tempfile::TempDir, PathBuf) {
    temp_file(&protect(SMALL_EXPORT, "correct horse", kdf))
}

fn assert_small_export(parsed: &Parsed) {
    assert_eq!(summary(parsed), summary(&read_text(SMALL_EXPORT)));
    assert_eq!(parsed.categories, ["Travel"]);
    let rail = &by_title(parsed, "Rail Pass").entry;
    assert_eq!(rail.password.expose(), "tr4in-Ticket!");
    assert_eq!(rail.category.expose(), "Travel");
    assert_eq!(by_title(parsed, "Locker").entry.notes.expose(), "code 4471");
}

#[test]
fn pbkdf2_protected_export_round_trips() {
    let (_dir, path) = protected_file(&TestKdf::Pbkdf2 { iterations: 1_000 });
    assert!(bitwarden::sniff(&std::fs::read(&path).unwrap()));
    assert!(bitwarden::is_password_protected(&path).unwrap());
    assert_small_export(&bitwarden::read(&path, &password("correct horse")).unwrap());

    let wrong = bitwarden::read(&path, &password("correct horsE")).unwrap_err();
    assert!(matches!(wrong, ExchangeError::WrongKey { .. }), "{wrong}");
    let empty = bitwarden::read(&path, &password("")).unwrap_err();
    assert!(matches!(empty, ExchangeError::WrongKey { .. }), "{empty}");
    let none = bitwarden::read(&path, &no_key()).unwrap_err();
    assert!(matches!(none, ExchangeError::NeedsKey { .. }), "{none}");
}

#[test]
fn argon2id_protected_export_round_trips() {
    let kdf = TestKdf::Argon2id {
        iterations: 2,
        memory_mib: 16,
        parallelism: 2,
    };
    let (_dir, path) = protected_file(&kdf);
    assert_small_export(&bitwarden::read(&path, &password("correct horse")).unwrap());
    let wrong = bitwarden::read(&path, &password("wrong")).unwrap_err();
    assert!(matches!(wrong, ExchangeError::WrongKey { .. }), "{wrong}");
}

/// Rewrites one top-level value of a protected export.
fn with_header(text: &str, key: &str, value: serde_json::Value) -> String {
    let mut export: serde_json::Value = serde_json::from_str(text).unwrap();
    export[key] = value;
    export.to_string()
}

#[test]
fn damaged_protected_exports_are_malformed_not_wrong_keys() {
    let good = protect(SMALL_EXPORT, "pw", &TestKdf::Pbkdf2 { iterations: 10 });
    let export: serde_json::Value = serde_json::from_str(&good).unwrap();
    let data = export["data"].as_str().unwrap();

    // One flipped base64 character in the ciphertext: the password check
    // passes, the data's MAC does not.
    let (head, tail) = data.split_once('|').unwrap();
    let flipped = if tail.starts_with('A') { "B" } else { "A" };
    let tampered = format!("{head}|{flipped}{}", &tail[1..]);
    let cases = [
        with_header(&good, "data", tampered.into()),
        with_header(&good, "data", "2.not|base64|here".into()),
        with_header(&good, "kdfIterations", 0.into()),
        with_header(&good, "kdfType", 3.into()),
        with_header(&good, "salt", serde_json::Value::Null),
    ];
    let expected = [
        "integrity check",
        "not base64",
        "is 0, outside",
        "\"kdfType\" is 3",
        "no \"salt\"",
    ];
    for (text, expected) in cases.iter().zip(expected) {
        let (_dir, path) = temp_file(text);
        let error = bitwarden::read(&path, &password("pw")).unwrap_err();
        assert!(matches!(error, ExchangeError::Malformed { .. }), "{error}");
        assert!(error.to_string().contains(expected), "{error}");
    }
}

#[test]
fn absurd_argon2_memory_is_refused_before_any_work() {
    let good = protect(
        SMALL_EXPORT,
        "pw",
        &TestKdf::Argon2id {
            iterations: 1,
            memory_mib: 1,
            parallelism: 1,
        },
    );
    let (_dir, path) = temp_file(&with_header(&good, "kdfMemory", 4_000_000.into()));
    let start = std::time::Instant::now();
    let error = bitwarden::read(&path, &password("pw")).unwrap_err();
    assert!(start.elapsed() < std::time::Duration::from_secs(2));
    assert!(
        error.to_string().contains("\"kdfMemory\" is 4000000"),
        "{error}"
    );
}

#[test]
fn nothing_secret_reaches_debug_output_or_errors() {
    let (_dir, path) = protected_file(&TestKdf::Pbkdf2 { iterations: 10 });
    let parsed = bitwarden::read(&path, &password("correct horse")).unwrap();
    let printed = format!("{parsed:?}");
    for secret in ["tr4in-Ticket!", "traveller", "code 4471", "seat 12"] {
        assert!(!printed.contains(secret), "{secret} leaked: {printed}");
    }
    let error = bitwarden::read(&path, &password("correct horsE")).unwrap_err();
    assert!(!error.to_string().contains("horsE"));
}
