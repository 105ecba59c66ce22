//! Numbers and URLs given as flags, parsed with messages that say what is wrong: `-1` is
//! "negative", not clap's bare "unexpected argument '-1' found" (each numeric flag also
//! sets `allow_negative_numbers`, so a negative number reaches these parsers at all).

use std::ops::RangeInclusive;

/// A whole number within `range`, or a sentence saying why not.
fn whole(text: &str, range: RangeInclusive<u64>) -> Result<u64, String> {
    let text = text.trim();
    let span = format!("a whole number from {} to {}", range.start(), range.end());
    if text.starts_with('-') && text[1..].chars().all(|c| c.is_ascii_digit()) && text.len() > 1 {
        return Err(format!("{text} is negative: give {span}"));
    }
    if text.is_empty() || !text.chars().all(|c| c.is_ascii_digit()) {
        return Err(format!("'{text}' is not a whole number: give {span}"));
    }
    match text.parse::<u64>() {
        Ok(n) if range.contains(&n) => Ok(n),
        Ok(n) if n < *range.start() => Err(format!("{n} is too small: give {span}")),
        _ => Err(format!("{text} is too large: give {span}")),
    }
}

/// A TCP port to listen on (0 picks a free one).
pub fn listen_port(text: &str) -> Result<u16, String> {
    whole(text, 0..=u64::from(u16::MAX)).map(|n| n as u16)
}

/// An HTTP status code.
pub fn http_status(text: &str) -> Result<u16, String> {
    whole(text, 100..=999).map(|n| n as u16)
}

/// A count (a list's length).
pub fn count(text: &str) -> Result<usize, String> {
    whole(text, 0..=u64::from(u32::MAX)).map(|n| n as usize)
}

/// RSA key size in bits (whether the size is supported is said by the key generator).
pub fn key_bits(text: &str) -> Result<usize, String> {
    whole(text, 0..=65_536).map(|n| n as usize)
}

/// A request timeout in seconds, within the profile's range.
pub fn timeout_seconds(text: &str) -> Result<u64, String> {
    whole(text, crate::model::profile_rules::TIMEOUT_SECONDS)
}

/// A token lifetime in seconds: a second to a year.
pub fn token_ttl(text: &str) -> Result<u64, String> {
    whole(text, 1..=31_536_000)
}

/// A URL the console calls, checked by the profile rules (scheme, host, port, spaces).
pub fn http_url(text: &str) -> Result<String, String> {
    crate::model::profile_rules::http_url(text).map(|_| text.trim().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_say_what_is_wrong() {
        assert_eq!(listen_port("8080"), Ok(8080));
        assert_eq!(
            listen_port("-1"),
            Err("-1 is negative: give a whole number from 0 to 65535".to_string())
        );
        assert!(listen_port("70000").is_err_and(|e| e.contains("too large")));
        assert!(timeout_seconds("0").is_err_and(|e| e.contains("too small")));
        assert!(timeout_seconds("1.5").is_err_and(|e| e.contains("not a whole number")));
        assert!(token_ttl("18446744073709551615").is_err_and(|e| e.contains("too large")));
        assert!(count("-").is_err_and(|e| e.contains("not a whole number")));
    }
}
