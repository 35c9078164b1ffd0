//! File-system primitives every on-disk file goes through: owner-only
//! permissions and atomic replacement.
//!
//! A file is replaced by writing a temporary file in the same directory,
//! syncing it, renaming it over the old one and syncing the directory. A crash
//! at any instant leaves either the old file or the new one, never a mix.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// Permission bits for directories the vault owns.
pub const DIR_MODE: u32 = 0o700;
/// Permission bits for files the vault owns.
pub const FILE_MODE: u32 = 0o600;

/// A file operation failed; says which file and what was being done.
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    /// One of the vault's own files is a symbolic link, which the vault
    /// never follows: a link could redirect a write onto another file.
    #[error(
        "{} is a symbolic link; Secure Password Manager does not follow links for its own \
         files. Replace it with the real file",
        path.display()
    )]
    Symlink { path: PathBuf },
    /// One of the vault's files is a directory, FIFO, socket or device.
    #[error("{} is not a regular file; replace it with the real file", path.display())]
    NotRegular { path: PathBuf },
    /// The disk is full; nothing was changed.
    #[error(
        "the disk holding {} is full, so {action} did not happen; the previous \
         contents are intact. Free some space and try again",
        path.display()
    )]
    DiskFull { path: PathBuf, action: String },
    /// Any other I/O failure. (The cause is part of the message rather
    /// than a separate source, so it is printed once.)
    #[error("could not {action} {}: {error}", path.display())]
    Io {
        path: PathBuf,
        action: String,
        error: io::Error,
    },
}

impl FileError {
    /// Wraps an I/O error with what was being done to which file.
    pub fn io(path: &Path, action: &str, source: io::Error) -> Self {
        if is_disk_full(&source) {
            FileError::DiskFull {
                path: path.to_path_buf(),
                action: action.to_owned(),
            }
        } else {
            FileError::Io {
                path: path.to_path_buf(),
                action: action.to_owned(),
                error: source,
            }
        }
    }
}

/// Whether an I/O error means the file system has no room left.
pub fn is_disk_full(error: &io::Error) -> bool {
    error.kind() == io::ErrorKind::StorageFull
        || error.kind() == io::ErrorKind::QuotaExceeded
        || error.raw_os_error() == Some(libc::ENOSPC)
}

/// Bytes an unprivileged process can still write on the file system that
/// holds `path`, if the system can tell.
pub fn available_bytes(path: &Path) -> Option<u64> {
    use std::os::unix::ffi::OsStrExt;
    let c_path = std::ffi::CString::new(path.as_os_str().as_bytes()).ok()?;
    // SAFETY: statvfs reads the NUL-terminated path and writes only into `stat`.
    let mut stat: libc::statvfs = unsafe { std::mem::zeroed() };
    let rc = unsafe { libc::statvfs(c_path.as_ptr(), &mut stat) };
    (rc == 0).then(|| stat.f_bavail.saturating_mul(stat.f_frsize))
}

/// Whether the file system holding `path` is (nearly) out of space, which
/// explains an otherwise vague I/O error.
pub fn looks_full(path: &Path) -> bool {
    available_bytes(parent_dir(path)).is_some_and(|free| free < 256 * 1024)
}

/// Creates a directory (and parents) with owner-only permissions.
///
/// An existing directory is left as it is: permissions of a directory
/// that holds a vault are checked (and logged) by
/// [`crate::core::paths::Paths::tighten_permissions`].
pub fn create_private_dir(dir: &Path) -> Result<(), FileError> {
    if dir.is_dir() {
        return Ok(());
    }
    fs::DirBuilder::new()
        .recursive(true)
        .mode(DIR_MODE)
        .create(dir)
        .map_err(|e| FileError::io(dir, "create the directory", e))
}

/// Fails if `path` is a symbolic link (a missing path is fine).
///
/// Used for directories inside the data directory, too: a planted link
/// named `logs` would send the log elsewhere.
pub fn refuse_symlink(path: &Path) -> Result<(), FileError> {
    match fs::symlink_metadata(path) {
        Ok(meta) if meta.file_type().is_symlink() => Err(FileError::Symlink {
            path: path.to_path_buf(),
        }),
        _ => Ok(()),
    }
}

/// Opens a file for appending without following a symbolic link,
/// creating it owner-only if needed.
pub fn open_append_nofollow(path: &Path) -> Result<File, FileError> {
    if let Ok(meta) = fs::symlink_metadata(path) {
        check_regular(path, &meta)?;
    }
    OpenOptions::new()
        .create(true)
        .append(true)
        .mode(FILE_MODE)
        .custom_flags(libc::O_NOFOLLOW)
        .open(path)
        .map_err(|e| FileError::io(path, "open", e))
}

/// Reads a whole file; `Ok(None)` when it does not exist.
///
/// Only a regular file is read: a link is refused (it could point
/// anywhere), and so is a FIFO or device, which could block forever.
pub fn read_optional(path: &Path) -> Result<Option<Vec<u8>>, FileError> {
    match fs::symlink_metadata(path) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(FileError::io(path, "inspect", e)),
        Ok(meta) => check_regular(path, &meta)?,
    }
    match fs::read(path) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(FileError::io(path, "read", e)),
    }
}

/// Fails unless `meta` (from `symlink_metadata`) describes a regular file.
pub fn check_regular(path: &Path, meta: &fs::Metadata) -> Result<(), FileError> {
    if meta.file_type().is_symlink() {
        return Err(FileError::Symlink {
            path: path.to_path_buf(),
        });
    }
    if !meta.is_file() {
        return Err(FileError::NotRegular {
            path: path.to_path_buf(),
        });
    }
    Ok(())
}

/// Replaces `path` with `contents` atomically, with owner-only permissions.
pub fn write_atomic(path: &Path, contents: &[u8]) -> Result<(), FileError> {
    let dir = parent_dir(path);
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("file");
    let action = format!("save {name}");
    let fail = |e: io::Error| FileError::io(path, &action, e);

    let mut temp = tempfile::Builder::new()
        .prefix(&format!(".{name}."))
        .suffix(".tmp")
        .permissions(fs::Permissions::from_mode(FILE_MODE))
        .tempfile_in(dir)
        .map_err(fail)?;
    temp.write_all(contents).map_err(fail)?;
    temp.as_file().sync_all().map_err(fail)?;
    temp.persist(path).map_err(|e| fail(e.error))?;
    sync_dir(dir).map_err(fail)
}

/// Creates a new file that must not exist yet, with owner-only permissions.
pub fn create_new_private(path: &Path) -> Result<File, FileError> {
    OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(FILE_MODE)
        .open(path)
        .map_err(|e| FileError::io(path, "create", e))
}

/// Flushes a directory's entries (renames, creations) to disk.
pub fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

/// The directory a file lives in ("." for a bare file name).
pub fn parent_dir(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

/// A file or directory whose permissions were wider than owner-only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TightenedPermission {
    /// The file or directory.
    pub path: PathBuf,
    /// Its mode before it was tightened.
    pub old_mode: u32,
    /// The mode it has now.
    pub new_mode: u32,
}

/// Ensures `path` is accessible to its owner only; reports what it changed.
///
/// A missing path is not an error: not every file exists in every vault.
///
/// A directory is followed if it is a link (a data directory may live
/// elsewhere); a file that is a link is refused, never followed. A path of
/// the wrong kind (a directory where a file belongs) is left alone.
pub fn tighten(path: &Path, is_dir: bool) -> Result<Option<TightenedPermission>, FileError> {
    if !is_dir {
        refuse_symlink(path)?;
    }
    let meta = match fs::metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(FileError::io(path, "inspect", e)),
    };
    if meta.is_dir() != is_dir {
        return Ok(None);
    }
    let old_mode = meta.permissions().mode() & 0o777;
    let wanted = if is_dir { DIR_MODE } else { FILE_MODE };
    if old_mode & 0o077 == 0 {
        return Ok(None);
    }
    let new_mode = old_mode & !0o077 & wanted;
    fs::set_permissions(path, fs::Permissions::from_mode(new_mode))
        .map_err(|e| FileError::io(path, "tighten permissions on", e))?;
    Ok(Some(TightenedPermission {
        path: path.to_path_buf(),
        old_mode,
        new_mode,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atomic_write_replaces_content_with_private_mode() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.json");
        write_atomic(&path, b"one").unwrap();
        write_atomic(&path, b"two").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"two");
        let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, FILE_MODE);
        // No temporary files are left behind.
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn symlinked_files_are_refused_not_followed() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("target");
        fs::write(&target, b"keep me").unwrap();
        fs::set_permissions(&target, fs::Permissions::from_mode(0o644)).unwrap();
        let link = dir.path().join("link");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        assert!(matches!(
            tighten(&link, false),
            Err(FileError::Symlink { .. })
        ));
        assert!(matches!(
            open_append_nofollow(&link),
            Err(FileError::Symlink { .. })
        ));
        assert_eq!(
            fs::metadata(&target).unwrap().permissions().mode() & 0o777,
            0o644
        );
        assert_eq!(fs::read(&target).unwrap(), b"keep me");
    }

    #[test]
    fn tighten_reports_and_fixes_wide_modes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        fs::write(&path, b"x").unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();
        let changed = tighten(&path, false).unwrap().unwrap();
        assert_eq!(changed.old_mode, 0o644);
        assert_eq!(
            fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600
        );
        assert!(tighten(&path, false).unwrap().is_none());
    }
}
