//! The history's derived index on real files: a history written by the previous version
//! opens unchanged, the index is made, used, and rebuilt when missing, stale or foreign,
//! never trusted over the JSON Lines; read-only commands never rewrite the JSON Lines; the
//! edges of issue 11 (a BOM, a data folder that is a file, a newer format refused at every
//! exchange); two writers and a reader that sees the other's appends.

// Test code may panic and tell a long story: a failed expectation is the point.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::too_many_lines
)]

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use snap_console::store::history::{
    Direction, Exchange, HistoryStore, INDEX_FILE_NAME, Query, RecordedMessage, VerdictKind,
};

type Result<T = ()> = std::result::Result<T, Box<dyn std::error::Error>>;

const FIXTURE: &str = "tests/fixtures/history/history-v1.jsonl";

fn home_with_fixture() -> Result<(tempfile::TempDir, PathBuf)> {
    let home = tempfile::tempdir()?;
    let data = home.path().join("data");
    fs::create_dir_all(&data)?;
    fs::copy(FIXTURE, data.join("history.jsonl"))?;
    Ok((home, data))
}

fn cli(home: &Path, args: &[&str]) -> Result<(bool, String, String)> {
    let output = Command::new(env!("CARGO_BIN_EXE_snap-console"))
        .args(args)
        .env("SNAP_CONSOLE_HOME", home)
        .output()?;
    Ok((
        output.status.success(),
        String::from_utf8(output.stdout)?,
        String::from_utf8(output.stderr)?,
    ))
}

fn sample(i: usize) -> Exchange {
    let mut e = Exchange::new(
        Direction::Outbound,
        "p",
        "POST",
        "http://127.0.0.1:1/api/v1.0/transfer-va/payment",
        RecordedMessage::new(Vec::new(), format!(r#"{{"paymentRequestId":"REF{i:08}"}}"#)),
    );
    e.response_status = Some(200);
    e
}

#[test]
fn a_history_of_the_previous_version_opens_unchanged() -> Result {
    let (home, data) = home_with_fixture()?;
    let before = fs::read(data.join("history.jsonl"))?;
    // The previous version's own output for this file, saved beside it.
    let (ok, out, err) = cli(home.path(), &["history", "list"])?;
    assert!(ok, "{err}");
    assert_eq!(
        out,
        fs::read_to_string("tests/fixtures/history/history-v1.list.txt")?
    );
    let (ok, out, _) = cli(home.path(), &["history", "list", "--json"])?;
    assert!(ok);
    assert_eq!(
        out,
        fs::read_to_string("tests/fixtures/history/history-v1.list.json")?
    );
    assert_eq!(
        fs::read(data.join("history.jsonl"))?,
        before,
        "byte-identical"
    );
    assert!(data.join(INDEX_FILE_NAME).is_file(), "the index was made");

    let (store, report) = HistoryStore::open(&data)?;
    assert!(report.is_clean() && !report.rebuilt_index, "{report:?}");
    assert_eq!(store.len(), 5);
    let verdicts: Vec<VerdictKind> = store.summaries().iter().map(|s| s.verdict).collect();
    assert_eq!(verdicts[3..], [VerdictKind::Valid, VerdictKind::Invalid]);
    let invalid = store.filter(&Query {
        verdict: Some(VerdictKind::Invalid),
        ..Query::default()
    });
    assert_eq!(invalid, vec![4]);
    let inbound = store.filter(&Query {
        direction: Some(Direction::Inbound),
        ..Query::default()
    });
    assert_eq!(inbound, vec![4, 3]);
    // Decoded, case-insensitive text: "jökul" is written as is, the body's quotes escaped.
    assert_eq!(store.search(&Query::text("JÖKUL ref00000002"))?, vec![2]);
    assert_eq!(store.search(&Query::text("connection refused"))?, vec![2]);
    assert_eq!(
        store.read(2)?.error.as_deref().map(|e| e.contains("111")),
        Some(true)
    );
    Ok(())
}

#[test]
fn the_index_is_rebuilt_when_missing_stale_or_foreign() -> Result {
    let (_home, data) = home_with_fixture()?;
    let index = data.join(INDEX_FILE_NAME);
    let (_, report) = HistoryStore::open(&data)?;
    assert!(report.rebuilt_index, "made on first open");
    let (_, report) = HistoryStore::open(&data)?;
    assert!(!report.rebuilt_index, "used on the next");

    // Another version's index (or garbage): rebuilt.
    let mut bytes = fs::read(&index)?;
    bytes[8] = 99;
    fs::write(&index, &bytes)?;
    let (store, report) = HistoryStore::open(&data)?;
    assert!(report.rebuilt_index);
    assert_eq!(store.len(), 5);

    // Lines appended by a writer that never indexed them: picked up without a rebuild.
    let mut text = fs::read_to_string(data.join("history.jsonl"))?;
    text.push_str(&(serde_json::to_string(&sample(7))? + "\n"));
    fs::write(data.join("history.jsonl"), &text)?;
    let (store, report) = HistoryStore::open(&data)?;
    assert_eq!(store.len(), 6, "{report:?}");
    assert_eq!(store.search(&Query::text("ref00000007"))?, vec![5]);

    // The JSON Lines replaced by another file (an editor's save): never trusted, rebuilt.
    let kept: Vec<&str> = text.lines().skip(2).collect();
    let replacement = data.join("replacement");
    fs::write(&replacement, kept.join("\n") + "\n")?;
    fs::rename(&replacement, data.join("history.jsonl"))?;
    let (store, report) = HistoryStore::open(&data)?;
    assert!(report.rebuilt_index);
    assert_eq!(store.len(), 4);
    assert_eq!(
        store.read(0)?.id,
        serde_json::from_str::<Exchange>(kept[0])?.id
    );

    // Deleted: rebuilt.
    fs::remove_file(&index)?;
    let (store, report) = HistoryStore::open(&data)?;
    assert!(report.rebuilt_index && store.len() == 4);
    Ok(())
}

#[test]
fn read_only_commands_never_rewrite_the_json_lines() -> Result {
    let (home, data) = home_with_fixture()?;
    let path = data.join("history.jsonl");
    let mut bytes = b"\xEF\xBB\xBF".to_vec(); // a BOM, as some editors write
    bytes.extend(fs::read(&path)?);
    bytes.extend_from_slice(b"not json at all\n{\"v\":1,\"id\":\"cut");
    fs::write(&path, &bytes)?;
    let (ok, out, err) = cli(home.path(), &["history", "list"])?;
    assert!(ok, "{err}");
    assert_eq!(out.lines().count(), 5, "the BOM costs no entry: {out}");
    assert!(err.contains("line 6") && err.contains("cut short"), "{err}");
    let (ok, _, _) = cli(home.path(), &["history", "list", "--search", "payment"])?;
    assert!(ok);
    assert_eq!(fs::read(&path)?, bytes, "read-only: byte-identical");
    let aside = fs::read_dir(&data)?
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().contains(".bad-"))
        .count();
    assert_eq!(aside, 0, "nothing kept aside by a read");
    Ok(())
}

#[test]
fn a_data_folder_that_is_a_file_is_an_error() -> Result {
    let home = tempfile::tempdir()?;
    fs::write(home.path().join("data"), "I am a file")?;
    let (ok, _, err) = cli(home.path(), &["history", "list"])?;
    assert!(!ok, "must not say 'no exchanges' and succeed");
    assert!(err.contains("is a file, not a folder"), "{err}");
    Ok(())
}

#[test]
fn a_newer_history_is_refused_at_every_exchange() -> Result {
    let (_home, data) = home_with_fixture()?;
    let mut text = fs::read_to_string(data.join("history.jsonl"))?;
    text.push_str("{\"v\":2,\"id\":\"from-the-future\"}\n");
    fs::write(data.join("history.jsonl"), &text)?;
    let paths = snap_console::store::paths::AppPaths::under(data.parent().ok_or("home")?);
    let shared = snap_console::worker::history::SharedHistory::default();
    snap_console::worker::history::open(&paths, &shared);
    for i in 0..3 {
        let err = snap_console::worker::history::append(&shared, sample(i))
            .err()
            .ok_or("refused")?;
        assert!(
            err.contains("newer") && err.contains("not recorded"),
            "{err}"
        );
    }
    assert_eq!(fs::read_to_string(data.join("history.jsonl"))?, text);
    Ok(())
}

#[test]
fn two_writers_interleave_and_a_reader_sees_them_without_reopening() -> Result {
    let dir = tempfile::tempdir()?;
    let (mut reader, _) = HistoryStore::open(dir.path())?;
    std::thread::scope(|s| -> Result {
        let writers: Vec<_> = (0..2)
            .map(|w| {
                let dir = dir.path().to_path_buf();
                s.spawn(move || -> std::result::Result<(), String> {
                    let (mut store, _) = HistoryStore::open(&dir).map_err(|e| e.to_string())?;
                    for i in 0..50 {
                        store
                            .append(sample(w * 1000 + i))
                            .map_err(|e| e.to_string())?;
                    }
                    Ok(())
                })
            })
            .collect();
        for w in writers {
            w.join().map_err(|_| "writer panicked")??;
        }
        Ok(())
    })?;
    assert!(reader.refresh()?);
    assert_eq!(reader.len(), 100);
    assert_eq!(reader.search(&Query::text("ref00001049"))?.len(), 1);
    let (fresh, report) = HistoryStore::open(dir.path())?;
    assert!(!report.rebuilt_index && report.is_clean(), "{report:?}");
    assert_eq!(fresh.len(), 100);
    Ok(())
}

#[test]
fn delete_removes_the_data_and_keeps_the_index_in_step() -> Result {
    let (_home, data) = home_with_fixture()?;
    let (mut store, _) = HistoryStore::open(&data)?;
    let doomed = store.read(0)?;
    assert!(store.delete(&doomed.id)?);
    let text = fs::read_to_string(data.join("history.jsonl"))?;
    assert!(
        !text.contains(&doomed.id) && !text.contains("REF00000000"),
        "no tombstone"
    );
    let (again, report) = HistoryStore::open(&data)?;
    assert!(
        !report.rebuilt_index,
        "the index was written with the rewrite"
    );
    assert_eq!(again.len(), 4);
    assert_eq!(again.read(0)?, store.read(0)?);
    Ok(())
}

#[cfg(unix)]
#[test]
fn a_fifo_in_place_of_the_history_is_refused_not_waited_on() -> Result {
    let home = tempfile::tempdir()?;
    let data = home.path().join("data");
    fs::create_dir_all(&data)?;
    let made = Command::new("mkfifo")
        .arg(data.join("history.jsonl"))
        .status()?;
    assert!(made.success());
    let started = std::time::Instant::now();
    let (ok, _, err) = cli(home.path(), &["history", "list"])?;
    assert!(!ok && err.contains("not a regular file"), "{err}");
    assert!(started.elapsed() < std::time::Duration::from_secs(10));
    Ok(())
}
