//! Multi-head energy attention.
//!
//! Each head `h` projects the activations `g_B` of the tokens to keys `K_hB = W_K,h g_B` and
//! queries `Q_hC = W_Q,h g_C` (both of dimension `Y`). With `A_hBC = K_hB . Q_hC`,
//!
//! ```text
//! E_ATT = -(1/β) Σ_h Σ_C log Σ_{B ≠ C} exp(β A_hBC)
//! ```
//!
//! Let `ω_hBC` be the softmax of `β A_hBC` over the keys `B ≠ C` (zero at `B = C`). Then
//! `∂E_ATT/∂A_hBC = -ω_hBC` and
//!
//! ```text
//! ∂E_ATT/∂g_A = -Σ_h [ W_K,hᵀ Σ_C ω_hAC Q_hC  +  W_Q,hᵀ Σ_B ω_hBA K_hB ]
//! ```
//!
//! the two terms of Hoover et al. 2023's attention update (the second is the familiar
//! attention with values `W_Q,hᵀ K_hB`; the first has no counterpart in a standard
//! transformer). [`EnergyAttention::energy_grad`] computes it in this closed form.

use candle_core::{DType, Device, Tensor, Var};

use super::init::{check_dtype, normal_var, sum_per_sample};
use crate::error::{ensure_positive, Error, Result};
use crate::numeric::Rng;
use crate::train::ops::{logsumexp_keepdim, softmax};

/// Energy attention: key and query projections `W_K`, `W_Q` of shape `(heads, Y, D)` and the
/// inverse temperature `β` (the paper takes `β = 1/sqrt(Y)`).
#[derive(Debug, Clone)]
pub struct EnergyAttention {
    w_k: Var,
    w_q: Var,
    beta: f64,
}

/// Keys and queries of every head, `(batch, heads, tokens, Y)` each.
struct Projections {
    keys: Tensor,
    queries: Tensor,
}

impl EnergyAttention {
    /// Random projections with entries drawn from `N(0, 1/D)` (seeded by `rng`).
    pub fn new(
        heads: usize,
        head_dim: usize,
        dim: usize,
        beta: f64,
        rng: &mut Rng,
        dtype: DType,
    ) -> Result<Self> {
        for (name, value) in [("heads", heads), ("head_dim", head_dim), ("dim", dim)] {
            if value == 0 {
                return Err(Error::param(name, "must be at least 1"));
            }
        }
        ensure_positive("beta", beta)?;
        check_dtype(dtype)?;
        let std = 1.0 / (dim as f64).sqrt();
        let w_k = normal_var(rng, &[heads, head_dim, dim], std, dtype)?;
        let w_q = normal_var(rng, &[heads, head_dim, dim], std, dtype)?;
        Ok(EnergyAttention { w_k, w_q, beta })
    }

    /// Builds the attention from given projections `(heads, Y, D)` of one shape and dtype.
    pub fn from_parameters(w_k: Tensor, w_q: Tensor, beta: f64) -> Result<Self> {
        ensure_positive("beta", beta)?;
        check_dtype(w_k.dtype())?;
        if w_k.rank() != 3 || w_k.dims().contains(&0) {
            return Err(Error::shape(
                "w_k",
                "(heads, head_dim, dim)",
                format!("{:?}", w_k.dims()),
            ));
        }
        if w_q.dims() != w_k.dims() || w_q.dtype() != w_k.dtype() {
            return Err(Error::shape(
                "w_q",
                format!("{:?} like w_k", w_k.dims()),
                format!("{:?}", w_q.dims()),
            ));
        }
        Ok(EnergyAttention {
            w_k: Var::from_tensor(&w_k)?,
            w_q: Var::from_tensor(&w_q)?,
            beta,
        })
    }

    /// Number of heads.
    pub fn heads(&self) -> usize {
        self.w_k.as_tensor().dims()[0]
    }

    /// Key and query dimension `Y`.
    pub fn head_dim(&self) -> usize {
        self.w_k.as_tensor().dims()[1]
    }

    /// Token dimension `D`.
    pub fn dim(&self) -> usize {
        self.w_k.as_tensor().dims()[2]
    }

    /// The inverse temperature `β`.
    pub fn beta(&self) -> f64 {
        self.beta
    }

    /// The key projections `W_K`, `(heads, Y, D)`.
    pub fn w_k(&self) -> &Var {
        &self.w_k
    }

    /// The query projections `W_Q`, `(heads, Y, D)`.
    pub fn w_q(&self) -> &Var {
        &self.w_q
    }

    /// `(heads * Y, D)` view of a projection.
    fn flat(&self, w: &Var) -> Result<Tensor> {
        Ok(w.as_tensor()
            .reshape((self.heads() * self.head_dim(), self.dim()))?)
    }

    /// `g (batch, tokens, D)` projected by `w` to `(batch, heads, tokens, Y)`.
    fn project(&self, g: &Tensor, w: &Var) -> Result<Tensor> {
        let (batch, tokens, dim) = g.dims3()?;
        let (heads, y) = (self.heads(), self.head_dim());
        Ok(g.reshape((batch * tokens, dim))?
            .matmul(&self.flat(w)?.t()?)?
            .reshape((batch, tokens, heads, y))?
            .transpose(1, 2)?
            .contiguous()?)
    }

    fn projections(&self, g: &Tensor) -> Result<Projections> {
        Ok(Projections {
            keys: self.project(g, &self.w_k)?,
            queries: self.project(g, &self.w_q)?,
        })
    }

    /// `β A_hBC` with `-inf` on the diagonal `B = C`: `(batch, heads, tokens (B), tokens (C))`.
    fn logits(&self, p: &Projections) -> Result<Tensor> {
        let tokens = p.keys.dim(2)?;
        if tokens < 2 {
            return Err(Error::param(
                "tokens",
                "energy attention needs at least 2 tokens (each token attends to the others)",
            ));
        }
        let scores = p.keys.matmul(&p.queries.transpose(2, 3)?.contiguous()?)?;
        let mut mask = vec![0f64; tokens * tokens];
        for i in 0..tokens {
            mask[i * tokens + i] = f64::NEG_INFINITY;
        }
        let mask =
            Tensor::from_vec(mask, (tokens, tokens), &Device::Cpu)?.to_dtype(scores.dtype())?;
        Ok((scores * self.beta)?.broadcast_add(&mask)?)
    }

    /// `E_ATT` of each sample: `g` of shape `(batch, tokens, D)` gives `(batch,)`.
    ///
    /// Errors: a `g` that is not `(batch, tokens >= 2, D)`.
    pub fn energy(&self, g: &Tensor) -> Result<Tensor> {
        super::init::token_dims("g", g, self.dim(), self.w_k.dtype())?;
        let logits = self.logits(&self.projections(g)?)?;
        // log Σ over the keys B (dimension 2) for each query C.
        let lse = logsumexp_keepdim(&logits, 2)?;
        Ok((sum_per_sample(&lse)? * (-1.0 / self.beta))?)
    }

    /// `∂E_ATT/∂g` in closed form (see the module docs), same shape as `g`.
    ///
    /// Built from differentiable tensor ops, so a loss computed after steps that use it can be
    /// backpropagated to `W_K` and `W_Q`.
    pub fn energy_grad(&self, g: &Tensor) -> Result<Tensor> {
        let (batch, tokens, dim) = super::init::token_dims("g", g, self.dim(), self.w_k.dtype())?;
        let p = self.projections(g)?;
        // ω_hBC: softmax over the keys B for each query C.
        let omega = softmax(&self.logits(&p)?, 2)?;
        // Σ_C ω_hAC Q_hC (for the keys) and Σ_B ω_hBA K_hB (for the queries).
        let by_key = omega.matmul(&p.queries)?;
        let by_query = omega.transpose(2, 3)?.contiguous()?.matmul(&p.keys)?;
        let heads_y = self.heads() * self.head_dim();
        let back = |t: Tensor, w: &Var| -> Result<Tensor> {
            Ok(t.transpose(1, 2)?
                .contiguous()?
                .reshape((batch * tokens, heads_y))?
                .matmul(&self.flat(w)?)?)
        };
        let grad = (back(by_key, &self.w_k)? + back(by_query, &self.w_q)?)?;
        Ok(grad.neg()?.reshape((batch, tokens, dim))?)
    }
}
