//! A scripted range server on 127.0.0.1: answers each `GET /range/XXXXX`
//! as the test's handler says, records every request verbatim, and counts
//! how many are in flight at once.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::Duration;

/// What the server does with one request.
#[derive(Debug, Clone)]
pub enum Reply {
    /// 200 with this body.
    Body(String),
    /// This status with an empty body.
    Status(u16),
    /// 429, with a `Retry-After` header when given.
    TooMany(Option<&'static str>),
    /// 301 to this address.
    Redirect(String),
    /// Never answers.
    Silence,
    /// Sends a 200 header promising a body, then nothing.
    StallBody,
}

/// One request as it arrived.
#[derive(Debug, Clone)]
pub struct Request {
    /// The request line, e.g. `GET /range/8BE3C HTTP/1.1`.
    pub line: String,
    /// Header names (lower-case) and values.
    pub headers: Vec<(String, String)>,
    /// Everything the client sent, as text.
    pub raw: String,
}

impl Request {
    /// The value of a header, by lower-case name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

type Handler = dyn Fn(&str, usize) -> Reply + Send + Sync;

struct State {
    handler: Box<Handler>,
    delay: Duration,
    requests: Mutex<Vec<Request>>,
    in_flight: AtomicUsize,
    peak: AtomicUsize,
}

/// The running server; stopped when dropped.
pub struct MockServer {
    addr: SocketAddr,
    state: Arc<State>,
    stop: Arc<AtomicBool>,
    acceptor: Option<JoinHandle<()>>,
}

impl MockServer {
    /// Starts a server whose `handler(prefix, earlier_requests_for_it)`
    /// decides each reply.
    pub fn start(handler: impl Fn(&str, usize) -> Reply + Send + Sync + 'static) -> Self {
        Self::start_with_delay(Duration::ZERO, handler)
    }

    /// Like `start`, but every reply waits `delay` first (so that
    /// concurrent requests overlap).
    pub fn start_with_delay(
        delay: Duration,
        handler: impl Fn(&str, usize) -> Reply + Send + Sync + 'static,
    ) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
        let addr = listener.local_addr().unwrap();
        let state = Arc::new(State {
            handler: Box::new(handler),
            delay,
            requests: Mutex::new(Vec::new()),
            in_flight: AtomicUsize::new(0),
            peak: AtomicUsize::new(0),
        });
        let stop = Arc::new(AtomicBool::new(false));
        let (state2, stop2) = (state.clone(), stop.clone());
        let acceptor = thread::spawn(move || {
            for stream in listener.incoming() {
                if stop2.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(stream) = stream else { continue };
                let state = state2.clone();
                thread::spawn(move || serve(stream, &state));
            }
        });
        Self {
            addr,
            state,
            stop,
            acceptor: Some(acceptor),
        }
    }

    /// The `api_url` that points at this server.
    pub fn url(&self) -> String {
        format!("http://{}/range/", self.addr)
    }

    /// Every request so far.
    pub fn requests(&self) -> Vec<Request> {
        self.state.requests.lock().unwrap().clone()
    }

    /// The most requests that were in flight at once.
    pub fn peak_in_flight(&self) -> usize {
        self.state.peak.load(Ordering::SeqCst)
    }
}

impl Drop for MockServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the acceptor so it sees the flag.
        let _ = TcpStream::connect(self.addr);
        if let Some(acceptor) = self.acceptor.take() {
            let _ = acceptor.join();
        }
    }
}

/// Reads one request, records it, and answers it.
fn serve(mut stream: TcpStream, state: &State) {
    // A cap so that no handler thread outlives a test run by much.
    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
    let Some(raw) = read_head(&mut stream) else {
        return;
    };
    let request = parse(&raw);
    let prefix = request
        .line
        .split(' ')
        .nth(1)
        .and_then(|path| path.strip_prefix("/range/"))
        .unwrap_or("")
        .to_owned();
    let earlier = {
        let mut requests = state.requests.lock().unwrap();
        let earlier = requests.iter().filter(|r| r.line == request.line).count();
        requests.push(request);
        earlier
    };
    let now = state.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
    state.peak.fetch_max(now, Ordering::SeqCst);
    thread::sleep(state.delay);

    let reply = (state.handler)(&prefix, earlier);
    let head = match &reply {
        Reply::Body(body) => ok_head(body.len()) + body,
        Reply::Status(status) => format!("HTTP/1.1 {status} Oops\r\n{CLOSE}\r\n"),
        Reply::TooMany(Some(wait)) => {
            format!("HTTP/1.1 429 Too Many Requests\r\nRetry-After: {wait}\r\n{CLOSE}\r\n")
        }
        Reply::TooMany(None) => format!("HTTP/1.1 429 Too Many Requests\r\n{CLOSE}\r\n"),
        Reply::Redirect(to) => format!("HTTP/1.1 301 Moved\r\nLocation: {to}\r\n{CLOSE}\r\n"),
        Reply::StallBody => ok_head(40_000),
        Reply::Silence => String::new(),
    };
    // Leave the in-flight count before the client can see the answer, so
    // a client that starts its next request at once is not counted twice.
    state.in_flight.fetch_sub(1, Ordering::SeqCst);
    let _ = stream.write_all(head.as_bytes());
    let _ = stream.flush();
    if matches!(reply, Reply::Silence | Reply::StallBody) {
        // Hold the connection until the client gives up and closes it.
        let mut sink = [0u8; 256];
        while matches!(stream.read(&mut sink), Ok(n) if n > 0) {}
    }
}

const CLOSE: &str = "Content-Length: 0\r\nConnection: close\r\n";

fn ok_head(length: usize) -> String {
    format!(
        "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: {length}\r\n\
         Connection: close\r\n\r\n"
    )
}

/// Reads up to the blank line that ends the request head.
fn read_head(stream: &mut TcpStream) -> Option<String> {
    let mut raw = Vec::new();
    let mut byte = [0u8; 1];
    while !raw.ends_with(b"\r\n\r\n") {
        match stream.read(&mut byte) {
            Ok(1) => raw.push(byte[0]),
            _ => return None,
        }
        if raw.len() > 16 * 1024 {
            return None;
        }
    }
    Some(String::from_utf8_lossy(&raw).into_owned())
}

fn parse(raw: &str) -> Request {
    let mut lines = raw.split("\r\n");
    let line = lines.next().unwrap_or("").to_owned();
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    Request {
        line,
        headers,
        raw: raw.to_owned(),
    }
}
