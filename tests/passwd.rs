//! `passwd` through the real binary: the new password opens the vault and
//! the old one no longer does, bridge tokens are revoked, a wrong current
//! password or a full disk changes nothing, and SIGKILL at random moments
//! always leaves exactly one password that opens every record.

mod common;

use std::time::{Duration, Instant};

use common::{MASTER, TestVault};
use rand::{Rng, SeedableRng};
use spm::core::bridge::tokens::TokenStore;
use spm::core::paths::Paths;
use spm::core::vault::VaultError;

const NEW: &str = "a different master password 7";

fn pair_a_browser(vault: &TestVault) {
    let mut tokens = TokenStore::load(&Paths::portable(vault.path()).bridge_tokens()).unwrap();
    tokens
        .issue("Firefox", "fp-1", 24, spm::core::time::now_unix())
        .unwrap();
}

/// Entries and history records the vault opens with, or the error.
fn open(dir: &std::path::Path, password: &str) -> Result<(usize, usize), VaultError> {
    common::open_counts(dir, password)
}

#[test]
fn the_new_password_opens_the_vault_the_old_one_not_and_tokens_are_revoked() {
    let vault = TestVault::new();
    vault.add(&["--title", "Mail", "--username", "alice"], "pw-mail-1");
    pair_a_browser(&vault);
    let run = vault.run(&["passwd"], &format!("{MASTER}\n{NEW}\n")).ok();
    assert!(
        run.stdout.contains("Master password changed."),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("1 browser bridge token revoked"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("still open with the previous master password")
    );
    // The hint names this vault, so it can be copied as it is.
    let hint = format!(
        "password-manager --data-dir {} backup",
        vault.path().display()
    );
    assert!(run.stdout.contains(&hint), "{}", run.stdout);

    let listed = vault
        .run(&["list", "--json"], &format!("{NEW}\n"))
        .ok()
        .json();
    assert_eq!(listed[0]["title"], "Mail");
    let run = vault.run_unlocked(&["list"], &[]).expect_code(3);
    assert!(
        run.stderr.contains("wrong master password"),
        "{}",
        run.stderr
    );
    let tokens = TokenStore::load(&Paths::portable(vault.path()).bridge_tokens()).unwrap();
    assert!(tokens.list().is_empty());

    let log = vault.log();
    assert!(log.contains("PASSWORD_ROTATED"), "{log}");
    assert!(log.contains("reason master"), "{log}");
    assert!(log.contains("BROWSER_BRIDGE_TOKEN_REVOKED"), "{log}");
    assert!(
        !log.contains(NEW) && !log.contains(MASTER),
        "no password in the log"
    );
}

#[test]
fn a_wrong_current_password_or_a_blank_new_one_changes_nothing() {
    let vault = TestVault::new();
    let before = std::fs::read(vault.file("crypto.salt")).unwrap();
    let run = vault
        .run(&["passwd"], &format!("not the password\n{NEW}\n"))
        .expect_code(3);
    assert!(
        run.stderr.contains("wrong master password"),
        "{}",
        run.stderr
    );
    let run = vault
        .run(&["passwd"], &format!("{MASTER}\n   \n"))
        .expect_code(1);
    assert!(run.stderr.contains("must not be empty"), "{}", run.stderr);
    let run = vault.run(&["passwd"], &format!("{MASTER}\n{MASTER}\n"));
    assert_ne!(run.code, 0);
    assert!(
        run.stderr.contains("the same as the current one"),
        "{}",
        run.stderr
    );
    assert_eq!(std::fs::read(vault.file("crypto.salt")).unwrap(), before);
    vault.run_unlocked(&["list"], &[]).ok();
}

#[test]
fn a_full_disk_ends_with_a_clear_error_and_the_old_password_still_opens() {
    let Some(fs) = common::SmallFs::mount("2m") else {
        eprintln!("skipped: mounting a tmpfs needs root (CI runs as root)");
        return;
    };
    let dir = fs.vault();
    // Fill the file system to the last byte, so the program starts and
    // the new key files cannot all be written.
    let filler = fs.fill(0);
    let run = common::run_in(&dir, &["passwd"], &format!("{MASTER}\n{NEW}\n"));
    assert_eq!(
        run.code, 1,
        "stdout: {}\nstderr: {}",
        run.stdout, run.stderr
    );
    assert!(run.stderr.contains("full"), "{}", run.stderr);
    std::fs::remove_file(&filler).unwrap();
    assert_eq!(open(&dir, MASTER).unwrap(), (0, 0));
    assert!(matches!(
        open(&dir, NEW),
        Err(VaultError::WrongPassword { .. })
    ));
    let leftovers: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().ends_with(".next"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

/// A 2,000-entry vault with some history, made through the library;
/// `init_args` choose the key mode.
fn big_vault(init_args: &[&str]) -> TestVault {
    let vault = TestVault::empty();
    vault.init(init_args).ok();
    common::fill_vault(vault.path(), 2000, 20, "");
    vault
        .run_unlocked(&["settings", "set", "backup.auto", "false"], &[])
        .ok();
    vault
}

#[test]
fn sigkill_at_random_moments_always_leaves_exactly_one_password_that_opens_everything() {
    sigkill_rounds(&big_vault(&[]), 0x5eed);
}

/// In password-derived mode every record moves to a new key, so the kills
/// also land while records are half re-encrypted.
#[test]
fn sigkill_in_password_derived_mode_leaves_exactly_one_password_and_every_record() {
    sigkill_rounds(&big_vault(&["--key-mode", "password-derived"]), 0xd0e5);
}

fn sigkill_rounds(vault: &TestVault, seed: u64) {
    let expected = open(vault.path(), MASTER).unwrap();
    assert_eq!(expected, (2000, 20));

    // How long an uninterrupted change takes sets the range of kill times.
    let mut current = MASTER.to_owned();
    let started = Instant::now();
    vault
        .run(&["passwd"], &format!("{current}\nround 0 password\n"))
        .ok();
    let span = started.elapsed().as_micros().max(1000) as u64;
    current = "round 0 password".to_owned();

    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let (mut old_won, mut new_won) = (0, 0);
    for round in 1..=100 {
        let next = format!("round {round} password");
        let mut child = vault.spawn(&["passwd"]);
        {
            use std::io::Write;
            let mut stdin = child.stdin.take().unwrap();
            let _ = write!(stdin, "{current}\n{next}\n");
        }
        std::thread::sleep(Duration::from_micros(rng.gen_range(0..span * 12 / 10)));
        let _ = child.kill();
        let _ = child.wait();

        let with_old = open(vault.path(), &current);
        let with_new = open(vault.path(), &next);
        match (with_old, with_new) {
            (Ok(counts), Err(VaultError::WrongPassword { .. })) => {
                assert_eq!(counts, expected, "round {round}");
                old_won += 1;
            }
            (Err(VaultError::WrongPassword { .. }), Ok(counts)) => {
                assert_eq!(counts, expected, "round {round}");
                current = next;
                new_won += 1;
            }
            (old, new) => panic!("round {round}: old {old:?}, new {new:?}"),
        }
    }
    // Kills landed both before and after the commit.
    assert!(old_won > 0 && new_won > 0, "old {old_won}, new {new_won}");
}
