//! `snap-console test`: run suites against a profile's base URL (a provider's sandbox, or
//! your own server) and hand over the evidence: Markdown or HTML, a spreadsheet, JUnit.
//!
//! Exit codes: 0 when no case failed (skipped ones do not count), 1 when any failed, 2
//! when the run could not be made (unknown suite or profile, a malformed suite file, an
//! export that cannot be written).

use std::collections::BTreeSet;
use std::io::IsTerminal as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use clap::Args;
use serde_json::{Value, json};

use super::inputs::CliError;
use super::send::profile_named;
use crate::flows::history::FileRecorder;
use crate::flows::scenario::{self, CaseReport, InboxFeed, RunContext, RunReport};
use crate::flows::scenario_export;
use crate::net::inbox::{self, InboxConfig, InboxHandle, VerificationKeys, VerificationMode};
use crate::snap::keys;
use crate::snap::scenario::{Suite, built_in, built_in_named};
use crate::store::files::{self, Sensitivity};
use crate::store::paths::AppPaths;
use crate::store::profiles;
use crate::store::suites as user_suites;

#[derive(Args, Debug)]
pub struct TestArgs {
    /// Built-in suite ids (`--list`) or suite files (docs/suites.md).
    #[arg(value_name = "SUITE_OR_FILE")]
    pub suites: Vec<String>,
    /// The profile whose base URL and credentials the cases use.
    #[arg(long)]
    pub profile: Option<String>,
    /// Only these cases (repeatable), as SUITE/CASE.
    #[arg(long = "case", value_name = "SUITE/CASE")]
    pub cases: Vec<String>,
    /// Write the evidence pack: FILE.md (Markdown) or FILE.html (one self-contained page).
    #[arg(long, value_name = "FILE.md|FILE.html")]
    pub report: Option<PathBuf>,
    /// Write the spreadsheet (one row per case).
    #[arg(long, value_name = "FILE")]
    pub xlsx: Option<PathBuf>,
    /// Write JUnit XML for CI.
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,
    /// Listen for notifications on 127.0.0.1:PORT during the run (cases that need an
    /// inbox are skipped without it); point the provider's notification URL here.
    #[arg(long, value_name = "PORT")]
    pub inbox_port: Option<u16>,
    /// List the built-in suites and your own (config folder) and their cases.
    #[arg(long)]
    pub list: bool,
    /// Copy a suite into your suites folder (to edit it there) instead of running.
    #[arg(long, value_name = "SUITE_ID", conflicts_with = "list")]
    pub copy: Option<String>,
    /// The copy's id (default: SUITE_ID-copy); must not be any suite's id yet.
    #[arg(long = "as", value_name = "NEW_ID", requires = "copy")]
    pub as_id: Option<String>,
    /// Print one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: TestArgs) -> Result<ExitCode, CliError> {
    let paths = AppPaths::discover();
    if args.list {
        return list(&paths, args.json);
    }
    if let Some(id) = &args.copy {
        return copy(&paths, id, args.as_id.as_deref(), args.json);
    }
    let report_format = match &args.report {
        Some(path) => Some(report_format(path)?),
        None => None,
    };
    let Some(profile_name) = args.profile.as_deref() else {
        return Err(CliError::input(
            "--profile",
            "give the profile to test with (snap-console profile list)",
        ));
    };
    if args.suites.is_empty() {
        return Err(CliError::input(
            "SUITE_OR_FILE",
            "give at least one suite id or file (snap-console test --list)",
        ));
    }
    let suites = select_cases(load_suites(&paths, &args.suites)?, &args.cases)?;
    let loaded = profiles::load(&paths);
    for problem in &loaded.problems {
        eprintln!("warning: {problem}");
    }
    let profile = profile_named(&loaded.book, profile_name)?;
    let secrets = loaded.book.secrets_of(&profile.id);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| CliError::Other(format!("cannot start the async runtime: {e}")))?;
    let report = runtime.block_on(async {
        let (inbox, no_inbox_reason) = start_inbox(args.inbox_port, &profile).await?;
        let context = RunContext {
            profile: &profile,
            secrets: &secrets,
            recorder: Arc::new(FileRecorder::new(paths.data_dir.clone())),
            inbox: inbox.as_ref().map(InboxFeed::of),
            no_inbox_reason,
            cancel: None,
        };
        let total = suites.iter().map(|s| s.cases.len()).sum();
        let mut progress = Progress::new(total, !args.json);
        let report = scenario::run(&suites, &context, &mut |case| progress.case_done(case))
            .await
            .map_err(CliError::Other);
        progress.finish();
        if let Some(inbox) = inbox {
            inbox.stop().await;
        }
        report
    })?;
    write_exports(&report, &args, report_format)?;
    print(&report, args.json)?;
    let (_, failed, _) = report.counts();
    Ok(if failed > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

#[derive(Clone, Copy)]
enum ReportFormat {
    Markdown,
    Html,
}

fn report_format(path: &Path) -> Result<ReportFormat, CliError> {
    let extension = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    match extension.as_deref() {
        Some("md" | "markdown") => Ok(ReportFormat::Markdown),
        Some("html" | "htm") => Ok(ReportFormat::Html),
        _ => Err(CliError::input(
            "--report",
            format!(
                "{} must end in .md (Markdown) or .html (one self-contained page)",
                path.display()
            ),
        )),
    }
}

/// Built-in ids first, then the user's suites (config folder), then files.
fn load_suites(paths: &AppPaths, names: &[String]) -> Result<Vec<Suite>, CliError> {
    let mut suites: Vec<Suite> = Vec::new();
    for name in names {
        let suite = match built_in_named(name)
            .or_else(|| user_suites::find(paths, name).map(|u| u.suite))
        {
            Some(suite) => suite,
            None => {
                let path = Path::new(name);
                if !path.exists() {
                    let known: Vec<String> = built_in()
                        .into_iter()
                        .flatten()
                        .map(|s| s.id)
                        .chain(
                            user_suites::load(paths)
                                .suites
                                .into_iter()
                                .map(|u| u.suite.id),
                        )
                        .collect();
                    return Err(CliError::input(
                        "SUITE_OR_FILE",
                        format!(
                            "'{name}' is neither a suite ({}) nor a file",
                            known.join(", ")
                        ),
                    ));
                }
                user_suites::read_file(path).map_err(CliError::Other)?
            }
        };
        if suites.iter().any(|s| s.id == suite.id) {
            return Err(CliError::input(
                "SUITE_OR_FILE",
                format!("suite '{}' is given twice", suite.id),
            ));
        }
        suites.push(suite);
    }
    Ok(suites)
}

/// Keep only the cases `--case` names (all when none is given); an unknown name is an error.
fn select_cases(mut suites: Vec<Suite>, wanted: &[String]) -> Result<Vec<Suite>, CliError> {
    if wanted.is_empty() {
        return Ok(suites);
    }
    let mut chosen = BTreeSet::new();
    for item in wanted {
        let (suite_id, case_id) = item
            .split_once('/')
            .ok_or_else(|| CliError::input("--case", format!("'{item}' is not SUITE/CASE")))?;
        let suite = suites.iter().find(|s| s.id == suite_id).ok_or_else(|| {
            CliError::input(
                "--case",
                format!("suite '{suite_id}' is not among the suites given"),
            )
        })?;
        if !suite.cases.iter().any(|c| c.id == case_id) {
            let known: Vec<&str> = suite.cases.iter().map(|c| c.id.as_str()).collect();
            return Err(CliError::input(
                "--case",
                format!(
                    "suite '{suite_id}' has no case '{case_id}'; it has {}",
                    known.join(", ")
                ),
            ));
        }
        chosen.insert((suite_id.to_string(), case_id.to_string()));
    }
    for suite in &mut suites {
        let id = suite.id.clone();
        suite
            .cases
            .retain(|c| chosen.contains(&(id.clone(), c.id.clone())));
    }
    suites.retain(|s| !s.cases.is_empty());
    Ok(suites)
}

/// The inbox for notification cases, when a port is given, checking signatures with the
/// profile's provider key (or, for a sandbox that serves one, its notification key).
async fn start_inbox(
    port: Option<u16>,
    profile: &crate::model::Profile,
) -> Result<(Option<InboxHandle>, String), CliError> {
    let Some(port) = port else {
        return Ok((
            None,
            "no inbox was started: give --inbox-port N and have the provider notify http://127.0.0.1:N (the built-in sandbox: snap-console sandbox --notify-url http://127.0.0.1:N)".to_string(),
        ));
    };
    let key = match profile.counterparty_public_key_pem.trim() {
        "" => inbox::fetch_notification_public_key(
            &profile.base_url,
            std::time::Duration::from_secs(5),
        )
        .await
        .ok(),
        pem => keys::parse_public_key(pem.as_bytes()).ok().map(|k| k.key),
    };
    let config = InboxConfig {
        port,
        verification: VerificationKeys {
            counterparty_public_key: key,
            ..VerificationKeys::default()
        },
        mode: VerificationMode::Auto,
        ..InboxConfig::default()
    };
    let inbox = inbox::start(config)
        .await
        .map_err(|e| CliError::input("--inbox-port", e.to_string()))?;
    Ok((Some(inbox), String::new()))
}

fn write_exports(
    report: &RunReport,
    args: &TestArgs,
    format: Option<ReportFormat>,
) -> Result<(), CliError> {
    if let (Some(path), Some(format)) = (&args.report, format) {
        let text = match format {
            ReportFormat::Markdown => scenario_export::markdown(report),
            ReportFormat::Html => scenario_export::html(report),
        }
        .map_err(CliError::Other)?;
        files::write_atomic(path, text.as_bytes(), Sensitivity::Public)?;
    }
    if let Some(path) = &args.xlsx {
        let bytes = scenario_export::xlsx(report).map_err(CliError::Other)?;
        files::write_atomic(path, &bytes, Sensitivity::Public)?;
    }
    if let Some(path) = &args.junit {
        let text = scenario_export::junit(report).map_err(CliError::Other)?;
        files::write_atomic(path, text.as_bytes(), Sensitivity::Public)?;
    }
    Ok(())
}

fn print(report: &RunReport, as_json: bool) -> Result<(), CliError> {
    let (passed, failed, skipped) = report.counts();
    if as_json {
        let text = serde_json::to_string_pretty(&json_of(report))
            .map_err(|e| CliError::Other(format!("cannot encode the answer: {e}")))?;
        println!("{text}");
        return Ok(());
    }
    for case in report.cases() {
        println!(
            "{:<7} {}/{}  {} ({} ms)",
            scenario_export::verdict(case),
            case.suite,
            case.id,
            case.name,
            case.ms
        );
        if !case.passed {
            if !case.skipped {
                println!("        expected: {}", case.expected);
                println!("        got:      {}", case.got);
            }
            println!("        reason:   {}", case.reason);
        }
    }
    println!(
        "{passed} passed, {failed} failed, {skipped} skipped (run {}, history tagged with it)",
        report.run
    );
    Ok(())
}

/// The `--json` shape of issue 12: suites with their cases, and the counts.
fn json_of(report: &RunReport) -> Value {
    let (passed, failed, skipped) = report.counts();
    let suites: Vec<Value> = report
        .suites
        .iter()
        .map(|suite| {
            let cases: Vec<Value> = suite.cases.iter().map(case_json).collect();
            json!({"id": suite.id, "title": suite.title, "role": suite.role.as_str(), "cases": cases})
        })
        .collect();
    json!({"suites": suites, "passed": passed, "failed": failed, "skipped": skipped})
}

fn case_json(case: &CaseReport) -> Value {
    json!({
        "id": case.id,
        "name": case.name,
        "passed": case.passed,
        "skipped": case.skipped,
        "expected": case.expected,
        "got": case.got,
        "reason": case.reason,
        "ms": case.ms,
    })
}

/// Built-in suites, then the user's (with the file each lives in).
fn list(paths: &AppPaths, as_json: bool) -> Result<ExitCode, CliError> {
    let mut suites: Vec<(Suite, Option<PathBuf>)> = Vec::new();
    for suite in built_in() {
        suites.push((suite.map_err(|e| CliError::Other(e.to_string()))?, None));
    }
    let user = user_suites::load(paths);
    for problem in &user.problems {
        eprintln!("warning: {problem}");
    }
    suites.extend(user.suites.into_iter().map(|u| (u.suite, Some(u.path))));
    if as_json {
        let out: Vec<Value> = suites
            .iter()
            .map(|(s, path)| {
                let cases: Vec<Value> = s
                    .cases
                    .iter()
                    .map(|c| json!({"id": c.id, "name": c.name}))
                    .collect();
                let mut entry =
                    json!({"id": s.id, "title": s.title, "role": s.role.as_str(), "cases": cases});
                if let Some(path) = path {
                    entry["file"] = json!(path.display().to_string());
                }
                entry
            })
            .collect();
        let text = serde_json::to_string_pretty(&json!({ "suites": out }))
            .map_err(|e| CliError::Other(format!("cannot encode the list: {e}")))?;
        println!("{text}");
    } else {
        for (suite, path) in &suites {
            match path {
                Some(path) => println!("{}  {}  ({})", suite.id, suite.title, path.display()),
                None => println!("{}  {}", suite.id, suite.title),
            }
            for case in &suite.cases {
                println!("  {}  {}", case.id, case.name);
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `--copy SUITE_ID [--as NEW_ID]`: the copy's path on stdout (or `{"id","file"}`).
fn copy(
    paths: &AppPaths,
    id: &str,
    as_id: Option<&str>,
    as_json: bool,
) -> Result<ExitCode, CliError> {
    let copied =
        user_suites::duplicate(paths, id, as_id).map_err(|e| CliError::input("--copy", e))?;
    if as_json {
        println!(
            "{}",
            json!({"id": copied.suite.id, "file": copied.path.display().to_string()})
        );
    } else {
        println!(
            "copied '{id}' to '{}': {}\nedit it there; run it with: snap-console test {} --profile P",
            copied.suite.id,
            copied.path.display(),
            copied.suite.id
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// A one-line progress bar on stderr, only when it is a terminal.
struct Progress {
    total: usize,
    done: usize,
    failed: usize,
    shown: bool,
}

impl Progress {
    fn new(total: usize, wanted: bool) -> Self {
        Progress {
            total,
            done: 0,
            failed: 0,
            shown: wanted && std::io::stderr().is_terminal(),
        }
    }

    fn case_done(&mut self, case: &CaseReport) {
        self.done += 1;
        if !case.passed && !case.skipped {
            self.failed += 1;
        }
        if !self.shown {
            return;
        }
        let width = 30;
        let filled = (self.done * width).checked_div(self.total).unwrap_or(width);
        eprint!(
            "\r[{}{}] {}/{} cases, {} failed  {}/{}\x1b[K",
            "#".repeat(filled),
            " ".repeat(width - filled.min(width)),
            self.done,
            self.total,
            self.failed,
            case.suite,
            case.id
        );
    }

    fn finish(&self) {
        if self.shown {
            eprintln!();
        }
    }
}
