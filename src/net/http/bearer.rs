//! `Authorization: Bearer <token>`, read the same way by the sandbox and the inbox.

/// The bare token of an `Authorization` value: the scheme `Bearer` in any case, then
/// whitespace, then a token (surrounding whitespace trimmed). `None` for another scheme,
/// a missing separator or an empty token.
pub fn bearer_token(value: &str) -> Option<&str> {
    let value = value.trim();
    let (scheme, token) = value.split_once([' ', '\t'])?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_scheme_is_case_insensitive_and_the_token_trimmed() {
        assert_eq!(bearer_token("Bearer abc"), Some("abc"));
        assert_eq!(bearer_token("bearer abc"), Some("abc"));
        assert_eq!(bearer_token("BEARER\tabc"), Some("abc"));
        assert_eq!(bearer_token("  Bearer   abc  "), Some("abc"));
    }

    #[test]
    fn other_schemes_and_empty_tokens_are_refused() {
        assert_eq!(bearer_token("Bearer"), None);
        assert_eq!(bearer_token("Bearer    "), None);
        assert_eq!(bearer_token(""), None);
        assert_eq!(bearer_token("Basic abc"), None);
        assert_eq!(bearer_token("Bearerabc"), None);
        assert_eq!(bearer_token("Bearer-x abc"), None);
        assert_eq!(bearer_token("abc"), None);
    }
}
