//! `inbox`: the window's inbox without the window. Listens, answers like a merchant,
//! records each exchange in the history (redacted) *before* answering it (a request that
//! cannot be recorded is answered `500xx01` so the provider retries), prints one line per
//! request (one JSON object with `--json`), and stops cleanly on Ctrl+C or SIGTERM.
//!
//! Printing is not recording: the lines are printed by their own thread from the inbox's
//! live feed, so a stdout nobody reads delays nothing and loses no history entry (lines
//! that fall behind are skipped, and that is said on stderr).

use std::net::IpAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use std::sync::Arc;

use clap::Args;
use tokio::sync::broadcast;
use zeroize::Zeroizing;

use super::inputs::{self, CliError, ClientSecretArgs};
use crate::flows::history::FileRecorder;
use crate::net::inbox::{
    self, InboxConfig, Received, Recording, Variant, VerificationKeys, VerificationMode,
};
use crate::snap::keys;
use crate::store::history::Redactor;
use crate::store::paths::AppPaths;
use crate::store::profiles;

/// The port `inbox` listens on unless told otherwise: a fixed one, so the URL registered
/// with a provider stays valid from one run to the next.
pub const DEFAULT_PORT: u16 = 8765;

/// How long stopping waits for the printer to finish the lines already received (a stdout
/// nobody reads must not keep the process alive).
const PRINTER_GRACE: Duration = Duration::from_secs(1);

#[derive(Args, Debug)]
pub struct InboxArgs {
    /// Port to listen on; 0 picks a free one. The URL is printed on start.
    #[arg(long, default_value_t = DEFAULT_PORT, allow_negative_numbers = true,
          value_parser = super::numbers::listen_port)]
    pub port: u16,
    /// Address to listen on. Anything but loopback lets other machines reach the inbox.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1")]
    pub bind: IpAddr,
    /// Take the counterparty public key, client ID and client secret from this profile.
    #[arg(long, value_name = "NAME", conflicts_with = "public_key")]
    pub profile: Option<String>,
    /// The provider's public key (for NICEPAY: its notification key), any common encoding.
    #[arg(long, value_name = "FILE")]
    pub public_key: Option<PathBuf>,
    /// Take the notification key from a running local sandbox (`snap-console sandbox`),
    /// e.g. http://127.0.0.1:PORT: the full loop on one machine.
    #[arg(long, value_name = "URL", conflicts_with = "public_key",
          value_parser = super::numbers::http_url)]
    pub sandbox: Option<String>,
    #[command(flatten)]
    pub client_secret: ClientSecretArgs,
    /// The client ID notifications should carry in X-CLIENT-KEY (a mismatch is pointed out).
    #[arg(long, value_name = "ID")]
    pub client_id: Option<String>,
    /// Which signature rule to check: auto tries notification, asymmetric-transaction,
    /// then symmetric.
    #[arg(long, default_value = "auto",
          value_parser = ["auto", "notification", "asymmetric-transaction", "symmetric"])]
    pub mode: String,
    /// Do not record the exchanges in the history.
    #[arg(long)]
    pub no_history: bool,
    /// One JSON object a line on stdout: time, method, path, signatureValid, variant,
    /// skewSeconds, answeredStatus, duplicate, reason (why it was refused), detail.
    /// Everything else goes to stderr.
    #[arg(long)]
    pub json: bool,
    /// Answer this path whatever the signature, client or timestamp (by default a bad one
    /// is refused with 401 like a correct merchant); repeat for more paths.
    #[arg(long, value_name = "PATH")]
    pub accept_invalid: Vec<String>,
}

/// What the listener needs besides the config: how to name and redact history entries.
struct Setup {
    config: InboxConfig,
    profile_name: String,
    redactor: Redactor,
}

/// How long fetching the key from `--sandbox` may take.
const SANDBOX_KEY_TIMEOUT: Duration = Duration::from_secs(10);

pub fn inbox(args: InboxArgs) -> Result<ExitCode, CliError> {
    let paths = AppPaths::discover();
    let mut setup = setup(&args, &paths)?;
    if !args.no_history {
        setup.config.recording = Some(recording(&paths, &setup)?);
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| CliError::Other(format!("cannot start the async runtime: {e}")))?;
    runtime.block_on(async {
        if let Some(url) = &args.sandbox {
            let key = inbox::fetch_notification_public_key(url, SANDBOX_KEY_TIMEOUT)
                .await
                .map_err(|e| CliError::input("--sandbox", e.to_string()))?;
            setup.config.verification.counterparty_public_key = Some(key);
        }
        listen(args, setup).await
    })
}

fn setup(args: &InboxArgs, paths: &AppPaths) -> Result<Setup, CliError> {
    let mut keys = VerificationKeys::default();
    let mut redactor = Redactor::new();
    let mut profile_name = "inbox".to_string();

    if let Some(wanted) = args.profile.as_deref().map(str::trim) {
        let loaded = profiles::load(paths);
        for problem in &loaded.problems {
            eprintln!("warning: {problem}");
        }
        let book = loaded.book;
        let profile = book
            .by_name(wanted)
            .or_else(|| book.profiles.iter().find(|p| p.id == wanted))
            .ok_or_else(|| {
                let names: Vec<&str> = book.profiles.iter().map(|p| p.name.as_str()).collect();
                CliError::input(
                    "--profile",
                    format!("no profile named '{wanted}'; known: {}", names.join(", ")),
                )
            })?;
        profile_name = profile.name.clone();
        if !profile.client_id.trim().is_empty() {
            keys.expected_client_id = Some(profile.client_id.trim().to_string());
        }
        if !profile.counterparty_public_key_pem.trim().is_empty() {
            let loaded = keys::parse_public_key(profile.counterparty_public_key_pem.as_bytes())
                .map_err(|e| {
                    CliError::input(
                        "--profile",
                        format!(
                            "profile '{}': its counterparty public key: {e}",
                            profile.name
                        ),
                    )
                })?;
            keys.counterparty_public_key = Some(loaded.key);
        }
        let secrets = book.secrets_of(&profile.id);
        if !secrets.client_secret.is_empty() {
            redactor = redactor.secret(secrets.client_secret.expose());
            keys.client_secret = Some(Zeroizing::new(secrets.client_secret.expose().to_string()));
        }
        if !secrets.private_key_pem.is_empty() {
            redactor = redactor.secret(secrets.private_key_pem.expose());
        }
    }
    if let Some(path) = &args.public_key {
        keys.counterparty_public_key = Some(inputs::load_public_key(path)?.key);
    }
    if args.client_secret.is_given() {
        let secret = args.client_secret.load()?;
        redactor = redactor.secret(&secret);
        keys.client_secret = Some(secret);
    }
    if let Some(id) = &args.client_id {
        keys.expected_client_id = Some(id.trim().to_string());
    }

    let mode = match args.mode.as_str() {
        "notification" => VerificationMode::Only(Variant::Notification),
        "asymmetric-transaction" => VerificationMode::Only(Variant::AsymmetricTransaction),
        "symmetric" => VerificationMode::Only(Variant::Symmetric),
        _ => VerificationMode::Auto,
    };
    Ok(Setup {
        config: InboxConfig {
            bind: args.bind,
            port: args.port,
            verification: keys,
            mode,
            ..InboxConfig::default()
        },
        profile_name,
        redactor,
    })
}

/// The history, opened now: one that cannot be written (a newer format, a data folder that
/// is a file) stops the inbox before it answers anything, rather than answering every
/// notification 500.
fn recording(paths: &AppPaths, setup: &Setup) -> Result<Recording, CliError> {
    let (recorder, messages) = FileRecorder::open(paths.data_dir.clone()).map_err(|e| {
        CliError::Other(format!(
            "the history cannot record ({e}); fix it, or pass --no-history to answer without recording"
        ))
    })?;
    for message in messages {
        eprintln!("warning: {message}");
    }
    Ok(Recording {
        recorder: Arc::new(recorder),
        profile: setup.profile_name.clone(),
        redactor: setup.redactor.clone(),
    })
}

/// What verdicts can rest on, in words (a public key's fingerprint; never the secret).
fn checking_with(keys: &VerificationKeys) -> String {
    let mut parts = Vec::new();
    if let Some(key) = &keys.counterparty_public_key {
        parts.push(format!(
            "the counterparty public key {}",
            keys::fingerprint_sha256(key)
        ));
    }
    if keys.client_secret.is_some() {
        parts.push("the client secret".to_string());
    }
    if parts.is_empty() {
        "nothing (no key, no secret)".to_string()
    } else {
        parts.join(" and ")
    }
}

async fn listen(args: InboxArgs, setup: Setup) -> Result<ExitCode, CliError> {
    let checking = checking_with(&setup.config.verification);
    if setup.config.verification.counterparty_public_key.is_none() {
        eprintln!(
            "warning: no counterparty public key (--profile with one, --public-key or --sandbox): RSA signatures will show as not checked"
        );
    }
    let handle = inbox::start(setup.config)
        .await
        .map_err(|e| CliError::Other(e.to_string()))?;
    for path in &args.accept_invalid {
        handle.set_accept_invalid(path, true);
    }
    let url = handle.base_url();
    if args.json {
        // stdout carries only the per-request lines.
        eprintln!("inbox listening on {url}");
    } else {
        println!("Inbox listening on {url} (Ctrl+C stops)");
        println!("Signatures checked with {checking}");
        println!(
            "Answers POST {}, and GET …?status=…&refid=… (biller callback) on any path",
            inbox::answers::hosted_paths().join(", ")
        );
        println!(
            "Refuses with 401 a missing or invalid signature, an unknown client or a timestamp \
             off by more than {} s{}",
            inbox::verify::SKEW_NOTE_SECONDS,
            if args.accept_invalid.is_empty() {
                String::new()
            } else {
                format!(" (except on {})", args.accept_invalid.join(", "))
            }
        );
    }
    if let Some(warning) = handle.warning() {
        eprintln!("warning: {warning}");
    }

    // A thread of its own, not the runtime's blocking pool: a stdout nobody reads may hold
    // it for ever, and the process must still stop (a runtime waits for its pool).
    let (printed, printer) = tokio::sync::oneshot::channel::<()>();
    let events = handle.subscribe();
    let json = args.json;
    std::thread::Builder::new()
        .name("inbox-printer".to_string())
        .spawn(move || {
            print_lines(events, json);
            let _ = printed.send(());
        })
        .map_err(|e| CliError::Other(format!("cannot start the printer: {e}")))?;
    shutdown_signal().await;
    // Stopping drops the live feed, which ends the printer once it has caught up.
    handle.stop().await;
    let _ = tokio::time::timeout(PRINTER_GRACE, printer).await;
    eprintln!("inbox stopped");
    Ok(ExitCode::SUCCESS)
}

/// One line per request on stdout, on a thread of its own: a blocked stdout holds only
/// this thread, and the inbox's feed skips ahead past what it could not print.
fn print_lines(mut events: broadcast::Receiver<Received>, json: bool) {
    loop {
        match events.blocking_recv() {
            Ok(received) => print_line(&received, json),
            Err(broadcast::error::RecvError::Lagged(missed)) => eprintln!(
                "warning: {missed} requests were answered faster than they could be printed; they are not printed here (each is in the history unless --no-history)"
            ),
            Err(broadcast::error::RecvError::Closed) => break,
        }
    }
}

fn print_line(received: &Received, json: bool) {
    if json {
        match serde_json::to_string(&received.summary()) {
            Ok(line) => println!("{line}"),
            Err(e) => eprintln!("warning: cannot encode request {}: {e}", received.id),
        }
    } else {
        println!("{}", received.summary_text());
    }
    if let Some(problem) = &received.not_recorded {
        eprintln!(
            "warning: request {} is not in the history ({problem}); it was answered 500 so the provider sends it again",
            received.id
        );
    }
}

/// Ctrl+C, or SIGTERM where there is one (CI runners and `kill` send it).
async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = ctrl_c() => {}
                _ = term.recv() => {}
            }
            return;
        }
    }
    ctrl_c().await;
}

/// Ctrl+C; if the handler cannot be installed, never (the inbox must not stop at once).
async fn ctrl_c() {
    if tokio::signal::ctrl_c().await.is_err() {
        std::future::pending::<()>().await;
    }
}
