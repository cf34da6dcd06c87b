//! The command line: clap definitions of `engram`, its subcommands and their help texts.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use engram::dynamics::Schedule;
use engram::learn::LearningRule;
use engram::model::Similarity;

const TOP_EXAMPLES: &str = "\
Examples:
  engram                                   the digits demo: every model, table + recall.png
  engram recall --model mhn --beta 20      the digits demo with one model and setting
  engram recall --model dam --separation exp:1 --memory X.npy --queries Q.npy --out R.npy
  engram capacity --model hopfield --rule hebbian --dim 100
  engram --threads 1 capacity --model dam --degree 3 --dim 64 --json

With no subcommand, `engram` runs `engram recall` with its defaults.
Errors print one line starting with `error:` and exit with status 2.";

/// Energy-based associative memories: store patterns, recall them from corrupted or partial cues.
#[derive(Debug, Parser)]
#[command(name = "engram", version, after_help = TOP_EXAMPLES)]
pub struct Cli {
    /// Number of worker threads of the computations (default: one per core).
    #[arg(long, global = true, value_name = "N")]
    pub threads: Option<usize>,

    /// What to do (default: `recall`).
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Recall patterns from corrupted cues: the digits demo, or your own .npy files.
    Recall(RecallArgs),
    /// Measure the storage capacity of a bipolar memory and compare it with theory.
    Capacity(CapacityArgs),
    /// Reproduce a published experiment and print its table.
    #[command(subcommand)]
    Experiment(ExperimentCommand),
}

const KROTOV_HELP: &str = "\
Krotov & Hopfield 2016, Appendix B: N = 100 neurons store K = 2000 random patterns; random
initial states run to convergence under the energy-difference update, for F(x) = x^n and
max(x,0)^n with n = 2..6. The paper's capacity formula gives about 11, 360 and 7240 patterns for
n = 2, 3, 4: n = 2 and 3 cannot reconstruct the memories, n = 4 mostly can, and for n >= 5 all of
their 10 000 starts converged to a memory.

Examples:
  engram experiment krotov2016
  engram experiment krotov2016 --starts 1000 --json";

/// The published experiments `engram experiment` reproduces.
#[derive(Debug, Subcommand)]
pub enum ExperimentCommand {
    /// Krotov & Hopfield 2016, Appendix B: which powers n recall from random starts.
    #[command(name = "krotov2016", after_help = KROTOV_HELP)]
    Krotov2016(Krotov2016Args),
}

/// Options of `engram experiment krotov2016`.
#[derive(Debug, Args)]
pub struct Krotov2016Args {
    /// Random starts per interaction function (the paper used 10000).
    #[arg(long, default_value_t = 200, value_name = "S")]
    pub starts: usize,

    /// Seed of patterns, starts and update orders.
    #[arg(long, default_value_t = 2016, value_name = "SEED")]
    pub seed: u64,

    /// Print the table as one JSON object with `rows`.
    #[arg(long)]
    pub json: bool,
}

/// The memory families `engram recall` can run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ModelKind {
    /// Classical Hopfield network on bipolar (+1/-1) patterns; weights from --rule.
    Hopfield,
    /// Dense associative memory on bipolar patterns; interaction from --separation or --degree.
    Dam,
    /// Modern (softmax) Hopfield network on real-valued patterns; inverse temperature --beta.
    Mhn,
    /// Universal Hopfield framework: --similarity x --separation, optionally with --values.
    Universal,
}

impl ModelKind {
    /// The command-line name.
    pub fn name(self) -> &'static str {
        match self {
            ModelKind::Hopfield => "hopfield",
            ModelKind::Dam => "dam",
            ModelKind::Mhn => "mhn",
            ModelKind::Universal => "universal",
        }
    }
}

const RECALL_HELP: &str = "\
Two modes:

  Digits demo (no --memory): stores one digit per class (the first image of each of the 10
  classes of the embedded 8x8 digits) and recalls each from two cues: 20% of its pixels flipped
  (--flip), and its lower half hidden with the upper half clamped (pattern completion).
  hopfield and dam run on +1/-1 pixels (grey level > 8); mhn and universal on grey levels
  0..16 scaled to [-1, 1] (a flipped pixel is negated; hidden pixels are -1, resp. 0).
  Prints one row per model and cue: exact = digits recalled without a wrong pixel, pixel err =
  share of wrong pixels, steps = mean updates per query (the last one changes nothing), ms =
  wall time. Without --model the table shows every family at its default setting, plus dam
  exp:1 beside the default power:3, which fails here: the digits overlap too much (up to 0.81)
  for a cubic interaction to keep them apart, even as fixed points. Writes a PNG (--png, default recall.png): one row per digit, columns original |
  flipped | recalled | half hidden | completed, for --model (default: universal).

  Files (--memory): loads PATTERNS.npy (K, d) and Q.npy (B, d) (float32 or float64), runs the
  recall dynamics of --model from every query and writes the B final states (float32) to --out.
  hopfield and dam need +1/-1 entries. --mask (B, d), booleans or numbers: true/nonzero entries
  are observed and stay clamped to the query's value. --values (K, dv) (universal only):
  hetero-association, one retrieval step from keys to values, output (B, dv). A summary
  (converged queries, mean steps, time) goes to stderr.

  --energies (files mode) writes a (B, K+1) float64 array for --steps K: column 0 holds each
  query's initial energy, column t its energy after step t; a query that stopped earlier is
  padded with its last energy.

Model settings [defaults]:
  hopfield   --rule hebbian|storkey|pseudoinverse [pseudoinverse]; async updates by default
  dam        --separation power:N|rectified:N|exp:BETA, or --degree N (= power:N),
             or --beta B (= exp:B) [power:3]; async updates by default
  mhn        --beta B [8]
  universal  --similarity dot|euclidean|manhattan|cosine [manhattan] and --separation
             softmax:BETA|sparsemax:BETA|entmax:ALPHA:BETA|power:N|topk:K|max|identity,
             or --beta B (= softmax:B), or --degree N (= power:N) [softmax:1]

Examples:
  engram recall
  engram recall --model hopfield --rule storkey --png storkey.png
  engram recall --model universal --similarity dot --separation sparsemax:2 --flip 0.3
  engram recall --model mhn --beta 8 --memory X.npy --queries Q.npy --out R.npy --energies E.npy
  engram recall --model hopfield --memory X.npy --queries Q.npy --mask observed.npy --out R.npy
  engram recall --model universal --separation max --memory K.npy --values V.npy \\
                --queries Q.npy --out V_hat.npy";

/// Options of `engram recall`.
#[derive(Debug, Args)]
#[command(after_help = RECALL_HELP)]
pub struct RecallArgs {
    /// Model family (demo: default all of them side by side; files: required).
    #[arg(long, value_enum)]
    pub model: Option<ModelKind>,

    /// Hopfield learning rule: hebbian, storkey or pseudoinverse.
    #[arg(long, value_parser = parse_rule)]
    pub rule: Option<LearningRule>,

    /// Inverse temperature (mhn; softmax for universal; exp for dam). Must be > 0.
    #[arg(long, allow_negative_numbers = true)]
    pub beta: Option<f32>,

    /// Polynomial degree (dam: power:N; universal: power:N).
    #[arg(long, allow_negative_numbers = true, value_name = "N")]
    pub degree: Option<i64>,

    /// Separation function, e.g. softmax:8, sparsemax:4, entmax:1.5:4, power:3, exp:1, topk:2, max.
    #[arg(long, value_name = "SPEC")]
    pub separation: Option<String>,

    /// Similarity of the universal model: dot, euclidean, manhattan or cosine.
    #[arg(long, value_parser = parse_similarity)]
    pub similarity: Option<Similarity>,

    /// Update schedule: sync or async (default: the model's own; async exists for bipolar models).
    #[arg(long, value_parser = parse_schedule)]
    pub schedule: Option<Schedule>,

    /// Stored patterns, a (K, d) .npy file (switches from the digits demo to files mode).
    #[arg(long, value_name = "PATTERNS.npy")]
    pub memory: Option<PathBuf>,

    /// Queries (cues), a (B, d) .npy file.
    #[arg(long, value_name = "Q.npy")]
    pub queries: Option<PathBuf>,

    /// Observed entries of the queries, a (B, d) .npy file; nonzero = observed (clamped).
    #[arg(long, value_name = "OBSERVED.npy")]
    pub mask: Option<PathBuf>,

    /// Values for hetero-association, a (K, dv) .npy file (universal only; one retrieval step).
    #[arg(long, value_name = "V.npy")]
    pub values: Option<PathBuf>,

    /// Most update steps (synchronous steps or asynchronous sweeps) per query.
    #[arg(long, default_value_t = 100, value_name = "K")]
    pub steps: usize,

    /// Convergence tolerance: a query stops when no entry moves by more than this in one step.
    #[arg(
        long,
        default_value_t = 1e-6,
        allow_negative_numbers = true,
        value_name = "T"
    )]
    pub tol: f32,

    /// Seed of the cue corruption and of the asynchronous update order.
    #[arg(long, default_value_t = 0, value_name = "S")]
    pub seed: u64,

    /// Where to write the recalled states, a (B, d) .npy file (files mode).
    #[arg(long, value_name = "OUT.npy")]
    pub out: Option<PathBuf>,

    /// Where to write the energy traces, a (B, STEPS+1) .npy file (files mode).
    #[arg(long, value_name = "ENERGIES.npy")]
    pub energies: Option<PathBuf>,

    /// Demo only: where to write the picture of the recall [recall.png].
    #[arg(long, value_name = "PATH")]
    pub png: Option<PathBuf>,

    /// Demo only: fraction of pixels flipped in the noisy cues [0.2].
    #[arg(long, allow_negative_numbers = true, value_name = "FRACTION")]
    pub flip: Option<f64>,
}

const CAPACITY_HELP: &str = "\
Protocol: for K patterns, draw random +1/-1 patterns of dimension --dim, cue up to 100 of them,
run asynchronous dynamics to a fixed point and pool the results over --trials pattern sets.
Hebbian and Storkey networks start from the stored patterns and pass when 90% of them end with
overlap >= 0.90 (this detects the collapse of the retrieval state at 0.138 N for Hebbian
weights); pseudoinverse networks and dense memories start from cues with 5% flipped bits and
pass when 90% are recalled exactly. K doubles from 1 until a probe
fails, then bisects. A progress line on stderr shows each probed K.

Theory: Hebbian 0.138 N; Storkey N / sqrt(2 ln N); pseudoinverse N; power:n
N^(n-1) / (2 (2n-3)!! ln N); exp: exp(N ln(2) / 2). Expected capacities above 100000 patterns
are refused: lower --dim.

Examples:
  engram capacity --model hopfield --dim 100
  engram capacity --model hopfield --rule storkey --dim 200 --trials 5
  engram capacity --model dam --degree 3 --dim 40
  engram capacity --model dam --separation exp:1 --dim 16 --json";

/// The memory families whose capacity can be measured.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum CapacityKind {
    /// Classical Hopfield network (--rule).
    Hopfield,
    /// Dense associative memory (--degree or --separation).
    Dam,
}

/// Options of `engram capacity`.
#[derive(Debug, Args)]
#[command(after_help = CAPACITY_HELP)]
pub struct CapacityArgs {
    /// Model family.
    #[arg(long, value_enum)]
    pub model: CapacityKind,

    /// Hopfield learning rule: hebbian, storkey or pseudoinverse [hebbian].
    #[arg(long, value_parser = parse_rule)]
    pub rule: Option<LearningRule>,

    /// Dense memory degree, F(x) = x^N [3].
    #[arg(long, allow_negative_numbers = true, value_name = "N")]
    pub degree: Option<i64>,

    /// Dense memory interaction: power:N, rectified:N or exp:BETA.
    #[arg(long, value_name = "SPEC")]
    pub separation: Option<String>,

    /// Number of neurons N.
    #[arg(long, value_name = "N")]
    pub dim: usize,

    /// Independent pattern sets per probed K.
    #[arg(long, default_value_t = 3, value_name = "T")]
    pub trials: usize,

    /// Seed of patterns, cues and update orders.
    #[arg(long, default_value_t = 0, value_name = "S")]
    pub seed: u64,

    /// Print the result as one JSON object on stdout.
    #[arg(long)]
    pub json: bool,
}

fn parse_rule(text: &str) -> Result<LearningRule, String> {
    text.parse().map_err(|e: engram::Error| e.to_string())
}

fn parse_similarity(text: &str) -> Result<Similarity, String> {
    text.parse().map_err(|e: engram::Error| e.to_string())
}

fn parse_schedule(text: &str) -> Result<Schedule, String> {
    text.parse().map_err(|e: engram::Error| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_definition_is_consistent() {
        Cli::command().debug_assert();
    }
}
