//! Long sequence memory (Chaudhry, Zavatone-Veth, Krotov & Pehlevan 2023, "Long Sequence Hopfield
//! Memory", NeurIPS 36, arXiv:2306.04532).
//!
//! A [`SequenceMemory`] stores a cyclic sequence `ξ^1 → ξ^2 → … → ξ^P → ξ^1` of bipolar patterns
//! (rows of a `(P, N)` array) and replays it: the similarity of the state with pattern `μ` is
//! projected onto pattern `μ+1`, not back onto `μ`. States are `x ∈ {-1,+1}^N`; every update is
//! synchronous (all neurons read the same `x(t)`).
//!
//! * Temporally asymmetric rule ([`SequenceRule::Hebbian`], the paper's SeqNet and DenseNet):
//!
//!   ```text
//!   x_i(t+1) = sgn( Σ_μ ξ_i^{μ+1} f(m_i^μ) ),   m_i^μ = (1/(N-1)) Σ_{j≠i} ξ_j^μ x_j(t)
//!   ```
//!
//!   Each neuron's own term is left out of its overlap and overlaps are normalised by `N - 1`,
//!   as in the paper's analysis and its published simulations. The interaction `f` is a
//!   [`DamSeparation`]: `Power { degree: 1 }` is the classical network with couplings
//!   `J_ij = Σ_μ ξ_i^{μ+1} ξ_j^μ / (N-1)`, `J_ii = 0` (Sompolinsky & Kanter 1986; Kleinfeld
//!   1986); `Power { degree: d }` is the polynomial DenseNet `f(m) = m^d`; `Exp { beta }` is
//!   `f(m) = exp(β (N-1)(m - 1))`, the paper's exponential DenseNet at `β = 1`;
//!   `RectifiedPower` uses `max(m, 0)^d`.
//! * Generalized pseudoinverse rule ([`SequenceRule::GeneralizedPseudoinverse`]) for correlated
//!   patterns: the overlaps `m_μ = ξ^μ·x / N` are first decorrelated through the inverse of the
//!   patterns' overlap matrix `O_μν = ξ^μ·ξ^ν / N`, `m̃ = O⁻¹ m`, and then
//!   `x_i(t+1) = sgn(Σ_μ ξ_i^{μ+1} f(m̃_μ))`. At `x = ξ^ν` the decorrelated overlaps are exactly
//!   `e_ν`, so every transition is exact for any linearly independent patterns (`P <= N`), however
//!   correlated. With `f(m) = m` it is the pseudoinverse (projection) rule applied to
//!   transitions. No self-exclusion here: the inverse acts on whole overlaps.
//! * A zero field keeps the neuron's current sign.
//! * There is no energy: the couplings are asymmetric and the dynamics cycle through the
//!   sequence instead of converging, so this model has its own [`SequenceMemory::run`] (a
//!   trajectory) rather than implementing [`crate::dynamics::Dynamics`]. The capacity laws are
//!   in [`crate::experiment::sequence`].
//!
//! Numerics. Overlaps `ξ^μ·x` are exact integers (an f32 product of ±1 entries). With the self
//! term removed, neuron `i` sees `f((ξ^μ·x - c)/(N-1))` with `c = ξ_i^μ x_i = ±1`; writing this as
//! `A_μ + c B_μ` turns the field into two matrix products, `A Ξ_next + x ⊙ (B (Ξ_next ⊙ Ξ))`,
//! with no per-neuron loop over patterns. The exponential is shifted by each state's largest
//! exponent before it is taken (a positive factor per state, which leaves every sign unchanged),
//! so nothing overflows.
//!
//! ```
//! use engram::model::{DamSeparation, SequenceMemory, SequenceRule};
//! use engram::pattern::random_bipolar;
//!
//! let patterns = random_bipolar(20, 100, 1);                // 20 patterns of 100 neurons
//! let seq = SequenceMemory::new(patterns.clone(), DamSeparation::Power { degree: 2 },
//!                               SequenceRule::Hebbian).unwrap();
//! let trajectory = seq.run(patterns.row(0), 20).unwrap();   // 21 states, the start first
//! for t in 0..=20 {
//!     assert_eq!(trajectory.row(t), patterns.row(t % 20));
//! }
//! ```

use ndarray::{s, Array2, ArrayView1, ArrayView2, Axis};
use rayon::prelude::*;

use super::{ensure_bipolar, sign_or_keep, DamSeparation};
use crate::dynamics::check_batch;
use crate::error::{ensure_positive, Error, Result};
use crate::kernel::matmul::{matmul, matmul_nt};
use crate::learn::linalg::{cholesky, cholesky_solve};

/// How the transitions `ξ^μ → ξ^{μ+1}` are stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SequenceRule {
    /// The temporally asymmetric Hebbian rule: overlaps with `ξ^μ` project onto `ξ^{μ+1}`.
    Hebbian,
    /// Overlaps decorrelated by the inverse overlap matrix before the interaction function, so
    /// correlated (linearly independent) patterns are recalled exactly.
    GeneralizedPseudoinverse,
}

impl SequenceRule {
    /// The rule's name: `hebbian` or `pseudoinverse`.
    pub fn name(self) -> &'static str {
        match self {
            SequenceRule::Hebbian => "hebbian",
            SequenceRule::GeneralizedPseudoinverse => "pseudoinverse",
        }
    }
}

impl std::str::FromStr for SequenceRule {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "hebbian" | "asymmetric" => Ok(SequenceRule::Hebbian),
            "pseudoinverse" | "gpi" | "generalized-pseudoinverse" => {
                Ok(SequenceRule::GeneralizedPseudoinverse)
            }
            _ => Err(Error::param(
                "rule",
                format!("unknown sequence rule {s:?} (expected hebbian or pseudoinverse)"),
            )),
        }
    }
}

/// Checks the parameters of an interaction function.
pub(crate) fn validate_separation(separation: DamSeparation) -> Result<()> {
    match separation {
        DamSeparation::Power { degree } | DamSeparation::RectifiedPower { degree } => {
            if degree == 0 {
                return Err(Error::param("degree", "must be at least 1"));
            }
            Ok(())
        }
        DamSeparation::Exp { beta } => ensure_positive("beta", beta),
    }
}

/// `f(x)` of a polynomial interaction (the exponential is handled in log space by the callers).
#[inline]
fn poly(separation: DamSeparation, x: f64) -> f64 {
    match separation {
        DamSeparation::Power { degree } => x.powi(degree as i32),
        DamSeparation::RectifiedPower { degree } => x.max(0.0).powi(degree as i32),
        DamSeparation::Exp { .. } => unreachable!("the exponential is evaluated in log space"),
    }
}

/// A memory of one cyclic sequence of bipolar patterns.
#[derive(Clone, Debug)]
pub struct SequenceMemory {
    /// `ξ^μ`, shape `(P, N)`.
    patterns: Array2<f32>,
    /// `ξ^{μ+1}` in row `μ` (cyclic), shape `(P, N)`.
    next: Array2<f32>,
    /// `ξ^{μ+1} ⊙ ξ^μ` in row `μ`, for the self-excluded field.
    next_times_current: Array2<f32>,
    separation: DamSeparation,
    rule: SequenceRule,
    /// `(Ξ Ξᵀ)⁻¹`, shape `(P, P)`, for the generalized pseudoinverse rule.
    inverse_gram: Option<Array2<f64>>,
}

impl SequenceMemory {
    /// A memory of the cyclic sequence formed by the rows of `patterns` (shape `(P, N)`, entries
    /// ±1, `N >= 2`), with interaction `separation` and storage rule `rule`.
    ///
    /// Errors: no patterns ([`Error::Empty`]), fewer than 2 neurons or a bad degree/`β`
    /// ([`Error::Parameter`]), non-bipolar entries ([`Error::State`]), and for the generalized
    /// pseudoinverse rule more patterns than neurons or linearly dependent patterns
    /// ([`Error::Unsupported`]).
    pub fn new(
        patterns: Array2<f32>,
        separation: DamSeparation,
        rule: SequenceRule,
    ) -> Result<Self> {
        let (p, n) = patterns.dim();
        if p == 0 || n == 0 {
            return Err(Error::Empty(
                "patterns: a sequence memory needs at least one pattern".into(),
            ));
        }
        if n < 2 {
            return Err(Error::param(
                "patterns",
                "need at least 2 neurons (overlaps are normalised by N - 1)",
            ));
        }
        ensure_bipolar("patterns", patterns.view())?;
        validate_separation(separation)?;
        let mut next = Array2::zeros((p, n));
        next.slice_mut(s![..p - 1, ..])
            .assign(&patterns.slice(s![1.., ..]));
        next.row_mut(p - 1).assign(&patterns.row(0));
        let next_times_current = &next * &patterns;
        let inverse_gram = match rule {
            SequenceRule::Hebbian => None,
            SequenceRule::GeneralizedPseudoinverse => {
                if p > n {
                    return Err(Error::Unsupported(format!(
                        "the generalized pseudoinverse rule needs linearly independent patterns, \
                         but {p} patterns of dimension {n} cannot be"
                    )));
                }
                let x = patterns.mapv(f64::from);
                let gram = matmul_nt(x.view(), x.view());
                let l = cholesky(&gram).ok_or_else(|| {
                    Error::Unsupported(
                        "the patterns are linearly dependent; the generalized pseudoinverse rule \
                         needs independent patterns"
                            .into(),
                    )
                })?;
                let mut inv = Array2::<f64>::eye(p);
                cholesky_solve(&l, &mut inv);
                Some(inv)
            }
        };
        Ok(SequenceMemory {
            patterns,
            next,
            next_times_current,
            separation,
            rule,
            inverse_gram,
        })
    }

    /// Number of patterns `P` in the sequence.
    pub fn len(&self) -> usize {
        self.patterns.nrows()
    }

    /// Always false: a sequence memory holds at least one pattern.
    pub fn is_empty(&self) -> bool {
        self.patterns.nrows() == 0
    }

    /// Number of neurons `N`.
    pub fn dim(&self) -> usize {
        self.patterns.ncols()
    }

    /// The stored sequence, shape `(P, N)`, in order.
    pub fn patterns(&self) -> ArrayView2<'_, f32> {
        self.patterns.view()
    }

    /// The interaction function.
    pub fn separation(&self) -> DamSeparation {
        self.separation
    }

    /// The storage rule.
    pub fn rule(&self) -> SequenceRule {
        self.rule
    }

    fn validate(&self, what: &str, states: ArrayView2<f32>) -> Result<()> {
        check_batch(what, states, self.dim())?;
        ensure_bipolar(what, states)
    }

    /// The local fields `h_i` of each row of `states` (shape `(B, N)`, entries ±1): the next
    /// state is their sign. Only the signs are meaningful: each row may be scaled by a positive
    /// factor (the exponential is shifted to avoid overflow).
    pub fn fields(&self, states: ArrayView2<f32>) -> Result<Array2<f32>> {
        self.validate("states", states)?;
        let overlaps = matmul_nt(states, self.patterns.view());
        match self.rule {
            SequenceRule::Hebbian => Ok(self.hebbian_fields(states, overlaps)),
            SequenceRule::GeneralizedPseudoinverse => Ok(self.pseudoinverse_fields(overlaps)),
        }
    }

    fn hebbian_fields(&self, states: ArrayView2<f32>, overlaps: Array2<f32>) -> Array2<f32> {
        let nm1 = (self.dim() - 1) as f64;
        let sep = self.separation;
        let (b, p) = overlaps.dim();
        let mut even = Array2::<f32>::zeros((b, p));
        let mut odd = Array2::<f32>::zeros((b, p));
        even.outer_iter_mut()
            .into_par_iter()
            .zip(odd.outer_iter_mut().into_par_iter())
            .zip(overlaps.outer_iter().into_par_iter())
            .for_each(|((mut a_row, mut b_row), m_row)| {
                // f(M - c) for c = +1 ("plus") and c = -1 ("minus").
                let shift = match sep {
                    DamSeparation::Exp { beta } => {
                        let top = m_row.iter().fold(f32::NEG_INFINITY, |t, &v| t.max(v)) as f64;
                        beta * (top + 1.0 - nm1)
                    }
                    _ => 0.0,
                };
                for ((a, bb), &m) in a_row.iter_mut().zip(b_row.iter_mut()).zip(m_row.iter()) {
                    let m = m as f64;
                    let (plus, minus) = match sep {
                        DamSeparation::Exp { beta } => (
                            (beta * (m - 1.0 - nm1) - shift).exp(),
                            (beta * (m + 1.0 - nm1) - shift).exp(),
                        ),
                        _ => (poly(sep, (m - 1.0) / nm1), poly(sep, (m + 1.0) / nm1)),
                    };
                    *a = (0.5 * (plus + minus)) as f32;
                    *bb = (0.5 * (plus - minus)) as f32;
                }
            });
        let mut fields = matmul(even.view(), self.next.view());
        let correction = matmul(odd.view(), self.next_times_current.view());
        ndarray::Zip::from(&mut fields)
            .and(&correction)
            .and(&states)
            .for_each(|h, &c, &x| *h += x * c);
        fields
    }

    fn pseudoinverse_fields(&self, overlaps: Array2<f32>) -> Array2<f32> {
        let inv = self
            .inverse_gram
            .as_ref()
            .expect("the pseudoinverse rule stores its inverse Gram matrix");
        let nm1 = (self.dim() - 1) as f64;
        let sep = self.separation;
        // m̃ = (X Ξᵀ)(Ξ Ξᵀ)⁻¹ equals O⁻¹ m with O = Ξ Ξᵀ / N and m = Ξ x / N.
        let decorrelated = matmul(overlaps.mapv(f64::from).view(), inv.view());
        let mut weights = Array2::<f32>::zeros(decorrelated.dim());
        weights
            .outer_iter_mut()
            .into_par_iter()
            .zip(decorrelated.outer_iter().into_par_iter())
            .for_each(|(mut w_row, m_row)| match sep {
                DamSeparation::Exp { beta } => {
                    let top = m_row.iter().fold(f64::NEG_INFINITY, |t, &v| t.max(v));
                    for (w, &m) in w_row.iter_mut().zip(m_row.iter()) {
                        *w = (beta * nm1 * (m - top)).exp() as f32;
                    }
                }
                _ => {
                    for (w, &m) in w_row.iter_mut().zip(m_row.iter()) {
                        *w = poly(sep, m) as f32;
                    }
                }
            });
        matmul(weights.view(), self.next.view())
    }

    /// One synchronous update of every row of `states` (shape `(B, N)`, entries ±1).
    pub fn step(&self, states: ArrayView2<f32>) -> Result<Array2<f32>> {
        let fields = self.fields(states)?;
        let mut next = states.to_owned();
        next.zip_mut_with(&fields, |x, &h| *x = sign_or_keep(h as f64, *x));
        Ok(next)
    }

    /// The trajectory of `steps` synchronous updates from `start` (length `N`, entries ±1):
    /// shape `(steps + 1, N)`, row 0 being `start`.
    pub fn run(&self, start: ArrayView1<f32>, steps: usize) -> Result<Array2<f32>> {
        let mut trajectory = Array2::zeros((steps + 1, self.dim()));
        let first = start.insert_axis(Axis(0));
        self.validate("start", first)?;
        trajectory.row_mut(0).assign(&start);
        let mut state = first.to_owned();
        for t in 1..=steps {
            state = self.step(state.view())?;
            trajectory.row_mut(t).assign(&state.row(0));
        }
        Ok(trajectory)
    }

    /// For every stored transition `ξ^μ → ξ^{μ+1}`, the number of bits one update from `ξ^μ`
    /// gets wrong (0 for an exact transition).
    pub fn transition_errors(&self) -> Result<Vec<usize>> {
        let next = self.step(self.patterns.view())?;
        Ok(next
            .rows()
            .into_iter()
            .zip(self.next.rows())
            .map(|(a, b)| a.iter().zip(b.iter()).filter(|(x, y)| x != y).count())
            .collect())
    }

    /// Whether every transition is exact, so that the whole sequence is recalled perfectly from
    /// its first pattern (the paper's criterion for sequence capacity, Section 2.1: all `P`
    /// transitions of the cycle correct). Transitions are checked in blocks of 8, 16, … up to 256
    /// and the check stops at the first block with an error (above capacity errors are common,
    /// so a small first block finds one cheaply).
    pub fn recalls_sequence(&self) -> Result<bool> {
        const FIRST: usize = 8;
        const LARGEST: usize = 256;
        let p = self.len();
        let mut start = 0;
        let mut block = FIRST;
        while start < p {
            let end = (start + block).min(p);
            let next = self.step(self.patterns.slice(s![start..end, ..]))?;
            if next != self.next.slice(s![start..end, ..]) {
                return Ok(false);
            }
            start = end;
            block = (2 * block).min(LARGEST);
        }
        Ok(true)
    }
}

/// How the delayed asymmetric term of a [`VariableTiming`] memory drives the transitions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TimingCoupling {
    /// The paper's mixed form: `λ Σ_μ ξ^{μ+1} f(m^μ(t - τ_μ))`, a delayed asymmetric term added
    /// to the symmetric one. With one hold time for every pattern each state is held exactly that
    /// long; a state meant to be shorter than the one before it is held longer, because the
    /// previous transition's delayed push towards it is still on (see `docs/sequence.md`).
    Additive,
    /// The delayed term gated by the present overlap, `λ Σ_μ ξ^{μ+1} f(m^μ(t)) f(m^μ(t - τ_μ))`:
    /// a pattern pushes towards its successor only while it is still the present state, which
    /// lets every pattern have its own hold time. This gating is engram's choice, not the
    /// paper's.
    Gated,
}

/// A sequence memory with variable timing: each pattern is held for a chosen number of steps
/// before the sequence moves on (Chaudhry et al. 2023, the mixed symmetric + delayed asymmetric
/// network).
///
/// With overlaps `m^μ(t) = ξ^μ·x(t) / N` (no self-exclusion) and `τ_μ = hold_μ - 1`:
///
/// ```text
/// x_i(t+1) = sgn( Σ_μ ξ_i^μ f(m^μ(t)) + λ Σ_μ ξ_i^{μ+1} g_μ(t) )
/// g_μ(t)   = f(m^μ(t - τ_μ))                 (TimingCoupling::Additive)
///          = f(m^μ(t)) f(m^μ(t - τ_μ))       (TimingCoupling::Gated)
/// ```
///
/// The symmetric term holds the present pattern; once it has been present for `hold_μ` steps the
/// delayed term (weight `λ > 1`) pushes the state on to `ξ^{μ+1}`. Overlaps before the start are
/// zero, so the first pattern is held for its full time too. `f` is a [`DamSeparation`]
/// (`Exp { beta }` means `exp(β N (m - 1))` here).
///
/// ```
/// use engram::model::{DamSeparation, TimingCoupling, VariableTiming};
/// use engram::pattern::random_bipolar;
///
/// let patterns = random_bipolar(4, 100, 2);
/// let hold = vec![3, 1, 4, 2];                    // steps spent on each pattern
/// let net = VariableTiming::new(patterns.clone(), DamSeparation::Power { degree: 2 }, hold,
///                               2.0, TimingCoupling::Gated).unwrap();
/// let trajectory = net.run(patterns.row(0), 10).unwrap();
/// let visited: Vec<usize> = [0, 0, 0, 1, 2, 2, 2, 2, 3, 3, 0].to_vec();
/// for (t, &mu) in visited.iter().enumerate() {
///     assert_eq!(trajectory.row(t), patterns.row(mu));
/// }
/// ```
#[derive(Clone, Debug)]
pub struct VariableTiming {
    patterns: Array2<f32>,
    next: Array2<f32>,
    separation: DamSeparation,
    hold: Vec<usize>,
    lambda: f64,
    coupling: TimingCoupling,
}

impl VariableTiming {
    /// A memory of the cyclic sequence in the rows of `patterns` (shape `(P, N)`, entries ±1),
    /// holding pattern `μ` for `hold[μ] >= 1` steps, with delayed-term weight `lambda > 0`
    /// (transitions need `lambda > 1`).
    pub fn new(
        patterns: Array2<f32>,
        separation: DamSeparation,
        hold: Vec<usize>,
        lambda: f64,
        coupling: TimingCoupling,
    ) -> Result<Self> {
        let (p, n) = patterns.dim();
        if p == 0 || n == 0 {
            return Err(Error::Empty(
                "patterns: a sequence memory needs at least one pattern".into(),
            ));
        }
        ensure_bipolar("patterns", patterns.view())?;
        validate_separation(separation)?;
        ensure_positive("lambda", lambda)?;
        if hold.len() != p {
            return Err(Error::shape("hold times", p, hold.len()));
        }
        if let Some(i) = hold.iter().position(|&h| h == 0) {
            return Err(Error::param(
                "hold",
                format!("every hold time must be at least 1 step; hold[{i}] is 0"),
            ));
        }
        let mut next = Array2::zeros((p, n));
        next.slice_mut(s![..p - 1, ..])
            .assign(&patterns.slice(s![1.., ..]));
        next.row_mut(p - 1).assign(&patterns.row(0));
        Ok(VariableTiming {
            patterns,
            next,
            separation,
            hold,
            lambda,
            coupling,
        })
    }

    /// The hold time of each pattern, in steps.
    pub fn hold(&self) -> &[usize] {
        &self.hold
    }

    /// Number of neurons `N`.
    pub fn dim(&self) -> usize {
        self.patterns.ncols()
    }

    fn f(&self, m: f64) -> f64 {
        match self.separation {
            DamSeparation::Exp { beta } => (beta * self.dim() as f64 * (m - 1.0)).exp(),
            sep => poly(sep, m),
        }
    }

    /// The trajectory of `steps` synchronous updates from `start` (length `N`, entries ±1),
    /// shape `(steps + 1, N)`, row 0 being `start`.
    pub fn run(&self, start: ArrayView1<f32>, steps: usize) -> Result<Array2<f32>> {
        let (p, n) = self.patterns.dim();
        let first = start.insert_axis(Axis(0));
        check_batch("start", first, n)?;
        ensure_bipolar("start", first)?;
        let mut trajectory = Array2::zeros((steps + 1, n));
        trajectory.row_mut(0).assign(&start);
        // f(m^μ(s)) for every past step s.
        let mut history: Vec<Vec<f64>> = Vec::with_capacity(steps + 1);
        let mut state = start.to_owned();
        for t in 0..steps {
            let now: Vec<f64> = self
                .patterns
                .rows()
                .into_iter()
                .map(|xi| self.f(xi.dot(&state) as f64 / n as f64))
                .collect();
            history.push(now);
            let now = &history[t];
            let mut sym = ndarray::Array1::<f32>::zeros(p);
            let mut asym = ndarray::Array1::<f32>::zeros(p);
            for mu in 0..p {
                sym[mu] = now[mu] as f32;
                let delay = self.hold[mu] - 1;
                let past = if t >= delay {
                    history[t - delay][mu]
                } else {
                    0.0
                };
                let drive = match self.coupling {
                    TimingCoupling::Additive => past,
                    TimingCoupling::Gated => now[mu] * past,
                };
                asym[mu] = (self.lambda * drive) as f32;
            }
            let field = sym.dot(&self.patterns) + asym.dot(&self.next);
            for (x, &h) in state.iter_mut().zip(field.iter()) {
                *x = sign_or_keep(h as f64, *x);
            }
            trajectory.row_mut(t + 1).assign(&state);
        }
        Ok(trajectory)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pattern::random_bipolar;

    /// The field written out as the paper's sum, neuron by neuron, for comparison.
    fn direct_field(seq: &SequenceMemory, x: ArrayView1<f32>) -> Vec<f64> {
        let (p, n) = seq.patterns.dim();
        let nm1 = (n - 1) as f64;
        (0..n)
            .map(|i| {
                (0..p)
                    .map(|mu| {
                        let m: f64 = (0..n)
                            .filter(|&j| j != i)
                            .map(|j| (seq.patterns[[mu, j]] * x[j]) as f64)
                            .sum::<f64>()
                            / nm1;
                        let f = match seq.separation {
                            DamSeparation::Exp { beta } => (beta * nm1 * (m - 1.0)).exp(),
                            s => poly(s, m),
                        };
                        seq.next[[mu, i]] as f64 * f
                    })
                    .sum()
            })
            .collect()
    }

    #[test]
    fn factored_field_matches_the_self_excluded_sum() {
        let patterns = random_bipolar(7, 15, 3);
        let states = random_bipolar(3, 15, 4);
        for sep in [
            DamSeparation::Power { degree: 1 },
            DamSeparation::Power { degree: 3 },
            DamSeparation::RectifiedPower { degree: 2 },
            DamSeparation::Exp { beta: 1.0 },
        ] {
            let seq = SequenceMemory::new(patterns.clone(), sep, SequenceRule::Hebbian).unwrap();
            let fields = seq.fields(states.view()).unwrap();
            for (r, x) in states.rows().into_iter().enumerate() {
                let direct = direct_field(&seq, x);
                // The exponential rows carry a positive factor: compare after normalising.
                let scale_f = fields
                    .row(r)
                    .iter()
                    .fold(0f64, |m, &v| m.max(v.abs() as f64));
                let scale_d = direct.iter().fold(0f64, |m, &v| m.max(v.abs()));
                for (a, b) in fields.row(r).iter().zip(&direct) {
                    let (a, b) = (*a as f64 / scale_f, b / scale_d);
                    assert!((a - b).abs() < 1e-5, "{sep:?}: {a} vs {b}");
                }
            }
        }
    }
}
