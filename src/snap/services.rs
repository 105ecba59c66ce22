//! What the console knows about each SNAP service beyond its catalog row: the request
//! template, the field rules, the extra headers, a response template for the sandbox, and
//! where those facts come from (`assets/services/<group>.json`, see its README).
//!
//! The group files are compiled in. `validate` and `templates` build on them (with
//! `rules.json` and `templates.json` layered on top: those hold the richer, document-backed
//! entries and stay authoritative), the sandbox answers from the response templates, and
//! the window can show [`describe`] as hover help. Pure: no I/O, nothing here panics.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::catalog::{self, Service};
use super::templates;
use super::validate::{self, CrossRule, FieldRule, Format, ValueType};

/// One service's facts, as written in its group file.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ServiceSpec {
    /// Documents and SDKs the facts come from (keys resolve in SNAP_NOTES §0).
    #[serde(default)]
    pub sources: Vec<String>,
    /// Where sources disagree: what was chosen and why.
    #[serde(default)]
    pub decisions: Vec<String>,
    /// Headers the sandbox demands beyond the standard set of the service's kind.
    #[serde(default)]
    pub headers: Vec<String>,
    /// Headers worth knowing about that are not demanded (B2B2C, ORIGIN/X-ORIGIN, …).
    #[serde(default)]
    pub header_notes: Vec<String>,
    /// Path parameters and query of a GET service (which then has no body).
    pub params: Option<ParamTemplate>,
    #[serde(default)]
    pub param_fields: Vec<FieldRule>,
    /// The request body template; `null` for a body-less service.
    #[serde(default)]
    pub request: Value,
    #[serde(default)]
    pub fields: Vec<FieldRule>,
    #[serde(default)]
    pub cross: Vec<CrossRule>,
    /// The success body after `responseCode` and `responseMessage` (see [`fill_response`]).
    #[serde(default)]
    pub response: Value,
}

/// The parameters of a GET service, by name, in template form (`${…}` placeholders).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct ParamTemplate {
    #[serde(default)]
    pub path: Map<String, Value>,
    /// Kept in file order: the query is sent in this order.
    #[serde(default)]
    pub query: Map<String, Value>,
}

#[derive(Deserialize)]
struct GroupFile {
    group: String,
    #[serde(default)]
    sources: Vec<String>,
    services: BTreeMap<String, ServiceSpec>,
}

/// The group files, compiled in. Adding one: list it here and in the README.
const GROUP_FILES: [(&str, &str); 10] = [
    (
        "registration.json",
        include_str!("../../assets/services/registration.json"),
    ),
    (
        "information.json",
        include_str!("../../assets/services/information.json"),
    ),
    (
        "transfer-credit.json",
        include_str!("../../assets/services/transfer-credit.json"),
    ),
    (
        "virtual-account.json",
        include_str!("../../assets/services/virtual-account.json"),
    ),
    (
        "emoney.json",
        include_str!("../../assets/services/emoney.json"),
    ),
    (
        "qris-mpm.json",
        include_str!("../../assets/services/qris-mpm.json"),
    ),
    (
        "direct-debit.json",
        include_str!("../../assets/services/direct-debit.json"),
    ),
    (
        "qris-cpm.json",
        include_str!("../../assets/services/qris-cpm.json"),
    ),
    (
        "auth-payment.json",
        include_str!("../../assets/services/auth-payment.json"),
    ),
    (
        "access-token.json",
        include_str!("../../assets/services/access-token.json"),
    ),
];

const GLOSSARY_JSON: &str = include_str!("../../assets/services/glossary.json");

struct Loaded {
    specs: BTreeMap<String, ServiceSpec>,
    group_of: BTreeMap<String, (String, Vec<String>)>,
    problems: Vec<String>,
}

fn loaded() -> &'static Loaded {
    static LOADED: OnceLock<Loaded> = OnceLock::new();
    LOADED.get_or_init(|| {
        let mut out = Loaded {
            specs: BTreeMap::new(),
            group_of: BTreeMap::new(),
            problems: Vec::new(),
        };
        for (name, text) in GROUP_FILES {
            match serde_json::from_str::<GroupFile>(text) {
                Ok(file) => {
                    for (id, spec) in file.services {
                        out.group_of
                            .insert(id.clone(), (file.group.clone(), file.sources.clone()));
                        out.specs.insert(id, spec);
                    }
                }
                // Compiled in: caught by the tests, never a crash.
                Err(e) => out.problems.push(format!("{name}: {e}")),
            }
        }
        out
    })
}

/// A service's facts by catalog id.
pub fn spec(service_id: &str) -> Option<&'static ServiceSpec> {
    loaded().specs.get(service_id)
}

/// Every service that has a group-file entry, by id.
pub fn specs() -> &'static BTreeMap<String, ServiceSpec> {
    &loaded().specs
}

/// The group file's title for a service ("Virtual account (…)").
pub fn group_title(service_id: &str) -> Option<&'static str> {
    loaded().group_of.get(service_id).map(|(g, _)| g.as_str())
}

/// Group files that did not parse (empty when all is well; the tests insist).
pub fn load_problems() -> &'static [String] {
    &loaded().problems
}

/// Where a service's facts come from: its group-file entry, or the source line of its
/// `rules.json` entry for services described only there.
pub fn sources(service_id: &str) -> Vec<String> {
    if let Some(spec) = spec(service_id) {
        return spec.sources.clone();
    }
    validate::rules_for(service_id)
        .map(|r| r.source.clone())
        .filter(|s| !s.is_empty())
        .into_iter()
        .collect()
}

/// Who answers a service when everything runs on this machine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum OfflineAnswerer {
    /// The built-in sandbox (a partner calls the provider).
    Sandbox,
    /// The inbox, answering as a merchant (a provider notifies the merchant).
    Inbox,
}

/// Who answers `service` offline. Every partner-called catalog service is answered by the
/// sandbox (richer families for VA, direct debit, QRIS list, token, biller; the generic
/// rules-and-template answer for the rest), every notification by the inbox.
pub fn offline_answerer(service: &Service) -> Option<OfflineAnswerer> {
    if service.inbound {
        return service.code.as_ref().map(|_| OfflineAnswerer::Inbox);
    }
    Some(OfflineAnswerer::Sandbox)
}

/// For the service picker: whether the service is answered offline at all.
pub fn simulated_offline(service: &Service) -> bool {
    offline_answerer(service).is_some()
}

/// Fresh values a response template takes besides the request's own.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ResponseValues {
    pub reference_no: String,
    pub timestamp: String,
    pub timestamp_plus_day: String,
}

/// The service's success body after `responseCode`/`responseMessage`, filled: a string
/// that is exactly `${request:/json/pointer}` becomes that part of the request (any JSON
/// type; the key is left out when the request has none), `${referenceNo}`, `${timestamp}`,
/// `${timestampPlusDay}` and `${date}` become the fresh values. None without a template.
pub fn fill_response(
    service_id: &str,
    request: &Value,
    values: &ResponseValues,
) -> Option<Map<String, Value>> {
    let template = spec(service_id)?.response.as_object()?;
    Some(fill_object(template, request, values))
}

fn fill_object(
    template: &Map<String, Value>,
    request: &Value,
    values: &ResponseValues,
) -> Map<String, Value> {
    template
        .iter()
        .filter_map(|(k, v)| fill_value(v, request, values).map(|v| (k.clone(), v)))
        .collect()
}

fn fill_value(template: &Value, request: &Value, values: &ResponseValues) -> Option<Value> {
    match template {
        Value::String(text) => {
            if let Some(pointer) = text
                .strip_prefix("${request:")
                .and_then(|rest| rest.strip_suffix('}'))
            {
                return request.pointer(pointer).filter(|v| !v.is_null()).cloned();
            }
            Some(Value::String(fill_response_text(text, values)))
        }
        Value::Array(items) => Some(Value::Array(
            items
                .iter()
                .filter_map(|v| fill_value(v, request, values))
                .collect(),
        )),
        Value::Object(map) => Some(Value::Object(fill_object(map, request, values))),
        other => Some(other.clone()),
    }
}

fn fill_response_text(text: &str, values: &ResponseValues) -> String {
    let date: String = values.timestamp.chars().take(10).collect();
    text.replace("${referenceNo}", &values.reference_no)
        .replace("${timestampPlusDay}", &values.timestamp_plus_day)
        .replace("${timestamp}", &values.timestamp)
        .replace("${date}", &date)
}

/// Hover help for one field of a service's request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FieldHelp {
    /// The rule's path (`billDetails[].billAmount.value`).
    pub path: String,
    pub required: bool,
    /// Mandatory only in some cases (the documents' "C").
    pub conditional: bool,
    /// "string", "whole number", "object", "array", "string or number".
    pub value_type: &'static str,
    /// What the value must look like, in words (None: any text within the length).
    pub format: Option<String>,
    pub max_length: Option<usize>,
    pub description: String,
    /// The value in the service's template, as JSON text.
    pub example: Option<String>,
    /// A path parameter or query parameter rather than a body field.
    pub in_query_or_path: bool,
}

/// Help for the field at `json_pointer` (`/paidAmount/value`, `/billDetails/0/billNo`; for a
/// GET service the parameter name, `/custIdMerchant`) of `service_id`'s request.
pub fn describe(service_id: &str, json_pointer: &str) -> Option<FieldHelp> {
    let rules = validate::rules_for(service_id)?;
    let path = rule_path(json_pointer)?;
    let (rule, in_params) = match rules.fields.iter().find(|r| r.path == path) {
        Some(rule) => (rule, false),
        None => (rules.params.iter().find(|r| r.path == path)?, true),
    };
    Some(FieldHelp {
        path: rule.path.clone(),
        required: rule.required,
        conditional: rule.conditional,
        value_type: type_words(rule.value_type),
        format: rule.format.map(|f| format_words(f, &rule.values)),
        max_length: rule.max_length,
        description: description_of(rule),
        example: example_of(service_id, json_pointer, in_params),
        in_query_or_path: in_params,
    })
}

/// `/billDetails/0/billAmount/value` → `billDetails[].billAmount.value`.
fn rule_path(json_pointer: &str) -> Option<String> {
    let rest = json_pointer.strip_prefix('/')?;
    let mut path = String::new();
    for segment in rest.split('/') {
        let segment = segment.replace("~1", "/").replace("~0", "~");
        if !segment.is_empty() && segment.bytes().all(|b| b.is_ascii_digit()) {
            path.push_str("[]");
            continue;
        }
        if !path.is_empty() {
            path.push('.');
        }
        path.push_str(&segment);
    }
    (!path.is_empty()).then_some(path)
}

fn type_words(value_type: ValueType) -> &'static str {
    match value_type {
        ValueType::String => "string",
        ValueType::Integer => "whole number",
        ValueType::Object => "object",
        ValueType::Array => "array",
        ValueType::Any => "string or number",
    }
}

fn format_words(format: Format, values: &[String]) -> String {
    match format {
        Format::Amount => "amount: digits, a dot, two decimals (10000.00)".to_string(),
        Format::Digits => "digits only".to_string(),
        Format::Enum => format!("one of: {}", values.join(", ")),
        Format::Currency => "ISO 4217 currency code (IDR)".to_string(),
        Format::Datetime => {
            "ISO 8601 date-time with offset (2024-11-29T14:15:00+07:00)".to_string()
        }
        Format::Date => "date yyyy-MM-dd".to_string(),
        Format::Time => "time HH:mm".to_string(),
        Format::Hex => "hexadecimal".to_string(),
        Format::PartnerServiceId => {
            "8 characters: the prefix left-padded with spaces ('   12345')".to_string()
        }
    }
}

fn description_of(rule: &FieldRule) -> String {
    if let Some(text) = rule.description.as_deref().filter(|t| !t.is_empty()) {
        return text.to_string();
    }
    let last = rule
        .path
        .rsplit('.')
        .next()
        .unwrap_or(&rule.path)
        .trim_end_matches("[]");
    glossary()
        .get(last)
        .cloned()
        .unwrap_or_else(|| format!("{last} (no description in the sources)"))
}

fn glossary() -> &'static BTreeMap<String, String> {
    static GLOSSARY: OnceLock<BTreeMap<String, String>> = OnceLock::new();
    GLOSSARY.get_or_init(|| {
        serde_json::from_str::<BTreeMap<String, Value>>(GLOSSARY_JSON)
            .map(|m| {
                m.into_iter()
                    .filter_map(|(k, v)| v.as_str().map(|s| (k, s.to_string())))
                    .collect()
            })
            .unwrap_or_default()
    })
}

fn example_of(service_id: &str, json_pointer: &str, in_params: bool) -> Option<String> {
    if in_params {
        let params = spec(service_id)?.params.as_ref()?;
        let name = json_pointer.trim_start_matches('/');
        return params
            .path
            .get(name)
            .or_else(|| params.query.get(name))
            .map(Value::to_string);
    }
    let template = templates::raw_template(service_id)?;
    template.pointer(json_pointer).map(Value::to_string)
}

/// The catalog services that have a code but no facts anywhere (empty when complete).
pub fn services_without_facts() -> Vec<&'static str> {
    catalog::services()
        .iter()
        .filter(|s| s.code.is_some())
        .filter(|s| spec(&s.id).is_none() && validate::rules_for(&s.id).is_none())
        .map(|s| s.id.as_str())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_group_file_loads_and_names_catalog_services() {
        assert!(load_problems().is_empty(), "{:?}", load_problems());
        assert!(services_without_facts().is_empty());
        for (id, spec) in specs() {
            let service = catalog::find(id);
            assert!(service.is_some(), "{id} is not in the catalog");
            assert!(!spec.sources.is_empty(), "{id} names no source");
            let is_get = service.is_some_and(|s| s.method == "GET");
            assert_eq!(is_get, spec.params.is_some(), "{id}: GET ⇔ params");
        }
    }

    #[test]
    fn responses_echo_the_request_and_take_fresh_values() {
        let values = ResponseValues {
            reference_no: "R1".into(),
            timestamp: "2024-01-02T03:04:05+07:00".into(),
            timestamp_plus_day: "2024-01-03T03:04:05+07:00".into(),
        };
        let request =
            json!({"partnerReferenceNo": "P1", "amount": {"value": "1.00", "currency": "IDR"}});
        let filled = fill_response("snap-17", &request, &values).unwrap_or_default();
        assert_eq!(filled.get("referenceNo"), Some(&json!("R1")));
        assert_eq!(filled.get("partnerReferenceNo"), Some(&json!("P1")));
        assert_eq!(filled.get("amount"), Some(&request["amount"]));
        assert!(!filled.contains_key("sourceAccountNo"), "absent → left out");
        let report = fill_response("snap-35", &json!({}), &values).unwrap_or_default();
        assert_eq!(
            report["virtualAccountdata"][0]["trxDateTime"],
            json!(values.timestamp)
        );
        assert!(fill_response("snap-99", &request, &values).is_none());
    }

    #[test]
    fn describe_gives_type_format_and_example() {
        let help = describe("snap-17", "/amount/value");
        let help = help.as_ref();
        assert_eq!(help.map(|h| h.required), Some(true));
        assert!(
            help.and_then(|h| h.format.clone())
                .is_some_and(|f| f.contains("two decimals"))
        );
        assert_eq!(
            help.and_then(|h| h.example.clone()).as_deref(),
            Some("\"12345678.00\"")
        );
        let bill = describe("snap-28", "/billDetails/0/billAmount/currency");
        assert_eq!(
            bill.map(|h| h.path),
            Some("billDetails[].billAmount.currency".into())
        );
        let param = describe("snap-03", "/custIdMerchant");
        assert!(param.is_some_and(|h| h.in_query_or_path && h.max_length == Some(18)));
        let glossary = describe("snap-17", "/partnerReferenceNo");
        assert!(glossary.is_some_and(|h| !h.description.contains("no description")));
        assert!(describe("snap-17", "/nope").is_none());
        assert!(describe("snap-17", "nope").is_none());
    }

    #[test]
    fn every_template_is_valid_under_its_own_rules() {
        let values = crate::snap::fill::fresh_values(
            &catalog::services()[0],
            crate::snap::fill::FillProfile {
                partner_service_id: "   12345",
                client_id: "IONPAYTEST",
                client_secret: "",
            },
        );
        for service in catalog::services() {
            let Some(body) = templates::body_for(&service.id, &values) else {
                panic!("{} has no template", service.id);
            };
            let value: Value = if body.is_empty() {
                json!({})
            } else {
                serde_json::from_str(&body).unwrap_or(Value::Null)
            };
            if service.id == "biller-trx" {
                continue; // its sign needs the secret
            }
            let problems = validate::validate(&service.id, &value);
            assert!(problems.is_empty(), "{}: {problems:?}", service.id);
            assert!(
                !body.contains("${"),
                "{} left a placeholder: {body}",
                service.id
            );
        }
    }

    #[test]
    fn get_services_fill_their_path_and_query() {
        let values = crate::snap::fill::fresh_values(
            &catalog::services()[0],
            crate::snap::fill::FillProfile {
                partner_service_id: "   12345",
                client_id: "IONPAYTEST",
                client_secret: "",
            },
        );
        let inquiry = catalog::by_code("03").map(|s| templates::path_for(s, "/api", &values));
        let expected = format!("/api/v1.0/registration-card-inquiry/{}", values.customer_no);
        assert_eq!(inquiry, Some(expected));
        let oauth = catalog::by_code("10")
            .map(|s| templates::path_for(s, "/api", &values))
            .unwrap_or_default();
        assert!(
            oauth.starts_with("/api/v1.0/get-auth-code?redirectUrl=https%3A%2F%2F"),
            "{oauth}"
        );
        assert!(oauth.contains(&format!("state={}", values.trx_id)));
        let prefixed = templates::fill_path("/x/api/v1.0/get-auth-code", "snap-10", &values);
        assert!(prefixed.starts_with("/x/api/v1.0/get-auth-code?redirectUrl="));
        let typed = "/api/v1.0/get-auth-code?state=mine";
        assert_eq!(templates::fill_path(typed, "snap-10", &values), typed);
        let body_service = "/api/v1.0/transfer-va/payment";
        assert_eq!(
            templates::fill_path(body_service, "snap-25", &values),
            body_service
        );
        let params = json!({"custIdMerchant": "x".repeat(19)});
        let problems = validate::validate_params("snap-03", &params);
        assert_eq!(problems.len(), 1);
        assert_eq!(
            validate::validate_params("snap-10", &json!({"scopes": "A"}))
                .iter()
                .map(|p| p.field.as_str())
                .collect::<Vec<_>>(),
            vec!["redirectUrl", "state"]
        );
    }

    #[test]
    fn every_rule_of_every_service_has_hover_help() {
        let mut described = 0;
        for service in catalog::services() {
            let Some(rules) = validate::rules_for(&service.id) else {
                continue;
            };
            for rule in rules.fields.iter().chain(&rules.params) {
                let pointer = format!("/{}", rule.path.replace("[]", "/0").replace('.', "/"));
                let help = describe(&service.id, &pointer);
                assert_eq!(
                    help.as_ref().map(|h| h.path.as_str()),
                    Some(rule.path.as_str()),
                    "{} {pointer}",
                    service.id
                );
                assert!(help.is_some_and(|h| !h.description.is_empty()));
                described += 1;
            }
        }
        assert!(described > 900, "{described}");
    }

    #[test]
    fn inbound_services_are_answered_by_the_inbox() {
        for service in catalog::services() {
            let answerer = offline_answerer(service);
            if service.inbound {
                assert_eq!(answerer, Some(OfflineAnswerer::Inbox), "{}", service.id);
            } else {
                assert_eq!(answerer, Some(OfflineAnswerer::Sandbox), "{}", service.id);
            }
        }
    }
}
