//! Where things live: the platform's config and data directories (`directories`), or one
//! folder named by `SNAP_CONSOLE_HOME` (tests and portable installs use it); and where the
//! secrets go: the OS keychain when one answers, else the 0600 file (`SNAP_CONSOLE_SECRETS`).

use std::path::PathBuf;

/// Set to a folder to keep everything (config and data) under it.
pub const HOME_ENV: &str = "SNAP_CONSOLE_HOME";

/// `file`, `keychain` or `auto` (the default): where secrets are kept.
pub const SECRETS_ENV: &str = "SNAP_CONSOLE_SECRETS";

/// Where secrets are kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SecretsChoice {
    /// The OS keychain when one answers within a few seconds, else the file.
    #[default]
    Auto,
    /// The OS keychain; when it does not answer, the file, with a problem reported.
    Keychain,
    /// Only the 0600 file (headless machines, tests, portable installs).
    File,
}

impl SecretsChoice {
    /// `SNAP_CONSOLE_SECRETS`: unset or empty is `Auto`; anything unknown is an error that
    /// names the variable and the accepted words.
    pub fn from_env() -> Result<SecretsChoice, String> {
        let value = std::env::var(SECRETS_ENV).unwrap_or_default();
        match value.trim().to_ascii_lowercase().as_str() {
            "" | "auto" => Ok(SecretsChoice::Auto),
            "keychain" => Ok(SecretsChoice::Keychain),
            "file" => Ok(SecretsChoice::File),
            other => Err(format!(
                "{SECRETS_ENV}={other:?} is not one of file, keychain, auto; using auto"
            )),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppPaths {
    /// Profiles and their secrets.
    pub config_dir: PathBuf,
    /// History and other data.
    pub data_dir: PathBuf,
    /// Where secrets go (`SNAP_CONSOLE_SECRETS`, or set by a caller that knows better).
    pub secrets: SecretsChoice,
}

impl AppPaths {
    /// Everything under one folder; secrets where `SNAP_CONSOLE_SECRETS` says.
    pub fn under(root: impl Into<PathBuf>) -> Self {
        let root = root.into();
        AppPaths {
            config_dir: root.join("config"),
            data_dir: root.join("data"),
            secrets: SecretsChoice::from_env().unwrap_or_default(),
        }
    }

    /// The same places with secrets kept as `choice` says.
    pub fn with_secrets(mut self, choice: SecretsChoice) -> Self {
        self.secrets = choice;
        self
    }

    /// `SNAP_CONSOLE_HOME` if set, else the platform directories, else `./.snap-console`
    /// (a machine without a home directory still gets a working console).
    pub fn discover() -> Self {
        if let Some(root) = std::env::var_os(HOME_ENV).filter(|v| !v.is_empty()) {
            return AppPaths::under(root);
        }
        match directories::ProjectDirs::from("id", "SNAP Console", "snap-console") {
            Some(dirs) => AppPaths {
                config_dir: dirs.config_dir().to_path_buf(),
                data_dir: dirs.data_dir().to_path_buf(),
                secrets: SecretsChoice::from_env().unwrap_or_default(),
            },
            None => AppPaths::under(".snap-console"),
        }
    }

    pub fn profiles_file(&self) -> PathBuf {
        self.config_dir.join("profiles.json")
    }

    pub fn secrets_file(&self) -> PathBuf {
        self.config_dir.join("secrets.json")
    }

    /// The user's own test suites (`snap-console test --copy`, "Save to suite").
    pub fn suites_dir(&self) -> PathBuf {
        self.config_dir.join("suites")
    }

    pub fn keys_dir(&self) -> PathBuf {
        self.config_dir.join("keys")
    }
}
