//! The one body reader of the servers: a size cap and a deadline, so that neither a huge
//! body nor a client that stops sending mid-body can hold a connection.
//!
//! A body over the cap is still read, and thrown away, up to [`DRAIN_FACTOR`] times the cap:
//! a client that is still sending then reads the 413 instead of a reset connection. Beyond
//! that (declared or sent) reading stops, the answer goes out and the connection closes.

use std::fmt::Display;
use std::time::Duration;

use axum::http::HeaderMap;
use axum::http::header::CONTENT_LENGTH;
use hyper::body::{Body, Bytes};
use tokio::time::Instant;

/// Bodies over the cap are drained up to this multiple of it.
pub const DRAIN_FACTOR: usize = 4;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BodyLimits {
    /// Larger bodies end as [`BodyEnd::TooLarge`].
    pub max_bytes: usize,
    /// The whole body must arrive within this, counted from the start of reading.
    pub deadline: Duration,
}

/// How reading a body ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BodyEnd {
    Complete,
    /// Over the cap (declared or sent); wins over a timeout once the cap is passed.
    TooLarge,
    /// The deadline passed before the end of the body.
    TimedOut,
    /// The client went away or sent a malformed chunked body.
    Broken(String),
}

/// A body as far as it was read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BodyRead {
    pub end: BodyEnd,
    /// The first bytes, at most the cap (the whole body when `end` is `Complete`).
    pub kept: Vec<u8>,
    /// Bytes received in all (drained ones included).
    pub seen: usize,
}

impl BodyRead {
    pub fn is_complete(&self) -> bool {
        self.end == BodyEnd::Complete
    }
}

/// The `Content-Length` a client declared, when it is a number.
pub fn declared_length(headers: &HeaderMap) -> Option<u64> {
    headers
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
}

/// Read `body` within `limits`; never fails, the outcome is in [`BodyRead::end`].
pub async fn read_body<B>(body: B, declared: Option<u64>, limits: BodyLimits) -> BodyRead
where
    B: Body<Data = Bytes>,
    B::Error: Display,
{
    let cap = limits.max_bytes;
    let drain_cap = cap.saturating_mul(DRAIN_FACTOR);
    let mut read = BodyRead {
        end: BodyEnd::Complete,
        kept: Vec::new(),
        seen: 0,
    };
    if declared.is_some_and(|n| n > drain_cap as u64) {
        read.end = BodyEnd::TooLarge;
        return read;
    }
    if let Some(n) = declared {
        read.kept
            .reserve(usize::try_from(n).unwrap_or(cap).min(cap));
    }
    let deadline = Instant::now() + limits.deadline;
    let mut body = std::pin::pin!(body);
    loop {
        let next = std::future::poll_fn(|cx| body.as_mut().poll_frame(cx));
        let frame = match tokio::time::timeout_at(deadline, next).await {
            Err(_) => {
                read.end = BodyEnd::TimedOut;
                break;
            }
            Ok(None) => break,
            Ok(Some(Err(e))) => {
                read.end = BodyEnd::Broken(e.to_string());
                break;
            }
            Ok(Some(Ok(frame))) => frame,
        };
        // Trailers carry nothing the servers use.
        let Ok(data) = frame.into_data() else {
            continue;
        };
        read.seen = read.seen.saturating_add(data.len());
        let room = cap.saturating_sub(read.kept.len());
        read.kept.extend_from_slice(&data[..data.len().min(room)]);
        if read.seen > drain_cap {
            break;
        }
    }
    if read.seen > cap {
        read.end = BodyEnd::TooLarge;
    }
    read
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: BodyLimits = BodyLimits {
        max_bytes: 10,
        deadline: Duration::from_secs(2),
    };

    fn body(text: &str) -> axum::body::Body {
        axum::body::Body::from(text.to_string())
    }

    #[tokio::test]
    async fn a_body_within_the_cap_is_read_whole() {
        let read = read_body(body("0123456789"), Some(10), LIMITS).await;
        assert!(read.is_complete());
        assert_eq!(read.kept, b"0123456789");
        assert_eq!(read.seen, 10);
    }

    #[tokio::test]
    async fn a_body_over_the_cap_is_drained_and_cut() {
        let read = read_body(body("0123456789abc"), None, LIMITS).await;
        assert_eq!(read.end, BodyEnd::TooLarge);
        assert_eq!(read.kept, b"0123456789");
        assert_eq!(read.seen, 13);
    }

    #[tokio::test]
    async fn a_declared_length_past_the_drain_cap_is_refused_unread() {
        let read = read_body(body("x"), Some(41), LIMITS).await;
        assert_eq!(read.end, BodyEnd::TooLarge);
        assert_eq!(read.seen, 0);
    }

    #[test]
    fn declared_lengths_are_numbers_or_nothing() {
        let mut headers = HeaderMap::new();
        assert_eq!(declared_length(&headers), None);
        headers.insert(CONTENT_LENGTH, axum::http::HeaderValue::from_static(" 12 "));
        assert_eq!(declared_length(&headers), Some(12));
        headers.insert(CONTENT_LENGTH, axum::http::HeaderValue::from_static("-1"));
        assert_eq!(declared_length(&headers), None);
    }
}
