//! Speed targets for the vault core (see README, "Speed").
//!
//! - unlock beyond the KDF (open, unwrap, decrypt and index every entry):
//!   ≤ 40 ms at 10,000 entries, ≤ 400 ms at 100,000;
//! - search over 100,000 decrypted entries: ≤ 5 ms median;
//! - adding one entry to a 100,000-entry vault, committed and fsynced:
//!   ≤ 10 ms median;
//! - `passwords.db` at 100,000 entries no larger than twice the CSV
//!   (printed, not timed).

mod dataset;

use std::hint::black_box;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use spm::core::entries::Entry;
use spm::core::kdf::KdfParams;
use spm::core::keys::{KeyMode, Keyring};
use spm::core::paths::Paths;
use spm::core::secret::SecretString;
use spm::core::vault::{self, CreateOptions, Credentials, Vault};

const MASTER: &str = "benchmark master password";

struct Fixture {
    _dir: tempfile::TempDir,
    paths: Paths,
    keys: Keyring,
    csv_bytes: usize,
}

/// A vault holding `n` entries, and its unwrapped keys.
fn fixture(n: usize) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let paths = Paths::portable(dir.path());
    let options = CreateOptions {
        key_mode: KeyMode::FileKey,
        key_file: None,
        kdf: KdfParams::new(19 * 1024, 2, 1).unwrap(),
    };
    let master = SecretString::from(MASTER);
    let mut vault = Vault::create(&paths, &master, &options, None).unwrap();
    let entries = dataset::entries(n);
    let csv_bytes = dataset::csv_bytes(&entries).len();
    vault.add_many(entries).unwrap();
    drop(vault);
    let credentials = Credentials {
        password: master,
        key_file: None,
    };
    let keys = vault::authenticate(&paths, &credentials).unwrap();
    Fixture {
        _dir: dir,
        paths,
        keys,
        csv_bytes,
    }
}

fn unlock(c: &mut Criterion) {
    let mut group = c.benchmark_group("unlock_after_kdf");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(20));
    for n in [10_000, 100_000] {
        let f = fixture(n);
        group.bench_with_input(BenchmarkId::from_parameter(n), &f, |b, f| {
            b.iter(|| Vault::open_with_keys(&f.paths, f.keys.clone(), None).unwrap())
        });
    }
    group.finish();
}

fn search_and_add(c: &mut Criterion) {
    let n = 100_000;
    let f = fixture(n);
    let db_bytes = std::fs::metadata(f.paths.db()).unwrap().len();
    eprintln!(
        "size: passwords.db {db_bytes} bytes, CSV {} bytes, ratio {:.2} at {n} entries",
        f.csv_bytes,
        db_bytes as f64 / f.csv_bytes as f64
    );
    let mut vault = Vault::open_with_keys(&f.paths, f.keys.clone(), None).unwrap();

    let mut group = c.benchmark_group("vault_100k");
    group.bench_function("search_needle", |b| {
        b.iter(|| assert_eq!(vault.search(black_box("needle")).len(), 1))
    });
    group.bench_function("search_common_two_terms", |b| {
        b.iter(|| black_box(vault.search(black_box("mail backup"))))
    });
    group.sample_size(50);
    let mut i = 0u64;
    group.bench_function("add_one_entry", |b| {
        b.iter(|| {
            i += 1;
            let entry = Entry {
                title: format!("Bench entry {i}").into(),
                username: "bench@example.com".into(),
                password: "a benchmark password".into(),
                ..Default::default()
            };
            vault.add(entry).unwrap()
        })
    });
    group.finish();
}

criterion_group!(benches, unlock, search_and_add);
criterion_main!(benches);
