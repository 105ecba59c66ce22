//! The inbox end to end: real HTTP on loopback, real keys, the real binary for the CLI.
//! Every test is bounded in time; a hang fails it instead of stalling the suite.

// Test, bench and example code may panic: a failed expectation is the point.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::too_many_lines
)]

use std::future::Future;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use snap_console::net::inbox::{
    self, AnswerRule, InboxConfig, InboxHandle, Received, TestNotification, VerificationKeys,
    sample_va_payment_notification, send_test_notification,
};
use snap_console::snap::keys::{self, RsaPrivateKey, RsaPublicKey};
use snap_console::snap::signature::{self, SignatureInput, SignatureKind, SigningSecret};
use snap_console::snap::timestamp;
use tokio::net::TcpStream;
use tokio::sync::broadcast;
use zeroize::Zeroizing;

#[path = "common/servers.rs"]
mod servers;
use servers::raw_exchange;

const PAYMENT: &str = "/api/v1.0/transfer-va/payment";
const CLIENT_ID: &str = "IONPAYTEST";
/// Generous for a loaded 2-core machine, small enough that a hang is noticed.
const TEST_LIMIT: Duration = Duration::from_secs(60);
const WAIT: Duration = Duration::from_secs(10);

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/keys")
        .join(name)
}

fn private_key(name: &str) -> RsaPrivateKey {
    let bytes = std::fs::read(fixture(name)).expect("fixture key readable");
    keys::parse_private_key(&bytes, None)
        .expect("fixture key parses")
        .key
}

/// The provider's notification key.
fn provider_key() -> RsaPrivateKey {
    private_key("test_rsa2048_pkcs8.pem")
}

/// Someone else's key.
fn other_key() -> RsaPrivateKey {
    private_key("test_rsa1024_pkcs8.pem")
}

fn keys_for(public: RsaPublicKey) -> VerificationKeys {
    VerificationKeys {
        counterparty_public_key: Some(public),
        client_secret: Some(Zeroizing::new("inbox-test-client-secret".to_string())),
        expected_client_id: Some(CLIENT_ID.to_string()),
    }
}

/// Short timeouts so the stall tests finish quickly.
fn config(keys: VerificationKeys) -> InboxConfig {
    InboxConfig {
        verification: keys,
        header_read_timeout: Duration::from_millis(800),
        body_read_timeout: Duration::from_millis(800),
        ..InboxConfig::default()
    }
}

async fn start(keys: VerificationKeys) -> InboxHandle {
    inbox::start(config(keys)).await.expect("inbox starts")
}

fn bounded<F: Future>(test: F) -> F::Output {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        tokio::time::timeout(TEST_LIMIT, test)
            .await
            .expect("the test finished in time")
    })
}

/// The next request the inbox reports, or a failure after [`WAIT`].
async fn next(events: &mut broadcast::Receiver<Received>) -> Received {
    tokio::time::timeout(WAIT, events.recv())
        .await
        .expect("a request arrived in time")
        .expect("the inbox is running")
}

fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .timeout(WAIT)
        .build()
        .expect("client")
}

fn notification(url: &str, key: RsaPrivateKey, body: String) -> TestNotification {
    TestNotification {
        url: url.to_string(),
        client_id: CLIENT_ID.to_string(),
        private_key: key,
        body,
        timestamp: None,
        timeout: WAIT,
    }
}

fn json_of(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

fn code_of(text: &str) -> String {
    json_of(text)["responseCode"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

/// A good notification right after something bad: the listener still serves and verifies.
async fn still_serving(inbox: &InboxHandle, events: &mut broadcast::Receiver<Received>) {
    let sent = send_test_notification(&notification(
        &inbox.base_url(),
        provider_key(),
        sample_va_payment_notification("   12345", "0042"),
    ))
    .await
    .expect("a good notification is answered");
    assert_eq!(sent.status, 200, "{}", sent.body);
    let received = next(events).await;
    assert_eq!(
        received.verdict.signature_valid,
        Some(true),
        "{:?}",
        received.verdict
    );
}

/// Sign `METHOD:path:bodyHash:timestamp` (the asymmetric transaction rule).
fn asymmetric_signature(
    key: &RsaPrivateKey,
    method: &str,
    path: &str,
    body: &str,
    ts: &str,
) -> String {
    let prepared = signature::prepare(&SignatureInput {
        kind: SignatureKind::AsymmetricTransaction,
        timestamp: ts.to_string(),
        method: method.to_string(),
        path: path.to_string(),
        body: body.to_string(),
        ..SignatureInput::default()
    })
    .expect("prepare");
    signature::sign(&prepared, SigningSecret::Rsa(key)).expect("sign")
}

#[test]
fn a_notification_signed_with_the_provider_key_verifies_and_is_echoed() {
    bounded(async {
        let provider = provider_key();
        let inbox = start(keys_for(provider.to_public_key())).await;
        let mut events = inbox.subscribe();
        let body = sample_va_payment_notification("   12345", "0001");
        let trx_id = json_of(&body)["trxId"]
            .as_str()
            .unwrap_or_default()
            .to_string();

        let sent = send_test_notification(&notification(&inbox.base_url(), provider, body))
            .await
            .expect("answered");
        assert!(sent.url.ends_with(PAYMENT), "{}", sent.url);
        assert_eq!(sent.status, 200);
        assert_eq!(code_of(&sent.body), "2002500");
        assert_eq!(
            json_of(&sent.body)["virtualAccountData"]["trxId"],
            trx_id.as_str()
        );
        assert!(
            sent.headers.iter().any(|(n, _)| n == "x-timestamp"),
            "{:?}",
            sent.headers
        );

        let received = next(&mut events).await;
        assert_eq!(received.method, "POST");
        assert_eq!(received.path, PAYMENT);
        assert_eq!(received.service.as_deref(), Some("25 VA Payment"));
        assert_eq!(
            received.verdict.signature_valid,
            Some(true),
            "{}",
            received.verdict.detail
        );
        assert_eq!(received.verdict.variant.as_deref(), Some("notification"));
        assert!(
            received
                .verdict
                .detail
                .contains(&format!("over {CLIENT_ID}|")),
            "{}",
            received.verdict.detail
        );
        let skew = received.verdict.skew_seconds.expect("skew measured");
        assert!(skew.abs() <= 5, "skew {skew}");
        assert_eq!(received.answered_status, 200);
        assert_eq!(code_of(&received.answered_body), "2002500");
        assert_eq!(inbox.received().len(), 1);
        inbox.stop().await;
    });
}

#[test]
fn a_wrong_key_or_a_tampered_request_is_refused_401_unless_the_path_accepts_anyway() {
    bounded(async {
        let provider = provider_key();
        // The inbox knows another provider's key.
        let inbox = start(keys_for(other_key().to_public_key())).await;
        let mut events = inbox.subscribe();
        let sent = send_test_notification(&notification(
            &inbox.base_url(),
            provider.clone(),
            sample_va_payment_notification("   12345", "0002"),
        ))
        .await
        .expect("answered");
        // Refused like a correct merchant refuses it, with the reason in the list.
        assert_eq!(
            (sent.status, code_of(&sent.body)),
            (401, "4012500".to_string())
        );
        assert!(
            sent.body.contains("Unauthorized. Invalid Signature"),
            "{}",
            sent.body
        );
        let received = next(&mut events).await;
        assert_eq!(
            received.verdict.signature_valid,
            Some(false),
            "{}",
            received.verdict.detail
        );
        assert!(
            received.verdict.detail.contains("does not verify"),
            "{}",
            received.verdict.detail
        );
        assert!(
            received
                .rejection
                .as_deref()
                .is_some_and(|r| r.contains("does not verify")),
            "{:?}",
            received.rejection
        );

        // "Accept anyway" on the path: the provider's happy path with keys not yet matched.
        inbox.set_accept_invalid(PAYMENT, true);
        let sent = send_test_notification(&notification(
            &inbox.base_url(),
            provider.clone(),
            sample_va_payment_notification("   12345", "0012"),
        ))
        .await
        .expect("answered");
        assert_eq!(
            (sent.status, code_of(&sent.body)),
            (200, "2002500".to_string())
        );
        let received = next(&mut events).await;
        assert_eq!(received.verdict.signature_valid, Some(false));
        assert!(received.rejection.is_none());
        inbox.set_accept_invalid(PAYMENT, false);

        // The right key now; a header changed after signing.
        inbox.set_verification(keys_for(provider.to_public_key()), Default::default());
        let ts = timestamp::now_jakarta();
        let signed = signature::prepare(&SignatureInput {
            kind: SignatureKind::Notification,
            client_id: CLIENT_ID.into(),
            timestamp: ts.clone(),
            ..SignatureInput::default()
        })
        .and_then(|p| signature::sign(&p, SigningSecret::Rsa(&provider)))
        .expect("sign");
        let answer = http()
            .post(format!("{}{PAYMENT}", inbox.base_url()))
            .header(
                "X-TIMESTAMP",
                timestamp::format_jakarta(chrono::Utc::now() - chrono::Duration::seconds(7)),
            )
            .header("X-CLIENT-KEY", CLIENT_ID)
            .header("X-SIGNATURE", &signed)
            .body(sample_va_payment_notification("   12345", "0003"))
            .send()
            .await
            .expect("answered");
        assert_eq!(answer.status(), 401);
        let received = next(&mut events).await;
        assert_eq!(
            received.verdict.signature_valid,
            Some(false),
            "{}",
            received.verdict.detail
        );

        // The asymmetric transaction rule covers the body: a changed body fails it.
        let path = "/api/v1.0/debit/notify";
        let body =
            r#"{"originalPartnerReferenceNo":"R1","amount":{"value":"10000.00","currency":"IDR"}}"#;
        let ts = timestamp::now_jakarta();
        let sig = asymmetric_signature(&provider, "POST", path, body, &ts);
        for (sent_body, valid, answered) in [
            (body.to_string(), true, (200, "2005600")),
            (body.replace("10000", "90000"), false, (401, "4015600")),
        ] {
            let answer = http()
                .post(format!("{}{path}", inbox.base_url()))
                .header("X-TIMESTAMP", &ts)
                .header("X-SIGNATURE", &sig)
                .header("X-PARTNER-ID", CLIENT_ID)
                .body(sent_body)
                .send()
                .await
                .expect("answered");
            let status = answer.status().as_u16();
            let text = answer.text().await.unwrap_or_default();
            assert_eq!((status, code_of(&text).as_str()), answered);
            let received = next(&mut events).await;
            assert_eq!(
                received.verdict.signature_valid,
                Some(valid),
                "{}",
                received.verdict.detail
            );
            if valid {
                assert_eq!(
                    received.verdict.variant.as_deref(),
                    Some("asymmetric-transaction")
                );
            }
        }
        inbox.stop().await;
    });
}

/// A provider retries: the same notification again gets the first answer, marked duplicate
/// (a merchant must not book a payment twice); a new paymentRequestId is a new payment.
#[test]
fn a_repeated_notification_gets_the_first_answer_and_is_marked_duplicate() {
    bounded(async {
        let inbox = start(keys_for(provider_key().to_public_key())).await;
        let mut events = inbox.subscribe();
        let body = sample_va_payment_notification("   12345", "0777");
        let first = send_test_notification(&notification(
            &inbox.base_url(),
            provider_key(),
            body.clone(),
        ))
        .await
        .expect("answered");
        assert_eq!(first.status, 200, "{}", first.body);
        assert!(!next(&mut events).await.duplicate);
        let again = send_test_notification(&notification(&inbox.base_url(), provider_key(), body))
            .await
            .expect("answered");
        assert_eq!((again.status, &again.body), (first.status, &first.body));
        let received = next(&mut events).await;
        assert!(received.duplicate, "{}", received.answer_rule);
        assert!(received.summary_text().contains("duplicate"));
        let other = send_test_notification(&notification(
            &inbox.base_url(),
            provider_key(),
            sample_va_payment_notification("   12345", "0778"),
        ))
        .await
        .expect("answered");
        assert_eq!(other.status, 200);
        assert!(!next(&mut events).await.duplicate);
        inbox.stop().await;
    });
}

#[test]
fn malformed_requests_get_clear_answers_and_the_listener_keeps_serving() {
    bounded(async {
        let inbox = start(keys_for(provider_key().to_public_key())).await;
        let mut events = inbox.subscribe();
        let addr = inbox.addr();

        // No headers at all (not even Host).
        let (text, _) = raw_exchange(
            addr,
            format!(
                "POST {PAYMENT} HTTP/1.1\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{{}}"
            )
            .as_bytes(),
            WAIT,
        )
        .await;
        // Unsigned and untimed: refused like a merchant refuses it.
        assert!(text.starts_with("HTTP/1.1 401"), "{text}");
        assert!(text.contains("4012500"), "{text}");
        let received = next(&mut events).await;
        assert_eq!(received.verdict.signature_valid, Some(false));
        assert!(
            received.verdict.detail.contains("no X-SIGNATURE"),
            "{}",
            received.verdict.detail
        );
        still_serving(&inbox, &mut events).await;

        // An unknown path.
        let (text, _) = raw_exchange(addr, b"GET /favicon.ico HTTP/1.0\r\n\r\n", WAIT).await;
        assert!(
            text.starts_with("HTTP/1.0 404") || text.starts_with("HTTP/1.1 404"),
            "{text}"
        );
        assert!(text.contains("Invalid Routing"), "{text}");
        next(&mut events).await;

        // A body over 1 MB.
        let answer = http()
            .post(format!("{}{PAYMENT}", inbox.base_url()))
            .body(vec![b'x'; inbox::DEFAULT_BODY_LIMIT + 1])
            .send()
            .await
            .expect("answered, not reset");
        assert_eq!(answer.status(), 413);
        let text = answer.text().await.unwrap_or_default();
        assert_eq!(code_of(&text), "4132500", "{text}");
        assert!(text.contains("1048576"), "{text}");
        let received = next(&mut events).await;
        assert_eq!(received.answered_status, 413);
        assert!(received.body_truncated);
        assert_eq!(received.body_bytes, inbox::DEFAULT_BODY_LIMIT + 1);
        assert_eq!(received.verdict.signature_valid, None);
        still_serving(&inbox, &mut events).await;

        // Not JSON (the path accepts unsigned requests here, so the body's answer shows).
        inbox.set_accept_invalid(PAYMENT, true);
        let answer = http()
            .post(format!("{}{PAYMENT}", inbox.base_url()))
            .body("{\"trxId\": \"T1\",\n oops}")
            .send()
            .await
            .expect("answered");
        assert_eq!(answer.status(), 400);
        let text = answer.text().await.unwrap_or_default();
        assert_eq!(code_of(&text), "4002500", "{text}");
        assert!(text.contains("line 2, column 2"), "{text}");
        next(&mut events).await;
        inbox.set_accept_invalid(PAYMENT, false);
        still_serving(&inbox, &mut events).await;

        // A client that stalls mid-body: 408 after the body timeout, then closed.
        let started = Instant::now();
        let (text, closed) = raw_exchange(
            addr,
            format!(
                "POST {PAYMENT} HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{{\"trxId\":"
            )
            .as_bytes(),
            WAIT,
        )
        .await;
        assert!(text.starts_with("HTTP/1.1 408"), "{text}");
        assert!(text.contains("stopped arriving"), "{text}");
        assert!(closed, "the connection is closed");
        assert!(started.elapsed() < WAIT);
        let received = next(&mut events).await;
        assert_eq!(received.answered_status, 408);
        still_serving(&inbox, &mut events).await;

        // A client that stalls mid-head: closed after the header timeout, nothing recorded.
        let started = Instant::now();
        let (_, closed) = raw_exchange(
            addr,
            format!("POST {PAYMENT} HTTP/1.1\r\nHost: x\r\nX-TIMES").as_bytes(),
            WAIT,
        )
        .await;
        assert!(closed, "a stalled head is closed");
        assert!(started.elapsed() < WAIT);
        still_serving(&inbox, &mut events).await;

        // Not HTTP at all.
        let (text, closed) = raw_exchange(addr, b"\x16\x03\x01 hello?\r\n\r\n", WAIT).await;
        assert!(closed);
        assert!(
            text.is_empty() || text.starts_with("HTTP/1.1 400"),
            "{text}"
        );
        still_serving(&inbox, &mut events).await;
        inbox.stop().await;
    });
}

#[test]
fn canned_failures_are_answered_as_configured() {
    bounded(async {
        let provider = provider_key();
        let inbox = start(keys_for(provider.to_public_key())).await;
        let mut events = inbox.subscribe();
        let send = || {
            let n = notification(
                &inbox.base_url(),
                provider.clone(),
                sample_va_payment_notification("   12345", "0099"),
            );
            async move { send_test_notification(&n).await }
        };

        inbox
            .set_answer(
                PAYMENT,
                AnswerRule::Slow {
                    delay: Duration::from_millis(400),
                    then: Box::new(AnswerRule::Default),
                },
            )
            .expect("rule accepted");
        let started = Instant::now();
        let sent = send().await.expect("answered");
        assert!(started.elapsed() >= Duration::from_millis(400));
        assert_eq!(
            (sent.status, code_of(&sent.body)),
            (200, "2002500".to_string())
        );
        let received = next(&mut events).await;
        assert_eq!(received.answer_delay_ms, 400);
        assert!(
            received.answer_rule.starts_with("slow"),
            "{}",
            received.answer_rule
        );

        inbox
            .set_answer(PAYMENT, AnswerRule::ServerError)
            .expect("rule accepted");
        let sent = send().await.expect("answered");
        assert_eq!(
            (sent.status, code_of(&sent.body)),
            (500, "5002500".to_string())
        );
        next(&mut events).await;

        // The signature is fine; the rule says to refuse it anyway.
        inbox
            .set_answer(PAYMENT, AnswerRule::InvalidSignature)
            .expect("rule accepted");
        let sent = send().await.expect("answered");
        assert_eq!(
            (sent.status, code_of(&sent.body)),
            (401, "4012500".to_string())
        );
        assert!(sent.body.contains("Invalid Signature"), "{}", sent.body);
        let received = next(&mut events).await;
        assert_eq!(received.verdict.signature_valid, Some(true));
        assert_eq!(received.answered_status, 401);

        inbox
            .set_answer(
                PAYMENT,
                AnswerRule::Template {
                    status: 202,
                    body: r#"{"responseCode":"2022500","responseMessage":"Request In Progress","trxId":"{{request:/trxId}}"}"#.into(),
                },
            )
            .expect("rule accepted");
        let sent = send().await.expect("answered");
        assert_eq!(sent.status, 202);
        assert!(
            json_of(&sent.body)["trxId"]
                .as_str()
                .is_some_and(|t| t.starts_with("INBOX")),
            "{}",
            sent.body
        );
        next(&mut events).await;
        assert_eq!(inbox.answers().len(), 1);

        assert!(
            inbox
                .set_answer(
                    PAYMENT,
                    AnswerRule::Template {
                        status: 42,
                        body: String::new()
                    }
                )
                .is_err()
        );
        inbox
            .set_answer(PAYMENT, AnswerRule::Default)
            .expect("rule removed");
        assert!(inbox.answers().is_empty());
        let sent = send().await.expect("answered");
        assert_eq!(
            (sent.status, code_of(&sent.body)),
            (200, "2002500".to_string())
        );
        inbox.stop().await;
    });
}

#[test]
fn merchant_hosted_token_inquiry_and_the_biller_callback() {
    bounded(async {
        let provider = provider_key();
        let inbox = start(keys_for(provider.to_public_key())).await;
        let mut events = inbox.subscribe();
        let base = inbox.base_url();

        // The provider asks the merchant for a token (clientId|timestamp, SHA256withRSA).
        let ts = timestamp::now_jakarta();
        let token_sig = signature::prepare(&SignatureInput {
            kind: SignatureKind::B2bToken,
            client_id: CLIENT_ID.into(),
            timestamp: ts.clone(),
            ..SignatureInput::default()
        })
        .and_then(|p| signature::sign(&p, SigningSecret::Rsa(&provider)))
        .expect("sign");
        let answer = http()
            .post(format!("{base}/api/v1.0/access-token/b2b"))
            .header("Content-Type", "application/json")
            .header("X-TIMESTAMP", &ts)
            .header("X-CLIENT-KEY", CLIENT_ID)
            .header("X-SIGNATURE", &token_sig)
            .body(r#"{"grantType":"client_credentials"}"#)
            .send()
            .await
            .expect("answered");
        assert_eq!(answer.status(), 200);
        let text = answer.text().await.unwrap_or_default();
        let token_answer = json_of(&text);
        assert_eq!(token_answer["responseCode"], "2007300");
        assert_eq!(token_answer["expiresIn"], "900");
        let token = token_answer["accessToken"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        assert!(token.len() >= 32, "{text}");
        let received = next(&mut events).await;
        assert_eq!(
            received.verdict.signature_valid,
            Some(true),
            "{}",
            received.verdict.detail
        );
        assert_eq!(received.verdict.variant.as_deref(), Some("b2b-token"));

        // Then a VA inquiry signed symmetrically with that token and the client secret.
        let path = "/api/v1.0/transfer-va/inquiry";
        let body = r#"{"partnerServiceId":"   12345","customerNo":"0007","virtualAccountNo":"   123450007","inquiryRequestId":"INQ-1"}"#;
        let ts = timestamp::now_jakarta();
        let sig = signature::prepare(&SignatureInput {
            kind: SignatureKind::Symmetric,
            timestamp: ts.clone(),
            method: "POST".into(),
            path: path.into(),
            access_token: token.clone(),
            body: body.into(),
            ..SignatureInput::default()
        })
        .and_then(|p| signature::sign(&p, SigningSecret::Hmac(b"inbox-test-client-secret")))
        .expect("sign");
        let answer = http()
            .post(format!("{base}{path}"))
            .header("X-TIMESTAMP", &ts)
            .header("X-SIGNATURE", &sig)
            .header("X-PARTNER-ID", CLIENT_ID)
            .header("Authorization", format!("Bearer {token}"))
            .body(body)
            .send()
            .await
            .expect("answered");
        assert_eq!(answer.status(), 200);
        let inquiry = json_of(&answer.text().await.unwrap_or_default());
        assert_eq!(inquiry["responseCode"], "2002400");
        assert_eq!(inquiry["virtualAccountData"]["inquiryStatus"], "00");
        assert_eq!(inquiry["virtualAccountData"]["inquiryRequestId"], "INQ-1");
        assert!(inquiry["virtualAccountData"]["billDetails"].is_array());
        let received = next(&mut events).await;
        assert_eq!(
            received.verdict.signature_valid,
            Some(true),
            "{}",
            received.verdict.detail
        );
        assert_eq!(received.verdict.variant.as_deref(), Some("symmetric"));
        assert!(
            !received.verdict.detail.contains(&token),
            "the token is not shown"
        );
        let shown = received.headers_for_display();
        assert!(
            !format!("{shown:?}").contains(&token),
            "the token is hidden on screen"
        );

        // The biller's reversal callback: a GET, unsigned, answered with a plain OK.
        let answer = http()
            .get(format!("{base}/biller/reversal?status=0&refid=22110111373985338&product=banktrf&qty=1&dest=2222222222&message=Transaksi+s5.2222222222+SUKSES"))
            .send()
            .await
            .expect("answered");
        assert_eq!(answer.status(), 200);
        assert_eq!(answer.text().await.unwrap_or_default(), "OK");
        let received = next(&mut events).await;
        assert_eq!(received.verdict.signature_valid, None);
        assert_eq!(
            received.verdict.variant.as_deref(),
            Some("biller-callback (unsigned)")
        );
        assert!(
            received.verdict.detail.contains("refid 22110111373985338"),
            "{}",
            received.verdict.detail
        );
        assert!(
            received.verdict.detail.contains("SUKSES"),
            "{}",
            received.verdict.detail
        );
        inbox.stop().await;
    });
}

#[test]
fn the_list_is_bounded_stop_frees_the_port_and_a_wide_bind_warns() {
    bounded(async {
        let inbox = inbox::start(InboxConfig {
            max_kept: 3,
            ..config(VerificationKeys::default())
        })
        .await
        .expect("starts");
        assert!(inbox.warning().is_none());
        let mut events = inbox.subscribe();
        for n in 0..5 {
            let answer = http()
                .post(format!("{}/api/v1.0/qr/qr-mpm-notify", inbox.base_url()))
                .body(json!({"n": n}).to_string())
                .send()
                .await
                .expect("answered");
            assert_eq!(answer.status(), 200);
            let received = next(&mut events).await;
            assert_eq!(code_of(&received.answered_body), "2005200");
            // No key configured: the verdict says so instead of "invalid".
            assert!(
                received.verdict.detail.contains("no X-SIGNATURE"),
                "{}",
                received.verdict.detail
            );
        }
        let ids: Vec<u64> = inbox.received().iter().map(|r| r.id).collect();
        assert_eq!(ids, vec![3, 4, 5]);
        inbox.clear_received();
        assert!(inbox.received().is_empty());

        let addr = inbox.addr();
        inbox.stop().await;
        assert!(
            TcpStream::connect(addr).await.is_err(),
            "the port is closed after stop"
        );

        let wide = inbox::start(InboxConfig {
            bind: "0.0.0.0".parse().expect("ip"),
            ..config(VerificationKeys::default())
        })
        .await
        .expect("starts");
        assert!(wide.warning().is_some_and(|w| w.contains("0.0.0.0")));
        assert!(
            wide.base_url().starts_with("http://127.0.0.1:"),
            "{}",
            wide.base_url()
        );
        wide.stop().await;
    });
}

/// Lines a child writes, read on a thread so that waiting for one is bounded.
fn line_reader(stream: impl std::io::Read + Send + 'static) -> std::sync::mpsc::Receiver<String> {
    use std::io::BufRead;
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stream).lines() {
            let Ok(line) = line else { return };
            if tx.send(line).is_err() {
                return;
            }
        }
    });
    rx
}

fn next_line(lines: &std::sync::mpsc::Receiver<String>, what: &str) -> String {
    lines
        .recv_timeout(WAIT)
        .unwrap_or_else(|e| panic!("no {what} within {WAIT:?}: {e}"))
}

/// Kills the child if the test fails before it exits.
struct ChildGuard(std::process::Child);

impl Drop for ChildGuard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn the_cli_prints_one_json_line_per_request_records_history_and_stops_on_ctrl_c() {
    use snap_console::store::history::{Direction, HistoryStore};
    use std::process::{Command, Stdio};

    let home = tempfile::tempdir().expect("temp dir");
    let token = "provider-bearer-token-0123456789";
    let child = Command::new(env!("CARGO_BIN_EXE_snap-console"))
        .args(["inbox", "--json", "--port", "0", "--client-id", CLIENT_ID])
        .arg("--public-key")
        .arg(fixture("test_rsa2048_public_spki.pem"))
        .args(["--client-secret-env", "INBOX_TEST_SECRET"])
        .env("INBOX_TEST_SECRET", "inbox-cli-client-secret")
        .env("SNAP_CONSOLE_HOME", home.path())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary starts");
    let mut child = ChildGuard(child);
    let stdout = line_reader(child.0.stdout.take().expect("stdout"));
    let stderr = line_reader(child.0.stderr.take().expect("stderr"));

    // The URL goes to stderr, so stdout is only JSON lines.
    let url = loop {
        let line = next_line(&stderr, "listening line");
        if let Some(at) = line.find("http://") {
            break line[at..].trim().to_string();
        }
    };

    bounded(async {
        let sent = send_test_notification(&notification(
            &url,
            provider_key(),
            sample_va_payment_notification("   12345", "0555"),
        ))
        .await
        .expect("answered");
        assert_eq!(sent.status, 200, "{}", sent.body);
        // A symmetric-style notify with a bearer token, which the history must not keep.
        let answer = http()
            .post(format!("{url}/api/v1.0/debit/notify"))
            .header("Authorization", format!("Bearer {token}"))
            .header("X-TIMESTAMP", timestamp::now_jakarta())
            .header("X-SIGNATURE", "bm90IGEgc2lnbmF0dXJl")
            .body(format!(r#"{{"note":"{token}"}}"#))
            .send()
            .await
            .expect("answered");
        // Refused like a merchant refuses it, and the JSON line says why.
        assert_eq!(answer.status(), 401);
    });

    let first = json_of(&next_line(&stdout, "first JSON line"));
    assert_eq!(first["method"], "POST");
    assert_eq!(first["path"], PAYMENT);
    assert_eq!(first["signatureValid"], true, "{first}");
    assert_eq!(first["variant"], "notification");
    assert_eq!(first["answeredStatus"], 200);
    assert!(first["skewSeconds"].is_i64(), "{first}");
    assert!(
        first["time"]
            .as_str()
            .is_some_and(|t| t.ends_with("+07:00")),
        "{first}"
    );
    let second = json_of(&next_line(&stdout, "second JSON line"));
    assert_eq!(second["signatureValid"], false, "{second}");
    assert_eq!(second["answeredStatus"], 401, "{second}");
    assert!(
        second["reason"]
            .as_str()
            .is_some_and(|r| r.contains("the client is unknown")),
        "{second}"
    );
    assert_eq!(first["duplicate"], false, "{first}");
    assert!(first.get("reason").is_none(), "{first}");
    assert!(!second.to_string().contains(token), "{second}");

    // Ctrl+C.
    let pid = child.0.id().to_string();
    let killed = Command::new("kill")
        .args(["-INT", &pid])
        .status()
        .expect("kill runs");
    assert!(killed.success());
    let deadline = Instant::now() + WAIT;
    let status = loop {
        if let Some(status) = child.0.try_wait().expect("wait") {
            break status;
        }
        assert!(
            Instant::now() < deadline,
            "the inbox did not stop on Ctrl+C"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "{status:?}");
    let rest: Vec<String> = stderr.try_iter().collect();
    assert!(rest.iter().any(|l| l.contains("inbox stopped")), "{rest:?}");
    assert!(
        stdout.try_iter().next().is_none(),
        "nothing but the JSON lines on stdout"
    );

    let data = home.path().join("data");
    let (store, _) = HistoryStore::open(&data).expect("history opens");
    let entries = store.entries().expect("entries read");
    assert_eq!(entries.len(), 2, "{entries:?}");
    assert!(entries.iter().all(|e| e.direction == Direction::Inbound));
    assert!(entries[0].url.ends_with(PAYMENT), "{}", entries[0].url);
    assert_eq!(entries[0].response_code.as_deref(), Some("2002500"));
    assert_eq!(entries[0].service.as_deref(), Some("snap-25"));
    let file = std::fs::read_to_string(data.join("history.jsonl")).expect("history file");
    assert!(!file.contains(token), "the bearer token is redacted");
    assert!(!file.contains("inbox-cli-client-secret"));
    assert!(
        entries[1]
            .request
            .header("authorization")
            .is_some_and(|v| v.contains("redacted")),
        "{:?}",
        entries[1].request.headers
    );
}

/// Waits until the sandbox reports every delivery answered (they go out in the background).
async fn deliveries_answered(
    sandbox: &snap_console::net::sandbox::SandboxHandle,
    count: usize,
) -> Vec<snap_console::net::sandbox::Delivery> {
    use snap_console::net::sandbox::DeliveryOutcome;
    let deadline = Instant::now() + WAIT;
    loop {
        let deliveries = sandbox.deliveries();
        let settled = deliveries
            .iter()
            .filter(|d| !matches!(d.outcome, DeliveryOutcome::Pending))
            .count();
        if deliveries.len() >= count && settled == deliveries.len() {
            return deliveries;
        }
        assert!(
            Instant::now() < deadline,
            "deliveries not settled: {deliveries:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[test]
fn the_sandbox_notifies_the_inbox_and_both_verify() {
    use snap_console::net::sandbox::{self, DeliveryKind, SandboxConfig};
    const SANDBOX_CLIENT: &str = "SANDBOXCLIENT01";
    const SECRET: &str = "inbox-sandbox-secret-7c1d";

    bounded(async {
        let partner = provider_key();
        // The inbox starts first, knowing nothing: its URL is the sandbox's notify URL.
        let inbox = start(VerificationKeys::default()).await;
        let mut events = inbox.subscribe();
        let mut sandbox_config = SandboxConfig::new(
            SANDBOX_CLIENT,
            Zeroizing::new(SECRET.to_string()),
            partner.to_public_key(),
            // NICEPAY's published sandbox notification key is 1024-bit too.
            other_key(),
        );
        sandbox_config.notify_url = Some(inbox.base_url());
        let sandbox = sandbox::start(sandbox_config)
            .await
            .expect("sandbox starts");
        let http = http();

        // The key, as the CLI's --sandbox and a separate sandbox process would get it.
        let fetched = inbox::fetch_notification_public_key(sandbox.base_url(), WAIT)
            .await
            .expect("the sandbox serves its notification key");
        let in_process = inbox::keys_for_sandbox(&sandbox).expect("the sandbox's own key");
        assert_eq!(Some(&fetched), in_process.counterparty_public_key.as_ref());
        assert_eq!(
            in_process.expected_client_id.as_deref(),
            Some(SANDBOX_CLIENT)
        );
        inbox.set_verification(in_process, Default::default());

        // Token, then a symmetric VA payment, as a merchant's client does.
        let ts = timestamp::now_jakarta();
        let token_signature = signature::prepare(&SignatureInput {
            kind: SignatureKind::B2bToken,
            client_id: SANDBOX_CLIENT.into(),
            timestamp: ts.clone(),
            ..SignatureInput::default()
        })
        .and_then(|p| signature::sign(&p, SigningSecret::Rsa(&partner)))
        .expect("sign");
        let token_answer = http
            .post(format!("{}/api/v1.0/access-token/b2b", sandbox.base_url()))
            .header("Content-Type", "application/json")
            .header("X-TIMESTAMP", &ts)
            .header("X-CLIENT-KEY", SANDBOX_CLIENT)
            .header("X-SIGNATURE", token_signature)
            .body(r#"{"grantType":"client_credentials"}"#)
            .send()
            .await
            .expect("token answered");
        let token_text = token_answer.text().await.unwrap_or_default();
        let token = json_of(&token_text)["accessToken"]
            .as_str()
            .unwrap_or_else(|| panic!("no token: {token_text}"))
            .to_string();

        let payment = json!({
            "partnerServiceId": "   12345",
            "customerNo": "0000000001",
            "virtualAccountNo": "   123450000000001",
            "virtualAccountName": "Tom",
            "trxId": "trx-inbox-0001",
            "paymentRequestId": timestamp::new_external_id(20),
            "channelCode": 6011,
            "paidAmount": {"value": "10000.00", "currency": "IDR"},
            "totalAmount": {"value": "10000.00", "currency": "IDR"},
            "trxDateTime": timestamp::now_jakarta(),
            "paymentType": 1,
            "flagAdvise": "N",
            "billDetails": [],
            "additionalInfo": {}
        })
        .to_string();
        let ts = timestamp::now_jakarta();
        let payment_signature = signature::prepare(&SignatureInput {
            kind: SignatureKind::Symmetric,
            timestamp: ts.clone(),
            method: "POST".into(),
            path: PAYMENT.into(),
            access_token: token.clone(),
            body: payment.clone(),
            ..SignatureInput::default()
        })
        .and_then(|p| signature::sign(&p, SigningSecret::Hmac(SECRET.as_bytes())))
        .expect("sign");
        let paid = http
            .post(format!("{}{PAYMENT}", sandbox.base_url()))
            .header("Content-Type", "application/json")
            .header("Authorization", format!("Bearer {token}"))
            .header("X-TIMESTAMP", &ts)
            .header("X-SIGNATURE", payment_signature)
            .header("X-PARTNER-ID", SANDBOX_CLIENT)
            .header("X-EXTERNAL-ID", timestamp::new_external_id(32))
            .header("CHANNEL-ID", "95221")
            .body(payment)
            .send()
            .await
            .expect("payment answered");
        let paid_text = paid.text().await.unwrap_or_default();
        assert_eq!(code_of(&paid_text), "2002500", "{paid_text}");

        let received = next(&mut events).await;
        assert_eq!(
            (received.method.as_str(), received.path.as_str()),
            ("POST", PAYMENT)
        );
        assert_eq!(
            received.verdict.signature_valid,
            Some(true),
            "{}",
            received.verdict.detail
        );
        assert_eq!(received.verdict.variant.as_deref(), Some("notification"));
        assert!(
            !received
                .verdict
                .detail
                .contains("not the expected client ID"),
            "{}",
            received.verdict.detail
        );
        assert_eq!(received.answered_status, 200);
        let answered = json_of(&received.answered_body);
        assert_eq!(answered["responseCode"], "2002500");
        assert_eq!(answered["virtualAccountData"]["trxId"], "trx-inbox-0001");
        assert_eq!(
            answered["virtualAccountData"]["paidAmount"]["value"],
            "10000.00"
        );

        // The biller API: PENDING now, a reversal callback to the inbox shortly after.
        let trxid = "22110111373985338";
        let trx = json!({
            "user": SANDBOX_CLIENT,
            "sign": snap_console::snap::biller::sign(SANDBOX_CLIENT, SECRET, trxid),
            "trxid": trxid,
            "cmd": "trx",
            "idpel": "081234567890",
            "produk": "s5"
        });
        let pending = http
            .post(format!("{}/service/in/json", sandbox.base_url()))
            .body(trx.to_string())
            .send()
            .await
            .expect("biller answered");
        let pending_text = pending.text().await.unwrap_or_default();
        assert_eq!(json_of(&pending_text)["status"], true, "{pending_text}");

        let callback = next(&mut events).await;
        assert_eq!(
            (callback.method.as_str(), callback.path.as_str()),
            ("GET", "/biller/reversal")
        );
        assert_eq!(
            callback.verdict.variant.as_deref(),
            Some("biller-callback (unsigned)")
        );
        assert_eq!(callback.verdict.signature_valid, None);
        assert!(
            callback.verdict.detail.contains("status 0 (success)"),
            "{}",
            callback.verdict.detail
        );
        assert!(
            callback.verdict.detail.contains(&format!("refid {trxid}")),
            "{}",
            callback.verdict.detail
        );
        assert_eq!(
            (callback.answered_status, callback.answered_body.as_str()),
            (200, "OK")
        );

        // And the sandbox saw the inbox answer both with a 200.
        let deliveries = deliveries_answered(&sandbox, 2).await;
        for kind in [
            DeliveryKind::VaPaymentNotification,
            DeliveryKind::BillerReversal,
        ] {
            let delivery = deliveries
                .iter()
                .find(|d| d.kind == kind)
                .expect("delivered");
            assert!(delivery.is_success(), "{delivery:?}");
        }
        sandbox.stop().await;
        inbox.stop().await;
    });
}

#[test]
fn the_cli_takes_the_key_from_a_running_sandbox_prints_text_and_stops_on_sigterm() {
    use snap_console::net::sandbox::{self, SandboxConfig};
    use std::process::{Command, Stdio};

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    // The sandbox signs notifications with other_key(); the CLI must fetch its public half.
    let sandbox = runtime
        .block_on(sandbox::start(SandboxConfig::new(
            CLIENT_ID,
            Zeroizing::new("cli-sandbox-secret".to_string()),
            provider_key().to_public_key(),
            other_key(),
        )))
        .expect("sandbox starts");
    let home = tempfile::tempdir().expect("temp dir");
    let child = Command::new(env!("CARGO_BIN_EXE_snap-console"))
        .args(["inbox", "--port", "0", "--no-history", "--sandbox"])
        .arg(sandbox.base_url())
        .env("SNAP_CONSOLE_HOME", home.path())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary starts");
    let mut child = ChildGuard(child);
    let stdout = line_reader(child.0.stdout.take().expect("stdout"));
    let _stderr = line_reader(child.0.stderr.take().expect("stderr"));

    let first = next_line(&stdout, "listening line");
    assert!(
        first.starts_with("Inbox listening on http://127.0.0.1:"),
        "{first}"
    );
    let url = first
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .expect("a URL")
        .to_string();
    let checks = next_line(&stdout, "keys line");
    assert!(checks.contains("SHA256:"), "{checks}");
    next_line(&stdout, "answers line");
    let refusals = next_line(&stdout, "refusals line");
    assert!(refusals.contains("401"), "{refusals}");

    runtime.block_on(async {
        let sent = send_test_notification(&notification(
            &url,
            other_key(),
            sample_va_payment_notification("   12345", "0777"),
        ))
        .await
        .expect("answered");
        assert_eq!(sent.status, 200, "{}", sent.body);
    });
    let line = next_line(&stdout, "request line");
    assert!(
        line.contains(&format!("POST {PAYMENT} answered 200")),
        "{line}"
    );
    assert!(line.contains("signature VALID (notification)"), "{line}");

    let pid = child.0.id().to_string();
    let killed = Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .expect("kill runs");
    assert!(killed.success());
    let deadline = Instant::now() + WAIT;
    let status = loop {
        if let Some(status) = child.0.try_wait().expect("wait") {
            break status;
        }
        assert!(
            Instant::now() < deadline,
            "the inbox did not stop on SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "{status:?}");
    assert!(
        !home.path().join("data/history.jsonl").exists(),
        "--no-history records nothing"
    );
    runtime.block_on(sandbox.stop());
}

#[test]
fn the_cli_takes_keys_from_a_profile() {
    use snap_console::store::history::HistoryStore;
    use snap_console::store::paths::AppPaths;
    use snap_console::store::profiles::{self, Profile, ProfileBook, ProfileSecrets};
    use std::process::{Command, Stdio};

    let home = tempfile::tempdir().expect("temp dir");
    let paths = AppPaths::under(home.path());
    let profile = Profile {
        id: "p1".into(),
        name: "NICEPAY dev".into(),
        client_id: CLIENT_ID.into(),
        counterparty_public_key_pem: keys::public_key_to_spki_pem(&provider_key().to_public_key())
            .expect("pem"),
        ..Profile::default()
    };
    let mut book = ProfileBook {
        profiles: vec![profile],
        active: Some("p1".into()),
        ..ProfileBook::default()
    };
    book.secrets.insert(
        "p1".into(),
        ProfileSecrets {
            client_secret: "profile-client-secret-42".into(),
            private_key_pem: String::new().into(),
            ..ProfileSecrets::default()
        },
    );
    profiles::save(&paths, &book, None).expect("profiles saved");

    let child = Command::new(env!("CARGO_BIN_EXE_snap-console"))
        .args(["inbox", "--json", "--port", "0", "--profile", "NICEPAY dev"])
        .env("SNAP_CONSOLE_HOME", home.path())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary starts");
    let mut child = ChildGuard(child);
    let stdout = line_reader(child.0.stdout.take().expect("stdout"));
    let stderr = line_reader(child.0.stderr.take().expect("stderr"));
    let url = loop {
        let line = next_line(&stderr, "listening line");
        if let Some(at) = line.find("http://") {
            break line[at..].trim().to_string();
        }
    };
    bounded(async {
        let sent = send_test_notification(&notification(
            &url,
            provider_key(),
            sample_va_payment_notification("   12345", "0888"),
        ))
        .await
        .expect("answered");
        assert_eq!(sent.status, 200, "{}", sent.body);
    });
    let line = json_of(&next_line(&stdout, "JSON line"));
    assert_eq!(line["signatureValid"], true, "{line}");
    assert!(
        !line["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("not the expected client ID"),
        "{line}"
    );
    // Stop, then the history holds the exchange under the profile's name.
    let killed = Command::new("kill")
        .args(["-INT", &child.0.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(killed.success());
    let deadline = Instant::now() + WAIT;
    while child.0.try_wait().expect("wait").is_none() {
        assert!(Instant::now() < deadline, "the inbox did not stop");
        std::thread::sleep(Duration::from_millis(50));
    }
    let (store, _) = HistoryStore::open(&paths.data_dir).expect("history opens");
    let entries = store.entries().expect("entries read");
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].profile, "NICEPAY dev");
}
