//! `snap-console test` end to end: the real binary, a temporary SNAP_CONSOLE_HOME, the
//! local sandbox in this process, exports written and read back.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::too_many_lines
)]

#[path = "common/cli_sandbox.rs"]
mod cli_sandbox;
#[path = "common/servers.rs"]
mod servers;

use cli_sandbox::{CLIENT_SECRET, Env, code, fixture, json_of};
use serde_json::Value;

fn path_text(dir: &tempfile::TempDir, name: &str) -> String {
    dir.path().join(name).to_str().unwrap().to_string()
}

/// What must never be in an export: the client secret, any line of the private key, and
/// any bearer token in clear.
fn assert_no_secret(text: &str) {
    assert!(!text.contains(CLIENT_SECRET), "client secret in an export");
    let pem = std::fs::read_to_string(fixture("test_rsa2048_pkcs8.pem")).unwrap();
    for line in pem
        .lines()
        .filter(|l| l.len() > 20 && !l.starts_with("-----"))
    {
        assert!(!text.contains(line), "a private key line in an export");
    }
    for (at, _) in text.match_indices("Bearer ") {
        let rest = &text[at + 7..];
        assert!(
            rest.starts_with("‹redacted›") || rest.starts_with("&lt;") || rest.starts_with("<"),
            "a bearer token in clear: {}",
            &rest[..rest.len().min(40)]
        );
    }
    for (at, _) in text.match_indices("\"accessToken\":") {
        let rest = text[at + 14..].trim_start();
        assert!(rest.starts_with("\"‹redacted›"), "an access token in clear");
    }
}

#[test]
fn list_shows_suites_and_indented_cases() {
    let env = Env::new();
    let out = env.run(&["test", "--list"]);
    assert_eq!(code(&out), 0);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("aspi-va-payment  "), "{text}");
    assert!(
        text.contains("\n  payment-duplicate-external-id  "),
        "{text}"
    );
    let out = env.run(&["test", "--list", "--json"]);
    let json = json_of(&out);
    let suites = json["suites"].as_array().unwrap();
    assert_eq!(suites.len(), 5);
    assert!(
        suites
            .iter()
            .all(|s| s["cases"].as_array().is_some_and(|c| !c.is_empty()))
    );
}

#[test]
fn a_run_passes_and_writes_every_export_without_secrets() {
    let env = Env::new();
    assert_eq!(
        code(&env.add_profile("sb", &["--base-url", &env.base_url])),
        0
    );
    let dir = tempfile::tempdir().unwrap();
    let (html, md, xlsx, junit) = (
        path_text(&dir, "evidence.html"),
        path_text(&dir, "evidence.md"),
        path_text(&dir, "results.xlsx"),
        path_text(&dir, "junit.xml"),
    );
    let out = env.run(&[
        "test",
        "aspi-va-payment",
        "va-notification",
        "--profile",
        "sb",
        "--json",
        "--report",
        &html,
        "--xlsx",
        &xlsx,
        "--junit",
        &junit,
    ]);
    let json = json_of(&out);
    assert_eq!(code(&out), 0, "{json:#}");
    let suites = json["suites"].as_array().unwrap();
    assert_eq!(suites[0]["id"], "aspi-va-payment");
    assert_eq!(suites[0]["role"], "partner");
    let cases = suites[0]["cases"].as_array().unwrap();
    for case in cases {
        for key in [
            "id", "name", "passed", "skipped", "expected", "got", "reason", "ms",
        ] {
            assert!(case.get(key).is_some(), "{key} missing in {case}");
        }
    }
    let payment = cases
        .iter()
        .find(|c| c["id"] == "payment-invalid-token")
        .unwrap();
    assert_eq!(payment["expected"], "HTTP 401, responseCode 4012501");
    assert_eq!(payment["got"], "HTTP 401, responseCode 4012501");
    let skipped = &suites[1]["cases"][0];
    assert_eq!(skipped["skipped"], true);
    assert!(skipped["reason"].as_str().unwrap().contains("--inbox-port"));
    assert_eq!(json["failed"], 0);
    assert_eq!(json["skipped"], 1);
    assert_eq!(json["passed"].as_u64().unwrap() as usize, cases.len());

    // The HTML evidence: a summary row and a section for every case, with its exchanges.
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(page.starts_with("<!DOCTYPE html>"));
    assert!(!page.contains("<script"), "self-contained, no scripts");
    for case in cases {
        let id = case["id"].as_str().unwrap();
        let section = format!("data-case=\"aspi-va-payment/{id}\"");
        let at = page
            .find(&section)
            .unwrap_or_else(|| panic!("no section for {id}"));
        let body = &page[at..];
        let end = body[1..].find("<section").map_or(body.len(), |e| e + 1);
        let body = &body[..end];
        assert!(body.contains("PASS"), "{id}");
        // Quotes in field expectations are HTML-escaped; the status and code are not.
        let expected = case["expected"].as_str().unwrap();
        assert!(body.contains(expected.split(", /").next().unwrap()), "{id}");
        assert!(body.contains("<h4>Request</h4>"), "{id}");
        assert!(body.contains("<h4>Response</h4>"), "{id}");
    }
    assert!(page.contains("stringToSign"));
    assert_no_secret(&page);
    let junit_text = std::fs::read_to_string(&junit).unwrap();
    assert!(
        junit_text.contains("<testsuite name=\"aspi-va-payment\""),
        "{junit_text}"
    );
    assert!(junit_text.contains("<skipped"), "{junit_text}");
    assert_no_secret(&junit_text);
    let sheet = std::fs::read(&xlsx).unwrap();
    assert!(sheet.starts_with(b"PK"), "an .xlsx is a zip");

    // Markdown, for one case chosen with --case.
    let out = env.run(&[
        "test",
        "aspi-va-payment",
        "--profile",
        "sb",
        "--case",
        "aspi-va-payment/payment",
        "--report",
        &md,
    ]);
    assert_eq!(code(&out), 0, "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("1 passed, 0 failed, 0 skipped"), "{text}");
    let markdown = std::fs::read_to_string(&md).unwrap();
    assert!(
        markdown.contains("| 1 | aspi-va-payment/payment |"),
        "{markdown}"
    );
    assert!(markdown.contains("```text\nPOST "), "{markdown}");
    assert_no_secret(&markdown);
    // The history holds every exchange, tagged.
    let history = env.history();
    assert!(
        history
            .iter()
            .any(|e| e["case"] == "payment" && e["suite"] == "aspi-va-payment")
    );
    assert!(
        history
            .iter()
            .all(|e| e["run"].as_str().is_some_and(|r| r.starts_with("run-")))
    );
}

#[test]
fn notifications_arrive_at_the_inbox_the_run_starts() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let env = Env::notifying(Some(format!("http://127.0.0.1:{port}")));
    assert_eq!(
        code(&env.add_profile("sb", &["--base-url", &env.base_url])),
        0
    );
    let out = env.run(&[
        "test",
        "va-notification",
        "biller",
        "--profile",
        "sb",
        "--json",
        "--inbox-port",
        &port.to_string(),
    ]);
    let json = json_of(&out);
    assert_eq!(code(&out), 0, "{json:#}");
    assert_eq!(
        (json["failed"].as_u64(), json["skipped"].as_u64()),
        (Some(0), Some(0)),
        "{json:#}"
    );
}

#[test]
fn a_server_that_never_answers_fails_the_run_with_exit_1() {
    let env = Env::new();
    let silent = servers::silent();
    let url = silent.url();
    assert_eq!(
        code(&env.add_profile("dead", &["--base-url", &url, "--timeout-seconds", "1"])),
        0
    );
    let out = env.run(&[
        "test",
        "aspi-va-payment",
        "--profile",
        "dead",
        "--json",
        "--case",
        "aspi-va-payment/payment",
    ]);
    assert_eq!(code(&out), 1);
    let json = json_of(&out);
    assert_eq!(json["failed"], 1);
    let case: &Value = &json["suites"][0]["cases"][0];
    assert_eq!(case["passed"], false);
    assert!(
        case["reason"]
            .as_str()
            .unwrap()
            .contains("no answer within 1 s"),
        "{case}"
    );
}

#[test]
fn bad_input_is_exit_2_with_where() {
    let env = Env::new();
    assert_eq!(
        code(&env.add_profile("sb", &["--base-url", &env.base_url])),
        0
    );
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("mine.json");
    std::fs::write(
        &file,
        "{\n  \"formatVersion\": 1,\n  \"id\": \"mine\",\n  \"titel\": \"x\"\n}\n",
    )
    .unwrap();
    let out = env.run(&["test", file.to_str().unwrap(), "--profile", "sb"]);
    assert_eq!(code(&out), 2);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("mine.json:4:"), "{err}");
    assert!(err.contains("unknown field `titel`"), "{err}");
    assert!(err.contains("`title`"), "{err}");
    let out = env.run(&[
        "test",
        "aspi-va-payment",
        "--profile",
        "sb",
        "--case",
        "aspi-va-payment/nope",
    ]);
    assert_eq!(code(&out), 2);
    assert!(String::from_utf8_lossy(&out.stderr).contains("has no case 'nope'"));
    let out = env.run(&["test", "no-such-suite", "--profile", "sb"]);
    assert_eq!(code(&out), 2);
    let out = env.run(&[
        "test",
        "aspi-va-payment",
        "--profile",
        "sb",
        "--report",
        "x.pdf",
    ]);
    assert_eq!(code(&out), 2);
}
