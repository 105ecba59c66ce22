//! Hostile or unlucky command-line input (issue 11, items 3, 4, 5 and 8): the real binary,
//! real files and FIFOs in a temp dir. Nothing may crash, hang or report false success.

// Test, bench and example code may panic: a failed expectation is the point.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_snap-console"))
}

/// Run the binary with a deadline: a hang is a failure, not a stuck test run.
fn run_within(args: &[&str], limit: Duration) -> Output {
    let mut child = bin()
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("binary starts");
    let started = Instant::now();
    while child.try_wait().expect("wait").is_none() {
        if started.elapsed() > limit {
            let _ = child.kill();
            let out = child.wait_with_output().expect("killed");
            panic!(
                "{args:?} still running after {limit:?}; stderr: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().expect("output")
}

fn run(args: &[&str]) -> Output {
    run_within(args, Duration::from_secs(60))
}

fn stderr_of(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn text(path: &Path) -> String {
    path.display().to_string()
}

#[test]
fn keygen_refuses_one_file_for_both_keys() {
    let dir = tempfile::tempdir().expect("tmp");
    let key = dir.path().join("k.pem");
    let dotted = dir.path().join(".").join("k.pem");
    for (private, public) in [(text(&key), text(&key)), (text(&key), text(&dotted))] {
        let out = run(&["keygen", "--out-private", &private, "--out-public", &public]);
        assert_eq!(out.status.code(), Some(2), "{}", stderr_of(&out));
        assert!(stderr_of(&out).contains("same file"), "{}", stderr_of(&out));
        assert!(out.stdout.is_empty(), "no success reported");
        assert!(!key.exists(), "nothing written");
    }
}

#[cfg(unix)]
#[test]
fn keygen_refuses_a_symlink_to_the_private_key_even_with_force() {
    let dir = tempfile::tempdir().expect("tmp");
    let key = dir.path().join("k.pem");
    let link = dir.path().join("link.pem");
    std::os::unix::fs::symlink(&key, &link).expect("symlink");
    let out = run(&[
        "keygen",
        "--out-private",
        &text(&key),
        "--out-public",
        &text(&link),
        "--force",
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr_of(&out));
    assert!(stderr_of(&out).contains("same file"), "{}", stderr_of(&out));
    assert!(!key.exists());
}

#[test]
fn a_token_lifetime_past_a_year_is_refused_at_the_command_line() {
    let out = run(&[
        "sandbox",
        "--port",
        "0",
        "--token-ttl",
        "18446744073709551615",
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr_of(&out));
    assert!(
        stderr_of(&out).contains("--token-ttl"),
        "{}",
        stderr_of(&out)
    );
}

/// A named pipe in `dir` (mkfifo, as a user would make one).
#[cfg(unix)]
fn fifo(dir: &Path, name: &str) -> std::path::PathBuf {
    let path = dir.join(name);
    let made = Command::new("mkfifo").arg(&path).status().expect("mkfifo");
    assert!(made.success());
    path
}

/// Every file flag, given a FIFO that nothing writes to, fails within seconds and says
/// it is a named pipe (was: blocked forever). Run side by side: each waits the same 5 s.
#[cfg(unix)]
#[test]
fn a_fifo_without_a_writer_is_refused_not_waited_on_forever() {
    let dir = tempfile::tempdir().expect("tmp");
    let pipe = text(&fifo(dir.path(), "silent"));
    let key = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/keys/test_rsa1024_pkcs8.pem"
    );
    let cases: Vec<Vec<String>> = vec![
        vec!["sign", "b2b", "--client-id", "C", "--private-key", &pipe],
        vec![
            "sign",
            "transaction",
            "--method",
            "POST",
            "--path",
            "/x",
            "--body-file",
            &pipe,
            "--private-key",
            key,
        ],
        vec![
            "sign",
            "symmetric",
            "--method",
            "POST",
            "--path",
            "/x",
            "--token",
            "t",
            "--client-secret-file",
            &pipe,
        ],
        vec![
            "sandbox",
            "--port",
            "0",
            "--client-id",
            "C",
            "--client-secret-env",
            "HOME",
            "--partner-public-key",
            &pipe,
        ],
        vec!["inbox", "--port", "0", "--public-key", &pipe],
    ]
    .into_iter()
    .map(|args| args.into_iter().map(String::from).collect())
    .collect();
    let runs: Vec<_> = cases
        .into_iter()
        .map(|args| {
            std::thread::spawn(move || {
                let args: Vec<&str> = args.iter().map(String::as_str).collect();
                let started = Instant::now();
                let out = run_within(&args, Duration::from_secs(30));
                (args.join(" "), out, started.elapsed())
            })
        })
        .collect();
    for handle in runs {
        let (args, out, took) = handle.join().expect("thread");
        assert_ne!(out.status.code(), Some(0), "{args}");
        assert!(
            stderr_of(&out).contains("named pipe"),
            "{args}: {}",
            stderr_of(&out)
        );
        assert!(took < Duration::from_secs(20), "{args} took {took:?}");
    }
}

/// A pipe that delivers (what `--body-file <(jq …)` gives) keeps working.
#[cfg(unix)]
#[test]
fn a_fifo_that_delivers_a_body_is_read() {
    let dir = tempfile::tempdir().expect("tmp");
    let pipe = fifo(dir.path(), "body");
    let writer_end = pipe.clone();
    let writer = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(300));
        std::fs::write(writer_end, b"{ \"amount\" : 1 }\n").expect("write to the pipe");
    });
    let key = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/keys/test_rsa1024_pkcs8.pem"
    );
    let out = run(&[
        "sign",
        "transaction",
        "--method",
        "POST",
        "--path",
        "/x",
        "--timestamp",
        "2026-12-02T10:00:00+07:00",
        "--body-file",
        &text(&pipe),
        "--private-key",
        key,
    ]);
    writer.join().expect("writer");
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("{\"amount\":1}"),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

/// `run` with the profiles and history in `home`.
fn run_home(home: &Path, args: &[&str]) -> Output {
    bin()
        .args(args)
        .env("SNAP_CONSOLE_HOME", home)
        .env("STRICT_SECRET", "a-client-secret")
        .stdin(Stdio::null())
        .output()
        .expect("binary runs")
}

/// Issue 11 item 8: a negative number is called negative, whatever the flag.
#[test]
fn negative_numbers_are_named_as_such() {
    let home = tempfile::tempdir().expect("temp dir");
    let cases: [&[&str]; 5] = [
        &["sandbox", "--port", "-1"],
        &["inbox", "--port", "-1"],
        &["history", "list", "--limit", "-1"],
        &[
            "keygen",
            "--bits",
            "-1",
            "--out-private",
            "a",
            "--out-public",
            "b",
        ],
        &["decode-code", "4012500", "--http-status", "-401"],
    ];
    for args in cases {
        let out = run_home(home.path(), args);
        let err = stderr_of(&out);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains("is negative"), "{args:?}: {err}");
        assert!(!err.contains("unexpected argument"), "{args:?}: {err}");
    }
}

/// Issue 11 item 8: `profile add` applies the window's field rules.
#[test]
fn profile_add_refuses_what_the_window_would_flag() {
    let home = tempfile::tempdir().expect("temp dir");
    let base = |extra: &[&str]| -> Vec<String> {
        let mut args: Vec<String> = [
            "profile",
            "add",
            "--client-id",
            "CLIENT",
            "--client-secret-env",
            "STRICT_SECRET",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        args.extend(extra.iter().map(|s| s.to_string()));
        args
    };
    let cases: [(&[&str], &str, &str); 6] = [
        (
            &[
                "--name",
                "a",
                "--base-url",
                "http://x",
                "--partner-service-id",
                "123456789012",
            ],
            "--partner-service-id",
            "exactly 8",
        ),
        (
            &["--name", "two\nlines", "--base-url", "http://x"],
            "--name",
            "a line break",
        ),
        (
            &["--name", "a", "--base-url", "http://127.0.0.1:0"],
            "--base-url",
            "port 0",
        ),
        (
            &["--name", "a", "--base-url", "http://exa mple.com"],
            "--base-url",
            "contains a space",
        ),
        (
            &["--name", "a", "--base-url", "localhost:8080"],
            "--base-url",
            "http://localhost:8080",
        ),
        (
            &[
                "--name",
                "a",
                "--base-url",
                "http://x",
                "--timeout-seconds",
                "-5",
            ],
            "--timeout-seconds",
            "is negative",
        ),
    ];
    for (extra, flag, expected) in cases {
        let args = base(extra);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = run_home(home.path(), &args);
        let err = stderr_of(&out);
        assert_eq!(out.status.code(), Some(2), "{extra:?}: {err}");
        assert!(
            err.contains(flag) && err.contains(expected),
            "{extra:?}: {err}"
        );
    }
    let listed = run_home(home.path(), &["profile", "list", "--json"]);
    let listing: serde_json::Value =
        serde_json::from_slice(&listed.stdout).expect("profile list --json");
    assert_eq!(
        listing["profiles"],
        serde_json::json!([]),
        "nothing was added"
    );

    let good = base(&[
        "--name",
        "fine",
        "--base-url",
        "http://127.0.0.1:8080",
        "--partner-service-id",
        "   12345",
    ]);
    let good: Vec<&str> = good.iter().map(String::as_str).collect();
    let out = run_home(home.path(), &good);
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
}

/// Issue 11 item 8: a bad URL says what is wrong with it, never "builder error".
#[test]
fn bad_urls_say_what_is_wrong() {
    let home = tempfile::tempdir().expect("temp dir");
    let cases: [(&[&str], &str); 3] = [
        (
            &[
                "inbox",
                "--port",
                "0",
                "--no-history",
                "--sandbox",
                "http://exa mple.com",
            ],
            "contains a space",
        ),
        (
            &[
                "inbox",
                "--port",
                "0",
                "--no-history",
                "--sandbox",
                "http://:80",
            ],
            "has no host",
        ),
        (
            &["sandbox", "--port", "0", "--notify-url", "ftp://x"],
            "must start with http:// or https://",
        ),
    ];
    for (args, expected) in cases {
        let out = run_home(home.path(), args);
        let err = stderr_of(&out);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(expected), "{args:?}: {err}");
        assert!(!err.contains("builder error"), "{args:?}: {err}");
    }
}
