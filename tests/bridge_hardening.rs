//! The Browser Bridge under conditions the other tests do not reach,
//! through the real binary on loopback ports it picks itself: a service
//! left idle, and trust granted from the command line.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::Child;
use std::time::Duration;

use common::{MASTER, TestVault};

/// A `bridge serve` child, killed (by its own handle) when dropped.
struct Serve {
    child: Child,
    port: u16,
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `bridge serve --port 0` with the master password on stdin and
/// waits for the line that names the port.
fn serve(vault: &TestVault) -> Serve {
    let mut child = vault.spawn(&["bridge", "serve", "--port", "0"]);
    let mut stdin = child.stdin.take().expect("stdin");
    writeln!(stdin, "{MASTER}").expect("write the master password");
    // Keep stdin open: approval answers would come from it.
    std::mem::forget(stdin);
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("read the listening line");
    let port = line
        .trim()
        .rsplit(':')
        .next()
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("no port in {line:?}"));
    Serve { child, port }
}

/// `GET /v1/status`; the status code, or the connection error as text.
fn status(port: u16) -> Result<u16, String> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).map_err(|e| e.to_string())?;
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .map_err(|e| e.to_string())?;
    let request =
        format!("GET /v1/status HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n");
    stream
        .write_all(request.as_bytes())
        .map_err(|e| e.to_string())?;
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer);
    answer
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| format!("no HTTP answer: {answer:?}"))
}

/// The listener's 5 s receive timeout (which connections inherit) must not
/// end the service when no client comes for longer than that.
#[test]
fn bridge_keeps_accepting_after_five_idle_seconds() {
    let vault = TestVault::new();
    let serve = serve(&vault);
    assert_eq!(status(serve.port), Ok(200), "answers right after start");

    std::thread::sleep(Duration::from_secs(7));
    assert_eq!(
        status(serve.port),
        Ok(200),
        "the bridge must still accept connections after an idle pause; log:\n{}",
        vault.log()
    );
}

/// Approving a site ahead of time skips its prompt, so it needs the master
/// password like pairing does.
#[test]
fn approving_a_site_ahead_needs_the_master_password() {
    let vault = TestVault::new();
    let run = vault.run(&["bridge", "approvals", "allow", "https://github.com"], "");
    assert_ne!(
        run.code, 0,
        "pre-approving a site must ask for the master password (stdin was empty); stdout:\n{}",
        run.stdout
    );
    let approvals = vault.run(&["bridge", "approvals", "--json"], "").ok();
    assert_eq!(
        approvals.json().as_array().map(Vec::len),
        Some(0),
        "nothing may be approved without the master password"
    );
}
