//! Bad input and faults: damaged records, damaged files, a full disk and a
//! second writer. Each one gives a clear error and loses nothing.

mod common;

use common::{MASTER, TestVault};

fn flip_byte_of_entry(v: &TestVault, short_id: &str) {
    let conn = rusqlite::Connection::open(v.file("passwords.db")).unwrap();
    let mut stmt = conn.prepare("SELECT uuid, sealed FROM entries").unwrap();
    let rows: Vec<(Vec<u8>, Vec<u8>)> = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let (uuid, mut sealed) = rows
        .into_iter()
        .find(|(u, _)| {
            u.iter()
                .map(|b| format!("{b:02x}"))
                .collect::<String>()
                .starts_with(short_id)
        })
        .expect("row of the entry");
    let middle = sealed.len() / 2;
    sealed[middle] ^= 0x01;
    conn.execute(
        "UPDATE entries SET sealed = ?1 WHERE uuid = ?2",
        rusqlite::params![sealed, uuid],
    )
    .unwrap();
}

#[test]
fn one_flipped_byte_damages_only_that_entry() {
    let v = TestVault::new();
    let good_a = v.add(&["--title", "Alpha"], "a");
    let bad = v.add(&["--title", "Broken"], "b");
    let good_c = v.add(&["--title", "Gamma"], "c");
    flip_byte_of_entry(&v, &bad);

    let listed = v.run_unlocked(&["list", "--json"], &[]).ok();
    let ids: Vec<String> = listed
        .json()
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_str().unwrap().into())
        .collect();
    assert_eq!(ids, [good_a.clone(), good_c]);
    assert!(
        listed
            .stderr
            .contains(&format!("entry {bad} failed its integrity check")),
        "{}",
        listed.stderr
    );

    let show = v.run_unlocked(&["show", &bad], &[]).expect_code(1);
    assert!(
        show.stderr.contains("failed its integrity check"),
        "{}",
        show.stderr
    );
    v.run_unlocked(&["show", &good_a, "--reveal"], &[]).ok();
    assert!(v.log().contains("RECORD_INTEGRITY_FAILED"));
}

fn sql(v: &TestVault, statement: &str) {
    let conn = rusqlite::Connection::open(v.file("passwords.db")).unwrap();
    conn.execute_batch(statement).unwrap();
}

fn titles_and_warnings(v: &TestVault) -> (Vec<String>, String) {
    let run = v.run_unlocked(&["list", "--json"], &[]).ok();
    let titles = run
        .json()
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["title"].as_str().unwrap().to_owned())
        .collect();
    (titles, run.stderr)
}

#[test]
fn a_ciphertext_moved_to_another_row_fails_to_open() {
    let v = TestVault::new();
    v.add(&["--title", "Alpha"], "a");
    let beta = v.add(&["--title", "Beta"], "b");
    sql(
        &v,
        "UPDATE entries SET sealed = (SELECT sealed FROM entries WHERE seq = 1) WHERE seq = 2",
    );
    let (titles, warnings) = titles_and_warnings(&v);
    assert_eq!(titles, ["Alpha"]);
    assert!(
        warnings.contains(&format!("entry {beta} failed its integrity check")),
        "{warnings}"
    );
}

#[test]
fn a_ciphertext_moved_to_another_table_fails_to_open() {
    let v = TestVault::new();
    v.add(&["--title", "Alpha"], "a");
    sql(
        &v,
        "UPDATE categories SET sealed = (SELECT sealed FROM entries WHERE seq = 1)",
    );
    let (titles, warnings) = titles_and_warnings(&v);
    assert_eq!(titles, ["Alpha"]);
    assert!(warnings.contains("category"), "{warnings}");
    assert!(
        warnings.contains("failed its integrity check"),
        "{warnings}"
    );
}

#[test]
fn a_copied_row_is_reported_not_listed_twice() {
    let v = TestVault::new();
    v.add(&["--title", "Alpha"], "a");
    sql(
        &v,
        "INSERT INTO entries (uuid, key_version, format, sealed)
         SELECT uuid, key_version, format, sealed FROM entries WHERE seq = 1",
    );
    let (titles, warnings) = titles_and_warnings(&v);
    assert_eq!(titles, ["Alpha"]);
    assert!(
        warnings.contains("repeats another entry's id"),
        "{warnings}"
    );
}

#[test]
fn a_history_row_moved_to_another_entry_fails_to_open() {
    let v = TestVault::new();
    let a = v.add(&["--title", "Alpha"], "a-old");
    v.add(&["--title", "Beta"], "b-old");
    v.run_unlocked(&["edit", "Alpha", "--password"], &["a-new"])
        .ok();
    sql(&v, "UPDATE history SET entry_seq = 2");
    let run = v
        .run_unlocked(&["history", "Beta", "--json", "--reveal"], &[])
        .ok();
    assert_eq!(run.json(), serde_json::json!([]));
    assert!(
        run.stderr.contains("failed their integrity check"),
        "{}",
        run.stderr
    );
    let alpha = v.run_unlocked(&["history", &a, "--json"], &[]).ok();
    assert_eq!(alpha.json(), serde_json::json!([]));
}

fn assert_damaged_file_is_named_and_kept(name: &str, damage: &[u8]) {
    let v = TestVault::new();
    v.add(&["--title", "Precious"], "p");
    std::fs::write(v.file(name), damage).unwrap();
    let snapshot: Vec<(String, Vec<u8>)> =
        ["auth.json", "crypto.salt", "secret.key", "passwords.db"]
            .iter()
            .map(|n| (n.to_string(), std::fs::read(v.file(n)).unwrap()))
            .collect();

    let run = v.run_unlocked(&["list"], &[]).expect_code(1);
    assert!(
        run.stderr.contains(name),
        "error should name {name}: {}",
        run.stderr
    );
    assert!(run.stderr.contains("damaged"), "{}", run.stderr);
    for (n, bytes) in snapshot {
        assert_eq!(std::fs::read(v.file(&n)).unwrap(), bytes, "{n} was changed");
    }
}

#[test]
fn truncated_or_garbage_secret_key_is_named() {
    let v = TestVault::new();
    let whole = std::fs::read(v.file("secret.key")).unwrap();
    assert_damaged_file_is_named_and_kept("secret.key", &whole[..whole.len() / 2]);
    assert_damaged_file_is_named_and_kept("secret.key", b"\x00\xffgarbage");
}

#[test]
fn truncated_or_garbage_salt_is_named() {
    assert_damaged_file_is_named_and_kept("crypto.salt", b"{\"version\": 1, \"kdf\"");
    assert_damaged_file_is_named_and_kept("crypto.salt", b"\x13\x37 not json");
}

#[test]
fn truncated_or_garbage_auth_file_is_named() {
    assert_damaged_file_is_named_and_kept("auth.json", b"{\"version\":1,\"verif");
    assert_damaged_file_is_named_and_kept("auth.json", &[0xde, 0xad, 0xbe, 0xef]);
}

#[test]
fn wrapped_key_that_fails_its_integrity_check_is_named() {
    let v = TestVault::new();
    v.damage_wrapped_key();
    let run = v.run_unlocked(&["list"], &[]).expect_code(1);
    assert!(run.stderr.contains("secret.key"), "{}", run.stderr);
    assert!(run.stderr.contains("integrity"), "{}", run.stderr);
}

#[test]
fn garbage_database_is_named() {
    let v = TestVault::new();
    std::fs::write(v.file("passwords.db"), vec![0x42; 4096]).unwrap();
    let run = v.run_unlocked(&["list"], &[]).expect_code(1);
    assert!(run.stderr.contains("passwords.db"), "{}", run.stderr);
    assert!(run.stderr.contains("backup"), "{}", run.stderr);
}

#[test]
fn vault_from_a_newer_schema_is_refused_not_downgraded() {
    let v = TestVault::new();
    let conn = rusqlite::Connection::open(v.file("passwords.db")).unwrap();
    conn.execute(
        "UPDATE metadata SET value = '42' WHERE key = 'schema_version'",
        [],
    )
    .unwrap();
    drop(conn);
    let run = v.run_unlocked(&["list"], &[]).expect_code(1);
    assert!(run.stderr.contains("schema version 42"), "{}", run.stderr);
    assert!(run.stderr.contains("upgrade"), "{}", run.stderr);
    let conn = rusqlite::Connection::open(v.file("passwords.db")).unwrap();
    let version: String = conn
        .query_row(
            "SELECT value FROM metadata WHERE key = 'schema_version'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(version, "42");
}

#[test]
fn a_second_writer_is_told_which_process_holds_the_vault() {
    let v = TestVault::new();
    // This writer takes the lock, then waits for its master password.
    let mut holder = v.spawn(&["add", "--title", "Held"]);
    let pid = holder.id();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let lock_text = || std::fs::read_to_string(v.file("vault.lock")).unwrap_or_default();
    while lock_text().trim() != pid.to_string() && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let run = v
        .run_unlocked(&["add", "--title", "Second"], &["pw"])
        .expect_code(5);
    assert!(
        run.stderr.contains(&format!(
            "the vault is open in another Secure Password Manager process (pid {pid})"
        )),
        "{}",
        run.stderr
    );
    // Readers are not blocked by a writer.
    v.run_unlocked(&["list"], &[]).ok();
    holder.kill().unwrap();
    holder.wait().unwrap();
    // The lock dies with its process.
    v.run_unlocked(&["add", "--title", "After"], &["pw"]).ok();
}

#[test]
fn wide_permissions_are_tightened_and_logged() {
    use std::os::unix::fs::PermissionsExt;
    let v = TestVault::new();
    std::fs::set_permissions(v.file("secret.key"), std::fs::Permissions::from_mode(0o644)).unwrap();
    std::fs::set_permissions(v.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let run = v.run_unlocked(&["list"], &[]).ok();
    assert!(
        run.stderr.contains("secret.key was readable by others"),
        "{}",
        run.stderr
    );
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&v.file("secret.key")), 0o600);
    assert_eq!(mode(v.path()), 0o700);
    assert!(
        v.log().contains("WARN  PERMISSIONS_TIGHTENED"),
        "{}",
        v.log()
    );
}

#[test]
fn files_and_directories_are_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let v = TestVault::new();
    v.add(&["--title", "X"], "x");
    v.run(
        &["settings", "set", "clipboard.auto_clear_seconds", "30"],
        "",
    )
    .ok();
    for path in common::all_files(v.path()) {
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{}", path.display());
    }
    for dir in [v.path().to_path_buf(), v.file("logs")] {
        let mode = std::fs::metadata(&dir).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o700, "{}", dir.display());
    }
}

fn fill(file: &mut std::fs::File) {
    use std::io::{Seek, SeekFrom, Write};
    file.seek(SeekFrom::End(0)).unwrap();
    for size in [64 * 1024, 512, 1] {
        let block = vec![0u8; size];
        while file.write_all(&block).is_ok() {}
    }
}

#[test]
fn a_full_disk_fails_the_write_clearly_and_keeps_the_vault() {
    let Some(fs) = common::SmallFs::mount("4m") else {
        eprintln!("skipped: mounting a tmpfs needs root (CI runs as root)");
        return;
    };
    let dir = fs.0.join("vault");
    let mut init = vec!["init"];
    init.extend(common::FAST_KDF);
    common::run_in(&dir, &init, &format!("{MASTER}\n")).ok();
    let unlocked =
        |args: &[&str], more: &str| common::run_in(&dir, args, &format!("{MASTER}\n{more}"));
    for n in 0..3 {
        unlocked(&["add", "--title", &format!("Before {n}")], "pw\n").ok();
    }

    // Fill the file system to the last byte, then give back 64 KiB: enough
    // to open the vault, too little for the new entry.
    let filler = fs.0.join("filler");
    let mut file = std::fs::File::create(&filler).unwrap();
    fill(&mut file);
    let full_len = file.metadata().unwrap().len();
    file.set_len(full_len - 64 * 1024).unwrap();

    let notes = "n".repeat(120_000);
    let run = unlocked(&["add", "--title", "Too big", "--notes", &notes], "pw\n");
    assert_eq!(
        run.code, 1,
        "stdout: {}\nstderr: {}",
        run.stdout, run.stderr
    );
    assert!(run.stderr.contains("is full"), "{}", run.stderr);
    assert!(run.stderr.contains("Free some space"), "{}", run.stderr);

    // Completely full: even opening the vault's log fails, and says why.
    fill(&mut file);
    let run = unlocked(&["add", "--title", "Small"], "pw\n");
    assert_eq!(
        run.code, 1,
        "stdout: {}\nstderr: {}",
        run.stdout, run.stderr
    );
    assert!(run.stderr.contains("is full"), "{}", run.stderr);
    drop(file);

    std::fs::remove_file(&filler).unwrap();
    let listed = unlocked(&["list", "--json"], "").ok().json();
    let titles: Vec<&str> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["title"].as_str().unwrap())
        .collect();
    assert_eq!(titles, ["Before 0", "Before 1", "Before 2"]);
    drop(fs);
}
