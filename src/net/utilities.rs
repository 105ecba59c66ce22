//! Calls to a provider's signature utilities (ASPI sandbox "Aplikasi Pengujian"):
//! `POST {base}/api/v1.0/utilities/signature-auth` computes the token signature from a
//! private key sent in a header; `…/signature-service` computes the symmetric signature.
//! The workbench compares their answers with ours.

use std::time::Duration;

use base64::Engine;
use serde::Deserialize;

use crate::net::client::{self, ConnectionSettings};
use crate::net::http;

/// The private key header name of ASPI's signature-auth.
pub use crate::snap::headers::PRIVATE_KEY as PRIVATE_KEY_HEADER;
use crate::snap::headers::{
    ACCESS_TOKEN, CONTENT_TYPE, ENDPOIN_URL, HTTP_METHOD, JSON, X_CLIENT_KEY, X_CLIENT_SECRET,
    X_TIMESTAMP,
};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CrossCheckRequest {
    pub base_url: String,
    pub api_prefix: String,
    pub timestamp: String,
    pub kind: CrossCheckKind,
    /// The profile's TLS setting, client certificate, extra CAs and proxy.
    pub connection: ConnectionSettings,
    pub timeout: Duration,
}

#[derive(Clone, PartialEq, Eq)]
pub enum CrossCheckKind {
    /// Token signature: client id and the private key (PEM; sent as bare Base64 DER).
    Auth {
        client_id: String,
        private_key_pem: String,
    },
    /// Symmetric transaction signature.
    Service {
        client_secret: String,
        method: String,
        endpoint_url: String,
        access_token: String,
        body: String,
    },
}

impl std::fmt::Debug for CrossCheckKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CrossCheckKind::Auth { client_id, .. } => {
                write!(f, "Auth({client_id}, <key redacted>)")
            }
            CrossCheckKind::Service {
                method,
                endpoint_url,
                ..
            } => {
                write!(f, "Service({method} {endpoint_url}, <secret redacted>)")
            }
        }
    }
}

/// Whether a URL (as text) points at this machine; a private key may go there without
/// asking. The rule is [`crate::net::http::is_loopback`], the one every sender uses.
pub use crate::net::http::is_loopback_text as is_loopback;

#[derive(Deserialize)]
struct SignatureAnswer {
    signature: Option<String>,
    #[serde(rename = "responseCode")]
    response_code: Option<String>,
    #[serde(rename = "responseMessage")]
    response_message: Option<String>,
}

/// Ask the server for its signature. Errors say what happened, never with the key or secret.
pub async fn cross_check(request: &CrossCheckRequest) -> Result<String, String> {
    // The profile's connection, never the environment's proxy: a private key may travel
    // in this request.
    let client = client::connection::builder_for(&request.connection)
        .and_then(|builder| client::connection::build(builder.timeout(request.timeout)))
        .map_err(|e| e.to_string())?;
    let prefix = request.api_prefix.trim_end_matches('/');
    let base = request.base_url.trim().trim_end_matches('/');
    let builder = match &request.kind {
        CrossCheckKind::Auth {
            client_id,
            private_key_pem,
        } => {
            let der_base64 =
                pem_body_base64(private_key_pem).ok_or("the private key is not a PEM block")?;
            client
                .post(format!("{base}{prefix}/v1.0/utilities/signature-auth"))
                .header(X_TIMESTAMP, &request.timestamp)
                .header(X_CLIENT_KEY, client_id)
                .header(PRIVATE_KEY_HEADER, der_base64)
        }
        CrossCheckKind::Service {
            client_secret,
            method,
            endpoint_url,
            access_token,
            body,
        } => client
            .post(format!("{base}{prefix}/v1.0/utilities/signature-service"))
            .header(CONTENT_TYPE, JSON)
            .header(X_TIMESTAMP, &request.timestamp)
            .header(X_CLIENT_SECRET, client_secret)
            .header(HTTP_METHOD, method)
            .header(ENDPOIN_URL, endpoint_url)
            .header(ACCESS_TOKEN, access_token)
            .body(body.clone()),
    };
    let response = builder.send().await.map_err(|e| http::describe(&e))?;
    let status = response.status();
    let bytes = response
        .bytes()
        .await
        .map_err(|e| http::describe_body(&e))?;
    let answer: SignatureAnswer = serde_json::from_slice(&bytes).map_err(|_| {
        format!(
            "HTTP {status}: the answer is not JSON ({} bytes)",
            bytes.len()
        )
    })?;
    match (answer.signature, answer.response_code) {
        (Some(signature), _) if status.is_success() => Ok(signature),
        (_, code) => Err(format!(
            "HTTP {status}: {} {}",
            code.unwrap_or_default(),
            answer.response_message.unwrap_or_default()
        )
        .trim()
        .to_string()),
    }
}

/// The Base64 between a PEM's header and footer, on one line (as portals ask for it).
fn pem_body_base64(pem: &str) -> Option<String> {
    let body: String = pem
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with("-----"))
        .collect();
    base64::engine::general_purpose::STANDARD
        .decode(&body)
        .ok()
        .map(|_| body)
}
