//! The models, one module per family. Each opens with its energy, its update and its paper.
//!
//! | model | states | energy |
//! | --- | --- | --- |
//! | [`Hopfield`] | bipolar `{-1,+1}^N` | `-½ sᵀ W s` |
//! | [`DenseAssociativeMemory`] | bipolar | `-Σ_μ F(ξ_μ · s)` |
//! | [`PackedDenseMemory`] | bipolar, bit-packed | as [`DenseAssociativeMemory`], same states |
//! | [`PackedHopfield`] | bipolar, bit-packed | as Hebbian [`Hopfield`], no weight matrix |
//! | [`ModernHopfield`] | real `R^d` | `-lse(β, X x)/β + ½ xᵀx + log K / β + ½ M²` |
//! | [`Universal`] | real | `½ xᵀx - Φ(β sim(K, x))/β` |
//! | [`MrDam`] | real | `-(1/β) ln Σ_μ exp(-β/2 ‖x - ξ_μ‖²)` (gradient descent) |
//! | [`DrDam`] | real | `-(1/β) ln φ(x)·T`, `T = Σ_μ φ(ξ_μ)` random features (gradient descent) |
//! | [`KernelizedHopfield`] | real | `½ K(x, x) - (1/β) ln Σ_μ exp(β K(ξ_μ, x))`, `K` on learned features |
//! | [`GaussianKde`] | real | `-ln p(x)`, `p` the Gaussian KDE of the patterns (mean shift) |
//!
//! All of them implement [`crate::dynamics::Dynamics`], so [`crate::dynamics::recall`] runs any
//! of them with batching, clamping and energy traces.
//!
//! Two families project a pattern's similarity onto *other* patterns and have their own runs
//! instead of the shared convergence loop:
//!
//! | model | states | update |
//! | --- | --- | --- |
//! | [`SequenceMemory`], [`VariableTiming`] | bipolar | `x_i ← sgn(Σ_μ ξ_i^{μ+1} f(m^μ))`: a cycle, no energy |
//! | [`Cdam`] | real `R^N` | `σ ← σ + η(Σ_μ w_μ (a ξ^μ + h Σ_ν M_μν ξ^ν) - σ)`, `w = softmax(β Ξ σ)` |

mod cdam;
mod dam;
mod drdam;
mod hopfield;
mod kde;
mod kernelized;
mod mhn;
mod packed;
mod rbf;
mod separation;
mod sequence;
mod universal;

pub use cdam::{Cdam, CdamParams};
pub use dam::{DamSeparation, DenseAssociativeMemory};
pub use drdam::{DrDam, MrDam, RandomFeatureKind, RandomFeatures, DEFAULT_KERNEL_FLOOR};
pub use hopfield::Hopfield;
pub use kde::GaussianKde;
pub use kernelized::{
    min_separation, separation_loss, train_separation, FeatureKernel, FeatureMap,
    KernelizedHopfield, SeparationTraining, TrainingReport,
};
pub use mhn::ModernHopfield;
pub use packed::{PackedDenseMemory, PackedHopfield};
pub use separation::Separation;
pub use sequence::{SequenceMemory, SequenceRule, TimingCoupling, VariableTiming};
pub use universal::{
    RetrievalPath, Similarity, Universal, FUSED_MAX_BATCH, FUSED_MIN_SCORE_BYTES, GEMM_QUERY_BLOCK,
};

use ndarray::ArrayView2;

use crate::error::{ensure_finite, Error, Result};

/// Checks that every entry of `values` is exactly +1 or -1.
pub fn ensure_bipolar(what: &str, values: ArrayView2<f32>) -> Result<()> {
    ensure_finite(what, values.iter())?;
    match values.iter().position(|&v| v != 1.0 && v != -1.0) {
        Some(i) => Err(Error::State(format!(
            "{what} must be bipolar (+1/-1); entry {i} is {}",
            values.iter().nth(i).copied().unwrap_or_default()
        ))),
        None => Ok(()),
    }
}

/// Sign with ties resolved toward `current`: the classical rule that a neuron with zero field
/// keeps its state.
#[inline]
pub(crate) fn sign_or_keep(field: f64, current: f32) -> f32 {
    if field > 0.0 {
        1.0
    } else if field < 0.0 {
        -1.0
    } else {
        current
    }
}
