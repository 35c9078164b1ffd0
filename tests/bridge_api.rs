//! The bridge's endpoints over a real server and a real vault, with the
//! vault owner played by a thread in the test: an injected clock for token
//! expiry, a locked vault, an approval nobody answers, and many clients at
//! once.

mod common;

use std::io::{Read, Write};
use std::net::{IpAddr, Ipv4Addr, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};
use spm::bridge::api;
use spm::bridge::endpoints::{Bridge, EndpointConfig};
use spm::bridge::link::{Approval, BridgeMessage, Link};
use spm::bridge::owner::Owner;
use spm::bridge::server::{Server, ServerConfig};
use spm::core::bridge::approvals::ApprovalStore;
use spm::core::bridge::origin::parse_origin;
use spm::core::bridge::pairing;
use spm::core::entries::Entry;
use spm::core::keys::KeyMode;
use spm::core::paths::Paths;
use spm::core::secret::SecretString;
use spm::core::vault::Vault;

const FINGERPRINT: &str = "fp-test";
const T0: i64 = 1_800_000_000;

/// A vault, a bridge over it, and an owner thread answering vault calls
/// (prompts get `prompt_answer`, or no answer at all).
struct Rig {
    _dir: tempfile::TempDir,
    paths: Paths,
    server: Server,
    clock: Arc<AtomicI64>,
    locked: Arc<AtomicBool>,
    prompts: Arc<Mutex<Vec<String>>>,
}

impl Rig {
    fn new(entries: usize, prompt_answer: Option<Approval>, config: EndpointConfig) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let paths = Paths::portable(dir.path());
        let mut vault = Vault::create(
            &paths,
            &common::MASTER.into(),
            &common::fast_options(KeyMode::FileKey),
            None,
        )
        .unwrap();
        let logins: Vec<Entry> = (0..entries)
            .map(|i| Entry {
                title: SecretString::new(format!("Site {i}")),
                username: SecretString::new(format!("user{i}")),
                password: SecretString::new(format!("pw-{i}")),
                urls: vec![SecretString::new(format!("https://site{i}.example"))],
                ..Entry::default()
            })
            .collect();
        vault.add_many(logins).unwrap();

        let (link, receiver) = Link::new(|| {});
        let clock = Arc::new(AtomicI64::new(T0));
        let locked = Arc::new(AtomicBool::new(false));
        let prompts = Arc::new(Mutex::new(Vec::new()));
        let seen = prompts.clone();
        let is_locked = locked.clone();
        std::thread::spawn(move || {
            let mut held = Vec::new();
            let mut owner = Owner::default();
            for message in receiver {
                match message {
                    BridgeMessage::Vault(call) => {
                        let open = (!is_locked.load(Ordering::SeqCst)).then_some(&mut vault);
                        owner.answer(open, call);
                    }
                    BridgeMessage::Approve(prompt) => {
                        seen.lock().unwrap().push(prompt.origin.clone());
                        match prompt_answer {
                            Some(answer) => {
                                let _ = prompt.reply.send(answer);
                            }
                            None => held.push(prompt),
                        }
                    }
                    BridgeMessage::ClearClipboard { reply } => {
                        let _ = reply.send(true);
                    }
                }
            }
        });
        let now = clock.clone();
        let bridge = Arc::new(Bridge::new(
            paths.clone(),
            config,
            link,
            locked.clone(),
            Arc::new(move || now.load(Ordering::SeqCst)),
        ));
        let mut server_config = ServerConfig::loopback(IpAddr::V4(Ipv4Addr::LOCALHOST), 0);
        server_config.workers = 8;
        let server = Server::start(
            &server_config,
            Arc::new(move |request, port| api::route(request, port, bridge.as_ref())),
        )
        .unwrap();
        Self {
            _dir: dir,
            paths,
            server,
            clock,
            locked,
            prompts,
        }
    }

    fn port(&self) -> u16 {
        self.server.addr().port()
    }

    fn pair(&self) -> String {
        let now = self.clock.load(Ordering::SeqCst);
        let code = pairing::open_window(&self.paths.bridge_pairing(), 120, now).unwrap();
        let body = json!({"code": code.expose(), "browser": "Test", "fingerprint": FINGERPRINT});
        let (status, answer) = post(self.port(), "/v1/pair", None, &body);
        assert_eq!(status, 200, "{answer}");
        answer["token"].as_str().unwrap().to_owned()
    }

    fn allow(&self, origin: &str) {
        let mut store = ApprovalStore::load(&self.paths.approval_store()).unwrap();
        let page = parse_origin(origin).unwrap();
        store
            .allow_ahead(&page, 0, self.clock.load(Ordering::SeqCst))
            .unwrap();
    }
}

fn post(port: u16, path: &str, token: Option<&str>, body: &Value) -> (u16, Value) {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .unwrap();
    let body = body.to_string();
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
    let _ = stream.read_to_string(&mut answer);
    let status = answer
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let text = answer.split("\r\n\r\n").nth(1).unwrap_or("");
    (status, serde_json::from_str(text).unwrap_or(Value::Null))
}

fn code_of(answer: &Value) -> &str {
    answer["error"]["code"].as_str().unwrap_or("")
}

#[test]
fn a_token_expires_after_its_lifetime_by_the_injected_clock() {
    let config = EndpointConfig {
        token_ttl_hours: 24,
        ..EndpointConfig::default()
    };
    let rig = Rig::new(3, Some(Approval::Once), config);
    let token = rig.pair();
    let origin = json!({"origin": "https://site1.example"});
    let (status, answer) = post(rig.port(), "/v1/credentials/query", Some(&token), &origin);
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["entries"][0]["password"], "pw-1");

    rig.clock.store(T0 + 24 * 3600, Ordering::SeqCst);
    let (status, answer) = post(rig.port(), "/v1/credentials/query", Some(&token), &origin);
    assert_eq!(
        (status, code_of(&answer)),
        (401, "TOKEN_EXPIRED"),
        "{answer}"
    );
}

#[test]
fn while_the_vault_is_locked_credential_endpoints_answer_423() {
    let rig = Rig::new(3, Some(Approval::Once), EndpointConfig::default());
    let token = rig.pair();
    rig.allow("https://site1.example");
    rig.locked.store(true, Ordering::SeqCst);
    for path in ["/v1/credentials/query", "/v1/credentials/store"] {
        let body = json!({"origin": "https://site1.example", "username": "u", "password": "p"});
        let body = if path.ends_with("query") {
            json!({"origin": "https://site1.example"})
        } else {
            body
        };
        let (status, answer) = post(rig.port(), path, Some(&token), &body);
        assert_eq!(
            (status, code_of(&answer)),
            (423, "LOCKED"),
            "{path}: {answer}"
        );
    }
    assert!(
        rig.prompts.lock().unwrap().is_empty(),
        "no prompt while locked"
    );
    // The status says so without a token.
    let (status, answer) = {
        let mut stream = TcpStream::connect(("127.0.0.1", rig.port())).unwrap();
        let request = format!(
            "GET /v1/status HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nConnection: close\r\n\r\n",
            rig.port()
        );
        stream.write_all(request.as_bytes()).unwrap();
        let mut text = String::new();
        stream.read_to_string(&mut text).unwrap();
        let body = text.split("\r\n\r\n").nth(1).unwrap_or("").to_owned();
        (
            text.contains(" 200 "),
            serde_json::from_str::<Value>(&body).unwrap(),
        )
    };
    assert!(status);
    assert_eq!(answer["locked"], true);
}

#[test]
fn an_unanswered_approval_times_out_with_403() {
    let config = EndpointConfig {
        approval_timeout: Duration::from_millis(300),
        ..EndpointConfig::default()
    };
    let rig = Rig::new(2, None, config);
    let token = rig.pair();
    let (status, answer) = post(
        rig.port(),
        "/v1/credentials/query",
        Some(&token),
        &json!({"origin": "https://site0.example"}),
    );
    assert_eq!(
        (status, code_of(&answer)),
        (403, "APPROVAL_TIMEOUT"),
        "{answer}"
    );
    assert_eq!(
        rig.prompts.lock().unwrap().as_slice(),
        ["https://site0.example"]
    );
}

#[test]
fn clipboard_clear_and_audit_reports_need_a_token_and_are_answered() {
    let rig = Rig::new(1, None, EndpointConfig::default());
    let token = rig.pair();
    let (status, _) = post(rig.port(), "/v1/clipboard/clear", None, &json!({}));
    assert_eq!(status, 401);
    let (status, answer) = post(rig.port(), "/v1/clipboard/clear", Some(&token), &json!({}));
    assert_eq!((status, answer["cleared"].as_bool()), (200, Some(true)));
    let report = json!({"event": "autofill_failed", "origin": "https://site0.example"});
    let (status, _) = post(rig.port(), "/v1/audit/report", Some(&token), &report);
    assert_eq!(status, 202);
    let (status, _) = post(
        rig.port(),
        "/v1/audit/report",
        Some(&token),
        &json!({"event": ""}),
    );
    assert_eq!(status, 400);
}

#[test]
fn fifty_clients_with_a_hundred_requests_each_get_correct_answers_or_designed_429s() {
    const CLIENTS: usize = 50;
    const REQUESTS: usize = 100;
    let rig = Rig::new(CLIENTS, None, EndpointConfig::default());
    let token = Arc::new(rig.pair());
    for i in 0..CLIENTS {
        rig.allow(&format!("https://site{i}.example"));
    }
    let port = rig.port();
    let clients: Vec<_> = (0..CLIENTS)
        .map(|i| {
            let token = token.clone();
            std::thread::spawn(move || {
                let origin = json!({"origin": format!("https://site{i}.example")});
                let mut counts = (0, 0);
                for _ in 0..REQUESTS {
                    let (status, answer) =
                        post(port, "/v1/credentials/query", Some(&token), &origin);
                    match status {
                        200 => {
                            let entries = answer["entries"].as_array().unwrap();
                            assert_eq!(entries.len(), 1, "{answer}");
                            assert_eq!(entries[0]["password"], format!("pw-{i}"));
                            counts.0 += 1;
                        }
                        429 => counts.1 += 1,
                        other => panic!("client {i}: {other} {answer}"),
                    }
                }
                counts
            })
        })
        .collect();
    let mut served = 0;
    for client in clients {
        let (ok, limited) = client.join().unwrap();
        assert!(ok >= 5, "each origin gets its five a second");
        served += ok + limited;
    }
    assert_eq!(served, CLIENTS * REQUESTS);
    assert!(rig.prompts.lock().unwrap().is_empty());
}
