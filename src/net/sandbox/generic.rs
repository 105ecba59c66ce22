//! The answer of every partner-called service without a richer family: the standard
//! checks (`checks`), the body judged by the service's field rules, and a success body
//! from its response template (`assets/services/<group>.json`, filled by
//! `snap::services::fill_response`: reference numbers echoed, fresh referenceNo and times).
//!
//! GET services (03, 10) have no body: their path parameter and query are judged instead,
//! after the same header, timestamp, client, signature (over the empty body), token and
//! X-EXTERNAL-ID checks as a transaction. `checks` parses a body before the signature, so
//! those checks are repeated here for the body-less case, in the same order.
//!
//! The B2B2C token (74) is checked like the B2B token (73) and answered with the B2B2C
//! response shape; its access token is one the sandbox accepts afterwards.

use std::time::Instant;

use chrono::{Duration, Utc};
use serde_json::{Map, Value, json};

use super::checks;
use super::errors::Rejection;
use super::explain;
use super::memory::{Claim, TokenState};
use super::request::Received;
use super::respond::Answer;
use super::state::{Shared, lock};
use crate::snap::catalog::Service;
use crate::snap::minify::MinifyMode;
use crate::snap::services::{self, ResponseValues};
use crate::snap::signature::{self, SignatureInput, SignatureKind, VerifyingSecret};
use crate::snap::{response, timestamp, validate};

/// Mandatory headers of a body-less transaction (Content-Type describes no body here).
const GET_HEADERS: [&str; 5] = [
    "X-TIMESTAMP",
    "X-SIGNATURE",
    "X-PARTNER-ID",
    "X-EXTERNAL-ID",
    "CHANNEL-ID",
];
/// ASPI: X-EXTERNAL-ID String(36).
const MAX_EXTERNAL_ID: usize = 36;

/// A body service: checks and rules, then the template's success body.
pub(crate) async fn answer(
    shared: &Shared,
    received: &Received,
    service: &Service,
) -> Result<Answer, Rejection> {
    let body = checks::admit_transaction(shared, received, service).await?;
    Ok(success(shared, service, &body, None))
}

/// The B2B2C token (74).
pub(crate) async fn token_b2b2c(
    shared: &Shared,
    received: &Received,
    service: &Service,
) -> Result<Answer, Rejection> {
    let body = checks::admit_token_request(shared, received, service).await?;
    let token = lock(&shared.tokens).issue(Instant::now());
    Ok(success(shared, service, &body, Some(token)).with_header(
        "x-client-key",
        &shared.config.client_id,
        256,
    ))
}

/// A GET service: `path_param` is the (name, decoded value) of its path parameter.
pub(crate) async fn answer_get(
    shared: &Shared,
    received: &Received,
    service: &Service,
    path_param: Option<(String, String)>,
) -> Result<Answer, Rejection> {
    let sc = checks::service_code(service);
    let token = admit_headers(shared, received, sc)?;
    verify_empty_body_signature(shared, received, &token, sc)?;
    check_token(shared, &token, sc)?;
    let params = params_of(received, path_param);
    let problems = validate::validate_params(&service.id, &params);
    if let Some(rejection) = Rejection::from_problems(sc, &problems) {
        return Err(rejection);
    }
    claim_external_id(shared, received, sc)?;
    Ok(success(shared, service, &params, None))
}

/// `2xx<code>00 Successful` with the service's response template filled from `request`.
fn success(
    shared: &Shared,
    service: &Service,
    request: &Value,
    access_token: Option<String>,
) -> Answer {
    let code = response::compose(200, checks::service_code(service), "00");
    let values = ResponseValues {
        reference_no: shared.new_reference_no(),
        timestamp: timestamp::now_jakarta(),
        timestamp_plus_day: timestamp::format_jakarta(Utc::now() + Duration::days(1)),
    };
    let mut body = Map::new();
    body.insert("responseCode".into(), json!(code));
    body.insert("responseMessage".into(), json!("Successful"));
    if let Some(filled) = services::fill_response(&service.id, request, &values) {
        body.extend(filled);
    }
    if let Some(token) = access_token {
        body.insert("accessToken".into(), json!(token));
    }
    Answer::snap(&code, "Successful", &Value::Object(body))
}

/// The path parameter and the query as one JSON object of strings (a repeated query name
/// keeps its first value).
fn params_of(received: &Received, path_param: Option<(String, String)>) -> Value {
    let mut params = Map::new();
    if let Some((name, value)) = path_param {
        params.insert(name, Value::String(value));
    }
    if let Some((_, query)) = received.path_and_query.split_once('?') {
        for (name, value) in url::form_urlencoded::parse(query.as_bytes()) {
            params
                .entry(name.into_owned())
                .or_insert_with(|| Value::String(value.into_owned()));
        }
    }
    Value::Object(params)
}

/// Headers present and well-formed, the timestamp within the skew, the client known.
/// Returns the bare Bearer token.
fn admit_headers(shared: &Shared, received: &Received, sc: &str) -> Result<String, Rejection> {
    for name in GET_HEADERS {
        match received.header(name) {
            Ok(Some(_)) => {}
            Ok(None) => {
                return Err(Rejection::missing_field(sc, name)
                    .because(format!("the {name} header is missing or empty")));
            }
            Err(()) => return Err(Rejection::bad_format(sc, name)),
        }
    }
    let token = bearer_token(received).ok_or_else(|| {
        Rejection::invalid_token(sc).because(
            "no 'Authorization: Bearer <accessToken>' header; get a token from the access-token/b2b endpoint first",
        )
    })?;
    let text = header(received, "X-TIMESTAMP");
    let sent_at = shared
        .config
        .provider
        .parse_timestamp(text)
        .map_err(|e| Rejection::bad_format(sc, "X-TIMESTAMP").because(e))?;
    let external_id = header(received, "X-EXTERNAL-ID");
    if external_id.chars().count() > MAX_EXTERNAL_ID
        || !external_id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-')
    {
        return Err(Rejection::bad_format(sc, "X-EXTERNAL-ID").because(format!(
            "X-EXTERNAL-ID must be at most {MAX_EXTERNAL_ID} letters, digits or '-'"
        )));
    }
    let skew = timestamp::skew_seconds(&sent_at, Utc::now()).unsigned_abs();
    let allowed = shared.config.allowed_skew.as_secs();
    if skew > allowed {
        return Err(Rejection::unauthorized(
            sc,
            &format!("Timestamp is {skew} s away from the sandbox clock (allowed {allowed} s)"),
        ));
    }
    if header(received, "X-PARTNER-ID") != shared.config.client_id {
        return Err(Rejection::unauthorized(sc, "Unknown client")
            .because("X-PARTNER-ID is not the client this sandbox knows"));
    }
    Ok(token)
}

fn header<'r>(received: &'r Received, name: &str) -> &'r str {
    received.header(name).ok().flatten().unwrap_or_default()
}

fn bearer_token(received: &Received) -> Option<String> {
    let value = received.header("Authorization").ok().flatten()?;
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then(|| token.to_string())
}

/// HMAC-SHA512 over `GET:path?query:token:sha256("")hex:timestamp`.
fn verify_empty_body_signature(
    shared: &Shared,
    received: &Received,
    token: &str,
    sc: &str,
) -> Result<(), Rejection> {
    let input = SignatureInput {
        kind: SignatureKind::Symmetric,
        client_id: String::new(),
        timestamp: header(received, "X-TIMESTAMP").to_string(),
        method: received.method.as_str().to_string(),
        path: received.path_and_query.clone(),
        unsigned_path_prefix: shared.config.provider.context_root.clone(),
        access_token: token.to_string(),
        body: String::from_utf8_lossy(&received.body).into_owned(),
        minify: MinifyMode::Lexical,
    };
    let prepared =
        signature::prepare(&input).map_err(|e| Rejection::bad_request(sc, &e.to_string()))?;
    let secret = shared.config.client_secret.as_bytes();
    let verdict = signature::verify(
        &prepared,
        VerifyingSecret::Hmac(secret),
        header(received, "X-SIGNATURE"),
    );
    let reason = match verdict {
        Ok(v) if v.valid => return Ok(()),
        Ok(_) => explain::symmetric_mismatch(prepared.body_hash.as_deref().unwrap_or_default()),
        Err(e) => explain::unreadable_signature(&e),
    };
    Err(Rejection::unauthorized(sc, "Invalid Signature")
        .expecting(prepared.string_to_sign.text())
        .because(reason))
}

fn check_token(shared: &Shared, token: &str, sc: &str) -> Result<(), Rejection> {
    match lock(&shared.tokens).check(token, Instant::now()) {
        TokenState::Valid => Ok(()),
        TokenState::Expired { .. } => {
            Err(Rejection::invalid_token(sc).because("the access token has expired"))
        }
        TokenState::Unknown => Err(Rejection::invalid_token(sc)
            .because("the sandbox never issued this access token (or has restarted since)")),
    }
}

fn claim_external_id(shared: &Shared, received: &Received, sc: &str) -> Result<(), Rejection> {
    let today = Utc::now().with_timezone(&timestamp::jakarta()).date_naive();
    let external_id = header(received, "X-EXTERNAL-ID");
    match lock(&shared.external_ids).claim(today, external_id) {
        Claim::New => Ok(()),
        Claim::Repeat => Err(Rejection::conflict(sc).because(format!(
            "X-EXTERNAL-ID {external_id} was already used today; send a new one with every request"
        ))),
        Claim::Full => Err(Rejection::new(
            429,
            sc,
            "00",
            "Too Many Requests".to_string(),
        )),
    }
}
