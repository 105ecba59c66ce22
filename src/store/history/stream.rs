//! Text search by streaming the JSON Lines, newest first, in blocks of about 4 MB.
//!
//! Finds exactly what matching the decoded, lower-cased exchange finds (see
//! [`super::search::haystack`]), but without decoding most lines: a word that is ASCII
//! and holds nothing JSON escapes (`"`, `\`, control characters) and does not end with
//! `:` (the haystack joins a header's name and value with `: `) reads the same in the raw
//! line as in the decoded text, as long as the line is ASCII and has no `\u` or `\/`
//! escapes. Such a line without the word cannot match and is skipped; a line with it
//! (the word may be a JSON key) and every other line is decoded and checked in full.
//!
//! A [`SearchPlan`] owns what it needs (the file path and the candidates' places), so the
//! window can run it without holding the store.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::PathBuf;

use memchr::memmem;

use super::HistoryError;
use super::file::HistoryStore;
use super::record::Exchange;
use super::search::{self, Query, SummaryFilter};

/// A block read at once; a single longer line is read whole.
const BLOCK_BYTES: u64 = 4 * 1024 * 1024;

/// A candidate line: (position in the list, offset in the file, length).
type Candidate = (u32, u64, u32);

/// A text search ready to run: candidates (already through the index filters) newest
/// first, as (position, offset, length).
pub struct SearchPlan {
    path: PathBuf,
    candidates: Vec<Candidate>,
    words: Vec<String>,
}

impl HistoryStore {
    /// Positions (of [`summaries`](Self::summaries)) matching the query's filters other
    /// than the text, newest first. Answered from memory.
    pub fn filter(&self, query: &Query) -> Vec<u32> {
        let filter = SummaryFilter::new(query, self.strings());
        let summaries = self.summaries();
        (0..summaries.len() as u32)
            .rev()
            .filter(|&i| filter.matches(&summaries[i as usize]))
            .collect()
    }

    /// The text part of `query` as a plan to stream (see [`SearchPlan::run`]).
    pub fn plan(&self, query: &Query) -> SearchPlan {
        let summaries = self.summaries();
        let candidates = self
            .filter(query)
            .into_iter()
            .map(|i| {
                let s = &summaries[i as usize];
                (i, s.offset, s.len)
            })
            .collect();
        SearchPlan {
            path: self.path().to_path_buf(),
            candidates,
            words: query.text.split_whitespace().map(search::lower).collect(),
        }
    }

    /// Every position matching `query`, newest first (the whole search at once).
    pub fn search(&self, query: &Query) -> Result<Vec<u32>, HistoryError> {
        if !query.has_text() {
            return Ok(self.filter(query));
        }
        let mut found = Vec::new();
        self.plan(query)
            .run(&|| false, &mut |batch| found.extend_from_slice(batch))?;
        Ok(found)
    }
}

impl SearchPlan {
    /// How many entries the text is looked for in.
    pub fn candidates(&self) -> usize {
        self.candidates.len()
    }

    /// Stream the file, handing each block's matches (positions, newest first) to
    /// `on_batch`; `cancelled` is asked between blocks. `Ok(false)`: cancelled.
    pub fn run(
        &self,
        cancelled: &dyn Fn() -> bool,
        on_batch: &mut dyn FnMut(&[u32]),
    ) -> Result<bool, HistoryError> {
        if self.candidates.is_empty() {
            return Ok(true);
        }
        if self.words.is_empty() {
            let all: Vec<u32> = self.candidates.iter().map(|c| c.0).collect();
            on_batch(&all);
            return Ok(true);
        }
        let read_err = |source| HistoryError::Read {
            path: self.path.clone(),
            source,
        };
        let mut file = File::open(&self.path).map_err(read_err)?;
        let raw_words: Vec<memmem::Finder<'_>> = self
            .words
            .iter()
            .filter(|w| raw_safe(w))
            .map(|w| memmem::Finder::new(w.as_bytes()))
            .collect();
        let all_raw_safe = raw_words.len() == self.words.len();
        let mut buf = Vec::new();
        let mut lowered = Vec::new();
        let mut found = Vec::new();
        let mut rest = &self.candidates[..];
        while !rest.is_empty() {
            if cancelled() {
                return Ok(false);
            }
            let (block, remaining) = next_block(rest);
            rest = remaining;
            let lo = block.last().map_or(0, |c| c.1);
            let hi = block.first().map_or(0, |c| c.1 + u64::from(c.2));
            buf.resize((hi - lo) as usize, 0);
            file.seek(SeekFrom::Start(lo))
                .and_then(|_| file.read_exact(&mut buf))
                .map_err(read_err)?;
            lowered.clear();
            lowered.extend(buf.iter().map(u8::to_ascii_lowercase));
            found.clear();
            for &(position, offset, len) in block {
                let range = (offset - lo) as usize..(offset - lo) as usize + len as usize;
                let (line, low) = (&buf[range.clone()], &lowered[range]);
                let skip = all_raw_safe
                    && raw_reads_as_decoded(line)
                    && raw_words.iter().any(|w| w.find(low).is_none());
                if !skip && self.matches_decoded(line) {
                    found.push(position);
                }
            }
            if !found.is_empty() {
                on_batch(&found);
            }
        }
        Ok(true)
    }

    fn matches_decoded(&self, line: &[u8]) -> bool {
        let Ok(entry) = serde_json::from_slice::<Exchange>(line) else {
            return false;
        };
        let hay = search::haystack(&entry);
        self.words.iter().all(|w| hay.contains(w.as_str()))
    }
}

/// The candidates (newest first) whose lines fit in one block, and the rest.
fn next_block(candidates: &[Candidate]) -> (&[Candidate], &[Candidate]) {
    let hi = candidates[0].1 + u64::from(candidates[0].2);
    let n = candidates
        .iter()
        .position(|c| hi - c.1 > BLOCK_BYTES)
        .unwrap_or(candidates.len())
        .max(1);
    candidates.split_at(n)
}

/// A (lower-cased) word that reads the same in a raw JSON line as in the decoded text.
fn raw_safe(word: &str) -> bool {
    word.is_ascii()
        && !word.ends_with(':')
        && !word.bytes().any(|b| b == b'"' || b == b'\\' || b < 0x20)
}

/// Whether the raw line's string values read as their decoded text for such words: ASCII
/// (non-ASCII letters may lower-case to ASCII ones) and no `\u` or `\/` escapes.
fn raw_reads_as_decoded(line: &[u8]) -> bool {
    line.is_ascii()
        && memchr::memchr_iter(b'\\', line).all(|at| !matches!(line.get(at + 1), Some(b'u' | b'/')))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn which_words_and_lines_take_the_fast_path() {
        assert!(raw_safe("ref000123"));
        assert!(raw_safe("http://127.0.0.1/api"));
        assert!(!raw_safe("x-external-id:"));
        assert!(!raw_safe("é"));
        assert!(!raw_safe("a\"b"));
        assert!(raw_reads_as_decoded(br#"{"body":"{\"a\":1}"}"#));
        assert!(!raw_reads_as_decoded(br#"{"body":"\u0041"}"#));
        assert!(!raw_reads_as_decoded(br#"{"url":"http:\/\/x"}"#));
        assert!(!raw_reads_as_decoded("{\"name\":\"É\"}".as_bytes()));
    }

    /// Entries that stress the fast path: escapes, non-ASCII, a Kelvin sign (lower-cases
    /// to ASCII `k`), `\u` and `\/` written by another tool, header joins, JSON keys.
    #[test]
    fn streamed_search_finds_what_the_decoded_haystack_finds() -> Result<(), HistoryError> {
        use crate::model::exchange::{Direction, RecordedMessage};
        use crate::store::history::search::{Prepared, haystack};
        let dir = tempfile::tempdir().map_err(|source| HistoryError::Read {
            path: "temp".into(),
            source,
        })?;
        let bodies = [
            r#"{"name":"Jökul","ref":"REF1"}"#,
            "Kelvin \u{212A}ELVIN and \"quoted\" text",
            r#"plain body with http://x/y"#,
            "tab\there and a back\\slash",
        ];
        let mut lines = String::new();
        let mut entries = Vec::new();
        for (i, body) in bodies.iter().enumerate() {
            let mut e = Exchange::new(
                Direction::Outbound,
                "Prof",
                "POST",
                format!("http://127.0.0.1/p/{i}"),
                RecordedMessage::new(vec![("X-Key".into(), format!("Val{i}"))], *body),
            );
            e.id = format!("id-{i}");
            lines.push_str(&serde_json::to_string(&e).unwrap_or_default());
            lines.push('\n');
            entries.push(e);
        }
        // Written by another tool: escapes serde_json does not use.
        let mut foreign = entries[2].clone();
        foreign.id = "id-4".into();
        let raw = serde_json::to_string(&foreign)
            .unwrap_or_default()
            .replace("http://x/y", "http:\\/\\/x\\/y")
            .replace("plain", "\\u0050lain");
        lines.push_str(&raw);
        lines.push('\n');
        let decoded: Exchange =
            serde_json::from_str(&raw).map_err(|e| HistoryError::Encode(e.to_string()))?;
        entries.push(decoded);
        std::fs::write(dir.path().join("history.jsonl"), &lines).map_err(|source| {
            HistoryError::Read {
                path: "temp".into(),
                source,
            }
        })?;
        let (store, _) = HistoryStore::open(dir.path())?;
        let words = [
            "jökul",
            "JÖKUL",
            "ref1",
            "kelvin",
            "k",
            "\"quoted\"",
            "x-key:",
            "x-key: val1",
            "val2",
            "http://x/y",
            "plain",
            "body",
            "headers",
            "tab\there",
            "back\\slash",
            "prof",
            "post",
            "p/3",
            "missing",
        ];
        for word in words {
            let query = Query::text(word);
            let prepared = Prepared::new(&query);
            let expected: Vec<u32> = (0..entries.len() as u32)
                .rev()
                .filter(|&i| {
                    let e = &entries[i as usize];
                    prepared.matches(e, &haystack(e))
                })
                .collect();
            assert_eq!(store.search(&query)?, expected, "word {word:?}");
        }
        Ok(())
    }

    #[test]
    fn blocks_cut_at_the_size() {
        let c: Vec<Candidate> = (0..10u32)
            .rev()
            .map(|i| (i, u64::from(i) * 1_000_000, 999_999))
            .collect();
        let (block, rest) = next_block(&c);
        assert_eq!(block.len(), 4); // 9..6: 3 MB + a line below 4 MB of the top
        assert_eq!(rest.len(), 6);
    }
}
