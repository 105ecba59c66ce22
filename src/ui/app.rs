//! The eframe::App: the navigation list, the status bar, and the routing of worker events
//! and panel actions. Panels live in their own files behind the `Panel` trait; adding one
//! is a file and a line in [`panels`].

use std::any::Any;
use std::sync::{Arc, OnceLock};

use egui::{RichText, Ui};

use super::composer::ComposerPanel;
use super::context::{AppContext, Level, Panel, SandboxState};
use super::credentials::CredentialsPanel;
use super::history::HistoryPanel;
use super::inbox::InboxPanel;
use super::palette::{Candidate, Choice, Overlays};
use super::scenarios::ScenariosPanel;
use super::widgets;
use super::workbench::WorkbenchPanel;
use crate::model::WindowState;
use crate::worker::history::HistoryCommand;
use crate::worker::profiles::ProfilesCommand;
use crate::worker::{self, Command, Event, WorkerState};

/// Seconds of quiet after the last edit before profiles are written.
const SAVE_DEBOUNCE_SECONDS: f64 = 0.6;
/// Seconds a window size, position or panel must hold before it is remembered (a drag
/// produces a size every frame).
const WINDOW_DEBOUNCE_SECONDS: f64 = 1.0;
/// The window's icon, also installed beside `assets/snap-console.desktop`.
const ICON_PNG: &[u8] = include_bytes!("../../assets/snap-console.png");

/// The navigation list, in order: one line a panel.
fn panels() -> Vec<Box<dyn Panel>> {
    vec![
        Box::new(CredentialsPanel::default()),
        Box::new(WorkbenchPanel::default()),
        Box::new(ComposerPanel::default()),
        Box::new(HistoryPanel::default()),
        Box::new(InboxPanel::default()),
        Box::new(ScenariosPanel::default()),
    ]
}

pub struct SnapApp {
    pub ctx: AppContext,
    panels: Vec<Box<dyn Panel>>,
    current: usize,
    egui_ctx: Arc<OnceLock<egui::Context>>,
    /// The command palette (Ctrl+K) and the keyboard help (F1).
    pub overlays: Overlays,
    /// The window state last written, and the one waiting for quiet (with its time).
    remembered: WindowState,
    window_pending: Option<(WindowState, f64)>,
    window_seq: u64,
}

impl SnapApp {
    /// A window backed by a worker on `runtime`, with its files under `paths`.
    pub fn new(runtime: &tokio::runtime::Handle, paths: crate::worker::AppPaths) -> Self {
        let egui_ctx: Arc<OnceLock<egui::Context>> = Arc::new(OnceLock::new());
        let repaint_target = egui_ctx.clone();
        let state: Arc<WorkerState> = Default::default();
        let history = state.history.clone();
        let repaint = Arc::new(move || {
            if let Some(ctx) = repaint_target.get() {
                ctx.request_repaint();
            }
        });
        let worker = worker::start(runtime, paths, state, repaint);
        let mut ctx = AppContext::new(worker, history);
        ctx.send(Command::Profiles(ProfilesCommand::Load));
        ctx.send(Command::History(HistoryCommand::Open));
        SnapApp {
            ctx,
            panels: panels(),
            current: 0,
            egui_ctx,
            overlays: Overlays::default(),
            remembered: WindowState::default(),
            window_pending: None,
            window_seq: 0,
        }
    }

    /// The panel of type `T`, for tests and for code that knows which panel it wants.
    pub fn panel<T: Panel>(&self) -> Option<&T> {
        self.panels
            .iter()
            .find_map(|p| (p.as_ref() as &dyn Any).downcast_ref::<T>())
    }

    pub fn panel_mut<T: Panel>(&mut self) -> Option<&mut T> {
        self.panels
            .iter_mut()
            .find_map(|p| (p.as_mut() as &mut dyn Any).downcast_mut::<T>())
    }

    /// Come back as the window was left: its last panel and theme (size and position are
    /// the viewport's, set before it opens).
    pub fn restore(&mut self, state: &WindowState, egui_ctx: &egui::Context) {
        if let Some(panel) = &state.panel {
            self.open(panel);
        }
        if let Some(theme) = state.theme.as_deref().and_then(theme_from_name) {
            egui_ctx.set_theme(theme);
        }
        self.remembered = state.clone();
    }

    /// Remember size, position, panel and theme once they have held for a moment.
    fn remember_window(&mut self, ui: &Ui) {
        let (size, position) = ui.input(|i| {
            let viewport = i.viewport();
            (
                viewport.inner_rect.map(|r| [r.width(), r.height()]),
                viewport.outer_rect.map(|r| [r.min.x, r.min.y]),
            )
        });
        let now = WindowState {
            size: size.or(self.remembered.size),
            position: position.or(self.remembered.position),
            panel: Some(self.current().to_string()),
            theme: Some(theme_name(ui.ctx().options(|o| o.theme_preference)).to_string()),
        };
        if now == self.remembered {
            self.window_pending = None;
            return;
        }
        let since = match &self.window_pending {
            Some((pending, since)) if *pending == now => *since,
            _ => self.ctx.now,
        };
        if self.ctx.now - since >= WINDOW_DEBOUNCE_SECONDS {
            self.remembered = now.clone();
            self.window_pending = None;
            self.window_seq += 1;
            self.ctx.send(Command::SaveWindow {
                seq: self.window_seq,
                state: now,
            });
        } else {
            self.window_pending = Some((now, since));
            ui.ctx()
                .request_repaint_after(std::time::Duration::from_secs_f64(WINDOW_DEBOUNCE_SECONDS));
        }
    }

    /// The title of the panel on screen.
    pub fn current(&self) -> &'static str {
        self.panels.get(self.current).map_or("", |p| p.title())
    }

    /// Show the panel with this title (no change if there is none).
    pub fn open(&mut self, title: &str) {
        if let Some(index) = self.panels.iter().position(|p| p.title() == title) {
            self.current = index;
        }
    }

    /// The whole window, drawn into `ui` (eframe's root ui, or egui_kittest's).
    pub fn show(&mut self, ui: &mut Ui) {
        if self.egui_ctx.set(ui.ctx().clone()).is_ok() {
            trace_first_frame();
        }
        self.ctx.now = ui.input(|i| i.time);
        self.drain_events();
        self.save_when_quiet(ui.ctx());
        self.keys(ui);

        egui::Panel::bottom("status_bar").show(ui, |ui| self.status_bar(ui));
        egui::Panel::left("navigation")
            .resizable(false)
            .default_size(150.0)
            .show(ui, |ui| self.navigation(ui));
        egui::CentralPanel::default().show(ui, |ui| {
            self.problems(ui);
            if let Some(panel) = self.panels.get_mut(self.current) {
                panel.ui(ui, &mut self.ctx);
            }
        });
        self.overlays(ui);
        self.dispatch_actions();
        self.remember_window(ui);
    }

    /// Window-wide keys: the palette and help toggles, Ctrl+F for the panel's search.
    fn keys(&mut self, ui: &mut Ui) {
        self.overlays.keys(ui);
        if ui.input_mut(|i| i.consume_key(egui::Modifiers::COMMAND, egui::Key::F))
            && let Some(panel) = self.panels.get_mut(self.current)
        {
            panel.focus_search();
        }
    }

    fn overlays(&mut self, ui: &mut Ui) {
        self.overlays.help(ui);
        if !self.overlays.palette_open {
            return;
        }
        let candidates = self.palette_candidates();
        match self.overlays.palette(ui, &candidates) {
            Some(Choice::Panel(index)) => self.current = index,
            Some(Choice::Profile(id)) if self.ctx.book.profiles.iter().any(|p| p.id == id) => {
                self.ctx.book.active = Some(id);
                self.ctx.mark_dirty();
            }
            Some(Choice::PanelEntry { panel, key }) => {
                if let Some(target) = self.panels.get_mut(panel) {
                    target.run_palette_entry(&key, &mut self.ctx);
                    self.current = panel;
                }
            }
            Some(Choice::Profile(_)) | None => {}
        }
    }

    /// Panels, profiles, then what each panel offers.
    fn palette_candidates(&self) -> Vec<Candidate> {
        let mut out: Vec<Candidate> = self
            .panels
            .iter()
            .enumerate()
            .map(|(i, p)| Candidate {
                label: format!("Go to: {}", p.title()),
                note: "panel".into(),
                choice: Choice::Panel(i),
            })
            .collect();
        let active = self.ctx.book.active.as_deref();
        out.extend(self.ctx.book.profiles.iter().map(|p| Candidate {
            label: format!("Profile: {}", p.name),
            note: if Some(p.id.as_str()) == active {
                "active".into()
            } else {
                "switch to it".into()
            },
            choice: Choice::Profile(p.id.clone()),
        }));
        for (i, panel) in self.panels.iter().enumerate() {
            out.extend(
                panel
                    .palette_entries(&self.ctx)
                    .into_iter()
                    .map(|e| Candidate {
                        label: e.label,
                        note: e.note,
                        choice: Choice::PanelEntry {
                            panel: i,
                            key: e.key,
                        },
                    }),
            );
        }
        out
    }

    /// Worker events: the context's share first, then each panel until one takes it.
    fn drain_events(&mut self) {
        while let Some(event) = self.ctx.next_event() {
            self.route(event);
        }
        self.dispatch_actions();
    }

    fn route(&mut self, event: Event) {
        let mut event = match self.ctx.take_event(event) {
            Some(event) => event,
            None => return,
        };
        for panel in &mut self.panels {
            event = match panel.take_event(event, &mut self.ctx) {
                Some(event) => event,
                None => return,
            };
        }
    }

    /// Actions from panels and from the context: to every panel, then the target shown.
    fn dispatch_actions(&mut self) {
        // An action may cause others (bounded by the context's queue); a few rounds suffice.
        for _ in 0..4 {
            let actions = self.ctx.take_actions();
            if actions.is_empty() {
                return;
            }
            for action in actions {
                for panel in &mut self.panels {
                    panel.on_action(&action, &mut self.ctx);
                }
                if let Some(target) = action.target() {
                    self.open(target);
                }
            }
        }
    }

    fn problems(&mut self, ui: &mut Ui) {
        if self.ctx.problems.is_empty() {
            return;
        }
        egui::Frame::group(ui.style()).show(ui, |ui| {
            for problem in &self.ctx.problems {
                widgets::error_text(ui, problem);
            }
            if ui.button("Dismiss").clicked() {
                self.ctx.problems.clear();
            }
        });
        ui.add_space(6.0);
    }

    fn navigation(&mut self, ui: &mut Ui) {
        ui.add_space(6.0);
        ui.heading("SNAP Console");
        ui.add_space(8.0);
        for (index, panel) in self.panels.iter().enumerate() {
            ui.selectable_value(&mut self.current, index, panel.title());
        }
    }

    fn status_bar(&mut self, ui: &mut Ui) {
        ui.horizontal(|ui| {
            let profile = self
                .ctx
                .active_profile()
                .map_or_else(|| "none".to_string(), |p| p.name.clone());
            ui.label(format!("Profile: {profile}"));
            ui.separator();
            theme_choice(ui);
            if ui
                .small_button("?")
                .on_hover_text("Keyboard shortcuts (F1)")
                .clicked()
            {
                self.overlays.help_open = true;
            }
            ui.separator();
            sandbox_label(ui, &self.ctx.sandbox);
            if let Some(notice) = self.ctx.notices.last() {
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

    fn save_when_quiet(&mut self, egui_ctx: &egui::Context) {
        let Some(quiet) = self.ctx.dirty_for() else {
            return;
        };
        if quiet >= SAVE_DEBOUNCE_SECONDS {
            self.ctx.save();
        } else {
            egui_ctx.request_repaint_after(std::time::Duration::from_secs_f64(
                SAVE_DEBOUNCE_SECONDS - quiet + 0.01,
            ));
        }
    }
}

fn theme_name(preference: egui::ThemePreference) -> &'static str {
    match preference {
        egui::ThemePreference::System => "system",
        egui::ThemePreference::Light => "light",
        egui::ThemePreference::Dark => "dark",
    }
}

fn theme_from_name(name: &str) -> Option<egui::ThemePreference> {
    match name {
        "system" => Some(egui::ThemePreference::System),
        "light" => Some(egui::ThemePreference::Light),
        "dark" => Some(egui::ThemePreference::Dark),
        _ => None,
    }
}

/// Follow the system, or force light or dark (egui's own switch draws emoji our fonts lack).
fn theme_choice(ui: &mut Ui) {
    let mut preference = ui.ctx().options(|o| o.theme_preference);
    let before = preference;
    let label = ui.label("Theme");
    egui::ComboBox::from_id_salt("theme")
        .width(70.0)
        .selected_text(match preference {
            egui::ThemePreference::System => "System",
            egui::ThemePreference::Light => "Light",
            egui::ThemePreference::Dark => "Dark",
        })
        .show_ui(ui, |ui| {
            ui.selectable_value(&mut preference, egui::ThemePreference::System, "System");
            ui.selectable_value(&mut preference, egui::ThemePreference::Light, "Light");
            ui.selectable_value(&mut preference, egui::ThemePreference::Dark, "Dark");
        })
        .response
        .labelled_by(label.id);
    if preference != before {
        ui.ctx().set_theme(preference);
    }
}

fn sandbox_label(ui: &mut Ui, state: &SandboxState) {
    match state {
        SandboxState::Off => ui.label("Sandbox: off"),
        SandboxState::Starting => ui.label("Sandbox: starting…"),
        SandboxState::Running { base_url } => {
            ui.label(RichText::new(format!("Sandbox: running at {base_url}")).color(widgets::OK))
        }
        SandboxState::Failed(e) => {
            ui.label(RichText::new(format!("Sandbox: failed ({e})")).color(widgets::ERROR))
        }
    };
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
pub fn run_native(
    runtime: &tokio::runtime::Runtime,
    paths: crate::worker::AppPaths,
) -> Result<(), String> {
    let remembered = crate::worker::window::load(&paths);
    let mut viewport = egui::ViewportBuilder::default()
        .with_title("SNAP Console")
        .with_app_id("snap-console")
        .with_inner_size(remembered.size.unwrap_or([1200.0, 800.0]))
        .with_min_inner_size([720.0, 480.0]);
    if let Some(position) = remembered.position {
        viewport = viewport.with_position(position);
    }
    if let Ok(icon) = eframe::icon_data::from_png_bytes(ICON_PNG) {
        viewport = viewport.with_icon(icon);
    }
    let options = eframe::NativeOptions {
        viewport,
        // Our own files hold the profiles; eframe's persistence stays off so that no
        // secret can ever end up in its storage.
        persist_window: false,
        ..Default::default()
    };
    let handle = runtime.handle().clone();
    eframe::run_native(
        "SNAP Console",
        options,
        Box::new(move |cc| {
            let mut app = SnapApp::new(&handle, paths);
            app.restore(&remembered, &cc.egui_ctx);
            Ok(Box::new(app))
        }),
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
    match run_native(&runtime, crate::worker::AppPaths::discover()) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::ExitCode::from(2)
        }
    }
}
