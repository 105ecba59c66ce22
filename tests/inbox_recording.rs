//! The inbox never acknowledges what it has not recorded (issue 11 items 1, 2): with the
//! history on, every request is in the history before its answer goes out; a request that
//! cannot be recorded is answered `500xx01` so the provider retries; a stdout nobody reads
//! loses nothing. Real binary, real loopback, real files.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::too_many_lines
)]

use std::io::Write;
use std::net::TcpStream;
use std::sync::Arc;
use std::time::Duration;

use snap_console::flows::history::FileRecorder;
use snap_console::net::inbox::{self, InboxConfig, Recording, VerificationKeys};
use snap_console::snap::keys;
use snap_console::store::history::Redactor;

#[path = "common/inbox_load.rs"]
mod inbox_load;
use inbox_load::{InboxProcess, Signer, read_statuses, recorded_ids};

const READ_LIMIT: Duration = Duration::from_secs(120);

/// Send `requests` on one connection, all written before any answer is read (pipelined),
/// and read as many answers.
fn pipelined(addr: std::net::SocketAddr, requests: Vec<Vec<u8>>) -> Vec<u16> {
    let count = requests.len();
    let mut stream = TcpStream::connect(addr).expect("connect");
    stream.set_read_timeout(Some(READ_LIMIT)).expect("timeout");
    let mut writer = stream.try_clone().expect("clone");
    let written = std::thread::spawn(move || {
        for request in requests {
            writer.write_all(&request).expect("write");
        }
    });
    let statuses = read_statuses(&mut stream, count);
    written.join().expect("writer");
    statuses
}

#[test]
fn a_thousand_pipelined_notifications_are_each_recorded_before_their_200_even_unprinted() {
    let home = tempfile::tempdir().expect("temp dir");
    // Its stdout is piped and never read: printing blocks after a few hundred lines.
    let mut inbox = InboxProcess::start(home.path(), &[]);
    let signer = Signer::new();
    let ids: Vec<String> = (0..1000).map(|i| format!("PIPE{i:06}")).collect();
    let requests = ids.iter().map(|id| signer.request(id, 900)).collect();
    let statuses = pipelined(inbox.addr, requests);
    assert_eq!(statuses.len(), 1000, "every request is answered");

    // Read while the inbox still runs: recorded means before the answer, not at exit.
    let recorded = recorded_ids(&home.path().join("data"));
    let answered_unrecorded: Vec<&String> = ids
        .iter()
        .zip(&statuses)
        .filter(|(id, status)| **status == 200 && !recorded.contains(*id))
        .map(|(id, _)| id)
        .collect();
    assert!(
        answered_unrecorded.is_empty(),
        "{} answered 200 but not in the history, e.g. {:?}",
        answered_unrecorded.len(),
        answered_unrecorded.first()
    );
    assert!(
        statuses.iter().all(|s| *s == 200),
        "all accepted: {:?}",
        statuses
            .iter()
            .filter(|s| **s != 200)
            .take(5)
            .collect::<Vec<_>>()
    );

    // SIGTERM stops it although its printer is stuck on the unread stdout.
    let term = std::process::Command::new("kill")
        .args(["-TERM", &inbox.child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(term.success());
    let started = std::time::Instant::now();
    let exited = loop {
        if let Some(status) = inbox.child.try_wait().expect("wait") {
            break Some(status);
        }
        if started.elapsed() > Duration::from_secs(15) {
            break None;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(
        exited.is_some_and(|s| s.success()),
        "stopped cleanly despite a blocked stdout: {exited:?}"
    );
}

#[test]
fn an_inbox_whose_history_cannot_record_does_not_start_without_no_history() {
    let home = tempfile::tempdir().expect("temp dir");
    std::fs::write(
        home.path().join("data"),
        "a file where the data folder goes",
    )
    .unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_snap-console"))
        .args(["inbox", "--port", "0"])
        .env("SNAP_CONSOLE_HOME", home.path())
        .stdin(std::process::Stdio::null())
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("history"), "{stderr}");
    assert!(stderr.contains("--no-history"), "{stderr}");
}

fn provider_keys() -> VerificationKeys {
    let pem = std::fs::read(inbox_load::fixture("test_rsa2048_public_spki.pem")).unwrap();
    VerificationKeys {
        counterparty_public_key: Some(keys::parse_public_key(&pem).unwrap().key),
        client_secret: None,
        expected_client_id: Some(inbox_load::CLIENT_ID.to_string()),
    }
}

/// One request on its own connection: (status, body).
fn send_one(addr: std::net::SocketAddr, request: &[u8]) -> (u16, String) {
    let mut stream = TcpStream::connect(addr).expect("connect");
    stream.set_read_timeout(Some(READ_LIMIT)).unwrap();
    stream.write_all(request).unwrap();
    let mut reader = std::io::BufReader::new(stream);
    let statuses = read_statuses(&mut reader, 1);
    (statuses.first().copied().unwrap_or(0), String::new())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_notification_that_cannot_be_recorded_gets_500xx01_and_its_retry_is_recorded() {
    let data = tempfile::tempdir().expect("temp dir");
    let (recorder, _) = FileRecorder::open(data.path().to_path_buf()).expect("history opens");
    let handle = inbox::start(InboxConfig {
        verification: provider_keys(),
        recording: Some(Recording {
            recorder: Arc::new(recorder),
            profile: "inbox".to_string(),
            redactor: Redactor::new(),
        }),
        ..InboxConfig::default()
    })
    .await
    .expect("starts");
    let addr = handle.addr();
    let mut events = handle.subscribe();
    let signer = Signer::new();

    let first = signer.request("REC-OK-1", 500);
    let (status, _) = tokio::task::spawn_blocking(move || send_one(addr, &first))
        .await
        .unwrap();
    assert_eq!(status, 200);
    assert!(recorded_ids(data.path()).contains("REC-OK-1"));

    // The history file becomes a folder: appends fail.
    let file = data.path().join("history.jsonl");
    std::fs::remove_file(&file).unwrap();
    std::fs::create_dir(&file).unwrap();
    let lost = signer.request("REC-LOST-2", 500);
    let retry = lost.clone();
    let (status, _) = tokio::task::spawn_blocking(move || send_one(addr, &lost))
        .await
        .unwrap();
    assert_eq!(status, 500, "not recorded, so not acknowledged");
    let seen = loop {
        let received = tokio::time::timeout(Duration::from_secs(10), events.recv())
            .await
            .expect("an event")
            .expect("running");
        if received.answered_status == 500 {
            break received;
        }
    };
    assert!(
        seen.answered_body.contains("\"5002501\""),
        "{}",
        seen.answered_body
    );
    assert!(seen.answered_body.contains("Internal Server Error"));
    assert!(seen.not_recorded.is_some(), "the list says why");

    // Repaired: the provider's retry is answered afresh (not as a duplicate of a 200 that
    // was never kept) and recorded.
    std::fs::remove_dir(&file).unwrap();
    let (status, _) = tokio::task::spawn_blocking(move || send_one(addr, &retry))
        .await
        .unwrap();
    assert_eq!(status, 200);
    assert!(recorded_ids(data.path()).contains("REC-LOST-2"));
    let last = handle.received().pop().expect("listed");
    assert!(!last.duplicate, "{}", last.answer_rule);
    handle.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_list_keeps_a_capped_body_while_the_history_keeps_it_whole() {
    let data = tempfile::tempdir().expect("temp dir");
    let (recorder, _) = FileRecorder::open(data.path().to_path_buf()).expect("history opens");
    let handle = inbox::start(InboxConfig {
        verification: provider_keys(),
        kept_body_cap: 1024,
        recording: Some(Recording {
            recorder: Arc::new(recorder),
            profile: "inbox".to_string(),
            redactor: Redactor::new(),
        }),
        ..InboxConfig::default()
    })
    .await
    .expect("starts");
    let addr = handle.addr();
    let request = Signer::new().request("BIG-1", 200_000);
    let (status, _) = tokio::task::spawn_blocking(move || send_one(addr, &request))
        .await
        .unwrap();
    assert_eq!(status, 200);
    let listed = handle.received().pop().expect("listed");
    assert_eq!(listed.body.len(), 1024);
    assert!(listed.body_truncated);
    assert!(listed.body_bytes >= 200_000);
    assert!(
        recorded_ids(data.path()).contains("BIG-1"),
        "the whole body (it parses) is in the history"
    );
    handle.stop().await;
}
