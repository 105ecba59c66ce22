//! Accepting connections on 127.0.0.1 and serving HTTP/1.1 on them.
//!
//! Connections are served with hyper directly (not `axum::serve`) for one setting axum does
//! not expose: the header-read timeout, which closes a client that stalls mid-headers (or
//! sits idle between keep-alive requests). A client stalling mid-body is bounded by the body
//! deadline in `request`. The number of connections served at once is capped; more wait in
//! the kernel's backlog instead of costing memory here.

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, watch};
use tokio::task::JoinSet;

use super::SandboxError;
use super::dispatch;
use super::state::Shared;

/// Open requests get this long to finish when the sandbox stops.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(3);
/// Request line plus headers may not exceed this (the smallest hyper allows is 8 KiB; a
/// Private_Key header of a 4096-bit key is about 3 KiB).
const MAX_HEAD_BYTES: usize = 64 * 1024;

/// Loopback only: the sandbox is for this machine, never the network.
pub(crate) async fn bind(port: u16) -> Result<TcpListener, SandboxError> {
    TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, port)))
        .await
        .map_err(|source| SandboxError::Bind { port, source })
}

pub(crate) async fn accept_loop(
    listener: TcpListener,
    shared: Arc<Shared>,
    mut shutdown: watch::Receiver<bool>,
) {
    let slots = Arc::new(Semaphore::new(shared.config.max_connections));
    let mut connections = JoinSet::new();
    loop {
        while connections.try_join_next().is_some() {}
        let slot = tokio::select! {
            slot = slots.clone().acquire_owned() => match slot {
                Ok(slot) => slot,
                Err(_) => break,
            },
            _ = shutdown.changed() => break,
        };
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _peer)) => stream,
                Err(_) => {
                    // Out of file descriptors and the like: back off instead of spinning.
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = shutdown.changed() => break,
        };
        connections.spawn(serve_connection(
            stream,
            shared.clone(),
            shutdown.clone(),
            slot,
        ));
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
    shared: Arc<Shared>,
    mut shutdown: watch::Receiver<bool>,
    _slot: OwnedSemaphorePermit,
) {
    let _ = stream.set_nodelay(true);
    let header_timeout = shared.config.header_read_timeout;
    let service = service_fn(move |request| dispatch::serve(shared.clone(), request));
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(header_timeout)
        .max_buf_size(MAX_HEAD_BYTES)
        .keep_alive(true);
    let connection = builder.serve_connection(TokioIo::new(stream), service);
    let mut connection = std::pin::pin!(connection);
    tokio::select! {
        _ = connection.as_mut() => {}
        _ = shutdown.changed() => {
            // Finish the request in flight, then close; the accept loop bounds the wait.
            connection.as_mut().graceful_shutdown();
            let _ = connection.await;
        }
    }
}
