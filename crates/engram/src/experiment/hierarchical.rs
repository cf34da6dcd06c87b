//! Hierarchical associative memory on the digits (Krotov 2021): masked-digit completion by a
//! two-layer memory (pixels <-> memories) beside a three-layer one that adds a layer of class
//! neurons above the memories (pixels <-> memories <-> classes), both run as energy descent with
//! the observed pixels clamped.
//!
//! Weights are built from the data, not trained: the memory layer's dense synapse holds `K`
//! training digits (pixels / 16) as rows, as in
//! [`crate::layers::Network::two_layer_memory`], and a bias neuron clamped at 1 feeds memory `μ`
//! with `-½|ξ_μ|²`, so that memories compete by distance (the energy at the memory layer's
//! equilibrium is `-(1/β₁) log Σ_μ exp(-β₁ |v - ξ_μ|² / 2)` + const); the class synapse connects
//! memory `μ` to the neuron of its label with weight `α`. The memory layer (softmax, `β₁`) is
//! instantaneous, the class layer (softmax, `β₂`) and the visible layer (identity) have time
//! constant 1. Hidden pixels start at the mean stored digit.
//!
//! Completing a digit, the class layer pools the evidence of all memories of a class and feeds
//! it back as a bias `α g_class(c(μ))` on each memory: the top layer votes, the memories follow.

use ndarray::{Array1, Array2, Axis};
use rayon::prelude::*;
use serde::Serialize;

use crate::error::{ensure_positive, Error, Result};
use crate::layers::{Dense, DescentOptions, Lagrangian, Layer, Network, Synapse, Trajectory};
use crate::numeric::Rng;
use crate::pattern::Digits;

/// Settings of [`hierarchical_completion`].
#[derive(Clone, Debug, PartialEq)]
pub struct HierarchicalOptions {
    /// Stored training digits `K` (the memory layer's size).
    pub memories: usize,
    /// Test digits completed per mask (drawn from the digits not stored).
    pub queries: usize,
    /// Inverse temperature `β₁` of the memory layer's softmax.
    pub beta_memory: f64,
    /// Inverse temperature `β₂` of the class layer's softmax.
    pub beta_class: f64,
    /// Weight `α` of the memory-to-class synapse.
    pub class_weight: f64,
    /// Euler step of the descent.
    pub step: f64,
    /// Largest number of steps.
    pub max_steps: usize,
    /// Stop when no state entry moves by more than this.
    pub tolerance: f64,
    /// Seed of the split between memories and queries.
    pub seed: u64,
}

impl Default for HierarchicalOptions {
    fn default() -> Self {
        HierarchicalOptions {
            memories: 500,
            queries: 300,
            beta_memory: 2.0,
            beta_class: 1.0,
            class_weight: 4.0,
            step: 0.5,
            max_steps: 200,
            tolerance: 1e-6,
            seed: 2021,
        }
    }
}

/// Which pixels the cue hides.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum DigitMask {
    /// The lower four rows.
    LowerHalf,
    /// The right four columns.
    RightHalf,
}

impl DigitMask {
    /// Name for tables.
    pub fn name(self) -> &'static str {
        match self {
            DigitMask::LowerHalf => "lower half hidden",
            DigitMask::RightHalf => "right half hidden",
        }
    }

    /// `true` for the observed (clamped) pixels of an 8x8 image.
    pub fn observed(self) -> Vec<bool> {
        (0..64)
            .map(|i| match self {
                DigitMask::LowerHalf => i / 8 < 4,
                DigitMask::RightHalf => i % 8 < 4,
            })
            .collect()
    }
}

/// One (network, mask) row of the result.
#[derive(Clone, Debug, Serialize)]
pub struct HierarchicalRow {
    /// `2-layer` or `3-layer`.
    pub network: String,
    /// The mask's name.
    pub mask: String,
    /// Mean squared error over the hidden pixels (pixel values in [0, 1]).
    pub hidden_mse: f64,
    /// Fraction of queries whose completion is nearest (Euclidean) to the mean digit of their
    /// own class (class means of the stored memories).
    pub completion_accuracy: f64,
    /// Fraction of queries whose most active memory has the query's label.
    pub memory_accuracy: f64,
    /// Fraction whose most active class neuron is the query's label (3-layer only).
    pub class_accuracy: Option<f64>,
    /// Mean number of steps.
    pub mean_steps: f64,
    /// Fraction of queries that met the tolerance.
    pub converged: f64,
    /// Mean energy at the start (after settling the memory layer).
    pub energy_start: f64,
    /// Mean energy at the end.
    pub energy_end: f64,
    /// Largest rise of the energy over one step, over all queries (0 when it never rose).
    pub max_energy_rise: f64,
    /// Mean energy per step over the queries (a query that stopped keeps its last energy).
    pub energy_trace: Vec<f64>,
}

/// The completions behind a table, for pictures.
#[derive(Clone, Debug)]
pub struct HierarchicalResult {
    /// One row per (network, mask).
    pub rows: Vec<HierarchicalRow>,
    /// Original test digits `(Q, 64)`, in [0, 1].
    pub originals: Array2<f32>,
    /// Per mask: the cue (hidden pixels at the mean stored digit), the 2-layer and the 3-layer completions, each
    /// `(Q, 64)`.
    pub completions: Vec<(DigitMask, [Array2<f32>; 3])>,
}

/// Layers and synapses shared by both networks: pixels (0, identity), memories (1, softmax,
/// instantaneous), and a bias neuron (2, identity, clamped at 1) whose synapse gives memory `μ`
/// the input `ξ_μ·v - ½|ξ_μ|²`. With it the two-layer energy at the memory layer's equilibrium is
/// `-(1/β₁) log Σ_μ exp(-β₁ |v - ξ_μ|² / 2)` plus a constant: memories compete by distance, not
/// by how much ink they have.
fn base(memory: &Array2<f64>, beta_memory: f64) -> Result<(Vec<Layer>, Vec<Synapse>)> {
    let k = memory.nrows();
    if k == 0 || memory.ncols() == 0 {
        return Err(Error::Empty("memories: need at least one digit".into()));
    }
    let half_norms = memory
        .rows()
        .into_iter()
        .map(|r| -0.5 * r.dot(&r))
        .collect::<Vec<_>>();
    let layers = vec![
        Layer::new(&[memory.ncols()], Lagrangian::Identity)?,
        Layer::new(&[k], Lagrangian::Softmax { beta: beta_memory })?.instantaneous(),
        Layer::new(&[1], Lagrangian::Identity)?,
    ];
    let synapses = vec![
        Dense::new(1, 0, memory.clone())?.into(),
        Dense::new(
            1,
            2,
            Array2::from_shape_vec((k, 1), half_norms).expect("k x 1"),
        )?
        .into(),
    ];
    Ok((layers, synapses))
}

/// The two-layer network: pixels (layer 0) and memories (layer 1, instantaneous), plus the bias
/// neuron (layer 2, to be clamped at 1).
pub fn two_layer_network(memory: &Array2<f64>, beta_memory: f64) -> Result<Network> {
    let (layers, synapses) = base(memory, beta_memory)?;
    Network::new(layers, synapses)
}

/// The three-layer network: [`two_layer_network`] plus a class layer (layer 3, 10 softmax
/// neurons) fed by memory `μ` with weight `α` on the neuron of `labels[μ]` (in `0..10`).
pub fn three_layer_network(
    memory: &Array2<f64>,
    labels: &[u8],
    opts: &HierarchicalOptions,
) -> Result<Network> {
    let k = memory.nrows();
    if labels.len() != k {
        return Err(Error::shape("labels", k, labels.len()));
    }
    let mut classes = Array2::zeros((10, k));
    for (mu, &c) in labels.iter().enumerate() {
        if c > 9 {
            return Err(Error::param("labels", format!("label {c} outside 0..=9")));
        }
        classes[[c as usize, mu]] = opts.class_weight;
    }
    let (mut layers, mut synapses) = base(memory, opts.beta_memory)?;
    layers.push(Layer::new(
        &[10],
        Lagrangian::Softmax {
            beta: opts.beta_class,
        },
    )?);
    synapses.push(Dense::new(3, 1, classes)?.into());
    Network::new(layers, synapses)
}

fn validate(opts: &HierarchicalOptions, total: usize) -> Result<()> {
    if opts.memories == 0 || opts.queries == 0 {
        return Err(Error::param("memories/queries", "must be at least 1"));
    }
    if opts.memories + opts.queries > total {
        return Err(Error::param(
            "memories/queries",
            format!(
                "{} memories + {} queries exceed the {total} digits",
                opts.memories, opts.queries
            ),
        ));
    }
    ensure_positive("beta_memory", opts.beta_memory)?;
    ensure_positive("beta_class", opts.beta_class)?;
    ensure_positive("class_weight", opts.class_weight)?;
    ensure_positive("step", opts.step)?;
    if opts.max_steps == 0 {
        return Err(Error::param("max_steps", "must be at least 1"));
    }
    if opts.tolerance.is_nan() || opts.tolerance < 0.0 {
        return Err(Error::param("tolerance", "must be >= 0"));
    }
    Ok(())
}

fn argmax(v: &Array1<f64>) -> usize {
    v.iter()
        .enumerate()
        .fold((0, f64::NEG_INFINITY), |(bi, bv), (i, &x)| {
            if x > bv {
                (i, x)
            } else {
                (bi, bv)
            }
        })
        .0
}

/// Completes `opts.queries` masked test digits with both networks and both masks.
pub fn hierarchical_completion(opts: &HierarchicalOptions) -> Result<HierarchicalResult> {
    let digits = Digits::load()?;
    validate(opts, digits.len())?;
    let mut order: Vec<usize> = (0..digits.len()).collect();
    Rng::new(opts.seed).shuffle(&mut order);
    let (mem_idx, query_idx) = order.split_at(opts.memories);
    let query_idx = &query_idx[..opts.queries];
    let unit = digits.unit().mapv(|v| v as f64);
    let memory = unit.select(Axis(0), mem_idx);
    let mem_labels: Vec<u8> = mem_idx.iter().map(|&i| digits.labels[i]).collect();
    let queries = unit.select(Axis(0), query_idx);
    let query_labels: Vec<u8> = query_idx.iter().map(|&i| digits.labels[i]).collect();

    // Class means of the stored memories, to name the class of a completion.
    let mut means = Array2::<f64>::zeros((10, 64));
    let mut counts = [0usize; 10];
    for (row, &c) in memory.rows().into_iter().zip(&mem_labels) {
        means.row_mut(c as usize).scaled_add(1.0, &row);
        counts[c as usize] += 1;
    }
    for (c, &n) in counts.iter().enumerate() {
        if n > 0 {
            means.row_mut(c).mapv_inplace(|v| v / n as f64);
        }
    }
    let nearest_class = |x: &Array1<f64>| -> u8 {
        (0..10)
            .filter(|&c| counts[c] > 0)
            .map(|c| (c, (&means.row(c) - x).mapv(|d| d * d).sum()))
            .fold(
                (0, f64::INFINITY),
                |b, (c, d)| if d < b.1 { (c, d) } else { b },
            )
            .0 as u8
    };

    let nets = [
        ("2-layer", two_layer_network(&memory, opts.beta_memory)?),
        ("3-layer", three_layer_network(&memory, &mem_labels, opts)?),
    ];
    let descent = DescentOptions {
        step: opts.step,
        max_steps: opts.max_steps,
        tolerance: opts.tolerance,
    };
    let mut rows = Vec::new();
    let mut completions = Vec::new();
    for mask in [DigitMask::LowerHalf, DigitMask::RightHalf] {
        let observed = mask.observed();
        // Hidden pixels start at the mean stored digit.
        let mean = memory.mean_axis(Axis(0)).expect("at least one memory");
        let cues = Array2::from_shape_fn(queries.dim(), |(q, i)| {
            if observed[i] {
                queries[[q, i]]
            } else {
                mean[i]
            }
        });
        let mut pictures = vec![cues.mapv(|v| v as f32)];
        for (name, net) in &nets {
            let runs: Vec<Trajectory> = cues
                .rows()
                .into_iter()
                .collect::<Vec<_>>()
                .into_par_iter()
                .map(|cue| {
                    let mut init = net.visible_states(cue.to_owned())?;
                    init[2][0] = 1.0;
                    net.descend_clamped(&init, &[(0, observed.clone()), (2, vec![true])], &descent)
                })
                .collect::<Result<_>>()?;
            rows.push(summarise(
                name,
                mask,
                &runs,
                &queries,
                &query_labels,
                &mem_labels,
                &observed,
                &nearest_class,
            ));
            let mut done = Array2::<f32>::zeros(queries.dim());
            for (mut row, run) in done.rows_mut().into_iter().zip(&runs) {
                row.assign(&run.states[0].mapv(|v| v as f32));
            }
            pictures.push(done);
        }
        let [a, b, c]: [Array2<f32>; 3] = pictures.try_into().expect("three pictures");
        completions.push((mask, [a, b, c]));
    }
    Ok(HierarchicalResult {
        rows,
        originals: queries.mapv(|v| v as f32),
        completions,
    })
}

#[allow(clippy::too_many_arguments)]
fn summarise(
    name: &str,
    mask: DigitMask,
    runs: &[Trajectory],
    queries: &Array2<f64>,
    query_labels: &[u8],
    mem_labels: &[u8],
    observed: &[bool],
    nearest_class: &dyn Fn(&Array1<f64>) -> u8,
) -> HierarchicalRow {
    let q = runs.len() as f64;
    let hidden = observed.iter().filter(|&&o| !o).count() as f64;
    let mut mse = 0.0;
    let (mut completion_hits, mut memory_hits, mut class_hits) = (0, 0, 0);
    let mut max_rise = 0.0f64;
    let longest = runs.iter().map(|r| r.energies.len()).max().unwrap_or(1);
    let mut trace = vec![0.0; longest];
    for (i, run) in runs.iter().enumerate() {
        let v = &run.states[0];
        mse += v
            .iter()
            .zip(queries.row(i))
            .zip(observed)
            .filter(|(_, &o)| !o)
            .map(|((a, b), _)| (a - b) * (a - b))
            .sum::<f64>()
            / hidden;
        completion_hits += (nearest_class(v) == query_labels[i]) as usize;
        // The memory layer's activation is its softmax; its argmax is the argmax of its state.
        memory_hits += (mem_labels[argmax(&run.states[1])] == query_labels[i]) as usize;
        if run.states.len() > 3 {
            class_hits += (argmax(&run.states[3]) == query_labels[i] as usize) as usize;
        }
        for w in run.energies.windows(2) {
            max_rise = max_rise.max(w[1] - w[0]);
        }
        for (t, slot) in trace.iter_mut().enumerate() {
            *slot += run.energies[t.min(run.energies.len() - 1)] / q;
        }
    }
    HierarchicalRow {
        network: name.to_string(),
        mask: mask.name().to_string(),
        hidden_mse: mse / q,
        completion_accuracy: completion_hits as f64 / q,
        memory_accuracy: memory_hits as f64 / q,
        class_accuracy: (runs.first().map_or(0, |r| r.states.len()) > 3)
            .then(|| class_hits as f64 / q),
        mean_steps: runs.iter().map(|r| r.steps as f64).sum::<f64>() / q,
        converged: runs.iter().filter(|r| r.converged).count() as f64 / q,
        energy_start: trace[0],
        energy_end: *trace.last().expect("at least one energy"),
        max_energy_rise: max_rise,
        energy_trace: trace,
    }
}
