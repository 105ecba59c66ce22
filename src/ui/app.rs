//! The eframe::App: layout, navigation, and the events coming back from the worker.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use egui::{RichText, Ui};

use super::composer::ComposerPanel;
use super::credentials::CredentialsPanel;
use super::history::HistoryPanel;
use super::inbox::InboxPanel;
use super::widgets;
use super::workbench::WorkbenchPanel;
use crate::store::paths::AppPaths;
use crate::store::profiles::ProfileBook;
use crate::worker::{self, Command, Event, WorkerContext, WorkerHandle};

/// Seconds of quiet after the last edit before profiles are written.
const SAVE_DEBOUNCE_SECONDS: f64 = 0.6;
const MAX_NOTICES: usize = 50;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Nav {
    Credentials,
    Workbench,
    Composer,
    History,
    Inbox,
}

impl Nav {
    const ALL: [Nav; 5] = [
        Nav::Credentials,
        Nav::Workbench,
        Nav::Composer,
        Nav::History,
        Nav::Inbox,
    ];

    fn label(self) -> &'static str {
        match self {
            Nav::Credentials => "Credentials",
            Nav::Workbench => "Workbench",
            Nav::Composer => "Composer",
            Nav::History => "History",
            Nav::Inbox => "Inbox",
        }
    }

    fn coming(self) -> bool {
        false
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
pub struct Notice {
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
pub struct Shared {
    worker: WorkerHandle,
    pub book: ProfileBook,
    pub save_blocked: Option<String>,
    pub notices: Vec<Notice>,
    pub sandbox: SandboxState,
    /// Key fingerprints by a hash of the PEM, filled in by the worker (RSA parsing is not
    /// done on the UI thread).
    pub fingerprints: HashMap<u64, String>,
    fingerprints_requested: std::collections::HashSet<u64>,
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
}

impl Shared {
    pub fn notify(&mut self, level: Level, text: impl Into<String>) {
        self.notices.push(Notice {
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

    /// Start the embedded sandbox for the profile marked as the local sandbox, if any.
    pub fn start_sandbox(&mut self) {
        let Some(profile) = self.book.profiles.iter().find(|p| p.local_sandbox).cloned() else {
            return;
        };
        let secrets = self.book.secrets_of(&profile.id);
        self.sandbox_credentials = Some(sandbox_credentials_hash(&profile, &secrets));
        self.sandbox = SandboxState::Starting;
        let inbox_keys = crate::worker::inbox::InboxKeys {
            counterparty_public_pem: profile.counterparty_public_key_pem.clone(),
            client_secret: secrets.client_secret.clone(),
            client_id: profile.client_id.clone(),
            profile_name: profile.name.clone(),
        };
        self.send(Command::StartSandbox {
            profile_id: profile.id,
            client_id: profile.client_id,
            client_secret: secrets.client_secret,
            private_key_pem: secrets.private_key_pem,
            inbox_keys: Some(inbox_keys),
        });
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

    /// Profiles changed: save after a short quiet period.
    pub fn mark_dirty(&mut self) {
        self.dirty_since = Some(self.now);
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
            self.send(Command::Fingerprint {
                hash,
                pem: pem.to_string(),
            });
        }
        None
    }
}

fn sandbox_credentials_hash(
    profile: &crate::store::profiles::Profile,
    secrets: &crate::store::profiles::ProfileSecrets,
) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    (
        &profile.client_id,
        &secrets.client_secret,
        &secrets.private_key_pem,
    )
        .hash(&mut hasher);
    hasher.finish()
}

pub fn pem_hash(pem: &str) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    pem.trim().hash(&mut hasher);
    hasher.finish()
}

pub struct SnapApp {
    pub shared: Shared,
    pub nav: Nav,
    credentials: CredentialsPanel,
    pub workbench: WorkbenchPanel,
    pub composer: ComposerPanel,
    pub history: HistoryPanel,
    pub inbox: InboxPanel,
    history_store: crate::worker::history::SharedHistory,
    context: Arc<OnceLock<egui::Context>>,
}

impl SnapApp {
    /// A window backed by a worker on `runtime`, with its files under `paths`.
    pub fn new(runtime: &tokio::runtime::Handle, paths: AppPaths) -> Self {
        let context: Arc<OnceLock<egui::Context>> = Arc::new(OnceLock::new());
        let repaint_target = context.clone();
        let state: Arc<worker::WorkerState> = Default::default();
        let history_store = state.history.clone();
        let worker = worker::start(
            runtime,
            WorkerContext {
                paths,
                state,
                repaint: Arc::new(move || {
                    if let Some(ctx) = repaint_target.get() {
                        ctx.request_repaint();
                    }
                }),
            },
        );
        let mut shared = Shared {
            worker,
            book: ProfileBook::default(),
            save_blocked: None,
            notices: Vec::new(),
            sandbox: SandboxState::Off,
            fingerprints: HashMap::new(),
            fingerprints_requested: Default::default(),
            dirty_since: None,
            now: 0.0,
            loaded: false,
            sandbox_credentials: None,
            problems: Vec::new(),
        };
        shared.send(Command::LoadProfiles);
        shared.send(Command::OpenHistory);
        SnapApp {
            shared,
            nav: Nav::Credentials,
            credentials: CredentialsPanel::default(),
            workbench: WorkbenchPanel::default(),
            composer: ComposerPanel::default(),
            history: HistoryPanel::default(),
            inbox: InboxPanel::default(),
            history_store,
            context,
        }
    }

    /// The whole window, drawn into `ui` (eframe's root ui, or egui_kittest's).
    pub fn show(&mut self, ui: &mut Ui) {
        if self.context.set(ui.ctx().clone()).is_ok() {
            trace_first_frame();
        }
        self.shared.now = ui.input(|i| i.time);
        self.drain_events();
        self.save_when_quiet(ui.ctx());

        egui::Panel::bottom("status_bar").show(ui, |ui| self.status_bar(ui));
        egui::Panel::left("navigation")
            .resizable(false)
            .default_size(150.0)
            .show(ui, |ui| self.navigation(ui));
        egui::CentralPanel::default().show(ui, |ui| {
            self.problems(ui);
            self.panel(ui);
        });
    }

    fn problems(&mut self, ui: &mut Ui) {
        if self.shared.problems.is_empty() {
            return;
        }
        egui::Frame::group(ui.style()).show(ui, |ui| {
            for problem in &self.shared.problems {
                widgets::error_text(ui, problem);
            }
            if ui.button("Dismiss").clicked() {
                self.shared.problems.clear();
            }
        });
        ui.add_space(6.0);
    }

    fn panel(&mut self, ui: &mut Ui) {
        match self.nav {
            Nav::Credentials => self.credentials.ui(ui, &mut self.shared),
            Nav::Workbench => self.workbench.ui(ui, &mut self.shared),
            Nav::Composer => {
                self.composer.ui(ui, &mut self.shared);
                if std::mem::take(&mut self.composer.diagnose_request) {
                    self.hand_over_to_workbench();
                }
            }
            Nav::Inbox => self.inbox.ui(ui, &mut self.shared),
            Nav::History => {
                self.history.ui(ui, &mut self.shared, &self.history_store);
                if let Some(exchange) = self.history.open_in_composer.take() {
                    let profile = self.shared.book.active_profile().cloned();
                    let secret = profile
                        .as_ref()
                        .map(|p| self.shared.book.secrets_of(&p.id).client_secret)
                        .unwrap_or_default();
                    self.composer
                        .open_exchange(&exchange, profile.as_ref(), &secret);
                    self.nav = Nav::Composer;
                }
            }
        }
    }

    /// "Diagnose this signature": the workbench takes the rejected request's inputs.
    fn hand_over_to_workbench(&mut self) {
        let Some(built) = self.composer.report.as_ref().and_then(|r| r.built.as_ref()) else {
            return;
        };
        self.workbench
            .take_request(built, self.shared.book.active_profile());
        self.nav = Nav::Workbench;
    }

    fn navigation(&mut self, ui: &mut Ui) {
        ui.add_space(6.0);
        ui.heading("SNAP Console");
        ui.add_space(8.0);
        for nav in Nav::ALL {
            let text = if nav.coming() {
                format!("{} (coming)", nav.label())
            } else {
                nav.label().to_string()
            };
            ui.selectable_value(&mut self.nav, nav, text);
        }
    }

    fn status_bar(&mut self, ui: &mut Ui) {
        ui.horizontal(|ui| {
            let profile = self
                .shared
                .book
                .active_profile()
                .map(|p| p.name.clone())
                .unwrap_or_else(|| "none".into());
            ui.label(format!("Profile: {profile}"));
            ui.separator();
            match &self.shared.sandbox {
                SandboxState::Off => ui.label("Sandbox: off"),
                SandboxState::Starting => ui.label("Sandbox: starting…"),
                SandboxState::Running { base_url } => ui.label(
                    RichText::new(format!("Sandbox: running at {base_url}")).color(widgets::OK),
                ),
                SandboxState::Failed(e) => {
                    ui.label(RichText::new(format!("Sandbox: failed ({e})")).color(widgets::ERROR))
                }
            };
            if let Some(notice) = self.shared.notices.last() {
                ui.separator();
                let color = match notice.level {
                    Level::Info => ui.visuals().text_color(),
                    Level::Ok => widgets::OK,
                    Level::Warning => widgets::WARN,
                    Level::Error => widgets::ERROR,
                };
                ui.label(RichText::new(&notice.text).color(color));
            }
        });
    }

    fn save_when_quiet(&mut self, ctx: &egui::Context) {
        let Some(since) = self.shared.dirty_since else {
            return;
        };
        let quiet = self.shared.now - since;
        if quiet >= SAVE_DEBOUNCE_SECONDS {
            self.shared.dirty_since = None;
            let book = self.shared.book.clone();
            let blocked = self.shared.save_blocked.clone();
            self.shared.send(Command::SaveProfiles(book, blocked));
            self.shared.restart_sandbox_if_credentials_changed();
        } else {
            ctx.request_repaint_after(std::time::Duration::from_secs_f64(
                SAVE_DEBOUNCE_SECONDS - quiet + 0.01,
            ));
        }
    }

    fn drain_events(&mut self) {
        while let Some(event) = self.shared.worker.try_recv() {
            self.apply(event);
        }
    }

    fn apply(&mut self, event: Event) {
        let shared = &mut self.shared;
        match event {
            Event::ProfilesLoaded(loaded) => {
                shared.loaded = true;
                shared.book = loaded.book;
                shared.save_blocked = loaded.save_blocked;
                for problem in loaded.problems {
                    shared.notify(Level::Error, problem.clone());
                    shared.problems.push(problem);
                }
                if shared.book.profiles.is_empty() {
                    shared.notify(
                        Level::Info,
                        "first run: creating the Local sandbox profile…",
                    );
                    shared.send(Command::CreateSandboxProfile);
                } else {
                    shared.start_sandbox();
                }
                self.credentials.select_active(&shared.book);
                self.workbench.prefill(&shared.book);
            }
            Event::SandboxProfileCreated(made) => {
                let id = made.profile.id.clone();
                shared.book.profiles.push(made.profile);
                shared.book.secrets.insert(id.clone(), made.secrets);
                shared.book.active = Some(id);
                shared.mark_dirty();
                shared.notify(
                    Level::Ok,
                    "Local sandbox profile created with a fresh 2048-bit key",
                );
                shared.start_sandbox();
                self.credentials.select_active(&shared.book);
                self.workbench.prefill(&shared.book);
            }
            Event::Saved(Ok(())) => {}
            Event::Saved(Err(e)) => {
                let text = format!("profiles not saved: {e}");
                shared.notify(Level::Error, text.clone());
                // Keep it on screen: unsaved work must not go unnoticed.
                if !shared.problems.contains(&text) {
                    shared.problems.push(text);
                }
            }
            Event::KeyReady {
                profile_id,
                private_pem,
                summary,
            } => {
                shared
                    .book
                    .secrets
                    .entry(profile_id)
                    .or_default()
                    .private_key_pem = private_pem;
                shared.mark_dirty();
                shared.notify(Level::Ok, summary);
                self.credentials.key_loaded();
            }
            Event::PublicKeyReady {
                profile_id,
                public_pem,
                summary,
            } => {
                if let Some(p) = shared.book.profiles.iter_mut().find(|p| p.id == profile_id) {
                    p.counterparty_public_key_pem = public_pem;
                    shared.mark_dirty();
                }
                shared.notify(Level::Ok, summary);
            }
            Event::PassphraseNeeded { profile_id, path } => {
                shared.notify(
                    Level::Warning,
                    format!("{} is encrypted: enter its passphrase", path.display()),
                );
                self.credentials.ask_passphrase(profile_id, path);
            }
            Event::FileWritten(text) => shared.notify(Level::Ok, text),
            Event::DialogUnavailable(text) => {
                shared.notify(Level::Warning, text);
                self.credentials.dialog_unavailable();
            }
            Event::Fingerprint { hash, text } => {
                shared.fingerprints.insert(hash, text);
            }
            Event::Signed { generation, result } => self.workbench.accept(generation, result),
            Event::SandboxStarted {
                profile_id,
                base_url,
                notification_public_pem,
                inbox_url,
            } => {
                if let Some(url) = inbox_url {
                    self.inbox.started(url.clone(), None);
                    self.composer.notification_url_default(&url);
                }
                if let Some(p) = shared.book.profiles.iter_mut().find(|p| p.id == profile_id) {
                    p.base_url = base_url.clone();
                    p.counterparty_public_key_pem = notification_public_pem;
                    shared.mark_dirty();
                }
                shared.sandbox = SandboxState::Running { base_url };
            }
            Event::SandboxFailed(e) => {
                shared.notify(
                    Level::Error,
                    format!("the local sandbox did not start: {e}"),
                );
                shared.sandbox = SandboxState::Failed(e);
            }
            Event::CrossChecked { generation, result } => {
                self.workbench.accept_cross_check(generation, result)
            }
            Event::InboxStarted { base_url, warning } => {
                shared.notify(Level::Ok, format!("the inbox listens at {base_url}"));
                self.composer.notification_url_default(&base_url);
                self.inbox.started(base_url, warning);
            }
            Event::InboxStopped => {
                shared.notify(Level::Info, "the inbox stopped listening");
                self.inbox.stopped();
            }
            Event::InboxReceived {
                received,
                history_problem,
            } => {
                if let Some(problem) = history_problem {
                    shared.notify(
                        Level::Warning,
                        format!("inbound request not in the history: {problem}"),
                    );
                }
                shared.notify(Level::Info, format!("inbox: {}", received.summary_text()));
                self.inbox.receive(*received);
                self.history.invalidate();
            }
            Event::InboxAnswerSet(result) => match result {
                Ok(label) => shared.notify(Level::Ok, format!("inbox answer set: {label}")),
                Err(e) => shared.notify(Level::Error, format!("inbox answer not set: {e}")),
            },
            Event::TestNotificationSent(result) => self.composer.notification_sent(result),
            Event::Sent { generation, report } => {
                self.composer.accept(generation, *report);
                self.history.invalidate();
            }
            Event::TokenFetched(result) => {
                self.composer.token_fetched(result);
                self.history.invalidate();
            }
            Event::HistoryOpened { count, messages } => {
                for message in messages {
                    shared.notify(Level::Warning, message.clone());
                    shared.problems.push(message);
                }
                self.history.count = count;
                self.history.invalidate();
            }
            Event::HistoryChanged(result) => {
                if let Err(e) = result {
                    shared.notify(Level::Error, format!("history: {e}"));
                }
                self.history.invalidate();
            }
            Event::HistoryFound {
                generation,
                version,
                indices,
                done,
            } => self.history.found(generation, version, indices, done),
            Event::HistoryEntry(result) => self.history.entry_read(shared, result),
            Event::HistoryRefreshed { changed } => {
                if changed {
                    self.history.invalidate();
                }
            }
            Event::Diagnosed { generation, result } => {
                self.workbench.accept_diagnosis(generation, result)
            }
            Event::Failed(text) if text == "cancelled" => shared.notify(Level::Info, "cancelled"),
            Event::Failed(text) => shared.notify(Level::Error, text),
        }
    }
}

impl eframe::App for SnapApp {
    fn ui(&mut self, ui: &mut Ui, _frame: &mut eframe::Frame) {
        egui::Frame::central_panel(ui.style())
            .fill(ui.visuals().panel_fill)
            .show(ui, |ui| self.show(ui));
    }
}

/// With `SNAP_CONSOLE_TRACE_FIRST_FRAME` set, print the wall-clock time of the first UI
/// pass to stderr (`scripts/measure_window.sh` measures launch → first frame with it).
pub fn trace_first_frame() {
    if std::env::var_os("SNAP_CONSOLE_TRACE_FIRST_FRAME").is_some() {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        eprintln!("first-frame {}.{:09}", now.as_secs(), now.subsec_nanos());
    }
}

/// Open the window. Blocks until it is closed.
pub fn run_native(runtime: &tokio::runtime::Runtime, paths: AppPaths) -> Result<(), String> {
    let options = eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default()
            .with_title("SNAP Console")
            .with_inner_size([1200.0, 800.0])
            .with_min_inner_size([720.0, 480.0]),
        // Our own files hold the profiles; eframe's persistence stays off so that no
        // secret can ever end up in its storage.
        persist_window: false,
        ..Default::default()
    };
    let handle = runtime.handle().clone();
    eframe::run_native(
        "SNAP Console",
        options,
        Box::new(move |_cc| Ok(Box::new(SnapApp::new(&handle, paths)))),
    )
    .map_err(|e| {
        format!("cannot open the window: {e} (without a display the command line still works: snap-console --help)")
    })
}

/// The window's entry point: one multi-thread tokio runtime owned here, for the worker and
/// the embedded sandbox.
pub fn main() -> std::process::ExitCode {
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .thread_name("snap-worker")
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: cannot start the background runtime: {e}");
            return std::process::ExitCode::from(2);
        }
    };
    match run_native(&runtime, AppPaths::discover()) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::ExitCode::from(2)
        }
    }
}
