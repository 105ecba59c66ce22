//! `diagnose`: "why is my signature rejected?" from a terminal (engine: `snap::diagnose`).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use serde::Serialize;

use super::inputs::{self, CliError, ClientSecretArgs, SignedValuesArgs};
use super::signing::{Output, print_json};
use crate::snap::diagnose::{self, Diagnosis, Family, Remedy, SettingChange};
use crate::snap::signature::{SignatureEncoding, SignatureInput, SignatureKind, VerifyingSecret};

#[derive(Args, Debug, Clone)]
#[command(after_long_help = diagnose::variants::help_text())]
pub struct DiagnoseArgs {
    /// The signature the counterparty expected or produced (Base64 or hex).
    #[arg(long, value_name = "SIG")]
    pub expected_signature: String,
    /// symmetric, b2b, b2b2c, transaction or notification.
    #[arg(long)]
    pub kind: String,
    #[command(flatten)]
    pub values: SignedValuesArgs,
    /// The base URL the request went to (scheme and host), so that a signature over the
    /// full URL is recognised when --path is relative.
    #[arg(long, value_name = "URL", default_value = "")]
    pub base_url: String,
    /// The signer's RSA public key (RSA kinds); its private key file works too.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["client_secret_env", "client_secret_file"])]
    pub public_key: Option<PathBuf>,
    #[command(flatten)]
    pub secret: ClientSecretArgs,
    #[command(flatten)]
    pub output: Output,
}

/// What `diagnose --json` prints: the contract is `matched`, `stringToSign`, `deviations`
/// (strings) and `tried`; the rest is extra detail.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct DiagnoseReport<'a> {
    matched: bool,
    string_to_sign: Option<&'a str>,
    deviations: Vec<&'a str>,
    tried: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    encoding: Option<SignatureEncoding>,
    #[serde(skip_serializing_if = "Option::is_none")]
    standard_string_to_sign: Option<&'a str>,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    notes: &'a [String],
    /// The variant families found, in the order of `deviations`.
    families: Vec<Family>,
    /// Profile settings that make our signatures match theirs.
    settings: Vec<&'a SettingChange>,
    /// What to ask the counterparty to change.
    messages_to_counterparty: Vec<&'static str>,
}

impl<'a> From<&'a Diagnosis> for DiagnoseReport<'a> {
    fn from(d: &'a Diagnosis) -> Self {
        DiagnoseReport {
            matched: d.matched,
            string_to_sign: d.string_to_sign.as_deref(),
            deviations: d.deviation_texts(),
            tried: d.tried,
            encoding: d.encoding,
            standard_string_to_sign: d.standard_string_to_sign.as_deref(),
            notes: &d.notes,
            families: d.families(),
            settings: d.settings(),
            messages_to_counterparty: d.messages_to_counterparty(),
        }
    }
}

pub fn diagnose(args: DiagnoseArgs) -> Result<ExitCode, CliError> {
    let kind: SignatureKind = args
        .kind
        .parse()
        .map_err(|e: String| CliError::input("--kind", e))?;
    let input = args.values.to_input(kind)?;
    let diagnosis = if kind == SignatureKind::Symmetric {
        let secret = args.secret.load()?;
        run_engine(
            &input,
            &args.base_url,
            &args.expected_signature,
            VerifyingSecret::Hmac(secret.as_bytes()),
        )?
    } else {
        let path = args.public_key.as_deref().ok_or_else(|| {
            CliError::input(
                "--public-key",
                format!("a {kind} signature is checked with the signer's RSA public key"),
            )
        })?;
        let key = inputs::load_public_key(path)?;
        run_engine(
            &input,
            &args.base_url,
            &args.expected_signature,
            VerifyingSecret::Rsa(&key.key),
        )?
    };
    if args.output.json {
        print_json(&DiagnoseReport::from(&diagnosis))?;
    } else {
        print_text(&diagnosis);
    }
    Ok(if diagnosis.matched {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn run_engine(
    input: &SignatureInput,
    base_url: &str,
    signature: &str,
    secret: VerifyingSecret<'_>,
) -> Result<Diagnosis, CliError> {
    diagnose::diagnose_at(input, base_url, signature, secret)
        .map_err(|e| CliError::input("--expected-signature", e.to_string()))
}

fn print_text(d: &Diagnosis) {
    match (d.matched, d.deviations.is_empty()) {
        (true, true) => {
            println!("matched: the signature follows the standard; your inputs are right.")
        }
        (true, false) => {
            println!("matched: the signature was made with a variant of the standard:")
        }
        (false, _) => println!(
            "no match: no known variant explains this signature. Check the key or client \
             secret, and that the timestamp, body, path and token are the ones that were signed."
        ),
    }
    for deviation in &d.deviations {
        println!("  - {}", deviation.description);
        match (&deviation.setting, deviation.remedy) {
            (Some(setting), _) => println!(
                "    a provider may do this on purpose: set the profile's {} to {:?}",
                setting.field, setting.value
            ),
            (None, Remedy::AskCounterparty { .. }) => {
                println!("    their bug: see the message below")
            }
            (None, Remedy::Setting { .. }) => {}
        }
    }
    let messages = d.messages_to_counterparty();
    if !messages.is_empty() {
        println!("message to the counterparty:");
        for message in messages {
            println!("  {message}");
        }
    }
    if let Some(text) = &d.string_to_sign {
        println!("stringToSign:  {text}");
    }
    if let Some(standard) = &d.standard_string_to_sign
        && (!d.matched || !d.deviations.is_empty())
    {
        println!("standard:      {standard}");
    }
    println!("tried:         {} variants", d.tried);
    for note in &d.notes {
        eprintln!("note: {note}");
    }
}
