//! The platform keychain through `keyring-core`: the Secret Service (over zbus, pure Rust)
//! on Linux and the BSDs, the Keychain on macOS, the Credential Manager on Windows.
//!
//! Every call can block (a D-Bus round trip, an unlock prompt, a daemon that never
//! answers), so each one runs on its own thread and is waited for with a deadline. A call
//! that misses it marks the keychain as hung: later calls fail at once instead of piling up
//! threads, and the caller falls back to the file.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::Duration;

use keyring_core::{CredentialStore, Entry, Error as KeyringError};

use crate::model::Secret;

/// The keychain's `service` for every entry; the `user` names the profile and the secret.
pub const SERVICE: &str = "snap-console";

/// How long one keychain call may take before we give up on the keychain.
pub const DEADLINE: Duration = Duration::from_secs(5);

/// The `user` of the entry that answers the availability probe (never written).
const PROBE_USER: &str = "probe";

#[derive(Debug, Clone, thiserror::Error)]
pub enum KeychainError {
    /// No keychain on this machine, or none reachable (no D-Bus session, no daemon).
    #[error("no keychain is reachable: {0}")]
    Unavailable(String),
    #[error("the {keychain} did not answer within {seconds} s")]
    Timeout {
        keychain: &'static str,
        seconds: u64,
    },
    /// The value is longer than the keychain holds (Windows: 2,560 bytes); it stays in
    /// the file, and the keychain stays in use for the rest.
    #[error("{what} is longer than the {keychain} holds ({limit} bytes)")]
    TooLong {
        keychain: &'static str,
        what: String,
        limit: u32,
    },
    /// The keychain answered with an error; the text never holds a secret.
    #[error("the {keychain} refused {what}: {reason}")]
    Refused {
        keychain: &'static str,
        what: String,
        reason: String,
    },
}

/// A connected keychain; clones share the connection and the "hung" flag.
#[derive(Clone)]
pub struct Keychain {
    store: Arc<CredentialStore>,
    name: &'static str,
    hung: Arc<AtomicBool>,
    deadline: Duration,
}

impl std::fmt::Debug for Keychain {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Keychain")
            .field("name", &self.name)
            .finish()
    }
}

impl Keychain {
    /// Connect to the platform's keychain and check that it answers, within `deadline`.
    pub fn connect(deadline: Duration) -> Result<Keychain, KeychainError> {
        let (name, store) = within(deadline, PLATFORM_NAME, platform_store)??;
        let keychain = Keychain {
            store,
            name,
            hung: Arc::new(AtomicBool::new(false)),
            deadline,
        };
        // A lookup of an entry that is never written: answers "no entry" on a working
        // keychain without prompting, and fails on a locked or broken one.
        keychain.get(PROBE_USER)?;
        Ok(keychain)
    }

    /// What to call it in messages: "Secret Service", "macOS Keychain", …
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// The value stored under `user`, `None` when there is none.
    pub fn get(&self, user: &str) -> Result<Option<Secret>, KeychainError> {
        let what = format!("to read {user}");
        self.call(what, {
            let user = user.to_string();
            move |store| match entry(store, &user, None)?.get_password() {
                Ok(value) => Ok(Some(Secret::new(value))),
                Err(KeyringError::NoEntry) => Ok(None),
                Err(e) => Err(e),
            }
        })
    }

    /// Store `value` under `user`; `label` is what keychain managers show.
    pub fn set(&self, user: &str, label: &str, value: &Secret) -> Result<(), KeychainError> {
        let what = format!("to store {user}");
        self.call(what, {
            let (user, label, value) = (user.to_string(), label.to_string(), value.clone());
            move |store| entry(store, &user, Some(&label))?.set_password(value.expose())
        })
    }

    /// Remove the entry under `user`; an entry that is not there is not an error.
    pub fn delete(&self, user: &str) -> Result<(), KeychainError> {
        let what = format!("to delete {user}");
        self.call(what, {
            let user = user.to_string();
            move |store| match entry(store, &user, None)?.delete_credential() {
                Ok(()) | Err(KeyringError::NoEntry) => Ok(()),
                Err(e) => Err(e),
            }
        })
    }

    /// Run `op` on its own thread with the deadline; a miss marks the keychain hung.
    fn call<T: Send + 'static>(
        &self,
        what: String,
        op: impl FnOnce(&Arc<CredentialStore>) -> Result<T, KeyringError> + Send + 'static,
    ) -> Result<T, KeychainError> {
        if self.hung.load(Ordering::Relaxed) {
            return Err(self.timeout());
        }
        let store = self.store.clone();
        match within(self.deadline, self.name, move || op(&store)) {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(KeyringError::TooLong(_, limit))) => Err(KeychainError::TooLong {
                keychain: self.name,
                what,
                limit,
            }),
            Ok(Err(e)) => Err(KeychainError::Refused {
                keychain: self.name,
                what,
                reason: describe(&e),
            }),
            Err(timeout) => {
                self.hung.store(true, Ordering::Relaxed);
                Err(timeout)
            }
        }
    }

    fn timeout(&self) -> KeychainError {
        KeychainError::Timeout {
            keychain: self.name,
            seconds: self.deadline.as_secs(),
        }
    }
}

fn entry(
    store: &Arc<CredentialStore>,
    user: &str,
    label: Option<&str>,
) -> Result<Entry, KeyringError> {
    match label {
        // Only the Secret Service store takes a label (shown by Seahorse, KWallet); the
        // macOS and Windows stores refuse any modifier they do not know.
        Some(label) if TAKES_LABEL => {
            let modifiers = std::collections::HashMap::from([("label", label)]);
            store.build(SERVICE, user, Some(&modifiers))
        }
        _ => store.build(SERVICE, user, None),
    }
}

/// Run `op` on a fresh thread and wait at most `deadline`. A thread that never returns is
/// left behind (it cannot be killed); the "hung" flag keeps that from happening twice.
fn within<T: Send + 'static>(
    deadline: Duration,
    keychain: &'static str,
    op: impl FnOnce() -> T + Send + 'static,
) -> Result<T, KeychainError> {
    let (tx, rx) = mpsc::sync_channel(1);
    let spawned = std::thread::Builder::new()
        .name("keychain".into())
        .spawn(move || {
            // The receiver may be gone after a timeout; nothing to do then.
            let _ = tx.send(op());
        });
    if let Err(e) = spawned {
        return Err(KeychainError::Unavailable(format!(
            "cannot start a thread for the keychain: {e}"
        )));
    }
    rx.recv_timeout(deadline)
        .map_err(|_| KeychainError::Timeout {
            keychain,
            seconds: deadline.as_secs(),
        })
}

/// keyring's error in words, without the bytes some variants carry (they may be a secret).
fn describe(e: &KeyringError) -> String {
    match e {
        KeyringError::PlatformFailure(inner) => format!("platform failure: {inner}"),
        KeyringError::NoStorageAccess(inner) => format!("no access (locked?): {inner}"),
        KeyringError::NoEntry => "no such entry".into(),
        KeyringError::BadEncoding(_) => "the stored value is not UTF-8".into(),
        KeyringError::BadDataFormat(..) => "the stored value is malformed".into(),
        KeyringError::TooLong(name, limit) => {
            format!("the {name} is longer than the keychain's limit of {limit}")
        }
        KeyringError::Ambiguous(items) => format!("{} entries match", items.len()),
        other => other.to_string(),
    }
}

#[cfg(all(
    unix,
    not(any(target_os = "macos", target_os = "ios", target_os = "android"))
))]
const PLATFORM_NAME: &str = "Secret Service";
#[cfg(target_os = "macos")]
const PLATFORM_NAME: &str = "macOS Keychain";
#[cfg(windows)]
const PLATFORM_NAME: &str = "Windows Credential Manager";
#[cfg(not(any(windows, unix)))]
const PLATFORM_NAME: &str = "keychain";
#[cfg(any(target_os = "ios", target_os = "android"))]
const PLATFORM_NAME: &str = "keychain";

/// Whether the platform's store accepts a `label` modifier.
const TAKES_LABEL: bool = cfg!(all(
    unix,
    not(any(
        target_os = "macos",
        target_os = "ios",
        target_os = "android"
    ))
));

type Connected = (&'static str, Arc<CredentialStore>);

#[cfg(all(
    unix,
    not(any(target_os = "macos", target_os = "ios", target_os = "android"))
))]
fn platform_store() -> Result<Connected, KeychainError> {
    // Without a session bus there is nothing to connect to: say so instead of zbus's
    // guess at a socket path.
    if std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_none_or(|v| v.is_empty()) {
        return Err(KeychainError::Unavailable(
            "no D-Bus session (DBUS_SESSION_BUS_ADDRESS is not set)".into(),
        ));
    }
    let store = zbus_secret_service_keyring_store::Store::new()
        .map_err(|e| KeychainError::Unavailable(describe(&e)))?;
    Ok((PLATFORM_NAME, store))
}

#[cfg(target_os = "macos")]
fn platform_store() -> Result<Connected, KeychainError> {
    let store = apple_native_keyring_store::keychain::Store::new()
        .map_err(|e| KeychainError::Unavailable(describe(&e)))?;
    Ok((PLATFORM_NAME, store))
}

#[cfg(windows)]
fn platform_store() -> Result<Connected, KeychainError> {
    let store = windows_native_keyring_store::Store::new()
        .map_err(|e| KeychainError::Unavailable(describe(&e)))?;
    Ok((PLATFORM_NAME, store))
}

#[cfg(not(any(
    windows,
    target_os = "macos",
    all(
        unix,
        not(any(target_os = "macos", target_os = "ios", target_os = "android"))
    )
)))]
fn platform_store() -> Result<Connected, KeychainError> {
    Err(KeychainError::Unavailable(
        "this platform has no supported keychain".into(),
    ))
}
