//! Speed of backup, verification and restore at 100,000 entries (see
//! README, "Speed"). The vault is already unlocked for the backup; the
//! restore unlocks the staged vault once, so its figure includes one run of
//! the vault's KDF, which is measured apart to be subtracted.

mod dataset;

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::Duration;

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use spm::core::backup::{self, BackupOptions, restore};
use spm::core::kdf::{self, KdfParams};
use spm::core::keys::KeyMode;
use spm::core::lock::VaultLock;
use spm::core::paths::Paths;
use spm::core::vault::{CreateOptions, Credentials, Vault};

const MASTER: &str = "benchmark master password";
const ROWS: usize = 100_000;

fn kdf_params() -> KdfParams {
    KdfParams::new(kdf::MIN_M_COST_KIB, kdf::MIN_T_COST, 1).unwrap()
}

/// A 100,000-entry vault and one backup of it.
struct Fixture {
    _dir: tempfile::TempDir,
    vault: Vault,
    archive: PathBuf,
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let options = CreateOptions {
        key_mode: KeyMode::FileKey,
        key_file: None,
        kdf: kdf_params(),
    };
    let paths = Paths::portable(&dir.path().join("vault"));
    let mut vault = Vault::create(&paths, &MASTER.into(), &options, None).unwrap();
    vault.add_many(dataset::entries(ROWS)).unwrap();
    let out = dir.path().join("backups");
    let archive = backup::create(&vault, &out, &BackupOptions::default())
        .unwrap()
        .path;
    Fixture {
        _dir: dir,
        vault,
        archive,
    }
}

fn public_key(vault: &Vault) -> PathBuf {
    vault
        .paths()
        .data_dir
        .join(backup::signing::PUBLIC_KEY_FILE)
}

fn benches(c: &mut Criterion) {
    let fx = fixture();
    let mut group = c.benchmark_group("backup");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(30));

    group.bench_function("create_100k", |b| {
        b.iter_batched(
            || tempfile::tempdir().unwrap(),
            |out| {
                let info = backup::create(&fx.vault, out.path(), &BackupOptions::default());
                assert_eq!(info.unwrap().manifest.entry_count, ROWS as u64);
                out
            },
            BatchSize::PerIteration,
        )
    });

    let key = public_key(&fx.vault);
    group.bench_function("verify_100k", |b| {
        b.iter(|| {
            let report = backup::verify(&fx.archive, Some(&key));
            assert!(report.ok());
            black_box(report)
        })
    });

    group.bench_function("restore_100k_into_empty_dir", |b| {
        b.iter_batched(
            || tempfile::tempdir().unwrap(),
            |target| {
                restore_into(&fx.archive, &key, target.path());
                target
            },
            BatchSize::PerIteration,
        )
    });

    // The vault's own KDF, which the restore's unlock runs once.
    group.bench_function("vault_kdf_alone", |b| {
        let salt = [7u8; 32];
        let params = kdf_params();
        b.iter(|| black_box(kdf::derive(&params, &salt, &MASTER.into(), None).unwrap()))
    });
    group.finish();
}

fn restore_into(archive: &Path, key: &Path, dir: &Path) {
    let target = Paths::portable(dir);
    let credentials = Credentials {
        password: MASTER.into(),
        key_file: None,
    };
    let keys = restore::RestoreKeys {
        credentials: &credentials,
        passphrase: None,
    };
    let staged = restore::stage(archive, Some(key), &keys, &target).unwrap();
    assert_eq!(staged.entries, ROWS);
    let lock = VaultLock::acquire(&target.lock_file()).unwrap();
    restore::switch(staged, &target, &lock).unwrap();
}

criterion_group!(backup_benches, benches);
criterion_main!(backup_benches);
