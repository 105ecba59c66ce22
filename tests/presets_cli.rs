//! Provider presets from the command line: `profile add --preset NAME` fills everything
//! but the credentials, and a profile made from a preset talks to the local sandbox (token
//! and one transaction, bodies from the templates).

// Test code may panic and tell a long story: a failed expectation is the point.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::too_many_lines
)]

#[path = "common/cli_sandbox.rs"]
mod cli_sandbox;

use cli_sandbox::{Env, code, json_of};
use serde_json::Value;
use snap_console::presets;

fn listed(env: &Env, name: &str) -> Value {
    let out = env.run(&["profile", "list", "--json"]);
    assert_eq!(code(&out), 0);
    json_of(&out)["profiles"]
        .as_array()
        .and_then(|all| all.iter().find(|p| p["name"] == name).cloned())
        .unwrap_or_else(|| panic!("profile {name} listed"))
}

#[test]
fn presets_shaped_like_the_sandbox_round_trip_a_token_and_a_transaction() {
    let env = Env::new();
    let base_url = env.base_url.clone();
    for preset in ["snap-standard", "aspi-sandbox"] {
        let out = env.add_profile(preset, &["--preset", preset, "--base-url", &base_url]);
        assert_eq!(code(&out), 0, "{}", String::from_utf8_lossy(&out.stderr));
        assert!(
            String::from_utf8_lossy(&out.stdout).contains(&format!("from preset {preset}")),
            "the preset's notes are shown"
        );
        for (service, expected) in [("73", "2007300"), ("25", "2002500")] {
            let out = env.run(&["send", "--profile", preset, "--service", service, "--json"]);
            assert_eq!(code(&out), 0, "{}", String::from_utf8_lossy(&out.stderr));
            let answer = json_of(&out);
            assert_eq!(
                answer["responseCode"], expected,
                "{preset} {service}: {answer}"
            );
        }
    }
}

#[test]
fn the_nicepay_preset_fills_its_quirks_and_flags_override_a_preset() {
    let env = Env::new();
    let out = env.add_profile("NICEPAY", &["--preset", "nicepay-snap"]);
    assert_eq!(code(&out), 0, "{}", String::from_utf8_lossy(&out.stderr));
    let nicepay = listed(&env, "NICEPAY");
    assert_eq!(nicepay["baseUrl"], "https://dev.nicepay.co.id/nicepay");
    assert_eq!(nicepay["apiPrefix"], "/api");
    assert_eq!(nicepay["tokenPath"], "/v1.0/access-token/b2b");
    assert_eq!(nicepay["unsignedPathPrefix"], "/nicepay");
    assert_eq!(nicepay["timestampStyle"], "jakarta-seconds");
    assert_eq!(nicepay["hmacAlgorithm"], "sha512");
    assert_eq!(
        nicepay["clientSecretSet"], true,
        "credentials from the flags"
    );

    let out = env.add_profile(
        "NICEPAY PHP",
        &[
            "--preset",
            "nicepay-snap",
            "--minify",
            "php",
            "--unsigned-path-prefix",
            "",
        ],
    );
    assert_eq!(code(&out), 0, "{}", String::from_utf8_lossy(&out.stderr));
    let overridden = listed(&env, "NICEPAY PHP");
    assert_eq!(overridden["minify"], "php");
    assert_eq!(overridden["unsignedPathPrefix"], "");
    assert_eq!(overridden["tokenPath"], "/v1.0/access-token/b2b");
}

#[test]
fn a_preset_without_a_base_url_and_an_unknown_preset_are_refused() {
    let env = Env::new();
    let out = env.add_profile("Standard", &["--preset", "snap-standard"]);
    assert_eq!(code(&out), 2);
    assert!(String::from_utf8_lossy(&out.stderr).contains("--base-url"));

    let out = env.add_profile("Nope", &["--preset", "no-such-provider"]);
    assert_eq!(code(&out), 2);
    let message = String::from_utf8_lossy(&out.stderr);
    for name in presets::names() {
        assert!(message.contains(name), "{message}");
    }
}
