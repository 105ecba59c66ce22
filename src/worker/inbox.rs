//! The window's inbox listener: started with the embedded sandbox (so a VA payment made in
//! the composer comes back as a verified notification), or on demand on a chosen port.
//! Each request it receives is recorded in the history, redacted, before it is answered
//! (the inbox records through the window's history recorder), then forwarded to the UI.

use std::net::{IpAddr, Ipv4Addr};

use tokio::sync::broadcast;
use zeroize::Zeroizing;

use super::{Event, WorkerContext, failed, history};
use crate::model::Secret;
/// What the inbox panel draws and sets.
pub use crate::net::inbox::answers::{hosted_paths, starting_template};
use crate::net::inbox::{
    self, InboxConfig, InboxHandle, Recording, VerificationKeys, VerificationMode,
};
pub use crate::net::inbox::{AnswerRule, Received};
use crate::snap::keys;
use crate::store::history::Redactor;

/// What the inbox checks signatures with, as the profile holds it.
#[derive(Clone, Default)]
pub struct InboxKeys {
    pub counterparty_public_pem: String,
    pub client_secret: Secret,
    pub client_id: String,
    pub profile_name: String,
}

impl std::fmt::Debug for InboxKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InboxKeys")
            .field("client_id", &self.client_id)
            .field("profile_name", &self.profile_name)
            .finish_non_exhaustive()
    }
}

fn verification(keys: &InboxKeys) -> VerificationKeys {
    VerificationKeys {
        counterparty_public_key: keys::parse_public_key(keys.counterparty_public_pem.as_bytes())
            .ok()
            .map(|l| l.key),
        client_secret: Some(keys.client_secret.expose().to_string())
            .filter(|s| !s.is_empty())
            .map(Zeroizing::new),
        expected_client_id: Some(keys.client_id.clone()).filter(|s| !s.is_empty()),
    }
}

#[derive(Debug)]
pub enum InboxCommand {
    /// Listen for what providers send back.
    Start {
        port: u16,
        all_interfaces: bool,
        keys: InboxKeys,
    },
    Stop,
    SetAnswer {
        path: String,
        rule: AnswerRule,
        /// Answer by the rule whatever the verdict (no 401 for a bad signature).
        accept_invalid: bool,
    },
}

#[derive(Debug)]
pub enum InboxEvent {
    Started {
        base_url: String,
        warning: Option<String>,
    },
    Stopped,
    Received {
        received: Box<Received>,
        history_problem: Option<String>,
    },
    AnswerSet(Result<String, String>),
}

pub async fn handle(command: InboxCommand, context: &WorkerContext) -> Event {
    match command {
        InboxCommand::Start {
            port,
            all_interfaces,
            keys,
        } => match start(context, port, all_interfaces, keys).await {
            Ok((base_url, warning)) => Event::Inbox(InboxEvent::Started { base_url, warning }),
            Err(e) => failed(format!("the inbox did not start: {e}")),
        },
        InboxCommand::Stop => {
            stop(context).await;
            Event::Inbox(InboxEvent::Stopped)
        }
        InboxCommand::SetAnswer {
            path,
            rule,
            accept_invalid,
        } => {
            let refusals = if accept_invalid {
                ", accepted whatever the signature says"
            } else {
                ", refused with 401 when the signature, client or timestamp is wrong"
            };
            let label = format!("{path}: {}{refusals}", rule.label());
            let result = set_answer(context, &path, rule, accept_invalid)
                .await
                .map(|()| label);
            Event::Inbox(InboxEvent::AnswerSet(result))
        }
    }
}

/// Start the listener (stopping one already running) and forward what it receives.
pub async fn start(
    context: &WorkerContext,
    port: u16,
    all_interfaces: bool,
    keys: InboxKeys,
) -> Result<(String, Option<String>), String> {
    let config = InboxConfig {
        bind: if all_interfaces {
            IpAddr::V4(Ipv4Addr::UNSPECIFIED)
        } else {
            IpAddr::V4(Ipv4Addr::LOCALHOST)
        },
        port,
        verification: verification(&keys),
        mode: VerificationMode::Auto,
        recording: Some(Recording {
            recorder: history::recorder(context),
            profile: keys.profile_name.clone(),
            redactor: Redactor::new().secret(keys.client_secret.expose()),
        }),
        ..InboxConfig::default()
    };
    let mut slot = context.state.inbox.lock().await;
    if let Some(old) = slot.take() {
        old.stop().await;
    }
    let handle = inbox::start(config).await.map_err(|e| e.to_string())?;
    let base_url = handle.base_url();
    let warning = handle.warning().map(str::to_string);
    forward(context, handle.subscribe());
    *slot = Some(handle);
    Ok((base_url, warning))
}

/// Check signatures with other keys from now on (the sandbox got a new notification key).
pub async fn set_keys(context: &WorkerContext, keys: &InboxKeys) {
    if let Some(handle) = context.state.inbox.lock().await.as_ref() {
        handle.set_verification(verification(keys), VerificationMode::Auto);
    }
}

pub async fn stop(context: &WorkerContext) {
    if let Some(handle) = context.state.inbox.lock().await.take() {
        handle.stop().await;
    }
}

pub async fn set_answer(
    context: &WorkerContext,
    path: &str,
    rule: AnswerRule,
    accept_invalid: bool,
) -> Result<(), String> {
    match context.state.inbox.lock().await.as_ref() {
        Some(handle) => {
            handle.set_accept_invalid(path, accept_invalid);
            handle.set_answer(path, rule).map_err(|e| e.to_string())
        }
        None => Err("the inbox is not listening".to_string()),
    }
}

pub async fn base_url(context: &WorkerContext) -> Option<String> {
    context
        .state
        .inbox
        .lock()
        .await
        .as_ref()
        .map(InboxHandle::base_url)
}

/// Each received request (already recorded by the inbox) to the UI, over a bounded
/// channel; the UI keeps its own bounded list.
fn forward(context: &WorkerContext, mut received: broadcast::Receiver<Received>) {
    let context = context.clone();
    tokio::spawn(async move {
        loop {
            let item = match received.recv().await {
                Ok(item) => item,
                // The UI fell behind by more than the channel holds: skip ahead (the
                // requests are in the history).
                Err(broadcast::error::RecvError::Lagged(_)) => continue,
                Err(broadcast::error::RecvError::Closed) => break,
            };
            let history_problem = item.not_recorded.clone();
            let event = Event::Inbox(InboxEvent::Received {
                received: Box::new(item),
                history_problem,
            });
            if !context.emit(event).await {
                break;
            }
        }
    });
}
