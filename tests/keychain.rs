//! Secrets in the OS keychain, against a real Secret Service: each keychain test re-runs
//! itself (an `#[ignore]`d inner test) inside its own `dbus-run-session` with an unlocked
//! `gnome-keyring-daemon`, in a temporary HOME. Values are cross-checked with `secret-tool`
//! (libsecret, a second implementation) and through the CLI in a second process.
//!
//! Where `dbus-run-session`, `gnome-keyring-daemon` or `secret-tool` is missing the
//! keychain tests say why and pass, except when `SNAP_CONSOLE_REQUIRE_KEYRING=1` (set by
//! `.ci/run`), where they fail. The fallbacks (no session bus, a bus that never answers)
//! need nothing installed and always run.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::too_many_lines
)]

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use snap_console::store::paths::{AppPaths, SecretsChoice};
use snap_console::store::profiles::{self, Profile, ProfileBook, ProfileSecrets, ProfileStore};

const KEY_FIXTURE: &str = "tests/fixtures/keys/test_rsa2048_pkcs8.pem";
const INNER_ENV: &str = "SNAP_CONSOLE_KEYCHAIN_INNER";

// ---------------------------------------------------------------------------------------
// The session: dbus-run-session + gnome-keyring-daemon, or a reason to skip.

fn program_exists(name: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|paths| std::env::split_paths(&paths).any(|dir| dir.join(name).is_file()))
}

/// Run the `#[ignore]`d test `inner` inside a fresh keyring session; `false` if skipped.
fn in_keyring_session(inner: &str) -> bool {
    let missing: Vec<&str> = [
        "dbus-run-session",
        "dbus-send",
        "gnome-keyring-daemon",
        "secret-tool",
    ]
    .into_iter()
    .filter(|p| !program_exists(p))
    .collect();
    if !missing.is_empty() {
        let why = format!(
            "keychain test {inner} skipped: {} not installed (apt-get install dbus gnome-keyring libsecret-tools)",
            missing.join(", ")
        );
        if std::env::var("SNAP_CONSOLE_REQUIRE_KEYRING").as_deref() == Ok("1") {
            panic!("{why}, and SNAP_CONSOLE_REQUIRE_KEYRING=1 requires a keychain");
        }
        eprintln!("{why}");
        return false;
    }
    let home = tempfile::tempdir().unwrap();
    let runtime_dir = home.path().join("run");
    std::fs::create_dir_all(&runtime_dir).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&runtime_dir, std::fs::Permissions::from_mode(0o700)).unwrap();
    }
    let exe = std::env::current_exe().unwrap();
    let script = r#"eval "$(printf pass | gnome-keyring-daemon --unlock --components=secrets)" >/dev/null; exec "$@""#;
    let mut command = Command::new("dbus-run-session");
    command
        .args(["--", "sh", "-c", script, "sh"])
        .arg(&exe)
        .args([
            inner,
            "--exact",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("HOME", home.path())
        .env("XDG_DATA_HOME", home.path().join("data"))
        .env("XDG_CONFIG_HOME", home.path().join("config"))
        .env("XDG_RUNTIME_DIR", &runtime_dir)
        .env(INNER_ENV, "1")
        // No display: an unlock prompt fails (or times out) instead of showing up on a
        // developer's desktop.
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY")
        .env_remove("DBUS_SESSION_BUS_ADDRESS")
        .env_remove("SNAP_CONSOLE_SECRETS")
        .env_remove("SNAP_CONSOLE_HOME");
    let output = run_with_deadline(command, Duration::from_secs(180));
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "inner test {inner} failed in its keyring session\nstdout:\n{stdout}\nstderr:\n{stderr}"
    );
    assert!(
        stdout.contains("1 passed"),
        "inner test {inner} did not run\nstdout:\n{stdout}\nstderr:\n{stderr}"
    );
    true
}

fn run_with_deadline(mut command: Command, deadline: Duration) -> Output {
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("starts");
    let mut stdout = child.stdout.take().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let out_reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        stdout.read_to_end(&mut buf).ok();
        buf
    });
    let err_reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        stderr.read_to_end(&mut buf).ok();
        buf
    });
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > deadline {
            child.kill().ok();
            panic!("{command:?} ran past {deadline:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    Output {
        status,
        stdout: out_reader.join().unwrap(),
        stderr: err_reader.join().unwrap(),
    }
}

/// Inner tests run only inside the session the outer test made.
fn inside_session() {
    assert_eq!(
        std::env::var(INNER_ENV).as_deref(),
        Ok("1"),
        "run through its outer test, which makes the keyring session"
    );
}

/// `secret-tool lookup`: libsecret's reading of an entry, `None` when there is none.
fn secret_tool_lookup(user: &str) -> Option<String> {
    let output = Command::new("secret-tool")
        .args(["lookup", "service", "snap-console", "username", user])
        .output()
        .expect("secret-tool runs");
    output
        .status
        .success()
        .then(|| String::from_utf8(output.stdout).unwrap())
}

// ---------------------------------------------------------------------------------------
// Helpers shared by inner and outer tests.

fn cli(home: &Path, args: &[&str], envs: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_snap-console"));
    command.args(args).env("SNAP_CONSOLE_HOME", home);
    for (k, v) in envs {
        command.env(k, v);
    }
    run_with_deadline(command, Duration::from_secs(60))
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

fn listing(home: &Path, envs: &[(&str, &str)]) -> serde_json::Value {
    let output = cli(home, &["profile", "list", "--json"], envs);
    assert!(output.status.success(), "{}", text(&output));
    serde_json::from_slice(&output.stdout).unwrap()
}

fn add_profile(home: &Path, name: &str, secret: &str, envs: &[(&str, &str)]) -> Output {
    let mut all = vec![("SECRET_FOR_TEST", secret)];
    all.extend_from_slice(envs);
    let key = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(KEY_FIXTURE);
    cli(
        home,
        &[
            "profile",
            "add",
            "--name",
            name,
            "--base-url",
            "http://127.0.0.1:9",
            "--client-id",
            "CLIENT",
            "--client-secret-env",
            "SECRET_FOR_TEST",
            "--private-key",
            key.to_str().unwrap(),
            "--key-in-keychain",
        ],
        &all,
    )
}

fn profile_id(home: &Path, name: &str, envs: &[(&str, &str)]) -> String {
    let list = listing(home, envs);
    list["profiles"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == name)
        .map(|p| p["id"].as_str().unwrap().to_string())
        .unwrap_or_else(|| panic!("no profile {name} in {list}"))
}

#[cfg(unix)]
fn mode_of(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

fn book_with(profiles: &[(&str, &str, bool)]) -> ProfileBook {
    let pem = std::fs::read_to_string(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(KEY_FIXTURE))
        .unwrap();
    let mut book = ProfileBook::default();
    for (id, secret, key_in_keychain) in profiles {
        book.profiles.push(Profile {
            id: (*id).into(),
            name: format!("profile {id}"),
            key_in_keychain: *key_in_keychain,
            ..Profile::default()
        });
        book.secrets.insert(
            (*id).into(),
            ProfileSecrets {
                client_secret: (*secret).into(),
                private_key_pem: pem.clone().into(),
                ..ProfileSecrets::default()
            },
        );
    }
    book.active = book.profiles.first().map(|p| p.id.clone());
    book
}

// ---------------------------------------------------------------------------------------
// Against a real Secret Service.

#[test]
fn the_cli_keeps_secrets_in_the_keychain_and_forgets_them() {
    in_keyring_session("inner_cli_keeps_secrets_in_the_keychain_and_forgets_them");
}

#[test]
#[ignore = "runs inside the keyring session its outer test makes"]
fn inner_cli_keeps_secrets_in_the_keychain_and_forgets_them() {
    inside_session();
    let home = tempfile::tempdir().unwrap();
    let envs = [("SNAP_CONSOLE_SECRETS", "keychain")];
    let added = add_profile(home.path(), "Keychained", "cli-secret-4711", &envs);
    assert!(added.status.success(), "{}", text(&added));
    assert!(
        text(&added).contains("Client secrets are kept in the Secret Service"),
        "{}",
        text(&added)
    );
    let id = profile_id(home.path(), "Keychained", &envs);

    // libsecret reads what we wrote; the file holds neither secret.
    assert_eq!(
        secret_tool_lookup(&format!("{id}/client-secret")).as_deref(),
        Some("cli-secret-4711")
    );
    let key = secret_tool_lookup(&format!("{id}/private-key")).expect("key in the keychain");
    assert!(key.contains("BEGIN PRIVATE KEY"));
    let paths = AppPaths::under(home.path());
    let file = std::fs::read_to_string(paths.secrets_file()).unwrap();
    assert!(!file.contains("cli-secret-4711"), "{file}");
    assert!(!file.contains("PRIVATE KEY"), "{file}");

    // A second process (the CLI) reads them back through the keychain.
    let list = listing(home.path(), &envs);
    let view = &list["profiles"][0];
    assert_eq!(view["clientSecretSet"], true, "{list}");
    assert_eq!(view["privateKey"]["set"], true, "{list}");
    assert!(
        list["secretsKeptIn"]
            .as_str()
            .unwrap()
            .contains("Secret Service"),
        "{list}"
    );

    // A secret changed through the keychain's own tool is what we read next.
    let stored = Command::new("sh")
        .args([
            "-c",
            &format!("printf changed-elsewhere | secret-tool store --label=x service snap-console username {id}/client-secret"),
        ])
        .status()
        .unwrap();
    assert!(stored.success());
    let mut store = ProfileStore::open(&paths.clone().with_secrets(SecretsChoice::Keychain));
    let loaded = store.load();
    assert!(loaded.problems.is_empty(), "{:?}", loaded.problems);
    assert_eq!(
        loaded.book.secrets_of(&id).client_secret.expose(),
        "changed-elsewhere"
    );

    // Forget: gone from the keychain and the file; the profile stays.
    let forgot = cli(
        home.path(),
        &["profile", "forget-secrets", "--name", "Keychained"],
        &envs,
    );
    assert!(forgot.status.success(), "{}", text(&forgot));
    assert!(
        text(&forgot).contains("Secret Service"),
        "{}",
        text(&forgot)
    );
    assert_eq!(secret_tool_lookup(&format!("{id}/client-secret")), None);
    assert_eq!(secret_tool_lookup(&format!("{id}/private-key")), None);
    let list = listing(home.path(), &envs);
    assert_eq!(list["profiles"][0]["clientSecretSet"], false, "{list}");
    assert_eq!(list["profiles"][0]["privateKey"]["set"], false, "{list}");
}

#[test]
fn secrets_json_moves_to_the_keychain_without_loss() {
    in_keyring_session("inner_secrets_json_moves_to_the_keychain_without_loss");
}

#[test]
#[ignore = "runs inside the keyring session its outer test makes"]
fn inner_secrets_json_moves_to_the_keychain_without_loss() {
    inside_session();
    let home = tempfile::tempdir().unwrap();
    let file_paths = AppPaths::under(home.path()).with_secrets(SecretsChoice::File);
    // As an earlier version left it: everything in secrets.json.
    let book = book_with(&[("aaaa", "secret-a", true), ("bbbb", "secret-b", false)]);
    profiles::save(&file_paths, &book, None).unwrap();
    let before = std::fs::read_to_string(file_paths.secrets_file()).unwrap();
    assert!(before.contains("secret-a") && before.contains("secret-b"));

    let keychain_paths = file_paths.clone().with_secrets(SecretsChoice::Keychain);
    let loaded = profiles::load(&keychain_paths);
    assert!(loaded.problems.is_empty(), "{:?}", loaded.problems);
    let migrated = loaded.migrated.clone().expect("a migration");
    assert!(migrated.contains("Secret Service"), "{migrated}");
    assert_eq!(loaded.book, book, "values intact after the move");

    // In the keychain, as libsecret reads it.
    let pem = book.secrets_of("aaaa").private_key_pem;
    assert_eq!(
        secret_tool_lookup("aaaa/client-secret").as_deref(),
        Some("secret-a")
    );
    assert_eq!(
        secret_tool_lookup("bbbb/client-secret").as_deref(),
        Some("secret-b")
    );
    assert_eq!(
        secret_tool_lookup("aaaa/private-key").as_deref(),
        Some(pem.expose())
    );
    assert_eq!(
        secret_tool_lookup("bbbb/private-key"),
        None,
        "b keeps its key in the file"
    );

    // The file is scrubbed of what moved and keeps what did not, still 0600.
    let after = std::fs::read_to_string(file_paths.secrets_file()).unwrap();
    assert!(
        !after.contains("secret-a") && !after.contains("secret-b"),
        "{after}"
    );
    assert_eq!(after.matches("BEGIN PRIVATE KEY").count(), 1, "{after}");
    #[cfg(unix)]
    assert_eq!(mode_of(&file_paths.secrets_file()), 0o600);

    // A second start reads the same book, with nothing left to move.
    let again = profiles::load(&keychain_paths);
    assert!(again.problems.is_empty(), "{:?}", again.problems);
    assert_eq!(again.migrated, None);
    assert_eq!(again.book, book);

    // Deleting a profile deletes its entries; moving a key out of the keychain puts it
    // back in the file.
    let mut edited = again.book.clone();
    edited.profiles.retain(|p| p.id != "bbbb");
    edited.profiles[0].key_in_keychain = false;
    profiles::save(&keychain_paths, &edited, None).unwrap();
    assert_eq!(secret_tool_lookup("bbbb/client-secret"), None);
    assert_eq!(secret_tool_lookup("aaaa/private-key"), None);
    let reread = profiles::load(&keychain_paths);
    assert_eq!(reread.book.secrets_of("aaaa"), book.secrets_of("aaaa"));
    assert!(
        std::fs::read_to_string(file_paths.secrets_file())
            .unwrap()
            .contains("BEGIN PRIVATE KEY")
    );
}

#[test]
fn a_keychain_that_refuses_keeps_secrets_json() {
    in_keyring_session("inner_a_keychain_that_refuses_keeps_secrets_json");
}

#[test]
#[ignore = "runs inside the keyring session its outer test makes"]
fn inner_a_keychain_that_refuses_keeps_secrets_json() {
    inside_session();
    let home = tempfile::tempdir().unwrap();
    let file_paths = AppPaths::under(home.path()).with_secrets(SecretsChoice::File);
    let book = book_with(&[("cccc", "secret-c", false)]);
    profiles::save(&file_paths, &book, None).unwrap();
    let before = std::fs::read(file_paths.secrets_file()).unwrap();

    // Lock every collection: writing now needs an unlock prompt nobody can answer here.
    assert!(secret_tool_lookup("probe-nothing").is_none());
    let locked = Command::new("sh")
        .args([
            "-c",
            "dbus-send --session --print-reply --dest=org.freedesktop.secrets /org/freedesktop/secrets org.freedesktop.Secret.Service.Lock array:objpath:/org/freedesktop/secrets/collection/login",
        ])
        .output()
        .unwrap();
    assert!(locked.status.success(), "{}", text(&locked));

    let started = Instant::now();
    let loaded = profiles::load(&file_paths.clone().with_secrets(SecretsChoice::Keychain));
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "took {:?}",
        started.elapsed()
    );
    assert_eq!(loaded.migrated, None);
    assert!(
        loaded
            .problems
            .iter()
            .any(|p| p.contains("was kept as it was")),
        "{:?}",
        loaded.problems
    );
    assert_eq!(loaded.book, book, "nothing lost");
    assert_eq!(
        std::fs::read(file_paths.secrets_file()).unwrap(),
        before,
        "file untouched"
    );
    assert!(
        loaded.secrets_place.keychain.is_none(),
        "fell back to the file"
    );
}

// ---------------------------------------------------------------------------------------
// No keychain: the 0600 file, and a note saying so.

#[test]
fn without_a_session_bus_the_cli_keeps_secrets_in_the_0600_file() {
    let home = tempfile::tempdir().unwrap();
    let mut command = Command::new(env!("CARGO_BIN_EXE_snap-console"));
    let key = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(KEY_FIXTURE);
    command
        .args([
            "profile",
            "add",
            "--name",
            "Filed",
            "--base-url",
            "http://127.0.0.1:9",
            "--client-id",
            "CLIENT",
            "--client-secret-env",
            "SECRET_FOR_TEST",
            "--private-key",
            key.to_str().unwrap(),
        ])
        .env("SNAP_CONSOLE_HOME", home.path())
        .env("SECRET_FOR_TEST", "file-secret-99")
        .env_remove("DBUS_SESSION_BUS_ADDRESS")
        .env_remove("SNAP_CONSOLE_SECRETS");
    let output = run_with_deadline(command, Duration::from_secs(60));
    assert!(output.status.success(), "{}", text(&output));
    let said = text(&output);
    assert!(said.contains("secrets.json (mode 0600)"), "{said}");
    assert!(said.contains("no D-Bus session"), "{said}");
    let paths = AppPaths::under(home.path());
    let file = std::fs::read_to_string(paths.secrets_file()).unwrap();
    assert!(file.contains("file-secret-99"));
    assert!(file.contains("BEGIN PRIVATE KEY"));
    #[cfg(unix)]
    assert_eq!(mode_of(&paths.secrets_file()), 0o600);
    let public = std::fs::read_to_string(paths.profiles_file()).unwrap();
    assert!(!public.contains("file-secret-99"));
}

#[test]
fn the_file_can_be_chosen_explicitly() {
    let home = tempfile::tempdir().unwrap();
    let output = add_profile(
        home.path(),
        "Chosen",
        "chosen-secret",
        &[("SNAP_CONSOLE_SECRETS", "file")],
    );
    assert!(output.status.success(), "{}", text(&output));
    assert!(
        text(&output).contains("SNAP_CONSOLE_SECRETS=file"),
        "{}",
        text(&output)
    );
    let file = std::fs::read_to_string(AppPaths::under(home.path()).secrets_file()).unwrap();
    assert!(file.contains("chosen-secret"));
    // And Forget removes it from the file.
    let forgot = cli(
        home.path(),
        &["profile", "forget-secrets", "--name", "Chosen"],
        &[("SNAP_CONSOLE_SECRETS", "file")],
    );
    assert!(forgot.status.success(), "{}", text(&forgot));
    let file = std::fs::read_to_string(AppPaths::under(home.path()).secrets_file()).unwrap();
    assert!(!file.contains("chosen-secret"), "{file}");
    assert!(!file.contains("PRIVATE KEY"), "{file}");
}

/// A session bus that accepts the connection and never answers: the keychain call times
/// out after a few seconds and the CLI carries on with the file, saying why.
#[cfg(unix)]
#[test]
fn a_keychain_that_never_answers_times_out_to_the_file() {
    use std::os::unix::net::UnixListener;
    let home = tempfile::tempdir().unwrap();
    let socket = home.path().join("silent-bus");
    let listener = UnixListener::bind(&socket).unwrap();
    let silent = std::thread::spawn(move || {
        // Hold the connections open without a word until the test ends.
        let mut held = Vec::new();
        for stream in listener.incoming().take(4) {
            match stream {
                Ok(s) => held.push(s),
                Err(_) => break,
            }
        }
        std::thread::sleep(Duration::from_secs(60));
        drop(held);
    });
    let address = format!("unix:path={}", socket.display());
    let started = Instant::now();
    let output = add_profile(
        home.path(),
        "Hung",
        "hung-secret",
        &[
            ("DBUS_SESSION_BUS_ADDRESS", &address),
            ("SNAP_CONSOLE_SECRETS", "auto"),
        ],
    );
    let took = started.elapsed();
    assert!(output.status.success(), "{}", text(&output));
    assert!(took < Duration::from_secs(20), "took {took:?}");
    assert!(
        took >= Duration::from_secs(4),
        "took {took:?}: did it wait at all?"
    );
    let said = text(&output);
    assert!(said.contains("did not answer within 5 s"), "{said}");
    let file = std::fs::read_to_string(AppPaths::under(home.path()).secrets_file()).unwrap();
    assert!(file.contains("hung-secret"));
    drop(silent);
}

// ---------------------------------------------------------------------------------------
// The window: the note says where secrets are; Forget removes them from there.

mod window {
    use std::path::Path;
    use std::time::{Duration, Instant};

    use egui_kittest::Harness;
    use egui_kittest::kittest::Queryable;
    use snap_console::store::paths::{AppPaths, SecretsChoice};
    use snap_console::ui::SnapApp;

    pub struct Window {
        pub harness: Harness<'static, SnapApp>,
        _runtime: tokio::runtime::Runtime,
    }

    pub fn open(home: &Path, choice: SecretsChoice) -> Window {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let paths = AppPaths::under(home).with_secrets(choice);
        let app = SnapApp::new(runtime.handle(), paths);
        let harness = Harness::builder()
            .with_size([1280.0, 1800.0])
            .build_ui_state(|ui, app: &mut SnapApp| app.show(ui), app);
        Window {
            harness,
            _runtime: runtime,
        }
    }

    impl Window {
        pub fn wait_for(&mut self, what: &str, mut done: impl FnMut(&mut Self) -> bool) {
            let deadline = Instant::now() + Duration::from_secs(60);
            loop {
                self.harness.step();
                if done(self) {
                    return;
                }
                assert!(
                    Instant::now() < deadline,
                    "timed out waiting for {what}; notices {:?}",
                    self.notices()
                );
                std::thread::sleep(Duration::from_millis(20));
            }
        }

        /// "Forget secrets…" until its confirmation shows: under a loaded machine a click
        /// can land on a frame the panel is being rebuilt in (a save just finished).
        pub fn open_forget_confirmation(&mut self) {
            let deadline = Instant::now() + Duration::from_secs(60);
            loop {
                self.click("Forget secrets…");
                for _ in 0..10 {
                    self.harness.step();
                    if self.harness.query_by_label("Forget them").is_some() {
                        return;
                    }
                    std::thread::sleep(Duration::from_millis(20));
                }
                assert!(
                    Instant::now() < deadline,
                    "the Forget confirmation never showed; notices {:?}",
                    self.notices()
                );
            }
        }

        pub fn wait_for_label(&mut self, label: &str) {
            self.wait_for(label, |w| {
                w.harness
                    .query_all_by_label_contains(label)
                    .next()
                    .is_some()
            });
        }

        pub fn click(&mut self, label: &str) {
            self.harness.get_by_label(label).click();
            self.harness.step();
            self.harness.step();
        }

        pub fn notices(&self) -> Vec<String> {
            let ctx = &self.harness.state().ctx;
            ctx.notices.iter().map(|n| n.text.clone()).collect()
        }

        /// The active profile's id and client secret as the window holds them.
        pub fn active_secret(&self) -> (String, String) {
            let ctx = &self.harness.state().ctx;
            let id = ctx.book.active.clone().unwrap_or_default();
            let secret = ctx.book.secrets_of(&id).client_secret.expose().to_string();
            (id, secret)
        }
    }
}

const KEY_CHOICE: &str = "Keep this profile's private key in the keychain too";

#[test]
fn the_window_says_secrets_are_in_the_file_and_forgets_them_there() {
    let home = tempfile::tempdir().unwrap();
    let paths = AppPaths::under(home.path());
    let mut window = window::open(home.path(), SecretsChoice::File);
    window.wait_for_label("Local sandbox (active)");
    window.wait_for_label("secrets.json (mode 0600): the file was chosen");
    let (_, secret) = window.active_secret();
    assert!(secret.len() >= 32);
    window.wait_for("the secret saved in the file", |_| {
        std::fs::read_to_string(paths.secrets_file()).is_ok_and(|f| f.contains(&secret))
    });
    {
        use egui_kittest::kittest::{NodeT, Queryable};
        let choice = window.harness.get_by_label(KEY_CHOICE);
        assert!(
            choice.accesskit_node().is_disabled(),
            "no keychain: the key choice is off"
        );
    }
    window.open_forget_confirmation();
    window.click("Forget them");
    window.wait_for("the forget notice", |w| {
        w.notices()
            .iter()
            .any(|n| n.contains("secrets forgotten (removed from") && n.contains("secrets.json"))
    });
    let file = std::fs::read_to_string(paths.secrets_file()).unwrap();
    assert!(!file.contains(&secret), "{file}");
    assert!(!file.contains("PRIVATE KEY"), "{file}");
    assert_eq!(window.active_secret().1, "");
}

#[test]
fn the_window_keeps_secrets_in_the_keychain_and_forgets_them_there() {
    in_keyring_session("inner_the_window_keeps_secrets_in_the_keychain_and_forgets_them_there");
}

#[test]
#[ignore = "runs inside the keyring session its outer test makes"]
fn inner_the_window_keeps_secrets_in_the_keychain_and_forgets_them_there() {
    inside_session();
    let home = tempfile::tempdir().unwrap();
    let paths = AppPaths::under(home.path());
    let mut window = window::open(home.path(), SecretsChoice::Keychain);
    window.wait_for_label("Local sandbox (active)");
    window.wait_for_label("Client secrets are kept in the Secret Service");
    let (id, secret) = window.active_secret();
    let secret_user = format!("{id}/client-secret");
    let key_user = format!("{id}/private-key");
    window.wait_for("the client secret in the keychain", |_| {
        secret_tool_lookup(&secret_user).as_deref() == Some(secret.as_str())
    });
    // The keychain is written before the file: wait for the file too. Keys stay in it
    // by default; the client secret does not.
    let read_file = || std::fs::read_to_string(paths.secrets_file()).unwrap_or_default();
    window.wait_for("the key in the file", |_| {
        read_file().contains("PRIVATE KEY")
    });
    assert!(!read_file().contains(&secret), "{}", read_file());

    window.click(KEY_CHOICE);
    window.wait_for("the key in the keychain", |_| {
        secret_tool_lookup(&key_user).is_some_and(|k| k.contains("BEGIN PRIVATE KEY"))
    });
    window.wait_for("the key out of the file", |_| {
        !read_file().contains("PRIVATE KEY")
    });

    window.open_forget_confirmation();
    window.click("Forget them");
    window.wait_for("the forget notice", |w| {
        w.notices()
            .iter()
            .any(|n| n.contains("secrets forgotten (removed from the Secret Service"))
    });
    assert_eq!(secret_tool_lookup(&secret_user), None);
    assert_eq!(secret_tool_lookup(&key_user), None);
    assert_eq!(window.active_secret().1, "");
}
