//! A run as evidence: a Markdown and a self-contained HTML page (minijinja templates in
//! `assets/reports/`), a spreadsheet in the columns providers' functional-test sheets use
//! (rust_xlsxwriter), and JUnit XML for CI (quick-junit). Everything is made from the
//! [`RunReport`], whose exchanges were redacted before they were recorded, so no export
//! can hold a secret the history does not.

use std::time::Duration;

use minijinja::value::Serde;
use minijinja::{Environment, Value, context};
use serde::Serialize;

use super::scenario::{CaseReport, RunReport};
use crate::model::Exchange;

const HTML_TEMPLATE: &str = include_str!("../../assets/reports/evidence.html");
const MARKDOWN_TEMPLATE: &str = include_str!("../../assets/reports/evidence.md");
/// A spreadsheet cell holds at most 32,767 characters; longer texts are cut with a note.
const MAX_CELL_CHARS: usize = 32_000;

/// One case as the templates and the spreadsheet show it.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct CaseView {
    no: usize,
    suite: String,
    id: String,
    anchor: String,
    name: String,
    purpose: String,
    expected: String,
    got: String,
    verdict: &'static str,
    css: &'static str,
    reason: String,
    ms: u64,
    tested_at: String,
    exchanges: Vec<ExchangeView>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ExchangeView {
    title: String,
    request: String,
    response: String,
    string_to_sign: Option<String>,
}

/// PASS, FAIL or SKIPPED.
pub fn verdict(case: &CaseReport) -> &'static str {
    match (case.skipped, case.passed) {
        (true, _) => "SKIPPED",
        (false, true) => "PASS",
        (false, false) => "FAIL",
    }
}

fn views(report: &RunReport) -> Vec<CaseView> {
    report
        .cases()
        .enumerate()
        .map(|(i, case)| CaseView {
            no: i + 1,
            suite: case.suite.clone(),
            id: case.id.clone(),
            anchor: format!("{}--{}", case.suite, case.id),
            name: case.name.clone(),
            purpose: case.purpose.clone(),
            expected: case.expected.clone(),
            got: case.got.clone(),
            verdict: verdict(case),
            css: match verdict(case) {
                "PASS" => "pass",
                "FAIL" => "fail",
                _ => "skip",
            },
            reason: case.reason.clone(),
            ms: case.ms,
            tested_at: case.tested_at.clone(),
            exchanges: case.exchanges.iter().map(exchange_view).collect(),
        })
        .collect()
}

fn exchange_view(exchange: &Exchange) -> ExchangeView {
    ExchangeView {
        title: format!(
            "{} {}",
            exchange.service_title.as_deref().unwrap_or("request"),
            exchange.response_code.as_deref().unwrap_or("")
        )
        .trim()
        .to_string(),
        request: request_text(exchange),
        response: response_text(exchange),
        string_to_sign: exchange.string_to_sign.clone(),
    }
}

/// `POST url`, the headers, a blank line and the body (all redacted already).
pub fn request_text(exchange: &Exchange) -> String {
    let mut text = format!("{} {}\n", exchange.method, exchange.url);
    for (name, value) in &exchange.request.headers {
        text.push_str(&format!("{name}: {value}\n"));
    }
    text.push('\n');
    text.push_str(&exchange.request.body);
    text
}

/// `HTTP 200`, the headers and the body, or why no answer came.
pub fn response_text(exchange: &Exchange) -> String {
    let Some(response) = &exchange.response else {
        return format!(
            "no answer: {}",
            exchange.error.as_deref().unwrap_or("unknown")
        );
    };
    let mut text = format!("HTTP {}\n", exchange.response_status.unwrap_or(0));
    for (name, value) in &response.headers {
        text.push_str(&format!("{name}: {value}\n"));
    }
    text.push('\n');
    text.push_str(&response.body);
    text
}

fn environment() -> Result<Environment<'static>, String> {
    let mut env = Environment::new();
    // A table cell in Markdown: no line breaks, no column separators.
    env.add_filter("cell", |text: String| {
        text.replace('|', "\\|").replace(['\n', '\r'], " ")
    });
    env.add_template("evidence.html", HTML_TEMPLATE)
        .map_err(|e| format!("the HTML template: {e}"))?;
    env.add_template("evidence.md", MARKDOWN_TEMPLATE)
        .map_err(|e| format!("the Markdown template: {e}"))?;
    Ok(env)
}

fn render(report: &RunReport, template: &str) -> Result<String, String> {
    let env = environment()?;
    let (passed, failed, skipped) = report.counts();
    let title = format!("SNAP test evidence: {}", suite_titles(report));
    env.get_template(template)
        .and_then(|t| {
            t.render(context! {
                title => title,
                run => Value::from(Serde(report_header(report))),
                passed => passed,
                failed => failed,
                skipped => skipped,
                cases => Value::from(Serde(views(report))),
            })
        })
        .map_err(|e| format!("cannot write the report: {e}"))
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Header<'a> {
    run: &'a str,
    profile: &'a str,
    base_url: &'a str,
    started: &'a str,
}

fn report_header(report: &RunReport) -> Header<'_> {
    Header {
        run: &report.run,
        profile: &report.profile,
        base_url: &report.base_url,
        started: &report.started,
    }
}

fn suite_titles(report: &RunReport) -> String {
    report
        .suites
        .iter()
        .map(|s| s.title.as_str())
        .collect::<Vec<_>>()
        .join("; ")
}

/// The evidence pack as one self-contained HTML page (styles inline, no scripts).
pub fn html(report: &RunReport) -> Result<String, String> {
    render(report, "evidence.html")
}

/// The evidence pack as Markdown.
pub fn markdown(report: &RunReport) -> Result<String, String> {
    render(report, "evidence.md")
}

/// One row per case: No, Scenario, Expected result, Actual result, Status, Request,
/// Response, Tested at.
pub fn xlsx(report: &RunReport) -> Result<Vec<u8>, String> {
    use rust_xlsxwriter::{Format, Workbook};
    let failed = |e: rust_xlsxwriter::XlsxError| format!("cannot write the spreadsheet: {e}");
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    sheet.set_name("Test results").map_err(failed)?;
    let bold = Format::new().set_bold();
    let wrap = Format::new().set_text_wrap();
    let columns = [
        ("No", 6.0),
        ("Scenario", 40.0),
        ("Expected result", 36.0),
        ("Actual result", 36.0),
        ("Status", 10.0),
        ("Request", 60.0),
        ("Response", 60.0),
        ("Tested at", 28.0),
    ];
    for (col, (title, width)) in (0u16..).zip(columns) {
        sheet
            .write_string_with_format(0, col, title, &bold)
            .map_err(failed)?;
        sheet.set_column_width(col, width).map_err(failed)?;
    }
    for (row, view) in (1u32..).zip(views(report)) {
        let actual = match view.reason.as_str() {
            "" => view.got.clone(),
            reason => format!("{}\n{reason}", view.got),
        };
        let join = |pick: fn(&ExchangeView) -> &String| {
            view.exchanges
                .iter()
                .map(pick)
                .cloned()
                .collect::<Vec<_>>()
                .join("\n\n----\n\n")
        };
        let cells = [
            format!("{}/{}: {}", view.suite, view.id, view.name),
            view.expected.clone(),
            actual,
            view.verdict.to_string(),
            join(|e| &e.request),
            join(|e| &e.response),
            view.tested_at.clone(),
        ];
        sheet.write_number(row, 0, f64::from(row)).map_err(failed)?;
        for (col, text) in (1u16..).zip(cells) {
            sheet
                .write_string_with_format(row, col, cell(&text), &wrap)
                .map_err(failed)?;
        }
    }
    workbook.save_to_buffer().map_err(failed)
}

fn cell(text: &str) -> String {
    match text.char_indices().nth(MAX_CELL_CHARS) {
        Some((at, _)) => format!("{}\n… (cut: see the HTML evidence)", &text[..at]),
        None => text.to_string(),
    }
}

/// JUnit XML: a test suite per suite, a test case per case (failure message = the reason).
pub fn junit(report: &RunReport) -> Result<String, String> {
    use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};
    let mut junit = Report::new(format!("snap-console {}", report.run));
    for suite in &report.suites {
        let mut junit_suite = TestSuite::new(suite.id.as_str());
        for case in &suite.cases {
            let status = match verdict(case) {
                "PASS" => TestCaseStatus::success(),
                "SKIPPED" => {
                    let mut status = TestCaseStatus::skipped();
                    status.set_message(case.reason.as_str());
                    status
                }
                _ => {
                    let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
                    status
                        .set_message(case.reason.as_str())
                        .set_description(format!("expected: {}\ngot: {}", case.expected, case.got));
                    status
                }
            };
            let mut test_case = TestCase::new(case.id.as_str(), status);
            test_case
                .set_classname(suite.id.as_str())
                .set_time(Duration::from_millis(case.ms));
            junit_suite.add_test_case(test_case);
        }
        junit.add_test_suite(junit_suite);
    }
    junit
        .to_string()
        .map_err(|e| format!("cannot write the JUnit XML: {e}"))
}
