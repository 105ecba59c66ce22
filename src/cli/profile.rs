//! `profile add`, `profile list` and `profile forget-secrets`: the same profiles the window
//! keeps (store::profiles, under AppPaths::discover()), with their secrets in the same
//! place (the OS keychain or the 0600 file), so a profile made here appears there and the
//! other way round.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Subcommand};
use serde::Serialize;

use super::connection::ConnectionArgs;
use super::inputs::{self, CliError, ClientSecretArgs};
use crate::model::profile_rules;
use crate::net::client::{http_client_for, identity};
use crate::presets;
use crate::snap::keys;
use crate::snap::minify::MinifyMode;
use crate::snap::signature::{HmacAlgorithm, PathForm, QueryEncoding};
use crate::store::paths::AppPaths;
use crate::store::profiles::{
    self, Profile, ProfileSecrets, ProfileStore, SignatureMode, TimestampStyle,
};

#[derive(Subcommand, Debug)]
pub enum ProfileCommand {
    /// Add a credential profile (kept where the window keeps its profiles).
    Add(Box<AddArgs>),
    /// Change a profile's connection: mTLS client certificate, extra CA bundle, proxy.
    Set(Box<SetArgs>),
    /// List the profiles. Secrets are never printed: only whether they are set and the
    /// private key's fingerprint.
    List(ListArgs),
    /// Remove a profile's client secret and private key from wherever they are kept (the
    /// OS keychain and the secrets file). The profile itself stays.
    ForgetSecrets(ForgetArgs),
}

#[derive(Args, Debug)]
pub struct ForgetArgs {
    /// The profile's name.
    #[arg(long)]
    pub name: String,
}

#[derive(Args, Debug)]
pub struct SetArgs {
    /// The profile to change.
    #[arg(long)]
    pub name: String,
    #[command(flatten)]
    pub connection: ConnectionArgs,
    /// Remove the client certificate and its key.
    #[arg(long, conflicts_with_all = ["client_cert", "client_pkcs12"])]
    pub clear_client_cert: bool,
    /// Remove the extra CA bundle.
    #[arg(long, conflicts_with = "ca_bundle")]
    pub clear_ca_bundle: bool,
}

#[derive(Args, Debug)]
pub struct AddArgs {
    /// A unique name, e.g. "NICEPAY sandbox".
    #[arg(long)]
    pub name: String,
    /// Start from a provider preset (assets/providers): snap-standard, aspi-sandbox,
    /// nicepay-snap, biller-api. It fills everything but the credentials; the flags below
    /// override it.
    #[arg(long, value_name = "NAME")]
    pub preset: Option<String>,
    /// Scheme, host, port and any context root, e.g. https://dev.nicepay.co.id/nicepay
    /// (required unless the preset gives one).
    #[arg(long, value_name = "URL")]
    pub base_url: Option<String>,
    /// The client ID (X-CLIENT-KEY; X-PARTNER-ID too unless --partner-id is given).
    #[arg(long, value_name = "ID")]
    pub client_id: String,
    #[command(flatten)]
    pub secret: ClientSecretArgs,
    /// The RSA private key that signs token requests (and asymmetric transactions).
    #[arg(long, value_name = "FILE")]
    pub private_key: Option<PathBuf>,
    /// Environment variable holding the private key's passphrase, if it is encrypted.
    #[arg(long, value_name = "VAR", requires = "private_key")]
    pub passphrase_env: Option<String>,
    /// X-PARTNER-ID, when it differs from the client ID.
    #[arg(long, value_name = "ID")]
    pub partner_id: Option<String>,
    /// CHANNEL-ID.
    #[arg(long, value_name = "ID")]
    pub channel_id: Option<String>,
    /// Path of the B2B token service after the base URL (NICEPAY: /v1.0/access-token/b2b).
    #[arg(long, value_name = "P")]
    pub token_path: Option<String>,
    /// symmetric (the default) or asymmetric.
    #[arg(long, value_name = "MODE", value_parser = ["symmetric", "asymmetric"])]
    pub signature_mode: Option<String>,
    /// How the body is minified before hashing.
    #[arg(long, value_name = "MODE", value_parser = ["lexical", "js", "php", "go-sorted", "none"])]
    pub minify: Option<String>,
    /// Put before the catalog's /v1.0/… paths (default /api).
    #[arg(long, value_name = "PREFIX")]
    pub api_prefix: Option<String>,
    /// A path prefix that is sent but not signed (NICEPAY: /nicepay).
    #[arg(long, value_name = "PREFIX")]
    pub unsigned_path_prefix: Option<String>,
    /// partnerServiceId for VA bodies (8 characters, left-padded with spaces).
    #[arg(long, value_name = "ID")]
    pub partner_service_id: Option<String>,
    /// The ORIGIN header, where a service needs it (QRIS transaction list, 12); by default
    /// the base URL's scheme://host[:port].
    #[arg(long, value_name = "ORIGIN")]
    pub origin: Option<String>,
    /// Seconds to wait for an answer (default 30).
    #[arg(long, value_name = "SECONDS", allow_negative_numbers = true,
          value_parser = super::numbers::timeout_seconds)]
    pub timeout_seconds: Option<u64>,
    /// Accept any TLS certificate (self-signed test servers). Never for real providers.
    #[arg(long)]
    pub insecure: bool,
    #[command(flatten)]
    pub connection: ConnectionArgs,
    /// Keep the private key in the OS keychain too (client secrets go there anyway when
    /// one is available).
    #[arg(long, requires = "private_key")]
    pub key_in_keychain: bool,
}

#[derive(Args, Debug)]
pub struct ListArgs {
    /// Print one JSON object (camelCase keys) instead of text.
    #[arg(long)]
    pub json: bool,
}

pub fn run(command: ProfileCommand) -> Result<ExitCode, CliError> {
    match command {
        ProfileCommand::Add(args) => add(*args),
        ProfileCommand::Set(args) => set(*args),
        ProfileCommand::List(args) => list(args),
        ProfileCommand::ForgetSecrets(args) => forget_secrets(&args),
    }
}

fn forget_secrets(args: &ForgetArgs) -> Result<ExitCode, CliError> {
    let paths = AppPaths::discover();
    let mut store = ProfileStore::open(&paths);
    let loaded = store.load();
    for problem in &loaded.problems {
        eprintln!("warning: {problem}");
    }
    let Some(profile) = loaded.book.by_name(args.name.trim()) else {
        return Err(CliError::input(
            "--name",
            format!(
                "no profile named '{}' (snap-console profile list shows them)",
                args.name.trim()
            ),
        ));
    };
    let said = store
        .forget_secrets(&profile.id)
        .map_err(|e| CliError::Other(e.to_string()))?;
    println!("{}: {said}", profile.name);
    Ok(ExitCode::SUCCESS)
}

fn add(args: AddArgs) -> Result<ExitCode, CliError> {
    let name = args.name.trim().to_string();
    profile_rules::name(&name).map_err(|e| CliError::input("--name", e))?;
    let (preset, defaults) = preset_defaults(args.preset.as_deref())?;
    let base_url = base_url_of(args.base_url.as_deref(), &defaults)?;
    let client_id = args.client_id.trim().to_string();
    if client_id.is_empty() {
        return Err(CliError::input("--client-id", "the client ID is empty"));
    }
    let client_secret = args.secret.load()?;
    let private_key = args
        .private_key
        .as_deref()
        .map(|path| inputs::load_private_key(path, args.passphrase_env.as_deref()))
        .transpose()?;
    let minify = match args.minify.as_deref() {
        Some(text) => text
            .parse::<MinifyMode>()
            .map_err(|e| CliError::input("--minify", e))?,
        None => defaults.minify,
    };

    let paths = AppPaths::discover();
    let mut store = ProfileStore::open(&paths);
    let loaded = store.load();
    if let Some(reason) = &loaded.save_blocked {
        return Err(CliError::Other(format!("cannot add a profile: {reason}")));
    }
    let mut book = loaded.book;
    if book.by_name(&name).is_some() {
        return Err(CliError::input(
            "--name",
            format!(
                "a profile named '{name}' already exists (snap-console profile list shows them); pick another name"
            ),
        ));
    }

    let trimmed = |value: Option<String>| value.map(|v| v.trim().to_string());
    let mut profile = Profile {
        id: profiles::new_profile_id(),
        name: name.clone(),
        base_url,
        api_prefix: trimmed(args.api_prefix).unwrap_or(defaults.api_prefix),
        token_path: trimmed(args.token_path).unwrap_or(defaults.token_path),
        client_id,
        partner_id: trimmed(args.partner_id).unwrap_or_default(),
        channel_id: trimmed(args.channel_id).unwrap_or_default(),
        // Not trimmed: its left padding with spaces is part of the value.
        partner_service_id: args.partner_service_id.unwrap_or_default(),
        signature_mode: match args.signature_mode.as_deref() {
            Some("asymmetric") => SignatureMode::Asymmetric,
            Some(_) => SignatureMode::Symmetric,
            None => defaults.signature_mode,
        },
        minify,
        unsigned_path_prefix: trimmed(args.unsigned_path_prefix)
            .unwrap_or_else(|| defaults.unsigned_path_prefix.clone()),
        origin: trimmed(args.origin).unwrap_or_else(|| defaults.origin.clone()),
        verify_tls: !args.insecure,
        timeout_seconds: args.timeout_seconds.unwrap_or(defaults.timeout_seconds),
        key_in_keychain: args.key_in_keychain,
        ..defaults
    };
    // The window's rules, field by field: the first problem is the answer.
    if let Some(problem) = profile_rules::check(&profile).into_iter().next() {
        return Err(CliError::input(problem.field.flag(), problem.message));
    }
    // Stored as unencrypted PKCS#8 PEM, as the window stores keys: in the keychain, or in
    // the secrets file (mode 0600).
    let private_key_pem = match &private_key {
        Some(loaded) => keys::private_key_to_pkcs8_pem(&loaded.key, None)
            .map_err(|e| CliError::input("--private-key", e.to_string()))?
            .to_string(),
        None => String::new(),
    };
    let mut secrets = ProfileSecrets {
        client_secret: client_secret.to_string().into(),
        private_key_pem: private_key_pem.into(),
        ..ProfileSecrets::default()
    };
    let connection = args.connection.apply(&mut profile, &mut secrets)?;
    check_connection(&profile, &secrets)?;
    let id = profile.id.clone();
    book.secrets.insert(id.clone(), secrets);
    book.profiles.push(profile);
    if book.active_profile().is_none() {
        book.active = Some(id.clone());
    }
    let report = store
        .save(&book, None)
        .map_err(|e| CliError::Other(e.to_string()))?;
    for problem in loaded.problems.iter().chain(&report.problems) {
        eprintln!("warning: {problem}");
    }

    print_added(
        &name,
        &id,
        &paths,
        &report,
        preset.as_ref(),
        private_key.as_ref(),
        &connection.lines,
    );
    Ok(ExitCode::SUCCESS)
}

/// What `profile add` did: the profile, where its secrets went, the preset and the key.
fn print_added(
    name: &str,
    id: &str,
    paths: &AppPaths,
    report: &profiles::SaveReport,
    preset: Option<&presets::Preset>,
    private_key: Option<&keys::LoadedPrivateKey>,
    connection_lines: &[String],
) {
    println!(
        "added profile '{name}' (id {id}) to {}",
        paths.profiles_file().display()
    );
    println!("{}", report.secrets_place.describe());
    if let Some(preset) = preset {
        print_preset(preset);
    }
    for line in connection_lines {
        println!("{line}");
    }
    print_private_key(private_key);
}

fn set(args: SetArgs) -> Result<ExitCode, CliError> {
    let paths = AppPaths::discover();
    let mut store = ProfileStore::open(&paths);
    let loaded = store.load();
    if let Some(reason) = &loaded.save_blocked {
        return Err(CliError::Other(format!(
            "cannot change a profile: {reason}"
        )));
    }
    let mut book = loaded.book;
    let Some(index) = book
        .profiles
        .iter()
        .position(|p| p.name == args.name.trim())
    else {
        return Err(CliError::input(
            "--name",
            format!(
                "no profile named '{}' (snap-console profile list shows them)",
                args.name.trim()
            ),
        ));
    };
    let mut profile = book.profiles[index].clone();
    let mut secrets = book.secrets_of(&profile.id);
    let mut applied = args.connection.apply(&mut profile, &mut secrets)?;
    if args.clear_client_cert {
        profile.client_cert_pem.clear();
        secrets.client_cert_key_pem = Default::default();
        applied.lines.push("client certificate removed".into());
    }
    if args.clear_ca_bundle {
        profile.ca_bundle_pem.clear();
        applied.lines.push("extra CA bundle removed".into());
    }
    if applied.lines.is_empty() {
        return Err(CliError::input(
            "--name",
            "nothing to change: give --client-cert, --client-pkcs12, --ca-bundle, --proxy or a --clear-… flag",
        ));
    }
    if let Some(problem) = profile_rules::check(&profile).into_iter().next() {
        return Err(CliError::input(problem.field.flag(), problem.message));
    }
    check_connection(&profile, &secrets)?;
    let id = profile.id.clone();
    book.profiles[index] = profile;
    book.secrets.insert(id, secrets);
    let report = store
        .save(&book, None)
        .map_err(|e| CliError::Other(e.to_string()))?;
    for problem in loaded.problems.iter().chain(&report.problems) {
        eprintln!("warning: {problem}");
    }
    println!("changed profile '{}'", args.name.trim());
    for line in &applied.lines {
        println!("{line}");
    }
    Ok(ExitCode::SUCCESS)
}

/// The connection settings must make a client (a key that does not match its certificate
/// is caught here, not at the first send).
fn check_connection(profile: &Profile, secrets: &ProfileSecrets) -> Result<(), CliError> {
    http_client_for(profile, secrets)
        .map(drop)
        .map_err(|e| CliError::input("--client-cert", e.to_string()))
}

fn print_private_key(private_key: Option<&keys::LoadedPrivateKey>) {
    if let Some(loaded) = private_key {
        println!(
            "private key {} ({}-bit)",
            keys::fingerprint_sha256(&loaded.key.to_public_key()),
            loaded.bits
        );
        for warning in &loaded.warnings {
            eprintln!("warning: {warning}");
        }
    }
}

/// The preset (if any) and the profile it gives before the flags are applied.
fn preset_defaults(name: Option<&str>) -> Result<(Option<presets::Preset>, Profile), CliError> {
    let preset = name
        .map(presets::find)
        .transpose()
        .map_err(|e| CliError::input("--preset", e.to_string()))?;
    let defaults = match &preset {
        Some(preset) => presets::apply(preset, &Profile::default())
            .map_err(|e| CliError::input("--preset", e.to_string()))?,
        None => Profile::default(),
    };
    Ok((preset, defaults))
}

/// --base-url, else the preset's.
fn base_url_of(given: Option<&str>, defaults: &Profile) -> Result<String, CliError> {
    match given {
        Some(given) => check_base_url(given),
        None if !defaults.base_url.trim().is_empty() => check_base_url(&defaults.base_url),
        None => Err(CliError::input(
            "--base-url",
            "give the provider's base URL (scheme, host, port and any context root)",
        )),
    }
}

fn print_preset(preset: &presets::Preset) {
    println!("from preset {}: {}", preset.name, preset.label);
    println!("  notifications: {}", preset.notification_rule);
    println!("  private key: {}", preset.key_format);
    for note in &preset.notes {
        println!("  note: {note}");
    }
}

/// The profile rules' verdict on the base URL (shared with the window).
fn check_base_url(text: &str) -> Result<String, CliError> {
    profile_rules::base_url(text).map_err(|e| CliError::input("--base-url", e))?;
    Ok(text.trim().trim_end_matches('/').to_string())
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Listing {
    profiles: Vec<ProfileView>,
    active: Option<String>,
    config_dir: String,
    /// Where the secrets are kept, in words (the keychain or the 0600 file, and why).
    secrets_kept_in: String,
    problems: Vec<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ProfileView {
    id: String,
    name: String,
    active: bool,
    base_url: String,
    api_prefix: String,
    token_path: String,
    client_id: String,
    partner_id: String,
    channel_id: String,
    partner_service_id: String,
    signature_mode: SignatureMode,
    minify: MinifyMode,
    unsigned_path_prefix: String,
    timestamp_style: TimestampStyle,
    hmac_algorithm: HmacAlgorithm,
    path_form: PathForm,
    query_encoding: QueryEncoding,
    verify_tls: bool,
    timeout_seconds: u64,
    client_secret_set: bool,
    private_key: KeyView,
    /// The mTLS client certificate, described (never its key).
    client_certificate: Option<String>,
    ca_bundle: Option<String>,
    proxy_url: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct KeyView {
    set: bool,
    fingerprint: Option<String>,
    bits: Option<usize>,
    /// Why a stored key cannot be read (never the key itself).
    problem: Option<String>,
}

fn key_view(pem: &str) -> KeyView {
    if pem.trim().is_empty() {
        return KeyView {
            set: false,
            fingerprint: None,
            bits: None,
            problem: None,
        };
    }
    match keys::parse_private_key(pem.as_bytes(), None) {
        Ok(loaded) => KeyView {
            set: true,
            fingerprint: Some(keys::fingerprint_sha256(&loaded.key.to_public_key())),
            bits: Some(loaded.bits),
            problem: None,
        },
        Err(e) => KeyView {
            set: true,
            fingerprint: None,
            bits: None,
            problem: Some(e.to_string()),
        },
    }
}

fn view_of(book: &profiles::ProfileBook, p: &Profile) -> ProfileView {
    let secrets = book.secrets_of(&p.id);
    ProfileView {
        id: p.id.clone(),
        name: p.name.clone(),
        active: book.active.as_deref() == Some(p.id.as_str()),
        base_url: p.base_url.clone(),
        api_prefix: p.api_prefix.clone(),
        token_path: p.token_path.clone(),
        client_id: p.client_id.clone(),
        partner_id: p.effective_partner_id().to_string(),
        channel_id: p.channel_id.clone(),
        partner_service_id: p.partner_service_id.clone(),
        signature_mode: p.signature_mode,
        minify: p.minify,
        unsigned_path_prefix: p.unsigned_path_prefix.clone(),
        timestamp_style: p.timestamp_style,
        hmac_algorithm: p.hmac_algorithm,
        path_form: p.path_form,
        query_encoding: p.query_encoding,
        verify_tls: p.verify_tls,
        timeout_seconds: p.timeout_seconds,
        client_secret_set: !secrets.client_secret.is_empty(),
        private_key: key_view(secrets.private_key_pem.expose()),
        client_certificate: certificate_view(&p.client_cert_pem),
        ca_bundle: certificate_view(&p.ca_bundle_pem),
        proxy_url: p.proxy_url.clone(),
    }
}

fn list(args: ListArgs) -> Result<ExitCode, CliError> {
    let paths = AppPaths::discover();
    let loaded = profiles::load(&paths);
    let book = &loaded.book;
    let views: Vec<ProfileView> = book.profiles.iter().map(|p| view_of(book, p)).collect();
    if args.json {
        let listing = Listing {
            profiles: views,
            active: book.active.clone(),
            config_dir: paths.config_dir.display().to_string(),
            secrets_kept_in: loaded.secrets_place.describe(),
            problems: loaded.problems.clone(),
        };
        let text = serde_json::to_string_pretty(&listing)
            .map_err(|e| CliError::Other(format!("cannot encode the list: {e}")))?;
        println!("{text}");
        return Ok(ExitCode::SUCCESS);
    }
    for problem in &loaded.problems {
        eprintln!("warning: {problem}");
    }
    if views.is_empty() {
        println!(
            "no profiles yet in {} (snap-console profile add …)",
            paths.config_dir.display()
        );
        return Ok(ExitCode::SUCCESS);
    }
    println!("{}", loaded.secrets_place.describe());
    for view in &views {
        let marker = if view.active { "*" } else { " " };
        println!("{marker} {}  ({})", view.name, view.id);
        println!("    base URL     {}", view.base_url);
        println!(
            "    client ID    {}   partner ID {}   channel ID {}",
            view.client_id,
            view.partner_id,
            or_dash(&view.channel_id)
        );
        println!(
            "    signing      {}, minify {}, token path {}",
            match view.signature_mode {
                SignatureMode::Symmetric => "symmetric",
                SignatureMode::Asymmetric => "asymmetric",
            },
            view.minify,
            view.token_path
        );
        println!(
            "    secret       {}",
            if view.client_secret_set {
                "set"
            } else {
                "not set"
            }
        );
        let key = match (&view.private_key.fingerprint, &view.private_key.problem) {
            (Some(fp), _) => format!("{fp} ({}-bit)", view.private_key.bits.unwrap_or_default()),
            (None, Some(problem)) => format!("unreadable: {problem}"),
            (None, None) => "not set".to_string(),
        };
        println!("    private key  {key}");
        if let Some(cert) = &view.client_certificate {
            println!("    client cert  {cert}");
        }
        if let Some(bundle) = &view.ca_bundle {
            println!("    extra CAs    {bundle}");
        }
        if !view.proxy_url.is_empty() {
            println!("    proxy        {}", view.proxy_url);
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn certificate_view(pem: &str) -> Option<String> {
    identity::summarize(pem).map(|summary| match summary {
        Ok(summary) => summary.to_string(),
        Err(e) => format!("unreadable: {e}"),
    })
}

fn or_dash(text: &str) -> &str {
    if text.is_empty() { "-" } else { text }
}
