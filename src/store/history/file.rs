//! The history file, `{data_dir}/history.jsonl`: one exchange a line, appended and flushed
//! one entry at a time.
//!
//! Crash safety (DESIGN.md: append-only with torn-tail recovery):
//! - a last line that does not parse (the console stopped mid-write) is skipped and
//!   reported; a last line that parses but lacks its newline is kept, and the next append
//!   writes the newline first;
//! - any other line that does not parse is copied to `history.jsonl.bad-<time>` (raw, one a
//!   line, so it can be fixed and appended back) and reported with its line number; only
//!   once it is safely copied is it dropped from the history file;
//! - a line with a `v` above [`HISTORY_FORMAT_VERSION`] refuses the whole file, which is then
//!   never written (no store is returned to write with).
//!
//! The window and `snap-console send` may write the same file at once. Every write holds an
//! advisory lock (`history.jsonl.lock`) and first reads what others appended since, and each
//! append opens the file anew, so a rewrite (delete, clear, retention) by one never drops an
//! entry the other appended.
//!
//! Rewrites copy the kept lines' bytes from the file as they are (no re-serialising), then
//! replace the file atomically. Retention is exact in memory; the file is compacted once the
//! entries beyond the limit exceed a tenth of it, so a full history is not rewritten on
//! every append.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::parse::{Parsed, Span, parse_file};
use super::record::Exchange;
use super::search::{self, Prepared, Query};
use super::{HISTORY_FILE_NAME, HISTORY_FORMAT_VERSION, HistoryError};
use crate::store::files::{self, FileError, Sensitivity};

/// Retention and other history settings, next to the history file so the window and the
/// command line apply the same limits.
pub const SETTINGS_FILE_NAME: &str = "history.settings.json";
const LOCK_FILE_NAME: &str = "history.jsonl.lock";

/// How much history to keep; `None` is no limit. The oldest entries go first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Retention {
    pub max_entries: Option<usize>,
    /// The size of the file. The newest entry is kept even when it alone is larger.
    pub max_bytes: Option<u64>,
}

/// What opening found. Every problem is also in [`OpenReport::messages`], worded for people.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OpenReport {
    /// Entries now in the store.
    pub loaded: usize,
    /// The last line was cut short and skipped (and kept aside when possible).
    pub torn_tail: bool,
    /// Lines that did not parse: 1-based line number and why.
    pub bad_lines: Vec<(usize, String)>,
    /// Where the unreadable lines (and a torn tail) were copied.
    pub kept_aside: Option<PathBuf>,
    /// Other problems: an unreadable settings file, lines that could not be kept aside.
    pub warnings: Vec<String>,
}

impl OpenReport {
    pub fn is_clean(&self) -> bool {
        !self.torn_tail && self.bad_lines.is_empty() && self.warnings.is_empty()
    }

    /// One message per problem, naming the file and line.
    pub fn messages(&self, path: &Path) -> Vec<String> {
        let aside = match &self.kept_aside {
            Some(aside) => format!("kept aside in {}", aside.display()),
            None => "left in the file".to_string(),
        };
        let mut out = Vec::new();
        if self.torn_tail {
            out.push(format!(
                "{}: the last line was cut short (the console stopped while writing it); it was skipped and {aside}",
                path.display()
            ));
        }
        for (line, why) in &self.bad_lines {
            out.push(format!(
                "{} line {line}: {why}; the line was skipped and {aside}",
                path.display()
            ));
        }
        out.extend(self.warnings.iter().cloned());
        out
    }
}

pub struct HistoryStore {
    dir: PathBuf,
    path: PathBuf,
    /// Oldest first; `spans[i]` and `hay[i]` belong to `entries[i]`.
    entries: Vec<Exchange>,
    spans: Vec<Span>,
    hay: Vec<Box<str>>,
    /// Lines of the file that are not entries (garbage, a torn tail), to keep aside before
    /// a rewrite drops them.
    strays: Vec<Span>,
    retention: Retention,
    /// Bytes of the file read so far (what another process appends comes after).
    file_len: u64,
    /// Newline-terminated lines in those bytes (for line numbers in messages).
    newlines: usize,
    /// Which file those bytes came from: a rename by another process means reading anew.
    file_id: Option<(u64, u64)>,
    /// Bytes of the lines of `entries`.
    live_bytes: u64,
    /// Entries trimmed by retention from memory but still in the file.
    stale_entries: usize,
    /// Problems met after opening (lines another process wrote that do not parse, a
    /// compaction that failed after a successful append).
    warnings: Vec<String>,
}

impl std::fmt::Debug for HistoryStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HistoryStore")
            .field("path", &self.path)
            .field("entries", &self.entries.len())
            .field("retention", &self.retention)
            .finish()
    }
}

impl HistoryStore {
    /// Open `{data_dir}/history.jsonl`; a missing file (or folder) is an empty history.
    pub fn open(data_dir: &Path) -> Result<(HistoryStore, OpenReport), HistoryError> {
        let mut report = OpenReport::default();
        let mut store = HistoryStore {
            dir: data_dir.to_path_buf(),
            path: data_dir.join(HISTORY_FILE_NAME),
            entries: Vec::new(),
            spans: Vec::new(),
            hay: Vec::new(),
            strays: Vec::new(),
            retention: load_retention(data_dir, &mut report.warnings),
            file_len: 0,
            newlines: 0,
            file_id: None,
            live_bytes: 0,
            stale_entries: 0,
            warnings: Vec::new(),
        };
        let _lock = lock(data_dir);
        let len = match fs::metadata(&store.path) {
            Ok(meta) => meta.len(),
            Err(e) if is_missing(&e) => return Ok((store, report)),
            Err(source) => {
                return Err(HistoryError::Read {
                    path: store.path.clone(),
                    source,
                });
            }
        };
        let parsed = parse_file(&store.path, 0, len, 1)?;
        report.torn_tail = parsed.torn_tail;
        report.bad_lines = parsed.bad_lines.clone();
        store.file_len = len;
        store.file_id = file_id_of(&store.path);
        store.install(parsed);
        store.trim_to_retention();
        if !store.strays.is_empty() {
            let kept = read_all(&store.path).and_then(|bytes| {
                let bytes = bytes.unwrap_or_default();
                Ok((store.keep_aside(&bytes)?, bytes))
            });
            match kept {
                Ok((aside, bytes)) => {
                    report.kept_aside = Some(aside);
                    store.strays.clear();
                    // Drop them from the history file now they are safe, so the next start
                    // does not report (and copy) them again.
                    if let Err(e) = store.rewrite_from(bytes) {
                        report.warnings.push(format!(
                            "{e}; the unreadable lines stay in {} as well",
                            store.path.display()
                        ));
                    }
                }
                Err(e) => report.warnings.push(format!(
                    "{e}; they stay in {} and will be kept aside before it is next rewritten",
                    store.path.display()
                )),
            }
        }
        report.loaded = store.entries.len();
        Ok((store, report))
    }

    /// Record one exchange (already redacted: see [`super::Redactor`]): written and flushed
    /// before this returns. Bodies over [`super::BODY_CAP_BYTES`] are truncated and marked.
    pub fn append(&mut self, mut exchange: Exchange) -> Result<(), HistoryError> {
        exchange.v = HISTORY_FORMAT_VERSION;
        exchange.request.enforce_cap();
        if let Some(response) = exchange.response.as_mut() {
            response.enforce_cap();
        }
        let line =
            serde_json::to_vec(&exchange).map_err(|e| HistoryError::Encode(e.to_string()))?;
        fs::create_dir_all(&self.dir).map_err(|source| HistoryError::CreateDir {
            path: self.dir.clone(),
            source,
        })?;
        let _lock = lock(&self.dir);
        self.catch_up()?;
        let append_err = |source| HistoryError::Append {
            path: self.path.clone(),
            source,
        };
        let mut file = open_for_append(&self.path).map_err(append_err)?;
        let end = file.metadata().map_err(append_err)?.len();
        // A torn last line must not swallow this entry: end it first (it then reads as a
        // bad line, which is kept aside, never glued to good data).
        let needs_newline = end > 0 && last_byte(&mut file, end).map_err(append_err)? != b'\n';
        let mut buf = Vec::with_capacity(line.len() + 2);
        if needs_newline {
            buf.push(b'\n');
        }
        let start = end + buf.len() as u64;
        buf.extend_from_slice(&line);
        buf.push(b'\n');
        file.write_all(&buf).map_err(append_err)?;
        file.sync_data().map_err(append_err)?;
        let new_id = file.metadata().ok().and_then(|m| metadata_id(&m));
        drop(file);

        if end != self.file_len || (self.file_len > 0 && new_id != self.file_id) {
            // Someone wrote without the lock: read the whole file again rather than guess.
            self.reload()?;
        } else {
            let hay = search::haystack(&exchange);
            self.entries.push(exchange);
            self.hay.push(hay);
            self.spans.push(Span {
                start,
                len: line.len() as u64,
            });
            self.live_bytes += line.len() as u64 + 1;
            self.file_len = start + line.len() as u64 + 1;
            self.newlines += 1 + usize::from(needs_newline);
            self.file_id = new_id;
        }
        self.trim_to_retention();
        if self.needs_compaction()
            && let Err(e) = self.rewrite()
        {
            // The entry is safely written; only the trimming failed. Say so, and try again
            // at the next append.
            self.warnings
                .push(format!("the history is over its size limit: {e}"));
        }
        Ok(())
    }

    /// Oldest first (the window shows them newest first).
    pub fn entries(&self) -> &[Exchange] {
        &self.entries
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn get(&self, id: &str) -> Option<&Exchange> {
        self.entries.iter().rev().find(|e| e.id == id)
    }

    /// Delete one entry (the file is rewritten atomically). `Ok(false)`: no such id.
    pub fn delete(&mut self, id: &str) -> Result<bool, HistoryError> {
        let _lock = lock(&self.dir);
        self.catch_up()?;
        let Some(i) = self.entries.iter().rposition(|e| e.id == id) else {
            return Ok(false);
        };
        let entry = self.entries.remove(i);
        let span = self.spans.remove(i);
        let hay = self.hay.remove(i);
        if let Err(e) = self.rewrite() {
            // Nothing changed on disk: show the entry again.
            self.entries.insert(i, entry);
            self.spans.insert(i, span);
            self.hay.insert(i, hay);
            return Err(e);
        }
        Ok(true)
    }

    /// Delete every entry (lines that could not be read are kept aside first).
    pub fn clear(&mut self) -> Result<(), HistoryError> {
        let _lock = lock(&self.dir);
        self.catch_up()?;
        if self.file_len == 0 && self.entries.is_empty() {
            return Ok(());
        }
        let entries = std::mem::take(&mut self.entries);
        let spans = std::mem::take(&mut self.spans);
        let hay = std::mem::take(&mut self.hay);
        if let Err(e) = self.rewrite() {
            self.entries = entries;
            self.spans = spans;
            self.hay = hay;
            return Err(e);
        }
        Ok(())
    }

    pub fn retention(&self) -> Retention {
        self.retention
    }

    /// Set (and save) the limits, and trim the oldest entries beyond them now.
    pub fn set_retention(&mut self, retention: Retention) -> Result<(), HistoryError> {
        self.retention = retention;
        let saved = save_retention(&self.dir, retention);
        let _lock = lock(&self.dir);
        self.catch_up()?;
        self.trim_to_retention();
        if self.stale_entries > 0 {
            self.rewrite()?;
        }
        saved
    }

    /// Entries matching `query`, as indices into [`entries`](Self::entries), newest first.
    pub fn search(&self, query: &Query) -> Vec<usize> {
        let prepared = Prepared::new(query);
        (0..self.entries.len())
            .rev()
            .filter(|&i| prepared.matches(&self.entries[i], &self.hay[i]))
            .collect()
    }

    /// Read what another process (the window, `snap-console send`) wrote since; `true`
    /// when the entries changed (indices from before may then point elsewhere).
    pub fn refresh(&mut self) -> Result<bool, HistoryError> {
        let _lock = lock(&self.dir);
        self.catch_up()
    }

    /// Problems met since opening, each said once.
    pub fn take_warnings(&mut self) -> Vec<String> {
        std::mem::take(&mut self.warnings)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn install(&mut self, parsed: Parsed) {
        self.live_bytes += parsed.spans.iter().map(|s| s.len + 1).sum::<u64>();
        self.entries.extend(parsed.entries);
        self.spans.extend(parsed.spans);
        self.hay.extend(parsed.hay);
        self.strays.extend(parsed.strays);
        self.newlines += parsed.newlines;
    }

    fn reset(&mut self) {
        self.entries.clear();
        self.spans.clear();
        self.hay.clear();
        self.strays.clear();
        self.file_len = 0;
        self.newlines = 0;
        self.file_id = None;
        self.live_bytes = 0;
        self.stale_entries = 0;
    }

    /// Read the whole file again (another process replaced it).
    fn reload(&mut self) -> Result<(), HistoryError> {
        self.reset();
        let len = match fs::metadata(&self.path) {
            Ok(meta) => meta.len(),
            Err(e) if is_missing(&e) => return Ok(()),
            Err(source) => {
                return Err(HistoryError::Read {
                    path: self.path.clone(),
                    source,
                });
            }
        };
        let parsed = parse_file(&self.path, 0, len, 1)?;
        self.note_problems(&parsed);
        self.file_len = len;
        self.file_id = file_id_of(&self.path);
        self.install(parsed);
        self.trim_to_retention();
        Ok(())
    }

    /// Pick up what others appended since we last read. Call with the lock held.
    fn catch_up(&mut self) -> Result<bool, HistoryError> {
        let meta = match fs::metadata(&self.path) {
            Ok(meta) => meta,
            Err(e) if is_missing(&e) => {
                if self.file_len == 0 && self.entries.is_empty() && self.strays.is_empty() {
                    return Ok(false);
                }
                // Removed by someone else: the history is empty now.
                self.reset();
                return Ok(true);
            }
            Err(source) => {
                return Err(HistoryError::Read {
                    path: self.path.clone(),
                    source,
                });
            }
        };
        let len = meta.len();
        if metadata_id(&meta) != self.file_id || len < self.file_len {
            self.reload()?;
            return Ok(true);
        }
        if len == self.file_len {
            return Ok(false);
        }
        let parsed = parse_file(&self.path, self.file_len, len, self.newlines + 1)?;
        self.note_problems(&parsed);
        self.file_len = len;
        self.install(parsed);
        self.trim_to_retention();
        Ok(true)
    }

    fn note_problems(&mut self, parsed: &Parsed) {
        for (line, why) in &parsed.bad_lines {
            self.warnings.push(format!(
                "{} line {line}: {why}; the line will be kept aside",
                self.path.display()
            ));
        }
    }

    /// Drop the oldest entries beyond the limits from memory; the file follows at the next
    /// rewrite.
    fn trim_to_retention(&mut self) {
        let n = self.entries.len();
        let mut drop = self
            .retention
            .max_entries
            .map_or(0, |max| n.saturating_sub(max));
        if let Some(max_bytes) = self.retention.max_bytes {
            let mut live: u64 = self.spans[drop..].iter().map(|s| s.len + 1).sum();
            while live > max_bytes && drop + 1 < n {
                live -= self.spans[drop].len + 1;
                drop += 1;
            }
        }
        if drop == 0 {
            return;
        }
        self.entries.drain(..drop);
        self.hay.drain(..drop);
        let gone: u64 = self.spans.drain(..drop).map(|s| s.len + 1).sum();
        self.live_bytes = self.live_bytes.saturating_sub(gone);
        self.stale_entries += drop;
    }

    /// Whether the file holds enough trimmed entries to be worth rewriting: a tenth of the
    /// limit (so a full history is rewritten once per tenth of its size, not per append).
    fn needs_compaction(&self) -> bool {
        if self.stale_entries == 0 {
            return false;
        }
        let Retention {
            max_entries,
            max_bytes,
        } = self.retention;
        max_entries.is_some_and(|max| self.stale_entries > max / 10)
            || max_bytes.is_some_and(|max| self.file_len.saturating_sub(self.live_bytes) > max / 10)
    }

    /// Replace the file with exactly the lines of `entries`. Call with the lock held and
    /// after `catch_up`; stray lines are kept aside first.
    fn rewrite(&mut self) -> Result<(), HistoryError> {
        let old = read_all(&self.path)?.unwrap_or_default();
        if !self.strays.is_empty() {
            let aside = self.keep_aside(&old)?;
            self.warnings.push(format!(
                "unreadable lines of {} were kept aside in {}",
                self.path.display(),
                aside.display()
            ));
            self.strays.clear();
        }
        self.rewrite_from(old)
    }

    fn rewrite_from(&mut self, mut bytes: Vec<u8>) -> Result<(), HistoryError> {
        let mut spans = Vec::with_capacity(self.spans.len());
        if spans_fit(&self.spans, &bytes) {
            // Compact in place: each kept line moves down (never up), so a line is always
            // copied before anything is written over it.
            let mut at = 0usize;
            for span in &self.spans {
                let range = span.range();
                let len = range.len();
                bytes.copy_within(range, at);
                spans.push(Span {
                    start: at as u64,
                    len: span.len,
                });
                at += len;
                if at < bytes.len() {
                    bytes[at] = b'\n';
                } else {
                    bytes.push(b'\n');
                }
                at += 1;
            }
            bytes.truncate(at);
        } else {
            // The file changed behind our back: write the entries from memory.
            bytes.clear();
            for entry in &self.entries {
                let start = bytes.len();
                serde_json::to_writer(&mut bytes, entry)
                    .map_err(|e| HistoryError::Encode(e.to_string()))?;
                spans.push(Span {
                    start: start as u64,
                    len: (bytes.len() - start) as u64,
                });
                bytes.push(b'\n');
            }
        }
        files::write_atomic(&self.path, &bytes, Sensitivity::Secret)?;
        self.spans = spans;
        self.file_len = bytes.len() as u64;
        self.live_bytes = self.file_len;
        self.newlines = self.entries.len();
        self.file_id = file_id_of(&self.path);
        self.stale_entries = 0;
        Ok(())
    }

    /// Copy the stray lines to a new `history.jsonl.bad-<time>` file, raw, one a line.
    fn keep_aside(&self, bytes: &[u8]) -> Result<PathBuf, HistoryError> {
        let mut content = Vec::new();
        for span in &self.strays {
            if let Some(line) = bytes.get(span.range()) {
                content.extend_from_slice(line);
                content.push(b'\n');
            }
        }
        let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%S");
        let mut target = self.dir.join(format!("{HISTORY_FILE_NAME}.bad-{stamp}"));
        for n in 2..1000 {
            let result = create_private(&target).and_then(|mut file| {
                file.write_all(&content)?;
                file.sync_all()
            });
            match result {
                Ok(()) => return Ok(target),
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                    target = self
                        .dir
                        .join(format!("{HISTORY_FILE_NAME}.bad-{stamp}-{n}"));
                }
                Err(source) => {
                    return Err(HistoryError::KeepAside {
                        path: target,
                        source,
                    });
                }
            }
        }
        Err(HistoryError::KeepAside {
            path: target,
            source: io::Error::new(io::ErrorKind::AlreadyExists, "too many files of that name"),
        })
    }
}

/// Whether every span lies in `bytes`, in order, each a line starting with `{`.
fn spans_fit(spans: &[Span], bytes: &[u8]) -> bool {
    let mut previous_end = 0u64;
    spans.iter().all(|span| {
        let fits = span.start >= previous_end
            && bytes.get(span.range()).is_some_and(|line| {
                line.trim_ascii_start().first() == Some(&b'{')
                    && matches!(bytes.get(span.range().end), None | Some(b'\n'))
            });
        previous_end = span.start + span.len + 1;
        fits
    })
}

fn is_missing(e: &io::Error) -> bool {
    // A file standing where a folder of the path should be means "no history here" too.
    matches!(
        e.kind(),
        io::ErrorKind::NotFound | io::ErrorKind::NotADirectory
    )
}

fn read_all(path: &Path) -> Result<Option<Vec<u8>>, HistoryError> {
    match fs::read(path) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(e) if is_missing(&e) => Ok(None),
        Err(source) => Err(HistoryError::Read {
            path: path.to_path_buf(),
            source,
        }),
    }
}

/// Advisory lock on `history.jsonl.lock`, released when the file is dropped. Best effort:
/// a folder where the lock file cannot be made is read-only or missing, and then nothing
/// is written anyway.
fn lock(dir: &Path) -> Option<File> {
    let path = dir.join(LOCK_FILE_NAME);
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .or_else(|_| File::open(&path))
        .ok()?;
    file.lock().ok()?;
    Some(file)
}

fn private_options() -> OpenOptions {
    let mut options = OpenOptions::new();
    #[cfg(unix)]
    {
        // Histories hold customer data (names, account numbers): owner only.
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options
}

fn open_for_append(path: &Path) -> io::Result<File> {
    private_options()
        .read(true)
        .append(true)
        .create(true)
        .open(path)
}

fn create_private(path: &Path) -> io::Result<File> {
    private_options().write(true).create_new(true).open(path)
}

fn last_byte(file: &mut File, len: u64) -> io::Result<u8> {
    let mut byte = [0u8; 1];
    file.seek(SeekFrom::Start(len - 1))?;
    file.read_exact(&mut byte)?;
    Ok(byte[0])
}

#[cfg(unix)]
fn metadata_id(meta: &fs::Metadata) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    Some((meta.dev(), meta.ino()))
}

#[cfg(not(unix))]
fn metadata_id(_meta: &fs::Metadata) -> Option<(u64, u64)> {
    None
}

fn file_id_of(path: &Path) -> Option<(u64, u64)> {
    fs::metadata(path).ok().and_then(|m| metadata_id(&m))
}

#[derive(Serialize, Deserialize)]
struct SettingsFile {
    v: u32,
    #[serde(default)]
    retention: Retention,
}

fn load_retention(dir: &Path, warnings: &mut Vec<String>) -> Retention {
    let path = dir.join(SETTINGS_FILE_NAME);
    let bytes = match files::read_capped(&path, 64 * 1024) {
        Ok(bytes) => bytes,
        Err(FileError::Read { source, .. }) if is_missing(&source) => {
            return Retention::default();
        }
        Err(e) => {
            warnings.push(format!("{e}; no retention limit is applied"));
            return Retention::default();
        }
    };
    match serde_json::from_slice::<SettingsFile>(&bytes) {
        Ok(file) if file.v > HISTORY_FORMAT_VERSION => {
            warnings.push(format!(
                "{} was written by a newer SNAP Console (format {}); no retention limit is applied",
                path.display(),
                file.v
            ));
            Retention::default()
        }
        Ok(file) => file.retention,
        Err(e) => {
            warnings.push(format!(
                "{} is not valid (line {}, column {}); no retention limit is applied until it is set again",
                path.display(),
                e.line(),
                e.column()
            ));
            Retention::default()
        }
    }
}

fn save_retention(dir: &Path, retention: Retention) -> Result<(), HistoryError> {
    fs::create_dir_all(dir).map_err(|source| HistoryError::CreateDir {
        path: dir.to_path_buf(),
        source,
    })?;
    let file = SettingsFile {
        v: HISTORY_FORMAT_VERSION,
        retention,
    };
    let json = serde_json::to_vec_pretty(&file).map_err(|e| HistoryError::Encode(e.to_string()))?;
    files::write_atomic(&dir.join(SETTINGS_FILE_NAME), &json, Sensitivity::Public)
        .map_err(HistoryError::Settings)
}
