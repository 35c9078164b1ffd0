//! Backup archives: what one holds, that it restores, and that verification
//! refuses every kind of damage or forgery, naming the check that failed.

mod common;

use std::collections::BTreeSet;
use std::io::{Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use spm::core::backup::{
    self, BackupInfo, BackupOptions, CheckStatus, Limits, MANIFEST_FORMAT, Manifest, VerifyReport,
    checks,
};
use spm::core::crypto::sha256;
use spm::core::entries::Entry;
use spm::core::keys::KeyMode;
use spm::core::paths::Paths;
use spm::core::vault::{Credentials, HistoryPolicy, Vault};
use zip::write::SimpleFileOptions;

const PASSWORD: &str = common::MASTER;

/// A vault with entries, and an empty directory for its backups.
struct Fixture {
    data: tempfile::TempDir,
    out: tempfile::TempDir,
    vault: Vault,
}

impl Fixture {
    fn new(entries: usize) -> Self {
        let data = tempfile::tempdir().unwrap();
        let options = common::fast_options(KeyMode::FileKey);
        let paths = Paths::portable(data.path());
        let mut vault = Vault::create(&paths, &PASSWORD.into(), &options, None).unwrap();
        for i in 0..entries {
            vault.add(entry(i)).unwrap();
        }
        Self {
            data,
            out: tempfile::tempdir().unwrap(),
            vault,
        }
    }

    fn backup(&self) -> BackupInfo {
        backup::create(&self.vault, self.out.path(), &BackupOptions::default()).unwrap()
    }

    fn public_key(&self) -> PathBuf {
        self.data.path().join("backup_signing.pub")
    }

    fn verify(&self, archive: &Path) -> VerifyReport {
        backup::verify(archive, Some(&self.public_key()))
    }
}

fn entry(i: usize) -> Entry {
    Entry {
        title: format!("Site {i}").into(),
        username: format!("user{i}").into(),
        password: format!("Pw-{i}-Lantern-Orchard").into(),
        ..Default::default()
    }
}

/// Every file of a zip: (name, bytes), in archive order.
fn read_zip(path: &Path) -> Vec<(String, Vec<u8>)> {
    let mut zip = zip::ZipArchive::new(std::fs::File::open(path).unwrap()).unwrap();
    (0..zip.len())
        .map(|i| {
            let mut file = zip.by_index(i).unwrap();
            let mut bytes = Vec::new();
            file.read_to_end(&mut bytes).unwrap();
            (file.name().unwrap().into_owned(), bytes)
        })
        .collect()
}

/// Writes a zip holding `files`, deflated, then a matching `.sha256` side
/// file (what someone who rebuilt the archive would also do).
fn write_zip(path: &Path, files: &[(String, Vec<u8>)]) {
    let mut zip = zip::ZipWriter::new(std::fs::File::create(path).unwrap());
    for (name, bytes) in files {
        zip.start_file(name.as_str(), SimpleFileOptions::default())
            .unwrap();
        zip.write_all(bytes).unwrap();
    }
    zip.finish().unwrap();
    rewrite_side_file(path);
}

fn rewrite_side_file(path: &Path) {
    let name = path.file_name().unwrap().to_str().unwrap();
    let line = format!("{}  {name}\n", hex(&sha256(&std::fs::read(path).unwrap())));
    std::fs::write(spm::core::paths::sibling(path, ".sha256"), line).unwrap();
}

fn replace_all(haystack: &[u8], from: &[u8], to: &[u8]) -> Vec<u8> {
    let mut out = haystack.to_vec();
    for i in 0..=out.len() - from.len() {
        if &out[i..i + from.len()] == from {
            out[i..i + from.len()].copy_from_slice(to);
        }
    }
    out
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn manifest_of(files: &[(String, Vec<u8>)]) -> Manifest {
    let (_, bytes) = files.iter().find(|(n, _)| n == "manifest.json").unwrap();
    serde_json::from_slice(bytes).unwrap()
}

fn set_manifest(files: &mut [(String, Vec<u8>)], manifest: &Manifest) {
    let slot = files
        .iter_mut()
        .find(|(n, _)| n == "manifest.json")
        .unwrap();
    slot.1 = serde_json::to_vec_pretty(manifest).unwrap();
}

/// Panics unless `name` failed (with `detail` in its reason) and the
/// report is not ok.
#[track_caller]
fn assert_failed(report: &VerifyReport, name: &str, detail: &str) {
    let check = report
        .check(name)
        .unwrap_or_else(|| panic!("no {name} check"));
    assert_eq!(check.status, CheckStatus::Failed, "{report:#?}");
    assert!(
        check.detail.contains(detail),
        "{name}: {:?} lacks {detail:?}",
        check.detail
    );
    assert!(!report.ok());
}

#[track_caller]
fn assert_passed(report: &VerifyReport, name: &str) {
    let check = report.check(name).unwrap();
    assert_eq!(check.status, CheckStatus::Passed, "{report:#?}");
}

/// An archive rebuilt by an attacker: same files, changed by `edit`, with a
/// fresh `.sha256` beside it.
fn forged(
    fx: &Fixture,
    info: &BackupInfo,
    edit: impl FnOnce(&mut Vec<(String, Vec<u8>)>),
) -> PathBuf {
    let mut files = read_zip(&info.path);
    edit(&mut files);
    let path = fx.out.path().join("forged.zip");
    write_zip(&path, &files);
    path
}

#[test]
fn a_backup_holds_the_listed_files_and_a_manifest_whose_hashes_match() {
    let fx = Fixture::new(3);
    std::fs::write(fx.data.path().join("approval_store.json"), b"{}").unwrap();
    std::fs::write(fx.data.path().join("breach_cache.json"), b"{}").unwrap();
    let info = fx.backup();

    let name = info.path.file_name().unwrap().to_str().unwrap().to_owned();
    assert!(
        name.starts_with("backup_") && name.ends_with(".zip"),
        "{name}"
    );
    let stamp = &name["backup_".len()..name.len() - ".zip".len()];
    assert_eq!(stamp.len(), "YYYYMMDD_HHMMSS".len());
    assert!(chrono::NaiveDateTime::parse_from_str(stamp, "%Y%m%d_%H%M%S").is_ok());
    let mode = std::fs::metadata(&info.path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    assert_eq!(info.size, std::fs::metadata(&info.path).unwrap().len());
    assert_eq!(
        info.sha256,
        hex(&sha256(&std::fs::read(&info.path).unwrap()))
    );

    let files = read_zip(&info.path);
    let names: BTreeSet<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
    let expected = [
        "approval_store.json",
        "auth.json",
        "crypto.salt",
        "manifest.json",
        "passwords.db",
        "secret.key",
    ];
    // Whatever else the vault wrote at creation (settings) is there too.
    let optional: BTreeSet<&str> = names.difference(&expected.into()).copied().collect();
    assert!(optional.iter().all(|n| *n == "settings.json"), "{names:?}");
    assert!(expected.iter().all(|n| names.contains(n)), "{names:?}");

    let manifest = manifest_of(&files);
    assert_eq!(manifest, info.manifest);
    assert_eq!(manifest.format, MANIFEST_FORMAT);
    assert_eq!(manifest.product_version, env!("CARGO_PKG_VERSION"));
    assert_eq!(manifest.schema_version, spm::core::store::CURRENT_VERSION);
    assert_eq!(manifest.key_mode, KeyMode::FileKey);
    assert_eq!(manifest.entry_count, 3);
    assert!(spm::core::time::parse_rfc3339(&manifest.created_at).is_some());
    assert_eq!(manifest.files.len(), files.len() - 1);
    for listed in &manifest.files {
        let (_, bytes) = files.iter().find(|(n, _)| *n == listed.path).unwrap();
        assert_eq!(listed.size, bytes.len() as u64, "{}", listed.path);
        assert_eq!(listed.sha256, hex(&sha256(bytes)), "{}", listed.path);
    }
    // The key file on disk went in unchanged.
    let key = &files.iter().find(|(n, _)| n == "secret.key").unwrap().1;
    assert_eq!(
        key,
        &std::fs::read(fx.data.path().join("secret.key")).unwrap()
    );

    let report = fx.verify(&info.path);
    assert!(report.ok(), "{report:#?}");
    // Every check passed but the two that do not apply to a plain zip
    // without a GPG signature.
    let not_applicable = [checks::GPG_SIGNATURE, checks::DECRYPTION];
    for check in &report.checks {
        let expected = if not_applicable.contains(&check.name) {
            CheckStatus::Skipped
        } else {
            CheckStatus::Passed
        };
        assert_eq!(check.status, expected, "{check:?}");
    }
    assert_eq!(report.checks.len(), 9);
    assert_eq!(
        report.key_fingerprint.as_deref(),
        Some(info.key_fingerprint.as_str())
    );
    assert_eq!(report.manifest.as_ref(), Some(&info.manifest));

    // Only the archive and its two side files; no staging left behind.
    let left: BTreeSet<String> = std::fs::read_dir(fx.out.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    let wanted = [
        name.clone(),
        format!("{name}.sha256"),
        format!("{name}.sig"),
    ];
    assert_eq!(left, wanted.into_iter().collect());
}

#[test]
fn optional_parts_are_included_only_when_asked() {
    let fx = Fixture::new(1);
    std::fs::write(fx.data.path().join("breach_cache.json"), b"{\"x\":1}").unwrap();
    std::fs::create_dir_all(fx.data.path().join("logs")).unwrap();
    std::fs::write(fx.data.path().join("logs/password_manager.log"), b"line\n").unwrap();
    let options = BackupOptions {
        include_breach_cache: true,
        include_logs: true,
        ..BackupOptions::default()
    };
    let info = backup::create(&fx.vault, fx.out.path(), &options).unwrap();
    let files = read_zip(&info.path);
    let get = |name: &str| {
        files
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, b)| b.clone())
    };
    assert_eq!(get("breach_cache.json").unwrap(), b"{\"x\":1}");
    assert_eq!(get("logs/password_manager.log").unwrap(), b"line\n");
    assert!(fx.verify(&info.path).ok());
}

#[test]
fn sha256sum_accepts_the_side_file() {
    let fx = Fixture::new(1);
    let info = fx.backup();
    let text = std::fs::read_to_string(&info.sha256_path).unwrap();
    let name = info.path.file_name().unwrap().to_str().unwrap();
    assert_eq!(text, format!("{}  {name}\n", info.sha256));
    let Ok(out) = std::process::Command::new("sha256sum")
        .arg("-c")
        .arg(&info.sha256_path)
        .current_dir(fx.out.path())
        .output()
    else {
        eprintln!("sha256sum is not installed; only the format was checked");
        return;
    };
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        format!("{name}: OK\n")
    );
}

/// Unpacks an archive into a fresh data directory and unlocks it.
fn restore_and_unlock(archive: &Path) -> (tempfile::TempDir, Vault) {
    let dir = tempfile::tempdir().unwrap();
    for (name, bytes) in read_zip(archive) {
        if name != "manifest.json" {
            std::fs::write(dir.path().join(&name), bytes).unwrap();
        }
    }
    let credentials = Credentials {
        password: PASSWORD.into(),
        key_file: None,
    };
    let paths = Paths::portable(dir.path());
    let vault = Vault::unlock(&paths, &credentials, None, HistoryPolicy::default()).unwrap();
    (dir, vault)
}

#[test]
fn the_snapshot_unlocks_with_the_vault_password_and_holds_the_same_entries() {
    let fx = Fixture::new(4);
    let info = fx.backup();
    let (_dir, restored) = restore_and_unlock(&info.path);
    let summary = |v: &Vault| {
        let mut s: Vec<(String, String)> = v
            .entries()
            .iter()
            .map(|e| (e.title.expose().to_owned(), e.password.expose().to_owned()))
            .collect();
        s.sort();
        s
    };
    assert_eq!(summary(&restored), summary(&fx.vault));
    assert_eq!(restored.entries().len(), 4);
    assert!(restored.damaged().is_empty());
}

#[test]
fn a_backup_taken_while_another_writer_adds_entries_is_consistent() {
    let fx = Fixture::new(2);
    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let (dir, stop) = (fx.data.path().to_path_buf(), Arc::clone(&stop));
        std::thread::spawn(move || {
            let credentials = Credentials {
                password: PASSWORD.into(),
                key_file: None,
            };
            let paths = Paths::portable(&dir);
            let mut other =
                Vault::unlock(&paths, &credentials, None, HistoryPolicy::default()).unwrap();
            let mut added = 0;
            while !stop.load(Ordering::Relaxed) {
                other.add(entry(100 + added)).unwrap();
                added += 1;
            }
            added
        })
    };

    let mut counts = Vec::new();
    for round in 0..3 {
        std::thread::sleep(std::time::Duration::from_millis(150));
        let out = fx.out.path().join(format!("round{round}"));
        let info = backup::create(&fx.vault, &out, &BackupOptions::default()).unwrap();
        let report = fx.verify(&info.path);
        assert!(report.ok(), "{report:#?}");
        let (_dir, restored) = restore_and_unlock(&info.path);
        assert_eq!(restored.entries().len() as u64, info.manifest.entry_count);
        assert!(restored.damaged().is_empty());
        counts.push(info.manifest.entry_count);
    }
    stop.store(true, Ordering::Relaxed);
    let added = writer.join().unwrap();
    assert!(added > 0);
    assert!(counts.windows(2).all(|w| w[0] <= w[1]), "{counts:?}");
    assert!(counts.iter().all(|&c| c >= 2 && c <= 2 + added as u64));
}

#[test]
fn a_changed_byte_in_the_zip_fails_the_side_file_and_the_signature() {
    let fx = Fixture::new(2);
    let info = fx.backup();
    let mut bytes = std::fs::read(&info.path).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x01;
    std::fs::write(&info.path, bytes).unwrap();
    let report = fx.verify(&info.path);
    assert_failed(&report, checks::SHA256_SIDE_FILE, "was changed or damaged");
    assert_failed(&report, checks::SIGNATURE, "does not match");
}

#[test]
fn a_changed_manifest_is_refused() {
    let fx = Fixture::new(2);
    let info = fx.backup();
    let path = forged(&fx, &info, |files| {
        let mut manifest = manifest_of(files);
        let auth = manifest
            .files
            .iter_mut()
            .find(|f| f.path == "auth.json")
            .unwrap();
        auth.sha256 = "0".repeat(64);
        set_manifest(files, &manifest);
    });
    let report = fx.verify(&path);
    assert_passed(&report, checks::SHA256_SIDE_FILE);
    assert_failed(&report, checks::SIGNATURE, "is missing");
    assert_failed(&report, checks::MANIFEST, "\"auth.json\" does not match");
    assert_passed(&report, checks::DATABASE_INTEGRITY);
}

#[test]
fn a_damaged_database_with_a_matching_manifest_fails_its_integrity_check() {
    let fx = Fixture::new(5);
    let info = fx.backup();
    let path = forged(&fx, &info, |files| {
        let db = &mut files
            .iter_mut()
            .find(|(n, _)| n == "passwords.db")
            .unwrap()
            .1;
        let page_size = usize::from(u16::from_be_bytes([db[16], db[17]]));
        // The second page's b-tree type byte: an impossible value.
        db[page_size] ^= 0xff;
        let (size, digest) = (db.len() as u64, hex(&sha256(db)));
        let mut manifest = manifest_of(files);
        let listed = manifest
            .files
            .iter_mut()
            .find(|f| f.path == "passwords.db")
            .unwrap();
        (listed.size, listed.sha256) = (size, digest);
        set_manifest(files, &manifest);
    });
    let report = fx.verify(&path);
    assert_passed(&report, checks::MANIFEST);
    assert_failed(&report, checks::DATABASE_INTEGRITY, "passwords.db");
}

#[test]
fn a_missing_side_file_is_refused() {
    let fx = Fixture::new(1);
    let info = fx.backup();
    std::fs::remove_file(&info.sha256_path).unwrap();
    let report = fx.verify(&info.path);
    assert_failed(&report, checks::SHA256_SIDE_FILE, "is missing");
    assert_passed(&report, checks::SIGNATURE);
}

#[test]
fn another_vaults_key_does_not_verify_the_signature() {
    let fx = Fixture::new(1);
    let other = Fixture::new(0);
    let info = fx.backup();
    other.backup();
    let report = backup::verify(&info.path, Some(&other.public_key()));
    assert_failed(&report, checks::SIGNATURE, "signed by another vault");
    assert_passed(&report, checks::SHA256_SIDE_FILE);
    assert_passed(&report, checks::MANIFEST);
    assert_ne!(report.key_fingerprint, Some(info.key_fingerprint.clone()));

    // Without a key the signature check is skipped, not passed.
    let unsigned = backup::verify(&info.path, None);
    assert_eq!(
        unsigned.check(checks::SIGNATURE).unwrap().status,
        CheckStatus::Skipped
    );
    assert!(unsigned.ok());
}

#[test]
fn entries_that_leave_the_archive_or_are_links_are_refused() {
    let fx = Fixture::new(1);
    let info = fx.backup();
    let cases: [(&str, &str); 3] = [
        ("../escaped.txt", "climbs out of the archive"),
        ("logs/../../escaped.txt", "climbs out of the archive"),
        ("/tmp/escaped.txt", "is an absolute path"),
    ];
    for (name, why) in cases {
        let path = forged(&fx, &info, |files| {
            files.push((name.to_owned(), b"x".to_vec()))
        });
        let report = fx.verify(&path);
        assert_failed(&report, checks::ARCHIVE_PATHS, why);
        let skipped = report.check(checks::DATABASE_INTEGRITY).unwrap();
        assert_eq!(skipped.status, CheckStatus::Skipped);
    }
    assert!(!fx.out.path().parent().unwrap().join("escaped.txt").exists());

    // A symbolic link entry pointing outside.
    let mut files = read_zip(&info.path);
    let path = fx.out.path().join("link.zip");
    let mut zip = zip::ZipWriter::new(std::fs::File::create(&path).unwrap());
    for (name, bytes) in files.drain(..) {
        zip.start_file(name, SimpleFileOptions::default()).unwrap();
        zip.write_all(&bytes).unwrap();
    }
    zip.add_symlink("logs/link", "/etc/passwd", SimpleFileOptions::default())
        .unwrap();
    zip.finish().unwrap();
    rewrite_side_file(&path);
    assert_failed(
        &fx.verify(&path),
        checks::ARCHIVE_PATHS,
        "is a symbolic link",
    );

    // The same name twice: the zip writer refuses that, so a second entry
    // with a name of the same length is renamed in the raw bytes.
    let path = forged(&fx, &info, |files| {
        files.push(("auth.jsoo".to_owned(), b"{}".to_vec()))
    });
    let raw = std::fs::read(&path).unwrap();
    let patched = replace_all(&raw, b"auth.jsoo", b"auth.json");
    std::fs::write(&path, patched).unwrap();
    rewrite_side_file(&path);
    assert_failed(&fx.verify(&path), checks::ARCHIVE_PATHS, "the same name");
}

#[test]
fn oversized_entries_and_zip_bombs_are_refused_before_extraction() {
    let fx = Fixture::new(1);
    let info = fx.backup();
    let small = Limits {
        max_entry_bytes: 1024,
        ..Limits::default()
    };
    let report = backup::verify_with(&info.path, Some(&fx.public_key()), &small);
    assert_failed(
        &report,
        checks::SIZE_LIMITS,
        "at most 1024 are accepted for one file",
    );
    assert_eq!(
        report.check(checks::DATABASE_INTEGRITY).unwrap().status,
        CheckStatus::Skipped
    );

    // 20 MiB of zeros deflate to about 20 KiB: a ratio near 1000:1.
    let bomb = forged(&fx, &info, |files| {
        files.push(("logs/zeros.log".to_owned(), vec![0u8; 20 * 1024 * 1024]));
    });
    assert_failed(&fx.verify(&bomb), checks::SIZE_LIMITS, "zip bomb");

    let total = Limits {
        max_total_bytes: 4096,
        ..Limits::default()
    };
    let report = backup::verify_with(&info.path, None, &total);
    assert_failed(&report, checks::SIZE_LIMITS, "together");
}

#[test]
fn a_truncated_archive_is_refused() {
    let fx = Fixture::new(1);
    let info = fx.backup();
    let bytes = std::fs::read(&info.path).unwrap();
    std::fs::write(&info.path, &bytes[..bytes.len() / 2]).unwrap();
    let report = fx.verify(&info.path);
    assert_failed(&report, checks::SHA256_SIDE_FILE, "was changed or damaged");
    assert_failed(&report, checks::ZIP_STRUCTURE, "may be truncated");
    for name in [
        checks::ARCHIVE_PATHS,
        checks::MANIFEST,
        checks::DATABASE_INTEGRITY,
    ] {
        assert_eq!(report.check(name).unwrap().status, CheckStatus::Skipped);
    }
}

#[test]
fn a_second_backup_in_the_same_second_does_not_overwrite_the_first() {
    let fx = Fixture::new(1);
    let first = fx.backup();
    let before = std::fs::read(&first.path).unwrap();
    // Either it lands in a new second, or it is refused; never a clobber.
    match backup::create(&fx.vault, fx.out.path(), &BackupOptions::default()) {
        Ok(second) => assert_ne!(second.path, first.path),
        Err(e) => assert!(e.to_string().contains("already exists"), "{e}"),
    }
    assert_eq!(std::fs::read(&first.path).unwrap(), before);
}

#[test]
fn an_entry_holding_more_than_its_header_declares_is_cut_off_and_refused() {
    let fx = Fixture::new(1);
    let info = fx.backup();
    let path = fx.out.path().join("liar.zip");
    let mut zip = zip::ZipWriter::new(std::fs::File::create(&path).unwrap());
    let stored = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for (name, bytes) in read_zip(&info.path) {
        zip.start_file(name, stored).unwrap();
        zip.write_all(&bytes).unwrap();
    }
    zip.start_file("logs/liar.log", stored).unwrap();
    zip.write_all(&[b'x'; 100]).unwrap();
    zip.finish().unwrap();

    // Declare 10 bytes in both the local and the central header.
    let mut raw = std::fs::read(&path).unwrap();
    let name = b"logs/liar.log";
    let at: Vec<usize> = (0..raw.len() - name.len())
        .filter(|&i| &raw[i..i + name.len()] == name)
        .collect();
    let (local, central) = (at[0] - 30 + 22, at[at.len() - 1] - 46 + 24);
    for offset in [local, central] {
        raw[offset..offset + 4].copy_from_slice(&10u32.to_le_bytes());
    }
    std::fs::write(&path, raw).unwrap();
    rewrite_side_file(&path);
    let report = fx.verify(&path);
    assert_passed(&report, checks::ARCHIVE_PATHS);
    // The zip reader or our own cut-off stops at the declared size.
    assert_failed(&report, checks::SIZE_LIMITS, "logs/liar.log");
    assert!(
        report
            .check(checks::SIZE_LIMITS)
            .unwrap()
            .detail
            .contains("declare")
    );
}

#[test]
fn a_failed_backup_leaves_nothing_that_looks_complete() {
    let fx = Fixture::new(1);
    std::fs::remove_file(fx.data.path().join("crypto.salt")).unwrap();
    let err = backup::create(&fx.vault, fx.out.path(), &BackupOptions::default()).unwrap_err();
    assert!(err.to_string().contains("crypto.salt is missing"), "{err}");
    let left: Vec<_> = std::fs::read_dir(fx.out.path()).unwrap().collect();
    assert!(left.is_empty(), "{left:?}");
}

#[test]
fn a_password_derived_vault_has_no_key_file_to_back_up() {
    let data = tempfile::tempdir().unwrap();
    let out = tempfile::tempdir().unwrap();
    let options = common::fast_options(KeyMode::PasswordDerived);
    let paths = Paths::portable(data.path());
    let mut vault = Vault::create(&paths, &PASSWORD.into(), &options, None).unwrap();
    vault.add(entry(1)).unwrap();
    let info = backup::create(&vault, out.path(), &BackupOptions::default()).unwrap();
    assert_eq!(info.manifest.key_mode, KeyMode::PasswordDerived);
    assert_eq!(info.manifest.entry_count, 1);
    assert!(info.manifest.file("secret.key").is_none());
    assert!(info.manifest.file("secret.key.enc").is_none());
    let report = backup::verify(&info.path, Some(&info.public_key_path));
    assert!(report.ok(), "{report:#?}");
    let (_dir, restored) = restore_and_unlock(&info.path);
    assert_eq!(restored.entries().len(), 1);
}
