//! Request templates for the composer: every service's group file in `assets/services/`
//! (see `snap::services`), with `assets/services/templates.json` (bodies filled from the
//! documents' examples) taking precedence where it has one. `${name}` placeholders take the
//! active profile's values and fresh identifiers when a template is loaded. A GET service
//! has no body; its path parameters and query are filled into the path ([`path_for`]).

use std::sync::OnceLock;

use serde_json::{Map, Value};

use super::catalog::Service;
use super::services;

const TEMPLATES_JSON: &str = include_str!("../../assets/services/templates.json");

/// Values for the placeholders. `virtualAccountNo` is always partnerServiceId + customerNo
/// (the SNAP rule), so it is derived, not given.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TemplateValues {
    pub partner_service_id: String,
    pub customer_no: String,
    pub trx_id: String,
    pub payment_request_id: String,
    pub partner_reference_no: String,
    pub timestamp: String,
    pub timestamp_plus_day: String,
    pub client_id: String,
    pub merchant_id: String,
    pub biller_sign: String,
}

impl TemplateValues {
    fn lookup(&self, name: &str) -> Option<String> {
        Some(match name {
            "partnerServiceId" => self.partner_service_id.clone(),
            "customerNo" => self.customer_no.clone(),
            "virtualAccountNo" => format!("{}{}", self.partner_service_id, self.customer_no),
            "trxId" => self.trx_id.clone(),
            "paymentRequestId" => self.payment_request_id.clone(),
            "partnerReferenceNo" => self.partner_reference_no.clone(),
            "timestamp" => self.timestamp.clone(),
            "timestampPlusDay" => self.timestamp_plus_day.clone(),
            "clientId" => self.client_id.clone(),
            "merchantId" => self.merchant_id.clone(),
            "billerSign" => self.biller_sign.clone(),
            // Derived: the date part of the timestamp (yyyy-MM-dd).
            "date" => self.timestamp.chars().take(10).collect(),
            _ => return None,
        })
    }
}

fn templates() -> &'static Map<String, Value> {
    static TEMPLATES: OnceLock<Map<String, Value>> = OnceLock::new();
    TEMPLATES.get_or_init(|| {
        let mut all: Map<String, Value> = services::specs()
            .iter()
            .map(|(id, spec)| (id.clone(), spec.request.clone()))
            .collect();
        // templates.json is authoritative where it has an entry.
        if let Some(documented) = serde_json::from_str::<Value>(TEMPLATES_JSON)
            .ok()
            .and_then(|doc| doc.get("templates").and_then(Value::as_object).cloned())
        {
            all.extend(documented);
        }
        all
    })
}

/// Whether `templates.json` itself parses (the merged templates hide a bad file).
pub fn templates_file_loads() -> bool {
    serde_json::from_str::<Value>(TEMPLATES_JSON)
        .ok()
        .and_then(|doc| doc.get("templates").and_then(Value::as_object).cloned())
        .is_some()
}

/// The unfilled template (placeholders as written), for help texts.
pub fn raw_template(service_id: &str) -> Option<&'static Value> {
    templates().get(service_id)
}

/// The path a service is sent to, with a GET service's path parameters and query filled
/// from its template (`/api/v1.0/registration-card-inquiry/123?…`); other services get
/// their catalog path under `api_prefix`.
pub fn path_for(service: &Service, api_prefix: &str, values: &TemplateValues) -> String {
    fill_path(&service.full_path(api_prefix), &service.id, values)
}

/// `path` (the catalog path as the composer has it, under any prefix) with a GET service's
/// `{parameter}`s and query filled from its template; unchanged for other services and for
/// a path that already has a query.
pub fn fill_path(path: &str, service_id: &str, values: &TemplateValues) -> String {
    let mut path = path.to_string();
    let Some(params) = services::spec(service_id).and_then(|s| s.params.as_ref()) else {
        return path;
    };
    if path.contains('?') {
        return path;
    }
    for (name, value) in &params.path {
        let filled = fill_text(value.as_str().unwrap_or_default(), values);
        let encoded: String = url::form_urlencoded::byte_serialize(filled.as_bytes()).collect();
        path = path.replace(&format!("{{{name}}}"), &encoded);
    }
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    for (name, value) in &params.query {
        query.append_pair(name, &fill_text(value.as_str().unwrap_or_default(), values));
    }
    let query = query.finish();
    if query.is_empty() {
        path
    } else {
        format!("{path}?{query}")
    }
}

/// Whether a catalog service has a template (an explicit `null` means "no body").
pub fn has_template(service_id: &str) -> bool {
    templates().contains_key(service_id)
}

/// The service's body template, filled and pretty-printed; `""` for a body-less service;
/// `None` when there is no template.
pub fn body_for(service_id: &str, values: &TemplateValues) -> Option<String> {
    let template = templates().get(service_id)?;
    if template.is_null() {
        return Some(String::new());
    }
    let filled = fill(template.clone(), values);
    serde_json::to_string_pretty(&filled).ok()
}

fn fill(value: Value, values: &TemplateValues) -> Value {
    match value {
        Value::String(text) => Value::String(fill_text(&text, values)),
        Value::Array(items) => Value::Array(items.into_iter().map(|v| fill(v, values)).collect()),
        Value::Object(map) => {
            Value::Object(map.into_iter().map(|(k, v)| (k, fill(v, values))).collect())
        }
        other => other,
    }
}

/// Replace every `${name}` whose name is known; unknown ones stay visible.
fn fill_text(text: &str, values: &TemplateValues) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        match after.find('}') {
            Some(end) => {
                let name = &after[..end];
                match values.lookup(name) {
                    Some(value) => out.push_str(&value),
                    None => out.push_str(&rest[start..start + 2 + end + 1]),
                }
                rest = &after[end + 1..];
            }
            None => {
                out.push_str(&rest[start..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::snap::catalog;

    #[test]
    fn every_template_names_a_catalog_service_and_is_valid_json() {
        let values = TemplateValues {
            partner_service_id: "   12345".into(),
            customer_no: "123".into(),
            ..TemplateValues::default()
        };
        assert!(templates_file_loads());
        assert!(templates().len() >= 81);
        for id in templates().keys() {
            assert!(catalog::find(id).is_some(), "{id} is not in the catalog");
            let body = body_for(id, &values).unwrap_or_default();
            if !body.is_empty() {
                assert!(serde_json::from_str::<Value>(&body).is_ok(), "{id}");
                assert!(
                    !body.contains("${partnerServiceId}"),
                    "{id} left a placeholder"
                );
            }
        }
    }

    #[test]
    fn virtual_account_number_is_derived_and_order_kept() {
        let values = TemplateValues {
            partner_service_id: "   12345".into(),
            customer_no: "0001".into(),
            ..TemplateValues::default()
        };
        let body = body_for("snap-25", &values).unwrap_or_default();
        assert!(
            body.contains("\"virtualAccountNo\": \"   123450001\""),
            "{body}"
        );
        let first_key = body.lines().nth(1).unwrap_or_default();
        assert!(
            first_key.contains("partnerServiceId"),
            "key order kept: {first_key}"
        );
        assert_eq!(
            body_for("aspi-signature-auth", &values).as_deref(),
            Some("")
        );
        assert_eq!(body_for("snap-99", &values), None);
        assert_eq!(
            fill_text("${nope} ${clientId", &values),
            "${nope} ${clientId"
        );
    }
}
