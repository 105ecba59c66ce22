//! The derived index beside the JSON Lines, `history.jsonl.idx`: what the list, the filters
//! and the command line need of every entry, without its bodies.
//!
//! Why a file of fixed-size binary slots (and not an embedded database): the index is
//! append-only like the history itself, so an append is one `write` of 80 bytes at the end,
//! a torn write is a partial last slot that is simply ignored, and opening is one
//! sequential read (80 MB at a million entries) with no parsing. Nothing in it is trusted
//! over the JSON Lines: it is checked against them on open (file identity, the first and
//! last entries re-read and matched by id) and rebuilt when missing, stale or of another
//! version.
//!
//! Layout, little-endian, every slot [`SLOT`] bytes:
//! - slot 0, the header: magic, [`INDEX_VERSION`], slot size, the JSON Lines file's
//!   identity (device, inode; zero where there is none) and a generation that changes
//!   whenever the file is replaced (another process then reads it anew);
//! - a string slot (tag 2): `u16` length, then the UTF-8 bytes, continued over as many
//!   raw slots as needed. Strings (profile, service, title, method, responseCode, error,
//!   suite/case/run) are numbered in the order they appear, so a record holds `u32`s;
//! - a record slot (tag 1): one entry's place in the JSON Lines and its summary;
//! - a stray slot (tag 3): a line that is not an entry (kept aside at the next rewrite).

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::hash::{Hash, Hasher};
use std::io::{self, Read, Write};
use std::path::Path;

pub const SLOT: usize = 80;
pub const INDEX_VERSION: u32 = 1;
const MAGIC: &[u8; 8] = b"SNAPHIX\0";
const TAG_RECORD: u8 = 1;
const TAG_STRING: u8 = 2;
const TAG_STRAY: u8 = 3;
/// "No string" in a record.
pub const NONE: u32 = u32::MAX;
/// Longer strings are cut (the row shows one line; the full text is in the entry).
const MAX_STRING_BYTES: usize = 512;
/// Bytes of string in the first slot of a string.
const FIRST_STRING_BYTES: usize = SLOT - 4;
/// Distinct strings kept; beyond it, fields read as "…" in the list (never expected: ids
/// and services repeat, error texts are cut).
const MAX_STRINGS: usize = 1 << 20;

/// The signature verdict of an inbound exchange, from its verdict text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum VerdictKind {
    None = 0,
    Valid = 1,
    Invalid = 2,
    NotChecked = 3,
    Other = 4,
}

impl VerdictKind {
    pub fn of(text: Option<&str>) -> Self {
        match text {
            None => VerdictKind::None,
            Some(t) if t.starts_with("signature VALID") => VerdictKind::Valid,
            Some(t) if t.starts_with("signature INVALID") => VerdictKind::Invalid,
            Some(t) if t.starts_with("signature not checked") => VerdictKind::NotChecked,
            Some(_) => VerdictKind::Other,
        }
    }

    fn from_byte(b: u8) -> Self {
        match b {
            1 => VerdictKind::Valid,
            2 => VerdictKind::Invalid,
            3 => VerdictKind::NotChecked,
            4 => VerdictKind::Other,
            _ => VerdictKind::None,
        }
    }
}

/// One entry as the list knows it. String fields are numbers in the [`Strings`] table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Summary {
    /// Where its line starts in the JSON Lines, and its length without the newline.
    pub offset: u64,
    pub len: u32,
    /// 1-based line number (for messages).
    pub line: u32,
    /// Milliseconds since the epoch, `i64::MIN` when the time did not parse.
    pub time_ms: i64,
    /// The offset the time was written in, minutes east of UTC (Jakarta: 420).
    pub tz_minutes: i16,
    /// 0: no response.
    pub status: u16,
    pub inbound: bool,
    pub verdict: VerdictKind,
    pub has_error: bool,
    /// A hash of the entry's id: what ties this summary to its line.
    pub id_hash: u64,
    pub profile: u32,
    pub service: u32,
    pub title: u32,
    pub method: u32,
    pub code: u32,
    pub error: u32,
    pub suite: u32,
    pub case: u32,
    pub run: u32,
}

impl Summary {
    /// The first byte after its line (its newline, when there is one).
    pub fn end(&self) -> u64 {
        self.offset + u64::from(self.len)
    }

    /// The time as written (`2024-11-29T14:15:00.123+07:00`), or "?" when it did not parse.
    pub fn time_text(&self) -> String {
        let offset = chrono::FixedOffset::east_opt(i32::from(self.tz_minutes) * 60);
        match (
            chrono::DateTime::from_timestamp_millis(self.time_ms),
            offset,
        ) {
            (Some(t), Some(offset)) if self.time_ms != i64::MIN => t
                .with_timezone(&offset)
                .to_rfc3339_opts(chrono::SecondsFormat::Millis, false),
            _ => "?".to_string(),
        }
    }

    /// Days since 1970-01-01 in the time's own offset (the Jakarta date of the exchange).
    pub fn local_day(&self) -> Option<i64> {
        (self.time_ms != i64::MIN)
            .then(|| (self.time_ms + i64::from(self.tz_minutes) * 60_000).div_euclid(86_400_000))
    }
}

/// A line that is not an entry, and why.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stray {
    pub offset: u64,
    pub len: u32,
    pub line: u32,
    pub reason: u32,
}

impl Stray {
    pub fn end(&self) -> u64 {
        self.offset + u64::from(self.len)
    }
}

/// What the index holds, in file order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Item {
    Record(Summary),
    Stray(Stray),
}

impl Item {
    pub fn end(&self) -> u64 {
        match self {
            Item::Record(s) => s.end(),
            Item::Stray(s) => s.end(),
        }
    }
}

/// The string table: numbered in order of first use.
#[derive(Debug, Default, Clone)]
pub struct Strings {
    list: Vec<Box<str>>,
    lookup: HashMap<Box<str>, u32>,
}

impl Strings {
    pub fn get(&self, id: u32) -> Option<&str> {
        self.list.get(id as usize).map(|s| &**s)
    }

    pub fn len(&self) -> usize {
        self.list.len()
    }

    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    pub fn find(&self, text: &str) -> Option<u32> {
        self.lookup.get(text).copied()
    }

    /// The number of `text` (cut to [`MAX_STRING_BYTES`]), and whether it is new.
    pub fn intern(&mut self, text: &str) -> (u32, bool) {
        let text = cut(text, MAX_STRING_BYTES);
        if let Some(&id) = self.lookup.get(text) {
            return (id, false);
        }
        if self.list.len() >= MAX_STRINGS {
            return (NONE, false);
        }
        let id = self.list.len() as u32;
        self.list.push(text.into());
        self.lookup.insert(text.into(), id);
        (id, true)
    }

    pub fn iter(&self) -> impl Iterator<Item = &str> {
        self.list.iter().map(|s| &**s)
    }
}

fn cut(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut at = max;
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    &text[..at]
}

/// A stable hash of an entry id (FNV-1a, so it is the same in every build and process).
pub fn id_hash(id: &str) -> u64 {
    let mut hasher = Fnv(0xcbf2_9ce4_8422_2325);
    id.hash(&mut hasher);
    hasher.finish()
}

struct Fnv(u64);

impl Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 ^= u64::from(b);
            self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
        }
    }
}

/// The header's facts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Header {
    pub file_id: (u64, u64),
    pub generation: u64,
}

pub fn encode_header(header: Header) -> [u8; SLOT] {
    let mut slot = [0u8; SLOT];
    slot[..8].copy_from_slice(MAGIC);
    put32(&mut slot, 8, INDEX_VERSION);
    put32(&mut slot, 12, SLOT as u32);
    put64(&mut slot, 16, header.file_id.0);
    put64(&mut slot, 24, header.file_id.1);
    put64(&mut slot, 32, header.generation);
    slot
}

/// `None`: not an index of this version.
pub fn decode_header(slot: &[u8]) -> Option<Header> {
    if slot.len() < SLOT
        || &slot[..8] != MAGIC
        || get32(slot, 8) != INDEX_VERSION
        || get32(slot, 12) != SLOT as u32
    {
        return None;
    }
    Some(Header {
        file_id: (get64(slot, 16), get64(slot, 24)),
        generation: get64(slot, 32),
    })
}

/// The slots for one string (id assigned by the caller's order).
pub fn encode_string(text: &str, out: &mut Vec<u8>) {
    let bytes = cut(text, MAX_STRING_BYTES).as_bytes();
    let start = out.len();
    let slots = 1 + bytes
        .len()
        .saturating_sub(FIRST_STRING_BYTES)
        .div_ceil(SLOT);
    out.resize(start + slots * SLOT, 0);
    out[start] = TAG_STRING;
    out[start + 2..start + 4].copy_from_slice(&(bytes.len() as u16).to_le_bytes());
    out[start + 4..start + 4 + bytes.len()].copy_from_slice(bytes);
}

pub fn encode_item(item: &Item, out: &mut Vec<u8>) {
    let mut slot = [0u8; SLOT];
    match item {
        Item::Record(s) => {
            slot[0] = TAG_RECORD;
            slot[1] = u8::from(s.inbound);
            slot[2] = s.verdict as u8;
            slot[3] = u8::from(s.has_error);
            slot[4..6].copy_from_slice(&s.status.to_le_bytes());
            slot[6..8].copy_from_slice(&s.tz_minutes.to_le_bytes());
            put64(&mut slot, 8, s.offset);
            put32(&mut slot, 16, s.len);
            put32(&mut slot, 20, s.line);
            put64(&mut slot, 24, s.time_ms as u64);
            put64(&mut slot, 32, s.id_hash);
            let ids = [
                s.profile, s.service, s.title, s.method, s.code, s.error, s.suite, s.case, s.run,
            ];
            for (k, id) in ids.into_iter().enumerate() {
                put32(&mut slot, 40 + 4 * k, id);
            }
        }
        Item::Stray(s) => {
            slot[0] = TAG_STRAY;
            put64(&mut slot, 8, s.offset);
            put32(&mut slot, 16, s.len);
            put32(&mut slot, 20, s.line);
            put32(&mut slot, 40, s.reason);
        }
    }
    out.extend_from_slice(&slot);
}

fn decode_record(slot: &[u8]) -> Summary {
    let id = |k: usize| get32(slot, 40 + 4 * k);
    Summary {
        offset: get64(slot, 8),
        len: get32(slot, 16),
        line: get32(slot, 20),
        time_ms: get64(slot, 24) as i64,
        tz_minutes: i16::from_le_bytes([slot[6], slot[7]]),
        status: u16::from_le_bytes([slot[4], slot[5]]),
        inbound: slot[1] == 1,
        verdict: VerdictKind::from_byte(slot[2]),
        has_error: slot[3] == 1,
        id_hash: get64(slot, 32),
        profile: id(0),
        service: id(1),
        title: id(2),
        method: id(3),
        code: id(4),
        error: id(5),
        suite: id(6),
        case: id(7),
        run: id(8),
    }
}

/// Slots decoded so far (from a whole file or what others appended since).
#[derive(Debug, Default)]
pub struct Decoded {
    pub items: Vec<Item>,
    pub strings: Vec<Box<str>>,
    /// Complete slots consumed; a partial or unknown slot stops decoding (a torn write).
    pub slots: u64,
}

/// Decode `bytes` (whole slots, starting at a slot boundary after the header).
pub fn decode_slots(bytes: &[u8], out: &mut Decoded) {
    let mut at = 0usize;
    while at + SLOT <= bytes.len() {
        let slot = &bytes[at..at + SLOT];
        let used = match slot[0] {
            TAG_RECORD => {
                out.items.push(Item::Record(decode_record(slot)));
                1
            }
            TAG_STRAY => {
                out.items.push(Item::Stray(Stray {
                    offset: get64(slot, 8),
                    len: get32(slot, 16),
                    line: get32(slot, 20),
                    reason: get32(slot, 40),
                }));
                1
            }
            TAG_STRING => {
                let len = usize::from(u16::from_le_bytes([slot[2], slot[3]]));
                let slots = 1 + len.saturating_sub(FIRST_STRING_BYTES).div_ceil(SLOT);
                let Some(raw) = bytes.get(at + 4..at + 4 + len) else {
                    return;
                };
                if at + slots * SLOT > bytes.len() {
                    return;
                }
                out.strings
                    .push(String::from_utf8_lossy(raw).into_owned().into_boxed_str());
                slots
            }
            _ => return,
        };
        at += used * SLOT;
        out.slots += used as u64;
    }
}

/// Read the slots of `path` from slot `from` on (1 = just after the header), in blocks.
pub fn read_slots(file: &mut File, from: u64, out: &mut Decoded) -> io::Result<()> {
    use std::io::{Seek, SeekFrom};
    file.seek(SeekFrom::Start(from * SLOT as u64))?;
    let mut buf = vec![0u8; 4 * 1024 * 1024];
    let mut filled = 0usize;
    out.slots = from;
    loop {
        let n = file.read(&mut buf[filled..])?;
        filled += n;
        let before = out.slots;
        let whole = filled - filled % SLOT;
        // A string may straddle blocks: decode what is complete, keep the rest.
        decode_slots(&buf[..whole], out);
        let used = ((out.slots - before) as usize) * SLOT;
        buf.copy_within(used..filled, 0);
        filled -= used;
        if n == 0 {
            break;
        }
        if filled == buf.len() {
            buf.resize(buf.len() * 2, 0);
        }
    }
    Ok(())
}

pub fn read_header(file: &mut File) -> io::Result<Option<Header>> {
    use std::io::{Seek, SeekFrom};
    let mut slot = [0u8; SLOT];
    file.seek(SeekFrom::Start(0))?;
    match file.read_exact(&mut slot) {
        Ok(()) => Ok(decode_header(&slot)),
        Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => Ok(None),
        Err(e) => Err(e),
    }
}

pub fn open_index(path: &Path, write: bool) -> io::Result<File> {
    let mut options = OpenOptions::new();
    options.read(true);
    if write {
        options.write(true).create(true).truncate(false);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
    }
    options.open(path)
}

/// Write `bytes` at slot `at` (whole slots), after cutting off any torn tail.
pub fn write_slots_at(file: &mut File, at: u64, bytes: &[u8]) -> io::Result<()> {
    use std::io::{Seek, SeekFrom};
    let offset = at * SLOT as u64;
    if file.metadata()?.len() != offset {
        file.set_len(offset)?;
    }
    file.seek(SeekFrom::Start(offset))?;
    file.write_all(bytes)
}

fn put32(slot: &mut [u8], at: usize, v: u32) {
    slot[at..at + 4].copy_from_slice(&v.to_le_bytes());
}

fn put64(slot: &mut [u8], at: usize, v: u64) {
    slot[at..at + 8].copy_from_slice(&v.to_le_bytes());
}

fn get32(slot: &[u8], at: usize) -> u32 {
    let mut b = [0u8; 4];
    b.copy_from_slice(&slot[at..at + 4]);
    u32::from_le_bytes(b)
}

fn get64(slot: &[u8], at: usize) -> u64 {
    let mut b = [0u8; 8];
    b.copy_from_slice(&slot[at..at + 8]);
    u64::from_le_bytes(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn summary(i: u64) -> Summary {
        Summary {
            offset: i * 100,
            len: 99,
            line: i as u32 + 1,
            time_ms: 1_700_000_000_000 + i as i64,
            tz_minutes: 420,
            status: 200,
            inbound: i.is_multiple_of(2),
            verdict: VerdictKind::Invalid,
            has_error: true,
            id_hash: id_hash("x"),
            profile: 0,
            service: 1,
            title: NONE,
            method: 0,
            code: 1,
            error: NONE,
            suite: NONE,
            case: NONE,
            run: 2,
        }
    }

    #[test]
    fn slots_round_trip_and_a_torn_tail_is_ignored() {
        let mut bytes = Vec::new();
        encode_string("POST", &mut bytes);
        encode_string(&"é".repeat(300), &mut bytes);
        encode_item(&Item::Record(summary(1)), &mut bytes);
        encode_item(
            &Item::Stray(Stray {
                offset: 5,
                len: 3,
                line: 7,
                reason: 0,
            }),
            &mut bytes,
        );
        let mut decoded = Decoded::default();
        decode_slots(&bytes, &mut decoded);
        assert_eq!(decoded.strings.len(), 2);
        assert_eq!(decoded.strings[1].len(), MAX_STRING_BYTES);
        assert_eq!(decoded.items[0], Item::Record(summary(1)));
        assert_eq!(decoded.items.len(), 2);
        assert_eq!(decoded.slots as usize * SLOT, bytes.len());
        // A string whose continuation was never written is not read.
        let mut torn = Vec::new();
        encode_string(&"x".repeat(200), &mut torn);
        torn.truncate(SLOT * 2);
        let mut decoded = Decoded::default();
        decode_slots(&torn, &mut decoded);
        assert_eq!((decoded.strings.len(), decoded.slots), (0, 0));
        let header = Header {
            file_id: (1, 2),
            generation: 3,
        };
        assert_eq!(decode_header(&encode_header(header)), Some(header));
        assert_eq!(decode_header(&[0u8; SLOT]), None);
    }

    #[test]
    fn local_day_uses_the_written_offset() {
        let mut s = summary(0);
        // 2024-11-29T23:30:00+07:00 is 16:30 UTC the same day; 2024-11-30T01:00+07:00 is
        // the 29th in UTC but the 30th in Jakarta.
        s.time_ms = 1_732_899_600_000; // 2024-11-29T17:00:00Z
        assert_eq!(s.local_day(), Some(20_057)); // 2024-11-30 in Jakarta
        s.time_ms = i64::MIN;
        assert_eq!(s.local_day(), None);
    }
}
