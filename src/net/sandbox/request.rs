//! Reading a request body with a size cap and a deadline, so that neither a huge body nor a
//! client that stops sending mid-body can hold the sandbox.

use std::future::poll_fn;
use std::pin::Pin;
use std::time::Duration;

use axum::http::header::CONTENT_LENGTH;
use axum::http::{HeaderMap, Method};
use hyper::body::{Body as _, Bytes, Incoming};

/// A request whose body has been read.
pub(crate) struct Received {
    pub method: Method,
    /// Path and query exactly as sent: what a transactional stringToSign covers.
    pub path_and_query: String,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Received {
    /// A header's value: None when absent or blank; `Err` when present but not printable
    /// ASCII (HTTP allows other bytes, SNAP headers never hold them).
    pub fn header(&self, name: &str) -> Result<Option<&str>, ()> {
        match self.headers.get(name) {
            None => Ok(None),
            Some(value) => match value.to_str() {
                Ok(text) if text.trim().is_empty() => Ok(None),
                Ok(text) => Ok(Some(text.trim())),
                Err(_) => Err(()),
            },
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BodyFailure {
    TooLarge,
    TimedOut,
    /// The client went away or sent a malformed chunked body.
    Broken,
}

/// Bodies over the limit are still read (and thrown away) up to this multiple of it, so
/// that the client, still sending, sees the 413 instead of a reset connection.
const DRAIN_FACTOR: usize = 8;

pub(crate) async fn read_body(
    mut body: Incoming,
    headers: &HeaderMap,
    limit: usize,
    deadline: Duration,
) -> Result<Bytes, BodyFailure> {
    let drain_limit = limit.saturating_mul(DRAIN_FACTOR);
    let declared = headers
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|n| n > drain_limit as u64) {
        return Err(BodyFailure::TooLarge);
    }
    let mut too_large = false;
    let reading = async {
        let mut collected = Vec::with_capacity(declared.map_or(0, |n| n as usize).min(limit));
        let mut total = 0usize;
        while let Some(frame) = poll_fn(|cx| Pin::new(&mut body).poll_frame(cx)).await {
            let Ok(data) = frame.map_err(|_| BodyFailure::Broken)?.into_data() else {
                continue; // trailers
            };
            total = total.saturating_add(data.len());
            if total > limit {
                too_large = true;
                collected = Vec::new();
                if total > drain_limit {
                    break;
                }
                continue;
            }
            collected.extend_from_slice(&data);
        }
        Ok(Bytes::from(collected))
    };
    let outcome = tokio::time::timeout(deadline, reading).await;
    match outcome {
        _ if too_large => Err(BodyFailure::TooLarge),
        Ok(read) => read,
        Err(_) => Err(BodyFailure::TimedOut),
    }
}
