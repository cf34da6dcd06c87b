//! The token neurons: a layer norm written as the gradient of a Lagrangian.
//!
//! For one token `x` of dimension `D` with mean `m` and variance `v = Σ (x_i - m)² / D`,
//!
//! ```text
//! L(x) = D γ sqrt(v + ε) + δ . x          g(x) = ∂L/∂x = γ (x - m) / sqrt(v + ε) + δ
//! ```
//!
//! (equivalently `L = γ sqrt(D) sqrt(Σ (x_i - m)² + D ε) + δ . x`). `γ` is one scalar, `δ` a
//! vector, as in Hoover et al. 2023. For `γ > 0`, `L` is convex, so its Hessian `∂g/∂x` is
//! positive semidefinite: the reason the energy descends along `dx/dt = -∂E/∂g`.

use candle_core::{DType, Tensor, Var};

use super::init::{check_dtype, constant_var, sum_per_sample};
use crate::error::{ensure_positive, Error, Result};

/// The energy layer norm: activation `g(x)` and its Lagrangian `L(x)`, acting on the last
/// dimension of a tensor.
#[derive(Debug, Clone)]
pub struct EnergyLayerNorm {
    gamma: Var,
    delta: Var,
    eps: f64,
}

impl EnergyLayerNorm {
    /// `γ = 1`, `δ = 0` over tokens of dimension `dim`, with `ε = eps` under the root.
    pub fn new(dim: usize, eps: f64, dtype: DType) -> Result<Self> {
        if dim == 0 {
            return Err(Error::param("dim", "must be at least 1"));
        }
        ensure_positive("eps", eps)?;
        check_dtype(dtype)?;
        Ok(EnergyLayerNorm {
            gamma: constant_var(&[1], 1.0, dtype)?,
            delta: constant_var(&[dim], 0.0, dtype)?,
            eps,
        })
    }

    /// Builds the layer norm from given parameters: `gamma` of shape `(1,)`, `delta` of shape
    /// `(dim,)`, both of one dtype.
    pub fn from_parameters(gamma: Tensor, delta: Tensor, eps: f64) -> Result<Self> {
        ensure_positive("eps", eps)?;
        check_dtype(gamma.dtype())?;
        if gamma.dims() != [1] {
            return Err(Error::shape("gamma", "(1,)", format!("{:?}", gamma.dims())));
        }
        if delta.rank() != 1 || delta.dim(0)? == 0 {
            return Err(Error::shape(
                "delta",
                "(dim,)",
                format!("{:?}", delta.dims()),
            ));
        }
        if delta.dtype() != gamma.dtype() {
            return Err(Error::param("delta", "dtype differs from gamma's"));
        }
        Ok(EnergyLayerNorm {
            gamma: Var::from_tensor(&gamma)?,
            delta: Var::from_tensor(&delta)?,
            eps,
        })
    }

    /// Token dimension `D`.
    pub fn dim(&self) -> usize {
        self.delta.as_tensor().dims()[0]
    }

    /// The ε under the square root.
    pub fn eps(&self) -> f64 {
        self.eps
    }

    /// The scale `γ`, shape `(1,)`.
    pub fn gamma(&self) -> &Var {
        &self.gamma
    }

    /// The bias `δ`, shape `(D,)`.
    pub fn delta(&self) -> &Var {
        &self.delta
    }

    /// Centred tokens and `sqrt(v + ε)` per token (kept as a size-1 last dimension).
    fn centred(&self, x: &Tensor) -> Result<(Tensor, Tensor)> {
        let last = x.rank() - 1;
        let centred = x.broadcast_sub(&x.mean_keepdim(last)?)?;
        let scale = (centred.sqr()?.mean_keepdim(last)? + self.eps)?.sqrt()?;
        Ok((centred, scale))
    }

    /// The activation `g = γ (x - mean) / sqrt(var + ε) + δ`, same shape as `x`.
    pub fn activation(&self, x: &Tensor) -> Result<Tensor> {
        let (centred, scale) = self.centred(x)?;
        Ok(centred
            .broadcast_div(&scale)?
            .broadcast_mul(self.gamma.as_tensor())?
            .broadcast_add(self.delta.as_tensor())?)
    }

    /// The Lagrangian summed over the tokens of each sample: `x` of shape `(batch, ...)` gives
    /// `(batch,)`. Its gradient with respect to `x` is [`activation`](Self::activation).
    pub fn lagrangian(&self, x: &Tensor) -> Result<Tensor> {
        let dim = x.dim(x.rank() - 1)? as f64;
        let (_, scale) = self.centred(x)?;
        let root = (scale.broadcast_mul(self.gamma.as_tensor())? * dim)?;
        let linear = x.broadcast_mul(self.delta.as_tensor())?;
        Ok((sum_per_sample(&root)? + sum_per_sample(&linear)?)?)
    }
}
