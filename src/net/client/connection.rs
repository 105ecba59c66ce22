//! The HTTP client a profile connects with: redirects not followed, the profile's TLS
//! setting, its extra CA bundle, its mTLS identity and its explicit proxy. Proxies from the
//! environment are never used (`HTTPS_PROXY` and friends): the composer talks to the host
//! it shows, or through the one proxy the profile names, and the Private_Key guard in
//! `build` relies on that.

use zeroize::Zeroizing;

use super::send::SendError;
use crate::model::{Profile, ProfileSecrets};
use crate::net::http;

/// A client for a plain connection: no identity, no extra CAs, no proxy.
pub fn http_client(verify_tls: bool) -> Result<reqwest::Client, SendError> {
    let profile = Profile {
        verify_tls,
        ..Profile::default()
    };
    http_client_for(&profile, &ProfileSecrets::default())
}

/// The client for `profile`: each of its connection settings applied, each refusal
/// naming the setting.
pub fn http_client_for(
    profile: &Profile,
    secrets: &ProfileSecrets,
) -> Result<reqwest::Client, SendError> {
    let mut builder = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .user_agent(concat!("snap-console/", env!("CARGO_PKG_VERSION")))
        .danger_accept_invalid_certs(!profile.verify_tls);
    if !profile.ca_bundle_pem.trim().is_empty() {
        for cert in reqwest::Certificate::from_pem_bundle(profile.ca_bundle_pem.as_bytes())
            .map_err(|e| setting_error("extra CA bundle", &e))?
        {
            builder = builder.add_root_certificate(cert);
        }
    }
    if let Some(identity) = identity_of(profile, secrets)? {
        builder = builder.identity(identity);
    }
    let proxy = profile.proxy_url.trim();
    if !proxy.is_empty() {
        let proxy = reqwest::Proxy::all(proxy).map_err(|e| setting_error("proxy URL", &e))?;
        builder = builder.proxy(proxy);
    }
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
fn identity_of(
    profile: &Profile,
    secrets: &ProfileSecrets,
) -> Result<Option<reqwest::Identity>, SendError> {
    let cert = profile.client_cert_pem.trim();
    let key = secrets.client_cert_key_pem.expose().trim();
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
