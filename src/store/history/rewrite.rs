//! Delete, clear and retention: the history holds customer data, so a delete rewrites the
//! file without the line (no tombstones). The kept lines are copied as they are (no
//! re-serialising) from the old file to a new one in the same folder, streamed in 1 MB
//! blocks, which then replaces the old one atomically; the index is written anew beside it.
//! Lines that could not be read are first copied raw to `history.jsonl.bad-<time>`.

use std::fs::{self, File};
use std::io::{self, BufReader, BufWriter, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;

use super::file::{self, HistoryStore, Progress};
use super::index::{self, Header, Strings, Summary};
use super::settings::{self, Retention};
use super::{HISTORY_FILE_NAME, HistoryError};

const COPY_BLOCK: usize = 1024 * 1024;

impl HistoryStore {
    /// Delete one entry (the file is rewritten atomically). `Ok(false)`: no such id.
    pub fn delete(&mut self, id: &str) -> Result<bool, HistoryError> {
        let key = index::id_hash(id);
        Ok(self.delete_keys(&[key], &Progress::default())? > 0)
    }

    /// Delete the entries whose id hashes ([`Summary::id_hash`]) are in `keys`, saying how
    /// far the rewrite has come; how many were deleted.
    pub fn delete_keys(
        &mut self,
        keys: &[u64],
        progress: &Progress,
    ) -> Result<usize, HistoryError> {
        let _lock = file::lock(&self.dir);
        self.catch_up()?;
        let doomed: Vec<bool> = self
            .summaries()
            .iter()
            .map(|s| keys.contains(&s.id_hash))
            .collect();
        let count = doomed.iter().filter(|d| **d).count();
        if count == 0 {
            return Ok(0);
        }
        self.rewrite(&|i| !doomed[i], progress)?;
        Ok(count)
    }

    /// Delete every entry (lines that could not be read are kept aside first).
    pub fn clear(&mut self) -> Result<(), HistoryError> {
        let _lock = file::lock(&self.dir);
        self.catch_up()?;
        if self.indexed_end == 0 && self.torn.is_none() && self.summaries.is_empty() {
            return Ok(());
        }
        self.rewrite(&|_| false, &Progress::default())
    }

    /// Set (and save) the limits, and trim the oldest entries beyond them now.
    pub fn set_retention(&mut self, retention: Retention) -> Result<(), HistoryError> {
        self.retention = retention;
        let saved = settings::save_retention(&self.dir, retention);
        let _lock = file::lock(&self.dir);
        self.catch_up()?;
        self.trim_to_retention();
        if self.first > 0 {
            self.rewrite(&|_| true, &Progress::default())?;
        }
        saved
    }

    /// Replace the file with the listed entries (positions from `first`) for which `keep`
    /// holds. Call with the lock held and after `catch_up`.
    pub(super) fn rewrite(
        &mut self,
        keep: &dyn Fn(usize) -> bool,
        progress: &Progress,
    ) -> Result<(), HistoryError> {
        if !self.strays.is_empty() || self.torn.is_some() {
            let aside = self.keep_aside()?;
            self.warnings.push(format!(
                "unreadable lines of {} were kept aside in {}",
                self.path.display(),
                aside.display()
            ));
        }
        let kept: Vec<Summary> = self
            .summaries()
            .iter()
            .enumerate()
            .filter(|(i, _)| keep(*i))
            .map(|(_, s)| *s)
            .collect();
        let total: u64 = kept.iter().map(|s| u64::from(s.len) + 1).sum();
        progress.start(total);
        let copied = copy_lines(&self.path, &kept, progress);
        progress.finish();
        let (summaries, file_id) = copied?;
        self.install_rewritten(summaries, file_id)
    }

    /// The state after a rewrite: string table rebuilt from what is kept (a deleted
    /// entry's profile or error text does not linger in the index), index written anew.
    fn install_rewritten(
        &mut self,
        mut summaries: Vec<Summary>,
        file_id: (u64, u64),
    ) -> Result<(), HistoryError> {
        let old = std::mem::take(&mut self.strings);
        let mut strings = Strings::default();
        let mut map = |id: u32| match old.get(id) {
            Some(text) => strings.intern(text).0,
            None => index::NONE,
        };
        for s in &mut summaries {
            for field in [
                &mut s.profile,
                &mut s.service,
                &mut s.title,
                &mut s.method,
                &mut s.code,
                &mut s.error,
                &mut s.suite,
                &mut s.case,
                &mut s.run,
            ] {
                *field = map(*field);
            }
        }
        let retention = self.retention;
        let warnings = std::mem::take(&mut self.warnings);
        self.reset();
        self.retention = retention;
        self.warnings = warnings;
        self.strings = strings;
        self.indexed_end = summaries.last().map_or(0, |s| s.end() + 1);
        self.next_line = summaries.len() as u32 + 1;
        self.install(summaries.into_iter().map(index::Item::Record).collect());
        self.header = Header {
            file_id,
            generation: file::new_generation(),
        };
        if let Err(e) = self.write_whole_index() {
            // The history itself is right; the index is rebuilt from it at the next open.
            self.slots = 0;
            self.warnings.push(format!(
                "the history index {} could not be saved ({e}); it will be rebuilt",
                self.index_path.display()
            ));
        }
        Ok(())
    }

    /// Copy the stray lines (and a torn tail) to a new `history.jsonl.bad-<time>` file,
    /// raw, one a line.
    fn keep_aside(&mut self) -> Result<PathBuf, HistoryError> {
        let read_err = |source| HistoryError::Read {
            path: self.path.clone(),
            source,
        };
        let mut file = File::open(&self.path).map_err(read_err)?;
        let mut content = Vec::new();
        let mut spans: Vec<(u64, u64)> = self
            .strays
            .iter()
            .map(|s| (s.offset, u64::from(s.len)))
            .collect();
        if let Some((offset, _)) = self.torn {
            spans.push((offset, self.indexed_len_after(offset)));
        }
        for (offset, len) in spans {
            let mut line = vec![0u8; len as usize];
            file.seek(SeekFrom::Start(offset))
                .and_then(|_| file.read_exact(&mut line))
                .map_err(read_err)?;
            content.extend_from_slice(&line);
            content.push(b'\n');
        }
        let target = write_aside(&self.dir, &content)?;
        self.strays.clear();
        self.torn = None;
        Ok(target)
    }

    /// Bytes from `offset` to the end of the file (a torn tail's length).
    fn indexed_len_after(&self, offset: u64) -> u64 {
        fs::metadata(&self.path).map_or(0, |m| m.len().saturating_sub(offset))
    }
}

/// Stream the kept lines into a new file that then replaces `path`: their new summaries
/// and the new file's identity.
fn copy_lines(
    path: &Path,
    kept: &[Summary],
    progress: &Progress,
) -> Result<(Vec<Summary>, (u64, u64)), HistoryError> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let temp = dir.join(format!(
        ".{HISTORY_FILE_NAME}.rewrite-{}",
        std::process::id()
    ));
    let result = copy_into(path, &temp, kept, progress).and_then(|summaries| {
        fs::rename(&temp, path)?;
        if let Ok(d) = File::open(dir) {
            // Make the rename itself durable (not possible on every platform).
            let _ = d.sync_all();
        }
        Ok(summaries)
    });
    match result {
        Ok(summaries) => Ok((summaries, file::file_id_of(path))),
        Err(source) => {
            let _ = fs::remove_file(&temp);
            Err(HistoryError::Rewrite(
                crate::store::files::FileError::Write {
                    path: path.to_path_buf(),
                    source,
                },
            ))
        }
    }
}

fn copy_into(
    path: &Path,
    temp: &Path,
    kept: &[Summary],
    progress: &Progress,
) -> io::Result<Vec<Summary>> {
    let mut out = BufWriter::with_capacity(
        COPY_BLOCK,
        file::private_options()
            .write(true)
            .create(true)
            .truncate(true)
            .open(temp)?,
    );
    let mut input = BufReader::with_capacity(COPY_BLOCK, File::open(path)?);
    let mut at = 0u64;
    let mut written = 0u64;
    let mut summaries = Vec::with_capacity(kept.len());
    let mut line = Vec::new();
    for (n, s) in kept.iter().enumerate() {
        // Forward only: skipped lines are read past within the buffer when close.
        input.seek_relative(s.offset as i64 - at as i64)?;
        line.resize(s.len as usize, 0);
        input.read_exact(&mut line)?;
        at = s.end();
        out.write_all(&line)?;
        out.write_all(b"\n")?;
        summaries.push(Summary {
            offset: written,
            line: n as u32 + 1,
            ..*s
        });
        written += u64::from(s.len) + 1;
        progress.done.store(written, Ordering::Relaxed);
    }
    let file = out.into_inner().map_err(|e| e.into_error())?;
    file.sync_all()?;
    Ok(summaries)
}

fn write_aside(dir: &Path, content: &[u8]) -> Result<PathBuf, HistoryError> {
    let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%S");
    let mut target = dir.join(format!("{HISTORY_FILE_NAME}.bad-{stamp}"));
    for n in 2..1000 {
        let result = file::private_options()
            .write(true)
            .create_new(true)
            .open(&target)
            .and_then(|mut f| {
                f.write_all(content)?;
                f.sync_all()
            });
        match result {
            Ok(()) => return Ok(target),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                target = dir.join(format!("{HISTORY_FILE_NAME}.bad-{stamp}-{n}"));
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
