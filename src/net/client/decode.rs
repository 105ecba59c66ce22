//! What a response says, for people: the SNAP responseCode decoded, a disagreement between
//! it and the HTTP status, the sandbox's explanation headers, and the body pretty-printed.
//!
//! Any body is accepted (HTML error pages, empty, binary, truncated): what cannot be read
//! as SNAP JSON is simply not described.

use serde::Serialize;
use serde_json::Value;

use crate::snap::response::{self, DecodedCode};

/// Bodies above this are not parsed nor pretty-printed (the UI shows them raw, cut).
pub const PRETTY_LIMIT: usize = 5 * 1024 * 1024;
/// The local sandbox explains its verdicts in headers starting with this (explain mode).
pub const EXPLAIN_PREFIX: &str = "x-sandbox-";

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ResponseSummary {
    /// The body's `responseCode`, as sent.
    pub response_code: Option<String>,
    pub response_message: Option<String>,
    /// The code taken apart (HTTP status, service, case, meaning).
    pub decoded: Option<DecodedCode>,
    /// The responseCode is there but is not a 7-digit SNAP code (why, in words).
    pub code_problem: Option<String>,
    /// The HTTP status disagrees with the code's first three digits.
    pub mismatch: Option<String>,
    /// `X-SANDBOX-*` headers, in the order received.
    pub explain: Vec<(String, String)>,
    /// The body is JSON (and at most [`PRETTY_LIMIT`]).
    pub is_json: bool,
    /// Indented JSON with keys in their original order and every value byte-identical.
    pub pretty_body: Option<String>,
}

/// Describe a response. Never fails and never panics, whatever the body holds.
pub fn describe_response(
    status: u16,
    headers: &[(String, String)],
    body: &[u8],
) -> ResponseSummary {
    let explain = headers
        .iter()
        .filter(|(name, _)| {
            name.get(..EXPLAIN_PREFIX.len())
                .is_some_and(|head| head.eq_ignore_ascii_case(EXPLAIN_PREFIX))
        })
        .cloned()
        .collect();
    let mut summary = ResponseSummary {
        explain,
        ..ResponseSummary::default()
    };
    if body.len() > PRETTY_LIMIT {
        return summary;
    }
    let Ok(json) = serde_json::from_slice::<Value>(body) else {
        return summary;
    };
    summary.is_json = true;
    summary.pretty_body = std::str::from_utf8(body).ok().map(pretty);
    summary.response_code = match json.get("responseCode") {
        Some(Value::String(code)) => Some(code.clone()),
        // Some servers send it as a number; keep what they sent, in text.
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => None,
    };
    summary.response_message = json
        .get("responseMessage")
        .and_then(Value::as_str)
        .map(str::to_string);
    if let Some(code) = &summary.response_code {
        match response::decode(code) {
            Ok(decoded) => {
                summary.mismatch = response::status_mismatch(&decoded, status);
                summary.decoded = Some(decoded);
            }
            Err(e) => summary.code_problem = Some(e.to_string()),
        }
    }
    summary
}

/// Re-indent valid JSON text (two spaces), keeping every token byte for byte: key order,
/// number spelling and string escapes stay as the server sent them (re-serialising through
/// serde_json would sort keys and reprint numbers).
pub fn pretty(json: &str) -> String {
    let bytes = json.as_bytes();
    let mut out: Vec<u8> = Vec::with_capacity(bytes.len() + bytes.len() / 4);
    let mut depth: usize = 0;
    let mut in_string = false;
    let mut escaped = false;
    let newline = |out: &mut Vec<u8>, depth: usize| {
        out.push(b'\n');
        out.extend(std::iter::repeat_n(b' ', depth * 2));
    };
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        i += 1;
        if in_string {
            out.push(b);
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_string = false;
            }
            continue;
        }
        match b {
            b'"' => {
                in_string = true;
                out.push(b);
            }
            b'{' | b'[' => {
                out.push(b);
                let close = if b == b'{' { b'}' } else { b']' };
                let mut j = i;
                while j < bytes.len() && matches!(bytes[j], b' ' | b'\t' | b'\n' | b'\r') {
                    j += 1;
                }
                if bytes.get(j) == Some(&close) {
                    out.push(close);
                    i = j + 1;
                } else {
                    depth += 1;
                    newline(&mut out, depth);
                }
            }
            b'}' | b']' => {
                depth = depth.saturating_sub(1);
                newline(&mut out, depth);
                out.push(b);
            }
            b',' => {
                out.push(b);
                newline(&mut out, depth);
            }
            b':' => out.extend_from_slice(b": "),
            b' ' | b'\t' | b'\n' | b'\r' => {}
            _ => out.push(b),
        }
    }
    // Only ASCII was added or removed outside strings, so the text stays UTF-8.
    String::from_utf8(out).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pretty_keeps_order_numbers_and_escapes() {
        let text = r#"{"z":1.50,"a":[],"b":{ },"s":"x\"y,{z}: \u00e9","n":[1,{"k":null}]}"#;
        let out = pretty(text);
        assert_eq!(
            out,
            "{\n  \"z\": 1.50,\n  \"a\": [],\n  \"b\": {},\n  \"s\": \"x\\\"y,{z}: \\u00e9\",\n  \"n\": [\n    1,\n    {\n      \"k\": null\n    }\n  ]\n}"
        );
        let reparsed: Result<Value, _> = serde_json::from_str(&out);
        let original: Result<Value, _> = serde_json::from_str(text);
        assert_eq!(reparsed.ok(), original.ok());
    }

    #[test]
    fn describes_codes_and_survives_anything() {
        let headers = vec![
            ("content-type".to_string(), "application/json".to_string()),
            ("X-Sandbox-Reason".to_string(), "bad signature".to_string()),
        ];
        let s = describe_response(
            200,
            &headers,
            br#"{"responseCode":"4012500","responseMessage":"Unauthorized. [Signature]"}"#,
        );
        assert_eq!(s.response_code.as_deref(), Some("4012500"));
        assert!(s.mismatch.is_some());
        assert_eq!(s.explain.len(), 1);
        let odd = describe_response(200, &[], br#"{"responseCode":"20054000"}"#);
        assert!(odd.code_problem.is_some() && odd.decoded.is_none());
        for body in [&b""[..], b"<html>oops</html>", b"\xff\xfe\x00", b"{\"a\":"] {
            let s = describe_response(500, &[], body);
            assert!(!s.is_json && s.pretty_body.is_none() && s.response_code.is_none());
        }
    }
}
