//! A notification signed as a provider signs it (NICEPAY's rule: SHA256withRSA over
//! `X-CLIENT-KEY|X-TIMESTAMP`, standard Base64, nicepay-va-payment-notification): the
//! string to sign and the headers to set, in one place for every sender (the sandbox's
//! payment notifications, the composer's "send a test notification").
//!
//! Pure: no I/O; the caller picks the timestamp and sends the headers.

use super::headers::{self, HeaderSet};
use super::keys::RsaPrivateKey;
use super::signature::{self, SignatureError, SignatureInput, SignatureKind, SigningSecret};

/// What a sender puts on the request: the headers of [`HeaderSet::Notification`], in order,
/// and the string that was signed (for showing).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedNotification {
    pub headers: Vec<(&'static str, String)>,
    pub string_to_sign: String,
}

/// Sign a notification from `client_id` at `timestamp` with the provider's private key.
pub fn sign(
    client_id: &str,
    timestamp: &str,
    key: &RsaPrivateKey,
) -> Result<SignedNotification, SignatureError> {
    let prepared = signature::prepare(&SignatureInput {
        kind: SignatureKind::Notification,
        client_id: client_id.to_string(),
        timestamp: timestamp.to_string(),
        ..SignatureInput::default()
    })?;
    let signature = signature::sign(&prepared, SigningSecret::Rsa(key))?;
    let headers = HeaderSet::Notification
        .specs()
        .iter()
        .map(|spec| {
            let value = match spec.name {
                headers::CONTENT_TYPE => headers::JSON.to_string(),
                headers::X_TIMESTAMP => timestamp.to_string(),
                headers::X_CLIENT_KEY => client_id.to_string(),
                headers::X_SIGNATURE => signature.clone(),
                _ => String::new(),
            };
            (spec.name, value)
        })
        .collect();
    Ok(SignedNotification {
        headers,
        string_to_sign: prepared.string_to_sign.text(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::snap::signature::VerifyingSecret;

    #[test]
    fn headers_carry_a_signature_over_client_and_timestamp() {
        let pem = include_str!("../../tests/fixtures/keys/test_rsa1024_pkcs8.pem");
        let Ok(loaded) = crate::snap::keys::parse_private_key(pem.as_bytes(), None) else {
            panic!("the fixture key parses");
        };
        let timestamp = "2024-11-29T14:15:00+07:00";
        let Ok(signed) = sign("IONPAYTEST", timestamp, &loaded.key) else {
            panic!("signs");
        };
        assert_eq!(signed.string_to_sign, format!("IONPAYTEST|{timestamp}"));
        let names: Vec<&str> = signed.headers.iter().map(|(n, _)| *n).collect();
        assert_eq!(
            names,
            [
                headers::CONTENT_TYPE,
                headers::X_TIMESTAMP,
                headers::X_CLIENT_KEY,
                headers::X_SIGNATURE
            ]
        );
        assert!(signed.headers.iter().all(|(_, v)| !v.is_empty()));
        let signature_text = &signed.headers[3].1;
        let prepared = signature::prepare(&SignatureInput {
            kind: SignatureKind::Notification,
            client_id: "IONPAYTEST".into(),
            timestamp: timestamp.into(),
            ..SignatureInput::default()
        });
        let public = loaded.key.to_public_key();
        let verdict = prepared
            .and_then(|p| signature::verify(&p, VerifyingSecret::Rsa(&public), signature_text));
        assert!(verdict.is_ok_and(|v| v.valid));
    }
}
