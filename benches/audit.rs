//! Speed of a full security audit of 10,000 entries with a warm breach
//! cache and no network (see README, "Speed"): strength of every password,
//! reuse, duplicates, expiry, age, and one cache answer per password.

mod dataset;

use std::collections::BTreeMap;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use spm::breach::{BreachChecker, BreachConfig};
use spm::core::audit::breach::{hex_upper, sha1_of};
use spm::core::kdf::{self, KdfParams};
use spm::core::keys::KeyMode;
use spm::core::paths::Paths;
use spm::core::settings::Settings;
use spm::core::vault::{CreateOptions, Vault};

const ENTRIES: usize = 10_000;

fn audit(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let paths = Paths::portable(dir.path());
    let options = CreateOptions {
        key_mode: KeyMode::FileKey,
        key_file: None,
        kdf: KdfParams::new(kdf::MIN_M_COST_KIB, kdf::MIN_T_COST, 1).unwrap(),
    };
    let mut vault = Vault::create(&paths, &"bench".into(), &options, None).unwrap();
    vault.add_many(dataset::entries(ENTRIES)).unwrap();

    // A warm cache: every prefix the passwords need, fetched just now, with
    // every tenth password listed as breached.
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let mut prefixes: BTreeMap<String, serde_json::Value> = BTreeMap::new();
    for (i, entry) in vault.entries().iter().enumerate() {
        let hash = hex_upper(&sha1_of(entry.password.expose()));
        let slot = prefixes
            .entry(hash[..5].to_owned())
            .or_insert_with(|| serde_json::json!({"fetched_at": now, "rows": {}}));
        if i % 10 == 0 {
            slot["rows"][&hash[5..]] = serde_json::json!(3);
        }
    }
    let cache = serde_json::json!({"version": 1, "prefixes": prefixes});
    std::fs::create_dir_all(&paths.cache_dir).unwrap();
    std::fs::write(paths.breach_cache(), cache.to_string()).unwrap();

    // Any request would go to a closed port on this machine and fail; the
    // check below proves none is made.
    let mut config = BreachConfig::from_settings(&Settings::default(), &paths);
    config.api_url = "http://127.0.0.1:9/range/".to_owned();
    let checker = BreachChecker::new(config);
    let report = vault.audit(Some(&checker), 365, &|_, _| {}).unwrap();
    assert_eq!(
        report.counts.breach_unknown, 0,
        "the cache answered everything"
    );
    assert!(report.counts.breached >= ENTRIES / 10 - 50);

    let mut group = c.benchmark_group("audit");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(30));
    group.bench_function("full_10k_warm_cache", |b| {
        b.iter(|| vault.audit(Some(&checker), 365, &|_, _| {}).unwrap())
    });
    group.finish();
}

criterion_group!(benches, audit);
criterion_main!(benches);
