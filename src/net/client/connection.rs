//! The HTTP client a profile connects with: redirects not followed, the profile's TLS
//! setting, its extra CA bundle, its mTLS identity and its explicit proxy. Proxies from the
//! environment are never used (`HTTPS_PROXY` and friends): the composer talks to the host
//! it shows, or through the one proxy the profile names, and the Private_Key guard in
//! `build` relies on that.

use zeroize::Zeroizing;

use super::send::SendError;
use crate::model::{Profile, ProfileSecrets, Secret};
use crate::net::http;

/// A profile's connection settings on their own, for callers that are not the composer (the
/// workbench's cross-check with a provider's signature utilities).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectionSettings {
    pub verify_tls: bool,
    pub client_cert_pem: String,
    /// `Secret`: a `{:?}` never shows it.
    pub client_key_pem: Secret,
    pub ca_bundle_pem: String,
    pub proxy_url: String,
}

impl Default for ConnectionSettings {
    fn default() -> Self {
        ConnectionSettings::of(&Profile::default(), &ProfileSecrets::default())
    }
}

impl ConnectionSettings {
    pub fn of(profile: &Profile, secrets: &ProfileSecrets) -> ConnectionSettings {
        ConnectionSettings {
            verify_tls: profile.verify_tls,
            client_cert_pem: profile.client_cert_pem.clone(),
            client_key_pem: secrets.client_cert_key_pem.clone(),
            ca_bundle_pem: profile.ca_bundle_pem.clone(),
            proxy_url: profile.proxy_url.clone(),
        }
    }

    /// Whether requests go through a proxy (then even a loopback URL leaves this machine's
    /// hands, and a private key must not travel without a yes).
    pub fn proxied(&self) -> bool {
        !self.proxy_url.trim().is_empty()
    }
}

/// A client for a plain connection: no identity, no extra CAs, no proxy.
pub fn http_client(verify_tls: bool) -> Result<reqwest::Client, SendError> {
    let settings = ConnectionSettings {
        verify_tls,
        ..ConnectionSettings::default()
    };
    build(builder_for(&settings)?)
}

/// The client for `profile`: each of its connection settings applied, each refusal
/// naming the setting.
pub fn http_client_for(
    profile: &Profile,
    secrets: &ProfileSecrets,
) -> Result<reqwest::Client, SendError> {
    build(builder_for(&ConnectionSettings::of(profile, secrets))?)
}

/// A client builder with these settings, for a caller that adds its own (a timeout).
pub fn builder_for(settings: &ConnectionSettings) -> Result<reqwest::ClientBuilder, SendError> {
    let mut builder = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .user_agent(concat!("snap-console/", env!("CARGO_PKG_VERSION")))
        .danger_accept_invalid_certs(!settings.verify_tls);
    if !settings.ca_bundle_pem.trim().is_empty() {
        for cert in reqwest::Certificate::from_pem_bundle(settings.ca_bundle_pem.as_bytes())
            .map_err(|e| setting_error("extra CA bundle", &e))?
        {
            builder = builder.add_root_certificate(cert);
        }
    }
    if let Some(identity) = identity_of(settings)? {
        builder = builder.identity(identity);
    }
    let proxy = settings.proxy_url.trim();
    if !proxy.is_empty() {
        let proxy = reqwest::Proxy::all(proxy).map_err(|e| setting_error("proxy URL", &e))?;
        builder = builder.proxy(proxy);
    }
    Ok(builder)
}

/// Build, wording the failures a person can act on.
pub fn build(builder: reqwest::ClientBuilder) -> Result<reqwest::Client, SendError> {
    builder.build().map_err(|e| {
        let chain = http::error_chain(&e);
        // rustls checks the key against the certificate only here.
        if chain.contains("KeyMismatch") {
            return SendError::Other(
                "the profile's client certificate and key do not belong together (the key is not the certificate's): load the pair again".into(),
            );
        }
        SendError::Other(format!(
            "cannot set up the HTTP client with this profile's connection settings: {chain}"
        ))
    })
}

/// The mTLS identity, when the profile has a client certificate; its key must be there too.
fn identity_of(settings: &ConnectionSettings) -> Result<Option<reqwest::Identity>, SendError> {
    let cert = settings.client_cert_pem.trim();
    let key = settings.client_key_pem.expose().trim();
    match (cert.is_empty(), key.is_empty()) {
        (true, true) => Ok(None),
        (false, true) => Err(SendError::Other(
            "the profile has a client certificate but no key for it: load the certificate again with its key (or PKCS#12 file)".into(),
        )),
        (true, false) => Err(SendError::Other(
            "the profile has a client certificate key but no certificate: load the certificate again".into(),
        )),
        (false, false) => {
            // rustls takes certificate and key as one PEM text; it holds the key, so it is
            // wiped when dropped.
            let joined = Zeroizing::new(format!("{cert}\n{key}\n"));
            reqwest::Identity::from_pem(joined.as_bytes())
                .map(Some)
                .map_err(|e| setting_error("client certificate and key", &e))
        }
    }
}

fn setting_error(setting: &str, e: &reqwest::Error) -> SendError {
    SendError::Other(format!(
        "the profile's {setting} cannot be used: {}",
        http::error_chain(e)
    ))
}
