//! Fast paths on slices: matrix products, SIMD vector kernels and the separation functions
//! applied to score rows.
//!
//! * [`matmul`]: dense products `a·b` and `a·bᵀ` on ndarray views through the `gemm` crate,
//!   parallel on engram's thread pool for large problems.
//! * [`simd`]: `dot`, `max`, `exp_shift_sum` (in-place shifted exponential with an `f64` sum),
//!   `scale` and `axpy` on `f32` slices, with AVX2+FMA code chosen at run time and a portable
//!   scalar fallback.
//! * [`fused`]: streaming retrieval `Vᵀ sep(β K q)` for small query batches in one pass over
//!   the patterns (online softmax with exact merging of per-thread partial results), for the
//!   softmax and power separations of the dot-product similarity.
//! * [`bitpack`]: bit-packed ±1 matrices (`PackedBits`): XOR + popcount overlaps (AVX-512
//!   `vpopcntq`, AVX2 nibble lookup, `popcnt` or portable, chosen at run time) and the signed
//!   projection `Σ_μ w_μ ξ_μ` through subset-sum tables.
//! * [`int_projection`]: the same signed projection with quantised 16-bit integer weights,
//!   exact in integers, with AVX-512 VNNI (`vpdpbusd`) where available.
//! * [`separation`]: softmax, sparsemax, alpha-entmax, top-k, rectified power and identity,
//!   each writing weights for one score row and returning its convex potential `Phi`.

pub mod bitpack;
pub mod fused;
pub mod int_projection;
pub mod matmul;
pub mod separation;
pub mod simd;

/// The vector instruction set the [`simd`] kernels run with: `"avx2+fma"` or `"scalar"`.
pub fn simd_level() -> &'static str {
    simd::level().name()
}
