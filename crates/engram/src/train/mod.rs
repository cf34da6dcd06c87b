//! Training through the dynamics: seeded minibatches, Adam, and safetensors checkpoints.
//!
//! [`Minibatches`] is plain Rust. [`Adam`] and [`checkpoint`] work on candle tensors and need the
//! `autodiff` feature, which also brings reverse-mode gradients through unrolled dynamics, and
//! [`implicit`] differentiation at a converged state.

#[cfg(feature = "autodiff")]
mod adam;
mod batches;
#[cfg(feature = "autodiff")]
pub mod checkpoint;
#[cfg(feature = "autodiff")]
pub mod implicit;
#[cfg(feature = "autodiff")]
pub mod ops;

#[cfg(feature = "autodiff")]
pub use adam::{Adam, AdamConfig};
pub use batches::Minibatches;
