//! A request body checked against its service's field rules.
//!
//! The rules are data, keyed by catalog service id (`snap-25`, `biller-trx`, …): every
//! service's group file in `assets/services/` (see `snap::services`), with the entries of
//! `assets/services/rules.json` taking precedence (they are the document-backed ones). The
//! sandbox judges bodies with them and the composer can build forms and hover help from
//! them, so a field's length or format is written down once (DESIGN.md). A GET service has
//! `params` rules for its path parameters and query instead ([`validate_params`]).
//!
//! A rule names a field by a dotted path (`paidAmount.value`); `[]` walks every element of
//! an array (`urlParam[].type`), and problems name the element (`urlParam[1].type`).
//! `required` means "required when its parent object is present": `totalAmount.value` is
//! only demanded when the optional `totalAmount` was sent. An empty string counts as missing,
//! which is how NICEPAY sends the optional VA identity triple of Create VA.
//!
//! Pure code: no I/O, nothing here panics on input.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{services, timestamp};

/// What is wrong with a field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum ProblemKind {
    /// A mandatory field is absent, null or empty.
    Missing,
    /// Longer than the rule's maximum (characters, digits or array entries).
    TooLong,
    /// The wrong type, or a value outside the field's format.
    BadFormat,
    /// Fields that must agree with each other do not.
    Mismatch,
}

impl ProblemKind {
    /// The SNAP case code for it: `02` Invalid Mandatory Field, otherwise `01` Invalid
    /// Field Format (SNAP_NOTES §4).
    pub fn case_code(self) -> &'static str {
        match self {
            ProblemKind::Missing => "02",
            ProblemKind::TooLong | ProblemKind::BadFormat | ProblemKind::Mismatch => "01",
        }
    }
}

/// One problem, with the field's concrete path and a sentence that names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FieldProblem {
    pub field: String,
    pub kind: ProblemKind,
    pub message: String,
}

/// The JSON type a field must have.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ValueType {
    #[default]
    String,
    /// A JSON whole number (0 or more) or a string of digits (`channelCode` is sent both ways).
    Integer,
    Object,
    Array,
    /// A string or a number (ASPI's sample sends `paymentType` as `1`, its echo as `"1"`).
    Any,
}

/// What a text value must look like.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Format {
    /// SNAP money: digits, a dot and exactly two decimals (`10000.00`).
    Amount,
    Digits,
    /// One of the rule's `values`, exactly.
    Enum,
    /// ISO 4217: three upper-case letters.
    Currency,
    /// An ISO 8601 / RFC 3339 date-time with an offset.
    Datetime,
    /// A calendar date, `yyyy-MM-dd`.
    Date,
    /// A time of day, `HH:mm`.
    Time,
    Hex,
    /// Exactly 8 characters: the prefix left-padded with spaces (`"   12345"`).
    PartnerServiceId,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FieldRule {
    pub path: String,
    #[serde(default)]
    pub required: bool,
    #[serde(default, rename = "type")]
    pub value_type: ValueType,
    /// Characters for text, digits for integers.
    pub max_length: Option<usize>,
    pub format: Option<Format>,
    /// The allowed values of an `enum` field.
    #[serde(default)]
    pub values: Vec<String>,
    /// Smallest allowed value of an integer field.
    pub min: Option<u64>,
    pub max_items: Option<usize>,
    /// Mandatory only in some cases (the documents' "C"); not enforced, shown as help.
    #[serde(default)]
    pub conditional: bool,
    /// What the field is, for hover help (a glossary covers the common names).
    #[serde(default)]
    pub description: Option<String>,
}

/// A rule over several fields.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(tag = "rule", rename_all = "kebab-case")]
pub enum CrossRule {
    /// `field` must equal the `parts` joined (virtualAccountNo = partnerServiceId + customerNo).
    ConcatEquals { field: String, parts: Vec<String> },
    /// The date-time `field` must not be later than `other`.
    NotAfter { field: String, other: String },
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ServiceRules {
    /// Where the rules come from, for people.
    #[serde(default)]
    pub source: String,
    /// Mandatory headers beyond the standard set of the service's kind (e.g. `ORIGIN`).
    #[serde(default)]
    pub headers: Vec<String>,
    #[serde(default)]
    pub fields: Vec<FieldRule>,
    #[serde(default)]
    pub cross: Vec<CrossRule>,
    /// Path parameters and query of a GET service, checked by [`validate_params`].
    #[serde(default)]
    pub params: Vec<FieldRule>,
}

#[derive(Deserialize)]
struct RulesFile {
    services: BTreeMap<String, ServiceRules>,
}

const RULES_JSON: &str = include_str!("../../assets/services/rules.json");

fn all_rules() -> &'static BTreeMap<String, ServiceRules> {
    static RULES: OnceLock<BTreeMap<String, ServiceRules>> = OnceLock::new();
    // Compiled in; a malformed file is caught by the tests and gives no rules, not a crash.
    RULES.get_or_init(|| {
        let mut rules: BTreeMap<String, ServiceRules> = services::specs()
            .iter()
            .map(|(id, spec)| {
                let rules = ServiceRules {
                    source: spec.sources.join("; "),
                    headers: spec.headers.clone(),
                    fields: spec.fields.clone(),
                    cross: spec.cross.clone(),
                    params: spec.param_fields.clone(),
                };
                (id.clone(), rules)
            })
            .collect();
        // rules.json is authoritative where it has an entry.
        if let Ok(file) = serde_json::from_str::<RulesFile>(RULES_JSON) {
            rules.extend(file.services);
        }
        rules
    })
}

/// Whether the rules file `rules.json` itself parses (the merged rules hide a bad file).
pub fn rules_file_loads() -> bool {
    serde_json::from_str::<RulesFile>(RULES_JSON).is_ok()
}

/// The rules of a service (catalog id), if it has any.
pub fn rules_for(service_id: &str) -> Option<&'static ServiceRules> {
    all_rules().get(service_id)
}

/// The ids of every service that has rules.
pub fn service_ids() -> impl Iterator<Item = &'static str> {
    all_rules().keys().map(String::as_str)
}

/// Check `body` against the rules of `service_id`, in rule order. A service without rules
/// has no problems; a body that is not a JSON object has exactly one.
pub fn validate(service_id: &str, body: &Value) -> Vec<FieldProblem> {
    let Some(rules) = rules_for(service_id) else {
        return Vec::new();
    };
    if !body.is_object() {
        return vec![FieldProblem {
            field: "body".to_string(),
            kind: ProblemKind::BadFormat,
            message: format!("the body must be a JSON object, not {}", type_name(body)),
        }];
    }
    let mut problems = Vec::new();
    for rule in &rules.fields {
        for (field, value) in locate(body, &rule.path) {
            check_field(rule, &field, value, &mut problems);
        }
    }
    for cross in &rules.cross {
        check_cross(cross, body, &mut problems);
    }
    problems
}

/// Check the path parameters and query of a GET service (`params` names → values, as a
/// JSON object of strings) against its `params` rules.
pub fn validate_params(service_id: &str, params: &Value) -> Vec<FieldProblem> {
    let Some(rules) = rules_for(service_id) else {
        return Vec::new();
    };
    let mut problems = Vec::new();
    for rule in &rules.params {
        for (field, value) in locate(params, &rule.path) {
            check_field(rule, &field, value, &mut problems);
        }
    }
    problems
}

/// Every place `path` points at: (concrete path, the value if present). Branches whose
/// parent is absent or not a container are skipped: the parent's own rule reports it.
fn locate<'v>(root: &'v Value, path: &str) -> Vec<(String, Option<&'v Value>)> {
    let segments: Vec<&str> = path.split('.').collect();
    let mut frontier: Vec<(String, &'v Value)> = vec![(String::new(), root)];
    let mut found = Vec::new();
    for (index, segment) in segments.iter().enumerate() {
        let (key, every_element) = match segment.strip_suffix("[]") {
            Some(key) => (key, true),
            None => (*segment, false),
        };
        let last = index + 1 == segments.len();
        let mut next = Vec::new();
        for (prefix, value) in frontier {
            let Some(object) = value.as_object() else {
                continue;
            };
            let here = join(&prefix, key);
            let child = object.get(key);
            if last {
                found.push((here, child));
                continue;
            }
            match child {
                Some(Value::Array(items)) if every_element => {
                    for (i, item) in items.iter().enumerate() {
                        next.push((format!("{here}[{i}]"), item));
                    }
                }
                Some(child) if !every_element && child.is_object() => next.push((here, child)),
                _ => {}
            }
        }
        frontier = next;
    }
    found
}

fn join(prefix: &str, key: &str) -> String {
    if prefix.is_empty() {
        key.to_string()
    } else {
        format!("{prefix}.{key}")
    }
}

fn problem(field: &str, kind: ProblemKind, message: String) -> FieldProblem {
    FieldProblem {
        field: field.to_string(),
        kind,
        message,
    }
}

fn check_field(rule: &FieldRule, field: &str, value: Option<&Value>, out: &mut Vec<FieldProblem>) {
    let value = match value {
        None | Some(Value::Null) => {
            if rule.required {
                out.push(problem(
                    field,
                    ProblemKind::Missing,
                    format!("{field} is mandatory but missing"),
                ));
            }
            return;
        }
        Some(Value::String(s)) if s.is_empty() => {
            if rule.required {
                out.push(problem(
                    field,
                    ProblemKind::Missing,
                    format!("{field} is mandatory but empty"),
                ));
            }
            return;
        }
        Some(value) => value,
    };
    match rule.value_type {
        ValueType::String => match value.as_str() {
            Some(text) => check_text(rule, field, text, out),
            None => out.push(problem(
                field,
                ProblemKind::BadFormat,
                format!("{field} must be a string, not {}", type_name(value)),
            )),
        },
        ValueType::Any => match value {
            Value::String(text) => check_text(rule, field, text, out),
            Value::Number(number) => check_text(rule, field, &number.to_string(), out),
            other => out.push(problem(
                field,
                ProblemKind::BadFormat,
                format!(
                    "{field} must be a string or a number, not {}",
                    type_name(other)
                ),
            )),
        },
        ValueType::Integer => check_integer(rule, field, value, out),
        ValueType::Object => {
            if !value.is_object() {
                out.push(problem(
                    field,
                    ProblemKind::BadFormat,
                    format!("{field} must be an object {{…}}, not {}", type_name(value)),
                ));
            }
        }
        ValueType::Array => match value.as_array() {
            None => out.push(problem(
                field,
                ProblemKind::BadFormat,
                format!("{field} must be an array […], not {}", type_name(value)),
            )),
            Some(items) if items.is_empty() && rule.required => out.push(problem(
                field,
                ProblemKind::Missing,
                format!("{field} is mandatory but has no entries"),
            )),
            Some(items) => {
                if let Some(max) = rule.max_items
                    && items.len() > max
                {
                    out.push(problem(
                        field,
                        ProblemKind::TooLong,
                        format!(
                            "{field} has {} entries; at most {max} are allowed",
                            items.len()
                        ),
                    ));
                }
            }
        },
    }
}

fn check_integer(rule: &FieldRule, field: &str, value: &Value, out: &mut Vec<FieldProblem>) {
    let digits = match value {
        Value::Number(n) if n.is_u64() => n.to_string(),
        Value::String(s) if s.bytes().all(|b| b.is_ascii_digit()) => s.clone(),
        other => {
            out.push(problem(
                field,
                ProblemKind::BadFormat,
                format!(
                    "{field} must be a whole number (0 or more), not {}",
                    shown_value(other)
                ),
            ));
            return;
        }
    };
    if let Some(max) = rule.max_length
        && digits.len() > max
    {
        out.push(problem(
            field,
            ProblemKind::TooLong,
            format!(
                "{field} has {} digits; at most {max} are allowed",
                digits.len()
            ),
        ));
        return;
    }
    if let Some(min) = rule.min
        && digits.parse::<u64>().is_ok_and(|n| n < min)
    {
        out.push(problem(
            field,
            ProblemKind::BadFormat,
            format!("{field} is {digits}; it must be at least {min}"),
        ));
    }
}

fn check_text(rule: &FieldRule, field: &str, text: &str, out: &mut Vec<FieldProblem>) {
    let length = text.chars().count();
    if let Some(max) = rule.max_length
        && length > max
    {
        out.push(problem(
            field,
            ProblemKind::TooLong,
            format!("{field} is {length} characters long; at most {max} are allowed"),
        ));
        return;
    }
    let Some(format) = rule.format else {
        return;
    };
    if let Some(why) = format_problem(format, &rule.values, text) {
        out.push(problem(
            field,
            ProblemKind::BadFormat,
            format!("{field} {} {why}", shown(text)),
        ));
    }
}

/// Why `text` is not in `format`, or None when it is.
fn format_problem(format: Format, values: &[String], text: &str) -> Option<String> {
    let ok = match format {
        Format::Amount => is_amount(text),
        Format::Digits => text.bytes().all(|b| b.is_ascii_digit()),
        Format::Enum => values.iter().any(|v| v == text),
        Format::Currency => text.len() == 3 && text.bytes().all(|b| b.is_ascii_uppercase()),
        Format::Datetime => timestamp::parse_lenient(text).is_ok(),
        Format::Date => chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d").is_ok(),
        Format::Time => text.len() == 5 && chrono::NaiveTime::parse_from_str(text, "%H:%M").is_ok(),
        Format::Hex => text.bytes().all(|b| b.is_ascii_hexdigit()),
        Format::PartnerServiceId => is_partner_service_id(text),
    };
    if ok {
        return None;
    }
    Some(match format {
        Format::Amount => "must be digits with exactly two decimals, e.g. 10000.00".to_string(),
        Format::Digits => "must contain digits only".to_string(),
        Format::Enum => format!("must be one of: {}", values.join(", ")),
        Format::Currency => "must be a 3-letter ISO 4217 currency code, e.g. IDR".to_string(),
        Format::Datetime => {
            "must be an ISO 8601 date-time, e.g. 2024-11-29T14:15:00+07:00".to_string()
        }
        Format::Date => "must be a date yyyy-MM-dd, e.g. 2024-11-29".to_string(),
        Format::Time => "must be a time HH:mm, e.g. 14:15".to_string(),
        Format::Hex => "must be hexadecimal".to_string(),
        Format::PartnerServiceId => {
            let digits = text.trim_start_matches(' ');
            let example = if !digits.is_empty()
                && digits.len() <= 8
                && digits.bytes().all(|b| b.is_ascii_digit())
            {
                format!("{digits:>8}")
            } else {
                "   12345".to_string()
            };
            format!(
                "is {} characters; it must be exactly 8: the prefix left-padded with spaces, e.g. '{example}'",
                text.chars().count()
            )
        }
    })
}

/// `^\d+\.\d{2}$`
fn is_amount(text: &str) -> bool {
    match text.split_once('.') {
        Some((whole, cents)) => {
            !whole.is_empty()
                && whole.bytes().all(|b| b.is_ascii_digit())
                && cents.len() == 2
                && cents.bytes().all(|b| b.is_ascii_digit())
        }
        None => false,
    }
}

fn is_partner_service_id(text: &str) -> bool {
    let digits = text.trim_start_matches(' ');
    text.len() == 8 && !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())
}

fn check_cross(rule: &CrossRule, body: &Value, out: &mut Vec<FieldProblem>) {
    // A field that already has a problem is not compared: one message per mistake.
    let already_flagged = |name: &str| out.iter().any(|p| p.field == name);
    let text_at = |name: &str| {
        locate(body, name)
            .into_iter()
            .next()
            .and_then(|(_, v)| v)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
    };
    match rule {
        CrossRule::ConcatEquals { field, parts } => {
            if already_flagged(field) || parts.iter().any(|p| already_flagged(p)) {
                return;
            }
            let Some(actual) = text_at(field) else {
                return;
            };
            let mut expected = String::new();
            for part in parts {
                let Some(value) = text_at(part) else {
                    return;
                };
                expected.push_str(value);
            }
            if actual != expected {
                out.push(problem(
                    field,
                    ProblemKind::Mismatch,
                    format!(
                        "{field} {} must equal {} ({})",
                        shown(actual),
                        parts.join(" + "),
                        shown(&expected)
                    ),
                ));
            }
        }
        CrossRule::NotAfter { field, other } => {
            if already_flagged(field) || already_flagged(other) {
                return;
            }
            let (Some(first), Some(second)) = (text_at(field), text_at(other)) else {
                return;
            };
            let (Ok(first_at), Ok(second_at)) = (
                timestamp::parse_lenient(first),
                timestamp::parse_lenient(second),
            ) else {
                return;
            };
            if first_at > second_at {
                out.push(problem(
                    field,
                    ProblemKind::Mismatch,
                    format!(
                        "{field} {} is later than {other} {}",
                        shown(first),
                        shown(second)
                    ),
                ));
            }
        }
    }
}

fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a true/false value",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn shown_value(value: &Value) -> String {
    match value {
        Value::String(s) => shown(s),
        Value::Number(n) => n.to_string(),
        other => type_name(other).to_string(),
    }
}

/// A user value quoted for a message: spaces kept visible, control characters replaced, long
/// values cut.
fn shown(text: &str) -> String {
    const MAX: usize = 40;
    let mut out: String = text
        .chars()
        .take(MAX)
        .map(|c| if c.is_control() { '?' } else { c })
        .collect();
    if text.chars().count() > MAX {
        out.push('…');
    }
    format!("'{out}'")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn kinds(service: &str, body: &Value) -> Vec<(String, ProblemKind)> {
        validate(service, body)
            .into_iter()
            .map(|p| (p.field, p.kind))
            .collect()
    }

    fn va_payment() -> Value {
        // The ASPI sample (shared/spec/aspi-sandbox-snap-bi.txt) with partnerServiceId padded
        // to 8 characters: the transcription collapsed its run of spaces to one.
        json!({
            "partnerServiceId": "  088899",
            "customerNo": "12345678901234567890",
            "virtualAccountNo": "  08889912345678901234567890",
            "virtualAccountName": "Tom",
            "virtualAccountEmail": "tom@tts.com",
            "virtualAccountPhone": "6281828384858",
            "trxId": "abcdefgh1234",
            "paymentRequestId": "abcdef-123456-abcdef",
            "channelCode": 6011,
            "hashedSourceAccountNo": "abcdefghijklmnopqrstuvwxyz123456",
            "sourceBankCode": "008",
            "paidAmount": {"value": "12345678.00", "currency": "IDR"},
            "cumulativePaymentAmount": {"value": "12345678.00", "currency": "IDR"},
            "paidBills": "95000",
            "totalAmount": {"value": "12345678.00", "currency": "IDR"},
            "trxDateTime": "20201231T235959Z",
            "referenceNo": "123456789012345",
            "journalNum": "123456",
            "paymentType": 1,
            "flagAdvise": "Y",
            "subCompany": "12345",
            "billDetails": [{
                "billCode": "01",
                "billNo": "123456789012345678",
                "billName": "Bill A for Jan",
                "billShortName": "Bill A",
                "billDescription": {"english": "Maintenance", "indonesia": "Pemeliharaan"},
                "billSubCompany": "00001",
                "billAmount": {"value": "12345678.00", "currency": "IDR"},
                "additionalInfo": {},
                "billReferenceNo": "123456789012345"
            }],
            "freeTexts": [{"english": "Free text", "indonesia": "Tulisan bebas"}],
            "additionalInfo": {}
        })
    }

    fn ewallet() -> Value {
        json!({
            "partnerReferenceNo": "ORD-20240101-0001",
            "merchantId": "IONPAYTEST",
            "amount": {"value": "10000.00", "currency": "IDR"},
            "urlParam": [
                {"url": "https://merchant.example/return", "type": "PAY_RETURN", "isDeeplink": "Y"},
                {"url": "https://merchant.example/notify", "type": "PAY_NOTIFY", "isDeeplink": "Y"}
            ],
            "validUpTo": "2024-12-01T07:15:00+07:00",
            "additionalInfo": {
                "mitraCd": "DANA",
                "goodsNm": "Goods",
                "billingNm": "Buyer",
                "billingPhone": "08123456789",
                "callBackUrl": "https://merchant.example/cb",
                "dbProcessUrl": "https://merchant.example/db",
                "cartData": "{\"count\":1}"
            }
        })
    }

    #[test]
    fn the_rules_file_loads_and_names_catalog_services() {
        let ids: Vec<&str> = service_ids().collect();
        for id in [
            "snap-12",
            "snap-24",
            "snap-25",
            "snap-26",
            "snap-27",
            "snap-54",
            "snap-73",
            "biller-trx",
        ] {
            assert!(ids.contains(&id), "{id} has no rules");
        }
        for id in ids {
            assert!(
                crate::snap::catalog::find(id).is_some(),
                "{id} is not in the catalog"
            );
        }
        assert_eq!(
            rules_for("snap-12").map(|r| r.headers.clone()),
            Some(vec!["ORIGIN".to_string()])
        );
        assert!(rules_for("snap-99").is_none());
        assert!(validate("snap-99", &json!({})).is_empty());
    }

    #[test]
    fn va_payment_sample_passes_and_each_mistake_is_named() {
        assert_eq!(kinds("snap-25", &va_payment()), vec![]);

        let mut body = va_payment();
        body["paidAmount"]["value"] = json!("12345678");
        body["partnerServiceId"] = json!("123456789");
        body.as_object_mut().map(|o| o.remove("paymentRequestId"));
        body["billDetails"][0]["billAmount"]["currency"] = json!("idr");
        body["channelCode"] = json!("60111");
        let problems = validate("snap-25", &body);
        let found: Vec<(&str, ProblemKind)> = problems
            .iter()
            .map(|p| (p.field.as_str(), p.kind))
            .collect();
        assert_eq!(
            found,
            vec![
                ("partnerServiceId", ProblemKind::TooLong),
                ("paymentRequestId", ProblemKind::Missing),
                ("channelCode", ProblemKind::TooLong),
                ("paidAmount.value", ProblemKind::BadFormat),
                ("billDetails[0].billAmount.currency", ProblemKind::BadFormat),
            ]
        );
        let amount = &problems[3].message;
        assert!(
            amount.contains("paidAmount.value '12345678'") && amount.contains("10000.00"),
            "{amount}"
        );
        assert_eq!(ProblemKind::Missing.case_code(), "02");
        assert_eq!(ProblemKind::TooLong.case_code(), "01");
    }

    #[test]
    fn partner_service_id_is_eight_characters_padded_with_spaces() {
        let mut body = va_payment();
        body["partnerServiceId"] = json!(" 088899");
        body["virtualAccountNo"] = json!(" 08889912345678901234567890");
        let problems = validate("snap-25", &body);
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert_eq!(problems[0].kind, ProblemKind::BadFormat);
        assert!(
            problems[0].message.contains("exactly 8") && problems[0].message.contains("'  088899'")
        );
        body["partnerServiceId"] = json!("12345678");
        body["virtualAccountNo"] = json!("1234567812345678901234567890");
        assert_eq!(kinds("snap-25", &body), vec![]);
        body["partnerServiceId"] = json!("1234 678");
        assert_eq!(
            kinds("snap-25", &body),
            vec![("partnerServiceId".to_string(), ProblemKind::BadFormat)]
        );
    }

    #[test]
    fn virtual_account_no_must_be_the_concatenation() {
        let mut body = va_payment();
        body["virtualAccountNo"] = json!("088899123");
        let problems = validate("snap-25", &body);
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].kind, ProblemKind::Mismatch);
        assert_eq!(problems[0].field, "virtualAccountNo");
        assert!(
            problems[0]
                .message
                .contains("partnerServiceId + customerNo ('  08889912345678901234567890')")
        );
    }

    #[test]
    fn inquiry_status_and_create_va() {
        let inquiry = json!({
            "partnerServiceId": "   12345", "customerNo": "0001", "virtualAccountNo": "   123450001",
            "inquiryRequestId": "req-1", "channelCode": "6011",
            "amount": {"value": "10.00", "currency": "IDR"}
        });
        assert_eq!(kinds("snap-24", &inquiry), vec![]);
        let mut no_id = inquiry.clone();
        no_id["inquiryRequestId"] = json!("");
        no_id["customerNo"] = json!("12ab");
        assert_eq!(
            kinds("snap-24", &no_id),
            vec![
                ("customerNo".to_string(), ProblemKind::BadFormat),
                ("inquiryRequestId".to_string(), ProblemKind::Missing),
            ]
        );
        let mut status = inquiry.clone();
        status["paymentRequestId"] = json!("x".repeat(129));
        assert_eq!(
            kinds("snap-26", &status),
            vec![("paymentRequestId".to_string(), ProblemKind::TooLong)]
        );

        // NICEPAY's create-va sends the identity triple empty: that is allowed.
        let create = json!({
            "partnerServiceId": "", "customerNo": "", "virtualAccountNo": "",
            "virtualAccountName": "Tom", "trxId": "trx-1",
            "totalAmount": {"value": "10000.00", "currency": "IDR"},
            "virtualAccountTrxType": "C", "expiredDate": "2024-12-31T23:59:59+07:00"
        });
        assert_eq!(kinds("snap-27", &create), vec![]);
        let mut bad = create.clone();
        bad["virtualAccountTrxType"] = json!("Z");
        bad["expiredDate"] = json!("tomorrow");
        bad["totalAmount"] = json!({"value": "10000.00"});
        assert_eq!(
            kinds("snap-27", &bad),
            vec![
                ("totalAmount.currency".to_string(), ProblemKind::Missing),
                ("virtualAccountTrxType".to_string(), ProblemKind::BadFormat),
                ("expiredDate".to_string(), ProblemKind::BadFormat),
            ]
        );
    }

    #[test]
    fn nicepay_registration_table_is_enforced() {
        assert_eq!(kinds("snap-54", &ewallet()), vec![]);
        let mut body = ewallet();
        body["merchantId"] = json!("IONPAYTEST1");
        body["urlParam"][1]["type"] = json!("PAY_LATER");
        body["urlParam"][0]["isDeeplink"] = json!("N");
        body["additionalInfo"]
            .as_object_mut()
            .map(|o| o.remove("mitraCd"));
        let problems = validate("snap-54", &body);
        let found: Vec<(&str, ProblemKind)> = problems
            .iter()
            .map(|p| (p.field.as_str(), p.kind))
            .collect();
        assert_eq!(
            found,
            vec![
                ("merchantId", ProblemKind::TooLong),
                ("urlParam[1].type", ProblemKind::BadFormat),
                ("urlParam[0].isDeeplink", ProblemKind::BadFormat),
                ("additionalInfo.mitraCd", ProblemKind::Missing),
            ]
        );
        assert!(problems[1].message.contains("PAY_RETURN, PAY_NOTIFY"));

        let mut single = ewallet();
        single["urlParam"] = json!({"url": "u", "type": "PAY_RETURN", "isDeeplink": "Y"});
        assert_eq!(
            kinds("snap-54", &single),
            vec![("urlParam".to_string(), ProblemKind::BadFormat)]
        );
        single["urlParam"] = json!([]);
        assert_eq!(
            kinds("snap-54", &single),
            vec![("urlParam".to_string(), ProblemKind::Missing)]
        );
        single.as_object_mut().map(|o| o.remove("additionalInfo"));
        single["urlParam"] = json!([{"url": "u", "type": "PAY_RETURN", "isDeeplink": "Y"}]);
        assert_eq!(
            kinds("snap-54", &single),
            vec![("additionalInfo".to_string(), ProblemKind::Missing)]
        );
    }

    #[test]
    fn transaction_history_list_paging_fields() {
        let body = json!({
            "additionalInfo": {"scID": "3001689892262664724480"},
            "fromDateTime": "2023-01-21T16:49:23+07:00",
            "pageNumber": 1, "pageSize": 100,
            "toDateTime": "2023-08-22T16:49:23+07:00"
        });
        assert_eq!(kinds("snap-12", &body), vec![]);
        assert_eq!(
            kinds("snap-12", &json!({"additionalInfo": {"scID": "1"}})),
            vec![]
        );
        let mut bad = body.clone();
        bad["pageSize"] = json!(1000);
        bad["pageNumber"] = json!(-1);
        assert_eq!(
            kinds("snap-12", &bad),
            vec![
                ("pageSize".to_string(), ProblemKind::TooLong),
                ("pageNumber".to_string(), ProblemKind::BadFormat),
            ]
        );
        let mut zero = body.clone();
        zero["pageSize"] = json!("0");
        assert_eq!(
            kinds("snap-12", &zero),
            vec![("pageSize".to_string(), ProblemKind::BadFormat)]
        );
        let mut reversed = body.clone();
        reversed["fromDateTime"] = json!("2024-01-01T00:00:00+07:00");
        assert_eq!(
            kinds("snap-12", &reversed),
            vec![("fromDateTime".to_string(), ProblemKind::Mismatch)]
        );
        assert_eq!(
            kinds("snap-12", &json!({"additionalInfo": {}})),
            vec![("additionalInfo.scID".to_string(), ProblemKind::Missing)]
        );
    }

    #[test]
    fn token_and_biller_bodies() {
        assert_eq!(
            kinds(
                "snap-73",
                &json!({"grantType": "client_credentials", "additionalInfo": {}})
            ),
            vec![]
        );
        assert_eq!(
            kinds("snap-73", &json!({"grantType": "password"})),
            vec![("grantType".to_string(), ProblemKind::BadFormat)]
        );
        assert_eq!(
            kinds("snap-73", &json!({"grantType": 1})),
            vec![("grantType".to_string(), ProblemKind::BadFormat)]
        );
        assert_eq!(
            kinds("snap-73", &json!({})),
            vec![("grantType".to_string(), ProblemKind::Missing)]
        );

        let trx = json!({
            "user": "usertesting", "sign": "b28fd9561aec0162139f9dfb96ff0ae8",
            "trxid": "22110111373985338", "cmd": "trx", "idpel": "0812345678", "produk": "s5"
        });
        assert_eq!(kinds("biller-trx", &trx), vec![]);
        let mut bad = trx.clone();
        bad["sign"] = json!("not-hex");
        bad["cmd"] = json!("TRX");
        bad["idpel"] = json!(null);
        assert_eq!(
            kinds("biller-trx", &bad),
            vec![
                ("sign".to_string(), ProblemKind::BadFormat),
                ("cmd".to_string(), ProblemKind::BadFormat),
                ("idpel".to_string(), ProblemKind::Missing),
            ]
        );
        let not_object = validate("biller-trx", &json!([1, 2]));
        assert_eq!(not_object.len(), 1);
        assert!(not_object[0].message.contains("JSON object"));
    }

    #[test]
    fn messages_quote_values_safely() {
        let mut body = va_payment();
        body["paidAmount"]["value"] = json!(format!("1\n{}", "9".repeat(60)));
        body["paidAmount"]["currency"] = json!(5);
        let problems = validate("snap-25", &body);
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert!(
            problems[0]
                .message
                .contains("paidAmount.value is 62 characters long"),
            "{}",
            problems[0].message
        );
        assert!(
            problems[1]
                .message
                .contains("must be a string, not a number")
        );
        body["paidAmount"]["value"] = json!("1\n0.00");
        let quoted = &validate("snap-25", &body)[0].message;
        assert!(
            quoted.contains("'1?0.00'") && !quoted.contains('\n'),
            "{quoted}"
        );
    }
}
