//! RSA key import/export/generate/fingerprint (`snap_console::snap::keys`), against TEST keys
//! made with the `openssl` CLI (tests/fixtures/keys, see its README) and the shared SNAP vectors.

// Test, bench and example code may panic: a failed expectation is the point.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::too_many_lines
)]

use std::path::PathBuf;

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE_NO_PAD};
use proptest::prelude::*;
use snap_console::snap::keys::{
    KeyError, KeyFormat, LoadedPrivateKey, RsaPrivateKey, RsaPublicKey, fingerprint_sha256,
    generate_private_key, key_bits, parse_private_key, parse_public_key, private_key_to_pkcs8_pem,
    public_key_to_spki_base64, public_key_to_spki_pem,
};

/// `openssl pkey -pubin -in test_rsa2048_public_spki.pem -outform DER | openssl dgst -sha256
/// -binary | base64 | tr -d =` (also in test_rsa2048_fingerprint_sha256.txt).
const TEST_KEY_FINGERPRINT: &str = "SHA256:Qz4mZ1NGiNM8OSXDgBVn97OhRQQzz8rRi2YLURJbiOI";
/// The same, for /work/shared/vectors/snap/partner_public.pem.
const PARTNER_KEY_FINGERPRINT: &str = "SHA256:S5tX3lMettdUGIciUaJXYn4lG3NTYUWctNblgYyw13I";
const PASSPHRASE: &str = "test-passphrase";
const SMALL_KEY_WARNING: &str = "1024-bit key: accepted for sandboxes (NICEPAY's is 1024-bit) \
                                 but SNAP providers ask for 2048 or more";

fn fixture(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/keys")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}

fn fixture_text(name: &str) -> String {
    String::from_utf8(fixture(name)).expect("fixture is text")
}

fn shared(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/vectors/snap")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}

/// The first and last line of a PEM file (its BEGIN and END armour).
fn armour(pem: &str) -> (String, String) {
    let mut lines = pem.lines().filter(|l| l.starts_with("-----"));
    let begin = lines.next().unwrap_or_default().to_string();
    let end = lines.next_back().unwrap_or_default().to_string();
    (begin, end)
}

fn private(input: &[u8], passphrase: Option<&str>) -> LoadedPrivateKey {
    match parse_private_key(input, passphrase) {
        Ok(loaded) => loaded,
        Err(e) => panic!("expected a private key, got: {e}"),
    }
}

fn private_err(input: &[u8], passphrase: Option<&str>) -> KeyError {
    match parse_private_key(input, passphrase) {
        Ok(loaded) => panic!("expected an error, got {loaded:?}"),
        Err(e) => e,
    }
}

fn public_err(input: &[u8]) -> KeyError {
    match parse_public_key(input) {
        Ok(loaded) => panic!("expected an error, got {:?}", loaded.format),
        Err(e) => e,
    }
}

fn fp_private(key: &RsaPrivateKey) -> String {
    fingerprint_sha256(&key.to_public_key())
}

/// The message says each of `needles` (case-insensitive), and never leaks the passphrase.
fn assert_message(err: &KeyError, needles: &[&str]) {
    let message = err.to_string();
    let lower = message.to_lowercase();
    for needle in needles {
        assert!(
            lower.contains(&needle.to_lowercase()),
            "message {message:?} should mention {needle:?}"
        );
    }
    assert!(
        !message.contains(PASSPHRASE),
        "passphrase leaked: {message}"
    );
    assert!(!format!("{err:?}").contains(PASSPHRASE));
}

/// The message quotes none of the input's Base64 body.
fn assert_no_key_material(err: &KeyError, input: &[u8]) {
    let message = err.to_string();
    let Ok(text) = std::str::from_utf8(input) else {
        return; // binary input: messages are plain ASCII prose, checked elsewhere
    };
    let base64_lines = text.lines().map(str::trim).filter(|l| {
        l.len() >= 16
            && l.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"+/=".contains(&b))
    });
    for line in base64_lines {
        assert!(
            !message.contains(&line[..16]),
            "message {message:?} quotes the input"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Every encoding is the same key
// ---------------------------------------------------------------------------------------------

#[test]
fn every_private_encoding_parses_to_the_same_key() {
    let reference = private(&fixture("test_rsa2048_pkcs8.pem"), None);
    let cases: &[(&str, Option<&str>, KeyFormat)] = &[
        ("test_rsa2048_pkcs8.pem", None, KeyFormat::Pkcs8Pem),
        ("test_rsa2048_pkcs1.pem", None, KeyFormat::Pkcs1Pem),
        ("test_rsa2048_pkcs8.der", None, KeyFormat::Pkcs8Der),
        ("test_rsa2048_pkcs1.der", None, KeyFormat::Pkcs1Der),
        ("test_rsa2048_pkcs8.b64", None, KeyFormat::Base64Pkcs8),
        ("test_rsa2048_pkcs1.b64", None, KeyFormat::Base64Pkcs1),
        (
            "test_rsa2048_pkcs8_encrypted.pem",
            Some(PASSPHRASE),
            KeyFormat::EncryptedPkcs8Pem,
        ),
        (
            "test_rsa2048_pkcs8_encrypted.der",
            Some(PASSPHRASE),
            KeyFormat::EncryptedPkcs8Pem,
        ),
    ];
    for (name, passphrase, format) in cases {
        let loaded = private(&fixture(name), *passphrase);
        assert_eq!(loaded.format, *format, "{name}");
        assert_eq!(loaded.bits, 2048, "{name}");
        assert!(loaded.warnings.is_empty(), "{name}: {:?}", loaded.warnings);
        assert!(loaded.key == reference.key, "{name} is a different key");
        assert_eq!(fp_private(&loaded.key), TEST_KEY_FINGERPRINT, "{name}");
        assert!(loaded.format.is_private());
    }
}

#[test]
fn every_public_encoding_parses_to_the_same_key() {
    let cases: &[(&str, KeyFormat)] = &[
        ("test_rsa2048_public_spki.pem", KeyFormat::SpkiPem),
        ("test_rsa2048_public_spki.der", KeyFormat::SpkiDer),
        ("test_rsa2048_public_spki.b64", KeyFormat::Base64Spki),
        ("test_rsa2048_public_pkcs1.pem", KeyFormat::Pkcs1PublicPem),
        ("test_rsa2048_public_pkcs1.der", KeyFormat::Pkcs1PublicDer),
        (
            "test_rsa2048_public_pkcs1.b64",
            KeyFormat::Base64Pkcs1Public,
        ),
        ("test_rsa2048_cert.pem", KeyFormat::CertificatePem),
        ("test_rsa2048_cert.der", KeyFormat::CertificateDer),
    ];
    let reference = private(&fixture("test_rsa2048_pkcs8.pem"), None)
        .key
        .to_public_key();
    for (name, format) in cases {
        let loaded = parse_public_key(&fixture(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(loaded.format, *format, "{name}");
        assert_eq!(loaded.bits, 2048, "{name}");
        // The TEST certificate runs to November 2036; after that an "expired" warning is due.
        assert!(
            loaded
                .warnings
                .iter()
                .all(|w| w.contains("certificate expired")),
            "{name}: {:?}",
            loaded.warnings
        );
        assert_eq!(loaded.key, reference, "{name}");
        assert_eq!(fingerprint_sha256(&loaded.key), TEST_KEY_FINGERPRINT);
        assert!(!loaded.format.is_private());
    }
}

#[test]
fn public_key_from_private_key_input() {
    for (name, format) in [
        ("test_rsa2048_pkcs8.pem", KeyFormat::Pkcs8Pem),
        ("test_rsa2048_pkcs1.pem", KeyFormat::Pkcs1Pem),
        ("test_rsa2048_pkcs1.der", KeyFormat::Pkcs1Der),
        ("test_rsa2048_pkcs8.b64", KeyFormat::Base64Pkcs8),
    ] {
        let loaded = parse_public_key(&fixture(name)).unwrap();
        assert_eq!(loaded.format, format);
        assert_eq!(fingerprint_sha256(&loaded.key), TEST_KEY_FINGERPRINT);
        assert_eq!(loaded.warnings.len(), 1, "{:?}", loaded.warnings);
        assert!(loaded.warnings[0].contains("private key"));
        assert!(loaded.warnings[0].contains("public half"));
    }
}

#[test]
fn fingerprint_matches_openssl() {
    let from_file = fixture_text("test_rsa2048_fingerprint_sha256.txt");
    assert_eq!(format!("SHA256:{}", from_file.trim()), TEST_KEY_FINGERPRINT);
    let public = parse_public_key(&fixture("test_rsa2048_public_spki.pem")).unwrap();
    let fingerprint = fingerprint_sha256(&public.key);
    assert_eq!(fingerprint, TEST_KEY_FINGERPRINT);
    assert_eq!(fingerprint.len(), "SHA256:".len() + 43);
    assert!(!fingerprint.ends_with('='));
    assert_eq!(key_bits(&public.key), 2048);
}

#[test]
fn shared_partner_vectors_are_one_key() {
    let pkcs1 = private(&shared("partner_private_pkcs1.pem"), None);
    let pkcs8 = private(&shared("partner_private_pkcs8.pem"), None);
    let public = parse_public_key(&shared("partner_public.pem")).unwrap();
    assert_eq!(pkcs1.format, KeyFormat::Pkcs1Pem);
    assert_eq!(pkcs8.format, KeyFormat::Pkcs8Pem);
    assert_eq!(public.format, KeyFormat::SpkiPem);
    assert!(pkcs1.key == pkcs8.key);
    assert_eq!(pkcs1.key.to_public_key(), public.key);
    assert_eq!(fingerprint_sha256(&public.key), PARTNER_KEY_FINGERPRINT);
    assert_eq!(public.bits, 2048);
}

// ---------------------------------------------------------------------------------------------
// Input tolerance
// ---------------------------------------------------------------------------------------------

/// Variants of a text input that must all read as the same key.
fn text_variants(text: &str) -> Vec<(String, String)> {
    let lf = text.replace("\r\n", "\n");
    let trimmed = lf.trim_end().to_string();
    vec![
        ("as is".into(), lf.clone()),
        ("CRLF".into(), lf.replace('\n', "\r\n")),
        ("no final newline".into(), trimmed.clone()),
        (
            "surrounding blanks".into(),
            format!("\n\n   \t{trimmed}\n\n  \n"),
        ),
        (
            "text around the block".into(),
            format!("Key for the sandbox, made 2025-11-22:\n{lf}\nThanks, the bank team\n"),
        ),
        (
            "JSON-escaped newlines and quotes".into(),
            format!("\"{}\"", trimmed.replace('\n', "\\n")),
        ),
        (
            "one line, spaces for newlines".into(),
            trimmed.replace('\n', " "),
        ),
        ("UTF-8 BOM".into(), format!("\u{FEFF}{lf}")),
    ]
}

#[test]
fn tolerates_messy_pem_text() {
    for name in ["test_rsa2048_pkcs8.pem", "test_rsa2048_pkcs1.pem"] {
        for (what, variant) in text_variants(&fixture_text(name)) {
            let loaded = parse_private_key(variant.as_bytes(), None)
                .unwrap_or_else(|e| panic!("{name}, {what}: {e}"));
            assert_eq!(
                fp_private(&loaded.key),
                TEST_KEY_FINGERPRINT,
                "{name}, {what}"
            );
            assert!(loaded.warnings.is_empty(), "{name}, {what}");
        }
    }
    for name in [
        "test_rsa2048_public_spki.pem",
        "test_rsa2048_public_pkcs1.pem",
        "test_rsa2048_cert.pem",
    ] {
        for (what, variant) in text_variants(&fixture_text(name)) {
            let loaded = parse_public_key(variant.as_bytes())
                .unwrap_or_else(|e| panic!("{name}, {what}: {e}"));
            assert_eq!(fingerprint_sha256(&loaded.key), TEST_KEY_FINGERPRINT);
        }
    }
    let encrypted = fixture_text("test_rsa2048_pkcs8_encrypted.pem");
    for (what, variant) in text_variants(&encrypted) {
        let loaded = parse_private_key(variant.as_bytes(), Some(PASSPHRASE))
            .unwrap_or_else(|e| panic!("encrypted, {what}: {e}"));
        assert_eq!(loaded.format, KeyFormat::EncryptedPkcs8Pem);
        assert_eq!(fp_private(&loaded.key), TEST_KEY_FINGERPRINT);
    }
}

#[test]
fn tolerates_messy_base64() {
    let der = fixture("test_rsa2048_public_spki.der");
    let one_line = STANDARD.encode(&der);
    assert_eq!(one_line, fixture_text("test_rsa2048_public_spki.b64"));
    let wrapped_64_crlf = one_line
        .as_bytes()
        .chunks(64)
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect::<Vec<_>>()
        .join("\r\n");
    let spaced = one_line
        .as_bytes()
        .chunks(10)
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect::<Vec<_>>()
        .join(" ");
    let variants = [
        ("one line", one_line.clone()),
        ("one line + newline", format!("{one_line}\n")),
        ("surrounding blanks", format!("  \r\n{one_line}\r\n\t ")),
        ("wrapped at 64, CRLF", wrapped_64_crlf),
        ("spaces inside", spaced),
        ("no padding", STANDARD_NO_PAD.encode(&der)),
        ("URL-safe alphabet", URL_SAFE_NO_PAD.encode(&der)),
        ("quoted", format!("\"{one_line}\"")),
        ("hex", hex::encode(&der)),
    ];
    for (what, text) in variants {
        let loaded = parse_public_key(text.as_bytes()).unwrap_or_else(|e| panic!("{what}: {e}"));
        assert_eq!(
            fingerprint_sha256(&loaded.key),
            TEST_KEY_FINGERPRINT,
            "{what}"
        );
    }

    // A private key in bare Base64, wrapped.
    let b64 = fixture_text("test_rsa2048_pkcs8.b64");
    let wrapped = b64
        .as_bytes()
        .chunks(76)
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect::<Vec<_>>()
        .join("\n");
    let loaded = private(wrapped.as_bytes(), None);
    assert_eq!(loaded.format, KeyFormat::Base64Pkcs8);
    assert_eq!(fp_private(&loaded.key), TEST_KEY_FINGERPRINT);

    // Base64 of a whole PEM file (Kubernetes secrets do this).
    let pem_in_b64 = STANDARD.encode(fixture("test_rsa2048_pkcs1.pem"));
    let loaded = private(pem_in_b64.as_bytes(), None);
    assert_eq!(loaded.format, KeyFormat::Pkcs1Pem);
    assert_eq!(fp_private(&loaded.key), TEST_KEY_FINGERPRINT);
    assert!(loaded.warnings[0].contains("Base64 of a PEM file"));
}

#[test]
fn combined_pem_file_picks_the_right_block() {
    let combined = format!(
        "{}{}",
        fixture_text("test_rsa2048_cert.pem"),
        fixture_text("test_rsa2048_pkcs8.pem")
    );
    let private_key = private(combined.as_bytes(), None);
    assert_eq!(private_key.format, KeyFormat::Pkcs8Pem);
    assert!(private_key.warnings[0].contains("2 PEM blocks"));
    let public = parse_public_key(combined.as_bytes()).unwrap();
    assert_eq!(public.format, KeyFormat::CertificatePem);
    assert_eq!(fingerprint_sha256(&public.key), TEST_KEY_FINGERPRINT);

    // OpenSSL's `ecparam -genkey` output: an EC PARAMETERS block before the key.
    let ec = format!(
        "-----BEGIN EC PARAMETERS-----\nBggqhkjOPQMBBw==\n-----END EC PARAMETERS-----\n{}",
        fixture_text("test_ec_p256_sec1.pem")
    );
    assert!(matches!(
        private_err(ec.as_bytes(), None),
        KeyError::NotRsa { .. }
    ));
}

#[test]
fn mislabelled_pem_is_read_by_content_with_a_warning() {
    let pkcs8 = fixture_text("test_rsa2048_pkcs8.pem");
    let mislabelled = pkcs8.replace("PRIVATE KEY-----", "RSA PRIVATE KEY-----");
    let loaded = private(mislabelled.as_bytes(), None);
    assert_eq!(loaded.format, KeyFormat::Pkcs8Pem);
    assert_eq!(fp_private(&loaded.key), TEST_KEY_FINGERPRINT);
    assert_eq!(loaded.warnings.len(), 1);
    assert!(loaded.warnings[0].contains("label says 'RSA PRIVATE KEY'"));
    assert!(loaded.warnings[0].contains("PKCS#8"));
}

#[test]
fn passphrase_for_an_unencrypted_key_is_ignored_with_a_warning() {
    let loaded = private(&fixture("test_rsa2048_pkcs8.pem"), Some(PASSPHRASE));
    assert_eq!(fp_private(&loaded.key), TEST_KEY_FINGERPRINT);
    assert_eq!(loaded.warnings.len(), 1);
    assert!(loaded.warnings[0].contains("not encrypted"));
    assert!(!loaded.warnings[0].contains(PASSPHRASE));
}

#[test]
fn small_key_is_accepted_with_a_warning() {
    let loaded = private(&fixture("test_rsa1024_pkcs8.pem"), None);
    assert_eq!(loaded.bits, 1024);
    assert_eq!(loaded.format, KeyFormat::Pkcs8Pem);
    assert_eq!(loaded.warnings, vec![SMALL_KEY_WARNING.to_string()]);

    let public = parse_public_key(&fixture("test_rsa1024_public_spki.pem")).unwrap();
    assert_eq!(public.bits, 1024);
    assert_eq!(public.key, loaded.key.to_public_key());
    assert_eq!(public.warnings, vec![SMALL_KEY_WARNING.to_string()]);
}

#[test]
fn debug_output_of_a_private_key_is_redacted() {
    let loaded = private(&fixture("test_rsa2048_pkcs1.pem"), None);
    let debug = format!("{loaded:?}");
    assert!(debug.contains(TEST_KEY_FINGERPRINT), "{debug}");
    assert!(debug.contains("Pkcs1Pem"));
    assert!(!debug.contains("BigUint"), "{debug}");
    assert!(debug.len() < 400, "{debug}");
}

// ---------------------------------------------------------------------------------------------
// Export and generation round trips
// ---------------------------------------------------------------------------------------------

#[test]
fn generate_export_and_reimport() {
    let key = generate_private_key(2048).unwrap();
    let public = key.to_public_key();
    assert_eq!(key_bits(&public), 2048);

    // Plain PKCS#8.
    let pem = private_key_to_pkcs8_pem(&key, None).unwrap();
    // The same armour as openssl's PKCS#8 output.
    let openssl = fixture_text("test_rsa2048_pkcs8.pem");
    let (begin, end) = armour(&openssl);
    assert!(pem.starts_with(&format!("{begin}\n")));
    assert!(pem.ends_with(&format!("{end}\n")));
    let back = private(pem.as_bytes(), None);
    assert_eq!(back.format, KeyFormat::Pkcs8Pem);
    assert!(back.key == key);
    assert!(back.warnings.is_empty());

    // Encrypted PKCS#8.
    let secret = "correct horse battery staple";
    let encrypted = private_key_to_pkcs8_pem(&key, Some(secret)).unwrap();
    let (begin, _) = armour(&fixture_text("test_rsa2048_pkcs8_encrypted.pem"));
    assert!(encrypted.starts_with(&format!("{begin}\n")));
    assert!(!encrypted.contains(secret));
    let back = private(encrypted.as_bytes(), Some(secret));
    assert_eq!(back.format, KeyFormat::EncryptedPkcs8Pem);
    assert!(back.key == key);
    assert!(back.warnings.is_empty());
    assert_eq!(
        private_err(encrypted.as_bytes(), None),
        KeyError::NeedsPassphrase
    );
    let wrong = private_err(encrypted.as_bytes(), Some("not the passphrase"));
    assert_eq!(wrong, KeyError::WrongPassphrase);
    assert!(!wrong.to_string().contains(secret));
    assert!(!wrong.to_string().contains("not the passphrase"));

    // SPKI PEM and one-line Base64.
    let spki_pem = public_key_to_spki_pem(&public).unwrap();
    assert!(spki_pem.starts_with("-----BEGIN PUBLIC KEY-----\n"));
    let back = parse_public_key(spki_pem.as_bytes()).unwrap();
    assert_eq!(back.format, KeyFormat::SpkiPem);
    assert_eq!(back.key, public);
    let spki_b64 = public_key_to_spki_base64(&public).unwrap();
    assert!(!spki_b64.contains(['\n', '\r', ' ', '-']));
    let back = parse_public_key(spki_b64.as_bytes()).unwrap();
    assert_eq!(back.format, KeyFormat::Base64Spki);
    assert_eq!(back.key, public);
    assert_eq!(fingerprint_sha256(&back.key), fingerprint_sha256(&public));

    // The exported files open in OpenSSL too, when it is installed.
    if let Some(openssl_fp) = openssl_fingerprint_of_encrypted(&encrypted, secret) {
        assert_eq!(
            format!("SHA256:{}", openssl_fp.trim_end_matches('=')),
            fingerprint_sha256(&public)
        );
    }
}

/// Runs `openssl pkey` on an encrypted PKCS#8 PEM and returns the SPKI SHA-256 in Base64.
fn openssl_fingerprint_of_encrypted(pem: &str, passphrase: &str) -> Option<String> {
    use std::io::Write as _;
    use std::process::{Command, Stdio};
    let dir = tempfile::tempdir().ok()?;
    let key_path = dir.path().join("key.pem");
    std::fs::write(&key_path, pem).ok()?;
    let mut pass_file = std::fs::File::create(dir.path().join("pass")).ok()?;
    pass_file.write_all(passphrase.as_bytes()).ok()?;
    let output = Command::new("openssl")
        .args(["pkey", "-pubout", "-outform", "DER", "-in"])
        .arg(&key_path)
        .arg("-passin")
        .arg(format!("file:{}", dir.path().join("pass").display()))
        .stderr(Stdio::null())
        .output()
        .ok()?;
    if !output.status.success() {
        // openssl is there but could not read the file: that is a failure, not a skip.
        panic!("openssl could not read the exported encrypted PKCS#8");
    }
    use sha2::Digest as _;
    Some(STANDARD.encode(sha2::Sha256::digest(&output.stdout)))
}

#[test]
fn export_refuses_an_empty_passphrase() {
    let key = private(&fixture("test_rsa2048_pkcs8.pem"), None).key;
    let err = private_key_to_pkcs8_pem(&key, Some("")).unwrap_err();
    assert!(matches!(err, KeyError::Export { .. }));
    assert_message(&err, &["passphrase is empty"]);
}

#[test]
fn generate_offers_only_2048_3072_4096() {
    for bits in [0, 1024, 2047, 2049, 8192] {
        let err = generate_private_key(bits).unwrap_err();
        assert!(matches!(err, KeyError::Generate { .. }), "{bits}");
        assert_message(&err, &[&format!("{bits} bits"), "2048, 3072 or 4096"]);
    }
}

#[test]
fn existing_key_round_trips_through_exports() {
    let loaded = private(&fixture("test_rsa2048_pkcs1.pem"), None);
    let pem = private_key_to_pkcs8_pem(&loaded.key, None).unwrap();
    // Our PKCS#8 is byte-for-byte what `openssl genpkey` wrote.
    assert_eq!(pem.as_str(), fixture_text("test_rsa2048_pkcs8.pem"));
    let public = loaded.key.to_public_key();
    assert_eq!(
        public_key_to_spki_pem(&public).unwrap(),
        fixture_text("test_rsa2048_public_spki.pem")
    );
    assert_eq!(
        public_key_to_spki_base64(&public).unwrap(),
        fixture_text("test_rsa2048_public_spki.b64")
    );
}

// ---------------------------------------------------------------------------------------------
// Refusals: the right variant, and a message that says what
// ---------------------------------------------------------------------------------------------

#[test]
fn ec_keys_are_not_rsa() {
    let input = fixture("test_ec_p256_pkcs8.pem");
    let err = private_err(&input, None);
    assert_eq!(
        err,
        KeyError::NotRsa {
            algorithm: "EC (id-ecPublicKey, P-256)".into()
        }
    );
    assert_message(
        &err,
        &[
            "an EC (id-ecPublicKey, P-256) key",
            "not RSA",
            "need an RSA key",
        ],
    );
    assert_no_key_material(&err, &input);

    let err = private_err(&fixture("test_ec_p256_sec1.pem"), None);
    assert!(matches!(err, KeyError::NotRsa { .. }));
    assert_message(&err, &["EC", "not RSA"]);

    // SEC1 as bare Base64 (no label to go by).
    let sec1_body: String = fixture_text("test_ec_p256_sec1.pem")
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .collect();
    let err = private_err(sec1_body.as_bytes(), None);
    assert!(matches!(err, KeyError::NotRsa { .. }));
    assert_message(&err, &["EC"]);

    let err = public_err(&fixture("test_ec_p256_public_spki.pem"));
    assert!(matches!(err, KeyError::NotRsa { .. }));
    assert_message(&err, &["EC (id-ecPublicKey, P-256)", "not RSA"]);
    // An EC public key where a private one is expected: the algorithm is the real problem.
    let err = private_err(&fixture("test_ec_p256_public_spki.pem"), None);
    assert!(matches!(err, KeyError::NotRsa { .. }));
}

#[test]
fn ed25519_and_dsa_keys_are_not_rsa() {
    for (name, algorithm) in [
        ("test_ed25519_pkcs8.pem", "Ed25519"),
        ("test_dsa2048_pkcs8.pem", "DSA"),
    ] {
        let err = private_err(&fixture(name), None);
        assert_eq!(
            err,
            KeyError::NotRsa {
                algorithm: algorithm.into()
            }
        );
        assert_message(&err, &[algorithm, "not RSA"]);
    }
    let err = public_err(&fixture("test_ed25519_public_spki.pem"));
    assert_message(&err, &["an Ed25519 key", "not RSA"]);
    let err = public_err(b"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB0x TEST");
    assert_message(&err, &["Ed25519", "not RSA"]);
}

#[test]
fn public_key_where_private_expected() {
    for name in [
        "test_rsa2048_public_spki.pem",
        "test_rsa2048_public_spki.der",
        "test_rsa2048_public_spki.b64",
        "test_rsa2048_public_pkcs1.pem",
        "test_rsa2048_public_pkcs1.der",
    ] {
        let input = fixture(name);
        let err = private_err(&input, None);
        assert_eq!(err, KeyError::PublicWherePrivateExpected, "{name}");
        assert_message(&err, &["public key", "private key is needed"]);
        assert_no_key_material(&err, &input);
    }
}

#[test]
fn certificate_where_private_expected() {
    for name in ["test_rsa2048_cert.pem", "test_rsa2048_cert.der"] {
        let err = private_err(&fixture(name), None);
        assert_eq!(err, KeyError::PublicWherePrivateExpected, "{name}");
        assert_message(&err, &["certificate", "private key is needed"]);
    }
}

#[test]
fn wrong_passphrase() {
    for name in [
        "test_rsa2048_pkcs8_encrypted.pem",
        "test_rsa2048_pkcs8_encrypted.der",
    ] {
        for wrong in ["test-passphrasE", "hunter2", "x", "test-passphrase "] {
            let err = private_err(&fixture(name), Some(wrong));
            assert_eq!(err, KeyError::WrongPassphrase, "{name} with {wrong:?}");
            assert_message(&err, &["wrong passphrase"]);
            assert!(!err.to_string().contains(wrong.trim()));
        }
    }
}

#[test]
fn missing_passphrase() {
    let input = fixture("test_rsa2048_pkcs8_encrypted.pem");
    let err = private_err(&input, None);
    assert_eq!(err, KeyError::NeedsPassphrase);
    assert_message(&err, &["encrypted", "passphrase is needed"]);
    assert_no_key_material(&err, &input);
    // A public key cannot be had from it either without the passphrase.
    assert_eq!(public_err(&input), KeyError::NeedsPassphrase);
}

#[test]
fn garbage_is_unrecognised_and_says_what_was_seen() {
    let no_end_line = fixture("malformed/no_end_line.pem");
    let not_base64 = fixture("malformed/not_base64_body.pem");
    let mismatched = fixture("malformed/mismatched_labels.pem");
    let empty_body = fixture("malformed/empty_body.pem");
    let cases: &[(&[u8], &str)] = &[
        (b"hello, this is not a key at all!", "not Base64"),
        (b"my-key.pem", "not Base64"),
        (
            b"QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo=",
            "does not decode to a DER key structure",
        ),
        (&[0x00, 0xff, 0x13, 0x37, 0x80, 0x81], "not DER"),
        (&[0x30, 0x82, 0x04, 0xbd, 0x02, 0x01], "cut short"),
        (b"{\"kty\":\"RSA\",\"n\":\"AQAB\",\"e\":\"AQAB\"}", "JSON"),
        (&no_end_line, "no END line"),
        (
            b"MIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----\n",
            "no BEGIN line",
        ),
        (&not_base64, "not valid Base64"),
        (&mismatched, "different label"),
        (&empty_body, "is empty"),
    ];
    for (input, says) in cases {
        for err in [private_err(input, None), public_err(input)] {
            assert!(
                matches!(err, KeyError::Unrecognised { .. }),
                "{:?}: {err:?}",
                String::from_utf8_lossy(input)
            );
            assert_message(&err, &["unrecognised key", says]);
        }
    }
    let err = private_err(b"hello, this is not a key at all!", None);
    assert!(!err.to_string().contains("hello"));
}

#[test]
fn empty_input() {
    for input in [&b""[..], b"   ", b"\r\n\r\n", b"\t \n", b"\"\""] {
        for err in [private_err(input, None), public_err(input)] {
            assert!(matches!(err, KeyError::Unrecognised { .. }), "{input:?}");
            assert_message(&err, &["empty"]);
        }
    }
}

#[test]
fn openssh_keys_get_a_conversion_hint() {
    let input = fixture("test_rsa2048_openssh");
    let err = private_err(&input, None);
    assert!(matches!(err, KeyError::Unrecognised { .. }));
    assert_message(&err, &["OpenSSH private key", "ssh-keygen -p -m pem"]);
    assert_no_key_material(&err, &input);

    let err = public_err(&fixture("test_rsa2048_openssh.pub"));
    assert!(matches!(err, KeyError::Unrecognised { .. }));
    assert_message(&err, &["OpenSSH public key", "ssh-keygen -e -m pkcs8"]);
}

#[test]
fn legacy_encrypted_pem_gets_a_conversion_hint() {
    let input = fixture("test_rsa2048_pkcs1_legacy_encrypted.pem");
    for passphrase in [None, Some(PASSPHRASE)] {
        let err = private_err(&input, passphrase);
        assert!(matches!(err, KeyError::Unrecognised { .. }));
        assert_message(&err, &["Proc-Type: 4,ENCRYPTED", "openssl pkcs8 -topk8"]);
        assert_no_key_material(&err, &input);
    }
}

#[test]
fn unsupported_pkcs8_encryption_scheme_gets_a_hint() {
    let input = fixture("test_rsa2048_pkcs8_encrypted_3des.pem");
    for passphrase in [None, Some(PASSPHRASE)] {
        let err = private_err(&input, passphrase);
        assert!(matches!(err, KeyError::Unrecognised { .. }), "{err:?}");
        assert_message(
            &err,
            &[
                "encryption scheme",
                "pbeWithSHA1And3-KeyTripleDES-CBC",
                "openssl pkcs8 -topk8 -v2 aes-256-cbc",
            ],
        );
    }
}

#[test]
fn certificate_request_is_not_a_key() {
    let err = private_err(&fixture("test_rsa2048_csr.pem"), None);
    assert!(matches!(err, KeyError::Unrecognised { .. }));
    assert_message(&err, &["PEM label 'CERTIFICATE REQUEST' is not a key"]);
    let err = public_err(&fixture("test_rsa2048_csr.pem"));
    assert_message(&err, &["PEM label 'CERTIFICATE REQUEST' is not a key"]);
}

#[test]
fn unreadable_labels_are_not_echoed() {
    let input = b"-----BEGIN MIIEvQIBADANBgkqhkiG9w0BAQEFAASC-----\nQUJD\n\
                  -----END MIIEvQIBADANBgkqhkiG9w0BAQEFAASC-----\n";
    let err = private_err(input, None);
    assert_message(&err, &["is not a key"]);
    assert!(!err.to_string().contains("MIIEvQ"));
}

#[test]
fn damaged_key_numbers_are_reported() {
    let mut der = fixture("test_rsa2048_pkcs1.der");
    // Flip a bit inside the modulus (the structure still parses).
    der[100] ^= 0x01;
    let err = private_err(&der, None);
    assert!(matches!(err, KeyError::Unrecognised { .. }));
    assert_message(&err, &["numbers do not fit together"]);
}

#[test]
fn describe_is_distinct_and_plain() {
    use KeyFormat::*;
    let all = [
        Pkcs1Pem,
        Pkcs8Pem,
        EncryptedPkcs8Pem,
        Pkcs1Der,
        Pkcs8Der,
        SpkiPem,
        SpkiDer,
        Pkcs1PublicPem,
        Pkcs1PublicDer,
        CertificatePem,
        CertificateDer,
        Base64Pkcs8,
        Base64Pkcs1,
        Base64Spki,
        Base64Pkcs1Public,
    ];
    let descriptions: std::collections::HashSet<_> = all.iter().map(|f| f.describe()).collect();
    assert_eq!(descriptions.len(), all.len());
    assert_eq!(EncryptedPkcs8Pem.describe(), "PKCS#8 PEM (encrypted)");
    assert_eq!(EncryptedPkcs8Pem.to_string(), "PKCS#8 PEM (encrypted)");
}

#[test]
fn public_key_type_is_reexported() {
    let public: RsaPublicKey = parse_public_key(&fixture("test_rsa2048_public_spki.der"))
        .unwrap()
        .key;
    assert_eq!(key_bits(&public), 2048);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// Arbitrary bytes never panic, and a refusal never quotes them.
    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        if let Err(err) = parse_private_key(&bytes, Some(PASSPHRASE)) {
            prop_assert!(!err.to_string().contains(PASSPHRASE));
        }
        let _ = parse_public_key(&bytes);
    }

    /// Arbitrary text shaped like a PEM block never panics either.
    #[test]
    fn pem_shaped_text_never_panics(label in "[A-Z ]{0,24}", body in "[A-Za-z0-9+/=\\s:-]{0,200}") {
        let text = format!("-----BEGIN {label}-----\n{body}\n-----END {label}-----\n");
        let _ = parse_private_key(text.as_bytes(), None);
        let _ = parse_public_key(text.as_bytes());
    }

    /// The SPKI Base64 wrapped at any width, with any line ends, reads as the same key.
    #[test]
    fn wrapped_base64_reads_back(width in 1usize..120, crlf in any::<bool>(), indent in 0usize..4) {
        let one_line = fixture_text("test_rsa2048_public_spki.b64");
        let sep = if crlf { "\r\n" } else { "\n" };
        let pad = " ".repeat(indent);
        let wrapped = one_line
            .as_bytes()
            .chunks(width)
            .map(|c| format!("{pad}{}", std::str::from_utf8(c).unwrap()))
            .collect::<Vec<_>>()
            .join(sep);
        let loaded = parse_public_key(wrapped.as_bytes()).unwrap();
        prop_assert_eq!(fingerprint_sha256(&loaded.key), TEST_KEY_FINGERPRINT);
    }
}
