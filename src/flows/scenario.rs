//! Run test suites against a profile's base URL: each case's steps in order (one case at a
//! time, so captured values and reused X-EXTERNAL-IDs mean what they say), every exchange
//! recorded in the history tagged with suite, case and run, each case judged by
//! `snap::scenario`. The command line (`snap-console test`) and the exports read the
//! [`RunReport`] this returns.

use std::sync::Arc;
use std::time::Instant;

use serde::Serialize;
use tokio::sync::{Mutex, broadcast, watch};

use super::scenario_step::{self, CaseState, Shared, Tags};
use crate::model::{Exchange, Profile, ProfileSecrets, Recorder};
use crate::net::client::{self, TokenCache};
use crate::net::inbox::{InboxHandle, Received};
use crate::snap::scenario::{Case, Requirement, Role, Suite};
use crate::snap::timestamp;

/// What a run needs besides the suites.
pub struct RunContext<'a> {
    pub profile: &'a Profile,
    pub secrets: &'a ProfileSecrets,
    pub recorder: Arc<dyn Recorder>,
    /// Where notifications arrive; cases that need one are skipped without it.
    pub inbox: Option<InboxFeed>,
    /// Why there is no inbox, for the skip reason.
    pub no_inbox_reason: String,
    /// Flips to `true` to stop: the cases not yet run are reported skipped.
    pub cancel: Option<watch::Receiver<bool>>,
}

/// What an inbox receives, as the run sees it: one subscription for the whole run, so the
/// inbox itself stays free for its panel (nothing holds it while the run goes on).
pub struct InboxFeed(pub(crate) Mutex<broadcast::Receiver<Received>>);

impl InboxFeed {
    pub fn of(inbox: &InboxHandle) -> Self {
        InboxFeed(Mutex::new(inbox.subscribe()))
    }
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CaseReport {
    pub suite: String,
    pub id: String,
    pub name: String,
    pub purpose: String,
    pub passed: bool,
    pub skipped: bool,
    /// One line each: `HTTP 401, responseCode 4012500`.
    pub expected: String,
    pub got: String,
    /// Why it failed or was skipped, in words; empty when it passed.
    pub reason: String,
    pub ms: u64,
    /// RFC 3339, Jakarta time.
    pub tested_at: String,
    /// As recorded in the history: redacted.
    pub exchanges: Vec<Exchange>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SuiteReport {
    pub id: String,
    pub title: String,
    pub role: Role,
    pub source: String,
    pub cases: Vec<CaseReport>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RunReport {
    pub run: String,
    pub profile: String,
    pub base_url: String,
    pub started: String,
    pub suites: Vec<SuiteReport>,
}

impl RunReport {
    pub fn cases(&self) -> impl Iterator<Item = &CaseReport> {
        self.suites.iter().flat_map(|s| s.cases.iter())
    }

    /// (passed, failed, skipped)
    pub fn counts(&self) -> (usize, usize, usize) {
        self.cases()
            .fold((0, 0, 0), |(p, f, s), c| match (c.skipped, c.passed) {
                (true, _) => (p, f, s + 1),
                (false, true) => (p + 1, f, s),
                (false, false) => (p, f + 1, s),
            })
    }
}

/// A fresh run id: the time it started and a few random characters.
pub fn new_run_id() -> String {
    format!(
        "run-{}-{}",
        chrono::Utc::now().format("%Y%m%dT%H%M%SZ"),
        timestamp::new_external_id(6)
    )
}

/// Run every case of every suite; `progress` hears of each case as it ends.
pub async fn run(
    suites: &[Suite],
    context: &RunContext<'_>,
    progress: &mut (dyn FnMut(&CaseReport) + Send),
) -> Result<RunReport, String> {
    let http = client::http_client(context.profile.verify_tls).map_err(|e| e.to_string())?;
    let run_id = new_run_id();
    let mut shared = Shared {
        profile: context.profile,
        secrets: context.secrets,
        recorder: context.recorder.clone(),
        inbox: context.inbox.as_ref(),
        http,
        tokens: TokenCache::new(),
        tags: Tags {
            run: run_id.clone(),
            ..Tags::default()
        },
    };
    let mut report = RunReport {
        run: run_id,
        profile: context.profile.name.clone(),
        base_url: context.profile.base_url.clone(),
        started: timestamp::now_jakarta(),
        suites: Vec::new(),
    };
    for suite in suites {
        shared.tags.suite = suite.id.clone();
        let mut cases = Vec::with_capacity(suite.cases.len());
        for case in &suite.cases {
            shared.tags.case = case.id.clone();
            let case_report = run_case(&shared, context, suite, case).await;
            progress(&case_report);
            cases.push(case_report);
        }
        report.suites.push(SuiteReport {
            id: suite.id.clone(),
            title: suite.title.clone(),
            role: suite.role,
            source: suite.source.clone(),
            cases,
        });
    }
    Ok(report)
}

fn cancelled(context: &RunContext<'_>) -> bool {
    context.cancel.as_ref().is_some_and(|c| *c.borrow())
}

async fn run_case(
    shared: &Shared<'_>,
    context: &RunContext<'_>,
    suite: &Suite,
    case: &Case,
) -> CaseReport {
    let mut report = CaseReport {
        suite: suite.id.clone(),
        id: case.id.clone(),
        name: case.name.clone(),
        purpose: case.purpose.clone(),
        passed: false,
        skipped: false,
        expected: String::new(),
        got: String::new(),
        reason: String::new(),
        ms: 0,
        tested_at: timestamp::now_jakarta(),
        exchanges: Vec::new(),
    };
    let skip = if cancelled(context) {
        Some("cancelled before it ran".to_string())
    } else if case.requires.contains(&Requirement::Inbox) && context.inbox.is_none() {
        Some(format!(
            "needs an inbox the provider can reach: {}",
            context.no_inbox_reason
        ))
    } else {
        None
    };
    if let Some(reason) = skip {
        report.skipped = true;
        report.reason = reason;
        return report;
    }
    let started = Instant::now();
    let mut state = CaseState::default();
    let many = case.steps.len() > 1;
    report.passed = true;
    for (index, step) in case.steps.iter().enumerate() {
        let result = scenario_step::run_step(shared, step, &mut state).await;
        report.exchanges.extend(result.exchanges);
        report.expected = result.judged.expected.clone();
        report.got = result.judged.got.clone();
        if !result.judged.passed() {
            let mut reason = result.judged.problems.join("; ");
            if let Some(fault) = step.fault {
                reason.push_str(&format!(" (fault: {})", fault.describe()));
            }
            if many {
                reason = format!("step {} ({}): {reason}", index + 1, step.service);
            }
            report.passed = false;
            report.reason = reason;
            break;
        }
    }
    report.ms = started.elapsed().as_millis().try_into().unwrap_or(u64::MAX);
    report
}
