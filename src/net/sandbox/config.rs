//! What the sandbox accepts (credentials) and how it behaves (timeouts, limits).

use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rsa::rand_core::{OsRng, RngCore};
use rsa::{RsaPrivateKey, RsaPublicKey};
use url::Url;
use zeroize::Zeroizing;

use super::SandboxError;
use crate::snap::keys;

/// The sandbox's configuration. [`SandboxConfig::new`] fills every behaviour field with
/// its default; [`SandboxConfig::generate`] also makes fresh credentials.
#[derive(Clone)]
pub struct SandboxConfig {
    /// 0 = any free port.
    pub port: u16,
    /// The only client the sandbox knows: X-CLIENT-KEY on token calls, X-PARTNER-ID after.
    pub client_id: String,
    /// HMAC key of the symmetric signatures (UTF-8 bytes, as SNAP uses it).
    pub client_secret: Zeroizing<String>,
    /// Verifies the SHA256withRSA signature of token requests.
    pub partner_public_key: RsaPublicKey,
    /// Signs the sandbox's own notifications; its public half is served.
    pub notification_key: RsaPrivateKey,
    /// The merchant's base URL (http or https) for notifications and callbacks; None sends
    /// nothing.
    pub notify_url: Option<String>,
    /// Start with the explain headers on.
    pub explain: bool,
    /// Lifetime of an access token (SNAP: 900 s).
    pub token_ttl: Duration,
    /// How far X-TIMESTAMP may be from the sandbox clock, either way.
    pub allowed_skew: Duration,
    /// Biller API username; None = the client id.
    pub biller_username: Option<String>,
    /// Biller API password; None = the client secret.
    pub biller_password: Option<Zeroizing<String>>,
    /// A client must finish sending its request line and headers within this (counted
    /// from the connect, or from the previous answer: also the keep-alive idle timeout).
    pub header_read_timeout: Duration,
    /// ...and its body within this.
    pub body_read_timeout: Duration,
    /// Larger bodies get 413.
    pub max_body_bytes: usize,
    /// Connections served at once; more get a 503 and are closed.
    pub max_connections: usize,
    /// Per outbound notification or callback.
    pub outbound_timeout: Duration,
    /// Which provider it behaves like (context root, token path, minify mode, timestamp
    /// form, notification rule); the default is the SNAP standard.
    pub provider: super::ProviderStyle,
}

pub const DEFAULT_TOKEN_TTL: Duration = Duration::from_secs(900);
pub const DEFAULT_ALLOWED_SKEW: Duration = Duration::from_secs(15 * 60);
pub const DEFAULT_MAX_BODY_BYTES: usize = 1024 * 1024;

impl SandboxConfig {
    pub fn new(
        client_id: impl Into<String>,
        client_secret: Zeroizing<String>,
        partner_public_key: RsaPublicKey,
        notification_key: RsaPrivateKey,
    ) -> Self {
        SandboxConfig {
            port: 0,
            client_id: client_id.into(),
            client_secret,
            partner_public_key,
            notification_key,
            notify_url: None,
            explain: false,
            token_ttl: DEFAULT_TOKEN_TTL,
            allowed_skew: DEFAULT_ALLOWED_SKEW,
            biller_username: None,
            biller_password: None,
            header_read_timeout: crate::net::http::DEFAULT_HEADER_READ_TIMEOUT,
            body_read_timeout: Duration::from_secs(10),
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            max_connections: crate::net::http::DEFAULT_MAX_CONNECTIONS,
            outbound_timeout: Duration::from_secs(5),
            provider: super::ProviderStyle::default(),
        }
    }

    /// Fresh credentials: a random client id and secret, a 2048-bit partner key pair (the
    /// private half is returned so the caller can sign) and a 2048-bit notification key.
    pub fn generate() -> Result<(SandboxConfig, RsaPrivateKey), SandboxError> {
        let partner = keys::generate_private_key(2048)
            .map_err(|e| SandboxError::Credentials(e.to_string()))?;
        let notification = keys::generate_private_key(2048)
            .map_err(|e| SandboxError::Credentials(e.to_string()))?;
        let mut id = [0u8; 4];
        let mut secret = Zeroizing::new([0u8; 32]);
        OsRng
            .try_fill_bytes(&mut id)
            .and_then(|()| OsRng.try_fill_bytes(secret.as_mut()))
            .map_err(|_| {
                SandboxError::Credentials("the system random number generator failed".into())
            })?;
        let config = SandboxConfig::new(
            format!("sandbox-{}", hex::encode(id)),
            Zeroizing::new(URL_SAFE_NO_PAD.encode(secret.as_ref())),
            partner.to_public_key(),
            notification,
        );
        Ok((config, partner))
    }

    pub(crate) fn biller_username(&self) -> &str {
        self.biller_username.as_deref().unwrap_or(&self.client_id)
    }

    pub(crate) fn biller_password(&self) -> &str {
        match &self.biller_password {
            Some(password) => password.as_str(),
            None => self.client_secret.as_str(),
        }
    }

    /// Refuse settings that cannot work, and parse the notify URL once.
    pub(crate) fn checked_notify_base(&self) -> Result<Option<Url>, SandboxError> {
        if self.client_id.trim().is_empty() {
            return Err(SandboxError::Config("the client id is empty".into()));
        }
        if self.client_secret.is_empty() {
            return Err(SandboxError::Config("the client secret is empty".into()));
        }
        if self.max_connections == 0 || self.max_body_bytes == 0 {
            return Err(SandboxError::Config(
                "max_connections and max_body_bytes must be at least 1".into(),
            ));
        }
        let Some(text) = self.notify_url.as_deref().map(str::trim) else {
            return Ok(None);
        };
        let url = Url::parse(text)
            .map_err(|e| SandboxError::Config(format!("notify URL '{text}': {e}")))?;
        if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
            return Err(SandboxError::Config(format!(
                "notify URL '{text}' must be an http:// or https:// URL with a host"
            )));
        }
        Ok(Some(url))
    }
}

/// Secrets and keys are never printed: only the client id, a key fingerprint and settings.
impl std::fmt::Debug for SandboxConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SandboxConfig")
            .field("port", &self.port)
            .field("client_id", &self.client_id)
            .field("client_secret", &"<redacted>")
            .field(
                "partner_public_key",
                &keys::fingerprint_sha256(&self.partner_public_key),
            )
            .field("notification_key", &"<redacted>")
            .field("notify_url", &self.notify_url)
            .field("explain", &self.explain)
            .field("token_ttl", &self.token_ttl)
            .field("allowed_skew", &self.allowed_skew)
            .field("biller_username", &self.biller_username())
            .field("header_read_timeout", &self.header_read_timeout)
            .field("body_read_timeout", &self.body_read_timeout)
            .field("max_body_bytes", &self.max_body_bytes)
            .field("max_connections", &self.max_connections)
            .field("outbound_timeout", &self.outbound_timeout)
            .field("provider", &self.provider)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_credentials_are_fresh_and_never_debug_printed() -> Result<(), SandboxError> {
        let (config, partner) = SandboxConfig::generate()?;
        let (other, _) = SandboxConfig::generate()?;
        assert_ne!(config.client_id, other.client_id);
        assert_ne!(config.client_secret.as_str(), other.client_secret.as_str());
        assert_eq!(config.partner_public_key, partner.to_public_key());
        assert_eq!(config.biller_username(), config.client_id);
        assert_eq!(config.biller_password(), config.client_secret.as_str());
        let printed = format!("{config:?}");
        assert!(!printed.contains(config.client_secret.as_str()));
        assert!(printed.contains(&config.client_id) && printed.contains("SHA256:"));

        let mut bad = config.clone();
        bad.notify_url = Some("ftp://merchant.example".into());
        assert!(bad.checked_notify_base().is_err());
        bad.notify_url = Some("http://127.0.0.1:9/base".into());
        assert!(matches!(bad.checked_notify_base(), Ok(Some(_))));
        Ok(())
    }
}
