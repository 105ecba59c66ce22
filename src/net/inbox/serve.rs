//! Requests: the part that must never fall over.
//!
//! Connections are served by the shared loop ([`crate::net::http::serve`]: head timeout,
//! head size cap, connection limit with a 503 past it, graceful stop) and bodies read by the
//! shared reader: a stalled body is cut by its deadline (408), a body over the limit gets
//! 413 after being drained up to a cap (so the client reads the answer instead of a reset),
//! and every request, however malformed, ends up as one [`Received`] with an answer.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::http::{HeaderName, HeaderValue, Request, Response, StatusCode, header};
use hyper::body::Incoming;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::time::Instant;

use super::answers::{self, Answer, AnswerInput, AnswerRule};
use super::gate;
use super::record::Received;
use super::verify::{self, InboundRequest, Verdict};
use super::{Limits, Shared};
use crate::net::http::{self, BodyEnd, BodyLimits, BodyRead, ServeLimits};
use crate::snap::{catalog, timestamp};

pub(super) async fn accept_loop(
    listener: TcpListener,
    shared: Arc<Shared>,
    stop: watch::Receiver<bool>,
    limits: ServeLimits,
) {
    http::serve(listener, limits, stop, move |peer, request| {
        handle(Arc::clone(&shared), peer, request)
    })
    .await;
}

async fn read_body(body: Incoming, limits: &Limits, declared: Option<u64>) -> BodyRead {
    let body_limits = BodyLimits {
        max_bytes: limits.body_limit,
        deadline: limits.body_read_timeout,
    };
    http::read_body(body, declared, body_limits).await
}

/// The request head, as the verdict, the answer and the record need it.
struct Head {
    method: String,
    path: String,
    query: Option<String>,
    headers: Vec<(String, String)>,
    declared_length: Option<u64>,
    /// Why the request can be read two ways (`net::http::ambiguity`), if it can.
    ambiguity: Option<String>,
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
            declared_length: http::declared_length(&parts.headers),
            ambiguity: http::ambiguity(parts),
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
    /// The first answer to the same notification, given again.
    duplicate: bool,
    /// Why the request was refused (401), when it was.
    rejection: Option<String>,
    /// The duplicate keys this answer was remembered under (forgotten again when the
    /// request cannot be recorded).
    remembered: Vec<String>,
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

    let decision = match (unfinished(&head, &read, &limits), &head.ambiguity) {
        (Some(why), _) => decide_unfinished(why, &head),
        (None, Some(reason)) => decide_ambiguous(reason, &head),
        (None, None) => decide_complete(&shared, &head, &read.kept, &body_text),
    };
    let Decision {
        verdict,
        mut answer,
        rule_label,
        close,
        duplicate,
        rejection,
        remembered,
    } = decision;
    let path = head.path.clone();
    let mut received = Received {
        id: 0,
        time: arrived,
        peer: peer.to_string(),
        service: catalog::by_path(answers::API_PREFIX, &head.path).map(|s| s.title()),
        method: head.method,
        path: head.path,
        query: head.query,
        headers: head.headers,
        // Whole here, for the history; capped below for the list.
        body: body_text,
        body_bytes: read.seen,
        // An unfinished body (too large, stalled, broken) is never the whole body.
        body_truncated: read.seen > read.kept.len() || !read.is_complete(),
        verdict,
        answer_rule: rule_label,
        duplicate,
        rejection,
        not_recorded: None,
        answered_status: 0,
        answered_headers: Vec::new(),
        answered_body: String::new(),
        answer_delay_ms: 0,
        elapsed_ms: millis(started.elapsed() + answer.delay),
    };
    set_answered(&mut received, &answer, close);
    // The raw bytes are text now: free them before waiting on the disk (a burst of large
    // bodies holds one copy each, not two).
    drop(read);
    // Recorded before anything is answered: an answer is a promise the request is kept.
    if let Some(recorder) = &shared.recorder
        && let Err(problem) = recorder.keep(&received).await
    {
        shared.seen().forget(&remembered);
        answer = not_recorded_answer(&path);
        set_answered(&mut received, &answer, close);
        received.answer_rule = "not recorded: 500, so the provider sends it again".to_string();
        received.not_recorded = Some(problem);
    }
    received.cap_body(limits.kept_body_cap);
    let headers = response_headers(&answer, close);
    // Shown before a slow answer goes out, so the panel sees the request as it arrives.
    shared.record(received);
    if !answer.delay.is_zero() {
        tokio::time::sleep(answer.delay).await;
    }
    build_response(answer, headers)
}

/// `500xx01 Internal Server Error` (SNAP's "retry"): the request could not be recorded.
fn not_recorded_answer(path: &str) -> Answer {
    answers::error_answer(
        500,
        path,
        "01",
        "Internal Server Error. The request could not be recorded; send it again",
    )
}

/// What `received` says it was answered: `answer` with the headers it goes out with.
fn set_answered(received: &mut Received, answer: &Answer, close: bool) {
    received.answered_status = answer.status;
    received.answered_headers = response_headers(answer, close)
        .iter()
        .map(|(n, v)| {
            (
                n.as_str().to_string(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
    received.answered_body = answer.body.clone();
    received.answer_delay_ms = millis(answer.delay);
}

/// A whole body arrived: judge the signature, refuse it like a merchant (unless the path
/// accepts anything), answer a repeat as the first, otherwise answer by the path's rule.
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
    let request = InboundRequest {
        method: &head.method,
        path: &head.path,
        query: head.query.as_deref(),
        headers: &head.headers,
        body: body_text,
    };
    let verdict = verify::judge(&request, &keys, mode, chrono::Utc::now());
    let can_verify = keys.counterparty_public_key.is_some() || keys.client_secret.is_some();
    let gated = gate::applies(&request, rule != AnswerRule::Default, can_verify)
        && !shared.accepts_invalid(&head.path);
    if gated
        && let Some(refused) = gate::check(&request, &verdict, keys.expected_client_id.as_deref())
    {
        return Decision {
            verdict,
            answer: refused.answer,
            rule_label: "refused 401".to_string(),
            close: false,
            duplicate: false,
            rejection: Some(refused.reason),
            remembered: Vec::new(),
        };
    }
    let duplicate_keys = gate::duplicate_keys(&request);
    // Held across the answer, so two copies arriving together get one answer.
    let mut seen = shared.seen();
    if let Some(first) = seen.answer_for(&duplicate_keys) {
        return Decision {
            verdict,
            answer: first,
            rule_label: "duplicate: the first answer again".to_string(),
            close: false,
            duplicate: true,
            rejection: None,
            remembered: Vec::new(),
        };
    }
    let answer = answer_by_rule(&rule, &request, bytes);
    let remembered = if (200..300).contains(&answer.status) {
        seen.remember(&duplicate_keys, &answer);
        duplicate_keys
    } else {
        Vec::new()
    };
    Decision {
        verdict,
        answer,
        rule_label: rule.label(),
        close: false,
        duplicate: false,
        rejection: None,
        remembered,
    }
}

/// The path's rule applied (a body that is not UTF-8 is refused first on a JSON path).
fn answer_by_rule(rule: &AnswerRule, request: &InboundRequest<'_>, bytes: &[u8]) -> Answer {
    match std::str::from_utf8(bytes) {
        Err(e) if *rule == AnswerRule::Default && answers::is_json_path(request.path) => {
            answers::error_answer(
                400,
                request.path,
                "00",
                &format!(
                    "Bad Request. The body is not UTF-8 text (invalid byte at offset {})",
                    e.valid_up_to()
                ),
            )
        }
        _ => answers::answer(
            rule,
            &AnswerInput {
                method: request.method,
                path: request.path,
                query: request.query,
                headers: request.headers,
                body: request.body,
            },
        ),
    }
}

/// Why the body did not arrive whole (status, rule label, message); None when it did.
fn unfinished(
    head: &Head,
    read: &BodyRead,
    limits: &Limits,
) -> Option<(u16, &'static str, String)> {
    let why = match &read.end {
        BodyEnd::Complete => return None,
        BodyEnd::TooLarge => {
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
        BodyEnd::TimedOut => {
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
        BodyEnd::Broken(reason) => (
            400,
            "body error",
            format!(
                "Bad Request. The body could not be read after {} bytes: {reason}",
                read.seen
            ),
        ),
    };
    Some(why)
}

/// Refused like a strict merchant: `400xx00` with the reason in the body and in
/// `X-INBOX-REASON`, whatever rule the path has; the connection is closed (its framing may
/// be the ambiguous part).
fn decide_ambiguous(reason: &str, head: &Head) -> Decision {
    let mut answer =
        answers::error_answer(400, &head.path, "00", &format!("Bad Request. {reason}"));
    answer
        .extra_headers
        .push(("x-inbox-reason".to_string(), reason.to_string()));
    Decision {
        verdict: Verdict::not_checked(format!("not checked, the request is ambiguous: {reason}")),
        answer,
        rule_label: "refused 400 (ambiguous)".to_string(),
        close: true,
        duplicate: false,
        rejection: Some(reason.to_string()),
        remembered: Vec::new(),
    }
}

/// The body did not arrive whole: say why, whatever rule the path has.
fn decide_unfinished((status, rule_label, message): (u16, &str, String), head: &Head) -> Decision {
    Decision {
        verdict: Verdict::not_checked(format!(
            "not checked, the body was not read whole: {message}"
        )),
        answer: answers::error_answer(status, &head.path, "00", &message),
        rule_label: rule_label.to_string(),
        close: true,
        duplicate: false,
        rejection: None,
        remembered: Vec::new(),
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
