//! Reading JSON Lines into entries: which lines are entries, which are garbage (with
//! their line numbers), whether the last one is torn, whether one is from a newer format.
//!
//! A 100,000-entry history is ~350 MB of JSON. Two things make opening it slow: serde_json
//! reads it at roughly 0.5 GB/s on one core, and touching fresh memory costs a page fault
//! per 4 KB (a 350 MB read buffer alone is ~0.3 s on a VM). So the file is cut at line
//! boundaries into one range per core, each range is parsed on a scoped thread that reads
//! it in reused 4 MB blocks (each thread also builds its entries' search haystacks), and
//! the ranges are joined in order. Small files are parsed on the calling thread. Each block
//! is checked as UTF-8 once, so each line is parsed with `from_str` (no second validation
//! per string).

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::Path;
use std::str::Utf8Error;

use serde::Deserialize;

use super::record::Exchange;
use super::search;
use super::{HISTORY_FORMAT_VERSION, HistoryError};

/// Below this, threads cost more than they save.
const PARALLEL_MIN_BYTES: u64 = 8 * 1024 * 1024;
const MAX_THREADS: usize = 8;
/// Read buffer per thread; grows for a line longer than this.
const BLOCK_BYTES: usize = 4 * 1024 * 1024;

/// A line's place in the file; `len` excludes the newline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Span {
    pub(super) start: u64,
    pub(super) len: u64,
}

impl Span {
    pub(super) fn range(self) -> std::ops::Range<usize> {
        self.start as usize..(self.start + self.len) as usize
    }
}

#[derive(Default)]
pub(super) struct Parsed {
    pub(super) entries: Vec<Exchange>,
    pub(super) spans: Vec<Span>,
    pub(super) hay: Vec<Box<str>>,
    /// Lines that are not entries, torn tail included.
    pub(super) strays: Vec<Span>,
    /// Garbage lines (not the torn tail): 1-based number and why.
    pub(super) bad_lines: Vec<(usize, String)>,
    pub(super) torn_tail: bool,
    pub(super) newlines: usize,
}

/// One range's result; line numbers relative to the range (0 = its first line).
#[derive(Default)]
struct Chunk {
    parsed: Parsed,
    /// File offset of the next line.
    offset: u64,
    lines: usize,
    /// Whether the range's last non-blank line failed; `None`: it has none.
    last_failed: Option<bool>,
}

enum ChunkError {
    /// A line from a newer format: (relative line, its `v`).
    Newer(usize, u32),
    Io(io::Error),
}

/// Parse the lines of `path` between byte `start` and `end` (the file length when the
/// caller took the lock); `first_line` is the number of the line at `start`.
pub(super) fn parse_file(
    path: &Path,
    start: u64,
    end: u64,
    first_line: usize,
) -> Result<Parsed, HistoryError> {
    let read_err = |source| HistoryError::Read {
        path: path.to_path_buf(),
        source,
    };
    let cuts = range_bounds(path, start, end).map_err(read_err)?;
    let results: Vec<Result<Chunk, ChunkError>> = if cuts.len() <= 2 {
        vec![parse_range(path, start, end)]
    } else {
        parse_parallel(path, &cuts)
    };
    let mut out = Parsed::default();
    let mut line_offset = first_line;
    let mut last_failed = false;
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
        let Chunk {
            parsed,
            last_failed: chunk_last_failed,
            ..
        } = chunk;
        out.entries.extend(parsed.entries);
        out.spans.extend(parsed.spans);
        out.hay.extend(parsed.hay);
        out.strays.extend(parsed.strays);
        out.bad_lines.extend(
            parsed
                .bad_lines
                .into_iter()
                .map(|(line, why)| (line_offset + line, why)),
        );
        if let Some(failed) = chunk_last_failed {
            last_failed = failed;
        }
        line_offset += parsed.newlines;
        out.newlines += parsed.newlines;
    }
    if last_failed {
        // The last line: a write cut short, reported as such (its bytes stay a stray, so
        // they are kept aside too).
        out.bad_lines.pop();
        out.torn_tail = true;
    }
    Ok(out)
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

fn parse_parallel(path: &Path, cuts: &[u64]) -> Vec<Result<Chunk, ChunkError>> {
    std::thread::scope(|scope| {
        let started: Vec<_> = cuts
            .windows(2)
            .map(|w| {
                let (from, to) = (w[0], w[1]);
                let handle = std::thread::Builder::new()
                    .name("history-parse".into())
                    .spawn_scoped(scope, move || parse_range(path, from, to));
                (from, to, handle)
            })
            .collect();
        started
            .into_iter()
            .map(|(from, to, handle)| match handle {
                Ok(handle) => handle
                    .join()
                    // Never expected: a range whose thread panicked is parsed again here.
                    .unwrap_or_else(|_| parse_range(path, from, to)),
                // No thread to be had: parse here.
                Err(_) => parse_range(path, from, to),
            })
            .collect()
    })
}

/// Parse `[start, end)` of the file, reading it in reused blocks.
fn parse_range(path: &Path, start: u64, end: u64) -> Result<Chunk, ChunkError> {
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
        let span = Span {
            start: self.offset,
            len: (raw.len() - usize::from(raw.ends_with(b"\n"))) as u64,
        };
        self.offset += raw.len() as u64;
        let this_line = self.lines;
        self.lines += 1;
        let parsed = &mut self.parsed;
        parsed.newlines += usize::from(raw.ends_with(b"\n"));
        let text = match line.map(|l| l.strip_suffix('\n').unwrap_or(l).trim_ascii()) {
            Ok("") => return Ok(()),
            Ok(text) => text,
            Err(e) => {
                parsed.strays.push(span);
                parsed.bad_lines.push((
                    this_line,
                    format!(
                        "not UTF-8 text (invalid byte at column {})",
                        e.valid_up_to() + 1
                    ),
                ));
                self.last_failed = Some(true);
                return Ok(());
            }
        };
        match serde_json::from_str::<Exchange>(text) {
            Ok(entry) if entry.v > HISTORY_FORMAT_VERSION => {
                Err(ChunkError::Newer(this_line, entry.v))
            }
            Ok(entry) => {
                parsed.hay.push(search::haystack(&entry));
                parsed.entries.push(entry);
                parsed.spans.push(span);
                self.last_failed = Some(false);
                Ok(())
            }
            Err(err) => {
                if let Some(found) = newer_version(text) {
                    return Err(ChunkError::Newer(this_line, found));
                }
                parsed.strays.push(span);
                parsed.bad_lines.push((this_line, describe(&err)));
                self.last_failed = Some(true);
                Ok(())
            }
        }
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
    use crate::store::history::record::{Direction, RecordedMessage};

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

    fn parse_bytes(bytes: &[u8], first_line: usize) -> Result<Parsed, HistoryError> {
        let dir = tempfile::tempdir().map_err(|source| HistoryError::Read {
            path: "temp".into(),
            source,
        })?;
        let path = dir.path().join("h");
        std::fs::write(&path, bytes).map_err(|source| HistoryError::Read {
            path: path.clone(),
            source,
        })?;
        parse_file(&path, 0, bytes.len() as u64, first_line)
    }

    #[test]
    fn ranges_join_in_order_with_absolute_line_numbers() -> Result<(), HistoryError> {
        // Big enough for threads and several blocks each; garbage spread over the ranges,
        // one line longer than a block, a torn tail at the end.
        let mut text = String::new();
        let mut bad = Vec::new();
        let mut n = 0;
        while text.len() < PARALLEL_MIN_BYTES as usize * 2 {
            n += 1;
            if n % 1000 == 0 {
                text.push_str("garbage\n");
                bad.push(n);
            } else if n % 1500 == 0 {
                text.push('\n');
            } else if n == 2500 {
                text.push_str(&line(n, BLOCK_BYTES + 10));
            } else {
                text.push_str(&line(n, 2000));
            }
        }
        let mut bytes = text.into_bytes();
        bytes.extend_from_slice(b"{\"v\":1,\"id\":\"to");
        let parsed = parse_bytes(&bytes, 1)?;
        let lines: Vec<usize> = parsed.bad_lines.iter().map(|(l, _)| *l).collect();
        assert_eq!(lines, bad);
        assert!(parsed.torn_tail);
        assert_eq!(parsed.strays.len(), bad.len() + 1);
        let blanks = n / 1500 - n / 3000; // every 1500th, except where 1000 also divides
        assert_eq!(parsed.entries.len(), n - bad.len() - blanks);
        assert_eq!(parsed.entries.len(), parsed.hay.len());
        let numbers: Vec<usize> = parsed
            .entries
            .iter()
            .filter_map(|e| e.id.strip_prefix("id-")?.parse().ok())
            .collect();
        assert_eq!(numbers.len(), parsed.entries.len());
        assert!(numbers.windows(2).all(|w| w[0] < w[1]), "joined in order");
        for (entry, span) in parsed.entries.iter().zip(&parsed.spans) {
            let raw = std::str::from_utf8(&bytes[span.range()]).unwrap_or_default();
            assert!(raw.starts_with('{') && raw.ends_with('}'));
            assert!(raw.contains(&format!("\"{}\"", entry.id)));
        }
        Ok(())
    }

    #[test]
    fn bad_utf8_and_newer_version_lines() {
        let mut bytes = line(1, 10).into_bytes();
        bytes.extend_from_slice(b"{\"v\":1,\"id\":\"\xff\"}\n");
        bytes.extend_from_slice(line(2, 10).as_bytes());
        let parsed = parse_bytes(&bytes, 1).ok().unwrap_or_default();
        assert_eq!(parsed.entries.len(), 2);
        assert_eq!(parsed.bad_lines.len(), 1);
        assert_eq!(parsed.bad_lines[0].0, 2);
        assert!(
            parsed.bad_lines[0].1.contains("not UTF-8"),
            "{:?}",
            parsed.bad_lines
        );
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
    }
}
