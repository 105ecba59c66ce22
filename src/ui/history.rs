//! History: every exchange, newest first, searchable, openable read-only, replayable into
//! the composer, exportable (JSON, cURL script, Markdown evidence report). Rows are drawn
//! virtualized from the worker's store through a non-blocking read.

use std::collections::BTreeSet;

use chrono::NaiveDate;
use egui::{Grid, RichText, ScrollArea, TextEdit, Ui};

use super::context::{Action, AppContext, Level, Panel};
use super::widgets;
use crate::worker::history::{
    Direction, Exchange, ExportFormat, HistoryCommand, HistoryEvent, Query, Retention,
    SharedHistory, StatusFilter,
};
use crate::worker::{Command, Event, FileChoice};

const ROW_HEIGHT: f32 = 22.0;

#[derive(Default)]
pub struct HistoryPanel {
    pub text: String,
    pub service: String,
    pub status: String,
    pub from: String,
    pub to: String,
    /// Indices into the store's entries (newest first) for `view_version`.
    rows: Vec<usize>,
    view_version: u64,
    generation: u64,
    sent_query: Option<(u64, String)>,
    pub selected: Option<String>,
    /// Ids ticked for export.
    pub ticked: BTreeSet<String>,
    export_path: String,
    confirm_clear: bool,
    max_entries: String,
    max_megabytes: String,
    /// "Open in composer" pressed for this exchange (the app hands it over).
    pub count: usize,
}

impl HistoryPanel {
    pub fn found(&mut self, generation: u64, version: u64, indices: Vec<usize>) {
        if generation == self.generation {
            self.rows = indices;
            self.view_version = version;
        }
    }

    /// The store changed: search again.
    pub fn invalidate(&mut self) {
        self.sent_query = None;
    }

    fn query(&self) -> Result<Query, String> {
        let date = |text: &str, what: &str| -> Result<Option<NaiveDate>, String> {
            let text = text.trim();
            if text.is_empty() {
                return Ok(None);
            }
            NaiveDate::parse_from_str(text, "%Y-%m-%d")
                .map(Some)
                .map_err(|_| format!("{what} '{text}' is not a date like 2024-12-01"))
        };
        let status = match self.status.trim() {
            "" => None,
            text => Some(
                text.parse::<StatusFilter>()
                    .map_err(|e| format!("status: {e}"))?,
            ),
        };
        Ok(Query {
            text: self.text.clone(),
            service: Some(self.service.clone()).filter(|s| !s.trim().is_empty()),
            status,
            from: date(&self.from, "from")?,
            to: date(&self.to, "to")?,
        })
    }

    fn draw(&mut self, ui: &mut Ui, shared: &mut AppContext, history: &SharedHistory) {
        ui.heading("History");
        let query = self.query();
        Grid::new("history_filters")
            .num_columns(4)
            .spacing([10.0, 4.0])
            .show(ui, |ui| {
                widgets::text_row_inline(ui, "Search", &mut self.text, 260.0);
                widgets::text_row_inline(ui, "Service", &mut self.service, 140.0);
                ui.end_row();
                widgets::text_row_inline(ui, "Status", &mut self.status, 80.0);
                ui.horizontal(|ui| {
                    let l = ui.label("From");
                    ui.add(
                        TextEdit::singleline(&mut self.from)
                            .hint_text("2024-12-01")
                            .min_size(egui::vec2(100.0, 0.0))
                            .desired_width(100.0),
                    )
                    .labelled_by(l.id);
                    let l = ui.label("To");
                    ui.add(
                        TextEdit::singleline(&mut self.to)
                            .hint_text("2024-12-31")
                            .min_size(egui::vec2(100.0, 0.0))
                            .desired_width(100.0),
                    )
                    .labelled_by(l.id);
                });
                ui.end_row();
            });
        match &query {
            Ok(query) => self.search_if_changed(query, shared, history),
            Err(e) => widgets::error_text(ui, e),
        }

        let Ok(view) = history.try_read() else {
            ui.label("Updating…");
            ui.ctx().request_repaint();
            return;
        };
        if let Some(problem) = &view.problem {
            widgets::error_text(ui, &format!("The history is not available: {problem}"));
        }
        let Some(store) = &view.store else {
            ui.label("Opening the history…");
            return;
        };
        self.count = store.len();
        if view.version != self.view_version {
            // Rows are stale; keep showing nothing wrong: wait for the new search.
            if self
                .sent_query
                .as_ref()
                .is_some_and(|(v, _)| *v != view.version)
            {
                self.sent_query = None;
            }
        }
        let entries = store.entries();
        ui.label(format!(
            "{} of {} exchanges",
            self.rows.len(),
            entries.len()
        ));
        ui.separator();
        // Only the visible rows are touched each frame (a search result may hold 100,000).
        let rows = std::mem::take(&mut self.rows);
        ScrollArea::vertical()
            .id_salt("history_rows")
            .max_height(ui.available_height() * 0.45)
            .auto_shrink([false, true])
            .show_rows(ui, ROW_HEIGHT, rows.len(), |ui, range| {
                for &index in &rows[range] {
                    // Indices of an older version may point past a trimmed store.
                    if let Some(entry) = entries.get(index) {
                        self.row(ui, entry);
                    }
                }
            });
        self.rows = rows;
        ui.separator();
        let selected = self
            .selected
            .as_deref()
            .and_then(|id| store.get(id))
            .cloned();
        drop(view);
        self.actions(ui, shared);
        if let Some(entry) = selected {
            self.details(ui, shared, &entry);
        }
    }

    fn search_if_changed(
        &mut self,
        query: &Query,
        shared: &mut AppContext,
        history: &SharedHistory,
    ) {
        let version = history
            .try_read()
            .map(|v| v.version)
            .unwrap_or(self.view_version);
        let key = (version, format!("{query:?}"));
        if self.sent_query.as_ref() == Some(&key) {
            return;
        }
        self.sent_query = Some(key);
        self.generation += 1;
        shared.send(Command::History(HistoryCommand::Search {
            generation: self.generation,
            query: query.clone(),
        }));
    }

    fn row(&mut self, ui: &mut Ui, entry: &Exchange) {
        ui.horizontal(|ui| {
            let mut ticked = self.ticked.contains(&entry.id);
            if ui
                .checkbox(&mut ticked, "")
                .on_hover_text("Select for export")
                .changed()
            {
                if ticked {
                    self.ticked.insert(entry.id.clone());
                } else {
                    self.ticked.remove(&entry.id);
                }
            }
            let status = entry
                .response_status
                .map(|s| s.to_string())
                .unwrap_or_else(|| "—".into());
            let direction = match entry.direction {
                Direction::Outbound => "out",
                Direction::Inbound => "in ",
            };
            let text = format!(
                "{}  {direction}  {:<6} {:<30}  {:>3}  {:<7}  {}",
                entry.time.get(..19).unwrap_or(&entry.time),
                entry.method,
                entry.service_title.as_deref().unwrap_or("-"),
                status,
                entry.response_code.as_deref().unwrap_or(""),
                entry.error.as_deref().unwrap_or(""),
            );
            let selected = self.selected.as_deref() == Some(entry.id.as_str());
            if ui
                .selectable_label(selected, RichText::new(text).monospace())
                .clicked()
            {
                self.selected = Some(entry.id.clone());
            }
        });
    }

    fn actions(&mut self, ui: &mut Ui, shared: &mut AppContext) {
        ui.horizontal_wrapped(|ui| {
            ui.label(format!("{} selected for export", self.ticked.len()));
            let l = ui.label("Export path");
            ui.add(
                TextEdit::singleline(&mut self.export_path)
                    .hint_text("/path/to/file")
                    .desired_width(220.0),
            )
            .labelled_by(l.id);
            for (label, format) in [
                ("JSON", ExportFormat::Json),
                ("cURL script", ExportFormat::Curl),
                ("Evidence report", ExportFormat::Report),
            ] {
                if ui.button(format!("Export {label}…")).clicked() {
                    self.export(shared, format, FileChoice::Dialog);
                }
                if ui.button(format!("Export {label} to path")).clicked() {
                    let path = FileChoice::Path(self.export_path.trim().into());
                    self.export(shared, format, path);
                }
            }
            if ui.button("Clear all…").clicked() {
                self.confirm_clear = true;
            }
        });
        ui.horizontal(|ui| {
            let l = ui.label("Keep at most (entries)");
            ui.add(TextEdit::singleline(&mut self.max_entries).desired_width(80.0))
                .labelled_by(l.id);
            let l = ui.label("and (MB)");
            ui.add(TextEdit::singleline(&mut self.max_megabytes).desired_width(60.0))
                .labelled_by(l.id);
            if ui.button("Apply retention").clicked() {
                let entries = self.max_entries.trim().parse::<usize>().ok();
                let bytes = self
                    .max_megabytes
                    .trim()
                    .parse::<u64>()
                    .ok()
                    .map(|mb| mb * 1024 * 1024);
                shared.send(Command::History(HistoryCommand::SetRetention(Retention {
                    max_entries: entries,
                    max_bytes: bytes,
                })));
            }
        });
        if self.confirm_clear {
            let modal =
                egui::Modal::new(egui::Id::unique("confirm_clear_history")).show(ui.ctx(), |ui| {
                    ui.heading("Clear the whole history?");
                    ui.label(
                        "Every recorded exchange is deleted from disk. Export what you need first.",
                    );
                    ui.horizontal(|ui| {
                        if ui.button("Delete everything").clicked() {
                            shared.send(Command::History(HistoryCommand::Clear));
                            self.confirm_clear = false;
                            self.selected = None;
                            self.ticked.clear();
                        }
                        if ui.button("Keep history").clicked() {
                            self.confirm_clear = false;
                        }
                    });
                });
            if modal.should_close() {
                self.confirm_clear = false;
            }
        }
    }

    fn export(&mut self, shared: &mut AppContext, format: ExportFormat, to: FileChoice) {
        let ids: Vec<String> = if self.ticked.is_empty() {
            self.selected.iter().cloned().collect()
        } else {
            self.ticked.iter().cloned().collect()
        };
        if ids.is_empty() {
            shared.notify(
                Level::Warning,
                "tick the exchanges to export (or select one)",
            );
            return;
        }
        shared.send(Command::History(HistoryCommand::Export { ids, format, to }));
    }

    fn details(&mut self, ui: &mut Ui, shared: &mut AppContext, entry: &Exchange) {
        ui.horizontal(|ui| {
            ui.label(RichText::new(format!("{} {}", entry.method, entry.url)).strong());
            if ui
                .button("Open in composer")
                .on_hover_text("Fills the composer; nothing is sent until you press Send")
                .clicked()
            {
                shared.act(Action::OpenInComposer(Box::new(entry.clone())));
            }
            if ui.button("Delete entry").clicked() {
                shared.send(Command::History(HistoryCommand::Delete(entry.id.clone())));
                self.selected = None;
                self.ticked.remove(&entry.id);
            }
        });
        ScrollArea::vertical()
            .id_salt("history_details")
            .show(ui, |ui| {
                Grid::new("history_entry")
                    .num_columns(2)
                    .spacing([12.0, 4.0])
                    .show(ui, |ui| {
                        widgets::output_row(ui, "Time", &entry.time);
                        widgets::output_row(ui, "Profile", &entry.profile);
                        if let Some(code) = &entry.response_code {
                            let meaning = crate::snap::response::decode(code)
                                .map(|d| d.summary())
                                .unwrap_or_default();
                            widgets::output_row(ui, "responseCode", &format!("{code}  {meaning}"));
                        }
                        if let Some(error) = &entry.error {
                            widgets::output_row(ui, "Error", error);
                        }
                        if let (Some(total), Some(headers)) = (entry.total_ms, entry.headers_ms) {
                            widgets::output_row(
                                ui,
                                "Timing",
                                &format!("total {total} ms, headers after {headers} ms"),
                            );
                        }
                        if let Some(verdict) = &entry.verdict {
                            widgets::output_row(ui, "Verdict", verdict);
                        }
                        if let Some(sts) = &entry.string_to_sign {
                            widgets::output_row(ui, "stringToSign", sts);
                        }
                        widgets::output_row(
                            ui,
                            "Request headers",
                            &headers_text(&entry.request.headers),
                        );
                        widgets::output_row(ui, "Request body", &entry.request.body);
                        if let Some(response) = &entry.response {
                            widgets::output_row(
                                ui,
                                "Response headers",
                                &headers_text(&response.headers),
                            );
                            let mut body = response.body.clone();
                            if response.body_truncated {
                                body.push_str(&format!(
                                    "\n… truncated ({} bytes in all)",
                                    response.body_bytes
                                ));
                            }
                            widgets::output_row(ui, "Response body", &body);
                        }
                    });
            });
    }
}

fn headers_text(headers: &[(String, String)]) -> String {
    headers
        .iter()
        .map(|(n, v)| format!("{n}: {v}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Its title in the navigation list.
pub const TITLE: &str = "History";

impl Panel for HistoryPanel {
    fn title(&self) -> &'static str {
        TITLE
    }

    fn ui(&mut self, ui: &mut Ui, ctx: &mut AppContext) {
        let history = ctx.history.clone();
        self.draw(ui, ctx, &history);
    }

    fn take_event(&mut self, event: Event, ctx: &mut AppContext) -> Option<Event> {
        let Event::History(event) = event else {
            return Some(event);
        };
        match event {
            HistoryEvent::Opened { count, messages } => {
                for message in messages {
                    ctx.notify(Level::Warning, message.clone());
                    ctx.problems.push(message);
                }
                self.count = count;
                self.invalidate();
            }
            HistoryEvent::Changed(result) => {
                if let Err(e) = result {
                    ctx.notify(Level::Error, format!("history: {e}"));
                }
                self.invalidate();
            }
            HistoryEvent::Found {
                generation,
                version,
                indices,
            } => self.found(generation, version, indices),
        }
        None
    }

    fn on_action(&mut self, action: &Action, _ctx: &mut AppContext) {
        if let Action::HistoryChanged = action {
            self.invalidate();
        }
    }
}
