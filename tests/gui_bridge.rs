//! The Browser Bridge inside the window, driven with egui_kittest through
//! widget labels while a test client talks to the real service on
//! loopback: approval popups and their four answers, the locked window,
//! pairing and revoking from Settings, starting and stopping, a port in
//! use, and saving a login from the browser.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};
use serde_json::{Value, json};
use spm::core::bridge::approvals::{ApprovalStore, Decision};
use spm::core::bridge::origin::parse_origin;
use spm::core::bridge::tokens::TokenStore;
use spm::core::entries::Entry;
use spm::core::keys::KeyMode;
use spm::core::paths::Paths;
use spm::core::secret::SecretString;
use spm::core::vault::Vault;
use spm::ui::app::App;
use spm::ui::clipboard::MemoryClipboard;

mod common;

const FINGERPRINT: &str = "fp-window-test";

/// A port nobody listens on right now.
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A vault with logins for two sites, the bridge enabled on `port`, and a
/// token for a test browser (returned).
fn vault_with_bridge(dir: &Path, port: u16) -> String {
    let paths = Paths::portable(dir);
    let mut vault = Vault::create(
        &paths,
        &common::MASTER.into(),
        &common::fast_options(KeyMode::FileKey),
        None,
    )
    .unwrap();
    for (title, user, url) in [
        ("Example", "alice", "https://example.com"),
        ("Shop", "bob", "https://shop.test"),
    ] {
        vault
            .add(Entry {
                title: SecretString::new(title.to_owned()),
                username: SecretString::new(user.to_owned()),
                password: SecretString::new(format!("pw-{user}")),
                urls: vec![SecretString::new(url.to_owned())],
                ..Entry::default()
            })
            .unwrap();
    }
    drop(vault);
    let settings = json!({
        "backup": {"auto": false},
        "breach": {"enabled": false},
        "browser_bridge": {"enabled": true, "port": port},
    });
    std::fs::write(dir.join("settings.json"), settings.to_string()).unwrap();
    let mut tokens = TokenStore::load(&paths.bridge_tokens()).unwrap();
    let (token, _) = tokens
        .issue("Chromium", FINGERPRINT, 24, spm::core::time::now_unix())
        .unwrap();
    token.expose().to_owned()
}

fn harness(dir: &Path) -> Harness<'static, App> {
    let app = App::new(Paths::portable(dir), Box::new(MemoryClipboard::default()));
    Harness::builder()
        .with_size([1280.0, 800.0])
        .with_max_steps(32)
        .build_ui_state(|ui, app: &mut App| app.frame(ui), app)
}

fn settle(h: &mut Harness<'_, App>) {
    let deadline = Instant::now() + Duration::from_secs(60);
    h.step();
    while h.state().is_busy() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
        h.step();
    }
    h.run_steps(4);
}

fn unlock(h: &mut Harness<'_, App>) {
    h.get_by_label("Master password").focus();
    h.run_steps(2);
    h.get_by_label("Master password").type_text(common::MASTER);
    h.run_steps(2);
    h.get_by_label("Unlock").click();
    settle(h);
    assert!(h.state().vault().is_some(), "the vault did not unlock");
}

fn click(h: &mut Harness<'_, App>, label: &str) {
    h.get_by_label(label).click();
    h.run_steps(6);
}

/// Steps frames until `done`, for at most a minute.
#[track_caller]
fn step_until(h: &mut Harness<'_, App>, what: &str, done: impl Fn(&Harness<'_, App>) -> bool) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        if done(h) {
            return;
        }
        std::thread::sleep(Duration::from_millis(10));
        h.step();
    }
    panic!("{what} never happened");
}

/// Steps frames (the window answers the bridge between them) until the
/// client thread has its answer.
fn answer_of(h: &mut Harness<'_, App>, client: JoinHandle<(u16, Value)>) -> (u16, Value) {
    step_until(h, "the client's answer", |_| client.is_finished());
    client.join().unwrap()
}

fn post(port: u16, path: &str, token: Option<&str>, body: &Value) -> (u16, Value) {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(90)))
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

/// Sends a credential query from another thread.
fn query(port: u16, token: &str, origin: &str) -> JoinHandle<(u16, Value)> {
    let token = token.to_owned();
    let body = json!({ "origin": origin });
    std::thread::spawn(move || post(port, "/v1/credentials/query", Some(&token), &body))
}

fn code_of(answer: &Value) -> &str {
    answer["error"]["code"].as_str().unwrap_or("")
}

fn usernames(answer: &Value) -> Vec<String> {
    answer["entries"]
        .as_array()
        .map(|entries| {
            entries
                .iter()
                .map(|e| e["username"].as_str().unwrap_or("").to_owned())
                .collect()
        })
        .unwrap_or_default()
}

fn remembered(dir: &Path, origin: &str) -> Option<Decision> {
    let store = ApprovalStore::load(&Paths::portable(dir).approval_store()).unwrap();
    let page = parse_origin(origin).unwrap();
    store
        .list()
        .iter()
        .find(|a| a.origin == page)
        .map(|a| a.decision)
}

/// Opens Settings > Browser Bridge.
fn bridge_page(h: &mut Harness<'_, App>) {
    let tab = h
        .get_all_by_role_and_label(Role::Button, "Settings")
        .last()
        .unwrap();
    tab.click();
    h.run_steps(4);
    click(h, "Browser Bridge");
}

fn opened(dir: &Path) -> (Harness<'static, App>, u16) {
    let mut h = harness(dir);
    h.run_steps(2);
    unlock(&mut h);
    let port = h.state().bridge_addr().expect("the bridge started").port();
    (h, port)
}

#[test]
fn remember_and_approve_answers_the_query_and_the_next_one_asks_no_more() {
    let dir = tempfile::tempdir().unwrap();
    let token = vault_with_bridge(dir.path(), free_port());
    let (mut h, port) = opened(dir.path());

    let client = query(port, &token, "https://login.example.com");
    step_until(&mut h, "the approval popup", |h| {
        h.query_by_label("Remember & approve").is_some()
    });
    assert!(
        h.query_by_label_contains("https://login.example.com")
            .is_some(),
        "the popup names the origin"
    );
    assert!(h.query_by_label_contains("1 entry matches").is_some());
    assert!(h.query_by_label_contains("Chromium").is_some());
    click(&mut h, "Remember & approve");
    let (status, answer) = answer_of(&mut h, client);
    assert_eq!(status, 200, "{answer}");
    assert_eq!(usernames(&answer), ["alice"]);
    assert_eq!(answer["entries"][0]["password"], "pw-alice");
    assert_eq!(
        remembered(dir.path(), "https://login.example.com"),
        Some(Decision::Allow)
    );

    // The next query from the same origin is answered without a popup.
    let client = query(port, &token, "https://login.example.com");
    let mut popped = false;
    let deadline = Instant::now() + Duration::from_secs(60);
    while !client.is_finished() && Instant::now() < deadline {
        popped |= h.state().approvals_waiting() > 0;
        std::thread::sleep(Duration::from_millis(10));
        h.step();
    }
    let (status, answer) = client.join().unwrap();
    assert_eq!(status, 200, "{answer}");
    assert_eq!(usernames(&answer), ["alice"]);
    assert!(!popped, "a remembered origin asked again");
}

#[test]
fn approve_once_and_deny_once_remember_nothing_and_remember_and_deny_refuses_later_without_asking()
{
    let dir = tempfile::tempdir().unwrap();
    let token = vault_with_bridge(dir.path(), free_port());
    let (mut h, port) = opened(dir.path());
    let origin = "https://shop.test";

    let client = query(port, &token, origin);
    step_until(&mut h, "the popup", |h| {
        h.query_by_label("Approve once").is_some()
    });
    click(&mut h, "Approve once");
    let (status, answer) = answer_of(&mut h, client);
    assert_eq!((status, usernames(&answer)), (200, vec!["bob".to_owned()]));
    assert_eq!(remembered(dir.path(), origin), None);

    let client = query(port, &token, origin);
    step_until(&mut h, "the popup again", |h| {
        h.query_by_label("Deny once").is_some()
    });
    click(&mut h, "Deny once");
    let (status, answer) = answer_of(&mut h, client);
    assert_eq!(status, 403, "{answer}");
    assert!(answer.get("entries").is_none(), "a denial holds no entries");
    assert_eq!(remembered(dir.path(), origin), None);

    let client = query(port, &token, origin);
    step_until(&mut h, "the popup a third time", |h| {
        h.query_by_label("Remember & deny").is_some()
    });
    click(&mut h, "Remember & deny");
    let (status, _) = answer_of(&mut h, client);
    assert_eq!(status, 403);
    assert_eq!(remembered(dir.path(), origin), Some(Decision::Deny));

    let client = query(port, &token, origin);
    let (status, answer) = answer_of(&mut h, client);
    assert_eq!(status, 403, "{answer}");
    assert_eq!(
        h.state().approvals_waiting(),
        0,
        "no popup for a remembered denial"
    );
}

#[test]
fn waiting_requests_show_one_popup_at_a_time() {
    let dir = tempfile::tempdir().unwrap();
    let token = vault_with_bridge(dir.path(), free_port());
    let (mut h, port) = opened(dir.path());
    // Away from the list, whose URL column names the same sites.
    let tab = h
        .get_all_by_role_and_label(Role::Button, "Settings")
        .last()
        .unwrap();
    tab.click();
    h.run_steps(4);

    let first = query(port, &token, "https://example.com");
    step_until(&mut h, "the first popup", |h| {
        h.state().approvals_waiting() == 1
    });
    let second = query(port, &token, "https://shop.test");
    step_until(&mut h, "the second request to queue", |h| {
        h.state().approvals_waiting() == 2
    });
    h.run_steps(2);
    assert_eq!(h.query_all_by_label("Approve once").count(), 1);
    assert!(
        h.query_by_label_contains("1 more request waiting")
            .is_some()
    );
    assert!(h.query_by_label("https://example.com").is_some());

    click(&mut h, "Approve once");
    let (status, answer) = answer_of(&mut h, first);
    assert_eq!(
        (status, usernames(&answer)),
        (200, vec!["alice".to_owned()])
    );
    step_until(&mut h, "the second popup", |h| {
        h.query_by_label("https://shop.test").is_some()
    });
    assert!(h.query_by_label_contains("more request").is_none());
    click(&mut h, "Deny once");
    let (status, _) = answer_of(&mut h, second);
    assert_eq!(status, 403);
}

#[test]
fn before_unlocking_the_window_answers_423_and_locking_again_does_too() {
    let dir = tempfile::tempdir().unwrap();
    let token = vault_with_bridge(dir.path(), free_port());
    let mut h = harness(dir.path());
    h.run_steps(2);
    let port = h
        .state()
        .bridge_addr()
        .expect("the bridge starts before unlocking")
        .port();

    let (status, answer) = answer_of(&mut h, query(port, &token, "https://example.com"));
    assert_eq!((status, code_of(&answer)), (423, "LOCKED"), "{answer}");
    assert_eq!(h.state().approvals_waiting(), 0);

    unlock(&mut h);
    let client = query(port, &token, "https://example.com");
    step_until(&mut h, "the popup", |h| h.state().approvals_waiting() == 1);
    // Locking while a prompt waits denies it.
    h.state_mut().pretend_idle(Duration::from_secs(24 * 3600));
    let (status, answer) = answer_of(&mut h, client);
    assert_eq!(status, 403, "{answer}");
    assert!(h.state().vault().is_none(), "the window locked");
    let (status, answer) = answer_of(&mut h, query(port, &token, "https://example.com"));
    assert_eq!((status, code_of(&answer)), (423, "LOCKED"), "{answer}");
}

#[test]
fn pairing_from_settings_shows_a_code_that_pairs_and_revoke_ends_the_token() {
    let dir = tempfile::tempdir().unwrap();
    vault_with_bridge(dir.path(), free_port());
    let paths = Paths::portable(dir.path());
    let (mut h, port) = opened(dir.path());
    bridge_page(&mut h);
    assert!(
        h.query_by_label_contains("Listening on 127.0.0.1")
            .is_some()
    );
    click(&mut h, "Pair new extension");
    step_until(&mut h, "the code", |h| {
        h.query_by_label_contains("Enter this code").is_some()
    });
    // The code is shown as two groups of three digits.
    let code: String = h
        .query_all(egui_kittest::kittest::by().predicate(|node| {
            let text = node.value().unwrap_or_default();
            text.len() == 7 && text.chars().filter(char::is_ascii_digit).count() == 6
        }))
        .next()
        .map(|node| node.accesskit_node().value().unwrap_or_default())
        .expect("a six-digit code on screen")
        .replace(' ', "");
    assert!(h.query_by_label_contains("Valid for").is_some());

    let body = json!({"code": code, "browser": "Firefox", "fingerprint": FINGERPRINT});
    let (status, answer) = post(port, "/v1/pair", None, &body);
    assert_eq!(status, 200, "{answer}");
    let token = answer["token"].as_str().unwrap().to_owned();
    step_until(&mut h, "the new extension in the list", |h| {
        h.query_by_label("Firefox").is_some()
    });
    assert!(
        h.query_by_label_contains("Enter this code").is_none(),
        "the code is used up"
    );

    let mut approvals = ApprovalStore::load(&paths.approval_store()).unwrap();
    let page = parse_origin("https://example.com").unwrap();
    approvals
        .allow_ahead(&page, 0, spm::core::time::now_unix())
        .unwrap();
    let (status, _) = answer_of(&mut h, query(port, &token, "https://example.com"));
    assert_eq!(status, 200);

    h.get_by_label("Revoke the token of Firefox").click();
    h.run_steps(6);
    let (status, answer) = answer_of(&mut h, query(port, &token, "https://example.com"));
    assert_eq!(status, 401, "{answer}");
    let left: Vec<String> = TokenStore::load(&paths.bridge_tokens())
        .unwrap()
        .list()
        .into_iter()
        .map(|t| t.browser)
        .collect();
    assert_eq!(left, ["Chromium"]);

    // Remembered decisions are listed and revoked the same way.
    step_until(&mut h, "the remembered site", |h| {
        h.query_by_label("https://example.com").is_some()
    });
    h.get_by_label("Forget the decision for https://example.com")
        .click();
    h.run_steps(6);
    assert_eq!(remembered(dir.path(), "https://example.com"), None);
    click(&mut h, "Revoke all");
    assert!(
        TokenStore::load(&paths.bridge_tokens())
            .unwrap()
            .list()
            .is_empty()
    );
}

#[test]
fn stop_and_start_from_settings_and_a_port_in_use_names_the_port_and_the_setting() {
    let dir = tempfile::tempdir().unwrap();
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let busy_port = taken.local_addr().unwrap().port();
    vault_with_bridge(dir.path(), busy_port);
    let mut h = harness(dir.path());
    h.run_steps(2);
    assert_eq!(h.state().bridge_addr(), None);
    unlock(&mut h);
    bridge_page(&mut h);
    let message = format!("Port {busy_port} on 127.0.0.1 is already in use");
    assert!(
        h.query_all_by_label_contains(&message).next().is_some(),
        "the failure is shown in Settings"
    );
    assert!(
        h.query_all_by_label_contains("browser_bridge.port")
            .next()
            .is_some()
    );

    drop(taken);
    click(&mut h, "Start the bridge");
    let addr = h.state().bridge_addr().expect("the bridge started");
    assert_eq!(addr.port(), busy_port);
    assert!(h.query_by_label_contains("Listening on").is_some());
    click(&mut h, "Stop the bridge");
    assert_eq!(h.state().bridge_addr(), None);
    assert!(
        TcpStream::connect(("127.0.0.1", busy_port)).is_err(),
        "nothing listens after Stop"
    );
}

#[test]
fn a_login_saved_from_the_browser_appears_in_the_window() {
    let dir = tempfile::tempdir().unwrap();
    let token = vault_with_bridge(dir.path(), free_port());
    let (mut h, port) = opened(dir.path());
    let body = json!({
        "origin": "https://new.example.org",
        "username": "carol",
        "password": "pw-carol-from-browser",
    });
    let client =
        std::thread::spawn(move || post(port, "/v1/credentials/store", Some(&token), &body));
    step_until(&mut h, "the save popup", |h| {
        h.query_by_label("Save a login?").is_some()
    });
    click(&mut h, "Approve once");
    let (status, answer) = answer_of(&mut h, client);
    assert_eq!(status, 201, "{answer}");
    h.run_steps(4);
    let vault = h.state().vault().unwrap();
    let saved = vault
        .entries()
        .iter()
        .find(|e| e.username.expose() == "carol")
        .expect("the saved login is in the vault");
    assert_eq!(saved.password.expose(), "pw-carol-from-browser");
    assert!(
        h.query_by_label("new.example.org").is_some(),
        "the list shows the new entry under the host as its title"
    );
}
