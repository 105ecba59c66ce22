//! The history store on real files in temp dirs: round trip, crash recovery, refusal of
//! newer formats, a read-only data dir, retention, redaction proven on the raw bytes, the
//! exports, 100,000 entries, and the `history` commands of the real binary.

// Test, bench and example code may panic: a failed expectation is the point.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::too_many_lines
)]

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use snap_console::store::history::{
    BODY_CAP_BYTES, Direction, Exchange, HISTORY_FORMAT_VERSION, HistoryError, HistoryStore, Query,
    RecordedMessage, Redactor, Retention, StatusFilter, export_curl, export_json, export_report,
};

type Result<T = ()> = std::result::Result<T, Box<dyn std::error::Error>>;

fn headers(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// A VA payment exchange; `i` makes it distinct.
fn sample(i: usize) -> Exchange {
    let mut e = Exchange::new(
        Direction::Outbound,
        "Local sandbox",
        "POST",
        "http://127.0.0.1:8765/api/v1.0/transfer-va/payment",
        RecordedMessage::new(
            headers(&[
                ("Content-Type", "application/json"),
                ("X-EXTERNAL-ID", &format!("EXT{i:08}")),
            ]),
            format!(r#"{{"partnerServiceId":"   12345","paymentRequestId":"REF{i:08}"}}"#),
        ),
    );
    e.service = Some("snap-25".into());
    e.service_title = Some("25 VA Payment".into());
    e.response_status = Some(200);
    e.response_code = Some("2002500".into());
    e.response = Some(RecordedMessage::new(
        headers(&[("content-type", "application/json")]),
        r#"{"responseCode":"2002500","responseMessage":"Successful"}"#,
    ));
    e.total_ms = Some(42);
    e.headers_ms = Some(40);
    e
}

fn history_file(dir: &Path) -> PathBuf {
    dir.join("history.jsonl")
}

fn open(dir: &Path) -> Result<HistoryStore> {
    let (store, report) = HistoryStore::open(dir)?;
    assert!(report.is_clean(), "{report:?}");
    Ok(store)
}

fn line_of(e: &Exchange) -> Result<String> {
    Ok(serde_json::to_string(e)? + "\n")
}

fn bad_files(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for entry in fs::read_dir(dir)? {
        let path = entry?.path();
        if path
            .file_name()
            .is_some_and(|n| n.to_string_lossy().starts_with("history.jsonl.bad-"))
        {
            out.push(path);
        }
    }
    Ok(out)
}

#[test]
fn round_trip_and_newest_first() -> Result {
    let dir = tempfile::tempdir()?;
    let mut store = open(dir.path())?;
    assert!(store.is_empty());
    let mut written = Vec::new();
    for i in 0..3 {
        let mut e = sample(i);
        if i == 1 {
            e.direction = Direction::Inbound;
            e.string_to_sign = Some("POST:/x:‹redacted›:abc:t".into());
        }
        if i == 2 {
            e.response_status = None;
            e.response = None;
            e.response_code = None;
            e.error = Some("connection refused".into());
        }
        store.append(e.clone())?;
        written.push(e);
    }
    assert_eq!(store.entries()?, written);
    let reopened = open(dir.path())?;
    assert_eq!(reopened.entries()?, written);
    assert_eq!(reopened.get(&written[1].id)?, Some(written[1].clone()));
    assert_eq!(reopened.get("nope")?, None);
    // Newest first.
    assert_eq!(reopened.search(&Query::default())?, vec![2, 1, 0]);
    // One JSON object per line, versioned.
    let text = fs::read_to_string(history_file(dir.path()))?;
    assert_eq!(text.lines().count(), 3);
    for line in text.lines() {
        let value: serde_json::Value = serde_json::from_str(line)?;
        assert_eq!(value["v"], HISTORY_FORMAT_VERSION);
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = fs::metadata(history_file(dir.path()))?.permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "history holds customer data");
    }
    Ok(())
}

#[test]
fn search_filters() -> Result {
    let dir = tempfile::tempdir()?;
    let mut store = open(dir.path())?;
    for i in 0..10 {
        let mut e = sample(i);
        if i % 3 == 0 {
            e.response_status = Some(401);
            e.response_code = Some("4012500".into());
        }
        if i == 9 {
            e.service = Some("snap-73".into());
            e.service_title = Some("73 Access Token B2B".into());
            e.time = "2024-12-01T10:00:00.000+07:00".into();
        }
        store.append(e)?;
    }
    assert_eq!(store.search(&Query::text("ref00000004"))?, vec![4]);
    assert_eq!(
        store.search(&Query::text("REF00000004 ext00000004"))?,
        vec![4]
    );
    assert_eq!(
        store.search(&Query::text("REF00000004 nothing"))?,
        Vec::<u32>::new()
    );
    let status = |s: &str| -> Result<Vec<u32>> {
        Ok(store.search(&Query {
            status: Some(s.parse::<StatusFilter>()?),
            ..Query::default()
        })?)
    };
    assert_eq!(status("401")?, vec![9, 6, 3, 0]);
    assert_eq!(status("4xx")?, vec![9, 6, 3, 0]);
    assert_eq!(status("2xx")?.len(), 6);
    let by_service = store.search(&Query {
        service: Some("access token".into()),
        ..Query::default()
    })?;
    assert_eq!(by_service, vec![9]);
    let december = chrono::NaiveDate::from_ymd_opt(2024, 12, 1);
    let by_date = store.search(&Query {
        from: december,
        to: december,
        ..Query::default()
    })?;
    assert_eq!(by_date, vec![9]);
    Ok(())
}

#[test]
fn torn_last_line_is_skipped_reported_and_kept() -> Result {
    let dir = tempfile::tempdir()?;
    let path = history_file(dir.path());
    let full = line_of(&sample(2))?;
    let torn = &full[..full.len() / 2];
    let content = line_of(&sample(0))? + &line_of(&sample(1))? + torn;
    fs::write(&path, &content)?;

    let (mut store, report) = HistoryStore::open(dir.path())?;
    assert_eq!(report.loaded, 2);
    assert!(report.torn_tail);
    assert!(report.bad_lines.is_empty(), "{report:?}");
    let messages = report.messages(store.path()).join("\n");
    assert!(
        messages.contains("history.jsonl") && messages.contains("cut short"),
        "{messages}"
    );
    // Opening only reads: the file is as it was.
    assert_eq!(report.kept_aside, None);
    assert_eq!(fs::read_to_string(&path)?, content);

    // Appending ends the torn line first; it is then a bad line of its own.
    store.append(sample(3))?;
    let (mut store, report) = HistoryStore::open(dir.path())?;
    assert_eq!(store.len(), 3);
    assert_eq!(report.bad_lines.len(), 1, "{report:?}");
    assert_eq!(report.bad_lines[0].0, 3);
    // The next rewrite keeps the fragment aside and drops it from the history.
    store.delete(&sample_id(&store, 0)?)?;
    let aside = bad_files(dir.path())?;
    assert_eq!(aside.len(), 1);
    assert_eq!(fs::read_to_string(&aside[0])?, format!("{torn}\n"));
    assert_eq!(open(dir.path())?.len(), 2);
    Ok(())
}

/// The id of the entry at `position`.
fn sample_id(store: &HistoryStore, position: usize) -> Result<String> {
    Ok(store.read(position)?.id)
}

#[test]
fn torn_tail_left_in_place_does_not_swallow_the_next_append() -> Result {
    // A writer that crashed after another process opened the history: the tail is torn
    // under an open store. The next append must end that line first.
    let dir = tempfile::tempdir()?;
    let mut store = open(dir.path())?;
    store.append(sample(0))?;
    let full = line_of(&sample(1))?;
    fs::OpenOptions::new()
        .append(true)
        .open(history_file(dir.path()))?
        .write_all(&full.as_bytes()[..20])?;
    store.append(sample(2))?;
    assert_eq!(store.len(), 2);
    let (store, report) = HistoryStore::open(dir.path())?;
    assert_eq!(store.len(), 2);
    assert_eq!(report.bad_lines.len(), 1, "{report:?}");
    assert_eq!(report.bad_lines[0].0, 2);
    Ok(())
}

#[test]
fn complete_last_line_without_newline_is_kept() -> Result {
    let dir = tempfile::tempdir()?;
    let line = line_of(&sample(0))?;
    fs::write(history_file(dir.path()), line.trim_end())?;
    let mut store = open(dir.path())?;
    assert_eq!(store.len(), 1);
    store.append(sample(1))?;
    let store = open(dir.path())?;
    assert_eq!(store.len(), 2);
    Ok(())
}

#[test]
fn garbage_line_is_kept_aside_with_its_line_number() -> Result {
    let dir = tempfile::tempdir()?;
    let path = history_file(dir.path());
    let garbage = "{\"v\":1,\"id\": this is not json";
    fs::write(
        &path,
        line_of(&sample(0))?
            + garbage
            + "\n"
            + "\n"
            + &line_of(&sample(1))?
            + "[1,2]\n"
            + &line_of(&sample(2))?,
    )?;
    let before = fs::read(&path)?;
    let (mut store, report) = HistoryStore::open(dir.path())?;
    assert_eq!(report.loaded, 3);
    assert!(!report.torn_tail);
    let lines: Vec<usize> = report.bad_lines.iter().map(|(n, _)| *n).collect();
    assert_eq!(lines, vec![2, 5], "{report:?}");
    assert!(report.bad_lines[0].1.contains("not JSON"), "{report:?}");
    let messages = report.messages(store.path()).join("\n");
    assert!(messages.contains("history.jsonl line 2"), "{messages}");
    // Read-only: nothing rewritten, nothing kept aside yet; the next open says it again.
    assert_eq!(fs::read(&path)?, before);
    assert!(bad_files(dir.path())?.is_empty());
    let (_, again) = HistoryStore::open(dir.path())?;
    assert_eq!(again.bad_lines, report.bad_lines);
    // A rewrite keeps them aside first, then drops them from the history.
    store.delete(&sample_id(&store, 1)?)?;
    let aside = bad_files(dir.path())?;
    assert_eq!(aside.len(), 1);
    assert_eq!(
        fs::read_to_string(&aside[0])?,
        format!("{garbage}\n[1,2]\n")
    );
    let store = open(dir.path())?;
    assert_eq!(store.len(), 2);
    Ok(())
}

#[test]
fn newer_version_is_refused_and_the_file_untouched() -> Result {
    let dir = tempfile::tempdir()?;
    let path = history_file(dir.path());
    let mut newer: serde_json::Value = serde_json::from_str(&line_of(&sample(1))?)?;
    newer["v"] = serde_json::json!(HISTORY_FORMAT_VERSION + 1);
    // A newer format may also change the shape.
    let newer_shape = serde_json::json!({"v": HISTORY_FORMAT_VERSION + 1, "exchange": {"id": 1}});
    for (i, line) in [newer.to_string(), newer_shape.to_string()]
        .iter()
        .enumerate()
    {
        let content = format!("{}{line}\n{}", line_of(&sample(0))?, line_of(&sample(2))?);
        fs::write(&path, &content)?;
        let err = HistoryStore::open(dir.path()).err().ok_or("refused")?;
        assert!(
            matches!(err, HistoryError::NewerVersion { line: 2, found, .. } if found == HISTORY_FORMAT_VERSION + 1),
            "case {i}: {err:?}"
        );
        let message = err.to_string();
        assert!(
            message.contains("history.jsonl line 2") && message.contains("newer"),
            "{message}"
        );
        assert_eq!(fs::read_to_string(&path)?, content, "byte-identical");
        assert!(bad_files(dir.path())?.is_empty());
    }
    Ok(())
}

/// A data dir where writing fails: chmod 0500 for ordinary users; root ignores
/// permissions, so then a path under a regular file.
fn unwritable_data_dir(root: &Path) -> Result<PathBuf> {
    let dir = root.join("data");
    fs::create_dir(&dir)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o500))?;
        let probe = dir.join("probe");
        if fs::write(&probe, b"x").is_err() {
            return Ok(dir);
        }
        let _ = fs::remove_file(&probe);
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o700))?;
    }
    let file = root.join("a-file");
    fs::write(&file, b"not a folder")?;
    Ok(file.join("sub"))
}

#[test]
fn read_only_data_dir_gives_a_clear_error() -> Result {
    let root = tempfile::tempdir()?;
    let data_dir = unwritable_data_dir(root.path())?;
    let (mut store, report) = HistoryStore::open(&data_dir)?;
    assert_eq!(report.loaded, 0);
    let err = store.append(sample(0)).err().ok_or("append must fail")?;
    let message = err.to_string();
    assert!(
        message.contains(&data_dir.display().to_string()),
        "names the path: {message}"
    );
    assert!(message.contains("not in the history"), "{message}");
    assert!(store.is_empty());
    // Still usable: searching and clearing an empty store do not fail.
    assert!(store.search(&Query::text("x"))?.is_empty());
    store.clear()?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if data_dir.is_dir() {
            fs::set_permissions(&data_dir, fs::Permissions::from_mode(0o700))?;
        }
    }
    Ok(())
}

#[test]
fn retention_trims_the_oldest() -> Result {
    let dir = tempfile::tempdir()?;
    let mut store = open(dir.path())?;
    let mut ids = Vec::new();
    for i in 0..10 {
        let e = sample(i);
        ids.push(e.id.clone());
        store.append(e)?;
    }
    store.set_retention(Retention {
        max_entries: Some(3),
        max_bytes: None,
    })?;
    let kept: Vec<String> = store.entries()?.into_iter().map(|e| e.id).collect();
    assert_eq!(kept, ids[7..].to_vec());
    assert_eq!(
        fs::read_to_string(history_file(dir.path()))?
            .lines()
            .count(),
        3
    );

    // The limit is saved and applies to later appends and to the next open.
    store.append(sample(10))?;
    assert_eq!(store.len(), 3);
    let reopened = open(dir.path())?;
    assert_eq!(reopened.retention().max_entries, Some(3));
    assert_eq!(reopened.len(), 3);
    assert_eq!(reopened.entries()?[2], store.entries()?[2]);

    // By size: each line is the same size here, so a limit of 2.5 lines keeps 2.
    let line = fs::read_to_string(history_file(dir.path()))?
        .lines()
        .next()
        .map_or(0, |l| l.len() as u64 + 1);
    let mut store = reopened;
    store.set_retention(Retention {
        max_entries: None,
        max_bytes: Some(line * 5 / 2),
    })?;
    assert_eq!(store.len(), 2);
    assert!(fs::metadata(history_file(dir.path()))?.len() <= line * 5 / 2);

    // A large limit with many appends: memory exact, the file within a tenth more.
    store.set_retention(Retention {
        max_entries: Some(50),
        max_bytes: None,
    })?;
    for i in 0..120 {
        store.append(sample(100 + i))?;
        assert!(store.len() <= 50);
        let lines = fs::read_to_string(history_file(dir.path()))?
            .lines()
            .count();
        assert!(lines <= 55, "{lines} lines in the file");
    }
    assert_eq!(open(dir.path())?.len(), 50);
    Ok(())
}

#[test]
fn delete_and_clear() -> Result {
    let dir = tempfile::tempdir()?;
    let mut store = open(dir.path())?;
    let entries: Vec<Exchange> = (0..4).map(sample).collect();
    for e in &entries {
        store.append(e.clone())?;
    }
    assert!(store.delete(&entries[1].id)?);
    assert!(!store.delete(&entries[1].id)?);
    assert!(!store.delete("no-such-id")?);
    let expected = vec![entries[0].clone(), entries[2].clone(), entries[3].clone()];
    assert_eq!(store.entries()?, expected);
    assert_eq!(open(dir.path())?.entries()?, expected);
    // Appends after a rewrite land after the kept lines.
    store.append(sample(9))?;
    assert_eq!(open(dir.path())?.len(), 4);

    store.clear()?;
    assert!(store.is_empty());
    assert!(open(dir.path())?.is_empty());
    assert_eq!(fs::read(history_file(dir.path()))?.len(), 0);
    store.append(sample(10))?;
    assert_eq!(open(dir.path())?.len(), 1);
    Ok(())
}

#[test]
fn two_writers_never_drop_each_others_entries() -> Result {
    // The window and `snap-console send` share the file.
    let dir = tempfile::tempdir()?;
    let mut window = open(dir.path())?;
    let mut cli = open(dir.path())?;
    let first = sample(0);
    window.append(first.clone())?;
    let from_cli = sample(1);
    cli.append(from_cli.clone())?;
    window.append(sample(2))?;
    assert_eq!(window.len(), 3, "the window picked up the CLI's entry");
    // The window deletes its first entry: the CLI's survives the rewrite.
    assert!(window.delete(&first.id)?);
    assert_eq!(open(dir.path())?.len(), 2);
    assert!(cli.refresh()?);
    assert_eq!(cli.len(), 2);
    assert!(cli.get(&from_cli.id)?.is_some());
    cli.append(sample(3))?;
    assert!(window.refresh()?);
    assert_eq!(window.len(), 3);
    Ok(())
}

#[test]
fn body_over_the_cap_is_stored_truncated_and_marked() -> Result {
    let dir = tempfile::tempdir()?;
    let mut store = open(dir.path())?;
    let big = format!(
        "{{\"data\":\"{}\"}}",
        "x".repeat(BODY_CAP_BYTES + BODY_CAP_BYTES / 2)
    );
    let mut e = sample(0);
    e.response = Some(RecordedMessage {
        headers: Vec::new(),
        body: big.clone(),
        body_truncated: false,
        body_bytes: big.len(),
    });
    e.request = RecordedMessage::new(Vec::new(), big.clone());
    store.append(e)?;
    let store = open(dir.path())?;
    let stored = &store.entries()?[0];
    for message in [Some(&stored.request), stored.response.as_ref()] {
        let message = message.ok_or("message")?;
        assert!(message.body_truncated);
        assert_eq!(message.body_bytes, big.len());
        assert_eq!(message.body.len(), BODY_CAP_BYTES);
        assert!(big.starts_with(&message.body));
    }
    assert!(fs::metadata(history_file(dir.path()))?.len() < 3 * BODY_CAP_BYTES as u64);
    Ok(())
}

const CLIENT_SECRET: &str = "cs-7Hq2LmNvXy41Pz9bWe";
const BEARER: &str = "gp9HjjEj813Y9JGoqwOeOPWbnt4CUpvIJbU1mMU4a11MNDZ7Sg5u9a";
const PASSPHRASE: &str = "correct horse battery";
/// A made-up PEM block (random Base64, not a key): redaction must catch it anyway.
const PEM: &str = include_str!("fixtures/history/fake_test_private_key.pem");

#[test]
fn no_secret_reaches_the_file() -> Result {
    let dir = tempfile::tempdir()?;
    let mut store = open(dir.path())?;
    let redactor = Redactor::new()
        .secret(CLIENT_SECRET)
        .secret(PEM)
        .secret(PASSPHRASE)
        .secret(BEARER);
    let pem_one_line: String = PEM.lines().filter(|l| !l.starts_with("-----")).collect();

    // The token request, its response carrying the token, a payment with the bearer, and
    // ASPI's utility services that take the key and secret in headers.
    let mut token = sample(0);
    token.request.headers = headers(&[
        ("X-CLIENT-KEY", "client-id-1"),
        ("X-SIGNATURE", "c2lnbmF0dXJl"),
        ("Private_Key", &pem_one_line),
    ]);
    token.request.body = format!(
        r#"{{"grantType":"client_credentials","additionalInfo":{{"passphrase":"{PASSPHRASE}"}}}}"#
    );
    token.response = Some(RecordedMessage::new(
        Vec::new(),
        format!(
            r#"{{"responseCode":"2007300","accessToken":"{BEARER}","tokenType":"Bearer","expiresIn":"900","refreshToken":"rt-9988776655"}}"#
        ),
    ));
    let mut payment = sample(1);
    payment.request.headers = headers(&[
        ("Authorization", &format!("Bearer {BEARER}")),
        ("X-CLIENT-SECRET", CLIENT_SECRET),
        ("Authorization-Customer", "Bearer cust-token-123456"),
    ]);
    payment.string_to_sign = Some(format!(
        "POST:/api/v1.0/transfer-va/payment:{BEARER}:{}:2024-11-29T14:15:00+07:00",
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    ));
    payment.url = format!("http://127.0.0.1/api?debugSecret={CLIENT_SECRET}");
    payment.request.body = format!(
        r#"{{"note":"key follows","privateKey":"{}","clientSecret":"{CLIENT_SECRET}","Password":"hunter22"}}"#,
        PEM.replace('\n', "\\n")
    );
    payment.error = Some(format!("server said: bad secret {CLIENT_SECRET}"));
    for e in [token, payment] {
        store.append(redactor.redact(e))?;
    }

    let raw = fs::read(history_file(dir.path()))?;
    let text = String::from_utf8(raw)?;
    let mut needles = vec![
        CLIENT_SECRET.to_string(),
        BEARER.to_string(),
        PASSPHRASE.to_string(),
        pem_one_line.clone(),
        "rt-9988776655".into(),
        "cust-token-123456".into(),
        "hunter22".into(),
        "BEGIN PRIVATE KEY".into(),
    ];
    needles.extend(
        PEM.lines()
            .filter(|l| !l.starts_with("-----"))
            .map(String::from),
    );
    for needle in &needles {
        assert!(
            !text.contains(needle.as_str()),
            "{needle} is in the history file"
        );
    }
    // What is not secret survives.
    assert!(text.contains("client-id-1") && text.contains("2007300"));
    assert!(text.contains("Bearer ‹redacted›"));
    assert!(text.contains("POST:/api/v1.0/transfer-va/payment:‹redacted›:e3b0c442"));
    Ok(())
}

#[test]
fn exports() -> Result {
    let dir = tempfile::tempdir()?;
    let mut a = sample(0);
    a.request.body = r#"{"name":"Jokul's shop","note":"line1
line2"}"#
        .into();
    a.request.headers.push(("X-Empty".into(), String::new()));
    let mut b = sample(1);
    b.response_status = Some(401);
    b.response_code = Some("4012500".into());
    b.string_to_sign = Some("POST:/api/v1.0/transfer-va/payment:‹redacted›:abc:t".into());
    let mut inbound = sample(2);
    inbound.direction = Direction::Inbound;
    let entries = vec![&a, &b, &inbound];

    let json = export_json(&entries);
    let back: Vec<Exchange> = serde_json::from_str(&json)?;
    assert_eq!(back, vec![a.clone(), b.clone(), inbound.clone()]);

    let script = export_curl(&entries);
    assert_eq!(script.matches("\ncurl ").count(), 2, "{script}");
    assert!(script.contains("skipped"));
    let script_path = dir.path().join("replay.sh");
    fs::write(&script_path, &script)?;
    let syntax = Command::new("bash").arg("-n").arg(&script_path).output()?;
    assert!(
        syntax.status.success(),
        "{}",
        String::from_utf8_lossy(&syntax.stderr)
    );
    // Run it with a curl that records its arguments: the body arrives byte for byte.
    let bin = dir.path().join("bin");
    fs::create_dir(&bin)?;
    let fake = bin.join("curl");
    fs::write(
        &fake,
        format!(
            "#!/usr/bin/env bash\nfor a in \"$@\"; do printf '%s\\0' \"$a\"; done >> {}\n",
            dir.path().join("args").display()
        ),
    )?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(&fake, fs::Permissions::from_mode(0o755))?;
    }
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let run = Command::new("bash")
        .arg(&script_path)
        .env("PATH", path)
        .output()?;
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let args = fs::read_to_string(dir.path().join("args"))?;
    let args: Vec<&str> = args.split('\0').collect();
    let body_at = args
        .iter()
        .position(|a| *a == "--data-binary")
        .ok_or("body")?;
    assert_eq!(args[body_at + 1], a.request.body);
    assert!(args.contains(&"X-Empty;"));
    assert!(args.contains(&"X-EXTERNAL-ID: EXT00000000"));
    assert!(args.contains(&a.url.as_str()));

    let report = export_report(&entries, "Sandbox sign-off");
    assert!(report.starts_with("# Sandbox sign-off\n"));
    assert!(
        report.contains("4012500 — HTTP 401 · service 25 VA Payment · case 00 Unauthorized"),
        "{report}"
    );
    assert!(report.contains("Jokul's shop"));
    assert!(report.contains("### stringToSign"));
    assert!(report.contains("| 2 |"));
    assert!(report.contains("inbound (received from the provider)"));
    Ok(())
}

/// 100,000 entries written straight to the file (small bodies: this is a debug build);
/// the timings are the benchmark's business, this checks the counts.
#[test]
fn a_hundred_thousand_entries() -> Result {
    let dir = tempfile::tempdir()?;
    let template = sample(0);
    let mut out = std::io::BufWriter::new(fs::File::create(history_file(dir.path()))?);
    for i in 0..100_000usize {
        let mut e = template.clone();
        e.id = format!("id-{i}");
        e.request.body = format!(r#"{{"paymentRequestId":"REF{i:08}"}}"#);
        if i % 10 == 0 {
            e.response_status = Some(404);
        }
        serde_json::to_writer(&mut out, &e)?;
        out.write_all(b"\n")?;
    }
    out.flush()?;
    drop(out);
    let store = open(dir.path())?;
    assert_eq!(store.len(), 100_000);
    assert_eq!(store.search(&Query::text("REF00054321"))?, vec![54321]);
    assert_eq!(store.search(&Query::text("ref0005432"))?.len(), 10);
    let not_found = store.search(&Query {
        status: Some(StatusFilter::Class(4)),
        ..Query::default()
    })?;
    assert_eq!(not_found.len(), 10_000);
    assert_eq!(not_found[0], 99_990);
    assert_eq!(
        store.get("id-99999")?.map(|e| e.id),
        Some("id-99999".to_string())
    );
    Ok(())
}

// ---------------------------------------------------------------------------------------
// The command line.

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

#[test]
fn cli_list_and_export() -> Result {
    let home = tempfile::tempdir()?;
    let data_dir = home.path().join("data");

    let (ok, out, err) = cli(home.path(), &["history", "list"])?;
    assert!(ok, "{err}");
    assert!(out.is_empty() && err.contains("no exchanges"), "{err}");

    let mut store = open(&data_dir)?;
    for i in 0..3 {
        let mut e = sample(i);
        if i == 1 {
            e.response_status = Some(401);
            e.response_code = Some("4012500".into());
        }
        store.append(e)?;
    }

    let (ok, out, err) = cli(home.path(), &["history", "list"])?;
    assert!(ok, "{err}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 3);
    assert!(lines[1].contains("POST") && lines[1].contains("snap-25"));
    assert!(
        lines[1].contains("401") && lines[1].contains("4012500"),
        "{out}"
    );
    assert!(lines[0].contains("2002500") && lines[0].contains("/api/v1.0/transfer-va/payment"));

    let (ok, out, err) = cli(home.path(), &["history", "list", "--json", "--limit", "2"])?;
    assert!(ok, "{err}");
    let value: serde_json::Value = serde_json::from_str(&out)?;
    let listed = value["entries"].as_array().ok_or("entries")?;
    assert_eq!(listed.len(), 2);
    assert_eq!(listed[0]["id"], serde_json::json!(store.entries()?[2].id));

    let (ok, out, err) = cli(
        home.path(),
        &["history", "list", "--json", "--search", "REF00000001"],
    )?;
    assert!(ok, "{err}");
    let value: serde_json::Value = serde_json::from_str(&out)?;
    assert_eq!(value["entries"][0]["responseCode"], "4012500");
    assert_eq!(value["entries"].as_array().map(Vec::len), Some(1));

    let (ok, out, err) = cli(home.path(), &["history", "export", "--format", "json"])?;
    assert!(ok, "{err}");
    let exported: Vec<Exchange> = serde_json::from_str(&out)?;
    assert_eq!(exported, store.entries()?, "oldest first, as stored");

    let script = home.path().join("replay.sh");
    let (ok, _, err) = cli(
        home.path(),
        &[
            "history",
            "export",
            "--format",
            "curl",
            "--out",
            &script.display().to_string(),
        ],
    )?;
    assert!(ok, "{err}");
    assert!(err.contains("3 exchanges written"), "{err}");
    assert_eq!(fs::read_to_string(&script)?.matches("\ncurl ").count(), 3);

    let (ok, out, err) = cli(
        home.path(),
        &[
            "history", "export", "--format", "report", "--search", "4012500", "--title", "Sign-off",
        ],
    )?;
    assert!(ok, "{err}");
    assert!(
        out.starts_with("# Sign-off") && out.contains("Unauthorized"),
        "{out}"
    );
    assert!(!out.contains("REF00000002"));

    let (ok, _, err) = cli(home.path(), &["history", "list", "--status", "7xx"])?;
    assert!(!ok && err.contains("--status"), "{err}");
    let (ok, _, err) = cli(home.path(), &["history", "export", "--format", "yaml"])?;
    assert!(!ok && err.contains("yaml"), "{err}");

    // A damaged file: the command warns and lists what it could read.
    let mut file = fs::OpenOptions::new()
        .append(true)
        .open(history_file(&data_dir))?;
    file.write_all(b"garbage\n")?;
    file.write_all(line_of(&sample(7))?.as_bytes())?;
    drop(file);
    let (ok, out, err) = cli(home.path(), &["history", "list"])?;
    assert!(ok, "{err}");
    assert!(
        err.contains("line 4") && err.contains("kept aside"),
        "{err}"
    );
    assert_eq!(out.lines().count(), 4);
    Ok(())
}

#[test]
fn cli_refuses_a_newer_file() -> Result {
    let home = tempfile::tempdir()?;
    let data_dir = home.path().join("data");
    fs::create_dir_all(&data_dir)?;
    let content = format!("{{\"v\":{}}}\n", HISTORY_FORMAT_VERSION + 1);
    fs::write(history_file(&data_dir), &content)?;
    let (ok, _, err) = cli(home.path(), &["history", "list"])?;
    assert!(!ok);
    assert!(
        err.contains("newer SNAP Console") && err.contains("line 1"),
        "{err}"
    );
    assert_eq!(fs::read_to_string(history_file(&data_dir))?, content);
    Ok(())
}
