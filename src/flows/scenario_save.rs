//! "Save to suite": a request from the composer (its draft) or from the history (a recorded
//! exchange) turned into a suite step and appended to one of the user's suites
//! (`store::suites`), so suites are also where saved requests are kept.
//!
//! What a step keeps: the service, the body as a literal (JSON when it parses, else the
//! text exactly), the composer's header choices (a value, or left out), and, when the
//! request was answered, the answer's HTTP status and responseCode as its expectation.
//! Secret headers (Authorization, client secrets, keys) are never written to the file:
//! the runner signs and fetches tokens itself. A recorded exchange keeps no headers: the
//! ones recorded are the automatic ones, made afresh on every run.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::model::{Direction, Exchange, RequestDraft};
use crate::snap::headers::is_sensitive;
use crate::snap::scenario::{Expect, Step, service_of};
use crate::store::paths::AppPaths;
use crate::store::suites::{self, SavedStep};

/// What came back for the request, when it was sent: becomes the step's expectation.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Answer {
    pub status: Option<u16>,
    pub response_code: Option<String>,
}

/// A step made from the composer's draft; the names of secret headers left out.
pub fn step_from_draft(
    draft: &RequestDraft,
    answer: &Answer,
) -> Result<(Step, Vec<String>), String> {
    let service = known_service(&draft.service_id)?;
    let mut headers = BTreeMap::new();
    let mut omit = Vec::new();
    let mut left_out = Vec::new();
    for choice in &draft.header_overrides {
        if choice.omit {
            omit.push(choice.name.clone());
        } else if let Some(value) = &choice.value {
            keep_header(&mut headers, &mut left_out, &choice.name, value);
        }
    }
    for (name, value) in &draft.extra_headers {
        if !name.trim().is_empty() {
            keep_header(&mut headers, &mut left_out, name.trim(), value);
        }
    }
    let step = Step {
        headers,
        omit,
        ..bare_step(service, &draft.body, answer)
    };
    Ok((step, left_out))
}

/// A step made from a request the console sent (the history); its body as recorded.
pub fn step_from_exchange(exchange: &Exchange) -> Result<Step, String> {
    if exchange.direction == Direction::Inbound {
        return Err("a notification received by the inbox is not a request the console sends; choose a sent request".into());
    }
    if exchange.request.body_truncated {
        return Err(
            "this request's body was cut when recorded; it cannot be saved as a step".into(),
        );
    }
    let service = exchange
        .service
        .as_deref()
        .ok_or("this request has no catalog service; only catalog services can be suite steps")?;
    let service = known_service(service)?;
    let answer = Answer {
        status: exchange.response_status,
        response_code: exchange.response_code.clone(),
    };
    Ok(bare_step(service, &exchange.request.body, &answer))
}

fn known_service(name: &str) -> Result<String, String> {
    service_of(name)
        .map(|s| s.id.clone())
        .ok_or_else(|| format!("'{name}' is not a service of the catalog (snap-console services)"))
}

fn keep_header(
    headers: &mut BTreeMap<String, String>,
    left_out: &mut Vec<String>,
    name: &str,
    value: &str,
) {
    if is_sensitive(name) {
        left_out.push(name.to_string());
    } else {
        headers.insert(name.to_string(), value.to_string());
    }
}

fn bare_step(service: String, body: &str, answer: &Answer) -> Step {
    let body = match body.trim() {
        "" => None,
        text => {
            Some(serde_json::from_str::<Value>(text).unwrap_or_else(|_| Value::String(body.into())))
        }
    };
    Step {
        service,
        body,
        set: serde_json::Map::new(),
        headers: BTreeMap::new(),
        omit: Vec::new(),
        fault: None,
        capture: BTreeMap::new(),
        expect: Expect {
            status: answer.status,
            // Only a code the suite format reads (seven digits); anything else is left out.
            response_code: answer
                .response_code
                .clone()
                .filter(|c| c.len() == 7 && c.bytes().all(|b| b.is_ascii_digit())),
            ..Expect::default()
        },
    }
}

/// Where a request is saved: a suite of the user's (made when missing) and, optionally, a
/// case in it (default: a new case `request-N`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub suite: String,
    pub case: Option<String>,
}

/// Append the step and say in words where it went (and which secret headers were left out).
pub fn save(
    paths: &AppPaths,
    target: &Target,
    step: Step,
    left_out: &[String],
) -> Result<String, String> {
    let SavedStep {
        path,
        suite,
        case,
        step,
    } = suites::save_step(paths, &target.suite, target.case.as_deref(), step)?;
    let mut said = format!(
        "saved as step {step} of {suite}/{case} in {}",
        path.display()
    );
    if !left_out.is_empty() {
        said.push_str(&format!(
            " (secret headers not written: {}; the run signs and fetches tokens itself)",
            left_out.join(", ")
        ));
    }
    Ok(said)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::HeaderOverride;

    fn draft(body: &str) -> RequestDraft {
        RequestDraft {
            service_id: "snap-25".into(),
            body: body.into(),
            header_overrides: vec![
                HeaderOverride {
                    name: "X-TIMESTAMP".into(),
                    value: Some("2024-01-01T00:00:00+07:00".into()),
                    omit: false,
                },
                HeaderOverride {
                    name: "CHANNEL-ID".into(),
                    value: None,
                    omit: true,
                },
                HeaderOverride {
                    name: "Authorization".into(),
                    value: Some("Bearer secret-token".into()),
                    omit: false,
                },
            ],
            extra_headers: vec![("X-Extra".into(), "1".into())],
            ..RequestDraft::default()
        }
    }

    #[test]
    fn a_draft_keeps_its_choices_but_never_a_secret_header() {
        let answer = Answer {
            status: Some(200),
            response_code: Some("2002500".into()),
        };
        let (step, left_out) = step_from_draft(&draft(r#"{"a": 1}"#), &answer).unwrap();
        assert_eq!(step.service, "snap-25");
        assert_eq!(step.body, Some(serde_json::json!({"a": 1})));
        assert_eq!(step.omit, vec!["CHANNEL-ID".to_string()]);
        assert_eq!(
            step.headers.keys().collect::<Vec<_>>(),
            vec!["X-Extra", "X-TIMESTAMP"]
        );
        assert_eq!(left_out, vec!["Authorization".to_string()]);
        assert_eq!(step.expect.status, Some(200));
        assert_eq!(step.expect.response_code.as_deref(), Some("2002500"));
        let text = serde_json::to_string(&step).unwrap();
        assert!(!text.contains("secret-token"));
    }

    #[test]
    fn text_bodies_stay_text_and_odd_codes_are_not_expected() {
        let answer = Answer {
            status: Some(500),
            response_code: Some("oops".into()),
        };
        let (step, _) = step_from_draft(&draft("not json"), &answer).unwrap();
        assert_eq!(step.body, Some(Value::String("not json".into())));
        assert_eq!(step.expect.response_code, None);
        let (empty, _) = step_from_draft(&draft("  "), &Answer::default()).unwrap();
        assert_eq!(empty.body, None, "an empty body means the template");
        let mut unknown = draft("{}");
        unknown.service_id = "no such service at all".into();
        assert!(step_from_draft(&unknown, &answer).is_err());
    }
}
