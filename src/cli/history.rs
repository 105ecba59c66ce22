//! `history list` and `history export`: the history the window and `send` record, from a
//! terminal.

use std::io::{self, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use chrono::NaiveDate;
use clap::{Args, Subcommand, ValueEnum};
use serde::Serialize;

use super::inputs::CliError;
use crate::store::files::{self, Sensitivity};
use crate::store::history::{
    Exchange, HistoryStore, Query, StatusFilter, export_curl, export_json, export_report,
};
use crate::store::paths::AppPaths;

#[derive(Subcommand, Debug)]
pub enum HistoryCommand {
    /// List recorded exchanges, newest first.
    List(ListArgs),
    /// Export exchanges (oldest first) as JSON, a cURL script or a Markdown evidence report.
    Export(ExportArgs),
}

#[derive(Args, Debug, Clone)]
pub struct FilterArgs {
    /// Only exchanges containing every word (case-insensitive; URL, headers, bodies, …).
    #[arg(long, value_name = "TEXT")]
    pub search: Option<String>,
    /// Only this service: catalog id (snap-25) or part of its title (VA Payment).
    #[arg(long, value_name = "SERVICE")]
    pub service: Option<String>,
    /// Only this HTTP status: 401, a class such as 4xx, or none (no response).
    #[arg(long, value_name = "STATUS")]
    pub status: Option<String>,
    /// Only exchanges on or after this day (YYYY-MM-DD, Jakarta time).
    #[arg(long, value_name = "DATE")]
    pub from: Option<String>,
    /// Only exchanges on or before this day (YYYY-MM-DD, Jakarta time).
    #[arg(long, value_name = "DATE")]
    pub to: Option<String>,
}

#[derive(Args, Debug, Clone)]
pub struct ListArgs {
    #[command(flatten)]
    pub filter: FilterArgs,
    /// Show at most N exchanges (the newest).
    #[arg(long, value_name = "N")]
    pub limit: Option<usize>,
    /// Print one JSON object `{"entries":[...]}` (newest first) instead of text.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExportFormat {
    /// One JSON array of the entries as stored.
    Json,
    /// A bash script with one curl command per request sent.
    Curl,
    /// A Markdown evidence report (request and response per exchange, decoded responseCode).
    Report,
}

#[derive(Args, Debug, Clone)]
pub struct ExportArgs {
    #[arg(long, value_enum)]
    pub format: ExportFormat,
    /// Write here (atomically) instead of standard output.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    #[command(flatten)]
    pub filter: FilterArgs,
    /// The report's title.
    #[arg(
        long,
        value_name = "TEXT",
        default_value = "SNAP sandbox test evidence"
    )]
    pub title: String,
}

pub fn run(command: HistoryCommand) -> Result<ExitCode, CliError> {
    match command {
        HistoryCommand::List(args) => list(args),
        HistoryCommand::Export(args) => export(args),
    }
}

/// Open the history, saying on stderr what was wrong with the file (the command goes on
/// with what could be read).
fn open() -> Result<HistoryStore, CliError> {
    let paths = AppPaths::discover();
    let (store, report) =
        HistoryStore::open(&paths.data_dir).map_err(|e| CliError::Other(e.to_string()))?;
    for message in report.messages(store.path()) {
        eprintln!("warning: {message}");
    }
    Ok(store)
}

fn query(filter: &FilterArgs) -> Result<Query, CliError> {
    let date =
        |flag: &'static str, value: &Option<String>| -> Result<Option<NaiveDate>, CliError> {
            value
                .as_deref()
                .map(|v| {
                    NaiveDate::parse_from_str(v.trim(), "%Y-%m-%d").map_err(|e| {
                        CliError::input(flag, format!("'{v}' is not a date YYYY-MM-DD ({e})"))
                    })
                })
                .transpose()
        };
    let status = filter
        .status
        .as_deref()
        .map(|s| {
            s.parse::<StatusFilter>()
                .map_err(|e| CliError::input("--status", e))
        })
        .transpose()?;
    Ok(Query {
        text: filter.search.clone().unwrap_or_default(),
        service: filter.service.clone(),
        status,
        from: date("--from", &filter.from)?,
        to: date("--to", &filter.to)?,
    })
}

#[derive(Serialize)]
struct ListJson<'a> {
    entries: Vec<&'a Exchange>,
}

fn list(args: ListArgs) -> Result<ExitCode, CliError> {
    let store = open()?;
    let query = query(&args.filter)?;
    let mut found = store.search(&query);
    if let Some(limit) = args.limit {
        found.truncate(limit);
    }
    let entries: Vec<&Exchange> = found.iter().map(|&i| &store.entries()[i]).collect();
    if args.json {
        let mut text = serde_json::to_string(&ListJson { entries })
            .map_err(|e| CliError::Other(e.to_string()))?;
        text.push('\n');
        emit(&text)?;
        return Ok(ExitCode::SUCCESS);
    }
    if entries.is_empty() {
        eprintln!(
            "no exchanges{} in {}",
            if query.is_empty() { "" } else { " match" },
            store.path().display()
        );
    }
    let mut text = String::new();
    for e in entries {
        text.push_str(&format!(
            "{:<23}  {:<6} {:<10} {:>4}  {:<7}  {}\n",
            short_time(&e.time),
            e.method,
            e.service.as_deref().unwrap_or("-"),
            e.response_status
                .map_or_else(|| "-".to_string(), |s| s.to_string()),
            e.response_code.as_deref().unwrap_or("-"),
            e.url
        ));
    }
    emit(&text)?;
    Ok(ExitCode::SUCCESS)
}

/// `2024-11-29T14:15:00.123+07:00` → `2024-11-29 14:15:00.123` (all times are Jakarta).
fn short_time(time: &str) -> String {
    let time = time.strip_suffix("+07:00").unwrap_or(time);
    time.replacen('T', " ", 1)
}

fn export(args: ExportArgs) -> Result<ExitCode, CliError> {
    let store = open()?;
    let query = query(&args.filter)?;
    // Oldest first: a replay script runs the token request before the payment.
    let mut found = store.search(&query);
    found.reverse();
    let entries: Vec<&Exchange> = found.iter().map(|&i| &store.entries()[i]).collect();
    let text = match args.format {
        ExportFormat::Json => export_json(&entries) + "\n",
        ExportFormat::Curl => export_curl(&entries),
        ExportFormat::Report => export_report(&entries, &args.title),
    };
    match &args.out {
        Some(path) => {
            files::write_atomic(path, text.as_bytes(), Sensitivity::Public)?;
            eprintln!(
                "{} exchange{} written to {}",
                entries.len(),
                if entries.len() == 1 { "" } else { "s" },
                path.display()
            );
        }
        None => emit(&text)?,
    }
    Ok(ExitCode::SUCCESS)
}

/// Write to standard output; a reader that stops early (`| head`) is not an error.
fn emit(text: &str) -> Result<(), CliError> {
    let mut stdout = io::stdout().lock();
    match stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(CliError::Other(format!(
            "cannot write to standard output: {e}"
        ))),
    }
}
