//! The scenario runner for real: every built-in suite against the built-in sandbox over
//! loopback (its notifications to an inbox the test starts), and against servers with a
//! planted defect, where exactly the affected cases must fail with a reason naming it.
//!
//! A defective server is the sandbox behind a proxy that plants one defect: it re-signs
//! every request with the right credentials (so it "accepts any signature"), gives every
//! request a fresh X-EXTERNAL-ID (so it "accepts a reused one"), or rewrites a successful
//! VA payment's responseCode. The rest of the judging is the sandbox's.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::too_many_lines
)]

use std::path::PathBuf;
use std::sync::Arc;

use snap_console::flows::history::FileRecorder;
use snap_console::flows::scenario::{self, InboxFeed, RunContext, RunReport};
use snap_console::model::{Profile, ProfileSecrets, Secret};
use snap_console::net::inbox::{self, InboxConfig, InboxHandle, VerificationMode};
use snap_console::net::sandbox::{self, SandboxConfig, SandboxHandle};
use snap_console::snap::scenario::{Suite, built_in, built_in_named, parse_suite};
use snap_console::snap::{keys, signature};
use zeroize::Zeroizing;

#[path = "common/servers.rs"]
mod servers;

const CLIENT_ID: &str = "scenario-client";
const CLIENT_SECRET: &str = "scenario-secret-never-in-exports-77";

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/keys")
        .join(name)
}

fn private_key_pem() -> String {
    std::fs::read_to_string(fixture("test_rsa2048_pkcs8.pem")).unwrap()
}

fn private_key() -> keys::RsaPrivateKey {
    keys::parse_private_key(private_key_pem().as_bytes(), None)
        .unwrap()
        .key
}

struct World {
    sandbox: SandboxHandle,
    inbox: InboxHandle,
    home: tempfile::TempDir,
}

async fn world() -> World {
    let inbox = inbox::start(InboxConfig::default()).await.unwrap();
    let notification_key = keys::parse_private_key(
        std::fs::read(fixture("test_rsa1024_pkcs8.pem"))
            .unwrap()
            .as_slice(),
        None,
    )
    .unwrap()
    .key;
    let mut config = SandboxConfig::new(
        CLIENT_ID,
        Zeroizing::new(CLIENT_SECRET.to_string()),
        private_key().to_public_key(),
        notification_key,
    );
    config.notify_url = Some(inbox.base_url());
    let sandbox = sandbox::start(config).await.unwrap();
    let keys = inbox::keys_for_sandbox(&sandbox).unwrap();
    inbox.set_verification(keys, VerificationMode::Auto);
    World {
        sandbox,
        inbox,
        home: tempfile::tempdir().unwrap(),
    }
}

fn profile(base_url: &str, timeout_seconds: u64) -> (Profile, ProfileSecrets) {
    let profile = Profile {
        id: "p1".into(),
        name: "scenario sandbox".into(),
        base_url: base_url.into(),
        client_id: CLIENT_ID.into(),
        channel_id: "95221".into(),
        timeout_seconds,
        ..Profile::default()
    };
    let secrets = ProfileSecrets {
        client_secret: Secret::new(CLIENT_SECRET),
        private_key_pem: Secret::new(private_key_pem()),
        ..ProfileSecrets::default()
    };
    (profile, secrets)
}

async fn run_against(
    world: &World,
    base_url: &str,
    suites: &[Suite],
    timeout_seconds: u64,
) -> RunReport {
    let (profile, secrets) = profile(base_url, timeout_seconds);
    let context = RunContext {
        profile: &profile,
        secrets: &secrets,
        recorder: Arc::new(FileRecorder::new(world.home.path().to_path_buf())),
        inbox: Some(InboxFeed::of(&world.inbox)),
        no_inbox_reason: String::new(),
        cancel: None,
    };
    scenario::run(suites, &context, &mut |_| {}).await.unwrap()
}

fn failures(report: &RunReport) -> Vec<(String, String)> {
    report
        .cases()
        .filter(|c| !c.passed && !c.skipped)
        .map(|c| (format!("{}/{}", c.suite, c.id), c.reason.clone()))
        .collect()
}

fn failed_ids(report: &RunReport) -> Vec<String> {
    failures(report).into_iter().map(|(id, _)| id).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_built_in_suite_passes_against_the_built_in_sandbox() {
    let world = world().await;
    let suites: Vec<Suite> = built_in().into_iter().map(Result::unwrap).collect();
    let report = run_against(&world, world.sandbox.base_url(), &suites, 10).await;
    assert_eq!(failures(&report), Vec::<(String, String)>::new());
    let (passed, failed, skipped) = report.counts();
    assert_eq!((failed, skipped), (0, 0));
    assert!(passed >= 30, "{passed}");
    // Every exchange is in the history, tagged with its suite, case and run.
    let history = std::fs::read_to_string(world.home.path().join("history.jsonl")).unwrap();
    let tagged = history
        .lines()
        .filter(|l| l.contains(&format!("\"run\":\"{}\"", report.run)))
        .count();
    let exchanges: usize = report.cases().map(|c| c.exchanges.len()).sum();
    assert_eq!(tagged, exchanges);
    assert!(history.contains("\"suite\":\"aspi-va-payment\""));
    assert!(history.contains("\"case\":\"payment-duplicate-external-id\""));
    assert!(!history.contains(CLIENT_SECRET));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn notification_cases_are_skipped_without_an_inbox() {
    let world = world().await;
    let (profile, secrets) = profile(world.sandbox.base_url(), 10);
    let context = RunContext {
        profile: &profile,
        secrets: &secrets,
        recorder: Arc::new(FileRecorder::new(world.home.path().to_path_buf())),
        inbox: None,
        no_inbox_reason: "none was started (--inbox-port)".into(),
        cancel: None,
    };
    let suite = built_in_named("va-notification").unwrap();
    let report = scenario::run(&[suite], &context, &mut |_| {})
        .await
        .unwrap();
    let case = report.cases().next().unwrap();
    assert!(case.skipped && !case.passed);
    assert!(case.reason.contains("needs an inbox"), "{}", case.reason);
    assert!(case.reason.contains("--inbox-port"), "{}", case.reason);
}

/// What the proxy in front of the sandbox gets wrong.
#[derive(Clone, Copy)]
enum Defect {
    AcceptsAnySignature,
    AcceptsReusedExternalId,
    WrongResponseCode,
}

/// A proxy to `target` with one planted defect, on a free loopback port.
async fn defective(target: String, defect: Defect) -> String {
    use axum::body::{Body, to_bytes};
    use axum::extract::Request;
    use axum::response::Response;

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    let app = axum::Router::new().fallback(move |request: Request| {
        let http = http.clone();
        let target = target.clone();
        async move {
            let (parts, body) = request.into_parts();
            let body = to_bytes(body, 1 << 20).await.unwrap();
            let path = parts.uri.path_and_query().unwrap().as_str().to_string();
            let mut headers: Vec<(String, String)> = parts
                .headers
                .iter()
                .map(|(n, v)| (n.to_string(), v.to_str().unwrap_or("").to_string()))
                .collect();
            match defect {
                Defect::AcceptsAnySignature => {
                    resign(&mut headers, parts.method.as_str(), &path, &body);
                }
                Defect::AcceptsReusedExternalId => {
                    for (name, value) in &mut headers {
                        if name.eq_ignore_ascii_case("x-external-id") {
                            *value = snap_console::snap::timestamp::new_external_id(20);
                        }
                    }
                }
                Defect::WrongResponseCode => {}
            }
            let mut forward = http.request(parts.method.clone(), format!("{target}{path}"));
            for (name, value) in &headers {
                if name != "host" && name != "content-length" {
                    forward = forward.header(name, value);
                }
            }
            let answer = forward.body(body.to_vec()).send().await.unwrap();
            let status = answer.status();
            let mut text = answer.text().await.unwrap();
            if matches!(defect, Defect::WrongResponseCode) && text.contains("\"2002500\"") {
                text = text.replace("\"2002500\"", "\"2002400\"");
            }
            Response::builder()
                .status(status)
                .header("content-type", "application/json")
                .body(Body::from(text))
                .unwrap()
        }
    });
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    format!("http://{addr}")
}

/// X-SIGNATURE replaced by the right one for what is sent: a server that verified nothing
/// would answer the same.
fn resign(headers: &mut [(String, String)], method: &str, path: &str, body: &[u8]) {
    let get = |name: &str| {
        headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let timestamp = get("x-timestamp");
    let token_request = path.contains("access-token");
    let input = signature::SignatureInput {
        kind: if token_request {
            signature::SignatureKind::B2bToken
        } else {
            signature::SignatureKind::Symmetric
        },
        client_id: get("x-client-key"),
        timestamp,
        method: method.to_string(),
        path: path.to_string(),
        access_token: get("authorization")
            .trim_start_matches("Bearer ")
            .to_string(),
        body: String::from_utf8_lossy(body).into_owned(),
        ..signature::SignatureInput::default()
    };
    let Ok(prepared) = signature::prepare(&input) else {
        return;
    };
    let key = private_key();
    let secret = if token_request {
        signature::SigningSecret::Rsa(&key)
    } else {
        signature::SigningSecret::Hmac(CLIENT_SECRET.as_bytes())
    };
    let signed = signature::sign(&prepared, secret).unwrap();
    for (name, value) in headers.iter_mut() {
        if name.eq_ignore_ascii_case("x-signature") {
            *value = signed.clone();
        }
    }
}

fn aspi() -> Vec<Suite> {
    vec![built_in_named("aspi-va-payment").unwrap()]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_accepts_any_signature_fails_exactly_the_signature_cases() {
    let world = world().await;
    let url = defective(
        world.sandbox.base_url().to_string(),
        Defect::AcceptsAnySignature,
    )
    .await;
    let report = run_against(&world, &url, &aspi(), 10).await;
    assert_eq!(
        failed_ids(&report),
        vec![
            "aspi-va-payment/token-invalid-signature",
            "aspi-va-payment/payment-invalid-signature",
            "aspi-va-payment/payment-body-changed",
        ]
    );
    for (_, reason) in failures(&report) {
        assert!(
            reason.contains("the server accepted a request with a planted fault"),
            "{reason}"
        );
        assert!(
            reason.contains("signed with another key") || reason.contains("body changed"),
            "{reason}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_accepts_a_reused_external_id_fails_exactly_that_case() {
    let world = world().await;
    let url = defective(
        world.sandbox.base_url().to_string(),
        Defect::AcceptsReusedExternalId,
    )
    .await;
    let report = run_against(&world, &url, &aspi(), 10).await;
    let failures = failures(&report);
    assert_eq!(failures.len(), 1, "{failures:?}");
    let (id, reason) = &failures[0];
    assert_eq!(id, "aspi-va-payment/payment-duplicate-external-id");
    assert!(
        reason.contains("expected HTTP 409, got HTTP 200"),
        "{reason}"
    );
    assert!(reason.contains("X-EXTERNAL-ID"), "{reason}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_answering_a_wrong_response_code_fails_exactly_the_successful_payments() {
    let world = world().await;
    let url = defective(
        world.sandbox.base_url().to_string(),
        Defect::WrongResponseCode,
    )
    .await;
    let report = run_against(&world, &url, &aspi(), 10).await;
    assert_eq!(
        failed_ids(&report),
        vec![
            "aspi-va-payment/payment",
            "aspi-va-payment/payment-duplicate-external-id",
            "aspi-va-payment/payment-then-status",
        ]
    );
    for (_, reason) in failures(&report) {
        assert!(
            reason.contains("expected responseCode 2002500, got 2002400"),
            "{reason}"
        );
    }
    let payment = report.cases().find(|c| c.id == "payment").unwrap();
    assert_eq!(payment.expected.split(", ").next(), Some("HTTP 200"));
    assert!(
        payment.got.contains("responseCode 2002400"),
        "{}",
        payment.got
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_never_answers_fails_with_no_answer() {
    let world = world().await;
    let silent = servers::silent();
    let mut suite = built_in_named("aspi-va-payment").unwrap();
    suite.cases.retain(|c| c.id == "token" || c.id == "payment");
    let started = std::time::Instant::now();
    let report = run_against(&world, &silent.url(), &[suite], 1).await;
    assert!(started.elapsed() < std::time::Duration::from_secs(8));
    let failures = failures(&report);
    assert_eq!(failures.len(), 2, "{failures:?}");
    for (_, reason) in failures {
        assert!(reason.contains("no answer within 1 s"), "{reason}");
    }
}

#[test]
fn a_malformed_suite_file_says_where() {
    let text = "{\n  \"formatVersion\": 1,\n  \"id\": \"x\",\n  \"title\": \"t\",\n  \"role\": \"partner\",\n  \"cases\": [{\"id\": \"a\", \"name\": \"n\", \"step\": []}]\n}\n";
    let e = parse_suite("mine.json", text).unwrap_err();
    assert_eq!((e.line, e.file.as_str()), (6, "mine.json"), "{e}");
    assert!(e.message.contains("unknown field `step`"), "{e}");
    assert!(e.message.contains("`steps`"), "{e}");
}
