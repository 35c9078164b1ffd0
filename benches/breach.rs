//! Offline breach lookups (see README, "Speed"): 10,000 lookups, half of
//! them listed, in a generated 1 GB Pwned Passwords file sorted by hash,
//! and the order check `OfflineFile::open` runs.
//!
//! The file is written into a temporary directory during setup (about
//! 21 million `HASH:COUNT` CRLF lines, deterministic content) and deleted
//! afterwards; with less than 3 GB free the bench says so and measures
//! nothing. Freshly written, the file is in the page cache, so the figure
//! is the warm one: a cold 40 GB file on disk adds one disk read for each
//! of the ~25 probes a lookup makes.

use std::hint::black_box;
use std::io::{BufWriter, Write};
use std::path::Path;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use spm::breach::OfflineFile;
use spm::core::audit::breach::Sha1;
use spm::core::fsio;

/// Lines in the generated file (about 1.0 GB at ~48 bytes a line).
const LINES: u64 = 21_000_000;
/// Lookups per measured iteration.
const LOOKUPS: u64 = 10_000;
/// Free space needed before generating the file.
const NEEDED: u64 = 3 * 1024 * 1024 * 1024;

/// A fixed, well-mixed function of `x` (SplitMix64's finaliser).
fn mix(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The hash on line `i`. Its first eight bytes lie in the `i`-th of
/// `LINES` equal slices of the 64-bit range, so the lines are sorted.
fn line_hash(i: u64) -> Sha1 {
    let step = u64::MAX / LINES;
    let mut hash = [0u8; 20];
    hash[..8].copy_from_slice(&(i * step + mix(i) % step).to_be_bytes());
    hash[8..16].copy_from_slice(&mix(i ^ 0xA5A5).to_be_bytes());
    hash[16..].copy_from_slice(&mix(i ^ 0x5A5A).to_be_bytes()[..4]);
    hash
}

fn line_count(i: u64) -> u64 {
    1 + mix(i.rotate_left(17)) % 100_000
}

/// Writes the sorted file; returns its size in bytes.
fn generate(path: &Path) -> std::io::Result<u64> {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = BufWriter::with_capacity(1 << 20, std::fs::File::create(path)?);
    let mut line = Vec::with_capacity(64);
    let mut size = 0;
    for i in 0..LINES {
        line.clear();
        for byte in line_hash(i) {
            line.extend_from_slice(&[HEX[usize::from(byte >> 4)], HEX[usize::from(byte & 15)]]);
        }
        write!(line, ":{}\r\n", line_count(i))?;
        out.write_all(&line)?;
        size += line.len() as u64;
    }
    out.flush()?;
    Ok(size)
}

/// Half listed hashes (evenly spread), half unlisted ones beside them.
fn queries() -> Vec<(Sha1, Option<u64>)> {
    (0..LOOKUPS)
        .map(|k| {
            let i = k * (LINES / LOOKUPS);
            if k % 2 == 0 {
                (line_hash(i), Some(line_count(i)))
            } else {
                let mut unlisted = line_hash(i);
                unlisted[19] ^= 0xFF;
                (unlisted, None)
            }
        })
        .collect()
}

fn offline_lookups(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let free = fsio::available_bytes(dir.path()).unwrap_or(0);
    if free < NEEDED {
        eprintln!(
            "breach bench skipped: needs 3 GB free in {}, has {} MB",
            dir.path().display(),
            free / (1024 * 1024)
        );
        return;
    }
    let path = dir.path().join("pwned-passwords-sha1-ordered-by-hash.txt");
    let started = Instant::now();
    let size = generate(&path).expect("the generated file is written");
    eprintln!(
        "generated {:.2} GB ({LINES} lines) in {:.1} s",
        size as f64 / 1e9,
        started.elapsed().as_secs_f64()
    );

    let file = OfflineFile::open(&path).expect("the generated file is sorted");
    let queries = queries();
    // Correctness before speed: every answer must be the expected one.
    for (hash, expected) in &queries {
        assert_eq!(file.lookup(hash).expect("lookup"), *expected);
    }

    let mut group = c.benchmark_group("breach_offline");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(10));
    group.bench_function("10000 lookups, 1 GB file", |b| {
        b.iter(|| {
            for (hash, _) in &queries {
                black_box(file.lookup(hash).expect("lookup"));
            }
        })
    });
    group.bench_function("open with order check, 1 GB file", |b| {
        b.iter(|| black_box(OfflineFile::open(&path).expect("open")))
    });
    group.finish();
}

criterion_group!(benches, offline_lookups);
criterion_main!(benches);
