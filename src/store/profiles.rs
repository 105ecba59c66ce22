//! Credential profiles on disk.
//!
//! Two files in the config dir: `profiles.json` (everything that is not secret) and
//! `secrets.json` (client secrets and private keys), the latter created mode 0600. Both are
//! written atomically. A file that cannot be parsed is renamed aside (never deleted) and the
//! console starts with what it could read; a file that cannot be *read* blocks saving, so a
//! permission problem never turns into an overwrite.

use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::files::{self, FileError, Sensitivity};
use super::paths::AppPaths;
pub use crate::model::profile::{
    Profile, ProfileBook, ProfileSecrets, SignatureMode, TimestampStyle, new_profile_id,
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
}

/// Read both files. Never fails: problems are reported in `Loaded`.
pub fn load(paths: &AppPaths) -> Loaded {
    let mut loaded = Loaded::default();
    let profiles_path = paths.profiles_file();
    let secrets_path = paths.secrets_file();
    let profiles: Option<ProfilesFile> = read_json(&profiles_path, &mut loaded);
    let secrets: Option<SecretsFile> = read_json(&secrets_path, &mut loaded);
    loaded.first_run = !profiles_path.exists() && !secrets_path.exists();
    if let Some(file) = profiles {
        loaded.book.profiles = file.profiles;
        loaded.book.active = file.active;
    }
    if let Some(file) = secrets {
        loaded.book.secrets = file.secrets;
    }
    let book = &mut loaded.book;
    if book.active_profile().is_none() {
        book.active = book.profiles.first().map(|p| p.id.clone());
    }
    loaded
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

/// Write both files atomically; the secrets file mode 0600.
pub fn save(paths: &AppPaths, book: &ProfileBook, blocked: Option<&str>) -> Result<(), StoreError> {
    if let Some(reason) = blocked {
        return Err(StoreError::Blocked(reason.to_string()));
    }
    std::fs::create_dir_all(&paths.config_dir).map_err(|source| StoreError::CreateDir {
        path: paths.config_dir.clone(),
        source,
    })?;
    let profiles = ProfilesFile {
        v: FORMAT_VERSION,
        active: book.active.clone(),
        profiles: book.profiles.clone(),
    };
    // Only secrets of profiles that still exist are kept.
    let secrets = SecretsFile {
        v: FORMAT_VERSION,
        secrets: book
            .secrets
            .iter()
            .filter(|(id, _)| book.profiles.iter().any(|p| &p.id == *id))
            .map(|(id, s)| (id.clone(), s.clone()))
            .collect(),
    };
    let encode = |e: serde_json::Error| StoreError::Encode(e.to_string());
    let profiles_json = serde_json::to_vec_pretty(&profiles).map_err(encode)?;
    let secrets_json =
        zeroize::Zeroizing::new(serde_json::to_vec_pretty(&secrets).map_err(encode)?);
    files::write_atomic(&paths.secrets_file(), &secrets_json, Sensitivity::Secret)?;
    files::write_atomic(&paths.profiles_file(), &profiles_json, Sensitivity::Public)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

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
        let paths = AppPaths::under(dir.path());
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
