//! Speed of the Browser Bridge (see README, "Speed"): one credential query
//! for a remembered origin against a 10,000-entry vault over loopback
//! HTTP, and a load test of 8 concurrent clients on distinct origins that
//! reports the median, the 99th percentile and requests per second.

mod dataset;

use std::io::{Read, Write};
use std::net::{IpAddr, Ipv4Addr, TcpStream};
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use spm::bridge::api;
use spm::bridge::endpoints::{Bridge, EndpointConfig};
use spm::bridge::link::{BridgeMessage, Link};
use spm::bridge::owner::Owner;
use spm::bridge::server::{Server, ServerConfig};
use spm::core::bridge::approvals::ApprovalStore;
use spm::core::bridge::origin::parse_origin;
use spm::core::bridge::pairing;
use spm::core::kdf::{self, KdfParams};
use spm::core::keys::KeyMode;
use spm::core::paths::Paths;
use spm::core::secret::SecretString;
use spm::core::vault::{CreateOptions, Vault};

const ENTRIES: usize = 10_000;
const CLIENTS: usize = 8;
const FINGERPRINT: &str = "bench-fp";

struct Rig {
    _dir: tempfile::TempDir,
    server: Server,
    token: String,
}

/// The origin of entry `i` (every entry gets a site of its own, so the
/// load test's clients never share an origin's rate limit).
fn origin(i: usize) -> String {
    format!("https://bench{i}.example")
}

fn rig() -> Rig {
    let dir = tempfile::tempdir().unwrap();
    let paths = Paths::portable(dir.path());
    let options = CreateOptions {
        key_mode: KeyMode::FileKey,
        key_file: None,
        kdf: KdfParams::new(kdf::MIN_M_COST_KIB, kdf::MIN_T_COST, 1).unwrap(),
    };
    let mut vault = Vault::create(&paths, &"bench master".into(), &options, None).unwrap();
    let mut entries = dataset::entries(ENTRIES);
    for (i, entry) in entries.iter_mut().enumerate().take(1000) {
        entry.urls = vec![SecretString::new(origin(i))];
    }
    vault.add_many(entries).unwrap();

    let (link, receiver) = Link::new(|| {});
    std::thread::spawn(move || {
        let mut owner = Owner::default();
        for message in receiver {
            if let BridgeMessage::Vault(call) = message {
                owner.answer(Some(&mut vault), call);
            }
        }
    });
    let bridge = Arc::new(Bridge::new(
        paths.clone(),
        // The query path is what is measured here; the per-site limit
        // (5 a second, tested elsewhere) would answer most of a tight
        // loop with 429.
        EndpointConfig {
            queries_per_second: usize::MAX,
            ..EndpointConfig::default()
        },
        link,
        Arc::new(AtomicBool::new(false)),
        Arc::new(spm::core::time::now_unix),
    ));
    let server = Server::start(
        &ServerConfig::loopback(IpAddr::V4(Ipv4Addr::LOCALHOST), 0),
        Arc::new(move |request, port| api::route(request, port, bridge.as_ref())),
    )
    .unwrap();
    let now = spm::core::time::now_unix();
    let mut approvals = ApprovalStore::load(&paths.approval_store()).unwrap();
    for i in 0..1000 {
        approvals
            .allow_ahead(&parse_origin(&origin(i)).unwrap(), 0, now)
            .unwrap();
    }
    let code = pairing::open_window(&paths.bridge_pairing(), 120, now).unwrap();
    let body = format!(
        r#"{{"code":"{}","browser":"bench","fingerprint":"{FINGERPRINT}"}}"#,
        code.expose()
    );
    let answer = post(server.addr().port(), "/v1/pair", None, &body);
    let token = answer
        .split("\"token\":\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap()
        .to_owned();
    Rig {
        _dir: dir,
        server,
        token,
    }
}

fn post(port: u16, path: &str, token: Option<&str>, body: &str) -> String {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    let auth = token
        .map(|t| format!("Authorization: Bearer {t}\r\nX-Bridge-Fingerprint: {FINGERPRINT}\r\n"))
        .unwrap_or_default();
    let request = format!(
        "POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n{auth}Content-Length: {}\r\n\
         Connection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    answer
}

fn query(rig: &Rig, i: usize) -> String {
    let body = format!(r#"{{"origin":"{}"}}"#, origin(i));
    post(
        rig.server.addr().port(),
        "/v1/credentials/query",
        Some(&rig.token),
        &body,
    )
}

fn benches(c: &mut Criterion) {
    let rig = rig();
    let mut group = c.benchmark_group("bridge");
    // One origin per iteration, cycling, so the rate limit never answers.
    let mut next = 0;
    group.bench_function("query_remembered_origin_10k_entries", |b| {
        b.iter(|| {
            next = (next + 1) % 1000;
            let answer = query(&rig, next);
            assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
        })
    });
    group.finish();
    load_test(&rig);
}

/// 8 clients, each on origins of its own, for a few seconds: the latency
/// distribution and the throughput, printed.
fn load_test(rig: &Rig) {
    let started = Instant::now();
    let run_for = Duration::from_secs(5);
    let rig = Arc::new(rig);
    let latencies: Vec<Duration> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..CLIENTS)
            .map(|client| {
                let rig = rig.clone();
                scope.spawn(move || {
                    let mut seen = Vec::new();
                    let mut n = 0;
                    while started.elapsed() < run_for {
                        // 125 origins per client, 4 requests a second each at
                        // most: well under the per-origin limit.
                        let i = client * 125 + n % 125;
                        n += 1;
                        let t = Instant::now();
                        let answer = query(&rig, i);
                        seen.push(t.elapsed());
                        assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
                    }
                    seen
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().unwrap())
            .collect()
    });
    let elapsed = started.elapsed();
    let mut sorted = latencies.clone();
    sorted.sort();
    let at = |q: f64| sorted[((sorted.len() as f64 - 1.0) * q) as usize];
    println!(
        "bridge load test: {} requests from {CLIENTS} clients in {:.2} s = {:.0} requests/s; \
         median {:.2} ms, p99 {:.2} ms",
        sorted.len(),
        elapsed.as_secs_f64(),
        sorted.len() as f64 / elapsed.as_secs_f64(),
        at(0.5).as_secs_f64() * 1000.0,
        at(0.99).as_secs_f64() * 1000.0
    );
}

criterion_group!(bridge_benches, benches);
criterion_main!(bridge_benches);
