//! The history store at the issue's scale: a 100,000-entry file (bodies about 1 KB) must
//! open in under 1 s and answer a search in under 100 ms (release build).
//!
//! `cargo bench --bench history`

// Test, bench and example code may panic: a failed expectation is the point.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::hint::black_box;
use std::io::Write;
use std::path::Path;

use criterion::{Criterion, criterion_group, criterion_main};
use snap_console::store::history::{
    Direction, Exchange, HistoryStore, Query, RecordedMessage, StatusFilter,
};

const ENTRIES: usize = 100_000;

/// A VA payment (or inquiry) with about 1 KB request and response bodies, the headers a
/// SNAP client sends, and a mix of outcomes.
fn exchange(i: usize) -> Exchange {
    let payment = !i.is_multiple_of(3);
    let (service, title, path) = if payment {
        ("snap-25", "25 VA Payment", "/api/v1.0/transfer-va/payment")
    } else {
        ("snap-24", "24 VA Inquiry", "/api/v1.0/transfer-va/inquiry")
    };
    let day = 1 + (i / 4000) % 28;
    let time = format!(
        "2024-11-{day:02}T{:02}:{:02}:{:02}.{:03}+07:00",
        (i / 3600) % 24,
        (i / 60) % 60,
        i % 60,
        i % 1000
    );
    let reference = format!("REF{i:09}");
    let request_body = format!(
        concat!(
            r#"{{"partnerServiceId":"   12345","customerNo":"{i:020}","virtualAccountNo":"   12345{i:020}","#,
            r#""virtualAccountName":"Jokul Doe {i}","virtualAccountEmail":"jokul.{i}@example.com","#,
            r#""virtualAccountPhone":"6281828384858","trxId":"TRX{i:012}","paymentRequestId":"{reference}","#,
            r#""channelCode":6011,"hashedSourceAccountNo":"","sourceBankCode":"008","#,
            r#""paidAmount":{{"value":"{amount}.00","currency":"IDR"}},"cumulativePaymentAmount":null,"#,
            r#""paidBills":"95000","totalAmount":{{"value":"{amount}.00","currency":"IDR"}},"#,
            r#""trxDateTime":"{time}","referenceNo":"{reference}","journalNum":"{i:06}","#,
            r#""paymentType":1,"flagAdvise":"N","subCompany":"12345","#,
            r#""billDetails":[{{"billCode":"01","billNo":"123456789012345678","billName":"Bill A for Jan","#,
            r#""billShortName":"Bill A","billDescription":{{"english":"Maintenance","indonesia":"Pemeliharaan"}},"#,
            r#""billSubCompany":"00001","billAmount":{{"value":"{amount}.00","currency":"IDR"}},"additionalInfo":{{}},"#,
            r#""billReferenceNo":"{i:015}"}}],"freeTexts":[{{"english":"Free text","indonesia":"Tulisan bebas"}}],"#,
            r#""additionalInfo":{{}}}}"#
        ),
        i = i,
        reference = reference,
        amount = 10_000 + i % 90_000,
        time = time,
    );
    let (status, code) = match i % 20 {
        0 => (401, "4012500"),
        1 => (404, "4042512"),
        2 => (409, "4092501"),
        3 => (500, "5002501"),
        _ => (200, if payment { "2002500" } else { "2002400" }),
    };
    let response_body = format!(
        concat!(
            r#"{{"responseCode":"{code}","responseMessage":"Successful","virtualAccountData":{{"#,
            r#""partnerServiceId":"   12345","customerNo":"{i:020}","virtualAccountNo":"   12345{i:020}","#,
            r#""virtualAccountName":"Jokul Doe {i}","virtualAccountEmail":"jokul.{i}@example.com","#,
            r#""virtualAccountPhone":"6281828384858","trxId":"TRX{i:012}","paymentRequestId":"{reference}","#,
            r#""paidAmount":{{"value":"95000.00","currency":"IDR"}},"paidBills":"95000","#,
            r#""totalAmount":{{"value":"95000.00","currency":"IDR"}},"trxDateTime":"{time}","#,
            r#""referenceNo":"{reference}","journalNum":"{i:06}","paymentType":1,"flagAdvise":"N","#,
            r#""paymentFlagStatus":"00","paymentFlagReason":{{"english":"Success","indonesia":"Sukses"}},"#,
            r#""billDetails":[{{"billCode":"01","billNo":"123456789012345678","billName":"Bill A for Jan","#,
            r#""billAmount":{{"value":"95000.00","currency":"IDR"}},"billReferenceNo":"{i:015}"}}],"#,
            r#""freeTexts":[{{"english":"Free text","indonesia":"Tulisan bebas"}}]}},"additionalInfo":{{}}}}"#
        ),
        code = code,
        i = i,
        reference = reference,
        time = time,
    );
    let headers = vec![
        ("Content-Type".to_string(), "application/json".to_string()),
        ("Authorization".to_string(), "Bearer ‹redacted›".to_string()),
        ("X-TIMESTAMP".to_string(), time.clone()),
        (
            "X-SIGNATURE".to_string(),
            "aHR0cHM6Ly9leGFtcGxlLmNvbS9zaWduYXR1cmUvaG1hYy1zaGE1MTIvYmFzZTY0LzEyMzQ1Njc4OTA="
                .into(),
        ),
        ("ORIGIN".to_string(), "www.example.com".to_string()),
        (
            "X-PARTNER-ID".to_string(),
            "82150823919040624621823174737537".to_string(),
        ),
        ("X-EXTERNAL-ID".to_string(), format!("{i:032}")),
        ("CHANNEL-ID".to_string(), "95221".to_string()),
    ];
    let mut e = Exchange::new(
        Direction::Outbound,
        "Local sandbox",
        "POST",
        format!("http://127.0.0.1:8765{path}"),
        RecordedMessage::new(headers, request_body),
    );
    e.time = time;
    e.service = Some(service.into());
    e.service_title = Some(title.into());
    if i.is_multiple_of(97) {
        e.error = Some("connection refused (os error 111)".into());
    } else {
        e.response_status = Some(status);
        e.response = Some(RecordedMessage::new(
            vec![
                ("content-type".into(), "application/json".into()),
                ("x-timestamp".into(), e.time.clone()),
                ("content-length".into(), response_body.len().to_string()),
            ],
            response_body,
        ));
        e.response_code = Some(code.into());
        e.total_ms = Some(20 + (i % 300) as u64);
        e.headers_ms = Some(15 + (i % 250) as u64);
    }
    e.string_to_sign = Some(format!(
        "POST:{path}:‹redacted›:{}:{}",
        "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", e.time
    ));
    e
}

fn write_history(dir: &Path) -> u64 {
    let path = dir.join("history.jsonl");
    let mut out = std::io::BufWriter::new(std::fs::File::create(&path).expect("create"));
    for i in 0..ENTRIES {
        serde_json::to_writer(&mut out, &exchange(i)).expect("write");
        out.write_all(b"\n").expect("write");
    }
    out.flush().expect("flush");
    std::fs::metadata(&path).expect("metadata").len()
}

fn history(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("temp dir");
    let bytes = write_history(dir.path());
    let (store, report) = HistoryStore::open(dir.path()).expect("open");
    assert_eq!(report.loaded, ENTRIES);
    eprintln!(
        "history: {ENTRIES} entries, {:.1} MB file ({} bytes per entry)",
        bytes as f64 / 1e6,
        bytes / ENTRIES as u64
    );

    let mut group = c.benchmark_group("history_100k");
    group.sample_size(10);
    // Dropping 100,000 entries (~0.3 s of freeing) is not part of opening.
    group.bench_function("open", |b| {
        b.iter_with_large_drop(|| HistoryStore::open(dir.path()).expect("open"))
    });
    // One reference among 100,000: the search a developer makes to find a transaction.
    let one = Query::text("REF000054321");
    assert_eq!(store.search(&one).len(), 1);
    group.bench_function("search_text_rare", |b| {
        b.iter(|| black_box(store.search(black_box(&one))))
    });
    // Two words, both common: every entry's haystack is scanned, most match.
    let common = Query::text("jokul inquiry");
    group.bench_function("search_text_common", |b| {
        b.iter(|| black_box(store.search(black_box(&common))))
    });
    let failed = Query {
        status: Some(StatusFilter::Class(4)),
        ..Query::default()
    };
    group.bench_function("filter_status_4xx", |b| {
        b.iter(|| black_box(store.search(black_box(&failed))))
    });
    group.finish();
}

criterion_group!(benches, history);
criterion_main!(benches);
