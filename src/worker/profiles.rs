//! Profiles on the worker: load and save the two profile files, and make the first-run
//! "Local sandbox" profile (a key generation: seconds in a debug build, never on the UI).

use super::{Event, WorkerContext, blocking, failed, setup};
use crate::model::ProfileBook;
use crate::store::profiles::{self, Loaded};

#[derive(Debug)]
pub enum ProfilesCommand {
    Load,
    /// First run: make the "Local sandbox" profile with fresh credentials.
    CreateSandboxProfile,
    /// Save the book; refused with the reason while saving is blocked.
    Save {
        book: ProfileBook,
        blocked: Option<String>,
    },
}

#[derive(Debug)]
pub enum ProfilesEvent {
    Loaded(Loaded),
    SandboxProfileCreated(Box<setup::SandboxProfile>),
    Saved(Result<(), String>),
}

pub async fn handle(command: ProfilesCommand, context: &WorkerContext) -> Event {
    let paths = context.paths.clone();
    blocking(move || match command {
        ProfilesCommand::Load => Event::Profiles(ProfilesEvent::Loaded(profiles::load(&paths))),
        ProfilesCommand::CreateSandboxProfile => match setup::sandbox_profile() {
            Ok(made) => Event::Profiles(ProfilesEvent::SandboxProfileCreated(Box::new(made))),
            Err(e) => failed(e),
        },
        ProfilesCommand::Save { book, blocked } => Event::Profiles(ProfilesEvent::Saved(
            profiles::save(&paths, &book, blocked.as_deref()).map_err(|e| e.to_string()),
        )),
    })
    .await
}
