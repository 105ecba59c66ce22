//! The embedded sandbox on the worker: (re)started with the local sandbox profile's
//! credentials registered, notifying the window's inbox so that a VA payment made in the
//! composer comes back as a verified notification.

use super::{Event, WorkerContext, inbox};
use crate::model::Secret;
use crate::net::sandbox::{self, SandboxConfig};
use crate::snap::keys::{self, RsaPrivateKey, RsaPublicKey};

#[derive(Debug)]
pub enum SandboxCommand {
    /// (Re)start the embedded sandbox with a profile's credentials registered.
    Start(SandboxStart),
}

/// What the embedded sandbox is started with.
#[derive(Debug)]
pub struct SandboxStart {
    pub profile_id: String,
    pub client_id: String,
    pub client_secret: Secret,
    pub private_key_pem: Secret,
    /// Send notifications to the window's inbox (started first if needed).
    pub inbox_keys: Option<inbox::InboxKeys>,
}

#[derive(Debug)]
pub enum SandboxEvent {
    Started {
        profile_id: String,
        base_url: String,
        notification_public_pem: String,
        /// The inbox it notifies (listening now).
        inbox_url: Option<String>,
    },
    Failed(String),
}

pub async fn handle(command: SandboxCommand, context: &WorkerContext) -> Event {
    match command {
        SandboxCommand::Start(start) => Event::Sandbox(match self::start(context, start).await {
            Ok(started) => started,
            Err(e) => SandboxEvent::Failed(e),
        }),
    }
}

/// The partner's public key (from the profile's private key) and a fresh notification key.
async fn sandbox_keys(private_key_pem: Secret) -> Result<(RsaPublicKey, RsaPrivateKey), String> {
    tokio::task::spawn_blocking(move || {
        let partner = keys::parse_private_key(private_key_pem.expose().as_bytes(), None)
            .map_err(|e| format!("the profile's private key: {e}"))?;
        let notification = keys::generate_private_key(2048).map_err(|e| e.to_string())?;
        Ok((partner.key.to_public_key(), notification))
    })
    .await
    .map_err(|e| format!("background task failed: {e}"))?
}

/// The window's inbox URL, starting it first when it is not listening yet.
async fn inbox_url(
    context: &WorkerContext,
    keys: Option<&inbox::InboxKeys>,
) -> Result<Option<String>, String> {
    let Some(keys) = keys else {
        return Ok(None);
    };
    if let Some(url) = inbox::base_url(context).await {
        return Ok(Some(url));
    }
    match inbox::start(context, 0, false, keys.clone()).await {
        Ok((url, _)) => Ok(Some(url)),
        Err(e) => Err(format!("its inbox did not start: {e}")),
    }
}

/// Start the embedded sandbox for a profile (stopping one already running). Its own
/// notification key is fresh each time; the profile gets the public half.
async fn start(context: &WorkerContext, request: SandboxStart) -> Result<SandboxEvent, String> {
    let (partner_public, notification_key) = sandbox_keys(request.private_key_pem.clone()).await?;
    let inbox_url = inbox_url(context, request.inbox_keys.as_ref()).await?;
    let mut config = SandboxConfig::new(
        request.client_id.clone(),
        zeroize::Zeroizing::new(request.client_secret.expose().to_string()),
        partner_public,
        notification_key,
    );
    config.notify_url = inbox_url.clone();
    let mut running = context.state.sandbox.lock().await;
    if let Some(old) = running.take() {
        old.stop().await;
    }
    let handle = sandbox::start(config).await.map_err(|e| e.to_string())?;
    let notification_public_pem = handle.notification_public_key_pem().to_string();
    if let Some(mut keys) = request.inbox_keys {
        // The inbox checks the sandbox's notifications with the key it just made.
        keys.counterparty_public_pem = notification_public_pem.clone();
        inbox::set_keys(context, &keys).await;
    }
    let started = SandboxEvent::Started {
        profile_id: request.profile_id,
        base_url: handle.base_url().to_string(),
        notification_public_pem,
        inbox_url,
    };
    *running = Some(handle);
    Ok(started)
}
