//! A profile's connection material on the worker: the mTLS client certificate (PEM, with
//! its key beside it or in a second file, or PKCS#12) and the extra CA bundle, read from a
//! dialog or a typed path, converted to the PEM form rustls takes, and checked by making a
//! client with it (a key that is not the certificate's is caught here, not at the first
//! send). Files and parsing never touch the UI thread.

use std::path::Path;

use super::dialogs::{self, FileChoice};
use super::{Event, blocking, failed};
use crate::model::{Profile, ProfileSecrets, Secret};
use crate::net::client::http_client_for;
use crate::net::client::identity::{self, ClientIdentity};
use crate::store::files;

/// Why a proxy URL cannot be kept (for the panel, which checks as the user types).
pub use crate::net::client::identity::check_proxy_url;

/// Certificates, keys and CA bundles are kilobytes; a bundle of every public CA under 1 MB.
const TLS_FILE_CAP: u64 = 4 * 1024 * 1024;

#[derive(Debug)]
pub enum ConnectionCommand {
    /// A client certificate: PEM (the key in the same file, or in `key`), or PKCS#12
    /// (recognised by its content); `passphrase` for PKCS#12 or an encrypted key.
    ImportClientCert {
        profile_id: String,
        from: FileChoice,
        key: Option<FileChoice>,
        passphrase: Option<Secret>,
    },
    ImportCaBundle {
        profile_id: String,
        from: FileChoice,
    },
}

#[derive(Debug)]
pub enum ConnectionEvent {
    ClientCertReady {
        profile_id: String,
        cert_chain_pem: String,
        key_pem: Secret,
        summary: String,
    },
    CaBundleReady {
        profile_id: String,
        pem: String,
        summary: String,
    },
}

pub async fn handle(command: ConnectionCommand) -> Event {
    blocking(move || match command {
        ConnectionCommand::ImportClientCert {
            profile_id,
            from,
            key,
            passphrase,
        } => import_client_cert(profile_id, from, key, passphrase.as_ref()),
        ConnectionCommand::ImportCaBundle { profile_id, from } => {
            import_ca_bundle(profile_id, from)
        }
    })
    .await
}

fn import_client_cert(
    profile_id: String,
    from: FileChoice,
    key: Option<FileChoice>,
    passphrase: Option<&Secret>,
) -> Event {
    let path = match dialogs::open_path(from, "Load client certificate (PEM or PKCS#12)") {
        Ok(path) => path,
        Err(unresolved) => return unresolved.into(),
    };
    let key_path = match key {
        Some(choice) => match dialogs::open_path(choice, "Load the client certificate's key") {
            Ok(path) => Some(path),
            Err(unresolved) => return unresolved.into(),
        },
        None => None,
    };
    let identity = match read_identity(&path, key_path.as_deref(), passphrase) {
        Ok(identity) => identity,
        Err(e) => return failed(e),
    };
    if let Err(e) = check_usable(&identity) {
        return failed(format!("{}: {e}", path.display()));
    }
    Event::Connection(ConnectionEvent::ClientCertReady {
        profile_id,
        summary: format!("client certificate {}", identity.summary),
        cert_chain_pem: identity.cert_chain_pem,
        key_pem: identity.key_pem,
    })
}

fn read_identity(
    path: &Path,
    key_path: Option<&Path>,
    passphrase: Option<&Secret>,
) -> Result<ClientIdentity, String> {
    let bytes = read(path)?;
    let passphrase = passphrase.map(Secret::expose);
    if !looks_like_pem(&bytes) {
        return identity::identity_from_pkcs12(&bytes, passphrase.unwrap_or_default())
            .map_err(|e| format!("{}: {e}", path.display()));
    }
    let key = match key_path {
        Some(key_path) => read(key_path)?,
        None => bytes.clone(),
    };
    identity::identity_from_pem(&bytes, &key, passphrase).map_err(|e| {
        let key_name = key_path.unwrap_or(path).display();
        format!("{} / {key_name}: {e}", path.display())
    })
}

/// A client can be made with it (rustls checks that the key is the certificate's).
fn check_usable(identity: &ClientIdentity) -> Result<(), String> {
    let profile = Profile {
        client_cert_pem: identity.cert_chain_pem.clone(),
        ..Profile::default()
    };
    let secrets = ProfileSecrets {
        client_cert_key_pem: identity.key_pem.clone(),
        ..ProfileSecrets::default()
    };
    http_client_for(&profile, &secrets)
        .map(drop)
        .map_err(|e| e.to_string())
}

fn import_ca_bundle(profile_id: String, from: FileChoice) -> Event {
    let path = match dialogs::open_path(from, "Load extra CA certificates (PEM)") {
        Ok(path) => path,
        Err(unresolved) => return unresolved.into(),
    };
    let loaded = read(&path).and_then(|bytes| {
        identity::ca_bundle_from_pem(&bytes).map_err(|e| format!("{}: {e}", path.display()))
    });
    match loaded {
        Ok((pem, summary)) => Event::Connection(ConnectionEvent::CaBundleReady {
            profile_id,
            pem,
            summary: format!("extra CA bundle {summary}"),
        }),
        Err(e) => failed(e),
    }
}

fn read(path: &Path) -> Result<zeroize::Zeroizing<Vec<u8>>, String> {
    files::read_capped(path, TLS_FILE_CAP)
        .map(zeroize::Zeroizing::new)
        .map_err(|e| e.to_string())
}

fn looks_like_pem(bytes: &[u8]) -> bool {
    memchr::memmem::find(bytes, b"-----BEGIN ").is_some()
}
