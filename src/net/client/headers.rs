//! The automatic headers of a request and how the user's choices change them: every
//! automatic header can be given another value or left out, and extra headers can be added.
//!
//! *Which* headers a service gets is the table in `snap::headers` (the standard set of its
//! kind plus the extras of its field rules, e.g. ORIGIN for service 12), the same table the
//! sandbox checks against; this module fills their values from the profile and merges.
//! The signature and the secret-carrying headers are filled in `request.rs`, after merging.

use url::Url;

use crate::model::{Profile, SignatureMode};
use crate::snap::catalog::{self, Service};
use crate::snap::headers::{self as table, HeaderSet, HeaderSpec, Need};
pub use crate::snap::headers::{
    ACCESS_TOKEN, AUTHORIZATION, CHANNEL_ID, CONTENT_TYPE, ENDPOIN_URL, HTTP_METHOD, JSON, ORIGIN,
    PRIVATE_KEY, X_CLIENT_KEY, X_CLIENT_SECRET, X_EXTERNAL_ID, X_PARTNER_ID, X_SIGNATURE,
    X_TIMESTAMP, is_sensitive,
};
use crate::snap::timestamp;

/// Filled after merging, and only if still automatic (a user who overrides them must not
/// need the key or secret).
const FILLED_LATER: [&str; 3] = [X_SIGNATURE, PRIVATE_KEY, X_CLIENT_SECRET];

/// The headers a request for `service` carries under a signature mode.
fn specs_of(service: &Service, mode: SignatureMode) -> Vec<HeaderSpec> {
    let set = HeaderSet::of(service.auth, mode == SignatureMode::Symmetric);
    table::for_service(service, set)
}

/// The automatic headers of a service, in the order they are sent: everything the table
/// says it needs. The composer lists them with an "auto" toggle each.
pub fn auto_header_names(service: &Service, mode: SignatureMode) -> Vec<&'static str> {
    table::required(&specs_of(service, mode)).collect()
}

/// What the automatic values are computed from.
pub(crate) struct AutoContext<'a> {
    pub profile: &'a Profile,
    pub service: &'a Service,
    /// The URL the request goes to.
    pub url: &'a Url,
    pub timestamp: &'a str,
    /// The bare access token, if there is one.
    pub token: Option<&'a str>,
}

/// The automatic headers with their values, before the user's choices. Optional headers
/// are sent only when there is a value for them (the Bearer token of an asymmetric
/// transaction); the secret and signature headers get an empty value, filled later.
pub(crate) fn auto_headers(
    context: &AutoContext<'_>,
    warnings: &mut Vec<String>,
) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    for spec in specs_of(context.service, context.profile.signature_mode) {
        if let Some(value) = auto_value(&spec, context, warnings) {
            out.push((spec.name, value));
        }
    }
    out
}

/// The value of one automatic header; `None` leaves it out.
fn auto_value(
    spec: &HeaderSpec,
    context: &AutoContext<'_>,
    warnings: &mut Vec<String>,
) -> Option<String> {
    let profile = context.profile;
    let value = match spec.name {
        AUTHORIZATION => return bearer(spec, context.token, warnings),
        _ if spec.need == Need::Optional => return None,
        CONTENT_TYPE => JSON.to_string(),
        X_TIMESTAMP => context.timestamp.to_string(),
        X_CLIENT_KEY => profile.client_id.trim().to_string(),
        X_PARTNER_ID => profile.effective_partner_id().trim().to_string(),
        X_EXTERNAL_ID => timestamp::new_external_id(timestamp::DEFAULT_EXTERNAL_ID_LEN),
        CHANNEL_ID => profile.channel_id.trim().to_string(),
        ORIGIN => origin_of(profile, context.url),
        // ASPI's signature-service utility signs on behalf of a transaction: by default
        // the VA payment (the flagship flow), with the current token; all overridable.
        HTTP_METHOD => "POST".to_string(),
        ENDPOIN_URL => catalog::by_code("25")
            .map(|s| s.full_path(&profile.api_prefix))
            .unwrap_or_default(),
        ACCESS_TOKEN => {
            if context.token.is_none() {
                warnings.push("no access token for the AccessToken header".to_string());
            }
            context.token.unwrap_or_default().to_string()
        }
        name if FILLED_LATER.contains(&name) => String::new(),
        name => {
            warnings.push(format!(
                "{name} is required by this service and has no automatic value: give it one in the headers"
            ));
            String::new()
        }
    };
    if value.is_empty() && matches!(spec.name, X_CLIENT_KEY | X_PARTNER_ID | CHANNEL_ID) {
        warnings.push(format!("{} is empty: set it in the profile", spec.name));
    }
    Some(value)
}

/// `Bearer <token>`. Without a token a required Authorization is left out (with a warning)
/// rather than sent as "Bearer ": the counterparty's answer to a missing token is the
/// useful one to see.
fn bearer(spec: &HeaderSpec, token: Option<&str>, warnings: &mut Vec<String>) -> Option<String> {
    match token {
        Some(token) => Some(table::bearer_value(token)),
        None => {
            if spec.need != Need::Optional {
                warnings.push(
                    "no access token: Authorization is not sent and the signature covers an empty token".to_string(),
                );
            }
            None
        }
    }
}

/// ORIGIN: the profile's `origin`, or else the origin (`scheme://host[:port]`) of its base
/// URL, or else of the URL the request goes to.
pub fn origin_of(profile: &Profile, url: &Url) -> String {
    let chosen = profile.origin.trim();
    if !chosen.is_empty() {
        return chosen.to_string();
    }
    let base = Url::parse(profile.base_url.trim())
        .ok()
        .map(|base| base.origin())
        .filter(url::Origin::is_tuple);
    base.unwrap_or_else(|| url.origin()).ascii_serialization()
}

pub use crate::model::draft::HeaderOverride;

/// One header on its way out; `auto` is false once the user's value replaced ours.
#[derive(Clone)]
pub(crate) struct Slot {
    pub name: String,
    pub value: String,
    pub auto: bool,
}

/// Apply overrides and extras to the automatic headers. Names match case-insensitively
/// (HTTP header names are case-insensitive); an automatic header keeps its spelling.
pub(crate) fn merge(
    auto: Vec<(&'static str, String)>,
    overrides: &[HeaderOverride],
    extras: &[(String, String)],
    warnings: &mut Vec<String>,
) -> Vec<Slot> {
    let find = |name: &str| {
        overrides
            .iter()
            .rev()
            .find(|o| o.name.trim().eq_ignore_ascii_case(name))
    };
    let mut slots: Vec<Slot> = Vec::with_capacity(auto.len() + extras.len());
    for (name, value) in auto {
        match find(name) {
            Some(o) if o.omit => {}
            Some(HeaderOverride {
                value: Some(value), ..
            }) => slots.push(Slot {
                name: name.to_string(),
                value: value.clone(),
                auto: false,
            }),
            _ => slots.push(Slot {
                name: name.to_string(),
                value,
                auto: true,
            }),
        }
    }
    // An override of a header this service does not send automatically is an extra header.
    let mut extra_pairs: Vec<(String, String)> = Vec::new();
    for o in overrides {
        let name = o.name.trim();
        if name.is_empty() || slots.iter().any(|s| s.name.eq_ignore_ascii_case(name)) {
            continue;
        }
        if let (Some(value), false) = (&o.value, o.omit) {
            extra_pairs.push((name.to_string(), value.clone()));
        }
    }
    extra_pairs.extend(extras.iter().cloned());
    for (name, value) in extra_pairs {
        let name = name.trim().to_string();
        if name.is_empty() {
            continue;
        }
        match slots
            .iter_mut()
            .find(|s| s.name.eq_ignore_ascii_case(&name))
        {
            Some(slot) => {
                if slot.auto {
                    warnings.push(format!(
                        "the extra header {name} replaces the automatic {}",
                        slot.name
                    ));
                }
                slot.value = value;
                slot.auto = false;
            }
            None => slots.push(Slot {
                name,
                value,
                auto: false,
            }),
        }
    }
    slots
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overrides_omissions_and_extras() {
        let auto = vec![
            (X_TIMESTAMP, "auto-ts".to_string()),
            (X_SIGNATURE, String::new()),
            (CHANNEL_ID, "95221".to_string()),
        ];
        let overrides = [
            HeaderOverride::set("x-timestamp", "mine"),
            HeaderOverride::omit(CHANNEL_ID),
            HeaderOverride::set("X-Trace", "1"),
            HeaderOverride::auto(X_SIGNATURE),
        ];
        let extras = [("X-SIGNATURE".to_string(), "forced".to_string())];
        let mut warnings = Vec::new();
        let slots = merge(auto, &overrides, &extras, &mut warnings);
        let names: Vec<(&str, &str, bool)> = slots
            .iter()
            .map(|s| (s.name.as_str(), s.value.as_str(), s.auto))
            .collect();
        assert_eq!(
            names,
            vec![
                (X_TIMESTAMP, "mine", false),
                (X_SIGNATURE, "forced", false),
                ("X-Trace", "1", false),
            ]
        );
        assert_eq!(warnings.len(), 1, "{warnings:?}");
    }

    #[test]
    fn debug_hides_secret_values() {
        let o = HeaderOverride::set("Authorization", "Bearer secret-token");
        assert!(!format!("{o:?}").contains("secret-token"));
        assert!(format!("{:?}", HeaderOverride::set("X-A", "shown")).contains("shown"));
    }
}
