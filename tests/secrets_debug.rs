//! No secret in any message the window's worker passes: every Command and Event that can
//! carry a client secret, a private key, a passphrase or a token is formatted with `{:?}`
//! and searched for the secret.

// Test code may panic: a failed expectation is the point.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::too_many_lines
)]

use std::path::PathBuf;
use std::time::Duration;

use snap_console::model::{
    HeaderOverride, Profile, ProfileBook, ProfileSecrets, RequestDraft, Secret,
};
use snap_console::snap::signature::{SignatureInput, SignatureKind};
use snap_console::worker::composer::ComposerCommand;
use snap_console::worker::inbox::{InboxCommand, InboxKeys};
use snap_console::worker::keys::{KeysCommand, KeysEvent};
use snap_console::worker::profiles::ProfilesCommand;
use snap_console::worker::sandbox::{SandboxCommand, SandboxStart};
use snap_console::worker::workbench::{
    CrossCheckKind, CrossCheckRequest, KeyMaterial, SignatureJob, WorkbenchCommand,
};
use snap_console::worker::{Command, Event, FileChoice};

const CLIENT_SECRET: &str = "client-secret-4f1d9a";
/// Not a key: a PEM-shaped marker (kept with the test material in tests/fixtures) whose
/// body must never appear in any printed message.
const FAKE_TEST_PRIVATE_PEM: &str =
    include_str!("fixtures/secrets/fake_test_private_key_marker.pem");
const PASSPHRASE: &str = "passphrase-77ab";
const TOKEN: &str = "token-9c2e11";

const ALL_SECRETS: [&str; 5] = [
    CLIENT_SECRET,
    "MIIEvQprivatebody",
    PASSPHRASE,
    TOKEN,
    "PRIVATE KEY",
];

fn secrets() -> ProfileSecrets {
    ProfileSecrets {
        client_secret: Secret::from(CLIENT_SECRET),
        private_key_pem: Secret::from(FAKE_TEST_PRIVATE_PEM),
        ..ProfileSecrets::default()
    }
}

fn profile() -> Profile {
    Profile {
        id: "p1".into(),
        name: "Test".into(),
        client_id: "client".into(),
        ..Profile::default()
    }
}

fn inbox_keys() -> InboxKeys {
    InboxKeys {
        client_secret: Secret::from(CLIENT_SECRET),
        client_id: "client".into(),
        ..InboxKeys::default()
    }
}

fn input() -> SignatureInput {
    SignatureInput {
        kind: SignatureKind::Symmetric,
        access_token: TOKEN.into(),
        ..SignatureInput::default()
    }
}

fn commands() -> Vec<Command> {
    let book = ProfileBook {
        profiles: vec![profile()],
        active: Some("p1".into()),
        secrets: [("p1".to_string(), secrets())].into_iter().collect(),
    };
    let draft = RequestDraft {
        service_id: "snap-25".into(),
        header_overrides: vec![HeaderOverride::set(
            "Authorization",
            format!("Bearer {TOKEN}"),
        )],
        extra_headers: vec![("X-CLIENT-SECRET".into(), CLIENT_SECRET.into())],
        ..RequestDraft::default()
    };
    let (_cancel_tx, cancel) = tokio::sync::watch::channel(false);
    vec![
        Command::Profiles(ProfilesCommand::Save {
            book: book.clone(),
            blocked: None,
            generation: 1,
        }),
        Command::Profiles(ProfilesCommand::ForgetSecrets {
            profile_id: "p1".into(),
            book,
            blocked: None,
            generation: 2,
        }),
        Command::Keys(KeysCommand::ImportPrivate {
            profile_id: "p1".into(),
            from: FileChoice::Path(PathBuf::from("/tmp/k.pem")),
            passphrase: Some(Secret::from(PASSPHRASE)),
        }),
        Command::Keys(KeysCommand::SavePrivate {
            pem: Secret::from(FAKE_TEST_PRIVATE_PEM),
            passphrase: Some(Secret::from(PASSPHRASE)),
            to: FileChoice::Dialog,
        }),
        Command::Keys(KeysCommand::ExportPublic {
            private_pem: Secret::from(FAKE_TEST_PRIVATE_PEM),
            to: FileChoice::Dialog,
        }),
        Command::Keys(KeysCommand::Fingerprint {
            hash: 1,
            pem: Secret::from(FAKE_TEST_PRIVATE_PEM),
        }),
        Command::Sandbox(SandboxCommand::Start(SandboxStart {
            profile_id: "p1".into(),
            client_id: "client".into(),
            client_secret: Secret::from(CLIENT_SECRET),
            private_key_pem: Secret::from(FAKE_TEST_PRIVATE_PEM),
            inbox_keys: Some(inbox_keys()),
        })),
        Command::Composer(ComposerCommand::Send {
            generation: 1,
            profile: Box::new(profile()),
            secrets: secrets(),
            draft: Box::new(draft),
            cancel,
        }),
        Command::Composer(ComposerCommand::GetToken {
            profile: Box::new(profile()),
            secrets: secrets(),
        }),
        Command::Composer(ComposerCommand::SendTestNotification {
            url: "http://127.0.0.1:1/".into(),
            client_id: "client".into(),
            private_key_pem: Secret::from(FAKE_TEST_PRIVATE_PEM),
            body: "{}".into(),
        }),
        Command::Workbench(WorkbenchCommand::Sign {
            generation: 1,
            job: SignatureJob {
                input: input(),
                key: KeyMaterial::ClientSecret(Secret::from(CLIENT_SECRET)),
                verify: None,
            },
        }),
        Command::Workbench(WorkbenchCommand::Diagnose {
            generation: 1,
            input: input(),
            key: KeyMaterial::PrivateKeyPem(Secret::from(FAKE_TEST_PRIVATE_PEM)),
            expected: "sig".into(),
        }),
        Command::Workbench(WorkbenchCommand::CrossCheck {
            generation: 1,
            request: CrossCheckRequest {
                base_url: "http://127.0.0.1:1".into(),
                api_prefix: "/api".into(),
                timestamp: "t".into(),
                kind: CrossCheckKind::Auth {
                    client_id: "client".into(),
                    private_key_pem: FAKE_TEST_PRIVATE_PEM.into(),
                },
                connection: Default::default(),
                timeout: Duration::from_secs(1),
            },
        }),
        Command::Inbox(InboxCommand::Start {
            port: 0,
            all_interfaces: false,
            keys: inbox_keys(),
        }),
    ]
}

fn events() -> Vec<Event> {
    vec![Event::Keys(KeysEvent::PrivateKeyReady {
        profile_id: "p1".into(),
        private_pem: Secret::from(FAKE_TEST_PRIVATE_PEM),
        summary: "loaded".into(),
    })]
}

#[test]
fn no_message_prints_a_secret() {
    let printed: Vec<String> = commands()
        .iter()
        .map(|c| format!("{c:?}"))
        .chain(events().iter().map(|e| format!("{e:?}")))
        .collect();
    assert_eq!(printed.len(), 15);
    for text in &printed {
        for secret in ALL_SECRETS {
            assert!(!text.contains(secret), "{secret:?} printed in {text}");
        }
    }
    // They do print something useful: the profile and the command's shape.
    assert!(printed.iter().any(|t| t.contains("SavePrivate")));
    assert!(printed.iter().any(|t| t.contains("‹redacted›")));
}
