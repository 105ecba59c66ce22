//! The one serve loop of the sandbox and the inbox.
//!
//! Connections are served with hyper directly (not `axum::serve`) for a setting axum does
//! not expose: the header-read timeout. hyper starts that clock whenever a connection waits
//! for a request head — right after it is accepted, and again after each answer on a
//! keep-alive connection — so the one timeout closes a silent new socket, an idle
//! keep-alive connection and a client trickling its head byte by byte (slowloris) alike.
//!
//! The number of connections served at once is capped, and the cap is high (2,048 by
//! default) so that a crowd of idle sockets cannot lock out a valid client: 1,000 of them
//! leave the loop answering within milliseconds (`tests/idle_connections.rs`). Past the cap
//! a connection is not queued without bound nor silently dropped: it gets a small complete
//! `503` with a SNAP JSON body and `Connection: close`, and is closed.
//!
//! Stopping stops accepting at once, lets requests in flight finish within a grace period,
//! closes idle connections, and then cuts whatever is left.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::{Arc, Once};
use std::time::Duration;

use super::framing::{FramingConflict, FramingWatch, next_flag};
use axum::body::Body;
use axum::http::{Request, Response};
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, watch};
use tokio::task::JoinSet;

/// Connections served at once unless configured otherwise.
pub const DEFAULT_MAX_CONNECTIONS: usize = 2048;
/// A connection must deliver a complete request head within this of starting to wait for
/// one (after accepting, or after the previous answer).
pub const DEFAULT_HEADER_READ_TIMEOUT: Duration = Duration::from_secs(5);
/// Request line plus headers may not exceed this (a Private_Key header of a 4096-bit key
/// is about 3 KiB); hyper answers a larger head with 431.
pub const DEFAULT_MAX_HEAD_BYTES: usize = 64 * 1024;
/// The smallest read buffer hyper accepts (it panics below).
const MIN_HEAD_BYTES: usize = 8 * 1024;
/// Open requests get this long to finish when the server stops.
const DEFAULT_SHUTDOWN_GRACE: Duration = Duration::from_secs(3);
/// Refused connections being answered at once; past this the 503 is written without
/// waiting (it may then be lost to a reset, but nothing waits on it).
const REFUSING_AT_ONCE: usize = 64;
/// How long a refused connection may take to receive its 503.
const REFUSAL_TIME: Duration = Duration::from_secs(1);
/// What a refused client sent is read (and thrown away) up to this, so that closing does
/// not reset the connection before the client has read the 503.
const REFUSAL_DRAIN: usize = 64 * 1024;
/// After a failed accept (out of file descriptors and the like): pause instead of spinning.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(20);
/// Open files beyond the connections (listeners, the history file, the window's own).
const FILE_HEADROOM: u64 = 1024;

/// What a server promises about connections and request heads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServeLimits {
    /// Connections served at once; more get 503 and are closed.
    pub max_connections: usize,
    /// See [`DEFAULT_HEADER_READ_TIMEOUT`]; also the keep-alive idle timeout.
    pub header_read_timeout: Duration,
    /// See [`DEFAULT_MAX_HEAD_BYTES`] (at least 8 KiB is used).
    pub max_head_bytes: usize,
    /// How long `stop` lets requests in flight finish.
    pub shutdown_grace: Duration,
}

impl Default for ServeLimits {
    fn default() -> Self {
        ServeLimits {
            max_connections: DEFAULT_MAX_CONNECTIONS,
            header_read_timeout: DEFAULT_HEADER_READ_TIMEOUT,
            max_head_bytes: DEFAULT_MAX_HEAD_BYTES,
            shutdown_grace: DEFAULT_SHUTDOWN_GRACE,
        }
    }
}

impl ServeLimits {
    /// Refuse limits that cannot work, in words for a settings error.
    pub fn check(&self) -> Result<(), String> {
        if self.max_connections == 0 {
            return Err("the connection limit must be at least 1".to_string());
        }
        if self.header_read_timeout.is_zero() {
            return Err("the header read timeout must be above 0".to_string());
        }
        Ok(())
    }
}

/// Serve HTTP/1.1 on `listener` until `stop` turns true (or its sender is dropped), then
/// stop gracefully. Every request goes to `handler` with the peer's address; it always
/// answers (errors are answers too).
pub async fn serve<H, F>(
    listener: TcpListener,
    limits: ServeLimits,
    mut stop: watch::Receiver<bool>,
    handler: H,
) where
    H: Fn(SocketAddr, Request<Incoming>) -> F + Send + Sync + 'static,
    F: Future<Output = Response<Body>> + Send + 'static,
{
    raise_open_file_limit(limits.max_connections);
    let handler = Arc::new(handler);
    let busy = busy_response(limits.max_connections);
    let slots = Arc::new(Semaphore::new(limits.max_connections));
    let refusers = Arc::new(Semaphore::new(REFUSING_AT_ONCE));
    let mut tasks = JoinSet::new();
    loop {
        tokio::select! {
            // A sent stop, or a dropped sender (Err), both end the loop.
            _ = stop.changed() => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => match Arc::clone(&slots).try_acquire_owned() {
                    Ok(slot) => {
                        let handler = Arc::clone(&handler);
                        let stop = stop.clone();
                        tasks.spawn(connection(stream, peer, handler, limits, stop, slot));
                    }
                    Err(_) => refuse(stream, &refusers, busy.clone(), &mut tasks),
                },
                Err(_) => tokio::time::sleep(ACCEPT_BACKOFF).await,
            },
            Some(_) = tasks.join_next(), if !tasks.is_empty() => {}
        }
    }
    drop(listener);
    let drained = tokio::time::timeout(limits.shutdown_grace, async {
        while tasks.join_next().await.is_some() {}
    })
    .await;
    if drained.is_err() {
        tasks.shutdown().await;
    }
}

async fn connection<H, F>(
    stream: TcpStream,
    peer: SocketAddr,
    handler: Arc<H>,
    limits: ServeLimits,
    mut stop: watch::Receiver<bool>,
    _slot: OwnedSemaphorePermit,
) where
    H: Fn(SocketAddr, Request<Incoming>) -> F + Send + Sync + 'static,
    F: Future<Output = Response<Body>> + Send + 'static,
{
    let _ = stream.set_nodelay(true);
    let (stream, framing) = FramingWatch::new(stream, limits.max_head_bytes);
    let service = service_fn(move |mut request: Request<Incoming>| {
        if next_flag(&framing) {
            request.extensions_mut().insert(FramingConflict);
        }
        let answer = (*handler)(peer, request);
        async move { Ok::<_, Infallible>(answer.await) }
    });
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout)
        // The exact cap on the head (the buffer cap alone can overshoot by one read).
        .max_header_size(limits.max_head_bytes)
        .max_buf_size(limits.max_head_bytes.max(MIN_HEAD_BYTES))
        .keep_alive(true);
    let connection = builder.serve_connection(TokioIo::new(stream), service);
    let mut connection = std::pin::pin!(connection);
    // Errors here are the client's (a reset, a malformed or stalled head): the connection
    // ends and the listener carries on.
    tokio::select! {
        _ = connection.as_mut() => {}
        _ = stop.changed() => {
            // Finish the request in flight, then close; the accept loop bounds the wait.
            connection.as_mut().graceful_shutdown();
            let _ = connection.await;
        }
    }
}

/// Answer a connection past the limit with the 503 and close it.
fn refuse(stream: TcpStream, refusers: &Arc<Semaphore>, answer: Bytes, tasks: &mut JoinSet<()>) {
    match Arc::clone(refusers).try_acquire_owned() {
        Ok(permit) => {
            tasks.spawn(async move {
                let _permit = permit;
                let _ = tokio::time::timeout(REFUSAL_TIME, send_busy(stream, &answer)).await;
            });
        }
        Err(_) => {
            let _ = stream.try_write(&answer);
        }
    }
}

/// Write the 503, end our side (the client reads it, then end of stream), and read what
/// the client sent until it closes, so the close is clean rather than a reset.
async fn send_busy(mut stream: TcpStream, answer: &[u8]) -> std::io::Result<()> {
    stream.write_all(answer).await?;
    stream.shutdown().await?;
    let mut sink = vec![0u8; 4096];
    let mut drained = 0usize;
    while drained < REFUSAL_DRAIN {
        let read = stream.read(&mut sink).await?;
        if read == 0 {
            break;
        }
        drained += read;
    }
    Ok(())
}

/// The complete HTTP/1.1 answer to a connection past the limit.
fn busy_response(limit: usize) -> Bytes {
    let body = serde_json::json!({
        "responseCode": "5030000",
        "responseMessage": format!(
            "Service Unavailable. Too many connections are open at once (the limit is {limit}); try again shortly"
        ),
    })
    .to_string();
    Bytes::from(format!(
        "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nContent-Length: {}\r\nRetry-After: 1\r\nConnection: close\r\n\r\n{body}",
        body.len()
    ))
}

/// Debian's default soft limit of 1,024 open files is below the connections promised, so
/// raise it (never above the hard limit, never lower, once per process) to room for this
/// server's connections twice over (the window runs the sandbox and the inbox, a test runs
/// both ends of its connections) plus headroom. Failing to raise it is not an error: the
/// accept loop then pauses when out of descriptors.
fn raise_open_file_limit(max_connections: usize) {
    static RAISED: Once = Once::new();
    RAISED.call_once(|| {
        let wanted = u64::try_from(max_connections)
            .unwrap_or(u64::MAX)
            .saturating_mul(2)
            .saturating_add(FILE_HEADROOM);
        let _ = rlimit::increase_nofile_limit(wanted);
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_busy_answer_is_complete_http_with_a_snap_body() {
        let answer = busy_response(7);
        let text = String::from_utf8_lossy(&answer);
        let (head, body) = text.split_once("\r\n\r\n").unwrap_or_default();
        assert!(
            head.starts_with("HTTP/1.1 503 Service Unavailable\r\n"),
            "{head}"
        );
        assert!(head.contains("\r\nConnection: close"), "{head}");
        assert!(
            head.contains(&format!("\r\nContent-Length: {}", body.len())),
            "{head}"
        );
        let json: serde_json::Value = serde_json::from_str(body).unwrap_or_default();
        assert_eq!(json["responseCode"], "5030000");
        assert!(
            json["responseMessage"]
                .as_str()
                .unwrap_or_default()
                .contains("limit is 7")
        );
    }

    #[test]
    fn limits_that_cannot_work_are_refused() {
        assert!(ServeLimits::default().check().is_ok());
        let none = ServeLimits {
            max_connections: 0,
            ..ServeLimits::default()
        };
        assert!(none.check().is_err());
        let instant = ServeLimits {
            header_read_timeout: Duration::ZERO,
            ..ServeLimits::default()
        };
        assert!(instant.check().is_err());
    }
}
