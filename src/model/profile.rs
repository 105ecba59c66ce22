//! A provider account as every layer sees it: the profile (not secret), its secrets, and
//! the book of all profiles. Plain data: `store::profiles` loads and saves it, `net` signs
//! and sends with it, the window edits it.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::secret::Secret;
use crate::snap::catalog::{Service, ServiceAuth};
use crate::snap::minify::MinifyMode;
use crate::snap::signature::{HmacAlgorithm, PathForm, QueryEncoding};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SignatureMode {
    /// HMAC-SHA512 with the client secret and a B2B token (SNAP's default).
    #[default]
    Symmetric,
    /// SHA256withRSA with the private key, no token in the string.
    Asymmetric,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TimestampStyle {
    /// `2024-11-29T14:15:00+07:00` (ASPI, NICEPAY).
    #[default]
    JakartaSeconds,
    /// `2024-11-29T14:15:00.000+07:00` (Ayoconnect, koriebruh's default).
    JakartaMillis,
    /// `2024-11-29T07:15:00.000Z` (Midtrans' demo).
    UtcMillisZ,
}

impl TimestampStyle {
    pub const ALL: [TimestampStyle; 3] = [
        TimestampStyle::JakartaSeconds,
        TimestampStyle::JakartaMillis,
        TimestampStyle::UtcMillisZ,
    ];

    pub fn label(self) -> &'static str {
        match self {
            TimestampStyle::JakartaSeconds => "Jakarta, seconds (+07:00)",
            TimestampStyle::JakartaMillis => "Jakarta, milliseconds (+07:00)",
            TimestampStyle::UtcMillisZ => "UTC, milliseconds (Z)",
        }
    }

    /// Now, written in this style.
    pub fn now(self) -> String {
        use chrono::{SecondsFormat, Utc};
        let now = Utc::now();
        match self {
            TimestampStyle::JakartaSeconds => crate::snap::timestamp::format_jakarta(now),
            TimestampStyle::JakartaMillis => now
                .with_timezone(&crate::snap::timestamp::jakarta())
                .to_rfc3339_opts(SecondsFormat::Millis, false),
            TimestampStyle::UtcMillisZ => now.to_rfc3339_opts(SecondsFormat::Millis, true),
        }
    }
}

/// Everything about a provider account that is not secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Profile {
    pub id: String,
    pub name: String,
    /// Scheme, host and port (and a context root such as NICEPAY's `/nicepay`).
    pub base_url: String,
    /// Put before the catalog's `/v1.0/…` paths (ASPI and NICEPAY: `/api`).
    pub api_prefix: String,
    /// Path of the B2B token service, after the base URL.
    pub token_path: String,
    /// X-CLIENT-KEY, and X-PARTNER-ID unless `partner_id` says otherwise.
    pub client_id: String,
    pub partner_id: String,
    pub channel_id: String,
    pub partner_service_id: String,
    pub signature_mode: SignatureMode,
    pub timestamp_style: TimestampStyle,
    pub minify: MinifyMode,
    /// Sent but not signed (NICEPAY: `/nicepay`).
    pub unsigned_path_prefix: String,
    /// The provider's public key (notifications), SPKI PEM.
    pub counterparty_public_key_pem: String,
    pub verify_tls: bool,
    pub timeout_seconds: u64,
    /// This profile talks to the sandbox embedded in the console.
    pub local_sandbox: bool,
    /// The ORIGIN header, where a service needs it (QRIS transaction list, 12); empty
    /// means the base URL's origin (`scheme://host[:port]`).
    #[serde(default)]
    pub origin: String,
    /// HMAC hash of symmetric signatures (SNAP: SHA-512; a few gateways: SHA-256).
    #[serde(default)]
    pub hmac_algorithm: HmacAlgorithm,
    /// Relative path (SNAP) or the full URL in the stringToSign.
    #[serde(default)]
    pub path_form: PathForm,
    /// The query as sent (SNAP), percent-decoded or percent-encoded in the stringToSign.
    #[serde(default)]
    pub query_encoding: QueryEncoding,
    /// mTLS: the client certificate chain (PEM `CERTIFICATE` blocks, the client's own
    /// first); its key is in [`ProfileSecrets::client_cert_key_pem`]. Empty: none sent.
    #[serde(default)]
    pub client_cert_pem: String,
    /// Extra CA certificates (PEM) trusted for this profile's servers, beside the system's.
    #[serde(default)]
    pub ca_bundle_pem: String,
    /// An explicit proxy (`http://host:port`); empty: direct. Never taken from the
    /// environment (`HTTPS_PROXY` and friends are ignored).
    #[serde(default)]
    pub proxy_url: String,
    /// Keep the private key in the OS keychain too (client secrets always go there when
    /// one is available). Off by default: Windows' Credential Manager holds at most
    /// 2,560 bytes, less than a 4096-bit key's PEM.
    #[serde(default)]
    pub key_in_keychain: bool,
}

impl Default for Profile {
    fn default() -> Self {
        Profile {
            id: String::new(),
            name: String::new(),
            base_url: String::new(),
            api_prefix: crate::snap::catalog::API_PREFIX.into(),
            token_path: "/api/v1.0/access-token/b2b".into(),
            client_id: String::new(),
            partner_id: String::new(),
            channel_id: String::new(),
            partner_service_id: String::new(),
            signature_mode: SignatureMode::Symmetric,
            timestamp_style: TimestampStyle::JakartaSeconds,
            minify: MinifyMode::Lexical,
            unsigned_path_prefix: String::new(),
            counterparty_public_key_pem: String::new(),
            verify_tls: true,
            timeout_seconds: 30,
            local_sandbox: false,
            origin: String::new(),
            hmac_algorithm: HmacAlgorithm::default(),
            path_form: PathForm::default(),
            query_encoding: QueryEncoding::default(),
            client_cert_pem: String::new(),
            ca_bundle_pem: String::new(),
            proxy_url: String::new(),
            key_in_keychain: false,
        }
    }
}

impl Profile {
    /// The path a service is sent to by default, relative to the base URL: the token path
    /// for the B2B token (NICEPAY's has no `/api`), otherwise the catalog path under the
    /// API prefix.
    pub fn path_of(&self, service: &Service) -> String {
        if service.auth == ServiceAuth::TokenB2b && !self.token_path.trim().is_empty() {
            return self.token_path.trim().to_string();
        }
        service.full_path(&self.api_prefix)
    }

    /// Whether sending `service` with this profile needs a B2B access token first.
    pub fn needs_token(&self, service: &Service) -> bool {
        match service.auth {
            ServiceAuth::Transaction => self.signature_mode == SignatureMode::Symmetric,
            ServiceAuth::UtilitySignatureService => true,
            _ => false,
        }
    }

    /// X-PARTNER-ID as sent: the partner ID if set, else the client ID (NICEPAY: they are equal).
    pub fn effective_partner_id(&self) -> &str {
        if self.partner_id.trim().is_empty() {
            &self.client_id
        } else {
            &self.partner_id
        }
    }
}

/// A profile's secrets. Kept out of `profiles.json` and out of every log.
/// `Secret` fields: a `{:?}` of this never shows them.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ProfileSecrets {
    pub client_secret: Secret,
    /// PKCS#8 PEM (unencrypted: the file holding it is mode 0600).
    pub private_key_pem: Secret,
    /// The mTLS client certificate's key, one unencrypted PEM block (a PKCS#12 file or an
    /// encrypted key is converted on import, so no passphrase is kept).
    #[serde(default)]
    pub client_cert_key_pem: Secret,
}

impl ProfileSecrets {
    /// Nothing to keep: every secret is empty.
    pub fn is_empty(&self) -> bool {
        self.client_secret.is_empty()
            && self.private_key_pem.is_empty()
            && self.client_cert_key_pem.is_empty()
    }
}

/// All profiles, the active one, and their secrets.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ProfileBook {
    pub profiles: Vec<Profile>,
    pub active: Option<String>,
    pub secrets: BTreeMap<String, ProfileSecrets>,
}

impl ProfileBook {
    pub fn active_profile(&self) -> Option<&Profile> {
        let active = self.active.as_deref()?;
        self.profiles.iter().find(|p| p.id == active)
    }

    pub fn secrets_of(&self, id: &str) -> ProfileSecrets {
        self.secrets.get(id).cloned().unwrap_or_default()
    }

    pub fn by_name(&self, name: &str) -> Option<&Profile> {
        self.profiles.iter().find(|p| p.name == name)
    }

    /// A name not used yet: `base`, `base (2)`, `base (3)`, …
    pub fn unique_name(&self, base: &str) -> String {
        if self.by_name(base).is_none() {
            return base.to_string();
        }
        (2..)
            .map(|n| format!("{base} ({n})"))
            .find(|candidate| self.by_name(candidate).is_none())
            .unwrap_or_else(|| base.to_string())
    }
}

/// Where the secrets are kept, for the note in the credentials panel.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SecretsPlace {
    /// The keychain holding client secrets (and the keys of profiles that ask for it);
    /// `None` when the file holds everything.
    pub keychain: Option<String>,
    /// The mode-0600 file holding the rest.
    pub file: std::path::PathBuf,
    /// Why no keychain is used, when none is.
    pub fallback_reason: Option<String>,
}

impl SecretsPlace {
    /// One sentence for the window: where the secrets are, and why there.
    pub fn describe(&self) -> String {
        let file = self.file.display();
        match (&self.keychain, &self.fallback_reason) {
            (Some(keychain), _) => format!(
                "Client secrets are kept in the {keychain}; private keys in {file} (mode 0600) unless a profile keeps its key in the keychain too."
            ),
            (None, Some(reason)) => {
                format!("Secrets are kept in {file} (mode 0600): {reason}.")
            }
            (None, None) => format!("Secrets are kept in {file} (mode 0600)."),
        }
    }
}

/// A fresh random profile id.
pub fn new_profile_id() -> String {
    use rsa::rand_core::{OsRng, RngCore};
    let mut bytes = [0u8; 8];
    OsRng.fill_bytes(&mut bytes);
    hex::encode(bytes)
}
