//! The composer's Send and "Get token" on the worker: the shared send flow
//! (`net::client::flow`), then the exchanges appended to the history, redacted.

use tokio::sync::watch;

use super::{Event, WorkerContext, history};
use crate::net::client::decode::{ResponseSummary, describe_response};
use crate::net::client::flow::{self, Run};
use crate::net::client::{self, BuiltRequest, RequestDraft, ResponseRecord};
use crate::store::profiles::{Profile, ProfileSecrets};

/// What the composer shows after a send.
#[derive(Debug)]
pub struct SendReport {
    /// The request as sent (absent when it could not be built).
    pub built: Option<BuiltRequest>,
    pub curl: Option<String>,
    pub response: Option<ResponseRecord>,
    pub summary: Option<ResponseSummary>,
    /// Why no response came (server down, timeout, TLS, token refused, cancelled).
    pub error: Option<String>,
    pub error_kind: Option<&'static str>,
    /// A token was fetched first, with this outcome (status or error).
    pub token_note: Option<String>,
    /// The exchange could not be written to the history (the send itself happened).
    pub history_problem: Option<String>,
}

pub async fn send(
    context: &WorkerContext,
    generation: u64,
    profile: Profile,
    secrets: ProfileSecrets,
    draft: RequestDraft,
    cancel: watch::Receiver<bool>,
) -> Event {
    let service = match client::request::service_of(&draft.service_id) {
        Ok(service) => service,
        Err(e) => return Event::Failed(e.to_string()),
    };
    let run = flow::exchange(
        &profile,
        &secrets,
        service,
        &draft,
        &context.state.tokens,
        Some(cancel),
    )
    .await;
    let history_problem = record(context, &profile, &secrets, &run).await;
    Event::Sent {
        generation,
        report: Box::new(report_of(run, history_problem)),
    }
}

fn report_of(run: Run, history_problem: Option<String>) -> SendReport {
    let token_note = run
        .token_attempt
        .as_ref()
        .map(|attempt| match &attempt.response {
            Ok(r) => format!("a B2B token was fetched first (HTTP {})", r.status),
            Err(e) => format!("fetching the B2B token failed: {e}"),
        });
    let curl = run.built.as_ref().map(client::curl);
    let (response, summary, error, error_kind) = match run.outcome {
        Ok(record) => {
            let summary = describe_response(record.status, &record.headers, &record.body);
            (Some(record), Some(summary), None, None)
        }
        Err(e) => (None, None, Some(e.to_string()), Some(e.kind())),
    };
    SendReport {
        built: run.built,
        curl,
        response,
        summary,
        error,
        error_kind,
        token_note,
        history_problem,
    }
}

/// Append the run's exchanges (redacted) on a blocking thread; a failure is reported,
/// never fatal.
async fn record(
    context: &WorkerContext,
    profile: &Profile,
    secrets: &ProfileSecrets,
    run: &Run,
) -> Option<String> {
    let exchanges = flow::redacted_exchanges(profile, secrets, run);
    if exchanges.is_empty() {
        return None;
    }
    let shared = context.state.history.clone();
    let appended = tokio::task::spawn_blocking(move || {
        exchanges
            .into_iter()
            .try_for_each(|exchange| history::append(&shared, exchange))
    })
    .await;
    match appended {
        Ok(Ok(())) => None,
        Ok(Err(e)) => Some(format!("not recorded in the history: {e}")),
        Err(e) => Some(format!("not recorded in the history: {e}")),
    }
}

pub async fn get_token(
    context: &WorkerContext,
    profile: Profile,
    secrets: ProfileSecrets,
) -> Event {
    let http = match client::http_client(profile.verify_tls) {
        Ok(http) => http,
        Err(e) => return Event::TokenFetched(Err(e.to_string())),
    };
    let (result, attempt) = context
        .state
        .tokens
        .ensure_token_traced(&http, &profile, &secrets, true)
        .await;
    if let Some(attempt) = attempt {
        let run = Run {
            token: result.as_ref().ok().cloned(),
            token_attempt: None,
            built: Some(attempt.built),
            outcome: attempt.response,
        };
        // The token never reaches the UI: only that it was obtained, and for how long.
        let _ = record(context, &profile, &secrets, &run).await;
    }
    Event::TokenFetched(
        result
            .map(|_| match context.state.tokens.status(&profile) {
                Some(status) => format!("token valid for {} s", status.remaining.as_secs()),
                None => "token obtained".to_string(),
            })
            .map_err(|e| e.to_string()),
    )
}
