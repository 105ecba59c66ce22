//! An answer before it becomes an HTTP response: status, body, headers, and the summary
//! the journal keeps.

use axum::body::Body;
use axum::http::header::{CONNECTION, CONTENT_TYPE};
use axum::http::{HeaderName, HeaderValue, Response, StatusCode};
use serde_json::Value;

use crate::snap::timestamp;

pub(crate) const JSON: &str = "application/json";
pub(crate) const TEXT: &str = "text/plain; charset=utf-8";

pub(crate) struct Answer {
    pub status: StatusCode,
    pub content_type: &'static str,
    pub body: Vec<u8>,
    pub headers: Vec<(HeaderName, HeaderValue)>,
    /// For the journal: the SNAP responseCode, message and plain-words reason.
    pub code: Option<String>,
    pub message: String,
    pub reason: Option<String>,
    /// Close the connection after answering (the request body was not read to its end).
    pub close: bool,
}

impl Answer {
    /// A SNAP JSON answer: the body carries `responseCode`; X-TIMESTAMP is added as SNAP
    /// response headers have it (SNAP_NOTES §3).
    pub fn snap(code: &str, message: &str, body: &Value) -> Answer {
        let status = code
            .get(..3)
            .and_then(|s| s.parse::<u16>().ok())
            .and_then(|s| StatusCode::from_u16(s).ok())
            .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut answer = Answer::json(status, body);
        answer.code = Some(code.to_string());
        answer.message = message.to_string();
        answer
    }

    /// Any JSON answer (the biller and the ASPI helpers have their own shapes).
    pub fn json(status: StatusCode, body: &Value) -> Answer {
        // Serialising a Value cannot fail (its keys are strings); the fallback keeps it total.
        let bytes = serde_json::to_vec(body).unwrap_or_else(|_| b"{}".to_vec());
        Answer {
            status,
            content_type: JSON,
            body: bytes,
            headers: vec![(
                HeaderName::from_static("x-timestamp"),
                safe_header_value(&timestamp::now_jakarta(), 64),
            )],
            code: None,
            message: String::new(),
            reason: None,
            close: false,
        }
    }

    pub fn text(status: StatusCode, text: String) -> Answer {
        Answer {
            status,
            content_type: TEXT,
            message: String::new(),
            body: text.into_bytes(),
            headers: Vec::new(),
            code: None,
            reason: None,
            close: false,
        }
    }

    pub fn with_header(mut self, name: &'static str, value: &str, max_len: usize) -> Answer {
        self.headers.push((
            HeaderName::from_static(name),
            safe_header_value(value, max_len),
        ));
        self
    }

    pub fn into_response(self) -> Response<Body> {
        let mut response = Response::new(Body::from(self.body));
        *response.status_mut() = self.status;
        let headers = response.headers_mut();
        headers.insert(CONTENT_TYPE, HeaderValue::from_static(self.content_type));
        for (name, value) in self.headers {
            headers.append(name, value);
        }
        if self.close {
            headers.insert(CONNECTION, HeaderValue::from_static("close"));
        }
        response
    }
}

/// A header value from any text: only printable ASCII survives (anything else becomes
/// `?`), so no newline or control byte can split or corrupt the response; cut to `max_len`.
pub(crate) fn safe_header_value(text: &str, max_len: usize) -> HeaderValue {
    let mut cleaned: String = text
        .chars()
        .map(|c| {
            if c == ' ' || c.is_ascii_graphic() {
                c
            } else {
                '?'
            }
        })
        .take(max_len)
        .collect();
    if text.chars().count() > max_len && cleaned.pop().is_some() {
        cleaned.push('~');
    }
    // Printable ASCII is always a valid header value; the fallback keeps this total.
    HeaderValue::from_str(cleaned.trim()).unwrap_or_else(|_| HeaderValue::from_static("?"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_values_are_printable_ascii_and_bounded() {
        let value = safe_header_value("a\r\nX-Evil: 1\u{e9}", 100);
        assert_eq!(value.to_str().ok(), Some("a??X-Evil: 1?"));
        let long = safe_header_value(&"x".repeat(50), 10);
        assert_eq!(long.to_str().ok(), Some("xxxxxxxxx~"));
    }

    #[test]
    fn snap_answers_take_their_status_from_the_code() {
        let answer = Answer::snap("4012500", "Unauthorized. Invalid Signature", &Value::Null);
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
        let response = answer.into_response();
        assert!(response.headers().contains_key("x-timestamp"));
        assert_eq!(
            response
                .headers()
                .get(CONTENT_TYPE)
                .and_then(|v| v.to_str().ok()),
            Some(JSON)
        );
    }
}
