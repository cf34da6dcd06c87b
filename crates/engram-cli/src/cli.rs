//! The command line: clap definitions of `engram`, its subcommands and their help texts.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use engram::dynamics::Schedule;
use engram::learn::LearningRule;
use engram::model::{RetrievalPath, Similarity};

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
    /// Time retrieval on fixed shapes beside this machine's bandwidth and GEMM limits.
    Bench(BenchArgs),
    /// Cluster a data set with ClAM (associative-memory clustering) beside k-means.
    Cluster(crate::cluster::ClusterArgs),
}

const BENCH_HELP: &str = "\
Times one modern Hopfield retrieval step X^T softmax(beta X q) (f32) for the shapes
(B, K, d) = (1, 100000, 128), (16, 100000, 128), (64, 10000, 256), (1024, 10000, 256) and
(16, 60000, 784): the median of --repeats runs after a warm-up. In the same run it measures the
machine's memory bandwidth (streaming read of 256 MiB) and f32 GEMM throughput (2048^3
product), and reports for each shape the fastest time these allow and the fraction reached.
Then a child process measures the peak resident memory of retrieving 16 queries from a
(100000 x 128) memory. Use the global --threads to fix the thread count.

Examples:
  engram --threads 2 bench
  engram bench --threads 2 --json
  engram bench --quick --path gemm";

/// Options of `engram bench`.
#[derive(Debug, Args)]
#[command(after_help = BENCH_HELP)]
pub struct BenchArgs {
    /// Timed runs per shape (the median is reported).
    #[arg(long, default_value_t = 15, value_name = "R")]
    pub repeats: usize,

    /// Print one JSON object (machine limits, rows, peak memory) instead of the table.
    #[arg(long)]
    pub json: bool,

    /// A fast smoke run: at most 3 repeats, patterns / 10, smaller probes.
    #[arg(long)]
    pub quick: bool,

    /// Retrieval path: auto (fused kernel for small batches), fused or gemm.
    #[arg(long, default_value = "auto", value_parser = parse_path, value_name = "PATH")]
    pub path: RetrievalPath,

    /// Skip the peak-memory measurement.
    #[arg(long)]
    pub no_rss: bool,

    /// Only the shapes whose name contains this text (e.g. `b1024`).
    #[arg(long, value_name = "TEXT")]
    pub only: Option<String>,

    /// Only measure peak memory of one retrieval (B = 16, 100000 x 128) and print it as JSON.
    #[arg(long, hide = true)]
    pub rss: bool,
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

const SEQUENCE_HELP: &str = "\
Chaudhry, Zavatone-Veth, Krotov & Pehlevan 2023, Long Sequence Hopfield Memory: the longest cyclic
sequence of random +1/-1 patterns a network of N neurons replays perfectly, for each N of --dims.
Update: x_i <- sgn(sum_mu xi_i^(mu+1) f(m_i^mu)) with m_i^mu the overlap with pattern mu over the
other N-1 neurons, divided by N-1 (the paper's convention); synchronous updates. f(m) = m
(classical), m^d (poly, --degree), exp((N-1)(m-1)) (exp).

Protocol (the paper's, Appendix G.2 and the authors' notebook): start at twice the law's
length; test each length on 100 fresh sequences, all of which must replay without a wrong bit;
shrink the length by 1% after any error; the capacity is the first length that passes (engram
doubles first if the start already passes). Laws (eqs. 9-10): poly P_S = N^d / (2 (d+1) (2d-1)!!
ln N) (classical: N / (4 ln N)); exp: g^(N-1) / (2 N ln g), g = 2/(1+e^-4). The table also shows
the same Gaussian estimate without its large-N simplifications and, for exp, the length at which
pairs of patterns start to collide, 2^((N+1)/2)/sqrt(N). The fitted exponent is the log-log
slope of capacity against N (exp: the slope of ln capacity against N).

After the table: a correlated sequence (random patterns sharing 85% of their bits; the ten
digit prototypes) stored with the plain rule and with the generalized pseudoinverse rule.
Writes a log-log PNG of capacity against N with the law (--png).

Examples:
  engram experiment sequence-capacity --model poly --degree 2 --dims 100,200,400
  engram experiment sequence-capacity --model classical --dims 100,200,400,800 --trials 3
  engram experiment sequence-capacity --model exp --dims 8,10,12,14,16 --json";

const CDAM_HELP: &str = "\
Burns 2024, Semantically-correlated memories in a dense associative model (CDAM): random unit
patterns on the nodes of a graph; update s <- s + eta (sum_mu w_mu (a xi_mu + h sum_nu M_mu,nu
xi_nu) - c xi_mean - s) with w = softmax(beta Xi s), M = D^-1/2 A D^-1/2 the symmetrically
normalised adjacency and c = 1/N the mean-pattern offset (as in the author's code). Every memory
in turn is the cue; after --steps updates the final state is written as sum_mu c_mu xi_mu and
classified: quiescent when sum_mu max(c_mu, 0) < 0.2, otherwise auto, narrow_hetero or
wide_hetero after whichever holds most of the positive expression: the cue itself, its one-hop
neighbours, or memories further away. A cell's mode is the most frequent one over the cues.
Sweeps a (auto-association, columns) and h (hetero-association, rows) over --grid values in
[-1, 1]; negative values are anti-Hebbian. Writes the phase picture as a PNG heat map (--png).

After the table: multi-scale communities of a two-level planted partition, the two factions of
Zachary's karate club, a sequence kept on track by anti-Hebbian self-suppression, and a finite
automaton (binary numbers modulo 3) run by the memory.

Examples:
  engram experiment cdam-modes
  engram experiment cdam-modes --graph ring --grid 17 --png ring.png
  engram experiment cdam-modes --beta 20 --json";

const DRDAM_HELP: &str = "\
Hoover et al. 2024, Dense Associative Memory Through the Lens of Random Features (DrDAM): the
exact memory E(x) = -(1/beta) ln sum_mu exp(-beta/2 |x - xi_mu|^2) against its random-feature
version E^(x) = -(1/beta) ln phi(x).T, where T = sum_mu phi(xi_mu) holds every pattern in one
vector of fixed size. Y is the number of random projections (trig features: 2Y numbers).

Setup (the authors'): K random {0,1}^d patterns scaled by 1/sqrt(d); queries at the memories, near
them (--flip of the bits inverted) and far from them (fresh random patterns); energy error = mean
|E - E^|; retrieval = --steps gradient steps of size --step-size on each energy from the near cues;
state error = fraction of bits (binarized at 0.5/sqrt(d)) where the two final states differ. The
digits (8x8, scaled to [0, 1/sqrt(64)]) run at --digit-betas, with unstored digits as far queries.
Expected: errors fall as 1/sqrt(Y) (log-log slope -0.5) and rise with beta and with the distance
from the memories. Also: the paper's feature-map ablation on the digits (Y = 4000). Writes a
log-log PNG of the near-cue energy error against Y (--png).

Examples:
  engram experiment drdam
  engram experiment drdam --dims 32 --betas 10,40 --features 500,2000,8000 --json
  engram experiment drdam --kind positive --repeats 1";

const UHOP_HELP: &str = "\
Wu et al. 2024 (U-Hop) and Hu, Wu & Liu 2024 (U-Hop+): a feature map Phi (linear, or a residual
MLP) is trained on the stored patterns to minimise the separation loss
L = (1/M) ln mean_{mu<nu} exp(u_mu.u_nu / tau), u = Phi(xi)/|Phi(xi)|, then a modern Hopfield
network retrieves in feature space: x <- Xi^T softmax(beta cos(Phi(Xi), Phi(x))).

Retrieval: M unit-norm digits (and random unit patterns in --random-dim dimensions), cues = patterns
+ Gaussian noise of norm sigma (--noise), one step at --beta, without a map (none) and with the two
learned maps; error = mean |x* - xi|^2, retrieved = |x* - xi| < 0.1. Spherical codes: maps of
M digits into 3 dimensions against the known optima (Tammes problem) and into 64 against the
simplex bound M/(M-1), beside the paper's bounds on the optimal minimal separation.

Examples:
  engram experiment uhop
  engram experiment uhop --sizes 50,100 --beta 20 --noise 0.1 --json";

const KDE_HELP: &str = "\
Schaeffer et al. 2024, Bridging Associative Memory and Probabilistic Modeling: a Gaussian kernel
density estimate p(x) = (1/K) sum_mu N(x; xi_mu, sigma^2 I) is an associative memory whose energy
is the negative log-likelihood (for unit-norm patterns: beta times the modern Hopfield energy plus a
constant, beta = 1/sigma^2), retrieval is mean shift and sampling is Langevin dynamics.

Capacity: N random unit patterns in D dimensions; a pattern is stored when mean shift from it stays
within 0.05; the capacity is the largest N with every pattern stored (median of --trials draws).
Beside it: the exponential-capacity theorem (Ramsauer et al. 2020, Theorem 3, carried over to the
KDE) and, where that theorem applies (beta = 100, D = 20..32), a check that 2048 patterns are all
stored. Langevin: chains from 100 unit-norm digits; the mean |x - xi|^2 of a chain that stays in
its mode is D sigma^2 / (1 - eta/(2 sigma^2)).

Examples:
  engram experiment kde
  engram experiment kde --dims 4,8,12 --beta 40 --trials 7 --json";

/// The published experiments `engram experiment` reproduces.
#[derive(Debug, Subcommand)]
pub enum ExperimentCommand {
    /// Krotov & Hopfield 2016, Appendix B: which powers n recall from random starts.
    #[command(name = "krotov2016", after_help = KROTOV_HELP)]
    Krotov2016(Krotov2016Args),
    /// Chaudhry et al. 2023: sequence capacity against N beside the scaling laws.
    #[command(name = "sequence-capacity", after_help = SEQUENCE_HELP)]
    SequenceCapacity(SequenceCapacityArgs),
    /// Burns 2024 (CDAM): the four dynamical modes over auto- and hetero-association.
    #[command(name = "cdam-modes", after_help = CDAM_HELP)]
    CdamModes(CdamModesArgs),
    /// Hoover et al. 2024 (DrDAM): random-feature memory error against the number of features.
    #[command(name = "drdam", after_help = DRDAM_HELP)]
    Drdam(DrdamArgs),
    /// Wu et al. 2024, Hu et al. 2024 (U-Hop+): retrieval with a learned separating feature map.
    #[command(name = "uhop", after_help = UHOP_HELP)]
    Uhop(UhopArgs),
    /// Schaeffer et al. 2024: the Gaussian KDE as a memory: capacity and Langevin sampling.
    #[command(name = "kde", after_help = KDE_HELP)]
    Kde(KdeArgs),
    /// Hoover et al. 2023: the energy transformer trained to complete masked digits.
    #[command(name = "energy-transformer")]
    EnergyTransformer(crate::energy_transformer::EnergyTransformerArgs),
    /// Krotov 2021: masked digits completed by a two- and a three-layer (hierarchical) memory.
    #[command(name = "hierarchical")]
    Hierarchical(crate::hierarchical::HierarchicalArgs),
    /// Implicit differentiation at the fixed point against backpropagation through unrolls.
    #[command(name = "implicit", after_help = IMPLICIT_HELP)]
    Implicit(ImplicitArgs),
    /// Saha et al. 2023: ClAM against k-means on every embedded data set, two selection rules.
    #[command(name = "clam")]
    Clam(crate::experiment::clam::ClamArgs),
}

const IMPLICIT_HELP: &str = "\
Trains the memory of a continuous modern Hopfield network to complete the lower half of 8x8
digits from the upper half (dynamics tau dx/dt = -x + Xi^T softmax(beta Xi x), Euler steps dt,
observed pixels clamped), three ways from the same start: backpropagation through a long unroll,
implicit differentiation at the fixed point (adjoint iteration, tape of one step), and
backpropagation through a short unroll. Each trained memory is evaluated at its fixed point on
held-out digits (every fifth image), beside the mean-fill and nearest-image baselines. Reports the
held-out error, the largest gradient tape of one minibatch, and the iterations used.

Examples:
  engram experiment implicit
  engram experiment implicit --epochs 4 --json";

/// Options of `engram experiment implicit`.
#[derive(Debug, Args)]
pub struct ImplicitArgs {
    /// Passes over the training digits.
    #[arg(long, default_value_t = 12, value_name = "N")]
    pub epochs: usize,
    /// Trainable stored patterns K.
    #[arg(long, default_value_t = 40, value_name = "K")]
    pub memories: usize,
    /// Steps of the long unroll.
    #[arg(long, default_value_t = 150, value_name = "T")]
    pub long_steps: usize,
    /// Steps of the short unroll.
    #[arg(long, default_value_t = 5, value_name = "T")]
    pub short_steps: usize,
    /// Inverse temperature beta (above about 1 the dynamics stop contracting and the adjoint
    /// solve fails).
    #[arg(long, default_value_t = 0.5)]
    pub beta: f64,
    /// Seed of the initial memory and the data order.
    #[arg(long, default_value_t = 7)]
    pub seed: u64,
    /// Print one JSON object instead of the table.
    #[arg(long)]
    pub json: bool,
}

/// Options of `engram experiment drdam`.
#[derive(Debug, Args)]
pub struct DrdamArgs {
    /// Dimensions d of the random patterns.
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "16,64,256",
        value_name = "D,D,..."
    )]
    pub dims: Vec<usize>,

    /// Inverse temperatures of the random patterns.
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "10,30,50",
        allow_negative_numbers = true,
        value_name = "B,B,..."
    )]
    pub betas: Vec<f32>,

    /// Inverse temperatures of the digits.
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "50,100,200",
        allow_negative_numbers = true,
        value_name = "B,B,..."
    )]
    pub digit_betas: Vec<f32>,

    /// Numbers Y of random projections.
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "1000,2000,4000,8000,16000",
        value_name = "Y,Y,..."
    )]
    pub features: Vec<usize>,

    /// Skip the digits (and the feature-map ablation, which runs on them).
    #[arg(long)]
    pub no_digits: bool,

    /// Stored patterns K.
    #[arg(long, default_value_t = 100, value_name = "K")]
    pub patterns: usize,

    /// Queries per set (at the memories, near them, far from them).
    #[arg(long, default_value_t = 50, value_name = "Q")]
    pub queries: usize,

    /// Fraction of the bits (pixels) inverted in a near cue.
    #[arg(
        long,
        default_value_t = 0.1,
        allow_negative_numbers = true,
        value_name = "F"
    )]
    pub flip: f64,

    /// Gradient steps of retrieval.
    #[arg(long, default_value_t = 30, value_name = "S")]
    pub steps: usize,

    /// Gradient step size of retrieval.
    #[arg(
        long,
        default_value_t = 0.2,
        allow_negative_numbers = true,
        value_name = "ETA"
    )]
    pub step_size: f32,

    /// Independent draws of the random features averaged per point.
    #[arg(long, default_value_t = 3, value_name = "R")]
    pub repeats: usize,

    /// Feature map: trig, cos, positive or positive-symmetric.
    #[arg(long, default_value = "trig", value_name = "KIND")]
    pub kind: String,

    /// Seed of patterns, cues and features.
    #[arg(long, default_value_t = 2024, value_name = "SEED")]
    pub seed: u64,

    /// Where to write the log-log plot of the energy error against Y.
    #[arg(long, default_value = "drdam.png", value_name = "PATH")]
    pub png: PathBuf,

    /// Print the result as one JSON object (`rows` with features, beta, dim, energy_error and
    /// state_error; `slopes`; `ablation`).
    #[arg(long)]
    pub json: bool,
}

/// Options of `engram experiment uhop`.
#[derive(Debug, Args)]
pub struct UhopArgs {
    /// Numbers M of stored patterns.
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "20,50,100,200",
        value_name = "M,M,..."
    )]
    pub sizes: Vec<usize>,

    /// Inverse temperature of retrieval.
    #[arg(
        long,
        default_value_t = 10.0,
        allow_negative_numbers = true,
        value_name = "B"
    )]
    pub beta: f32,

    /// Noise norms sigma of the cues.
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "0.1,0.2",
        allow_negative_numbers = true,
        value_name = "S,S,..."
    )]
    pub noise: Vec<f64>,

    /// Dimension of the random patterns.
    #[arg(long, default_value_t = 16, value_name = "D")]
    pub random_dim: usize,

    /// Training steps of each map of the spherical-code table.
    #[arg(long, default_value_t = 1500, value_name = "S")]
    pub code_steps: usize,

    /// Seed of patterns, cues and maps.
    #[arg(long, default_value_t = 2024, value_name = "SEED")]
    pub seed: u64,

    /// Print the result as one JSON object (`rows`, `codes`).
    #[arg(long)]
    pub json: bool,
}

/// Options of `engram experiment kde`.
#[derive(Debug, Args)]
pub struct KdeArgs {
    /// Dimensions D of the sphere.
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "4,6,8,10,12,14,16",
        value_name = "D,D,..."
    )]
    pub dims: Vec<usize>,

    /// beta = 1/sigma^2 of the capacity runs (patterns on the unit sphere).
    #[arg(
        long,
        default_value_t = 20.0,
        allow_negative_numbers = true,
        value_name = "B"
    )]
    pub beta: f64,

    /// Independent draws per dimension.
    #[arg(long, default_value_t = 5, value_name = "T")]
    pub trials: usize,

    /// Largest number of patterns tried.
    #[arg(long, default_value_t = 4096, value_name = "N")]
    pub max_patterns: usize,

    /// Patterns stored in each check where the theorem applies.
    #[arg(long, default_value_t = 2048, value_name = "N")]
    pub theorem_patterns: usize,

    /// Seed of the patterns and the chains.
    #[arg(long, default_value_t = 2024, value_name = "SEED")]
    pub seed: u64,

    /// Print the result as one JSON object (`rows`, `growth_rate`, `theorem`, `langevin`).
    #[arg(long)]
    pub json: bool,
}

/// The sequence networks `engram experiment sequence-capacity` measures.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum SequenceKind {
    /// The classical temporally asymmetric network, f(m) = m.
    Classical,
    /// Polynomial dense network, f(m) = m^d (--degree, default 2).
    Poly,
    /// Exponential dense network, f(m) = exp((N-1)(m-1)).
    Exp,
}

/// Options of `engram experiment sequence-capacity`.
#[derive(Debug, Args)]
pub struct SequenceCapacityArgs {
    /// The interaction function.
    #[arg(long, value_enum)]
    pub model: SequenceKind,

    /// Polynomial degree d of --model poly [2].
    #[arg(long, allow_negative_numbers = true, value_name = "D")]
    pub degree: Option<i64>,

    /// Network sizes N, comma-separated [classical 100,200,400,800; poly d=2 50,100,200,400;
    /// poly d>=3 20,30,50; exp 8,10,12,14,16].
    #[arg(long, value_delimiter = ',', value_name = "N,N,...")]
    pub dims: Option<Vec<usize>>,

    /// Independent measurements per N (the capacity is their mean).
    #[arg(long, default_value_t = 1, value_name = "T")]
    pub trials: usize,

    /// Seed of the random sequences.
    #[arg(long, default_value_t = 0, value_name = "SEED")]
    pub seed: u64,

    /// Where to write the log-log plot of capacity against N.
    #[arg(long, default_value = "sequence-capacity.png", value_name = "PATH")]
    pub png: PathBuf,

    /// Print the result as one JSON object (`rows` with `dim` and `capacity`, the fitted
    /// `exponent`, the correlated-pattern run).
    #[arg(long)]
    pub json: bool,
}

/// Options of `engram experiment cdam-modes`.
#[derive(Debug, Args)]
pub struct CdamModesArgs {
    /// Memory graph: karate, ring (30 nodes), ringP (P nodes) or partition.
    #[arg(long, default_value = "karate", value_name = "GRAPH")]
    pub graph: String,

    /// Dimension N of the patterns.
    #[arg(long, default_value_t = 100, value_name = "N")]
    pub dim: usize,

    /// Inverse temperature of the attention over memories.
    #[arg(
        long,
        default_value_t = 50.0,
        allow_negative_numbers = true,
        value_name = "B"
    )]
    pub beta: f32,

    /// Step size eta in (0, 1].
    #[arg(
        long,
        default_value_t = 0.5,
        allow_negative_numbers = true,
        value_name = "ETA"
    )]
    pub eta: f32,

    /// Updates run from each cue.
    #[arg(long, default_value_t = 200, value_name = "K")]
    pub steps: usize,

    /// Values per axis of the a x h grid over [-1, 1] (at least 2).
    #[arg(long, default_value_t = 9, value_name = "G")]
    pub grid: usize,

    /// Seed of the patterns (and of the partition graph).
    #[arg(long, default_value_t = 0, value_name = "SEED")]
    pub seed: u64,

    /// Where to write the heat map of the modes.
    #[arg(long, default_value = "cdam-modes.png", value_name = "PATH")]
    pub png: PathBuf,

    /// Print the result as one JSON object (`rows`, each with a, h, beta, eta and `mode`).
    #[arg(long)]
    pub json: bool,
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

fn parse_path(text: &str) -> Result<RetrievalPath, String> {
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
