//! JSON made readable: a small tokenizer that colours keys, strings, numbers and literals,
//! marks search matches and flagged lines, and a layouter for `TextEdit` that caches the
//! layout job per text (egui's frame cache), so a body is tokenized once, not every frame.
//!
//! egui_extras' highlighter knows JSON only through syntect (a large tree); JSON's lexical
//! grammar is six token kinds, so it is written here.

use std::ops::Range;
use std::sync::Arc;

use egui::text::{LayoutJob, TextFormat};
use egui::{Color32, FontId, Galley, TextBuffer, Ui};

/// Above this many bytes text is laid out plain (one section): colouring megabytes would
/// cost more than it helps, and shown bodies are cut well below it anyway.
pub const HIGHLIGHT_LIMIT: usize = 512 * 1024;

/// The size of the monospace text bodies are drawn in.
pub const MONO_SIZE: f32 = 13.0;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Key,
    String,
    Number,
    Literal,
    Punctuation,
    Plain,
}

/// The text cut into contiguous tokens (every byte belongs to one). Invalid JSON is
/// tokenized as far as it goes: an unterminated string runs to the end of its line.
pub fn tokens(text: &str) -> Vec<(Range<usize>, Kind)> {
    let bytes = text.as_bytes();
    let mut out: Vec<(Range<usize>, Kind)> = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let start = i;
        let kind = match bytes[i] {
            b'"' => {
                i = string_end(bytes, i);
                if is_key(bytes, i) {
                    Kind::Key
                } else {
                    Kind::String
                }
            }
            b'-' | b'0'..=b'9' => {
                i += 1;
                while i < bytes.len()
                    && matches!(bytes[i], b'0'..=b'9' | b'.' | b'e' | b'E' | b'+' | b'-')
                {
                    i += 1;
                }
                Kind::Number
            }
            b'{' | b'}' | b'[' | b']' | b':' | b',' => {
                i += 1;
                Kind::Punctuation
            }
            b't' | b'f' | b'n' if literal_at(bytes, i).is_some() => {
                i += literal_at(bytes, i).unwrap_or(1);
                Kind::Literal
            }
            _ => {
                i += 1;
                // Runs of anything else (spaces, stray text) up to the next token start;
                // stop only at ASCII bytes so ranges stay on character boundaries.
                while i < bytes.len()
                    && !matches!(
                        bytes[i],
                        b'"' | b'-' | b'0'
                            ..=b'9' | b'{' | b'}' | b'[' | b']' | b':' | b',' | b't' | b'f' | b'n'
                    )
                {
                    i += 1;
                }
                Kind::Plain
            }
        };
        match out.last_mut() {
            Some((range, last)) if *last == kind && kind == Kind::Plain => range.end = i,
            _ => out.push((start..i, kind)),
        }
    }
    out
}

/// The index just past the string starting at `start` (a quote), or the end of its line.
fn string_end(bytes: &[u8], start: usize) -> usize {
    let mut i = start + 1;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b'"' => return i + 1,
            b'\n' => return i,
            _ => i += 1,
        }
    }
    bytes.len()
}

/// A string is a key when the next non-space byte is a colon.
fn is_key(bytes: &[u8], mut i: usize) -> bool {
    while i < bytes.len() && bytes[i].is_ascii_whitespace() {
        i += 1;
    }
    bytes.get(i) == Some(&b':')
}

fn literal_at(bytes: &[u8], i: usize) -> Option<usize> {
    ["true", "false", "null"]
        .iter()
        .find(|word| bytes[i..].starts_with(word.as_bytes()))
        .map(|word| word.len())
}

/// Where `needle` occurs in `text`, ignoring ASCII case (byte ranges on char boundaries:
/// a valid UTF-8 needle cannot start inside a character).
pub fn matches(text: &str, needle: &str) -> Vec<Range<usize>> {
    if needle.is_empty() {
        return Vec::new();
    }
    let hay = text.to_ascii_lowercase();
    let needle = needle.to_ascii_lowercase();
    memchr::memmem::find_iter(hay.as_bytes(), needle.as_bytes())
        .map(|at| at..at + needle.len())
        .collect()
}

/// The byte range of each listed line (0-based line numbers).
fn line_ranges(text: &str, lines: &[usize]) -> Vec<Range<usize>> {
    if lines.is_empty() {
        return Vec::new();
    }
    let mut out = Vec::new();
    let mut start = 0;
    for (number, line) in text.split_inclusive('\n').enumerate() {
        if lines.contains(&number) {
            out.push(start..start + line.len());
        }
        start += line.len();
    }
    out
}

/// What to draw: the text, a search term to mark, lines to flag, and the theme.
#[derive(Debug, Clone, Copy, Hash)]
pub struct Highlight<'a> {
    pub text: &'a str,
    pub search: &'a str,
    pub flagged_lines: &'a [usize],
    pub dark: bool,
}

struct Palette {
    key: Color32,
    string: Color32,
    number: Color32,
    literal: Color32,
    punctuation: Color32,
    plain: Color32,
    found: Color32,
    flagged: Color32,
}

fn palette(dark: bool) -> Palette {
    if dark {
        Palette {
            key: Color32::from_rgb(0x7C, 0xB7, 0xFF),
            string: Color32::from_rgb(0x9C, 0xD6, 0x8A),
            number: Color32::from_rgb(0xF0, 0xB0, 0x6A),
            literal: Color32::from_rgb(0xD6, 0x9C, 0xF0),
            punctuation: Color32::from_gray(150),
            plain: Color32::from_gray(200),
            found: Color32::from_rgb(0x80, 0x68, 0x10),
            flagged: Color32::from_rgba_unmultiplied(0xE0, 0xA0, 0x30, 40),
        }
    } else {
        Palette {
            key: Color32::from_rgb(0x1A, 0x55, 0xB0),
            string: Color32::from_rgb(0x1E, 0x7A, 0x2E),
            number: Color32::from_rgb(0xB0, 0x50, 0x00),
            literal: Color32::from_rgb(0x8A, 0x2B, 0xB0),
            punctuation: Color32::from_gray(110),
            plain: Color32::from_gray(40),
            found: Color32::from_rgb(0xFF, 0xE0, 0x70),
            flagged: Color32::from_rgba_unmultiplied(0xE0, 0xA0, 0x30, 60),
        }
    }
}

/// The coloured layout job for `h` (no wrap width set).
pub fn layout_job(h: Highlight<'_>) -> LayoutJob {
    let colours = palette(h.dark);
    let font = FontId::monospace(MONO_SIZE);
    let mut job = LayoutJob {
        text: h.text.to_string(),
        ..Default::default()
    };
    let section = |job: &mut LayoutJob, range: Range<usize>, color, background| {
        job.sections.push(egui::text::LayoutSection {
            leading_space: 0.0,
            byte_range: egui::text::ByteIndex(range.start)..egui::text::ByteIndex(range.end),
            format: TextFormat {
                font_id: font.clone(),
                color,
                background,
                ..Default::default()
            },
        });
    };
    if h.text.len() > HIGHLIGHT_LIMIT {
        section(
            &mut job,
            0..h.text.len(),
            colours.plain,
            Color32::TRANSPARENT,
        );
        return job;
    }
    let found = matches(h.text, h.search);
    let flagged = line_ranges(h.text, h.flagged_lines);
    let mut cuts: Vec<usize> = vec![0, h.text.len()];
    let tokens = tokens(h.text);
    cuts.extend(tokens.iter().map(|(r, _)| r.start));
    cuts.extend(found.iter().flat_map(|r| [r.start, r.end]));
    cuts.extend(flagged.iter().flat_map(|r| [r.start, r.end]));
    cuts.sort_unstable();
    cuts.dedup();
    let mut token = 0;
    for pair in cuts.windows(2) {
        let (start, end) = (pair[0], pair[1]);
        while token + 1 < tokens.len() && tokens[token].0.end <= start {
            token += 1;
        }
        let kind = tokens.get(token).map_or(Kind::Plain, |(_, k)| *k);
        let color = match kind {
            Kind::Key => colours.key,
            Kind::String => colours.string,
            Kind::Number => colours.number,
            Kind::Literal => colours.literal,
            Kind::Punctuation => colours.punctuation,
            Kind::Plain => colours.plain,
        };
        let background = if found.iter().any(|r| r.start <= start && end <= r.end) {
            colours.found
        } else if flagged.iter().any(|r| r.start <= start && end <= r.end) {
            colours.flagged
        } else {
            Color32::TRANSPARENT
        };
        section(&mut job, start..end, color, background);
    }
    job
}

#[derive(Default)]
struct Highlighter;

impl egui::cache::ComputerMut<Highlight<'_>, LayoutJob> for Highlighter {
    fn compute(&mut self, h: Highlight<'_>) -> LayoutJob {
        layout_job(h)
    }
}

type HighlightCache = egui::cache::FrameCache<LayoutJob, Highlighter>;

/// The galley for `TextEdit::layouter`: the job comes from the frame cache (tokenized
/// only when the text, search or flags change), egui's font cache keeps the galley.
pub fn layout(
    ui: &Ui,
    text: &dyn TextBuffer,
    wrap_width: f32,
    search: &str,
    flagged_lines: &[usize],
) -> Arc<Galley> {
    let h = Highlight {
        text: text.as_str(),
        search,
        flagged_lines,
        dark: ui.visuals().dark_mode,
    };
    let mut job = ui
        .ctx()
        .memory_mut(|m| m.caches.cache::<HighlightCache>().get(h).clone());
    job.wrap.max_width = wrap_width;
    ui.fonts_mut(|f| f.layout_job(job))
}

/// The 0-based line of the key naming `field` (`paidAmount.value` → `"value"` after
/// `"paidAmount"`), for warnings drawn beside it; None when the field is absent.
pub fn line_of_field(text: &str, field: &str) -> Option<usize> {
    let mut from = 0;
    for part in field.split('.') {
        let name = part.split('[').next().unwrap_or(part);
        if name.is_empty() {
            continue;
        }
        let quoted = format!("\"{name}\"");
        let mut search_at = from;
        loop {
            let found = search_at + text.get(search_at..)?.find(&quoted)?;
            let after = found + quoted.len();
            if is_key(text.as_bytes(), after) {
                from = after;
                break;
            }
            search_at = after;
        }
    }
    Some(text.get(..from)?.matches('\n').count())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_strings_numbers_and_literals_are_told_apart() {
        let text = r#"{"a": "x", "n": -1.5e3, "t": true, "z": null}"#;
        let kinds: Vec<(&str, Kind)> = tokens(text)
            .into_iter()
            .filter(|(_, k)| !matches!(k, Kind::Plain | Kind::Punctuation))
            .map(|(r, k)| (&text[r], k))
            .collect();
        assert_eq!(
            kinds,
            [
                ("\"a\"", Kind::Key),
                ("\"x\"", Kind::String),
                ("\"n\"", Kind::Key),
                ("-1.5e3", Kind::Number),
                ("\"t\"", Kind::Key),
                ("true", Kind::Literal),
                ("\"z\"", Kind::Key),
                ("null", Kind::Literal),
            ]
        );
    }

    #[test]
    fn tokens_cover_every_byte_even_of_broken_json() {
        for text in ["{\"a\": \"unterminated\n}", "é ü \"ß\": nul", "", "\\"] {
            let toks = tokens(text);
            let mut at = 0;
            for (range, _) in &toks {
                assert_eq!(range.start, at);
                assert!(text.is_char_boundary(range.end));
                at = range.end;
            }
            assert_eq!(at, text.len());
            // and the layout job covers the text with sections on char boundaries
            let job = layout_job(Highlight {
                text,
                search: "u",
                flagged_lines: &[0],
                dark: true,
            });
            assert_eq!(
                job.sections.last().map_or(0, |s| s.byte_range.end.0),
                text.len()
            );
        }
    }

    #[test]
    fn search_marks_every_match_ignoring_case() {
        assert_eq!(matches("aXa xa", "xA"), [1..3, 4..6]);
        assert!(matches("abc", "").is_empty());
    }

    #[test]
    fn a_field_is_found_on_its_line_under_its_parent() {
        let text = "{\n  \"value\": 1,\n  \"paidAmount\": {\n    \"value\": \"x\"\n  }\n}";
        assert_eq!(line_of_field(text, "paidAmount.value"), Some(3));
        assert_eq!(line_of_field(text, "value"), Some(1));
        assert_eq!(line_of_field(text, "items[0].name"), None);
    }
}
