//! The diagnosis against a counterparty that is *not* our code: every variant family of the
//! table (snap::diagnose::VARIANTS), alone and paired, for every kind it applies to. This
//! file builds each counterparty's stringToSign with its own small implementation of the
//! variant (below, in `Recipe`), and the `openssl` command signs it (HMAC-SHA512,
//! HMAC-SHA256 or SHA256withRSA); src/snap's signer is never used. Only the body texts of
//! the minify families come from snap::minify, whose modes are checked against the real
//! runtimes in tests/minify.rs.
//!
//! The measure: over every family alone and every pair that involves a family reported in
//! the wild, the diagnosis must name what was done for at least 95 % of the cases. A case
//! counts as named when the families found are the ones applied, or when they make the very
//! same signature (a pair that is indistinguishable from a simpler explanation).

// Test code may panic and tell a long story: a failed expectation is the point.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::too_many_lines
)]

use std::collections::BTreeSet;
use std::io::Write;
use std::process::{Command, Stdio};
use std::time::Instant;

#[path = "common/snap_vectors.rs"]
mod snap_vectors;

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use sha2::{Digest, Sha256};
use snap_console::snap::diagnose::{Family, Remedy, VARIANTS, Variant, diagnose_at, variants};
use snap_console::snap::minify::{MinifyMode, minify};
use snap_console::snap::signature::{SignatureInput, SignatureKind, VerifyingSecret};
use snap_vectors::{public_key, vectors_dir};

const KINDS: [SignatureKind; 4] = [
    SignatureKind::Symmetric,
    SignatureKind::B2bToken,
    SignatureKind::AsymmetricTransaction,
    SignatureKind::Notification,
];

const BASE_URL: &str = "https://sandbox.example:8443";
const PREFIX: &str = "/nicepay";
const RELATIVE: &str = "/api/v1.0/transfer-va/inquiry";
const QUERY: &str = "trxDate=2024-12-01T07:15:00+07:00&name=Setya%20Wardana&b=1";
const TIMESTAMP: &str = "2024-12-01T07:15:00+07:00";
const CLIENT_ID: &str = " Client-5F5C1E3A ";
const TOKEN_AS_TYPED: &str = "bearer tok-ABC123";
const SECRET: &str = "sandbox-client-secret-0123456789";
const RAW_KEY: &[u8] = b"raw key bytes \x01\x02";
const BODY: &str = r#"{
  "partnerServiceId": "  088899",
  "customerName": "Setya Wardana",
  "note": "José <vip> & co/ltd",
  "amount": {"value": "10000.00", "currency": "IDR"},
  "rate": 1.50,
  "b": 1,
  "a": 2
}"#;

// ---------------------------------------------------------------------------------------
// The counterparty, written independently of src/snap
// ---------------------------------------------------------------------------------------

/// What the developer typed into the diagnosis for a case.
struct Fixture {
    input: SignatureInput,
    /// The client secret as configured (HMAC kinds).
    secret: String,
}

fn fixture(kind: SignatureKind, families: &[Family]) -> Fixture {
    let has = |f: Family| families.contains(&f);
    let empty_body = families.iter().any(|f| empty_body_family(*f));
    let input = SignatureInput {
        kind,
        client_id: CLIENT_ID.into(),
        timestamp: TIMESTAMP.into(),
        method: if empty_body { "Get" } else { "Post" }.into(),
        path: format!("{PREFIX}{RELATIVE}?{QUERY}"),
        unsigned_path_prefix: if has(Family::PrefixSigned) {
            PREFIX.into()
        } else {
            String::new()
        },
        access_token: TOKEN_AS_TYPED.into(),
        body: if empty_body {
            String::new()
        } else {
            BODY.into()
        },
        minify: if has(Family::MinifyLexical) {
            MinifyMode::Php
        } else {
            MinifyMode::Lexical
        },
    };
    let secret = if has(Family::SecretBase64Decoded) {
        STANDARD.encode(RAW_KEY)
    } else {
        SECRET.to_string()
    };
    Fixture { input, secret }
}

fn empty_body_family(f: Family) -> bool {
    matches!(
        f,
        Family::EmptyBodySegmentLeftOut
            | Family::EmptyBodySegmentEmpty
            | Family::EmptyBodyHashedAsOther
    )
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Encoding {
    Base64,
    Hex,
    UrlSafe,
}

/// Everything the counterparty signs with; two equal recipes make the same signature.
#[derive(Clone, PartialEq, Eq, Debug)]
struct Recipe {
    text: String,
    key: Vec<u8>,
    hmac_sha256: bool,
    encoding: Encoding,
}

/// The counterparty's stringToSign pieces before they are joined.
struct Pieces {
    method: String,
    origin: Option<String>,
    path: String,
    query: Option<String>,
    token: Option<String>,
    body: Option<String>,
    body_hash_override: Option<Option<String>>,
    strip: bool,
    newline: bool,
    upper: bool,
    timestamp: String,
    client_id: String,
    separator: &'static str,
}

fn recipe(fx: &Fixture, families: &[Family]) -> Recipe {
    let input = &fx.input;
    let mut p = Pieces {
        method: input.method.to_uppercase(),
        origin: None,
        path: if input.unsigned_path_prefix.is_empty() {
            format!("{PREFIX}{RELATIVE}")
        } else {
            RELATIVE.to_string()
        },
        query: Some(QUERY.to_string()),
        token: Some("tok-ABC123".to_string()),
        body: Some(lexical_or(input)),
        body_hash_override: None,
        strip: false,
        newline: false,
        upper: false,
        timestamp: TIMESTAMP.to_string(),
        client_id: CLIENT_ID.trim().to_string(),
        separator: "|",
    };
    let mut key = fx.secret.as_bytes().to_vec();
    let mut hmac_sha256 = false;
    let mut encoding = Encoding::Base64;
    for family in families {
        match family {
            Family::SecretBase64Decoded => key = RAW_KEY.to_vec(),
            Family::HmacSha256 => hmac_sha256 = true,
            Family::SignatureHex => encoding = Encoding::Hex,
            Family::SignatureUrlSafe => encoding = Encoding::UrlSafe,
            other => apply(&mut p, *other, input),
        }
    }
    Recipe {
        text: join(p, input.kind),
        key,
        hmac_sha256,
        encoding,
    }
}

/// The body as the developer's minify mode gives it (lexical, or PHP for the one case).
fn lexical_or(input: &SignatureInput) -> String {
    minify(&input.body, input.minify).expect("the fixture body minifies")
}

fn apply(p: &mut Pieces, family: Family, input: &SignatureInput) {
    match family {
        Family::MethodLowerCase => p.method = input.method.to_lowercase(),
        Family::MethodAsTyped => p.method = input.method.clone(),
        Family::FullUrl => {
            if !p.path.starts_with(PREFIX) {
                p.path = format!("{PREFIX}{}", p.path);
            }
            p.origin = Some(BASE_URL.to_string());
        }
        Family::PrefixSigned => {
            if !p.path.starts_with(PREFIX) {
                p.path = format!("{PREFIX}{}", p.path);
            }
        }
        Family::FirstSegmentUnsigned => p.path = p.path.replacen(PREFIX, "", 1),
        Family::QueryLeftOut => p.query = None,
        Family::QuerySorted => {
            let mut pairs: Vec<&str> = QUERY.split('&').collect();
            pairs.sort();
            p.query = Some(pairs.join("&"));
        }
        Family::QueryEncoded => p.query = Some(map_query(|s| percent_encode(&percent_decode(s)))),
        Family::QueryDecoded => p.query = Some(map_query(percent_decode)),
        Family::TrailingSlash => p.path.push('/'),
        Family::BearerSigned => p.token = Some("Bearer tok-ABC123".into()),
        Family::TokenAsTyped => p.token = Some(TOKEN_AS_TYPED.into()),
        Family::TokenLeftOut => p.token = None,
        Family::MinifyLexical => {
            p.body = Some(minify(&input.body, MinifyMode::Lexical).expect("lexical"))
        }
        Family::MinifyJs => p.body = Some(minify(&input.body, MinifyMode::Js).expect("js")),
        Family::MinifyPhp => p.body = Some(minify(&input.body, MinifyMode::Php).expect("php")),
        Family::MinifyGoSorted => {
            p.body = Some(minify(&input.body, MinifyMode::GoSorted).expect("go"))
        }
        Family::MinifyNone => p.body = Some(input.body.clone()),
        Family::EmptyBodySegmentLeftOut => p.body_hash_override = Some(None),
        Family::EmptyBodySegmentEmpty => p.body_hash_override = Some(Some(String::new())),
        Family::EmptyBodyHashedAsOther => p.body = Some("{}".into()),
        Family::WhitespaceStrippedInStrings => p.strip = true,
        Family::TrailingNewline => p.newline = true,
        Family::BodyHashUpperCase => p.upper = true,
        Family::TimestampMillis => p.timestamp = "2024-12-01T07:15:00.000+07:00".into(),
        Family::TimestampUtcMillisZ => p.timestamp = "2024-12-01T00:15:00.000Z".into(),
        Family::TimestampOtherSpelling => p.timestamp = "2024-12-01T00:15:00Z".into(),
        Family::ClientIdWhitespace => p.client_id = CLIENT_ID.into(),
        Family::ClientIdCase => p.client_id = CLIENT_ID.trim().to_lowercase(),
        Family::TokenSeparator => p.separator = ":",
        other => panic!("the test has no counterparty for {other:?}: add one"),
    }
}

fn join(p: Pieces, kind: SignatureKind) -> String {
    if !kind.covers_request() {
        return format!("{}{}{}", p.client_id, p.separator, p.timestamp);
    }
    let mut path = p.path;
    if let Some(q) = p.query {
        path = format!("{path}?{q}");
    }
    if let Some(origin) = p.origin {
        path = format!("{origin}{path}");
    }
    let mut parts = vec![p.method, path];
    if kind == SignatureKind::Symmetric
        && let Some(token) = p.token
    {
        parts.push(token);
    }
    let hash = match p.body_hash_override {
        Some(segment) => segment,
        None => {
            let mut body = p.body.unwrap_or_default();
            if p.strip {
                body.retain(|c| !c.is_whitespace());
            }
            if p.newline {
                body.push('\n');
            }
            let hash = hex::encode(Sha256::digest(body.as_bytes()));
            Some(if p.upper { hash.to_uppercase() } else { hash })
        }
    };
    parts.extend(hash);
    parts.push(p.timestamp);
    parts.join(":")
}

fn map_query(f: impl Fn(&str) -> String) -> String {
    QUERY
        .split('&')
        .map(|pair| pair.split('=').map(&f).collect::<Vec<_>>().join("="))
        .collect::<Vec<_>>()
        .join("&")
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(hex) = s.get(i + 1..i + 3)
            && let Ok(b) = u8::from_str_radix(hex, 16)
        {
            out.push(b);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).expect("utf-8")
}

fn percent_encode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// The signature, made by the `openssl` command.
fn openssl_sign(kind: SignatureKind, r: &Recipe) -> String {
    let mut command = Command::new("openssl");
    command.arg("dgst").arg("-binary");
    if kind == SignatureKind::Symmetric {
        command
            .arg(if r.hmac_sha256 { "-sha256" } else { "-sha512" })
            .args(["-mac", "HMAC", "-macopt"])
            .arg(format!("hexkey:{}", hex::encode(&r.key)));
    } else {
        command
            .args(["-sha256", "-sign"])
            .arg(vectors_dir().join("partner_private_pkcs8.pem"));
    }
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("openssl runs (it is needed by these tests)");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(r.text.as_bytes())
        .expect("write to openssl");
    let out = child.wait_with_output().expect("openssl finishes");
    assert!(
        out.status.success(),
        "openssl: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    match r.encoding {
        Encoding::Base64 => STANDARD.encode(&out.stdout),
        Encoding::Hex => hex::encode(&out.stdout),
        Encoding::UrlSafe => URL_SAFE_NO_PAD.encode(&out.stdout),
    }
}

// ---------------------------------------------------------------------------------------
// The set of cases, from the table
// ---------------------------------------------------------------------------------------

/// Families that change the same thing cannot both be applied.
fn slot(f: Family) -> &'static str {
    use Family::*;
    match f {
        MethodLowerCase | MethodAsTyped => "method",
        PrefixSigned | FirstSegmentUnsigned => "context root",
        QueryLeftOut | QuerySorted | QueryEncoded | QueryDecoded => "query",
        BearerSigned | TokenAsTyped | TokenLeftOut => "token",
        MinifyLexical
        | MinifyJs
        | MinifyPhp
        | MinifyGoSorted
        | MinifyNone
        | EmptyBodySegmentLeftOut
        | EmptyBodySegmentEmpty
        | EmptyBodyHashedAsOther => "body",
        TimestampMillis | TimestampUtcMillisZ | TimestampOtherSpelling => "timestamp",
        ClientIdWhitespace | ClientIdCase => "client id",
        SignatureHex | SignatureUrlSafe => "encoding",
        other => match other {
            FullUrl => "host",
            WhitespaceStrippedInStrings => "strip",
            TrailingNewline => "newline",
            BodyHashUpperCase => "hash case",
            TokenSeparator => "separator",
            SecretBase64Decoded => "key",
            _ => "hmac",
        },
    }
}

/// A literal segment for an empty body leaves nothing to strip, add a newline to or
/// upper-case: such pairs do not exist.
fn meaningful(a: Family, b: Family) -> bool {
    let segment = |f| {
        matches!(
            f,
            Family::EmptyBodySegmentLeftOut | Family::EmptyBodySegmentEmpty
        )
    };
    let body_modifier = |f| {
        matches!(
            f,
            Family::WhitespaceStrippedInStrings
                | Family::TrailingNewline
                | Family::BodyHashUpperCase
        )
    };
    slot(a) != slot(b) && !(segment(a) && body_modifier(b)) && !(segment(b) && body_modifier(a))
}

/// Every family alone, and every meaningful pair that involves a family from the wild.
fn cases(kind: SignatureKind) -> Vec<Vec<Family>> {
    cases_where(kind, |a, b| {
        a.reported_in_the_wild || b.reported_in_the_wild
    })
}

fn cases_where(
    kind: SignatureKind,
    pair_wanted: impl Fn(&Variant, &Variant) -> bool,
) -> Vec<Vec<Family>> {
    let families: Vec<_> = VARIANTS
        .iter()
        .filter(|v| v.kinds.contains(&kind))
        .collect();
    let mut cases: Vec<Vec<Family>> = families.iter().map(|v| vec![v.family]).collect();
    for (i, a) in families.iter().enumerate() {
        for b in families.iter().skip(i + 1) {
            if pair_wanted(a, b) && meaningful(a.family, b.family) {
                cases.push(vec![a.family, b.family]);
            }
        }
    }
    cases
}

#[derive(Default)]
struct Tally {
    total: usize,
    exact: usize,
    /// Cases whose applied families include a provider convention (a setting remedy), and
    /// of those, the ones where the diagnosis names every such setting's field.
    with_setting: usize,
    setting_named: usize,
    equivalent: usize,
    missed: Vec<String>,
    equivalents: Vec<String>,
}

fn run_case(kind: SignatureKind, applied: &[Family], tally: &mut Tally) {
    let fx = fixture(kind, applied);
    let wanted = recipe(&fx, applied);
    let signature = openssl_sign(kind, &wanted);
    let public = public_key();
    let secret = if kind == SignatureKind::Symmetric {
        VerifyingSecret::Hmac(fx.secret.as_bytes())
    } else {
        VerifyingSecret::Rsa(&public)
    };
    let d = diagnose_at(&fx.input, BASE_URL, &signature, secret).expect("diagnose runs");
    tally.total += 1;
    let wanted_fields: BTreeSet<&str> = applied
        .iter()
        .filter_map(|f| match variants::variant(*f).map(|v| v.remedy) {
            Some(Remedy::Setting { field, .. }) => Some(field),
            _ => None,
        })
        .collect();
    if !wanted_fields.is_empty() {
        tally.with_setting += 1;
        let named_fields: BTreeSet<&str> = d.settings().iter().map(|s| s.field).collect();
        if d.matched && wanted_fields.is_subset(&named_fields) {
            tally.setting_named += 1;
        }
    }
    let named = d.families();
    let applied_set: BTreeSet<String> = applied.iter().map(|f| format!("{f:?}")).collect();
    let named_set: BTreeSet<String> = named.iter().map(|f| format!("{f:?}")).collect();
    if d.matched && named_set == applied_set {
        tally.exact += 1;
    } else if d.matched && recipe(&fx, &named) == wanted {
        tally.equivalent += 1;
        tally
            .equivalents
            .push(format!("{kind}: applied {applied:?}, named {named:?}"));
    } else {
        tally.missed.push(format!(
            "{kind}: applied {applied:?}, named {named:?} (matched {})",
            d.matched
        ));
    }
    for deviation in &d.deviations {
        match deviation.remedy {
            Remedy::Setting { field, .. } => {
                assert_eq!(
                    deviation.setting.as_ref().map(|s| s.field),
                    Some(field),
                    "a setting remedy names its field"
                );
            }
            Remedy::AskCounterparty { message } => assert!(message.starts_with("Please")),
        }
    }
}

#[test]
fn the_diagnosis_names_at_least_95_percent_of_the_variants_made_by_openssl() {
    let started = Instant::now();
    let mut overall = Tally::default();
    // One thread per kind: the cases are independent, and openssl runs as a process.
    let tallies: Vec<(SignatureKind, Tally)> = std::thread::scope(|scope| {
        let handles: Vec<_> = KINDS
            .map(|kind| {
                scope.spawn(move || {
                    let mut tally = Tally::default();
                    for case in cases(kind) {
                        run_case(kind, &case, &mut tally);
                    }
                    (kind, tally)
                })
            })
            .into_iter()
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("a kind's cases ran"))
            .collect()
    });
    for (kind, tally) in tallies {
        println!(
            "{kind}: {} cases, {} named exactly, {} by an equivalent simpler explanation, {} missed",
            tally.total,
            tally.exact,
            tally.equivalent,
            tally.missed.len()
        );
        overall.total += tally.total;
        overall.exact += tally.exact;
        overall.with_setting += tally.with_setting;
        overall.setting_named += tally.setting_named;
        overall.equivalent += tally.equivalent;
        overall.missed.extend(tally.missed);
        overall.equivalents.extend(tally.equivalents);
    }
    for same in &overall.equivalents {
        println!("equivalent: {same}");
    }
    for miss in &overall.missed {
        println!("missed: {miss}");
    }
    let named = overall.exact + overall.equivalent;
    let rate = named as f64 / overall.total as f64;
    println!(
        "named {named} of {} ({:.1} %; exact {}), in {:?}",
        overall.total,
        rate * 100.0,
        overall.exact,
        started.elapsed()
    );
    let setting_rate = overall.setting_named as f64 / overall.with_setting.max(1) as f64;
    println!(
        "settings: named for {} of {} cases with a provider convention ({:.1} %)",
        overall.setting_named,
        overall.with_setting,
        setting_rate * 100.0
    );
    assert!(overall.total > 300, "the set shrank: {}", overall.total);
    assert!(
        setting_rate >= 0.95,
        "settings named only {:.1} %",
        setting_rate * 100.0
    );
    assert!(rate >= 0.95, "named only {:.1} %", rate * 100.0);
}

/// Every meaningful pair of the whole table (about 800 cases, a minute in debug builds):
/// `cargo test --test diagnose_variants -- --ignored --nocapture`.
#[test]
#[ignore = "slow: every pair of the table; run by hand for the figures"]
fn every_pair_of_the_table() {
    let mut total = 0;
    let mut named = 0;
    for kind in KINDS {
        let mut tally = Tally::default();
        for case in cases_where(kind, |_, _| true) {
            run_case(kind, &case, &mut tally);
        }
        for miss in &tally.missed {
            println!("missed: {miss}");
        }
        total += tally.total;
        named += tally.exact + tally.equivalent;
    }
    let rate = named as f64 / total as f64;
    println!(
        "every pair: named {named} of {total} ({:.1} %)",
        rate * 100.0
    );
    assert!(rate >= 0.95, "named only {:.1} %", rate * 100.0);
}

#[test]
fn three_variants_at_once_are_counted_as_missed() {
    // The scoring is not vacuous: beyond two deviations the diagnosis finds nothing, and
    // the tally says so.
    let mut tally = Tally::default();
    let triple = [
        Family::TrailingNewline,
        Family::TimestampMillis,
        Family::MethodLowerCase,
    ];
    run_case(SignatureKind::AsymmetricTransaction, &triple, &mut tally);
    assert_eq!((tally.total, tally.exact, tally.equivalent), (1, 0, 0));
    assert_eq!(tally.missed.len(), 1);
}

#[test]
fn every_family_of_the_table_is_exercised_for_every_kind_it_applies_to() {
    for v in VARIANTS {
        for kind in v.kinds {
            if !KINDS.contains(kind) {
                continue;
            }
            let fx = fixture(*kind, &[v.family]);
            let standard = recipe(&fx, &[]);
            assert_ne!(
                recipe(&fx, &[v.family]),
                standard,
                "{:?} changes nothing for {kind}",
                v.family
            );
        }
    }
}

// ---------------------------------------------------------------------------------------
// The command line reads the same table
// ---------------------------------------------------------------------------------------

fn cli(args: &[&str], envs: &[(&str, &str)]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_snap-console"))
        .args(args)
        .envs(envs.iter().copied())
        .output()
        .expect("binary runs")
}

#[test]
fn cli_help_lists_every_variant_of_the_table() {
    let out = cli(&["diagnose", "--help"], &[]);
    assert!(out.status.success());
    let help = String::from_utf8_lossy(&out.stdout);
    for v in VARIANTS {
        assert!(help.contains(v.what), "{:?} missing from --help", v.family);
    }
}

/// The JSON the CLI prints for a symmetric case made by openssl.
fn cli_json_for(families: &[Family]) -> serde_json::Value {
    let kind = SignatureKind::Symmetric;
    let fx = fixture(kind, families);
    let signature = openssl_sign(kind, &recipe(&fx, families));
    let dir = tempfile::tempdir().expect("temp dir");
    let body = dir.path().join("body.json");
    std::fs::write(&body, &fx.input.body).expect("write body");
    let body = body.display().to_string();
    let args = [
        "diagnose",
        "--expected-signature",
        &signature,
        "--kind",
        "symmetric",
        "--timestamp",
        TIMESTAMP,
        "--method",
        &fx.input.method,
        "--path",
        &fx.input.path,
        "--base-url",
        BASE_URL,
        "--token",
        TOKEN_AS_TYPED,
        "--body-file",
        &body,
        "--client-secret-env",
        "VARIANTS_TEST_SECRET",
        "--json",
    ];
    let out = cli(&args, &[("VARIANTS_TEST_SECRET", fx.secret.as_str())]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("one JSON object")
}

#[test]
fn cli_names_the_setting_for_a_provider_convention_and_the_message_for_a_bug() {
    let json = cli_json_for(&[Family::HmacSha256, Family::FullUrl]);
    assert_eq!(
        json["families"],
        serde_json::json!(["full-url", "hmac-sha256"])
    );
    assert_eq!(
        json["settings"],
        serde_json::json!([
            {"field": "pathForm", "value": "full-url"},
            {"field": "hmacAlgorithm", "value": "sha256"},
        ])
    );
    assert_eq!(json["messagesToCounterparty"], serde_json::json!([]));

    let json = cli_json_for(&[Family::TrailingNewline, Family::WhitespaceStrippedInStrings]);
    assert_eq!(
        json["families"],
        serde_json::json!(["whitespace-stripped-in-strings", "trailing-newline"])
    );
    assert_eq!(json["settings"], serde_json::json!([]));
    let messages = json["messagesToCounterparty"].to_string();
    assert!(
        messages.contains("without a trailing newline"),
        "{messages}"
    );
    assert!(messages.contains("inside a string"), "{messages}");
}

// ---------------------------------------------------------------------------------------
// "Apply to profile": the named setting makes our signature theirs
// ---------------------------------------------------------------------------------------

#[test]
fn applying_the_named_settings_makes_our_signer_produce_their_signature() {
    use snap_console::snap::signature::{self, SigningOptions, SigningSecret};
    use snap_console::store::profiles::Profile;

    let kind = SignatureKind::Symmetric;
    let cases: [&[Family]; 8] = [
        &[Family::FullUrl],
        &[Family::QueryEncoded],
        &[Family::QueryDecoded, Family::MinifyPhp],
        &[Family::HmacSha256],
        &[Family::HmacSha256, Family::FullUrl],
        &[Family::FirstSegmentUnsigned, Family::MinifyJs],
        &[Family::PrefixSigned],
        &[Family::MinifyGoSorted, Family::QueryEncoded],
    ];
    for families in cases {
        let fx = fixture(kind, families);
        let theirs = openssl_sign(kind, &recipe(&fx, families));
        let d = diagnose_at(
            &fx.input,
            BASE_URL,
            &theirs,
            VerifyingSecret::Hmac(fx.secret.as_bytes()),
        )
        .expect("diagnose runs");
        let mut named = d.families();
        let mut wanted = families.to_vec();
        named.sort_by_key(|f| format!("{f:?}"));
        wanted.sort_by_key(|f| format!("{f:?}"));
        assert_eq!(named, wanted, "{d:?}");
        // The profile the developer had, with the diagnosis's settings applied through its
        // JSON form (what "apply to profile" writes to profiles.json).
        let before = Profile {
            unsigned_path_prefix: fx.input.unsigned_path_prefix.clone(),
            minify: fx.input.minify,
            ..Profile::default()
        };
        let mut json = serde_json::to_value(&before).expect("profile to JSON");
        for setting in d.settings() {
            json[setting.field] = serde_json::Value::String(setting.value.clone());
        }
        let after: Profile = serde_json::from_value(json).expect("settings are valid values");
        let input = SignatureInput {
            unsigned_path_prefix: after.unsigned_path_prefix.clone(),
            minify: after.minify,
            access_token: "tok-ABC123".into(),
            ..fx.input.clone()
        };
        let options = SigningOptions {
            hmac: after.hmac_algorithm,
            path_form: after.path_form,
            query_encoding: after.query_encoding,
            origin: BASE_URL.into(),
        };
        let prepared = signature::prepare_with(&input, &options).expect("prepare");
        let ours = signature::sign_with(
            &prepared,
            SigningSecret::Hmac(fx.secret.as_bytes()),
            &options,
        )
        .expect("sign");
        assert_eq!(
            ours,
            theirs,
            "{families:?}: {}",
            prepared.string_to_sign.text()
        );
    }
}
