//! The history as a [`Recorder`]: what the command line appends through. (The window's
//! recorder is the worker's shared history, which keeps the open store in step.)

use std::path::PathBuf;
use std::sync::Mutex;

use crate::model::{Exchange, Recorder};
use crate::store::history::HistoryStore;

/// Appends to the history file in a data folder, opening it on first use.
pub struct FileRecorder {
    data_dir: PathBuf,
    store: Mutex<Option<HistoryStore>>,
}

impl FileRecorder {
    pub fn new(data_dir: PathBuf) -> Self {
        FileRecorder {
            data_dir,
            store: Mutex::new(None),
        }
    }

    /// Open the history now, so a history that cannot be written (a newer format, a
    /// folder that is a file) is said before anything is received; the open report's
    /// messages (lines set aside, a rebuilt index) come back for the caller to show.
    pub fn open(data_dir: PathBuf) -> Result<(Self, Vec<String>), String> {
        let (store, report) = HistoryStore::open(&data_dir).map_err(|e| e.to_string())?;
        let messages = report.messages(store.path());
        let recorder = FileRecorder {
            data_dir,
            store: Mutex::new(Some(store)),
        };
        Ok((recorder, messages))
    }

    fn with_store<T>(
        &self,
        write: impl FnOnce(&mut HistoryStore) -> Result<T, String>,
    ) -> Result<T, String> {
        // A panic elsewhere while holding the lock leaves no half-written line (appends
        // are whole lines), so a poisoned lock is safe to keep using.
        let mut slot = self
            .store
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if slot.is_none() {
            let (store, _report) = HistoryStore::open(&self.data_dir)
                .map_err(|e| format!("the exchange is not in the history: {e}"))?;
            *slot = Some(store);
        }
        match slot.as_mut() {
            Some(store) => write(store),
            None => Err("the history is not open".to_string()),
        }
    }
}

impl Recorder for FileRecorder {
    fn record(&self, exchange: Exchange) -> Result<(), String> {
        self.with_store(|store| store.append(exchange).map_err(|e| e.to_string()))
    }

    fn record_all(&self, exchanges: Vec<Exchange>) -> Result<(), String> {
        self.with_store(|store| store.append_all(exchanges).map_err(|e| e.to_string()))
    }
}
