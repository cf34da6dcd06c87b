//! Modern Hopfield network (Ramsauer et al. 2020, "Hopfield Networks is All You Need", ICLR 2021).
//!
//! Stored patterns `X` (rows `ξ_μ ∈ R^d`, `K` of them), state `x ∈ R^d`, inverse temperature `β`.
//!
//! * Energy (their eq. 2): `E(x) = -lse(β, X x) + ½ xᵀx + β⁻¹ log K + ½ M²`, with
//!   `lse(β, z) = β⁻¹ log Σ_μ exp(β z_μ)` and `M = max_μ ‖ξ_μ‖`; `E >= 0`.
//! * Update (their eq. 3): `x ← Xᵀ softmax(β X x)`, a concave-convex step that never increases
//!   `E`; for well-separated patterns one step lands next to the pattern (Theorem 4), and at
//!   small `β` the fixed point is a metastable average of many patterns.
//!
//! It is the [`Universal`] model with the dot similarity and softmax separation, plus the
//! constants that make the energy non-negative.

use ndarray::{Array1, Array2, ArrayView2};

use super::{RetrievalPath, Separation, Similarity, Universal};
use crate::dynamics::Dynamics;
use crate::error::{ensure_positive, Result};

/// A modern (continuous, softmax) Hopfield network.
#[derive(Clone, Debug)]
pub struct ModernHopfield {
    inner: Universal,
    beta: f32,
    /// `β⁻¹ log K + ½ M²`.
    offset: f64,
}

impl ModernHopfield {
    /// A network storing `patterns` (shape `(K, d)`) at inverse temperature `beta > 0`.
    pub fn new(patterns: Array2<f32>, beta: f32) -> Result<Self> {
        ensure_positive("beta", beta as f64)?;
        let inner = Universal::new(patterns, Similarity::Dot, Separation::Softmax { beta })?;
        let max_sq = inner
            .keys()
            .rows()
            .into_iter()
            .map(|r| r.iter().map(|&v| v as f64 * v as f64).sum::<f64>())
            .fold(0.0, f64::max);
        let offset = (inner.len() as f64).ln() / beta as f64 + 0.5 * max_sq;
        Ok(ModernHopfield {
            inner,
            beta,
            offset,
        })
    }

    /// The same network with retrieval path `path` (see [`RetrievalPath`]; default `Auto`,
    /// which streams small batches through the fused softmax kernel).
    pub fn with_path(mut self, path: RetrievalPath) -> Self {
        self.inner.set_path(path);
        self
    }

    /// Sets the retrieval path (see [`RetrievalPath`]).
    pub fn set_path(&mut self, path: RetrievalPath) {
        self.inner.set_path(path);
    }

    /// The retrieval path setting.
    pub fn path(&self) -> RetrievalPath {
        self.inner.path()
    }

    /// The inverse temperature.
    pub fn beta(&self) -> f32 {
        self.beta
    }

    /// The stored patterns, shape `(K, d)`.
    pub fn patterns(&self) -> ArrayView2<'_, f32> {
        self.inner.keys()
    }

    /// Attention weights `softmax(β X x)` of each query over the patterns, shape `(B, K)`.
    pub fn attention(&self, queries: ArrayView2<f32>) -> Result<Array2<f32>> {
        Ok(self.inner.weights(queries)?.0)
    }

    /// One update `Xᵀ softmax(β X x)` of each query (the retrieval of Ramsauer et al.).
    pub fn retrieve(&self, queries: ArrayView2<f32>) -> Result<Array2<f32>> {
        self.inner.retrieve(queries)
    }

    /// The equivalent universal-framework model (without the energy's constant offset).
    pub fn as_universal(&self) -> &Universal {
        &self.inner
    }
}

impl Dynamics for ModernHopfield {
    fn dim(&self) -> usize {
        self.inner.dim()
    }

    fn energies(&self, states: ArrayView2<f32>) -> Result<Array1<f64>> {
        Ok(self.inner.energies(states)? + self.offset)
    }

    fn step(&self, states: ArrayView2<f32>) -> Result<Array2<f32>> {
        self.inner.step(states)
    }

    fn step_with_energies(&self, states: ArrayView2<f32>) -> Result<(Array2<f32>, Array1<f64>)> {
        let (next, energies) = self.inner.step_with_energies(states)?;
        Ok((next, energies + self.offset))
    }
}
