//! Experiments that return tables: measured capacities, paper reproductions, and the published
//! formulas they are compared with.
//!
//! * [`capacity`], [`krotov2016`], [`theory`]: storage capacity of the bipolar memories.
//! * [`sequence`]: sequence capacity of long sequence memories and the generalized
//!   pseudoinverse on correlated patterns (Chaudhry et al. 2023).
//! * [`cdam`]: the dynamical modes of CDAM, communities, sequences and automata (Burns 2024),
//!   on the graphs of [`graphs`].
//! * [`drdam`]: random-feature dense memory against the exact one as the features grow
//!   (Hoover et al. 2024).
//! * [`kde`]: the Gaussian kernel density estimate as an associative memory: capacity against
//!   the exponential-capacity analysis, Langevin sampling (Schaeffer et al. 2024).
//! * [`uhop`]: retrieval with a learned, separating feature map and the spherical codes it
//!   reaches (Wu et al. 2024; Hu, Wu & Liu 2024).
//! * [`hierarchical`]: masked-digit completion by a two- and a three-layer memory built in
//!   the Lagrangian framework of [`crate::layers`] (Krotov 2021).
//! * `implicit` (feature `autodiff`): implicit differentiation at the fixed point against
//!   backpropagation through long and short unrolls, on masked digit completion.
//! * [`plot`]: PNG line charts and heat maps of the results.

pub mod capacity;
pub mod cdam;
pub mod drdam;
pub mod graphs;
pub mod hierarchical;
#[cfg(feature = "autodiff")]
pub mod implicit;
pub mod kde;
pub mod krotov2016;
pub mod plot;
pub mod sequence;
pub mod theory;
pub mod uhop;
