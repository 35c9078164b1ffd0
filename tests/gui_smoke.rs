//! The real binary opens its window on a virtual X display (Xvfb), stays
//! up, and can be photographed. CI installs Xvfb; without it this test says
//! it was skipped.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Ends a child process (ours) when dropped.
struct Running(Child);

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

#[test]
fn the_window_opens_under_xvfb_and_stays_up() {
    if !available("Xvfb") {
        eprintln!("skipped: Xvfb is not installed (CI installs it)");
        return;
    }
    // A display number of our own, unlikely to clash with another run.
    let display = format!(":{}", 40 + std::process::id() % 400);
    let _xvfb = Running(
        Command::new("Xvfb")
            .args([
                display.as_str(),
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
    let socket = format!("/tmp/.X11-unix/X{}", &display[1..]);
    let deadline = Instant::now() + Duration::from_secs(10);
    while !Path::new(&socket).exists() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }

    let data = tempfile::tempdir().unwrap();
    let mut app = Running(
        Command::new(env!("CARGO_BIN_EXE_password-manager"))
            .args(["--data-dir", data.path().to_str().unwrap()])
            .env("DISPLAY", &display)
            .env_remove("WAYLAND_DISPLAY")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start the window"),
    );
    std::thread::sleep(Duration::from_secs(5));
    if let Some(status) = app.0.try_wait().unwrap() {
        let mut stderr = String::new();
        if let Some(mut err) = app.0.stderr.take() {
            use std::io::Read;
            let _ = err.read_to_string(&mut stderr);
        }
        panic!("the window exited after less than 5 s ({status}): {stderr}");
    }

    if available("import") {
        let shot = Path::new(env!("CARGO_TARGET_TMPDIR")).join("smoke.png");
        let saved = Command::new("import")
            .args(["-window", "root", shot.to_str().unwrap()])
            .env("DISPLAY", &display)
            .status()
            .is_ok_and(|s| s.success());
        assert!(saved && shot.metadata().map(|m| m.len() > 1000).unwrap_or(false));
    }
    assert!(
        app.0.try_wait().unwrap().is_none(),
        "the window is still up"
    );
}
