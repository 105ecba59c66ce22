//! Sending a built request with reqwest: timings, a timeout over the whole exchange, the
//! profile's TLS setting, cancellation, and a cap on how much of an answer is read.
//!
//! Errors are sorted into what a person can act on (nothing listening, no answer in time,
//! certificate refused) with messages that name the host and never a header or body.

use std::time::{Duration, Instant};

use reqwest::Method;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use tokio::sync::watch;

use super::request::BuiltRequest;
use crate::net::http::{self, FailureKind};

/// At most this much of a response body is read; the rest is dropped and the record says
/// `truncated` (a SNAP answer is kilobytes; a runaway server must not fill the memory).
pub const MAX_RESPONSE_BYTES: usize = 20 * 1024 * 1024;

/// What came back.
#[derive(Debug, Clone, PartialEq)]
pub struct ResponseRecord {
    pub status: u16,
    /// In the order received; names lower-case as HTTP/1.1 libraries give them.
    pub headers: Vec<(String, String)>,
    /// At most [`MAX_RESPONSE_BYTES`].
    pub body: Vec<u8>,
    /// The body was longer than the cap and was cut.
    pub truncated: bool,
    /// From the start of the request to the last body byte.
    pub total_ms: f64,
    /// From the start of the request to the end of the response headers.
    pub headers_ms: f64,
    /// Body bytes received (the bytes read, so at most the cap plus one chunk).
    pub size: u64,
}

impl ResponseRecord {
    /// The first header of that name (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Which part of the exchange ran out of time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeoutPhase {
    /// Nothing came back (or not even a connection).
    Answer,
    /// The status and headers came, the body did not finish.
    Body,
}

/// Why no response could be had. No message carries a header value, body or secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    /// Nothing listening, host unknown, network unreachable.
    #[error("{message}")]
    Connect { target: String, message: String },
    #[error("{}", timeout_message(*.after, *.phase))]
    Timeout {
        target: String,
        after: Duration,
        phase: TimeoutPhase,
    },
    /// The TLS handshake failed: the certificate was refused, or the server does not
    /// speak TLS at all.
    #[error("{message}")]
    Tls { target: String, message: String },
    #[error("cancelled before the answer arrived")]
    Cancelled,
    /// The request could not be built (token requests build their own).
    #[error("{0}")]
    Build(#[from] super::request::BuildError),
    /// The token service answered, but with no token.
    #[error("{message}")]
    TokenRefused {
        status: u16,
        response_code: Option<String>,
        message: String,
    },
    #[error("{0}")]
    Other(String),
}

impl SendError {
    /// A stable one-word kind for scripts (`--json`) and the UI.
    pub fn kind(&self) -> &'static str {
        match self {
            SendError::Connect { .. } => "connect",
            SendError::Timeout { .. } => "timeout",
            SendError::Tls { .. } => "tls",
            SendError::Cancelled => "cancelled",
            SendError::Build(_) => "build",
            SendError::TokenRefused { .. } => "token",
            SendError::Other(_) => "other",
        }
    }
}

fn timeout_message(after: Duration, phase: TimeoutPhase) -> String {
    let secs = after.as_secs_f64();
    let shown = if (secs - secs.round()).abs() < 1e-9 {
        format!("{secs:.0} s")
    } else {
        format!("{secs:.1} s")
    };
    match phase {
        TimeoutPhase::Answer => format!("no answer within {shown}"),
        TimeoutPhase::Body => {
            format!("the answer started but its body did not finish within {shown}")
        }
    }
}

/// Send `built` and read the answer, all within `timeout`. Dropping the future cancels
/// the request (the connection is closed).
pub async fn send(
    http: &reqwest::Client,
    built: &BuiltRequest,
    timeout: Duration,
) -> Result<ResponseRecord, SendError> {
    let request = to_reqwest(http, built)?;
    let target = built.target();
    let started = Instant::now();
    let mut headers_at: Option<Duration> = None;
    let exchange = async {
        let mut response = http
            .execute(request)
            .await
            .map_err(|e| classify(&e, &target))?;
        headers_at = Some(started.elapsed());
        let status = response.status().as_u16();
        let headers = response
            .headers()
            .iter()
            .map(|(n, v)| {
                (
                    n.as_str().to_string(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect();
        let mut body = Vec::new();
        let mut size: u64 = 0;
        let mut truncated = false;
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| body_error(&e, &target))?
        {
            size += chunk.len() as u64;
            let room = MAX_RESPONSE_BYTES.saturating_sub(body.len());
            if chunk.len() > room {
                body.extend_from_slice(&chunk[..room]);
                truncated = true;
                // Stop reading: dropping the response closes the connection.
                break;
            }
            body.extend_from_slice(&chunk);
        }
        Ok::<_, SendError>((status, headers, body, truncated, size))
    };
    let outcome = tokio::time::timeout(timeout, exchange).await;
    let (status, headers, body, truncated, size) = match outcome {
        Ok(result) => result?,
        Err(_) => {
            return Err(SendError::Timeout {
                target,
                after: timeout,
                phase: if headers_at.is_some() {
                    TimeoutPhase::Body
                } else {
                    TimeoutPhase::Answer
                },
            });
        }
    };
    let total = started.elapsed();
    Ok(ResponseRecord {
        status,
        headers,
        body,
        truncated,
        total_ms: millis(total),
        headers_ms: millis(headers_at.unwrap_or(total)),
        size,
    })
}

/// [`send`], stopped early when `cancel` turns true (the UI's Cancel button). A sender
/// dropped without cancelling lets the request run to its end.
pub async fn send_cancellable(
    http: &reqwest::Client,
    built: &BuiltRequest,
    timeout: Duration,
    mut cancel: watch::Receiver<bool>,
) -> Result<ResponseRecord, SendError> {
    let cancelled = async move {
        loop {
            if *cancel.borrow_and_update() {
                return;
            }
            if cancel.changed().await.is_err() {
                std::future::pending::<()>().await;
            }
        }
    };
    tokio::select! {
        biased;
        () = cancelled => Err(SendError::Cancelled),
        result = send(http, built, timeout) => result,
    }
}

fn millis(d: Duration) -> f64 {
    (d.as_secs_f64() * 10_000.0).round() / 10.0
}

fn to_reqwest(http: &reqwest::Client, built: &BuiltRequest) -> Result<reqwest::Request, SendError> {
    let method = Method::from_bytes(built.method.as_bytes())
        .map_err(|_| SendError::Other(format!("'{}' is not an HTTP method", built.method)))?;
    let url = reqwest::Url::parse(&built.url)
        .map_err(|e| SendError::Other(format!("the URL cannot be used: {e}")))?;
    let mut headers = HeaderMap::with_capacity(built.headers.len());
    for (name, value) in &built.headers {
        // `build` checked these; a hand-made BuiltRequest gets a message without the value.
        let header_name = HeaderName::from_bytes(name.as_bytes())
            .map_err(|_| SendError::Other(format!("'{name}' is not a valid header name")))?;
        let header_value = HeaderValue::from_str(value)
            .map_err(|_| SendError::Other(format!("the value of header {name} cannot be sent")))?;
        headers.append(header_name, header_value);
    }
    http.request(method, url)
        .headers(headers)
        .body(built.body.clone())
        .build()
        .map_err(|e| {
            SendError::Other(format!(
                "the request cannot be made: {}",
                http::error_chain(&e)
            ))
        })
}

/// Sort a reqwest error into something a person can act on, in the shared wording
/// ([`crate::net::http::classify`]).
fn classify(e: &reqwest::Error, target: &str) -> SendError {
    let failure = http::classify(e, target);
    let target = target.to_string();
    match failure.kind {
        FailureKind::Connect => SendError::Connect {
            target,
            message: failure.message,
        },
        FailureKind::Tls => SendError::Tls {
            target,
            message: failure.message,
        },
        FailureKind::Timeout => SendError::Timeout {
            target,
            after: Duration::ZERO,
            phase: TimeoutPhase::Answer,
        },
        FailureKind::Closed | FailureKind::Other => SendError::Other(failure.message),
    }
}

fn body_error(e: &reqwest::Error, target: &str) -> SendError {
    SendError::Other(http::broken_body(e, target))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeout_messages() {
        assert_eq!(
            timeout_message(Duration::from_secs(2), TimeoutPhase::Answer),
            "no answer within 2 s"
        );
        assert!(timeout_message(Duration::from_millis(1500), TimeoutPhase::Body).contains("1.5 s"));
    }
}
