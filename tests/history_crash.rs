//! Crash safety of the history: child processes append in a loop, printing the id of every
//! append that returned (acknowledged); they are killed with SIGKILL at a random moment,
//! two at a time on the same folder. Every acknowledged entry must be in the history, the
//! file must hold only entries (and at most a torn last line), and the history and its
//! index must reopen.
//!
//! `cargo test --test history_crash` runs 10 trials; the issue's 50:
//! `SNAP_HISTORY_CRASH_TRIALS=50 cargo test --release --test history_crash`.
//!
//! The children are this test binary itself, run with `--exact append_child` and the
//! folder in `SNAP_HISTORY_CRASH_DIR` (without it, `append_child` does nothing).

// Test code may panic and tell a long story: a failed expectation is the point.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::too_many_lines
)]
#![cfg(unix)]

use std::collections::HashSet;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use snap_console::store::history::{Direction, Exchange, HistoryStore, RecordedMessage};

type Result<T = ()> = std::result::Result<T, Box<dyn std::error::Error>>;

const DIR_VAR: &str = "SNAP_HISTORY_CRASH_DIR";

fn exchange(child: &str, i: usize) -> Exchange {
    let body = format!(
        r#"{{"paymentRequestId":"{child}-{i}","pad":"{}"}}"#,
        "x".repeat(2000)
    );
    let mut e = Exchange::new(
        Direction::Outbound,
        "crash test",
        "POST",
        "http://127.0.0.1:9/api/v1.0/transfer-va/payment",
        RecordedMessage::new(Vec::new(), body),
    );
    e.response_status = Some(200);
    e
}

/// The child: append until killed (bounded in count and time), one line on stdout per
/// acknowledged append.
#[test]
fn append_child() -> Result {
    let Ok(dir) = std::env::var(DIR_VAR) else {
        return Ok(());
    };
    let name = std::env::var("SNAP_HISTORY_CRASH_NAME").unwrap_or_default();
    let (mut store, _) = HistoryStore::open(Path::new(&dir))?;
    let started = Instant::now();
    let mut stdout = std::io::stdout().lock();
    for i in 0..20_000 {
        if started.elapsed() > Duration::from_secs(30) {
            break;
        }
        let e = exchange(&name, i);
        let id = e.id.clone();
        store.append(e)?;
        writeln!(stdout, "{id}")?;
        stdout.flush()?;
    }
    Ok(())
}

fn spawn_child(dir: &Path, name: &str) -> Result<Child> {
    Ok(Command::new(std::env::current_exe()?)
        .args(["--exact", "append_child", "--nocapture", "--test-threads=1"])
        .env(DIR_VAR, dir)
        .env("SNAP_HISTORY_CRASH_NAME", name)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()?)
}

/// Read `want` acknowledged ids from the child, kill it, then read what it printed before
/// dying.
fn run_and_kill(mut child: Child, want: usize, acknowledged: &mut Vec<String>) -> Result {
    let stdout = child.stdout.take().ok_or("stdout")?;
    let mut lines = BufReader::new(stdout).lines();
    let mut seen = 0;
    while seen < want {
        match lines.next() {
            Some(line) => {
                let line = line?;
                if line.starts_with("20") {
                    acknowledged.push(line);
                    seen += 1;
                }
            }
            None => break,
        }
    }
    child.kill()?; // SIGKILL
    child.wait()?;
    for line in lines {
        let line = line?;
        if line.starts_with("20") {
            acknowledged.push(line);
        }
    }
    Ok(())
}

/// A small deterministic spread of kill points (no rand dependency in tests).
fn kill_point(trial: usize, salt: usize) -> usize {
    1 + (trial * 37 + salt * 11) % 23
}

fn check(dir: &Path, acknowledged: &[String]) -> Result {
    // Lines cut short by a kill are reported (and kept aside at the next rewrite); no
    // entry may be glued to one.
    let (store, report) = HistoryStore::open(dir)?;
    assert!(
        report
            .bad_lines
            .iter()
            .all(|(_, why)| why.contains("ends early")
                || why.contains("not JSON")
                || why.contains("column")),
        "{report:?}"
    );
    let ids: HashSet<String> = store.entries()?.into_iter().map(|e| e.id).collect();
    let missing: Vec<&String> = acknowledged
        .iter()
        .filter(|id| !ids.contains(*id))
        .collect();
    assert!(
        missing.is_empty(),
        "acknowledged but lost: {missing:?} ({report:?})"
    );
    // The index saved by that open is used as it is by the next one.
    let (again, report) = HistoryStore::open(dir)?;
    assert!(!report.rebuilt_index, "{report:?}");
    assert_eq!(again.len(), store.len());
    Ok(())
}

#[test]
fn kill_9_while_appending_loses_no_acknowledged_entry() -> Result {
    let trials: usize = std::env::var("SNAP_HISTORY_CRASH_TRIALS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10)
        .min(500);
    let dir = tempfile::tempdir()?;
    let mut acknowledged = Vec::new();
    for trial in 0..trials {
        // Two writers at once on the same folder, killed at different moments.
        let a = spawn_child(dir.path(), &format!("a{trial}"))?;
        let b = spawn_child(dir.path(), &format!("b{trial}"))?;
        let (mut acked_a, mut acked_b) = (Vec::new(), Vec::new());
        std::thread::scope(|s| -> Result {
            let ha = s.spawn(|| {
                run_and_kill(a, kill_point(trial, 1), &mut acked_a).map_err(|e| e.to_string())
            });
            let hb = s.spawn(|| {
                run_and_kill(b, kill_point(trial, 2), &mut acked_b).map_err(|e| e.to_string())
            });
            ha.join().map_err(|_| "child a")??;
            hb.join().map_err(|_| "child b")??;
            Ok(())
        })?;
        assert!(
            !acked_a.is_empty() && !acked_b.is_empty(),
            "trial {trial}: the children appended"
        );
        acknowledged.extend(acked_a);
        acknowledged.extend(acked_b);
        check(dir.path(), &acknowledged)?;
    }
    eprintln!(
        "{trials} kill -9 trials, {} acknowledged appends, 0 lost",
        acknowledged.len()
    );
    Ok(())
}
