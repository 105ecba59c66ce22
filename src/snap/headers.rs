//! SNAP header names, and the headers each request carries: one table for the composer that
//! fills them, the sandbox that demands them, the inbox that reads them and the tests.
//!
//! A request's headers are the standard set of its kind ([`HeaderSet`]: token request,
//! symmetric or asymmetric transaction, notification, ASPI utility, biller), in the order a
//! provider checks them (SNAP_NOTES §3, §8), followed by the extras its service's field
//! rules demand (`headers` in `assets/services/rules.json`, e.g. `ORIGIN` for service 12).
//! A service gains a header by data, not by code: [`for_service`] reads the rules.
//!
//! Header names are case-insensitive on the wire; these constants are the spelling we send.
//!
//! Pure: no I/O, nothing here panics.

use super::catalog::{Service, ServiceAuth};
use super::validate;

pub const CONTENT_TYPE: &str = "Content-Type";
pub const X_TIMESTAMP: &str = "X-TIMESTAMP";
pub const X_SIGNATURE: &str = "X-SIGNATURE";
/// The client ID of token requests and notifications.
pub const X_CLIENT_KEY: &str = "X-CLIENT-KEY";
pub const X_PARTNER_ID: &str = "X-PARTNER-ID";
/// Unique per request and day (409xx00 when repeated).
pub const X_EXTERNAL_ID: &str = "X-EXTERNAL-ID";
pub const CHANNEL_ID: &str = "CHANNEL-ID";
/// `Bearer <B2B access token>`.
pub const AUTHORIZATION: &str = "Authorization";
/// `Bearer <B2B2C access token>` (the customer's token).
pub const AUTHORIZATION_CUSTOMER: &str = "Authorization-Customer";
/// The caller's origin domain; mandatory for some services (QRIS transaction list, 12).
pub const ORIGIN: &str = "ORIGIN";
/// How the VA and transfer-status pages of the ASPI portal (and some SDKs) spell ORIGIN.
pub const X_ORIGIN: &str = "X-ORIGIN";
pub const X_IP_ADDRESS: &str = "X-IP-ADDRESS";
pub const X_DEVICE_ID: &str = "X-DEVICE-ID";
pub const X_LATITUDE: &str = "X-LATITUDE";
pub const X_LONGITUDE: &str = "X-LONGITUDE";
/// ASPI's signature-auth utility takes the caller's private key in this header.
pub const PRIVATE_KEY: &str = "Private_Key";
/// The XH server's spelling of [`PRIVATE_KEY`], accepted on receipt.
pub const PRIVATE_KEY_DASHED: &str = "Private-Key";
/// ASPI's signature-service utility takes the client secret in this header.
pub const X_CLIENT_SECRET: &str = "X-CLIENT-SECRET";
pub const HTTP_METHOD: &str = "HttpMethod";
/// Spelled as ASPI spells it (sic).
pub const ENDPOIN_URL: &str = "EndpoinUrl";
/// The correct spelling of [`ENDPOIN_URL`], accepted on receipt.
pub const ENDPOINT_URL: &str = "EndpointUrl";
pub const ACCESS_TOKEN: &str = "AccessToken";

/// The only Content-Type of SNAP bodies.
pub const JSON: &str = "application/json";

/// Every SNAP header name above, for turning a name from data into its constant.
const KNOWN: [&str; 22] = [
    CONTENT_TYPE,
    X_TIMESTAMP,
    X_SIGNATURE,
    X_CLIENT_KEY,
    X_PARTNER_ID,
    X_EXTERNAL_ID,
    CHANNEL_ID,
    AUTHORIZATION,
    AUTHORIZATION_CUSTOMER,
    ORIGIN,
    X_ORIGIN,
    X_IP_ADDRESS,
    X_DEVICE_ID,
    X_LATITUDE,
    X_LONGITUDE,
    PRIVATE_KEY,
    PRIVATE_KEY_DASHED,
    X_CLIENT_SECRET,
    HTTP_METHOD,
    ENDPOIN_URL,
    ENDPOINT_URL,
    ACCESS_TOKEN,
];

/// Headers whose values are secrets (or carry one): never shown in a debug dump, and
/// redacted before history is written. The last two are HTTP's own credential headers.
const SENSITIVE: [&str; 8] = [
    AUTHORIZATION,
    AUTHORIZATION_CUSTOMER,
    PRIVATE_KEY,
    PRIVATE_KEY_DASHED,
    X_CLIENT_SECRET,
    ACCESS_TOKEN,
    "Proxy-Authorization",
    "Cookie",
];

/// Whether a header's value is a secret (case-insensitive, surrounding spaces ignored).
pub fn is_sensitive(name: &str) -> bool {
    SENSITIVE
        .iter()
        .any(|s| s.eq_ignore_ascii_case(name.trim()))
}

/// The constant for a header name spelled in any case; `None` for a name not in the table.
pub fn known(name: &str) -> Option<&'static str> {
    KNOWN
        .iter()
        .find(|k| k.eq_ignore_ascii_case(name.trim()))
        .copied()
}

/// How much a header is needed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need {
    /// Required: a missing one is `400xx02 Invalid Mandatory Field {name}`.
    Mandatory,
    /// The bearer token: required, but a missing one is an invalid token (`401xx01`), not
    /// a missing field, so it is checked with the token.
    BearerToken,
    /// Sent when there is a value for it; never demanded.
    Optional,
}

/// One header of a set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HeaderSpec {
    pub name: &'static str,
    pub need: Need,
}

const fn mandatory(name: &'static str) -> HeaderSpec {
    HeaderSpec {
        name,
        need: Need::Mandatory,
    }
}

const fn bearer(name: &'static str) -> HeaderSpec {
    HeaderSpec {
        name,
        need: Need::BearerToken,
    }
}

const fn optional(name: &'static str) -> HeaderSpec {
    HeaderSpec {
        name,
        need: Need::Optional,
    }
}

/// The standard header sets, by how a request is authenticated (SNAP_NOTES §3, §8).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeaderSet {
    /// Access Token B2B / B2B2C (73, 74): SHA256withRSA over `clientId|timestamp`.
    TokenRequest,
    /// A B2B transaction signed with HMAC-SHA512: the Bearer token is part of the signature.
    SymmetricTransaction,
    /// A B2B transaction signed with SHA256withRSA: the token is optional (some providers
    /// still want it), the signature does not cover it.
    AsymmetricTransaction,
    /// A B2B2C transaction: also the customer's token and the device.
    B2b2cTransaction,
    /// A notification from the provider to the merchant (NICEPAY's rule:
    /// SHA256withRSA over `X-CLIENT-KEY|X-TIMESTAMP`).
    Notification,
    /// ASPI's signature-auth utility.
    UtilitySignatureAuth,
    /// ASPI's signature-service utility.
    UtilitySignatureService,
    /// The biller API signs inside the body (md5 `sign`): no signature headers.
    Biller,
}

const TOKEN_REQUEST: [HeaderSpec; 4] = [
    mandatory(CONTENT_TYPE),
    mandatory(X_TIMESTAMP),
    mandatory(X_CLIENT_KEY),
    mandatory(X_SIGNATURE),
];
const SYMMETRIC_TRANSACTION: [HeaderSpec; 8] = [
    mandatory(CONTENT_TYPE),
    bearer(AUTHORIZATION),
    mandatory(X_TIMESTAMP),
    mandatory(X_SIGNATURE),
    mandatory(X_PARTNER_ID),
    mandatory(X_EXTERNAL_ID),
    mandatory(CHANNEL_ID),
    optional(ORIGIN),
];
const ASYMMETRIC_TRANSACTION: [HeaderSpec; 8] = [
    mandatory(CONTENT_TYPE),
    optional(AUTHORIZATION),
    mandatory(X_TIMESTAMP),
    mandatory(X_SIGNATURE),
    mandatory(X_PARTNER_ID),
    mandatory(X_EXTERNAL_ID),
    mandatory(CHANNEL_ID),
    optional(ORIGIN),
];
const B2B2C_TRANSACTION: [HeaderSpec; 13] = [
    mandatory(CONTENT_TYPE),
    bearer(AUTHORIZATION),
    mandatory(AUTHORIZATION_CUSTOMER),
    mandatory(X_TIMESTAMP),
    mandatory(X_SIGNATURE),
    mandatory(X_PARTNER_ID),
    mandatory(X_EXTERNAL_ID),
    mandatory(CHANNEL_ID),
    mandatory(X_DEVICE_ID),
    optional(ORIGIN),
    optional(X_IP_ADDRESS),
    optional(X_LATITUDE),
    optional(X_LONGITUDE),
];
const NOTIFICATION: [HeaderSpec; 4] = TOKEN_REQUEST;
const UTILITY_SIGNATURE_AUTH: [HeaderSpec; 4] = [
    mandatory(CONTENT_TYPE),
    mandatory(X_TIMESTAMP),
    mandatory(X_CLIENT_KEY),
    mandatory(PRIVATE_KEY),
];
const UTILITY_SIGNATURE_SERVICE: [HeaderSpec; 6] = [
    mandatory(CONTENT_TYPE),
    mandatory(X_TIMESTAMP),
    mandatory(X_CLIENT_SECRET),
    mandatory(HTTP_METHOD),
    mandatory(ENDPOIN_URL),
    mandatory(ACCESS_TOKEN),
];
const BILLER: [HeaderSpec; 1] = [mandatory(CONTENT_TYPE)];

impl HeaderSet {
    /// The set of a catalog service. `symmetric` is the profile's (or the counterparty's)
    /// signature mode for transactions; it changes nothing for other kinds.
    pub fn of(auth: ServiceAuth, symmetric: bool) -> HeaderSet {
        match auth {
            ServiceAuth::TokenB2b | ServiceAuth::TokenB2b2c => HeaderSet::TokenRequest,
            ServiceAuth::Transaction if symmetric => HeaderSet::SymmetricTransaction,
            ServiceAuth::Transaction => HeaderSet::AsymmetricTransaction,
            ServiceAuth::UtilitySignatureAuth => HeaderSet::UtilitySignatureAuth,
            ServiceAuth::UtilitySignatureService => HeaderSet::UtilitySignatureService,
            ServiceAuth::BillerMd5 => HeaderSet::Biller,
        }
    }

    /// The headers of the set, in the order they are sent and a missing one is reported.
    pub fn specs(self) -> &'static [HeaderSpec] {
        match self {
            HeaderSet::TokenRequest => &TOKEN_REQUEST,
            HeaderSet::SymmetricTransaction => &SYMMETRIC_TRANSACTION,
            HeaderSet::AsymmetricTransaction => &ASYMMETRIC_TRANSACTION,
            HeaderSet::B2b2cTransaction => &B2B2C_TRANSACTION,
            HeaderSet::Notification => &NOTIFICATION,
            HeaderSet::UtilitySignatureAuth => &UTILITY_SIGNATURE_AUTH,
            HeaderSet::UtilitySignatureService => &UTILITY_SIGNATURE_SERVICE,
            HeaderSet::Biller => &BILLER,
        }
    }
}

/// The headers of a request for `service`: the standard `set`, then the extras its field
/// rules demand (mandatory; one the set already lists becomes mandatory in place).
pub fn for_service(service: &Service, set: HeaderSet) -> Vec<HeaderSpec> {
    let mut specs = set.specs().to_vec();
    let extras = validate::rules_for(&service.id)
        .map(|rules| rules.headers.as_slice())
        .unwrap_or_default();
    for extra in extras {
        let name = extra.trim();
        if name.is_empty() {
            continue;
        }
        match specs.iter_mut().find(|s| s.name.eq_ignore_ascii_case(name)) {
            Some(spec) => {
                if spec.need == Need::Optional {
                    spec.need = Need::Mandatory;
                }
            }
            None => specs.push(mandatory(known(name).unwrap_or(extra.as_str()))),
        }
    }
    specs
}

/// The headers a sender fills in: everything the request needs (mandatory and the bearer
/// token), in order. Optional ones are left to the sender's judgement.
pub fn required(specs: &[HeaderSpec]) -> impl Iterator<Item = &'static str> + '_ {
    specs
        .iter()
        .filter(|s| s.need != Need::Optional)
        .map(|s| s.name)
}

/// The headers whose absence is `400xx02 Invalid Mandatory Field`, in the order checked.
pub fn mandatory_names(specs: &[HeaderSpec]) -> impl Iterator<Item = &'static str> + '_ {
    specs
        .iter()
        .filter(|s| s.need == Need::Mandatory)
        .map(|s| s.name)
}

/// The `Authorization` value for a bare access token.
pub fn bearer_value(token: &str) -> String {
    format!("Bearer {token}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::snap::catalog;

    fn names(specs: &[HeaderSpec]) -> Vec<&'static str> {
        required(specs).collect()
    }

    #[test]
    fn transactions_carry_the_standard_set_in_order() {
        let set = HeaderSet::of(ServiceAuth::Transaction, true);
        assert_eq!(set, HeaderSet::SymmetricTransaction);
        assert_eq!(
            names(set.specs()),
            [
                CONTENT_TYPE,
                AUTHORIZATION,
                X_TIMESTAMP,
                X_SIGNATURE,
                X_PARTNER_ID,
                X_EXTERNAL_ID,
                CHANNEL_ID
            ]
        );
        let asymmetric = HeaderSet::of(ServiceAuth::Transaction, false);
        assert!(!names(asymmetric.specs()).contains(&AUTHORIZATION));
        assert_eq!(
            mandatory_names(set.specs()).collect::<Vec<_>>(),
            mandatory_names(asymmetric.specs()).collect::<Vec<_>>()
        );
    }

    #[test]
    fn service_12_needs_origin_from_its_rules_and_others_do_not() {
        let qris = catalog::by_code("12");
        let va = catalog::by_code("25");
        assert!(qris.is_some() && va.is_some());
        if let (Some(qris), Some(va)) = (qris, va) {
            for symmetric in [true, false] {
                let set = HeaderSet::of(qris.auth, symmetric);
                let specs = for_service(qris, set);
                assert!(mandatory_names(&specs).any(|n| n == ORIGIN), "{specs:?}");
                // Made mandatory in place, not listed twice.
                assert_eq!(specs.iter().filter(|s| s.name == ORIGIN).count(), 1);
                let specs = for_service(va, HeaderSet::of(va.auth, symmetric));
                assert!(!required(&specs).any(|n| n == ORIGIN));
            }
        }
    }

    #[test]
    fn every_kind_of_catalog_service_has_a_set_with_content_type_first() {
        for service in catalog::services() {
            for symmetric in [true, false] {
                let specs = for_service(service, HeaderSet::of(service.auth, symmetric));
                assert_eq!(specs.first().map(|s| s.name), Some(CONTENT_TYPE));
                let mut seen: Vec<String> =
                    specs.iter().map(|s| s.name.to_ascii_lowercase()).collect();
                seen.sort();
                seen.dedup();
                assert_eq!(seen.len(), specs.len(), "{}: {specs:?}", service.id);
            }
        }
        assert_eq!(
            names(HeaderSet::Notification.specs()),
            [CONTENT_TYPE, X_TIMESTAMP, X_CLIENT_KEY, X_SIGNATURE]
        );
    }

    #[test]
    fn names_are_matched_in_any_case() {
        assert_eq!(known("origin"), Some(ORIGIN));
        assert_eq!(known(" x-timestamp "), Some(X_TIMESTAMP));
        assert_eq!(known("X-Trace"), None);
        for name in [
            "authorization",
            "PRIVATE_KEY",
            "private-key",
            "accesstoken",
            "cookie",
        ] {
            assert!(is_sensitive(name), "{name}");
        }
        assert!(!is_sensitive(X_TIMESTAMP));
    }
}
