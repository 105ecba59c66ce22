//! Listening on 127.0.0.1 and handing connections to the shared serve loop
//! ([`crate::net::http::serve`]: head timeout, head size cap, connection limit with a 503
//! past it, graceful stop). A client stalling mid-body is bounded by the body deadline in
//! `request`.

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::watch;

use super::SandboxError;
use super::config::SandboxConfig;
use super::dispatch;
use super::state::Shared;
use crate::net::http::{self, ServeLimits};

/// Open requests get this long to finish when the sandbox stops.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(3);

/// Loopback only: the sandbox is for this machine, never the network.
pub(crate) async fn bind(port: u16) -> Result<TcpListener, SandboxError> {
    TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, port)))
        .await
        .map_err(|source| SandboxError::Bind { port, source })
}

/// The connection limits of `config`, refused when they cannot work.
pub(crate) fn serve_limits(config: &SandboxConfig) -> Result<ServeLimits, SandboxError> {
    let limits = ServeLimits {
        max_connections: config.max_connections,
        header_read_timeout: config.header_read_timeout,
        max_head_bytes: http::DEFAULT_MAX_HEAD_BYTES,
        shutdown_grace: SHUTDOWN_GRACE,
    };
    limits.check().map_err(SandboxError::Config)?;
    Ok(limits)
}

pub(crate) async fn accept_loop(
    listener: TcpListener,
    shared: Arc<Shared>,
    limits: ServeLimits,
    shutdown: watch::Receiver<bool>,
) {
    http::serve(listener, limits, shutdown, move |_peer, request| {
        let shared = Arc::clone(&shared);
        async move {
            match dispatch::serve(shared, request).await {
                Ok(response) => response,
                Err(never) => match never {},
            }
        }
    })
    .await;
}
