//! `window.json` in the config dir: the window's size, position, last panel and theme.
//! A missing or unreadable file means defaults (the window must always open).

use super::files::{self, Sensitivity};
use super::paths::AppPaths;
use crate::model::WindowState;

/// Far above any real file; a bigger one is not ours.
const MAX_BYTES: u64 = 16 * 1024;

pub fn file(paths: &AppPaths) -> std::path::PathBuf {
    paths.config_dir.join("window.json")
}

/// The remembered state, or the defaults when there is none or it cannot be read.
pub fn load(paths: &AppPaths) -> WindowState {
    files::read_capped(&file(paths), MAX_BYTES)
        .ok()
        .and_then(|bytes| serde_json::from_slice::<WindowState>(&bytes).ok())
        .map(WindowState::sane)
        .unwrap_or_default()
}

pub fn save(paths: &AppPaths, state: &WindowState) -> Result<(), String> {
    std::fs::create_dir_all(&paths.config_dir)
        .map_err(|e| format!("cannot create {}: {e}", paths.config_dir.display()))?;
    let bytes = serde_json::to_vec_pretty(state).map_err(|e| e.to_string())?;
    files::write_atomic(&file(paths), &bytes, Sensitivity::Public).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_state_round_trips_and_odd_files_give_defaults() {
        let dir = tempfile::tempdir().expect("tmp");
        let paths = AppPaths::under(dir.path());
        assert_eq!(load(&paths), WindowState::default());
        let state = WindowState {
            size: Some([1300.0, 900.0]),
            position: Some([10.0, 20.0]),
            panel: Some("History".into()),
            theme: Some("dark".into()),
        };
        save(&paths, &state).expect("save");
        assert_eq!(load(&paths), state);
        std::fs::write(file(&paths), "{ not json").expect("write");
        assert_eq!(load(&paths), WindowState::default());
        std::fs::write(file(&paths), r#"{"size": [1e9, 5], "panel": "Inbox"}"#).expect("write");
        let odd = load(&paths);
        assert_eq!(odd.size, None);
        assert_eq!(odd.panel.as_deref(), Some("Inbox"));
    }
}
