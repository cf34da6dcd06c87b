//! Explicit SIMD kernels on `f32` slices, chosen at run time.
//!
//! Every public function here checks once (the answer is cached for the life of the process)
//! whether the CPU offers AVX2 and FMA. If it does, an `std::arch::x86_64` implementation
//! processing eight lanes per instruction runs; otherwise (other x86 CPUs, other architectures)
//! a portable scalar version in [`scalar`] does the same work. The check also notes AVX-512F,
//! which the fused retrieval's micro-kernels use (`kernel::fused`). Setting the environment
//! variable `ENGRAM_SIMD=scalar` before the first call forces the portable path, and
//! `ENGRAM_SIMD=avx2` caps the choice at AVX2, which is handy when comparing results or timings.
//!
//! The exponential used by [`exp_shift_sum`] is a polynomial one (range reduction
//! `x = n ln 2 + r`, a degree-5 minimax polynomial for `(e^r - 1 - r) / r^2`, and `2^n` built
//! directly in the exponent bits). Its relative error against `f64::exp` stays below 3e-7 on the
//! normal range of `f32`; inputs below [`EXP_UNDERFLOW`] (whose exponential would be subnormal)
//! give exactly 0, never garbage, and `exp(0)` is exactly 1. Both implementations share the same
//! constants, so they agree to within a couple of ulps.

use std::sync::OnceLock;

/// Inputs of the vectorized exponential below this value return exactly 0.
///
/// It is `ln(f32::MIN_POSITIVE)`, about -87.3365: anything smaller would have a subnormal result,
/// which is slow to compute with and irrelevant for normalized weights.
pub const EXP_UNDERFLOW: f32 = -87.336_54;

/// Inputs are clamped to this before range reduction; the true result already overflows there,
/// and the clamp keeps the exponent arithmetic in range, so large inputs give `+inf`.
const EXP_CLAMP_HIGH: f32 = 89.0;
const LOG2_E: f32 = std::f32::consts::LOG2_E;
/// `ln 2` split in two: the high part has few significant bits so that `n * LN2_HIGH` is exact.
const LN2_HIGH: f32 = 0.693_359_4;
const LN2_LOW: f32 = -2.121_944_4e-4;
/// Minimax coefficients of `(e^r - 1 - r) / r^2` on `[-ln2/2, ln2/2]`, highest degree first.
const EXP_POLY: [f32; 6] = [
    1.987_569_1e-4,
    1.398_199_9e-3,
    8.333_452e-3,
    4.166_579_6e-2,
    1.666_666_5e-1,
    0.5,
];

/// Which implementation the dispatching functions of this module use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Level {
    /// The portable implementation in [`scalar`].
    Scalar,
    /// The x86-64 implementation with 256-bit AVX2 registers and fused multiply-add.
    Avx2Fma,
    /// AVX2+FMA plus AVX-512F: the fused retrieval's micro-kernels use 512-bit registers, the
    /// kernels of this module their AVX2 versions.
    Avx512,
}

impl Level {
    /// A short name for reports: `"scalar"`, `"avx2+fma"` or `"avx512"`.
    pub fn name(self) -> &'static str {
        match self {
            Level::Scalar => "scalar",
            Level::Avx2Fma => "avx2+fma",
            Level::Avx512 => "avx512",
        }
    }

    /// Whether the AVX2+FMA kernels may run (true for [`Level::Avx2Fma`] and [`Level::Avx512`]).
    pub fn has_avx2(self) -> bool {
        matches!(self, Level::Avx2Fma | Level::Avx512)
    }
}

/// The implementation in use, detected on the first call and cached.
pub fn level() -> Level {
    static LEVEL: OnceLock<Level> = OnceLock::new();
    *LEVEL.get_or_init(detect)
}

fn detect() -> Level {
    let requested = std::env::var("ENGRAM_SIMD").unwrap_or_default();
    if requested == "scalar" {
        return Level::Scalar;
    }
    #[cfg(target_arch = "x86_64")]
    {
        if is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma") {
            if requested != "avx2" && is_x86_feature_detected!("avx512f") {
                return Level::Avx512;
            }
            return Level::Avx2Fma;
        }
    }
    Level::Scalar
}

/// Runs the AVX2 version of a kernel when [`level`] allows it, the scalar one otherwise.
macro_rules! dispatch {
    ($name:ident($($arg:expr),*)) => {{
        #[cfg(target_arch = "x86_64")]
        {
            if level().has_avx2() {
                // SAFETY: `level()` reports `Avx2Fma` or `Avx512` only after run-time detection
                // found both AVX2 and FMA on this CPU, which is all the `avx2` functions require.
                return unsafe { avx2::$name($($arg),*) };
            }
        }
        scalar::$name($($arg),*)
    }};
}

/// The dot product `sum a[i] * b[i]`.
///
/// # Panics
/// Panics if the slices have different lengths.
pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len(), "dot: slices of different lengths");
    dispatch!(dot(a, b))
}

/// The largest element; `-inf` for an empty slice. NaN entries are skipped (as by `f32::max`).
pub fn max(x: &[f32]) -> f32 {
    dispatch!(max(x))
}

/// Replaces every `x[i]` by `exp(x[i] - shift)` and returns the sum of the new values,
/// accumulated in `f64`.
///
/// Differences below [`EXP_UNDERFLOW`] give 0; a NaN stays NaN and overflow gives `+inf`.
pub fn exp_shift_sum(x: &mut [f32], shift: f32) -> f64 {
    dispatch!(exp_shift_sum(x, shift))
}

/// Multiplies every element by `a`.
pub fn scale(x: &mut [f32], a: f32) {
    dispatch!(scale(x, a))
}

/// `y[i] += a * x[i]` for every `i`.
///
/// # Panics
/// Panics if the slices have different lengths.
pub fn axpy(y: &mut [f32], a: f32, x: &[f32]) {
    assert_eq!(y.len(), x.len(), "axpy: slices of different lengths");
    dispatch!(axpy(y, a, x))
}

/// Portable implementations of the kernels, used where AVX2+FMA is missing.
///
/// They are public so that results and timings can be compared with the dispatching functions;
/// the reductions keep several partial sums so that the compiler can vectorize them for the
/// baseline instruction set.
pub mod scalar {
    use super::{EXP_CLAMP_HIGH, EXP_POLY, EXP_UNDERFLOW, LN2_HIGH, LN2_LOW, LOG2_E};

    /// Adding and subtracting `1.5 * 2^23` rounds an `f32` of magnitude below `2^22` to the
    /// nearest integer, which then sits in the low mantissa bits.
    const ROUND_MAGIC: f32 = 12_582_912.0;

    /// The polynomial exponential of this module for one value (see the module documentation).
    pub fn exp(x: f32) -> f32 {
        // clamp keeps NaN, which then flows through to a NaN result.
        let clamped = x.clamp(EXP_UNDERFLOW, EXP_CLAMP_HIGH);
        let t = clamped * LOG2_E + ROUND_MAGIC;
        let n = t - ROUND_MAGIC;
        let n_int = (t.to_bits() as i32).wrapping_sub(ROUND_MAGIC.to_bits() as i32);
        let r = (clamped - n * LN2_HIGH) - n * LN2_LOW;
        let mut p = EXP_POLY[0];
        for &c in &EXP_POLY[1..] {
            p = p * r + c;
        }
        let y = (p * (r * r) + r) + 1.0;
        // 2^n as two factors so that n = 128 (an overflowing result) stays representable.
        let half = n_int >> 1;
        let y = y * pow2(half) * pow2(n_int.wrapping_sub(half));
        if x < EXP_UNDERFLOW {
            0.0
        } else {
            y
        }
    }

    /// `2^n` for `n` in `-126..=127`, written straight into the exponent field.
    fn pow2(n: i32) -> f32 {
        f32::from_bits((n.wrapping_add(127) as u32) << 23)
    }

    /// See [`super::dot`]; the shorter length is used if the lengths differ.
    pub fn dot(a: &[f32], b: &[f32]) -> f32 {
        let n = a.len().min(b.len());
        let (a, b) = (&a[..n], &b[..n]);
        let mut acc = [0.0f32; 8];
        let mut ca = a.chunks_exact(8);
        let mut cb = b.chunks_exact(8);
        for (x, y) in (&mut ca).zip(&mut cb) {
            for l in 0..8 {
                acc[l] += x[l] * y[l];
            }
        }
        let mut tail = 0.0f32;
        for (x, y) in ca.remainder().iter().zip(cb.remainder()) {
            tail += x * y;
        }
        ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7])) + tail
    }

    /// See [`super::max`].
    pub fn max(x: &[f32]) -> f32 {
        let mut acc = [f32::NEG_INFINITY; 8];
        let mut chunks = x.chunks_exact(8);
        for c in &mut chunks {
            for l in 0..8 {
                acc[l] = acc[l].max(c[l]);
            }
        }
        let mut m = chunks
            .remainder()
            .iter()
            .fold(f32::NEG_INFINITY, |m, &v| m.max(v));
        for a in acc {
            m = m.max(a);
        }
        m
    }

    /// See [`super::exp_shift_sum`].
    pub fn exp_shift_sum(x: &mut [f32], shift: f32) -> f64 {
        let mut acc = [0.0f64; 4];
        let mut chunks = x.chunks_exact_mut(4);
        for c in &mut chunks {
            for l in 0..4 {
                c[l] = exp(c[l] - shift);
                acc[l] += c[l] as f64;
            }
        }
        let mut tail = 0.0f64;
        for v in chunks.into_remainder() {
            *v = exp(*v - shift);
            tail += *v as f64;
        }
        (acc[0] + acc[2]) + (acc[1] + acc[3]) + tail
    }

    /// See [`super::scale`].
    pub fn scale(x: &mut [f32], a: f32) {
        for v in x {
            *v *= a;
        }
    }

    /// See [`super::axpy`]; the shorter length is used if the lengths differ.
    pub fn axpy(y: &mut [f32], a: f32, x: &[f32]) {
        for (yv, &xv) in y.iter_mut().zip(x) {
            *yv += a * xv;
        }
    }
}

/// AVX2+FMA implementations. Every function requires both features on the running CPU.
#[cfg(target_arch = "x86_64")]
mod avx2 {
    use super::{EXP_CLAMP_HIGH, EXP_POLY, EXP_UNDERFLOW, LN2_HIGH, LN2_LOW, LOG2_E};
    use std::arch::x86_64::*;

    /// Sum of the eight lanes.
    #[inline]
    #[target_feature(enable = "avx2,fma")]
    unsafe fn sum_lanes(v: __m256) -> f32 {
        let q = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
        let d = _mm_add_ps(q, _mm_movehl_ps(q, q));
        let s = _mm_add_ss(d, _mm_shuffle_ps(d, d, 0b01));
        _mm_cvtss_f32(s)
    }

    /// Largest of the eight lanes (none of them NaN).
    #[inline]
    #[target_feature(enable = "avx2,fma")]
    unsafe fn max_lanes(v: __m256) -> f32 {
        let q = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
        let d = _mm_max_ps(q, _mm_movehl_ps(q, q));
        let s = _mm_max_ss(d, _mm_shuffle_ps(d, d, 0b01));
        _mm_cvtss_f32(s)
    }

    /// Eight-lane version of [`super::scalar::exp`], with the same constants.
    #[inline]
    #[target_feature(enable = "avx2,fma")]
    unsafe fn exp8(x: __m256) -> __m256 {
        let low = _mm256_set1_ps(EXP_UNDERFLOW);
        let under = _mm256_cmp_ps(x, low, _CMP_LT_OQ);
        // max_ps/min_ps return their second operand when either is NaN, so NaN survives.
        let clamped = _mm256_min_ps(_mm256_set1_ps(EXP_CLAMP_HIGH), _mm256_max_ps(low, x));
        let n = _mm256_round_ps(
            _mm256_mul_ps(clamped, _mm256_set1_ps(LOG2_E)),
            _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC,
        );
        let r = _mm256_fnmadd_ps(n, _mm256_set1_ps(LN2_HIGH), clamped);
        let r = _mm256_fnmadd_ps(n, _mm256_set1_ps(LN2_LOW), r);
        let mut p = _mm256_set1_ps(EXP_POLY[0]);
        for &c in &EXP_POLY[1..] {
            p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(c));
        }
        let y = _mm256_add_ps(
            _mm256_fmadd_ps(p, _mm256_mul_ps(r, r), r),
            _mm256_set1_ps(1.0),
        );
        let n_int = _mm256_cvttps_epi32(n);
        let half = _mm256_srai_epi32(n_int, 1);
        let rest = _mm256_sub_epi32(n_int, half);
        let bias = _mm256_set1_epi32(127);
        let f1 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(half, bias), 23));
        let f2 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(rest, bias), 23));
        let y = _mm256_mul_ps(_mm256_mul_ps(y, f1), f2);
        _mm256_andnot_ps(under, y)
    }

    /// Mask whose first `count` (at most 8) lanes are set.
    #[inline]
    #[target_feature(enable = "avx2,fma")]
    unsafe fn first_lanes(count: usize) -> __m256i {
        let lanes = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
        _mm256_cmpgt_epi32(_mm256_set1_epi32(count as i32), lanes)
    }

    /// Adds the eight lanes of `v`, widened to f64, into two four-lane accumulators.
    #[inline]
    #[target_feature(enable = "avx2,fma")]
    unsafe fn accumulate_f64(v: __m256, lo: &mut __m256d, hi: &mut __m256d) {
        *lo = _mm256_add_pd(*lo, _mm256_cvtps_pd(_mm256_castps256_ps128(v)));
        *hi = _mm256_add_pd(*hi, _mm256_cvtps_pd(_mm256_extractf128_ps(v, 1)));
    }

    #[target_feature(enable = "avx2,fma")]
    pub unsafe fn dot(a: &[f32], b: &[f32]) -> f32 {
        let n = a.len().min(b.len());
        let (pa, pb) = (a.as_ptr(), b.as_ptr());
        let mut acc = [_mm256_setzero_ps(); 4];
        let mut i = 0;
        while i + 32 <= n {
            for (j, s) in acc.iter_mut().enumerate() {
                let k = i + 8 * j;
                *s = _mm256_fmadd_ps(_mm256_loadu_ps(pa.add(k)), _mm256_loadu_ps(pb.add(k)), *s);
            }
            i += 32;
        }
        while i + 8 <= n {
            acc[0] = _mm256_fmadd_ps(
                _mm256_loadu_ps(pa.add(i)),
                _mm256_loadu_ps(pb.add(i)),
                acc[0],
            );
            i += 8;
        }
        let total = _mm256_add_ps(_mm256_add_ps(acc[0], acc[1]), _mm256_add_ps(acc[2], acc[3]));
        let mut tail = 0.0f32;
        while i < n {
            tail = a[i].mul_add(b[i], tail);
            i += 1;
        }
        sum_lanes(total) + tail
    }

    #[target_feature(enable = "avx2,fma")]
    pub unsafe fn max(x: &[f32]) -> f32 {
        let n = x.len();
        let p = x.as_ptr();
        let mut acc = [_mm256_set1_ps(f32::NEG_INFINITY); 4];
        let mut i = 0;
        // The loaded value is the first operand, so a NaN there leaves the accumulator alone.
        while i + 32 <= n {
            for (j, m) in acc.iter_mut().enumerate() {
                *m = _mm256_max_ps(_mm256_loadu_ps(p.add(i + 8 * j)), *m);
            }
            i += 32;
        }
        while i + 8 <= n {
            acc[0] = _mm256_max_ps(_mm256_loadu_ps(p.add(i)), acc[0]);
            i += 8;
        }
        let all = _mm256_max_ps(_mm256_max_ps(acc[0], acc[1]), _mm256_max_ps(acc[2], acc[3]));
        let mut m = max_lanes(all);
        for &v in &x[i..] {
            m = m.max(v);
        }
        m
    }

    #[target_feature(enable = "avx2,fma")]
    pub unsafe fn exp_shift_sum(x: &mut [f32], shift: f32) -> f64 {
        let n = x.len();
        let p = x.as_mut_ptr();
        let s = _mm256_set1_ps(shift);
        let (mut lo, mut hi) = (_mm256_setzero_pd(), _mm256_setzero_pd());
        let mut i = 0;
        while i + 8 <= n {
            let e = exp8(_mm256_sub_ps(_mm256_loadu_ps(p.add(i)), s));
            _mm256_storeu_ps(p.add(i), e);
            accumulate_f64(e, &mut lo, &mut hi);
            i += 8;
        }
        if i < n {
            // The tail goes through the same eight-lane code with masked loads and stores, so
            // an element's result does not depend on where it sits in the slice.
            let mask = first_lanes(n - i);
            let v = _mm256_maskload_ps(p.add(i), mask);
            let e = _mm256_and_ps(exp8(_mm256_sub_ps(v, s)), _mm256_castsi256_ps(mask));
            _mm256_maskstore_ps(p.add(i), mask, e);
            accumulate_f64(e, &mut lo, &mut hi);
        }
        let both = _mm256_add_pd(lo, hi);
        let pair = _mm_add_pd(_mm256_castpd256_pd128(both), _mm256_extractf128_pd(both, 1));
        _mm_cvtsd_f64(_mm_add_sd(pair, _mm_unpackhi_pd(pair, pair)))
    }

    #[target_feature(enable = "avx2,fma")]
    pub unsafe fn scale(x: &mut [f32], a: f32) {
        let n = x.len();
        let p = x.as_mut_ptr();
        let av = _mm256_set1_ps(a);
        let mut i = 0;
        while i + 8 <= n {
            _mm256_storeu_ps(p.add(i), _mm256_mul_ps(_mm256_loadu_ps(p.add(i)), av));
            i += 8;
        }
        for v in &mut x[i..] {
            *v *= a;
        }
    }

    #[target_feature(enable = "avx2,fma")]
    pub unsafe fn axpy(y: &mut [f32], a: f32, x: &[f32]) {
        let n = y.len().min(x.len());
        let (py, px) = (y.as_mut_ptr(), x.as_ptr());
        let av = _mm256_set1_ps(a);
        let mut i = 0;
        while i + 8 <= n {
            let v = _mm256_fmadd_ps(av, _mm256_loadu_ps(px.add(i)), _mm256_loadu_ps(py.add(i)));
            _mm256_storeu_ps(py.add(i), v);
            i += 8;
        }
        while i < n {
            y[i] = a.mul_add(x[i], y[i]);
            i += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::numeric::Rng;

    fn rel_err(got: f32, want: f64) -> f64 {
        ((got as f64 - want) / want).abs()
    }

    /// Exponentials of `xs` through the dispatched and the scalar paths.
    fn exp_both(xs: &[f32]) -> (Vec<f32>, Vec<f32>) {
        let mut fast = xs.to_vec();
        exp_shift_sum(&mut fast, 0.0);
        let slow = xs.iter().map(|&x| scalar::exp(x)).collect();
        (fast, slow)
    }

    fn max_rel_err_on(xs: &[f32]) -> (f64, f64) {
        let (fast, slow) = exp_both(xs);
        let mut worst = (0.0f64, 0.0f64);
        for ((&x, &f), &s) in xs.iter().zip(&fast).zip(&slow) {
            let want = (x as f64).exp();
            worst.0 = worst.0.max(rel_err(f, want));
            worst.1 = worst.1.max(rel_err(s, want));
        }
        worst
    }

    #[test]
    fn exp_relative_error_below_3e7_on_dense_grid() {
        // Every step of 2^-16 over [-87, 0] (about 5.7 million points), plus the positive side.
        let negative: Vec<f32> = (0..=(87 << 16)).map(|i| -(i as f32) / 65536.0).collect();
        let (fast, slow) = max_rel_err_on(&negative);
        println!(
            "exp on [-87, 0]: max rel err {fast:.3e} ({}), {slow:.3e} (scalar)",
            level().name()
        );
        assert!(fast < 3e-7 && slow < 3e-7, "{fast} {slow}");
        let positive: Vec<f32> = (0..=(88 << 12)).map(|i| i as f32 / 4096.0).collect();
        let (fast, slow) = max_rel_err_on(&positive);
        println!(
            "exp on [0, 88]: max rel err {fast:.3e} ({}), {slow:.3e} (scalar)",
            level().name()
        );
        assert!(fast < 3e-7 && slow < 3e-7, "{fast} {slow}");
        // Random points near the underflow threshold still give accurate normal numbers.
        let mut rng = Rng::new(7);
        let edge = rng.uniform_vec(100_000, EXP_UNDERFLOW, -80.0);
        let (fast, slow) = max_rel_err_on(&edge);
        assert!(fast < 3e-7 && slow < 3e-7, "{fast} {slow}");
    }

    #[test]
    fn exp_special_values() {
        let xs = [
            0.0,
            -0.0,
            -87.4,
            -100.0,
            -1e30,
            f32::NEG_INFINITY,
            89.0,
            100.0,
            f32::INFINITY,
            f32::NAN,
            88.7,
        ];
        let (fast, slow) = exp_both(&xs);
        for out in [fast, slow] {
            assert_eq!(out[0], 1.0);
            assert_eq!(out[1], 1.0);
            for &v in &out[2..6] {
                assert_eq!(v.to_bits(), 0, "underflow must give +0");
            }
            for &v in &out[6..9] {
                assert_eq!(v, f32::INFINITY);
            }
            assert!(out[9].is_nan());
            assert!(rel_err(out[10], (88.7f32 as f64).exp()) < 3e-7);
        }
        let mut same = [5.0f32; 3];
        assert_eq!(exp_shift_sum(&mut same, 5.0), 3.0);
        assert_eq!(same, [1.0; 3]);
    }

    #[cfg(target_arch = "x86_64")]
    fn avx2_available() -> bool {
        is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma")
    }

    #[cfg(target_arch = "x86_64")]
    #[test]
    fn avx2_matches_scalar_on_all_short_lengths() {
        if !avx2_available() {
            return;
        }
        let mut rng = Rng::new(42);
        for n in 0..68 {
            for _ in 0..4 {
                let a = rng.uniform_vec(n, -3.0, 3.0);
                let b = rng.uniform_vec(n, -3.0, 3.0);
                let exact: f64 = a.iter().zip(&b).map(|(&x, &y)| x as f64 * y as f64).sum();
                let abs: f64 = a
                    .iter()
                    .zip(&b)
                    .map(|(&x, &y)| (x as f64 * y as f64).abs())
                    .sum();
                // SAFETY: both features were detected above.
                let fast = unsafe { avx2::dot(&a, &b) };
                let slow = scalar::dot(&a, &b);
                assert!(
                    (fast as f64 - exact).abs() <= 1e-6 * abs + 1e-30,
                    "dot n={n}"
                );
                assert!(
                    (slow as f64 - exact).abs() <= 1e-6 * abs + 1e-30,
                    "dot n={n}"
                );

                let fast = unsafe { avx2::max(&a) };
                assert_eq!(fast, scalar::max(&a), "max n={n}");
                let want = a.iter().copied().fold(f32::NEG_INFINITY, f32::max);
                assert_eq!(fast, want);

                let shift = rng.uniform_f32(-2.0, 4.0);
                let (mut fe, mut se) = (a.clone(), a.clone());
                let fs = unsafe { avx2::exp_shift_sum(&mut fe, shift) };
                let ss = scalar::exp_shift_sum(&mut se, shift);
                let mut want_sum = 0.0f64;
                for i in 0..n {
                    let want = (a[i] as f64 - shift as f64).exp();
                    want_sum += want;
                    // The difference a[i] - shift is rounded to f32 before the exponential.
                    let arg = (a[i] - shift) as f64;
                    assert!(rel_err(fe[i], arg.exp()) < 3e-7, "exp n={n} i={i}");
                    assert!(rel_err(se[i], arg.exp()) < 3e-7, "exp n={n} i={i}");
                    assert!(rel_err(fe[i], se[i] as f64) < 4e-7);
                }
                assert!((fs - ss).abs() <= 1e-6 * ss.abs());
                assert!((fs - want_sum).abs() <= 1e-6 * want_sum + 1e-30);

                let c = rng.uniform_f32(-2.0, 2.0);
                let (mut fa, mut sa) = (a.clone(), a.clone());
                unsafe { avx2::scale(&mut fa, c) };
                scalar::scale(&mut sa, c);
                assert_eq!(fa, sa, "scale n={n}");

                let (mut fy, mut sy) = (b.clone(), b.clone());
                unsafe { avx2::axpy(&mut fy, c, &a) };
                scalar::axpy(&mut sy, c, &a);
                for i in 0..n {
                    let want = b[i] as f64 + c as f64 * a[i] as f64;
                    let tol = 2e-7 * (b[i].abs() + (c * a[i]).abs()) as f64;
                    assert!((fy[i] as f64 - want).abs() <= tol, "axpy n={n} i={i}");
                    assert!((sy[i] as f64 - want).abs() <= tol, "axpy n={n} i={i}");
                }
            }
        }
    }

    #[test]
    fn dispatched_functions_on_long_random_data() {
        let mut rng = Rng::new(3);
        let n = 10_007;
        let a = rng.uniform_vec(n, -1.0, 1.0);
        let b = rng.uniform_vec(n, -1.0, 1.0);
        let exact: f64 = a.iter().zip(&b).map(|(&x, &y)| x as f64 * y as f64).sum();
        assert!((dot(&a, &b) as f64 - exact).abs() < 1e-3);
        assert_eq!(max(&a), a.iter().copied().fold(f32::NEG_INFINITY, f32::max));
        let mut e = a.clone();
        let sum = exp_shift_sum(&mut e, 1.0);
        let want: f64 = a.iter().map(|&x| (x as f64 - 1.0).exp()).sum();
        assert!((sum - want).abs() < 1e-6 * want);
        let mut y = b.clone();
        axpy(&mut y, 0.5, &a);
        scale(&mut y, 2.0);
        for i in 0..n {
            assert!((y[i] - (2.0 * b[i] + a[i])).abs() < 1e-5);
        }
    }

    #[test]
    fn max_skips_nan_and_handles_empty() {
        assert_eq!(max(&[]), f32::NEG_INFINITY);
        assert_eq!(scalar::max(&[]), f32::NEG_INFINITY);
        let mut x = vec![1.0f32; 40];
        x[3] = f32::NAN;
        x[17] = 2.0;
        x[38] = f32::NAN;
        assert_eq!(max(&x), 2.0);
        assert_eq!(scalar::max(&x), 2.0);
    }

    #[test]
    #[should_panic(expected = "different lengths")]
    fn dot_rejects_mismatched_lengths() {
        dot(&[1.0, 2.0], &[1.0]);
    }
}
