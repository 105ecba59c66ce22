//! `history list` and `history export`: the history the window and `send` record, from a
//! terminal.

use std::io::{self, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use chrono::NaiveDate;
use clap::{Args, Subcommand, ValueEnum};

use super::inputs::CliError;
use crate::store::history::{
    Direction, Exchange, ExportKind, HistoryStore, Query, StatusFilter, VerdictKind, export,
    write_export,
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
    /// Only what was sent (out) or received from providers (in).
    #[arg(long, value_enum, value_name = "DIRECTION")]
    pub direction: Option<DirectionArg>,
    /// Only inbound exchanges whose signature was valid, invalid or not checked.
    #[arg(long, value_enum, value_name = "VERDICT")]
    pub verdict: Option<VerdictArg>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DirectionArg {
    Out,
    In,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum VerdictArg {
    Valid,
    Invalid,
    NotChecked,
}

#[derive(Args, Debug, Clone)]
pub struct ListArgs {
    #[command(flatten)]
    pub filter: FilterArgs,
    /// Show at most N exchanges (the newest).
    #[arg(long, value_name = "N", allow_negative_numbers = true,
          value_parser = super::numbers::count)]
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
        direction: filter.direction.map(|d| match d {
            DirectionArg::Out => Direction::Outbound,
            DirectionArg::In => Direction::Inbound,
        }),
        verdict: filter.verdict.map(|v| match v {
            VerdictArg::Valid => VerdictKind::Valid,
            VerdictArg::Invalid => VerdictKind::Invalid,
            VerdictArg::NotChecked => VerdictKind::NotChecked,
        }),
    })
}

/// Matches of the query, newest first: the filters from the index, the text streamed
/// from the file (stopping once `limit` are found).
fn find(store: &HistoryStore, query: &Query, limit: Option<usize>) -> Result<Vec<u32>, CliError> {
    let limit = limit.unwrap_or(usize::MAX);
    if !query.has_text() {
        let mut found = store.filter(query);
        found.truncate(limit);
        return Ok(found);
    }
    let found = std::cell::RefCell::new(Vec::new());
    let enough = || found.borrow().len() >= limit;
    store
        .plan(query)
        .run(&enough, &mut |batch| {
            found.borrow_mut().extend_from_slice(batch)
        })
        .map_err(|e| CliError::Other(e.to_string()))?;
    let mut found = found.into_inner();
    found.truncate(limit);
    Ok(found)
}

fn list(args: ListArgs) -> Result<ExitCode, CliError> {
    let store = open()?;
    let query = query(&args.filter)?;
    let found = find(&store, &query, args.limit)?;
    let read = |p: u32| {
        store
            .read(p as usize)
            .map_err(|e| CliError::Other(e.to_string()))
    };
    let mut out = io::BufWriter::new(io::stdout().lock());
    if args.json {
        // One entry in memory at a time: `{"entries":[...]}` written as it is read.
        let mut text = String::from("{\"entries\":[");
        for (n, &p) in found.iter().enumerate() {
            if n > 0 {
                text.push(',');
            }
            text.push_str(
                &serde_json::to_string(&read(p)?).map_err(|e| CliError::Other(e.to_string()))?,
            );
            emit(&mut out, &mut text)?;
        }
        text.push_str("]}\n");
        emit(&mut out, &mut text)?;
        return finish(out);
    }
    if found.is_empty() {
        eprintln!(
            "no exchanges{} in {}",
            if query.is_empty() { "" } else { " match" },
            store.path().display()
        );
    }
    let mut text = String::new();
    for &p in &found {
        text.push_str(&list_line(&read(p)?));
        emit(&mut out, &mut text)?;
    }
    finish(out)
}

fn list_line(e: &Exchange) -> String {
    format!(
        "{:<23}  {:<6} {:<10} {:>4}  {:<7}  {}\n",
        short_time(&e.time),
        e.method,
        e.service.as_deref().unwrap_or("-"),
        e.response_status
            .map_or_else(|| "-".to_string(), |s| s.to_string()),
        e.response_code.as_deref().unwrap_or("-"),
        e.url
    )
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
    let mut found = find(&store, &query, None)?;
    found.reverse();
    let kind = match args.format {
        ExportFormat::Json => ExportKind::Json,
        ExportFormat::Curl => ExportKind::Curl,
        ExportFormat::Report => ExportKind::Report,
    };
    match &args.out {
        Some(path) => {
            export::export_to_file(&store, &found, kind, &args.title, path)
                .map_err(|e| CliError::Other(e.to_string()))?;
            eprintln!(
                "{} exchange{} written to {}",
                found.len(),
                if found.len() == 1 { "" } else { "s" },
                path.display()
            );
        }
        None => {
            let mut out = io::BufWriter::new(io::stdout().lock());
            let written = write_export(&store, &found, kind, &args.title, &mut out);
            match written {
                Err(crate::store::history::HistoryError::Export { source })
                    if source.kind() == io::ErrorKind::BrokenPipe => {}
                Err(e) => return Err(CliError::Other(e.to_string())),
                Ok(()) => {
                    if kind == ExportKind::Json {
                        let mut newline = String::from("\n");
                        emit(&mut out, &mut newline)?;
                    }
                    return finish(out);
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Write (and empty) `text` to standard output; a reader that stops early (`| head`) is
/// not an error (the caller's next write just fails the same way).
fn emit(out: &mut impl Write, text: &mut String) -> Result<(), CliError> {
    let written = out.write_all(text.as_bytes());
    text.clear();
    match written {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(CliError::Other(format!(
            "cannot write to standard output: {e}"
        ))),
    }
}

fn finish(mut out: impl Write) -> Result<ExitCode, CliError> {
    match out.flush() {
        Ok(()) => Ok(ExitCode::SUCCESS),
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(ExitCode::SUCCESS),
        Err(e) => Err(CliError::Other(format!(
            "cannot write to standard output: {e}"
        ))),
    }
}
