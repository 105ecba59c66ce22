//! Reading JSON Lines into index items: which lines are entries (summarised for the
//! index), which are garbage (with their line numbers), whether the last one is torn,
//! whether one is from a newer format.
//!
//! Every line is parsed in full as an [`Exchange`] (an entry the index lists must open),
//! but only its summary is kept. A million entries are 2.7 GB of JSON and serde_json reads
//! roughly 0.5 GB/s on one core, so the file is cut at line boundaries into one range per
//! core, each range is parsed on a scoped thread that reads it in reused 4 MB blocks with
//! its own string table, and the ranges are joined in order (their string numbers mapped
//! into the caller's table). Small files are parsed on the calling thread.

use std::borrow::Cow;
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::Path;
use std::str::Utf8Error;
use std::sync::atomic::{AtomicU64, Ordering};

use serde::Deserialize;

use super::index::{self, Item, NONE, Stray, Strings, Summary, VerdictKind};
use super::record::{Direction, Exchange};
use super::{HISTORY_FORMAT_VERSION, HistoryError};

/// Below this, threads cost more than they save.
const PARALLEL_MIN_BYTES: u64 = 8 * 1024 * 1024;
const MAX_THREADS: usize = 8;
/// Read buffer per thread; grows for a line longer than this.
const BLOCK_BYTES: usize = 4 * 1024 * 1024;
/// The UTF-8 byte order mark some editors put first: not part of the first entry.
const BOM: &[u8] = b"\xEF\xBB\xBF";

/// What a range of the file holds, string numbers in the caller's table.
#[derive(Default, Debug)]
pub(super) struct Parsed {
    /// Entries and stray lines in file order.
    pub(super) items: Vec<Item>,
    /// Garbage lines (not the torn tail): 1-based number and why.
    pub(super) bad_lines: Vec<(usize, String)>,
    /// The last line was cut short (no newline, not an entry): where it starts and its
    /// number. It is not in `items`, and `end` stops before it.
    pub(super) torn: Option<(u64, u32)>,
    /// Bytes consumed: the range end, or the start of the torn line.
    pub(super) end: u64,
    /// The number of the line that starts at `end`.
    pub(super) next_line: u32,
}

/// One range's result; line numbers relative to the range (0 = its first line).
#[derive(Default)]
struct Chunk {
    items: Vec<Item>,
    strings: Strings,
    bad_lines: Vec<(usize, String)>,
    /// File offset of the next line.
    offset: u64,
    lines: usize,
    newlines: usize,
    /// Whether the range's last non-blank line failed, and whether it had its newline.
    last_failed: Option<(bool, bool)>,
}

enum ChunkError {
    /// A line from a newer format: (relative line, its `v`).
    Newer(usize, u32),
    Io(io::Error),
}

/// Parse the lines of `path` between byte `start` and `end`; `first_line` is the number of
/// the line at `start`. New strings go into `strings`; `progress` counts bytes parsed.
pub(super) fn parse_file(
    path: &Path,
    start: u64,
    end: u64,
    first_line: u32,
    strings: &mut Strings,
    progress: Option<&AtomicU64>,
) -> Result<Parsed, HistoryError> {
    let read_err = |source| HistoryError::Read {
        path: path.to_path_buf(),
        source,
    };
    let cuts = range_bounds(path, start, end).map_err(read_err)?;
    let results: Vec<Result<Chunk, ChunkError>> = if cuts.len() <= 2 {
        vec![parse_range(path, start, end, progress)]
    } else {
        parse_parallel(path, &cuts, progress)
    };
    let mut out = Parsed {
        end,
        ..Parsed::default()
    };
    let mut line_offset = first_line as usize;
    let mut last_failed: Option<(bool, bool)> = None;
    for result in results {
        let chunk = match result {
            Ok(chunk) => chunk,
            Err(ChunkError::Newer(line, found)) => {
                return Err(HistoryError::NewerVersion {
                    path: path.to_path_buf(),
                    line: line_offset + line,
                    found,
                    known: HISTORY_FORMAT_VERSION,
                });
            }
            Err(ChunkError::Io(e)) => return Err(read_err(e)),
        };
        let newlines = chunk.newlines;
        if chunk.last_failed.is_some() {
            last_failed = chunk.last_failed;
        }
        join(&mut out, chunk, line_offset, strings);
        line_offset += newlines;
    }
    out.next_line = line_offset as u32;
    if let Some((true, false)) = last_failed
        && let Some(Item::Stray(stray)) = out.items.last().copied()
    {
        // A write cut short: reported as such, left for the next writer to end.
        out.items.pop();
        out.bad_lines.pop();
        out.torn = Some((stray.offset, stray.line));
        out.end = stray.offset;
        out.next_line = stray.line;
    }
    Ok(out)
}

/// Move a chunk's items into `out`: absolute line numbers, string numbers mapped into
/// `strings`.
fn join(out: &mut Parsed, chunk: Chunk, line_offset: usize, strings: &mut Strings) {
    let map: Vec<u32> = chunk.strings.iter().map(|s| strings.intern(s).0).collect();
    let remap = |id: u32| map.get(id as usize).copied().unwrap_or(NONE);
    let line = |l: u32| (line_offset + l as usize) as u32;
    out.items
        .extend(chunk.items.into_iter().map(|item| match item {
            Item::Record(mut s) => {
                s.line = line(s.line);
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
                    *field = remap(*field);
                }
                Item::Record(s)
            }
            Item::Stray(mut s) => {
                s.line = line(s.line);
                s.reason = remap(s.reason);
                Item::Stray(s)
            }
        }));
    out.bad_lines.extend(
        chunk
            .bad_lines
            .into_iter()
            .map(|(l, why)| (line_offset + l, why)),
    );
}

/// Range boundaries (starting with `start`, ending with `end`), each cut just after a
/// newline.
fn range_bounds(path: &Path, start: u64, end: u64) -> io::Result<Vec<u64>> {
    let threads = if end - start < PARALLEL_MIN_BYTES {
        1
    } else {
        std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .min(MAX_THREADS)
    };
    let mut cuts = vec![start];
    if threads > 1 {
        let mut file = File::open(path)?;
        let mut window = vec![0u8; 64 * 1024];
        for k in 1..threads {
            let mut at = start + (end - start) / threads as u64 * k as u64;
            if at <= cuts.last().copied().unwrap_or(start) {
                continue;
            }
            file.seek(SeekFrom::Start(at))?;
            // The next newline after the target (a line may be megabytes long).
            let cut = loop {
                let n = file.read(&mut window)?;
                if n == 0 || at >= end {
                    break None;
                }
                if let Some(i) = window[..n].iter().position(|&b| b == b'\n') {
                    break Some(at + i as u64 + 1);
                }
                at += n as u64;
            };
            match cut {
                Some(cut) if cut < end => cuts.push(cut),
                _ => break,
            }
        }
    }
    cuts.push(end);
    Ok(cuts)
}

fn parse_parallel(
    path: &Path,
    cuts: &[u64],
    progress: Option<&AtomicU64>,
) -> Vec<Result<Chunk, ChunkError>> {
    std::thread::scope(|scope| {
        let started: Vec<_> = cuts
            .windows(2)
            .map(|w| {
                let (from, to) = (w[0], w[1]);
                let handle = std::thread::Builder::new()
                    .name("history-parse".into())
                    .spawn_scoped(scope, move || parse_range(path, from, to, progress));
                (from, to, handle)
            })
            .collect();
        started
            .into_iter()
            .map(|(from, to, handle)| match handle {
                Ok(handle) => handle
                    .join()
                    // Never expected: a range whose thread panicked is parsed again here.
                    .unwrap_or_else(|_| parse_range(path, from, to, progress)),
                // No thread to be had: parse here.
                Err(_) => parse_range(path, from, to, progress),
            })
            .collect()
    })
}

/// Parse `[start, end)` of the file, reading it in reused blocks.
fn parse_range(
    path: &Path,
    start: u64,
    end: u64,
    progress: Option<&AtomicU64>,
) -> Result<Chunk, ChunkError> {
    let mut file = File::open(path).map_err(ChunkError::Io)?;
    file.seek(SeekFrom::Start(start)).map_err(ChunkError::Io)?;
    let mut chunk = Chunk {
        offset: start,
        ..Chunk::default()
    };
    let mut remaining = end - start;
    let mut buf = vec![0u8; (remaining as usize).clamp(1, BLOCK_BYTES)];
    let mut filled = 0usize;
    loop {
        if filled == buf.len() {
            // One line longer than the buffer.
            buf.resize(buf.len() * 2, 0);
        }
        let want = (buf.len() - filled).min(usize::try_from(remaining).unwrap_or(usize::MAX));
        let n = match file.read(&mut buf[filled..filled + want]) {
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(ChunkError::Io(e)),
        };
        filled += n;
        remaining -= n as u64;
        // n == 0 before `end`: the file shrank meanwhile; take what there is.
        let at_end = remaining == 0 || (n == 0 && want > 0);
        let complete = if at_end {
            filled
        } else {
            buf[..filled]
                .iter()
                .rposition(|&b| b == b'\n')
                .map_or(0, |i| i + 1)
        };
        if complete > 0 {
            chunk.take_block(&buf[..complete])?;
            if let Some(progress) = progress {
                progress.fetch_add(complete as u64, Ordering::Relaxed);
            }
            buf.copy_within(complete..filled, 0);
            filled -= complete;
        }
        if at_end {
            return Ok(chunk);
        }
    }
}

impl Chunk {
    /// Whole lines (the last may lack its newline only at the end of the range).
    fn take_block(&mut self, bytes: &[u8]) -> Result<(), ChunkError> {
        match std::str::from_utf8(bytes) {
            Ok(text) => {
                for line in text.split_inclusive('\n') {
                    self.take_line(line.as_bytes(), Ok(line))?;
                }
            }
            Err(_) => {
                for raw in bytes.split_inclusive(|&b| b == b'\n') {
                    self.take_line(raw, std::str::from_utf8(raw))?;
                }
            }
        }
        Ok(())
    }

    /// One raw line (newline included when present).
    fn take_line(&mut self, raw: &[u8], line: Result<&str, Utf8Error>) -> Result<(), ChunkError> {
        let has_newline = raw.ends_with(b"\n");
        let mut start = self.offset;
        let mut raw = raw;
        let mut line = line;
        if start == 0 && raw.starts_with(BOM) {
            // Not part of the entry: the line starts after it (and a rewrite drops it).
            start += BOM.len() as u64;
            raw = &raw[BOM.len()..];
            line = line.map(|l| l.get(BOM.len()..).unwrap_or(""));
        }
        let len = (raw.len() - usize::from(has_newline)) as u32;
        self.offset = start + raw.len() as u64;
        let this_line = self.lines;
        self.lines += 1;
        self.newlines += usize::from(has_newline);
        let text = match line.map(|l| l.strip_suffix('\n').unwrap_or(l).trim_ascii()) {
            Ok("") => return Ok(()),
            Ok(text) => text,
            Err(e) => {
                let why = format!(
                    "not UTF-8 text (invalid byte at column {})",
                    e.valid_up_to() + 1
                );
                self.stray(start, len, this_line, why, has_newline);
                return Ok(());
            }
        };
        match serde_json::from_str::<Exchange>(text) {
            Ok(entry) if entry.v > HISTORY_FORMAT_VERSION => {
                Err(ChunkError::Newer(this_line, entry.v))
            }
            Ok(entry) => {
                let summary = summarize(&entry, text, &mut self.strings);
                self.items.push(Item::Record(Summary {
                    offset: start,
                    len,
                    line: this_line as u32,
                    ..summary
                }));
                self.last_failed = Some((false, has_newline));
                Ok(())
            }
            Err(err) => {
                if let Some(found) = newer_version(text) {
                    return Err(ChunkError::Newer(this_line, found));
                }
                self.stray(start, len, this_line, describe(&err), has_newline);
                Ok(())
            }
        }
    }

    fn stray(&mut self, offset: u64, len: u32, line: usize, why: String, has_newline: bool) {
        let reason = self.strings.intern(&why).0;
        self.items.push(Item::Stray(Stray {
            offset,
            len,
            line: line as u32,
            reason,
        }));
        self.bad_lines.push((line, why));
        self.last_failed = Some((true, has_newline));
    }
}

/// The scenario runner's ids, when a line has them (older lines do not).
#[derive(Deserialize, Default)]
struct ScenarioIds<'a> {
    #[serde(borrow, default)]
    suite: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    case: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    run: Option<Cow<'a, str>>,
}

/// The index's view of one entry; `offset`, `len` and `line` are the caller's to fill.
pub(super) fn summarize(e: &Exchange, line: &str, strings: &mut Strings) -> Summary {
    let (time_ms, tz_minutes) = match chrono::DateTime::parse_from_rfc3339(&e.time) {
        Ok(t) => (
            t.timestamp_millis(),
            (t.offset().local_minus_utc() / 60) as i16,
        ),
        Err(_) => (i64::MIN, 0),
    };
    // A key can only be written as `"suite":` outside a string (inside one, its quotes
    // are escaped), so the extra parse is only paid by lines that carry the ids.
    let ids =
        if line.contains("\"suite\":") || line.contains("\"run\":") || line.contains("\"case\":") {
            serde_json::from_str::<ScenarioIds>(line).unwrap_or_default()
        } else {
            ScenarioIds::default()
        };
    let mut id = |text: Option<&str>| text.map_or(NONE, |t| strings.intern(t).0);
    Summary {
        offset: 0,
        len: 0,
        line: 0,
        time_ms,
        tz_minutes,
        status: e.response_status.unwrap_or(0),
        inbound: e.direction == Direction::Inbound,
        verdict: VerdictKind::of(e.verdict.as_deref()),
        has_error: e.error.is_some(),
        id_hash: index::id_hash(&e.id),
        profile: id(Some(&e.profile)),
        service: id(e.service.as_deref()),
        title: id(e.service_title.as_deref()),
        method: id(Some(&e.method)),
        code: id(e.response_code.as_deref()),
        error: id(e.error.as_deref().map(first_line)),
        suite: id(ids.suite.as_deref()),
        case: id(ids.case.as_deref()),
        run: id(ids.run.as_deref()),
    }
}

/// The list shows one line of an error (the entry has it all).
fn first_line(text: &str) -> &str {
    let line = text.lines().next().unwrap_or("");
    match line.char_indices().nth(120) {
        Some((at, _)) => &line[..at],
        None => line,
    }
}

/// The `v` of a line that is JSON but not an entry we understand, when it is newer.
fn newer_version(line: &str) -> Option<u32> {
    #[derive(Deserialize)]
    struct Versioned {
        v: u32,
    }
    serde_json::from_str::<Versioned>(line)
        .ok()
        .map(|x| x.v)
        .filter(|v| *v > HISTORY_FORMAT_VERSION)
}

fn describe(err: &serde_json::Error) -> String {
    use serde_json::error::Category;
    let text = err.to_string();
    // serde_json says "at line 1 column N": the line is ours to number, keep the column.
    let message = text
        .rsplit_once(" at line ")
        .map_or(text.as_str(), |(m, _)| m);
    let what = match err.classify() {
        Category::Eof => "the line ends early",
        Category::Syntax => "not JSON",
        Category::Data => "not a history entry",
        Category::Io => "unreadable",
    };
    format!("{what} (column {}: {message})", err.column())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::exchange::{Direction, RecordedMessage};

    fn line(i: usize, body_len: usize) -> String {
        let mut e = Exchange::new(
            Direction::Outbound,
            "p",
            "GET",
            format!("http://h/{i}"),
            RecordedMessage::new(Vec::new(), "x".repeat(body_len)),
        );
        e.id = format!("id-{i}");
        serde_json::to_string(&e).unwrap_or_default() + "\n"
    }

    fn parse_bytes(bytes: &[u8], first_line: u32) -> Result<(Parsed, Strings), HistoryError> {
        let dir = tempfile::tempdir().map_err(|source| HistoryError::Read {
            path: "temp".into(),
            source,
        })?;
        let path = dir.path().join("h");
        std::fs::write(&path, bytes).map_err(|source| HistoryError::Read {
            path: path.clone(),
            source,
        })?;
        let mut strings = Strings::default();
        let parsed = parse_file(&path, 0, bytes.len() as u64, first_line, &mut strings, None)?;
        Ok((parsed, strings))
    }

    fn records(parsed: &Parsed) -> Vec<Summary> {
        parsed
            .items
            .iter()
            .filter_map(|i| match i {
                Item::Record(s) => Some(*s),
                Item::Stray(_) => None,
            })
            .collect()
    }

    #[test]
    fn ranges_join_in_order_with_absolute_line_numbers() -> Result<(), HistoryError> {
        // Big enough for threads and several blocks each; garbage spread over the ranges,
        // one line longer than a block, a torn tail at the end.
        let mut text = String::new();
        let mut bad = Vec::new();
        let mut ids = Vec::new();
        let mut n = 0;
        while text.len() < PARALLEL_MIN_BYTES as usize * 2 {
            n += 1;
            if n % 1000 == 0 {
                text.push_str("garbage\n");
                bad.push(n);
            } else if n % 1500 == 0 {
                text.push('\n');
            } else {
                let body = if n == 2500 { BLOCK_BYTES + 10 } else { 2000 };
                text.push_str(&line(n, body));
                ids.push((n, index::id_hash(&format!("id-{n}"))));
            }
        }
        let mut bytes = text.into_bytes();
        let torn_at = bytes.len() as u64;
        bytes.extend_from_slice(b"{\"v\":1,\"id\":\"to");
        let (parsed, strings) = parse_bytes(&bytes, 1)?;
        let lines: Vec<usize> = parsed.bad_lines.iter().map(|(l, _)| *l).collect();
        assert_eq!(lines, bad);
        assert_eq!(parsed.torn, Some((torn_at, n as u32 + 1)));
        assert_eq!(parsed.end, torn_at);
        assert_eq!(parsed.next_line, n as u32 + 1);
        let found = records(&parsed);
        assert_eq!(found.len(), ids.len());
        for (s, (number, hash)) in found.iter().zip(&ids) {
            assert_eq!((s.line as usize, s.id_hash), (*number, *hash));
            let raw = &bytes[s.offset as usize..s.end() as usize];
            assert!(raw.starts_with(b"{") && raw.ends_with(b"}"));
            assert_eq!(strings.get(s.method), Some("GET"));
        }
        Ok(())
    }

    #[test]
    fn bad_utf8_bom_and_newer_version_lines() -> Result<(), HistoryError> {
        let mut bytes = b"\xEF\xBB\xBF".to_vec();
        bytes.extend_from_slice(line(1, 10).as_bytes());
        bytes.extend_from_slice(b"{\"v\":1,\"id\":\"\xff\"}\n");
        bytes.extend_from_slice(line(2, 10).as_bytes());
        let (parsed, _) = parse_bytes(&bytes, 1)?;
        let found = records(&parsed);
        assert_eq!(found.len(), 2, "the BOM does not cost the first entry");
        assert_eq!(found[0].offset, 3);
        assert_eq!(parsed.bad_lines.len(), 1);
        assert_eq!(parsed.bad_lines[0].0, 2);
        assert!(parsed.bad_lines[0].1.contains("not UTF-8"), "{parsed:?}");
        let newer = format!("{}{{\"v\":9}}\n", line(1, 10));
        let err = parse_bytes(newer.as_bytes(), 10).err();
        assert!(matches!(
            err,
            Some(HistoryError::NewerVersion {
                line: 11,
                found: 9,
                ..
            })
        ));
        Ok(())
    }
}
