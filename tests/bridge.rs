//! The Browser Bridge end to end: `bridge serve` (the real binary) on an
//! ephemeral loopback port, an extension-like client speaking raw HTTP,
//! approvals answered on the served process's standard input.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, ChildStdin};
use std::time::Duration;

use common::{MASTER, TestVault};
use serde_json::{Value, json};

const FINGERPRINT: &str = "ext-key-1";

/// A running `bridge serve`; killed (by its own handle) when dropped.
struct Served {
    child: Child,
    port: u16,
    // Held open but idle: a prompt beyond the given answers then waits
    // (and times out) instead of reading end-of-file as "deny".
    _stdin: ChildStdin,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Serves `v`; `answers` are the approval answers, one per prompt.
fn serve(v: &TestVault, answers: &[&str]) -> Served {
    let mut child = v.spawn(&["bridge", "serve", "--port", "0"]);
    let mut stdin = child.stdin.take().unwrap();
    let mut input = format!("{MASTER}\n");
    for answer in answers {
        input.push_str(answer);
        input.push('\n');
    }
    stdin.write_all(input.as_bytes()).unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    let port = first
        .trim()
        .rsplit(':')
        .next()
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("no port in {first:?}"));
    Served {
        child,
        port,
        _stdin: stdin,
    }
}

/// One request; returns (status, JSON body or null).
fn send(port: u16, method: &str, path: &str, headers: &[(&str, &str)], body: &str) -> (u16, Value) {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(90)))
        .unwrap();
    let mut request = format!("{method} {path} HTTP/1.1\r\n");
    if !headers.iter().any(|(k, _)| k.eq_ignore_ascii_case("Host")) {
        request.push_str(&format!("Host: 127.0.0.1:{port}\r\n"));
    }
    for (k, v) in headers {
        request.push_str(&format!("{k}: {v}\r\n"));
    }
    request.push_str(&format!(
        "Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    ));
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

fn pair(v: &TestVault, port: u16) -> String {
    let opened = v
        .run(&["bridge", "pair", "--json"], &format!("{MASTER}\n"))
        .ok()
        .json();
    let code = opened["code"].as_str().unwrap().to_owned();
    let body = json!({"code": code, "browser": "Chromium", "fingerprint": FINGERPRINT});
    let (status, answer) = send(port, "POST", "/v1/pair", &[], &body.to_string());
    assert_eq!(status, 200, "{answer}");
    answer["token"].as_str().unwrap().to_owned()
}

fn query(port: u16, token: &str, origin: &str) -> (u16, Value) {
    let auth = format!("Bearer {token}");
    let headers = [
        ("Authorization", auth.as_str()),
        ("X-Bridge-Fingerprint", FINGERPRINT),
    ];
    send(
        port,
        "POST",
        "/v1/credentials/query",
        &headers,
        &json!({ "origin": origin }).to_string(),
    )
}

fn vault_with_logins() -> TestVault {
    let v = TestVault::new();
    v.add(
        &[
            "--title",
            "GitHub",
            "--username",
            "me",
            "--url",
            "https://github.com",
        ],
        "pw-github",
    );
    v.add(
        &[
            "--title",
            "Gist",
            "--username",
            "me",
            "--url",
            "https://gist.github.com",
        ],
        "pw-gist",
    );
    v.add(&["--title", "Hub", "--url", "https://hub.com"], "pw-hub");
    v
}

#[test]
fn pairing_codes_are_single_use_and_five_wrong_ones_close_the_window() {
    let v = vault_with_logins();
    let served = serve(&v, &[]);
    let token = pair(&v, served.port);
    assert_eq!(token.len(), 64);

    // Reusing the same window's code: refused.
    let status = v
        .run(&["bridge", "pair", "--json"], &format!("{MASTER}\n"))
        .ok()
        .json();
    let code = status["code"].as_str().unwrap().to_owned();
    let attempt = |code: &str| {
        let body = json!({"code": code, "browser": "B", "fingerprint": "fp"});
        send(served.port, "POST", "/v1/pair", &[], &body.to_string())
    };
    let (ok, _) = attempt(&code);
    assert_eq!(ok, 200);
    let (again, answer) = attempt(&code);
    assert_eq!(again, 403);
    assert_eq!(code_of(&answer), "PAIRING_CLOSED", "{answer}");

    // A new window: five wrong codes, and then the right one is refused.
    let fresh = v
        .run(&["bridge", "pair", "--json"], &format!("{MASTER}\n"))
        .ok()
        .json();
    let right = fresh["code"].as_str().unwrap().to_owned();
    let wrong = if right == "000000" {
        "000001"
    } else {
        "000000"
    };
    for n in 0..5 {
        let (status, answer) = attempt(wrong);
        assert_eq!(status, 403, "{answer}");
        if n < 4 {
            assert_eq!(code_of(&answer), "PAIRING_CODE_WRONG", "{answer}");
        }
    }
    let (status, answer) = attempt(&right);
    assert_eq!(status, 403);
    assert_eq!(code_of(&answer), "PAIRING_CLOSED", "{answer}");
    let log = v.log();
    assert!(!log.contains(&right), "the log holds a pairing code");
    assert!(!log.contains(&token), "the log holds a token");
}

#[test]
fn a_query_is_approved_then_remembered_and_matches_only_the_site() {
    let v = vault_with_logins();
    // First query: approve once. Second: remember. Third: no prompt.
    let served = serve(&v, &["once", "remember"]);
    let token = pair(&v, served.port);

    let (status, answer) = query(served.port, &token, "https://github.com");
    assert_eq!(status, 200, "{answer}");
    let titles: Vec<&str> = answer["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["title"].as_str().unwrap())
        .collect();
    assert_eq!(
        titles,
        ["GitHub"],
        "hub.com and gist.github.com are not github.com"
    );
    assert_eq!(answer["entries"][0]["password"], "pw-github");
    assert!(
        v.run(&["bridge", "approvals", "--json"], "")
            .ok()
            .json()
            .as_array()
            .unwrap()
            .is_empty(),
        "approve once is not remembered"
    );

    let (status, answer) = query(served.port, &token, "https://gist.github.com");
    assert_eq!(status, 200, "{answer}");
    let titles: Vec<&str> = answer["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["title"].as_str().unwrap())
        .collect();
    assert_eq!(
        titles,
        ["Gist", "GitHub"],
        "exact match first, then the parent site"
    );
    let remembered = v.run(&["bridge", "approvals", "--json"], "").ok().json();
    assert_eq!(
        remembered[0]["origin"], "https://gist.github.com",
        "{remembered}"
    );
    assert_eq!(remembered[0]["decision"], "allow");

    // Remembered: answered without a prompt (none is left to answer).
    let (status, _) = query(served.port, &token, "https://gist.github.com");
    assert_eq!(status, 200);
    let log = v.log();
    assert!(log.contains("APPROVAL_GRANTED"));
    assert!(log.contains("APPROVAL_REMEMBERED"));
    assert!(!log.contains("pw-github"), "the log holds a password");
}

#[test]
fn denials_tokens_and_bad_requests_get_their_error_codes() {
    let v = vault_with_logins();
    let served = serve(&v, &["never"]);
    let port = served.port;
    let token = pair(&v, port);

    let (status, answer) = query(port, &token, "https://github.com");
    assert_eq!((status, code_of(&answer)), (403, "DENIED"), "{answer}");
    // Remembered denial: refused without asking.
    let (status, answer) = query(port, &token, "https://github.com");
    assert_eq!((status, code_of(&answer)), (403, "DENIED"), "{answer}");

    let body = json!({"origin": "https://github.com"}).to_string();
    let path = "/v1/credentials/query";
    let (status, answer) = send(port, "POST", path, &[], &body);
    assert_eq!((status, code_of(&answer)), (401, "TOKEN_MISSING"));
    let bad = format!("Bearer {}", "0".repeat(64));
    let headers = [
        ("Authorization", bad.as_str()),
        ("X-Bridge-Fingerprint", FINGERPRINT),
    ];
    let (status, answer) = send(port, "POST", path, &headers, &body);
    assert_eq!((status, code_of(&answer)), (401, "TOKEN_INVALID"));
    let good = format!("Bearer {token}");
    let other = [
        ("Authorization", good.as_str()),
        ("X-Bridge-Fingerprint", "another"),
    ];
    let (status, answer) = send(port, "POST", path, &other, &body);
    assert_eq!((status, code_of(&answer)), (401, "FINGERPRINT_MISMATCH"));

    let headers = [
        ("Authorization", good.as_str()),
        ("X-Bridge-Fingerprint", FINGERPRINT),
    ];
    for (bad_body, code) in [
        ("{not json", "BAD_REQUEST"),
        (
            r#"{"origin": "https://a.example", "extra": 1}"#,
            "BAD_REQUEST",
        ),
        (r#"{"origin": "javascript:alert(1)"}"#, "BAD_ORIGIN"),
        (r#"{"origin": "https://a.example/path"}"#, "BAD_ORIGIN"),
    ] {
        let (status, answer) = send(port, "POST", path, &headers, bad_body);
        assert_eq!(
            (status, code_of(&answer)),
            (400, code),
            "{bad_body}: {answer}"
        );
        assert!(
            !answer.to_string().contains("alert"),
            "an error echoes the request: {answer}"
        );
    }
    let (status, _) = send(port, "GET", path, &headers, "");
    assert_eq!(status, 405);

    // Web pages and rebinding are refused before the token is looked at.
    let page = [
        ("Origin", "https://evil.example"),
        ("Authorization", good.as_str()),
    ];
    let (status, answer) = send(port, "POST", path, &page, &body);
    assert_eq!((status, code_of(&answer)), (403, "ORIGIN_REFUSED"));
    let rebound = [("Host", "evil.example")];
    let (status, answer) = send(port, "GET", "/v1/status", &rebound, "");
    assert_eq!((status, code_of(&answer)), (403, "HOST_REFUSED"));

    // Revocation from another process counts on the next request.
    v.run(&["bridge", "revoke", "--all"], "").ok();
    let (status, answer) = send(port, "POST", path, &headers, &body);
    assert_eq!(
        (status, code_of(&answer)),
        (401, "TOKEN_INVALID"),
        "{answer}"
    );
}

#[test]
fn the_rate_limit_answers_429_beyond_five_queries_a_second() {
    let v = vault_with_logins();
    let served = serve(&v, &[]);
    let token = pair(&v, served.port);
    v.run_unlocked(&["bridge", "approvals", "allow", "https://github.com"], &[])
        .ok();
    let statuses: Vec<u16> = (0..20)
        .map(|_| query(served.port, &token, "https://github.com").0)
        .collect();
    assert!(statuses.contains(&429), "{statuses:?}");
    assert!(
        statuses.iter().all(|s| *s == 200 || *s == 429),
        "{statuses:?}"
    );
    assert_eq!(statuses[0], 200);
}

#[test]
fn saving_a_login_adds_an_entry_then_conflicts_then_updates_with_history() {
    let v = vault_with_logins();
    let served = serve(&v, &[]);
    let port = served.port;
    let token = pair(&v, port);
    v.run_unlocked(
        &["bridge", "approvals", "allow", "https://shop.example"],
        &[],
    )
    .ok();
    let auth = format!("Bearer {token}");
    let headers = [
        ("Authorization", auth.as_str()),
        ("X-Bridge-Fingerprint", FINGERPRINT),
    ];
    let save = |password: &str, update: bool| {
        let body = json!({
            "origin": "https://shop.example",
            "username": "buyer",
            "password": password,
            "update": update,
        });
        send(
            port,
            "POST",
            "/v1/credentials/store",
            &headers,
            &body.to_string(),
        )
    };
    let (status, answer) = save("first-pw", false);
    assert_eq!(status, 201, "{answer}");
    let (status, answer) = save("second-pw", false);
    assert_eq!((status, code_of(&answer)), (409, "EXISTS"), "{answer}");
    let (status, answer) = save("second-pw", true);
    assert_eq!(status, 200, "{answer}");

    let id = answer["entry_id"].as_str().unwrap().to_owned();
    let history = v
        .run_unlocked(&["history", &id, "--reveal", "--json"], &[])
        .ok()
        .json();
    assert_eq!(history[0]["password"], "first-pw", "{history}");
    assert_eq!(history[0]["changed_by"], "browser", "{history}");
    let shown = v
        .run_unlocked(&["show", &id, "--reveal", "--json"], &[])
        .ok()
        .json();
    assert_eq!(shown["password"], "second-pw");
    assert_eq!(shown["title"], "shop.example");
}
