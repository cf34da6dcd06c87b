//! `engram experiment cdam-modes`: the four dynamical modes of CDAM (Burns 2024) over the
//! balance of auto- and hetero-association, as a table and a heat map (engram's classification),
//! followed by the range-of-recall experiment of the author's code and the paper's other
//! demonstrations that run here.

use std::io::Write;
use std::time::Duration;

use engram::experiment::cdam::{
    cdam_modes, community_scan, karate_split, range_of_recall, sequence_tracking, CdamAutomaton,
    CommunityRow, FiniteAutomaton, GraphKind, Mode, ModesOptions, ModesRow, RangeOptions, RangeRow,
    SequenceTracking, RANGE_CORRELATION,
};
use engram::experiment::graphs::hierarchical_partition;
use engram::experiment::plot::{heat_map_png, HeatMap, BLUE, GRAY, GREEN, ORANGE};
use engram::model::CdamParams;
use engram::numeric::Rng;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use ndarray::Array2;
use serde::Serialize;

use crate::cli::CdamModesArgs;
use crate::error::{fail, CliResult, Context};

/// The demonstrations printed after the phase table.
#[derive(Serialize)]
struct Demos {
    /// The author's range-of-recall run: attractor correlation against graph distance on a ring
    /// of 30, h = 1 - a.
    range_of_recall: Vec<RangeRow>,
    /// Attractor groups of a two-level planted partition for several `a` (h = 1, β = 50).
    communities: Vec<CommunityRow>,
    /// Agreement of the two-way attractor split of the karate club with its factions.
    karate_accuracy: f64,
    /// A directed cycle of 10 memories replayed with η = 0.5 for three values of `a`.
    sequence: Vec<SequenceTracking>,
    /// Transitions of the modulo-3 automaton the memory got right, out of `automaton_steps`.
    automaton_correct: usize,
    /// Symbols read by the automaton.
    automaton_steps: usize,
}

fn letter(mode: Mode) -> char {
    match mode {
        Mode::Auto => 'A',
        Mode::NarrowHetero => 'N',
        Mode::WideHetero => 'W',
        Mode::Quiescent => 'Q',
    }
}

fn demos(seed: u64) -> CliResult<Demos> {
    let range = range_of_recall(&RangeOptions {
        seed,
        ..RangeOptions::default()
    })?;
    let (adjacency, blocks, supers) = hierarchical_partition(4, 10, 0.8, 0.05, 0.005, 1)?;
    let communities = community_scan(
        &adjacency,
        &blocks,
        Some(&supers),
        &[-0.3, -0.1, 0.05, 0.15, 0.25, 0.3],
        1.0,
        50.0,
        100,
        400,
        seed,
    )?;
    let (_, karate_accuracy) = karate_split(CdamParams::new(0.1, 1.0, 50.0, 0.5), 400, 300, seed)?;
    let sequence = [0.5f32, 0.0, -0.5]
        .iter()
        .map(|&a| sequence_tracking(10, 100, a, 1.0, 50.0, 0.5, 30, seed))
        .collect::<engram::Result<Vec<_>>>()?;
    let mut rng = Rng::new(seed ^ 0xB17);
    let bits: Vec<usize> = (0..100).map(|_| rng.below(2)).collect();
    let automaton = FiniteAutomaton::mod3();
    let net = CdamAutomaton::new(automaton.clone(), 64, 32, 50.0, seed)?;
    let got = net.run(0, &bits)?;
    let want = automaton.run(0, &bits);
    Ok(Demos {
        range_of_recall: range,
        communities,
        karate_accuracy,
        sequence,
        automaton_correct: got.iter().zip(&want).filter(|(g, w)| g == w).count(),
        automaton_steps: bits.len(),
    })
}

/// Runs the sweep and the demonstrations, prints the table or JSON and writes the heat map.
pub fn run(args: &CdamModesArgs) -> CliResult<()> {
    let graph: GraphKind = args.graph.parse()?;
    if args.grid < 2 {
        return fail(format!(
            "invalid parameter grid: needs at least 2 values per axis, got {}",
            args.grid
        ));
    }
    if args.dim == 0 || args.steps == 0 {
        return fail("invalid parameter: --dim and --steps must be at least 1");
    }
    CdamParams::new(0.0, 0.0, args.beta, args.eta).validate()?;
    let values: Vec<f32> = (0..args.grid)
        .map(|k| -1.0 + 2.0 * k as f32 / (args.grid - 1) as f32)
        .collect();
    let opts = ModesOptions {
        graph,
        dim: args.dim,
        beta: args.beta,
        eta: args.eta,
        steps: args.steps,
        a_values: values.clone(),
        h_values: values.clone(),
        seed: args.seed,
    };
    let bar = ProgressBar::with_draw_target(
        Some((values.len() * values.len()) as u64),
        ProgressDrawTarget::stderr(),
    );
    bar.set_style(
        ProgressStyle::with_template("{spinner} CDAM modes on {prefix} [{elapsed}] {pos}/{len}")
            .expect("the progress template is valid"),
    );
    bar.set_prefix(graph.name());
    bar.enable_steady_tick(Duration::from_millis(120));
    let rows = cdam_modes(&opts, |_| bar.inc(1));
    bar.finish_and_clear();
    let rows = rows?;
    write_heat_map(args, &graph, &values, &rows)?;
    let demos = demos(args.seed)?;

    let mut out = std::io::stdout().lock();
    if args.json {
        let value = serde_json::json!({
            "graph": graph.name(),
            "dim": args.dim,
            "beta": args.beta,
            "eta": args.eta,
            "steps": args.steps,
            "rows": rows,
            "demos": demos,
            "png": args.png.display().to_string(),
        });
        serde_json::to_writer_pretty(&mut out, &value)?;
        writeln!(out).ok();
    } else {
        print_table(&mut out, args, &graph, &values, &rows, &demos).ok();
    }
    Ok(())
}

fn write_heat_map(
    args: &CdamModesArgs,
    graph: &GraphKind,
    values: &[f32],
    rows: &[ModesRow],
) -> CliResult<()> {
    let g = values.len();
    let index = |m: Mode| Mode::ALL.iter().position(|&x| x == m).unwrap_or(0);
    let cells = Array2::from_shape_fn((g, g), |(r, c)| index(rows[r * g + c].mode));
    let ticks: Vec<String> = values.iter().map(|v| format!("{v:.2}")).collect();
    let map = HeatMap {
        title: format!(
            "CDAM MODES, {} (BETA={}, ETA={})",
            graph.name().to_uppercase(),
            args.beta,
            args.eta
        ),
        x_label: "A (AUTO-ASSOCIATION)".into(),
        y_label: "H (HETERO-ASSOCIATION)".into(),
        x_ticks: ticks.clone(),
        y_ticks: ticks,
        cells,
        categories: vec![
            (BLUE, "AUTO".into()),
            (GREEN, "NARROW HETERO".into()),
            (ORANGE, "WIDE HETERO".into()),
            (GRAY, "QUIESCENT".into()),
        ],
    };
    heat_map_png(&args.png, &map).context(format!("--png {}", args.png.display()))
}

fn print_table(
    out: &mut impl Write,
    args: &CdamModesArgs,
    graph: &GraphKind,
    values: &[f32],
    rows: &[ModesRow],
    demos: &Demos,
) -> std::io::Result<()> {
    let g = values.len();
    writeln!(
        out,
        "CDAM modes (Burns 2024) on {}: N = {}, beta = {}, eta = {}, {} updates from every memory",
        graph.name(),
        args.dim,
        args.beta,
        args.eta,
        args.steps
    )?;
    writeln!(
        out,
        "A auto, N narrow hetero, W wide hetero, Q quiescent; the number is the share of cues in \
         that mode"
    )?;
    write!(out, "{:>7}", "h \\ a")?;
    for a in values {
        write!(out, "{a:>6.2}")?;
    }
    writeln!(out)?;
    for k in (0..g).rev() {
        write!(out, "{:>7.2}", values[k])?;
        for row in &rows[k * g..(k + 1) * g] {
            let total: usize = row.counts.iter().sum();
            let top = row.counts.iter().max().copied().unwrap_or(0);
            let cell = format!(
                "{}{:.0}",
                letter(row.mode),
                100.0 * top as f64 / total.max(1) as f64
            );
            write!(out, "{cell:>6}")?;
        }
        writeln!(out)?;
    }
    let count = |m: Mode| rows.iter().filter(|r| r.mode == m).count();
    writeln!(
        out,
        "cells: {} auto, {} narrow hetero, {} wide hetero, {} quiescent",
        count(Mode::Auto),
        count(Mode::NarrowHetero),
        count(Mode::WideHetero),
        count(Mode::Quiescent)
    )?;
    writeln!(out)?;
    let opts = RangeOptions::default();
    writeln!(
        out,
        "Range of recall (the author's notebook): ring of {}, N = {}, patterns uniform in [0, 1), \
         beta = {}, eta = {}, {} updates, h = 1 - a",
        opts.nodes, opts.dim, opts.beta, opts.eta, opts.steps
    )?;
    writeln!(
        out,
        "mean correlation of the final states of memories k hops apart (range: last k with \
         correlation >= {RANGE_CORRELATION})"
    )?;
    write!(out, "{:>6} {:>6} {:>6} ", "a", "h", "range")?;
    let width = demos
        .range_of_recall
        .first()
        .map_or(0, |r| r.correlation.len());
    for k in 0..width {
        write!(out, "{:>6}", format!("k={k}"))?;
    }
    writeln!(out)?;
    for r in &demos.range_of_recall {
        write!(out, "{:>6.2} {:>6.2} {:>6} ", r.a, r.h, r.range)?;
        for c in &r.correlation {
            write!(out, "{c:>6.2}")?;
        }
        writeln!(out)?;
    }
    writeln!(
        out,
        "Multi-scale communities: 4 blocks of 10 nodes in 2 super-communities, h = 1, beta = 50"
    )?;
    writeln!(
        out,
        "{:>6}  {:>7}  {:>12}  {:>12}",
        "a", "groups", "Rand blocks", "Rand supers"
    )?;
    for c in &demos.communities {
        writeln!(
            out,
            "{:>6.2}  {:>7}  {:>12.2}  {:>12.2}",
            c.a,
            c.groups,
            c.rand_fine,
            c.rand_coarse.unwrap_or(f64::NAN)
        )?;
    }
    writeln!(
        out,
        "Karate club (Zachary 1977): the two-way split of the attractors matches the factions \
         for {:.0}% of the members",
        100.0 * demos.karate_accuracy
    )?;
    writeln!(
        out,
        "Sequence of 10 memories on a directed cycle (h = 1, eta = 0.5, 30 updates):"
    )?;
    for s in &demos.sequence {
        writeln!(
            out,
            "  a = {:>5.2}: on track for {:>2}/{} updates, smallest cosine to the closest memory \
             {:.2}",
            s.a, s.tracked, s.steps, s.min_cosine
        )?;
    }
    writeln!(
        out,
        "Finite automaton (binary numbers modulo 3): {}/{} transitions right",
        demos.automaton_correct, demos.automaton_steps
    )?;
    writeln!(out, "wrote {}", args.png.display())
}
