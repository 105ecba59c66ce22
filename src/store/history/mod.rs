//! The history store: every request and response, one JSON object a line in
//! `{data_dir}/history.jsonl`.
//!
//! - what one exchange looks like on disk is `model::exchange` (versioned by its `v` field).
//! - `model::redact`: secrets scrubbed before anything is written.
//! - [`file`]: the file itself: append + flush per entry, torn-tail and garbage-line
//!   recovery on open, atomic rewrites for delete/clear/retention, newer formats refused.
//! - `parse`: JSON Lines to entries, garbage and torn lines told apart, on one thread per
//!   core for a large file.
//! - [`search`]: text, service, status and date filters over a precomputed haystack.
//! - [`export`]: JSON, a cURL script, and the Markdown evidence report.

pub mod export;
pub mod file;
mod parse;
pub mod search;

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
pub use export::{export_curl, export_json, export_report};
pub use file::{HistoryStore, OpenReport, Retention};
pub use search::{Query, StatusFilter};

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
