//! The inbox: a listener for what providers send back to a merchant (payment
//! notifications, the biller's reversal callback, a merchant-hosted token and VA inquiry).
//! Each request gets a signature [`Verdict`] and an answer like a merchant's; the window's
//! inbox panel and `snap-console inbox` both run it.
//!
//! ```text
//! mod.rs      InboxConfig, start → InboxHandle (URL, stop, answer rules, received, subscribe)
//! serve.rs    one request → one Received (connections, timeouts and the body limit are
//!             the shared `net::http` serve loop and body reader, as in the sandbox)
//! verify.rs   the signature verdict (pure)
//! gate.rs     refusing like a merchant (401) and answering repeats as the first (pure)
//! answers.rs  what is answered per path, templates, canned failures (pure)
//! record.rs   Received, the bounded list, conversion to a history Exchange
//! notify.rs   send a provider-style signed notification to any URL (the composer)
//! local_sandbox.rs  the sandbox's notification key, for the full loop on this machine
//! ```
//!
//! # Use
//!
//! ```no_run
//! # async fn demo() -> Result<(), snap_console::net::inbox::InboxError> {
//! use snap_console::net::inbox::{self, AnswerRule, InboxConfig};
//! let inbox = inbox::start(InboxConfig::default()).await?;
//! println!("send notifications to {}", inbox.base_url());
//! let mut live = inbox.subscribe();
//! inbox.set_answer("/api/v1.0/transfer-va/payment", AnswerRule::ServerError)?;
//! if let Ok(received) = live.recv().await {
//!     println!("{}", received.summary_text());
//! }
//! inbox.stop().await;
//! # Ok(()) }
//! ```
//!
//! Like a correct merchant, the inbox refuses with `401xx00 Unauthorized. …` a request on
//! a path it serves whose signature is missing or does not verify, whose client is not the
//! expected one, or whose timestamp is too far from our clock (see `gate`); a path set to
//! accept anyway ([`InboxHandle::set_accept_invalid`]) is answered by its [`AnswerRule`]
//! whatever the verdict says, for testing a provider's happy path. A repeated notification
//! gets the first answer again and is marked [`Received::duplicate`].

pub mod answers;
pub mod gate;
pub mod local_sandbox;
pub mod notify;
pub mod record;
pub mod recording;
mod serve;
pub mod verify;

use std::collections::{BTreeMap, BTreeSet};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex, MutexGuard, RwLock};
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::{broadcast, watch};
use tokio::task::JoinHandle;

use crate::net::http::ServeLimits;

pub use answers::AnswerRule;
pub use local_sandbox::{SandboxKeyError, fetch_notification_public_key, keys_for_sandbox};
pub use notify::{
    NotificationOutcome, NotifyError, TestNotification, sample_va_payment_notification,
    send_test_notification,
};
pub use record::{Received, SummaryLine};
pub use recording::Recording;
pub use verify::{Variant, Verdict, VerificationKeys, VerificationMode};

/// Bodies above this are refused with 413 (a SNAP notification is a few kilobytes).
pub const DEFAULT_BODY_LIMIT: usize = 1024 * 1024;
/// A request kept in the list keeps at most this much of its body (the history, when
/// recording, keeps the whole body up to the history's own cap).
pub const DEFAULT_KEPT_BODY_CAP: usize = 64 * 1024;
/// How many requests the list keeps (the oldest drop off first).
pub const DEFAULT_MAX_KEPT: usize = 500;
/// How many bytes of bodies the list keeps at most (the oldest drop off first).
pub const DEFAULT_KEPT_BYTES: usize = 32 * 1024 * 1024;
/// Connections served at once; more get a 503 and are closed (a flood must not exhaust
/// memory, and idle sockets must not lock out a provider: see `net::http`).
pub const DEFAULT_MAX_CONNECTIONS: usize = crate::net::http::DEFAULT_MAX_CONNECTIONS;
/// New requests waiting for a slow subscriber; beyond this it gets `Lagged` and should
/// take a fresh [`InboxHandle::received`] snapshot.
pub const EVENT_CAPACITY: usize = 256;
/// How long `stop` lets requests in flight finish before closing them.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(2);

/// How to run the listener. `InboxConfig::default()` is loopback on a free port, checking
/// every rule it has keys for (none yet: set `verification`).
#[derive(Debug, Clone)]
pub struct InboxConfig {
    /// 127.0.0.1 by default. Anything else works but [`InboxHandle::warning`] says why not.
    pub bind: IpAddr,
    /// 0 picks a free port (see [`InboxHandle::base_url`]).
    pub port: u16,
    pub verification: VerificationKeys,
    pub mode: VerificationMode,
    /// Larger bodies get 413 with a SNAP body.
    pub body_limit: usize,
    /// How much of each body the received list keeps.
    pub kept_body_cap: usize,
    /// A client must send its whole request head within this, or the connection is closed
    /// (counted from the connect or the previous answer: also the keep-alive idle timeout).
    pub header_read_timeout: Duration,
    /// A client must send its whole body within this after the head, or gets 408.
    pub body_read_timeout: Duration,
    /// Length of the received list.
    pub max_kept: usize,
    /// Bytes of bodies the received list holds at most.
    pub kept_bytes: usize,
    pub max_connections: usize,
    /// Record every request in the history before answering it (a request that cannot be
    /// recorded is answered `500xx01`); `None` records nothing and answers as usual.
    pub recording: Option<Recording>,
}

impl Default for InboxConfig {
    fn default() -> Self {
        InboxConfig {
            bind: IpAddr::V4(Ipv4Addr::LOCALHOST),
            port: 0,
            verification: VerificationKeys::default(),
            mode: VerificationMode::Auto,
            body_limit: DEFAULT_BODY_LIMIT,
            kept_body_cap: DEFAULT_KEPT_BODY_CAP,
            header_read_timeout: crate::net::http::DEFAULT_HEADER_READ_TIMEOUT,
            body_read_timeout: Duration::from_secs(10),
            max_kept: DEFAULT_MAX_KEPT,
            kept_bytes: DEFAULT_KEPT_BYTES,
            max_connections: DEFAULT_MAX_CONNECTIONS,
            recording: None,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum InboxError {
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("answer rule for {path}: {reason}")]
    BadRule { path: String, reason: String },
    #[error("inbox settings: {0}")]
    Config(String),
}

/// What the connection tasks share with the handle.
struct Shared {
    limits: Limits,
    verification: RwLock<(VerificationKeys, VerificationMode)>,
    answers: RwLock<BTreeMap<String, AnswerRule>>,
    /// Paths answered by their rule whatever the verdict (no 401).
    accept_invalid: RwLock<BTreeSet<String>>,
    /// Answers given to ids, for repeated notifications.
    seen: Mutex<gate::SeenIds>,
    log: Mutex<record::ReceivedLog>,
    events: broadcast::Sender<Received>,
    /// Records before the answer goes out, when recording is on.
    recorder: Option<recording::InboxRecorder>,
}

/// What a request's handling needs to know (the connection limits live in the serve loop).
#[derive(Debug, Clone, Copy)]
struct Limits {
    body_limit: usize,
    kept_body_cap: usize,
    body_read_timeout: Duration,
}

impl Shared {
    fn log(&self) -> MutexGuard<'_, record::ReceivedLog> {
        // A panic elsewhere while holding the lock leaves a list that is still consistent
        // (push and pop are single steps), so keep using it.
        self.log.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn seen(&self) -> MutexGuard<'_, gate::SeenIds> {
        // Insert and evict leave the memory consistent at every step, as for the log.
        self.seen.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn accepts_invalid(&self, path: &str) -> bool {
        self.accept_invalid
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .contains(path)
    }
}

/// A running inbox. Dropping it stops the listener too (without waiting).
pub struct InboxHandle {
    addr: SocketAddr,
    warning: Option<String>,
    shared: Arc<Shared>,
    stop: watch::Sender<bool>,
    /// Taken by `stop` (a handle that is dropped does not wait for it).
    task: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for InboxHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InboxHandle")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

/// Start listening. Fails only when the address cannot be bound (port in use, no
/// permission) or the settings make no sense.
pub async fn start(config: InboxConfig) -> Result<InboxHandle, InboxError> {
    if config.body_limit == 0 || config.max_connections == 0 {
        return Err(InboxError::Config(
            "the body limit and the connection limit must be above 0".to_string(),
        ));
    }
    if config.header_read_timeout.is_zero() || config.body_read_timeout.is_zero() {
        return Err(InboxError::Config(
            "read timeouts must be above 0".to_string(),
        ));
    }
    let serve_limits = ServeLimits {
        max_connections: config.max_connections,
        header_read_timeout: config.header_read_timeout,
        max_head_bytes: crate::net::http::DEFAULT_MAX_HEAD_BYTES,
        shutdown_grace: SHUTDOWN_GRACE,
    };
    serve_limits.check().map_err(InboxError::Config)?;
    let wanted = SocketAddr::new(config.bind, config.port);
    let listener = TcpListener::bind(wanted)
        .await
        .map_err(|source| InboxError::Bind {
            addr: wanted,
            source,
        })?;
    let addr = listener.local_addr().map_err(|source| InboxError::Bind {
        addr: wanted,
        source,
    })?;
    let (events, _) = broadcast::channel(EVENT_CAPACITY);
    let recorder = match config.recording {
        Some(recording) => Some(
            recording::InboxRecorder::start(recording, base_url_of(addr))
                .map_err(InboxError::Config)?,
        ),
        None => None,
    };
    let shared = Arc::new(Shared {
        limits: Limits {
            body_limit: config.body_limit,
            kept_body_cap: config.kept_body_cap.min(config.body_limit),
            body_read_timeout: config.body_read_timeout,
        },
        verification: RwLock::new((config.verification, config.mode)),
        answers: RwLock::new(BTreeMap::new()),
        accept_invalid: RwLock::new(BTreeSet::new()),
        seen: Mutex::new(gate::SeenIds::default()),
        log: Mutex::new(record::ReceivedLog::new(config.max_kept, config.kept_bytes)),
        events,
        recorder,
    });
    let (stop, stop_rx) = watch::channel(false);
    let task = tokio::spawn(serve::accept_loop(
        listener,
        Arc::clone(&shared),
        stop_rx,
        serve_limits,
    ));
    Ok(InboxHandle {
        addr,
        warning: bind_warning(config.bind),
        shared,
        stop,
        task: Some(task),
    })
}

/// The URL that reaches a listener bound to `addr` from this machine.
fn base_url_of(addr: SocketAddr) -> String {
    let ip = match addr.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(std::net::Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    format!("http://{}", SocketAddr::new(ip, addr.port()))
}

fn bind_warning(bind: IpAddr) -> Option<String> {
    (!crate::net::http::is_loopback_ip(bind)).then(|| {
        format!(
            "The inbox listens on {bind}, not only on this machine: anyone who can reach it can send it requests and read its answers (tokens included). Use 127.0.0.1 unless a provider must reach it directly."
        )
    })
}

impl InboxHandle {
    /// `http://127.0.0.1:PORT`: what a provider (or the local sandbox) should call. For a
    /// wildcard bind (0.0.0.0, ::) the loopback address is given, which always connects.
    pub fn base_url(&self) -> String {
        base_url_of(self.addr)
    }

    /// The address actually bound (the real port when 0 was asked).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Set when the bind address is not loopback: show it next to the URL.
    pub fn warning(&self) -> Option<&str> {
        self.warning.as_deref()
    }

    /// Stop accepting, let requests in flight finish (up to [`SHUTDOWN_GRACE`]), close.
    pub async fn stop(mut self) {
        let _ = self.stop.send(true);
        // The accept loop bounds its own wait for connections; this only waits for it.
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }

    /// How to answer `path` (exact, without the query; a missing leading `/` is added).
    /// [`AnswerRule::Default`] removes a rule.
    pub fn set_answer(&self, path: &str, rule: AnswerRule) -> Result<(), InboxError> {
        let path = normalise_path(path);
        rule.check().map_err(|reason| InboxError::BadRule {
            path: path.clone(),
            reason,
        })?;
        let mut answers = self
            .shared
            .answers
            .write()
            .unwrap_or_else(|e| e.into_inner());
        if rule == AnswerRule::Default {
            answers.remove(&path);
        } else {
            answers.insert(path, rule);
        }
        Ok(())
    }

    /// The rules set, by path (paths without one get the default answer).
    pub fn answers(&self) -> Vec<(String, AnswerRule)> {
        self.shared
            .answers
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .map(|(p, r)| (p.clone(), r.clone()))
            .collect()
    }

    /// Answer `path` by its rule whatever the verdict (`true`: the provider's happy path
    /// with keys that do not match yet), or refuse like a merchant again (`false`).
    pub fn set_accept_invalid(&self, path: &str, accept: bool) {
        let path = normalise_path(path);
        let mut paths = self
            .shared
            .accept_invalid
            .write()
            .unwrap_or_else(|e| e.into_inner());
        if accept {
            paths.insert(path);
        } else {
            paths.remove(&path);
        }
    }

    /// The paths set to accept anyway.
    pub fn accepting_invalid(&self) -> Vec<String> {
        self.shared
            .accept_invalid
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .cloned()
            .collect()
    }

    /// Check with other keys from the next request on (another profile chosen).
    pub fn set_verification(&self, keys: VerificationKeys, mode: VerificationMode) {
        *self
            .shared
            .verification
            .write()
            .unwrap_or_else(|e| e.into_inner()) = (keys, mode);
    }

    /// What has arrived, oldest first (at most `max_kept`).
    pub fn received(&self) -> Vec<Received> {
        self.shared.log().snapshot()
    }

    /// Empty the list (ids keep counting up).
    pub fn clear_received(&self) {
        self.shared.log().clear();
    }

    /// Each new request as it is answered. A receiver that falls more than
    /// [`EVENT_CAPACITY`] behind gets `Lagged` and should re-read [`Self::received`].
    pub fn subscribe(&self) -> broadcast::Receiver<Received> {
        self.shared.events.subscribe()
    }
}

impl Drop for InboxHandle {
    fn drop(&mut self) {
        // `stop` consumed the handle already sent this; a plain drop stops without waiting.
        let _ = self.stop.send(true);
    }
}

/// `"api/x"` → `"/api/x"`; surrounding spaces and a query are dropped.
fn normalise_path(path: &str) -> String {
    let path = path.trim();
    let path = path.split(['?', '#']).next().unwrap_or_default();
    if path.starts_with('/') {
        path.to_string()
    } else {
        format!("/{path}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_and_warnings() {
        assert_eq!(normalise_path(" api/v1.0/x?y=1 "), "/api/v1.0/x");
        assert!(bind_warning(IpAddr::V4(Ipv4Addr::LOCALHOST)).is_none());
        assert!(bind_warning(IpAddr::V4(Ipv4Addr::UNSPECIFIED)).is_some());
    }
}
