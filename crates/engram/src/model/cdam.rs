//! Correlated Dense Associative Memory, CDAM (Burns 2024, "Semantically-correlated memories in a
//! dense associative model", ICML, arXiv:2404.07123).
//!
//! Continuous patterns `ξ^μ ∈ R^N` (rows of `Ξ`, shape `(P, N)`) are linked by a memory graph with
//! adjacency `A` (shape `(P, P)`, `A_μν >= 0` the weight of the edge `μ → ν`). Its normalised form
//! is `M_μν = A_μν / Σ_ν A_μν` (a node without out-edges has a zero row). State `σ ∈ R^N`.
//!
//! * Update (one synchronous step, every state row independently):
//!
//!   ```text
//!   w = softmax(β Ξ σ)                                  attention over the memories
//!   q = Σ_μ w_μ (a ξ^μ + h Σ_ν M_μν ξ^ν) = wᵀ Q,        Q = (a I + h M) Ξ
//!   σ ← σ + η (q - σ)
//!   ```
//!
//!   `a` weighs auto-association (a memory projects onto itself) and `h` hetero-association (a
//!   memory projects onto its graph neighbours); a negative `a` or `h` is an anti-Hebbian term
//!   (a memory suppresses itself, or its neighbours). `η ∈ (0, 1]` is the step size.
//! * Regimes (the paper's four dynamical modes, classified in [`crate::experiment::cdam`]):
//!   auto-association (the cue's own memory stays expressed), narrow hetero-association (the
//!   state moves to the cue's immediate neighbours), wide hetero-association (it spreads over a
//!   larger part of the graph, widened by an anti-Hebbian `a < 0`), and neutral quiescence (no
//!   memory stays positively expressed).
//! * No energy is implemented: for a general graph the map `σ ↦ Ξᵀ(aI + hM)ᵀ softmax(βΞσ)` has a
//!   non-symmetric Jacobian and is not the gradient of any function, so [`Cdam`] has its own
//!   runs ([`Cdam::run`], [`Cdam::settle`]) with clamping instead of
//!   [`crate::dynamics::Dynamics`].
//!
//! The update is the one summarised from the paper (its constant offset term is left out here;
//! see `docs/cdam.md`); the normalisation of `A` by out-degree is engram's reading of "normalised
//! adjacency".
//!
//! ```
//! use engram::model::{Cdam, CdamParams};
//! use engram::pattern::random_sphere;
//! use ndarray::Array2;
//!
//! // A directed cycle 0 -> 1 -> 2 -> 0 and pure hetero-association: one step moves on.
//! let patterns = random_sphere(3, 64, 1);
//! let mut cycle = Array2::<f32>::zeros((3, 3));
//! for mu in 0..3 { cycle[[mu, (mu + 1) % 3]] = 1.0; }
//! let net = Cdam::new(patterns.clone(), cycle, CdamParams::new(0.0, 1.0, 50.0, 1.0)).unwrap();
//! let next = net.step(patterns.slice(ndarray::s![0..1, ..])).unwrap();
//! assert!((&next.row(0) - &patterns.row(1)).iter().all(|d| d.abs() < 1e-3));
//! ```

use ndarray::{Array2, ArrayView1, ArrayView2, Axis, Zip};
use rayon::prelude::*;

use crate::dynamics::check_batch;
use crate::error::{ensure_finite, ensure_positive, Error, Result};
use crate::kernel::matmul::{matmul, matmul_nt};
use crate::kernel::separation::softmax;

/// The parameters of a [`Cdam`]: the balance of auto- and hetero-association, the inverse
/// temperature of the attention and the step size.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CdamParams {
    /// Auto-association strength `a` (negative: anti-Hebbian self-suppression).
    pub a: f32,
    /// Hetero-association strength `h` (negative: anti-Hebbian suppression of neighbours).
    pub h: f32,
    /// Inverse temperature `β > 0` of the softmax over memories.
    pub beta: f32,
    /// Step size `η ∈ (0, 1]`; `η = 1` replaces the state by its target in one step.
    pub eta: f32,
}

impl CdamParams {
    /// Parameters from their values.
    pub fn new(a: f32, h: f32, beta: f32, eta: f32) -> Self {
        CdamParams { a, h, beta, eta }
    }

    /// Checks that `a`, `h` are finite, `β > 0` and `0 < η <= 1`.
    pub fn validate(&self) -> Result<()> {
        for (name, v) in [("a", self.a), ("h", self.h)] {
            if !v.is_finite() {
                return Err(Error::param(name, format!("must be finite, got {v}")));
            }
        }
        ensure_positive("beta", self.beta as f64)?;
        if !(self.eta > 0.0 && self.eta <= 1.0) {
            return Err(Error::param(
                "eta",
                format!("must lie in (0, 1], got {}", self.eta),
            ));
        }
        Ok(())
    }
}

/// The outcome of [`Cdam::settle`] for a batch of `B` states of dimension `N`.
#[derive(Clone, Debug)]
pub struct CdamRun {
    /// Final states, shape `(B, N)`.
    pub states: Array2<f32>,
    /// Steps taken by each state.
    pub steps: Vec<usize>,
    /// Whether each state stopped moving (no coordinate changed by more than the tolerance).
    pub converged: Vec<bool>,
}

/// A correlated dense associative memory: continuous patterns linked by a memory graph.
#[derive(Clone, Debug)]
pub struct Cdam {
    patterns: Array2<f32>,
    adjacency: Array2<f32>,
    transition: Array2<f32>,
    /// `Q = (a I + h M) Ξ`, shape `(P, N)`.
    projection: Array2<f32>,
    params: CdamParams,
}

/// Row-normalises a non-negative adjacency matrix (rows without edges stay zero).
pub(crate) fn normalise_rows(adjacency: ArrayView2<f32>) -> Array2<f32> {
    let mut m = adjacency.to_owned();
    for mut row in m.rows_mut() {
        let total: f32 = row.sum();
        if total > 0.0 {
            row.mapv_inplace(|v| v / total);
        }
    }
    m
}

impl Cdam {
    /// A memory of `patterns` (shape `(P, N)`, finite) linked by `adjacency` (shape `(P, P)`,
    /// finite, non-negative; `adjacency[[μ, ν]]` is the weight of the edge `μ → ν`; give both
    /// directions for an undirected graph), with `params`.
    pub fn new(patterns: Array2<f32>, adjacency: Array2<f32>, params: CdamParams) -> Result<Self> {
        let (p, n) = patterns.dim();
        if p == 0 || n == 0 {
            return Err(Error::Empty(
                "patterns: a CDAM needs at least one pattern".into(),
            ));
        }
        ensure_finite("patterns", patterns.iter())?;
        if adjacency.dim() != (p, p) {
            return Err(Error::shape(
                "adjacency",
                format!("({p}, {p})"),
                format!("{:?}", adjacency.dim()),
            ));
        }
        ensure_finite("adjacency", adjacency.iter())?;
        if let Some(i) = adjacency.iter().position(|&v| v < 0.0) {
            return Err(Error::param(
                "adjacency",
                format!("edge weights must be >= 0; entry {i} is negative"),
            ));
        }
        params.validate()?;
        let transition = normalise_rows(adjacency.view());
        let mut mix = transition.mapv(|v| params.h * v);
        for mu in 0..p {
            mix[[mu, mu]] += params.a;
        }
        let projection = matmul(mix.view(), patterns.view());
        Ok(Cdam {
            patterns,
            adjacency,
            transition,
            projection,
            params,
        })
    }

    /// The same memory and graph with other parameters.
    pub fn with_params(&self, params: CdamParams) -> Result<Self> {
        Cdam::new(self.patterns.clone(), self.adjacency.clone(), params)
    }

    /// Number of memories `P`.
    pub fn len(&self) -> usize {
        self.patterns.nrows()
    }

    /// Always false: a CDAM holds at least one memory.
    pub fn is_empty(&self) -> bool {
        self.patterns.nrows() == 0
    }

    /// Dimension `N` of a state.
    pub fn dim(&self) -> usize {
        self.patterns.ncols()
    }

    /// The stored patterns, shape `(P, N)`.
    pub fn patterns(&self) -> ArrayView2<'_, f32> {
        self.patterns.view()
    }

    /// The memory graph's adjacency as given, shape `(P, P)`.
    pub fn adjacency(&self) -> ArrayView2<'_, f32> {
        self.adjacency.view()
    }

    /// The row-normalised adjacency `M`, shape `(P, P)`.
    pub fn transition(&self) -> ArrayView2<'_, f32> {
        self.transition.view()
    }

    /// The parameters.
    pub fn params(&self) -> CdamParams {
        self.params
    }

    /// The attention `softmax(β Ξ σ)` of each row of `states` over the memories, shape `(B, P)`.
    pub fn weights(&self, states: ArrayView2<f32>) -> Result<Array2<f32>> {
        check_batch("states", states, self.dim())?;
        let mut scores = matmul_nt(states, self.patterns.view());
        let beta = self.params.beta;
        scores.outer_iter_mut().into_par_iter().for_each(|mut row| {
            let z: Vec<f32> = row.iter().map(|&v| beta * v).collect();
            let out = row.as_slice_mut().expect("owned rows are contiguous");
            softmax(&z, out);
        });
        ensure_finite(
            "attention weights (beta times the similarities overflows)",
            scores.iter(),
        )?;
        Ok(scores)
    }

    /// One update `σ + η (wᵀQ - σ)` of every row of `states` (shape `(B, N)`).
    pub fn step(&self, states: ArrayView2<f32>) -> Result<Array2<f32>> {
        let w = self.weights(states)?;
        let target = matmul(w.view(), self.projection.view());
        let eta = self.params.eta;
        let mut next = states.to_owned();
        Zip::from(&mut next)
            .and(&target)
            .for_each(|s, &q| *s += eta * (q - *s));
        Ok(next)
    }

    /// The trajectory of `steps` updates from `start` (length `N`), shape `(steps + 1, N)`, row
    /// 0 being `start`. Coordinates where `clamp` is true keep their value from `start`.
    pub fn run(
        &self,
        start: ArrayView1<f32>,
        steps: usize,
        clamp: Option<ArrayView1<bool>>,
    ) -> Result<Array2<f32>> {
        let first = start.insert_axis(Axis(0));
        check_batch("start", first, self.dim())?;
        if let Some(mask) = clamp {
            if mask.len() != self.dim() {
                return Err(Error::shape("clamp mask", self.dim(), mask.len()));
            }
        }
        let mut trajectory = Array2::zeros((steps + 1, self.dim()));
        trajectory.row_mut(0).assign(&start);
        let mut state = first.to_owned();
        for t in 1..=steps {
            state = self.step(state.view())?;
            if let Some(mask) = clamp {
                for ((v, &keep), &s0) in state.row_mut(0).iter_mut().zip(mask).zip(start) {
                    if keep {
                        *v = s0;
                    }
                }
            }
            trajectory.row_mut(t).assign(&state.row(0));
        }
        Ok(trajectory)
    }

    /// Runs every row of `states` until no coordinate moves by more than `tol` in one step, or
    /// for `max_steps` steps. Entries where `observed` (same shape as `states`) is true are
    /// clamped to their starting values.
    pub fn settle(
        &self,
        states: ArrayView2<f32>,
        observed: Option<ArrayView2<bool>>,
        max_steps: usize,
        tol: f32,
    ) -> Result<CdamRun> {
        check_batch("states", states, self.dim())?;
        if let Some(mask) = observed {
            if mask.dim() != states.dim() {
                return Err(Error::shape(
                    "observed mask",
                    format!("{:?}", states.dim()),
                    format!("{:?}", mask.dim()),
                ));
            }
        }
        if !(tol >= 0.0 && tol.is_finite()) {
            return Err(Error::param("tol", "must be finite and >= 0"));
        }
        let b = states.nrows();
        let mut current = states.to_owned();
        let mut steps = vec![0usize; b];
        let mut converged = vec![false; b];
        let mut active: Vec<usize> = (0..b).collect();
        for _ in 0..max_steps {
            if active.is_empty() {
                break;
            }
            let batch = current.select(Axis(0), &active);
            let mut next = self.step(batch.view())?;
            if let Some(mask) = observed {
                for (r, &q) in active.iter().enumerate() {
                    for ((v, &keep), &s0) in next
                        .row_mut(r)
                        .iter_mut()
                        .zip(mask.row(q))
                        .zip(states.row(q))
                    {
                        if keep {
                            *v = s0;
                        }
                    }
                }
            }
            let mut still = Vec::with_capacity(active.len());
            for (r, &q) in active.iter().enumerate() {
                let change = next
                    .row(r)
                    .iter()
                    .zip(current.row(q))
                    .fold(0f32, |m, (a, b)| m.max((a - b).abs()));
                current.row_mut(q).assign(&next.row(r));
                steps[q] += 1;
                if change <= tol {
                    converged[q] = true;
                } else {
                    still.push(q);
                }
            }
            active = still;
        }
        Ok(CdamRun {
            states: current,
            steps,
            converged,
        })
    }

    /// Least-squares coefficients `c` with `σ ≈ Σ_μ c_μ ξ^μ` for each row of `states`, shape
    /// `(B, P)`: how strongly each memory is expressed in a state. Needs linearly independent
    /// patterns ([`Error::Unsupported`] otherwise).
    pub fn expression(&self, states: ArrayView2<f32>) -> Result<Array2<f64>> {
        check_batch("states", states, self.dim())?;
        let x = self.patterns.mapv(f64::from);
        let gram = matmul_nt(x.view(), x.view());
        let l = crate::learn::linalg::cholesky(&gram).ok_or_else(|| {
            Error::Unsupported("the patterns are linearly dependent; no unique expression".into())
        })?;
        let s = states.mapv(f64::from);
        // Solve (Ξ Ξᵀ) C = Ξ Sᵀ, one column per state.
        let mut rhs = matmul_nt(x.view(), s.view());
        crate::learn::linalg::cholesky_solve(&l, &mut rhs);
        Ok(rhs.reversed_axes().as_standard_layout().to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pattern::random_sphere;

    fn squared_distance(a: ArrayView1<f32>, b: ArrayView1<f32>) -> f64 {
        a.iter()
            .zip(b.iter())
            .map(|(x, y)| ((x - y) as f64).powi(2))
            .sum()
    }

    #[test]
    fn pure_auto_association_keeps_a_stored_pattern() {
        // With h = 0 and a = 1 the update is the modern Hopfield step (Ramsauer et al. 2020,
        // eq. 3), which maps a well-separated stored pattern onto itself.
        let patterns = random_sphere(5, 64, 2);
        let ring = Array2::from_shape_fn((5, 5), |(i, j)| {
            if (i + 1) % 5 == j || (j + 1) % 5 == i {
                1.0
            } else {
                0.0
            }
        });
        let net = Cdam::new(patterns.clone(), ring, CdamParams::new(1.0, 0.0, 50.0, 1.0)).unwrap();
        let out = net.step(patterns.view()).unwrap();
        assert!(squared_distance(out.row(3), patterns.row(3)) < 1e-6);
        let c = net.expression(out.view()).unwrap();
        assert!((c[[2, 2]] - 1.0).abs() < 1e-3);
    }
}
