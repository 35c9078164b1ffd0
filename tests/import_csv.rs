//! CSV import and export, through `spm::core::exchange::csv` directly.
//!
//! `robustness` holds one regression test per quirk of real CSV files,
//! `dialects` one test per export format (with invented data), `conformance`
//! the real files from other tools in `../shared/fixtures` (skipped when
//! that folder is absent), and `export` the Bitwarden-column writer.

#[path = "import_csv/conformance.rs"]
mod conformance;
#[path = "import_csv/dialects.rs"]
mod dialects;
#[path = "import_csv/export.rs"]
mod export;
#[path = "import_csv/robustness.rs"]
mod robustness;

use std::path::{Path, PathBuf};

use spm::core::entries::Entry;
use spm::core::exchange::csv::{self, Mapping};
use spm::core::exchange::{ExchangeError, Format, Parsed};

/// A CSV file with these bytes, in a directory removed when dropped.
pub struct TempCsv {
    _dir: tempfile::TempDir,
    pub path: PathBuf,
}

/// Writes `bytes` to a fresh temporary `.csv` file.
pub fn temp_csv(bytes: &[u8]) -> TempCsv {
    let dir = tempfile::tempdir().expect("temporary directory");
    let path = dir.path().join("import.csv");
    std::fs::write(&path, bytes).expect("write CSV");
    TempCsv { _dir: dir, path }
}

/// Reads `bytes` as `format`.
pub fn try_read(bytes: &[u8], format: Format) -> Result<Parsed, ExchangeError> {
    let file = temp_csv(bytes);
    csv::read(&file.path, format, None, &mut |_| {})
}

/// Reads `bytes` as `format`, which must succeed.
pub fn read(bytes: &[u8], format: Format) -> Parsed {
    try_read(bytes, format).expect("the CSV reads")
}

/// Reads `bytes` as a generic CSV through `mapping`.
pub fn read_mapped(bytes: &[u8], mapping: &Mapping) -> Result<Parsed, ExchangeError> {
    let file = temp_csv(bytes);
    csv::read(&file.path, Format::GenericCsv, Some(mapping), &mut |_| {})
}

/// Title, username, password and URLs of an entry, for compact asserts.
pub fn login(e: &Entry) -> (&str, &str, &str, Vec<&str>) {
    (
        e.title.expose(),
        e.username.expose(),
        e.password.expose(),
        e.urls.iter().map(|u| u.expose()).collect(),
    )
}

/// Custom fields as (name, value, hidden).
pub fn fields(e: &Entry) -> Vec<(&str, &str, bool)> {
    e.fields
        .iter()
        .map(|f| (f.name.expose(), f.value.expose(), f.hidden))
        .collect()
}

/// Locations of the entries read.
pub fn locations(parsed: &Parsed) -> Vec<&str> {
    parsed.entries.iter().map(|e| e.location.as_str()).collect()
}

/// A file in the shared fixtures folder, or `None` (with a note) when the
/// folder is not there.
pub fn fixture(relative: &str) -> Option<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/fixtures");
    if !root.is_dir() {
        println!("skipped: ../shared/fixtures not found");
        return None;
    }
    Some(root.join(relative))
}
