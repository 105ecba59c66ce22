//! Credentials: profiles (create, rename, duplicate, delete, set active), their fields, and
//! their keys (load, save, generate, export) through native dialogs or a typed path.

use std::path::PathBuf;

use egui::{ComboBox, Grid, RichText, ScrollArea, Ui};

use super::context::{Action, AppContext, Level, Panel};
use super::credentials_connection::ConnectionSection;
use super::widgets;
use crate::model::{Profile, ProfileBook, Secret, SignatureMode, TimestampStyle, new_profile_id};
use crate::presets;
use crate::snap::minify::MinifyMode;
use crate::worker::keys::{KeysCommand, KeysEvent};
use crate::worker::{Command, Event, FileChoice};

/// Its title in the navigation list.
pub const TITLE: &str = "Credentials";

#[derive(Default)]
pub struct CredentialsPanel {
    /// The profile being edited (not necessarily the active one).
    selected: Option<String>,
    reveal_secret: bool,
    confirm_delete: Option<String>,
    /// The profile whose secrets "Forget secrets…" asks to confirm forgetting.
    confirm_forget: Option<String>,
    /// Path fields beside every dialog button.
    key_path: String,
    public_key_path: String,
    passphrase: Secret,
    /// An encrypted key waiting for its passphrase.
    passphrase_for: Option<(String, PathBuf)>,
    dialog_missing: bool,
    bits: usize,
    connection: ConnectionSection,
    /// The embedded provider presets (pure data, parsed once) and the one picked.
    presets: Option<Vec<presets::Preset>>,
    preset: usize,
}

impl CredentialsPanel {
    pub fn select_active(&mut self, book: &ProfileBook) {
        if self
            .selected
            .as_deref()
            .and_then(|id| book.profiles.iter().find(|p| p.id == id))
            .is_none()
        {
            self.selected = book.active.clone();
        }
    }

    pub fn ask_passphrase(&mut self, profile_id: String, path: PathBuf) {
        self.key_path = path.display().to_string();
        self.passphrase_for = Some((profile_id, path));
    }

    pub fn key_loaded(&mut self) {
        self.passphrase_for = None;
        self.passphrase = Secret::default();
    }

    pub fn dialog_unavailable(&mut self) {
        self.dialog_missing = true;
    }

    fn draw(&mut self, ui: &mut Ui, shared: &mut AppContext) {
        if self.bits == 0 {
            self.bits = 2048;
        }
        ui.heading("Credentials");
        if !shared.loaded {
            ui.label("Loading profiles…");
            return;
        }
        if let Some(reason) = &shared.save_blocked {
            widgets::error_text(ui, &format!("Saving is off: {reason}"));
        }
        ui.horizontal_top(|ui| {
            ui.vertical(|ui| {
                ui.set_width(220.0);
                self.profile_list(ui, shared);
            });
            ui.separator();
            ui.vertical(|ui| {
                ScrollArea::vertical()
                    .id_salt("profile_fields")
                    .show(ui, |ui| {
                        self.profile_editor(ui, shared);
                    });
            });
        });
        self.delete_confirmation(ui, shared);
        self.forget_confirmation(ui, shared);
    }

    fn profile_list(&mut self, ui: &mut Ui, shared: &mut AppContext) {
        ui.label(RichText::new("Profiles").strong());
        let active = shared.book.active.clone();
        for profile in &shared.book.profiles {
            let is_active = active.as_deref() == Some(profile.id.as_str());
            let text = if is_active {
                format!("{} (active)", profile.name)
            } else {
                profile.name.clone()
            };
            let selected = self.selected.as_deref() == Some(profile.id.as_str());
            if ui.selectable_label(selected, text).clicked() {
                self.selected = Some(profile.id.clone());
            }
        }
        ui.add_space(8.0);
        ui.horizontal_wrapped(|ui| {
            if ui.button("New").clicked() {
                let profile = Profile {
                    id: new_profile_id(),
                    name: shared.book.unique_name("New profile"),
                    ..Profile::default()
                };
                self.selected = Some(profile.id.clone());
                shared.book.profiles.push(profile);
                shared.mark_dirty();
            }
            let selected = self.selected.clone();
            if let Some(id) = selected {
                if ui.button("Duplicate").clicked() {
                    self.duplicate(&id, shared);
                }
                if ui.button("Delete").clicked() {
                    self.confirm_delete = Some(id.clone());
                }
                if shared.book.active.as_deref() != Some(id.as_str())
                    && ui.button("Set active").clicked()
                {
                    shared.book.active = Some(id);
                    shared.mark_dirty();
                }
            }
        });
        ui.add_space(8.0);
        self.new_from_preset(ui, shared);
    }

    /// "New profile from preset": a provider's settings filled, only credentials to add.
    fn new_from_preset(&mut self, ui: &mut Ui, shared: &mut AppContext) {
        let list = self
            .presets
            .get_or_insert_with(|| presets::all().unwrap_or_default());
        if list.is_empty() {
            return;
        }
        self.preset = self.preset.min(list.len() - 1);
        let label = ui.label("Provider preset");
        ComboBox::from_id_salt("provider_preset")
            .selected_text(list[self.preset].label.as_str())
            .width(200.0)
            .show_ui(ui, |ui| {
                for (index, preset) in list.iter().enumerate() {
                    ui.selectable_value(&mut self.preset, index, preset.label.as_str())
                        .on_hover_text(preset.sources.join("\n"));
                }
            })
            .response
            .labelled_by(label.id);
        let preset = &list[self.preset];
        if ui
            .button("New profile from preset")
            .on_hover_text(format!(
                "Notifications: {}; private key: {}",
                preset.notification_rule, preset.key_format
            ))
            .clicked()
        {
            let base = Profile {
                id: new_profile_id(),
                name: shared.book.unique_name(&preset.label),
                ..Profile::default()
            };
            match presets::apply(preset, &base) {
                Ok(profile) => {
                    self.selected = Some(profile.id.clone());
                    shared.book.profiles.push(profile);
                    shared.mark_dirty();
                    let notes = preset.notes.join(" ");
                    shared.notify(
                        Level::Ok,
                        format!(
                            "new profile from {}: add its credentials. {notes}",
                            preset.name
                        ),
                    );
                }
                Err(e) => shared.notify(Level::Error, e.to_string()),
            }
        }
    }

    fn duplicate(&mut self, id: &str, shared: &mut AppContext) {
        let Some(original) = shared.book.profiles.iter().find(|p| p.id == id).cloned() else {
            return;
        };
        let copy = Profile {
            id: new_profile_id(),
            name: shared.book.unique_name(&format!("{} copy", original.name)),
            // The embedded sandbox serves one profile; a copy is an ordinary profile.
            local_sandbox: false,
            ..original
        };
        let secrets = shared.book.secrets_of(id);
        shared.book.secrets.insert(copy.id.clone(), secrets);
        self.selected = Some(copy.id.clone());
        shared.book.profiles.push(copy);
        shared.mark_dirty();
    }

    fn delete_confirmation(&mut self, ui: &mut Ui, shared: &mut AppContext) {
        let Some(id) = self.confirm_delete.clone() else {
            return;
        };
        let name = shared
            .book
            .profiles
            .iter()
            .find(|p| p.id == id)
            .map(|p| p.name.clone())
            .unwrap_or_default();
        let modal = egui::Modal::new(egui::Id::unique("confirm_delete_profile")).show(ui.ctx(), |ui| {
            ui.heading("Delete profile?");
            ui.label(format!(
                "\"{name}\" and its client secret and private key will be removed. Save the key first if you still need it."
            ));
            ui.horizontal(|ui| {
                if ui.button("Delete profile").clicked() {
                    shared.book.profiles.retain(|p| p.id != id);
                    shared.book.secrets.remove(&id);
                    if shared.book.active.as_deref() == Some(id.as_str()) {
                        shared.book.active = shared.book.profiles.first().map(|p| p.id.clone());
                    }
                    self.selected = shared.book.active.clone();
                    self.confirm_delete = None;
                    shared.mark_dirty();
                    shared.notify(Level::Info, format!("deleted profile {name}"));
                }
                if ui.button("Keep it").clicked() {
                    self.confirm_delete = None;
                }
            });
        });
        if modal.should_close() {
            self.confirm_delete = None;
        }
    }

    fn profile_editor(&mut self, ui: &mut Ui, shared: &mut AppContext) {
        let Some(id) = self.selected.clone() else {
            ui.label("No profile selected.");
            return;
        };
        let Some(index) = shared.book.profiles.iter().position(|p| p.id == id) else {
            ui.label("No profile selected.");
            return;
        };
        let mut profile = shared.book.profiles[index].clone();
        let mut secrets = shared.book.secrets_of(&id);
        let before = (profile.clone(), secrets.clone());

        if profile.local_sandbox {
            ui.label(
                RichText::new("This profile talks to the sandbox built into the console.")
                    .italics(),
            );
        }
        Grid::new("profile_fields_grid")
            .num_columns(2)
            .spacing([12.0, 6.0])
            .show(ui, |ui| {
                widgets::text_row(ui, "Name", &mut profile.name);
                widgets::text_row(ui, "Base URL", &mut profile.base_url);
                widgets::text_row(ui, "API prefix", &mut profile.api_prefix);
                widgets::text_row(ui, "Token path", &mut profile.token_path);
                widgets::text_row(ui, "Client ID", &mut profile.client_id);
                widgets::secret_row(
                    ui,
                    "Client secret",
                    secrets.client_secret.expose_mut(),
                    &mut self.reveal_secret,
                );
                widgets::text_row(ui, "Partner ID (X-PARTNER-ID)", &mut profile.partner_id);
                widgets::text_row(ui, "Channel ID", &mut profile.channel_id);
                widgets::text_row(ui, "Partner service ID", &mut profile.partner_service_id);
                widgets::text_row(ui, "ORIGIN header", &mut profile.origin).on_hover_text(
                    "Sent where a service needs it (12 Transaction History List); empty means the base URL's origin",
                );
                widgets::text_row(
                    ui,
                    "Unsigned path prefix",
                    &mut profile.unsigned_path_prefix,
                );

                mode_rows(ui, &mut profile);

                ui.label("TLS");
                ui.checkbox(&mut profile.verify_tls, "Verify server certificates");
                ui.end_row();

                let label = ui.label("Timeout (seconds)");
                ui.add(egui::DragValue::new(&mut profile.timeout_seconds).range(1..=600))
                    .labelled_by(label.id);
                ui.end_row();
            });

        field_problems(ui, &profile);
        ui.add_space(10.0);
        self.private_key_section(ui, shared, &id, &secrets.private_key_pem);
        ui.add_space(10.0);
        self.public_key_section(ui, shared, &id, &profile.counterparty_public_key_pem);
        ui.add_space(10.0);
        self.connection.draw(ui, shared, &mut profile, &mut secrets);
        ui.add_space(10.0);
        self.secrets_section(ui, shared, &mut profile);

        if (profile.clone(), secrets.clone()) != before {
            shared.book.profiles[index] = profile;
            shared.book.secrets.insert(id, secrets);
            shared.mark_dirty();
        }
    }

    /// Where the secrets are kept (the keychain or the 0600 file, and why), the choice to
    /// keep this profile's key in the keychain too, and "Forget secrets…".
    fn secrets_section(&mut self, ui: &mut Ui, shared: &AppContext, profile: &mut Profile) {
        ui.label(RichText::new("Where secrets are kept").strong());
        let place = shared.secrets_place.as_ref();
        match place {
            Some(place) => ui.label(place.describe()),
            None => ui.label("Secrets: asking the keychain…"),
        };
        let keychain = place.and_then(|p| p.keychain.clone());
        ui.add_enabled_ui(keychain.is_some(), |ui| {
            ui.checkbox(
                &mut profile.key_in_keychain,
                "Keep this profile's private key in the keychain too",
            )
            .on_disabled_hover_text("No keychain is in use on this machine");
        });
        if ui
            .button("Forget secrets…")
            .on_hover_text(
                "Remove this profile's client secret and private key from wherever they are kept",
            )
            .clicked()
        {
            self.confirm_forget = Some(profile.id.clone());
        }
    }

    fn forget_confirmation(&mut self, ui: &mut Ui, shared: &mut AppContext) {
        let Some(id) = self.confirm_forget.clone() else {
            return;
        };
        let where_kept = shared
            .secrets_place
            .as_ref()
            .map(|p| p.describe())
            .unwrap_or_default();
        let modal = egui::Modal::new(egui::Id::unique("confirm_forget_secrets")).show(ui.ctx(), |ui| {
            ui.heading("Forget this profile's secrets?");
            ui.label(format!(
                "Its client secret and private key are removed from the keychain and the file. {where_kept} Save the key first if you still need it."
            ));
            ui.horizontal(|ui| {
                if ui.button("Forget them").clicked() {
                    shared.forget_secrets(&id);
                    self.confirm_forget = None;
                }
                if ui.button("Keep them").clicked() {
                    self.confirm_forget = None;
                }
            });
        });
        if modal.should_close() {
            self.confirm_forget = None;
        }
    }

    fn path_field(&mut self, ui: &mut Ui, label: &str, which: PathField) {
        ui.horizontal(|ui| {
            let label = ui.label(label);
            let value = match which {
                PathField::Key => &mut self.key_path,
                PathField::PublicKey => &mut self.public_key_path,
            };
            ui.add(
                egui::TextEdit::singleline(value)
                    .desired_width(360.0)
                    .hint_text("/path/to/key.pem"),
            )
            .labelled_by(label.id);
        });
    }

    fn private_key_section(
        &mut self,
        ui: &mut Ui,
        shared: &mut AppContext,
        id: &str,
        pem: &Secret,
    ) {
        ui.label(RichText::new("Private key (signs tokens and asymmetric requests)").strong());
        match shared.fingerprint(pem.expose()) {
            Some(text) => ui.label(format!("Key: {text}")),
            None if pem.is_empty() => ui.label("Key: none"),
            None => ui.label("Key: reading…"),
        };
        if self.dialog_missing {
            widgets::warning_text(ui, "No file dialog is available here: type a path below.");
        }
        self.path_field(ui, "Key file path", PathField::Key);
        ui.horizontal(|ui| {
            let label = ui.label("Passphrase");
            ui.add(
                egui::TextEdit::singleline(self.passphrase.expose_mut())
                    .password(true)
                    .desired_width(200.0),
            )
            .labelled_by(label.id)
            .on_hover_text("For loading an encrypted key, or encrypting the key you save");
        });
        if let Some((_, path)) = &self.passphrase_for {
            widgets::warning_text(
                ui,
                &format!(
                    "{} is encrypted: enter its passphrase and press Load from path",
                    path.display()
                ),
            );
        }
        let typed = PathBuf::from(self.key_path.trim());
        let passphrase = self.passphrase.clone().non_empty();
        ui.horizontal_wrapped(|ui| {
            if ui
                .button("Load…")
                .on_hover_text("Load a private key with a file dialog")
                .clicked()
            {
                shared.send(Command::Keys(KeysCommand::ImportPrivate {
                    profile_id: id.to_string(),
                    from: FileChoice::Dialog,
                    passphrase: passphrase.clone(),
                }));
            }
            if ui.button("Load from path").clicked() {
                shared.send(Command::Keys(KeysCommand::ImportPrivate {
                    profile_id: id.to_string(),
                    from: FileChoice::Path(typed.clone()),
                    passphrase: passphrase.clone(),
                }));
            }
            let label = ui.label("Key size");
            ComboBox::from_id_salt("key_bits")
                .selected_text(format!("{} bits", self.bits))
                .show_ui(ui, |ui| {
                    for bits in [2048, 3072, 4096] {
                        ui.selectable_value(&mut self.bits, bits, format!("{bits} bits"));
                    }
                })
                .response
                .labelled_by(label.id);
            if ui.button("Generate").clicked() {
                shared.send(Command::Keys(KeysCommand::Generate {
                    profile_id: id.to_string(),
                    bits: self.bits,
                }));
                shared.notify(Level::Info, format!("generating a {}-bit key…", self.bits));
            }
        });
        key_file_buttons(ui, shared, pem, passphrase.as_ref(), &typed);
    }

    fn public_key_section(&mut self, ui: &mut Ui, shared: &mut AppContext, id: &str, pem: &str) {
        ui.label(
            RichText::new("Counterparty public key (verifies what the provider sends)").strong(),
        );
        match shared.fingerprint(pem) {
            Some(text) => ui.label(format!("Public key: {text}")),
            None if pem.trim().is_empty() => ui.label("Public key: none"),
            None => ui.label("Public key: reading…"),
        };
        self.path_field(ui, "Public key file path", PathField::PublicKey);
        let typed = PathBuf::from(self.public_key_path.trim());
        ui.horizontal(|ui| {
            if ui.button("Load public key…").clicked() {
                shared.send(Command::Keys(KeysCommand::ImportPublic {
                    profile_id: id.to_string(),
                    from: FileChoice::Dialog,
                }));
            }
            if ui.button("Load public key from path").clicked() {
                shared.send(Command::Keys(KeysCommand::ImportPublic {
                    profile_id: id.to_string(),
                    from: FileChoice::Path(typed),
                }));
            }
        });
    }
}

#[derive(Clone, Copy)]
enum PathField {
    Key,
    PublicKey,
}

impl Panel for CredentialsPanel {
    fn title(&self) -> &'static str {
        TITLE
    }

    fn ui(&mut self, ui: &mut Ui, ctx: &mut AppContext) {
        self.draw(ui, ctx);
    }

    fn take_event(&mut self, event: Event, ctx: &mut AppContext) -> Option<Event> {
        let event = self.connection.take_event(event, ctx)?;
        match event {
            Event::Keys(KeysEvent::PassphraseNeeded { profile_id, path }) => {
                self.ask_passphrase(profile_id, path);
                None
            }
            other => Some(other),
        }
    }

    fn on_action(&mut self, action: &Action, ctx: &mut AppContext) {
        match action {
            Action::ProfilesReplaced => self.select_active(&ctx.book),
            Action::PrivateKeyLoaded => self.key_loaded(),
            Action::DialogUnavailable => self.dialog_unavailable(),
            _ => {}
        }
    }
}

/// Signature mode, timestamp style and minify mode: how this provider signs.
/// What the profile rules (shared with `profile add`) find wrong, one line a field.
fn field_problems(ui: &mut Ui, profile: &Profile) {
    for problem in crate::model::profile_rules::check(profile) {
        ui.colored_label(
            ui.visuals().warn_fg_color,
            format!("{}: {}", problem.field.label(), problem.message),
        );
    }
}

fn mode_rows(ui: &mut Ui, profile: &mut Profile) {
    let label = ui.label("Signature mode");
    ComboBox::from_id_salt("signature_mode")
        .selected_text(match profile.signature_mode {
            SignatureMode::Symmetric => "Symmetric (HMAC-SHA512)",
            SignatureMode::Asymmetric => "Asymmetric (SHA256withRSA)",
        })
        .show_ui(ui, |ui| {
            ui.selectable_value(
                &mut profile.signature_mode,
                SignatureMode::Symmetric,
                "Symmetric (HMAC-SHA512)",
            );
            ui.selectable_value(
                &mut profile.signature_mode,
                SignatureMode::Asymmetric,
                "Asymmetric (SHA256withRSA)",
            );
        })
        .response
        .labelled_by(label.id);
    ui.end_row();

    let label = ui.label("Timestamp style");
    ComboBox::from_id_salt("timestamp_style")
        .selected_text(profile.timestamp_style.label())
        .show_ui(ui, |ui| {
            for style in TimestampStyle::ALL {
                ui.selectable_value(&mut profile.timestamp_style, style, style.label());
            }
        })
        .response
        .labelled_by(label.id);
    ui.end_row();

    let label = ui.label("Minify mode");
    ComboBox::from_id_salt("minify_mode")
        .selected_text(profile.minify.name())
        .show_ui(ui, |ui| {
            for mode in MinifyMode::ALL {
                ui.selectable_value(&mut profile.minify, mode, mode.name())
                    .on_hover_text(mode.describe());
            }
        })
        .response
        .labelled_by(label.id);
    ui.end_row();
}

/// Save the private key (optionally encrypted) and export its public half.
fn key_file_buttons(
    ui: &mut Ui,
    shared: &mut AppContext,
    pem: &Secret,
    passphrase: Option<&Secret>,
    typed: &std::path::Path,
) {
    let passphrase = passphrase.cloned();
    let typed = typed.to_path_buf();
    let has_key = !pem.expose().trim().is_empty();
    ui.add_enabled_ui(has_key, |ui| {
        ui.horizontal_wrapped(|ui| {
            if ui
                .button("Save…")
                .on_hover_text(
                    "Save the private key (PKCS#8; encrypted when a passphrase is given)",
                )
                .clicked()
            {
                shared.send(Command::Keys(KeysCommand::SavePrivate {
                    pem: pem.clone(),
                    passphrase: passphrase.clone(),
                    to: FileChoice::Dialog,
                }));
            }
            if ui.button("Save to path").clicked() {
                shared.send(Command::Keys(KeysCommand::SavePrivate {
                    pem: pem.clone(),
                    passphrase: passphrase.clone(),
                    to: FileChoice::Path(typed.clone()),
                }));
            }
            if ui
                .button("Export public key…")
                .on_hover_text("Save the public key (SPKI PEM) for the provider's portal")
                .clicked()
            {
                shared.send(Command::Keys(KeysCommand::ExportPublic {
                    private_pem: pem.clone(),
                    to: FileChoice::Dialog,
                }));
            }
            if ui.button("Export public key to path").clicked() {
                shared.send(Command::Keys(KeysCommand::ExportPublic {
                    private_pem: pem.clone(),
                    to: FileChoice::Path(typed.clone()),
                }));
            }
        });
    });
}
