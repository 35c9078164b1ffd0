//! The real release binary opens its window on a virtual X display (Xvfb),
//! stays up, can be photographed, and remembers the size it was given. CI
//! installs Xvfb, xdotool and ImageMagick; without them these tests say they
//! were skipped.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

const TITLE: &str = "Secure Password Manager";

/// Ends a child process (ours) when dropped.
struct Running(Child);

impl Running {
    /// Waits up to `patience` for the process to end by itself.
    fn wait_for_exit(&mut self, patience: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + patience;
        while Instant::now() < deadline {
            if let Some(status) = self.0.try_wait().unwrap() {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        None
    }

    fn stderr(&mut self) -> String {
        let mut text = String::new();
        if let Some(mut err) = self.0.stderr.take() {
            use std::io::Read;
            let _ = err.read_to_string(&mut text);
        }
        text
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn available(tool: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {tool}")])
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// The release build of the app, built once for this test run (an
/// incremental build when nothing changed). A `cargo test --release` run
/// already has it.
fn release_binary() -> &'static Path {
    static BINARY: OnceLock<PathBuf> = OnceLock::new();
    BINARY.get_or_init(|| {
        let tested = PathBuf::from(env!("CARGO_BIN_EXE_password-manager"));
        if !cfg!(debug_assertions) {
            return tested;
        }
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| env!("CARGO").into());
        let built = Command::new(cargo)
            .args(["build", "--release", "--quiet", "--bin", "password-manager"])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .status()
            .expect("run cargo build --release");
        assert!(built.success(), "cargo build --release failed");
        // <target>/debug/password-manager -> <target>/release/password-manager
        let target = tested.parent().and_then(Path::parent).unwrap();
        let release = target.join("release").join(tested.file_name().unwrap());
        assert!(
            release.exists(),
            "no release binary at {}",
            release.display()
        );
        release
    })
}

/// A private virtual display, ended when dropped.
struct Display {
    name: String,
    _server: Running,
}

impl Display {
    fn start(number: u32) -> Self {
        let name = format!(":{number}");
        let server = Running(
            Command::new("Xvfb")
                .args([
                    name.as_str(),
                    "-screen",
                    "0",
                    "1280x800x24",
                    "-nolisten",
                    "tcp",
                ])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("start Xvfb"),
        );
        let socket = format!("/tmp/.X11-unix/X{number}");
        let deadline = Instant::now() + Duration::from_secs(10);
        while !Path::new(&socket).exists() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(50));
        }
        Self {
            name,
            _server: server,
        }
    }

    /// A display number of our own for each test, unlikely to clash with
    /// another run.
    fn number(offset: u32) -> u32 {
        40 + (std::process::id() % 200) * 2 + offset
    }

    fn launch(&self, data: &Path) -> Running {
        Running(
            Command::new(release_binary())
                .args(["--data-dir", data.to_str().unwrap()])
                .env("DISPLAY", &self.name)
                .env_remove("WAYLAND_DISPLAY")
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .expect("start the window"),
        )
    }

    /// Runs xdotool; says whether it succeeded.
    fn try_xdotool(&self, args: &[&str]) -> bool {
        Command::new("xdotool")
            .args(args)
            .env("DISPLAY", &self.name)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    }

    fn xdotool(&self, args: &[&str]) -> String {
        let out = Command::new("xdotool")
            .args(args)
            .env("DISPLAY", &self.name)
            .output()
            .expect("run xdotool");
        assert!(
            out.status.success(),
            "xdotool {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    /// The app's visible window (eframe shows it after the first frame).
    fn window(&self) -> String {
        let found = self.xdotool(&["search", "--sync", "--onlyvisible", "--name", TITLE]);
        found.lines().next().unwrap().to_owned()
    }

    /// The window's size in pixels.
    fn size(&self, window: &str) -> (u32, u32) {
        let shell = self.xdotool(&["getwindowgeometry", "--shell", window]);
        let value = |key: &str| {
            shell
                .lines()
                .find_map(|l| l.strip_prefix(key))
                .and_then(|v| v.parse().ok())
                .unwrap()
        };
        (value("WIDTH="), value("HEIGHT="))
    }
}

#[test]
fn the_release_window_opens_under_xvfb_and_stays_up() {
    if !available("Xvfb") {
        eprintln!("skipped: Xvfb is not installed (CI installs it)");
        return;
    }
    let display = Display::start(Display::number(0));
    let data = tempfile::tempdir().unwrap();
    let mut app = display.launch(data.path());
    if let Some(status) = app.wait_for_exit(Duration::from_secs(5)) {
        panic!(
            "the window exited after less than 5 s ({status}): {}",
            app.stderr()
        );
    }

    if available("import") {
        let shot = Path::new(env!("CARGO_TARGET_TMPDIR")).join("smoke.png");
        let saved = Command::new("import")
            .args(["-window", "root", shot.to_str().unwrap()])
            .env("DISPLAY", &display.name)
            .status()
            .is_ok_and(|s| s.success());
        assert!(saved && shot.metadata().map(|m| m.len() > 1000).unwrap_or(false));
    }
    assert!(
        app.0.try_wait().unwrap().is_none(),
        "the window is still up"
    );
}

#[test]
fn the_window_remembers_its_size_after_quitting() {
    if !available("Xvfb") || !available("xdotool") {
        eprintln!("skipped: Xvfb and xdotool are needed (CI installs them)");
        return;
    }
    let display = Display::start(Display::number(1));
    let data = tempfile::tempdir().unwrap();

    let mut app = display.launch(data.path());
    let window = display.window();
    display.xdotool(&["windowsize", &window, "900", "640"]);
    let deadline = Instant::now() + Duration::from_secs(10);
    while display.size(&window) != (900, 640) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    // Let eframe see the new size before quitting with Ctrl+Q. The keys go
    // to the focused window through XTEST; on a loaded machine the first
    // press can come before the window takes the focus, so try a few times.
    std::thread::sleep(Duration::from_millis(500));
    let mut status = None;
    for _ in 0..5 {
        if let Some(running) = app.0.try_wait().unwrap() {
            panic!(
                "the window ended before Ctrl+Q ({running}): {}",
                app.stderr()
            );
        }
        // Look the window up again each time, and let a failed focus or key
        // press simply lead to another try.
        let window = display.window();
        let _ = display.try_xdotool(&["windowfocus", "--sync", &window]);
        let _ = display.try_xdotool(&["key", "--clearmodifiers", "ctrl+q"]);
        status = app.wait_for_exit(Duration::from_secs(5));
        if status.is_some() {
            break;
        }
    }
    let status = status.expect("Ctrl+Q quits the window");
    assert!(status.success(), "{status}: {}", app.stderr());
    assert!(
        data.path().join("window.ron").exists(),
        "the window state was saved beside the vault"
    );

    let _again = display.launch(data.path());
    let window = display.window();
    assert_eq!(display.size(&window), (900, 640), "the size came back");
}
