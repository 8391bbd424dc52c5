//! The `evident` binary.

mod cli;
mod commands;
mod estate;
mod history;
mod logs;
mod plan;
mod progress;
mod serve;
mod services;
mod snapshot;

use clap::{CommandFactory, FromArgMatches};
use std::process::ExitCode;

/// Exit code for a run that worked and found nothing below the requested level.
pub const EXIT_OK: u8 = 0;
/// Exit code for a service below `--fail-under` (or failing policy tests).
pub const EXIT_BELOW: u8 = 1;
/// Exit code for usage and configuration errors.
pub const EXIT_USAGE: u8 = 2;

fn init_tracing(verbose: u8) {
    let default = match verbose {
        0 => "warn",
        1 => "info",
        2 => "debug",
        _ => "trace",
    };
    let mut filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    // tokei traces every line it classifies, source text included (a secret written in a
    // repository's file would reach the log), and warns of every file extension it does
    // not know. Only its errors are shown, even under RUST_LOG=trace.
    if let Ok(quiet) = "tokei=error".parse() {
        filter = filter.add_directive(quiet);
    }
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(logs::RedactingStderr)
        .with_ansi(commands::use_color_on_stderr())
        .try_init();
}

/// Whether `err` is stdout closed under us (EPIPE), anywhere in its chain.
fn broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|e| {
        e.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

fn main() -> ExitCode {
    let matches = cli::Cli::command().get_matches();
    let cli = cli::Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
    cli::record_given(&matches);
    init_tracing(cli.verbose);
    match commands::run(cli) {
        Ok(code) => ExitCode::from(code),
        // A reader that stopped reading (`| head -1`) is not an error of the run.
        Err(err) if broken_pipe(&err) => ExitCode::from(EXIT_OK),
        Err(err) => {
            use std::io::Write as _;
            let _ = writeln!(
                std::io::stderr(),
                "{}",
                logs::redact(&format!("error: {err:#}"))
            );
            ExitCode::from(EXIT_USAGE)
        }
    }
}
