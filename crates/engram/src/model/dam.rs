//! Dense Associative Memory on bipolar states (Krotov & Hopfield 2016, "Dense Associative Memory
//! for Pattern Recognition", NeurIPS; Demircigil, Heusel, Löwe, Upgang & Vermet 2017, "On a model
//! of associative memory with huge storage capacity", J. Stat. Phys.).
//!
//! Stored patterns `ξ_μ ∈ {-1,+1}^N` (rows of a `(K, N)` array), state `σ ∈ {-1,+1}^N`,
//! overlaps `m_μ = ξ_μ · σ` (integers in `[-N, N]`).
//!
//! * Energy: `E(σ) = -Σ_μ F(m_μ)` with
//!   - [`DamSeparation::Power`]: `F(x) = x^n`,
//!   - [`DamSeparation::RectifiedPower`]: `F(x) = max(x, 0)^n`,
//!   - [`DamSeparation::Exp`]: `F(x) = exp(βx)` (Demircigil et al.; `β = 1` is their model).
//! * Update of neuron `i` (Krotov & Hopfield 2016, eq. 4):
//!   `σ_i ← sign( Σ_μ [F(ξ_μi + Σ_{j≠i} ξ_μj σ_j) - F(-ξ_μi + Σ_{j≠i} ξ_μj σ_j)] )`,
//!   i.e. the neuron takes whichever sign gives the lower energy (ties keep the current sign), so
//!   asynchronous updates (the default) never raise the energy.
//!
//! Numerics. Overlaps are kept as exact integers and `F` is read from a table over `[-N, N]`.
//! For powers the table holds `F(m/N) = (m/N)^n`, which rescales the energy by `N^-n` (the
//! dynamics are unchanged) and keeps degrees up to 30 and beyond finite; reported energies are
//! `-Σ_μ (m_μ/N)^n`. For the exponential, sums are taken in log space: reported energies are
//! `-(1/β) log Σ_μ exp(β m_μ)`, a monotone transform of `-Σ_μ exp(β m_μ)`, so they order states
//! exactly as the paper's energy does without overflowing.

use ndarray::{Array1, Array2, ArrayView2};
use rayon::prelude::*;

use super::ensure_bipolar;
use crate::dynamics::{check_batch, Dynamics, Schedule};
use crate::error::{ensure_positive, Error, Result};
use crate::kernel::matmul::matmul_nt;

/// The interaction function `F` of a dense associative memory.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum DamSeparation {
    /// `F(x) = x^n` (Krotov & Hopfield 2016). For even `n` the negated pattern is an attractor too.
    Power {
        /// The degree `n >= 1`.
        degree: u32,
    },
    /// `F(x) = max(x, 0)^n` (Krotov & Hopfield 2016, rectified polynomial).
    RectifiedPower {
        /// The degree `n >= 1`.
        degree: u32,
    },
    /// `F(x) = exp(βx)` (Demircigil et al. 2017 use `β = 1`).
    Exp {
        /// Inverse temperature `β > 0`.
        beta: f64,
    },
}

impl DamSeparation {
    fn validate(&self) -> Result<()> {
        match *self {
            DamSeparation::Power { degree } | DamSeparation::RectifiedPower { degree } => {
                if degree == 0 {
                    Err(Error::param("degree", "must be at least 1"))
                } else {
                    Ok(())
                }
            }
            DamSeparation::Exp { beta } => ensure_positive("beta", beta),
        }
    }

    /// The text form [`str::parse`] reads back: `power:N`, `rectified:N` or `exp:BETA`.
    pub fn spec(&self) -> String {
        match *self {
            DamSeparation::Power { degree } => format!("power:{degree}"),
            DamSeparation::RectifiedPower { degree } => format!("rectified:{degree}"),
            DamSeparation::Exp { beta } => format!("exp:{beta}"),
        }
    }

    /// Short name for tables.
    pub fn describe(&self) -> String {
        match *self {
            DamSeparation::Power { degree } => format!("x^{degree}"),
            DamSeparation::RectifiedPower { degree } => format!("relu(x)^{degree}"),
            DamSeparation::Exp { beta } => format!("exp({beta}x)"),
        }
    }
}

impl std::str::FromStr for DamSeparation {
    type Err = Error;
    /// Parses `power:N` (or `poly:N`), `rectified:N` (or `relu:N`) and `exp:BETA`; the number may
    /// be left out for `N = 3` and `BETA = 1`. The result is validated.
    fn from_str(text: &str) -> Result<Self> {
        let (name, arg) = match text.trim().split_once(':') {
            Some((name, arg)) => (name.trim(), Some(arg.trim())),
            None => (text.trim(), None),
        };
        let bad_number = || {
            Error::param(
                "separation",
                format!("bad number {:?} in {text:?}", arg.unwrap_or_default()),
            )
        };
        let degree =
            || -> Result<u32> { arg.map_or(Ok(3), |a| a.parse::<u32>().map_err(|_| bad_number())) };
        let sep = match name {
            "power" | "poly" | "polynomial" => DamSeparation::Power { degree: degree()? },
            "rectified" | "relu" => DamSeparation::RectifiedPower { degree: degree()? },
            "exp" | "exponential" => DamSeparation::Exp {
                beta: arg.map_or(Ok(1.0), |a| a.parse::<f64>().map_err(|_| bad_number()))?,
            },
            _ => {
                return Err(Error::param(
                    "separation",
                    format!(
                        "unknown dense-memory separation {text:?} (expected power:N, \
                         rectified:N or exp:BETA)"
                    ),
                ))
            }
        };
        sep.validate()?;
        Ok(sep)
    }
}

/// Precomputed `F` over the integer overlaps `-N..=N`.
#[derive(Clone, Debug)]
enum Table {
    /// `values[m + N] = F(m / N)` for the polynomial energies.
    Poly(Vec<f64>),
    /// `decay[j] = exp(-β j)` for `j = 0..=2N+2`, used in max-shifted log-sum-exp.
    Exp { beta: f64, decay: Vec<f64> },
}

/// A dense associative memory over bipolar patterns.
#[derive(Clone, Debug)]
pub struct DenseAssociativeMemory {
    patterns: Array2<f32>,
    /// `patterns` transposed, `(N, K)`, so that neuron `i`'s column of pattern entries is contiguous.
    columns: Array2<i8>,
    separation: DamSeparation,
    table: Table,
}

impl DenseAssociativeMemory {
    /// A memory holding the bipolar `patterns` (shape `(K, N)`) with interaction `separation`.
    pub fn new(patterns: Array2<f32>, separation: DamSeparation) -> Result<Self> {
        if patterns.nrows() == 0 || patterns.ncols() == 0 {
            return Err(Error::Empty(
                "patterns: a dense associative memory needs at least one pattern".into(),
            ));
        }
        ensure_bipolar("patterns", patterns.view())?;
        separation.validate()?;
        let n = patterns.ncols();
        let columns = patterns.t().mapv(|v| v as i8);
        let table = match separation {
            DamSeparation::Power { degree } | DamSeparation::RectifiedPower { degree } => {
                let rectified = matches!(separation, DamSeparation::RectifiedPower { .. });
                Table::Poly(
                    (0..=2 * n)
                        .map(|j| {
                            let x = (j as f64 - n as f64) / n as f64;
                            let x = if rectified { x.max(0.0) } else { x };
                            x.powi(degree as i32)
                        })
                        .collect(),
                )
            }
            DamSeparation::Exp { beta } => Table::Exp {
                beta,
                decay: (0..=2 * n + 2).map(|j| (-beta * j as f64).exp()).collect(),
            },
        };
        Ok(DenseAssociativeMemory {
            patterns,
            columns: columns.as_standard_layout().to_owned(),
            separation,
            table,
        })
    }

    /// The stored patterns, shape `(K, N)`.
    pub fn patterns(&self) -> ArrayView2<'_, f32> {
        self.patterns.view()
    }

    /// The interaction function.
    pub fn separation(&self) -> DamSeparation {
        self.separation
    }

    /// Overlaps `m_μ = ξ_μ · σ` of each state with each pattern, shape `(B, K)`, exact integers.
    pub fn overlaps(&self, states: ArrayView2<f32>) -> Result<Array2<i32>> {
        self.validate_states("states", states)?;
        Ok(matmul_nt(states, self.patterns.view()).mapv(|v| v.round() as i32))
    }

    fn n(&self) -> i32 {
        self.patterns.ncols() as i32
    }

    /// The energy of one state from its overlaps.
    fn energy_from_overlaps(&self, m: &[i32]) -> f64 {
        let n = self.n();
        match &self.table {
            Table::Poly(values) => -m.iter().map(|&x| values[(x + n) as usize]).sum::<f64>(),
            Table::Exp { beta, decay } => {
                let top = *m.iter().max().expect("at least one pattern");
                let sum: f64 = m.iter().map(|&x| decay[(top - x) as usize]).sum();
                -(top as f64 + sum.ln() / beta)
            }
        }
    }

    /// The sign neuron `i` should take given overlaps `m` computed with its current value `s_i`:
    /// whichever of `σ_i = ±1` has the lower energy; `s_i` on a tie.
    fn best_sign(&self, m: &[i32], i: usize, s_i: f32) -> f32 {
        let n = self.n();
        let column = self.columns.row(i);
        let column = column.as_slice().expect("columns are in standard layout");
        let s = s_i as i32;
        match &self.table {
            Table::Poly(values) => {
                // rest_μ = m_μ - ξ_μi s_i; compare Σ F(rest + ξ) against Σ F(rest - ξ).
                let mut diff = 0.0f64;
                for (&mu, &x) in m.iter().zip(column) {
                    let x = x as i32;
                    let rest = mu - x * s;
                    diff += values[(rest + x + n) as usize] - values[(rest - x + n) as usize];
                }
                super::sign_or_keep(diff, s_i)
            }
            Table::Exp { beta, decay } => {
                let (mut top_plus, mut top_minus) = (i32::MIN, i32::MIN);
                for (&mu, &x) in m.iter().zip(column) {
                    let x = x as i32;
                    let rest = mu - x * s;
                    top_plus = top_plus.max(rest + x);
                    top_minus = top_minus.max(rest - x);
                }
                let (mut sum_plus, mut sum_minus) = (0.0f64, 0.0f64);
                for (&mu, &x) in m.iter().zip(column) {
                    let x = x as i32;
                    let rest = mu - x * s;
                    sum_plus += decay[(top_plus - rest - x) as usize];
                    sum_minus += decay[(top_minus - rest + x) as usize];
                }
                let lse_plus = beta * top_plus as f64 + sum_plus.ln();
                let lse_minus = beta * top_minus as f64 + sum_minus.ln();
                super::sign_or_keep(lse_plus - lse_minus, s_i)
            }
        }
    }
}

impl Dynamics for DenseAssociativeMemory {
    fn dim(&self) -> usize {
        self.patterns.ncols()
    }

    fn energies(&self, states: ArrayView2<f32>) -> Result<Array1<f64>> {
        let m = self.overlaps(states)?;
        Ok(m.rows()
            .into_iter()
            .map(|row| self.energy_from_overlaps(row.as_slice().expect("owned rows")))
            .collect())
    }

    fn step(&self, states: ArrayView2<f32>) -> Result<Array2<f32>> {
        let m = self.overlaps(states)?;
        let mut next = states.to_owned();
        next.outer_iter_mut()
            .into_par_iter()
            .zip(m.outer_iter().into_par_iter())
            .for_each(|(mut row, overlaps)| {
                let overlaps = overlaps.as_slice().expect("owned rows");
                let current = row.to_owned();
                for (i, v) in row.iter_mut().enumerate() {
                    *v = self.best_sign(overlaps, i, current[i]);
                }
            });
        Ok(next)
    }

    fn sweep(&self, state: &mut [f32], order: &[usize]) -> Result<()> {
        let view = ArrayView2::from_shape((1, state.len()), state)
            .map_err(|e| Error::Unsupported(e.to_string()))?;
        let mut m = self.overlaps(view)?.row(0).to_vec();
        for &i in order {
            let new = self.best_sign(&m, i, state[i]);
            if new != state[i] {
                let delta = 2 * new as i32;
                for (mu, &x) in m.iter_mut().zip(self.columns.row(i).iter()) {
                    *mu += delta * x as i32;
                }
                state[i] = new;
            }
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
