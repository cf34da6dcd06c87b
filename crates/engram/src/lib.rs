//! # engram: energy-based associative memories
//!
//! Store patterns, recall them from partial or noisy cues, and inspect the energy that the recall
//! dynamics descend. Every model is one instance of the same loop:
//!
//! ```text
//! state x -> similarity to each stored pattern -> separation (sharpen) -> projection back -> new x
//! ```
//!
//! * [`model::Hopfield`]: classical Hopfield network with Hebbian, Storkey or pseudoinverse weights.
//! * [`model::DenseAssociativeMemory`]: Krotov-Hopfield polynomial, rectified polynomial and
//!   Demircigil exponential dense associative memories on bipolar states.
//! * [`model::ModernHopfield`]: the continuous softmax memory of Ramsauer et al. 2020.
//! * [`model::Universal`]: Millidge et al.'s universal framework: any similarity x separation,
//!   including sparsemax and entmax, with optional separate values (hetero-association).
//! * [`model::PackedDenseMemory`], [`model::PackedHopfield`]: the bipolar models on bit-packed
//!   patterns (XOR + popcount), 32x smaller and exactly equal to the plain engines.
//! * [`model::SequenceMemory`], [`model::VariableTiming`]: long sequence memory (Chaudhry et al.
//!   2023), projecting each pattern onto the next.
//! * [`model::Cdam`]: correlated dense associative memory on a graph (Burns 2024).
//! * [`model::DrDam`], [`model::MrDam`]: random-feature dense memory (Hoover et al. 2024) and the
//!   exact memory it approximates.
//! * [`model::KernelizedHopfield`]: U-Hop / U-Hop+ learned feature maps (Wu et al. 2024; Hu,
//!   Wu & Liu 2024).
//! * [`model::GaussianKde`]: the modern Hopfield energy as a Gaussian kernel density (Schaeffer
//!   et al. 2024), with Langevin sampling.
//! * [`layers`]: the Lagrangian framework (Krotov & Hopfield 2021; Krotov 2021): layers with
//!   Lagrangians, dense / convolutional / attention / Hopfield synapses, hierarchical networks
//!   run as energy descent.
//! * `energy_transformer` (feature `autodiff`): the Energy Transformer (Hoover et al. 2023),
//!   trained through its dynamics.
//! * [`cluster`]: ClAM, clustering with an associative memory (Saha et al. 2023), beside k-means.
//! * [`train`]: Adam, seeded minibatches, safetensors checkpoints and implicit differentiation
//!   (feature `autodiff`, candle's reverse mode).
//!
//! Recall runs through one shared loop, [`dynamics::recall`], with batched queries, clamped
//! (observed) coordinates, per-query convergence and an energy trace.
//!
//! ```
//! use engram::model::{ModernHopfield};
//! use engram::dynamics::{recall, RecallOptions};
//! use engram::pattern::random_sphere;
//!
//! let memory = random_sphere(100, 64, 1);            // 100 unit-norm patterns of dimension 64
//! let net = ModernHopfield::new(memory.clone(), 20.0).unwrap();
//! let cue = memory.slice(ndarray::s![0..4, ..]).to_owned();
//! let out = recall(&net, cue.view(), None, &RecallOptions::default()).unwrap();
//! assert_eq!(out.states.dim(), (4, 64));
//! ```
#![warn(missing_docs)]

pub mod cluster;
pub mod dynamics;
#[cfg(feature = "autodiff")]
pub mod energy_transformer;
pub mod error;
pub mod experiment;
pub mod kernel;
pub mod layers;
pub mod learn;
pub mod model;
pub mod numeric;
pub mod pattern;
pub mod train;

pub use error::{Error, Result};

/// The README's Rust examples, compiled and run by `cargo test --doc`.
#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
pub struct ReadmeDoctests;

/// Sets the number of threads of engram's (rayon's global) thread pool.
///
/// Call it once, before any computation; later calls return an error because the pool is
/// already built. Without a call, rayon uses one thread per core (or `RAYON_NUM_THREADS`).
pub fn set_threads(threads: usize) -> Result<()> {
    if threads == 0 {
        return Err(Error::param("threads", "must be at least 1"));
    }
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build_global()
        .map_err(|e| Error::Unsupported(format!("thread pool already started: {e}")))
}

/// The number of threads engram's computations use.
pub fn threads() -> usize {
    rayon::current_num_threads()
}
