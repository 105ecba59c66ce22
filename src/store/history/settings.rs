//! History settings (retention), next to the history file so the window and the command
//! line apply the same limits.

use std::fs;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::{HISTORY_FORMAT_VERSION, HistoryError};
use crate::store::files::{self, FileError, Sensitivity};

pub const SETTINGS_FILE_NAME: &str = "history.settings.json";

/// How much history to keep; `None` is no limit. The oldest entries go first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Retention {
    pub max_entries: Option<usize>,
    /// The size of the file. The newest entry is kept even when it alone is larger.
    pub max_bytes: Option<u64>,
}

fn is_missing(e: &std::io::Error) -> bool {
    matches!(
        e.kind(),
        std::io::ErrorKind::NotFound | std::io::ErrorKind::NotADirectory
    )
}

#[derive(Serialize, Deserialize)]
struct SettingsFile {
    v: u32,
    #[serde(default)]
    retention: Retention,
}

pub(super) fn load_retention(dir: &Path, warnings: &mut Vec<String>) -> Retention {
    let path = dir.join(SETTINGS_FILE_NAME);
    let bytes = match files::read_capped(&path, 64 * 1024) {
        Ok(bytes) => bytes,
        Err(FileError::Read { source, .. }) if is_missing(&source) => {
            return Retention::default();
        }
        Err(e) => {
            warnings.push(format!("{e}; no retention limit is applied"));
            return Retention::default();
        }
    };
    match serde_json::from_slice::<SettingsFile>(&bytes) {
        Ok(file) if file.v > HISTORY_FORMAT_VERSION => {
            warnings.push(format!(
                "{} was written by a newer SNAP Console (format {}); no retention limit is applied",
                path.display(),
                file.v
            ));
            Retention::default()
        }
        Ok(file) => file.retention,
        Err(e) => {
            warnings.push(format!(
                "{} is not valid (line {}, column {}); no retention limit is applied until it is set again",
                path.display(),
                e.line(),
                e.column()
            ));
            Retention::default()
        }
    }
}

pub(super) fn save_retention(dir: &Path, retention: Retention) -> Result<(), HistoryError> {
    fs::create_dir_all(dir).map_err(|source| HistoryError::CreateDir {
        path: dir.to_path_buf(),
        source,
    })?;
    let file = SettingsFile {
        v: HISTORY_FORMAT_VERSION,
        retention,
    };
    let json = serde_json::to_vec_pretty(&file).map_err(|e| HistoryError::Encode(e.to_string()))?;
    files::write_atomic(&dir.join(SETTINGS_FILE_NAME), &json, Sensitivity::Public)
        .map_err(HistoryError::Settings)
}
