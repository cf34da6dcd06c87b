//! Correlated Dense Associative Memory, CDAM (Burns 2024, "Semantically-correlated memories in a
//! dense associative model", ICML, PMLR 235:4936-4970, arXiv:2404.07123).
//!
//! Continuous patterns `ξ^μ ∈ R^N` (rows of `Ξ`, shape `(P, N)`) are linked by a memory graph with
//! adjacency `A` (shape `(P, P)`, `A_μν >= 0` the weight of the edge `μ → ν`). The graph enters
//! through its *normalised adjacency* `M = D^{-1/2} A D^{-1/2}`, `D = diag(Σ_ν A_μν)`, which is
//! what the author's published code computes (`tfburns/CDAM`, every notebook that normalises:
//! "normalized adjacency matrix, $D^{-1/2} A D^{-1/2}$", with `D` the row sums). A node without
//! out-edges is given degree 1 there (`1/√0` would be infinite). State `σ ∈ R^N`.
//!
//! * Update (one synchronous step, every state row independently), the paper's
//!   `σ(t+1) = σ(t) + η([softmax(β σ(t) Ξ) Q − (1/n) ξ̃ᵀ] − σ(t))`, `Q = aΞ + hΞMᵀ`, written with
//!   patterns as rows:
//!
//!   ```text
//!   w = softmax(β Ξ σ)                                  attention over the memories
//!   q = Σ_μ w_μ (a ξ^μ + h Σ_ν M_μν ξ^ν) - c ξ̄ = wᵀ Q - c ξ̄,    Q = (a I + h M) Ξ
//!   σ ← σ + η (q - σ)
//!   ```
//!
//!   `ξ̄ = (1/P) Σ_μ ξ^μ` is the mean pattern (`xi_mean` in the author's code) and `c` its
//!   coefficient ([`CdamParams::mean_offset`]): `1/N` as printed (`(1/n) ξ̃ᵀ`, `n` the number of neurons; the
//!   first of the two lines in the notebooks) or `1` (the second line, which overrides the first
//!   in the notebooks that made the figures). `a` weighs auto-association (a memory projects onto
//!   itself) and `h` hetero-association (onto its graph neighbours); a negative `a` or `h` is an
//!   anti-Hebbian term. `η ∈ (0, 1]` is the step size.
//! * Direction: row `μ` of `Q` holds `a ξ^μ + h Σ_ν M_μν ξ^ν`, so a memory hands over to the
//!   heads of its out-edges. This is `Q = aΞ + hΞMᵀ` with patterns as columns, and what the
//!   finite-automaton notebook computes (`xi @ H` with `H = A.T`); for undirected graphs the
//!   direction does not matter.
//! * Regimes: the paper's four dynamical modes (auto-association, narrow hetero-association,
//!   wide hetero-association, neutral quiescence) are probed in [`crate::experiment::cdam`].
//! * No energy is implemented: for a general graph the map `σ ↦ Ξᵀ(aI + hM)ᵀ softmax(βΞσ)` has a
//!   non-symmetric Jacobian and is not the gradient of any function, so [`Cdam`] has its own
//!   runs ([`Cdam::run`], [`Cdam::settle`]) with clamping instead of
//!   [`crate::dynamics::Dynamics`].
//!
//! See `docs/cdam.md` for what could and could not be checked against the paper's text.
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
//! // The state is now memory 1, less the paper's small offset (1/N) ξ̄.
//! let want = &patterns.row(1) - &net.offset();
//! assert!((&next.row(0) - &want).iter().all(|d| d.abs() < 1e-3));
//! ```

use ndarray::{Array1, Array2, ArrayView1, ArrayView2, Axis, Zip};
use rayon::prelude::*;

use crate::dynamics::check_batch;
use crate::error::{ensure_finite, ensure_positive, Error, Result};
use crate::kernel::matmul::{matmul, matmul_nt};
use crate::kernel::separation::softmax;

/// The parameters of a [`Cdam`]: the balance of auto- and hetero-association, the inverse
/// temperature of the attention, the step size and the mean-pattern offset.
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
    /// The coefficient `c` of the mean pattern `ξ̄ = (1/P) Σ_μ ξ^μ` subtracted from the target
    /// (the paper's `(1/n) ξ̃ᵀ` term). `None`: `c = 1/N`, the term as printed (`n` the number of
    /// neurons, `ξ̃` the mean pattern; `(1/N)*(xi_mean.T)`, the first of the two lines in the
    /// author's notebooks). `Some(1.0)`: the line that overrides it in the notebooks that made
    /// the range-of-recall, video, image and automaton figures (`(1)*(xi_mean.T)`).
    /// `Some(0.0)`: no offset.
    pub mean_offset: Option<f32>,
}

impl CdamParams {
    /// Parameters from their values, with the printed offset `(1/N) ξ̄` (`mean_offset: None`).
    pub fn new(a: f32, h: f32, beta: f32, eta: f32) -> Self {
        CdamParams {
            a,
            h,
            beta,
            eta,
            mean_offset: None,
        }
    }

    /// The same parameters with the mean pattern's coefficient set to `c` (`1.0` as the author's
    /// notebooks run, `0.0` for no offset).
    pub fn with_mean_offset(self, c: f32) -> Self {
        CdamParams {
            mean_offset: Some(c),
            ..self
        }
    }

    /// The coefficient `c` of the mean pattern for patterns of dimension `dim`.
    pub fn offset_coefficient(&self, dim: usize) -> f32 {
        self.mean_offset.unwrap_or(1.0 / dim.max(1) as f32)
    }

    /// Checks that `a`, `h` (and the offset, if given) are finite, `β > 0` and `0 < η <= 1`.
    pub fn validate(&self) -> Result<()> {
        let offset = self.mean_offset.unwrap_or(0.0);
        for (name, v) in [("a", self.a), ("h", self.h), ("mean_offset", offset)] {
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
    /// `c ξ̄`, length `N`.
    offset: Array1<f32>,
    params: CdamParams,
}

/// The normalised adjacency `M = D^{-1/2} A D^{-1/2}` of a non-negative adjacency matrix, with
/// `D = diag(Σ_ν A_μν)` (row sums, as in the author's code). A node whose row sums to zero is given
/// degree 1, so edges into it keep the weight `A_μν / √d_μ`.
pub fn normalised_adjacency(adjacency: ArrayView2<f32>) -> Array2<f32> {
    let scale: Vec<f32> = adjacency
        .rows()
        .into_iter()
        .map(|row| {
            let d: f32 = row.sum();
            if d > 0.0 {
                1.0 / d.sqrt()
            } else {
                1.0
            }
        })
        .collect();
    Array2::from_shape_fn(adjacency.dim(), |(mu, nu)| {
        adjacency[[mu, nu]] * scale[mu] * scale[nu]
    })
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
        let transition = normalised_adjacency(adjacency.view());
        let mut mix = transition.mapv(|v| params.h * v);
        for mu in 0..p {
            mix[[mu, mu]] += params.a;
        }
        let projection = matmul(mix.view(), patterns.view());
        let c = params.offset_coefficient(n);
        let offset = patterns
            .mean_axis(Axis(0))
            .expect("at least one pattern")
            .mapv(|v| c * v);
        Ok(Cdam {
            patterns,
            adjacency,
            transition,
            projection,
            offset,
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

    /// The normalised adjacency `M = D^{-1/2} A D^{-1/2}` (`normalised_adjacency`), shape
    /// `(P, P)`.
    pub fn transition(&self) -> ArrayView2<'_, f32> {
        self.transition.view()
    }

    /// The offset `c ξ̄` subtracted from every target, length `N`.
    pub fn offset(&self) -> ArrayView1<'_, f32> {
        self.offset.view()
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

    /// One update `σ + η (wᵀQ - c ξ̄ - σ)` of every row of `states` (shape `(B, N)`).
    pub fn step(&self, states: ArrayView2<f32>) -> Result<Array2<f32>> {
        let w = self.weights(states)?;
        let mut target = matmul(w.view(), self.projection.view());
        target -= &self.offset;
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
        // With h = 0, a = 1 and no mean offset the update is the modern Hopfield step
        // (Ramsauer et al. 2020, eq. 3), which maps a well-separated stored pattern onto itself.
        let patterns = random_sphere(5, 64, 2);
        let ring = Array2::from_shape_fn((5, 5), |(i, j)| {
            if (i + 1) % 5 == j || (j + 1) % 5 == i {
                1.0
            } else {
                0.0
            }
        });
        let params = CdamParams::new(1.0, 0.0, 50.0, 1.0).with_mean_offset(0.0);
        let net = Cdam::new(patterns.clone(), ring, params).unwrap();
        let out = net.step(patterns.view()).unwrap();
        assert!(squared_distance(out.row(3), patterns.row(3)) < 1e-6);
        let c = net.expression(out.view()).unwrap();
        assert!((c[[2, 2]] - 1.0).abs() < 1e-3);
    }
}

#[cfg(test)]
mod normalisation_tests {
    use super::*;

    #[test]
    fn adjacency_is_normalised_symmetrically_by_the_row_sums() {
        // D^{-1/2} A D^{-1/2} with D the row sums (tfburns/CDAM notebooks); a sink gets degree 1.
        let a = ndarray::arr2(&[[0.0, 1.0, 1.0], [1.0, 0.0, 3.0], [0.0, 0.0, 0.0]]);
        let m = normalised_adjacency(a.view());
        let d = [2.0f32, 4.0, 1.0];
        for mu in 0..3 {
            for nu in 0..3 {
                let want = a[[mu, nu]] / (d[mu] * d[nu]).sqrt();
                assert!((m[[mu, nu]] - want).abs() < 1e-7, "{mu} {nu}");
            }
        }
        // On a ring every degree is 2: M = A / 2.
        let ring = crate::experiment::graphs::ring(6);
        let m = normalised_adjacency(ring.view());
        assert!(m
            .iter()
            .zip(ring.iter())
            .all(|(x, y)| (x - y / 2.0).abs() < 1e-7));
    }
}
