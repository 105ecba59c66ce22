//! `POST /api/v1.0/transaction-history-list` (service 12): the static-code QRIS transaction
//! list of qris-static-code-transaction-list-inquiry.txt, paged.
//!
//! The transactions are generated, deterministically: each scID has its own ledger of
//! payments on a fixed time grid (one every 15 to 60 minutes, spacing and offset drawn from
//! the scID's hash), and a window [fromDateTime, toDateTime] shows the grid points inside
//! it. So the same request always gives the same list, overlapping windows agree like a
//! real ledger, and a window of any length costs only the page asked for.
//!
//! As the document says: pageSize defaults to 10, pageNumber to 0 (the first page),
//! fromDateTime to toDateTime minus one day, toDateTime to now; `total` is the number of
//! pages, and `total`, `currentPage` and `hasMore` are strings.

use chrono::{DateTime, TimeDelta, Utc};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::checks;
use super::errors::Rejection;
use super::request::Received;
use super::respond::Answer;
use super::state::Shared;
use crate::snap::catalog::Service;
use crate::snap::{response, timestamp};

const DEFAULT_PAGE_SIZE: u64 = 10;
const DEFAULT_PAGE_NUMBER: u64 = 0;
const BANKS: [(&str, &str); 5] = [
    ("014", "BCA"),
    ("008", "Bank Mandiri"),
    ("009", "BNI"),
    ("002", "BRI"),
    ("022", "CIMB Niaga"),
];

pub(crate) async fn list(
    shared: &Shared,
    received: &Received,
    service: &Service,
) -> Result<Answer, Rejection> {
    let body = checks::admit_transaction(shared, received, service).await?;
    let sc_id = body
        .pointer("/additionalInfo/scID")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let to = instant(&body, "toDateTime").unwrap_or_else(Utc::now);
    let from = instant(&body, "fromDateTime").unwrap_or(to - TimeDelta::days(1));
    // The rules allow 1..=999 and 0..=99999 (rules.json), so these products cannot overflow.
    let page_size = whole_number(&body, "pageSize")
        .unwrap_or(DEFAULT_PAGE_SIZE)
        .max(1);
    let page_number = whole_number(&body, "pageNumber").unwrap_or(DEFAULT_PAGE_NUMBER);

    let ledger = Ledger::of(sc_id);
    let (first, count) = ledger.window(from.timestamp(), to.timestamp());
    let start = page_number.saturating_mul(page_size);
    let end = start.saturating_add(page_size).min(count);
    let detail: Vec<Value> = (start..end)
        .filter_map(|i| ledger.entry(first.saturating_add_unsigned(i)))
        .collect();
    let code = response::compose(200, checks::service_code(service), "00");
    let answer = json!({
        "responseCode": code,
        "responseMessage": "Successful",
        "detailData": detail,
        "total": count.div_ceil(page_size).to_string(),
        "currentPage": page_number.to_string(),
        "hasMore": (start.saturating_add(page_size) < count).to_string(),
    });
    Ok(Answer::snap(&code, "Successful", &answer))
}

fn instant(body: &Value, key: &str) -> Option<DateTime<Utc>> {
    let text = body.get(key)?.as_str()?;
    timestamp::parse_lenient(text)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

fn whole_number(body: &Value, key: &str) -> Option<u64> {
    match body.get(key)? {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.parse().ok(),
        _ => None,
    }
}

/// One scID's generated ledger: a payment at `offset + k * spacing` (Unix seconds) for
/// every whole k.
struct Ledger {
    sc_id: String,
    spacing: i64,
    offset: i64,
}

impl Ledger {
    fn of(sc_id: &str) -> Ledger {
        let seed = Sha256::digest(sc_id.as_bytes());
        let number = |i: usize| i64::from(u16::from_be_bytes([seed[i], seed[i + 1]]));
        let spacing = 900 + number(0) % 2700;
        Ledger {
            sc_id: sc_id.to_string(),
            spacing,
            offset: number(2) % spacing,
        }
    }

    /// The first grid index inside [from, to] and how many there are.
    fn window(&self, from: i64, to: i64) -> (i64, u64) {
        let first = (from.saturating_sub(self.offset))
            .saturating_add(self.spacing - 1)
            .div_euclid(self.spacing);
        let last = to.saturating_sub(self.offset).div_euclid(self.spacing);
        let count = u64::try_from(last.saturating_sub(first).saturating_add(1)).unwrap_or(0);
        (first, count)
    }

    fn entry(&self, k: i64) -> Option<Value> {
        let seconds = self.offset.checked_add(k.checked_mul(self.spacing)?)?;
        let at = DateTime::from_timestamp(seconds, 0)?.with_timezone(&timestamp::jakarta());
        let h = Sha256::digest(format!("{}:{k}", self.sc_id).as_bytes());
        let rupiah = (u64::from(u16::from_be_bytes([h[0], h[1]])) % 500 + 1) * 1000;
        let fee_cents = rupiah * 7 / 10; // a 0.7% MDR, in cents
        let kind = if h[2] % 12 == 0 { "REFUND" } else { "PAYMENT" };
        let status = match h[3] % 20 {
            0 => "CLOSED",
            1 => "CANCELLED",
            _ => "SUCCESS",
        };
        let (bank_code, bank_name) = BANKS[usize::from(h[4]) % BANKS.len()];
        let digits = |range: std::ops::Range<usize>, len: usize| -> String {
            let n = h[range]
                .iter()
                .fold(0u64, |acc, b| acc.wrapping_mul(256) + u64::from(*b));
            format!("{:0len$}", n % 10u64.pow(len as u32))
        };
        Some(json!({
            "dateTime": at.to_rfc3339_opts(chrono::SecondsFormat::Secs, false),
            "amount": {"value": format!("{rupiah}.00"), "currency": "IDR"},
            "remark": format!("Static QRIS {} via {bank_name}", kind.to_ascii_lowercase()),
            "status": status,
            "type": kind,
            "additionalInfo": {
                "scID": self.sc_id,
                "originalReferenceNo": format!("{}{}", at.format("%Y%m%d%H%M%S"), digits(5..12, 11)),
                "RRN": digits(12..18, 12),
                "bankCode": bank_code,
                "bankName": bank_name,
                "feeMoney": {"currency": "IDR", "value": format!("{}.{:02}", fee_cents / 100, fee_cents % 100)},
            },
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ledger_is_deterministic_and_windows_agree() {
        let ledger = Ledger::of("3001689892262664724480");
        assert!((900..3600).contains(&ledger.spacing));
        let day = 86_400;
        let (first, count) = ledger.window(1_700_000_000, 1_700_000_000 + day);
        assert!((24..=96).contains(&count), "{count}");
        // The second half of the window starts where the first half's count ends.
        let (first_half, half_count) = ledger.window(1_700_000_000, 1_700_000_000 + day / 2);
        let (second_half, _) = ledger.window(1_700_000_000 + day / 2 + 1, 1_700_000_000 + day);
        assert_eq!(first_half, first);
        assert_eq!(second_half, first + half_count as i64);
        assert_eq!(
            ledger.entry(first),
            Ledger::of("3001689892262664724480").entry(first)
        );
        assert_ne!(ledger.entry(first), Ledger::of("other").entry(first));
        assert_eq!(ledger.window(10, 5).1, 0, "an empty window");
    }
}
