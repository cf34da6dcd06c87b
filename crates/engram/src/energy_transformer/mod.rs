//! The Energy Transformer (Hoover, Liang, Pham, Panda, Strobelt, Chau, Zaki & Krotov, NeurIPS
//! 2023): a transformer block whose update is gradient descent on one energy.
//!
//! Tokens `x_A` (rows of a `(N, D)` state, batched as `(batch, N, D)`) pass through a layer
//! norm written as the gradient of a Lagrangian ([`EnergyLayerNorm`]), giving activations
//! `g_A`. The energy is the sum of a multi-head energy attention ([`EnergyAttention`]) and a
//! Hopfield network module ([`HopfieldModule`]):
//!
//! ```text
//! E = -(1/β) Σ_h Σ_C log Σ_{B≠C} exp(β K_hB . Q_hC)  -  ½ Σ_C Σ_μ relu(ξ_μ . g_C)²
//! ```
//!
//! and one shared block ([`EnergyTransformer`]) runs `T` steps `x ← x - α ∂E/∂g`, with `∂E/∂g`
//! in closed form as candle ops, so a loss on the final state can be backpropagated through
//! the unrolled steps. [`ImageEt`] wraps the block for masked image completion (patch encoder,
//! position embeddings, mask token, decoder); [`train`] fits it with Adam on minibatches;
//! [`digits`] runs the masked-digit experiment with its baselines.
//!
//! Needs the `autodiff` feature. See `docs/energy-transformer.md`.

mod attention;
mod baselines;
mod block;
pub mod digits;
mod hopfield;
mod image;
mod init;
mod layer_norm;
mod patches;
mod training;

pub use attention::EnergyAttention;
pub use block::{Descent, EnergyTransformer, EtConfig};
pub use hopfield::{HopfieldKind, HopfieldModule};
pub use image::{Completion, ImageEt, ImageEtConfig};
pub use layer_norm::EnergyLayerNorm;
pub use patches::PatchGrid;
pub use training::{random_masks, train, TrainOptions, TrainProgress, TrainSummary};
