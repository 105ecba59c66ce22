//! The workbench on the worker: sign or verify as the user types (RSA stays off the UI
//! thread), "Why is my signature rejected?", and the cross-check against a provider's
//! signature utilities.

use super::{Event, blocking};
use crate::model::Secret;
/// What the workbench fills in for a cross-check, and the rule for when it must ask first.
pub use crate::net::client::ConnectionSettings;
use crate::net::utilities;
pub use crate::net::utilities::{CrossCheckKind, CrossCheckRequest, is_loopback};
use crate::snap::signature::{self, SignatureInput, SigningSecret, VerifyingSecret};
use crate::snap::{diagnose, keys};

/// Key material for the workbench, as the UI holds it (text).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyMaterial {
    ClientSecret(Secret),
    PrivateKeyPem(Secret),
    PublicKeyPem(String),
}

/// One signature computation for the workbench.
#[derive(Debug, Clone)]
pub struct SignatureJob {
    pub input: SignatureInput,
    pub key: KeyMaterial,
    /// Verify this signature instead of producing one.
    pub verify: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignatureOutcome {
    pub prepared: signature::Prepared,
    /// The signature we made (sign mode).
    pub signature: Option<String>,
    /// The verdict (verify mode).
    pub valid: Option<bool>,
}

#[derive(Debug)]
pub enum WorkbenchCommand {
    Sign {
        generation: u64,
        job: SignatureJob,
    },
    /// "Why is my signature rejected?": try the known variants against `expected`.
    Diagnose {
        generation: u64,
        input: SignatureInput,
        key: KeyMaterial,
        expected: String,
    },
    /// Ask the profile's signature utility for its signature.
    CrossCheck {
        generation: u64,
        request: CrossCheckRequest,
    },
}

#[derive(Debug)]
pub enum WorkbenchEvent {
    Signed {
        generation: u64,
        result: Result<SignatureOutcome, String>,
    },
    Diagnosed {
        generation: u64,
        result: Result<diagnose::Diagnosis, String>,
    },
    CrossChecked {
        generation: u64,
        result: Result<String, String>,
    },
}

pub async fn handle(command: WorkbenchCommand) -> Event {
    match command {
        WorkbenchCommand::Sign { generation, job } => {
            blocking(move || {
                Event::Workbench(WorkbenchEvent::Signed {
                    generation,
                    result: run_signature_job(&job),
                })
            })
            .await
        }
        WorkbenchCommand::Diagnose {
            generation,
            input,
            key,
            expected,
        } => {
            blocking(move || {
                Event::Workbench(WorkbenchEvent::Diagnosed {
                    generation,
                    result: run_diagnosis(&input, &key, &expected),
                })
            })
            .await
        }
        WorkbenchCommand::CrossCheck {
            generation,
            request,
        } => Event::Workbench(WorkbenchEvent::CrossChecked {
            generation,
            result: utilities::cross_check(&request).await,
        }),
    }
}

/// Build, then sign or verify. Errors are for people: they name the input at fault.
pub fn run_signature_job(job: &SignatureJob) -> Result<SignatureOutcome, String> {
    let prepared = signature::prepare(&job.input).map_err(|e| e.to_string())?;
    match &job.verify {
        None => {
            let signature = sign(&prepared, &job.key, job.input.kind)?;
            Ok(SignatureOutcome {
                prepared,
                signature: Some(signature),
                valid: None,
            })
        }
        Some(text) => {
            let valid = verify(&prepared, &job.key, text)?;
            Ok(SignatureOutcome {
                prepared,
                signature: None,
                valid: Some(valid),
            })
        }
    }
}

fn sign(
    prepared: &signature::Prepared,
    key: &KeyMaterial,
    kind: signature::SignatureKind,
) -> Result<String, String> {
    match key {
        KeyMaterial::ClientSecret(secret) => {
            signature::sign(prepared, SigningSecret::Hmac(secret.expose().as_bytes()))
                .map_err(|e| e.to_string())
        }
        KeyMaterial::PrivateKeyPem(pem) => {
            let key = keys::parse_private_key(pem.expose().as_bytes(), None)
                .map_err(|e| format!("private key: {e}"))?;
            signature::sign(prepared, SigningSecret::Rsa(&key.key)).map_err(|e| e.to_string())
        }
        KeyMaterial::PublicKeyPem(_) => Err(format!(
            "a public key can only verify; signing a {kind} signature needs the private key"
        )),
    }
}

fn verify(prepared: &signature::Prepared, key: &KeyMaterial, text: &str) -> Result<bool, String> {
    let verdict = match key {
        KeyMaterial::ClientSecret(secret) => signature::verify(
            prepared,
            VerifyingSecret::Hmac(secret.expose().as_bytes()),
            text,
        ),
        KeyMaterial::PrivateKeyPem(pem) => verify_rsa(prepared, pem.expose(), text)?,
        KeyMaterial::PublicKeyPem(pem) => verify_rsa(prepared, pem, text)?,
    };
    verdict.map(|v| v.valid).map_err(|e| e.to_string())
}

fn verify_rsa(
    prepared: &signature::Prepared,
    pem: &str,
    text: &str,
) -> Result<Result<signature::Verdict, signature::SignatureError>, String> {
    let key = keys::parse_public_key(pem.as_bytes()).map_err(|e| format!("public key: {e}"))?;
    Ok(signature::verify(
        prepared,
        VerifyingSecret::Rsa(&key.key),
        text,
    ))
}

/// Diagnose with whatever key the workbench holds: a client secret, or the public half
/// of an RSA key (a private key works too).
pub fn run_diagnosis(
    input: &SignatureInput,
    key: &KeyMaterial,
    expected: &str,
) -> Result<diagnose::Diagnosis, String> {
    let public_pem = match key {
        KeyMaterial::ClientSecret(secret) => {
            return diagnose::diagnose(
                input,
                expected,
                VerifyingSecret::Hmac(secret.expose().as_bytes()),
            )
            .map_err(|e| e.to_string());
        }
        KeyMaterial::PrivateKeyPem(pem) => pem.expose(),
        KeyMaterial::PublicKeyPem(pem) => pem.as_str(),
    };
    let key = keys::parse_public_key(public_pem.as_bytes()).map_err(|e| format!("key: {e}"))?;
    diagnose::diagnose(input, expected, VerifyingSecret::Rsa(&key.key)).map_err(|e| e.to_string())
}
