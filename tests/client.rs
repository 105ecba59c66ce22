//! The composer's HTTP client over real sockets on loopback: tiny hand-written servers for
//! the failure modes (nothing listening, silence, HTML, 500, plain HTTP where TLS was
//! expected, an endless body) and the local sandbox as the SNAP counterparty.

// Test, bench and example code may panic: a failed expectation is the point.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::too_many_lines
)]

use std::path::PathBuf;
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};
use snap_console::net::client::{
    self, BuildError, BuiltRequest, HeaderOverride, MAX_RESPONSE_BYTES, RequestDraft, SendError,
    TimestampSource, TokenCache, describe_response,
};
use snap_console::net::sandbox::{self, SandboxConfig, SandboxHandle};
use snap_console::snap::catalog;
use snap_console::snap::keys;
use snap_console::snap::minify::{MinifyMode, minify};
use snap_console::snap::signature::{self, VerifyingSecret};
use snap_console::store::profiles::{Profile, ProfileSecrets, SignatureMode};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

#[path = "common/servers.rs"]
mod servers;
use servers::http_response;
use zeroize::Zeroizing;

const CLIENT_SECRET: &str = "client-secret-for-tests-0123456789";

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/keys")
        .join(name)
}

fn private_key_pem() -> String {
    std::fs::read_to_string(fixture("test_rsa2048_pkcs8.pem")).expect("fixture key")
}

fn public_key() -> keys::RsaPublicKey {
    keys::parse_private_key(private_key_pem().as_bytes(), None)
        .expect("fixture key parses")
        .key
        .to_public_key()
}

fn profile(base_url: &str) -> Profile {
    Profile {
        id: "test-profile".into(),
        name: "Test".into(),
        base_url: base_url.into(),
        client_id: "client-under-test".into(),
        channel_id: "95221".into(),
        partner_service_id: "   12345".into(),
        timeout_seconds: 5,
        ..Profile::default()
    }
}

fn secrets() -> ProfileSecrets {
    ProfileSecrets {
        client_secret: CLIENT_SECRET.into(),
        private_key_pem: private_key_pem().into(),
        ..ProfileSecrets::default()
    }
}

fn draft(profile: &Profile, code_or_id: &str, body: &str) -> RequestDraft {
    let service = catalog::find(code_or_id)
        .or_else(|| catalog::services().iter().find(|s| s.id == code_or_id))
        .expect("service in catalog");
    let mut draft = RequestDraft::new(profile, service);
    draft.body = body.to_string();
    draft
}

fn va_payment_body(payment_request_id: &str) -> String {
    // Typed by a person: indented, with newlines. It is sent like this; its lexical
    // minification is what the signature hashes.
    format!(
        r#"{{
    "partnerServiceId": "   12345",
    "customerNo": "000000000001",
    "virtualAccountNo": "   12345000000000001",
    "virtualAccountName": "Tom Test",
    "trxId": "trx-{payment_request_id}",
    "paymentRequestId": "{payment_request_id}",
    "paidAmount": {{ "value": "10000.00", "currency": "IDR" }},
    "trxDateTime": "2024-12-01T07:15:00+07:00"
}}"#
    )
}

/// A symmetric VA payment to `base_url`, with a made-up token (no network needed to build).
fn built_transaction(base_url: &str) -> BuiltRequest {
    let profile = profile(base_url);
    client::build(
        &profile,
        &secrets(),
        &draft(&profile, "25", &va_payment_body("p-1")),
        Some("made-up-token"),
        TimestampSource::Now,
    )
    .expect("builds")
}

fn http() -> reqwest::Client {
    client::http_client(true).expect("client")
}

// ------------------------------------------------------------------------------------------
// Failure modes
// ------------------------------------------------------------------------------------------

#[tokio::test]
async fn dead_server_is_a_clear_connect_error() {
    let port = servers::closed_port().port();
    let built = built_transaction(&format!("http://127.0.0.1:{port}"));
    let err = client::send(&http(), &built, Duration::from_secs(5))
        .await
        .expect_err("nothing listens");
    assert!(matches!(err, SendError::Connect { .. }), "{err:?}");
    assert_eq!(err.kind(), "connect");
    assert_eq!(
        err.to_string(),
        format!("nothing is listening at 127.0.0.1:{port} (connection refused)")
    );
}

#[tokio::test]
async fn slow_server_times_out_and_can_be_cancelled() {
    let silent = servers::silent();
    let port = silent.port();
    let built = built_transaction(&format!("http://127.0.0.1:{port}"));
    let started = Instant::now();
    let err = client::send(&http(), &built, Duration::from_secs(1))
        .await
        .expect_err("silence");
    assert!(matches!(err, SendError::Timeout { .. }), "{err:?}");
    assert_eq!(err.to_string(), "no answer within 1 s");
    assert!(started.elapsed() < Duration::from_secs(3));

    let (cancel, cancelled) = tokio::sync::watch::channel(false);
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(200)).await;
        let _ = cancel.send(true);
    });
    let started = Instant::now();
    let err = client::send_cancellable(&http(), &built, Duration::from_secs(30), cancelled)
        .await
        .expect_err("cancelled");
    assert_eq!(err, SendError::Cancelled);
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[tokio::test]
async fn a_slow_answer_within_the_timeout_is_timed() {
    let slow = servers::slow(
        Duration::from_millis(300),
        http_response(
            "200 OK",
            "application/json",
            br#"{"responseCode":"2002500"}"#,
        ),
    );
    let built = built_transaction(&slow.url());
    let record = client::send(&http(), &built, Duration::from_secs(5))
        .await
        .expect("an answer");
    assert_eq!(record.status, 200);
    assert!(record.headers_ms >= 300.0, "{}", record.headers_ms);
    assert!(record.total_ms >= record.headers_ms);
}

#[tokio::test]
async fn non_json_answers_and_500s_are_described_without_fuss() {
    let html = servers::canned(http_response(
        "200 OK",
        "text/html",
        b"<html><body>Gateway says hello</body></html>",
    ));
    let built = built_transaction(&format!("http://127.0.0.1:{}", html.port()));
    let record = client::send(&http(), &built, Duration::from_secs(5))
        .await
        .expect("an answer");
    assert_eq!(record.status, 200);
    assert!(record.total_ms >= record.headers_ms);
    assert_eq!(record.size, record.body.len() as u64);
    let summary = describe_response(record.status, &record.headers, &record.body);
    assert!(!summary.is_json && summary.response_code.is_none() && summary.pretty_body.is_none());

    let error = servers::canned(http_response(
        "500 Internal Server Error",
        "application/json",
        br#"{"responseCode":"5002500","responseMessage":"General Error"}"#,
    ));
    let built = built_transaction(&format!("http://127.0.0.1:{}", error.port()));
    let record = client::send(&http(), &built, Duration::from_secs(5))
        .await
        .expect("an answer");
    assert_eq!(record.status, 500);
    let summary = describe_response(record.status, &record.headers, &record.body);
    assert_eq!(summary.response_code.as_deref(), Some("5002500"));
    let decoded = summary.decoded.expect("decoded");
    assert_eq!(decoded.meaning.as_deref(), Some("General Error"));
    assert_eq!(decoded.service_name.as_deref(), Some("VA Payment"));
    assert!(summary.mismatch.is_none());

    let empty = servers::canned(http_response(
        "500 Internal Server Error",
        "text/plain",
        b"",
    ));
    let built = built_transaction(&format!("http://127.0.0.1:{}", empty.port()));
    let record = client::send(&http(), &built, Duration::from_secs(5))
        .await
        .expect("an answer");
    assert_eq!((record.status, record.body.len()), (500, 0));
    let summary = describe_response(record.status, &record.headers, &record.body);
    assert!(summary.decoded.is_none());
}

#[tokio::test]
async fn plain_http_addressed_as_https_is_a_clear_tls_error() {
    let server = servers::canned(http_response("400 Bad Request", "text/plain", b"not TLS"));
    let port = server.port();
    let built = built_transaction(&format!("https://127.0.0.1:{port}"));
    let err = client::send(&http(), &built, Duration::from_secs(5))
        .await
        .expect_err("no TLS there");
    assert!(matches!(err, SendError::Tls { .. }), "{err:?}");
    let message = err.to_string();
    assert!(message.contains("TLS handshake"), "{message}");
    assert!(message.contains(&format!("127.0.0.1:{port}")), "{message}");
    assert!(!message.contains("made-up-token"), "{message}");
}

#[tokio::test]
async fn an_endless_body_is_cut_at_the_cap() {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let declared = MAX_RESPONSE_BYTES + 4 * 1024 * 1024;
    tokio::spawn(async move {
        if let Ok((mut socket, _)) = listener.accept().await {
            let mut buf = [0u8; 65536];
            let _ = socket.read(&mut buf).await;
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: {declared}\r\n\r\n"
            );
            let _ = socket.write_all(head.as_bytes()).await;
            let chunk = vec![b'x'; 1024 * 1024];
            for _ in 0..declared / chunk.len() {
                if socket.write_all(&chunk).await.is_err() {
                    return;
                }
            }
        }
    });
    let built = built_transaction(&format!("http://127.0.0.1:{port}"));
    let record = client::send(&http(), &built, Duration::from_secs(60))
        .await
        .expect("an answer");
    assert!(record.truncated);
    assert_eq!(record.body.len(), MAX_RESPONSE_BYTES);
    let summary = describe_response(record.status, &record.headers, &record.body);
    assert!(summary.pretty_body.is_none());
}

// ------------------------------------------------------------------------------------------
// Building: headers, signature, guards
// ------------------------------------------------------------------------------------------

#[test]
fn origin_is_sent_where_a_service_needs_it_from_the_profile_or_the_base_url() {
    let build = |profile: &Profile, overrides: Vec<HeaderOverride>| {
        let mut draft = draft(profile, "12", r#"{"additionalInfo":{"scID":"1"}}"#);
        draft.header_overrides = overrides;
        client::build(profile, &secrets(), &draft, Some("t"), TimestampSource::Now).expect("builds")
    };
    // The origin of the base URL: scheme, host and a port that is not the default.
    let mut profile = profile("http://127.0.0.1:8080/nicepay/");
    let built = build(&profile, vec![]);
    assert_eq!(built.header("ORIGIN"), Some("http://127.0.0.1:8080"));
    let names: Vec<&str> = built.headers.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names.last(),
        Some(&"ORIGIN"),
        "after the standard set: {names:?}"
    );
    profile.base_url = "https://api.example:443".into();
    assert_eq!(
        build(&profile, vec![]).header("ORIGIN"),
        Some("https://api.example")
    );
    // The profile's own origin wins; the user's value wins over both; it can be left out.
    profile.origin = " https://shop.example ".into();
    assert_eq!(
        build(&profile, vec![]).header("ORIGIN"),
        Some("https://shop.example")
    );
    let mine = build(
        &profile,
        vec![HeaderOverride::set("origin", "https://mine.example")],
    );
    assert_eq!(mine.header("ORIGIN"), Some("https://mine.example"));
    assert_eq!(
        build(&profile, vec![HeaderOverride::omit("ORIGIN")]).header("ORIGIN"),
        None
    );
    // A service whose rules do not ask for it does not get it.
    assert_eq!(
        built_transaction("http://127.0.0.1:8080").header("ORIGIN"),
        None
    );
}

fn names(built: &BuiltRequest) -> Vec<&str> {
    built.headers.iter().map(|(n, _)| n.as_str()).collect()
}

#[test]
fn each_kind_of_service_gets_its_headers() {
    let profile = profile("http://127.0.0.1:9");
    let secrets = secrets();
    let token = client::build(
        &profile,
        &secrets,
        &draft(&profile, "73", r#"{"grantType":"client_credentials"}"#),
        None,
        TimestampSource::Now,
    )
    .expect("token request");
    assert_eq!(
        names(&token),
        ["Content-Type", "X-TIMESTAMP", "X-CLIENT-KEY", "X-SIGNATURE"]
    );
    assert_eq!(token.url, "http://127.0.0.1:9/api/v1.0/access-token/b2b");
    let prepared = token.signature_parts.as_ref().expect("parts");
    assert_eq!(
        token.string_to_sign.as_deref(),
        Some(
            format!(
                "client-under-test|{}",
                token.header("X-TIMESTAMP").unwrap_or("")
            )
            .as_str()
        )
    );
    let verdict = signature::verify(
        prepared,
        VerifyingSecret::Rsa(&public_key()),
        token.header("X-SIGNATURE").unwrap_or(""),
    );
    assert_eq!(verdict.map(|v| v.valid), Ok(true));

    let first = built_transaction("http://127.0.0.1:9");
    let second = built_transaction("http://127.0.0.1:9");
    assert_eq!(
        names(&first),
        [
            "Content-Type",
            "Authorization",
            "X-TIMESTAMP",
            "X-SIGNATURE",
            "X-PARTNER-ID",
            "X-EXTERNAL-ID",
            "CHANNEL-ID"
        ]
    );
    assert_eq!(first.header("Authorization"), Some("Bearer made-up-token"));
    assert_eq!(first.header("X-PARTNER-ID"), Some("client-under-test"));
    assert_ne!(
        first.header("X-EXTERNAL-ID"),
        second.header("X-EXTERNAL-ID")
    );
    let verdict = signature::verify(
        first.signature_parts.as_ref().expect("parts"),
        VerifyingSecret::Hmac(CLIENT_SECRET.as_bytes()),
        first.header("X-SIGNATURE").unwrap_or(""),
    );
    assert_eq!(verdict.map(|v| v.valid), Ok(true));

    let mut asymmetric = profile.clone();
    asymmetric.signature_mode = SignatureMode::Asymmetric;
    let built = client::build(
        &asymmetric,
        &secrets,
        &draft(&asymmetric, "25", &va_payment_body("p-2")),
        None,
        TimestampSource::Now,
    )
    .expect("asymmetric");
    assert!(built.header("Authorization").is_none());
    let text = built.string_to_sign.clone().unwrap_or_default();
    assert!(
        text.starts_with("POST:/api/v1.0/transfer-va/payment:"),
        "{text}"
    );
    let verdict = signature::verify(
        built.signature_parts.as_ref().expect("parts"),
        VerifyingSecret::Rsa(&public_key()),
        built.header("X-SIGNATURE").unwrap_or(""),
    );
    assert_eq!(verdict.map(|v| v.valid), Ok(true));

    let service = client::build(
        &profile,
        &secrets,
        &draft(&profile, "aspi-signature-service", "{}"),
        Some("tok-123"),
        TimestampSource::Now,
    )
    .expect("signature-service");
    assert_eq!(
        names(&service),
        [
            "Content-Type",
            "X-TIMESTAMP",
            "X-CLIENT-SECRET",
            "HttpMethod",
            "EndpoinUrl",
            "AccessToken"
        ]
    );
    assert_eq!(service.header("X-CLIENT-SECRET"), Some(CLIENT_SECRET));
    assert_eq!(service.header("AccessToken"), Some("tok-123"));

    let biller = client::build(
        &profile,
        &secrets,
        &draft(&profile, "biller-trx", "{}"),
        None,
        TimestampSource::Now,
    )
    .expect("biller");
    assert_eq!(names(&biller), ["Content-Type"]);
    assert_eq!(biller.url, "http://127.0.0.1:9/service/in/json");
    assert!(biller.string_to_sign.is_none());
}

#[test]
fn the_signature_covers_the_bytes_sent() {
    let typed = va_payment_body("p-3");
    let built = built_transaction("http://127.0.0.1:9");
    let built_typed = {
        let profile = profile("http://127.0.0.1:9");
        client::build(
            &profile,
            &secrets(),
            &draft(&profile, "25", &typed),
            Some("made-up-token"),
            TimestampSource::Now,
        )
        .expect("builds")
    };
    assert_eq!(built_typed.body, typed.as_bytes(), "sent exactly as typed");
    let minified = minify(&typed, MinifyMode::Lexical).expect("valid JSON");
    let parts = built_typed.signature_parts.as_ref().expect("parts");
    assert_eq!(parts.minified_body.as_deref(), Some(minified.as_str()));
    assert_eq!(
        parts.body_hash.clone().unwrap_or_default(),
        hex::encode(Sha256::digest(minified.as_bytes()))
    );
    assert!(
        built.field_problems.is_empty(),
        "{:?}",
        built.field_problems
    );
}

#[test]
fn overrides_are_sent_and_signed() {
    let profile = profile("http://127.0.0.1:9");
    let mut d = draft(&profile, "25", &va_payment_body("p-4"));
    d.header_overrides = vec![
        HeaderOverride::set("x-timestamp", "2020-01-01T00:00:00+07:00"),
        HeaderOverride::omit("CHANNEL-ID"),
        HeaderOverride::set("X-Custom", "yes"),
    ];
    d.extra_headers = vec![("ORIGIN".into(), "example.test".into())];
    let built =
        client::build(&profile, &secrets(), &d, Some("tok"), TimestampSource::Now).expect("builds");
    assert_eq!(
        built.header("X-TIMESTAMP"),
        Some("2020-01-01T00:00:00+07:00")
    );
    assert!(built.header("CHANNEL-ID").is_none());
    assert_eq!(built.header("X-Custom"), Some("yes"));
    assert_eq!(built.header("ORIGIN"), Some("example.test"));
    let text = built.string_to_sign.clone().unwrap_or_default();
    assert!(text.ends_with(":2020-01-01T00:00:00+07:00"), "{text}");
    let verdict = signature::verify(
        built.signature_parts.as_ref().expect("parts"),
        VerifyingSecret::Hmac(CLIENT_SECRET.as_bytes()),
        built.header("X-SIGNATURE").unwrap_or(""),
    );
    assert_eq!(verdict.map(|v| v.valid), Ok(true));

    // A signature set by hand is sent as is; no key is needed for it.
    let mut d = draft(&profile, "73", "{}");
    d.header_overrides = vec![HeaderOverride::set("X-SIGNATURE", "bm90LWEtc2lnbmF0dXJl")];
    let built = client::build(
        &profile,
        &ProfileSecrets::default(),
        &d,
        None,
        TimestampSource::Now,
    )
    .expect("no key needed");
    assert_eq!(built.header("X-SIGNATURE"), Some("bm90LWEtc2lnbmF0dXJl"));

    // Without the override the missing key is named, and no secret is in the message.
    let err = client::build(
        &profile,
        &ProfileSecrets::default(),
        &draft(&profile, "73", "{}"),
        None,
        TimestampSource::Now,
    )
    .expect_err("no key");
    assert!(matches!(err, BuildError::MissingPrivateKey { .. }), "{err}");
}

/// Issue 11 item 8: `--header 'Authorization: Bearer X'` with no token fetched: the
/// request carries X and its signature covers X, and no warning says otherwise.
#[test]
fn a_bearer_given_as_a_header_is_the_token_signed() {
    let profile = profile("http://127.0.0.1:9");
    let mut d = draft(&profile, "25", &va_payment_body("p-bearer"));
    d.header_overrides = vec![HeaderOverride::set("Authorization", "Bearer given-by-hand")];
    let built =
        client::build(&profile, &secrets(), &d, None, TimestampSource::Now).expect("builds");
    assert_eq!(built.header("Authorization"), Some("Bearer given-by-hand"));
    assert!(
        built
            .warnings
            .iter()
            .all(|w| !w.contains("no access token")),
        "{:?}",
        built.warnings
    );
    let text = built.string_to_sign.clone().unwrap_or_default();
    assert!(text.contains(":given-by-hand:"), "{text}");
    let verdict = signature::verify(
        built.signature_parts.as_ref().expect("parts"),
        VerifyingSecret::Hmac(CLIENT_SECRET.as_bytes()),
        built.header("X-SIGNATURE").unwrap_or(""),
    );
    assert_eq!(verdict.map(|v| v.valid), Ok(true));
}

#[test]
fn field_problems_warn_but_do_not_block() {
    let profile = profile("http://127.0.0.1:9");
    let body = r#"{"partnerServiceId":"12345","paidAmount":{"value":"10000","currency":"IDR"}}"#;
    let built = client::build(
        &profile,
        &secrets(),
        &draft(&profile, "25", body),
        Some("tok"),
        TimestampSource::Fixed("2024-12-01T07:15:00+07:00".into()),
    )
    .expect("still built");
    let fields: Vec<&str> = built
        .field_problems
        .iter()
        .map(|p| p.field.as_str())
        .collect();
    assert!(fields.contains(&"paidAmount.value"), "{fields:?}");
    assert!(fields.contains(&"customerNo"), "{fields:?}");
    assert_eq!(
        built.header("X-TIMESTAMP"),
        Some("2024-12-01T07:15:00+07:00")
    );

    // A body that is not JSON is sent too (testing a 400 is legitimate), signed as typed.
    let built = client::build(
        &profile,
        &secrets(),
        &draft(&profile, "25", "{not json"),
        Some("tok"),
        TimestampSource::Now,
    )
    .expect("still built");
    assert_eq!(built.body, b"{not json");
    assert!(
        built
            .warnings
            .iter()
            .any(|w| w.contains("cannot be minified"))
    );
    assert_eq!(built.field_problems.len(), 1);
}

#[test]
fn nicepay_token_and_transaction_paths() {
    let profile = Profile {
        base_url: "https://dev.nicepay.co.id/nicepay".into(),
        token_path: "/v1.0/access-token/b2b".into(),
        unsigned_path_prefix: "/nicepay".into(),
        ..profile("unused")
    };
    let token = client::build(
        &profile,
        &secrets(),
        &draft(&profile, "73", "{}"),
        None,
        TimestampSource::Now,
    )
    .expect("token");
    assert_eq!(
        token.url,
        "https://dev.nicepay.co.id/nicepay/v1.0/access-token/b2b"
    );
    let create = client::build(
        &profile,
        &secrets(),
        &draft(&profile, "27", "{}"),
        Some("tok"),
        TimestampSource::Now,
    )
    .expect("create VA");
    assert_eq!(
        create.url,
        "https://dev.nicepay.co.id/nicepay/api/v1.0/transfer-va/create-va"
    );
    let text = create.string_to_sign.unwrap_or_default();
    assert!(
        text.starts_with("POST:/api/v1.0/transfer-va/create-va:tok:"),
        "{text}"
    );
}

#[test]
fn the_private_key_does_not_travel_to_a_remote_host_without_a_yes() {
    let remote = profile("https://apidevportal.aspi-indonesia.or.id:44310");
    let mut d = draft(&remote, "aspi-signature-auth", "");
    let err =
        client::build(&remote, &secrets(), &d, None, TimestampSource::Now).expect_err("refused");
    assert!(matches!(err, BuildError::PrivateKeyToRemoteHost { .. }));
    let message = err.to_string();
    assert!(
        message.contains("apidevportal.aspi-indonesia.or.id"),
        "{message}"
    );
    assert!(message.contains("explicit yes"), "{message}");
    assert!(!message.contains("MII"), "no key material in the message");

    d.confirm_private_key_to_remote_host = true;
    let built =
        client::build(&remote, &secrets(), &d, None, TimestampSource::Now).expect("confirmed");
    let expected = std::fs::read_to_string(fixture("test_rsa2048_pkcs8.b64")).expect("b64");
    assert_eq!(built.header("Private_Key"), Some(expected.trim()));
    assert_eq!(
        names(&built),
        ["Content-Type", "X-TIMESTAMP", "X-CLIENT-KEY", "Private_Key"]
    );
    assert!(
        !format!("{built:?}").contains(expected.trim()),
        "Debug redacts"
    );

    let local = profile("http://localhost:8080");
    let built = client::build(
        &local,
        &secrets(),
        &draft(&local, "aspi-signature-auth", ""),
        None,
        TimestampSource::Now,
    );
    assert!(built.is_ok(), "loopback needs no confirmation");
}

#[test]
fn curl_output_is_valid_shell() {
    let profile = profile("http://127.0.0.1:9");
    let body = "{\n  \"virtualAccountName\": \"O'Brien $HOME `id` \\\"q\\\" !x\"\n}";
    let built = client::build(
        &profile,
        &secrets(),
        &draft(&profile, "25", body),
        Some("tok"),
        TimestampSource::Now,
    )
    .expect("builds");
    let command = client::curl(&built);
    assert!(command.starts_with("curl "), "{command}");
    assert!(command.contains("--data-binary"));
    let dir = tempfile::tempdir().expect("tempdir");
    let script = dir.path().join("replay.sh");
    std::fs::write(&script, &command).expect("write");
    let check = std::process::Command::new("bash")
        .arg("-n")
        .arg(&script)
        .output()
        .expect("bash runs");
    assert!(
        check.status.success(),
        "bash -n: {}",
        String::from_utf8_lossy(&check.stderr)
    );
    // The shell hands curl the body byte for byte: echo it back through printf.
    let echoed = std::process::Command::new("bash")
        .arg("-c")
        .arg(format!(
            "printf %s {}",
            snap_console::net::client::curl::quote(body)
        ))
        .output()
        .expect("bash runs");
    assert_eq!(echoed.stdout, body.as_bytes());
}

// ------------------------------------------------------------------------------------------
// Against the local sandbox
// ------------------------------------------------------------------------------------------

async fn start_sandbox(token_ttl: Duration) -> SandboxHandle {
    let notification = keys::parse_private_key(
        &std::fs::read(fixture("test_rsa1024_pkcs8.pem")).expect("fixture"),
        None,
    )
    .expect("parses")
    .key;
    let mut config = SandboxConfig::new(
        "client-under-test",
        Zeroizing::new(CLIENT_SECRET.to_string()),
        public_key(),
        notification,
    );
    config.token_ttl = token_ttl;
    sandbox::start(config).await.expect("sandbox starts")
}

fn token_requests(sandbox: &SandboxHandle) -> usize {
    sandbox
        .recent_requests()
        .iter()
        .filter(|j| j.path.ends_with("/access-token/b2b"))
        .count()
}

#[tokio::test]
async fn the_token_is_fetched_once_and_cached() {
    let sandbox = start_sandbox(Duration::from_secs(900)).await;
    let profile = profile(sandbox.base_url());
    let cache = TokenCache::new();
    let (first, attempt) = cache
        .ensure_token_traced(&http(), &profile, &secrets(), false)
        .await;
    let first = first.expect("token");
    let attempt = attempt.expect("a request was made");
    let response = attempt.response.expect("answered");
    assert_eq!(response.status, 200);
    let summary = describe_response(response.status, &response.headers, &response.body);
    assert_eq!(summary.response_code.as_deref(), Some("2007300"));

    let (second, attempt) = cache
        .ensure_token_traced(&http(), &profile, &secrets(), false)
        .await;
    assert_eq!(second.expect("cached"), first);
    assert!(attempt.is_none(), "no second token request");
    assert_eq!(token_requests(&sandbox), 1);
    let status = cache.status(&profile).expect("cached");
    assert!(!status.refresh_due && status.remaining > Duration::from_secs(800));

    // "Get token" forces a new one.
    let forced = cache
        .ensure_token(&http(), &profile, &secrets(), true)
        .await
        .expect("token");
    assert_ne!(forced, first);
    assert_eq!(token_requests(&sandbox), 2);

    // A profile pointing elsewhere does not reuse it.
    let mut moved = profile.clone();
    moved.base_url = "http://127.0.0.1:1".into();
    let err = cache
        .ensure_token(&http(), &moved, &secrets(), false)
        .await
        .expect_err("nothing there");
    assert_eq!(err.kind(), "connect");
    sandbox.stop().await;
}

#[tokio::test]
async fn the_token_is_refetched_within_a_minute_of_expiry() {
    let sandbox = start_sandbox(Duration::from_secs(45)).await;
    let profile = profile(sandbox.base_url());
    let cache = TokenCache::new();
    let first = cache
        .ensure_token(&http(), &profile, &secrets(), false)
        .await
        .expect("token");
    assert!(cache.status(&profile).is_some_and(|s| s.refresh_due));
    let second = cache
        .ensure_token(&http(), &profile, &secrets(), false)
        .await
        .expect("token");
    assert_ne!(
        first, second,
        "45 s left is inside the 60 s margin: fetched again"
    );
    assert_eq!(token_requests(&sandbox), 2);
    sandbox.stop().await;
}

#[tokio::test]
async fn a_va_payment_typed_with_whitespace_is_accepted() {
    let sandbox = start_sandbox(Duration::from_secs(900)).await;
    let profile = profile(sandbox.base_url());
    let cache = TokenCache::new();
    let token = cache
        .ensure_token(&http(), &profile, &secrets(), false)
        .await
        .expect("token");
    let body = va_payment_body("accept-1");
    let built = client::build(
        &profile,
        &secrets(),
        &draft(&profile, "25", &body),
        Some(&token),
        TimestampSource::Now,
    )
    .expect("builds");
    assert_eq!(built.body, body.as_bytes());
    assert!(body.contains('\n'), "the body sent is not minified");
    let record = client::send(&http(), &built, Duration::from_secs(10))
        .await
        .expect("answered");
    let summary = describe_response(record.status, &record.headers, &record.body);
    assert_eq!(
        (record.status, summary.response_code.as_deref()),
        (200, Some("2002500")),
        "{}",
        String::from_utf8_lossy(&record.body)
    );
    assert_eq!(
        summary.decoded.and_then(|d| d.meaning).as_deref(),
        Some("Successful")
    );
    assert!(summary.pretty_body.is_some());

    // The same exchange replayed from Copy as cURL is accepted too (new external id).
    if std::process::Command::new("curl")
        .arg("--version")
        .output()
        .is_ok()
    {
        let mut d = draft(&profile, "25", &va_payment_body("accept-2"));
        d.method = "POST".into();
        let built = client::build(&profile, &secrets(), &d, Some(&token), TimestampSource::Now)
            .expect("builds");
        let out = tokio::task::spawn_blocking(move || {
            std::process::Command::new("bash")
                .arg("-c")
                .arg(client::curl(&built))
                .output()
        })
        .await
        .expect("joined")
        .expect("curl runs");
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains("2002500"), "{text}");
    }
    sandbox.stop().await;
}

#[tokio::test]
async fn a_wrong_timestamp_override_is_rejected_by_the_sandbox() {
    let sandbox = start_sandbox(Duration::from_secs(900)).await;
    sandbox.set_explain(true);
    let profile = profile(sandbox.base_url());
    let token = TokenCache::new()
        .ensure_token(&http(), &profile, &secrets(), false)
        .await
        .expect("token");
    for (timestamp, expected) in [
        ("2020-01-01T00:00:00+07:00", "4012500"),
        ("yesterday", "4002501"),
    ] {
        let mut d = draft(&profile, "25", &va_payment_body(timestamp));
        d.header_overrides = vec![HeaderOverride::set("X-TIMESTAMP", timestamp)];
        let built = client::build(&profile, &secrets(), &d, Some(&token), TimestampSource::Now)
            .expect("builds");
        assert_eq!(built.header("X-TIMESTAMP"), Some(timestamp));
        let record = client::send(&http(), &built, Duration::from_secs(10))
            .await
            .expect("answered");
        let summary = describe_response(record.status, &record.headers, &record.body);
        assert_eq!(
            summary.response_code.as_deref(),
            Some(expected),
            "{}",
            String::from_utf8_lossy(&record.body)
        );
        assert!(!summary.explain.is_empty(), "explain headers shown");
    }
    sandbox.stop().await;
}
