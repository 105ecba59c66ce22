//! One step of a scenario: the body and headers made from the step (template, `set`,
//! captured values), the fault injected, the request signed and sent as the composer
//! sends it, the exchanges recorded with their suite, case and run, and the answer judged.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::Value;
use tokio::sync::OnceCell;

use super::scenario::InboxFeed;
use super::send::{record, redacted_exchanges};
use crate::model::{Exchange, Profile, ProfileSecrets, Recorder, RequestDraft, Secret};
use crate::net::client::flow::Run;
use crate::net::client::token::request_timeout;
use crate::net::client::{
    self, HeaderOverride, ResponseRecord, SendError, TimestampSource, TokenCache,
};
use crate::snap::catalog::{Service, ServiceAuth};
use crate::snap::headers::{AUTHORIZATION, X_EXTERNAL_ID, X_TIMESTAMP};
use crate::snap::scenario::{self, Fault, Judged, Outcome, Step};
use crate::snap::{fill, keys, templates, timestamp};

/// A client secret that is not the profile's (the `wrongKey` fault on transactions).
const WRONG_CLIENT_SECRET: &str = "not-the-client-secret-of-this-profile";

/// Another private key (the `wrongKey` fault on token requests): made once per process
/// when first needed (RSA key generation takes a noticeable moment).
static OTHER_KEY: OnceCell<Result<Secret, String>> = OnceCell::const_new();

/// What every step of a run shares.
pub(crate) struct Shared<'a> {
    pub profile: &'a Profile,
    pub secrets: &'a ProfileSecrets,
    pub recorder: Arc<dyn Recorder>,
    pub inbox: Option<&'a InboxFeed>,
    pub http: reqwest::Client,
    pub tokens: TokenCache,
    pub tags: Tags,
}

/// The ids an exchange is tagged with in the history.
#[derive(Clone, Default)]
pub(crate) struct Tags {
    pub suite: String,
    pub case: String,
    pub run: String,
}

/// What a case carries from step to step.
#[derive(Default)]
pub(crate) struct CaseState {
    pub values: BTreeMap<String, String>,
    pub last_external_id: Option<String>,
}

/// One step's result.
pub(crate) struct StepResult {
    pub judged: Judged,
    pub exchanges: Vec<Exchange>,
}

/// Make, send, record and judge one step.
pub(crate) async fn run_step(
    shared: &Shared<'_>,
    step: &Step,
    state: &mut CaseState,
) -> StepResult {
    let Some(service) = scenario::service_of(&step.service) else {
        return failed_before_sending(format!("unknown service '{}'", step.service));
    };
    let mut draft = match draft_of(shared, service, step, state) {
        Ok(draft) => draft,
        Err(e) => return failed_before_sending(e),
    };
    let mut expired_attempt = None;
    if step.fault == Some(Fault::ExpiredToken) {
        match expired_token(shared).await {
            Ok((token, attempt)) => {
                draft.header_overrides.push(HeaderOverride::set(
                    AUTHORIZATION,
                    format!("Bearer {token}"),
                ));
                expired_attempt = attempt;
            }
            Err(e) => return failed_before_sending(e),
        }
    }
    let signing = match signing_secrets(shared, step.fault).await {
        Ok(secrets) => secrets,
        Err(e) => return failed_before_sending(e),
    };
    // Held from before the request to the notification's arrival: what came before this
    // step is dropped, so the step judges only its own notification.
    let mut inbox_events = match (&step.expect.notification, shared.inbox) {
        (Some(_), Some(feed)) => Some(feed.0.lock().await),
        _ => None,
    };
    if let Some(events) = inbox_events.as_mut() {
        while !matches!(
            events.try_recv(),
            Err(tokio::sync::broadcast::error::TryRecvError::Empty
                | tokio::sync::broadcast::error::TryRecvError::Closed)
        ) {}
    }
    let mut run = send(shared, service, &draft, &signing, step.fault).await;
    // The token fetched for `expiredToken` is evidence too.
    run.token_attempt = run.token_attempt.take().or(expired_attempt);
    let mut exchanges = redacted_exchanges(shared.profile, shared.secrets, &run);
    for exchange in &mut exchanges {
        exchange.suite = Some(shared.tags.suite.clone());
        exchange.case = Some(shared.tags.case.clone());
        exchange.run = Some(shared.tags.run.clone());
    }
    let history_problem = record(shared.recorder.clone(), exchanges.clone()).await;
    let mut judged = judge_run(step, service, &run, state);
    if let Some(problem) = history_problem {
        judged.problems.push(problem);
    }
    if let Some(expect) = &step.expect.notification {
        let arrived = match inbox_events.as_mut() {
            Some(events) => wait_for_notification(events, expect.within_seconds).await,
            None => None,
        };
        if judged.problems.is_empty()
            && let Some(problem) = scenario::judge_notification(expect, arrived)
        {
            judged.got.push_str(", no valid notification");
            judged.problems.push(problem);
        }
    }
    StepResult { judged, exchanges }
}

/// The longest the runner waits for a token to expire (`expiredToken`): a step that waits
/// the usual 15 minutes would make a suite useless.
const MAX_EXPIRY_WAIT: Duration = Duration::from_secs(10);

/// A token fresh from the provider (its own cache, so the run's token stays good), held
/// until its `expiresIn` has passed.
async fn expired_token(
    shared: &Shared<'_>,
) -> Result<(String, Option<client::TokenAttempt>), String> {
    let fresh = TokenCache::new();
    let (result, attempt) = fresh
        .ensure_token_traced(&shared.http, shared.profile, shared.secrets, true)
        .await;
    let token = result.map_err(|e| format!("expiredToken: the token request failed: {e}"))?;
    let lives = fresh
        .status(shared.profile)
        .map(|s| s.remaining)
        .unwrap_or_default();
    if lives > MAX_EXPIRY_WAIT {
        return Err(format!(
            "expiredToken: the provider's tokens live {} s and a run waits at most {} s for one to expire; give the provider a shorter token lifetime (the sandbox: --token-ttl 2)",
            lives.as_secs(),
            MAX_EXPIRY_WAIT.as_secs()
        ));
    }
    tokio::time::sleep(lives + Duration::from_millis(300)).await;
    Ok((token, attempt))
}

fn failed_before_sending(why: String) -> StepResult {
    StepResult {
        judged: Judged {
            expected: String::new(),
            got: format!("not sent: {why}"),
            problems: vec![format!("the request could not be made: {why}")],
        },
        exchanges: Vec::new(),
    }
}

/// The request a step describes, before any fault that needs the built request.
fn draft_of(
    shared: &Shared<'_>,
    service: &Service,
    step: &Step,
    state: &CaseState,
) -> Result<RequestDraft, String> {
    let profile = shared.profile;
    let fill_profile = fill::FillProfile {
        partner_service_id: &profile.partner_service_id,
        client_id: &profile.client_id,
        client_secret: shared.secrets.client_secret.expose(),
    };
    let values = fill::fresh_values(service, fill_profile);
    let body = match &step.body {
        Some(Value::String(text)) => scenario::substitute(text, &state.values),
        Some(literal) => scenario::substitute(&literal.to_string(), &state.values),
        None => templates::body_for(&service.id, &values).unwrap_or_default(),
    };
    let mut draft = RequestDraft::new(profile, service);
    draft.path = templates::fill_path(&draft.path, &service.id, &values);
    draft.body = scenario::apply_set(&body, &step.set, &state.values)?;
    for (name, value) in &step.headers {
        draft.header_overrides.push(HeaderOverride::set(
            name.as_str(),
            scenario::substitute(value, &state.values),
        ));
    }
    for name in &step.omit {
        draft
            .header_overrides
            .push(HeaderOverride::omit(name.as_str()));
    }
    match step.fault {
        Some(Fault::StaleTimestamp) => {
            let hour_ago = chrono::Utc::now() - chrono::Duration::hours(1);
            draft.header_overrides.push(HeaderOverride::set(
                X_TIMESTAMP,
                timestamp::format_jakarta(hour_ago),
            ));
        }
        Some(Fault::MalformedTimestamp) => draft
            .header_overrides
            .push(HeaderOverride::set(X_TIMESTAMP, "2024/13/45 25:61:00")),
        Some(Fault::ReuseExternalId) => {
            let previous = state.last_external_id.clone().ok_or_else(|| {
                "reuseExternalId needs an earlier step in the case that sent an X-EXTERNAL-ID"
                    .to_string()
            })?;
            draft
                .header_overrides
                .push(HeaderOverride::set(X_EXTERNAL_ID, previous));
        }
        Some(Fault::MadeUpToken) => draft.header_overrides.push(HeaderOverride::set(
            AUTHORIZATION,
            format!("Bearer {}", timestamp::new_external_id(32)),
        )),
        _ => {}
    }
    Ok(draft)
}

/// The secrets the request is signed with: the profile's, or others for `wrongKey`.
async fn signing_secrets(
    shared: &Shared<'_>,
    fault: Option<Fault>,
) -> Result<ProfileSecrets, String> {
    let mut secrets = shared.secrets.clone();
    if fault != Some(Fault::WrongKey) {
        return Ok(secrets);
    }
    secrets.client_secret = Secret::new(WRONG_CLIENT_SECRET);
    let other = OTHER_KEY
        .get_or_init(|| async {
            tokio::task::spawn_blocking(other_private_key)
                .await
                .map_err(|e| format!("cannot make another key: {e}"))?
        })
        .await;
    secrets.private_key_pem = other.clone()?;
    Ok(secrets)
}

fn other_private_key() -> Result<Secret, String> {
    let key = keys::generate_private_key(2048).map_err(|e| e.to_string())?;
    let pem = keys::private_key_to_pkcs8_pem(&key, None).map_err(|e| e.to_string())?;
    Ok(Secret::new(pem.as_str()))
}

/// Token (when the service needs one and the step gives none), build, fault, send.
async fn send(
    shared: &Shared<'_>,
    service: &Service,
    draft: &RequestDraft,
    signing: &ProfileSecrets,
    fault: Option<Fault>,
) -> Run {
    let profile = shared.profile;
    let supplied = draft
        .header_overrides
        .iter()
        .any(|o| o.name.eq_ignore_ascii_case(AUTHORIZATION) && (o.value.is_some() || o.omit));
    let (token, token_attempt) = if profile.needs_token(service) && !supplied {
        let (result, attempt) = shared
            .tokens
            .ensure_token_traced(&shared.http, profile, shared.secrets, false)
            .await;
        match result {
            Ok(token) => (Some(token), attempt),
            Err(e) => return outcome_only(attempt, None, Err(e)),
        }
    } else {
        (None, None)
    };
    let mut built = match client::build(
        profile,
        signing,
        draft,
        token.as_deref(),
        TimestampSource::Now,
    ) {
        Ok(built) => built,
        Err(e) => return outcome_only(token_attempt, token, Err(SendError::Build(e))),
    };
    if fault == Some(Fault::BodyChangedAfterSigning) {
        built.body = tampered(&built.body);
    }
    let outcome = client::send(&shared.http, &built, request_timeout(profile)).await;
    if service.auth == ServiceAuth::TokenB2b
        && fault.is_none()
        && let Ok(record) = &outcome
    {
        shared
            .tokens
            .remember_response(profile, record.status, &record.body, Instant::now())
            .await;
    }
    Run {
        token_attempt,
        token,
        built: Some(built),
        outcome,
    }
}

fn outcome_only(
    token_attempt: Option<client::TokenAttempt>,
    token: Option<String>,
    outcome: Result<ResponseRecord, SendError>,
) -> Run {
    Run {
        token_attempt,
        token,
        built: None,
        outcome,
    }
}

/// The body with a field added: what a man in the middle, or a bug after signing, does.
fn tampered(body: &[u8]) -> Vec<u8> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(mut map)) => {
            map.insert("changedAfterSigning".into(), Value::from("1"));
            serde_json::to_vec(&Value::Object(map)).unwrap_or_else(|_| body.to_vec())
        }
        _ => [body, b" "].concat(),
    }
}

/// The answer judged, captures taken, the X-EXTERNAL-ID remembered.
fn judge_run(step: &Step, service: &Service, run: &Run, state: &mut CaseState) -> Judged {
    let code = scenario::service_code(service);
    if let Some(built) = &run.built
        && let Some(id) = built.header(X_EXTERNAL_ID)
    {
        state.last_external_id = Some(id.to_string());
    }
    let record = match &run.outcome {
        Ok(record) => record,
        Err(e) => {
            let why = match (&run.built, e) {
                (None, SendError::TokenRefused { .. }) => format!("no access token: {e}"),
                _ => e.to_string(),
            };
            return scenario::judge(&step.expect, code, &Outcome::NoAnswer(&why));
        }
    };
    let json = serde_json::from_slice::<Value>(&record.body).ok();
    let mut judged = scenario::judge(
        &step.expect,
        code,
        &Outcome::Answer {
            status: record.status,
            json: json.as_ref(),
            ms: record.total_ms.round() as u64,
        },
    );
    if let Some(fault) = step.fault
        && !judged.problems.is_empty()
        && (200..300).contains(&record.status)
    {
        judged.problems.insert(
            0,
            format!(
                "the server accepted a request with a planted fault ({})",
                fault.describe()
            ),
        );
    }
    if judged.problems.is_empty() && !step.capture.is_empty() {
        let request = run
            .built
            .as_ref()
            .and_then(|b| serde_json::from_slice::<Value>(&b.body).ok());
        match scenario::capture(&step.capture, json.as_ref(), request.as_ref()) {
            Ok(values) => state.values.extend(values),
            Err(e) => judged.problems.push(e),
        }
    }
    judged
}

/// The signature verdict of the first notification to arrive within the time.
async fn wait_for_notification(
    events: &mut tokio::sync::broadcast::Receiver<crate::net::inbox::Received>,
    within_seconds: u64,
) -> Option<Option<bool>> {
    let deadline = std::time::Duration::from_secs(within_seconds.clamp(1, 300));
    let received = tokio::time::timeout(deadline, async {
        loop {
            match events.recv().await {
                Ok(received) => return Some(received),
                Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => continue,
                Err(tokio::sync::broadcast::error::RecvError::Closed) => return None,
            }
        }
    })
    .await
    .ok()
    .flatten()?;
    Some(received.verdict.signature_valid)
}
