//! The Hopfield network module: the energy transformer's replacement for the MLP.
//!
//! `M` memories `ξ_μ` (rows of `Ξ`, shape `(M, D)`) act on each token separately:
//!
//! ```text
//! ReLU:     E_HN = -½ Σ_C Σ_μ relu(ξ_μ . g_C)²              ∂E_HN/∂g_C = -Σ_μ relu(ξ_μ . g_C) ξ_μ
//! softmax:  E_HN = -(1/β) Σ_C log Σ_μ exp(β ξ_μ . g_C)      ∂E_HN/∂g_C = -Σ_μ softmax_μ(β Ξ g_C) ξ_μ
//! ```
//!
//! The ReLU form is the one Hoover et al. 2023 use; the softmax form is the modern Hopfield
//! energy of Ramsauer et al. 2020.

use candle_core::{DType, Tensor, Var};

use super::init::{check_dtype, normal_var, sum_per_sample, token_dims};
use crate::error::{ensure_positive, Error, Result};
use crate::numeric::Rng;
use crate::train::ops::{logsumexp_keepdim, softmax};

/// The form of the Hopfield module's energy.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum HopfieldKind {
    /// `-½ Σ relu(ξ . g)²` (the paper's choice).
    Relu,
    /// `-(1/β) Σ log Σ_μ exp(β ξ_μ . g)`.
    Softmax {
        /// Inverse temperature `β > 0`.
        beta: f64,
    },
}

impl HopfieldKind {
    /// A short name: `relu` or `softmax(beta=B)`.
    pub fn describe(&self) -> String {
        match self {
            HopfieldKind::Relu => "relu".into(),
            HopfieldKind::Softmax { beta } => format!("softmax(beta={beta})"),
        }
    }

    fn validate(&self) -> Result<()> {
        match self {
            HopfieldKind::Relu => Ok(()),
            HopfieldKind::Softmax { beta } => ensure_positive("hopfield beta", *beta),
        }
    }
}

/// The Hopfield module: memories `Ξ` of shape `(M, D)` and the energy's form.
#[derive(Debug, Clone)]
pub struct HopfieldModule {
    xi: Var,
    kind: HopfieldKind,
}

impl HopfieldModule {
    /// `memories` random memories of dimension `dim`, entries drawn from `N(0, 1/D)`.
    pub fn new(
        memories: usize,
        dim: usize,
        kind: HopfieldKind,
        rng: &mut Rng,
        dtype: DType,
    ) -> Result<Self> {
        if memories == 0 {
            return Err(Error::param("memories", "must be at least 1"));
        }
        if dim == 0 {
            return Err(Error::param("dim", "must be at least 1"));
        }
        kind.validate()?;
        check_dtype(dtype)?;
        let xi = normal_var(rng, &[memories, dim], 1.0 / (dim as f64).sqrt(), dtype)?;
        Ok(HopfieldModule { xi, kind })
    }

    /// Builds the module from given memories `(M, D)`.
    pub fn from_parameters(xi: Tensor, kind: HopfieldKind) -> Result<Self> {
        kind.validate()?;
        check_dtype(xi.dtype())?;
        if xi.rank() != 2 || xi.dims().contains(&0) {
            return Err(Error::shape(
                "xi",
                "(memories, dim)",
                format!("{:?}", xi.dims()),
            ));
        }
        Ok(HopfieldModule {
            xi: Var::from_tensor(&xi)?,
            kind,
        })
    }

    /// Number of memories `M`.
    pub fn memories(&self) -> usize {
        self.xi.as_tensor().dims()[0]
    }

    /// Token dimension `D`.
    pub fn dim(&self) -> usize {
        self.xi.as_tensor().dims()[1]
    }

    /// The energy's form.
    pub fn kind(&self) -> HopfieldKind {
        self.kind
    }

    /// The memories `Ξ`, `(M, D)`.
    pub fn xi(&self) -> &Var {
        &self.xi
    }

    /// `Ξ g_C` for every token: `(batch * tokens, M)`.
    fn hidden(&self, g: &Tensor) -> Result<Tensor> {
        let (batch, tokens, dim) = token_dims("g", g, self.dim(), self.xi.dtype())?;
        Ok(g.reshape((batch * tokens, dim))?
            .matmul(&self.xi.as_tensor().t()?)?)
    }

    /// `E_HN` of each sample: `g` of shape `(batch, tokens, D)` gives `(batch,)`.
    pub fn energy(&self, g: &Tensor) -> Result<Tensor> {
        let batch = g.dim(0)?;
        let hidden = self.hidden(g)?;
        let per_token = match self.kind {
            HopfieldKind::Relu => (hidden.relu()?.sqr()? * -0.5)?,
            HopfieldKind::Softmax { beta } => {
                (logsumexp_keepdim(&(hidden * beta)?, 1)? * (-1.0 / beta))?
            }
        };
        sum_per_sample(&per_token.reshape((batch, ()))?)
    }

    /// `∂E_HN/∂g` in closed form, same shape as `g`.
    pub fn energy_grad(&self, g: &Tensor) -> Result<Tensor> {
        let hidden = self.hidden(g)?;
        let weights = match self.kind {
            HopfieldKind::Relu => hidden.relu()?,
            HopfieldKind::Softmax { beta } => softmax(&(hidden * beta)?, 1)?,
        };
        Ok(weights
            .matmul(self.xi.as_tensor())?
            .neg()?
            .reshape(g.dims())?)
    }
}
