//! The full loop on this machine: the local sandbox notifies the inbox, and the inbox
//! checks those notifications with the sandbox's notification key. Two ways to get that
//! key: from a sandbox running in this process, or over HTTP from one running elsewhere
//! (`snap-console sandbox` in another terminal).

use std::time::Duration;

use super::verify::VerificationKeys;
use crate::net::http;
use crate::net::sandbox::{NOTIFICATION_PUBLIC_KEY_PATH, SandboxHandle};
use crate::snap::keys::{self, RsaPublicKey};

/// A sandbox's key is a few hundred bytes of PEM; anything much larger is not one.
const MAX_KEY_ANSWER: usize = 64 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum SandboxKeyError {
    #[error("the sandbox's notification key: {0}")]
    Key(#[from] keys::KeyError),
    #[error("cannot fetch the notification key from {url}: {reason}")]
    Fetch { url: String, reason: String },
}

/// What the inbox needs to verify a sandbox running in this process: its notification
/// public key, and its client ID as the expected X-CLIENT-KEY.
pub fn keys_for_sandbox(sandbox: &SandboxHandle) -> Result<VerificationKeys, SandboxKeyError> {
    let key = keys::parse_public_key(sandbox.notification_public_key_pem().as_bytes())?.key;
    Ok(VerificationKeys {
        counterparty_public_key: Some(key),
        client_secret: None,
        expected_client_id: Some(sandbox.client_id().to_string()),
    })
}

/// `GET {sandbox_base_url}/sandbox/notification-public-key`, parsed.
pub async fn fetch_notification_public_key(
    sandbox_base_url: &str,
    timeout: Duration,
) -> Result<RsaPublicKey, SandboxKeyError> {
    let url = format!(
        "{}{NOTIFICATION_PUBLIC_KEY_PATH}",
        sandbox_base_url.trim().trim_end_matches('/')
    );
    let failed = |reason: String| SandboxKeyError::Fetch {
        url: url.clone(),
        reason,
    };
    let mut builder = reqwest::Client::builder().timeout(timeout);
    if http::is_loopback_text(&url) {
        builder = builder.no_proxy();
    }
    let client = builder.build().map_err(|e| failed(http::error_chain(&e)))?;
    let mut response = client
        .get(&url)
        .send()
        .await
        .map_err(|e| failed(http::describe(&e)))?;
    if !response.status().is_success() {
        return Err(failed(format!("HTTP {}", response.status().as_u16())));
    }
    let mut pem = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| failed(http::describe_body(&e)))?
    {
        pem.extend_from_slice(&chunk);
        if pem.len() > MAX_KEY_ANSWER {
            return Err(failed(format!(
                "the answer is over {MAX_KEY_ANSWER} bytes, not a key"
            )));
        }
    }
    Ok(keys::parse_public_key(&pem)?.key)
}
