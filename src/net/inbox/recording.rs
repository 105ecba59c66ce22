//! Recording before answering: with a recorder set, every request is appended to the
//! history (redacted) *before* its answer goes out, and a request that could not be
//! recorded is answered `500xx01 Internal Server Error` so the provider sends it again.
//! The inbox never acknowledges what it has not kept.
//!
//! Appends go through one thread that takes whatever is waiting (up to [`MAX_BATCH`]
//! requests or [`MAX_BATCH_BYTES`]) and hands it to [`Recorder::record_all`]: a burst of
//! notifications costs one flush to disk per batch, not one per notification. The bytes
//! waiting to be recorded are bounded by [`MAX_QUEUED_BYTES`]; past that, requests wait
//! for room (their connections are held, not their answers faked).

use std::sync::Arc;

use tokio::sync::{Semaphore, mpsc, oneshot};

use super::record::Received;
use crate::model::exchange::Exchange;
use crate::model::{Recorder, redact::Redactor};

/// Requests recorded in one flush at most.
pub const MAX_BATCH: usize = 256;
/// Body bytes recorded in one flush at most (a batch of 1 MB bodies stays small).
pub const MAX_BATCH_BYTES: usize = 16 * 1024 * 1024;
/// Body bytes waiting to be recorded at most; more waits for room.
pub const MAX_QUEUED_BYTES: usize = 64 * 1024 * 1024;
/// The budget is counted in KiB so one permit count fits a `u32`.
const BUDGET_KIB: usize = MAX_QUEUED_BYTES / 1024;
/// Jobs in the channel (the byte budget is the real bound; this only sizes the channel).
const QUEUE_LEN: usize = 1024;

/// Where and how the inbox records: the recorder (the history), the profile name the
/// entries carry and the redactor that scrubs the profile's secrets from them.
#[derive(Clone)]
pub struct Recording {
    pub recorder: Arc<dyn Recorder>,
    pub profile: String,
    pub redactor: Redactor,
}

impl std::fmt::Debug for Recording {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Recording")
            .field("profile", &self.profile)
            .finish_non_exhaustive()
    }
}

struct Job {
    exchange: Exchange,
    done: oneshot::Sender<Result<(), String>>,
}

/// The recording side of a running inbox.
pub(super) struct InboxRecorder {
    jobs: mpsc::Sender<Job>,
    budget: Arc<Semaphore>,
    profile: String,
    redactor: Redactor,
    base_url: String,
}

impl InboxRecorder {
    /// Start the recording thread (it ends when the inbox is dropped).
    pub(super) fn start(recording: Recording, base_url: String) -> Result<Self, String> {
        let (jobs, rx) = mpsc::channel(QUEUE_LEN);
        let recorder = recording.recorder;
        std::thread::Builder::new()
            .name("inbox-recorder".to_string())
            .spawn(move || run(recorder.as_ref(), rx))
            .map_err(|e| format!("cannot start the history recorder: {e}"))?;
        Ok(InboxRecorder {
            jobs,
            budget: Arc::new(Semaphore::new(BUDGET_KIB)),
            profile: recording.profile,
            redactor: recording.redactor,
            base_url,
        })
    }

    /// Record `received` (redacted, as a history exchange); `Ok` once it is on disk.
    pub(super) async fn keep(&self, received: &Received) -> Result<(), String> {
        let exchange = received.to_exchange(&self.base_url, &self.profile, &self.redactor);
        let kib = (size_of(&exchange) / 1024 + 1).min(BUDGET_KIB);
        let _room = self
            .budget
            .acquire_many(u32::try_from(kib).unwrap_or(u32::MAX))
            .await
            .map_err(|_| "the history recorder stopped".to_string())?;
        let (done, result) = oneshot::channel();
        self.jobs
            .send(Job { exchange, done })
            .await
            .map_err(|_| "the history recorder stopped".to_string())?;
        result.await.unwrap_or_else(|_| {
            Err("the history recorder stopped before recording this request".to_string())
        })
    }
}

fn size_of(exchange: &Exchange) -> usize {
    exchange.request.body.len()
        + exchange
            .response
            .as_ref()
            .map_or(0, |response| response.body.len())
}

/// Take what is waiting, record it in one go, tell each request how it went.
fn run(recorder: &dyn Recorder, mut jobs: mpsc::Receiver<Job>) {
    while let Some(first) = jobs.blocking_recv() {
        let mut bytes = size_of(&first.exchange);
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH && bytes < MAX_BATCH_BYTES {
            match jobs.try_recv() {
                Ok(job) => {
                    bytes += size_of(&job.exchange);
                    batch.push(job);
                }
                Err(_) => break,
            }
        }
        let (exchanges, replies): (Vec<Exchange>, Vec<_>) = batch
            .into_iter()
            .map(|job| (job.exchange, job.done))
            .unzip();
        let result = recorder.record_all(exchanges);
        for reply in replies {
            // The request may have been cancelled (its client left): nothing to tell.
            let _ = reply.send(result.clone());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::exchange::{Direction, RecordedMessage};
    use std::sync::Mutex;

    /// Counts batches; fails everything when told to.
    #[derive(Default)]
    struct Counting {
        batches: Mutex<Vec<usize>>,
        fail: bool,
    }

    impl Recorder for Counting {
        fn record(&self, exchange: Exchange) -> Result<(), String> {
            self.record_all(vec![exchange])
        }

        fn record_all(&self, exchanges: Vec<Exchange>) -> Result<(), String> {
            if self.fail {
                return Err("disk full".to_string());
            }
            if let Ok(mut batches) = self.batches.lock() {
                batches.push(exchanges.len());
            }
            Ok(())
        }
    }

    fn received() -> Received {
        let exchange = Exchange::new(
            Direction::Inbound,
            "p",
            "POST".to_string(),
            "http://x/".to_string(),
            RecordedMessage::new(Vec::new(), String::new()),
        );
        Received {
            id: 1,
            time: exchange.time,
            peer: "127.0.0.1:1".into(),
            method: "POST".into(),
            path: "/api/v1.0/transfer-va/payment".into(),
            query: None,
            headers: Vec::new(),
            body: "{}".into(),
            body_bytes: 2,
            body_truncated: false,
            service: None,
            verdict: super::super::Verdict::default(),
            answer_rule: "default".into(),
            duplicate: false,
            rejection: None,
            not_recorded: None,
            answered_status: 200,
            answered_headers: Vec::new(),
            answered_body: "{}".into(),
            answer_delay_ms: 0,
            elapsed_ms: 0,
        }
    }

    fn recording(recorder: Arc<dyn Recorder>) -> Recording {
        Recording {
            recorder,
            profile: "p".into(),
            redactor: Redactor::new(),
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_burst_is_recorded_in_few_batches_and_every_request_is_told() {
        let counting = Arc::new(Counting::default());
        let recorder = InboxRecorder::start(recording(counting.clone()), "http://x".into())
            .unwrap_or_else(|e| panic!("{e}"));
        let recorder = Arc::new(recorder);
        let tasks: Vec<_> = (0..200)
            .map(|_| {
                let recorder = Arc::clone(&recorder);
                tokio::spawn(async move { recorder.keep(&received()).await })
            })
            .collect();
        for task in tasks {
            assert_eq!(task.await.ok(), Some(Ok(())));
        }
        let batches = counting
            .batches
            .lock()
            .map(|b| b.clone())
            .unwrap_or_default();
        assert_eq!(batches.iter().sum::<usize>(), 200);
        assert!(batches.len() <= 200, "{batches:?}");
    }

    #[tokio::test]
    async fn a_failed_append_is_reported_to_the_request() {
        let failing = Arc::new(Counting {
            fail: true,
            ..Counting::default()
        });
        let recorder = InboxRecorder::start(recording(failing), "http://x".into())
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            recorder.keep(&received()).await,
            Err("disk full".to_string())
        );
    }
}
