//! Fused streaming retrieval: `out = Vᵀ sep(β K q)` for a small batch of queries in one pass
//! over the stored patterns, without ever holding the `(queries × patterns)` score matrix.
//!
//! The plain way to retrieve is three steps: a product `S = Q Kᵀ` (shape `(B, P)`), a separation
//! applied row by row, and a second product `S V`. For a few queries and many patterns the score
//! matrix is small per query but every step streams the whole memory (`P × d` floats) from main
//! memory, twice, and the products run at the poor efficiency of a skinny matrix.
//!
//! Here the patterns are cut into chunks of a few dozen rows that fit in the L1 cache. For each
//! chunk, a register-blocked micro-kernel computes the `B × chunk` scores, the separation turns
//! them into weights, and a second micro-kernel adds the weighted rows of `V` into a running
//! accumulator per query, while the chunk is still in cache. Softmax needs the maximum over all
//! patterns before exponentiating; the online ("flash attention") form keeps, per query, a
//! running maximum `m`, a running sum `l = Σ exp(βs - m)` and an accumulator
//! `a = Σ exp(βs - m) v`. When a chunk raises the maximum to `m'`, `l` and `a` are multiplied by
//! `exp(m - m')`, which keeps every exponential at most 1 and the result exact (up to rounding).
//!
//! The chunks are split into contiguous ranges, one per worker of engram's rayon pool. Each range
//! produces its own triple `(m, l, a)` per query, and the triples are merged in range order:
//!
//! ```text
//! m = max(m₁, m₂),  l = l₁ e^(m₁-m) + l₂ e^(m₂-m),  a = a₁ e^(m₁-m) + a₂ e^(m₂-m)
//! ```
//!
//! which is the same sum regrouped, so the result does not depend on how the work was split
//! beyond rounding (and for a given thread count it is deterministic). Sums of exponentials
//! and of power potentials are kept in `f64`; accumulators and scores in `f32`.
//!
//! The rectified power `max(s, 0)^n` and the signed power `s^n` need no running maximum: their
//! weights are plain functions of the score, the triple degenerates to `(·, Σ Φ-terms, a)` and
//! the merge is a sum.
//!
//! The micro-kernels use AVX2 and FMA when the CPU has them (checked at run time through
//! [`super::simd::level`], so `ENGRAM_SIMD=scalar` forces the portable code too), and a portable
//! implementation otherwise.

use ndarray::{Array1, Array2, ArrayView2};
use rayon::prelude::*;

use super::simd;

/// Which separation the fused kernel applies to each score `s = k · q`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum FusedSeparation {
    /// Weights `softmax(β s)` over the patterns; potential `logsumexp(β s) / β`.
    Softmax {
        /// Inverse temperature `β > 0`.
        beta: f32,
    },
    /// Weights `max(s, 0)^n`; potential `Σ max(s, 0)^(n+1) / (n+1)`.
    RectifiedPower {
        /// Degree `n >= 1`.
        degree: u32,
    },
    /// Weights `s^n` (sign kept); potential `Σ s^(n+1) / (n+1)`. Degree 1 is the identity
    /// separation of the classical Hopfield network.
    Power {
        /// Degree `n >= 1`.
        degree: u32,
    },
}

/// Tuning knobs of [`fused_retrieve`]; the defaults (all zero) choose automatically.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FusedOptions {
    /// Patterns per chunk; 0 picks [`default_chunk_rows`].
    pub chunk_rows: usize,
    /// Number of contiguous pattern ranges processed independently and merged (each on its own
    /// worker when the pool has room); 0 picks one per thread of engram's pool, or 1 for small
    /// problems.
    pub parts: usize,
    /// Compute the scores in `f64` (see [`fused_retrieve`]): potentials accurate to about
    /// 1e-9 relative (1e-8 at worst) and weights from exactly formed differences `β s - max`,
    /// at the price of half-speed score products. Always on when no values are given.
    pub precise: bool,
}

/// The size of a chunk of keys, in bytes, when rows are laid out at a stride that is a
/// multiple of 512 bytes: small enough to stay in the L1 data cache (32-48 KiB on current x86
/// cores). At such strides the column tiles of successive rows fall into a handful of L1 sets,
/// so larger chunks evict themselves while their weighted rows are accumulated (measured:
/// d = 256 ran 1.3 times slower with 64-row chunks than with 24-row chunks).
pub const CHUNK_BYTES_ALIGNED: usize = 24 * 1024;

/// The size of a chunk of keys, in bytes, for other strides: the rows spread over all L1 sets
/// and the chunk may live in L2 (measured: d = 784 ran about 10% faster with 64-row chunks than
/// with 16-row ones, from lower per-chunk overhead).
pub const CHUNK_BYTES_SPREAD: usize = 192 * 1024;

/// Below this many score multiply-adds (`B × P × d`) the whole retrieval runs on the calling
/// thread: splitting would cost more than it saves.
const PARALLEL_MIN_WORK: usize = 1 << 18;

/// What [`fused_retrieve`] returns.
#[derive(Clone, Debug)]
pub struct FusedOutput {
    /// The retrieved values `Vᵀ sep(β K q)`, shape `(B, d_v)`; `None` when no values were given.
    pub out: Option<Array2<f32>>,
    /// The separation's potential per query: `logsumexp(β s)/β` for softmax, `Σ Φ-terms` for
    /// the powers. Non-finite when the scores or the weights overflow, for the caller to report.
    pub potentials: Array1<f64>,
}

/// The chunk length used for keys of dimension `dim` and values of dimension `value_dim` when
/// [`FusedOptions::chunk_rows`] is 0: [`CHUNK_BYTES_ALIGNED`] or [`CHUNK_BYTES_SPREAD`] of the
/// wider rows, rounded down to a multiple of 8 rows and kept between 16 and 256.
pub fn default_chunk_rows(dim: usize, value_dim: usize) -> usize {
    let width = dim.max(value_dim).max(1);
    let aligned = [dim, value_dim]
        .iter()
        .any(|&n| n > 0 && (4 * n) % 512 == 0);
    let budget = if aligned {
        CHUNK_BYTES_ALIGNED
    } else {
        CHUNK_BYTES_SPREAD
    };
    (budget / (4 * width) / 8 * 8).clamp(16, 256)
}

/// Retrieval in one streaming pass: for each query `q` (row of `queries`, shape `(B, d)`),
/// scores `s_μ = k_μ · q` against every key (rows of `keys`, shape `(P, d)`), weights from
/// `separation`, and (when `values`, shape `(P, d_v)`, is given) the weighted sum of the values.
///
/// With `values = None` only the potentials are computed (one pass of dot products): this is
/// what energies need. That pass, and any pass with [`FusedOptions::precise`], keeps scores in
/// `f64` (products of `f32` inputs summed in `f64`, then `β s` and the running maximum in
/// `f64`), so a potential carries an error of about one `f32` rounding of itself rather than of
/// every score: energies of nearby states compare reliably, which recall's monotone-energy
/// checks rely on. A precise pass with values gives a step and the accurate potentials of its
/// inputs from one read of the memory.
///
/// # Panics
/// Panics if the shapes disagree (`queries` and `keys` must share their column count, `values`
/// must have one row per key) or if `keys` is empty; engram's models check shapes first.
pub fn fused_retrieve(
    queries: ArrayView2<f32>,
    keys: ArrayView2<f32>,
    values: Option<ArrayView2<f32>>,
    separation: FusedSeparation,
    options: FusedOptions,
) -> FusedOutput {
    let (b, d) = queries.dim();
    let (p, d2) = keys.dim();
    assert_eq!(
        d, d2,
        "fused_retrieve: queries and keys differ in dimension"
    );
    assert!(p > 0, "fused_retrieve: no keys");
    if let Some(v) = values {
        assert_eq!(v.nrows(), p, "fused_retrieve: values need one row per key");
    }
    let dv = values.map_or(0, |v| v.ncols());
    // The micro-kernels read plain row-major slices; copy only what is not laid out that way.
    let queries = queries.as_standard_layout();
    let keys = keys.as_standard_layout();
    let values_std = values.as_ref().map(|v| v.as_standard_layout());
    let q = queries.as_slice().expect("standard layout");
    let k = keys.as_slice().expect("standard layout");
    let v = values_std
        .as_ref()
        .map(|v| v.as_slice().expect("standard layout"));

    let chunk = if options.chunk_rows == 0 {
        default_chunk_rows(d, dv)
    } else {
        options.chunk_rows
    };
    let chunks = p.div_ceil(chunk);
    let parts = if options.parts == 0 {
        let work = b.saturating_mul(p).saturating_mul(d + dv);
        if work < PARALLEL_MIN_WORK {
            1
        } else {
            rayon::current_num_threads()
        }
    } else {
        options.parts
    }
    .clamp(1, chunks);

    let task = Task {
        q,
        k,
        v,
        b,
        d,
        dv,
        chunk,
        separation,
        precise: options.precise || v.is_none(),
    };
    // Part `i` covers chunks `[i * chunks / parts, (i + 1) * chunks / parts)`: never empty,
    // fixed by the shapes and the part count alone, so the result is deterministic.
    let bounds = |i: usize| (i * chunks / parts * chunk).min(p);
    let partials: Vec<Partial> = if parts == 1 {
        vec![task.run(0, p)]
    } else {
        (0..parts)
            .into_par_iter()
            .map(|i| task.run(bounds(i), bounds(i + 1)))
            .collect()
    };
    let mut partials = partials.into_iter();
    let mut total = partials.next().expect("at least one part");
    for next in partials {
        total.merge(&next, separation);
    }
    total.finish(separation, values.is_some())
}

/// The inputs of one retrieval, as row-major slices.
struct Task<'a> {
    q: &'a [f32],
    k: &'a [f32],
    v: Option<&'a [f32]>,
    b: usize,
    d: usize,
    dv: usize,
    chunk: usize,
    separation: FusedSeparation,
    /// Scores in `f64` ([`FusedOptions::precise`]).
    precise: bool,
}

/// The running state of one contiguous range of patterns, per query: the maximum scaled score
/// (softmax only; an `f32` value on the retrieval pass, `f64` on the potentials-only pass), the
/// sum of potential terms (`Σ exp(βs - m)` for softmax, `Σ Φ-terms` for the powers) and the
/// accumulator of weighted values, `(B, d_v)` row-major.
struct Partial {
    max: Vec<f64>,
    sum: Vec<f64>,
    acc: Vec<f32>,
    dv: usize,
}

impl Task<'_> {
    /// Streams the patterns `start..end` in chunks and returns their partial state.
    fn run(&self, start: usize, end: usize) -> Partial {
        let (b, d, dv) = (self.b, self.d, self.dv);
        let mut state = Partial {
            max: vec![f64::NEG_INFINITY; b],
            sum: vec![0.0; b],
            acc: vec![0.0; b * dv],
            dv,
        };
        let Some(v) = self.v.filter(|_| !self.precise) else {
            self.run_precise(start, end, &mut state);
            return state;
        };
        let mut scores = vec![0.0f32; b * self.chunk];
        let mut r0 = start;
        while r0 < end {
            let rows = self.chunk.min(end - r0);
            let keys = &self.k[r0 * d..(r0 + rows) * d];
            let scores = &mut scores[..b * rows];
            micro::scores(self.q, b, keys, rows, d, scores);
            for (qi, row) in scores.chunks_exact_mut(rows).enumerate() {
                self.separate(row, &mut state, qi);
            }
            let values = &v[r0 * dv..(r0 + rows) * dv];
            micro::accumulate(scores, b, rows, values, dv, &mut state.acc);
            r0 += rows;
        }
        state
    }

    /// The pass over patterns `start..end` with scores in `f64`: potentials always, the
    /// weighted values when `self.v` is given.
    fn run_precise(&self, start: usize, end: usize, state: &mut Partial) {
        let (b, d, dv) = (self.b, self.d, self.dv);
        let mut scores = vec![0.0f64; b * self.chunk];
        let mut weights = vec![0.0f32; b * self.chunk];
        let mut r0 = start;
        while r0 < end {
            let rows = self.chunk.min(end - r0);
            let keys = &self.k[r0 * d..(r0 + rows) * d];
            let scores = &mut scores[..b * rows];
            let weights = &mut weights[..b * rows];
            micro::scores_f64(self.q, b, keys, rows, d, scores);
            for (qi, (row, w)) in scores
                .chunks_exact_mut(rows)
                .zip(weights.chunks_exact_mut(rows))
                .enumerate()
            {
                match self.separation {
                    FusedSeparation::Softmax { beta } => {
                        let rescale = softmax_potential_chunk(
                            row,
                            beta as f64,
                            &mut state.max[qi],
                            &mut state.sum[qi],
                            w,
                        );
                        if let (Some(factor), true) = (rescale, self.v.is_some()) {
                            simd::scale(&mut state.acc[qi * dv..(qi + 1) * dv], factor as f32);
                        }
                    }
                    FusedSeparation::RectifiedPower { degree } => {
                        state.sum[qi] += power_potential_chunk(row, degree, true, w);
                    }
                    FusedSeparation::Power { degree } => {
                        state.sum[qi] += power_potential_chunk(row, degree, false, w);
                    }
                }
            }
            if let Some(v) = self.v {
                let values = &v[r0 * dv..(r0 + rows) * dv];
                micro::accumulate(weights, b, rows, values, dv, &mut state.acc);
            }
            r0 += rows;
        }
    }

    /// Turns one query's scores for a chunk into weights, in place, updating its running
    /// maximum, sum and (for softmax, when the maximum rises) rescaling its accumulator.
    fn separate(&self, row: &mut [f32], state: &mut Partial, qi: usize) {
        match self.separation {
            FusedSeparation::Softmax { beta } => {
                if beta != 1.0 {
                    simd::scale(row, beta);
                }
                let chunk_max = simd::max(row) as f64;
                let old = state.max[qi];
                if chunk_max > old {
                    // exp(-inf) = 0 on the first chunk: the empty state needs no rescaling.
                    if old != f64::NEG_INFINITY {
                        let factor = (old - chunk_max).exp();
                        state.sum[qi] *= factor;
                        let dv = state.dv;
                        simd::scale(&mut state.acc[qi * dv..(qi + 1) * dv], factor as f32);
                    }
                    state.max[qi] = chunk_max;
                } else if chunk_max.is_nan() {
                    // Every score NaN (an overflow upstream): poison the potential.
                    state.max[qi] = f64::NAN;
                }
                // The maximum came from an f32 score, so this conversion is exact.
                let shift = state.max[qi] as f32;
                if shift.is_finite() {
                    state.sum[qi] += simd::exp_shift_sum(row, shift);
                } else {
                    // An infinite maximum means beta * score overflowed f32; report it through a
                    // non-finite potential and keep the accumulator finite-or-NaN consistently.
                    state.max[qi] = f64::NAN;
                    row.fill(f32::NAN);
                }
            }
            FusedSeparation::RectifiedPower { degree } => {
                state.sum[qi] += power_weights(row, degree, true);
            }
            FusedSeparation::Power { degree } => {
                state.sum[qi] += power_weights(row, degree, false);
            }
        }
    }
}

/// One chunk of the `f64` softmax: scales the scores by `beta`, raises the running maximum
/// `max` (rescaling the running sum `sum`), writes the weights `exp(β s - max)` to `weights`
/// and adds them to `sum`. Returns the factor `exp(old max - new max)` when the maximum rose
/// from a finite value (the caller rescales its accumulator by it).
///
/// The differences `β s - max` are formed in `f64` and only then rounded to `f32` for the
/// exponential, so the dominant terms are exact to `f32` rounding. A scaled score beyond the
/// `f32` range (where the GEMM path reports overflow) poisons `max` and the weights with NaN.
fn softmax_potential_chunk(
    row: &mut [f64],
    beta: f64,
    max: &mut f64,
    sum: &mut f64,
    weights: &mut [f32],
) -> Option<f64> {
    let mut chunk_max = f64::NEG_INFINITY;
    let mut in_range = true;
    for z in row.iter_mut() {
        *z *= beta;
        in_range &= z.abs() <= f32::MAX as f64;
        chunk_max = chunk_max.max(*z);
    }
    if !in_range || max.is_nan() {
        *max = f64::NAN;
        weights.fill(f32::NAN);
        return None;
    }
    let mut rescale = None;
    if chunk_max > *max {
        if *max != f64::NEG_INFINITY {
            let factor = (*max - chunk_max).exp();
            *sum *= factor;
            rescale = Some(factor);
        }
        *max = chunk_max;
    }
    for (t, z) in weights.iter_mut().zip(row.iter()) {
        *t = (z - *max) as f32;
    }
    *sum += simd::exp_shift_sum(weights, 0.0);
    rescale
}

/// Writes the weights `x^degree` of the chunk's `f64` scores `x` (rectified when asked) to
/// `weights` and returns `Σ x^(degree+1)`, or NaN where a score or its weight leaves the `f32`
/// range (where the GEMM path reports overflow).
fn power_potential_chunk(row: &[f64], degree: u32, rectified: bool, weights: &mut [f32]) -> f64 {
    let n = degree.min(i32::MAX as u32 - 1) as i32;
    let limit = f32::MAX as f64;
    let mut phi = 0.0f64;
    let mut in_range = true;
    for (&s, w) in row.iter().zip(weights.iter_mut()) {
        let x = if rectified && s <= 0.0 { 0.0 } else { s };
        let xn = x.powi(n);
        in_range &= x.abs() <= limit && xn.abs() <= limit;
        *w = xn as f32;
        phi += xn * x;
    }
    if in_range {
        phi
    } else {
        f64::NAN
    }
}

/// Replaces each score `s` by `s^degree` (by `max(s, 0)^degree` when `rectified`) and returns
/// `Σ s^(degree+1)` (resp. of the rectified scores) in `f64`, or NaN if a weight overflows.
fn power_weights(row: &mut [f32], degree: u32, rectified: bool) -> f64 {
    let n = degree.min(i32::MAX as u32 - 1) as i32;
    let mut phi = 0.0f64;
    let mut finite = true;
    for s in row.iter_mut() {
        let x = if rectified && *s <= 0.0 { 0.0 } else { *s };
        let w = if n == 1 { x } else { x.powi(n) };
        finite &= w.is_finite();
        // The Φ-term in f64, as the plain separation kernel computes it.
        phi += (x as f64).powi(n + 1);
        *s = w;
    }
    // A weight that overflows f32 makes the potential unusable too, as on the GEMM path.
    if finite {
        phi
    } else {
        f64::NAN
    }
}

impl Partial {
    /// Folds `other` (the range after `self`'s) into `self`: the exact regrouping of the sums.
    fn merge(&mut self, other: &Partial, separation: FusedSeparation) {
        let dv = self.dv;
        for qi in 0..self.sum.len() {
            let (a, b) = (
                &mut self.acc[qi * dv..(qi + 1) * dv],
                &other.acc[qi * dv..(qi + 1) * dv],
            );
            match separation {
                FusedSeparation::Softmax { .. } => {
                    let (m1, m2) = (self.max[qi], other.max[qi]);
                    if m1.is_nan() || m2.is_nan() {
                        self.max[qi] = f64::NAN;
                        continue;
                    }
                    let m = m1.max(m2);
                    let f1 = (m1 - m).exp();
                    let f2 = (m2 - m).exp();
                    self.sum[qi] = self.sum[qi] * f1 + other.sum[qi] * f2;
                    if f1 != 1.0 {
                        simd::scale(a, f1 as f32);
                    }
                    simd::axpy(a, f2 as f32, b);
                    self.max[qi] = m;
                }
                FusedSeparation::RectifiedPower { .. } | FusedSeparation::Power { .. } => {
                    self.sum[qi] += other.sum[qi];
                    simd::axpy(a, 1.0, b);
                }
            }
        }
    }

    /// Normalizes the accumulators and turns the sums into potentials.
    fn finish(mut self, separation: FusedSeparation, with_values: bool) -> FusedOutput {
        let b = self.sum.len();
        let dv = self.dv;
        let potentials: Array1<f64> = match separation {
            FusedSeparation::Softmax { beta } => {
                for qi in 0..b {
                    simd::scale(
                        &mut self.acc[qi * dv..(qi + 1) * dv],
                        (1.0 / self.sum[qi]) as f32,
                    );
                }
                (0..b)
                    .map(|qi| (self.max[qi] + self.sum[qi].ln()) / beta as f64)
                    .collect()
            }
            FusedSeparation::RectifiedPower { degree } | FusedSeparation::Power { degree } => {
                let n1 = degree as f64 + 1.0;
                self.sum.iter().map(|s| s / n1).collect()
            }
        };
        let out = with_values
            .then(|| Array2::from_shape_vec((b, dv), self.acc).expect("accumulator shape"));
        FusedOutput { out, potentials }
    }
}

/// The two register-blocked micro-kernels, with run-time choice of the AVX-512 or AVX2 version.
pub(crate) mod micro {
    use super::simd;

    /// `scores[qi * rows + r] = queries[qi] · keys[r]` for `qi < b`, `r < rows`; rows of length
    /// `d`, row-major.
    pub fn scores(queries: &[f32], b: usize, keys: &[f32], rows: usize, d: usize, out: &mut [f32]) {
        debug_assert!(queries.len() >= b * d && keys.len() >= rows * d && out.len() >= b * rows);
        #[cfg(target_arch = "x86_64")]
        {
            match simd::level() {
                // SAFETY: the level is Avx512 only after run-time detection of AVX-512F, AVX2
                // and FMA; the slice lengths were checked above (and by every caller's
                // construction).
                simd::Level::Avx512 => {
                    unsafe { super::avx512::scores(queries, b, keys, rows, d, out) };
                    return;
                }
                // SAFETY: the level is Avx2Fma only after run-time detection of AVX2 and FMA.
                simd::Level::Avx2Fma => {
                    unsafe { super::avx2::scores(queries, b, keys, rows, d, out) };
                    return;
                }
                simd::Level::Scalar => {}
            }
        }
        scalar_scores(queries, b, keys, rows, d, out);
    }

    /// [`scores`] with products summed in `f64` and `f64` results (the potentials-only pass).
    pub fn scores_f64(
        queries: &[f32],
        b: usize,
        keys: &[f32],
        rows: usize,
        d: usize,
        out: &mut [f64],
    ) {
        debug_assert!(queries.len() >= b * d && keys.len() >= rows * d && out.len() >= b * rows);
        #[cfg(target_arch = "x86_64")]
        {
            match simd::level() {
                // SAFETY: as in `scores`.
                simd::Level::Avx512 => {
                    unsafe { super::avx512::scores_f64(queries, b, keys, rows, d, out) };
                    return;
                }
                // SAFETY: as in `scores`.
                simd::Level::Avx2Fma => {
                    unsafe { super::avx2::scores_f64(queries, b, keys, rows, d, out) };
                    return;
                }
                simd::Level::Scalar => {}
            }
        }
        scalar_scores_f64(queries, b, keys, rows, d, out);
    }

    /// Portable [`scores_f64`].
    pub fn scalar_scores_f64(
        queries: &[f32],
        b: usize,
        keys: &[f32],
        rows: usize,
        d: usize,
        out: &mut [f64],
    ) {
        for qi in 0..b {
            let q = &queries[qi * d..(qi + 1) * d];
            for r in 0..rows {
                let k = &keys[r * d..(r + 1) * d];
                let mut acc = [0.0f64; 4];
                let mut qc = q.chunks_exact(4);
                let mut kc = k.chunks_exact(4);
                for (x, y) in (&mut qc).zip(&mut kc) {
                    for l in 0..4 {
                        acc[l] += x[l] as f64 * y[l] as f64;
                    }
                }
                let tail: f64 = qc
                    .remainder()
                    .iter()
                    .zip(kc.remainder())
                    .map(|(&x, &y)| x as f64 * y as f64)
                    .sum();
                out[qi * rows + r] = (acc[0] + acc[2]) + (acc[1] + acc[3]) + tail;
            }
        }
    }

    /// `acc[qi] += Σ_r weights[qi * rows + r] · values[r]` for `qi < b`; `acc` is `(b, dv)` and
    /// `values` `(rows, dv)`, both row-major.
    pub fn accumulate(
        weights: &[f32],
        b: usize,
        rows: usize,
        values: &[f32],
        dv: usize,
        acc: &mut [f32],
    ) {
        debug_assert!(weights.len() >= b * rows && values.len() >= rows * dv);
        debug_assert!(acc.len() >= b * dv);
        #[cfg(target_arch = "x86_64")]
        {
            match simd::level() {
                // SAFETY: as in `scores`.
                simd::Level::Avx512 => {
                    unsafe { super::avx512::accumulate(weights, b, rows, values, dv, acc) };
                    return;
                }
                // SAFETY: as in `scores`.
                simd::Level::Avx2Fma => {
                    unsafe { super::avx2::accumulate(weights, b, rows, values, dv, acc) };
                    return;
                }
                simd::Level::Scalar => {}
            }
        }
        scalar_accumulate(weights, b, rows, values, dv, acc);
    }

    /// Portable [`scores`]: one dot product per pair through [`simd::scalar::dot`].
    pub fn scalar_scores(
        queries: &[f32],
        b: usize,
        keys: &[f32],
        rows: usize,
        d: usize,
        out: &mut [f32],
    ) {
        for qi in 0..b {
            let q = &queries[qi * d..(qi + 1) * d];
            for r in 0..rows {
                out[qi * rows + r] = simd::scalar::dot(q, &keys[r * d..(r + 1) * d]);
            }
        }
    }

    /// Portable [`accumulate`], four value rows at a time so that each accumulator row is
    /// loaded and stored once per four rows.
    pub fn scalar_accumulate(
        weights: &[f32],
        b: usize,
        rows: usize,
        values: &[f32],
        dv: usize,
        acc: &mut [f32],
    ) {
        for qi in 0..b {
            let w = &weights[qi * rows..(qi + 1) * rows];
            let a = &mut acc[qi * dv..(qi + 1) * dv];
            let mut r = 0;
            while r + 4 <= rows {
                let (w0, w1, w2, w3) = (w[r], w[r + 1], w[r + 2], w[r + 3]);
                let v0 = &values[r * dv..(r + 1) * dv];
                let v1 = &values[(r + 1) * dv..(r + 2) * dv];
                let v2 = &values[(r + 2) * dv..(r + 3) * dv];
                let v3 = &values[(r + 3) * dv..(r + 4) * dv];
                for j in 0..dv {
                    a[j] += (w0 * v0[j] + w1 * v1[j]) + (w2 * v2[j] + w3 * v3[j]);
                }
                r += 4;
            }
            while r < rows {
                simd::scalar::axpy(a, w[r], &values[r * dv..(r + 1) * dv]);
                r += 1;
            }
        }
    }
}

/// AVX2+FMA micro-kernels. Every function requires both features on the running CPU.
#[cfg(target_arch = "x86_64")]
mod avx2 {
    use std::arch::x86_64::*;

    /// Mask whose first `count` (at most 8) lanes are set.
    #[inline]
    #[target_feature(enable = "avx2,fma")]
    unsafe fn first_lanes(count: usize) -> __m256i {
        let lanes = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
        _mm256_cmpgt_epi32(_mm256_set1_epi32(count as i32), lanes)
    }

    /// Horizontal sums of eight vectors at once: lane `i` of the result is the sum of the
    /// eight lanes of `v[i]`.
    #[inline]
    #[target_feature(enable = "avx2,fma")]
    pub(super) unsafe fn sum8(v: &[__m256; 8]) -> __m256 {
        let t0 = _mm256_hadd_ps(v[0], v[1]);
        let t1 = _mm256_hadd_ps(v[2], v[3]);
        let t2 = _mm256_hadd_ps(v[4], v[5]);
        let t3 = _mm256_hadd_ps(v[6], v[7]);
        // u0 lanes: [v0 v1 v2 v3 (low halves) | v0 v1 v2 v3 (high halves)], u1 likewise for v4..v7.
        let u0 = _mm256_hadd_ps(t0, t1);
        let u1 = _mm256_hadd_ps(t2, t3);
        let low = _mm256_permute2f128_ps(u0, u1, 0x20);
        let high = _mm256_permute2f128_ps(u0, u1, 0x31);
        _mm256_add_ps(low, high)
    }

    /// Dot products of `Q` queries (rows at `q`, stride `d`) with `R` keys (rows at `k`,
    /// stride `d`), `Q * R == 8`, written to `out[qi * stride + r]`.
    #[inline]
    #[target_feature(enable = "avx2,fma")]
    unsafe fn block<const Q: usize, const R: usize>(
        q: *const f32,
        k: *const f32,
        d: usize,
        out: *mut f32,
        stride: usize,
    ) {
        let mut acc = [_mm256_setzero_ps(); 8];
        let full = d / 8 * 8;
        let mut j = 0;
        while j < full {
            let mut kv = [_mm256_setzero_ps(); R];
            for (r, kr) in kv.iter_mut().enumerate() {
                *kr = _mm256_loadu_ps(k.add(r * d + j));
            }
            for qi in 0..Q {
                let qv = _mm256_loadu_ps(q.add(qi * d + j));
                for r in 0..R {
                    acc[qi * R + r] = _mm256_fmadd_ps(qv, kv[r], acc[qi * R + r]);
                }
            }
            j += 8;
        }
        if full < d {
            let mask = first_lanes(d - full);
            for qi in 0..Q {
                let qv = _mm256_maskload_ps(q.add(qi * d + full), mask);
                for r in 0..R {
                    let kr = _mm256_maskload_ps(k.add(r * d + full), mask);
                    acc[qi * R + r] = _mm256_fmadd_ps(qv, kr, acc[qi * R + r]);
                }
            }
        }
        let sums = sum8(&acc);
        if R == 8 {
            _mm256_storeu_ps(out, sums);
        } else {
            let mut lanes = [0.0f32; 8];
            _mm256_storeu_ps(lanes.as_mut_ptr(), sums);
            for qi in 0..Q {
                for r in 0..R {
                    *out.add(qi * stride + r) = lanes[qi * R + r];
                }
            }
        }
    }

    /// Mask whose first `count` (at most 4) of four 32-bit lanes are set.
    #[inline]
    #[target_feature(enable = "avx2,fma")]
    unsafe fn first_lanes4(count: usize) -> __m128i {
        _mm_cmpgt_epi32(_mm_set1_epi32(count as i32), _mm_setr_epi32(0, 1, 2, 3))
    }

    /// Sum of the four lanes.
    #[inline]
    #[target_feature(enable = "avx2,fma")]
    unsafe fn sum4d(v: __m256d) -> f64 {
        let pair = _mm_add_pd(_mm256_castpd256_pd128(v), _mm256_extractf128_pd(v, 1));
        _mm_cvtsd_f64(_mm_add_sd(pair, _mm_unpackhi_pd(pair, pair)))
    }

    /// `f64` dot products of `Q` queries with `R` keys: four `f32` lanes at a time widened to
    /// `f64` and multiplied-added there, written to `out[qi * stride + r]`.
    #[inline]
    #[target_feature(enable = "avx2,fma")]
    unsafe fn block_f64<const Q: usize, const R: usize>(
        q: *const f32,
        k: *const f32,
        d: usize,
        out: *mut f64,
        stride: usize,
    ) {
        let mut acc = [[_mm256_setzero_pd(); R]; Q];
        let full = d / 4 * 4;
        let mut j = 0;
        while j < full {
            let mut kv = [_mm256_setzero_pd(); R];
            for (r, kr) in kv.iter_mut().enumerate() {
                *kr = _mm256_cvtps_pd(_mm_loadu_ps(k.add(r * d + j)));
            }
            for (qi, aq) in acc.iter_mut().enumerate() {
                let qv = _mm256_cvtps_pd(_mm_loadu_ps(q.add(qi * d + j)));
                for (a, kr) in aq.iter_mut().zip(&kv) {
                    *a = _mm256_fmadd_pd(qv, *kr, *a);
                }
            }
            j += 4;
        }
        if full < d {
            let mask = first_lanes4(d - full);
            for (qi, aq) in acc.iter_mut().enumerate() {
                let qv = _mm256_cvtps_pd(_mm_maskload_ps(q.add(qi * d + full), mask));
                for (r, a) in aq.iter_mut().enumerate() {
                    let kr = _mm256_cvtps_pd(_mm_maskload_ps(k.add(r * d + full), mask));
                    *a = _mm256_fmadd_pd(qv, kr, *a);
                }
            }
        }
        for (qi, aq) in acc.iter().enumerate() {
            for (r, a) in aq.iter().enumerate() {
                *out.add(qi * stride + r) = sum4d(*a);
            }
        }
    }

    /// See [`super::micro::scores_f64`]: the blocking of [`scores`], in `f64`.
    #[target_feature(enable = "avx2,fma")]
    pub unsafe fn scores_f64(
        queries: &[f32],
        b: usize,
        keys: &[f32],
        rows: usize,
        d: usize,
        out: &mut [f64],
    ) {
        let (q, k, o) = (queries.as_ptr(), keys.as_ptr(), out.as_mut_ptr());
        let mut qi = 0;
        while qi + 2 <= b {
            let mut r = 0;
            while r + 4 <= rows {
                block_f64::<2, 4>(q.add(qi * d), k.add(r * d), d, o.add(qi * rows + r), rows);
                r += 4;
            }
            while r < rows {
                block_f64::<2, 1>(q.add(qi * d), k.add(r * d), d, o.add(qi * rows + r), rows);
                r += 1;
            }
            qi += 2;
        }
        if qi < b {
            let mut r = 0;
            while r + 8 <= rows {
                block_f64::<1, 8>(q.add(qi * d), k.add(r * d), d, o.add(qi * rows + r), rows);
                r += 8;
            }
            while r < rows {
                block_f64::<1, 1>(q.add(qi * d), k.add(r * d), d, o.add(qi * rows + r), rows);
                r += 1;
            }
        }
    }

    /// One dot product (for the leftover keys of a chunk).
    #[inline]
    #[target_feature(enable = "avx2,fma")]
    unsafe fn dot1(q: *const f32, k: *const f32, d: usize) -> f32 {
        let mut acc = [_mm256_setzero_ps(); 8];
        let full = d / 8 * 8;
        let mut j = 0;
        while j < full {
            acc[0] = _mm256_fmadd_ps(_mm256_loadu_ps(q.add(j)), _mm256_loadu_ps(k.add(j)), acc[0]);
            j += 8;
        }
        if full < d {
            let mask = first_lanes(d - full);
            acc[0] = _mm256_fmadd_ps(
                _mm256_maskload_ps(q.add(full), mask),
                _mm256_maskload_ps(k.add(full), mask),
                acc[0],
            );
        }
        let mut lanes = [0.0f32; 8];
        _mm256_storeu_ps(lanes.as_mut_ptr(), sum8(&acc));
        lanes[0]
    }

    /// See [`super::micro::scores`]. Pairs of queries meet blocks of four keys (eight
    /// accumulators, each key vector loaded once for both queries); an odd last query meets
    /// blocks of eight keys.
    #[target_feature(enable = "avx2,fma")]
    pub unsafe fn scores(
        queries: &[f32],
        b: usize,
        keys: &[f32],
        rows: usize,
        d: usize,
        out: &mut [f32],
    ) {
        let (q, k, o) = (queries.as_ptr(), keys.as_ptr(), out.as_mut_ptr());
        let mut qi = 0;
        while qi + 2 <= b {
            let mut r = 0;
            while r + 4 <= rows {
                block::<2, 4>(q.add(qi * d), k.add(r * d), d, o.add(qi * rows + r), rows);
                r += 4;
            }
            while r < rows {
                for qq in qi..qi + 2 {
                    *o.add(qq * rows + r) = dot1(q.add(qq * d), k.add(r * d), d);
                }
                r += 1;
            }
            qi += 2;
        }
        if qi < b {
            let mut r = 0;
            while r + 8 <= rows {
                block::<1, 8>(q.add(qi * d), k.add(r * d), d, o.add(qi * rows + r), rows);
                r += 8;
            }
            while r < rows {
                *o.add(qi * rows + r) = dot1(q.add(qi * d), k.add(r * d), d);
                r += 1;
            }
        }
    }

    /// `acc[qi][j..j + 8J] += Σ_r w[qi][r] v[r][j..j + 8J]` for `Q` queries: `Q × J`
    /// accumulator vectors stay in registers for the whole chunk. The last vector is masked
    /// to `tail` lanes when `tail > 0`.
    #[inline]
    #[target_feature(enable = "avx2,fma")]
    #[allow(clippy::too_many_arguments)]
    unsafe fn tile<const Q: usize, const J: usize>(
        w: *const f32,
        rows: usize,
        v: *const f32,
        dv: usize,
        acc: *mut f32,
        j: usize,
        tail: usize,
    ) {
        let mask = first_lanes(if tail == 0 { 8 } else { tail });
        let mut a = [[_mm256_setzero_ps(); J]; Q];
        for (qi, aq) in a.iter_mut().enumerate() {
            for (t, at) in aq.iter_mut().enumerate() {
                let p = acc.add(qi * dv + j + 8 * t);
                *at = if tail > 0 && t == J - 1 {
                    _mm256_maskload_ps(p, mask)
                } else {
                    _mm256_loadu_ps(p)
                };
            }
        }
        for r in 0..rows {
            let mut vv = [_mm256_setzero_ps(); J];
            for (t, vt) in vv.iter_mut().enumerate() {
                let p = v.add(r * dv + j + 8 * t);
                *vt = if tail > 0 && t == J - 1 {
                    _mm256_maskload_ps(p, mask)
                } else {
                    _mm256_loadu_ps(p)
                };
            }
            for (qi, aq) in a.iter_mut().enumerate() {
                let wq = _mm256_broadcast_ss(&*w.add(qi * rows + r));
                for t in 0..J {
                    aq[t] = _mm256_fmadd_ps(wq, vv[t], aq[t]);
                }
            }
        }
        for (qi, aq) in a.iter().enumerate() {
            for (t, at) in aq.iter().enumerate() {
                let p = acc.add(qi * dv + j + 8 * t);
                if tail > 0 && t == J - 1 {
                    _mm256_maskstore_ps(p, mask, *at);
                } else {
                    _mm256_storeu_ps(p, *at);
                }
            }
        }
    }

    /// Runs [`tile`] over all columns for `Q` queries: tiles of four vectors, then single
    /// vectors, then a masked one for `dv % 8` leftover columns.
    #[inline]
    #[target_feature(enable = "avx2,fma")]
    unsafe fn columns<const Q: usize>(
        w: *const f32,
        rows: usize,
        v: *const f32,
        dv: usize,
        acc: *mut f32,
    ) {
        let full = dv / 8 * 8;
        let mut j = 0;
        while j + 32 <= full {
            tile::<Q, 4>(w, rows, v, dv, acc, j, 0);
            j += 32;
        }
        while j < full {
            tile::<Q, 1>(w, rows, v, dv, acc, j, 0);
            j += 8;
        }
        if full < dv {
            tile::<Q, 1>(w, rows, v, dv, acc, j, dv - full);
        }
    }

    /// See [`super::micro::accumulate`]: queries in pairs (each value vector loaded once for
    /// both), an odd last query alone.
    #[target_feature(enable = "avx2,fma")]
    pub unsafe fn accumulate(
        weights: &[f32],
        b: usize,
        rows: usize,
        values: &[f32],
        dv: usize,
        acc: &mut [f32],
    ) {
        let (w, v, a) = (weights.as_ptr(), values.as_ptr(), acc.as_mut_ptr());
        let mut qi = 0;
        while qi + 2 <= b {
            columns::<2>(w.add(qi * rows), rows, v, dv, a.add(qi * dv));
            qi += 2;
        }
        if qi < b {
            columns::<1>(w.add(qi * rows), rows, v, dv, a.add(qi * dv));
        }
    }
}

/// AVX-512F micro-kernels: the blocking of [`avx2`] on 16-lane registers, with more
/// accumulators (there are 32 registers). Every function requires AVX-512F, AVX2 and FMA on
/// the running CPU.
#[cfg(target_arch = "x86_64")]
mod avx512 {
    use std::arch::x86_64::*;

    /// Mask of the first `count` (at most 16) lanes.
    #[inline]
    fn first_lanes(count: usize) -> __mmask16 {
        ((1u32 << count) - 1) as __mmask16
    }

    /// The sum of the two 256-bit halves.
    #[inline]
    #[target_feature(enable = "avx512f,avx2,fma")]
    unsafe fn fold(v: __m512) -> __m256 {
        let high = _mm256_castpd_ps(_mm512_extractf64x4_pd::<1>(_mm512_castps_pd(v)));
        _mm256_add_ps(_mm512_castps512_ps256(v), high)
    }

    /// Dot products of `Q` queries with `R` keys (rows of length `d`), `Q * R` a multiple of 8
    /// and at most 16, written to `out[qi * stride + r]`.
    #[inline]
    #[target_feature(enable = "avx512f,avx2,fma")]
    unsafe fn block<const Q: usize, const R: usize>(
        q: *const f32,
        k: *const f32,
        d: usize,
        out: *mut f32,
        stride: usize,
    ) {
        let mut acc = [[_mm512_setzero_ps(); R]; Q];
        let full = d / 16 * 16;
        let mut j = 0;
        while j < full {
            let mut kv = [_mm512_setzero_ps(); R];
            for (r, kr) in kv.iter_mut().enumerate() {
                *kr = _mm512_loadu_ps(k.add(r * d + j));
            }
            for (qi, aq) in acc.iter_mut().enumerate() {
                let qv = _mm512_loadu_ps(q.add(qi * d + j));
                for (a, kr) in aq.iter_mut().zip(&kv) {
                    *a = _mm512_fmadd_ps(qv, *kr, *a);
                }
            }
            j += 16;
        }
        if full < d {
            let mask = first_lanes(d - full);
            for (qi, aq) in acc.iter_mut().enumerate() {
                let qv = _mm512_maskz_loadu_ps(mask, q.add(qi * d + full));
                for (r, a) in aq.iter_mut().enumerate() {
                    let kr = _mm512_maskz_loadu_ps(mask, k.add(r * d + full));
                    *a = _mm512_fmadd_ps(qv, kr, *a);
                }
            }
        }
        // Eight dot products at a time: fold to 256 bits, then the AVX2 transposing sum.
        let mut halves = [_mm256_setzero_ps(); 16];
        for (i, h) in halves.iter_mut().take(Q * R).enumerate() {
            *h = fold(acc[i / R][i % R]);
        }
        for group in 0..(Q * R) / 8 {
            let eight: &[__m256; 8] = halves[group * 8..group * 8 + 8]
                .try_into()
                .expect("eight vectors");
            let mut lanes = [0.0f32; 8];
            _mm256_storeu_ps(lanes.as_mut_ptr(), super::avx2::sum8(eight));
            for (l, &value) in lanes.iter().enumerate() {
                let i = group * 8 + l;
                *out.add((i / R) * stride + i % R) = value;
            }
        }
    }

    /// One dot product (for leftover keys).
    #[inline]
    #[target_feature(enable = "avx512f,avx2,fma")]
    unsafe fn dot1(q: *const f32, k: *const f32, d: usize) -> f32 {
        let mut acc = _mm512_setzero_ps();
        let full = d / 16 * 16;
        let mut j = 0;
        while j < full {
            acc = _mm512_fmadd_ps(_mm512_loadu_ps(q.add(j)), _mm512_loadu_ps(k.add(j)), acc);
            j += 16;
        }
        if full < d {
            let mask = first_lanes(d - full);
            acc = _mm512_fmadd_ps(
                _mm512_maskz_loadu_ps(mask, q.add(full)),
                _mm512_maskz_loadu_ps(mask, k.add(full)),
                acc,
            );
        }
        _mm512_reduce_add_ps(acc)
    }

    /// `Q x R` dot products in `f64` (the `f32` inputs widened, eight lanes per register),
    /// written to `out[qi * stride + r]`.
    #[inline]
    #[target_feature(enable = "avx512f,avx2,fma")]
    unsafe fn block_f64<const Q: usize, const R: usize>(
        q: *const f32,
        k: *const f32,
        d: usize,
        out: *mut f64,
        stride: usize,
    ) {
        let mut acc = [[_mm512_setzero_pd(); R]; Q];
        let full = d / 8 * 8;
        let mut j = 0;
        while j < full {
            let mut kv = [_mm512_setzero_pd(); R];
            for (r, kr) in kv.iter_mut().enumerate() {
                *kr = _mm512_cvtps_pd(_mm256_loadu_ps(k.add(r * d + j)));
            }
            for (qi, aq) in acc.iter_mut().enumerate() {
                let qv = _mm512_cvtps_pd(_mm256_loadu_ps(q.add(qi * d + j)));
                for (a, kr) in aq.iter_mut().zip(&kv) {
                    *a = _mm512_fmadd_pd(qv, *kr, *a);
                }
            }
            j += 8;
        }
        if full < d {
            let mask = first_lanes(d - full);
            for (qi, aq) in acc.iter_mut().enumerate() {
                let qv = _mm512_cvtps_pd(_mm512_castps512_ps256(_mm512_maskz_loadu_ps(
                    mask,
                    q.add(qi * d + full),
                )));
                for (r, a) in aq.iter_mut().enumerate() {
                    let kr = _mm512_cvtps_pd(_mm512_castps512_ps256(_mm512_maskz_loadu_ps(
                        mask,
                        k.add(r * d + full),
                    )));
                    *a = _mm512_fmadd_pd(qv, kr, *a);
                }
            }
        }
        for (qi, aq) in acc.iter().enumerate() {
            for (r, a) in aq.iter().enumerate() {
                *out.add(qi * stride + r) = _mm512_reduce_add_pd(*a);
            }
        }
    }

    /// See [`super::micro::scores_f64`]: four queries meet four keys, leftover queries one by
    /// eight, leftover keys one at a time.
    #[target_feature(enable = "avx512f,avx2,fma")]
    pub unsafe fn scores_f64(
        queries: &[f32],
        b: usize,
        keys: &[f32],
        rows: usize,
        d: usize,
        out: &mut [f64],
    ) {
        let (q, k, o) = (queries.as_ptr(), keys.as_ptr(), out.as_mut_ptr());
        let mut qi = 0;
        while qi < b {
            let (block_q, block_r) = if qi + 4 <= b { (4, 4) } else { (1, 8) };
            let mut r = 0;
            while r + block_r <= rows {
                let (qp, kp, op) = (q.add(qi * d), k.add(r * d), o.add(qi * rows + r));
                if block_q == 4 {
                    block_f64::<4, 4>(qp, kp, d, op, rows);
                } else {
                    block_f64::<1, 8>(qp, kp, d, op, rows);
                }
                r += block_r;
            }
            while r < rows {
                for i in 0..block_q {
                    let qp = q.add((qi + i) * d);
                    block_f64::<1, 1>(qp, k.add(r * d), d, o.add((qi + i) * rows + r), rows);
                }
                r += 1;
            }
            qi += block_q;
        }
    }

    /// Blocks of `Q` queries against all keys: `R` keys at a time, then one at a time.
    #[inline]
    #[target_feature(enable = "avx512f,avx2,fma")]
    unsafe fn query_block<const Q: usize, const R: usize>(
        q: *const f32,
        k: *const f32,
        rows: usize,
        d: usize,
        out: *mut f32,
    ) {
        let mut r = 0;
        while r + R <= rows {
            block::<Q, R>(q, k.add(r * d), d, out.add(r), rows);
            r += R;
        }
        while r < rows {
            for qi in 0..Q {
                *out.add(qi * rows + r) = dot1(q.add(qi * d), k.add(r * d), d);
            }
            r += 1;
        }
    }

    /// See [`super::micro::scores`]: four queries meet four keys (16 accumulators, each key
    /// vector loaded once for four queries); leftover queries go two by eight, then one by
    /// eight.
    #[target_feature(enable = "avx512f,avx2,fma")]
    pub unsafe fn scores(
        queries: &[f32],
        b: usize,
        keys: &[f32],
        rows: usize,
        d: usize,
        out: &mut [f32],
    ) {
        let (q, k, o) = (queries.as_ptr(), keys.as_ptr(), out.as_mut_ptr());
        let mut qi = 0;
        while qi + 4 <= b {
            query_block::<4, 4>(q.add(qi * d), k, rows, d, o.add(qi * rows));
            qi += 4;
        }
        while qi + 2 <= b {
            query_block::<2, 8>(q.add(qi * d), k, rows, d, o.add(qi * rows));
            qi += 2;
        }
        if qi < b {
            query_block::<1, 8>(q.add(qi * d), k, rows, d, o.add(qi * rows));
        }
    }

    /// `acc[qi][j..j + 16J] += Σ_r w[qi][r] v[r][j..j + 16J]` for `Q` queries, the `Q × J`
    /// accumulators in registers for the whole chunk; the last vector masked to `tail` lanes
    /// when `tail > 0`.
    #[inline]
    #[target_feature(enable = "avx512f,avx2,fma")]
    #[allow(clippy::too_many_arguments)]
    unsafe fn tile<const Q: usize, const J: usize>(
        w: *const f32,
        rows: usize,
        v: *const f32,
        dv: usize,
        acc: *mut f32,
        j: usize,
        tail: usize,
    ) {
        let mask = first_lanes(if tail == 0 { 16 } else { tail });
        let masked = |t: usize| tail > 0 && t == J - 1;
        let mut a = [[_mm512_setzero_ps(); J]; Q];
        for (qi, aq) in a.iter_mut().enumerate() {
            for (t, at) in aq.iter_mut().enumerate() {
                let p = acc.add(qi * dv + j + 16 * t);
                *at = if masked(t) {
                    _mm512_maskz_loadu_ps(mask, p)
                } else {
                    _mm512_loadu_ps(p)
                };
            }
        }
        for r in 0..rows {
            let mut vv = [_mm512_setzero_ps(); J];
            for (t, vt) in vv.iter_mut().enumerate() {
                let p = v.add(r * dv + j + 16 * t);
                *vt = if masked(t) {
                    _mm512_maskz_loadu_ps(mask, p)
                } else {
                    _mm512_loadu_ps(p)
                };
            }
            for (qi, aq) in a.iter_mut().enumerate() {
                let wq = _mm512_set1_ps(*w.add(qi * rows + r));
                for (at, vt) in aq.iter_mut().zip(&vv) {
                    *at = _mm512_fmadd_ps(wq, *vt, *at);
                }
            }
        }
        for (qi, aq) in a.iter().enumerate() {
            for (t, at) in aq.iter().enumerate() {
                let p = acc.add(qi * dv + j + 16 * t);
                if masked(t) {
                    _mm512_mask_storeu_ps(p, mask, *at);
                } else {
                    _mm512_storeu_ps(p, *at);
                }
            }
        }
    }

    /// Runs [`tile`] over all columns for `Q` queries: tiles of four vectors, then single
    /// vectors, then a masked one for `dv % 16` leftover columns.
    #[inline]
    #[target_feature(enable = "avx512f,avx2,fma")]
    unsafe fn columns<const Q: usize>(
        w: *const f32,
        rows: usize,
        v: *const f32,
        dv: usize,
        acc: *mut f32,
    ) {
        let full = dv / 16 * 16;
        let mut j = 0;
        while j + 64 <= full {
            tile::<Q, 4>(w, rows, v, dv, acc, j, 0);
            j += 64;
        }
        while j < full {
            tile::<Q, 1>(w, rows, v, dv, acc, j, 0);
            j += 16;
        }
        if full < dv {
            tile::<Q, 1>(w, rows, v, dv, acc, j, dv - full);
        }
    }

    /// See [`super::micro::accumulate`]: queries four at a time (each value vector loaded once
    /// for four), then in a pair, then alone.
    #[target_feature(enable = "avx512f,avx2,fma")]
    pub unsafe fn accumulate(
        weights: &[f32],
        b: usize,
        rows: usize,
        values: &[f32],
        dv: usize,
        acc: &mut [f32],
    ) {
        let (w, v, a) = (weights.as_ptr(), values.as_ptr(), acc.as_mut_ptr());
        let mut qi = 0;
        while qi + 4 <= b {
            columns::<4>(w.add(qi * rows), rows, v, dv, a.add(qi * dv));
            qi += 4;
        }
        while qi + 2 <= b {
            columns::<2>(w.add(qi * rows), rows, v, dv, a.add(qi * dv));
            qi += 2;
        }
        if qi < b {
            columns::<1>(w.add(qi * rows), rows, v, dv, a.add(qi * dv));
        }
    }

    /// Whether this CPU can run the kernels above (for tests comparing them with AVX2).
    #[cfg(test)]
    pub fn available() -> bool {
        is_x86_feature_detected!("avx512f")
            && is_x86_feature_detected!("avx2")
            && is_x86_feature_detected!("fma")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data(rows: usize, cols: usize, seed: u64) -> Vec<f32> {
        let mut s = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
        (0..rows * cols)
            .map(|_| {
                s ^= s << 13;
                s ^= s >> 7;
                s ^= s << 17;
                ((s >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
            })
            .collect()
    }

    #[test]
    fn micro_kernels_match_scalar_for_odd_shapes() {
        for &(b, rows, d, dv) in &[
            (1, 1, 1, 1),
            (3, 7, 5, 9),
            (2, 13, 17, 33),
            (5, 9, 8, 40),
            (4, 16, 64, 31),
            (7, 37, 33, 97),
            (9, 64, 128, 128),
            (6, 21, 16, 64),
        ] {
            let q = data(b, d, 1);
            let k = data(rows, d, 2);
            let v = data(rows, dv, 3);
            let mut fast = vec![0.0; b * rows];
            let mut slow = vec![0.0; b * rows];
            micro::scores(&q, b, &k, rows, d, &mut fast);
            micro::scalar_scores(&q, b, &k, rows, d, &mut slow);
            for (x, y) in fast.iter().zip(&slow) {
                assert!((x - y).abs() < 1e-5, "scores {b} {rows} {d}: {x} {y}");
            }
            let mut fast64 = vec![0.0; b * rows];
            let mut slow64 = vec![0.0; b * rows];
            micro::scores_f64(&q, b, &k, rows, d, &mut fast64);
            micro::scalar_scores_f64(&q, b, &k, rows, d, &mut slow64);
            for (x, y) in fast64.iter().zip(&slow64) {
                assert!((x - y).abs() < 1e-12, "scores_f64 {b} {rows} {d}: {x} {y}");
            }
            let mut fa = data(b, dv, 4);
            let mut sa = fa.clone();
            micro::accumulate(&fast, b, rows, &v, dv, &mut fa);
            micro::scalar_accumulate(&fast, b, rows, &v, dv, &mut sa);
            for (x, y) in fa.iter().zip(&sa) {
                assert!((x - y).abs() < 1e-4, "accumulate {b} {rows} {dv}: {x} {y}");
            }
        }
    }

    /// The AVX-512 kernels against the AVX2 ones directly (whatever `ENGRAM_SIMD` says).
    #[cfg(target_arch = "x86_64")]
    #[test]
    fn avx512_kernels_match_avx2() {
        if !avx512::available() {
            return;
        }
        for &(b, rows, d, dv) in &[
            (1, 3, 1, 1),
            (3, 19, 17, 15),
            (4, 16, 16, 64),
            (7, 41, 130, 200),
        ] {
            let q = data(b, d, 5);
            let k = data(rows, d, 6);
            let v = data(rows, dv, 7);
            let mut wide = vec![0.0; b * rows];
            let mut narrow = vec![0.0; b * rows];
            // SAFETY: `available()` checked AVX-512F, AVX2 and FMA; the slices have the sizes the
            // kernels read and write.
            unsafe {
                avx512::scores(&q, b, &k, rows, d, &mut wide);
                avx2::scores(&q, b, &k, rows, d, &mut narrow);
            }
            for (x, y) in wide.iter().zip(&narrow) {
                assert!((x - y).abs() < 1e-4, "scores {b} {rows} {d}: {x} {y}");
            }
            let mut wa = data(b, dv, 8);
            let mut na = wa.clone();
            // SAFETY: as above.
            unsafe {
                avx512::accumulate(&wide, b, rows, &v, dv, &mut wa);
                avx2::accumulate(&wide, b, rows, &v, dv, &mut na);
            }
            for (x, y) in wa.iter().zip(&na) {
                assert!((x - y).abs() < 1e-3, "accumulate {b} {rows} {dv}: {x} {y}");
            }
        }
    }

    #[test]
    fn default_chunk_is_a_multiple_of_eight_in_range() {
        for d in [1, 3, 64, 128, 256, 784, 4096, 100_000] {
            let c = default_chunk_rows(d, d);
            assert!(c.is_multiple_of(8) && (16..=256).contains(&c), "{d}: {c}");
        }
    }
}
