//! The dimensions of the diagnosis search: for each detail of the signing, the standard
//! value and the known deviations (each tied to its row of the variant table), and how a
//! chosen value of every dimension makes one candidate stringToSign.

use chrono::{DateTime, FixedOffset, SecondsFormat, Utc};

use super::variants::Family;
use super::{Deviation, Shape, hmac_name, string_to_sign_of};
use crate::snap::minify::{MinifyMode, minify};
use crate::snap::signature::{
    HmacAlgorithm, PartName, QueryEncoding, SignatureInput, SignatureKind, StringToSign,
    VerifyingSecret, body_hash_hex, origin_of, signed_path, with_query_encoding,
};
use crate::snap::timestamp::{self, JAKARTA_OFFSET_SECONDS};

/// Separators seen instead of `|` in `clientId|timestamp` (SDK code and test scripts).
const OTHER_SEPARATORS: [&str; 12] = [":", ",", ";", "-", "_", "&", ".", "+", "/", " ", "", "||"];

/// What the body-hash segment is made of.
#[derive(Clone, PartialEq, Eq)]
pub(super) enum BodyForm {
    /// The hash of the body text number `i` of [`BodyHashes`].
    Text(usize),
    /// A literal segment, or none at all (empty-body conventions).
    Segment(Option<String>),
}

/// One candidate value of one dimension.
#[derive(Clone)]
pub(super) enum Value<'a> {
    Method(String),
    Origin(Option<String>),
    Path(String),
    ToggleSlash(bool),
    Query(Option<String>),
    Token(Option<String>),
    Body(BodyForm),
    StripWhitespace(bool),
    TrailingNewline(bool),
    UpperCaseHash(bool),
    ClientId(String),
    Timestamp(String),
    Separator(&'static str),
    Key(usize, VerifyingSecret<'a>),
    Hmac(HmacAlgorithm),
}

impl<'a> Value<'a> {
    pub(super) fn apply(&self, c: &mut Candidate<'a>) {
        match self {
            Value::Method(v) => c.method.clone_from(v),
            Value::Origin(v) => c.origin.clone_from(v),
            Value::Path(v) => c.path.clone_from(v),
            Value::ToggleSlash(v) => c.toggle_slash = *v,
            Value::Query(v) => c.query.clone_from(v),
            Value::Token(v) => c.token.clone_from(v),
            Value::Body(v) => c.body = v.clone(),
            Value::StripWhitespace(v) => c.strip_whitespace = *v,
            Value::TrailingNewline(v) => c.trailing_newline = *v,
            Value::UpperCaseHash(v) => c.upper_case_hash = *v,
            Value::ClientId(v) => c.client_id.clone_from(v),
            Value::Timestamp(v) => c.timestamp.clone_from(v),
            Value::Separator(v) => c.separator = v,
            Value::Key(i, key) => {
                c.key_index = *i;
                c.key = *key;
            }
            Value::Hmac(v) => c.hmac = *v,
        }
    }

    /// Whether two values give the same candidate (keys never compare equal).
    fn same_as(&self, other: &Value<'a>) -> bool {
        match (self, other) {
            (Value::Method(a), Value::Method(b))
            | (Value::Path(a), Value::Path(b))
            | (Value::ClientId(a), Value::ClientId(b))
            | (Value::Timestamp(a), Value::Timestamp(b)) => a == b,
            (Value::Origin(a), Value::Origin(b))
            | (Value::Query(a), Value::Query(b))
            | (Value::Token(a), Value::Token(b)) => a == b,
            (Value::Body(a), Value::Body(b)) => a == b,
            (Value::Separator(a), Value::Separator(b)) => a == b,
            _ => false,
        }
    }
}

pub(super) struct Choice<'a> {
    pub(super) value: Value<'a>,
    /// None for the standard value.
    pub(super) deviation: Option<Deviation>,
}

/// Candidate values of one detail, the standard first when there is one.
pub(super) struct Dimension<'a> {
    pub(super) choices: Vec<Choice<'a>>,
}

impl<'a> Dimension<'a> {
    fn new(standard: Option<Value<'a>>) -> Self {
        Dimension {
            choices: standard
                .map(|value| {
                    vec![Choice {
                        value,
                        deviation: None,
                    }]
                })
                .unwrap_or_default(),
        }
    }

    /// Adds a deviant value unless an earlier choice already gives the same value.
    fn push(&mut self, value: Value<'a>, deviation: Deviation) {
        if self.choices.iter().all(|c| !c.value.same_as(&value)) {
            self.choices.push(Choice {
                value,
                deviation: Some(deviation),
            });
        }
    }

    fn deviate(&mut self, value: Value<'a>, family: Family, description: String) {
        self.push(value, Deviation::new(family, description));
    }

    pub(super) fn shape(&self) -> Shape {
        Shape {
            len: self.choices.len(),
            has_standard: self.choices.first().is_some_and(|c| c.deviation.is_none()),
        }
    }
}

/// Every value one candidate stringToSign is built from.
#[derive(Clone)]
pub(super) struct Candidate<'a> {
    method: String,
    origin: Option<String>,
    path: String,
    toggle_slash: bool,
    query: Option<String>,
    token: Option<String>,
    body: BodyForm,
    strip_whitespace: bool,
    trailing_newline: bool,
    upper_case_hash: bool,
    client_id: String,
    timestamp: String,
    separator: &'static str,
    pub(super) key_index: usize,
    pub(super) key: VerifyingSecret<'a>,
    pub(super) hmac: HmacAlgorithm,
}

impl<'a> Candidate<'a> {
    pub(super) fn empty() -> Self {
        Candidate {
            method: String::new(),
            origin: None,
            path: String::new(),
            toggle_slash: false,
            query: None,
            token: None,
            body: BodyForm::Segment(None),
            strip_whitespace: false,
            trailing_newline: false,
            upper_case_hash: false,
            client_id: String::new(),
            timestamp: String::new(),
            separator: "|",
            key_index: 0,
            key: VerifyingSecret::Hmac(&[]),
            hmac: HmacAlgorithm::Sha512,
        }
    }

    /// None when the combination means nothing (a newline added to a missing body hash).
    pub(super) fn string_to_sign(
        &self,
        kind: SignatureKind,
        body: &BodyHashes,
    ) -> Option<StringToSign> {
        if !kind.covers_request() {
            let parts = vec![
                (PartName::ClientId, self.client_id.clone()),
                (PartName::Timestamp, self.timestamp.clone()),
            ];
            return Some(string_to_sign_of(parts, self.separator));
        }
        let mut parts = vec![
            (PartName::Method, self.method.clone()),
            (PartName::Path, self.signed_path()),
        ];
        if kind == SignatureKind::Symmetric
            && let Some(token) = &self.token
        {
            parts.push((PartName::AccessToken, token.clone()));
        }
        let modified = self.strip_whitespace || self.trailing_newline || self.upper_case_hash;
        let hash = match &self.body {
            BodyForm::Text(i) => {
                let hash = body.hash(*i, self.strip_whitespace, self.trailing_newline)?;
                Some(if self.upper_case_hash {
                    hash.to_ascii_uppercase()
                } else {
                    hash.to_string()
                })
            }
            BodyForm::Segment(_) if modified => return None,
            BodyForm::Segment(segment) => segment.clone(),
        };
        if let Some(hash) = hash {
            parts.push((PartName::BodyHash, hash));
        }
        parts.push((PartName::Timestamp, self.timestamp.clone()));
        Some(string_to_sign_of(parts, ":"))
    }

    fn signed_path(&self) -> String {
        let mut path = self.path.clone();
        if self.toggle_slash {
            path = toggle_trailing_slash(&path).0;
        }
        if let Some(query) = &self.query {
            path = format!("{path}?{query}");
        }
        match &self.origin {
            Some(origin) => format!("{origin}{path}"),
            None => path,
        }
    }
}

// ---------------------------------------------------------------------------------------
// The body texts and their hashes, computed once
// ---------------------------------------------------------------------------------------

struct BodyText {
    /// SHA-256 hex of the text, [whitespace stripped][trailing newline].
    hashes: [[String; 2]; 2],
    /// None for the standard text (the input's minify mode).
    deviation: Option<Deviation>,
}

/// Every body text the counterparty may have hashed, hashed once each way.
pub(super) struct BodyHashes {
    texts: Vec<BodyText>,
    /// The standard minified body, when the input's mode can read it.
    standard: Option<String>,
}

impl BodyHashes {
    pub(super) fn new(input: &SignatureInput, notes: &mut Vec<String>) -> Self {
        let mut hashes = BodyHashes {
            texts: Vec::new(),
            standard: None,
        };
        if !input.kind.covers_request() {
            return hashes;
        }
        let mode = input.minify;
        match minify(&input.body, mode) {
            Ok(minified) => {
                hashes.add(&minified, None);
                hashes.standard = Some(minified);
            }
            Err(e) => notes.push(format!(
                "the body cannot be minified in {mode} mode ({e}); only the modes that can read it were tried"
            )),
        }
        for other in MinifyMode::ALL.into_iter().filter(|m| *m != mode) {
            if let Ok(minified) = minify(&input.body, other) {
                let (family, words) = minify_deviation(other);
                hashes.add(&minified, Some(Deviation::new(family, words.to_string())));
            }
        }
        if let Some(empty) = hashes.standard.as_deref().and_then(empty_body_name) {
            for (stand_in, why) in [
                ("", "the empty string"),
                ("{}", "`{}`"),
                ("[]", "`[]` (an empty PHP array)"),
            ] {
                let words = format!("{empty} was hashed as {why}");
                hashes.add(
                    stand_in,
                    Some(Deviation::new(Family::EmptyBodyHashedAsOther, words)),
                );
            }
        }
        hashes
    }

    /// Adds a text unless an earlier one is the same.
    fn add(&mut self, text: &str, deviation: Option<Deviation>) {
        let plain = body_hash_hex(text);
        if self.texts.iter().any(|t| t.hashes[0][0] == plain) {
            return;
        }
        let stripped: String = text.chars().filter(|c| !c.is_whitespace()).collect();
        self.texts.push(BodyText {
            hashes: [
                [plain, body_hash_hex(&format!("{text}\n"))],
                [
                    body_hash_hex(&stripped),
                    body_hash_hex(&format!("{stripped}\n")),
                ],
            ],
            deviation,
        });
    }

    fn hash(&self, i: usize, stripped: bool, newline: bool) -> Option<&str> {
        let text = self.texts.get(i)?;
        Some(&text.hashes[usize::from(stripped)][usize::from(newline)])
    }
}

fn empty_body_name(minified: &str) -> Option<&'static str> {
    match minified {
        "" => Some("the empty body"),
        "{}" => Some("the empty object body"),
        _ => None,
    }
}

fn minify_deviation(mode: MinifyMode) -> (Family, &'static str) {
    match mode {
        MinifyMode::Lexical => (
            Family::MinifyLexical,
            "the body was minified by removing whitespace only (Go json.Compact style)",
        ),
        MinifyMode::Js => (
            Family::MinifyJs,
            "the body was minified the JavaScript way (JSON.stringify(JSON.parse(body)): \\/ and \\uXXXX unescaped, numbers re-printed)",
        ),
        MinifyMode::Php => (
            Family::MinifyPhp,
            "the body was minified the PHP way (json_encode: escaped slashes and \\uXXXX)",
        ),
        MinifyMode::GoSorted => (
            Family::MinifyGoSorted,
            "the body was minified the Go way (json.Marshal of a map: keys sorted, <>& escaped)",
        ),
        MinifyMode::None => (
            Family::MinifyNone,
            "the body was hashed exactly as typed, without minifying",
        ),
    }
}

// ---------------------------------------------------------------------------------------
// The dimensions of each kind
// ---------------------------------------------------------------------------------------

/// The dimensions of `input.kind`, in stringToSign order, then the key and the HMAC hash.
pub(super) fn all<'a>(
    input: &SignatureInput,
    base_url: &str,
    secret: VerifyingSecret<'a>,
    decoded_secret: Option<&'a [u8]>,
    body: &BodyHashes,
    notes: &mut Vec<String>,
) -> Vec<Dimension<'a>> {
    let mut dimensions = Vec::new();
    if input.kind.covers_request() {
        dimensions.push(method_dimension(&input.method));
        dimensions.extend(path_dimensions(input, base_url));
        if input.kind == SignatureKind::Symmetric {
            dimensions.push(token_dimension(&input.access_token));
        }
        dimensions.extend(body_dimensions(body));
    } else {
        dimensions.push(client_id_dimension(&input.client_id));
    }
    dimensions.push(timestamp_dimension(&input.timestamp, notes));
    if !input.kind.covers_request() {
        dimensions.push(separator_dimension());
    }
    dimensions.push(key_dimension(secret, decoded_secret));
    if input.kind == SignatureKind::Symmetric {
        let mut hmac = Dimension::new(Some(Value::Hmac(HmacAlgorithm::Sha512)));
        hmac.deviate(
            Value::Hmac(HmacAlgorithm::Sha256),
            Family::HmacSha256,
            format!(
                "the signature was made with {} instead of {}",
                hmac_name(HmacAlgorithm::Sha256),
                hmac_name(HmacAlgorithm::Sha512)
            ),
        );
        dimensions.push(hmac);
    }
    dimensions
}

fn method_dimension<'a>(given: &str) -> Dimension<'a> {
    let given = given.trim();
    let mut dimension = Dimension::new(Some(Value::Method(given.to_ascii_uppercase())));
    let lower = given.to_ascii_lowercase();
    dimension.deviate(
        Value::Method(lower.clone()),
        Family::MethodLowerCase,
        format!("the method was signed in lower case: {lower}"),
    );
    dimension.deviate(
        Value::Method(given.to_string()),
        Family::MethodAsTyped,
        format!("the method was signed as typed, not upper-cased: {given}"),
    );
    dimension
}

/// Host, path (context root), trailing slash and query: four dimensions.
fn path_dimensions<'a>(input: &SignatureInput, base_url: &str) -> Vec<Dimension<'a>> {
    // Warnings about the path are prepare()'s business; the diagnosis only needs values.
    let mut ignored = Vec::new();
    let standard = signed_path(&input.path, &input.unsigned_path_prefix, &mut ignored);
    let as_sent = signed_path(&input.path, "", &mut ignored);
    let (path, query) = match standard.split_once('?') {
        Some((p, q)) => (p.to_string(), Some(q.to_string())),
        None => (standard.clone(), None),
    };
    let shown_query = query
        .as_deref()
        .map(|q| format!("?{q}"))
        .unwrap_or_default();
    let mut dimensions = Vec::new();
    let origin = origin_of(base_url).or_else(|| origin_of(&input.path));
    if let Some(origin) = origin {
        let unsigned = as_sent.strip_suffix(standard.as_str()).unwrap_or("");
        let mut host = Dimension::new(Some(Value::Origin(None)));
        host.deviate(
            Value::Origin(Some(format!("{origin}{unsigned}"))),
            Family::FullUrl,
            format!("the full URL was signed instead of the relative path: {origin}{as_sent}"),
        );
        dimensions.push(host);
    }
    dimensions.push(context_root_dimension(input, &path, &shown_query));
    let mut slash = Dimension::new(Some(Value::ToggleSlash(false)));
    let (toggled, words) = toggle_trailing_slash(&path);
    if toggled != path {
        slash.deviate(
            Value::ToggleSlash(true),
            Family::TrailingSlash,
            format!("{words}: {toggled}{shown_query}"),
        );
        dimensions.push(slash);
    }
    if let Some(query) = query {
        dimensions.push(query_dimension(&path, query));
    }
    dimensions
}

/// The path without its query: the unsigned prefix signed too, or a guessed one left out.
fn context_root_dimension<'a>(
    input: &SignatureInput,
    path: &str,
    shown_query: &str,
) -> Dimension<'a> {
    let mut ignored = Vec::new();
    let mut dimension = Dimension::new(Some(Value::Path(path.to_string())));
    let prefix = input.unsigned_path_prefix.trim().trim_end_matches('/');
    if !prefix.is_empty() {
        let with_prefix = signed_path(&input.path, "", &mut ignored);
        let with_prefix = with_prefix.split('?').next().unwrap_or("").to_string();
        dimension.deviate(
            Value::Path(with_prefix.clone()),
            Family::PrefixSigned,
            format!("the unsigned prefix {prefix} was signed too: {with_prefix}{shown_query}"),
        );
    } else if let Some((segment, rest)) = split_first_segment(path) {
        // NICEPAY sends /nicepay/api/… but signs /api/…; a user who did not know that has
        // no prefix configured, so the first segment is the likely culprit.
        let deviation = Deviation::new(
            Family::FirstSegmentUnsigned,
            format!(
                "the first path segment {segment} was left out of the signed path (as NICEPAY does with /nicepay): {rest}{shown_query}"
            ),
        )
        .with_setting_value(segment);
        dimension.push(Value::Path(rest.to_string()), deviation);
    }
    dimension
}

fn query_dimension<'a>(path: &str, query: String) -> Dimension<'a> {
    let mut dimension = Dimension::new(Some(Value::Query(Some(query.clone()))));
    dimension.deviate(
        Value::Query(None),
        Family::QueryLeftOut,
        format!("the query string was left out of the signed path: {path}"),
    );
    let sorted = sorted_query(&query);
    dimension.deviate(
        Value::Query(Some(sorted.clone())),
        Family::QuerySorted,
        format!("the query parameters were signed sorted by name: {path}?{sorted}"),
    );
    let with_query = format!("{path}?{query}");
    for (encoding, family, words) in [
        (
            QueryEncoding::Encoded,
            Family::QueryEncoded,
            "the query was percent-encoded before signing",
        ),
        (
            QueryEncoding::Decoded,
            Family::QueryDecoded,
            "the query was percent-decoded before signing",
        ),
    ] {
        let rewritten = with_query_encoding(&with_query, encoding);
        let new_query = rewritten.split_once('?').map(|(_, q)| q.to_string());
        dimension.deviate(
            Value::Query(new_query),
            family,
            format!("{words}: {rewritten}"),
        );
    }
    dimension
}

/// `/nicepay/api/v1.0/x` → (`/nicepay`, `/api/v1.0/x`), when something is left.
fn split_first_segment(path: &str) -> Option<(&str, &str)> {
    let after_slash = path.strip_prefix('/')?;
    let end = 1 + after_slash.find('/')?;
    let rest = path.get(end..)?;
    (rest.len() > 1).then_some((path.get(..end)?, rest))
}

fn sorted_query(query: &str) -> String {
    let mut pairs: Vec<&str> = query.split('&').collect();
    pairs.sort_unstable();
    pairs.join("&")
}

/// The path (no query) with its trailing slash removed or added, and how it changed.
fn toggle_trailing_slash(path: &str) -> (String, &'static str) {
    if path.len() > 1 && path.ends_with('/') {
        (
            path.trim_end_matches('/').to_string(),
            "the trailing slash was left out of the signed path",
        )
    } else if !path.is_empty() && !path.ends_with('/') {
        (
            format!("{path}/"),
            "a trailing slash was added to the signed path",
        )
    } else {
        (path.to_string(), "")
    }
}

fn token_dimension<'a>(given: &str) -> Dimension<'a> {
    let trimmed = given.trim();
    let bare = match trimmed.get(..7) {
        Some(head) if head.eq_ignore_ascii_case("bearer ") => {
            trimmed.get(7..).unwrap_or("").trim_start()
        }
        _ => trimmed,
    };
    let mut dimension = Dimension::new(Some(Value::Token(Some(bare.to_string()))));
    dimension.deviate(
        Value::Token(Some(format!("Bearer {bare}"))),
        Family::BearerSigned,
        "the `Bearer ` prefix was included in the signed token".to_string(),
    );
    dimension.deviate(
        Value::Token(Some(trimmed.to_string())),
        Family::TokenAsTyped,
        "the token was signed exactly as typed, prefix included".to_string(),
    );
    dimension.deviate(
        Value::Token(None),
        Family::TokenLeftOut,
        "the access token was left out of the stringToSign (the asymmetric layout)".to_string(),
    );
    dimension
}

/// Body text (minify mode, empty-body conventions), whitespace stripped in strings,
/// trailing newline, and the hex case of the hash: four dimensions.
fn body_dimensions<'a>(body: &BodyHashes) -> Vec<Dimension<'a>> {
    let mut form = Dimension {
        choices: Vec::new(),
    };
    for (i, text) in body.texts.iter().enumerate() {
        form.choices.push(Choice {
            value: Value::Body(BodyForm::Text(i)),
            deviation: text.deviation.clone(),
        });
    }
    if let Some(empty) = body.standard.as_deref().and_then(empty_body_name) {
        form.deviate(
            Value::Body(BodyForm::Segment(None)),
            Family::EmptyBodySegmentLeftOut,
            format!(
                "the body hash segment was left out for {empty} (as gilang-as/snap-bi-go does)"
            ),
        );
        form.deviate(
            Value::Body(BodyForm::Segment(Some(String::new()))),
            Family::EmptyBodySegmentEmpty,
            format!(
                "an empty body-hash segment (::) was signed for {empty} (as TheArKaID/snap-bi-signer-js does)"
            ),
        );
    }
    let mut strip = Dimension::new(Some(Value::StripWhitespace(false)));
    strip.deviate(
        Value::StripWhitespace(true),
        Family::WhitespaceStrippedInStrings,
        "whitespace was stripped everywhere in the body, inside string values too (\"Setya Wardana\" became \"SetyaWardana\")".to_string(),
    );
    let mut newline = Dimension::new(Some(Value::TrailingNewline(false)));
    newline.deviate(
        Value::TrailingNewline(true),
        Family::TrailingNewline,
        "the body was hashed with a trailing newline (as `jq … | sha256sum` does)".to_string(),
    );
    let mut case = Dimension::new(Some(Value::UpperCaseHash(false)));
    case.deviate(
        Value::UpperCaseHash(true),
        Family::BodyHashUpperCase,
        "the body hash was written in upper-case hex".to_string(),
    );
    vec![form, strip, newline, case]
}

fn client_id_dimension<'a>(given: &str) -> Dimension<'a> {
    let trimmed = given.trim();
    let mut dimension = Dimension::new(Some(Value::ClientId(trimmed.to_string())));
    dimension.deviate(
        Value::ClientId(given.to_string()),
        Family::ClientIdWhitespace,
        "the client ID was signed with its surrounding whitespace".to_string(),
    );
    let upper = trimmed.to_uppercase();
    dimension.deviate(
        Value::ClientId(upper.clone()),
        Family::ClientIdCase,
        format!("the client ID was signed in upper case: {upper}"),
    );
    let lower = trimmed.to_lowercase();
    dimension.deviate(
        Value::ClientId(lower.clone()),
        Family::ClientIdCase,
        format!("the client ID was signed in lower case: {lower}"),
    );
    dimension
}

fn separator_dimension<'a>() -> Dimension<'a> {
    let mut dimension = Dimension::new(Some(Value::Separator("|")));
    for separator in OTHER_SEPARATORS {
        let shown = match separator {
            "" => "nothing (the two values run together)".to_string(),
            " " => "a space".to_string(),
            other => format!("`{other}`"),
        };
        dimension.deviate(
            Value::Separator(separator),
            Family::TokenSeparator,
            format!("the client ID and the timestamp were joined with {shown} instead of `|`"),
        );
    }
    dimension
}

fn timestamp_dimension<'a>(given: &str, notes: &mut Vec<String>) -> Dimension<'a> {
    let given = given.trim();
    let mut dimension = Dimension::new(Some(Value::Timestamp(given.to_string())));
    let parsed = match timestamp::parse_lenient(given) {
        Ok(parsed) => parsed,
        Err(e) => {
            notes.push(format!("{e}; its other spellings were not tried"));
            return dimension;
        }
    };
    for (value, family, description) in timestamp_spellings(given, parsed) {
        dimension.deviate(
            Value::Timestamp(value.clone()),
            family,
            format!("the timestamp was signed {description}: {value}"),
        );
    }
    dimension
}

/// The same instant written the ways SNAP_NOTES §3 lists, with how each differs.
fn timestamp_spellings(
    given: &str,
    parsed: DateTime<FixedOffset>,
) -> Vec<(String, Family, &'static str)> {
    let utc = parsed.with_timezone(&Utc);
    let other = Family::TimestampOtherSpelling;
    let mut spellings = Vec::new();
    if given.contains('.') {
        spellings.push((
            parsed.to_rfc3339_opts(SecondsFormat::Secs, true),
            other,
            "without its fraction of a second",
        ));
    } else {
        spellings.push((
            parsed.to_rfc3339_opts(SecondsFormat::Millis, true),
            Family::TimestampMillis,
            "with milliseconds",
        ));
    }
    spellings.push((
        utc.to_rfc3339_opts(SecondsFormat::Secs, true),
        other,
        "in UTC with Z",
    ));
    spellings.push((
        utc.to_rfc3339_opts(SecondsFormat::Millis, true),
        Family::TimestampUtcMillisZ,
        "in UTC with milliseconds and Z",
    ));
    spellings.push((
        utc.to_rfc3339_opts(SecondsFormat::Secs, false),
        other,
        "at the same instant in +00:00",
    ));
    if let Some(jakarta) = FixedOffset::east_opt(JAKARTA_OFFSET_SECONDS) {
        spellings.push((
            parsed
                .with_timezone(&jakarta)
                .to_rfc3339_opts(SecondsFormat::Secs, false),
            other,
            "in Jakarta time (+07:00)",
        ));
    }
    let with_colon = parsed.to_rfc3339_opts(SecondsFormat::Secs, false);
    // chrono writes ±HH:MM last, so the colon is the third character from the end.
    let colon = with_colon.len().saturating_sub(3);
    if with_colon.get(colon..=colon) == Some(":") {
        let mut without_colon = with_colon.clone();
        without_colon.remove(colon);
        spellings.push((without_colon, other, "with no colon in the offset"));
    }
    spellings
}

/// The secret as given (standard; for HMAC its UTF-8 bytes), or Base64-decoded.
fn key_dimension<'a>(secret: VerifyingSecret<'a>, decoded: Option<&'a [u8]>) -> Dimension<'a> {
    let mut dimension = Dimension::new(Some(Value::Key(0, secret)));
    if let Some(decoded) = decoded {
        dimension.deviate(
            Value::Key(1, VerifyingSecret::Hmac(decoded)),
            Family::SecretBase64Decoded,
            "the client secret was Base64-decoded before use as the HMAC key".to_string(),
        );
    }
    dimension
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(dimension: &Dimension<'_>) -> Vec<String> {
        dimension
            .choices
            .iter()
            .map(|c| match &c.value {
                Value::Path(p) => p.clone(),
                Value::Query(q) => q.clone().unwrap_or_else(|| "<none>".into()),
                Value::Timestamp(t) => t.clone(),
                Value::Origin(o) => o.clone().unwrap_or_else(|| "<none>".into()),
                _ => "<other>".into(),
            })
            .collect()
    }

    #[test]
    fn timestamp_spellings_cover_the_known_shapes() {
        let mut notes = Vec::new();
        let dimension = timestamp_dimension("2024-12-01T07:15:00+07:00", &mut notes);
        assert_eq!(
            values(&dimension),
            [
                "2024-12-01T07:15:00+07:00",
                "2024-12-01T07:15:00.000+07:00",
                "2024-12-01T00:15:00Z",
                "2024-12-01T00:15:00.000Z",
                "2024-12-01T00:15:00+00:00",
                "2024-12-01T07:15:00+0700",
            ]
        );
        let from_utc = values(&timestamp_dimension("2024-12-01T00:15:00.123Z", &mut notes));
        for expected in [
            "2024-12-01T00:15:00Z",
            "2024-12-01T07:15:00+07:00",
            "2024-12-01T00:15:00+0000",
        ] {
            assert!(from_utc.iter().any(|v| v == expected), "{from_utc:?}");
        }
        assert!(notes.is_empty());
    }

    #[test]
    fn path_dimensions_split_host_root_slash_and_query() {
        let input = SignatureInput {
            kind: SignatureKind::Symmetric,
            path: "/nicepay/api/v1.0/x?b=2&a=%3A".into(),
            unsigned_path_prefix: "/nicepay".into(),
            ..SignatureInput::default()
        };
        let dimensions = path_dimensions(&input, "https://h.example/nicepay");
        let all: Vec<Vec<String>> = dimensions.iter().map(values).collect();
        assert_eq!(
            all,
            [
                vec!["<none>", "https://h.example/nicepay"],
                vec!["/api/v1.0/x", "/nicepay/api/v1.0/x"],
                vec!["<other>", "<other>"],
                vec!["b=2&a=%3A", "<none>", "a=%3A&b=2", "b=2&a=:"],
            ]
        );
        let guessed = SignatureInput {
            path: "https://h.example/nicepay/api/x/#f".into(),
            unsigned_path_prefix: String::new(),
            ..input
        };
        let dimensions = path_dimensions(&guessed, "");
        let all: Vec<Vec<String>> = dimensions.iter().map(values).collect();
        assert_eq!(
            all,
            [
                vec!["<none>", "https://h.example"],
                vec!["/nicepay/api/x/", "/api/x/"],
                vec!["<other>", "<other>"],
            ]
        );
        assert_eq!(split_first_segment("/only"), None);
        assert_eq!(split_first_segment("/a/"), None);
        assert_eq!(split_first_segment(""), None);
    }
}
