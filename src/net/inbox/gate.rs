//! The merchant's door: whether a request is let in before the path's answer is made, and
//! the memory that answers a repeated notification as the first one was answered.
//!
//! A correct merchant refuses a notification it cannot trust (SNAP_NOTES §3, the XH
//! checks): a signature that is missing or does not verify, a client it does not know, a
//! timestamp too far from its clock. Each gets `401xx00 Unauthorized. …` with the reason,
//! so a provider testing its notifier sees the refusal a real merchant would give. A path
//! set to "accept anyway" skips the door (testing a provider's happy path with keys that do
//! not match yet); the verdict still says what was wrong.
//!
//! Providers retry; a merchant must not book a payment twice. A request with the same
//! `paymentRequestId` (body) or `X-EXTERNAL-ID` (header) on the same path as one already
//! answered successfully gets that same answer again and is marked duplicate. The memory is
//! bounded in entries and in answer bytes (oldest forgotten first).
//!
//! Pure apart from the memory's own state: no I/O, no clock (the verdict carries the skew).

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

use serde_json::Value;

use super::answers::{self, Answer};
use super::verify::{self, InboundRequest, SKEW_NOTE_SECONDS, Verdict};
use crate::snap::headers::{X_CLIENT_KEY, X_EXTERNAL_ID, X_PARTNER_ID, X_TIMESTAMP};
use crate::snap::text::shorten;

/// How many ids the duplicate memory keeps.
pub const MAX_SEEN_IDS: usize = 10_000;
/// How many answer bytes the duplicate memory keeps in all.
pub const MAX_SEEN_BYTES: usize = 16 * 1024 * 1024;
/// Ids longer than this are not remembered (no provider sends one; a flood must not grow
/// the memory by its key sizes).
pub const MAX_ID_CHARS: usize = 256;

/// Why a request was refused, and the SNAP answer that says so.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    /// In words, for the developer (the received list, the CLI's JSON line).
    pub reason: String,
    pub answer: Answer,
}

/// Whether the door applies to this request: not to the biller's callback (unsigned by
/// design), not to a path the inbox does not serve (it gets its 404), unless a rule was set
/// for that path (the developer made it a served path).
///
/// Nor when the inbox holds no key to check with (nothing configured yet): it cannot judge
/// the request, so it lets it in and the verdict says why nothing was verified.
pub fn applies(request: &InboundRequest<'_>, has_rule: bool, can_verify: bool) -> bool {
    can_verify
        && !verify::is_biller_callback(request.method, request.query)
        && (has_rule || answers::is_json_path(request.path))
}

/// Refuse the request, or let it in. `expected_client` is the client ID notifications
/// must carry (none set: any client is known).
pub fn check(
    request: &InboundRequest<'_>,
    verdict: &Verdict,
    expected_client: Option<&str>,
) -> Option<Rejection> {
    let (message, reason) = unknown_client(request, expected_client)
        .or_else(|| bad_timestamp(request, verdict))
        .or_else(|| bad_signature(verdict))?;
    Some(Rejection {
        answer: answers::error_answer(401, request.path, "00", &format!("Unauthorized. {message}")),
        reason,
    })
}

/// (responseMessage tail, reason in words)
type Refusal = (&'static str, String);

fn unknown_client(request: &InboundRequest<'_>, expected: Option<&str>) -> Option<Refusal> {
    let expected = expected.map(str::trim).filter(|e| !e.is_empty())?;
    let sent: Vec<(&str, &str)> = [X_CLIENT_KEY, X_PARTNER_ID]
        .into_iter()
        .filter_map(|name| request.header(name).map(|value| (name, value)))
        .collect();
    if sent.is_empty() {
        return Some((
            "Unknown client",
            format!("no {X_CLIENT_KEY} or {X_PARTNER_ID} header: the client is unknown"),
        ));
    }
    let (name, value) = sent.into_iter().find(|(_, value)| *value != expected)?;
    Some((
        "Unknown client",
        format!(
            "{name} '{}' is not the expected client ID '{}'",
            shorten(value, 80),
            shorten(expected, 80)
        ),
    ))
}

fn bad_timestamp(request: &InboundRequest<'_>, verdict: &Verdict) -> Option<Refusal> {
    let Some(sent) = request.header(X_TIMESTAMP) else {
        return Some(("Invalid Timestamp", format!("no {X_TIMESTAMP} header")));
    };
    let Some(skew) = verdict.skew_seconds else {
        return Some((
            "Invalid Timestamp",
            format!("{X_TIMESTAMP} '{}' cannot be read", shorten(sent, 60)),
        ));
    };
    (skew.abs() > SKEW_NOTE_SECONDS).then(|| {
        let side = if skew > 0 { "behind" } else { "ahead of" };
        (
            "Invalid Timestamp",
            format!(
                "{X_TIMESTAMP} is {} s {side} our clock; at most {SKEW_NOTE_SECONDS} s is allowed",
                skew.abs()
            ),
        )
    })
}

fn bad_signature(verdict: &Verdict) -> Option<Refusal> {
    if verdict.signature_valid != Some(false) {
        return None;
    }
    let message = if verdict.detail.starts_with("no X-SIGNATURE") {
        "Signature Missing"
    } else {
        "Invalid Signature"
    };
    Some((message, format!("signature: {}", verdict.detail)))
}

/// The ids a request can be recognised by when it comes again, keyed with its path.
pub fn duplicate_keys(request: &InboundRequest<'_>) -> Vec<String> {
    let mut keys = Vec::new();
    if let Ok(body) = serde_json::from_str::<Value>(request.body) {
        let id = body
            .get("paymentRequestId")
            .or_else(|| body.pointer("/virtualAccountData/paymentRequestId"))
            .and_then(Value::as_str);
        if let Some(id) = id.map(str::trim).filter(|id| remembered(id)) {
            keys.push(format!("{} paymentRequestId {id}", request.path));
        }
    }
    if let Some(id) = request.header(X_EXTERNAL_ID).filter(|id| remembered(id)) {
        keys.push(format!("{} {X_EXTERNAL_ID} {id}", request.path));
    }
    keys
}

fn remembered(id: &str) -> bool {
    !id.is_empty() && id.chars().count() <= MAX_ID_CHARS
}

/// Answers given to requests with ids, oldest forgotten first.
#[derive(Debug)]
pub struct SeenIds {
    order: VecDeque<String>,
    answers: HashMap<String, Arc<Answer>>,
    bytes: usize,
    max_ids: usize,
    max_bytes: usize,
}

impl Default for SeenIds {
    fn default() -> Self {
        SeenIds::new(MAX_SEEN_IDS, MAX_SEEN_BYTES)
    }
}

impl SeenIds {
    pub fn new(max_ids: usize, max_bytes: usize) -> Self {
        SeenIds {
            order: VecDeque::new(),
            answers: HashMap::new(),
            bytes: 0,
            max_ids: max_ids.max(1),
            max_bytes,
        }
    }

    /// The answer given to the first request with any of these keys.
    pub fn answer_for(&self, keys: &[String]) -> Option<Answer> {
        keys.iter()
            .find_map(|key| self.answers.get(key))
            .map(|answer| Answer::clone(answer))
    }

    /// Remember `answer` under each key (a key already known keeps its first answer).
    pub fn remember(&mut self, keys: &[String], answer: &Answer) {
        let shared = Arc::new(answer.clone());
        for key in keys {
            if self.answers.contains_key(key) {
                continue;
            }
            self.bytes += shared.body.len() + key.len();
            self.answers.insert(key.clone(), Arc::clone(&shared));
            self.order.push_back(key.clone());
        }
        while self.order.len() > self.max_ids || self.bytes > self.max_bytes {
            let Some(oldest) = self.order.pop_front() else {
                break;
            };
            if let Some(gone) = self.answers.remove(&oldest) {
                self.bytes = self.bytes.saturating_sub(gone.body.len() + oldest.len());
            }
        }
    }

    /// Forget the answers under these keys (an answer that was not recorded after all:
    /// the provider's retry must be answered afresh, and recorded).
    pub fn forget(&mut self, keys: &[String]) {
        for key in keys {
            if let Some(gone) = self.answers.remove(key) {
                self.bytes = self.bytes.saturating_sub(gone.body.len() + key.len());
                self.order.retain(|k| k != key);
            }
        }
    }

    pub fn len(&self) -> usize {
        self.order.len()
    }

    pub fn is_empty(&self) -> bool {
        self.order.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn request<'a>(h: &'a [(String, String)], body: &'a str) -> InboundRequest<'a> {
        InboundRequest {
            method: "POST",
            path: "/api/v1.0/transfer-va/payment",
            query: None,
            headers: h,
            body,
        }
    }

    fn valid(skew: i64) -> Verdict {
        Verdict {
            signature_valid: Some(true),
            skew_seconds: Some(skew),
            ..Verdict::default()
        }
    }

    #[test]
    fn refusals_name_the_reason_and_the_service_code() {
        let h = headers(&[("x-client-key", "OTHER"), ("x-timestamp", "t")]);
        let refused = check(&request(&h, "{}"), &valid(0), Some("MERCHANT"));
        let refused = refused.expect("unknown client refused");
        assert_eq!(refused.answer.status, 401);
        assert!(
            refused.answer.body.contains("4012500"),
            "{}",
            refused.answer.body
        );
        assert!(refused.reason.contains("'OTHER'"), "{}", refused.reason);

        let h = headers(&[("x-client-key", "MERCHANT"), ("x-timestamp", "t")]);
        assert!(check(&request(&h, "{}"), &valid(10), Some("MERCHANT")).is_none());
        let skewed = check(&request(&h, "{}"), &valid(-4000), Some("MERCHANT"));
        assert!(skewed.expect("skew refused").reason.contains("ahead of"));

        let missing = Verdict {
            signature_valid: Some(false),
            detail: "no X-SIGNATURE header: the request is unsigned".into(),
            skew_seconds: Some(0),
            ..Verdict::default()
        };
        let refused = check(&request(&h, "{}"), &missing, None).expect("unsigned refused");
        assert!(refused.answer.body.contains("Signature Missing"));
        let unchecked = Verdict {
            signature_valid: None,
            skew_seconds: Some(0),
            ..Verdict::default()
        };
        assert!(check(&request(&h, "{}"), &unchecked, None).is_none());
    }

    #[test]
    fn the_memory_is_bounded_and_keeps_first_answers() {
        let answer = |body: &str| answers::error_answer(200, "/x", "00", body);
        let mut seen = SeenIds::new(3, usize::MAX);
        for n in 0..5 {
            seen.remember(&[format!("k{n}")], &answer(&format!("a{n}")));
        }
        assert_eq!(seen.len(), 3);
        assert!(seen.answer_for(&["k0".into()]).is_none());
        seen.remember(&["k4".into()], &answer("later"));
        let kept = seen.answer_for(&["k4".into()]).expect("kept");
        assert!(kept.body.contains("a4"));

        let mut small = SeenIds::new(100, 200);
        small.remember(&["big".into()], &answer(&"x".repeat(500)));
        assert!(
            small.is_empty(),
            "an answer over the byte budget is not kept"
        );
    }

    #[test]
    fn duplicate_keys_come_from_the_body_and_the_header() {
        let h = headers(&[("X-EXTERNAL-ID", "123")]);
        let keys = duplicate_keys(&request(&h, r#"{"paymentRequestId":"p-1"}"#));
        assert_eq!(keys.len(), 2, "{keys:?}");
        assert!(duplicate_keys(&request(&[], "not json")).is_empty());
    }
}
