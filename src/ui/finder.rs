//! A type-to-find list: a text field whose words narrow a list, arrow keys move the
//! highlight, Enter or a click picks, Esc closes. The composer's service picker shows the
//! list under its field; the command palette shows it inline in its window.

use egui::{Id, Key, Modifiers, Order, RichText, ScrollArea, TextEdit, Ui};

/// How many entries the list shows before it scrolls.
const LIST_HEIGHT: f32 = 340.0;

#[derive(Default)]
pub struct Finder {
    pub query: String,
    /// The highlighted entry among the current matches.
    pub index: usize,
    pub open: bool,
    /// Where the floating list was last drawn (a press outside it and the field closes it).
    list_rect: Option<egui::Rect>,
    scroll_to_index: bool,
}

/// One entry: what it says, and a quieter note beside it (group, path).
pub struct Entry {
    pub label: String,
    pub note: String,
}

impl Finder {
    /// True when every word of the query is in one of `haystacks` (case ignored).
    pub fn accepts(&self, haystacks: &[&str]) -> bool {
        let lowered: Vec<String> = haystacks.iter().map(|h| h.to_lowercase()).collect();
        self.query
            .split_whitespace()
            .map(str::to_lowercase)
            .all(|word| lowered.iter().any(|h| h.contains(&word)))
    }

    /// The field, labelled `label`; arrow keys are taken before the field sees them.
    /// Returns the field's response and whether Enter was pressed in it.
    pub fn field(
        &mut self,
        ui: &mut Ui,
        label: &str,
        hint: &str,
        width: f32,
        count: usize,
    ) -> (egui::Response, bool) {
        let id = Id::unique(("finder", label));
        if ui.memory(|m| m.has_focus(id)) {
            self.arrows(ui, count);
        }
        let label_response = ui.label(label);
        let output = TextEdit::singleline(&mut self.query)
            .id(id)
            .hint_text(hint)
            .desired_width(width)
            .show(ui);
        let response = output.response.response.labelled_by(label_response.id);
        if response.gained_focus() || response.changed() {
            self.open = true;
        }
        if response.changed() {
            self.index = 0;
        }
        let enter = response.lost_focus() && ui.input(|i| i.key_pressed(Key::Enter));
        if response.lost_focus() && ui.input(|i| i.key_pressed(Key::Escape)) {
            self.open = false;
        }
        (response, enter)
    }

    fn arrows(&mut self, ui: &mut Ui, count: usize) {
        let (down, up) = ui.input_mut(|i| {
            (
                i.consume_key(Modifiers::NONE, Key::ArrowDown),
                i.consume_key(Modifiers::NONE, Key::ArrowUp),
            )
        });
        if down || up {
            self.open = true;
            self.scroll_to_index = true;
        }
        if down && count > 0 {
            self.index = (self.index + 1).min(count - 1);
        }
        if up {
            self.index = self.index.saturating_sub(1);
        }
    }

    /// The entries as a list (inline); returns the clicked one.
    pub fn list(&mut self, ui: &mut Ui, entries: &[Entry]) -> Option<usize> {
        self.index = self.index.min(entries.len().saturating_sub(1));
        let mut picked = None;
        ScrollArea::vertical()
            .id_salt("finder_list")
            .max_height(LIST_HEIGHT)
            .show(ui, |ui| {
                if entries.is_empty() {
                    ui.label(RichText::new("nothing matches").weak());
                }
                for (i, entry) in entries.iter().enumerate() {
                    let row = ui.horizontal(|ui| {
                        let item = ui.selectable_label(i == self.index, &entry.label);
                        ui.label(RichText::new(&entry.note).weak().small());
                        item
                    });
                    if i == self.index && std::mem::take(&mut self.scroll_to_index) {
                        row.response.scroll_to_me(None);
                    }
                    if row.inner.clicked() {
                        picked = Some(i);
                    }
                }
            });
        picked
    }

    /// The entries floating under `field` while open; returns the clicked one. A press
    /// anywhere outside the field and the list closes it.
    pub fn popup(
        &mut self,
        ui: &mut Ui,
        field: &egui::Response,
        entries: &[Entry],
    ) -> Option<usize> {
        if !self.open {
            return None;
        }
        let pressed_at = ui.input(|i| {
            i.pointer
                .any_pressed()
                .then(|| i.pointer.interact_pos())
                .flatten()
        });
        if let Some(at) = pressed_at
            && !field.rect.contains(at)
            && !self.list_rect.is_some_and(|r| r.contains(at))
        {
            self.open = false;
            return None;
        }
        let area = egui::Area::new(field.id.with("finder_popup"))
            .order(Order::Foreground)
            .fixed_pos(field.rect.left_bottom())
            .show(ui.ctx(), |ui| {
                egui::Frame::popup(ui.style()).show(ui, |ui| {
                    ui.set_min_width(field.rect.width().max(360.0));
                    self.list(ui, entries)
                })
            });
        self.list_rect = Some(area.response.rect);
        area.inner.inner
    }

    /// Close and forget the query (after a pick).
    pub fn reset(&mut self) {
        self.query.clear();
        self.index = 0;
        self.open = false;
        self.list_rect = None;
    }
}
