//! Numerics: seeded randomness, stable log-sum-exp, special functions.

pub mod rng;
pub mod special;

pub use rng::Rng;
