//! The checks that look inside the zip: structure, names, sizes, manifest
//! and database. Each runs only if the ones before it passed, except that
//! the database is checked even when the manifest disagrees (both findings
//! help to tell damage from tampering).

use std::collections::HashSet;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use sha2::Digest;
use zip::{CompressionMethod, ZipArchive};

use super::manifest::MAX_MANIFEST_BYTES;
use super::verify::{Limits, VerifyReport, checks, record, skip_rest};
use super::{DB_NAME, MANIFEST_FORMAT, MANIFEST_NAME, Manifest, to_hex};
use crate::core::fsio;
use crate::core::store;

/// One entry as its headers describe it.
struct Entry {
    index: usize,
    name: String,
    declared: u64,
    compressed: u64,
}

/// What reading every entry found.
struct Contents {
    /// (name, actual size, SHA-256) of every entry.
    files: Vec<(String, u64, [u8; 32])>,
    /// The manifest's bytes, if the archive has one.
    manifest: Option<Vec<u8>>,
}

/// Runs the zip structure, archive paths, size limits, manifest and
/// database integrity checks, recording each in `report`.
pub(super) fn check_archive(path: &Path, limits: &Limits, report: &mut VerifyReport) {
    use checks::*;
    let opened = open_archive(path);
    let mut zip = match opened {
        Ok(zip) => {
            record(report, ZIP_STRUCTURE, Ok(format!("{} entries", zip.len())));
            zip
        }
        Err(e) => {
            record(report, ZIP_STRUCTURE, Err(e));
            let rest = [ARCHIVE_PATHS, SIZE_LIMITS, MANIFEST, DATABASE_INTEGRITY];
            return skip_rest(report, &rest, "the archive could not be opened");
        }
    };
    let entries = match list_entries(&mut zip, limits) {
        Ok(entries) => entries,
        Err(e) => {
            record(report, ARCHIVE_PATHS, Err(e));
            let rest = [SIZE_LIMITS, MANIFEST, DATABASE_INTEGRITY];
            return skip_rest(report, &rest, "the archive's entry names were refused");
        }
    };
    record(
        report,
        ARCHIVE_PATHS,
        Ok(format!("{} safe file names", entries.len())),
    );
    let contents = match read_contents(&mut zip, &entries, limits) {
        Ok(contents) => contents,
        Err(e) => {
            record(report, SIZE_LIMITS, Err(e));
            let rest = [MANIFEST, DATABASE_INTEGRITY];
            return skip_rest(report, &rest, "the archive's sizes were refused");
        }
    };
    let total: u64 = contents.files.iter().map(|f| f.1).sum();
    record(
        report,
        SIZE_LIMITS,
        Ok(format!("{total} bytes uncompressed, within limits")),
    );

    match check_manifest(&contents) {
        Ok((manifest, detail)) => {
            record(report, MANIFEST, Ok(detail));
            report.manifest = Some(manifest);
        }
        Err(e) => {
            record(report, MANIFEST, Err(e));
        }
    }
    let db = check_database(&mut zip, &entries);
    record(report, DATABASE_INTEGRITY, db);
}

fn open_archive(path: &Path) -> Result<ZipArchive<File>, String> {
    let meta = std::fs::symlink_metadata(path)
        .map_err(|e| format!("could not inspect {}: {e}", path.display()))?;
    fsio::check_regular(path, &meta).map_err(|e| e.to_string())?;
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW)
        .open(path)
        .map_err(|e| format!("could not open {}: {e}", path.display()))?;
    ZipArchive::new(file).map_err(|e| {
        format!(
            "{} is not a readable zip archive ({e}); it may be truncated or damaged",
            path.display()
        )
    })
}

/// Reads every entry's header without decompressing, refusing unsafe
/// names, links, directories, encryption and duplicates.
fn list_entries(zip: &mut ZipArchive<File>, limits: &Limits) -> Result<Vec<Entry>, String> {
    if zip.len() > limits.max_entries {
        return Err(format!(
            "the archive has {} entries; at most {} are accepted",
            zip.len(),
            limits.max_entries
        ));
    }
    // The reader keeps one entry per name, so a repeated name must be
    // asked about; two entries of one name could extract differently in
    // different tools.
    if zip.has_duplicate_names() {
        return Err("two entries have the same name; the archive was forged".to_owned());
    }
    // Local headers that disagree with the central directory, overlapping
    // entries and hidden ones are the same kind of trick.
    zip.validate_header_consistency()
        .map_err(|e| format!("the archive's headers are inconsistent ({e}); it was forged"))?;
    let mut entries = Vec::with_capacity(zip.len());
    let mut seen = HashSet::new();
    for index in 0..zip.len() {
        let file = zip
            .by_index_raw(index)
            .map_err(|e| format!("entry {index} cannot be read: {e}"))?;
        let name = std::str::from_utf8(file.name_raw())
            .map_err(|_| format!("entry {index} has a name that is not UTF-8"))?
            .to_owned();
        let refuse = |why: &str| Err(format!("entry {name:?} {why}"));
        if file.is_symlink() {
            return refuse("is a symbolic link");
        }
        if file.is_dir() {
            return refuse("is a directory; backups hold only files");
        }
        if let Some(why) = name_problem(&name) {
            return refuse(why);
        }
        if file.encrypted() {
            return refuse("is encrypted; backups never encrypt entries");
        }
        if !matches!(
            file.compression(),
            CompressionMethod::Stored | CompressionMethod::Deflated
        ) {
            return refuse("uses a compression method backups never use");
        }
        if !seen.insert(name.clone()) {
            return refuse("appears twice");
        }
        entries.push(Entry {
            index,
            declared: file.size(),
            compressed: file.compressed_size(),
            name,
        });
    }
    Ok(entries)
}

/// Why an entry name is unsafe to use as a relative path, if it is.
fn name_problem(name: &str) -> Option<&'static str> {
    if name.is_empty() {
        return Some("has an empty name");
    }
    if name.starts_with('/') || name.starts_with('\\') || name.as_bytes().get(1) == Some(&b':') {
        return Some("is an absolute path");
    }
    if name.contains('\\') || name.contains('\0') {
        return Some("contains a backslash or NUL byte");
    }
    for part in name.split('/') {
        match part {
            ".." => return Some("climbs out of the archive with '..'"),
            "" | "." => return Some("has an empty or '.' path component"),
            _ => {}
        }
    }
    None
}

/// Checks declared sizes, then reads every entry, stopping at its declared
/// size, hashing what it holds.
fn read_contents(
    zip: &mut ZipArchive<File>,
    entries: &[Entry],
    limits: &Limits,
) -> Result<Contents, String> {
    let mut total = 0u64;
    for entry in entries {
        check_declared(entry, limits)?;
        total = total.saturating_add(entry.declared);
        if total > limits.max_total_bytes {
            return Err(format!(
                "the entries declare more than {} bytes together; the archive is refused",
                limits.max_total_bytes
            ));
        }
    }

    let mut contents = Contents {
        files: Vec::with_capacity(entries.len()),
        manifest: None,
    };
    for entry in entries {
        let keep = entry.name == MANIFEST_NAME;
        if keep && entry.declared > MAX_MANIFEST_BYTES {
            return Err(format!(
                "{MANIFEST_NAME} is larger than {MAX_MANIFEST_BYTES} bytes"
            ));
        }
        let mut sink = HashSink {
            hasher: sha2::Sha256::new(),
            kept: keep.then(Vec::new),
        };
        let size = copy_entry(zip, entry, &mut sink)?;
        contents
            .files
            .push((entry.name.clone(), size, sink.hasher.finalize().into()));
        if let Some(bytes) = sink.kept {
            contents.manifest = Some(bytes);
        }
    }
    Ok(contents)
}

fn check_declared(entry: &Entry, limits: &Limits) -> Result<(), String> {
    let name = &entry.name;
    if entry.declared > limits.max_entry_bytes {
        return Err(format!(
            "entry {name:?} declares {} bytes; at most {} are accepted for one file",
            entry.declared, limits.max_entry_bytes
        ));
    }
    let bomb = entry.declared > limits.ratio_floor_bytes
        && entry.declared > entry.compressed.saturating_mul(limits.max_ratio);
    if bomb {
        return Err(format!(
            "entry {name:?} expands from {} to {} bytes, more than {}:1; it looks like a zip \
             bomb and is refused",
            entry.compressed, entry.declared, limits.max_ratio
        ));
    }
    Ok(())
}

/// Decompresses one entry into `sink`, reading at most one byte more than
/// its header declares, and fails unless it holds exactly that many.
fn copy_entry(
    zip: &mut ZipArchive<File>,
    entry: &Entry,
    sink: &mut impl Write,
) -> Result<u64, String> {
    let name = &entry.name;
    let file = zip
        .by_index(entry.index)
        .map_err(|e| format!("entry {name:?} cannot be read: {e}"))?;
    let mut limited = io::Read::take(file, entry.declared.saturating_add(1));
    let size = io::copy(&mut limited, sink).map_err(|e| {
        format!("entry {name:?} cannot be decompressed ({e}); the archive is damaged")
    })?;
    if size != entry.declared {
        return Err(format!(
            "entry {name:?} holds {} bytes but its header declares {}; the archive is damaged or \
             forged",
            if size > entry.declared {
                format!("more than {}", entry.declared)
            } else {
                size.to_string()
            },
            entry.declared
        ));
    }
    Ok(size)
}

/// Extracts the entries `dest` gives a path for into new owner-only files,
/// checking names and sizes again and each file's SHA-256 against
/// `manifest` (the archive may have changed since it was verified).
/// Returns (archive name, extracted file) pairs; entries `dest` maps to
/// `None` stay in the archive.
pub(super) fn extract(
    path: &Path,
    limits: &Limits,
    manifest: &Manifest,
    dest: impl Fn(&str) -> Result<Option<std::path::PathBuf>, String>,
) -> Result<Vec<(String, std::path::PathBuf)>, String> {
    let mut zip = open_archive(path)?;
    let entries = list_entries(&mut zip, limits)?;
    for entry in &entries {
        check_declared(entry, limits)?;
    }
    let mut extracted = Vec::new();
    for entry in entries.iter().filter(|e| e.name != MANIFEST_NAME) {
        let name = &entry.name;
        let Some(target) = dest(name)? else {
            continue;
        };
        let listed = manifest
            .file(name)
            .ok_or_else(|| format!("{name:?} is in the archive but not in {MANIFEST_NAME}"))?;
        let file = fsio::create_new_private(&target).map_err(|e| e.to_string())?;
        let mut sink = HashSink {
            hasher: sha2::Sha256::new(),
            kept: None,
        };
        let mut tee = Tee {
            out: BufWriter::new(file),
            sink: &mut sink,
        };
        copy_entry(&mut zip, entry, &mut tee)?;
        let written = |e: io::Error| format!("could not write {}: {e}", target.display());
        let file = tee.out.into_inner().map_err(|e| written(e.into_error()))?;
        file.sync_all().map_err(written)?;
        if !listed
            .sha256
            .eq_ignore_ascii_case(&to_hex(&sink.hasher.finalize()))
        {
            return Err(format!(
                "the SHA-256 of {name:?} no longer matches {MANIFEST_NAME}; the archive changed \
                 while it was being restored"
            ));
        }
        extracted.push((name.clone(), target));
    }
    Ok(extracted)
}

/// Writes to a file and a hashing sink at once.
struct Tee<'a, W: Write> {
    out: W,
    sink: &'a mut HashSink,
}

impl<W: Write> Write for Tee<'_, W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.out.write(buf)?;
        self.sink.write_all(&buf[..n])?;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

/// Hashes what is written, keeping the bytes only when asked to.
struct HashSink {
    hasher: sha2::Sha256,
    kept: Option<Vec<u8>>,
}

impl Write for HashSink {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.hasher.update(buf);
        if let Some(kept) = &mut self.kept {
            kept.extend_from_slice(buf);
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

fn check_manifest(contents: &Contents) -> Result<(Manifest, String), String> {
    let bytes = contents
        .manifest
        .as_ref()
        .ok_or_else(|| format!("{MANIFEST_NAME} is missing from the archive"))?;
    let manifest: Manifest = serde_json::from_slice(bytes)
        .map_err(|e| format!("{MANIFEST_NAME} is not a valid manifest: {e}"))?;
    if manifest.format != MANIFEST_FORMAT {
        return Err(format!(
            "{MANIFEST_NAME} has format {:?}; this program reads {MANIFEST_FORMAT:?}",
            manifest.format
        ));
    }
    let mut listed = HashSet::new();
    for file in &manifest.files {
        let name = &file.path;
        if !listed.insert(name.as_str()) {
            return Err(format!("{MANIFEST_NAME} lists {name:?} twice"));
        }
        let (_, size, digest) = contents
            .files
            .iter()
            .find(|(n, ..)| n == name)
            .ok_or_else(|| format!("{MANIFEST_NAME} lists {name:?}, which the archive lacks"))?;
        if *size != file.size {
            return Err(format!(
                "{name:?} holds {size} bytes but {MANIFEST_NAME} says {}",
                file.size
            ));
        }
        if !file.sha256.eq_ignore_ascii_case(&to_hex(digest)) {
            return Err(format!(
                "the SHA-256 of {name:?} does not match {MANIFEST_NAME}; the file was changed"
            ));
        }
    }
    let unlisted = contents
        .files
        .iter()
        .find(|(n, ..)| n != MANIFEST_NAME && !listed.contains(n.as_str()));
    if let Some((name, ..)) = unlisted {
        return Err(format!(
            "{name:?} is in the archive but not in {MANIFEST_NAME}"
        ));
    }
    if manifest.file(DB_NAME).is_none() {
        return Err(format!("{MANIFEST_NAME} does not list {DB_NAME}"));
    }
    let detail = format!(
        "{} files match their sizes and SHA-256",
        manifest.files.len()
    );
    Ok((manifest, detail))
}

/// Extracts `passwords.db` into a private temporary directory (removed
/// afterwards) and runs SQLite's integrity check on it.
fn check_database(zip: &mut ZipArchive<File>, entries: &[Entry]) -> Result<String, String> {
    let entry = entries
        .iter()
        .find(|e| e.name == DB_NAME)
        .ok_or_else(|| format!("{DB_NAME} is missing from the archive"))?;
    let dir = tempfile::Builder::new()
        .prefix("spm-verify-")
        .tempdir()
        .map_err(|e| format!("could not create a private temporary directory: {e}"))?;
    let target = dir.path().join(DB_NAME);
    let file = fsio::create_new_private(&target).map_err(|e| e.to_string())?;
    let mut out = BufWriter::new(file);
    copy_entry(zip, entry, &mut out)?;
    out.flush()
        .map_err(|e| format!("could not write the extracted {DB_NAME}: {e}"))?;
    drop(out);

    let problems = store::integrity_check_file(&target)
        .map_err(|e| format!("{DB_NAME} cannot be checked: {e}"))?;
    if problems.is_empty() {
        return Ok("SQLite reports the snapshot sound".to_owned());
    }
    let shown: Vec<&str> = problems.iter().take(3).map(String::as_str).collect();
    Err(format!(
        "SQLite found {} problem(s) in {DB_NAME}: {}",
        problems.len(),
        shown.join("; ")
    ))
}

#[cfg(test)]
mod tests {
    use super::name_problem;

    #[test]
    fn unsafe_names_are_named() {
        assert_eq!(name_problem("passwords.db"), None);
        assert_eq!(name_problem("logs/password_manager.log"), None);
        assert_eq!(
            name_problem("../x"),
            Some("climbs out of the archive with '..'")
        );
        assert_eq!(
            name_problem("logs/../../x"),
            Some("climbs out of the archive with '..'")
        );
        assert_eq!(name_problem("/etc/passwd"), Some("is an absolute path"));
        assert_eq!(name_problem("C:/x"), Some("is an absolute path"));
        assert_eq!(
            name_problem("a\\b"),
            Some("contains a backslash or NUL byte")
        );
        assert_eq!(
            name_problem("a//b"),
            Some("has an empty or '.' path component")
        );
        assert_eq!(name_problem(""), Some("has an empty name"));
    }
}
