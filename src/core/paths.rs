//! Where every file lives.
//!
//! Three layouts, chosen in this order:
//! 1. **Portable**: `--data-dir DIR` or `PASSWORD_MANAGER_HOME=DIR` puts every
//!    file in DIR. Tests always use this.
//! 2. **Development**: a debug build run from inside its own source tree keeps
//!    everything in `.data/` at the repository root.
//! 3. **Installed**: the XDG data, config and cache directories for
//!    `secure-password-manager`.

use std::path::{Path, PathBuf};

use crate::core::events;
use crate::core::fsio::{self, FileError};
use crate::event;

/// Environment variable that selects portable mode.
pub const HOME_ENV: &str = "PASSWORD_MANAGER_HOME";
/// Application name used for the XDG directories.
pub const APP_NAME: &str = "secure-password-manager";

/// Which layout is in use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// Every file in one directory given by flag or environment.
    Portable,
    /// A debug build inside the source tree: `.data/` at its root.
    Development,
    /// XDG directories.
    Installed,
}

impl Layout {
    /// A short name for display.
    pub fn as_str(self) -> &'static str {
        match self {
            Layout::Portable => "portable",
            Layout::Development => "development",
            Layout::Installed => "installed (XDG)",
        }
    }
}

/// No usable location could be found.
#[derive(Debug, thiserror::Error)]
#[error("could not find a home directory for the vault; pass --data-dir DIR or set {HOME_ENV}")]
pub struct NoHomeError;

/// The resolved locations of every file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Paths {
    /// Which layout produced these paths.
    pub layout: Layout,
    /// Vault, keys, auth, logs, backups, bridge stores.
    pub data_dir: PathBuf,
    /// `settings.json`.
    pub config_dir: PathBuf,
    /// `breach_cache.json`.
    pub cache_dir: PathBuf,
}

impl Paths {
    /// Whether `file` is (or would be, if created) inside one of the vault's
    /// own directories, following symbolic links, including one in its
    /// parent directory. Exports and key files do not belong there: an
    /// export written over `passwords.db` or `secret.key` destroys the
    /// vault.
    pub fn holds(&self, file: &Path) -> bool {
        let resolve = |p: &Path| {
            std::fs::canonicalize(p)
                .or_else(|_| {
                    let parent = fsio::parent_dir(p);
                    let name = p.file_name().ok_or(std::io::ErrorKind::InvalidInput)?;
                    std::fs::canonicalize(parent).map(|dir| dir.join(name))
                })
                .or_else(|_| std::path::absolute(p))
                .unwrap_or_else(|_| p.to_path_buf())
        };
        let file = resolve(file);
        [&self.data_dir, &self.config_dir, &self.cache_dir]
            .into_iter()
            .any(|dir| file.starts_with(resolve(dir)))
    }

    /// The vault's own file that `file` is another name of (a hard link, or
    /// the same file seen through a bind mount), if any. [`Paths::holds`]
    /// goes by names, and a second name outside the vault's directories
    /// escapes it.
    pub fn same_file_as(&self, file: &Path) -> Option<PathBuf> {
        use std::os::unix::fs::MetadataExt;
        let wanted = std::fs::metadata(file).ok()?;
        let mut dirs = vec![self.data_dir.clone()];
        for dir in [&self.config_dir, &self.cache_dir] {
            if !dirs.contains(dir) {
                dirs.push(dir.clone());
            }
        }
        while let Some(dir) = dirs.pop() {
            for item in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
                // A directory entry's metadata does not follow links, so
                // the walk stays inside.
                let Ok(meta) = item.metadata() else { continue };
                if meta.is_dir() {
                    dirs.push(item.path());
                } else if meta.dev() == wanted.dev() && meta.ino() == wanted.ino() {
                    return Some(item.path());
                }
            }
        }
        None
    }

    /// Resolves the layout from the flag, the environment and the build.
    pub fn resolve(data_dir_flag: Option<&Path>) -> Result<Self, NoHomeError> {
        if let Some(dir) = data_dir_flag {
            return Ok(Self::portable(dir));
        }
        if let Some(dir) = std::env::var_os(HOME_ENV).filter(|v| !v.is_empty()) {
            return Ok(Self::portable(Path::new(&dir)));
        }
        if let Some(root) = development_root() {
            let mut paths = Self::portable(&root.join(".data"));
            paths.layout = Layout::Development;
            return Ok(paths);
        }
        let dirs = directories::ProjectDirs::from("", "", APP_NAME).ok_or(NoHomeError)?;
        Ok(Self {
            layout: Layout::Installed,
            data_dir: dirs.data_dir().to_path_buf(),
            config_dir: dirs.config_dir().to_path_buf(),
            cache_dir: dirs.cache_dir().to_path_buf(),
        })
    }

    /// Every file in `dir`.
    pub fn portable(dir: &Path) -> Self {
        let dir = absolute(dir);
        Self {
            layout: Layout::Portable,
            data_dir: dir.clone(),
            config_dir: dir.clone(),
            cache_dir: dir,
        }
    }

    /// The SQLite vault.
    pub fn db(&self) -> PathBuf {
        self.data_dir.join("passwords.db")
    }
    /// The wrapped data key (file-key mode).
    pub fn secret_key(&self) -> PathBuf {
        self.data_dir.join("secret.key")
    }
    /// The wrapped data key (key protection on).
    pub fn secret_key_enc(&self) -> PathBuf {
        self.data_dir.join("secret.key.enc")
    }
    /// In password-derived mode, while records move to a new derived key:
    /// the old and new data keys wrapped under the new password.
    pub fn secret_key_migrating(&self) -> PathBuf {
        self.data_dir.join("secret.key.migrating")
    }
    /// KDF salt and parameters.
    pub fn salt(&self) -> PathBuf {
        self.data_dir.join("crypto.salt")
    }
    /// Verifier and login metadata.
    pub fn auth(&self) -> PathBuf {
        self.data_dir.join("auth.json")
    }
    /// Two-factor configuration.
    pub fn totp_config(&self) -> PathBuf {
        self.data_dir.join("totp_config.json")
    }
    /// Browser bridge tokens.
    pub fn bridge_tokens(&self) -> PathBuf {
        self.data_dir.join("browser_bridge_tokens.json")
    }
    /// Remembered browser bridge approvals.
    pub fn approval_store(&self) -> PathBuf {
        self.data_dir.join("approval_store.json")
    }
    /// The open browser bridge pairing window, if any.
    pub fn bridge_pairing(&self) -> PathBuf {
        self.data_dir.join("bridge_pairing.json")
    }
    /// The log directory.
    pub fn log_dir(&self) -> PathBuf {
        self.data_dir.join("logs")
    }
    /// The current log file.
    pub fn log_file(&self) -> PathBuf {
        self.log_dir().join("password_manager.log")
    }
    /// The backup directory.
    pub fn backups_dir(&self) -> PathBuf {
        self.data_dir.join("backups")
    }
    /// Preferences and feature toggles.
    pub fn settings(&self) -> PathBuf {
        self.config_dir.join("settings.json")
    }
    /// Cached breach-check responses.
    pub fn breach_cache(&self) -> PathBuf {
        self.cache_dir.join("breach_cache.json")
    }
    /// The window's size and position.
    pub fn window_state(&self) -> PathBuf {
        self.data_dir.join("window.ron")
    }

    /// The advisory lock a writing process holds.
    pub fn lock_file(&self) -> PathBuf {
        self.data_dir.join("vault.lock")
    }

    /// Every named file with a short label, for `password-manager paths`.
    pub fn named_files(&self) -> Vec<NamedPath> {
        let named = |key, label, path| NamedPath { key, label, path };
        vec![
            named("data_dir", "data directory", self.data_dir.clone()),
            named("config_dir", "config directory", self.config_dir.clone()),
            named("cache_dir", "cache directory", self.cache_dir.clone()),
            named("vault", "vault", self.db()),
            named("secret_key", "wrapped key", self.secret_key()),
            named(
                "secret_key_enc",
                "wrapped key (key file)",
                self.secret_key_enc(),
            ),
            named("crypto_salt", "KDF salt and parameters", self.salt()),
            named("auth", "authentication", self.auth()),
            named("totp_config", "two-factor settings", self.totp_config()),
            named(
                "bridge_tokens",
                "browser bridge tokens",
                self.bridge_tokens(),
            ),
            named(
                "approval_store",
                "browser bridge approvals",
                self.approval_store(),
            ),
            named("log", "log", self.log_file()),
            named("backups", "backups", self.backups_dir()),
            named("settings", "settings", self.settings()),
            named("breach_cache", "breach cache", self.breach_cache()),
            named("lock", "writer lock", self.lock_file()),
            named(
                "window_state",
                "window size and position",
                self.window_state(),
            ),
        ]
    }

    /// Files whose permissions must be owner-only.
    pub fn private_files(&self) -> Vec<PathBuf> {
        let db = self.db();
        let mut files = vec![
            self.secret_key(),
            self.secret_key_enc(),
            self.salt(),
            self.auth(),
            self.totp_config(),
            self.bridge_tokens(),
            self.approval_store(),
            self.bridge_pairing(),
            self.settings(),
            self.breach_cache(),
            self.lock_file(),
            self.window_state(),
            self.log_file(),
            sibling(&db, "-wal"),
            sibling(&db, "-shm"),
            sibling(&db, "-journal"),
        ];
        files.insert(0, db);
        files
    }

    /// Directories that must be owner-only.
    pub fn private_dirs(&self) -> Vec<PathBuf> {
        let mut dirs = vec![self.data_dir.clone(), self.log_dir(), self.backups_dir()];
        for dir in [&self.config_dir, &self.cache_dir] {
            if !dirs.contains(dir) {
                dirs.push(dir.clone());
            }
        }
        dirs
    }

    /// Makes every file and directory of the vault owner-only. Each change
    /// is logged as `PERMISSIONS_TIGHTENED` and returned as a sentence.
    pub fn tighten_permissions(&self) -> Vec<String> {
        let dirs = self.private_dirs().into_iter().map(|d| (d, true));
        let files = self.private_files().into_iter().map(|f| (f, false));
        let mut notices = Vec::new();
        let tops = [&self.data_dir, &self.config_dir, &self.cache_dir];
        for (path, is_dir) in dirs.chain(files) {
            let planted_link = !tops.contains(&&path) && fsio::refuse_symlink(&path).is_err();
            let result = if planted_link {
                Err(FileError::Symlink { path: path.clone() })
            } else {
                fsio::tighten(&path, is_dir)
            };
            match result {
                Ok(Some(change)) => {
                    let (old, new) = (change.old_mode, change.new_mode);
                    let shown = change.path.display();
                    event!(
                        warn,
                        events::PERMISSIONS_TIGHTENED,
                        "{shown} had mode {old:o}; tightened to {new:o}"
                    );
                    notices.push(format!(
                        "{shown} was readable by others (mode {old:o}); it is now owner-only \
                         ({new:o})"
                    ));
                }
                Ok(None) => {}
                Err(e) => notices.push(e.to_string()),
            }
        }
        notices
    }

    /// Creates the data, config, cache and log directories, owner-only.
    pub fn ensure_dirs(&self) -> Result<(), FileError> {
        for dir in [&self.data_dir, &self.config_dir, &self.cache_dir] {
            fsio::create_private_dir(dir)?;
        }
        // The top directories may be links (kept on another disk, say); a
        // link planted inside one, as `logs`, would send files elsewhere.
        let logs = self.log_dir();
        fsio::refuse_symlink(&logs)?;
        fsio::create_private_dir(&logs)
    }
}

/// One file or directory in [`Paths::named_files`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamedPath {
    /// Stable machine name (`paths --json` key).
    pub key: &'static str,
    /// What it is, for people.
    pub label: &'static str,
    /// Where it is.
    pub path: PathBuf,
}

/// `path` with `suffix` appended to its file name (`passwords.db-wal`).
pub fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(suffix);
    path.with_file_name(name)
}

fn absolute(dir: &Path) -> PathBuf {
    std::path::absolute(dir).unwrap_or_else(|_| dir.to_path_buf())
}

/// The source tree's root when this is a debug build run from inside it.
fn development_root() -> Option<PathBuf> {
    if !cfg!(debug_assertions) {
        return None;
    }
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let cwd = std::env::current_dir().ok()?;
    (cwd.starts_with(&root) && root.join("Cargo.toml").is_file()).then_some(root)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flag_puts_every_file_in_one_directory() {
        let paths = Paths::resolve(Some(Path::new("/tmp/spm-x"))).unwrap();
        assert_eq!(paths.layout, Layout::Portable);
        for named in paths.named_files() {
            assert!(
                named.path.starts_with("/tmp/spm-x"),
                "{}",
                named.path.display()
            );
        }
        assert_eq!(
            paths.log_file(),
            Path::new("/tmp/spm-x/logs/password_manager.log")
        );
    }

    #[test]
    fn sibling_appends_to_the_file_name() {
        assert_eq!(
            sibling(Path::new("/a/passwords.db"), "-wal"),
            Path::new("/a/passwords.db-wal")
        );
    }
}
