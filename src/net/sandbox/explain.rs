//! Why a signature was rejected, in words: what the sandbox hashed and verified, and (with
//! explain on) which known variant the caller's signature does match, found by the
//! diagnosis engine (snap::diagnose). Never a secret or a key: only fingerprints, hashes and
//! the names of the variants.

use rsa::RsaPublicKey;
use zeroize::Zeroizing;

use super::state::Shared;
use crate::snap::diagnose::{self, Diagnosis};
use crate::snap::keys;
use crate::snap::signature::{SignatureError, SignatureInput, VerifyingSecret};

/// An owned copy of what verifies, to hand to a blocking thread.
pub(crate) enum VerifyKey {
    Rsa(RsaPublicKey),
    Hmac(Zeroizing<Vec<u8>>),
}

/// The first sentence of a rejected symmetric signature.
pub(crate) fn symmetric_mismatch(body_hash: &str) -> String {
    format!(
        "HMAC-SHA512 over the stringToSign with the client secret did not match; body hash of what we received is {body_hash}"
    )
}

/// The first sentence of a rejected token signature.
pub(crate) fn token_mismatch(key: &RsaPublicKey) -> String {
    format!(
        "SHA256withRSA over X-CLIENT-KEY|X-TIMESTAMP did not verify with the registered partner public key ({})",
        keys::fingerprint_sha256(key)
    )
}

/// What is wrong with the X-SIGNATURE text itself, when it cannot even be decoded.
pub(crate) fn unreadable_signature(error: &SignatureError) -> String {
    format!("X-SIGNATURE cannot be read: {error}")
}

/// Run the diagnosis on a blocking thread (it may verify dozens of RSA candidates), at most
/// a couple at once: when busy, or when nothing matches usefully, it says so.
pub(crate) async fn variant_hint(
    shared: &Shared,
    input: SignatureInput,
    signature: &str,
    key: VerifyKey,
) -> String {
    let Ok(_permit) = shared.diagnoses.try_acquire() else {
        return "(no variant search: the sandbox is busy diagnosing other requests)".to_string();
    };
    let signature = signature.to_string();
    let diagnosis = tokio::task::spawn_blocking(move || {
        let secret = match &key {
            VerifyKey::Rsa(public) => VerifyingSecret::Rsa(public),
            VerifyKey::Hmac(secret) => VerifyingSecret::Hmac(secret),
        };
        diagnose::diagnose(&input, &signature, secret).ok()
    })
    .await
    .ok()
    .flatten();
    match diagnosis {
        Some(diagnosis) => describe(&diagnosis),
        None => "(no variant search: the signature could not be decoded)".to_string(),
    }
}

fn describe(diagnosis: &Diagnosis) -> String {
    if !diagnosis.matched {
        return format!(
            "no known variant matches either ({} tried: minify modes, path, token, timestamp, method, secret encoding), so the key or secret, or the values signed, differ",
            diagnosis.tried
        );
    }
    if diagnosis.deviations.is_empty() {
        return "it verifies as sent on a second look".to_string();
    }
    format!(
        "your signature matches a known variant: {}",
        diagnosis.deviation_texts().join("; ")
    )
}
