//! `engram`: the command-line face of the engram library.
//!
//! * `engram` (or `engram recall`): the digits demo, several models side by side.
//! * `engram recall --memory X.npy --queries Q.npy --model ... --out R.npy`: recall from files.
//! * `engram capacity --model hopfield|dam --dim N`: measured capacity beside theory.
//! * `engram experiment NAME`: a published experiment reproduced as a table (krotov2016,
//!   sequence-capacity, cdam-modes).
//! * `engram bench`: retrieval speed on fixed shapes beside the machine's measured limits.
//!
//! Every failure prints one line `error: ...` on stderr and exits with status 2.

mod bench;
mod capacity;
mod cdam;
mod cli;
mod cluster;
mod demo;
mod energy_transformer;
mod error;
mod experiment;
mod files;
mod hierarchical;
mod sequence;
mod spec;

use std::process::ExitCode;

use clap::error::ErrorKind;
use clap::Parser;

use crate::cli::{Cli, Command};
use crate::error::{CliError, CliResult};

/// Exit status of every failure (the status clap uses for usage errors).
const FAILURE: u8 = 2;

fn main() -> ExitCode {
    // A bug must still end in one line, not a backtrace.
    std::panic::set_hook(Box::new(|info| {
        let message = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".into());
        let place = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        eprintln!(
            "{}",
            CliError(format!("error: internal error: {message}{place}"))
        );
    }));
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return usage_error(e),
    };
    match std::panic::catch_unwind(|| run(cli)) {
        Ok(Ok(())) => ExitCode::SUCCESS,
        Ok(Err(e)) => {
            eprintln!("error: {e}");
            ExitCode::from(FAILURE)
        }
        Err(_) => ExitCode::from(FAILURE),
    }
}

/// Prints help and version as clap does; folds any other parse error onto one `error:` line.
fn usage_error(e: clap::Error) -> ExitCode {
    if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) {
        e.print().ok();
        return ExitCode::SUCCESS;
    }
    let text = e.render().to_string();
    // clap's message ends with a blank line and a usage hint; keep what comes before.
    let message: Vec<&str> = text
        .lines()
        .take_while(|l| !l.trim().is_empty())
        .map(str::trim)
        .collect();
    let message = message.join(" ");
    let message = message.strip_prefix("error: ").unwrap_or(&message);
    eprintln!("error: {}", CliError(message.to_string()));
    ExitCode::from(FAILURE)
}

fn run(cli: Cli) -> CliResult<()> {
    if let Some(threads) = cli.threads {
        engram::set_threads(threads)?;
    }
    match cli.command {
        Some(Command::Recall(args)) => recall(&args),
        Some(Command::Capacity(args)) => capacity::run(&args),
        Some(Command::Experiment(which)) => experiment::run(&which),
        Some(Command::Bench(args)) => bench::run(&args),
        Some(Command::Cluster(args)) => cluster::run(&args),
        None => {
            // `engram` alone is `engram recall` with every default.
            let defaults =
                Cli::try_parse_from(["engram", "recall"]).map_err(|e| CliError(e.to_string()))?;
            match defaults.command {
                Some(Command::Recall(args)) => recall(&args),
                _ => unreachable!("parsed `engram recall`"),
            }
        }
    }
}

fn recall(args: &cli::RecallArgs) -> CliResult<()> {
    match &args.memory {
        Some(memory) => files::run(args, memory),
        None => demo::run(args),
    }
}
