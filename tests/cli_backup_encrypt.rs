//! `backup --encrypt` and GPG signatures on the command line: an encrypted
//! archive that verifies with its passphrase and is refused, by the check
//! that failed, when the passphrase is wrong or the file damaged; a GPG
//! signature when a key is set, and a warning (not a failure) without gpg.

mod common;

use std::ffi::OsStr;
use std::path::{Path, PathBuf};

use common::{MASTER, TestVault};
use serde_json::Value;

/// The backup passphrase the tests encrypt with.
const PASSPHRASE: &str = "tidal Orchard 58 backup";

fn vault_with_entries() -> TestVault {
    let v = TestVault::new();
    v.add(&["--title", "Mail"], "pw-mail");
    v.add(&["--title", "Bank"], "pw-bank");
    v
}

/// `backup --encrypt --json` into `out`; returns the JSON it printed.
fn encrypted_backup(v: &TestVault, out: &Path) -> Value {
    let args = [
        "backup",
        "--encrypt",
        "--output",
        out.to_str().unwrap(),
        "--json",
    ];
    let info = v.run_unlocked(&args, &[PASSPHRASE]).ok().json();
    assert_eq!(info["encrypted"], true, "{info}");
    assert_eq!(info["entries"], 2, "{info}");
    info
}

fn archive_of(info: &Value) -> PathBuf {
    PathBuf::from(info["path"].as_str().unwrap())
}

/// `verify-backup FILE --json` with `stdin`, and its exit code.
fn verify(v: &TestVault, archive: &Path, stdin: &str) -> (i32, Value) {
    let run = v.run(
        &["verify-backup", archive.to_str().unwrap(), "--json"],
        stdin,
    );
    let json = run.json();
    (run.code, json)
}

/// The status and detail of a named check.
fn check(report: &Value, name: &str) -> (String, String) {
    let found = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("no check {name:?} in {report}"));
    (
        found["status"].as_str().unwrap().to_owned(),
        found["detail"].as_str().unwrap().to_owned(),
    )
}

fn names_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    names
}

/// Rewrites the `.sha256` side file to match the archive as it is now.
fn recompute_side_file(archive: &Path) {
    let digest = spm::core::crypto::sha256(&std::fs::read(archive).unwrap());
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    let name = archive.file_name().unwrap().to_str().unwrap();
    let side = format!("{}.sha256", archive.display());
    std::fs::write(side, format!("{hex}  {name}\n")).unwrap();
}

#[test]
fn an_encrypted_backup_verifies_with_its_passphrase_and_leaves_no_plain_zip() {
    let v = vault_with_entries();
    let out = tempfile::tempdir().unwrap();
    let archive = archive_of(&encrypted_backup(&v, out.path()));
    let name = archive.file_name().unwrap().to_str().unwrap().to_owned();
    assert!(
        name.starts_with("backup_") && name.ends_with(".zip.enc"),
        "{name}"
    );
    // Only the archive and its two side files: no plain zip, no staging
    // directory, no temporary file.
    assert_eq!(
        names_in(out.path()),
        [
            name.clone(),
            format!("{name}.sha256"),
            format!("{name}.sig")
        ]
    );
    let bytes = std::fs::read(&archive).unwrap();
    assert!(bytes.starts_with(b"SPMBKENC"));
    assert!(!bytes.windows(4).any(|w| w == b"PK\x03\x04"));

    let (code, report) = verify(&v, &archive, &format!("{PASSPHRASE}\n"));
    assert_eq!(code, 0, "{report}");
    assert_eq!(report["ok"], true, "{report}");
    assert_eq!(report["encrypted"], true, "{report}");
    for c in report["checks"].as_array().unwrap() {
        let expected = if c["name"] == "gpg signature" {
            "skipped"
        } else {
            "passed"
        };
        assert_eq!(c["status"], expected, "{c}");
    }
    assert!(
        check(&report, "decryption")
            .1
            .contains("every chunk intact")
    );

    let text = v.run(
        &["verify-backup", archive.to_str().unwrap()],
        &format!("{PASSPHRASE}\n"),
    );
    let text = text.ok();
    assert!(
        text.stdout.contains("passed   decryption"),
        "{}",
        text.stdout
    );
    assert!(
        text.stdout.contains("The backup verified."),
        "{}",
        text.stdout
    );
    let log = v.log();
    let complete = log.lines().find(|l| l.contains("BACKUP_COMPLETE")).unwrap();
    assert!(complete.contains("encrypted"), "{complete}");
}

#[test]
fn sha256sum_accepts_the_encrypted_archives_side_file() {
    let v = vault_with_entries();
    let out = tempfile::tempdir().unwrap();
    let archive = archive_of(&encrypted_backup(&v, out.path()));
    let name = archive.file_name().unwrap().to_str().unwrap();
    let Ok(run) = std::process::Command::new("sha256sum")
        .args(["-c", &format!("{name}.sha256")])
        .current_dir(out.path())
        .output()
    else {
        eprintln!("sha256sum is not installed; skipping its check");
        return;
    };
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&run.stdout),
        format!("{name}: OK\n")
    );
}

#[test]
fn a_wrong_passphrase_fails_decryption_and_says_why() {
    let v = vault_with_entries();
    let out = tempfile::tempdir().unwrap();
    let archive = archive_of(&encrypted_backup(&v, out.path()));
    let (code, report) = verify(&v, &archive, "not the passphrase\n");
    assert_eq!(code, 1, "{report}");
    assert_eq!(check(&report, "sha256 side file").0, "passed");
    assert_eq!(check(&report, "signature").0, "passed");
    let (status, detail) = check(&report, "decryption");
    assert_eq!(status, "FAILED");
    assert!(detail.contains("passphrase is wrong"), "{detail}");
    assert!(detail.contains(archive.to_str().unwrap()), "{detail}");
    for later in ["zip structure", "manifest", "database integrity"] {
        let (status, detail) = check(&report, later);
        assert_eq!(status, "skipped", "{later}");
        assert!(detail.contains("could not be decrypted"), "{detail}");
    }

    let run = v
        .run(
            &["verify-backup", archive.to_str().unwrap()],
            "not the passphrase\n",
        )
        .expect_code(1);
    assert!(run.stdout.contains("FAILED   decryption"), "{}", run.stdout);
    assert!(
        run.stderr.contains("do not restore from it"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_flipped_byte_fails_the_side_file_check() {
    let v = vault_with_entries();
    let out = tempfile::tempdir().unwrap();
    let archive = archive_of(&encrypted_backup(&v, out.path()));
    let mut bytes = std::fs::read(&archive).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x20;
    std::fs::write(&archive, &bytes).unwrap();

    let (code, report) = verify(&v, &archive, &format!("{PASSPHRASE}\n"));
    assert_eq!(code, 1);
    assert_eq!(check(&report, "sha256 side file").0, "FAILED", "{report}");
    let (status, detail) = check(&report, "decryption");
    assert_eq!(status, "FAILED", "{report}");
    assert!(detail.contains("is damaged"), "{detail}");
}

#[test]
fn a_truncated_archive_with_a_matching_checksum_fails_decryption_as_truncated() {
    let v = vault_with_entries();
    let out = tempfile::tempdir().unwrap();
    let archive = archive_of(&encrypted_backup(&v, out.path()));
    let bytes = std::fs::read(&archive).unwrap();
    std::fs::write(&archive, &bytes[..bytes.len() - 100]).unwrap();
    recompute_side_file(&archive);

    let (code, report) = verify(&v, &archive, &format!("{PASSPHRASE}\n"));
    assert_eq!(code, 1);
    assert_eq!(check(&report, "sha256 side file").0, "passed", "{report}");
    assert_eq!(check(&report, "signature").0, "FAILED", "{report}");
    let (status, detail) = check(&report, "decryption");
    assert_eq!(status, "FAILED");
    assert!(detail.contains("is truncated"), "{detail}");
}

#[test]
fn the_passphrase_reaches_neither_the_log_nor_any_file() {
    let v = vault_with_entries();
    // The default output directory lies inside the data directory, so the
    // search below covers the archive and its side files too.
    let info = v
        .run_unlocked(&["backup", "--encrypt", "--json"], &[PASSPHRASE])
        .ok()
        .json();
    let archive = archive_of(&info);
    assert!(archive.starts_with(v.path()), "{archive:?}");
    verify(&v, &archive, &format!("{PASSPHRASE}\n"));
    verify(&v, &archive, "a wrong one\n");
    v.run(&["backup", "status"], "").ok();

    assert!(!v.log().is_empty());
    assert!(!v.log().contains(PASSPHRASE));
    let found = common::files_containing(v.path(), PASSPHRASE.as_bytes());
    assert!(found.is_empty(), "{found:?}");
}

#[test]
fn an_empty_backup_passphrase_is_refused_and_nothing_is_written() {
    let v = vault_with_entries();
    let out = tempfile::tempdir().unwrap();
    let args = [
        "backup",
        "--encrypt",
        "--output",
        out.path().to_str().unwrap(),
    ];
    let run = v.run_unlocked(&args, &[""]).expect_code(2);
    assert!(run.stderr.contains("cannot be empty"), "{}", run.stderr);
    assert!(names_in(out.path()).is_empty());
}

#[test]
fn status_and_prune_count_encrypted_backups() {
    let v = vault_with_entries();
    // Only the backups this test makes: no automatic ones beside them.
    v.run(&["settings", "set", "backup.auto", "false"], "").ok();
    for archive in names_in(&v.path().join("backups")) {
        std::fs::remove_file(v.path().join("backups").join(archive)).unwrap();
    }
    v.run_unlocked(&["backup", "--encrypt"], &[PASSPHRASE]).ok();
    let status = v.run(&["backup", "status", "--json"], "").ok().json();
    assert_eq!(status["encrypted"], true, "{status}");
    assert_eq!(status["verified"], true, "{status}");
    assert!(
        status["last_backup"]
            .as_str()
            .unwrap()
            .ends_with(".zip.enc"),
        "{status}"
    );
    let text = v.run(&["backup", "status"], "").ok();
    assert!(text.stdout.contains("encrypted"), "{}", text.stdout);

    // Four old encrypted backups with every side file, and the real one.
    let dir = v.path().join("backups");
    for day in 1..=4 {
        let name = format!("backup_202501{day:02}_020000.zip.enc");
        for suffix in ["", ".sha256", ".sig", ".asc"] {
            std::fs::write(dir.join(format!("{name}{suffix}")), b"x").unwrap();
        }
    }
    for (key, value) in [
        ("keep_daily", "2"),
        ("keep_weekly", "0"),
        ("keep_monthly", "0"),
    ] {
        let setting = format!("backup.{key}");
        v.run_unlocked(&["settings", "set", &setting, value], &[])
            .ok();
    }
    let pruned = v.run(&["backup", "prune"], "").ok();
    assert!(
        pruned.stdout.contains("Deleted 3 backups, kept 2"),
        "{}",
        pruned.stdout
    );
    let left = names_in(&dir);
    assert!(
        left.iter()
            .all(|n| !n.starts_with("backup_2025010") || n.starts_with("backup_20250104")),
        "{left:?}"
    );
    assert_eq!(left.len(), 4 + 3, "{left:?}");
}

/// A throwaway GnuPG home with one signing key and no passphrase; its
/// agent is stopped when the test ends.
struct GpgHome {
    dir: tempfile::TempDir,
}

impl GpgHome {
    /// `None` (with a note) when gpg is not installed.
    fn new() -> Option<Self> {
        let home = Self {
            dir: tempfile::tempdir().unwrap(),
        };
        let made = home
            .gpg()
            .args(["--batch", "--passphrase", "", "--quick-gen-key"])
            .args(["Test <test@example.invalid>", "ed25519", "sign", "never"])
            .output();
        match made {
            Ok(out) if out.status.success() => Some(home),
            Ok(out) => panic!(
                "gpg could not make a test key: {}",
                String::from_utf8_lossy(&out.stderr)
            ),
            Err(_) => {
                eprintln!("note: gpg is not installed; skipping the GPG signature test");
                None
            }
        }
    }

    fn gpg(&self) -> std::process::Command {
        let mut cmd = std::process::Command::new("gpg");
        cmd.env("GNUPGHOME", self.dir.path());
        cmd
    }

    fn env(&self) -> [(&'static str, &OsStr); 1] {
        [("GNUPGHOME", self.dir.path().as_os_str())]
    }
}

impl Drop for GpgHome {
    fn drop(&mut self) {
        let _ = std::process::Command::new("gpgconf")
            .args(["--kill", "gpg-agent"])
            .env("GNUPGHOME", self.dir.path())
            .status();
    }
}

#[test]
fn a_gpg_key_signs_the_encrypted_backup_and_verify_checks_it() {
    let Some(gpg) = GpgHome::new() else {
        return;
    };
    let v = vault_with_entries();
    v.run_unlocked(
        &[
            "settings",
            "set",
            "backup.gpg_key_id",
            "test@example.invalid",
        ],
        &[],
    )
    .ok();
    let out = tempfile::tempdir().unwrap();
    let args = [
        "backup",
        "--encrypt",
        "--output",
        out.path().to_str().unwrap(),
        "--json",
    ];
    let input = format!("{MASTER}\n{PASSPHRASE}\n");
    let info = v.run_with_env(&args, &input, &gpg.env()).ok().json();
    assert_eq!(info["warnings"], serde_json::json!([]), "{info}");
    let archive = archive_of(&info);
    let asc = PathBuf::from(info["gpg_signature"].as_str().unwrap());
    assert_eq!(asc, PathBuf::from(format!("{}.asc", archive.display())));
    let text = std::fs::read_to_string(&asc).unwrap();
    assert!(text.starts_with("-----BEGIN PGP SIGNATURE-----"), "{text}");

    let verify_args = ["verify-backup", archive.to_str().unwrap(), "--json"];
    let stdin = format!("{PASSPHRASE}\n");
    let run = v.run_with_env(&verify_args, &stdin, &gpg.env()).ok();
    let (status, detail) = check(&run.json(), "gpg signature");
    assert_eq!(status, "passed", "{detail}");
    assert!(detail.contains("Good signature"), "{detail}");

    // A signature of some other file does not pass for this archive.
    let other = out.path().join("other.txt");
    std::fs::write(&other, b"something else").unwrap();
    std::fs::remove_file(&asc).unwrap();
    let signed = gpg
        .gpg()
        .args(["--batch", "--armor", "--detach-sign", "--output"])
        .arg(&asc)
        .arg(&other)
        .status()
        .unwrap();
    assert!(signed.success());
    let run = v
        .run_with_env(&verify_args, &stdin, &gpg.env())
        .expect_code(1);
    let (status, detail) = check(&run.json(), "gpg signature");
    assert_eq!(status, "FAILED", "{detail}");
}

#[test]
fn without_gpg_on_path_the_backup_succeeds_with_a_warning() {
    let v = vault_with_entries();
    v.run_unlocked(
        &["settings", "set", "backup.gpg_key_id", "ABCDEF0123456789"],
        &[],
    )
    .ok();
    let empty = tempfile::tempdir().unwrap();
    let no_gpg = [("PATH", empty.path().as_os_str())];
    let out = tempfile::tempdir().unwrap();
    let args = ["backup", "--output", out.path().to_str().unwrap()];
    let run = v.run_with_env(&args, &format!("{MASTER}\n"), &no_gpg).ok();
    assert!(run.stderr.contains("warning:"), "{}", run.stderr);
    assert!(
        run.stderr.contains("gpg is not installed"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("install gnupg"), "{}", run.stderr);
    assert!(run.stdout.contains("Backup written"), "{}", run.stdout);
    assert!(names_in(out.path()).iter().all(|n| !n.ends_with(".asc")));
    let log = v.log();
    let warning = log.lines().find(|l| l.contains("BACKUP_WARNING"));
    assert!(
        warning.is_some_and(|l| l.contains("gpg is not installed")),
        "{log}"
    );

    // With an .asc beside it but no gpg, the check is skipped with why.
    let archive = out.path().join(
        names_in(out.path())
            .into_iter()
            .find(|n| n.ends_with(".zip"))
            .unwrap(),
    );
    std::fs::write(format!("{}.asc", archive.display()), b"not checked").unwrap();
    let verify_args = ["verify-backup", archive.to_str().unwrap(), "--json"];
    let run = v.run_with_env(&verify_args, "", &no_gpg).ok();
    let (status, detail) = check(&run.json(), "gpg signature");
    assert_eq!(status, "skipped");
    assert!(detail.contains("gpg is not installed"), "{detail}");
}
