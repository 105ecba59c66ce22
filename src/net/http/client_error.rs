//! The one wording of a failed outbound call (the composer's send, the workbench's
//! cross-check, the sandbox's and the composer's notifications), sorted into what a person
//! can act on: nothing listening, host unknown, no answer in time, certificate refused, the
//! server hung up. Messages name the host and port, never a query, header or body (reqwest's
//! own text carries the whole URL, which is cut off).

use std::error::Error as _;
use std::io;

/// What kind of failure, for callers that branch on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureKind {
    /// Nothing listening, host unknown, network unreachable.
    Connect,
    /// No answer in time (connect or answer).
    Timeout,
    /// The certificate was refused, or the server does not speak TLS.
    Tls,
    /// The server closed the connection without a complete answer.
    Closed,
    Other,
}

/// A failure and the sentence that explains it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientFailure {
    pub kind: FailureKind,
    pub message: String,
}

/// The sentence for a call that got no answer, the target taken from the error itself.
pub fn describe(e: &reqwest::Error) -> String {
    classify(e, &target_in(e)).message
}

/// The sentence for an answer whose body broke off while it was read.
pub fn describe_body(e: &reqwest::Error) -> String {
    broken_body(e, &target_in(e))
}

/// [`describe_body`] naming the server as `target`.
pub fn broken_body(e: &reqwest::Error, target: &str) -> String {
    format!(
        "the answer from {target} broke off while its body was read ({})",
        innermost(e)
    )
}

fn target_in(e: &reqwest::Error) -> String {
    e.url().map_or_else(|| "the server".to_string(), target_of)
}

/// Sort `e` and word it; `target` is what the message calls the server (`host:port`).
pub fn classify(e: &reqwest::Error, target: &str) -> ClientFailure {
    let text = chain(e);
    let lower = text.to_ascii_lowercase();
    let failure = |kind, message| ClientFailure { kind, message };
    if let Some(alert) = client_certificate_refusal(&lower) {
        const REMEDY: &str = "set the profile's client certificate and key (PEM or PKCS#12), or check they are the ones registered with the provider";
        // HandshakeFailure is what TLS 1.2 servers send for a missing client certificate,
        // but also for other disagreements: say so.
        let message = if alert == "HandshakeFailure" {
            format!(
                "the TLS handshake with {target} failed (TLS alert {alert}); if this server demands mutual TLS, it refused this client's certificate: {REMEDY}"
            )
        } else {
            format!(
                "the server at {target} refused this client's certificate (TLS alert {alert}): it demands mutual TLS with a certificate it trusts; {REMEDY}"
            )
        };
        return failure(FailureKind::Tls, message);
    }
    if lower.contains("certificate") || lower.contains("unknownissuer") {
        return failure(
            FailureKind::Tls,
            format!(
                "the server's certificate was not accepted: {}",
                innermost(e)
            ),
        );
    }
    if [
        "tls",
        "handshake",
        "corrupt message",
        "invalidcontenttype",
        "alert",
    ]
    .iter()
    .any(|needle| lower.contains(needle))
    {
        return failure(
            FailureKind::Tls,
            format!(
                "the TLS handshake with {target} failed ({}); is it an https server? An http:// server addressed as https:// fails this way",
                innermost(e)
            ),
        );
    }
    if e.is_timeout() {
        return failure(
            FailureKind::Timeout,
            format!("no answer from {target} in time (timeout)"),
        );
    }
    if e.is_connect() {
        return failure(FailureKind::Connect, connect_message(e, target));
    }
    if e.is_builder() {
        // reqwest's own word for it is "builder error": say what is wrong with the URL.
        return failure(
            FailureKind::Other,
            format!("the URL cannot be used: {}", innermost(e)),
        );
    }
    if is_hang_up(e, &lower) {
        return failure(
            FailureKind::Closed,
            format!(
                "the server at {target} closed the connection without a complete answer ({})",
                innermost(e)
            ),
        );
    }
    failure(
        FailureKind::Other,
        format!("the request to {target} failed: {text}"),
    )
}

/// The alert a server sends when it wants a client certificate it did not get, or does not
/// trust the one it got (rustls words a received alert as `received fatal alert: Name`).
fn client_certificate_refusal(lower: &str) -> Option<&'static str> {
    let (_, after) = lower.split_once("received fatal alert: ")?;
    [
        ("certificaterequired", "CertificateRequired"),
        ("badcertificate", "BadCertificate"),
        ("unknownca", "UnknownCA"),
        ("certificateunknown", "CertificateUnknown"),
        ("unsupportedcertificate", "UnsupportedCertificate"),
        ("certificaterevoked", "CertificateRevoked"),
        ("certificateexpired", "CertificateExpired"),
        ("handshakefailure", "HandshakeFailure"),
    ]
    .into_iter()
    .find(|(needle, _)| after.starts_with(needle))
    .map(|(_, name)| name)
}

fn connect_message(e: &reqwest::Error, target: &str) -> String {
    if io_kind(e) == Some(io::ErrorKind::ConnectionRefused) {
        format!("nothing is listening at {target} (connection refused)")
    } else if e.is_dns() {
        let host = target.rsplit_once(':').map_or(target, |(h, _)| h);
        format!(
            "cannot find the host {host} (DNS lookup failed: {})",
            innermost(e)
        )
    } else {
        format!("cannot connect to {target}: {}", innermost(e))
    }
}

fn is_hang_up(e: &reqwest::Error, lower: &str) -> bool {
    matches!(
        io_kind(e),
        Some(
            io::ErrorKind::ConnectionReset
                | io::ErrorKind::ConnectionAborted
                | io::ErrorKind::UnexpectedEof
                | io::ErrorKind::BrokenPipe
        )
    ) || lower.contains("connection closed")
        || lower.contains("incomplete message")
}

/// `host:port` of a URL (the port the scheme implies when none is written).
fn target_of(url: &url::Url) -> String {
    let host = url.host_str().unwrap_or_default();
    match url.port_or_known_default() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_string(),
    }
}

/// Every message in the error chain, joined; the URL is left out of reqwest's own text.
pub fn error_chain(e: &reqwest::Error) -> String {
    chain(e)
}

fn chain(e: &reqwest::Error) -> String {
    let mut parts = vec![without_url(&e.to_string())];
    let mut source = e.source();
    while let Some(err) = source {
        let text = without_url(&err.to_string());
        if parts.last() != Some(&text) {
            parts.push(text);
        }
        source = err.source();
    }
    parts.join(": ")
}

/// The deepest cause, which is the one that names the problem.
fn innermost(e: &reqwest::Error) -> String {
    let mut last: &dyn std::error::Error = e;
    let mut source = e.source();
    while let Some(err) = source {
        last = err;
        source = err.source();
    }
    without_url(&last.to_string())
}

fn without_url(text: &str) -> String {
    text.split(" for url (")
        .next()
        .unwrap_or_default()
        .to_string()
}

fn io_kind(e: &reqwest::Error) -> Option<io::ErrorKind> {
    let mut source = e.source();
    while let Some(err) = source {
        if let Some(io_err) = err.downcast_ref::<io::Error>() {
            return Some(io_err.kind());
        }
        source = err.source();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alerts_about_the_client_certificate_are_recognised() {
        let seen = |text: &str| client_certificate_refusal(&text.to_ascii_lowercase());
        assert_eq!(
            seen("error: received fatal alert: CertificateRequired"),
            Some("CertificateRequired")
        );
        assert_eq!(seen("received fatal alert: UnknownCA"), Some("UnknownCA"));
        assert_eq!(seen("received fatal alert: ProtocolVersion"), None);
        assert_eq!(
            seen("invalid peer certificate: UnknownIssuer"),
            None,
            "our refusal of the server's certificate is another matter"
        );
    }

    async fn failed_call(url: &str) -> Option<reqwest::Error> {
        let client = reqwest::Client::builder()
            .no_proxy()
            .timeout(std::time::Duration::from_secs(5))
            .build()
            .ok()?;
        client.get(url).send().await.err()
    }

    #[tokio::test]
    async fn a_closed_port_is_worded_as_nothing_listening_without_the_query() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").ok();
        let port = listener
            .as_ref()
            .and_then(|l| l.local_addr().ok())
            .map(|a| a.port());
        drop(listener);
        let Some(port) = port else { return };
        let error = failed_call(&format!("http://127.0.0.1:{port}/x?secret=abc")).await;
        let text = error.as_ref().map(describe).unwrap_or_default();
        assert_eq!(
            text,
            format!("nothing is listening at 127.0.0.1:{port} (connection refused)")
        );
        let kind = error.map(|e| classify(&e, "t").kind);
        assert_eq!(kind, Some(FailureKind::Connect));
    }

    #[tokio::test]
    async fn a_silent_server_is_worded_as_a_timeout() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.ok();
        let Some(addr) = listener.as_ref().and_then(|l| l.local_addr().ok()) else {
            return;
        };
        let client = reqwest::Client::builder()
            .no_proxy()
            .timeout(std::time::Duration::from_millis(200))
            .build()
            .ok();
        let sent = match client {
            Some(client) => client.get(format!("http://{addr}/")).send().await.err(),
            None => None,
        };
        let text = sent.as_ref().map(describe).unwrap_or_default();
        assert_eq!(text, format!("no answer from {addr} in time (timeout)"));
        drop(listener);
    }
}
