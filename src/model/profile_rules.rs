//! One set of rules for a profile's fields, for the window's credentials panel and
//! `snap-console profile add` alike: each rule says what is wrong in words a person can
//! act on (never "builder error"). Pure: no I/O.
//!
//! Kept apart from `profile.rs` on purpose: the profile grows fields (TLS client
//! certificates, proxies) and their rules belong here, one function each.

use url::Url;

use super::profile::Profile;

/// A profile field a rule speaks about, with its name in the window and on the CLI.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Name,
    BaseUrl,
    ApiPrefix,
    TokenPath,
    ClientId,
    PartnerId,
    ChannelId,
    PartnerServiceId,
    Origin,
    UnsignedPathPrefix,
    Timeout,
}

impl Field {
    /// As the credentials panel labels it.
    pub fn label(self) -> &'static str {
        match self {
            Field::Name => "Name",
            Field::BaseUrl => "Base URL",
            Field::ApiPrefix => "API prefix",
            Field::TokenPath => "Token path",
            Field::ClientId => "Client ID",
            Field::PartnerId => "Partner ID (X-PARTNER-ID)",
            Field::ChannelId => "Channel ID",
            Field::PartnerServiceId => "Partner service ID",
            Field::Origin => "ORIGIN header",
            Field::UnsignedPathPrefix => "Unsigned path prefix",
            Field::Timeout => "Timeout (seconds)",
        }
    }

    /// As `profile add` spells its flag.
    pub fn flag(self) -> &'static str {
        match self {
            Field::Name => "--name",
            Field::BaseUrl => "--base-url",
            Field::ApiPrefix => "--api-prefix",
            Field::TokenPath => "--token-path",
            Field::ClientId => "--client-id",
            Field::PartnerId => "--partner-id",
            Field::ChannelId => "--channel-id",
            Field::PartnerServiceId => "--partner-service-id",
            Field::Origin => "--origin",
            Field::UnsignedPathPrefix => "--unsigned-path-prefix",
            Field::Timeout => "--timeout-seconds",
        }
    }
}

/// What is wrong with one field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub field: Field,
    pub message: String,
}

/// SNAP's `partnerServiceId` is String(8): digits, left-padded with spaces.
pub const PARTNER_SERVICE_ID_LEN: usize = 8;
/// The timeouts a profile may have, in seconds (the panel's range too).
pub const TIMEOUT_SECONDS: std::ops::RangeInclusive<u64> = 1..=600;

/// Every problem of `profile`, in the panel's order (empty when it is fine). Fields that
/// may stay empty (partner ID, channel ID, …) are only checked when set.
pub fn check(profile: &Profile) -> Vec<Problem> {
    let checks: [(Field, Result<(), String>); 11] = [
        (Field::Name, name(&profile.name)),
        (Field::BaseUrl, base_url(&profile.base_url).map(|_| ())),
        (Field::ApiPrefix, path(&profile.api_prefix)),
        (Field::TokenPath, path(&profile.token_path)),
        (Field::ClientId, header_value(&profile.client_id)),
        (Field::PartnerId, header_value(&profile.partner_id)),
        (Field::ChannelId, header_value(&profile.channel_id)),
        (
            Field::PartnerServiceId,
            partner_service_id(&profile.partner_service_id),
        ),
        (Field::Origin, origin(&profile.origin)),
        (
            Field::UnsignedPathPrefix,
            path(&profile.unsigned_path_prefix),
        ),
        (Field::Timeout, timeout(profile.timeout_seconds)),
    ];
    checks
        .into_iter()
        .filter_map(|(field, result)| result.err().map(|message| Problem { field, message }))
        .collect()
}

/// A name: not empty, one line, no control characters.
pub fn name(text: &str) -> Result<(), String> {
    if text.trim().is_empty() {
        return Err("the name is empty".to_string());
    }
    no_control_characters(text)
}

/// A value that goes into a header as typed (client ID, partner ID, channel ID).
pub fn header_value(text: &str) -> Result<(), String> {
    no_control_characters(text)?;
    if text != text.trim() {
        return Err(format!(
            "'{text}' starts or ends with spaces, which would be sent"
        ));
    }
    Ok(())
}

/// `partnerServiceId`: empty (not used), or exactly 8 characters, digits left-padded with
/// spaces (`"   12345"`).
pub fn partner_service_id(text: &str) -> Result<(), String> {
    if text.is_empty() {
        return Ok(());
    }
    no_control_characters(text)?;
    let length = text.chars().count();
    let digits = text.trim_start_matches(' ');
    if digits.is_empty() || !digits.chars().all(|c| c.is_ascii_digit()) {
        return Err(format!(
            "'{text}' must be digits, left-padded with spaces to {PARTNER_SERVICE_ID_LEN} characters (e.g. '   12345')"
        ));
    }
    if length != PARTNER_SERVICE_ID_LEN {
        let padded = if digits.len() < PARTNER_SERVICE_ID_LEN {
            format!(
                "; padded it is '{digits:>width$}'",
                width = PARTNER_SERVICE_ID_LEN
            )
        } else {
            String::new()
        };
        return Err(format!(
            "'{text}' is {length} characters; SNAP's partnerServiceId is exactly {PARTNER_SERVICE_ID_LEN}, digits left-padded with spaces{padded}"
        ));
    }
    Ok(())
}

/// A path part (API prefix, token path, unsigned prefix): empty, or starting with `/`,
/// without spaces, `?` or `#`.
pub fn path(text: &str) -> Result<(), String> {
    if text.is_empty() {
        return Ok(());
    }
    no_control_characters(text)?;
    if !text.starts_with('/') {
        return Err(format!("'{text}' must start with '/'"));
    }
    if let Some(bad) = text
        .chars()
        .find(|c| c.is_whitespace() || *c == '?' || *c == '#')
    {
        return Err(format!(
            "'{text}' contains {}; a path part cannot",
            describe_char(bad)
        ));
    }
    Ok(())
}

/// The ORIGIN header: empty (the base URL's origin is sent), or `scheme://host[:port]`.
pub fn origin(text: &str) -> Result<(), String> {
    if text.is_empty() {
        return Ok(());
    }
    let url = http_url(text)?;
    if url.path() != "/" || url.query().is_some() || text.trim_end().ends_with('/') {
        return Err(format!(
            "'{text}' must be only scheme://host[:port], without a path"
        ));
    }
    Ok(())
}

/// A timeout in seconds within [`TIMEOUT_SECONDS`].
pub fn timeout(seconds: u64) -> Result<(), String> {
    if TIMEOUT_SECONDS.contains(&seconds) {
        Ok(())
    } else {
        Err(format!(
            "{seconds} s is outside {}..={} s",
            TIMEOUT_SECONDS.start(),
            TIMEOUT_SECONDS.end()
        ))
    }
}

/// A profile's base URL: an [`http_url`] without a query or fragment (paths go after it).
pub fn base_url(text: &str) -> Result<Url, String> {
    if text.trim().is_empty() {
        return Err(
            "the base URL is empty: give the provider's scheme, host, port and any context root"
                .to_string(),
        );
    }
    let url = http_url(text)?;
    if url.query().is_some() || url.fragment().is_some() {
        return Err(format!(
            "'{}' must not have a query or fragment: paths go after it",
            text.trim()
        ));
    }
    Ok(url)
}

/// Any URL the console calls (a base URL, a notification URL, a sandbox URL): `http` or
/// `https`, with a host, a port that is not 0, no spaces. The error says which of these
/// is wrong.
pub fn http_url(text: &str) -> Result<Url, String> {
    let text = text.trim();
    if text.is_empty() {
        return Err("the URL is empty".to_string());
    }
    if let Some(bad) = text.chars().find(|c| c.is_whitespace() || c.is_control()) {
        return Err(format!(
            "'{text}' contains {}; a URL cannot (write %20 for a space in a path)",
            describe_char(bad)
        ));
    }
    let url = Url::parse(text).map_err(|e| parse_problem(text, e))?;
    if !matches!(url.scheme(), "http" | "https") {
        let hint = if url.cannot_be_a_base() || url.host_str().is_none() {
            format!(" (did you mean http://{text}?)")
        } else {
            String::new()
        };
        return Err(format!(
            "'{text}' must start with http:// or https://, not {}:{hint}",
            url.scheme()
        ));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(format!("'{text}' has no host"));
    }
    if url.port() == Some(0) {
        return Err(format!(
            "'{text}' has port 0, which nothing can listen on: give the server's port, or none for the default"
        ));
    }
    Ok(url)
}

fn parse_problem(text: &str, e: url::ParseError) -> String {
    use url::ParseError as P;
    let what = match e {
        P::RelativeUrlWithoutBase => {
            return format!("'{text}' has no scheme: write http://{text} or https://{text}");
        }
        P::EmptyHost => "has no host".to_string(),
        P::InvalidPort => "has a port that is not a number from 1 to 65535".to_string(),
        P::IdnaError | P::InvalidDomainCharacter => {
            "has a host with a character a host name cannot have".to_string()
        }
        P::InvalidIpv4Address | P::InvalidIpv6Address => {
            "has an IP address that is not valid".to_string()
        }
        other => format!("is not a valid URL ({other})"),
    };
    format!("'{text}' {what}")
}

fn no_control_characters(text: &str) -> Result<(), String> {
    match text.chars().find(|c| c.is_control()) {
        Some(bad) => Err(format!(
            "'{}' contains {}; it must be one line of printable text",
            text.escape_debug(),
            describe_char(bad)
        )),
        None => Ok(()),
    }
}

fn describe_char(c: char) -> String {
    match c {
        '\n' => "a line break".to_string(),
        '\r' => "a carriage return".to_string(),
        '\t' => "a tab".to_string(),
        ' ' => "a space".to_string(),
        c if c.is_control() => format!("the control character U+{:04X}", u32::from(c)),
        c => format!("'{c}'"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partner_service_id_is_exactly_eight() {
        assert!(partner_service_id("").is_ok());
        assert!(partner_service_id("   12345").is_ok());
        assert!(partner_service_id("12345678").is_ok());
        let Err(long) = partner_service_id("123456789012") else {
            panic!("12 characters refused");
        };
        assert!(
            long.contains("12 characters") && long.contains("exactly 8"),
            "{long}"
        );
        let Err(short) = partner_service_id("12345") else {
            panic!("5 characters refused");
        };
        assert!(short.contains("'   12345'"), "{short}");
        assert!(partner_service_id("  AB1234").is_err());
    }

    #[test]
    fn names_are_one_printable_line() {
        assert!(name("NICEPAY sandbox").is_ok());
        let Err(why) = name("two\nlines") else {
            panic!("a line break refused");
        };
        assert!(
            why.contains("a line break") && why.contains("two\\nlines"),
            "{why}"
        );
        assert_eq!(name("  "), Err("the name is empty".to_string()));
    }

    #[test]
    fn urls_say_what_is_wrong() {
        let cases = [
            ("http://exa mple.com", "contains a space"),
            ("ftp://x", "must start with http:// or https://, not ftp:"),
            ("http://:80", "has no host"),
            ("localhost:8080", "did you mean http://localhost:8080"),
            ("example.com", "has no scheme"),
            ("http://x:0", "port 0"),
            ("http://x:99999", "port that is not a number"),
            ("http://exa\u{7f}mple", "control character"),
        ];
        for (url, expected) in cases {
            let Err(why) = http_url(url) else {
                panic!("{url} refused");
            };
            assert!(why.contains(expected), "{url}: {why}");
            assert!(!why.contains("builder error"), "{why}");
        }
        assert!(http_url("https://dev.nicepay.co.id/nicepay").is_ok());
        assert!(base_url("https://x/?q=1").is_err());
    }

    #[test]
    fn a_whole_profile_is_checked_field_by_field() {
        let profile = Profile {
            name: "ok".into(),
            base_url: "http://127.0.0.1:0".into(),
            partner_service_id: "123456789012".into(),
            client_id: "id\r\nX-Evil: 1".into(),
            ..Profile::default()
        };
        let fields: Vec<Field> = check(&profile).iter().map(|p| p.field).collect();
        assert_eq!(
            fields,
            [Field::BaseUrl, Field::ClientId, Field::PartnerServiceId]
        );
        let fine = Profile {
            name: "ok".into(),
            base_url: "http://127.0.0.1:8080".into(),
            ..Profile::default()
        };
        assert!(check(&fine).is_empty(), "{:?}", check(&fine));
    }
}
