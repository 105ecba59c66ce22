//! The connection flags `profile add` and `profile set` share: a client certificate for
//! mTLS (PEM, or PKCS#12 with its passphrase), an extra CA bundle, an explicit proxy.
//! Passphrases come only from environment variables; files are read capped.

use std::path::{Path, PathBuf};

use clap::Args;
use zeroize::Zeroizing;

use super::inputs::{CliError, secret_from_env};
use crate::model::{Profile, ProfileSecrets};
use crate::net::client::identity::{self, ClientIdentity};
use crate::store::files;

/// Certificates and keys are kilobytes; a bundle of every public CA is under 1 MB.
const MAX_TLS_FILE: u64 = 4 * 1024 * 1024;

#[derive(Args, Debug, Default)]
pub struct ConnectionArgs {
    /// mTLS: the client certificate (PEM; intermediates after it). The file may hold the
    /// key too; otherwise give --client-key.
    #[arg(long, value_name = "FILE", conflicts_with = "client_pkcs12")]
    pub client_cert: Option<PathBuf>,
    /// mTLS: the client certificate's private key (PEM: PKCS#8, PKCS#1, SEC1, or an
    /// encrypted PKCS#8 with --client-key-passphrase-env).
    #[arg(long, value_name = "FILE", requires = "client_cert")]
    pub client_key: Option<PathBuf>,
    /// Environment variable holding the client key's passphrase.
    #[arg(long, value_name = "VAR", requires = "client_cert")]
    pub client_key_passphrase_env: Option<String>,
    /// mTLS: a PKCS#12 file (.p12/.pfx) with the client certificate and key; it is
    /// converted to PEM on import and the passphrase is not kept.
    #[arg(long, value_name = "FILE")]
    pub client_pkcs12: Option<PathBuf>,
    /// Environment variable holding the PKCS#12 passphrase (none: an empty passphrase).
    #[arg(long, value_name = "VAR", requires = "client_pkcs12")]
    pub pkcs12_passphrase_env: Option<String>,
    /// Extra CA certificates (PEM) to trust for this profile's servers, beside the system's.
    #[arg(long, value_name = "FILE")]
    pub ca_bundle: Option<PathBuf>,
    /// An explicit proxy, http://host:port. The environment's HTTP(S)_PROXY is never used.
    #[arg(long, value_name = "URL")]
    pub proxy: Option<String>,
}

/// What the flags changed, for the confirmation lines.
#[derive(Debug, Default)]
pub struct Applied {
    pub lines: Vec<String>,
}

impl ConnectionArgs {
    /// Read every file the flags name and put what they hold into `profile` and
    /// `secrets`. Nothing is changed unless everything could be read.
    pub fn apply(
        &self,
        profile: &mut Profile,
        secrets: &mut ProfileSecrets,
    ) -> Result<Applied, CliError> {
        let identity = self.identity()?;
        let bundle = self.ca_bundle.as_deref().map(read_bundle).transpose()?;
        let proxy = self
            .proxy
            .as_deref()
            .map(identity::check_proxy_url)
            .transpose()
            .map_err(|e| CliError::input("--proxy", e))?;
        let mut applied = Applied::default();
        if let Some(identity) = identity {
            applied
                .lines
                .push(format!("client certificate {}", identity.summary));
            profile.client_cert_pem = identity.cert_chain_pem;
            secrets.client_cert_key_pem = identity.key_pem;
        }
        if let Some((pem, summary)) = bundle {
            applied.lines.push(format!("extra CA bundle {summary}"));
            profile.ca_bundle_pem = pem;
        }
        if let Some(proxy) = proxy {
            applied.lines.push(if proxy.is_empty() {
                "no proxy".to_string()
            } else {
                format!("proxy {proxy}")
            });
            profile.proxy_url = proxy;
        }
        Ok(applied)
    }

    fn identity(&self) -> Result<Option<ClientIdentity>, CliError> {
        if let Some(path) = &self.client_pkcs12 {
            let bytes = read("--client-pkcs12", path)?;
            let passphrase = match &self.pkcs12_passphrase_env {
                Some(var) => secret_from_env("--pkcs12-passphrase-env", var)?,
                None => Zeroizing::new(String::new()),
            };
            return identity::identity_from_pkcs12(&bytes, &passphrase)
                .map(Some)
                .map_err(|e| {
                    CliError::input("--client-pkcs12", format!("{}: {e}", path.display()))
                });
        }
        let Some(cert_path) = &self.client_cert else {
            return Ok(None);
        };
        let cert = read("--client-cert", cert_path)?;
        let key_path = self.client_key.as_deref().unwrap_or(cert_path);
        let key = read("--client-key", key_path)?;
        let passphrase = self
            .client_key_passphrase_env
            .as_deref()
            .map(|var| secret_from_env("--client-key-passphrase-env", var))
            .transpose()?;
        identity::identity_from_pem(&cert, &key, passphrase.as_ref().map(|p| p.as_str()))
            .map(Some)
            .map_err(|e| {
                CliError::input(
                    "--client-cert",
                    format!("{} / {}: {e}", cert_path.display(), key_path.display()),
                )
            })
    }
}

fn read(flag: &'static str, path: &Path) -> Result<Zeroizing<Vec<u8>>, CliError> {
    files::read_capped(path, MAX_TLS_FILE)
        .map(Zeroizing::new)
        .map_err(|e| CliError::input(flag, e.to_string()))
}

fn read_bundle(path: &Path) -> Result<(String, identity::CertSummary), CliError> {
    let bytes = read("--ca-bundle", path)?;
    identity::ca_bundle_from_pem(&bytes)
        .map_err(|e| CliError::input("--ca-bundle", format!("{}: {e}", path.display())))
}
