//! The one table of signature variants the diagnosis knows: what the counterparty did, in
//! plain words, which signature kinds it can happen to, and what to do about it — a profile
//! setting when a provider signs that way on purpose, or words to paste into a message when
//! it is the counterparty's bug. The CLI help, the workbench help and the tests all read
//! [`VARIANTS`], so a variant added here is documented and tested everywhere.

use super::Aspect;
use crate::snap::signature::SignatureKind;

/// A family of deviations from the SNAP stringToSign (or key, or encoding).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Family {
    MethodLowerCase,
    MethodAsTyped,
    FullUrl,
    PrefixSigned,
    FirstSegmentUnsigned,
    QueryLeftOut,
    QuerySorted,
    QueryEncoded,
    QueryDecoded,
    TrailingSlash,
    BearerSigned,
    TokenAsTyped,
    TokenLeftOut,
    MinifyLexical,
    MinifyJs,
    MinifyPhp,
    MinifyGoSorted,
    MinifyNone,
    EmptyBodySegmentLeftOut,
    EmptyBodySegmentEmpty,
    EmptyBodyHashedAsOther,
    WhitespaceStrippedInStrings,
    TrailingNewline,
    BodyHashUpperCase,
    TimestampMillis,
    TimestampUtcMillisZ,
    TimestampOtherSpelling,
    ClientIdWhitespace,
    ClientIdCase,
    TokenSeparator,
    SecretBase64Decoded,
    HmacSha256,
    SignatureHex,
    SignatureUrlSafe,
}

/// What to do about a variant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase", tag = "type")]
pub enum Remedy {
    /// Real providers sign this way on purpose: set this profile field (its JSON name in
    /// `profiles.json`) to this value and our signatures match theirs. The value in the
    /// table is generic where it depends on the case (`<the segment>`); the diagnosis gives
    /// the exact value in [`super::SettingChange`].
    Setting {
        field: &'static str,
        value: &'static str,
    },
    /// The counterparty's bug: words to paste into a message to them.
    AskCounterparty { message: &'static str },
}

/// One row of the table.
#[derive(Debug, Clone, Copy, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Variant {
    pub family: Family,
    pub aspect: Aspect,
    /// What the counterparty did, in plain words.
    pub what: &'static str,
    pub kinds: &'static [SignatureKind],
    pub remedy: Remedy,
    /// Added for issue 13 (the variants developers report most); the rest came first.
    pub reported_in_the_wild: bool,
}

const TRANSACTION: &[SignatureKind] = &[
    SignatureKind::Symmetric,
    SignatureKind::AsymmetricTransaction,
];
const SYMMETRIC: &[SignatureKind] = &[SignatureKind::Symmetric];
const CLIENT_ID_KINDS: &[SignatureKind] = &[
    SignatureKind::B2bToken,
    SignatureKind::B2b2cToken,
    SignatureKind::Notification,
];
const ALL_KINDS: &[SignatureKind] = &SignatureKind::ALL;

const fn setting(field: &'static str, value: &'static str) -> Remedy {
    Remedy::Setting { field, value }
}

const fn ask(message: &'static str) -> Remedy {
    Remedy::AskCounterparty { message }
}

const fn row(
    family: Family,
    aspect: Aspect,
    what: &'static str,
    kinds: &'static [SignatureKind],
    remedy: Remedy,
) -> Variant {
    Variant {
        family,
        aspect,
        what,
        kinds,
        remedy,
        reported_in_the_wild: false,
    }
}

const fn wild(variant: Variant) -> Variant {
    Variant {
        reported_in_the_wild: true,
        ..variant
    }
}

const SIGN_TIMESTAMP_AS_SENT: &str = "Please sign the X-TIMESTAMP header value exactly as it is sent, character for character (SNAP: the stringToSign carries the X-TIMESTAMP value).";
const SIGN_PATH_AS_SENT: &str = "Please sign the relative path exactly as it is sent, query included, byte for byte (SNAP: relative URL with its query string).";
const SIGN_CLIENT_ID_AS_SENT: &str =
    "Please sign the X-CLIENT-KEY value exactly as it is sent (SNAP: clientId|X-TIMESTAMP).";

/// Every variant, in stringToSign order (then the key, the HMAC hash and the encoding).
pub const VARIANTS: &[Variant] = &[
    row(
        Family::MethodLowerCase,
        Aspect::Method,
        "signed the HTTP method in lower case",
        TRANSACTION,
        ask("Please sign the HTTP method in upper case (POST, GET), as SNAP requires."),
    ),
    row(
        Family::MethodAsTyped,
        Aspect::Method,
        "signed the HTTP method as typed, not upper-cased",
        TRANSACTION,
        ask("Please sign the HTTP method in upper case (POST, GET), as SNAP requires."),
    ),
    wild(row(
        Family::FullUrl,
        Aspect::Path,
        "signed the full URL (scheme and host) instead of the relative path",
        TRANSACTION,
        setting("pathForm", "full-url"),
    )),
    row(
        Family::PrefixSigned,
        Aspect::Path,
        "signed the context root that the profile treats as unsigned",
        TRANSACTION,
        setting("unsignedPathPrefix", ""),
    ),
    row(
        Family::FirstSegmentUnsigned,
        Aspect::Path,
        "left the first path segment (a context root such as /nicepay) out of the signed path",
        TRANSACTION,
        setting("unsignedPathPrefix", "<the segment>"),
    ),
    row(
        Family::QueryLeftOut,
        Aspect::Path,
        "left the query string out of the signed path",
        TRANSACTION,
        ask(SIGN_PATH_AS_SENT),
    ),
    row(
        Family::QuerySorted,
        Aspect::Path,
        "signed the query parameters sorted by name",
        TRANSACTION,
        ask(SIGN_PATH_AS_SENT),
    ),
    wild(row(
        Family::QueryEncoded,
        Aspect::Path,
        "percent-encoded the query before signing it",
        TRANSACTION,
        setting("queryEncoding", "encoded"),
    )),
    wild(row(
        Family::QueryDecoded,
        Aspect::Path,
        "percent-decoded the query before signing it",
        TRANSACTION,
        setting("queryEncoding", "decoded"),
    )),
    row(
        Family::TrailingSlash,
        Aspect::Path,
        "added or removed a trailing slash in the signed path",
        TRANSACTION,
        ask(SIGN_PATH_AS_SENT),
    ),
    row(
        Family::BearerSigned,
        Aspect::AccessToken,
        "signed the token with its `Bearer ` prefix",
        SYMMETRIC,
        ask(
            "Please sign the bare access token, without the `Bearer ` prefix of the Authorization header.",
        ),
    ),
    row(
        Family::TokenAsTyped,
        Aspect::AccessToken,
        "signed the Authorization value exactly as typed",
        SYMMETRIC,
        ask(
            "Please sign the bare access token, without the `Bearer ` prefix of the Authorization header.",
        ),
    ),
    row(
        Family::TokenLeftOut,
        Aspect::AccessToken,
        "left the access token out of a symmetric signature (the asymmetric layout)",
        SYMMETRIC,
        ask(
            "Please include the access token in the symmetric stringToSign: METHOD:path:accessToken:bodyHash:timestamp.",
        ),
    ),
    row(
        Family::MinifyLexical,
        Aspect::BodyHash,
        "minified the body by removing whitespace only",
        TRANSACTION,
        setting("minify", "lexical"),
    ),
    row(
        Family::MinifyJs,
        Aspect::BodyHash,
        "minified the body the JavaScript way (JSON.stringify)",
        TRANSACTION,
        setting("minify", "js"),
    ),
    row(
        Family::MinifyPhp,
        Aspect::BodyHash,
        "minified the body the PHP way (json_encode)",
        TRANSACTION,
        setting("minify", "php"),
    ),
    row(
        Family::MinifyGoSorted,
        Aspect::BodyHash,
        "minified the body the Go way (keys sorted)",
        TRANSACTION,
        setting("minify", "go-sorted"),
    ),
    row(
        Family::MinifyNone,
        Aspect::BodyHash,
        "hashed the body exactly as typed, without minifying",
        TRANSACTION,
        setting("minify", "none"),
    ),
    row(
        Family::EmptyBodySegmentLeftOut,
        Aspect::BodyHash,
        "left the body-hash segment out for an empty body",
        TRANSACTION,
        ask(
            "Please keep the body-hash segment for an empty body: SNAP hashes an absent body as SHA-256 of the empty string (e3b0c442…).",
        ),
    ),
    row(
        Family::EmptyBodySegmentEmpty,
        Aspect::BodyHash,
        "signed an empty body-hash segment (::) for an empty body",
        TRANSACTION,
        ask(
            "Please sign the SHA-256 of the empty string (e3b0c442…) as the body hash of an empty body, not an empty segment.",
        ),
    ),
    row(
        Family::EmptyBodyHashedAsOther,
        Aspect::BodyHash,
        "hashed an empty body as another text ({} or [] or the empty string)",
        TRANSACTION,
        ask(
            "Please hash exactly the body that is sent; an absent body is the empty string (SHA-256 e3b0c442…).",
        ),
    ),
    wild(row(
        Family::WhitespaceStrippedInStrings,
        Aspect::BodyHash,
        "stripped whitespace everywhere in the body, inside string values too",
        TRANSACTION,
        ask(
            "Please minify the body by removing whitespace outside string values only. Whitespace inside a string (\"Setya Wardana\") is data: removing it changes the body hash, and the body you receive no longer matches what you signed.",
        ),
    )),
    wild(row(
        Family::TrailingNewline,
        Aspect::BodyHash,
        "hashed the body with a trailing newline",
        TRANSACTION,
        ask(
            "Please hash the minified body bytes only, without a trailing newline. Tools such as jq and echo add one; use `jq -c -j` or `printf '%s'` before sha256sum.",
        ),
    )),
    row(
        Family::BodyHashUpperCase,
        Aspect::BodyHash,
        "wrote the body hash in upper-case hex",
        TRANSACTION,
        ask("Please write the body hash as lower-case hex, as SNAP requires."),
    ),
    row(
        Family::TimestampMillis,
        Aspect::Timestamp,
        "signed the timestamp with milliseconds",
        ALL_KINDS,
        setting("timestampStyle", "jakarta-millis"),
    ),
    row(
        Family::TimestampUtcMillisZ,
        Aspect::Timestamp,
        "signed the timestamp in UTC with milliseconds and Z",
        ALL_KINDS,
        setting("timestampStyle", "utc-millis-z"),
    ),
    row(
        Family::TimestampOtherSpelling,
        Aspect::Timestamp,
        "signed the same instant spelled another way (UTC, +00:00, no colon, no fraction)",
        ALL_KINDS,
        ask(SIGN_TIMESTAMP_AS_SENT),
    ),
    row(
        Family::ClientIdWhitespace,
        Aspect::ClientId,
        "signed the client ID with surrounding whitespace",
        CLIENT_ID_KINDS,
        ask(SIGN_CLIENT_ID_AS_SENT),
    ),
    row(
        Family::ClientIdCase,
        Aspect::ClientId,
        "signed the client ID in another letter case",
        CLIENT_ID_KINDS,
        ask(SIGN_CLIENT_ID_AS_SENT),
    ),
    wild(row(
        Family::TokenSeparator,
        Aspect::Separator,
        "joined clientId and timestamp with another separator than |",
        CLIENT_ID_KINDS,
        ask(
            "Please join the client ID and the timestamp with a pipe: clientId|X-TIMESTAMP (SNAP), with no other separator or spaces.",
        ),
    )),
    row(
        Family::SecretBase64Decoded,
        Aspect::ClientSecret,
        "Base64-decoded the client secret before using it as the HMAC key",
        SYMMETRIC,
        ask(
            "Please use the client secret's text (its UTF-8 bytes) as the HMAC key, not its Base64-decoded bytes.",
        ),
    ),
    wild(row(
        Family::HmacSha256,
        Aspect::Algorithm,
        "used HMAC-SHA256 where SNAP says HMAC-SHA512",
        SYMMETRIC,
        setting("hmacAlgorithm", "sha256"),
    )),
    row(
        Family::SignatureHex,
        Aspect::Encoding,
        "wrote the signature as hex instead of Base64",
        ALL_KINDS,
        ask("Please send the signature Base64-encoded (standard alphabet, with padding), not hex."),
    ),
    row(
        Family::SignatureUrlSafe,
        Aspect::Encoding,
        "wrote the signature as URL-safe Base64",
        ALL_KINDS,
        ask("Please send the signature in standard Base64 (+ and /), not URL-safe Base64."),
    ),
];

/// The row of a family (every family has one; the tests check it).
pub fn variant(family: Family) -> Option<&'static Variant> {
    VARIANTS.iter().find(|v| v.family == family)
}

/// The table as text: the CLI's `diagnose --help` and the workbench help show this.
pub fn help_text() -> String {
    let mut text = String::from("Variants the diagnosis recognises (alone or two together):\n");
    for v in VARIANTS {
        let kinds: Vec<&str> = v.kinds.iter().map(|k| k.name()).collect();
        let remedy = match v.remedy {
            Remedy::Setting { field, value } => format!("profile setting {field} = {value}"),
            Remedy::AskCounterparty { .. } => "their bug: ask them to fix it".to_string(),
        };
        text.push_str(&format!(
            "  - the counterparty {} [{}] → {remedy}\n",
            v.what,
            kinds.join(", ")
        ));
    }
    text
}
