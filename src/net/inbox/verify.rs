//! The signature verdict on one inbound request. Pure: the request, the keys we know and
//! the clock go in, a [`Verdict`] in plain words comes out.
//!
//! Which rule a provider used is not written on the request, so by default every rule we
//! have a key for is tried (SNAP_NOTES §1.1): the NICEPAY notification rule (e1,
//! `X-CLIENT-KEY|X-TIMESTAMP`), the asymmetric transaction variant (c/e2,
//! `METHOD:path:bodyHash:timestamp`), then the symmetric one (b, HMAC with the client
//! secret). The first that verifies is reported. Two shapes are recognised before that:
//! the merchant-hosted access token (the token rule, a) and the biller's reversal callback
//! (unsigned: a GET whose query carries `status` and `refid`).
//!
//! Nothing here puts a secret into a message: the symmetric stringToSign is shown with its
//! access token replaced, and the client secret is never shown.

use crate::snap::text::shorten;
use chrono::{DateTime, Utc};
use serde::Serialize;
use zeroize::Zeroizing;

use crate::snap::biller::{self, CallbackStatus};
use crate::snap::catalog;
use crate::snap::headers::{AUTHORIZATION, X_CLIENT_KEY, X_SIGNATURE, X_TIMESTAMP};
use crate::snap::keys::RsaPublicKey;
use crate::snap::minify::MinifyMode;
use crate::snap::signature::{
    self, PartName, SignatureError, SignatureInput, SignatureKind, VerifyingSecret,
};
use crate::snap::timestamp;

/// `Verdict::variant` names.
pub const VARIANT_NOTIFICATION: &str = "notification";
pub const VARIANT_ASYMMETRIC: &str = "asymmetric-transaction";
pub const VARIANT_SYMMETRIC: &str = "symmetric";
pub const VARIANT_B2B_TOKEN: &str = "b2b-token";
pub const VARIANT_BILLER_CALLBACK: &str = "biller-callback (unsigned)";

/// A timestamp further than this from our clock gets a note (XH's default window, §3).
pub const SKEW_NOTE_SECONDS: i64 = 900;

/// What we know to check signatures with. Every part is optional: whatever is missing is
/// reported as "cannot check" rather than as invalid.
#[derive(Clone, Default)]
pub struct VerificationKeys {
    /// The provider's public key (for NICEPAY: the notification key it sends separately).
    pub counterparty_public_key: Option<RsaPublicKey>,
    /// For the symmetric variant.
    pub client_secret: Option<Zeroizing<String>>,
    /// When set, an X-CLIENT-KEY that differs is pointed out in the verdict.
    pub expected_client_id: Option<String>,
}

impl std::fmt::Debug for VerificationKeys {
    // The client secret must not reach a debug print.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VerificationKeys")
            .field(
                "counterparty_public_key",
                &self.counterparty_public_key.as_ref().map(|_| "<set>"),
            )
            .field(
                "client_secret",
                &self.client_secret.as_ref().map(|_| "<redacted>"),
            )
            .field("expected_client_id", &self.expected_client_id)
            .finish()
    }
}

/// A rule that signs a whole request (the token rule and the callback are recognised by
/// their path and shape, not chosen).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Variant {
    Notification,
    AsymmetricTransaction,
    Symmetric,
}

impl Variant {
    pub const ALL: [Variant; 3] = [
        Variant::Notification,
        Variant::AsymmetricTransaction,
        Variant::Symmetric,
    ];

    /// The name used in verdicts, the CLI and JSON.
    pub fn name(self) -> &'static str {
        match self {
            Variant::Notification => VARIANT_NOTIFICATION,
            Variant::AsymmetricTransaction => VARIANT_ASYMMETRIC,
            Variant::Symmetric => VARIANT_SYMMETRIC,
        }
    }

    fn kind(self) -> SignatureKind {
        match self {
            Variant::Notification => SignatureKind::Notification,
            Variant::AsymmetricTransaction => SignatureKind::AsymmetricTransaction,
            Variant::Symmetric => SignatureKind::Symmetric,
        }
    }
}

/// Which rule(s) to try on a signed request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum VerificationMode {
    /// Notification, then asymmetric transaction, then symmetric; the first that verifies wins.
    #[default]
    Auto,
    /// Only this rule (a profile fixed to one mode at onboarding).
    Only(Variant),
}

impl VerificationMode {
    fn variants(self) -> Vec<Variant> {
        match self {
            VerificationMode::Auto => Variant::ALL.to_vec(),
            VerificationMode::Only(v) => vec![v],
        }
    }
}

/// The verdict on one request, in plain words.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Verdict {
    /// `Some(true)` verified; `Some(false)` missing or does not verify; `None` not checked
    /// (no key for it, an unsigned callback, a body we did not read).
    pub signature_valid: Option<bool>,
    /// The rule that verified (or, when only one rule could be tried, the one that failed;
    /// for the unsigned callback, [`VARIANT_BILLER_CALLBACK`]).
    pub variant: Option<String>,
    /// What was checked and with what, or why not.
    pub detail: String,
    /// Seconds from X-TIMESTAMP to our clock (positive: the timestamp is in the past).
    pub skew_seconds: Option<i64>,
    /// The stringToSign of `variant` as built from the request, an access token replaced by
    /// `‹token›` (it is a secret).
    pub string_to_sign: Option<String>,
}

impl Verdict {
    /// A verdict for a request whose signature was not looked at, with the reason.
    pub fn not_checked(detail: impl Into<String>) -> Self {
        Verdict {
            detail: detail.into(),
            ..Verdict::default()
        }
    }
}

/// The parts of a received request the verdict needs.
#[derive(Debug, Clone, Copy)]
pub struct InboundRequest<'a> {
    pub method: &'a str,
    /// The path without the query.
    pub path: &'a str,
    /// The raw query (without `?`), as received.
    pub query: Option<&'a str>,
    /// Names as received; looked up case-insensitively.
    pub headers: &'a [(String, String)],
    pub body: &'a str,
}

impl InboundRequest<'_> {
    /// The first value of a header, by case-insensitive name, trimmed.
    pub fn header(&self, name: &str) -> Option<&str> {
        header(self.headers, name)
    }

    /// The relative path as a signer puts it in the stringToSign: the query included.
    fn signed_path(&self) -> String {
        match self.query {
            Some(q) => format!("{}?{q}", self.path),
            None => self.path.to_string(),
        }
    }
}

/// The first value of a header, by case-insensitive name, trimmed.
pub fn header<'h>(headers: &'h [(String, String)], name: &str) -> Option<&'h str> {
    headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.trim())
}

/// Whether this is the biller's reversal callback: a GET whose query names `status` and
/// `refid` (any path: the biller calls whatever URL the merchant registered).
pub fn is_biller_callback(method: &str, query: Option<&str>) -> bool {
    if !method.eq_ignore_ascii_case("GET") {
        return false;
    }
    let Some(query) = query else { return false };
    let mut status = false;
    let mut refid = false;
    for (key, _) in url::form_urlencoded::parse(query.as_bytes()) {
        status |= key == "status";
        refid |= key == "refid";
    }
    status && refid
}

/// The merchant-hosted access token path (`/api` + the catalog's service 73 path).
pub fn token_path() -> String {
    catalog::by_code("73")
        .map(|s| s.full_path(catalog::API_PREFIX))
        .unwrap_or_else(|| "/api/v1.0/access-token/b2b".to_string())
}

/// Judge one request.
pub fn judge(
    request: &InboundRequest<'_>,
    keys: &VerificationKeys,
    mode: VerificationMode,
    now: DateTime<Utc>,
) -> Verdict {
    let timestamp = request.header(X_TIMESTAMP);
    let skew_seconds = timestamp
        .and_then(|t| timestamp::parse_lenient(t).ok())
        .map(|t| timestamp::skew_seconds(&t, now));

    let mut verdict = if is_biller_callback(request.method, request.query) {
        biller_callback(request.query.unwrap_or_default())
    } else if request.path == token_path() {
        token_request(request, keys)
    } else {
        signed_request(request, keys, mode)
    };
    verdict.skew_seconds = skew_seconds;

    // Notes that hold whatever the outcome: they explain a rejection elsewhere.
    if verdict.variant.as_deref() != Some(VARIANT_BILLER_CALLBACK) {
        let mut notes = Vec::new();
        if let Some(value) = timestamp
            && let Err(e) = timestamp::parse_strict(value)
        {
            notes.push(e.to_string());
        }
        if let Some(skew) = skew_seconds
            && skew.abs() > SKEW_NOTE_SECONDS
        {
            notes.push(format!(
                "X-TIMESTAMP is {} s {} our clock (many providers refuse beyond {SKEW_NOTE_SECONDS} s)",
                skew.abs(),
                if skew > 0 { "behind" } else { "ahead of" }
            ));
        }
        if let (Some(expected), Some(sent)) = (
            keys.expected_client_id.as_deref().map(str::trim),
            request.header(X_CLIENT_KEY),
        ) && !expected.is_empty()
            && expected != sent
        {
            notes.push(format!(
                "X-CLIENT-KEY '{}' is not the expected client ID '{}'",
                shorten(sent, 80),
                shorten(expected, 80)
            ));
        }
        for note in notes {
            verdict.detail.push_str("; ");
            verdict.detail.push_str(&note);
        }
    }
    verdict
}

fn biller_callback(query: &str) -> Verdict {
    let detail = match biller::parse_callback(query) {
        Ok(cb) => {
            let status = match cb.status {
                CallbackStatus::Success => "0 (success)",
                CallbackStatus::Failed => "1 (failed)",
            };
            let mut text = format!(
                "biller reversal callback (unsigned by design): status {status}, refid {}",
                shorten(&cb.refid, 80)
            );
            for (name, value) in [
                ("product", &cb.product),
                ("dest", &cb.dest),
                ("message", &cb.message),
            ] {
                if let Some(value) = value {
                    text.push_str(&format!(", {name} {}", shorten(value, 80)));
                }
            }
            text
        }
        Err(e) => format!("biller reversal callback that does not parse: {e}"),
    };
    Verdict {
        signature_valid: None,
        variant: Some(VARIANT_BILLER_CALLBACK.to_string()),
        detail,
        skew_seconds: None,
        string_to_sign: None,
    }
}

/// The provider asks the merchant for a token: SHA256withRSA over `clientId|timestamp`.
fn token_request(request: &InboundRequest<'_>, keys: &VerificationKeys) -> Verdict {
    let Some(signature_text) = request.header(X_SIGNATURE) else {
        return missing_signature();
    };
    let client_id = request.header(X_CLIENT_KEY).unwrap_or_default();
    let Some(key) = &keys.counterparty_public_key else {
        return Verdict::not_checked(
            "access token request: no counterparty public key configured, so its X-SIGNATURE (clientId|timestamp) was not checked",
        );
    };
    let checked = check(
        SignatureKind::B2bToken,
        request,
        client_id,
        "",
        VerifyingSecret::Rsa(key),
        signature_text,
    );
    let shown = checked.shown;
    let (valid, detail) = match &checked.result {
        Ok(true) => (
            true,
            format!(
                "X-SIGNATURE verified with the counterparty public key over {shown} (the access-token rule)"
            ),
        ),
        Ok(false) => (
            false,
            format!(
                "X-SIGNATURE does not verify with the counterparty public key over {shown} (the access-token rule): another key, or another client ID or timestamp was signed"
            ),
        ),
        Err(reason) => (false, format!("X-SIGNATURE cannot be checked: {reason}")),
    };
    Verdict {
        signature_valid: Some(valid),
        variant: Some(VARIANT_B2B_TOKEN.to_string()),
        detail,
        skew_seconds: None,
        string_to_sign: (!shown.is_empty()).then_some(shown),
    }
}

fn missing_signature() -> Verdict {
    Verdict {
        signature_valid: Some(false),
        variant: None,
        detail: "no X-SIGNATURE header: the request is unsigned".to_string(),
        ..Verdict::default()
    }
}

/// What trying one rule gave.
struct Attempt {
    variant: Variant,
    checked: Checked,
    /// The rule could not be tried for want of a key (not a failure of the request).
    skipped: bool,
}

/// One stringToSign built and checked.
struct Checked {
    /// The stringToSign as it may be shown (an access token replaced by its place).
    shown: String,
    /// Ok(valid) when the check ran; Err(why not) when it could not.
    result: Result<bool, String>,
}

fn signed_request(
    request: &InboundRequest<'_>,
    keys: &VerificationKeys,
    mode: VerificationMode,
) -> Verdict {
    let Some(signature_text) = request.header(X_SIGNATURE) else {
        return missing_signature();
    };
    if let Err(e) = signature::decode_signature(signature_text) {
        return Verdict {
            signature_valid: Some(false),
            variant: None,
            detail: format!("X-SIGNATURE cannot be read: {e}"),
            ..Verdict::default()
        };
    }
    let attempts: Vec<Attempt> = mode
        .variants()
        .into_iter()
        .map(|variant| attempt(variant, request, keys, signature_text))
        .collect();

    if let Some(ok) = attempts.iter().find(|a| a.checked.result == Ok(true)) {
        let with = match ok.variant {
            Variant::Symmetric => "the client secret (HMAC-SHA512)",
            _ => "the counterparty public key",
        };
        let mut detail = format!("X-SIGNATURE verified with {with} over {}", ok.checked.shown);
        if ok.variant == Variant::Notification {
            detail.push_str(" (the NICEPAY notification rule: it does not cover the body)");
        }
        return Verdict {
            signature_valid: Some(true),
            variant: Some(ok.variant.name().to_string()),
            detail,
            skew_seconds: None,
            string_to_sign: Some(ok.checked.shown.clone()),
        };
    }

    let tried: Vec<&Attempt> = attempts.iter().filter(|a| !a.skipped).collect();
    let parts: Vec<String> = attempts.iter().map(describe_failure).collect();
    if tried.is_empty() {
        return Verdict::not_checked(format!("X-SIGNATURE not checked: {}", parts.join("; ")));
    }
    // Only name a rule when it was the only one tried: otherwise we cannot tell which one
    // the sender meant.
    let only = match tried.as_slice() {
        [only] => Some(*only),
        _ => None,
    };
    Verdict {
        signature_valid: Some(false),
        variant: only.map(|a| a.variant.name().to_string()),
        detail: format!("X-SIGNATURE does not verify: {}", parts.join("; ")),
        skew_seconds: None,
        string_to_sign: only
            .map(|a| a.checked.shown.clone())
            .filter(|s| !s.is_empty()),
    }
}

fn describe_failure(a: &Attempt) -> String {
    let name = a.variant.name();
    match &a.checked.result {
        Ok(true) => format!("{name}: verified"),
        Ok(false) => format!("{name} over {}: no match", a.checked.shown),
        Err(reason) => format!("{name}: {reason}"),
    }
}

fn attempt(
    variant: Variant,
    request: &InboundRequest<'_>,
    keys: &VerificationKeys,
    signature_text: &str,
) -> Attempt {
    let skip = |reason: &str| Attempt {
        variant,
        checked: Checked {
            shown: String::new(),
            result: Err(reason.to_string()),
        },
        skipped: true,
    };
    let checked = match variant {
        Variant::Notification | Variant::AsymmetricTransaction => {
            let Some(key) = &keys.counterparty_public_key else {
                return skip("no counterparty public key configured");
            };
            let client_id = request.header(X_CLIENT_KEY).unwrap_or_default();
            if variant == Variant::Notification && client_id.is_empty() {
                return skip("no X-CLIENT-KEY header to put in the string");
            }
            check(
                variant.kind(),
                request,
                client_id,
                "",
                VerifyingSecret::Rsa(key),
                signature_text,
            )
        }
        Variant::Symmetric => {
            let Some(secret) = &keys.client_secret else {
                return skip("no client secret configured");
            };
            let Some(token) = bearer_token(request) else {
                return skip("no Authorization: Bearer token to put in the string");
            };
            check(
                variant.kind(),
                request,
                "",
                token,
                VerifyingSecret::Hmac(secret.as_bytes()),
                signature_text,
            )
        }
    };
    Attempt {
        variant,
        checked,
        skipped: false,
    }
}

/// The bare token of `Authorization: Bearer <token>` (the shared parser).
fn bearer_token<'r>(request: &InboundRequest<'r>) -> Option<&'r str> {
    crate::net::http::bearer_token(header(request.headers, AUTHORIZATION)?)
}

/// Build the stringToSign of `kind` from the request and check the signature over it.
fn check(
    kind: SignatureKind,
    request: &InboundRequest<'_>,
    client_id: &str,
    token: &str,
    secret: VerifyingSecret<'_>,
    signature_text: &str,
) -> Checked {
    let input = signature_input(kind, request, client_id, token);
    let prepared = match signature::prepare(&input) {
        Ok(p) => p,
        Err(e) => {
            return Checked {
                shown: String::new(),
                result: Err(cannot_build(e)),
            };
        }
    };
    // The token is a secret: show its place, not its value.
    let shown = prepared
        .string_to_sign
        .parts
        .iter()
        .map(|p| match p.name {
            PartName::AccessToken => "‹token›",
            _ => p.value.as_str(),
        })
        .collect::<Vec<_>>()
        .join(prepared.string_to_sign.separator);
    let result = signature::verify(&prepared, secret, signature_text)
        .map(|v| v.valid)
        .map_err(|e| e.to_string());
    Checked { shown, result }
}

fn cannot_build(e: SignatureError) -> String {
    match e {
        SignatureError::Body(e) => format!("the body is not JSON, so it has no body hash ({e})"),
        other => format!("cannot build its string ({other})"),
    }
}

fn signature_input(
    kind: SignatureKind,
    request: &InboundRequest<'_>,
    client_id: &str,
    token: &str,
) -> SignatureInput {
    SignatureInput {
        kind,
        client_id: client_id.to_string(),
        timestamp: request.header(X_TIMESTAMP).unwrap_or_default().to_string(),
        method: request.method.to_string(),
        path: request.signed_path(),
        unsigned_path_prefix: String::new(),
        access_token: token.to_string(),
        body: request.body.to_string(),
        // A receiver compacts the bytes it got rather than re-serialising (SNAP_NOTES §2).
        minify: MinifyMode::Lexical,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::snap::signature::SigningSecret;

    fn headers(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2024-12-01T07:15:30+07:00")
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_default()
    }

    #[test]
    fn callback_is_recognised_and_unsigned() {
        let h = Vec::new();
        let request = InboundRequest {
            method: "GET",
            path: "/biller/reversal",
            query: Some("status=0&refid=77&message=Transaksi+SUKSES"),
            headers: &h,
            body: "",
        };
        let v = judge(
            &request,
            &VerificationKeys::default(),
            VerificationMode::Auto,
            now(),
        );
        assert_eq!(v.signature_valid, None);
        assert_eq!(v.variant.as_deref(), Some(VARIANT_BILLER_CALLBACK));
        assert!(
            v.detail.contains("status 0 (success), refid 77"),
            "{}",
            v.detail
        );
        assert!(v.detail.contains("Transaksi SUKSES"), "{}", v.detail);
        assert!(!is_biller_callback("POST", Some("status=0&refid=1")));
        assert!(!is_biller_callback("GET", Some("status=0")));
    }

    #[test]
    fn symmetric_verifies_without_showing_the_token_or_secret() {
        let body = r#"{ "a": 1 }"#;
        let ts = "2024-12-01T07:15:00+07:00";
        let prepared = signature::prepare(&SignatureInput {
            kind: SignatureKind::Symmetric,
            timestamp: ts.into(),
            method: "POST".into(),
            path: "/api/v1.0/debit/notify".into(),
            access_token: "tok-very-secret-123".into(),
            body: body.into(),
            ..SignatureInput::default()
        });
        let Ok(prepared) = prepared else {
            panic!("prepare")
        };
        let sig = signature::sign(&prepared, SigningSecret::Hmac(b"the-client-secret"))
            .unwrap_or_default();
        let h = headers(&[
            ("x-timestamp", ts),
            ("X-SIGNATURE", &sig),
            ("Authorization", "Bearer tok-very-secret-123"),
        ]);
        let request = InboundRequest {
            method: "POST",
            path: "/api/v1.0/debit/notify",
            query: None,
            headers: &h,
            body,
        };
        let keys = VerificationKeys {
            client_secret: Some(Zeroizing::new("the-client-secret".into())),
            ..VerificationKeys::default()
        };
        let v = judge(&request, &keys, VerificationMode::Auto, now());
        assert_eq!(v.signature_valid, Some(true), "{}", v.detail);
        assert_eq!(v.variant.as_deref(), Some(VARIANT_SYMMETRIC));
        assert_eq!(v.skew_seconds, Some(30));
        assert!(!v.detail.contains("tok-very-secret"), "{}", v.detail);
        assert!(!v.detail.contains("the-client-secret"), "{}", v.detail);

        let wrong = VerificationKeys {
            client_secret: Some(Zeroizing::new("another-secret".into())),
            ..VerificationKeys::default()
        };
        let v = judge(&request, &wrong, VerificationMode::Auto, now());
        assert_eq!(v.signature_valid, Some(false), "{}", v.detail);
        assert_eq!(
            v.variant.as_deref(),
            Some(VARIANT_SYMMETRIC),
            "the only rule tried"
        );
        assert!(
            v.detail.contains("no counterparty public key"),
            "{}",
            v.detail
        );
        assert!(!v.detail.contains("tok-very-secret"), "{}", v.detail);
    }

    #[test]
    fn missing_headers_and_missing_keys_are_told_apart() {
        let h = Vec::new();
        let request = InboundRequest {
            method: "POST",
            path: "/api/v1.0/transfer-va/payment",
            query: None,
            headers: &h,
            body: "{}",
        };
        let v = judge(
            &request,
            &VerificationKeys::default(),
            VerificationMode::Auto,
            now(),
        );
        assert_eq!(v.signature_valid, Some(false));
        assert!(v.detail.contains("no X-SIGNATURE"), "{}", v.detail);
        assert_eq!(v.skew_seconds, None);

        let h = headers(&[
            ("X-SIGNATURE", "AAAA"),
            ("X-CLIENT-KEY", "someone"),
            ("X-TIMESTAMP", "2024-12-01T00:00:00Z"),
        ]);
        let request = InboundRequest {
            headers: &h,
            ..request
        };
        let keys = VerificationKeys {
            expected_client_id: Some("merchant".into()),
            ..VerificationKeys::default()
        };
        let v = judge(&request, &keys, VerificationMode::Auto, now());
        assert_eq!(v.signature_valid, None, "{}", v.detail);
        assert!(
            v.detail.contains("no client secret configured"),
            "{}",
            v.detail
        );
        assert!(v.detail.contains("'Z'"), "{}", v.detail);
        assert!(
            v.detail.contains("not the expected client ID"),
            "{}",
            v.detail
        );
        assert!(v.detail.contains("behind our clock"), "{}", v.detail);
    }
}
