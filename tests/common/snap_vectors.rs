//! The published SNAP vectors (../shared/vectors/snap), as the test files read them.
//! Included with `#[path]` by the tests that need it; not every test uses every helper.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;

use serde_json::Value;
use snap_console::snap::keys;
use snap_console::snap::minify::MinifyMode;
use snap_console::snap::signature::{SignatureInput, SignatureKind};

pub fn vectors_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/vectors/snap")
}

/// Every vector; a missing file fails loudly (the checkout needs ../shared beside it).
pub fn all() -> Vec<Value> {
    let path = vectors_dir().join("vectors.json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e} (the checkout needs ../shared beside it)",
            path.display()
        )
    });
    let doc: Value =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    doc["vectors"].as_array().cloned().unwrap_or_default()
}

/// The vector of that name.
pub fn named(name: &str) -> Value {
    all()
        .into_iter()
        .find(|v| v["name"] == name)
        .unwrap_or_else(|| panic!("vector {name} missing"))
}

pub fn field(v: &Value, name: &str) -> String {
    v[name].as_str().unwrap_or_default().to_string()
}

/// The signature input a vector describes (lexical minify, no unsigned prefix).
pub fn input_of(v: &Value) -> SignatureInput {
    let kind: SignatureKind = field(v, "kind").parse().expect("known kind");
    SignatureInput {
        kind,
        client_id: field(v, "clientId"),
        timestamp: field(v, "timestamp"),
        method: field(v, "method"),
        path: field(v, "path"),
        unsigned_path_prefix: String::new(),
        access_token: field(v, "accessToken"),
        body: field(v, "body"),
        minify: MinifyMode::Lexical,
    }
}

pub fn private_key() -> keys::RsaPrivateKey {
    let pem = std::fs::read(vectors_dir().join("partner_private_pkcs8.pem")).expect("vector key");
    keys::parse_private_key(&pem, None)
        .expect("vector key parses")
        .key
}

pub fn public_key() -> keys::RsaPublicKey {
    let pem = std::fs::read(vectors_dir().join("partner_public.pem")).expect("vector public key");
    keys::parse_public_key(&pem)
        .expect("vector public key parses")
        .key
}
