//! `backup` and `verify-backup` on the command line: a signed, checksummed
//! archive that verifies, and a damaged one that is refused with the check
//! that failed.

mod common;

use common::TestVault;

fn backup(v: &TestVault, out: &std::path::Path) -> std::path::PathBuf {
    let run = v
        .run_unlocked(
            &["backup", "--output", out.to_str().unwrap(), "--json"],
            &[],
        )
        .ok();
    let info = run.json();
    assert_eq!(info["entries"], 2);
    std::path::PathBuf::from(info["path"].as_str().unwrap())
}

#[test]
fn a_backup_verifies_with_its_checksum_and_signature() {
    let v = TestVault::new();
    v.add(&["--title", "Mail"], "pw-mail");
    v.add(&["--title", "Bank"], "pw-bank");
    let out = tempfile::tempdir().unwrap();
    let archive = backup(&v, out.path());
    let name = archive.file_name().unwrap().to_str().unwrap().to_owned();
    assert!(
        name.starts_with("backup_") && name.ends_with(".zip"),
        "{name}"
    );
    for side in [".sha256", ".sig"] {
        assert!(out.path().join(format!("{name}{side}")).exists(), "{side}");
    }

    let run = v
        .run(&["verify-backup", archive.to_str().unwrap(), "--json"], "")
        .ok();
    let report = run.json();
    assert_eq!(report["ok"], true, "{report}");
    let signature = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "signature")
        .unwrap()
        .clone();
    assert_eq!(signature["status"], "passed", "{report}");
    let text = v
        .run(&["verify-backup", archive.to_str().unwrap()], "")
        .ok();
    assert!(
        text.stdout.contains("The backup verified."),
        "{}",
        text.stdout
    );
    // Checked from elsewhere, with no public key at hand, it says what was
    // left unchecked.
    let elsewhere = tempfile::tempdir().unwrap();
    let text = common::run_in(
        elsewhere.path(),
        &["verify-backup", archive.to_str().unwrap()],
        "",
    )
    .ok();
    assert!(
        text.stdout
            .contains("The backup verified, except its signature"),
        "{}",
        text.stdout
    );
    assert!(v.log().contains("BACKUP_COMPLETE"));
}

#[test]
fn a_damaged_backup_is_refused_with_the_failed_check() {
    let v = TestVault::new();
    v.add(&["--title", "Mail"], "pw-mail");
    v.add(&["--title", "Bank"], "pw-bank");
    let out = tempfile::tempdir().unwrap();
    let archive = backup(&v, out.path());
    let mut bytes = std::fs::read(&archive).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x55;
    std::fs::write(&archive, &bytes).unwrap();

    let run = v
        .run(&["verify-backup", archive.to_str().unwrap()], "")
        .expect_code(1);
    assert!(
        run.stdout.contains("FAILED   sha256 side file"),
        "{}",
        run.stdout
    );
    assert!(
        run.stderr.contains("do not restore from it"),
        "{}",
        run.stderr
    );
}

#[test]
fn backup_status_reports_the_newest_backup_and_whether_it_verifies() {
    let v = TestVault::new();
    let none = v.run(&["backup", "status"], "").expect_code(1);
    assert!(none.stderr.contains("no backup in"), "{}", none.stderr);

    v.add(&["--title", "Mail"], "pw-mail");
    v.add(&["--title", "Bank"], "pw-bank");
    v.run_unlocked(&["backup"], &[]).ok();
    let status = v.run(&["backup", "status", "--json"], "").ok().json();
    assert_eq!(status["verified"], true, "{status}");
    assert_eq!(status["entries"], 2);
    assert!(status["size"].as_u64().unwrap() > 0);
    let archive = std::path::PathBuf::from(status["last_backup"].as_str().unwrap());
    assert!(archive.starts_with(v.path().join("backups")), "{archive:?}");

    // A damaged newest backup turns the daily check red.
    std::fs::write(&archive, b"not a zip").unwrap();
    let bad = v.run(&["backup", "status"], "").expect_code(1);
    assert!(bad.stdout.contains("DOES NOT VERIFY"), "{}", bad.stdout);
}

#[test]
fn prune_keeps_what_the_retention_settings_say_and_removes_side_files() {
    let v = TestVault::new();
    let dir = v.path().join("backups");
    std::fs::create_dir_all(&dir).unwrap();
    // Ten daily backups with their side files, 2026-11-01 .. 2026-11-10.
    for day in 1..=10 {
        let name = format!("backup_202611{day:02}_020000.zip");
        for suffix in ["", ".sha256", ".sig"] {
            std::fs::write(dir.join(format!("{name}{suffix}")), b"x").unwrap();
        }
    }
    v.run_unlocked(&["settings", "set", "backup.keep_daily", "3"], &[])
        .ok();
    v.run_unlocked(&["settings", "set", "backup.keep_weekly", "0"], &[])
        .ok();
    v.run_unlocked(&["settings", "set", "backup.keep_monthly", "0"], &[])
        .ok();

    let dry = v.run(&["backup", "prune", "--dry-run"], "").ok();
    assert!(
        dry.stdout.contains("Would delete 7 backups, kept 3"),
        "{}",
        dry.stdout
    );
    assert_eq!(
        std::fs::read_dir(&dir).unwrap().count(),
        30,
        "a dry run deletes nothing"
    );

    v.run(&["backup", "prune"], "").ok();
    let mut left: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    left.sort();
    let mut expected = Vec::new();
    for day in 8..=10 {
        for suffix in ["", ".sha256", ".sig"] {
            expected.push(format!("backup_202611{day:02}_020000.zip{suffix}"));
        }
    }
    expected.sort();
    assert_eq!(left, expected);
}

/// The archives in the vault's backups directory, by name.
fn archives(v: &TestVault) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(v.path().join("backups"))
        .map(|d| {
            d.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.ends_with(".zip"))
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

#[test]
fn a_writing_command_takes_an_automatic_backup_when_one_is_due() {
    let v = TestVault::new();
    assert!(archives(&v).is_empty());
    // Reading does not back up; the first write does, and it verifies.
    v.run_unlocked(&["list"], &[]).ok();
    assert!(archives(&v).is_empty());
    // An empty vault has nothing to back up: the first write adds to it.
    v.add(&["--title", "Mail"], "pw-mail");
    assert!(archives(&v).is_empty());
    v.add(&["--title", "Bank"], "pw-bank");
    let first = archives(&v);
    assert_eq!(first.len(), 1, "{first:?}");
    let status = v.run(&["backup", "status", "--json"], "").ok().json();
    assert_eq!(status["verified"], true, "{status}");
    assert_eq!(status["entries"], 1, "{status}");
    assert!(v.log().contains("BACKUP_COMPLETE"));

    // Not due again within backup.interval_hours.
    v.add(&["--title", "Forum"], "pw-forum");
    assert_eq!(archives(&v), first);

    // Make the newest look two days old: the next write backs up again and
    // applies the retention rule to what is there.
    let dir = v.path().join("backups");
    for suffix in ["", ".sha256", ".sig"] {
        std::fs::rename(
            dir.join(format!("{}{suffix}", first[0])),
            dir.join(format!("backup_20200101_000000.zip{suffix}")),
        )
        .unwrap();
    }
    for day in 2..=9 {
        std::fs::write(dir.join(format!("backup_202001{day:02}_000000.zip")), b"x").unwrap();
    }
    v.run(&["settings", "set", "backup.keep_weekly", "0"], "")
        .ok();
    v.run(&["settings", "set", "backup.keep_monthly", "0"], "")
        .ok();
    v.add(&["--title", "Shop"], "pw-shop");
    let after = archives(&v);
    assert_eq!(after.len(), 7, "keep_daily 7: {after:?}");
    assert!(!after.contains(&"backup_20200101_000000.zip".to_owned()));
    assert!(!dir.join("backup_20200101_000000.zip.sig").exists());
    let newest = after.last().unwrap();
    assert!(!newest.starts_with("backup_2020"), "{after:?}");
}

#[test]
fn backup_auto_false_turns_automatic_backups_off() {
    let v = TestVault::new();
    v.run(&["settings", "set", "backup.auto", "false"], "").ok();
    v.add(&["--title", "Mail"], "pw-mail");
    assert!(archives(&v).is_empty());
}
