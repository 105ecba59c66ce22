//! Hostile HTTP against both servers (issue 11 items 9 and the chaos test): the sandbox and
//! the inbox take a corpus of malformed, ambiguous and oversized requests over raw TCP,
//! with 0 panics, none of them hanging, every ambiguous one refused `400xx00` with its
//! reason, and a valid request answered after each batch.
//!
//! `cargo test --test chaos` runs the corpus once per server; `SNAP_SOAK_FULL=1` runs it
//! [`FULL_ROUNDS`] times, each batch sent concurrently.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::too_many_lines
)]

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use snap_console::flows::history::FileRecorder;
use snap_console::net::inbox::{self, InboxConfig, Recording, VerificationKeys};
use snap_console::net::sandbox::{self, SandboxConfig};
use snap_console::snap::keys;
use snap_console::snap::signature::{self, SignatureInput, SignatureKind, SigningSecret};
use snap_console::snap::timestamp;
use snap_console::store::history::Redactor;
use zeroize::Zeroizing;

#[path = "common/inbox_load.rs"]
mod inbox_load;
use inbox_load::{CLIENT_ID, Signer, fixture, provider_key};

const FULL_ROUNDS: usize = 20;
/// How long one malformed request may take to be answered or closed.
const PER_REQUEST: Duration = Duration::from_secs(8);

fn rounds() -> usize {
    if std::env::var_os("SNAP_SOAK_FULL").is_some() {
        FULL_ROUNDS
    } else {
        1
    }
}

static PANICS: AtomicUsize = AtomicUsize::new(0);

/// Count every panic in the process (the servers run in it): the point is 0.
fn count_panics() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            PANICS.fetch_add(1, Ordering::SeqCst);
            previous(info);
        }));
    });
}

/// What came back: the status (0 for none), the raw text, and how long it took.
struct Reply {
    status: u16,
    text: String,
}

/// Write `bytes`, then read until the server closes or `PER_REQUEST` passes. A hang is a
/// failure; a server that closes without a word is fine for garbage.
fn exchange(addr: SocketAddr, bytes: &[u8], half_close: bool) -> Reply {
    let started = Instant::now();
    let mut stream = TcpStream::connect(addr).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_millis(200)))
        .unwrap();
    // The server may answer and close before reading everything: a failed write is fine.
    let _ = stream.write_all(bytes);
    if half_close {
        let _ = stream.shutdown(Shutdown::Write);
    }
    let mut collected = Vec::new();
    let mut buffer = [0u8; 8192];
    loop {
        match stream.read(&mut buffer) {
            Ok(0) => break,
            Ok(n) => {
                collected.extend_from_slice(&buffer[..n]);
                // One whole answer is enough (keep-alive connections stay open).
                if answer_complete(&collected) {
                    break;
                }
            }
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                assert!(
                    started.elapsed() < PER_REQUEST,
                    "no answer and no close within {PER_REQUEST:?} for {:?}",
                    String::from_utf8_lossy(&bytes[..bytes.len().min(120)])
                );
            }
            Err(_) => break,
        }
    }
    let text = String::from_utf8_lossy(&collected).into_owned();
    let status = text
        .strip_prefix("HTTP/1.1 ")
        .and_then(|rest| rest.get(..3))
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    Reply { status, text }
}

fn answer_complete(bytes: &[u8]) -> bool {
    let text = String::from_utf8_lossy(bytes);
    let Some((head, body)) = text.split_once("\r\n\r\n") else {
        return false;
    };
    let length = head
        .lines()
        .find_map(|l| {
            let (name, value) = l.split_once(':')?;
            name.eq_ignore_ascii_case("content-length")
                .then(|| value.trim().parse::<usize>().ok())?
        })
        .unwrap_or(0);
    body.len() >= length
}

/// `request` with `line` added as a header after the request line.
fn with_header(request: &[u8], line: &str) -> Vec<u8> {
    let text = String::from_utf8_lossy(request);
    let (first, rest) = text.split_once("\r\n").expect("a request line");
    format!("{first}\r\n{line}\r\n{rest}").into_bytes()
}

/// `request` with its body sent chunked while still declaring a Content-Length.
fn chunked_and_length(request: &[u8]) -> Vec<u8> {
    let text = String::from_utf8_lossy(request);
    let (head, body) = text.split_once("\r\n\r\n").expect("a head");
    let head: Vec<&str> = head
        .lines()
        .filter(|l| !l.to_ascii_lowercase().starts_with("content-length"))
        .collect();
    format!(
        "{}\r\nContent-Length: {}\r\nTransfer-Encoding: chunked\r\n\r\n{:x}\r\n{body}\r\n0\r\n\r\n",
        head.join("\r\n"),
        body.len(),
        body.len()
    )
    .into_bytes()
}

/// `request` with a Content-Length that lies (`declared` instead of the real length).
fn lying_length(request: &[u8], declared: usize) -> Vec<u8> {
    let text = String::from_utf8_lossy(request);
    let (head, body) = text.split_once("\r\n\r\n").expect("a head");
    let head: Vec<&str> = head
        .lines()
        .filter(|l| !l.to_ascii_lowercase().starts_with("content-length"))
        .collect();
    format!(
        "{}\r\nContent-Length: {declared}\r\n\r\n{body}",
        head.join("\r\n")
    )
    .into_bytes()
}

/// A malformed request: its name, its bytes, whether to close our side after writing,
/// and the reason an ambiguous one must be refused with (None: any non-2xx or a close).
struct Case {
    name: &'static str,
    bytes: Vec<u8>,
    half_close: bool,
    refused_because: Option<&'static str>,
}

fn corpus(valid: &[u8]) -> Vec<Case> {
    let case = |name, bytes, refused_because| Case {
        name,
        bytes,
        half_close: false,
        refused_because,
    };
    let garbage: Vec<u8> = (0..4096u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    vec![
        case(
            "duplicate X-SIGNATURE",
            with_header(valid, "X-SIGNATURE: c2Vjb25kIG9waW5pb24="),
            Some("X-SIGNATURE header appears 2 times"),
        ),
        case(
            "duplicate X-TIMESTAMP",
            with_header(valid, "X-TIMESTAMP: 2020-01-01T00:00:00+07:00"),
            Some("X-TIMESTAMP header appears 2 times"),
        ),
        case(
            "duplicate X-CLIENT-KEY",
            with_header(valid, "X-CLIENT-KEY: someone-else"),
            Some("X-CLIENT-KEY header appears 2 times"),
        ),
        case(
            "Content-Length with Transfer-Encoding",
            chunked_and_length(valid),
            Some("Content-Length and Transfer-Encoding together"),
        ),
        case(
            "Content-Encoding gzip",
            with_header(valid, "Content-Encoding: gzip"),
            Some("Content-Encoding gzip is not supported"),
        ),
        case("garbage", garbage, None),
        case(
            "HTTP/2 preface",
            b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\x00\x00\x12\x04\x00\x00\x00\x00\x00".to_vec(),
            None,
        ),
        case(
            "oversized request line",
            format!("GET /{} HTTP/1.1\r\nHost: x\r\n\r\n", "a".repeat(200_000)).into_bytes(),
            None,
        ),
        case(
            "oversized headers",
            {
                let mut head = "GET / HTTP/1.1\r\nHost: x\r\n".to_string();
                for i in 0..400 {
                    head.push_str(&format!("X-Filler-{i}: {}\r\n", "v".repeat(400)));
                }
                head.push_str("\r\n");
                head.into_bytes()
            },
            None,
        ),
        case(
            "Content-Length larger than the body",
            lying_length(valid, 100_000),
            None,
        ),
        Case {
            half_close: true,
            ..case(
                "Content-Length larger than the body, then EOF",
                lying_length(valid, 100_000),
                None,
            )
        },
        case(
            "Content-Length shorter than the body",
            lying_length(valid, 3),
            None,
        ),
        case(
            "two different Content-Lengths",
            with_header(valid, "Content-Length: 7"),
            None,
        ),
        case(
            "Content-Length not a number",
            String::from_utf8_lossy(&lying_length(valid, 0))
                .replace("Content-Length: 0", "Content-Length: -1")
                .into_bytes(),
            None,
        ),
        case(
            "broken chunked body",
            b"POST /api/v1.0/transfer-va/payment HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n".to_vec(),
            None,
        ),
        case(
            "header without a colon",
            with_header(valid, "this line has no colon"),
            None,
        ),
        case(
            "NUL in a header value",
            with_header(valid, "X-Nul: a\0b"),
            None,
        ),
        case(
            "bare LF line endings",
            String::from_utf8_lossy(valid).replace("\r\n", "\n").into_bytes(),
            None,
        ),
        case(
            "no HTTP version",
            b"POST /api/v1.0/transfer-va/payment\r\n\r\n".to_vec(),
            None,
        ),
        case(
            "body over the limit",
            lying_length(valid, 2 * 1024 * 1024)
                .into_iter()
                .chain(std::iter::repeat_n(b' ', 2 * 1024 * 1024))
                .collect(),
            None,
        ),
    ]
}

/// Send the corpus `rounds` times (each batch concurrently), a valid request after each.
fn hammer(name: &str, addr: SocketAddr, valid: impl Fn() -> Vec<u8>, reason_header: &str) {
    count_panics();
    let started = Instant::now();
    let mut sent = 0usize;
    for round in 0..rounds() {
        let cases = corpus(&valid());
        let replies: Vec<(Case, Reply)> = std::thread::scope(|scope| {
            let handles: Vec<_> = cases
                .into_iter()
                .map(|case| {
                    scope.spawn(move || {
                        let reply = exchange(addr, &case.bytes, case.half_close);
                        (case, reply)
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("case"))
                .collect()
        });
        for (case, reply) in &replies {
            sent += 1;
            // The others only have to be answered or closed in time (checked as they
            // were read): some are legal after all (bare LF line endings, RFC 9112 §2.2).
            if let Some(reason) = case.refused_because {
                assert_eq!(reply.status, 400, "{name}: '{}': {}", case.name, reply.text);
                assert!(
                    reply.text.contains("\"responseCode\":\"400")
                        && reply
                            .text
                            .contains("00\",\"responseMessage\":\"Bad Request. "),
                    "{name}: '{}' is 400xx00: {}",
                    case.name,
                    reply.text
                );
                let header_line = reply
                    .text
                    .lines()
                    .find(|l| l.to_ascii_lowercase().starts_with(reason_header))
                    .unwrap_or_default();
                assert!(
                    header_line.contains(reason),
                    "{name}: '{}' names its reason in {reason_header}: {}",
                    case.name,
                    reply.text
                );
            }
        }
        let after = exchange(addr, &valid(), false);
        assert_eq!(
            after.status, 200,
            "{name}: a valid request after batch {round}: {}",
            after.text
        );
    }
    assert_eq!(PANICS.load(Ordering::SeqCst), 0, "no panic anywhere");
    eprintln!(
        "{name}: {sent} malformed requests in {} rounds, {:.1} s, 0 panics, a valid request answered 200 after each batch",
        rounds(),
        started.elapsed().as_secs_f64()
    );
}

fn sandbox_token_request() -> Vec<u8> {
    let partner = provider_key();
    let ts = timestamp::now_jakarta();
    let prepared = signature::prepare(&SignatureInput {
        kind: SignatureKind::B2bToken,
        client_id: CLIENT_ID.to_string(),
        timestamp: ts.clone(),
        ..SignatureInput::default()
    })
    .expect("prepare");
    let signed = signature::sign(&prepared, SigningSecret::Rsa(&partner)).expect("sign");
    let body = r#"{"grantType":"client_credentials"}"#;
    format!(
        "POST /api/v1.0/access-token/b2b HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nX-TIMESTAMP: {ts}\r\nX-CLIENT-KEY: {CLIENT_ID}\r\nX-SIGNATURE: {signed}\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sandbox_takes_the_malformed_corpus_and_keeps_serving() {
    let notification = {
        let bytes = std::fs::read(fixture("test_rsa1024_pkcs8.pem")).unwrap();
        keys::parse_private_key(&bytes, None).unwrap().key
    };
    let mut config = SandboxConfig::new(
        CLIENT_ID,
        Zeroizing::new("chaos-secret".to_string()),
        provider_key().to_public_key(),
        notification,
    );
    config.explain = true;
    config.header_read_timeout = Duration::from_secs(2);
    config.body_read_timeout = Duration::from_secs(2);
    let sandbox = sandbox::start(config).await.expect("sandbox starts");
    let addr = sandbox.addr();
    tokio::task::spawn_blocking(move || {
        hammer("sandbox", addr, sandbox_token_request, "x-sandbox-reason")
    })
    .await
    .expect("hammer");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_inbox_takes_the_malformed_corpus_and_keeps_serving() {
    let data = tempfile::tempdir().expect("temp dir");
    let (recorder, _) = FileRecorder::open(data.path().to_path_buf()).expect("history");
    let pem = std::fs::read(fixture("test_rsa2048_public_spki.pem")).unwrap();
    let handle = inbox::start(InboxConfig {
        verification: VerificationKeys {
            counterparty_public_key: Some(keys::parse_public_key(&pem).unwrap().key),
            client_secret: None,
            expected_client_id: Some(CLIENT_ID.to_string()),
        },
        header_read_timeout: Duration::from_secs(2),
        body_read_timeout: Duration::from_secs(2),
        recording: Some(Recording {
            recorder: Arc::new(recorder),
            profile: "chaos".to_string(),
            redactor: Redactor::new(),
        }),
        ..InboxConfig::default()
    })
    .await
    .expect("inbox starts");
    let addr = handle.addr();
    let signer = Arc::new(Signer::new());
    let counter = Arc::new(AtomicUsize::new(0));
    tokio::task::spawn_blocking(move || {
        hammer(
            "inbox",
            addr,
            move || {
                let n = counter.fetch_add(1, Ordering::SeqCst);
                signer.request(&format!("CHAOS{n:08}"), 600)
            },
            "x-inbox-reason",
        )
    })
    .await
    .expect("hammer");
    handle.stop().await;
}
