//! History: every exchange, newest first, searchable, openable read-only, replayable into
//! the composer, exportable (JSON, cURL script, Markdown evidence report). Rows are drawn
//! virtualized from the summaries the worker's store keeps in memory (a non-blocking
//! read); an entry's request and response are read from disk when it is selected, and
//! text-search results arrive in batches while the file is streamed.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use egui::{Grid, RichText, ScrollArea, TextEdit, Ui};

use super::context::{Action, AppContext, Level, Panel};
use super::split::{self, Arrangement};
use super::widgets;
use crate::worker::history::{
    Exchange, ExportFormat, HistoryCommand, HistoryEvent, HistoryStore, Query, Retention,
    SharedHistory, StatusFilter, Summary, id_hash,
};
use crate::worker::{Command, Event, FileChoice};

const ROW_HEIGHT: f32 = 22.0;
/// How often the open pane looks for what other processes appended.
const REFRESH_EVERY: Duration = Duration::from_secs(2);

#[derive(Default)]
pub struct HistoryPanel {
    pub text: String,
    pub service: String,
    pub status: String,
    pub from: String,
    pub to: String,
    /// Positions in the store's summaries (newest first) for `view_version`.
    rows: Vec<u32>,
    view_version: u64,
    generation: u64,
    /// The generation `rows` belong to, and whether its search is complete.
    rows_generation: u64,
    searching: bool,
    sent_query: Option<(u64, String)>,
    /// The selected entry: its position and id hash.
    selected: Option<(u32, u64)>,
    /// The selected entry as read from disk.
    opened: Option<Exchange>,
    /// "Open in composer" was pressed before the entry was read: hand it over on arrival.
    open_when_read: bool,
    /// Id hashes ticked for export.
    ticked: BTreeSet<u64>,
    export_path: String,
    /// Asking for a path to export to (no file dialog here), in this format.
    export_prompt: Option<ExportFormat>,
    /// The format of the last export sent with a dialog: asked again with a path if the
    /// worker finds no dialog.
    dialog_export: Option<ExportFormat>,
    no_dialog: bool,
    confirm_clear: bool,
    /// Ctrl+F: focus the search field on the next frame.
    focus_search: bool,
    /// The list's share of the width; 0 means not set.
    split_share: f32,
    max_entries: String,
    max_megabytes: String,
    last_refresh: Option<Instant>,
    pub count: usize,
    save_to_suite: super::save_to_suite::SaveToSuite,
}

impl HistoryPanel {
    /// A batch of search results: the first of a generation replaces the rows.
    pub fn found(&mut self, generation: u64, version: u64, indices: Vec<u32>, done: bool) {
        if generation != self.generation {
            return;
        }
        if self.rows_generation != generation {
            self.rows = indices;
            self.rows_generation = generation;
        } else {
            self.rows.extend(indices);
        }
        self.view_version = version;
        self.searching = !done;
    }

    /// The selected entry, read from disk.
    pub fn entry_read(&mut self, shared: &mut AppContext, result: Result<Box<Exchange>, String>) {
        match result {
            Ok(entry) => {
                let key = id_hash(&entry.id);
                if self.selected.is_some_and(|(_, k)| k == key) {
                    if std::mem::take(&mut self.open_when_read) {
                        shared.act(Action::OpenInComposer(entry.clone()));
                    }
                    self.opened = Some(*entry);
                }
            }
            Err(e) => shared.notify(Level::Error, format!("history: {e}")),
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
                .map_err(|_| format!("{what} '{text}' is not a date like {}", today()))
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
            ..Query::default()
        })
    }

    fn draw(&mut self, ui: &mut Ui, shared: &mut AppContext, history: &SharedHistory) {
        let query = self.query();
        self.filters(ui, shared);
        match &query {
            Ok(query) => self.search_if_changed(query, shared, history),
            Err(e) => widgets::error_text(ui, e),
        }
        self.refresh_now_and_then(ui, shared);
        if let Some(fraction) = history.progress.fraction() {
            ui.add(
                egui::ProgressBar::new(fraction)
                    .text(format!("Updating the history… {:.0} %", fraction * 100.0)),
            );
            ui.ctx().request_repaint_after(Duration::from_millis(100));
        }
        self.dialogs(ui, shared);
        if self.split_share <= 0.0 {
            self.split_share = 0.5;
        }
        let arrangement = if ui.available_width() >= 900.0 {
            Arrangement::Beside
        } else {
            Arrangement::Stacked
        };
        let (list, detail) = split::split(ui, "history split", arrangement, &mut self.split_share);
        split::pane(ui, list, |ui| self.list_pane(ui, shared, history));
        split::pane(ui, detail, |ui| self.detail_pane(ui, shared));
    }

    /// The count and the rows, filling the pane's height.
    fn list_pane(&mut self, ui: &mut Ui, shared: &mut AppContext, history: &SharedHistory) {
        let Ok(view) = history.try_read() else {
            ui.label("Updating…");
            ui.ctx().request_repaint_after(Duration::from_millis(50));
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
        if view.version != self.view_version
            && self
                .sent_query
                .as_ref()
                .is_some_and(|(v, _)| *v != view.version)
        {
            // Rows are stale: search again.
            self.sent_query = None;
        }
        let searching = if self.searching {
            " (searching…)"
        } else {
            ""
        };
        ui.label(format!(
            "{} of {} exchanges{searching}",
            self.rows.len(),
            store.len()
        ));
        self.rows_ui(ui, shared, store);
    }

    fn detail_pane(&mut self, ui: &mut Ui, shared: &mut AppContext) {
        let opened = self.opened.take();
        match (&opened, self.selected) {
            (Some(entry), _) => self.details(ui, shared, entry),
            (None, Some((_, key))) => self.loading(ui, shared, key),
            (None, None) => {
                ui.label(RichText::new("Select an exchange to see it here.").weak());
            }
        }
        if self.opened.is_none() && self.selected.is_some() {
            self.opened = opened;
        }
    }

    /// One row: the search fields, the dates (today as the hint), Export ▾ and Settings.
    fn filters(&mut self, ui: &mut Ui, shared: &mut AppContext) {
        let today = today();
        ui.horizontal(|ui| {
            let search = widgets::text_row_inline(ui, "Search", &mut self.text, 200.0);
            if std::mem::take(&mut self.focus_search) {
                search.request_focus();
            }
            widgets::text_row_inline(ui, "Service", &mut self.service, 110.0);
            widgets::text_row_inline(ui, "Status", &mut self.status, 50.0);
            for (label, value) in [("From", &mut self.from), ("To", &mut self.to)] {
                let l = ui.label(label);
                ui.add(
                    TextEdit::singleline(value)
                        .hint_text(today.as_str())
                        .desired_width(86.0),
                )
                .labelled_by(l.id);
            }
            ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                // The arrows in monospace: Hack has them, the proportional font does not.
                let arrow = || RichText::new("▾").monospace();
                ui.menu_button(("Settings", arrow()), |ui| self.settings(ui, shared));
                ui.menu_button(("Export", arrow()), |ui| self.export_menu(ui, shared));
            });
        });
    }

    /// Only the visible rows are touched each frame (a result may hold a million).
    fn rows_ui(&mut self, ui: &mut Ui, shared: &mut AppContext, store: &HistoryStore) {
        let rows = std::mem::take(&mut self.rows);
        let summaries = store.summaries();
        ScrollArea::vertical()
            .id_salt("history_rows")
            .auto_shrink([false, false])
            .show_rows(ui, ROW_HEIGHT, rows.len(), |ui, range| {
                for &position in &rows[range] {
                    // Positions of an older version may point past a trimmed store.
                    if let Some(summary) = summaries.get(position as usize) {
                        self.row(ui, shared, store, position, summary);
                    }
                }
            });
        self.rows = rows;
    }

    /// Look for what other processes appended, every few seconds while the pane is shown.
    fn refresh_now_and_then(&mut self, ui: &mut Ui, shared: &mut AppContext) {
        let due = self
            .last_refresh
            .is_none_or(|at| at.elapsed() >= REFRESH_EVERY);
        if due {
            self.last_refresh = Some(Instant::now());
            shared.send(Command::History(HistoryCommand::Refresh));
        }
        ui.ctx().request_repaint_after(REFRESH_EVERY);
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
        self.searching = true;
        shared.send(Command::History(HistoryCommand::Search {
            generation: self.generation,
            query: query.clone(),
        }));
    }

    fn row(
        &mut self,
        ui: &mut Ui,
        shared: &mut AppContext,
        store: &HistoryStore,
        position: u32,
        summary: &Summary,
    ) {
        let key = summary.id_hash;
        ui.horizontal(|ui| {
            let mut ticked = self.ticked.contains(&key);
            if ui
                .checkbox(&mut ticked, "")
                .on_hover_text("Select for export")
                .changed()
            {
                if ticked {
                    self.ticked.insert(key);
                } else {
                    self.ticked.remove(&key);
                }
            }
            let selected = self.selected.is_some_and(|(_, k)| k == key);
            if ui
                .selectable_label(
                    selected,
                    RichText::new(row_text(store, summary)).monospace(),
                )
                .clicked()
            {
                self.selected = Some((position, key));
                self.opened = None;
                self.open_when_read = false;
                shared.send(Command::History(HistoryCommand::Read { position, key }));
            }
        });
    }

    fn export_menu(&mut self, ui: &mut Ui, shared: &mut AppContext) {
        let what = match self.ticked.len() {
            0 if self.selected.is_some() => "the selected exchange".to_string(),
            0 => "tick exchanges (or select one) first".to_string(),
            n => format!("{n} ticked exchanges"),
        };
        ui.label(RichText::new(what).weak());
        // Ticked by itself when the worker finds no file dialog; a person may prefer paths.
        ui.checkbox(&mut self.no_dialog, "Type a path instead of a dialog");
        for format in [ExportFormat::Json, ExportFormat::Curl, ExportFormat::Report] {
            if ui.button(format_name(format)).clicked() {
                if self.no_dialog {
                    self.export_prompt = Some(format);
                } else {
                    self.dialog_export = Some(format);
                    self.export(shared, format, FileChoice::Dialog);
                }
                ui.close();
            }
        }
    }

    /// Retention and Clear, out of the way.
    fn settings(&mut self, ui: &mut Ui, shared: &mut AppContext) {
        ui.label(RichText::new("Retention").strong());
        Grid::new("history_retention")
            .num_columns(2)
            .show(ui, |ui| {
                widgets::text_row_inline(ui, "Keep at most (entries)", &mut self.max_entries, 80.0);
                ui.end_row();
                widgets::text_row_inline(ui, "and (MB)", &mut self.max_megabytes, 80.0);
                ui.end_row();
            });
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
            ui.close();
        }
        ui.separator();
        if ui.button("Clear all…").clicked() {
            self.confirm_clear = true;
            ui.close();
        }
    }

    /// The export path prompt and the Clear confirmation.
    fn dialogs(&mut self, ui: &mut Ui, shared: &mut AppContext) {
        if let Some(format) = self.export_prompt {
            let modal =
                egui::Modal::new(egui::Id::unique("history_export_path")).show(ui.ctx(), |ui| {
                    ui.heading(format!("Export {}", format_name(format)));
                    ui.label("Without a file dialog: type where to write it.");
                    let l = ui.label("Export path");
                    ui.add(
                        TextEdit::singleline(&mut self.export_path)
                            .hint_text("/path/to/file")
                            .desired_width(360.0),
                    )
                    .labelled_by(l.id);
                    ui.horizontal(|ui| {
                        if ui.button("Export").clicked() {
                            let path = FileChoice::Path(self.export_path.trim().into());
                            self.export(shared, format, path);
                            self.export_prompt = None;
                        }
                        if ui.button("Cancel").clicked() {
                            self.export_prompt = None;
                        }
                    });
                });
            if modal.should_close() {
                self.export_prompt = None;
            }
        }
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
                            self.opened = None;
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
        let keys: Vec<u64> = if self.ticked.is_empty() {
            self.selected.iter().map(|(_, key)| *key).collect()
        } else {
            self.ticked.iter().copied().collect()
        };
        if keys.is_empty() {
            shared.notify(
                Level::Warning,
                "tick the exchanges to export (or select one)",
            );
            return;
        }
        shared.send(Command::History(HistoryCommand::Export {
            keys,
            format,
            to,
        }));
    }

    /// The selected entry is being read: its buttons already work.
    fn loading(&mut self, ui: &mut Ui, shared: &mut AppContext, key: u64) {
        ui.horizontal(|ui| {
            self.entry_actions(ui, shared, key, None);
            ui.label("Reading the exchange…");
        });
    }

    /// "Open in composer" and "Delete entry", drawn first in the row so that they stay
    /// where they are when the entry arrives (a click between the two frames lands).
    fn entry_actions(
        &mut self,
        ui: &mut Ui,
        shared: &mut AppContext,
        key: u64,
        entry: Option<&Exchange>,
    ) {
        if ui
            .button("Open in composer")
            .on_hover_text("Fills the composer; nothing is sent until you press Send")
            .clicked()
        {
            match entry {
                Some(entry) => shared.act(Action::OpenInComposer(Box::new(entry.clone()))),
                None => self.open_when_read = true,
            }
        }
        if ui.button("Delete entry").clicked() {
            shared.send(Command::History(HistoryCommand::Delete(key)));
            self.selected = None;
            self.ticked.remove(&key);
        }
    }

    fn details(&mut self, ui: &mut Ui, shared: &mut AppContext, entry: &Exchange) {
        ui.horizontal(|ui| {
            self.entry_actions(ui, shared, id_hash(&entry.id), Some(entry));
            ui.label(RichText::new(format!("{} {}", entry.method, entry.url)).strong());
        });
        if let Some(target) = self.save_to_suite.show(ui) {
            shared.send(super::save_to_suite::from_exchange(target, entry.clone()));
        }
        ScrollArea::vertical()
            .id_salt("history_details")
            .show(ui, |ui| {
                widgets::stacked_output(ui, "Time", &entry.time);
                widgets::stacked_output(ui, "Profile", &entry.profile);
                if let Some(code) = &entry.response_code {
                    let meaning = crate::snap::response::decode(code)
                        .map(|d| d.summary())
                        .unwrap_or_default();
                    widgets::stacked_output(ui, "responseCode", &format!("{code}  {meaning}"));
                }
                if let Some(error) = &entry.error {
                    widgets::stacked_output(ui, "Error", error);
                }
                if let (Some(total), Some(headers)) = (entry.total_ms, entry.headers_ms) {
                    widgets::stacked_output(
                        ui,
                        "Timing",
                        &format!("total {total} ms, headers after {headers} ms"),
                    );
                }
                if let Some(verdict) = &entry.verdict {
                    widgets::stacked_output(ui, "Verdict", verdict);
                }
                if let Some(sts) = &entry.string_to_sign {
                    widgets::stacked_output(ui, "stringToSign", sts);
                }
                widgets::stacked_output(
                    ui,
                    "Request headers",
                    &headers_text(&entry.request.headers),
                );
                widgets::stacked_output(ui, "Request body", &entry.request.body);
                if let Some(response) = &entry.response {
                    widgets::stacked_output(
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
                    widgets::stacked_output(ui, "Response body", &body);
                }
            });
    }
}

/// One row: time, direction, method, status, responseCode, service, error (the short
/// columns first, so that they stay in view in a narrow list).
fn row_text(store: &HistoryStore, s: &Summary) -> String {
    let time = s.time_text();
    let status = match s.status {
        0 => "—".to_string(),
        code => code.to_string(),
    };
    let title = match store.text(s.title) {
        "" => "-",
        title => title,
    };
    format!(
        "{} {} {:<6} {:>3} {:<7} {}  {}",
        time.get(..19).unwrap_or(&time),
        if s.inbound { "in " } else { "out" },
        store.text(s.method),
        status,
        store.text(s.code),
        title,
        store.text(s.error),
    )
}

fn format_name(format: ExportFormat) -> &'static str {
    match format {
        ExportFormat::Json => "JSON",
        ExportFormat::Curl => "cURL script",
        ExportFormat::Report => "Evidence report",
    }
}

/// Today's date as the filters take it (their hint).
fn today() -> String {
    chrono::Local::now().format("%Y-%m-%d").to_string()
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
                done,
            } => self.found(generation, version, indices, done),
            HistoryEvent::Entry(result) => self.entry_read(ctx, result),
            HistoryEvent::Refreshed { changed } => {
                if changed {
                    self.invalidate();
                }
            }
        }
        None
    }

    fn on_action(&mut self, action: &Action, _ctx: &mut AppContext) {
        match action {
            Action::HistoryChanged => self.invalidate(),
            Action::DialogUnavailable => {
                self.no_dialog = true;
                // The export that asked for a dialog asks for a path instead.
                self.export_prompt = self.dialog_export.take().or(self.export_prompt);
            }
            _ => {}
        }
    }

    fn focus_search(&mut self) {
        self.focus_search = true;
    }
}
