//! Test suites ("scenarios"), pure: the versioned suite file format, reading it with
//! errors that say file, line and column, the values a step carries into later steps, and
//! the judging of an answer against a step's expectations. The runner (`flows::scenario`)
//! sends; everything decided about a suite is decided here. The format is documented in
//! `docs/suites.md`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::catalog::{self, Service};

/// The `formatVersion` this build reads and writes. A suite with a larger one comes from
/// a newer SNAP Console and is refused rather than half-understood.
pub const FORMAT_VERSION: u32 = 1;

/// Cases and steps in one suite at most: a suite is a human-written list, and the runner
/// and the exports hold them all.
pub const MAX_CASES: usize = 1000;
pub const MAX_STEPS: usize = 20;

/// Which side the console plays.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Role {
    /// The console calls a provider's API as a merchant or partner would.
    Partner,
    /// The console calls the developer's own server as a bank or PJP would.
    Provider,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Partner => "partner",
            Role::Provider => "provider",
        }
    }
}

/// One suite file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Suite {
    pub format_version: u32,
    pub id: String,
    pub title: String,
    pub role: Role,
    /// The provider document the cases come from.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub source: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    pub cases: Vec<Case>,
}

/// What a case needs beyond the profile's base URL.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Requirement {
    /// An inbox the provider can reach (notifications): skipped, with the reason, without.
    Inbox,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Case {
    pub id: String,
    pub name: String,
    /// Why the case exists, in the words of the functional-test sheet.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub purpose: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub requires: Vec<Requirement>,
    pub steps: Vec<Step>,
}

/// One request and what its answer must be.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Step {
    /// A catalog code (`25`), id (`snap-25`) or unique part of a name.
    pub service: String,
    /// A literal body (a JSON value, or a string sent as it is); absent: the service's
    /// template, filled as the composer fills it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<Value>,
    /// Overrides applied to the body: JSON Pointer → value (a missing last key is added).
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub set: Map<String, Value>,
    /// Header name → value, replacing the automatic value (or added).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub headers: BTreeMap<String, String>,
    /// Headers left out.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub omit: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fault: Option<Fault>,
    /// Name → JSON Pointer into the answer (`request:/…` into the request body sent);
    /// later steps use the value as `${name}`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub capture: BTreeMap<String, String>,
    #[serde(default)]
    pub expect: Expect,
}

/// A mistake made on purpose, to see the counterparty refuse it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Fault {
    /// Sign with another private key (token) or client secret (transactions).
    WrongKey,
    /// Change the body after the signature was made over it.
    BodyChangedAfterSigning,
    /// An X-TIMESTAMP an hour old (signed over, so only its age is wrong).
    StaleTimestamp,
    /// An X-TIMESTAMP that is not ISO 8601.
    MalformedTimestamp,
    /// The previous step's X-EXTERNAL-ID again.
    ReuseExternalId,
    /// A bearer token the provider never issued.
    MadeUpToken,
    /// A bearer token the provider issued and that has since expired: the runner fetches
    /// a fresh one and waits out its `expiresIn` (only when that is short).
    ExpiredToken,
}

impl Fault {
    /// In words, for reasons and reports.
    pub fn describe(self) -> &'static str {
        match self {
            Fault::WrongKey => "signed with another key or secret",
            Fault::BodyChangedAfterSigning => "body changed after signing",
            Fault::StaleTimestamp => "X-TIMESTAMP an hour old",
            Fault::MalformedTimestamp => "malformed X-TIMESTAMP",
            Fault::ReuseExternalId => "X-EXTERNAL-ID of the previous request reused",
            Fault::MadeUpToken => "made-up access token",
            Fault::ExpiredToken => "expired access token",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Expect {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// Exact (`2002500`) or a pattern with `xx` where the service code goes (`401xx00`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response_code: Option<String>,
    /// JSON Pointer → the value it must hold, or `{"present": true|false}`.
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub fields: Map<String, Value>,
    /// The answer must come within this many milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub within_ms: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notification: Option<NotificationExpect>,
}

/// A notification must arrive at the inbox after the step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NotificationExpect {
    pub within_seconds: u64,
    #[serde(default = "yes")]
    pub valid_signature: bool,
}

fn yes() -> bool {
    true
}

/// Why a suite file cannot be used: where, and what.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}:{column}: {message}")]
pub struct SuiteError {
    pub file: String,
    /// 1-based; 0 when the problem has no place (an empty file).
    pub line: usize,
    pub column: usize,
    pub message: String,
}

const SUITE_KEYS: &str = "formatVersion, id, title, role, source, description, cases";

/// Read a suite from its text; `file` names it in errors.
pub fn parse_suite(file: &str, text: &str) -> Result<Suite, SuiteError> {
    let suite: Suite = serde_json::from_str(text).map_err(|e| SuiteError {
        file: file.to_string(),
        line: e.line(),
        column: e.column(),
        message: with_known_keys(&e.to_string()),
    })?;
    check_suite(&suite).map_err(|(needle, message)| {
        let (line, column) = position_of(text, &needle);
        SuiteError {
            file: file.to_string(),
            line,
            column,
            message,
        }
    })?;
    Ok(suite)
}

/// serde's message, without its own " at line L column C" (we say it first), and with the
/// known keys of the suite's top level when a required one is missing (serde names the
/// missing key only).
fn with_known_keys(message: &str) -> String {
    let trimmed = match message.rfind(" at line ") {
        Some(at) => &message[..at],
        None => message,
    };
    if trimmed.starts_with("missing field") {
        format!("{trimmed} (a suite has: {SUITE_KEYS}; see docs/suites.md)")
    } else {
        trimmed.to_string()
    }
}

/// The first place `needle` occurs in `text`, 1-based; (1, 1) when it does not.
fn position_of(text: &str, needle: &str) -> (usize, usize) {
    let Some(at) = text.find(needle) else {
        return (1, 1);
    };
    let before = &text[..at];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

/// What serde cannot say: the version, unique ids, known services, usable patterns and
/// pointers. The error carries a text to find in the file (for its line and column).
fn check_suite(suite: &Suite) -> Result<(), (String, String)> {
    if suite.format_version > FORMAT_VERSION || suite.format_version == 0 {
        return Err((
            "formatVersion".into(),
            format!(
                "formatVersion {} is not one this SNAP Console reads (it reads {FORMAT_VERSION})",
                suite.format_version
            ),
        ));
    }
    if !is_id(&suite.id) {
        return Err((
            quoted(&suite.id),
            format!(
                "suite id '{}' must be letters, digits and '-'",
                shorten(&suite.id)
            ),
        ));
    }
    if suite.cases.is_empty() || suite.cases.len() > MAX_CASES {
        return Err((
            "\"cases\"".into(),
            format!("a suite has 1 to {MAX_CASES} cases"),
        ));
    }
    let mut seen = std::collections::BTreeSet::new();
    for case in &suite.cases {
        if !is_id(&case.id) || !seen.insert(case.id.as_str()) {
            return Err((
                quoted(&case.id),
                format!(
                    "case id '{}' must be unique and made of letters, digits and '-'",
                    shorten(&case.id)
                ),
            ));
        }
        check_case(case)
            .map_err(|(needle, message)| (needle, format!("case '{}': {message}", case.id)))?;
    }
    Ok(())
}

fn check_case(case: &Case) -> Result<(), (String, String)> {
    if case.steps.is_empty() || case.steps.len() > MAX_STEPS {
        return Err((
            quoted(&case.id),
            format!("a case has 1 to {MAX_STEPS} steps"),
        ));
    }
    for step in &case.steps {
        if service_of(&step.service).is_none() {
            return Err((
                quoted(&step.service),
                format!(
                    "unknown service '{}': give a code (25), a catalog id (snap-25) or a unique part of its name",
                    shorten(&step.service)
                ),
            ));
        }
        if let Some(pattern) = &step.expect.response_code
            && !is_code_pattern(pattern)
        {
            return Err((
                quoted(pattern),
                format!(
                    "responseCode '{}' must be 7 characters: digits, or 'xx' in place of the service code (401xx00)",
                    shorten(pattern)
                ),
            ));
        }
        let pointers = step
            .set
            .keys()
            .chain(step.expect.fields.keys())
            .chain(step.capture.values());
        for pointer in pointers {
            let bare = pointer.strip_prefix("request:").unwrap_or(pointer);
            if !bare.is_empty() && !bare.starts_with('/') {
                return Err((
                    quoted(pointer),
                    format!(
                        "'{}' is not a JSON Pointer (it starts with '/', e.g. /virtualAccountData/virtualAccountNo)",
                        shorten(pointer)
                    ),
                ));
            }
        }
    }
    Ok(())
}

fn quoted(text: &str) -> String {
    format!("\"{text}\"")
}

fn shorten(text: &str) -> String {
    super::text::shorten(text, 64)
}

/// Whether `text` can be a suite or case id: letters, digits, `-`, `_`, at most 64.
pub fn is_id(text: &str) -> bool {
    !text.is_empty()
        && text.len() <= 64
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// The service a step names.
pub fn service_of(name: &str) -> Option<&'static Service> {
    catalog::services()
        .iter()
        .find(|s| s.id == name.trim())
        .or_else(|| catalog::find(name))
}

/// The two-digit code a pattern's `xx` stands for (`00` for services without one).
pub fn service_code(service: &Service) -> &str {
    service.code.as_deref().unwrap_or("00")
}

fn is_code_pattern(pattern: &str) -> bool {
    pattern.len() == 7
        && pattern
            .char_indices()
            .all(|(i, c)| c.is_ascii_digit() || ((i == 3 || i == 4) && c == 'x'))
}

/// The exact code a pattern asks for, the service code filled in.
pub fn expected_code(pattern: &str, service_code: &str) -> String {
    if pattern.get(3..5) == Some("xx") {
        format!("{}{service_code}{}", &pattern[..3], &pattern[5..])
    } else {
        pattern.to_string()
    }
}

/// The built-in suites, embedded: (file name, text). One per provider document.
const BUILT_IN: [(&str, &str); 5] = [
    (
        "aspi-va-payment.json",
        include_str!("../../assets/suites/aspi-va-payment.json"),
    ),
    (
        "biller.json",
        include_str!("../../assets/suites/biller.json"),
    ),
    (
        "nicepay-direct-debit.json",
        include_str!("../../assets/suites/nicepay-direct-debit.json"),
    ),
    (
        "qris-transaction-list.json",
        include_str!("../../assets/suites/qris-transaction-list.json"),
    ),
    (
        "va-notification.json",
        include_str!("../../assets/suites/va-notification.json"),
    ),
];

/// Every built-in suite, read. A built-in that does not read is a bug caught by the
/// tests; it is returned as an error rather than taking the others down.
pub fn built_in() -> Vec<Result<Suite, SuiteError>> {
    BUILT_IN
        .iter()
        .map(|(file, text)| parse_suite(&format!("assets/suites/{file}"), text))
        .collect()
}

/// The built-in suite with this id.
pub fn built_in_named(id: &str) -> Option<Suite> {
    built_in().into_iter().flatten().find(|s| s.id == id.trim())
}

// ---------------------------------------------------------------------------------------
// Bodies and captured values

/// `${name}` replaced by captured values; unknown names are left as they are (a template
/// has its own `${…}`, filled before).
pub fn substitute(text: &str, values: &BTreeMap<String, String>) -> String {
    let mut out = text.to_string();
    for (name, value) in values {
        out = out.replace(&format!("${{{name}}}"), value);
    }
    out
}

/// A step's `set` applied to a JSON body: each pointer's value replaced (the last key is
/// added to its object when missing). String values get captured values substituted.
pub fn apply_set(
    body: &str,
    set: &Map<String, Value>,
    values: &BTreeMap<String, String>,
) -> Result<String, String> {
    if set.is_empty() {
        return Ok(body.to_string());
    }
    let mut json: Value = serde_json::from_str(body)
        .map_err(|e| format!("the body is not JSON, so 'set' cannot apply: {e}"))?;
    for (pointer, value) in set {
        let value = substitute_value(value, values);
        set_pointer(&mut json, pointer, value)?;
    }
    serde_json::to_string(&json).map_err(|e| format!("the body cannot be written: {e}"))
}

fn substitute_value(value: &Value, values: &BTreeMap<String, String>) -> Value {
    match value {
        Value::String(s) => Value::String(substitute(s, values)),
        Value::Array(items) => {
            Value::Array(items.iter().map(|v| substitute_value(v, values)).collect())
        }
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), substitute_value(v, values)))
                .collect(),
        ),
        other => other.clone(),
    }
}

fn set_pointer(json: &mut Value, pointer: &str, value: Value) -> Result<(), String> {
    if let Some(slot) = json.pointer_mut(pointer) {
        *slot = value;
        return Ok(());
    }
    let (parent, last) = pointer
        .rsplit_once('/')
        .ok_or_else(|| format!("set {pointer}: not a JSON Pointer"))?;
    let last = last.replace("~1", "/").replace("~0", "~");
    match json.pointer_mut(parent) {
        Some(Value::Object(map)) => {
            map.insert(last, value);
            Ok(())
        }
        _ => Err(format!(
            "set {pointer}: the body has no object at '{parent}' to put it in"
        )),
    }
}

/// The values a step captures: from the answer's JSON body, or `request:/…` from the
/// request body sent. A value that is missing is an error naming the pointer.
pub fn capture(
    wanted: &BTreeMap<String, String>,
    answer: Option<&Value>,
    request: Option<&Value>,
) -> Result<Vec<(String, String)>, String> {
    wanted
        .iter()
        .map(|(name, pointer)| {
            let (source, bare, side) = match pointer.strip_prefix("request:") {
                Some(bare) => (request, bare, "request"),
                None => (answer, pointer.as_str(), "answer"),
            };
            let found = source
                .and_then(|v| v.pointer(bare))
                .ok_or_else(|| format!("capture {name}: the {side} has nothing at {bare}"))?;
            let text = match found {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            Ok((name.clone(), text))
        })
        .collect()
}

// ---------------------------------------------------------------------------------------
// Judging

/// What came back for a step, as the judge needs it.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome<'a> {
    Answer {
        status: u16,
        /// The body, when it is JSON.
        json: Option<&'a Value>,
        ms: u64,
    },
    /// Why nothing came back (no answer in time, nothing listening).
    NoAnswer(&'a str),
}

/// The judge's word on one step.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Judged {
    /// One line: `HTTP 401, responseCode 4012500`.
    pub expected: String,
    pub got: String,
    /// Each way the answer differs, in words; empty when it passed.
    pub problems: Vec<String>,
}

impl Judged {
    pub fn passed(&self) -> bool {
        self.problems.is_empty()
    }
}

/// Judge `outcome` by `expect`; `service_code` fills a pattern's `xx`.
pub fn judge(expect: &Expect, service_code: &str, outcome: &Outcome<'_>) -> Judged {
    let code = expect
        .response_code
        .as_deref()
        .map(|p| expected_code(p, service_code));
    let expected = expected_line(expect, code.as_deref());
    let (status, json, ms) = match outcome {
        Outcome::NoAnswer(why) => {
            return Judged {
                expected,
                got: format!("no answer: {why}"),
                problems: vec![(*why).to_string()],
            };
        }
        Outcome::Answer { status, json, ms } => (*status, *json, *ms),
    };
    let got_code = json
        .and_then(|v| v.get("responseCode"))
        .map(|c| c.as_str().map_or_else(|| c.to_string(), str::to_string));
    let mut problems = Vec::new();
    if let Some(want) = expect.status
        && want != status
    {
        problems.push(format!("expected HTTP {want}, got HTTP {status}"));
    }
    if let Some(want) = &code
        && got_code.as_deref() != Some(want.as_str())
    {
        problems.push(match &got_code {
            Some(got) => format!("expected responseCode {want}, got {got}"),
            None => format!("expected responseCode {want}, the answer has none"),
        });
    }
    for (pointer, want) in &expect.fields {
        if let Some(problem) = field_problem(json, pointer, want) {
            problems.push(problem);
        }
    }
    if let Some(limit) = expect.within_ms
        && ms > limit
    {
        problems.push(format!("answered in {ms} ms, more than {limit} ms"));
    }
    let mut got = format!("HTTP {status}");
    if let Some(c) = &got_code {
        got.push_str(&format!(", responseCode {c}"));
    }
    Judged {
        expected,
        got,
        problems,
    }
}

fn expected_line(expect: &Expect, code: Option<&str>) -> String {
    let mut parts = Vec::new();
    if let Some(status) = expect.status {
        parts.push(format!("HTTP {status}"));
    }
    if let Some(code) = code {
        parts.push(format!("responseCode {code}"));
    }
    for (pointer, want) in &expect.fields {
        parts.push(match presence(want) {
            Some(true) => format!("{pointer} present"),
            Some(false) => format!("{pointer} absent"),
            None => format!("{pointer} = {want}"),
        });
    }
    if let Some(ms) = expect.within_ms {
        parts.push(format!("within {ms} ms"));
    }
    if let Some(n) = &expect.notification {
        parts.push(format!("a notification within {} s", n.within_seconds));
    }
    if parts.is_empty() {
        "any answer".into()
    } else {
        parts.join(", ")
    }
}

/// `{"present": bool}` asks about presence; anything else is a value to equal.
fn presence(want: &Value) -> Option<bool> {
    let map = want.as_object()?;
    match (map.len(), map.get("present")) {
        (1, Some(Value::Bool(b))) => Some(*b),
        _ => None,
    }
}

fn field_problem(json: Option<&Value>, pointer: &str, want: &Value) -> Option<String> {
    let found = json.and_then(|v| v.pointer(pointer));
    match (presence(want), found) {
        (Some(true), None) => Some(format!("{pointer} is missing from the answer")),
        (Some(false), Some(v)) => Some(format!("{pointer} should be absent but is {v}")),
        (Some(_), _) => None,
        (None, Some(v)) if loosely_equal(v, want) => None,
        (None, Some(v)) => Some(format!("{pointer}: expected {want}, got {v}")),
        (None, None) => Some(format!("{pointer}: expected {want}, the answer has none")),
    }
}

/// Equal, or the same number written as a string and a number (`"10000.00"` vs 10000).
fn loosely_equal(got: &Value, want: &Value) -> bool {
    if got == want {
        return true;
    }
    let number = |v: &Value| match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.parse::<f64>().ok(),
        _ => None,
    };
    matches!((number(got), number(want)), (Some(a), Some(b)) if (a - b).abs() < 1e-9)
}

/// A notification's arrival judged: `arrived` is the signature verdict of the first one
/// (`Some(valid)`, `None` when the signature was not checked) or nothing at all.
pub fn judge_notification(
    expect: &NotificationExpect,
    arrived: Option<Option<bool>>,
) -> Option<String> {
    match arrived {
        None => Some(format!(
            "no notification arrived at the inbox within {} s",
            expect.within_seconds
        )),
        Some(Some(false)) if expect.valid_signature => {
            Some("a notification arrived but its signature does not verify".into())
        }
        Some(None) if expect.valid_signature => Some(
            "a notification arrived but its signature could not be checked (no provider key)"
                .into(),
        ),
        Some(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const MINIMAL: &str = r#"{
  "formatVersion": 1,
  "id": "demo",
  "title": "Demo",
  "role": "partner",
  "cases": [
    {"id": "token", "name": "Token", "steps": [
      {"service": "73", "expect": {"status": 200, "responseCode": "2007300"},
       "capture": {"token": "/accessToken"}}
    ]}
  ]
}"#;

    #[test]
    fn a_minimal_suite_reads() {
        let suite = parse_suite("demo.json", MINIMAL).unwrap();
        assert_eq!(suite.role, Role::Partner);
        assert_eq!(suite.cases[0].steps[0].service, "73");
    }

    #[test]
    fn an_unknown_key_names_file_line_column_and_the_known_keys() {
        let text = MINIMAL.replace("\"role\"", "\"rol\"");
        let e = parse_suite("s.json", &text).unwrap_err();
        assert_eq!((e.file.as_str(), e.line), ("s.json", 5), "{e}");
        assert!(e.column > 1);
        assert!(e.message.contains("unknown field `rol`"), "{e}");
        assert!(e.message.contains("`role`"), "{e}");
        assert!(e.to_string().starts_with("s.json:5:"), "{e}");
    }

    #[test]
    fn a_missing_key_lists_the_keys_of_a_suite() {
        let e = parse_suite("s.json", r#"{"formatVersion":1,"id":"x"}"#).unwrap_err();
        assert!(e.message.contains("missing field `title`"), "{e}");
        assert!(e.message.contains("formatVersion, id, title, role"), "{e}");
    }

    #[test]
    fn semantic_errors_point_at_the_text() {
        let text = MINIMAL.replace("\"73\"", "\"no-such-service-zz\"");
        let e = parse_suite("s.json", &text).unwrap_err();
        assert_eq!(e.line, 8, "{e}");
        assert!(e.message.contains("unknown service"), "{e}");
        let text = MINIMAL.replace("2007300", "40x7300");
        let e = parse_suite("s.json", &text).unwrap_err();
        assert!(e.message.contains("7 characters"), "{e}");
        let text = MINIMAL.replace("\"formatVersion\": 1", "\"formatVersion\": 9");
        let e = parse_suite("s.json", &text).unwrap_err();
        assert!(e.message.contains("formatVersion 9"), "{e}");
        assert_eq!(e.line, 2);
    }

    #[test]
    fn every_built_in_suite_reads() {
        let suites = built_in();
        assert_eq!(suites.len(), BUILT_IN.len());
        for suite in suites {
            let suite = suite.unwrap();
            assert!(!suite.cases.is_empty());
        }
        let aspi = built_in_named("aspi-va-payment").unwrap();
        for wanted in [
            "token",
            "token-invalid-signature",
            "token-unknown-client",
            "token-bad-timestamp",
            "payment",
            "payment-invalid-signature",
            "payment-invalid-token",
            "payment-missing-external-id",
            "payment-duplicate-external-id",
        ] {
            assert!(aspi.cases.iter().any(|c| c.id == wanted), "{wanted}");
        }
    }

    #[test]
    fn patterns_fill_the_service_code() {
        assert_eq!(expected_code("401xx00", "25"), "4012500");
        assert_eq!(expected_code("2002500", "73"), "2002500");
        assert!(is_code_pattern("401xx01") && !is_code_pattern("4xx1000"));
    }

    fn answer(status: u16, body: &Value) -> Judged {
        let expect = Expect {
            status: Some(401),
            response_code: Some("401xx00".into()),
            fields: json!({"/responseMessage": {"present": true}})
                .as_object()
                .cloned()
                .unwrap(),
            ..Expect::default()
        };
        judge(
            &expect,
            "25",
            &Outcome::Answer {
                status,
                json: Some(body),
                ms: 3,
            },
        )
    }

    #[test]
    fn judging_says_expected_and_got_in_one_line() {
        let ok = answer(
            401,
            &json!({"responseCode": "4012500", "responseMessage": "x"}),
        );
        assert!(ok.passed(), "{ok:?}");
        assert_eq!(
            ok.expected,
            "HTTP 401, responseCode 4012500, /responseMessage present"
        );
        assert_eq!(ok.got, "HTTP 401, responseCode 4012500");
        let bad = answer(200, &json!({"responseCode": "2002500"}));
        assert_eq!(
            bad.problems,
            vec![
                "expected HTTP 401, got HTTP 200",
                "expected responseCode 4012500, got 2002500",
                "/responseMessage is missing from the answer"
            ]
        );
        let none = judge(
            &Expect::default(),
            "25",
            &Outcome::NoAnswer("no answer within 1 s"),
        );
        assert_eq!(none.problems, vec!["no answer within 1 s"]);
    }

    #[test]
    fn fields_compare_values_and_numbers_loosely() {
        let body = json!({"a": {"value": "10000.00"}, "n": 3});
        assert_eq!(field_problem(Some(&body), "/a/value", &json!(10000)), None);
        assert_eq!(field_problem(Some(&body), "/n", &json!(3)), None);
        assert!(field_problem(Some(&body), "/n", &json!(4)).is_some());
        assert!(field_problem(Some(&body), "/x", &json!({"present": false})).is_none());
    }

    #[test]
    fn set_and_capture_carry_values() {
        let values: BTreeMap<String, String> = [("va".to_string(), "123".to_string())].into();
        let set = json!({"/virtualAccountNo": "${va}", "/new": 1})
            .as_object()
            .cloned()
            .unwrap();
        let body = apply_set(r#"{"virtualAccountNo":"x"}"#, &set, &values).unwrap();
        assert_eq!(body, r#"{"virtualAccountNo":"123","new":1}"#);
        assert!(
            apply_set(
                "{}",
                &json!({"/a/b": 1}).as_object().cloned().unwrap(),
                &values
            )
            .is_err()
        );
        let wanted: BTreeMap<String, String> = [
            ("t".to_string(), "/accessToken".to_string()),
            ("v".to_string(), "request:/virtualAccountNo".to_string()),
        ]
        .into();
        let answer = json!({"accessToken": "abc"});
        let request = json!({"virtualAccountNo": 77});
        let got = capture(&wanted, Some(&answer), Some(&request)).unwrap();
        assert_eq!(
            got,
            vec![("t".into(), "abc".into()), ("v".into(), "77".into())]
        );
        assert!(
            capture(&wanted, None, Some(&request))
                .unwrap_err()
                .contains("/accessToken")
        );
        assert_eq!(substitute("a ${va} ${other}", &values), "a 123 ${other}");
    }

    #[test]
    fn notifications_are_judged() {
        let expect = NotificationExpect {
            within_seconds: 2,
            valid_signature: true,
        };
        assert!(judge_notification(&expect, Some(Some(true))).is_none());
        assert!(
            judge_notification(&expect, None)
                .unwrap()
                .contains("within 2 s")
        );
        assert!(judge_notification(&expect, Some(Some(false))).is_some());
    }
}
