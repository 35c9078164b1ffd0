//! The vault stays compact: `passwords.db` is at most twice the size of the
//! same entries as CSV (measured at 100,000 entries in the benchmarks; here
//! at a size that runs quickly).

mod common;
#[path = "../benches/dataset.rs"]
mod dataset;

use spm::core::keys::KeyMode;
use spm::core::paths::Paths;
use spm::core::vault::Vault;

#[test]
fn database_is_at_most_twice_the_csv() {
    let dir = tempfile::tempdir().unwrap();
    let paths = Paths::portable(dir.path());
    let options = common::fast_options(KeyMode::FileKey);
    let mut vault = Vault::create(&paths, &"size test".into(), &options, None).unwrap();
    let entries = dataset::synthetic(5_000);
    let csv = dataset::csv_bytes(&entries).len() as f64;
    vault.add_many(entries).unwrap();
    drop(vault); // closing checkpoints the write-ahead log into the file
    let db = std::fs::metadata(paths.db()).unwrap().len() as f64;
    eprintln!(
        "passwords.db {db} bytes, CSV {csv} bytes, ratio {:.2}",
        db / csv
    );
    assert!(
        db <= 2.0 * csv,
        "passwords.db is {db} bytes, {:.2} x the CSV ({csv})",
        db / csv
    );
}
