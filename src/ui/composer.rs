//! The request composer: pick a service from the catalog, get its body template, see the
//! automatic headers (each overridable), send on the worker, read the answer with its SNAP
//! responseCode explained.

use egui::{ComboBox, Grid, RichText, ScrollArea, TextEdit, Ui};

use super::context::{Action, AppContext, Level, Panel};
use super::widgets;
use crate::model::{HeaderOverride, Profile, RequestDraft, Secret};
use crate::snap::catalog::{self, Service};
use crate::snap::fill::{self, FillProfile};
use crate::snap::templates;
use crate::snap::{timestamp, validate};
use crate::worker::composer::{
    BuiltRequest, ComposerCommand, ComposerEvent, ResponseRecord, ResponseSummary, SendReport,
    auto_header_names, sample_va_payment_notification,
};
use crate::worker::history::Exchange;
use crate::worker::{Command, Event, FileChoice};

/// Bodies larger than this are shown raw and cut (pretty-printing megabytes would stall).
const PRETTY_LIMIT: usize = 5 * 1024 * 1024;
/// Raw bodies are cut to this much on screen (the whole body can be saved).
const RAW_SHOWN: usize = 256 * 1024;
/// Field rules are checked on the UI thread only for bodies up to this size.
const VALIDATE_LIMIT: usize = 256 * 1024;

/// One header row: automatic, or the user's value, or left out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeaderRow {
    pub name: String,
    pub auto: bool,
    pub value: String,
    pub omit: bool,
}

/// Its title in the navigation list.
pub const TITLE: &str = "Composer";

#[derive(Default)]
pub struct ComposerPanel {
    pub service_id: String,
    pub method: String,
    pub path: String,
    pub body: String,
    pub headers: Vec<HeaderRow>,
    /// `Name: value` per line, sent in addition.
    pub extra_headers: String,
    pub confirm_private_key: bool,
    generation: u64,
    in_flight: Option<tokio::sync::watch::Sender<bool>>,
    pub report: Option<SendReport>,
    show_raw: bool,
    token_note: Option<Result<String, String>>,
    problems_for: Option<(u64, Vec<validate::FieldProblem>, Option<String>)>,
    save_path: String,
    /// Narrows the service list ("va pay", "25", "qr").
    pub service_filter: String,
    /// "Send a test notification": where to, the body, and what came back.
    pub notification_url: String,
    pub notification_body: String,
    notification_result: Option<Result<String, String>>,
    pub save_to_suite: super::save_to_suite::SaveToSuite,
}

impl ComposerPanel {
    /// Pick a service: method, path and body template from the catalog and the profile.
    pub fn select_service(
        &mut self,
        service: &Service,
        profile: Option<&Profile>,
        client_secret: &Secret,
    ) {
        self.service_id = service.id.clone();
        self.method = service.method.clone();
        self.path = match profile {
            Some(p) => p.path_of(service),
            None => service.full_path(catalog::API_PREFIX),
        };
        // One set of fresh values for the body and a GET service's path parameter and
        // query (issue 15), so that both carry the same identifiers.
        let values = fill::fresh_values(service, fill_profile(profile, client_secret));
        self.body = templates::body_for(&service.id, &values).unwrap_or_else(|| "{\n}".to_string());
        self.path = templates::fill_path(&self.path, &service.id, &values);
        let mode = profile.map(|p| p.signature_mode).unwrap_or_default();
        self.headers = auto_header_names(service, mode)
            .into_iter()
            .map(|name| HeaderRow {
                name: name.to_string(),
                auto: true,
                value: String::new(),
                omit: false,
            })
            .collect();
        self.report = None;
    }

    /// Fill the composer from a history entry (never sends by itself).
    pub fn open_exchange(
        &mut self,
        exchange: &Exchange,
        profile: Option<&Profile>,
        client_secret: &Secret,
    ) {
        if let Some(service) = exchange
            .service
            .as_deref()
            .and_then(|id| catalog::services().iter().find(|s| s.id == id))
        {
            self.select_service(service, profile, client_secret);
        }
        self.method = exchange.method.clone();
        self.path = path_of_url(&exchange.url);
        self.body = exchange.request.body.clone();
        self.report = None;
    }

    pub fn accept(&mut self, generation: u64, report: SendReport) {
        if generation == self.generation {
            self.in_flight = None;
            self.report = Some(report);
        }
    }

    pub fn token_fetched(&mut self, result: Result<String, String>) {
        self.token_note = Some(result);
    }

    /// The inbox's URL, unless the user typed another one.
    pub fn notification_url_default(&mut self, url: &str) {
        if self.notification_url.trim().is_empty() {
            self.notification_url = url.to_string();
        }
    }

    pub fn notification_sent(&mut self, result: Result<String, String>) {
        self.notification_result = Some(result);
    }

    /// Send a VA payment notification signed as NICEPAY signs it (`X-CLIENT-KEY|X-TIMESTAMP`
    /// with a private key) to any URL: the developer's own merchant server, or the inbox.
    fn test_notification(&mut self, ui: &mut Ui, shared: &mut AppContext) {
        ui.label(RichText::new("Send a test notification (signed as a provider would)").strong());
        ui.scope(|ui| {
            ui.label(RichText::new("A VA payment notification signed with the active profile's private key over X-CLIENT-KEY|X-TIMESTAMP. The receiver verifies it with the matching public key.").weak());
            Grid::new("test_notification").num_columns(2).show(ui, |ui| {
                widgets::text_row(ui, "Notification URL", &mut self.notification_url);
            });
            if self.notification_body.trim().is_empty() {
                let psid = shared.book.active_profile().map(|p| p.partner_service_id.clone()).filter(|s| !s.is_empty()).unwrap_or_else(|| "   12345".into());
                self.notification_body = sample_va_payment_notification(&psid, &timestamp::new_external_id(12));
            }
            widgets::multiline(ui, "Notification body", &mut self.notification_body, 6);
            if ui.button("Send notification").clicked() {
                match shared.book.active_profile().cloned() {
                    Some(profile) => {
                        self.notification_result = None;
                        shared.send(Command::Composer(ComposerCommand::SendTestNotification {
                            url: self.notification_url.trim().to_string(),
                            client_id: profile.client_id.clone(),
                            private_key_pem: shared.book.secrets_of(&profile.id).private_key_pem,
                            body: self.notification_body.clone(),
                        }));
                    }
                    None => shared.notify(Level::Error, "no active profile"),
                }
            }
            match &self.notification_result {
                Some(Ok(text)) => {
                    ui.label(RichText::new(text).color(widgets::OK));
                }
                Some(Err(e)) => widgets::error_text(ui, e),
                None => {}
            }
        });
    }

    pub fn is_sending(&self) -> bool {
        self.in_flight.is_some()
    }

    fn draft(&self) -> RequestDraft {
        let header_overrides = self
            .headers
            .iter()
            .filter(|h| !h.auto || h.omit)
            .map(|h| {
                if h.omit {
                    HeaderOverride::omit(&h.name)
                } else {
                    HeaderOverride::set(&h.name, &h.value)
                }
            })
            .collect();
        let extra_headers = self
            .extra_headers
            .lines()
            .filter_map(|line| line.split_once(':'))
            .map(|(n, v)| (n.trim().to_string(), v.trim().to_string()))
            .filter(|(n, _)| !n.is_empty())
            .collect();
        RequestDraft {
            service_id: self.service_id.clone(),
            method: self.method.clone(),
            path: self.path.clone(),
            body: self.body.clone(),
            header_overrides,
            extra_headers,
            confirm_private_key_to_remote_host: self.confirm_private_key,
        }
    }

    pub fn send(&mut self, shared: &mut AppContext) {
        let Some(profile) = shared.book.active_profile().cloned() else {
            shared.notify(Level::Error, "no active profile: create one in Credentials");
            return;
        };
        if self.service_id.is_empty() {
            shared.notify(Level::Error, "pick a service first");
            return;
        }
        let secrets = shared.book.secrets_of(&profile.id);
        let (cancel_tx, cancel_rx) = tokio::sync::watch::channel(false);
        self.generation += 1;
        self.in_flight = Some(cancel_tx);
        self.report = None;
        shared.send(Command::Composer(ComposerCommand::Send {
            generation: self.generation,
            profile: Box::new(profile),
            secrets,
            draft: Box::new(self.draft()),
            cancel: cancel_rx,
        }));
    }

    fn cancel(&mut self) {
        if let Some(cancel) = self.in_flight.take() {
            let _ = cancel.send(true);
            // The worker answers with "cancelled"; stop waiting for it here already.
            self.generation += 1;
        }
    }

    fn service_picker(&mut self, ui: &mut Ui, shared: &mut AppContext) {
        let label = ui.label("Service");
        let current = catalog::services()
            .iter()
            .find(|s| s.id == self.service_id)
            .map(|s| s.title())
            .unwrap_or_else(|| "pick a service".into());
        let mut picked = None;
        let words: Vec<String> = self
            .service_filter
            .split_whitespace()
            .map(str::to_lowercase)
            .collect();
        let matches = |s: &Service| {
            let title = s.title().to_lowercase();
            words
                .iter()
                .all(|w| title.contains(w.as_str()) || s.group.to_lowercase().contains(w.as_str()))
        };
        ui.horizontal(|ui| {
            ComboBox::from_id_salt("composer_service")
                .selected_text(current)
                .width(420.0)
                .height(500.0)
                .show_ui(ui, |ui| {
                    let mut group = "";
                    for service in catalog::services()
                        .iter()
                        .filter(|s| !s.inbound && matches(s))
                    {
                        if service.group != group {
                            group = &service.group;
                            ui.label(RichText::new(group).strong());
                        }
                        let marker = if templates::has_template(&service.id) {
                            "  (template)"
                        } else {
                            ""
                        };
                        if ui
                            .selectable_label(
                                service.id == self.service_id,
                                format!("{}{marker}", service.title()),
                            )
                            .clicked()
                        {
                            picked = Some(service);
                        }
                    }
                })
                .response
                .labelled_by(label.id);
            let find = ui.label("Find");
            ui.add(
                TextEdit::singleline(&mut self.service_filter)
                    .hint_text("va payment, 25, qr…")
                    .desired_width(160.0),
            )
            .labelled_by(find.id);
        });
        if let Some(service) = picked {
            let profile = shared.active_profile().cloned();
            let secret = shared.active_secrets().client_secret;
            self.select_service(service, profile.as_ref(), &secret);
        }
        ui.end_row();
    }

    fn request_editor(&mut self, ui: &mut Ui, shared: &mut AppContext) {
        let profile_name = shared
            .book
            .active_profile()
            .map(|p| p.name.clone())
            .unwrap_or_else(|| "none".into());
        ui.label(format!("Profile: {profile_name}"));
        Grid::new("composer_request")
            .num_columns(2)
            .spacing([12.0, 6.0])
            .show(ui, |ui| {
                self.service_picker(ui, shared);
                widgets::text_row(ui, "Method", &mut self.method);
                widgets::text_row(ui, "Path", &mut self.path);
            });
        // Send sits by the URL, as in every HTTP tool: in view whatever the body's length.
        self.action_row(ui, shared);
        if let Some(target) = self.save_to_suite.show(ui) {
            shared.send(super::save_to_suite::from_draft(
                target,
                self.draft(),
                self.report.as_ref(),
            ));
        }
        ui.add_space(6.0);
        ui.label(RichText::new("Headers").strong());
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
                            .min_size(egui::vec2(360.0, 0.0))
                            .desired_width(360.0),
                    )
                    .labelled_by(name.id)
                    .on_hover_text(format!("{} value", row.name));
                    ui.checkbox(&mut row.omit, "leave out")
                        .on_hover_text(format!("Do not send {}", row.name));
                    ui.end_row();
                }
            });
        ui.collapsing("Extra headers", |ui| {
            widgets::multiline(
                ui,
                "Extra headers (Name: value per line)",
                &mut self.extra_headers,
                2,
            );
        });
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
        ui.add_space(6.0);
        ScrollArea::vertical()
            .id_salt("composer_body")
            .max_height(320.0)
            .show(ui, |ui| {
                widgets::multiline(ui, "Body", &mut self.body, 12);
            });
        self.field_problems(ui);
    }

    /// The body against the service's field rules: warnings, never a block.
    fn field_problems(&mut self, ui: &mut Ui) {
        let key = {
            use std::hash::{Hash, Hasher};
            let mut h = std::collections::hash_map::DefaultHasher::new();
            (&self.service_id, &self.body).hash(&mut h);
            h.finish()
        };
        if self.problems_for.as_ref().map(|(k, _, _)| *k) != Some(key) {
            let (problems, note) = if self.body.trim().is_empty() {
                (Vec::new(), None)
            } else if self.body.len() > VALIDATE_LIMIT {
                (
                    Vec::new(),
                    Some("body too large to check on screen; the server will judge it".to_string()),
                )
            } else {
                match serde_json::from_str::<serde_json::Value>(&self.body) {
                    Ok(value) => (validate::validate(&self.service_id, &value), None),
                    Err(e) => (
                        Vec::new(),
                        Some(format!(
                            "the body is not valid JSON (line {}, column {}): it will be sent as typed",
                            e.line(),
                            e.column()
                        )),
                    ),
                }
            };
            self.problems_for = Some((key, problems, note));
        }
        if let Some((_, problems, note)) = &self.problems_for {
            if let Some(note) = note {
                widgets::warning_text(ui, note);
            }
            for problem in problems {
                widgets::warning_text(ui, &problem.message);
            }
        }
    }

    fn action_row(&mut self, ui: &mut Ui, shared: &mut AppContext) {
        ui.horizontal(|ui| {
            if self.is_sending() {
                ui.spinner();
                if ui.button("Cancel").clicked() {
                    self.cancel();
                    shared.notify(Level::Info, "request cancelled");
                }
            } else if ui
                .button(RichText::new("Send").strong())
                .on_hover_text("Ctrl+Enter")
                .clicked()
            {
                self.send(shared);
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
            match &self.token_note {
                Some(Ok(text)) => {
                    ui.label(RichText::new(text).color(widgets::OK));
                }
                Some(Err(text)) => widgets::error_text(ui, text),
                None => {}
            }
        });
    }

    fn response_view(&mut self, ui: &mut Ui, shared: &mut AppContext) {
        let Some(report) = &self.report else {
            ui.label(RichText::new("No response yet.").weak());
            return;
        };
        report_notes(ui, report);
        if let Some(response) = &report.response {
            status_line(ui, response);
            if let Some(summary) = &report.summary {
                summary_view(ui, shared, summary, report.built.as_ref());
            }
            ui.collapsing(
                format!("Response headers ({})", response.headers.len()),
                |ui| {
                    Grid::new("response_headers").num_columns(2).show(ui, |ui| {
                        for (name, value) in &response.headers {
                            ui.label(name);
                            ui.label(RichText::new(value).monospace());
                            ui.end_row();
                        }
                    });
                },
            );
            body_view(ui, shared, report, &mut self.show_raw, &mut self.save_path);
        }
        if let Some(built) = &report.built {
            sent_view(ui, built);
        }
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
    ui.horizontal(|ui| {
        ui.label(
            RichText::new(format!("HTTP {}", response.status))
                .size(18.0)
                .color(colour),
        );
        ui.label(format!(
            "total {:.0} ms · headers after {:.0} ms · {} bytes",
            response.total_ms, response.headers_ms, response.size
        ));
    });
}

/// The decoded responseCode, the sandbox's explanation, and the hand-off to the workbench
/// when the signature was rejected.
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
    if !summary.explain.is_empty() {
        ui.label(RichText::new("The sandbox explains:").strong());
        Grid::new("explain_headers").num_columns(2).show(ui, |ui| {
            for (name, value) in &summary.explain {
                widgets::output_row(ui, name, value);
            }
        });
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

/// The request as it went out, secrets masked, with its stringToSign.
fn sent_view(ui: &mut Ui, built: &BuiltRequest) {
    ui.collapsing("Request as sent", |ui| {
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

impl Panel for ComposerPanel {
    fn title(&self) -> &'static str {
        TITLE
    }

    fn ui(&mut self, ui: &mut Ui, shared: &mut AppContext) {
        ui.heading("Composer");
        if self.service_id.is_empty() {
            let profile = shared.active_profile().cloned();
            let secret = shared.active_secrets().client_secret;
            if let Some(service) = catalog::by_code("73") {
                self.select_service(service, profile.as_ref(), &secret);
            }
        }
        // Ctrl+Enter sends from anywhere in the panel.
        if ui.input_mut(|i| i.consume_key(egui::Modifiers::COMMAND, egui::Key::Enter))
            && !self.is_sending()
        {
            self.send(shared);
        }
        ScrollArea::vertical()
            .id_salt("composer_scroll")
            .show(ui, |ui| {
                self.request_editor(ui, shared);
                ui.add_space(8.0);
                ui.separator();
                self.response_view(ui, shared);
                ui.add_space(12.0);
                ui.separator();
                self.test_notification(ui, shared);
            });
    }

    fn take_event(&mut self, event: Event, _ctx: &mut AppContext) -> Option<Event> {
        match event {
            Event::Composer(ComposerEvent::Sent { generation, report }) => {
                self.accept(generation, *report)
            }
            Event::Composer(ComposerEvent::TokenFetched(result)) => self.token_fetched(result),
            Event::Composer(ComposerEvent::TestNotificationSent(result)) => {
                self.notification_sent(result)
            }
            other => return Some(other),
        }
        None
    }

    fn on_action(&mut self, action: &Action, ctx: &mut AppContext) {
        match action {
            Action::OpenInComposer(exchange) => {
                let profile = ctx.active_profile().cloned();
                let secret = ctx.active_secrets().client_secret;
                self.open_exchange(exchange, profile.as_ref(), &secret);
            }
            Action::InboxListening { base_url, .. } => self.notification_url_default(base_url),
            _ => {}
        }
    }
}

/// The response body: pretty JSON, or raw (cut on screen when large, with Save…).
fn body_view(
    ui: &mut Ui,
    shared: &mut AppContext,
    report: &SendReport,
    show_raw: &mut bool,
    save_path: &mut String,
) {
    let Some(response) = &report.response else {
        return;
    };
    let pretty = report.summary.as_ref().and_then(|s| s.pretty_body.clone());
    ui.horizontal(|ui| {
        ui.label(RichText::new("Body").strong());
        if pretty.is_some() {
            ui.checkbox(show_raw, "raw");
        }
    });
    let too_big = response.body.len() > PRETTY_LIMIT || response.truncated;
    let text = match (&pretty, *show_raw || too_big) {
        (Some(pretty), false) => pretty.clone(),
        _ => {
            let shown = &response.body[..response.body.len().min(RAW_SHOWN)];
            let mut text = String::from_utf8_lossy(shown).into_owned();
            if response.body.len() > RAW_SHOWN {
                text.push_str(&format!(
                    "\n… {} more bytes (Save… to keep the whole body)",
                    response.body.len() - RAW_SHOWN
                ));
            }
            text
        }
    };
    let label = ui.label(RichText::new("Response body").weak());
    let mut shown = text.as_str();
    ui.add(
        TextEdit::multiline(&mut shown)
            .code_editor()
            .desired_width(f32::INFINITY)
            .desired_rows(6),
    )
    .labelled_by(label.id);
    if too_big || response.body.len() > RAW_SHOWN {
        ui.horizontal(|ui| {
            let label = ui.label("Save body to");
            ui.add(TextEdit::singleline(save_path).desired_width(300.0))
                .labelled_by(label.id);
            if ui.button("Save…").clicked() {
                shared.send(Command::Composer(ComposerCommand::SaveBytes {
                    bytes: response.body.clone(),
                    to: FileChoice::Dialog,
                }));
            }
            if ui.button("Save to path").clicked() {
                shared.send(Command::Composer(ComposerCommand::SaveBytes {
                    bytes: response.body.clone(),
                    to: FileChoice::Path(save_path.trim().into()),
                }));
            }
        });
    }
}

/// What of the profile goes into a template.
fn fill_profile<'a>(profile: Option<&'a Profile>, client_secret: &'a Secret) -> FillProfile<'a> {
    FillProfile {
        partner_service_id: profile.map_or("", |p| p.partner_service_id.as_str()),
        client_id: profile.map_or("", |p| p.client_id.as_str()),
        client_secret: client_secret.expose(),
    }
}

fn path_of_url(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(parsed) => match parsed.query() {
            Some(q) => format!("{}?{q}", parsed.path()),
            None => parsed.path().to_string(),
        },
        Err(_) => url.to_string(),
    }
}

/// Show a secret header as its first few characters only.
fn mask(value: &str) -> String {
    let head: String = value.chars().take(12).collect();
    format!("{head}… (hidden)")
}
