//! What the window and the command line both do, start to end, over `net` and `store`.
//!
//! `net` sends and serves without knowing about the history; `store` keeps files without
//! knowing about HTTP. A flow is where the two meet: it sends through `net` and records
//! through a [`Recorder`](crate::model::Recorder), so the window (whose recorder is the
//! worker's shared history) and the CLI (whose recorder appends to the history file) make
//! the same request and leave the same trace.

pub mod history;
pub mod record;
pub mod scenario;
pub mod scenario_export;
pub mod scenario_save;
mod scenario_step;
pub mod send;
