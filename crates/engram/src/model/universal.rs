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
//! Note on power and identity separations: they act on the score's sign, so they suit the dot
//! and cosine similarities; the distance similarities (always <= 0) need a shift-invariant
//! separation (softmax, sparsemax, entmax, max, top-k).

use ndarray::{Array1, Array2, ArrayView2};
use rayon::prelude::*;

use super::Separation;
use crate::dynamics::{check_batch, Dynamics};
use crate::error::{ensure_finite, Error, Result};
use crate::kernel::matmul::{matmul, matmul_nt};

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
        })
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
    pub fn retrieve(&self, queries: ArrayView2<f32>) -> Result<Array2<f32>> {
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
        let (_, potentials) = self.weights(states)?;
        Ok(states
            .rows()
            .into_iter()
            .zip(potentials.iter())
            .map(|(x, &phi)| 0.5 * x.iter().map(|&v| v as f64 * v as f64).sum::<f64>() - phi)
            .collect())
    }

    fn step(&self, states: ArrayView2<f32>) -> Result<Array2<f32>> {
        self.require_auto()?;
        self.retrieve(states)
    }
}
