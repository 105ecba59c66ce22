//! The hot paths of the SNAP core: RSA-2048 signing (token and asymmetric requests), the
//! symmetric signature of the ASPI VA-payment example (minify + hash + HMAC), and minifying
//! a 1 MB body in every mode. Compare RSA with `openssl speed -seconds 3 rsa2048`.

// Test, bench and example code may panic: a failed expectation is the point.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::too_many_lines
)]

use std::hint::black_box;
use std::path::PathBuf;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use snap_console::snap::diagnose::diagnose_at;
use snap_console::snap::keys;
use snap_console::snap::minify::{MinifyMode, minify};
use snap_console::snap::signature::{
    self, SignatureInput, SignatureKind, SigningSecret, VerifyingSecret,
};

fn vectors_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/vectors/snap")
}

fn va_payment_body() -> String {
    let text = std::fs::read_to_string(vectors_dir().join("vectors.json")).expect("vectors.json");
    let doc: serde_json::Value = serde_json::from_str(&text).expect("json");
    doc["vectors"][1]["body"]
        .as_str()
        .expect("body")
        .to_string()
}

/// About 1 MB of pretty-printed SNAP-like JSON (bill details with strings and numbers).
fn one_megabyte_body() -> String {
    let mut body = String::from("{\n  \"billDetails\": [\n");
    let mut i = 0;
    while body.len() < 1_000_000 {
        if i > 0 {
            body.push_str(",\n");
        }
        body.push_str(&format!(
            "    {{ \"billCode\": \"{i:02}\", \"billName\": \"Bill {i} for Jan\", \"billAmount\": {{ \"value\": \"{i}.00\", \"currency\": \"IDR\" }}, \"url\": \"https:\\/\\/a.b\\/c\", \"n\": {i} }}"
        ));
        i += 1;
    }
    body.push_str("\n  ]\n}");
    body
}

fn rsa_sign(c: &mut Criterion) {
    let pem = std::fs::read(vectors_dir().join("partner_private_pkcs8.pem")).expect("key");
    let key = keys::parse_private_key(&pem, None).expect("parse").key;
    let message = b"5f5c1e3a-7c1d-4b8e-9f0a-2b3c4d5e6f70|2024-11-29T14:15:00+07:00";
    c.bench_function("rsa2048_sha256_sign", |b| {
        b.iter(|| signature::rsa_sha256_sign(black_box(&key), black_box(message)))
    });
}

fn symmetric_va_payment(c: &mut Criterion) {
    let input = SignatureInput {
        kind: SignatureKind::Symmetric,
        timestamp: "2024-12-01T07:15:00+07:00".into(),
        method: "POST".into(),
        path: "/api/v1.0/transfer-va/payment".into(),
        access_token: "gp9HjjEj813Y9JGoqwOeOPWbnt4CUpvIJbU1mMU4a11MNDZ7Sg5u9a".into(),
        body: va_payment_body(),
        ..SignatureInput::default()
    };
    let secret = b"sandbox-client-secret-0123456789";
    c.bench_function("symmetric_signature_aspi_va_payment", |b| {
        b.iter(|| {
            let prepared = signature::prepare(black_box(&input)).expect("prepare");
            signature::sign(&prepared, SigningSecret::Hmac(secret)).expect("sign")
        })
    });
}

fn minify_one_megabyte(c: &mut Criterion) {
    let body = one_megabyte_body();
    let mut group = c.benchmark_group("minify_1mb");
    group.throughput(Throughput::Bytes(body.len() as u64));
    group.sample_size(20);
    for mode in [
        MinifyMode::Lexical,
        MinifyMode::Js,
        MinifyMode::Php,
        MinifyMode::GoSorted,
    ] {
        group.bench_function(mode.name(), |b| {
            b.iter(|| minify(black_box(&body), mode).expect("minify"))
        });
    }
    group.finish();
}

/// A full diagnosis: a signature made with another key or secret, so every candidate (the
/// standard, every single deviation, every pair) is tried before "no match". The path has
/// a context root, a query and a host, and the body reads in every minify mode: the
/// largest search there is. Issue 13 asks for under 1 s in release.
fn full_diagnosis(c: &mut Criterion) {
    let input = SignatureInput {
        kind: SignatureKind::Symmetric,
        timestamp: "2024-12-01T07:15:00+07:00".into(),
        method: "Post".into(),
        path: "/nicepay/api/v1.0/transfer-va/payment?trxDate=2024-12-01T07:15:00+07:00&name=Setya%20Wardana".into(),
        access_token: "bearer gp9HjjEj813Y9JGoqwOeOPWbnt4CUpvIJbU1mMU4a11MNDZ7Sg5u9a".into(),
        body: va_payment_body(),
        ..SignatureInput::default()
    };
    let base_url = "https://sandbox.example:8443";
    let secret = STANDARD.encode(b"sandbox-client-secret-0123456789");
    let wrong = STANDARD.encode([7u8; 64]);
    let mut group = c.benchmark_group("diagnosis_no_match");
    group.sample_size(10);
    group.bench_function("symmetric", |b| {
        b.iter(|| {
            let d = diagnose_at(
                black_box(&input),
                base_url,
                &wrong,
                VerifyingSecret::Hmac(secret.as_bytes()),
            )
            .expect("diagnose");
            assert!(!d.matched);
            d.tried
        })
    });
    let pem = std::fs::read(vectors_dir().join("partner_public.pem")).expect("key");
    let public = keys::parse_public_key(&pem).expect("parse").key;
    let asymmetric = SignatureInput {
        kind: SignatureKind::AsymmetricTransaction,
        ..input.clone()
    };
    let wrong_rsa = STANDARD.encode([7u8; 256]);
    group.bench_function("asymmetric_rsa", |b| {
        b.iter(|| {
            let d = diagnose_at(
                black_box(&asymmetric),
                base_url,
                &wrong_rsa,
                VerifyingSecret::Rsa(&public),
            )
            .expect("diagnose");
            assert!(!d.matched);
            d.tried
        })
    });
    group.finish();
}

criterion_group!(
    benches,
    rsa_sign,
    symmetric_va_payment,
    minify_one_megabyte,
    full_diagnosis
);
criterion_main!(benches);
