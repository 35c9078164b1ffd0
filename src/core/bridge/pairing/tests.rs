use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;

use super::*;

const NOW: i64 = 1_767_225_600;

fn temp_path() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bridge_pairing.json");
    (dir, path)
}

/// A code that is certainly not `code`.
fn other_than(code: &str) -> String {
    let n: u32 = code.parse().unwrap();
    format!("{:06}", (n + 1) % CODE_SPACE)
}

#[test]
fn the_right_code_pairs_once() {
    let (_dir, path) = temp_path();
    assert_eq!(status(&path, NOW).unwrap(), PairingStatus::NoWindow);
    let code = open_window(&path, 120, NOW).unwrap();
    assert_eq!(code.expires(), NOW + 120);
    assert_eq!(code.expose().len(), CODE_DIGITS);
    assert!(code.expose().bytes().all(|b| b.is_ascii_digit()));
    assert_eq!(
        status(&path, NOW + 20).unwrap(),
        PairingStatus::Open {
            seconds_left: 100,
            attempts_left: MAX_WRONG_ATTEMPTS,
            expires: NOW + 120
        }
    );

    redeem(&path, code.expose(), NOW + 30).unwrap();
    assert_eq!(status(&path, NOW + 31).unwrap(), PairingStatus::Used);
    assert!(matches!(
        redeem(&path, code.expose(), NOW + 31),
        Err(PairError::Used)
    ));
}

#[test]
fn spaces_and_dashes_in_a_code_are_ignored() {
    for written in ["123 456", "123-456", " 123456 ", "12 34 56"] {
        assert_eq!(
            normalise_code(written).as_ref().map(|s| s.as_str()),
            Some("123456")
        );
    }
    for bad in [
        "",
        "12345",
        "1234567",
        "12345a",
        "１２３４５６",
        "123\u{0}456",
    ] {
        assert!(normalise_code(bad).is_none(), "{bad:?}");
    }
    assert!(normalise_code(&"1".repeat(1 << 16)).is_none());

    let (_dir, path) = temp_path();
    let code = open_window(&path, 60, NOW).unwrap();
    let spaced = format!("{} {}", &code.expose()[..3], &code.expose()[3..]);
    redeem(&path, &spaced, NOW).unwrap();
}

#[test]
fn an_expired_window_refuses_the_right_code() {
    let (_dir, path) = temp_path();
    let code = open_window(&path, 10, NOW).unwrap();
    assert!(matches!(
        redeem(&path, code.expose(), NOW + 10),
        Err(PairError::Expired)
    ));
    assert_eq!(status(&path, NOW + 10).unwrap(), PairingStatus::Expired);
    assert!(matches!(
        redeem(&path, code.expose(), NOW + 11),
        Err(PairError::Expired)
    ));
}

#[test]
fn the_fifth_wrong_code_closes_the_window() {
    let (_dir, path) = temp_path();
    let code = open_window(&path, 120, NOW).unwrap();
    let wrong = other_than(code.expose());
    for left in (1..MAX_WRONG_ATTEMPTS).rev() {
        let err = redeem(&path, &wrong, NOW).unwrap_err();
        assert!(matches!(err, PairError::Wrong { attempts_left } if attempts_left == left));
        // Each outcome is on disk before it is returned.
        assert!(matches!(
            status(&path, NOW).unwrap(),
            PairingStatus::Open { attempts_left, .. } if attempts_left == left
        ));
    }
    assert!(matches!(
        redeem(&path, "not a code", NOW),
        Err(PairError::TooManyAttempts)
    ));
    assert_eq!(status(&path, NOW).unwrap(), PairingStatus::TooManyAttempts);
    assert!(matches!(
        redeem(&path, code.expose(), NOW),
        Err(PairError::TooManyAttempts)
    ));

    // A new window starts afresh.
    let fresh = open_window(&path, 120, NOW + 1).unwrap();
    assert!(matches!(
        status(&path, NOW + 1).unwrap(),
        PairingStatus::Open {
            attempts_left: MAX_WRONG_ATTEMPTS,
            ..
        }
    ));
    assert!(matches!(
        redeem(&path, &other_than(fresh.expose()), NOW + 1),
        Err(PairError::Wrong { attempts_left: 4 })
    ));
    redeem(&path, fresh.expose(), NOW + 2).unwrap();
}

#[test]
fn parallel_guesses_cannot_outrun_the_count() {
    let (_dir, path) = temp_path();
    let code = open_window(&path, 120, NOW).unwrap();
    let wrong = other_than(code.expose());
    let outcomes: Vec<PairError> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..6)
            .map(|_| {
                scope.spawn(|| {
                    (0..3)
                        .map(|_| redeem(&path, &wrong, NOW).unwrap_err())
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().unwrap())
            .collect()
    });
    let wrong_answers = outcomes
        .iter()
        .filter(|e| matches!(e, PairError::Wrong { .. }))
        .count();
    let closed = outcomes
        .iter()
        .filter(|e| matches!(e, PairError::TooManyAttempts))
        .count();
    assert_eq!(wrong_answers, 4, "{outcomes:?}");
    assert_eq!(closed, 18 - 4, "{outcomes:?}");
}

#[test]
fn a_new_window_replaces_the_old_one() {
    let (_dir, path) = temp_path();
    let first = open_window(&path, 120, NOW).unwrap();
    redeem(&path, &other_than(first.expose()), NOW).unwrap_err();
    let second = open_window(&path, 60, NOW + 5).unwrap();
    assert_eq!(
        status(&path, NOW + 5).unwrap(),
        PairingStatus::Open {
            seconds_left: 60,
            attempts_left: MAX_WRONG_ATTEMPTS,
            expires: NOW + 65
        }
    );
    if first.expose() != second.expose() {
        assert!(matches!(
            redeem(&path, first.expose(), NOW + 6),
            Err(PairError::Wrong { .. })
        ));
    }
    redeem(&path, second.expose(), NOW + 6).unwrap();
}

#[test]
fn closing_removes_the_window() {
    let (_dir, path) = temp_path();
    assert!(!close(&path).unwrap());
    let code = open_window(&path, 120, NOW).unwrap();
    assert!(close(&path).unwrap());
    assert!(!path.exists());
    assert_eq!(status(&path, NOW).unwrap(), PairingStatus::NoWindow);
    assert!(matches!(
        redeem(&path, code.expose(), NOW),
        Err(PairError::NoWindow)
    ));
}

#[test]
fn the_file_never_holds_the_code() {
    let (_dir, path) = temp_path();
    let code = open_window(&path, 120, NOW).unwrap();
    redeem(&path, &other_than(code.expose()), NOW).unwrap_err();
    let text = std::fs::read_to_string(&path).unwrap();
    let digits = code.expose();
    // Neither as text, nor as a number, nor as hexadecimal bytes, nor as a
    // bare SHA-256.
    assert!(!text.contains(&format!("\"{digits}\"")), "{text}");
    assert!(!text.contains(&format!(": {digits},")), "{text}");
    assert!(!text.contains(&format!(": {digits}\n")), "{text}");
    assert!(!text.contains(&store::to_hex(digits.as_bytes())), "{text}");
    assert!(!text.contains(&store::to_hex(&crypto::sha256(digits.as_bytes()))));
    let fields: serde_json::Map<String, serde_json::Value> = serde_json::from_str(&text).unwrap();
    let names: Vec<&str> = fields.keys().map(String::as_str).collect();
    assert_eq!(
        names,
        [
            "version",
            "key",
            "code_mac",
            "opened",
            "expires",
            "wrong_attempts",
            "used"
        ]
    );
    let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);

    let printed = format!("{code:?} {}", PairError::Wrong { attempts_left: 4 });
    assert!(!printed.contains(digits), "{printed}");
}

#[test]
fn windows_must_have_a_sensible_length() {
    let (_dir, path) = temp_path();
    for bad in [0, MAX_WINDOW_SECONDS + 1] {
        assert!(matches!(
            open_window(&path, bad, NOW),
            Err(PairError::BadWindow)
        ));
    }
    assert!(!path.exists());
    open_window(&path, MAX_WINDOW_SECONDS, NOW).unwrap();
}

#[test]
fn a_damaged_file_refuses_codes_and_says_what_to_do() {
    let (_dir, path) = temp_path();
    let code = open_window(&path, 120, NOW).unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    for broken in [
        text.replace("\"used\": false", "\"used\": \"no\""),
        text.replace("\"version\": 1,", "\"version\": 1, \"code\": \"123456\","),
        text.replace("\"key\": \"", "\"key\": \"zz"),
        text[..text.len() / 2].to_owned(),
    ] {
        std::fs::write(&path, &broken).unwrap();
        let err = redeem(&path, code.expose(), NOW).unwrap_err();
        let message = err.to_string();
        assert!(
            matches!(err, PairError::Store(StoreError::Corrupt { .. })),
            "{message}"
        );
        assert!(message.contains("bridge_pairing.json"), "{message}");
        assert!(message.contains("Open a new pairing window"), "{message}");
        assert!(status(&path, NOW).is_err());
    }
    // Opening a new window repairs it.
    let fresh = open_window(&path, 120, NOW).unwrap();
    redeem(&path, fresh.expose(), NOW).unwrap();
}

#[test]
fn codes_are_six_digits_drawn_evenly() {
    let mut leading = [0u32; 10];
    for _ in 0..5000 {
        let code = random_code();
        let digits = code.expose().as_bytes();
        assert_eq!(digits.len(), CODE_DIGITS);
        assert!(digits.iter().all(u8::is_ascii_digit));
        leading[usize::from(digits[0] - b'0')] += 1;
    }
    // 500 expected each; a fair source strays by more than 150 with a
    // probability far below one in a billion.
    assert!(
        leading.iter().all(|&n| (350..=650).contains(&n)),
        "{leading:?}"
    );
}
