//! "Why is my signature rejected?": a counterparty signs the published vectors' inputs
//! deliberately wrong in one or two known ways (with src/snap's own signing functions), and
//! the engine must name exactly those deviations and the stringToSign that was signed.

// Test, bench and example code may panic: a failed expectation is the point.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::too_many_lines
)]

use std::process::{Command, Output};
use std::time::Instant;

#[path = "common/snap_vectors.rs"]
mod snap_vectors;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::Value;
use snap_console::snap::diagnose::{Aspect, Diagnosis, diagnose};
use snap_console::snap::keys;
use snap_console::snap::minify::{MinifyMode, minify};
use snap_console::snap::signature::{
    self, PartName, SignatureEncoding, SignatureInput, SignatureKind, VerifyingSecret,
};
use snap_vectors::{field, input_of, named, private_key, public_key, vectors_dir};

/// The standard stringToSign of `input`.
fn standard_text(input: &SignatureInput) -> String {
    signature::prepare(input)
        .expect("prepare")
        .string_to_sign
        .text()
}

/// The standard stringToSign with one part replaced (Some) or left out (None).
fn with_part(input: &SignatureInput, name: PartName, value: Option<&str>) -> String {
    let mut sts = signature::prepare(input).expect("prepare").string_to_sign;
    match value {
        Some(value) => {
            let part = sts
                .parts
                .iter_mut()
                .find(|p| p.name == name)
                .expect("part present");
            part.value = value.to_string();
        }
        None => sts.parts.retain(|p| p.name != name),
    }
    sts.text()
}

/// What a counterparty with the client secret sends: HMAC-SHA512, Base64.
fn hmac_signature(text: &str, secret: &str) -> String {
    STANDARD.encode(signature::hmac_sha512(secret.as_bytes(), text.as_bytes()))
}

/// What a counterparty with the RSA private key sends: SHA256withRSA, Base64.
fn rsa_signature(text: &str, key: &keys::RsaPrivateKey) -> String {
    STANDARD.encode(signature::rsa_sha256_sign(key, text.as_bytes()).expect("rsa sign"))
}

fn diagnose_hmac(input: &SignatureInput, signature: &str, secret: &str) -> Diagnosis {
    diagnose(input, signature, VerifyingSecret::Hmac(secret.as_bytes())).expect("diagnose runs")
}

fn diagnose_rsa(input: &SignatureInput, signature: &str) -> Diagnosis {
    diagnose(input, signature, VerifyingSecret::Rsa(&public_key())).expect("diagnose runs")
}

#[track_caller]
fn assert_match(d: &Diagnosis, signed: &str, deviations: &[&str]) {
    assert!(d.matched, "no match; tried {}: {d:?}", d.tried);
    assert_eq!(d.string_to_sign.as_deref(), Some(signed), "stringToSign");
    assert_eq!(d.deviation_texts(), deviations, "deviations");
}

/// The VA payment vector, with a body that PHP's json_encode re-escapes (`/`, `é`).
fn va_with_php_sensitive_body() -> (SignatureInput, String) {
    let v = named("va-payment-aspi-example-body");
    let mut input = input_of(&v);
    input.body = input.body.replace("\"Tom\"", "\"Tom/José\"");
    let lexical = minify(&input.body, MinifyMode::Lexical).expect("lexical");
    let php = minify(&input.body, MinifyMode::Php).expect("php");
    assert_ne!(lexical, php, "the body must tell PHP from lexical");
    assert!(php.contains(r"Tom\/Jos\u00e9"), "{php}");
    (input, field(&v, "clientSecret"))
}

// ---------------------------------------------------------------------------------------
// The standard, and no match
// ---------------------------------------------------------------------------------------

#[test]
fn every_published_vector_matches_the_standard_with_no_deviation() {
    for name in [
        "b2b-token-aspi",
        "va-payment-aspi-example-body",
        "get-empty-body",
        "whitespace-inside-strings-kept",
        "notification-asymmetric",
    ] {
        let v = named(name);
        let input = input_of(&v);
        let d = if input.kind == SignatureKind::Symmetric {
            diagnose_hmac(&input, &field(&v, "signature"), &field(&v, "clientSecret"))
        } else {
            diagnose_rsa(&input, &field(&v, "signature"))
        };
        assert_match(&d, &field(&v, "stringToSign"), &[]);
        assert_eq!(d.tried, 1, "{name}: the standard is tried first");
        assert_eq!(d.encoding, Some(SignatureEncoding::Base64));
        assert_eq!(d.standard_string_to_sign, d.string_to_sign);
    }
}

#[test]
fn another_secret_matches_nothing_after_many_tries() {
    // NICEPAY-style path with a prefix and a query, and a body PHP re-escapes: many variants.
    let (mut input, _secret) = va_with_php_sensitive_body();
    input.path = "/nicepay/api/v1.0/transfer-va/payment?b=2&a=1".into();
    input.unsigned_path_prefix = "/nicepay".into();
    let signature = hmac_signature(&standard_text(&input), "another-secret");
    let started = Instant::now();
    let d = diagnose_hmac(&input, &signature, "sandbox-client-secret-0123456789");
    let elapsed = started.elapsed();
    println!("symmetric, no match: tried {} in {elapsed:?}", d.tried);
    assert!(!d.matched);
    assert!(d.tried > 100, "tried only {}", d.tried);
    assert_eq!(d.string_to_sign, None);
    assert!(d.deviations.is_empty());
    assert_eq!(d.standard_string_to_sign, Some(standard_text(&input)));
}

#[test]
fn another_rsa_key_matches_nothing() {
    let v = named("notification-asymmetric");
    let mut input = input_of(&v);
    input.body = input.body.replace("abc", "a/é");
    let other = keys::generate_private_key(2048).expect("keygen");
    let signature = rsa_signature(&standard_text(&input), &other);
    let started = Instant::now();
    let d = diagnose_rsa(&input, &signature);
    let elapsed = started.elapsed();
    println!(
        "transaction (RSA), no match: tried {} in {elapsed:?}",
        d.tried
    );
    assert!(!d.matched);
    assert!(d.tried > 50, "tried only {}", d.tried);

    let token = input_of(&named("b2b-token-aspi"));
    let signature = rsa_signature(&standard_text(&token), &other);
    let started = Instant::now();
    let d = diagnose_rsa(&token, &signature);
    println!(
        "b2b token (RSA), no match: tried {} in {:?}",
        d.tried,
        started.elapsed()
    );
    assert!(!d.matched);
    // The client ID is already lower case, so one spelling (upper) and five timestamp
    // spellings: 1 standard + 6 singles + 5 pairs.
    assert!(d.tried >= 12, "tried only {}", d.tried);
}

#[test]
fn a_secret_for_an_rsa_kind_and_garbage_signatures_are_errors() {
    let input = input_of(&named("b2b-token-aspi"));
    assert!(diagnose(&input, "AAAA", VerifyingSecret::Hmac(b"s")).is_err());
    let input = input_of(&named("get-empty-body"));
    assert!(diagnose(&input, "   ", VerifyingSecret::Hmac(b"s")).is_err());
    assert!(diagnose(&input, "!!!", VerifyingSecret::Hmac(b"s")).is_err());
}

// ---------------------------------------------------------------------------------------
// One deviation
// ---------------------------------------------------------------------------------------

#[test]
fn php_minify_is_named() {
    let (input, secret) = va_with_php_sensitive_body();
    let php_input = SignatureInput {
        minify: MinifyMode::Php,
        ..input.clone()
    };
    let signed = standard_text(&php_input);
    let d = diagnose_hmac(&input, &hmac_signature(&signed, &secret), &secret);
    assert_match(
        &d,
        &signed,
        &["the body was minified the PHP way (json_encode: escaped slashes and \\uXXXX)"],
    );
    assert_eq!(d.deviations[0].aspect, Aspect::BodyHash);
    assert!(d.tried > 1);
}

#[test]
fn lexical_minify_is_named_when_the_developer_chose_php() {
    let (input, secret) = va_with_php_sensitive_body();
    let signed = standard_text(&input);
    let php_input = SignatureInput {
        minify: MinifyMode::Php,
        ..input
    };
    let d = diagnose_hmac(&php_input, &hmac_signature(&signed, &secret), &secret);
    assert_match(
        &d,
        &signed,
        &["the body was minified by removing whitespace only (Go json.Compact style)"],
    );
}

#[test]
fn utc_z_timestamp_is_named() {
    let v = named("va-payment-aspi-example-body");
    let input = input_of(&v);
    let utc = SignatureInput {
        timestamp: "2024-12-01T00:15:00Z".into(),
        ..input.clone()
    };
    let signed = standard_text(&utc);
    let secret = field(&v, "clientSecret");
    let d = diagnose_hmac(&input, &hmac_signature(&signed, &secret), &secret);
    assert_match(
        &d,
        &signed,
        &["the timestamp was signed in UTC with Z: 2024-12-01T00:15:00Z"],
    );
    assert_eq!(d.deviations[0].aspect, Aspect::Timestamp);
}

#[test]
fn millisecond_and_colonless_timestamps_are_named() {
    let v = named("b2b-token-aspi");
    let input = input_of(&v);
    let key = private_key();
    for (timestamp, words) in [
        (
            "2024-11-29T14:15:00.000+07:00",
            "the timestamp was signed with milliseconds",
        ),
        (
            "2024-11-29T07:15:00.000Z",
            "the timestamp was signed in UTC with milliseconds and Z",
        ),
        (
            "2024-11-29T07:15:00+00:00",
            "the timestamp was signed at the same instant in +00:00",
        ),
        (
            "2024-11-29T14:15:00+0700",
            "the timestamp was signed with no colon in the offset",
        ),
    ] {
        let signed = format!("{}|{timestamp}", field(&v, "clientId"));
        let d = diagnose_rsa(&input, &rsa_signature(&signed, &key));
        assert_match(&d, &signed, &[&format!("{words}: {timestamp}")]);
    }
}

#[test]
fn bearer_in_the_token_is_named() {
    let v = named("va-payment-aspi-example-body");
    let input = input_of(&v);
    let token = format!("Bearer {}", field(&v, "accessToken"));
    let signed = with_part(&input, PartName::AccessToken, Some(&token));
    let secret = field(&v, "clientSecret");
    let d = diagnose_hmac(&input, &hmac_signature(&signed, &secret), &secret);
    assert_match(
        &d,
        &signed,
        &["the `Bearer ` prefix was included in the signed token"],
    );
    assert_eq!(d.deviations[0].aspect, Aspect::AccessToken);
}

#[test]
fn a_signed_nicepay_prefix_is_named() {
    let v = named("va-payment-aspi-example-body");
    let mut input = input_of(&v);
    input.path = "/nicepay/api/v1.0/transfer-va/payment".into();
    input.unsigned_path_prefix = "/nicepay".into();
    let signed = with_part(
        &input,
        PartName::Path,
        Some("/nicepay/api/v1.0/transfer-va/payment"),
    );
    let secret = field(&v, "clientSecret");
    let d = diagnose_hmac(&input, &hmac_signature(&signed, &secret), &secret);
    assert_match(
        &d,
        &signed,
        &["the unsigned prefix /nicepay was signed too: /nicepay/api/v1.0/transfer-va/payment"],
    );
}

#[test]
fn an_unsigned_nicepay_prefix_is_guessed_when_none_was_configured() {
    let v = named("va-payment-aspi-example-body");
    let mut input = input_of(&v);
    input.path = "/nicepay/api/v1.0/transfer-va/payment".into();
    let signed = with_part(
        &input,
        PartName::Path,
        Some("/api/v1.0/transfer-va/payment"),
    );
    let secret = field(&v, "clientSecret");
    let d = diagnose_hmac(&input, &hmac_signature(&signed, &secret), &secret);
    assert_match(
        &d,
        &signed,
        &[
            "the first path segment /nicepay was left out of the signed path (as NICEPAY does with /nicepay): /api/v1.0/transfer-va/payment",
        ],
    );
}

#[test]
fn query_left_out_and_full_url_are_named() {
    let v = named("notification-asymmetric");
    let key = private_key();
    let mut input = input_of(&v);
    input.path = "https://merchant.example/api/v1.0/transfer-va/payment?x=1".into();
    let no_query = with_part(
        &input,
        PartName::Path,
        Some("/api/v1.0/transfer-va/payment"),
    );
    let d = diagnose_rsa(&input, &rsa_signature(&no_query, &key));
    assert_match(
        &d,
        &no_query,
        &["the query string was left out of the signed path: /api/v1.0/transfer-va/payment"],
    );
    let full = with_part(&input, PartName::Path, Some(input.path.as_str()));
    let d = diagnose_rsa(&input, &rsa_signature(&full, &key));
    assert_match(
        &d,
        &full,
        &[
            "the full URL was signed instead of the relative path: https://merchant.example/api/v1.0/transfer-va/payment?x=1",
        ],
    );
}

#[test]
fn lower_case_method_is_named() {
    let v = named("notification-asymmetric");
    let input = input_of(&v);
    let signed = with_part(&input, PartName::Method, Some("post"));
    let d = diagnose_rsa(&input, &rsa_signature(&signed, &private_key()));
    assert_match(&d, &signed, &["the method was signed in lower case: post"]);
}

#[test]
fn hex_encoding_is_named() {
    let v = named("va-payment-aspi-example-body");
    let input = input_of(&v);
    let hex_signature = hex::encode(STANDARD.decode(field(&v, "signature")).expect("base64"));
    let d = diagnose_hmac(&input, &hex_signature, &field(&v, "clientSecret"));
    assert_match(
        &d,
        &field(&v, "stringToSign"),
        &["the signature was written as hex, not Base64"],
    );
    assert_eq!(d.encoding, Some(SignatureEncoding::Hex));
    assert_eq!(d.deviations[0].aspect, Aspect::Encoding);
    assert_eq!(
        d.tried, 1,
        "the encoding is found with the standard stringToSign"
    );

    let b2b = named("b2b-token-aspi");
    let hex_signature = hex::encode(STANDARD.decode(field(&b2b, "signature")).expect("base64"));
    let d = diagnose_rsa(&input_of(&b2b), &hex_signature);
    assert_match(
        &d,
        &field(&b2b, "stringToSign"),
        &["the signature was written as hex, not Base64"],
    );
}

#[test]
fn empty_body_conventions_are_named() {
    let v = named("get-empty-body");
    let input = input_of(&v);
    let secret = field(&v, "clientSecret");
    let empty_object_hash = "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a";
    let cases = [
        (
            with_part(&input, PartName::BodyHash, None),
            "the body hash segment was left out for the empty body (as gilang-as/snap-bi-go does)",
        ),
        (
            with_part(&input, PartName::BodyHash, Some("")),
            "an empty body-hash segment (::) was signed for the empty body (as TheArKaID/snap-bi-signer-js does)",
        ),
        (
            with_part(&input, PartName::BodyHash, Some(empty_object_hash)),
            "the empty body was hashed as `{}`",
        ),
        (
            with_part(
                &input,
                PartName::BodyHash,
                Some(&signature::EMPTY_BODY_HASH.to_ascii_uppercase()),
            ),
            "the body hash was written in upper-case hex",
        ),
    ];
    assert_eq!(
        cases[0].0,
        "GET:/api/v1.0/balance-inquiry:token-abc:2024-12-01T07:15:00+07:00"
    );
    for (signed, words) in cases {
        let d = diagnose_hmac(&input, &hmac_signature(&signed, &secret), &secret);
        assert_match(&d, &signed, &[words]);
    }
}

#[test]
fn upper_case_client_id_is_named() {
    let v = named("b2b-token-aspi");
    let input = input_of(&v);
    let upper = field(&v, "clientId").to_uppercase();
    let signed = format!("{upper}|{}", field(&v, "timestamp"));
    let d = diagnose_rsa(&input, &rsa_signature(&signed, &private_key()));
    assert_match(
        &d,
        &signed,
        &[&format!("the client ID was signed in upper case: {upper}")],
    );
}

#[test]
fn a_base64_decoded_client_secret_is_named() {
    let v = named("get-empty-body");
    let input = input_of(&v);
    let raw_key = b"raw key bytes";
    let secret_as_configured = STANDARD.encode(raw_key);
    let signed = field(&v, "stringToSign");
    let signature = STANDARD.encode(signature::hmac_sha512(raw_key, signed.as_bytes()));
    let d = diagnose_hmac(&input, &signature, &secret_as_configured);
    assert_match(
        &d,
        &signed,
        &["the client secret was Base64-decoded before use as the HMAC key"],
    );
    assert_eq!(d.deviations[0].aspect, Aspect::ClientSecret);
}

// ---------------------------------------------------------------------------------------
// Two deviations
// ---------------------------------------------------------------------------------------

#[test]
fn php_minify_and_z_timestamp_together_are_named_in_order() {
    let (input, secret) = va_with_php_sensitive_body();
    let counterparty = SignatureInput {
        minify: MinifyMode::Php,
        timestamp: "2024-12-01T00:15:00Z".into(),
        ..input.clone()
    };
    let signed = standard_text(&counterparty);
    let started = Instant::now();
    let d = diagnose_hmac(&input, &hmac_signature(&signed, &secret), &secret);
    println!(
        "symmetric, two deviations: found after {} in {:?}",
        d.tried,
        started.elapsed()
    );
    assert_match(
        &d,
        &signed,
        &[
            "the body was minified the PHP way (json_encode: escaped slashes and \\uXXXX)",
            "the timestamp was signed in UTC with Z: 2024-12-01T00:15:00Z",
        ],
    );
}

#[test]
fn lower_case_method_and_bearer_token_together() {
    let v = named("whitespace-inside-strings-kept");
    let input = input_of(&v);
    let mut sts = signature::prepare(&input).expect("prepare").string_to_sign;
    for part in &mut sts.parts {
        match part.name {
            PartName::Method => part.value = "post".into(),
            PartName::AccessToken => part.value = format!("Bearer {}", part.value),
            _ => {}
        }
    }
    let signed = sts.text();
    let secret = field(&v, "clientSecret");
    let d = diagnose_hmac(&input, &hmac_signature(&signed, &secret), &secret);
    assert_match(
        &d,
        &signed,
        &[
            "the method was signed in lower case: post",
            "the `Bearer ` prefix was included in the signed token",
        ],
    );
}

#[test]
fn rsa_dropped_hash_segment_with_millis_timestamp_and_hex() {
    // Two stringToSign deviations plus the encoding: GA-style empty body, millis, hex.
    let v = named("notification-asymmetric");
    let mut input = input_of(&v);
    input.method = "DELETE".into();
    input.body = String::new();
    let millis = "2022-03-21T10:11:40.000+07:00";
    let mut sts = signature::prepare(&input).expect("prepare").string_to_sign;
    sts.parts.retain(|p| p.name != PartName::BodyHash);
    if let Some(ts) = sts.parts.iter_mut().find(|p| p.name == PartName::Timestamp) {
        ts.value = millis.into();
    }
    let signed = sts.text();
    assert_eq!(
        signed,
        format!("DELETE:/api/v1.0/transfer-va/payment:{millis}")
    );
    let raw = signature::rsa_sha256_sign(&private_key(), signed.as_bytes()).expect("sign");
    let started = Instant::now();
    let d = diagnose_rsa(&input, &hex::encode(raw));
    println!(
        "transaction (RSA), two deviations + hex: found after {} in {:?}",
        d.tried,
        started.elapsed()
    );
    assert_match(
        &d,
        &signed,
        &[
            "the body hash segment was left out for the empty body (as gilang-as/snap-bi-go does)",
            &format!("the timestamp was signed with milliseconds: {millis}"),
            "the signature was written as hex, not Base64",
        ],
    );
}

#[test]
fn three_deviations_are_beyond_the_search() {
    let v = named("notification-asymmetric");
    let input = input_of(&v);
    let mut sts = signature::prepare(&input).expect("prepare").string_to_sign;
    for part in &mut sts.parts {
        match part.name {
            PartName::Method => part.value = "post".into(),
            PartName::Path => part.value.push('/'),
            PartName::Timestamp => part.value = "2022-03-21T03:11:40Z".into(),
            _ => {}
        }
    }
    let d = diagnose_rsa(&input, &rsa_signature(&sts.text(), &private_key()));
    assert!(!d.matched, "{d:?}");
}

#[test]
fn an_unreadable_body_still_tries_the_raw_hash() {
    let v = named("va-payment-aspi-example-body");
    let mut input = input_of(&v);
    input.body = "amount=10000&currency=IDR".into();
    assert!(signature::prepare(&input).is_err());
    let signed = format!(
        "POST:/api/v1.0/transfer-va/payment:{}:{}:{}",
        field(&v, "accessToken"),
        signature::body_hash_hex(&input.body),
        field(&v, "timestamp")
    );
    let secret = field(&v, "clientSecret");
    let d = diagnose_hmac(&input, &hmac_signature(&signed, &secret), &secret);
    assert_match(
        &d,
        &signed,
        &["the body was hashed exactly as typed, without minifying"],
    );
    assert_eq!(d.standard_string_to_sign, None);
    assert_eq!(d.notes.len(), 1, "{:?}", d.notes);
    assert!(d.notes[0].contains("lexical"), "{:?}", d.notes);
}

// ---------------------------------------------------------------------------------------
// The command line
// ---------------------------------------------------------------------------------------

fn cli(args: &[&str], envs: &[(&str, &str)]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_snap-console"))
        .arg("diagnose")
        .args(args)
        .envs(envs.iter().copied())
        .output()
        .expect("binary runs")
}

fn json_of(out: &Output) -> Value {
    let text = String::from_utf8_lossy(&out.stdout);
    serde_json::from_str(text.trim()).unwrap_or_else(|e| {
        panic!(
            "not one JSON object ({e}): {text}\nstderr: {}",
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

#[test]
fn cli_names_php_minify_and_z_timestamp_as_json() {
    let (input, secret) = va_with_php_sensitive_body();
    let dir = tempfile::tempdir().expect("temp dir");
    let body_file = dir.path().join("body.json");
    std::fs::write(&body_file, &input.body).expect("write body");
    let counterparty = SignatureInput {
        minify: MinifyMode::Php,
        timestamp: "2024-12-01T00:15:00Z".into(),
        ..input.clone()
    };
    let signed = standard_text(&counterparty);
    let signature = hmac_signature(&signed, &secret);
    let body_path = body_file.display().to_string();
    let args = [
        "--expected-signature",
        signature.as_str(),
        "--kind",
        "symmetric",
        "--timestamp",
        input.timestamp.as_str(),
        "--method",
        "post",
        "--path",
        input.path.as_str(),
        "--token",
        input.access_token.as_str(),
        "--body-file",
        body_path.as_str(),
        "--client-secret-env",
        "DIAGNOSE_TEST_SECRET",
        "--json",
    ];
    let out = cli(&args, &[("DIAGNOSE_TEST_SECRET", secret.as_str())]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json = json_of(&out);
    assert_eq!(json["matched"], true);
    assert_eq!(json["stringToSign"], signed.as_str());
    assert_eq!(
        json["deviations"],
        serde_json::json!([
            "the body was minified the PHP way (json_encode: escaped slashes and \\uXXXX)",
            "the timestamp was signed in UTC with Z: 2024-12-01T00:15:00Z",
        ])
    );
    assert!(json["tried"].as_u64().is_some_and(|n| n > 1), "{json}");

    // The same signature checked with another secret: ran fine, the answer is no.
    let out = cli(&args, &[("DIAGNOSE_TEST_SECRET", "wrong")]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json = json_of(&out);
    assert_eq!(json["matched"], false);
    assert_eq!(json["stringToSign"], Value::Null);
    assert_eq!(json["deviations"], serde_json::json!([]));
    assert!(json["tried"].as_u64().is_some_and(|n| n > 50), "{json}");
}

#[test]
fn cli_rsa_kind_accepts_a_private_key_file_and_prints_text() {
    let v = named("b2b-token-aspi");
    let signed = format!("{}|2024-11-29T07:15:00Z", field(&v, "clientId"));
    let signature = rsa_signature(&signed, &private_key());
    let key_file = vectors_dir()
        .join("partner_private_pkcs1.pem")
        .display()
        .to_string();
    let args = [
        "--expected-signature",
        signature.as_str(),
        "--kind",
        "b2b",
        "--client-id",
        "5f5c1e3a-7c1d-4b8e-9f0a-2b3c4d5e6f70",
        "--timestamp",
        "2024-11-29T14:15:00+07:00",
        "--public-key",
        key_file.as_str(),
    ];
    let out = cli(&args, &[]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("the timestamp was signed in UTC with Z: 2024-11-29T07:15:00Z"),
        "{text}"
    );
    assert!(text.contains(&format!("stringToSign:  {signed}")), "{text}");
}

#[test]
fn cli_errors_exit_2() {
    let key_file = vectors_dir()
        .join("partner_public.pem")
        .display()
        .to_string();
    let cases: [&[&str]; 3] = [
        // No key for an RSA kind.
        &[
            "--expected-signature",
            "AAAA",
            "--kind",
            "b2b",
            "--timestamp",
            "t",
        ],
        // An empty signature.
        &[
            "--expected-signature",
            " ",
            "--kind",
            "b2b",
            "--timestamp",
            "t",
            "--public-key",
            &key_file,
        ],
        // A transactional kind without method and path.
        &[
            "--expected-signature",
            "AAAA",
            "--kind",
            "transaction",
            "--timestamp",
            "t",
            "--public-key",
            &key_file,
        ],
    ];
    for args in cases {
        let out = cli(args, &[]);
        assert_eq!(
            out.status.code(),
            Some(2),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stdout)
        );
        assert!(
            String::from_utf8_lossy(&out.stderr).starts_with("error: "),
            "{args:?}"
        );
    }
}
