//! The credentials panel's "Connection" section: what banks' gateways need of a profile —
//! a client certificate for mTLS (PEM, or PKCS#12 with its passphrase), extra CA
//! certificates, and an explicit proxy. Files are read and checked on the worker
//! (`worker::connection`); this draws the fields and applies what comes back.

use std::path::PathBuf;

use egui::{RichText, TextEdit, Ui};

use super::context::{AppContext, Level};
use super::widgets;
use crate::model::{Profile, ProfileSecrets, Secret};
use crate::worker::connection::{ConnectionCommand, ConnectionEvent, check_proxy_url};
use crate::worker::{Command, Event, FileChoice};

#[derive(Default)]
pub struct ConnectionSection {
    cert_path: String,
    key_path: String,
    passphrase: Secret,
    ca_path: String,
}

impl ConnectionSection {
    /// Draw the section for the profile being edited; removals change `profile` and
    /// `secrets` in place (the editor saves what changed).
    pub fn draw(
        &mut self,
        ui: &mut Ui,
        shared: &mut AppContext,
        profile: &mut Profile,
        secrets: &mut ProfileSecrets,
    ) {
        ui.label(RichText::new("Connection (mTLS, private CAs, proxy)").strong());
        self.client_certificate(ui, shared, profile, secrets);
        ui.add_space(6.0);
        self.ca_bundle(ui, shared, profile);
        ui.add_space(6.0);
        proxy_row(ui, profile);
    }

    fn client_certificate(
        &mut self,
        ui: &mut Ui,
        shared: &mut AppContext,
        profile: &mut Profile,
        secrets: &mut ProfileSecrets,
    ) {
        match shared.fingerprint(&profile.client_cert_pem) {
            Some(text) => ui.label(format!("Client certificate: {text}")),
            None if profile.client_cert_pem.trim().is_empty() => {
                ui.label("Client certificate: none")
            }
            None => ui.label("Client certificate: reading…"),
        };
        path_row(
            ui,
            "Client certificate file path",
            &mut self.cert_path,
            "/path/to/client.pem or client.p12",
        );
        path_row(
            ui,
            "Client key file path",
            &mut self.key_path,
            "empty: the key is in the certificate file",
        );
        ui.horizontal(|ui| {
            let label = ui.label("Certificate passphrase");
            ui.add(
                TextEdit::singleline(self.passphrase.expose_mut())
                    .password(true)
                    .desired_width(200.0),
            )
            .labelled_by(label.id)
            .on_hover_text("For a PKCS#12 file or an encrypted key; used once, not kept");
        });
        let id = profile.id.clone();
        ui.horizontal_wrapped(|ui| {
            if ui
                .button("Load client certificate…")
                .on_hover_text("PEM (certificate and key) or PKCS#12 (.p12, .pfx)")
                .clicked()
            {
                let command = self.import(&id, FileChoice::Dialog);
                shared.send(command);
            }
            if ui.button("Load client certificate from path").clicked() {
                let typed = FileChoice::Path(PathBuf::from(self.cert_path.trim()));
                let command = self.import(&id, typed);
                shared.send(command);
            }
            let has_cert =
                !profile.client_cert_pem.is_empty() || !secrets.client_cert_key_pem.is_empty();
            if ui
                .add_enabled(has_cert, egui::Button::new("Remove client certificate"))
                .clicked()
            {
                profile.client_cert_pem.clear();
                secrets.client_cert_key_pem = Secret::default();
            }
        });
    }

    fn import(&self, profile_id: &str, from: FileChoice) -> Command {
        let key = self.key_path.trim();
        Command::Connection(ConnectionCommand::ImportClientCert {
            profile_id: profile_id.to_string(),
            from,
            key: (!key.is_empty()).then(|| FileChoice::Path(PathBuf::from(key))),
            passphrase: self.passphrase.clone().non_empty(),
        })
    }

    fn ca_bundle(&mut self, ui: &mut Ui, shared: &mut AppContext, profile: &mut Profile) {
        match shared.fingerprint(&profile.ca_bundle_pem) {
            Some(text) => ui.label(format!("Extra CA certificates: {text}")),
            None if profile.ca_bundle_pem.trim().is_empty() => {
                ui.label("Extra CA certificates: none (the system's only)")
            }
            None => ui.label("Extra CA certificates: reading…"),
        };
        path_row(
            ui,
            "CA bundle file path",
            &mut self.ca_path,
            "/path/to/ca.pem",
        );
        let id = profile.id.clone();
        ui.horizontal_wrapped(|ui| {
            if ui.button("Load CA bundle…").clicked() {
                shared.send(Command::Connection(ConnectionCommand::ImportCaBundle {
                    profile_id: id.clone(),
                    from: FileChoice::Dialog,
                }));
            }
            if ui.button("Load CA bundle from path").clicked() {
                shared.send(Command::Connection(ConnectionCommand::ImportCaBundle {
                    profile_id: id.clone(),
                    from: FileChoice::Path(PathBuf::from(self.ca_path.trim())),
                }));
            }
            if ui
                .add_enabled(
                    !profile.ca_bundle_pem.is_empty(),
                    egui::Button::new("Remove CA bundle"),
                )
                .clicked()
            {
                profile.ca_bundle_pem.clear();
            }
        });
    }

    /// Apply what the worker read; other events go on.
    pub fn take_event(&mut self, event: Event, shared: &mut AppContext) -> Option<Event> {
        let Event::Connection(event) = event else {
            return Some(event);
        };
        match event {
            ConnectionEvent::ClientCertReady {
                profile_id,
                cert_chain_pem,
                key_pem,
                summary,
            } => {
                if let Some(p) = shared.book.profiles.iter_mut().find(|p| p.id == profile_id) {
                    p.client_cert_pem = cert_chain_pem;
                }
                shared
                    .book
                    .secrets
                    .entry(profile_id)
                    .or_default()
                    .client_cert_key_pem = key_pem;
                self.passphrase = Secret::default();
                shared.mark_dirty();
                shared.notify(Level::Ok, summary);
            }
            ConnectionEvent::CaBundleReady {
                profile_id,
                pem,
                summary,
            } => {
                if let Some(p) = shared.book.profiles.iter_mut().find(|p| p.id == profile_id) {
                    p.ca_bundle_pem = pem;
                }
                shared.mark_dirty();
                shared.notify(Level::Ok, summary);
            }
        }
        None
    }
}

fn path_row(ui: &mut Ui, label: &str, value: &mut String, hint: &str) {
    ui.horizontal(|ui| {
        let label = ui.label(label);
        ui.add(
            TextEdit::singleline(value)
                .desired_width(360.0)
                .hint_text(hint),
        )
        .labelled_by(label.id);
    });
}

/// The proxy URL, checked as typed (a password would be kept in clear: refused).
fn proxy_row(ui: &mut Ui, profile: &mut Profile) {
    ui.horizontal(|ui| {
        let label = ui.label("Proxy URL");
        ui.add(
            TextEdit::singleline(&mut profile.proxy_url)
                .desired_width(360.0)
                .hint_text("empty: direct (HTTPS_PROXY is never used)"),
        )
        .labelled_by(label.id);
    });
    if let Err(problem) = check_proxy_url(&profile.proxy_url) {
        widgets::warning_text(ui, &problem);
    }
}
