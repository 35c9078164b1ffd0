//! Helpers shared by the integration tests: a temporary vault and a way to
//! run the real binary against it.

#![allow(dead_code)]

pub mod gui;
pub mod phone;

use std::ffi::OsStr;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

/// The master password test vaults use.
pub const MASTER: &str = "correct horse battery staple 42";

/// The cheapest KDF the command line accepts (the security floor).
pub const FAST_KDF: [&str; 6] = [
    "--kdf-memory",
    "19456",
    "--kdf-iterations",
    "2",
    "--kdf-parallelism",
    "1",
];

/// Library-level options for a test vault: the cheapest KDF allowed.
pub fn fast_options(key_mode: spm::core::keys::KeyMode) -> spm::core::vault::CreateOptions {
    spm::core::vault::CreateOptions {
        key_mode,
        key_file: None,
        kdf: spm::core::kdf::KdfParams::new(19 * 1024, 2, 1).expect("the floor is accepted"),
    }
}

/// The binary under test.
pub fn binary() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_password-manager"))
}

/// What a run of the binary produced.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    fn from(output: Output) -> Self {
        Self {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }

    /// Panics with both streams unless the exit code is `code`.
    #[track_caller]
    pub fn expect_code(self, code: i32) -> Self {
        assert_eq!(
            self.code, code,
            "stdout:\n{}\nstderr:\n{}",
            self.stdout, self.stderr
        );
        self
    }

    /// Panics unless the run succeeded.
    #[track_caller]
    pub fn ok(self) -> Self {
        self.expect_code(0)
    }

    /// stdout parsed as JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| panic!("{e}: {}", self.stdout))
    }
}

/// A vault in a temporary directory.
pub struct TestVault {
    pub dir: tempfile::TempDir,
}

impl TestVault {
    /// An empty data directory (no vault yet).
    pub fn empty() -> Self {
        Self {
            dir: tempfile::tempdir().expect("temporary directory"),
        }
    }

    /// A data directory with a file-key vault under [`MASTER`].
    pub fn new() -> Self {
        let vault = Self::empty();
        vault.init(&[]).ok();
        vault
    }

    /// The data directory.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// A file in the data directory.
    pub fn file(&self, name: &str) -> PathBuf {
        self.path().join(name)
    }

    /// `init` with the fast KDF and extra arguments, password [`MASTER`].
    pub fn init(&self, extra: &[&str]) -> Run {
        let mut args = vec!["init"];
        args.extend(FAST_KDF);
        args.extend(extra);
        self.run(&args, &format!("{MASTER}\n"))
    }

    /// Runs the binary with `args` against this vault, feeding `stdin`.
    pub fn run(&self, args: &[&str], stdin: &str) -> Run {
        run_in(self.path(), args, stdin)
    }

    /// Runs like [`TestVault::run`] with extra environment variables for
    /// the child process only (`GNUPGHOME`, `PATH`).
    pub fn run_with_env(&self, args: &[&str], stdin: &str, env: &[(&str, &OsStr)]) -> Run {
        let mut cmd = command(self.path(), args);
        for (name, value) in env {
            cmd.env(name, value);
        }
        run_command(cmd, stdin)
    }

    /// Runs with the master password as the first stdin line.
    pub fn run_unlocked(&self, args: &[&str], more_stdin: &[&str]) -> Run {
        let mut input = format!("{MASTER}\n");
        for line in more_stdin {
            input.push_str(line);
            input.push('\n');
        }
        self.run(args, &input)
    }

    /// Adds an entry with `password`; returns its short id.
    pub fn add(&self, args: &[&str], password: &str) -> String {
        let mut all = vec!["add", "--json"];
        all.extend(args);
        let run = self.run_unlocked(&all, &[password]).ok();
        run.json()["id"].as_str().expect("id").to_owned()
    }

    /// `list --json` (extra filter flags allowed).
    pub fn list(&self, extra: &[&str]) -> Vec<serde_json::Value> {
        let mut args = vec!["list", "--json"];
        args.extend(extra);
        let run = self.run_unlocked(&args, &[]).ok();
        run.json().as_array().expect("array").clone()
    }

    /// Starts the binary without waiting, stdin piped.
    pub fn spawn(&self, args: &[&str]) -> Child {
        command(self.path(), args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start password-manager")
    }

    /// A JSON file of the data directory.
    pub fn json(&self, name: &str) -> serde_json::Value {
        let bytes = std::fs::read(self.file(name)).expect("read the file");
        serde_json::from_slice(&bytes).expect("the file is JSON")
    }

    /// Replaces a JSON file of the data directory.
    pub fn write_json(&self, name: &str, value: &serde_json::Value) {
        std::fs::write(self.file(name), value.to_string()).expect("write the file");
    }

    /// Changes the first character of the wrapped data key in `secret.key`,
    /// so the file still parses but fails its integrity check.
    pub fn damage_wrapped_key(&self) {
        let mut key = self.json("secret.key");
        let wrapped = key["keys"][0]["wrapped"]
            .as_str()
            .expect("wrapped key")
            .to_owned();
        key["keys"][0]["wrapped"] = other_first_char(&wrapped).into();
        self.write_json("secret.key", &key);
    }

    /// The log file's contents.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.file("logs/password_manager.log")).unwrap_or_default()
    }
}

fn command(dir: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(binary());
    cmd.arg("--data-dir").arg(dir).args(args);
    // Never let a test reach the user's real directories.
    cmd.env_remove("PASSWORD_MANAGER_HOME")
        .env("HOME", dir)
        .env("XDG_DATA_HOME", dir);
    cmd.env_remove("RUST_LOG");
    cmd
}

/// `text` with its first character changed (kept within base64's alphabet).
pub fn other_first_char(text: &str) -> String {
    let first = if text.starts_with('A') { 'B' } else { 'A' };
    format!("{first}{}", &text[1..])
}

/// Runs the binary with `--data-dir dir`.
pub fn run_in(dir: &Path, args: &[&str], stdin: &str) -> Run {
    run_command(command(dir, args), stdin)
}

fn run_command(mut cmd: Command, stdin: &str) -> Run {
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start password-manager");
    // A command may exit before reading all input; that is not an error here.
    let _ = child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin.as_bytes());
    Run::from(child.wait_with_output().expect("wait for password-manager"))
}

/// Every file under `dir`, recursively.
pub fn all_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for item in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let path = item.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                out.push(path);
            }
        }
    }
    out
}

/// Files under `dir` whose bytes contain `needle`.
pub fn files_containing(dir: &Path, needle: &[u8]) -> Vec<PathBuf> {
    all_files(dir)
        .into_iter()
        .filter(|p| {
            let bytes = std::fs::read(p).unwrap_or_default();
            bytes.windows(needle.len()).any(|w| w == needle)
        })
        .collect()
}

/// Mounts a small tmpfs; `None` when this user may not mount (not root).
pub struct SmallFs(pub PathBuf);

impl SmallFs {
    pub fn mount(size: &str) -> Option<Self> {
        let dir = tempfile::tempdir().unwrap().keep();
        let ok = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(&dir)
            .status()
            .is_ok_and(|s| s.success());
        ok.then_some(Self(dir))
    }
}

impl SmallFs {
    /// A vault in `vault/` on this file system (master password
    /// [`MASTER`], no automatic backups); returns its directory.
    pub fn vault(&self) -> PathBuf {
        let dir = self.0.join("vault");
        let mut init = vec!["init"];
        init.extend(FAST_KDF);
        run_in(&dir, &init, &format!("{MASTER}\n")).ok();
        run_in(
            &dir,
            &["settings", "set", "backup.auto", "false"],
            &format!("{MASTER}\n"),
        )
        .ok();
        dir
    }

    /// Fills the file system up to `room` free bytes with one file, and
    /// returns it (remove it to give the room back).
    pub fn fill(&self, room: u64) -> PathBuf {
        let filler = self.0.join("filler");
        let mut file = std::fs::File::create(&filler).unwrap();
        for size in [64 * 1024, 512] {
            let block = vec![1u8; size];
            while file.write_all(&block).is_ok() {}
        }
        let _ = file.flush();
        let len = file.metadata().unwrap().len();
        file.set_len(len.saturating_sub(room)).unwrap();
        let _ = file.sync_all();
        filler
    }

    /// Makes the file system read-only.
    pub fn make_read_only(&self) -> bool {
        std::process::Command::new("mount")
            .args(["-o", "remount,ro"])
            .arg(&self.0)
            .status()
            .is_ok_and(|s| s.success())
    }
}

impl Drop for SmallFs {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount").arg(&self.0).status();
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Entries and history records the vault in `dir` opens with under
/// `password`, every one decrypted (asserted); read-only.
pub fn open_counts(
    dir: &Path,
    password: &str,
) -> Result<(usize, usize), spm::core::vault::VaultError> {
    open_counts_with(dir, password, None)
}

/// [`open_counts`] with a key file joining the password.
pub fn open_counts_with(
    dir: &Path,
    password: &str,
    key_file: Option<&Path>,
) -> Result<(usize, usize), spm::core::vault::VaultError> {
    let credentials = spm::core::vault::Credentials {
        password: password.into(),
        key_file: key_file.map(Path::to_path_buf),
    };
    let vault = spm::core::vault::Vault::unlock(
        &spm::core::paths::Paths::portable(dir),
        &credentials,
        None,
        spm::core::vault::HistoryPolicy::default(),
    )?;
    let (history, damaged) = vault.check_history()?;
    assert_eq!(damaged, 0, "every history record decrypts");
    assert!(vault.damaged().is_empty(), "every entry decrypts");
    Ok((vault.entries().len(), history))
}

/// Adds `entries` logins ("Site N", with `notes` as notes) to the vault in
/// `dir` (master password [`MASTER`]), then changes the password of the
/// first `history` of them, so they have one history record each.
pub fn fill_vault(dir: &Path, entries: usize, history: usize, notes: &str) {
    use spm::core::entries::{Actor, Entry, EntryPatch, RotationReason};
    use spm::core::secret::SecretString;
    let credentials = spm::core::vault::Credentials {
        password: MASTER.into(),
        key_file: None,
    };
    let mut vault = spm::core::vault::Vault::unlock(
        &spm::core::paths::Paths::portable(dir),
        &credentials,
        None,
        spm::core::vault::HistoryPolicy::default(),
    )
    .expect("unlock the test vault");
    let logins: Vec<Entry> = (0..entries)
        .map(|i| Entry {
            title: SecretString::new(format!("Site {i}")),
            username: SecretString::new(format!("user{i}")),
            password: SecretString::new(format!("pw-{i}")),
            notes: SecretString::new(notes.to_owned()),
            ..Entry::default()
        })
        .collect();
    vault.add_many(logins).expect("add the entries");
    let ids: Vec<_> = vault
        .entries()
        .iter()
        .take(history)
        .map(|e| e.uuid)
        .collect();
    for uuid in ids {
        let patch = EntryPatch {
            password: Some("rotated-1".into()),
            ..Default::default()
        };
        vault
            .update(uuid, patch, RotationReason::Manual, Actor::User)
            .expect("change a password");
    }
}
