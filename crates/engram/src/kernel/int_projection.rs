//! The signed projection `h_qi = Σ_μ w_qμ ξ_μi` of bit-packed ±1 rows in exact integer
//! arithmetic, with AVX-512 VNNI (`vpdpbusd`) where the CPU has it.
//!
//! # Quantisation ([`IntWeights`])
//! Each weight vector `w_q` is split into a dense part and a few *outliers*. The outliers (at
//! most [`IntWeights::outlier_budget`] rows, the largest `|w_qμ|`) are kept as `f64` and added
//! to the result row by row. The dense part is scaled by a power of two `2^e_q` and rounded to
//! integers `c_qμ` with `|c_qμ| <= `[`CODE_MAX`]; the exponent is the largest for which the
//! largest dense weight still fits, and outliers are only taken while the scaled weights are
//! not all integers (so integer weights, such as the cubic memory's at `N = 2^k`, are exact
//! with the fewest outliers). The rounding residual `r_qμ = w_qμ 2^e_q − c_qμ` is known, and
//!
//! ```text
//! |h_qi − computed_qi| <= 2^-e_q Σ_μ |r_qμ| + γ_n (Σ_μ |w_qμ| + 2^-e_q Σ_μ |r_qμ|)
//! ```
//!
//! with `n` the number of outliers ([`IntWeights::error_bound`]): zero when the dense weights
//! are integers after scaling and there are no outliers.
//!
//! # Integer products
//! Each code is written as two balanced base-256 digits `c = 256 d_1 + d_0`, `d_p ∈ [−128, 127]`
//! (two `i8` planes). With the bits as 0/1 (`x_μi = (ξ_μi + 1) / 2`),
//! `Σ_μ ξ_μi c_μ = 2 Σ_μ x_μi c_μ − Σ_μ c_μ`, and `Σ_μ x_μi d_pμ` is what `vpdpbusd` computes:
//! 64 unsigned-byte x signed-byte products per instruction, summed four at a time into sixteen
//! `i32` lanes. Lane `l` of one instruction covers column `i_0 + l` and rows `μ_0 .. μ_0 + 4`,
//! so the 64 bits of one operand are a 4 x 16 block of the pattern matrix with bit `4 l + j` =
//! `ξ_{μ_0 + j, i_0 + l}`; these masks are re-ordered from the packed rows on the fly (`pdep`)
//! for a block of rows and a range of columns, in cache, and expanded to 0/1 bytes with one
//! masked move (`vmovdqu8`). Each expanded block serves every query and both planes; each
//! broadcast digit quadruple serves several column blocks. The `i32` sums are exact (at most
//! `128 · 2^22` per block of `2^22` rows) and are moved into `i64` after every such block, so
//! the whole integer result is exact: every path (VNNI, portable, any thread count) gives the
//! same bits.
//!
//! Without VNNI (or with `ENGRAM_SIMD=avx2|scalar`) [`PackedBits::signed_projection_int`] runs
//! a portable loop with the same result; [`ProjectionKernel::detect`] tells callers whether the
//! integer path is the fast one.

use std::sync::OnceLock;

use ndarray::{ArrayView2, ArrayViewMut2};
use rayon::prelude::*;

use crate::error::{Error, Result};
use crate::kernel::bitpack::{gamma, BitKernel, PackedBits};

/// The largest magnitude of a quantised weight: the range `[−32639, 32639]` is what two
/// balanced base-256 digits (each in `[−128, 127]`) represent symmetrically.
pub const CODE_MAX: i32 = 32_639;
/// Digit planes per code.
const PLANES: usize = 2;
/// Rows per `vpdpbusd` lane (four bytes summed into one `i32`).
const GROUP: usize = 4;
/// Row groups whose digits are stored together for one query (16 rows: 32 bytes).
const QUAD: usize = 4;
/// Row groups whose masks are built and used together (512 rows: 16 KiB of masks for 256
/// columns).
const BLOCK_GROUPS: usize = 128;
/// Codebook entry of an outlier (its digits are zero).
const OUTLIER: u32 = 1 << 31;
/// Rows after which the `i32` digit sums are moved into `i64` (`128 · 2^22 < 2^31`).
const EXACT_ROWS: usize = 1 << 22;
/// Queries per register tile of the VNNI kernel.
const TILE_QUERIES: usize = 6;
/// Column blocks (of 16 columns) per register tile of the VNNI kernel.
const TILE_BLOCKS: usize = 2;

/// The unit roundoff of `f64`, `2^-53`.
const U64: f64 = f64::EPSILON / 2.0;

/// Which implementation computes the signed projection of a [`PackedBits`] matrix.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProjectionKernel {
    /// Subset-sum tables in `f32` ([`PackedBits::signed_projection`]): AVX2 / AVX-512F or
    /// portable.
    Tables,
    /// Quantised integer weights and AVX-512 VNNI dot products
    /// ([`PackedBits::signed_projection_int`]).
    Vnni,
}

impl ProjectionKernel {
    /// A short name for reports: `"tables"` or `"vnni"`.
    pub fn name(self) -> &'static str {
        match self {
            ProjectionKernel::Tables => "tables",
            ProjectionKernel::Vnni => "vnni",
        }
    }

    /// Whether this CPU runs the kernel fast (the tables always run; VNNI needs AVX-512F, BW,
    /// VNNI, VPOPCNTDQ and BMI2, and no `ENGRAM_SIMD` cap).
    pub fn available(self) -> bool {
        match self {
            ProjectionKernel::Tables => true,
            ProjectionKernel::Vnni => vnni_enabled(),
        }
    }

    /// The fastest available kernel: [`ProjectionKernel::Vnni`] where available, else
    /// [`ProjectionKernel::Tables`].
    pub fn detect() -> ProjectionKernel {
        if vnni_enabled() {
            ProjectionKernel::Vnni
        } else {
            ProjectionKernel::Tables
        }
    }
}

/// Whether the VNNI kernel may run: the CPU has it and `ENGRAM_SIMD` does not cap below
/// AVX-512 (the cap is read through [`BitKernel::detect`]).
fn vnni_enabled() -> bool {
    static ENABLED: OnceLock<bool> = OnceLock::new();
    *ENABLED.get_or_init(|| {
        #[cfg(target_arch = "x86_64")]
        {
            BitKernel::detect() == BitKernel::Avx512
                && is_x86_feature_detected!("avx512f")
                && is_x86_feature_detected!("avx512bw")
                && is_x86_feature_detected!("avx512vnni")
                && is_x86_feature_detected!("bmi2")
        }
        #[cfg(not(target_arch = "x86_64"))]
        {
            let _ = BitKernel::detect;
            false
        }
    })
}

/// One query's quantisation: the scale, the integer total and what the error bound needs.
#[derive(Clone, Debug, Default, PartialEq)]
struct QueryScale {
    /// The dense weights are multiplied by `2^exponent` before rounding.
    exponent: i32,
    /// `Σ_μ c_μ` over the dense rows.
    total: i64,
    /// An upper bound on `Σ_μ |r_μ|` (scaled units).
    residual: f64,
    /// An upper bound on `Σ_μ |w_μ|` (original units, all rows).
    sum_abs: f64,
    /// Outlier rows and their weights, by increasing row.
    outliers: Vec<(usize, f64)>,
}

/// Weights of [`PackedBits::signed_projection_int`]: `queries` weight vectors over `rows`
/// rows, quantised to 16-bit integers per query (see the [module documentation](self)), stored
/// as two `i8` digit planes laid out for the kernel.
#[derive(Clone, Debug, PartialEq)]
pub struct IntWeights {
    queries: usize,
    rows: usize,
    /// `ceil(rows / 4)`.
    groups: usize,
    /// `digits[digit_index(g, q, p, queries)]`: digit `p` of rows `4g .. 4g + 4` for query
    /// `q`, one byte per row (little-endian), zero for outliers and padding rows; the 16 rows
    /// of four consecutive groups are stored together per query (32 bytes).
    digits: Vec<i32>,
    scales: Vec<QueryScale>,
}

impl IntWeights {
    /// Quantises a `(queries, rows)` array of weights.
    ///
    /// # Errors
    /// [`Error::NonFinite`] for a NaN or infinite weight.
    ///
    /// ```
    /// use engram::kernel::int_projection::IntWeights;
    /// use ndarray::array;
    ///
    /// let w = IntWeights::new(array![[3.0, -1.0, 0.5], [1e9, 2.0, 7.0], [0.1, 0.2, 0.3]].view())
    ///     .unwrap();
    /// assert_eq!(w.error_bound(0), 0.0); // dyadic weights that fit 16 bits: exact
    /// // 1e9 is kept in f64 (one outlier): only that addition's rounding is bounded
    /// assert_eq!(w.outliers(1), 1);
    /// assert!(w.error_bound(1) < 1e-15 * 1e9);
    /// assert!(w.error_bound(2) > 0.0 && w.error_bound(2) < 1e-5); // rounded: bounded
    /// ```
    pub fn new(weights: ArrayView2<f64>) -> Result<Self> {
        let (q, k) = weights.dim();
        if k > i32::MAX as usize {
            return Err(Error::param("weights", "more than 2^31 - 1 rows"));
        }
        let index = ndarray::Array2::from_shape_fn((q, k), |(_, mu)| mu as i32);
        Self::from_table(weights, index.view(), 0)
    }

    /// Quantises the weights `w_qμ = table[q, index[q, μ] + offset]` for `index` of shape
    /// `(queries, rows)`: the form of weights that are a function of a small integer per row
    /// (the dense memory's `A(m_qμ)`, `offset = N`), which quantises each distinct value once.
    /// A table shared by every query can be passed as a broadcast view
    /// (`table.broadcast((queries, t))`).
    ///
    /// # Errors
    /// [`Error::Shape`] if `table` does not have one row per query, [`Error::Parameter`] for an
    /// entry outside the table, [`Error::NonFinite`] for a NaN or infinite weight in use.
    pub fn from_table(table: ArrayView2<f64>, index: ArrayView2<i32>, offset: i32) -> Result<Self> {
        Self::from_table_with(table, index, offset, |_, _| ()).map(|(w, _)| w)
    }

    /// [`IntWeights::from_table`], also returning `per_query(q, counts)` for every query, where
    /// `counts[j]` is how many rows of query `q` use table entry `j`: statistics of the weights
    /// at the cost of one pass over the table instead of one over the rows.
    ///
    /// # Errors
    /// As [`IntWeights::from_table`].
    pub fn from_table_with<T: Send>(
        table: ArrayView2<f64>,
        index: ArrayView2<i32>,
        offset: i32,
        per_query: impl Fn(usize, &[u32]) -> T + Sync,
    ) -> Result<(Self, Vec<T>)> {
        let (queries, rows) = index.dim();
        if table.nrows() != queries {
            return Err(Error::shape("weight table rows", queries, table.nrows()));
        }
        let t = table.ncols();
        let index = index.as_standard_layout();
        let quantised: Vec<(QueryScale, Vec<u32>, T)> = (0..queries)
            .into_par_iter()
            .map(|q| {
                let idx = index.row(q);
                let idx = idx.as_slice().expect("standard layout");
                let count = histogram(idx, offset, t)?;
                let (scale, book) = quantise_query(table.row(q), &count, rows)?;
                let extra = per_query(q, &count);
                Ok((scale, book, extra))
            })
            .collect::<Result<_>>()?;
        let groups = rows.div_ceil(GROUP);
        let quads = groups.div_ceil(QUAD);
        let quad_len = QUAD * PLANES;
        let mut digits = vec![0i32; quads * queries * quad_len];
        let mut quantised = quantised;
        if queries > 0 && rows > 0 {
            let books: Vec<&[u32]> = quantised.iter().map(|(_, b, _)| &b[..]).collect();
            let per_task = 16usize;
            let simd = vnni_enabled();
            // Each task returns the (query, row) pairs of its outliers, rows increasing per
            // query, so that the tasks' lists in order give each query's sorted list.
            let found: Vec<Vec<(usize, usize)>> = digits
                .par_chunks_mut(per_task * queries * quad_len)
                .enumerate()
                .map(|(task, chunk)| {
                    let first = task * per_task * QUAD * GROUP;
                    let quads = chunk.len() / (queries * quad_len);
                    let mut found = Vec::new();
                    for (q, book) in books.iter().enumerate() {
                        let idx = index.row(q);
                        let idx = idx.as_slice().expect("standard layout");
                        let idx = &idx[first..(first + quads * QUAD * GROUP).min(rows)];
                        let stride = queries * quad_len;
                        let out = &mut chunk[q * quad_len..];
                        #[cfg(target_arch = "x86_64")]
                        if simd {
                            // SAFETY: AVX-512F/BW were detected (`vnni_enabled`); the indices
                            // were checked against the book's length by `histogram`.
                            unsafe {
                                x86::fill_digits(
                                    idx, offset, book, out, stride, first, q, &mut found,
                                )
                            };
                            continue;
                        }
                        fill_digits(idx, offset, book, out, stride, first, q, &mut found);
                    }
                    let _ = simd;
                    found
                })
                .collect();
            for (q, mu) in found.into_iter().flatten() {
                let j = (index[[q, mu]] + offset) as usize;
                quantised[q].0.outliers.push((mu, table[[q, j]]));
            }
        }
        let mut scales = Vec::with_capacity(queries);
        let mut extras = Vec::with_capacity(queries);
        for (scale, _, extra) in quantised {
            scales.push(scale);
            extras.push(extra);
        }
        Ok((
            IntWeights {
                queries,
                rows,
                groups,
                digits,
                scales,
            },
            extras,
        ))
    }

    /// The most outlier rows per query for `rows` rows: `max(16, rows / 128)`.
    pub fn outlier_budget(rows: usize) -> usize {
        (rows / 128).max(16)
    }

    /// Number of weight vectors.
    pub fn queries(&self) -> usize {
        self.queries
    }

    /// Number of rows each vector weighs.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// The exponent `e` of query `q`: dense weights were scaled by `2^e` and rounded.
    ///
    /// # Panics
    /// Panics if `q >= queries`.
    pub fn exponent(&self, q: usize) -> i32 {
        self.scales[q].exponent
    }

    /// Number of outlier rows of query `q` (kept in `f64`).
    ///
    /// # Panics
    /// Panics if `q >= queries`.
    pub fn outliers(&self, q: usize) -> usize {
        self.scales[q].outliers.len()
    }

    /// A rigorous bound on `|computed_qi − Σ_μ w_qμ ξ_μi|` for every column `i` of
    /// [`PackedBits::signed_projection_int`] (see the [module documentation](self)); zero when
    /// query `q`'s weights are represented exactly and have no outliers.
    ///
    /// # Panics
    /// Panics if `q >= queries`.
    pub fn error_bound(&self, q: usize) -> f64 {
        let s = &self.scales[q];
        let residual = s.residual * 2f64.powi(-s.exponent);
        let outliers = s.outliers.len();
        let summation = if outliers == 0 {
            0.0
        } else {
            gamma(outliers, U64) * (s.sum_abs + residual)
        };
        (residual + summation) * (1.0 + 1e-12)
    }
}

/// The digits of one query for the rows of `index` (starting at row `first`): 16 rows at a
/// time into `out[k * stride..][..8]`; outlier rows are pushed to `found` as `(q, row)`.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn fill_digits_with(
    index: &[i32],
    offset: i32,
    book: &[u32],
    out: &mut [i32],
    stride: usize,
    first: usize,
    q: usize,
    found: &mut Vec<(usize, usize)>,
    quad: impl Fn(&[i32], &mut [i32]) -> bool,
) {
    for (k, sixteen) in index.chunks(QUAD * GROUP).enumerate() {
        if quad(sixteen, &mut out[k * stride..][..QUAD * PLANES]) {
            let row0 = first + k * QUAD * GROUP;
            for (r, &i) in sixteen.iter().enumerate() {
                if book[(i + offset) as usize] & OUTLIER != 0 {
                    found.push((q, row0 + r));
                }
            }
        }
    }
}

/// Portable [`fill_digits_with`].
#[allow(clippy::too_many_arguments)]
fn fill_digits(
    index: &[i32],
    offset: i32,
    book: &[u32],
    out: &mut [i32],
    stride: usize,
    first: usize,
    q: usize,
    found: &mut Vec<(usize, usize)>,
) {
    fill_digits_with(
        index,
        offset,
        book,
        out,
        stride,
        first,
        q,
        found,
        |idx, o| quad_digits(idx, offset, book, o),
    );
}

/// Where digit `p` of row group `g` of query `q` is stored in [`IntWeights`]' digits.
#[inline]
fn digit_index(g: usize, p: usize, q: usize, queries: usize) -> usize {
    (((g / QUAD) * queries + q) * QUAD + g % QUAD) * PLANES + p
}

/// The digits of up to 16 rows of one query (four groups, each as a low-plane and a
/// high-plane word; missing rows are zero) from the rows' book entries (`lo | hi << 8`, or
/// [`OUTLIER`]); returns whether any row is an outlier.
fn quad_digits(index: &[i32], offset: i32, book: &[u32], out: &mut [i32]) -> bool {
    let mut flags = 0;
    for (gi, four) in index.chunks(GROUP).enumerate() {
        let (mut lo, mut hi) = (0u32, 0u32);
        for (j, &i) in four.iter().enumerate() {
            let e = book[(i + offset) as usize];
            flags |= e;
            lo |= (e & 0xff) << (8 * j);
            hi |= ((e >> 8) & 0xff) << (8 * j);
        }
        out[gi * PLANES] = lo as i32;
        out[gi * PLANES + 1] = hi as i32;
    }
    for o in out.iter_mut().skip(index.len().div_ceil(GROUP) * PLANES) {
        *o = 0;
    }
    flags & OUTLIER != 0
}

/// `c = 256 hi + lo` with `lo, hi ∈ [−128, 127]` for `|c| <= CODE_MAX`.
#[inline]
fn split_code(code: i32) -> (i8, i8) {
    let lo = code as u8 as i8;
    let hi = (code - lo as i32) >> 8;
    debug_assert!((-128..=127).contains(&hi));
    (lo, hi as i8)
}

/// The exponent of the lowest set bit of a finite non-zero `v`: `v` is an integer multiple of
/// `2^lowest_bit(v)`.
fn lowest_bit(v: f64) -> i32 {
    let bits = v.to_bits();
    let biased = ((bits >> 52) & 0x7ff) as i32;
    let mantissa = bits & ((1u64 << 52) - 1);
    let (m, e) = if biased == 0 {
        (mantissa, -1074)
    } else {
        (mantissa | (1u64 << 52), biased - 1075)
    };
    e + m.trailing_zeros() as i32
}

/// The largest `e` in `[−1000, 1000]` with `tau · 2^e <= CODE_MAX` (`tau > 0`), or `1000`.
fn fitting_exponent(tau: f64) -> i32 {
    let limit = CODE_MAX as f64;
    let mut e = ((limit / tau).log2().floor() as i32).clamp(-1000, 1000);
    while e > -1000 && tau * 2f64.powi(e) > limit {
        e -= 1;
    }
    while e < 1000 && tau * 2f64.powi(e + 1) <= limit {
        e += 1;
    }
    e
}

/// How many of `index[μ] + offset` fall on each of the `t` table entries.
fn histogram(index: &[i32], offset: i32, t: usize) -> Result<Vec<u32>> {
    let mut count = vec![0u32; t];
    for &i in index {
        let j = i.wrapping_add(offset);
        match count.get_mut(j as u32 as usize) {
            Some(c) if j >= 0 => *c += 1,
            _ => {
                return Err(Error::param(
                    "index",
                    format!("entry {i} + {offset} is outside the weight table's {t} values"),
                ))
            }
        }
    }
    Ok(count)
}

/// Quantises one query given its entry counts: its scale and, per table entry, its code as
/// two digits (low in bits 0..8, high in bits 8..16; 0 for unused entries, [`OUTLIER`] for
/// outliers).
fn quantise_query(
    table: ndarray::ArrayView1<f64>,
    count: &[u32],
    rows: usize,
) -> Result<(QueryScale, Vec<u32>)> {
    let t = count.len();
    // Distinct non-zero values in use, largest first.
    let mut used: Vec<(f64, usize)> = Vec::new();
    let mut sum_abs = 0.0f64;
    for (j, &c) in count.iter().enumerate() {
        if c == 0 {
            continue;
        }
        let v = table[j];
        if !v.is_finite() {
            return Err(Error::NonFinite {
                what: "projection weights".into(),
                index: j,
            });
        }
        if v != 0.0 {
            used.push((v.abs(), j));
            sum_abs += c as f64 * v.abs();
        }
    }
    sum_abs *= 1.0 + gamma(used.len() + 1, U64);
    used.sort_unstable_by(|a, b| b.0.total_cmp(&a.0));
    // integral[t]: the smallest exponent at which every value of used[t..] is an integer.
    let mut integral = vec![i32::MIN; used.len() + 1];
    for t in (0..used.len()).rev() {
        integral[t] = integral[t + 1].max(-lowest_bit(used[t].0));
    }
    let budget = IntWeights::outlier_budget(rows);
    let (mut taken, mut outlier_rows) = (0usize, 0usize);
    let mut exponent = 0;
    while taken < used.len() {
        let tau = used[taken].0;
        exponent = fitting_exponent(tau);
        // Beyond about 3.5e305 no exponent in range fits a value into 16 bits: such values
        // are outliers whatever the budget.
        let fits = tau * 2f64.powi(exponent) <= CODE_MAX as f64;
        if fits && exponent >= integral[taken] {
            break;
        }
        let c = count[used[taken].1] as usize;
        if fits && outlier_rows + c > budget {
            break;
        }
        outlier_rows += c;
        taken += 1;
    }
    if taken == used.len() {
        exponent = 0;
    }
    let scale = 2f64.powi(exponent);
    let mut codes = vec![0u32; t];
    let (mut residual, mut total) = (0.0f64, 0i64);
    for &(_, j) in &used[taken..] {
        let x = table[j] * scale;
        let c = x.round();
        let (lo, hi) = split_code(c as i32);
        codes[j] = lo as u8 as u32 | (hi as u8 as u32) << 8;
        residual += count[j] as f64 * (x - c).abs();
        total += count[j] as i64 * c as i64;
    }
    residual *= 1.0 + gamma(used.len() + 1, U64);
    for &(_, j) in &used[..taken] {
        codes[j] = OUTLIER;
    }
    Ok((
        QueryScale {
            exponent,
            total,
            residual,
            sum_abs,
            outliers: Vec::with_capacity(outlier_rows),
        },
        codes,
    ))
}

impl PackedBits {
    /// The signed projection `out[q, i] = Σ_μ w_qμ ξ_μi` of quantised weights (shape
    /// `(queries, bits)`), within [`IntWeights::error_bound`]`(q)` of the exact value, with
    /// VNNI where [`ProjectionKernel::Vnni`] is available and a portable loop otherwise; both
    /// give the same bits on any thread count (the integer part is exact).
    ///
    /// ```
    /// use engram::kernel::bitpack::PackedBits;
    /// use engram::kernel::int_projection::IntWeights;
    /// use ndarray::{array, Array2};
    ///
    /// let x = PackedBits::from_bipolar(array![[1.0f32, -1.0], [1.0, 1.0]].view()).unwrap();
    /// let w = IntWeights::new(array![[2.0, 5.0]].view()).unwrap();
    /// let mut h = Array2::zeros((1, 2));
    /// x.signed_projection_int(&w, h.view_mut()).unwrap();
    /// assert_eq!(h, array![[7.0, 3.0]]);
    /// ```
    ///
    /// # Errors
    /// [`Error::Shape`] if the weights do not have one value per row or `out` is not
    /// `(queries, bits)`.
    pub fn signed_projection_int(
        &self,
        weights: &IntWeights,
        mut out: ArrayViewMut2<f64>,
    ) -> Result<()> {
        if weights.rows != self.rows() {
            return Err(Error::shape("weight rows", self.rows(), weights.rows));
        }
        if out.dim() != (weights.queries, self.bits()) {
            return Err(Error::shape(
                "projection output",
                format!("({}, {})", weights.queries, self.bits()),
                format!("{:?}", out.dim()),
            ));
        }
        let (queries, bits) = (weights.queries, self.bits());
        if queries == 0 || bits == 0 {
            return Ok(());
        }
        let words = self.words_per_row();
        // Tasks: ranges of words (64 columns each), a few per thread.
        let threads = rayon::current_num_threads();
        let work = queries * self.rows() * words;
        let tasks = if work >= 1 << 16 {
            (2 * threads).min(words)
        } else {
            1
        };
        let per_task = words.div_ceil(tasks);
        let ranges: Vec<std::ops::Range<usize>> = (0..words)
            .step_by(per_task)
            .map(|w0| w0..(w0 + per_task).min(words))
            .collect();
        let vnni = vnni_enabled();
        let sums: Vec<Vec<i64>> = if ranges.len() > 1 {
            ranges
                .par_iter()
                .map(|r| digit_sums(self, weights, r.clone(), vnni))
                .collect()
        } else {
            ranges
                .iter()
                .map(|r| digit_sums(self, weights, r.clone(), vnni))
                .collect()
        };
        for (range, sums) in ranges.iter().zip(sums) {
            let first = range.start * 64;
            let cols = range.len() * 64;
            let last = (first + cols).min(bits);
            for q in 0..queries {
                let s = &weights.scales[q];
                let inv = 2f64.powi(-s.exponent);
                let row = &sums[q * cols..q * cols + (last - first)];
                for (o, &x) in out
                    .row_mut(q)
                    .slice_mut(ndarray::s![first..last])
                    .iter_mut()
                    .zip(row)
                {
                    *o = (2 * x - s.total) as f64 * inv;
                }
            }
        }
        // Outliers, row by row in increasing order, in f64.
        out.outer_iter_mut()
            .into_par_iter()
            .zip(weights.scales.par_iter())
            .for_each(|(mut row, s)| {
                for &(mu, w) in &s.outliers {
                    match row.as_slice_mut() {
                        Some(row) => add_signed_f64(self.row(mu), w, row),
                        None => {
                            for (i, o) in row.iter_mut().enumerate() {
                                *o += if self.get(mu, i) { w } else { -w };
                            }
                        }
                    }
                }
            });
        Ok(())
    }
}

/// `out[i] += ±w` (plus where bit `i` of `bits` is set).
fn add_signed_f64(bits: &[u64], w: f64, out: &mut [f64]) {
    for (word, chunk) in bits.iter().zip(out.chunks_mut(64)) {
        for (j, o) in chunk.iter_mut().enumerate() {
            let flip = (!(word >> j) & 1) << 63;
            *o += f64::from_bits(w.to_bits() ^ flip);
        }
    }
}

/// `Σ_{μ: bit set} c_qμ` (exact) for every query and every column of `words`, laid out
/// `[q][column]` with `64 · words.len()` columns per query.
fn digit_sums(
    bits: &PackedBits,
    weights: &IntWeights,
    words: std::ops::Range<usize>,
    vnni: bool,
) -> Vec<i64> {
    let queries = weights.queries;
    let cols = words.len() * 64;
    let blocks = cols / 16;
    let mut sums = vec![0i64; queries * cols];
    let mut acc = vec![0i32; queries * PLANES * cols];
    let mut masks = vec![0u64; BLOCK_GROUPS * blocks];
    let mut rows_since_flush = 0usize;
    for g0 in (0..weights.groups).step_by(BLOCK_GROUPS) {
        let g1 = (g0 + BLOCK_GROUPS).min(weights.groups);
        build_masks(bits, g0..g1, words.clone(), &mut masks, vnni);
        let quad_len = QUAD * PLANES * queries;
        let digits = &weights.digits[g0 / QUAD * quad_len..g1.div_ceil(QUAD) * quad_len];
        #[cfg(target_arch = "x86_64")]
        if vnni {
            // SAFETY: `vnni_enabled` confirmed AVX-512F, BW and VNNI; the buffers have the
            // sizes the kernel asserts.
            unsafe { x86::accumulate(&masks, blocks, digits, queries, g1 - g0, &mut acc) };
        } else {
            portable_accumulate(&masks, blocks, digits, queries, g1 - g0, &mut acc);
        }
        #[cfg(not(target_arch = "x86_64"))]
        portable_accumulate(&masks, blocks, digits, queries, g1 - g0, &mut acc);
        rows_since_flush += (g1 - g0) * GROUP;
        if rows_since_flush + BLOCK_GROUPS * GROUP > EXACT_ROWS || g1 == weights.groups {
            for q in 0..queries {
                let (lo, hi) = (
                    &acc[(q * PLANES) * cols..(q * PLANES + 1) * cols],
                    &acc[(q * PLANES + 1) * cols..(q * PLANES + 2) * cols],
                );
                for ((s, &l), &h) in sums[q * cols..(q + 1) * cols].iter_mut().zip(lo).zip(hi) {
                    *s += l as i64 + 256 * h as i64;
                }
            }
            acc.fill(0);
            rows_since_flush = 0;
        }
    }
    sums
}

/// The masks of row groups `groups` for the columns of `words`: `masks[gi * blocks + b]` has
/// bit `4 l + j` set iff row `4 (g0 + gi) + j` is `+1` at column `64 words.start + 16 b + l`
/// (rows past the end read as clear).
fn build_masks(
    bits: &PackedBits,
    groups: std::ops::Range<usize>,
    words: std::ops::Range<usize>,
    masks: &mut [u64],
    fast: bool,
) {
    #[cfg(target_arch = "x86_64")]
    if fast {
        // SAFETY: BMI2 was detected with VNNI (`vnni_enabled`).
        return unsafe { x86::build_masks(bits, groups, words, masks) };
    }
    let _ = fast;
    masks_with(bits, groups, words, masks, interleave4);
}

/// The body of [`build_masks`], with the bit interleave `f` (inlined into the BMI2 version).
#[inline(always)]
fn masks_with(
    bits: &PackedBits,
    groups: std::ops::Range<usize>,
    words: std::ops::Range<usize>,
    masks: &mut [u64],
    f: impl Fn(u64, u64, u64, u64) -> u64,
) {
    let stride = bits.words_per_row();
    let data = bits.words();
    let rows = bits.rows();
    let blocks = words.len() * 4;
    for (gi, g) in groups.enumerate() {
        let out = &mut masks[gi * blocks..(gi + 1) * blocks];
        for (wi, w) in words.clone().enumerate() {
            let mut r = [0u64; GROUP];
            for (j, x) in r.iter_mut().enumerate() {
                let row = g * GROUP + j;
                if row < rows {
                    *x = data[row * stride + w];
                }
            }
            for s in 0..4 {
                let seg = |j: usize| (r[j] >> (16 * s)) & 0xffff;
                out[wi * 4 + s] = f(seg(0), seg(1), seg(2), seg(3));
            }
        }
    }
}

/// Bits `l` of `a, b, c, d` (16 bits each) to bits `4 l, 4 l + 1, 4 l + 2, 4 l + 3`.
fn interleave4(a: u64, b: u64, c: u64, d: u64) -> u64 {
    fn spread(mut x: u64) -> u64 {
        // Bit l -> bit 4 l, in four doubling steps.
        x = (x | (x << 24)) & 0x0000_00ff_0000_00ff;
        x = (x | (x << 12)) & 0x000f_000f_000f_000f;
        x = (x | (x << 6)) & 0x0303_0303_0303_0303;
        x = (x | (x << 3)) & 0x1111_1111_1111_1111;
        x
    }
    spread(a) | (spread(b) << 1) | (spread(c) << 2) | (spread(d) << 3)
}

/// Portable twin of `x86::accumulate`: `acc[(q * 2 + p) * cols + i] += Σ x_μi d_pμ` over the
/// groups whose masks are given.
fn portable_accumulate(
    masks: &[u64],
    blocks: usize,
    digits: &[i32],
    queries: usize,
    groups: usize,
    acc: &mut [i32],
) {
    let cols = blocks * 16;
    for g in 0..groups {
        for b in 0..blocks {
            let mask = masks[g * blocks + b];
            for q in 0..queries {
                for p in 0..PLANES {
                    let d = digits[digit_index(g, p, q, queries)].to_le_bytes();
                    let a = &mut acc[(q * PLANES + p) * cols + b * 16..][..16];
                    for (l, a) in a.iter_mut().enumerate() {
                        for (j, &dj) in d.iter().enumerate() {
                            if (mask >> (4 * l + j)) & 1 == 1 {
                                *a += dj as i8 as i32;
                            }
                        }
                    }
                }
            }
        }
    }
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use super::{digit_index, PLANES, QUAD, TILE_BLOCKS, TILE_QUERIES};
    use std::arch::x86_64::*;

    /// [`super::build_masks`] with `pdep` for the interleave.
    #[target_feature(enable = "bmi2")]
    pub unsafe fn build_masks(
        bits: &super::PackedBits,
        groups: std::ops::Range<usize>,
        words: std::ops::Range<usize>,
        masks: &mut [u64],
    ) {
        super::masks_with(bits, groups, words, masks, |a, b, c, d| {
            // SAFETY: this function's BMI2 feature covers the closure.
            unsafe { interleave4(a, b, c, d) }
        });
    }

    /// [`super::interleave4`] with `pdep`.
    #[inline]
    #[target_feature(enable = "bmi2")]
    pub unsafe fn interleave4(a: u64, b: u64, c: u64, d: u64) -> u64 {
        const M: u64 = 0x1111_1111_1111_1111;
        _pdep_u64(a, M) | _pdep_u64(b, M << 1) | _pdep_u64(c, M << 2) | _pdep_u64(d, M << 3)
    }

    /// [`super::fill_digits`] with [`quad_digits`] for full quads (inlined here).
    #[allow(clippy::too_many_arguments)]
    #[target_feature(enable = "avx512f,avx512bw")]
    pub unsafe fn fill_digits(
        index: &[i32],
        offset: i32,
        book: &[u32],
        out: &mut [i32],
        stride: usize,
        first: usize,
        q: usize,
        found: &mut Vec<(usize, usize)>,
    ) {
        super::fill_digits_with(
            index,
            offset,
            book,
            out,
            stride,
            first,
            q,
            found,
            |idx, o| {
                if idx.len() == 16 {
                    // SAFETY: this function's AVX-512F/BW cover the closure; 16 indices, 8 outputs.
                    unsafe { quad_digits(idx, offset, book, o) }
                } else {
                    super::quad_digits(idx, offset, book, o)
                }
            },
        );
    }

    /// [`super::quad_digits`] for 16 rows: one gather of the book entries, one byte shuffle
    /// and one 32-byte store.
    #[inline]
    #[target_feature(enable = "avx512f,avx512bw")]
    pub unsafe fn quad_digits(index: &[i32], offset: i32, book: &[u32], out: &mut [i32]) -> bool {
        assert!(index.len() == 16 && out.len() >= 8);
        let idx = _mm512_add_epi32(
            _mm512_loadu_si512(index.as_ptr() as *const _),
            _mm512_set1_epi32(offset),
        );
        let e = _mm512_i32gather_epi32::<4>(idx, book.as_ptr() as *const i32);
        // In each 128-bit lane (one group): low bytes of the four rows, then their high bytes.
        let pick = _mm512_broadcast_i32x4(_mm_setr_epi8(
            0, 4, 8, 12, 1, 5, 9, 13, -1, -1, -1, -1, -1, -1, -1, -1,
        ));
        let v = _mm512_shuffle_epi8(e, pick);
        let v = _mm512_permutexvar_epi64(_mm512_setr_epi64(0, 2, 4, 6, 1, 3, 5, 7), v);
        _mm256_storeu_si256(out.as_mut_ptr() as *mut __m256i, _mm512_castsi512_si256(v));
        _mm512_test_epi32_mask(e, _mm512_set1_epi32(super::OUTLIER as i32)) != 0
    }

    /// `acc[(q * 2 + p) * cols + i] += Σ_μ x_μi d_qpμ` for every query, plane and column
    /// (`cols = 16 blocks`), over `groups` row groups: register tiles of up to
    /// [`TILE_QUERIES`] queries x [`TILE_BLOCKS`] column blocks x 2 planes, one `vpdpbusd` per
    /// (query, plane, block) and row group.
    #[target_feature(enable = "avx512f,avx512bw,avx512vnni")]
    pub unsafe fn accumulate(
        masks: &[u64],
        blocks: usize,
        digits: &[i32],
        queries: usize,
        groups: usize,
        acc: &mut [i32],
    ) {
        let cols = blocks * 16;
        assert!(masks.len() >= groups * blocks && blocks.is_multiple_of(TILE_BLOCKS));
        assert!(digits.len() >= groups.div_ceil(QUAD) * QUAD * queries * PLANES);
        assert!(acc.len() >= queries * PLANES * cols);
        let mut q0 = 0;
        while q0 < queries {
            let qb = TILE_QUERIES.min(queries - q0);
            let mut b0 = 0;
            while b0 < blocks {
                macro_rules! tile {
                    ($($n:literal),*) => {
                        match qb {
                            $($n => tile::<$n>(masks, blocks, b0, digits, queries, q0, groups, acc, cols),)*
                            _ => unreachable!(),
                        }
                    };
                }
                tile!(1, 2, 3, 4, 5, 6);
                b0 += TILE_BLOCKS;
            }
            q0 += qb;
        }
    }

    /// One register tile: queries `q0 .. q0 + QB`, column blocks `b0 .. b0 + TILE_BLOCKS`.
    #[inline]
    #[allow(clippy::too_many_arguments)]
    #[target_feature(enable = "avx512f,avx512bw,avx512vnni")]
    unsafe fn tile<const QB: usize>(
        masks: &[u64],
        blocks: usize,
        b0: usize,
        digits: &[i32],
        queries: usize,
        q0: usize,
        groups: usize,
        acc: &mut [i32],
        cols: usize,
    ) {
        let ap = acc.as_mut_ptr();
        let mut a = [[[_mm512_setzero_si512(); TILE_BLOCKS]; PLANES]; QB];
        for (qq, aq) in a.iter_mut().enumerate() {
            for (p, ap_) in aq.iter_mut().enumerate() {
                for (b, v) in ap_.iter_mut().enumerate() {
                    *v = _mm512_loadu_si512(
                        ap.add(((q0 + qq) * PLANES + p) * cols + (b0 + b) * 16) as *const _,
                    );
                }
            }
        }
        let ones = _mm512_set1_epi8(1);
        let mp = masks.as_ptr();
        let dp = digits.as_ptr();
        for g in 0..groups {
            let mut x = [_mm512_setzero_si512(); TILE_BLOCKS];
            for (b, v) in x.iter_mut().enumerate() {
                *v = _mm512_maskz_mov_epi8(*mp.add(g * blocks + b0 + b), ones);
            }
            let d = dp.add(digit_index(g, 0, q0, queries));
            for (qq, aq) in a.iter_mut().enumerate() {
                for (p, ap_) in aq.iter_mut().enumerate() {
                    let w = _mm512_set1_epi32(*d.add(qq * QUAD * PLANES + p));
                    for (b, v) in ap_.iter_mut().enumerate() {
                        *v = _mm512_dpbusd_epi32(*v, x[b], w);
                    }
                }
            }
        }
        for (qq, aq) in a.iter().enumerate() {
            for (p, ap_) in aq.iter().enumerate() {
                for (b, v) in ap_.iter().enumerate() {
                    _mm512_storeu_si512(
                        ap.add(((q0 + qq) * PLANES + p) * cols + (b0 + b) * 16) as *mut _,
                        *v,
                    );
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::numeric::Rng;
    use ndarray::Array2;

    /// The exact projection in `f64` (exact for the integer-valued test weights).
    fn exact(w: &Array2<f64>, x: &Array2<f32>) -> Array2<f64> {
        w.dot(&x.mapv(|v| v as f64))
    }

    fn check(w: &Array2<f64>, x: &Array2<f32>) -> (IntWeights, Array2<f64>) {
        let p = PackedBits::from_bipolar(x.view()).unwrap();
        let iw = IntWeights::new(w.view()).unwrap();
        let mut out = Array2::zeros((w.nrows(), x.ncols()));
        p.signed_projection_int(&iw, out.view_mut()).unwrap();
        // Reference with an exact-ish sum: compensated by summing in f64 in two halves is not
        // needed; the bound has ample room over f64 rounding of the reference for these sizes.
        let want = exact(w, x);
        for q in 0..w.nrows() {
            let sum_abs: f64 = w.row(q).iter().map(|v| v.abs()).sum();
            let slack = gamma(w.ncols() + 1, U64) * sum_abs;
            let bound = iw.error_bound(q);
            for i in 0..x.ncols() {
                let err = (out[[q, i]] - want[[q, i]]).abs();
                assert!(
                    err <= bound + slack,
                    "q {q} i {i}: error {err} above bound {bound} (+{slack})"
                );
            }
        }
        // Portable and VNNI paths agree bit for bit.
        let bits_per = |vnni: bool| -> Vec<i64> { digit_sums(&p, &iw, 0..p.words_per_row(), vnni) };
        if vnni_enabled() {
            assert_eq!(bits_per(true), bits_per(false));
        }
        (iw, out)
    }

    #[test]
    fn split_code_covers_the_range() {
        for c in [
            -CODE_MAX, -32768, -129, -128, -1, 0, 1, 127, 128, 255, 256, CODE_MAX,
        ] {
            let (lo, hi) = split_code(c);
            assert_eq!(256 * hi as i32 + lo as i32, c);
        }
    }

    #[test]
    fn digit_packing_is_the_same_with_and_without_simd() {
        let mut rng = Rng::new(4);
        let book: Vec<u32> = (0..300).map(|_| rng.next_u64() as u32 & 0xffff).collect();
        for _ in 0..50 {
            let index: Vec<i32> = (0..16).map(|_| rng.below(300) as i32 - 7).collect();
            let mut plain = [0i32; 8];
            assert!(!quad_digits(&index, 7, &book, &mut plain));
            for (gi, four) in index.chunks(4).enumerate() {
                for (j, &i) in four.iter().enumerate() {
                    let e = book[(i + 7) as usize];
                    assert_eq!((plain[2 * gi] >> (8 * j)) & 0xff, (e & 0xff) as i32);
                    assert_eq!((plain[2 * gi + 1] as u32 >> (8 * j)) & 0xff, e >> 8);
                }
            }
            #[cfg(target_arch = "x86_64")]
            if vnni_enabled() {
                let mut fast = [0i32; 8];
                assert!(!unsafe { x86::quad_digits(&index, 7, &book, &mut fast) });
                assert_eq!(fast, plain);
            }
        }
    }

    #[test]
    fn interleave_matches_pdep() {
        let mut rng = Rng::new(3);
        for _ in 0..100 {
            let v: Vec<u64> = (0..4).map(|_| rng.next_u64() & 0xffff).collect();
            let z = interleave4(v[0], v[1], v[2], v[3]);
            for l in 0..16 {
                for (j, x) in v.iter().enumerate() {
                    assert_eq!((z >> (4 * l + j)) & 1, (x >> l) & 1);
                }
            }
            #[cfg(target_arch = "x86_64")]
            if vnni_enabled() {
                assert_eq!(unsafe { x86::interleave4(v[0], v[1], v[2], v[3]) }, z);
            }
        }
    }

    #[test]
    fn integer_weights_are_exact_on_odd_shapes() {
        let mut rng = Rng::new(11);
        for (k, n, q) in [
            (1usize, 1usize, 1usize),
            (3, 63, 2),
            (5, 65, 7),
            (130, 100, 13),
            (517, 257, 70),
            (1001, 130, 9),
        ] {
            let x = crate::pattern::random_bipolar(k, n, (k * 7 + n) as u64);
            let w = Array2::from_shape_simple_fn((q, k), || (rng.below(60001) as f64) - 30000.0);
            let (iw, out) = check(&w, &x);
            assert_eq!(out, exact(&w, &x));
            for qi in 0..q {
                assert_eq!(iw.error_bound(qi), 0.0, "{k} {n} {q}");
                assert_eq!(iw.outliers(qi), 0);
            }
        }
    }

    #[test]
    fn wide_integers_use_outliers_and_stay_exact() {
        // Cubic-memory weights 3 m^2 + 4 reach 3.1e6 at |m| = N = 1024: a few rows are outliers.
        let mut rng = Rng::new(12);
        let (k, n, q) = (2000usize, 200usize, 5usize);
        let x = crate::pattern::random_bipolar(k, n, 5);
        let w = Array2::from_shape_fn((q, k), |(qi, mu)| {
            let m = if mu == qi {
                1000
            } else {
                (rng.normal() * 32.0) as i64
            };
            (3 * m * m + 4) as f64
        });
        let (iw, out) = check(&w, &x);
        assert_eq!(out, exact(&w, &x));
        for qi in 0..q {
            // Only the f64 additions of the outliers are bounded (they are exact here).
            let sum_abs: f64 = w.row(qi).sum();
            assert!(iw.error_bound(qi) <= 1e-12 * sum_abs);
            assert_eq!(iw.exponent(qi), 0);
            assert!(iw.outliers(qi) >= 1 && iw.outliers(qi) <= IntWeights::outlier_budget(k));
        }
    }

    #[test]
    fn real_weights_with_large_dynamic_range_are_within_the_bound() {
        let mut rng = Rng::new(13);
        for (k, n, q) in [(7usize, 65usize, 3usize), (300, 130, 9), (1234, 191, 17)] {
            let x = crate::pattern::random_bipolar(k, n, (k + n) as u64);
            let w = Array2::from_shape_simple_fn((q, k), || {
                rng.normal() * 10f64.powi(rng.below(13) as i32 - 6)
            });
            let (iw, _) = check(&w, &x);
            for qi in 0..q {
                let sum_abs: f64 = w.row(qi).iter().map(|v| v.abs()).sum();
                // The bound is a small fraction of the weights' mass.
                assert!(iw.error_bound(qi) <= 1e-3 * sum_abs);
            }
        }
        // All-zero, tiny, subnormal and huge weights.
        let x = crate::pattern::random_bipolar(9, 70, 1);
        check(&Array2::zeros((2, 9)), &x);
        check(&Array2::from_elem((2, 9), 1e-300), &x);
        let extreme = ndarray::array![
            [1e306, -3e305, 1.0, 5e-324, 2.5, 1e-310, -7.0, 1e300, 0.0],
            [1e-320, 2e-320, -3e-320, 1e-310, 4e-310, 0.0, 5e-324, 1e-315, 1e-318],
        ];
        let (iw, _) = check(&extreme, &x);
        assert!(iw.outliers(0) >= 2);
        // Subnormals need 2^1074 to be integers: within the budget they all stay in f64.
        assert_eq!(iw.outliers(1), 8);
    }

    #[test]
    fn table_form_equals_the_dense_form() {
        let mut rng = Rng::new(14);
        let (k, q, t) = (700usize, 6usize, 41usize);
        let table: Vec<f64> = (0..t).map(|_| rng.below(20001) as f64 - 10000.0).collect();
        let index = Array2::from_shape_simple_fn((q, k), || rng.below(t) as i32 - 20);
        let shared = ndarray::Array1::from(table.clone());
        let shared = shared.view().insert_axis(ndarray::Axis(0));
        let a =
            IntWeights::from_table(shared.broadcast((q, t)).unwrap(), index.view(), 20).unwrap();
        let dense = index.mapv(|j| table[(j + 20) as usize]);
        let b = IntWeights::new(dense.view()).unwrap();
        assert_eq!(a.digits, b.digits);
        let x = PackedBits::from_bipolar(crate::pattern::random_bipolar(k, 77, 2).view()).unwrap();
        let (mut ha, mut hb) = (Array2::zeros((q, 77)), Array2::zeros((q, 77)));
        x.signed_projection_int(&a, ha.view_mut()).unwrap();
        x.signed_projection_int(&b, hb.view_mut()).unwrap();
        assert_eq!(ha, hb);
    }

    #[test]
    fn bad_inputs_are_errors() {
        let w = ndarray::array![[1.0, f64::NAN]];
        assert!(matches!(
            IntWeights::new(w.view()),
            Err(Error::NonFinite { .. })
        ));
        let x = PackedBits::minus_ones(3, 10);
        let w = IntWeights::new(Array2::<f64>::zeros((1, 2)).view()).unwrap();
        let mut out = Array2::zeros((1, 10));
        assert!(x.signed_projection_int(&w, out.view_mut()).is_err());
        let table = Array2::<f64>::zeros((1, 4));
        let index = ndarray::array![[0i32, 4]];
        assert!(IntWeights::from_table(table.view(), index.view(), 0).is_err());
        assert!(IntWeights::from_table(table.view(), index.view(), -1).is_err());
    }
}
