//! The checks a request passes before an endpoint answers it, in the order providers apply
//! them (SNAP_NOTES §3, §4, §8), each failure answered with its SNAP code:
//!
//! 1. mandatory headers present, as `snap::headers` lists them for the service (the set of
//!    its kind plus its field rules' extras; 400xx02 names the first missing one); for
//!    transactions the Bearer token too (401xx01: a token cannot be "malformed", only
//!    missing or wrong);
//! 2. header formats: Content-Type, X-TIMESTAMP, X-EXTERNAL-ID (400xx01);
//! 3. X-TIMESTAMP within the allowed skew (401xx00 "Unauthorized. Timestamp …");
//! 4. the client is known (401xx00 "Unauthorized. Unknown client");
//! 5. the body is JSON (400xx00 with line and column): the body hash needs it before
//!    the signature can be checked, so transactions parse it here;
//! 6. the signature (401xx00 "Unauthorized. Invalid Signature");
//! 7. the token is one the sandbox issued and has not expired (401xx01);
//! 8. the body's field rules (400xx02 missing, 400xx01 too long or malformed);
//! 9. X-EXTERNAL-ID unused today (409xx00). Claimed last, so that a request rejected for a
//!    fixable mistake does not burn its id; a request that passed everything has used it.

use std::time::Instant;

use chrono::{DateTime, FixedOffset, Utc};
use serde_json::Value;
use zeroize::Zeroizing;

use super::errors::{NO_SERVICE, Rejection};
use super::explain::{self, VerifyKey};
use super::memory::{Claim, TokenState};
use super::provider::ProviderStyle;
use super::request::Received;
use super::state::{Shared, lock};
use crate::snap::catalog::Service;
use crate::snap::headers::{
    self as names, AUTHORIZATION, CONTENT_TYPE, HeaderSet, X_CLIENT_KEY, X_EXTERNAL_ID,
    X_PARTNER_ID, X_SIGNATURE, X_TIMESTAMP,
};
use crate::snap::minify::{MinifyMode, minify};
use crate::snap::signature::{self, SignatureInput, SignatureKind, VerifyingSecret};
use crate::snap::{timestamp, validate};

/// ASPI: X-EXTERNAL-ID String(36).
const MAX_EXTERNAL_ID: usize = 36;

/// The service code for an endpoint's answers (`00` for the non-SNAP ones).
pub(crate) fn service_code(service: &Service) -> &str {
    service.code.as_deref().unwrap_or(NO_SERVICE)
}

/// A transaction (Bearer token + symmetric signature): every check above. Returns the body.
pub(crate) async fn admit_transaction(
    shared: &Shared,
    received: &Received,
    service: &Service,
) -> Result<Value, Rejection> {
    let sc = service_code(service);
    // The sandbox is a symmetric-mode provider: the table's set for it, plus the extras of
    // the service's field rules (ORIGIN for 12).
    let specs = names::for_service(service, HeaderSet::SymmetricTransaction);
    require_headers(received, names::mandatory_names(&specs), sc)?;
    let token = bearer_token(received).ok_or_else(|| {
        Rejection::invalid_token(sc)
            .because("no 'Authorization: Bearer <accessToken>' header; get a token from the access-token/b2b endpoint first")
    })?;
    check_content_type(received, sc)?;
    let (timestamp_text, sent_at) = parse_timestamp(&shared.config.provider, received, sc)?;
    let external_id = check_external_id_format(received, sc)?;
    check_skew(shared, timestamp_text, sent_at, sc)?;
    check_client(shared, received, X_PARTNER_ID, sc)?;
    let (body_text, body) = parse_body(received, sc)?;
    verify_symmetric(shared, received, token, timestamp_text, body_text, sc).await?;
    check_token(shared, token, sc)?;
    if let Some(rejection) = Rejection::from_problems(sc, &validate::validate(&service.id, &body)) {
        return Err(rejection);
    }
    claim_external_id(shared, external_id, sc)?;
    Ok(body)
}

/// The token call (SHA256withRSA over `clientId|timestamp`). Returns the body.
pub(crate) async fn admit_token_request(
    shared: &Shared,
    received: &Received,
    service: &Service,
) -> Result<Value, Rejection> {
    let sc = service_code(service);
    let specs = names::for_service(service, HeaderSet::TokenRequest);
    require_headers(received, names::mandatory_names(&specs), sc)?;
    check_content_type(received, sc)?;
    let (timestamp_text, sent_at) = parse_timestamp(&shared.config.provider, received, sc)?;
    check_skew(shared, timestamp_text, sent_at, sc)?;
    check_client(shared, received, X_CLIENT_KEY, sc)?;
    verify_token_signature(shared, received, timestamp_text, sc).await?;
    let (_, body) = parse_body(received, sc)?;
    if let Some(rejection) = Rejection::from_problems(sc, &validate::validate(&service.id, &body)) {
        return Err(rejection);
    }
    Ok(body)
}

/// A header already known to be present (after `require_headers`); "" otherwise.
fn header<'r>(received: &'r Received, name: &str) -> &'r str {
    received.header(name).ok().flatten().unwrap_or_default()
}

fn require_headers<'n>(
    received: &Received,
    names: impl IntoIterator<Item = &'n str>,
    sc: &str,
) -> Result<(), Rejection> {
    for name in names {
        match received.header(name) {
            Ok(Some(_)) => {}
            Ok(None) => {
                return Err(Rejection::missing_field(sc, name)
                    .because(format!("the {name} header is missing or empty")));
            }
            Err(()) => {
                return Err(Rejection::bad_format(sc, name).because(format!(
                    "the {name} header holds characters other than printable ASCII"
                )));
            }
        }
    }
    Ok(())
}

/// The bare token of `Authorization: Bearer <token>` (the scheme in any case), by the
/// one parser every server here uses.
fn bearer_token(received: &Received) -> Option<&str> {
    let value = received.header(AUTHORIZATION).ok().flatten()?;
    crate::net::http::bearer_token(value)
}

fn check_content_type(received: &Received, sc: &str) -> Result<(), Rejection> {
    let value = header(received, CONTENT_TYPE);
    if value.to_ascii_lowercase().starts_with(names::JSON) {
        return Ok(());
    }
    Err(Rejection::bad_format(sc, CONTENT_TYPE).because(format!(
        "Content-Type is '{}'; SNAP bodies are application/json",
        shown(value)
    )))
}

fn parse_timestamp<'r>(
    provider: &ProviderStyle,
    received: &'r Received,
    sc: &str,
) -> Result<(&'r str, DateTime<FixedOffset>), Rejection> {
    let text = header(received, X_TIMESTAMP);
    match provider.parse_timestamp(text) {
        Ok(at) => Ok((text, at)),
        Err(e) => Err(Rejection::bad_format(sc, X_TIMESTAMP).because(e)),
    }
}

fn check_external_id_format<'r>(received: &'r Received, sc: &str) -> Result<&'r str, Rejection> {
    let id = header(received, X_EXTERNAL_ID);
    let length = id.chars().count();
    if length <= MAX_EXTERNAL_ID && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
        return Ok(id);
    }
    Err(Rejection::bad_format(sc, X_EXTERNAL_ID).because(format!(
        "X-EXTERNAL-ID must be at most {MAX_EXTERNAL_ID} letters, digits or '-' (ASPI String(36)); it has {length} characters"
    )))
}

fn check_skew(
    shared: &Shared,
    text: &str,
    sent_at: DateTime<FixedOffset>,
    sc: &str,
) -> Result<(), Rejection> {
    let skew = timestamp::skew_seconds(&sent_at, Utc::now());
    let allowed = i64::try_from(shared.config.allowed_skew.as_secs()).unwrap_or(i64::MAX);
    if skew.abs() <= allowed {
        return Ok(());
    }
    let (seconds, side) = if skew > 0 {
        (skew, "behind")
    } else {
        (skew.saturating_neg(), "ahead of")
    };
    Err(Rejection::unauthorized(
        sc,
        &format!("Timestamp is {seconds} s {side} the sandbox clock (allowed {allowed} s)"),
    )
    .because(format!(
        "X-TIMESTAMP {text} is {seconds} seconds {side} the sandbox clock; at most {allowed} seconds are allowed either way"
    )))
}

fn check_client(
    shared: &Shared,
    received: &Received,
    header_name: &str,
    sc: &str,
) -> Result<(), Rejection> {
    let client = header(received, header_name);
    if client == shared.config.client_id {
        return Ok(());
    }
    Err(
        Rejection::unauthorized(sc, "Unknown client").because(format!(
            "{header_name} '{}' is not the client this sandbox knows ({})",
            shown(client),
            shared.config.client_id
        )),
    )
}

/// The body as text (for the hash) and as JSON.
fn parse_body<'r>(received: &'r Received, sc: &str) -> Result<(&'r str, Value), Rejection> {
    let text = std::str::from_utf8(&received.body).map_err(|e| {
        Rejection::bad_request(
            sc,
            &format!(
                "The body is not UTF-8 text (invalid byte at offset {})",
                e.valid_up_to()
            ),
        )
    })?;
    // The minifier reports line and column in the body as sent, which serde_json (run on
    // the minified text) cannot; it also bounds the nesting depth.
    let minified = minify(text, MinifyMode::Lexical)
        .map_err(|e| Rejection::bad_request(sc, &e.to_string()).because(e.to_string()))?;
    if minified.is_empty() {
        return Err(Rejection::bad_request(
            sc,
            "The body is empty; a JSON object is expected",
        ));
    }
    let value = serde_json::from_str(&minified)
        .map_err(|e| Rejection::bad_request(sc, &format!("Invalid JSON: {e}")))?;
    Ok((text, value))
}

async fn verify_symmetric(
    shared: &Shared,
    received: &Received,
    token: &str,
    timestamp_text: &str,
    body_text: &str,
    sc: &str,
) -> Result<(), Rejection> {
    let input = SignatureInput {
        kind: SignatureKind::Symmetric,
        client_id: String::new(),
        timestamp: timestamp_text.to_string(),
        method: received.method.as_str().to_string(),
        path: received.path_and_query.clone(),
        unsigned_path_prefix: shared.config.provider.context_root.clone(),
        access_token: token.to_string(),
        body: body_text.to_string(),
        minify: shared.config.provider.minify,
    };
    let prepared =
        signature::prepare(&input).map_err(|e| Rejection::bad_request(sc, &e.to_string()))?;
    let secret = shared.config.client_secret.as_bytes();
    let signature_text = header(received, X_SIGNATURE);
    let verdict = signature::verify(&prepared, VerifyingSecret::Hmac(secret), signature_text);
    let reason = match &verdict {
        Ok(v) if v.valid => return Ok(()),
        Ok(_) => explain::symmetric_mismatch(prepared.body_hash.as_deref().unwrap_or_default()),
        Err(e) => explain::unreadable_signature(e),
    };
    let reason = if shared.explain() && verdict.is_ok() {
        let key = VerifyKey::Hmac(Zeroizing::new(secret.to_vec()));
        let hint = explain::variant_hint(shared, input, signature_text, key).await;
        format!("{reason}; {hint}")
    } else {
        reason
    };
    Err(Rejection::unauthorized(sc, "Invalid Signature")
        .expecting(prepared.string_to_sign.text())
        .because(reason))
}

async fn verify_token_signature(
    shared: &Shared,
    received: &Received,
    timestamp_text: &str,
    sc: &str,
) -> Result<(), Rejection> {
    let input = SignatureInput {
        kind: SignatureKind::B2bToken,
        client_id: header(received, X_CLIENT_KEY).to_string(),
        timestamp: timestamp_text.to_string(),
        ..SignatureInput::default()
    };
    let prepared =
        signature::prepare(&input).map_err(|e| Rejection::bad_request(sc, &e.to_string()))?;
    let key = &shared.config.partner_public_key;
    let signature_text = header(received, X_SIGNATURE);
    let verdict = signature::verify(&prepared, VerifyingSecret::Rsa(key), signature_text);
    let reason = match &verdict {
        Ok(v) if v.valid => return Ok(()),
        Ok(_) => explain::token_mismatch(key),
        Err(e) => explain::unreadable_signature(e),
    };
    let reason = if shared.explain() && verdict.is_ok() {
        let hint =
            explain::variant_hint(shared, input, signature_text, VerifyKey::Rsa(key.clone())).await;
        format!("{reason}; {hint}")
    } else {
        reason
    };
    Err(Rejection::unauthorized(sc, "Invalid Signature")
        .expecting(prepared.string_to_sign.text())
        .because(reason))
}

fn check_token(shared: &Shared, token: &str, sc: &str) -> Result<(), Rejection> {
    let state = lock(&shared.tokens).check(token, Instant::now());
    let reason = match state {
        TokenState::Valid => return Ok(()),
        TokenState::Expired { ago } => format!(
            "the access token expired {} s ago (tokens live {} s); request a new one",
            ago.as_secs(),
            shared.config.token_ttl.as_secs()
        ),
        TokenState::Unknown => {
            "the sandbox never issued this access token (or has restarted since)".to_string()
        }
    };
    Err(Rejection::invalid_token(sc).because(reason))
}

fn claim_external_id(shared: &Shared, external_id: &str, sc: &str) -> Result<(), Rejection> {
    let today = Utc::now().with_timezone(&timestamp::jakarta()).date_naive();
    let claim = lock(&shared.external_ids).claim(today, external_id);
    match claim {
        Claim::New => Ok(()),
        Claim::Repeat => Err(Rejection::conflict(sc).because(format!(
            "X-EXTERNAL-ID {external_id} was already used today ({today}, Jakarta time); send a new one with every request"
        ))),
        Claim::Full => Err(Rejection::new(429, sc, "00", "Too Many Requests".to_string())
            .because("the sandbox remembers a limited number of X-EXTERNAL-IDs a day and today's are used up")),
    }
}

/// A header value quoted in a reason: cut, control characters replaced.
fn shown(text: &str) -> String {
    text.chars()
        .take(64)
        .map(|c| if c.is_control() { '?' } else { c })
        .collect()
}
