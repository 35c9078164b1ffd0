//! The bridge's transport on a real loopback socket: the guards, the body
//! limit, a stalled client that does not hold up the others, and clear
//! errors when the port is taken or the host is not loopback.

use std::io::{Read, Write};
use std::net::{IpAddr, Ipv4Addr, TcpStream};
use std::sync::Arc;
use std::time::Duration;

use spm::bridge::BridgeError;
use spm::bridge::api::{self, ApiRequest, ApiResponse, Endpoints};
use spm::bridge::guard::Caller;
use spm::bridge::server::{Server, ServerConfig};

const LOCALHOST: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);

/// Echoes the body's length back, so the tests see what arrived.
struct Echo;

impl Endpoints for Echo {
    fn locked(&self) -> bool {
        false
    }
    fn handle(&self, request: &ApiRequest, _: &Caller) -> ApiResponse {
        if request.path == "/v1/echo" {
            ApiResponse::json(200, serde_json::json!({"bytes": request.body.len()}))
        } else {
            api::not_found()
        }
    }
}

fn start(read_timeout: Duration) -> Server {
    let mut config = ServerConfig::loopback(LOCALHOST, 0);
    config.read_timeout = read_timeout;
    config.workers = 4;
    Server::start(
        &config,
        Arc::new(|request, port| api::route(request, port, &Echo)),
    )
    .unwrap()
}

/// Sends raw bytes and returns (status, body).
fn raw(server: &Server, request: &[u8]) -> (u16, String) {
    let mut stream = TcpStream::connect(server.addr()).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    stream.write_all(request).unwrap();
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    let text = String::from_utf8_lossy(&answer).into_owned();
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = text.split("\r\n\r\n").nth(1).unwrap_or("").to_owned();
    (status, body)
}

fn get(server: &Server, path: &str, host: &str, extra: &str) -> (u16, String) {
    let request =
        format!("GET {path} HTTP/1.1\r\nHost: {host}\r\n{extra}Connection: close\r\n\r\n");
    raw(server, request.as_bytes())
}

#[test]
fn status_answers_on_loopback_and_the_guards_refuse_rebinding_and_pages() {
    let server = start(Duration::from_secs(5));
    let port = server.addr().port();
    let host = format!("127.0.0.1:{port}");

    let (status, body) = get(&server, "/v1/status", &host, "");
    assert_eq!(status, 200, "{body}");
    let json: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(json["api_version"], 1);

    let (status, body) = get(&server, "/v1/status", &format!("evil.example:{port}"), "");
    assert_eq!(status, 403);
    assert!(body.contains("HOST_REFUSED"), "{body}");

    let (status, body) = get(
        &server,
        "/v1/status",
        &host,
        "Origin: https://evil.example\r\n",
    );
    assert_eq!(status, 403);
    assert!(body.contains("ORIGIN_REFUSED"), "{body}");

    let (status, _) = get(&server, "/v1/nothing", &format!("localhost:{port}"), "");
    assert_eq!(status, 404);

    // A preflight from an extension gets its origin back, never "*".
    let preflight = format!(
        "OPTIONS /v1/credentials/query HTTP/1.1\r\nHost: {host}\r\nOrigin: \
         chrome-extension://abcdef\r\nConnection: close\r\n\r\n"
    );
    let mut stream = TcpStream::connect(server.addr()).unwrap();
    stream.write_all(preflight.as_bytes()).unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 204"), "{answer}");
    assert!(
        answer.contains("Access-Control-Allow-Origin: chrome-extension://abcdef"),
        "{answer}"
    );
    assert!(!answer.contains("Access-Control-Allow-Origin: *"));
    server.stop();
}

#[test]
fn bodies_over_64_kib_are_refused_with_413() {
    let server = start(Duration::from_secs(5));
    let host = format!("127.0.0.1:{}", server.addr().port());
    let body = vec![b'x'; 64 * 1024];
    let ok = format!(
        "POST /v1/echo HTTP/1.1\r\nHost: {host}\r\nContent-Length: {}\r\nConnection: \
         close\r\n\r\n",
        body.len()
    );
    let (status, answer) = raw(&server, &[ok.as_bytes(), &body].concat());
    assert_eq!(status, 200, "{answer}");
    assert!(answer.contains("65536"), "{answer}");

    let big = vec![b'x'; 64 * 1024 + 1];
    let head = format!(
        "POST /v1/echo HTTP/1.1\r\nHost: {host}\r\nContent-Length: {}\r\nConnection: \
         close\r\n\r\n",
        big.len()
    );
    let (status, answer) = raw(&server, &[head.as_bytes(), &big].concat());
    assert_eq!(status, 413, "{answer}");
    assert!(answer.contains("BODY_TOO_LARGE"), "{answer}");
}

#[test]
fn a_client_that_stalls_mid_request_does_not_hold_up_the_others() {
    // A long timeout: the others must be served while the stall lasts,
    // not after it.
    let server = start(Duration::from_secs(60));
    let host = format!("127.0.0.1:{}", server.addr().port());
    // Headers promise 100 bytes; one arrives, then nothing.
    let mut stalled = TcpStream::connect(server.addr()).unwrap();
    let head = format!("POST /v1/echo HTTP/1.1\r\nHost: {host}\r\nContent-Length: 100\r\n\r\n{{");
    stalled.write_all(head.as_bytes()).unwrap();
    // A second one never finishes its headers.
    let mut half = TcpStream::connect(server.addr()).unwrap();
    half.write_all(b"GET /v1/status HTTP/1.1\r\nHo").unwrap();

    for _ in 0..20 {
        let (status, _) = get(&server, "/v1/status", &host, "");
        assert_eq!(status, 200);
    }
    // ...and the stalled one is still waiting, unanswered.
    stalled.set_nonblocking(true).unwrap();
    let mut byte = [0u8; 1];
    let pending = stalled.read(&mut byte);
    assert!(
        matches!(&pending, Err(e) if e.kind() == std::io::ErrorKind::WouldBlock),
        "{pending:?}"
    );
    drop((stalled, half));
}

#[test]
fn a_stalled_request_is_cut_off_by_the_read_timeout() {
    let server = start(Duration::from_millis(500));
    let host = format!("127.0.0.1:{}", server.addr().port());
    let mut stalled = TcpStream::connect(server.addr()).unwrap();
    let head = format!("POST /v1/echo HTTP/1.1\r\nHost: {host}\r\nContent-Length: 100\r\n\r\n{{");
    stalled.write_all(head.as_bytes()).unwrap();
    stalled
        .set_read_timeout(Some(Duration::from_secs(60)))
        .unwrap();
    let mut answer = String::new();
    let _ = stalled.read_to_string(&mut answer);
    assert!(
        answer.is_empty() || answer.starts_with("HTTP/1.1 408"),
        "{answer}"
    );
}

#[test]
fn a_taken_port_and_a_public_host_are_clear_errors() {
    let server = start(Duration::from_secs(5));
    let taken = ServerConfig::loopback(LOCALHOST, server.addr().port());
    let error = Server::start(&taken, Arc::new(|_, _| api::not_found())).unwrap_err();
    assert!(matches!(error, BridgeError::PortInUse { .. }), "{error}");
    let message = error.to_string();
    assert!(
        message.contains(&server.addr().port().to_string()),
        "{message}"
    );
    assert!(message.contains("browser_bridge.port"), "{message}");

    let public = ServerConfig::loopback("0.0.0.0".parse().unwrap(), 0);
    let error = Server::start(&public, Arc::new(|_, _| api::not_found())).unwrap_err();
    assert!(matches!(error, BridgeError::NotLoopback { .. }), "{error}");
    assert!(error.to_string().contains("browser_bridge.host"));
}
