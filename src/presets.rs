//! Provider presets (`assets/providers/*.json`): what a provider's profile looks like
//! before credentials — base URL, API prefix, token path, unsigned context root,
//! signature mode, timestamp style, minify mode, HMAC hash, path form and query encoding —
//! each with the documents it comes from. A new profile starts from a preset and the user
//! adds only credentials.
//!
//! The files are embedded at build time; [`apply`] overlays a preset's settings on a
//! profile through the profile's own JSON form, so a setting a preset names is read exactly
//! as `profiles.json` reads it. Pure: no I/O.

use serde::Deserialize;
use serde_json::{Map, Value};

use crate::snap::signature::SignatureKind;
use crate::store::profiles::Profile;

/// The embedded preset files, by name.
const FILES: [(&str, &str); 4] = [
    (
        "snap-standard",
        include_str!("../assets/providers/snap-standard.json"),
    ),
    (
        "aspi-sandbox",
        include_str!("../assets/providers/aspi-sandbox.json"),
    ),
    (
        "nicepay-snap",
        include_str!("../assets/providers/nicepay-snap.json"),
    ),
    (
        "biller-api",
        include_str!("../assets/providers/biller-api.json"),
    ),
];

/// The profile settings (JSON names) a preset may fill; credentials never come from one.
pub const SETTINGS: [&str; 10] = [
    "baseUrl",
    "apiPrefix",
    "tokenPath",
    "unsignedPathPrefix",
    "signatureMode",
    "timestampStyle",
    "minify",
    "hmacAlgorithm",
    "pathForm",
    "queryEncoding",
];

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Preset {
    pub name: String,
    pub label: String,
    /// Where each setting comes from (the spec files and SNAP_NOTES sections).
    pub sources: Vec<String>,
    /// Profile settings by their `profiles.json` names (see [`SETTINGS`]).
    pub profile: Map<String, Value>,
    /// How the provider signs its notifications: a signature kind (`notification`,
    /// `transaction`) or `none`.
    pub notification_rule: String,
    /// The private key format the provider expects, in words.
    pub key_format: String,
    #[serde(default)]
    pub notes: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PresetError {
    #[error("no preset named '{wanted}'; known: {known}")]
    Unknown { wanted: String, known: String },
    #[error("preset {name}: {problem}")]
    Invalid { name: String, problem: String },
}

/// Every embedded preset, parsed and checked.
pub fn all() -> Result<Vec<Preset>, PresetError> {
    FILES.iter().map(|(name, text)| parse(name, text)).collect()
}

/// The names of the embedded presets.
pub fn names() -> Vec<&'static str> {
    FILES.iter().map(|(name, _)| *name).collect()
}

/// The preset of that name (case-insensitive).
pub fn find(wanted: &str) -> Result<Preset, PresetError> {
    let wanted = wanted.trim();
    let (name, text) = FILES
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case(wanted))
        .ok_or_else(|| PresetError::Unknown {
            wanted: wanted.to_string(),
            known: names().join(", "),
        })?;
    parse(name, text)
}

/// Parse one preset file and check it: known settings only, each readable by `Profile`,
/// at least one source, a known notification rule.
pub fn parse(name: &str, text: &str) -> Result<Preset, PresetError> {
    let invalid = |problem: String| PresetError::Invalid {
        name: name.to_string(),
        problem,
    };
    let preset: Preset = serde_json::from_str(text).map_err(|e| invalid(e.to_string()))?;
    if preset.name != name {
        return Err(invalid(format!("its name is '{}'", preset.name)));
    }
    if preset.sources.iter().all(|s| s.trim().is_empty()) {
        return Err(invalid("it names no source".to_string()));
    }
    if let Some(unknown) = preset
        .profile
        .keys()
        .find(|k| !SETTINGS.contains(&k.as_str()))
    {
        return Err(invalid(format!(
            "'{unknown}' is not a setting a preset may fill"
        )));
    }
    let rule = preset.notification_rule.as_str();
    if rule != "none" && rule.parse::<SignatureKind>().is_err() {
        return Err(invalid(format!("unknown notification rule '{rule}'")));
    }
    apply(&preset, &Profile::default()).map_err(|e| invalid(e.to_string()))?;
    Ok(preset)
}

/// `profile` with the preset's settings laid over it; every other field is kept.
pub fn apply(preset: &Preset, profile: &Profile) -> Result<Profile, PresetError> {
    let settings = preset.profile.iter().map(|(k, v)| (k.as_str(), v.clone()));
    with_settings(profile, settings).map_err(|problem| PresetError::Invalid {
        name: preset.name.clone(),
        problem,
    })
}

/// `profile` with these settings (JSON names of [`SETTINGS`], values as `profiles.json`
/// writes them) laid over it: what a preset does, and what the workbench's "Apply to
/// profile" does with a diagnosis. A name outside [`SETTINGS`] or a value the profile
/// cannot read is refused, naming it.
pub fn with_settings<'a>(
    profile: &Profile,
    settings: impl IntoIterator<Item = (&'a str, Value)>,
) -> Result<Profile, String> {
    let mut value = serde_json::to_value(profile).map_err(|e| e.to_string())?;
    if let Some(fields) = value.as_object_mut() {
        for (key, setting) in settings {
            if !SETTINGS.contains(&key) {
                return Err(format!("'{key}' is not a setting a preset may fill"));
            }
            fields.insert(key.to_string(), setting);
        }
    }
    serde_json::from_value(value).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::snap::signature::PathForm;
    use crate::store::profiles::SignatureMode;

    #[test]
    fn every_embedded_preset_parses_and_names_its_sources() {
        let presets = all();
        let Ok(presets) = presets else {
            panic!("{presets:?}")
        };
        assert_eq!(presets.len(), FILES.len());
        for preset in &presets {
            assert!(!preset.sources.is_empty(), "{}", preset.name);
        }
    }

    #[test]
    fn nicepay_fills_the_context_root_and_token_path_and_keeps_the_rest() {
        let mine = Profile {
            name: "mine".into(),
            client_id: "IONPAYTEST".into(),
            path_form: PathForm::FullUrl,
            ..Profile::default()
        };
        let Ok(preset) = find("NICEPAY-snap") else {
            panic!("nicepay preset")
        };
        let Ok(filled) = apply(&preset, &mine) else {
            panic!("apply")
        };
        assert_eq!(filled.base_url, "https://dev.nicepay.co.id/nicepay");
        assert_eq!(filled.unsigned_path_prefix, "/nicepay");
        assert_eq!(filled.token_path, "/v1.0/access-token/b2b");
        assert_eq!(filled.signature_mode, SignatureMode::Symmetric);
        assert_eq!(
            filled.path_form,
            PathForm::Relative,
            "the preset says relative"
        );
        assert_eq!(filled.client_id, "IONPAYTEST", "credentials are kept");
        assert_eq!(filled.name, "mine");
    }

    #[test]
    fn every_setting_the_diagnosis_names_applies_to_a_profile() {
        use crate::snap::diagnose::variants::{Remedy, VARIANTS};
        for variant in VARIANTS {
            let Remedy::Setting { field, value } = variant.remedy else {
                continue;
            };
            let value = value.replace("<the segment>", "/nicepay");
            let applied = with_settings(&Profile::default(), [(field, Value::from(value.clone()))]);
            let Ok(applied) = applied else {
                panic!("{field} = {value}: {applied:?}")
            };
            let json = serde_json::to_value(&applied).unwrap_or_default();
            assert_eq!(json[field], Value::from(value), "{field}");
        }
    }

    #[test]
    fn bad_presets_are_refused_with_the_reason() {
        let base = r#"{"name":"x","label":"X","sources":["s"],"notificationRule":"none","keyFormat":"k","profile":"#;
        let cases = [
            (r#"{"clientId":"leak"}}"#, "not a setting"),
            (r#"{"minify":"yaml"}}"#, "yaml"),
        ];
        for (profile, needle) in cases {
            let text = format!("{base}{profile}");
            let error = parse("x", &text)
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default();
            assert!(error.contains(needle), "{error}");
        }
        assert!(
            parse("y", &format!("{base}{{}}}}")).is_err(),
            "name mismatch"
        );
        assert!(matches!(find("nope"), Err(PresetError::Unknown { .. })));
    }
}
