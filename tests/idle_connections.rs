//! Idle and slow clients cannot stop the servers (issue 11, item 6): the sandbox and the
//! inbox share one serve loop (`net::http`) whose connection limit (2,048) is far above a
//! crowd of 1,000 idle sockets, whose head timeout also closes idle keep-alive connections,
//! and which answers connections past its limit with a complete 503 instead of queueing or
//! dropping them. Real servers on 127.0.0.1, raw TCP clients, every wait bounded.
//!
//! The figures are printed (`cargo test --test idle_connections -- --nocapture`).

// Test code may panic and tell a long story: a failed expectation is the point.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::too_many_lines
)]

use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use snap_console::net::inbox::{self, AnswerRule, InboxConfig, InboxHandle};
use snap_console::net::sandbox::{self, SandboxConfig, SandboxHandle};
use snap_console::snap::keys::{self, RsaPrivateKey};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use zeroize::Zeroizing;

/// The crowd of idle (and a few slow) sockets held open during the measurement.
const IDLE: usize = 1_000;
/// The promise: a valid request is answered this fast with the crowd open (the median of
/// [`SAMPLES`], connect to last byte). Before the shared loop it took 5–10 s.
const PROMISE: Duration = Duration::from_millis(100);
/// No single sample may take longer than this (a loaded 2-core machine has hiccups).
const WORST: Duration = Duration::from_millis(1_000);
const SAMPLES: usize = 7;
/// Every test ends within this, whatever happens.
const TEST_LIMIT: Duration = Duration::from_secs(60);
const PAYMENT: &str = "/api/v1.0/transfer-va/payment";

fn bounded<F: Future>(test: F) -> F::Output {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        tokio::time::timeout(TEST_LIMIT, test)
            .await
            .expect("the test finished in time")
    })
}

/// Both ends of every connection live in this process: 2,000 descriptors and more, over
/// Debian's default soft limit of 1,024. Raise our own soft limit (the hard one allows it).
fn raise_open_file_limit() {
    let wanted = (IDLE as u64) * 2 + 512;
    let got = rlimit::increase_nofile_limit(wanted).expect("read and set RLIMIT_NOFILE");
    assert!(
        got >= wanted,
        "this test needs {wanted} open files; the hard limit allows only {got}"
    );
}

fn private_key(name: &str) -> RsaPrivateKey {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/keys")
        .join(name);
    let bytes = std::fs::read(path).expect("fixture key readable");
    keys::parse_private_key(&bytes, None)
        .expect("fixture key parses")
        .key
}

fn sandbox_config() -> SandboxConfig {
    SandboxConfig::new(
        "IDLE-TEST",
        Zeroizing::new("idle-test-client-secret".to_string()),
        private_key("test_rsa2048_pkcs8.pem").to_public_key(),
        private_key("test_rsa1024_pkcs8.pem"),
    )
}

async fn start_sandbox(config: SandboxConfig) -> SandboxHandle {
    sandbox::start(config).await.expect("sandbox starts")
}

async fn start_inbox(config: InboxConfig) -> InboxHandle {
    inbox::start(config).await.expect("inbox starts")
}

/// A valid request to each server, closing after the answer.
fn sandbox_request() -> Vec<u8> {
    format!(
        "GET {} HTTP/1.1\r\nHost: sandbox\r\nConnection: close\r\n\r\n",
        sandbox::NOTIFICATION_PUBLIC_KEY_PATH
    )
    .into_bytes()
}

fn inbox_request() -> Vec<u8> {
    let body = inbox::sample_va_payment_notification("   12345", "0001");
    format!(
        "POST {PAYMENT} HTTP/1.1\r\nHost: inbox\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// Connect, send, read to the end: the answer and how long it all took.
async fn timed_exchange(addr: SocketAddr, request: &[u8]) -> (Duration, String) {
    let started = Instant::now();
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    stream.write_all(request).await.expect("write");
    let mut answer = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(15), stream.read_to_end(&mut answer));
    let outcome = read.await;
    let elapsed = started.elapsed();
    assert!(outcome.is_ok(), "no end of answer in 15 s");
    (elapsed, String::from_utf8_lossy(&answer).into_owned())
}

/// [`SAMPLES`] answered exchanges: (median, worst), every answer checked to be a 200.
async fn measure(addr: SocketAddr, request: &[u8]) -> (Duration, Duration) {
    let mut times = Vec::with_capacity(SAMPLES);
    for _ in 0..SAMPLES {
        let (elapsed, answer) = timed_exchange(addr, request).await;
        assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
        times.push(elapsed);
    }
    times.sort();
    (times[SAMPLES / 2], times[SAMPLES - 1])
}

/// `count` sockets that say nothing; every tenth sends half a request head and stalls
/// (slowloris).
async fn open_crowd(addr: SocketAddr, count: usize) -> Vec<TcpStream> {
    let mut crowd = Vec::with_capacity(count);
    for i in 0..count {
        let mut stream = TcpStream::connect(addr)
            .await
            .expect("connect an idle socket");
        if i % 10 == 0 {
            stream
                .write_all(b"POST /api/v1.0/transfer-va/payment HTTP/1.1\r\nHost: x\r\nX-Slo")
                .await
                .expect("write half a head");
        }
        crowd.push(stream);
    }
    crowd
}

/// The measurement both servers get: a baseline, then the same with the crowd open.
async fn a_crowd_does_not_delay(name: &str, addr: SocketAddr, request: &[u8]) {
    let (base_median, base_worst) = measure(addr, request).await;
    let opened = Instant::now();
    let crowd = open_crowd(addr, IDLE).await;
    let opening = opened.elapsed();
    // The first request right behind the crowd also waits for the crowd to be accepted.
    let (first, answer) = timed_exchange(addr, request).await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    let (median, worst) = measure(addr, request).await;
    eprintln!(
        "{name}: without idle sockets median {base_median:?} worst {base_worst:?}; \
         {IDLE} idle/slow sockets opened in {opening:?}; then first {first:?}, \
         median {median:?}, worst {worst:?} ({SAMPLES} samples)"
    );
    assert!(
        median <= PROMISE,
        "{name}: median {median:?} over {PROMISE:?}"
    );
    assert!(
        first <= WORST && worst <= WORST,
        "{name}: first {first:?}, worst {worst:?}"
    );
    drop(crowd);
}

#[test]
fn a_thousand_idle_sockets_do_not_delay_the_sandbox() {
    raise_open_file_limit();
    bounded(async {
        let sandbox = start_sandbox(sandbox_config()).await;
        a_crowd_does_not_delay("sandbox", sandbox.addr(), &sandbox_request()).await;
        sandbox.stop().await;
    });
}

#[test]
fn a_thousand_idle_sockets_do_not_delay_the_inbox() {
    raise_open_file_limit();
    bounded(async {
        let inbox = start_inbox(InboxConfig::default()).await;
        a_crowd_does_not_delay("inbox", inbox.addr(), &inbox_request()).await;
        inbox.stop().await;
    });
}

/// With `limit` idle sockets open, the next connection reads a complete 503; once one
/// idle socket goes, valid requests are served again.
async fn past_the_limit_is_a_503(addr: SocketAddr, limit: usize, request: &[u8]) {
    let mut crowd = Vec::new();
    for _ in 0..limit {
        crowd.push(TcpStream::connect(addr).await.expect("connect"));
    }
    // The crowd is accepted in order before the next connection (one listen queue).
    let (elapsed, answer) = timed_exchange(addr, request).await;
    assert!(
        answer.starts_with("HTTP/1.1 503 Service Unavailable\r\n"),
        "{answer}"
    );
    assert!(answer.contains("\r\nConnection: close\r\n"), "{answer}");
    assert!(answer.contains("\"responseCode\":\"5030000\""), "{answer}");
    assert!(
        answer.contains(&format!("the limit is {limit}")),
        "{answer}"
    );
    assert!(elapsed < WORST, "the refusal took {elapsed:?}");

    drop(crowd.pop());
    let mut served = None;
    for _ in 0..50 {
        let (_, answer) = timed_exchange(addr, request).await;
        if answer.starts_with("HTTP/1.1 200") {
            served = Some(answer);
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(served.is_some(), "a freed slot serves again");
}

#[test]
fn past_the_sandbox_connection_limit_a_client_reads_a_503() {
    bounded(async {
        let mut config = sandbox_config();
        config.max_connections = 4;
        let sandbox = start_sandbox(config).await;
        past_the_limit_is_a_503(sandbox.addr(), 4, &sandbox_request()).await;
        sandbox.stop().await;
    });
}

#[test]
fn past_the_inbox_connection_limit_a_client_reads_a_503() {
    bounded(async {
        let inbox = start_inbox(InboxConfig {
            max_connections: 3,
            ..InboxConfig::default()
        })
        .await;
        past_the_limit_is_a_503(inbox.addr(), 3, &inbox_request()).await;
        inbox.stop().await;
    });
}

#[test]
fn an_idle_keep_alive_connection_is_closed_after_the_head_timeout() {
    bounded(async {
        let mut config = sandbox_config();
        config.header_read_timeout = Duration::from_millis(300);
        let sandbox = start_sandbox(config).await;
        let mut stream = TcpStream::connect(sandbox.addr()).await.expect("connect");
        let request = format!(
            "GET {} HTTP/1.1\r\nHost: sandbox\r\n\r\n",
            sandbox::NOTIFICATION_PUBLIC_KEY_PATH
        );
        stream.write_all(request.as_bytes()).await.expect("write");
        // Read the one answer (status line, headers, Content-Length bytes), keep the socket.
        let mut answer = Vec::new();
        let mut chunk = [0u8; 4096];
        let answered = Instant::now();
        while !complete_answer(&answer) {
            let read = tokio::time::timeout(Duration::from_secs(5), stream.read(&mut chunk))
                .await
                .expect("the answer in time")
                .expect("read");
            assert!(read > 0, "closed before the answer");
            answer.extend_from_slice(&chunk[..read]);
        }
        assert!(answer.starts_with(b"HTTP/1.1 200"));
        // Now idle: the server closes it once the head timeout has passed.
        let end = tokio::time::timeout(Duration::from_secs(5), stream.read(&mut chunk)).await;
        let idle_for = answered.elapsed();
        assert!(matches!(end, Ok(Ok(0))), "closed, not {end:?}");
        assert!(
            idle_for >= Duration::from_millis(250),
            "closed too early: {idle_for:?}"
        );
        assert!(
            idle_for < Duration::from_secs(3),
            "closed too late: {idle_for:?}"
        );
        sandbox.stop().await;
    });
}

/// Status line and headers, and as many body bytes as Content-Length says.
fn complete_answer(bytes: &[u8]) -> bool {
    let text = String::from_utf8_lossy(bytes);
    let Some((head, body)) = text.split_once("\r\n\r\n") else {
        return false;
    };
    let length = head
        .lines()
        .find_map(|line| {
            let (name, value) = line.split_once(':')?;
            name.eq_ignore_ascii_case("content-length")
                .then(|| value.trim().parse::<usize>().ok())?
        })
        .unwrap_or(0);
    body.len() >= length
}

#[test]
fn stopping_lets_a_request_in_flight_finish() {
    bounded(async {
        let inbox = start_inbox(InboxConfig::default()).await;
        let slow = AnswerRule::Slow {
            delay: Duration::from_millis(400),
            then: Box::new(AnswerRule::Default),
        };
        inbox.set_answer(PAYMENT, slow).expect("rule");
        let addr = inbox.addr();
        let in_flight = tokio::spawn(async move { timed_exchange(addr, &inbox_request()).await });
        tokio::time::sleep(Duration::from_millis(100)).await;
        let stopping = Instant::now();
        inbox.stop().await;
        let stopped_in = stopping.elapsed();
        let (_, answer) = in_flight.await.expect("the client task");
        assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
        assert!(
            stopped_in < Duration::from_secs(2),
            "stop took {stopped_in:?}"
        );
        assert!(
            TcpStream::connect(addr).await.is_err(),
            "the port is closed"
        );
    });
}

#[test]
fn a_head_over_the_cap_gets_431_and_both_servers_keep_serving() {
    bounded(async {
        let sandbox = start_sandbox(sandbox_config()).await;
        let inbox = start_inbox(InboxConfig::default()).await;
        let huge = format!(
            "GET / HTTP/1.1\r\nHost: x\r\nX-Padding: {}\r\n\r\n",
            "a".repeat(100 * 1024)
        );
        for (addr, valid) in [
            (sandbox.addr(), sandbox_request()),
            (inbox.addr(), inbox_request()),
        ] {
            let (_, answer) = timed_exchange(addr, huge.as_bytes()).await;
            assert!(answer.starts_with("HTTP/1.1 431"), "{answer}");
            let (_, answer) = timed_exchange(addr, &valid).await;
            assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
        }
        sandbox.stop().await;
        inbox.stop().await;
    });
}

#[test]
fn limits_that_cannot_work_are_refused_at_start() {
    bounded(async {
        let mut config = sandbox_config();
        config.header_read_timeout = Duration::ZERO;
        let refused = sandbox::start(config).await.err().map(|e| e.to_string());
        assert!(
            refused
                .as_deref()
                .is_some_and(|e| e.contains("header read timeout")),
            "{refused:?}"
        );
        let refused = inbox::start(InboxConfig {
            max_connections: 0,
            ..InboxConfig::default()
        })
        .await
        .err()
        .map(|e| e.to_string());
        assert!(
            refused
                .as_deref()
                .is_some_and(|e| e.contains("connection limit")),
            "{refused:?}"
        );
    });
}
