//! Every SNAP signature kind (SNAP_NOTES §1.1): how its stringToSign is built, part by
//! part, and how it is signed and verified.
//!
//! The stringToSign is kept as named parts so that a UI can colour them and a diagnosis can
//! say which part differs; `text()` joins them.

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE, URL_SAFE_NO_PAD};
use hmac::{Hmac, Mac};
use rsa::pkcs1v15::{Signature as RsaSignature, SigningKey, VerifyingKey};
use rsa::signature::{SignatureEncoding as _, Signer as _, Verifier as _};
use rsa::{RsaPrivateKey, RsaPublicKey};
use sha2::{Digest, Sha256, Sha512};

use super::minify::{MinifyError, MinifyMode, minify};

/// SHA-256 of the empty string: the body hash of a request without a body (ASPI note 2).
pub const EMPTY_BODY_HASH: &str =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "kebab-case")]
pub enum SignatureKind {
    /// Access Token B2B (service 73): SHA256withRSA over `clientId|timestamp`.
    B2bToken,
    /// Access Token B2B2C (service 74): the same string and key as B2B.
    B2b2cToken,
    /// Transactional, symmetric: HMAC-SHA512 with the client secret over
    /// `METHOD:path:token:bodyHash:timestamp`.
    #[default]
    Symmetric,
    /// Transactional, asymmetric (also Midtrans-style notifications): SHA256withRSA over
    /// `METHOD:path:bodyHash:timestamp`.
    AsymmetricTransaction,
    /// NICEPAY-style inbound notification: SHA256withRSA over `clientId|timestamp`, verified
    /// with the provider's notification public key.
    Notification,
}

impl SignatureKind {
    pub const ALL: [SignatureKind; 5] = [
        SignatureKind::B2bToken,
        SignatureKind::B2b2cToken,
        SignatureKind::Symmetric,
        SignatureKind::AsymmetricTransaction,
        SignatureKind::Notification,
    ];

    /// The name used on the command line and in JSON.
    pub fn name(self) -> &'static str {
        match self {
            SignatureKind::B2bToken => "b2b",
            SignatureKind::B2b2cToken => "b2b2c",
            SignatureKind::Symmetric => "symmetric",
            SignatureKind::AsymmetricTransaction => "transaction",
            SignatureKind::Notification => "notification",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            SignatureKind::B2bToken => "Access token B2B (SHA256withRSA)",
            SignatureKind::B2b2cToken => "Access token B2B2C (SHA256withRSA)",
            SignatureKind::Symmetric => "Transaction, symmetric (HMAC-SHA512)",
            SignatureKind::AsymmetricTransaction => "Transaction, asymmetric (SHA256withRSA)",
            SignatureKind::Notification => "Notification (SHA256withRSA, clientId|timestamp)",
        }
    }

    pub fn algorithm(self) -> Algorithm {
        match self {
            SignatureKind::Symmetric => Algorithm::HmacSha512,
            _ => Algorithm::Sha256WithRsa,
        }
    }

    /// Whether the stringToSign covers the method, path and body (the transactional kinds).
    pub fn covers_request(self) -> bool {
        matches!(
            self,
            SignatureKind::Symmetric | SignatureKind::AsymmetricTransaction
        )
    }
}

impl std::fmt::Display for SignatureKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for SignatureKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "b2b" | "b2b-token" => Ok(SignatureKind::B2bToken),
            "b2b2c" | "b2b2c-token" => Ok(SignatureKind::B2b2cToken),
            "symmetric" => Ok(SignatureKind::Symmetric),
            "transaction" | "asymmetric" | "asymmetric-transaction" => {
                Ok(SignatureKind::AsymmetricTransaction)
            }
            "notification" => Ok(SignatureKind::Notification),
            other => Err(format!(
                "unknown signature kind '{other}'; expected one of b2b, b2b2c, symmetric, transaction, notification"
            )),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Algorithm {
    Sha256WithRsa,
    HmacSha512,
}

/// What part of a stringToSign a value is; the UI colours by it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub enum PartName {
    ClientId,
    Timestamp,
    Method,
    Path,
    AccessToken,
    BodyHash,
}

impl PartName {
    pub fn label(self) -> &'static str {
        match self {
            PartName::ClientId => super::headers::X_CLIENT_KEY,
            PartName::Timestamp => super::headers::X_TIMESTAMP,
            PartName::Method => "HTTP method",
            PartName::Path => "relative path",
            PartName::AccessToken => "access token",
            PartName::BodyHash => "body hash",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Part {
    pub name: PartName,
    pub value: String,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct StringToSign {
    pub parts: Vec<Part>,
    pub separator: &'static str,
}

impl StringToSign {
    pub fn text(&self) -> String {
        let values: Vec<&str> = self.parts.iter().map(|p| p.value.as_str()).collect();
        values.join(self.separator)
    }

    pub fn part(&self, name: PartName) -> Option<&str> {
        self.parts
            .iter()
            .find(|p| p.name == name)
            .map(|p| p.value.as_str())
    }
}

/// Everything a stringToSign may be built from. Unused fields are ignored by a kind.
#[derive(Clone, Default)]
pub struct SignatureInput {
    pub kind: SignatureKind,
    pub client_id: String,
    pub timestamp: String,
    pub method: String,
    /// Relative path with its query, exactly as sent; a full URL is accepted (its path is
    /// taken, with a warning).
    pub path: String,
    /// A prefix sent but not signed (NICEPAY sends `/nicepay/api/…`, signs `/api/…`).
    pub unsigned_path_prefix: String,
    /// Bare token; a `Bearer ` prefix is removed with a warning.
    pub access_token: String,
    pub body: String,
    pub minify: MinifyMode,
}

impl std::fmt::Debug for SignatureInput {
    // The access token is a bearer credential: a debug dump shows only its length.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignatureInput")
            .field("kind", &self.kind)
            .field("client_id", &self.client_id)
            .field("timestamp", &self.timestamp)
            .field("method", &self.method)
            .field("path", &self.path)
            .field("unsigned_path_prefix", &self.unsigned_path_prefix)
            .field("access_token_chars", &self.access_token.chars().count())
            .field("body_bytes", &self.body.len())
            .field("minify", &self.minify)
            .finish()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Prepared {
    pub kind: SignatureKind,
    pub string_to_sign: StringToSign,
    /// For the transactional kinds: the body after minification, and its SHA-256 (hex).
    pub minified_body: Option<String>,
    pub body_hash: Option<String>,
    /// Things that were adjusted or look wrong, in words; never fatal.
    pub warnings: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("body: {0}")]
    Body(#[from] MinifyError),
    #[error("a {kind} signature needs {needed}")]
    WrongKey {
        kind: SignatureKind,
        needed: &'static str,
    },
    #[error("signing failed: {0}")]
    Signing(String),
    #[error("the signature is empty")]
    EmptySignature,
    #[error("the signature is neither Base64 nor hex ({0})")]
    UndecodableSignature(String),
}

/// Build the stringToSign of `input.kind`, with every intermediate value.
pub fn prepare(input: &SignatureInput) -> Result<Prepared, SignatureError> {
    let mut warnings = Vec::new();
    let timestamp = input.timestamp.trim().to_string();
    if timestamp.is_empty() {
        warnings.push("X-TIMESTAMP is empty".to_string());
    } else if let Err(e) = super::timestamp::parse_strict(&timestamp) {
        warnings.push(e.to_string());
    }
    let kind = input.kind;
    let (parts, separator, minified_body, body_hash) = if kind.covers_request() {
        let method = input.method.trim().to_ascii_uppercase();
        if method.is_empty() {
            warnings.push("HTTP method is empty".to_string());
        } else if method != input.method.trim() {
            warnings.push(format!(
                "HTTP method '{}' upper-cased to {method}",
                input.method.trim()
            ));
        }
        let path = signed_path(&input.path, &input.unsigned_path_prefix, &mut warnings);
        let minified = minify(&input.body, input.minify)?;
        let hash = body_hash_hex(&minified);
        let mut parts = vec![
            Part {
                name: PartName::Method,
                value: method,
            },
            Part {
                name: PartName::Path,
                value: path,
            },
        ];
        if kind == SignatureKind::Symmetric {
            let token = bare_token(&input.access_token, &mut warnings);
            parts.push(Part {
                name: PartName::AccessToken,
                value: token,
            });
        }
        parts.push(Part {
            name: PartName::BodyHash,
            value: hash.clone(),
        });
        parts.push(Part {
            name: PartName::Timestamp,
            value: timestamp,
        });
        (parts, ":", Some(minified), Some(hash))
    } else {
        let client_id = input.client_id.trim().to_string();
        if client_id.is_empty() {
            warnings.push("X-CLIENT-KEY (client ID) is empty".to_string());
        }
        let parts = vec![
            Part {
                name: PartName::ClientId,
                value: client_id,
            },
            Part {
                name: PartName::Timestamp,
                value: timestamp,
            },
        ];
        (parts, "|", None, None)
    };
    Ok(Prepared {
        kind,
        string_to_sign: StringToSign { parts, separator },
        minified_body,
        body_hash,
        warnings,
    })
}

/// Lower-case hex SHA-256 of the minified body (upper-case hex breaks every verifier).
pub fn body_hash_hex(minified_body: &str) -> String {
    hex::encode(Sha256::digest(minified_body.as_bytes()))
}

/// The path as it goes into the stringToSign: relative, query kept byte for byte.
pub fn signed_path(path: &str, unsigned_prefix: &str, warnings: &mut Vec<String>) -> String {
    let trimmed = path.trim();
    let mut relative = match relative_part_of_url(trimmed) {
        Some(rel) => {
            warnings.push(format!(
                "a full URL was given; the signature covers only its relative path {rel}"
            ));
            rel.to_string()
        }
        None => trimmed.to_string(),
    };
    if let Some(hash) = relative.find('#') {
        warnings.push("the #fragment is never sent, so it is not signed".to_string());
        relative.truncate(hash);
    }
    let prefix = unsigned_prefix.trim().trim_end_matches('/');
    if !prefix.is_empty()
        && let Some(rest) = relative.strip_prefix(prefix)
        && (rest.starts_with('/') || rest.is_empty())
    {
        relative = rest.to_string();
    }
    if relative.is_empty() {
        warnings.push("the path is empty".to_string());
    } else if !relative.starts_with('/') {
        warnings.push(format!("the path '{relative}' does not start with '/'"));
    }
    relative
}

/// For `scheme://host[:port]/path?query`, the `/path?query` part (or `/` when there is none).
fn relative_part_of_url(text: &str) -> Option<&str> {
    let lower = text.get(..8).unwrap_or(text).to_ascii_lowercase();
    let after_scheme = if lower.starts_with("https://") {
        &text[8..]
    } else if lower.starts_with("http://") {
        &text[7..]
    } else {
        return None;
    };
    match after_scheme.find(['/', '?']) {
        Some(i) if after_scheme[i..].starts_with('/') => Some(&after_scheme[i..]),
        Some(_) | None => Some("/"),
    }
}

fn bare_token(token: &str, warnings: &mut Vec<String>) -> String {
    let trimmed = token.trim();
    let bare = match trimmed.get(..7) {
        Some(head) if head.eq_ignore_ascii_case("bearer ") => {
            warnings.push("'Bearer ' removed from the access token: it is not signed".to_string());
            trimmed[7..].trim_start()
        }
        _ => trimmed,
    };
    if bare.is_empty() {
        warnings.push("the access token is empty".to_string());
    }
    bare.to_string()
}

/// A key able to sign, matched against the kind's algorithm.
#[derive(Clone, Copy)]
pub enum SigningSecret<'a> {
    Rsa(&'a RsaPrivateKey),
    /// The client secret, as UTF-8 bytes (not base64-decoded).
    Hmac(&'a [u8]),
}

#[derive(Clone, Copy)]
pub enum VerifyingSecret<'a> {
    Rsa(&'a RsaPublicKey),
    Hmac(&'a [u8]),
}

/// Sign a prepared stringToSign; standard Base64 out.
pub fn sign(prepared: &Prepared, secret: SigningSecret<'_>) -> Result<String, SignatureError> {
    let message = prepared.string_to_sign.text();
    match (prepared.kind.algorithm(), secret) {
        (Algorithm::Sha256WithRsa, SigningSecret::Rsa(key)) => {
            rsa_sha256_sign(key, message.as_bytes()).map(|sig| STANDARD.encode(sig))
        }
        (Algorithm::HmacSha512, SigningSecret::Hmac(secret)) => {
            Ok(STANDARD.encode(hmac_sha512(secret, message.as_bytes())))
        }
        (Algorithm::Sha256WithRsa, _) => Err(SignatureError::WrongKey {
            kind: prepared.kind,
            needed: "an RSA private key",
        }),
        (Algorithm::HmacSha512, _) => Err(SignatureError::WrongKey {
            kind: prepared.kind,
            needed: "the client secret",
        }),
    }
}

/// How a signature text was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SignatureEncoding {
    Base64,
    UrlSafeBase64,
    Hex,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Verdict {
    pub valid: bool,
    /// The encoding under which the signature verified (None when invalid).
    pub encoding: Option<SignatureEncoding>,
}

/// Every way the signature text can be read, most likely first. An all-hex string of a
/// length divisible by 4 is also valid Base64, so both are kept and both are tried.
pub fn decode_signature(text: &str) -> Result<Vec<(SignatureEncoding, Vec<u8>)>, SignatureError> {
    let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    if compact.is_empty() {
        return Err(SignatureError::EmptySignature);
    }
    let mut readings = Vec::new();
    if compact.len().is_multiple_of(2)
        && compact.bytes().all(|b| b.is_ascii_hexdigit())
        && let Ok(bytes) = hex::decode(&compact)
    {
        readings.push((SignatureEncoding::Hex, bytes));
    }
    if let Ok(bytes) = STANDARD.decode(&compact) {
        readings.push((SignatureEncoding::Base64, bytes));
    } else if let Ok(bytes) = URL_SAFE
        .decode(&compact)
        .or_else(|_| URL_SAFE_NO_PAD.decode(&compact))
    {
        readings.push((SignatureEncoding::UrlSafeBase64, bytes));
    }
    if readings.is_empty() {
        return Err(SignatureError::UndecodableSignature(format!(
            "{} characters",
            compact.chars().count()
        )));
    }
    Ok(readings)
}

/// Verify a signature (Base64, URL-safe Base64 or hex) over a prepared stringToSign.
pub fn verify(
    prepared: &Prepared,
    secret: VerifyingSecret<'_>,
    signature_text: &str,
) -> Result<Verdict, SignatureError> {
    verify_message(
        prepared.kind,
        prepared.string_to_sign.text().as_bytes(),
        secret,
        signature_text,
    )
}

/// Verify over raw message bytes; shared by `verify` and the diagnosis engine.
pub fn verify_message(
    kind: SignatureKind,
    message: &[u8],
    secret: VerifyingSecret<'_>,
    signature_text: &str,
) -> Result<Verdict, SignatureError> {
    let readings = decode_signature(signature_text)?;
    verify_readings(kind, message, secret, &readings)
}

/// Verify against already-decoded readings (the diagnosis loop decodes once).
pub fn verify_readings(
    kind: SignatureKind,
    message: &[u8],
    secret: VerifyingSecret<'_>,
    readings: &[(SignatureEncoding, Vec<u8>)],
) -> Result<Verdict, SignatureError> {
    match (kind.algorithm(), secret) {
        (Algorithm::Sha256WithRsa, VerifyingSecret::Rsa(key)) => {
            let verifier = VerifyingKey::<Sha256>::new(key.clone());
            for (encoding, bytes) in readings {
                let Ok(signature) = RsaSignature::try_from(bytes.as_slice()) else {
                    continue;
                };
                if verifier.verify(message, &signature).is_ok() {
                    return Ok(Verdict {
                        valid: true,
                        encoding: Some(*encoding),
                    });
                }
            }
            Ok(Verdict {
                valid: false,
                encoding: None,
            })
        }
        (Algorithm::HmacSha512, VerifyingSecret::Hmac(secret)) => {
            for (encoding, bytes) in readings {
                let mut mac = hmac_for(secret);
                mac.update(message);
                // verify_slice compares in constant time.
                if mac.verify_slice(bytes).is_ok() {
                    return Ok(Verdict {
                        valid: true,
                        encoding: Some(*encoding),
                    });
                }
            }
            Ok(Verdict {
                valid: false,
                encoding: None,
            })
        }
        (Algorithm::Sha256WithRsa, _) => Err(SignatureError::WrongKey {
            kind,
            needed: "an RSA public key",
        }),
        (Algorithm::HmacSha512, _) => Err(SignatureError::WrongKey {
            kind,
            needed: "the client secret",
        }),
    }
}

/// RSASSA-PKCS1-v1_5 with SHA-256 (deterministic: same key and message, same signature).
pub fn rsa_sha256_sign(key: &RsaPrivateKey, message: &[u8]) -> Result<Vec<u8>, SignatureError> {
    SigningKey::<Sha256>::new(key.clone())
        .try_sign(message)
        .map(|sig| sig.to_vec())
        .map_err(|e| SignatureError::Signing(e.to_string()))
}

pub fn hmac_sha512(secret: &[u8], message: &[u8]) -> Vec<u8> {
    let mut mac = hmac_for(secret);
    mac.update(message);
    mac.finalize().into_bytes().to_vec()
}

fn hmac_for(secret: &[u8]) -> Hmac<Sha512> {
    // HMAC accepts keys of any length (long keys are hashed), so this cannot fail; the
    // fallback keeps the function total without a panic path.
    <Hmac<Sha512> as Mac>::new_from_slice(secret)
        .unwrap_or_else(|_| <Hmac<Sha512> as hmac::digest::KeyInit>::new(&Default::default()))
}

// ---------------------------------------------------------------------------------------
// Signing options: provider conventions that depart from the standard on purpose
// ---------------------------------------------------------------------------------------

/// The HMAC hash of the symmetric signature. SNAP says SHA-512; some gateways use SHA-256.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "kebab-case")]
pub enum HmacAlgorithm {
    #[default]
    Sha512,
    Sha256,
}

impl HmacAlgorithm {
    pub fn name(self) -> &'static str {
        match self {
            HmacAlgorithm::Sha512 => "sha512",
            HmacAlgorithm::Sha256 => "sha256",
        }
    }

    pub fn other(self) -> HmacAlgorithm {
        match self {
            HmacAlgorithm::Sha512 => HmacAlgorithm::Sha256,
            HmacAlgorithm::Sha256 => HmacAlgorithm::Sha512,
        }
    }
}

/// What of the URL the transactional stringToSign carries.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "kebab-case")]
pub enum PathForm {
    /// The relative path with its query (SNAP).
    #[default]
    Relative,
    /// Scheme, host and port, then the path as sent (some gateways sign the whole URL).
    FullUrl,
}

/// How the query is written in the stringToSign.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "kebab-case")]
pub enum QueryEncoding {
    /// Byte for byte as sent (SNAP).
    #[default]
    AsSent,
    /// Percent-decoded (`%20` becomes a space).
    Decoded,
    /// Every byte outside A-Z a-z 0-9 `-._~` percent-encoded (keys and values alike).
    Encoded,
}

/// Options beyond [`SignatureInput`]: what a profile sets for a provider that signs its own
/// way. The default is the standard, so `prepare_with(input, &Default::default())` is
/// `prepare(input)`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SigningOptions {
    pub hmac: HmacAlgorithm,
    pub path_form: PathForm,
    pub query_encoding: QueryEncoding,
    /// Scheme, host and port for [`PathForm::FullUrl`] (a base URL is fine: only its
    /// origin is taken). Empty: the origin of `input.path` when it is a full URL.
    pub origin: String,
}

/// `prepare`, then the options applied to the signed path.
pub fn prepare_with(
    input: &SignatureInput,
    options: &SigningOptions,
) -> Result<Prepared, SignatureError> {
    let mut prepared = prepare(input)?;
    if !input.kind.covers_request() {
        return Ok(prepared);
    }
    let origin = origin_of(&options.origin).or_else(|| origin_of(&input.path));
    if let Some(part) = prepared
        .string_to_sign
        .parts
        .iter_mut()
        .find(|p| p.name == PartName::Path)
    {
        if options.path_form == PathForm::FullUrl {
            match origin {
                Some(origin) => {
                    let as_sent = signed_path(&input.path, "", &mut Vec::new());
                    part.value = format!("{origin}{as_sent}");
                }
                None => prepared.warnings.push(
                    "the profile signs the full URL, but no base URL is known; the relative path was signed".to_string(),
                ),
            }
        }
        part.value = with_query_encoding(&part.value, options.query_encoding);
    }
    Ok(prepared)
}

/// Sign with the options' HMAC algorithm (RSA kinds are unaffected).
pub fn sign_with(
    prepared: &Prepared,
    secret: SigningSecret<'_>,
    options: &SigningOptions,
) -> Result<String, SignatureError> {
    match (prepared.kind.algorithm(), secret) {
        (Algorithm::HmacSha512, SigningSecret::Hmac(key)) => {
            let message = prepared.string_to_sign.text();
            Ok(STANDARD.encode(hmac_with(options.hmac, key, message.as_bytes())))
        }
        _ => sign(prepared, secret),
    }
}

/// `scheme://host[:port]` of a URL, None for a relative path or an empty text.
pub fn origin_of(url: &str) -> Option<&str> {
    let trimmed = url.trim();
    let scheme_len = ["https://", "http://"].into_iter().find_map(|scheme| {
        let head = trimmed.get(..scheme.len())?;
        head.eq_ignore_ascii_case(scheme).then_some(scheme.len())
    })?;
    let after_scheme = trimmed.get(scheme_len..)?;
    let host_len = after_scheme
        .find(['/', '?', '#'])
        .unwrap_or(after_scheme.len());
    (host_len > 0).then(|| trimmed.get(..scheme_len + host_len))?
}

/// The path with its query rewritten per `encoding` (a path without a query is unchanged).
pub fn with_query_encoding(path: &str, encoding: QueryEncoding) -> String {
    let Some((before, query)) = path.split_once('?') else {
        return path.to_string();
    };
    let query = match encoding {
        QueryEncoding::AsSent => return path.to_string(),
        QueryEncoding::Decoded => map_query_pieces(query, |piece| piece),
        QueryEncoding::Encoded => map_query_pieces(query, |piece| {
            percent_encoding::utf8_percent_encode(&piece, QUERY_COMPONENT).to_string()
        }),
    };
    format!("{before}?{query}")
}

/// RFC 3986 unreserved characters stay; everything else is percent-encoded.
const QUERY_COMPONENT: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Every key and value percent-decoded, then passed through `f`; `&` and `=` kept.
fn map_query_pieces(query: &str, f: impl Fn(String) -> String) -> String {
    let pairs: Vec<String> = query
        .split('&')
        .map(|pair| {
            let pieces: Vec<String> = pair
                .splitn(2, '=')
                .map(|piece| {
                    let decoded = percent_encoding::percent_decode_str(piece).decode_utf8_lossy();
                    f(decoded.into_owned())
                })
                .collect();
            pieces.join("=")
        })
        .collect();
    pairs.join("&")
}

pub fn hmac_sha256(secret: &[u8], message: &[u8]) -> Vec<u8> {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret)
        .unwrap_or_else(|_| <Hmac<Sha256> as hmac::digest::KeyInit>::new(&Default::default()));
    mac.update(message);
    mac.finalize().into_bytes().to_vec()
}

/// HMAC of `message` with the given hash.
pub fn hmac_with(algorithm: HmacAlgorithm, secret: &[u8], message: &[u8]) -> Vec<u8> {
    match algorithm {
        HmacAlgorithm::Sha512 => hmac_sha512(secret, message),
        HmacAlgorithm::Sha256 => hmac_sha256(secret, message),
    }
}

/// Verify an HMAC signature made with `algorithm` against decoded readings; the comparison
/// is constant-time.
pub fn verify_hmac_readings(
    algorithm: HmacAlgorithm,
    message: &[u8],
    secret: &[u8],
    readings: &[(SignatureEncoding, Vec<u8>)],
) -> Verdict {
    let expected = hmac_with(algorithm, secret, message);
    for (encoding, bytes) in readings {
        if constant_time_eq(&expected, bytes) {
            return Verdict {
                valid: true,
                encoding: Some(*encoding),
            };
        }
    }
    Verdict {
        valid: false,
        encoding: None,
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(kind: SignatureKind) -> SignatureInput {
        SignatureInput {
            kind,
            client_id: "client".into(),
            timestamp: "2024-12-01T07:15:00+07:00".into(),
            method: "post".into(),
            path: "https://sandbox.example:44310/api/v1.0/transfer-va/payment?x=1#frag".into(),
            unsigned_path_prefix: String::new(),
            access_token: "Bearer abc".into(),
            body: String::new(),
            minify: MinifyMode::Lexical,
        }
    }

    #[test]
    fn symmetric_parts_are_normalised_with_warnings() {
        let prepared = prepare(&input(SignatureKind::Symmetric)).ok();
        let prepared = prepared.as_ref();
        assert_eq!(
            prepared.map(|p| p.string_to_sign.text()).as_deref(),
            Some(
                "POST:/api/v1.0/transfer-va/payment?x=1:abc:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855:2024-12-01T07:15:00+07:00"
            )
        );
        let warnings = prepared.map(|p| p.warnings.join("\n")).unwrap_or_default();
        for needle in ["full URL", "Bearer", "upper-cased", "fragment"] {
            assert!(warnings.contains(needle), "{needle} missing in {warnings}");
        }
    }

    #[test]
    fn unsigned_prefix_is_removed_only_at_a_segment_boundary() {
        let mut w = Vec::new();
        assert_eq!(
            signed_path("/nicepay/api/v1.0/x", "/nicepay", &mut w),
            "/api/v1.0/x"
        );
        assert_eq!(
            signed_path("/nicepayx/api", "/nicepay", &mut w),
            "/nicepayx/api"
        );
        assert_eq!(signed_path("https://h.example", "", &mut w), "/");
        assert_eq!(signed_path("https://h.example?a=b", "", &mut w), "/");
    }

    #[test]
    fn token_kinds_join_with_a_pipe() {
        let prepared = prepare(&input(SignatureKind::B2bToken)).ok();
        assert_eq!(
            prepared.map(|p| p.string_to_sign.text()).as_deref(),
            Some("client|2024-12-01T07:15:00+07:00")
        );
    }

    #[test]
    fn hmac_round_trip_and_wrong_key_kind() {
        let prepared = prepare(&input(SignatureKind::Symmetric)).ok();
        let Some(prepared) = prepared else {
            panic!("prepare failed")
        };
        let signature = sign(&prepared, SigningSecret::Hmac(b"secret")).unwrap_or_default();
        assert_eq!(signature.len(), 88);
        let ok = verify(&prepared, VerifyingSecret::Hmac(b"secret"), &signature);
        assert_eq!(ok.map(|v| v.valid), Ok(true));
        let hex_sig = STANDARD
            .decode(&signature)
            .map(hex::encode)
            .unwrap_or_default();
        let ok = verify(&prepared, VerifyingSecret::Hmac(b"secret"), &hex_sig);
        assert_eq!(ok.map(|v| v.encoding), Ok(Some(SignatureEncoding::Hex)));
        let bad = verify(&prepared, VerifyingSecret::Hmac(b"other"), &signature);
        assert_eq!(bad.map(|v| v.valid), Ok(false));
        assert!(matches!(
            verify(&prepared, VerifyingSecret::Hmac(b"secret"), "  "),
            Err(SignatureError::EmptySignature)
        ));
        assert!(matches!(
            verify(&prepared, VerifyingSecret::Hmac(b"secret"), "***"),
            Err(SignatureError::UndecodableSignature(_))
        ));
    }

    #[test]
    fn options_sign_the_full_url_and_rewrite_the_query() {
        let mut base = input(SignatureKind::Symmetric);
        base.path = "/nicepay/api/v1.0/x?name=Setya%20Wardana&at=07:15+07:00".into();
        base.unsigned_path_prefix = "/nicepay".into();
        let path_of = |options: &SigningOptions| {
            prepare_with(&base, options)
                .ok()
                .and_then(|p| p.string_to_sign.part(PartName::Path).map(str::to_string))
        };
        assert_eq!(
            path_of(&SigningOptions::default()).as_deref(),
            Some("/api/v1.0/x?name=Setya%20Wardana&at=07:15+07:00")
        );
        let full = SigningOptions {
            path_form: PathForm::FullUrl,
            origin: "https://h.example:8443/nicepay".into(),
            ..SigningOptions::default()
        };
        assert_eq!(
            path_of(&full).as_deref(),
            Some("https://h.example:8443/nicepay/api/v1.0/x?name=Setya%20Wardana&at=07:15+07:00")
        );
        let decoded = SigningOptions {
            query_encoding: QueryEncoding::Decoded,
            ..SigningOptions::default()
        };
        assert_eq!(
            path_of(&decoded).as_deref(),
            Some("/api/v1.0/x?name=Setya Wardana&at=07:15+07:00")
        );
        let encoded = SigningOptions {
            query_encoding: QueryEncoding::Encoded,
            ..SigningOptions::default()
        };
        assert_eq!(
            path_of(&encoded).as_deref(),
            Some("/api/v1.0/x?name=Setya%20Wardana&at=07%3A15%2B07%3A00")
        );
        assert_eq!(origin_of("/relative"), None);
        assert_eq!(origin_of("http://h?x=1"), Some("http://h"));
    }

    #[test]
    fn hmac_sha256_option_signs_and_verifies() {
        let Ok(prepared) = prepare(&input(SignatureKind::Symmetric)) else {
            panic!("prepare")
        };
        let options = SigningOptions {
            hmac: HmacAlgorithm::Sha256,
            ..SigningOptions::default()
        };
        let signature = sign_with(&prepared, SigningSecret::Hmac(b"k"), &options);
        let Ok(signature) = signature else {
            panic!("sign")
        };
        assert_eq!(signature.len(), 44);
        let Ok(readings) = decode_signature(&signature) else {
            panic!("decode")
        };
        let message = prepared.string_to_sign.text();
        let ok = verify_hmac_readings(HmacAlgorithm::Sha256, message.as_bytes(), b"k", &readings);
        assert!(ok.valid);
        let no = verify_hmac_readings(HmacAlgorithm::Sha512, message.as_bytes(), b"k", &readings);
        assert!(!no.valid);
    }
}
