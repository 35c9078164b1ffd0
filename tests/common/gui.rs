//! Helpers for the kittest tests of the window: a harness on a data
//! directory, and typing, clicking and waiting by widget labels.

use std::path::Path;
use std::time::{Duration, Instant};

use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};
use spm::core::paths::Paths;
use spm::ui::app::App;
use spm::ui::clipboard::MemoryClipboard;

/// The window on the data directory `dir`, tall enough for Settings.
pub fn harness(dir: &Path) -> Harness<'static, App> {
    let app = App::new(Paths::portable(dir), Box::new(MemoryClipboard::default()));
    Harness::builder()
        .with_size([1280.0, 1400.0])
        .with_max_steps(32)
        .build_ui_state(|ui, app: &mut App| app.frame(ui), app)
}

/// Steps until the window's background jobs have ended.
pub fn settle(h: &mut Harness<'_, App>) {
    let deadline = Instant::now() + Duration::from_secs(120);
    h.step();
    while h.state().is_busy() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
        h.step();
    }
    h.run_steps(4);
}

/// Types `text` into the field labelled `label`.
pub fn type_into(h: &mut Harness<'_, App>, label: &str, text: &str) {
    h.get_by_label(label).focus();
    h.run_steps(2);
    h.get_by_label(label).type_text(text);
    h.run_steps(2);
}

/// Clicks the widget labelled `label`, then settles.
pub fn click(h: &mut Harness<'_, App>, label: &str) {
    h.get_by_label(label).click();
    settle(h);
}

/// The text of the first label containing `needle`.
pub fn label_text(h: &Harness<'_, App>, needle: &str) -> String {
    let node = h.get_by_label_contains(needle);
    let node = node.accesskit_node();
    node.value().or_else(|| node.label()).unwrap_or_default()
}

/// Steps the window until a label containing `needle` shows.
pub fn wait_for(h: &mut Harness<'_, App>, needle: &str) {
    let deadline = Instant::now() + Duration::from_secs(60);
    let shown = |h: &Harness<'_, App>| h.query_all_by_label_contains(needle).next().is_some();
    while !shown(h) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
        h.step();
    }
    assert!(shown(h), "{needle:?} never showed");
}

/// Opens Settings > Security.
pub fn security_page(h: &mut Harness<'_, App>) {
    for page in ["Settings", "Security"] {
        h.get_all_by_role_and_label(Role::Button, page)
            .last()
            .unwrap()
            .click();
        h.run_steps(4);
    }
}
