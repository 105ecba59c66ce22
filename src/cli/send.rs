//! `snap-console send`: what the composer's Send does, from a terminal. The access token
//! is fetched when the service needs one, headers and signature are made as the composer
//! makes them, every exchange (the token request too) is recorded in the history with its
//! secrets redacted, and the response is printed.
//!
//! Exit codes: 0 when a response came back, whatever its status (the request was made; a
//! 4xx is an answer); 2 when the request could not be made (bad input, server down,
//! timeout, TLS failure, token refused).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use serde_json::{Map, Value, json};

use super::inputs::{self, CliError};
use crate::flows;
use crate::flows::history::FileRecorder;
use crate::net::client::decode::describe_response;
use crate::net::client::flow::Run;
use crate::net::client::token::TokenCache;
use crate::net::client::{HeaderOverride, RequestDraft};
use crate::snap::catalog::{self, Service};
use crate::snap::{fill, templates};
use crate::store::paths::AppPaths;
use crate::store::profiles::{self, Profile, ProfileBook, ProfileSecrets};

#[derive(Args, Debug)]
pub struct SendArgs {
    /// The profile's name (or id).
    #[arg(long)]
    pub profile: String,
    /// A SNAP service code (25), a catalog id (snap-25) or a unique part of its name.
    #[arg(long, value_name = "CODE|NAME")]
    pub service: String,
    /// The request body; `-` reads standard input; absent means the service's template,
    /// filled as the window fills it (`snap-console template SERVICE` shows one).
    #[arg(long, value_name = "FILE|-")]
    pub body_file: Option<PathBuf>,
    /// 'Name: value'; replaces the automatic header of that name (X-TIMESTAMP, …) or adds
    /// one. Repeatable. An Authorization header skips the automatic token.
    #[arg(long = "header", value_name = "'K: V'")]
    pub headers: Vec<String>,
    /// Print one JSON object (camelCase keys) instead of text.
    #[arg(long)]
    pub json: bool,
    /// Yes, send the profile's private key (ASPI's signature-auth utility, Private_Key
    /// header) to a host that is not this machine. Without it such a request is refused.
    #[arg(long)]
    pub confirm_private_key_to_remote_host: bool,
}

pub fn send(args: SendArgs) -> Result<ExitCode, CliError> {
    let paths = AppPaths::discover();
    let loaded = profiles::load(&paths);
    for problem in &loaded.problems {
        eprintln!("warning: {problem}");
    }
    let book = loaded.book;
    let profile = profile_named(&book, &args.profile)?;
    let secrets = book.secrets_of(&profile.id);
    let service = catalog::find(&args.service).ok_or_else(|| {
        CliError::input(
            "--service",
            format!(
                "unknown or ambiguous service '{}': give a code (25), a catalog id (snap-25) or a unique part of its name",
                args.service.trim()
            ),
        )
    })?;
    // One set of fresh values for the template body and a GET service's path, as in the
    // window's composer.
    let values = fill::fresh_values(service, fill_profile(&profile, &secrets));
    let body = match args.body_file.as_deref() {
        Some(path) => inputs::read_body(Some(path))?,
        None => templates::body_for(&service.id, &values).unwrap_or_default(),
    };
    let overrides = parse_headers(&args.headers)?;

    let mut draft = RequestDraft::new(&profile, service);
    draft.path = templates::fill_path(&draft.path, &service.id, &values);
    draft.body = body;
    draft.header_overrides = overrides;
    draft.confirm_private_key_to_remote_host = args.confirm_private_key_to_remote_host;

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::Other(format!("cannot start the async runtime: {e}")))?;
    // One process, one send: the token cache lives for this call only.
    let tokens = TokenCache::new();
    let recorder = std::sync::Arc::new(FileRecorder::new(paths.data_dir.clone()));
    let sent = runtime.block_on(flows::send::send(
        &profile, &secrets, service, &draft, &tokens, None, recorder,
    ));
    let run = sent.run;
    let history_problems: Vec<String> = sent.history_problem.into_iter().collect();

    let code = if args.json {
        print_json(&run, service, &history_problems)
    } else {
        print_text(&run, &history_problems)
    };
    Ok(code)
}

/// The profile of that name (or id), or an error that lists the known names.
pub(super) fn profile_named(book: &ProfileBook, wanted: &str) -> Result<Profile, CliError> {
    let wanted = wanted.trim();
    book.by_name(wanted)
        .or_else(|| book.profiles.iter().find(|p| p.id == wanted))
        .cloned()
        .ok_or_else(|| {
            let names: Vec<&str> = book.profiles.iter().map(|p| p.name.as_str()).collect();
            let known = if names.is_empty() {
                "there are no profiles yet (snap-console profile add …)".to_string()
            } else {
                format!("known: {}", names.join(", "))
            };
            CliError::input("--profile", format!("no profile named '{wanted}'; {known}"))
        })
}

/// What of a profile goes into a template.
pub(super) fn fill_profile<'a>(
    profile: &'a Profile,
    secrets: &'a ProfileSecrets,
) -> fill::FillProfile<'a> {
    fill::FillProfile {
        partner_service_id: &profile.partner_service_id,
        client_id: &profile.client_id,
        client_secret: secrets.client_secret.expose(),
    }
}

/// `Name: value` → an override of that header (the build step treats a name that is not
/// an automatic header as an extra one).
fn parse_headers(raw: &[String]) -> Result<Vec<HeaderOverride>, CliError> {
    raw.iter()
        .enumerate()
        .map(|(i, text)| {
            let Some((name, value)) = text.split_once(':') else {
                // The text is not echoed: it may be an Authorization value.
                return Err(CliError::input(
                    "--header",
                    format!("header #{} has no ':'; write it as 'Name: value'", i + 1),
                ));
            };
            let name = name.trim();
            if name.is_empty() {
                return Err(CliError::input(
                    "--header",
                    format!("header #{} has an empty name", i + 1),
                ));
            }
            Ok(HeaderOverride::set(name, value.trim()))
        })
        .collect()
}

fn print_text(run: &Run, history_problems: &[String]) -> ExitCode {
    if let Some(built) = &run.built {
        for warning in &built.warnings {
            eprintln!("warning: {warning}");
        }
        for problem in &built.field_problems {
            eprintln!("field {}: {}", problem.field, problem.message);
        }
    }
    for problem in history_problems {
        eprintln!("warning: {problem}");
    }
    let record = match &run.outcome {
        Ok(record) => record,
        Err(e) => {
            if let Some(attempt) = &run.token_attempt
                && let Ok(response) = &attempt.response
                && !(200..300).contains(&response.status)
            {
                eprintln!("{}", String::from_utf8_lossy(&response.body));
            }
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let Some(built) = &run.built else {
        return ExitCode::from(2);
    };
    let summary = describe_response(record.status, &record.headers, &record.body);
    println!("{} {}", built.method, built.url);
    println!(
        "HTTP {} in {:.1} ms (headers {:.1} ms), {} bytes{}",
        record.status,
        record.total_ms,
        record.headers_ms,
        record.size,
        if record.truncated { ", truncated" } else { "" }
    );
    match (&summary.response_code, &summary.decoded) {
        (Some(code), Some(decoded)) => println!("responseCode {code}: {}", decoded.summary()),
        (Some(code), None) => println!(
            "responseCode {code}: {}",
            summary.code_problem.as_deref().unwrap_or("not a SNAP code")
        ),
        _ => {}
    }
    if let Some(message) = &summary.response_message {
        println!("responseMessage {message}");
    }
    if let Some(mismatch) = &summary.mismatch {
        println!("note: {mismatch}");
    }
    for (name, value) in &summary.explain {
        println!("sandbox says ({name}): {value}");
    }
    println!();
    for (name, value) in &record.headers {
        // The explanation headers were shown above, in words.
        if !summary.explain.iter().any(|(n, _)| n == name) {
            println!("{name}: {value}");
        }
    }
    println!();
    match &summary.pretty_body {
        Some(pretty) => println!("{pretty}"),
        None => println!("{}", String::from_utf8_lossy(&record.body)),
    }
    ExitCode::SUCCESS
}

fn print_json(run: &Run, service: &Service, history_problems: &[String]) -> ExitCode {
    let mut out = Map::new();
    let request = run.built.as_ref().map(|b| {
        json!({
            "method": b.method,
            "url": b.url,
            "service": service.id,
            "serviceTitle": service.title(),
        })
    });
    out.insert("request".into(), request.unwrap_or(Value::Null));
    if let Some(attempt) = &run.token_attempt {
        out.insert(
            "token".into(),
            // The token itself is never printed: it is in the history, redacted.
            json!({
                "fetched": true,
                "method": attempt.built.method,
                "url": attempt.built.url,
                "status": attempt.response.as_ref().ok().map(|r| r.status),
                "responseCode": attempt.response.as_ref().ok().and_then(|r| {
                    describe_response(r.status, &r.headers, &r.body).response_code
                }),
                "ok": run.token.is_some(),
            }),
        );
    }
    let (warnings, problems) = match &run.built {
        Some(b) => (
            b.warnings.clone(),
            serde_json::to_value(&b.field_problems).unwrap_or(Value::Null),
        ),
        None => (Vec::new(), Value::Array(Vec::new())),
    };
    out.insert("warnings".into(), json!(warnings));
    out.insert("fieldProblems".into(), problems);
    if !history_problems.is_empty() {
        out.insert("historyProblems".into(), json!(history_problems));
    }
    let code = match &run.outcome {
        Ok(record) => {
            let summary = describe_response(record.status, &record.headers, &record.body);
            out.insert("ok".into(), json!(true));
            out.insert("status".into(), json!(record.status));
            out.insert("responseCode".into(), json!(summary.response_code));
            out.insert("responseMessage".into(), json!(summary.response_message));
            out.insert(
                "decoded".into(),
                serde_json::to_value(&summary.decoded).unwrap_or(Value::Null),
            );
            out.insert(
                "meaning".into(),
                json!(summary.decoded.as_ref().map(|d| d.summary())),
            );
            out.insert("mismatch".into(), json!(summary.mismatch));
            let mut headers = Map::new();
            for (name, value) in &record.headers {
                let key = name.to_ascii_lowercase();
                // Repeated headers are joined, as HTTP allows.
                let joined = match headers.get(&key).and_then(Value::as_str) {
                    Some(existing) => format!("{existing}, {value}"),
                    None => value.clone(),
                };
                headers.insert(key, Value::String(joined));
            }
            out.insert("headers".into(), Value::Object(headers));
            let explain: Map<String, Value> = summary
                .explain
                .iter()
                .map(|(n, v)| (n.to_ascii_lowercase(), Value::String(v.clone())))
                .collect();
            out.insert("explain".into(), Value::Object(explain));
            let body = match serde_json::from_slice::<Value>(&record.body) {
                Ok(value) if summary.is_json => value,
                _ => Value::String(String::from_utf8_lossy(&record.body).into_owned()),
            };
            out.insert("bodyIsJson".into(), json!(summary.is_json));
            out.insert("body".into(), body);
            out.insert("bodyTruncated".into(), json!(record.truncated));
            out.insert("size".into(), json!(record.size));
            out.insert(
                "timings".into(),
                json!({"totalMs": record.total_ms, "headersMs": record.headers_ms}),
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            out.insert("ok".into(), json!(false));
            out.insert("error".into(), json!(e.to_string()));
            out.insert("errorKind".into(), json!(e.kind()));
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    };
    match serde_json::to_string_pretty(&Value::Object(out)) {
        Ok(text) => println!("{text}"),
        Err(e) => {
            eprintln!("error: cannot encode the answer: {e}");
            return ExitCode::from(2);
        }
    }
    code
}
