//! `engram experiment implicit`: implicit differentiation against unrolled backpropagation.

use std::io::Write;

use engram::experiment::implicit::{run as run_experiment, ImplicitConfig, ImplicitReport};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::cli::ImplicitArgs;
use crate::error::CliResult;

/// Runs `engram experiment implicit`.
pub fn run(args: &ImplicitArgs) -> CliResult<()> {
    let config = ImplicitConfig {
        memories: args.memories,
        beta: args.beta,
        long_steps: args.long_steps,
        short_steps: args.short_steps,
        epochs: args.epochs,
        seed: args.seed,
        ..Default::default()
    };
    let bar =
        ProgressBar::with_draw_target(Some((3 * args.epochs) as u64), ProgressDrawTarget::stderr());
    bar.set_style(
        ProgressStyle::with_template("{prefix:>12} [{bar:30}] {pos}/{len} epochs [{elapsed}]")
            .expect("the progress template is valid"),
    );
    let report = run_experiment(&config, &mut |mode, _epoch, _epochs| {
        bar.set_prefix(mode.to_string());
        bar.inc(1);
    });
    bar.finish_and_clear();
    let report = report?;
    let mut out = std::io::stdout().lock();
    if args.json {
        serde_json::to_writer_pretty(&mut out, &report)?;
        writeln!(out).ok();
        return Ok(());
    }
    print_table(&mut out, &report, &config);
    Ok(())
}

fn print_table(out: &mut impl Write, r: &ImplicitReport, c: &ImplicitConfig) {
    writeln!(
        out,
        "Masked digit completion (lower half from upper half): {} training, {} held-out digits,\n\
         K = {} memories, beta = {}, dt = {}, {} epochs; held-out error at the fixed point",
        r.train, r.test, c.memories, c.beta, c.dt, c.epochs
    )
    .ok();
    writeln!(
        out,
        "{:<22} {:>10} {:>12} {:>10} {:>10} {:>9}",
        "training", "test MSE", "tape (MB)", "forward", "adjoint", "time (s)"
    )
    .ok();
    for m in &r.modes {
        let label = match m.mode {
            engram::experiment::implicit::GradientMode::Unroll { steps } => {
                format!("{} (T = {steps})", m.name)
            }
            engram::experiment::implicit::GradientMode::Implicit => m.name.clone(),
        };
        writeln!(
            out,
            "{:<22} {:>10.5} {:>12.3} {:>10.1} {:>10.1} {:>9.1}",
            label,
            m.test_mse,
            m.tape_bytes as f64 / 1e6,
            m.forward_iterations,
            m.adjoint_iterations,
            m.seconds
        )
        .ok();
    }
    for (name, mse) in [
        ("untrained memory", r.untrained_mse),
        ("mean fill", r.mean_fill_mse),
        ("nearest image", r.nearest_image_mse),
    ] {
        writeln!(out, "{name:<22} {mse:>10.5}").ok();
    }
    for m in r.modes.iter().filter(|m| m.unconverged > 0) {
        writeln!(
            out,
            "note: {}: {} minibatches hit the iteration limit of a fixed-point solve",
            m.name, m.unconverged
        )
        .ok();
    }
    writeln!(
        out,
        "tape: bytes the gradient tape of one minibatch holds; forward/adjoint: iterations per \
         minibatch"
    )
    .ok();
}
