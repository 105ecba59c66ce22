//! Keys on the worker: generate, import (private and counterparty public), save, export
//! the public half, and describe a key for display. RSA and files never touch the UI thread.

use std::path::PathBuf;

use super::dialogs::{self, FileChoice};
use super::{Event, Notice, blocking, failed};
use crate::model::Secret;
use crate::snap::keys;
use crate::store::files::{self, Sensitivity};

/// Key files larger than this are not keys.
const KEY_FILE_CAP: u64 = 1024 * 1024;

#[derive(Debug)]
pub enum KeysCommand {
    Generate {
        profile_id: String,
        bits: usize,
    },
    ImportPrivate {
        profile_id: String,
        from: FileChoice,
        passphrase: Option<Secret>,
    },
    ImportPublic {
        profile_id: String,
        from: FileChoice,
    },
    SavePrivate {
        pem: Secret,
        passphrase: Option<Secret>,
        to: FileChoice,
    },
    ExportPublic {
        private_pem: Secret,
        to: FileChoice,
    },
    /// Describe a key (private or public PEM) for display; `hash` identifies the PEM.
    Fingerprint {
        hash: u64,
        pem: Secret,
    },
}

#[derive(Debug)]
pub enum KeysEvent {
    PrivateKeyReady {
        profile_id: String,
        private_pem: Secret,
        summary: String,
    },
    PublicKeyReady {
        profile_id: String,
        public_pem: String,
        summary: String,
    },
    /// The key at this path is encrypted: ask for the passphrase and import again.
    PassphraseNeeded {
        profile_id: String,
        path: PathBuf,
    },
    Fingerprint {
        hash: u64,
        text: String,
    },
}

pub async fn handle(command: KeysCommand) -> Event {
    blocking(move || match command {
        KeysCommand::Generate { profile_id, bits } => generate(profile_id, bits),
        KeysCommand::ImportPrivate {
            profile_id,
            from,
            passphrase,
        } => import_private(profile_id, from, passphrase),
        KeysCommand::ImportPublic { profile_id, from } => import_public(profile_id, from),
        KeysCommand::SavePrivate {
            pem,
            passphrase,
            to,
        } => save_private(&pem, passphrase.as_ref(), to),
        KeysCommand::ExportPublic { private_pem, to } => export_public(&private_pem, to),
        KeysCommand::Fingerprint { hash, pem } => Event::Keys(KeysEvent::Fingerprint {
            hash,
            text: describe(pem.expose()),
        }),
    })
    .await
}

fn generate(profile_id: String, bits: usize) -> Event {
    let made = keys::generate_private_key(bits)
        .map_err(|e| e.to_string())
        .and_then(|key| {
            let pem = keys::private_key_to_pkcs8_pem(&key, None).map_err(|e| e.to_string())?;
            Ok((
                Secret::new(pem.as_str()),
                keys::fingerprint_sha256(&key.to_public_key()),
            ))
        });
    match made {
        Ok((private_pem, fingerprint)) => Event::Keys(KeysEvent::PrivateKeyReady {
            profile_id,
            private_pem,
            summary: format!("generated a {bits}-bit key, {fingerprint}"),
        }),
        Err(e) => failed(format!("key generation: {e}")),
    }
}

fn import_private(profile_id: String, from: FileChoice, passphrase: Option<Secret>) -> Event {
    let path = match dialogs::open_path(from, "Load private key") {
        Ok(path) => path,
        Err(unresolved) => return unresolved.into(),
    };
    let bytes = match files::read_capped(&path, KEY_FILE_CAP) {
        Ok(bytes) => zeroize::Zeroizing::new(bytes),
        Err(e) => return failed(e.to_string()),
    };
    let passphrase = passphrase.as_ref().map(Secret::expose);
    match keys::parse_private_key(&bytes, passphrase) {
        Ok(loaded) => {
            let pem = match keys::private_key_to_pkcs8_pem(&loaded.key, None) {
                Ok(pem) => Secret::new(pem.as_str()),
                Err(e) => return failed(e.to_string()),
            };
            let mut summary = format!(
                "loaded {} ({}, {} bits), {}",
                path.display(),
                loaded.format.describe(),
                loaded.bits,
                keys::fingerprint_sha256(&loaded.key.to_public_key())
            );
            for warning in &loaded.warnings {
                summary.push_str(&format!("; {warning}"));
            }
            Event::Keys(KeysEvent::PrivateKeyReady {
                profile_id,
                private_pem: pem,
                summary,
            })
        }
        Err(keys::KeyError::NeedsPassphrase) => {
            Event::Keys(KeysEvent::PassphraseNeeded { profile_id, path })
        }
        Err(e) => failed(format!("{}: {e}", path.display())),
    }
}

fn import_public(profile_id: String, from: FileChoice) -> Event {
    let path = match dialogs::open_path(from, "Load counterparty public key") {
        Ok(path) => path,
        Err(unresolved) => return unresolved.into(),
    };
    let loaded = files::read_capped(&path, KEY_FILE_CAP)
        .map_err(|e| e.to_string())
        .and_then(|bytes| {
            keys::parse_public_key(&bytes).map_err(|e| format!("{}: {e}", path.display()))
        })
        .and_then(|loaded| {
            let pem = keys::public_key_to_spki_pem(&loaded.key).map_err(|e| e.to_string())?;
            Ok((pem, loaded))
        });
    match loaded {
        Ok((public_pem, loaded)) => Event::Keys(KeysEvent::PublicKeyReady {
            profile_id,
            public_pem,
            summary: format!(
                "loaded {} ({}, {} bits), {}",
                path.display(),
                loaded.format.describe(),
                loaded.bits,
                keys::fingerprint_sha256(&loaded.key)
            ),
        }),
        Err(e) => failed(e),
    }
}

fn save_private(pem: &Secret, passphrase: Option<&Secret>, to: FileChoice) -> Event {
    let key = match keys::parse_private_key(pem.expose().as_bytes(), None) {
        Ok(loaded) => loaded.key,
        Err(e) => return failed(format!("the profile's private key: {e}")),
    };
    let path = match dialogs::save_path(to, "Save private key", "private_key.pem") {
        Ok(path) => path,
        Err(unresolved) => return unresolved.into(),
    };
    let passphrase = passphrase.map(Secret::expose).filter(|p| !p.is_empty());
    let written = keys::private_key_to_pkcs8_pem(&key, passphrase)
        .map_err(|e| e.to_string())
        .and_then(|out| {
            files::write_atomic(&path, out.as_bytes(), Sensitivity::Secret)
                .map_err(|e| e.to_string())
        });
    match written {
        Ok(()) => Event::Notice(Notice::Done(format!(
            "private key saved to {} (PKCS#8{}, mode 0600)",
            path.display(),
            if passphrase.is_some() {
                ", encrypted"
            } else {
                ""
            }
        ))),
        Err(e) => failed(e),
    }
}

fn export_public(private_pem: &Secret, to: FileChoice) -> Event {
    let public = match keys::parse_private_key(private_pem.expose().as_bytes(), None) {
        Ok(loaded) => loaded.key.to_public_key(),
        Err(e) => return failed(format!("the profile's private key: {e}")),
    };
    let path = match dialogs::save_path(to, "Export public key", "public_key.pem") {
        Ok(path) => path,
        Err(unresolved) => return unresolved.into(),
    };
    let written = keys::public_key_to_spki_pem(&public)
        .map_err(|e| e.to_string())
        .and_then(|pem| {
            files::write_atomic(&path, pem.as_bytes(), Sensitivity::Public)
                .map_err(|e| e.to_string())
        });
    match written {
        Ok(()) => Event::Notice(Notice::Done(format!(
            "public key exported to {} (SPKI PEM), {}",
            path.display(),
            keys::fingerprint_sha256(&public)
        ))),
        Err(e) => failed(e),
    }
}

/// "2048-bit RSA, SHA256:…" for a private or public PEM, or what is wrong with it.
fn describe(pem: &str) -> String {
    // The same cache describes a profile's client certificate and CA bundle.
    if pem.contains("-----BEGIN CERTIFICATE-----") {
        return match crate::net::client::identity::summarize(pem) {
            Some(Ok(summary)) => summary.to_string(),
            Some(Err(e)) => format!("unusable certificate: {e}"),
            None => String::new(),
        };
    }
    match keys::parse_public_key(pem.as_bytes()) {
        Ok(loaded) => format!(
            "{}-bit RSA, {}",
            loaded.bits,
            keys::fingerprint_sha256(&loaded.key)
        ),
        Err(e) => format!("unusable key: {e}"),
    }
}
