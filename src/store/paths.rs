//! Where things live: the platform's config and data directories (`directories`), or one
//! folder named by `SNAP_CONSOLE_HOME` (tests and portable installs use it).

use std::path::PathBuf;

/// Set to a folder to keep everything (config and data) under it.
pub const HOME_ENV: &str = "SNAP_CONSOLE_HOME";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppPaths {
    /// Profiles and their secrets.
    pub config_dir: PathBuf,
    /// History and other data.
    pub data_dir: PathBuf,
}

impl AppPaths {
    /// Everything under one folder.
    pub fn under(root: impl Into<PathBuf>) -> Self {
        let root = root.into();
        AppPaths {
            config_dir: root.join("config"),
            data_dir: root.join("data"),
        }
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
