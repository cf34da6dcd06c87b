//! `engram experiment sequence-capacity`: measured sequence capacity against N beside the laws of
//! Chaudhry et al. 2023, a log-log plot, and the generalized pseudoinverse on correlated patterns.

use std::io::Write;
use std::time::Duration;

use engram::experiment::plot::{log_log_plot, Series, Style, BLUE, GREEN, ORANGE, RED};
use engram::experiment::sequence::{
    correlated_demo, exp_pair_limit, gaussian_sequence_capacity, sequence_capacity,
    sequence_capacity_theory, starting_reference, CorrelatedRow, SequenceCapacityOptions,
    SequenceCapacityResult,
};
use engram::model::DamSeparation;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::cli::{SequenceCapacityArgs, SequenceKind};
use crate::error::{fail, CliResult, Context};
use crate::spec::check_degree;

/// Largest starting reference length the command agrees to measure: probes store twice that
/// many patterns and cost `P² N` each.
const MAX_REFERENCE: f64 = 50_000.0;

fn separation(args: &SequenceCapacityArgs) -> CliResult<DamSeparation> {
    Ok(match args.model {
        SequenceKind::Classical | SequenceKind::Exp if args.degree.is_some() => {
            return fail("--degree applies to --model poly only")
        }
        SequenceKind::Classical => DamSeparation::Power { degree: 1 },
        SequenceKind::Poly => DamSeparation::Power {
            degree: check_degree(args.degree.unwrap_or(2))?,
        },
        SequenceKind::Exp => DamSeparation::Exp { beta: 1.0 },
    })
}

fn default_dims(sep: DamSeparation) -> Vec<usize> {
    match sep {
        DamSeparation::Power { degree: 1 } => vec![100, 200, 400, 800],
        DamSeparation::Power { degree: 2 } => vec![50, 100, 200, 400],
        DamSeparation::Exp { .. } => vec![8, 10, 12, 14, 16],
        _ => vec![20, 30, 50],
    }
}

fn title(sep: DamSeparation) -> String {
    match sep {
        DamSeparation::Power { degree: 1 } => "classical (f(m) = m)".into(),
        DamSeparation::Power { degree } => format!("poly d={degree} (f(m) = m^{degree})"),
        _ => "exp (f(m) = exp((N-1)(m-1)))".into(),
    }
}

/// Runs the measurement with a progress line on stderr, prints the table or JSON, writes the PNG.
pub fn run(args: &SequenceCapacityArgs) -> CliResult<()> {
    let sep = separation(args)?;
    let dims = args.dims.clone().unwrap_or_else(|| default_dims(sep));
    if dims.is_empty() {
        return fail("--dims needs at least one N");
    }
    if let Some(&n) = dims.iter().find(|&&n| n < 4) {
        return fail(format!(
            "invalid parameter dims: N must be at least 4, got {n}"
        ));
    }
    let mut distinct = dims.clone();
    distinct.sort_unstable();
    distinct.dedup();
    if distinct.len() < 2 {
        return fail("--dims needs at least two different N to fit a scaling law");
    }
    if args.trials == 0 {
        return fail("invalid parameter trials: must be at least 1");
    }
    for &n in &dims {
        let reference = starting_reference(sep, n);
        if reference > MAX_REFERENCE {
            return fail(format!(
                "{} at N = {n} is expected to hold about {reference:.3e} patterns, too many to \
                 measure (limit {MAX_REFERENCE:.0}); lower --dims",
                title(sep)
            ));
        }
    }
    let opts = SequenceCapacityOptions {
        trials: args.trials,
        seed: args.seed,
        ..SequenceCapacityOptions::default()
    };

    let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
    bar.set_style(
        ProgressStyle::with_template("{spinner} {prefix} [{elapsed}] probe {pos}: {msg}")
            .expect("the progress template is valid"),
    );
    bar.set_prefix(format!("sequence capacity, {}", title(sep)));
    bar.enable_steady_tick(Duration::from_millis(120));
    let result = sequence_capacity(sep, &dims, &opts, |n, trial, len, ok| {
        bar.inc(1);
        bar.set_message(format!(
            "N={n} trial {} length {len} {}",
            trial + 1,
            if ok { "recalled" } else { "failed" }
        ));
    });
    bar.finish_and_clear();
    let result = result?;
    let correlated = correlated_demo(sep, args.seed)?;
    write_plot(args, sep, &result)?;

    let mut out = std::io::stdout().lock();
    if args.json {
        let mut value = serde_json::to_value(&result)?;
        if let Some(object) = value.as_object_mut() {
            object.insert("correlated".into(), serde_json::to_value(&correlated)?);
            object.insert(
                "png".into(),
                serde_json::Value::String(args.png.display().to_string()),
            );
        }
        serde_json::to_writer_pretty(&mut out, &value)?;
        writeln!(out).ok();
    } else {
        print_table(&mut out, sep, &result, &correlated, args).ok();
    }
    Ok(())
}

fn write_plot(
    args: &SequenceCapacityArgs,
    sep: DamSeparation,
    result: &SequenceCapacityResult,
) -> CliResult<()> {
    let sequences = result.rows.first().map_or(1, |r| r.sequences);
    let lo = result.rows.iter().map(|r| r.dim).min().unwrap_or(4) as f64;
    let hi = result.rows.iter().map(|r| r.dim).max().unwrap_or(4) as f64;
    // Theory curves on a fine grid of integer N between the measured sizes.
    let grid: Vec<usize> = {
        let mut g: Vec<usize> = (0..=40)
            .map(|k| (lo * (hi / lo).powf(k as f64 / 40.0)).round() as usize)
            .collect();
        g.dedup();
        g
    };
    let curve = |f: &dyn Fn(usize) -> f64| grid.iter().map(|&n| (n as f64, f(n))).collect();
    let mut series = vec![
        Series::new(
            "measured",
            result
                .rows
                .iter()
                .map(|r| (r.dim as f64, r.capacity))
                .collect(),
            BLUE,
            Style::LineMarkers,
        ),
        Series::new(
            "paper law",
            curve(&|n| sequence_capacity_theory(sep, n)),
            RED,
            Style::Line,
        ),
        Series::new(
            "gaussian, finite N",
            curve(&|n| gaussian_sequence_capacity(sep, n, sequences)),
            GREEN,
            Style::Line,
        ),
    ];
    if matches!(sep, DamSeparation::Exp { .. }) {
        series.push(Series::new(
            "pair limit",
            curve(&|n| exp_pair_limit(n, sequences)),
            ORANGE,
            Style::Line,
        ));
    }
    let name = match sep {
        DamSeparation::Power { degree: 1 } => "CLASSICAL".to_string(),
        DamSeparation::Power { degree } => format!("POLY D={degree}"),
        _ => "EXP".to_string(),
    };
    log_log_plot(
        &args.png,
        &format!("SEQUENCE CAPACITY, {name}"),
        "N (NEURONS)",
        "P (SEQUENCE LENGTH)",
        &series,
    )
    .context(format!("--png {}", args.png.display()))
}

fn print_table(
    out: &mut impl Write,
    sep: DamSeparation,
    r: &SequenceCapacityResult,
    correlated: &[CorrelatedRow],
    args: &SequenceCapacityArgs,
) -> std::io::Result<()> {
    let exp = matches!(sep, DamSeparation::Exp { .. });
    writeln!(
        out,
        "Sequence capacity, {} (Chaudhry et al. 2023): cyclic sequences of random +-1 patterns,",
        title(sep)
    )?;
    writeln!(
        out,
        "own term excluded, overlaps / (N-1), synchronous updates; {} trial{} per N, each the \
         longest length at which {} fresh sequences are all recalled (start 2 P_S, -1% per miss)",
        args.trials,
        if args.trials == 1 { "" } else { "s" },
        r.rows.first().map_or(0, |row| row.sequences)
    )?;
    write!(
        out,
        "{:>6}  {:>10}  {:>10}  {:>6}  {:>10}",
        "N", "measured", "law P_S", "ratio", "gaussian"
    )?;
    if exp {
        write!(out, "  {:>10}", "pair limit")?;
    }
    writeln!(out, "  {:>6}", "probes")?;
    for row in &r.rows {
        write!(
            out,
            "{:>6}  {:>10.1}  {:>10.1}  {:>6.2}  {:>10.1}",
            row.dim, row.capacity, row.theory, row.ratio, row.theory_gaussian
        )?;
        if let Some(pair) = row.pair_limit {
            write!(out, "  {pair:>10.1}")?;
        }
        writeln!(
            out,
            "  {:>6}{}",
            row.probes,
            if row.lower_bound {
                "  (lower bound)"
            } else {
                ""
            }
        )?;
    }
    writeln!(
        out,
        "fitted exponent ({}): {:.3}; the law over the same N: {:.3}",
        r.exponent_kind, r.exponent, r.theory_exponent
    )?;
    if let (Some(c), Some(t)) = (r.constant, r.theory_constant) {
        writeln!(
            out,
            "fitted constant c in P_S = c N^d / ln N: {c:.4}; the law's: {t:.4} (measured / law \
             {:.2})",
            c / t
        )?;
    }
    writeln!(out, "law: {}", r.law)?;
    writeln!(
        out,
        "gaussian: the law's own argument without its large-N simplifications, for the same \
         number of sequences (engram's)"
    )?;
    if exp {
        writeln!(
            out,
            "pair limit: 2^((N+1)/2)/sqrt(N S), where pairs of patterns agreeing on N-1 neurons \
             start to spoil bits in one of the S sequences (engram's)"
        )?;
    }
    writeln!(out)?;
    writeln!(
        out,
        "Correlated sequences, {}: plain (Hebbian) rule vs generalized pseudoinverse",
        sep.describe()
    )?;
    writeln!(
        out,
        "{:<34} {:<14} {:>4} {:>4} {:>8} {:>12} {:>9}",
        "patterns", "rule", "N", "P", "overlap", "exact steps", "recalled"
    )?;
    for c in correlated {
        writeln!(
            out,
            "{:<34} {:<14} {:>4} {:>4} {:>8.2} {:>12} {:>9}",
            c.patterns,
            c.rule,
            c.dim,
            c.length,
            c.mean_overlap,
            format!("{}/{}", c.exact_transitions, c.length),
            if c.recalled { "yes" } else { "no" }
        )?;
    }
    writeln!(out, "wrote {}", args.png.display())
}
