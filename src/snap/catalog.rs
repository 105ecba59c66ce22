//! The SNAP services: code, name, method and path, loaded from `assets/services/snap.json`.
//!
//! One source of truth (DESIGN.md): the UI, the CLI, the sandbox and the tests all look
//! services up here instead of spelling paths themselves.

use std::sync::OnceLock;

use serde::Deserialize;

/// The API prefix ASPI and NICEPAY put before the catalog's `/v1.0/…` paths; the local
/// sandbox and the inbox serve their SNAP paths under it, and new profiles start with it.
pub const API_PREFIX: &str = "/api";

/// How a service is authenticated, which decides the headers and the signature kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ServiceAuth {
    TokenB2b,
    TokenB2b2c,
    Transaction,
    /// ASPI's helper that signs `clientId|timestamp` with a private key sent in a header.
    UtilitySignatureAuth,
    /// ASPI's helper that computes the symmetric signature with a client secret header.
    UtilitySignatureService,
    /// The non-SNAP biller API: md5 in the body, no signature headers.
    BillerMd5,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Service {
    pub id: String,
    /// The two-digit SNAP service code, when the service has one.
    pub code: Option<String>,
    pub name: String,
    pub group: String,
    pub method: String,
    /// Path after the provider's API prefix, e.g. `/v1.0/transfer-va/payment`.
    pub path: String,
    pub auth: ServiceAuth,
    /// Sent by a provider to the merchant (notify/callback services).
    #[serde(default)]
    pub inbound: bool,
    /// The path is used as is, without the provider's API prefix (the biller API).
    #[serde(default)]
    pub outside_api_prefix: bool,
}

impl Service {
    /// The path as sent, given the provider's API prefix (ASPI and NICEPAY use `/api`).
    pub fn full_path(&self, api_prefix: &str) -> String {
        if self.outside_api_prefix {
            self.path.clone()
        } else {
            format!("{}{}", api_prefix.trim_end_matches('/'), self.path)
        }
    }

    /// "25 VA Payment" or just the name for services without a code.
    pub fn title(&self) -> String {
        match &self.code {
            Some(code) => format!("{code} {}", self.name),
            None => self.name.clone(),
        }
    }
}

#[derive(Deserialize)]
struct CatalogFile {
    services: Vec<Service>,
}

const CATALOG_JSON: &str = include_str!("../../assets/services/snap.json");

/// Every service, in catalog order. The file is compiled in; a malformed file is caught by
/// the tests, and would give an empty catalog rather than a crash.
pub fn services() -> &'static [Service] {
    static SERVICES: OnceLock<Vec<Service>> = OnceLock::new();
    SERVICES.get_or_init(|| {
        serde_json::from_str::<CatalogFile>(CATALOG_JSON)
            .map(|f| f.services)
            .unwrap_or_default()
    })
}

/// The service with this two-digit code ("25", also "025" or "5" → "05").
pub fn by_code(code: &str) -> Option<&'static Service> {
    let code = code.trim();
    let normalised = match code.parse::<u8>() {
        Ok(n) => format!("{n:02}"),
        Err(_) => code.to_string(),
    };
    services()
        .iter()
        .find(|s| s.code.as_deref() == Some(normalised.as_str()))
}

/// Look up by code, id, or name (case-insensitive; a unique name fragment is enough).
pub fn find(query: &str) -> Option<&'static Service> {
    let query = query.trim();
    if let Some(service) = by_code(query) {
        return Some(service);
    }
    let lower = query.to_ascii_lowercase();
    let all = services();
    if let Some(exact) = all
        .iter()
        .find(|s| s.id.eq_ignore_ascii_case(query) || s.name.to_ascii_lowercase() == lower)
    {
        return Some(exact);
    }
    let mut matches = all
        .iter()
        .filter(|s| s.name.to_ascii_lowercase().contains(&lower));
    match (matches.next(), matches.next()) {
        (Some(only), None) => Some(only),
        _ => None,
    }
}

/// The service whose full path (under `api_prefix`) is `path`; used by servers to name
/// the service code of an error.
pub fn by_path(api_prefix: &str, path: &str) -> Option<&'static Service> {
    services().iter().find(|s| s.full_path(api_prefix) == path)
}

/// A service name for a two-digit code, for response-code decoding.
pub fn service_name(code: &str) -> Option<&'static str> {
    by_code(code).map(|s| s.name.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalog_loads_every_snap_code() {
        let all = services();
        for n in 1..=81u8 {
            let code = format!("{n:02}");
            assert!(by_code(&code).is_some(), "service {code} missing");
        }
        assert!(all.len() >= 84);
        let mut ids: Vec<&str> = all.iter().map(|s| s.id.as_str()).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), all.len(), "ids must be unique");
    }

    #[test]
    fn lookups() {
        let payment = by_code("25").map(|s| s.full_path("/api"));
        assert_eq!(payment.as_deref(), Some("/api/v1.0/transfer-va/payment"));
        assert_eq!(by_code("31").map(|s| s.method.as_str()), Some("DELETE"));
        assert_eq!(
            find("access token b2b").and_then(|s| s.code.as_deref()),
            Some("73")
        );
        assert_eq!(
            find("biller-trx").map(|s| s.full_path("/api")).as_deref(),
            Some("/service/in/json")
        );
        assert_eq!(
            by_path("/api", "/api/v1.0/debit/payment-host-to-host").and_then(|s| s.code.as_deref()),
            Some("54")
        );
        assert!(find("Notify").is_none(), "ambiguous fragment");
    }
}
