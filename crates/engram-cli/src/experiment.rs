//! `engram experiment`: published experiments reproduced as tables (or JSON).

use std::io::Write;

use engram::experiment::krotov2016::{appendix_b, AppendixBRow};
use engram::model::DamSeparation;

use crate::cli::{ExperimentCommand, Krotov2016Args};
use crate::error::{fail, CliResult};

pub(crate) mod clam;
mod implicit;
mod memory;

/// Runs the chosen experiment.
pub fn run(which: &ExperimentCommand) -> CliResult<()> {
    match which {
        ExperimentCommand::Krotov2016(args) => krotov2016(args),
        ExperimentCommand::SequenceCapacity(args) => crate::sequence::run(args),
        ExperimentCommand::CdamModes(args) => crate::cdam::run(args),
        ExperimentCommand::Drdam(args) => memory::drdam(args),
        ExperimentCommand::Uhop(args) => memory::uhop(args),
        ExperimentCommand::Kde(args) => memory::kde(args),
        ExperimentCommand::EnergyTransformer(args) => {
            crate::energy_transformer::run_experiment(args)
        }
        ExperimentCommand::Hierarchical(args) => crate::hierarchical::run(args),
        ExperimentCommand::Implicit(args) => implicit::run(args),
        ExperimentCommand::Clam(args) => clam::run(args),
    }
}

fn krotov2016(args: &Krotov2016Args) -> CliResult<()> {
    if args.starts == 0 {
        return fail("invalid parameter starts: must be at least 1");
    }
    let mut rows: Vec<AppendixBRow> = Vec::new();
    for degree in 2..=6 {
        for sep in [
            DamSeparation::Power { degree },
            DamSeparation::RectifiedPower { degree },
        ] {
            eprintln!("running {} ...", sep.describe());
            rows.push(appendix_b(100, 2000, sep, args.starts, 200, args.seed)?);
        }
    }
    let mut out = std::io::stdout().lock();
    if args.json {
        serde_json::to_writer_pretty(&mut out, &serde_json::json!({ "rows": rows }))?;
        writeln!(out).ok();
        return Ok(());
    }
    writeln!(
        out,
        "Krotov & Hopfield 2016, Appendix B: N = 100, K = 2000, {} random starts each",
        args.starts
    )
    .ok();
    writeln!(
        out,
        "{:<14} {:>10} {:>14} {:>10}",
        "F(x)", "exact", "best overlap", "converged"
    )
    .ok();
    for r in &rows {
        writeln!(
            out,
            "{:<14} {:>9.1}% {:>14.3} {:>9.1}%",
            r.separation,
            100.0 * r.exact_fraction,
            r.mean_best_overlap,
            100.0 * r.converged_fraction
        )
        .ok();
    }
    writeln!(
        out,
        "exact: starts ending on a memory (up to sign for even x^n); paper: n = 2, 3 fail, n = 4 \
         mostly recalls, n >= 5 recalls from all 10000 starts"
    )
    .ok();
    Ok(())
}
