//! Tiny loopback servers for the tests: the counterparts a client must survive (one that
//! never answers, one that answers late, one that answers badly) and a merchant that
//! records what it is sent. Written once here, included with `#[path]` by the test files
//! that need them; not every file uses every helper.
//!
//! They run on plain threads, so they serve sync tests (the window) and async tests (on
//! any tokio runtime) alike. Every loop is bounded: a server stops when dropped or after
//! [`LIFETIME`], holds at most [`MAX_CONNECTIONS`] connections, and reads a request of at
//! most [`MAX_REQUEST`] bytes within [`READ_TIMEOUT`]. Only 127.0.0.1 is ever bound.
#![allow(dead_code, clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use std::collections::VecDeque;
use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// A server stops by itself after this long, whatever the test does.
pub const LIFETIME: Duration = Duration::from_secs(120);
/// Connections served (or held) per server; later ones are closed at once.
pub const MAX_CONNECTIONS: usize = 256;
/// Requests larger than this are cut (the tests send small ones).
pub const MAX_REQUEST: usize = 2 * 1024 * 1024;
/// A request not complete after this long is answered as it is.
pub const READ_TIMEOUT: Duration = Duration::from_secs(5);
const POLL: Duration = Duration::from_millis(5);

/// One request as a server received it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Captured {
    pub method: String,
    /// Without the query.
    pub path: String,
    pub query: Option<String>,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Captured {
    /// The first value of a header, by case-insensitive name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn body_text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// What a server does with a connection.
#[derive(Clone)]
enum Behaviour {
    /// Accept and hold it open, never answering.
    Silent,
    /// Read the request, wait `delay`, answer.
    Answer { delay: Duration, answer: Answer },
}

#[derive(Clone)]
enum Answer {
    /// These bytes, whatever was asked.
    Fixed(Vec<u8>),
    /// 200 with the request's own body (and Content-Type).
    Echo,
}

/// A running test server; dropping it stops it.
pub struct Server {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    received: Arc<Mutex<VecDeque<Captured>>>,
    accepter: Option<JoinHandle<()>>,
}

impl Server {
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// `http://127.0.0.1:PORT`, no trailing slash.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The oldest request not taken yet, waiting up to `wait` for one (async: the code
    /// that sends it may run on the same runtime).
    pub async fn next_request(&self, wait: Duration) -> Option<Captured> {
        let deadline = Instant::now() + wait;
        loop {
            if let Some(captured) = self.take() {
                return Some(captured);
            }
            if Instant::now() >= deadline {
                return None;
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// Every request received and not taken yet, oldest first.
    pub fn requests(&self) -> Vec<Captured> {
        self.received
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .cloned()
            .collect()
    }

    fn take(&self) -> Option<Captured> {
        self.received
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop_front()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(accepter) = self.accepter.take() {
            let _ = accepter.join();
        }
    }
}

/// Accepts connections and never answers (a hung provider, a black-holed port).
pub fn silent() -> Server {
    start(Behaviour::Silent)
}

/// Answers every request with `response` (see [`http_response`]). For bytes that are not
/// HTTP (a TLS ClientHello) it answers after the first read.
pub fn canned(response: Vec<u8>) -> Server {
    slow(Duration::ZERO, response)
}

/// Like [`canned`], but only after `delay`.
pub fn slow(delay: Duration, response: Vec<u8>) -> Server {
    start(Behaviour::Answer {
        delay,
        answer: Answer::Fixed(response),
    })
}

/// Answers 200 with each request's own body, and records every request (a merchant for
/// the notifications and callbacks a sandbox sends).
pub fn echo() -> Server {
    start(Behaviour::Answer {
        delay: Duration::ZERO,
        answer: Answer::Echo,
    })
}

/// A port on 127.0.0.1 that was free a moment ago: nothing listens there.
pub fn closed_port() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a free port");
    listener.local_addr().expect("its address")
}

/// A complete HTTP/1.1 response that closes the connection.
pub fn http_response(status: &str, content_type: &str, body: &[u8]) -> Vec<u8> {
    let mut out = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )
    .into_bytes();
    out.extend_from_slice(body);
    out
}

/// Write `bytes` on a fresh connection to `addr`, then read until the server closes it or
/// `wait` passes. Returns what was read and whether the server closed the connection.
pub async fn raw_exchange(addr: SocketAddr, bytes: &[u8], wait: Duration) -> (String, bool) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    stream.write_all(bytes).await.expect("write");
    let mut collected = Vec::new();
    let deadline = tokio::time::Instant::now() + wait;
    let mut buffer = [0u8; 4096];
    let closed = loop {
        match tokio::time::timeout_at(deadline, stream.read(&mut buffer)).await {
            Ok(Ok(0)) | Ok(Err(_)) => break true,
            Ok(Ok(n)) => collected.extend_from_slice(&buffer[..n]),
            Err(_) => break false,
        }
    };
    (String::from_utf8_lossy(&collected).into_owned(), closed)
}

fn start(behaviour: Behaviour) -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    let addr = listener.local_addr().expect("its address");
    listener.set_nonblocking(true).expect("non-blocking accept");
    let stop = Arc::new(AtomicBool::new(false));
    let received = Arc::new(Mutex::new(VecDeque::new()));
    let accepter = {
        let (stop, received) = (stop.clone(), received.clone());
        std::thread::spawn(move || accept_loop(listener, behaviour, stop, received))
    };
    Server {
        addr,
        stop,
        received,
        accepter: Some(accepter),
    }
}

fn accept_loop(
    listener: TcpListener,
    behaviour: Behaviour,
    stop: Arc<AtomicBool>,
    received: Arc<Mutex<VecDeque<Captured>>>,
) {
    let started = Instant::now();
    let mut served = 0usize;
    while !stop.load(Ordering::SeqCst) && started.elapsed() < LIFETIME {
        match listener.accept() {
            Ok((stream, _)) if served < MAX_CONNECTIONS => {
                served += 1;
                let (behaviour, stop, received) =
                    (behaviour.clone(), stop.clone(), received.clone());
                std::thread::spawn(move || handle(stream, &behaviour, &stop, &received));
            }
            Ok((stream, _)) => drop(stream),
            Err(e) if e.kind() == ErrorKind::WouldBlock => std::thread::sleep(POLL),
            Err(_) => std::thread::sleep(POLL),
        }
    }
}

fn handle(
    mut stream: TcpStream,
    behaviour: &Behaviour,
    stop: &AtomicBool,
    received: &Mutex<VecDeque<Captured>>,
) {
    let _ = stream.set_nonblocking(false);
    match behaviour {
        Behaviour::Silent => wait_while_running(stop, LIFETIME),
        Behaviour::Answer { delay, answer } => {
            let bytes = read_request(&mut stream);
            let captured = parse(&bytes);
            wait_while_running(stop, *delay);
            let response = match (answer, &captured) {
                (Answer::Fixed(bytes), _) => bytes.clone(),
                (Answer::Echo, Some(c)) => {
                    let kind = c.header("content-type").unwrap_or("application/json");
                    http_response("200 OK", kind, &c.body)
                }
                (Answer::Echo, None) => http_response("400 Bad Request", "text/plain", b""),
            };
            if let Some(captured) = captured {
                received
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .push_back(captured);
            }
            let _ = stream.write_all(&response);
            let _ = stream.shutdown(Shutdown::Both);
        }
    }
}

/// Sleep up to `wait`, in small steps, returning early when the server stops.
fn wait_while_running(stop: &AtomicBool, wait: Duration) {
    let until = Instant::now() + wait;
    while !stop.load(Ordering::SeqCst) && Instant::now() < until {
        std::thread::sleep(POLL.min(until.saturating_duration_since(Instant::now())));
    }
}

/// The request's bytes: until its head and declared body are in, the peer stops sending,
/// the first bytes are not HTTP, or the limits are reached.
fn read_request(stream: &mut TcpStream) -> Vec<u8> {
    let _ = stream.set_read_timeout(Some(READ_TIMEOUT));
    let started = Instant::now();
    let mut seen = Vec::new();
    let mut buffer = [0u8; 8192];
    while seen.len() < MAX_REQUEST && started.elapsed() < READ_TIMEOUT {
        match stream.read(&mut buffer) {
            Ok(0) | Err(_) => break,
            Ok(n) => seen.extend_from_slice(&buffer[..n]),
        }
        if !seen[0].is_ascii_uppercase() || request_complete(&seen) {
            break;
        }
    }
    seen
}

fn head_end(seen: &[u8]) -> Option<usize> {
    seen.windows(4).position(|w| w == b"\r\n\r\n")
}

fn request_complete(seen: &[u8]) -> bool {
    let Some(end) = head_end(seen) else {
        return false;
    };
    let length = parse(&seen[..end + 4]).map_or(0, |c| content_length(&c));
    seen.len() >= end + 4 + length
}

fn content_length(captured: &Captured) -> usize {
    captured
        .header("content-length")
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0)
}

/// Request line, headers and body; `None` for bytes that are not an HTTP request.
fn parse(bytes: &[u8]) -> Option<Captured> {
    let end = head_end(bytes)?;
    let head = String::from_utf8_lossy(&bytes[..end]).into_owned();
    let mut lines = head.split("\r\n");
    let mut request_line = lines.next()?.split(' ');
    let method = request_line.next()?.to_string();
    let target = request_line.next()?;
    let (path, query) = match target.split_once('?') {
        Some((path, query)) => (path.to_string(), Some(query.to_string())),
        None => (target.to_string(), None),
    };
    let headers = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(n, v)| (n.trim().to_string(), v.trim().to_string()))
        .collect();
    Some(Captured {
        method,
        path,
        query,
        headers,
        body: bytes[end + 4..].to_vec(),
    })
}
