//! The ASPI sandbox's helpers (aspi-sandbox-snap-bi.txt), which compute a signature for
//! the caller: `signature-auth` (SHA256withRSA of `X-CLIENT-KEY|X-TIMESTAMP` with the
//! private key sent in the `Private_Key` header) and `signature-service` (the symmetric
//! signature of the request described by the headers, over the body sent). Errors are
//! ASPI's: HTTP 400, `4000000`, "The <field> field is required.".
//!
//! The private key and the client secret arrive in headers; they are used and dropped,
//! never logged, echoed or kept.

use axum::http::StatusCode;
use serde_json::json;
use zeroize::Zeroizing;

use super::errors::{NO_SERVICE, Rejection};
use super::request::Received;
use super::respond::Answer;
use crate::snap::headers::{
    ACCESS_TOKEN, ENDPOIN_URL, ENDPOINT_URL, HTTP_METHOD, PRIVATE_KEY, PRIVATE_KEY_DASHED,
    X_CLIENT_KEY, X_CLIENT_SECRET, X_TIMESTAMP,
};
use crate::snap::keys;
use crate::snap::minify::MinifyMode;
use crate::snap::signature::{self, SignatureError, SignatureInput, SignatureKind, SigningSecret};

fn aspi_error(message: String) -> Rejection {
    Rejection::new(400, NO_SERVICE, "00", message)
}

/// A required header, or ASPI's "The {field} field is required.".
fn required<'r>(received: &'r Received, names: &[&str], field: &str) -> Result<&'r str, Rejection> {
    names
        .iter()
        .find_map(|name| received.header(name).ok().flatten())
        .ok_or_else(|| aspi_error(format!("The {field} field is required.")))
}

fn signed(signature: String) -> Answer {
    let mut answer = Answer::json(StatusCode::OK, &json!({"signature": signature}));
    answer.message = "signature computed".to_string();
    answer
}

/// `POST /api/v1.0/utilities/signature-auth`.
pub(crate) fn signature_auth(received: &Received) -> Result<Answer, Rejection> {
    let timestamp = required(received, &[X_TIMESTAMP], "timestamp")?;
    let client_id = required(received, &[X_CLIENT_KEY], "clientId")?;
    // ASPI spells it Private_Key; the XH server Private-Key. PEM (with literal \n escapes,
    // since a header cannot hold newlines) or bare Base64 are both read.
    let private_key = Zeroizing::new(
        required(received, &[PRIVATE_KEY, PRIVATE_KEY_DASHED], "privateKey")?
            .as_bytes()
            .to_vec(),
    );
    let loaded = keys::parse_private_key(&private_key, None)
        .map_err(|e| aspi_error(format!("The privateKey field is invalid: {e}")))?;
    let input = SignatureInput {
        kind: SignatureKind::B2bToken,
        client_id: client_id.to_string(),
        timestamp: timestamp.to_string(),
        ..SignatureInput::default()
    };
    signature::prepare(&input)
        .and_then(|prepared| signature::sign(&prepared, SigningSecret::Rsa(&loaded.key)))
        .map(signed)
        .map_err(|e| aspi_error(format!("The signature could not be computed: {e}")))
}

/// `POST /api/v1.0/utilities/signature-service`.
pub(crate) fn signature_service(received: &Received) -> Result<Answer, Rejection> {
    let timestamp = required(received, &[X_TIMESTAMP], "timestamp")?;
    let client_secret =
        Zeroizing::new(required(received, &[X_CLIENT_SECRET], "clientSecret")?.to_string());
    // ASPI's header is spelled "EndpoinUrl"; the correct spelling is accepted too.
    let endpoint = required(received, &[ENDPOIN_URL, ENDPOINT_URL], "endpointUrl")?;
    let token = required(received, &[ACCESS_TOKEN], "accessToken")?;
    let method = required(received, &[HTTP_METHOD], "httpMethod")?;
    let body = std::str::from_utf8(&received.body)
        .map_err(|_| aspi_error("The body is not UTF-8 text.".to_string()))?;
    let input = SignatureInput {
        kind: SignatureKind::Symmetric,
        timestamp: timestamp.to_string(),
        method: method.to_string(),
        path: endpoint.to_string(),
        access_token: token.to_string(),
        body: body.to_string(),
        minify: MinifyMode::Lexical,
        ..SignatureInput::default()
    };
    signature::prepare(&input)
        .and_then(|prepared| {
            signature::sign(&prepared, SigningSecret::Hmac(client_secret.as_bytes()))
        })
        .map(signed)
        .map_err(|e| match e {
            SignatureError::Body(e) => aspi_error(format!("The body is not valid JSON: {e}")),
            other => aspi_error(format!("The signature could not be computed: {other}")),
        })
}
