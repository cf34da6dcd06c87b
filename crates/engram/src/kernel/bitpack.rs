//! Bit-packed bipolar matrices: one bit per ±1 entry, overlaps by XOR + popcount, and the
//! "signed projection" `h = Σ_μ w_μ ξ_μ` through subset-sum tables.
//!
//! # Layout
//! A [`PackedBits`] holds a `(rows, bits)` matrix of ±1 values. Row `r` occupies
//! `words_per_row = ceil(bits / 64)` consecutive `u64` words; column `c` is bit `c % 64` of word
//! `c / 64`, and a set bit means `+1`, a clear bit `-1`. The padding bits of the last word of a
//! row (columns `bits..64 * words_per_row`) are always zero, so that XOR-ing two rows never sets
//! them. A `(K, N)` pattern matrix therefore takes `K * ceil(N / 64) * 8` bytes: 32 times less
//! than `f32` up to the padding of each row to 64 bits.
//!
//! # Overlaps
//! For ±1 vectors `a, b` of length `N` the dot product is `a·b = N - 2 * popcount(a XOR b)`.
//! [`PackedBits::overlaps`] computes it for every pair (state, row) with one of four kernels,
//! chosen once at run time ([`BitKernel::detect`]):
//! * [`BitKernel::Avx512`]: `vpopcntq` (AVX-512 VPOPCNTDQ), eight words per instruction, eight
//!   rows per pass reduced together by a shuffle tree; inline assembly, so no compiler support
//!   for AVX-512 target features is needed;
//! * [`BitKernel::Avx2`]: the nibble-lookup popcount of Muła, Kurz & Lemire ("Faster population
//!   counts using AVX2 instructions", 2018): `vpshufb` counts each nibble, `vpsadbw` sums the
//!   bytes, four rows at a time share one horizontal reduction;
//! * [`BitKernel::Popcnt`]: one `popcnt` instruction per word;
//! * [`BitKernel::Portable`]: `u64::count_ones` compiled for the baseline target.
//!
//! All of them return identical integers. Rows are scored in tiles of 16 KiB against every
//! state in turn, so the pattern matrix is read from memory once per call. Setting
//! `ENGRAM_SIMD=scalar` forces the portable kernel, `ENGRAM_SIMD=avx2` stops at AVX2.
//!
//! # Signed projection
//! [`PackedBits::signed_projection`] computes, for each of `Q` weight vectors `w_q` over the rows,
//! `h_qi = Σ_μ w_qμ ξ_μi` for every column `i` (a `(Q, K) · (K, N)` product whose right factor
//! is ±1), without ever unpacking the matrix. It uses the method of the four Russians: rows are
//! taken eight at a time (a *chunk*); for each chunk and each group of eight queries a table of
//! all 256 signed sums `Σ_{j<8} ±w_{q,8c+j}` is built (255 additions, eight queries per AVX2
//! register), and column `i`'s eight bits in the chunk index that table. One 32-byte table load
//! thus performs 64 multiply-adds (8 rows x 8 queries); with AVX-512, two groups' tables are
//! interleaved into 64-byte entries and one load performs 128. The column bytes of a chunk come
//! from an 8 x 64 bit transpose done on the fly, so the matrix stays packed (32x smaller) and
//! the working set stays in cache. Partial sums are kept in `f32` for [`PROJECTION_BLOCK`] rows
//! and then added into `f64`; the rounding error is bounded by
//! [`PackedBits::projection_error_bound`], and every path (portable, AVX2, AVX-512, any thread
//! count) performs the same additions in the same order, so all give the same bits.
//!
//! [`PackedBits::signed_projection_gemm`] does the same product by unpacking 256 rows at a time
//! into an `f32` ±1 scratch block and calling [`crate::kernel::matmul`]; it exists to compare
//! against (see `docs/packed.md`).

use std::sync::OnceLock;

use ndarray::{s, Array2, ArrayView2, ArrayViewMut2};
use rayon::prelude::*;

use crate::error::{Error, Result};
use crate::kernel::matmul::matmul_into;

/// Rows per subset-sum table in [`PackedBits::signed_projection`].
const CHUNK: usize = 8;
/// Queries per table entry (one AVX2 register of `f32`).
const LANES: usize = 8;
/// Chunks whose table entries are summed in `f32` before the sum is added into `f64`.
const BLOCK_CHUNKS: usize = 32;
/// Chunks whose tables one pass of the AVX2 lookup uses over all columns.
const PASS: usize = 4;
/// Rows summed in `f32` before a partial sum of [`PackedBits::signed_projection`] is added into
/// its `f64` accumulator.
pub const PROJECTION_BLOCK: usize = CHUNK * BLOCK_CHUNKS;
/// The most `f32` roundings any weight passes through in [`PackedBits::signed_projection`]:
/// 7 to sum a chunk's weights, 8 to flip signs bit by bit, and `BLOCK_CHUNKS` to sum a block.
pub const PROJECTION_ROUNDINGS: usize = 2 * CHUNK - 1 + BLOCK_CHUNKS;
/// Rows per unpacked block (and per `gemm` call) in [`PackedBits::signed_projection_gemm`].
pub const GEMM_PROJECTION_BLOCK: usize = 256;

/// The unit roundoff of `f32`, `2^-24`.
const U32: f64 = 1.0 / 16_777_216.0;
/// The unit roundoff of `f64`, `2^-53`.
const U64: f64 = f64::EPSILON / 2.0;

/// `γ_n = n u / (1 - n u)`: the relative error bound of a sum of `n + 1` terms with unit
/// roundoff `u` (Higham, "Accuracy and Stability of Numerical Algorithms", §3.1).
pub fn gamma(n: usize, unit_roundoff: f64) -> f64 {
    let nu = n as f64 * unit_roundoff;
    assert!(
        nu < 0.5,
        "gamma: too many roundings for the bound to be meaningful"
    );
    nu / (1.0 - nu)
}

/// The popcount kernel used by [`PackedBits::overlaps`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BitKernel {
    /// `u64::count_ones` compiled for the baseline target (no special instructions).
    Portable,
    /// The `popcnt` instruction, one word at a time.
    Popcnt,
    /// AVX2 nibble-lookup popcount (`vpshufb` + `vpsadbw`), four words per instruction.
    Avx2,
    /// AVX-512 `vpopcntq` (the VPOPCNTDQ extension), eight words per instruction. Written as
    /// inline assembly, so it needs no compiler support for AVX-512 target features.
    Avx512,
}

impl BitKernel {
    /// A short name for reports: `"portable"`, `"popcnt"` or `"avx2"`.
    pub fn name(self) -> &'static str {
        match self {
            BitKernel::Portable => "portable",
            BitKernel::Popcnt => "popcnt",
            BitKernel::Avx2 => "avx2",
            BitKernel::Avx512 => "avx512",
        }
    }

    /// Whether this CPU can run the kernel.
    pub fn available(self) -> bool {
        match self {
            BitKernel::Portable => true,
            #[cfg(target_arch = "x86_64")]
            BitKernel::Popcnt => is_x86_feature_detected!("popcnt"),
            #[cfg(target_arch = "x86_64")]
            BitKernel::Avx2 => {
                is_x86_feature_detected!("avx2") && is_x86_feature_detected!("popcnt")
            }
            #[cfg(target_arch = "x86_64")]
            BitKernel::Avx512 => {
                BitKernel::Avx2.available()
                    && is_x86_feature_detected!("avx512f")
                    && is_x86_feature_detected!("avx512vpopcntdq")
            }
            #[cfg(not(target_arch = "x86_64"))]
            _ => false,
        }
    }

    /// The kernel engram uses, detected on the first call and cached: AVX-512 `vpopcntq`
    /// where available, else AVX2, else `popcnt`, else portable. The environment variable
    /// `ENGRAM_SIMD` caps the choice: `scalar` forces the portable kernel, `avx2` stops at AVX2.
    pub fn detect() -> BitKernel {
        static KERNEL: OnceLock<BitKernel> = OnceLock::new();
        *KERNEL.get_or_init(|| {
            let cap = std::env::var("ENGRAM_SIMD").unwrap_or_default();
            if cap == "scalar" {
                BitKernel::Portable
            } else if cap != "avx2" && BitKernel::Avx512.available() {
                BitKernel::Avx512
            } else if BitKernel::Avx2.available() {
                BitKernel::Avx2
            } else if BitKernel::Popcnt.available() {
                BitKernel::Popcnt
            } else {
                BitKernel::Portable
            }
        })
    }
}

/// Whether the AVX2 subset-sum projection can run on this CPU (and is not disabled by
/// `ENGRAM_SIMD=scalar`).
fn projection_uses_avx2() -> bool {
    matches!(BitKernel::detect(), BitKernel::Avx2 | BitKernel::Avx512)
}

/// A `(rows, bits)` matrix of ±1 values stored one bit per entry (bit set = `+1`).
///
/// See the [module documentation](self) for the layout. The padding bits past `bits` in each row
/// are kept zero by every constructor and mutator.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PackedBits {
    rows: usize,
    bits: usize,
    words: usize,
    data: Vec<u64>,
}

impl PackedBits {
    /// A `(rows, bits)` matrix with every entry `-1` (all bits clear).
    pub fn minus_ones(rows: usize, bits: usize) -> Self {
        let words = bits.div_ceil(64);
        PackedBits {
            rows,
            bits,
            words,
            data: vec![0; rows * words],
        }
    }

    /// Packs a `(rows, bits)` array whose entries are all exactly `+1.0` or `-1.0`.
    ///
    /// # Errors
    /// [`Error::NonFinite`] for a NaN or infinite entry, [`Error::State`] for any other value
    /// that is not ±1 (both name the flat index of the first offending entry).
    pub fn from_bipolar(values: ArrayView2<f32>) -> Result<Self> {
        let (rows, bits) = values.dim();
        let mut packed = PackedBits::minus_ones(rows, bits);
        for (r, row) in values.outer_iter().enumerate() {
            let words = &mut packed.data[r * packed.words..(r + 1) * packed.words];
            for (c, &v) in row.iter().enumerate() {
                if v == 1.0 {
                    words[c / 64] |= 1 << (c % 64);
                } else if v != -1.0 {
                    return Err(not_bipolar(r * bits + c, v));
                }
            }
        }
        Ok(packed)
    }

    /// Packs one ±1 vector as a single-row matrix (errors as [`PackedBits::from_bipolar`]).
    pub fn from_bipolar_slice(values: &[f32]) -> Result<Self> {
        let mut packed = PackedBits::minus_ones(1, values.len());
        for (c, &v) in values.iter().enumerate() {
            if v == 1.0 {
                packed.data[c / 64] |= 1 << (c % 64);
            } else if v != -1.0 {
                return Err(not_bipolar(c, v));
            }
        }
        Ok(packed)
    }

    /// The matrix as `f32` ±1 values, shape `(rows, bits)`.
    pub fn to_bipolar(&self) -> Array2<f32> {
        let mut out = Array2::<f32>::zeros((self.rows, self.bits));
        for (r, mut row) in out.outer_iter_mut().enumerate() {
            let words = self.row(r);
            for (c, v) in row.iter_mut().enumerate() {
                *v = if (words[c / 64] >> (c % 64)) & 1 == 1 {
                    1.0
                } else {
                    -1.0
                };
            }
        }
        out
    }

    /// Writes row `r` as ±1 values into `out` (length `bits`).
    ///
    /// # Panics
    /// Panics if `r >= rows` or `out.len() != bits`.
    pub fn unpack_row_into(&self, r: usize, out: &mut [f32]) {
        assert_eq!(out.len(), self.bits, "unpack_row_into: output length");
        let words = self.row(r);
        for (c, v) in out.iter_mut().enumerate() {
            *v = if (words[c / 64] >> (c % 64)) & 1 == 1 {
                1.0
            } else {
                -1.0
            };
        }
    }

    /// Number of rows.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Number of columns (bits per row, without padding).
    pub fn bits(&self) -> usize {
        self.bits
    }

    /// Words per row, `ceil(bits / 64)`.
    pub fn words_per_row(&self) -> usize {
        self.words
    }

    /// All words, row after row (`rows * words_per_row` of them).
    pub fn words(&self) -> &[u64] {
        &self.data
    }

    /// The words of row `r`.
    ///
    /// # Panics
    /// Panics if `r >= rows`.
    pub fn row(&self, r: usize) -> &[u64] {
        assert!(r < self.rows, "row {r} out of range ({} rows)", self.rows);
        &self.data[r * self.words..(r + 1) * self.words]
    }

    /// Whether entry `(r, c)` is `+1`.
    ///
    /// # Panics
    /// Panics if `r` or `c` is out of range.
    #[inline]
    pub fn get(&self, r: usize, c: usize) -> bool {
        assert!(
            c < self.bits,
            "column {c} out of range ({} bits)",
            self.bits
        );
        (self.row(r)[c / 64] >> (c % 64)) & 1 == 1
    }

    /// Entry `(r, c)` as `+1.0` or `-1.0`.
    #[inline]
    pub fn value(&self, r: usize, c: usize) -> f32 {
        if self.get(r, c) {
            1.0
        } else {
            -1.0
        }
    }

    /// Sets entry `(r, c)` to `+1` (`plus = true`) or `-1`.
    ///
    /// # Panics
    /// Panics if `r` or `c` is out of range.
    #[inline]
    pub fn set(&mut self, r: usize, c: usize, plus: bool) {
        assert!(
            r < self.rows && c < self.bits,
            "entry ({r}, {c}) out of range"
        );
        let word = &mut self.data[r * self.words + c / 64];
        if plus {
            *word |= 1 << (c % 64);
        } else {
            *word &= !(1 << (c % 64));
        }
    }

    /// Bytes held by the bit matrix itself: `rows * words_per_row * 8`.
    pub fn memory_bytes(&self) -> usize {
        self.data.len() * std::mem::size_of::<u64>()
    }

    /// The transposed matrix, shape `(bits, rows)`: row `i` of the result holds column `i` of
    /// `self` as `ceil(rows / 64)` words. Built eight rows at a time with the 8 x 64 bit
    /// transpose of the projection, in `O(rows * bits / 8)` byte moves.
    pub fn transpose(&self) -> PackedBits {
        let mut out = PackedBits::minus_ones(self.bits, self.rows);
        if self.rows == 0 || self.bits == 0 {
            return out;
        }
        let span = self.words * 64;
        let mut bytes = vec![0u8; span];
        let avx2 = projection_uses_avx2();
        let out_words = out.words;
        for chunk in 0..self.rows.div_ceil(CHUNK) {
            self.chunk_column_bytes(chunk, 0..self.words, &mut bytes, avx2);
            // Byte `chunk` of output row i = rows 8 chunk .. 8 chunk + 8 at column i (rows past
            // the end read as -1, i.e. clear bits, which keeps the padding clear).
            let (w, shift) = (chunk / 8, 8 * (chunk % 8));
            for (i, &b) in bytes[..self.bits].iter().enumerate() {
                out.data[i * out_words + w] |= (b as u64) << shift;
            }
        }
        out
    }

    /// Column `c` of every row as ±1 integers, written into `out` (length `rows`).
    ///
    /// # Panics
    /// Panics if `c >= bits` or `out.len() != rows`.
    pub fn column_into(&self, c: usize, out: &mut [i8]) {
        assert!(
            c < self.bits,
            "column {c} out of range ({} bits)",
            self.bits
        );
        assert_eq!(out.len(), self.rows, "column_into: output length");
        let (w, b) = (c / 64, c % 64);
        for (r, v) in out.iter_mut().enumerate() {
            *v = (((self.data[r * self.words + w] >> b) & 1) as i8) * 2 - 1;
        }
    }

    /// The overlap (dot product) of every row of `states` with every row of `self`:
    /// `m[q, μ] = Σ_i s_qi ξ_μi = bits - 2 popcount(s_q XOR ξ_μ)`, shape `(states.rows, rows)`.
    ///
    /// Runs on engram's thread pool for large problems, with the kernel of [`BitKernel::detect`].
    ///
    /// # Errors
    /// [`Error::Shape`] if `states` has a different number of bits.
    pub fn overlaps(&self, states: &PackedBits) -> Result<Array2<i32>> {
        self.overlaps_with(states, BitKernel::detect())
    }

    /// [`PackedBits::overlaps`] with a chosen kernel (for benchmarks and cross-checks).
    ///
    /// # Errors
    /// [`Error::Shape`] on a bit-count mismatch, [`Error::Unsupported`] if this CPU cannot run
    /// `kernel`.
    pub fn overlaps_with(&self, states: &PackedBits, kernel: BitKernel) -> Result<Array2<i32>> {
        if states.bits != self.bits {
            return Err(Error::shape("state bits", self.bits, states.bits));
        }
        if !kernel.available() {
            return Err(Error::Unsupported(format!(
                "the {} popcount kernel is not available on this CPU",
                kernel.name()
            )));
        }
        let mut out = Array2::<i32>::zeros((states.rows, self.rows));
        if states.rows == 0 || self.rows == 0 {
            return Ok(out);
        }
        // Tasks own blocks of rows (columns of `out`); within a task, tiles of rows small
        // enough to stay in L1 (16 KiB) are scored against every state in turn, so each row is
        // read from memory once per call rather than once per state.
        let tile_rows = (16_384 / (8 * self.words.max(1))).clamp(4, 1024);
        let threads = rayon::current_num_threads();
        let work = states.rows * self.rows * self.words;
        let block_rows = if work >= 1 << 16 && threads > 1 {
            self.rows.div_ceil(4 * threads).div_ceil(tile_rows) * tile_rows
        } else {
            self.rows
        };
        let task = |(b, mut view): (usize, ndarray::ArrayViewMut2<i32>)| {
            let first = b * block_rows;
            let len = view.ncols();
            for t0 in (0..len).step_by(tile_rows) {
                let t1 = (t0 + tile_rows).min(len);
                for (q, mut row) in view.outer_iter_mut().enumerate() {
                    let row = row.as_slice_mut().expect("rows of a standard array");
                    self.overlap_rows(kernel, states.row(q), first + t0, &mut row[t0..t1]);
                }
            }
        };
        let blocks = out.axis_chunks_iter_mut(ndarray::Axis(1), block_rows);
        if block_rows < self.rows {
            blocks.into_par_iter().enumerate().for_each(task);
        } else {
            blocks.enumerate().for_each(task);
        }
        Ok(out)
    }

    /// Overlaps of one packed `state` (a row of `words_per_row` words, padding clear) with rows
    /// `first..first + out.len()`, written into `out`; single-threaded.
    ///
    /// # Panics
    /// Panics if `state` has the wrong length or the rows are out of range.
    pub fn overlap_rows(&self, kernel: BitKernel, state: &[u64], first: usize, out: &mut [i32]) {
        assert_eq!(state.len(), self.words, "overlap_rows: state length");
        assert!(
            first + out.len() <= self.rows,
            "overlap_rows: rows out of range"
        );
        let rows = &self.data[first * self.words..(first + out.len()) * self.words];
        let n = self.bits as i32;
        match kernel {
            #[cfg(target_arch = "x86_64")]
            BitKernel::Avx512 if kernel.available() => {
                // SAFETY: `available()` confirmed AVX2, POPCNT, AVX-512F and VPOPCNTDQ (with
                // the operating system's support for the 512-bit state).
                unsafe { x86::xor_popcount_avx512(state, rows, self.words, out) }
            }
            #[cfg(target_arch = "x86_64")]
            BitKernel::Avx2 if kernel.available() => {
                // SAFETY: `available()` confirmed AVX2 and POPCNT on this CPU; the slices
                // have the lengths the kernel expects (checked above).
                unsafe { x86::xor_popcount_avx2(state, rows, self.words, out) }
            }
            #[cfg(target_arch = "x86_64")]
            BitKernel::Popcnt | BitKernel::Avx2 if kernel.available() => {
                // SAFETY: `available()` confirmed POPCNT on this CPU.
                unsafe { x86::xor_popcount_popcnt(state, rows, self.words, out) }
            }
            _ => portable::xor_popcount(state, rows, self.words, out),
        }
        for m in out.iter_mut() {
            *m = n - 2 * *m;
        }
    }

    /// The signed projection `out[q, i] = Σ_μ weights[q, μ] ξ_μi`, shape `(Q, bits)`, for
    /// `weights` of shape `(Q, rows)`, through subset-sum tables (see the
    /// [module documentation](self)).
    ///
    /// The result is within [`PackedBits::projection_error_bound`]`(Σ_μ |weights[q, μ]|)` of the
    /// exact value for every `q, i`, and it is bitwise the same on every thread count and with or
    /// without AVX2. Integer weights with `|w| <= 2^16` give the exact result: every `f32`
    /// partial sum is then an integer of magnitude at most `PROJECTION_BLOCK * 2^16 = 2^24`.
    ///
    /// # Panics
    /// Panics if the shapes disagree, or if a weight is not finite.
    pub fn signed_projection(&self, weights: ArrayView2<f32>, out: ArrayViewMut2<f64>) {
        assert_eq!(
            weights.ncols(),
            self.rows,
            "signed_projection: weights columns"
        );
        self.signed_projection_lanes(&LaneWeights::from_array(weights), out);
    }

    /// [`PackedBits::signed_projection`] with weights already in the interleaved layout the
    /// kernel reads (saves a copy when the caller can produce them that way).
    ///
    /// # Panics
    /// Panics if the shapes disagree, or if a weight is not finite.
    pub fn signed_projection_lanes(&self, weights: &LaneWeights, mut out: ArrayViewMut2<f64>) {
        let q_count = weights.queries;
        assert_eq!(weights.rows, self.rows, "signed_projection: weights rows");
        assert_eq!(
            out.dim(),
            (q_count, self.bits),
            "signed_projection: output shape"
        );
        assert!(
            weights.data.iter().all(|w| w.is_finite()),
            "signed_projection: weights must be finite"
        );
        if q_count == 0 || self.bits == 0 {
            return;
        }
        if self.rows == 0 {
            out.fill(0.0);
            return;
        }
        let groups = q_count.div_ceil(LANES);
        let padded_rows = weights.padded_rows;
        let lanes = &weights.data[..];
        // Tasks: ranges of groups x ranges of words (columns), enough for every thread.
        let threads = rayon::current_num_threads();
        let work = groups * padded_rows * self.bits;
        let tasks_wanted = if work >= 1 << 20 { threads } else { 1 };
        let group_split = groups.min(tasks_wanted);
        let word_split = tasks_wanted
            .div_ceil(group_split)
            .min(self.words.div_ceil(4))
            .max(1);
        let words_per_task = self.words.div_ceil(word_split).div_ceil(4) * 4;
        let groups_per_task = groups.div_ceil(group_split);
        let mut tasks = Vec::new();
        for g0 in (0..groups).step_by(groups_per_task) {
            for w0 in (0..self.words).step_by(words_per_task) {
                tasks.push((
                    g0..(g0 + groups_per_task).min(groups),
                    w0..(w0 + words_per_task).min(self.words),
                ));
            }
        }
        let results: Vec<Vec<f64>> = if tasks.len() > 1 {
            tasks
                .par_iter()
                .map(|(g, w)| self.project_task(lanes, padded_rows, g.clone(), w.clone()))
                .collect()
        } else {
            tasks
                .iter()
                .map(|(g, w)| self.project_task(lanes, padded_rows, g.clone(), w.clone()))
                .collect()
        };
        for ((groups, words), acc) in tasks.iter().zip(results) {
            let first_col = words.start * 64;
            let cols = (words.end * 64).min(self.bits) - first_col;
            for (gi, g) in groups.clone().enumerate() {
                for l in 0..LANES {
                    let q = g * LANES + l;
                    if q >= q_count {
                        break;
                    }
                    let mut row = out.row_mut(q);
                    for i in 0..cols {
                        row[first_col + i] = acc[(gi * cols + i) * LANES + l];
                    }
                }
            }
        }
    }

    /// One task of the projection: query groups `groups` for columns of words `words`. Returns
    /// the `f64` sums laid out as `[group][column][lane]`.
    fn project_task(
        &self,
        lanes: &[f32],
        padded_rows: usize,
        groups: std::ops::Range<usize>,
        words: std::ops::Range<usize>,
    ) -> Vec<f64> {
        let first_col = words.start * 64;
        let cols = (words.end * 64).min(self.bits) - first_col;
        let span = (words.end - words.start) * 64;
        let mut acc = vec![0.0f64; groups.len() * cols * LANES];
        SCRATCH.with_borrow_mut(|scratch| {
            let (bytes, index, tables, sums) = scratch.get(span, cols);
            self.project_blocks(
                lanes,
                padded_rows,
                &groups,
                &words,
                bytes,
                index,
                tables,
                sums,
                &mut acc,
            );
        });
        acc
    }

    /// The body of [`PackedBits::project_task`], on scratch buffers: block by block, the column
    /// offsets of the block's chunks, then for each group its tables and lookups.
    #[allow(clippy::too_many_arguments)]
    fn project_blocks(
        &self,
        lanes: &[f32],
        padded_rows: usize,
        groups: &std::ops::Range<usize>,
        words: &std::ops::Range<usize>,
        bytes: &mut [u8],
        index: &mut [u16],
        tables: &mut [f32],
        sums: &mut [f32],
        acc: &mut [f64],
    ) {
        let first_col = words.start * 64;
        let cols = (words.end * 64).min(self.bits) - first_col;
        let span = (words.end - words.start) * 64;
        let chunks = padded_rows / CHUNK;
        let avx2 = projection_uses_avx2();
        let avx512 = BitKernel::detect() == BitKernel::Avx512;
        for first_chunk in (0..chunks).step_by(BLOCK_CHUNKS) {
            let block = BLOCK_CHUNKS.min(chunks - first_chunk);
            for c in 0..block {
                self.chunk_column_bytes(first_chunk + c, words.clone(), bytes, avx2);
                // Table offsets (in f32 units) of each column's entry.
                for (o, &b) in index[c * span..(c + 1) * span].iter_mut().zip(bytes.iter()) {
                    *o = b as u16 * LANES as u16;
                }
            }
            let mut gi = 0;
            #[cfg(target_arch = "x86_64")]
            if avx512 {
                // Two groups at a time: their tables interleaved into 16-lane entries, one
                // 64-byte load per lookup.
                while gi + 2 <= groups.len() {
                    let g = groups.start + gi;
                    let w0 = &lanes[(g * padded_rows + first_chunk * CHUNK) * LANES..];
                    let w1 = &lanes[((g + 1) * padded_rows + first_chunk * CHUNK) * LANES..];
                    let (acc0, acc1) =
                        acc[gi * cols * LANES..(gi + 2) * cols * LANES].split_at_mut(cols * LANES);
                    let t = &mut tables[..];
                    // SAFETY: AVX-512F (and AVX2) were detected; the buffers have the sizes
                    // the kernels assert.
                    unsafe {
                        x86::build_tables(w0, block, t, 2 * LANES, 0);
                        x86::build_tables(w1, block, t, 2 * LANES, LANES);
                        x86::lookup_block_pair(t, index, span, block, cols, acc0, acc1, sums);
                    }
                    gi += 2;
                }
            }
            let _ = avx512;
            while gi < groups.len() {
                let g = groups.start + gi;
                let w = &lanes[(g * padded_rows + first_chunk * CHUNK) * LANES..];
                let acc = &mut acc[gi * cols * LANES..(gi + 1) * cols * LANES];
                gi += 1;
                #[cfg(target_arch = "x86_64")]
                if avx2 {
                    // SAFETY: `projection_uses_avx2` confirmed AVX2; `w` holds `block` chunks
                    // of `CHUNK * LANES` weights, `tables` room for `block` tables, `index`
                    // `block` rows of `span >= cols` offsets and `acc` `cols * LANES` sums.
                    unsafe {
                        x86::build_tables(w, block, tables, LANES, 0);
                        x86::lookup_block(tables, index, span, block, cols, acc, sums);
                    }
                    continue;
                }
                portable::build_tables(w, block, tables);
                portable::lookup_block(tables, index, span, block, cols, acc);
            }
        }
    }

    /// The column bytes of chunk `chunk` (rows `8 chunk .. 8 chunk + 8`) for the columns of
    /// `words`: byte `i` of `out` has bit `j` set iff row `8 chunk + j` is `+1` at column
    /// `64 words.start + i`. Rows past the end read as `-1`.
    fn chunk_column_bytes(
        &self,
        chunk: usize,
        words: std::ops::Range<usize>,
        out: &mut [u8],
        avx2: bool,
    ) {
        let mut rows = [&[] as &[u64]; CHUNK];
        let zero = if (chunk + 1) * CHUNK > self.rows {
            vec![0u64; self.words]
        } else {
            Vec::new()
        };
        for (j, r) in rows.iter_mut().enumerate() {
            let row = chunk * CHUNK + j;
            *r = if row < self.rows {
                &self.data[row * self.words..(row + 1) * self.words]
            } else {
                &zero
            };
        }
        let mut w = words.start;
        #[cfg(target_arch = "x86_64")]
        if avx2 {
            while w + 4 <= words.end {
                let o = &mut out[(w - words.start) * 64..(w - words.start + 4) * 64];
                // SAFETY: AVX2 was detected by the caller; every row has at least `w + 4`
                // words and `o` holds 256 bytes.
                unsafe { x86::transpose_4_words(&rows, w, o) };
                w += 4;
            }
        }
        let _ = avx2;
        while w < words.end {
            let mut x = [0u64; CHUNK];
            for (j, r) in rows.iter().enumerate() {
                x[j] = r[w];
            }
            let o = &mut out[(w - words.start) * 64..(w - words.start + 1) * 64];
            for (b, z) in transpose_8x64(x).iter().enumerate() {
                o[b * 8..b * 8 + 8].copy_from_slice(&z.to_le_bytes());
            }
            w += 1;
        }
    }

    /// A rigorous bound on `|signed_projection(w)[q, i] - Σ_μ w_qμ ξ_μi|` given
    /// `sum_abs = Σ_μ |w_qμ|` (Higham's `γ_n` bound for the `f32` roundings of
    /// [`PROJECTION_ROUNDINGS`] plus the `f64` accumulation, plus an allowance for `f32`
    /// underflow). Assumes `sum_abs` is below `f32::MAX / 2`.
    pub fn projection_error_bound(&self, sum_abs: f64) -> f64 {
        let blocks = self.rows.div_ceil(PROJECTION_BLOCK) + 1;
        (gamma(PROJECTION_ROUNDINGS, U32) + gamma(blocks, U64)) * sum_abs * (1.0 + 1e-12)
            + self.rows as f64 * 16.0 * f32::from_bits(1) as f64
    }

    /// The same product as [`PackedBits::signed_projection`], computed by unpacking
    /// [`GEMM_PROJECTION_BLOCK`] rows at a time into an `f32` ±1 block and multiplying with
    /// [`crate::kernel::matmul`]; each block's product is added into `f64`.
    ///
    /// Its error is within [`PackedBits::gemm_projection_error_bound`].
    ///
    /// # Panics
    /// Panics if the shapes disagree.
    pub fn signed_projection_gemm(&self, weights: ArrayView2<f32>, mut out: ArrayViewMut2<f64>) {
        let q_count = weights.nrows();
        assert_eq!(
            weights.ncols(),
            self.rows,
            "signed_projection_gemm: weights columns"
        );
        assert_eq!(
            out.dim(),
            (q_count, self.bits),
            "signed_projection_gemm: output shape"
        );
        out.fill(0.0);
        if q_count == 0 || self.bits == 0 || self.rows == 0 {
            return;
        }
        let block = GEMM_PROJECTION_BLOCK.min(self.rows);
        let mut scratch = Array2::<f32>::zeros((block, self.bits));
        let mut partial = Array2::<f32>::zeros((q_count, self.bits));
        for first in (0..self.rows).step_by(block) {
            let last = (first + block).min(self.rows);
            let mut x = scratch.slice_mut(s![..last - first, ..]);
            x.outer_iter_mut()
                .into_par_iter()
                .enumerate()
                .for_each(|(j, mut row)| {
                    self.unpack_row_into(first + j, row.as_slice_mut().expect("contiguous"))
                });
            matmul_into(
                weights.slice(s![.., first..last]),
                x.view(),
                partial.view_mut(),
            );
            out.zip_mut_with(&partial, |o, &p| *o += p as f64);
        }
    }

    /// The error bound of [`PackedBits::signed_projection_gemm`] given `sum_abs = Σ_μ |w_qμ|`.
    pub fn gemm_projection_error_bound(&self, sum_abs: f64) -> f64 {
        let blocks = self.rows.div_ceil(GEMM_PROJECTION_BLOCK) + 1;
        (gamma(GEMM_PROJECTION_BLOCK, U32) + gamma(blocks, U64)) * sum_abs * (1.0 + 1e-12)
            + self.rows as f64 * 16.0 * f32::from_bits(1) as f64
    }
}

/// `Σ_μ ±values[μ]`, with `+` where bit `μ` of `bits` is set and `-` where it is clear: the
/// dot product of a packed ±1 vector with `values`.
///
/// The sum is taken in `f64` in an unspecified order (several accumulators; AVX2 where
/// available), so it is within `γ_n Σ|values|` of the exact value (`n = values.len()`).
///
/// # Panics
/// Panics if `bits` holds fewer than `values.len()` bits.
pub fn signed_sum(bits: &[u64], values: &[f64]) -> f64 {
    assert!(bits.len() * 64 >= values.len(), "signed_sum: too few bits");
    #[cfg(target_arch = "x86_64")]
    if projection_uses_avx2() {
        // SAFETY: AVX2 was detected; the lengths were checked above.
        return unsafe { x86::signed_sum(bits, values) };
    }
    portable::signed_sum(bits, values)
}

/// `values[μ] += delta` where bit `μ` of `bits` is set and `values[μ] -= delta` where it is
/// clear: adds `delta` times a packed ±1 vector.
///
/// # Panics
/// Panics if `bits` holds fewer than `values.len()` bits.
pub fn add_signed(bits: &[u64], delta: i32, values: &mut [i32]) {
    assert!(bits.len() * 64 >= values.len(), "add_signed: too few bits");
    for (word, chunk) in bits.iter().zip(values.chunks_mut(64)) {
        for (j, v) in chunk.iter_mut().enumerate() {
            // +delta for a set bit, -delta for a clear one, without a branch.
            let set = ((word >> j) & 1) as i32;
            *v += (2 * set - 1) * delta;
        }
    }
}

/// Per-thread scratch of the projection (kept between calls so that repeated steps do not
/// map and fault in fresh pages): column bytes, column offsets, tables and running sums.
#[derive(Default)]
struct Scratch {
    bytes: Vec<u8>,
    index: Vec<u16>,
    tables: Vec<f32>,
    sums: Vec<f32>,
}

impl Scratch {
    /// Buffers sized for `span` columns (`cols` of them real); tables and sums have room for
    /// 16-lane entries, the tables starting on a 64-byte boundary.
    fn get(&mut self, span: usize, cols: usize) -> (&mut [u8], &mut [u16], &mut [f32], &mut [f32]) {
        let table_len = BLOCK_CHUNKS * 256 * 2 * LANES;
        self.bytes.resize(span, 0);
        self.index.resize(BLOCK_CHUNKS * span, 0);
        self.tables.resize(table_len + 16, 0.0);
        self.sums.resize(cols * 2 * LANES, 0.0);
        let skew = self.tables.as_ptr().align_offset(64).min(16);
        (
            &mut self.bytes[..span],
            &mut self.index[..BLOCK_CHUNKS * span],
            &mut self.tables[skew..skew + table_len],
            &mut self.sums[..cols * 2 * LANES],
        )
    }
}

thread_local! {
    static SCRATCH: std::cell::RefCell<Scratch> = std::cell::RefCell::new(Scratch::default());
}

/// Weights of [`PackedBits::signed_projection_lanes`] for `queries` weight vectors over `rows`
/// rows, interleaved as the kernel reads them: queries in groups of [`LaneWeights::LANES`], and
/// within a group, row by row, one value per query (`[group][row][lane]`). Rows are padded to a
/// multiple of 8 and the last group to a full group, with zeros.
#[derive(Clone, Debug, PartialEq)]
pub struct LaneWeights {
    queries: usize,
    rows: usize,
    padded_rows: usize,
    data: Vec<f32>,
}

impl LaneWeights {
    /// Queries per group (one AVX2 register of `f32`).
    pub const LANES: usize = LANES;

    /// All-zero weights for `queries` vectors over `rows` rows.
    pub fn zeros(queries: usize, rows: usize) -> Self {
        let padded_rows = rows.div_ceil(CHUNK) * CHUNK;
        LaneWeights {
            queries,
            rows,
            padded_rows,
            data: vec![0.0; queries.div_ceil(LANES) * padded_rows * LANES],
        }
    }

    /// The weights of a `(queries, rows)` array.
    pub fn from_array(weights: ArrayView2<f32>) -> Self {
        let mut out = LaneWeights::zeros(weights.nrows(), weights.ncols());
        for (q, row) in weights.outer_iter().enumerate() {
            for (mu, &w) in row.iter().enumerate() {
                out.set(q, mu, w);
            }
        }
        out
    }

    /// Sets every weight to zero (keeping the allocation).
    pub fn clear(&mut self) {
        self.data.fill(0.0);
    }

    /// Number of weight vectors (queries).
    pub fn queries(&self) -> usize {
        self.queries
    }

    /// Number of rows each vector weighs.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Sets the weight of row `mu` for query `q`.
    ///
    /// # Panics
    /// Panics if `q` or `mu` is out of range.
    pub fn set(&mut self, q: usize, mu: usize, w: f32) {
        assert!(
            q < self.queries && mu < self.rows,
            "weight ({q}, {mu}) out of range"
        );
        self.data[((q / LANES) * self.padded_rows + mu) * LANES + q % LANES] = w;
    }

    /// The weight of row `mu` for query `q`.
    ///
    /// # Panics
    /// Panics if `q` or `mu` is out of range.
    pub fn get(&self, q: usize, mu: usize) -> f32 {
        assert!(
            q < self.queries && mu < self.rows,
            "weight ({q}, {mu}) out of range"
        );
        self.data[((q / LANES) * self.padded_rows + mu) * LANES + q % LANES]
    }

    /// The groups of [`LaneWeights::LANES`] queries, each as a mutable slice laid out
    /// `[row][lane]` (padding rows at the end), in parallel.
    pub fn par_groups_mut(&mut self) -> impl IndexedParallelIterator<Item = &mut [f32]> + '_ {
        self.data.par_chunks_mut(self.padded_rows * LANES)
    }
}

fn not_bipolar(index: usize, v: f32) -> Error {
    if v.is_finite() {
        Error::State(format!(
            "packed bits need bipolar (+1/-1) values; entry {index} is {v}"
        ))
    } else {
        Error::NonFinite {
            what: "bipolar values".into(),
            index,
        }
    }
}

/// Transposes an 8 x 64 bit matrix (8 words, row `j` = word `j`) into 64 bytes, returned as 8
/// little-endian words: byte `k` of word `b` has bit `j` set iff bit `8b + k` of word `j` is set.
///
/// A byte transpose (three rounds of swaps between word pairs) followed by the 8 x 8 bit
/// transpose of Hacker's Delight (Warren, 2nd ed., §7-3) in each word.
#[inline]
pub(crate) fn transpose_8x64(mut x: [u64; 8]) -> [u64; 8] {
    // Byte transpose: afterwards byte j of word b is byte b of the original word j.
    for (shift, mask, stride) in [
        (8, 0x00FF_00FF_00FF_00FFu64, 1),
        (16, 0x0000_FFFF_0000_FFFF, 2),
        (32, 0x0000_0000_FFFF_FFFF, 4),
    ] {
        for j in 0..8 {
            if j & stride == 0 {
                let (a, b) = (x[j], x[j + stride]);
                let t = ((a >> shift) ^ b) & mask;
                x[j + stride] = b ^ t;
                x[j] = a ^ (t << shift);
            }
        }
    }
    for v in x.iter_mut() {
        *v = transpose_8x8(*v);
    }
    x
}

/// Transposes the 8 x 8 bit matrix held in a word (row `j` = byte `j`, column `k` = bit `k` of
/// the byte): bit `8j + k` moves to bit `8k + j`.
#[inline]
fn transpose_8x8(mut x: u64) -> u64 {
    let t = (x ^ (x >> 7)) & 0x00AA_00AA_00AA_00AA;
    x ^= t ^ (t << 7);
    let t = (x ^ (x >> 14)) & 0x0000_CCCC_0000_CCCC;
    x ^= t ^ (t << 14);
    let t = (x ^ (x >> 28)) & 0x0000_0000_F0F0_F0F0;
    x ^= t ^ (t << 28);
    x
}

/// Portable implementations; also the reference the SIMD code must match bit for bit.
mod portable {
    use super::{BLOCK_CHUNKS, CHUNK, LANES};

    /// `Σ_μ ±values[μ]` (sign from bit `μ`), four accumulators.
    pub fn signed_sum(bits: &[u64], values: &[f64]) -> f64 {
        let mut acc = [0.0f64; 4];
        for (word, chunk) in bits.iter().zip(values.chunks(64)) {
            for (j, &v) in chunk.iter().enumerate() {
                // Flip the sign bit where the pattern bit is clear.
                let flip = (!(word >> j) & 1) << 63;
                acc[j % 4] += f64::from_bits(v.to_bits() ^ flip);
            }
        }
        (acc[0] + acc[1]) + (acc[2] + acc[3])
    }

    /// `out[r] = popcount(state XOR row r)` for consecutive rows of `words` words.
    pub fn xor_popcount(state: &[u64], rows: &[u64], words: usize, out: &mut [i32]) {
        for (o, row) in out.iter_mut().zip(rows.chunks_exact(words)) {
            *o = state
                .iter()
                .zip(row)
                .map(|(a, b)| (a ^ b).count_ones())
                .sum::<u32>() as i32;
        }
    }

    /// Builds `block` subset-sum tables from lane-major weights `w` (`CHUNK` rows of `LANES`
    /// per chunk): entry `idx` of table `c` is `Σ_j (bit j of idx ? +1 : -1) w[8c + j]`.
    ///
    /// The order of operations is fixed (and shared with the AVX2 version): entry 0 is
    /// `-(((w0 + w1) + w2) + ... + w7)`; then, bit by bit, entry `idx + 2^j` (for `idx < 2^j`)
    /// is entry `idx` plus `2 w_j`. Every entry thus takes at most 7 + 8 roundings.
    pub fn build_tables(w: &[f32], block: usize, tables: &mut [f32]) {
        for c in 0..block {
            let w = &w[c * CHUNK * LANES..(c + 1) * CHUNK * LANES];
            let t = &mut tables[c * 256 * LANES..(c + 1) * 256 * LANES];
            for l in 0..LANES {
                let mut sum = w[l];
                for j in 1..CHUNK {
                    sum += w[j * LANES + l];
                }
                t[l] = -sum;
            }
            for j in 0..CHUNK {
                let half = 1usize << j;
                for idx in 0..half {
                    for l in 0..LANES {
                        t[(half + idx) * LANES + l] = t[idx * LANES + l] + 2.0 * w[j * LANES + l];
                    }
                }
            }
        }
        debug_assert!(block <= BLOCK_CHUNKS);
    }

    /// Adds `Σ_c tables[c][index[c][i] / LANES]` (summed in `f32`, chunk by chunk) into the
    /// `f64` accumulators `acc[i][lane]` for the first `cols` columns; `index` holds each
    /// column's table offset in `f32` units (its column byte times `LANES`).
    pub fn lookup_block(
        tables: &[f32],
        index: &[u16],
        span: usize,
        block: usize,
        cols: usize,
        acc: &mut [f64],
    ) {
        for i in 0..cols {
            let mut sum = [0.0f32; LANES];
            for c in 0..block {
                let e = c * 256 * LANES + index[c * span + i] as usize;
                for (s, t) in sum.iter_mut().zip(&tables[e..e + LANES]) {
                    *s += *t;
                }
            }
            for (a, s) in acc[i * LANES..(i + 1) * LANES].iter_mut().zip(sum) {
                *a += s as f64;
            }
        }
    }
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use super::{CHUNK, LANES, PASS};
    use std::arch::x86_64::*;

    /// Sign-bit masks for four `f64` lanes from a nibble: lane `j` gets `-0.0` (flip) where bit
    /// `j` is clear.
    const fn sign_masks() -> [[u64; 4]; 16] {
        let mut t = [[0u64; 4]; 16];
        let mut nib = 0;
        while nib < 16 {
            let mut j = 0;
            while j < 4 {
                if nib & (1 << j) == 0 {
                    t[nib][j] = 1 << 63;
                }
                j += 1;
            }
            nib += 1;
        }
        t
    }
    static SIGN_MASKS: [[u64; 4]; 16] = sign_masks();

    /// AVX2 `Σ_μ ±values[μ]`: four lanes per register, the sign masks of each nibble of the
    /// bits from a 16-entry table, four accumulators.
    #[target_feature(enable = "avx2")]
    pub unsafe fn signed_sum(bits: &[u64], values: &[f64]) -> f64 {
        let n = values.len();
        let vp = values.as_ptr();
        let mp = SIGN_MASKS.as_ptr() as *const u64;
        let mut acc = [_mm256_setzero_pd(); 4];
        let mut mu = 0;
        while mu + 16 <= n {
            let nibbles = (bits[mu / 64] >> (mu % 64)) & 0xffff;
            for (q, a) in acc.iter_mut().enumerate() {
                let nib = ((nibbles >> (4 * q)) & 15) as usize;
                let mask = _mm256_loadu_pd(mp.add(4 * nib) as *const f64);
                let v = _mm256_loadu_pd(vp.add(mu + 4 * q));
                *a = _mm256_add_pd(*a, _mm256_xor_pd(v, mask));
            }
            mu += 16;
        }
        let mut lanes = [0.0f64; 4];
        let total = _mm256_add_pd(_mm256_add_pd(acc[0], acc[1]), _mm256_add_pd(acc[2], acc[3]));
        _mm256_storeu_pd(lanes.as_mut_ptr(), total);
        let mut sum = (lanes[0] + lanes[1]) + (lanes[2] + lanes[3]);
        while mu < n {
            let flip = (!(bits[mu / 64] >> (mu % 64)) & 1) << 63;
            sum += f64::from_bits((*vp.add(mu)).to_bits() ^ flip);
            mu += 1;
        }
        sum
    }

    /// `out[r] = popcount(state XOR row r)` with one `popcnt` per word.
    #[target_feature(enable = "popcnt")]
    pub unsafe fn xor_popcount_popcnt(state: &[u64], rows: &[u64], words: usize, out: &mut [i32]) {
        for (o, row) in out.iter_mut().zip(rows.chunks_exact(words)) {
            let mut total = 0u32;
            for (a, b) in state.iter().zip(row) {
                total += (a ^ b).count_ones();
            }
            *o = total as i32;
        }
    }

    /// Popcount of every byte of `x` (Muła's nibble lookup).
    #[inline]
    #[target_feature(enable = "avx2")]
    unsafe fn byte_counts(x: __m256i, lut: __m256i, low: __m256i) -> __m256i {
        let lo = _mm256_and_si256(x, low);
        let hi = _mm256_and_si256(_mm256_srli_epi16::<4>(x), low);
        _mm256_add_epi8(_mm256_shuffle_epi8(lut, lo), _mm256_shuffle_epi8(lut, hi))
    }

    /// The sum of `popcount(state XOR row)` over the first `4 * vecs` words, as four `u64`
    /// lanes: byte counts are summed with `vpsadbw` every 31 registers (a byte then holds at
    /// most 248).
    #[inline]
    #[target_feature(enable = "avx2")]
    unsafe fn row_sad(sp: *const u64, rp: *const u64, vecs: usize) -> __m256i {
        let lut = _mm256_setr_epi8(
            0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4, 0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2,
            3, 3, 4,
        );
        let low = _mm256_set1_epi8(0x0f);
        let zero = _mm256_setzero_si256();
        let mut total = zero;
        let mut v = 0;
        while v < vecs {
            let stop = (v + 31).min(vecs);
            let mut bytes = zero;
            while v < stop {
                let a = _mm256_loadu_si256(sp.add(4 * v) as *const __m256i);
                let b = _mm256_loadu_si256(rp.add(4 * v) as *const __m256i);
                bytes = _mm256_add_epi8(bytes, byte_counts(_mm256_xor_si256(a, b), lut, low));
                v += 1;
            }
            total = _mm256_add_epi64(total, _mm256_sad_epu8(bytes, zero));
        }
        total
    }

    /// `popcount(state XOR row)` over words `from..words`, one `popcnt` per word.
    #[inline]
    #[target_feature(enable = "popcnt")]
    unsafe fn tail(sp: *const u64, rp: *const u64, from: usize, words: usize) -> u32 {
        let mut t = 0u32;
        for k in from..words {
            t += (*sp.add(k) ^ *rp.add(k)).count_ones();
        }
        t
    }

    /// `out[r] = popcount(state XOR row r)`: four words per register through [`row_sad`], four
    /// rows reduced together, leftover words with `popcnt`.
    #[target_feature(enable = "avx2,popcnt")]
    pub unsafe fn xor_popcount_avx2(state: &[u64], rows: &[u64], words: usize, out: &mut [i32]) {
        let vecs = words / 4;
        if vecs == 0 {
            return xor_popcount_popcnt(state, rows, words, out);
        }
        assert!(state.len() >= words && rows.len() >= out.len() * words);
        let sp = state.as_ptr();
        let done = 4 * vecs;
        let n = out.len();
        let mut r = 0;
        let base = rows.as_ptr();
        while r + 4 <= n {
            let p0 = base.add(r * words);
            let p1 = p0.add(words);
            let p2 = p1.add(words);
            let p3 = p2.add(words);
            let s0 = row_sad(sp, p0, vecs);
            let s1 = row_sad(sp, p1, vecs);
            let s2 = row_sad(sp, p2, vecs);
            let s3 = row_sad(sp, p3, vecs);
            // [a0+a1, b0+b1 | a2+a3, b2+b3] and the same for rows 2, 3; then add the halves.
            let t01 =
                _mm256_add_epi64(_mm256_unpacklo_epi64(s0, s1), _mm256_unpackhi_epi64(s0, s1));
            let t23 =
                _mm256_add_epi64(_mm256_unpacklo_epi64(s2, s3), _mm256_unpackhi_epi64(s2, s3));
            let sums = _mm256_add_epi64(
                _mm256_permute2x128_si256::<0x20>(t01, t23),
                _mm256_permute2x128_si256::<0x31>(t01, t23),
            );
            let mut lanes = [0u64; 4];
            _mm256_storeu_si256(lanes.as_mut_ptr() as *mut __m256i, sums);
            for (k, p) in [p0, p1, p2, p3].into_iter().enumerate() {
                out[r + k] = (lanes[k] as u32 + tail(sp, p, done, words)) as i32;
            }
            r += 4;
        }
        while r < n {
            let p = base.add(r * words);
            let mut lanes = [0u64; 4];
            _mm256_storeu_si256(lanes.as_mut_ptr() as *mut __m256i, row_sad(sp, p, vecs));
            out[r] = (lanes.iter().sum::<u64>() as u32 + tail(sp, p, done, words)) as i32;
            r += 1;
        }
    }

    /// `out[r] = popcount(state XOR row r)` with AVX-512 `vpopcntq` (eight words per
    /// instruction), four rows at a time sharing each load of the state and one final
    /// reduction; leftover words with `popcnt`.
    ///
    /// The 512-bit code is inline assembly (stable Rust has no AVX-512 intrinsics for the
    /// crate's minimum version); it uses `zmm0..zmm7` and ends with `vzeroupper`, so every
    /// `ymm` register is declared clobbered.
    #[target_feature(enable = "avx2,popcnt")]
    pub unsafe fn xor_popcount_avx512(state: &[u64], rows: &[u64], words: usize, out: &mut [i32]) {
        let vecs = words / 8;
        if vecs == 0 {
            return xor_popcount_avx2(state, rows, words, out);
        }
        assert!(state.len() >= words && rows.len() >= out.len() * words);
        let sp = state.as_ptr();
        let done = 8 * vecs;
        let n = out.len();
        let base = rows.as_ptr();
        let stride = words * 8;
        let mut r = 0;
        // Eight rows per pass: eight accumulators, one load of the state per 64-byte step,
        // and a shuffle tree (3 levels) that leaves the eight row sums in one register.
        // Accumulators: row 0 -> zmm8, 2 -> zmm9, 4 -> zmm10, 6 -> zmm11, 1 -> zmm12,
        // 3 -> zmm13, 5 -> zmm14, 7 -> zmm15, so that the tree's lanes come out in row order.
        while r + 8 <= n {
            let p0 = base.add(r * words);
            let p3 = p0.add(3 * words);
            let p6 = p0.add(6 * words);
            let mut sums = [0u32; 8];
            std::arch::asm!(
                "vpxorq zmm8, zmm8, zmm8",
                "vpxorq zmm9, zmm9, zmm9",
                "vpxorq zmm10, zmm10, zmm10",
                "vpxorq zmm11, zmm11, zmm11",
                "vpxorq zmm12, zmm12, zmm12",
                "vpxorq zmm13, zmm13, zmm13",
                "vpxorq zmm14, zmm14, zmm14",
                "vpxorq zmm15, zmm15, zmm15",
                "2:",
                "vmovdqu64 zmm0, zmmword ptr [{s}]",
                "vpxorq zmm1, zmm0, zmmword ptr [{p0}]",
                "vpxorq zmm2, zmm0, zmmword ptr [{p0} + {st}]",
                "vpxorq zmm3, zmm0, zmmword ptr [{p0} + 2*{st}]",
                "vpxorq zmm4, zmm0, zmmword ptr [{p3}]",
                "vpopcntq zmm1, zmm1",
                "vpopcntq zmm2, zmm2",
                "vpopcntq zmm3, zmm3",
                "vpopcntq zmm4, zmm4",
                "vpaddq zmm8, zmm8, zmm1",
                "vpaddq zmm12, zmm12, zmm2",
                "vpaddq zmm9, zmm9, zmm3",
                "vpaddq zmm13, zmm13, zmm4",
                "vpxorq zmm5, zmm0, zmmword ptr [{p0} + 4*{st}]",
                "vpxorq zmm6, zmm0, zmmword ptr [{p3} + 2*{st}]",
                "vpxorq zmm7, zmm0, zmmword ptr [{p6}]",
                "vpxorq zmm1, zmm0, zmmword ptr [{p6} + {st}]",
                "vpopcntq zmm5, zmm5",
                "vpopcntq zmm6, zmm6",
                "vpopcntq zmm7, zmm7",
                "vpopcntq zmm1, zmm1",
                "vpaddq zmm10, zmm10, zmm5",
                "vpaddq zmm14, zmm14, zmm6",
                "vpaddq zmm11, zmm11, zmm7",
                "vpaddq zmm15, zmm15, zmm1",
                "add {s}, 64",
                "add {p0}, 64",
                "add {p3}, 64",
                "add {p6}, 64",
                "dec {n}",
                "jnz 2b",
                // Level 1: pairs (8,9) (10,11) (12,13) (14,15) -> four lanes per row.
                "vshufi64x2 zmm0, zmm8, zmm9, 0x44",
                "vshufi64x2 zmm1, zmm8, zmm9, 0xEE",
                "vpaddq zmm8, zmm0, zmm1",
                "vshufi64x2 zmm0, zmm10, zmm11, 0x44",
                "vshufi64x2 zmm1, zmm10, zmm11, 0xEE",
                "vpaddq zmm10, zmm0, zmm1",
                "vshufi64x2 zmm0, zmm12, zmm13, 0x44",
                "vshufi64x2 zmm1, zmm12, zmm13, 0xEE",
                "vpaddq zmm12, zmm0, zmm1",
                "vshufi64x2 zmm0, zmm14, zmm15, 0x44",
                "vshufi64x2 zmm1, zmm14, zmm15, 0xEE",
                "vpaddq zmm14, zmm0, zmm1",
                // Level 2: (8,10) -> rows 0,2,4,6 and (12,14) -> rows 1,3,5,7, two lanes each.
                "vshufi64x2 zmm0, zmm8, zmm10, 0x88",
                "vshufi64x2 zmm1, zmm8, zmm10, 0xDD",
                "vpaddq zmm8, zmm0, zmm1",
                "vshufi64x2 zmm0, zmm12, zmm14, 0x88",
                "vshufi64x2 zmm1, zmm12, zmm14, 0xDD",
                "vpaddq zmm12, zmm0, zmm1",
                // Level 3: interleave -> rows 0..7 in order.
                "vpunpcklqdq zmm0, zmm8, zmm12",
                "vpunpckhqdq zmm1, zmm8, zmm12",
                "vpaddq zmm0, zmm0, zmm1",
                "vpmovqd ymm0, zmm0",
                "vmovdqu ymmword ptr [{o}], ymm0",
                "vzeroupper",
                s = inout(reg) sp => _,
                p0 = inout(reg) p0 => _,
                p3 = inout(reg) p3 => _,
                p6 = inout(reg) p6 => _,
                st = in(reg) stride,
                n = inout(reg) vecs => _,
                o = in(reg) sums.as_mut_ptr(),
                out("ymm0") _, out("ymm1") _, out("ymm2") _, out("ymm3") _,
                out("ymm4") _, out("ymm5") _, out("ymm6") _, out("ymm7") _,
                out("ymm8") _, out("ymm9") _, out("ymm10") _, out("ymm11") _,
                out("ymm12") _, out("ymm13") _, out("ymm14") _, out("ymm15") _,
                options(nostack),
            );
            if done == words {
                for k in 0..8 {
                    out[r + k] = sums[k] as i32;
                }
            } else {
                for k in 0..8 {
                    let p = base.add((r + k) * words);
                    out[r + k] = (sums[k] + tail(sp, p, done, words)) as i32;
                }
            }
            r += 8;
        }
        while r < n {
            // Four rows per pass; a short last pass repeats its last row (results discarded).
            let p: [*const u64; 4] = std::array::from_fn(|k| base.add((r + k).min(n - 1) * words));
            let mut lanes = [0u64; 4];
            std::arch::asm!(
                "vpxorq zmm4, zmm4, zmm4",
                "vpxorq zmm5, zmm5, zmm5",
                "vpxorq zmm6, zmm6, zmm6",
                "vpxorq zmm7, zmm7, zmm7",
                "2:",
                "vmovdqu64 zmm0, [{s}]",
                "vpxorq zmm1, zmm0, [{r0}]",
                "vpopcntq zmm1, zmm1",
                "vpaddq zmm4, zmm4, zmm1",
                "vpxorq zmm2, zmm0, [{r1}]",
                "vpopcntq zmm2, zmm2",
                "vpaddq zmm5, zmm5, zmm2",
                "vpxorq zmm3, zmm0, [{r2}]",
                "vpopcntq zmm3, zmm3",
                "vpaddq zmm6, zmm6, zmm3",
                "vpxorq zmm1, zmm0, [{r3}]",
                "vpopcntq zmm1, zmm1",
                "vpaddq zmm7, zmm7, zmm1",
                "add {s}, 64",
                "add {r0}, 64",
                "add {r1}, 64",
                "add {r2}, 64",
                "add {r3}, 64",
                "dec {n}",
                "jnz 2b",
                // Fold each accumulator to 256 bits, then reduce the four rows together:
                // [a0+a1, b0+b1 | a2+a3, b2+b3] + [c.., d..], then add the 128-bit halves.
                "vextracti64x4 ymm0, zmm4, 1",
                "vpaddq ymm4, ymm4, ymm0",
                "vextracti64x4 ymm0, zmm5, 1",
                "vpaddq ymm5, ymm5, ymm0",
                "vextracti64x4 ymm0, zmm6, 1",
                "vpaddq ymm6, ymm6, ymm0",
                "vextracti64x4 ymm0, zmm7, 1",
                "vpaddq ymm7, ymm7, ymm0",
                "vpunpcklqdq ymm0, ymm4, ymm5",
                "vpunpckhqdq ymm1, ymm4, ymm5",
                "vpaddq ymm0, ymm0, ymm1",
                "vpunpcklqdq ymm2, ymm6, ymm7",
                "vpunpckhqdq ymm3, ymm6, ymm7",
                "vpaddq ymm2, ymm2, ymm3",
                "vperm2i128 ymm1, ymm0, ymm2, 0x20",
                "vperm2i128 ymm3, ymm0, ymm2, 0x31",
                "vpaddq ymm1, ymm1, ymm3",
                "vmovdqu ymmword ptr [{o}], ymm1",
                "vzeroupper",
                s = inout(reg) sp => _,
                r0 = inout(reg) p[0] => _,
                r1 = inout(reg) p[1] => _,
                r2 = inout(reg) p[2] => _,
                r3 = inout(reg) p[3] => _,
                n = inout(reg) vecs => _,
                o = in(reg) lanes.as_mut_ptr(),
                out("ymm0") _, out("ymm1") _, out("ymm2") _, out("ymm3") _,
                out("ymm4") _, out("ymm5") _, out("ymm6") _, out("ymm7") _,
                out("ymm8") _, out("ymm9") _, out("ymm10") _, out("ymm11") _,
                out("ymm12") _, out("ymm13") _, out("ymm14") _, out("ymm15") _,
                options(nostack),
            );
            for k in 0..4.min(n - r) {
                out[r + k] = (lanes[k] as u32 + tail(sp, p[k], done, words)) as i32;
            }
            r += 4;
        }
    }

    /// The AVX2 twin of `portable::build_tables` (same operations in the same order), writing
    /// entry `idx` of table `c` at `tables[(c * 256 + idx) * stride + offset..][..LANES]`:
    /// `stride = LANES, offset = 0` is the plain layout; `stride = 2 LANES` with offsets 0 and
    /// `LANES` interleaves two groups' tables into 16-lane entries.
    #[target_feature(enable = "avx2")]
    pub unsafe fn build_tables(
        w: &[f32],
        block: usize,
        tables: &mut [f32],
        stride: usize,
        offset: usize,
    ) {
        assert!(w.len() >= block * CHUNK * LANES && offset + LANES <= stride);
        assert!(tables.len() >= block * 256 * stride);
        for c in 0..block {
            let wp = w.as_ptr().add(c * CHUNK * LANES);
            let tp = tables.as_mut_ptr().add(c * 256 * stride + offset);
            let mut twice = [_mm256_setzero_ps(); CHUNK];
            let mut sum = _mm256_loadu_ps(wp);
            twice[0] = _mm256_add_ps(sum, sum);
            for (j, t) in twice.iter_mut().enumerate().skip(1) {
                let v = _mm256_loadu_ps(wp.add(j * LANES));
                sum = _mm256_add_ps(sum, v);
                *t = _mm256_add_ps(v, v);
            }
            // Negate by flipping the sign bit, exactly as `-sum` in the portable version.
            _mm256_storeu_ps(tp, _mm256_xor_ps(sum, _mm256_set1_ps(-0.0)));
            for (j, &tw) in twice.iter().enumerate() {
                let half = 1usize << j;
                for idx in 0..half {
                    let v = _mm256_add_ps(_mm256_loadu_ps(tp.add(idx * stride)), tw);
                    _mm256_storeu_ps(tp.add((half + idx) * stride), v);
                }
            }
        }
    }

    /// The lookups of two groups at once on interleaved 16-lane tables (see
    /// [`build_tables`]): for every column, the 16 lanes of `Σ_c tables[c][index[c][i]]` are
    /// summed in `f32` chunk by chunk (the same additions, in the same order, as the 8-lane
    /// kernels perform for each group), then lanes 0..8 are added into `acc0` and 8..16 into
    /// `acc1` (`[column][lane]`, `f64`).
    ///
    /// Eight columns at a time run in inline assembly with AVX-512 (eight `zmm` accumulators,
    /// one 64-byte table load per lookup, all `block` chunks in one pass, the block's tables
    /// staying in L2); leftover columns use two AVX2 registers.
    #[allow(clippy::too_many_arguments)]
    #[target_feature(enable = "avx2")]
    pub unsafe fn lookup_block_pair(
        tables: &[f32],
        index: &[u16],
        span: usize,
        block: usize,
        cols: usize,
        acc0: &mut [f64],
        acc1: &mut [f64],
        sums: &mut [f32],
    ) {
        const W: usize = 2 * LANES;
        assert!(block >= 1 && tables.len() >= block * 256 * W);
        assert!(index.len() >= block * span && span >= cols);
        assert!(acc0.len() >= cols * LANES && acc1.len() >= cols * LANES);
        assert!(sums.len() >= cols * W);
        let tp = tables.as_ptr();
        let sp = sums.as_mut_ptr();
        let tiled = cols / 8 * 8;
        for i in (0..tiled).step_by(8) {
            std::arch::asm!(
                "vpxorq zmm8, zmm8, zmm8",
                "vpxorq zmm9, zmm9, zmm9",
                "vpxorq zmm10, zmm10, zmm10",
                "vpxorq zmm11, zmm11, zmm11",
                "vpxorq zmm12, zmm12, zmm12",
                "vpxorq zmm13, zmm13, zmm13",
                "vpxorq zmm14, zmm14, zmm14",
                "vpxorq zmm15, zmm15, zmm15",
                "2:",
                "movzx {a:e}, word ptr [{ip}]",
                "movzx {b:e}, word ptr [{ip} + 2]",
                "vaddps zmm8, zmm8, zmmword ptr [{tp} + {a}*8]",
                "vaddps zmm9, zmm9, zmmword ptr [{tp} + {b}*8]",
                "movzx {a:e}, word ptr [{ip} + 4]",
                "movzx {b:e}, word ptr [{ip} + 6]",
                "vaddps zmm10, zmm10, zmmword ptr [{tp} + {a}*8]",
                "vaddps zmm11, zmm11, zmmword ptr [{tp} + {b}*8]",
                "movzx {a:e}, word ptr [{ip} + 8]",
                "movzx {b:e}, word ptr [{ip} + 10]",
                "vaddps zmm12, zmm12, zmmword ptr [{tp} + {a}*8]",
                "vaddps zmm13, zmm13, zmmword ptr [{tp} + {b}*8]",
                "movzx {a:e}, word ptr [{ip} + 12]",
                "movzx {b:e}, word ptr [{ip} + 14]",
                "vaddps zmm14, zmm14, zmmword ptr [{tp} + {a}*8]",
                "vaddps zmm15, zmm15, zmmword ptr [{tp} + {b}*8]",
                "add {ip}, {step}",
                "add {tp}, 16384",
                "dec {n}",
                "jnz 2b",
                "vmovups zmmword ptr [{sp}], zmm8",
                "vmovups zmmword ptr [{sp} + 64], zmm9",
                "vmovups zmmword ptr [{sp} + 128], zmm10",
                "vmovups zmmword ptr [{sp} + 192], zmm11",
                "vmovups zmmword ptr [{sp} + 256], zmm12",
                "vmovups zmmword ptr [{sp} + 320], zmm13",
                "vmovups zmmword ptr [{sp} + 384], zmm14",
                "vmovups zmmword ptr [{sp} + 448], zmm15",
                "vzeroupper",
                ip = inout(reg) index.as_ptr().add(i) => _,
                tp = inout(reg) tp => _,
                n = inout(reg) block => _,
                step = in(reg) 2 * span,
                sp = in(reg) sp.add(i * W),
                a = out(reg) _,
                b = out(reg) _,
                out("ymm8") _, out("ymm9") _, out("ymm10") _, out("ymm11") _,
                out("ymm12") _, out("ymm13") _, out("ymm14") _, out("ymm15") _,
                out("ymm0") _, out("ymm1") _, out("ymm2") _, out("ymm3") _,
                out("ymm4") _, out("ymm5") _, out("ymm6") _, out("ymm7") _,
                options(nostack),
            );
        }
        let mut i = tiled;
        while i < cols {
            let (mut lo, mut hi) = (_mm256_setzero_ps(), _mm256_setzero_ps());
            for c in 0..block {
                let e = tp.add(c * 256 * W + 2 * *index.as_ptr().add(c * span + i) as usize);
                lo = _mm256_add_ps(lo, _mm256_loadu_ps(e));
                hi = _mm256_add_ps(hi, _mm256_loadu_ps(e.add(LANES)));
            }
            _mm256_storeu_ps(sp.add(i * W), lo);
            _mm256_storeu_ps(sp.add(i * W + LANES), hi);
            i += 1;
        }
        for i in 0..cols {
            flush(
                acc0.as_mut_ptr().add(i * LANES),
                _mm256_loadu_ps(sp.add(i * W)),
            );
            flush(
                acc1.as_mut_ptr().add(i * LANES),
                _mm256_loadu_ps(sp.add(i * W + LANES)),
            );
        }
    }

    /// Adds `f32` lanes into eight `f64` accumulators.
    #[inline]
    #[target_feature(enable = "avx2")]
    unsafe fn flush(acc: *mut f64, v: __m256) {
        let lo = _mm256_cvtps_pd(_mm256_castps256_ps128(v));
        let hi = _mm256_cvtps_pd(_mm256_extractf128_ps::<1>(v));
        _mm256_storeu_pd(acc, _mm256_add_pd(_mm256_loadu_pd(acc), lo));
        _mm256_storeu_pd(acc.add(4), _mm256_add_pd(_mm256_loadu_pd(acc.add(4)), hi));
    }

    /// The AVX2 twin of `portable::lookup_block`, with the same additions in the same order
    /// for every column, but scheduled for the cache: [`PASS`] chunks at a time (their tables,
    /// 8 KiB each, stay in L1) over all columns, eight columns at a time (eight independent
    /// addition chains), the running `f32` sums kept in `sums` between passes.
    #[target_feature(enable = "avx2")]
    pub unsafe fn lookup_block(
        tables: &[f32],
        index: &[u16],
        span: usize,
        block: usize,
        cols: usize,
        acc: &mut [f64],
        sums: &mut [f32],
    ) {
        assert!(tables.len() >= block * 256 * LANES);
        assert!(index.len() >= block * span && span >= cols && acc.len() >= cols * LANES);
        assert!(sums.len() >= cols * LANES);
        let tp = tables.as_ptr();
        let ip = index.as_ptr();
        let sp = sums.as_mut_ptr();
        let mut c0 = 0;
        while c0 < block {
            let pass = PASS.min(block - c0);
            let first = c0 == 0;
            let mut i = 0;
            while i + 8 <= cols {
                let mut s = [_mm256_setzero_ps(); 8];
                if !first {
                    for (l, v) in s.iter_mut().enumerate() {
                        *v = _mm256_loadu_ps(sp.add((i + l) * LANES));
                    }
                }
                for c in c0..c0 + pass {
                    let t = tp.add(c * 256 * LANES);
                    let x = ip.add(c * span + i);
                    for (l, v) in s.iter_mut().enumerate() {
                        *v = _mm256_add_ps(*v, _mm256_loadu_ps(t.add(*x.add(l) as usize)));
                    }
                }
                for (l, v) in s.iter().enumerate() {
                    _mm256_storeu_ps(sp.add((i + l) * LANES), *v);
                }
                i += 8;
            }
            while i < cols {
                let mut s = if first {
                    _mm256_setzero_ps()
                } else {
                    _mm256_loadu_ps(sp.add(i * LANES))
                };
                for c in c0..c0 + pass {
                    let t = tp.add(c * 256 * LANES);
                    s = _mm256_add_ps(s, _mm256_loadu_ps(t.add(*ip.add(c * span + i) as usize)));
                }
                _mm256_storeu_ps(sp.add(i * LANES), s);
                i += 1;
            }
            c0 += pass;
        }
        let ap = acc.as_mut_ptr();
        for i in 0..cols {
            flush(ap.add(i * LANES), _mm256_loadu_ps(sp.add(i * LANES)));
        }
    }

    /// `super::transpose_8x64` for words `w..w + 4` of the eight rows at once (one word per
    /// 64-bit lane), writing 4 x 64 column bytes into `out`.
    #[target_feature(enable = "avx2")]
    pub unsafe fn transpose_4_words(rows: &[&[u64]; CHUNK], w: usize, out: &mut [u8]) {
        assert!(out.len() >= 256);
        let mut x = [_mm256_setzero_si256(); CHUNK];
        for (j, v) in x.iter_mut().enumerate() {
            assert!(rows[j].len() >= w + 4);
            *v = _mm256_loadu_si256(rows[j].as_ptr().add(w) as *const __m256i);
        }
        macro_rules! swap_round {
            ($shift:literal, $mask:expr, $stride:literal) => {{
                let mask = _mm256_set1_epi64x($mask as i64);
                for j in 0..CHUNK {
                    if j & $stride == 0 {
                        let (a, b) = (x[j], x[j + $stride]);
                        let t = _mm256_and_si256(
                            _mm256_xor_si256(_mm256_srli_epi64::<$shift>(a), b),
                            mask,
                        );
                        x[j + $stride] = _mm256_xor_si256(b, t);
                        x[j] = _mm256_xor_si256(a, _mm256_slli_epi64::<$shift>(t));
                    }
                }
            }};
        }
        swap_round!(8, 0x00FF_00FF_00FF_00FFu64, 1);
        swap_round!(16, 0x0000_FFFF_0000_FFFFu64, 2);
        swap_round!(32, 0x0000_0000_FFFF_FFFFu64, 4);
        macro_rules! delta {
            ($v:expr, $shift:literal, $mask:expr) => {{
                let t = _mm256_and_si256(
                    _mm256_xor_si256($v, _mm256_srli_epi64::<$shift>($v)),
                    _mm256_set1_epi64x($mask as i64),
                );
                $v = _mm256_xor_si256($v, _mm256_xor_si256(t, _mm256_slli_epi64::<$shift>(t)));
            }};
        }
        for v in x.iter_mut() {
            delta!(*v, 7, 0x00AA_00AA_00AA_00AAu64);
            delta!(*v, 14, 0x0000_CCCC_0000_CCCCu64);
            delta!(*v, 28, 0x0000_0000_F0F0_F0F0u64);
        }
        // x[b] lane l is output word b of input word w + l: store lane-major.
        let mut tmp = [[0u64; 4]; CHUNK];
        for (b, v) in x.iter().enumerate() {
            _mm256_storeu_si256(tmp[b].as_mut_ptr() as *mut __m256i, *v);
        }
        let op = out.as_mut_ptr() as *mut u64;
        for l in 0..4 {
            for (b, t) in tmp.iter().enumerate() {
                op.add(l * 8 + b).write_unaligned(t[l].to_le());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::numeric::Rng;

    fn random_words(rng: &mut Rng, n: usize) -> Vec<u64> {
        (0..n).map(|_| rng.next_u64()).collect()
    }

    #[test]
    fn transpose_8x64_matches_the_definition() {
        let mut rng = Rng::new(1);
        for _ in 0..50 {
            let x: [u64; 8] = random_words(&mut rng, 8).try_into().unwrap();
            let z = transpose_8x64(x);
            for i in 0..64 {
                let byte = (z[i / 8] >> (8 * (i % 8))) & 0xff;
                let want: u64 = (0..8).map(|j| ((x[j] >> i) & 1) << j).sum();
                assert_eq!(byte, want, "column {i}");
            }
        }
    }

    #[test]
    fn pack_unpack_round_trip_and_padding_stays_clear() {
        for n in [1usize, 63, 64, 65, 130] {
            let x = crate::pattern::random_bipolar(5, n, n as u64);
            let p = PackedBits::from_bipolar(x.view()).unwrap();
            assert_eq!(p.to_bipolar(), x);
            assert_eq!(p.words_per_row(), n.div_ceil(64));
            for r in 0..5 {
                let last = p.row(r)[p.words_per_row() - 1];
                if n % 64 != 0 {
                    assert_eq!(last >> (n % 64), 0, "padding bits set");
                }
                for c in 0..n {
                    assert_eq!(p.value(r, c), x[[r, c]]);
                }
            }
        }
    }

    #[test]
    fn every_kernel_gives_the_exact_overlaps() {
        for n in [1usize, 63, 64, 65, 130, 256, 1000, 2100] {
            let x = crate::pattern::random_bipolar(37, n, 3 + n as u64);
            let s = crate::pattern::random_bipolar(5, n, 4 + n as u64);
            let want = s.dot(&x.t()).mapv(|v| v as i32);
            let px = PackedBits::from_bipolar(x.view()).unwrap();
            let ps = PackedBits::from_bipolar(s.view()).unwrap();
            for kernel in [
                BitKernel::Portable,
                BitKernel::Popcnt,
                BitKernel::Avx2,
                BitKernel::Avx512,
            ] {
                if kernel.available() {
                    assert_eq!(
                        px.overlaps_with(&ps, kernel).unwrap(),
                        want,
                        "{n} {kernel:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn projection_is_within_its_bound_and_identical_across_paths() {
        let mut rng = Rng::new(9);
        for (k, n, q) in [
            (1usize, 1usize, 1usize),
            (7, 65, 3),
            (300, 130, 9),
            (700, 1000, 17),
        ] {
            let x = crate::pattern::random_bipolar(k, n, (k * n) as u64);
            let p = PackedBits::from_bipolar(x.view()).unwrap();
            let w = Array2::from_shape_simple_fn((q, k), || (rng.normal() * 10.0) as f32);
            let exact = w.mapv(|v| v as f64).dot(&x.mapv(|v| v as f64));
            let mut fast = Array2::zeros((q, n));
            p.signed_projection(w.view(), fast.view_mut());
            let mut gemm = Array2::zeros((q, n));
            p.signed_projection_gemm(w.view(), gemm.view_mut());
            for qi in 0..q {
                let sum_abs: f64 = w.row(qi).iter().map(|v| v.abs() as f64).sum();
                let (b1, b2) = (
                    p.projection_error_bound(sum_abs),
                    p.gemm_projection_error_bound(sum_abs),
                );
                for i in 0..n {
                    assert!((fast[[qi, i]] - exact[[qi, i]]).abs() <= b1);
                    assert!((gemm[[qi, i]] - exact[[qi, i]]).abs() <= b2);
                }
            }
            // The portable path gives the same bits as the SIMD one.
            let groups = q.div_ceil(LANES);
            let padded = k.div_ceil(CHUNK) * CHUNK;
            let mut lanes = vec![0.0f32; groups * padded * LANES];
            for (qi, row) in w.outer_iter().enumerate() {
                for (mu, &v) in row.iter().enumerate() {
                    lanes[((qi / LANES) * padded + mu) * LANES + qi % LANES] = v;
                }
            }
            let chunks = padded / CHUNK;
            let span = p.words_per_row() * 64;
            let mut acc = vec![0.0f64; groups * n * LANES];
            let mut bytes = vec![0u8; span];
            let mut index = vec![0u16; BLOCK_CHUNKS * span];
            let mut tables = vec![0.0f32; BLOCK_CHUNKS * 256 * LANES];
            for first in (0..chunks).step_by(BLOCK_CHUNKS) {
                let block = BLOCK_CHUNKS.min(chunks - first);
                for c in 0..block {
                    p.chunk_column_bytes(first + c, 0..p.words_per_row(), &mut bytes, false);
                    for (o, &b) in index[c * span..(c + 1) * span].iter_mut().zip(bytes.iter()) {
                        *o = b as u16 * LANES as u16;
                    }
                }
                for g in 0..groups {
                    let wl = &lanes[(g * padded + first * CHUNK) * LANES..];
                    portable::build_tables(wl, block, &mut tables);
                    let a = &mut acc[g * n * LANES..(g + 1) * n * LANES];
                    portable::lookup_block(&tables, &index, span, block, n, a);
                }
            }
            for qi in 0..q {
                for i in 0..n {
                    let v = acc[((qi / LANES) * n + i) * LANES + qi % LANES];
                    assert_eq!(v.to_bits(), fast[[qi, i]].to_bits());
                }
            }
        }
    }

    #[test]
    fn signed_sums_match_the_definition() {
        let mut rng = Rng::new(5);
        for n in [0usize, 1, 15, 16, 17, 64, 100, 1000] {
            let bits = random_words(&mut rng, n.div_ceil(64).max(1));
            let values: Vec<f64> = (0..n).map(|_| rng.normal()).collect();
            let exact: f64 = values
                .iter()
                .enumerate()
                .map(|(i, &v)| {
                    if (bits[i / 64] >> (i % 64)) & 1 == 1 {
                        v
                    } else {
                        -v
                    }
                })
                .sum();
            let bound = gamma(n + 1, U64) * values.iter().map(|v| v.abs()).sum::<f64>();
            assert!((signed_sum(&bits, &values) - exact).abs() <= bound);
            assert!((portable::signed_sum(&bits, &values) - exact).abs() <= bound);
            let mut m: Vec<i32> = (0..n as i32).collect();
            add_signed(&bits, 3, &mut m);
            for (i, &v) in m.iter().enumerate() {
                let sign = if (bits[i / 64] >> (i % 64)) & 1 == 1 {
                    1
                } else {
                    -1
                };
                assert_eq!(v, i as i32 + 3 * sign);
            }
        }
    }

    #[test]
    fn transpose_swaps_rows_and_columns() {
        for (k, n) in [(1usize, 1usize), (7, 65), (64, 63), (130, 257), (300, 1000)] {
            let x = crate::pattern::random_bipolar(k, n, (k + n) as u64);
            let p = PackedBits::from_bipolar(x.view()).unwrap();
            let t = p.transpose();
            assert_eq!(t.to_bipolar(), x.t().to_owned(), "{k} x {n}");
            assert_eq!(t.transpose(), p);
        }
    }

    #[test]
    fn non_bipolar_values_are_refused() {
        let bad = ndarray::arr2(&[[1.0f32, 0.0]]);
        assert!(matches!(
            PackedBits::from_bipolar(bad.view()),
            Err(Error::State(_))
        ));
        let nan = ndarray::arr2(&[[1.0f32, f32::NAN]]);
        assert!(matches!(
            PackedBits::from_bipolar(nan.view()),
            Err(Error::NonFinite { index: 1, .. })
        ));
        assert!(PackedBits::from_bipolar_slice(&[1.0, -1.0, 2.0]).is_err());
    }
}
