//! `key rotate`, `key mode`, `key protect` and `key unprotect` through the
//! real binary: every record re-encrypted under a new data key, the backup
//! signing key changed, old backups kept or pruned, key modes and key
//! protection switched, and SIGKILL at random moments never leaving a
//! record that does not decrypt.

mod common;

use std::time::{Duration, Instant};

use common::{MASTER, TestVault};
use rand::{Rng, SeedableRng};
use spm::core::vault::VaultError;

/// Entries and history records, every one decrypted; read-only.
fn open(dir: &std::path::Path) -> Result<(usize, usize), VaultError> {
    common::open_counts(dir, MASTER)
}

fn key_versions(vault: &TestVault) -> Vec<u64> {
    vault.json("secret.key")["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["key_version"].as_u64().unwrap())
        .collect()
}

/// Runs `args` (which read the master password) and kills the process
/// after a random share of `span` microseconds.
fn kill_at_random(vault: &TestVault, args: &[&str], rng: &mut impl Rng, span: u64) {
    let mut child = vault.spawn(args);
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().unwrap();
        let _ = writeln!(stdin, "{MASTER}");
    }
    std::thread::sleep(Duration::from_micros(rng.gen_range(0..span * 12 / 10)));
    let _ = child.kill();
    let _ = child.wait();
}

/// A command that writes finishes whatever a kill left half-way; then
/// every record opens.
fn finishes_and_opens(vault: &TestVault, expected: (usize, usize)) {
    vault
        .run_unlocked(&["edit", "Site 1", "--notes", "after"], &[])
        .ok();
    assert!(!vault.file("secret.key.migrating").exists());
    assert_eq!(open(vault.path()).unwrap(), expected);
}

/// A vault of 2,000 entries, the first `history` with a history record
/// each, without automatic backups.
fn big_vault(history: usize) -> TestVault {
    let vault = TestVault::new();
    common::fill_vault(vault.path(), 2000, history, "");
    vault
        .run_unlocked(&["settings", "set", "backup.auto", "false"], &[])
        .ok();
    vault
}

#[test]
fn rotating_changes_the_key_and_the_signing_key_and_prunes_old_backups_on_request() {
    let vault = TestVault::new();
    vault.add(&["--title", "Mail", "--username", "alice"], "pw-mail-1");
    let backup = vault.run_unlocked(&["backup", "--json"], &[]).ok().json();
    let old_fingerprint = backup["fingerprint"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let archive = backup["path"].as_str().unwrap().to_owned();
    let public_key = std::fs::read(vault.file("backup_signing.pub")).unwrap();

    let run = vault.run_unlocked(&["key", "rotate"], &[]).ok();
    assert!(
        run.stdout.contains("Data key rotated to version 2"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("still open with the old key"),
        "{}",
        run.stdout
    );
    assert_eq!(key_versions(&vault), [2]);
    assert_ne!(
        std::fs::read(vault.file("backup_signing.pub")).unwrap(),
        public_key,
        "the backup signing key changed with the data key"
    );
    if !old_fingerprint.is_empty() {
        assert!(!run.stdout.contains(&old_fingerprint));
    }
    let listed = vault.list(&[]);
    assert_eq!(listed[0]["title"], "Mail");
    // The old archive still verifies: its signing key was retired, not
    // forgotten.
    let verified = vault.run_unlocked(&["verify-backup", &archive], &[]).ok();
    assert!(
        verified.stdout.contains("signed by the retired key"),
        "{}",
        verified.stdout
    );
    // The old archive still restores with the master password.
    let drill = tempfile::tempdir().unwrap();
    vault
        .run_unlocked(
            &[
                "restore",
                &archive,
                "--target-dir",
                drill.path().to_str().unwrap(),
                "--yes",
            ],
            &[],
        )
        .ok();

    let run = vault
        .run_unlocked(&["key", "rotate", "--prune-old-backups"], &[])
        .ok();
    assert!(run.stdout.contains("version 3"), "{}", run.stdout);
    assert!(run.stdout.contains("Deleted"), "{}", run.stdout);
    assert!(!std::path::Path::new(&archive).exists());
    assert!(!std::path::Path::new(&format!("{archive}.sig")).exists());
    // A fresh backup under the new key is left, and it verifies.
    assert!(
        run.stdout.contains("Backup written under the new key"),
        "{}",
        run.stdout
    );
    let status = vault.run(&["backup", "status", "--json"], "").ok().json();
    assert_eq!(status["verified"], true, "{status}");
    assert_eq!(status["entries"], 1, "{status}");
    assert!(vault.log().contains("reason key rotation"));
}

#[test]
fn a_wrong_password_rotates_nothing() {
    let vault = TestVault::new();
    let before = std::fs::read(vault.file("secret.key")).unwrap();
    vault
        .run(&["key", "rotate"], "not the password\n")
        .expect_code(3);
    assert_eq!(std::fs::read(vault.file("secret.key")).unwrap(), before);
}

#[test]
fn sigkill_at_random_moments_never_leaves_a_record_that_does_not_decrypt() {
    let vault = big_vault(20);
    let expected = open(vault.path()).unwrap();
    assert_eq!(expected, (2000, 20));

    let started = Instant::now();
    vault.run_unlocked(&["key", "rotate"], &[]).ok();
    let span = started.elapsed().as_micros().max(1000) as u64;

    let mut rng = rand::rngs::StdRng::seed_from_u64(0x0a7e);
    let mut half_way = 0;
    for round in 1..=100 {
        kill_at_random(&vault, &["key", "rotate"], &mut rng, span);
        // The same master password opens every record, whatever moment
        // the kill hit.
        let counts = open(vault.path()).unwrap_or_else(|e| panic!("round {round}: {e}"));
        assert_eq!(counts, expected, "round {round}");
        let versions = key_versions(&vault);
        assert!(
            !versions.is_empty() && versions.len() <= 2,
            "round {round}: {versions:?}"
        );
        if versions.len() == 2 {
            half_way += 1;
        }
    }
    // Any command that writes finishes a rotation left half-way.
    vault.run_unlocked(&["list"], &[]).ok();
    vault
        .run_unlocked(&["edit", "Site 1", "--notes", "after"], &[])
        .ok();
    assert_eq!(key_versions(&vault).len(), 1);
    assert_eq!(open(vault.path()).unwrap(), expected);
    eprintln!("{half_way} of 100 kills left a rotation half-way");
}

#[test]
fn sigkill_while_switching_key_modes_never_loses_a_record() {
    let vault = big_vault(0);
    let expected = open(vault.path()).unwrap();
    let mode = |v: &TestVault| v.json("auth.json")["key_mode"].as_str().unwrap().to_owned();

    // The longer way (every record moves) sets the range of kill times.
    let started = Instant::now();
    let run = vault
        .run_unlocked(&["key", "mode", "password-derived"], &[])
        .ok();
    assert!(
        run.stdout.contains("2,005 records re-encrypted") || run.stdout.contains("2005"),
        "{}",
        run.stdout
    );
    let span = started.elapsed().as_micros().max(1000) as u64;
    vault.run_unlocked(&["key", "mode", "file-key"], &[]).ok();

    let mut rng = rand::rngs::StdRng::seed_from_u64(0x30de);
    for round in 1..=100 {
        let target = if mode(&vault) == "file-key" {
            "password-derived"
        } else {
            "file-key"
        };
        kill_at_random(&vault, &["key", "mode", target], &mut rng, span);
        let counts = open(vault.path()).unwrap_or_else(|e| panic!("round {round}: {e}"));
        assert_eq!(counts, expected, "round {round}");
    }
    finishes_and_opens(&vault, expected);
}

#[test]
fn sigkill_while_applying_kdf_parameters_never_loses_a_record() {
    let vault = big_vault(20);
    // Password-derived mode, where new parameters move every record.
    vault
        .run_unlocked(&["key", "mode", "password-derived"], &[])
        .ok();
    let expected = open(vault.path()).unwrap();
    let passes = |v: &TestVault| v.json("crypto.salt")["t_cost"].as_u64();
    let apply = |t: &str| {
        [
            "kdf",
            "apply",
            "--memory-mib",
            "19",
            "--parallelism",
            "1",
            "--iterations",
            t,
        ]
        .map(str::to_owned)
    };
    let started = Instant::now();
    let run = vault
        .run_unlocked(&apply("3").each_ref().map(String::as_str), &[])
        .ok();
    assert!(run.stdout.contains("re-encrypted"), "{}", run.stdout);
    let span = started.elapsed().as_micros().max(1000) as u64;

    let mut rng = rand::rngs::StdRng::seed_from_u64(0x4df1);
    let mut seen = std::collections::BTreeSet::new();
    for round in 1..=100 {
        let before = passes(&vault);
        let target = if before == Some(2) { "3" } else { "2" };
        let args = apply(target);
        kill_at_random(&vault, &args.each_ref().map(String::as_str), &mut rng, span);
        // Old or new parameters, and the same password opens every record.
        let counts = open(vault.path()).unwrap_or_else(|e| panic!("round {round}: {e}"));
        assert_eq!(counts, expected, "round {round}");
        let after = passes(&vault);
        assert!(
            after == before || after == target.parse().ok(),
            "round {round}: {before:?} -> {after:?}"
        );
        seen.insert(after);
    }
    assert!(
        seen.len() == 2,
        "some kills came after the switch: {seen:?}"
    );
    finishes_and_opens(&vault, expected);
}

#[test]
fn sigkill_while_adding_or_removing_a_key_file_leaves_exactly_one_way_in() {
    let vault = big_vault(20);
    let expected = open(vault.path()).unwrap();
    let outside = tempfile::tempdir().unwrap();
    let key_file = outside.path().join("vault.keyfile");
    std::fs::write(&key_file, [7u8; 128]).unwrap();
    let file = key_file.to_str().unwrap();
    let required = |v: &TestVault| v.json("auth.json")["key_file_required"] == true;

    let started = Instant::now();
    vault
        .run_unlocked(&["--key-file", file, "key", "protect"], &[])
        .ok();
    let span = started.elapsed().as_micros().max(1000) as u64;
    assert!(required(&vault));

    let mut rng = rand::rngs::StdRng::seed_from_u64(0x6e7f);
    let mut switched = 0;
    for round in 1..=100 {
        let before = required(&vault);
        let command = if before { "unprotect" } else { "protect" };
        kill_at_random(
            &vault,
            &["--key-file", file, "key", command],
            &mut rng,
            span,
        );
        let with_file = common::open_counts_with(vault.path(), MASTER, Some(&key_file));
        let without = common::open_counts_with(vault.path(), MASTER, None);
        // Exactly one of the two opens the vault, and every record in it.
        let counts = match (with_file, without) {
            (Ok(counts), Err(_)) => {
                assert!(required(&vault), "round {round}");
                counts
            }
            (Err(_), Ok(counts)) => {
                assert!(!required(&vault), "round {round}");
                counts
            }
            (a, b) => panic!("round {round}: with the key file {a:?}, without {b:?}"),
        };
        assert_eq!(counts, expected, "round {round}");
        if required(&vault) != before {
            switched += 1;
        }
    }
    assert!(switched > 0, "no kill came after the switch");
    eprintln!("{switched} of 100 kills came after the switch");
}

#[test]
fn a_key_file_inside_the_data_directory_or_too_short_is_refused_before_the_password() {
    let vault = TestVault::new();
    let inside = vault.file("vault.keyfile");
    std::fs::write(&inside, [1u8; 128]).unwrap();
    let run = vault
        .run(
            &["--key-file", inside.to_str().unwrap(), "key", "protect"],
            "",
        )
        .expect_code(2);
    assert!(
        run.stderr.contains("inside the vault's own directories"),
        "{}",
        run.stderr
    );
    let outside = tempfile::tempdir().unwrap();
    let short = outside.path().join("short.key");
    std::fs::write(&short, [1u8; 8]).unwrap();
    let run = vault
        .run(
            &["--key-file", short.to_str().unwrap(), "key", "protect"],
            "",
        )
        .expect_code(2);
    assert!(run.stderr.contains("cannot be used"), "{}", run.stderr);
    assert_eq!(vault.json("auth.json")["key_file_required"], false);
}

#[test]
fn key_protection_goes_on_with_a_key_file_and_off_again() {
    let vault = TestVault::new();
    vault.add(&["--title", "Mail"], "pw-mail-1");
    // Kept apart from the vault, as a key file should be.
    let outside = tempfile::tempdir().unwrap();
    let key_file = outside.path().join("vault.keyfile");
    std::fs::write(&key_file, [42u8; 256]).unwrap();
    let file = key_file.to_str().unwrap();
    let run = vault
        .run_unlocked(&["--key-file", file, "key", "protect"], &[])
        .ok();
    assert!(
        run.stdout.contains("Key protection is on"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("0 records re-encrypted"),
        "{}",
        run.stdout
    );
    let run = vault.run_unlocked(&["list"], &[]).expect_code(3);
    assert!(run.stderr.contains("key file"), "{}", run.stderr);
    vault.run_unlocked(&["--key-file", file, "list"], &[]).ok();
    vault
        .run_unlocked(&["--key-file", file, "key", "unprotect"], &[])
        .ok();
    assert_eq!(vault.list(&[])[0]["title"], "Mail");
}

#[test]
fn a_disk_that_fills_up_during_a_rotation_ends_with_a_clear_error_and_loses_nothing() {
    let Some(fs) = common::SmallFs::mount("6m") else {
        eprintln!("skipped: mounting a tmpfs needs root (CI runs as root)");
        return;
    };
    let dir = fs.vault();
    common::fill_vault(&dir, 3000, 0, &"n".repeat(300));
    let expected = open(&dir).unwrap();
    // Leave a little room: enough for the key files, not for re-sealing
    // every record.
    let filler = fs.fill(256 * 1024);
    let run = common::run_in(&dir, &["key", "rotate"], &format!("{MASTER}\n"));
    assert_eq!(
        run.code, 1,
        "stdout: {}\nstderr: {}",
        run.stdout, run.stderr
    );
    assert!(run.stderr.contains("full"), "{}", run.stderr);
    // With room again (an unlock records its attempt, which needs a few
    // bytes), every record opens with the master password, and a command
    // that writes finishes the rotation.
    std::fs::remove_file(&filler).unwrap();
    assert_eq!(open(&dir).unwrap(), expected);
    common::run_in(
        &dir,
        &["edit", "Site 1", "--notes", "after"],
        &format!("{MASTER}\n"),
    )
    .ok();
    assert_eq!(open(&dir).unwrap(), expected);
    let keys = std::fs::read_to_string(dir.join("secret.key")).unwrap();
    let keys: serde_json::Value = serde_json::from_str(&keys).unwrap();
    assert_eq!(keys["keys"].as_array().unwrap().len(), 1);
}

/// Regression (a key file that changes between reads): the kernel gives a
/// fresh UUID at every read of this file, so the keys were derived from
/// bytes no read ever gives again, and the vault was locked for good once
/// `key protect` (or `init --key-file`) succeeded.
#[test]
fn a_key_file_that_changes_between_reads_is_refused_and_nothing_changes() {
    let changing = "/proc/sys/kernel/random/uuid";
    if !std::path::Path::new(changing).exists() {
        eprintln!("skipped: {changing} needs Linux");
        return;
    }
    let vault = TestVault::new();
    vault.add(&["--title", "Mail"], "pw-mail-1");
    let run = vault
        .run_unlocked(&["--key-file", changing, "key", "protect"], &[])
        .expect_code(3);
    assert!(
        run.stderr.contains("changed between two reads"),
        "{}",
        run.stderr
    );
    assert_eq!(vault.json("auth.json")["key_file_required"], false);
    let left: Vec<_> = common::all_files(vault.path())
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "next" || e == "journal"))
        .collect();
    assert!(left.is_empty(), "{left:?}");
    assert_eq!(vault.list(&[])[0]["title"], "Mail");

    let fresh = TestVault::empty();
    let run = fresh.init(&["--key-file", changing]).expect_code(3);
    assert!(
        run.stderr.contains("changed between two reads"),
        "{}",
        run.stderr
    );
    assert!(!fresh.file("auth.json").exists());
    fresh.init(&[]).ok();
}

/// Regression (a hard link escaped the inside check): a second name for
/// `passwords.db` outside the data directory was accepted as the key file,
/// and the next entry added changed it, locking the vault for good.
#[test]
fn a_hard_link_to_a_vault_file_is_refused_as_the_key_file() {
    let vault = TestVault::new();
    let outside = tempfile::tempdir_in(vault.path().parent().unwrap()).unwrap();
    let link = outside.path().join("looks-random.key");
    std::fs::hard_link(vault.file("passwords.db"), &link).unwrap();
    let run = vault
        .run(
            &["--key-file", link.to_str().unwrap(), "key", "protect"],
            "",
        )
        .expect_code(2);
    assert!(run.stderr.contains("hard link"), "{}", run.stderr);
    assert!(run.stderr.contains("passwords.db"), "{}", run.stderr);
    assert_eq!(vault.json("auth.json")["key_file_required"], false);
}

/// Regression (a restore over a half-finished move to a derived key): the
/// live `secret.key.migrating` stayed behind, and the restored vault did
/// not open ("secret.key.migrating is damaged"). It now moves aside with
/// the other files it belongs with.
#[test]
fn restoring_over_a_half_finished_move_to_a_derived_key_opens_the_backup() {
    use spm::core::vault::{Credentials, SecondFactor, rekey};
    let vault = TestVault::empty();
    vault.init(&["--key-mode", "password-derived"]).ok();
    vault.add(&["--title", "Mail"], "pw-mail-1");
    let backup = vault.run_unlocked(&["backup", "--json"], &[]).ok().json();
    let archive = backup["path"].as_str().unwrap().to_owned();

    // A master password change that stopped before any record moved, as a
    // crash would leave it.
    let paths = spm::core::paths::Paths::portable(vault.path());
    let current = Credentials {
        password: MASTER.into(),
        key_file: None,
    };
    let new_password = "a new and rather long master password".into();
    let stop = Some(rekey::Step::Switched);
    rekey::change_until(
        &paths,
        &current,
        SecondFactor::Absent,
        &new_password,
        None,
        stop,
    )
    .unwrap();
    assert!(vault.file("secret.key.migrating").exists());

    vault
        .run_unlocked(&["restore", &archive, "--yes"], &[])
        .ok();
    assert_eq!(vault.list(&[])[0]["title"], "Mail");
    assert_eq!(open(vault.path()).unwrap().0, 1);
    let aside = std::fs::read_dir(vault.path())
        .unwrap()
        .flatten()
        .find(|d| d.file_name().to_string_lossy().starts_with("pre-restore-"))
        .expect("the previous files are kept")
        .path();
    assert!(aside.join("secret.key.migrating").exists());
}

/// Regression (retired keys trusted beside any public key): checking a
/// backup against a key the user named also trusted every key in a
/// `backup_signing.retired` that happened to lie in the same folder, so
/// anyone who could put one there made another vault's backup verify.
#[test]
fn a_retired_keys_file_beside_a_key_named_by_the_user_is_not_trusted() {
    let alice = TestVault::new();
    let mallory = TestVault::new();
    alice.run_unlocked(&["backup", "--json"], &[]).ok();
    let forged = mallory.run_unlocked(&["backup", "--json"], &[]).ok().json();
    let forged = forged["path"].as_str().unwrap().to_owned();

    let shared = tempfile::tempdir().unwrap();
    let trusted = shared.path().join("alice.pub");
    std::fs::copy(alice.file("backup_signing.pub"), &trusted).unwrap();
    let mallory_key = std::fs::read_to_string(mallory.file("backup_signing.pub")).unwrap();
    let planted = format!(
        "{}\n{}\n",
        spm::core::backup::signing::RETIRED_KEYS_HEADER,
        mallory_key.lines().nth(1).unwrap()
    );
    std::fs::write(shared.path().join("backup_signing.retired"), planted).unwrap();

    let args = [
        "verify-backup",
        &forged,
        "--public-key",
        trusted.to_str().unwrap(),
    ];
    let run = alice.run(&args, "").expect_code(1);
    assert!(run.stdout.contains("FAILED   signature"), "{}", run.stdout);
}

#[test]
fn the_help_names_every_key_change() {
    let run = TestVault::empty().run(&["--help"], "").ok();
    let line = run
        .stdout
        .lines()
        .find(|l| l.trim_start().starts_with("key "))
        .unwrap_or_default();
    assert!(line.contains("key mode"), "{}", run.stdout);
    assert!(line.contains("key file"), "{}", run.stdout);
}
