//! Filling a service's body template, the one way the window's composer and the command
//! line (`send` without `--body-file`, `template`) both do it: the profile's partner
//! service ID and client ID, fresh identifiers, today's and tomorrow's Jakarta timestamps,
//! and for the biller API the `sign` md5.
//!
//! [`template_values`] is pure (the instant and the identifier source are given), so it is
//! tested exactly; [`filled_body`] takes them from the clock and the process-wide unique
//! ID source.

use chrono::{DateTime, Duration, Utc};

use super::biller;
use super::catalog::{Service, ServiceAuth};
use super::templates::{self, TemplateValues};
use super::timestamp;

/// A partner service ID that shows it is a stand-in (8 characters, space-padded as SNAP).
pub const PLACEHOLDER_PARTNER_SERVICE_ID: &str = "   12345";

/// What of the profile goes into a template.
#[derive(Clone, Copy, Default)]
pub struct FillProfile<'a> {
    pub partner_service_id: &'a str,
    pub client_id: &'a str,
    /// Used only for the biller API's `sign` (md5 of user, password and trxid).
    pub client_secret: &'a str,
}

impl std::fmt::Debug for FillProfile<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FillProfile")
            .field("partner_service_id", &self.partner_service_id)
            .field("client_id", &self.client_id)
            .field("client_secret", &"(hidden)")
            .finish()
    }
}

/// The placeholder values for `service`, at `now`, with identifiers from `fresh_id(len)`.
pub fn template_values(
    service: &Service,
    profile: FillProfile<'_>,
    now: DateTime<Utc>,
    fresh_id: &mut dyn FnMut(usize) -> String,
) -> TemplateValues {
    let partner_service_id = match profile.partner_service_id {
        "" => PLACEHOLDER_PARTNER_SERVICE_ID.to_string(),
        given => given.to_string(),
    };
    let client_id = profile.client_id.trim().to_string();
    let trx_id = fresh_id(16);
    let biller_sign = if service.auth == ServiceAuth::BillerMd5 {
        biller::sign(&client_id, profile.client_secret, &trx_id)
    } else {
        String::new()
    };
    TemplateValues {
        partner_service_id,
        customer_no: fresh_id(12),
        payment_request_id: format!("PR{}", fresh_id(18)),
        partner_reference_no: format!("REF{}", fresh_id(16)),
        timestamp: timestamp::format_jakarta(now),
        timestamp_plus_day: timestamp::format_jakarta(now + Duration::days(1)),
        merchant_id: client_id.chars().take(10).collect(),
        biller_sign,
        trx_id,
        client_id,
    }
}

/// The placeholder values for `service` now, with fresh identifiers: what one request's
/// body and (for a GET service) path are filled from, so that both carry the same IDs.
pub fn fresh_values(service: &Service, profile: FillProfile<'_>) -> TemplateValues {
    template_values(
        service,
        profile,
        Utc::now(),
        &mut timestamp::new_external_id,
    )
}

/// The service's template filled now with fresh identifiers; `""` for a body-less service,
/// `None` when the service has no template.
pub fn filled_body(service: &Service, profile: FillProfile<'_>) -> Option<String> {
    templates::body_for(&service.id, &fresh_values(service, profile))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::snap::catalog;

    fn counter() -> impl FnMut(usize) -> String {
        let mut n = 0;
        move |len| {
            n += 1;
            format!("{n:0len$}")
        }
    }

    #[test]
    fn values_come_from_the_profile_the_clock_and_the_id_source() {
        let Some(service) = catalog::find("snap-25") else {
            panic!("VA payment is in the catalog")
        };
        let now = DateTime::parse_from_rfc3339("2024-12-01T00:15:00Z")
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_default();
        let profile = FillProfile {
            partner_service_id: "  888999",
            client_id: "a-very-long-client-id",
            client_secret: "s",
        };
        let values = template_values(service, profile, now, &mut counter());
        assert_eq!(values.partner_service_id, "  888999");
        assert_eq!(values.trx_id, "0000000000000001");
        assert_eq!(values.customer_no, "000000000002");
        assert_eq!(values.timestamp, "2024-12-01T07:15:00+07:00");
        assert_eq!(values.timestamp_plus_day, "2024-12-02T07:15:00+07:00");
        assert_eq!(values.merchant_id, "a-very-lon");
        assert_eq!(values.biller_sign, "");
        let blank = template_values(service, FillProfile::default(), now, &mut counter());
        assert_eq!(blank.partner_service_id, PLACEHOLDER_PARTNER_SERVICE_ID);
    }

    #[test]
    fn the_biller_sign_is_the_md5_of_user_password_and_trxid() {
        let biller = catalog::services()
            .iter()
            .find(|s| s.auth == ServiceAuth::BillerMd5);
        let Some(biller) = biller else {
            panic!("the catalog has the biller API")
        };
        let profile = FillProfile {
            partner_service_id: "",
            client_id: "user",
            client_secret: "pass",
        };
        let values = template_values(biller, profile, Utc::now(), &mut counter());
        assert_eq!(
            values.biller_sign,
            biller::sign("user", "pass", &values.trx_id)
        );
        assert!(format!("{profile:?}").contains("(hidden)"));
    }
}
