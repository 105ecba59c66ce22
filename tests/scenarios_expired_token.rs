//! The `expiredToken` fault: against a sandbox whose tokens live one second, the runner
//! fetches a token, waits it out and sends with it; the sandbox refuses it (401xx01) and
//! the case passes. Against a provider whose tokens live 15 minutes the step is refused
//! with a reason that says why and what to do, instead of waiting.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::too_many_lines
)]

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use snap_console::flows::history::FileRecorder;
use snap_console::flows::scenario::{self, RunContext, RunReport};
use snap_console::model::{Profile, ProfileSecrets, Secret};
use snap_console::net::sandbox::{self, SandboxConfig};
use snap_console::snap::keys;
use snap_console::snap::scenario::parse_suite;
use zeroize::Zeroizing;

const CLIENT_ID: &str = "expired-client";
const CLIENT_SECRET: &str = "expired-secret-0123456789";

fn key(name: &str) -> (String, keys::RsaPrivateKey) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/keys")
        .join(name);
    let pem = std::fs::read_to_string(path).unwrap();
    let key = keys::parse_private_key(pem.as_bytes(), None).unwrap().key;
    (pem, key)
}

const SUITE: &str = r#"{
  "formatVersion": 1, "id": "expiry", "title": "Expired token", "role": "partner",
  "cases": [
    {"id": "payment-expired-token", "name": "An expired token is refused",
     "steps": [{"service": "25", "fault": "expiredToken",
                "expect": {"status": 401, "responseCode": "401xx01"}}]},
    {"id": "payment-after", "name": "The run's own token still works",
     "steps": [{"service": "25", "expect": {"status": 200, "responseCode": "2002500"}}]}
  ]
}"#;

async fn run_with_token_ttl(ttl: Duration) -> (RunReport, tempfile::TempDir) {
    let (pem, private) = key("test_rsa2048_pkcs8.pem");
    let (_, notification) = key("test_rsa1024_pkcs8.pem");
    let mut config = SandboxConfig::new(
        CLIENT_ID,
        Zeroizing::new(CLIENT_SECRET.to_string()),
        private.to_public_key(),
        notification,
    );
    config.token_ttl = ttl;
    config.explain = true;
    let sandbox = sandbox::start(config).await.unwrap();
    let profile = Profile {
        id: "p1".into(),
        name: "expiry".into(),
        base_url: sandbox.base_url().into(),
        client_id: CLIENT_ID.into(),
        channel_id: "95221".into(),
        timeout_seconds: 5,
        ..Profile::default()
    };
    let secrets = ProfileSecrets {
        client_secret: Secret::new(CLIENT_SECRET),
        private_key_pem: Secret::new(pem),
        ..ProfileSecrets::default()
    };
    let home = tempfile::tempdir().unwrap();
    let context = RunContext {
        profile: &profile,
        secrets: &secrets,
        recorder: Arc::new(FileRecorder::new(home.path().to_path_buf())),
        inbox: None,
        no_inbox_reason: "none in this test".into(),
        cancel: None,
    };
    let suite = parse_suite("expiry.json", SUITE).unwrap();
    let report = scenario::run(&[suite], &context, &mut |_| {})
        .await
        .unwrap();
    (report, home)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_that_expired_is_refused_by_a_short_lived_sandbox() {
    let (report, _home) = run_with_token_ttl(Duration::from_secs(1)).await;
    let cases: Vec<_> = report.cases().collect();
    assert!(cases[0].passed, "{}: {}", cases[0].got, cases[0].reason);
    assert_eq!(cases[0].got, "HTTP 401, responseCode 4012501");
    assert!(
        cases[0].ms >= 1000,
        "waited for the expiry: {} ms",
        cases[0].ms
    );
    // The token request and the refused payment are both in the evidence.
    assert_eq!(cases[0].exchanges.len(), 2);
    let refused = cases[0].exchanges[1].response.as_ref().unwrap();
    // The sandbox says why in its X-SANDBOX-* headers: expired, not unknown.
    assert!(
        refused
            .headers
            .iter()
            .any(|(_, v)| v.contains("the access token expired")),
        "{:?}",
        refused.headers
    );
    assert!(cases[1].passed, "{}", cases[1].reason);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_long_token_lifetime_is_reported_instead_of_waited_for() {
    let (report, _home) = run_with_token_ttl(Duration::from_secs(900)).await;
    let case = report.cases().next().unwrap();
    assert!(!case.passed);
    assert!(case.ms < 5000, "did not wait: {} ms", case.ms);
    assert!(
        case.reason.contains("tokens live 899 s") || case.reason.contains("tokens live 900 s"),
        "{}",
        case.reason
    );
    assert!(case.reason.contains("--token-ttl"), "{}", case.reason);
}
