//! Body minification: the `minify(body)` inside every SNAP transactional stringToSign.
//!
//! SNAP signs `lowerhex(SHA-256(minify(body)))`, but ASPI defines "minify" only by name: no
//! key order, escaping or number rule (SNAP_NOTES §2). Real implementations disagree, and a
//! single differing byte changes the hash, so a signature made by one side fails on the
//! other. This module therefore offers one safe default and a faithful copy of each
//! re-serialiser seen in the wild, so the console can show which variant a counterparty
//! expected:
//!
//! * [`MinifyMode::Lexical`] removes only insignificant whitespace (Go `json.Compact`,
//!   koriebruh). Hashed bytes == sent bytes minus whitespace, which is the robust rule.
//! * [`MinifyMode::Js`], [`MinifyMode::Php`], [`MinifyMode::GoSorted`] parse and re-print
//!   the body the way `JSON.stringify(JSON.parse(b))`, PHP `json_encode(json_decode(b))`
//!   and Go `json.Marshal` of an `interface{}` do.
//! * [`MinifyMode::None`] hashes the body as typed (non-JSON bodies, raw-bytes hashers).
//!
//! Fidelity details that are easy to get wrong (each checked against the reference source):
//!
//! * JS lists "array index" keys (`"0"`, `"17"`) before the others, in numeric order, so
//!   `{"b":1,"1":2}` becomes `{"1":2,"b":1}`; other keys keep insertion order.
//! * PHP's default flags do not include JSON_PRESERVE_ZERO_FRACTION: `12345678.00` and
//!   `1E2` print `12345678` and `100`; only the exponent form always has a fraction
//!   (`1.0e+25`), used from 1e17 up and below 1e-4.
//! * Go escapes `\b` and `\f` as short escapes since Go 1.22 (`\u0008`/`\u000c` before).
//! * On an exact tie between two shortest digit strings all three pick the even digit.
//!
//! Pure code: no I/O. Nothing here panics on input: errors carry a 1-based line and
//! column so the UI can point at the mistake.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::str::FromStr;

/// Deepest nesting of objects/arrays accepted, in every mode.
///
/// 512 is PHP's `json_decode` default depth, so a body PHP accepts is accepted here, and
/// it bounds the recursion of the re-serialising modes far below any thread's stack size.
/// The lexical scanner is iterative and would not need it, but one limit for all modes keeps
/// "is this body valid?" the same answer whichever mode the user picks.
pub const MAX_DEPTH: usize = 512;

/// How a request body is turned into the bytes that get hashed.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "kebab-case")]
pub enum MinifyMode {
    /// Whitespace outside strings removed, every other byte kept (the safe default).
    #[default]
    Lexical,
    /// `JSON.stringify(JSON.parse(body))` (Node/browser clients, Midtrans' demo).
    Js,
    /// `json_encode(json_decode(body))` with default flags (PHP servers and clients).
    Php,
    /// Go `json.Marshal` of a body decoded into `interface{}`: keys sorted.
    GoSorted,
    /// The body exactly as typed, not even validated.
    None,
}

impl MinifyMode {
    /// Every mode, default first: the order the UI lists them in.
    pub const ALL: [MinifyMode; 5] = [
        MinifyMode::Lexical,
        MinifyMode::Js,
        MinifyMode::Php,
        MinifyMode::GoSorted,
        MinifyMode::None,
    ];

    /// Stable name, used in config files, the CLI and serde (kebab-case).
    pub fn name(self) -> &'static str {
        match self {
            MinifyMode::Lexical => "lexical",
            MinifyMode::Js => "js",
            MinifyMode::Php => "php",
            MinifyMode::GoSorted => "go-sorted",
            MinifyMode::None => "none",
        }
    }

    /// One line for a tooltip: who minifies this way and what it changes.
    pub fn describe(self) -> &'static str {
        match self {
            MinifyMode::Lexical => {
                "Whitespace outside strings removed, every other byte kept (Go json.Compact, koriebruh): the safe default"
            }
            MinifyMode::Js => {
                "JSON.stringify(JSON.parse(body)) as Node clients and Midtrans' demo: unescapes \\/ and \\u, reprints numbers, duplicate keys merged"
            }
            MinifyMode::Php => {
                "json_encode(json_decode(body)) as PHP servers/clients: escapes / as \\/ and non-ASCII as \\uXXXX, reprints floats"
            }
            MinifyMode::GoSorted => {
                "Go json.Marshal of a decoded map (NICEPAY Go SDK, gilang-as): keys sorted, <>& escaped, numbers as float64"
            }
            MinifyMode::None => {
                "The body exactly as typed, no validation: for non-JSON bodies or senders that hash raw bytes"
            }
        }
    }
}

impl FromStr for MinifyMode {
    type Err = String;

    /// Accepts the [`MinifyMode::name`]s, ignoring ASCII case and surrounding spaces, since
    /// they come from command lines and hand-edited config files.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let wanted = s.trim();
        MinifyMode::ALL
            .into_iter()
            .find(|mode| mode.name().eq_ignore_ascii_case(wanted))
            .ok_or_else(|| {
                let names: Vec<&str> = MinifyMode::ALL.iter().map(|m| m.name()).collect();
                format!(
                    "unknown minify mode '{wanted}' (valid: {})",
                    names.join(", ")
                )
            })
    }
}

impl fmt::Display for MinifyMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Why a body could not be minified, and where (1-based; columns count characters, so
/// they match what an editor shows for non-ASCII text; lines end at LF, so CRLF works).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid JSON at line {line}, column {column}: {message}")]
pub struct MinifyError {
    pub line: usize,
    pub column: usize,
    pub message: String,
}

/// Minifies `body` the way `mode` says.
///
/// An empty or whitespace-only body gives `""` in every mode: ASPI says a request without a
/// body hashes the empty string (`e3b0c442…b855`), not `{}`.
pub fn minify(body: &str, mode: MinifyMode) -> Result<String, MinifyError> {
    if body.bytes().all(is_json_ws) {
        return Ok(String::new());
    }
    match mode {
        MinifyMode::None => Ok(body.to_owned()),
        MinifyMode::Lexical => Lexer::new(body, true).run(),
        MinifyMode::Js | MinifyMode::Php | MinifyMode::GoSorted => {
            // Validate first so every mode reports the same error at the same place; after
            // this the parser only meets valid JSON nested at most MAX_DEPTH deep.
            Lexer::new(body, false).run()?;
            let value = Parser::new(body).parse()?;
            let mut out = String::with_capacity(body.len());
            let ctx = Ctx { body };
            match mode {
                MinifyMode::Js => js_value(&value, &mut out),
                MinifyMode::Php => php_value(&ctx, &value, &mut out)?,
                _ => go_value(&ctx, &value, &mut out)?,
            }
            Ok(out)
        }
    }
}

/// JSON's insignificant whitespace (RFC 8259): exactly these four, nothing Unicode.
fn is_json_ws(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r')
}

/// Builds an error at a byte offset, turning it into the line/column a person can find.
fn error_at(body: &str, offset: usize, message: impl Into<String>) -> MinifyError {
    let bytes = body.as_bytes();
    let before = bytes.get(..offset).unwrap_or(bytes);
    let line = 1 + before.iter().filter(|&&b| b == b'\n').count();
    let line_start = before
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1);
    let column = 1 + before
        .get(line_start..)
        .unwrap_or_default()
        .iter()
        .filter(|&&b| (b & 0xC0) != 0x80)
        .count();
    MinifyError {
        line,
        column,
        message: message.into(),
    }
}

/// Names the character at `offset` for an error message: `'x'` or `U+XXXX`.
fn describe_char_at(body: &str, offset: usize) -> String {
    match body.get(offset..).and_then(|rest| rest.chars().next()) {
        None => "end of input".to_owned(),
        Some(c) if c.is_ascii_graphic() => format!("'{c}'"),
        Some('\u{feff}') => "U+FEFF (a byte order mark; remove it)".to_owned(),
        Some(c) if c.is_alphanumeric() => format!("'{c}' (U+{:04X})", c as u32),
        Some(c) => format!("U+{:04X}", c as u32),
    }
}

// ---------------------------------------------------------------------------------------
// Lexical: a single-pass validating scanner
// ---------------------------------------------------------------------------------------

/// Validates and (optionally) compacts in one pass, without recursion and without an
/// allocation per token: the output is built by copying whole runs of bytes between
/// whitespace gaps, which is what keeps a 1 MB body in the millisecond range.
struct Lexer<'a> {
    body: &'a str,
    bytes: &'a [u8],
    pos: usize,
    /// `None` when only validating (the re-serialising modes build their own output).
    out: Option<String>,
    /// Start of the run of kept bytes not yet copied to `out`.
    run_start: usize,
    /// Open containers, `b'{'` or `b'['`: the iterative replacement for recursion.
    stack: Vec<u8>,
}

impl<'a> Lexer<'a> {
    fn new(body: &'a str, emit: bool) -> Self {
        Lexer {
            body,
            bytes: body.as_bytes(),
            pos: 0,
            out: emit.then(|| String::with_capacity(body.len())),
            run_start: 0,
            stack: Vec::new(),
        }
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn error(&self, offset: usize, message: impl Into<String>) -> MinifyError {
        error_at(self.body, offset, message)
    }

    /// "expected X" at the current position, naming what was found instead.
    fn unexpected(&self, expected: &str) -> MinifyError {
        if self.pos >= self.bytes.len() {
            self.error(self.pos, format!("unexpected end of input: {expected}"))
        } else if self.peek() == Some(b'\'') {
            let hint = "JSON strings use double quotes";
            self.error(self.pos, format!("{expected}, found ' ({hint})"))
        } else {
            let found = describe_char_at(self.body, self.pos);
            self.error(self.pos, format!("{expected}, found {found}"))
        }
    }

    /// Copies the pending run `[run_start, upto)` to the output.
    fn flush(&mut self, upto: usize) {
        if let Some(out) = self.out.as_mut()
            && let Some(run) = self.body.get(self.run_start..upto)
        {
            out.push_str(run);
        }
    }

    /// Skips whitespace; a non-empty gap ends the current run of kept bytes.
    fn skip_ws(&mut self) {
        let start = self.pos;
        while self.peek().is_some_and(is_json_ws) {
            self.pos += 1;
        }
        if self.pos > start {
            self.flush(start);
            self.run_start = self.pos;
        }
    }

    fn run(mut self) -> Result<String, MinifyError> {
        self.skip_ws();
        'value: loop {
            // One value starts here.
            match self.peek() {
                Some(b'{') => {
                    self.open(b'{')?;
                    self.skip_ws();
                    match self.peek() {
                        Some(b'}') => self.close(),
                        Some(b'"') => {
                            self.key()?;
                            continue 'value;
                        }
                        _ => return Err(self.unexpected("expected a string key or '}'")),
                    }
                }
                Some(b'[') => {
                    self.open(b'[')?;
                    self.skip_ws();
                    if self.peek() == Some(b']') {
                        self.close();
                    } else {
                        continue 'value;
                    }
                }
                Some(b'"') => self.string()?,
                Some(b'-' | b'0'..=b'9') => self.number()?,
                Some(b't') => self.literal("true")?,
                Some(b'f') => self.literal("false")?,
                Some(b'n') => self.literal("null")?,
                _ => return Err(self.unexpected("expected a JSON value")),
            }
            // A value just ended: close containers until one wants another value.
            loop {
                self.skip_ws();
                match self.stack.last() {
                    None => {
                        if self.pos < self.bytes.len() {
                            let found = describe_char_at(self.body, self.pos);
                            return Err(self.error(
                                self.pos,
                                format!("trailing characters after the JSON value, found {found}"),
                            ));
                        }
                        self.flush(self.pos);
                        return Ok(self.out.unwrap_or_default());
                    }
                    Some(b'{') => match self.peek() {
                        Some(b',') => {
                            self.pos += 1;
                            self.skip_ws();
                            match self.peek() {
                                Some(b'"') => {
                                    self.key()?;
                                    continue 'value;
                                }
                                Some(b'}') => {
                                    return Err(self.error(
                                        self.pos,
                                        "trailing comma before '}' (expected another member)",
                                    ));
                                }
                                _ => return Err(self.unexpected("expected a string key after ','")),
                            }
                        }
                        Some(b'}') => self.close(),
                        _ => {
                            return Err(
                                self.unexpected("expected ',' or '}' after an object member")
                            );
                        }
                    },
                    Some(_) => match self.peek() {
                        Some(b',') => {
                            self.pos += 1;
                            self.skip_ws();
                            if self.peek() == Some(b']') {
                                return Err(self.error(
                                    self.pos,
                                    "trailing comma before ']' (expected another element)",
                                ));
                            }
                            continue 'value;
                        }
                        Some(b']') => self.close(),
                        _ => {
                            return Err(
                                self.unexpected("expected ',' or ']' after an array element")
                            );
                        }
                    },
                }
            }
        }
    }

    fn open(&mut self, kind: u8) -> Result<(), MinifyError> {
        if self.stack.len() >= MAX_DEPTH {
            return Err(self.error(
                self.pos,
                format!("nesting deeper than {MAX_DEPTH} levels of objects/arrays"),
            ));
        }
        self.stack.push(kind);
        self.pos += 1;
        Ok(())
    }

    fn close(&mut self) {
        self.stack.pop();
        self.pos += 1;
    }

    /// An object key, the `:` after it, and the whitespace before the value.
    fn key(&mut self) -> Result<(), MinifyError> {
        self.string()?;
        self.skip_ws();
        if self.peek() != Some(b':') {
            return Err(self.unexpected("expected ':' after an object key"));
        }
        self.pos += 1;
        self.skip_ws();
        Ok(())
    }

    /// A string literal, checked but never altered: escapes stay as typed.
    fn string(&mut self) -> Result<(), MinifyError> {
        let start = self.pos;
        let bytes = self.bytes;
        let mut i = start + 1;
        loop {
            let Some(&b) = bytes.get(i) else {
                return Err(self.error(start, "unterminated string (no closing '\"')"));
            };
            match b {
                b'"' => {
                    self.pos = i + 1;
                    return Ok(());
                }
                b'\\' => match bytes.get(i + 1) {
                    Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => i += 2,
                    Some(b'u') => {
                        let hex_ok = bytes
                            .get(i + 2..i + 6)
                            .is_some_and(|h| h.iter().all(u8::is_ascii_hexdigit));
                        if !hex_ok {
                            return Err(self.error(i, "invalid \\u escape (needs four hex digits)"));
                        }
                        i += 6;
                    }
                    Some(_) => {
                        let found = describe_char_at(self.body, i + 1);
                        return Err(self.error(
                            i,
                            format!(
                                "invalid escape: '\\' followed by {found} (valid: \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX)"
                            ),
                        ));
                    }
                    None => {
                        return Err(self.error(start, "unterminated string (no closing '\"')"));
                    }
                },
                b'\n' | b'\r' => {
                    return Err(self.error(
                        i,
                        "line break inside a string (unterminated string, or write it as \\n)",
                    ));
                }
                0x00..=0x1f => {
                    return Err(self.error(
                        i,
                        format!("control character U+{b:04X} inside a string must be escaped"),
                    ));
                }
                _ => i += 1,
            }
        }
    }

    /// A number, checked against JSON's grammar and kept as spelled (`1E2`, `12345678.00`).
    fn number(&mut self) -> Result<(), MinifyError> {
        let bytes = self.bytes;
        let digits_from = |mut i: usize| {
            while bytes.get(i).is_some_and(u8::is_ascii_digit) {
                i += 1;
            }
            i
        };
        let mut i = self.pos;
        if bytes.get(i) == Some(&b'-') {
            i += 1;
        }
        match bytes.get(i) {
            Some(b'0') => {
                i += 1;
                if bytes.get(i).is_some_and(u8::is_ascii_digit) {
                    return Err(self.error(i - 1, "leading zeros are not allowed in a number"));
                }
            }
            Some(b'1'..=b'9') => i = digits_from(i + 1),
            _ => return Err(self.error(i, "expected a digit after '-'")),
        }
        if bytes.get(i) == Some(&b'.') {
            i += 1;
            if !bytes.get(i).is_some_and(u8::is_ascii_digit) {
                return Err(self.error(i, "expected a digit after the decimal point"));
            }
            i = digits_from(i);
        }
        if matches!(bytes.get(i), Some(b'e' | b'E')) {
            i += 1;
            if matches!(bytes.get(i), Some(b'+' | b'-')) {
                i += 1;
            }
            if !bytes.get(i).is_some_and(u8::is_ascii_digit) {
                return Err(self.error(i, "expected a digit in the exponent"));
            }
            i = digits_from(i);
        }
        self.pos = i;
        Ok(())
    }

    fn literal(&mut self, word: &str) -> Result<(), MinifyError> {
        let matches = self
            .bytes
            .get(self.pos..)
            .is_some_and(|rest| rest.starts_with(word.as_bytes()));
        if !matches {
            return Err(self.error(
                self.pos,
                format!("invalid literal (expected {word}; JSON literals are true, false, null)"),
            ));
        }
        self.pos += word.len();
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------
// Re-serialising modes: a small tree and a recursive-descent parser
// ---------------------------------------------------------------------------------------

/// A parsed body. Numbers keep their text because each ecosystem converts them its own
/// way (PHP keeps integers exact, JS and Go go through f64); strings are decoded to UTF-16
/// code units because that is the only form that keeps JSON's lone surrogates (`\ud800`),
/// which JS keeps, Go replaces by U+FFFD and PHP rejects.
enum Value<'a> {
    Null,
    Bool(bool),
    Number {
        raw: &'a str,
        pos: usize,
    },
    String(JStr),
    Array(Vec<Value<'a>>),
    /// Members in document order, duplicates included: each mode merges them its own way.
    Object(Vec<(JStr, Value<'a>)>),
}

/// A decoded string and the byte offset of its opening quote (for mode-specific errors).
struct JStr {
    units: Vec<u16>,
    pos: usize,
}

/// Recursive descent over a body the lexer already accepted. It still returns errors
/// rather than assuming, so a bug here can never turn into a panic.
struct Parser<'a> {
    body: &'a str,
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Parser<'a> {
    fn new(body: &'a str) -> Self {
        Parser {
            body,
            bytes: body.as_bytes(),
            pos: 0,
        }
    }

    fn parse(mut self) -> Result<Value<'a>, MinifyError> {
        let value = self.value(0)?;
        self.ws();
        if self.pos < self.bytes.len() {
            return Err(self.fail());
        }
        Ok(value)
    }

    fn fail(&self) -> MinifyError {
        error_at(self.body, self.pos, "invalid JSON")
    }

    fn ws(&mut self) {
        while self.bytes.get(self.pos).copied().is_some_and(is_json_ws) {
            self.pos += 1;
        }
    }

    fn eat(&mut self, b: u8) -> bool {
        self.ws();
        if self.bytes.get(self.pos) == Some(&b) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn expect(&mut self, b: u8) -> Result<(), MinifyError> {
        if self.eat(b) {
            Ok(())
        } else {
            Err(self.fail())
        }
    }

    /// `depth` = containers already open around this value.
    fn value(&mut self, depth: usize) -> Result<Value<'a>, MinifyError> {
        self.ws();
        match self.bytes.get(self.pos) {
            Some(b'{') => {
                if depth >= MAX_DEPTH {
                    return Err(error_at(self.body, self.pos, "nesting too deep"));
                }
                self.pos += 1;
                let mut members = Vec::new();
                if self.eat(b'}') {
                    return Ok(Value::Object(members));
                }
                loop {
                    self.ws();
                    let key = self.string()?;
                    self.expect(b':')?;
                    let value = self.value(depth + 1)?;
                    members.push((key, value));
                    if self.eat(b',') {
                        continue;
                    }
                    self.expect(b'}')?;
                    return Ok(Value::Object(members));
                }
            }
            Some(b'[') => {
                if depth >= MAX_DEPTH {
                    return Err(error_at(self.body, self.pos, "nesting too deep"));
                }
                self.pos += 1;
                let mut items = Vec::new();
                if self.eat(b']') {
                    return Ok(Value::Array(items));
                }
                loop {
                    items.push(self.value(depth + 1)?);
                    if self.eat(b',') {
                        continue;
                    }
                    self.expect(b']')?;
                    return Ok(Value::Array(items));
                }
            }
            Some(b'"') => Ok(Value::String(self.string()?)),
            Some(b't') => self.word("true", Value::Bool(true)),
            Some(b'f') => self.word("false", Value::Bool(false)),
            Some(b'n') => self.word("null", Value::Null),
            Some(b'-' | b'0'..=b'9') => {
                let start = self.pos;
                while self
                    .bytes
                    .get(self.pos)
                    .is_some_and(|b| matches!(b, b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E'))
                {
                    self.pos += 1;
                }
                let raw = self.body.get(start..self.pos).ok_or_else(|| self.fail())?;
                Ok(Value::Number { raw, pos: start })
            }
            _ => Err(self.fail()),
        }
    }

    fn word(&mut self, word: &str, value: Value<'a>) -> Result<Value<'a>, MinifyError> {
        let ok = self
            .bytes
            .get(self.pos..)
            .is_some_and(|rest| rest.starts_with(word.as_bytes()));
        if !ok {
            return Err(self.fail());
        }
        self.pos += word.len();
        Ok(value)
    }

    /// Decodes a string literal into UTF-16 code units; escapes become their unit(s).
    fn string(&mut self) -> Result<JStr, MinifyError> {
        let start = self.pos;
        if self.bytes.get(self.pos) != Some(&b'"') {
            return Err(self.fail());
        }
        self.pos += 1;
        let mut units = Vec::new();
        loop {
            let rest = self.body.get(self.pos..).ok_or_else(|| self.fail())?;
            let plain_len = rest.find(['"', '\\']).ok_or_else(|| self.fail())?;
            units.extend(rest.get(..plain_len).unwrap_or_default().encode_utf16());
            self.pos += plain_len;
            if self.bytes.get(self.pos) == Some(&b'"') {
                self.pos += 1;
                return Ok(JStr { units, pos: start });
            }
            // A backslash.
            let unit = match self.bytes.get(self.pos + 1) {
                Some(b'"') => u16::from(b'"'),
                Some(b'\\') => u16::from(b'\\'),
                Some(b'/') => u16::from(b'/'),
                Some(b'b') => 0x08,
                Some(b'f') => 0x0C,
                Some(b'n') => u16::from(b'\n'),
                Some(b'r') => u16::from(b'\r'),
                Some(b't') => u16::from(b'\t'),
                Some(b'u') => {
                    let hex = self
                        .bytes
                        .get(self.pos + 2..self.pos + 6)
                        .ok_or_else(|| self.fail())?;
                    let unit = parse_hex4(hex).ok_or_else(|| self.fail())?;
                    self.pos += 4;
                    unit
                }
                _ => return Err(self.fail()),
            };
            self.pos += 2;
            units.push(unit);
        }
    }
}

fn parse_hex4(hex: &[u8]) -> Option<u16> {
    hex.iter().try_fold(0u16, |acc, &b| {
        let digit = (b as char).to_digit(16)?;
        Some((acc << 4) | digit as u16)
    })
}

/// What the serialisers need besides the tree: the body, to place their own errors.
struct Ctx<'a> {
    body: &'a str,
}

const HEX: &[u8; 16] = b"0123456789abcdef";

/// `\uXXXX` with lower-case hex, as JSON.stringify, PHP and Go all write it.
fn push_u_escape(out: &mut String, unit: u16) {
    out.push_str("\\u");
    for shift in [12u16, 8, 4, 0] {
        out.push(char::from(HEX[usize::from((unit >> shift) & 0xF)]));
    }
}

/// Merges duplicate keys the way a JS object or PHP stdClass does: a repeated key keeps
/// the position of its first occurrence and takes the value of its last.
fn merge_duplicates<'v, 'a>(members: &'v [(JStr, Value<'a>)]) -> Vec<(&'v JStr, &'v Value<'a>)> {
    let mut merged: Vec<(&JStr, &Value)> = Vec::with_capacity(members.len());
    let mut index: HashMap<&[u16], usize> = HashMap::with_capacity(members.len());
    for (key, value) in members {
        match index.get(key.units.as_slice()) {
            Some(&i) => {
                if let Some(slot) = merged.get_mut(i) {
                    slot.1 = value;
                }
            }
            None => {
                index.insert(&key.units, merged.len());
                merged.push((key, value));
            }
        }
    }
    merged
}

/// Shortest round-trip decimal digits of a finite `|x|`, and the position of the decimal
/// point: `|x| == 0.<digits> × 10^decpt`. This is the (digits, decpt) pair of David Gay's
/// `dtoa` mode 0, from which JS, PHP and Go all lay out their numbers. Rust's `{:e}`
/// already prints the shortest, closest round-trip digits; only exact ties differ (see
/// [`prefer_even_on_tie`]).
fn shortest_digits(x: f64) -> (String, i32) {
    let x = x.abs();
    let (mut digits, decpt) = split_sci(&format!("{x:e}"));
    prefer_even_on_tie(x, &mut digits, decpt);
    (digits, decpt)
}

/// `"d.ddde±N"` → (`"dddd"`, N + 1).
fn split_sci(sci: &str) -> (String, i32) {
    let (mantissa, exponent) = sci.split_once('e').unwrap_or((sci, "0"));
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let exponent: i32 = exponent.parse().unwrap_or(0);
    (digits, exponent + 1)
}

/// When x lies exactly halfway between two shortest candidates (e.g. −76260901156.765625
/// between …76562 and …76563), ECMAScript, Gay's dtoa (PHP) and Go's strconv all pick the
/// even last digit, while Rust's formatter picks the upper one. Two shortest candidates
/// can only both round-trip at 16 or more digits, so shorter numbers skip the check; the
/// exact decimal expansion (at most 767 significant digits for a double) settles it.
fn prefer_even_on_tie(x: f64, digits: &mut String, decpt: i32) {
    let Some(last) = digits.bytes().last() else {
        return;
    };
    if digits.len() < 16 || last % 2 == 0 {
        return;
    }
    let (exact, exact_decpt) = split_sci(&format!("{x:.800e}"));
    if exact_decpt != decpt {
        return;
    }
    let exact = exact.trim_end_matches('0');
    let k = digits.len();
    let (Some(exact_head), Some(tail)) = (exact.get(..k), exact.get(k..)) else {
        return;
    };
    if tail != "5" {
        return;
    }
    let head = digits.get(..k - 1).unwrap_or_default();
    // The midpoint is D + ½ (then the even neighbour is D + 1) or (D − 1) + ½.
    let even_last = if exact_head == digits.as_str() {
        last + 1
    } else if exact_head.get(..k - 1) == Some(head) && exact_head.bytes().last() == Some(last - 1) {
        last - 1
    } else {
        return;
    };
    if !even_last.is_ascii_digit() {
        return;
    }
    let candidate = format!("{head}{}", char::from(even_last));
    let reparsed = format!("0.{candidate}e{decpt}").parse::<f64>();
    if reparsed == Ok(x) {
        *digits = candidate;
    }
}

/// Lays out shortest digits the ECMAScript way (Number::toString), used by JS and by Go's
/// encoding/json (which copies ES6 on purpose): plain decimal when `-6 < decpt <= 21`, i.e.
/// 1e-6 <= |x| < 1e21, otherwise `d[.ddd]e±N` with no exponent padding.
fn es_layout(digits: &str, decpt: i32, plain: bool, out: &mut String) {
    let k = digits.len() as i32;
    let (first, rest) = digits.split_at(1.min(digits.len()));
    if plain && decpt >= k {
        out.push_str(digits);
        out.extend(std::iter::repeat_n('0', (decpt - k) as usize));
    } else if plain && decpt > 0 {
        let (int, frac) = digits.split_at(decpt as usize);
        out.push_str(int);
        out.push('.');
        out.push_str(frac);
    } else if plain {
        out.push_str("0.");
        out.extend(std::iter::repeat_n('0', (-decpt) as usize));
        out.push_str(digits);
    } else {
        out.push_str(first);
        if !rest.is_empty() {
            out.push('.');
            out.push_str(rest);
        }
        let e = decpt - 1;
        out.push('e');
        out.push(if e < 0 { '-' } else { '+' });
        out.push_str(&e.unsigned_abs().to_string());
    }
}

fn parse_f64(ctx: &Ctx, raw: &str, pos: usize) -> Result<f64, MinifyError> {
    raw.parse::<f64>()
        .map_err(|_| error_at(ctx.body, pos, format!("invalid number {raw}")))
}

// ----- JS: JSON.stringify(JSON.parse(body)) --------------------------------------------

fn js_value(value: &Value, out: &mut String) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number { raw, .. } => js_number(raw.parse::<f64>().unwrap_or(f64::NAN), out),
        Value::String(s) => js_string(&s.units, out),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                js_value(item, out);
            }
            out.push(']');
        }
        Value::Object(members) => {
            let mut merged = merge_duplicates(members);
            // A JS object lists "array index" keys first, in ascending numeric order, then
            // the other keys in insertion order (OrdinaryOwnPropertyKeys); the sort is
            // stable, so the other keys keep their order.
            merged.sort_by_key(|(key, _)| array_index(&key.units).unwrap_or(u64::MAX));
            out.push('{');
            for (i, (key, value)) in merged.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                js_string(&key.units, out);
                out.push(':');
                js_value(value, out);
            }
            out.push('}');
        }
    }
}

/// The key as an ECMAScript array index: a canonical decimal integer below 2^32 − 1.
fn array_index(units: &[u16]) -> Option<u64> {
    if units.is_empty() || units.len() > 10 || (units.len() > 1 && units[0] == u16::from(b'0')) {
        return None;
    }
    let mut n: u64 = 0;
    for &u in units {
        let digit = char::from_u32(u32::from(u))?.to_digit(10)?;
        n = n * 10 + u64::from(digit);
    }
    (n < u64::from(u32::MAX)).then_some(n)
}

/// Number::prototype.toString; non-finite numbers (from e.g. `1e400`) print as `null`,
/// as JSON.stringify does, and −0 prints as `0`.
fn js_number(x: f64, out: &mut String) {
    if !x.is_finite() {
        out.push_str("null");
        return;
    }
    if x < 0.0 {
        out.push('-');
    }
    let (digits, decpt) = shortest_digits(x);
    es_layout(&digits, decpt, -6 < decpt && decpt <= 21, out);
}

/// JSON.stringify's QuoteJSONString: only `"`, `\` and controls are escaped; `/` and
/// non-ASCII stay raw; a lone surrogate becomes `\udxxx`.
fn js_string(units: &[u16], out: &mut String) {
    out.push('"');
    for decoded in char::decode_utf16(units.iter().copied()) {
        match decoded {
            Ok(c) => push_common_escape(c, out),
            Err(lone) => push_u_escape(out, lone.unpaired_surrogate()),
        }
    }
    out.push('"');
}

/// The escaping shared by all three encoders for ASCII: `"`, `\`, the five short control
/// escapes, other controls as `\u00xx`; anything else is pushed as is.
fn push_common_escape(c: char, out: &mut String) {
    match c {
        '"' => out.push_str("\\\""),
        '\\' => out.push_str("\\\\"),
        '\u{08}' => out.push_str("\\b"),
        '\u{0C}' => out.push_str("\\f"),
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        c if c < ' ' => push_u_escape(out, c as u16),
        c => out.push(c),
    }
}

// ----- PHP: json_encode(json_decode(body)) ---------------------------------------------

fn php_value(ctx: &Ctx, value: &Value, out: &mut String) -> Result<(), MinifyError> {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number { raw, pos } => php_number(ctx, raw, *pos, out)?,
        Value::String(s) => php_string(ctx, s, out)?,
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                php_value(ctx, item, out)?;
            }
            out.push(']');
        }
        Value::Object(members) => {
            // json_decode without `assoc` gives a stdClass: `{}` stays `{}`, keys keep
            // document order, a repeated key overwrites in place.
            out.push('{');
            for (i, (key, value)) in merge_duplicates(members).into_iter().enumerate() {
                if key.units.first() == Some(&0) {
                    return Err(error_at(
                        ctx.body,
                        key.pos,
                        "PHP's json_decode rejects an object key starting with \\u0000 (JSON_ERROR_INVALID_PROPERTY_NAME)",
                    ));
                }
                if i > 0 {
                    out.push(',');
                }
                php_string(ctx, key, out)?;
                out.push(':');
                php_value(ctx, value, out)?;
            }
            out.push('}');
        }
    }
    Ok(())
}

/// PHP's JSON scanner keeps an integer literal that fits a 64-bit `int` exact (and
/// canonical: `-0` is `0`); anything else becomes a double printed by `php_gcvt` with
/// serialize_precision = -1. Without JSON_PRESERVE_ZERO_FRACTION no `.0` is added, so
/// `12345678.00` prints `12345678`.
fn php_number(ctx: &Ctx, raw: &str, pos: usize, out: &mut String) -> Result<(), MinifyError> {
    if !raw.contains(['.', 'e', 'E'])
        && let Ok(int) = raw.parse::<i64>()
    {
        out.push_str(&int.to_string());
        return Ok(());
    }
    let x = parse_f64(ctx, raw, pos)?;
    if !x.is_finite() {
        return Err(error_at(
            ctx.body,
            pos,
            format!(
                "PHP's json_encode fails on {raw}: it overflows a double (JSON_ERROR_INF_OR_NAN)"
            ),
        ));
    }
    php_float(x, out);
    Ok(())
}

/// `php_gcvt(x, 17, '.', 'e')` in its mode-0 (shortest digits) form: exponent style when
/// the decimal point position is beyond 17 digits or more than 3 zeros after the point,
/// and then the mantissa always has a fraction (`1.0e+25`) and the exponent no padding.
/// The sign is kept even for zero (`-0.0` prints `-0`).
fn php_float(x: f64, out: &mut String) {
    if x.is_sign_negative() {
        out.push('-');
    }
    let (digits, decpt) = shortest_digits(x);
    if !(-3..=17).contains(&decpt) {
        let (first, rest) = digits.split_at(1.min(digits.len()));
        out.push_str(first);
        out.push('.');
        out.push_str(if rest.is_empty() { "0" } else { rest });
        let e = decpt - 1;
        out.push('e');
        out.push(if e < 0 { '-' } else { '+' });
        out.push_str(&e.unsigned_abs().to_string());
    } else if decpt <= 0 {
        out.push_str("0.");
        out.extend(std::iter::repeat_n('0', decpt.unsigned_abs() as usize));
        out.push_str(&digits);
    } else {
        let decpt = decpt as usize;
        let int_digits = digits.get(..decpt.min(digits.len())).unwrap_or_default();
        out.push_str(int_digits);
        out.extend(std::iter::repeat_n('0', decpt.saturating_sub(digits.len())));
        if let Some(frac) = digits.get(decpt..).filter(|f| !f.is_empty()) {
            out.push('.');
            out.push_str(frac);
        }
    }
}

/// PHP's default json_encode: `/` as `\/`, every non-ASCII character as `\uxxxx` (UTF-16,
/// so astral characters become a surrogate pair). A lone surrogate never gets here:
/// json_decode refuses it (JSON_ERROR_UTF16).
fn php_string(ctx: &Ctx, s: &JStr, out: &mut String) -> Result<(), MinifyError> {
    out.push('"');
    for decoded in char::decode_utf16(s.units.iter().copied()) {
        match decoded {
            Ok('/') => out.push_str("\\/"),
            Ok(c) if c.is_ascii() => push_common_escape(c, out),
            Ok(c) => {
                let mut buf = [0u16; 2];
                for &unit in c.encode_utf16(&mut buf).iter() {
                    push_u_escape(out, unit);
                }
            }
            Err(lone) => {
                return Err(error_at(
                    ctx.body,
                    s.pos,
                    format!(
                        "PHP's json_decode rejects the lone UTF-16 surrogate \\u{:04x} in this string (JSON_ERROR_UTF16)",
                        lone.unpaired_surrogate()
                    ),
                ));
            }
        }
    }
    out.push('"');
    Ok(())
}

// ----- Go: json.Marshal of json.Unmarshal into interface{} -----------------------------

fn go_value(ctx: &Ctx, value: &Value, out: &mut String) -> Result<(), MinifyError> {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number { raw, pos } => {
            let x = parse_f64(ctx, raw, *pos)?;
            if !x.is_finite() {
                return Err(error_at(
                    ctx.body,
                    *pos,
                    format!("Go's json.Unmarshal rejects {raw}: out of range for float64"),
                ));
            }
            go_number(x, out);
        }
        Value::String(s) => go_string(&String::from_utf16_lossy(&s.units), out),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                go_value(ctx, item, out)?;
            }
            out.push(']');
        }
        Value::Object(members) => {
            // A Go map: keys are the decoded Go strings (a lone surrogate already U+FFFD),
            // the last duplicate wins, and Marshal sorts keys by bytes.
            let mut map: BTreeMap<String, &Value> = BTreeMap::new();
            for (key, value) in members {
                map.insert(String::from_utf16_lossy(&key.units), value);
            }
            out.push('{');
            for (i, (key, value)) in map.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                go_string(&key, out);
                out.push(':');
                go_value(ctx, value, out)?;
            }
            out.push('}');
        }
    }
    Ok(())
}

/// encoding/json's floatEncoder: `strconv.FormatFloat(x, 'f', -1, 64)` when x is 0 or
/// 1e-6 <= |x| < 1e21, else 'e' format with `e-07` cleaned to `e-7`, which gives the same
/// text as ES6. Unlike JS, −0 keeps its sign.
fn go_number(x: f64, out: &mut String) {
    if x.is_sign_negative() {
        out.push('-');
    }
    let abs = x.abs();
    let plain = abs == 0.0 || (1e-6..1e21).contains(&abs);
    let (digits, decpt) = shortest_digits(abs);
    es_layout(&digits, decpt, plain, out);
}

/// Go's appendString with escapeHTML (what json.Marshal uses): `<`, `>`, `&` and U+2028,
/// U+2029 as `\u` escapes; `\b` and `\f` short (Go 1.22+); `/` and other non-ASCII raw.
fn go_string(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => push_u_escape(out, c as u16),
            c => push_common_escape(c, out),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn js(x: f64) -> String {
        let mut s = String::new();
        js_number(x, &mut s);
        s
    }
    fn php(x: f64) -> String {
        let mut s = String::new();
        php_float(x, &mut s);
        s
    }
    fn go(x: f64) -> String {
        let mut s = String::new();
        go_number(x, &mut s);
        s
    }

    #[test]
    fn shortest_digits_and_decimal_point() {
        assert_eq!(shortest_digits(0.0), ("0".to_owned(), 1));
        assert_eq!(shortest_digits(12345678.0), ("12345678".to_owned(), 8));
        assert_eq!(shortest_digits(0.001), ("1".to_owned(), -2));
        assert_eq!(shortest_digits(1.5e300), ("15".to_owned(), 301));
    }

    #[test]
    fn js_number_layout() {
        let cases = [
            (0.0, "0"),
            (-0.0, "0"),
            (12345678.0, "12345678"),
            (100.0, "100"),
            (0.1, "0.1"),
            (-1.5, "-1.5"),
            (12345678901234567890.0, "12345678901234567000"),
            (1e21, "1e+21"),
            (1.5e21, "1.5e+21"),
            (999999999999999900000.0, "999999999999999900000"),
            (1e-6, "0.000001"),
            (1.5e-7, "1.5e-7"),
            (1e-7, "1e-7"),
            (123.456e-10, "1.23456e-8"),
            (5e-324, "5e-324"),
            (f64::MAX, "1.7976931348623157e+308"),
            (f64::INFINITY, "null"),
        ];
        for (x, want) in cases {
            assert_eq!(js(x), want, "{x:e}");
        }
    }

    #[test]
    fn php_float_layout() {
        let cases = [
            (0.0, "0"),
            (-0.0, "-0"),
            (12345678.0, "12345678"),
            (100.0, "100"),
            (0.1, "0.1"),
            (0.5, "0.5"),
            (0.05, "0.05"),
            (0.0001, "0.0001"),
            (0.00001, "1.0e-5"),
            (1.5e-7, "1.5e-7"),
            (1e15, "1000000000000000"),
            (123456789012345.0, "123456789012345"),
            (1e16, "10000000000000000"),
            (1e17, "1.0e+17"),
            (12345678901234567890.0, "1.2345678901234567e+19"),
            (1e25, "1.0e+25"),
            (-2.5e30, "-2.5e+30"),
            (1234.5678, "1234.5678"),
        ];
        for (x, want) in cases {
            assert_eq!(php(x), want, "{x:e}");
        }
    }

    #[test]
    fn go_number_layout() {
        let cases = [
            (0.0, "0"),
            (-0.0, "-0"),
            (12345678.0, "12345678"),
            (12345678901234567890.0, "12345678901234567000"),
            (1e21, "1e+21"),
            (1e-6, "0.000001"),
            (1e-7, "1e-7"),
            (1.5e-10, "1.5e-10"),
            (1e100, "1e+100"),
        ];
        for (x, want) in cases {
            assert_eq!(go(x), want, "{x:e}");
        }
    }

    #[test]
    fn array_index_keys() {
        let idx = |s: &str| array_index(&s.encode_utf16().collect::<Vec<_>>());
        assert_eq!(idx("0"), Some(0));
        assert_eq!(idx("42"), Some(42));
        assert_eq!(idx("4294967294"), Some(4_294_967_294));
        assert_eq!(idx("4294967295"), None);
        assert_eq!(idx("01"), None);
        assert_eq!(idx("-1"), None);
        assert_eq!(idx("1.5"), None);
        assert_eq!(idx(""), None);
        assert_eq!(idx("٣"), None);
    }

    #[test]
    fn error_positions_count_characters() {
        let e = error_at("{\n  \"é\": x", 10, "m");
        assert_eq!((e.line, e.column), (2, 8));
    }
}
