//! The composer on the worker: Send and "Get token" through the shared send flow
//! (`net::client::flow`, the exchanges appended to the history, redacted), saving a
//! response body, and sending a test notification signed as a provider would.

use tokio::sync::watch;

use super::dialogs::{self, FileChoice};
use super::{Event, Notice, WorkerContext, blocking, failed, history};
use crate::flows;
use crate::model::Secret;
use crate::model::{Profile, ProfileSecrets};
use crate::net::client::decode::describe_response;
use crate::net::client::flow::Run;
/// The headers a service gets and the sample notification, for the composer's forms.
pub use crate::net::client::headers::auto_header_names;
use crate::net::client::{self, RequestDraft};
/// What the composer draws of a request and its answer.
pub use crate::net::client::{BuiltRequest, ResponseRecord, ResponseSummary};
pub use crate::net::inbox::sample_va_payment_notification;
use crate::snap::keys;
use crate::store::files::{self, Sensitivity};

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

pub enum ComposerCommand {
    /// Send a composed request (token first when needed); `cancel` flips to abandon it.
    Send {
        generation: u64,
        profile: Box<Profile>,
        secrets: ProfileSecrets,
        draft: Box<RequestDraft>,
        cancel: watch::Receiver<bool>,
    },
    /// Fetch a fresh B2B token for the profile ("Get token").
    GetToken {
        profile: Box<Profile>,
        secrets: ProfileSecrets,
    },
    /// Save bytes (a response body) to a file.
    SaveBytes { bytes: Vec<u8>, to: FileChoice },
    /// Send a notification signed as a provider would (NICEPAY rule) to any URL.
    SendTestNotification {
        url: String,
        client_id: String,
        private_key_pem: Secret,
        body: String,
    },
}

impl std::fmt::Debug for ComposerCommand {
    // Bodies can be megabytes: name the command and its small fields only.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ComposerCommand::Send {
                generation, draft, ..
            } => write!(f, "Send #{generation} {draft:?}"),
            ComposerCommand::GetToken { profile, .. } => write!(f, "GetToken({})", profile.name),
            ComposerCommand::SaveBytes { bytes, to } => {
                write!(f, "SaveBytes({} bytes to {to:?})", bytes.len())
            }
            ComposerCommand::SendTestNotification { url, client_id, .. } => {
                write!(f, "SendTestNotification({url}, {client_id})")
            }
        }
    }
}

#[derive(Debug)]
pub enum ComposerEvent {
    Sent {
        generation: u64,
        report: Box<SendReport>,
    },
    TokenFetched(Result<String, String>),
    TestNotificationSent(Result<String, String>),
}

pub async fn handle(command: ComposerCommand, context: &WorkerContext) -> Event {
    match command {
        ComposerCommand::Send {
            generation,
            profile,
            secrets,
            draft,
            cancel,
        } => send(context, generation, *profile, secrets, *draft, cancel).await,
        ComposerCommand::GetToken { profile, secrets } => {
            get_token(context, *profile, secrets).await
        }
        ComposerCommand::SaveBytes { bytes, to } => blocking(move || save_bytes(&bytes, to)).await,
        ComposerCommand::SendTestNotification {
            url,
            client_id,
            private_key_pem,
            body,
        } => Event::Composer(ComposerEvent::TestNotificationSent(
            send_test_notification(url, client_id, private_key_pem, body).await,
        )),
    }
}

fn save_bytes(bytes: &[u8], to: FileChoice) -> Event {
    let path = match dialogs::save_path(to, "Save body", "response-body.txt") {
        Ok(path) => path,
        Err(unresolved) => return unresolved.into(),
    };
    match files::write_atomic(&path, bytes, Sensitivity::Secret) {
        Ok(()) => Event::Notice(Notice::Done(format!(
            "{} bytes saved to {}",
            bytes.len(),
            path.display()
        ))),
        Err(e) => failed(e.to_string()),
    }
}

/// A NICEPAY-style VA payment notification signed with `private_key_pem`, to `url`.
async fn send_test_notification(
    url: String,
    client_id: String,
    private_key_pem: Secret,
    body: String,
) -> Result<String, String> {
    let key = tokio::task::spawn_blocking(move || {
        keys::parse_private_key(private_key_pem.expose().as_bytes(), None).map(|l| l.key)
    })
    .await
    .map_err(|e| format!("background task failed: {e}"))?
    .map_err(|e| format!("the signing key: {e}"))?;
    let notification = crate::net::inbox::TestNotification {
        url,
        client_id,
        private_key: key,
        body,
        timestamp: None,
        timeout: std::time::Duration::from_secs(10),
    };
    crate::net::inbox::send_test_notification(&notification)
        .await
        .map(|outcome| {
            format!(
                "{} answered HTTP {}: {}",
                outcome.url,
                outcome.status,
                crate::snap::text::shorten(&outcome.body, 300)
            )
        })
        .map_err(|e| e.to_string())
}

async fn send(
    context: &WorkerContext,
    generation: u64,
    profile: Profile,
    secrets: ProfileSecrets,
    draft: RequestDraft,
    cancel: watch::Receiver<bool>,
) -> Event {
    let service = match client::request::service_of(&draft.service_id) {
        Ok(service) => service,
        Err(e) => return failed(e.to_string()),
    };
    let sent = flows::send::send(
        &profile,
        &secrets,
        service,
        &draft,
        &context.state.tokens,
        Some(cancel),
        history::recorder(context),
    )
    .await;
    Event::Composer(ComposerEvent::Sent {
        generation,
        report: Box::new(report_of(sent.run, sent.history_problem)),
    })
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

async fn get_token(context: &WorkerContext, profile: Profile, secrets: ProfileSecrets) -> Event {
    let recorder = history::recorder(context);
    let result =
        flows::send::fetch_token(&profile, &secrets, &context.state.tokens, recorder).await;
    Event::Composer(ComposerEvent::TokenFetched(result))
}
