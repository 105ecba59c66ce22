//! Reading what commands take from outside: bodies, secrets, key files. Every failure names
//! the flag or file it came from and never echoes a secret.

use std::io::Read;
use std::path::{Path, PathBuf};

use clap::Args;
use zeroize::Zeroizing;

use crate::snap::keys::{self, LoadedPrivateKey, LoadedPublicKey};
use crate::snap::minify::MinifyMode;
use crate::snap::signature::{SignatureInput, SignatureKind};
use crate::store::files::{self, FileError};

/// Bodies and keys larger than this are refused (a SNAP body is kilobytes).
pub const MAX_INPUT_BYTES: u64 = 16 * 1024 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error("{0}")]
    File(#[from] FileError),
    #[error("{flag}: {message}")]
    Input { flag: &'static str, message: String },
    #[error("{0}")]
    Other(String),
}

impl CliError {
    pub fn input(flag: &'static str, message: impl Into<String>) -> Self {
        CliError::Input {
            flag,
            message: message.into(),
        }
    }
}

/// `--body-file FILE` or `-` for standard input; absent means an empty body.
pub fn read_body(body_file: Option<&Path>) -> Result<String, CliError> {
    let Some(path) = body_file else {
        return Ok(String::new());
    };
    let bytes = if path == Path::new("-") {
        let mut bytes = Vec::new();
        std::io::stdin()
            .take(MAX_INPUT_BYTES + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| CliError::input("--body-file", format!("reading standard input: {e}")))?;
        if bytes.len() as u64 > MAX_INPUT_BYTES {
            return Err(CliError::input(
                "--body-file",
                format!("standard input is larger than {MAX_INPUT_BYTES} bytes"),
            ));
        }
        bytes
    } else {
        files::read_capped(path, MAX_INPUT_BYTES)?
    };
    String::from_utf8(bytes).map_err(|e| {
        CliError::input(
            "--body-file",
            format!(
                "{} is not UTF-8 text (invalid byte at offset {})",
                path.display(),
                e.utf8_error().valid_up_to()
            ),
        )
    })
}

/// A secret named by an environment variable. The variable's name may be shown; its value never.
pub fn secret_from_env(flag: &'static str, var: &str) -> Result<Zeroizing<String>, CliError> {
    match std::env::var(var) {
        Ok(value) if !value.is_empty() => Ok(Zeroizing::new(value)),
        Ok(_) => Err(CliError::input(
            flag,
            format!("environment variable {var} is empty"),
        )),
        Err(std::env::VarError::NotPresent) => Err(CliError::input(
            flag,
            format!("environment variable {var} is not set"),
        )),
        Err(std::env::VarError::NotUnicode(_)) => Err(CliError::input(
            flag,
            format!("environment variable {var} is not valid UTF-8"),
        )),
    }
}

/// A secret kept in a file; one trailing newline (as `echo` writes) is not part of it.
pub fn secret_from_file(flag: &'static str, path: &Path) -> Result<Zeroizing<String>, CliError> {
    let bytes = Zeroizing::new(files::read_capped(path, 64 * 1024)?);
    let text = std::str::from_utf8(&bytes)
        .map_err(|_| CliError::input(flag, format!("{} is not UTF-8 text", path.display())))?;
    let text = text.strip_suffix('\n').unwrap_or(text);
    let text = text.strip_suffix('\r').unwrap_or(text);
    if text.is_empty() {
        return Err(CliError::input(
            flag,
            format!("{} is empty", path.display()),
        ));
    }
    Ok(Zeroizing::new(text.to_string()))
}

/// `--client-secret-env VAR | --client-secret-file F`.
#[derive(Args, Debug, Clone, Default)]
pub struct ClientSecretArgs {
    /// Name of the environment variable holding the client secret.
    #[arg(long, value_name = "VAR")]
    pub client_secret_env: Option<String>,
    /// File holding the client secret (one trailing newline is ignored).
    #[arg(long, value_name = "FILE", conflicts_with = "client_secret_env")]
    pub client_secret_file: Option<PathBuf>,
}

impl ClientSecretArgs {
    pub fn is_given(&self) -> bool {
        self.client_secret_env.is_some() || self.client_secret_file.is_some()
    }

    pub fn load(&self) -> Result<Zeroizing<String>, CliError> {
        match (&self.client_secret_env, &self.client_secret_file) {
            (Some(var), _) => secret_from_env("--client-secret-env", var),
            (None, Some(path)) => secret_from_file("--client-secret-file", path),
            (None, None) => Err(CliError::input(
                "--client-secret-env",
                "a client secret is needed: --client-secret-env VAR or --client-secret-file FILE",
            )),
        }
    }
}

/// `--private-key FILE [--passphrase-env VAR]`.
pub fn load_private_key(
    path: &Path,
    passphrase_env: Option<&str>,
) -> Result<LoadedPrivateKey, CliError> {
    let bytes = Zeroizing::new(files::read_capped(path, 1024 * 1024)?);
    let passphrase = passphrase_env
        .map(|var| secret_from_env("--passphrase-env", var))
        .transpose()?;
    keys::parse_private_key(&bytes, passphrase.as_ref().map(|p| p.as_str()))
        .map_err(|e| CliError::input("--private-key", format!("{}: {e}", path.display())))
}

/// `--public-key FILE`.
pub fn load_public_key(path: &Path) -> Result<LoadedPublicKey, CliError> {
    let bytes = files::read_capped(path, 1024 * 1024)?;
    keys::parse_public_key(&bytes)
        .map_err(|e| CliError::input("--public-key", format!("{}: {e}", path.display())))
}

/// What a signature someone else made was computed over: the flags `verify` and
/// `diagnose` share (a signature is checked against the exact values that were sent).
#[derive(Args, Debug, Clone)]
pub struct SignedValuesArgs {
    /// X-CLIENT-KEY (token and notification kinds).
    #[arg(long, default_value = "")]
    pub client_id: String,
    /// X-TIMESTAMP exactly as it was sent (required: a signature is over a past timestamp).
    #[arg(long)]
    pub timestamp: String,
    /// HTTP method (transactional kinds).
    #[arg(long, default_value = "")]
    pub method: String,
    /// Relative path with its query, as sent (transactional kinds).
    #[arg(long, default_value = "")]
    pub path: String,
    /// A path prefix that is sent but not signed (NICEPAY: /nicepay).
    #[arg(long, value_name = "PREFIX", default_value = "")]
    pub unsigned_prefix: String,
    /// The B2B access token (symmetric kind).
    #[arg(long, default_value = "")]
    pub token: String,
    /// The request body; `-` reads standard input; absent means no body.
    #[arg(long, value_name = "FILE|-")]
    pub body_file: Option<PathBuf>,
    /// How the body was minified before hashing.
    #[arg(long, default_value = "lexical", value_name = "MODE",
          value_parser = ["lexical", "js", "php", "go-sorted", "none"])]
    pub minify: String,
}

impl SignedValuesArgs {
    /// The signature input for `kind`, reading the body; the transactional kinds need a
    /// method and a path.
    pub fn to_input(&self, kind: SignatureKind) -> Result<SignatureInput, CliError> {
        if kind.covers_request() && (self.method.trim().is_empty() || self.path.trim().is_empty()) {
            return Err(CliError::input(
                "--method/--path",
                format!("a {kind} signature covers the method and path: give --method and --path"),
            ));
        }
        let minify: MinifyMode = self
            .minify
            .parse()
            .map_err(|e: String| CliError::input("--minify", e))?;
        Ok(SignatureInput {
            kind,
            client_id: self.client_id.clone(),
            timestamp: self.timestamp.clone(),
            method: self.method.clone(),
            path: self.path.clone(),
            unsigned_path_prefix: self.unsigned_prefix.clone(),
            access_token: self.token.clone(),
            body: read_body(self.body_file.as_deref())?,
            minify,
        })
    }
}
