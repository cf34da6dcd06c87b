//! Lagrangians of a layer of neurons (Krotov & Hopfield 2021, section 2; Krotov 2021, eq. 2).
//!
//! A layer with state `x` has a scalar Lagrangian `L(x)`; its activation is the gradient
//! `g = ∂L/∂x` and it contributes `x·g - L(x)` (the Legendre transform of `L`, written in `x`) to
//! the network energy. The Hessian `∂²L/∂x²` is the Jacobian of the activation; the energy
//! decreases along the dynamics when every Hessian is positive semi-definite, i.e. when `L` is
//! convex (Krotov & Hopfield 2021, eq. 8 and the statement after it).
//!
//! Layers can be token-shaped: a Lagrangian that couples neurons (softmax, layer norm, spherical)
//! acts on each group of `group` consecutive entries (the last axis of the layer's shape) and
//! sums over groups; the separable ones do not care about the grouping.

use crate::error::{ensure_positive, Error, Result};

/// The Lagrangian of a layer of neurons. `g` below is the activation `∂L/∂x`.
#[derive(Clone, Debug, PartialEq)]
pub enum Lagrangian {
    /// `L = ½ Σ x²`, `g = x` (linear neurons; the visible layer of the modern Hopfield network).
    Identity,
    /// `L = ½ Σ max(x, 0)²`, `g = max(x, 0)` (ReLU neurons).
    Relu,
    /// `L = Σ log(1 + eˣ)`, `g = 1 / (1 + e⁻ˣ)` (logistic neurons).
    Sigmoid,
    /// `L = Σ log cosh x`, `g = tanh x`.
    Tanh,
    /// `L = β⁻¹ log Σ exp(β x)` per group, `g = softmax(β x)`.
    Softmax {
        /// Inverse temperature `β > 0`.
        beta: f64,
    },
    /// `L = D γ sqrt(mean((x - x̄)²) + ε) + Σ δ_i x_i` per group of size `D`, so that
    /// `g = γ (x - x̄) / sqrt(mean((x - x̄)²) + ε) + δ` is a layer norm (Hoover et al. 2023,
    /// Energy Transformer, eq. 2). The same as `γ √D sqrt(Σ (x - x̄)² + ε D) + δ·x`.
    LayerNorm {
        /// Scale `γ > 0`.
        gamma: f64,
        /// Per-neuron bias `δ`, one entry per neuron of a group; empty for none.
        delta: Vec<f64>,
        /// Regularizer `ε > 0` under the square root.
        eps: f64,
    },
    /// `L = |x|` per group, `g = x / |x|` (unit-norm neurons; `g = 0` at `x = 0`).
    Spherical,
    /// `L = c Σ xⁿ`, `g = c n xⁿ⁻¹`. Convex only for even `n` (or `n = 1`); odd `n >= 3` is here
    /// to show what goes wrong without convexity.
    Power {
        /// Degree `n >= 1`.
        degree: u32,
        /// Coefficient `c > 0`.
        coefficient: f64,
    },
    /// `L = c Σ max(x, 0)ⁿ`, `g = c n max(x, 0)ⁿ⁻¹` (the rectified polynomial interaction of the
    /// dense associative memory, Krotov & Hopfield 2016). Convex for every `n >= 1`.
    RectifiedPower {
        /// Degree `n >= 1`.
        degree: u32,
        /// Coefficient `c > 0`.
        coefficient: f64,
    },
}

fn softplus(x: f64) -> f64 {
    x.max(0.0) + (-x.abs()).exp().ln_1p()
}

fn log_cosh(x: f64) -> f64 {
    let a = x.abs();
    a + (-2.0 * a).exp().ln_1p() - std::f64::consts::LN_2
}

fn logistic(x: f64) -> f64 {
    if x >= 0.0 {
        1.0 / (1.0 + (-x).exp())
    } else {
        let e = x.exp();
        e / (1.0 + e)
    }
}

/// `x^k` for a small integer `k` (also for negative `x`).
fn ipow(x: f64, k: u32) -> f64 {
    x.powi(k as i32)
}

/// Mean-centred copy of `x`, and `s = sqrt(mean(centred²) + ε)`.
fn centre(x: &[f64], eps: f64) -> (Vec<f64>, f64) {
    let n = x.len() as f64;
    let mean = x.iter().sum::<f64>() / n;
    let c: Vec<f64> = x.iter().map(|v| v - mean).collect();
    let var = c.iter().map(|v| v * v).sum::<f64>() / n;
    (c, (var + eps).sqrt())
}

impl Lagrangian {
    /// Checks the parameters, for layers whose groups have `group` neurons.
    pub fn validate(&self, group: usize) -> Result<()> {
        match self {
            Lagrangian::Softmax { beta } => ensure_positive("beta", *beta),
            Lagrangian::LayerNorm { gamma, delta, eps } => {
                ensure_positive("gamma", *gamma)?;
                ensure_positive("eps", *eps)?;
                if !delta.is_empty() && delta.len() != group {
                    return Err(Error::shape(
                        "layer-norm delta",
                        format!("{group} entries (one per neuron of a group) or none"),
                        delta.len(),
                    ));
                }
                match delta.iter().position(|d| !d.is_finite()) {
                    Some(index) => Err(Error::NonFinite {
                        what: "layer-norm delta".into(),
                        index,
                    }),
                    None => Ok(()),
                }
            }
            Lagrangian::Power {
                degree,
                coefficient,
            }
            | Lagrangian::RectifiedPower {
                degree,
                coefficient,
            } => {
                if *degree == 0 {
                    return Err(Error::param("degree", "must be at least 1"));
                }
                ensure_positive("coefficient", *coefficient)
            }
            _ => Ok(()),
        }
    }

    /// Whether `L` is convex (its Hessian positive semi-definite everywhere), the condition under
    /// which the network energy cannot increase (Krotov & Hopfield 2021, after eq. 8).
    pub fn is_convex(&self) -> bool {
        match self {
            Lagrangian::Power { degree, .. } => *degree == 1 || degree % 2 == 0,
            _ => true,
        }
    }

    /// Short name with parameters, for tables.
    pub fn describe(&self) -> String {
        match self {
            Lagrangian::Identity => "identity".into(),
            Lagrangian::Relu => "relu".into(),
            Lagrangian::Sigmoid => "sigmoid".into(),
            Lagrangian::Tanh => "tanh".into(),
            Lagrangian::Softmax { beta } => format!("softmax(beta={beta})"),
            Lagrangian::LayerNorm { gamma, eps, .. } => {
                format!("layernorm(gamma={gamma},eps={eps})")
            }
            Lagrangian::Spherical => "spherical".into(),
            Lagrangian::Power {
                degree,
                coefficient,
            } => format!("{coefficient} x^{degree}"),
            Lagrangian::RectifiedPower {
                degree,
                coefficient,
            } => format!("{coefficient} relu(x)^{degree}"),
        }
    }

    /// `L(x)` summed over the groups of `group` entries of `x` (`x.len()` a multiple of `group`).
    pub fn value(&self, x: &[f64], group: usize) -> f64 {
        x.chunks(group.max(1)).map(|c| self.group_value(c)).sum()
    }

    /// The activation `g = ∂L/∂x`, group by group.
    pub fn activation(&self, x: &[f64], group: usize) -> Vec<f64> {
        let mut g = vec![0.0; x.len()];
        for (xc, gc) in x.chunks(group.max(1)).zip(g.chunks_mut(group.max(1))) {
            self.group_activation(xc, gc);
        }
        g
    }

    /// The Hessian-vector product `(∂²L/∂x²) v` (the Jacobian of the activation applied to `v`).
    pub fn hessian_vector(&self, x: &[f64], v: &[f64], group: usize) -> Vec<f64> {
        let mut out = vec![0.0; x.len()];
        let group = group.max(1);
        for ((xc, vc), oc) in x
            .chunks(group)
            .zip(v.chunks(group))
            .zip(out.chunks_mut(group))
        {
            self.group_hessian_vector(xc, vc, oc);
        }
        out
    }

    /// The layer's energy term `x·g - L(x)`.
    pub fn energy(&self, x: &[f64], group: usize) -> f64 {
        let g = self.activation(x, group);
        x.iter().zip(&g).map(|(a, b)| a * b).sum::<f64>() - self.value(x, group)
    }

    fn group_value(&self, x: &[f64]) -> f64 {
        match self {
            Lagrangian::Identity => 0.5 * x.iter().map(|v| v * v).sum::<f64>(),
            Lagrangian::Relu => 0.5 * x.iter().map(|v| v.max(0.0).powi(2)).sum::<f64>(),
            Lagrangian::Sigmoid => x.iter().map(|&v| softplus(v)).sum(),
            Lagrangian::Tanh => x.iter().map(|&v| log_cosh(v)).sum(),
            Lagrangian::Softmax { beta } => {
                let top = x.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
                let sum: f64 = x.iter().map(|v| (beta * (v - top)).exp()).sum();
                top + sum.ln() / beta
            }
            Lagrangian::LayerNorm { gamma, delta, eps } => {
                let (_, s) = centre(x, *eps);
                let bias: f64 = delta.iter().zip(x).map(|(d, v)| d * v).sum();
                gamma * x.len() as f64 * s + bias
            }
            Lagrangian::Spherical => x.iter().map(|v| v * v).sum::<f64>().sqrt(),
            Lagrangian::Power {
                degree,
                coefficient,
            } => coefficient * x.iter().map(|&v| ipow(v, *degree)).sum::<f64>(),
            Lagrangian::RectifiedPower {
                degree,
                coefficient,
            } => coefficient * x.iter().map(|&v| ipow(v.max(0.0), *degree)).sum::<f64>(),
        }
    }

    fn group_activation(&self, x: &[f64], g: &mut [f64]) {
        match self {
            Lagrangian::Identity => g.copy_from_slice(x),
            Lagrangian::Relu => {
                for (o, &v) in g.iter_mut().zip(x) {
                    *o = v.max(0.0);
                }
            }
            Lagrangian::Sigmoid => {
                for (o, &v) in g.iter_mut().zip(x) {
                    *o = logistic(v);
                }
            }
            Lagrangian::Tanh => {
                for (o, &v) in g.iter_mut().zip(x) {
                    *o = v.tanh();
                }
            }
            Lagrangian::Softmax { beta } => {
                let top = x.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
                let mut sum = 0.0;
                for (o, &v) in g.iter_mut().zip(x) {
                    *o = (beta * (v - top)).exp();
                    sum += *o;
                }
                for o in g.iter_mut() {
                    *o /= sum;
                }
            }
            Lagrangian::LayerNorm { gamma, delta, eps } => {
                let (c, s) = centre(x, *eps);
                for (i, o) in g.iter_mut().enumerate() {
                    *o = gamma * c[i] / s + delta.get(i).copied().unwrap_or(0.0);
                }
            }
            Lagrangian::Spherical => {
                let r = x.iter().map(|v| v * v).sum::<f64>().sqrt();
                for (o, &v) in g.iter_mut().zip(x) {
                    *o = if r > 0.0 { v / r } else { 0.0 };
                }
            }
            Lagrangian::Power {
                degree,
                coefficient,
            } => {
                let n = *degree;
                for (o, &v) in g.iter_mut().zip(x) {
                    *o = coefficient * n as f64 * ipow(v, n - 1);
                }
            }
            Lagrangian::RectifiedPower {
                degree,
                coefficient,
            } => {
                let n = *degree;
                for (o, &v) in g.iter_mut().zip(x) {
                    *o = if v > 0.0 {
                        coefficient * n as f64 * ipow(v, n - 1)
                    } else {
                        0.0
                    };
                }
            }
        }
    }

    fn group_hessian_vector(&self, x: &[f64], v: &[f64], out: &mut [f64]) {
        let diagonal = |out: &mut [f64], d: &dyn Fn(f64) -> f64| {
            for ((o, &xi), &vi) in out.iter_mut().zip(x).zip(v) {
                *o = d(xi) * vi;
            }
        };
        match self {
            Lagrangian::Identity => out.copy_from_slice(v),
            Lagrangian::Relu => diagonal(out, &|x| if x > 0.0 { 1.0 } else { 0.0 }),
            Lagrangian::Sigmoid => diagonal(out, &|x| {
                let s = logistic(x);
                s * (1.0 - s)
            }),
            Lagrangian::Tanh => diagonal(out, &|x| 1.0 - x.tanh().powi(2)),
            Lagrangian::Softmax { beta } => {
                let mut g = vec![0.0; x.len()];
                self.group_activation(x, &mut g);
                let gv: f64 = g.iter().zip(v).map(|(a, b)| a * b).sum();
                for i in 0..x.len() {
                    out[i] = beta * g[i] * (v[i] - gv);
                }
            }
            Lagrangian::LayerNorm { gamma, eps, .. } => {
                // J = γ/s (P - x̃ x̃ᵀ / (D s²)), P the centring projection.
                let (c, s) = centre(x, *eps);
                let d = x.len() as f64;
                let vmean = v.iter().sum::<f64>() / d;
                let cv: f64 = c.iter().zip(v).map(|(a, b)| a * b).sum();
                for i in 0..x.len() {
                    out[i] = gamma / s * ((v[i] - vmean) - c[i] * cv / (d * s * s));
                }
            }
            Lagrangian::Spherical => {
                // J = (I - g gᵀ) / r.
                let r = x.iter().map(|a| a * a).sum::<f64>().sqrt();
                if r == 0.0 {
                    out.fill(0.0);
                    return;
                }
                let gv: f64 = x.iter().zip(v).map(|(a, b)| a * b).sum::<f64>() / r;
                for i in 0..x.len() {
                    out[i] = (v[i] - x[i] / r * gv) / r;
                }
            }
            Lagrangian::Power {
                degree,
                coefficient,
            } => {
                let n = *degree;
                let k = coefficient * (n as f64) * (n as f64 - 1.0);
                diagonal(out, &|x| if n >= 2 { k * ipow(x, n - 2) } else { 0.0 });
            }
            Lagrangian::RectifiedPower {
                degree,
                coefficient,
            } => {
                let n = *degree;
                let k = coefficient * (n as f64) * (n as f64 - 1.0);
                diagonal(out, &|x| {
                    if n >= 2 && x > 0.0 {
                        k * ipow(x, n - 2)
                    } else {
                        0.0
                    }
                });
            }
        }
    }
}
