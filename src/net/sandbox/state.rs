//! The state every request handler shares: configuration, the switches, and the bounded
//! memories. Locks are std mutexes held for a few statements and never across an `.await`.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use chrono::Utc;
use rsa::rand_core::{OsRng, RngCore};
use tokio::sync::Semaphore;
use url::Url;

use super::config::SandboxConfig;
use super::dispatch::Routes;
use super::journal::Judgement;
use super::memory::{BoundedLog, BoundedMap, ExternalIdBook, TokenBook};
use super::notify::Notifier;
use super::respond::Answer;
use super::va::{PaymentRecord, VaRecord};
use super::{SandboxError, biller};
use crate::snap::{keys, timestamp};

/// Sizes of the memories. Generous for a developer's day, small enough to never matter.
const TOKENS: usize = 10_000;
const EXTERNAL_IDS_PER_DAY: usize = 500_000;
const PAYMENTS: usize = 100_000;
const VIRTUAL_ACCOUNTS: usize = 10_000;
const REGISTRATIONS: usize = 10_000;
const JOURNAL: usize = 256;
/// Signature diagnoses (explain mode) running at once; more are skipped, not queued.
const DIAGNOSES: usize = 2;

pub(crate) struct Shared {
    pub config: SandboxConfig,
    pub base_url: String,
    pub notify_base: Option<Url>,
    pub notifier: Notifier,
    pub notification_public_key_pem: String,
    pub routes: Routes,
    pub tokens: Mutex<TokenBook>,
    pub external_ids: Mutex<ExternalIdBook>,
    /// VA payments by paymentRequestId.
    pub payments: Mutex<BoundedMap<PaymentRecord>>,
    /// The latest paymentRequestId paid into each virtualAccountNo.
    pub last_payment_by_va: Mutex<BoundedMap<String>>,
    /// VAs made with Create VA, by virtualAccountNo.
    pub virtual_accounts: Mutex<BoundedMap<VaRecord>>,
    /// E-wallet registrations: partnerReferenceNo → referenceNo.
    pub registrations: Mutex<BoundedMap<String>>,
    /// The biller deposit ("saldo"), in rupiah.
    pub biller_balance: Mutex<i64>,
    pub diagnoses: Semaphore,
    explain: AtomicBool,
    journal: Mutex<BoundedLog<Judgement>>,
    next_seq: AtomicU64,
    next_reference: AtomicU64,
}

/// A poisoned lock only means another request panicked mid-update of plain data; the data
/// is still usable, and a sandbox that stops answering would be worse.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Shared {
    pub fn new(
        config: SandboxConfig,
        addr: SocketAddr,
        notify_base: Option<Url>,
        notifier: Notifier,
    ) -> Result<Self, SandboxError> {
        let notification_public_key_pem =
            keys::public_key_to_spki_pem(&config.notification_key.to_public_key())
                .map_err(|e| SandboxError::Credentials(e.to_string()))?;
        Ok(Shared {
            base_url: format!("http://{addr}"),
            notify_base,
            notifier,
            notification_public_key_pem,
            routes: Routes::from_catalog(),
            tokens: Mutex::new(TokenBook::new(config.token_ttl, TOKENS)),
            external_ids: Mutex::new(ExternalIdBook::new(EXTERNAL_IDS_PER_DAY)),
            payments: Mutex::new(BoundedMap::new(PAYMENTS)),
            last_payment_by_va: Mutex::new(BoundedMap::new(PAYMENTS)),
            virtual_accounts: Mutex::new(BoundedMap::new(VIRTUAL_ACCOUNTS)),
            registrations: Mutex::new(BoundedMap::new(REGISTRATIONS)),
            biller_balance: Mutex::new(biller::OPENING_BALANCE),
            diagnoses: Semaphore::new(DIAGNOSES),
            explain: AtomicBool::new(config.explain),
            journal: Mutex::new(BoundedLog::new(JOURNAL)),
            next_seq: AtomicU64::new(1),
            // A random start keeps reference numbers of two runs apart.
            next_reference: AtomicU64::new(u64::from(OsRng.next_u32())),
            config,
        })
    }

    pub fn explain(&self) -> bool {
        self.explain.load(Ordering::Relaxed)
    }

    pub fn set_explain(&self, on: bool) {
        self.explain.store(on, Ordering::Relaxed);
    }

    /// A provider-side reference number: Jakarta date and a counter, 18 digits.
    pub fn new_reference_no(&self) -> String {
        let n = self.next_reference.fetch_add(1, Ordering::Relaxed) % 10_000_000_000;
        let date = Utc::now()
            .with_timezone(&timestamp::jakarta())
            .format("%Y%m%d");
        format!("{date}{n:010}")
    }

    pub fn record(&self, method: &str, path: &str, answer: &Answer, elapsed: Duration) {
        let judgement = Judgement {
            seq: self.next_seq.fetch_add(1, Ordering::Relaxed),
            at: timestamp::now_jakarta(),
            method: method.to_string(),
            path: path.chars().take(200).collect(),
            http_status: answer.status.as_u16(),
            response_code: answer.code.clone(),
            message: answer.message.clone(),
            reason: answer.reason.clone(),
            elapsed_micros: u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX),
        };
        lock(&self.journal).push(judgement);
    }

    pub fn journal(&self) -> Vec<Judgement> {
        lock(&self.journal).snapshot()
    }
}
