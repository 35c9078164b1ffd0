//! Killing the process with SIGKILL at random points while it adds entries
//! never loses an entry it reported as saved and never leaves a partial row.

mod common;

use std::io::Write;
use std::os::unix::process::ExitStatusExt;
use std::time::{Duration, Instant};

use common::{MASTER, TestVault};

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
fn sigkill_while_adding_never_loses_a_saved_entry() {
    const KILLS_WANTED: usize = 50;
    const MAX_ATTEMPTS: usize = 250;

    let v = TestVault::new();
    // How long one add takes here, so kills land all through it.
    let started = Instant::now();
    v.add(&["--title", "baseline"], "pw-baseline");
    let typical = started.elapsed().max(Duration::from_millis(5));

    let mut rng = Xorshift(0x9e37_79b9_7f4a_7c15);
    let mut saved = vec!["baseline".to_owned()];
    let mut kills = 0;
    let mut attempt = 0;
    while kills < KILLS_WANTED && attempt < MAX_ATTEMPTS {
        // A kill during the password check counts as a failed unlock (by
        // design), so five of them would lock the vault; clear the count.
        clear_failed_attempts(&v);
        let title = format!("kill-{attempt}");
        let mut child = v.spawn(&["add", "--json", "--title", &title]);
        let mut stdin = child.stdin.take().unwrap();
        let _ = stdin.write_all(format!("{MASTER}\npw-{attempt}\n").as_bytes());
        drop(stdin);

        let window = typical.as_micros() as u64 * 13 / 10;
        std::thread::sleep(Duration::from_micros(rng.next() % window.max(1)));
        let _ = child.kill();
        let output = child.wait_with_output().unwrap();
        if output.status.signal() == Some(libc::SIGKILL) {
            kills += 1;
        }
        if String::from_utf8_lossy(&output.stdout).contains("\"id\"") {
            saved.push(title);
        }
        attempt += 1;
    }
    assert!(
        kills >= KILLS_WANTED,
        "only {kills} of {attempt} runs were killed mid-way"
    );

    // The vault opens, every record opens, and nothing reported saved is gone.
    clear_failed_attempts(&v);
    let run = v.run_unlocked(&["list", "--json"], &[]).ok();
    assert!(
        !run.stderr.contains("integrity"),
        "partial or damaged row: {}",
        run.stderr
    );
    let listed = run.json();
    let titles: Vec<String> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["title"].as_str().unwrap().to_owned())
        .collect();
    for title in &saved {
        assert!(
            titles.contains(title),
            "{title} was reported saved but is missing"
        );
    }
    let mut unique = titles.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), titles.len(), "an entry was stored twice");

    // Each stored entry is whole: its password is the one sent with it.
    for title in titles.iter().filter(|t| t.starts_with("kill-")).take(10) {
        let shown = v
            .run_unlocked(&["show", title, "--reveal", "--json"], &[])
            .ok()
            .json();
        let n = title.trim_start_matches("kill-");
        assert_eq!(shown["password"], format!("pw-{n}"));
    }
    let doctor = v.run(&["doctor", "--json"], "").json();
    assert_eq!(doctor["integrity_problems"], serde_json::json!([]));
    eprintln!(
        "{kills} kills in {attempt} runs; {} entries reported saved",
        saved.len()
    );
}

fn clear_failed_attempts(v: &TestVault) {
    let path = v.file("auth.json");
    let mut auth: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    auth["failed_attempts"] = 0.into();
    auth["locked_until"] = serde_json::Value::Null;
    std::fs::write(&path, auth.to_string()).unwrap();
}

/// An import is one transaction: killed at any point, the vault holds
/// either none of the file's entries or all of them.
#[test]
fn sigkill_during_an_import_leaves_all_or_nothing() {
    use spm::core::exchange::{self, ExportFormat, FileKey};
    const ENTRIES: usize = 3000;

    // A file of many entries, written by the library.
    let source = tempfile::tempdir().unwrap();
    let paths = spm::core::paths::Paths::portable(source.path());
    let options = common::fast_options(spm::core::keys::KeyMode::FileKey);
    let mut vault =
        spm::core::vault::Vault::create(&paths, &MASTER.into(), &options, None).unwrap();
    let entries = (0..ENTRIES)
        .map(|i| spm::core::entries::Entry {
            title: format!("imported {i}").into(),
            username: format!("user{i}").into(),
            password: format!("pw-{i}").into(),
            urls: vec![format!("https://site{i}.example").into()],
            ..Default::default()
        })
        .collect();
    vault.add_many(entries).unwrap();
    let (data, _) = vault.export_data(false).unwrap();
    let file = source.path().join("many.json");
    exchange::write(&file, ExportFormat::Json, &data, &FileKey::default()).unwrap();
    let file = file.to_str().unwrap().to_owned();

    // How long a whole import takes here.
    let probe = TestVault::new();
    let started = Instant::now();
    probe.run_unlocked(&["import", &file], &[]).ok();
    let typical = started.elapsed();
    assert_eq!(probe.list(&[]).len(), ENTRIES);

    let mut rng = Xorshift(0x2545_f491_4f6c_dd1d);
    let mut kills = 0;
    for _ in 0..12 {
        let v = TestVault::new();
        let mut child = v.spawn(&["import", &file]);
        let mut stdin = child.stdin.take().unwrap();
        let _ = stdin.write_all(format!("{MASTER}\n").as_bytes());
        drop(stdin);
        let window = typical.as_micros() as u64;
        std::thread::sleep(Duration::from_micros(rng.next() % window.max(1)));
        let _ = child.kill();
        let output = child.wait_with_output().unwrap();
        if output.status.signal() == Some(libc::SIGKILL) {
            kills += 1;
        }
        clear_failed_attempts(&v);
        let count = v.list(&[]).len();
        assert!(
            count == 0 || count == ENTRIES,
            "a killed import left {count} of {ENTRIES} entries"
        );
    }
    assert!(kills >= 6, "only {kills} imports were killed mid-way");
}
