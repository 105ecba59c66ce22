//! The window's remembered state (size, position, last panel, theme) read at start and
//! written when it changes, through `store::window`.

use super::{Event, WorkerContext, blocking};
use crate::model::WindowState;
use crate::store::paths::AppPaths;
use crate::store::window;

/// Read once before the window opens (eframe needs the size up front); a small capped
/// read, and defaults whatever goes wrong.
pub fn load(paths: &AppPaths) -> WindowState {
    window::load(paths)
}

/// Write `state` unless a newer one (higher `seq`) was written already.
pub async fn save(seq: u64, state: WindowState, context: &WorkerContext) -> Event {
    let paths = context.paths.clone();
    let worker = context.state.clone();
    blocking(move || {
        // Held across the write: saves are ordered, and a stale one is dropped.
        let mut written = match worker.window_written.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        if seq <= *written {
            return Event::WindowSaved(Ok(()));
        }
        *written = seq;
        Event::WindowSaved(window::save(&paths, &state))
    })
    .await
}
