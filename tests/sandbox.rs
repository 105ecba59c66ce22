//! The local sandbox end to end: a real server on loopback, real HTTP (reqwest, and raw TCP
//! for the misbehaving clients), requests signed with src/snap, a real receiver for what the
//! sandbox sends back. Nothing here needs the internet.

// Test, bench and example code may panic: a failed expectation is the point.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::too_many_lines
)]

use std::sync::OnceLock;
use std::time::{Duration, Instant};

use chrono::{TimeDelta, Utc};
use reqwest::header::HeaderMap;
use rsa::RsaPrivateKey;
use serde_json::{Value, json};
use snap_console::net::sandbox::{
    self, DeliveryKind, DeliveryOutcome, SandboxConfig, SandboxHandle,
};
use snap_console::snap::biller::{self, CallbackStatus};
use snap_console::snap::keys;
use snap_console::snap::minify::MinifyMode;
use snap_console::snap::signature::{
    self, SignatureInput, SignatureKind, SigningSecret, VerifyingSecret,
};
use snap_console::snap::timestamp;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;
use zeroize::Zeroizing;

#[path = "common/servers.rs"]
mod servers;
use servers::raw_exchange;

const CLIENT_ID: &str = "TESTCLIENT01";
const SECRET: &str = "sandbox-test-secret-3f9a1c";
const PAYMENT: &str = "/api/v1.0/transfer-va/payment";
const INQUIRY: &str = "/api/v1.0/transfer-va/inquiry";
const CREATE_VA: &str = "/api/v1.0/transfer-va/create-va";
const VA_STATUS: &str = "/api/v1.0/transfer-va/status";
const EWALLET: &str = "/api/v1.0/debit/payment-host-to-host";
const HISTORY: &str = "/api/v1.0/transaction-history-list";
const TOKEN: &str = "/api/v1.0/access-token/b2b";
const BILLER: &str = "/service/in/json";

// ---------------------------------------------------------------------------------------
// Harness
// ---------------------------------------------------------------------------------------

/// (partner key, sandbox notification key), generated once for every test.
fn test_keys() -> &'static (RsaPrivateKey, RsaPrivateKey) {
    static KEYS: OnceLock<(RsaPrivateKey, RsaPrivateKey)> = OnceLock::new();
    KEYS.get_or_init(|| {
        let partner = keys::generate_private_key(2048).expect("partner key");
        let notification = keys::generate_private_key(2048).expect("notification key");
        (partner, notification)
    })
}

fn config() -> SandboxConfig {
    let (partner, notification) = test_keys();
    let mut config = SandboxConfig::new(
        CLIENT_ID,
        Zeroizing::new(SECRET.to_string()),
        partner.to_public_key(),
        notification.clone(),
    );
    // Short, so the stalled-client tests are quick.
    config.header_read_timeout = Duration::from_secs(1);
    config.body_read_timeout = Duration::from_secs(1);
    config
}

struct Harness {
    sandbox: SandboxHandle,
    http: reqwest::Client,
}

async fn start() -> Harness {
    start_with(config()).await
}

async fn start_with(config: SandboxConfig) -> Harness {
    let sandbox = sandbox::start(config).await.expect("sandbox starts");
    let http = reqwest::Client::builder()
        .no_proxy()
        // Below the sandbox's 1 s idle cut-off, so a pooled connection is never one the
        // sandbox is closing.
        .pool_idle_timeout(Duration::from_millis(300))
        .timeout(Duration::from_secs(30))
        .build()
        .expect("client");
    Harness { sandbox, http }
}

#[derive(Debug)]
struct Reply {
    status: u16,
    headers: HeaderMap,
    body: Value,
    text: String,
}

impl Reply {
    fn code(&self) -> &str {
        self.body["responseCode"].as_str().unwrap_or_default()
    }

    fn message(&self) -> &str {
        self.body["responseMessage"].as_str().unwrap_or_default()
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    #[track_caller]
    fn assert_snap(&self, status: u16, code: &str, message: &str) {
        assert_eq!(self.status, status, "{}", self.text);
        assert_eq!(self.code(), code, "{}", self.text);
        assert!(
            self.message().contains(message),
            "message '{}' lacks '{message}'",
            self.message()
        );
        assert_eq!(
            &code[..3],
            status.to_string(),
            "HTTP status = first three digits"
        );
    }
}

async fn reply_of(response: reqwest::Response) -> Reply {
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let text = response.text().await.unwrap_or_default();
    let body = serde_json::from_str(&text).unwrap_or(Value::Null);
    Reply {
        status,
        headers,
        body,
        text,
    }
}

/// How a transaction departs from a correct one.
#[derive(Default, Clone)]
struct Tweak {
    drop_headers: Vec<&'static str>,
    set_headers: Vec<(&'static str, String)>,
    timestamp: Option<String>,
    external_id: Option<String>,
    /// Sign this body text instead of the one sent.
    signed_body: Option<String>,
    sign_minify: Option<MinifyMode>,
    secret: Option<String>,
    /// Send these bytes as the body (signed as they are, when they are UTF-8).
    raw_body: Option<Vec<u8>>,
}

fn partner_key() -> &'static RsaPrivateKey {
    &test_keys().0
}

fn sign_token_request(client_id: &str, timestamp: &str, key: &RsaPrivateKey) -> String {
    let input = SignatureInput {
        kind: SignatureKind::B2bToken,
        client_id: client_id.to_string(),
        timestamp: timestamp.to_string(),
        ..SignatureInput::default()
    };
    let prepared = signature::prepare(&input).expect("prepare");
    signature::sign(&prepared, SigningSecret::Rsa(key)).expect("sign")
}

fn symmetric_input(path: &str, token: &str, body: &str, timestamp: &str) -> SignatureInput {
    SignatureInput {
        kind: SignatureKind::Symmetric,
        method: "POST".into(),
        path: path.into(),
        access_token: token.into(),
        body: body.into(),
        timestamp: timestamp.into(),
        minify: MinifyMode::Lexical,
        ..SignatureInput::default()
    }
}

impl Harness {
    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.sandbox.base_url())
    }

    async fn token_request(&self, headers: Vec<(&str, String)>, body: &str) -> Reply {
        let mut request = self.http.post(self.url(TOKEN)).body(body.to_string());
        for (name, value) in headers {
            request = request.header(name, value);
        }
        reply_of(request.send().await.expect("token request")).await
    }

    fn token_headers(&self, timestamp: &str) -> Vec<(&'static str, String)> {
        vec![
            ("Content-Type", "application/json".into()),
            ("X-TIMESTAMP", timestamp.into()),
            ("X-CLIENT-KEY", CLIENT_ID.into()),
            (
                "X-SIGNATURE",
                sign_token_request(CLIENT_ID, timestamp, partner_key()),
            ),
        ]
    }

    async fn token(&self) -> String {
        let ts = timestamp::now_jakarta();
        let reply = self
            .token_request(
                self.token_headers(&ts),
                r#"{"grantType":"client_credentials","additionalInfo":{}}"#,
            )
            .await;
        reply.assert_snap(200, "2007300", "Successful");
        reply.body["accessToken"]
            .as_str()
            .expect("token")
            .to_string()
    }

    async fn transaction(&self, path: &str, body: &Value, token: &str, tweak: &Tweak) -> Reply {
        let ts = tweak
            .timestamp
            .clone()
            .unwrap_or_else(timestamp::now_jakarta);
        let sent: Vec<u8> = tweak
            .raw_body
            .clone()
            .unwrap_or_else(|| serde_json::to_vec(body).expect("json"));
        let signed_text = tweak
            .signed_body
            .clone()
            .unwrap_or_else(|| String::from_utf8_lossy(&sent).into_owned());
        let mut input = symmetric_input(path, token, &signed_text, &ts);
        let mut signature = String::from("AAAA");
        input.minify = tweak.sign_minify.unwrap_or(MinifyMode::Lexical);
        if let Ok(prepared) = signature::prepare(&input) {
            let secret = tweak.secret.clone().unwrap_or_else(|| SECRET.to_string());
            signature =
                signature::sign(&prepared, SigningSecret::Hmac(secret.as_bytes())).expect("sign");
        }
        let external_id = tweak
            .external_id
            .clone()
            .unwrap_or_else(|| timestamp::new_external_id(32));
        let mut headers: Vec<(&str, String)> = vec![
            ("Content-Type", "application/json".into()),
            ("Authorization", format!("Bearer {token}")),
            ("X-TIMESTAMP", ts.clone()),
            ("X-SIGNATURE", signature),
            ("X-PARTNER-ID", CLIENT_ID.into()),
            ("X-EXTERNAL-ID", external_id),
            ("CHANNEL-ID", "95221".into()),
            ("ORIGIN", "www.merchant.example".into()),
        ];
        headers.retain(|(name, _)| !tweak.drop_headers.contains(name));
        for (name, value) in &tweak.set_headers {
            headers.retain(|(n, _)| n != name);
            headers.push((name, value.clone()));
        }
        let mut request = self.http.post(self.url(path)).body(sent);
        for (name, value) in headers {
            request = request.header(name, value);
        }
        reply_of(request.send().await.expect("transaction")).await
    }

    async fn pay(&self, token: &str, request_id: &str) -> Reply {
        self.transaction(PAYMENT, &va_payment(request_id), token, &Tweak::default())
            .await
    }
}

fn va_payment(request_id: &str) -> Value {
    json!({
        "partnerServiceId": "   12345",
        "customerNo": "0000000001",
        "virtualAccountNo": "   123450000000001",
        "virtualAccountName": "Tom",
        "trxId": "trx-0001",
        "paymentRequestId": request_id,
        "channelCode": 6011,
        "paidAmount": {"value": "10000.00", "currency": "IDR"},
        "totalAmount": {"value": "10000.00", "currency": "IDR"},
        "trxDateTime": "2024-12-01T07:15:00+07:00",
        "paymentType": 1,
        "flagAdvise": "N",
        "billDetails": [{"billCode": "01", "billName": "Bill A for Jan",
                         "billAmount": {"value": "10000.00", "currency": "IDR"}}],
        "additionalInfo": {}
    })
}

/// A change made to a correct body, for a table of cases.
type BodyChange = fn(&mut Value);

fn ewallet_registration(reference: &str) -> Value {
    json!({
        "partnerReferenceNo": reference,
        "merchantId": "IONPAYTEST",
        "amount": {"value": "10000.00", "currency": "IDR"},
        "urlParam": [
            {"url": "https://merchant.example/return", "type": "PAY_RETURN", "isDeeplink": "Y"},
            {"url": "https://merchant.example/notify", "type": "PAY_NOTIFY", "isDeeplink": "Y"}
        ],
        "additionalInfo": {
            "mitraCd": "DANA", "goodsNm": "Goods", "billingNm": "Buyer",
            "billingPhone": "08123456789", "callBackUrl": "https://merchant.example/cb",
            "dbProcessUrl": "https://merchant.example/db", "cartData": "{\"count\":1}"
        }
    })
}

/// The next request the merchant received, within 10 s.
async fn next_capture(merchant: &servers::Server) -> servers::Captured {
    merchant
        .next_request(Duration::from_secs(10))
        .await
        .expect("the sandbox called back within 10 s")
}

/// After every abuse: the sandbox still serves a correct request.
async fn still_serves(harness: &Harness) {
    let token = harness.token().await;
    let reply = harness
        .pay(&token, &format!("still-{}", timestamp::new_external_id(12)))
        .await;
    reply.assert_snap(200, "2002500", "Successful");
}

// ---------------------------------------------------------------------------------------
// Access token (73)
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn token_is_issued_for_a_correctly_signed_request() {
    let harness = start().await;
    let ts = timestamp::now_jakarta();
    let reply = harness
        .token_request(
            harness.token_headers(&ts),
            r#"{"grantType":"client_credentials"}"#,
        )
        .await;
    reply.assert_snap(200, "2007300", "Successful");
    assert_eq!(reply.body["tokenType"], "Bearer");
    assert_eq!(reply.body["expiresIn"], "900");
    assert_eq!(reply.body["accessToken"].as_str().map(str::len), Some(43));
    assert_eq!(reply.header("x-client-key"), Some(CLIENT_ID));
    let stamped = reply.header("x-timestamp").unwrap_or_default();
    assert!(timestamp::parse_strict(stamped).is_ok(), "{stamped}");
    assert_eq!(reply.header("content-type"), Some("application/json"));
}

#[tokio::test]
async fn token_checks_name_what_is_wrong() {
    let harness = start().await;
    let ts = timestamp::now_jakarta();
    let body = r#"{"grantType":"client_credentials"}"#;
    for missing in ["X-TIMESTAMP", "X-CLIENT-KEY", "X-SIGNATURE", "Content-Type"] {
        let mut headers = harness.token_headers(&ts);
        headers.retain(|(name, _)| *name != missing);
        let reply = harness.token_request(headers, body).await;
        reply.assert_snap(
            400,
            "4007302",
            &format!("Invalid Mandatory Field {{{missing}}}"),
        );
    }
    let with = |name: &'static str, value: String| {
        let mut headers = harness.token_headers(&ts);
        headers.retain(|(n, _)| *n != name);
        headers.push((name, value));
        headers
    };
    let reply = harness
        .token_request(with("X-TIMESTAMP", "2024-11-29 14:15:00".into()), body)
        .await;
    reply.assert_snap(400, "4007301", "Invalid Field Format {X-TIMESTAMP}");

    let old = timestamp::format_jakarta(Utc::now() - TimeDelta::minutes(20));
    let reply = harness
        .token_request(harness.token_headers(&old), body)
        .await;
    reply.assert_snap(401, "4017300", "Unauthorized. Timestamp");

    let reply = harness
        .token_request(with("X-CLIENT-KEY", "SOMEONE-ELSE".into()), body)
        .await;
    reply.assert_snap(401, "4017300", "Unauthorized. Unknown client");

    let other_key = keys::generate_private_key(2048).expect("key");
    let reply = harness
        .token_request(
            with(
                "X-SIGNATURE",
                sign_token_request(CLIENT_ID, &ts, &other_key),
            ),
            body,
        )
        .await;
    reply.assert_snap(401, "4017300", "Unauthorized. Invalid Signature");

    let reply = harness
        .token_request(harness.token_headers(&ts), r#"{"grantType":"password"}"#)
        .await;
    reply.assert_snap(400, "4007301", "Invalid Field Format {grantType}");
    let reply = harness
        .token_request(harness.token_headers(&ts), "{}")
        .await;
    reply.assert_snap(400, "4007302", "Invalid Mandatory Field {grantType}");
    let reply = harness
        .token_request(harness.token_headers(&ts), "{\"grantType\": ")
        .await;
    reply.assert_snap(400, "4007300", "line 1, column");
}

#[tokio::test]
async fn tokens_really_expire() {
    let mut short = config();
    short.token_ttl = Duration::from_secs(1);
    let harness = start_with(short).await;
    let token = harness.token().await;
    harness
        .pay(&token, "expiry-1")
        .await
        .assert_snap(200, "2002500", "Successful");
    tokio::time::sleep(Duration::from_millis(1300)).await;
    let reply = harness.pay(&token, "expiry-2").await;
    reply.assert_snap(401, "4012501", "Invalid Token (B2B)");
    let journal = harness.sandbox.recent_requests();
    let last = journal.last().expect("journalled");
    assert!(
        last.reason
            .as_deref()
            .unwrap_or_default()
            .contains("expired"),
        "{last:?}"
    );
    let fresh = harness.token().await;
    harness
        .pay(&fresh, "expiry-3")
        .await
        .assert_snap(200, "2002500", "Successful");
}

// ---------------------------------------------------------------------------------------
// Transfer VA (24–27)
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn va_payment_succeeds_and_echoes_the_request() {
    let harness = start().await;
    let token = harness.token().await;
    let reply = harness.pay(&token, "pay-echo-1").await;
    reply.assert_snap(200, "2002500", "Successful");
    let data = &reply.body["virtualAccountData"];
    assert_eq!(data["paymentFlagStatus"], "00");
    assert_eq!(data["paymentFlagReason"]["english"], "Success");
    assert_eq!(data["partnerServiceId"], "   12345");
    assert_eq!(data["virtualAccountNo"], "   123450000000001");
    assert_eq!(data["paymentRequestId"], "pay-echo-1");
    assert_eq!(
        data["paidAmount"],
        json!({"value": "10000.00", "currency": "IDR"})
    );
    assert_eq!(
        data["paymentType"], "1",
        "echoed as a string, as the example does"
    );
    assert_eq!(data["billDetails"][0]["status"], "00");
    assert!(data.get("channelCode").is_none(), "not part of the echo");
}

#[tokio::test]
async fn replayed_payment_request_ids_are_idempotent_or_inconsistent() {
    let harness = start().await;
    let token = harness.token().await;
    let first = harness.pay(&token, "replay-1").await;
    first.assert_snap(200, "2002500", "Successful");
    let again = harness.pay(&token, "replay-1").await;
    again.assert_snap(200, "2002500", "Successful");
    assert_eq!(again.body, first.body);
    let mut different = va_payment("replay-1");
    different["paidAmount"]["value"] = json!("20000.00");
    let reply = harness
        .transaction(PAYMENT, &different, &token, &Tweak::default())
        .await;
    reply.assert_snap(404, "4042518", "Inconsistent Request");
}

#[tokio::test]
async fn va_create_inquiry_and_status() {
    let harness = start().await;
    let token = harness.token().await;
    let create = json!({
        "partnerServiceId": "", "customerNo": "", "virtualAccountNo": "",
        "virtualAccountName": "Jane", "trxId": "order-77",
        "totalAmount": {"value": "25000.00", "currency": "IDR"},
        "additionalInfo": {"goodsNm": "Shoes"}
    });
    let created = harness
        .transaction(CREATE_VA, &create, &token, &Tweak::default())
        .await;
    created.assert_snap(200, "2002700", "Successful");
    let data = &created.body["virtualAccountData"];
    let psid = data["partnerServiceId"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let customer = data["customerNo"].as_str().unwrap_or_default().to_string();
    let va_no = data["virtualAccountNo"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert_eq!(psid.len(), 8);
    assert_eq!(va_no, format!("{psid}{customer}"));
    assert!(data["additionalInfo"]["tXidVA"].is_string());

    let inquiry = json!({"partnerServiceId": psid, "customerNo": customer,
                         "virtualAccountNo": va_no, "inquiryRequestId": "inq-1"});
    let reply = harness
        .transaction(INQUIRY, &inquiry, &token, &Tweak::default())
        .await;
    reply.assert_snap(200, "2002400", "Successful");
    let data = &reply.body["virtualAccountData"];
    assert_eq!(data["inquiryStatus"], "00");
    assert_eq!(data["virtualAccountName"], "Jane");
    assert_eq!(data["totalAmount"]["value"], "25000.00");

    let status = json!({"partnerServiceId": psid, "customerNo": customer,
                        "virtualAccountNo": va_no, "inquiryRequestId": "inq-2"});
    let reply = harness
        .transaction(VA_STATUS, &status, &token, &Tweak::default())
        .await;
    reply.assert_snap(404, "4042601", "Transaction Not Found");

    // A closed VA must be paid exactly.
    let mut payment = json!({
        "partnerServiceId": psid, "customerNo": customer, "virtualAccountNo": va_no,
        "paymentRequestId": "pay-va-1", "paidAmount": {"value": "1.00", "currency": "IDR"}
    });
    let reply = harness
        .transaction(PAYMENT, &payment, &token, &Tweak::default())
        .await;
    reply.assert_snap(404, "4042513", "Invalid Amount");
    payment["paidAmount"]["value"] = json!("25000.00");
    let reply = harness
        .transaction(PAYMENT, &payment, &token, &Tweak::default())
        .await;
    reply.assert_snap(200, "2002500", "Successful");

    let reply = harness
        .transaction(VA_STATUS, &status, &token, &Tweak::default())
        .await;
    reply.assert_snap(200, "2002600", "Successful");
    let data = &reply.body["virtualAccountData"];
    assert_eq!(data["paymentFlagStatus"], "00");
    assert_eq!(data["paymentRequestId"], "pay-va-1");
    assert_eq!(data["paidAmount"]["value"], "25000.00");
}

#[tokio::test]
async fn transaction_checks_name_the_failing_header_or_field() {
    let harness = start().await;
    let token = harness.token().await;
    let body = va_payment("checks-1");
    let send = |tweak: Tweak| {
        let body = body.clone();
        let token = token.clone();
        let harness = &harness;
        async move { harness.transaction(PAYMENT, &body, &token, &tweak).await }
    };
    for header in [
        "Content-Type",
        "X-TIMESTAMP",
        "X-SIGNATURE",
        "X-PARTNER-ID",
        "X-EXTERNAL-ID",
        "CHANNEL-ID",
    ] {
        let reply = send(Tweak {
            drop_headers: vec![header],
            ..Tweak::default()
        })
        .await;
        reply.assert_snap(
            400,
            "4002502",
            &format!("Invalid Mandatory Field {{{header}}}"),
        );
    }
    let reply = send(Tweak {
        drop_headers: vec!["Authorization"],
        ..Tweak::default()
    })
    .await;
    reply.assert_snap(401, "4012501", "Invalid Token (B2B)");
    let reply = send(Tweak {
        timestamp: Some("2024-12-01T07:15:00.000Z".into()),
        ..Tweak::default()
    })
    .await;
    reply.assert_snap(400, "4002501", "Invalid Field Format {X-TIMESTAMP}");
    let reply = send(Tweak {
        set_headers: vec![("Content-Type", "text/plain".into())],
        ..Tweak::default()
    })
    .await;
    reply.assert_snap(400, "4002501", "Invalid Field Format {Content-Type}");
    let reply = send(Tweak {
        external_id: Some("x".repeat(37)),
        ..Tweak::default()
    })
    .await;
    reply.assert_snap(400, "4002501", "Invalid Field Format {X-EXTERNAL-ID}");
    let reply = send(Tweak {
        timestamp: Some(timestamp::format_jakarta(
            Utc::now() + TimeDelta::minutes(16),
        )),
        ..Tweak::default()
    })
    .await;
    reply.assert_snap(401, "4012500", "Unauthorized. Timestamp");
    assert!(reply.message().contains("ahead of"), "{}", reply.message());
    let reply = send(Tweak {
        set_headers: vec![("X-PARTNER-ID", "STRANGER".into())],
        ..Tweak::default()
    })
    .await;
    reply.assert_snap(401, "4012500", "Unauthorized. Unknown client");
    let reply = send(Tweak {
        secret: Some("not-the-secret".into()),
        ..Tweak::default()
    })
    .await;
    reply.assert_snap(401, "4012500", "Unauthorized. Invalid Signature");
    let reply = send(Tweak {
        set_headers: vec![("X-SIGNATURE", "***".into())],
        ..Tweak::default()
    })
    .await;
    reply.assert_snap(401, "4012500", "Unauthorized. Invalid Signature");
    let reply = harness
        .transaction(PAYMENT, &body, "no-such-token", &Tweak::default())
        .await;
    reply.assert_snap(401, "4012501", "Invalid Token (B2B)");

    // Body rules.
    let mut missing = va_payment("checks-2");
    missing
        .as_object_mut()
        .map(|o| o.remove("paymentRequestId"));
    let reply = harness
        .transaction(PAYMENT, &missing, &token, &Tweak::default())
        .await;
    reply.assert_snap(400, "4002502", "Invalid Mandatory Field {paymentRequestId}");
    let mut long = va_payment("checks-3");
    long["partnerServiceId"] = json!("123456789");
    let reply = harness
        .transaction(PAYMENT, &long, &token, &Tweak::default())
        .await;
    reply.assert_snap(400, "4002501", "Invalid Field Format {partnerServiceId}");
    let mut amount = va_payment("checks-4");
    amount["paidAmount"]["value"] = json!("10000");
    let reply = harness
        .transaction(PAYMENT, &amount, &token, &Tweak::default())
        .await;
    reply.assert_snap(400, "4002501", "Invalid Field Format {paidAmount.value}");
    let mut mismatch = va_payment("checks-5");
    mismatch["virtualAccountNo"] = json!("   123450000000002");
    let reply = harness
        .transaction(PAYMENT, &mismatch, &token, &Tweak::default())
        .await;
    reply.assert_snap(400, "4002501", "Invalid Field Format {virtualAccountNo}");
    let reply = harness
        .transaction(
            PAYMENT,
            &body,
            &token,
            &Tweak {
                raw_body: Some(b"{\"partnerServiceId\": }".to_vec()),
                ..Tweak::default()
            },
        )
        .await;
    reply.assert_snap(400, "4002500", "line 1, column 22");
    let reply = harness
        .transaction(
            PAYMENT,
            &body,
            &token,
            &Tweak {
                raw_body: Some(vec![0xff, 0xfe, 0x00, 0x9c, 0x13, 0x37]),
                ..Tweak::default()
            },
        )
        .await;
    reply.assert_snap(400, "4002500", "not UTF-8");
    let reply = harness
        .transaction(
            PAYMENT,
            &body,
            &token,
            &Tweak {
                raw_body: Some(b"[1, 2]".to_vec()),
                ..Tweak::default()
            },
        )
        .await;
    reply.assert_snap(400, "4002501", "Invalid Field Format {body}");
    // After all that, the original request is still fine.
    send(Tweak::default())
        .await
        .assert_snap(200, "2002500", "Successful");
}

#[tokio::test]
async fn checks_apply_in_provider_order() {
    let harness = start().await;
    let token = harness.token().await;
    let bad_everything = Tweak {
        secret: Some("wrong".into()),
        timestamp: Some(timestamp::format_jakarta(Utc::now() - TimeDelta::hours(1))),
        set_headers: vec![("X-PARTNER-ID", "STRANGER".into())],
        drop_headers: vec!["CHANNEL-ID"],
        ..Tweak::default()
    };
    let mut body = va_payment("order-1");
    body["paidAmount"]["value"] = json!("1");
    let mut tweak = bad_everything.clone();
    let expectations = [
        (400, "4002502", "{CHANNEL-ID}"),
        (401, "4012500", "Timestamp"),
        (401, "4012500", "Unknown client"),
        (401, "4012500", "Invalid Signature"),
    ];
    for (status, code, message) in expectations {
        let reply = harness.transaction(PAYMENT, &body, &token, &tweak).await;
        reply.assert_snap(status, code, message);
        // Fix the reported mistake, keep the others.
        match message {
            "{CHANNEL-ID}" => tweak.drop_headers.clear(),
            "Timestamp" => tweak.timestamp = None,
            "Unknown client" => tweak.set_headers.clear(),
            _ => tweak.secret = None,
        }
    }
    // Signature fine, token unknown, body wrong: the token is judged first.
    let reply = harness
        .transaction(PAYMENT, &body, "unknown-token", &tweak)
        .await;
    reply.assert_snap(401, "4012501", "Invalid Token (B2B)");
    // Only the body is wrong now; its X-EXTERNAL-ID is not burnt by the rejection.
    tweak.external_id = Some(timestamp::new_external_id(32));
    let reply = harness.transaction(PAYMENT, &body, &token, &tweak).await;
    reply.assert_snap(400, "4002501", "{paidAmount.value}");
    let fixed = va_payment("order-1");
    let reply = harness.transaction(PAYMENT, &fixed, &token, &tweak).await;
    reply.assert_snap(200, "2002500", "Successful");
}

#[tokio::test]
async fn the_same_external_id_twice_in_a_day_is_a_conflict() {
    let harness = start().await;
    let token = harness.token().await;
    let tweak = Tweak {
        external_id: Some("41807553358950093184162180797837".into()),
        ..Tweak::default()
    };
    let first = harness
        .transaction(PAYMENT, &va_payment("dup-1"), &token, &tweak)
        .await;
    first.assert_snap(200, "2002500", "Successful");
    let second = harness
        .transaction(PAYMENT, &va_payment("dup-2"), &token, &tweak)
        .await;
    second.assert_snap(409, "4092500", "Conflict");
    // Per service code: the same id on another endpoint is still the same day's id.
    let inquiry = json!({"partnerServiceId": "   12345", "customerNo": "1",
                         "virtualAccountNo": "   123451", "inquiryRequestId": "i"});
    let third = harness.transaction(INQUIRY, &inquiry, &token, &tweak).await;
    third.assert_snap(409, "4092400", "Conflict");
}

// ---------------------------------------------------------------------------------------
// Explain
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn explain_headers_appear_only_when_switched_on() {
    let harness = start().await;
    let token = harness.token().await;
    let wrong_secret = Tweak {
        secret: Some("wrong-secret".into()),
        external_id: Some("1".into()),
        timestamp: Some(timestamp::now_jakarta()),
        ..Tweak::default()
    };
    let body = va_payment("explain-1");
    let quiet = harness
        .transaction(PAYMENT, &body, &token, &wrong_secret)
        .await;
    quiet.assert_snap(401, "4012500", "Invalid Signature");
    assert!(quiet.header("x-sandbox-expected-string-to-sign").is_none());
    assert!(quiet.header("x-sandbox-reason").is_none());

    harness.sandbox.set_explain(true);
    assert!(harness.sandbox.explain());
    let loud = harness
        .transaction(PAYMENT, &body, &token, &wrong_secret)
        .await;
    loud.assert_snap(401, "4012500", "Invalid Signature");
    let sent = serde_json::to_string(&body).expect("json");
    let ts = wrong_secret.timestamp.clone().unwrap_or_default();
    let expected =
        signature::prepare(&symmetric_input(PAYMENT, &token, &sent, &ts)).expect("prepare");
    assert_eq!(
        loud.header("x-sandbox-expected-string-to-sign"),
        Some(expected.string_to_sign.text().as_str())
    );
    let reason = loud.header("x-sandbox-reason").unwrap_or_default();
    assert!(reason.contains("HMAC-SHA512"), "{reason}");
    assert!(
        reason.contains(expected.body_hash.as_deref().unwrap_or("?")),
        "{reason}"
    );
    assert!(reason.contains("no known variant"), "{reason}");
    assert!(!reason.contains(SECRET) && !loud.text.contains(SECRET));

    // A PHP-style signer (escapes '/' as '\/'): the reason names the variant.
    let mut with_url = va_payment("explain-2");
    with_url["additionalInfo"] = json!({"returnUrl": "https://merchant.example/back"});
    let php = harness
        .transaction(
            PAYMENT,
            &with_url,
            &token,
            &Tweak {
                sign_minify: Some(MinifyMode::Php),
                ..Tweak::default()
            },
        )
        .await;
    php.assert_snap(401, "4012500", "Invalid Signature");
    let reason = php.header("x-sandbox-reason").unwrap_or_default();
    assert!(reason.contains("matches a known variant"), "{reason}");
    assert!(reason.to_ascii_lowercase().contains("php"), "{reason}");

    // Token signatures too.
    let ts = timestamp::now_jakarta();
    let mut headers = harness.token_headers(&ts);
    headers.retain(|(name, _)| *name != "X-SIGNATURE");
    let other = keys::generate_private_key(2048).expect("key");
    headers.push(("X-SIGNATURE", sign_token_request(CLIENT_ID, &ts, &other)));
    let reply = harness
        .token_request(headers, r#"{"grantType":"client_credentials"}"#)
        .await;
    reply.assert_snap(401, "4017300", "Invalid Signature");
    assert_eq!(
        reply.header("x-sandbox-expected-string-to-sign"),
        Some(format!("{CLIENT_ID}|{ts}").as_str())
    );
    let reason = reply.header("x-sandbox-reason").unwrap_or_default();
    assert!(
        reason.contains("SHA256withRSA") && reason.contains("SHA256:"),
        "{reason}"
    );

    // Other rejections carry the reason (no stringToSign); switched off, nothing again.
    let mut missing = va_payment("explain-3");
    missing["paidAmount"]["value"] = json!("10");
    let reply = harness
        .transaction(PAYMENT, &missing, &token, &Tweak::default())
        .await;
    assert!(
        reply
            .header("x-sandbox-reason")
            .unwrap_or_default()
            .contains("10000.00")
    );
    assert!(reply.header("x-sandbox-expected-string-to-sign").is_none());
    harness.sandbox.set_explain(false);
    let reply = harness
        .transaction(PAYMENT, &body, &token, &wrong_secret)
        .await;
    assert!(reply.header("x-sandbox-reason").is_none());
    // The journal never holds the expected stringToSign (it carries the token).
    for judgement in harness.sandbox.recent_requests() {
        assert!(!judgement.line().contains(&token), "{}", judgement.line());
    }
}

// ---------------------------------------------------------------------------------------
// E-wallet registration (54), transaction history list (12)
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn ewallet_registration_enforces_the_nicepay_table() {
    let harness = start().await;
    let token = harness.token().await;
    let reply = harness
        .transaction(
            EWALLET,
            &ewallet_registration("ORD-1"),
            &token,
            &Tweak::default(),
        )
        .await;
    reply.assert_snap(200, "2005400", "Successful");
    assert_eq!(reply.body["partnerReferenceNo"], "ORD-1");
    let reference = reply.body["referenceNo"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(!reference.is_empty());
    let redirect = reply.body["webRedirectUrl"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(redirect.starts_with(harness.sandbox.base_url()) && redirect.ends_with(&reference));
    let page = harness
        .http
        .get(&redirect)
        .send()
        .await
        .expect("checkout page");
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap_or_default().contains(&reference));

    let again = harness
        .transaction(
            EWALLET,
            &ewallet_registration("ORD-1"),
            &token,
            &Tweak::default(),
        )
        .await;
    again.assert_snap(409, "4095401", "Duplicate partnerReferenceNo");

    let cases: [(&str, BodyChange, &str, &str); 7] = [
        (
            "merchantId missing",
            |b| drop(b.as_object_mut().map(|o| o.remove("merchantId"))),
            "4005402",
            "{merchantId}",
        ),
        (
            "merchantId too long",
            |b| b["merchantId"] = json!("IONPAYTEST1"),
            "4005401",
            "{merchantId}",
        ),
        (
            "type not allowed",
            |b| b["urlParam"][1]["type"] = json!("PAY_LATER"),
            "4005401",
            "{urlParam[1].type}",
        ),
        (
            "isDeeplink N",
            |b| b["urlParam"][0]["isDeeplink"] = json!("N"),
            "4005401",
            "{urlParam[0].isDeeplink}",
        ),
        (
            "mitraCd missing",
            |b| {
                drop(
                    b["additionalInfo"]
                        .as_object_mut()
                        .map(|o| o.remove("mitraCd")),
                )
            },
            "4005402",
            "{additionalInfo.mitraCd}",
        ),
        (
            "amount without cents",
            |b| b["amount"]["value"] = json!("10000"),
            "4005401",
            "{amount.value}",
        ),
        (
            "urlParam not an array",
            |b| b["urlParam"] = json!({"url": "u"}),
            "4005401",
            "{urlParam}",
        ),
    ];
    for (i, (what, change, code, field)) in cases.into_iter().enumerate() {
        let mut body = ewallet_registration(&format!("ORD-BAD-{i}"));
        change(&mut body);
        let reply = harness
            .transaction(EWALLET, &body, &token, &Tweak::default())
            .await;
        assert_eq!(reply.status, 400, "{what}: {}", reply.text);
        reply.assert_snap(400, code, field);
    }
}

#[tokio::test]
async fn history_list_pages_over_a_deterministic_list() {
    let harness = start().await;
    let token = harness.token().await;
    let window = |page: Value, size: Value| {
        json!({
            "additionalInfo": {"scID": "3001689892262664724480"},
            "fromDateTime": "2024-01-01T00:00:00+07:00",
            "toDateTime": "2024-01-02T00:00:00+07:00",
            "pageNumber": page, "pageSize": size
        })
    };
    let first = harness
        .transaction(
            HISTORY,
            &window(json!(0), json!(10)),
            &token,
            &Tweak::default(),
        )
        .await;
    first.assert_snap(200, "2001200", "Successful");
    let items = first.body["detailData"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(items.len(), 10);
    assert_eq!(first.body["currentPage"], "0");
    assert_eq!(first.body["hasMore"], "true");
    let pages: u64 = first.body["total"]
        .as_str()
        .and_then(|t| t.parse().ok())
        .unwrap_or(0);
    assert!(pages >= 3, "a day holds 24..96 transactions: {pages} pages");
    let entry = &items[0];
    assert!(
        entry["amount"]["value"]
            .as_str()
            .unwrap_or_default()
            .ends_with(".00")
    );
    assert_eq!(entry["additionalInfo"]["scID"], "3001689892262664724480");
    for key in ["dateTime", "status", "type", "remark"] {
        assert!(entry[key].is_string(), "{key} in {entry}");
    }
    let dates: Vec<&str> = items
        .iter()
        .filter_map(|i| i["dateTime"].as_str())
        .collect();
    let mut sorted = dates.clone();
    sorted.sort_unstable();
    assert_eq!(dates, sorted, "ascending");

    // Deterministic.
    let again = harness
        .transaction(
            HISTORY,
            &window(json!(0), json!(10)),
            &token,
            &Tweak::default(),
        )
        .await;
    assert_eq!(again.body["detailData"], first.body["detailData"]);
    // The last page has the rest and no more.
    let last = harness
        .transaction(
            HISTORY,
            &window(json!(pages - 1), json!("10")),
            &token,
            &Tweak::default(),
        )
        .await;
    last.assert_snap(200, "2001200", "Successful");
    assert_eq!(last.body["hasMore"], "false");
    let rest = last.body["detailData"].as_array().map_or(0, Vec::len);
    assert!((1..=10).contains(&rest));
    // Defaults: page 0 of 10 over the last day.
    let defaults = harness
        .transaction(
            HISTORY,
            &json!({"additionalInfo": {"scID": "abc"}}),
            &token,
            &Tweak::default(),
        )
        .await;
    defaults.assert_snap(200, "2001200", "Successful");
    assert_eq!(defaults.body["currentPage"], "0");
    assert_eq!(
        defaults.body["detailData"].as_array().map_or(0, Vec::len),
        10
    );

    let reply = harness
        .transaction(
            HISTORY,
            &json!({"additionalInfo": {}}),
            &token,
            &Tweak::default(),
        )
        .await;
    reply.assert_snap(400, "4001202", "{additionalInfo.scID}");
    let reply = harness
        .transaction(
            HISTORY,
            &window(json!(0), json!(1000)),
            &token,
            &Tweak::default(),
        )
        .await;
    reply.assert_snap(400, "4001201", "{pageSize}");
    let reply = harness
        .transaction(
            HISTORY,
            &window(json!(0), json!(10)),
            &token,
            &Tweak {
                drop_headers: vec!["ORIGIN"],
                ..Tweak::default()
            },
        )
        .await;
    reply.assert_snap(400, "4001202", "{ORIGIN}");
}

// ---------------------------------------------------------------------------------------
// Outbound: VA payment notification, biller callback
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn va_payment_notification_is_delivered_and_verifies() {
    let merchant = servers::echo();
    let mut config = config();
    config.notify_url = Some(merchant.url());
    let harness = start_with(config).await;
    let token = harness.token().await;
    harness
        .pay(&token, "notify-1")
        .await
        .assert_snap(200, "2002500", "Successful");

    let notification = next_capture(&merchant).await;
    assert_eq!(notification.method, "POST");
    assert_eq!(notification.path, "/api/v1.0/transfer-va/payment");
    let header = |name: &str| notification.header(name).unwrap_or_default().to_string();
    assert_eq!(header("content-type"), "application/json");
    assert_eq!(header("x-client-key"), CLIENT_ID);
    let ts = header("x-timestamp");
    assert!(timestamp::parse_strict(&ts).is_ok(), "{ts}");

    // Verify with the public key the sandbox serves.
    let pem = harness
        .http
        .get(format!(
            "{}{}",
            harness.sandbox.base_url(),
            sandbox::NOTIFICATION_PUBLIC_KEY_PATH
        ))
        .send()
        .await
        .expect("public key")
        .text()
        .await
        .expect("pem");
    assert!(pem.starts_with("-----BEGIN PUBLIC KEY-----"), "{pem}");
    assert_eq!(pem, harness.sandbox.notification_public_key_pem());
    let public = keys::parse_public_key(pem.as_bytes())
        .expect("readable key")
        .key;
    let input = SignatureInput {
        kind: SignatureKind::Notification,
        client_id: CLIENT_ID.into(),
        timestamp: ts.clone(),
        ..SignatureInput::default()
    };
    let prepared = signature::prepare(&input).expect("prepare");
    let verdict = signature::verify(
        &prepared,
        VerifyingSecret::Rsa(&public),
        &header("x-signature"),
    );
    assert_eq!(verdict.map(|v| v.valid), Ok(true));
    let wrong = keys::parse_public_key(
        keys::public_key_to_spki_pem(&partner_key().to_public_key())
            .expect("pem")
            .as_bytes(),
    )
    .expect("key")
    .key;
    let verdict = signature::verify(
        &prepared,
        VerifyingSecret::Rsa(&wrong),
        &header("x-signature"),
    );
    assert_eq!(
        verdict.map(|v| v.valid),
        Ok(false),
        "the signature is specific to the key"
    );

    let body: Value = serde_json::from_slice(&notification.body).expect("json body");
    assert_eq!(body["paymentRequestId"], "notify-1");
    assert_eq!(body["virtualAccountNo"], "   123450000000001");
    assert_eq!(
        body["paidAmount"],
        json!({"value": "10000.00", "currency": "IDR"})
    );
    assert_eq!(body["trxId"], "trx-0001");
    for key in ["bankCd", "goodsNm", "vacctValidDt", "vacctValidTm"] {
        assert!(body["additionalInfo"][key].is_string(), "{key}: {body}");
    }

    // The delivery log says it was answered; a replay does not notify twice.
    harness
        .pay(&token, "notify-1")
        .await
        .assert_snap(200, "2002500", "Successful");
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let deliveries = harness.sandbox.deliveries();
        if deliveries.iter().any(|d| d.is_success()) {
            assert_eq!(deliveries.len(), 1, "{deliveries:?}");
            assert_eq!(deliveries[0].kind, DeliveryKind::VaPaymentNotification);
            assert_eq!(
                deliveries[0].outcome,
                DeliveryOutcome::Answered { status: 200 }
            );
            break;
        }
        assert!(Instant::now() < deadline, "{deliveries:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        merchant
            .next_request(Duration::from_millis(500))
            .await
            .is_none(),
        "no second notification"
    );
}

#[tokio::test]
async fn a_failed_notification_is_recorded_and_never_blocks_the_payment() {
    // A port that was free a moment ago: nothing listens there.
    let closed = servers::closed_port();
    let mut config = config();
    config.notify_url = Some(format!("http://{closed}"));
    config.outbound_timeout = Duration::from_secs(2);
    let harness = start_with(config).await;
    let token = harness.token().await;
    let started = Instant::now();
    harness
        .pay(&token, "unreachable-1")
        .await
        .assert_snap(200, "2002500", "Successful");
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "the answer did not wait"
    );
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let deliveries = harness.sandbox.deliveries();
        if let Some(DeliveryOutcome::Failed { reason }) = deliveries.first().map(|d| &d.outcome) {
            assert!(!reason.is_empty());
            assert!(!reason.contains(SECRET));
            break;
        }
        assert!(Instant::now() < deadline, "{deliveries:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn biller_trx(user: &str, password: &str, trxid: &str, produk: &str, idpel: &str) -> Value {
    json!({
        "user": user,
        "sign": biller::sign(user, password, trxid),
        "trxid": trxid,
        "cmd": "trx",
        "idpel": idpel,
        "produk": produk
    })
}

#[tokio::test]
async fn biller_answers_pending_or_gagal_and_calls_back() {
    let merchant = servers::echo();
    let mut config = config();
    config.notify_url = Some(format!("{}/merchant", merchant.url()));
    let harness = start_with(config).await;
    let post = |body: Value| {
        let request = harness
            .http
            .post(harness.url(BILLER))
            .body(body.to_string());
        async move { reply_of(request.send().await.expect("biller")).await }
    };

    let pending = post(biller_trx(
        CLIENT_ID,
        SECRET,
        "22110111373985338",
        "s5",
        "0812345678",
    ))
    .await;
    assert_eq!(pending.status, 200, "{}", pending.text);
    let body = &pending.body;
    assert_eq!(body["status"], true);
    assert_eq!(body["reason"], "Transaksi s5.0812345678 sedang diproses");
    assert_eq!(body["total"], 5000);
    assert_eq!(body["kodeproduk"], "s5");
    assert_eq!(body["tujuan"], "0812345678");
    assert_eq!(body["user"], CLIENT_ID);
    assert_eq!(body["ftrxid"].as_str().map(str::len), Some(14));
    assert!(body["saldo"].is_string() && body["elapsed"].is_f64() && body["trxtime"].is_string());

    let callback = next_capture(&merchant).await;
    assert_eq!(callback.method, "GET");
    assert_eq!(callback.path, "/merchant/biller/reversal");
    let parsed = biller::parse_callback(callback.query.as_deref().unwrap_or_default())
        .expect("a callback the biller module reads");
    assert_eq!(parsed.status, CallbackStatus::Success);
    assert_eq!(parsed.refid, "22110111373985338");
    assert_eq!(parsed.dest.as_deref(), Some("0812345678"));
    assert_eq!(parsed.product.as_deref(), Some("s5"));
    let message = parsed.message.unwrap_or_default();
    assert!(
        message.starts_with("Transaksi s5.0812345678 SUKSES"),
        "{message}"
    );

    let failing = post(biller_trx(CLIENT_ID, SECRET, "t-2", "s10", "08129999")).await;
    assert_eq!(failing.body["status"], true);
    let callback = next_capture(&merchant).await;
    let parsed =
        biller::parse_callback(callback.query.as_deref().unwrap_or_default()).expect("callback");
    assert_eq!(parsed.status, CallbackStatus::Failed);
    assert_eq!(parsed.refid, "t-2");

    let unknown = post(biller_trx(CLIENT_ID, SECRET, "t-3", "zz9", "0812")).await;
    assert_eq!(unknown.status, 200);
    assert_eq!(unknown.body["status"], false);
    assert_eq!(unknown.body["total"], 0);
    assert_eq!(
        unknown.body["reason"],
        "Transaksi zz9.0812 GAGAL Produk tidak tersedia (ROUTE)"
    );
    let inactive = post(biller_trx(CLIENT_ID, SECRET, "t-4", "s1", "0812")).await;
    assert_eq!(
        inactive.body["reason"],
        "Transaksi s1.0812 GAGAL Produk tidak Aktif"
    );

    let bad_sign = post(biller_trx(CLIENT_ID, "wrong-password", "t-5", "s5", "0812")).await;
    assert_eq!(bad_sign.status, 401);
    assert_eq!(bad_sign.body["status"], false);
    assert!(bad_sign.header("x-sandbox-reason").is_none());
    harness.sandbox.set_explain(true);
    let explained = post(biller_trx(CLIENT_ID, "wrong-password", "t-6", "s5", "0812")).await;
    let expected = explained
        .header("x-sandbox-expected-string-to-sign")
        .unwrap_or_default();
    assert!(
        expected.contains("t-6") && !expected.contains(SECRET),
        "{expected}"
    );
    assert!(
        explained
            .header("x-sandbox-reason")
            .unwrap_or_default()
            .contains("md5")
    );

    let missing = post(json!({"user": CLIENT_ID, "cmd": "trx"})).await;
    assert_eq!(missing.status, 400);
    assert!(
        missing.body["reason"]
            .as_str()
            .unwrap_or_default()
            .contains("sign"),
        "{}",
        missing.text
    );
    let garbage = harness
        .http
        .post(harness.url(BILLER))
        .body("{user")
        .send()
        .await
        .expect("post");
    assert_eq!(garbage.status(), 400);
    // Only the two PENDING transactions called back.
    assert!(
        merchant
            .next_request(Duration::from_millis(600))
            .await
            .is_none()
    );
}

// ---------------------------------------------------------------------------------------
// ASPI helpers
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn aspi_signature_helpers_sign_for_the_caller() {
    let harness = start().await;
    let ts = "2024-11-29T14:15:00+07:00";
    let pem = keys::private_key_to_pkcs8_pem(partner_key(), None).expect("pem");
    let one_line_pem = pem.replace('\n', "\\n");
    let bare: String = pem
        .lines()
        .filter(|line| !line.starts_with("-----"))
        .collect();
    let expected = sign_token_request(CLIENT_ID, ts, partner_key());
    for key in [one_line_pem, bare] {
        let reply = reply_of(
            harness
                .http
                .post(harness.url("/api/v1.0/utilities/signature-auth"))
                .header("X-TIMESTAMP", ts)
                .header("X-CLIENT-KEY", CLIENT_ID)
                .header("Private_Key", key)
                .send()
                .await
                .expect("signature-auth"),
        )
        .await;
        assert_eq!(reply.status, 200, "{}", reply.text);
        assert_eq!(reply.body["signature"], expected.as_str());
    }
    for (drop, message) in [
        ("X-TIMESTAMP", "The timestamp field is required."),
        ("X-CLIENT-KEY", "The clientId field is required."),
        ("Private_Key", "The privateKey field is required."),
    ] {
        let mut request = harness
            .http
            .post(harness.url("/api/v1.0/utilities/signature-auth"));
        for (name, value) in [
            ("X-TIMESTAMP", ts),
            ("X-CLIENT-KEY", CLIENT_ID),
            ("Private_Key", "abc"),
        ] {
            if name != drop {
                request = request.header(name, value);
            }
        }
        let reply = reply_of(request.send().await.expect("post")).await;
        reply.assert_snap(400, "4000000", message);
    }
    let reply = reply_of(
        harness
            .http
            .post(harness.url("/api/v1.0/utilities/signature-auth"))
            .header("X-TIMESTAMP", ts)
            .header("X-CLIENT-KEY", CLIENT_ID)
            .header("Private_Key", "bm90IGEga2V5")
            .send()
            .await
            .expect("post"),
    )
    .await;
    reply.assert_snap(400, "4000000", "The privateKey field is invalid");

    let body = serde_json::to_string(&va_payment("aspi-1")).expect("json");
    let token = "gp9HjjEj813Y9JGoqwOeOPWbnt4CUpvIJbU1mMU4a11MNDZ7Sg5u9a";
    let service = |skip: &str| {
        let mut request = harness
            .http
            .post(harness.url("/api/v1.0/utilities/signature-service"))
            .body(body.clone());
        for (name, value) in [
            ("X-TIMESTAMP", ts),
            ("X-CLIENT-SECRET", SECRET),
            ("HttpMethod", "POST"),
            ("EndpoinUrl", PAYMENT),
            ("AccessToken", token),
        ] {
            if name != skip {
                request = request.header(name, value);
            }
        }
        request
    };
    let reply = reply_of(service("").send().await.expect("post")).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let prepared =
        signature::prepare(&symmetric_input(PAYMENT, token, &body, ts)).expect("prepare");
    let ours = signature::sign(&prepared, SigningSecret::Hmac(SECRET.as_bytes())).expect("sign");
    assert_eq!(reply.body["signature"], ours.as_str());
    let reply = reply_of(service("AccessToken").send().await.expect("post")).await;
    reply.assert_snap(400, "4000000", "The accessToken field is required.");
    let reply = reply_of(service("EndpoinUrl").send().await.expect("post")).await;
    reply.assert_snap(400, "4000000", "The endpointUrl field is required.");
    for judgement in harness.sandbox.recent_requests() {
        assert!(!judgement.line().contains(SECRET));
    }
}

// ---------------------------------------------------------------------------------------
// Never falls over
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn a_body_over_one_megabyte_gets_413_and_the_server_keeps_serving() {
    let harness = start().await;
    let token = harness.token().await;
    let mut body = va_payment("big-1");
    body["additionalInfo"] = json!({"padding": "x".repeat(1024 * 1024)});
    let reply = harness
        .transaction(PAYMENT, &body, &token, &Tweak::default())
        .await;
    reply.assert_snap(413, "4132500", "Payload Too Large");
    still_serves(&harness).await;
    // Without Content-Length (chunked) too: 1.25 MiB in 64 KiB chunks.
    let mut chunked = b"POST /api/v1.0/transfer-va/payment HTTP/1.1\r\nHost: sandbox\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
    for _ in 0..20 {
        chunked.extend_from_slice(format!("{:x}\r\n", 64 * 1024).as_bytes());
        chunked.extend_from_slice(&[b' '; 64 * 1024]);
        chunked.extend_from_slice(b"\r\n");
    }
    chunked.extend_from_slice(b"0\r\n\r\n");
    let (text, _) = raw_exchange(harness.sandbox.addr(), &chunked, Duration::from_secs(5)).await;
    assert!(text.starts_with("HTTP/1.1 413"), "{text}");
    assert!(text.contains("4132500"), "{text}");
    still_serves(&harness).await;
}

#[tokio::test]
async fn raw_requests_without_headers_or_with_garbage_are_answered() {
    let harness = start().await;
    let addr = harness.sandbox.addr();
    let (text, _) = raw_exchange(
        addr,
        b"POST /api/v1.0/transfer-va/payment HTTP/1.1\r\n\r\n",
        Duration::from_secs(3),
    )
    .await;
    assert!(text.starts_with("HTTP/1.1 400"), "{text}");
    assert!(
        text.contains("4002502") && text.contains("Invalid Mandatory Field {Content-Type}"),
        "{text}"
    );
    still_serves(&harness).await;

    let garbage: Vec<u8> = (0..2048u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 7) as u8)
        .collect();
    let (text, closed) = raw_exchange(addr, &garbage, Duration::from_secs(3)).await;
    assert!(closed, "garbage is answered by closing: {text}");
    assert!(
        text.is_empty() || text.starts_with("HTTP/1.1 400"),
        "{text}"
    );
    still_serves(&harness).await;
}

#[tokio::test]
async fn stalled_clients_are_cut_off_and_the_server_keeps_serving() {
    let harness = start().await;
    let addr = harness.sandbox.addr();
    // Mid-headers: the header timeout (1 s here) closes the connection.
    let started = Instant::now();
    let (_, closed) = raw_exchange(
        addr,
        b"POST /api/v1.0/transfer-va/payment HTTP/1.1\r\nHost: sandbox\r\nX-TIMES",
        Duration::from_secs(6),
    )
    .await;
    assert!(closed, "closed after the header timeout");
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "{:?}",
        started.elapsed()
    );
    still_serves(&harness).await;

    // Mid-body: 10 bytes of 100 promised; the body timeout answers 408 and closes.
    let started = Instant::now();
    let (text, closed) = raw_exchange(
        addr,
        b"POST /api/v1.0/transfer-va/payment HTTP/1.1\r\nHost: sandbox\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"partner",
        Duration::from_secs(6),
    )
    .await;
    assert!(closed);
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "{:?}",
        started.elapsed()
    );
    assert!(text.starts_with("HTTP/1.1 408"), "{text}");
    assert!(text.contains("4082500"), "{text}");
    still_serves(&harness).await;

    // Many stalled clients at once do not starve a good one.
    let mut stalled = Vec::new();
    for _ in 0..20 {
        let mut stream = TcpStream::connect(addr).await.expect("connect");
        stream
            .write_all(b"POST /api/v1.0/transfer-va/payment HTTP/1.1\r\n")
            .await
            .expect("write");
        stalled.push(stream);
    }
    still_serves(&harness).await;
    drop(stalled);
}

#[tokio::test]
async fn unknown_paths_and_wrong_methods_get_snap_bodies() {
    let harness = start().await;
    let reply = reply_of(
        harness
            .http
            .post(harness.url("/api/v1.0/nope"))
            .send()
            .await
            .expect("post"),
    )
    .await;
    reply.assert_snap(404, "4040002", "Invalid Routing");
    let reply = reply_of(
        harness
            .http
            .post(harness.url("/api/v1.0/qr/qr-mpm-notify"))
            .send()
            .await
            .expect("post"),
    )
    .await;
    // Notifications go to the merchant (the inbox), not to the sandbox.
    reply.assert_snap(404, "4045202", "does not simulate 52");
    let reply = reply_of(
        harness
            .http
            .get(harness.url(PAYMENT))
            .send()
            .await
            .expect("get"),
    )
    .await;
    reply.assert_snap(405, "4052500", "Use POST");
    let reply = reply_of(
        harness
            .http
            .post(harness.url(sandbox::NOTIFICATION_PUBLIC_KEY_PATH))
            .send()
            .await
            .expect("post"),
    )
    .await;
    reply.assert_snap(405, "4050000", "Use GET");
    let journal = harness.sandbox.recent_requests();
    assert_eq!(journal.len(), 4);
    assert_eq!(journal[0].response_code.as_deref(), Some("4040002"));
    assert!(journal.windows(2).all(|w| w[1].seq == w[0].seq + 1));
}

// ---------------------------------------------------------------------------------------
// Load and lifecycle
// ---------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn five_hundred_payments_at_concurrency_sixteen_without_an_error() {
    let harness = std::sync::Arc::new(start().await);
    let token = std::sync::Arc::new(harness.token().await);
    let next = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let total = 500;
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..16 {
        let (harness, token, next) = (harness.clone(), token.clone(), next.clone());
        workers.spawn(async move {
            let mut failures = Vec::new();
            loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if i >= total {
                    break failures;
                }
                let reply = harness.pay(&token, &format!("load-{i}")).await;
                if reply.status != 200 || reply.code() != "2002500" {
                    failures.push(reply.text);
                }
            }
        });
    }
    let mut failures = Vec::new();
    while let Some(done) = workers.join_next().await {
        failures.extend(done.expect("worker"));
    }
    assert!(
        failures.is_empty(),
        "{} failures, first: {:?}",
        failures.len(),
        failures.first()
    );
}

#[tokio::test]
async fn stop_closes_the_port_even_with_an_idle_connection_open() {
    let harness = start().await;
    let addr = harness.sandbox.addr();
    assert!(addr.ip().is_loopback());
    still_serves(&harness).await;
    let idle = TcpStream::connect(addr).await.expect("connect");
    let Harness { sandbox, http } = harness;
    let started = Instant::now();
    tokio::time::timeout(Duration::from_secs(6), sandbox.stop())
        .await
        .expect("stop returns");
    assert!(started.elapsed() < Duration::from_secs(5));
    drop(idle);
    assert!(
        TcpStream::connect(addr).await.is_err(),
        "the port is closed"
    );
    assert!(http.get(format!("http://{addr}/")).send().await.is_err());
}

#[tokio::test]
async fn generated_configs_work_end_to_end() {
    let (mut config, partner) = SandboxConfig::generate().expect("generate");
    config.port = 0;
    let sandbox = sandbox::start(config).await.expect("start");
    let http = reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("client");
    let ts = timestamp::now_jakarta();
    let client_id = sandbox.client_id().to_string();
    let reply = reply_of(
        http.post(format!("{}{TOKEN}", sandbox.base_url()))
            .header("Content-Type", "application/json")
            .header("X-TIMESTAMP", &ts)
            .header("X-CLIENT-KEY", &client_id)
            .header("X-SIGNATURE", sign_token_request(&client_id, &ts, &partner))
            .body(r#"{"grantType":"client_credentials"}"#)
            .send()
            .await
            .expect("token"),
    )
    .await;
    reply.assert_snap(200, "2007300", "Successful");
    assert!(format!("{sandbox:?}").contains(&client_id));
    sandbox.stop().await;
}

// ---------------------------------------------------------------------------------------
// The command line: `snap-console sandbox`
// ---------------------------------------------------------------------------------------

/// The sandbox process of a CLI test, killed (by its own handle) if the test fails early.
struct SandboxProcess {
    child: std::process::Child,
    stdout: std::io::BufReader<std::process::ChildStdout>,
}

impl SandboxProcess {
    fn start(args: &[&str], envs: &[(&str, &str)]) -> SandboxProcess {
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_snap-console"));
        command
            .arg("sandbox")
            .args(args)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped());
        for (name, value) in envs {
            command.env(name, value);
        }
        let mut child = command.spawn().expect("the binary starts");
        let stdout = std::io::BufReader::new(child.stdout.take().expect("stdout"));
        SandboxProcess { child, stdout }
    }

    /// The first line: the banner, as JSON.
    fn banner(&mut self) -> (Value, String) {
        use std::io::BufRead;
        let mut line = String::new();
        self.stdout.read_line(&mut line).expect("banner line");
        let banner = serde_json::from_str(&line).unwrap_or_else(|e| panic!("{e}: {line}"));
        (banner, line)
    }

    /// Ctrl+C (SIGINT to this child's pid), then wait for a clean exit.
    fn interrupt(mut self) -> std::process::ExitStatus {
        let pid = self.child.id().to_string();
        let sent = std::process::Command::new("kill")
            .args(["-INT", &pid])
            .status()
            .expect("kill runs");
        assert!(sent.success());
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(status) = self.child.try_wait().expect("wait") {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "the sandbox did not stop on Ctrl+C"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for SandboxProcess {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// A token and one payment against a sandbox started by the CLI.
fn pay_through(base: &str, client_id: &str, secret: &str, key: &RsaPrivateKey) -> Reply {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(async {
        let http = reqwest::Client::builder()
            .no_proxy()
            .build()
            .expect("client");
        let ts = timestamp::now_jakarta();
        let reply = reply_of(
            http.post(format!("{base}{TOKEN}"))
                .header("Content-Type", "application/json")
                .header("X-TIMESTAMP", &ts)
                .header("X-CLIENT-KEY", client_id)
                .header("X-SIGNATURE", sign_token_request(client_id, &ts, key))
                .body(r#"{"grantType":"client_credentials"}"#)
                .send()
                .await
                .expect("token"),
        )
        .await;
        reply.assert_snap(200, "2007300", "Successful");
        let token = reply.body["accessToken"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let body = serde_json::to_string(&va_payment("cli-1")).expect("json");
        let ts = timestamp::now_jakarta();
        let prepared =
            signature::prepare(&symmetric_input(PAYMENT, &token, &body, &ts)).expect("prepare");
        let signature =
            signature::sign(&prepared, SigningSecret::Hmac(secret.as_bytes())).expect("sign");
        reply_of(
            http.post(format!("{base}{PAYMENT}"))
                .header("Content-Type", "application/json")
                .header("Authorization", format!("Bearer {token}"))
                .header("X-TIMESTAMP", ts)
                .header("X-SIGNATURE", signature)
                .header("X-PARTNER-ID", client_id)
                .header("X-EXTERNAL-ID", timestamp::new_external_id(32))
                .header("CHANNEL-ID", "95221")
                .body(body)
                .send()
                .await
                .expect("payment"),
        )
        .await
    })
}

#[test]
fn cli_generates_credentials_into_files_and_stops_on_ctrl_c() {
    let dir = tempfile::tempdir().expect("temp dir");
    let credentials = dir.path().join("creds");
    let credentials_arg = credentials.display().to_string();
    let mut process = SandboxProcess::start(
        &["--json", "--credentials-dir", &credentials_arg, "--explain"],
        &[],
    );
    let (banner, line) = process.banner();
    let base = banner["baseUrl"].as_str().expect("baseUrl").to_string();
    assert!(base.starts_with("http://127.0.0.1:"), "{base}");
    assert_eq!(banner["explain"], true);
    let client_id = banner["clientId"].as_str().expect("clientId").to_string();
    let secret_file = banner["clientSecret"]["file"]
        .as_str()
        .expect("secret file");
    let key_file = banner["partnerPrivateKeyFile"].as_str().expect("key file");
    assert!(secret_file.starts_with(&credentials_arg) && key_file.starts_with(&credentials_arg));
    let secret = std::fs::read_to_string(secret_file).expect("secret");
    let secret = secret.trim_end().to_string();
    assert!(secret.len() >= 32);
    assert!(
        !line.contains(&secret),
        "the banner never prints the secret"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        for secret_path in [secret_file, key_file] {
            let mode = std::fs::metadata(secret_path)
                .expect("meta")
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600, "{secret_path}");
        }
    }
    let key = keys::parse_private_key(&std::fs::read(key_file).expect("key"), None)
        .expect("a readable key")
        .key;
    let paid = pay_through(&base, &client_id, &secret, &key);
    paid.assert_snap(200, "2002500", "Successful");
    let status = process.interrupt();
    assert!(status.success(), "{status:?}");
}

#[test]
fn cli_accepts_given_credentials_and_refuses_half_of_them() {
    let dir = tempfile::tempdir().expect("temp dir");
    let public = dir.path().join("partner.pub.pem");
    let pem = keys::public_key_to_spki_pem(&partner_key().to_public_key()).expect("pem");
    std::fs::write(&public, pem).expect("write key");
    let public_arg = public.display().to_string();
    let mut process = SandboxProcess::start(
        &[
            "--json",
            "--client-id",
            "GIVEN-CLIENT",
            "--client-secret-env",
            "SANDBOX_TEST_SECRET",
            "--partner-public-key",
            &public_arg,
        ],
        &[("SANDBOX_TEST_SECRET", "given-secret-value")],
    );
    let (banner, line) = process.banner();
    assert_eq!(banner["clientId"], "GIVEN-CLIENT");
    assert_eq!(banner["clientSecret"]["env"], "SANDBOX_TEST_SECRET");
    assert!(!line.contains("given-secret-value"));
    let base = banner["baseUrl"].as_str().expect("baseUrl").to_string();
    let paid = pay_through(&base, "GIVEN-CLIENT", "given-secret-value", partner_key());
    paid.assert_snap(200, "2002500", "Successful");
    assert!(process.interrupt().success());

    let half = std::process::Command::new(env!("CARGO_BIN_EXE_snap-console"))
        .args(["sandbox", "--client-id", "X", "--client-secret-env", "V"])
        .output()
        .expect("runs");
    assert_eq!(half.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&half.stderr).contains("--partner-public-key"));
    let unset = std::process::Command::new(env!("CARGO_BIN_EXE_snap-console"))
        .args([
            "sandbox",
            "--client-id",
            "X",
            "--client-secret-env",
            "SANDBOX_UNSET_VAR",
        ])
        .args(["--partner-public-key", &public_arg])
        .env_remove("SANDBOX_UNSET_VAR")
        .output()
        .expect("runs");
    assert_eq!(unset.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&unset.stderr).contains("SANDBOX_UNSET_VAR is not set"));
}
