//! The command line end to end: the real binary, real files in a temp dir.

// Test, bench and example code may panic: a failed expectation is the point.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::too_many_lines
)]

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

use serde_json::Value;

const VA_TOKEN: &str = "gp9HjjEj813Y9JGoqwOeOPWbnt4CUpvIJbU1mMU4a11MNDZ7Sg5u9a";
const VA_SIGNATURE: &str =
    "cFWUOBSI3NEQo3bcjW1VdnnRf34O+0HqtKChZnT1a8eIsSnSICcDJdouKtJXc7XfTmkw00nnIVWoRbZ0TQjAeA==";
const B2B_SIGNATURE: &str = "CeRsbKKFUlVdWP9+7Zl+9caz0bYyb+HURjEPtry4M3pLthhT+FM1MXLDYTJy/owWrpBxpn+HZZ1pzocx0SnAlJSDywhJQ3q3gdFzIMxaJwrzg0r5BSkqXastbndCLyBAqWcUCb9bhmxeOsd6Hf7Zh/qJT2b8sR3W5u5YKcX4Wt97vVUp2I+fRlDCqtbkDBpva2Or4sOXyA+AJZiiQ3P//jy7P/DoGbL5tYG0PYv4rqp+AC9hf2KxxCCt29QhCFV3UcI49ut8zr+hRwwO6NkcJVn1HM0CaB1ktK6phhIVTVagr+hY9MitvULYjNFilVcX1hSUcK3eK54+InzYHeifkw==";
const CLIENT_ID: &str = "5f5c1e3a-7c1d-4b8e-9f0a-2b3c4d5e6f70";

fn vectors() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/vectors/snap")
}

fn bin() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_snap-console"));
    cmd.env_remove("SNAP_TEST_SECRET");
    cmd
}

fn run(args: &[&str], envs: &[(&str, &str)], stdin: Option<&str>) -> Output {
    let mut cmd = bin();
    cmd.args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in envs {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().expect("binary starts");
    if let Some(mut pipe) = child.stdin.take() {
        pipe.write_all(stdin.unwrap_or("").as_bytes())
            .expect("stdin");
    }
    child.wait_with_output().expect("binary finishes")
}

fn json_of(out: &Output) -> Value {
    let text = String::from_utf8_lossy(&out.stdout);
    serde_json::from_str(text.trim())
        .unwrap_or_else(|e| panic!("not one JSON object ({e}): {text}"))
}

fn stderr_of(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn va_body() -> String {
    let text = std::fs::read_to_string(vectors().join("vectors.json")).expect("vectors");
    let doc: Value = serde_json::from_str(&text).expect("json");
    doc["vectors"][1]["body"]
        .as_str()
        .expect("body")
        .to_string()
}

fn key(name: &str) -> String {
    vectors().join(name).display().to_string()
}

#[test]
fn sign_b2b_matches_the_vector() {
    let out = run(
        &[
            "sign",
            "b2b",
            "--client-id",
            CLIENT_ID,
            "--timestamp",
            "2024-11-29T14:15:00+07:00",
            "--private-key",
            &key("partner_private_pkcs1.pem"),
            "--json",
        ],
        &[],
        None,
    );
    assert!(out.status.success(), "{}", stderr_of(&out));
    let v = json_of(&out);
    assert_eq!(v["signature"], B2B_SIGNATURE);
    assert_eq!(
        v["stringToSign"],
        format!("{CLIENT_ID}|2024-11-29T14:15:00+07:00")
    );
}

#[test]
fn sign_symmetric_from_stdin_matches_the_vector_and_hides_the_secret() {
    let secret = "sandbox-client-secret-0123456789";
    let out = run(
        &[
            "sign",
            "symmetric",
            "--method",
            "post",
            "--path",
            "/api/v1.0/transfer-va/payment",
            "--token",
            VA_TOKEN,
            "--client-secret-env",
            "SNAP_TEST_SECRET",
            "--timestamp",
            "2024-12-01T07:15:00+07:00",
            "--body-file",
            "-",
            "--json",
        ],
        &[("SNAP_TEST_SECRET", secret)],
        Some(&va_body()),
    );
    assert!(out.status.success(), "{}", stderr_of(&out));
    let v = json_of(&out);
    assert_eq!(v["signature"], VA_SIGNATURE);
    assert_eq!(
        v["bodyHash"],
        "6f981d9724b608311c460eced5b4bcd350bec7d96b013af7fa56cb0fe1f738f4"
    );
    assert!(
        v["minifiedBody"]
            .as_str()
            .is_some_and(|b| b.starts_with("{\"partnerServiceId\""))
    );
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        stderr_of(&out)
    );
    assert!(
        !all.contains(secret),
        "the client secret must not be printed"
    );
}

#[test]
fn sign_symmetric_reads_the_secret_from_a_file() {
    let dir = tempfile::tempdir().expect("tmp");
    let secret_file = dir.path().join("secret");
    std::fs::write(&secret_file, "sandbox-client-secret-0123456789\n").expect("write");
    let body_file = dir.path().join("body.json");
    std::fs::write(&body_file, va_body()).expect("write");
    let out = run(
        &[
            "sign",
            "symmetric",
            "--method",
            "POST",
            "--path",
            "/api/v1.0/transfer-va/payment",
            "--token",
            VA_TOKEN,
            "--client-secret-file",
            &secret_file.display().to_string(),
            "--timestamp",
            "2024-12-01T07:15:00+07:00",
            "--body-file",
            &body_file.display().to_string(),
        ],
        &[],
        None,
    );
    assert!(out.status.success(), "{}", stderr_of(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains(&format!("signature:     {VA_SIGNATURE}")),
        "{text}"
    );
    assert!(text.contains("bodyHash:"), "{text}");
}

#[test]
fn sign_transaction_and_verify_it_back() {
    let dir = tempfile::tempdir().expect("tmp");
    let body = dir.path().join("b.json");
    std::fs::write(
        &body,
        "{\"partnerServiceId\": \"   12345\", \"trxId\": \"abc\"}",
    )
    .expect("write");
    let body = body.display().to_string();
    let common = [
        "--method",
        "POST",
        "--path",
        "/api/v1.0/transfer-va/payment",
        "--timestamp",
        "2022-03-21T10:11:40+07:00",
        "--body-file",
        body.as_str(),
    ];
    let mut args = vec!["sign", "transaction"];
    args.extend(common);
    let private = key("partner_private_pkcs8.pem");
    args.extend(["--private-key", private.as_str(), "--json"]);
    let out = run(&args, &[], None);
    assert!(out.status.success(), "{}", stderr_of(&out));
    let signature = json_of(&out)["signature"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(signature.starts_with("D8dGUKVl+SvRMIDp"), "{signature}");

    let public = key("partner_public.pem");
    let mut verify = vec!["verify", "transaction", "--signature", signature.as_str()];
    verify.extend(common);
    verify.extend(["--public-key", public.as_str(), "--json"]);
    let out = run(&verify, &[], None);
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    assert_eq!(json_of(&out)["valid"], true);

    // The same signature over another timestamp: exit 1, valid false.
    let tampered: Vec<&str> = verify
        .iter()
        .map(|a| {
            if *a == "2022-03-21T10:11:40+07:00" {
                "2022-03-21T10:11:41+07:00"
            } else {
                a
            }
        })
        .collect();
    let out = run(&tampered, &[], None);
    assert_eq!(out.status.code(), Some(1), "{}", stderr_of(&out));
    assert_eq!(json_of(&out)["valid"], false);
}

#[test]
fn verify_b2b_accepts_hex_too() {
    use base64::Engine;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(B2B_SIGNATURE)
        .expect("b64");
    let hex_sig = hex::encode(bytes);
    let out = run(
        &[
            "verify",
            "b2b",
            "--client-id",
            CLIENT_ID,
            "--timestamp",
            "2024-11-29T14:15:00+07:00",
            "--signature",
            &hex_sig,
            "--public-key",
            &key("partner_public.pem"),
            "--json",
        ],
        &[],
        None,
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    assert_eq!(json_of(&out)["encoding"], "hex");
}

#[test]
fn minify_and_decode_code() {
    let out = run(
        &["minify", "--body-file", "-", "--json"],
        &[],
        Some("{ \"a\" : [1, 2],\n \"b\": \"x  y\" }"),
    );
    assert!(out.status.success(), "{}", stderr_of(&out));
    let v = json_of(&out);
    assert_eq!(v["minifiedBody"], "{\"a\":[1,2],\"b\":\"x  y\"}");
    assert_eq!(v["bodyHash"].as_str().map(str::len), Some(64));

    let out = run(
        &["decode-code", "4012500", "--http-status", "200", "--json"],
        &[],
        None,
    );
    assert!(out.status.success());
    let v = json_of(&out);
    assert_eq!(v["httpStatus"], 401);
    assert_eq!(v["serviceName"], "VA Payment");
    assert!(v["statusMismatch"].as_str().is_some());

    let out = run(&["decode-code", "4012500"], &[], None);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("Unauthorized"), "{text}");
}

#[test]
fn keygen_writes_usable_keys_with_private_mode_0600() {
    let dir = tempfile::tempdir().expect("tmp");
    let private = dir.path().join("k.pem");
    let public = dir.path().join("k.pub.pem");
    let (p, q) = (private.display().to_string(), public.display().to_string());
    let out = run(
        &[
            "keygen",
            "--out-private",
            &p,
            "--out-public",
            &q,
            "--passphrase-env",
            "PASS",
            "--json",
        ],
        &[("PASS", "correct horse")],
        None,
    );
    assert!(out.status.success(), "{}", stderr_of(&out));
    let v = json_of(&out);
    assert_eq!(v["encrypted"], true);
    assert!(
        v["fingerprint"]
            .as_str()
            .is_some_and(|f| f.starts_with("SHA256:"))
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&private)
            .expect("meta")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let pem = std::fs::read_to_string(&private).expect("read");
    assert!(pem.contains("ENCRYPTED PRIVATE KEY"));

    // The encrypted key signs with its passphrase, and says what is wrong without it.
    let sign = |envs: &[(&str, &str)], with_pass: bool| {
        let mut args = vec![
            "sign",
            "b2b",
            "--client-id",
            "c",
            "--private-key",
            p.as_str(),
        ];
        if with_pass {
            args.extend(["--passphrase-env", "PASS"]);
        }
        run(&args, envs, None)
    };
    assert!(sign(&[("PASS", "correct horse")], true).status.success());
    let wrong = sign(&[("PASS", "hunter2-not-it")], true);
    assert_eq!(wrong.status.code(), Some(2));
    let message = stderr_of(&wrong);
    assert!(message.to_lowercase().contains("passphrase"), "{message}");
    assert!(
        !message.contains("hunter2"),
        "the passphrase must not be echoed: {message}"
    );
    let missing = sign(&[], false);
    assert!(stderr_of(&missing).to_lowercase().contains("passphrase"));

    // No silent overwrite of an existing key.
    let again = run(
        &["keygen", "--out-private", &p, "--out-public", &q],
        &[],
        None,
    );
    assert_eq!(again.status.code(), Some(2));
    assert!(stderr_of(&again).contains("already exists"));
}

#[test]
fn errors_are_one_line_with_exit_2_and_no_panic() {
    let dir = tempfile::tempdir().expect("tmp");
    let bad_json = dir.path().join("bad.json");
    std::fs::write(&bad_json, "{\n  \"a\": 1,\n  \"b\" 2\n}").expect("write");
    let cases: Vec<(Vec<String>, &str)> = vec![
        (
            vec![
                "minify".into(),
                "--body-file".into(),
                bad_json.display().to_string(),
            ],
            "line 3",
        ),
        (
            vec![
                "minify".into(),
                "--body-file".into(),
                "/nonexistent/body.json".into(),
            ],
            "/nonexistent/body.json",
        ),
        (
            vec![
                "sign".into(),
                "b2b".into(),
                "--client-id".into(),
                "c".into(),
                "--private-key".into(),
                bad_json.display().to_string(),
            ],
            "--private-key",
        ),
        (
            vec![
                "sign".into(),
                "symmetric".into(),
                "--method".into(),
                "POST".into(),
                "--path".into(),
                "/p".into(),
                "--token".into(),
                "t".into(),
                "--client-secret-env".into(),
                "SNAP_UNSET_VAR_X".into(),
            ],
            "SNAP_UNSET_VAR_X is not set",
        ),
        (vec!["decode-code".into(), "12345".into()], "7 digits"),
        (
            vec![
                "verify".into(),
                "b2b".into(),
                "--timestamp".into(),
                "t".into(),
                "--signature".into(),
                "***".into(),
                "--public-key".into(),
                key("partner_public.pem"),
            ],
            "neither Base64 nor hex",
        ),
        (
            vec![
                "verify".into(),
                "b2b".into(),
                "--timestamp".into(),
                "t".into(),
                "--signature".into(),
                "AAAA".into(),
                "--public-key".into(),
                key("partner_private_pkcs1.pem"),
            ],
            "",
        ),
    ];
    for (args, needle) in cases {
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = run(&refs, &[], None);
        let err = stderr_of(&out);
        assert!(!err.contains("panicked"), "{args:?}: {err}");
        if needle.is_empty() {
            continue;
        }
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert_eq!(err.trim().lines().count(), 1, "{args:?}: one line: {err}");
        assert!(
            err.contains(needle),
            "{args:?}: expected '{needle}' in {err}"
        );
    }
}
