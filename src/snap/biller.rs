//! The non-SNAP biller API (shared/spec/biller-json-api.txt): a JSON `trx` command signed
//! with `md5(username + password + trxid)`, and a reversal callback sent back as a GET
//! query string (`status=0|1&refid=…&product=…&qty=…&dest=…&message=…`).

use md5::{Digest, Md5};
use serde::{Deserialize, Serialize};

/// `md5(username . password . trxid)`, lower-case hex, as the document's PHP shows.
pub fn sign(username: &str, password: &str, trxid: &str) -> String {
    let mut hasher = Md5::new();
    hasher.update(username.as_bytes());
    hasher.update(password.as_bytes());
    hasher.update(trxid.as_bytes());
    hex::encode(hasher.finalize())
}

/// Compare a received sign with the expected one, ignoring hex case.
pub fn verify(username: &str, password: &str, trxid: &str, received_sign: &str) -> bool {
    sign(username, password, trxid).eq_ignore_ascii_case(received_sign.trim())
}

/// The transaction request body (`cmd` = `trx`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrxRequest {
    pub user: String,
    pub sign: String,
    pub trxid: String,
    pub cmd: String,
    pub idpel: String,
    pub produk: String,
}

/// The outcome a reversal callback reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum CallbackStatus {
    /// `status=0`
    Success,
    /// `status=1`
    Failed,
}

/// A parsed reversal callback query.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReversalCallback {
    pub status: CallbackStatus,
    pub refid: String,
    pub product: Option<String>,
    pub qty: Option<String>,
    pub dest: Option<String>,
    pub message: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CallbackError {
    #[error("the reversal callback has no '{0}' parameter")]
    Missing(&'static str),
    #[error("the reversal callback's status is '{0}'; expected 0 (success) or 1 (failed)")]
    BadStatus(String),
}

/// Parse a callback's query string (with or without a leading `?` or a full URL).
/// `+` means a space and `%XX` is decoded, as form encoding does.
pub fn parse_callback(query: &str) -> Result<ReversalCallback, CallbackError> {
    let query = match query.find('?') {
        Some(i) => &query[i + 1..],
        None => query,
    };
    let mut status = None;
    let mut callback = ReversalCallback {
        status: CallbackStatus::Failed,
        refid: String::new(),
        product: None,
        qty: None,
        dest: None,
        message: None,
    };
    let mut refid = None;
    for (key, value) in url::form_urlencoded::parse(query.as_bytes()) {
        let value = value.into_owned();
        match key.as_ref() {
            "status" => status = Some(value),
            "refid" => refid = Some(value),
            "product" => callback.product = Some(value),
            "qty" => callback.qty = Some(value),
            "dest" => callback.dest = Some(value),
            "message" => callback.message = Some(value),
            _ => {}
        }
    }
    callback.refid = refid.ok_or(CallbackError::Missing("refid"))?;
    callback.status = match status.as_deref().map(str::trim) {
        Some("0") => CallbackStatus::Success,
        Some("1") => CallbackStatus::Failed,
        Some(other) => return Err(CallbackError::BadStatus(other.chars().take(16).collect())),
        None => return Err(CallbackError::Missing("status")),
    };
    Ok(callback)
}

/// The query string a biller sends (the sandbox uses this for its callbacks).
pub fn callback_query(callback: &ReversalCallback) -> String {
    let mut out = url::form_urlencoded::Serializer::new(String::new());
    out.append_pair(
        "status",
        match callback.status {
            CallbackStatus::Success => "0",
            CallbackStatus::Failed => "1",
        },
    );
    out.append_pair("refid", &callback.refid);
    for (key, value) in [
        ("product", &callback.product),
        ("qty", &callback.qty),
        ("dest", &callback.dest),
        ("message", &callback.message),
    ] {
        if let Some(value) = value {
            out.append_pair(key, value);
        }
    }
    out.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn md5_sign_matches_php() {
        // php -r 'echo md5("usertesting"."secret"."22110111373985338");'
        assert_eq!(
            sign("usertesting", "secret", "22110111373985338"),
            hex::encode(Md5::digest(b"usertestingsecret22110111373985338"))
        );
        assert_eq!(sign("", "", ""), "d41d8cd98f00b204e9800998ecf8427e");
        assert!(verify("a", "b", "c", &sign("a", "b", "c").to_uppercase()));
        assert!(!verify("a", "b", "c", "00"));
    }

    #[test]
    fn parses_the_documents_callbacks() {
        let failed = "https://merchant.example/cb?status=1&refid=22110111373985338&product=banktrf&qty=1&dest=111111111&message=Transaksi+s5.111111111+GAGAL,+Saldo:+Rp99,999,999,+Tgl:+01/01+10:36:38";
        let parsed = parse_callback(failed);
        let Ok(parsed) = parsed else {
            panic!("{parsed:?}")
        };
        assert_eq!(parsed.status, CallbackStatus::Failed);
        assert_eq!(parsed.refid, "22110111373985338");
        assert_eq!(
            parsed.message.as_deref(),
            Some("Transaksi s5.111111111 GAGAL, Saldo: Rp99,999,999, Tgl: 01/01 10:36:38")
        );
        let again = parse_callback(&callback_query(&parsed));
        assert_eq!(again, Ok(parsed));
        assert_eq!(
            parse_callback("status=0"),
            Err(CallbackError::Missing("refid"))
        );
        assert_eq!(
            parse_callback("status=9&refid=1"),
            Err(CallbackError::BadStatus("9".into()))
        );
    }
}
