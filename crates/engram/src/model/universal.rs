//! The universal Hopfield framework (Millidge, Salvatori, Song, Lukasiewicz & Bogacz 2022,
//! "Universal Hopfield Networks", ICML): one retrieval map
//!
//! `z = Vᵀ sep(β · sim(K, q))`
//!
//! for keys `K` (shape `(P, d)`), values `V` (shape `(P, d_v)`, equal to `K` for
//! auto-association), a [`Similarity`] and a [`Separation`].
//!
//! * Energy (auto-association): `E(x) = ½|x|² - Φ(β sim(K, x))/β`, where `Φ` is the separation's
//!   convex potential (its gradient is the separation). With the dot-product similarity the
//!   update `x ← Kᵀ ∇Φ(β K x)` is the concave-convex procedure on this energy, so it never
//!   increases it (the argument of Ramsauer et al. 2020, Theorem 1, and of Hu et al. 2023 for
//!   sparsemax). For the other similarities the same expression is reported but is not guaranteed
//!   to decrease.
//! * Hetero-association (`V ≠ K`): [`Universal::retrieve`] maps keys to values in one step; it is
//!   not a dynamical system, so recall and energies need auto-association.
//!
//! Retrieval paths. With the dot similarity and the softmax, (rectified) power or identity
//! separation, a retrieval can run as one fused streaming pass over the patterns
//! ([`crate::kernel::fused`]) instead of the product / separation / product sequence; see
//! [`RetrievalPath`]. Both give the same result up to float rounding.
//!
//! Note on power and identity separations: they act on the score's sign, so they suit the dot
//! and cosine similarities; the distance similarities (always <= 0) need a shift-invariant
//! separation (softmax, sparsemax, entmax, max, top-k).

use ndarray::{Array1, Array2, ArrayView2, Axis};
use rayon::prelude::*;

use super::Separation;
use crate::dynamics::{check_batch, Dynamics};
use crate::error::{ensure_finite, Error, Result};
use crate::kernel::fused::{fused_retrieve, FusedOptions, FusedOutput, FusedSeparation};
use crate::kernel::matmul::{matmul, matmul_into, matmul_nt};

/// How [`Universal::retrieve`], [`Dynamics::step`] and [`Dynamics::energies`] compute
/// `Vᵀ sep(β sim(K, q))`.
///
/// * `Gemm`: the score matrix `(B, P)` is formed by a matrix product, the separation is applied
///   row by row and a second product projects back. Best for large query batches, where the
///   products run near the machine's peak; needed for every separation and similarity.
/// * `Fused`: one streaming pass over the patterns per step, in cache-sized chunks, with an
///   online softmax ([`crate::kernel::fused`]); no score matrix is formed. Best for small
///   batches, which are limited by memory bandwidth. Only the dot similarity with the softmax,
///   power or identity separation has a fused kernel: other models ignore the choice and run
///   `Gemm`.
/// * `Auto` (the default): `Fused` when it applies and either the batch has at most
///   [`FUSED_MAX_BATCH`] queries or the `(B, P)` score matrix would exceed
///   [`FUSED_MIN_SCORE_BYTES`]; `Gemm` otherwise. Energies ([`Dynamics::energies`]) take
///   the fused potentials-only pass whenever it applies, for any batch: it keeps scores in
///   `f64`, so energies are accurate to about 1e-9 relative (1e-8 at worst) instead of
///   ~1e-6 and compare reliably between nearby states. [`Dynamics::step_with_energies`] on
///   the fused path takes one such pass for both the step and the energies.
///
/// The two paths agree to float rounding (the tests check it for every separation and shape).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum RetrievalPath {
    /// Choose by shape (see [`FUSED_MAX_BATCH`] and [`FUSED_MIN_SCORE_BYTES`]).
    #[default]
    Auto,
    /// Always the fused streaming kernel where one exists.
    Fused,
    /// Always the matrix-product path.
    Gemm,
}

impl RetrievalPath {
    /// The command-line name: `auto`, `fused` or `gemm`.
    pub fn name(self) -> &'static str {
        match self {
            RetrievalPath::Auto => "auto",
            RetrievalPath::Fused => "fused",
            RetrievalPath::Gemm => "gemm",
        }
    }
}

impl std::str::FromStr for RetrievalPath {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "auto" => Ok(RetrievalPath::Auto),
            "fused" => Ok(RetrievalPath::Fused),
            "gemm" => Ok(RetrievalPath::Gemm),
            _ => Err(Error::param(
                "path",
                format!("unknown retrieval path {s:?} (expected auto, fused or gemm)"),
            )),
        }
    }
}

/// The largest query batch for which [`RetrievalPath::Auto`] always picks the fused kernel.
///
/// Chosen by measurement (2 threads, AVX2+FMA, AMD EPYC, see `docs/benchmarks.md`): the fused
/// kernel runs its two products at about the speed of a large GEMM, so it wins whenever the
/// product path is held back by skinny shapes or by streaming the memory twice; the two paths
/// cross between 128 and 256 queries for memories that fit in the last-level cache
/// (`P × d` = 10 000 × 256 and 20 000 × 512), at which point the GEMM micro-kernels' better
/// register blocking takes over.
pub const FUSED_MAX_BATCH: usize = 128;

/// Above this size of the `(B, P)` `f32` score matrix, [`RetrievalPath::Auto`] picks the fused
/// kernel for any batch: writing and re-reading a score matrix that large from main memory
/// costs more than the GEMM path gains (measured: 512 queries on 100 000 × 128 patterns, a
/// 205 MB score matrix, ran 1.7 times faster fused).
pub const FUSED_MIN_SCORE_BYTES: usize = 64 << 20;

/// The GEMM path retrieves larger batches in blocks of this many queries, so that a block's
/// score matrix (256 × P floats: 10 MB for P = 10 000) stays in the last-level cache between
/// the two products (measured: about 10% faster at B = 1024, P × d = 10 000 × 256).
pub const GEMM_QUERY_BLOCK: usize = 256;

/// How a query is compared with each stored key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Similarity {
    /// `k · q`.
    Dot,
    /// `-‖q - k‖₂`.
    NegEuclidean,
    /// `-‖q - k‖₁`.
    NegManhattan,
    /// `k · q / (‖k‖ ‖q‖)` (0 for a zero query).
    Cosine,
}

impl Similarity {
    /// Every similarity, in a fixed order.
    pub const ALL: [Similarity; 4] = [
        Similarity::Dot,
        Similarity::NegEuclidean,
        Similarity::NegManhattan,
        Similarity::Cosine,
    ];

    /// The command-line name.
    pub fn name(self) -> &'static str {
        match self {
            Similarity::Dot => "dot",
            Similarity::NegEuclidean => "euclidean",
            Similarity::NegManhattan => "manhattan",
            Similarity::Cosine => "cosine",
        }
    }
}

impl std::str::FromStr for Similarity {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "dot" => Ok(Similarity::Dot),
            "euclidean" | "l2" => Ok(Similarity::NegEuclidean),
            "manhattan" | "l1" => Ok(Similarity::NegManhattan),
            "cosine" => Ok(Similarity::Cosine),
            _ => Err(Error::param(
                "similarity",
                format!("unknown similarity {s:?} (expected dot, euclidean, manhattan or cosine)"),
            )),
        }
    }
}

/// A memory in the universal framework: keys, optional separate values, similarity, separation.
#[derive(Clone, Debug)]
pub struct Universal {
    keys: Array2<f32>,
    values: Option<Array2<f32>>,
    key_norms: Array1<f32>,
    similarity: Similarity,
    separation: Separation,
    path: RetrievalPath,
}

impl Universal {
    /// An auto-associative memory over `patterns` (shape `(P, d)`).
    pub fn new(
        patterns: Array2<f32>,
        similarity: Similarity,
        separation: Separation,
    ) -> Result<Self> {
        Self::build(patterns, None, similarity, separation)
    }

    /// A hetero-associative memory mapping `keys` (shape `(P, d)`) to `values` (shape `(P, d_v)`).
    pub fn hetero(
        keys: Array2<f32>,
        values: Array2<f32>,
        similarity: Similarity,
        separation: Separation,
    ) -> Result<Self> {
        if values.nrows() != keys.nrows() {
            return Err(Error::shape(
                "values rows (one per key)",
                keys.nrows(),
                values.nrows(),
            ));
        }
        if values.ncols() == 0 {
            return Err(Error::Empty("values have dimension 0".into()));
        }
        ensure_finite("values", values.iter())?;
        Self::build(keys, Some(values), similarity, separation)
    }

    fn build(
        keys: Array2<f32>,
        values: Option<Array2<f32>>,
        similarity: Similarity,
        separation: Separation,
    ) -> Result<Self> {
        if keys.nrows() == 0 || keys.ncols() == 0 {
            return Err(Error::Empty(
                "memory: need at least one pattern of dimension >= 1".into(),
            ));
        }
        ensure_finite("patterns", keys.iter())?;
        separation.validate()?;
        // The fused kernel streams rows as plain slices; keep the memory row-major.
        let keys = if keys.is_standard_layout() {
            keys
        } else {
            keys.as_standard_layout().into_owned()
        };
        let values = values.map(|v| {
            if v.is_standard_layout() {
                v
            } else {
                v.as_standard_layout().into_owned()
            }
        });
        let key_norms: Array1<f32> = keys
            .rows()
            .into_iter()
            .map(|r| r.iter().map(|v| v * v).sum::<f32>().sqrt())
            .collect();
        if similarity == Similarity::Cosine {
            if let Some(i) = key_norms.iter().position(|&n| n == 0.0) {
                return Err(Error::param(
                    "similarity",
                    format!("cosine similarity needs non-zero patterns; pattern {i} is zero"),
                ));
            }
        }
        Ok(Universal {
            keys,
            values,
            key_norms,
            similarity,
            separation,
            path: RetrievalPath::Auto,
        })
    }

    /// The same memory with retrieval path `path` (see [`RetrievalPath`]; default `Auto`).
    pub fn with_path(mut self, path: RetrievalPath) -> Self {
        self.path = path;
        self
    }

    /// Sets the retrieval path (see [`RetrievalPath`]).
    pub fn set_path(&mut self, path: RetrievalPath) {
        self.path = path;
    }

    /// The retrieval path setting.
    pub fn path(&self) -> RetrievalPath {
        self.path
    }

    /// The fused kernel's version of this model's separation, if it has one (dot similarity
    /// with softmax, power or identity).
    fn fused_separation(&self) -> Option<FusedSeparation> {
        if self.similarity != Similarity::Dot {
            return None;
        }
        match self.separation {
            Separation::Softmax { beta } => Some(FusedSeparation::Softmax { beta }),
            Separation::Power { degree } => Some(FusedSeparation::RectifiedPower { degree }),
            Separation::Identity => Some(FusedSeparation::Power { degree: 1 }),
            _ => None,
        }
    }

    /// Whether a batch of `batch` queries runs on the fused kernel, and with which separation.
    pub fn uses_fused(&self, batch: usize) -> bool {
        self.fused_plan(batch).is_some()
    }

    fn fused_plan(&self, batch: usize) -> Option<FusedSeparation> {
        let sep = self.fused_separation()?;
        match self.path {
            RetrievalPath::Gemm => None,
            RetrievalPath::Fused => Some(sep),
            RetrievalPath::Auto => {
                let score_bytes = batch.saturating_mul(self.keys.nrows()).saturating_mul(4);
                (batch <= FUSED_MAX_BATCH || score_bytes > FUSED_MIN_SCORE_BYTES).then_some(sep)
            }
        }
    }

    /// Runs the fused kernel (with `f64` scores when `precise`) and turns overflow into the
    /// errors the GEMM path reports.
    fn fused(
        &self,
        queries: ArrayView2<f32>,
        sep: FusedSeparation,
        with_values: bool,
        precise: bool,
    ) -> Result<FusedOutput> {
        let values = with_values.then(|| self.values());
        let options = FusedOptions {
            precise,
            ..FusedOptions::default()
        };
        let out = fused_retrieve(queries, self.keys.view(), values, sep, options);
        if out.potentials.iter().any(|p| !p.is_finite()) {
            return Err(match sep {
                FusedSeparation::Softmax { beta } => Error::param(
                    "beta",
                    format!("beta = {beta} times the similarities overflows f32"),
                ),
                _ => Error::param(
                    "separation",
                    format!("{} overflows on these scores", self.separation.describe()),
                ),
            });
        }
        Ok(out)
    }

    /// The stored keys (the patterns, for auto-association), shape `(P, d)`.
    pub fn keys(&self) -> ArrayView2<'_, f32> {
        self.keys.view()
    }

    /// The values retrieved, shape `(P, d_v)` (the keys for auto-association).
    pub fn values(&self) -> ArrayView2<'_, f32> {
        self.values.as_ref().unwrap_or(&self.keys).view()
    }

    /// Whether keys and values differ.
    pub fn is_hetero(&self) -> bool {
        self.values.is_some()
    }

    /// The similarity.
    pub fn similarity(&self) -> Similarity {
        self.similarity
    }

    /// The separation.
    pub fn separation(&self) -> Separation {
        self.separation
    }

    /// Number of stored patterns.
    pub fn len(&self) -> usize {
        self.keys.nrows()
    }

    /// Whether the memory holds no pattern (never true: construction requires one).
    pub fn is_empty(&self) -> bool {
        self.keys.nrows() == 0
    }

    /// Similarities of each query (row of `queries`, shape `(B, d)`) to each key: `(B, P)`.
    pub fn similarities(&self, queries: ArrayView2<f32>) -> Result<Array2<f32>> {
        check_batch("queries", queries, self.keys.ncols())?;
        Ok(match self.similarity {
            Similarity::Dot => matmul_nt(queries, self.keys.view()),
            Similarity::Cosine => {
                let mut s = matmul_nt(queries, self.keys.view());
                for (mut row, q) in s.rows_mut().into_iter().zip(queries.rows()) {
                    let qn = q.iter().map(|v| v * v).sum::<f32>().sqrt();
                    for (v, &kn) in row.iter_mut().zip(self.key_norms.iter()) {
                        *v = if qn > 0.0 { *v / (qn * kn) } else { 0.0 };
                    }
                }
                s
            }
            Similarity::NegEuclidean | Similarity::NegManhattan => {
                let manhattan = self.similarity == Similarity::NegManhattan;
                let mut s = Array2::<f32>::zeros((queries.nrows(), self.keys.nrows()));
                s.outer_iter_mut()
                    .into_par_iter()
                    .zip(queries.outer_iter().into_par_iter())
                    .for_each(|(mut row, q)| {
                        for (v, k) in row.iter_mut().zip(self.keys.rows()) {
                            let d: f32 = if manhattan {
                                q.iter().zip(k.iter()).map(|(a, b)| (a - b).abs()).sum()
                            } else {
                                q.iter()
                                    .zip(k.iter())
                                    .map(|(a, b)| (a - b) * (a - b))
                                    .sum::<f32>()
                                    .sqrt()
                            };
                            *v = -d;
                        }
                    });
                s
            }
        })
    }

    /// Separation weights over the patterns for each query, `(B, P)`, and `Φ(βs)/β` per query.
    pub fn weights(&self, queries: ArrayView2<f32>) -> Result<(Array2<f32>, Array1<f64>)> {
        let mut w = self.similarities(queries)?;
        let mut potentials = Array1::<f64>::zeros(w.nrows());
        w.outer_iter_mut()
            .into_par_iter()
            .zip(
                potentials
                    .as_slice_mut()
                    .expect("fresh array")
                    .par_iter_mut(),
            )
            .try_for_each(|(mut row, phi)| -> Result<()> {
                let row = row.as_slice_mut().expect("fresh rows are contiguous");
                let mut scratch = vec![0.0f32; row.len()];
                *phi = self.separation.apply(row, &mut scratch)?;
                Ok(())
            })?;
        Ok((w, potentials))
    }

    /// One retrieval `Vᵀ sep(β sim(K, q))` for each query: shape `(B, d_v)`.
    ///
    /// Runs on the fused kernel or the matrix products according to [`Universal::path`].
    pub fn retrieve(&self, queries: ArrayView2<f32>) -> Result<Array2<f32>> {
        if let Some(sep) = self.fused_plan(queries.nrows()) {
            check_batch("queries", queries, self.keys.ncols())?;
            let out = self
                .fused(queries, sep, true, false)?
                .out
                .expect("values were requested");
            ensure_finite("retrieved values", out.iter())?;
            return Ok(out);
        }
        if queries.nrows() > GEMM_QUERY_BLOCK {
            // Blocks of queries keep each block's score matrix in the last-level cache (and
            // bound its memory) instead of streaming one (B, P) matrix through main memory.
            check_batch("queries", queries, self.keys.ncols())?;
            let mut out = Array2::<f32>::zeros((queries.nrows(), self.values().ncols()));
            for (q, o) in queries
                .axis_chunks_iter(Axis(0), GEMM_QUERY_BLOCK)
                .zip(out.axis_chunks_iter_mut(Axis(0), GEMM_QUERY_BLOCK))
            {
                let (w, _) = self.weights(q)?;
                matmul_into(w.view(), self.values(), o);
            }
            ensure_finite("retrieved values", out.iter())?;
            return Ok(out);
        }
        let (w, _) = self.weights(queries)?;
        let out = matmul(w.view(), self.values());
        ensure_finite("retrieved values", out.iter())?;
        Ok(out)
    }

    fn require_auto(&self) -> Result<()> {
        if self.is_hetero() {
            Err(Error::Unsupported(
                "a hetero-associative memory maps keys to values in one step (use retrieve); \
                 recall and energies need auto-association"
                    .into(),
            ))
        } else {
            Ok(())
        }
    }
}

impl Dynamics for Universal {
    fn dim(&self) -> usize {
        self.keys.ncols()
    }

    fn energies(&self, states: ArrayView2<f32>) -> Result<Array1<f64>> {
        self.require_auto()?;
        // Energies take the fused potentials-only pass whenever it exists (unless the GEMM path
        // is forced), whatever the batch size: it sums scores in f64, so energies along one
        // recall trace are computed the same accurate way for any number of active queries.
        let plan = match self.path {
            RetrievalPath::Gemm => None,
            _ => self.fused_separation(),
        };
        let potentials = match plan {
            Some(sep) => {
                check_batch("states", states, self.keys.ncols())?;
                self.fused(states, sep, false, true)?.potentials
            }
            None => self.weights(states)?.1,
        };
        Ok(energies_from(states, &potentials))
    }

    fn step(&self, states: ArrayView2<f32>) -> Result<Array2<f32>> {
        self.require_auto()?;
        self.retrieve(states)
    }

    /// On the fused path, one precise pass (scores in `f64`) gives the step and the accurate
    /// energies of `states` from a single read of the memory; otherwise the energies and the
    /// step are computed one after the other.
    fn step_with_energies(&self, states: ArrayView2<f32>) -> Result<(Array2<f32>, Array1<f64>)> {
        self.require_auto()?;
        match self.fused_plan(states.nrows()) {
            Some(sep) => {
                check_batch("states", states, self.keys.ncols())?;
                let out = self.fused(states, sep, true, true)?;
                let next = out.out.expect("values were requested");
                ensure_finite("retrieved values", next.iter())?;
                Ok((next, energies_from(states, &out.potentials)))
            }
            None => {
                let energies = self.energies(states)?;
                Ok((self.step(states)?, energies))
            }
        }
    }
}

/// `½|x|² - Φ` for each state `x` (row of `states`) and its potential `Φ`.
fn energies_from(states: ArrayView2<f32>, potentials: &Array1<f64>) -> Array1<f64> {
    states
        .rows()
        .into_iter()
        .zip(potentials.iter())
        .map(|(x, &phi)| 0.5 * x.iter().map(|&v| v as f64 * v as f64).sum::<f64>() - phi)
        .collect()
}
