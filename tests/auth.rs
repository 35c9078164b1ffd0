//! Master passwords, key modes, key files and lockout.

mod common;

use common::{MASTER, TestVault, run_in};

fn auth_json(v: &TestVault) -> serde_json::Value {
    v.json("auth.json")
}

#[test]
fn wrong_password_exits_3_and_is_logged_without_the_attempt() {
    let v = TestVault::new();
    let run = v.run(&["list"], "not-the-password-XYZ\n").expect_code(3);
    assert!(
        run.stderr.contains("wrong master password"),
        "{}",
        run.stderr
    );
    let log = v.log();
    assert!(log.contains("LOGIN_FAILED"), "{log}");
    assert!(!log.contains("not-the-password-XYZ"));
    assert!(!log.contains(MASTER));
    assert_eq!(auth_json(&v)["failed_attempts"], 1);
}

#[test]
fn success_resets_the_failure_counter_and_records_the_login() {
    let v = TestVault::new();
    for _ in 0..4 {
        v.run(&["list"], "wrong\n").expect_code(3);
    }
    assert_eq!(auth_json(&v)["failed_attempts"], 4);
    v.run_unlocked(&["list"], &[]).ok();
    let auth = auth_json(&v);
    assert_eq!(auth["failed_attempts"], 0);
    assert!(auth["last_login_at"].is_string());
    assert!(v.log().contains("LOGIN_SUCCESS"));
}

#[test]
fn five_failures_lock_out_even_the_right_password_across_restarts() {
    let v = TestVault::new();
    for n in 1..=5 {
        let run = v.run(&["list"], "wrong\n").expect_code(3);
        if n == 5 {
            assert!(run.stderr.contains("refused for 30 s"), "{}", run.stderr);
        }
    }
    // Each run is a new process: the counter lives in auth.json.
    let locked = v.run_unlocked(&["list"], &[]).expect_code(4);
    assert!(
        locked.stderr.contains("refused for another"),
        "{}",
        locked.stderr
    );
    assert!(locked.stderr.contains(" s;"), "{}", locked.stderr);
    let auth = auth_json(&v);
    assert_eq!(auth["failed_attempts"], 5);
    assert!(auth["locked_until"].as_i64().unwrap() > chrono::Utc::now().timestamp());
}

#[test]
fn lockout_doubles_after_each_further_failure() {
    let v = TestVault::new();
    for _ in 0..5 {
        v.run(&["list"], "wrong\n").expect_code(3);
    }
    // Pretend the first lockout ran out, then fail once more.
    let mut auth = auth_json(&v);
    auth["locked_until"] = serde_json::json!(1);
    std::fs::write(v.file("auth.json"), auth.to_string()).unwrap();
    let run = v.run(&["list"], "wrong\n").expect_code(3);
    assert!(run.stderr.contains("refused for 1 min"), "{}", run.stderr);
}

#[test]
fn empty_and_whitespace_master_passwords_are_refused() {
    for password in ["", "   \t"] {
        let v = TestVault::empty();
        let mut args = vec!["init"];
        args.extend(common::FAST_KDF);
        let run = v.run(&args, &format!("{password}\n")).expect_code(1);
        assert!(run.stderr.contains("must not be empty"), "{}", run.stderr);
        assert!(!v.file("auth.json").exists());
        assert!(!v.file("passwords.db").exists());
    }
}

#[test]
fn weak_master_password_gets_a_warning() {
    let v = TestVault::empty();
    let mut args = vec!["init"];
    args.extend(common::FAST_KDF);
    let run = v.run(&args, "password1\n").ok();
    assert!(
        run.stderr.contains("warning: this master password is"),
        "{}",
        run.stderr
    );
}

#[test]
fn long_and_non_ascii_master_passwords_work_in_nfc_and_nfd() {
    let long: String = "Lorem ipsum dolor sit amet "
        .chars()
        .cycle()
        .take(1000)
        .collect();
    let v = TestVault::empty();
    let mut args = vec!["init"];
    args.extend(common::FAST_KDF);
    v.run(&args, &format!("{long}\n")).ok();
    run_in(v.path(), &["list"], &format!("{long}\n")).ok();
    run_in(v.path(), &["list"], &format!("{}\n", &long[..999])).expect_code(3);

    // "Señor café" composed (NFC) at init, decomposed (NFD) at unlock.
    let nfc = "Se\u{f1}or caf\u{e9} \u{6771}\u{4eac} \u{1f511}";
    let nfd = "Sen\u{303}or cafe\u{301} \u{6771}\u{4eac} \u{1f511}";
    assert_ne!(nfc.as_bytes(), nfd.as_bytes());
    let v = TestVault::empty();
    v.run(&args, &format!("{nfc}\n")).ok();
    run_in(v.path(), &["list"], &format!("{nfd}\n")).ok();
    run_in(v.path(), &["list"], &format!("{nfc}\n")).ok();
}

#[test]
fn file_key_mode_wraps_the_key_in_secret_key() {
    let v = TestVault::new();
    assert!(v.file("secret.key").exists());
    assert!(!v.file("secret.key.enc").exists());
    let salt: serde_json::Value = v.json("crypto.salt");
    assert_eq!(salt["kdf"], "argon2id");
    assert_eq!(salt["m_cost_kib"], 19456);
    assert_eq!(salt["t_cost"], 2);
    assert!(salt["salt"].as_str().unwrap().len() >= 22);
}

#[test]
fn password_derived_mode_has_no_key_file() {
    let v = TestVault::empty();
    v.init(&["--key-mode", "password-derived"]).ok();
    assert!(!v.file("secret.key").exists());
    assert!(!v.file("secret.key.enc").exists());
    v.add(&["--title", "Derived"], "pw");
    assert_eq!(v.list(&[])[0]["title"], "Derived");
    v.run(&["list"], "wrong\n").expect_code(3);
}

#[test]
fn key_protection_needs_the_key_file_and_names_it() {
    let v = TestVault::empty();
    let key_dir = tempfile::tempdir().unwrap();
    let key = key_dir.path().join("usb.key");
    std::fs::write(&key, [7u8; 64]).unwrap();
    let key_arg = key.to_str().unwrap();
    v.init(&["--key-file", key_arg]).ok();
    assert!(v.file("secret.key.enc").exists());
    assert!(!v.file("secret.key").exists());

    let with_key = v
        .run_unlocked(&["--key-file", key_arg, "list", "--json"], &[])
        .ok();
    assert_eq!(with_key.json(), serde_json::json!([]));

    let without = v.run_unlocked(&["list"], &[]).expect_code(3);
    assert!(without.stderr.contains("key file"), "{}", without.stderr);
    assert!(without.stderr.contains("--key-file"), "{}", without.stderr);

    let other = key_dir.path().join("other.key");
    std::fs::write(&other, [8u8; 64]).unwrap();
    let wrong = v
        .run_unlocked(&["--key-file", other.to_str().unwrap(), "list"], &[])
        .expect_code(3);
    assert!(
        wrong.stderr.contains("master password or key file"),
        "{}",
        wrong.stderr
    );
}

#[test]
fn a_key_file_is_refused_by_a_vault_without_one() {
    let v = TestVault::new();
    let key = v.file("extra.key");
    std::fs::write(&key, b"x").unwrap();
    let run = v
        .run_unlocked(&["--key-file", key.to_str().unwrap(), "list"], &[])
        .expect_code(3);
    assert!(
        run.stderr.contains("does not use a key file"),
        "{}",
        run.stderr
    );
}

#[test]
fn kdf_settings_below_the_floor_are_refused() {
    let v = TestVault::empty();
    let run = v.run(
        &["init", "--kdf-memory", "1024", "--kdf-iterations", "2"],
        &format!("{MASTER}\n"),
    );
    let run = run.expect_code(2);
    assert!(
        run.stderr.contains("below the accepted minimum"),
        "{}",
        run.stderr
    );
    let run = v.run(
        &["init", "--kdf-memory", "19456", "--kdf-iterations", "1"],
        &format!("{MASTER}\n"),
    );
    run.expect_code(2);
    assert!(!v.file("auth.json").exists());
}

#[test]
fn init_refuses_to_overwrite_a_vault() {
    let v = TestVault::new();
    let before = std::fs::read(v.file("auth.json")).unwrap();
    let run = v.init(&[]).expect_code(1);
    assert!(run.stderr.contains("already exists"), "{}", run.stderr);
    assert_eq!(std::fs::read(v.file("auth.json")).unwrap(), before);
}

#[test]
fn commands_without_a_vault_say_how_to_make_one() {
    let v = TestVault::empty();
    let run = v.run(&["list"], "").expect_code(1);
    assert!(
        run.stderr.contains("password-manager init"),
        "{}",
        run.stderr
    );
}

#[test]
fn unusable_key_files_are_explained() {
    let v = TestVault::empty();
    let dir = tempfile::tempdir().unwrap();
    let short = dir.path().join("short.key");
    std::fs::write(&short, b"tiny").unwrap();
    let run = v
        .init(&["--key-file", short.to_str().unwrap()])
        .expect_code(2);
    assert!(run.stderr.contains("holds 4 bytes"), "{}", run.stderr);
    let run = v
        .init(&["--key-file", dir.path().to_str().unwrap()])
        .expect_code(2);
    assert!(run.stderr.contains("is a directory"), "{}", run.stderr);
    let run = v
        .init(&[
            "--key-file",
            short.to_str().unwrap(),
            "--key-mode",
            "password-derived",
        ])
        .expect_code(2);
    assert!(run.stderr.contains("file-key mode"), "{}", run.stderr);
    assert!(!v.file("auth.json").exists());

    let key = dir.path().join("good.key");
    std::fs::write(&key, [1u8; 64]).unwrap();
    v.init(&["--key-file", key.to_str().unwrap()]).ok();
    let missing = dir.path().join("missing.key");
    let run = v.run_unlocked(&["--key-file", missing.to_str().unwrap(), "list"], &[]);
    let run = run.expect_code(3);
    assert!(
        run.stderr.contains("missing.key cannot be used"),
        "{}",
        run.stderr
    );
    assert_eq!(run.stderr.matches("os error").count(), 1, "{}", run.stderr);
}

#[test]
fn an_attempt_is_counted_before_it_is_checked() {
    let v = TestVault::new();
    // Kill an unlock while it is checking the password: its guess still counts.
    let mut child = v.spawn(&["list"]);
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().unwrap();
        stdin.write_all(b"a guess\n").unwrap();
    }
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while auth_json(&v)["failed_attempts"] != 1 && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(auth_json(&v)["failed_attempts"], 1);
}

#[test]
fn parallel_guesses_cannot_outrun_the_lockout() {
    let v = TestVault::new();
    let guessers: Vec<_> = (0..12)
        .map(|n| {
            let mut child = v.spawn(&["list"]);
            use std::io::Write;
            let mut stdin = child.stdin.take().unwrap();
            stdin.write_all(format!("guess {n}\n").as_bytes()).unwrap();
            child
        })
        .collect();
    let codes: Vec<i32> = guessers
        .into_iter()
        .map(|c| c.wait_with_output().unwrap().status.code().unwrap())
        .collect();
    let checked = codes.iter().filter(|&&c| c == 3).count();
    assert_eq!(
        checked, 5,
        "exactly five guesses are checked before the lockout: {codes:?}"
    );
    assert_eq!(codes.iter().filter(|&&c| c == 4).count(), 7, "{codes:?}");
}

#[test]
fn an_unwritable_counter_refuses_the_check() {
    // A read-only file system: the attempt cannot be counted, so the
    // password is not checked at all (even the right one).
    let Some(fs) = common::SmallFs::mount("8m") else {
        eprintln!("skipped: mounting a tmpfs needs root (CI runs as root)");
        return;
    };
    let dir = fs.0.join("vault");
    let mut init = vec!["init"];
    init.extend(common::FAST_KDF);
    run_in(&dir, &init, &format!("{MASTER}\n")).ok();
    assert!(fs.make_read_only(), "remount read-only");
    for guess in ["wrong", MASTER] {
        let run = run_in(&dir, &["list"], &format!("{guess}\n")).expect_code(1);
        assert!(
            run.stderr.contains("could not be recorded"),
            "{}",
            run.stderr
        );
    }
}

#[test]
fn a_damaged_salt_is_named_and_does_not_count_as_a_failure() {
    let v = TestVault::new();
    let mut salt = v.json("crypto.salt");
    salt["salt"] = common::other_first_char(salt["salt"].as_str().unwrap()).into();
    v.write_json("crypto.salt", &salt);
    let run = v.run_unlocked(&["list"], &[]).expect_code(1);
    assert!(run.stderr.contains("crypto.salt"), "{}", run.stderr);
    assert_eq!(auth_json(&v)["failed_attempts"], 0);
}

#[test]
fn a_tampered_key_mode_is_refused_before_anything_is_written() {
    let v = TestVault::new();
    v.add(&["--title", "Kept"], "pw");
    let original = std::fs::read(v.file("auth.json")).unwrap();
    let mut auth = auth_json(&v);
    auth["key_mode"] = "password-derived".into();
    std::fs::write(v.file("auth.json"), auth.to_string()).unwrap();
    let run = v
        .run_unlocked(&["add", "--title", "Lost"], &["pw"])
        .expect_code(1);
    assert!(
        run.stderr.contains("auth.json is damaged"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("checksum"), "{}", run.stderr);
    std::fs::write(v.file("auth.json"), original).unwrap();
    let titles: Vec<String> = v
        .list(&[])
        .iter()
        .map(|e| e["title"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(titles, ["Kept"]);
}
