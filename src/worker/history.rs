//! The worker's side of the history pane: the one `HistoryStore` of the window (summaries
//! in memory, bodies on disk), behind a read-write lock. The worker writes (on blocking
//! threads: every write touches disk); the UI only ever `try_read`s it to draw the visible
//! rows, so a write in progress costs the UI a frame of "updating", never a wait. Long
//! work (an index rebuild, a delete's rewrite) reports its progress through atomics the
//! UI reads without the lock; text searches stream their results in batches and stop when
//! a newer search starts.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard, TryLockResult};

use super::dialogs::{self, FileChoice};
use super::{Event, Notice, WorkerContext, blocking, failed};
/// What the history panel draws and filters by.
pub use crate::store::history::index::id_hash;
use crate::store::history::{self, ExportKind};
pub use crate::store::history::{
    Direction, Exchange, HistoryStore, Progress, Query, Retention, StatusFilter, Summary,
    VerdictKind,
};
use crate::store::paths::AppPaths;

/// The store and a version that changes with every write (positions from a search are
/// only valid for the version they were computed on).
#[derive(Default)]
pub struct HistoryView {
    pub store: Option<HistoryStore>,
    pub version: u64,
    /// Why the store is not open, for the pane.
    pub problem: Option<String>,
}

/// What the worker and the UI share about the history.
#[derive(Default)]
pub struct HistoryShared {
    view: RwLock<HistoryView>,
    /// An index rebuild or a rewrite under way.
    pub progress: Progress,
    /// The newest search asked for: older ones stop streaming.
    latest_search: AtomicU64,
}

impl HistoryShared {
    /// The view, if no write is under way (the UI never waits).
    pub fn try_read(&self) -> TryLockResult<RwLockReadGuard<'_, HistoryView>> {
        self.view.try_read()
    }

    fn write(&self) -> RwLockWriteGuard<'_, HistoryView> {
        // A panic while holding the lock cannot leave the store half-written on disk
        // (writes are atomic or append-only), so a poisoned lock is safe to keep using.
        self.view
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn read(&self) -> RwLockReadGuard<'_, HistoryView> {
        self.view
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

pub type SharedHistory = Arc<HistoryShared>;

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

    fn kind(self) -> ExportKind {
        match self {
            ExportFormat::Json => ExportKind::Json,
            ExportFormat::Curl => ExportKind::Curl,
            ExportFormat::Report => ExportKind::Report,
        }
    }
}

/// Open (or re-open) the history file of `paths`. The store is built outside the lock, so
/// the pane keeps drawing (and shows the rebuild's progress) meanwhile.
pub fn open(paths: &AppPaths, history: &SharedHistory) -> Event {
    let opened = HistoryStore::open_with_progress(&paths.data_dir, &history.progress);
    let mut view = history.write();
    view.version += 1;
    match opened {
        Ok((store, report)) => {
            let messages = report.messages(store.path());
            let count = store.len();
            view.store = Some(store);
            view.problem = None;
            Event::History(HistoryEvent::Opened { count, messages })
        }
        Err(e) => {
            let message = e.to_string();
            view.store = None;
            view.problem = Some(message.clone());
            Event::History(HistoryEvent::Opened {
                count: 0,
                messages: vec![message],
            })
        }
    }
}

/// Add one exchange (already redacted by the caller): one line, one index slot.
pub fn append(history: &SharedHistory, exchange: Exchange) -> Result<(), String> {
    append_all(history, vec![exchange])
}

/// Add several exchanges (already redacted) with one write and one flush.
pub fn append_all(history: &SharedHistory, exchanges: Vec<Exchange>) -> Result<(), String> {
    let mut view = history.write();
    let result = match view.store.as_mut() {
        Some(store) => store.append_all(exchanges).map_err(|e| e.to_string()),
        // Refused for as long as the reason holds (a newer format, a folder that is a
        // file): said at every exchange, never silently dropped.
        None => Err(view
            .problem
            .clone()
            .map(|p| format!("not recorded in the history: {p}"))
            .unwrap_or_else(|| "the history is not open".to_string())),
    };
    view.version += 1;
    result
}

/// Pick up what other processes (`snap-console send`, the inbox) appended; `true` when
/// the list changed.
pub fn refresh(history: &SharedHistory) -> Result<bool, String> {
    let mut view = history.write();
    let changed = match view.store.as_mut() {
        Some(store) => store.refresh().map_err(|e| e.to_string())?,
        None => false,
    };
    if changed {
        view.version += 1;
    }
    Ok(changed)
}

/// Positions (newest first) matching `query`, handed to `emit` as `HistoryFound` events:
/// the filters at once, the text in batches as the file is streamed. The returned event
/// is the last one (`done`).
pub fn search(
    history: &SharedHistory,
    generation: u64,
    query: &Query,
    emit: &dyn Fn(Event),
) -> Event {
    history.latest_search.store(generation, Ordering::Relaxed);
    let found = |version, indices, done| {
        Event::History(HistoryEvent::Found {
            generation,
            version,
            indices,
            done,
        })
    };
    let (version, plan) = {
        let view = history.read();
        let Some(store) = &view.store else {
            return found(view.version, Vec::new(), true);
        };
        if !query.has_text() {
            return found(view.version, store.filter(query), true);
        }
        (view.version, store.plan(query))
    };
    // The store is not held while the file is read: appends go on meanwhile.
    emit(found(version, Vec::new(), false));
    let cancelled = || history.latest_search.load(Ordering::Relaxed) != generation;
    let ran = plan.run(&cancelled, &mut |batch| {
        emit(found(version, batch.to_vec(), false));
    });
    match ran {
        Ok(_) => found(version, Vec::new(), true),
        Err(e) => failed(format!("history search: {e}")),
    }
}

/// Read one entry for the detail view: by position, checked against its id hash (and
/// looked up by that hash when the list moved meanwhile).
pub fn read_entry(history: &SharedHistory, position: u32, key: u64) -> Event {
    let view = history.read();
    let Some(store) = &view.store else {
        return Event::History(HistoryEvent::Entry(Err(
            "the history is not open".to_string()
        )));
    };
    let position = match store.summaries().get(position as usize) {
        Some(s) if s.id_hash == key => Some(position as usize),
        _ => store.find_key(key),
    };
    let result = match position {
        Some(position) => store
            .read(position)
            .map(Box::new)
            .map_err(|e| e.to_string()),
        None => Err("that exchange is no longer in the history".to_string()),
    };
    Event::History(HistoryEvent::Entry(result))
}

/// Delete the entries with these id hashes (the file is rewritten, with progress).
pub fn delete(history: &SharedHistory, keys: &[u64]) -> Result<(), String> {
    let mut view = history.write();
    let result = match view.store.as_mut() {
        Some(store) => store
            .delete_keys(keys, &history.progress)
            .map(|_| ())
            .map_err(|e| e.to_string()),
        None => Ok(()),
    };
    view.version += 1;
    result
}

pub fn clear(history: &SharedHistory) -> Result<(), String> {
    let mut view = history.write();
    let result = match view.store.as_mut() {
        Some(store) => store.clear().map_err(|e| e.to_string()),
        None => Ok(()),
    };
    view.version += 1;
    result
}

pub fn set_retention(history: &SharedHistory, retention: Retention) -> Result<(), String> {
    let mut view = history.write();
    let result = match view.store.as_mut() {
        Some(store) => store.set_retention(retention).map_err(|e| e.to_string()),
        None => Err("the history is not open".to_string()),
    };
    view.version += 1;
    result
}

/// Export the exchanges with these id hashes (oldest first, so a cURL script replays a
/// token request before the payment that used it), streamed to the file.
pub fn export(history: &SharedHistory, keys: &[u64], format: ExportFormat, to: PathBuf) -> Event {
    let view = history.read();
    let Some(store) = &view.store else {
        return failed("the history is not open");
    };
    let mut positions: Vec<u32> = keys
        .iter()
        .filter_map(|&k| store.find_key(k))
        .map(|p| p as u32)
        .collect();
    positions.sort_unstable();
    positions.dedup();
    if positions.is_empty() {
        return failed("select at least one exchange to export");
    }
    let title = "SNAP sandbox test evidence";
    match history::export::export_to_file(store, &positions, format.kind(), title, &to) {
        Ok(()) => Event::Notice(Notice::Done(format!(
            "{} exchange(s) exported to {}",
            positions.len(),
            to.display()
        ))),
        Err(e) => failed(e.to_string()),
    }
}

/// Where an export goes: a save dialog or the typed path.
pub fn export_to(
    history: &SharedHistory,
    keys: &[u64],
    format: ExportFormat,
    to: FileChoice,
) -> Event {
    match dialogs::save_path(to, "Export history", format.file_name()) {
        Ok(path) => export(history, keys, format, path),
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

    fn record_all(&self, exchanges: Vec<Exchange>) -> Result<(), String> {
        append_all(&self.0, exchanges)
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
    /// Read one entry for the detail view: its position in the list and its id hash.
    Read {
        position: u32,
        key: u64,
    },
    /// Pick up what other processes appended.
    Refresh,
    /// Delete the entry with this id hash.
    Delete(u64),
    Clear,
    SetRetention(Retention),
    Export {
        keys: Vec<u64>,
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
    /// A batch of search results (positions, newest first); the first batch of a
    /// generation replaces the rows, later ones add to them.
    Found {
        generation: u64,
        version: u64,
        indices: Vec<u32>,
        done: bool,
    },
    Entry(Result<Box<Exchange>, String>),
    Refreshed {
        changed: bool,
    },
}

pub async fn handle(command: HistoryCommand, context: &WorkerContext) -> Event {
    let shared = context.state.history.clone();
    let paths = context.paths.clone();
    match command {
        HistoryCommand::Search { generation, query } => {
            let events = context.clone();
            let emit = move |event| {
                if events.events.blocking_send(event).is_ok() {
                    (events.repaint)();
                }
            };
            blocking(move || search(&shared, generation, &query, &emit)).await
        }
        other => blocking(move || handle_blocking(other, &paths, &shared)).await,
    }
}

fn handle_blocking(command: HistoryCommand, paths: &AppPaths, shared: &SharedHistory) -> Event {
    let changed = |result| Event::History(HistoryEvent::Changed(result));
    match command {
        HistoryCommand::Open => open(paths, shared),
        HistoryCommand::Search { .. } => failed("a history search runs on its own"),
        HistoryCommand::Read { position, key } => read_entry(shared, position, key),
        HistoryCommand::Refresh => match refresh(shared) {
            Ok(changed) => Event::History(HistoryEvent::Refreshed { changed }),
            Err(e) => failed(format!("history: {e}")),
        },
        HistoryCommand::Delete(key) => changed(delete(shared, &[key])),
        HistoryCommand::Clear => changed(clear(shared)),
        HistoryCommand::SetRetention(retention) => changed(set_retention(shared, retention)),
        HistoryCommand::Export { keys, format, to } => export_to(shared, &keys, format, to),
    }
}
