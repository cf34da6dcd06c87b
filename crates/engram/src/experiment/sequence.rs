//! Sequence capacity of long sequence memories (Chaudhry, Zavatone-Veth, Krotov & Pehlevan 2023,
//! "Long Sequence Hopfield Memory", NeurIPS 36, arXiv:2306.04532), and a correlated-pattern run
//! of their generalized pseudoinverse rule.
//!
//! **Laws** (the paper's Section 2.1-2.3 and Appendix C, under its two approximations: union
//! bounds on the single-bitflip probability and a Gaussian crosstalk). Start the network in
//! pattern `ξ^μ`. Neuron `i`'s field, times `ξ_i^{μ+1}`, is the signal `f(1) = 1` plus crosstalk
//! from the other `P - 1` patterns, each term of mean zero and variance `σ_f² = E[f(m)²]` for a
//! random overlap `m` of `N - 1` coin flips. A bit flips with probability about
//! `exp(-1/(2 P σ_f²))`; asking that none of the `N` bits of one transition flip gives the
//! transition capacity `P_T`, none of the `N P` bits of the whole sequence the sequence capacity
//! `P_S`. For `f(m) = m^d`, `σ_f² ≈ (2d-1)!!/N^d`, and the paper's Ansatz `P = N^d/(α (2d-1)!! ln N)`
//! needs `α >= 2` for one transition and `α >= 2d + 2` for the sequence (its eq. 9, Appendix C.1,
//! and Appendix D for the rigorous lower bound):
//!
//! ```text
//! P_T = N^d / (2 (2d-1)!! ln N),     P_S = N^d / (2 (d+1) (2d-1)!! ln N)
//! ```
//!
//! `d = 1` is the classical network's `N / (2 ln N)` and `N / (4 ln N)`. For the exponential
//! `f(m) = exp((N-1)(m-1))` (engram: `Exp { beta }`, `exp(β (N-1)(m-1))`, the paper at `β = 1`),
//! `σ_f² = ((1 + e^{-4β})/2)^{N-1} = γ^{-(N-1)}` with `γ = 2/(1 + e^{-4β})` (`≈ 1.964` at `β = 1`;
//! the authors' notebook writes it `e²/cosh 2`). The Ansatz `P = γ^{N-1}/(α ln N)` needs `α >= 2`,
//! and `P = γ^{N-1}/(α N)` needs `α >= 2 ln γ` (the paper's eq. 10, Appendix C.2, where
//! `P_S/P_T ∼ ln N / (N ln γ)`):
//!
//! ```text
//! P_T = γ^{N-1} / (2 ln N),          P_S = γ^{N-1} / (2 N ln γ)
//! ```
//!
//! (The authors' notebook evaluates the sequence law as `γ^N / (2 N ln γ)`, a factor `γ` larger,
//! for its theory curve and its starting length.)
//!
//! **Protocol** (the paper's Appendix G and its notebook, `Pehlevan-Group/LongSequenceHopfieldMemory`,
//! `Simulations.ipynb`): for each `N`, start at a length of twice the law (`round(2 P*)`), draw
//! `S` fresh random sequences of that length, and if any transition of any of them has a wrong
//! bit, shrink the length by 1% (`P ← int(0.99 P)`, at least one pattern) and draw again; the
//! capacity is the first length at which all `S` sequences are recalled perfectly. Sequence
//! capacity uses `S = 100` (Appendix G.2); the notebook's transition-capacity runs draw one
//! sequence and check all its transitions at once ([`CapacityCriterion::Transition`], start at
//! twice `P_T`). A sequence counts as recalled when every transition `ξ^μ → ξ^{μ+1}` of the cycle
//! is exact, the paper's definition (the notebook replays from `ξ^1` and checks the `P - 1`
//! transitions up to `ξ^P`). Deviations: if the starting length already passes, engram doubles it
//! until a length fails and shrinks from there (the authors tuned their starts "by trial and
//! error" so that they start above capacity); the authors' later trials restart from 1.25 times
//! the largest capacity found so far, engram's trials all start from twice the law.

use ndarray::Array2;
use serde::Serialize;

use crate::error::{Error, Result};
use crate::model::{DamSeparation, SequenceMemory, SequenceRule};
use crate::numeric::special::{erf, ln_double_factorial, ln_factorial};
use crate::numeric::Rng;
use crate::pattern::random_bipolar;

/// The growth factor `γ = 2 / (1 + e^{-4β})` of the exponential law: the crosstalk variance of
/// `f(m) = exp(β (N-1)(m-1))` is `γ^{-(N-1)}`.
pub fn exp_growth(beta: f64) -> f64 {
    2.0 / (1.0 + (-4.0 * beta).exp())
}

/// `ln (2d-1)!!`.
fn ln_odd_double_factorial(degree: u32) -> f64 {
    ln_double_factorial(2 * degree - 1)
}

/// The transition capacity `P_T` of the temporally asymmetric rule: `N^d / (2 (2d-1)!! ln N)`
/// for `F = Power { degree: d }` (Chaudhry et al. 2023, eq. 9), `γ^{N-1} / (2 ln N)` for the
/// exponential (eq. 10; see the module docs). NaN for the rectified power (no published law) or
/// `n < 2`.
pub fn transition_capacity_theory(separation: DamSeparation, n: usize) -> f64 {
    if n < 2 {
        return f64::NAN;
    }
    let nf = n as f64;
    match separation {
        DamSeparation::Power { degree } if degree >= 1 => (f64::from(degree) * nf.ln()
            - std::f64::consts::LN_2
            - ln_odd_double_factorial(degree)
            - nf.ln().ln())
        .exp(),
        DamSeparation::Exp { beta } if beta > 0.0 => {
            ((nf - 1.0) * exp_growth(beta).ln() - (2.0 * nf.ln()).ln()).exp()
        }
        _ => f64::NAN,
    }
}

/// The sequence capacity `P_S` of the temporally asymmetric rule:
/// `N^d / (2 (d+1) (2d-1)!! ln N)` for `F = Power { degree: d }` (Chaudhry et al. 2023, eq. 9),
/// `γ^{N-1} / (2 N ln γ)` for the exponential (eq. 10, Appendix C.2; see the module docs). NaN
/// for the rectified power or `n < 2`.
pub fn sequence_capacity_theory(separation: DamSeparation, n: usize) -> f64 {
    if n < 2 {
        return f64::NAN;
    }
    let nf = n as f64;
    match separation {
        DamSeparation::Power { degree } if degree >= 1 => {
            transition_capacity_theory(separation, n) / f64::from(degree + 1)
        }
        DamSeparation::Exp { beta } if beta > 0.0 => {
            let lg = exp_growth(beta).ln();
            ((nf - 1.0) * lg - (2.0 * nf * lg).ln()).exp()
        }
        _ => f64::NAN,
    }
}

/// `ln Q(z)`, the log of the standard normal upper tail `Q(z) = P(Z > z)`, for `z >= 0`: through
/// `erf` below 6 and the asymptotic series `φ(z)/z · (1 - 1/z² + 3/z⁴ - 15/z⁶ + 105/z⁸)` above
/// (relative error below 2e-5 there), so it stays finite far into the tail.
fn ln_upper_tail(z: f64) -> f64 {
    if z < 6.0 {
        (0.5 * (1.0 - erf(z / std::f64::consts::SQRT_2))).ln()
    } else {
        let z2 = z * z;
        let series =
            1.0 - 1.0 / z2 + 3.0 / (z2 * z2) - 15.0 / (z2 * z2 * z2) + 105.0 / (z2 * z2 * z2 * z2);
        -0.5 * z2 - (2.0 * std::f64::consts::PI).sqrt().ln() - z.ln() + series.ln()
    }
}

/// `E[f(m)²]` for the overlap `m = S / (N-1)` of `N - 1` fair coin flips `S`, computed exactly
/// from the binomial distribution (polynomials) or in closed form (exponential).
pub fn crosstalk_variance(separation: DamSeparation, n: usize) -> f64 {
    crosstalk_moment(separation, n, 1)
}

/// `E[f(m)^{2k}]` for the overlap `m = S / (N-1)` of `N - 1` fair coin flips: exact binomial sums
/// for the polynomials, `((1 + e^{-4kβ})/2)^{N-1}` for the exponential (each of the `N - 1`
/// factors `exp(2kβ(ξ_j - 1))` averages to `(1 + e^{-4kβ})/2`).
pub fn crosstalk_moment(separation: DamSeparation, n: usize, k: u32) -> f64 {
    if n < 2 {
        return f64::NAN;
    }
    let k_max = (n - 1) as u32;
    let nm1 = f64::from(k_max);
    match separation {
        DamSeparation::Exp { beta } => {
            (nm1 * (0.5 * (1.0 + (-4.0 * f64::from(k) * beta).exp())).ln()).exp()
        }
        DamSeparation::Power { degree } | DamSeparation::RectifiedPower { degree } => {
            let rectified = matches!(separation, DamSeparation::RectifiedPower { .. });
            let ln_norm = ln_factorial(k_max) - nm1 * std::f64::consts::LN_2;
            (0..=k_max)
                .map(|j| {
                    let m = (nm1 - 2.0 * f64::from(j)) / nm1;
                    let m = if rectified { m.max(0.0) } else { m };
                    let weight = (ln_norm - ln_factorial(j) - ln_factorial(k_max - j)).exp();
                    weight * m.powi(2 * (degree * k) as i32)
                })
                .sum()
        }
    }
}

/// The excess kurtosis `κ₄(C)/κ₂(C)²` of the crosstalk `C`, a sum of `P - 1` independent
/// symmetric terms `χ = ±f(m)` (the paper's Appendix C diagnostic of Gaussianity):
/// `(E[χ⁴]/E[χ²]² - 3) / (P - 1)`. For the exponential `E[χ⁴]/E[χ²]² = (2 (1 + e^{-8})/(1 + e^{-4})²)^{N-1}`,
/// so at `P ≈ γ^{N-1}/(α ln N)` (the transition law) it is about `α ln N · 0.9823^{N-1}` and at
/// `P ≈ γ^{N-1}/(α N)` (the sequence law) about `α N · 0.9823^{N-1}`: Appendix C.2's constants.
pub fn crosstalk_excess_kurtosis(separation: DamSeparation, n: usize, p: f64) -> f64 {
    if p.is_nan() || p <= 1.0 {
        return f64::NAN;
    }
    let v = crosstalk_moment(separation, n, 1);
    let q = crosstalk_moment(separation, n, 2);
    (q / (v * v) - 3.0) / (p - 1.0)
}

/// The sequence capacity predicted by the same Gaussian signal-to-noise argument as the law,
/// without its asymptotic simplifications, for a protocol that asks `sequences` random sequences
/// to be recalled at once: the length `P` at which the expected number of wrong bits over all of
/// them, `S N P Q(1/√((P-1) E[f²]))`, equals one (with the exact crosstalk variance of
/// [`crosstalk_variance`] and the exact normal tail). This is engram's finite-`N` reference
/// curve, not a formula printed in the paper; the paper's law is its large-`N` limit (dropping
/// the tail's prefactor and the constant `ln S`, and taking `ln(N P_S) ≈ (d+1) ln N`).
pub fn gaussian_sequence_capacity(separation: DamSeparation, n: usize, sequences: usize) -> f64 {
    let v = crosstalk_variance(separation, n);
    if !(v.is_finite() && v > 0.0) {
        return f64::NAN;
    }
    let ln_s = (sequences.max(1) as f64).ln();
    // ln(S N P) + ln Q(1/√((P-1) v)) increases with P; find its zero in ln P by bisection.
    let g = |ln_p: f64| {
        let p = ln_p.exp();
        if p <= 1.0 {
            return f64::NEG_INFINITY;
        }
        ln_s + (n as f64).ln() + ln_p + ln_upper_tail(1.0 / ((p - 1.0) * v).sqrt())
    };
    let (mut lo, mut hi) = (0.0f64, 1.0f64);
    while g(hi) < 0.0 {
        lo = hi;
        hi *= 2.0;
        if hi > 700.0 {
            return f64::INFINITY;
        }
    }
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if g(mid) < 0.0 {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    (0.5 * (lo + hi)).exp()
}

/// For the exponential interaction: the length at which, on average, one pair of patterns
/// collides somewhere in `sequences` random sequences, `2^((N+1)/2) / √(N S)`. A pattern `ξ^ν`
/// that agrees with `ξ^μ` on the `N - 1` neurons other than `i` adds a crosstalk term as large as
/// the signal at neuron `i`; with `P` random patterns this happens about `P² N 2^{-(N-1)}` times
/// over a cycle and spoils the bit in a quarter of the cases (the successors disagree there and
/// the field is left to the small remaining terms). Setting the expected count over `S`
/// sequences to one gives this limit, which grows like `√2^N` (as Demircigil et al.'s
/// exponential memory, `α < ln 2 / 2`), far below the Gaussian law's `γ^N`. Derived here; not a
/// formula of the paper.
pub fn exp_pair_limit(n: usize, sequences: usize) -> f64 {
    if n < 2 {
        return f64::NAN;
    }
    let nf = n as f64;
    let s = sequences.max(1) as f64;
    (0.5 * (nf + 1.0) * std::f64::consts::LN_2 - 0.5 * (nf * s).ln()).exp()
}

/// The law as text, for tables.
pub fn law_text(separation: DamSeparation) -> String {
    match separation {
        DamSeparation::Power { degree: 1 } => "P_S = N / (4 ln N)".into(),
        DamSeparation::Power { degree } => {
            let denominator = 2.0 * f64::from(degree + 1) * ln_odd_double_factorial(degree).exp();
            format!("P_S = N^d / (2 (d+1) (2d-1)!! ln N) = N^{degree} / ({denominator:.0} ln N)")
        }
        DamSeparation::Exp { beta } => format!(
            "P_S = g^(N-1) / (2 N ln g), g = 2/(1+e^(-4 beta)) = {:.4}",
            exp_growth(beta)
        ),
        DamSeparation::RectifiedPower { .. } => "no published law".into(),
    }
}

/// What a capacity measurement asks of every sequence it draws.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CapacityCriterion {
    /// Every transition of every sequence exact; compared with the sequence law `P_S` and started
    /// at twice it (the paper's Appendix G.2, with `S = 100` sequences per length).
    #[default]
    Sequence,
    /// The same check, compared with the transition law `P_T` and started at twice it: the
    /// authors' notebook's transition-capacity runs, which draw one sequence per length and check
    /// all of its transitions at once (Appendix G.1 describes 100).
    Transition,
}

impl CapacityCriterion {
    /// The law the measurement is compared with (and started from): `P_S` or `P_T`.
    pub fn law(self, separation: DamSeparation, dim: usize) -> f64 {
        match self {
            CapacityCriterion::Sequence => sequence_capacity_theory(separation, dim),
            CapacityCriterion::Transition => transition_capacity_theory(separation, dim),
        }
    }
}

/// The length the protocol starts from is twice this: the sequence law `P_S` (the paper's
/// `round(2 P*)`, for every interaction including the exponential).
pub fn starting_reference(separation: DamSeparation, dim: usize) -> f64 {
    sequence_capacity_theory(separation, dim)
}

/// Options of [`sequence_capacity`].
#[derive(Clone, Debug)]
pub struct SequenceCapacityOptions {
    /// Independent measurements per `N` (each with its own random sequences; the paper's 20).
    pub trials: usize,
    /// Random sequences drawn at each length, all of which must be recalled (the paper's 100).
    pub sequences: usize,
    /// Which law the measurement is compared with and started from.
    pub criterion: CapacityCriterion,
    /// Seed of all random sequences.
    pub seed: u64,
    /// Fraction by which the length shrinks after an error (the paper's 1%).
    pub shrink: f64,
    /// Longest sequence ever tried; a length that still passes there is reported as a lower
    /// bound.
    pub max_length: usize,
}

impl Default for SequenceCapacityOptions {
    /// One trial, the paper's 100 sequences per length, the sequence criterion, 1% shrink.
    fn default() -> Self {
        SequenceCapacityOptions {
            trials: 1,
            sequences: 100,
            criterion: CapacityCriterion::Sequence,
            seed: 0,
            shrink: 0.01,
            max_length: 200_000,
        }
    }
}

/// The measured sequence capacity at one `N`.
#[derive(Clone, Debug, Serialize)]
pub struct SequenceCapacityRow {
    /// Number of neurons `N`.
    pub dim: usize,
    /// The criterion measured.
    pub criterion: CapacityCriterion,
    /// Random sequences drawn at each length.
    pub sequences: usize,
    /// Mean over trials of the longest sequence recalled perfectly.
    pub capacity: f64,
    /// The capacity found by each trial.
    pub trial_capacities: Vec<usize>,
    /// The law's sequence capacity `P_S` at this `N`.
    pub theory: f64,
    /// The law's transition capacity `P_T` at this `N`.
    pub theory_transition: f64,
    /// The finite-`N` Gaussian estimate of [`gaussian_sequence_capacity`] for the same number of
    /// sequences.
    pub theory_gaussian: f64,
    /// Exponential interaction only: the pair-collision limit of [`exp_pair_limit`] for the same
    /// number of sequences.
    pub pair_limit: Option<f64>,
    /// `capacity` over the law of the criterion (`theory` or `theory_transition`).
    pub ratio: f64,
    /// Sequences tried, over all trials.
    pub probes: usize,
    /// True when some trial still passed at the longest length allowed.
    pub lower_bound: bool,
}

/// The seed of one probe: a mix of the experiment seed, `N`, the trial and the probe's index.
fn probe_seed(seed: u64, dim: usize, trial: usize, probe: usize) -> u64 {
    let mut rng = Rng::stream(
        seed,
        ((dim as u64) << 32) | ((trial as u64) << 20) | probe as u64,
    );
    rng.next_u64()
}

/// Whether a fresh random cyclic sequence of `len` patterns of dimension `dim` is recalled
/// perfectly under `separation` with the temporally asymmetric rule.
pub fn sequence_recalled(
    separation: DamSeparation,
    dim: usize,
    len: usize,
    seed: u64,
) -> Result<bool> {
    let patterns = random_bipolar(len, dim, seed);
    SequenceMemory::new(patterns, separation, SequenceRule::Hebbian)?.recalls_sequence()
}

/// Whether `sequences` fresh random sequences (seeds derived from `seed`) are all recalled
/// perfectly; stops at the first one that is not.
pub fn sequences_recalled(
    separation: DamSeparation,
    dim: usize,
    len: usize,
    sequences: usize,
    seed: u64,
) -> Result<bool> {
    for s in 0..sequences.max(1) {
        let mut rng = Rng::stream(seed, s as u64);
        if !sequence_recalled(separation, dim, len, rng.next_u64())? {
            return Ok(false);
        }
    }
    Ok(true)
}

/// Measures the capacity at `dim` neurons with the paper's protocol (see the module docs).
/// `progress` sees `(trial, length, passed)` after every probe.
pub fn measure_sequence_capacity(
    separation: DamSeparation,
    dim: usize,
    opts: &SequenceCapacityOptions,
    mut progress: impl FnMut(usize, usize, bool),
) -> Result<SequenceCapacityRow> {
    if dim < 2 {
        return Err(Error::param("dim", "needs at least 2 neurons"));
    }
    if opts.trials == 0 {
        return Err(Error::param("trials", "must be at least 1"));
    }
    if opts.sequences == 0 {
        return Err(Error::param("sequences", "must be at least 1"));
    }
    if !(opts.shrink > 0.0 && opts.shrink < 1.0) {
        return Err(Error::param("shrink", "must lie in (0, 1)"));
    }
    if opts.max_length < 2 {
        return Err(Error::param("max_length", "must be at least 2"));
    }
    let theory = sequence_capacity_theory(separation, dim);
    let theory_transition = transition_capacity_theory(separation, dim);
    let reference = opts.criterion.law(separation, dim);
    let start = if reference.is_finite() {
        (2.0 * reference)
            .round()
            .max(2.0)
            .min(opts.max_length as f64) as usize
    } else {
        dim.clamp(2, opts.max_length)
    };
    let mut capacities = Vec::with_capacity(opts.trials);
    let mut probes = 0usize;
    let mut lower_bound = false;
    for trial in 0..opts.trials {
        let mut count = 0usize;
        let mut test = |len: usize| -> Result<bool> {
            let passed = sequences_recalled(
                separation,
                dim,
                len,
                opts.sequences,
                probe_seed(opts.seed, dim, trial, count),
            )?;
            count += 1;
            progress(trial, len, passed);
            Ok(passed)
        };
        let mut len = start;
        let mut found = None;
        if test(len)? {
            // The start passed: double until a length fails (or the limit is reached).
            loop {
                if len >= opts.max_length {
                    lower_bound = true;
                    found = Some(len);
                    break;
                }
                let longer = (2 * len).min(opts.max_length);
                if test(longer)? {
                    len = longer;
                } else {
                    len = longer;
                    break;
                }
            }
        }
        let capacity = match found {
            Some(c) => c,
            None => loop {
                let shorter = ((len as f64 * (1.0 - opts.shrink)).floor() as usize)
                    .min(len - 1)
                    .max(1);
                len = shorter;
                if len == 1 || test(len)? {
                    break len;
                }
            },
        };
        probes += count;
        capacities.push(capacity);
    }
    let capacity = capacities.iter().sum::<usize>() as f64 / capacities.len() as f64;
    Ok(SequenceCapacityRow {
        dim,
        criterion: opts.criterion,
        sequences: opts.sequences,
        capacity,
        trial_capacities: capacities,
        theory,
        theory_transition,
        theory_gaussian: gaussian_sequence_capacity(separation, dim, opts.sequences),
        pair_limit: matches!(separation, DamSeparation::Exp { .. })
            .then(|| exp_pair_limit(dim, opts.sequences)),
        ratio: capacity / reference,
        probes,
        lower_bound,
    })
}

/// Least-squares slope of `y` against `x`.
fn slope(x: &[f64], y: &[f64]) -> f64 {
    let n = x.len() as f64;
    let mx = x.iter().sum::<f64>() / n;
    let my = y.iter().sum::<f64>() / n;
    let sxy: f64 = x.iter().zip(y).map(|(a, b)| (a - mx) * (b - my)).sum();
    let sxx: f64 = x.iter().map(|a| (a - mx).powi(2)).sum();
    sxy / sxx
}

/// A fitted scaling law beside the theory's.
#[derive(Clone, Debug, Serialize)]
pub struct ScalingFit {
    /// The measured exponent: the slope of `ln P` against `ln N` (polynomial and classical), or
    /// against `N` (exponential: the rate per neuron).
    pub exponent: f64,
    /// The same fit through the law's values at the same `N`.
    pub theory_exponent: f64,
    /// `"log-log slope"` or `"per-neuron rate"`.
    pub exponent_kind: &'static str,
    /// Polynomial laws only: the fitted prefactor `c` of `P_S = c N^d / ln N` (geometric mean of
    /// `P_S ln N / N^d` over the rows).
    pub constant: Option<f64>,
    /// Polynomial laws only: the law's prefactor, `1 / (2 (d+1) (2d-1)!!)` for the sequence
    /// criterion, `1 / (2 (2d-1)!!)` for the transition criterion.
    pub theory_constant: Option<f64>,
    /// Geometric mean over the rows of measured / theory.
    pub mean_ratio: f64,
}

/// Fits the scaling of `rows` (at least two distinct `N`).
pub fn fit_scaling(separation: DamSeparation, rows: &[SequenceCapacityRow]) -> Result<ScalingFit> {
    let mut dims: Vec<usize> = rows.iter().map(|r| r.dim).collect();
    dims.sort_unstable();
    dims.dedup();
    if dims.len() < 2 {
        return Err(Error::param(
            "dims",
            "a scaling fit needs at least two different N",
        ));
    }
    let exponential = matches!(separation, DamSeparation::Exp { .. });
    let x: Vec<f64> = rows
        .iter()
        .map(|r| {
            if exponential {
                r.dim as f64
            } else {
                (r.dim as f64).ln()
            }
        })
        .collect();
    let y: Vec<f64> = rows.iter().map(|r| r.capacity.max(1.0).ln()).collect();
    let law = |r: &SequenceCapacityRow| match r.criterion {
        CapacityCriterion::Sequence => r.theory,
        CapacityCriterion::Transition => r.theory_transition,
    };
    let yt: Vec<f64> = rows.iter().map(|r| law(r).ln()).collect();
    let mean_ratio = (rows
        .iter()
        .map(|r| (r.capacity.max(1.0) / law(r)).ln())
        .sum::<f64>()
        / rows.len() as f64)
        .exp();
    let (constant, theory_constant) = match separation {
        DamSeparation::Power { degree } => {
            let d = f64::from(degree);
            let c = (rows
                .iter()
                .map(|r| {
                    let n = r.dim as f64;
                    r.capacity.max(1.0).ln() - d * n.ln() + n.ln().ln()
                })
                .sum::<f64>()
                / rows.len() as f64)
                .exp();
            let per_sequence = match rows[0].criterion {
                CapacityCriterion::Sequence => d + 1.0,
                CapacityCriterion::Transition => 1.0,
            };
            let t = (-(2.0 * per_sequence).ln() - ln_odd_double_factorial(degree)).exp();
            (Some(c), Some(t))
        }
        _ => (None, None),
    };
    Ok(ScalingFit {
        exponent: slope(&x, &y),
        theory_exponent: slope(&x, &yt),
        exponent_kind: if exponential {
            "per-neuron rate"
        } else {
            "log-log slope"
        },
        constant,
        theory_constant,
        mean_ratio,
    })
}

/// The whole experiment: measured capacities over `dims` and the fitted scaling.
#[derive(Clone, Debug, Serialize)]
pub struct SequenceCapacityResult {
    /// `classical`, `poly` or `exp`.
    pub model: String,
    /// The criterion measured.
    pub criterion: CapacityCriterion,
    /// Random sequences drawn at each length.
    pub sequences: usize,
    /// The polynomial degree (1 for the classical network), `None` for the exponential.
    pub degree: Option<u32>,
    /// One row per `N`.
    pub rows: Vec<SequenceCapacityRow>,
    /// The measured exponent (see [`ScalingFit::exponent`]).
    pub exponent: f64,
    /// The law's exponent over the same `N`.
    pub theory_exponent: f64,
    /// What the exponents measure.
    pub exponent_kind: &'static str,
    /// The fitted prefactor of `N^d / ln N` (polynomial laws).
    pub constant: Option<f64>,
    /// The law's prefactor (polynomial laws).
    pub theory_constant: Option<f64>,
    /// Geometric mean of measured / theory.
    pub mean_ratio: f64,
    /// The law as text.
    pub law: String,
    /// Where the law comes from.
    pub source: &'static str,
}

/// The name of a sequence model: `classical` (`Power { degree: 1 }`), `poly`, `exp`.
pub fn model_name(separation: DamSeparation) -> &'static str {
    match separation {
        DamSeparation::Power { degree: 1 } => "classical",
        DamSeparation::Power { .. } => "poly",
        DamSeparation::RectifiedPower { .. } => "rectified",
        DamSeparation::Exp { .. } => "exp",
    }
}

/// Measures the sequence capacity at every `N` of `dims` and fits the scaling law.
/// `progress` sees `(dim, trial, length, passed)` after every probe.
pub fn sequence_capacity(
    separation: DamSeparation,
    dims: &[usize],
    opts: &SequenceCapacityOptions,
    mut progress: impl FnMut(usize, usize, usize, bool),
) -> Result<SequenceCapacityResult> {
    if dims.is_empty() {
        return Err(Error::Empty("dims: no network size given".into()));
    }
    let rows = dims
        .iter()
        .map(|&dim| {
            measure_sequence_capacity(separation, dim, opts, |t, len, ok| {
                progress(dim, t, len, ok)
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let fit = fit_scaling(separation, &rows)?;
    Ok(SequenceCapacityResult {
        model: model_name(separation).into(),
        criterion: opts.criterion,
        sequences: opts.sequences,
        degree: match separation {
            DamSeparation::Power { degree } | DamSeparation::RectifiedPower { degree } => {
                Some(degree)
            }
            DamSeparation::Exp { .. } => None,
        },
        rows,
        exponent: fit.exponent,
        theory_exponent: fit.theory_exponent,
        exponent_kind: fit.exponent_kind,
        constant: fit.constant,
        theory_constant: fit.theory_constant,
        mean_ratio: fit.mean_ratio,
        law: law_text(separation),
        source: "Chaudhry, Zavatone-Veth, Krotov & Pehlevan 2023 (NeurIPS), Long Sequence \
                 Hopfield Memory: eq. 9 (polynomial DenseNet) and eq. 10 (exponential DenseNet), \
                 Appendix C; protocol of Appendix G",
    })
}

/// `len` bipolar patterns of dimension `dim`, each a copy of one common random pattern with a
/// fraction `flip` of its bits flipped independently: consecutive patterns overlap by about
/// `(1 - 2 flip)²`.
pub fn correlated_patterns(len: usize, dim: usize, flip: f64, seed: u64) -> Result<Array2<f32>> {
    if !(0.0..=0.5).contains(&flip) {
        return Err(Error::param(
            "flip",
            format!("must lie in [0, 0.5], got {flip}"),
        ));
    }
    let base = random_bipolar(1, dim, seed);
    let mut rng = Rng::new(seed ^ 0xC0DE_C0DE);
    Ok(Array2::from_shape_fn((len, dim), |(_, j)| {
        if rng.uniform() < flip {
            -base[[0, j]]
        } else {
            base[[0, j]]
        }
    }))
}

/// One row of the correlated-pattern comparison.
#[derive(Clone, Debug, Serialize)]
pub struct CorrelatedRow {
    /// Which pattern set.
    pub patterns: String,
    /// `hebbian` or `pseudoinverse`.
    pub rule: &'static str,
    /// The interaction function, e.g. `x^2`.
    pub separation: String,
    /// Neurons `N`.
    pub dim: usize,
    /// Sequence length `P`.
    pub length: usize,
    /// Mean overlap `ξ^μ·ξ^ν / N` over pairs of distinct patterns.
    pub mean_overlap: f64,
    /// Transitions `ξ^μ → ξ^{μ+1}` recalled without a wrong bit.
    pub exact_transitions: usize,
    /// Wrong bits over all transitions.
    pub bit_errors: usize,
    /// Whether the whole cycle is recalled perfectly.
    pub recalled: bool,
}

fn mean_pairwise_overlap(patterns: &Array2<f32>) -> f64 {
    let (p, n) = patterns.dim();
    if p < 2 {
        return 1.0;
    }
    let g = crate::kernel::matmul::matmul_nt(patterns.view(), patterns.view());
    let mut total = 0.0;
    for i in 0..p {
        for j in 0..p {
            if i != j {
                total += g[[i, j]] as f64 / n as f64;
            }
        }
    }
    total / (p * (p - 1)) as f64
}

/// Runs both rules on the same correlated sequence and reports how many transitions each gets
/// right. `name` describes the pattern set in the table.
pub fn compare_rules(
    name: &str,
    patterns: &Array2<f32>,
    separation: DamSeparation,
) -> Result<Vec<CorrelatedRow>> {
    let mean_overlap = mean_pairwise_overlap(patterns);
    [
        SequenceRule::Hebbian,
        SequenceRule::GeneralizedPseudoinverse,
    ]
    .into_iter()
    .map(|rule| {
        let seq = SequenceMemory::new(patterns.clone(), separation, rule)?;
        let errors = seq.transition_errors()?;
        Ok(CorrelatedRow {
            patterns: name.to_string(),
            rule: rule.name(),
            separation: separation.describe(),
            dim: patterns.ncols(),
            length: patterns.nrows(),
            mean_overlap,
            exact_transitions: errors.iter().filter(|&&e| e == 0).count(),
            bit_errors: errors.iter().sum(),
            recalled: errors.iter().all(|&e| e == 0),
        })
    })
    .collect()
}

/// The correlated-pattern demonstration: a random sequence of 40 patterns of 200 neurons, all
/// copies of one pattern with 15% of bits flipped (pairwise overlap about 0.49), and the ten 8x8
/// digit prototypes of the embedded scikit-learn digits as +1/-1 pixels (pairwise overlaps up to
/// 0.8), each stored with the Hebbian and the generalized pseudoinverse rule under
/// `separation`.
pub fn correlated_demo(separation: DamSeparation, seed: u64) -> Result<Vec<CorrelatedRow>> {
    let mut rows = compare_rules(
        "random, 15% flips of one pattern",
        &correlated_patterns(40, 200, 0.15, seed)?,
        separation,
    )?;
    let digits = crate::pattern::Digits::load()?;
    let all = digits.bipolar(8.0);
    let protos = all.select(ndarray::Axis(0), &digits.first_of_each_class());
    rows.extend(compare_rules("digits 0-9 (8x8, +-1)", &protos, separation)?);
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn laws_reduce_to_the_classical_forms() {
        // d = 1: P_T = N / (2 ln N) and P_S = N / (4 ln N) (Chaudhry et al. 2023, SeqNet).
        let n = 1000.0f64;
        let pt = transition_capacity_theory(DamSeparation::Power { degree: 1 }, 1000);
        let ps = sequence_capacity_theory(DamSeparation::Power { degree: 1 }, 1000);
        assert!((pt - n / (2.0 * n.ln())).abs() < 1e-9 * pt);
        assert!((ps - n / (4.0 * n.ln())).abs() < 1e-9 * ps);
        // d = 2 at N = 100: 100^2 / (2 * 3 * 3 * ln 100) = 120.6.
        let p2 = sequence_capacity_theory(DamSeparation::Power { degree: 2 }, 100);
        assert!((p2 - 1e4 / (18.0 * 100f64.ln())).abs() < 1e-9 * p2);
        // γ(1) = 2 / (1 + e^-4) = 1.96403 = e² / cosh 2 (the authors' notebook).
        assert!((exp_growth(1.0) - 1.964_027_6).abs() < 1e-6);
        assert!((exp_growth(1.0) - 2f64.exp() / 2f64.cosh()).abs() < 1e-12);
        // Exponential (eq. 10, Appendix C.2): P_T = γ^(N-1) / (2 ln N), P_S = γ^(N-1) / (2 N ln γ).
        let (g, n) = (exp_growth(1.0), 20.0f64);
        let exp = DamSeparation::Exp { beta: 1.0 };
        let pt = transition_capacity_theory(exp, 20);
        let ps = sequence_capacity_theory(exp, 20);
        assert!((pt - g.powf(n - 1.0) / (2.0 * n.ln())).abs() < 1e-9 * pt);
        assert!((ps - g.powf(n - 1.0) / (2.0 * n * g.ln())).abs() < 1e-9 * ps);
        // P_S / P_T = ln N / (N ln γ) (the paper's ratio).
        assert!((ps / pt - n.ln() / (n * g.ln())).abs() < 1e-12);
    }

    #[test]
    fn crosstalk_variance_matches_the_moments() {
        // E[m²] = 1/(N-1) and E[m⁴] = (3(N-1)² - 2(N-1))/(N-1)⁴ for an average of N-1 coins.
        let k = 99.0f64;
        let v1 = crosstalk_variance(DamSeparation::Power { degree: 1 }, 100);
        let v2 = crosstalk_variance(DamSeparation::Power { degree: 2 }, 100);
        assert!((v1 - 1.0 / k).abs() < 1e-12);
        assert!((v2 - (3.0 * k * k - 2.0 * k) / k.powi(4)).abs() < 1e-12);
        let ve = crosstalk_variance(DamSeparation::Exp { beta: 1.0 }, 11);
        assert!((ve - exp_growth(1.0).powi(-10)).abs() < 1e-15);
    }

    #[test]
    fn exponential_crosstalk_kurtosis_has_the_papers_constants() {
        // Appendix C.2: with P = γ^(N-1)/(α ln N) the excess kurtosis goes as
        // α ln(N) (0.9823)^(N-1), which "increases with N up to around N ≃ 19, where it attains a
        // maximum value around 2"; with P = γ^(N-1)/(α N), α N (0.9823)^(N-1) "increases with N up
        // to around N ≃ 56, where it attains a value of approximately 21". Here α = 1, the exact
        // moments; tolerance: argmax within 1 of the paper's, maximum within 10%.
        let exp = DamSeparation::Exp { beta: 1.0 };
        let g = exp_growth(1.0);
        let base = (1.0 + (-8.0f64).exp()) / (1.0 + (-4.0f64).exp());
        assert!((base - 0.9823).abs() < 1e-4, "{base}");
        let peak = |p_of: &dyn Fn(f64) -> f64| {
            (4..200usize)
                .map(|n| (n, crosstalk_excess_kurtosis(exp, n, p_of(n as f64))))
                .fold((0, f64::NEG_INFINITY), |b, x| if x.1 > b.1 { x } else { b })
        };
        let (n_t, k_t) = peak(&|n: f64| g.powf(n - 1.0) / n.ln());
        assert!(
            (n_t as f64 - 19.0).abs() <= 1.0 && (k_t - 2.0).abs() < 0.2,
            "{n_t} {k_t}"
        );
        let (n_s, k_s) = peak(&|n: f64| g.powf(n - 1.0) / n);
        assert!(
            (n_s as f64 - 56.0).abs() <= 1.0 && (k_s - 21.0).abs() < 2.1,
            "{n_s} {k_s}"
        );
        // Polynomial crosstalk: small for any reasonably large P (C.1), e.g. d = 2, N = 100,
        // P = 120: the kurtosis of one term (E[χ⁴]/E[χ²]² ≈ 105/9) over P - 1.
        let k2 = crosstalk_excess_kurtosis(DamSeparation::Power { degree: 2 }, 100, 120.0);
        assert!(k2 > 0.0 && k2 < 0.1, "{k2}");
    }

    #[test]
    fn gaussian_estimate_tends_to_the_law() {
        // The law is the large-N limit of the Gaussian estimate: their ratio falls towards 1.
        let sep = DamSeparation::Power { degree: 2 };
        let r = |n| gaussian_sequence_capacity(sep, n, 1) / sequence_capacity_theory(sep, n);
        assert!(r(100) > r(10_000) && r(10_000) > r(1_000_000));
        assert!(r(1_000_000) < 1.6 && r(1_000_000) > 1.0, "{}", r(1_000_000));
        // The tail: ln Q(0) = ln 1/2; Q(3) = 1.3499e-3; the series branch joins continuously.
        assert!((ln_upper_tail(0.0) - 0.5f64.ln()).abs() < 1e-12);
        assert!((ln_upper_tail(3.0).exp() - 1.349_898e-3).abs() < 1e-8);
        assert!((ln_upper_tail(5.999_999) - ln_upper_tail(6.0)).abs() < 1e-4);
        // Asking for 100 sequences at once lowers the estimate.
        assert!(
            gaussian_sequence_capacity(sep, 100, 100) < gaussian_sequence_capacity(sep, 100, 1)
        );
    }
}
