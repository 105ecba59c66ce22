//! "Why is my signature rejected?": given the inputs a developer used and the signature the
//! counterparty expected (or produced), find the variant of the stringToSign that verifies,
//! and say in words how it departs from the standard and what to do about it.
//!
//! Providers and libraries disagree on many small details (SNAP_NOTES §1.2, §2, §3, §10):
//! how the body is minified (and whether whitespace inside strings or a trailing newline
//! sneaks in), what an empty body hashes to, the timestamp's shape, whether a path prefix,
//! the host, the query (and in which encoding) or `Bearer ` is signed, the method's case,
//! the separator of `clientId|timestamp`, the HMAC hash, hex or Base64, and whether the
//! client secret is Base64-decoded. Each detail is a *dimension* with a standard value and
//! a few known deviations; every deviation belongs to one row of the variant table
//! ([`variants::VARIANTS`]). The search tries the standard first, then every single
//! deviation, then every pair of deviations from two different dimensions, and stops at the
//! first signature that verifies, so the answer is always the explanation with the fewest
//! deviations.
//!
//! Details that combine in one part (the body hash is minify mode × whitespace stripping ×
//! trailing newline × hex case; the path is context root × slash × query × host) are
//! separate dimensions, so "PHP minify *and* a trailing newline" is a pair like any other.
//!
//! The signature text is decoded once, each minify mode runs once and each body hash is
//! computed once, so the cost of the search is the verifications themselves: HMAC is
//! microseconds, an RSA public-key verification some tens of microseconds in release.
//!
//! Pure code: no I/O, no clock. Nothing here panics on input; a body that is not JSON just
//! leaves out the minify modes that cannot read it.

mod dimensions;
pub mod variants;

use std::collections::HashSet;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use super::signature::{
    Algorithm, HmacAlgorithm, Part, PartName, SignatureEncoding, SignatureError, SignatureInput,
    SignatureKind, StringToSign, VerifyingSecret, decode_signature, verify_hmac_readings,
    verify_readings,
};
use dimensions::{BodyHashes, Candidate, Dimension};
pub use variants::{Family, Remedy, VARIANTS, Variant};

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
    /// The hash of the HMAC (SHA-512 in SNAP).
    Algorithm,
    /// What joins `clientId` and the timestamp (`|` in SNAP).
    Separator,
}

impl Aspect {
    /// The stringToSign part this aspect is about, if any.
    pub fn part(self) -> Option<PartName> {
        match self {
            Aspect::ClientId => Some(PartName::ClientId),
            Aspect::Timestamp => Some(PartName::Timestamp),
            Aspect::Method => Some(PartName::Method),
            Aspect::Path => Some(PartName::Path),
            Aspect::AccessToken => Some(PartName::AccessToken),
            Aspect::BodyHash => Some(PartName::BodyHash),
            Aspect::ClientSecret | Aspect::Encoding | Aspect::Algorithm | Aspect::Separator => None,
        }
    }
}

/// A profile field and the value that makes our signatures match the counterparty's.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SettingChange {
    /// The field's JSON name in `profiles.json` (`minify`, `hmacAlgorithm`, …).
    pub field: &'static str,
    pub value: String,
}

/// One way the matching signature departs from the SNAP standard, in plain English.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Deviation {
    pub aspect: Aspect,
    /// The row of the variant table.
    pub family: Family,
    /// What the counterparty did, with the values involved.
    pub description: String,
    pub remedy: Remedy,
    /// For a variant a provider uses on purpose: the profile setting that matches it.
    pub setting: Option<SettingChange>,
}

impl Deviation {
    fn new(family: Family, description: String) -> Deviation {
        let row = variants::variant(family);
        let remedy = row.map_or(
            Remedy::AskCounterparty {
                message: "Please sign exactly as the SNAP standard says.",
            },
            |r| r.remedy,
        );
        let setting = match remedy {
            Remedy::Setting { field, value } => Some(SettingChange {
                field,
                value: value.to_string(),
            }),
            Remedy::AskCounterparty { .. } => None,
        };
        Deviation {
            aspect: row.map_or(Aspect::Encoding, |r| r.aspect),
            family,
            description,
            remedy,
            setting,
        }
    }

    /// The setting's value when it depends on the case (the segment left unsigned).
    fn with_setting_value(mut self, value: &str) -> Deviation {
        if let Some(setting) = &mut self.setting {
            setting.value = value.to_string();
        }
        self
    }
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

    /// The variant families found, in order.
    pub fn families(&self) -> Vec<Family> {
        self.deviations.iter().map(|d| d.family).collect()
    }

    /// The profile settings that make our signatures match the counterparty's ("apply to
    /// profile").
    pub fn settings(&self) -> Vec<&SettingChange> {
        self.deviations
            .iter()
            .filter_map(|d| d.setting.as_ref())
            .collect()
    }

    /// What to ask the counterparty to change, once each, ready to paste into a message.
    pub fn messages_to_counterparty(&self) -> Vec<&'static str> {
        let mut messages = Vec::new();
        for deviation in &self.deviations {
            if let Remedy::AskCounterparty { message } = deviation.remedy
                && !messages.contains(&message)
            {
                messages.push(message);
            }
        }
        messages
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
    diagnose_at(input, "", expected_signature, secret)
}

/// [`diagnose`], knowing the base URL the request went to, so that a signature over the
/// full URL can be recognised when `input.path` is relative.
pub fn diagnose_at(
    input: &SignatureInput,
    base_url: &str,
    expected_signature: &str,
    secret: VerifyingSecret<'_>,
) -> Result<Diagnosis, SignatureError> {
    check_secret_fits_kind(input.kind, secret)?;
    let readings = decode_signature(expected_signature)?;
    let decoded_secret = base64_decoded_secret(secret);
    let mut notes = Vec::new();
    let body = BodyHashes::new(input, &mut notes);
    let space = SearchSpace {
        kind: input.kind,
        dimensions: dimensions::all(
            input,
            base_url,
            secret,
            decoded_secret.as_deref(),
            &body,
            &mut notes,
        ),
        body: &body,
    };
    let standard_string_to_sign = space.standard_text();
    let mut tried_messages = HashSet::new();
    let mut tried = 0;
    for selection in space.selections() {
        let Some(candidate) = space.candidate(&selection) else {
            continue;
        };
        let Some(string_to_sign) = candidate.string_to_sign(input.kind, &body) else {
            continue; // a combination that means nothing (a newline after a missing body)
        };
        let text = string_to_sign.text();
        if !tried_messages.insert((text.clone(), candidate.key_index, candidate.hmac)) {
            continue; // two variants that happen to give the same bytes
        }
        tried += 1;
        let verdict = match (candidate.key, input.kind.algorithm()) {
            (VerifyingSecret::Hmac(key), Algorithm::HmacSha512) => {
                verify_hmac_readings(candidate.hmac, text.as_bytes(), key, &readings)
            }
            (key, _) => verify_readings(input.kind, text.as_bytes(), key, &readings)?,
        };
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
    let (family, description) = match encoding? {
        SignatureEncoding::Base64 => return None,
        SignatureEncoding::Hex => (
            Family::SignatureHex,
            "the signature was written as hex, not Base64",
        ),
        SignatureEncoding::UrlSafeBase64 => (
            Family::SignatureUrlSafe,
            "the signature was written as URL-safe Base64 (- and _ instead of + and /), not standard Base64",
        ),
    };
    Some(Deviation::new(family, description.to_string()))
}

// ---------------------------------------------------------------------------------------
// The search space
// ---------------------------------------------------------------------------------------

struct SearchSpace<'a, 'b> {
    kind: SignatureKind,
    /// In stringToSign order; this is also the order deviations are listed in.
    dimensions: Vec<Dimension<'a>>,
    body: &'b BodyHashes,
}

/// A candidate: one choice index per dimension.
struct Selection {
    choices: Vec<usize>,
}

/// How many choices a dimension has, and whether the first is the standard.
#[derive(Clone, Copy)]
struct Shape {
    len: usize,
    has_standard: bool,
}

impl<'a> SearchSpace<'a, '_> {
    /// Every candidate with at most [`MAX_DEVIATIONS`] deviations, fewest first.
    fn selections(&self) -> Vec<Selection> {
        let shapes: Vec<Shape> = self.dimensions.iter().map(Dimension::shape).collect();
        selections_of(&shapes)
            .into_iter()
            .map(|choices| Selection { choices })
            .collect()
    }

    /// The candidate a selection describes: every dimension's chosen value applied.
    fn candidate(&self, selection: &Selection) -> Option<Candidate<'a>> {
        let mut candidate = Candidate::empty();
        for (dimension, &i) in self.dimensions.iter().zip(&selection.choices) {
            dimension.choices.get(i)?.value.apply(&mut candidate);
        }
        Some(candidate)
    }

    fn deviations(&self, selection: &Selection) -> Vec<Deviation> {
        self.dimensions
            .iter()
            .zip(&selection.choices)
            .filter_map(|(dimension, &i)| dimension.choices.get(i)?.deviation.clone())
            .collect()
    }

    fn standard_text(&self) -> Option<String> {
        if self
            .dimensions
            .iter()
            .any(|d| d.choices.first().is_none_or(|c| c.deviation.is_some()))
        {
            return None;
        }
        let standard = Selection {
            choices: vec![0; self.dimensions.len()],
        };
        let candidate = self.candidate(&standard)?;
        Some(candidate.string_to_sign(self.kind, self.body)?.text())
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

/// The HMAC secret Base64-decoded, when it is valid Base64 and decodes to other bytes.
fn base64_decoded_secret(secret: VerifyingSecret<'_>) -> Option<Vec<u8>> {
    let VerifyingSecret::Hmac(bytes) = secret else {
        return None;
    };
    let text = std::str::from_utf8(bytes).ok()?.trim();
    let decoded = STANDARD.decode(text).ok()?;
    (!decoded.is_empty() && decoded != bytes).then_some(decoded)
}

/// Parts in stringToSign order, as `signature::prepare` builds them.
fn string_to_sign_of(parts: Vec<(PartName, String)>, separator: &'static str) -> StringToSign {
    StringToSign {
        parts: parts
            .into_iter()
            .map(|(name, value)| Part { name, value })
            .collect(),
        separator,
    }
}

/// The hash named in a deviation's words.
fn hmac_name(algorithm: HmacAlgorithm) -> &'static str {
    match algorithm {
        HmacAlgorithm::Sha512 => "HMAC-SHA512",
        HmacAlgorithm::Sha256 => "HMAC-SHA256",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::snap::minify::MinifyMode;
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
            let secret_bytes = b"s".to_vec();
            let secret = match kind {
                SignatureKind::Symmetric => VerifyingSecret::Hmac(&secret_bytes),
                _ => continue,
            };
            let prepared = prepare(&input).map(|p| p.string_to_sign.text()).ok();
            let diagnosis = diagnose(&input, "AAAA", secret).ok();
            assert_eq!(
                diagnosis.and_then(|d| d.standard_string_to_sign),
                prepared,
                "{kind}"
            );
        }
    }

    #[test]
    fn every_family_has_one_row() {
        let families = [
            Family::MethodLowerCase,
            Family::HmacSha256,
            Family::TokenSeparator,
            Family::SignatureUrlSafe,
        ];
        for family in families {
            assert!(variants::variant(family).is_some(), "{family:?}");
        }
        let mut seen = HashSet::new();
        for row in VARIANTS {
            assert!(seen.insert(row.family), "{:?} twice", row.family);
            assert!(!row.kinds.is_empty());
        }
        assert!(variants::help_text().contains("HMAC-SHA256"));
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
