//! Credential profiles on disk, and their secrets wherever they live.
//!
//! `profiles.json` in the config dir holds everything that is not secret. Secrets go to the
//! OS keychain when one answers (client secrets, and private keys of profiles that ask for
//! it: `store::secrets`), and to `secrets.json`, created mode 0600, otherwise. Both files
//! are written atomically. A file that cannot be parsed is renamed aside (never deleted)
//! and the console starts with what it could read; a file that cannot be *read* blocks
//! saving, so a permission problem never turns into an overwrite. Secrets found in
//! `secrets.json` that belong in the keychain are moved there on load: written, read back
//! and compared, and only then removed from the file.

use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::files::{self, FileError, Sensitivity};
use super::paths::AppPaths;
use super::secrets::SecretStore;
pub use crate::model::profile::{
    Profile, ProfileBook, ProfileSecrets, SecretsPlace, SignatureMode, TimestampStyle,
    new_profile_id,
};

/// The format version written in both files; a newer one is refused, not overwritten.
pub const FORMAT_VERSION: u32 = 1;

#[derive(Serialize, Deserialize)]
struct ProfilesFile {
    v: u32,
    #[serde(default)]
    active: Option<String>,
    #[serde(default)]
    profiles: Vec<Profile>,
}

#[derive(Serialize, Deserialize)]
struct SecretsFile {
    v: u32,
    #[serde(default)]
    secrets: BTreeMap<String, ProfileSecrets>,
}

/// What loading found: the book, and problems to show (each says what and where).
#[derive(Debug, Default)]
pub struct Loaded {
    pub book: ProfileBook,
    pub problems: Vec<String>,
    /// Saving is refused while set: a file we could not read must not be overwritten.
    pub save_blocked: Option<String>,
    /// Neither file existed: a first run.
    pub first_run: bool,
    /// Where the secrets are kept (the note in the credentials panel).
    pub secrets_place: SecretsPlace,
    /// Secrets moved from `secrets.json` to the keychain on this load, said in words.
    pub migrated: Option<String>,
}

/// What a save did besides writing: where secrets are now, and what went wrong on the way
/// without losing anything (a keychain that failed: its secrets went to the file).
#[derive(Debug, Default)]
pub struct SaveReport {
    pub secrets_place: SecretsPlace,
    pub problems: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{0}")]
    File(#[from] FileError),
    #[error("cannot create {path}: {source}")]
    CreateDir { path: PathBuf, source: io::Error },
    #[error("saving is disabled: {0}")]
    Blocked(String),
    #[error("cannot encode profiles: {0}")]
    Encode(String),
    #[error("{0}")]
    Keychain(String),
}

/// Read both files and the keychain. Never fails: problems are reported in `Loaded`.
pub fn load(paths: &AppPaths) -> Loaded {
    ProfileStore::open(paths).load()
}

/// Write both files (and the keychain) atomically; the secrets file mode 0600.
pub fn save(
    paths: &AppPaths,
    book: &ProfileBook,
    blocked: Option<&str>,
) -> Result<SaveReport, StoreError> {
    ProfileStore::open(paths).save(book, blocked)
}

/// The profiles and where their secrets go. Opening connects to the keychain (bounded by
/// a few seconds): do it off the UI thread. The window keeps one for its session, the
/// command line one per command.
#[derive(Debug)]
pub struct ProfileStore {
    paths: AppPaths,
    secrets: SecretStore,
    /// A problem found when opening, reported by the next load.
    open_problem: Option<String>,
}

impl ProfileStore {
    pub fn open(paths: &AppPaths) -> ProfileStore {
        let (secrets, mut open_problem) = SecretStore::open(paths.secrets_file(), paths.secrets);
        if let Err(e) = super::paths::SecretsChoice::from_env() {
            open_problem = Some(e);
        }
        ProfileStore {
            paths: paths.clone(),
            secrets,
            open_problem,
        }
    }

    pub fn secrets_place(&self) -> SecretsPlace {
        self.secrets.place()
    }

    /// Read both files, fill secrets from the keychain, move file secrets that belong in
    /// the keychain over.
    pub fn load(&mut self) -> Loaded {
        let mut loaded = Loaded::default();
        loaded.problems.extend(self.open_problem.take());
        let profiles_path = self.paths.profiles_file();
        let secrets_path = self.paths.secrets_file();
        let profiles: Option<ProfilesFile> = read_json(&profiles_path, &mut loaded);
        let secrets: Option<SecretsFile> = read_json(&secrets_path, &mut loaded);
        loaded.first_run = !profiles_path.exists() && !secrets_path.exists();
        if let Some(file) = profiles {
            loaded.book.profiles = file.profiles;
            loaded.book.active = file.active;
        }
        let in_file = secrets.map(|file| file.secrets).unwrap_or_default();
        let mut all = in_file.clone();
        let profiles = &loaded.book.profiles;
        self.secrets
            .fill_from_keychain(profiles, &mut all, &mut loaded.problems);
        if loaded.save_blocked.is_none()
            && self.secrets.file_holds_keychain_secrets(profiles, &in_file)
        {
            let outcome = self.migrate(profiles, &all, &mut loaded.problems);
            match outcome {
                Ok(text) => loaded.migrated = Some(text),
                Err(problem) => loaded.problems.push(problem),
            }
        }
        loaded.book.secrets = all;
        let book = &mut loaded.book;
        if book.active_profile().is_none() {
            book.active = book.profiles.first().map(|p| p.id.clone());
        }
        loaded.secrets_place = self.secrets.place();
        loaded
    }

    /// Write every keychain-bound secret to the keychain, read each back, and only when
    /// all match rewrite `secrets.json` without them. On any failure the file is kept.
    fn migrate(
        &mut self,
        profiles: &[Profile],
        all: &BTreeMap<String, ProfileSecrets>,
        problems: &mut Vec<String>,
    ) -> Result<String, String> {
        let file = self.paths.secrets_file();
        let stored = self.secrets.store(profiles, all, &[], true);
        problems.extend(stored.notes);
        if let Some(problem) = stored.problem {
            return Err(format!("{problem}; {} was kept as it was", file.display()));
        }
        write_secrets(&self.paths, &stored.for_file).map_err(|e| {
            format!(
                "secrets were copied to the keychain but {} could not be rewritten ({e}); it still holds them",
                file.display()
            )
        })?;
        let keychain = self.secrets.place().keychain.unwrap_or_default();
        Ok(format!(
            "moved {} secret(s) from {} to the {keychain}",
            stored.moved_to_keychain,
            file.display()
        ))
    }

    /// Write both files and the keychain. Secrets of profiles no longer in the book are
    /// deleted from the keychain after the files are written.
    pub fn save(
        &mut self,
        book: &ProfileBook,
        blocked: Option<&str>,
    ) -> Result<SaveReport, StoreError> {
        if let Some(reason) = blocked {
            return Err(StoreError::Blocked(reason.to_string()));
        }
        let config_dir = &self.paths.config_dir;
        std::fs::create_dir_all(config_dir).map_err(|source| StoreError::CreateDir {
            path: config_dir.clone(),
            source,
        })?;
        let removed = self.removed_ids(book);
        let stored = self
            .secrets
            .store(&book.profiles, &book.secrets, &[], false);
        let mut report = SaveReport {
            problems: stored.problem.into_iter().chain(stored.notes).collect(),
            ..SaveReport::default()
        };
        write_secrets(&self.paths, &stored.for_file)?;
        write_profiles(&self.paths, book)?;
        let cleanup = self.secrets.store(&[], &BTreeMap::new(), &removed, false);
        report.problems.extend(cleanup.problem);
        report.secrets_place = self.secrets.place();
        Ok(report)
    }

    /// Profile ids in `profiles.json` on disk that `book` no longer has.
    fn removed_ids(&self, book: &ProfileBook) -> Vec<String> {
        let mut scratch = Loaded::default();
        let on_disk: Option<ProfilesFile> = read_json(&self.paths.profiles_file(), &mut scratch);
        on_disk
            .map(|file| file.profiles)
            .unwrap_or_default()
            .into_iter()
            .map(|p| p.id)
            .filter(|id| !book.profiles.iter().any(|p| &p.id == id))
            .collect()
    }

    /// "Forget secrets": remove a profile's secrets from the keychain and from
    /// `secrets.json`. Says where they were removed from.
    pub fn forget_secrets(&mut self, profile_id: &str) -> Result<String, StoreError> {
        let mut scratch = Loaded::default();
        let file: Option<SecretsFile> = read_json(&self.paths.secrets_file(), &mut scratch);
        if let Some(reason) = scratch.save_blocked {
            return Err(StoreError::Blocked(reason));
        }
        let mut places = Vec::new();
        if let Some(mut file) = file {
            if file.secrets.remove(profile_id).is_some() {
                write_secrets(&self.paths, &file.secrets)?;
            }
            places.push(self.paths.secrets_file().display().to_string());
        }
        let keychain = self.secrets.place().keychain;
        match (self.secrets.forget(profile_id), keychain) {
            (Ok(()), Some(name)) => places.insert(0, format!("the {name}")),
            (Ok(()), None) => {}
            (Err(problem), _) => return Err(StoreError::Keychain(problem)),
        }
        Ok(format!(
            "secrets forgotten (removed from {})",
            places.join(" and ")
        ))
    }
}

fn read_json<T: for<'de> Deserialize<'de> + HasVersion>(
    path: &Path,
    loaded: &mut Loaded,
) -> Option<T> {
    let bytes = match files::read_capped(path, 64 * 1024 * 1024) {
        Ok(bytes) => bytes,
        Err(FileError::Read { source, .. }) if source.kind() == io::ErrorKind::NotFound => {
            return None;
        }
        Err(e) => {
            let message = format!(
                "{e}; nothing will be saved until this is fixed, so the file is not overwritten"
            );
            loaded.problems.push(message.clone());
            loaded.save_blocked = Some(message);
            return None;
        }
    };
    match serde_json::from_slice::<T>(&bytes) {
        Ok(file) if file.version() > FORMAT_VERSION => {
            let message = format!(
                "{} was written by a newer SNAP Console (format {}, this one knows {FORMAT_VERSION}); it is left untouched and nothing will be saved",
                path.display(),
                file.version()
            );
            loaded.problems.push(message.clone());
            loaded.save_blocked = Some(message);
            None
        }
        Ok(file) => Some(file),
        Err(e) => {
            let aside = set_aside(path);
            let where_kept = match &aside {
                Ok(new_path) => format!("it was kept aside as {}", new_path.display()),
                Err(err) => format!("it could not be moved aside ({err})"),
            };
            let message = format!(
                "{} is not valid (line {}, column {}: {}); {where_kept}, and the console started without it",
                path.display(),
                e.line(),
                e.column(),
                classify(&e)
            );
            if aside.is_err() {
                loaded.save_blocked = Some(message.clone());
            }
            loaded.problems.push(message);
            None
        }
    }
}

fn classify(e: &serde_json::Error) -> &'static str {
    match e.classify() {
        serde_json::error::Category::Syntax => "not JSON",
        serde_json::error::Category::Eof => "the file ends early",
        serde_json::error::Category::Data => "unexpected content",
        serde_json::error::Category::Io => "read error",
    }
}

/// Rename a bad file to `<name>.corrupt-<time>` next to it.
fn set_aside(path: &Path) -> io::Result<PathBuf> {
    let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%S");
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let target = path.with_file_name(format!("{name}.corrupt-{stamp}"));
    std::fs::rename(path, &target)?;
    Ok(target)
}

trait HasVersion {
    fn version(&self) -> u32;
}
impl HasVersion for ProfilesFile {
    fn version(&self) -> u32 {
        self.v
    }
}
impl HasVersion for SecretsFile {
    fn version(&self) -> u32 {
        self.v
    }
}

fn write_secrets(
    paths: &AppPaths,
    secrets: &BTreeMap<String, ProfileSecrets>,
) -> Result<(), StoreError> {
    let file = SecretsFile {
        v: FORMAT_VERSION,
        secrets: secrets.clone(),
    };
    let json = serde_json::to_vec_pretty(&file).map_err(|e| StoreError::Encode(e.to_string()))?;
    let json = zeroize::Zeroizing::new(json);
    files::write_atomic(&paths.secrets_file(), &json, Sensitivity::Secret)?;
    Ok(())
}

fn write_profiles(paths: &AppPaths, book: &ProfileBook) -> Result<(), StoreError> {
    let file = ProfilesFile {
        v: FORMAT_VERSION,
        active: book.active.clone(),
        profiles: book.profiles.clone(),
    };
    let json = serde_json::to_vec_pretty(&file).map_err(|e| StoreError::Encode(e.to_string()))?;
    files::write_atomic(&paths.profiles_file(), &json, Sensitivity::Public)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::paths::SecretsChoice;

    fn sample() -> ProfileBook {
        let profile = Profile {
            id: "p1".into(),
            name: "Local sandbox".into(),
            client_id: "client".into(),
            ..Profile::default()
        };
        let mut book = ProfileBook {
            active: Some("p1".into()),
            profiles: vec![profile],
            ..ProfileBook::default()
        };
        book.secrets.insert(
            "p1".into(),
            ProfileSecrets {
                client_secret: "s3cret-value".into(),
                private_key_pem: "PEM".into(),
                client_cert_key_pem: "mtls-key-value".into(),
            },
        );
        book
    }

    #[test]
    fn round_trip_keeps_secrets_out_of_the_profiles_file() -> Result<(), Box<dyn std::error::Error>>
    {
        let dir = tempfile::tempdir()?;
        let paths = AppPaths::under(dir.path()).with_secrets(SecretsChoice::File);
        let book = sample();
        save(&paths, &book, None)?;
        let loaded = load(&paths);
        assert!(loaded.problems.is_empty(), "{:?}", loaded.problems);
        assert_eq!(loaded.book, book);
        let public = std::fs::read_to_string(paths.profiles_file())?;
        assert!(!public.contains("s3cret-value"));
        assert!(!public.contains("mtls-key-value"));
        assert!(std::fs::read_to_string(paths.secrets_file())?.contains("s3cret-value"));
        assert!(
            !format!("{:?}", loaded.book).contains("s3cret-value"),
            "Debug must redact"
        );
        Ok(())
    }

    #[test]
    fn unique_names() {
        let book = sample();
        assert_eq!(book.unique_name("Local sandbox"), "Local sandbox (2)");
        assert_eq!(book.unique_name("Other"), "Other");
    }
}
