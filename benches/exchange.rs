//! Speed of import and export at 100,000 entries (see README, "Speed"):
//! reading a 100,000-row CSV and writing it into an unlocked vault in one
//! transaction, and exporting 100,000 entries to `.spmx`. The KDF is not
//! part of either figure: the vault is already unlocked, and the export's
//! own Argon2id run is measured apart so it can be subtracted.

mod dataset;

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::Duration;

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use spm::core::exchange::{self, FileKey, Format, csv};
use spm::core::kdf::{self, KdfParams};
use spm::core::keys::KeyMode;
use spm::core::paths::Paths;
use spm::core::vault::{CreateOptions, DuplicatePolicy, Vault};

const MASTER: &str = "benchmark master password";
const ROWS: usize = 100_000;

fn fast_options() -> CreateOptions {
    CreateOptions {
        key_mode: KeyMode::FileKey,
        key_file: None,
        kdf: KdfParams::new(kdf::MIN_M_COST_KIB, kdf::MIN_T_COST, 1).unwrap(),
    }
}

/// The dataset's CSV file, or a synthetic one written to `dir`.
fn csv_file(dir: &Path) -> PathBuf {
    if let Some(data) = std::env::var_os("SPM_BENCH_DATASET_DIR") {
        let path = Path::new(&data).join(format!("entries_{ROWS}.csv"));
        if path.exists() {
            return path;
        }
    }
    let path = dir.join("entries.csv");
    std::fs::write(&path, dataset::csv_bytes(&dataset::synthetic(ROWS))).unwrap();
    path
}

fn read_csv(path: &Path) -> exchange::Parsed {
    let headers = csv::headers(path).unwrap();
    let mapping = csv::guess_mapping(&headers);
    exchange::read(
        path,
        Format::GenericCsv,
        &FileKey::default(),
        Some(&mapping),
        &mut |_| {},
    )
    .unwrap()
}

fn import(c: &mut Criterion) {
    let work = tempfile::tempdir().unwrap();
    let file = csv_file(work.path());
    let mut group = c.benchmark_group("import");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(30));

    group.bench_function("parse_csv_100k", |b| {
        b.iter(|| black_box(read_csv(&file).entries.len()))
    });
    group.bench_function("csv_100k_into_empty_vault", |b| {
        b.iter_batched(
            || {
                let dir = tempfile::tempdir().unwrap();
                let vault = Vault::create(
                    &Paths::portable(dir.path()),
                    &MASTER.into(),
                    &fast_options(),
                    None,
                )
                .unwrap();
                (dir, vault)
            },
            |(dir, mut vault)| {
                let parsed = read_csv(&file);
                let plan = vault.plan_import(parsed, DuplicatePolicy::Skip);
                let report = vault.apply_import(plan).unwrap();
                assert_eq!(report.added, ROWS);
                (dir, vault)
            },
            BatchSize::PerIteration,
        )
    });
    group.finish();
}

fn export(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let mut vault = Vault::create(
        &Paths::portable(dir.path()),
        &MASTER.into(),
        &fast_options(),
        None,
    )
    .unwrap();
    vault.add_many(dataset::entries(ROWS)).unwrap();
    let out = dir.path().join("export.spmx");
    let key = FileKey {
        password: Some("export passphrase".into()),
        key_file: None,
    };

    let mut group = c.benchmark_group("export");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(30));
    // The whole export with the default Argon2id settings...
    group.bench_function("spmx_100k_with_kdf", |b| {
        b.iter(|| {
            let (data, _) = vault.export_data(false).unwrap();
            exchange::write(&out, exchange::ExportFormat::Spmx, &data, &key).unwrap();
        })
    });
    // ...and that KDF alone, to subtract.
    group.bench_function("default_kdf_alone", |b| {
        let salt = [7u8; 32];
        let params = KdfParams::default();
        b.iter(|| {
            black_box(kdf::derive(&params, &salt, &"export passphrase".into(), None).unwrap())
        })
    });
    group.finish();
}

criterion_group!(benches, import, export);
criterion_main!(benches);
