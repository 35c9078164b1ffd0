//! `restore FILE` and `verify-backup --unlock` through the real binary:
//! a restore drill into an empty directory, a restore over a live vault
//! that keeps the old files, refusals that leave the live vault as it was,
//! and SIGKILL at random moments of a restore.

mod common;

use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use common::{MASTER, TestVault, all_files, run_in};

/// Backs the vault up into `out`; returns the archive.
fn backup(v: &TestVault, out: &Path) -> PathBuf {
    let run = v
        .run_unlocked(&["backup", "-o", out.to_str().unwrap(), "--json"], &[])
        .ok();
    PathBuf::from(run.json()["path"].as_str().unwrap())
}

/// Titles of the live entries, sorted.
fn titles(dir: &Path) -> Vec<String> {
    let run = run_in(dir, &["list", "--json"], &format!("{MASTER}\n")).ok();
    let mut titles: Vec<String> = run
        .json()
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["title"].as_str().unwrap().to_owned())
        .collect();
    titles.sort();
    titles
}

/// Every file's bytes under `dir`, for "nothing changed" checks (the
/// log, the lock and the backups directory excluded).
fn snapshot(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut files: Vec<(PathBuf, Vec<u8>)> = all_files(dir)
        .into_iter()
        .filter(|p| {
            let rel = p.strip_prefix(dir).unwrap().to_string_lossy().into_owned();
            // auth.json's failure count moves with wrong passwords (the
            // other files show whether anything was restored).
            !rel.starts_with("logs/") && rel != "vault.lock" && rel != "auth.json"
        })
        .map(|p| {
            let bytes = std::fs::read(&p).unwrap();
            (p, bytes)
        })
        .collect();
    files.sort();
    files
}

fn restore(dir: &Path, archive: &Path, extra: &[&str], password: &str) -> common::Run {
    let mut args = vec!["restore", archive.to_str().unwrap()];
    args.extend(extra);
    run_in(dir, &args, &format!("{password}\n"))
}

#[test]
fn a_restore_drill_into_an_empty_directory_brings_back_entries_history_and_settings() {
    let v = TestVault::new();
    let mail = v.add(&["--title", "Mail", "--username", "me"], "first");
    v.run_unlocked(
        &["edit", &mail, "--password", "--reason", "breach"],
        &["second"],
    )
    .ok();
    v.add(&["--title", "Bank"], "pw-bank");
    v.run(&["settings", "set", "security.auto_lock_minutes", "15"], "")
        .ok();
    let out = tempfile::tempdir().unwrap();
    let archive = backup(&v, out.path());

    let clean = tempfile::tempdir().unwrap();
    let drill = clean.path().join("restored");
    let run = restore(
        clean.path(),
        &archive,
        &["--target-dir", drill.to_str().unwrap(), "--json"],
        MASTER,
    )
    .ok();
    let result = run.json();
    assert_eq!(result["entries"], 2, "{result}");
    assert_eq!(result["history"], 1, "{result}");
    assert_eq!(result["pre_restore"], serde_json::Value::Null);

    assert_eq!(titles(&drill), ["Bank", "Mail"]);
    let history = run_in(
        &drill,
        &["history", "Mail", "--reveal", "--json"],
        &format!("{MASTER}\n"),
    )
    .ok()
    .json();
    assert_eq!(history.as_array().unwrap().len(), 1, "{history}");
    assert_eq!(history[0]["password"], "first", "{history}");
    assert_eq!(history[0]["reason"], "breach", "{history}");
    let shown = run_in(
        &drill,
        &["show", "Mail", "--reveal", "--json"],
        &format!("{MASTER}\n"),
    )
    .ok()
    .json();
    assert_eq!(shown["password"], "second");
    let setting = run_in(
        &drill,
        &["settings", "get", "security.auto_lock_minutes"],
        "",
    )
    .ok();
    assert!(setting.stdout.contains("15"), "{}", setting.stdout);

    // Owner-only, and the restored vault publishes its signing key, so its
    // next backups verify there.
    for file in all_files(&drill) {
        let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode & 0o077, 0, "{} has mode {mode:o}", file.display());
    }
    assert_eq!(
        std::fs::read(drill.join("backup_signing.pub")).unwrap(),
        std::fs::read(v.file("backup_signing.pub")).unwrap()
    );
    let leftovers: Vec<_> = std::fs::read_dir(&drill)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".restore") || n == "restore.journal")
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn a_restore_over_a_live_vault_keeps_the_previous_files() {
    let v = TestVault::new();
    v.add(&["--title", "Kept"], "pw-kept");
    let out = tempfile::tempdir().unwrap();
    let archive = backup(&v, out.path());
    v.add(&["--title", "Added later"], "pw-later");
    let before = snapshot(v.path());

    // Not on a terminal, replacing a vault needs --yes.
    let refused = restore(v.path(), &archive, &[], MASTER).expect_code(2);
    assert!(refused.stderr.contains("--yes"), "{}", refused.stderr);

    let run = restore(v.path(), &archive, &["--yes"], MASTER).ok();
    assert!(run.stdout.contains("Restored 1 entry"), "{}", run.stdout);
    assert!(run.stdout.contains("pre-restore-"), "{}", run.stdout);
    assert_eq!(titles(v.path()), ["Kept"]);

    // Every file the restore replaced is in pre-restore-…, unchanged.
    let pre = std::fs::read_dir(v.path())
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("pre-restore-")
        })
        .expect("a pre-restore directory");
    for (path, bytes) in &before {
        let name = path.file_name().unwrap();
        if path.parent() == Some(v.path()) {
            assert_eq!(
                &std::fs::read(pre.join(name)).unwrap(),
                bytes,
                "{}",
                name.to_string_lossy()
            );
        }
    }
    // The old vault still opens from there.
    assert_eq!(titles(&pre), ["Added later", "Kept"]);
    assert!(v.log().contains("RESTORE_COMPLETE"));
}

#[test]
fn a_bad_backup_or_wrong_password_leaves_the_live_vault_as_it_was() {
    let v = TestVault::new();
    v.add(&["--title", "Mail"], "pw-mail");
    let out = tempfile::tempdir().unwrap();
    let archive = backup(&v, out.path());
    v.add(&["--title", "Newer"], "pw-newer");
    let before = snapshot(v.path());
    let unchanged = |what: &str| {
        assert_eq!(snapshot(v.path()), before, "{what} changed the live vault");
        let stray: Vec<_> = std::fs::read_dir(v.path())
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with(".restore") || n.starts_with("pre-restore"))
            .collect();
        assert!(stray.is_empty(), "{what} left {stray:?}");
    };

    // Wrong master password: exit 3, said plainly, and counted towards the
    // lockout like a wrong password at unlock (nothing else changes).
    let run = restore(v.path(), &archive, &["--yes"], "not the password").expect_code(3);
    assert!(
        run.stderr.contains("wrong master password"),
        "{}",
        run.stderr
    );
    assert_eq!(v.json("auth.json")["failed_attempts"], 1);
    unchanged("a wrong password");

    // A changed byte: the side file and the signature fail, by name.
    let damaged = out
        .path()
        .join("damaged")
        .join(archive.file_name().unwrap());
    std::fs::create_dir(damaged.parent().unwrap()).unwrap();
    let mut bytes = std::fs::read(&archive).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x40;
    std::fs::write(&damaged, &bytes).unwrap();
    for side in [".sha256", ".sig"] {
        let name = format!("{}{side}", archive.file_name().unwrap().to_string_lossy());
        std::fs::copy(
            out.path().join(&name),
            damaged.parent().unwrap().join(&name),
        )
        .unwrap();
    }
    let run = restore(v.path(), &damaged, &["--yes"], MASTER).expect_code(1);
    assert!(
        run.stdout.contains("FAILED   sha256 side file"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("FAILED   signature"), "{}", run.stdout);
    assert!(
        run.stderr.contains("nothing was restored"),
        "{}",
        run.stderr
    );
    unchanged("a changed byte");

    // Truncated.
    std::fs::write(&damaged, &std::fs::read(&archive).unwrap()[..middle]).unwrap();
    let run = restore(v.path(), &damaged, &["--yes"], MASTER).expect_code(1);
    assert!(
        run.stdout.contains("FAILED   zip structure"),
        "{}",
        run.stdout
    );
    unchanged("a truncated archive");

    // No side file.
    std::fs::copy(&archive, &damaged).unwrap();
    std::fs::remove_file(spm::core::paths::sibling(&damaged, ".sha256")).unwrap();
    let run = restore(v.path(), &damaged, &["--yes"], MASTER).expect_code(1);
    assert!(run.stdout.contains("is missing"), "{}", run.stdout);
    unchanged("a missing side file");

    // Signed by another vault: this vault's public key refuses it.
    let other = TestVault::new();
    other.add(&["--title", "Stranger"], "pw");
    let foreign = backup(&other, &out.path().join("foreign"));
    let run = restore(v.path(), &foreign, &["--yes"], MASTER).expect_code(1);
    assert!(run.stdout.contains("FAILED   signature"), "{}", run.stdout);
    unchanged("another vault's backup");
    assert_eq!(titles(v.path()), ["Mail", "Newer"]);
}

#[test]
fn a_restore_is_refused_while_another_process_holds_the_vault() {
    let v = TestVault::new();
    let out = tempfile::tempdir().unwrap();
    let archive = backup(&v, out.path());
    let holder = spm::core::lock::VaultLock::acquire(&v.file("vault.lock")).unwrap();
    let run = restore(v.path(), &archive, &["--yes"], MASTER).expect_code(5);
    assert!(run.stderr.contains("another"), "{}", run.stderr);
    drop(holder);
    restore(v.path(), &archive, &["--yes"], MASTER).ok();
}

#[test]
fn verify_backup_unlock_opens_the_vault_inside_and_counts_its_entries() {
    let v = TestVault::new();
    v.add(&["--title", "One"], "pw-1");
    v.add(&["--title", "Two"], "pw-2");
    let out = tempfile::tempdir().unwrap();
    let archive = backup(&v, out.path());
    let file = archive.to_str().unwrap();

    let run = v
        .run_unlocked(&["verify-backup", file, "--unlock", "--json"], &[])
        .ok();
    let report = run.json();
    let unlock = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "unlock")
        .cloned()
        .unwrap();
    assert_eq!(unlock["status"], "passed", "{report}");
    assert!(
        unlock["detail"].as_str().unwrap().contains("2 entries"),
        "{report}"
    );

    let run = v
        .run(&["verify-backup", file, "--unlock"], "wrong password\n")
        .expect_code(1);
    assert!(run.stdout.contains("FAILED   unlock"), "{}", run.stdout);
    // Nothing of the check stays behind.
    assert!(!v.path().join(".restore-staging").exists());
}

#[test]
fn restore_id_and_trash_restore_still_bring_entries_back_from_the_trash() {
    let v = TestVault::new();
    v.add(&["--title", "Gone"], "pw");
    v.add(&["--title", "Also gone"], "pw");
    v.run_unlocked(&["rm", "Gone"], &[]).ok();
    v.run_unlocked(&["rm", "Also gone"], &[]).ok();
    v.run_unlocked(&["restore", "Gone"], &[]).ok();
    v.run_unlocked(&["trash", "restore", "Also gone"], &[]).ok();
    assert_eq!(titles(v.path()), ["Also gone", "Gone"]);
    let run = v
        .run_unlocked(&["restore", "Gone", "--target-dir", "/nonexistent"], &[])
        .expect_code(2);
    assert!(
        run.stderr.contains("not a backup archive"),
        "{}",
        run.stderr
    );
}

/// A small deterministic generator, so a failing run can be repeated.
struct Xorshift(u64);

impl Xorshift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

#[test]
fn sigkill_at_random_moments_of_a_restore_leaves_the_old_or_the_new_vault() {
    const KILLS_WANTED: usize = 40;
    const MAX_ATTEMPTS: usize = 200;

    let v = TestVault::new();
    for title in ["A", "B", "C"] {
        v.add(&["--title", title], "pw");
    }
    let out = tempfile::tempdir().unwrap();
    let small = backup(&v, &out.path().join("small"));
    v.add(&["--title", "D"], "pw");
    let large = backup(&v, &out.path().join("large"));
    let small_set = ["A", "B", "C"].map(String::from).to_vec();
    let large_set = ["A", "B", "C", "D"].map(String::from).to_vec();

    // How long one restore takes here, so kills land all through it.
    let started = Instant::now();
    restore(v.path(), &small, &["--yes"], MASTER).ok();
    let typical = started.elapsed().max(Duration::from_millis(5));
    let mut current = small_set.clone();

    let mut rng = Xorshift(0x2545_f491_4f6c_dd1d);
    let (mut kills, mut attempt, mut switched, mut mid_switch) = (0, 0, 0, 0);
    while kills < KILLS_WANTED && attempt < MAX_ATTEMPTS {
        attempt += 1;
        let archive = if current == small_set { &large } else { &small };
        let mut child = v.spawn(&["restore", archive.to_str().unwrap(), "--yes"]);
        let mut stdin = child.stdin.take().unwrap();
        let _ = stdin.write_all(format!("{MASTER}\n").as_bytes());
        drop(stdin);
        let window = typical.as_micros() as u64 * 12 / 10;
        std::thread::sleep(Duration::from_micros(rng.next() % window.max(1)));
        let _ = child.kill();
        let status = child.wait().unwrap();
        if status.signal() == Some(libc::SIGKILL) {
            kills += 1;
        }

        // The next command finishes an interrupted switch; the vault is
        // one of the two, whole.
        if v.file("restore.journal").exists() {
            mid_switch += 1;
        }
        let now = titles(v.path());
        assert!(
            now == small_set || now == large_set,
            "after attempt {attempt}: {now:?}"
        );
        if now != current {
            switched += 1;
        }
        current = now;
        assert!(!v.file("restore.journal").exists());
    }
    assert!(
        kills >= KILLS_WANTED,
        "only {kills} of {attempt} runs were killed"
    );
    let doctor = v.run(&["doctor", "--json"], "").json();
    assert_eq!(doctor["integrity_problems"], serde_json::json!([]));
    // Every pre-restore directory holds a vault that opens.
    let kept: Vec<PathBuf> = std::fs::read_dir(v.path())
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("pre-restore-")
        })
        .collect();
    for dir in kept.iter().take(5) {
        if dir.join("auth.json").exists() {
            let set = titles(dir);
            assert!(
                set == small_set || set == large_set,
                "{}: {set:?}",
                dir.display()
            );
        }
    }
    eprintln!(
        "{kills} kills in {attempt} runs ({mid_switch} while switching files); the vault \
         switched {switched} times"
    );
}

#[test]
fn an_encrypted_backup_restores_with_its_passphrase_and_is_refused_without_it() {
    let v = TestVault::new();
    v.add(&["--title", "Secret"], "pw-secret");
    let out = tempfile::tempdir().unwrap();
    let run = v
        .run_unlocked(
            &[
                "backup",
                "--encrypt",
                "-o",
                out.path().to_str().unwrap(),
                "--json",
            ],
            &["backup passphrase 9"],
        )
        .ok();
    let archive = PathBuf::from(run.json()["path"].as_str().unwrap());
    assert!(
        archive.to_string_lossy().ends_with(".zip.enc"),
        "{archive:?}"
    );
    let clean = tempfile::tempdir().unwrap();
    let drill = clean.path().join("drill");
    let drill_arg = drill.to_str().unwrap();
    let args = [
        "restore",
        archive.to_str().unwrap(),
        "--target-dir",
        drill_arg,
    ];

    let wrong = run_in(
        clean.path(),
        &args,
        &format!("wrong passphrase\n{MASTER}\n"),
    )
    .expect_code(1);
    assert!(
        wrong.stdout.contains("FAILED   decryption"),
        "{}",
        wrong.stdout
    );
    assert!(!drill.join("auth.json").exists());

    let run = run_in(
        clean.path(),
        &args,
        &format!("backup passphrase 9\n{MASTER}\n"),
    )
    .ok();
    assert!(run.stdout.contains("passed   decryption"), "{}", run.stdout);
    assert!(run.stdout.contains("Restored 1 entry"), "{}", run.stdout);
    assert_eq!(titles(&drill), ["Secret"]);
    // The plain zip never stays anywhere in the target.
    let plain: Vec<_> = all_files(&drill)
        .into_iter()
        .filter(|p| p.to_string_lossy().ends_with(".zip"))
        .collect();
    assert!(plain.is_empty(), "{plain:?}");
}
