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

pub async fn save(state: WindowState, context: &WorkerContext) -> Event {
    let paths = context.paths.clone();
    blocking(move || Event::WindowSaved(window::save(&paths, &state))).await
}
