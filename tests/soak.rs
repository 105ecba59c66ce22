//! The inbox under a long burst and under kill -9 (issue 11, soak): the real
//! `snap-console inbox` process with the history on, fed signed notifications over loopback.
//!
//! - soak: N notifications (one in ten of about 1 MB, the rest about 1 KB, mixed) from 32
//!   connections at once; every one answered 200 must be in the history (0
//!   answered-but-unrecorded), the process's RSS stays ≤ 250 MB throughout, and (full run)
//!   does not grow more than 10 % between the half-way mark and the end;
//! - kill: the inbox is killed with SIGKILL mid-burst; every notification answered 200
//!   before that must be in the history.
//!
//! `cargo test --test soak` runs a short version (a few hundred notifications, 3 kills).
//! The full version, 10,000 notifications and 50 kills, is
//!
//! ```sh
//! SNAP_SOAK_FULL=1 cargo test --release --test soak -- --nocapture --test-threads 1
//! ```
//!
//! and prints the figures (RSS at the half and at the end, the peak, throughput).
//! `SNAP_SOAK_COUNT=N` changes the number of notifications (the growth check runs with
//! `SNAP_SOAK_FULL` only).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::too_many_lines
)]

use std::io::Write;
use std::net::{SocketAddr, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[path = "common/inbox_load.rs"]
mod inbox_load;
use inbox_load::{InboxProcess, Signer, read_statuses, recorded_ids};

const RSS_LIMIT_KIB: u64 = 250 * 1024;
const LARGE: usize = 1_000_000;
const SMALL: usize = 1_000;
/// A signature is good for 900 s of skew; sign afresh well before.
const RESIGN_EVERY: Duration = Duration::from_secs(120);

fn full() -> bool {
    std::env::var_os("SNAP_SOAK_FULL").is_some()
}

/// The size of notification `i`: one in ten large, spread through the run.
fn size_of(i: usize) -> usize {
    if i % 10 == 7 { LARGE } else { SMALL }
}

/// One keep-alive connection sending notifications one after the other, reconnecting when
/// the inbox closes it. Returns (id, status) of each.
struct Sender {
    addr: SocketAddr,
    stream: Option<TcpStream>,
    signer: Signer,
    signed_at: Instant,
}

impl Sender {
    fn new(addr: SocketAddr) -> Self {
        Sender {
            addr,
            stream: None,
            signer: Signer::new(),
            signed_at: Instant::now(),
        }
    }

    /// The status of one notification, 0 when no answer came (the inbox died or closed).
    fn send(&mut self, id: &str, size: usize) -> u16 {
        if self.signed_at.elapsed() > RESIGN_EVERY {
            self.signer = Signer::new();
            self.signed_at = Instant::now();
        }
        let request = self.signer.request(id, size);
        for _attempt in 0..2 {
            if self.stream.is_none() {
                let Ok(stream) = TcpStream::connect(self.addr) else {
                    return 0;
                };
                stream
                    .set_read_timeout(Some(Duration::from_secs(120)))
                    .unwrap();
                self.stream = Some(stream);
            }
            let Some(stream) = self.stream.as_mut() else {
                return 0;
            };
            if stream.write_all(&request).is_ok()
                && let Some(status) = read_statuses(stream, 1).first().copied()
            {
                return status;
            }
            // A keep-alive connection the inbox closed: once more on a fresh one.
            self.stream = None;
        }
        0
    }
}

/// VmRSS of the process, sampled until `done`; the peak, in KiB.
fn sample_rss(
    pid: u32,
    done: Arc<AtomicBool>,
    peak: Arc<AtomicU64>,
) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        let path = format!("/proc/{pid}/status");
        while !done.load(Ordering::SeqCst) {
            let rss = inbox_load::rss_kib_of(&path);
            peak.fetch_max(rss, Ordering::SeqCst);
            std::thread::sleep(Duration::from_millis(50));
        }
    })
}

#[test]
fn the_inbox_records_every_acknowledged_notification_in_bounded_memory() {
    let (total, connections) = if full() { (10_000, 32) } else { (300, 8) };
    // A chosen length (e.g. a medium run on a debug build): SNAP_SOAK_COUNT=2000.
    let total = std::env::var("SNAP_SOAK_COUNT")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(total);
    let home = tempfile::tempdir().expect("temp dir");
    let mut inbox = InboxProcess::start(home.path(), &[]);
    // Someone reads its stdout (the slow reader is the recording test's case).
    let stdout = inbox.child.stdout.take().expect("stdout");
    std::thread::spawn(move || std::io::copy(&mut { stdout }, &mut std::io::sink()));
    let addr = inbox.addr;
    let pid = inbox.child.id();
    let rss_start = inbox.rss_kib();

    let next = Arc::new(AtomicUsize::new(0));
    let finished = Arc::new(AtomicUsize::new(0));
    let marks = Arc::new(Mutex::new(Vec::<(usize, u64)>::new()));
    let done = Arc::new(AtomicBool::new(false));
    let peak = Arc::new(AtomicU64::new(rss_start));
    let sampler = sample_rss(pid, Arc::clone(&done), Arc::clone(&peak));
    let started = Instant::now();
    let answers: Vec<(String, u16)> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..connections)
            .map(|_| {
                let (next, finished, marks) = (&next, &finished, &marks);
                scope.spawn(move || {
                    let mut sender = Sender::new(addr);
                    let mut answers = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::SeqCst);
                        if i >= total {
                            return answers;
                        }
                        let id = format!("SOAK{i:06}");
                        let status = sender.send(&id, size_of(i));
                        answers.push((id, status));
                        let count = finished.fetch_add(1, Ordering::SeqCst) + 1;
                        if count == total / 2 || count == total {
                            let rss = inbox_load::rss_kib_of(&format!("/proc/{pid}/status"));
                            marks.lock().unwrap().push((count, rss));
                        }
                    }
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().expect("worker"))
            .collect()
    });
    let elapsed = started.elapsed();
    done.store(true, Ordering::SeqCst);
    sampler.join().expect("sampler");

    let recorded = recorded_ids(&home.path().join("data"));
    let accepted: Vec<&(String, u16)> = answers.iter().filter(|(_, s)| *s == 200).collect();
    let unrecorded = accepted
        .iter()
        .filter(|(id, _)| !recorded.contains(id))
        .count();
    let bytes: usize = (0..total).map(size_of).sum();
    let marks = marks.lock().unwrap().clone();
    let rss_at = |count: usize| {
        marks
            .iter()
            .find(|(c, _)| *c == count)
            .map_or(0, |(_, rss)| *rss)
    };
    let (half, end) = (rss_at(total / 2), rss_at(total));
    let peak = peak.load(Ordering::SeqCst);
    eprintln!(
        "soak: {total} notifications ({} of ~1 MB), {connections} connections, {:.1} s: \
         {:.0} notifications/s, {:.1} MB/s; answered 200: {}, answered but unrecorded: {unrecorded}; \
         RSS start {:.1} MB, at {} {:.1} MB, at {total} {:.1} MB, peak {:.1} MB",
        (0..total).filter(|i| size_of(*i) == LARGE).count(),
        elapsed.as_secs_f64(),
        total as f64 / elapsed.as_secs_f64(),
        bytes as f64 / 1e6 / elapsed.as_secs_f64(),
        accepted.len(),
        rss_start as f64 / 1024.0,
        total / 2,
        half as f64 / 1024.0,
        end as f64 / 1024.0,
        peak as f64 / 1024.0,
    );
    assert_eq!(unrecorded, 0, "every 200 is in the history");
    assert_eq!(accepted.len(), total, "every notification accepted");
    assert!(
        peak <= RSS_LIMIT_KIB,
        "peak RSS {peak} KiB over {RSS_LIMIT_KIB} KiB"
    );
    if full() {
        let growth = end as f64 / half.max(1) as f64;
        assert!(
            (0.9..=1.1).contains(&growth),
            "RSS from {half} KiB at the half to {end} KiB at the end ({growth:.2}×)"
        );
    }
    inbox.kill9();
}

#[test]
fn kill_9_mid_burst_loses_no_acknowledged_notification() {
    let trials = if full() { 50 } else { 3 };
    let mut acknowledged_total = 0;
    for trial in 0..trials {
        let home = tempfile::tempdir().expect("temp dir");
        let mut inbox = InboxProcess::start(home.path(), &[]);
        let addr = inbox.addr;
        let acknowledged = Arc::new(Mutex::new(Vec::<String>::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let workers: Vec<_> = (0..4)
            .map(|worker| {
                let (acknowledged, stop) = (Arc::clone(&acknowledged), Arc::clone(&stop));
                std::thread::spawn(move || {
                    let mut sender = Sender::new(addr);
                    let mut i = 0;
                    while !stop.load(Ordering::SeqCst) {
                        let id = format!("KILL{trial:02}-{worker}-{i:05}");
                        // Mostly small, some large, so kills land in every phase.
                        let size = if i % 5 == 4 { 200_000 } else { SMALL };
                        match sender.send(&id, size) {
                            200 => acknowledged.lock().unwrap().push(id),
                            0 => return,
                            _ => {}
                        }
                        i += 1;
                    }
                })
            })
            .collect();
        // A different moment each trial: 150 ms to about 1 s into the burst.
        std::thread::sleep(Duration::from_millis(150 + (trial as u64 * 37) % 900));
        inbox.kill9();
        stop.store(true, Ordering::SeqCst);
        for worker in workers {
            worker.join().expect("worker");
        }
        let recorded = recorded_ids(&home.path().join("data"));
        let acknowledged = acknowledged.lock().unwrap();
        let lost: Vec<&String> = acknowledged
            .iter()
            .filter(|id| !recorded.contains(*id))
            .collect();
        assert!(
            lost.is_empty(),
            "trial {trial}: {} answered 200 but not in the history, e.g. {:?}",
            lost.len(),
            lost.first()
        );
        acknowledged_total += acknowledged.len();
    }
    eprintln!("kill -9: {trials} trials, {acknowledged_total} notifications answered 200, 0 lost");
    assert!(acknowledged_total > 0, "the bursts were answered at all");
}
