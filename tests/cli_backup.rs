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
