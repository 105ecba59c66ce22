//! A request and its outcome as a history exchange, and the redactor that scrubs the
//! profile's secrets from it. The composer and `snap-console send` both record through
//! here, so the history looks the same whichever sent the request.

use crate::model::exchange::{Direction, Exchange, RecordedMessage, response_code_of};
use crate::model::redact::Redactor;
use crate::model::{Profile, ProfileSecrets};
use crate::net::client::headers;
use crate::net::client::request;
use crate::net::client::{BuiltRequest, ResponseRecord, SendError};
use crate::snap::catalog;

/// The exchange as it happened, not yet redacted: pass it through [`redactor_for`] before
/// it is written.
pub(crate) fn exchange_of(
    profile: &Profile,
    built: &BuiltRequest,
    outcome: &Result<ResponseRecord, SendError>,
) -> Exchange {
    let request = RecordedMessage::from_bytes(built.headers.clone(), &built.body);
    let mut exchange = Exchange::new(
        Direction::Outbound,
        profile.name.clone(),
        built.method.clone(),
        built.url.clone(),
        request,
    );
    let service = request::service_of(&built.service_id).ok();
    exchange.service = Some(built.service_id.clone());
    exchange.service_title = service.map(catalog::Service::title);
    exchange.string_to_sign = built.string_to_sign.clone();
    match outcome {
        Ok(record) => {
            let mut response = RecordedMessage::from_bytes(record.headers.clone(), &record.body);
            if record.truncated {
                // The client already stopped reading at its own cap.
                response.body_truncated = true;
                response.body_bytes = response.body_bytes.max(record.size as usize);
            }
            exchange.response_code = response_code_of(&response.body);
            exchange.response_status = Some(record.status);
            exchange.response = Some(response);
            exchange.total_ms = Some(record.total_ms.round() as u64);
            exchange.headers_ms = Some(record.headers_ms.round() as u64);
        }
        Err(e) => exchange.error = Some(e.to_string()),
    }
    exchange
}

/// A redactor for a profile's secrets and the tokens in play (the one sent, and any the
/// response carried). Header-borne secrets (Authorization, Private_Key, X-CLIENT-SECRET)
/// are registered too, whatever their value.
pub(crate) fn redactor_for(
    secrets: &ProfileSecrets,
    built: &BuiltRequest,
    tokens: &[&str],
) -> Redactor {
    let mut redactor = Redactor::new()
        .secret(secrets.client_secret.expose())
        .secret(secrets.private_key_pem.expose())
        .secret(secrets.client_cert_key_pem.expose());
    for (name, value) in &built.headers {
        if headers::is_sensitive(name) {
            redactor = redactor.secret(value);
            let bare = value
                .trim()
                .strip_prefix("Bearer ")
                .or_else(|| value.trim().strip_prefix("bearer "));
            if let Some(bare) = bare {
                redactor = redactor.secret(bare);
            }
        }
    }
    for token in tokens {
        redactor = redactor.secret(token);
    }
    redactor
}
