//! `snap-console services`: the catalog with, per service, whether it has a request
//! template and field rules, whether it is answered offline (the sandbox, or the inbox for
//! notifications), and where its facts come from. `--markdown` prints the README's
//! coverage table (a test keeps the README equal to it).

use std::process::ExitCode;

use clap::Args;
use serde::Serialize;

use super::inputs::CliError;
use crate::snap::catalog::{self, Service};
use crate::snap::services::{self, OfflineAnswerer};
use crate::snap::{templates, validate};

#[derive(Args, Debug, Clone)]
pub struct ServicesArgs {
    /// Print one JSON object: `{"services":[{code, id, name, method, path, direction,
    /// template, rules, simulated, sources}]}`.
    #[arg(long)]
    pub json: bool,
    /// Print the README's coverage table (Markdown).
    #[arg(long, conflicts_with = "json")]
    pub markdown: bool,
}

/// One catalog service's coverage. The keys are a contract (`--json`).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ServiceRow {
    pub code: Option<String>,
    pub id: String,
    pub name: String,
    pub method: String,
    /// After the provider's API prefix (`/v1.0/transfer-va/payment`).
    pub path: String,
    /// `partner-to-provider`, or `provider-to-merchant` for notifications.
    pub direction: &'static str,
    pub template: bool,
    pub rules: bool,
    /// Answered offline: by the sandbox, or by the inbox for notifications.
    pub simulated: bool,
    /// `sandbox`, `inbox`, or absent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub answered_by: Option<OfflineAnswerer>,
    pub sources: Vec<String>,
}

#[derive(Serialize)]
struct ServicesReport {
    services: Vec<ServiceRow>,
}

/// Every catalog service, in catalog order.
pub fn rows() -> Vec<ServiceRow> {
    catalog::services().iter().map(row_of).collect()
}

fn row_of(service: &Service) -> ServiceRow {
    let answered_by = services::offline_answerer(service);
    let rules = validate::rules_for(&service.id)
        .is_some_and(|r| !r.fields.is_empty() || !r.params.is_empty());
    ServiceRow {
        code: service.code.clone(),
        id: service.id.clone(),
        name: service.name.clone(),
        method: service.method.clone(),
        path: service.path.clone(),
        direction: if service.inbound {
            "provider-to-merchant"
        } else {
            "partner-to-provider"
        },
        template: templates::has_template(&service.id),
        rules,
        simulated: answered_by.is_some(),
        answered_by,
        sources: services::sources(&service.id),
    }
}

pub fn run(args: ServicesArgs) -> Result<ExitCode, CliError> {
    let rows = rows();
    if args.json {
        let text = serde_json::to_string_pretty(&ServicesReport { services: rows })
            .map_err(|e| CliError::Other(format!("cannot encode the list: {e}")))?;
        println!("{text}");
    } else if args.markdown {
        print!("{}", markdown(&rows));
    } else {
        print!("{}", text(&rows));
    }
    Ok(ExitCode::SUCCESS)
}

fn mark(yes: bool) -> &'static str {
    if yes { "yes" } else { "no" }
}

/// "81 of 81 SNAP services: template 81, rules 81, answered offline 81".
pub fn summary(rows: &[ServiceRow]) -> String {
    let snap: Vec<&ServiceRow> = rows.iter().filter(|r| r.code.is_some()).collect();
    let count = |pick: fn(&ServiceRow) -> bool| snap.iter().filter(|r| pick(r)).count();
    format!(
        "{} SNAP services: template {}, rules {}, answered offline {} (plus {} non-SNAP entries)",
        snap.len(),
        count(|r| r.template),
        count(|r| r.rules),
        count(|r| r.simulated),
        rows.len() - snap.len()
    )
}

fn text(rows: &[ServiceRow]) -> String {
    let mut out = String::new();
    for r in rows {
        out.push_str(&format!(
            "{:<4} {:<45} {:<6} template {:<3} rules {:<3} offline {}\n",
            r.code.as_deref().unwrap_or("--"),
            shorten(&r.name, 45),
            r.method,
            mark(r.template),
            mark(r.rules),
            answered_words(r)
        ));
    }
    out.push_str(&summary(rows));
    out.push('\n');
    out
}

fn answered_words(row: &ServiceRow) -> &'static str {
    match row.answered_by {
        Some(OfflineAnswerer::Sandbox) => "sandbox",
        Some(OfflineAnswerer::Inbox) => "inbox",
        None => "no",
    }
}

fn shorten(text: &str, max: usize) -> String {
    text.chars().take(max).collect()
}

/// The README's coverage table.
pub fn markdown(rows: &[ServiceRow]) -> String {
    let mut out = String::from(
        "| Code | Service | Method | Path | Template | Rules | Answered offline by |\n|---|---|---|---|---|---|---|\n",
    );
    for r in rows {
        out.push_str(&format!(
            "| {} | {} | {} | `{}` | {} | {} | {} |\n",
            r.code.as_deref().unwrap_or("–"),
            r.name.replace('|', "/"),
            r.method,
            r.path,
            mark(r.template),
            mark(r.rules),
            answered_words(r)
        ));
    }
    out.push('\n');
    out.push_str(&summary(rows));
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const BEGIN: &str = "<!-- services:begin (snap-console services --markdown) -->\n";
    const END: &str = "<!-- services:end -->";

    #[test]
    fn every_snap_service_is_covered() {
        let all = rows();
        let snap: Vec<&ServiceRow> = all.iter().filter(|r| r.code.is_some()).collect();
        assert_eq!(snap.len(), 81);
        for row in snap {
            assert!(row.template && row.rules && row.simulated, "{row:?}");
            assert!(!row.sources.is_empty(), "{} names no source", row.id);
        }
        let json = serde_json::to_value(ServicesReport {
            services: all.clone(),
        })
        .unwrap_or_default();
        let first = &json["services"][0];
        for key in [
            "code",
            "id",
            "name",
            "method",
            "path",
            "direction",
            "template",
            "rules",
            "simulated",
            "sources",
        ] {
            assert!(first.get(key).is_some(), "{key} missing: {first}");
        }
        assert!(
            summary(&all)
                .starts_with("81 SNAP services: template 81, rules 81, answered offline 81")
        );
    }

    #[test]
    fn the_readme_table_is_the_commands_output() {
        let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md"))
            .unwrap_or_default();
        let table = readme
            .split_once(BEGIN)
            .and_then(|(_, rest)| rest.split_once(END))
            .map(|(table, _)| table);
        assert_eq!(
            table,
            Some(markdown(&rows()).as_str()),
            "regenerate the README table with: snap-console services --markdown"
        );
    }
}
