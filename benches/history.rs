//! The history store at the issue's scale (issue 10): 100,000 and 1,000,000 generated
//! VA exchanges of realistic size, index present or rebuilt: open, list the newest 100,
//! filter, text search (first results and complete), append p99 with the fsync, index
//! rebuild, and a delete's rewrite. Heavy one-off steps are timed once and printed;
//! the rest go through criterion.
//!
//! `cargo bench --bench history` (both sizes; the 1M file, about 3.5 GB, is generated
//! once under `target/history-bench/`, or under `HISTORY_BENCH_DIR`);
//! `HISTORY_BENCH_SIZES=100000` for one size. Append latencies include the fsync, so run
//! them on a real disk (a tmpfs makes the fsync free).

// Test, bench and example code may panic: a failed expectation is the point.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::too_many_lines
)]

use std::hint::black_box;
use std::io::Write;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use snap_console::store::history::{
    Direction, Exchange, HistoryStore, INDEX_FILE_NAME, Progress, Query, RecordedMessage,
    StatusFilter, Summary,
};

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

/// The generated history of `n` entries, kept between runs (generating 1M takes a while).
fn dataset(n: usize) -> (PathBuf, u64) {
    let root = std::env::var_os("HISTORY_BENCH_DIR").map_or_else(
        || {
            PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("target")
                .join("history-bench")
        },
        PathBuf::from,
    );
    let dir = root.join(n.to_string());
    let path = dir.join("history.jsonl");
    let marker = dir.join("complete");
    if !marker.exists() {
        std::fs::create_dir_all(&dir).expect("bench dir");
        let mut out = std::io::BufWriter::new(std::fs::File::create(&path).expect("create"));
        for i in 0..n {
            serde_json::to_writer(&mut out, &exchange(i)).expect("write");
            out.write_all(b"\n").expect("write");
        }
        out.flush().expect("flush");
        std::fs::write(&marker, b"").expect("marker");
    }
    let len = std::fs::metadata(&path).expect("metadata").len();
    (dir, len)
}

fn timed<T>(what: &str, n: usize, work: impl FnOnce() -> T) -> T {
    let started = Instant::now();
    let out = work();
    eprintln!(
        "history {n}: {what}: {:.3} s",
        started.elapsed().as_secs_f64()
    );
    out
}

/// What a list row needs, from the summaries alone.
fn rows(store: &HistoryStore, count: usize) -> Vec<String> {
    store
        .summaries()
        .iter()
        .rev()
        .take(count)
        .map(|s| {
            format!(
                "{} {} {} {} {}",
                s.time_text(),
                store.text(s.method),
                store.text(s.title),
                s.status,
                store.text(s.code)
            )
        })
        .collect()
}

/// p50/p99/max of `count` appends (each one line, fsync'd, plus its index slot).
fn append_latencies(store: &mut HistoryStore, n: usize, count: usize) -> Vec<String> {
    let mut ids = Vec::with_capacity(count);
    let mut took: Vec<Duration> = (0..count)
        .map(|k| {
            let e = exchange(n + k);
            ids.push(e.id.clone());
            let started = Instant::now();
            store.append(e).expect("append");
            started.elapsed()
        })
        .collect();
    took.sort();
    let at = |q: f64| took[((count as f64 * q) as usize).min(count - 1)].as_secs_f64() * 1e3;
    eprintln!(
        "history {n}: append ({count} appends incl. fsync): p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        at(0.5),
        at(0.99),
        at(1.0)
    );
    ids
}

fn bench_size(c: &mut Criterion, n: usize) {
    let (dir, bytes) = dataset(n);
    eprintln!(
        "history {n}: {:.1} MB file ({} bytes per entry)",
        bytes as f64 / 1e6,
        bytes / n as u64
    );
    let _ = std::fs::remove_file(dir.join(INDEX_FILE_NAME));
    let progress = Progress::default();
    let (_, report) = timed("index rebuild (first open, no index)", n, || {
        HistoryStore::open_with_progress(&dir, &progress).expect("open")
    });
    assert!(report.rebuilt_index && report.loaded == n, "{report:?}");
    let (mut store, _) = timed("open with the index", n, || {
        HistoryStore::open(&dir).expect("open")
    });
    let index_mb = std::fs::metadata(dir.join(INDEX_FILE_NAME)).map_or(0, |m| m.len()) as f64 / 1e6;
    eprintln!(
        "history {n}: index file {index_mb:.1} MB; summaries in memory {:.1} MB",
        (store.len() * std::mem::size_of::<Summary>()) as f64 / 1e6
    );

    let mut group = c.benchmark_group(format!("history_{n}"));
    group.sample_size(10);
    group.bench_function("open_and_list_newest_100", |b| {
        b.iter_with_large_drop(|| {
            let (store, _) = HistoryStore::open(&dir).expect("open");
            let shown = rows(&store, 100);
            (store, shown)
        })
    });
    group.bench_function("list_newest_100", |b| {
        b.iter(|| black_box(rows(&store, 100)))
    });
    group.bench_function("read_newest_100_entries", |b| {
        b.iter(|| {
            for p in (store.len() - 100..store.len()).rev() {
                black_box(store.read(p).expect("read"));
            }
        })
    });
    let failed = Query {
        status: Some(StatusFilter::Class(4)),
        ..Query::default()
    };
    group.bench_function("filter_status_4xx", |b| {
        b.iter(|| black_box(store.filter(black_box(&failed))))
    });
    let service = Query {
        service: Some("inquiry".into()),
        ..Query::default()
    };
    group.bench_function("filter_service", |b| {
        b.iter(|| black_box(store.filter(black_box(&service))))
    });
    // A common word: the first batch is what the window shows first.
    let common = Query::text("jokul inquiry");
    group.bench_function("search_text_first_results", |b| {
        b.iter(|| {
            let plan = store.plan(&common);
            let got = std::cell::Cell::new(false);
            plan.run(&|| got.get(), &mut |batch| got.set(!batch.is_empty()))
                .expect("search");
        })
    });
    // One reference among all: the whole file is streamed.
    let one = Query::text(format!("REF{:09}", n / 2 + 1));
    assert_eq!(store.search(&one).expect("search").len(), 1);
    group.bench_function("search_text_complete_rare", |b| {
        b.iter(|| black_box(store.search(black_box(&one)).expect("search")))
    });
    group.finish();

    let ids = append_latencies(&mut store, n, 1000);
    let keys: Vec<u64> = ids
        .iter()
        .map(|id| snap_console::store::history::index::id_hash(id))
        .collect();
    // A delete rewrites the whole file (no tombstones): here the 1000 just appended, so the
    // dataset is as it was afterwards.
    let deleted = timed("delete (rewrite of the whole file)", n, || {
        store
            .delete_keys(&keys, &Progress::default())
            .expect("delete")
    });
    assert_eq!(deleted, 1000);
}

fn history(c: &mut Criterion) {
    let sizes: Vec<usize> = std::env::var("HISTORY_BENCH_SIZES")
        .unwrap_or_else(|_| "100000,1000000".into())
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    for n in sizes {
        bench_size(c, n);
    }
}

criterion_group!(benches, history);
criterion_main!(benches);
