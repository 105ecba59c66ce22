//! One exchange as it is kept: the request as sent, the response as received (or why none
//! came), timings and the stringToSign. Serialised camelCase, one JSON object a line.

use serde::{Deserialize, Serialize};

/// The `v` written in every history line. A line with a larger `v` comes from a newer SNAP
/// Console: the file is refused and left untouched.
pub const HISTORY_FORMAT_VERSION: u32 = 1;

/// Bodies above this are stored truncated (`bodyTruncated: true`, `bodyBytes` keeps the
/// original size): one huge download must not make the history slow for ever.
pub const BODY_CAP_BYTES: usize = 1024 * 1024;

/// Where exchanges go as they happen: the history, for the window, the CLI and the servers
/// alike. `net` takes one of these instead of knowing about `store`; `flows` passes the
/// store's. An error says why the exchange was not kept; the caller decides what that means
/// (the inbox answers 5xx so the provider retries, the composer shows a warning).
pub trait Recorder: Send + Sync {
    fn record(&self, exchange: Exchange) -> Result<(), String>;

    /// Several at once (a burst of inbound notifications): `Ok` only when every one is
    /// kept. A store that can write them in one flush overrides this.
    fn record_all(&self, exchanges: Vec<Exchange>) -> Result<(), String> {
        exchanges
            .into_iter()
            .try_for_each(|exchange| self.record(exchange))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Direction {
    /// We sent the request (composer, `send`).
    Outbound,
    /// A provider sent it to us (the inbox).
    Inbound,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RecordedMessage {
    /// In the order sent or received; names as written on the wire.
    pub headers: Vec<(String, String)>,
    /// At most [`BODY_CAP_BYTES`]; cut on a character boundary when longer.
    pub body: String,
    pub body_truncated: bool,
    /// The size of the body as sent or received, before any truncation.
    pub body_bytes: usize,
}

impl RecordedMessage {
    /// A message with its body capped at [`BODY_CAP_BYTES`].
    pub fn new(headers: Vec<(String, String)>, body: impl Into<String>) -> Self {
        let mut message = RecordedMessage {
            headers,
            body: body.into(),
            body_truncated: false,
            body_bytes: 0,
        };
        message.body_bytes = message.body.len();
        message.enforce_cap();
        message
    }

    /// A message from raw bytes (a response body need not be UTF-8: invalid bytes become
    /// U+FFFD, `body_bytes` keeps the byte count received). Only the capped prefix is
    /// decoded, so a 50 MB download costs no more than 1 MB here.
    pub fn from_bytes(headers: Vec<(String, String)>, body: &[u8]) -> Self {
        let kept = &body[..body.len().min(BODY_CAP_BYTES)];
        let mut message = RecordedMessage {
            headers,
            body: String::from_utf8_lossy(kept).into_owned(),
            body_truncated: body.len() > BODY_CAP_BYTES,
            body_bytes: body.len(),
        };
        // Lossy decoding can grow the text (each bad byte becomes 3 bytes of U+FFFD).
        message.enforce_cap();
        message.body_bytes = body.len();
        message
    }

    /// Cut the body to [`BODY_CAP_BYTES`] (on a character boundary) and mark it.
    pub(crate) fn enforce_cap(&mut self) {
        if self.body.len() <= BODY_CAP_BYTES {
            return;
        }
        self.body_bytes = self.body_bytes.max(self.body.len());
        let mut cut = BODY_CAP_BYTES;
        while !self.body.is_char_boundary(cut) {
            cut -= 1;
        }
        self.body.truncate(cut);
        self.body_truncated = true;
    }

    /// The first value of a header, by case-insensitive name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Exchange {
    /// [`HISTORY_FORMAT_VERSION`] when written.
    pub v: u32,
    /// Unique: time-based (sorts by time) plus random.
    pub id: String,
    /// RFC 3339 in Jakarta time, milliseconds: `2024-11-29T14:15:00.123+07:00`.
    pub time: String,
    pub direction: Direction,
    /// The profile's name.
    pub profile: String,
    /// Catalog id, e.g. `snap-25`.
    pub service: Option<String>,
    /// e.g. `25 VA Payment`.
    pub service_title: Option<String>,
    pub method: String,
    pub url: String,
    pub request: RecordedMessage,
    pub response_status: Option<u16>,
    pub response: Option<RecordedMessage>,
    /// The SNAP `responseCode` when the response body had one.
    pub response_code: Option<String>,
    /// Why no response came (server down, timeout, TLS).
    pub error: Option<String>,
    pub total_ms: Option<u64>,
    pub headers_ms: Option<u64>,
    pub string_to_sign: Option<String>,
    /// Inbound only: the signature verdict, in words ("signature VALID (notification): …").
    /// Absent in files written before it existed, so the format version stays 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verdict: Option<String>,
    /// The scenario runner's suite, case and run ids (`snap-console test`, the Scenarios
    /// panel); absent otherwise, so the format version stays 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suite: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub case: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run: Option<String>,
}

impl Exchange {
    /// A new exchange stamped now, with a fresh id; response fields empty.
    pub fn new(
        direction: Direction,
        profile: impl Into<String>,
        method: impl Into<String>,
        url: impl Into<String>,
        request: RecordedMessage,
    ) -> Self {
        let now = chrono::Utc::now();
        Exchange {
            v: HISTORY_FORMAT_VERSION,
            id: id_at(now),
            time: now
                .with_timezone(&crate::snap::timestamp::jakarta())
                .to_rfc3339_opts(chrono::SecondsFormat::Millis, false),
            direction,
            profile: profile.into(),
            service: None,
            service_title: None,
            method: method.into(),
            url: url.into(),
            request,
            response_status: None,
            response: None,
            response_code: None,
            error: None,
            total_ms: None,
            headers_ms: None,
            string_to_sign: None,
            verdict: None,
            suite: None,
            case: None,
            run: None,
        }
    }

    /// The date part of `time` (`YYYY-MM-DD`, Jakarta), or "" when `time` is malformed.
    pub fn date(&self) -> &str {
        self.time.get(..10).unwrap_or("")
    }
}

/// A fresh exchange id: `20241129T071500123Z-3f9a2c1b0d4e5f60` (UTC time, so ids sort by
/// time, then 64 random bits so two exchanges in the same millisecond never collide).
pub fn new_exchange_id() -> String {
    id_at(chrono::Utc::now())
}

fn id_at(now: chrono::DateTime<chrono::Utc>) -> String {
    use rsa::rand_core::{OsRng, RngCore};
    let mut random = [0u8; 8];
    OsRng.fill_bytes(&mut random);
    format!(
        "{}-{}",
        now.format("%Y%m%dT%H%M%S%3fZ"),
        hex::encode(random)
    )
}

/// The SNAP `responseCode` of a response body, when it is a JSON object with one.
pub fn response_code_of(body: &str) -> Option<String> {
    #[derive(Deserialize)]
    struct WithCode {
        #[serde(rename = "responseCode")]
        response_code: Option<serde_json::Value>,
    }
    let parsed: WithCode = serde_json::from_str(body).ok()?;
    match parsed.response_code? {
        serde_json::Value::String(code) => Some(code),
        // Some servers send it as a number; keep its digits.
        serde_json::Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cap_cuts_on_a_char_boundary_and_marks() {
        let body = "é".repeat(BODY_CAP_BYTES); // 2 bytes each
        let message = RecordedMessage::new(Vec::new(), body);
        assert!(message.body_truncated);
        assert_eq!(message.body_bytes, 2 * BODY_CAP_BYTES);
        assert!(message.body.len() <= BODY_CAP_BYTES);
        let small = RecordedMessage::new(Vec::new(), "{}");
        assert!(!small.body_truncated);
        assert_eq!(small.body_bytes, 2);
        let bytes = RecordedMessage::from_bytes(Vec::new(), &vec![0xff; BODY_CAP_BYTES + 5]);
        assert!(bytes.body_truncated && bytes.body.len() <= BODY_CAP_BYTES);
        assert_eq!(bytes.body_bytes, BODY_CAP_BYTES + 5);
    }

    #[test]
    fn ids_are_unique_and_time_ordered() {
        let a = new_exchange_id();
        let b = new_exchange_id();
        assert_ne!(a, b);
        assert_eq!(a.len(), b.len());
        let e = Exchange::new(
            Direction::Outbound,
            "p",
            "GET",
            "http://x",
            RecordedMessage::default(),
        );
        assert!(e.time.ends_with("+07:00"), "{}", e.time);
        assert_eq!(e.date().len(), 10);
    }

    #[test]
    fn response_code_from_body() {
        assert_eq!(
            response_code_of(r#"{"responseCode":"2002500","x":1}"#).as_deref(),
            Some("2002500")
        );
        assert_eq!(
            response_code_of(r#"{"responseCode":4012500}"#).as_deref(),
            Some("4012500")
        );
        assert_eq!(response_code_of("<html>"), None);
        assert_eq!(response_code_of(r#"{"other":1}"#), None);
    }
}
