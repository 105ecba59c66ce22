//! Which headers each kind of service gets (SNAP_NOTES §3, §8), and how the user's choices
//! change them: every automatic header can be given another value or left out, and extra
//! headers can be added.
//!
//! The values themselves are computed in `request.rs`; this module knows names and merging.

use crate::model::SignatureMode;
use crate::snap::catalog::ServiceAuth;

pub const CONTENT_TYPE: &str = "Content-Type";
pub const X_TIMESTAMP: &str = "X-TIMESTAMP";
pub const X_CLIENT_KEY: &str = "X-CLIENT-KEY";
pub const X_SIGNATURE: &str = "X-SIGNATURE";
pub const AUTHORIZATION: &str = "Authorization";
pub const X_PARTNER_ID: &str = "X-PARTNER-ID";
pub const X_EXTERNAL_ID: &str = "X-EXTERNAL-ID";
pub const CHANNEL_ID: &str = "CHANNEL-ID";
/// ASPI's signature-auth utility takes the caller's private key in this header.
pub const PRIVATE_KEY: &str = "Private_Key";
pub const X_CLIENT_SECRET: &str = "X-CLIENT-SECRET";
pub const HTTP_METHOD: &str = "HttpMethod";
/// Spelled as ASPI spells it (sic).
pub const ENDPOIN_URL: &str = "EndpoinUrl";
pub const ACCESS_TOKEN: &str = "AccessToken";

pub const JSON: &str = "application/json";

/// The automatic headers of a service, in the order they are sent. The composer lists
/// them with an "auto" toggle each.
pub fn auto_header_names(auth: ServiceAuth, mode: SignatureMode) -> Vec<&'static str> {
    match auth {
        ServiceAuth::TokenB2b | ServiceAuth::TokenB2b2c => {
            vec![CONTENT_TYPE, X_TIMESTAMP, X_CLIENT_KEY, X_SIGNATURE]
        }
        ServiceAuth::Transaction => {
            let mut names = vec![CONTENT_TYPE];
            if mode == SignatureMode::Symmetric {
                names.push(AUTHORIZATION);
            }
            names.extend([
                X_TIMESTAMP,
                X_SIGNATURE,
                X_PARTNER_ID,
                X_EXTERNAL_ID,
                CHANNEL_ID,
            ]);
            names
        }
        ServiceAuth::UtilitySignatureAuth => {
            vec![CONTENT_TYPE, X_TIMESTAMP, X_CLIENT_KEY, PRIVATE_KEY]
        }
        ServiceAuth::UtilitySignatureService => vec![
            CONTENT_TYPE,
            X_TIMESTAMP,
            X_CLIENT_SECRET,
            HTTP_METHOD,
            ENDPOIN_URL,
            ACCESS_TOKEN,
        ],
        // The biller API signs inside the body (md5 `sign`): no signature headers.
        ServiceAuth::BillerMd5 => vec![CONTENT_TYPE],
    }
}

pub use crate::model::draft::{HeaderOverride, is_sensitive};

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
