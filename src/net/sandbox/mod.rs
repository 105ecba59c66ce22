//! The local SNAP sandbox: a real HTTP server on 127.0.0.1 that judges requests the way
//! providers do, in the order they do it, and (with explain on) says why it rejected one.
//!
//! It is the console's embedded default and the tests' counterparty, so the whole loop
//! (token, transactions, notifications back to the merchant) works without the internet.
//!
//! ```text
//! POST /api/v1.0/utilities/signature-auth      ASPI helper: SHA256withRSA of clientId|timestamp
//! POST /api/v1.0/utilities/signature-service   ASPI helper: the symmetric signature
//! POST /api/v1.0/access-token/b2b              73  token (SHA256withRSA, registered public key)
//! POST /api/v1.0/transfer-va/inquiry           24  } Bearer token + HMAC-SHA512 with the client
//! POST /api/v1.0/transfer-va/payment           25  } secret; body rules from
//! POST /api/v1.0/transfer-va/create-va         27  } assets/services/rules.json; a paid VA is
//! POST /api/v1.0/transfer-va/status            26  } notified to the merchant (notify.rs)
//! POST /api/v1.0/debit/payment-host-to-host    54  NICEPAY e-wallet registration
//! POST /api/v1.0/transaction-history-list      12  static-code QRIS transaction list (paged)
//! POST /service/in/json                        --  biller API (md5 sign), reversal callback
//! (every other partner-called catalog service)  xx  generic.rs: the checks above, the body
//!                                                   (GET: path parameter and query) judged
//!                                                   by its rules, a templated 200xx00 answer
//! GET  /sandbox/notification-public-key            SPKI PEM of the notification key
//! GET  /sandbox/checkout/{referenceNo}             where the e-wallet webRedirectUrl points
//! ```
//!
//! One module a job: `server` binds 127.0.0.1 and hands connections to the serve loop the
//! inbox shares (`net::http`: head timeout, connection limit with a 503 past it, graceful
//! stop), `dispatch` routes, `request` reads bodies with limits (the shared reader), `checks` runs the ordered header/auth checks, `errors` and `respond`
//! shape answers, the family modules (`token`, `va`, `ewallet`, `history_list`, `biller`,
//! `utilities`, and `generic` for the rest of the catalog) answer, `notify` delivers outbound calls, `memory` and `journal` keep bounded
//! state.

mod biller;
mod checks;
mod config;
mod dispatch;
mod errors;
mod ewallet;
mod explain;
mod generic;
mod history_list;
mod journal;
mod memory;
mod notify;
mod provider;
mod request;
mod respond;
mod server;
mod state;
mod token;
mod utilities;
mod va;

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::sync::watch;
use tokio::task::JoinHandle;

pub use config::SandboxConfig;
pub use dispatch::{SimulatedEndpoint, endpoints};
pub use journal::Judgement;
pub use notify::{Delivery, DeliveryKind, DeliveryOutcome};
pub use provider::{NotificationRule, ProviderStyle};

/// Every SNAP path of the sandbox sits under this prefix, as on the ASPI sandbox.
pub use crate::snap::catalog::API_PREFIX;
/// Where the public half of the sandbox's notification key is served (SPKI PEM).
pub const NOTIFICATION_PUBLIC_KEY_PATH: &str = "/sandbox/notification-public-key";
/// Appended to the notify base URL for the VA payment notification (NICEPAY's merchant path).
pub const VA_NOTIFICATION_PATH: &str = "/api/v1.0/transfer-va/payment";
/// Appended to the notify base URL for the biller's reversal callback (a GET with a query).
pub const BILLER_CALLBACK_PATH: &str = "/biller/reversal";

#[derive(Debug, thiserror::Error)]
pub enum SandboxError {
    #[error("the sandbox cannot listen on 127.0.0.1:{port}: {source}")]
    Bind { port: u16, source: std::io::Error },
    #[error("sandbox configuration: {0}")]
    Config(String),
    #[error("could not make sandbox credentials: {0}")]
    Credentials(String),
}

/// Start the sandbox on 127.0.0.1 (never another interface) at `config.port` (0 = any free
/// port; [`SandboxHandle::addr`] says which). Must be called inside a tokio runtime.
pub async fn start(config: SandboxConfig) -> Result<SandboxHandle, SandboxError> {
    let notify_base = config.checked_notify_base()?;
    let limits = server::serve_limits(&config)?;
    let listener = server::bind(config.port).await?;
    let addr = listener.local_addr().map_err(|source| SandboxError::Bind {
        port: config.port,
        source,
    })?;
    let (notifier, worker) = notify::start(&config, notify_base.as_ref())?;
    let shared = Arc::new(state::Shared::new(config, addr, notify_base, notifier)?);
    let (shutdown, shutdown_rx) = watch::channel(false);
    let server = tokio::spawn(server::accept_loop(
        listener,
        shared.clone(),
        limits,
        shutdown_rx,
    ));
    Ok(SandboxHandle {
        addr,
        shared,
        shutdown,
        server: Some(server),
        notifier: Some(worker),
    })
}

/// A running sandbox. Dropping it stops the server too (without waiting); [`stop`] waits
/// for a clean stop.
///
/// [`stop`]: SandboxHandle::stop
pub struct SandboxHandle {
    addr: SocketAddr,
    shared: Arc<state::Shared>,
    shutdown: watch::Sender<bool>,
    server: Option<JoinHandle<()>>,
    notifier: Option<JoinHandle<()>>,
}

impl SandboxHandle {
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT`, without a trailing slash; SNAP paths go after it.
    pub fn base_url(&self) -> &str {
        &self.shared.base_url
    }

    /// The client id (X-CLIENT-KEY / X-PARTNER-ID) the sandbox accepts.
    pub fn client_id(&self) -> &str {
        &self.shared.config.client_id
    }

    /// Turn the explain headers on or off while running.
    pub fn set_explain(&self, on: bool) {
        self.shared.set_explain(on);
    }

    pub fn explain(&self) -> bool {
        self.shared.explain()
    }

    /// The public half of the key the sandbox signs notifications with, as SPKI PEM.
    pub fn notification_public_key_pem(&self) -> &str {
        &self.shared.notification_public_key_pem
    }

    /// Outbound notifications and callbacks, oldest first (the newest few hundred).
    pub fn deliveries(&self) -> Vec<Delivery> {
        self.shared.notifier.deliveries()
    }

    /// What the sandbox answered, oldest first (the newest few hundred).
    pub fn recent_requests(&self) -> Vec<Judgement> {
        self.shared.journal()
    }

    /// Stop accepting, let open requests finish (bounded by a grace period), drop pending
    /// deliveries, and return when the port is closed.
    pub async fn stop(mut self) {
        let _ = self.shutdown.send(true);
        if let Some(server) = self.server.take() {
            let _ = server.await;
        }
        if let Some(notifier) = self.notifier.take() {
            notifier.abort();
            let _ = notifier.await;
        }
    }
}

impl Drop for SandboxHandle {
    fn drop(&mut self) {
        let _ = self.shutdown.send(true);
        if let Some(notifier) = self.notifier.take() {
            notifier.abort();
        }
    }
}

impl std::fmt::Debug for SandboxHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SandboxHandle")
            .field("addr", &self.addr)
            .field("client_id", &self.client_id())
            .field("explain", &self.explain())
            .finish()
    }
}
