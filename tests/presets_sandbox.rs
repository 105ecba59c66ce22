//! Each provider preset exercised offline (issue 13, item 2): the built-in sandbox is set
//! to behave like the provider (context root and unsigned prefix, token path, minify mode,
//! timestamp form, notification rule) and a profile made from the preset gets a token and
//! sends one transaction through the same flow the window and `send` use.

// Test, bench and example code may panic: a failed expectation is the point.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::too_many_lines
)]

use serde_json::Value;
use snap_console::model::{Profile, ProfileSecrets, TimestampStyle};
use snap_console::net::client::{RequestDraft, TokenCache, flow};
use snap_console::net::sandbox::{self, NotificationRule, ProviderStyle, SandboxConfig};
use snap_console::presets;
use snap_console::snap::catalog::{self, Service};
use snap_console::snap::keys;
use snap_console::snap::minify::MinifyMode;
use snap_console::ui::composer::ComposerPanel;
use zeroize::Zeroizing;

#[path = "common/cli_sandbox.rs"]
mod cli_sandbox;

const CLIENT_ID: &str = "preset-client";
const CLIENT_SECRET: &str = "preset-client-secret-0123456789";

fn partner_pem() -> String {
    std::fs::read_to_string(cli_sandbox::fixture("test_rsa2048_pkcs8.pem")).unwrap()
}

/// What the composer sends for `service`: its template, every header automatic.
fn draft(service: &Service, profile: &Profile, secrets: &ProfileSecrets) -> RequestDraft {
    let mut composer = ComposerPanel::default();
    composer.select_service(service, Some(profile), &secrets.client_secret);
    RequestDraft {
        service_id: composer.service_id,
        method: composer.method,
        path: composer.path,
        body: composer.body,
        ..RequestDraft::default()
    }
}

/// The preset's profile pointed at `base` (keeping the preset's context root), with the
/// sandbox's credentials.
fn profile_of(preset: &presets::Preset, base: &str) -> (Profile, ProfileSecrets) {
    let mine = Profile {
        id: preset.name.clone(),
        name: preset.label.clone(),
        client_id: CLIENT_ID.into(),
        channel_id: "95221".into(),
        partner_service_id: "   12345".into(),
        timeout_seconds: 10,
        ..Profile::default()
    };
    let mut profile = presets::apply(preset, &mine).unwrap();
    profile.base_url = format!(
        "{base}{}",
        profile.unsigned_path_prefix.trim_end_matches('/')
    );
    let secrets = ProfileSecrets {
        client_secret: CLIENT_SECRET.into(),
        private_key_pem: partner_pem().into(),
        ..ProfileSecrets::default()
    };
    (profile, secrets)
}

async fn sandbox_like(profile: &Profile, rule: NotificationRule) -> sandbox::SandboxHandle {
    let partner = keys::parse_private_key(partner_pem().as_bytes(), None).unwrap();
    let notification = keys::parse_private_key(
        &std::fs::read(cli_sandbox::fixture("test_rsa1024_pkcs8.pem")).unwrap(),
        None,
    )
    .unwrap();
    let mut config = SandboxConfig::new(
        CLIENT_ID,
        Zeroizing::new(CLIENT_SECRET.to_string()),
        partner.key.to_public_key(),
        notification.key,
    );
    config.provider = ProviderStyle::of_profile(profile, rule);
    sandbox::start(config).await.unwrap()
}

fn response_code(run: &flow::Run) -> String {
    let record = run.outcome.as_ref().unwrap_or_else(|e| panic!("{e}"));
    let body: Value = serde_json::from_slice(&record.body).unwrap_or(Value::Null);
    body["responseCode"]
        .as_str()
        .map(str::to_string)
        .unwrap_or_else(|| {
            format!(
                "status {} {}",
                record.status,
                String::from_utf8_lossy(&record.body)
            )
        })
}

#[tokio::test]
async fn every_preset_round_trips_against_a_sandbox_that_behaves_like_its_provider() {
    let presets = presets::all().unwrap();
    assert!(presets.len() >= 4);
    for preset in presets {
        let rule = NotificationRule::from_name(&preset.notification_rule)
            .unwrap_or_else(|| panic!("{}: rule {}", preset.name, preset.notification_rule));
        let (probe, _) = profile_of(&preset, "http://placeholder");
        let handle = sandbox_like(&probe, rule).await;
        let (profile, secrets) = profile_of(&preset, handle.base_url());
        let tokens = TokenCache::default();
        let name = &preset.name;

        if preset.name == "biller-api" {
            // Not SNAP: no token; one transaction with the md5 sign in the body.
            let service = catalog::find("Biller API: transaction (trx)").unwrap();
            let run = flow::exchange(
                &profile,
                &secrets,
                service,
                &draft(service, &profile, &secrets),
                &tokens,
                None,
            )
            .await;
            let record = run
                .outcome
                .as_ref()
                .unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(
                record.status,
                200,
                "{name}: {}",
                String::from_utf8_lossy(&record.body)
            );
            handle.stop().await;
            continue;
        }

        let token = catalog::by_code("73").unwrap();
        let run = flow::exchange(
            &profile,
            &secrets,
            token,
            &draft(token, &profile, &secrets),
            &tokens,
            None,
        )
        .await;
        let built = run.built.as_ref().unwrap();
        assert_eq!(
            response_code(&run),
            "2007300",
            "{name}: token at {}",
            built.url
        );
        assert!(
            built.url.ends_with(&profile.token_path),
            "{name}: the preset's token path {} was used: {}",
            profile.token_path,
            built.url
        );

        let inquiry = catalog::by_code("24").unwrap();
        let run = flow::exchange(
            &profile,
            &secrets,
            inquiry,
            &draft(inquiry, &profile, &secrets),
            &tokens,
            None,
        )
        .await;
        let built = run.built.as_ref().unwrap();
        assert_eq!(
            response_code(&run),
            "2002400",
            "{name}: VA inquiry at {}",
            built.url
        );
        if !profile.unsigned_path_prefix.is_empty() {
            let signed = built.string_to_sign.as_deref().unwrap_or_default();
            assert!(
                built
                    .url
                    .contains(&format!("{}/api/", profile.unsigned_path_prefix)),
                "{name}: {}",
                built.url
            );
            assert!(
                !signed.contains(&profile.unsigned_path_prefix),
                "{name}: the context root is not signed"
            );
        }
        handle.stop().await;
    }
}

/// A sandbox that behaves like a provider refuses what that provider refuses: a request
/// outside its context root, a timestamp in another form, a body hashed in another minify
/// mode — so a preset's settings are really exercised, not just tolerated.
#[tokio::test]
async fn a_provider_styled_sandbox_refuses_the_other_styles() {
    let nicepay = presets::find("nicepay-snap").unwrap();
    let (styled, secrets) = profile_of(&nicepay, "http://placeholder");
    let mut styled = styled;
    styled.timestamp_style = TimestampStyle::UtcMillisZ;
    styled.minify = MinifyMode::Js;
    let handle = sandbox_like(&styled, NotificationRule::Notification).await;
    let base = handle.base_url().to_string();
    let inquiry = catalog::by_code("24").unwrap();
    let token = catalog::by_code("73").unwrap();

    // As configured: accepted.
    let (mut right, _) = profile_of(&nicepay, &base);
    right.timestamp_style = TimestampStyle::UtcMillisZ;
    right.minify = MinifyMode::Js;
    let tokens = TokenCache::default();
    let run = flow::exchange(
        &right,
        &secrets,
        token,
        &draft(token, &right, &secrets),
        &tokens,
        None,
    )
    .await;
    assert_eq!(response_code(&run), "2007300");
    let mut body_draft = draft(inquiry, &right, &secrets);
    // A body whose minified forms differ between lexical and js: an escaped slash.
    body_draft.body = body_draft.body.replacen("{", "{\"note\":\"a\\/b\",", 1);
    let run = flow::exchange(&right, &secrets, inquiry, &body_draft, &tokens, None).await;
    assert_eq!(response_code(&run), "2002400");

    // Another timestamp form (the token cached from before): refused as a bad X-TIMESTAMP.
    let mut wrong_time = right.clone();
    wrong_time.timestamp_style = TimestampStyle::JakartaSeconds;
    let run = flow::exchange(&wrong_time, &secrets, inquiry, &body_draft, &tokens, None).await;
    assert!(
        response_code(&run).starts_with("400"),
        "{}",
        response_code(&run)
    );

    // Another minify mode: the signature does not match.
    let mut wrong_minify = right.clone();
    wrong_minify.minify = MinifyMode::Lexical;
    let run = flow::exchange(&wrong_minify, &secrets, inquiry, &body_draft, &tokens, None).await;
    assert_eq!(response_code(&run), "4012400");

    // Outside the context root: not found (the token request, first, already is).
    let mut no_root = right.clone();
    no_root.base_url = base.clone();
    no_root.unsigned_path_prefix.clear();
    let run = flow::exchange(&no_root, &secrets, inquiry, &body_draft, &tokens, None).await;
    let status = match &run.outcome {
        Ok(record) => record.status,
        Err(snap_console::net::client::SendError::TokenRefused { status, .. }) => *status,
        Err(e) => panic!("{e}"),
    };
    assert_eq!(status, 404);
    handle.stop().await;
}

#[path = "common/window.rs"]
mod window;

/// "New profile from preset" in the credentials panel: NICEPAY picked, a profile with its
/// context root, token path and base URL appears, selected, and is saved.
#[test]
fn the_window_makes_a_new_profile_from_a_preset() {
    let home = tempfile::tempdir().unwrap();
    let mut window = window::open(home.path());
    window.wait_for_label("Local sandbox (active)");
    let nicepay = presets::find("nicepay-snap").unwrap();
    window.click("Provider preset");
    window.click(&nicepay.label);
    window.click("New profile from preset");
    window.wait_for_label("new profile from nicepay-snap");

    let paths = snap_console::store::paths::AppPaths::under(home.path());
    window.wait_for("the preset profile saved", |_| {
        snap_console::store::profiles::load(&paths)
            .book
            .profiles
            .iter()
            .any(|p| p.name == nicepay.label)
    });
    let book = snap_console::store::profiles::load(&paths).book;
    let made = book
        .profiles
        .iter()
        .find(|p| p.name == nicepay.label)
        .unwrap();
    assert_eq!(made.base_url, "https://dev.nicepay.co.id/nicepay");
    assert_eq!(made.unsigned_path_prefix, "/nicepay");
    assert_eq!(made.token_path, "/v1.0/access-token/b2b");
    assert!(
        made.client_id.is_empty(),
        "credentials are the user's to add"
    );
}

#[path = "common/servers.rs"]
mod servers;

/// A provider whose notifications follow ASPI's asymmetric rule gets them signed that way
/// (METHOD:path:bodyHash:timestamp), verifiable with the key the sandbox serves.
#[tokio::test]
async fn notifications_follow_the_providers_rule() {
    use snap_console::snap::signature::{self, SignatureInput, SignatureKind, VerifyingSecret};
    let aspi = presets::find("aspi-sandbox").unwrap();
    assert_eq!(aspi.notification_rule, "transaction");
    let merchant = servers::echo();
    let partner = keys::parse_private_key(partner_pem().as_bytes(), None).unwrap();
    let notification = keys::parse_private_key(
        &std::fs::read(cli_sandbox::fixture("test_rsa1024_pkcs8.pem")).unwrap(),
        None,
    )
    .unwrap();
    let notification_public = notification.key.to_public_key();
    let (probe, _) = profile_of(&aspi, "http://placeholder");
    let mut config = SandboxConfig::new(
        CLIENT_ID,
        Zeroizing::new(CLIENT_SECRET.to_string()),
        partner.key.to_public_key(),
        notification.key,
    );
    config.provider = ProviderStyle::of_profile(&probe, NotificationRule::Transaction);
    config.notify_url = Some(merchant.url());
    let handle = sandbox::start(config).await.unwrap();
    let (profile, secrets) = profile_of(&aspi, handle.base_url());
    let tokens = TokenCache::default();
    let payment = catalog::by_code("25").unwrap();
    let run = flow::exchange(
        &profile,
        &secrets,
        payment,
        &draft(payment, &profile, &secrets),
        &tokens,
        None,
    )
    .await;
    assert_eq!(response_code(&run), "2002500");

    let got = merchant
        .next_request(std::time::Duration::from_secs(10))
        .await
        .expect("a notification");
    let header = |name: &str| got.header(name).unwrap_or_default().to_string();
    let input = SignatureInput {
        kind: SignatureKind::AsymmetricTransaction,
        timestamp: header("x-timestamp"),
        method: got.method.clone(),
        path: got.path.clone(),
        body: got.body_text(),
        ..SignatureInput::default()
    };
    let prepared = signature::prepare(&input).unwrap();
    let verdict = signature::verify(
        &prepared,
        VerifyingSecret::Rsa(&notification_public),
        &header("x-signature"),
    );
    assert_eq!(
        verdict.map(|v| v.valid),
        Ok(true),
        "signed METHOD:path:bodyHash:timestamp"
    );
    handle.stop().await;
}

/// `snap-console sandbox --preset nicepay-snap`: the banner names the preset and its
/// context root, and the sandbox answers under it only.
#[test]
fn the_sandbox_command_plays_a_preset() {
    use std::io::BufRead;
    let dir = tempfile::tempdir().unwrap();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_snap-console"))
        .args([
            "sandbox",
            "--preset",
            "nicepay-snap",
            "--json",
            "--credentials-dir",
        ])
        .arg(dir.path())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let banner: Value = serde_json::from_str(&line).unwrap_or(Value::Null);
    let base = banner["baseUrl"].as_str().unwrap_or_default().to_string();
    let key_url = banner["notificationPublicKeyUrl"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let (inside, outside, key) = runtime.block_on(async {
        let http = reqwest::Client::new();
        let status = |url: String| {
            let http = http.clone();
            async move {
                http.post(url)
                    .send()
                    .await
                    .map(|r| r.status().as_u16())
                    .unwrap_or(0)
            }
        };
        let key = http
            .get(&key_url)
            .send()
            .await
            .map(|r| r.status().as_u16())
            .unwrap_or(0);
        (
            status(format!("{base}/nicepay/v1.0/access-token/b2b")).await,
            status(format!("{base}/api/v1.0/access-token/b2b")).await,
            key,
        )
    });
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(banner["preset"], "nicepay-snap", "{line}");
    assert_eq!(banner["contextRoot"], "/nicepay", "{line}");
    assert_eq!(
        key, 200,
        "the notification key URL includes the context root: {key_url}"
    );
    assert_eq!(outside, 404, "outside the context root");
    assert!(
        inside != 404 && inside != 0,
        "the token path under the root is served: {inside}"
    );
}
