//! Hostile or unlucky surroundings: links planted where the vault writes,
//! emptied files, malformed rows, terminal escapes in titles, oversized
//! input, concurrent changes, and commands pointed at the wrong directory.

mod common;

use std::os::unix::fs::PermissionsExt;

use common::{TestVault, run_in};

#[test]
fn a_symlink_planted_as_the_lock_file_is_refused_not_followed() {
    let v = TestVault::new();
    let outside = tempfile::tempdir().unwrap();
    let precious = outside.path().join("precious.txt");
    std::fs::write(&precious, b"do not truncate me").unwrap();
    std::fs::remove_file(v.file("vault.lock")).ok();
    std::os::unix::fs::symlink(&precious, v.file("vault.lock")).unwrap();

    let run = v
        .run_unlocked(&["add", "--title", "X"], &["pw"])
        .expect_code(1);
    assert!(run.stderr.contains("is a symbolic link"), "{}", run.stderr);
    assert_eq!(std::fs::read(&precious).unwrap(), b"do not truncate me");
    let mode = std::fs::metadata(&precious).unwrap().permissions().mode() & 0o777;
    assert_ne!(mode, 0o600, "the link target's permissions were changed");
}

#[test]
fn a_symlinked_log_file_is_not_written_through() {
    let v = TestVault::new();
    let outside = tempfile::tempdir().unwrap();
    let target = outside.path().join("elsewhere.log");
    std::fs::write(&target, b"").unwrap();
    std::fs::remove_file(v.file("logs/password_manager.log")).unwrap();
    std::os::unix::fs::symlink(&target, v.file("logs/password_manager.log")).unwrap();
    let run = v.run_unlocked(&["list"], &[]).ok();
    assert!(run.stderr.contains("logging to"), "{}", run.stderr);
    assert_eq!(std::fs::read(&target).unwrap(), b"");
}

#[test]
fn an_emptied_database_is_reported_not_treated_as_new() {
    let v = TestVault::new();
    v.add(&["--title", "Precious"], "pw");
    std::fs::write(v.file("passwords.db"), b"").unwrap();
    let run = v.run_unlocked(&["list"], &[]).expect_code(1);
    assert!(
        run.stderr.contains("holds no vault tables"),
        "{}",
        run.stderr
    );
    assert_eq!(std::fs::metadata(v.file("passwords.db")).unwrap().len(), 0);
    let doctor = v.run(&["doctor"], "").expect_code(1);
    assert!(doctor.stdout.contains("FAIL"), "{}", doctor.stdout);
}

#[test]
fn a_row_with_malformed_columns_damages_only_itself() {
    let v = TestVault::new();
    v.add(&["--title", "Alpha"], "a");
    let beta = v.add(&["--title", "Beta"], "b");
    let gamma = v.add(&["--title", "Gamma"], "c");
    let conn = rusqlite::Connection::open(v.file("passwords.db")).unwrap();
    conn.execute_batch(
        "UPDATE entries SET key_version = -1 WHERE seq = 2;
         UPDATE entries SET sealed = CAST(sealed AS TEXT) || 'x', uuid = 'not a uuid'
             WHERE seq = 3;",
    )
    .unwrap();
    drop(conn);
    let run = v.run_unlocked(&["list", "--json"], &[]).ok();
    let listed = run.json();
    let titles: Vec<&str> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["title"].as_str().unwrap())
        .collect();
    assert_eq!(titles, ["Alpha"]);
    assert!(
        run.stderr.contains(&format!("entry {beta}")),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.matches("warning: entry").count() == 2,
        "{}",
        run.stderr
    );
    let _ = gamma;
}

#[test]
fn terminal_escapes_in_titles_are_not_printed() {
    let v = TestVault::new();
    let id = v.add(
        &[
            "--title",
            "Bank\u{1b}[2J\u{1b}]0;owned\u{7}",
            "--notes",
            "a\u{1b}[31mred",
        ],
        "p",
    );
    for args in [vec!["list"], vec!["show", id.as_str()]] {
        let run = v.run_unlocked(&args, &[]).ok();
        assert!(!run.stdout.contains('\u{1b}'), "{:?}", run.stdout);
        assert!(!run.stdout.contains('\u{7}'), "{:?}", run.stdout);
        assert!(run.stdout.contains("Bank"), "{}", run.stdout);
    }
    // JSON output keeps the exact text, escaped.
    let json = v.run_unlocked(&["show", &id, "--json"], &[]).ok();
    assert!(json.stdout.contains("\\u001b[2J"), "{}", json.stdout);
}

#[test]
fn oversized_input_is_refused_clearly() {
    let v = TestVault::new();
    let long_line = "x".repeat(70 * 1024);
    let run = v
        .run_unlocked(&["add", "--title", "Big"], &[&long_line])
        .expect_code(1);
    assert!(
        run.stderr.contains("longer than 65536 bytes"),
        "{}",
        run.stderr
    );

    let chunk = "y".repeat(100 * 1024);
    let fields: Vec<String> = (0..11).map(|i| format!("--field=F{i}={chunk}")).collect();
    let mut args = vec!["add", "--title", "Huge"];
    args.extend(fields.iter().map(String::as_str));
    let run = v.run_unlocked(&args, &["pw"]).expect_code(2);
    assert!(
        run.stderr.contains("the limit is 1048576"),
        "{}",
        run.stderr
    );
    assert!(v.list(&[]).is_empty());
}

#[test]
fn concurrent_settings_changes_are_all_kept() {
    let v = TestVault::empty();
    let changes = [
        ("password_history.max_versions", "7"),
        ("browser_bridge.port", "5000"),
        ("clipboard.auto_clear_seconds", "40"),
        ("security.auto_lock_minutes", "9"),
        ("security.lock_on_minimize", "false"),
        ("browser_bridge.token_ttl_hours", "12"),
    ];
    let children: Vec<_> = changes
        .iter()
        .map(|(k, val)| v.spawn(&["settings", "set", k, val]))
        .collect();
    for child in children {
        assert!(child.wait_with_output().unwrap().status.success());
    }
    for (key, value) in changes {
        let got = v.run(&["settings", "get", key], "").ok();
        assert_eq!(got.stdout.trim(), value, "{key}");
    }
}

#[test]
fn commands_pointed_at_a_directory_without_a_vault_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o1777)).unwrap();
    run_in(dir.path(), &["doctor"], "").expect_code(1);
    run_in(dir.path(), &["list"], "").expect_code(1);
    run_in(dir.path(), &["settings", "get", "clipboard"], "").ok();
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        0,
        "files were created"
    );
    let mode = std::fs::metadata(dir.path()).unwrap().permissions().mode() & 0o7777;
    assert_eq!(mode, 0o1777);
}

#[test]
fn the_remains_of_an_interrupted_init_are_explained() {
    let v = TestVault::new();
    std::fs::remove_file(v.file("auth.json")).unwrap();
    let run = v.run_unlocked(&["list"], &[]).expect_code(1);
    assert!(
        run.stderr.contains("holds part of a vault"),
        "{}",
        run.stderr
    );
    let init = v.init(&[]).expect_code(1);
    assert!(
        init.stderr.contains("holds part of a vault"),
        "{}",
        init.stderr
    );
}

#[test]
fn doctor_removes_temporary_files_left_by_an_interrupted_save() {
    let v = TestVault::new();
    let leftover = v.file(".auth.json.abc123.tmp");
    std::fs::write(&leftover, b"{").unwrap();
    let old = std::time::SystemTime::now() - std::time::Duration::from_secs(3600);
    std::fs::File::options()
        .write(true)
        .open(&leftover)
        .unwrap()
        .set_modified(old)
        .unwrap();
    let fresh = v.file(".settings.json.def456.tmp");
    std::fs::write(&fresh, b"{").unwrap();

    let report = v.run(&["doctor", "--json"], "").ok().json();
    assert!(!leftover.exists());
    assert!(
        fresh.exists(),
        "a save that may be in progress keeps its file"
    );
    assert_eq!(report["removed_temp_files"].as_array().unwrap().len(), 1);
}

#[test]
fn a_key_file_inside_the_vaults_directory_is_refused() {
    let v = TestVault::empty();
    let key = v.file("key.bin");
    std::fs::write(&key, [3u8; 64]).unwrap();
    let run = v
        .init(&["--key-file", key.to_str().unwrap()])
        .expect_code(2);
    assert!(
        run.stderr.contains("inside the vault's own directories"),
        "{}",
        run.stderr
    );
    assert!(!v.file("auth.json").exists());
}

#[test]
fn output_that_cannot_be_written_fails_the_command() {
    let v = TestVault::new();
    let full = std::fs::File::options()
        .write(true)
        .open("/dev/full")
        .unwrap();
    let out = std::process::Command::new(common::binary())
        .args(["--data-dir", v.path().to_str().unwrap(), "generate"])
        .stdout(full)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("could not write the output"));
}

#[test]
fn a_damaged_wrapped_key_does_not_count_against_the_right_password() {
    let v = TestVault::new();
    v.damage_wrapped_key();
    for _ in 0..6 {
        let run = v.run_unlocked(&["list"], &[]).expect_code(1);
        assert!(
            run.stderr.contains("secret.key is damaged"),
            "{}",
            run.stderr
        );
    }
    let auth: serde_json::Value = v.json("auth.json");
    assert_eq!(auth["failed_attempts"], 0);
}

#[test]
fn a_planted_link_for_the_log_directory_is_refused() {
    let v = TestVault::new();
    let elsewhere = tempfile::tempdir().unwrap();
    std::fs::set_permissions(elsewhere.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::remove_dir_all(v.file("logs")).unwrap();
    std::os::unix::fs::symlink(elsewhere.path(), v.file("logs")).unwrap();
    let run = v.run_unlocked(&["list"], &[]).ok();
    assert!(run.stderr.contains("is a symbolic link"), "{}", run.stderr);
    assert_eq!(std::fs::read_dir(elsewhere.path()).unwrap().count(), 0);
    let mode = std::fs::metadata(elsewhere.path())
        .unwrap()
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(mode, 0o755);
}

#[test]
fn a_fifo_planted_as_a_vault_file_is_refused_without_hanging() {
    let v = TestVault::new();
    std::fs::remove_file(v.file("crypto.salt")).unwrap();
    let path = std::ffi::CString::new(v.file("crypto.salt").to_str().unwrap()).unwrap();
    // SAFETY: mkfifo reads the NUL-terminated path only.
    assert_eq!(unsafe { libc::mkfifo(path.as_ptr(), 0o600) }, 0);
    let run = v.run_unlocked(&["list"], &[]).expect_code(1);
    assert!(
        run.stderr.contains("crypto.salt is not a regular file"),
        "{}",
        run.stderr
    );
}

#[test]
fn doctor_leaves_a_directory_with_a_foreign_database_alone() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let conn = rusqlite::Connection::open(dir.path().join("passwords.db")).unwrap();
    conn.execute_batch("CREATE TABLE t (x); INSERT INTO t VALUES (1);")
        .unwrap();
    drop(conn);
    let swap = dir.path().join(".notes.swp.tmp");
    std::fs::write(&swap, b"mine").unwrap();
    let old = std::time::SystemTime::now() - std::time::Duration::from_secs(3600);
    std::fs::File::options()
        .write(true)
        .open(&swap)
        .unwrap()
        .set_modified(old)
        .unwrap();

    run_in(dir.path(), &["doctor"], "").expect_code(1);
    assert!(swap.exists());
    assert!(!dir.path().join("logs").exists());
    let mode = std::fs::metadata(dir.path()).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o755);
}

#[test]
fn titles_with_dashes_or_live_titles_are_not_read_as_ids() {
    let v = TestVault::new();
    let target = v.add(&["--title", "Target"], "t");
    let dashed = format!("{}-{}", &target[..4], &target[4..]);
    let own = v.add(&["--title", &dashed], "d");
    let shown = v
        .run_unlocked(&["show", &dashed, "--json"], &[])
        .ok()
        .json();
    assert_eq!(shown["id"], own.as_str());

    // "abcd" names a live entry; purging "abcd" from the trash must not hit
    // a trashed entry whose id merely starts with those digits.
    let prefix = &target[..4];
    v.add(&["--title", prefix], "p");
    v.run_unlocked(&["rm", &target], &[]).ok();
    let run = v
        .run_unlocked(&["trash", "purge", prefix, "--yes"], &[])
        .expect_code(1);
    assert!(run.stderr.contains("list --trash"), "{}", run.stderr);
    assert_eq!(v.list(&["--trash"]).len(), 1);
}

#[test]
fn a_secret_line_of_exactly_the_limit_is_accepted() {
    let v = TestVault::new();
    let exact = "z".repeat(64 * 1024);
    v.run_unlocked(&["add", "--title", "Exact"], &[&exact]).ok();
    let shown = v
        .run_unlocked(&["show", "Exact", "--reveal", "--json"], &[])
        .ok()
        .json();
    assert_eq!(shown["password"].as_str().unwrap().len(), 64 * 1024);
}

/// A `key-change.journal` of this program's format, as someone else might
/// plant it.
fn plant_key_change_journal(v: &TestVault, files: &[&str], remove: &[&str]) {
    let journal = serde_json::json!({
        "format": "secure-password-manager key change v1",
        "operation": "key file",
        "files": files,
        "revoke_tokens": false,
        "remove": remove,
    });
    v.write_json("key-change.journal", &journal);
}

/// Regression (a planted journal deleted the live key file): its `remove`
/// list was obeyed for any of the vault's key files, so a journal naming
/// `secret.key` destroyed the only wrapped data key.
#[test]
fn a_planted_key_change_journal_cannot_remove_the_key_file_the_vault_needs() {
    let v = TestVault::new();
    v.add(&["--title", "Mail"], "pw-mail-1");
    let key = std::fs::read(v.file("secret.key")).unwrap();
    for remove in ["secret.key", "auth.json", "crypto.salt"] {
        plant_key_change_journal(&v, &[], &[remove]);
        let run = v.run_unlocked(&["list"], &[]).expect_code(1);
        assert!(run.stderr.contains("would remove"), "{}", run.stderr);
        assert!(v.file(remove).exists(), "{remove} was removed");
    }
    assert_eq!(std::fs::read(v.file("secret.key")).unwrap(), key);
    std::fs::remove_file(v.file("key-change.journal")).unwrap();
    assert_eq!(v.list(&[])[0]["title"], "Mail");
}

/// Regression (a journal refused half-way): the files it named before a
/// bad name were already switched in when it was refused, though the
/// message said nothing had changed.
#[test]
fn a_key_change_journal_with_a_foreign_name_changes_nothing() {
    let v = TestVault::new();
    let salt = std::fs::read(v.file("crypto.salt")).unwrap();
    std::fs::write(v.file("crypto.salt.next"), b"planted").unwrap();
    plant_key_change_journal(&v, &["crypto.salt", "../elsewhere"], &[]);
    let run = v.run_unlocked(&["list"], &[]).expect_code(1);
    assert!(run.stderr.contains("not a key file"), "{}", run.stderr);
    assert!(run.stderr.contains("nothing was changed"), "{}", run.stderr);
    assert_eq!(std::fs::read(v.file("crypto.salt")).unwrap(), salt);

    // Once the journal is gone the planted file is cleared away.
    std::fs::remove_file(v.file("key-change.journal")).unwrap();
    v.run_unlocked(&["list"], &[]).ok();
    assert!(!v.file("crypto.salt.next").exists());
}

#[test]
fn a_huge_key_change_journal_is_refused_without_reading_it() {
    let v = TestVault::new();
    let journal = std::fs::File::create(v.file("key-change.journal")).unwrap();
    journal.set_len(1 << 30).unwrap();
    let run = v.run_unlocked(&["list"], &[]).expect_code(1);
    assert!(run.stderr.contains("1073741824 bytes"), "{}", run.stderr);
}
