//! `snap-console template SERVICE [--profile P]`: print the body `send` would use without
//! `--body-file`, filled as the window's composer fills it (engine: `snap::fill`).

use std::process::ExitCode;

use clap::Args;

use super::inputs::CliError;
use super::send::{fill_profile, profile_named};
use crate::snap::catalog;
use crate::snap::fill::{self, FillProfile};
use crate::store::paths::AppPaths;
use crate::store::profiles;

#[derive(Args, Debug)]
pub struct TemplateArgs {
    /// A SNAP service code (25), a catalog id (snap-25) or a unique part of its name.
    #[arg(value_name = "SERVICE")]
    pub service: String,
    /// Fill with this profile's partner service ID and client ID (else stand-ins).
    #[arg(long)]
    pub profile: Option<String>,
}

pub fn template(args: TemplateArgs) -> Result<ExitCode, CliError> {
    let service = catalog::find(&args.service).ok_or_else(|| {
        CliError::input(
            "SERVICE",
            format!(
                "unknown or ambiguous service '{}': give a code (25), a catalog id (snap-25) or a unique part of its name",
                args.service.trim()
            ),
        )
    })?;
    let body = match &args.profile {
        Some(name) => {
            let loaded = profiles::load(&AppPaths::discover());
            for problem in &loaded.problems {
                eprintln!("warning: {problem}");
            }
            let profile = profile_named(&loaded.book, name)?;
            let secrets = loaded.book.secrets_of(&profile.id);
            fill::filled_body(service, fill_profile(&profile, &secrets))
        }
        None => fill::filled_body(service, FillProfile::default()),
    };
    match body {
        Some(body) if body.is_empty() => {
            eprintln!("{} ({}) is sent without a body", service.name, service.id);
        }
        Some(body) => println!("{body}"),
        None => {
            return Err(CliError::input(
                "SERVICE",
                format!("{} ({}) has no body template yet", service.name, service.id),
            ));
        }
    }
    Ok(ExitCode::SUCCESS)
}
