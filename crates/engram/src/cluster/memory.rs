//! The associative memory behind ClAM: prototypes as memories, a point descends their energy.
//!
//! With prototypes rho_1..rho_k, inverse temperature beta and step size alpha (Saha et al. 2023,
//! eqs. 3-5):
//!
//! ```text
//! E(x)    = -(1/beta) log sum_mu exp(-beta/2 |x - rho_mu|^2)
//! p_mu(x) = softmax_mu(-beta/2 |x - rho_mu|^2)
//! x      <- x + alpha sum_mu p_mu(x) (rho_mu - x)  =  x - alpha grad E(x)
//! ```
//!
//! For 0 < alpha <= 1 the energy never increases: `x + alpha (m - x)` with `m = sum p_mu rho_mu`
//! lies between x and the mean-shift point m, which maximises a quadratic lower bound of the
//! log-sum-exp that touches it at x (the argument of mean shift; it holds coordinate-wise, so
//! also when only some coordinates move). As beta grows the softmax becomes the nearest
//! prototype and T steps carry the point to it: the relaxation of the hard k-means assignment.
//!
//! ```
//! use engram::cluster::PrototypeMemory;
//! use ndarray::array;
//!
//! let memory = PrototypeMemory::new(array![[0.0, 0.0], [4.0, 4.0]], 2.0, 0.5).unwrap();
//! let x = array![[1.0, 0.5], [3.0, 3.5]];
//! let settled = memory.settle(x.view(), None, 20).unwrap();
//! assert!(memory.energy(settled.row(0)) < memory.energy(x.row(0)));
//! assert_eq!(memory.assign(x.view(), 20).unwrap(), vec![0, 1]);
//! ```

use ndarray::{Array1, Array2, ArrayView1, ArrayView2};

use crate::cluster::datasets::check_data;
use crate::cluster::kmeans::nearest;
use crate::error::{ensure_positive, Error, Result};

/// k prototypes in d dimensions with the inverse temperature and step size of the dynamics.
#[derive(Debug, Clone, PartialEq)]
pub struct PrototypeMemory {
    prototypes: Array2<f64>,
    beta: f64,
    step_size: f64,
}

impl PrototypeMemory {
    /// A memory of the rows of `prototypes` (shape (k, d)).
    ///
    /// Errors: [`Error::Empty`] / [`Error::NonFinite`] for empty or non-finite prototypes,
    /// [`Error::Parameter`] unless `beta > 0` and `0 < step_size <= 1`.
    pub fn new(prototypes: Array2<f64>, beta: f64, step_size: f64) -> Result<Self> {
        check_data(prototypes.view())?;
        ensure_positive("beta", beta)?;
        check_step_size(step_size)?;
        Ok(PrototypeMemory {
            prototypes,
            beta,
            step_size,
        })
    }

    /// Shape (k, d): the prototypes, one per row.
    pub fn prototypes(&self) -> ArrayView2<'_, f64> {
        self.prototypes.view()
    }

    /// The inverse temperature beta.
    pub fn beta(&self) -> f64 {
        self.beta
    }

    /// The step size alpha.
    pub fn step_size(&self) -> f64 {
        self.step_size
    }

    /// Softmax weights of each prototype for `x`: exp(-beta/2 |x - rho|^2), normalised.
    fn weights(&self, x: ArrayView1<f64>) -> (Array1<f64>, f64) {
        let logits: Array1<f64> = self
            .prototypes
            .rows()
            .into_iter()
            .map(|r| {
                let d2: f64 = r.iter().zip(x).map(|(a, b)| (a - b) * (a - b)).sum();
                -0.5 * self.beta * d2
            })
            .collect();
        let max = logits.fold(f64::NEG_INFINITY, |m, &v| m.max(v));
        let e = logits.mapv(|v| (v - max).exp());
        let sum = e.sum();
        (e / sum, max + sum.ln())
    }

    /// The energy E(x) = -(1/beta) logsumexp(-beta/2 |x - rho_mu|^2) of one point (length d).
    pub fn energy(&self, x: ArrayView1<f64>) -> f64 {
        -self.weights(x).1 / self.beta
    }

    fn check_points(&self, x: ArrayView2<f64>, free: Option<ArrayView2<bool>>) -> Result<()> {
        check_data(x)?;
        let d = self.prototypes.ncols();
        if x.ncols() != d {
            return Err(Error::shape(
                "points",
                format!("(n, {d})"),
                format!("{:?}", x.dim()),
            ));
        }
        if let Some(free) = free {
            if free.dim() != x.dim() {
                return Err(Error::shape(
                    "free mask",
                    format!("{:?}", x.dim()),
                    format!("{:?}", free.dim()),
                ));
            }
        }
        Ok(())
    }

    fn step_unchecked(&self, x: &mut Array2<f64>, free: Option<ArrayView2<bool>>) {
        for (i, mut row) in x.rows_mut().into_iter().enumerate() {
            let (p, _) = self.weights(row.view());
            let target = p.dot(&self.prototypes);
            for (j, (v, t)) in row.iter_mut().zip(&target).enumerate() {
                if free.is_none_or(|f| f[[i, j]]) {
                    *v += self.step_size * (t - *v);
                }
            }
        }
    }

    /// One step of the dynamics for every row of `x` (shape (n, d)); with `free`, only the
    /// coordinates marked `true` move (the others are clamped).
    ///
    /// Errors: [`Error::Shape`] for a wrong number of columns or a mask of another shape;
    /// [`Error::Empty`] / [`Error::NonFinite`] for bad points.
    pub fn step(&self, x: ArrayView2<f64>, free: Option<ArrayView2<bool>>) -> Result<Array2<f64>> {
        self.settle(x, free, 1)
    }

    /// `steps` steps of the dynamics from `x` (see [`PrototypeMemory::step`]).
    pub fn settle(
        &self,
        x: ArrayView2<f64>,
        free: Option<ArrayView2<bool>>,
        steps: usize,
    ) -> Result<Array2<f64>> {
        self.check_points(x, free)?;
        let mut state = x.to_owned();
        for _ in 0..steps {
            self.step_unchecked(&mut state, free);
        }
        Ok(state)
    }

    /// Hard assignment: run `steps` steps from each point, then take the nearest prototype to
    /// where it arrived.
    pub fn assign(&self, x: ArrayView2<f64>, steps: usize) -> Result<Vec<usize>> {
        let settled = self.settle(x, None, steps)?;
        Ok(nearest(settled.view(), self.prototypes.view()).0)
    }
}

/// Checks 0 < step size <= 1 (the range in which the energy provably never increases).
pub(crate) fn check_step_size(step_size: f64) -> Result<()> {
    if step_size.is_finite() && step_size > 0.0 && step_size <= 1.0 {
        Ok(())
    } else {
        Err(Error::param(
            "step_size",
            format!("must be in (0, 1], got {step_size}"),
        ))
    }
}
