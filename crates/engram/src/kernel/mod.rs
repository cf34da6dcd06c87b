//! Fast paths on slices: matrix products and the separation functions applied to score rows.

pub mod matmul;
pub mod separation;
