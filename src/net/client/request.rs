//! A signed request from a profile, a service and what the user typed.
//!
//! `build` is pure apart from reading the clock (fresh X-TIMESTAMP) and the process-wide
//! X-EXTERNAL-ID counter: no I/O, so the composer can call it to preview the exact request
//! (headers, stringToSign, cURL) before sending it.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use reqwest::header::{HeaderName, HeaderValue};
use rsa::pkcs8::EncodePrivateKey as _;
use serde_json::Value;
use url::Url;

use super::headers::{self, Slot};
pub use crate::model::draft::RequestDraft;
use crate::model::profile::{Profile, ProfileSecrets, SignatureMode};
use crate::net::http::{bearer_token, is_loopback};
use crate::snap::catalog::{self, Service, ServiceAuth};
use crate::snap::keys::{self, RsaPrivateKey};
use crate::snap::minify::MinifyMode;
use crate::snap::signature::{self, Prepared, SignatureInput, SignatureKind, SigningSecret};
use crate::snap::text::shorten;
use crate::snap::validate::{self, FieldProblem, ProblemKind};

/// Kept here for callers of `net::client`: the path and token rules live with the profile.
pub fn default_path(profile: &Profile, service: &Service) -> String {
    profile.path_of(service)
}

/// Whether sending `service` with `profile` needs a B2B access token first.
pub fn needs_token(profile: &Profile, service: &Service) -> bool {
    profile.needs_token(service)
}

/// Where X-TIMESTAMP comes from.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum TimestampSource {
    /// Now, in the profile's timestamp style.
    #[default]
    Now,
    /// This exact value (replays, tests).
    Fixed(String),
}

/// A request ready to send: exactly these headers and these body bytes.
#[derive(Clone)]
pub struct BuiltRequest {
    /// The catalog id of the service.
    pub service_id: String,
    pub method: String,
    pub url: String,
    pub headers: Vec<(String, String)>,
    /// Exactly the bytes sent.
    pub body: Vec<u8>,
    /// For signed services; in symmetric mode it contains the access token.
    pub string_to_sign: Option<String>,
    pub signature_parts: Option<Prepared>,
    /// Things worth knowing that do not stop the request.
    pub warnings: Vec<String>,
    /// The body against the service's field rules: shown, never blocking (people send
    /// wrong bodies on purpose to test rejections).
    pub field_problems: Vec<FieldProblem>,
    /// The profile's TLS setting, for `curl -k` and the HTTP client.
    pub verify_tls: bool,
}

impl BuiltRequest {
    /// The first header of that name (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// `host:port` of the URL, for messages.
    pub fn target(&self) -> String {
        target_of(&self.url)
    }
}

impl fmt::Debug for BuiltRequest {
    // Authorization, Private_Key and the stringToSign (which holds the token) stay out.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let shown: Vec<(&str, &str)> = self
            .headers
            .iter()
            .map(|(n, v)| {
                let value = if headers::is_sensitive(n) {
                    "<redacted>"
                } else {
                    v.as_str()
                };
                (n.as_str(), value)
            })
            .collect();
        f.debug_struct("BuiltRequest")
            .field("service_id", &self.service_id)
            .field("method", &self.method)
            .field("url", &self.url)
            .field("headers", &shown)
            .field("body_bytes", &self.body.len())
            .field("warnings", &self.warnings)
            .field("field_problems", &self.field_problems)
            .finish_non_exhaustive()
    }
}

/// Why a request could not be built. Messages name the setting to fix and never carry a
/// secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BuildError {
    #[error("unknown service '{0}': give a service code (25), a catalog id (snap-25) or a name")]
    UnknownService(String),
    #[error("the URL '{url}' cannot be used: {reason}")]
    Url { url: String, reason: String },
    #[error(
        "the profile has no client secret, which {needed_for} needs (Credentials, or profile add --client-secret-env)"
    )]
    MissingClientSecret { needed_for: &'static str },
    #[error(
        "the profile has no private key, which {needed_for} needs (Credentials: load or generate a key, or profile add --private-key)"
    )]
    MissingPrivateKey { needed_for: &'static str },
    #[error("the profile's private key cannot be used: {0}")]
    PrivateKey(String),
    #[error(
        "refusing to send the private key (Private_Key header) to {host}, which is not this machine: a private key must not travel to a remote host without your explicit yes (confirm it, or leave the header out)"
    )]
    PrivateKeyToRemoteHost { host: String },
    #[error("header '{name}': {reason}")]
    Header { name: String, reason: String },
    #[error("signing failed: {0}")]
    Signing(String),
}

/// The service a draft names.
pub fn service_of(service_id: &str) -> Result<&'static Service, BuildError> {
    catalog::services()
        .iter()
        .find(|s| s.id == service_id.trim())
        .or_else(|| catalog::find(service_id))
        .ok_or_else(|| BuildError::UnknownService(shorten(service_id, 64)))
}

/// Build the request: URL, automatic headers (with the user's overrides), signature over
/// the exact bytes sent, warnings and field problems.
///
/// `token` is the bare B2B access token (a `Bearer ` prefix is tolerated); services that
/// need one and get none are built anyway, with a warning, so a missing token can be tested.
pub fn build(
    profile: &Profile,
    secrets: &ProfileSecrets,
    draft: &RequestDraft,
    token: Option<&str>,
    now: TimestampSource,
) -> Result<BuiltRequest, BuildError> {
    let service = service_of(&draft.service_id)?;
    let mut warnings = Vec::new();

    let typed_method = draft.method.trim();
    let method = if typed_method.is_empty() {
        service.method.clone()
    } else {
        typed_method.to_ascii_uppercase()
    };
    if method != typed_method && !typed_method.is_empty() {
        warnings.push(format!(
            "HTTP method '{typed_method}' sent as {method}: methods are case-sensitive"
        ));
    }
    let url = join_url(
        &profile.base_url,
        &draft.path,
        service,
        profile,
        &mut warnings,
    )?;
    let timestamp = match now {
        TimestampSource::Now => profile.timestamp_style.now(),
        TimestampSource::Fixed(value) => value,
    };
    // An Authorization given by the user is the token sent: the automatic header and the
    // signature use it too (never an empty token beside a header that carries one).
    let token = token
        .or_else(|| user_authorization(draft))
        .map(strip_bearer)
        .filter(|t| !t.is_empty());

    // The automatic headers, before the user's choices. X-SIGNATURE, Private_Key and
    // X-CLIENT-SECRET are filled after merging, and only if still automatic: a user who
    // overrides them must not need the key or secret.
    let context = headers::AutoContext {
        profile,
        service,
        url: &url,
        timestamp: &timestamp,
        token,
    };
    let auto = headers::auto_headers(&context, &mut warnings);
    let mut slots = headers::merge(
        auto,
        &draft.header_overrides,
        &draft.extra_headers,
        &mut warnings,
    );

    let (string_to_sign, signature_parts) = sign_into(
        &mut slots,
        profile,
        secrets,
        service,
        &method,
        &url,
        &draft.body,
        &timestamp,
        token,
        &mut warnings,
    )?;
    fill_secret_headers(&mut slots, secrets)?;

    if slots
        .iter()
        .any(|s| s.name.eq_ignore_ascii_case(headers::PRIVATE_KEY))
        // Through a proxy even a loopback URL leaves this machine's hands.
        && !(is_loopback(&url) && profile.proxy_url.trim().is_empty())
        && !draft.confirm_private_key_to_remote_host
    {
        return Err(BuildError::PrivateKeyToRemoteHost {
            host: url.host_str().unwrap_or_default().to_string(),
        });
    }
    for slot in &slots {
        check_header(slot)?;
    }

    Ok(BuiltRequest {
        service_id: service.id.clone(),
        method,
        url: url.to_string(),
        headers: slots.into_iter().map(|s| (s.name, s.value)).collect(),
        body: draft.body.as_bytes().to_vec(),
        string_to_sign,
        signature_parts,
        warnings,
        field_problems: field_problems(&service.id, &draft.body),
        verify_tls: profile.verify_tls,
    })
}

/// Compute X-SIGNATURE over the effective values (the user's X-TIMESTAMP if overridden),
/// and return the stringToSign with its parts.
#[allow(clippy::too_many_arguments)]
fn sign_into(
    slots: &mut [Slot],
    profile: &Profile,
    secrets: &ProfileSecrets,
    service: &Service,
    method: &str,
    url: &Url,
    body: &str,
    timestamp: &str,
    token: Option<&str>,
    warnings: &mut Vec<String>,
) -> Result<(Option<String>, Option<Prepared>), BuildError> {
    let kind = match (service.auth, profile.signature_mode) {
        (ServiceAuth::TokenB2b, _) => SignatureKind::B2bToken,
        (ServiceAuth::TokenB2b2c, _) => SignatureKind::B2b2cToken,
        (ServiceAuth::Transaction, SignatureMode::Symmetric) => SignatureKind::Symmetric,
        (ServiceAuth::Transaction, SignatureMode::Asymmetric) => {
            SignatureKind::AsymmetricTransaction
        }
        _ => return Ok((None, None)),
    };
    let effective = |name: &str| {
        slots
            .iter()
            .find(|s| s.name.eq_ignore_ascii_case(name))
            .map(|s| s.value.clone())
    };
    let timestamp = effective(headers::X_TIMESTAMP).unwrap_or_else(|| timestamp.to_string());
    let client_id =
        effective(headers::X_CLIENT_KEY).unwrap_or_else(|| profile.client_id.trim().to_string());
    let access_token = match effective(headers::AUTHORIZATION) {
        Some(value) => strip_bearer(&value).to_string(),
        None => token.unwrap_or_default().to_string(),
    };
    let mut input = SignatureInput {
        kind,
        client_id,
        timestamp,
        method: method.to_string(),
        path: signed_request_path(url),
        unsigned_path_prefix: profile.unsigned_path_prefix.clone(),
        access_token,
        body: body.to_string(),
        minify: profile.minify,
    };
    let options = signature::SigningOptions {
        hmac: profile.hmac_algorithm,
        path_form: profile.path_form,
        query_encoding: profile.query_encoding,
        origin: url.to_string(),
    };
    let prepared = match signature::prepare_with(&input, &options) {
        Ok(prepared) => prepared,
        Err(signature::SignatureError::Body(e)) => {
            // A malformed body is sent anyway (testing a 400 is legitimate); it cannot be
            // minified, so its raw bytes are hashed, as a lenient receiver would.
            warnings.push(format!(
                "the body cannot be minified ({e}): the signature hashes it as typed"
            ));
            input.minify = MinifyMode::None;
            signature::prepare_with(&input, &options)
                .map_err(|e| BuildError::Signing(e.to_string()))?
        }
        Err(e) => return Err(BuildError::Signing(e.to_string())),
    };
    warnings.extend(prepared.warnings.iter().cloned());
    let text = prepared.string_to_sign.text();

    let Some(slot) = slots
        .iter_mut()
        .find(|s| s.name.eq_ignore_ascii_case(headers::X_SIGNATURE) && s.auto)
    else {
        // Overridden or left out by the user: nothing to sign, but show what would be.
        return Ok((Some(text), Some(prepared)));
    };
    slot.value = match kind {
        SignatureKind::Symmetric => {
            if secrets.client_secret.is_empty() {
                return Err(BuildError::MissingClientSecret {
                    needed_for: "the symmetric X-SIGNATURE (HMAC-SHA512)",
                });
            }
            signature::sign_with(
                &prepared,
                SigningSecret::Hmac(secrets.client_secret.expose().as_bytes()),
                &options,
            )
        }
        _ => {
            let key = private_key(secrets, "X-SIGNATURE (SHA256withRSA)")?;
            signature::sign(&prepared, SigningSecret::Rsa(&key))
        }
    }
    .map_err(|e| BuildError::Signing(e.to_string()))?;
    Ok((Some(text), Some(prepared)))
}

/// Private_Key and X-CLIENT-SECRET carry the profile's secrets; filled only if automatic.
fn fill_secret_headers(slots: &mut [Slot], secrets: &ProfileSecrets) -> Result<(), BuildError> {
    for slot in slots.iter_mut().filter(|s| s.auto) {
        if slot.name == headers::PRIVATE_KEY {
            let key = private_key(secrets, "the Private_Key header")?;
            let der = key
                .to_pkcs8_der()
                .map_err(|_| BuildError::PrivateKey("it cannot be encoded as PKCS#8".into()))?;
            // The PEM body without its armour: what ASPI's portal hands out and expects.
            slot.value = STANDARD.encode(der.as_bytes());
        } else if slot.name == headers::X_CLIENT_SECRET {
            if secrets.client_secret.is_empty() {
                return Err(BuildError::MissingClientSecret {
                    needed_for: "the X-CLIENT-SECRET header",
                });
            }
            slot.value = secrets.client_secret.expose().to_string();
        }
    }
    Ok(())
}

fn private_key(
    secrets: &ProfileSecrets,
    needed_for: &'static str,
) -> Result<RsaPrivateKey, BuildError> {
    if secrets.private_key_pem.expose().trim().is_empty() {
        return Err(BuildError::MissingPrivateKey { needed_for });
    }
    keys::parse_private_key(secrets.private_key_pem.expose().as_bytes(), None)
        .map(|loaded| loaded.key)
        .map_err(|e| BuildError::PrivateKey(e.to_string()))
}

/// `base_url` + `path`, parsed the way reqwest will send it.
fn join_url(
    base_url: &str,
    path: &str,
    service: &Service,
    profile: &Profile,
    warnings: &mut Vec<String>,
) -> Result<Url, BuildError> {
    let base = base_url.trim();
    let path = path.trim();
    let lower = path.to_ascii_lowercase();
    let text = if lower.starts_with("http://") || lower.starts_with("https://") {
        // A full URL typed into the path field wins over the profile's base URL.
        path.to_string()
    } else {
        if base.is_empty() {
            return Err(BuildError::Url {
                url: String::new(),
                reason: "the profile has no base URL".into(),
            });
        }
        let path = if path.is_empty() {
            default_path(profile, service)
        } else {
            path.to_string()
        };
        let sep = if path.starts_with('/') || path.starts_with('?') {
            ""
        } else {
            "/"
        };
        format!("{}{sep}{path}", base.trim_end_matches('/'))
    };
    let url = Url::parse(&text).map_err(|e| BuildError::Url {
        url: shorten(&text, 200),
        reason: e.to_string(),
    })?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(BuildError::Url {
            url: shorten(&text, 200),
            reason: "only http:// and https:// are supported".into(),
        });
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(BuildError::Url {
            url: shorten(&text, 200),
            reason: "it has no host".into(),
        });
    }
    if !url.username().is_empty() || url.password().is_some() {
        warnings.push("the URL carries user credentials; they are sent as typed".into());
    }
    // Url normalises ("/a/../b", spaces, an empty path); what is sent is what is signed,
    // but the user should know it is not exactly what was typed.
    let after_scheme = text.split_once("://").map_or("", |(_, rest)| rest);
    let typed = after_scheme
        .find(['/', '?'])
        .map_or("", |i| &after_scheme[i..]);
    let typed = typed.split('#').next().unwrap_or_default();
    let sent = signed_request_path(&url);
    if !typed.is_empty() && typed != sent {
        warnings.push(format!(
            "the path is sent as {sent} (normalised from {typed}); the signature covers what is sent"
        ));
    }
    Ok(url)
}

/// The relative path with its query, exactly as it goes on the request line.
fn signed_request_path(url: &Url) -> String {
    match url.query() {
        Some(query) => format!("{}?{query}", url.path()),
        None => url.path().to_string(),
    }
}

fn check_header(slot: &Slot) -> Result<(), BuildError> {
    if HeaderName::from_bytes(slot.name.as_bytes()).is_err() {
        return Err(BuildError::Header {
            name: shorten(&slot.name, 64),
            reason: "not a valid HTTP header name (letters, digits and !#$%&'*+-.^_`|~ only)"
                .into(),
        });
    }
    if HeaderValue::from_str(&slot.value).is_err() {
        // The value is not quoted: it may be a secret.
        return Err(BuildError::Header {
            name: shorten(&slot.name, 64),
            reason: "its value contains a line break or control character, which HTTP headers cannot carry".into(),
        });
    }
    Ok(())
}

fn field_problems(service_id: &str, body: &str) -> Vec<FieldProblem> {
    if validate::rules_for(service_id).is_none() {
        return Vec::new();
    }
    if body.trim().is_empty() {
        return validate::validate(service_id, &Value::Object(serde_json::Map::new()));
    }
    match serde_json::from_str::<Value>(body) {
        Ok(value) => validate::validate(service_id, &value),
        Err(e) => vec![FieldProblem {
            field: "body".to_string(),
            kind: ProblemKind::BadFormat,
            message: format!("the body is not valid JSON: {e}"),
        }],
    }
}

/// The value of an Authorization header the user set, if any.
fn user_authorization(draft: &RequestDraft) -> Option<&str> {
    draft
        .header_overrides
        .iter()
        .filter(|o| !o.omit && o.name.trim().eq_ignore_ascii_case(headers::AUTHORIZATION))
        .find_map(|o| o.value.as_deref())
}

/// A token given with or without its `Bearer ` scheme, bare.
fn strip_bearer(value: &str) -> &str {
    bearer_token(value).unwrap_or_else(|| value.trim())
}

pub(crate) fn target_of(url: &str) -> String {
    match Url::parse(url) {
        Ok(url) => {
            let host = url.host_str().unwrap_or_default();
            match url.port_or_known_default() {
                Some(port) => format!("{host}:{port}"),
                None => host.to_string(),
            }
        }
        Err(_) => shorten(url, 80),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_is_stripped() {
        assert_eq!(strip_bearer("Bearer abc"), "abc");
        assert_eq!(strip_bearer("bearer  abc "), "abc");
        assert_eq!(strip_bearer("abc"), "abc");
        assert_eq!(strip_bearer("BEARER\tabc"), "abc");
    }
}
