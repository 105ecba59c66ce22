//! Copy as cURL: the built request as one shell command, with exactly the headers and body
//! bytes the console sends, so it can be replayed or handed to a provider's support desk.
//!
//! Everything is single-quoted for POSIX shells (a `'` becomes `'\''`), which keeps `$`,
//! backquotes, `!` and newlines literal. The command carries the request's secrets
//! (Authorization, Private_Key) as the request does: it is for the clipboard, not a log.

use super::request::BuiltRequest;

/// The request as a `curl` command (multi-line, `\`-continued).
pub fn curl(built: &BuiltRequest) -> String {
    let mut lines = vec![format!(
        "curl --silent --show-error --include -X {} {}",
        quote(&built.method),
        quote(&built.url)
    )];
    if !built.verify_tls {
        lines.push("--insecure".to_string());
    }
    // reqwest sends these two itself; curl would send its own otherwise.
    let has = |name: &str| {
        built
            .headers
            .iter()
            .any(|(n, _)| n.eq_ignore_ascii_case(name))
    };
    if !has("user-agent") {
        lines.push(format!(
            "-H {}",
            quote(concat!(
                "User-Agent: snap-console/",
                env!("CARGO_PKG_VERSION")
            ))
        ));
    }
    for (name, value) in &built.headers {
        // `Name;` is curl's spelling of a header with an empty value (`Name:` would remove it).
        let header = if value.is_empty() {
            format!("{name};")
        } else {
            format!("{name}: {value}")
        };
        lines.push(format!("-H {}", quote(&header)));
    }
    let bodyless = matches!(built.method.as_str(), "GET" | "HEAD");
    if !built.body.is_empty() || !bodyless {
        // --data-binary sends the bytes untouched (plain -d strips newlines).
        lines.push(format!(
            "--data-binary {}",
            quote(&String::from_utf8_lossy(&built.body))
        ));
    }
    lines.join(" \\\n  ")
}

/// Single-quote for a POSIX shell.
pub fn quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_survive_awkward_text() {
        assert_eq!(quote("it's"), r"'it'\''s'");
        assert_eq!(quote("$HOME `x` !"), "'$HOME `x` !'");
    }
}
