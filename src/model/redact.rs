//! Secrets scrubbed before an exchange is written (DESIGN.md: secrets never reach the
//! history file in clear).
//!
//! Three layers, because no single one catches everything:
//! 1. fixed rules that need no knowledge of the profile: `Authorization` values, secret
//!    headers (`X-CLIENT-SECRET`, ASPI's `Private_Key`), token/secret/password keys in JSON
//!    bodies, PEM private key blocks, the token inside a symmetric stringToSign;
//! 2. the values those rules found are then scrubbed from every other field too (a bearer
//!    token also appears in the stringToSign, a secret sent in a header may be echoed in a
//!    body);
//! 3. the secrets the caller registers (client secret, private key, passphrases, tokens),
//!    in the spellings they take on the wire (as is, JSON-escaped, URL-encoded, a PEM's
//!    Base64 on one line or line by line).

use zeroize::Zeroizing;

use super::exchange::{Exchange, RecordedMessage};

/// What a secret is replaced with.
pub const REDACTED: &str = "‹redacted›";

/// Registered values shorter than this are ignored: replacing every "1234" would mangle
/// bodies without protecting anything.
const MIN_SECRET_CHARS: usize = 6;

/// Lines of a PEM body shorter than this are not scrubbed on their own (the last line of a
/// key can be a few characters that also occur in ordinary text).
const MIN_PEM_LINE_CHARS: usize = 16;

/// A truncated body ending with this many or more leading characters of a secret gets the
/// fragment scrubbed (the cut may fall inside a secret).
const MIN_TAIL_FRAGMENT: usize = 4;

/// Headers whose whole value is a secret (compared case-insensitively; `_` and `-` equal).
const SECRET_HEADERS: &[&str] = &["x-client-secret", "private-key"];

/// Headers that carry `<scheme> <credential>`.
const AUTH_HEADERS: &[&str] = &[
    "authorization",
    "authorization-customer",
    "proxy-authorization",
];

/// JSON keys whose string values are secrets (lower-case, `_` and `-` removed, so
/// `access_token` and `Access-Token` match too).
const SECRET_KEYS: &[&str] = &[
    "accesstoken",
    "refreshtoken",
    "clientsecret",
    "privatekey",
    "password",
    "passphrase",
];

/// The secrets to scrub. Build one per profile from its client secret, private key PEM,
/// passphrases and the bearer tokens in play.
#[derive(Clone, Default)]
pub struct Redactor {
    /// Every spelling of every registered secret, longest first.
    secrets: Vec<Zeroizing<String>>,
}

impl std::fmt::Debug for Redactor {
    // Never print the secrets themselves.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Redactor")
            .field("secrets", &self.secrets.len())
            .finish()
    }
}

impl Redactor {
    pub fn new() -> Self {
        Redactor::default()
    }

    /// Register a secret: every occurrence anywhere in an exchange is replaced. Values
    /// shorter than 6 characters are ignored.
    pub fn secret(mut self, value: &str) -> Self {
        for spelling in spellings(value) {
            push_secret(&mut self.secrets, spelling);
        }
        self
    }

    /// The exchange with every secret replaced by [`REDACTED`].
    pub fn redact(&self, mut exchange: Exchange) -> Exchange {
        // Layer 2 needs the values layer 1 finds, so collect them before replacing.
        let mut found: Vec<Zeroizing<String>> = self.secrets.clone();
        harvest(&exchange.request, &mut found);
        if let Some(response) = &exchange.response {
            harvest(response, &mut found);
        }
        if let Some(sts) = &exchange.string_to_sign
            && let Some(token) = symmetric_token(sts)
        {
            for spelling in spellings(token) {
                push_secret(&mut found, spelling);
            }
        }

        redact_message(&mut exchange.request, &found);
        if let Some(response) = exchange.response.as_mut() {
            redact_message(response, &found);
        }
        if let Some(sts) = exchange.string_to_sign.as_mut() {
            if let Some(token) = symmetric_token(sts) {
                let token = token.to_string();
                if token != REDACTED {
                    *sts = sts.replacen(&format!(":{token}:"), &format!(":{REDACTED}:"), 1);
                }
            }
            scrub_text(sts, &found);
        }
        for text in [
            &mut exchange.url,
            &mut exchange.profile,
            &mut exchange.method,
            &mut exchange.time,
            &mut exchange.id,
        ] {
            scrub_text(text, &found);
        }
        for text in [
            exchange.service.as_mut(),
            exchange.service_title.as_mut(),
            exchange.response_code.as_mut(),
            exchange.error.as_mut(),
            exchange.verdict.as_mut(),
        ]
        .into_iter()
        .flatten()
        {
            scrub_text(text, &found);
        }
        exchange
    }
}

/// Add a spelling, keeping the list longest first (a longer secret containing a shorter
/// one must be replaced whole) and free of duplicates.
fn push_secret(list: &mut Vec<Zeroizing<String>>, value: String) {
    if value.chars().count() < MIN_SECRET_CHARS || value == REDACTED {
        return;
    }
    if list.iter().any(|s| s.as_str() == value) {
        return;
    }
    let at = list
        .iter()
        .position(|s| s.len() < value.len())
        .unwrap_or(list.len());
    list.insert(at, Zeroizing::new(value));
}

/// The ways a secret can be written on the wire.
fn spellings(value: &str) -> Vec<String> {
    let mut out = vec![value.to_string()];
    let trimmed = value.trim();
    if trimmed != value {
        out.push(trimmed.to_string());
    }
    // Inside a JSON string: quotes, backslashes, slashes and newlines escaped.
    if let Ok(json) = serde_json::to_string(trimmed) {
        let inner = &json[1..json.len() - 1];
        if inner != trimmed {
            out.push(inner.to_string());
        }
        // Some encoders (PHP, Java's older ones) also escape the slash.
        if inner.contains('/') {
            out.push(inner.replace('/', "\\/"));
        }
    }
    // In a URL query or a form body.
    let encoded: String = url::form_urlencoded::byte_serialize(trimmed.as_bytes()).collect();
    if encoded != trimmed {
        out.push(encoded);
    }
    // A PEM key travels as its Base64 on one line (ASPI's Private_Key header) or re-wrapped.
    if trimmed.contains("-----BEGIN") {
        let lines: Vec<&str> = trimmed
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with("-----") && !l.contains(':'))
            .collect();
        out.push(lines.concat());
        out.extend(
            lines
                .iter()
                .filter(|l| l.len() >= MIN_PEM_LINE_CHARS)
                .map(|l| l.to_string()),
        );
    }
    out
}

fn normalised_name(name: &str) -> String {
    name.trim()
        .chars()
        .filter(|c| *c != '_' && *c != '-')
        .flat_map(char::to_lowercase)
        .collect()
}

fn is_secret_header(name: &str) -> bool {
    let name = normalised_name(name);
    SECRET_HEADERS.iter().any(|h| normalised_name(h) == name)
}

fn is_auth_header(name: &str) -> bool {
    let name = normalised_name(name);
    AUTH_HEADERS.iter().any(|h| normalised_name(h) == name)
}

fn is_secret_key(raw_key: &str) -> bool {
    let key = normalised_name(raw_key);
    SECRET_KEYS.contains(&key.as_str())
}

/// Split `Bearer abc` into ("Bearer", "abc"); a value without a scheme is all credential.
fn split_scheme(value: &str) -> (Option<&str>, &str) {
    let value = value.trim();
    match value.split_once(char::is_whitespace) {
        Some((scheme, rest)) => (Some(scheme), rest.trim()),
        None => (None, value),
    }
}

/// Collect the secret values the fixed rules will replace, to scrub them elsewhere too.
fn harvest(message: &RecordedMessage, found: &mut Vec<Zeroizing<String>>) {
    for (name, value) in &message.headers {
        if is_auth_header(name) {
            let (_, credential) = split_scheme(value);
            for spelling in spellings(credential) {
                push_secret(found, spelling);
            }
        } else if is_secret_header(name) {
            for spelling in spellings(value) {
                push_secret(found, spelling);
            }
        }
    }
    for (start, end) in secret_json_values(&message.body) {
        // The raw (escaped) text, as it stands in the body, and its unescaped value.
        let raw = &message.body[start..end];
        push_secret(found, raw.to_string());
        if let Ok(value) = serde_json::from_str::<String>(&format!("\"{raw}\"")) {
            for spelling in spellings(&value) {
                push_secret(found, spelling);
            }
        }
    }
}

fn redact_message(message: &mut RecordedMessage, secrets: &[Zeroizing<String>]) {
    for (name, value) in message.headers.iter_mut() {
        if is_auth_header(name) {
            let (scheme, credential) = split_scheme(value);
            if !credential.is_empty() {
                *value = match scheme {
                    Some(scheme) => format!("{scheme} {REDACTED}"),
                    None => REDACTED.to_string(),
                };
            }
        } else if is_secret_header(name) && !value.is_empty() {
            *value = REDACTED.to_string();
        }
        scrub_text(name, secrets);
        scrub_text(value, secrets);
    }
    redact_json_values(&mut message.body);
    redact_pem_blocks(&mut message.body);
    scrub_text(&mut message.body, secrets);
    if message.body_truncated {
        scrub_tail_fragment(&mut message.body, secrets);
    }
}

/// Replace every occurrence of every secret (longest first) and any PEM private key.
fn scrub_text(text: &mut String, secrets: &[Zeroizing<String>]) {
    for secret in secrets {
        if text.contains(secret.as_str()) {
            *text = text.replace(secret.as_str(), REDACTED);
        }
    }
    redact_pem_blocks(text);
}

/// A body cut at the cap may end with the first part of a secret.
fn scrub_tail_fragment(body: &mut String, secrets: &[Zeroizing<String>]) {
    for secret in secrets {
        let secret = secret.as_str();
        let longest = (MIN_TAIL_FRAGMENT..secret.len())
            .rev()
            .filter(|&n| secret.is_char_boundary(n))
            .find(|&n| body.ends_with(&secret[..n]));
        if let Some(n) = longest {
            body.truncate(body.len() - n);
            body.push_str(REDACTED);
        }
    }
}

/// Replace each `-----BEGIN … PRIVATE KEY----- … -----END … PRIVATE KEY-----` block. A
/// block with no end (a truncated body, a key pasted half) is replaced as far as it looks
/// like a key: Base64, whitespace, escaped newlines, PEM header punctuation. That stops at
/// the quote closing a JSON string, so the rest of a body survives.
fn redact_pem_blocks(text: &mut String) {
    const BEGIN: &str = "-----BEGIN ";
    if !text.contains(BEGIN) {
        return;
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text.as_str();
    let mut changed = false;
    while let Some(at) = rest.find(BEGIN) {
        let after = &rest[at + BEGIN.len()..];
        let Some(label_end) = after.find("-----") else {
            break;
        };
        let label = &after[..label_end];
        if !label.ends_with("PRIVATE KEY") || label.contains('\n') {
            out.push_str(&rest[..at + BEGIN.len()]);
            rest = after;
            continue;
        }
        out.push_str(&rest[..at]);
        out.push_str("‹redacted private key›");
        changed = true;
        let end_marker = format!("-----END {label}-----");
        rest = match after.find(&end_marker) {
            Some(end) => &after[end + end_marker.len()..],
            None => {
                let body = &after[label_end + 5..];
                let key_len = body
                    .find(|c: char| {
                        !(c.is_ascii_alphanumeric()
                            || c.is_ascii_whitespace()
                            || matches!(c, '+' | '/' | '=' | '\\' | ':' | ',' | '-'))
                    })
                    .unwrap_or(body.len());
                &body[key_len..]
            }
        };
    }
    if changed {
        out.push_str(rest);
        *text = out;
    }
}

/// Byte ranges (inside the quotes) of the string values of secret keys in a JSON text.
/// A lexical scan, not a parse: it keeps the body's bytes exactly as they were and works
/// on bodies that are truncated or not quite JSON.
fn secret_json_values(body: &str) -> Vec<(usize, usize)> {
    let bytes = body.as_bytes();
    let mut ranges = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != b'"' {
            i += 1;
            continue;
        }
        let key_start = i + 1;
        let key_end = string_end(bytes, key_start);
        i = key_end + 1;
        let mut j = skip_space(bytes, i);
        if j >= bytes.len() || bytes[j] != b':' {
            continue; // a value, not a key
        }
        j = skip_space(bytes, j + 1);
        if j < bytes.len()
            && bytes[j] == b'"'
            && is_secret_key(body.get(key_start..key_end).unwrap_or(""))
        {
            let value_start = j + 1;
            let value_end = string_end(bytes, value_start);
            ranges.push((value_start, value_end));
            i = value_end + 1;
        } else {
            i = j;
        }
    }
    ranges
}

/// The index of the closing quote of a string starting at `from`, or the end of the text.
fn string_end(bytes: &[u8], from: usize) -> usize {
    let mut i = from;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b'"' => return i,
            _ => i += 1,
        }
    }
    bytes.len()
}

fn skip_space(bytes: &[u8], mut i: usize) -> usize {
    while i < bytes.len() && matches!(bytes[i], b' ' | b'\t' | b'\r' | b'\n') {
        i += 1;
    }
    i
}

fn redact_json_values(body: &mut String) {
    let ranges = secret_json_values(body);
    if ranges.is_empty() {
        return;
    }
    let mut out = String::with_capacity(body.len());
    let mut last = 0;
    for (start, end) in ranges {
        // Ranges start after a quote and end at a quote or the end: char boundaries.
        out.push_str(&body[last..start]);
        if start < end {
            out.push_str(REDACTED);
        }
        last = end;
    }
    out.push_str(&body[last..]);
    *body = out;
}

/// The access token inside a symmetric stringToSign, `METHOD:path:token:bodyHash:timestamp`:
/// the field before the 64-hex-digit body hash. The path may itself hold a `:`; the token
/// (Base64 or JWT) never does.
fn symmetric_token(string_to_sign: &str) -> Option<&str> {
    let fields: Vec<&str> = string_to_sign.split(':').collect();
    let method = fields.first()?;
    if method.is_empty() || !method.bytes().all(|b| b.is_ascii_uppercase()) {
        return None;
    }
    let hash_at = fields
        .iter()
        .enumerate()
        .skip(3)
        .find(|(_, f)| f.len() == 64 && f.bytes().all(|b| b.is_ascii_hexdigit()))
        .map(|(i, _)| i)?;
    let token = fields[hash_at - 1];
    (!token.is_empty()).then_some(token)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::exchange::Direction;

    fn exchange(headers: Vec<(&str, &str)>, body: &str) -> Exchange {
        Exchange::new(
            Direction::Outbound,
            "p",
            "POST",
            "http://127.0.0.1/api",
            RecordedMessage::new(
                headers
                    .into_iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
                body,
            ),
        )
    }

    #[test]
    fn fixed_rules_without_registered_secrets() {
        let e = exchange(
            vec![
                ("authorization", "Bearer tok-123456789"),
                ("X-Client-Secret", "cs-abcdefgh"),
                ("Private_Key", "MIIEvQIBADANBgkqhkiG9w0BAQEFAASC"),
                ("Content-Type", "application/json"),
            ],
            r#"{"accessToken" : "tok-123456789","nested":{"Client_Secret":"x\"y-zzzzzz"},"n":"tok-123456789 echoed"}"#,
        );
        let mut e = e;
        e.string_to_sign = Some(format!(
            "POST:/api/v1.0/x:tok-123456789:{}:2024-01-01T00:00:00+07:00",
            "a".repeat(64)
        ));
        let r = Redactor::new().redact(e);
        let text = serde_json::to_string(&r).unwrap_or_default();
        for secret in ["tok-123456789", "cs-abcdefgh", "MIIEvQIB", "zzzzzz"] {
            assert!(!text.contains(secret), "{secret} left in {text}");
        }
        assert_eq!(r.request.header("authorization"), Some("Bearer ‹redacted›"));
        assert_eq!(r.request.header("content-type"), Some("application/json"));
        assert!(
            r.string_to_sign
                .unwrap_or_default()
                .starts_with("POST:/api/v1.0/x:‹redacted›:")
        );
    }

    /// A made-up PEM block (random Base64, not a key), kept with the test fixtures.
    const FAKE_PEM: &str = include_str!("../../tests/fixtures/history/fake_test_private_key.pem");

    /// The fixture's BEGIN line, for tests of open (unterminated) blocks.
    fn fake_pem_begin() -> &'static str {
        FAKE_PEM.lines().next().unwrap_or_default()
    }

    #[test]
    fn registered_secrets_in_every_spelling() {
        let pem = FAKE_PEM;
        let one_line: String = FAKE_PEM
            .lines()
            .filter(|l| !l.starts_with("-----"))
            .collect();
        let redactor = Redactor::new()
            .secret("s3cr3t/value")
            .secret(pem)
            .secret("abc");
        let mut e = exchange(
            vec![("X-Key", one_line.as_str())],
            &format!(
                r#"{{"note":"s3cr3t\/value","k":"{}\nMIIEzzQIBAD","abc":"abc"}}"#,
                fake_pem_begin()
            ),
        );
        e.url = "http://h/x?secret=s3cr3t%2Fvalue".into();
        let r = redactor.redact(e);
        let text = serde_json::to_string(&r).unwrap_or_default();
        assert!(!text.contains("s3cr3t"), "{text}");
        assert!(!text.contains("MIIEvQ"), "{text}");
        assert!(
            text.contains(r#"‹redacted private key›\",\"abc\":\"abc\"}"#),
            "an unterminated key stops at the string's end; short values are left alone: {text}"
        );
        assert!(format!("{redactor:?}").contains("secrets"));
        assert!(!format!("{redactor:?}").contains("s3cr3t"));
    }

    #[test]
    fn truncated_body_tail_and_open_pem() {
        let mut m = RecordedMessage::new(Vec::new(), "x".repeat(10));
        m.body = "data ... supers".into();
        m.body_truncated = true;
        let mut e = exchange(Vec::new(), "");
        e.response = Some(m);
        let r = Redactor::new().secret("supersecret-1").redact(e);
        let body = r.response.map(|m| m.body).unwrap_or_default();
        assert_eq!(body, "data ... ‹redacted›");
        let mut text = format!(
            "a {}\nMIIabc",
            fake_pem_begin().replace("PRIVATE", "RSA PRIVATE")
        );
        redact_pem_blocks(&mut text);
        assert_eq!(text, "a ‹redacted private key›");
        let mut public = "-----BEGIN PUBLIC KEY-----\nMII\n-----END PUBLIC KEY-----".to_string();
        redact_pem_blocks(&mut public);
        assert!(public.contains("MII"));
    }

    #[test]
    fn token_in_string_to_sign() {
        let hash = "0".repeat(64);
        assert_eq!(
            symmetric_token(&format!("POST:/a:b:tok:{hash}:2024-01-01T00:00:00+07:00")),
            Some("tok")
        );
        assert_eq!(symmetric_token("client|2024-01-01T00:00:00+07:00"), None);
        assert_eq!(symmetric_token(&format!("POST:/a::{hash}:t")), None);
    }
}
