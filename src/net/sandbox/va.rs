//! The VA family (services 24–27): inquiry, payment, create and status, answered like the
//! ASPI sandbox's examples (`virtualAccountData` echoing the request). Bodies have passed
//! every check in `checks` before they get here.
//!
//! The sandbox is open: any well-formed VA can be inquired and paid. A VA made with Create
//! VA is remembered, and if it is closed (`virtualAccountTrxType` C, the default) with a
//! `totalAmount`, it must be paid exactly. A `paymentRequestId` is paid once: the same
//! request again gets the same answer (and no second notification), a different VA or
//! amount under it gets 404xx18 Inconsistent Request (SNAP_NOTES §4).

use std::time::Duration;

use chrono::{Days, Utc};
use serde_json::{Map, Value, json};

use super::VA_NOTIFICATION_PATH;
use super::checks;
use super::errors::Rejection;
use super::notify::{DeliveryKind, Outbound, merchant_url};
use super::request::Received;
use super::respond::Answer;
use super::state::{Shared, lock};
use crate::snap::catalog::Service;
use crate::snap::{response, timestamp};

/// The prefix given to VAs created without one: 8 characters, left-padded with spaces.
pub(crate) const SANDBOX_PARTNER_SERVICE_ID: &str = "   77777";

/// A VA made with Create VA.
#[derive(Debug, Clone)]
pub(crate) struct VaRecord {
    pub name: String,
    pub total_amount: Option<Value>,
    pub trx_type: String,
    pub trx_id: String,
    pub goods_name: Option<String>,
}

/// A paid VA payment.
#[derive(Debug, Clone)]
pub(crate) struct PaymentRecord {
    pub virtual_account_no: String,
    pub paid_amount: Value,
    /// The `virtualAccountData` answered, replayed for the same request.
    pub answered: Value,
    pub reference_no: String,
    pub paid_at: String,
}

/// Fields of a payment request that the answer echoes (the ASPI example's selection).
const PAYMENT_ECHO: [&str; 17] = [
    "partnerServiceId",
    "customerNo",
    "virtualAccountNo",
    "virtualAccountName",
    "virtualAccountEmail",
    "virtualAccountPhone",
    "trxId",
    "paymentRequestId",
    "paidAmount",
    "paidBills",
    "totalAmount",
    "trxDateTime",
    "referenceNo",
    "journalNum",
    "paymentType",
    "flagAdvise",
    "freeTexts",
];

fn success_reason() -> Value {
    json!({"english": "Success", "indonesia": "Sukses"})
}

fn text<'v>(body: &'v Value, key: &str) -> &'v str {
    body.get(key).and_then(Value::as_str).unwrap_or_default()
}

fn successful(service: &Service, data: Value) -> Answer {
    let code = response::compose(200, checks::service_code(service), "00");
    let body = json!({
        "responseCode": code,
        "responseMessage": "Successful",
        "virtualAccountData": data,
        "additionalInfo": {},
    });
    Answer::snap(&code, "Successful", &body)
}

/// `POST /api/v1.0/transfer-va/inquiry` (24).
pub(crate) async fn inquiry(
    shared: &Shared,
    received: &Received,
    service: &Service,
) -> Result<Answer, Rejection> {
    let body = checks::admit_transaction(shared, received, service).await?;
    let known = lock(&shared.virtual_accounts)
        .get(text(&body, "virtualAccountNo"))
        .cloned();
    let name = known.as_ref().map_or_else(
        || format!("Sandbox Customer {}", text(&body, "customerNo")),
        |va| va.name.clone(),
    );
    let total = known
        .as_ref()
        .and_then(|va| va.total_amount.clone())
        .or_else(|| body.get("amount").filter(|a| a.is_object()).cloned())
        .unwrap_or_else(|| json!({"value": "10000.00", "currency": "IDR"}));
    let trx_type = known.map_or_else(|| "C".to_string(), |va| va.trx_type);
    let data = json!({
        "inquiryStatus": "00",
        "inquiryReason": success_reason(),
        "partnerServiceId": text(&body, "partnerServiceId"),
        "customerNo": text(&body, "customerNo"),
        "virtualAccountNo": text(&body, "virtualAccountNo"),
        "virtualAccountName": name,
        "inquiryRequestId": text(&body, "inquiryRequestId"),
        "totalAmount": total,
        "virtualAccountTrxType": trx_type,
        "billDetails": [],
        "freeTexts": [],
    });
    Ok(successful(service, data))
}

/// `POST /api/v1.0/transfer-va/payment` (25).
pub(crate) async fn payment(
    shared: &Shared,
    received: &Received,
    service: &Service,
) -> Result<Answer, Rejection> {
    let sc = checks::service_code(service);
    let body = checks::admit_transaction(shared, received, service).await?;
    let va_no = text(&body, "virtualAccountNo");
    let request_id = text(&body, "paymentRequestId");
    let paid = body.get("paidAmount").cloned().unwrap_or(Value::Null);
    let known = lock(&shared.virtual_accounts).get(va_no).cloned();
    if let Some(va) = &known {
        check_closed_amount(va, va_no, &paid, sc)?;
    }
    let record = PaymentRecord {
        virtual_account_no: va_no.to_string(),
        paid_amount: paid,
        answered: payment_data(&body),
        reference_no: shared.new_reference_no(),
        paid_at: timestamp::now_jakarta(),
    };
    let (answered, first_time) = remember(shared, request_id, record, sc)?;
    if first_time {
        notify_merchant(shared, &body, known.as_ref());
    }
    Ok(successful(service, answered))
}

fn check_closed_amount(
    va: &VaRecord,
    va_no: &str,
    paid: &Value,
    sc: &str,
) -> Result<(), Rejection> {
    let Some(expected) = &va.total_amount else {
        return Ok(());
    };
    if va.trx_type != "C" || expected.get("value") == paid.get("value") {
        return Ok(());
    }
    Err(
        Rejection::new(404, sc, "13", "Invalid Amount".to_string()).because(format!(
            "VA '{va_no}' is closed and was created for {} {}; paidAmount is {}",
            text(expected, "currency"),
            text(expected, "value"),
            text(paid, "value")
        )),
    )
}

/// Remember a payment under its paymentRequestId: (what to answer, whether it is new).
fn remember(
    shared: &Shared,
    request_id: &str,
    record: PaymentRecord,
    sc: &str,
) -> Result<(Value, bool), Rejection> {
    let mut payments = lock(&shared.payments);
    if let Some(previous) = payments.get(request_id) {
        if previous.virtual_account_no == record.virtual_account_no
            && previous.paid_amount == record.paid_amount
        {
            return Ok((previous.answered.clone(), false));
        }
        return Err(Rejection::new(404, sc, "18", "Inconsistent Request".to_string())
            .because(format!(
                "paymentRequestId '{request_id}' was already paid into VA '{}' for {}; this request differs",
                previous.virtual_account_no,
                text(&previous.paid_amount, "value")
            )));
    }
    let answered = record.answered.clone();
    let va_no = record.virtual_account_no.clone();
    payments.insert(request_id.to_string(), record);
    drop(payments);
    lock(&shared.last_payment_by_va).insert(va_no, request_id.to_string());
    Ok((answered, true))
}

/// The `virtualAccountData` of a payment: the request's fields as the ASPI example echoes
/// them, plus the payment flag.
fn payment_data(body: &Value) -> Value {
    let mut data = Map::new();
    data.insert("paymentFlagReason".into(), success_reason());
    for key in PAYMENT_ECHO {
        if let Some(value) = body.get(key) {
            // The example echoes a numeric paymentType as a string.
            let value = match value {
                Value::Number(n) if key == "paymentType" => Value::String(n.to_string()),
                other => other.clone(),
            };
            data.insert(key.to_string(), value);
        }
    }
    data.insert("paymentFlagStatus".into(), json!("00"));
    let bills: Vec<Value> = body
        .get("billDetails")
        .and_then(Value::as_array)
        .map(|bills| {
            bills
                .iter()
                .enumerate()
                .map(|(i, bill)| {
                    let mut bill = bill.as_object().cloned().unwrap_or_default();
                    bill.insert(
                        "billerReferenceId".into(),
                        json!(format!("{:010}", 4_146_037_406u64 + i as u64)),
                    );
                    bill.insert("status".into(), json!("00"));
                    bill.insert("reason".into(), success_reason());
                    Value::Object(bill)
                })
                .collect()
        })
        .unwrap_or_default();
    data.insert("billDetails".into(), Value::Array(bills));
    Value::Object(data)
}

/// Queue the VA payment notification (nicepay-va-payment-notification.txt) when a notify
/// URL is set.
fn notify_merchant(shared: &Shared, body: &Value, va: Option<&VaRecord>) {
    let Some(base) = &shared.notify_base else {
        return;
    };
    let now = Utc::now().with_timezone(&timestamp::jakarta());
    let valid_until = now.checked_add_days(Days::new(1)).unwrap_or(now);
    let name = match text(body, "virtualAccountName") {
        "" => va.map(|va| va.name.as_str()).unwrap_or_default(),
        name => name,
    };
    let trx_id = match text(body, "trxId") {
        "" => va.map(|va| va.trx_id.as_str()).unwrap_or_default(),
        id => id,
    };
    let trx_date_time = match text(body, "trxDateTime") {
        "" => timestamp::now_jakarta(),
        sent => sent.to_string(),
    };
    let goods = va
        .and_then(|va| va.goods_name.clone())
        .unwrap_or_else(|| "Sandbox payment".to_string());
    let notification = json!({
        "partnerServiceId": text(body, "partnerServiceId"),
        "customerNo": text(body, "customerNo"),
        "virtualAccountNo": text(body, "virtualAccountNo"),
        "virtualAccountName": name,
        "trxId": trx_id,
        "paymentRequestId": text(body, "paymentRequestId"),
        "paidAmount": body.get("paidAmount").cloned().unwrap_or(Value::Null),
        "trxDateTime": trx_date_time,
        "additionalInfo": {
            "bankCd": "BMRI",
            "goodsNm": goods,
            "vacctValidDt": valid_until.format("%Y%m%d").to_string(),
            "vacctValidTm": "235959",
        },
    });
    let outbound = Outbound::SignedNotification {
        url: merchant_url(base, VA_NOTIFICATION_PATH),
        body: serde_json::to_vec(&notification).unwrap_or_default(),
    };
    shared.notifier.enqueue(
        DeliveryKind::VaPaymentNotification,
        outbound,
        Duration::ZERO,
    );
}

/// `POST /api/v1.0/transfer-va/create-va` (27).
pub(crate) async fn create(
    shared: &Shared,
    received: &Received,
    service: &Service,
) -> Result<Answer, Rejection> {
    let body = checks::admit_transaction(shared, received, service).await?;
    let mut data = body.as_object().cloned().unwrap_or_default();
    let reference_no = shared.new_reference_no();
    if text(&body, "virtualAccountNo").is_empty() {
        // NICEPAY-style: the provider numbers the VA. The customer number is the tail of
        // the (unique) reference number.
        let customer_no = reference_no[reference_no.len().saturating_sub(10)..].to_string();
        let va_no = format!("{SANDBOX_PARTNER_SERVICE_ID}{customer_no}");
        data.insert("partnerServiceId".into(), json!(SANDBOX_PARTNER_SERVICE_ID));
        data.insert("customerNo".into(), json!(customer_no));
        data.insert("virtualAccountNo".into(), json!(va_no));
    }
    let mut info = data
        .get("additionalInfo")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    info.insert("tXidVA".into(), json!(reference_no));
    data.insert("additionalInfo".into(), Value::Object(info));
    let data = Value::Object(data);
    let record = VaRecord {
        name: text(&data, "virtualAccountName").to_string(),
        total_amount: data.get("totalAmount").filter(|a| a.is_object()).cloned(),
        trx_type: match text(&data, "virtualAccountTrxType") {
            "" => "C".to_string(),
            kind => kind.to_string(),
        },
        trx_id: text(&data, "trxId").to_string(),
        goods_name: data
            .pointer("/additionalInfo/goodsNm")
            .and_then(Value::as_str)
            .map(str::to_string),
    };
    lock(&shared.virtual_accounts).insert(text(&data, "virtualAccountNo").to_string(), record);
    Ok(successful(service, data))
}

/// `POST /api/v1.0/transfer-va/status` (26): the payment by paymentRequestId, or the latest
/// into the VA when none is given.
pub(crate) async fn status(
    shared: &Shared,
    received: &Received,
    service: &Service,
) -> Result<Answer, Rejection> {
    let sc = checks::service_code(service);
    let body = checks::admit_transaction(shared, received, service).await?;
    let va_no = text(&body, "virtualAccountNo");
    let request_id = match text(&body, "paymentRequestId") {
        "" => lock(&shared.last_payment_by_va).get(va_no).cloned(),
        id => Some(id.to_string()),
    };
    let record = request_id.as_deref().and_then(|id| {
        lock(&shared.payments)
            .get(id)
            .filter(|p| p.virtual_account_no == va_no)
            .cloned()
    });
    let Some(record) = record else {
        return Err(
            Rejection::new(404, sc, "01", "Transaction Not Found".to_string()).because(format!(
                "no payment {}into VA '{va_no}' is known to the sandbox",
                request_id.map(|id| format!("'{id}' ")).unwrap_or_default()
            )),
        );
    };
    let answered = &record.answered;
    let data = json!({
        "paymentFlagReason": success_reason(),
        "partnerServiceId": text(&body, "partnerServiceId"),
        "customerNo": text(&body, "customerNo"),
        "virtualAccountNo": va_no,
        "inquiryRequestId": text(&body, "inquiryRequestId"),
        "paymentRequestId": text(answered, "paymentRequestId"),
        "paidAmount": record.paid_amount,
        "totalAmount": answered.get("totalAmount").cloned().unwrap_or_else(|| record.paid_amount.clone()),
        "transactionDate": record.paid_at,
        "referenceNo": record.reference_no,
        "paymentFlagStatus": "00",
        "billDetails": [],
        "freeTexts": [],
    });
    Ok(successful(service, data))
}
