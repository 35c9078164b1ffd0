//! Red-team findings in the command line's unlock paths and per-entry TOTP
//! input, through the real binary on temporary vaults. Each test states
//! what should happen; they fail until the product is fixed.

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

/// `restore` checks the master password against the staged copy of the
/// backup and then switches in the backup's `auth.json`: during a lockout
/// it succeeds, and it sets the live failure count back to zero.
#[test]
fn redteam_restore_is_refused_while_the_vault_is_locked_out() {
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

/// Wrong passwords given to `restore` are not counted anywhere, so it is
/// a channel for guessing the master password without the lockout.
#[test]
fn redteam_wrong_passwords_given_to_restore_count_towards_the_lockout() {
    let vault = TestVault::new();
    let archive = backup(&vault);
    for _ in 0..5 {
        vault
            .run(&["restore", &archive, "--yes"], "not the password\n")
            .expect_code(3);
    }
    vault.run_unlocked(&["list"], &[]).expect_code(4);
}

/// The README names `steam://SECRET` and a bare base32 secret as TOTP
/// values, and `totp code` reads them, but `add --totp -` refuses both.
#[test]
fn redteam_add_accepts_the_totp_values_the_readme_lists() {
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

/// A period that is not a whole number gives "a period of not a number
/// seconds": the message should say the value is not a number.
#[test]
fn redteam_a_bad_totp_period_is_explained_in_plain_words() {
    let vault = TestVault::new();
    let uri = "otpauth://totp/X?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&period=-30";
    vault
        .run_unlocked(&["add", "--title", "Odd", "--totp", "-"], &["pw", uri])
        .ok();
    let run = vault
        .run_unlocked(&["totp", "code", "Odd"], &[])
        .expect_code(1);
    assert!(
        !run.stderr.contains("not a number seconds"),
        "garbled message: {}",
        run.stderr
    );
    assert!(
        !run.stderr.contains("GEZDGNBV"),
        "the secret is never quoted"
    );
}
