//! The request a user drafts in the composer (or on the command line): which service,
//! method, path and body, and what they chose for each header. Plain data; `net::client`
//! turns it into a signed request.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::profile::Profile;
use crate::snap::catalog::Service;
pub use crate::snap::headers::is_sensitive;

/// What the user has in the composer (or on the command line) for one request.
#[derive(Clone, Default)]
pub struct RequestDraft {
    /// A catalog id (`snap-25`), or anything `catalog::find` understands (`25`, a name).
    pub service_id: String,
    pub method: String,
    /// Relative to the profile's base URL, with its query; from the catalog by default.
    pub path: String,
    /// Sent exactly as typed (see the module docs of `net::client`).
    pub body: String,
    pub header_overrides: Vec<HeaderOverride>,
    pub extra_headers: Vec<(String, String)>,
    /// The user explicitly agreed to send the profile's private key (ASPI's signature-auth
    /// utility) to a host that is not this machine.
    pub confirm_private_key_to_remote_host: bool,
}

impl RequestDraft {
    /// A draft for `service` with the catalog's method and path and an empty body.
    pub fn new(profile: &Profile, service: &Service) -> Self {
        RequestDraft {
            service_id: service.id.clone(),
            method: service.method.clone(),
            path: profile.path_of(service),
            ..RequestDraft::default()
        }
    }
}

impl fmt::Debug for RequestDraft {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let extras: Vec<(&str, &str)> = self
            .extra_headers
            .iter()
            .map(|(n, v)| {
                let shown = if is_sensitive(n) {
                    "<redacted>"
                } else {
                    v.as_str()
                };
                (n.as_str(), shown)
            })
            .collect();
        f.debug_struct("RequestDraft")
            .field("service_id", &self.service_id)
            .field("method", &self.method)
            .field("path", &self.path)
            .field("body_bytes", &self.body.len())
            .field("header_overrides", &self.header_overrides)
            .field("extra_headers", &extras)
            .field(
                "confirm_private_key_to_remote_host",
                &self.confirm_private_key_to_remote_host,
            )
            .finish()
    }
}

/// The user's choice for one header: automatic, another value, or not sent at all.
#[derive(Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct HeaderOverride {
    pub name: String,
    /// `None` = automatic; `Some` = this value instead (the signature is then computed
    /// over it where the header takes part, e.g. X-TIMESTAMP).
    pub value: Option<String>,
    /// Leave the header out (to test how a counterparty rejects a missing header).
    pub omit: bool,
}

impl HeaderOverride {
    pub fn auto(name: impl Into<String>) -> Self {
        HeaderOverride {
            name: name.into(),
            ..HeaderOverride::default()
        }
    }

    pub fn set(name: impl Into<String>, value: impl Into<String>) -> Self {
        HeaderOverride {
            name: name.into(),
            value: Some(value.into()),
            omit: false,
        }
    }

    pub fn omit(name: impl Into<String>) -> Self {
        HeaderOverride {
            name: name.into(),
            value: None,
            omit: true,
        }
    }
}

impl fmt::Debug for HeaderOverride {
    // A value set for Authorization or Private_Key is a secret.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let value = match &self.value {
            Some(_) if is_sensitive(&self.name) => Some("<redacted>"),
            Some(v) => Some(v.as_str()),
            None => None,
        };
        f.debug_struct("HeaderOverride")
            .field("name", &self.name)
            .field("value", &value)
            .field("omit", &self.omit)
            .finish()
    }
}
