//! Measured storage capacity of bipolar memories: the largest number of random patterns that the
//! dynamics still recall from their cues, found by a doubling-then-bisection search over `K`.
//!
//! Protocol (one probe at `K` patterns, repeated over `trials` seeds):
//! 1. draw `K` random bipolar patterns of dimension `N` and build the model;
//! 2. cue up to `probes_per_trial` of them, each with `flip_fraction` of its bits flipped;
//! 3. run asynchronous dynamics to a fixed point (at most `max_steps` sweeps);
//! 4. record the mean final overlap `m = ξ·s/N` and the fraction of cues recalled exactly.
//!
//! `K` passes when the [`Criterion`] holds on the pooled probes. The classical Hebbian result
//! (Amit, Gutfreund & Sompolinsky 1985) is a critical load `α_c ≈ 0.138` at which the retrieval
//! state, whose overlap is still about 0.97 just below it, disappears; the default criterion for
//! Hopfield networks (mean overlap >= 0.95 from the stored patterns themselves) detects exactly
//! that collapse.

use ndarray::{s, Array2};

use crate::dynamics::{recall, RecallOptions, Schedule};
use crate::error::{Error, Result};
use crate::learn::LearningRule;
use crate::model::{DamSeparation, DenseAssociativeMemory, Hopfield};
use crate::pattern::corrupt::flip_bits;
use crate::pattern::random_bipolar;

/// Which memory's capacity to measure.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum CapacityModel {
    /// A classical Hopfield network with the given learning rule.
    Hopfield(LearningRule),
    /// A dense associative memory with the given interaction function.
    Dense(DamSeparation),
}

impl CapacityModel {
    /// Name for tables and JSON, e.g. `hopfield-hebbian` or `dam-x^3`.
    pub fn name(&self) -> String {
        match self {
            CapacityModel::Hopfield(rule) => format!("hopfield-{rule}"),
            CapacityModel::Dense(sep) => format!("dam-{}", sep.describe()),
        }
    }
}

/// When a probe at `K` patterns counts as recalled.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Criterion {
    /// The mean final overlap over all probes is at least this value.
    MeanOverlap(f64),
    /// At least `fraction` of the probes end with overlap >= `min_overlap` with their pattern
    /// (`min_overlap = 1` asks for exact recall).
    Recalled {
        /// Final overlap a probe needs to count as recalled.
        min_overlap: f64,
        /// Fraction of probes that must be recalled.
        fraction: f64,
    },
}

/// Options of [`measure_capacity`].
#[derive(Clone, Debug)]
pub struct CapacityOptions {
    /// Number of neurons `N`.
    pub dim: usize,
    /// Independent pattern sets per probed `K`.
    pub trials: usize,
    /// Fraction of bits flipped in each cue (0 starts from the stored pattern itself).
    pub flip_fraction: f64,
    /// Most cues per trial (patterns beyond this are stored but not probed).
    pub probes_per_trial: usize,
    /// The pass criterion.
    pub criterion: Criterion,
    /// Most asynchronous sweeps per recall.
    pub max_steps: usize,
    /// Seed of patterns, cues and update orders.
    pub seed: u64,
    /// Largest `K` probed: the search stops there and reports it as a lower bound.
    pub max_patterns: usize,
}

impl CapacityOptions {
    /// Defaults suited to `model`: Hebbian and Storkey networks start from the patterns and
    /// need 90% of them to end with overlap >= 0.90; the pseudoinverse rule (for which any `K <= N` patterns are
    /// exact fixed points) and dense memories start from cues with 5% flipped bits and need 90%
    /// of them recalled exactly.
    pub fn for_model(model: CapacityModel, dim: usize) -> Self {
        let (flip_fraction, criterion) = match model {
            CapacityModel::Hopfield(LearningRule::Pseudoinverse) | CapacityModel::Dense(_) => (
                0.05,
                Criterion::Recalled {
                    min_overlap: 1.0,
                    fraction: 0.9,
                },
            ),
            CapacityModel::Hopfield(_) => (
                0.0,
                Criterion::Recalled {
                    min_overlap: 0.90,
                    fraction: 0.9,
                },
            ),
        };
        CapacityOptions {
            dim,
            trials: 3,
            flip_fraction,
            probes_per_trial: 100,
            criterion,
            max_steps: 50,
            seed: 0,
            max_patterns: 100_000,
        }
    }
}

/// What one probe at `K` patterns measured (pooled over trials).
#[derive(Clone, Debug, serde::Serialize)]
pub struct CapacityProbe {
    /// Number of stored patterns.
    pub patterns: usize,
    /// Mean final overlap with the cued pattern.
    pub mean_overlap: f64,
    /// Fraction of cues recalled exactly.
    pub exact_fraction: f64,
    /// Fraction of cues whose final overlap met the criterion's threshold (the exact fraction
    /// for [`Criterion::MeanOverlap`]).
    pub recalled_fraction: f64,
    /// Whether the criterion held.
    pub passed: bool,
}

/// The result of [`measure_capacity`].
#[derive(Clone, Debug, serde::Serialize)]
pub struct CapacityResult {
    /// Model name.
    pub model: String,
    /// Number of neurons `N`.
    pub dim: usize,
    /// Largest `K` that passed.
    pub capacity: usize,
    /// `capacity / N`.
    pub capacity_ratio: f64,
    /// The theory's value for this model and `N` (see [`theory_capacity`]).
    pub theory: f64,
    /// Where the theory comes from.
    pub theory_source: String,
    /// Every probe, in the order they ran.
    pub probes: Vec<CapacityProbe>,
}

/// The published capacity for `model` at `dim` neurons, with its source.
///
/// Hebbian: `0.138 N` (Amit, Gutfreund & Sompolinsky 1985). Polynomial `F(x) = x^n`:
/// `N^(n-1) / (2 (2n-3)!! ln N)` (Krotov & Hopfield 2016). Exponential: Demircigil et al. 2017
/// prove that `exp(αN)` patterns are recalled for `α < ln(2)/2` (uncorrupted cues); the bound
/// `exp(N ln(2)/2)` is reported as an order of magnitude. Storkey: `N / sqrt(2 ln N)` (Storkey
/// 1997). Pseudoinverse: up to `N` linearly independent patterns (Personnaz et al. 1985).
pub fn theory_capacity(model: CapacityModel, dim: usize) -> (f64, &'static str) {
    let n = dim as f64;
    match model {
        CapacityModel::Hopfield(LearningRule::Hebbian) => {
            (0.138 * n, "0.138 N (Amit, Gutfreund & Sompolinsky 1985)")
        }
        CapacityModel::Hopfield(LearningRule::Storkey) => (
            n / (2.0 * n.ln()).sqrt(),
            "N / sqrt(2 ln N) (Storkey 1997, absolute capacity)",
        ),
        CapacityModel::Hopfield(LearningRule::Pseudoinverse) => {
            (n, "N linearly independent patterns (Personnaz et al. 1985)")
        }
        CapacityModel::Dense(DamSeparation::Power { degree })
        | CapacityModel::Dense(DamSeparation::RectifiedPower { degree }) => (
            crate::experiment::theory::krotov_hopfield_capacity(dim, degree),
            "N^(n-1) / (2 (2n-3)!! ln N) (Krotov & Hopfield 2016)",
        ),
        CapacityModel::Dense(DamSeparation::Exp { .. }) => (
            (0.5 * std::f64::consts::LN_2 * n).exp(),
            "exp(N ln(2)/2) (Demircigil et al. 2017)",
        ),
    }
}

/// Recalls `probes_per_trial` cued patterns out of `k` stored ones, pooled over the trials.
pub fn probe(model: CapacityModel, k: usize, opts: &CapacityOptions) -> Result<CapacityProbe> {
    let threshold = match opts.criterion {
        Criterion::MeanOverlap(_) => 1.0,
        Criterion::Recalled { min_overlap, .. } => min_overlap,
    };
    let (mut overlap_sum, mut exact, mut recalled, mut count) = (0.0f64, 0usize, 0usize, 0usize);
    for trial in 0..opts.trials {
        let seed = opts
            .seed
            .wrapping_add(1_000_003 * k as u64)
            .wrapping_add(7919 * trial as u64);
        let patterns = random_bipolar(k, opts.dim, seed);
        let probed = k.min(opts.probes_per_trial);
        let targets = patterns.slice(s![0..probed, ..]);
        let cues = if opts.flip_fraction > 0.0 {
            flip_bits(targets, opts.flip_fraction, seed ^ 0x5eed)?
        } else {
            targets.to_owned()
        };
        let ropts = RecallOptions {
            max_steps: opts.max_steps,
            schedule: Some(Schedule::Asynchronous),
            seed,
            ..RecallOptions::default()
        };
        let states: Array2<f32> = match model {
            CapacityModel::Hopfield(rule) => {
                let net = Hopfield::new(patterns.view(), rule)?;
                recall(&net, cues.view(), None, &ropts)?.states
            }
            CapacityModel::Dense(sep) => {
                let net = DenseAssociativeMemory::new(patterns.clone(), sep)?;
                recall(&net, cues.view(), None, &ropts)?.states
            }
        };
        for (s, t) in states.rows().into_iter().zip(targets.rows()) {
            let m = s.iter().zip(t.iter()).map(|(a, b)| a * b).sum::<f32>() / opts.dim as f32;
            overlap_sum += m as f64;
            exact += usize::from(m == 1.0);
            recalled += usize::from(m as f64 >= threshold - 1e-9);
            count += 1;
        }
    }
    let mean_overlap = overlap_sum / count as f64;
    let exact_fraction = exact as f64 / count as f64;
    let recalled_fraction = recalled as f64 / count as f64;
    let passed = match opts.criterion {
        Criterion::MeanOverlap(t) => mean_overlap >= t,
        Criterion::Recalled { fraction, .. } => recalled_fraction >= fraction,
    };
    Ok(CapacityProbe {
        patterns: k,
        mean_overlap,
        exact_fraction,
        recalled_fraction,
        passed,
    })
}

/// Measures the capacity of `model`: doubles `K` from 1 until a probe fails, then bisects.
/// `progress` is called after every probe with the probe just run.
pub fn measure_capacity(
    model: CapacityModel,
    opts: &CapacityOptions,
    mut progress: impl FnMut(&CapacityProbe),
) -> Result<CapacityResult> {
    if opts.dim < 2 {
        return Err(Error::param("dim", "needs at least 2 neurons"));
    }
    if opts.trials == 0 || opts.probes_per_trial == 0 {
        return Err(Error::param(
            "trials",
            "trials and probes per trial must be at least 1",
        ));
    }
    if !(0.0..=0.5).contains(&opts.flip_fraction) {
        return Err(Error::param("flip_fraction", "must lie in [0, 0.5]"));
    }
    let limit = match model {
        CapacityModel::Hopfield(LearningRule::Pseudoinverse) => opts.dim.min(opts.max_patterns),
        _ => opts.max_patterns,
    };
    let mut probes = Vec::new();
    let mut run = |k: usize, probes: &mut Vec<CapacityProbe>| -> Result<bool> {
        let p = probe(model, k, opts)?;
        progress(&p);
        let passed = p.passed;
        probes.push(p);
        Ok(passed)
    };
    // Doubling: find lo (passes) < hi (fails).
    let mut lo = 0usize;
    let mut hi = 1usize;
    loop {
        if hi > limit {
            hi = limit + 1;
            break;
        }
        if run(hi, &mut probes)? {
            lo = hi;
            hi *= 2;
        } else {
            break;
        }
    }
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if run(mid, &mut probes)? {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    let (theory, source) = theory_capacity(model, opts.dim);
    Ok(CapacityResult {
        model: model.name(),
        dim: opts.dim,
        capacity: lo,
        capacity_ratio: lo as f64 / opts.dim as f64,
        theory,
        theory_source: source.to_string(),
        probes,
    })
}
