//! The masked-completion loss of ClAM and its exact gradient with respect to the prototypes,
//! by a hand-written reverse pass through the unrolled dynamics (no autodiff library).
//!
//! Forward, for every row (point) separately, with hidden mask h (1 = the coordinate moves):
//!
//! ```text
//! p^t     = softmax_mu(-beta/2 |x^t - rho_mu|^2)
//! x^{t+1} = x^t + alpha h * (sum_mu p^t_mu rho_mu - x^t)          t = 0 .. T-1
//! L       = 1/(B d) sum_rows sum_j h_j (x^T_j - y_j)^2
//! ```
//!
//! Reverse, from g = dL/dx^T = 2/(B d) h * (x^T - y), for t = T-1 down to 0, with
//! s = alpha h * g, a_mu = s . rho_mu, c_mu = p^t_mu (a_mu - sum_nu p^t_nu a_nu):
//!
//! ```text
//! dL/drho_mu += p^t_mu s + beta c_mu (x^t - rho_mu)
//! g          <- (1 - alpha h) * g + beta sum_mu c_mu rho_mu
//! ```
//!
//! (the softmax's Jacobian turns `s . m` into the centred weights c, and d logit_mu / d x =
//! beta (rho_mu - x) sums to `beta sum c_mu rho_mu` because the c sum to zero). The loss is the
//! authors' `reduce_mean` over the batch's B x d entries. Tests compare the gradient with
//! central finite differences and with candle's autodiff.
//!
//! ```
//! use engram::cluster::completion_loss_gradient;
//! use ndarray::array;
//!
//! let prototypes = array![[0.0, 0.0], [2.0, 1.0]];
//! let target = array![[1.9, 1.2]];
//! let hidden = array![[0.0, 1.0]];            // the second coordinate is hidden...
//! let start = array![[1.9, 0.0]];             // ...and starts at 0
//! let (loss, grad) =
//!     completion_loss_gradient(prototypes.view(), target.view(), start.view(), hidden.view(),
//!                              1.0, 0.5, 4).unwrap();
//! assert!(loss > 0.0 && grad.dim() == (2, 2));
//! ```

use ndarray::{Array2, ArrayView2};

use crate::cluster::datasets::check_data;
use crate::cluster::memory::check_step_size;
use crate::error::{ensure_positive, Error, Result};

/// The loss and its gradient (shape of `prototypes`, (k, d)) for `target`, `start` and
/// `hidden` of shape (B, d): the dynamics run `steps` steps from `start`, moving only where
/// `hidden` is non-zero, and the loss is the mean over the B x d entries of
/// `hidden * (x^T - target)^2`.
///
/// Errors: [`Error::Shape`] for mismatched shapes, [`Error::Empty`] for no rows,
/// [`Error::NonFinite`] for non-finite inputs or a gradient that overflows, [`Error::Parameter`]
/// unless `beta > 0` and `0 < step_size <= 1`.
pub fn completion_loss_gradient(
    prototypes: ArrayView2<f64>,
    target: ArrayView2<f64>,
    start: ArrayView2<f64>,
    hidden: ArrayView2<f64>,
    beta: f64,
    step_size: f64,
    steps: usize,
) -> Result<(f64, Array2<f64>)> {
    check_completion_problem(prototypes, target, start, hidden, beta, step_size)?;
    let (k, d) = prototypes.dim();
    let rho = prototypes.as_standard_layout();
    let mut unroll = Unroll::new(k, d, steps);
    let mut grad = vec![0.0; k * d];
    let mut loss = 0.0;
    let scale = 1.0 / (target.nrows() * d) as f64;
    for i in 0..target.nrows() {
        let row = |a: &ArrayView2<f64>| a.row(i).to_vec();
        loss += unroll.row(
            rho.as_slice().expect("standard layout"),
            &row(&target),
            &row(&start),
            &row(&hidden),
            beta,
            step_size,
            scale,
            &mut grad,
        );
    }
    if let Some(index) = grad.iter().position(|g| !g.is_finite()) {
        return Err(Error::NonFinite {
            what: "gradient of the completion loss".into(),
            index,
        });
    }
    let grad = Array2::from_shape_vec((k, d), grad).expect("k x d values");
    Ok((loss, grad))
}

/// Checks a masked-completion problem: prototypes (k, d) and target, start, hidden (B, d), all
/// non-empty and finite, `beta > 0`, `0 < step_size <= 1`.
pub(crate) fn check_completion_problem(
    prototypes: ArrayView2<f64>,
    target: ArrayView2<f64>,
    start: ArrayView2<f64>,
    hidden: ArrayView2<f64>,
    beta: f64,
    step_size: f64,
) -> Result<()> {
    let d = prototypes.ncols();
    check_data(prototypes)?;
    check_data(target)?;
    for (name, dim) in [
        ("target", target.dim()),
        ("start", start.dim()),
        ("hidden", hidden.dim()),
    ] {
        if dim != (target.nrows(), d) {
            return Err(Error::shape(
                name,
                format!("({}, {d})", target.nrows()),
                format!("{dim:?}"),
            ));
        }
    }
    check_data(start)?;
    check_data(hidden)?;
    ensure_positive("beta", beta)?;
    check_step_size(step_size)
}

/// Buffers for one row's unrolled dynamics and its reverse pass, reused across rows.
#[derive(Debug, Clone)]
pub(crate) struct Unroll {
    k: usize,
    d: usize,
    steps: usize,
    /// States x^0 .. x^T, (T + 1) x d.
    states: Vec<f64>,
    /// Softmax weights p^0 .. p^{T-1}, T x k.
    weights: Vec<f64>,
    /// The adjoint g, length d.
    adjoint: Vec<f64>,
    /// s = alpha h * g, length d.
    pulled: Vec<f64>,
    /// Scratch of length k (logits, then a_mu, then c_mu).
    scratch: Vec<f64>,
}

impl Unroll {
    /// Buffers for k prototypes in d dimensions and `steps` steps.
    pub(crate) fn new(k: usize, d: usize, steps: usize) -> Self {
        Unroll {
            k,
            d,
            steps,
            states: vec![0.0; (steps + 1) * d],
            weights: vec![0.0; steps * k],
            adjoint: vec![0.0; d],
            pulled: vec![0.0; d],
            scratch: vec![0.0; k],
        }
    }

    /// Runs the dynamics for one row, returns its loss term `scale * sum_j h_j (x^T_j - y_j)^2`
    /// and adds its gradient to `grad` (k x d, row-major). Inputs are trusted (checked by the
    /// callers).
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn row(
        &mut self,
        rho: &[f64],
        target: &[f64],
        start: &[f64],
        hidden: &[f64],
        beta: f64,
        alpha: f64,
        scale: f64,
        grad: &mut [f64],
    ) -> f64 {
        let (k, d) = (self.k, self.d);
        self.states[..d].copy_from_slice(start);
        for t in 0..self.steps {
            let (past, future) = self.states.split_at_mut((t + 1) * d);
            let x = &past[t * d..];
            let next = &mut future[..d];
            let p = &mut self.weights[t * k..(t + 1) * k];
            softmax_weights(rho, x, beta, p);
            // next = x + alpha h * (m - x) with m = sum_mu p_mu rho_mu (built in `next`).
            next.fill(0.0);
            for (&w, r) in p.iter().zip(rho.chunks_exact(d)) {
                for (m, &r) in next.iter_mut().zip(r) {
                    *m += w * r;
                }
            }
            for ((n, &x), &h) in next.iter_mut().zip(x).zip(hidden) {
                *n = x + alpha * h * (*n - x);
            }
        }
        let last = &self.states[self.steps * d..];
        let mut loss = 0.0;
        for j in 0..d {
            let e = last[j] - target[j];
            loss += hidden[j] * e * e;
            self.adjoint[j] = 2.0 * scale * hidden[j] * e;
        }
        for t in (0..self.steps).rev() {
            let x = &self.states[t * d..(t + 1) * d];
            let p = &self.weights[t * k..(t + 1) * k];
            for ((s, h), g) in self.pulled.iter_mut().zip(hidden).zip(&self.adjoint) {
                *s = alpha * h * g;
            }
            let mut mean = 0.0;
            for ((a, r), &w) in self.scratch.iter_mut().zip(rho.chunks_exact(d)).zip(p) {
                *a = dot(r, &self.pulled);
                mean += w * *a;
            }
            for (g, h) in self.adjoint.iter_mut().zip(hidden) {
                *g *= 1.0 - alpha * h;
            }
            let rows = rho.chunks_exact(d).zip(grad.chunks_exact_mut(d));
            for ((r, g), (&w, &a)) in rows.zip(p.iter().zip(&self.scratch)) {
                let bc = beta * w * (a - mean);
                for (((g, &s), &x), &r) in g.iter_mut().zip(&self.pulled).zip(x).zip(r) {
                    *g += w * s + bc * (x - r);
                }
                for (g, &r) in self.adjoint.iter_mut().zip(r) {
                    *g += bc * r;
                }
            }
        }
        scale * loss
    }
}

/// p = softmax_mu(-beta/2 |x - rho_mu|^2), the maximum subtracted first.
pub(crate) fn softmax_weights(rho: &[f64], x: &[f64], beta: f64, p: &mut [f64]) {
    let d = x.len();
    let mut max = f64::NEG_INFINITY;
    for (mu, w) in p.iter_mut().enumerate() {
        let r = &rho[mu * d..(mu + 1) * d];
        let dist = squared_distance(r, x);
        *w = -0.5 * beta * dist;
        max = max.max(*w);
    }
    let mut sum = 0.0;
    for w in p.iter_mut() {
        *w = (*w - max).exp();
        sum += *w;
    }
    for w in p.iter_mut() {
        *w /= sum;
    }
}

/// Sum of `a_j b_j`, in eight independent partial sums so that it vectorizes.
fn dot(a: &[f64], b: &[f64]) -> f64 {
    lanes(a, b, |x, y| x * y)
}

/// Sum of `(a_j - b_j)^2`, in eight independent partial sums.
fn squared_distance(a: &[f64], b: &[f64]) -> f64 {
    lanes(a, b, |x, y| (x - y) * (x - y))
}

/// Sum of `term(a_j, b_j)` over equal-length slices, eight lanes then the tail.
#[inline(always)]
fn lanes(a: &[f64], b: &[f64], term: impl Fn(f64, f64) -> f64) -> f64 {
    let mut acc = [0.0f64; 8];
    let (ca, cb) = (a.chunks_exact(8), b.chunks_exact(8));
    let tail: f64 = ca
        .remainder()
        .iter()
        .zip(cb.remainder())
        .map(|(&x, &y)| term(x, y))
        .sum();
    for (x, y) in ca.zip(cb) {
        for l in 0..8 {
            acc[l] += term(x[l], y[l]);
        }
    }
    acc.iter().sum::<f64>() + tail
}
