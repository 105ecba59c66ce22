//! Native file dialogs (rfd), or the path typed beside them on machines without a dialog
//! backend. Every feature that reads or writes a user-chosen file resolves it here.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use super::{Event, Notice};

/// Where a file comes from or goes to: a native dialog, or a path typed by the user
/// (offered beside every dialog, for machines without a dialog backend).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileChoice {
    Dialog,
    Path(PathBuf),
}

/// How long a "dialog" may take before we believe a person answered it. A dialog with no
/// backend (no portal, no zenity) returns `None` at once, exactly like a cancel.
const INSTANT_DIALOG: Duration = Duration::from_millis(150);

const NO_DIALOG: &str = "no file dialog is available here (no desktop portal and no zenity): type a path in the field instead";

enum Picked {
    Path(PathBuf),
    Cancelled,
    Unavailable,
}

fn pick_open(title: &str) -> Picked {
    let started = Instant::now();
    let picked = rfd::FileDialog::new()
        .set_title(title)
        .add_filter("Keys", &["pem", "key", "der", "txt", "pub", "crt", "cer"])
        .add_filter("All files", &["*"])
        .pick_file();
    judge(picked, started)
}

fn pick_save(title: &str, file_name: &str) -> Picked {
    let started = Instant::now();
    let picked = rfd::FileDialog::new()
        .set_title(title)
        .set_file_name(file_name)
        .save_file();
    judge(picked, started)
}

fn judge(picked: Option<PathBuf>, started: Instant) -> Picked {
    match picked {
        Some(path) => Picked::Path(path),
        None if started.elapsed() < INSTANT_DIALOG => Picked::Unavailable,
        None => Picked::Cancelled,
    }
}

/// Why no path came out of a `FileChoice`: an event to send back as it is.
pub struct Unresolved(Notice);

impl From<Unresolved> for Event {
    fn from(unresolved: Unresolved) -> Event {
        Event::Notice(unresolved.0)
    }
}

/// A file to read: the typed path, or one picked in an open dialog titled `title`.
pub fn open_path(choice: FileChoice, title: &str) -> Result<PathBuf, Unresolved> {
    resolve(choice, || pick_open(title))
}

/// A file to write: the typed path, or one picked in a save dialog proposing `file_name`.
pub fn save_path(choice: FileChoice, title: &str, file_name: &str) -> Result<PathBuf, Unresolved> {
    resolve(choice, || pick_save(title, file_name))
}

fn resolve(choice: FileChoice, pick: impl FnOnce() -> Picked) -> Result<PathBuf, Unresolved> {
    match choice {
        FileChoice::Path(path) if path.as_os_str().is_empty() => Err(Unresolved(Notice::Failed(
            "type a file path first".to_string(),
        ))),
        FileChoice::Path(path) => Ok(path),
        FileChoice::Dialog => match pick() {
            Picked::Path(path) => Ok(path),
            Picked::Cancelled => Err(Unresolved(Notice::Cancelled)),
            Picked::Unavailable => {
                Err(Unresolved(Notice::DialogUnavailable(NO_DIALOG.to_string())))
            }
        },
    }
}
