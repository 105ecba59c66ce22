//! Load on the local sandbox: 20,000 signed VA payments (each with its own X-EXTERNAL-ID
//! and paymentRequestId) at concurrency 32 over loopback, after one access token. Stops by
//! itself: at the count, or at the time limit (which then fails). Asserts zero errors and
//! prints requests/s and latency percentiles.
//!
//! `cargo bench --bench sandbox_load` (release). The client runs in the same process and
//! shares the machine's cores with the server, so the figures are a floor, not a ceiling.

// Test, bench and example code may panic: a failed expectation is the point.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::too_many_lines
)]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use snap_console::net::sandbox::{self, SandboxConfig};
use snap_console::snap::minify::MinifyMode;
use snap_console::snap::signature::{self, SignatureInput, SignatureKind, SigningSecret};
use snap_console::snap::timestamp;

const TOTAL: usize = 20_000;
const CONCURRENCY: usize = 32;
const TIME_LIMIT: Duration = Duration::from_secs(300);
const PAYMENT: &str = "/api/v1.0/transfer-va/payment";

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    runtime.block_on(run());
}

struct Client {
    http: reqwest::Client,
    base: String,
    client_id: String,
    secret: String,
    token: String,
}

impl Client {
    /// One signed payment; Ok(latency) when the sandbox answered 200 / 2002500.
    async fn pay(&self, i: usize) -> Result<Duration, String> {
        let body = json!({
            "partnerServiceId": "   12345",
            "customerNo": format!("{:010}", i % 1000),
            "virtualAccountNo": format!("   12345{:010}", i % 1000),
            "paymentRequestId": format!("bench-{i}"),
            "paidAmount": {"value": "10000.00", "currency": "IDR"},
            "trxDateTime": "2024-12-01T07:15:00+07:00"
        })
        .to_string();
        let ts = timestamp::now_jakarta();
        let input = SignatureInput {
            kind: SignatureKind::Symmetric,
            method: "POST".into(),
            path: PAYMENT.into(),
            access_token: self.token.clone(),
            body: body.clone(),
            timestamp: ts.clone(),
            minify: MinifyMode::Lexical,
            ..SignatureInput::default()
        };
        let prepared = signature::prepare(&input).map_err(|e| e.to_string())?;
        let signature = signature::sign(&prepared, SigningSecret::Hmac(self.secret.as_bytes()))
            .map_err(|e| e.to_string())?;
        let started = Instant::now();
        let response = self
            .http
            .post(format!("{}{PAYMENT}", self.base))
            .header("Content-Type", "application/json")
            .header("Authorization", format!("Bearer {}", self.token))
            .header("X-TIMESTAMP", ts)
            .header("X-SIGNATURE", signature)
            .header("X-PARTNER-ID", &self.client_id)
            .header("X-EXTERNAL-ID", timestamp::new_external_id(32))
            .header("CHANNEL-ID", "95221")
            .body(body)
            .send()
            .await
            .map_err(|e| e.to_string())?;
        let status = response.status().as_u16();
        let text = response.text().await.map_err(|e| e.to_string())?;
        let latency = started.elapsed();
        let code = serde_json::from_str::<Value>(&text)
            .ok()
            .and_then(|v| v["responseCode"].as_str().map(str::to_string));
        if status == 200 && code.as_deref() == Some("2002500") {
            Ok(latency)
        } else {
            Err(format!("HTTP {status}: {text}"))
        }
    }
}

async fn token(
    http: &reqwest::Client,
    base: &str,
    client_id: &str,
    key: &rsa::RsaPrivateKey,
) -> String {
    let ts = timestamp::now_jakarta();
    let input = SignatureInput {
        kind: SignatureKind::B2bToken,
        client_id: client_id.into(),
        timestamp: ts.clone(),
        ..SignatureInput::default()
    };
    let prepared = signature::prepare(&input).expect("prepare");
    let signature = signature::sign(&prepared, SigningSecret::Rsa(key)).expect("sign");
    let text = http
        .post(format!("{base}/api/v1.0/access-token/b2b"))
        .header("Content-Type", "application/json")
        .header("X-TIMESTAMP", ts)
        .header("X-CLIENT-KEY", client_id)
        .header("X-SIGNATURE", signature)
        .body(r#"{"grantType":"client_credentials"}"#)
        .send()
        .await
        .expect("token request")
        .text()
        .await
        .expect("token body");
    let body: Value = serde_json::from_str(&text).expect("token json");
    body["accessToken"]
        .as_str()
        .expect("accessToken")
        .to_string()
}

async fn run() {
    let (config, partner) = SandboxConfig::generate().expect("credentials");
    let secret = config.client_secret.to_string();
    let handle = sandbox::start(config).await.expect("sandbox starts");
    let http = reqwest::Client::builder()
        .no_proxy()
        .pool_max_idle_per_host(CONCURRENCY)
        .timeout(Duration::from_secs(30))
        .build()
        .expect("client");
    let base = handle.base_url().to_string();
    let client_id = handle.client_id().to_string();
    let token = token(&http, &base, &client_id, &partner).await;
    let client = Arc::new(Client {
        http,
        base,
        client_id,
        secret,
        token,
    });

    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..CONCURRENCY {
        let (client, next) = (client.clone(), next.clone());
        workers.spawn(async move {
            let mut latencies = Vec::with_capacity(TOTAL / CONCURRENCY + 1);
            let mut errors = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= TOTAL || started.elapsed() > TIME_LIMIT {
                    break;
                }
                match client.pay(i).await {
                    Ok(latency) => latencies.push(latency),
                    Err(error) => errors.push(error),
                }
            }
            (latencies, errors)
        });
    }
    let mut latencies = Vec::with_capacity(TOTAL);
    let mut errors = Vec::new();
    while let Some(done) = workers.join_next().await {
        let (l, e) = done.expect("worker");
        latencies.extend(l);
        errors.extend(e);
    }
    let elapsed = started.elapsed();
    handle.stop().await;

    latencies.sort_unstable();
    let percentile = |p: f64| {
        let index = ((latencies.len() as f64 * p).ceil() as usize).saturating_sub(1);
        latencies.get(index).copied().unwrap_or_default()
    };
    let done = latencies.len() + errors.len();
    println!(
        "sandbox_load: {done} VA payments at concurrency {CONCURRENCY} in {:.2} s: {:.0} requests/s; latency p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms; {} errors",
        elapsed.as_secs_f64(),
        done as f64 / elapsed.as_secs_f64(),
        percentile(0.50).as_secs_f64() * 1000.0,
        percentile(0.99).as_secs_f64() * 1000.0,
        latencies.last().copied().unwrap_or_default().as_secs_f64() * 1000.0,
        errors.len()
    );
    assert!(
        errors.is_empty(),
        "{} errors, first: {:?}",
        errors.len(),
        errors.first()
    );
    assert_eq!(done, TOTAL, "stopped by the {TIME_LIMIT:?} time limit");
}
