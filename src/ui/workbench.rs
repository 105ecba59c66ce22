//! The signature workbench: any signature kind with every intermediate value on screen,
//! recomputed as you type (on the worker: RSA never runs on the UI thread), and verify mode.

use std::hash::{Hash, Hasher};

use egui::text::LayoutJob;
use egui::{Color32, ComboBox, FontId, Grid, RichText, ScrollArea, TextFormat, Ui};

use super::context::{Action, AppContext, Level, Panel};
use super::widgets;
use crate::model::{Profile, ProfileBook, Secret, SignatureMode};
use crate::snap::biller;
use crate::snap::diagnose::Diagnosis;
use crate::snap::minify::MinifyMode;
use crate::snap::signature::{PartName, SignatureInput, SignatureKind};
use crate::worker::composer::BuiltRequest;
use crate::worker::workbench::{
    ConnectionSettings, CrossCheckKind, CrossCheckRequest, KeyMaterial, SignatureJob,
    SignatureOutcome, WorkbenchCommand, WorkbenchEvent, is_loopback,
};
use crate::worker::{Command, Event};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WorkbenchKind {
    Signature(SignatureKind),
    BillerMd5,
}

impl WorkbenchKind {
    const ALL: [WorkbenchKind; 5] = [
        WorkbenchKind::Signature(SignatureKind::B2bToken),
        WorkbenchKind::Signature(SignatureKind::Symmetric),
        WorkbenchKind::Signature(SignatureKind::AsymmetricTransaction),
        WorkbenchKind::Signature(SignatureKind::Notification),
        WorkbenchKind::BillerMd5,
    ];

    fn label(self) -> &'static str {
        match self {
            WorkbenchKind::Signature(kind) => kind.label(),
            WorkbenchKind::BillerMd5 => "Biller API md5(user + password + trxid)",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Mode {
    #[default]
    Sign,
    Verify,
}

/// Which RSA key the workbench uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum KeyChoice {
    #[default]
    ProfilePrivateKey,
    CounterpartyPublicKey,
    Pasted,
}

const SAMPLE_BODY: &str = "{\n  \"partnerServiceId\": \"   12345\",\n  \"customerNo\": \"123456789012345678\",\n  \"virtualAccountNo\": \"   12345123456789012345678\",\n  \"paymentRequestId\": \"abcdef-123456-abcdef\",\n  \"paidAmount\": {\"value\": \"10000.00\", \"currency\": \"IDR\"}\n}";

#[derive(Hash)]
pub struct WorkbenchPanel {
    pub kind: WorkbenchKind,
    pub mode: Mode,
    pub client_id: String,
    pub timestamp: String,
    pub method: String,
    pub path: String,
    pub unsigned_prefix: String,
    pub token: String,
    pub body: String,
    pub minify: MinifyMode,
    pub client_secret: Secret,
    pub key_choice: KeyChoice,
    pub pasted_key: Secret,
    pub signature_to_verify: String,
    pub biller_user: String,
    pub biller_password: String,
    pub biller_trxid: String,
    /// The signature the counterparty expected (or its utility endpoint computed).
    pub expected_signature: String,
    state: ComputeState,
}

#[derive(Default)]
struct ComputeState {
    reveal_secret: bool,
    generation: u64,
    sent_hash: Option<u64>,
    result: Option<Result<SignatureOutcome, String>>,
    prefilled: bool,
    diagnosis_generation: u64,
    diagnosis: Option<Result<Diagnosis, String>>,
    diagnosing: bool,
    cross_check_generation: u64,
    cross_check: Option<Result<String, String>>,
    cross_checking: bool,
    /// A cross-check to a remote host waiting for the user's yes.
    confirm_remote: Option<CrossCheckRequest>,
}

// `derive(Hash)` cannot skip fields; hash the inputs by hand.
impl Hash for ComputeState {
    fn hash<H: Hasher>(&self, _: &mut H) {}
}

impl Default for WorkbenchPanel {
    fn default() -> Self {
        WorkbenchPanel {
            kind: WorkbenchKind::Signature(SignatureKind::Symmetric),
            mode: Mode::Sign,
            client_id: String::new(),
            timestamp: crate::snap::timestamp::now_jakarta(),
            method: "POST".into(),
            path: "/api/v1.0/transfer-va/payment".into(),
            unsigned_prefix: String::new(),
            token: String::new(),
            body: SAMPLE_BODY.into(),
            minify: MinifyMode::Lexical,
            client_secret: Secret::default(),
            key_choice: KeyChoice::ProfilePrivateKey,
            pasted_key: Secret::default(),
            signature_to_verify: String::new(),
            biller_user: String::new(),
            biller_password: String::new(),
            biller_trxid: String::new(),
            expected_signature: String::new(),
            state: ComputeState::default(),
        }
    }
}

impl WorkbenchPanel {
    /// Fill the inputs from the active profile (once; afterwards they are the user's).
    pub fn prefill(&mut self, book: &ProfileBook) {
        if self.state.prefilled {
            return;
        }
        let Some(profile) = book.active_profile() else {
            return;
        };
        self.state.prefilled = true;
        self.client_id = profile.client_id.clone();
        self.client_secret = book.secrets_of(&profile.id).client_secret;
        self.unsigned_prefix = profile.unsigned_path_prefix.clone();
        self.minify = profile.minify;
        self.timestamp = profile.timestamp_style.now();
        self.path = format!(
            "{}/v1.0/transfer-va/payment",
            profile.api_prefix.trim_end_matches('/')
        );
        self.biller_user = profile.client_id.clone();
    }

    /// Take a request the composer sent (to diagnose its rejected signature).
    pub fn take_request(&mut self, built: &BuiltRequest, profile: Option<&Profile>) {
        let header = |name: &str| built.header(name).unwrap_or_default().to_string();
        let asymmetric = profile.is_some_and(|p| p.signature_mode == SignatureMode::Asymmetric);
        self.kind = WorkbenchKind::Signature(if asymmetric {
            SignatureKind::AsymmetricTransaction
        } else {
            SignatureKind::Symmetric
        });
        self.mode = Mode::Sign;
        self.method = built.method.clone();
        self.path = url::Url::parse(&built.url)
            .map(|u| match u.query() {
                Some(q) => format!("{}?{q}", u.path()),
                None => u.path().to_string(),
            })
            .unwrap_or_else(|_| built.url.clone());
        self.timestamp = header(crate::snap::headers::X_TIMESTAMP);
        self.token = header(crate::snap::headers::AUTHORIZATION)
            .trim_start_matches("Bearer ")
            .to_string();
        self.body = String::from_utf8_lossy(&built.body).into_owned();
        if let Some(p) = profile {
            self.unsigned_prefix = p.unsigned_path_prefix.clone();
            self.minify = p.minify;
        }
        self.expected_signature.clear();
    }

    /// A result from the worker; stale generations are dropped.
    pub fn accept(&mut self, generation: u64, result: Result<SignatureOutcome, String>) {
        if generation == self.state.generation {
            self.state.result = Some(result);
        }
    }

    pub fn accept_cross_check(&mut self, generation: u64, result: Result<String, String>) {
        if generation == self.state.cross_check_generation {
            self.state.cross_check = Some(result);
            self.state.cross_checking = false;
        }
    }

    pub fn accept_diagnosis(&mut self, generation: u64, result: Result<Diagnosis, String>) {
        if generation == self.state.diagnosis_generation {
            self.state.diagnosis = Some(result);
            self.state.diagnosing = false;
        }
    }

    fn inputs_hash(&self) -> u64 {
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        self.hash(&mut hasher);
        hasher.finish()
    }

    fn draw(&mut self, ui: &mut Ui, shared: &mut AppContext) {
        ui.heading("Signature workbench");
        ScrollArea::vertical()
            .id_salt("workbench_scroll")
            .show(ui, |ui| {
                self.kind_row(ui);
                ui.add_space(6.0);
                match self.kind {
                    WorkbenchKind::BillerMd5 => self.biller(ui),
                    WorkbenchKind::Signature(kind) => {
                        self.inputs(ui, kind, shared);
                        self.recompute_if_changed(kind, shared);
                        ui.add_space(8.0);
                        self.outputs(ui, kind);
                        ui.add_space(12.0);
                        ui.separator();
                        self.diagnosis(ui, kind, shared);
                        if matches!(kind, SignatureKind::B2bToken | SignatureKind::Symmetric) {
                            ui.add_space(12.0);
                            ui.separator();
                            self.cross_check(ui, kind, shared);
                        }
                    }
                }
            });
    }

    fn kind_row(&mut self, ui: &mut Ui) {
        ui.horizontal(|ui| {
            let label = ui.label("Kind");
            ComboBox::from_id_salt("workbench_kind")
                .selected_text(self.kind.label())
                .width(340.0)
                .show_ui(ui, |ui| {
                    for kind in WorkbenchKind::ALL {
                        ui.selectable_value(&mut self.kind, kind, kind.label());
                    }
                })
                .response
                .labelled_by(label.id);
            if self.kind != WorkbenchKind::BillerMd5 {
                ui.separator();
                ui.selectable_value(&mut self.mode, Mode::Sign, "Sign");
                ui.selectable_value(&mut self.mode, Mode::Verify, "Verify");
            }
        });
    }

    fn inputs(&mut self, ui: &mut Ui, kind: SignatureKind, shared: &mut AppContext) {
        Grid::new("workbench_inputs")
            .num_columns(2)
            .spacing([12.0, 6.0])
            .show(ui, |ui| {
                if !kind.covers_request() {
                    widgets::text_row(ui, "Client ID (X-CLIENT-KEY)", &mut self.client_id);
                }
                let label = ui.label("X-TIMESTAMP");
                ui.horizontal(|ui| {
                    ui.add(egui::TextEdit::singleline(&mut self.timestamp).desired_width(260.0))
                        .labelled_by(label.id);
                    if ui.button("Now").clicked() {
                        let style = shared
                            .book
                            .active_profile()
                            .map(|p| p.timestamp_style)
                            .unwrap_or_default();
                        self.timestamp = style.now();
                    }
                });
                ui.end_row();
                if kind.covers_request() {
                    widgets::text_row(ui, "HTTP method", &mut self.method);
                    widgets::text_row(ui, "Path (relative, with query)", &mut self.path);
                    widgets::text_row(ui, "Unsigned path prefix", &mut self.unsigned_prefix);
                    if kind == SignatureKind::Symmetric {
                        widgets::text_row(ui, "Access token", &mut self.token);
                    }
                    let label = ui.label("Minify mode");
                    ComboBox::from_id_salt("workbench_minify")
                        .selected_text(self.minify.name())
                        .show_ui(ui, |ui| {
                            for mode in MinifyMode::ALL {
                                ui.selectable_value(&mut self.minify, mode, mode.name())
                                    .on_hover_text(mode.describe());
                            }
                        })
                        .response
                        .labelled_by(label.id);
                    ui.end_row();
                }
                if kind == SignatureKind::Symmetric {
                    widgets::secret_row(
                        ui,
                        "Client secret",
                        self.client_secret.expose_mut(),
                        &mut self.state.reveal_secret,
                    );
                } else {
                    ui.label("Key");
                    ui.horizontal(|ui| {
                        ui.selectable_value(
                            &mut self.key_choice,
                            KeyChoice::ProfilePrivateKey,
                            "Profile private key",
                        );
                        ui.selectable_value(
                            &mut self.key_choice,
                            KeyChoice::CounterpartyPublicKey,
                            "Counterparty public key",
                        );
                        ui.selectable_value(&mut self.key_choice, KeyChoice::Pasted, "Pasted PEM");
                    });
                    ui.end_row();
                }
                if self.mode == Mode::Verify {
                    widgets::text_row(ui, "Signature to verify", &mut self.signature_to_verify);
                }
            });
        if kind.covers_request() {
            ui.add_space(4.0);
            widgets::multiline(ui, "Body", &mut self.body, 6);
        }
        if kind != SignatureKind::Symmetric && self.key_choice == KeyChoice::Pasted {
            widgets::multiline(
                ui,
                "Pasted key (PEM or Base64)",
                self.pasted_key.expose_mut(),
                4,
            );
        }
    }

    fn key_material(
        &self,
        kind: SignatureKind,
        shared: &AppContext,
    ) -> Result<KeyMaterial, String> {
        if kind == SignatureKind::Symmetric {
            return Ok(KeyMaterial::ClientSecret(self.client_secret.clone()));
        }
        let profile = shared.book.active_profile();
        match self.key_choice {
            KeyChoice::ProfilePrivateKey => {
                let pem = profile
                    .map(|p| shared.book.secrets_of(&p.id).private_key_pem)
                    .unwrap_or_default();
                if pem.expose().trim().is_empty() {
                    Err(
                        "the active profile has no private key (Credentials: Generate or Load…)"
                            .into(),
                    )
                } else {
                    Ok(KeyMaterial::PrivateKeyPem(pem))
                }
            }
            KeyChoice::CounterpartyPublicKey => {
                let pem = profile
                    .map(|p| p.counterparty_public_key_pem.clone())
                    .unwrap_or_default();
                if pem.trim().is_empty() {
                    Err("the active profile has no counterparty public key".into())
                } else {
                    Ok(KeyMaterial::PublicKeyPem(pem))
                }
            }
            KeyChoice::Pasted if self.pasted_key.expose().trim().is_empty() => {
                Err("paste a key first".into())
            }
            KeyChoice::Pasted if self.pasted_key.expose().contains("PRIVATE KEY") => {
                Ok(KeyMaterial::PrivateKeyPem(self.pasted_key.clone()))
            }
            KeyChoice::Pasted => Ok(KeyMaterial::PublicKeyPem(
                self.pasted_key.expose().to_string(),
            )),
        }
    }

    fn recompute_if_changed(&mut self, kind: SignatureKind, shared: &mut AppContext) {
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        self.inputs_hash().hash(&mut hasher);
        // The profile's keys are inputs too.
        if let Some(p) = shared.book.active_profile() {
            p.counterparty_public_key_pem.hash(&mut hasher);
            shared
                .book
                .secrets_of(&p.id)
                .private_key_pem
                .hash(&mut hasher);
        }
        let hash = hasher.finish();
        if self.state.sent_hash == Some(hash) {
            return;
        }
        self.state.sent_hash = Some(hash);
        self.state.generation += 1;
        let key = match self.key_material(kind, shared) {
            Ok(key) => key,
            Err(e) => {
                self.state.result = Some(Err(e));
                return;
            }
        };
        let input = self.signature_input(kind);
        let verify = (self.mode == Mode::Verify).then(|| self.signature_to_verify.clone());
        shared.send(Command::Workbench(WorkbenchCommand::Sign {
            generation: self.state.generation,
            job: SignatureJob { input, key, verify },
        }));
    }

    fn signature_input(&self, kind: SignatureKind) -> SignatureInput {
        SignatureInput {
            kind,
            client_id: self.client_id.clone(),
            timestamp: self.timestamp.clone(),
            method: self.method.clone(),
            path: self.path.clone(),
            unsigned_path_prefix: self.unsigned_prefix.clone(),
            access_token: self.token.clone(),
            body: self.body.clone(),
            minify: self.minify,
        }
    }

    /// Build the request to the active profile's signature utility, or say what is missing.
    fn cross_check_request(
        &self,
        kind: SignatureKind,
        shared: &AppContext,
    ) -> Result<CrossCheckRequest, String> {
        let profile = shared.book.active_profile().ok_or("no active profile")?;
        if profile.base_url.trim().is_empty() {
            return Err("the active profile has no base URL".into());
        }
        let secrets = shared.book.secrets_of(&profile.id);
        let kind = match kind {
            SignatureKind::B2bToken => {
                if secrets.private_key_pem.expose().trim().is_empty() {
                    return Err("the active profile has no private key".into());
                }
                CrossCheckKind::Auth {
                    client_id: self.client_id.clone(),
                    private_key_pem: secrets.private_key_pem.expose().to_string(),
                }
            }
            _ => CrossCheckKind::Service {
                client_secret: self.client_secret.expose().to_string(),
                method: self.method.clone(),
                endpoint_url: self.path.clone(),
                access_token: self.token.clone(),
                body: self.body.clone(),
            },
        };
        Ok(CrossCheckRequest {
            base_url: profile.base_url.clone(),
            api_prefix: profile.api_prefix.clone(),
            timestamp: self.timestamp.clone(),
            kind,
            connection: ConnectionSettings::of(profile, &secrets),
            timeout: std::time::Duration::from_secs(profile.timeout_seconds.max(1)),
        })
    }

    fn cross_check(&mut self, ui: &mut Ui, kind: SignatureKind, shared: &mut AppContext) {
        ui.label(RichText::new("Cross-check with the server").strong());
        let what = if kind == SignatureKind::B2bToken {
            "signature-auth (sends the private key)"
        } else {
            "signature-service (sends the client secret)"
        };
        ui.label(format!(
            "Asks the active profile's {what} utility for its signature over the same inputs."
        ));
        let enabled = !self.state.cross_checking;
        if ui
            .add_enabled(enabled, egui::Button::new("Ask the server"))
            .clicked()
        {
            match self.cross_check_request(kind, shared) {
                // Through a proxy even a loopback URL leaves this machine's hands.
                Ok(request) if is_loopback(&request.base_url) && !request.connection.proxied() => {
                    self.start_cross_check(request, shared)
                }
                Ok(request) => self.state.confirm_remote = Some(request),
                Err(e) => self.state.cross_check = Some(Err(e)),
            }
        }
        self.confirm_remote_dialog(ui, shared);
        if self.state.cross_checking {
            ui.label("Waiting for the server…");
        }
        let local = self
            .state
            .result
            .as_ref()
            .and_then(|r| r.as_ref().ok())
            .and_then(|o| o.signature.clone());
        match &self.state.cross_check {
            None => {}
            Some(Err(e)) => widgets::error_text(ui, &format!("The server did not sign: {e}")),
            Some(Ok(server)) => {
                Grid::new("cross_check_outputs")
                    .num_columns(2)
                    .show(ui, |ui| {
                        widgets::output_row(
                            ui,
                            "Local signature",
                            local.as_deref().unwrap_or("(none: sign mode computes it)"),
                        );
                        widgets::output_row(ui, "Server signature", server);
                    });
                if local.as_deref() == Some(server.as_str()) {
                    ui.label(
                        RichText::new("Local and server signatures are identical.")
                            .color(widgets::OK),
                    );
                } else {
                    widgets::warning_text(
                        ui,
                        "They differ: paste the server's signature into 'Expected signature' above and press Diagnose.",
                    );
                }
            }
        }
    }

    fn start_cross_check(&mut self, request: CrossCheckRequest, shared: &mut AppContext) {
        self.state.cross_check_generation += 1;
        self.state.cross_checking = true;
        self.state.cross_check = None;
        shared.send(Command::Workbench(WorkbenchCommand::CrossCheck {
            generation: self.state.cross_check_generation,
            request,
        }));
    }

    fn confirm_remote_dialog(&mut self, ui: &mut Ui, shared: &mut AppContext) {
        let Some(request) = self.state.confirm_remote.clone() else {
            return;
        };
        let secret = match request.kind {
            CrossCheckKind::Auth { .. } => "your PRIVATE KEY",
            CrossCheckKind::Service { .. } => "your client secret",
        };
        let modal = egui::Modal::new(egui::Id::unique("confirm_remote_cross_check")).show(ui.ctx(), |ui| {
            ui.heading("Send a secret to a remote host?");
            ui.label(format!("This puts {secret} in an HTTP header to {}. Only do this with sandbox credentials you are willing to disclose.", request.base_url));
            ui.horizontal(|ui| {
                if ui.button("Send it").clicked() {
                    self.state.confirm_remote = None;
                    self.start_cross_check(request.clone(), shared);
                }
                if ui.button("Cancel").clicked() {
                    self.state.confirm_remote = None;
                }
            });
        });
        if modal.should_close() {
            self.state.confirm_remote = None;
        }
    }

    fn diagnosis(&mut self, ui: &mut Ui, kind: SignatureKind, shared: &mut AppContext) {
        ui.label(RichText::new("Why is my signature rejected?").strong());
        ui.label("Paste the signature the counterparty expected (or its signature utility computed) for the inputs above. The known variants are tried, alone and in pairs (hover for the list).").on_hover_text(crate::snap::diagnose::variants::help_text());
        Grid::new("diagnosis_inputs").num_columns(2).show(ui, |ui| {
            widgets::text_row(ui, "Expected signature", &mut self.expected_signature);
        });
        let ready = !self.expected_signature.trim().is_empty() && !self.state.diagnosing;
        if ui
            .add_enabled(ready, egui::Button::new("Diagnose"))
            .clicked()
        {
            match self.key_material(kind, shared) {
                Ok(key) => {
                    self.state.diagnosis_generation += 1;
                    self.state.diagnosing = true;
                    self.state.diagnosis = None;
                    shared.send(Command::Workbench(WorkbenchCommand::Diagnose {
                        generation: self.state.diagnosis_generation,
                        input: self.signature_input(kind),
                        key,
                        expected: self.expected_signature.trim().to_string(),
                    }));
                }
                Err(e) => self.state.diagnosis = Some(Err(e)),
            }
        }
        if self.state.diagnosing {
            ui.label("Trying variants…");
        }
        match &self.state.diagnosis {
            None => {}
            Some(Err(e)) => widgets::error_text(ui, e),
            Some(Ok(d)) if d.matched && d.deviations.is_empty() => {
                ui.label(
                    RichText::new(format!(
                        "Matched the standard: your inputs are right ({} tried).",
                        d.tried
                    ))
                    .color(widgets::OK),
                );
            }
            Some(Ok(d)) if d.matched => {
                ui.label(
                    RichText::new(format!(
                        "Matched a variant after {} tries. The counterparty signed:",
                        d.tried
                    ))
                    .color(widgets::WARN),
                );
                for deviation in &d.deviations {
                    ui.label(format!("  - {}", deviation.description));
                }
                if let Some(text) = &d.string_to_sign {
                    Grid::new("diagnosis_outputs")
                        .num_columns(2)
                        .show(ui, |ui| {
                            widgets::output_row(ui, "Matched string to sign", text);
                            if let Some(standard) = &d.standard_string_to_sign {
                                widgets::output_row(ui, "Standard string to sign", standard);
                            }
                        });
                }
            }
            Some(Ok(d)) => {
                widgets::error_text(
                    ui,
                    &format!(
                        "No known variant matches ({} tried). Check the key or secret, and that the inputs are the ones the counterparty used.",
                        d.tried
                    ),
                );
            }
        }
        if let Some(Ok(d)) = &self.state.diagnosis {
            for note in &d.notes {
                ui.label(RichText::new(note).weak());
            }
            if d.matched {
                remedies(ui, d, shared);
            }
        }
    }

    fn outputs(&mut self, ui: &mut Ui, kind: SignatureKind) {
        let Some(result) = &self.state.result else {
            ui.label("Computing…");
            return;
        };
        let outcome = match result {
            Ok(outcome) => outcome,
            Err(e) => {
                widgets::error_text(ui, e);
                return;
            }
        };
        let prepared = &outcome.prepared;
        for warning in &prepared.warnings {
            widgets::warning_text(ui, warning);
        }
        Grid::new("workbench_outputs")
            .num_columns(2)
            .spacing([12.0, 6.0])
            .show(ui, |ui| {
                if let Some(body) = &prepared.minified_body {
                    widgets::output_row(ui, "Minified body", body);
                }
                if let Some(hash) = &prepared.body_hash {
                    widgets::output_row(ui, "Body hash", hash);
                }
                widgets::output_row(ui, "String to sign", &prepared.string_to_sign.text());
                if let Some(signature) = &outcome.signature {
                    widgets::output_row(ui, "Signature", signature);
                }
            });
        ui.add_space(6.0);
        ui.label(RichText::new("String to sign, part by part").strong());
        ui.label(coloured_string_to_sign(prepared, ui));
        ui.horizontal_wrapped(|ui| {
            for part in &prepared.string_to_sign.parts {
                ui.label(RichText::new(part.name.label()).color(part_colour(part.name)));
            }
        });
        if let Some(valid) = outcome.valid {
            ui.add_space(6.0);
            let (text, colour) = if valid {
                ("Signature valid", widgets::OK)
            } else {
                ("Signature invalid", widgets::ERROR)
            };
            ui.label(RichText::new(text).size(18.0).color(colour));
            if !valid && kind == SignatureKind::Symmetric {
                ui.label(
                    "Check the client secret, the access token and the body bytes exactly as sent.",
                );
            }
        }
    }

    fn biller(&mut self, ui: &mut Ui) {
        Grid::new("biller_inputs")
            .num_columns(2)
            .spacing([12.0, 6.0])
            .show(ui, |ui| {
                widgets::text_row(ui, "Biller username", &mut self.biller_user);
                widgets::secret_row(
                    ui,
                    "Biller password",
                    &mut self.biller_password,
                    &mut self.state.reveal_secret,
                );
                widgets::text_row(ui, "trxid", &mut self.biller_trxid);
                // md5 of three short strings takes microseconds: fine on the UI thread.
                let sign =
                    biller::sign(&self.biller_user, &self.biller_password, &self.biller_trxid);
                widgets::output_row(ui, "sign", &sign);
            });
    }
}

fn part_colour(name: PartName) -> Color32 {
    match name {
        PartName::Method => Color32::from_rgb(0xE0, 0x6C, 0x75),
        PartName::Path => Color32::from_rgb(0x61, 0xAF, 0xEF),
        PartName::AccessToken => Color32::from_rgb(0xC6, 0x78, 0xDD),
        PartName::BodyHash => Color32::from_rgb(0x98, 0xC3, 0x79),
        PartName::Timestamp => Color32::from_rgb(0xE5, 0xC0, 0x7B),
        PartName::ClientId => Color32::from_rgb(0x56, 0xB6, 0xC2),
    }
}

fn coloured_string_to_sign(prepared: &crate::snap::signature::Prepared, ui: &Ui) -> LayoutJob {
    let font = FontId::monospace(13.0);
    let separator_colour = ui.visuals().weak_text_color();
    let mut job = LayoutJob::default();
    for (i, part) in prepared.string_to_sign.parts.iter().enumerate() {
        if i > 0 {
            job.append(
                prepared.string_to_sign.separator,
                0.0,
                TextFormat::simple(font.clone(), separator_colour),
            );
        }
        job.append(
            &part.value,
            0.0,
            TextFormat::simple(font.clone(), part_colour(part.name)),
        );
    }
    job.wrap.max_width = ui.available_width();
    job
}

/// Its title in the navigation list.
pub const TITLE: &str = "Workbench";

impl Panel for WorkbenchPanel {
    fn title(&self) -> &'static str {
        TITLE
    }

    fn ui(&mut self, ui: &mut Ui, ctx: &mut AppContext) {
        self.draw(ui, ctx);
    }

    fn take_event(&mut self, event: Event, _ctx: &mut AppContext) -> Option<Event> {
        let Event::Workbench(event) = event else {
            return Some(event);
        };
        match event {
            WorkbenchEvent::Signed { generation, result } => self.accept(generation, result),
            WorkbenchEvent::Diagnosed { generation, result } => {
                self.accept_diagnosis(generation, result)
            }
            WorkbenchEvent::CrossChecked { generation, result } => {
                self.accept_cross_check(generation, result)
            }
        }
        None
    }

    fn on_action(&mut self, action: &Action, ctx: &mut AppContext) {
        match action {
            Action::ProfilesReplaced => self.prefill(&ctx.book),
            Action::DiagnoseInWorkbench(built) => self.take_request(built, ctx.active_profile()),
            _ => {}
        }
    }
}

/// What to do about a matched variant: the profile settings that make our signatures match
/// (with "Apply to profile"), and the words to paste into a message to the counterparty.
fn remedies(ui: &mut Ui, diagnosis: &Diagnosis, shared: &mut AppContext) {
    for message in diagnosis.messages_to_counterparty() {
        ui.horizontal_wrapped(|ui| {
            ui.label(RichText::new("Ask them:").strong());
            ui.label(message);
        });
    }
    let settings = diagnosis.settings();
    if settings.is_empty() {
        return;
    }
    let listed: Vec<String> = settings
        .iter()
        .map(|s| format!("{} = {}", s.field, s.value))
        .collect();
    let Some(profile) = shared.book.active_profile().cloned() else {
        ui.label(format!(
            "Profile settings that match: {}",
            listed.join(", ")
        ));
        return;
    };
    ui.horizontal_wrapped(|ui| {
        ui.label(format!(
            "The provider signs this way on purpose; profile settings that match: {}",
            listed.join(", ")
        ));
        if ui
            .button("Apply to profile")
            .on_hover_text(format!("Change the active profile '{}'", profile.name))
            .clicked()
        {
            let changes = settings
                .iter()
                .map(|s| (s.field, serde_json::Value::from(s.value.clone())));
            match crate::presets::with_settings(&profile, changes) {
                Ok(changed) => {
                    if let Some(slot) = shared.book.profiles.iter_mut().find(|p| p.id == profile.id)
                    {
                        *slot = changed;
                    }
                    shared.mark_dirty();
                    shared.notify(
                        Level::Ok,
                        format!("profile '{}' now has {}", profile.name, listed.join(", ")),
                    );
                }
                Err(e) => shared.notify(Level::Error, format!("cannot apply: {e}")),
            }
        }
    });
}
