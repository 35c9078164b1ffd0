//! Speed of the key management operations (see README, "Speed"): changing
//! the master password in file-key mode, and rotating the data key of a
//! 100,000-entry vault. Both run the vault's KDF twice (checking the
//! current password, deriving from the new one); one KDF run is measured
//! apart so it can be subtracted.

mod dataset;

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use spm::core::kdf::{self, KdfParams, SaltFile};
use spm::core::keys::KeyMode;
use spm::core::paths::Paths;
use spm::core::vault::{CreateOptions, Credentials, SecondFactor, Vault, rekey};

const MASTER: &str = "benchmark master password";
const OTHER: &str = "another benchmark password";
const ROWS: usize = 100_000;

fn kdf_params() -> KdfParams {
    KdfParams::new(kdf::MIN_M_COST_KIB, kdf::MIN_T_COST, 1).unwrap()
}

fn credentials(password: &str) -> Credentials {
    Credentials {
        password: password.into(),
        key_file: None,
    }
}

fn vault(rows: usize) -> (tempfile::TempDir, Paths) {
    let dir = tempfile::tempdir().unwrap();
    let options = CreateOptions {
        key_mode: KeyMode::FileKey,
        key_file: None,
        kdf: kdf_params(),
    };
    let paths = Paths::portable(&dir.path().join("vault"));
    let mut vault = Vault::create(&paths, &MASTER.into(), &options, None).unwrap();
    if rows > 0 {
        vault.add_many(dataset::entries(rows)).unwrap();
    }
    drop(vault);
    (dir, paths)
}

fn benches(c: &mut Criterion) {
    let mut group = c.benchmark_group("keys");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(20));

    let salt = SaltFile::generate(kdf_params()).salt_bytes().unwrap();
    group.bench_function("kdf_once", |b| {
        b.iter(|| black_box(kdf::derive(&kdf_params(), &salt, &MASTER.into(), None).unwrap()))
    });

    let (_small, paths) = vault(10);
    let mut flip = false;
    group.bench_function("passwd_file_key", |b| {
        b.iter(|| {
            let (from, to) = if flip {
                (OTHER, MASTER)
            } else {
                (MASTER, OTHER)
            };
            flip = !flip;
            rekey::change_master_password(
                &paths,
                &credentials(from),
                SecondFactor::Absent,
                &to.into(),
                None,
                &mut |_, _| {},
            )
            .unwrap()
        })
    });

    let (_big, paths) = vault(ROWS);
    group.bench_function("rotate_100k", |b| {
        b.iter(|| {
            let rotated = rekey::rotate_data_key(
                &paths,
                &credentials(MASTER),
                SecondFactor::Absent,
                &mut |_, _| {},
            )
            .unwrap();
            assert!(rotated.records >= ROWS);
        })
    });
    group.finish();
}

criterion_group!(keys, benches);
criterion_main!(keys);
