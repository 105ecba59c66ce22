//! "Apply to profile" (issue 13, item 1): a diagnosis whose variant a provider uses on
//! purpose offers the matching profile setting, and one click changes the active profile
//! (and saves it). The counterparty's signature is made here with the `hmac` crate, not our
//! signer: HMAC-SHA256 where SNAP says SHA-512.

// Test, bench and example code may panic: a failed expectation is the point.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::too_many_lines
)]

use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use snap_console::snap::signature::HmacAlgorithm;
use snap_console::store::paths::AppPaths;
use snap_console::store::profiles;
use snap_console::ui::workbench::WorkbenchPanel;

#[path = "common/window.rs"]
mod window;

#[test]
fn a_diagnosed_hmac_sha256_is_applied_to_the_profile_with_one_click() {
    let home = tempfile::tempdir().unwrap();
    let mut window = window::open(home.path());
    window.wait_for_label("Local sandbox (active)");
    window.click("Workbench");
    window.wait_for_label("String to sign, part by part");

    let (secret, timestamp, body) = {
        let state = window.harness.state();
        let profile = state.ctx.book.active_profile().cloned().unwrap();
        assert_eq!(profile.hmac_algorithm, HmacAlgorithm::Sha512);
        let wb = state.panel::<WorkbenchPanel>().unwrap();
        (
            state.ctx.book.secrets_of(&profile.id).client_secret,
            wb.timestamp.clone(),
            wb.body.clone(),
        )
    };
    // The standard string to sign, with an independent minify (serde_json re-serialises
    // the template, which has no whitespace inside strings) and hash.
    let minified =
        serde_json::to_string(&serde_json::from_str::<serde_json::Value>(&body).unwrap()).unwrap();
    let text = format!(
        "POST:/api/v1.0/transfer-va/payment::{}:{timestamp}",
        hex::encode(Sha256::digest(minified.as_bytes()))
    );
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.expose().as_bytes()).unwrap();
    mac.update(text.as_bytes());
    let expected = base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes());

    window.type_into("Expected signature", &expected);
    window.click("Diagnose");
    window.wait_for_label("Matched a variant");
    window.wait_for_label("hmacAlgorithm = sha256");
    window.click("Apply to profile");
    window.wait_for_label("now has hmacAlgorithm = sha256");

    let active = window
        .harness
        .state()
        .ctx
        .book
        .active_profile()
        .cloned()
        .unwrap();
    assert_eq!(active.hmac_algorithm, HmacAlgorithm::Sha256);
    let paths = AppPaths::under(home.path());
    window.wait_for("the changed profile saved", |_| {
        profiles::load(&paths)
            .book
            .active_profile()
            .is_some_and(|p| p.hmac_algorithm == HmacAlgorithm::Sha256)
    });
}
