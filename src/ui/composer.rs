//! The request composer: pick a service from the catalog, get its body template, see the
//! automatic headers (each overridable), send on the worker, read the answer with its SNAP
//! responseCode explained. The request sits left of the answer when the panel is wide
//! (above it when narrow); `request` draws the request side, `composer_response` the answer.

mod request;

use egui::{Grid, RichText, Ui};

use super::composer_response::ResponseView;
use super::context::{Action, AppContext, Level, PaletteEntry, Panel};
use super::finder::Finder;
use super::split::{self, Arrangement};
use super::widgets;
use crate::model::{HeaderOverride, Profile, RequestDraft, Secret};
use crate::snap::catalog::{self, Service};
use crate::snap::fill::{self, FillProfile};
use crate::snap::templates;
use crate::snap::timestamp;
use crate::worker::composer::{
    ComposerCommand, ComposerEvent, SendReport, auto_header_names, sample_va_payment_notification,
};
use crate::worker::history::Exchange;
use crate::worker::{Command, Event};

/// Field rules are checked on the UI thread only for bodies up to this size.
const VALIDATE_LIMIT: usize = 256 * 1024;
/// From this panel width on, the answer sits beside the request rather than below it.
pub const BESIDE_FROM_WIDTH: f32 = 960.0;

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
    /// Counts the reports shown, so the answer pane knows when its cached body is stale.
    report_serial: u64,
    token_note: Option<Result<String, String>>,
    problems: request::BodyProblems,
    /// The service picker: type a code, a name or a path.
    pub picker: Finder,
    pub request_tab: request::RequestTab,
    pub response_view: ResponseView,
    /// The request pane's share of the width (or height when stacked); 0 means not set.
    pub split_share: f32,
    /// How the panes sat in the last frame (tests and screenshots check it).
    pub arrangement: Option<Arrangement>,
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
            self.report_serial += 1;
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
}

impl Panel for ComposerPanel {
    fn title(&self) -> &'static str {
        TITLE
    }

    fn ui(&mut self, ui: &mut Ui, shared: &mut AppContext) {
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
        self.service_row(ui, shared);
        self.address_row(ui, shared);
        ui.add_space(4.0);
        let arrangement = if ui.available_width() >= BESIDE_FROM_WIDTH {
            Arrangement::Beside
        } else {
            Arrangement::Stacked
        };
        self.arrangement = Some(arrangement);
        if self.split_share <= 0.0 {
            self.split_share = 0.5;
        }
        let (request, response) =
            split::split(ui, "composer split", arrangement, &mut self.split_share);
        split::pane(ui, request, |ui| self.request_pane(ui, shared));
        let serial = self.report_serial;
        split::pane(ui, response, |ui| {
            self.response_view
                .ui(ui, shared, self.report.as_ref(), serial);
        });
    }

    fn focus_search(&mut self) {
        self.response_view.tab = super::composer_response::ResponseTab::Body;
        self.response_view.focus_search = true;
    }

    /// Every outbound service, so that Ctrl+K can pick one.
    fn palette_entries(&self, _ctx: &AppContext) -> Vec<PaletteEntry> {
        catalog::services()
            .iter()
            .filter(|s| !s.inbound)
            .map(|s| PaletteEntry {
                label: format!("Service: {}", s.title()),
                note: format!("{} {}", s.method, s.path),
                key: s.id.clone(),
            })
            .collect()
    }

    fn run_palette_entry(&mut self, key: &str, ctx: &mut AppContext) {
        if let Some(service) = catalog::services().iter().find(|s| s.id == key) {
            let profile = ctx.active_profile().cloned();
            let secret = ctx.active_secrets().client_secret;
            self.select_service(service, profile.as_ref(), &secret);
        }
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
