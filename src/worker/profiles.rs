//! Profiles on the worker: load and save the profiles and their secrets (the files and the
//! OS keychain, whose calls may block on D-Bus for seconds: never on the UI), forget a
//! profile's secrets, and make the first-run "Local sandbox" profile (a key generation).

use std::sync::Mutex;

use super::{Event, WorkerContext, blocking, failed, setup};
use crate::model::ProfileBook;
use crate::store::paths::AppPaths;
use crate::store::profiles::{Loaded, ProfileStore, SaveReport};

#[derive(Debug)]
pub enum ProfilesCommand {
    Load,
    /// First run: make the "Local sandbox" profile with fresh credentials.
    CreateSandboxProfile,
    /// Save the book; refused with the reason while saving is blocked. `generation`
    /// grows with every save the window asks for: an older save that runs late (each
    /// command is its own task) is skipped instead of undoing a newer one.
    Save {
        book: ProfileBook,
        blocked: Option<String>,
        generation: u64,
    },
    /// Remove a profile's secrets from the keychain and the file. `book` is the window's
    /// book with them already cleared; it is saved first, under the same generation rule.
    ForgetSecrets {
        profile_id: String,
        book: ProfileBook,
        blocked: Option<String>,
        generation: u64,
    },
}

#[derive(Debug)]
pub enum ProfilesEvent {
    Loaded(Loaded),
    SandboxProfileCreated(Box<setup::SandboxProfile>),
    Saved(Result<SaveReport, String>),
    /// What "Forget secrets" removed, and from where; or why it could not.
    Forgotten(Result<String, String>),
}

/// The session's profile store (opened on the first load: that connects to the keychain)
/// and the newest save generation applied.
#[derive(Debug, Default)]
pub struct ProfileSlot {
    store: Option<ProfileStore>,
    generation: u64,
}

pub async fn handle(command: ProfilesCommand, context: &WorkerContext) -> Event {
    let paths = context.paths.clone();
    let state = context.state.clone();
    blocking(move || match command {
        ProfilesCommand::CreateSandboxProfile => match setup::sandbox_profile() {
            Ok(made) => Event::Profiles(ProfilesEvent::SandboxProfileCreated(Box::new(made))),
            Err(e) => failed(e),
        },
        other => with_store(&state.profiles, &paths, other),
    })
    .await
}

/// Run a command that needs the store, holding its lock: saves never interleave.
fn with_store(slot: &Mutex<ProfileSlot>, paths: &AppPaths, command: ProfilesCommand) -> Event {
    let Ok(mut slot) = slot.lock() else {
        return failed(
            "the profile store is unusable after an earlier failure; restart the console",
        );
    };
    let slot = &mut *slot;
    let store = slot.store.get_or_insert_with(|| ProfileStore::open(paths));
    let event = match command {
        ProfilesCommand::Load => ProfilesEvent::Loaded(store.load()),
        ProfilesCommand::Save {
            book,
            blocked,
            generation,
        } => {
            if generation < slot.generation {
                return Event::Profiles(ProfilesEvent::Saved(Ok(SaveReport {
                    secrets_place: store.secrets_place(),
                    problems: Vec::new(),
                })));
            }
            slot.generation = generation;
            ProfilesEvent::Saved(
                store
                    .save(&book, blocked.as_deref())
                    .map_err(|e| e.to_string()),
            )
        }
        ProfilesCommand::ForgetSecrets {
            profile_id,
            book,
            blocked,
            generation,
        } => {
            slot.generation = slot.generation.max(generation);
            let outcome = store
                .save(&book, blocked.as_deref())
                .and_then(|_| store.forget_secrets(&profile_id));
            ProfilesEvent::Forgotten(outcome.map_err(|e| e.to_string()))
        }
        ProfilesCommand::CreateSandboxProfile => return failed("not a store command"),
    };
    Event::Profiles(event)
}
