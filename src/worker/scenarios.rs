//! Scenarios on the worker: a run of suites against a profile (through `flows::scenario`,
//! every exchange into the window's history), each case reported as it ends, Cancel, and
//! the run exported as evidence (HTML, Markdown, .xlsx, JUnit).

use std::sync::Arc;

use tokio::sync::watch;

use super::dialogs::{self, FileChoice};
use super::{Event, Notice, WorkerContext, blocking, failed, history};
/// What the panel draws of a run.
pub use crate::flows::scenario::{CaseReport, RunReport};
pub use crate::flows::scenario_export::{request_text, response_text, verdict};
pub use crate::flows::scenario_save::{Answer, Target as SaveTarget};
use crate::flows::{scenario, scenario_export, scenario_save};
use crate::model::{Exchange, Profile, ProfileSecrets, RequestDraft};
/// The suites the panel offers.
pub use crate::snap::scenario::{Suite, built_in};
use crate::store::files::{self, Sensitivity};
use crate::store::paths::AppPaths;
use crate::store::suites as user_suites;

pub enum ScenariosCommand {
    /// Run these suites against the profile; `cancel` flips to stop after the current case.
    Run {
        generation: u64,
        profile: Box<Profile>,
        secrets: ProfileSecrets,
        suites: Vec<Suite>,
        cancel: watch::Receiver<bool>,
    },
    /// Write a run's evidence.
    Export {
        report: Arc<RunReport>,
        format: ExportFormat,
        to: FileChoice,
    },
    /// Read the user's suites (config folder): answered by `UserSuites`.
    LoadUserSuites,
    /// Copy a suite into the user's suites folder (to be edited there), then `UserSuites`.
    Duplicate { suite: String },
    /// Append a request as a step to a user suite, then `UserSuites`.
    SaveToSuite {
        target: SaveTarget,
        source: SaveSource,
    },
}

/// What "Save to suite" turns into a step.
pub enum SaveSource {
    /// The composer's draft, and what came back when it was sent (if it was).
    Draft {
        draft: Box<RequestDraft>,
        answer: Answer,
    },
    /// A request from the history.
    Exchange(Box<Exchange>),
}

impl std::fmt::Debug for ScenariosCommand {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ScenariosCommand::Run {
                generation, suites, ..
            } => write!(f, "Run #{generation} ({} suites)", suites.len()),
            ScenariosCommand::Export { format, to, .. } => write!(f, "Export({format:?}, {to:?})"),
            ScenariosCommand::LoadUserSuites => write!(f, "LoadUserSuites"),
            ScenariosCommand::Duplicate { suite } => write!(f, "Duplicate({suite})"),
            ScenariosCommand::SaveToSuite { target, .. } => write!(f, "SaveToSuite({target:?})"),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    Html,
    Markdown,
    Xlsx,
    Junit,
}

impl ExportFormat {
    pub const ALL: [ExportFormat; 4] = [
        ExportFormat::Html,
        ExportFormat::Markdown,
        ExportFormat::Xlsx,
        ExportFormat::Junit,
    ];

    pub fn label(self) -> &'static str {
        match self {
            ExportFormat::Html => "Export HTML",
            ExportFormat::Markdown => "Export Markdown",
            ExportFormat::Xlsx => "Export XLSX",
            ExportFormat::Junit => "Export JUnit",
        }
    }

    fn file_name(self) -> &'static str {
        match self {
            ExportFormat::Html => "evidence.html",
            ExportFormat::Markdown => "evidence.md",
            ExportFormat::Xlsx => "test-results.xlsx",
            ExportFormat::Junit => "junit.xml",
        }
    }
}

#[derive(Debug)]
pub enum ScenariosEvent {
    /// A case ended (sent as it happens; dropped when the window is behind, the final
    /// report has every case).
    CaseDone {
        generation: u64,
        case: Box<CaseReport>,
    },
    Finished {
        generation: u64,
        result: Result<Box<RunReport>, String>,
    },
    /// The user's suites as they are on disk now, after `outcome` (a copy or a save).
    UserSuites {
        suites: Vec<UserSuiteView>,
        problems: Vec<String>,
        outcome: Option<Result<String, String>>,
    },
}

/// A user suite as the panel shows it.
#[derive(Debug, Clone)]
pub struct UserSuiteView {
    pub suite: Suite,
    /// The file it lives in: where to edit it.
    pub file: String,
}

pub async fn handle(command: ScenariosCommand, context: &WorkerContext) -> Event {
    match command {
        ScenariosCommand::Run {
            generation,
            profile,
            secrets,
            suites,
            cancel,
        } => run(context, generation, *profile, secrets, suites, cancel).await,
        ScenariosCommand::Export { report, format, to } => {
            blocking(move || export(&report, format, to)).await
        }
        ScenariosCommand::LoadUserSuites => {
            let paths = context.paths.clone();
            blocking(move || user_suites(&paths, None)).await
        }
        ScenariosCommand::Duplicate { suite } => {
            let paths = context.paths.clone();
            blocking(move || {
                let outcome = user_suites::duplicate(&paths, &suite, None).map(|copy| {
                    format!(
                        "copied '{suite}' to '{}': edit {}, then Reload your suites",
                        copy.suite.id,
                        copy.path.display()
                    )
                });
                user_suites(&paths, Some(outcome))
            })
            .await
        }
        ScenariosCommand::SaveToSuite { target, source } => {
            let paths = context.paths.clone();
            blocking(move || {
                let outcome = save_to_suite(&paths, &target, source);
                user_suites(&paths, Some(outcome))
            })
            .await
        }
    }
}

fn save_to_suite(
    paths: &AppPaths,
    target: &SaveTarget,
    source: SaveSource,
) -> Result<String, String> {
    let (step, left_out) = match source {
        SaveSource::Draft { draft, answer } => scenario_save::step_from_draft(&draft, &answer)?,
        SaveSource::Exchange(exchange) => {
            (scenario_save::step_from_exchange(&exchange)?, Vec::new())
        }
    };
    scenario_save::save(paths, target, step, &left_out)
}

fn user_suites(paths: &AppPaths, outcome: Option<Result<String, String>>) -> Event {
    let loaded = user_suites::load(paths);
    Event::Scenarios(ScenariosEvent::UserSuites {
        suites: loaded
            .suites
            .into_iter()
            .map(|u| UserSuiteView {
                suite: u.suite,
                file: u.path.display().to_string(),
            })
            .collect(),
        problems: loaded.problems,
        outcome,
    })
}

async fn run(
    context: &WorkerContext,
    generation: u64,
    profile: Profile,
    secrets: ProfileSecrets,
    suites: Vec<Suite>,
    cancel: watch::Receiver<bool>,
) -> Event {
    // The window's inbox (the embedded sandbox notifies it): subscribed to, not held.
    let inbox = context
        .state
        .inbox
        .lock()
        .await
        .as_ref()
        .map(scenario::InboxFeed::of);
    let run_context = scenario::RunContext {
        profile: &profile,
        secrets: &secrets,
        recorder: history::recorder(context),
        inbox,
        no_inbox_reason: "the window's inbox is not listening (Inbox: start it)".into(),
        cancel: Some(cancel),
    };
    let events = context.events.clone();
    let repaint = context.repaint.clone();
    let mut progress = move |case: &CaseReport| {
        let event = Event::Scenarios(ScenariosEvent::CaseDone {
            generation,
            case: Box::new(case.clone()),
        });
        if events.try_send(event).is_ok() {
            repaint();
        }
    };
    let result = scenario::run(&suites, &run_context, &mut progress)
        .await
        .map(Box::new);
    Event::Scenarios(ScenariosEvent::Finished { generation, result })
}

fn export(report: &RunReport, format: ExportFormat, to: FileChoice) -> Event {
    let path = match dialogs::save_path(to, format.label(), format.file_name()) {
        Ok(path) => path,
        Err(unresolved) => return unresolved.into(),
    };
    let bytes = match format {
        ExportFormat::Html => scenario_export::html(report).map(String::into_bytes),
        ExportFormat::Markdown => scenario_export::markdown(report).map(String::into_bytes),
        ExportFormat::Xlsx => scenario_export::xlsx(report),
        ExportFormat::Junit => scenario_export::junit(report).map(String::into_bytes),
    };
    let bytes = match bytes {
        Ok(bytes) => bytes,
        Err(e) => return failed(e),
    };
    match files::write_atomic(&path, &bytes, Sensitivity::Public) {
        Ok(()) => Event::Notice(Notice::Done(format!(
            "evidence written to {}",
            path.display()
        ))),
        Err(e) => failed(e.to_string()),
    }
}
