//! Experiments that return tables: measured capacities, paper reproductions, and the published
//! formulas they are compared with.
//!
//! * [`capacity`], [`krotov2016`], [`theory`]: storage capacity of the bipolar memories.
//! * [`sequence`]: sequence capacity of long sequence memories and the generalized
//!   pseudoinverse on correlated patterns (Chaudhry et al. 2023).
//! * [`cdam`]: the dynamical modes of CDAM, communities, sequences and automata (Burns 2024),
//!   on the graphs of [`graphs`].
//! * [`plot`]: PNG line charts and heat maps of the results.

pub mod capacity;
pub mod cdam;
pub mod graphs;
pub mod krotov2016;
pub mod plot;
pub mod sequence;
pub mod theory;
