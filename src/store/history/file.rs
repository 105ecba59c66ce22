//! The history file, `{data_dir}/history.jsonl`, and its derived index
//! (`history.jsonl.idx`, see [`super::index`]): summaries in memory, bodies read by offset
//! when an entry is opened.
//!
//! Crash safety (DESIGN.md: append-only with torn-tail recovery):
//! - an append is one write of one line to the JSON Lines, flushed to disk (`fsync`), then
//!   one write of its summary to the index (never flushed: the index is derived, and lines
//!   the index lacks are indexed from the JSON Lines the next time it is read);
//! - a last line that does not parse (the console stopped mid-write) is reported and left
//!   alone; the next append ends it with a newline first, so it becomes a bad line;
//! - lines that do not parse are reported with their line numbers and stay in the file
//!   until the next rewrite (delete, clear, retention), which first copies them raw to
//!   `history.jsonl.bad-<time>`: opening and reading never write the JSON Lines;
//! - a line with a `v` above [`HISTORY_FORMAT_VERSION`] refuses the whole file, which is
//!   then never written (no store is returned to write with).
//!
//! The window, `snap-console send` and the inbox may write the same file at once. Every
//! write holds an advisory lock (`history.jsonl.lock`) and first reads what others wrote
//! since (new index slots, then any JSON Lines past what the index covers), so nothing one
//! appends is lost to the other, and a rewrite by one is seen by the other as a new file.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use super::index::{self, Decoded, Header, Item, SLOT, Stray, Strings, Summary};
use super::parse::{self, Parsed};
use super::record::Exchange;
use super::settings::{self, Retention};
use super::{HISTORY_FILE_NAME, HISTORY_FORMAT_VERSION, HistoryError};

const LOCK_FILE_NAME: &str = "history.jsonl.lock";
/// The index file's name inside the data dir.
pub const INDEX_FILE_NAME: &str = "history.jsonl.idx";

/// How far a long operation (index rebuild, rewrite) has come, for a progress bar.
#[derive(Debug, Default)]
pub struct Progress {
    pub done: AtomicU64,
    pub total: AtomicU64,
}

impl Progress {
    /// 0.0 to 1.0; `None` when nothing long is running.
    pub fn fraction(&self) -> Option<f32> {
        let total = self.total.load(Ordering::Relaxed);
        (total > 0).then(|| (self.done.load(Ordering::Relaxed) as f32 / total as f32).min(1.0))
    }

    pub(super) fn start(&self, total: u64) {
        self.done.store(0, Ordering::Relaxed);
        self.total.store(total.max(1), Ordering::Relaxed);
    }

    pub(super) fn finish(&self) {
        self.total.store(0, Ordering::Relaxed);
    }
}

/// What opening found. Every problem is also in [`OpenReport::messages`], worded for people.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OpenReport {
    /// Entries now in the store.
    pub loaded: usize,
    /// The last line was cut short; it stays until the next write ends it.
    pub torn_tail: bool,
    /// Lines that did not parse: 1-based line number and why.
    pub bad_lines: Vec<(usize, String)>,
    /// Where unreadable lines were copied (only a write does that; opening never does).
    pub kept_aside: Option<PathBuf>,
    /// The index was missing, stale or of another version and was rebuilt.
    pub rebuilt_index: bool,
    /// Other problems: an unreadable settings file, an index that could not be saved.
    pub warnings: Vec<String>,
}

impl OpenReport {
    pub fn is_clean(&self) -> bool {
        !self.torn_tail && self.bad_lines.is_empty() && self.warnings.is_empty()
    }

    /// One message per problem, naming the file and line.
    pub fn messages(&self, path: &Path) -> Vec<String> {
        let mut out = Vec::new();
        if self.torn_tail {
            out.push(format!(
                "{}: the last line was cut short (the console stopped while writing it); it is skipped, and kept aside when the history is next rewritten",
                path.display()
            ));
        }
        for (line, why) in &self.bad_lines {
            out.push(format!(
                "{} line {line}: {why}; the line is skipped, and kept aside when the history is next rewritten",
                path.display()
            ));
        }
        out.extend(self.warnings.iter().cloned());
        out
    }
}

pub struct HistoryStore {
    pub(super) dir: PathBuf,
    pub(super) path: PathBuf,
    pub(super) index_path: PathBuf,
    /// Oldest first; those before `first` are beyond retention (still in the file).
    pub(super) summaries: Vec<Summary>,
    pub(super) first: usize,
    /// Lines that are not entries, in file order.
    pub(super) strays: Vec<Stray>,
    pub(super) strings: Strings,
    /// Bytes of the JSON Lines the index covers; what others append comes after.
    pub(super) indexed_end: u64,
    /// The number of the line starting at `indexed_end`.
    pub(super) next_line: u32,
    /// A last line cut short: where it starts and its number.
    pub(super) torn: Option<(u64, u32)>,
    /// Slots of the index file read or written (header included).
    pub(super) slots: u64,
    pub(super) header: Header,
    pub(super) retention: Retention,
    /// Bytes (lines and newlines) of the entries from `first` on.
    pub(super) live_bytes: u64,
    /// Problems met after opening, each said once.
    pub(super) warnings: Vec<String>,
}

impl std::fmt::Debug for HistoryStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HistoryStore")
            .field("path", &self.path)
            .field("entries", &self.len())
            .field("retention", &self.retention)
            .finish()
    }
}

impl HistoryStore {
    /// Open `{data_dir}/history.jsonl`; a missing file (or folder) is an empty history.
    pub fn open(data_dir: &Path) -> Result<(HistoryStore, OpenReport), HistoryError> {
        Self::open_with_progress(data_dir, &Progress::default())
    }

    /// [`open`](Self::open), saying how far an index rebuild has come.
    pub fn open_with_progress(
        data_dir: &Path,
        progress: &Progress,
    ) -> Result<(HistoryStore, OpenReport), HistoryError> {
        check_folder(data_dir)?;
        let mut report = OpenReport::default();
        let mut store = HistoryStore {
            dir: data_dir.to_path_buf(),
            path: data_dir.join(HISTORY_FILE_NAME),
            index_path: data_dir.join(INDEX_FILE_NAME),
            summaries: Vec::new(),
            first: 0,
            strays: Vec::new(),
            strings: Strings::default(),
            indexed_end: 0,
            next_line: 1,
            torn: None,
            slots: 0,
            header: Header::default(),
            retention: settings::load_retention(data_dir, &mut report.warnings),
            live_bytes: 0,
            warnings: Vec::new(),
        };
        let lock = lock(data_dir);
        let Some(len) = store.jsonl_len()? else {
            return Ok((store, report));
        };
        report.rebuilt_index = store.load(len, lock.is_some(), progress)?;
        store.trim_to_retention();
        report.torn_tail = store.torn.is_some();
        report.bad_lines = store
            .strays
            .iter()
            .map(|s| (s.line as usize, store.text(s.reason).to_string()))
            .collect();
        report.warnings.append(&mut store.warnings);
        report.loaded = store.len();
        Ok((store, report))
    }

    /// Record one exchange (already redacted: see [`super::Redactor`]): the line is written
    /// and flushed to disk before this returns, then its summary is added to the index.
    /// Bodies over [`super::BODY_CAP_BYTES`] are truncated and marked.
    pub fn append(&mut self, exchange: Exchange) -> Result<(), HistoryError> {
        self.append_all(vec![exchange])
    }

    /// Record several exchanges at once, as [`Self::append`] does one: one lock, one write
    /// and one flush to disk for all of them (a burst of inbound notifications costs one
    /// `fsync`, not one each). Either every line is flushed when this returns `Ok`, or it
    /// returns the error (lines written before a failed flush may still be in the file).
    pub fn append_all(&mut self, exchanges: Vec<Exchange>) -> Result<(), HistoryError> {
        if exchanges.is_empty() {
            return Ok(());
        }
        let encoded = exchanges
            .into_iter()
            .map(encode_line)
            .collect::<Result<Vec<_>, _>>()?;
        fs::create_dir_all(&self.dir).map_err(|source| HistoryError::CreateDir {
            path: self.dir.clone(),
            source,
        })?;
        let _lock = lock(&self.dir);
        self.catch_up()?;
        let lines: Vec<&str> = encoded.iter().map(|(_, line)| line.as_str()).collect();
        let (start, needs_newline, file_id) = self.write_lines(&lines)?;
        let strings_before = self.strings.len();
        let mut items = Vec::with_capacity(encoded.len() + 1);
        if let Some((offset, number)) = self.torn.take()
            && needs_newline
        {
            // Our newline ended it: it is a bad line now, kept aside at the next rewrite.
            let reason = "the line ends early (a write was cut short)";
            items.push(Item::Stray(Stray {
                offset,
                len: (start - 1 - offset) as u32,
                line: number,
                reason: self.strings.intern(reason).0,
            }));
        }
        let mut offset = start;
        let mut number = self.next_line + u32::from(needs_newline);
        for (exchange, line) in &encoded {
            let summary = Summary {
                offset,
                len: line.len() as u32,
                line: number,
                ..parse::summarize(exchange, line, &mut self.strings)
            };
            items.push(Item::Record(summary));
            offset += line.len() as u64 + 1;
            number += 1;
        }
        self.install(items.clone());
        self.save_slots(strings_before, &items, file_id);
        self.indexed_end = offset;
        self.next_line = number;
        self.trim_to_retention();
        if self.needs_compaction()
            && let Err(e) = self.rewrite(&|_| true, &Progress::default())
        {
            // The entries are safely written; only the trimming failed. Say so, and try
            // again at the next append.
            self.warnings
                .push(format!("the history is over its size limit: {e}"));
        }
        Ok(())
    }

    /// Write lines at the end (after a newline if the last line lacks one) in one write
    /// and flush them: (where the first starts, whether a newline went first, the file's
    /// identity).
    fn write_lines(&mut self, lines: &[&str]) -> Result<(u64, bool, (u64, u64)), HistoryError> {
        let append_err = |source| HistoryError::Append {
            path: self.path.clone(),
            source,
        };
        let mut file = open_for_append(&self.path).map_err(append_err)?;
        let meta = file.metadata().map_err(append_err)?;
        let end = meta.len();
        // A torn last line must not swallow this entry: end it first (it then reads as a
        // bad line, which is kept aside, never glued to good data).
        let needs_newline = end > 0 && last_byte(&mut file, end).map_err(append_err)? != b'\n';
        let total: usize = lines.iter().map(|l| l.len() + 1).sum();
        let mut buf = Vec::with_capacity(total + 1);
        if needs_newline {
            buf.push(b'\n');
        }
        let start = end + buf.len() as u64;
        for line in lines {
            buf.extend_from_slice(line.as_bytes());
            buf.push(b'\n');
        }
        file.write_all(&buf).map_err(append_err)?;
        file.sync_data().map_err(append_err)?;
        Ok((start, needs_newline, metadata_id(&meta)))
    }

    /// Entries in the list (after retention).
    pub fn len(&self) -> usize {
        self.summaries.len() - self.first
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The summaries of the entries, oldest first (the window shows them newest first).
    pub fn summaries(&self) -> &[Summary] {
        &self.summaries[self.first..]
    }

    /// A string of the index (`index::NONE` and unknown numbers read as "").
    pub fn text(&self, id: u32) -> &str {
        self.strings.get(id).unwrap_or("")
    }

    pub fn strings(&self) -> &Strings {
        &self.strings
    }

    /// Read entry `position` (of [`summaries`](Self::summaries)) from the file.
    pub fn read(&self, position: usize) -> Result<Exchange, HistoryError> {
        let summary = self
            .summaries()
            .get(position)
            .ok_or_else(|| self.stale("that entry is no longer in the history"))?;
        read_entry(&self.path, summary)
    }

    /// The position of the entry with this id, newest first (compared by hash, checked
    /// when read).
    pub fn find(&self, id: &str) -> Option<usize> {
        self.find_key(index::id_hash(id))
    }

    /// The position of the entry whose id has this hash ([`Summary::id_hash`]).
    pub fn find_key(&self, key: u64) -> Option<usize> {
        self.summaries().iter().rposition(|s| s.id_hash == key)
    }

    /// The entry with this id, read from the file.
    pub fn get(&self, id: &str) -> Result<Option<Exchange>, HistoryError> {
        match self.find(id) {
            Some(position) => self.read(position).map(|e| Some(e).filter(|e| e.id == id)),
            None => Ok(None),
        }
    }

    /// Every entry, oldest first, read from the file: for small histories and tests (the
    /// list works from [`summaries`](Self::summaries)).
    pub fn entries(&self) -> Result<Vec<Exchange>, HistoryError> {
        (0..self.len()).map(|i| self.read(i)).collect()
    }

    pub fn retention(&self) -> Retention {
        self.retention
    }

    /// Read what another process (the window, `snap-console send`) wrote since; `true`
    /// when the entries changed (positions from before may then point elsewhere).
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

    pub(super) fn stale(&self, why: &str) -> HistoryError {
        HistoryError::Stale {
            path: self.path.clone(),
            why: why.to_string(),
        }
    }

    /// The JSON Lines' length; `None` when there is none.
    fn jsonl_len(&self) -> Result<Option<u64>, HistoryError> {
        match fs::metadata(&self.path) {
            Ok(meta) if meta.is_file() => Ok(Some(meta.len())),
            Ok(_) => Err(HistoryError::Read {
                path: self.path.clone(),
                source: io::Error::other("not a regular file"),
            }),
            Err(e) if is_missing(&e) => Ok(None),
            Err(source) => Err(HistoryError::Read {
                path: self.path.clone(),
                source,
            }),
        }
    }

    pub(super) fn reset(&mut self) {
        self.summaries = Vec::new();
        self.first = 0;
        self.strays.clear();
        self.strings = Strings::default();
        self.indexed_end = 0;
        self.next_line = 1;
        self.torn = None;
        self.slots = 0;
        self.header = Header::default();
        self.live_bytes = 0;
    }

    /// Load the index of a `len`-byte file (rebuilding it when it does not match), then
    /// index what it lacks. `true` when it was rebuilt.
    fn load(
        &mut self,
        len: u64,
        can_write: bool,
        progress: &Progress,
    ) -> Result<bool, HistoryError> {
        self.reset();
        let loaded = self.read_index(len).unwrap_or(false);
        if loaded && self.matches_file(len) {
            self.index_tail(len, can_write, progress)?;
            return Ok(false);
        }
        self.rebuild(len, can_write, progress)?;
        Ok(true)
    }

    /// Read the whole index file; `false` when there is none of this version for this file.
    fn read_index(&mut self, len: u64) -> io::Result<bool> {
        let mut file = match index::open_index(&self.index_path, false) {
            Ok(file) => file,
            Err(e) if is_missing(&e) => return Ok(false),
            Err(e) => return Err(e),
        };
        let Some(header) = index::read_header(&mut file)? else {
            return Ok(false);
        };
        if header.file_id != file_id_of(&self.path) {
            return Ok(false);
        }
        let mut decoded = Decoded::default();
        index::read_slots(&mut file, 1, &mut decoded)?;
        self.header = header;
        self.slots = decoded.slots;
        self.apply(decoded, len)
    }

    /// Take decoded slots (the whole index, or what others appended); `false` when they do
    /// not follow what is already known (the index is then not to be trusted).
    fn apply(&mut self, decoded: Decoded, len: u64) -> io::Result<bool> {
        for text in decoded.strings {
            // Numbers are positions in the file's table: a repeated string would shift them.
            if !self.strings.intern(&text).1 {
                return Ok(false);
            }
        }
        let mut end = self.indexed_end;
        for item in &decoded.items {
            let offset = match item {
                Item::Record(s) => s.offset,
                Item::Stray(s) => s.offset,
            };
            if offset < end || item.end() > len {
                return Ok(false);
            }
            end = item.end() + 1;
        }
        self.install(decoded.items);
        if let Some(last) = self.last_item() {
            // Does the last line have its newline yet?
            let has_newline = last.end() < len && byte_at(&self.path, last.end())? == b'\n';
            self.indexed_end = last.end() + u64::from(has_newline);
            self.next_line = last_line(&last) + u32::from(has_newline);
        }
        Ok(true)
    }

    fn last_item(&self) -> Option<Item> {
        let record = self.summaries.last().map(|s| Item::Record(*s));
        let stray = self.strays.last().map(|s| Item::Stray(*s));
        match (record, stray) {
            (Some(r), Some(s)) => Some(if r.end() > s.end() { r } else { s }),
            (r, s) => r.or(s),
        }
    }

    /// Spot checks that the index describes this file: its first and last entries are
    /// where it says, with the ids it says.
    fn matches_file(&self, len: u64) -> bool {
        if self.indexed_end > len {
            return false;
        }
        let ends = [self.summaries.first(), self.summaries.last()];
        ends.into_iter()
            .flatten()
            .all(|s| read_entry(&self.path, s).is_ok())
    }

    /// Parse the whole file and write a new index (when the folder can be written).
    fn rebuild(
        &mut self,
        len: u64,
        can_write: bool,
        progress: &Progress,
    ) -> Result<(), HistoryError> {
        progress.start(len);
        self.reset();
        let parsed = parse::parse_file(
            &self.path,
            0,
            len,
            1,
            &mut self.strings,
            Some(&progress.done),
        );
        progress.finish();
        let parsed = parsed?;
        self.take_parsed(parsed);
        if can_write {
            self.header = Header {
                file_id: file_id_of(&self.path),
                generation: new_generation(),
            };
            if let Err(e) = self.write_whole_index() {
                self.warnings.push(format!(
                    "the history index {} could not be saved ({e}); it is rebuilt at each start",
                    self.index_path.display()
                ));
            }
        }
        Ok(())
    }

    /// Index the lines past what the index covers (written by a process that stopped
    /// before indexing them, or by an older version).
    fn index_tail(
        &mut self,
        len: u64,
        can_write: bool,
        progress: &Progress,
    ) -> Result<(), HistoryError> {
        if len <= self.indexed_end {
            return Ok(());
        }
        let strings_before = self.strings.len();
        progress.start(len - self.indexed_end);
        let parsed = parse::parse_file(
            &self.path,
            self.indexed_end,
            len,
            self.next_line,
            &mut self.strings,
            Some(&progress.done),
        );
        progress.finish();
        let parsed = parsed?;
        let items = parsed.items.clone();
        self.take_parsed(parsed);
        if can_write {
            self.save_slots(strings_before, &items, file_id_of(&self.path));
        }
        Ok(())
    }

    fn take_parsed(&mut self, parsed: Parsed) {
        for (line, why) in &parsed.bad_lines {
            self.warnings.push(format!(
                "{} line {line}: {why}; the line is skipped, and kept aside when the history is next rewritten",
                self.path.display()
            ));
        }
        self.install(parsed.items);
        self.indexed_end = parsed.end;
        self.next_line = parsed.next_line;
        self.torn = parsed.torn;
    }

    pub(super) fn install(&mut self, items: Vec<Item>) {
        // Bulk loads grow exactly (at a million entries, doubling would cost tens of
        // megabytes); single appends grow the usual amortised way.
        if items.len() > 1 {
            self.summaries.reserve_exact(items.len());
        }
        for item in items {
            match item {
                Item::Record(s) => {
                    self.live_bytes += u64::from(s.len) + 1;
                    self.summaries.push(s);
                }
                Item::Stray(s) => self.strays.push(s),
            }
        }
    }

    /// Append the new strings (from `strings_before` on) and `items` to the index file;
    /// the whole index is written anew when the JSON Lines file is new. A failure only
    /// costs a rebuild later, so it is a warning.
    fn save_slots(&mut self, strings_before: usize, items: &[Item], file_id: (u64, u64)) {
        let result = if self.slots == 0 || file_id != self.header.file_id {
            self.header = Header {
                file_id,
                generation: new_generation(),
            };
            self.write_whole_index()
        } else {
            let mut bytes = Vec::with_capacity((items.len() + 2) * SLOT);
            for id in strings_before..self.strings.len() {
                index::encode_string(self.text(id as u32), &mut bytes);
            }
            for item in items {
                index::encode_item(item, &mut bytes);
            }
            index::open_index(&self.index_path, true)
                .and_then(|mut file| index::write_slots_at(&mut file, self.slots, &bytes))
                .map(|()| self.slots += (bytes.len() / SLOT) as u64)
        };
        if let Err(e) = result {
            self.slots = 0;
            self.warnings.push(format!(
                "the history index {} could not be updated ({e}); it will be rebuilt",
                self.index_path.display()
            ));
        }
    }

    /// Write the index of what is in memory to a new file, atomically.
    pub(super) fn write_whole_index(&mut self) -> io::Result<()> {
        let mut items: Vec<Item> = self
            .summaries
            .iter()
            .map(|s| Item::Record(*s))
            .chain(self.strays.iter().map(|s| Item::Stray(*s)))
            .collect();
        items.sort_by_key(|item| match item {
            Item::Record(s) => s.offset,
            Item::Stray(s) => s.offset,
        });
        let mut bytes = Vec::with_capacity((items.len() + self.strings.len() + 1) * SLOT);
        bytes.extend_from_slice(&index::encode_header(self.header));
        for text in self.strings.iter() {
            index::encode_string(text, &mut bytes);
        }
        for item in &items {
            index::encode_item(item, &mut bytes);
        }
        crate::store::files::write_atomic(
            &self.index_path,
            &bytes,
            crate::store::files::Sensitivity::Secret,
        )
        .map_err(|e| io::Error::other(e.to_string()))?;
        self.slots = (bytes.len() / SLOT) as u64;
        Ok(())
    }

    /// Pick up what others wrote since we last looked. Call with the lock held.
    pub(super) fn catch_up(&mut self) -> Result<bool, HistoryError> {
        let Some(len) = self.jsonl_len()? else {
            if self.summaries.is_empty() && self.strays.is_empty() && self.torn.is_none() {
                return Ok(false);
            }
            // Removed by someone else: the history is empty now.
            self.reset();
            return Ok(true);
        };
        let replaced = file_id_of(&self.path) != self.header.file_id && self.slots > 0;
        if replaced || len < self.indexed_end || self.index_replaced() {
            self.load(len, true, &Progress::default())?;
            self.trim_to_retention();
            return Ok(true);
        }
        let before = (self.summaries.len(), self.strays.len(), self.torn);
        if self.slots > 0 {
            let mut decoded = Decoded::default();
            let read = index::open_index(&self.index_path, false)
                .and_then(|mut file| index::read_slots(&mut file, self.slots, &mut decoded));
            if read.is_ok() && decoded.slots > self.slots {
                self.slots = decoded.slots;
                let fits = self
                    .apply(decoded, len)
                    .map_err(|source| HistoryError::Read {
                        path: self.index_path.clone(),
                        source,
                    })?;
                if !fits {
                    self.load(len, true, &Progress::default())?;
                }
            }
        }
        self.index_tail(len, true, &Progress::default())?;
        self.trim_to_retention();
        Ok(before != (self.summaries.len(), self.strays.len(), self.torn))
    }

    /// Whether another process replaced the index (a rewrite or a rebuild).
    fn index_replaced(&self) -> bool {
        if self.slots == 0 {
            return false;
        }
        let header = index::open_index(&self.index_path, false)
            .and_then(|mut file| index::read_header(&mut file));
        !matches!(header, Ok(Some(h)) if h == self.header)
    }

    /// Drop the oldest entries beyond the limits from the list; the file follows at the
    /// next rewrite.
    pub(super) fn trim_to_retention(&mut self) {
        let n = self.summaries.len();
        let mut first = self
            .retention
            .max_entries
            .map_or(self.first, |max| self.first.max(n.saturating_sub(max)));
        let mut live: u64 = self.live_bytes
            - self.summaries[self.first..first]
                .iter()
                .map(|s| u64::from(s.len) + 1)
                .sum::<u64>();
        if let Some(max_bytes) = self.retention.max_bytes {
            while live > max_bytes && first + 1 < n {
                live -= u64::from(self.summaries[first].len) + 1;
                first += 1;
            }
        }
        self.first = first;
        self.live_bytes = live;
    }

    /// Whether the file holds enough trimmed entries to be worth rewriting: a tenth of the
    /// limit (so a full history is rewritten once per tenth of its size, not per append).
    fn needs_compaction(&self) -> bool {
        if self.first == 0 {
            return false;
        }
        let Retention {
            max_entries,
            max_bytes,
        } = self.retention;
        max_entries.is_some_and(|max| self.first > max / 10)
            || max_bytes
                .is_some_and(|max| self.indexed_end.saturating_sub(self.live_bytes) > max / 10)
    }
}

/// An exchange made ready to append: format version set, bodies capped, one JSON line.
fn encode_line(mut exchange: Exchange) -> Result<(Exchange, String), HistoryError> {
    exchange.v = HISTORY_FORMAT_VERSION;
    exchange.request.enforce_cap();
    if let Some(response) = exchange.response.as_mut() {
        response.enforce_cap();
    }
    let line = serde_json::to_string(&exchange).map_err(|e| HistoryError::Encode(e.to_string()))?;
    Ok((exchange, line))
}

fn last_line(item: &Item) -> u32 {
    match item {
        Item::Record(s) => s.line,
        Item::Stray(s) => s.line,
    }
}

/// Read and parse one entry's line, checking it is the entry the summary describes.
pub(super) fn read_entry(path: &Path, summary: &Summary) -> Result<Exchange, HistoryError> {
    let stale = |why: &str| HistoryError::Stale {
        path: path.to_path_buf(),
        why: why.to_string(),
    };
    let mut file = File::open(path).map_err(|source| HistoryError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let mut line = vec![0u8; summary.len as usize];
    file.seek(SeekFrom::Start(summary.offset))
        .and_then(|_| file.read_exact(&mut line))
        .map_err(|_| stale("the file is shorter than its index"))?;
    let entry: Exchange = serde_json::from_slice(&line)
        .map_err(|_| stale("the index points at a line that is not an entry"))?;
    if index::id_hash(&entry.id) != summary.id_hash {
        return Err(stale("the index points at another entry"));
    }
    Ok(entry)
}

/// A data folder that exists but is a file is an error (not an empty history).
fn check_folder(dir: &Path) -> Result<(), HistoryError> {
    match fs::metadata(dir) {
        Ok(meta) if !meta.is_dir() => Err(HistoryError::NotAFolder {
            path: dir.to_path_buf(),
        }),
        _ => Ok(()),
    }
}

pub(super) fn is_missing(e: &io::Error) -> bool {
    // A file standing where a folder of the path should be means "no history here" too.
    matches!(
        e.kind(),
        io::ErrorKind::NotFound | io::ErrorKind::NotADirectory
    )
}

/// Advisory lock on `history.jsonl.lock`, released when the file is dropped. Best effort:
/// a folder where the lock file cannot be made is read-only or missing, and then nothing
/// is written anyway.
pub(super) fn lock(dir: &Path) -> Option<File> {
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

pub(super) fn private_options() -> OpenOptions {
    // Only Unix sets a mode on it; elsewhere it stays as made.
    #[cfg_attr(not(unix), allow(unused_mut))]
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

fn last_byte(file: &mut File, len: u64) -> io::Result<u8> {
    let mut byte = [0u8; 1];
    file.seek(SeekFrom::Start(len - 1))?;
    file.read_exact(&mut byte)?;
    Ok(byte[0])
}

fn byte_at(path: &Path, at: u64) -> io::Result<u8> {
    let mut file = File::open(path)?;
    last_byte(&mut file, at + 1)
}

#[cfg(unix)]
fn metadata_id(meta: &fs::Metadata) -> (u64, u64) {
    use std::os::unix::fs::MetadataExt;
    (meta.dev(), meta.ino())
}

#[cfg(not(unix))]
fn metadata_id(_meta: &fs::Metadata) -> (u64, u64) {
    (0, 0)
}

/// The JSON Lines file's identity; (0, 0) when missing or where there is none.
pub(super) fn file_id_of(path: &Path) -> (u64, u64) {
    fs::metadata(path).map_or((0, 0), |m| metadata_id(&m))
}

/// A fresh index generation: another process seeing a different one reads the index anew.
pub(super) fn new_generation() -> u64 {
    use rsa::rand_core::{OsRng, RngCore};
    OsRng.next_u64()
}
