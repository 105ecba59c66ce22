//! User suites on the command line: `snap-console test --copy` puts a copy of a built-in
//! suite in the suites folder, the copy is edited there and run by id; ids stay unique
//! (a copy never takes a used id, a file claiming a built-in id is left out and said so).
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

use cli_sandbox::{Env, code, json_of};
use serde_json::{Value, json};

#[test]
fn copy_edit_and_run_a_user_suite_by_id() {
    let env = Env::new();
    assert_eq!(
        code(&env.add_profile("sb", &["--base-url", &env.base_url])),
        0
    );
    let dir = env.home.path().join("config/suites");

    let out = env.run(&["test", "--copy", "aspi-va-payment", "--json"]);
    assert_eq!(code(&out), 0, "{}", String::from_utf8_lossy(&out.stderr));
    let copied = json_of(&out);
    assert_eq!(copied["id"], "aspi-va-payment-copy");
    let file = dir.join("aspi-va-payment-copy.json");
    assert_eq!(copied["file"], file.display().to_string());

    // A second copy gets the next free id; a used id is refused, with exit 2.
    let out = env.run(&["test", "--copy", "aspi-va-payment", "--json"]);
    assert_eq!(json_of(&out)["id"], "aspi-va-payment-copy-2");
    let out = env.run(&["test", "--copy", "biller", "--as", "aspi-va-payment"]);
    assert_eq!(code(&out), 2);
    assert!(String::from_utf8_lossy(&out.stderr).contains("is a built-in suite"));
    let out = env.run(&["test", "--copy", "biller", "--as", "aspi-va-payment-copy"]);
    assert_eq!(code(&out), 2);
    assert!(String::from_utf8_lossy(&out.stderr).contains("already a suite of yours"));
    let out = env.run(&["test", "--copy", "no-such-suite"]);
    assert_eq!(code(&out), 2);

    // Edit the copy: keep two cases, and expect the wrong code in one of them.
    let mut suite: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    let cases = suite["cases"].as_array_mut().unwrap();
    cases.retain(|c| c["id"] == "token" || c["id"] == "payment");
    assert_eq!(cases.len(), 2);
    let payment = cases.iter_mut().find(|c| c["id"] == "payment").unwrap();
    let steps = payment["steps"].as_array_mut().unwrap();
    let last = steps.last_mut().unwrap();
    last["expect"]["responseCode"] = json!("4012501");
    std::fs::write(&file, serde_json::to_string_pretty(&suite).unwrap()).unwrap();

    // --list shows it with its file; the run finds it by id and runs the edited cases.
    let out = env.run(&["test", "--list", "--json"]);
    let list = json_of(&out);
    let mine = list["suites"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == "aspi-va-payment-copy")
        .unwrap();
    assert_eq!(mine["file"], file.display().to_string());
    assert_eq!(mine["cases"].as_array().unwrap().len(), 2);

    let out = env.run(&["test", "aspi-va-payment-copy", "--profile", "sb", "--json"]);
    let run = json_of(&out);
    assert_eq!(code(&out), 1, "{run:#}");
    assert_eq!(
        (run["passed"].as_u64(), run["failed"].as_u64()),
        (Some(1), Some(1))
    );
    let failed = run["suites"][0]["cases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["passed"] == false)
        .unwrap();
    assert_eq!(failed["id"], "payment");
    assert!(
        failed["reason"].as_str().unwrap().contains("4012501"),
        "{failed}"
    );
}

#[test]
fn a_user_file_claiming_a_built_in_id_is_left_out_and_said_so() {
    let env = Env::new();
    let dir = env.home.path().join("config/suites");
    std::fs::create_dir_all(&dir).unwrap();
    let text = r#"{"formatVersion": 1, "id": "biller", "title": "mine", "role": "partner",
        "cases": [{"id": "t", "name": "t", "steps": [{"service": "73"}]}]}"#;
    std::fs::write(dir.join("mine.json"), text).unwrap();
    std::fs::write(
        dir.join("broken.json"),
        "{\"formatVersion\": 1, \"idd\": 2}",
    )
    .unwrap();
    let out = env.run(&["test", "--list"]);
    assert_eq!(code(&out), 0);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("mine.json: the id 'biller' is already used by a built-in suite"),
        "{stderr}"
    );
    assert!(stderr.contains("broken.json:1:"), "{stderr}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(!stdout.contains("mine"), "{stdout}");
}
