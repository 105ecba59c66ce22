//! A request whose body has been read, and the sandbox's view of the shared body reader
//! ([`crate::net::http::read_body`]: a size cap and a deadline, so that neither a huge body
//! nor a client that stops sending mid-body can hold the sandbox).

use std::time::Duration;

use axum::http::{HeaderMap, Method};
use hyper::body::{Bytes, Incoming};

use crate::net::http::{self, BodyEnd, BodyLimits};

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

/// The whole body, or why not.
pub(crate) async fn read_body(
    body: Incoming,
    headers: &HeaderMap,
    limit: usize,
    deadline: Duration,
) -> Result<Bytes, BodyFailure> {
    let limits = BodyLimits {
        max_bytes: limit,
        deadline,
    };
    let read = http::read_body(body, http::declared_length(headers), limits).await;
    match read.end {
        BodyEnd::Complete => Ok(Bytes::from(read.kept)),
        BodyEnd::TooLarge => Err(BodyFailure::TooLarge),
        BodyEnd::TimedOut => Err(BodyFailure::TimedOut),
        BodyEnd::Broken(_) => Err(BodyFailure::Broken),
    }
}
