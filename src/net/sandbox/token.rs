//! `POST /api/v1.0/access-token/b2b` (service 73): a B2B access token for a request signed
//! with SHA256withRSA over `clientId|X-TIMESTAMP` by the registered partner key.

use std::time::Instant;

use serde_json::json;

use super::checks;
use super::errors::Rejection;
use super::request::Received;
use super::respond::Answer;
use super::state::{Shared, lock};
use crate::snap::catalog::Service;
use crate::snap::response;

pub(crate) async fn issue(
    shared: &Shared,
    received: &Received,
    service: &Service,
) -> Result<Answer, Rejection> {
    checks::admit_token_request(shared, received, service).await?;
    let token = lock(&shared.tokens).issue(Instant::now());
    let code = response::compose(200, checks::service_code(service), "00");
    let body = json!({
        "responseCode": code,
        "responseMessage": "Successful",
        "accessToken": token,
        "tokenType": "Bearer",
        // A string, as in ASPI's and NICEPAY's examples (SNAP_NOTES §6).
        "expiresIn": shared.config.token_ttl.min(super::memory::MAX_TOKEN_TTL).as_secs().to_string(),
    });
    // Token responses also carry X-CLIENT-KEY (SNAP_NOTES §3).
    Ok(Answer::snap(&code, "Successful", &body).with_header(
        "x-client-key",
        &shared.config.client_id,
        256,
    ))
}
