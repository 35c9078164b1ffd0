//! Launch to first frame of the release binary (see README, "Speed"): the
//! time from starting the process until its window is visible on a virtual
//! X display. eframe keeps the window hidden until the first frame has been
//! painted, so "visible" marks the first frame. Needs Xvfb and xdotool; says
//! so and measures nothing without them.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use spm::core::kdf::KdfParams;
use spm::core::keys::KeyMode;
use spm::core::paths::Paths;
use spm::core::vault::{CreateOptions, Vault};

const TITLE: &str = "Secure Password Manager";

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

fn window_visible(display: &str) -> bool {
    Command::new("xdotool")
        .args(["search", "--onlyvisible", "--name", TITLE])
        .env("DISPLAY", display)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn launch_to_first_frame(c: &mut Criterion) {
    if !available("Xvfb") || !available("xdotool") {
        eprintln!("launch bench skipped: needs Xvfb and xdotool");
        return;
    }
    let display = format!(":{}", 500 + std::process::id() % 200);
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
    while !Path::new(&socket).exists() {
        std::thread::sleep(Duration::from_millis(20));
    }

    // The everyday case: a vault exists, so the window opens on Unlock.
    let dir = tempfile::tempdir().unwrap();
    let options = CreateOptions {
        key_mode: KeyMode::FileKey,
        key_file: None,
        kdf: KdfParams::new(19 * 1024, 2, 1).unwrap(),
    };
    drop(
        Vault::create(
            &Paths::portable(dir.path()),
            &"bench".into(),
            &options,
            None,
        )
        .unwrap(),
    );

    let mut group = c.benchmark_group("window");
    // One launch per iteration, a few dozen in all.
    group.sample_size(10);
    group.sampling_mode(criterion::SamplingMode::Flat);
    group.warm_up_time(Duration::from_secs(1));
    group.measurement_time(Duration::from_secs(3));
    group.bench_function("launch_to_first_frame", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let started = Instant::now();
                let _app = Running(
                    Command::new(env!("CARGO_BIN_EXE_password-manager"))
                        .args(["--data-dir", dir.path().to_str().unwrap()])
                        .env("DISPLAY", &display)
                        .env_remove("WAYLAND_DISPLAY")
                        .stdout(Stdio::null())
                        .stderr(Stdio::null())
                        .spawn()
                        .expect("start the window"),
                );
                while !window_visible(&display) {
                    // Polling without a pause floods the X server's listen
                    // queue, and the app's own connection can be refused.
                    std::thread::sleep(Duration::from_millis(5));
                    assert!(started.elapsed() < Duration::from_secs(30), "no window");
                }
                total += started.elapsed();
            }
            total
        })
    });
    group.finish();
}

criterion_group!(benches, launch_to_first_frame);
criterion_main!(benches);
