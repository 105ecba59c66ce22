//! Small file primitives with the house rules built in: atomic writes (temp file in the
//! same directory, fsync, rename), secrets created mode 0600, and reads with a size cap and
//! messages that name the file.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum FileError {
    #[error("cannot read {path}: {source}")]
    Read { path: PathBuf, source: io::Error },
    #[error("cannot write {path}: {source}")]
    Write { path: PathBuf, source: io::Error },
    #[error("{path} is larger than {limit} bytes")]
    TooLarge { path: PathBuf, limit: u64 },
    #[error("{path} already exists; refusing to overwrite it (use --force, or pick another name)")]
    Exists { path: PathBuf },
}

/// Whether a file holds a secret: decides its permissions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sensitivity {
    Public,
    Secret,
}

/// Read a whole file, refusing files over `limit` bytes (a key or body, not a disk image).
pub fn read_capped(path: &Path, limit: u64) -> Result<Vec<u8>, FileError> {
    let read_err = |source| FileError::Read {
        path: path.to_path_buf(),
        source,
    };
    let file = File::open(path).map_err(read_err)?;
    let mut bytes = Vec::new();
    file.take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(read_err)?;
    if bytes.len() as u64 > limit {
        return Err(FileError::TooLarge {
            path: path.to_path_buf(),
            limit,
        });
    }
    Ok(bytes)
}

/// Write `bytes` to `path` atomically: readers see the old file or the new one, never half.
/// Secret files are created 0600 from the start (not chmod-ed after the fact).
pub fn write_atomic(path: &Path, bytes: &[u8], sensitivity: Sensitivity) -> Result<(), FileError> {
    let write_err = |source| FileError::Write {
        path: path.to_path_buf(),
        source,
    };
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "file".to_string());
    let temp = dir.join(format!(
        ".{file_name}.tmp-{}-{}",
        std::process::id(),
        unique_suffix()
    ));
    let result = (|| {
        let mut file = create_new(&temp, sensitivity)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        drop(file);
        fs::rename(&temp, path)?;
        // Make the rename itself durable.
        if let Ok(d) = File::open(&dir) {
            let _ = d.sync_all();
        }
        Ok(())
    })();
    if result.is_err() {
        let _ = fs::remove_file(&temp);
    }
    result.map_err(write_err)
}

/// Like `write_atomic`, but refuses to replace an existing file (keys are not overwritten
/// by accident).
pub fn write_new(path: &Path, bytes: &[u8], sensitivity: Sensitivity) -> Result<(), FileError> {
    if path.exists() {
        return Err(FileError::Exists {
            path: path.to_path_buf(),
        });
    }
    write_atomic(path, bytes, sensitivity)
}

fn create_new(path: &Path, sensitivity: Sensitivity) -> io::Result<File> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(match sensitivity {
            Sensitivity::Secret => 0o600,
            Sensitivity::Public => 0o644,
        });
    }
    #[cfg(not(unix))]
    let _ = sensitivity;
    options.open(path)
}

fn unique_suffix() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atomic_write_replaces_and_secret_is_0600() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("secret.pem");
        write_atomic(&path, b"one", Sensitivity::Secret)?;
        write_atomic(&path, b"two", Sensitivity::Secret)?;
        assert_eq!(fs::read(&path)?, b"two");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(fs::metadata(&path)?.permissions().mode() & 0o777, 0o600);
        }
        assert!(matches!(
            write_new(&path, b"three", Sensitivity::Secret),
            Err(FileError::Exists { .. })
        ));
        assert_eq!(fs::read_dir(dir.path())?.count(), 1, "no temp file left");
        Ok(())
    }

    #[test]
    fn capped_read_names_the_file() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("big");
        fs::write(&path, vec![b'x'; 100])?;
        let err = read_capped(&path, 10)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            err.contains("big") && err.contains("larger than 10"),
            "{err}"
        );
        let missing = read_capped(&dir.path().join("nope"), 10)
            .err()
            .map(|e| e.to_string());
        assert!(missing.unwrap_or_default().contains("nope"));
        Ok(())
    }
}
