//! Load for the inbox: signed VA payment notifications as raw HTTP/1.1 bytes (each with
//! its own `paymentRequestId` and `X-EXTERNAL-ID`, padded to a chosen size), a reader of
//! pipelined answers, the `snap-console inbox` child process and the history's ids.
//! Shared by the recording, soak and kill tests.

#![allow(dead_code)]

use std::collections::HashSet;
use std::io::{BufRead, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use snap_console::snap::keys::{self, RsaPrivateKey};
use snap_console::snap::{notification, timestamp};

pub const CLIENT_ID: &str = "IONPAYTEST";
pub const PAYMENT: &str = "/api/v1.0/transfer-va/payment";

pub fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/keys")
        .join(name)
}

/// The provider's notification key (its public half is `test_rsa2048_public_spki.pem`).
pub fn provider_key() -> RsaPrivateKey {
    let bytes = std::fs::read(fixture("test_rsa2048_pkcs8.pem")).expect("fixture key");
    keys::parse_private_key(&bytes, None)
        .expect("fixture key parses")
        .key
}

/// Signed notification headers, made once (the notification signature covers only the
/// client and the timestamp, so one signature serves a burst within the allowed skew).
pub struct Signer {
    headers: Vec<(&'static str, String)>,
}

impl Signer {
    pub fn new() -> Self {
        let signed = notification::sign(CLIENT_ID, &timestamp::now_jakarta(), &provider_key())
            .expect("signs");
        Signer {
            headers: signed.headers,
        }
    }

    /// One notification with id `id` and a body of about `size` bytes, as raw bytes.
    pub fn request(&self, id: &str, size: usize) -> Vec<u8> {
        let body = body(id, size);
        let mut out = format!("POST {PAYMENT} HTTP/1.1\r\nHost: 127.0.0.1\r\n");
        for (name, value) in &self.headers {
            out.push_str(&format!("{name}: {value}\r\n"));
        }
        out.push_str(&format!(
            "X-EXTERNAL-ID: {id}\r\nContent-Length: {}\r\n\r\n",
            body.len()
        ));
        let mut bytes = out.into_bytes();
        bytes.extend_from_slice(body.as_bytes());
        bytes
    }
}

impl Default for Signer {
    fn default() -> Self {
        Signer::new()
    }
}

/// A VA payment notification whose `paymentRequestId` is `id`, padded to about `size`.
pub fn body(id: &str, size: usize) -> String {
    let head = format!(
        r#"{{"partnerServiceId":"   12345","customerNo":"0555","virtualAccountNo":"   123450555","trxId":"T{id}","paymentRequestId":"{id}","paidAmount":{{"value":"10000.00","currency":"IDR"}},"additionalInfo":{{"padding":""#
    );
    let tail = r#""}}"#;
    let pad = size.saturating_sub(head.len() + tail.len());
    format!("{head}{}{tail}", "x".repeat(pad))
}

/// Read `count` answers from a connection (each with a Content-Length, as the inbox
/// answers): their statuses, in order. Stops early when the connection ends.
pub fn read_statuses(stream: &mut impl Read, count: usize) -> Vec<u16> {
    let mut reader = std::io::BufReader::new(stream);
    let mut statuses = Vec::with_capacity(count);
    while statuses.len() < count {
        let mut status_line = String::new();
        if reader.read_line(&mut status_line).unwrap_or(0) == 0 {
            break;
        }
        let status: u16 = status_line
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        let mut length = 0usize;
        loop {
            let mut line = String::new();
            if reader.read_line(&mut line).unwrap_or(0) == 0 {
                return statuses;
            }
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            if let Some((name, value)) = line.split_once(':')
                && name.eq_ignore_ascii_case("content-length")
            {
                length = value.trim().parse().unwrap_or(0);
            }
        }
        let mut body = vec![0u8; length];
        if reader.read_exact(&mut body).is_err() {
            break;
        }
        statuses.push(status);
    }
    statuses
}

/// The `paymentRequestId`s the history in `data_dir` holds, read from the JSON Lines line
/// by line, as any other process would (a history of a gigabyte is not held in memory).
pub fn recorded_ids(data_dir: &Path) -> HashSet<String> {
    const MARK: &str = r#"paymentRequestId\":\""#;
    let Ok(file) = std::fs::File::open(data_dir.join("history.jsonl")) else {
        return HashSet::new();
    };
    let mut ids = HashSet::new();
    for line in std::io::BufReader::new(file).lines() {
        let Ok(line) = line else { break };
        // Only whole entries count: a line that does not parse was not recorded.
        if !line.ends_with('}') {
            continue;
        }
        if let Some(at) = line.find(MARK) {
            let rest = &line[at + MARK.len()..];
            if let Some(end) = rest.find('\\') {
                ids.insert(rest[..end].to_string());
            }
        }
    }
    ids
}

/// `snap-console inbox --json --port 0` with the history in `home`, its stdout piped and
/// never read (`read_stdout: false`: a terminal nobody reads), its URL read from stderr.
pub struct InboxProcess {
    pub child: Child,
    pub url: String,
    pub addr: std::net::SocketAddr,
}

impl InboxProcess {
    pub fn start(home: &Path, extra: &[&str]) -> InboxProcess {
        let mut child = Command::new(env!("CARGO_BIN_EXE_snap-console"))
            .args(["inbox", "--json", "--port", "0", "--client-id", CLIENT_ID])
            .arg("--public-key")
            .arg(fixture("test_rsa2048_public_spki.pem"))
            .args(extra)
            .env("SNAP_CONSOLE_HOME", home)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the binary starts");
        let stderr = child.stderr.take().expect("stderr");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(stderr).lines() {
                let Ok(line) = line else { return };
                // Everything after the URL is echoed, so a failing test shows warnings.
                eprintln!("[inbox] {line}");
                let _ = tx.send(line);
            }
        });
        let url = loop {
            let line = rx
                .recv_timeout(Duration::from_secs(30))
                .expect("the inbox says where it listens");
            if let Some(at) = line.find("http://") {
                break line[at..].trim().to_string();
            }
        };
        let addr = url
            .trim_start_matches("http://")
            .parse()
            .expect("an address");
        InboxProcess { child, url, addr }
    }

    /// VmRSS of the child, in KiB (0 when it cannot be read).
    pub fn rss_kib(&self) -> u64 {
        rss_kib_of(&format!("/proc/{}/status", self.child.id()))
    }

    pub fn kill9(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for InboxProcess {
    fn drop(&mut self) {
        self.kill9();
    }
}

/// VmRSS from a `/proc/…/status` file, in KiB.
pub fn rss_kib_of(path: &str) -> u64 {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}
