//! Scenarios: choose suites, Run them against the active profile (progress, Cancel), a
//! live table of cases with their verdict and time; a case opens its exchanges (request,
//! response, stringToSign) and says why it failed; re-run one case; export the run.

use std::sync::Arc;

use egui::{Grid, RichText, ScrollArea, TextEdit, Ui};
use tokio::sync::watch;

use super::context::{Action, AppContext, Level, PaletteEntry, Panel};
use super::widgets;
use crate::worker::scenarios::{
    CaseReport, ExportFormat, RunReport, ScenariosCommand, ScenariosEvent, Suite, UserSuiteView,
    built_in, request_text, response_text, verdict,
};
use crate::worker::{Command, Event, FileChoice};

/// Its title in the navigation list.
pub const TITLE: &str = "Scenarios";

pub struct ScenariosPanel {
    /// The built-in suites, and whether each is chosen.
    pub suites: Vec<(Suite, bool)>,
    /// Problems reading the built-in suites (a bug; shown, never fatal).
    problems: Vec<String>,
    /// The user's suites (config folder), whether each is chosen, and their problems.
    pub user_suites: Vec<(UserSuiteView, bool)>,
    user_problems: Vec<String>,
    /// The user's suites were asked for (once, when the panel is first drawn).
    user_requested: bool,
    /// Cases of the run in progress (or the last one), in the order they ended.
    pub cases: Vec<CaseReport>,
    pub report: Option<Arc<RunReport>>,
    pub running: bool,
    total: usize,
    generation: u64,
    cancel: Option<watch::Sender<bool>>,
    /// The case opened, as (suite, case).
    pub opened: Option<(String, String)>,
    export_path: String,
}

impl Default for ScenariosPanel {
    fn default() -> Self {
        let mut suites = Vec::new();
        let mut problems = Vec::new();
        for suite in built_in() {
            match suite {
                // The first suite is chosen, so Run does something at once.
                Ok(suite) => suites.push((suite, suites.is_empty())),
                Err(e) => problems.push(e.to_string()),
            }
        }
        ScenariosPanel {
            suites,
            problems,
            user_suites: Vec::new(),
            user_problems: Vec::new(),
            user_requested: false,
            cases: Vec::new(),
            report: None,
            running: false,
            total: 0,
            generation: 0,
            cancel: None,
            opened: None,
            export_path: String::new(),
        }
    }
}

impl ScenariosPanel {
    fn start(&mut self, ctx: &mut AppContext, suites: Vec<Suite>) {
        let Some(profile) = ctx.active_profile().cloned() else {
            ctx.notify(Level::Warning, "choose a profile in Credentials first");
            return;
        };
        if suites.is_empty() {
            ctx.notify(Level::Warning, "tick at least one suite to run");
            return;
        }
        let secrets = ctx.active_secrets();
        let (cancel, cancelled) = watch::channel(false);
        self.generation += 1;
        self.total = suites.iter().map(|s| s.cases.len()).sum();
        self.cases.clear();
        self.report = None;
        self.opened = None;
        self.running = true;
        self.cancel = Some(cancel);
        ctx.send(Command::Scenarios(ScenariosCommand::Run {
            generation: self.generation,
            profile: Box::new(profile),
            secrets,
            suites,
            cancel: cancelled,
        }));
    }

    /// Every suite offered, built-in first, and whether it is chosen.
    fn all(&self) -> impl Iterator<Item = (&Suite, bool)> {
        let built_in = self.suites.iter().map(|(s, on)| (s, *on));
        let user = self.user_suites.iter().map(|(u, on)| (&u.suite, *on));
        built_in.chain(user)
    }

    fn chosen(&self) -> Vec<Suite> {
        self.all()
            .filter(|(_, on)| *on)
            .map(|(s, _)| s.clone())
            .collect()
    }

    /// One case of a built-in suite, alone.
    fn single(&self, suite_id: &str, case_id: &str) -> Vec<Suite> {
        self.all()
            .find(|(s, _)| s.id == suite_id)
            .map(|(s, _)| {
                let mut one = s.clone();
                one.cases.retain(|c| c.id == case_id);
                one
            })
            .into_iter()
            .filter(|s| !s.cases.is_empty())
            .collect()
    }

    fn controls(&mut self, ui: &mut Ui, ctx: &mut AppContext) {
        let profile = ctx
            .active_profile()
            .map(|p| format!("{} ({})", p.name, p.base_url))
            .unwrap_or_else(|| "none".into());
        ui.label(format!("Profile: {profile}"));
        self.suite_list(ui, ctx);
        ui.horizontal(|ui| {
            if self.running {
                if ui.button("Cancel run").clicked()
                    && let Some(cancel) = &self.cancel
                {
                    let _ = cancel.send(true);
                }
                ui.spinner();
            } else if ui.button("Run").clicked() {
                let chosen = self.chosen();
                self.start(ctx, chosen);
            }
            let done = self.cases.len();
            let failed = self
                .cases
                .iter()
                .filter(|c| !c.passed && !c.skipped)
                .count();
            ui.add(
                egui::ProgressBar::new(fraction(done, self.total))
                    .desired_width(200.0)
                    .text(format!("{done} of {} cases, {failed} failed", self.total)),
            );
        });
        for problem in self.problems.iter().chain(&self.user_problems) {
            widgets::error_text(ui, problem);
        }
    }

    /// Built-in suites (each can be duplicated into the user's folder), then the user's.
    fn suite_list(&mut self, ui: &mut Ui, ctx: &mut AppContext) {
        Grid::new("scenario_suites").num_columns(3).show(ui, |ui| {
            for (suite, on) in &mut self.suites {
                ui.checkbox(on, suite.id.as_str())
                    .on_hover_text(suite.title.as_str());
                ui.label(suite.title.as_str());
                if ui
                    .button(format!("Duplicate {}", suite.id))
                    .on_hover_text("Copy into your suites folder, to edit it there")
                    .clicked()
                {
                    ctx.send(Command::Scenarios(ScenariosCommand::Duplicate {
                        suite: suite.id.clone(),
                    }));
                }
                ui.end_row();
            }
            for (user, on) in &mut self.user_suites {
                ui.checkbox(on, user.suite.id.as_str())
                    .on_hover_text(user.suite.title.as_str());
                ui.label(format!("{} (yours)", user.suite.title));
                ui.label(RichText::new(user.file.as_str()).weak());
                ui.end_row();
            }
        });
        if ui
            .button("Reload your suites")
            .on_hover_text("Read the suites folder again after editing a file")
            .clicked()
        {
            ctx.send(Command::Scenarios(ScenariosCommand::LoadUserSuites));
        }
    }

    /// The user's suites as on disk now; the ones chosen before stay chosen.
    fn user_suites_read(
        &mut self,
        ctx: &mut AppContext,
        suites: Vec<UserSuiteView>,
        problems: Vec<String>,
        outcome: Option<Result<String, String>>,
    ) {
        let was_on: Vec<String> = self
            .user_suites
            .iter()
            .filter(|(_, on)| *on)
            .map(|(u, _)| u.suite.id.clone())
            .collect();
        self.user_suites = suites
            .into_iter()
            .map(|u| {
                let on = was_on.contains(&u.suite.id);
                (u, on)
            })
            .collect();
        self.user_problems = problems;
        match outcome {
            Some(Ok(done)) => ctx.notify(Level::Ok, done),
            Some(Err(e)) => ctx.notify(Level::Error, e),
            None => {}
        }
    }

    fn table(&mut self, ui: &mut Ui) {
        // The table fills the height; an opened case takes the lower part.
        let room = ui.available_height() - 40.0;
        let height = if self.opened.is_some() {
            (room * 0.45).max(160.0)
        } else {
            room.max(160.0)
        };
        ScrollArea::vertical()
            .id_salt("scenario_cases")
            .max_height(height)
            .show(ui, |ui| {
                Grid::new("scenario_table").striped(true).show(ui, |ui| {
                    for header in ["Case", "Verdict", "Time", "Expected", "Got"] {
                        ui.label(RichText::new(header).strong());
                    }
                    ui.end_row();
                    for case in &self.cases {
                        let key = (case.suite.clone(), case.id.clone());
                        let selected = self.opened.as_ref() == Some(&key);
                        let label = format!("{}/{}", case.suite, case.id);
                        if ui.selectable_label(selected, label).clicked() {
                            self.opened = Some(key);
                        }
                        let word = verdict(case);
                        let colour = match word {
                            "PASS" => widgets::OK,
                            "FAIL" => widgets::ERROR,
                            _ => widgets::WARN,
                        };
                        ui.label(RichText::new(word).color(colour));
                        ui.label(format!("{} ms", case.ms));
                        ui.label(case.expected.as_str());
                        ui.label(case.got.as_str());
                        ui.end_row();
                    }
                });
            });
    }

    fn details(&mut self, ui: &mut Ui, ctx: &mut AppContext) {
        let Some((suite, id)) = self.opened.clone() else {
            return;
        };
        let Some(case) = self
            .cases
            .iter()
            .find(|c| c.suite == suite && c.id == id)
            .cloned()
        else {
            return;
        };
        ui.separator();
        ui.heading(format!("{suite}/{id}: {}", case.name));
        if !case.purpose.is_empty() {
            ui.label(case.purpose.as_str());
        }
        ui.label(format!("Verdict: {}", verdict(&case)));
        if !case.reason.is_empty() {
            ui.label(format!("Why: {}", case.reason));
        }
        if !self.running && ui.button("Re-run this case").clicked() {
            let one = self.single(&suite, &id);
            self.start(ctx, one);
            return;
        }
        ScrollArea::vertical()
            .id_salt("scenario_case_details")
            .show(ui, |ui| {
                for (i, exchange) in case.exchanges.iter().enumerate() {
                    let n = i + 1;
                    widgets::output_row(ui, &format!("Request {n}"), &request_text(exchange));
                    if let Some(sts) = &exchange.string_to_sign {
                        widgets::output_row(ui, &format!("stringToSign {n}"), sts);
                    }
                    widgets::output_row(ui, &format!("Response {n}"), &response_text(exchange));
                }
            });
    }

    fn exports(&mut self, ui: &mut Ui, ctx: &mut AppContext) {
        let Some(report) = self.report.clone() else {
            return;
        };
        ui.horizontal(|ui| {
            let l = ui.label("Evidence path");
            ui.add(
                TextEdit::singleline(&mut self.export_path)
                    .hint_text("/path/to/evidence.html")
                    .desired_width(260.0),
            )
            .labelled_by(l.id);
            // One menu, as in History: each format through a dialog or to the path typed.
            ui.menu_button(("Export", RichText::new("▾").monospace()), |ui| {
                for format in ExportFormat::ALL {
                    if ui.button(format!("{}…", format.label())).clicked() {
                        ctx.send(export(&report, format, FileChoice::Dialog));
                        ui.close();
                    }
                    if ui.button(format!("{} to path", format.label())).clicked() {
                        let to = FileChoice::Path(self.export_path.trim().into());
                        ctx.send(export(&report, format, to));
                        ui.close();
                    }
                }
            });
        });
    }

    fn finished(&mut self, ctx: &mut AppContext, result: Result<Box<RunReport>, String>) {
        self.running = false;
        self.cancel = None;
        match result {
            Ok(report) => {
                self.cases = report.cases().cloned().collect();
                let (passed, failed, skipped) = report.counts();
                ctx.notify(
                    if failed > 0 {
                        Level::Warning
                    } else {
                        Level::Ok
                    },
                    format!("run done: {passed} passed, {failed} failed, {skipped} skipped"),
                );
                self.report = Some(Arc::from(report));
            }
            Err(e) => ctx.notify(Level::Error, format!("the run did not start: {e}")),
        }
        ctx.act(Action::HistoryChanged);
    }
}

fn export(report: &Arc<RunReport>, format: ExportFormat, to: FileChoice) -> Command {
    Command::Scenarios(ScenariosCommand::Export {
        report: report.clone(),
        format,
        to,
    })
}

fn fraction(done: usize, total: usize) -> f32 {
    if total == 0 {
        0.0
    } else {
        (done as f32 / total as f32).min(1.0)
    }
}

impl Panel for ScenariosPanel {
    fn title(&self) -> &'static str {
        TITLE
    }

    /// Ctrl+K: "Run suite: …" for every suite offered, built-in and the user's.
    fn palette_entries(&self, _ctx: &AppContext) -> Vec<PaletteEntry> {
        self.all()
            .map(|(suite, _)| PaletteEntry {
                label: format!("Run suite: {}", suite.title),
                note: format!("{} ({} cases)", suite.id, suite.cases.len()),
                key: suite.id.clone(),
            })
            .collect()
    }

    fn run_palette_entry(&mut self, key: &str, ctx: &mut AppContext) {
        if self.running {
            ctx.notify(Level::Warning, "a run is in progress: cancel it first");
            return;
        }
        let suites: Vec<Suite> = self
            .all()
            .filter(|(s, _)| s.id == key)
            .map(|(s, _)| s.clone())
            .collect();
        self.start(ctx, suites);
    }

    fn ui(&mut self, ui: &mut Ui, ctx: &mut AppContext) {
        ui.heading("Scenarios");
        if !std::mem::replace(&mut self.user_requested, true) {
            ctx.send(Command::Scenarios(ScenariosCommand::LoadUserSuites));
        }
        self.controls(ui, ctx);
        self.table(ui);
        self.exports(ui, ctx);
        self.details(ui, ctx);
    }

    fn take_event(&mut self, event: Event, ctx: &mut AppContext) -> Option<Event> {
        let Event::Scenarios(event) = event else {
            return Some(event);
        };
        match event {
            ScenariosEvent::CaseDone { generation, case } if generation == self.generation => {
                self.cases.push(*case);
            }
            ScenariosEvent::Finished { generation, result } if generation == self.generation => {
                self.finished(ctx, result);
            }
            ScenariosEvent::UserSuites {
                suites,
                problems,
                outcome,
            } => self.user_suites_read(ctx, suites, problems, outcome),
            // A run replaced by a newer one.
            _ => {}
        }
        None
    }
}
