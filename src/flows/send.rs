//! Send one request and record it: the access token when the service needs one, the
//! request built, signed and sent (`net::client::flow`), then the token request and the
//! request appended to the history, redacted. The window's Send and "Get token" and
//! `snap-console send` all come through here.

use std::sync::Arc;

use serde_json::Value;
use tokio::sync::watch;

use super::record::{exchange_of, redactor_for};
use crate::model::{Exchange, Profile, ProfileSecrets, Recorder, RequestDraft};
use crate::net::client::flow::{self, Run};
use crate::net::client::{self, TokenCache};
use crate::snap::catalog::Service;

/// A run and whether its exchanges reached the history.
pub struct Sent {
    pub run: Run,
    /// Why the exchanges are not (all) in the history; the send itself happened.
    pub history_problem: Option<String>,
}

/// Token (if needed), build, send, record. `cancel` flips to `true` to abandon the request.
pub async fn send(
    profile: &Profile,
    secrets: &ProfileSecrets,
    service: &Service,
    draft: &RequestDraft,
    tokens: &TokenCache,
    cancel: Option<watch::Receiver<bool>>,
    recorder: Arc<dyn Recorder>,
) -> Sent {
    let run = flow::exchange(profile, secrets, service, draft, tokens, cancel).await;
    let history_problem = record(recorder, redacted_exchanges(profile, secrets, &run)).await;
    Sent {
        run,
        history_problem,
    }
}

/// Fetch a fresh B2B token ("Get token") and record the token request. The token itself
/// never leaves this function: the answer says only for how long it is valid.
pub async fn fetch_token(
    profile: &Profile,
    secrets: &ProfileSecrets,
    tokens: &TokenCache,
    recorder: Arc<dyn Recorder>,
) -> Result<String, String> {
    let http = client::http_client_for(profile, secrets).map_err(|e| e.to_string())?;
    let (result, attempt) = tokens
        .ensure_token_traced(&http, profile, secrets, true)
        .await;
    if let Some(attempt) = attempt {
        let run = Run {
            token: result.as_ref().ok().cloned(),
            token_attempt: None,
            built: Some(attempt.built),
            outcome: attempt.response,
        };
        // A token request that is not in the history is no reason to fail the fetch.
        let _ = record(recorder, redacted_exchanges(profile, secrets, &run)).await;
    }
    result
        .map(|_| match tokens.status(profile) {
            Some(status) => format!("token valid for {} s", status.remaining.as_secs()),
            None => "token obtained".to_string(),
        })
        .map_err(|e| e.to_string())
}

/// Append on a blocking thread (the history is a file); a failure is reported, never fatal.
pub(crate) async fn record(
    recorder: Arc<dyn Recorder>,
    exchanges: Vec<Exchange>,
) -> Option<String> {
    if exchanges.is_empty() {
        return None;
    }
    let appended = tokio::task::spawn_blocking(move || {
        exchanges
            .into_iter()
            .try_for_each(|exchange| recorder.record(exchange))
    })
    .await;
    match appended {
        Ok(Ok(())) => None,
        Ok(Err(e)) => Some(format!("not recorded in the history: {e}")),
        Err(e) => Some(format!("not recorded in the history: {e}")),
    }
}

/// The token request (if any) and the request as history entries, redacted: the
/// profile's secrets, the token used and any token the response handed out.
pub fn redacted_exchanges(profile: &Profile, secrets: &ProfileSecrets, run: &Run) -> Vec<Exchange> {
    let mut exchanges = Vec::new();
    let tokens: Vec<&str> = run.token.as_deref().into_iter().collect();
    if let Some(attempt) = &run.token_attempt {
        let redactor = redactor_for(secrets, &attempt.built, &tokens);
        exchanges.push(redactor.redact(exchange_of(profile, &attempt.built, &attempt.response)));
    }
    if let Some(built) = &run.built {
        let issued = run
            .outcome
            .as_ref()
            .ok()
            .and_then(|r| serde_json::from_slice::<Value>(&r.body).ok())
            .and_then(|v| {
                v.get("accessToken")
                    .and_then(Value::as_str)
                    .map(str::to_string)
            });
        let mut all = tokens.clone();
        if let Some(issued) = issued.as_deref() {
            all.push(issued);
        }
        let redactor = redactor_for(secrets, built, &all);
        exchanges.push(redactor.redact(exchange_of(profile, built, &run.outcome)));
    }
    exchanges
}
