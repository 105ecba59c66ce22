//! Templates everywhere: `snap-console template SERVICE [--profile P]` prints the body the
//! window would fill, and `send` without `--body-file` sends it. The real binary, a
//! temporary SNAP_CONSOLE_HOME, and the local sandbox (in this process) as the provider.

// Test code may panic and tell a long story: a failed expectation is the point.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::too_many_lines
)]

#[path = "common/cli_sandbox.rs"]
mod cli_sandbox;

use cli_sandbox::{CLIENT_ID, CLIENT_SECRET, Env, code, json_of};
use md5::{Digest, Md5};
use serde_json::Value;
use snap_console::snap::{catalog, templates};

const PARTNER_SERVICE_ID: &str = "  888777";

/// The sandbox profile "Sandbox" with a partner service ID of its own.
fn add_sandbox_profile(env: &Env) {
    let base_url = env.base_url.clone();
    let out = env.add_profile(
        "Sandbox",
        &[
            "--base-url",
            &base_url,
            "--partner-service-id",
            PARTNER_SERVICE_ID,
        ],
    );
    assert_eq!(code(&out), 0, "{}", String::from_utf8_lossy(&out.stderr));
}

/// Today in Jakarta, as the start of an X-TIMESTAMP (`2024-12-01T`).
fn jakarta_dates() -> [String; 2] {
    // Either side of midnight between the command and this check.
    let now = chrono::Utc::now() + chrono::Duration::hours(7);
    let earlier = now - chrono::Duration::minutes(5);
    [
        now.format("%Y-%m-%dT").to_string(),
        earlier.format("%Y-%m-%dT").to_string(),
    ]
}

#[test]
fn template_walks_the_catalog_and_fills_fresh_values() {
    let env = Env::new();
    let mut with_body = 0;
    for service in catalog::services() {
        let out = env.run(&["template", &service.id]);
        if !templates::has_template(&service.id) {
            assert_eq!(code(&out), 2, "{}: no template is an error", service.id);
            assert!(String::from_utf8_lossy(&out.stderr).contains("no body template"));
            continue;
        }
        assert_eq!(code(&out), 0, "{}", String::from_utf8_lossy(&out.stderr));
        if out.stdout.is_empty() {
            assert!(String::from_utf8_lossy(&out.stderr).contains("without a body"));
            continue;
        }
        let body = json_of(&out);
        let text = body.to_string();
        assert!(
            !text.contains("${"),
            "{}: a placeholder is left: {text}",
            service.id
        );
        with_body += 1;
    }
    assert!(with_body >= 10, "only {with_body} templates with a body");

    // Fresh identifiers each time, today's date, the stand-in partner service ID.
    let first = json_of(&env.run(&["template", "25"]));
    let second = json_of(&env.run(&["template", "25"]));
    assert_ne!(first["paymentRequestId"], second["paymentRequestId"]);
    assert_ne!(first["trxId"], second["trxId"]);
    assert_eq!(first["partnerServiceId"], "   12345");
    let psid = first["partnerServiceId"].as_str().unwrap_or_default();
    let customer = first["customerNo"].as_str().unwrap_or_default();
    assert_eq!(
        first["virtualAccountNo"],
        format!("{psid}{customer}").as_str()
    );
    let dated = first.to_string();
    assert!(
        jakarta_dates().iter().any(|d| dated.contains(d.as_str())),
        "no date of today in {dated}"
    );

    let unknown = env.run(&["template", "no-such-service"]);
    assert_eq!(code(&unknown), 2);
}

#[test]
fn template_with_a_profile_uses_its_ids_and_the_biller_md5() {
    let env = Env::new();
    add_sandbox_profile(&env);
    let va = json_of(&env.run(&["template", "25", "--profile", "Sandbox"]));
    assert_eq!(va["partnerServiceId"], PARTNER_SERVICE_ID);

    let biller = json_of(&env.run(&["template", "biller-trx", "--profile", "Sandbox"]));
    assert_eq!(biller["user"], CLIENT_ID);
    let trxid = biller["trxid"].as_str().unwrap_or_default();
    assert!(!trxid.is_empty());
    let expected = hex::encode(Md5::digest(format!("{CLIENT_ID}{CLIENT_SECRET}{trxid}")));
    assert_eq!(biller["sign"], expected.as_str());

    let missing = env.run(&["template", "25", "--profile", "Nobody"]);
    assert_eq!(code(&missing), 2);
    assert!(String::from_utf8_lossy(&missing.stderr).contains("Sandbox"));
}

#[test]
fn send_without_a_body_file_sends_the_filled_template() {
    let env = Env::new();
    add_sandbox_profile(&env);
    for service in ["25", "24"] {
        let out = env.run(&[
            "send",
            "--profile",
            "Sandbox",
            "--service",
            service,
            "--json",
        ]);
        assert_eq!(code(&out), 0, "{}", String::from_utf8_lossy(&out.stderr));
        let answer = json_of(&out);
        assert_eq!(answer["status"], 200, "{service}: {answer}");
        let response_code = answer["responseCode"].as_str().unwrap_or_default();
        assert!(response_code.starts_with("200"), "{answer}");
    }
    let sent: Vec<Value> = env
        .history()
        .into_iter()
        .filter(|l| l["service"] == "snap-25")
        .collect();
    assert_eq!(sent.len(), 1);
    let body = sent[0]["request"]["body"].as_str().unwrap_or_default();
    let body: Value = serde_json::from_str(body).expect("the sent body is the JSON template");
    assert_eq!(body["partnerServiceId"], PARTNER_SERVICE_ID);
    assert!(
        body["paymentRequestId"]
            .as_str()
            .is_some_and(|id| id.starts_with("PR")),
        "{body}"
    );
}
