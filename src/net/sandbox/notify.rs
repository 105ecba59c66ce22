//! Outbound calls to the merchant: the VA payment notification (signed as NICEPAY signs
//! it: SHA256withRSA over `X-CLIENT-KEY|X-TIMESTAMP` with the sandbox's notification key)
//! and the biller's reversal callback (a GET with a query).
//!
//! Sent in the background and bounded everywhere: a bounded queue (when full, the delivery
//! is recorded as dropped and the request that caused it is answered anyway), a few sends
//! at once, a timeout per send, one attempt, and a bounded log of outcomes for the window
//! and the tests.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rsa::RsaPrivateKey;
use serde::Serialize;
use tokio::sync::{Semaphore, mpsc};
use tokio::task::{JoinHandle, JoinSet};
use url::Url;

use super::SandboxError;
use super::config::SandboxConfig;
use super::memory::BoundedLog;
use super::provider::NotificationRule;
use super::state::lock;
use crate::net::http::{self, is_loopback};
use crate::snap::headers;
use crate::snap::signature::{self, SignatureError, SignatureInput, SignatureKind, SigningSecret};
use crate::snap::{notification, timestamp};

const QUEUE: usize = 1024;
const LOG: usize = 256;
const SENDING_AT_ONCE: usize = 4;
const MAX_REASON: usize = 300;

/// What was sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum DeliveryKind {
    /// POST `{notify}/api/v1.0/transfer-va/payment` after a VA payment.
    VaPaymentNotification,
    /// GET `{notify}/biller/reversal?status=…&refid=…` after a biller transaction.
    BillerReversal,
}

/// How it went.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase", tag = "state")]
pub enum DeliveryOutcome {
    Pending,
    /// The merchant answered (any HTTP status; 2xx is a success).
    Answered {
        status: u16,
    },
    /// No answer: connection refused, timeout, …
    Failed {
        reason: String,
    },
    /// Never sent: the queue was full or the sandbox stopping.
    Dropped {
        reason: String,
    },
}

/// One outbound call and its outcome.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Delivery {
    pub id: u64,
    pub kind: DeliveryKind,
    pub method: String,
    pub url: String,
    /// When it was queued (Jakarta time).
    pub queued_at: String,
    pub outcome: DeliveryOutcome,
    pub elapsed_ms: Option<u64>,
}

impl Delivery {
    pub fn is_success(&self) -> bool {
        matches!(self.outcome, DeliveryOutcome::Answered { status } if (200..300).contains(&status))
    }

    /// One line for a terminal.
    pub fn line(&self) -> String {
        let outcome = match &self.outcome {
            DeliveryOutcome::Pending => "pending".to_string(),
            DeliveryOutcome::Answered { status } => format!("answered {status}"),
            DeliveryOutcome::Failed { reason } => format!("failed: {reason}"),
            DeliveryOutcome::Dropped { reason } => format!("dropped: {reason}"),
        };
        format!(
            "{} {:?} {} {} -> {outcome}",
            self.queued_at, self.kind, self.method, self.url
        )
    }
}

/// An outbound call, ready to send.
pub(crate) enum Outbound {
    /// POST a JSON body with the notification signature headers.
    SignedNotification {
        url: Url,
        body: Vec<u8>,
    },
    Get {
        url: Url,
    },
}

struct Job {
    id: u64,
    outbound: Outbound,
    /// Sent no sooner than this after queueing (a biller calls back after it answered).
    delay: Duration,
}

type Log = Arc<Mutex<BoundedLog<Delivery>>>;

/// The handlers' side: queue a delivery, read the log.
pub(crate) struct Notifier {
    queue: mpsc::Sender<Job>,
    log: Log,
    next_id: AtomicU64,
}

impl Notifier {
    pub fn enqueue(&self, kind: DeliveryKind, outbound: Outbound, delay: Duration) {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let (method, url) = match &outbound {
            Outbound::SignedNotification { url, .. } => ("POST", url.to_string()),
            Outbound::Get { url } => ("GET", url.to_string()),
        };
        lock(&self.log).push(Delivery {
            id,
            kind,
            method: method.to_string(),
            url,
            queued_at: timestamp::now_jakarta(),
            outcome: DeliveryOutcome::Pending,
            elapsed_ms: None,
        });
        let job = Job {
            id,
            outbound,
            delay,
        };
        if let Err(error) = self.queue.try_send(job) {
            let reason = match error {
                mpsc::error::TrySendError::Full(_) => "the outbound queue is full",
                mpsc::error::TrySendError::Closed(_) => "the sandbox is stopping",
            };
            finish(
                &self.log,
                id,
                DeliveryOutcome::Dropped {
                    reason: reason.to_string(),
                },
                None,
            );
        }
    }

    pub fn deliveries(&self) -> Vec<Delivery> {
        lock(&self.log).snapshot()
    }
}

fn finish(log: &Log, id: u64, outcome: DeliveryOutcome, elapsed: Option<Duration>) {
    if let Some(delivery) = lock(log).find_mut(|d| d.id == id) {
        delivery.outcome = outcome;
        delivery.elapsed_ms = elapsed.map(|e| u64::try_from(e.as_millis()).unwrap_or(u64::MAX));
    }
}

/// The notifier and its worker task (abort the task to drop what is still queued).
pub(crate) fn start(
    config: &SandboxConfig,
    notify_base: Option<&Url>,
) -> Result<(Notifier, JoinHandle<()>), SandboxError> {
    let mut client = reqwest::Client::builder()
        .timeout(config.outbound_timeout)
        .connect_timeout(config.outbound_timeout)
        .redirect(reqwest::redirect::Policy::none());
    // A merchant on this machine must not be reached through an HTTP_PROXY from the
    // environment (which rarely lists localhost in NO_PROXY).
    if notify_base.is_some_and(is_loopback) {
        client = client.no_proxy();
    }
    let client = client
        .build()
        .map_err(|e| SandboxError::Config(format!("the HTTP client for notifications: {e}")))?;
    let (queue, jobs) = mpsc::channel(QUEUE);
    let log: Log = Arc::new(Mutex::new(BoundedLog::new(LOG)));
    let sender = Arc::new(Sender {
        client,
        client_id: config.client_id.clone(),
        key: config.notification_key.clone(),
        rule: config.provider.notification_rule,
        log: log.clone(),
    });
    let worker = tokio::spawn(run(jobs, sender));
    let notifier = Notifier {
        queue,
        log,
        next_id: AtomicU64::new(1),
    };
    Ok((notifier, worker))
}

async fn run(mut jobs: mpsc::Receiver<Job>, sender: Arc<Sender>) {
    let slots = Arc::new(Semaphore::new(SENDING_AT_ONCE));
    let mut sending = JoinSet::new();
    while let Some(job) = jobs.recv().await {
        while sending.try_join_next().is_some() {}
        let Ok(slot) = slots.clone().acquire_owned().await else {
            break;
        };
        let sender = sender.clone();
        sending.spawn(async move {
            let _slot = slot;
            sender.deliver(job).await;
        });
    }
    while sending.join_next().await.is_some() {}
}

struct Sender {
    client: reqwest::Client,
    client_id: String,
    key: RsaPrivateKey,
    rule: NotificationRule,
    log: Log,
}

impl Sender {
    async fn deliver(&self, job: Job) {
        if !job.delay.is_zero() {
            tokio::time::sleep(job.delay).await;
        }
        let started = Instant::now();
        let sent = match job.outbound {
            Outbound::SignedNotification { url, body } => self.post_signed(url, body).await,
            Outbound::Get { url } => self.client.get(url).send().await.map_err(describe),
        };
        let outcome = match sent {
            Ok(response) => DeliveryOutcome::Answered {
                status: response.status().as_u16(),
            },
            Err(reason) => DeliveryOutcome::Failed { reason },
        };
        finish(&self.log, job.id, outcome, Some(started.elapsed()));
    }

    async fn post_signed(&self, url: Url, body: Vec<u8>) -> Result<reqwest::Response, String> {
        let headers = self
            .signature_headers(&url, &body)
            .map_err(|e| format!("signing the notification failed: {e}"))?;
        let mut request = self.client.post(url).body(body);
        for (name, value) in headers {
            request = request.header(name, value);
        }
        request.send().await.map_err(describe)
    }

    /// The headers of a notification, signed by the provider's rule.
    fn signature_headers(
        &self,
        url: &Url,
        body: &[u8],
    ) -> Result<Vec<(&'static str, String)>, SignatureError> {
        let timestamp = timestamp::now_jakarta();
        match self.rule {
            NotificationRule::Notification => {
                Ok(notification::sign(&self.client_id, &timestamp, &self.key)?.headers)
            }
            NotificationRule::Transaction => {
                let prepared = signature::prepare(&SignatureInput {
                    kind: SignatureKind::AsymmetricTransaction,
                    timestamp: timestamp.clone(),
                    method: "POST".into(),
                    path: url.path().to_string(),
                    body: String::from_utf8_lossy(body).into_owned(),
                    ..SignatureInput::default()
                })?;
                let signed = signature::sign(&prepared, SigningSecret::Rsa(&self.key))?;
                Ok(vec![
                    (headers::CONTENT_TYPE, headers::JSON.to_string()),
                    (headers::X_TIMESTAMP, timestamp),
                    (headers::X_CLIENT_KEY, self.client_id.clone()),
                    (headers::X_PARTNER_ID, self.client_id.clone()),
                    (headers::X_SIGNATURE, signed),
                ])
            }
            NotificationRule::None => Ok(vec![(headers::CONTENT_TYPE, headers::JSON.to_string())]),
        }
    }
}

/// A failed delivery in the words every sender uses ([`crate::net::http::describe`]), cut.
fn describe(error: reqwest::Error) -> String {
    http::describe(&error).chars().take(MAX_REASON).collect()
}

/// `{base}{path}`: the path goes after the base's own path (a base of
/// `http://host/merchant` gives `http://host/merchant/api/…`), any query of the base dropped.
pub(crate) fn merchant_url(base: &Url, path: &str) -> Url {
    let mut url = base.clone();
    url.set_query(None);
    url.set_fragment(None);
    let joined = format!("{}{path}", base.path().trim_end_matches('/'));
    url.set_path(&joined);
    url
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merchant_urls_keep_the_base_path() {
        let base = Url::parse("http://127.0.0.1:8080/merchant/?x=1").ok();
        let url = base.map(|b| merchant_url(&b, "/biller/reversal").to_string());
        assert_eq!(
            url.as_deref(),
            Some("http://127.0.0.1:8080/merchant/biller/reversal")
        );
        let plain = Url::parse("http://localhost:9").ok();
        assert!(plain.as_ref().is_some_and(is_loopback));
        let url = plain.map(|b| merchant_url(&b, "/api/v1.0/transfer-va/payment").to_string());
        assert_eq!(
            url.as_deref(),
            Some("http://localhost:9/api/v1.0/transfer-va/payment")
        );
    }
}
