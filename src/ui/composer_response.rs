//! The composer's answer pane: status line, decoded responseCode, timings, then tabs for the
//! body (coloured, searchable, cut on screen when large, savable whole), the headers, the
//! sandbox's explanation and the request as sent.

use egui::{Grid, RichText, ScrollArea, TextEdit, Ui};

use super::context::{Action, AppContext};
use super::json_view;
use super::widgets;
use crate::worker::composer::{
    BuiltRequest, ComposerCommand, ResponseRecord, ResponseSummary, SendReport,
};
use crate::worker::{Command, FileChoice};

/// At most this much of a body is shown (Save… keeps the whole body).
pub const SHOWN_LIMIT: usize = 5 * 1024 * 1024;
/// Up to this size the body is one selectable text field; above it only the lines in view
/// are laid out each frame (a text field lays out all of its text, every frame).
pub const FIELD_LIMIT: usize = 64 * 1024;
/// A line longer than this is cut on screen (a minified megabyte is one line).
const LINE_LIMIT: usize = 2048;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ResponseTab {
    #[default]
    Body,
    Headers,
    Explanation,
    Sent,
}

#[derive(Default)]
pub struct ResponseView {
    pub tab: ResponseTab,
    pub search: String,
    pub show_raw: bool,
    save_path: String,
    /// The body text on screen for (report serial, raw?), cut to `SHOWN_LIMIT`: built once
    /// per answer, not every frame.
    shown: Option<((u64, bool), ShownBody)>,
    /// Ctrl+F: focus the search field on the next frame.
    pub focus_search: bool,
}

struct ShownBody {
    text: String,
    /// Where each line starts (for the line view of large bodies).
    line_starts: Vec<usize>,
    /// "showing the first … of … bytes" when cut.
    cut_note: Option<String>,
    matches: Option<(String, usize)>,
}

impl ResponseView {
    pub fn ui(
        &mut self,
        ui: &mut Ui,
        shared: &mut AppContext,
        report: Option<&SendReport>,
        serial: u64,
    ) {
        let Some(report) = report else {
            ui.add_space(8.0);
            ui.label(RichText::new("No response yet. Send with Ctrl+Enter.").weak());
            return;
        };
        report_notes(ui, report);
        if let Some(response) = &report.response {
            status_line(ui, response);
            if let Some(summary) = &report.summary {
                summary_view(ui, shared, summary, report.built.as_ref());
            }
        }
        self.tabs(ui, report);
        ui.separator();
        match self.tab {
            ResponseTab::Body => self.body(ui, shared, report, serial),
            ResponseTab::Headers => headers_view(ui, report.response.as_ref()),
            ResponseTab::Explanation => explain_view(ui, report.summary.as_ref()),
            ResponseTab::Sent => sent_view(ui, report.built.as_ref()),
        }
    }

    fn tabs(&mut self, ui: &mut Ui, report: &SendReport) {
        let headers = report.response.as_ref().map_or(0, |r| r.headers.len());
        let explained = report.summary.as_ref().map_or(0, |s| s.explain.len());
        ui.horizontal(|ui| {
            ui.selectable_value(&mut self.tab, ResponseTab::Body, "Body");
            ui.selectable_value(
                &mut self.tab,
                ResponseTab::Headers,
                format!("Headers ({headers})"),
            );
            if explained > 0 {
                ui.selectable_value(
                    &mut self.tab,
                    ResponseTab::Explanation,
                    format!("Explanation ({explained})"),
                );
            }
            ui.selectable_value(&mut self.tab, ResponseTab::Sent, "Request as sent");
        });
    }

    fn body(&mut self, ui: &mut Ui, shared: &mut AppContext, report: &SendReport, serial: u64) {
        let Some(response) = &report.response else {
            return;
        };
        let pretty = report
            .summary
            .as_ref()
            .and_then(|s| s.pretty_body.as_deref());
        let key = (serial, self.show_raw);
        if self.shown.as_ref().is_none_or(|(k, _)| *k != key) {
            self.shown = Some((key, shown_body(response, pretty, self.show_raw)));
        }
        let Some((_, shown)) = &mut self.shown else {
            return;
        };
        ui.horizontal(|ui| {
            let label = ui.label("Search body");
            let field = ui
                .add(
                    TextEdit::singleline(&mut self.search)
                        .hint_text("Ctrl+F")
                        .desired_width(180.0),
                )
                .labelled_by(label.id);
            if std::mem::take(&mut self.focus_search) {
                field.request_focus();
            }
            if !self.search.is_empty() {
                let count = match &shown.matches {
                    Some((term, count)) if *term == self.search => *count,
                    _ => {
                        let count = json_view::matches(&shown.text, &self.search).len();
                        shown.matches = Some((self.search.clone(), count));
                        count
                    }
                };
                ui.label(format!("{count} found"));
            }
            if pretty.is_some() {
                ui.checkbox(&mut self.show_raw, "raw");
            }
        });
        if shown.cut_note.is_some() || !shown.line_starts.is_empty() {
            ui.horizontal_wrapped(|ui| {
                if let Some(note) = &shown.cut_note {
                    widgets::warning_text(ui, note);
                }
                save_controls(ui, shared, response, &mut self.save_path);
            });
        }
        let label = ui.label(RichText::new("Response body").weak());
        if !shown.line_starts.is_empty() {
            lines_view(ui, shown, &self.search);
            return;
        }
        let search = self.search.clone();
        let mut layouter = |ui: &Ui, text: &dyn egui::TextBuffer, wrap: f32| {
            json_view::layout(ui, text, wrap, &search, &[])
        };
        ScrollArea::both()
            .id_salt("response_body")
            .auto_shrink([false, false])
            .show(ui, |ui| {
                let mut text = shown.text.as_str();
                ui.add(
                    TextEdit::multiline(&mut text)
                        .code_editor()
                        .desired_width(f32::INFINITY)
                        .layouter(&mut layouter),
                )
                .labelled_by(label.id);
            });
    }
}

/// A large body as lines: only the rows in view are coloured and laid out.
fn lines_view(ui: &mut Ui, shown: &ShownBody, search: &str) {
    let font = egui::FontId::monospace(json_view::MONO_SIZE);
    let row_height = ui.fonts_mut(|f| f.row_height(&font));
    let dark = ui.visuals().dark_mode;
    let count = shown.line_starts.len();
    ScrollArea::both()
        .id_salt("response_body_lines")
        .auto_shrink([false, false])
        .show_rows(ui, row_height, count, |ui, rows| {
            for i in rows {
                let start = shown.line_starts[i];
                let end = shown
                    .line_starts
                    .get(i + 1)
                    .map_or(shown.text.len(), |next| next - 1);
                let line = &shown.text[start..end.max(start)];
                let cut = floor_char_boundary(line, LINE_LIMIT);
                let mut job = json_view::layout_job(json_view::Highlight {
                    text: &line[..cut],
                    search,
                    flagged_lines: &[],
                    dark,
                });
                job.wrap.max_width = f32::INFINITY;
                ui.add(egui::Label::new(job).extend());
            }
        });
}

/// The body as shown: pretty JSON unless raw is asked for, cut at `SHOWN_LIMIT`.
fn shown_body(response: &ResponseRecord, pretty: Option<&str>, raw: bool) -> ShownBody {
    let full = response.body.len();
    let (mut text, cut) = match pretty.filter(|_| !raw) {
        Some(pretty) => {
            let end = floor_char_boundary(pretty, SHOWN_LIMIT);
            (pretty[..end].to_string(), end < pretty.len())
        }
        None => {
            let shown = &response.body[..full.min(SHOWN_LIMIT)];
            (
                String::from_utf8_lossy(shown).into_owned(),
                full > SHOWN_LIMIT,
            )
        }
    };
    let cut_note = if cut || response.truncated {
        text.push_str("\n…");
        let whole = if response.truncated {
            format!("{} bytes received (the client stopped reading there)", full)
        } else {
            format!("{full} bytes in all")
        };
        Some(format!(
            "large body: showing the first {} MB of {whole}; Save… keeps the whole body",
            SHOWN_LIMIT / (1024 * 1024)
        ))
    } else {
        None
    };
    let line_starts = if text.len() > FIELD_LIMIT {
        std::iter::once(0)
            .chain(memchr::memchr_iter(b'\n', text.as_bytes()).map(|i| i + 1))
            .collect()
    } else {
        Vec::new()
    };
    ShownBody {
        text,
        line_starts,
        cut_note,
        matches: None,
    }
}

fn floor_char_boundary(text: &str, at: usize) -> usize {
    let mut end = at.min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    end
}

fn save_controls(
    ui: &mut Ui,
    shared: &mut AppContext,
    response: &ResponseRecord,
    save_path: &mut String,
) {
    if ui.button("Save…").clicked() {
        shared.send(Command::Composer(ComposerCommand::SaveBytes {
            bytes: response.body.clone(),
            to: FileChoice::Dialog,
        }));
    }
    let label = ui.label("or to path");
    ui.add(
        TextEdit::singleline(save_path)
            .hint_text("/path/to/body.json")
            .desired_width(200.0),
    )
    .labelled_by(label.id);
    if ui.button("Save to path").clicked() {
        shared.send(Command::Composer(ComposerCommand::SaveBytes {
            bytes: response.body.clone(),
            to: FileChoice::Path(save_path.trim().into()),
        }));
    }
}

/// Warnings and notes about the send: token fetched first, build warnings, no history, no answer.
fn report_notes(ui: &mut Ui, report: &SendReport) {
    if let Some(note) = &report.token_note {
        ui.label(RichText::new(note).weak());
    }
    if let Some(built) = &report.built {
        for warning in &built.warnings {
            widgets::warning_text(ui, warning);
        }
    }
    if let Some(problem) = &report.history_problem {
        widgets::warning_text(ui, problem);
    }
    if let Some(error) = &report.error {
        widgets::error_text(ui, &format!("No response: {error}"));
    }
}

fn status_line(ui: &mut Ui, response: &ResponseRecord) {
    let colour = match response.status {
        200..=299 => widgets::OK,
        400..=499 => widgets::WARN,
        _ => widgets::ERROR,
    };
    ui.horizontal_wrapped(|ui| {
        ui.label(
            RichText::new(format!("HTTP {}", response.status))
                .size(18.0)
                .strong()
                .color(colour),
        );
        ui.label(format!(
            "{:.0} ms · headers after {:.0} ms · {} bytes",
            response.total_ms, response.headers_ms, response.size
        ));
    });
}

/// The decoded responseCode and message, and the hand-off to the workbench when the
/// signature was rejected.
fn summary_view(
    ui: &mut Ui,
    shared: &mut AppContext,
    summary: &ResponseSummary,
    built: Option<&BuiltRequest>,
) {
    if let Some(decoded) = &summary.decoded {
        ui.label(
            RichText::new(format!(
                "responseCode {}: {}",
                decoded.code,
                decoded.summary()
            ))
            .strong(),
        );
    }
    if let Some(message) = &summary.response_message {
        ui.label(format!("responseMessage: {message}"));
    }
    for warning in [&summary.code_problem, &summary.mismatch]
        .into_iter()
        .flatten()
    {
        widgets::warning_text(ui, warning);
    }
    let invalid_signature = summary
        .decoded
        .as_ref()
        .is_some_and(|d| d.http_status == 401 && d.case_code == "00")
        && summary
            .response_message
            .as_deref()
            .is_some_and(|m| m.contains("Signature"));
    if let Some(built) = built.filter(|_| invalid_signature)
        && ui
            .button("Diagnose this signature in the workbench")
            .clicked()
    {
        shared.act(Action::DiagnoseInWorkbench(Box::new(built.clone())));
    }
}

fn headers_view(ui: &mut Ui, response: Option<&ResponseRecord>) {
    let Some(response) = response else {
        return;
    };
    ScrollArea::vertical()
        .id_salt("response_headers")
        .show(ui, |ui| {
            Grid::new("response_headers_grid")
                .num_columns(2)
                .striped(true)
                .show(ui, |ui| {
                    for (name, value) in &response.headers {
                        ui.label(name);
                        ui.label(RichText::new(value).monospace());
                        ui.end_row();
                    }
                });
        });
}

/// The sandbox's explanation headers (what it computed, what it expected).
fn explain_view(ui: &mut Ui, summary: Option<&ResponseSummary>) {
    let Some(summary) = summary else {
        return;
    };
    ScrollArea::vertical()
        .id_salt("response_explain")
        .show(ui, |ui| {
            ui.label(RichText::new("The sandbox explains:").strong());
            Grid::new("explain_headers").num_columns(2).show(ui, |ui| {
                for (name, value) in &summary.explain {
                    widgets::output_row(ui, name, value);
                }
            });
        });
}

/// The request as it went out, secrets masked, with its stringToSign.
fn sent_view(ui: &mut Ui, built: Option<&BuiltRequest>) {
    let Some(built) = built else {
        ui.label(RichText::new("The request was not built.").weak());
        return;
    };
    ScrollArea::vertical()
        .id_salt("sent_request")
        .show(ui, |ui| {
            Grid::new("sent_headers").num_columns(2).show(ui, |ui| {
                for (name, value) in &built.headers {
                    ui.label(name);
                    let shown = if crate::snap::headers::is_sensitive(name) {
                        mask(value)
                    } else {
                        value.clone()
                    };
                    ui.label(RichText::new(shown).monospace());
                    ui.end_row();
                }
            });
            if let Some(sts) = &built.string_to_sign {
                ui.label(RichText::new("stringToSign").strong());
                ui.label(RichText::new(sts).monospace());
            }
        });
}

/// Show a secret header as its first few characters only.
fn mask(value: &str) -> String {
    let head: String = value.chars().take(12).collect();
    format!("{head}… (hidden)")
}
