//! One writer at a time: an OS advisory lock on `vault.lock`.
//!
//! The lock is released by the operating system when the process exits,
//! even after SIGKILL, so a crashed writer never leaves the vault locked.
//! The holder writes its pid into the file so a second writer can say who
//! holds it.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, SeekFrom, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::core::fsio::{FILE_MODE, FileError};

/// Why the lock could not be taken.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    /// Another process holds it.
    #[error(
        "the vault is open in another Secure Password Manager process ({}); close it or let \
         it finish, then try again",
        holder(*.pid)
    )]
    Busy {
        /// The holder's pid, when it could be read.
        pid: Option<u32>,
    },
    /// The lock file could not be opened.
    #[error(transparent)]
    File(#[from] FileError),
}

fn holder(pid: Option<u32>) -> String {
    pid.map_or_else(|| "pid unknown".to_owned(), |p| format!("pid {p}"))
}

/// A held writer lock; dropping it releases the lock.
#[derive(Debug)]
pub struct VaultLock {
    file: File,
    path: PathBuf,
}

impl VaultLock {
    /// Takes the lock without waiting.
    ///
    /// A lock held only for a moment (by `doctor` checking who holds it) is
    /// waited out; one still held after half a second is reported as busy.
    pub fn acquire(path: &Path) -> Result<Self, LockError> {
        let mut file = open(path)?;
        let deadline = Instant::now() + Duration::from_millis(500);
        loop {
            match file.try_lock() {
                Ok(()) => break,
                Err(TryLockError::WouldBlock) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(20));
                }
                Err(TryLockError::WouldBlock) => {
                    return Err(LockError::Busy {
                        pid: read_pid(&mut file),
                    });
                }
                Err(TryLockError::Error(e)) => {
                    return Err(FileError::io(path, "lock", e).into());
                }
            }
        }
        // Record who holds it; failing to write the pid does not matter.
        let _ = file.set_len(0);
        let _ = file.seek(SeekFrom::Start(0));
        let _ = write!(file, "{}", std::process::id());
        let _ = file.flush();
        Ok(Self {
            file,
            path: path.to_path_buf(),
        })
    }

    /// The lock file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for VaultLock {
    fn drop(&mut self) {
        let _ = self.file.set_len(0);
        let _ = self.file.unlock();
    }
}

/// An exclusive lock on a directory, held until dropped. Used to take
/// turns at short read-modify-write steps (unlock attempts, settings
/// changes) across processes.
#[derive(Debug)]
pub struct DirLock {
    _dir: File,
}

/// Takes the exclusive lock on `dir`, waiting up to `patience` for
/// another process to finish its turn (a stopped process would otherwise
/// hang every other one).
pub fn lock_directory(dir: &Path, patience: Duration) -> Result<DirLock, LockError> {
    let handle = File::open(dir).map_err(|e| FileError::io(dir, "open the directory", e))?;
    let deadline = Instant::now() + patience;
    loop {
        match handle.try_lock() {
            Ok(()) => return Ok(DirLock { _dir: handle }),
            Err(TryLockError::WouldBlock) if Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(25));
            }
            Err(TryLockError::WouldBlock) => return Err(LockError::Busy { pid: None }),
            Err(TryLockError::Error(e)) => {
                return Err(FileError::io(dir, "lock the directory", e).into());
            }
        }
    }
}

/// Who holds the lock now, without taking it: `Ok(None)` when free.
pub fn probe(path: &Path) -> Result<Option<Option<u32>>, FileError> {
    if !path.exists() {
        return Ok(None);
    }
    match VaultLock::acquire(path) {
        Ok(lock) => {
            drop(lock);
            Ok(None)
        }
        Err(LockError::Busy { pid }) => Ok(Some(pid)),
        Err(LockError::File(e)) => Err(e),
    }
}

fn open(path: &Path) -> Result<File, FileError> {
    crate::core::fsio::refuse_symlink(path)?;
    OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .mode(FILE_MODE)
        .custom_flags(libc::O_NOFOLLOW)
        .open(path)
        .map_err(|e| FileError::io(path, "open the lock file", e))
}

fn read_pid(file: &mut File) -> Option<u32> {
    let mut text = String::new();
    file.seek(SeekFrom::Start(0)).ok()?;
    file.read_to_string(&mut text).ok()?;
    text.trim().parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn second_lock_is_refused_with_the_holders_pid() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("vault.lock");
        let held = VaultLock::acquire(&path).unwrap();
        let err = VaultLock::acquire(&path).unwrap_err();
        let pid = std::process::id();
        assert!(matches!(err, LockError::Busy { pid: Some(p) } if p == pid));
        assert!(err.to_string().contains(&format!("(pid {pid})")));
        assert_eq!(probe(&path).unwrap(), Some(Some(pid)));
        drop(held);
        assert_eq!(probe(&path).unwrap(), None);
        VaultLock::acquire(&path).unwrap();
    }
}
