//! The tokio side of the window. The UI sends `Command`s and draws the `Event`s that come
//! back; it never waits on disk, network, file dialogs or RSA. Both channels are bounded:
//! a UI that floods commands gets `false` from `send` instead of unbounded memory growth.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::mpsc;

use crate::net::sandbox::{self, SandboxConfig, SandboxHandle};
use crate::snap::signature::{self, SignatureInput, SignatureKind, SigningSecret, VerifyingSecret};
use crate::snap::{diagnose, keys};
use crate::store::files::{self, Sensitivity};
use crate::store::paths::AppPaths;
use crate::store::profiles::{self, Loaded, ProfileBook};

pub mod history;
pub mod inbox;
pub mod send;
pub mod setup;

const CHANNEL_CAPACITY: usize = 64;

/// Where a file comes from or goes to: a native dialog, or a path typed by the user
/// (offered beside every dialog, for machines without a dialog backend).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileChoice {
    Dialog,
    Path(PathBuf),
}

/// Key material for the workbench, as the UI holds it (text).
#[derive(Clone, PartialEq, Eq)]
pub enum KeyMaterial {
    ClientSecret(String),
    PrivateKeyPem(String),
    PublicKeyPem(String),
}

impl std::fmt::Debug for KeyMaterial {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            KeyMaterial::ClientSecret(_) => "ClientSecret(<redacted>)",
            KeyMaterial::PrivateKeyPem(_) => "PrivateKeyPem(<redacted>)",
            KeyMaterial::PublicKeyPem(_) => "PublicKeyPem(..)",
        })
    }
}

/// One signature computation for the workbench.
#[derive(Debug, Clone)]
pub struct SignatureJob {
    pub input: SignatureInput,
    pub key: KeyMaterial,
    /// Verify this signature instead of producing one.
    pub verify: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignatureOutcome {
    pub prepared: signature::Prepared,
    /// The signature we made (sign mode).
    pub signature: Option<String>,
    /// The verdict (verify mode).
    pub valid: Option<bool>,
}

#[derive(Debug)]
pub enum Command {
    LoadProfiles,
    /// First run: make the "Local sandbox" profile with fresh credentials.
    CreateSandboxProfile,
    SaveProfiles(ProfileBook, Option<String>),
    GenerateKey {
        profile_id: String,
        bits: usize,
    },
    ImportPrivateKey {
        profile_id: String,
        from: FileChoice,
        passphrase: Option<String>,
    },
    ImportPublicKey {
        profile_id: String,
        from: FileChoice,
    },
    SavePrivateKey {
        pem: String,
        passphrase: Option<String>,
        to: FileChoice,
    },
    ExportPublicKey {
        private_pem: String,
        to: FileChoice,
    },
    Sign {
        generation: u64,
        job: SignatureJob,
    },
    /// "Why is my signature rejected?": try the known variants against `expected`.
    Diagnose {
        generation: u64,
        input: SignatureInput,
        key: KeyMaterial,
        expected: String,
    },
    /// Send a composed request (token first when needed); `cancel` flips to abandon it.
    Send {
        generation: u64,
        profile: Box<crate::store::profiles::Profile>,
        secrets: crate::store::profiles::ProfileSecrets,
        draft: Box<crate::net::client::RequestDraft>,
        cancel: tokio::sync::watch::Receiver<bool>,
    },
    /// Fetch a fresh B2B token for the profile ("Get token").
    GetToken {
        profile: Box<crate::store::profiles::Profile>,
        secrets: crate::store::profiles::ProfileSecrets,
    },
    /// Save bytes (a response body) to a file.
    SaveBytes {
        bytes: Vec<u8>,
        to: FileChoice,
    },
    OpenHistory,
    SearchHistory {
        generation: u64,
        query: crate::store::history::Query,
    },
    /// Read one entry for the detail view: its position in the list and its id hash.
    ReadHistoryEntry {
        position: u32,
        key: u64,
    },
    /// Pick up what other processes appended.
    RefreshHistory,
    /// Delete the entry with this id hash.
    DeleteHistory(u64),
    ClearHistory,
    SetRetention(crate::store::history::Retention),
    ExportHistory {
        keys: Vec<u64>,
        format: history::ExportFormat,
        to: FileChoice,
    },
    /// Listen for what providers send back.
    StartInbox {
        port: u16,
        all_interfaces: bool,
        keys: inbox::InboxKeys,
    },
    StopInbox,
    SetInboxAnswer {
        path: String,
        rule: crate::net::inbox::AnswerRule,
    },
    /// Send a notification signed as a provider would (NICEPAY rule) to any URL.
    SendTestNotification {
        url: String,
        client_id: String,
        private_key_pem: String,
        body: String,
    },
    /// (Re)start the embedded sandbox with a profile's credentials registered.
    StartSandbox {
        profile_id: String,
        client_id: String,
        client_secret: String,
        private_key_pem: String,
        /// Send notifications to the window's inbox (started first if needed).
        inbox_keys: Option<inbox::InboxKeys>,
    },
    /// Ask the profile's signature utility for its signature (workbench cross-check).
    CrossCheck {
        generation: u64,
        request: crate::net::utilities::CrossCheckRequest,
    },
    /// Describe a key (private or public PEM) for display; `hash` identifies the PEM.
    Fingerprint {
        hash: u64,
        pem: String,
    },
}

#[derive(Debug)]
pub enum Event {
    ProfilesLoaded(Loaded),
    SandboxProfileCreated(Box<setup::SandboxProfile>),
    Saved(Result<(), String>),
    KeyReady {
        profile_id: String,
        private_pem: String,
        summary: String,
    },
    PublicKeyReady {
        profile_id: String,
        public_pem: String,
        summary: String,
    },
    /// The key at this path is encrypted: ask for the passphrase and import again.
    PassphraseNeeded {
        profile_id: String,
        path: PathBuf,
    },
    FileWritten(String),
    /// A native dialog could not be shown; the UI offers its path field instead.
    DialogUnavailable(String),
    Signed {
        generation: u64,
        result: Result<SignatureOutcome, String>,
    },
    Diagnosed {
        generation: u64,
        result: Result<diagnose::Diagnosis, String>,
    },
    CrossChecked {
        generation: u64,
        result: Result<String, String>,
    },
    SandboxStarted {
        profile_id: String,
        base_url: String,
        notification_public_pem: String,
        /// The inbox it notifies (listening now).
        inbox_url: Option<String>,
    },
    SandboxFailed(String),
    Sent {
        generation: u64,
        report: Box<send::SendReport>,
    },
    TokenFetched(Result<String, String>),
    HistoryOpened {
        count: usize,
        messages: Vec<String>,
    },
    /// The history changed (an append, a delete): searches are stale.
    HistoryChanged(Result<(), String>),
    /// A batch of search results (positions, newest first); the first batch of a
    /// generation replaces the rows, later ones add to them.
    HistoryFound {
        generation: u64,
        version: u64,
        indices: Vec<u32>,
        done: bool,
    },
    HistoryEntry(Result<Box<crate::store::history::Exchange>, String>),
    HistoryRefreshed {
        changed: bool,
    },
    InboxStarted {
        base_url: String,
        warning: Option<String>,
    },
    InboxStopped,
    InboxReceived {
        received: Box<crate::net::inbox::Received>,
        history_problem: Option<String>,
    },
    InboxAnswerSet(Result<String, String>),
    TestNotificationSent(Result<String, String>),
    Fingerprint {
        hash: u64,
        text: String,
    },
    /// Something failed; the text says what and where, and never holds a secret.
    Failed(String),
}

/// The UI's end of the worker.
pub struct WorkerHandle {
    commands: mpsc::Sender<Command>,
    events: mpsc::Receiver<Event>,
}

impl WorkerHandle {
    /// Queue a command; `false` when the worker is saturated (the UI says "busy").
    pub fn send(&self, command: Command) -> bool {
        self.commands.try_send(command).is_ok()
    }

    pub fn try_recv(&mut self) -> Option<Event> {
        self.events.try_recv().ok()
    }
}

/// What lives as long as the worker: the embedded sandbox, the token cache, the history.
#[derive(Default)]
pub struct WorkerState {
    sandbox: tokio::sync::Mutex<Option<SandboxHandle>>,
    tokens: crate::net::client::TokenCache,
    pub history: history::SharedHistory,
    inbox: tokio::sync::Mutex<Option<crate::net::inbox::InboxHandle>>,
}

/// What the worker needs from its surroundings.
#[derive(Clone)]
pub struct WorkerContext {
    pub paths: AppPaths,
    pub state: Arc<WorkerState>,
    /// Wakes the UI after an event was queued (egui's `request_repaint`).
    pub repaint: Arc<dyn Fn() + Send + Sync>,
}

/// Start the worker on `runtime`.
pub fn start(runtime: &tokio::runtime::Handle, context: WorkerContext) -> WorkerHandle {
    let (command_tx, mut command_rx) = mpsc::channel::<Command>(CHANNEL_CAPACITY);
    let (event_tx, event_rx) = mpsc::channel::<Event>(CHANNEL_CAPACITY);
    runtime.spawn(async move {
        while let Some(command) = command_rx.recv().await {
            let context = context.clone();
            let events = event_tx.clone();
            // Each command in its own task: a slow one never holds up the others.
            tokio::spawn(async move {
                let event = handle(command, &context, &events).await;
                if events.send(event).await.is_ok() {
                    (context.repaint)();
                }
            });
        }
    });
    WorkerHandle {
        commands: command_tx,
        events: event_rx,
    }
}

/// Run blocking work (disk, RSA, dialogs) off the async threads.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, String> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| format!("background task failed: {e}"))
}

async fn handle(command: Command, context: &WorkerContext, events: &mpsc::Sender<Event>) -> Event {
    let paths = context.paths.clone();
    let result = match command {
        Command::LoadProfiles => {
            blocking(move || Event::ProfilesLoaded(profiles::load(&paths))).await
        }
        Command::CreateSandboxProfile => {
            blocking(move || match setup::sandbox_profile() {
                Ok(made) => Event::SandboxProfileCreated(Box::new(made)),
                Err(e) => Event::Failed(e),
            })
            .await
        }
        Command::SaveProfiles(book, blocked) => {
            blocking(move || {
                Event::Saved(
                    profiles::save(&paths, &book, blocked.as_deref()).map_err(|e| e.to_string()),
                )
            })
            .await
        }
        Command::GenerateKey { profile_id, bits } => {
            blocking(move || generate_key(profile_id, bits)).await
        }
        Command::ImportPrivateKey {
            profile_id,
            from,
            passphrase,
        } => blocking(move || import_private_key(profile_id, from, passphrase)).await,
        Command::ImportPublicKey { profile_id, from } => {
            blocking(move || import_public_key(profile_id, from)).await
        }
        Command::SavePrivateKey {
            pem,
            passphrase,
            to,
        } => blocking(move || save_private_key(&pem, passphrase.as_deref(), to)).await,
        Command::ExportPublicKey { private_pem, to } => {
            blocking(move || export_public_key(&private_pem, to)).await
        }
        Command::Diagnose {
            generation,
            input,
            key,
            expected,
        } => {
            blocking(move || Event::Diagnosed {
                generation,
                result: run_diagnosis(&input, &key, &expected),
            })
            .await
        }
        Command::Send {
            generation,
            profile,
            secrets,
            draft,
            cancel,
        } => Ok(send::send(context, generation, *profile, secrets, *draft, cancel).await),
        Command::GetToken { profile, secrets } => {
            Ok(send::get_token(context, *profile, secrets).await)
        }
        Command::SaveBytes { bytes, to } => {
            blocking(
                move || match resolve(to, false, "Save body", "response-body.txt") {
                    Ok(path) => match files::write_atomic(&path, &bytes, Sensitivity::Secret) {
                        Ok(()) => Event::FileWritten(format!(
                            "{} bytes saved to {}",
                            bytes.len(),
                            path.display()
                        )),
                        Err(e) => Event::Failed(e.to_string()),
                    },
                    Err(unresolved) => unresolved.into(),
                },
            )
            .await
        }
        Command::OpenHistory => {
            let shared = context.state.history.clone();
            blocking(move || history::open(&paths, &shared)).await
        }
        Command::SearchHistory { generation, query } => {
            let shared = context.state.history.clone();
            let (events, repaint) = (events.clone(), context.repaint.clone());
            let emit = move |event| {
                if events.blocking_send(event).is_ok() {
                    repaint();
                }
            };
            blocking(move || history::search(&shared, generation, &query, &emit)).await
        }
        Command::ReadHistoryEntry { position, key } => {
            let shared = context.state.history.clone();
            blocking(move || history::read_entry(&shared, position, key)).await
        }
        Command::RefreshHistory => {
            let shared = context.state.history.clone();
            blocking(move || match history::refresh(&shared) {
                Ok(changed) => Event::HistoryRefreshed { changed },
                Err(e) => Event::Failed(format!("history: {e}")),
            })
            .await
        }
        Command::DeleteHistory(key) => {
            let shared = context.state.history.clone();
            blocking(move || Event::HistoryChanged(history::delete(&shared, &[key]))).await
        }
        Command::ClearHistory => {
            let shared = context.state.history.clone();
            blocking(move || Event::HistoryChanged(history::clear(&shared))).await
        }
        Command::SetRetention(retention) => {
            let shared = context.state.history.clone();
            blocking(move || Event::HistoryChanged(history::set_retention(&shared, retention)))
                .await
        }
        Command::ExportHistory { keys, format, to } => {
            let shared = context.state.history.clone();
            blocking(move || history::export_to(&shared, &keys, format, to)).await
        }
        Command::StartSandbox {
            profile_id,
            client_id,
            client_secret,
            private_key_pem,
            inbox_keys,
        } => Ok(start_sandbox(
            context,
            events,
            SandboxRequest {
                profile_id,
                client_id,
                client_secret,
                private_key_pem,
                inbox_keys,
            },
        )
        .await),
        Command::StartInbox {
            port,
            all_interfaces,
            keys,
        } => Ok(
            match inbox::start(context, events, port, all_interfaces, keys).await {
                Ok((base_url, warning)) => Event::InboxStarted { base_url, warning },
                Err(e) => Event::Failed(format!("the inbox did not start: {e}")),
            },
        ),
        Command::StopInbox => {
            inbox::stop(context).await;
            Ok(Event::InboxStopped)
        }
        Command::SetInboxAnswer { path, rule } => {
            let label = format!("{path}: {}", rule.label());
            Ok(Event::InboxAnswerSet(
                inbox::set_answer(context, &path, rule)
                    .await
                    .map(|()| label),
            ))
        }
        Command::SendTestNotification {
            url,
            client_id,
            private_key_pem,
            body,
        } => Ok(Event::TestNotificationSent(
            send_test_notification(url, client_id, private_key_pem, body).await,
        )),
        Command::CrossCheck {
            generation,
            request,
        } => Ok(Event::CrossChecked {
            generation,
            result: crate::net::utilities::cross_check(&request).await,
        }),
        Command::Fingerprint { hash, pem } => {
            blocking(move || Event::Fingerprint {
                hash,
                text: describe_key(&pem),
            })
            .await
        }
        Command::Sign { generation, job } => {
            blocking(move || Event::Signed {
                generation,
                result: run_signature_job(&job),
            })
            .await
        }
    };
    result.unwrap_or_else(Event::Failed)
}

fn generate_key(profile_id: String, bits: usize) -> Event {
    let made = keys::generate_private_key(bits)
        .map_err(|e| e.to_string())
        .and_then(|key| {
            let pem = keys::private_key_to_pkcs8_pem(&key, None).map_err(|e| e.to_string())?;
            Ok((
                pem.to_string(),
                keys::fingerprint_sha256(&key.to_public_key()),
            ))
        });
    match made {
        Ok((private_pem, fingerprint)) => Event::KeyReady {
            profile_id,
            private_pem,
            summary: format!("generated a {bits}-bit key, {fingerprint}"),
        },
        Err(e) => Event::Failed(format!("key generation: {e}")),
    }
}

/// How long a "dialog" may take before we believe a person answered it. A dialog with no
/// backend (no portal, no zenity) returns `None` at once, exactly like a cancel.
const INSTANT_DIALOG: Duration = Duration::from_millis(150);

enum Picked {
    Path(PathBuf),
    Cancelled,
    Unavailable,
}

fn pick_open(title: &str) -> Picked {
    let started = Instant::now();
    match rfd::FileDialog::new()
        .set_title(title)
        .add_filter("Keys", &["pem", "key", "der", "txt", "pub", "crt", "cer"])
        .add_filter("All files", &["*"])
        .pick_file()
    {
        Some(path) => Picked::Path(path),
        None if started.elapsed() < INSTANT_DIALOG => Picked::Unavailable,
        None => Picked::Cancelled,
    }
}

fn pick_save(title: &str, file_name: &str) -> Picked {
    let started = Instant::now();
    match rfd::FileDialog::new()
        .set_title(title)
        .set_file_name(file_name)
        .save_file()
    {
        Some(path) => Picked::Path(path),
        None if started.elapsed() < INSTANT_DIALOG => Picked::Unavailable,
        None => Picked::Cancelled,
    }
}

const NO_DIALOG: &str = "no file dialog is available here (no desktop portal and no zenity): type a path in the field instead";

/// Why no path came out of a `FileChoice`; small, so `resolve` stays cheap to return.
enum Unresolved {
    Failed(&'static str),
    Unavailable,
}

impl From<Unresolved> for Event {
    fn from(u: Unresolved) -> Event {
        match u {
            Unresolved::Failed(text) => Event::Failed(text.to_string()),
            Unresolved::Unavailable => Event::DialogUnavailable(NO_DIALOG.to_string()),
        }
    }
}

fn resolve(
    choice: FileChoice,
    open: bool,
    title: &str,
    file_name: &str,
) -> Result<PathBuf, Unresolved> {
    match choice {
        FileChoice::Path(path) if path.as_os_str().is_empty() => {
            Err(Unresolved::Failed("type a file path first"))
        }
        FileChoice::Path(path) => Ok(path),
        FileChoice::Dialog => match if open {
            pick_open(title)
        } else {
            pick_save(title, file_name)
        } {
            Picked::Path(path) => Ok(path),
            Picked::Cancelled => Err(Unresolved::Failed("cancelled")),
            Picked::Unavailable => Err(Unresolved::Unavailable),
        },
    }
}

fn import_private_key(profile_id: String, from: FileChoice, passphrase: Option<String>) -> Event {
    let path = match resolve(from, true, "Load private key", "") {
        Ok(path) => path,
        Err(unresolved) => return unresolved.into(),
    };
    let bytes = match files::read_capped(&path, 1024 * 1024) {
        Ok(bytes) => zeroize::Zeroizing::new(bytes),
        Err(e) => return Event::Failed(e.to_string()),
    };
    match keys::parse_private_key(&bytes, passphrase.as_deref()) {
        Ok(loaded) => {
            let pem = match keys::private_key_to_pkcs8_pem(&loaded.key, None) {
                Ok(pem) => pem.to_string(),
                Err(e) => return Event::Failed(e.to_string()),
            };
            let mut summary = format!(
                "loaded {} ({}, {} bits), {}",
                path.display(),
                loaded.format.describe(),
                loaded.bits,
                keys::fingerprint_sha256(&loaded.key.to_public_key())
            );
            for warning in &loaded.warnings {
                summary.push_str(&format!("; {warning}"));
            }
            Event::KeyReady {
                profile_id,
                private_pem: pem,
                summary,
            }
        }
        Err(keys::KeyError::NeedsPassphrase) => Event::PassphraseNeeded { profile_id, path },
        Err(e) => Event::Failed(format!("{}: {e}", path.display())),
    }
}

fn import_public_key(profile_id: String, from: FileChoice) -> Event {
    let path = match resolve(from, true, "Load counterparty public key", "") {
        Ok(path) => path,
        Err(unresolved) => return unresolved.into(),
    };
    let loaded = files::read_capped(&path, 1024 * 1024)
        .map_err(|e| e.to_string())
        .and_then(|bytes| {
            keys::parse_public_key(&bytes).map_err(|e| format!("{}: {e}", path.display()))
        });
    match loaded.and_then(|l| {
        let pem = keys::public_key_to_spki_pem(&l.key).map_err(|e| e.to_string())?;
        Ok((pem, l))
    }) {
        Ok((public_pem, loaded)) => Event::PublicKeyReady {
            profile_id,
            public_pem,
            summary: format!(
                "loaded {} ({}, {} bits), {}",
                path.display(),
                loaded.format.describe(),
                loaded.bits,
                keys::fingerprint_sha256(&loaded.key)
            ),
        },
        Err(e) => Event::Failed(e),
    }
}

fn save_private_key(pem: &str, passphrase: Option<&str>, to: FileChoice) -> Event {
    let key = match keys::parse_private_key(pem.as_bytes(), None) {
        Ok(loaded) => loaded.key,
        Err(e) => return Event::Failed(format!("the profile's private key: {e}")),
    };
    let path = match resolve(to, false, "Save private key", "private_key.pem") {
        Ok(path) => path,
        Err(unresolved) => return unresolved.into(),
    };
    let passphrase = passphrase.filter(|p| !p.is_empty());
    match keys::private_key_to_pkcs8_pem(&key, passphrase) {
        Ok(out) => match files::write_atomic(&path, out.as_bytes(), Sensitivity::Secret) {
            Ok(()) => Event::FileWritten(format!(
                "private key saved to {} (PKCS#8{}, mode 0600)",
                path.display(),
                if passphrase.is_some() {
                    ", encrypted"
                } else {
                    ""
                }
            )),
            Err(e) => Event::Failed(e.to_string()),
        },
        Err(e) => Event::Failed(e.to_string()),
    }
}

fn export_public_key(private_pem: &str, to: FileChoice) -> Event {
    let public = match keys::parse_private_key(private_pem.as_bytes(), None) {
        Ok(loaded) => loaded.key.to_public_key(),
        Err(e) => return Event::Failed(format!("the profile's private key: {e}")),
    };
    let path = match resolve(to, false, "Export public key", "public_key.pem") {
        Ok(path) => path,
        Err(unresolved) => return unresolved.into(),
    };
    match keys::public_key_to_spki_pem(&public) {
        Ok(pem) => match files::write_atomic(&path, pem.as_bytes(), Sensitivity::Public) {
            Ok(()) => Event::FileWritten(format!(
                "public key exported to {} (SPKI PEM), {}",
                path.display(),
                keys::fingerprint_sha256(&public)
            )),
            Err(e) => Event::Failed(e.to_string()),
        },
        Err(e) => Event::Failed(e.to_string()),
    }
}

/// Build, then sign or verify. Errors are for people: they name the input at fault.
pub fn run_signature_job(job: &SignatureJob) -> Result<SignatureOutcome, String> {
    let prepared = signature::prepare(&job.input).map_err(|e| e.to_string())?;
    let kind = job.input.kind;
    match (&job.verify, &job.key) {
        (None, KeyMaterial::ClientSecret(secret)) => {
            let sig = signature::sign(&prepared, SigningSecret::Hmac(secret.as_bytes()))
                .map_err(|e| e.to_string())?;
            Ok(SignatureOutcome {
                prepared,
                signature: Some(sig),
                valid: None,
            })
        }
        (None, KeyMaterial::PrivateKeyPem(pem)) => {
            let key = keys::parse_private_key(pem.as_bytes(), None)
                .map_err(|e| format!("private key: {e}"))?;
            let sig = signature::sign(&prepared, SigningSecret::Rsa(&key.key))
                .map_err(|e| e.to_string())?;
            Ok(SignatureOutcome {
                prepared,
                signature: Some(sig),
                valid: None,
            })
        }
        (None, KeyMaterial::PublicKeyPem(_)) => Err(format!(
            "a public key can only verify; signing a {kind} signature needs the private key"
        )),
        (Some(text), key) => {
            let verdict = match key {
                KeyMaterial::ClientSecret(secret) => {
                    signature::verify(&prepared, VerifyingSecret::Hmac(secret.as_bytes()), text)
                }
                KeyMaterial::PrivateKeyPem(pem) | KeyMaterial::PublicKeyPem(pem) => {
                    let key = keys::parse_public_key(pem.as_bytes())
                        .map_err(|e| format!("public key: {e}"))?;
                    signature::verify(&prepared, VerifyingSecret::Rsa(&key.key), text)
                }
            }
            .map_err(|e| e.to_string())?;
            Ok(SignatureOutcome {
                prepared,
                signature: None,
                valid: Some(verdict.valid),
            })
        }
    }
}

/// "2048-bit RSA, SHA256:…" for a private or public PEM, or what is wrong with it.
fn describe_key(pem: &str) -> String {
    match keys::parse_public_key(pem.as_bytes()) {
        Ok(loaded) => format!(
            "{}-bit RSA, {}",
            loaded.bits,
            keys::fingerprint_sha256(&loaded.key)
        ),
        Err(e) => format!("unusable key: {e}"),
    }
}

/// What the embedded sandbox is started with.
struct SandboxRequest {
    profile_id: String,
    client_id: String,
    client_secret: String,
    private_key_pem: String,
    inbox_keys: Option<inbox::InboxKeys>,
}

/// Start the embedded sandbox for a profile (stopping one already running). Its own
/// notification key is fresh each time; the profile gets the public half. With
/// `inbox_keys`, the window's inbox is started first and the sandbox notifies it, so a VA
/// payment made in the composer comes back as a verified notification.
async fn start_sandbox(
    context: &WorkerContext,
    events: &mpsc::Sender<Event>,
    request: SandboxRequest,
) -> Event {
    let pem = request.private_key_pem.clone();
    let keys = blocking(move || {
        let partner = keys::parse_private_key(pem.as_bytes(), None)
            .map_err(|e| format!("the profile's private key: {e}"))?;
        let notification = keys::generate_private_key(2048).map_err(|e| e.to_string())?;
        Ok::<_, String>((partner.key.to_public_key(), notification))
    })
    .await
    .and_then(|r| r);
    let (partner_public, notification_key) = match keys {
        Ok(keys) => keys,
        Err(e) => return Event::SandboxFailed(e),
    };
    let inbox_url = match &request.inbox_keys {
        Some(keys) => match inbox::base_url(context).await {
            Some(url) => Some(url),
            None => match inbox::start(context, events, 0, false, keys.clone()).await {
                Ok((url, _)) => Some(url),
                Err(e) => return Event::SandboxFailed(format!("its inbox did not start: {e}")),
            },
        },
        None => None,
    };
    let mut config = SandboxConfig::new(
        request.client_id.clone(),
        zeroize::Zeroizing::new(request.client_secret.clone()),
        partner_public,
        notification_key,
    );
    config.notify_url = inbox_url.clone();
    let mut running = context.state.sandbox.lock().await;
    if let Some(old) = running.take() {
        old.stop().await;
    }
    match sandbox::start(config).await {
        Ok(handle) => {
            let notification_public_pem = handle.notification_public_key_pem().to_string();
            if let Some(mut keys) = request.inbox_keys {
                // The inbox checks the sandbox's notifications with the key it just made.
                keys.counterparty_public_pem = notification_public_pem.clone();
                inbox::set_keys(context, &keys).await;
            }
            let event = Event::SandboxStarted {
                profile_id: request.profile_id,
                base_url: handle.base_url().to_string(),
                notification_public_pem,
                inbox_url,
            };
            *running = Some(handle);
            event
        }
        Err(e) => Event::SandboxFailed(e.to_string()),
    }
}

/// A NICEPAY-style VA payment notification signed with `private_key_pem`, to `url`.
async fn send_test_notification(
    url: String,
    client_id: String,
    private_key_pem: String,
    body: String,
) -> Result<String, String> {
    let key =
        blocking(move || keys::parse_private_key(private_key_pem.as_bytes(), None).map(|l| l.key))
            .await?
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
                outcome.body.chars().take(300).collect::<String>()
            )
        })
        .map_err(|e| e.to_string())
}

/// Diagnose with whatever key the workbench holds: a client secret, or the public half
/// of an RSA key (a private key works too).
pub fn run_diagnosis(
    input: &SignatureInput,
    key: &KeyMaterial,
    expected: &str,
) -> Result<diagnose::Diagnosis, String> {
    match key {
        KeyMaterial::ClientSecret(secret) => {
            diagnose::diagnose(input, expected, VerifyingSecret::Hmac(secret.as_bytes()))
        }
        KeyMaterial::PrivateKeyPem(pem) | KeyMaterial::PublicKeyPem(pem) => {
            let key = keys::parse_public_key(pem.as_bytes()).map_err(|e| format!("key: {e}"))?;
            diagnose::diagnose(input, expected, VerifyingSecret::Rsa(&key.key))
        }
    }
    .map_err(|e| e.to_string())
}

/// Kinds signed with RSA need a key; the symmetric kind the client secret.
pub fn needs_private_key(kind: SignatureKind) -> bool {
    kind.algorithm() == signature::Algorithm::Sha256WithRsa
}
