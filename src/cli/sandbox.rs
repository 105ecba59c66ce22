//! `sandbox`: the local SNAP sandbox from a terminal, until Ctrl+C.
//!
//! Given a client id, the env var holding its secret and the partner's public key, it
//! accepts those. Given none, it makes a fresh set and writes the secret and the partner
//! private key (0600) into a directory it names; the secret itself is never printed.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use clap::Args;
use serde::Serialize;

use super::inputs::{self, CliError};
use crate::model::Profile;
use crate::net::sandbox::{self, SandboxConfig, SandboxHandle};
use crate::presets;
use crate::snap::keys;
use crate::store::files::{self, Sensitivity};

#[derive(Args, Debug, Clone)]
pub struct SandboxArgs {
    /// Port on 127.0.0.1 (0 = any free port; the banner says which).
    #[arg(long, default_value_t = 0, allow_negative_numbers = true,
          value_parser = super::numbers::listen_port)]
    pub port: u16,
    /// The client id to accept. Needs --client-secret-env and --partner-public-key;
    /// without all three, fresh credentials are made.
    #[arg(long, requires_all = ["client_secret_env", "partner_public_key"])]
    pub client_id: Option<String>,
    /// Name of the environment variable holding the client secret.
    #[arg(long, value_name = "VAR", requires = "client_id")]
    pub client_secret_env: Option<String>,
    /// The partner's RSA public key, which verifies token requests (PEM, DER, Base64 or a
    /// certificate).
    #[arg(long, value_name = "FILE", requires = "client_id")]
    pub partner_public_key: Option<PathBuf>,
    /// The merchant's base URL: VA payment notifications go to
    /// {URL}/api/v1.0/transfer-va/payment, biller callbacks to {URL}/biller/reversal.
    #[arg(long, value_name = "URL", value_parser = super::numbers::http_url)]
    pub notify_url: Option<String>,
    /// Explain rejected requests in X-SANDBOX-REASON / X-SANDBOX-EXPECTED-STRING-TO-SIGN.
    #[arg(long)]
    pub explain: bool,
    /// Access token lifetime (1 s to a year).
    #[arg(long, value_name = "SECONDS", default_value_t = 900, allow_negative_numbers = true,
          value_parser = super::numbers::token_ttl)]
    pub token_ttl: u64,
    /// Where generated credentials are written (default: a new directory under the
    /// system's temporary directory).
    #[arg(long, value_name = "DIR")]
    pub credentials_dir: Option<PathBuf>,
    /// Print the banner as one JSON object (camelCase keys), and no line per request.
    #[arg(long)]
    pub json: bool,
    /// Behave like this provider (assets/providers): its context root (sent, not signed),
    /// token path, minify mode, timestamp form and notification rule.
    #[arg(long, value_name = "NAME")]
    pub preset: Option<String>,
}

/// Where the client secret comes from: a variable's name, or a file's path.
#[derive(Serialize, Debug)]
#[serde(rename_all = "camelCase")]
enum SecretSource {
    Env(String),
    File(PathBuf),
}

#[derive(Serialize, Debug)]
#[serde(rename_all = "camelCase")]
struct Banner {
    base_url: String,
    client_id: String,
    client_secret: SecretSource,
    /// Only when generated: the key that signs token requests.
    #[serde(skip_serializing_if = "Option::is_none")]
    partner_private_key_file: Option<PathBuf>,
    #[serde(skip_serializing_if = "Option::is_none")]
    partner_public_key_file: Option<PathBuf>,
    notification_public_key_url: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    notification_public_key_file: Option<PathBuf>,
    notify_url: Option<String>,
    explain: bool,
    /// The provider it behaves like, and the context root its paths start with.
    #[serde(skip_serializing_if = "Option::is_none")]
    preset: Option<String>,
    context_root: String,
    token_ttl_seconds: u64,
    endpoints: Vec<sandbox::SimulatedEndpoint>,
}

pub fn run(args: SandboxArgs) -> Result<ExitCode, CliError> {
    let (config, secret_source, generated) = configure(&args)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| CliError::Other(format!("cannot start the async runtime: {e}")))?;
    runtime.block_on(serve(config, secret_source, generated, &args))
}

/// The files written for generated credentials.
struct Generated {
    private_key: PathBuf,
    public_key: PathBuf,
    notification_public_key: PathBuf,
}

/// How the provider of preset `name` behaves, for the sandbox to play it.
fn provider_style(name: &str) -> Result<sandbox::ProviderStyle, CliError> {
    let preset = presets::find(name).map_err(|e| CliError::input("--preset", e.to_string()))?;
    let profile = presets::apply(&preset, &Profile::default())
        .map_err(|e| CliError::input("--preset", e.to_string()))?;
    let rule =
        sandbox::NotificationRule::from_name(&preset.notification_rule).ok_or_else(|| {
            CliError::input(
                "--preset",
                format!("unknown notification rule '{}'", preset.notification_rule),
            )
        })?;
    Ok(sandbox::ProviderStyle::of_profile(&profile, rule))
}

fn configure(
    args: &SandboxArgs,
) -> Result<(SandboxConfig, SecretSource, Option<Generated>), CliError> {
    let (mut config, secret_source, generated) = match (
        &args.client_id,
        &args.client_secret_env,
        &args.partner_public_key,
    ) {
        (Some(client_id), Some(var), Some(key_file)) => {
            let secret = inputs::secret_from_env("--client-secret-env", var)?;
            let bytes = files::read_capped(key_file, 1024 * 1024)?;
            let loaded = keys::parse_public_key(&bytes).map_err(|e| {
                CliError::input(
                    "--partner-public-key",
                    format!("{}: {e}", key_file.display()),
                )
            })?;
            for warning in &loaded.warnings {
                eprintln!("warning: --partner-public-key: {warning}");
            }
            let notification =
                keys::generate_private_key(2048).map_err(|e| CliError::Other(e.to_string()))?;
            let config = SandboxConfig::new(client_id.trim(), secret, loaded.key, notification);
            (config, SecretSource::Env(var.clone()), None)
        }
        _ => {
            let (config, partner) =
                SandboxConfig::generate().map_err(|e| CliError::Other(e.to_string()))?;
            let dir = match &args.credentials_dir {
                Some(dir) => dir.clone(),
                None => std::env::temp_dir().join(format!("snap-console-{}", config.client_id)),
            };
            let (secret_file, generated) = write_credentials(&dir, &config, &partner)?;
            (config, SecretSource::File(secret_file), Some(generated))
        }
    };
    config.port = args.port;
    config.notify_url = args.notify_url.clone();
    config.explain = args.explain;
    config.token_ttl = Duration::from_secs(args.token_ttl.max(1));
    if let Some(name) = &args.preset {
        config.provider = provider_style(name)?;
    }
    Ok((config, secret_source, generated))
}

fn write_credentials(
    dir: &Path,
    config: &SandboxConfig,
    partner: &rsa::RsaPrivateKey,
) -> Result<(PathBuf, Generated), CliError> {
    create_private_dir(dir)?;
    let export = |e: keys::KeyError| CliError::Other(e.to_string());
    let secret_file = dir.join("client-secret.txt");
    let mut secret = zeroize::Zeroizing::new(config.client_secret.as_bytes().to_vec());
    secret.push(b'\n');
    files::write_atomic(&secret_file, &secret, Sensitivity::Secret)?;
    let private_key = dir.join("partner-private-key.pem");
    let pem = keys::private_key_to_pkcs8_pem(partner, None).map_err(export)?;
    files::write_atomic(&private_key, pem.as_bytes(), Sensitivity::Secret)?;
    let public_key = dir.join("partner-public-key.pem");
    let pem = keys::public_key_to_spki_pem(&partner.to_public_key()).map_err(export)?;
    files::write_atomic(&public_key, pem.as_bytes(), Sensitivity::Public)?;
    let notification_public_key = dir.join("sandbox-notification-public-key.pem");
    let pem =
        keys::public_key_to_spki_pem(&config.notification_key.to_public_key()).map_err(export)?;
    files::write_atomic(
        &notification_public_key,
        pem.as_bytes(),
        Sensitivity::Public,
    )?;
    Ok((
        secret_file,
        Generated {
            private_key,
            public_key,
            notification_public_key,
        },
    ))
}

/// The directory for secrets: created owner-only (0700) where the platform allows.
fn create_private_dir(dir: &Path) -> Result<(), CliError> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(dir).map_err(|source| {
        CliError::File(files::FileError::Write {
            path: dir.to_path_buf(),
            source,
        })
    })
}

async fn serve(
    config: SandboxConfig,
    secret_source: SecretSource,
    generated: Option<Generated>,
    args: &SandboxArgs,
) -> Result<ExitCode, CliError> {
    let context_root = config.provider.context_root.clone();
    let handle = sandbox::start(config)
        .await
        .map_err(|e| CliError::Other(e.to_string()))?;
    let banner = Banner {
        base_url: handle.base_url().to_string(),
        client_id: handle.client_id().to_string(),
        client_secret: secret_source,
        partner_private_key_file: generated.as_ref().map(|g| g.private_key.clone()),
        partner_public_key_file: generated
            .as_ref()
            .map(|g| g.public_key.clone())
            .or_else(|| args.partner_public_key.clone()),
        notification_public_key_url: format!(
            "{}{context_root}{}",
            handle.base_url(),
            sandbox::NOTIFICATION_PUBLIC_KEY_PATH
        ),
        notification_public_key_file: generated.map(|g| g.notification_public_key),
        notify_url: args.notify_url.clone(),
        explain: handle.explain(),
        preset: args.preset.clone(),
        context_root,
        token_ttl_seconds: args.token_ttl.max(1),
        endpoints: sandbox::endpoints(),
    };
    if args.json {
        let text = serde_json::to_string(&banner)
            .map_err(|e| CliError::Other(format!("cannot print the banner: {e}")))?;
        println!("{text}");
    } else {
        print_banner(&banner);
    }
    watch_until_ctrl_c(&handle, !args.json).await;
    handle.stop().await;
    if !args.json {
        println!("sandbox stopped");
    }
    Ok(ExitCode::SUCCESS)
}

fn print_banner(banner: &Banner) {
    println!(
        "SNAP sandbox listening on {} (127.0.0.1 only)",
        banner.base_url
    );
    if let Some(preset) = &banner.preset {
        println!(
            "  behaves like preset {preset}; paths start with '{}'",
            banner.context_root
        );
    }
    println!(
        "  client id (X-CLIENT-KEY, X-PARTNER-ID): {}",
        banner.client_id
    );
    match &banner.client_secret {
        SecretSource::Env(var) => {
            println!("  client secret: from the environment variable {var}");
        }
        SecretSource::File(path) => {
            println!("  client secret: in {}", path.display());
        }
    }
    if let Some(path) = &banner.partner_private_key_file {
        println!(
            "  partner private key (signs token requests): {}",
            path.display()
        );
    }
    if let Some(path) = &banner.partner_public_key_file {
        println!("  partner public key (verifies them): {}", path.display());
    }
    println!(
        "  notification public key: {}",
        banner.notification_public_key_url
    );
    match &banner.notify_url {
        Some(url) => println!("  notifications and callbacks go to: {url}"),
        None => println!("  no --notify-url: notifications and callbacks are not sent"),
    }
    println!(
        "  explain: {}; tokens live {} s",
        if banner.explain { "on" } else { "off" },
        banner.token_ttl_seconds
    );
    println!("Endpoints:");
    for endpoint in &banner.endpoints {
        println!(
            "  {:<4} {:<40} {}",
            endpoint.method, endpoint.path, endpoint.title
        );
    }
    println!("Ctrl+C stops it.");
}

/// Print each judged request and finished delivery (when `print`), until Ctrl+C.
async fn watch_until_ctrl_c(handle: &SandboxHandle, print: bool) {
    let mut seen_request = 0;
    // Deliveries finish out of order: remember which were printed (bounded by the log).
    let mut printed = std::collections::BTreeSet::new();
    let mut tick = tokio::time::interval(Duration::from_millis(250));
    let ctrl_c = tokio::signal::ctrl_c();
    tokio::pin!(ctrl_c);
    loop {
        tokio::select! {
            _ = &mut ctrl_c => break,
            _ = tick.tick(), if print => {
                for judgement in handle.recent_requests() {
                    if judgement.seq > seen_request {
                        seen_request = judgement.seq;
                        println!("{}", judgement.line());
                    }
                }
                let deliveries = handle.deliveries();
                if let Some(oldest) = deliveries.first() {
                    printed.retain(|id| *id >= oldest.id);
                }
                for delivery in deliveries {
                    let done = !matches!(delivery.outcome, sandbox::DeliveryOutcome::Pending);
                    if done && printed.insert(delivery.id) {
                        println!("{}", delivery.line());
                    }
                }
            }
        }
    }
}
