//! One energy transformer block run as energy descent.
//!
//! The energy of tokens `x` (shape `(batch, N, D)`) is a function of their layer-norm
//! activations `g = g(x)`:
//!
//! ```text
//! E(g) = E_ATT(g) + E_HN(g)            x ← x - α ∂E/∂g      (T times)
//! ```
//!
//! In continuous time, `dE/dt = -(∂E/∂g)ᵀ (∂g/∂x) (∂E/∂g) <= 0` because `∂g/∂x` is the Hessian
//! of the convex layer-norm Lagrangian; a small enough step `α` keeps the descent in
//! discrete time.

use candle_core::{DType, Tensor};

use super::attention::EnergyAttention;
use super::hopfield::{HopfieldKind, HopfieldModule};
use super::init::{check_dtype, check_finite, token_dims};
use super::layer_norm::EnergyLayerNorm;
use crate::error::{ensure_positive, Error, Result};
use crate::numeric::Rng;

/// Sizes and dynamics of an energy transformer block.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EtConfig {
    /// Token dimension `D`.
    pub dim: usize,
    /// Attention heads `H`.
    pub heads: usize,
    /// Key/query dimension `Y` of each head.
    pub head_dim: usize,
    /// Memories `M` of the Hopfield module.
    pub memories: usize,
    /// Form of the Hopfield module's energy.
    pub hopfield: HopfieldKind,
    /// Inverse temperature of the attention; `None` for the paper's `1/sqrt(Y)`.
    pub attention_beta: Option<f64>,
    /// `ε` of the layer norm.
    pub eps: f64,
    /// Descent steps `T`.
    pub steps: usize,
    /// Step size `α`.
    pub step_size: f64,
}

impl Default for EtConfig {
    /// `D = 32`, 2 heads of `Y = 16`, 64 ReLU memories, `T = 12` steps of `α = 0.1` (the
    /// step count and size of the authors' reference code).
    fn default() -> Self {
        EtConfig {
            dim: 32,
            heads: 2,
            head_dim: 16,
            memories: 64,
            hopfield: HopfieldKind::Relu,
            attention_beta: None,
            eps: 1e-5,
            steps: 12,
            step_size: 0.1,
        }
    }
}

impl EtConfig {
    /// The attention's inverse temperature: the given one or `1/sqrt(Y)`.
    pub fn beta(&self) -> f64 {
        self.attention_beta
            .unwrap_or(1.0 / (self.head_dim.max(1) as f64).sqrt())
    }

    /// Checks every field.
    pub fn validate(&self) -> Result<()> {
        for (name, value) in [
            ("dim", self.dim),
            ("heads", self.heads),
            ("head_dim", self.head_dim),
            ("memories", self.memories),
        ] {
            if value == 0 {
                return Err(Error::param(name, "must be at least 1"));
            }
        }
        ensure_positive("attention beta", self.beta())?;
        ensure_positive("eps", self.eps)?;
        ensure_positive("step_size", self.step_size)?;
        if let HopfieldKind::Softmax { beta } = self.hopfield {
            ensure_positive("hopfield beta", beta)?;
        }
        Ok(())
    }
}

/// The result of running the descent: the final tokens and the energy before and after
/// every step.
#[derive(Debug, Clone)]
pub struct Descent {
    /// Tokens after the last step, `(batch, N, D)`.
    pub state: Tensor,
    /// `energies[s][b]`: energy of sample `b` after `s` steps (`s = 0..=T`).
    pub energies: Vec<Vec<f64>>,
}

/// The energy transformer block: layer norm, energy attention and Hopfield module, with the
/// descent dynamics.
///
/// ```
/// use candle_core::{DType, Device, Tensor};
/// use engram::energy_transformer::{EnergyTransformer, EtConfig};
///
/// let et = EnergyTransformer::new(EtConfig::default(), 7, DType::F32).unwrap();
/// let x = Tensor::randn(0f32, 1.0, (2, 16, 32), &Device::Cpu).unwrap();  // 2 samples, 16 tokens
/// let out = et.descend(&x, 12).unwrap();
/// assert_eq!(out.energies.len(), 13);
/// for b in 0..2 {
///     assert!(out.energies[12][b] < out.energies[0][b]);
/// }
/// ```
#[derive(Debug, Clone)]
pub struct EnergyTransformer {
    config: EtConfig,
    norm: EnergyLayerNorm,
    attention: EnergyAttention,
    hopfield: HopfieldModule,
}

impl EnergyTransformer {
    /// A block with seeded random parameters (`γ = 1`, `δ = 0`; projections and memories
    /// drawn from `N(0, 1/D)`), computing in `dtype` (f32 or f64).
    pub fn new(config: EtConfig, seed: u64, dtype: DType) -> Result<Self> {
        config.validate()?;
        check_dtype(dtype)?;
        let mut rng = Rng::new(seed);
        let norm = EnergyLayerNorm::new(config.dim, config.eps, dtype)?;
        let attention = EnergyAttention::new(
            config.heads,
            config.head_dim,
            config.dim,
            config.beta(),
            &mut rng,
            dtype,
        )?;
        let hopfield = HopfieldModule::new(
            config.memories,
            config.dim,
            config.hopfield,
            &mut rng,
            dtype,
        )?;
        Ok(EnergyTransformer {
            config,
            norm,
            attention,
            hopfield,
        })
    }

    /// Assembles a block from its parts, which must agree with `config`.
    pub fn from_parts(
        config: EtConfig,
        norm: EnergyLayerNorm,
        attention: EnergyAttention,
        hopfield: HopfieldModule,
    ) -> Result<Self> {
        config.validate()?;
        let checks = [
            ("layer norm dim", norm.dim(), config.dim),
            ("attention dim", attention.dim(), config.dim),
            ("attention heads", attention.heads(), config.heads),
            ("attention head_dim", attention.head_dim(), config.head_dim),
            ("hopfield dim", hopfield.dim(), config.dim),
            ("hopfield memories", hopfield.memories(), config.memories),
        ];
        for (what, got, expected) in checks {
            if got != expected {
                return Err(Error::shape(what, expected, got));
            }
        }
        if hopfield.kind() != config.hopfield {
            return Err(Error::param("hopfield", "kind differs from the config's"));
        }
        let dtype = norm.delta().dtype();
        if attention.w_k().dtype() != dtype || hopfield.xi().dtype() != dtype {
            return Err(Error::param("dtype", "the parts use different dtypes"));
        }
        Ok(EnergyTransformer {
            config,
            norm,
            attention,
            hopfield,
        })
    }

    /// The configuration.
    pub fn config(&self) -> &EtConfig {
        &self.config
    }

    /// The dtype the block computes in.
    pub fn dtype(&self) -> DType {
        self.norm.delta().dtype()
    }

    /// The layer norm.
    pub fn norm(&self) -> &EnergyLayerNorm {
        &self.norm
    }

    /// The energy attention.
    pub fn attention(&self) -> &EnergyAttention {
        &self.attention
    }

    /// The Hopfield module.
    pub fn hopfield(&self) -> &HopfieldModule {
        &self.hopfield
    }

    /// Every trainable variable: `γ`, `δ`, `W_K`, `W_Q`, `Ξ`.
    pub fn vars(&self) -> Vec<candle_core::Var> {
        vec![
            self.norm.gamma().clone(),
            self.norm.delta().clone(),
            self.attention.w_k().clone(),
            self.attention.w_q().clone(),
            self.hopfield.xi().clone(),
        ]
    }

    /// `E(g) = E_ATT(g) + E_HN(g)` per sample: `g` `(batch, N, D)` gives `(batch,)`.
    pub fn energy(&self, g: &Tensor) -> Result<Tensor> {
        Ok((self.attention.energy(g)? + self.hopfield.energy(g)?)?)
    }

    /// `∂E/∂g` in closed form, same shape as `g`.
    pub fn energy_grad(&self, g: &Tensor) -> Result<Tensor> {
        Ok((self.attention.energy_grad(g)? + self.hopfield.energy_grad(g)?)?)
    }

    /// The energy of tokens `x` (through their activations `g(x)`), per sample.
    pub fn energy_of_state(&self, x: &Tensor) -> Result<Tensor> {
        self.energy(&self.norm.activation(x)?)
    }

    /// One step `x - α ∂E/∂g(x)`, differentiable with respect to `x` and every parameter.
    pub fn step(&self, x: &Tensor) -> Result<Tensor> {
        let g = self.norm.activation(x)?;
        Ok((x - (self.energy_grad(&g)? * self.config.step_size)?)?)
    }

    /// `steps` steps from `x` (no energies computed): the differentiable path training uses.
    pub fn run(&self, x: &Tensor, steps: usize) -> Result<Tensor> {
        token_dims("x", x, self.config.dim, self.dtype())?;
        let mut x = x.clone();
        for _ in 0..steps {
            x = self.step(&x)?;
        }
        Ok(x)
    }

    /// Runs `steps` descent steps from `x` `(batch, N >= 2, D)` and records the energy of
    /// every sample before the first step and after each.
    ///
    /// Errors: a wrong shape or dtype, non-finite tokens.
    pub fn descend(&self, x: &Tensor, steps: usize) -> Result<Descent> {
        token_dims("x", x, self.config.dim, self.dtype())?;
        check_finite("x", x)?;
        let mut x = x.detach();
        let mut energies = vec![energy_values(&self.energy_of_state(&x)?)?];
        for _ in 0..steps {
            x = self.step(&x)?.detach();
            energies.push(energy_values(&self.energy_of_state(&x)?)?);
        }
        Ok(Descent { state: x, energies })
    }
}

/// A `(batch,)` energy tensor as f64 values.
fn energy_values(e: &Tensor) -> Result<Vec<f64>> {
    Ok(e.to_dtype(DType::F64)?.to_vec1::<f64>()?)
}
