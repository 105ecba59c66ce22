//! The one rule for "this machine": where a private key, a client secret or a token may
//! go without the user confirming it. It is strict on purpose: a name or address that only
//! looks local (`localhost.evil.com`, `127.0.0.1.nip.io`, `0.0.0.0`) is not local.
//!
//! Local are 127.0.0.0/8, `::1`, IPv4-mapped loopback (`::ffff:127.x.y.z`), and the names
//! `localhost` and `*.localhost` (RFC 6761; any case, one trailing dot allowed).

use std::net::IpAddr;

use url::{Host, Url};

/// Whether the URL's host is this machine.
pub fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(Host::Ipv4(ip)) => is_loopback_ip(IpAddr::V4(ip)),
        Some(Host::Ipv6(ip)) => is_loopback_ip(IpAddr::V6(ip)),
        Some(Host::Domain(name)) => is_loopback_name(name),
        None => false,
    }
}

/// [`is_loopback`] of a URL given as text; text that is not a URL is not local.
pub fn is_loopback_text(url: &str) -> bool {
    Url::parse(url.trim()).is_ok_and(|url| is_loopback(&url))
}

/// A bare host as it appears in a URL (`127.0.0.1`, `[::1]`, `api.localhost`).
pub fn is_loopback_host(host: &str) -> bool {
    Host::parse(host.trim()).is_ok_and(|host| match host {
        Host::Ipv4(ip) => is_loopback_ip(IpAddr::V4(ip)),
        Host::Ipv6(ip) => is_loopback_ip(IpAddr::V6(ip)),
        Host::Domain(name) => is_loopback_name(&name),
    })
}

/// 127.0.0.0/8, `::1`, or an IPv4-mapped 127.0.0.0/8.
pub fn is_loopback_ip(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(ip) => ip.is_loopback(),
        IpAddr::V6(ip) => {
            ip.is_loopback() || ip.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback())
        }
    }
}

/// `localhost` or `label.….localhost`, any case, at most one trailing dot, no empty label.
fn is_loopback_name(name: &str) -> bool {
    let name = name.strip_suffix('.').unwrap_or(name).to_ascii_lowercase();
    if name == "localhost" {
        return true;
    }
    name.strip_suffix(".localhost")
        .is_some_and(|labels| labels.split('.').all(|label| !label.is_empty()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn local(url: &str) -> bool {
        is_loopback_text(url)
    }

    #[test]
    fn the_loopback_network_is_local() {
        assert!(local("http://127.0.0.1:8080/x"));
        assert!(local("http://127.9.9.9/"));
        assert!(local("https://127.255.255.254/"));
        assert!(local("http://[::1]:9/x"));
        assert!(local("http://[::ffff:127.0.0.1]:80/"));
        assert!(local("http://[::ffff:127.1.2.3]/"));
    }

    #[test]
    fn localhost_names_are_local_in_any_case_with_one_trailing_dot() {
        assert!(local("http://localhost"));
        assert!(local("http://LocalHost:8080/"));
        assert!(local("http://localhost./"));
        assert!(local("http://api.localhost/"));
        assert!(local("http://a.b.LOCALHOST./"));
        assert!(!local("http://localhost../"));
        assert!(!local("http://.localhost/"));
        assert!(!local("http://a..localhost/"));
    }

    #[test]
    fn look_alikes_are_not_local() {
        for url in [
            "http://localhost.evil.com/",
            "http://localhost.evil.com./",
            "http://127.0.0.1.nip.io/",
            "http://evil-localhost/",
            "http://mylocalhost/",
            "http://0.0.0.0/",
            "http://[::]/",
            "http://[::ffff:10.0.0.1]/",
            "http://[::ffff:0.0.0.0]/",
            "http://10.0.0.1/",
            "http://192.168.1.1/",
            "https://apidevportal.aspi-indonesia.or.id:44310/",
            "not a url",
            "",
            "file:///etc/passwd",
        ] {
            assert!(!local(url), "{url} is not this machine");
        }
    }

    #[test]
    fn hosts_and_addresses_follow_the_same_rule() {
        assert!(is_loopback_host("127.0.0.1"));
        assert!(is_loopback_host("[::1]"));
        assert!(is_loopback_host("Api.Localhost"));
        assert!(!is_loopback_host("localhost.evil.com"));
        assert!(!is_loopback_host("[::ffff:10.0.0.1]"));
        assert!(is_loopback_ip(
            "::ffff:127.0.0.1".parse().unwrap_or(IpAddr::from([0; 4]))
        ));
        assert!(!is_loopback_ip(IpAddr::from([0, 0, 0, 0])));
    }
}
