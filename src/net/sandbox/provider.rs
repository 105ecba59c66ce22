//! How the sandbox behaves like a given provider, so a preset can be exercised offline: a
//! context root sent before every path and not signed (NICEPAY's `/nicepay`), a token
//! path of its own (NICEPAY's `/v1.0/access-token/b2b`, without `/api`), the minify mode
//! its signatures hash, the timestamp form it insists on, and how it signs the
//! notifications it sends. The default is the SNAP standard the sandbox always spoke.

use chrono::{DateTime, FixedOffset};

use crate::model::{Profile, TimestampStyle};
use crate::snap::catalog::API_PREFIX;
use crate::snap::minify::MinifyMode;
use crate::snap::signature::SignatureKind;
use crate::snap::timestamp;

/// How the sandbox signs the notifications it sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum NotificationRule {
    /// SHA256withRSA over `clientId|timestamp` (NICEPAY).
    #[default]
    Notification,
    /// SHA256withRSA over `METHOD:path:bodyHash:timestamp` (ASPI's asymmetric rule).
    Transaction,
    /// No signature headers (the biller API's callbacks).
    None,
}

impl NotificationRule {
    /// From a preset's `notificationRule` (`notification`, `transaction`, `none`).
    pub fn from_name(name: &str) -> Option<NotificationRule> {
        if name.trim().eq_ignore_ascii_case("none") {
            return Some(NotificationRule::None);
        }
        match name.parse::<SignatureKind>().ok()? {
            SignatureKind::Notification => Some(NotificationRule::Notification),
            SignatureKind::AsymmetricTransaction | SignatureKind::Symmetric => {
                Some(NotificationRule::Transaction)
            }
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderStyle {
    /// Before every path, not signed; requests without it are not found. Empty: none.
    pub context_root: String,
    /// Another path (after the context root) the B2B token service answers at; empty:
    /// only the catalog's `/api/v1.0/access-token/b2b`.
    pub token_path: String,
    pub minify: MinifyMode,
    pub timestamp_style: TimestampStyle,
    pub notification_rule: NotificationRule,
}

impl Default for ProviderStyle {
    fn default() -> Self {
        ProviderStyle {
            context_root: String::new(),
            token_path: String::new(),
            minify: MinifyMode::Lexical,
            timestamp_style: TimestampStyle::JakartaSeconds,
            notification_rule: NotificationRule::Notification,
        }
    }
}

/// The catalog path of the B2B token service, where a provider's own token path leads.
const CATALOG_TOKEN_PATH: &str = "/v1.0/access-token/b2b";

impl ProviderStyle {
    /// The provider a profile describes: its unsigned prefix is the context root, its
    /// token path (when not the catalog's), its minify mode and timestamp style.
    pub fn of_profile(profile: &Profile, notification_rule: NotificationRule) -> ProviderStyle {
        let context_root = profile.unsigned_path_prefix.trim().trim_end_matches('/');
        let token_path = profile.token_path.trim();
        let catalog_token = format!("{API_PREFIX}{CATALOG_TOKEN_PATH}");
        ProviderStyle {
            context_root: context_root.to_string(),
            token_path: if token_path == catalog_token {
                String::new()
            } else {
                token_path.to_string()
            },
            minify: profile.minify,
            timestamp_style: profile.timestamp_style,
            notification_rule,
        }
    }

    /// The path the routes know, or `None` when the context root is missing.
    pub(crate) fn route_path<'p>(&self, path: &'p str) -> Option<std::borrow::Cow<'p, str>> {
        let inner = if self.context_root.is_empty() {
            path
        } else {
            path.strip_prefix(&self.context_root)
                .filter(|rest| rest.is_empty() || rest.starts_with('/'))?
        };
        if !self.token_path.is_empty() && inner == self.token_path {
            return Some(format!("{API_PREFIX}{CATALOG_TOKEN_PATH}").into());
        }
        Some(inner.into())
    }

    /// X-TIMESTAMP in this provider's form, or why not.
    pub(crate) fn parse_timestamp(&self, text: &str) -> Result<DateTime<FixedOffset>, String> {
        if self.timestamp_style == TimestampStyle::JakartaSeconds {
            return timestamp::parse_strict(text).map_err(|e| e.to_string());
        }
        let parsed = timestamp::parse_lenient(text).map_err(|e| e.to_string())?;
        let value = text.trim();
        let zulu = value.ends_with('Z') || value.ends_with('z');
        let millis = value.contains('.');
        let fits = match self.timestamp_style {
            TimestampStyle::JakartaMillis => millis && !zulu,
            TimestampStyle::UtcMillisZ => millis && zulu,
            TimestampStyle::JakartaSeconds => true,
        };
        if fits {
            Ok(parsed)
        } else {
            Err(format!(
                "'{value}' is not in this provider's form: {}",
                self.timestamp_style.label()
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_nicepay_style_routes_under_its_context_root_and_token_path() {
        let profile = Profile {
            unsigned_path_prefix: "/nicepay".into(),
            token_path: "/v1.0/access-token/b2b".into(),
            ..Profile::default()
        };
        let style = ProviderStyle::of_profile(&profile, NotificationRule::Notification);
        assert_eq!(
            style
                .route_path("/nicepay/api/v1.0/transfer-va/payment")
                .as_deref(),
            Some("/api/v1.0/transfer-va/payment")
        );
        assert_eq!(
            style
                .route_path("/nicepay/v1.0/access-token/b2b")
                .as_deref(),
            Some("/api/v1.0/access-token/b2b")
        );
        assert_eq!(style.route_path("/api/v1.0/transfer-va/payment"), None);
        assert_eq!(style.route_path("/nicepayX/api"), None);
        let standard = ProviderStyle::default();
        assert_eq!(standard.route_path("/api/x").as_deref(), Some("/api/x"));
    }

    #[test]
    fn timestamps_in_the_providers_form_only() {
        let style = ProviderStyle {
            timestamp_style: TimestampStyle::UtcMillisZ,
            ..ProviderStyle::default()
        };
        assert!(style.parse_timestamp("2024-11-29T07:15:00.000Z").is_ok());
        assert!(style.parse_timestamp("2024-11-29T14:15:00+07:00").is_err());
        assert!(
            ProviderStyle::default()
                .parse_timestamp("2024-11-29T07:15:00.000Z")
                .is_err()
        );
        assert_eq!(
            NotificationRule::from_name("none"),
            Some(NotificationRule::None)
        );
        assert_eq!(
            NotificationRule::from_name("notification"),
            Some(NotificationRule::Notification)
        );
    }
}
