//! `engram experiment energy-transformer`: train the energy transformer to complete masked
//! 8x8 digits, compare it with the baselines, trace its energy, draw the completions and save
//! the model.

use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

use clap::Args;
use engram::energy_transformer::digits::{run, DigitsOptions, DigitsReport};
use engram::energy_transformer::{ImageEtConfig, TrainOptions};
use engram::pattern::png::write_grid_png;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::error::{fail, CliResult, Context};

const HELP: &str = "\
Trains one energy transformer block (Hoover et al. 2023) on 80% of the embedded 8x8 digits:
each digit is cut into 2x2 patches (16 tokens of dimension D = 32), 8 random patches are
replaced by a learned mask token, the tokens descend the energy (attention + ReLU Hopfield
module) for T = 12 steps of alpha = 0.1, and the loss on the decoded hidden patches is
backpropagated through the steps (Adam). On the held-out 20% it prints the MSE of the hidden
pixels beside the untrained model, the training mean per pixel and the nearest training image
on the visible pixels, and the energy after every inference step. Writes
energy-transformer.png (columns: masked | completed | original) into --out-dir and the
trained model as safetensors (--checkpoint).

Examples:
  engram experiment energy-transformer
  engram experiment energy-transformer --epochs 5 --seed 3 --json
  engram experiment energy-transformer --out-dir runs --checkpoint runs/et.safetensors";

/// Options of `engram experiment energy-transformer`.
#[derive(Debug, Args)]
#[command(after_help = HELP)]
pub struct EnergyTransformerArgs {
    /// Passes over the training digits.
    #[arg(long, default_value_t = 60, value_name = "N")]
    pub epochs: usize,

    /// Seed of the split, the initial parameters, the masks and the batch order.
    #[arg(long, default_value_t = 0, value_name = "S")]
    pub seed: u64,

    /// Patches (of 16) hidden in every digit.
    #[arg(long, default_value_t = 8, value_name = "K")]
    pub hidden: usize,

    /// Digits per minibatch.
    #[arg(long, default_value_t = 32, value_name = "B")]
    pub batch_size: usize,

    /// Adam's step size.
    #[arg(
        long,
        default_value_t = 1e-2,
        allow_negative_numbers = true,
        value_name = "LR"
    )]
    pub learning_rate: f64,

    /// Directory of the PNG (and of the checkpoint unless --checkpoint is given); created if
    /// missing.
    #[arg(long, default_value = ".", value_name = "DIR")]
    pub out_dir: PathBuf,

    /// Where to save the trained model (default: DIR/energy-transformer.safetensors).
    #[arg(long, value_name = "FILE")]
    pub checkpoint: Option<PathBuf>,

    /// Print one JSON object (the report, with `png` and `checkpoint` paths) instead of the
    /// table.
    #[arg(long)]
    pub json: bool,
}

/// Pixel size of one digit cell in the PNG.
const PNG_SCALE: usize = 8;

/// Runs `engram experiment energy-transformer`.
pub fn run_experiment(args: &EnergyTransformerArgs) -> CliResult<()> {
    if args.epochs == 0 {
        return fail("invalid parameter epochs: must be at least 1");
    }
    if let Err(e) = std::fs::create_dir_all(&args.out_dir) {
        return fail(format!("--out-dir {}: {e}", args.out_dir.display()));
    }
    let png = args.out_dir.join("energy-transformer.png");
    let checkpoint = args
        .checkpoint
        .clone()
        .unwrap_or_else(|| args.out_dir.join("energy-transformer.safetensors"));
    let options = DigitsOptions {
        model: ImageEtConfig::digits(),
        training: TrainOptions {
            epochs: args.epochs,
            batch_size: args.batch_size,
            learning_rate: args.learning_rate,
            hidden_patches: args.hidden,
            seed: args.seed,
        },
        seed: args.seed,
        ..DigitsOptions::default()
    };
    let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} training the energy transformer [{elapsed}] {bar:30} {pos}/{len} {msg}",
        )
        .expect("the progress template is valid"),
    );
    bar.enable_steady_tick(Duration::from_millis(120));
    let result = run(&options, |p| {
        bar.set_length((p.epochs * p.batches) as u64);
        bar.set_position((p.epoch * p.batches + p.batch + 1) as u64);
        bar.set_message(format!(
            "epoch {}/{} loss {:.4}",
            p.epoch + 1,
            p.epochs,
            p.loss
        ));
    });
    bar.finish_and_clear();
    let result = result?;
    let panels = &result.panels;
    write_grid_png(
        &png,
        &[
            panels.masked.view(),
            panels.completed.view(),
            panels.original.view(),
        ],
        (8, 8),
        PNG_SCALE,
    )
    .context(format!("writing {}", png.display()))?;
    result
        .model
        .save(&checkpoint)
        .context(format!("--checkpoint {}", checkpoint.display()))?;
    let mut out = std::io::stdout().lock();
    if args.json {
        serde_json::to_writer_pretty(
            &mut out,
            &serde_json::json!({
                "report": result.report,
                "png": png.display().to_string(),
                "checkpoint": checkpoint.display().to_string(),
            }),
        )?;
        writeln!(out).ok();
        return Ok(());
    }
    print_report(&mut out, &result.report, &options, &png, &checkpoint).ok();
    Ok(())
}

fn print_report(
    out: &mut impl Write,
    r: &DigitsReport,
    options: &DigitsOptions,
    png: &std::path::Path,
    checkpoint: &std::path::Path,
) -> std::io::Result<()> {
    let b = &options.model.block;
    writeln!(
        out,
        "Energy Transformer (Hoover et al. 2023): masked completion of the 8x8 digits, {} \
         training / {} held-out, 2x2 patches (16 tokens), {} hidden per digit",
        r.train_images, r.test_images, r.hidden_patches
    )?;
    writeln!(
        out,
        "model: D = {}, {} heads of Y = {}, {} {} memories, T = {} steps of alpha = {}; {} \
         parameters; {} epochs, training loss {:.4} -> {:.4}",
        b.dim,
        b.heads,
        b.head_dim,
        b.memories,
        b.hopfield.describe(),
        r.steps,
        r.step_size,
        r.parameters,
        r.epoch_losses.len(),
        r.epoch_losses.first().copied().unwrap_or(f64::NAN),
        r.epoch_losses.last().copied().unwrap_or(f64::NAN),
    )?;
    writeln!(out)?;
    writeln!(out, "{:<30} {:>16}", "method", "hidden-pixel MSE")?;
    for row in &r.rows {
        writeln!(out, "{:<30} {:>16.5}", row.method, row.masked_mse)?;
    }
    writeln!(
        out,
        "(pixels in [0, 1], held-out digits, the same random hidden patches for every method)"
    )?;
    writeln!(out)?;
    writeln!(
        out,
        "Energy during inference, mean over the held-out digits:"
    )?;
    writeln!(out, "{:>4} {:>14} {:>14}", "step", "trained", "untrained")?;
    for (s, (t, u)) in r
        .energy_trace
        .iter()
        .zip(&r.untrained_energy_trace)
        .enumerate()
    {
        writeln!(out, "{s:>4} {t:>14.3} {u:>14.3}")?;
    }
    writeln!(
        out,
        "steps at which a digit's energy rose: {} of {}",
        r.energy_increases,
        2 * r.test_images * r.steps
    )?;
    writeln!(out, "wrote {} and {}", png.display(), checkpoint.display())
}
