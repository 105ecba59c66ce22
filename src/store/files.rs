//! Small file primitives with the house rules built in: atomic writes (temp file in the
//! same directory, fsync, rename), secrets created mode 0600, and reads with a size cap and
//! messages that name the file.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// How long a named pipe given as an input may stay silent. A process substitution
/// (`--body-file <(jq …)`) writes at once; a FIFO that nothing writes to would otherwise
/// block the command (or the worker) forever.
pub const PIPE_WAIT: Duration = Duration::from_secs(5);

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
    let file = open_for_reading(path).map_err(read_err)?;
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

/// Open an input file; a named pipe is opened without waiting for a writer and then given
/// [`PIPE_WAIT`] to deliver its first bytes.
fn open_for_reading(path: &Path) -> io::Result<File> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if fs::metadata(path).is_ok_and(|m| m.file_type().is_fifo()) {
            return open_pipe(path, PIPE_WAIT);
        }
    }
    File::open(path)
}

/// Open a named pipe for reading: `O_NONBLOCK` so that `open` returns at once, then wait
/// up to `wait` for data (or the writer's end), then blocking reads to the writer's end.
#[cfg(unix)]
fn open_pipe(path: &Path, wait: Duration) -> io::Result<File> {
    use rustix::event::{PollFd, PollFlags, Timespec, poll};
    use rustix::fs::{OFlags, fcntl_getfl, fcntl_setfl};
    use std::os::unix::fs::OpenOptionsExt;

    let file = OpenOptions::new()
        .read(true)
        .custom_flags(OFlags::NONBLOCK.bits() as i32)
        .open(path)?;
    let timeout = Timespec {
        tv_sec: wait.as_secs().try_into().unwrap_or(i64::MAX),
        tv_nsec: 0,
    };
    let ready = loop {
        let mut fds = [PollFd::new(&file, PollFlags::IN)];
        match poll(&mut fds, Some(&timeout)) {
            Err(rustix::io::Errno::INTR) => continue,
            other => break other?,
        }
    };
    if ready == 0 {
        return Err(io::Error::new(
            io::ErrorKind::TimedOut,
            format!(
                "it is a named pipe and nothing wrote to it within {} s (is the program \
                 that writes to it running?)",
                wait.as_secs()
            ),
        ));
    }
    let flags = fcntl_getfl(&file)?;
    fcntl_setfl(&file, flags - OFlags::NONBLOCK)?;
    Ok(file)
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

/// Whether two user-given paths name the same file once resolved: `./k.pem`, `k.pem`, a
/// path through a symlinked folder and a symlink to the file all count as the same, whether
/// the file exists yet or not (two outputs must never land in one file).
pub fn same_destination(a: &Path, b: &Path) -> bool {
    resolve_destination(a) == resolve_destination(b)
}

/// Where writing to `path` ends up: the canonical path when it exists; otherwise the
/// canonical parent folder joined with the name (a dangling symlink is followed one step).
fn resolve_destination(path: &Path) -> PathBuf {
    if let Ok(real) = fs::canonicalize(path) {
        return real;
    }
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let parent = fs::canonicalize(&parent).unwrap_or(parent);
    if let Ok(target) = fs::read_link(path) {
        let target = parent.join(target);
        if let (Some(dir), Some(name)) = (target.parent(), target.file_name()) {
            return fs::canonicalize(dir)
                .unwrap_or(dir.to_path_buf())
                .join(name);
        }
        return target;
    }
    match path.file_name() {
        Some(name) => parent.join(name),
        None => parent,
    }
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
    fn same_destination_sees_through_dots_and_symlinks() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let key = dir.path().join("k.pem");
        let dotted = dir.path().join(".").join("k.pem");
        assert!(same_destination(&key, &dotted), "not yet existing");
        assert!(!same_destination(&key, &dir.path().join("j.pem")));
        #[cfg(unix)]
        {
            let link = dir.path().join("link.pem");
            std::os::unix::fs::symlink(&key, &link)?;
            assert!(same_destination(&key, &link), "dangling symlink");
            fs::write(&key, b"x")?;
            assert!(
                same_destination(&link, &dotted),
                "symlink to an existing file"
            );
        }
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
