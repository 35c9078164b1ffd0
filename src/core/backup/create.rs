//! Writing a backup: snapshot, zip with manifest, side files, then the
//! rename that makes it visible.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use sha2::Digest;
use tempfile::NamedTempFile;
use zip::CompressionMethod;
use zip::write::{SimpleFileOptions, ZipWriter};

use super::signing::{self, PUBLIC_KEY_FILE};
use super::{BackupError, BackupInfo, BackupOptions, DB_NAME, MANIFEST_NAME, to_hex};
use super::{MANIFEST_FORMAT, Manifest, ManifestFile};
use super::{gpg, sealed};
use crate::core::auth::AuthFile;
use crate::core::events;
use crate::core::fsio::{self, FileError};
use crate::core::paths::{Paths, sibling};
use crate::core::store;
use crate::core::vault::{BackupSource, Vault};
use crate::event;

/// Writes a backup of `vault` into `out_dir` (created owner-only if
/// missing) and logs `BACKUP_COMPLETE` or `BACKUP_FAILED`, and
/// `BACKUP_WARNING` for each warning.
///
/// The archive appears under its final name only once it and both side
/// files are complete; a failure leaves at most hidden temporary files,
/// which are removed when possible. An encrypted backup's plain zip only
/// ever exists inside the private staging directory.
pub fn create(
    vault: &Vault,
    out_dir: &Path,
    options: &BackupOptions,
) -> Result<BackupInfo, BackupError> {
    create_from(&vault.backup_source(), out_dir, options)
}

/// [`create`] from a [`BackupSource`], on any thread.
pub fn create_from(
    vault: &BackupSource,
    out_dir: &Path,
    options: &BackupOptions,
) -> Result<BackupInfo, BackupError> {
    let result = write_backup(vault, out_dir, options);
    match &result {
        Ok(info) => {
            event!(
                info,
                events::BACKUP_COMPLETE,
                "backup written to {}: {} bytes, {} entries, {}",
                info.path.display(),
                info.size,
                info.manifest.entry_count,
                if info.encrypted {
                    "encrypted with a backup passphrase"
                } else {
                    "not encrypted"
                }
            );
            for warning in &info.warnings {
                event!(warn, events::BACKUP_WARNING, "{warning}");
            }
        }
        Err(e) => event!(error, events::BACKUP_FAILED, "backup failed: {e}"),
    }
    result
}

fn write_backup(
    vault: &BackupSource,
    out_dir: &Path,
    options: &BackupOptions,
) -> Result<BackupInfo, BackupError> {
    fsio::create_private_dir(out_dir)?;
    let (now, target) = free_name(out_dir, options.encryption.is_some())?;

    // The snapshot (and an encrypted backup's plain zip) is staged next to
    // the archive (same file system, so no small tmpfs fills up) in a
    // private directory removed on drop.
    let staging = tempfile::Builder::new()
        .prefix(".backup-staging-")
        .tempdir_in(out_dir)
        .map_err(|e| FileError::io(out_dir, "create a staging directory in", e))?;
    let archive = match &options.encryption {
        None => build_archive(vault, staging.path(), out_dir, options, &target.name, &now)?,
        Some(encryption) => {
            let (zip, manifest) =
                build_archive(vault, staging.path(), staging.path(), options, "zip", &now)?;
            let sealed = hidden_temp(out_dir, &target.name)?;
            sealed::seal_file(
                zip.path(),
                sealed.as_file(),
                sealed.path(),
                &encryption.passphrase,
                &encryption.kdf,
            )?;
            (sealed, manifest)
        }
    };
    let (temp, manifest) = archive;
    drop(staging);

    let (digest, size) = signing::hash_file(temp.path())?;
    let (public_key_path, key_fingerprint) = publish(vault, &target, temp, &digest)?;
    let mut warnings = Vec::new();
    let gpg_signature_path =
        options
            .gpg_key_id
            .as_deref()
            .and_then(|key| match gpg::sign(&target.path, key) {
                Ok(path) => Some(path),
                Err(e) => {
                    warnings.push(gpg_warning(&target.path, key, &e));
                    None
                }
            });
    Ok(BackupInfo {
        path: target.path,
        sha256_path: target.sha256_path,
        signature_path: target.signature_path,
        public_key_path,
        size,
        sha256: to_hex(&digest),
        key_fingerprint,
        manifest,
        encrypted: options.encryption.is_some(),
        gpg_signature_path,
        warnings,
    })
}

/// What to tell the user when the GPG signature could not be written.
fn gpg_warning(archive: &Path, key: &str, error: &gpg::GpgError) -> String {
    let name = archive.file_name().unwrap_or_default().to_string_lossy();
    let advice = match error {
        gpg::GpgError::NotInstalled => {
            "install gnupg (the `gpg` program) to sign backups with GPG, or clear \
             backup.gpg_key_id to stop trying"
                .to_owned()
        }
        _ => format!(
            "check that backup.gpg_key_id ({key}) names a secret key listed by \
             `gpg --list-secret-keys` that can sign without a passphrase prompt"
        ),
    };
    format!("{name} has no GPG signature: {error}; {advice}. The backup itself is complete")
}

/// The current time and names for it that are free. Archive names have
/// one-second resolution; a backup taken in the same second as another
/// (an automatic one, say) waits for the next second rather than fail.
fn free_name(
    out_dir: &Path,
    encrypted: bool,
) -> Result<(chrono::DateTime<chrono::Utc>, Target), BackupError> {
    let mut tries = 0;
    loop {
        let now = chrono::Utc::now();
        match Target::new(out_dir, &now, encrypted) {
            Err(BackupError::Exists { .. }) if tries < 2 => {
                tries += 1;
                let into_second = u64::from(now.timestamp_subsec_millis());
                std::thread::sleep(std::time::Duration::from_millis(
                    1001 - into_second.min(1000),
                ));
            }
            other => return other.map(|target| (now, target)),
        }
    }
}

/// The final names of an archive and its side files.
struct Target {
    name: String,
    path: PathBuf,
    sha256_path: PathBuf,
    signature_path: PathBuf,
}

impl Target {
    /// Names for a backup taken at `now`; none of them may exist yet.
    fn new(
        out_dir: &Path,
        now: &chrono::DateTime<chrono::Utc>,
        encrypted: bool,
    ) -> Result<Self, BackupError> {
        let extension = if encrypted { sealed::EXTENSION } else { "" };
        let name = format!("backup_{}.zip{extension}", now.format("%Y%m%d_%H%M%S"));
        let path = out_dir.join(&name);
        let target = Self {
            sha256_path: sibling(&path, ".sha256"),
            signature_path: sibling(&path, ".sig"),
            path,
            name,
        };
        let asc = gpg::signature_path(&target.path);
        for existing in [
            &target.path,
            &target.sha256_path,
            &target.signature_path,
            &asc,
        ] {
            if std::fs::symlink_metadata(existing).is_ok() {
                return Err(BackupError::Exists {
                    path: existing.clone(),
                });
            }
        }
        Ok(target)
    }
}

/// A new hidden, owner-only temporary file in `dir`, named after `name`.
fn hidden_temp(dir: &Path, name: &str) -> Result<NamedTempFile, FileError> {
    tempfile::Builder::new()
        .prefix(&format!(".{name}."))
        .suffix(".tmp")
        .permissions(std::fs::Permissions::from_mode(fsio::FILE_MODE))
        .tempfile_in(dir)
        .map_err(|e| FileError::io(dir, "create a temporary archive in", e))
}

/// Snapshots the database into `staging` and writes the complete zip under
/// a hidden temporary name in `zip_dir`.
fn build_archive(
    vault: &BackupSource,
    staging: &Path,
    zip_dir: &Path,
    options: &BackupOptions,
    name: &str,
    now: &chrono::DateTime<chrono::Utc>,
) -> Result<(NamedTempFile, Manifest), BackupError> {
    let paths = vault.paths();
    let auth = read_auth(paths)?;
    let snapshot = staging.join(DB_NAME);
    vault.snapshot_to(&snapshot)?;
    let summary = store::summarize_file(&snapshot)?;
    let sources = collect_sources(paths, options, &auth, &snapshot)?;

    let mut manifest = Manifest {
        format: MANIFEST_FORMAT.to_owned(),
        product_version: env!("CARGO_PKG_VERSION").to_owned(),
        schema_version: summary.schema_version,
        key_mode: auth.key_mode,
        key_file_required: auth.key_file_required,
        created_at: crate::core::time::format_rfc3339(now.timestamp()),
        entry_count: summary.entry_rows,
        files: Vec::new(),
    };
    let temp = hidden_temp(zip_dir, name)?;
    write_zip(temp.as_file(), temp.path(), &sources, &mut manifest)?;
    Ok((temp, manifest))
}

/// Signs the archive, writes the public key and both side files, then
/// renames the archive into place. Returns the public key's path and
/// fingerprint.
fn publish(
    vault: &BackupSource,
    target: &Target,
    temp: NamedTempFile,
    digest: &[u8; 32],
) -> Result<(PathBuf, String), BackupError> {
    let public_key_path = vault.paths().data_dir.join(PUBLIC_KEY_FILE);
    let key = signing::signing_key(&vault.backup_signing_key());
    signing::publish_public_key(&vault.paths().data_dir, &key.verifying_key())?;
    let signature = signing::sign_digest(&key, digest);
    let fingerprint = signing::fingerprint(&key.verifying_key());
    drop(key);

    // Side files first, the archive's rename last: until the rename there
    // is no file named like a finished backup.
    let side_files = [
        (
            &target.sha256_path,
            signing::sha256_line(digest, &target.name),
        ),
        (&target.signature_path, signing::signature_text(&signature)),
    ];
    let path = &target.path;
    let finished = side_files
        .iter()
        .try_for_each(|(p, text)| fsio::write_atomic(p, text.as_bytes()))
        .and_then(|()| {
            let fail = |e: io::Error| FileError::io(path, "save", e);
            temp.persist_noclobber(path).map_err(|e| fail(e.error))?;
            fsio::sync_dir(fsio::parent_dir(path)).map_err(fail)
        });
    if let Err(e) = finished {
        for (p, _) in &side_files {
            let _ = std::fs::remove_file(p);
        }
        return Err(e.into());
    }
    Ok((public_key_path, fingerprint))
}

fn read_auth(paths: &Paths) -> Result<AuthFile, BackupError> {
    let path = paths.auth();
    let bytes =
        fsio::read_optional(&path)?.ok_or(BackupError::MissingFile { path: path.clone() })?;
    AuthFile::parse(&bytes).map_err(|detail| BackupError::BadAuthFile { path, detail })
}

/// The files to archive: (name inside the archive, file on disk).
fn collect_sources(
    paths: &Paths,
    options: &BackupOptions,
    auth: &AuthFile,
    snapshot: &Path,
) -> Result<Vec<(String, PathBuf)>, BackupError> {
    let mut sources = vec![(DB_NAME.to_owned(), snapshot.to_path_buf())];
    let present = |p: &Path| std::fs::symlink_metadata(p).is_ok();
    let required = |p: PathBuf| {
        if present(&p) {
            Ok(p)
        } else {
            Err(BackupError::MissingFile { path: p })
        }
    };

    if auth.key_mode == crate::core::keys::KeyMode::FileKey {
        let key_file = if auth.key_file_required {
            paths.secret_key_enc()
        } else {
            paths.secret_key()
        };
        sources.push((file_name(&key_file), required(key_file)?));
    }
    for path in [required(paths.salt())?, required(paths.auth())?] {
        sources.push((file_name(&path), path));
    }
    let mut optional = vec![
        paths.totp_config(),
        paths.settings(),
        paths.bridge_tokens(),
        paths.approval_store(),
    ];
    if options.include_breach_cache {
        optional.push(paths.breach_cache());
    }
    for path in optional.into_iter().filter(|p| present(p)) {
        sources.push((file_name(&path), path));
    }
    if options.include_logs {
        sources.extend(log_files(&paths.log_dir())?);
    }
    Ok(sources)
}

/// The regular files of the log directory, by name; links are left out
/// (they could point anywhere).
fn log_files(dir: &Path) -> Result<Vec<(String, PathBuf)>, BackupError> {
    fsio::refuse_symlink(dir)?;
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(FileError::io(dir, "list", e).into()),
    };
    let mut files = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| FileError::io(dir, "list", e))?;
        let is_file = entry.file_type().is_ok_and(|t| t.is_file());
        if let (true, Some(name)) = (is_file, entry.file_name().to_str()) {
            files.push((format!("logs/{name}"), entry.path()));
        }
    }
    files.sort();
    Ok(files)
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Streams every source into the zip, recording each in the manifest,
/// then adds the manifest itself.
fn write_zip(
    out: &File,
    out_path: &Path,
    sources: &[(String, PathBuf)],
    manifest: &mut Manifest,
) -> Result<(), BackupError> {
    let zip_err = |e: zip::result::ZipError| BackupError::Zip {
        path: out_path.to_path_buf(),
        detail: e.to_string(),
    };
    let write_err = |e: io::Error| FileError::io(out_path, "write", e);
    let options = SimpleFileOptions::default()
        .compression_method(CompressionMethod::Deflated)
        .unix_permissions(fsio::FILE_MODE);
    let mut zip = ZipWriter::new(out);

    for (name, path) in sources {
        let mut source = open_nofollow(path)?;
        let len = source.metadata().map(|m| m.len()).unwrap_or(0);
        let options = options.large_file(len >= u64::from(u32::MAX));
        zip.start_file(name.as_str(), options).map_err(zip_err)?;
        let mut sink = HashingWriter::new(&mut zip);
        io::copy(&mut source, &mut sink).map_err(|e| FileError::io(path, "archive", e))?;
        manifest.files.push(ManifestFile {
            path: name.clone(),
            size: sink.size,
            sha256: to_hex(&sink.hasher.finalize()),
        });
    }

    let json = serde_json::to_vec_pretty(manifest).unwrap_or_default();
    zip.start_file(MANIFEST_NAME, options).map_err(zip_err)?;
    zip.write_all(&json).map_err(write_err)?;
    let out = zip.finish().map_err(zip_err)?;
    out.sync_all().map_err(write_err)?;
    Ok(())
}

fn open_nofollow(path: &Path) -> Result<File, FileError> {
    let meta = std::fs::symlink_metadata(path).map_err(|e| FileError::io(path, "inspect", e))?;
    fsio::check_regular(path, &meta)?;
    OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW)
        .open(path)
        .map_err(|e| FileError::io(path, "open", e))
}

/// Passes bytes through while hashing and counting them.
struct HashingWriter<W> {
    inner: W,
    hasher: sha2::Sha256,
    size: u64,
}

impl<W> HashingWriter<W> {
    fn new(inner: W) -> Self {
        Self {
            inner,
            hasher: sha2::Sha256::new(),
            size: 0,
        }
    }
}

impl<W: Write> Write for HashingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        self.size += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}
