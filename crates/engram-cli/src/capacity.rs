//! `engram capacity`: measured storage capacity beside the published formula.

use std::io::Write;
use std::time::Duration;

use engram::experiment::capacity::{
    measure_capacity, theory_capacity, CapacityModel, CapacityOptions, CapacityResult, Criterion,
};
use engram::learn::LearningRule;
use engram::model::DamSeparation;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::cli::{CapacityArgs, CapacityKind};
use crate::error::{fail, CliResult};
use crate::spec::{check_degree, parse_dam_separation};

/// Largest expected capacity the command agrees to measure: the search stores up to twice the
/// capacity, so beyond this the probes take minutes and gigabytes.
const MAX_THEORY: f64 = 100_000.0;

/// The model the options describe.
fn model(args: &CapacityArgs) -> CliResult<CapacityModel> {
    Ok(match args.model {
        CapacityKind::Hopfield => {
            if args.degree.is_some() || args.separation.is_some() {
                return fail("--degree and --separation apply to --model dam, not hopfield");
            }
            CapacityModel::Hopfield(args.rule.unwrap_or(LearningRule::Hebbian))
        }
        CapacityKind::Dam => {
            if args.rule.is_some() {
                return fail("--rule applies to --model hopfield, not dam");
            }
            match (&args.separation, args.degree) {
                (Some(_), Some(_)) => {
                    return fail("give either --separation or --degree, not both")
                }
                (Some(text), None) => CapacityModel::Dense(parse_dam_separation(text)?),
                (None, Some(degree)) => CapacityModel::Dense(DamSeparation::Power {
                    degree: check_degree(degree)?,
                }),
                (None, None) => CapacityModel::Dense(DamSeparation::Power { degree: 3 }),
            }
        }
    })
}

fn describe(criterion: Criterion) -> String {
    match criterion {
        Criterion::MeanOverlap(t) => format!("mean overlap >= {t}"),
        Criterion::Recalled {
            min_overlap,
            fraction,
        } if min_overlap >= 1.0 => format!("{:.0}% recalled exactly", fraction * 100.0),
        Criterion::Recalled {
            min_overlap,
            fraction,
        } => format!("{:.0}% end with overlap >= {min_overlap}", fraction * 100.0),
    }
}

/// Runs the measurement with a progress line on stderr, then prints the result.
pub fn run(args: &CapacityArgs) -> CliResult<()> {
    let model = model(args)?;
    if args.dim < 2 {
        return fail(format!(
            "invalid parameter dim: needs at least 2 neurons, got {}",
            args.dim
        ));
    }
    if args.trials == 0 {
        return fail("invalid parameter trials: must be at least 1");
    }
    let (theory, _) = theory_capacity(model, args.dim);
    if theory > MAX_THEORY {
        return fail(format!(
            "{} at --dim {} is expected to hold about {theory:.3e} patterns, too many to measure \
             (limit {MAX_THEORY:.0}); lower --dim",
            model.name(),
            args.dim
        ));
    }
    let opts = CapacityOptions {
        trials: args.trials,
        seed: args.seed,
        ..CapacityOptions::for_model(model, args.dim)
    };

    let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
    bar.set_style(
        ProgressStyle::with_template("{spinner} {prefix} [{elapsed}] probe {pos}: {msg}")
            .expect("the progress template is valid"),
    );
    bar.set_prefix(format!("{} N={}", model.name(), args.dim));
    bar.set_message("running K=1");
    bar.enable_steady_tick(Duration::from_millis(120));
    let result = measure_capacity(model, &opts, |p| {
        bar.inc(1);
        bar.set_message(format!(
            "K={} {}, overlap {:.3}, recalled {:.0}%",
            p.patterns,
            if p.passed { "passed" } else { "failed" },
            p.mean_overlap,
            p.recalled_fraction * 100.0
        ));
    });
    bar.finish_and_clear();
    let result = result?;

    let mut out = std::io::stdout().lock();
    if args.json {
        serde_json::to_writer_pretty(&mut out, &result)?;
        writeln!(out).ok();
    } else {
        print_table(&mut out, &result, &opts).ok();
    }
    Ok(())
}

fn print_table(
    out: &mut impl Write,
    r: &CapacityResult,
    opts: &CapacityOptions,
) -> std::io::Result<()> {
    writeln!(
        out,
        "capacity of {} at N = {} ({} trial{}, {:.0}% of bits flipped in the cues, pass: {})",
        r.model,
        r.dim,
        opts.trials,
        if opts.trials == 1 { "" } else { "s" },
        opts.flip_fraction * 100.0,
        describe(opts.criterion)
    )?;
    writeln!(
        out,
        "{:>8}  {:>8}  {:>6}  {:>8}  pass",
        "K", "overlap", "exact", "recalled"
    )?;
    let mut probes: Vec<_> = r.probes.iter().collect();
    probes.sort_by_key(|p| p.patterns);
    for p in probes {
        writeln!(
            out,
            "{:>8}  {:>8.3}  {:>5.0}%  {:>7.0}%  {}",
            p.patterns,
            p.mean_overlap,
            p.exact_fraction * 100.0,
            p.recalled_fraction * 100.0,
            if p.passed { "yes" } else { "no" }
        )?;
    }
    let n = r.dim as f64;
    writeln!(
        out,
        "measured: {} patterns ({:.3} N)",
        r.capacity, r.capacity_ratio
    )?;
    writeln!(
        out,
        "theory:   {:.1} patterns ({:.3} N), {}",
        r.theory,
        r.theory / n,
        r.theory_source
    )
}
