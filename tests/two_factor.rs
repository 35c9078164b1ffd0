//! Two-factor unlock through the real binary: enrolment with the code an
//! authenticator app would show (computed here independently of the
//! product), unlocking with a code, a reused code refused, recovery codes
//! used once each, wrong codes counting towards the lockout, and turning it
//! off again.

mod common;

use std::io::{BufRead, BufReader, Write};

use common::phone::{base32_decode, code as phone_code, now};
use common::{MASTER, TestVault};

/// Runs `totp enable` the way a user does: reads the key it prints, types
/// the code the app shows. Returns the secret and the recovery codes.
fn enable(vault: &TestVault) -> (Vec<u8>, Vec<String>) {
    let mut child = vault.spawn(&["totp", "enable", "--account", "alice"]);
    let mut stdin = child.stdin.take().unwrap();
    writeln!(stdin, "{MASTER}").unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut printed = String::new();
    let key = loop {
        let mut line = String::new();
        assert!(
            out.read_line(&mut line).unwrap() > 0,
            "no key in: {printed}"
        );
        printed.push_str(&line);
        if let Some(key) = line.strip_prefix("Key (for typing by hand): ") {
            break key.trim().to_owned();
        }
    };
    assert!(printed.contains("otpauth://totp/Secure%20Password%20Manager%3Aalice?secret="));
    let secret = base32_decode(&key);
    assert_eq!(secret.len(), 20, "a 160-bit secret");
    writeln!(stdin, "{}", phone_code(&secret, now())).unwrap();
    drop(stdin);
    let mut rest = String::new();
    for line in out.lines() {
        rest.push_str(&line.unwrap());
        rest.push('\n');
    }
    let status = child.wait().unwrap();
    assert!(status.success(), "enable failed: {printed}{rest}");
    let codes: Vec<String> = rest
        .lines()
        .filter_map(|l| l.strip_prefix("  "))
        .map(str::to_owned)
        .collect();
    assert_eq!(codes.len(), 10, "{rest}");
    (secret, codes)
}

#[test]
fn enrol_then_unlock_with_a_code_once_and_with_each_recovery_code_once() {
    let vault = TestVault::new();
    vault.add(&["--title", "Mail", "--username", "alice"], "pw-mail-1");
    let (secret, codes) = enable(&vault);

    let status = vault.run(&["totp", "status", "--json"], "").ok().json();
    assert_eq!(status["enabled"], true);
    assert_eq!(status["recovery_codes_left"], 10);
    assert_eq!(status["account"], "alice");

    let config = std::fs::read_to_string(vault.file("totp_config.json")).unwrap();
    let base32_upper = encode_for_search(&secret);
    assert!(
        !config.contains(&base32_upper) && !config.contains(&base32_upper.to_lowercase()),
        "totp_config.json holds the secret sealed"
    );
    for code in &codes {
        assert!(!config.contains(code.as_str()));
    }

    // The password alone no longer opens the vault.
    let run = vault.run_unlocked(&["list", "--json"], &[]);
    assert_ne!(run.code, 0, "{}", run.stdout);
    assert!(run.stderr.contains("two-factor code"), "{}", run.stderr);

    // The next step's code (enrolment used this one) opens it.
    let code = phone_code(&secret, now() + 30);
    let run = vault.run_unlocked(&["list", "--json"], &[&code]).ok();
    assert_eq!(run.json()[0]["title"], "Mail");
    // The same code again is refused as used.
    let run = vault.run_unlocked(&["list"], &[&code]).expect_code(3);
    assert!(run.stderr.contains("already used"), "{}", run.stderr);

    // A recovery code works once, in any case.
    let upper = codes[0].to_uppercase();
    vault.run_unlocked(&["list"], &[&upper]).ok();
    let run = vault.run_unlocked(&["list"], &[&codes[0]]).expect_code(3);
    assert!(
        run.stderr.contains("wrong two-factor code"),
        "{}",
        run.stderr
    );
    let status = vault.run(&["totp", "status", "--json"], "").ok().json();
    assert_eq!(status["recovery_codes_left"], 9);

    let log = vault.log();
    assert!(log.contains("TWO_FACTOR_ENABLED"));
    assert!(log.contains("TWO_FACTOR_RECOVERY_USED"));
    assert!(!log.contains(&code), "codes are never logged");
    assert!(!log.contains(&codes[0]));
}

/// The secret as base32 (upper case, no padding) to search files for.
fn encode_for_search(secret: &[u8]) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut out = String::new();
    let mut bits = 0u64;
    let mut count = 0;
    for &b in secret {
        bits = (bits << 8) | u64::from(b);
        count += 8;
        while count >= 5 {
            count -= 5;
            out.push(ALPHABET[((bits >> count) & 31) as usize] as char);
        }
    }
    if count > 0 {
        out.push(ALPHABET[((bits << (5 - count)) & 31) as usize] as char);
    }
    out
}

#[test]
fn wrong_codes_count_towards_the_lockout_and_a_right_password_does_not_reset_it() {
    let vault = TestVault::new();
    let (_secret, codes) = enable(&vault);
    for attempt in 1..=4 {
        let run = vault.run_unlocked(&["list"], &["000000x"]).expect_code(3);
        assert!(
            run.stderr.contains("wrong two-factor code"),
            "attempt {attempt}: {}",
            run.stderr
        );
        // The right password alone, between wrong codes, clears nothing.
        vault.run_unlocked(&["list"], &[]);
    }
    let run = vault
        .run_unlocked(&["list"], &["not-a-code"])
        .expect_code(3);
    assert!(run.stderr.contains("refused for"), "{}", run.stderr);
    // Locked out now, even with a good recovery code.
    let run = vault.run_unlocked(&["list"], &[&codes[0]]).expect_code(4);
    assert!(run.stderr.contains("refused for another"), "{}", run.stderr);
}

#[test]
fn turning_it_off_needs_the_password_and_a_code_then_the_password_alone_unlocks() {
    let vault = TestVault::new();
    vault.run(&["totp", "status"], "").ok();
    let (_, codes) = enable(&vault);
    // Enrolling again is refused while it is on.
    let run = vault.run_unlocked(&["totp", "enable"], &[]).expect_code(1);
    assert!(run.stderr.contains("already on"), "{}", run.stderr);

    let run = vault
        .run(&["totp", "disable"], &format!("{MASTER}\n123456\n"))
        .expect_code(3);
    assert!(
        run.stderr.contains("wrong two-factor code"),
        "{}",
        run.stderr
    );
    assert!(vault.file("totp_config.json").exists());
    let run = vault
        .run(
            &["totp", "disable"],
            &format!("wrong password\n{}\n", codes[3]),
        )
        .expect_code(3);
    assert!(
        run.stderr.contains("wrong master password"),
        "{}",
        run.stderr
    );

    vault
        .run(&["totp", "disable"], &format!("{MASTER}\n{}\n", codes[3]))
        .ok();
    assert!(!vault.file("totp_config.json").exists());
    let status = vault.run(&["totp", "status", "--json"], "").ok().json();
    assert_eq!(status["enabled"], false);
    vault.run_unlocked(&["list"], &[]).ok();
    assert!(vault.log().contains("TWO_FACTOR_DISABLED"));
}

#[test]
fn a_wrong_code_at_enrolment_turns_nothing_on() {
    let vault = TestVault::new();
    let mut child = vault.spawn(&["totp", "enable"]);
    let mut stdin = child.stdin.take().unwrap();
    writeln!(stdin, "{MASTER}").unwrap();
    writeln!(stdin, "000000").unwrap();
    drop(stdin);
    let output = child.wait_with_output().unwrap();
    // One chance in a million that 000000 is the code.
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("does not match the new secret"), "{stderr}");
    assert!(!vault.file("totp_config.json").exists());
}
