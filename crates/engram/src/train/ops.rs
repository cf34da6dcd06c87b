//! Numerically stable softmax and log-sum-exp from candle-core operations, with exact gradients.
//!
//! The row maximum is subtracted before exponentiating, so large logits do not overflow. The
//! maximum is detached from the tape: the result does not depend on it, so its gradient is zero
//! and the gradient of the whole expression stays exact. (`candle_nn::ops::softmax_last_dim` has
//! no backward pass, so engram does not use it.)

use candle_core::{Result, Tensor};

/// `log Σ exp` over dimension `dim`, which is kept with size 1.
///
/// ```
/// use candle_core::{Device, Tensor};
/// let x = Tensor::new(&[[1000f64, 1000.0]], &Device::Cpu).unwrap();
/// let lse = engram::train::ops::logsumexp_keepdim(&x, 1).unwrap();
/// let v = lse.to_vec2::<f64>().unwrap()[0][0];
/// assert!((v - (1000.0 + 2f64.ln())).abs() < 1e-9);
/// ```
pub fn logsumexp_keepdim(logits: &Tensor, dim: usize) -> Result<Tensor> {
    let max = logits.max_keepdim(dim)?.detach();
    logits
        .broadcast_sub(&max)?
        .exp()?
        .sum_keepdim(dim)?
        .log()?
        .broadcast_add(&max)
}

/// Softmax over dimension `dim`.
pub fn softmax(logits: &Tensor, dim: usize) -> Result<Tensor> {
    let max = logits.max_keepdim(dim)?.detach();
    let e = logits.broadcast_sub(&max)?.exp()?;
    let total = e.sum_keepdim(dim)?;
    e.broadcast_div(&total)
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::{Device, Var};

    #[test]
    fn gradient_of_logsumexp_is_the_softmax() {
        let x = Var::new(&[[0.3f64, -1.2, 2.5], [40.0, 41.0, 39.0]], &Device::Cpu).unwrap();
        let grads = logsumexp_keepdim(x.as_tensor(), 1)
            .unwrap()
            .sum_all()
            .unwrap()
            .backward()
            .unwrap();
        let g = grads.get(x.as_tensor()).unwrap().to_vec2::<f64>().unwrap();
        let p = softmax(x.as_tensor(), 1).unwrap().to_vec2::<f64>().unwrap();
        for (gr, pr) in g.iter().zip(&p) {
            for (a, b) in gr.iter().zip(pr) {
                assert!((a - b).abs() < 1e-12, "{a} {b}");
            }
            assert!((pr.iter().sum::<f64>() - 1.0).abs() < 1e-12);
        }
    }
}
