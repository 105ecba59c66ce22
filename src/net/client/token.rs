//! The B2B access token (service 73): fetched when missing or within a minute of expiry,
//! cached per profile in memory (never on disk).
//!
//! Concurrent callers for one profile wait for a single fetch instead of each fetching
//! (a provider may revoke the first token when the second is issued). Dropping a caller's
//! future mid-fetch leaves the cache as it was.

use std::collections::HashMap;
use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use serde_json::Value;
use zeroize::Zeroizing;

use super::request::{self, BuildError, BuiltRequest, RequestDraft, TimestampSource};
use super::send::{ResponseRecord, SendError, send};
use crate::model::{Profile, ProfileSecrets};
use crate::snap::catalog;

/// A cached token is refreshed when it has less than this left.
pub const REFRESH_MARGIN: Duration = Duration::from_secs(60);
/// When the answer has no usable `expiresIn`: SNAP's usual 15 minutes.
pub const DEFAULT_EXPIRES_IN: Duration = Duration::from_secs(900);
/// The B2B token request body (SNAP_NOTES §6; NICEPAY's is the same).
pub const TOKEN_BODY: &str = r#"{"grantType":"client_credentials","additionalInfo":{}}"#;

/// One token request made by the cache, with what came of it (for the history and for
/// showing the token response).
#[derive(Debug, Clone)]
pub struct TokenAttempt {
    pub built: BuiltRequest,
    pub response: Result<ResponseRecord, SendError>,
}

/// What the cache holds for a profile, for display ("token valid for 13 min").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TokenStatus {
    pub remaining: Duration,
    /// Within [`REFRESH_MARGIN`] of expiry (or past it): the next use fetches a new one.
    pub refresh_due: bool,
}

struct Cached {
    token: Zeroizing<String>,
    expires_at: Instant,
    /// Which server and client the token belongs to: a profile edited to point elsewhere
    /// does not reuse it.
    identity: u64,
}

type Slot = Arc<tokio::sync::Mutex<Option<Cached>>>;

/// Tokens by profile id. Cheap to clone; clones share the cache.
#[derive(Clone, Default)]
pub struct TokenCache {
    slots: Arc<Mutex<HashMap<String, Slot>>>,
}

impl std::fmt::Debug for TokenCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let count = self
            .slots
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len();
        f.debug_struct("TokenCache")
            .field("profiles", &count)
            .finish_non_exhaustive()
    }
}

impl TokenCache {
    pub fn new() -> Self {
        TokenCache::default()
    }

    fn slot(&self, profile_id: &str) -> Slot {
        // A poisoned map only means a panic elsewhere mid-insert; the map is still usable.
        let mut slots = self.slots.lock().unwrap_or_else(PoisonError::into_inner);
        slots.entry(profile_id.to_string()).or_default().clone()
    }

    /// A usable token for `profile`: the cached one, or a fresh one when there is none,
    /// it is within a minute of expiry, or `force` is set ("Get token").
    pub async fn ensure_token(
        &self,
        http: &reqwest::Client,
        profile: &Profile,
        secrets: &ProfileSecrets,
        force: bool,
    ) -> Result<String, SendError> {
        self.ensure_token_traced(http, profile, secrets, force)
            .await
            .0
    }

    /// [`ensure_token`](Self::ensure_token), plus the token request when one was made, so
    /// that it can be shown and recorded in history like any other exchange.
    pub async fn ensure_token_traced(
        &self,
        http: &reqwest::Client,
        profile: &Profile,
        secrets: &ProfileSecrets,
        force: bool,
    ) -> (Result<String, SendError>, Option<TokenAttempt>) {
        let slot = self.slot(&profile.id);
        let mut guard = slot.lock().await;
        let identity = identity_of(profile);
        if !force
            && let Some(cached) = guard.as_ref()
            && cached.identity == identity
            && cached.expires_at.saturating_duration_since(Instant::now()) > REFRESH_MARGIN
        {
            return (Ok(cached.token.to_string()), None);
        }
        let built = match build_token_request(profile, secrets) {
            Ok(built) => built,
            Err(e) => return (Err(SendError::Build(e)), None),
        };
        let started = Instant::now();
        let response = send(http, &built, request_timeout(profile)).await;
        let outcome = match &response {
            Ok(record) => parse_token_response(record.status, &record.body).map(|(token, ttl)| {
                *guard = Some(Cached {
                    token: Zeroizing::new(token.clone()),
                    expires_at: started + ttl,
                    identity,
                });
                token
            }),
            Err(e) => Err(e.clone()),
        };
        if outcome.is_err() && force {
            // "Get token" failed: do not keep using a token the user wanted replaced.
            *guard = None;
        }
        (outcome, Some(TokenAttempt { built, response }))
    }

    /// What is cached for `profile`, if anything usable.
    pub fn status(&self, profile: &Profile) -> Option<TokenStatus> {
        let slot = self.slot(&profile.id);
        let guard = slot.try_lock().ok()?;
        let cached = guard
            .as_ref()
            .filter(|c| c.identity == identity_of(profile))?;
        let remaining = cached.expires_at.saturating_duration_since(Instant::now());
        Some(TokenStatus {
            remaining,
            refresh_due: remaining <= REFRESH_MARGIN,
        })
    }

    /// Keep a token obtained elsewhere (the user sent "Access Token B2B" from the composer).
    /// Returns the token when `body` is a successful token answer.
    pub async fn remember_response(
        &self,
        profile: &Profile,
        status: u16,
        body: &[u8],
        sent_at: Instant,
    ) -> Option<String> {
        let (token, ttl) = parse_token_response(status, body).ok()?;
        let slot = self.slot(&profile.id);
        *slot.lock().await = Some(Cached {
            token: Zeroizing::new(token.clone()),
            expires_at: sent_at + ttl,
            identity: identity_of(profile),
        });
        Some(token)
    }

    /// Drop the cached token of a profile (it was rejected, or the profile changed).
    pub async fn forget(&self, profile_id: &str) {
        let slot = self.slot(profile_id);
        *slot.lock().await = None;
    }
}

/// The token request of a profile: service 73 at the profile's token path.
pub fn build_token_request(
    profile: &Profile,
    secrets: &ProfileSecrets,
) -> Result<BuiltRequest, BuildError> {
    let service = catalog::by_code("73")
        .ok_or_else(|| BuildError::UnknownService("73 (Access Token B2B)".into()))?;
    let mut draft = RequestDraft::new(profile, service);
    draft.body = TOKEN_BODY.to_string();
    request::build(profile, secrets, &draft, None, TimestampSource::Now)
}

/// The profile's timeout (0 means the default 30 s).
pub fn request_timeout(profile: &Profile) -> Duration {
    Duration::from_secs(match profile.timeout_seconds {
        0 => 30,
        n => n,
    })
}

/// The token and its lifetime from a token answer; an answer without one is an error that
/// says what the service said instead.
pub fn parse_token_response(status: u16, body: &[u8]) -> Result<(String, Duration), SendError> {
    let json: Option<Value> = serde_json::from_slice(body).ok();
    let field = |name: &str| json.as_ref().and_then(|j| j.get(name));
    let response_code = field("responseCode")
        .and_then(Value::as_str)
        .map(str::to_string);
    let token = field("accessToken")
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|t| !t.is_empty());
    match token {
        Some(token) if (200..300).contains(&status) => {
            let ttl = field("expiresIn")
                .and_then(expires_in_seconds)
                .map(Duration::from_secs)
                .unwrap_or(DEFAULT_EXPIRES_IN);
            Ok((token.to_string(), ttl))
        }
        _ => {
            let said = match (
                &response_code,
                field("responseMessage").and_then(Value::as_str),
            ) {
                (Some(code), Some(text)) => format!(", {code} {}", clip(text)),
                (Some(code), None) => format!(", {code}"),
                (None, Some(text)) => format!(", {}", clip(text)),
                (None, None) if json.is_none() => ", and the answer is not JSON".to_string(),
                (None, None) => String::new(),
            };
            let message = if (200..300).contains(&status) {
                format!("the token service answered HTTP {status}{said} but without an accessToken")
            } else {
                format!("the token request was refused: HTTP {status}{said}")
            };
            Err(SendError::TokenRefused {
                status,
                response_code,
                message,
            })
        }
    }
}

/// `expiresIn` is a string ("900") at ASPI, NICEPAY and most providers, a number at others.
fn expires_in_seconds(value: &Value) -> Option<u64> {
    match value {
        Value::Number(n) => n
            .as_u64()
            .or_else(|| n.as_f64().filter(|f| *f >= 0.0).map(|f| f as u64)),
        Value::String(s) => s.trim().parse::<u64>().ok(),
        _ => None,
    }
}

fn identity_of(profile: &Profile) -> u64 {
    let mut hasher = DefaultHasher::new();
    profile.base_url.trim().hash(&mut hasher);
    profile.token_path.trim().hash(&mut hasher);
    profile.api_prefix.trim().hash(&mut hasher);
    profile.client_id.trim().hash(&mut hasher);
    hasher.finish()
}

fn clip(text: &str) -> String {
    const MAX: usize = 200;
    if text.chars().count() <= MAX {
        text.to_string()
    } else {
        format!("{}…", text.chars().take(MAX).collect::<String>())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expires_in_as_string_or_number() {
        let ok =
            |body: &str| parse_token_response(200, body.as_bytes()).map(|(t, d)| (t, d.as_secs()));
        assert_eq!(
            ok(r#"{"accessToken":"abc","expiresIn":"900"}"#),
            Ok(("abc".into(), 900))
        );
        assert_eq!(
            ok(r#"{"accessToken":"abc","expiresIn":120}"#),
            Ok(("abc".into(), 120))
        );
        assert_eq!(ok(r#"{"accessToken":"abc"}"#), Ok(("abc".into(), 900)));
        assert_eq!(
            ok(r#"{"accessToken":"abc","expiresIn":"soon"}"#),
            Ok(("abc".into(), 900))
        );
    }

    #[test]
    fn refusals_say_what_the_server_said() {
        let err = parse_token_response(
            401,
            br#"{"responseCode":"4017300","responseMessage":"Unauthorized. [Signature]"}"#,
        );
        let message = err.err().map(|e| e.to_string()).unwrap_or_default();
        assert!(
            message.contains("HTTP 401, 4017300 Unauthorized. [Signature]"),
            "{message}"
        );
        let message = parse_token_response(502, b"<html>bad gateway</html>")
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(message.contains("not JSON"), "{message}");
        assert!(parse_token_response(200, br#"{"responseCode":"2007300"}"#).is_err());
    }
}
