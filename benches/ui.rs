//! Speed of the window with 100,000 entries unlocked (see README, "Speed"):
//! one frame of the Passwords screen, and typing one character into the
//! search box (re-filter and redraw), in the egui_kittest harness.

mod dataset;

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use spm::core::kdf::KdfParams;
use spm::core::keys::KeyMode;
use spm::core::paths::Paths;
use spm::core::vault::{CreateOptions, Vault};
use spm::ui::app::App;
use spm::ui::clipboard::MemoryClipboard;

const MASTER: &str = "benchmark master password";

fn unlocked_harness(dir: &std::path::Path) -> Harness<'static, App> {
    let paths = Paths::portable(dir);
    let options = CreateOptions {
        key_mode: KeyMode::FileKey,
        key_file: None,
        kdf: KdfParams::new(19 * 1024, 2, 1).unwrap(),
    };
    let mut vault = Vault::create(&paths, &MASTER.into(), &options, None).unwrap();
    vault.add_many(dataset::entries(100_000)).unwrap();
    drop(vault);

    let app = App::new(paths, Box::new(MemoryClipboard::default()));
    let mut h = Harness::builder()
        .with_size([1280.0, 800.0])
        .with_max_steps(64)
        .build_ui_state(|ui, app: &mut App| app.frame(ui), app);
    h.run();
    h.get_by_label("Master password").focus();
    h.run();
    h.get_by_label("Master password").type_text(MASTER);
    h.get_by_label("Unlock").click();
    let deadline = Instant::now() + Duration::from_secs(120);
    h.step();
    while h.state().is_busy() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
        h.step();
    }
    h.run();
    assert!(h.state().vault().is_some(), "the vault did not unlock");
    h
}

fn window(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let mut h = unlocked_harness(dir.path());
    let mut group = c.benchmark_group("window_100k");
    group.sample_size(30);
    group.bench_function("passwords_frame", |b| b.iter(|| h.step()));

    h.get_by_label("Search").focus();
    h.run();
    let mut i = 0u32;
    group.bench_function("type_one_search_character", |b| {
        b.iter(|| {
            // Alternate typing and deleting so the query stays short.
            i += 1;
            if i % 2 == 1 {
                h.get_by_label("Search").type_text("e");
            } else {
                h.key_press(egui::Key::Backspace);
            }
            h.step();
            black_box(());
        })
    });
    group.finish();
}

criterion_group!(benches, window);
criterion_main!(benches);
