//! Small text helpers shared by every message that quotes what someone typed or sent.

/// `value` cut to at most `max` characters, with `…` when cut: what others sent is quoted
/// in our messages only up to a sane length.
pub fn shorten(value: &str, max: usize) -> String {
    match value.char_indices().nth(max) {
        None => value.to_string(),
        Some((cut, _)) => format!("{}…", &value[..cut]),
    }
}

#[cfg(test)]
mod tests {
    use super::shorten;

    #[test]
    fn cuts_on_character_boundaries() {
        assert_eq!(shorten("abc", 3), "abc");
        assert_eq!(shorten("abcd", 3), "abc…");
        assert_eq!(shorten("éüöä", 2), "éü…");
        assert_eq!(shorten("", 0), "");
    }
}
