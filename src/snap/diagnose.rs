//! "Why is my signature rejected?": given the inputs a developer used and the signature the
//! counterparty expected (or produced), find the variant of the stringToSign that verifies,
//! and say in words how it departs from the standard.
//!
//! Providers and libraries disagree on many small details (SNAP_NOTES §1.2, §2, §3, §10):
//! how the body is minified, what an empty body hashes to, the timestamp's shape, whether a
//! path prefix, the query or `Bearer ` is signed, the method's case, hex or Base64, and
//! whether the client secret is Base64-decoded. Each detail is a *dimension* with a standard
//! value and a few known deviations. The search tries the standard first, then every single
//! deviation, then every pair of deviations from two different dimensions, and stops at the
//! first signature that verifies, so the answer is always the explanation with the fewest
//! deviations.
//!
//! The signature text is decoded once (every reading: Base64, hex, URL-safe), and every
//! dimension's candidate values are computed once (each minify mode runs once), so the cost
//! of the search is the verifications themselves: HMAC is microseconds, an RSA public-key
//! verification about a tenth of a millisecond in release builds.
//!
//! Pure code: no I/O, no clock. Nothing here panics on input; a body that is not JSON just
//! leaves out the minify modes that cannot read it.

use std::collections::HashSet;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, FixedOffset, SecondsFormat, Utc};

use super::minify::{MinifyMode, minify};
use super::signature::{
    Algorithm, Part, PartName, SignatureEncoding, SignatureError, SignatureInput, SignatureKind,
    StringToSign, VerifyingSecret, body_hash_hex, decode_signature, signed_path, verify_readings,
};
use super::timestamp::{self, JAKARTA_OFFSET_SECONDS};

/// Combinations of more deviations than this are not tried: two already cover the real
/// cases seen (e.g. PHP minify *and* a `Z` timestamp), and the count grows fast beyond.
pub const MAX_DEVIATIONS: usize = 2;

/// Which aspect of the signing a deviation concerns; the UI highlights by it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Aspect {
    ClientId,
    Timestamp,
    Method,
    Path,
    AccessToken,
    BodyHash,
    /// How the HMAC key was derived from the client secret.
    ClientSecret,
    /// How the signature bytes were written (hex, URL-safe Base64).
    Encoding,
}

impl Aspect {
    fn of_part(name: PartName) -> Aspect {
        match name {
            PartName::ClientId => Aspect::ClientId,
            PartName::Timestamp => Aspect::Timestamp,
            PartName::Method => Aspect::Method,
            PartName::Path => Aspect::Path,
            PartName::AccessToken => Aspect::AccessToken,
            PartName::BodyHash => Aspect::BodyHash,
        }
    }

    /// The stringToSign part this aspect is about, if any.
    pub fn part(self) -> Option<PartName> {
        match self {
            Aspect::ClientId => Some(PartName::ClientId),
            Aspect::Timestamp => Some(PartName::Timestamp),
            Aspect::Method => Some(PartName::Method),
            Aspect::Path => Some(PartName::Path),
            Aspect::AccessToken => Some(PartName::AccessToken),
            Aspect::BodyHash => Some(PartName::BodyHash),
            Aspect::ClientSecret | Aspect::Encoding => None,
        }
    }
}

/// One way the matching signature departs from the SNAP standard, in plain English.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Deviation {
    pub aspect: Aspect,
    pub description: String,
}

/// The outcome of [`diagnose`].
///
/// `matched` with no `deviations` means the inputs are right and the signature follows the
/// standard; `matched` with deviations means the counterparty signed a variant, described
/// by the deviations; not `matched` means no known variant explains the signature (usually
/// another key or secret, or inputs that differ in content, not in form).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Diagnosis {
    pub matched: bool,
    /// The stringToSign that verified.
    pub string_to_sign: Option<String>,
    /// The same, part by part, for colouring.
    pub parts: Option<StringToSign>,
    /// Fewest first: none when the standard matched.
    pub deviations: Vec<Deviation>,
    /// How many (stringToSign, key) candidates were verified.
    pub tried: usize,
    /// The encoding under which the signature verified.
    pub encoding: Option<SignatureEncoding>,
    /// What the standard says the stringToSign is (None when it cannot be built, e.g. a body
    /// that is not valid JSON for the chosen minify mode), to show beside the match.
    pub standard_string_to_sign: Option<String>,
    /// Things about the inputs worth knowing whatever the outcome (a body the chosen minify
    /// mode cannot read, a timestamp that cannot be parsed so its variants were not tried).
    pub notes: Vec<String>,
}

impl Diagnosis {
    /// The deviation descriptions alone, in order.
    pub fn deviation_texts(&self) -> Vec<&str> {
        self.deviations
            .iter()
            .map(|d| d.description.as_str())
            .collect()
    }
}

/// Find the variant of `input`'s stringToSign (and of the HMAC key) under which
/// `expected_signature` verifies with `secret`.
///
/// Errors only when nothing can be tried: the signature is empty or undecodable, or the
/// secret does not fit the kind (a client secret for an RSA kind or the reverse).
pub fn diagnose(
    input: &SignatureInput,
    expected_signature: &str,
    secret: VerifyingSecret<'_>,
) -> Result<Diagnosis, SignatureError> {
    check_secret_fits_kind(input.kind, secret)?;
    let readings = decode_signature(expected_signature)?;
    let decoded_secret = base64_decoded_secret(secret);
    let mut notes = Vec::new();
    let space = SearchSpace {
        separator: if input.kind.covers_request() {
            ":"
        } else {
            "|"
        },
        parts: part_dimensions(input, &mut notes),
        keys: key_choices(secret, decoded_secret.as_deref()),
    };
    let standard_string_to_sign = space.standard_text();
    let mut tried_messages = HashSet::new();
    let mut tried = 0;
    for selection in space.selections() {
        let (string_to_sign, key) = space.build(&selection);
        let text = string_to_sign.text();
        if !tried_messages.insert((text.clone(), selection.key)) {
            continue; // two variants that happen to give the same bytes
        }
        tried += 1;
        let verdict = verify_readings(input.kind, text.as_bytes(), key, &readings)?;
        if verdict.valid {
            let mut deviations = space.deviations(&selection);
            deviations.extend(encoding_deviation(verdict.encoding));
            return Ok(Diagnosis {
                matched: true,
                string_to_sign: Some(text),
                parts: Some(string_to_sign),
                deviations,
                tried,
                encoding: verdict.encoding,
                standard_string_to_sign,
                notes,
            });
        }
    }
    Ok(Diagnosis {
        matched: false,
        string_to_sign: None,
        parts: None,
        deviations: Vec::new(),
        tried,
        encoding: None,
        standard_string_to_sign,
        notes,
    })
}

fn check_secret_fits_kind(
    kind: SignatureKind,
    secret: VerifyingSecret<'_>,
) -> Result<(), SignatureError> {
    match (kind.algorithm(), secret) {
        (Algorithm::Sha256WithRsa, VerifyingSecret::Rsa(_))
        | (Algorithm::HmacSha512, VerifyingSecret::Hmac(_)) => Ok(()),
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

fn encoding_deviation(encoding: Option<SignatureEncoding>) -> Option<Deviation> {
    let description = match encoding? {
        SignatureEncoding::Base64 => return None,
        SignatureEncoding::Hex => "the signature was written as hex, not Base64",
        SignatureEncoding::UrlSafeBase64 => {
            "the signature was written as URL-safe Base64 (- and _ instead of + and /), not standard Base64"
        }
    };
    Some(Deviation {
        aspect: Aspect::Encoding,
        description: description.to_string(),
    })
}

// ---------------------------------------------------------------------------------------
// The search space
// ---------------------------------------------------------------------------------------

/// A candidate value of one dimension; `deviation` is None for the standard value.
struct Choice<T> {
    value: T,
    deviation: Option<String>,
}

impl<T> Choice<T> {
    fn standard(value: T) -> Self {
        Choice {
            value,
            deviation: None,
        }
    }

    fn deviant(value: T, description: String) -> Self {
        Choice {
            value,
            deviation: Some(description),
        }
    }
}

/// Candidate values of one stringToSign part, the standard first when there is one. A value
/// of None leaves the segment out (gilang-as drops the body hash of an empty body).
struct PartDimension {
    name: PartName,
    choices: Vec<Choice<Option<String>>>,
}

impl PartDimension {
    fn new(name: PartName, standard: Option<String>) -> Self {
        PartDimension {
            name,
            choices: standard
                .map(|value| vec![Choice::standard(Some(value))])
                .unwrap_or_default(),
        }
    }

    /// Adds a deviant value unless an earlier choice already gives the same value.
    fn push(&mut self, value: Option<String>, description: String) {
        if self.choices.iter().all(|c| c.value != value) {
            self.choices.push(Choice::deviant(value, description));
        }
    }
}

struct SearchSpace<'a> {
    separator: &'static str,
    /// In stringToSign order; this is also the order deviations are listed in.
    parts: Vec<PartDimension>,
    keys: Vec<Choice<VerifyingSecret<'a>>>,
}

/// A candidate: one choice index per part dimension, and one key.
struct Selection {
    parts: Vec<usize>,
    key: usize,
}

/// How many choices a dimension has, and whether the first is the standard.
#[derive(Clone, Copy)]
struct Shape {
    len: usize,
    has_standard: bool,
}

impl<T> From<&[Choice<T>]> for Shape {
    fn from(choices: &[Choice<T>]) -> Self {
        Shape {
            len: choices.len(),
            has_standard: choices.first().is_some_and(|c| c.deviation.is_none()),
        }
    }
}

impl<'a> SearchSpace<'a> {
    /// Part dimensions first, the key last.
    fn shapes(&self) -> Vec<Shape> {
        let mut shapes: Vec<Shape> = self
            .parts
            .iter()
            .map(|d| Shape::from(d.choices.as_slice()))
            .collect();
        shapes.push(Shape::from(self.keys.as_slice()));
        shapes
    }

    /// Every candidate with at most [`MAX_DEVIATIONS`] deviations, fewest first.
    fn selections(&self) -> Vec<Selection> {
        let shapes = self.shapes();
        let key_dimension = shapes.len() - 1;
        selections_of(&shapes)
            .into_iter()
            .map(|mut indices| {
                let key = indices.pop().unwrap_or(0);
                debug_assert_eq!(indices.len(), key_dimension);
                Selection {
                    parts: indices,
                    key,
                }
            })
            .collect()
    }

    fn build(&self, selection: &Selection) -> (StringToSign, VerifyingSecret<'a>) {
        let parts = self
            .parts
            .iter()
            .zip(&selection.parts)
            .filter_map(|(dimension, &i)| {
                let value = dimension.choices.get(i)?.value.clone()?;
                Some(Part {
                    name: dimension.name,
                    value,
                })
            })
            .collect();
        let key = self.keys.get(selection.key).map(|c| c.value);
        // Every selection indexes existing choices, and keys always holds the given secret.
        let key = key.unwrap_or(VerifyingSecret::Hmac(&[]));
        (
            StringToSign {
                parts,
                separator: self.separator,
            },
            key,
        )
    }

    fn deviations(&self, selection: &Selection) -> Vec<Deviation> {
        let mut deviations: Vec<Deviation> = self
            .parts
            .iter()
            .zip(&selection.parts)
            .filter_map(|(dimension, &i)| {
                Some(Deviation {
                    aspect: Aspect::of_part(dimension.name),
                    description: dimension.choices.get(i)?.deviation.clone()?,
                })
            })
            .collect();
        if let Some(description) = self
            .keys
            .get(selection.key)
            .and_then(|c| c.deviation.clone())
        {
            deviations.push(Deviation {
                aspect: Aspect::ClientSecret,
                description,
            });
        }
        deviations
    }

    fn standard_text(&self) -> Option<String> {
        let mut values = Vec::new();
        for dimension in &self.parts {
            let first = dimension.choices.first()?;
            if first.deviation.is_some() {
                return None;
            }
            values.extend(first.value.clone());
        }
        Some(values.join(self.separator))
    }
}

/// Index vectors over `shapes`, ordered by the number of deviations (0, 1, …,
/// MAX_DEVIATIONS), then by which dimensions deviate, then by choice. A dimension without a
/// standard value must always deviate (and counts as a deviation).
fn selections_of(shapes: &[Shape]) -> Vec<Vec<usize>> {
    let mut out = Vec::new();
    for count in 0..=MAX_DEVIATIONS.min(shapes.len()) {
        for deviating in combinations(shapes.len(), count) {
            let others_have_standard = shapes
                .iter()
                .enumerate()
                .all(|(d, shape)| deviating.contains(&d) || shape.has_standard);
            if !others_have_standard {
                continue;
            }
            let mut base = vec![0; shapes.len()];
            extend_with_deviations(shapes, &deviating, &mut base, &mut out);
        }
    }
    out
}

/// Every assignment of a deviant choice to each dimension in `deviating`.
fn extend_with_deviations(
    shapes: &[Shape],
    deviating: &[usize],
    current: &mut Vec<usize>,
    out: &mut Vec<Vec<usize>>,
) {
    let Some((&dimension, rest)) = deviating.split_first() else {
        out.push(current.clone());
        return;
    };
    let Some(shape) = shapes.get(dimension) else {
        return;
    };
    let first_deviant = usize::from(shape.has_standard);
    for choice in first_deviant..shape.len {
        if let Some(slot) = current.get_mut(dimension) {
            *slot = choice;
        }
        extend_with_deviations(shapes, rest, current, out);
    }
    if let Some(slot) = current.get_mut(dimension) {
        *slot = 0;
    }
}

/// All ascending `k`-subsets of `0..n`, in lexicographic order.
fn combinations(n: usize, k: usize) -> Vec<Vec<usize>> {
    fn walk(start: usize, n: usize, k: usize, current: &mut Vec<usize>, out: &mut Vec<Vec<usize>>) {
        if current.len() == k {
            out.push(current.clone());
            return;
        }
        for i in start..n {
            current.push(i);
            walk(i + 1, n, k, current, out);
            current.pop();
        }
    }
    let mut out = Vec::new();
    walk(0, n, k, &mut Vec::with_capacity(k), &mut out);
    out
}

// ---------------------------------------------------------------------------------------
// The dimensions and their known deviations
// ---------------------------------------------------------------------------------------

/// The part dimensions of `input.kind`, in stringToSign order (as `signature::prepare`).
fn part_dimensions(input: &SignatureInput, notes: &mut Vec<String>) -> Vec<PartDimension> {
    let mut dimensions = Vec::new();
    if input.kind.covers_request() {
        dimensions.push(method_dimension(&input.method));
        dimensions.push(path_dimension(&input.path, &input.unsigned_path_prefix));
        if input.kind == SignatureKind::Symmetric {
            dimensions.push(token_dimension(&input.access_token));
        }
        dimensions.push(body_hash_dimension(&input.body, input.minify, notes));
    } else {
        dimensions.push(client_id_dimension(&input.client_id));
    }
    dimensions.push(timestamp_dimension(&input.timestamp, notes));
    dimensions
}

fn method_dimension(given: &str) -> PartDimension {
    let given = given.trim();
    let mut dimension = PartDimension::new(PartName::Method, Some(given.to_ascii_uppercase()));
    let lower = given.to_ascii_lowercase();
    dimension.push(
        Some(lower.clone()),
        format!("the method was signed in lower case: {lower}"),
    );
    dimension.push(
        Some(given.to_string()),
        format!("the method was signed as typed, not upper-cased: {given}"),
    );
    dimension
}

fn path_dimension(given: &str, unsigned_prefix: &str) -> PartDimension {
    // Warnings about the path are prepare()'s business; the diagnosis only needs values.
    let mut ignored = Vec::new();
    let standard = signed_path(given, unsigned_prefix, &mut ignored);
    let mut dimension = PartDimension::new(PartName::Path, Some(standard.clone()));
    let prefix = unsigned_prefix.trim().trim_end_matches('/');
    if !prefix.is_empty() {
        let with_prefix = signed_path(given, "", &mut ignored);
        dimension.push(
            Some(with_prefix.clone()),
            format!("the unsigned prefix {prefix} was signed too: {with_prefix}"),
        );
    } else if let Some((segment, rest)) = split_first_segment(&standard) {
        // NICEPAY sends /nicepay/api/… but signs /api/…; a user who did not know that has
        // no prefix configured, so the first segment is the likely culprit.
        dimension.push(
            Some(rest.to_string()),
            format!(
                "the first path segment {segment} was left out of the signed path (as NICEPAY does with /nicepay): {rest}"
            ),
        );
    }
    if let Some((path, query)) = standard.split_once('?') {
        dimension.push(
            Some(path.to_string()),
            format!("the query string was left out of the signed path: {path}"),
        );
        let sorted = sorted_query(query);
        dimension.push(
            Some(format!("{path}?{sorted}")),
            format!("the query parameters were signed sorted by name: {path}?{sorted}"),
        );
    }
    if let Some((toggled, description)) = toggle_trailing_slash(&standard) {
        dimension.push(Some(toggled.clone()), format!("{description}: {toggled}"));
    }
    if let Some(url) = full_url(given) {
        dimension.push(
            Some(url.clone()),
            format!("the full URL was signed instead of the relative path: {url}"),
        );
    }
    dimension
}

/// `/nicepay/api/v1.0/x?q` → (`/nicepay`, `/api/v1.0/x?q`), when something is left.
fn split_first_segment(path: &str) -> Option<(&str, &str)> {
    let without_query = path.split('?').next().unwrap_or(path);
    let after_slash = without_query.strip_prefix('/')?;
    let end = 1 + after_slash.find('/')?;
    let rest = path.get(end..)?;
    (rest.len() > 1).then_some((path.get(..end)?, rest))
}

fn sorted_query(query: &str) -> String {
    let mut pairs: Vec<&str> = query.split('&').collect();
    pairs.sort_unstable();
    pairs.join("&")
}

fn toggle_trailing_slash(path: &str) -> Option<(String, &'static str)> {
    let (path_only, query) = match path.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (path, None),
    };
    let (toggled, description) = if path_only.len() > 1 && path_only.ends_with('/') {
        (
            path_only.trim_end_matches('/').to_string(),
            "the trailing slash was left out of the signed path",
        )
    } else if !path_only.is_empty() && !path_only.ends_with('/') {
        (
            format!("{path_only}/"),
            "a trailing slash was added to the signed path",
        )
    } else {
        return None;
    };
    let with_query = match query {
        Some(q) => format!("{toggled}?{q}"),
        None => toggled,
    };
    Some((with_query, description))
}

/// The given path when it is a full URL (LW signs the full URL), without a #fragment.
fn full_url(given: &str) -> Option<String> {
    let trimmed = given.trim();
    let head = trimmed.get(..8).unwrap_or(trimmed).to_ascii_lowercase();
    if !(head.starts_with("https://") || head.starts_with("http://")) {
        return None;
    }
    Some(trimmed.split('#').next().unwrap_or(trimmed).to_string())
}

fn token_dimension(given: &str) -> PartDimension {
    let trimmed = given.trim();
    let bare = match trimmed.get(..7) {
        Some(head) if head.eq_ignore_ascii_case("bearer ") => {
            trimmed.get(7..).unwrap_or("").trim_start()
        }
        _ => trimmed,
    };
    let mut dimension = PartDimension::new(PartName::AccessToken, Some(bare.to_string()));
    dimension.push(
        Some(format!("Bearer {bare}")),
        "the `Bearer ` prefix was included in the signed token".to_string(),
    );
    dimension.push(
        Some(trimmed.to_string()),
        "the token was signed exactly as typed, prefix included".to_string(),
    );
    dimension.push(
        None,
        "the access token was left out of the stringToSign (the asymmetric layout)".to_string(),
    );
    dimension
}

fn body_hash_dimension(body: &str, mode: MinifyMode, notes: &mut Vec<String>) -> PartDimension {
    let standard_minified = match minify(body, mode) {
        Ok(minified) => Some(minified),
        Err(e) => {
            notes.push(format!(
                "the body cannot be minified in {mode} mode ({e}); only the modes that can read it were tried"
            ));
            None
        }
    };
    let standard_hash = standard_minified.as_deref().map(body_hash_hex);
    let mut dimension = PartDimension::new(PartName::BodyHash, standard_hash.clone());
    for other in MinifyMode::ALL.into_iter().filter(|m| *m != mode) {
        if let Ok(minified) = minify(body, other) {
            dimension.push(Some(body_hash_hex(&minified)), minify_deviation(other));
        }
    }
    if let Some(hash) = &standard_hash {
        dimension.push(
            Some(hash.to_ascii_uppercase()),
            "the body hash was written in upper-case hex".to_string(),
        );
    }
    if let Some(minified) = standard_minified.as_deref() {
        push_empty_body_conventions(&mut dimension, minified);
    }
    dimension
}

fn minify_deviation(mode: MinifyMode) -> String {
    match mode {
        MinifyMode::Lexical => {
            "the body was minified by removing whitespace only (Go json.Compact style)"
        }
        MinifyMode::Js => {
            "the body was minified the JavaScript way (JSON.stringify(JSON.parse(body)): \\/ and \\uXXXX unescaped, numbers re-printed)"
        }
        MinifyMode::Php => {
            "the body was minified the PHP way (json_encode: escaped slashes and \\uXXXX)"
        }
        MinifyMode::GoSorted => {
            "the body was minified the Go way (json.Marshal of a map: keys sorted, <>& escaped)"
        }
        MinifyMode::None => "the body was hashed exactly as typed, without minifying",
    }
    .to_string()
}

/// SNAP_NOTES §1.2: an absent body hashes the empty string, segment kept; others differ.
fn push_empty_body_conventions(dimension: &mut PartDimension, minified: &str) {
    let empty = match minified {
        "" => "the empty body",
        "{}" => "the empty object body",
        _ => return,
    };
    dimension.push(
        None,
        format!("the body hash segment was left out for {empty} (as gilang-as/snap-bi-go does)"),
    );
    dimension.push(
        Some(String::new()),
        format!(
            "an empty body-hash segment (::) was signed for {empty} (as TheArKaID/snap-bi-signer-js does)"
        ),
    );
    for (stand_in, why) in [
        ("", "the empty string"),
        ("{}", "`{}`"),
        ("[]", "`[]` (an empty PHP array)"),
    ] {
        if stand_in != minified {
            dimension.push(
                Some(body_hash_hex(stand_in)),
                format!("{empty} was hashed as {why}"),
            );
        }
    }
}

fn client_id_dimension(given: &str) -> PartDimension {
    let trimmed = given.trim();
    let mut dimension = PartDimension::new(PartName::ClientId, Some(trimmed.to_string()));
    dimension.push(
        Some(given.to_string()),
        "the client ID was signed with its surrounding whitespace".to_string(),
    );
    let upper = trimmed.to_uppercase();
    dimension.push(
        Some(upper.clone()),
        format!("the client ID was signed in upper case: {upper}"),
    );
    let lower = trimmed.to_lowercase();
    dimension.push(
        Some(lower.clone()),
        format!("the client ID was signed in lower case: {lower}"),
    );
    dimension
}

fn timestamp_dimension(given: &str, notes: &mut Vec<String>) -> PartDimension {
    let given = given.trim();
    let mut dimension = PartDimension::new(PartName::Timestamp, Some(given.to_string()));
    let parsed = match timestamp::parse_lenient(given) {
        Ok(parsed) => parsed,
        Err(e) => {
            notes.push(format!("{e}; its other spellings were not tried"));
            return dimension;
        }
    };
    for (value, description) in timestamp_spellings(given, parsed) {
        dimension.push(
            Some(value.clone()),
            format!("the timestamp was signed {description}: {value}"),
        );
    }
    dimension
}

/// The same instant written the ways SNAP_NOTES §3 lists, with how each differs.
fn timestamp_spellings(given: &str, parsed: DateTime<FixedOffset>) -> Vec<(String, &'static str)> {
    let utc = parsed.with_timezone(&Utc);
    let mut spellings = Vec::new();
    if given.contains('.') {
        spellings.push((
            parsed.to_rfc3339_opts(SecondsFormat::Secs, true),
            "without its fraction of a second",
        ));
    } else {
        spellings.push((
            parsed.to_rfc3339_opts(SecondsFormat::Millis, true),
            "with milliseconds",
        ));
    }
    spellings.push((
        utc.to_rfc3339_opts(SecondsFormat::Secs, true),
        "in UTC with Z",
    ));
    spellings.push((
        utc.to_rfc3339_opts(SecondsFormat::Millis, true),
        "in UTC with milliseconds and Z",
    ));
    spellings.push((
        utc.to_rfc3339_opts(SecondsFormat::Secs, false),
        "at the same instant in +00:00",
    ));
    if let Some(jakarta) = FixedOffset::east_opt(JAKARTA_OFFSET_SECONDS) {
        spellings.push((
            parsed
                .with_timezone(&jakarta)
                .to_rfc3339_opts(SecondsFormat::Secs, false),
            "in Jakarta time (+07:00)",
        ));
    }
    let with_colon = parsed.to_rfc3339_opts(SecondsFormat::Secs, false);
    // chrono writes ±HH:MM last, so the colon is the third character from the end.
    let colon = with_colon.len().saturating_sub(3);
    if with_colon.get(colon..=colon) == Some(":") {
        let mut without_colon = with_colon.clone();
        without_colon.remove(colon);
        spellings.push((without_colon, "with no colon in the offset"));
    }
    spellings
}

/// The client secret as HMAC key: as UTF-8 bytes (standard), or Base64-decoded.
fn key_choices<'a>(
    secret: VerifyingSecret<'a>,
    decoded: Option<&'a [u8]>,
) -> Vec<Choice<VerifyingSecret<'a>>> {
    let mut choices = vec![Choice::standard(secret)];
    if let Some(decoded) = decoded {
        choices.push(Choice::deviant(
            VerifyingSecret::Hmac(decoded),
            "the client secret was Base64-decoded before use as the HMAC key".to_string(),
        ));
    }
    choices
}

/// The HMAC secret Base64-decoded, when it is valid Base64 and decodes to other bytes.
fn base64_decoded_secret(secret: VerifyingSecret<'_>) -> Option<Vec<u8>> {
    let VerifyingSecret::Hmac(bytes) = secret else {
        return None;
    };
    let text = std::str::from_utf8(bytes).ok()?.trim();
    let decoded = STANDARD.decode(text).ok()?;
    (!decoded.is_empty() && decoded != bytes).then_some(decoded)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::snap::signature::{SigningSecret, prepare, sign};

    fn symmetric_input() -> SignatureInput {
        SignatureInput {
            kind: SignatureKind::Symmetric,
            client_id: String::new(),
            timestamp: "2024-12-01T07:15:00+07:00".into(),
            method: "POST".into(),
            path: "/nicepay/api/v1.0/x?b=2&a=1".into(),
            unsigned_path_prefix: "/nicepay".into(),
            access_token: "tok".into(),
            body: r#"{"url": "https://a.b/c", "name": "José"}"#.into(),
            minify: MinifyMode::Lexical,
        }
    }

    #[test]
    fn the_standard_candidate_is_what_prepare_builds() {
        for kind in SignatureKind::ALL {
            let input = SignatureInput {
                kind,
                client_id: " client ".into(),
                ..symmetric_input()
            };
            let mut notes = Vec::new();
            let space = SearchSpace {
                separator: if kind.covers_request() { ":" } else { "|" },
                parts: part_dimensions(&input, &mut notes),
                keys: key_choices(VerifyingSecret::Hmac(b"s"), None),
            };
            let prepared = prepare(&input).map(|p| p.string_to_sign.text()).ok();
            assert_eq!(space.standard_text(), prepared, "{kind}");
            assert!(notes.is_empty(), "{notes:?}");
        }
    }

    #[test]
    fn selections_go_from_fewest_deviations_and_never_repeat_a_dimension() {
        let shapes = [
            Shape {
                len: 3,
                has_standard: true,
            },
            Shape {
                len: 2,
                has_standard: true,
            },
            Shape {
                len: 1,
                has_standard: true,
            },
        ];
        let all = selections_of(&shapes);
        // 1 standard + (2 + 1) singles + 2·1 pairs (the third dimension has no deviation).
        assert_eq!(all.len(), 6);
        assert_eq!(all.first(), Some(&vec![0, 0, 0]));
        let deviation_counts: Vec<usize> = all
            .iter()
            .map(|s| s.iter().filter(|&&i| i != 0).count())
            .collect();
        assert_eq!(deviation_counts, vec![0, 1, 1, 1, 2, 2]);
    }

    #[test]
    fn a_dimension_without_standard_always_deviates() {
        let shapes = [
            Shape {
                len: 2,
                has_standard: false,
            },
            Shape {
                len: 2,
                has_standard: true,
            },
        ];
        let all = selections_of(&shapes);
        assert_eq!(all, vec![vec![0, 0], vec![1, 0], vec![0, 1], vec![1, 1]]);
    }

    #[test]
    fn timestamp_spellings_cover_the_known_shapes() {
        let mut notes = Vec::new();
        let dimension = timestamp_dimension("2024-12-01T07:15:00+07:00", &mut notes);
        let values: Vec<String> = dimension
            .choices
            .iter()
            .filter_map(|c| c.value.clone())
            .collect();
        assert_eq!(
            values,
            [
                "2024-12-01T07:15:00+07:00",
                "2024-12-01T07:15:00.000+07:00",
                "2024-12-01T00:15:00Z",
                "2024-12-01T00:15:00.000Z",
                "2024-12-01T00:15:00+00:00",
                "2024-12-01T07:15:00+0700",
            ]
        );
        let from_utc = timestamp_dimension("2024-12-01T00:15:00.123Z", &mut notes);
        let values: Vec<String> = from_utc
            .choices
            .iter()
            .filter_map(|c| c.value.clone())
            .collect();
        assert!(
            values.contains(&"2024-12-01T00:15:00Z".to_string()),
            "{values:?}"
        );
        assert!(
            values.contains(&"2024-12-01T07:15:00+07:00".to_string()),
            "{values:?}"
        );
        assert!(
            values.contains(&"2024-12-01T00:15:00+0000".to_string()),
            "{values:?}"
        );
        assert!(notes.is_empty());
    }

    #[test]
    fn path_variants() {
        let dimension = path_dimension("/nicepay/api/v1.0/x?b=2&a=1", "/nicepay");
        let values: Vec<String> = dimension
            .choices
            .iter()
            .filter_map(|c| c.value.clone())
            .collect();
        assert_eq!(
            values,
            [
                "/api/v1.0/x?b=2&a=1",
                "/nicepay/api/v1.0/x?b=2&a=1",
                "/api/v1.0/x",
                "/api/v1.0/x?a=1&b=2",
                "/api/v1.0/x/?b=2&a=1",
            ]
        );
        let guessed = path_dimension("https://h.example/nicepay/api/x/#f", "");
        let values: Vec<String> = guessed
            .choices
            .iter()
            .filter_map(|c| c.value.clone())
            .collect();
        assert_eq!(
            values,
            [
                "/nicepay/api/x/",
                "/api/x/",
                "/nicepay/api/x",
                "https://h.example/nicepay/api/x/",
            ]
        );
        assert_eq!(split_first_segment("/only"), None);
        assert_eq!(split_first_segment("/a/"), None);
        assert_eq!(split_first_segment(""), None);
    }

    #[test]
    fn hostile_inputs_do_not_panic() {
        let strange = [
            "",
            " ",
            "é",
            "/",
            "?",
            "??",
            "/é/ü?ä=ö",
            "http://",
            "HTTPS://x",
            "{",
            "{}",
            "[]",
            "bearer",
            "Bearer ",
            "2024-13-45T99:99:99+07:00",
            "Z",
            "+07:00",
            "\u{feff}",
        ];
        let secret = b"secret".to_vec();
        for text in strange {
            for kind in SignatureKind::ALL {
                let input = SignatureInput {
                    kind,
                    client_id: text.into(),
                    timestamp: text.into(),
                    method: text.into(),
                    path: text.into(),
                    unsigned_path_prefix: text.into(),
                    access_token: text.into(),
                    body: text.into(),
                    minify: MinifyMode::Php,
                };
                let result = diagnose(&input, "AAAA", VerifyingSecret::Hmac(&secret));
                if kind == SignatureKind::Symmetric {
                    let diagnosis = result.ok();
                    assert!(diagnosis.is_some_and(|d| !d.matched && d.tried > 0));
                } else {
                    assert!(matches!(result, Err(SignatureError::WrongKey { .. })));
                }
            }
        }
    }

    #[test]
    fn base64_secret_and_hex_signature_are_found_together() {
        let input = symmetric_input();
        let Ok(prepared) = prepare(&input) else {
            panic!("prepare")
        };
        let raw_key = b"\x01\x02binary key\xff";
        let secret_text = STANDARD.encode(raw_key);
        let Ok(signature) = sign(&prepared, SigningSecret::Hmac(raw_key)) else {
            panic!("sign")
        };
        let hex_signature = STANDARD
            .decode(&signature)
            .map(hex::encode)
            .unwrap_or_default();
        let diagnosis = diagnose(
            &input,
            &hex_signature,
            VerifyingSecret::Hmac(secret_text.as_bytes()),
        );
        let Ok(diagnosis) = diagnosis else {
            panic!("diagnose")
        };
        assert!(diagnosis.matched);
        assert_eq!(
            diagnosis.deviation_texts(),
            [
                "the client secret was Base64-decoded before use as the HMAC key",
                "the signature was written as hex, not Base64",
            ]
        );
        assert_eq!(diagnosis.encoding, Some(SignatureEncoding::Hex));
    }
}
