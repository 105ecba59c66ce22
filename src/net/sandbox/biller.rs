//! `POST /service/in/json`: the non-SNAP biller API of biller-json-api.txt. The `trx`
//! command is signed with `md5(username + password + trxid)`; a known, active product with
//! enough deposit ("saldo") is answered PENDING and, shortly after, settled by a reversal
//! callback (GET `{notify}/biller/reversal?status=…&refid=…`); otherwise GAGAL with one of
//! the document's reasons. An `idpel` ending in 9999 settles as failed (and is refunded),
//! so both callbacks can be tried.
//!
//! Answers use the document's shapes, not SNAP's: HTTP 200 for PENDING and GAGAL, 400 for
//! a body that cannot be read, 401 for a wrong user or sign.

use std::time::{Duration, Instant};

use axum::http::StatusCode;
use chrono::Utc;
use serde_json::{Value, json};

use super::BILLER_CALLBACK_PATH;
use super::notify::{DeliveryKind, Outbound, merchant_url};
use super::request::Received;
use super::respond::Answer;
use super::state::{Shared, lock};
use crate::snap::biller::{self, CallbackStatus, ReversalCallback, TrxRequest};
use crate::snap::minify::{MinifyMode, minify};
use crate::snap::{timestamp, validate};

/// The deposit a fresh sandbox starts with (the document's callbacks show Rp99,999,999).
pub(crate) const OPENING_BALANCE: i64 = 99_999_999;
/// A biller answers first and calls back after.
const CALLBACK_DELAY: Duration = Duration::from_millis(250);

/// (code, price in rupiah, active). `s5` is the document's example.
const PRODUCTS: &[(&str, i64, bool)] = &[
    ("s5", 5_000, true),
    ("s10", 10_000, true),
    ("s20", 20_000, true),
    ("s25", 25_000, true),
    ("s50", 50_000, true),
    ("s100", 100_000, true),
    ("pln20", 20_000, true),
    ("pln50", 50_000, true),
    ("pln100", 100_000, true),
    ("s1", 1_000, false),
];

pub(crate) fn transaction(shared: &Shared, received: &Received) -> Answer {
    let started = Instant::now();
    let request = match read_request(received) {
        Ok(request) => request,
        Err(reason) => return refusal(StatusCode::BAD_REQUEST, reason),
    };
    let username = shared.config.biller_username();
    let password = shared.config.biller_password();
    let target = format!("{}.{}", request.produk, request.idpel);
    if request.user != username
        || !biller::verify(username, password, &request.trxid, &request.sign)
    {
        return unauthorized(shared, &request, &target, started);
    }
    let product = PRODUCTS.iter().find(|(code, _, _)| *code == request.produk);
    let (price, active) = match product {
        Some((_, price, active)) => (*price, *active),
        None => {
            return gagal(
                shared,
                &request,
                format!("Transaksi {target} GAGAL Produk tidak tersedia (ROUTE)"),
                started,
            );
        }
    };
    if !active {
        return gagal(
            shared,
            &request,
            format!("Transaksi {target} GAGAL Produk tidak Aktif"),
            started,
        );
    }
    let balance = {
        let mut balance = lock(&shared.biller_balance);
        if *balance < price {
            None
        } else {
            *balance -= price;
            Some(*balance)
        }
    };
    let Some(balance) = balance else {
        return gagal(
            shared,
            &request,
            format!("Transaksi {target} GAGAL silakan coba lagi (DEDUCT)"),
            started,
        );
    };
    let ftrxid = ftrxid(shared);
    schedule_callback(shared, &request, price, &ftrxid);
    let body = json!({
        "total": price,
        "status": true,
        "reason": format!("Transaksi {target} sedang diproses"),
        "saldo": balance.to_string(),
        "trxtime": trx_time(),
        "elapsed": started.elapsed().as_secs_f64(),
        "ftrxid": ftrxid,
        "user": request.user,
        "kodeproduk": request.produk,
        "tujuan": request.idpel,
    });
    summarised(Answer::json(StatusCode::OK, &body), "PENDING", None)
}

/// The body as a `trx` request, or why not (in the biller's language).
fn read_request(received: &Received) -> Result<TrxRequest, String> {
    let text = std::str::from_utf8(&received.body)
        .map_err(|_| "Request tidak valid: body bukan teks UTF-8".to_string())?;
    minify(text, MinifyMode::Lexical).map_err(|e| format!("Request tidak valid: {e}"))?;
    let body: Value =
        serde_json::from_str(text).map_err(|e| format!("Request tidak valid: {e}"))?;
    if let Some(problem) = validate::validate("biller-trx", &body).first() {
        return Err(format!(
            "Parameter {} tidak valid: {}",
            problem.field, problem.message
        ));
    }
    serde_json::from_value(body).map_err(|e| format!("Request tidak valid: {e}"))
}

fn refusal(status: StatusCode, reason: String) -> Answer {
    let body = json!({"status": false, "reason": reason});
    summarised(Answer::json(status, &body), "refused", Some(reason))
}

fn gagal(shared: &Shared, request: &TrxRequest, reason: String, started: Instant) -> Answer {
    gagal_with_status(shared, request, reason, started, StatusCode::OK)
}

fn gagal_with_status(
    shared: &Shared,
    request: &TrxRequest,
    reason: String,
    started: Instant,
    status: StatusCode,
) -> Answer {
    let body = json!({
        "total": 0,
        "status": false,
        "reason": reason,
        "trxtime": trx_time(),
        "elapsed": started.elapsed().as_secs_f64(),
        "ftrxid": ftrxid(shared),
        "user": request.user,
        "kodeproduk": request.produk,
        "tujuan": request.idpel,
    });
    summarised(Answer::json(status, &body), "GAGAL", Some(reason))
}

fn unauthorized(shared: &Shared, request: &TrxRequest, target: &str, started: Instant) -> Answer {
    let username = shared.config.biller_username();
    let reason = if request.user != username {
        format!(
            "user '{}' is not the biller username this sandbox knows ({username})",
            request.user
        )
    } else {
        "md5(username + password + trxid) does not match the sign: check the password and that trxid is the one signed".to_string()
    };
    let mut answer = gagal_with_status(
        shared,
        request,
        format!("Transaksi {target} GAGAL user atau sign tidak valid"),
        started,
        StatusCode::UNAUTHORIZED,
    );
    answer.reason = Some(reason.clone());
    if shared.explain() {
        // The password is part of what is hashed, so it is shown only by name.
        let expected = format!(
            "md5(\"{username}\" + <biller password> + \"{}\")",
            request.trxid
        );
        answer = answer
            .with_header("x-sandbox-expected-string-to-sign", &expected, 1024)
            .with_header("x-sandbox-reason", &reason, 1024);
    }
    answer
}

fn summarised(mut answer: Answer, message: &str, reason: Option<String>) -> Answer {
    answer.message = message.to_string();
    answer.reason = reason;
    answer
}

/// The document's `trxtime`: Jakarta time with microseconds.
fn trx_time() -> String {
    Utc::now()
        .with_timezone(&timestamp::jakarta())
        .format("%Y-%m-%d %H:%M:%S%.6f")
        .to_string()
}

/// The biller's own transaction id: 14 digits, like the document's.
fn ftrxid(shared: &Shared) -> String {
    let reference = shared.new_reference_no();
    reference[reference.len().saturating_sub(14)..].to_string()
}

fn schedule_callback(shared: &Shared, request: &TrxRequest, price: i64, ftrxid: &str) {
    let Some(base) = &shared.notify_base else {
        return;
    };
    let succeeded = !request.idpel.ends_with("9999");
    let target = format!("{}.{}", request.produk, request.idpel);
    let when = Utc::now()
        .with_timezone(&timestamp::jakarta())
        .format("%d/%m %H:%M:%S");
    let balance = {
        let mut balance = lock(&shared.biller_balance);
        if !succeeded {
            *balance += price; // a failed transaction gives the deposit back
        }
        *balance
    };
    let message = if succeeded {
        format!(
            "Transaksi {target} SUKSES, SN: {ftrxid}, Saldo: Rp{}, Harga: {}, Tgl: {when}",
            thousands(balance),
            thousands(price)
        )
    } else {
        format!(
            "Transaksi {target} GAGAL, Saldo: Rp{}, Tgl: {when}",
            thousands(balance)
        )
    };
    let callback = ReversalCallback {
        status: if succeeded {
            CallbackStatus::Success
        } else {
            CallbackStatus::Failed
        },
        refid: request.trxid.clone(),
        product: Some(request.produk.clone()),
        qty: Some("1".to_string()),
        dest: Some(request.idpel.clone()),
        message: Some(message),
    };
    let mut url = merchant_url(base, BILLER_CALLBACK_PATH);
    url.set_query(Some(&biller::callback_query(&callback)));
    shared.notifier.enqueue(
        DeliveryKind::BillerReversal,
        Outbound::Get { url },
        CALLBACK_DELAY,
    );
}

/// 99999999 → "99,999,999", as the document writes rupiah.
fn thousands(amount: i64) -> String {
    let digits = amount.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if amount < 0 {
        out.insert(0, '-');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rupiah_are_written_with_commas() {
        assert_eq!(thousands(99_999_999), "99,999,999");
        assert_eq!(thousands(201_200), "201,200");
        assert_eq!(thousands(5), "5");
        assert_eq!(thousands(-1_000), "-1,000");
    }
}
