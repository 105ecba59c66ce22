//! What the inbox remembers of each request: a [`Received`], kept in a bounded list (the
//! oldest drop off first) and sent live to subscribers; and its conversion to a history
//! [`Exchange`], marked inbound and redacted.

use std::collections::VecDeque;

use serde::Serialize;

use super::verify::Verdict;
use crate::model::exchange::{Direction, Exchange, RecordedMessage, response_code_of};
use crate::model::redact::Redactor;

/// One request the inbox received, with its verdict and what it answered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Received {
    /// 1, 2, 3, … in arrival order, per listener.
    pub id: u64,
    /// Arrival, RFC 3339 in Jakarta time with milliseconds.
    pub time: String,
    /// The sender's address and port.
    pub peer: String,
    pub method: String,
    /// Without the query.
    pub path: String,
    /// The raw query string, without `?`.
    pub query: Option<String>,
    /// As received, in order; names lower-case (HTTP/1 names are case-insensitive and the
    /// server normalises them).
    pub headers: Vec<(String, String)>,
    /// The body as text (invalid UTF-8 shown as U+FFFD), at most the configured cap.
    pub body: String,
    /// Bytes received (for a body over the limit: bytes seen before giving up).
    pub body_bytes: usize,
    /// `body` is shorter than what was received.
    pub body_truncated: bool,
    /// The catalog's title for the path, e.g. "25 VA Payment".
    pub service: Option<String>,
    pub verdict: Verdict,
    /// The rule that made the answer ("default", "slow 2.0 s, then default", "refused 401",
    /// "duplicate: the first answer again", …).
    pub answer_rule: String,
    /// A repeat of a notification already answered (same `paymentRequestId` or
    /// `X-EXTERNAL-ID` on the same path): it got the first answer again.
    pub duplicate: bool,
    /// Why the inbox refused it with 401 (unknown client, timestamp, signature), if it did.
    pub rejection: Option<String>,
    /// Why it is not in the history although recording is on (it was then answered
    /// `500xx01` so the provider sends it again); `None` when recorded or not recording.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub not_recorded: Option<String>,
    pub answered_status: u16,
    pub answered_headers: Vec<(String, String)>,
    pub answered_body: String,
    /// How long the answer was held back (a slow rule).
    pub answer_delay_ms: u64,
    /// From the end of the request head to the answer being ready, delay included.
    pub elapsed_ms: u64,
}

impl Received {
    /// The first value of a request header, by case-insensitive name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Keep at most `cap` bytes of the body (cut on a character boundary) and mark it
    /// truncated when it was cut: the list holds a glimpse, the history the whole body.
    pub(crate) fn cap_body(&mut self, cap: usize) {
        if self.body.len() <= cap {
            return;
        }
        let mut end = cap;
        while !self.body.is_char_boundary(end) {
            end -= 1;
        }
        self.body.truncate(end);
        self.body.shrink_to_fit();
        self.body_truncated = true;
    }

    /// The path with its query, as requested.
    pub fn target(&self) -> String {
        match &self.query {
            Some(q) => format!("{}?{q}", self.path),
            None => self.path.clone(),
        }
    }

    /// Request headers fit for a screen shared with others: bearer tokens and secret
    /// headers shown by length only.
    pub fn headers_for_display(&self) -> Vec<(String, String)> {
        self.headers
            .iter()
            .map(|(name, value)| {
                let shown = if is_credential_header(name) {
                    format!("‹hidden, {} characters›", value.chars().count())
                } else {
                    value.clone()
                };
                (name.clone(), shown)
            })
            .collect()
    }

    /// The one-line summary the CLI prints with `--json`.
    pub fn summary(&self) -> SummaryLine {
        SummaryLine {
            time: self.time.clone(),
            method: self.method.clone(),
            path: self.target(),
            signature_valid: self.verdict.signature_valid,
            variant: self.verdict.variant.clone(),
            skew_seconds: self.verdict.skew_seconds,
            answered_status: self.answered_status,
            duplicate: self.duplicate,
            reason: self.rejection.clone(),
            detail: self.verdict.detail.clone(),
        }
    }

    /// The one-line summary the CLI prints as text.
    pub fn summary_text(&self) -> String {
        let signature = match (self.verdict.signature_valid, &self.verdict.variant) {
            (Some(true), Some(v)) => format!("signature VALID ({v})"),
            (Some(true), None) => "signature VALID".to_string(),
            (Some(false), Some(v)) => format!("signature INVALID ({v})"),
            (Some(false), None) => "signature INVALID".to_string(),
            (None, Some(v)) => format!("signature not checked ({v})"),
            (None, None) => "signature not checked".to_string(),
        };
        let skew = self
            .verdict
            .skew_seconds
            .map(|s| format!(" · skew {s} s"))
            .unwrap_or_default();
        // The time of day is enough on a terminal; the date is in the history.
        let clock = self.time.get(11..23).unwrap_or(&self.time);
        let marks = match (&self.rejection, self.duplicate) {
            (Some(reason), _) => format!(" (refused: {reason})"),
            (None, true) => " (duplicate: first answer again)".to_string(),
            (None, false) => String::new(),
        };
        format!(
            "{clock} {} {} answered {}{marks} · {signature}{skew} · {}",
            self.method,
            self.target(),
            self.answered_status,
            self.verdict.detail
        )
    }

    /// This exchange as a history entry: marked inbound, `url` = `base_url` + path and
    /// query, the verdict's stringToSign kept, and every secret `redactor` knows (plus
    /// bearer tokens and token bodies, which it always scrubs) replaced.
    pub fn to_exchange(&self, base_url: &str, profile: &str, redactor: &Redactor) -> Exchange {
        let url = format!("{}{}", base_url.trim_end_matches('/'), self.target());
        let mut request = RecordedMessage::new(self.headers.clone(), self.body.clone());
        request.body_truncated |= self.body_truncated;
        request.body_bytes = request.body_bytes.max(self.body_bytes);
        let mut exchange = Exchange::new(
            Direction::Inbound,
            profile,
            self.method.clone(),
            url,
            request,
        );
        exchange.time = self.time.clone();
        let service = crate::snap::catalog::by_path(super::answers::API_PREFIX, &self.path);
        exchange.service = service.map(|s| s.id.clone());
        exchange.service_title = self.service.clone();
        exchange.response_status = Some(self.answered_status);
        exchange.response_code = response_code_of(&self.answered_body);
        exchange.response = Some(RecordedMessage::new(
            self.answered_headers.clone(),
            self.answered_body.clone(),
        ));
        exchange.total_ms = Some(self.elapsed_ms);
        exchange.string_to_sign = self.verdict.string_to_sign.clone();
        let verdict = match (self.verdict.signature_valid, &self.verdict.variant) {
            (Some(true), Some(v)) => format!("signature VALID ({v})"),
            (Some(true), None) => "signature VALID".to_string(),
            (Some(false), _) => "signature INVALID".to_string(),
            (None, _) => "signature not checked".to_string(),
        };
        exchange.verdict = Some(format!("{verdict}: {}", self.verdict.detail));
        redactor.redact(exchange)
    }
}

/// Headers whose value is a credential (the table in `snap::headers`).
fn is_credential_header(name: &str) -> bool {
    crate::snap::headers::is_sensitive(name)
}

/// `{"time","method","path","signatureValid","variant","skewSeconds","answeredStatus",
/// "duplicate","reason"?,"detail"}` (`reason` only for a refused request).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SummaryLine {
    pub time: String,
    pub method: String,
    pub path: String,
    pub signature_valid: Option<bool>,
    pub variant: Option<String>,
    pub skew_seconds: Option<i64>,
    pub answered_status: u16,
    /// The first answer was given again to a repeated notification.
    pub duplicate: bool,
    /// Why it was refused (401); absent when it was not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    pub detail: String,
}

/// The bounded list of what arrived, oldest first: at most `max_kept` requests and
/// `max_bytes` of bodies (request and answer), the oldest dropping off first.
#[derive(Debug)]
pub(crate) struct ReceivedLog {
    kept: VecDeque<Received>,
    max_kept: usize,
    max_bytes: usize,
    bytes: usize,
    next_id: u64,
}

/// What one request costs the list, roughly: its bodies (headers are small and capped by
/// the head limit).
fn weight(received: &Received) -> usize {
    received.body.len() + received.answered_body.len()
}

impl ReceivedLog {
    pub(crate) fn new(max_kept: usize, max_bytes: usize) -> Self {
        ReceivedLog {
            kept: VecDeque::new(),
            max_kept: max_kept.max(1),
            max_bytes,
            bytes: 0,
            next_id: 1,
        }
    }

    /// The id the next request gets.
    pub(crate) fn take_id(&mut self) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        id
    }

    pub(crate) fn push(&mut self, received: Received) {
        self.bytes += weight(&received);
        self.kept.push_back(received);
        // The newest always stays, whatever its size (its body is capped already).
        while self.kept.len() > self.max_kept
            || (self.bytes > self.max_bytes && self.kept.len() > 1)
        {
            match self.kept.pop_front() {
                Some(gone) => self.bytes = self.bytes.saturating_sub(weight(&gone)),
                None => break,
            }
        }
    }

    /// Bytes of bodies held.
    #[cfg(test)]
    pub(crate) fn bytes(&self) -> usize {
        self.bytes
    }

    pub(crate) fn snapshot(&self) -> Vec<Received> {
        self.kept.iter().cloned().collect()
    }

    pub(crate) fn clear(&mut self) {
        self.kept.clear();
        self.bytes = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(id: u64) -> Received {
        Received {
            id,
            time: "2024-12-01T07:15:00.123+07:00".into(),
            peer: "127.0.0.1:5000".into(),
            method: "POST".into(),
            path: "/api/v1.0/access-token/b2b".into(),
            query: None,
            headers: vec![
                ("authorization".into(), "Bearer abcdefghijklmnop".into()),
                ("x-client-key".into(), "client".into()),
            ],
            body: r#"{"grantType":"client_credentials"}"#.into(),
            body_bytes: 34,
            body_truncated: false,
            service: Some("73 Access Token B2B".into()),
            verdict: Verdict::default(),
            answer_rule: "default".into(),
            duplicate: false,
            rejection: None,
            not_recorded: None,
            answered_status: 200,
            answered_headers: vec![("content-type".into(), "application/json".into())],
            answered_body: r#"{"responseCode":"2007300","accessToken":"issued-token-0123456789"}"#
                .into(),
            answer_delay_ms: 0,
            elapsed_ms: 3,
        }
    }

    #[test]
    fn the_list_is_bounded() {
        let mut log = ReceivedLog::new(3, usize::MAX);
        for _ in 0..5 {
            let id = log.take_id();
            log.push(sample(id));
        }
        let ids: Vec<u64> = log.snapshot().iter().map(|r| r.id).collect();
        assert_eq!(ids, vec![3, 4, 5]);
    }

    #[test]
    fn the_list_is_bounded_in_bytes_too() {
        let one = weight(&sample(1));
        let mut log = ReceivedLog::new(100, one * 2 + one / 2);
        for _ in 0..10 {
            let id = log.take_id();
            log.push(sample(id));
        }
        let ids: Vec<u64> = log.snapshot().iter().map(|r| r.id).collect();
        assert_eq!(ids, vec![9, 10]);
        assert_eq!(log.bytes(), one * 2);
        log.clear();
        assert_eq!(log.bytes(), 0);
    }

    #[test]
    fn display_and_history_hide_tokens() {
        let r = sample(1);
        let shown = r.headers_for_display();
        assert_eq!(shown[0].1, "‹hidden, 23 characters›");
        assert_eq!(shown[1].1, "client");
        let exchange = r.to_exchange("http://127.0.0.1:9/", "Local", &Redactor::new());
        assert_eq!(exchange.direction, Direction::Inbound);
        assert_eq!(exchange.url, "http://127.0.0.1:9/api/v1.0/access-token/b2b");
        assert_eq!(exchange.service.as_deref(), Some("snap-73"));
        assert_eq!(exchange.response_code.as_deref(), Some("2007300"));
        let text = serde_json::to_string(&exchange).unwrap_or_default();
        assert!(!text.contains("abcdefghijklmnop"), "{text}");
        assert!(!text.contains("issued-token-0123456789"), "{text}");
    }

    #[test]
    fn summary_lines() {
        let r = sample(1);
        let line = serde_json::to_value(r.summary()).unwrap_or_default();
        for key in [
            "time",
            "method",
            "path",
            "signatureValid",
            "variant",
            "skewSeconds",
            "answeredStatus",
            "detail",
        ] {
            assert!(line.get(key).is_some(), "{key} missing in {line}");
        }
        assert!(
            r.summary_text()
                .starts_with("07:15:00.123 POST /api/v1.0/access-token/b2b answered 200")
        );
    }
}
