//! `kdf benchmark` and `kdf apply` through the real binary. Timings vary
//! from machine to machine, so no test asserts one: only that the advice
//! keeps to the floors, and that applying changes `crypto.salt` and nothing
//! a user would miss.

mod common;

use std::io::{BufRead, BufReader, Write};

use common::phone::code_for_key as phone_code;
use common::{MASTER, TestVault};

/// The floor of passes at a memory size, as `kdf benchmark` keeps it.
fn min_passes(m_cost_kib: u64) -> u64 {
    if m_cost_kib >= 64 * 1024 { 3 } else { 2 }
}

/// Checks a `kdf benchmark --json` document; returns the recommendation.
#[track_caller]
fn check_advice(json: &serde_json::Value, memory_kib: u64, target_ms: u64) -> serde_json::Value {
    assert_eq!(json["target_ms"], target_ms, "{json}");
    let advice = json["recommendation"].clone();
    assert_eq!(advice["m_cost_kib"], memory_kib, "{json}");
    assert_eq!(advice["p_cost"], 4, "{json}");
    let passes = advice["t_cost"].as_u64().expect("t_cost");
    assert!(passes >= min_passes(memory_kib), "{json}");
    assert!(passes <= 100, "{json}");
    assert!(advice["estimated_ms"].as_f64().expect("estimated_ms") > 0.0);
    let samples = json["samples"].as_array().expect("samples");
    assert!((1..=5).contains(&samples.len()), "{json}");
    for sample in samples {
        assert!(sample["t_cost"].as_u64().unwrap() >= min_passes(memory_kib));
        assert!(sample["ms"].as_f64().unwrap() >= 0.0);
    }
    assert!(json["warnings"].is_array(), "{json}");
    advice
}

#[test]
fn benchmark_needs_no_vault_and_recommends_at_or_above_the_floor() {
    let dir = TestVault::empty();
    let run = dir
        .run(&["kdf", "benchmark", "--json", "--target-ms", "100"], "")
        .ok();
    check_advice(&run.json(), 64 * 1024, 100);
    let run = dir
        .run(
            &[
                "kdf",
                "benchmark",
                "--json",
                "--target-ms",
                "100",
                "--memory-mib",
                "19",
            ],
            "",
        )
        .ok();
    check_advice(&run.json(), 19 * 1024, 100);

    let run = dir
        .run(
            &[
                "kdf",
                "benchmark",
                "--target-ms",
                "100",
                "--memory-mib",
                "19",
            ],
            "",
        )
        .ok();
    assert!(
        run.stdout.contains("Argon2id at 19 MiB and 4 lanes"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("PASSES  TIME"), "{}", run.stdout);
    assert!(
        run.stdout.contains("Recommended: 19 MiB, "),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("kdf apply --memory-mib 19 --iterations ")
    );
    // Not a terminal: no progress bar in the output.
    assert!(!run.stderr.contains("Timing Argon2id"), "{}", run.stderr);
    assert!(
        common::all_files(dir.path()).is_empty(),
        "the benchmark wrote files: {:?}",
        common::all_files(dir.path())
    );
}

#[test]
fn benchmark_uses_the_target_setting_and_refuses_values_out_of_range() {
    let dir = TestVault::empty();
    dir.run(
        &[
            "settings",
            "set",
            "key_management.benchmark_target_ms",
            "150",
        ],
        "",
    )
    .ok();
    let run = dir
        .run(&["kdf", "benchmark", "--json", "--memory-mib", "19"], "")
        .ok();
    check_advice(&run.json(), 19 * 1024, 150);

    for (flags, message) in [
        (
            &["--target-ms", "99"][..],
            "outside the accepted 100–5000 ms",
        ),
        (
            &["--target-ms", "5001"][..],
            "outside the accepted 100–5000 ms",
        ),
        (&["--memory-mib", "18"][..], "below the accepted minimum"),
    ] {
        let mut args = vec!["kdf", "benchmark"];
        args.extend(flags);
        let run = dir.run(&args, "").expect_code(2);
        assert!(run.stderr.contains(message), "{flags:?}: {}", run.stderr);
    }
    let run = dir
        .run(
            &[
                "settings",
                "set",
                "key_management.benchmark_target_ms",
                "6000",
            ],
            "",
        )
        .expect_code(2);
    assert!(run.stderr.contains("6000"), "{}", run.stderr);
}

#[test]
fn apply_changes_crypto_salt_and_the_same_password_opens_the_same_entries() {
    let vault = TestVault::new();
    let id = vault.add(&["--title", "Mail", "--username", "alice"], "s3cret-mail");
    let before = vault.json("crypto.salt");

    let run = vault
        .run_unlocked(
            &[
                "kdf",
                "apply",
                "--memory-mib",
                "20",
                "--iterations",
                "3",
                "--parallelism",
                "2",
            ],
            &[],
        )
        .ok();
    assert!(
        run.stdout.contains(
            "Argon2id parameters changed: 19 MiB, 2 passes, 1 lane → 20 MiB, 3 passes, 2 lanes."
        ),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("An unlock now spends "),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("Backups made before this change keep their own parameters")
    );

    let after = vault.json("crypto.salt");
    assert_eq!(after["m_cost_kib"], 20 * 1024);
    assert_eq!(after["t_cost"], 3);
    assert_eq!(after["p_cost"], 2);
    assert_ne!(after["salt"], before["salt"], "a new salt");

    // The same password opens the vault, and the entry is whole.
    let show = vault
        .run_unlocked(&["show", &id, "--reveal", "--json"], &[])
        .ok()
        .json();
    assert_eq!(show["title"], "Mail");
    assert_eq!(show["username"], "alice");
    assert_eq!(show["password"], "s3cret-mail");
    assert_eq!(vault.list(&[]).len(), 1);

    // New vaults start from the applied parameters.
    let setting = vault
        .run(&["settings", "get", "key_management.kdf"], "")
        .ok();
    let setting: serde_json::Value = serde_json::from_str(&setting.stdout).unwrap();
    assert_eq!(
        setting,
        serde_json::json!({"m_cost_kib": 20480, "t_cost": 3, "p_cost": 2})
    );

    // Parameters left out stay as they are.
    vault
        .run_unlocked(&["kdf", "apply", "--iterations", "2"], &[])
        .ok();
    let last = vault.json("crypto.salt");
    assert_eq!(
        (&last["m_cost_kib"], &last["t_cost"]),
        (&20480.into(), &2.into())
    );
    assert_eq!(last["p_cost"], 2);
    let log = vault.log();
    assert!(log.contains("KDF_CHANGED"), "{log}");
    assert!(!log.contains(MASTER), "the log holds the master password");
}

#[test]
fn bad_parameters_are_refused_before_the_password_and_nothing_changes() {
    let vault = TestVault::new();
    let salt = std::fs::read(vault.file("crypto.salt")).unwrap();
    let auth = std::fs::read(vault.file("auth.json")).unwrap();
    for (flags, message) in [
        (
            &["--iterations", "1"][..],
            "1 Argon2id passes are below the accepted minimum of 2; nothing was changed",
        ),
        (
            &["--memory-mib", "18"][..],
            "below the accepted minimum of 19456 KiB (19 MiB); nothing was changed",
        ),
        (&["--parallelism", "0"][..], "must be between 1 and 64"),
        (&["--parallelism", "65"][..], "must be between 1 and 64"),
        (&["--iterations", "101"][..], "beyond the supported maximum"),
    ] {
        let mut args = vec!["kdf", "apply"];
        args.extend(flags);
        // No stdin at all: a refused value never gets to the password.
        let run = vault.run(&args, "").expect_code(2);
        assert!(run.stderr.contains(message), "{flags:?}: {}", run.stderr);
    }
    let run = vault.run(&["kdf", "apply"], "").expect_code(2);
    assert!(run.stderr.contains("--recommended"), "{}", run.stderr);
    let run = vault
        .run(&["kdf", "apply", "--recommended", "--iterations", "3"], "")
        .expect_code(2);
    assert!(run.stderr.contains("cannot be used with"), "{}", run.stderr);

    // A wrong password: exit 3, nothing changed.
    let run = vault
        .run(&["kdf", "apply", "--iterations", "3"], "not the password\n")
        .expect_code(3);
    assert!(
        run.stderr.contains("wrong master password"),
        "{}",
        run.stderr
    );
    assert_eq!(std::fs::read(vault.file("crypto.salt")).unwrap(), salt);
    let auth_now: serde_json::Value =
        serde_json::from_slice(&std::fs::read(vault.file("auth.json")).unwrap()).unwrap();
    let auth_before: serde_json::Value = serde_json::from_slice(&auth).unwrap();
    assert_eq!(auth_now["verifier"], auth_before["verifier"]);
    assert_eq!(vault.list(&[]).len(), 0, "the vault still opens");
}

#[test]
fn apply_recommended_benchmarks_first_then_applies_the_advice() {
    let vault = TestVault::new();
    let run = vault
        .run_unlocked(
            &[
                "kdf",
                "apply",
                "--recommended",
                "--memory-mib",
                "19",
                "--target-ms",
                "100",
            ],
            &[],
        )
        .ok();
    assert!(
        run.stdout.contains("Recommended: 19 MiB, "),
        "{}",
        run.stdout
    );
    let salt = vault.json("crypto.salt");
    assert_eq!(salt["m_cost_kib"], 19 * 1024);
    assert_eq!(salt["p_cost"], 4);
    assert!(salt["t_cost"].as_u64().unwrap() >= 2);
    assert!(
        run.stdout
            .contains(&format!("→ 19 MiB, {} passes, 4 lanes.", salt["t_cost"])),
        "{}",
        run.stdout
    );
    assert_eq!(vault.list(&[]).len(), 0, "the vault still opens");
}

/// Turns two-factor unlock on; returns the recovery codes.
fn enable_two_factor(vault: &TestVault) -> Vec<String> {
    let mut child = vault.spawn(&["totp", "enable", "--account", "alice"]);
    let mut stdin = child.stdin.take().unwrap();
    writeln!(stdin, "{MASTER}").unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let key = loop {
        let mut line = String::new();
        assert!(out.read_line(&mut line).unwrap() > 0, "no key printed");
        if let Some(key) = line.strip_prefix("Key (for typing by hand): ") {
            break key.trim().to_owned();
        }
    };
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    writeln!(stdin, "{}", phone_code(&key, now)).unwrap();
    drop(stdin);
    let codes: Vec<String> = out
        .lines()
        .map(Result::unwrap)
        .filter_map(|l| l.strip_prefix("  ").map(str::to_owned))
        .collect();
    assert!(child.wait().unwrap().success());
    assert_eq!(codes.len(), 10);
    codes
}

#[test]
fn with_two_factor_unlock_apply_needs_a_code_and_keeps_it_working() {
    let vault = TestVault::new();
    let codes = enable_two_factor(&vault);
    let salt = std::fs::read(vault.file("crypto.salt")).unwrap();

    // The password alone is not enough.
    let run = vault
        .run_unlocked(&["kdf", "apply", "--iterations", "3"], &[])
        .expect_code(1);
    assert!(run.stderr.contains("two-factor code"), "{}", run.stderr);
    assert_eq!(std::fs::read(vault.file("crypto.salt")).unwrap(), salt);

    vault
        .run_unlocked(&["kdf", "apply", "--iterations", "3"], &[&codes[0]])
        .ok();
    assert_eq!(vault.json("crypto.salt")["t_cost"], 3);

    // The re-sealed two-factor file still takes the other recovery codes.
    vault.run_unlocked(&["list"], &[&codes[1]]).ok();
}
