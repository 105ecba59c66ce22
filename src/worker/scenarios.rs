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
use crate::flows::{scenario, scenario_export};
use crate::model::{Profile, ProfileSecrets};
/// The suites the panel offers.
pub use crate::snap::scenario::{Suite, built_in};
use crate::store::files::{self, Sensitivity};

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
}

impl std::fmt::Debug for ScenariosCommand {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ScenariosCommand::Run {
                generation, suites, ..
            } => write!(f, "Run #{generation} ({} suites)", suites.len()),
            ScenariosCommand::Export { format, to, .. } => write!(f, "Export({format:?}, {to:?})"),
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
    }
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
