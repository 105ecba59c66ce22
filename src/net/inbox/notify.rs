//! Send a notification signed as a provider would (NICEPAY's rule: SHA256withRSA over
//! `X-CLIENT-KEY|X-TIMESTAMP`) to any URL: the developer's own merchant server, or this
//! console's inbox. The composer calls [`send_test_notification`].

use std::time::{Duration, Instant};

use serde_json::json;

use crate::net::http;
use crate::snap::catalog;
use crate::snap::keys::RsaPrivateKey;
use crate::snap::notification::sign as sign_notification;
use crate::snap::timestamp;

/// Answers larger than this are cut (a merchant's answer is small).
pub const MAX_ANSWER_BYTES: usize = 1024 * 1024;

/// What to send. `Debug` leaves the key out.
#[derive(Clone)]
pub struct TestNotification {
    /// A full URL. With no path (or `/`), the VA payment notification path
    /// `/api/v1.0/transfer-va/payment` is appended.
    pub url: String,
    /// X-CLIENT-KEY (NICEPAY puts the merchant's client ID there).
    pub client_id: String,
    /// The provider's (notification) private key.
    pub private_key: RsaPrivateKey,
    /// Sent byte for byte; see [`sample_va_payment_notification`].
    pub body: String,
    /// X-TIMESTAMP; `None` means now, in Jakarta time.
    pub timestamp: Option<String>,
    pub timeout: Duration,
}

impl std::fmt::Debug for TestNotification {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestNotification")
            .field("url", &self.url)
            .field("client_id", &self.client_id)
            .field("private_key", &"<redacted>")
            .field("body_bytes", &self.body.len())
            .finish()
    }
}

/// What was sent and what came back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotificationOutcome {
    /// The URL actually called.
    pub url: String,
    pub sent_headers: Vec<(String, String)>,
    pub string_to_sign: String,
    pub status: u16,
    pub headers: Vec<(String, String)>,
    /// The answer as text (invalid UTF-8 shown as U+FFFD), at most [`MAX_ANSWER_BYTES`].
    pub body: String,
    pub body_truncated: bool,
    pub elapsed_ms: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum NotifyError {
    #[error("the URL '{url}' cannot be used: {reason}")]
    Url { url: String, reason: String },
    #[error("cannot sign the notification: {0}")]
    Sign(String),
    #[error("no answer from {url}: {reason}")]
    Send { url: String, reason: String },
}

/// A VA payment notification body as NICEPAY sends it
/// (spec/nicepay-va-payment-notification.txt), with values good for a test.
pub fn sample_va_payment_notification(partner_service_id: &str, customer_no: &str) -> String {
    let now = timestamp::now_jakarta();
    let trx_id = format!("INBOX{}", &timestamp::new_external_id(12));
    json!({
        "partnerServiceId": partner_service_id,
        "customerNo": customer_no,
        "virtualAccountNo": format!("{partner_service_id}{customer_no}"),
        "virtualAccountName": "Inbox Test Customer",
        "trxId": trx_id,
        "paymentRequestId": timestamp::new_external_id(20),
        "paidAmount": {"value": "10000.00", "currency": "IDR"},
        "trxDateTime": now,
        "additionalInfo": {
            "bankCd": "BMRI",
            "goodsNm": "Test goods",
            "vacctValidDt": "20991231",
            "vacctValidTm": "235959"
        }
    })
    .to_string()
}

/// The URL to call: as given, or with the VA payment path when it has none.
pub fn target_url(url: &str) -> Result<url::Url, NotifyError> {
    let bad = |reason: String| NotifyError::Url {
        url: url.chars().take(200).collect(),
        reason,
    };
    let mut parsed = url::Url::parse(url.trim()).map_err(|e| bad(e.to_string()))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(bad(format!(
            "the scheme is {}; http or https is needed",
            parsed.scheme()
        )));
    }
    if parsed.path().is_empty() || parsed.path() == "/" {
        let path = catalog::by_code("25")
            .map(|s| s.full_path(catalog::API_PREFIX))
            .unwrap_or_else(|| "/api/v1.0/transfer-va/payment".to_string());
        parsed.set_path(&path);
    }
    Ok(parsed)
}

/// Sign and POST one notification; any HTTP answer (even 500) is an outcome, not an error.
pub async fn send_test_notification(
    notification: &TestNotification,
) -> Result<NotificationOutcome, NotifyError> {
    let url = target_url(&notification.url)?;
    let shown_url = url.to_string();
    let timestamp = notification
        .timestamp
        .clone()
        .unwrap_or_else(timestamp::now_jakarta);
    let signed = sign_notification(
        &notification.client_id,
        &timestamp,
        &notification.private_key,
    )
    .map_err(|e| NotifyError::Sign(e.to_string()))?;
    let sent_headers: Vec<(String, String)> = signed
        .headers
        .into_iter()
        .map(|(name, value)| (name.to_string(), value))
        .collect();

    let send_error = |reason: String| NotifyError::Send {
        url: shown_url.clone(),
        reason,
    };
    let mut builder = reqwest::Client::builder().timeout(notification.timeout);
    if http::is_loopback(&url) {
        // A proxy from the environment must not swallow a call to this machine.
        builder = builder.no_proxy();
    }
    let client = builder
        .build()
        .map_err(|e| send_error(http::error_chain(&e)))?;
    let mut request = client.post(url.clone()).body(notification.body.clone());
    for (name, value) in &sent_headers {
        request = request.header(name, value);
    }
    let started = Instant::now();
    let mut response = request
        .send()
        .await
        .map_err(|e| send_error(http::describe(&e)))?;
    let status = response.status().as_u16();
    let headers = response
        .headers()
        .iter()
        .map(|(n, v)| {
            (
                n.as_str().to_string(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
    let mut bytes = Vec::new();
    let mut truncated = false;
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                let room = MAX_ANSWER_BYTES.saturating_sub(bytes.len());
                if chunk.len() > room {
                    bytes.extend_from_slice(&chunk[..room]);
                    truncated = true;
                    break;
                }
                bytes.extend_from_slice(&chunk);
            }
            Ok(None) => break,
            Err(e) => return Err(send_error(http::describe_body(&e))),
        }
    }
    Ok(NotificationOutcome {
        url: shown_url,
        sent_headers,
        string_to_sign: signed.string_to_sign,
        status,
        headers,
        body: String::from_utf8_lossy(&bytes).into_owned(),
        body_truncated: truncated,
        elapsed_ms: started.elapsed().as_millis().try_into().unwrap_or(u64::MAX),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bare_base_url_gets_the_payment_path() {
        let url = target_url("http://127.0.0.1:8080").map(|u| u.to_string());
        assert_eq!(
            url.ok().as_deref(),
            Some("http://127.0.0.1:8080/api/v1.0/transfer-va/payment")
        );
        let url = target_url("http://h.example/notify?x=1").map(|u| u.to_string());
        assert_eq!(url.ok().as_deref(), Some("http://h.example/notify?x=1"));
        assert!(target_url("ftp://h.example").is_err());
        assert!(target_url("not a url").is_err());
    }

    #[test]
    fn sample_body_has_the_documented_fields() {
        let body = sample_va_payment_notification("   12345", "0001");
        let v: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
        for field in [
            "partnerServiceId",
            "customerNo",
            "virtualAccountNo",
            "virtualAccountName",
            "trxId",
            "paymentRequestId",
            "paidAmount",
            "trxDateTime",
            "additionalInfo",
        ] {
            assert!(v.get(field).is_some(), "{field} missing");
        }
    }
}
