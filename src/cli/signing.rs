//! `sign`, `verify`, `minify`, `keygen`, `decode-code`.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Subcommand};
use serde::Serialize;

use super::inputs::{self, CliError, ClientSecretArgs, SignedValuesArgs};
use crate::snap::keys;
use crate::snap::minify::{self, MinifyMode};
use crate::snap::response;
use crate::snap::signature::{
    self, Part, Prepared, SignatureEncoding, SignatureInput, SignatureKind, SigningSecret,
    VerifyingSecret,
};
use crate::snap::timestamp;
use crate::store::files::{self, Sensitivity};

#[derive(Subcommand, Debug)]
pub enum SignCommand {
    /// Access Token B2B: SHA256withRSA over `clientId|timestamp`.
    B2b(TokenSignArgs),
    /// Access Token B2B2C: the same string and key as B2B.
    B2b2c(TokenSignArgs),
    /// Transaction, symmetric: HMAC-SHA512 over `METHOD:path:token:bodyHash:timestamp`.
    Symmetric(SymmetricSignArgs),
    /// Transaction, asymmetric: SHA256withRSA over `METHOD:path:bodyHash:timestamp`.
    Transaction(TransactionSignArgs),
}

#[derive(Args, Debug, Clone)]
pub struct Output {
    /// Print one JSON object (camelCase keys) instead of text.
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug, Clone)]
pub struct TokenSignArgs {
    /// X-CLIENT-KEY (the client ID).
    #[arg(long)]
    pub client_id: String,
    /// X-TIMESTAMP as sent; defaults to now in Jakarta time.
    #[arg(long)]
    pub timestamp: Option<String>,
    /// The RSA private key (PKCS#1/PKCS#8 PEM, encrypted PKCS#8, DER or bare Base64).
    #[arg(long, value_name = "FILE")]
    pub private_key: PathBuf,
    /// Environment variable holding the private key's passphrase.
    #[arg(long, value_name = "VAR")]
    pub passphrase_env: Option<String>,
    #[command(flatten)]
    pub output: Output,
}

#[derive(Args, Debug, Clone)]
pub struct RequestArgs {
    /// HTTP method (upper-cased for signing).
    #[arg(long)]
    pub method: String,
    /// Relative path with its query, as sent (a full URL is accepted: its path is used).
    #[arg(long)]
    pub path: String,
    /// X-TIMESTAMP as sent; defaults to now in Jakarta time.
    #[arg(long)]
    pub timestamp: Option<String>,
    /// The request body; `-` reads standard input; absent means no body.
    #[arg(long, value_name = "FILE|-")]
    pub body_file: Option<PathBuf>,
    /// How the body is minified before hashing.
    #[arg(long, default_value = "lexical", value_name = "MODE",
          value_parser = ["lexical", "js", "php", "go-sorted", "none"])]
    pub minify: String,
    /// A path prefix that is sent but not signed (NICEPAY: /nicepay).
    #[arg(long, value_name = "PREFIX", default_value = "")]
    pub unsigned_prefix: String,
}

#[derive(Args, Debug, Clone)]
pub struct SymmetricSignArgs {
    #[command(flatten)]
    pub request: RequestArgs,
    /// The B2B access token (without or with `Bearer `).
    #[arg(long)]
    pub token: String,
    #[command(flatten)]
    pub secret: ClientSecretArgs,
    #[command(flatten)]
    pub output: Output,
}

#[derive(Args, Debug, Clone)]
pub struct TransactionSignArgs {
    #[command(flatten)]
    pub request: RequestArgs,
    #[arg(long, value_name = "FILE")]
    pub private_key: PathBuf,
    #[arg(long, value_name = "VAR")]
    pub passphrase_env: Option<String>,
    #[command(flatten)]
    pub output: Output,
}

#[derive(Args, Debug, Clone)]
pub struct VerifyArgs {
    /// b2b, b2b2c, notification, transaction or symmetric.
    pub kind: String,
    /// The signature to check (Base64 or hex).
    #[arg(long)]
    pub signature: String,
    #[command(flatten)]
    pub values: SignedValuesArgs,
    /// The signer's public key (RSA kinds).
    #[arg(long, value_name = "FILE")]
    pub public_key: Option<PathBuf>,
    #[command(flatten)]
    pub secret: ClientSecretArgs,
    #[command(flatten)]
    pub output: Output,
}

#[derive(Args, Debug, Clone)]
pub struct MinifyArgs {
    #[arg(long, value_name = "FILE|-")]
    pub body_file: Option<PathBuf>,
    #[arg(long, default_value = "lexical", value_name = "MODE",
          value_parser = ["lexical", "js", "php", "go-sorted", "none"])]
    pub minify: String,
    #[command(flatten)]
    pub output: Output,
}

#[derive(Args, Debug, Clone)]
pub struct KeygenArgs {
    /// Key size: 2048, 3072 or 4096.
    #[arg(long, default_value_t = 2048, allow_negative_numbers = true,
          value_parser = super::numbers::key_bits)]
    pub bits: usize,
    /// Where to write the private key (PKCS#8 PEM, mode 0600).
    #[arg(long, value_name = "FILE")]
    pub out_private: PathBuf,
    /// Where to write the public key (SPKI PEM, for the provider's portal).
    #[arg(long, value_name = "FILE")]
    pub out_public: PathBuf,
    /// Encrypt the private key with the passphrase in this environment variable.
    #[arg(long, value_name = "VAR")]
    pub passphrase_env: Option<String>,
    /// Replace existing files.
    #[arg(long)]
    pub force: bool,
    #[command(flatten)]
    pub output: Output,
}

#[derive(Args, Debug, Clone)]
pub struct DecodeCodeArgs {
    /// The 7-digit responseCode, e.g. 4012500.
    pub code: String,
    /// The HTTP status the response came with, to check it agrees with the code.
    #[arg(long, allow_negative_numbers = true, value_parser = super::numbers::http_status)]
    pub http_status: Option<u16>,
    #[command(flatten)]
    pub output: Output,
}

/// What `sign` and `verify` print.
#[derive(Serialize, Debug)]
#[serde(rename_all = "camelCase")]
struct SignatureReport {
    kind: SignatureKind,
    string_to_sign: String,
    string_to_sign_parts: Vec<Part>,
    #[serde(skip_serializing_if = "Option::is_none")]
    minified_body: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    body_hash: Option<String>,
    signature: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    valid: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    encoding: Option<SignatureEncoding>,
    warnings: Vec<String>,
}

impl SignatureReport {
    fn new(prepared: Prepared, signature: String) -> Self {
        SignatureReport {
            kind: prepared.kind,
            string_to_sign: prepared.string_to_sign.text(),
            string_to_sign_parts: prepared.string_to_sign.parts,
            minified_body: prepared.minified_body,
            body_hash: prepared.body_hash,
            signature,
            valid: None,
            encoding: None,
            warnings: prepared.warnings,
        }
    }

    fn print(&self, json: bool) -> Result<(), CliError> {
        if json {
            return print_json(self);
        }
        println!("kind:          {}", self.kind.label());
        if let Some(body) = &self.minified_body {
            println!("minifiedBody:  {body}");
        }
        if let Some(hash) = &self.body_hash {
            println!("bodyHash:      {hash}");
        }
        println!("stringToSign:  {}", self.string_to_sign);
        for part in &self.string_to_sign_parts {
            println!("  {:<14} {}", part.name.label(), part.value);
        }
        println!("signature:     {}", self.signature);
        if let Some(valid) = self.valid {
            match (valid, self.encoding) {
                (true, Some(enc)) => println!("valid:         yes ({enc:?})"),
                _ => println!("valid:         NO"),
            }
        }
        for warning in &self.warnings {
            eprintln!("warning: {warning}");
        }
        Ok(())
    }
}

pub fn print_json(value: &impl Serialize) -> Result<(), CliError> {
    let text = serde_json::to_string(value).map_err(|e| CliError::Other(e.to_string()))?;
    println!("{text}");
    Ok(())
}

fn parse_minify(mode: &str) -> Result<MinifyMode, CliError> {
    mode.parse()
        .map_err(|e: String| CliError::input("--minify", e))
}

fn timestamp_or_now(given: Option<&str>) -> String {
    given
        .map(str::to_string)
        .unwrap_or_else(timestamp::now_jakarta)
}

fn request_input(kind: SignatureKind, request: &RequestArgs) -> Result<SignatureInput, CliError> {
    Ok(SignatureInput {
        kind,
        timestamp: timestamp_or_now(request.timestamp.as_deref()),
        method: request.method.clone(),
        path: request.path.clone(),
        unsigned_path_prefix: request.unsigned_prefix.clone(),
        body: inputs::read_body(request.body_file.as_deref())?,
        minify: parse_minify(&request.minify)?,
        ..SignatureInput::default()
    })
}

fn prepare(input: &SignatureInput) -> Result<Prepared, CliError> {
    signature::prepare(input).map_err(|e| CliError::input("--body-file", e.to_string()))
}

pub fn sign(command: SignCommand) -> Result<ExitCode, CliError> {
    let (report, json) = match command {
        SignCommand::B2b(args) => sign_token(SignatureKind::B2bToken, args)?,
        SignCommand::B2b2c(args) => sign_token(SignatureKind::B2b2cToken, args)?,
        SignCommand::Symmetric(args) => {
            let mut input = request_input(SignatureKind::Symmetric, &args.request)?;
            input.access_token = args.token.clone();
            let secret = args.secret.load()?;
            let prepared = prepare(&input)?;
            let signature = signature::sign(&prepared, SigningSecret::Hmac(secret.as_bytes()))
                .map_err(|e| CliError::Other(e.to_string()))?;
            (SignatureReport::new(prepared, signature), args.output.json)
        }
        SignCommand::Transaction(args) => {
            let input = request_input(SignatureKind::AsymmetricTransaction, &args.request)?;
            let key = inputs::load_private_key(&args.private_key, args.passphrase_env.as_deref())?;
            let mut prepared = prepare(&input)?;
            prepared.warnings.extend(key.warnings.iter().cloned());
            let signature = signature::sign(&prepared, SigningSecret::Rsa(&key.key))
                .map_err(|e| CliError::Other(e.to_string()))?;
            (SignatureReport::new(prepared, signature), args.output.json)
        }
    };
    report.print(json)?;
    Ok(ExitCode::SUCCESS)
}

fn sign_token(
    kind: SignatureKind,
    args: TokenSignArgs,
) -> Result<(SignatureReport, bool), CliError> {
    let input = SignatureInput {
        kind,
        client_id: args.client_id.clone(),
        timestamp: timestamp_or_now(args.timestamp.as_deref()),
        ..SignatureInput::default()
    };
    let key = inputs::load_private_key(&args.private_key, args.passphrase_env.as_deref())?;
    let mut prepared = prepare(&input)?;
    prepared.warnings.extend(key.warnings.iter().cloned());
    let signature = signature::sign(&prepared, SigningSecret::Rsa(&key.key))
        .map_err(|e| CliError::Other(e.to_string()))?;
    Ok((SignatureReport::new(prepared, signature), args.output.json))
}

pub fn verify(args: VerifyArgs) -> Result<ExitCode, CliError> {
    let kind: SignatureKind = args
        .kind
        .parse()
        .map_err(|e: String| CliError::input("kind", e))?;
    let input = args.values.to_input(kind)?;
    let prepared = prepare(&input)?;
    let verdict = if kind == SignatureKind::Symmetric {
        let secret = args.secret.load()?;
        signature::verify(
            &prepared,
            VerifyingSecret::Hmac(secret.as_bytes()),
            &args.signature,
        )
    } else {
        let path = args.public_key.as_deref().ok_or_else(|| {
            CliError::input(
                "--public-key",
                format!("a {kind} signature is checked with the signer's RSA public key"),
            )
        })?;
        let key = inputs::load_public_key(path)?;
        signature::verify(&prepared, VerifyingSecret::Rsa(&key.key), &args.signature)
    }
    .map_err(|e| CliError::input("--signature", e.to_string()))?;
    let mut report = SignatureReport::new(prepared, args.signature.trim().to_string());
    report.valid = Some(verdict.valid);
    report.encoding = verdict.encoding;
    report.print(args.output.json)?;
    Ok(if verdict.valid {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct MinifyReport {
    mode: MinifyMode,
    minified_body: String,
    body_hash: String,
}

pub fn minify(args: MinifyArgs) -> Result<ExitCode, CliError> {
    let body = inputs::read_body(args.body_file.as_deref())?;
    let mode = parse_minify(&args.minify)?;
    let minified = minify::minify(&body, mode).map_err(|e| {
        let source = args
            .body_file
            .as_ref()
            .map(|p| p.display().to_string())
            .unwrap_or_else(|| "body".into());
        CliError::Other(format!("{source}: {e}"))
    })?;
    if args.output.json {
        print_json(&MinifyReport {
            mode,
            body_hash: signature::body_hash_hex(&minified),
            minified_body: minified,
        })?;
    } else {
        println!("{minified}");
    }
    Ok(ExitCode::SUCCESS)
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct KeygenReport {
    bits: usize,
    private_key_file: String,
    public_key_file: String,
    encrypted: bool,
    fingerprint: String,
}

/// Read a written key back: success is reported only for a key that is really on disk.
fn confirm_written(path: &std::path::Path, expected: &[u8]) -> Result<(), CliError> {
    let on_disk = zeroize::Zeroizing::new(files::read_capped(path, 1024 * 1024)?);
    if on_disk.as_slice() != expected {
        return Err(CliError::Other(format!(
            "{} does not hold the private key that was written (was it replaced meanwhile?)",
            path.display()
        )));
    }
    Ok(())
}

pub fn keygen(args: KeygenArgs) -> Result<ExitCode, CliError> {
    let passphrase = args
        .passphrase_env
        .as_deref()
        .map(|var| inputs::secret_from_env("--passphrase-env", var))
        .transpose()?;
    if files::same_destination(&args.out_private, &args.out_public) {
        return Err(CliError::input(
            "--out-public",
            format!(
                "{} and {} are the same file; the public key would overwrite the private key \
                 (give two different files)",
                args.out_private.display(),
                args.out_public.display()
            ),
        ));
    }
    if !args.force {
        for path in [&args.out_private, &args.out_public] {
            if path.exists() {
                return Err(files::FileError::Exists { path: path.clone() }.into());
            }
        }
    }
    let key = keys::generate_private_key(args.bits)
        .map_err(|e| CliError::input("--bits", e.to_string()))?;
    let public = key.to_public_key();
    let private_pem = keys::private_key_to_pkcs8_pem(&key, passphrase.as_ref().map(|p| p.as_str()))
        .map_err(|e| CliError::Other(e.to_string()))?;
    let public_pem =
        keys::public_key_to_spki_pem(&public).map_err(|e| CliError::Other(e.to_string()))?;
    files::write_atomic(
        &args.out_private,
        private_pem.as_bytes(),
        Sensitivity::Secret,
    )?;
    files::write_atomic(&args.out_public, public_pem.as_bytes(), Sensitivity::Public)?;
    confirm_written(&args.out_private, private_pem.as_bytes())?;
    let report = KeygenReport {
        bits: args.bits,
        private_key_file: args.out_private.display().to_string(),
        public_key_file: args.out_public.display().to_string(),
        encrypted: passphrase.is_some(),
        fingerprint: keys::fingerprint_sha256(&public),
    };
    if args.output.json {
        print_json(&report)?;
    } else {
        println!(
            "private key: {} (PKCS#8{}, mode 0600)",
            report.private_key_file,
            if report.encrypted { ", encrypted" } else { "" }
        );
        println!(
            "public key:  {} (SPKI PEM: upload this one)",
            report.public_key_file
        );
        println!("fingerprint: {}", report.fingerprint);
    }
    Ok(ExitCode::SUCCESS)
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct DecodeReport {
    #[serde(flatten)]
    decoded: response::DecodedCode,
    summary: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    status_mismatch: Option<String>,
}

pub fn decode_code(args: DecodeCodeArgs) -> Result<ExitCode, CliError> {
    let decoded =
        response::decode(&args.code).map_err(|e| CliError::input("CODE", e.to_string()))?;
    let report = DecodeReport {
        summary: decoded.summary(),
        status_mismatch: args
            .http_status
            .and_then(|status| response::status_mismatch(&decoded, status)),
        decoded,
    };
    if args.output.json {
        print_json(&report)?;
    } else {
        let d = &report.decoded;
        println!("responseCode: {}", d.code);
        println!("HTTP status:  {}", d.http_status);
        println!(
            "service:      {} {}",
            d.service_code,
            d.service_name
                .as_deref()
                .unwrap_or("(not a known SNAP service code)")
        );
        println!(
            "case:         {} {}",
            d.case_code,
            d.meaning.as_deref().unwrap_or("(not in the general list)")
        );
        if let Some(mismatch) = &report.status_mismatch {
            println!("warning:      {mismatch}");
        }
    }
    Ok(ExitCode::SUCCESS)
}
