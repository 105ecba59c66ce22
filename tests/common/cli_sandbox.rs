//! The real binary against the local sandbox (in this process), with a temporary
//! SNAP_CONSOLE_HOME: shared by the CLI test files that need a provider. Included with
//! `#[path]`; not every file uses every helper.
#![allow(dead_code)]

use std::path::PathBuf;
use std::process::{Command, Output};

use serde_json::Value;
use snap_console::net::sandbox::{self, SandboxConfig, SandboxHandle};
use snap_console::snap::keys;
use zeroize::Zeroizing;

pub const CLIENT_ID: &str = "cli-sandbox-client";
pub const CLIENT_SECRET: &str = "cli-sandbox-secret-0123456789";
pub const SECRET_ENV: &str = "CLI_SANDBOX_TEST_SECRET";

pub fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/keys")
        .join(name)
}

pub fn private_key(name: &str) -> keys::RsaPrivateKey {
    let pem = std::fs::read(fixture(name)).expect("fixture key");
    keys::parse_private_key(&pem, None).expect("parses").key
}

pub struct Env {
    pub base_url: String,
    pub home: tempfile::TempDir,
    runtime: tokio::runtime::Runtime,
    sandbox: Option<SandboxHandle>,
}

impl Env {
    pub fn new() -> Env {
        Env::notifying(None)
    }

    /// The sandbox notifies `notify_url` (a merchant's inbox) of payments and callbacks.
    pub fn notifying(notify_url: Option<String>) -> Env {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        let config = SandboxConfig::new(
            CLIENT_ID,
            Zeroizing::new(CLIENT_SECRET.to_string()),
            private_key("test_rsa2048_pkcs8.pem").to_public_key(),
            private_key("test_rsa1024_pkcs8.pem"),
        );
        let mut config = config;
        config.notify_url = notify_url;
        let sandbox = runtime
            .block_on(sandbox::start(config))
            .expect("sandbox starts");
        Env {
            base_url: sandbox.base_url().to_string(),
            home: tempfile::tempdir().expect("tempdir"),
            runtime,
            sandbox: Some(sandbox),
        }
    }

    pub fn run(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_snap-console"))
            .args(args)
            .env("SNAP_CONSOLE_HOME", self.home.path())
            .env(SECRET_ENV, CLIENT_SECRET)
            .output()
            .expect("binary runs")
    }

    /// `profile add` with the sandbox's credentials, then `extra` flags; the output.
    pub fn add_profile(&self, name: &str, extra: &[&str]) -> Output {
        let key = fixture("test_rsa2048_pkcs8.pem");
        let mut args = vec![
            "profile",
            "add",
            "--name",
            name,
            "--client-id",
            CLIENT_ID,
            "--client-secret-env",
            SECRET_ENV,
            "--private-key",
            key.to_str().unwrap_or_default(),
            "--channel-id",
            "95221",
        ];
        args.extend_from_slice(extra);
        self.run(&args)
    }

    pub fn history(&self) -> Vec<Value> {
        std::fs::read_to_string(self.home.path().join("data/history.jsonl"))
            .unwrap_or_default()
            .lines()
            .map(|l| serde_json::from_str(l).expect("history line is JSON"))
            .collect()
    }
}

impl Drop for Env {
    fn drop(&mut self) {
        if let Some(sandbox) = self.sandbox.take() {
            self.runtime.block_on(sandbox.stop());
        }
    }
}

pub fn code(out: &Output) -> i32 {
    out.status.code().unwrap_or(-1)
}

pub fn json_of(out: &Output) -> Value {
    let text = String::from_utf8_lossy(&out.stdout);
    serde_json::from_str(text.trim()).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {text}\nstderr: {}",
            String::from_utf8_lossy(&out.stderr)
        )
    })
}
