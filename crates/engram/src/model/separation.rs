//! Separation functions: how a row of similarity scores is sharpened into weights over the
//! stored patterns.
//!
//! Every separation here is the gradient of a convex potential `Φ`, applied to the scores
//! scaled by the separation's inverse temperature `β` (1 for the parameter-free ones). That is
//! what gives the [`super::Universal`] model an energy `½|x|² - Φ(β s(x))/β`, and what makes its
//! update with the dot-product similarity a concave-convex (CCCP) step that never increases it.

use crate::error::{ensure_positive, Error, Result};
use crate::kernel::separation as kernel;

/// A separation function with its parameters.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Separation {
    /// Weights equal the scores: `Φ(z) = |z|²/2` (the classical Hopfield case).
    Identity,
    /// Rectified power `max(z, 0)^n`: `Φ(z) = Σ max(z,0)^(n+1)/(n+1)` (continuous Krotov-Hopfield).
    Power {
        /// Degree `n >= 1`.
        degree: u32,
    },
    /// `softmax(βz)`: `Φ = logsumexp` (Ramsauer et al. 2020).
    Softmax {
        /// Inverse temperature `β > 0`.
        beta: f32,
    },
    /// `sparsemax(βz)`, the Euclidean projection onto the simplex (Martins & Astudillo 2016;
    /// sparse modern Hopfield, Hu et al. 2023).
    Sparsemax {
        /// Inverse temperature `β > 0`.
        beta: f32,
    },
    /// `α-entmax(βz)` (Peters, Niculae & Martins 2019; generalized sparse modern Hopfield, Wu et
    /// al. 2024): `α → 1` is softmax, `α = 2` is sparsemax.
    Entmax {
        /// `α > 1`.
        alpha: f32,
        /// Inverse temperature `β > 0`.
        beta: f32,
    },
    /// Uniform weight `1/k` on the `k` best-scoring patterns: `Φ` = mean of the top `k` scores.
    TopK {
        /// How many patterns share the weight, `k >= 1`.
        k: usize,
    },
    /// One-hot on the best-scoring pattern (`TopK { k: 1 }`).
    Max,
}

impl Separation {
    /// Checks the parameters.
    pub fn validate(&self) -> Result<()> {
        match *self {
            Separation::Identity | Separation::Max => Ok(()),
            Separation::Power { degree } => {
                if degree == 0 {
                    Err(Error::param("degree", "must be at least 1"))
                } else {
                    Ok(())
                }
            }
            Separation::Softmax { beta } | Separation::Sparsemax { beta } => {
                ensure_positive("beta", beta as f64)
            }
            Separation::Entmax { alpha, beta } => {
                ensure_positive("beta", beta as f64)?;
                if alpha.is_finite() && alpha > 1.0 {
                    Ok(())
                } else {
                    Err(Error::param(
                        "alpha",
                        format!("must be finite and > 1, got {alpha}"),
                    ))
                }
            }
            Separation::TopK { k } => {
                if k == 0 {
                    Err(Error::param("k", "must be at least 1"))
                } else {
                    Ok(())
                }
            }
        }
    }

    /// The inverse temperature the scores are multiplied by (1 for parameter-free separations).
    pub fn beta(&self) -> f32 {
        match *self {
            Separation::Softmax { beta }
            | Separation::Sparsemax { beta }
            | Separation::Entmax { beta, .. } => beta,
            _ => 1.0,
        }
    }

    /// Short name with parameters, for tables.
    pub fn describe(&self) -> String {
        match *self {
            Separation::Identity => "identity".into(),
            Separation::Power { degree } => format!("power({degree})"),
            Separation::Softmax { beta } => format!("softmax(beta={beta})"),
            Separation::Sparsemax { beta } => format!("sparsemax(beta={beta})"),
            Separation::Entmax { alpha, beta } => format!("entmax(alpha={alpha},beta={beta})"),
            Separation::TopK { k } => format!("top{k}"),
            Separation::Max => "max".into(),
        }
    }

    /// Turns raw similarity `scores` into weights (in place) and returns `Φ(β s)/β`.
    ///
    /// `scratch` must have the length of `scores`. Fails if `β s` or the weights are not finite
    /// (an overflowing temperature or power).
    pub fn apply(&self, scores: &mut [f32], scratch: &mut [f32]) -> Result<f64> {
        let beta = self.beta();
        if beta != 1.0 {
            for s in scores.iter_mut() {
                *s *= beta;
            }
        }
        if scores.iter().any(|s| !s.is_finite()) {
            return Err(Error::param(
                "beta",
                format!("beta = {beta} times the similarities overflows f32"),
            ));
        }
        let phi = match *self {
            Separation::Identity => kernel::identity(scores, scratch),
            Separation::Power { degree } => kernel::rectified_power(scores, degree, scratch),
            Separation::Softmax { .. } => kernel::softmax(scores, scratch),
            Separation::Sparsemax { .. } => kernel::sparsemax(scores, scratch),
            Separation::Entmax { alpha, .. } => kernel::entmax(scores, alpha, scratch),
            Separation::TopK { k } => kernel::top_k(scores, k, scratch),
            Separation::Max => kernel::top_k(scores, 1, scratch),
        };
        if !phi.is_finite() || scratch.iter().any(|w| !w.is_finite()) {
            return Err(Error::param(
                "separation",
                format!("{} overflows on these scores", self.describe()),
            ));
        }
        scores.copy_from_slice(scratch);
        Ok(phi / beta as f64)
    }
}

impl std::str::FromStr for Separation {
    type Err = Error;
    /// Parses `identity`, `power:N`, `softmax:BETA`, `sparsemax:BETA`, `entmax:ALPHA:BETA`,
    /// `topk:K` and `max` (the numbers after `:` may be left out for defaults `n = 3`, `β = 1`,
    /// `α = 1.5`, `k = 2`).
    fn from_str(text: &str) -> Result<Self> {
        let mut parts = text.split(':');
        let name = parts.next().unwrap_or_default();
        let nums: Vec<&str> = parts.collect();
        let num = |i: usize, default: f64| -> Result<f64> {
            match nums.get(i) {
                None => Ok(default),
                Some(s) => s.parse::<f64>().map_err(|_| {
                    Error::param("separation", format!("bad number {s:?} in {text:?}"))
                }),
            }
        };
        let sep = match name {
            "identity" => Separation::Identity,
            "power" | "poly" => Separation::Power {
                degree: num(0, 3.0)? as u32,
            },
            "softmax" => Separation::Softmax {
                beta: num(0, 1.0)? as f32,
            },
            "sparsemax" => Separation::Sparsemax {
                beta: num(0, 1.0)? as f32,
            },
            "entmax" => Separation::Entmax {
                alpha: num(0, 1.5)? as f32,
                beta: num(1, 1.0)? as f32,
            },
            "topk" | "top-k" => Separation::TopK {
                k: num(0, 2.0)? as usize,
            },
            "max" => Separation::Max,
            _ => {
                return Err(Error::param(
                    "separation",
                    format!(
                        "unknown separation {name:?} (expected identity, power:N, softmax:BETA, \
                         sparsemax:BETA, entmax:ALPHA:BETA, topk:K or max)"
                    ),
                ))
            }
        };
        sep.validate()?;
        Ok(sep)
    }
}
