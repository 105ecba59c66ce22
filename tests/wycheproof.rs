//! Project Wycheproof vectors (/work/shared/vectors/wycheproof, Apache-2.0, see LICENSE there):
//! RSA PKCS#1 v1.5 SHA-256 verification (2048 and 3072 bits), PKCS#1 v1.5 signature
//! generation (deterministic, so byte-exact), and HMAC-SHA512 (including truncated tags).
//! Keys are read through `snap_console::snap::keys`, so these also exercise the key parser.

// Test, bench and example code may panic: a failed expectation is the point.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::too_many_lines
)]

use std::path::PathBuf;

use hmac::{Hmac, Mac};
use rsa::pkcs1v15::{Signature, SigningKey, VerifyingKey};
use rsa::pkcs8::AssociatedOid;
use rsa::signature::{SignatureEncoding, Signer, Verifier};
use serde_json::Value;
use sha2::{Digest, Sha224, Sha256, Sha384, Sha512};
use snap_console::snap::keys::{
    KeyFormat, RsaPrivateKey, RsaPublicKey, key_bits, parse_private_key, parse_public_key,
};

fn load(name: &str) -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/vectors/wycheproof")
        .join(name);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("parsing {}: {e}", path.display()))
}

fn str_field<'a>(value: &'a Value, field: &str) -> &'a str {
    value[field]
        .as_str()
        .unwrap_or_else(|| panic!("missing string field {field:?}"))
}

fn hex_field(value: &Value, field: &str) -> Vec<u8> {
    hex::decode(str_field(value, field)).unwrap_or_else(|e| panic!("field {field:?}: {e}"))
}

fn groups(file: &Value) -> &Vec<Value> {
    file["testGroups"].as_array().expect("testGroups")
}

fn tests(group: &Value) -> &Vec<Value> {
    group["tests"].as_array().expect("tests")
}

fn tc_id(test: &Value) -> u64 {
    test["tcId"].as_u64().expect("tcId")
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Verdict {
    Valid,
    Invalid,
    Acceptable,
}

fn verdict(test: &Value) -> Verdict {
    match str_field(test, "result") {
        "valid" => Verdict::Valid,
        "invalid" => Verdict::Invalid,
        "acceptable" => Verdict::Acceptable,
        other => panic!("tcId {}: unknown result {other:?}", tc_id(test)),
    }
}

fn number_of_tests(file: &Value) -> usize {
    file["numberOfTests"].as_u64().expect("numberOfTests") as usize
}

// ---------------------------------------------------------------------------------------------
// RSASSA-PKCS1-v1_5 with SHA-256: verification
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Default)]
struct VerifyCounts {
    valid: usize,
    invalid: usize,
    acceptable_accepted: usize,
    acceptable_rejected: usize,
}

impl VerifyCounts {
    fn total(&self) -> usize {
        self.valid + self.invalid + self.acceptable_accepted + self.acceptable_rejected
    }
}

fn verifies(key: &RsaPublicKey, msg: &[u8], sig: &[u8]) -> bool {
    let Ok(signature) = Signature::try_from(sig) else {
        return false;
    };
    VerifyingKey::<Sha256>::new(key.clone())
        .verify(msg, &signature)
        .is_ok()
}

/// The group's key, read from the PEM and from the hex DER; both must agree.
fn group_public_key(group: &Value) -> RsaPublicKey {
    let from_pem = parse_public_key(str_field(group, "publicKeyPem").as_bytes())
        .unwrap_or_else(|e| panic!("publicKeyPem: {e}"));
    assert_eq!(from_pem.format, KeyFormat::SpkiPem);
    let from_der = parse_public_key(&hex_field(group, "publicKeyDer"))
        .unwrap_or_else(|e| panic!("publicKeyDer: {e}"));
    assert_eq!(from_der.format, KeyFormat::SpkiDer);
    assert_eq!(from_pem.key, from_der.key);
    // The PKCS#1 form (publicKeyAsn) is the same key again.
    let from_asn = parse_public_key(&hex_field(group, "publicKeyAsn"))
        .unwrap_or_else(|e| panic!("publicKeyAsn: {e}"));
    assert_eq!(from_asn.format, KeyFormat::Pkcs1PublicDer);
    assert_eq!(from_asn.key, from_der.key);
    let size = group["keySize"].as_u64().expect("keySize") as usize;
    assert_eq!(key_bits(&from_der.key), size);
    from_der.key
}

fn run_verify_file(name: &str, key_size: usize) -> VerifyCounts {
    let file = load(name);
    assert_eq!(str_field(&file, "algorithm"), "RSASSA-PKCS1-v1_5");
    let mut counts = VerifyCounts::default();
    let mut failures = Vec::new();
    for group in groups(&file) {
        assert_eq!(str_field(group, "type"), "RsassaPkcs1Verify");
        assert_eq!(str_field(group, "sha"), "SHA-256");
        assert_eq!(group["keySize"].as_u64(), Some(key_size as u64));
        let key = group_public_key(group);
        for test in tests(group) {
            let ok = verifies(&key, &hex_field(test, "msg"), &hex_field(test, "sig"));
            match (verdict(test), ok) {
                (Verdict::Valid, true) => counts.valid += 1,
                (Verdict::Invalid, false) => counts.invalid += 1,
                (Verdict::Acceptable, true) => counts.acceptable_accepted += 1,
                (Verdict::Acceptable, false) => counts.acceptable_rejected += 1,
                (expected, got) => failures.push(format!(
                    "tcId {} ({:?}, flags {}): expected {expected:?}, verification {}",
                    tc_id(test),
                    str_field(test, "comment"),
                    test["flags"],
                    if got { "passed" } else { "failed" }
                )),
            }
        }
    }
    assert!(failures.is_empty(), "{name}:\n{}", failures.join("\n"));
    println!("{name}: {counts:?}");
    assert_eq!(
        counts.total(),
        number_of_tests(&file),
        "{name}: every test run"
    );
    assert!(counts.valid > 0 && counts.invalid > 0, "{name}: {counts:?}");
    counts
}

#[test]
fn rsa_2048_sha256_pkcs1v15_verify() {
    let counts = run_verify_file("rsa_signature_2048_sha256_test.json", 2048);
    assert!(counts.valid >= 7 && counts.invalid >= 200, "{counts:?}");
}

#[test]
fn rsa_3072_sha256_pkcs1v15_verify() {
    let counts = run_verify_file("rsa_signature_3072_sha256_test.json", 3072);
    assert!(counts.valid >= 7 && counts.invalid >= 200, "{counts:?}");
}

/// The verifier is not vacuous: a valid vector stops verifying when anything changes.
#[test]
fn verification_detects_tampering() {
    let file = load("rsa_signature_2048_sha256_test.json");
    let group = &groups(&file)[0];
    let key = group_public_key(group);
    let test = tests(group)
        .iter()
        .find(|t| verdict(t) == Verdict::Valid && !hex_field(t, "msg").is_empty())
        .expect("a valid test with a message");
    let msg = hex_field(test, "msg");
    let sig = hex_field(test, "sig");
    assert!(verifies(&key, &msg, &sig));
    let mut other_msg = msg.clone();
    other_msg[0] ^= 1;
    assert!(!verifies(&key, &other_msg, &sig));
    let mut other_sig = sig.clone();
    let last = other_sig.len() - 1;
    other_sig[last] ^= 1;
    assert!(!verifies(&key, &msg, &other_sig));
}

// ---------------------------------------------------------------------------------------------
// RSASSA-PKCS1-v1_5 signature generation: deterministic, so byte-exact
// ---------------------------------------------------------------------------------------------

fn sign_with<D: Digest + AssociatedOid>(key: &RsaPrivateKey, msg: &[u8]) -> Vec<u8> {
    SigningKey::<D>::new(key.clone()).sign(msg).to_vec()
}

fn verify_with<D: Digest + AssociatedOid>(key: &RsaPublicKey, msg: &[u8], sig: &[u8]) -> bool {
    Signature::try_from(sig)
        .map(|s| VerifyingKey::<D>::new(key.clone()).verify(msg, &s).is_ok())
        .unwrap_or(false)
}

#[test]
fn rsa_pkcs1v15_signature_generation_is_byte_exact() {
    let name = "rsa_pkcs1_2048_sig_gen_test.json";
    let file = load(name);
    let (mut signed, mut skipped_sha1) = (0usize, 0usize);
    let mut failures = Vec::new();
    for group in groups(&file) {
        assert_eq!(str_field(group, "type"), "RsassaPkcs1Generate");
        // The private key in both encodings given: PKCS#1 PEM and PKCS#8 DER (hex).
        let from_pem = parse_private_key(str_field(group, "privateKeyPem").as_bytes(), None)
            .unwrap_or_else(|e| panic!("privateKeyPem: {e}"));
        assert_eq!(from_pem.format, KeyFormat::Pkcs1Pem);
        let from_pkcs8 = parse_private_key(&hex_field(group, "privateKeyPkcs8"), None)
            .unwrap_or_else(|e| panic!("privateKeyPkcs8: {e}"));
        assert_eq!(from_pkcs8.format, KeyFormat::Pkcs8Der);
        assert!(from_pem.key == from_pkcs8.key, "PEM and PKCS#8 keys differ");
        let key = from_pem.key;
        let public = parse_public_key(&hex_field(group, "keyDer"))
            .unwrap_or_else(|e| panic!("keyDer: {e}"))
            .key;
        assert_eq!(key.to_public_key(), public);

        let sha = str_field(group, "sha");
        for test in tests(group) {
            let msg = hex_field(test, "msg");
            let expected = hex_field(test, "sig");
            let (ours, verified) = match sha {
                "SHA-224" => {
                    let s = sign_with::<Sha224>(&key, &msg);
                    let v = verify_with::<Sha224>(&public, &msg, &expected);
                    (s, v)
                }
                "SHA-256" => {
                    let s = sign_with::<Sha256>(&key, &msg);
                    let v = verify_with::<Sha256>(&public, &msg, &expected);
                    (s, v)
                }
                "SHA-384" => {
                    let s = sign_with::<Sha384>(&key, &msg);
                    let v = verify_with::<Sha384>(&public, &msg, &expected);
                    (s, v)
                }
                "SHA-512" => {
                    let s = sign_with::<Sha512>(&key, &msg);
                    let v = verify_with::<Sha512>(&public, &msg, &expected);
                    (s, v)
                }
                "SHA-1" => {
                    // No SHA-1 implementation in the crate's dependencies (SNAP never uses it).
                    skipped_sha1 += 1;
                    continue;
                }
                other => panic!("unexpected hash {other}"),
            };
            signed += 1;
            if ours != expected {
                failures.push(format!("tcId {} ({sha}): signature differs", tc_id(test)));
            }
            if !verified {
                failures.push(format!(
                    "tcId {} ({sha}): expected signature does not verify",
                    tc_id(test)
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{name}:\n{}", failures.join("\n"));
    println!("{name}: {signed} signed byte-exact, {skipped_sha1} SHA-1 cases skipped");
    assert_eq!(signed + skipped_sha1, number_of_tests(&file));
    assert!(signed >= 35, "signed {signed}");
}

// ---------------------------------------------------------------------------------------------
// HMAC-SHA512, full and truncated tags
// ---------------------------------------------------------------------------------------------

#[test]
fn hmac_sha512() {
    let name = "hmac_sha512_test.json";
    let file = load(name);
    assert_eq!(str_field(&file, "algorithm"), "HMACSHA512");
    let (mut valid, mut invalid, mut truncated) = (0usize, 0usize, 0usize);
    let mut failures = Vec::new();
    for group in groups(&file) {
        let tag_size = group["tagSize"].as_u64().expect("tagSize") as usize / 8;
        let key_size = group["keySize"].as_u64().expect("keySize") as usize / 8;
        for test in tests(group) {
            let key = hex_field(test, "key");
            let msg = hex_field(test, "msg");
            let tag = hex_field(test, "tag");
            assert_eq!(key.len(), key_size, "tcId {}", tc_id(test));
            let mut mac = Hmac::<Sha512>::new_from_slice(&key).expect("HMAC takes any key");
            mac.update(&msg);
            let full = mac.clone().finalize().into_bytes();
            let matches = tag.len() == tag_size && full[..tag_size] == tag[..];
            // hmac's own constant-time truncated check must agree.
            let library = !tag.is_empty() && mac.verify_truncated_left(&tag).is_ok();
            if library != matches && tag.len() == tag_size {
                failures.push(format!(
                    "tcId {}: verify_truncated_left disagrees with the byte comparison",
                    tc_id(test)
                ));
            }
            if tag_size < 64 {
                truncated += 1;
            }
            match (verdict(test), matches) {
                (Verdict::Valid, true) => valid += 1,
                (Verdict::Invalid, false) => invalid += 1,
                (Verdict::Acceptable, _) => {}
                (expected, got) => failures.push(format!(
                    "tcId {} ({:?}): expected {expected:?}, tag {}",
                    tc_id(test),
                    str_field(test, "comment"),
                    if got { "matched" } else { "did not match" }
                )),
            }
        }
    }
    assert!(failures.is_empty(), "{name}:\n{}", failures.join("\n"));
    println!("{name}: {valid} valid, {invalid} invalid, {truncated} with truncated tags");
    assert_eq!(valid + invalid, number_of_tests(&file));
    assert!(valid > 0 && invalid > 0 && truncated > 0);
}
