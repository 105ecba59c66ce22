//! What the sandbox answered, for the window and the CLI: one line a request, bounded.
//! Holds no secrets: method, path, status, code, message and the plain-words reason (never
//! the expected stringToSign, which carries the caller's access token).

use serde::Serialize;

/// One judged request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Judgement {
    /// Increases by one per request: "what is new since N".
    pub seq: u64,
    /// When it was answered (X-TIMESTAMP shape, Jakarta time).
    pub at: String,
    pub method: String,
    /// Path without the query, cut to a sane length.
    pub path: String,
    pub http_status: u16,
    /// The SNAP responseCode, when the answer has one.
    pub response_code: Option<String>,
    pub message: String,
    /// Why it was rejected, in plain words (what X-SANDBOX-REASON carries with explain on).
    pub reason: Option<String>,
    pub elapsed_micros: u64,
}

impl Judgement {
    /// One line for a terminal.
    pub fn line(&self) -> String {
        let code = self.response_code.as_deref().unwrap_or("-");
        let mut line = format!(
            "{} {} {} -> {} {} {}",
            self.at, self.method, self.path, self.http_status, code, self.message
        );
        if let Some(reason) = &self.reason {
            line.push_str(" | ");
            line.push_str(reason);
        }
        line
    }
}
