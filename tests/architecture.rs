//! The layers stay apart: only the store names rusqlite, and the core names
//! no UI or HTTP crate.

use std::path::{Path, PathBuf};

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for item in std::fs::read_dir(dir).unwrap().flatten() {
        let path = item.path();
        if path.is_dir() {
            out.extend(rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
    out
}

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

#[test]
fn only_the_store_module_names_rusqlite() {
    let store = src().join("core/store");
    let offenders: Vec<PathBuf> = rust_files(&src())
        .into_iter()
        .filter(|p| !p.starts_with(&store))
        .filter(|p| std::fs::read_to_string(p).unwrap().contains("rusqlite"))
        .collect();
    assert!(
        offenders.is_empty(),
        "files outside src/core/store name rusqlite: {offenders:?}"
    );
}

#[test]
fn the_core_names_no_ui_or_http_crate() {
    for path in rust_files(&src().join("core")) {
        let text = std::fs::read_to_string(&path).unwrap();
        for forbidden in ["egui", "eframe", "tiny_http", "ureq"] {
            assert!(
                !text.contains(forbidden),
                "{} names {forbidden}",
                path.display()
            );
        }
    }
}

#[test]
fn the_check_itself_sees_the_store() {
    // Guards the tests above against passing because they scanned nothing.
    let store_files = rust_files(&src().join("core/store"));
    assert!(
        store_files
            .iter()
            .any(|p| std::fs::read_to_string(p).unwrap().contains("rusqlite"))
    );
    assert!(rust_files(&src().join("core")).len() > 10);
}
