//! The command line: the same core as the window, for terminals and scripts.
//!
//! The command names and flags are a contract users script against. Every command prints
//! readable text, or one JSON object with `--json` (camelCase keys). Errors: a one-line
//! message on stderr and exit code 2 (1 is reserved for "ran fine, answer is no", e.g. an
//! invalid signature). Secrets are never taken as plain arguments (they would land in shell
//! history): only through `--…-env VAR` or `--…-file F`.

mod connection;
mod diagnose;
mod history;
mod inbox;
mod inputs;
mod numbers;
mod profile;
mod sandbox;
mod send;
mod services;
mod signing;
mod template;
mod test;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

pub use inputs::CliError;

#[derive(Parser, Debug)]
#[command(
    name = "snap-console",
    version,
    about = "SNAP BI developer console: sign, verify, minify, keys, response codes.",
    long_about = "SNAP BI developer console. With no arguments it opens the window; the \
                  subcommands below use the same core from a terminal."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Build a stringToSign and sign it.
    #[command(subcommand)]
    Sign(signing::SignCommand),
    /// Verify a signature someone else made.
    Verify(signing::VerifyArgs),
    /// Minify a JSON body the way the signature sees it.
    Minify(signing::MinifyArgs),
    /// Generate an RSA key pair (private key PKCS#8, public key SPKI PEM).
    Keygen(signing::KeygenArgs),
    /// Explain a 7-digit SNAP responseCode.
    DecodeCode(signing::DecodeCodeArgs),
    /// Why is my signature rejected? Try the known variants and say which one matches.
    Diagnose(diagnose::DiagnoseArgs),
    /// The recorded requests and responses: list, or export as JSON, cURL or a report.
    #[command(subcommand)]
    History(history::HistoryCommand),
    /// Credential profiles, shared with the window.
    #[command(subcommand)]
    Profile(profile::ProfileCommand),
    /// Send a request as the composer does (token, headers, signature) and record it.
    Send(send::SendArgs),
    /// Print a service's body template, filled as the window fills it.
    Template(template::TemplateArgs),
    /// Listen for what providers send back (notifications, callbacks), check signatures,
    /// answer like a merchant; one line (or JSON object) per request.
    Inbox(inbox::InboxArgs),
    /// Run the local SNAP sandbox on 127.0.0.1 until Ctrl+C.
    Sandbox(sandbox::SandboxArgs),
    /// The SNAP services: template, field rules and offline answer of each.
    Services(services::ServicesArgs),
    /// Run test suites (built-in or files) against a profile; evidence as Markdown/HTML,
    /// .xlsx and JUnit. Exit 0 none failed, 1 some failed, 2 error.
    Test(test::TestArgs),
}

/// Entry point of the binary.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // clap prints help/version to stdout (exit 0) and usage errors to stderr.
            let _ = e.print();
            return if e.use_stderr() {
                ExitCode::from(2)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    let Some(command) = cli.command else {
        // The window lands with the UI issue; until then, say what there is.
        let _ = <Cli as clap::CommandFactory>::command().print_help();
        return ExitCode::SUCCESS;
    };
    match run(command) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}

/// Run one command; `Ok` carries the exit code of a command that ran (0, or 1 for "no").
pub fn run(command: Command) -> Result<ExitCode, CliError> {
    match command {
        Command::Sign(cmd) => signing::sign(cmd),
        Command::Verify(args) => signing::verify(args),
        Command::Minify(args) => signing::minify(args),
        Command::Keygen(args) => signing::keygen(args),
        Command::DecodeCode(args) => signing::decode_code(args),
        Command::Diagnose(args) => diagnose::diagnose(args),
        Command::History(cmd) => history::run(cmd),
        Command::Profile(cmd) => profile::run(cmd),
        Command::Send(args) => send::send(args),
        Command::Template(args) => template::template(args),
        Command::Inbox(args) => inbox::inbox(args),
        Command::Sandbox(args) => sandbox::run(args),
        Command::Services(args) => services::run(args),
        Command::Test(args) => test::run(args),
    }
}
