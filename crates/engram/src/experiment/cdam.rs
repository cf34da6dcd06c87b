//! CDAM experiments (Burns 2024, "Semantically-correlated memories in a dense associative model",
//! ICML, arXiv:2404.07123): the four dynamical modes over the balance of auto- and
//! hetero-association, the range of recall on a ring (the author's notebook), multi-scale
//! communities of a graph, temporal sequences kept on track by anti-Hebbian self-suppression,
//! and a finite automaton run by hetero-association.
//!
//! **Range of recall** ([`range_of_recall`]) is the one measurement taken over from the
//! author's code (`tfburns/CDAM`, `Range_of_recall_extension.ipynb`), with its parameters: the
//! Pearson correlation of the final states of memories `k` hops apart on a ring, for `h = 1 - a`.
//!
//! **Modes** (engram's classification: the paper's own criteria could not be read, see
//! `docs/cdam.md`). Memories are random unit vectors `ξ^μ = ±1/√N` on the nodes of a graph.
//! Every memory in turn is the cue; the state runs `steps` updates ([`crate::model::Cdam`]) and
//! the final state `σ` is written as `σ ≈ Σ_μ c_μ ξ^μ` (least squares, [`Cdam::expression`]).
//! Its *activity* is `Σ_μ max(c_μ, 0)` (1 for a stored pattern or any convex mix of them). With
//! the positive expression split into the cue's own share, its graph neighbours' share (one hop)
//! and everyone else's share (two hops or more), the cue's mode is
//!
//! * `quiescent` when the activity is below 0.2 (no memory stays expressed),
//! * otherwise `auto`, `narrow_hetero` or `wide_hetero` after the largest of the three shares.
//!
//! A parameter pair's mode is the most frequent mode over its cues.

use ndarray::{s, Array1, Array2, ArrayView1, Axis};
use serde::Serialize;

use super::graphs::{hierarchical_partition, hop_distances, karate_club, rand_index, ring};
use crate::error::{Error, Result};
use crate::model::{Cdam, CdamParams};
use crate::numeric::Rng;
use crate::pattern::random_bipolar;

/// Activity below which a state counts as quiescent.
pub const QUIESCENT_ACTIVITY: f64 = 0.2;

/// The four dynamical modes of a CDAM.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// The cue's own memory dominates the final state.
    Auto,
    /// The cue's graph neighbours (one hop) dominate.
    NarrowHetero,
    /// Memories two or more hops away dominate.
    WideHetero,
    /// No memory stays positively expressed.
    Quiescent,
}

impl Mode {
    /// All modes, in table order.
    pub const ALL: [Mode; 4] = [
        Mode::Auto,
        Mode::NarrowHetero,
        Mode::WideHetero,
        Mode::Quiescent,
    ];

    /// The mode's name as in JSON: `auto`, `narrow_hetero`, `wide_hetero`, `quiescent`.
    pub fn name(self) -> &'static str {
        match self {
            Mode::Auto => "auto",
            Mode::NarrowHetero => "narrow_hetero",
            Mode::WideHetero => "wide_hetero",
            Mode::Quiescent => "quiescent",
        }
    }

    fn index(self) -> usize {
        Mode::ALL.iter().position(|&m| m == self).expect("listed")
    }
}

/// What one final state expresses, relative to its cue.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct ModeReading {
    /// The mode.
    pub mode: Mode,
    /// `Σ_μ max(c_μ, 0)`.
    pub activity: f64,
    /// Share of the positive expression on the cue's own memory.
    pub cue_share: f64,
    /// Share on memories one hop from the cue.
    pub near_share: f64,
    /// Share on memories two or more hops away (or unreachable).
    pub far_share: f64,
}

/// Classifies one final state from its expression coefficients `c` (length `P`) and the hop
/// distances of every memory from the cue.
pub fn classify(expression: ArrayView1<f64>, distances: &[Option<usize>]) -> ModeReading {
    let (mut cue, mut near, mut far) = (0.0, 0.0, 0.0);
    for (&c, d) in expression.iter().zip(distances) {
        let c = c.max(0.0);
        match d {
            Some(0) => cue += c,
            Some(1) => near += c,
            _ => far += c,
        }
    }
    let activity = cue + near + far;
    let share = |x: f64| if activity > 0.0 { x / activity } else { 0.0 };
    let (cue_share, near_share, far_share) = (share(cue), share(near), share(far));
    let mode = if activity < QUIESCENT_ACTIVITY {
        Mode::Quiescent
    } else if cue_share >= near_share && cue_share >= far_share {
        Mode::Auto
    } else if near_share >= far_share {
        Mode::NarrowHetero
    } else {
        Mode::WideHetero
    };
    ModeReading {
        mode,
        activity,
        cue_share,
        near_share,
        far_share,
    }
}

/// The memory graphs the experiments run on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GraphKind {
    /// Zachary's karate club (34 nodes).
    Karate,
    /// A ring of the given number of nodes.
    Ring(usize),
    /// Two-level planted partition: 4 blocks of 10 nodes in 2 super-communities
    /// (`p_in = 0.8`, `p_mid = 0.05`, `p_out = 0.005`).
    Partition,
}

impl GraphKind {
    /// The adjacency matrix (the partition is drawn with `seed`).
    pub fn adjacency(self, seed: u64) -> Result<Array2<f32>> {
        Ok(match self {
            GraphKind::Karate => karate_club().0,
            GraphKind::Ring(p) => {
                if p < 3 {
                    return Err(Error::param("ring", "needs at least 3 nodes"));
                }
                ring(p)
            }
            GraphKind::Partition => hierarchical_partition(4, 10, 0.8, 0.05, 0.005, seed)?.0,
        })
    }

    /// Name for tables.
    pub fn name(self) -> String {
        match self {
            GraphKind::Karate => "karate".into(),
            GraphKind::Ring(p) => format!("ring{p}"),
            GraphKind::Partition => "partition".into(),
        }
    }
}

impl std::str::FromStr for GraphKind {
    type Err = Error;
    /// Parses `karate`, `ring` (30 nodes), `ringP` or `ring:P`, and `partition`.
    fn from_str(text: &str) -> Result<Self> {
        match text {
            "karate" => Ok(GraphKind::Karate),
            "partition" => Ok(GraphKind::Partition),
            "ring" => Ok(GraphKind::Ring(30)),
            _ => {
                let digits = text
                    .strip_prefix("ring:")
                    .or_else(|| text.strip_prefix("ring"));
                match digits.and_then(|d| d.parse::<usize>().ok()) {
                    Some(p) => Ok(GraphKind::Ring(p)),
                    None => Err(Error::param(
                        "graph",
                        format!(
                            "unknown graph {text:?} (expected karate, ring, ringP or partition)"
                        ),
                    )),
                }
            }
        }
    }
}

/// `p` random unit vectors `±1/√dim`, one memory per graph node.
pub fn unit_bipolar(p: usize, dim: usize, seed: u64) -> Array2<f32> {
    let scale = 1.0 / (dim as f32).sqrt();
    random_bipolar(p, dim, seed).mapv(|v| v * scale)
}

/// Options of [`cdam_modes`].
#[derive(Clone, Debug)]
pub struct ModesOptions {
    /// The memory graph.
    pub graph: GraphKind,
    /// Dimension `N` of the patterns.
    pub dim: usize,
    /// Inverse temperature `β`.
    pub beta: f32,
    /// Step size `η`.
    pub eta: f32,
    /// Updates run from each cue.
    pub steps: usize,
    /// Values of the auto-association strength `a` (columns of the picture).
    pub a_values: Vec<f32>,
    /// Values of the hetero-association strength `h` (rows).
    pub h_values: Vec<f32>,
    /// Seed of the patterns (and of the partition graph).
    pub seed: u64,
}

impl Default for ModesOptions {
    /// Karate club, `N = 100`, `β = 50`, `η = 0.5`, 200 steps, `a` and `h` in
    /// `{-1, -0.75, …, 1}`.
    fn default() -> Self {
        let grid: Vec<f32> = (0..9).map(|i| -1.0 + 0.25 * i as f32).collect();
        ModesOptions {
            graph: GraphKind::Karate,
            dim: 100,
            beta: 50.0,
            eta: 0.5,
            steps: 200,
            a_values: grid.clone(),
            h_values: grid,
            seed: 0,
        }
    }
}

/// The mode reached at one `(a, h)`.
#[derive(Clone, Debug, Serialize)]
pub struct ModesRow {
    /// Auto-association strength.
    pub a: f32,
    /// Hetero-association strength.
    pub h: f32,
    /// Inverse temperature.
    pub beta: f32,
    /// Step size.
    pub eta: f32,
    /// The most frequent mode over the cues.
    pub mode: Mode,
    /// How many cues reached each mode: auto, narrow_hetero, wide_hetero, quiescent.
    pub counts: [usize; 4],
    /// Mean activity of the final states.
    pub activity: f64,
    /// Mean share of the cue's own memory.
    pub cue_share: f64,
    /// Mean share of the one-hop neighbours.
    pub near_share: f64,
    /// Mean share of memories further away.
    pub far_share: f64,
}

/// Runs every memory of `net` as a cue for `steps` updates and classifies each final state.
pub fn mode_readings(net: &Cdam, steps: usize) -> Result<Vec<ModeReading>> {
    let cues = net.patterns().to_owned();
    let run = net.settle(cues.view(), None, steps, 0.0)?;
    let expression = net.expression(run.states.view())?;
    let adjacency = net.adjacency().to_owned();
    Ok((0..net.len())
        .map(|mu| classify(expression.row(mu), &hop_distances(&adjacency, mu)))
        .collect())
}

/// Sweeps `a` × `h` and reports the mode each pair reaches (rows ordered by `h`, then `a`).
/// `progress` is called after each pair.
pub fn cdam_modes(
    opts: &ModesOptions,
    mut progress: impl FnMut(&ModesRow),
) -> Result<Vec<ModesRow>> {
    if opts.a_values.is_empty() || opts.h_values.is_empty() {
        return Err(Error::Empty(
            "a_values and h_values must not be empty".into(),
        ));
    }
    let adjacency = opts.graph.adjacency(opts.seed)?;
    let patterns = unit_bipolar(adjacency.nrows(), opts.dim, opts.seed);
    let mut rows = Vec::new();
    for &h in &opts.h_values {
        for &a in &opts.a_values {
            let params = CdamParams::new(a, h, opts.beta, opts.eta);
            let net = Cdam::new(patterns.clone(), adjacency.clone(), params)?;
            let readings = mode_readings(&net, opts.steps)?;
            let mut counts = [0usize; 4];
            for r in &readings {
                counts[r.mode.index()] += 1;
            }
            // The most frequent mode; ties go to the earlier mode in `Mode::ALL`.
            let best = (0..4).fold(0, |b, k| if counts[k] > counts[b] { k } else { b });
            let mean = |f: fn(&ModeReading) -> f64| {
                readings.iter().map(f).sum::<f64>() / readings.len() as f64
            };
            let row = ModesRow {
                a,
                h,
                beta: opts.beta,
                eta: opts.eta,
                mode: Mode::ALL[best],
                counts,
                activity: mean(|r| r.activity),
                cue_share: mean(|r| r.cue_share),
                near_share: mean(|r| r.near_share),
                far_share: mean(|r| r.far_share),
            };
            progress(&row);
            rows.push(row);
        }
    }
    Ok(rows)
}

/// Labels that group states whose cosine similarity exceeds `threshold` (connected components
/// of the "similar" relation). States of norm zero form their own group each.
pub fn group_similar_states(states: &Array2<f32>, threshold: f64) -> Vec<usize> {
    let p = states.nrows();
    let norms: Vec<f64> = states
        .rows()
        .into_iter()
        .map(|r| r.iter().map(|&v| (v as f64).powi(2)).sum::<f64>().sqrt())
        .collect();
    let mut label = vec![usize::MAX; p];
    let mut next = 0;
    for start in 0..p {
        if label[start] != usize::MAX {
            continue;
        }
        label[start] = next;
        let mut stack = vec![start];
        while let Some(u) = stack.pop() {
            for v in 0..p {
                if label[v] != usize::MAX || norms[u] == 0.0 || norms[v] == 0.0 {
                    continue;
                }
                let dot: f64 = states
                    .row(u)
                    .iter()
                    .zip(states.row(v))
                    .map(|(&a, &b)| a as f64 * b as f64)
                    .sum();
                if dot / (norms[u] * norms[v]) > threshold {
                    label[v] = next;
                    stack.push(v);
                }
            }
        }
        next += 1;
    }
    label
}

/// One scale of the community scan.
#[derive(Clone, Debug, Serialize)]
pub struct CommunityRow {
    /// Auto-association strength.
    pub a: f32,
    /// Hetero-association strength.
    pub h: f32,
    /// Number of distinct attractors (groups of final states with cosine > 0.95).
    pub groups: usize,
    /// Rand index of the attractor groups against the fine ground truth.
    pub rand_fine: f64,
    /// Rand index against the coarse ground truth, when there is one.
    pub rand_coarse: Option<f64>,
}

/// Runs every node's memory to its attractor for each `a` in `a_values` (with `h`, `β`, `η`,
/// `steps`), groups nodes whose attractors coincide (cosine > 0.95) and compares the groups with
/// the ground-truth labels: the scale of the communities found follows the auto-association
/// strength.
#[allow(clippy::too_many_arguments)]
pub fn community_scan(
    adjacency: &Array2<f32>,
    fine: &[usize],
    coarse: Option<&[usize]>,
    a_values: &[f32],
    h: f32,
    beta: f32,
    dim: usize,
    steps: usize,
    seed: u64,
) -> Result<Vec<CommunityRow>> {
    let p = adjacency.nrows();
    if fine.len() != p || coarse.is_some_and(|c| c.len() != p) {
        return Err(Error::shape("community labels", p, fine.len()));
    }
    let patterns = unit_bipolar(p, dim, seed);
    a_values
        .iter()
        .map(|&a| {
            let net = Cdam::new(
                patterns.clone(),
                adjacency.clone(),
                CdamParams::new(a, h, beta, 0.5),
            )?;
            let run = net.settle(patterns.view(), None, steps, 0.0)?;
            let labels = group_similar_states(&run.states, 0.95);
            Ok(CommunityRow {
                a,
                h,
                groups: labels.iter().max().map_or(0, |m| m + 1),
                rand_fine: rand_index(&labels, fine),
                rand_coarse: coarse.map(|c| rand_index(&labels, c)),
            })
        })
        .collect()
}

/// Splits states in two by the sign of their projection on the leading principal direction of
/// the normalised, centred states (power iteration on their `(P, P)` Gram matrix): a two-way
/// community split of the nodes whose attractors the rows are.
pub fn two_way_split(states: &Array2<f32>) -> Vec<usize> {
    let p = states.nrows();
    if p == 0 {
        return Vec::new();
    }
    let mut z = states.mapv(f64::from);
    for mut row in z.rows_mut() {
        let norm = row.iter().map(|v| v * v).sum::<f64>().sqrt();
        if norm > 0.0 {
            row.mapv_inplace(|v| v / norm);
        }
    }
    let mean = z.mean_axis(Axis(0)).expect("at least one row");
    z -= &mean;
    let gram = z.dot(&z.t());
    // Deterministic, not orthogonal to the leading direction in practice.
    let mut v = Array1::from_shape_fn(p, |i| 1.0 + (i as f64 * 0.618_033_988_7).fract());
    for _ in 0..500 {
        let w = gram.dot(&v);
        let norm = w.iter().map(|x| x * x).sum::<f64>().sqrt();
        if norm == 0.0 {
            break;
        }
        v = w / norm;
    }
    v.iter().map(|&x| usize::from(x > 0.0)).collect()
}

/// Fraction of nodes a two-way split puts on the same side as `truth` (labels 0/1), taking the
/// better of the two ways to match the sides.
pub fn split_accuracy(split: &[usize], truth: &[usize]) -> f64 {
    let n = split.len().min(truth.len());
    if n == 0 {
        return 1.0;
    }
    let same = split.iter().zip(truth).filter(|(a, b)| a == b).count();
    same.max(n - same) as f64 / n as f64
}

/// The karate-club demonstration: every member's memory is run to its attractor (`N = dim`,
/// `η = 0.5`, `steps` updates) and the attractors are split in two ([`two_way_split`]).
/// Returns the split and its agreement with the factions Zachary observed.
pub fn karate_split(
    params: CdamParams,
    dim: usize,
    steps: usize,
    seed: u64,
) -> Result<(Vec<usize>, f64)> {
    let (adjacency, faction) = karate_club();
    let patterns = unit_bipolar(adjacency.nrows(), dim, seed);
    let net = Cdam::new(patterns.clone(), adjacency, params)?;
    let run = net.settle(patterns.view(), None, steps, 0.0)?;
    let split = two_way_split(&run.states);
    let accuracy = split_accuracy(&split, &faction);
    Ok((split, accuracy))
}

/// How well a CDAM on a directed cycle replays its sequence.
#[derive(Clone, Debug, Serialize)]
pub struct SequenceTracking {
    /// Auto-association strength (negative: anti-Hebbian).
    pub a: f32,
    /// Hetero-association strength.
    pub h: f32,
    /// Step size.
    pub eta: f32,
    /// Updates run.
    pub steps: usize,
    /// Leading updates after which the closest memory was the next one in the sequence (all of
    /// them when the replay never slips).
    pub tracked: usize,
    /// Smallest cosine between the state and its closest memory over the run.
    pub min_cosine: f64,
}

/// Stores `len` random memories on the directed cycle `0 → 1 → … → len-1 → 0`, starts at memory
/// 0 and runs `steps` updates: after update `t` the closest memory should be `t mod len`.
#[allow(clippy::too_many_arguments)]
pub fn sequence_tracking(
    len: usize,
    dim: usize,
    a: f32,
    h: f32,
    beta: f32,
    eta: f32,
    steps: usize,
    seed: u64,
) -> Result<SequenceTracking> {
    let patterns = unit_bipolar(len, dim, seed);
    let net = Cdam::new(
        patterns.clone(),
        super::graphs::directed_cycle(len),
        CdamParams::new(a, h, beta, eta),
    )?;
    let trajectory = net.run(patterns.row(0), steps, None)?;
    let mut tracked = 0;
    let mut slipped = false;
    let mut min_cosine = f64::INFINITY;
    for t in 1..=steps {
        let state = trajectory.row(t);
        let norm = state
            .iter()
            .map(|&v| (v as f64).powi(2))
            .sum::<f64>()
            .sqrt();
        let sims: Vec<f64> = patterns
            .rows()
            .into_iter()
            .map(|xi| xi.dot(&state) as f64 / norm.max(1e-30))
            .collect();
        let best = (0..len).fold(0, |b, k| if sims[k] > sims[b] { k } else { b });
        min_cosine = min_cosine.min(sims[best]);
        if !slipped && best == t % len {
            tracked += 1;
        } else {
            slipped = true;
        }
    }
    Ok(SequenceTracking {
        a,
        h,
        eta,
        steps,
        tracked,
        min_cosine,
    })
}

/// `p` patterns of dimension `dim` with entries drawn uniformly from `[0, 1)`, the memories of the
/// author's notebooks (`np.random.rand(N, P)`).
pub fn uniform_patterns(p: usize, dim: usize, seed: u64) -> Array2<f32> {
    let mut rng = Rng::new(seed);
    Array2::from_shape_fn((p, dim), |_| rng.uniform() as f32)
}

/// Pearson correlations between the rows of `states`, shape `(B, B)` (`np.corrcoef`). A constant
/// row correlates 0 with everything but itself.
pub fn pearson_matrix(states: &Array2<f32>) -> Array2<f64> {
    let b = states.nrows();
    let centred: Vec<Vec<f64>> = states
        .rows()
        .into_iter()
        .map(|r| {
            let mean = r.iter().map(|&v| v as f64).sum::<f64>() / r.len().max(1) as f64;
            let c: Vec<f64> = r.iter().map(|&v| v as f64 - mean).collect();
            let norm = c.iter().map(|v| v * v).sum::<f64>().sqrt();
            if norm > 0.0 {
                c.iter().map(|v| v / norm).collect()
            } else {
                vec![0.0; c.len()]
            }
        })
        .collect();
    Array2::from_shape_fn((b, b), |(i, j)| {
        if i == j {
            1.0
        } else {
            centred[i].iter().zip(&centred[j]).map(|(x, y)| x * y).sum()
        }
    })
}

/// Options of [`range_of_recall`]. The defaults are those of the author's range-of-recall
/// notebook (`tfburns/CDAM`, `Range_of_recall_extension.ipynb`): a ring of 30 memories
/// (`nx.cycle_graph(30)`), `N = 1000` neurons, patterns uniform in `[0, 1)`, `β = 1`, `η = 0.1`,
/// 100 updates from each memory plus uniform noise of width 1, the mean pattern subtracted with
/// coefficient 1 (the line the notebook runs), and `h = 1 - a` for `a ∈ {1, 0.5, -0.5, -2}`.
#[derive(Clone, Debug)]
pub struct RangeOptions {
    /// Memories on the ring.
    pub nodes: usize,
    /// Dimension `N` of the patterns.
    pub dim: usize,
    /// Inverse temperature `β`.
    pub beta: f32,
    /// Step size `η`.
    pub eta: f32,
    /// Updates run from each memory.
    pub steps: usize,
    /// Width of the uniform noise added to the starting memory (`noise * (U[0,1) - 0.5)`).
    pub noise: f32,
    /// Coefficient of the mean pattern subtracted from the target
    /// ([`CdamParams::mean_offset`]).
    pub mean_offset: f32,
    /// Values of `a`; each runs with `h = 1 - a`.
    pub a_values: Vec<f32>,
    /// Largest graph distance reported.
    pub max_distance: usize,
    /// Seed of the patterns and of the noise.
    pub seed: u64,
}

impl Default for RangeOptions {
    fn default() -> Self {
        RangeOptions {
            nodes: 30,
            dim: 1000,
            beta: 1.0,
            eta: 0.1,
            steps: 100,
            noise: 1.0,
            mean_offset: 1.0,
            a_values: vec![1.0, 0.5, -0.5, -2.0],
            max_distance: 11,
            seed: 0,
        }
    }
}

/// Correlation below which two attractors count as unrelated in [`RangeRow::range`].
pub const RANGE_CORRELATION: f64 = 0.2;

/// How far recall reaches on the ring at one `a` (with `h = 1 - a`).
#[derive(Clone, Debug, Serialize)]
pub struct RangeRow {
    /// Auto-association strength.
    pub a: f32,
    /// Hetero-association strength, `1 - a`.
    pub h: f32,
    /// Mean Pearson correlation of the final states of memories `k` hops apart, `k = 0, 1, …`
    /// (the notebook's "correlation of memory pattern" against "graph distance").
    pub correlation: Vec<f64>,
    /// Standard deviation of those correlations over the memories.
    pub spread: Vec<f64>,
    /// Largest distance up to which the mean correlation stays at or above
    /// [`RANGE_CORRELATION`].
    pub range: usize,
}

/// The range-of-recall experiment of the author's notebook: every memory of a ring (plus noise)
/// is run for `steps` updates, and the final states of memories `k` hops apart are correlated.
/// Anti-Hebbian auto-association (`a < 0`) widens the range of hetero-association.
pub fn range_of_recall(opts: &RangeOptions) -> Result<Vec<RangeRow>> {
    if opts.nodes < 3 {
        return Err(Error::param("nodes", "a ring needs at least 3 nodes"));
    }
    if opts.dim == 0 {
        return Err(Error::param("dim", "must be at least 1"));
    }
    if !(opts.noise.is_finite() && opts.noise >= 0.0) {
        return Err(Error::param("noise", "must be finite and >= 0"));
    }
    let p = opts.nodes;
    let adjacency = ring(p);
    let patterns = uniform_patterns(p, opts.dim, opts.seed);
    let max_k = opts.max_distance.min(p / 2);
    opts.a_values
        .iter()
        .enumerate()
        .map(|(run, &a)| {
            let h = 1.0 - a;
            let params =
                CdamParams::new(a, h, opts.beta, opts.eta).with_mean_offset(opts.mean_offset);
            let net = Cdam::new(patterns.clone(), adjacency.clone(), params)?;
            let mut rng = Rng::stream(opts.seed ^ 0x5EED_0FA0, run as u64);
            let mut states = patterns.mapv(|v| v + opts.noise * (rng.uniform() as f32 - 0.5));
            for _ in 0..opts.steps {
                states = net.step(states.view())?;
            }
            let corr = pearson_matrix(&states);
            let (mut correlation, mut spread) = (Vec::new(), Vec::new());
            for k in 0..=max_k {
                let values: Vec<f64> = (0..p).map(|i| corr[[i, (i + k) % p]]).collect();
                let mean = values.iter().sum::<f64>() / p as f64;
                let var = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / p as f64;
                correlation.push(mean);
                spread.push(var.sqrt());
            }
            let range = correlation
                .iter()
                .take_while(|&&c| c >= RANGE_CORRELATION)
                .count()
                .saturating_sub(1);
            Ok(RangeRow {
                a,
                h,
                correlation,
                spread,
                range,
            })
        })
        .collect()
}

/// A deterministic finite automaton: `table[q][x]` is the state after reading symbol `x` in
/// state `q`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FiniteAutomaton {
    table: Vec<Vec<usize>>,
}

impl FiniteAutomaton {
    /// An automaton from its transition table (one row per state, one column per symbol, every
    /// entry a valid state).
    pub fn new(table: Vec<Vec<usize>>) -> Result<Self> {
        let states = table.len();
        if states == 0 {
            return Err(Error::Empty("automaton has no states".into()));
        }
        let symbols = table[0].len();
        if symbols == 0 {
            return Err(Error::Empty("automaton has no input symbols".into()));
        }
        for (q, row) in table.iter().enumerate() {
            if row.len() != symbols {
                return Err(Error::shape(
                    format!("transition row {q}"),
                    symbols,
                    row.len(),
                ));
            }
            if let Some(&bad) = row.iter().find(|&&t| t >= states) {
                return Err(Error::param(
                    "table",
                    format!("state {q} goes to {bad}, but there are only {states} states"),
                ));
            }
        }
        Ok(FiniteAutomaton { table })
    }

    /// The automaton that reads a binary number most significant bit first and tracks its
    /// value modulo 3: `δ(q, b) = (2q + b) mod 3`.
    pub fn mod3() -> Self {
        FiniteAutomaton {
            table: (0..3)
                .map(|q| (0..2).map(|b| (2 * q + b) % 3).collect())
                .collect(),
        }
    }

    /// Number of states.
    pub fn states(&self) -> usize {
        self.table.len()
    }

    /// Number of input symbols.
    pub fn symbols(&self) -> usize {
        self.table[0].len()
    }

    /// The state after reading `symbol` in `state`.
    pub fn next(&self, state: usize, symbol: usize) -> usize {
        self.table[state][symbol]
    }

    /// The states visited after each symbol of `input`, starting from `start`.
    pub fn run(&self, start: usize, input: &[usize]) -> Vec<usize> {
        let mut q = start;
        input
            .iter()
            .map(|&x| {
                q = self.next(q, x);
                q
            })
            .collect()
    }
}

/// A finite automaton simulated by a CDAM.
///
/// Neurons are split into a state part (`state_dim`) and an input part (`input_dim`); every state
/// `q` and symbol `x` gets a random ±1 code, and every pair `(q, x)` is one memory, the
/// concatenated codes scaled to unit norm. The memory graph links `(q, x)` to `(δ(q, x), y)` for
/// every symbol `y`. One automaton step clamps the input part to the code of the symbol read,
/// keeps the state part from the previous step, and runs one CDAM update with pure
/// hetero-association (`a = 0`, `h = 1`, `η = 1`): the attention picks the memory `(q, x)` and
/// the projection writes the code of `δ(q, x)` into the state part (the input part becomes the
/// mean of the symbol codes and is overwritten by the next symbol). The state is read out as
/// the state code with the largest overlap.
#[derive(Clone, Debug)]
pub struct CdamAutomaton {
    automaton: FiniteAutomaton,
    net: Cdam,
    state_dim: usize,
    state_codes: Array2<f32>,
    input_codes: Array2<f32>,
}

impl CdamAutomaton {
    /// Builds the memory for `automaton` with codes of the given sizes, attention inverse
    /// temperature `beta` and random codes drawn with `seed`.
    pub fn new(
        automaton: FiniteAutomaton,
        state_dim: usize,
        input_dim: usize,
        beta: f32,
        seed: u64,
    ) -> Result<Self> {
        if state_dim == 0 || input_dim == 0 {
            return Err(Error::param(
                "dims",
                "state and input codes need at least 1 neuron",
            ));
        }
        let (nq, nx) = (automaton.states(), automaton.symbols());
        let scale = 1.0 / ((state_dim + input_dim) as f32).sqrt();
        let state_codes = random_bipolar(nq, state_dim, seed).mapv(|v| v * scale);
        let input_codes = random_bipolar(nx, input_dim, seed ^ 0x1A2B_3C4D).mapv(|v| v * scale);
        let p = nq * nx;
        let mut patterns = Array2::zeros((p, state_dim + input_dim));
        let mut adjacency = Array2::zeros((p, p));
        for q in 0..nq {
            for x in 0..nx {
                let mu = q * nx + x;
                patterns
                    .slice_mut(s![mu, ..state_dim])
                    .assign(&state_codes.row(q));
                patterns
                    .slice_mut(s![mu, state_dim..])
                    .assign(&input_codes.row(x));
                let target = automaton.next(q, x);
                for y in 0..nx {
                    adjacency[[mu, target * nx + y]] = 1.0;
                }
            }
        }
        let net = Cdam::new(patterns, adjacency, CdamParams::new(0.0, 1.0, beta, 1.0))?;
        Ok(CdamAutomaton {
            automaton,
            net,
            state_dim,
            state_codes,
            input_codes,
        })
    }

    /// The automaton being simulated.
    pub fn automaton(&self) -> &FiniteAutomaton {
        &self.automaton
    }

    /// The underlying CDAM (memories `(q, x)` at index `q * symbols + x`).
    pub fn net(&self) -> &Cdam {
        &self.net
    }

    /// The network state that holds automaton state `q` and input symbol `x`.
    pub fn encode(&self, q: usize, x: usize) -> Array1<f32> {
        let mut v = Array1::zeros(self.net.dim());
        v.slice_mut(s![..self.state_dim])
            .assign(&self.state_codes.row(q));
        v.slice_mut(s![self.state_dim..])
            .assign(&self.input_codes.row(x));
        v
    }

    /// The automaton state whose code overlaps most with the state part of `state`.
    pub fn decode(&self, state: ArrayView1<f32>) -> usize {
        let part = state.slice(s![..self.state_dim]);
        let overlaps: Vec<f32> = self
            .state_codes
            .rows()
            .into_iter()
            .map(|c| c.dot(&part))
            .collect();
        (0..overlaps.len()).fold(0, |b, k| if overlaps[k] > overlaps[b] { k } else { b })
    }

    /// One automaton step: `state`'s input part is replaced by the code of `symbol` and clamped,
    /// then one CDAM update runs. Returns the new network state.
    pub fn step(&self, state: ArrayView1<f32>, symbol: usize) -> Result<Array1<f32>> {
        if symbol >= self.automaton.symbols() {
            return Err(Error::param(
                "symbol",
                format!(
                    "{symbol} is not one of the {} symbols",
                    self.automaton.symbols()
                ),
            ));
        }
        let mut start = state.to_owned();
        start
            .slice_mut(s![self.state_dim..])
            .assign(&self.input_codes.row(symbol));
        let clamp = Array1::from_shape_fn(self.net.dim(), |i| i >= self.state_dim);
        let trajectory = self.net.run(start.view(), 1, Some(clamp.view()))?;
        Ok(trajectory.index_axis(Axis(0), 1).to_owned())
    }

    /// Runs the network on `input` from automaton state `start`; returns the decoded state after
    /// each symbol.
    pub fn run(&self, start: usize, input: &[usize]) -> Result<Vec<usize>> {
        if start >= self.automaton.states() {
            return Err(Error::param(
                "start",
                format!(
                    "{start} is not one of the {} states",
                    self.automaton.states()
                ),
            ));
        }
        let mut state = self.encode(start, 0);
        input
            .iter()
            .map(|&x| {
                state = self.step(state.view(), x)?;
                Ok(self.decode(state.view()))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classification_follows_the_largest_share() {
        let d = [Some(0), Some(1), Some(1), Some(2), None];
        let r = classify(ndarray::arr1(&[0.9, 0.05, 0.05, 0.0, 0.0]).view(), &d);
        assert_eq!(r.mode, Mode::Auto);
        let r = classify(ndarray::arr1(&[0.1, 0.4, 0.4, 0.1, -0.3]).view(), &d);
        assert_eq!(r.mode, Mode::NarrowHetero);
        let r = classify(ndarray::arr1(&[0.1, 0.1, 0.1, 0.5, 0.3]).view(), &d);
        assert_eq!(r.mode, Mode::WideHetero);
        let r = classify(ndarray::arr1(&[0.05, -0.5, 0.05, 0.0, 0.0]).view(), &d);
        assert_eq!(r.mode, Mode::Quiescent);
        assert_eq!(Mode::NarrowHetero.name(), "narrow_hetero");
    }

    #[test]
    fn graph_names_parse() {
        assert_eq!("ring12".parse::<GraphKind>().unwrap(), GraphKind::Ring(12));
        assert_eq!("karate".parse::<GraphKind>().unwrap(), GraphKind::Karate);
        assert!("lattice".parse::<GraphKind>().is_err());
    }
}
