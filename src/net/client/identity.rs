//! The TLS material a profile can carry for banks' gateways: a client certificate and key
//! (mTLS), given as PEM or as PKCS#12 with a passphrase, and an extra CA bundle for servers
//! signed by a private CA. Everything is brought to one form on import — a PEM chain of
//! certificates and one unencrypted PEM private key — because rustls (our one TLS stack)
//! takes exactly that, and a passphrase then need not be kept: the key is held like the
//! profile's signing key, in the secret store.
//!
//! Pure: bytes in, PEM out; the caller reads the files and names them in its messages.

use p12_keystore::KeyStore;
use pkcs8::der::pem::LineEnding;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use x509_cert::der::Decode;

use crate::model::secret::Secret;

/// A client certificate chain and its key, ready for rustls.
#[derive(Clone, Debug)]
pub struct ClientIdentity {
    /// `CERTIFICATE` blocks only, the client's own first.
    pub cert_chain_pem: String,
    /// One `PRIVATE KEY`, `RSA PRIVATE KEY` or `EC PRIVATE KEY` block, unencrypted.
    pub key_pem: Secret,
    pub summary: CertSummary,
}

/// What a person needs to recognise a certificate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CertSummary {
    pub subject: String,
    pub issuer: String,
    /// `notAfter`, as the certificate says it (UTC).
    pub not_after: String,
    /// Certificates in the chain (or the bundle).
    pub count: usize,
}

impl std::fmt::Display for CertSummary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} (issued by {}, valid until {}",
            self.subject, self.issuer, self.not_after
        )?;
        if self.count > 1 {
            write!(f, "; {} certificates", self.count)?;
        }
        write!(f, ")")
    }
}

/// Why the material cannot be used. No message carries key bytes or a passphrase.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdentityError {
    #[error("no PEM CERTIFICATE block found")]
    NoCertificate,
    #[error("a certificate cannot be read: {0}")]
    BadCertificate(String),
    #[error(
        "no private key found (a PEM PRIVATE KEY, RSA PRIVATE KEY, EC PRIVATE KEY or ENCRYPTED PRIVATE KEY block)"
    )]
    NoKey,
    #[error("the private key is encrypted: give its passphrase")]
    PassphraseNeeded,
    #[error("the private key cannot be decrypted: wrong passphrase, or a damaged key")]
    KeyDecrypt,
    #[error("the PKCS#12 file cannot be opened: {0}")]
    Pkcs12(String),
    #[error("the PKCS#12 file holds no private key with its certificate")]
    Pkcs12NoKey,
}

/// A client identity from PEM text: `cert_pem` holds the certificate (and any
/// intermediates), `key_pem` the key; they may be the same text. An `ENCRYPTED PRIVATE
/// KEY` (PKCS#8) is decrypted with `passphrase`.
pub fn identity_from_pem(
    cert_pem: &[u8],
    key_pem: &[u8],
    passphrase: Option<&str>,
) -> Result<ClientIdentity, IdentityError> {
    let certs = certificates_in(cert_pem)?;
    let key_pem = match encrypted_key_block(key_pem) {
        Some(block) => decrypt_pkcs8(block, passphrase.ok_or(IdentityError::PassphraseNeeded)?)?,
        None => plain_key_pem(key_pem)?,
    };
    identity_of(&certs, key_pem)
}

/// A client identity from a PKCS#12 (`.p12`, `.pfx`) file and its passphrase.
pub fn identity_from_pkcs12(der: &[u8], passphrase: &str) -> Result<ClientIdentity, IdentityError> {
    let store = KeyStore::from_pkcs12(der, passphrase).map_err(|e| pkcs12_error(&e))?;
    let (_, chain) = store
        .private_key_chain()
        .ok_or(IdentityError::Pkcs12NoKey)?;
    let certs: Vec<Vec<u8>> = chain.chain().iter().map(|c| c.as_der().to_vec()).collect();
    if certs.is_empty() {
        return Err(IdentityError::Pkcs12NoKey);
    }
    let key_pem = pkcs8::der::pem::encode_string("PRIVATE KEY", LineEnding::LF, chain.key())
        .map_err(|e| IdentityError::Pkcs12(e.to_string()))?;
    identity_of(&certs, Secret::new(key_pem))
}

/// An extra CA bundle: its certificates re-encoded (anything else in the file dropped),
/// and a summary of the first.
pub fn ca_bundle_from_pem(pem: &[u8]) -> Result<(String, CertSummary), IdentityError> {
    let certs = certificates_in(pem)?;
    let summary = summarize_der(&certs)?;
    Ok((chain_pem(&certs)?, summary))
}

/// The summary of the first certificate of a stored chain or bundle; `None` when empty.
pub fn summarize(pem: &str) -> Option<Result<CertSummary, IdentityError>> {
    if pem.trim().is_empty() {
        return None;
    }
    Some(certificates_in(pem.as_bytes()).and_then(|certs| summarize_der(&certs)))
}

/// A proxy URL as a profile may hold it: `http://` or `https://` with a
/// host, no password (it would sit in clear in the profiles file), no path. Returns it
/// trimmed; empty stays empty (no proxy).
pub fn check_proxy_url(text: &str) -> Result<String, String> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(String::new());
    }
    let url = url::Url::parse(text).map_err(|e| format!("'{text}' is not a URL: {e}"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(format!(
            "'{text}': a proxy URL starts with http:// or https://"
        ));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(format!("'{text}' has no host"));
    }
    if url.password().is_some() {
        return Err(
            "the proxy URL holds a password, which would be kept in clear in the profiles file; give the URL without it".into(),
        );
    }
    if !matches!(url.path(), "" | "/") || url.query().is_some() {
        return Err(format!(
            "'{text}': a proxy URL is scheme://host:port, without a path or query"
        ));
    }
    Ok(text.trim_end_matches('/').to_string())
}

fn identity_of(certs: &[Vec<u8>], key_pem: Secret) -> Result<ClientIdentity, IdentityError> {
    Ok(ClientIdentity {
        cert_chain_pem: chain_pem(certs)?,
        key_pem,
        summary: summarize_der(certs)?,
    })
}

fn certificates_in(pem: &[u8]) -> Result<Vec<Vec<u8>>, IdentityError> {
    let certs = CertificateDer::pem_slice_iter(pem)
        .map(|c| c.map(|c| c.as_ref().to_vec()))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| IdentityError::BadCertificate(e.to_string()))?;
    if certs.is_empty() {
        return Err(IdentityError::NoCertificate);
    }
    Ok(certs)
}

fn chain_pem(certs: &[Vec<u8>]) -> Result<String, IdentityError> {
    certs
        .iter()
        .map(|der| pkcs8::der::pem::encode_string("CERTIFICATE", LineEnding::LF, der))
        .collect::<Result<String, _>>()
        .map_err(|e| IdentityError::BadCertificate(e.to_string()))
}

fn summarize_der(certs: &[Vec<u8>]) -> Result<CertSummary, IdentityError> {
    let first = certs.first().ok_or(IdentityError::NoCertificate)?;
    let cert = x509_cert::Certificate::from_der(first)
        .map_err(|e| IdentityError::BadCertificate(e.to_string()))?;
    let tbs = &cert.tbs_certificate;
    Ok(CertSummary {
        subject: tbs.subject.to_string(),
        issuer: tbs.issuer.to_string(),
        not_after: tbs.validity.not_after.to_string(),
        count: certs.len(),
    })
}

/// The first plain key block, re-encoded on its own (the file may hold certificates too).
fn plain_key_pem(pem: &[u8]) -> Result<Secret, IdentityError> {
    let key = PrivateKeyDer::from_pem_slice(pem).map_err(|_| IdentityError::NoKey)?;
    let (label, der) = match &key {
        PrivateKeyDer::Pkcs1(k) => ("RSA PRIVATE KEY", k.secret_pkcs1_der()),
        PrivateKeyDer::Sec1(k) => ("EC PRIVATE KEY", k.secret_sec1_der()),
        PrivateKeyDer::Pkcs8(k) => ("PRIVATE KEY", k.secret_pkcs8_der()),
        _ => return Err(IdentityError::NoKey),
    };
    pkcs8::der::pem::encode_string(label, LineEnding::LF, der)
        .map(Secret::new)
        .map_err(|_| IdentityError::NoKey)
}

const ENCRYPTED_BEGIN: &str = "-----BEGIN ENCRYPTED PRIVATE KEY-----";
const ENCRYPTED_END: &str = "-----END ENCRYPTED PRIVATE KEY-----";

fn encrypted_key_block(pem: &[u8]) -> Option<&str> {
    let text = std::str::from_utf8(pem).ok()?;
    let start = text.find(ENCRYPTED_BEGIN)?;
    let end = text[start..].find(ENCRYPTED_END)? + start + ENCRYPTED_END.len();
    Some(&text[start..end])
}

fn decrypt_pkcs8(block: &str, passphrase: &str) -> Result<Secret, IdentityError> {
    let (_, document) = pkcs8::Document::from_pem(block).map_err(|_| IdentityError::NoKey)?;
    let encrypted = pkcs8::EncryptedPrivateKeyInfo::try_from(document.as_bytes())
        .map_err(|_| IdentityError::NoKey)?;
    let plain = encrypted
        .decrypt(passphrase)
        .map_err(|_| IdentityError::KeyDecrypt)?;
    plain
        .to_pem("PRIVATE KEY", LineEnding::LF)
        .map(|pem| Secret::new(pem.as_str()))
        .map_err(|_| IdentityError::KeyDecrypt)
}

fn pkcs12_error(e: &p12_keystore::error::Error) -> IdentityError {
    use p12_keystore::error::Error as P;
    match e {
        P::MacError(_) => IdentityError::Pkcs12(
            "the passphrase is wrong (the file's integrity check fails with it)".into(),
        ),
        P::DerError(_) | P::InvalidVersion | P::InvalidData | P::InvalidLength => {
            IdentityError::Pkcs12("it is not a PKCS#12 file, or it is damaged".into())
        }
        other => IdentityError::Pkcs12(other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proxy_urls() {
        assert_eq!(check_proxy_url(" "), Ok(String::new()));
        assert_eq!(
            check_proxy_url("http://proxy.corp:3128/"),
            Ok("http://proxy.corp:3128".into())
        );
        assert!(check_proxy_url("http://me:pw@proxy:3128").is_err());
        assert!(check_proxy_url("ftp://proxy").is_err());
        assert!(check_proxy_url("http://proxy/path").is_err());
        assert!(check_proxy_url("proxy:3128").is_err());
    }

    #[test]
    fn garbage_is_refused_with_a_reason() {
        assert_eq!(
            identity_from_pem(b"nothing", b"nothing", None).err(),
            Some(IdentityError::NoCertificate)
        );
        assert!(matches!(
            identity_from_pkcs12(b"not a p12", "x"),
            Err(IdentityError::Pkcs12(_))
        ));
    }
}
