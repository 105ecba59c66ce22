//! Inbox: what providers send back, live, each with its signature verdict and the answer
//! it got; the listener's port and answers; canned failures to test a provider's retries.

use std::collections::VecDeque;
use std::time::Duration;

use egui::{ComboBox, Grid, RichText, ScrollArea, TextEdit, Ui};

use super::context::{Action, AppContext, Level, Panel};
use super::widgets;
use crate::worker::inbox::{
    AnswerRule, InboxCommand, InboxEvent, InboxKeys, Received, hosted_paths, starting_template,
};
use crate::worker::{Command, Event};

/// How many received requests the panel keeps (the listener keeps its own bounded list).
const KEPT: usize = 500;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum RuleChoice {
    #[default]
    Default,
    Slow,
    ServerError,
    InvalidSignature,
    Template,
}

impl RuleChoice {
    const ALL: [RuleChoice; 5] = [
        RuleChoice::Default,
        RuleChoice::Slow,
        RuleChoice::ServerError,
        RuleChoice::InvalidSignature,
        RuleChoice::Template,
    ];

    fn label(self) -> &'static str {
        match self {
            RuleChoice::Default => "Answer like a merchant (default)",
            RuleChoice::Slow => "Slow: wait, then answer normally",
            RuleChoice::ServerError => "HTTP 500 (server error)",
            RuleChoice::InvalidSignature => "401 Invalid Signature",
            RuleChoice::Template => "My template",
        }
    }
}

#[derive(Default)]
pub struct InboxPanel {
    pub listening: Option<String>,
    pub warning: Option<String>,
    pub port: String,
    pub all_interfaces: bool,
    pub received: VecDeque<Received>,
    selected: Option<u64>,
    rule_path: String,
    rule: RuleChoice,
    slow_seconds: String,
    template_status: String,
    template_body: String,
    /// Answer the path whatever the signature says (no 401): a provider's happy path
    /// tested before the keys match.
    accept_invalid: bool,
}

impl InboxPanel {
    pub fn started(&mut self, base_url: String, warning: Option<String>) {
        self.listening = Some(base_url);
        self.warning = warning;
    }

    pub fn stopped(&mut self) {
        self.listening = None;
        self.warning = None;
    }

    pub fn receive(&mut self, received: Received) {
        self.received.push_front(received);
        self.received.truncate(KEPT);
    }

    fn keys(shared: &AppContext) -> InboxKeys {
        let Some(profile) = shared.book.active_profile() else {
            return InboxKeys::default();
        };
        InboxKeys {
            counterparty_public_pem: profile.counterparty_public_key_pem.clone(),
            client_secret: shared.book.secrets_of(&profile.id).client_secret,
            client_id: profile.client_id.clone(),
            profile_name: profile.name.clone(),
        }
    }

    fn draw(&mut self, ui: &mut Ui, shared: &mut AppContext) {
        ui.heading("Inbox");
        self.listener_row(ui, shared);
        ui.add_space(6.0);
        self.answer_rules(ui, shared);
        ui.separator();
        ui.label(format!("{} received (newest first)", self.received.len()));
        ScrollArea::vertical()
            .id_salt("inbox_rows")
            .max_height(ui.available_height() * 0.4)
            .auto_shrink([false, true])
            .show_rows(ui, 22.0, self.received.len(), |ui, range| {
                for item in self.received.range(range) {
                    let verdict = match item.verdict.signature_valid {
                        Some(true) => "signature VALID",
                        Some(false) => "signature INVALID",
                        None => "not signed / not checked",
                    };
                    let text = format!(
                        "{}  {:<5} {:<40} {:<26} answered {}",
                        item.time.get(..19).unwrap_or(&item.time),
                        item.method,
                        item.path,
                        verdict,
                        item.answered_status
                    );
                    let colour = match item.verdict.signature_valid {
                        Some(true) => widgets::OK,
                        Some(false) => widgets::ERROR,
                        None => ui.visuals().text_color(),
                    };
                    let selected = self.selected == Some(item.id);
                    if ui
                        .selectable_label(selected, RichText::new(text).monospace().color(colour))
                        .clicked()
                    {
                        self.selected = Some(item.id);
                    }
                }
            });
        ui.separator();
        if let Some(item) = self
            .selected
            .and_then(|id| self.received.iter().find(|r| r.id == id))
        {
            details(ui, item);
        }
    }

    fn listener_row(&mut self, ui: &mut Ui, shared: &mut AppContext) {
        ui.horizontal(|ui| match &self.listening {
            Some(url) => {
                ui.label(RichText::new(format!("Listening at {url}")).color(widgets::OK));
                if ui.button("Stop listening").clicked() {
                    shared.send(Command::Inbox(InboxCommand::Stop));
                }
            }
            None => {
                ui.label("Not listening.");
                let label = ui.label("Port");
                ui.add(
                    TextEdit::singleline(&mut self.port)
                        .hint_text("0 = any free")
                        .desired_width(70.0),
                )
                .labelled_by(label.id);
                ui.checkbox(
                    &mut self.all_interfaces,
                    "All interfaces (not just this machine)",
                );
                if ui.button("Start listening").clicked() {
                    match self.port.trim().parse::<u16>().or_else(|e| {
                        if self.port.trim().is_empty() {
                            Ok(0)
                        } else {
                            Err(e)
                        }
                    }) {
                        Ok(port) => shared.send(Command::Inbox(InboxCommand::Start {
                            port,
                            all_interfaces: self.all_interfaces,
                            keys: Self::keys(shared),
                        })),
                        Err(_) => shared.notify(
                            Level::Error,
                            format!(
                                "port '{}' is not a number from 0 to 65535",
                                self.port.trim()
                            ),
                        ),
                    }
                }
            }
        });
        if let Some(warning) = &self.warning {
            widgets::warning_text(ui, warning);
        }
        ui.label(RichText::new("Signatures are checked with the active profile's counterparty public key (NICEPAY notification rule, then the asymmetric transaction rule) and its client secret (symmetric).").weak());
    }

    fn answer_rules(&mut self, ui: &mut Ui, shared: &mut AppContext) {
        ui.collapsing("Answers and canned failures", |ui| {
            Grid::new("inbox_answer")
                .num_columns(2)
                .spacing([10.0, 4.0])
                .show(ui, |ui| {
                    let label = ui.label("Path");
                    ComboBox::from_id_salt("inbox_rule_path")
                        .selected_text(if self.rule_path.is_empty() {
                            "pick a path"
                        } else {
                            self.rule_path.as_str()
                        })
                        .width(360.0)
                        .show_ui(ui, |ui| {
                            for path in hosted_paths() {
                                ui.selectable_value(&mut self.rule_path, path.clone(), path);
                            }
                        })
                        .response
                        .labelled_by(label.id);
                    ui.end_row();
                    let label = ui.label("Answer");
                    ComboBox::from_id_salt("inbox_rule_kind")
                        .selected_text(self.rule.label())
                        .width(360.0)
                        .show_ui(ui, |ui| {
                            for choice in RuleChoice::ALL {
                                ui.selectable_value(&mut self.rule, choice, choice.label());
                            }
                        })
                        .response
                        .labelled_by(label.id);
                    ui.end_row();
                    ui.label("");
                    ui.checkbox(&mut self.accept_invalid, "Accept anyway")
                        .on_hover_text("Answer this path even when the signature is missing or does not verify, the client is unknown or the timestamp is off (a correct merchant refuses with 401; the list still shows the verdict)");
                    ui.end_row();
                    match self.rule {
                        RuleChoice::Slow => {
                            widgets::text_row(ui, "Delay (seconds)", &mut self.slow_seconds);
                        }
                        RuleChoice::Template => {
                            widgets::text_row(ui, "Status", &mut self.template_status);
                        }
                        _ => {}
                    }
                });
            if self.rule == RuleChoice::Template {
                if self.template_body.is_empty()
                    && let AnswerRule::Template { status, body } =
                        starting_template(&self.rule_path)
                {
                    self.template_status = status.to_string();
                    self.template_body = body;
                }
                widgets::multiline(ui, "Template body", &mut self.template_body, 6);
            }
            if ui
                .add_enabled(
                    !self.rule_path.is_empty(),
                    egui::Button::new("Apply answer"),
                )
                .clicked()
            {
                match self.rule_of() {
                    Ok(rule) => shared.send(Command::Inbox(InboxCommand::SetAnswer {
                        path: self.rule_path.clone(),
                        rule,
                        accept_invalid: self.accept_invalid,
                    })),
                    Err(e) => shared.notify(Level::Error, e),
                }
            }
        });
    }

    fn rule_of(&self) -> Result<AnswerRule, String> {
        Ok(match self.rule {
            RuleChoice::Default => AnswerRule::Default,
            RuleChoice::ServerError => AnswerRule::ServerError,
            RuleChoice::InvalidSignature => AnswerRule::InvalidSignature,
            RuleChoice::Slow => {
                let seconds: f64 = self.slow_seconds.trim().parse().map_err(|_| {
                    format!(
                        "delay '{}' is not a number of seconds",
                        self.slow_seconds.trim()
                    )
                })?;
                if !(0.0..=600.0).contains(&seconds) {
                    return Err("the delay must be between 0 and 600 seconds".into());
                }
                AnswerRule::Slow {
                    delay: Duration::from_secs_f64(seconds),
                    then: Box::new(AnswerRule::Default),
                }
            }
            RuleChoice::Template => {
                let status: u16 = self.template_status.trim().parse().map_err(|_| {
                    format!(
                        "status '{}' is not an HTTP status",
                        self.template_status.trim()
                    )
                })?;
                AnswerRule::Template {
                    status,
                    body: self.template_body.clone(),
                }
            }
        })
    }
}

fn details(ui: &mut Ui, item: &Received) {
    ScrollArea::vertical()
        .id_salt("inbox_details")
        .show(ui, |ui| {
            Grid::new("inbox_item")
                .num_columns(2)
                .spacing([12.0, 4.0])
                .show(ui, |ui| {
                    widgets::output_row(
                        ui,
                        "Request",
                        &format!(
                            "{} {}{}",
                            item.method,
                            item.path,
                            item.query
                                .as_deref()
                                .map(|q| format!("?{q}"))
                                .unwrap_or_default()
                        ),
                    );
                    widgets::output_row(ui, "Verdict", &item.verdict.detail);
                    if let Some(variant) = &item.verdict.variant {
                        widgets::output_row(ui, "Rule", variant);
                    }
                    if let Some(skew) = item.verdict.skew_seconds {
                        widgets::output_row(ui, "Timestamp skew", &format!("{skew} s"));
                    }
                    if let Some(sts) = &item.verdict.string_to_sign {
                        widgets::output_row(ui, "stringToSign", sts);
                    }
                    let headers: Vec<String> = item
                        .headers_for_display()
                        .iter()
                        .map(|(n, v)| format!("{n}: {v}"))
                        .collect();
                    widgets::output_row(ui, "Headers", &headers.join("\n"));
                    if item.body_truncated {
                        // The list keeps a glimpse; the history has the whole body.
                        let note = format!(
                            "{}\n… (first {} of {} bytes; the whole body is in the History)",
                            item.body,
                            item.body.len(),
                            item.body_bytes
                        );
                        widgets::output_row(ui, "Body", &note);
                    } else {
                        widgets::output_row(ui, "Body", &item.body);
                    }
                    widgets::output_row(
                        ui,
                        "Answered",
                        &format!(
                            "{} ({}) after {} ms\n{}",
                            item.answered_status,
                            item.answer_rule,
                            item.elapsed_ms,
                            item.answered_body
                        ),
                    );
                });
        });
}

/// Its title in the navigation list.
pub const TITLE: &str = "Inbox";

impl Panel for InboxPanel {
    fn title(&self) -> &'static str {
        TITLE
    }

    fn ui(&mut self, ui: &mut Ui, ctx: &mut AppContext) {
        self.draw(ui, ctx);
    }

    fn take_event(&mut self, event: Event, ctx: &mut AppContext) -> Option<Event> {
        match event {
            Event::Inbox(InboxEvent::Received {
                received,
                history_problem,
            }) => {
                if let Some(problem) = history_problem {
                    ctx.notify(
                        Level::Warning,
                        format!("inbound request not in the history: {problem}"),
                    );
                }
                ctx.notify(Level::Info, format!("inbox: {}", received.summary_text()));
                self.receive(*received);
                None
            }
            other => Some(other),
        }
    }

    fn on_action(&mut self, action: &Action, _ctx: &mut AppContext) {
        match action {
            Action::InboxListening { base_url, warning } => {
                self.started(base_url.clone(), warning.clone())
            }
            Action::InboxStopped => self.stopped(),
            _ => {}
        }
    }
}
