//! What the window remembers between runs: its size, position, last panel and theme.
//! Nothing secret, and nothing that breaks a start when missing or odd.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct WindowState {
    /// Inner size in points.
    pub size: Option<[f32; 2]>,
    /// Outer top-left corner in points (not known on Wayland).
    pub position: Option<[f32; 2]>,
    /// The title of the panel last shown.
    pub panel: Option<String>,
    /// "system", "light" or "dark".
    pub theme: Option<String>,
}

/// Smallest and largest sizes taken back from the file (a hand-edited or foreign value
/// must not open a window of a million points or none at all).
const MIN_SIDE: f32 = 320.0;
const MAX_SIDE: f32 = 16_384.0;

impl WindowState {
    /// The state with implausible values dropped.
    pub fn sane(mut self) -> Self {
        self.size = self.size.filter(|s| {
            s.iter()
                .all(|v| v.is_finite() && (MIN_SIDE..=MAX_SIDE).contains(v))
        });
        self.position = self
            .position
            .filter(|p| p.iter().all(|v| v.is_finite() && v.abs() <= MAX_SIDE));
        self
    }
}
