//! What the inbox answers, path by path, like a merchant would: the SNAP success body for
//! each notification it hosts, a token, a VA inquiry answer, a plain `OK` for the biller's
//! callback; and the rules a developer sets per path to test a provider's retries (a
//! template, a slow answer, a 500, an "invalid signature" 401).
//!
//! Pure: the request goes in, an [`Answer`] comes out. Service codes come from the catalog,
//! so a path and its code are written once (DESIGN.md).

use crate::snap::text::shorten;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rsa::rand_core::{OsRng, RngCore};
use serde_json::{Map, Value, json};

use crate::snap::catalog;
use crate::snap::minify::{MinifyMode, minify};
use crate::snap::response;
use crate::snap::services;
use crate::snap::timestamp;

use super::verify;
use crate::snap::headers::X_CLIENT_KEY;

/// The API prefix the inbox serves the catalog's paths under (ASPI and NICEPAY: `/api`).
pub use crate::snap::catalog::API_PREFIX;

/// A slow answer waits at most this long: longer only ties up a connection.
pub const MAX_SLOW_DELAY: Duration = Duration::from_secs(300);

/// How long a token issued by the merchant-hosted token endpoint claims to live.
pub const TOKEN_EXPIRES_IN: &str = "900";

pub const CONTENT_TYPE_JSON: &str = "application/json";
pub const CONTENT_TYPE_TEXT: &str = "text/plain; charset=utf-8";

/// How to answer one path. Set per path with `InboxHandle::set_answer`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum AnswerRule {
    /// The merchant's normal answer for the path (see [`default_answer`]).
    #[default]
    Default,
    /// This status and body. `{{timestamp}}` becomes now (X-TIMESTAMP form), `{{random}}`
    /// a fresh token, and `{{request:/json/pointer}}` that part of the request body (a
    /// string's characters JSON-escaped, anything else as JSON), so a template can echo
    /// the request. [`starting_template`] gives one to start from.
    Template { status: u16, body: String },
    /// Wait, then answer as `then` says (a provider's timeout and retry).
    Slow {
        delay: Duration,
        then: Box<AnswerRule>,
    },
    /// 500 with a SNAP `500xx00 General Error` body.
    ServerError,
    /// 401 with a SNAP `401xx00 Unauthorized. Invalid Signature` body.
    InvalidSignature,
}

impl AnswerRule {
    /// A short label for lists and logs: "default", "template 202", "slow 2.0 s, then 500", …
    pub fn label(&self) -> String {
        match self {
            AnswerRule::Default => "default".to_string(),
            AnswerRule::Template { status, .. } => format!("template {status}"),
            AnswerRule::Slow { delay, then } => {
                format!("slow {:.1} s, then {}", delay.as_secs_f64(), then.label())
            }
            AnswerRule::ServerError => "server error 500".to_string(),
            AnswerRule::InvalidSignature => "invalid signature 401".to_string(),
        }
    }

    /// Why this rule cannot be used, if it cannot.
    pub fn check(&self) -> Result<(), String> {
        match self {
            AnswerRule::Template { status, .. } if !(200..=599).contains(status) => Err(format!(
                "a template's status must be 200–599 (an HTTP final status); {status} is not"
            )),
            AnswerRule::Slow { delay, then } => {
                if *delay > MAX_SLOW_DELAY {
                    return Err(format!(
                        "a slow answer waits at most {} s; {:.1} s asked",
                        MAX_SLOW_DELAY.as_secs(),
                        delay.as_secs_f64()
                    ));
                }
                if matches!(**then, AnswerRule::Slow { .. }) {
                    return Err("a slow answer cannot wrap another slow answer".to_string());
                }
                then.check()
            }
            _ => Ok(()),
        }
    }
}

/// What to send back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    pub status: u16,
    pub content_type: &'static str,
    pub body: String,
    /// Headers besides Content-Type and X-TIMESTAMP (the token answer echoes X-CLIENT-KEY).
    pub extra_headers: Vec<(String, String)>,
    /// Wait this long before answering (a [`AnswerRule::Slow`] rule).
    pub delay: Duration,
}

impl Answer {
    fn json(status: u16, body: Value) -> Self {
        Answer {
            status,
            content_type: CONTENT_TYPE_JSON,
            body: body.to_string(),
            extra_headers: Vec::new(),
            delay: Duration::ZERO,
        }
    }

    fn text(status: u16, body: &str) -> Self {
        Answer {
            status,
            content_type: CONTENT_TYPE_TEXT,
            body: body.to_string(),
            extra_headers: Vec::new(),
            delay: Duration::ZERO,
        }
    }
}

/// The request as the answer needs it.
#[derive(Debug, Clone, Copy)]
pub struct AnswerInput<'a> {
    pub method: &'a str,
    pub path: &'a str,
    pub query: Option<&'a str>,
    pub headers: &'a [(String, String)],
    pub body: &'a str,
}

/// The two-digit service code of a path ("00" when the catalog does not know it).
pub fn service_code(path: &str) -> String {
    catalog::by_path(API_PREFIX, path)
        .and_then(|s| s.code.clone())
        .unwrap_or_else(|| "00".to_string())
}

/// `{"responseCode": "<status><svc><case>", "responseMessage": message}`.
pub fn snap_error(status: u16, path: &str, case: &str, message: &str) -> String {
    json!({
        "responseCode": response::compose(status, &service_code(path), case),
        "responseMessage": message,
    })
    .to_string()
}

/// A SNAP error answer: `status` with `{status}{service code of path}{case}` and `message`.
pub fn error_answer(status: u16, path: &str, case: &str, message: &str) -> Answer {
    Answer {
        status,
        content_type: CONTENT_TYPE_JSON,
        body: snap_error(status, path, case, message),
        extra_headers: Vec::new(),
        delay: Duration::ZERO,
    }
}

/// The answer `rule` gives to `input`.
pub fn answer(rule: &AnswerRule, input: &AnswerInput<'_>) -> Answer {
    match rule {
        AnswerRule::Default => default_answer(input),
        AnswerRule::Template { status, body } => {
            let filled = fill_template(body, input.body);
            let content_type = if serde_json::from_str::<Value>(&filled).is_ok() {
                CONTENT_TYPE_JSON
            } else {
                CONTENT_TYPE_TEXT
            };
            Answer {
                status: *status,
                content_type,
                body: filled,
                extra_headers: Vec::new(),
                delay: Duration::ZERO,
            }
        }
        AnswerRule::Slow { delay, then } => {
            let mut inner = answer(then, input);
            inner.delay = (*delay).min(MAX_SLOW_DELAY);
            inner
        }
        AnswerRule::ServerError => error_answer(500, input.path, "00", "General Error"),
        AnswerRule::InvalidSignature => {
            error_answer(401, input.path, "00", "Unauthorized. Invalid Signature")
        }
    }
}

/// What a merchant answers by default (a bad signature does not change it: the developer
/// sees the verdict, the provider sees a normal answer).
pub fn default_answer(input: &AnswerInput<'_>) -> Answer {
    if verify::is_biller_callback(input.method, input.query) {
        // The biller document wants nothing but a 200.
        return Answer::text(200, "OK");
    }
    let Some(hosted) = hosted(input.path) else {
        return error_answer(
            404,
            input.path,
            "02",
            &format!(
                "Invalid Routing. The inbox has no answer for {} {}; it answers POST {}, and GET with status and refid for the biller callback",
                input.method,
                shorten(input.path, 120),
                hosted_paths().join(", ")
            ),
        );
    };
    if !input.method.eq_ignore_ascii_case("POST") {
        return error_answer(
            405,
            input.path,
            "00",
            &format!(
                "Requested Function Is Not Supported. {} takes POST, not {}",
                input.path,
                shorten(input.method, 120)
            ),
        );
    }
    let body = match parse_json_body(input.body) {
        Ok(body) => body,
        Err(message) => {
            return error_answer(400, input.path, "00", &format!("Bad Request. {message}"));
        }
    };
    let code = response::compose(200, &hosted.code, "00");
    match hosted.kind {
        HostedKind::VaPayment => Answer::json(200, va_payment_answer(&code, &body)),
        HostedKind::VaInquiry => Answer::json(200, va_inquiry_answer(&code, &body)),
        HostedKind::Token => {
            let mut answer = Answer::json(200, token_answer(&code));
            if let Some(client) = verify::header(input.headers, X_CLIENT_KEY) {
                answer
                    .extra_headers
                    .push((X_CLIENT_KEY.to_string(), client.to_string()));
            }
            answer
        }
        HostedKind::Notify => Answer::json(200, notify_answer(&code, input.path, &body)),
    }
}

/// `2xx<code>00 Successful` plus what the service's response template adds (21 and 41
/// echo the bulk ids, 56 gives an approvalCode; most notifications answer the envelope
/// only), from `assets/services/<group>.json`.
fn notify_answer(code: &str, path: &str, body: &Value) -> Value {
    let mut answer = Map::new();
    answer.insert("responseCode".into(), json!(code));
    answer.insert("responseMessage".into(), json!("Successful"));
    if let Some(service) = catalog::by_path(API_PREFIX, path) {
        let now = timestamp::now_jakarta();
        let values = services::ResponseValues {
            reference_no: random_digits(12),
            timestamp: now.clone(),
            timestamp_plus_day: now,
        };
        if let Some(filled) = services::fill_response(&service.id, body, &values) {
            answer.extend(filled);
        }
    }
    Value::Object(answer)
}

fn random_digits(len: usize) -> String {
    let mut random = vec![0u8; len];
    OsRng.fill_bytes(&mut random);
    random.iter().map(|b| char::from(b'0' + b % 10)).collect()
}

/// A parsed JSON body, or the parse error in words with its line and column.
fn parse_json_body(body: &str) -> Result<Value, String> {
    if body.trim().is_empty() {
        return Err("The body is empty; a JSON object was expected".to_string());
    }
    // minify names the line and column in the words the rest of the console uses.
    if let Err(e) = minify(body, MinifyMode::Lexical) {
        return Err(format!("The body is not valid JSON: {e}"));
    }
    match serde_json::from_str::<Value>(body) {
        Ok(value @ Value::Object(_)) => Ok(value),
        Ok(_) => Err("The body is JSON but not an object".to_string()),
        Err(e) => Err(format!(
            "The body is not valid JSON: line {}, column {}: {e}",
            e.line(),
            e.column()
        )),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum HostedKind {
    VaPayment,
    VaInquiry,
    Token,
    /// Any notification the catalog marks inbound (QRIS 52, direct debit 56, …).
    Notify,
}

struct Hosted {
    kind: HostedKind,
    code: String,
}

/// The services the inbox answers as a merchant, by path.
fn hosted(path: &str) -> Option<Hosted> {
    let service = catalog::by_path(API_PREFIX, path)?;
    let code = service.code.clone()?;
    let kind = match code.as_str() {
        "25" => HostedKind::VaPayment,
        "24" => HostedKind::VaInquiry,
        "73" => HostedKind::Token,
        _ if service.inbound => HostedKind::Notify,
        _ => return None,
    };
    Some(Hosted { kind, code })
}

/// Every path the inbox answers with POST, for messages and the UI.
pub fn hosted_paths() -> Vec<String> {
    catalog::services()
        .iter()
        .map(|s| s.full_path(API_PREFIX))
        .filter(|p| hosted(p).is_some())
        .collect()
}

/// Whether the inbox parses this path's body as JSON (the paths it hosts).
pub fn is_json_path(path: &str) -> bool {
    hosted(path).is_some()
}

/// Copy `fields` from the request (top level, or inside its `virtualAccountData`).
fn echo(body: &Value, fields: &[&str]) -> Map<String, Value> {
    let nested = body.get("virtualAccountData");
    let mut out = Map::new();
    for field in fields {
        if let Some(value) = body
            .get(*field)
            .or_else(|| nested.and_then(|n| n.get(*field)))
        {
            out.insert((*field).to_string(), value.clone());
        }
    }
    out
}

/// What a VA payment answer echoes (nicepay-va-payment-notification.txt, response table).
const PAYMENT_ECHO: &[&str] = &[
    "partnerServiceId",
    "customerNo",
    "virtualAccountNo",
    "virtualAccountName",
    "trxId",
    "paymentRequestId",
    "paidAmount",
    "trxDateTime",
    "additionalInfo",
];

/// What a VA inquiry answer echoes.
const INQUIRY_ECHO: &[&str] = &[
    "partnerServiceId",
    "customerNo",
    "virtualAccountNo",
    "inquiryRequestId",
];

/// Echoed fields that are objects, not strings.
const OBJECT_FIELDS: &[&str] = &["paidAmount", "additionalInfo", "amount"];

/// `2002500` echoing `virtualAccountData` (nicepay-va-payment-notification.txt).
fn va_payment_answer(code: &str, body: &Value) -> Value {
    let data = echo(body, PAYMENT_ECHO);
    json!({
        "responseCode": code,
        "responseMessage": "Successful",
        "virtualAccountData": data,
    })
}

/// `2002400`: the bill a merchant would report for an inquiry.
fn va_inquiry_answer(code: &str, body: &Value) -> Value {
    let mut data = echo(body, INQUIRY_ECHO);
    let amount = body
        .get("amount")
        .cloned()
        .unwrap_or_else(|| json!({"value": "10000.00", "currency": "IDR"}));
    data.insert("totalAmount".into(), amount);
    add_inquiry_bill(&mut data);
    json!({
        "responseCode": code,
        "responseMessage": "Successful",
        "virtualAccountData": data,
    })
}

/// The made-up part of an inquiry answer: a bill that can be paid.
fn add_inquiry_bill(data: &mut Map<String, Value>) {
    data.insert("virtualAccountName".into(), json!("Inbox Test Customer"));
    data.insert("inquiryStatus".into(), json!("00"));
    data.insert(
        "inquiryReason".into(),
        json!({"english": "Success", "indonesia": "Sukses"}),
    );
    data.insert("billDetails".into(), json!([]));
    data.insert("freeTexts".into(), json!([]));
    data.insert("virtualAccountTrxType".into(), json!("C"));
    data.insert("additionalInfo".into(), json!({}));
}

/// `2007300` with a fresh random token.
fn token_answer(code: &str) -> Value {
    json!({
        "responseCode": code,
        "responseMessage": "Successful",
        "accessToken": random_token(),
        "tokenType": "Bearer",
        "expiresIn": TOKEN_EXPIRES_IN,
        "additionalInfo": {},
    })
}

/// 32 random bytes, URL-safe Base64: a token nobody can guess.
fn random_token() -> String {
    let mut random = [0u8; 32];
    OsRng.fill_bytes(&mut random);
    URL_SAFE_NO_PAD.encode(random)
}

/// A template to start editing from: the path's default answer, with placeholders where
/// the default echoes the request or makes a value up. For a path the inbox does not host,
/// a plain `OK`.
pub fn starting_template(path: &str) -> AnswerRule {
    let Some(hosted) = hosted(path) else {
        return AnswerRule::Template {
            status: 200,
            body: "OK".to_string(),
        };
    };
    let code = response::compose(200, &hosted.code, "00");
    let placeholders = |fields: &[&str]| -> Map<String, Value> {
        fields
            .iter()
            .map(|f| {
                (
                    (*f).to_string(),
                    Value::String(format!("{{{{request:/{f}}}}}")),
                )
            })
            .collect()
    };
    let value = match hosted.kind {
        HostedKind::VaPayment => json!({
            "responseCode": code,
            "responseMessage": "Successful",
            "virtualAccountData": placeholders(PAYMENT_ECHO),
        }),
        HostedKind::VaInquiry => {
            let mut data = placeholders(INQUIRY_ECHO);
            data.insert("totalAmount".into(), json!("{{request:/amount}}"));
            add_inquiry_bill(&mut data);
            json!({
                "responseCode": code,
                "responseMessage": "Successful",
                "virtualAccountData": data,
            })
        }
        HostedKind::Token => json!({
            "responseCode": code,
            "responseMessage": "Successful",
            "accessToken": "{{random}}",
            "tokenType": "Bearer",
            "expiresIn": TOKEN_EXPIRES_IN,
            "additionalInfo": {},
        }),
        HostedKind::Notify => json!({"responseCode": code, "responseMessage": "Successful"}),
    };
    let mut body = serde_json::to_string_pretty(&value).unwrap_or_default();
    // Objects are put in as JSON, so their placeholders go without quotes.
    for field in OBJECT_FIELDS {
        body = body.replace(
            &format!("\"{{{{request:/{field}}}}}\""),
            &format!("{{{{request:/{field}}}}}"),
        );
    }
    AnswerRule::Template { status: 200, body }
}

/// Replace `{{timestamp}}`, `{{random}}` and `{{request:/pointer}}` in a template.
pub fn fill_template(template: &str, request_body: &str) -> String {
    if !template.contains("{{") {
        return template.to_string();
    }
    let request: Option<Value> = serde_json::from_str(request_body).ok();
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(open) = rest.find("{{") {
        out.push_str(&rest[..open]);
        let after = &rest[open + 2..];
        let Some(close) = after.find("}}") else {
            out.push_str(&rest[open..]);
            return out;
        };
        let name = after[..close].trim();
        match placeholder(name, request.as_ref()) {
            Some(value) => out.push_str(&value),
            // An unknown or unresolved placeholder stays visible, so the mistake shows.
            None => out.push_str(&rest[open..open + 2 + close + 2]),
        }
        rest = &after[close + 2..];
    }
    out.push_str(rest);
    out
}

fn placeholder(name: &str, request: Option<&Value>) -> Option<String> {
    match name {
        "timestamp" => return Some(timestamp::now_jakarta()),
        "random" => return Some(random_token()),
        _ => {}
    }
    let pointer = name.strip_prefix("request:")?.trim();
    match request?.pointer(pointer)? {
        // Inside a JSON string literal in the template: the characters, escaped.
        Value::String(s) => {
            let quoted = Value::String(s.clone()).to_string();
            Some(quoted[1..quoted.len() - 1].to_string())
        }
        other => Some(other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input<'a>(method: &'a str, path: &'a str, body: &'a str) -> AnswerInput<'a> {
        AnswerInput {
            method,
            path,
            query: None,
            headers: &[],
            body,
        }
    }

    fn code_of(answer: &Answer) -> String {
        serde_json::from_str::<Value>(&answer.body)
            .ok()
            .and_then(|v| {
                v.get("responseCode")
                    .and_then(Value::as_str)
                    .map(String::from)
            })
            .unwrap_or_default()
    }

    #[test]
    fn va_payment_echoes_the_notification() {
        let body = r#"{"partnerServiceId":"   12345","customerNo":"001","virtualAccountNo":"   12345001",
            "virtualAccountName":"Jane","trxId":"T1","paymentRequestId":"P1",
            "paidAmount":{"value":"10000.00","currency":"IDR"},"trxDateTime":"2024-12-01T07:15:00+07:00",
            "additionalInfo":{"bankCd":"BMRI"},"unrelated":true}"#;
        let a = default_answer(&input("POST", "/api/v1.0/transfer-va/payment", body));
        assert_eq!(a.status, 200);
        assert_eq!(code_of(&a), "2002500");
        let v: Value = serde_json::from_str(&a.body).unwrap_or_default();
        assert_eq!(v["virtualAccountData"]["trxId"], "T1");
        assert_eq!(v["virtualAccountData"]["paidAmount"]["value"], "10000.00");
        assert_eq!(v["virtualAccountData"]["additionalInfo"]["bankCd"], "BMRI");
        assert!(v["virtualAccountData"].get("unrelated").is_none());
    }

    #[test]
    fn each_hosted_path_has_its_code() {
        for (path, code) in [
            ("/api/v1.0/qr/qr-mpm-notify", "2005200"),
            ("/api/v1.0/debit/notify", "2005600"),
            ("/api/v1.0/access-token/b2b", "2007300"),
            ("/api/v1.0/transfer-va/inquiry", "2002400"),
        ] {
            let a = default_answer(&input("POST", path, r#"{"a":"b"}"#));
            assert_eq!((a.status, code_of(&a)), (200, code.to_string()), "{path}");
        }
        let token = default_answer(&input("POST", "/api/v1.0/access-token/b2b", "{}"));
        assert!(
            token.body.contains(r#""expiresIn":"900""#),
            "{}",
            token.body
        );
        let other = default_answer(&input("POST", "/nowhere", "{}"));
        assert_eq!(
            (other.status, code_of(&other)),
            (404, "4040002".to_string())
        );
        let notifications: Vec<&catalog::Service> =
            catalog::services().iter().filter(|s| s.inbound).collect();
        assert_eq!(notifications.len(), 9, "21 34 41 52 56 72 75 76 79");
        for service in notifications {
            let path = service.full_path(API_PREFIX);
            let code = service.code.clone().unwrap_or_default();
            let body = r#"{"bulkId":"B1","partnerBulkId":"P1"}"#;
            let a = default_answer(&input("POST", &path, body));
            assert_eq!(code_of(&a), format!("200{code}00"), "{path}");
            if code == "21" || code == "41" {
                assert!(a.body.contains(r#""bulkId":"B1""#), "{}", a.body);
            }
        }
        let get = default_answer(&input("GET", "/api/v1.0/debit/notify", ""));
        assert_eq!((get.status, code_of(&get)), (405, "4055600".to_string()));
    }

    #[test]
    fn bad_json_names_line_and_column() {
        let a = default_answer(&input(
            "POST",
            "/api/v1.0/transfer-va/payment",
            "{\n  \"a\": tru\n}",
        ));
        assert_eq!((a.status, code_of(&a)), (400, "4002500".to_string()));
        assert!(a.body.contains("line 2"), "{}", a.body);
        let empty = default_answer(&input("POST", "/api/v1.0/transfer-va/payment", " "));
        assert!(empty.body.contains("empty"), "{}", empty.body);
    }

    #[test]
    fn rules_and_templates() {
        let i = input(
            "POST",
            "/api/v1.0/transfer-va/payment",
            r#"{"trxId":"a\"b"}"#,
        );
        assert_eq!(code_of(&answer(&AnswerRule::ServerError, &i)), "5002500");
        let bad = answer(&AnswerRule::InvalidSignature, &i);
        assert_eq!((bad.status, code_of(&bad)), (401, "4012500".to_string()));
        assert!(bad.body.contains("Invalid Signature"));
        let slow = answer(
            &AnswerRule::Slow {
                delay: Duration::from_millis(20),
                then: Box::new(AnswerRule::Default),
            },
            &i,
        );
        assert_eq!((slow.status, slow.delay), (200, Duration::from_millis(20)));
        let t = answer(
            &AnswerRule::Template {
                status: 202,
                body: r#"{"echo":"{{request:/trxId}}","x":"{{nope}}"}"#.into(),
            },
            &i,
        );
        assert_eq!(t.status, 202);
        assert_eq!(t.body, r#"{"echo":"a\"b","x":"{{nope}}"}"#);
        assert_eq!(t.content_type, CONTENT_TYPE_JSON);
        assert!(
            AnswerRule::Template {
                status: 99,
                body: String::new()
            }
            .check()
            .is_err()
        );
        assert!(
            AnswerRule::Slow {
                delay: Duration::from_secs(3600),
                then: Box::new(AnswerRule::Default)
            }
            .check()
            .is_err()
        );
    }

    #[test]
    fn starting_templates_fill_like_the_default_answer() {
        let request = r#"{"partnerServiceId":"  1","customerNo":"2","virtualAccountNo":"  12",
            "virtualAccountName":"N","trxId":"T","paymentRequestId":"P",
            "paidAmount":{"value":"1.00","currency":"IDR"},"trxDateTime":"x","additionalInfo":{}}"#;
        let i = input("POST", "/api/v1.0/transfer-va/payment", request);
        let AnswerRule::Template { status, body } =
            starting_template("/api/v1.0/transfer-va/payment")
        else {
            panic!("a template")
        };
        assert_eq!(status, 200);
        let filled: Value =
            serde_json::from_str(&fill_template(&body, request)).unwrap_or_default();
        let default: Value = serde_json::from_str(&default_answer(&i).body).unwrap_or_default();
        assert_eq!(filled, default);
        let AnswerRule::Template { body, .. } = starting_template("/api/v1.0/access-token/b2b")
        else {
            panic!("a template")
        };
        let token: Value = serde_json::from_str(&fill_template(&body, "{}")).unwrap_or_default();
        assert!(
            token["accessToken"].as_str().is_some_and(|t| t.len() == 43),
            "{token}"
        );
    }

    #[test]
    fn biller_callback_gets_plain_ok() {
        let a = default_answer(&AnswerInput {
            method: "GET",
            path: "/biller/reversal",
            query: Some("status=1&refid=9"),
            headers: &[],
            body: "",
        });
        assert_eq!((a.status, a.body.as_str()), (200, "OK"));
    }
}
