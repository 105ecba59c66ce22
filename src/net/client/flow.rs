//! One send, start to finish, as the composer window and `snap-console send` both do it:
//! the access token when the service needs one (from the cache, or fetched), the request
//! built and signed, sent (cancellable). Recording it is `flows::send`'s job: `net` knows
//! nothing of the history. Keeping it in one place keeps a request made from a terminal identical to the
//! one the window makes.

use tokio::sync::watch;

use super::token::{TokenAttempt, TokenCache, request_timeout};
use super::{BuiltRequest, RequestDraft, ResponseRecord, SendError, TimestampSource};
use crate::model::{Profile, ProfileSecrets};
use crate::snap::catalog::{Service, ServiceAuth};
use crate::snap::headers::{ACCESS_TOKEN, AUTHORIZATION};

/// Everything that happened, for showing and for the history.
pub struct Run {
    pub token_attempt: Option<TokenAttempt>,
    /// The token obtained (for redaction only; never shown).
    pub token: Option<String>,
    pub built: Option<BuiltRequest>,
    pub outcome: Result<ResponseRecord, SendError>,
}

/// Whether the user supplied the token themselves (an Authorization override), so none
/// is fetched.
fn user_supplied_token(service: &Service, draft: &RequestDraft) -> bool {
    draft.header_overrides.iter().any(|o| {
        let name = o.name.trim();
        o.value.is_some()
            && (name.eq_ignore_ascii_case(AUTHORIZATION)
                || (service.auth == ServiceAuth::UtilitySignatureService
                    && name.eq_ignore_ascii_case(ACCESS_TOKEN)))
    })
}

/// Token (if needed), build, send. `cancel` flips to `true` to abandon the request.
pub async fn exchange(
    profile: &Profile,
    secrets: &ProfileSecrets,
    service: &Service,
    draft: &RequestDraft,
    tokens: &TokenCache,
    cancel: Option<watch::Receiver<bool>>,
) -> Run {
    let http = match super::http_client_for(profile, secrets) {
        Ok(http) => http,
        Err(e) => return failed(None, None, e),
    };
    let (token, token_attempt) =
        if super::needs_token(profile, service) && !user_supplied_token(service, draft) {
            let (result, attempt) = tokens
                .ensure_token_traced(&http, profile, secrets, false)
                .await;
            match result {
                Ok(token) => (Some(token), attempt),
                Err(e) => return failed(attempt, None, e),
            }
        } else {
            (None, None)
        };
    let built = match super::build(
        profile,
        secrets,
        draft,
        token.as_deref(),
        TimestampSource::Now,
    ) {
        Ok(built) => built,
        Err(e) => {
            return Run {
                token_attempt,
                token,
                built: None,
                outcome: Err(SendError::Build(e)),
            };
        }
    };
    // A token's lifetime counts from when it was asked for.
    let sent_at = std::time::Instant::now();
    let outcome = match cancel {
        Some(cancel) => {
            super::send_cancellable(&http, &built, request_timeout(profile), cancel).await
        }
        None => super::send(&http, &built, request_timeout(profile)).await,
    };
    // A token service sent by hand refreshes the cache too.
    if service.auth == ServiceAuth::TokenB2b
        && let Ok(record) = &outcome
    {
        tokens
            .remember_response(profile, record.status, &record.body, sent_at)
            .await;
    }
    Run {
        token_attempt,
        token,
        built: Some(built),
        outcome,
    }
}

fn failed(token_attempt: Option<TokenAttempt>, built: Option<BuiltRequest>, e: SendError) -> Run {
    Run {
        token_attempt,
        token: None,
        built,
        outcome: Err(e),
    }
}
