//! `profile add`, `profile list` and `send` end to end: the real binary, a temporary
//! SNAP_CONSOLE_HOME, and the local sandbox (in this process) as the counterparty.

// Test, bench and example code may panic: a failed expectation is the point.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::too_many_lines
)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;
use snap_console::net::sandbox::{self, SandboxConfig, SandboxHandle};
use snap_console::snap::{catalog, keys};
use snap_console::ui::composer::ComposerPanel;
use zeroize::Zeroizing;

#[path = "common/servers.rs"]
mod servers;

const CLIENT_ID: &str = "cli-sandbox-client";
const CLIENT_SECRET: &str = "cli-client-secret-never-in-history-42";
const TOKEN_BODY: &str = r#"{"grantType":"client_credentials","additionalInfo":{}}"#;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/keys")
        .join(name)
}

fn private_key(name: &str) -> keys::RsaPrivateKey {
    let pem = std::fs::read(fixture(name)).expect("fixture key");
    keys::parse_private_key(&pem, None).expect("parses").key
}

struct Env {
    home: tempfile::TempDir,
    runtime: tokio::runtime::Runtime,
    sandbox: Option<SandboxHandle>,
}

impl Env {
    fn new() -> Env {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        let config = SandboxConfig::new(
            CLIENT_ID,
            Zeroizing::new(CLIENT_SECRET.to_string()),
            private_key("test_rsa2048_pkcs8.pem").to_public_key(),
            private_key("test_rsa1024_pkcs8.pem"),
        );
        let sandbox = runtime
            .block_on(sandbox::start(config))
            .expect("sandbox starts");
        Env {
            home: tempfile::tempdir().expect("tempdir"),
            runtime,
            sandbox: Some(sandbox),
        }
    }

    fn base_url(&self) -> String {
        self.sandbox
            .as_ref()
            .map(|s| s.base_url().to_string())
            .unwrap_or_default()
    }

    fn file(&self, name: &str, contents: &str) -> PathBuf {
        let path = self.home.path().join(name);
        std::fs::write(&path, contents).expect("write");
        path
    }

    fn run(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_snap-console"))
            .args(args)
            .env("SNAP_CONSOLE_HOME", self.home.path())
            .env("CLI_TEST_SECRET", CLIENT_SECRET)
            .output()
            .expect("binary runs")
    }

    fn history(&self) -> String {
        std::fs::read_to_string(self.home.path().join("data/history.jsonl")).unwrap_or_default()
    }
}

impl Drop for Env {
    fn drop(&mut self) {
        if let Some(sandbox) = self.sandbox.take() {
            self.runtime.block_on(sandbox.stop());
        }
    }
}

fn json_of(out: &Output) -> Value {
    let text = String::from_utf8_lossy(&out.stdout);
    serde_json::from_str(text.trim()).unwrap_or_else(|e| {
        panic!(
            "not one JSON object ({e}): {text}\nstderr: {}",
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

fn code(out: &Output) -> i32 {
    out.status.code().unwrap_or(-1)
}

fn add_profile(env: &Env, name: &str, base_url: &str, secret_file: &Path) -> Output {
    let key = fixture("test_rsa2048_pkcs8.pem");
    env.run(&[
        "profile",
        "add",
        "--name",
        name,
        "--base-url",
        base_url,
        "--client-id",
        CLIENT_ID,
        "--client-secret-file",
        secret_file.to_str().unwrap_or_default(),
        "--private-key",
        key.to_str().unwrap_or_default(),
        "--channel-id",
        "95221",
        "--partner-service-id",
        "   12345",
    ])
}

fn va_payment_body(id: &str) -> String {
    format!(
        r#"{{
  "partnerServiceId": "   12345",
  "customerNo": "000000000077",
  "virtualAccountNo": "   12345000000000077",
  "virtualAccountName": "CLI Test",
  "trxId": "cli-trx-{id}",
  "paymentRequestId": "cli-pay-{id}",
  "paidAmount": {{"value": "15000.00", "currency": "IDR"}}
}}"#
    )
}

#[test]
fn profiles_are_added_listed_without_secrets_and_refused_twice() {
    let env = Env::new();
    let secret_file = env.file("secret.txt", &format!("{CLIENT_SECRET}\n"));
    let out = add_profile(&env, "Sandbox", &env.base_url(), &secret_file);
    assert_eq!(code(&out), 0, "{}", String::from_utf8_lossy(&out.stderr));

    let again = add_profile(&env, "Sandbox", &env.base_url(), &secret_file);
    assert_eq!(code(&again), 2);
    let message = String::from_utf8_lossy(&again.stderr);
    assert!(message.contains("already exists"), "{message}");

    let via_env = env.run(&[
        "profile",
        "add",
        "--name",
        "From env",
        "--base-url",
        "https://dev.nicepay.co.id/nicepay",
        "--client-id",
        "IONPAYTEST",
        "--client-secret-env",
        "CLI_TEST_SECRET",
        "--token-path",
        "/v1.0/access-token/b2b",
        "--signature-mode",
        "symmetric",
        "--minify",
        "lexical",
    ]);
    assert_eq!(
        code(&via_env),
        0,
        "{}",
        String::from_utf8_lossy(&via_env.stderr)
    );

    let out = env.run(&["profile", "list", "--json"]);
    assert_eq!(code(&out), 0);
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        !stdout.contains(CLIENT_SECRET),
        "the secret is never listed"
    );
    assert!(!stdout.contains("PRIVATE KEY"), "the key is never listed");
    let listing = json_of(&out);
    let profiles = listing["profiles"].as_array().cloned().unwrap_or_default();
    assert_eq!(profiles.len(), 2);
    let sandbox = &profiles[0];
    assert_eq!(sandbox["name"], "Sandbox");
    assert_eq!(sandbox["baseUrl"], Value::String(env.base_url()));
    assert_eq!(sandbox["clientSecretSet"], true);
    assert_eq!(sandbox["partnerServiceId"], "   12345");
    let expected_fp = std::fs::read_to_string(fixture("test_rsa2048_fingerprint_sha256.txt"))
        .expect("fingerprint fixture");
    let expected_fp = format!("SHA256:{}", expected_fp.trim());
    assert_eq!(sandbox["privateKey"]["fingerprint"], expected_fp.as_str());
    let nicepay = &profiles[1];
    assert_eq!(nicepay["tokenPath"], "/v1.0/access-token/b2b");
    assert_eq!(nicepay["privateKey"]["set"], false);

    let text = env.run(&["profile", "list"]);
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(
        text.contains("Sandbox") && text.contains(expected_fp.trim()),
        "{text}"
    );
    assert!(!text.contains(CLIENT_SECRET));
}

#[test]
fn send_token_then_va_payment_records_history_without_secrets() {
    let env = Env::new();
    let secret_file = env.file("secret.txt", CLIENT_SECRET);
    let out = add_profile(&env, "Sandbox", &env.base_url(), &secret_file);
    assert_eq!(code(&out), 0, "{}", String::from_utf8_lossy(&out.stderr));
    let token_body = env.file("token.json", TOKEN_BODY);

    // 73 by hand, as a script would.
    let out = env.run(&[
        "send",
        "--profile",
        "Sandbox",
        "--service",
        "73",
        "--body-file",
        token_body.to_str().unwrap_or_default(),
        "--json",
    ]);
    assert_eq!(code(&out), 0, "{}", String::from_utf8_lossy(&out.stderr));
    let answer = json_of(&out);
    assert_eq!(answer["ok"], true);
    assert_eq!(answer["status"], 200);
    assert_eq!(answer["responseCode"], "2007300");
    assert!(
        answer["meaning"]
            .as_str()
            .unwrap_or("")
            .contains("Successful")
    );
    assert!(answer["timings"]["totalMs"].as_f64().is_some());
    let issued = answer["body"]["accessToken"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(issued.len() >= 6, "a token came back");

    // 25 by name fragment: the token is fetched automatically first.
    let va = env.file("va.json", &va_payment_body("1"));
    let out = env.run(&[
        "send",
        "--profile",
        "Sandbox",
        "--service",
        "VA Payment",
        "--body-file",
        va.to_str().unwrap_or_default(),
        "--json",
    ]);
    assert_eq!(code(&out), 0, "{}", String::from_utf8_lossy(&out.stderr));
    let answer = json_of(&out);
    assert_eq!(answer["status"], 200, "{answer}");
    assert_eq!(answer["responseCode"], "2002500", "{answer}");
    assert_eq!(answer["token"]["fetched"], true);
    assert_eq!(answer["token"]["responseCode"], "2007300");
    assert_eq!(answer["decoded"]["serviceName"], "VA Payment");
    assert!(answer["headers"]["content-type"].as_str().is_some());
    assert_eq!(answer["request"]["service"], "snap-25");

    // Text output, and a rejection is still an answer: exit 0.
    let out = env.run(&[
        "send",
        "--profile",
        "Sandbox",
        "--service",
        "25",
        "--body-file",
        va.to_str().unwrap_or_default(),
        "--header",
        "X-TIMESTAMP: 2020-01-01T00:00:00+07:00",
    ]);
    assert_eq!(code(&out), 0, "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("HTTP 401") || text.contains("HTTP 400"),
        "{text}"
    );
    assert!(text.contains("responseCode 4"), "{text}");

    // An empty body: the sandbox names the missing fields; the CLI lists them too.
    let empty = env.file("empty.json", "");
    let out = env.run(&[
        "send",
        "--profile",
        "Sandbox",
        "--service",
        "25",
        "--body-file",
        empty.to_str().unwrap_or_default(),
        "--json",
    ]);
    assert_eq!(code(&out), 0);
    let answer = json_of(&out);
    assert_eq!(answer["status"], 400, "{answer}");
    assert!(
        !answer["fieldProblems"]
            .as_array()
            .cloned()
            .unwrap_or_default()
            .is_empty()
    );

    // History: every exchange, token requests included, and no secret.
    let history = env.history();
    let lines: Vec<Value> = history
        .lines()
        .map(|l| serde_json::from_str(l).expect("history line is JSON"))
        .collect();
    let services: Vec<&str> = lines.iter().filter_map(|l| l["service"].as_str()).collect();
    assert_eq!(
        services,
        [
            "snap-73", "snap-73", "snap-25", "snap-73", "snap-25", "snap-73", "snap-25"
        ],
        "{history}"
    );
    assert!(lines.iter().any(|l| l["responseCode"] == "2002500"));
    assert!(!history.contains(CLIENT_SECRET), "client secret in history");
    assert!(!history.contains(&issued), "a bearer token in history");
    let key_b64 = std::fs::read_to_string(fixture("test_rsa2048_pkcs8.b64")).expect("b64");
    for chunk in key_b64.trim().as_bytes().chunks(64) {
        let chunk = String::from_utf8_lossy(chunk);
        assert!(
            !history.contains(chunk.as_ref()),
            "private key material in history"
        );
    }
    for line in &lines {
        if let Some(auth) = line["request"]["headers"]
            .as_array()
            .and_then(|h| h.iter().find(|p| p[0] == "Authorization"))
        {
            let value = auth[1].as_str().unwrap_or("");
            assert!(
                value.contains("redacted") && !value.contains(&issued),
                "{value}"
            );
        }
    }
}

#[test]
fn send_exits_2_when_the_request_cannot_be_made() {
    let env = Env::new();
    let secret_file = env.file("secret.txt", CLIENT_SECRET);
    let dead_port = servers::closed_port().port();
    let out = add_profile(
        &env,
        "Dead",
        &format!("http://127.0.0.1:{dead_port}"),
        &secret_file,
    );
    assert_eq!(code(&out), 0);

    let out = env.run(&["send", "--profile", "Dead", "--service", "25", "--json"]);
    assert_eq!(code(&out), 2);
    let answer = json_of(&out);
    assert_eq!(answer["ok"], false);
    assert_eq!(answer["errorKind"], "connect");
    assert_eq!(
        answer["error"],
        format!("nothing is listening at 127.0.0.1:{dead_port} (connection refused)")
    );
    // The failed token request is in the history, with its error.
    let history = env.history();
    assert!(history.contains("connection refused"), "{history}");
    assert!(!history.contains(CLIENT_SECRET));

    let out = env.run(&["send", "--profile", "Nobody", "--service", "25"]);
    assert_eq!(code(&out), 2);
    assert!(String::from_utf8_lossy(&out.stderr).contains("no profile named 'Nobody'"));
    let out = env.run(&["send", "--profile", "Dead", "--service", "no-such-service"]);
    assert_eq!(code(&out), 2);
    let out = env.run(&[
        "send",
        "--profile",
        "Dead",
        "--service",
        "25",
        "--header",
        "no colon here",
    ]);
    assert_eq!(code(&out), 2);
    assert!(!String::from_utf8_lossy(&out.stderr).contains("no colon here"));
}

/// Service 12's body exactly as the composer fills it from the template.
fn composer_template(code: &str) -> String {
    let service = catalog::by_code(code).expect("in the catalog");
    let mut composer = ComposerPanel::default();
    composer.select_service(service, None, &snap_console::model::Secret::default());
    assert!(
        composer
            .headers
            .iter()
            .any(|h| h.name == "ORIGIN" && h.auto)
            || code != "12",
        "the composer lists ORIGIN as an automatic header"
    );
    composer.body
}

/// The ORIGIN header of the last history entry for `service`.
fn sent_origin(env: &Env, service: &str) -> Option<String> {
    let history = env.history();
    let line = history
        .lines()
        .rev()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .find(|l| l["service"] == service)?;
    line["request"]["headers"]
        .as_array()?
        .iter()
        .find(|pair| pair[0] == "ORIGIN")
        .and_then(|pair| pair[1].as_str())
        .map(str::to_string)
}

#[test]
fn qris_transaction_list_from_its_template_gets_2001200_with_origin_filled() {
    let env = Env::new();
    let secret_file = env.file("secret.txt", CLIENT_SECRET);
    let out = add_profile(&env, "Sandbox", &env.base_url(), &secret_file);
    assert_eq!(code(&out), 0, "{}", String::from_utf8_lossy(&out.stderr));
    let body = env.file("qris-list.json", &composer_template("12"));
    let body = body.to_str().unwrap_or_default();

    let out = env.run(&[
        "send",
        "--profile",
        "Sandbox",
        "--service",
        "12",
        "--body-file",
        body,
        "--json",
    ]);
    assert_eq!(code(&out), 0, "{}", String::from_utf8_lossy(&out.stderr));
    let answer = json_of(&out);
    assert_eq!(answer["status"], 200, "{answer}");
    assert_eq!(answer["responseCode"], "2001200", "{answer}");
    // ORIGIN defaults to the base URL's scheme://host:port.
    assert_eq!(
        sent_origin(&env, "snap-12").as_deref(),
        Some(env.base_url().as_str())
    );

    // The sandbox does demand it: an empty ORIGIN is a missing one.
    let out = env.run(&[
        "send",
        "--profile",
        "Sandbox",
        "--service",
        "12",
        "--body-file",
        body,
        "--header",
        "ORIGIN:",
        "--json",
    ]);
    let answer = json_of(&out);
    assert_eq!(answer["responseCode"], "4001202", "{answer}");
    assert!(
        answer["body"]["responseMessage"]
            .as_str()
            .unwrap_or_default()
            .contains("ORIGIN"),
        "{answer}"
    );

    // A profile's own origin is sent as given.
    let out = env.run(&[
        "profile",
        "add",
        "--name",
        "Shop",
        "--base-url",
        &env.base_url(),
        "--client-id",
        CLIENT_ID,
        "--client-secret-file",
        secret_file.to_str().unwrap_or_default(),
        "--private-key",
        fixture("test_rsa2048_pkcs8.pem")
            .to_str()
            .unwrap_or_default(),
        "--channel-id",
        "95221",
        "--origin",
        "https://shop.example",
    ]);
    assert_eq!(code(&out), 0, "{}", String::from_utf8_lossy(&out.stderr));
    let out = env.run(&[
        "send",
        "--profile",
        "Shop",
        "--service",
        "12",
        "--body-file",
        body,
        "--json",
    ]);
    let answer = json_of(&out);
    assert_eq!(answer["responseCode"], "2001200", "{answer}");
    assert_eq!(
        sent_origin(&env, "snap-12").as_deref(),
        Some("https://shop.example")
    );
}
