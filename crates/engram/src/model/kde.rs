//! A Gaussian kernel density estimate read as an associative memory: Schaeffer, Zahedi, Khona,
//! Pai, Truong, Du, Ostrow, Chandra, Carranza, Fiete, Gromov & Koyejo, "Bridging Associative
//! Memory and Probabilistic Modeling", 2024 (arXiv:2402.10202).
//!
//! Stored patterns `ξ_μ ∈ R^d` (rows of a `(K, d)` array) are the centers of a kernel density
//! estimate with bandwidth `σ` (`β = 1/σ²`):
//!
//! * Density: `p(x) = (1/K) Σ_μ N(x; ξ_μ, σ² I)`, so
//!   `-ln p(x) = -ln Σ_μ exp(-‖x - ξ_μ‖²/(2σ²)) + ln K + (d/2) ln(2πσ²)`.
//! * The bridge: for unit-norm patterns `-‖x - ξ‖²/2 = ξ·x - ½‖x‖² - ½`, hence
//!   `-ln p(x) = β E(x) + (d/2) ln(2π/β)` with `E` the modern Hopfield energy of Ramsauer et al.
//!   (`-lse(β, Ξx) + ½‖x‖² + ln K/β + ½`, [`super::ModernHopfield`]): the energy is, up to the
//!   factor `β` and a constant, the negative log-likelihood.
//! * Energy ([`Dynamics::energies`]): `-ln p(x)`.
//! * Update: mean shift `x ← Σ_μ w_μ(x) ξ_μ`, `w = softmax(-‖x - ξ‖²/(2σ²))`, the modern Hopfield
//!   update for unit-norm patterns; a concave-convex step, so `p` never falls.
//! * Sampling: unadjusted Langevin dynamics on the energy,
//!   `x ← x + η ∇ln p(x) + √(2η) z`, `∇ln p(x) = (Σ_μ w_μ ξ_μ - x)/σ²`, `z ~ N(0, I)`
//!   ([`GaussianKde::langevin`]). For one center its stationary law is Gaussian with variance
//!   `σ²/(1 - η/(2σ²))` per coordinate (the discretization bias, exact for this linear chain).

use ndarray::{Array1, Array2, ArrayView2, Axis, Zip};
use rayon::prelude::*;

use super::rbf::RbfMixture;
use crate::dynamics::{check_batch, Dynamics};
use crate::error::{ensure_finite, ensure_positive, Error, Result};
use crate::numeric::Rng;

/// A Gaussian kernel density estimate over stored patterns, read as an associative memory
/// (Schaeffer et al. 2024): `p(x) = (1/K) Σ_μ N(x; ξ_μ, σ² I)`, energy `-ln p(x)` (for unit-norm
/// patterns `β` times the modern Hopfield energy plus `(d/2) ln(2π/β)`, `β = 1/σ²`), retrieval by
/// mean shift, sampling by Langevin dynamics.
///
/// ```
/// use engram::model::GaussianKde;
/// use engram::pattern::random_sphere;
///
/// let patterns = random_sphere(10, 8, 1);
/// let kde = GaussianKde::new(patterns.clone(), 0.1).unwrap();
/// let at_pattern = kde.log_density(patterns.view()).unwrap();
/// let between = kde.log_density((&patterns.row(0) + &patterns.row(1)).insert_axis(ndarray::Axis(0)).view()).unwrap();
/// assert!(at_pattern[0] > between[0]);
/// ```
#[derive(Clone, Debug)]
pub struct GaussianKde {
    mixture: RbfMixture,
    bandwidth: f64,
}

impl GaussianKde {
    /// The estimate with centers `patterns` (shape `(K, d)`) and bandwidth `σ > 0`.
    ///
    /// Errors: no pattern, dimension 0, non-finite values, `bandwidth` not finite and > 0.
    pub fn new(patterns: Array2<f32>, bandwidth: f32) -> Result<Self> {
        ensure_positive("bandwidth", bandwidth as f64)?;
        Ok(GaussianKde {
            mixture: RbfMixture::new(patterns.view())?,
            bandwidth: bandwidth as f64,
        })
    }

    /// The bandwidth `σ`.
    pub fn bandwidth(&self) -> f64 {
        self.bandwidth
    }

    /// The inverse temperature `β = 1/σ²` of the equivalent modern Hopfield network.
    pub fn beta(&self) -> f64 {
        1.0 / (self.bandwidth * self.bandwidth)
    }

    /// The number of stored patterns `K`.
    pub fn len(&self) -> usize {
        self.mixture.centers().nrows()
    }

    /// Whether no pattern is stored (never true: construction requires one).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn states(&self, states: ArrayView2<f32>) -> Result<Array2<f64>> {
        check_batch("states", states, self.dim())?;
        Ok(states.mapv(f64::from))
    }

    /// `ln p(x)` of each row of `states` (normalized: the density integrates to 1 over `R^d`).
    pub fn log_density(&self, states: ArrayView2<f32>) -> Result<Array1<f64>> {
        let x = self.states(states)?;
        let d = self.dim() as f64;
        let constant = (self.len() as f64).ln()
            + 0.5 * d * (2.0 * std::f64::consts::PI * self.bandwidth * self.bandwidth).ln();
        Ok(self.mixture.evaluate(x.view(), self.beta(), false).lse - constant)
    }

    /// The score `∇ln p(x) = (Σ_μ w_μ ξ_μ - x)/σ²` of each row of `states`, shape `(B, d)`.
    pub fn score(&self, states: ArrayView2<f32>) -> Result<Array2<f64>> {
        let x = self.states(states)?;
        let means = self
            .mixture
            .evaluate(x.view(), self.beta(), true)
            .means
            .expect("means were asked for");
        Ok((means - x) * self.beta())
    }

    /// One mean-shift step `Σ_μ w_μ(x) ξ_μ` of each row of `states`.
    pub fn mean_shift(&self, states: ArrayView2<f32>) -> Result<Array2<f32>> {
        let x = self.states(states)?;
        let means = self
            .mixture
            .evaluate(x.view(), self.beta(), true)
            .means
            .expect("means were asked for");
        Ok(means.mapv(|v| v as f32))
    }

    /// `steps` steps of unadjusted Langevin dynamics `x ← x + η ∇ln p(x) + √(2η) z` from each row
    /// of `start` (chain `i` draws its noise from stream `i` of `seed`); returns the final states.
    ///
    /// Errors: shape mismatch, non-finite values, `step_size` not finite and > 0.
    pub fn langevin(
        &self,
        start: ArrayView2<f32>,
        steps: usize,
        step_size: f64,
        seed: u64,
    ) -> Result<Array2<f32>> {
        ensure_positive("step_size", step_size)?;
        let mut x = self.states(start)?;
        let mut rngs: Vec<Rng> = (0..x.nrows())
            .map(|i| Rng::stream(seed, i as u64))
            .collect();
        let noise = (2.0 * step_size).sqrt();
        let beta = self.beta();
        for _ in 0..steps {
            let means = self
                .mixture
                .evaluate(x.view(), beta, true)
                .means
                .expect("means were asked for");
            x.axis_iter_mut(Axis(0))
                .into_par_iter()
                .zip(means.axis_iter(Axis(0)).into_par_iter())
                .zip(rngs.par_iter_mut())
                .for_each(|((mut row, mean), rng)| {
                    Zip::from(&mut row).and(&mean).for_each(|v, &m| {
                        *v += step_size * beta * (m - *v) + noise * rng.normal();
                    });
                });
        }
        let out = x.mapv(|v| v as f32);
        ensure_finite("Langevin samples", out.iter())?;
        Ok(out)
    }

    /// Whether the stored pattern `index` is retrieved: mean shift run `steps` times from it stays
    /// within `tolerance` of it (a fixed point near the pattern, the sense of "stored" in the
    /// capacity analyses of Ramsauer et al. 2020 and Schaeffer et al. 2024). For all patterns at
    /// once see [`GaussianKde::stored`].
    pub fn is_stored(&self, index: usize, tolerance: f64, steps: usize) -> Result<bool> {
        if index >= self.len() {
            return Err(Error::param(
                "index",
                format!("pattern {index} of {}", self.len()),
            ));
        }
        let row = self.mixture.centers().row(index).mapv(|v| v as f32);
        let start = row.insert_axis(Axis(0));
        Ok(self.stored_from(start.view(), &[index], tolerance, steps)?[0])
    }

    /// For every stored pattern: whether mean shift from it stays within `tolerance` after
    /// `steps` steps (see [`GaussianKde::is_stored`]).
    pub fn stored(&self, tolerance: f64, steps: usize) -> Result<Vec<bool>> {
        let start = self.mixture.centers().mapv(|v| v as f32);
        let all: Vec<usize> = (0..self.len()).collect();
        self.stored_from(start.view(), &all, tolerance, steps)
    }

    fn stored_from(
        &self,
        start: ArrayView2<f32>,
        indices: &[usize],
        tolerance: f64,
        steps: usize,
    ) -> Result<Vec<bool>> {
        ensure_positive("tolerance", tolerance)?;
        let beta = self.beta();
        let centers = self.mixture.centers();
        // Rows in chunks so that the (chunk, K) weight matrix stays near 32 MiB.
        let chunk = ((1usize << 22) / self.len()).max(1);
        let mut out = Vec::with_capacity(indices.len());
        for (rows, idx) in start
            .axis_chunks_iter(Axis(0), chunk)
            .zip(indices.chunks(chunk))
        {
            let mut x = rows.mapv(f64::from);
            for _ in 0..steps {
                x = self
                    .mixture
                    .evaluate(x.view(), beta, true)
                    .means
                    .expect("means were asked for");
            }
            out.extend(idx.iter().zip(x.rows()).map(|(&i, row)| {
                let d = &row - &centers.row(i);
                d.dot(&d).sqrt() <= tolerance
            }));
        }
        Ok(out)
    }
}

impl Dynamics for GaussianKde {
    fn dim(&self) -> usize {
        self.mixture.centers().ncols()
    }

    fn energies(&self, states: ArrayView2<f32>) -> Result<Array1<f64>> {
        Ok(-self.log_density(states)?)
    }

    fn step(&self, states: ArrayView2<f32>) -> Result<Array2<f32>> {
        self.mean_shift(states)
    }
}
