//! `engram experiment hierarchical`: masked-digit completion by a two-layer and a three-layer
//! (hierarchical) memory in the Lagrangian framework, as a table (or JSON) and a PNG.

use std::io::Write;
use std::path::PathBuf;

use clap::Args;
use engram::experiment::hierarchical::{
    hierarchical_completion, HierarchicalOptions, HierarchicalResult,
};
use engram::pattern::digits::Digits;
use engram::pattern::png::write_grid_png;
use ndarray::{s, ArrayView2};

use crate::error::{CliResult, Context};

const HIERARCHICAL_HELP: &str = "\
Stores --memories digits (pixels / 16) as the memory layer of two networks and completes
--queries other digits with half of their pixels hidden (lower half; right half), the observed
pixels clamped, by Euler descent of the energy:
  2-layer  pixels (identity) <-> memories (softmax beta-memory, instantaneous), each memory
           biased by -|xi|^2/2 through a clamped bias neuron (competition by distance);
  3-layer  the same plus a class layer (10 softmax neurons, beta-class) fed by each memory
           with weight --class-weight: the classes vote, the memories follow (Krotov 2021).
Columns: hidden mse = mean squared error on the hidden pixels; completion = completed digit
nearest to the mean of its own class; memory = most active memory has the query's label;
class = most active class neuron is the label; steps; mean energy at the start and end; the
largest one-step energy rise over all queries (0: the energy never rose).
Writes a PNG (--png): per mask, columns original | cue | 2-layer | 3-layer, first 10 queries.

Examples:
  engram experiment hierarchical
  engram experiment hierarchical --memories 200 --queries 50 --json";

/// Options of `engram experiment hierarchical`.
#[derive(Debug, Args)]
#[command(after_help = HIERARCHICAL_HELP)]
pub struct HierarchicalArgs {
    /// Stored training digits (the memory layer's size).
    #[arg(long, default_value_t = 500, value_name = "K")]
    pub memories: usize,

    /// Test digits completed per mask.
    #[arg(long, default_value_t = 300, value_name = "Q")]
    pub queries: usize,

    /// Inverse temperature of the memory layer.
    #[arg(
        long,
        default_value_t = 2.0,
        allow_negative_numbers = true,
        value_name = "B"
    )]
    pub beta_memory: f64,

    /// Inverse temperature of the class layer.
    #[arg(
        long,
        default_value_t = 1.0,
        allow_negative_numbers = true,
        value_name = "B"
    )]
    pub beta_class: f64,

    /// Weight of the memory-to-class synapse.
    #[arg(
        long,
        default_value_t = 4.0,
        allow_negative_numbers = true,
        value_name = "A"
    )]
    pub class_weight: f64,

    /// Euler step of the descent.
    #[arg(
        long,
        default_value_t = 0.5,
        allow_negative_numbers = true,
        value_name = "DT"
    )]
    pub step: f64,

    /// Largest number of descent steps.
    #[arg(long, default_value_t = 200, value_name = "S")]
    pub max_steps: usize,

    /// Seed of the split between memories and queries.
    #[arg(long, default_value_t = 2021, value_name = "SEED")]
    pub seed: u64,

    /// Where to write the picture of the completions.
    #[arg(long, default_value = "hierarchical.png", value_name = "PATH")]
    pub png: PathBuf,

    /// Print the result as one JSON object (`rows`, each with its mean energy trace).
    #[arg(long)]
    pub json: bool,
}

/// Runs the experiment.
pub fn run(args: &HierarchicalArgs) -> CliResult<()> {
    let opts = HierarchicalOptions {
        memories: args.memories,
        queries: args.queries,
        beta_memory: args.beta_memory,
        beta_class: args.beta_class,
        class_weight: args.class_weight,
        step: args.step,
        max_steps: args.max_steps,
        seed: args.seed,
        ..HierarchicalOptions::default()
    };
    let result = hierarchical_completion(&opts)?;
    write_png(args, &result)?;
    let mut out = std::io::stdout().lock();
    if args.json {
        serde_json::to_writer_pretty(&mut out, &serde_json::json!({ "rows": result.rows }))?;
        writeln!(out).ok();
        return Ok(());
    }
    print_table(&mut out, &opts, &result).ok();
    Ok(())
}

fn print_table(
    out: &mut impl Write,
    opts: &HierarchicalOptions,
    result: &HierarchicalResult,
) -> std::io::Result<()> {
    writeln!(
        out,
        "Hierarchical memory (Krotov 2021) on the digits: {} stored, {} completed per mask; \
         beta memory {}, beta class {}, class weight {}, step {}",
        opts.memories,
        opts.queries,
        opts.beta_memory,
        opts.beta_class,
        opts.class_weight,
        opts.step
    )?;
    writeln!(
        out,
        "{:<8} {:<18} {:>10} {:>10} {:>7} {:>7} {:>6} {:>9} {:>9} {:>9}",
        "network",
        "mask",
        "hidden mse",
        "completion",
        "memory",
        "class",
        "steps",
        "E start",
        "E end",
        "max rise"
    )?;
    for r in &result.rows {
        writeln!(
            out,
            "{:<8} {:<18} {:>10.4} {:>9.1}% {:>6.1}% {:>7} {:>6.1} {:>9.3} {:>9.3} {:>9.1e}",
            r.network,
            r.mask,
            r.hidden_mse,
            100.0 * r.completion_accuracy,
            100.0 * r.memory_accuracy,
            r.class_accuracy
                .map_or("-".to_string(), |c| format!("{:.1}%", 100.0 * c)),
            r.mean_steps,
            r.energy_start,
            r.energy_end,
            r.max_energy_rise
        )?;
    }
    Ok(())
}

fn write_png(args: &HierarchicalArgs, result: &HierarchicalResult) -> CliResult<()> {
    let shown = result.originals.nrows().min(10);
    let mut panels: Vec<ArrayView2<f32>> = Vec::new();
    for (_, pictures) in &result.completions {
        panels.push(result.originals.slice(s![..shown, ..]));
        for p in pictures {
            panels.push(p.slice(s![..shown, ..]));
        }
    }
    write_grid_png(&args.png, &panels, Digits::IMAGE_SHAPE, 8).context("--png")
}
