//! The tokio side of the window. The UI sends `Command`s and draws the `Event`s that come
//! back; it never waits on disk, network, file dialogs or RSA. Both channels are bounded:
//! a UI that floods commands gets `false` from `send` instead of unbounded memory growth.
//!
//! Messages are nested by feature (`Command::Keys(..)`, `Event::Inbox(..)`): each feature's
//! commands, events and work live in one file here, so the routers below are short tables
//! and a new feature adds one variant to each, not a branch to a long `match`.

use std::sync::Arc;

use tokio::sync::mpsc;

use crate::net::sandbox::SandboxHandle;
pub mod composer;
pub mod connection;
pub mod dialogs;
pub mod history;
pub mod inbox;
pub mod keys;
pub mod profiles;
pub mod sandbox;
pub mod scenarios;
pub mod setup;
pub mod window;
pub mod workbench;

pub use crate::store::paths::AppPaths;
pub use dialogs::FileChoice;

const CHANNEL_CAPACITY: usize = 64;

/// What the UI asks for, by feature.
#[derive(Debug)]
pub enum Command {
    Profiles(profiles::ProfilesCommand),
    Keys(keys::KeysCommand),
    Connection(connection::ConnectionCommand),
    Workbench(workbench::WorkbenchCommand),
    Composer(composer::ComposerCommand),
    History(history::HistoryCommand),
    Inbox(inbox::InboxCommand),
    Sandbox(sandbox::SandboxCommand),
    Scenarios(scenarios::ScenariosCommand),
    /// Remember the window's size, position, panel and theme.
    SaveWindow {
        seq: u64,
        state: crate::model::WindowState,
    },
}

/// What comes back, by feature; `Notice` is an outcome any feature may report.
#[derive(Debug)]
pub enum Event {
    Profiles(profiles::ProfilesEvent),
    Keys(keys::KeysEvent),
    Connection(connection::ConnectionEvent),
    Workbench(workbench::WorkbenchEvent),
    Composer(composer::ComposerEvent),
    History(history::HistoryEvent),
    Inbox(inbox::InboxEvent),
    Sandbox(sandbox::SandboxEvent),
    Scenarios(scenarios::ScenariosEvent),
    WindowSaved(Result<(), String>),
    Notice(Notice),
}

/// The outcome of work that has no event of its own: typed, so nobody compares strings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notice {
    /// Done; the text says what (a file written, its path).
    Done(String),
    /// Something failed; the text says what and where, and never holds a secret.
    Failed(String),
    /// The user cancelled (a dialog, a request).
    Cancelled,
    /// A native dialog could not be shown; the UI offers its path field instead.
    DialogUnavailable(String),
}

impl From<Notice> for Event {
    fn from(notice: Notice) -> Event {
        Event::Notice(notice)
    }
}

/// `Event::Notice(Notice::Failed(..))`, the most common outcome of a failed step.
pub fn failed(text: impl Into<String>) -> Event {
    Event::Notice(Notice::Failed(text.into()))
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
    /// The profile store of the session (a blocking lock, taken on blocking threads only).
    profiles: std::sync::Mutex<profiles::ProfileSlot>,
    /// The newest window state written (its sequence number): saves run in their own
    /// tasks, and an older one finishing late must not overwrite a newer one.
    window_written: std::sync::Mutex<u64>,
}

/// What the worker needs from its surroundings.
#[derive(Clone)]
pub struct WorkerContext {
    pub paths: AppPaths,
    pub state: Arc<WorkerState>,
    /// Wakes the UI after an event was queued (egui's `request_repaint`).
    pub repaint: Arc<dyn Fn() + Send + Sync>,
    /// Where events go; features that report more than once (the inbox) keep a clone.
    pub events: mpsc::Sender<Event>,
}

impl WorkerContext {
    /// Queue an event for the UI and wake it; `false` once the window is gone.
    pub async fn emit(&self, event: Event) -> bool {
        let sent = self.events.send(event).await.is_ok();
        if sent {
            (self.repaint)();
        }
        sent
    }
}

/// Start the worker on `runtime`.
pub fn start(
    runtime: &tokio::runtime::Handle,
    paths: AppPaths,
    state: Arc<WorkerState>,
    repaint: Arc<dyn Fn() + Send + Sync>,
) -> WorkerHandle {
    let (command_tx, mut command_rx) = mpsc::channel::<Command>(CHANNEL_CAPACITY);
    let (event_tx, event_rx) = mpsc::channel::<Event>(CHANNEL_CAPACITY);
    let context = WorkerContext {
        paths,
        state,
        repaint,
        events: event_tx,
    };
    runtime.spawn(async move {
        while let Some(command) = command_rx.recv().await {
            let context = context.clone();
            // Each command in its own task: a slow one never holds up the others.
            tokio::spawn(async move {
                let event = route(command, &context).await;
                context.emit(event).await;
            });
        }
    });
    WorkerHandle {
        commands: command_tx,
        events: event_rx,
    }
}

/// The router: one line a feature.
async fn route(command: Command, context: &WorkerContext) -> Event {
    match command {
        Command::Profiles(c) => profiles::handle(c, context).await,
        Command::Keys(c) => keys::handle(c).await,
        Command::Connection(c) => connection::handle(c).await,
        Command::Workbench(c) => workbench::handle(c).await,
        Command::Composer(c) => composer::handle(c, context).await,
        Command::History(c) => history::handle(c, context).await,
        Command::Inbox(c) => inbox::handle(c, context).await,
        Command::Sandbox(c) => sandbox::handle(c, context).await,
        Command::Scenarios(c) => scenarios::handle(c, context).await,
        Command::SaveWindow { seq, state } => window::save(seq, state, context).await,
    }
}

/// Run blocking work (disk, RSA, dialogs) off the async threads; a panic in it becomes a
/// failure notice instead of a lost answer.
pub(crate) async fn blocking(work: impl FnOnce() -> Event + Send + 'static) -> Event {
    tokio::task::spawn_blocking(work)
        .await
        .unwrap_or_else(|e| failed(format!("background task failed: {e}")))
}
