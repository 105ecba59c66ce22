//! The one rule, for the sandbox and the inbox alike, on requests a strict gateway refuses
//! because they can be read two ways (`400xx00 Bad Request`, the reason in words):
//!
//! - a SNAP header that decides the signature, the client or the token sent twice (which
//!   copy counts? a lenient server takes the first, a proxy may take the last);
//! - `Content-Length` together with `Transfer-Encoding` (the request-smuggling shape:
//!   RFC 9112 §6.1 lets a server reject it, and strict gateways do);
//! - a `Content-Encoding` other than `identity` (the body hash would be computed over
//!   bytes nobody agreed on: the console does not decompress).

use axum::http::{HeaderMap, header, request::Parts};

use super::framing::FramingConflict;

use crate::snap::headers::{
    AUTHORIZATION, CHANNEL_ID, CONTENT_TYPE, X_CLIENT_KEY, X_EXTERNAL_ID, X_PARTNER_ID,
    X_SIGNATURE, X_TIMESTAMP,
};

/// Headers that must appear at most once.
pub const SINGLE_HEADERS: [&str; 8] = [
    X_SIGNATURE,
    X_TIMESTAMP,
    X_CLIENT_KEY,
    AUTHORIZATION,
    X_EXTERNAL_ID,
    X_PARTNER_ID,
    CHANNEL_ID,
    CONTENT_TYPE,
];

/// Why the request is ambiguous, or `None` when it can be read one way only.
pub fn ambiguity(parts: &Parts) -> Option<String> {
    if parts.extensions.get::<FramingConflict>().is_some() {
        return Some(both_framings());
    }
    headers_ambiguity(&parts.headers)
}

fn both_framings() -> String {
    "Content-Length and Transfer-Encoding together; send one of them".to_string()
}

/// [`ambiguity`] as far as the headers show it (hyper drops Content-Length beside
/// Transfer-Encoding before a handler sees them: the serve loop marks that instead).
fn headers_ambiguity(headers: &HeaderMap) -> Option<String> {
    for name in SINGLE_HEADERS {
        let count = headers.get_all(name).iter().count();
        if count > 1 {
            return Some(format!(
                "The {name} header appears {count} times; send it once"
            ));
        }
    }
    if headers.contains_key(header::CONTENT_LENGTH)
        && headers.contains_key(header::TRANSFER_ENCODING)
    {
        return Some(both_framings());
    }
    for value in headers.get_all(header::CONTENT_ENCODING) {
        let text = String::from_utf8_lossy(value.as_bytes());
        let unsupported = text
            .split(',')
            .map(str::trim)
            .find(|coding| !coding.is_empty() && !coding.eq_ignore_ascii_case("identity"));
        if let Some(coding) = unsupported {
            return Some(format!(
                "Content-Encoding {coding} is not supported; send the body uncompressed"
            ));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn map(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(*name, HeaderValue::from_static(value));
        }
        map
    }

    #[test]
    fn what_can_be_read_two_ways_is_named() {
        assert_eq!(
            headers_ambiguity(&map(&[("x-signature", "a"), ("x-timestamp", "t")])),
            None
        );
        let twice = headers_ambiguity(&map(&[("x-signature", "a"), ("X-Signature", "b")]));
        assert_eq!(
            twice.as_deref(),
            Some("The X-SIGNATURE header appears 2 times; send it once")
        );
        assert!(
            headers_ambiguity(&map(&[
                ("content-length", "3"),
                ("transfer-encoding", "chunked")
            ]))
            .is_some_and(|r| r.contains("Content-Length and Transfer-Encoding"))
        );
        assert!(
            headers_ambiguity(&map(&[("content-encoding", "gzip")]))
                .is_some_and(|r| r.contains("Content-Encoding gzip"))
        );
        assert_eq!(
            headers_ambiguity(&map(&[("content-encoding", "identity")])),
            None
        );
    }
}
