//! What a panel may use, and how panels ask each other for things.
//!
//! A panel gets an [`AppContext`]: the profiles, the notices and their level, the worker
//! handle, the sandbox's state and key fingerprints. It never sees another panel: when it
//! needs one (open this exchange in the composer, diagnose this request in the workbench),
//! it pushes an [`Action`], and the app hands the action to every panel and switches to the
//! one the action is for. Worker events are offered to the context first (profiles, keys,
//! the sandbox, notices), then to each panel in turn until one takes it.

use std::any::Any;
use std::collections::{HashMap, HashSet};
use std::hash::{Hash, Hasher};

use egui::Ui;

use crate::model::{Profile, ProfileBook, ProfileSecrets, Secret, SecretsPlace};
use crate::worker::composer::{BuiltRequest, ComposerEvent};
use crate::worker::history::{Exchange, SharedHistory};
use crate::worker::inbox::{InboxEvent, InboxKeys};
use crate::worker::keys::{KeysCommand, KeysEvent};
use crate::worker::profiles::{ProfilesCommand, ProfilesEvent};
use crate::worker::sandbox::{SandboxCommand, SandboxEvent, SandboxStart};
use crate::worker::{Command, Event, Notice, WorkerHandle};

const MAX_NOTICES: usize = 50;
const MAX_ACTIONS: usize = 64;

/// One panel of the window: one file, one state struct, this trait.
pub trait Panel: Any {
    /// Its name in the navigation list; unique.
    fn title(&self) -> &'static str;
    /// Draw it (the central area of the window).
    fn ui(&mut self, ui: &mut Ui, ctx: &mut AppContext);
    /// Take a worker event meant for this panel; give back the ones it does not handle.
    fn take_event(&mut self, event: Event, _ctx: &mut AppContext) -> Option<Event> {
        Some(event)
    }
    /// React to a request from another panel, or to something every panel may care about.
    fn on_action(&mut self, _action: &Action, _ctx: &mut AppContext) {}
    /// Ctrl+F: put the keyboard in this panel's search field, if it has one.
    fn focus_search(&mut self) {}
    /// What this panel offers the command palette (Ctrl+K): services to pick, suites to
    /// run… The palette shows the panel after running one.
    fn palette_entries(&self, _ctx: &AppContext) -> Vec<PaletteEntry> {
        Vec::new()
    }
    /// Run the entry with this key (one of `palette_entries`).
    fn run_palette_entry(&mut self, _key: &str, _ctx: &mut AppContext) {}
}

/// One line of the command palette a panel contributes.
#[derive(Debug, Clone)]
pub struct PaletteEntry {
    pub label: String,
    /// Quieter text beside the label (a path, a group).
    pub note: String,
    /// What the panel gets back when it is picked.
    pub key: String,
}

/// Requests between panels, and news that several panels react to.
#[derive(Debug)]
pub enum Action {
    /// Fill the composer from a recorded exchange (History's "Open in composer").
    OpenInComposer(Box<Exchange>),
    /// Take a rejected request's inputs to the workbench ("Diagnose this signature").
    DiagnoseInWorkbench(Box<BuiltRequest>),
    /// The profile book was replaced (loaded, or the first-run profile made).
    ProfilesReplaced,
    /// The active profile's private key was replaced.
    PrivateKeyLoaded,
    /// The window's inbox listens here now.
    InboxListening {
        base_url: String,
        warning: Option<String>,
    },
    InboxStopped,
    /// The history changed on disk: lists and searches are stale.
    HistoryChanged,
    /// No native file dialog here: panels offer their path fields.
    DialogUnavailable,
}

impl Action {
    /// The panel to show after this action, by title.
    pub fn target(&self) -> Option<&'static str> {
        match self {
            Action::OpenInComposer(_) => Some(super::composer::TITLE),
            Action::DiagnoseInWorkbench(_) => Some(super::workbench::TITLE),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Info,
    Ok,
    Warning,
    Error,
}

#[derive(Debug, Clone)]
pub struct Notification {
    pub level: Level,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SandboxState {
    Off,
    Starting,
    Running { base_url: String },
    Failed(String),
}

/// State every panel may read and change.
pub struct AppContext {
    worker: WorkerHandle,
    pub book: ProfileBook,
    pub save_blocked: Option<String>,
    pub notices: Vec<Notification>,
    pub sandbox: SandboxState,
    /// Key fingerprints by a hash of the PEM, filled in by the worker (RSA parsing is not
    /// done on the UI thread).
    fingerprints: HashMap<u64, String>,
    fingerprints_requested: HashSet<u64>,
    dirty_since: Option<f64>,
    /// The time egui reports for the current frame.
    pub now: f64,
    pub loaded: bool,
    /// Which credentials the running sandbox was started with (a hash; no secret kept):
    /// when the local sandbox profile's client ID, secret or key change, it restarts.
    sandbox_credentials: Option<u64>,
    /// Problems that must not scroll away (a corrupt file, saving disabled): shown above
    /// every panel until dismissed.
    pub problems: Vec<String>,
    /// The history the worker keeps; the history panel reads it without waiting.
    pub history: SharedHistory,
    actions: Vec<Action>,
    /// Where the secrets are kept, once the worker has said (the credentials panel's note).
    pub secrets_place: Option<SecretsPlace>,
    /// Grows with every save sent: the worker skips a save older than one it has applied.
    save_generation: u64,
}

impl AppContext {
    pub fn new(worker: WorkerHandle, history: SharedHistory) -> Self {
        AppContext {
            worker,
            book: ProfileBook::default(),
            save_blocked: None,
            notices: Vec::new(),
            sandbox: SandboxState::Off,
            fingerprints: HashMap::new(),
            fingerprints_requested: HashSet::new(),
            dirty_since: None,
            secrets_place: None,
            save_generation: 0,
            now: 0.0,
            loaded: false,
            sandbox_credentials: None,
            problems: Vec::new(),
            history,
            actions: Vec::new(),
        }
    }

    pub fn notify(&mut self, level: Level, text: impl Into<String>) {
        self.notices.push(Notification {
            level,
            text: text.into(),
        });
        if self.notices.len() > MAX_NOTICES {
            self.notices.remove(0);
        }
    }

    /// Queue a command; say so when the worker is saturated rather than block.
    pub fn send(&mut self, command: Command) {
        if !self.worker.send(command) {
            self.notify(
                Level::Error,
                "the background worker is busy; try again in a moment",
            );
        }
    }

    /// Ask other panels for something (handled after this frame's drawing).
    pub fn act(&mut self, action: Action) {
        if self.actions.len() < MAX_ACTIONS {
            self.actions.push(action);
        }
    }

    pub(super) fn take_actions(&mut self) -> Vec<Action> {
        std::mem::take(&mut self.actions)
    }

    pub(super) fn next_event(&mut self) -> Option<Event> {
        self.worker.try_recv()
    }

    pub fn active_profile(&self) -> Option<&Profile> {
        self.book.active_profile()
    }

    /// The active profile's secrets (empty when there is no active profile).
    pub fn active_secrets(&self) -> ProfileSecrets {
        self.book
            .active_profile()
            .map(|p| self.book.secrets_of(&p.id))
            .unwrap_or_default()
    }

    /// Profiles changed: save after a short quiet period.
    pub fn mark_dirty(&mut self) {
        self.dirty_since = Some(self.now);
    }

    /// Seconds since the last unsaved change, if any.
    pub(super) fn dirty_for(&self) -> Option<f64> {
        self.dirty_since.map(|since| self.now - since)
    }

    /// Save now (the quiet period is over); restart the sandbox if its credentials changed.
    pub(super) fn save(&mut self) {
        self.dirty_since = None;
        let book = self.book.clone();
        let blocked = self.save_blocked.clone();
        self.save_generation += 1;
        let generation = self.save_generation;
        self.send(Command::Profiles(ProfilesCommand::Save {
            book,
            blocked,
            generation,
        }));
        self.restart_sandbox_if_credentials_changed();
    }

    /// "Forget secrets": clear a profile's secrets here and have the worker remove them
    /// from wherever they are kept (the keychain and the file), saving the book with them.
    pub fn forget_secrets(&mut self, profile_id: &str) {
        self.book.secrets.remove(profile_id);
        self.dirty_since = None;
        self.save_generation += 1;
        self.send(Command::Profiles(ProfilesCommand::ForgetSecrets {
            profile_id: profile_id.to_string(),
            book: self.book.clone(),
            blocked: self.save_blocked.clone(),
            generation: self.save_generation,
        }));
        self.restart_sandbox_if_credentials_changed();
    }

    /// The fingerprint of a key, or None while the worker computes it.
    pub fn fingerprint(&mut self, pem: &str) -> Option<String> {
        if pem.trim().is_empty() {
            return None;
        }
        let hash = pem_hash(pem);
        if let Some(found) = self.fingerprints.get(&hash) {
            return Some(found.clone());
        }
        if self.fingerprints_requested.insert(hash) {
            self.send(Command::Keys(KeysCommand::Fingerprint {
                hash,
                pem: Secret::new(pem),
            }));
        }
        None
    }

    /// Start the embedded sandbox for the profile marked as the local sandbox, if any.
    pub fn start_sandbox(&mut self) {
        let Some(profile) = self.book.profiles.iter().find(|p| p.local_sandbox).cloned() else {
            return;
        };
        let secrets = self.book.secrets_of(&profile.id);
        self.sandbox_credentials = Some(sandbox_credentials_hash(&profile, &secrets));
        self.sandbox = SandboxState::Starting;
        let inbox_keys = InboxKeys {
            counterparty_public_pem: profile.counterparty_public_key_pem.clone(),
            client_secret: secrets.client_secret.clone(),
            client_id: profile.client_id.clone(),
            profile_name: profile.name.clone(),
        };
        self.send(Command::Sandbox(SandboxCommand::Start(SandboxStart {
            profile_id: profile.id,
            client_id: profile.client_id,
            client_secret: secrets.client_secret,
            private_key_pem: secrets.private_key_pem,
            inbox_keys: Some(inbox_keys),
        })));
    }

    /// Restart the sandbox if the local sandbox profile's credentials changed (a key
    /// loaded or generated, a secret or client ID edited), so that it keeps accepting them.
    fn restart_sandbox_if_credentials_changed(&mut self) {
        let Some(profile) = self.book.profiles.iter().find(|p| p.local_sandbox) else {
            return;
        };
        let now = sandbox_credentials_hash(profile, &self.book.secrets_of(&profile.id));
        if self
            .sandbox_credentials
            .is_some_and(|running| running != now)
        {
            self.notify(
                Level::Info,
                "the Local sandbox profile's credentials changed: restarting the sandbox with them",
            );
            self.start_sandbox();
        }
    }

    /// Keep a problem on screen until dismissed (unsaved work must not go unnoticed).
    pub fn keep_problem(&mut self, text: String) {
        self.notify(Level::Error, text.clone());
        if !self.problems.contains(&text) {
            self.problems.push(text);
        }
    }
}

impl AppContext {
    /// The context's share of an event: profiles, keys, the sandbox and notices change
    /// what every panel sees. Returns the event when a panel should see it too.
    pub(super) fn take_event(&mut self, event: Event) -> Option<Event> {
        match event {
            Event::Profiles(event) => {
                self.profiles_event(event);
                None
            }
            Event::Sandbox(event) => {
                self.sandbox_event(event);
                None
            }
            Event::Notice(notice) => {
                self.notice(notice);
                None
            }
            Event::Keys(event) => self.keys_event(event),
            Event::Composer(ComposerEvent::Sent { .. } | ComposerEvent::TokenFetched(_)) => {
                self.act(Action::HistoryChanged);
                Some(event)
            }
            Event::Inbox(event) => self.inbox_event(event),
            Event::WindowSaved(result) => {
                if let Err(e) = result {
                    self.notify(
                        Level::Warning,
                        format!("window size and panel not remembered: {e}"),
                    );
                }
                None
            }
            other => Some(other),
        }
    }

    fn profiles_event(&mut self, event: ProfilesEvent) {
        match event {
            ProfilesEvent::Loaded(loaded) => {
                self.loaded = true;
                self.book = loaded.book;
                self.save_blocked = loaded.save_blocked;
                self.secrets_place = Some(loaded.secrets_place);
                for problem in loaded.problems {
                    self.keep_problem(problem);
                }
                if let Some(moved) = loaded.migrated {
                    self.notify(Level::Ok, moved);
                }
                if self.book.profiles.is_empty() {
                    self.notify(
                        Level::Info,
                        "first run: creating the Local sandbox profile…",
                    );
                    self.send(Command::Profiles(ProfilesCommand::CreateSandboxProfile));
                } else {
                    self.start_sandbox();
                }
                self.act(Action::ProfilesReplaced);
            }
            ProfilesEvent::SandboxProfileCreated(made) => {
                let id = made.profile.id.clone();
                self.book.profiles.push(made.profile);
                self.book.secrets.insert(id.clone(), made.secrets);
                self.book.active = Some(id);
                self.mark_dirty();
                self.notify(
                    Level::Ok,
                    "Local sandbox profile created with a fresh 2048-bit key",
                );
                self.start_sandbox();
                self.act(Action::ProfilesReplaced);
            }
            ProfilesEvent::Saved(Ok(report)) => {
                self.secrets_place = Some(report.secrets_place);
                for problem in report.problems {
                    self.keep_problem(problem);
                }
            }
            ProfilesEvent::Saved(Err(e)) => self.keep_problem(format!("profiles not saved: {e}")),
            ProfilesEvent::Forgotten(Ok(text)) => self.notify(Level::Ok, text),
            ProfilesEvent::Forgotten(Err(e)) => {
                self.keep_problem(format!("secrets not forgotten: {e}"));
            }
        }
    }

    fn keys_event(&mut self, event: KeysEvent) -> Option<Event> {
        match event {
            KeysEvent::PrivateKeyReady {
                profile_id,
                private_pem,
                summary,
            } => {
                self.book
                    .secrets
                    .entry(profile_id)
                    .or_default()
                    .private_key_pem = private_pem;
                self.mark_dirty();
                self.notify(Level::Ok, summary);
                self.act(Action::PrivateKeyLoaded);
                None
            }
            KeysEvent::PublicKeyReady {
                profile_id,
                public_pem,
                summary,
            } => {
                if let Some(p) = self.book.profiles.iter_mut().find(|p| p.id == profile_id) {
                    p.counterparty_public_key_pem = public_pem;
                    self.mark_dirty();
                }
                self.notify(Level::Ok, summary);
                None
            }
            KeysEvent::Fingerprint { hash, text } => {
                self.fingerprints.insert(hash, text);
                None
            }
            KeysEvent::PassphraseNeeded { profile_id, path } => {
                self.notify(
                    Level::Warning,
                    format!("{} is encrypted: enter its passphrase", path.display()),
                );
                Some(Event::Keys(KeysEvent::PassphraseNeeded {
                    profile_id,
                    path,
                }))
            }
        }
    }

    fn sandbox_event(&mut self, event: SandboxEvent) {
        match event {
            SandboxEvent::Started {
                profile_id,
                base_url,
                notification_public_pem,
                inbox_url,
            } => {
                if let Some(url) = inbox_url {
                    self.act(Action::InboxListening {
                        base_url: url,
                        warning: None,
                    });
                }
                if let Some(p) = self.book.profiles.iter_mut().find(|p| p.id == profile_id) {
                    p.base_url = base_url.clone();
                    p.counterparty_public_key_pem = notification_public_pem;
                    self.mark_dirty();
                }
                self.sandbox = SandboxState::Running { base_url };
            }
            SandboxEvent::Failed(e) => {
                self.notify(
                    Level::Error,
                    format!("the local sandbox did not start: {e}"),
                );
                self.sandbox = SandboxState::Failed(e);
            }
        }
    }

    fn inbox_event(&mut self, event: InboxEvent) -> Option<Event> {
        match event {
            InboxEvent::Started { base_url, warning } => {
                self.notify(Level::Ok, format!("the inbox listens at {base_url}"));
                self.act(Action::InboxListening { base_url, warning });
                None
            }
            InboxEvent::Stopped => {
                self.notify(Level::Info, "the inbox stopped listening");
                self.act(Action::InboxStopped);
                None
            }
            InboxEvent::AnswerSet(Ok(label)) => {
                self.notify(Level::Ok, format!("inbox answer set: {label}"));
                None
            }
            InboxEvent::AnswerSet(Err(e)) => {
                self.notify(Level::Error, format!("inbox answer not set: {e}"));
                None
            }
            received @ InboxEvent::Received { .. } => {
                self.act(Action::HistoryChanged);
                Some(Event::Inbox(received))
            }
        }
    }

    fn notice(&mut self, notice: Notice) {
        match notice {
            Notice::Done(text) => self.notify(Level::Ok, text),
            Notice::Failed(text) => self.notify(Level::Error, text),
            Notice::Cancelled => self.notify(Level::Info, "cancelled"),
            Notice::DialogUnavailable(text) => {
                self.notify(Level::Warning, text);
                self.act(Action::DialogUnavailable);
            }
        }
    }
}

fn sandbox_credentials_hash(profile: &Profile, secrets: &ProfileSecrets) -> u64 {
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    (
        &profile.client_id,
        secrets.client_secret.expose(),
        secrets.private_key_pem.expose(),
    )
        .hash(&mut hasher);
    hasher.finish()
}

pub fn pem_hash(pem: &str) -> u64 {
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    pem.trim().hash(&mut hasher);
    hasher.finish()
}
