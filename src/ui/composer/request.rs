//! The composer's request side: the service picker, the method/path row with Send, and the
//! request pane's tabs (body with colours and field-rule warnings beside their lines,
//! headers, test notification).

use std::hash::{Hash, Hasher};

use egui::{Align, Grid, Layout, RichText, ScrollArea, TextEdit, Ui};

use super::{ComposerPanel, VALIDATE_LIMIT};
use crate::snap::catalog::{self, Service};
use crate::snap::{minify, templates, validate};
use crate::ui::context::{AppContext, Level};
use crate::ui::finder::Entry;
use crate::ui::{json_view, widgets};
use crate::worker::Command;
use crate::worker::composer::ComposerCommand;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum RequestTab {
    #[default]
    Body,
    Headers,
    Notification,
}

/// The body's field-rule problems, computed when the body or service changes.
#[derive(Default)]
pub struct BodyProblems {
    key: Option<u64>,
    /// Each problem with the 0-based line it concerns, when the field is in the body.
    listed: Vec<(Option<usize>, String)>,
    /// Lines to tint in the editor.
    lines: Vec<usize>,
    note: Option<String>,
}

impl ComposerPanel {
    /// The services the picker's words select (code, name, group or path).
    pub fn service_matches(&self) -> Vec<&'static Service> {
        catalog::services()
            .iter()
            .filter(|s| !s.inbound)
            .filter(|s| {
                self.picker.accepts(&[
                    &s.title(),
                    &s.group,
                    &s.path,
                    s.code.as_deref().unwrap_or(""),
                ])
            })
            .collect()
    }

    /// One field: type a code, a name or a path; arrows move; Enter or a click picks.
    pub(super) fn service_row(&mut self, ui: &mut Ui, shared: &mut AppContext) {
        let current = catalog::services()
            .iter()
            .find(|s| s.id == self.service_id)
            .map(|s| s.title())
            .unwrap_or_else(|| "pick a service".into());
        let matches = self.service_matches();
        let mut picked = None;
        ui.horizontal(|ui| {
            let (field, enter) = self.picker.field(
                ui,
                "Service",
                "type a code, name or path",
                220.0,
                matches.len(),
            );
            ui.label(RichText::new(&current).strong());
            if enter && self.picker.open {
                picked = matches.get(self.picker.index).copied();
            }
            let entries: Vec<Entry> = matches
                .iter()
                .map(|s| Entry {
                    label: s.title(),
                    note: format!(
                        "{} {}{}",
                        s.method,
                        s.path,
                        if templates::has_template(&s.id) {
                            "  · template"
                        } else {
                            ""
                        }
                    ),
                })
                .collect();
            if let Some(i) = self.picker.popup(ui, &field, &entries) {
                picked = matches.get(i).copied();
            }
            ui.with_layout(Layout::right_to_left(Align::Center), |ui| {
                let profile = shared
                    .active_profile()
                    .map_or_else(|| "none".to_string(), |p| p.name.clone());
                ui.label(RichText::new(format!("Profile: {profile}")).weak());
            });
        });
        if let Some(service) = picked {
            self.picker.reset();
            let profile = shared.active_profile().cloned();
            let secret = shared.active_secrets().client_secret;
            self.select_service(service, profile.as_ref(), &secret);
        }
    }

    /// Method, path and the buttons, outside any scroll area: Send stays in view and the
    /// path field ends before the panel's edge.
    pub(super) fn address_row(&mut self, ui: &mut Ui, shared: &mut AppContext) {
        ui.horizontal(|ui| {
            let label = ui.label("Method");
            ui.add(TextEdit::singleline(&mut self.method).desired_width(60.0))
                .labelled_by(label.id);
            let label = ui.label("Path");
            ui.with_layout(Layout::right_to_left(Align::Center), |ui| {
                self.buttons(ui, shared);
                ui.add(
                    TextEdit::singleline(&mut self.path)
                        .font(egui::TextStyle::Monospace)
                        .desired_width(ui.available_width()),
                )
                .labelled_by(label.id);
            });
        });
        match &self.token_note {
            Some(Ok(text)) => {
                ui.label(RichText::new(text).color(widgets::OK));
            }
            Some(Err(text)) => widgets::error_text(ui, text),
            None => {}
        }
        if self
            .headers
            .iter()
            .any(|h| h.name == crate::snap::headers::PRIVATE_KEY)
        {
            ui.checkbox(
                &mut self.confirm_private_key,
                "Yes, send my private key to a host that is not this machine",
            )
            .on_hover_text("ASPI's signature-auth utility takes the private key in a header");
        }
    }

    /// Right to left: Copy as cURL, Get token, Send (Send ends up nearest the path).
    fn buttons(&mut self, ui: &mut Ui, shared: &mut AppContext) {
        let curl = self.report.as_ref().and_then(|r| r.curl.clone());
        if ui
            .add_enabled(curl.is_some(), egui::Button::new("Copy as cURL"))
            .on_hover_text("The last request, exact headers and body bytes")
            .clicked()
            && let Some(curl) = curl
        {
            ui.ctx().copy_text(curl);
            shared.notify(Level::Ok, "copied the request as a cURL command");
        }
        if ui.button("Get token").clicked()
            && let Some(profile) = shared.book.active_profile().cloned()
        {
            let secrets = shared.book.secrets_of(&profile.id);
            self.token_note = None;
            shared.send(Command::Composer(ComposerCommand::GetToken {
                profile: Box::new(profile),
                secrets,
            }));
        }
        if self.is_sending() {
            if ui.button("Cancel").clicked() {
                self.cancel();
                shared.notify(Level::Info, "request cancelled");
            }
            ui.spinner();
        } else if ui
            .add(egui::Button::new(RichText::new("Send").strong()).min_size(egui::vec2(64.0, 0.0)))
            .on_hover_text("Ctrl+Enter")
            .clicked()
        {
            self.send(shared);
        }
    }

    pub(super) fn request_pane(&mut self, ui: &mut Ui, shared: &mut AppContext) {
        self.check_body();
        let warnings = self.problems.listed.len();
        ui.horizontal(|ui| {
            let body = if warnings > 0 {
                format!("Body ({warnings} warnings)")
            } else {
                "Body".to_string()
            };
            ui.selectable_value(&mut self.request_tab, RequestTab::Body, body);
            let headers = format!("Headers ({})", self.headers.len());
            ui.selectable_value(&mut self.request_tab, RequestTab::Headers, headers);
            ui.selectable_value(
                &mut self.request_tab,
                RequestTab::Notification,
                "Notification",
            );
        });
        // Keep this request as a step of one of the user's suites.
        if let Some(target) = self.save_to_suite.show(ui) {
            shared.send(crate::ui::save_to_suite::from_draft(
                target,
                self.draft(),
                self.report.as_ref(),
            ));
        }
        ui.separator();
        match self.request_tab {
            RequestTab::Body => self.body_tab(ui, shared),
            RequestTab::Headers => {
                ScrollArea::vertical()
                    .id_salt("composer_headers")
                    .show(ui, |ui| self.headers_tab(ui));
            }
            RequestTab::Notification => {
                ScrollArea::vertical()
                    .id_salt("composer_notification")
                    .show(ui, |ui| self.test_notification(ui, shared));
            }
        }
    }

    fn headers_tab(&mut self, ui: &mut Ui) {
        Grid::new("composer_headers")
            .num_columns(4)
            .spacing([10.0, 4.0])
            .show(ui, |ui| {
                for row in &mut self.headers {
                    let name = ui.label(&row.name);
                    ui.checkbox(&mut row.auto, "auto")
                        .on_hover_text(format!("{}: filled and signed automatically", row.name));
                    let hint = if row.auto { "automatic" } else { "your value" };
                    ui.add_enabled(
                        !row.auto && !row.omit,
                        TextEdit::singleline(&mut row.value)
                            .hint_text(hint)
                            .desired_width(240.0),
                    )
                    .labelled_by(name.id)
                    .on_hover_text(format!("{} value", row.name));
                    ui.checkbox(&mut row.omit, "leave out")
                        .on_hover_text(format!("Do not send {}", row.name));
                    ui.end_row();
                }
            });
        ui.add_space(6.0);
        widgets::multiline(
            ui,
            "Extra headers (Name: value per line)",
            &mut self.extra_headers,
            3,
        );
    }

    fn body_tab(&mut self, ui: &mut Ui, shared: &mut AppContext) {
        ui.horizontal(|ui| {
            if ui
                .button("Format")
                .on_hover_text("Indent the JSON body")
                .clicked()
            {
                self.reformat(shared, true);
            }
            if ui
                .button("Minify")
                .on_hover_text("Remove whitespace outside strings")
                .clicked()
            {
                self.reformat(shared, false);
            }
            if let Some(note) = &self.problems.note {
                widgets::warning_text(ui, note);
            }
        });
        for (line, message) in &self.problems.listed {
            if line.is_none() {
                widgets::warning_text(ui, message);
            }
        }
        let label = ui.label(RichText::new("Body").weak());
        let flagged = self.problems.lines.clone();
        let mut layouter = |ui: &Ui, text: &dyn egui::TextBuffer, wrap: f32| {
            json_view::layout(ui, text, wrap, "", &flagged)
        };
        let beside: Vec<(usize, String)> = self
            .problems
            .listed
            .iter()
            .filter_map(|(line, message)| line.map(|l| (l, message.clone())))
            .collect();
        ScrollArea::vertical()
            .id_salt("composer_body")
            .auto_shrink([false, false])
            .show(ui, |ui| {
                let size = ui.available_size();
                let output = TextEdit::multiline(&mut self.body)
                    .code_editor()
                    .min_size(size)
                    .desired_width(f32::INFINITY)
                    .layouter(&mut layouter)
                    .show(ui);
                output.response.response.clone().labelled_by(label.id);
                annotate_lines(ui, &output, &beside);
            });
    }

    /// Format (indent) or minify the body; a body that is not JSON stays as typed.
    fn reformat(&mut self, shared: &mut AppContext, indent: bool) {
        let result = if indent {
            serde_json::from_str::<serde_json::Value>(&self.body)
                .map_err(|e| e.to_string())
                .and_then(|v| serde_json::to_string_pretty(&v).map_err(|e| e.to_string()))
        } else {
            minify::minify(&self.body, minify::MinifyMode::Lexical).map_err(|e| e.to_string())
        };
        match result {
            Ok(text) => self.body = text,
            Err(e) => shared.notify(
                Level::Warning,
                format!("the body is not valid JSON, left as typed: {e}"),
            ),
        }
    }

    /// The body against the service's field rules: warnings, never a block.
    fn check_body(&mut self) {
        let key = {
            let mut h = std::collections::hash_map::DefaultHasher::new();
            (&self.service_id, &self.body).hash(&mut h);
            h.finish()
        };
        if self.problems.key == Some(key) {
            return;
        }
        let mut found = BodyProblems {
            key: Some(key),
            ..Default::default()
        };
        if self.body.trim().is_empty() {
        } else if self.body.len() > VALIDATE_LIMIT {
            found.note =
                Some("body too large to check on screen; the server will judge it".to_string());
        } else {
            match serde_json::from_str::<serde_json::Value>(&self.body) {
                Ok(value) => {
                    for problem in validate::validate(&self.service_id, &value) {
                        let line = json_view::line_of_field(&self.body, &problem.field);
                        found.lines.extend(line);
                        found.listed.push((line, problem.message));
                    }
                }
                Err(e) => {
                    found.note = Some(format!(
                        "not valid JSON (line {}, column {}): sent as typed",
                        e.line(),
                        e.column()
                    ));
                    found.lines.push(e.line().saturating_sub(1));
                }
            }
        }
        self.problems = found;
    }
}

/// Each warning drawn just right of the line it concerns, inside the editor.
fn annotate_lines(ui: &Ui, output: &egui::text_edit::TextEditOutput, beside: &[(usize, String)]) {
    if beside.is_empty() {
        return;
    }
    let font = egui::FontId::proportional(12.0);
    let mut line = 0;
    for row in &output.galley.rows {
        for (_, message) in beside.iter().filter(|(l, _)| *l == line) {
            let y = output.galley_pos.y + row.rect().center().y;
            let text = format!("<- {message}");
            let galley = ui
                .painter()
                .layout_no_wrap(text, font.clone(), widgets::WARN);
            let x = output.galley_pos.x + row.rect().right() + 18.0;
            let at = egui::pos2(x, y - galley.size().y / 2.0);
            let backdrop = egui::Rect::from_min_size(at, galley.size()).expand(2.0);
            ui.painter()
                .rect_filled(backdrop, 3.0, ui.visuals().extreme_bg_color);
            ui.painter().galley(at, galley, widgets::WARN);
        }
        if row.ends_with_newline {
            line += 1;
        }
    }
}
