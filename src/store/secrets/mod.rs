//! Which secret lives where: the OS keychain (client secrets, and private keys of profiles
//! that ask for it) or the 0600 `secrets.json` (everything else, and everything when no
//! keychain answers). `store::profiles` reads and writes the file; this module decides
//! what goes to the keychain and talks to it.
//!
//! Precedence on load: a value in the file wins over the keychain's, because a secret that
//! belongs in the keychain is only ever in the file when it is newer (written before this
//! version, or while the keychain was unreachable); it is then moved over.

pub mod keychain;

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;

use sha2::{Digest, Sha256};

pub use self::keychain::{Keychain, KeychainError};
use super::paths::SecretsChoice;
use crate::model::{Profile, ProfileSecrets, Secret, SecretsPlace};

/// The two secrets of a profile.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    ClientSecret,
    PrivateKey,
}

impl Kind {
    pub const ALL: [Kind; 2] = [Kind::ClientSecret, Kind::PrivateKey];

    /// The keychain entry's `user`: `<profile id>/client-secret`, `<profile id>/private-key`.
    pub fn user(self, profile_id: &str) -> String {
        match self {
            Kind::ClientSecret => format!("{profile_id}/client-secret"),
            Kind::PrivateKey => format!("{profile_id}/private-key"),
        }
    }

    fn label(self, profile: &Profile) -> String {
        match self {
            Kind::ClientSecret => format!("SNAP Console: {} client secret", profile.name),
            Kind::PrivateKey => format!("SNAP Console: {} private key", profile.name),
        }
    }

    fn of(self, secrets: &ProfileSecrets) -> &Secret {
        match self {
            Kind::ClientSecret => &secrets.client_secret,
            Kind::PrivateKey => &secrets.private_key_pem,
        }
    }

    fn of_mut(self, secrets: &mut ProfileSecrets) -> &mut Secret {
        match self {
            Kind::ClientSecret => &mut secrets.client_secret,
            Kind::PrivateKey => &mut secrets.private_key_pem,
        }
    }

    /// Whether this secret of `profile` belongs in the keychain (when there is one).
    fn goes_to_keychain(self, profile: &Profile) -> bool {
        match self {
            Kind::ClientSecret => true,
            Kind::PrivateKey => profile.key_in_keychain,
        }
    }
}

/// A digest of what the keychain holds under an entry, to skip writes that change nothing
/// (the value itself is not kept).
type Fingerprint = [u8; 32];

fn fingerprint(value: &Secret) -> Fingerprint {
    Sha256::digest(value.expose().as_bytes()).into()
}

/// The keychain side of the profile store.
#[derive(Debug)]
pub struct SecretStore {
    file: PathBuf,
    keychain: Option<Keychain>,
    fallback_reason: Option<String>,
    /// Per entry `user`: what the keychain holds (`None`: nothing) as far as we know.
    known: HashMap<String, Option<Fingerprint>>,
}

/// What `SecretStore::store` decided: the part for the file, a problem if the keychain
/// failed on the way (everything is then in the file part), and notes on single secrets
/// kept in the file (too long for the keychain).
pub struct Stored {
    pub for_file: BTreeMap<String, ProfileSecrets>,
    pub moved_to_keychain: usize,
    pub problem: Option<String>,
    pub notes: Vec<String>,
}

impl SecretStore {
    /// Connect as `choice` says. Blocks at most `keychain::DEADLINE`; never on the UI
    /// thread. The problem, if any, is for the user (an explicit keychain that failed).
    pub fn open(file: PathBuf, choice: SecretsChoice) -> (SecretStore, Option<String>) {
        let mut store = SecretStore {
            file,
            keychain: None,
            fallback_reason: None,
            known: HashMap::new(),
        };
        if choice == SecretsChoice::File {
            store.fallback_reason = Some(format!(
                "the file was chosen ({}=file)",
                super::paths::SECRETS_ENV
            ));
            return (store, None);
        }
        match Keychain::connect(keychain::DEADLINE) {
            Ok(keychain) => {
                store.keychain = Some(keychain);
                (store, None)
            }
            Err(e) => {
                let problem = (choice == SecretsChoice::Keychain)
                    .then(|| format!("{e}; secrets are kept in the file instead"));
                store.fallback_reason = Some(e.to_string());
                (store, problem)
            }
        }
    }

    pub fn place(&self) -> SecretsPlace {
        SecretsPlace {
            keychain: self.keychain.as_ref().map(|k| k.name().to_string()),
            file: self.file.clone(),
            fallback_reason: self.fallback_reason.clone(),
        }
    }

    pub fn keychain(&self) -> Option<&Keychain> {
        self.keychain.as_ref()
    }

    /// Fill the secrets the file does not hold from the keychain. A keychain that fails
    /// is given up for this session, with a problem saying so.
    pub fn fill_from_keychain(
        &mut self,
        profiles: &[Profile],
        secrets: &mut BTreeMap<String, ProfileSecrets>,
        problems: &mut Vec<String>,
    ) {
        for profile in profiles {
            for kind in Kind::ALL {
                let Some(keychain) = self.keychain.clone() else {
                    return;
                };
                let user = kind.user(&profile.id);
                let slot = secrets.entry(profile.id.clone()).or_default();
                match keychain.get(&user) {
                    Ok(found) => {
                        self.known.insert(user, found.as_ref().map(fingerprint));
                        if let Some(value) = found.filter(|_| kind.of(slot).is_empty()) {
                            *kind.of_mut(slot) = value;
                        }
                    }
                    Err(e) => problems.push(self.give_up(&e, "reading secrets")),
                }
            }
        }
        secrets.retain(|_, s| !s.is_empty());
    }

    /// Whether the file holds a secret that belongs in the keychain (a migration to do).
    pub fn file_holds_keychain_secrets(
        &self,
        profiles: &[Profile],
        file: &BTreeMap<String, ProfileSecrets>,
    ) -> bool {
        self.keychain.is_some()
            && profiles.iter().any(|p| {
                file.get(&p.id).is_some_and(|s| {
                    Kind::ALL
                        .iter()
                        .any(|k| k.goes_to_keychain(p) && !k.of(s).is_empty())
                })
            })
    }

    /// Put each secret where it belongs: keychain entries written, updated or deleted, and
    /// the rest returned for the file. `verify` reads each written value back (migration).
    /// `removed` are profile ids that no longer exist: their entries are deleted.
    pub fn store(
        &mut self,
        profiles: &[Profile],
        secrets: &BTreeMap<String, ProfileSecrets>,
        removed: &[String],
        verify: bool,
    ) -> Stored {
        let all_to_file = || -> BTreeMap<String, ProfileSecrets> {
            profiles
                .iter()
                .filter_map(|p| secrets.get(&p.id).map(|s| (p.id.clone(), s.clone())))
                .collect()
        };
        if self.keychain.is_none() {
            return Stored {
                for_file: all_to_file(),
                moved_to_keychain: 0,
                problem: None,
                notes: Vec::new(),
            };
        }
        let mut notes = Vec::new();
        match self.sync_keychain(profiles, secrets, removed, verify, &mut notes) {
            Ok((for_file, moved_to_keychain)) => Stored {
                for_file,
                moved_to_keychain,
                problem: None,
                notes,
            },
            Err(e) => {
                let problem = self.give_up(&e, "storing secrets");
                Stored {
                    for_file: all_to_file(),
                    moved_to_keychain: 0,
                    problem: Some(problem),
                    notes,
                }
            }
        }
    }

    fn sync_keychain(
        &mut self,
        profiles: &[Profile],
        secrets: &BTreeMap<String, ProfileSecrets>,
        removed: &[String],
        verify: bool,
        notes: &mut Vec<String>,
    ) -> Result<(BTreeMap<String, ProfileSecrets>, usize), KeychainError> {
        let mut for_file = BTreeMap::new();
        let mut written = 0;
        for profile in profiles {
            let mut file_part = secrets.get(&profile.id).cloned().unwrap_or_default();
            for kind in Kind::ALL {
                let value = kind.of_mut(&mut file_part);
                if kind.goes_to_keychain(profile) && !value.is_empty() {
                    match self.put(profile, kind, value, verify) {
                        Ok(wrote) => {
                            written += usize::from(wrote);
                            *value = Secret::default();
                        }
                        // Too big for this keychain: this one stays in the file.
                        Err(e @ KeychainError::TooLong { .. }) => {
                            notes.push(format!("{e}; it is kept in {}", self.file.display()));
                            self.remove(&kind.user(&profile.id))?;
                        }
                        Err(e) => return Err(e),
                    }
                } else {
                    // Empty, or kept in the file: nothing of it stays in the keychain.
                    self.remove(&kind.user(&profile.id))?;
                }
            }
            if !file_part.is_empty() {
                for_file.insert(profile.id.clone(), file_part);
            }
        }
        for id in removed {
            for kind in Kind::ALL {
                self.remove(&kind.user(id))?;
            }
        }
        Ok((for_file, written))
    }

    /// Write one entry unless the keychain already holds that value; `true` if written.
    fn put(
        &mut self,
        profile: &Profile,
        kind: Kind,
        value: &Secret,
        verify: bool,
    ) -> Result<bool, KeychainError> {
        let Some(keychain) = self.keychain.clone() else {
            return Ok(false);
        };
        let user = kind.user(&profile.id);
        let print = fingerprint(value);
        if !verify && self.known.get(&user) == Some(&Some(print)) {
            return Ok(false);
        }
        keychain.set(&user, &kind.label(profile), value)?;
        if verify && keychain.get(&user)?.as_ref() != Some(value) {
            self.known.remove(&user);
            return Err(KeychainError::Refused {
                keychain: keychain.name(),
                what: format!("to keep {user}"),
                reason: "reading it back gave another value".into(),
            });
        }
        self.known.insert(user, Some(print));
        Ok(true)
    }

    /// Delete one entry unless we know it is not there.
    fn remove(&mut self, user: &str) -> Result<(), KeychainError> {
        let Some(keychain) = self.keychain.clone() else {
            return Ok(());
        };
        if self.known.get(user) == Some(&None) {
            return Ok(());
        }
        keychain.delete(user)?;
        self.known.insert(user.to_string(), None);
        Ok(())
    }

    /// Delete a profile's entries from the keychain ("Forget secrets").
    pub fn forget(&mut self, profile_id: &str) -> Result<(), String> {
        if self.keychain.is_none() {
            return Ok(());
        }
        for kind in Kind::ALL {
            if let Err(e) = self.remove(&kind.user(profile_id)) {
                return Err(self.give_up(&e, "forgetting secrets"));
            }
        }
        Ok(())
    }

    /// Stop using a keychain that failed; the message says what happened and where
    /// secrets go now.
    fn give_up(&mut self, e: &KeychainError, doing: &str) -> String {
        self.keychain = None;
        self.fallback_reason = Some(format!("{e} while {doing}"));
        format!(
            "{e} while {doing}; secrets are kept in {} (mode 0600) for now",
            self.file.display()
        )
    }
}
