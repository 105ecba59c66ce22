//! The command palette (Ctrl+K: jump to a panel, switch profile, and whatever the panels
//! offer — services to pick, suites to run) and the keyboard help (F1).

use egui::{Grid, Id, Key, Modal, RichText, Ui};

use super::finder::{Entry, Finder};

/// What a palette line does when picked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Choice {
    /// Show the panel at this index.
    Panel(usize),
    /// Make this profile (by id) the active one.
    Profile(String),
    /// Hand `key` to the panel at this index, then show it.
    PanelEntry { panel: usize, key: String },
}

/// One palette line.
pub struct Candidate {
    pub label: String,
    pub note: String,
    pub choice: Choice,
}

/// The window's shortcuts, as the help overlay lists them.
pub const SHORTCUTS: &[(&str, &str)] = &[
    ("Ctrl+Enter", "Send the composer's request"),
    (
        "Ctrl+K",
        "Command palette: go to a panel, pick a service, switch profile",
    ),
    ("Ctrl+F", "Search in the current panel"),
    ("Up, Down, Enter", "Move in a list, pick"),
    ("Esc", "Close a popup or this help"),
    ("F1", "This help"),
];

#[derive(Default)]
pub struct Overlays {
    pub palette_open: bool,
    pub help_open: bool,
    finder: Finder,
    focus_field: bool,
}

impl Overlays {
    /// Ctrl+K, F1: open or close (taken before any field sees the keys).
    pub fn keys(&mut self, ui: &mut Ui) {
        let (palette, help) = ui.input_mut(|i| {
            (
                i.consume_key(egui::Modifiers::COMMAND, Key::K),
                i.consume_key(egui::Modifiers::NONE, Key::F1),
            )
        });
        if palette {
            self.palette_open = !self.palette_open;
            self.finder.reset();
            self.focus_field = true;
        }
        if help {
            self.help_open = !self.help_open;
        }
    }

    /// The palette over the window; returns what was picked.
    pub fn palette(&mut self, ui: &mut Ui, candidates: &[Candidate]) -> Option<Choice> {
        if !self.palette_open {
            return None;
        }
        let shown: Vec<&Candidate> = candidates
            .iter()
            .filter(|c| self.finder.accepts(&[&c.label, &c.note]))
            .collect();
        let mut picked = None;
        let modal = Modal::new(Id::unique("command_palette")).show(ui.ctx(), |ui| {
            ui.set_width(520.0);
            ui.heading("Command palette");
            let (field, enter) = self.finder.field(
                ui,
                "Command",
                "a panel, a service, a profile…",
                500.0,
                shown.len(),
            );
            if std::mem::take(&mut self.focus_field) {
                field.request_focus();
            }
            if enter {
                picked = shown.get(self.finder.index).map(|c| c.choice.clone());
            }
            let entries: Vec<Entry> = shown
                .iter()
                .map(|c| Entry {
                    label: c.label.clone(),
                    note: c.note.clone(),
                })
                .collect();
            if let Some(i) = self.finder.list(ui, &entries) {
                picked = shown.get(i).map(|c| c.choice.clone());
            }
        });
        let escaped = ui.input(|i| i.key_pressed(Key::Escape));
        if picked.is_some() || modal.should_close() || escaped {
            self.palette_open = false;
            self.finder.reset();
        }
        picked
    }

    /// F1: the shortcuts.
    pub fn help(&mut self, ui: &mut Ui) {
        if !self.help_open {
            return;
        }
        let modal = Modal::new(Id::unique("keyboard_help")).show(ui.ctx(), |ui| {
            ui.heading("Keyboard shortcuts");
            ui.add_space(6.0);
            Grid::new("shortcuts")
                .num_columns(2)
                .spacing([24.0, 6.0])
                .show(ui, |ui| {
                    for (keys, what) in SHORTCUTS {
                        ui.label(RichText::new(*keys).monospace().strong());
                        ui.label(*what);
                        ui.end_row();
                    }
                });
            ui.add_space(6.0);
            ui.button("Close").clicked()
        });
        if modal.inner || modal.should_close() {
            self.help_open = false;
        }
    }
}
