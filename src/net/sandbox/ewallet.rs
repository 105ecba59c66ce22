//! `POST /api/v1.0/debit/payment-host-to-host` (service 54): NICEPAY's e-wallet direct
//! debit registration, with the document's field table enforced (the rules live in
//! assets/services/rules.json under `snap-54`). A partnerReferenceNo registers once: again
//! is 409xx01 Duplicate (SNAP_NOTES §4).

use axum::http::StatusCode;
use serde_json::{Value, json};

use super::checks;
use super::dispatch::CHECKOUT_PREFIX;
use super::errors::Rejection;
use super::request::Received;
use super::respond::Answer;
use super::state::{Shared, lock};
use crate::snap::catalog::Service;
use crate::snap::response;

pub(crate) async fn register(
    shared: &Shared,
    received: &Received,
    service: &Service,
) -> Result<Answer, Rejection> {
    let sc = checks::service_code(service);
    let body = checks::admit_transaction(shared, received, service).await?;
    let partner_reference = body
        .get("partnerReferenceNo")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let reference_no = shared.new_reference_no();
    {
        let mut registrations = lock(&shared.registrations);
        if let Some(previous) = registrations.get(partner_reference) {
            return Err(Rejection::new(
                409,
                sc,
                "01",
                "Duplicate partnerReferenceNo".to_string(),
            )
            .because(format!(
                "partnerReferenceNo '{partner_reference}' was registered already (referenceNo {previous}); use a new one per transaction"
            )));
        }
        registrations.insert(partner_reference.to_string(), reference_no.clone());
    }
    let code = response::compose(200, sc, "00");
    let answer = json!({
        "responseCode": code,
        "responseMessage": "Successful",
        "partnerReferenceNo": partner_reference,
        "referenceNo": reference_no,
        "webRedirectUrl": format!("{}{CHECKOUT_PREFIX}{reference_no}", shared.base_url),
        "additionalInfo": {
            "mitraCd": body.pointer("/additionalInfo/mitraCd").cloned().unwrap_or(Value::Null),
        },
    });
    Ok(Answer::snap(&code, "Successful", &answer))
}

/// What the webRedirectUrl shows: the sandbox has no wallet to pay with.
pub(crate) fn checkout_page(reference_no: &str) -> Answer {
    let reference: String = reference_no
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .take(40)
        .collect();
    Answer::text(
        StatusCode::OK,
        format!(
            "SNAP Console sandbox checkout\n\nreferenceNo {reference}\n\nThis is where the customer would approve the e-wallet payment. The local sandbox has no wallet: nothing to pay here.\n"
        ),
    )
}
