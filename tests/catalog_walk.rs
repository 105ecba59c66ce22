//! The catalog walk: every service the built-in sandbox simulates, taken from the catalog,
//! is sent from the composer's body template with every automatic header and no edit,
//! through the send flow the window uses (`net::client::flow`), to a started sandbox; each
//! gets a 2xx, and a service with a SNAP code gets `2xx<code>00`.
//!
//! The list grows by itself: a service the sandbox starts to simulate is walked without a
//! change here. Later checks over the whole catalog (issue 15: a 400xx02 for each removed
//! mandatory field, …) extend this walk rather than writing their own.

// Test code may panic and tell a long story: a failed expectation is the point.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::too_many_lines
)]

use std::path::PathBuf;
use std::time::Duration;

use serde_json::Value;
use snap_console::net::client::flow::{Run, exchange};
use snap_console::net::client::headers::auto_header_names;
use snap_console::net::client::{RequestDraft, TokenCache, describe_response};
use snap_console::net::sandbox::{self, API_PREFIX, SandboxConfig, SandboxHandle};
use snap_console::snap::catalog::{self, Service};
use snap_console::snap::keys;
use snap_console::store::profiles::{Profile, ProfileSecrets};
use snap_console::ui::composer::ComposerPanel;
use zeroize::Zeroizing;

const CLIENT_ID: &str = "WALKCLIENT01";
const CLIENT_SECRET: &str = "walk-client-secret-0123456789abcdef";
/// Today the sandbox simulates ten catalog services; fewer means the list broke.
const AT_LEAST: usize = 8;

/// Services whose answer depends on an earlier request: before walking the first, the
/// second's template is sent carrying the walked body's identifiers (its top-level text
/// fields that the other template also has). The status of a payment needs the payment.
const NEEDS_FIRST: &[(&str, &str)] = &[("snap-26", "snap-25")];

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/keys")
        .join(name)
}

fn private_key_pem() -> String {
    std::fs::read_to_string(fixture("test_rsa2048_pkcs8.pem")).expect("fixture key")
}

async fn start_sandbox() -> SandboxHandle {
    let partner = keys::parse_private_key(private_key_pem().as_bytes(), None)
        .expect("fixture key parses")
        .key;
    let notification_pem = std::fs::read(fixture("test_rsa1024_pkcs8.pem")).expect("fixture");
    let notification = keys::parse_private_key(&notification_pem, None)
        .expect("parses")
        .key;
    let config = SandboxConfig::new(
        CLIENT_ID,
        Zeroizing::new(CLIENT_SECRET.to_string()),
        partner.to_public_key(),
        notification,
    );
    sandbox::start(config).await.expect("the sandbox starts")
}

/// A profile for the sandbox, as the first run makes one.
fn sandbox_profile(base_url: &str) -> (Profile, ProfileSecrets) {
    let profile = Profile {
        id: "walk".into(),
        name: "Catalog walk".into(),
        base_url: base_url.to_string(),
        client_id: CLIENT_ID.into(),
        partner_id: CLIENT_ID.into(),
        channel_id: "95221".into(),
        partner_service_id: "   12345".into(),
        local_sandbox: true,
        timeout_seconds: 10,
        ..Profile::default()
    };
    let secrets = ProfileSecrets {
        client_secret: CLIENT_SECRET.into(),
        private_key_pem: private_key_pem().into(),
        ..ProfileSecrets::default()
    };
    (profile, secrets)
}

/// The catalog services behind the sandbox's endpoints (its own pages are not services).
fn simulated_services() -> Vec<&'static Service> {
    sandbox::endpoints()
        .iter()
        .filter_map(|endpoint| catalog::by_path(API_PREFIX, &endpoint.path))
        .filter(|service| !service.inbound)
        .collect()
}

/// What the composer window sends for `service` when the user picks it and presses Send:
/// the template body, every header automatic (the composer's draft has no override then).
fn composer_draft(service: &Service, profile: &Profile, secrets: &ProfileSecrets) -> RequestDraft {
    let mut composer = ComposerPanel::default();
    composer.select_service(service, Some(profile), &secrets.client_secret);
    assert!(
        composer.headers.iter().all(|h| h.auto && !h.omit),
        "{}: every header starts automatic",
        service.id
    );
    RequestDraft {
        service_id: composer.service_id,
        method: composer.method,
        path: composer.path,
        body: composer.body,
        ..RequestDraft::default()
    }
}

/// The walked body's identifiers, copied into the template of the service it needs first.
fn carry_identifiers(from: &str, into: &str) -> String {
    let (Ok(from), Ok(mut into)) = (
        serde_json::from_str::<Value>(from),
        serde_json::from_str::<Value>(into),
    ) else {
        panic!("templates are JSON");
    };
    if let (Some(from), Some(into)) = (from.as_object(), into.as_object_mut()) {
        for (key, value) in from.iter().filter(|(_, v)| v.is_string()) {
            if into.contains_key(key) {
                into.insert(key.clone(), value.clone());
            }
        }
    }
    into.to_string()
}

/// Why a walked answer is not the success it should be; `None` when it is.
fn judge(service: &Service, draft: &RequestDraft, profile: &Profile, run: &Run) -> Option<String> {
    let record = match &run.outcome {
        Ok(record) => record,
        Err(e) => return Some(format!("no answer: {e}")),
    };
    if let Some(built) = &run.built {
        for name in auto_header_names(service, profile.signature_mode) {
            if built.header(name).is_none_or(str::is_empty) {
                return Some(format!("the automatic header {name} was not sent"));
            }
        }
    }
    let body = String::from_utf8_lossy(&record.body);
    if !(200..300).contains(&record.status) {
        return Some(format!(
            "HTTP {}: {body} (sent {})",
            record.status, draft.body
        ));
    }
    let Some(code) = &service.code else {
        return None;
    };
    let summary = describe_response(record.status, &record.headers, &record.body);
    let expected = format!("{}{code}00", record.status);
    match summary.response_code {
        Some(got) if got == expected => None,
        got => Some(format!("responseCode {got:?}, expected {expected}: {body}")),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_simulated_service_answers_its_template_with_a_2xx() {
    let sandbox = start_sandbox().await;
    let (profile, secrets) = sandbox_profile(sandbox.base_url());
    let tokens = TokenCache::new();
    let services = simulated_services();
    let mut failures = Vec::new();
    for service in &services {
        let draft = composer_draft(service, &profile, &secrets);
        if let Some((_, first)) = NEEDS_FIRST.iter().find(|(id, _)| *id == service.id)
            && let Some(first) = catalog::find(first)
        {
            let mut setup = composer_draft(first, &profile, &secrets);
            setup.body = carry_identifiers(&draft.body, &setup.body);
            let run = exchange(&profile, &secrets, first, &setup, &tokens, None).await;
            if let Some(why) = judge(first, &setup, &profile, &run) {
                failures.push(format!("{} (set-up for {}): {why}", first.id, service.id));
            }
        }
        let run = tokio::time::timeout(
            Duration::from_secs(30),
            exchange(&profile, &secrets, service, &draft, &tokens, None),
        )
        .await
        .expect("each send ends within 30 s");
        if let Some(why) = judge(service, &draft, &profile, &run) {
            failures.push(format!("{} {}: {why}", service.id, service.title()));
        }
    }
    sandbox.stop().await;
    println!(
        "catalog walk: {} simulated services walked, {} failed",
        services.len(),
        failures.len()
    );
    assert!(
        services.len() >= AT_LEAST,
        "only {} simulated services found in the catalog",
        services.len()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
