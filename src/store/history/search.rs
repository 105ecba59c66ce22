//! Search: text (every word must occur, case-insensitive, anywhere in the decoded
//! exchange), service, status (exact or class), date range, direction and verdict.
//!
//! Everything but the text is answered from the index summaries in memory. The text is
//! searched by streaming the JSON Lines newest first in 4 MB blocks (see [`SearchPlan`]):
//! bodies are never all in memory, results come block by block, and a search can be
//! cancelled between blocks.

use std::fmt;
use std::str::FromStr;

use chrono::NaiveDate;

use super::index::{Strings, Summary, VerdictKind};
use super::record::{Direction, Exchange, RecordedMessage};

/// What to look for; empty fields match everything.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Query {
    /// Words separated by spaces; every one must occur (case-insensitive) in the time,
    /// method, URL, profile, service, status, responseCode, error, headers or bodies.
    pub text: String,
    /// A catalog id (`snap-25`, exact, case-insensitive), or a part of the service title
    /// (`VA Payment`, `25 VA`).
    pub service: Option<String>,
    pub status: Option<StatusFilter>,
    /// First day included (Jakarta date of the exchange).
    pub from: Option<NaiveDate>,
    /// Last day included.
    pub to: Option<NaiveDate>,
    /// Only what we sent, or only what providers sent us.
    pub direction: Option<Direction>,
    /// Only inbound exchanges with this signature verdict.
    pub verdict: Option<VerdictKind>,
}

impl Query {
    /// A text-only query.
    pub fn text(text: impl Into<String>) -> Self {
        Query {
            text: text.into(),
            ..Query::default()
        }
    }

    pub fn is_empty(&self) -> bool {
        self.text.trim().is_empty()
            && self.service.as_deref().is_none_or(|s| s.trim().is_empty())
            && self.status.is_none()
            && self.from.is_none()
            && self.to.is_none()
            && self.direction.is_none()
            && self.verdict.is_none()
    }

    /// Whether there are words to look for in the text.
    pub fn has_text(&self) -> bool {
        !self.text.trim().is_empty()
    }
}

/// The response status an exchange must have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusFilter {
    /// `401`
    Exact(u16),
    /// `4xx`: the hundreds digit.
    Class(u8),
    /// `none`: no response came (server down, timeout, TLS failure).
    NoResponse,
}

impl StatusFilter {
    pub fn matches(self, status: Option<u16>) -> bool {
        match (self, status) {
            (StatusFilter::Exact(want), Some(got)) => want == got,
            (StatusFilter::Class(class), Some(got)) => got / 100 == u16::from(class),
            (StatusFilter::NoResponse, None) => true,
            _ => false,
        }
    }
}

impl FromStr for StatusFilter {
    type Err = String;

    /// `401`, `4xx` (or `4XX`), `none` / `error`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim().to_ascii_lowercase();
        let bad = || {
            format!(
                "status '{s}' is not understood; use a status (401), a class (4xx) or 'none' (no response)"
            )
        };
        match s.as_str() {
            "none" | "error" | "-" => return Ok(StatusFilter::NoResponse),
            _ => {}
        }
        let bytes = s.as_bytes();
        if bytes.len() == 3 && bytes[1..] == *b"xx" && (b'1'..=b'5').contains(&bytes[0]) {
            return Ok(StatusFilter::Class(bytes[0] - b'0'));
        }
        match s.parse::<u16>() {
            Ok(code) if (100..600).contains(&code) => Ok(StatusFilter::Exact(code)),
            _ => Err(bad()),
        }
    }
}

impl fmt::Display for StatusFilter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StatusFilter::Exact(code) => write!(f, "{code}"),
            StatusFilter::Class(class) => write!(f, "{class}xx"),
            StatusFilter::NoResponse => f.write_str("none"),
        }
    }
}

/// A query with its words lower-cased once: the reference the index filters and the
/// streamed text search are checked against.
#[cfg(test)]
pub(crate) struct Prepared<'q> {
    words: Vec<String>,
    service: Option<(&'q str, String)>,
    status: Option<StatusFilter>,
    from: Option<String>,
    to: Option<String>,
}

#[cfg(test)]
impl<'q> Prepared<'q> {
    pub(crate) fn new(query: &'q Query) -> Self {
        Prepared {
            words: query.text.split_whitespace().map(lower).collect(),
            service: query
                .service
                .as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(|s| (s, lower(s))),
            status: query.status,
            // Exchange times are written in Jakarta time, so the first ten characters are
            // the Jakarta date and compare as text.
            from: query.from.map(|d| d.format("%Y-%m-%d").to_string()),
            to: query.to.map(|d| d.format("%Y-%m-%d").to_string()),
        }
    }

    /// Cheap filters first, the text last.
    pub(crate) fn matches(&self, exchange: &Exchange, haystack: &str) -> bool {
        if let Some(status) = self.status
            && !status.matches(exchange.response_status)
        {
            return false;
        }
        let date = exchange.date();
        if self.from.as_deref().is_some_and(|from| date < from)
            || self.to.as_deref().is_some_and(|to| date > to)
        {
            return false;
        }
        if let Some((raw, lowered)) = &self.service {
            let by_id = exchange
                .service
                .as_deref()
                .is_some_and(|id| id.eq_ignore_ascii_case(raw));
            let by_title = exchange
                .service_title
                .as_deref()
                .is_some_and(|t| lower(t).contains(lowered.as_str()));
            if !by_id && !by_title {
                return false;
            }
        }
        self.words.iter().all(|w| haystack.contains(w.as_str()))
    }
}

/// The query's filters other than the text, against the summaries of the index.
pub(crate) struct SummaryFilter {
    status: Option<StatusFilter>,
    from: Option<i64>,
    to: Option<i64>,
    direction: Option<bool>,
    verdict: Option<VerdictKind>,
    /// Per string number: whether it is the service id asked for (exact), and whether it
    /// holds the part of a title asked for.
    service: Option<(Vec<bool>, Vec<bool>)>,
}

impl SummaryFilter {
    pub(crate) fn new(query: &Query, strings: &Strings) -> Self {
        let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or_default();
        let day = |d: NaiveDate| (d - epoch).num_days();
        let service = query
            .service
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|raw| {
                let lowered = lower(raw);
                let exact = strings
                    .iter()
                    .map(|t| t.eq_ignore_ascii_case(raw))
                    .collect();
                let part = strings
                    .iter()
                    .map(|t| lower(t).contains(&lowered))
                    .collect();
                (exact, part)
            });
        SummaryFilter {
            status: query.status,
            from: query.from.map(day),
            to: query.to.map(day),
            direction: query.direction.as_ref().map(|d| *d == Direction::Inbound),
            verdict: query.verdict,
            service,
        }
    }

    pub(crate) fn matches(&self, s: &Summary) -> bool {
        if let Some(status) = self.status
            && !status.matches((s.status != 0).then_some(s.status))
        {
            return false;
        }
        if self.direction.is_some_and(|inbound| inbound != s.inbound)
            || self.verdict.is_some_and(|v| v != s.verdict)
        {
            return false;
        }
        let day = s.local_day();
        // A time that does not parse sorts before every date (as its text did).
        if self.from.is_some_and(|from| day.is_none_or(|d| d < from))
            || self.to.is_some_and(|to| day.is_some_and(|d| d > to))
        {
            return false;
        }
        match &self.service {
            None => true,
            Some((exact, part)) => {
                let hit = |set: &Vec<bool>, id: u32| set.get(id as usize).copied().unwrap_or(false);
                hit(exact, s.service) || hit(part, s.title)
            }
        }
    }
}

pub(crate) fn lower(s: &str) -> String {
    if s.is_ascii() {
        s.to_ascii_lowercase()
    } else {
        s.to_lowercase()
    }
}

/// Everything searchable in one lower-cased text; fields are separated by a newline so a
/// word cannot match across two of them (a typed word holds no newline).
pub(crate) fn haystack(e: &Exchange) -> Box<str> {
    let status = e.response_status.map(|s| s.to_string());
    let fields = [
        Some(e.time.as_str()),
        Some(e.method.as_str()),
        Some(e.url.as_str()),
        Some(e.profile.as_str()),
        e.service.as_deref(),
        e.service_title.as_deref(),
        e.response_code.as_deref(),
        e.error.as_deref(),
        status.as_deref(),
        e.verdict.as_deref(),
    ];
    // Lower-casing ASCII keeps the length, so this is exact for all but non-ASCII text.
    let size = fields.iter().flatten().map(|f| f.len() + 1).sum::<usize>()
        + message_size(&e.request)
        + e.response.as_ref().map_or(0, message_size);
    let mut out = Vec::with_capacity(size);
    for field in fields.into_iter().flatten() {
        push_lower(&mut out, field);
        out.push(b'\n');
    }
    push_message(&mut out, &e.request);
    if let Some(response) = &e.response {
        push_message(&mut out, response);
    }
    // Built from &strs lower-cased char by char (or ASCII byte by byte): always UTF-8.
    match String::from_utf8(out) {
        Ok(text) => text.into_boxed_str(),
        Err(e) => String::from_utf8_lossy(e.as_bytes()).into(),
    }
}

fn message_size(m: &RecordedMessage) -> usize {
    m.body.len()
        + 1
        + m.headers
            .iter()
            .map(|(k, v)| k.len() + v.len() + 3)
            .sum::<usize>()
}

fn push_message(out: &mut Vec<u8>, m: &RecordedMessage) {
    for (name, value) in &m.headers {
        push_lower(out, name);
        out.extend_from_slice(b": ");
        push_lower(out, value);
        out.push(b'\n');
    }
    push_lower(out, &m.body);
    out.push(b'\n');
}

/// Append `s` lower-cased: one pass over the bytes for ASCII text (nearly every body).
fn push_lower(out: &mut Vec<u8>, s: &str) {
    if s.is_ascii() {
        out.extend(s.bytes().map(|b| b.to_ascii_lowercase()));
    } else {
        let mut buf = [0u8; 4];
        for c in s.chars().flat_map(char::to_lowercase) {
            out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::exchange::Direction;

    #[test]
    fn status_filters_parse_and_match() {
        assert_eq!("401".parse(), Ok(StatusFilter::Exact(401)));
        assert_eq!("4XX".parse(), Ok(StatusFilter::Class(4)));
        assert_eq!("none".parse(), Ok(StatusFilter::NoResponse));
        assert!("42".parse::<StatusFilter>().is_err());
        assert!("6xx".parse::<StatusFilter>().is_err());
        assert!(StatusFilter::Class(4).matches(Some(404)));
        assert!(!StatusFilter::Class(4).matches(None));
        assert!(StatusFilter::NoResponse.matches(None));
        assert_eq!(StatusFilter::Class(5).to_string(), "5xx");
    }

    #[test]
    fn words_service_and_dates() {
        let mut e = Exchange::new(
            Direction::Outbound,
            "Local Sandbox",
            "POST",
            "http://127.0.0.1/api/v1.0/transfer-va/payment",
            RecordedMessage::new(
                vec![("X-EXTERNAL-ID".into(), "ABC123".into())],
                r#"{"virtualAccountNo":"  08889912345678"}"#,
            ),
        );
        e.time = "2024-11-29T14:15:00.000+07:00".into();
        e.service = Some("snap-25".into());
        e.service_title = Some("25 VA Payment".into());
        e.response_status = Some(200);
        let hay = haystack(&e);
        let check = |q: Query| Prepared::new(&q).matches(&e, &hay);
        assert!(check(Query::text("abc123 transfer-VA")));
        assert!(check(Query::text("virtualaccountno")));
        assert!(!check(Query::text("abc123 missing")));
        assert!(check(Query {
            service: Some("SNAP-25".into()),
            ..Query::default()
        }));
        assert!(check(Query {
            service: Some("va pay".into()),
            ..Query::default()
        }));
        assert!(!check(Query {
            service: Some("snap-2".into()),
            ..Query::default()
        }));
        let day = |d| NaiveDate::from_ymd_opt(2024, 11, d);
        assert!(check(Query {
            from: day(29),
            to: day(29),
            ..Query::default()
        }));
        assert!(!check(Query {
            from: day(30),
            ..Query::default()
        }));
        assert!(Query::default().is_empty());
    }
}
