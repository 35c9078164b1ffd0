//! Verifying a backup: every check by name, each passed, failed or skipped
//! with its reason.
//!
//! The archive is untrusted input. The side files are checked against the
//! archive's bytes; the zip is then opened and its names and sizes checked
//! before anything is decompressed, and decompression stops at the sizes
//! the headers declared. Only `passwords.db` is ever written to disk, under
//! a fixed name in a private temporary directory, never under a name taken
//! from the archive.

use std::io::Read;
use std::path::{Path, PathBuf};

use super::signing;
use super::{Manifest, to_hex};
use super::{gpg, inspect, sealed};
use crate::core::fsio;
use crate::core::paths::sibling;
use crate::core::secret::SecretString;

/// The names of the checks, in the order they run.
pub mod checks {
    /// The `.sha256` file beside the archive matches its bytes.
    pub const SHA256_SIDE_FILE: &str = "sha256 side file";
    /// The `.sig` file is a valid signature by the given public key.
    pub const SIGNATURE: &str = "signature";
    /// gpg accepts the `.asc` file beside the archive (skipped when there
    /// is none, or no gpg).
    pub const GPG_SIGNATURE: &str = "gpg signature";
    /// An encrypted archive opens with the backup passphrase and every
    /// chunk is intact (skipped for a plain zip).
    pub const DECRYPTION: &str = "decryption";
    /// The zip's central directory can be read.
    pub const ZIP_STRUCTURE: &str = "zip structure";
    /// Entry names are safe: relative, no `..`, no links, no duplicates.
    pub const ARCHIVE_PATHS: &str = "archive paths";
    /// Declared and actual sizes stay within limits (no zip bomb).
    pub const SIZE_LIMITS: &str = "size limits";
    /// The manifest lists exactly the archive's files, with their hashes.
    pub const MANIFEST: &str = "manifest";
    /// The database snapshot passes SQLite's integrity check.
    pub const DATABASE_INTEGRITY: &str = "database integrity";
}

/// The largest side file (`.sha256`, `.sig`, public key) read.
const MAX_SIDE_FILE_BYTES: u64 = 64 * 1024;

/// How one check ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CheckStatus {
    /// The check ran and found nothing wrong.
    Passed,
    /// The check found a problem; the archive must not be trusted.
    Failed,
    /// The check did not run (no key given, or an earlier check failed).
    Skipped,
}

/// One named check and what it found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyCheck {
    /// One of the names in [`checks`].
    pub name: &'static str,
    /// How it ended.
    pub status: CheckStatus,
    /// What was found, or why it failed or was skipped.
    pub detail: String,
}

/// Sizes a verifier accepts; anything larger is refused before it is
/// decompressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest uncompressed size of one entry.
    pub max_entry_bytes: u64,
    /// Largest uncompressed size of all entries together.
    pub max_total_bytes: u64,
    /// Most entries in one archive.
    pub max_entries: usize,
    /// Highest uncompressed-to-compressed ratio of an entry larger than
    /// [`Limits::ratio_floor_bytes`]. Deflate's own ceiling is about 1032.
    pub max_ratio: u64,
    /// Entries up to this size are exempt from the ratio check (small
    /// files of zeros compress well and are harmless).
    pub ratio_floor_bytes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        const GIB: u64 = 1024 * 1024 * 1024;
        Self {
            max_entry_bytes: 4 * GIB,
            max_total_bytes: 4 * GIB,
            max_entries: 10_000,
            max_ratio: 100,
            ratio_floor_bytes: 1024 * 1024,
        }
    }
}

/// What verifying one archive found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyReport {
    /// The archive checked.
    pub archive: PathBuf,
    /// Every check, in the order of [`checks`].
    pub checks: Vec<VerifyCheck>,
    /// The manifest, when the manifest check passed.
    pub manifest: Option<Manifest>,
    /// The fingerprint of the public key the signature was checked with.
    pub key_fingerprint: Option<String>,
    /// Whether the archive is encrypted.
    pub encrypted: bool,
}

impl VerifyReport {
    /// Whether no check failed. A skipped signature check (no public key
    /// given) does not count as a failure; callers that require a
    /// signature check [`VerifyReport::check`] for it.
    pub fn ok(&self) -> bool {
        self.checks.iter().all(|c| c.status != CheckStatus::Failed)
    }

    /// The check with this name.
    pub fn check(&self, name: &str) -> Option<&VerifyCheck> {
        self.checks.iter().find(|c| c.name == name)
    }

    /// The checks that failed.
    pub fn failures(&self) -> impl Iterator<Item = &VerifyCheck> {
        self.checks
            .iter()
            .filter(|c| c.status == CheckStatus::Failed)
    }

    fn push(&mut self, name: &'static str, outcome: Result<String, String>) -> bool {
        let (status, detail) = match outcome {
            Ok(detail) => (CheckStatus::Passed, detail),
            Err(detail) => (CheckStatus::Failed, detail),
        };
        self.checks.push(VerifyCheck {
            name,
            status,
            detail,
        });
        status == CheckStatus::Passed
    }

    fn skip(&mut self, name: &'static str, why: &str) {
        self.checks.push(VerifyCheck {
            name,
            status: CheckStatus::Skipped,
            detail: why.to_owned(),
        });
    }
}

/// Verifies a backup with the default [`Limits`]. `public_key` is a
/// `backup_signing.pub` file; without it the signature check is skipped.
pub fn verify(path: &Path, public_key: Option<&Path>) -> VerifyReport {
    verify_with(path, public_key, &Limits::default())
}

/// Verifies a backup with the given size limits. An encrypted archive's
/// decryption and archive checks are skipped: use [`verify_archive`].
pub fn verify_with(path: &Path, public_key: Option<&Path>, limits: &Limits) -> VerifyReport {
    verify_archive(path, public_key, None, limits)
}

/// Verifies a backup, plain or encrypted, with the default [`Limits`].
/// `passphrase` opens an encrypted archive; without it, only its side
/// files and signatures are checked.
pub fn verify_with_passphrase(
    path: &Path,
    public_key: Option<&Path>,
    passphrase: Option<&SecretString>,
) -> VerifyReport {
    verify_archive(path, public_key, passphrase, &Limits::default())
}

/// Verifies a backup, plain or encrypted, running every check in the
/// order of [`checks`].
pub fn verify_archive(
    path: &Path,
    public_key: Option<&Path>,
    passphrase: Option<&SecretString>,
    limits: &Limits,
) -> VerifyReport {
    let encrypted = super::is_encrypted(path);
    let decrypted = match (encrypted, passphrase) {
        (true, Some(passphrase)) => Some(sealed::decrypt_to_temp(path, passphrase)),
        _ => None,
    };
    let opened = decrypted.as_ref().map(|result| {
        result
            .as_ref()
            .map(|plain| (plain.zip_path(), plain.size()))
            .map_err(ToString::to_string)
    });
    verify_opened(path, public_key, opened, limits)
}

/// [`verify_archive`] for an encrypted archive already decrypted (or not)
/// by the caller: `opened` is the plain zip and its size, the decryption
/// error, or `None` when there was no passphrase. Restore decrypts once,
/// into its own staging directory, and checks that copy.
pub(super) fn verify_opened(
    path: &Path,
    public_key: Option<&Path>,
    opened: Option<Result<(&Path, u64), String>>,
    limits: &Limits,
) -> VerifyReport {
    let mut report = VerifyReport {
        archive: path.to_path_buf(),
        checks: Vec::new(),
        manifest: None,
        key_fingerprint: None,
        encrypted: super::is_encrypted(path),
    };
    let digest = signing::hash_file(path)
        .map(|(digest, _)| digest)
        .map_err(|e| e.to_string());
    report.push(checks::SHA256_SIDE_FILE, check_side_file(path, &digest));
    match public_key {
        None => report.skip(
            checks::SIGNATURE,
            "no public key was given; pass the vault's backup_signing.pub to check who made \
             this backup",
        ),
        Some(key) => {
            let outcome = check_signature(path, key, &digest, &mut report.key_fingerprint);
            report.push(checks::SIGNATURE, outcome);
        }
    }
    check_gpg(path, &mut report);

    if !report.encrypted {
        report.skip(
            checks::DECRYPTION,
            "the archive is a plain zip, not encrypted",
        );
        inspect::check_archive(path, limits, &mut report);
        return report;
    }
    let Some(opened) = opened else {
        report.skip(
            checks::DECRYPTION,
            "no backup passphrase was given, so the encrypted contents were not checked",
        );
        return skip_contents(report, "the archive was not decrypted");
    };
    match opened {
        Ok((zip, size)) => {
            let detail =
                format!("decrypted with the backup passphrase: {size} bytes, every chunk intact");
            report.push(checks::DECRYPTION, Ok(detail));
            inspect::check_archive(zip, limits, &mut report);
            report
        }
        Err(e) => {
            report.push(checks::DECRYPTION, Err(e));
            skip_contents(report, "the archive could not be decrypted")
        }
    }
}

/// Marks every check of the zip inside skipped.
fn skip_contents(mut report: VerifyReport, why: &str) -> VerifyReport {
    use checks::*;
    let contents = [
        ZIP_STRUCTURE,
        ARCHIVE_PATHS,
        SIZE_LIMITS,
        MANIFEST,
        DATABASE_INTEGRITY,
    ];
    skip_rest(&mut report, &contents, why);
    report
}

/// Runs gpg on the `.asc` beside the archive, if there is one.
fn check_gpg(path: &Path, report: &mut VerifyReport) {
    let asc = gpg::signature_path(path);
    if std::fs::symlink_metadata(&asc).is_err() {
        let why = format!("there is no {} beside the archive", file_name(&asc));
        return report.skip(checks::GPG_SIGNATURE, &why);
    }
    match gpg::verify(&asc, path) {
        Ok(said) => {
            report.push(checks::GPG_SIGNATURE, Ok(said));
        }
        Err(gpg::GpgError::NotInstalled) => report.skip(
            checks::GPG_SIGNATURE,
            &format!(
                "gpg is not installed, so {} was not checked; install gnupg to check it",
                file_name(&asc)
            ),
        ),
        Err(e) => {
            let detail = format!(
                "{} is not a valid GPG signature of this archive: {e}",
                file_name(&asc)
            );
            report.push(checks::GPG_SIGNATURE, Err(detail));
        }
    }
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .unwrap_or_default()
        .to_string_lossy()
        .into_owned()
}

/// Adds the outcome of an archive check (used by [`inspect`]).
pub(super) fn record(
    report: &mut VerifyReport,
    name: &'static str,
    outcome: Result<String, String>,
) -> bool {
    report.push(name, outcome)
}

/// Marks the remaining archive checks skipped.
pub(super) fn skip_rest(report: &mut VerifyReport, names: &[&'static str], why: &str) {
    for name in names {
        report.skip(name, why);
    }
}

fn check_side_file(path: &Path, digest: &Result<[u8; 32], String>) -> Result<String, String> {
    let side = sibling(path, ".sha256");
    let text = read_small(&side)?;
    let (expected, named) = signing::parse_sha256_line(&text)
        .map_err(|e| format!("{} is not a sha256sum line: {e}", side.display()))?;
    let own_name = path.file_name().map(|n| n.to_string_lossy().into_owned());
    if own_name.as_deref() != Some(named.as_str()) {
        return Err(format!(
            "{} names {named:?}, not this archive; the files were renamed or mixed up",
            side.display()
        ));
    }
    let actual = digest.as_ref().map_err(Clone::clone)?;
    if !crate::core::crypto::ct_eq(actual, &expected) {
        return Err(format!(
            "the archive's SHA-256 is {}, but {} says {}; the archive was changed or damaged",
            to_hex(actual),
            side.display(),
            to_hex(&expected)
        ));
    }
    Ok(format!("SHA-256 {} matches", to_hex(actual)))
}

fn check_signature(
    path: &Path,
    public_key: &Path,
    digest: &Result<[u8; 32], String>,
    fingerprint: &mut Option<String>,
) -> Result<String, String> {
    let key = signing::parse_public_key(&read_small(public_key)?)
        .map_err(|e| format!("{} is not a backup public key: {e}", public_key.display()))?;
    let shown = signing::fingerprint(&key);
    *fingerprint = Some(shown.clone());
    let sig_path = sibling(path, ".sig");
    let signature = signing::parse_signature(&read_small(&sig_path)?)
        .map_err(|e| format!("{} is not a backup signature: {e}", sig_path.display()))?;
    let digest = digest.as_ref().map_err(Clone::clone)?;
    if signing::verify_digest(&key, digest, &signature) {
        return Ok(format!("signed by the key with fingerprint {shown}"));
    }
    // A backup made before a key rotation is signed by a key retired then,
    // listed beside the vault's own public key. Only there: a key file the
    // user named otherwise is the one key they chose to trust, and a
    // retired list lying in the same folder is not its companion.
    let retired_path = public_key.with_file_name(signing::RETIRED_KEYS_FILE);
    let own_key_file = public_key
        .file_name()
        .is_some_and(|name| name == signing::PUBLIC_KEY_FILE);
    let retired = match std::fs::symlink_metadata(&retired_path) {
        Ok(_) if own_key_file => signing::parse_retired_keys(&read_small(&retired_path)?)
            .map_err(|e| format!("{} is damaged: {e}", retired_path.display()))?,
        _ => Vec::new(),
    };
    if let Some(old) = retired
        .iter()
        .find(|old| signing::verify_digest(old, digest, &signature))
    {
        let old_shown = signing::fingerprint(old);
        *fingerprint = Some(old_shown.clone());
        Ok(format!(
            "signed by the retired key with fingerprint {old_shown} (the vault's key was \
             rotated since; this backup opens with the key and master password of its time)"
        ))
    } else {
        Err(format!(
            "the signature does not match this archive and the key with fingerprint {shown}; \
             the archive was changed, or it was signed by another vault"
        ))
    }
}

/// Reads a small text file, refusing links, non-files and large files.
fn read_small(path: &Path) -> Result<String, String> {
    let meta = std::fs::symlink_metadata(path).map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            format!("{} is missing", path.display())
        } else {
            format!("could not inspect {}: {e}", path.display())
        }
    })?;
    fsio::check_regular(path, &meta).map_err(|e| e.to_string())?;
    let file =
        std::fs::File::open(path).map_err(|e| format!("could not open {}: {e}", path.display()))?;
    let mut text = String::new();
    file.take(MAX_SIDE_FILE_BYTES + 1)
        .read_to_string(&mut text)
        .map_err(|e| format!("could not read {} as text: {e}", path.display()))?;
    if text.len() as u64 > MAX_SIDE_FILE_BYTES {
        return Err(format!("{} is too large to be a side file", path.display()));
    }
    Ok(text)
}
