//! The history store: every request and response, one JSON object a line in
//! `{data_dir}/history.jsonl` (the record, readable with `jq`), with a derived index beside
//! it (`history.jsonl.idx`) so that a million entries open in a fraction of a second and
//! take tens of megabytes: summaries in memory, bodies read by offset on demand.
//!
//! - `model::exchange`: what one exchange looks like on disk (versioned by its `v` field).
//! - `model::redact`: secrets scrubbed before anything is written.
//! - [`index`]: the index file's fixed-size slots, and the summary of an entry.
//! - [`file`]: the store: open (index checked, rebuilt when it does not match), O(1)
//!   locked appends, reads by offset, what other processes wrote picked up.
//! - `rewrite`: delete, clear, retention: the file rewritten (streamed) and replaced.
//! - `parse`: JSON Lines to index items, garbage and torn lines told apart, on one thread
//!   per core for a large file.
//! - [`search`]: the filters; `stream`: the text search, streamed over the file.
//! - [`export`]: JSON, a cURL script, and the Markdown evidence report, streamed.
//! - `settings`: retention limits.

pub mod export;
pub mod file;
pub mod index;
mod parse;
mod rewrite;
pub mod search;
mod settings;
mod stream;

/// The exchange's shape lives in `model` (net and flows build exchanges without `store`).
mod record {
    pub use crate::model::exchange::{Direction, Exchange, RecordedMessage};
}

use std::io;
use std::path::PathBuf;

pub use crate::model::exchange::{
    BODY_CAP_BYTES, Direction, Exchange, HISTORY_FORMAT_VERSION, RecordedMessage, new_exchange_id,
    response_code_of,
};
pub use crate::model::redact::{REDACTED, Redactor};
pub use export::{ExportKind, export_curl, export_json, export_report, write_export};
pub use file::{HistoryStore, INDEX_FILE_NAME, OpenReport, Progress};
pub use index::{Summary, VerdictKind};
pub use search::{Query, StatusFilter};
pub use settings::{Retention, SETTINGS_FILE_NAME};
pub use stream::SearchPlan;

use super::files::FileError;

/// The history file's name inside the data dir.
pub const HISTORY_FILE_NAME: &str = "history.jsonl";

#[derive(Debug, thiserror::Error)]
pub enum HistoryError {
    #[error(
        "{path} line {line} was written by a newer SNAP Console (history format {found}; this one knows {known}); the file is left untouched: upgrade SNAP Console to read it"
    )]
    NewerVersion {
        path: PathBuf,
        line: usize,
        found: u32,
        known: u32,
    },
    #[error("cannot read {path}: {source}")]
    Read { path: PathBuf, source: io::Error },
    #[error(
        "the data folder {path} is a file, not a folder: move it away or point SNAP_CONSOLE_HOME elsewhere"
    )]
    NotAFolder { path: PathBuf },
    #[error("{path} changed since it was read ({why}); open the history again")]
    Stale { path: PathBuf, why: String },
    #[error("cannot write the export: {source}")]
    Export { source: io::Error },
    #[error("cannot create the data folder {path}: {source}; the exchange is not in the history")]
    CreateDir { path: PathBuf, source: io::Error },
    #[error("cannot append to {path}: {source}; the exchange is not in the history")]
    Append { path: PathBuf, source: io::Error },
    #[error("cannot keep the unreadable lines of the history aside in {path}: {source}")]
    KeepAside { path: PathBuf, source: io::Error },
    #[error("cannot rewrite the history: {0}")]
    Rewrite(#[from] FileError),
    #[error("cannot save the history settings: {0}")]
    Settings(FileError),
    #[error("cannot encode the history entry: {0}")]
    Encode(String),
}
