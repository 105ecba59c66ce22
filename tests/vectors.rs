//! Every vector of shared/vectors/snap/vectors.json reproduced exactly: stringToSign, the
//! minified body, its hash, the signature; and each verifies, and stops verifying when one
//! byte of its input changes.

// Test, bench and example code may panic: a failed expectation is the point.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::too_many_lines
)]

#[path = "common/snap_vectors.rs"]
mod snap_vectors;

use snap_console::snap::signature::{self, SignatureKind, SigningSecret, VerifyingSecret};
use snap_vectors::{all, field, input_of, private_key, public_key, vectors_dir};

#[test]
fn every_vector_is_reproduced_exactly() {
    let vectors = all();
    assert_eq!(vectors.len(), 5, "expected the five published vectors");
    let private = private_key();
    let public = public_key();
    for v in &vectors {
        let name = field(v, "name");
        let input = input_of(v);
        let prepared = signature::prepare(&input).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(
            prepared.string_to_sign.text(),
            field(v, "stringToSign"),
            "{name}: stringToSign"
        );
        if v.get("bodyHash").is_some() {
            assert_eq!(
                prepared.minified_body.as_deref(),
                Some(field(v, "minifiedBody").as_str()),
                "{name}: minifiedBody"
            );
            assert_eq!(
                prepared.body_hash.as_deref(),
                Some(field(v, "bodyHash").as_str()),
                "{name}: bodyHash"
            );
        }
        let secret = field(v, "clientSecret");
        let (signed, verdict) = if input.kind == SignatureKind::Symmetric {
            (
                signature::sign(&prepared, SigningSecret::Hmac(secret.as_bytes())),
                signature::verify(
                    &prepared,
                    VerifyingSecret::Hmac(secret.as_bytes()),
                    &field(v, "signature"),
                ),
            )
        } else {
            (
                signature::sign(&prepared, SigningSecret::Rsa(&private)),
                signature::verify(
                    &prepared,
                    VerifyingSecret::Rsa(&public),
                    &field(v, "signature"),
                ),
            )
        };
        assert_eq!(
            signed.ok(),
            Some(field(v, "signature")),
            "{name}: signature"
        );
        assert_eq!(verdict.map(|v| v.valid), Ok(true), "{name}: verifies");
    }
}

#[test]
fn a_changed_byte_breaks_every_vector() {
    let public = public_key();
    for v in all() {
        let name = field(&v, "name");
        let mut input = input_of(&v);
        // One second later: every kind signs the timestamp.
        input.timestamp = input
            .timestamp
            .replacen(":00+", ":01+", 1)
            .replacen(":40+", ":41+", 1);
        let prepared = signature::prepare(&input).expect("prepare");
        let secret = field(&v, "clientSecret");
        let verdict = if input.kind == SignatureKind::Symmetric {
            signature::verify(
                &prepared,
                VerifyingSecret::Hmac(secret.as_bytes()),
                &field(&v, "signature"),
            )
        } else {
            signature::verify(
                &prepared,
                VerifyingSecret::Rsa(&public),
                &field(&v, "signature"),
            )
        };
        assert_eq!(
            verdict.map(|v| v.valid),
            Ok(false),
            "{name}: must not verify a changed timestamp"
        );
    }
}

#[test]
fn rsa_signature_equals_openssl() {
    // OpenSSL is the independent second implementation: `openssl dgst -sha256 -sign`.
    let Ok(output) = std::process::Command::new("openssl")
        .arg("version")
        .output()
    else {
        panic!("openssl is needed for this test (apt-get install openssl)");
    };
    assert!(output.status.success());
    let dir = tempfile::tempdir().expect("temp dir");
    let message = "5f5c1e3a-7c1d-4b8e-9f0a-2b3c4d5e6f70|2024-11-29T14:15:00+07:00";
    let msg_path = dir.path().join("msg");
    std::fs::write(&msg_path, message).expect("write");
    let out = std::process::Command::new("openssl")
        .args(["dgst", "-sha256", "-sign"])
        .arg(vectors_dir().join("partner_private_pkcs1.pem"))
        .arg(&msg_path)
        .output()
        .expect("openssl runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let ours = signature::rsa_sha256_sign(&private_key(), message.as_bytes()).expect("sign");
    assert_eq!(ours, out.stdout);
}
