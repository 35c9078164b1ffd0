//! The HTTP transport: a tiny_http server on a loopback address, served by
//! a fixed pool of worker threads, with a read timeout on every connection
//! and a limit on every body.

use std::io::Read;
use std::net::{IpAddr, SocketAddr, TcpListener};
use std::os::fd::AsRawFd;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use super::BridgeError;
use super::api::{ApiRequest, ApiResponse};

/// The largest request body read (64 KiB); larger ones get 413.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// How the server runs.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// A loopback address.
    pub host: IpAddr,
    /// The port (0: any free one).
    pub port: u16,
    /// Worker threads; a stuck client holds at most one of them.
    pub workers: usize,
    /// How long a connection may take to send its request.
    pub read_timeout: Duration,
}

impl ServerConfig {
    /// Loopback on `port` with 8 workers and a 5 s read timeout.
    pub fn loopback(host: IpAddr, port: u16) -> Self {
        Self {
            host,
            port,
            workers: 8,
            read_timeout: Duration::from_secs(5),
        }
    }
}

/// Answers one request (called from any worker) given the port the
/// server is bound to (for the Host check).
pub type Handler = Arc<dyn Fn(&ApiRequest, u16) -> ApiResponse + Send + Sync>;

/// A running server; [`Server::stop`] (or dropping it) ends it.
pub struct Server {
    http: Arc<tiny_http::Server>,
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    workers: Vec<JoinHandle<()>>,
    keeper: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Server").field("addr", &self.addr).finish()
    }
}

impl Server {
    /// Binds and starts the workers. Only loopback addresses are accepted.
    pub fn start(config: &ServerConfig, handler: Handler) -> Result<Self, BridgeError> {
        if !config.host.is_loopback() {
            return Err(BridgeError::NotLoopback { host: config.host });
        }
        let wanted = SocketAddr::new(config.host, config.port);
        let listener = TcpListener::bind(wanted).map_err(|e| match e.kind() {
            std::io::ErrorKind::AddrInUse => BridgeError::PortInUse { addr: wanted },
            _ => BridgeError::Bind {
                addr: wanted,
                detail: e.to_string(),
            },
        })?;
        let addr = listener.local_addr().map_err(|e| BridgeError::Bind {
            addr: wanted,
            detail: e.to_string(),
        })?;
        // Accepted sockets inherit the listener's timeouts on Linux, so a
        // client that sends half a request and stalls is cut off.
        set_timeouts(&listener, config.read_timeout);
        let http =
            tiny_http::Server::from_listener(listener, None).map_err(|e| BridgeError::Bind {
                addr,
                detail: e.to_string(),
            })?;
        let http = Arc::new(http);
        let stop = Arc::new(AtomicBool::new(false));
        let mut workers = Vec::with_capacity(config.workers);
        for n in 0..config.workers.max(1) {
            let (http, stop, handler) = (http.clone(), stop.clone(), handler.clone());
            let worker = std::thread::Builder::new()
                .name(format!("bridge-worker-{n}"))
                .spawn(move || work(&http, &stop, &handler, addr.port()))
                .map_err(|e| BridgeError::Bind {
                    addr,
                    detail: e.to_string(),
                })?;
            workers.push(worker);
        }
        let keeper = start_keeper(addr, config.read_timeout, stop.clone());
        Ok(Self {
            http,
            addr,
            stop,
            workers,
            keeper,
        })
    }

    /// The address it listens on (the port chosen when 0 was asked for).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops accepting, lets the workers finish what they hold, and joins
    /// them.
    pub fn stop(mut self) {
        self.shut_down();
    }

    fn shut_down(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        for _ in 0..self.workers.len() {
            self.http.unblock();
        }
        for worker in self.workers.drain(..) {
            let _ = worker.join();
        }
        if let Some(keeper) = self.keeper.take() {
            let _ = keeper.join();
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.shut_down();
    }
}

fn set_timeouts(listener: &TcpListener, timeout: Duration) {
    let value = libc::timeval {
        tv_sec: timeout.as_secs() as libc::time_t,
        tv_usec: timeout.subsec_micros() as libc::suseconds_t,
    };
    for option in [libc::SO_RCVTIMEO, libc::SO_SNDTIMEO] {
        // SAFETY: the fd is a live socket owned by `listener`, and the
        // option value is a timeval of the size passed.
        unsafe {
            libc::setsockopt(
                listener.as_raw_fd(),
                libc::SOL_SOCKET,
                option,
                std::ptr::from_ref(&value).cast(),
                std::mem::size_of::<libc::timeval>() as libc::socklen_t,
            );
        }
    }
}

/// The listener's receive timeout (which accepted connections inherit)
/// also bounds how long `accept` waits, and tiny_http's accept loop ends
/// at the first such timeout. So while the server runs, a keeper opens and
/// closes a connection to it well within each timeout: `accept` never
/// waits long enough to time out, however long no client comes.
fn start_keeper(
    addr: SocketAddr,
    timeout: Duration,
    stop: Arc<AtomicBool>,
) -> Option<JoinHandle<()>> {
    let every = (timeout / 3).max(Duration::from_millis(200));
    let tick = Duration::from_millis(50).min(every);
    std::thread::Builder::new()
        .name("bridge-accept-keeper".to_owned())
        .spawn(move || {
            let mut waited = Duration::ZERO;
            while !stop.load(Ordering::SeqCst) {
                std::thread::sleep(tick);
                waited += tick;
                if waited >= every {
                    waited = Duration::ZERO;
                    // Connected and closed at once: tiny_http reads no
                    // request from it and lets it go.
                    drop(std::net::TcpStream::connect_timeout(&addr, timeout));
                }
            }
        })
        .ok()
}

fn work(http: &tiny_http::Server, stop: &AtomicBool, handler: &Handler, port: u16) {
    while !stop.load(Ordering::SeqCst) {
        match http.recv() {
            Ok(request) => serve(request, handler, port),
            // An accept error reaches one worker; the others carry on.
            Err(_) => std::thread::sleep(Duration::from_millis(10)),
        }
    }
}

fn header(request: &tiny_http::Request, name: &str) -> Option<String> {
    request
        .headers()
        .iter()
        .find(|h| h.field.as_str().as_str().eq_ignore_ascii_case(name))
        .map(|h| h.value.as_str().to_owned())
}

fn serve(mut request: tiny_http::Request, handler: &Handler, port: u16) {
    let answer = match read(&mut request) {
        Ok(api) => handler(&api, port),
        Err(early) => early,
    };
    let _ = request.respond(to_http(answer));
}

/// Reads the headers the API uses and the body, within the limit.
fn read(request: &mut tiny_http::Request) -> Result<ApiRequest, ApiResponse> {
    // Two Host or Origin headers could make the guards read one and a
    // proxy the other.
    for name in ["Host", "Origin", "Authorization", "X-Bridge-Fingerprint"] {
        let count = request
            .headers()
            .iter()
            .filter(|h| h.field.as_str().as_str().eq_ignore_ascii_case(name))
            .count();
        if count > 1 {
            return Err(ApiResponse::error(
                400,
                "BAD_REQUEST",
                &format!("the request has {count} {name} headers; send one"),
            ));
        }
    }
    if request.body_length().is_some_and(|n| n > MAX_BODY_BYTES) {
        return Err(too_large());
    }
    let mut body = Vec::new();
    let limit = MAX_BODY_BYTES as u64 + 1;
    if let Err(e) = request.as_reader().take(limit).read_to_end(&mut body) {
        let timed_out = matches!(
            e.kind(),
            std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
        );
        return Err(if timed_out {
            ApiResponse::error(408, "TIMEOUT", "the request body did not arrive in time")
        } else {
            ApiResponse::error(400, "BAD_REQUEST", "the request body could not be read")
        });
    }
    if body.len() > MAX_BODY_BYTES {
        return Err(too_large());
    }
    let url = request.url();
    let path = url.split(['?', '#']).next().unwrap_or("").to_owned();
    Ok(ApiRequest {
        method: request.method().as_str().to_owned(),
        path,
        host: header(request, "Host"),
        origin: header(request, "Origin"),
        authorization: header(request, "Authorization"),
        fingerprint: header(request, "X-Bridge-Fingerprint"),
        body,
    })
}

fn too_large() -> ApiResponse {
    ApiResponse::error(
        413,
        "BODY_TOO_LARGE",
        "the request body is larger than 64 KiB",
    )
}

fn to_http(answer: ApiResponse) -> tiny_http::Response<std::io::Cursor<Vec<u8>>> {
    let body = if answer.body.is_null() {
        Vec::new()
    } else {
        serde_json::to_vec(&answer.body).unwrap_or_default()
    };
    let mut response =
        tiny_http::Response::from_data(body).with_status_code(tiny_http::StatusCode(answer.status));
    let mut add = |name: &str, value: &str| {
        if let Ok(h) = tiny_http::Header::from_bytes(name.as_bytes(), value.as_bytes()) {
            response.add_header(h);
        }
    };
    add("Content-Type", "application/json");
    add("Cache-Control", "no-store");
    add("X-Content-Type-Options", "nosniff");
    for (name, value) in &answer.headers {
        add(name, value);
    }
    response
}
