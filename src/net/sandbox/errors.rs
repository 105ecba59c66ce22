//! SNAP error answers: `{responseCode, responseMessage}` with the endpoint's service code,
//! the HTTP status equal to the code's first three digits (SNAP_NOTES §4), and, with explain
//! on, the sandbox's reasoning in `X-SANDBOX-*` headers.

use serde_json::json;

use super::respond::Answer;
use crate::snap::response;
use crate::snap::validate::{FieldProblem, ProblemKind};

/// SNAP caps responseMessage at 150 characters.
const MAX_MESSAGE: usize = 150;
const MAX_REASON_HEADER: usize = 1024;
const MAX_STRING_TO_SIGN_HEADER: usize = 4096;

/// Service code for answers outside SNAP's numbering (the ASPI helpers, unknown paths).
pub(crate) const NO_SERVICE: &str = "00";

/// A rejected request.
#[derive(Debug, Clone)]
pub(crate) struct Rejection {
    pub code: String,
    pub message: String,
    /// Why, in plain words: X-SANDBOX-REASON with explain on, and the journal always.
    pub reason: Option<String>,
    /// The stringToSign the sandbox computed: X-SANDBOX-EXPECTED-STRING-TO-SIGN with explain
    /// on. Never journalled (it carries the caller's access token).
    pub expected_string_to_sign: Option<String>,
    pub close: bool,
}

impl Rejection {
    pub fn new(http_status: u16, service_code: &str, case_code: &str, message: String) -> Self {
        let mut message = message;
        if message.chars().count() > MAX_MESSAGE {
            message = message.chars().take(MAX_MESSAGE - 1).collect();
            message.push('…');
        }
        Rejection {
            code: response::compose(http_status, service_code, case_code),
            message,
            reason: None,
            expected_string_to_sign: None,
            close: false,
        }
    }

    /// 400xx02 "Invalid Mandatory Field {field}".
    pub fn missing_field(service_code: &str, field: &str) -> Self {
        Self::new(
            400,
            service_code,
            "02",
            format!("Invalid Mandatory Field {{{field}}}"),
        )
    }

    /// 400xx01 "Invalid Field Format {field}".
    pub fn bad_format(service_code: &str, field: &str) -> Self {
        Self::new(
            400,
            service_code,
            "01",
            format!("Invalid Field Format {{{field}}}"),
        )
    }

    /// 400xx00 "Bad Request. …": the request could not be read at all.
    pub fn bad_request(service_code: &str, detail: &str) -> Self {
        Self::new(400, service_code, "00", format!("Bad Request. {detail}"))
    }

    /// 401xx00 "Unauthorized. …".
    pub fn unauthorized(service_code: &str, what: &str) -> Self {
        Self::new(401, service_code, "00", format!("Unauthorized. {what}"))
    }

    /// 401xx01: a missing, unknown or expired B2B token.
    pub fn invalid_token(service_code: &str) -> Self {
        Self::new(401, service_code, "01", "Invalid Token (B2B)".to_string())
    }

    /// 409xx00: the X-EXTERNAL-ID was already used today.
    pub fn conflict(service_code: &str) -> Self {
        Self::new(409, service_code, "00", "Conflict".to_string())
    }

    /// The first problem decides the code (02 for a missing field, 01 otherwise); the
    /// reason lists them all.
    pub fn from_problems(service_code: &str, problems: &[FieldProblem]) -> Option<Self> {
        let first = problems.first()?;
        let rejection = match first.kind {
            ProblemKind::Missing => Self::missing_field(service_code, &first.field),
            ProblemKind::TooLong | ProblemKind::BadFormat | ProblemKind::Mismatch => {
                Self::bad_format(service_code, &first.field)
            }
        };
        let all: Vec<&str> = problems.iter().map(|p| p.message.as_str()).collect();
        Some(rejection.because(all.join("; ")))
    }

    pub fn because(mut self, reason: impl Into<String>) -> Self {
        self.reason = Some(reason.into());
        self
    }

    pub fn expecting(mut self, string_to_sign: String) -> Self {
        self.expected_string_to_sign = Some(string_to_sign);
        self
    }

    pub fn closing(mut self) -> Self {
        self.close = true;
        self
    }

    pub fn into_answer(self, explain: bool) -> Answer {
        let body = json!({"responseCode": self.code, "responseMessage": self.message});
        let mut answer = Answer::snap(&self.code, &self.message, &body);
        answer.close = self.close;
        if explain {
            if let Some(expected) = &self.expected_string_to_sign {
                answer = answer.with_header(
                    "x-sandbox-expected-string-to-sign",
                    expected,
                    MAX_STRING_TO_SIGN_HEADER,
                );
            }
            if let Some(reason) = &self.reason {
                answer = answer.with_header("x-sandbox-reason", reason, MAX_REASON_HEADER);
            }
        }
        answer.reason = self.reason;
        answer
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_messages_and_explain_headers() {
        let rejection = Rejection::missing_field("25", "X-TIMESTAMP");
        assert_eq!(rejection.code, "4002502");
        assert_eq!(rejection.message, "Invalid Mandatory Field {X-TIMESTAMP}");
        let signed = Rejection::unauthorized("25", "Invalid Signature")
            .expecting("POST:/p:tok:hash:ts".into())
            .because("HMAC did not match");
        let quiet = signed.clone().into_answer(false);
        assert!(
            quiet
                .headers
                .iter()
                .all(|(n, _)| !n.as_str().starts_with("x-sandbox"))
        );
        assert_eq!(quiet.reason.as_deref(), Some("HMAC did not match"));
        let loud = signed.into_answer(true);
        assert_eq!(loud.status.as_u16(), 401);
        let names: Vec<&str> = loud.headers.iter().map(|(n, _)| n.as_str()).collect();
        assert!(names.contains(&"x-sandbox-expected-string-to-sign"));
        assert!(names.contains(&"x-sandbox-reason"));
        let long = Rejection::bad_request("00", &"x".repeat(400));
        assert_eq!(long.message.chars().count(), 150);
    }
}
