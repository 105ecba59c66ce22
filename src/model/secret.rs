//! `Secret`: the one type for client secrets, private-key text, passphrases and tokens
//! wherever they travel (profiles, commands to the worker, drafts).
//!
//! Why a type and not a convention: a `String` prints itself in every `{:?}` of every
//! struct or enum it sits in, and one derived `Debug` on a message type is enough to put a
//! private key in a log. `Secret` prints `‹redacted›` in `Debug` and `Display`, wipes its
//! memory when dropped, and hands its text out only through [`Secret::expose`], which is
//! easy to grep for. It serialises as a plain string so `secrets.json` keeps its shape.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use zeroize::Zeroizing;

/// What `Debug` and `Display` print instead of the value.
pub const REDACTED_TEXT: &str = "‹redacted›";

/// A string that never prints and is zeroized on drop.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Secret(Zeroizing<String>);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(Zeroizing::new(value.into()))
    }

    /// The text itself. Every use is a place where the secret leaves this type: keep
    /// them few and never pass the result to a formatter that could log it.
    pub fn expose(&self) -> &str {
        self.0.as_str()
    }

    /// Mutable access for a text field that edits the secret in place (the window).
    pub fn expose_mut(&mut self) -> &mut String {
        &mut self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// `None` for an empty secret (an optional passphrase left blank).
    pub fn non_empty(self) -> Option<Secret> {
        (!self.is_empty()).then_some(self)
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Secret::new(value)
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Self {
        Secret::new(value)
    }
}

impl std::hash::Hash for Secret {
    // For change detection (has the key changed?); a hash is not the secret.
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.expose().hash(state);
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_empty() {
            f.write_str("‹empty›")
        } else {
            f.write_str(REDACTED_TEXT)
        }
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

impl Serialize for Secret {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.expose())
    }
}

impl<'de> Deserialize<'de> for Secret {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(Secret::new)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_prints_its_value() {
        let secret = Secret::from("hunter2-very-secret");
        assert_eq!(format!("{secret:?}"), REDACTED_TEXT);
        assert_eq!(format!("{secret}"), REDACTED_TEXT);
        assert_eq!(
            format!("{:?}", Some(secret.clone())),
            format!("Some({REDACTED_TEXT})")
        );
        assert_eq!(secret.expose(), "hunter2-very-secret");
        assert_eq!(format!("{:?}", Secret::default()), "‹empty›");
    }

    #[test]
    fn serialises_as_a_plain_string() -> Result<(), serde_json::Error> {
        let secret = Secret::from("abc");
        assert_eq!(serde_json::to_string(&secret)?, "\"abc\"");
        let back: Secret = serde_json::from_str("\"abc\"")?;
        assert_eq!(back, secret);
        Ok(())
    }

    #[test]
    fn non_empty_drops_blank_passphrases() {
        assert!(Secret::default().non_empty().is_none());
        assert!(Secret::from("x").non_empty().is_some());
    }
}
