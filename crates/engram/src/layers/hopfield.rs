//! The Hopfield synapse: stored patterns as a layer of hidden neurons already integrated out
//! (Krotov & Hopfield 2021, eq. 12 and 15; the Hopfield module of the Energy Transformer, Hoover
//! et al. 2023, eq. 5).
//!
//! With patterns `ξ_μ` (rows of a `(K, D)` array) and a layer of `T` tokens of `D` features,
//!
//! ```text
//! E = -Σ_t Σ_μ F(ξ_μ · g_t)                  (rectified power, F(z) = max(z, 0)ⁿ / n)
//! E = -Σ_t (1/β) log Σ_μ exp(β ξ_μ · g_t)    (log-sum-exp)
//! ```
//!
//! and `∂E/∂g_t = -Σ_μ F'(ξ_μ · g_t) ξ_μ` (for log-sum-exp, `F'` is the softmax).

use ndarray::{Array1, Array2, ArrayView1, Axis};

use super::synapse::check_finite;
use super::Layer;
use crate::error::{ensure_positive, Error, Result};

/// The interaction `F` of a Hopfield synapse.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum HopfieldFunction {
    /// `F(z) = max(z, 0)ⁿ / n` summed over patterns (`n = 2` is the Energy Transformer's).
    RectifiedPower {
        /// Degree `n >= 1`.
        degree: u32,
    },
    /// `(1/β) log Σ_μ exp(β z_μ)` over patterns.
    LogSumExp {
        /// Inverse temperature `β > 0`.
        beta: f64,
    },
}

/// A Hopfield synapse on one (possibly token-shaped) layer.
///
/// ```
/// use engram::layers::{HopfieldFunction, HopfieldSynapse};
/// use ndarray::array;
///
/// let s = HopfieldSynapse::new(0, array![[1.0, 0.0], [0.0, 1.0]],
///     HopfieldFunction::LogSumExp { beta: 2.0 }).unwrap();
/// assert_eq!(s.patterns().nrows(), 2);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct HopfieldSynapse {
    layer: usize,
    patterns: Array2<f64>,
    function: HopfieldFunction,
}

impl HopfieldSynapse {
    /// A synapse storing `patterns` `(K, D)` on layer `layer` (whose last axis has `D` entries).
    pub fn new(
        layer: usize,
        patterns: Array2<f64>,
        function: HopfieldFunction,
    ) -> Result<HopfieldSynapse> {
        if patterns.is_empty() {
            return Err(Error::Empty(
                "hopfield synapse patterns: need at least one pattern of at least one entry".into(),
            ));
        }
        check_finite("hopfield synapse patterns", patterns.iter())?;
        match function {
            HopfieldFunction::RectifiedPower { degree: 0 } => {
                return Err(Error::param("degree", "must be at least 1"))
            }
            HopfieldFunction::LogSumExp { beta } => ensure_positive("beta", beta)?,
            _ => {}
        }
        Ok(HopfieldSynapse {
            layer,
            patterns,
            function,
        })
    }

    /// The layer it acts on.
    pub fn layer(&self) -> usize {
        self.layer
    }

    /// The stored patterns `(K, D)`.
    pub fn patterns(&self) -> &Array2<f64> {
        &self.patterns
    }

    /// The interaction function.
    pub fn function(&self) -> HopfieldFunction {
        self.function
    }

    pub(crate) fn check(&self, layers: &[Layer]) -> Result<()> {
        let d = layers[self.layer].group();
        if self.patterns.ncols() != d {
            return Err(Error::shape(
                format!(
                    "hopfield patterns (columns = features of layer {})",
                    self.layer
                ),
                d,
                self.patterns.ncols(),
            ));
        }
        Ok(())
    }

    /// Scores `ξ_μ · g_t`, shape `(T, K)`.
    fn scores(&self, g: ArrayView1<f64>) -> Array2<f64> {
        let d = self.patterns.ncols();
        let tokens = g
            .into_shape_with_order((g.len() / d, d))
            .expect("a layer's size is a multiple of its group");
        tokens.dot(&self.patterns.t())
    }

    pub(crate) fn energy(&self, _layers: &[Layer], g: ArrayView1<f64>) -> f64 {
        let scores = self.scores(g);
        match self.function {
            HopfieldFunction::RectifiedPower { degree } => {
                -scores
                    .iter()
                    .map(|&z| z.max(0.0).powi(degree as i32))
                    .sum::<f64>()
                    / degree as f64
            }
            HopfieldFunction::LogSumExp { beta } => -scores
                .axis_iter(Axis(0))
                .map(|row| {
                    let top = row.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
                    top + row
                        .iter()
                        .map(|z| (beta * (z - top)).exp())
                        .sum::<f64>()
                        .ln()
                        / beta
                })
                .sum::<f64>(),
        }
    }

    pub(crate) fn gradient(&self, _layers: &[Layer], g: ArrayView1<f64>) -> Array1<f64> {
        let mut weights = self.scores(g);
        match self.function {
            HopfieldFunction::RectifiedPower { degree } => weights
                .mapv_inplace(|z| -z.max(0.0).powi(degree as i32 - 1) * (z > 0.0) as u8 as f64),
            HopfieldFunction::LogSumExp { beta } => {
                for mut row in weights.axis_iter_mut(Axis(0)) {
                    let top = row.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
                    row.mapv_inplace(|z| (beta * (z - top)).exp());
                    let sum = row.sum();
                    row.mapv_inplace(|w| -w / sum);
                }
            }
        }
        Array1::from_iter(weights.dot(&self.patterns))
    }
}
