//! The log file: `logs/password_manager.log`, rotated by size.
//!
//! Each line is `timestamp level EVENT_CODE message`; lines that are not
//! events carry `-` as their code. When the file passes 5 MiB it becomes
//! `password_manager.log.1` (older ones shift up) and a fresh file starts, so
//! the name operators watch never changes. The window and the command line
//! may log at the same time: every line is one append.

use crate::cli::output::note;
use std::fs::File;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

use flexi_logger::writers::LogWriter;
use flexi_logger::{DeferredNow, LoggerHandle};
use log::Record;

use crate::core::paths::Paths;

/// Rotate when the current file reaches this size.
const ROTATE_BYTES: u64 = 5 * 1024 * 1024;
/// Rotated files kept besides the current one.
const KEEP_FILES: u32 = 4;

/// Keeps the logger alive until the process exits.
static LOGGER: OnceLock<Option<LoggerHandle>> = OnceLock::new();

/// Starts logging to the data directory, once; creates the directories
/// first. If logging cannot start, the command still runs and says so once.
pub fn start_once(paths: &Paths) {
    LOGGER.get_or_init(|| {
        let started = paths
            .ensure_dirs()
            .map_err(anyhow::Error::from)
            .and_then(|()| start(paths));
        match started {
            Ok(handle) => Some(handle),
            Err(e) => {
                note!(
                    "warning: logging to {} is off: {e:#}",
                    paths.log_file().display()
                );
                None
            }
        }
    });
}

fn start(paths: &Paths) -> anyhow::Result<LoggerHandle> {
    let writer = RotatingFile::open(paths.log_file())?;
    let handle = flexi_logger::Logger::try_with_env_or_str("info")?
        .log_to_writer(Box::new(writer))
        .start()?;
    Ok(handle)
}

struct RotatingFile {
    path: PathBuf,
    file: Mutex<File>,
    /// Size at which the file rotates.
    limit: u64,
}

impl RotatingFile {
    fn open(path: PathBuf) -> io::Result<Self> {
        let file = open_append(&path)?;
        Ok(Self {
            path,
            file: Mutex::new(file),
            limit: ROTATE_BYTES,
        })
    }

    fn rotate_if_large(&self, file: &mut File) -> io::Result<()> {
        if file.metadata()?.len() < self.limit {
            return Ok(());
        }
        for n in (1..KEEP_FILES).rev() {
            let _ = std::fs::rename(numbered(&self.path, n), numbered(&self.path, n + 1));
        }
        std::fs::rename(&self.path, numbered(&self.path, 1))?;
        *file = open_append(&self.path)?;
        Ok(())
    }
}

impl LogWriter for RotatingFile {
    fn write(&self, now: &mut DeferredNow, record: &Record<'_>) -> io::Result<()> {
        let target = record.target();
        let is_event =
            !target.is_empty() && target.bytes().all(|b| b.is_ascii_uppercase() || b == b'_');
        let code = if is_event { target } else { "-" };
        let line = format!(
            "{} {:<5} {code} {}\n",
            now.format_rfc3339(),
            record.level(),
            record.args()
        );
        let mut file = self
            .file
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        self.rotate_if_large(&mut file)?;
        file.write_all(line.as_bytes())
    }

    fn flush(&self) -> io::Result<()> {
        self.file
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .flush()
    }
}

fn open_append(path: &Path) -> io::Result<File> {
    crate::core::fsio::open_append_nofollow(path).map_err(io::Error::other)
}

fn numbered(path: &Path, n: u32) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(format!(".{n}"));
    path.with_file_name(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_rotate_by_size_and_only_five_are_kept() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("password_manager.log");
        let mut writer = RotatingFile::open(path.clone()).unwrap();
        writer.limit = 1000;
        let message = "x".repeat(200);
        for _ in 0..60 {
            let args = format_args!("{message}");
            let record = log::Record::builder()
                .args(args)
                .level(log::Level::Info)
                .target("ENTRY_ADDED")
                .build();
            writer.write(&mut DeferredNow::new(), &record).unwrap();
        }
        let mut names: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(
            names,
            [
                "password_manager.log",
                "password_manager.log.1",
                "password_manager.log.2",
                "password_manager.log.3",
                "password_manager.log.4"
            ]
        );
        let current = std::fs::read_to_string(&path).unwrap();
        let line = current.lines().next().unwrap();
        assert!(line.contains(" INFO  ENTRY_ADDED xxx"), "{line}");
        assert!(std::fs::metadata(&path).unwrap().len() <= 1000 + 300);
    }
}
