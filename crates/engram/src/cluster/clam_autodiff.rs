//! The masked-completion loss of ClAM on candle tensors, differentiated by candle's autodiff:
//! the independent reference that the hand-written gradient of [`super::gradient`] is checked
//! against (tests), and a building block for models that put ClAM inside a larger network.
//!
//! The loss is the mean over the batch's B x d entries of `hidden * (x^T - target)^2`, exactly
//! as [`crate::cluster::completion_loss_gradient`] computes it.

use candle_core::{DType, Device, Tensor};
use ndarray::ArrayView2;

use crate::cluster::gradient::check_completion_problem;
use crate::error::Result;

/// One unrolled run of the dynamics on candle tensors: `steps` steps from `start` (B, d), moving
/// only where `free` (B, d) is 1. The softmax subtracts a detached row maximum, so large beta does
/// not overflow and the gradient is exact.
pub fn settle_tensor(
    prototypes: &Tensor,
    start: &Tensor,
    free: &Tensor,
    beta: f64,
    step_size: f64,
    steps: usize,
) -> candle_core::Result<Tensor> {
    let rho_t = prototypes.t()?.contiguous()?;
    let rho_sq = prototypes.sqr()?.sum_keepdim(1)?.t()?; // (1, k)
    let mut x = start.clone();
    for _ in 0..steps {
        let x_sq = x.sqr()?.sum_keepdim(1)?; // (B, 1)
        let cross = x.matmul(&rho_t)?; // (B, k)
        let dist = x_sq.broadcast_add(&rho_sq)?.sub(&(cross * 2.0)?)?;
        let logits = (dist * (-0.5 * beta))?;
        let p = crate::train::ops::softmax(&logits, 1)?;
        let pull = p.matmul(prototypes)?.sub(&x)?;
        x = (x + (pull * step_size)?.mul(free)?)?;
    }
    Ok(x)
}

/// The masked-completion loss 1/(B d) sum_ij hidden_ij (x^T_ij - target_ij)^2, where x^T is
/// [`settle_tensor`] from `start` moving only the hidden coordinates. All tensors share one
/// dtype (f64 for gradient checks); `prototypes` is (k, d), the others (B, d).
pub fn masked_completion_loss(
    prototypes: &Tensor,
    target: &Tensor,
    start: &Tensor,
    hidden: &Tensor,
    beta: f64,
    step_size: f64,
    steps: usize,
) -> candle_core::Result<Tensor> {
    let settled = settle_tensor(prototypes, start, hidden, beta, step_size, steps)?;
    let entries = target.elem_count() as f64;
    settled.sub(target)?.sqr()?.mul(hidden)?.sum_all()? / entries
}

/// The loss as a plain number for f64 arrays (prototypes (k, d); the others (B, d)): a helper
/// for gradient checks and for measuring a model on held-out masks.
///
/// Errors: those of [`crate::cluster::completion_loss_gradient`] for a bad problem,
/// [`crate::Error::Backend`] if candle fails.
pub fn masked_completion_loss_value(
    prototypes: ArrayView2<f64>,
    target: ArrayView2<f64>,
    start: ArrayView2<f64>,
    hidden: ArrayView2<f64>,
    beta: f64,
    step_size: f64,
    steps: usize,
) -> Result<f64> {
    let t = |a: ArrayView2<f64>| -> Result<Tensor> {
        Ok(Tensor::from_slice(
            a.as_standard_layout().as_slice().expect("standard layout"),
            a.dim(),
            &Device::Cpu,
        )?)
    };
    check_completion_problem(prototypes, target, start, hidden, beta, step_size)?;
    let loss = masked_completion_loss(
        &t(prototypes)?,
        &t(target)?,
        &t(start)?,
        &t(hidden)?,
        beta,
        step_size,
        steps,
    )?;
    Ok(loss.to_dtype(DType::F64)?.to_scalar::<f64>()?)
}
