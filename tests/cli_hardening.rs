//! Unlock paths that are easy to forget (restore, during a lockout and
//! with wrong passwords) and per-entry TOTP input, through the real binary
//! on temporary vaults.

mod common;

use common::TestVault;

/// Five wrong master passwords lock the vault out.
fn lock_out(vault: &TestVault) {
    for _ in 0..5 {
        vault.run(&["list"], "not the password\n");
    }
    vault.run_unlocked(&["list"], &[]).expect_code(4);
}

/// A backup of `vault`; returns the archive's path.
fn backup(vault: &TestVault) -> String {
    let run = vault.run_unlocked(&["backup", "--json"], &[]).ok();
    run.json()["path"].as_str().expect("path").to_owned()
}

/// A restore opens a vault with a master password, so during a lockout it
/// is refused like an unlock, and it leaves the failure count as it was.
#[test]
fn restore_is_refused_while_the_vault_is_locked_out() {
    let vault = TestVault::new();
    vault.add(&["--title", "Mail"], "mail-password-1");
    let archive = backup(&vault);
    lock_out(&vault);

    let run = vault.run_unlocked(&["restore", &archive, "--yes"], &[]);
    assert_eq!(
        run.code, 4,
        "a locked-out vault must not be replaced by a restore; stdout:\n{}\nstderr:\n{}",
        run.stdout, run.stderr
    );
    assert!(vault.json("auth.json")["failed_attempts"].as_u64() >= Some(5));
}

/// Wrong passwords given to `restore` count towards the lockout, so it is
/// no way around it.
#[test]
fn wrong_passwords_given_to_restore_count_towards_the_lockout() {
    let vault = TestVault::new();
    let archive = backup(&vault);
    for _ in 0..5 {
        vault
            .run(&["restore", &archive, "--yes"], "not the password\n")
            .expect_code(3);
    }
    vault.run_unlocked(&["list"], &[]).expect_code(4);
}

/// `add --totp -` takes every form `totp code` reads: `steam://SECRET` and
/// a bare base32 secret as well as `otpauth://` URIs.
#[test]
fn add_accepts_the_totp_values_the_readme_lists() {
    let vault = TestVault::new();
    for (title, value) in [
        ("Steam", "steam://GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"),
        ("Bare", "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"),
    ] {
        let run = vault.run_unlocked(&["add", "--title", title, "--totp", "-"], &["pw", value]);
        assert_eq!(run.code, 0, "{title}: {}", run.stderr);
        vault
            .run_unlocked(&["totp", "code", title, "--at", "1700000000"], &[])
            .ok();
    }
}

/// A period that is not a whole number is explained in plain words, at
/// `add` (which keeps the value, as imports do) and at `totp code`, without
/// quoting the secret.
#[test]
fn a_bad_totp_period_is_explained_in_plain_words() {
    let vault = TestVault::new();
    let uri = "otpauth://totp/X?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&period=-30";
    let plain = "period parameter is not a whole number; it must be 1 to 86400 seconds";
    let run = vault
        .run_unlocked(&["add", "--title", "Odd", "--totp", "-"], &["pw", uri])
        .ok();
    assert!(run.stderr.contains(plain), "{}", run.stderr);
    let run = vault
        .run_unlocked(&["totp", "code", "Odd"], &[])
        .expect_code(1);
    assert!(run.stderr.contains(plain), "{}", run.stderr);
    for stream in [&run.stdout, &run.stderr] {
        assert!(!stream.contains("GEZDGNBV"), "the secret is never quoted");
    }
}
