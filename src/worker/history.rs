//! The worker's side of the history pane: the one `HistoryStore` of the window, behind a
//! read-write lock. The worker writes (on blocking threads: every write touches disk); the
//! UI only ever `try_read`s it to draw the visible rows, so a write in progress costs the
//! UI one frame of stale rows, never a wait.

use std::path::PathBuf;
use std::sync::{Arc, RwLock};

use crate::store::files::{self, Sensitivity};
use crate::store::history::{self, HistoryStore};
/// What the history panel draws and filters by.
pub use crate::store::history::{Direction, Exchange, Query, Retention, StatusFilter};
use crate::store::paths::AppPaths;

use super::dialogs::{self, FileChoice};
use super::{Event, Notice, WorkerContext, blocking, failed};

/// The store and a version that changes with every write (indices from a search are only
/// valid for the version they were computed on).
#[derive(Default)]
pub struct HistoryView {
    pub store: Option<HistoryStore>,
    pub version: u64,
    /// Why the store is not open, for the pane.
    pub problem: Option<String>,
}

pub type SharedHistory = Arc<RwLock<HistoryView>>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    Json,
    Curl,
    Report,
}

impl ExportFormat {
    pub fn file_name(self) -> &'static str {
        match self {
            ExportFormat::Json => "snap-history.json",
            ExportFormat::Curl => "snap-history.sh",
            ExportFormat::Report => "snap-evidence-report.md",
        }
    }
}

fn write_view(history: &SharedHistory) -> std::sync::RwLockWriteGuard<'_, HistoryView> {
    // A panic while holding the lock cannot leave the store half-written on disk (writes
    // are atomic or append-only), so a poisoned lock is safe to keep using.
    history
        .write()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn read_view(history: &SharedHistory) -> std::sync::RwLockReadGuard<'_, HistoryView> {
    history
        .read()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Open (or re-open) the history file of `paths`.
pub fn open(paths: &AppPaths, history: &SharedHistory) -> Event {
    match HistoryStore::open(&paths.data_dir) {
        Ok((store, report)) => {
            let messages = report.messages(store.path());
            let count = store.len();
            let mut view = write_view(history);
            view.store = Some(store);
            view.version += 1;
            view.problem = None;
            Event::History(HistoryEvent::Opened { count, messages })
        }
        Err(e) => {
            let message = e.to_string();
            let mut view = write_view(history);
            view.store = None;
            view.version += 1;
            view.problem = Some(message.clone());
            Event::History(HistoryEvent::Opened {
                count: 0,
                messages: vec![message],
            })
        }
    }
}

/// Add one exchange (already redacted by the caller).
pub fn append(history: &SharedHistory, exchange: Exchange) -> Result<(), String> {
    let mut view = write_view(history);
    let result = match view.store.as_mut() {
        Some(store) => store.append(exchange).map_err(|e| e.to_string()),
        None => Err(view
            .problem
            .clone()
            .unwrap_or_else(|| "the history is not open".to_string())),
    };
    view.version += 1;
    result
}

/// Indices (newest first) matching `query`, for the version they were computed on.
pub fn search(history: &SharedHistory, query: &Query) -> (u64, Vec<usize>) {
    let view = read_view(history);
    let indices = match &view.store {
        Some(store) if query.is_empty() => (0..store.len()).rev().collect(),
        Some(store) => store.search(query),
        None => Vec::new(),
    };
    (view.version, indices)
}

pub fn delete(history: &SharedHistory, id: &str) -> Result<(), String> {
    let mut view = write_view(history);
    let result = match view.store.as_mut() {
        Some(store) => store.delete(id).map(|_| ()).map_err(|e| e.to_string()),
        None => Ok(()),
    };
    view.version += 1;
    result
}

pub fn clear(history: &SharedHistory) -> Result<(), String> {
    let mut view = write_view(history);
    let result = match view.store.as_mut() {
        Some(store) => store.clear().map_err(|e| e.to_string()),
        None => Ok(()),
    };
    view.version += 1;
    result
}

pub fn set_retention(history: &SharedHistory, retention: Retention) -> Result<(), String> {
    let mut view = write_view(history);
    let result = match view.store.as_mut() {
        Some(store) => store.set_retention(retention).map_err(|e| e.to_string()),
        None => Err("the history is not open".to_string()),
    };
    view.version += 1;
    result
}

/// Export the exchanges with these ids (oldest first, so a cURL script replays a token
/// request before the payment that used it).
pub fn export(history: &SharedHistory, ids: &[String], format: ExportFormat, to: PathBuf) -> Event {
    let text = {
        let view = read_view(history);
        let Some(store) = &view.store else {
            return failed("the history is not open".to_string());
        };
        let chosen: Vec<&Exchange> = store
            .entries()
            .iter()
            .filter(|e| ids.iter().any(|id| id == &e.id))
            .collect();
        if chosen.is_empty() {
            return failed("select at least one exchange to export".to_string());
        }
        match format {
            ExportFormat::Json => history::export_json(&chosen),
            ExportFormat::Curl => history::export_curl(&chosen),
            ExportFormat::Report => history::export_report(&chosen, "SNAP sandbox test evidence"),
        }
    };
    match files::write_atomic(&to, text.as_bytes(), Sensitivity::Secret) {
        Ok(()) => Event::Notice(Notice::Done(format!(
            "{} exchange(s) exported to {}",
            ids.len(),
            to.display()
        ))),
        Err(e) => failed(e.to_string()),
    }
}

/// Where an export goes: a save dialog or the typed path.
pub fn export_to(
    history: &SharedHistory,
    ids: &[String],
    format: ExportFormat,
    to: FileChoice,
) -> Event {
    match dialogs::save_path(to, "Export history", format.file_name()) {
        Ok(path) => export(history, ids, format, path),
        Err(unresolved) => unresolved.into(),
    }
}

/// The window's history as a recorder: appends go to the open store, and the version
/// moves so that lists and searches on screen know they are stale.
struct WindowRecorder(SharedHistory);

impl crate::model::Recorder for WindowRecorder {
    fn record(&self, exchange: Exchange) -> Result<(), String> {
        append(&self.0, exchange)
    }
}

/// What the worker's flows record through.
pub fn recorder(context: &WorkerContext) -> Arc<dyn crate::model::Recorder> {
    Arc::new(WindowRecorder(context.state.history.clone()))
}

#[derive(Debug)]
pub enum HistoryCommand {
    Open,
    Search {
        generation: u64,
        query: Query,
    },
    Delete(String),
    Clear,
    SetRetention(Retention),
    Export {
        ids: Vec<String>,
        format: ExportFormat,
        to: FileChoice,
    },
}

#[derive(Debug)]
pub enum HistoryEvent {
    Opened {
        count: usize,
        messages: Vec<String>,
    },
    /// The history changed (an append, a delete): searches are stale.
    Changed(Result<(), String>),
    Found {
        generation: u64,
        version: u64,
        indices: Vec<usize>,
    },
}

pub async fn handle(command: HistoryCommand, context: &WorkerContext) -> Event {
    let shared = context.state.history.clone();
    let paths = context.paths.clone();
    blocking(move || match command {
        HistoryCommand::Open => open(&paths, &shared),
        HistoryCommand::Search { generation, query } => {
            let (version, indices) = search(&shared, &query);
            Event::History(HistoryEvent::Found {
                generation,
                version,
                indices,
            })
        }
        HistoryCommand::Delete(id) => Event::History(HistoryEvent::Changed(delete(&shared, &id))),
        HistoryCommand::Clear => Event::History(HistoryEvent::Changed(clear(&shared))),
        HistoryCommand::SetRetention(retention) => {
            Event::History(HistoryEvent::Changed(set_retention(&shared, retention)))
        }
        HistoryCommand::Export { ids, format, to } => export_to(&shared, &ids, format, to),
    })
    .await
}
