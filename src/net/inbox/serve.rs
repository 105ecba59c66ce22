//! Connections and requests: the part that must never fall over.
//!
//! hyper serves each connection (rather than `axum::serve`) because only its builder has
//! the header-read timeout: a client that stalls mid-head is closed. A stalled body is cut
//! by our own deadline (408), a body over the limit gets 413 after being drained up to a
//! cap (so the client reads the answer instead of a reset), and every request, however
//! malformed, ends up as one [`Received`] with an answer.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::http::{HeaderName, HeaderValue, Request, Response, StatusCode, header};
use hyper::body::{Body as _, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, watch};
use tokio::task::JoinSet;
use tokio::time::Instant;

use super::answers::{self, Answer, AnswerInput, AnswerRule};
use super::record::Received;
use super::verify::{self, InboundRequest, Verdict};
use super::{Limits, SHUTDOWN_GRACE, Shared};
use crate::snap::{catalog, timestamp};

/// A body declared or sent beyond this many times the limit is not drained: the answer
/// goes out and the connection closes (the client may then see a reset instead).
const DRAIN_FACTOR: usize = 4;

pub(super) async fn accept_loop(
    listener: TcpListener,
    shared: Arc<Shared>,
    mut stop: watch::Receiver<bool>,
    max_connections: usize,
) {
    let permits = Arc::new(Semaphore::new(max_connections));
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            // A sent stop, or a dropped handle (Err), both end the loop.
            _ = stop.changed() => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    // Over the limit: close at once rather than queue without bound.
                    let Ok(permit) = Arc::clone(&permits).try_acquire_owned() else {
                        drop(stream);
                        continue;
                    };
                    connections.spawn(serve_connection(
                        stream,
                        peer,
                        Arc::clone(&shared),
                        stop.clone(),
                        permit,
                    ));
                }
                // Out of file descriptors and the like: pause instead of spinning.
                Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
    drop(listener);
    let drained = tokio::time::timeout(SHUTDOWN_GRACE, async {
        while connections.join_next().await.is_some() {}
    })
    .await;
    if drained.is_err() {
        connections.shutdown().await;
    }
}

async fn serve_connection(
    stream: TcpStream,
    peer: SocketAddr,
    shared: Arc<Shared>,
    mut stop: watch::Receiver<bool>,
    _permit: OwnedSemaphorePermit,
) {
    let limits = shared.limits;
    let service = service_fn(move |request| {
        let shared = Arc::clone(&shared);
        async move { Ok::<_, Infallible>(handle(shared, peer, request).await) }
    });
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout)
        .keep_alive(true);
    let connection = builder.serve_connection(TokioIo::new(stream), service);
    tokio::pin!(connection);
    // Errors here are the client's (a reset, a malformed head, a stalled head): the
    // connection ends and the listener carries on.
    tokio::select! {
        _ = connection.as_mut() => {}
        _ = stop.changed() => {
            connection.as_mut().graceful_shutdown();
            let _ = connection.await;
        }
    }
}

/// How reading a body ended.
enum BodyEnd {
    Complete,
    Unfinished(Unfinished),
}

/// Why a body was not read to its end.
enum Unfinished {
    TooLarge,
    TimedOut,
    Broken(String),
}

struct BodyRead {
    end: BodyEnd,
    /// At most the body limit.
    kept: Vec<u8>,
    /// Bytes received in all.
    seen: usize,
}

async fn read_body(body: Incoming, limits: &Limits, declared: Option<u64>) -> BodyRead {
    let limit = limits.body_limit;
    let drain_cap = limit.saturating_mul(DRAIN_FACTOR);
    let mut read = BodyRead {
        end: BodyEnd::Complete,
        kept: Vec::new(),
        seen: 0,
    };
    if declared.is_some_and(|n| n > drain_cap as u64) {
        read.end = BodyEnd::Unfinished(Unfinished::TooLarge);
        return read;
    }
    let deadline = Instant::now() + limits.body_read_timeout;
    let mut body = std::pin::pin!(body);
    loop {
        let next = std::future::poll_fn(|cx| body.as_mut().poll_frame(cx));
        let frame = match tokio::time::timeout_at(deadline, next).await {
            Err(_) => {
                read.end = BodyEnd::Unfinished(Unfinished::TimedOut);
                return read;
            }
            Ok(None) => break,
            Ok(Some(Err(e))) => {
                read.end = BodyEnd::Unfinished(Unfinished::Broken(e.to_string()));
                return read;
            }
            Ok(Some(Ok(frame))) => frame,
        };
        // Trailers carry nothing we use.
        let Ok(data) = frame.into_data() else {
            continue;
        };
        read.seen = read.seen.saturating_add(data.len());
        let room = limit.saturating_sub(read.kept.len());
        read.kept.extend_from_slice(&data[..data.len().min(room)]);
        if read.seen > drain_cap {
            break;
        }
    }
    if read.seen > limit {
        read.end = BodyEnd::Unfinished(Unfinished::TooLarge);
    }
    read
}

/// The request head, as the verdict, the answer and the record need it.
struct Head {
    method: String,
    path: String,
    query: Option<String>,
    headers: Vec<(String, String)>,
    declared_length: Option<u64>,
}

impl Head {
    fn of(parts: &axum::http::request::Parts) -> Self {
        Head {
            method: parts.method.as_str().to_string(),
            path: parts.uri.path().to_string(),
            query: parts.uri.query().map(str::to_string),
            headers: parts
                .headers
                .iter()
                .map(|(name, value)| {
                    (
                        name.as_str().to_string(),
                        String::from_utf8_lossy(value.as_bytes()).into_owned(),
                    )
                })
                .collect(),
            declared_length: parts
                .headers
                .get(header::CONTENT_LENGTH)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<u64>().ok()),
        }
    }
}

/// What the inbox makes of one request.
struct Decision {
    verdict: Verdict,
    answer: Answer,
    rule_label: String,
    /// Close the connection after answering (the body was not read to its end).
    close: bool,
}

async fn handle(
    shared: Arc<Shared>,
    peer: SocketAddr,
    request: Request<Incoming>,
) -> Response<Body> {
    let started = Instant::now();
    let arrived = timestamp_millis();
    let (parts, body) = request.into_parts();
    let head = Head::of(&parts);
    let limits = shared.limits;
    let read = read_body(body, &limits, head.declared_length).await;
    let body_text = String::from_utf8_lossy(&read.kept).into_owned();

    let decision = match &read.end {
        BodyEnd::Complete => decide_complete(&shared, &head, &read.kept, &body_text),
        BodyEnd::Unfinished(why) => decide_unfinished(why, &head, &read, &limits),
    };
    let Decision {
        verdict,
        answer,
        rule_label,
        close,
    } = decision;
    let response_headers = response_headers(&answer, close);

    let kept_len = read.kept.len().min(limits.kept_body_cap);
    let kept_body = if kept_len == read.kept.len() {
        body_text
    } else {
        String::from_utf8_lossy(&read.kept[..kept_len]).into_owned()
    };
    let received = Received {
        id: 0,
        time: arrived,
        peer: peer.to_string(),
        service: catalog::by_path(answers::API_PREFIX, &head.path).map(|s| s.title()),
        method: head.method,
        path: head.path,
        query: head.query,
        headers: head.headers,
        body: kept_body,
        body_bytes: read.seen,
        // An unfinished body (too large, stalled, broken) is never the whole body.
        body_truncated: read.seen > kept_len || !matches!(read.end, BodyEnd::Complete),
        verdict,
        answer_rule: rule_label,
        answered_status: answer.status,
        answered_headers: response_headers
            .iter()
            .map(|(n, v)| {
                (
                    n.as_str().to_string(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect(),
        answered_body: answer.body.clone(),
        answer_delay_ms: millis(answer.delay),
        elapsed_ms: millis(started.elapsed() + answer.delay),
    };
    // Shown before a slow answer goes out, so the panel sees the request as it arrives.
    shared.record(received);
    if !answer.delay.is_zero() {
        tokio::time::sleep(answer.delay).await;
    }
    build_response(answer, response_headers)
}

/// A whole body arrived: judge the signature, answer by the path's rule.
fn decide_complete(shared: &Shared, head: &Head, bytes: &[u8], body_text: &str) -> Decision {
    let rule = shared
        .answers
        .read()
        .unwrap_or_else(|e| e.into_inner())
        .get(&head.path)
        .cloned()
        .unwrap_or_default();
    let (keys, mode) = shared
        .verification
        .read()
        .unwrap_or_else(|e| e.into_inner())
        .clone();
    let verdict = verify::judge(
        &InboundRequest {
            method: &head.method,
            path: &head.path,
            query: head.query.as_deref(),
            headers: &head.headers,
            body: body_text,
        },
        &keys,
        mode,
        chrono::Utc::now(),
    );
    let answer = match std::str::from_utf8(bytes) {
        Err(e) if rule == AnswerRule::Default && answers::is_json_path(&head.path) => {
            answers::error_answer(
                400,
                &head.path,
                "00",
                &format!(
                    "Bad Request. The body is not UTF-8 text (invalid byte at offset {})",
                    e.valid_up_to()
                ),
            )
        }
        _ => answers::answer(
            &rule,
            &AnswerInput {
                method: &head.method,
                path: &head.path,
                query: head.query.as_deref(),
                headers: &head.headers,
                body: body_text,
            },
        ),
    };
    Decision {
        verdict,
        answer,
        rule_label: rule.label(),
        close: false,
    }
}

/// The body did not arrive whole: say why, whatever rule the path has.
fn decide_unfinished(why: &Unfinished, head: &Head, read: &BodyRead, limits: &Limits) -> Decision {
    let (status, rule_label, message) = match why {
        Unfinished::TooLarge => {
            let size = match head.declared_length {
                Some(n) => format!("{n} bytes"),
                None => format!("over {} bytes", read.seen),
            };
            (
                413,
                "body limit",
                format!(
                    "Request Entity Too Large. The body is {size}; the inbox takes at most {} bytes",
                    limits.body_limit
                ),
            )
        }
        Unfinished::TimedOut => {
            let expected = head
                .declared_length
                .map(|n| format!(" of {n}"))
                .unwrap_or_default();
            (
                408,
                "read timeout",
                format!(
                    "Request Timeout. The body stopped arriving: {}{expected} bytes in {} ms",
                    read.seen,
                    limits.body_read_timeout.as_millis()
                ),
            )
        }
        // The client is most likely gone; answer anyway, for the record.
        Unfinished::Broken(reason) => (
            400,
            "body error",
            format!(
                "Bad Request. The body could not be read after {} bytes: {reason}",
                read.seen
            ),
        ),
    };
    Decision {
        verdict: Verdict::not_checked(format!(
            "not checked, the body was not read whole: {message}"
        )),
        answer: answers::error_answer(status, &head.path, "00", &message),
        rule_label: rule_label.to_string(),
        close: true,
    }
}

fn millis(duration: Duration) -> u64 {
    duration.as_millis().try_into().unwrap_or(u64::MAX)
}

fn response_headers(answer: &Answer, close: bool) -> Vec<(HeaderName, HeaderValue)> {
    let mut out = vec![
        (
            header::CONTENT_TYPE,
            HeaderValue::from_static(answer.content_type),
        ),
        (
            HeaderName::from_static("x-timestamp"),
            // A timestamp is ASCII; the fallback is never used.
            HeaderValue::from_str(&timestamp::now_jakarta())
                .unwrap_or_else(|_| HeaderValue::from_static("")),
        ),
    ];
    for (name, value) in &answer.extra_headers {
        // An echoed value that is not a valid header value is left out, not a crash.
        if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(value),
        ) {
            out.push((name, value));
        }
    }
    if close {
        out.push((header::CONNECTION, HeaderValue::from_static("close")));
    }
    out
}

fn build_response(answer: Answer, headers: Vec<(HeaderName, HeaderValue)>) -> Response<Body> {
    let mut response = Response::new(Body::from(answer.body));
    *response.status_mut() =
        StatusCode::from_u16(answer.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let map = response.headers_mut();
    for (name, value) in headers {
        map.append(name, value);
    }
    response
}

/// Now in Jakarta time, milliseconds.
fn timestamp_millis() -> String {
    chrono::Utc::now()
        .with_timezone(&timestamp::jakarta())
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, false)
}

impl Shared {
    /// Number, keep and announce one request.
    fn record(&self, mut received: Received) {
        {
            let mut log = self.log();
            received.id = log.take_id();
            log.push(received.clone());
        }
        // No subscriber is fine: the list has it.
        let _ = self.events.send(received);
    }
}
