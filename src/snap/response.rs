//! SNAP response codes: `responseCode` String(7) = HTTP status (3) + service code (2) +
//! case code (2) (SNAP_NOTES §4). Decoding says what each part means and flags an HTTP
//! status that disagrees with the code.

use serde::Serialize;

use super::catalog;

/// The general case list (ASPI security page = Direct Debit page): (HTTP status, case code,
/// meaning). Where the meaning has a placeholder, providers fill it with a field or reason.
const CASES: &[(u16, &str, &str)] = &[
    (200, "00", "Successful"),
    (202, "00", "Request In Progress"),
    (400, "00", "Bad Request (the request could not be parsed)"),
    (400, "01", "Invalid Field Format {field}"),
    (400, "02", "Invalid Mandatory Field {field}"),
    (
        401,
        "00",
        "Unauthorized. [reason] (unknown client, bad signature, key not found…)",
    ),
    (401, "01", "Invalid Token (B2B) (missing/expired)"),
    (401, "02", "Invalid Customer Token"),
    (401, "03", "Token Not Found (B2B)"),
    (401, "04", "Customer Token Not Found"),
    (403, "00", "Transaction Expired"),
    (403, "01", "Feature Not Allowed [reason]"),
    (403, "02", "Exceeds Transaction Amount Limit"),
    (403, "03", "Suspected Fraud"),
    (403, "04", "Activity Count Limit Exceeded"),
    (403, "05", "Do Not Honor"),
    (403, "06", "Feature Not Allowed At This Time (cut-off)"),
    (403, "07", "Card Blocked"),
    (403, "08", "Card Expired"),
    (403, "09", "Dormant Account"),
    (403, "10", "Need To Set Token Limit"),
    (403, "11", "OTP Blocked"),
    (403, "12", "OTP Lifetime Expired"),
    (403, "13", "OTP Sent To Cardholder"),
    (403, "14", "Insufficient Funds"),
    (403, "15", "Transaction Not Permitted [reason]"),
    (403, "16", "Suspend Transaction"),
    (403, "17", "Token Limit Exceeded"),
    (403, "18", "Inactive Card/Account/Customer"),
    (403, "19", "Merchant Blacklisted"),
    (403, "20", "Merchant Limit Exceed"),
    (403, "21", "Set Limit Not Allowed"),
    (403, "22", "Token Limit Invalid"),
    (403, "23", "Account Limit Exceed"),
    (404, "00", "Invalid Transaction Status"),
    (404, "01", "Transaction Not Found"),
    (404, "02", "Invalid Routing"),
    (404, "03", "Bank Not Supported By Switch"),
    (404, "04", "Transaction Cancelled"),
    (404, "05", "Merchant Not Registered For Card Registration"),
    (404, "06", "Need To Request OTP"),
    (404, "07", "Journey Not Found"),
    (404, "08", "Invalid Merchant"),
    (404, "09", "No Issuer"),
    (404, "10", "Invalid API Transition"),
    (
        404,
        "11",
        "Invalid Card/Account/Customer [info]/Virtual Account",
    ),
    (
        404,
        "12",
        "Invalid Bill/Virtual Account [reason] (blocked/suspended/not found)",
    ),
    (404, "13", "Invalid Amount"),
    (404, "14", "Paid Bill"),
    (404, "15", "Invalid OTP"),
    (404, "16", "Partner Not Found"),
    (404, "17", "Invalid Terminal"),
    (
        404,
        "18",
        "Inconsistent Request (same reference, different parameters; success for transfers, VA payment, refund, void)",
    ),
    (404, "19", "Invalid Bill/Virtual Account (expired)"),
    (405, "00", "Requested Function Is Not Supported"),
    (
        405,
        "01",
        "Requested Operation Is Not Allowed (cancel/refund now)",
    ),
    (409, "00", "Conflict (same X-EXTERNAL-ID same day)"),
    (
        409,
        "01",
        "Duplicate partnerReferenceNo (already succeeded)",
    ),
    (429, "00", "Too Many Requests"),
    (500, "00", "General Error"),
    (500, "01", "Internal Server Error (retry)"),
    (500, "02", "External Server Error"),
    (504, "00", "Timeout"),
];

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DecodedCode {
    pub code: String,
    pub http_status: u16,
    pub service_code: String,
    /// None when the code is not in the catalog (providers renumber: SNAP_NOTES §4).
    pub service_name: Option<String>,
    pub case_code: String,
    /// None when the case is not in the general list.
    pub meaning: Option<String>,
}

impl DecodedCode {
    /// One line for people: "HTTP 401 · service 25 VA Payment · case 00 Unauthorized. [reason]".
    pub fn summary(&self) -> String {
        let service = match &self.service_name {
            Some(name) => format!("service {} {name}", self.service_code),
            None => format!("service {} (unknown)", self.service_code),
        };
        let case = match &self.meaning {
            Some(meaning) => format!("case {} {meaning}", self.case_code),
            None => format!("case {} (not in the general list)", self.case_code),
        };
        format!("HTTP {} · {service} · {case}", self.http_status)
    }

    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.http_status)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CodeError {
    #[error(
        "a SNAP responseCode has 7 digits (HTTP status, service code, case code); '{0}' has {1}"
    )]
    WrongLength(String, usize),
    #[error("a SNAP responseCode is digits only; '{0}' is not")]
    NotDigits(String),
    #[error("'{0}' does not start with an HTTP status (100–599)")]
    NotHttpStatus(String),
}

/// Decode a 7-digit responseCode.
pub fn decode(code: &str) -> Result<DecodedCode, CodeError> {
    let code = code.trim();
    let shown: String = code.chars().take(32).collect();
    if !code.bytes().all(|b| b.is_ascii_digit()) {
        return Err(CodeError::NotDigits(shown));
    }
    if code.len() != 7 {
        return Err(CodeError::WrongLength(shown, code.chars().count()));
    }
    let http_status: u16 = code[..3]
        .parse()
        .map_err(|_| CodeError::NotHttpStatus(shown.clone()))?;
    if !(100..600).contains(&http_status) {
        return Err(CodeError::NotHttpStatus(shown));
    }
    let service_code = code[3..5].to_string();
    let case_code = code[5..7].to_string();
    let meaning = CASES
        .iter()
        .find(|(status, case, _)| *status == http_status && *case == case_code)
        .map(|(_, _, meaning)| (*meaning).to_string());
    Ok(DecodedCode {
        code: code.to_string(),
        http_status,
        service_name: catalog::service_name(&service_code).map(str::to_string),
        service_code,
        case_code,
        meaning,
    })
}

/// A message when the response's HTTP status differs from the code's first three digits
/// (the HTTP status is authoritative, SNAP_NOTES §4).
pub fn status_mismatch(code: &DecodedCode, http_status: u16) -> Option<String> {
    (code.http_status != http_status).then(|| {
        format!(
            "HTTP status {http_status} disagrees with responseCode {} (which says {}); the HTTP status is authoritative",
            code.code, code.http_status
        )
    })
}

/// Compose a responseCode: HTTP status + service code + case code.
pub fn compose(http_status: u16, service_code: &str, case_code: &str) -> String {
    format!("{http_status:03}{service_code:0>2}{case_code:0>2}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_known_codes() {
        let Ok(d) = decode("4012500") else {
            panic!("decode failed")
        };
        assert_eq!(d.http_status, 401);
        assert_eq!(d.service_name.as_deref(), Some("VA Payment"));
        assert_eq!(d.case_code, "00");
        assert!(
            d.meaning
                .as_deref()
                .unwrap_or_default()
                .starts_with("Unauthorized")
        );
        assert!(d.summary().contains("service 25 VA Payment"));
        let Ok(token) = decode("2007300") else {
            panic!("decode failed")
        };
        assert!(token.is_success());
        assert_eq!(token.meaning.as_deref(), Some("Successful"));
        assert_eq!(
            decode("4042518")
                .ok()
                .and_then(|d| d.meaning)
                .map(|m| m.starts_with("Inconsistent Request")),
            Some(true)
        );
    }

    #[test]
    fn unknown_parts_and_bad_input() {
        let Ok(d) = decode("4999999") else {
            panic!("decode failed")
        };
        assert_eq!(d.service_name, None);
        assert_eq!(d.meaning, None);
        assert!(matches!(
            decode("20054000"),
            Err(CodeError::WrongLength(_, 8))
        ));
        assert!(matches!(decode("40A2500"), Err(CodeError::NotDigits(_))));
        assert!(matches!(
            decode("0002500"),
            Err(CodeError::NotHttpStatus(_))
        ));
    }

    #[test]
    fn mismatch_and_compose() {
        let d = decode("4012500").ok();
        assert!(d.as_ref().and_then(|d| status_mismatch(d, 200)).is_some());
        assert!(d.as_ref().and_then(|d| status_mismatch(d, 401)).is_none());
        assert_eq!(compose(409, "25", "0"), "4092500");
    }
}
