//! Classical Hopfield network (Hopfield 1982).
//!
//! States `s ∈ {-1,+1}^N`, symmetric weights `W` (see [`crate::learn`]), no thresholds.
//!
//! * Energy: `E(s) = -½ sᵀ W s`.
//! * Asynchronous update (default): neuron `i` takes `sign(Σ_j w_ij s_j)` (keeping its state on a
//!   zero field). With `w_ii >= 0` every update lowers `E` or leaves it unchanged, so the
//!   trajectory descends to a fixed point.
//! * Synchronous update: `s ← sign(W s)`, the fields computed by one `f32` matrix product. A
//!   neuron whose `f32` field lies within that product's rounding bound of zero
//!   (`2 (N + 1) 2^-24 Σ_j |w_ij|`) has its field recomputed exactly as the asynchronous update
//!   computes it (an `f64` sum over `j` in order), so a neuron's decision is the same in both
//!   schedules and does not depend on the batch or the thread count. (With Hebbian weights and
//!   `K (N - 1)` even, exact ties `Σ_j w_ij s_j = 0` are common; the `f32` product would break
//!   them by rounding noise.) The energy `E` may rise here (the dynamics can settle
//!   into a 2-cycle); what never rises is the two-step Lyapunov function
//!   `L(t) = -s(t)ᵀ W s(t-1)` (Goles-Chacc, Fogelman-Soulié & Pellegrin 1985), available as
//!   [`Hopfield::sync_lyapunov`].

use ndarray::{Array1, Array2, ArrayView1, ArrayView2};

use super::{ensure_bipolar, sign_or_keep};
use crate::dynamics::{check_batch, Dynamics, Schedule};
use crate::error::{ensure_finite, Error, Result};
use crate::kernel::matmul::matmul;
use crate::learn::{hebbian, pseudoinverse, storkey, LearningRule};

/// A classical Hopfield network: a symmetric `(N, N)` weight matrix over bipolar states.
#[derive(Clone, Debug)]
pub struct Hopfield {
    weights: Array2<f32>,
    rule: Option<LearningRule>,
    /// `Σ_j |w_ij|` per row: scales the rounding bound of the synchronous fields.
    row_abs: Vec<f64>,
}

fn row_abs_sums(weights: &Array2<f32>) -> Vec<f64> {
    weights
        .rows()
        .into_iter()
        .map(|row| row.iter().map(|w| w.abs() as f64).sum())
        .collect()
}

impl Hopfield {
    /// Learns weights for bipolar `patterns` of shape `(K, N)` with `rule`.
    pub fn new(patterns: ArrayView2<f32>, rule: LearningRule) -> Result<Self> {
        let weights = match rule {
            LearningRule::Hebbian => hebbian(patterns)?,
            LearningRule::Storkey => storkey(patterns)?,
            LearningRule::Pseudoinverse => pseudoinverse(patterns)?,
        };
        Ok(Hopfield {
            row_abs: row_abs_sums(&weights),
            weights,
            rule: Some(rule),
        })
    }

    /// A network with the given weights, which must be square, finite and symmetric.
    pub fn from_weights(weights: Array2<f32>) -> Result<Self> {
        let (r, c) = weights.dim();
        if r != c {
            return Err(Error::shape(
                "weights",
                "a square matrix",
                format!("({r}, {c})"),
            ));
        }
        if r == 0 {
            return Err(Error::Empty("weights: dimension 0".into()));
        }
        ensure_finite("weights", weights.iter())?;
        let scale = weights
            .iter()
            .fold(0.0f32, |m, v| m.max(v.abs()))
            .max(1e-30);
        for i in 0..r {
            for j in 0..i {
                if (weights[[i, j]] - weights[[j, i]]).abs() > 1e-5 * scale {
                    return Err(Error::param(
                        "weights",
                        format!("must be symmetric; w[{i},{j}] != w[{j},{i}]"),
                    ));
                }
            }
        }
        Ok(Hopfield {
            row_abs: row_abs_sums(&weights),
            weights,
            rule: None,
        })
    }

    /// The weight matrix, shape `(N, N)`.
    pub fn weights(&self) -> ArrayView2<'_, f32> {
        self.weights.view()
    }

    /// The rule the weights were learned with (`None` for [`Hopfield::from_weights`]).
    pub fn rule(&self) -> Option<LearningRule> {
        self.rule
    }

    /// Local fields `W s` of each row of `states`, shape `(B, N)`.
    pub fn local_fields(&self, states: ArrayView2<f32>) -> Result<Array2<f32>> {
        check_batch("states", states, self.dim())?;
        // W is symmetric, so S Wᵀ = S W.
        Ok(matmul(states, self.weights.view()))
    }

    /// The field of neuron `i`, `Σ_j w_ij s_j`, summed in `f64` over `j` in order: the
    /// asynchronous update's field, and the synchronous one's near zero.
    fn field_f64(&self, i: usize, state: &[f32]) -> f64 {
        self.weights
            .row(i)
            .iter()
            .zip(state.iter())
            .map(|(&w, &s)| w as f64 * s as f64)
            .sum()
    }

    /// The synchronous dynamics' Lyapunov function `L = -s(t)ᵀ W s(t-1)`, which never increases
    /// along a synchronous trajectory.
    pub fn sync_lyapunov(
        &self,
        previous: ArrayView1<f32>,
        current: ArrayView1<f32>,
    ) -> Result<f64> {
        let n = self.dim();
        if previous.len() != n || current.len() != n {
            return Err(Error::shape(
                "states",
                n,
                format!("{} and {}", previous.len(), current.len()),
            ));
        }
        let field = self.weights.dot(&previous);
        Ok(-current
            .iter()
            .zip(field.iter())
            .map(|(&a, &b)| a as f64 * b as f64)
            .sum::<f64>())
    }
}

impl Dynamics for Hopfield {
    fn dim(&self) -> usize {
        self.weights.nrows()
    }

    fn energies(&self, states: ArrayView2<f32>) -> Result<Array1<f64>> {
        let fields = self.local_fields(states)?;
        Ok(states
            .rows()
            .into_iter()
            .zip(fields.rows())
            .map(|(s, h)| {
                -0.5 * s
                    .iter()
                    .zip(h.iter())
                    .map(|(&a, &b)| a as f64 * b as f64)
                    .sum::<f64>()
            })
            .collect())
    }

    fn step(&self, states: ArrayView2<f32>) -> Result<Array2<f32>> {
        let fields = self.local_fields(states)?;
        // Rigorous bound on the f32 product's rounding, doubled: beyond it the f32 field has the
        // sign of the exact (and of the f64) field.
        let unit = 2.0 * (self.dim() + 1) as f64 / 16_777_216.0;
        let mut next = states.to_owned();
        for ((mut row, fields), state) in next
            .rows_mut()
            .into_iter()
            .zip(fields.rows())
            .zip(states.rows())
        {
            let state = state.to_vec();
            for (i, (s, &h)) in row.iter_mut().zip(fields.iter()).enumerate() {
                let h = if (h.abs() as f64) > unit * self.row_abs[i] {
                    h as f64
                } else {
                    self.field_f64(i, &state)
                };
                *s = sign_or_keep(h, *s);
            }
        }
        Ok(next)
    }

    fn sweep(&self, state: &mut [f32], order: &[usize]) -> Result<()> {
        for &i in order {
            let field = self.field_f64(i, state);
            state[i] = sign_or_keep(field, state[i]);
        }
        Ok(())
    }

    fn default_schedule(&self) -> Schedule {
        Schedule::Asynchronous
    }

    fn validate_states(&self, what: &str, states: ArrayView2<f32>) -> Result<()> {
        check_batch(what, states, self.dim())?;
        ensure_bipolar(what, states)
    }
}
