//! The Gaussian (radial basis function) mixture shared by the exact dense memory of DrDAM
//! ([`super::MrDam`]) and the Gaussian kernel density estimate ([`super::GaussianKde`]).
//!
//! For centers `ξ_μ` (rows of a `(K, d)` array) and an inverse width `β`, each state `x` gets the
//! scores `s_μ(x) = -β/2 ‖x - ξ_μ‖²`, their log-sum-exp `L(x) = ln Σ_μ exp(s_μ(x))` and the
//! softmax weights `w_μ(x) = exp(s_μ(x) - L(x))`. Everything is computed in f64 with the
//! maximum score subtracted before exponentiating, so no β overflows.

use ndarray::{Array1, Array2, ArrayView2, Axis};
use rayon::prelude::*;

use crate::error::{ensure_finite, Error, Result};
use crate::kernel::matmul::{matmul, matmul_nt};

/// Centers in f64 with their squared norms.
#[derive(Clone, Debug)]
pub(crate) struct RbfMixture {
    centers: Array2<f64>,
    sq_norms: Array1<f64>,
}

/// What [`RbfMixture::evaluate`] returns for a batch of `B` states.
pub(crate) struct RbfEval {
    /// `L(x) = ln Σ_μ exp(-β/2 ‖x - ξ_μ‖²)` per state.
    pub lse: Array1<f64>,
    /// `Σ_μ w_μ(x) ξ_μ` per state, shape `(B, d)`, when asked for.
    pub means: Option<Array2<f64>>,
}

impl RbfMixture {
    /// Copies `centers` (shape `(K, d)`, `K >= 1`, `d >= 1`, finite) to f64.
    pub fn new(centers: ArrayView2<f32>) -> Result<Self> {
        if centers.nrows() == 0 || centers.ncols() == 0 {
            return Err(Error::Empty(
                "memory: need at least one pattern of dimension >= 1".into(),
            ));
        }
        ensure_finite("patterns", centers.iter())?;
        let centers = centers.mapv(f64::from);
        let sq_norms = centers.rows().into_iter().map(|r| r.dot(&r)).collect();
        Ok(RbfMixture { centers, sq_norms })
    }

    /// The centers, shape `(K, d)`.
    pub fn centers(&self) -> &Array2<f64> {
        &self.centers
    }

    /// The log-sum-exp of the scores and, if `want_means`, the softmax-weighted means of the
    /// centers, for each row of `states` (shape `(B, d)`, already checked).
    pub fn evaluate(&self, states: ArrayView2<f64>, beta: f64, want_means: bool) -> RbfEval {
        // s_μ = β (x·ξ_μ - ½‖ξ_μ‖²) - β/2 ‖x‖²; the last term is common to every μ.
        let mut scores = matmul_nt(states, self.centers.view());
        let lse: Vec<f64> = scores
            .axis_iter_mut(Axis(0))
            .into_par_iter()
            .zip(states.axis_iter(Axis(0)).into_par_iter())
            .map(|(mut row, x)| {
                let mut max = f64::NEG_INFINITY;
                for (s, &n2) in row.iter_mut().zip(self.sq_norms.iter()) {
                    *s = beta * (*s - 0.5 * n2);
                    max = max.max(*s);
                }
                let mut sum = 0.0;
                for s in row.iter_mut() {
                    *s = (*s - max).exp();
                    sum += *s;
                }
                row.mapv_inplace(|w| w / sum);
                max + sum.ln() - 0.5 * beta * x.dot(&x)
            })
            .collect();
        let means = want_means.then(|| matmul(scores.view(), self.centers.view()));
        RbfEval {
            lse: Array1::from(lse),
            means,
        }
    }
}
