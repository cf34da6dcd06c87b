//! ClAM training: prototypes learned end to end through the unrolled memory dynamics with a
//! self-supervised masked-completion loss (Saha, Krotov, Zaki & Ram, ICML 2023).
//!
//! For a minibatch of points x, a random subset of each point's coordinates (the mask m, a
//! fraction `mask_fraction` of them) is replaced by the column mean; the dynamics of
//! [`PrototypeMemory`] then run for `steps` steps moving only the masked coordinates:
//!
//! ```text
//! x^0     = (1 - m) * x + m * mean
//! x^{t+1} = x^t + alpha m * sum_mu softmax_mu(-beta/2 |x^t - rho_mu|^2) (rho_mu - x^t)
//! L(rho)  = (1/B) sum_i sum_j m_ij (x^T_ij - x_ij)^2
//! ```
//!
//! and Adam follows the gradient of L with respect to the prototypes, obtained by reverse-mode
//! autodiff (candle) through all T steps. After training, every point runs T free steps and takes
//! the nearest prototype (the authors' assignment). The prototypes of the epoch with the lowest
//! mean loss are kept, as the authors' code does.
//!
//! ```
//! use engram::cluster::{Clam, Dataset, standardize};
//!
//! let iris = Dataset::Iris.load().unwrap();
//! let x = standardize(iris.features.view()).unwrap();
//! let clam = Clam { epochs: 3, ..Clam::new(3) };
//! let fit = clam.fit(x.view()).unwrap();
//! assert_eq!(fit.labels.len(), 150);
//! assert_eq!(fit.epoch_losses.len(), 3);
//! ```

use candle_core::{DType, Device, Tensor, Var};
use ndarray::{Array2, ArrayView2, Axis};

use crate::cluster::datasets::check_data;
use crate::cluster::kmeans::kmeans_plus_plus;
use crate::cluster::memory::{check_step_size, PrototypeMemory};
use crate::error::{ensure_positive, Error, Result};
use crate::numeric::Rng;
use crate::train::{Adam, AdamConfig, Minibatches};

/// How the prototypes start.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum PrototypeInit {
    /// k-means++ seeds drawn from the data (one of the authors' options).
    KMeansPlusPlus,
    /// Independent normal entries with this mean and standard deviation (the authors' default
    /// is mean 0.1, std 0.1).
    Gaussian {
        /// Mean of every entry.
        mean: f64,
        /// Standard deviation of every entry.
        std: f64,
    },
}

/// ClAM's hyperparameters; [`Clam::new`] gives engram's defaults (see `docs/clam.md`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Clam {
    /// Number of prototypes (clusters).
    pub k: usize,
    /// Inverse temperature of the softmax over prototypes.
    pub beta: f64,
    /// Step size alpha of the dynamics, in (0, 1].
    pub step_size: f64,
    /// Unrolled steps T, in training and in the final assignment.
    pub steps: usize,
    /// Fraction of each point's coordinates masked in training (at least one is masked).
    pub mask_fraction: f64,
    /// Adam's step size.
    pub learning_rate: f64,
    /// Points per minibatch.
    pub batch: usize,
    /// Passes over the data.
    pub epochs: usize,
    /// How the prototypes start.
    pub init: PrototypeInit,
    /// Seed of the initialisation, the minibatch order and the masks.
    pub seed: u64,
}

/// A trained ClAM model and its clustering of the training data.
#[derive(Debug, Clone)]
pub struct ClamFit {
    /// The prototypes of the best epoch, with the dynamics' beta and step size.
    pub memory: PrototypeMemory,
    /// The cluster of each training point (the prototype nearest to where it settled).
    pub labels: Vec<usize>,
    /// Mean minibatch loss of every epoch.
    pub epoch_losses: Vec<f64>,
    /// The epoch (0-based) whose prototypes were kept: the lowest mean loss.
    pub best_epoch: usize,
}

impl Clam {
    /// `k` prototypes, beta = 1, alpha = 0.1, T = 10 steps, 20% of coordinates masked,
    /// Adam at 0.01, batches of 8, 30 epochs, k-means++ initialisation, seed 0.
    pub fn new(k: usize) -> Self {
        Clam {
            k,
            beta: 1.0,
            step_size: 0.1,
            steps: 10,
            mask_fraction: 0.2,
            learning_rate: 0.01,
            batch: 8,
            epochs: 30,
            init: PrototypeInit::KMeansPlusPlus,
            seed: 0,
        }
    }

    fn validate(&self, n: usize) -> Result<()> {
        if self.k == 0 || self.k > n {
            return Err(Error::param(
                "k",
                format!("must be in 1..={n} (the number of points), got {}", self.k),
            ));
        }
        ensure_positive("beta", self.beta)?;
        check_step_size(self.step_size)?;
        ensure_positive("learning_rate", self.learning_rate)?;
        if self.steps == 0 {
            return Err(Error::param("steps", "must be at least 1"));
        }
        if !(self.mask_fraction > 0.0 && self.mask_fraction <= 1.0) {
            return Err(Error::param(
                "mask_fraction",
                format!("must be in (0, 1], got {}", self.mask_fraction),
            ));
        }
        if self.batch == 0 {
            return Err(Error::param("batch", "must be at least 1"));
        }
        if self.epochs == 0 {
            return Err(Error::param("epochs", "must be at least 1"));
        }
        if let PrototypeInit::Gaussian { mean, std } = self.init {
            if !(mean.is_finite() && std.is_finite() && std >= 0.0) {
                return Err(Error::param(
                    "init",
                    "Gaussian mean and std must be finite, std >= 0",
                ));
            }
        }
        Ok(())
    }

    /// The starting prototypes, shape (k, d).
    pub fn initial_prototypes(&self, data: ArrayView2<f64>) -> Result<Array2<f64>> {
        check_data(data)?;
        self.validate(data.nrows())?;
        let mut rng = Rng::stream(self.seed, INIT_STREAM);
        match self.init {
            PrototypeInit::KMeansPlusPlus => kmeans_plus_plus(data, self.k, &mut rng),
            PrototypeInit::Gaussian { mean, std } => {
                Ok(Array2::from_shape_fn((self.k, data.ncols()), |_| {
                    mean + std * rng.normal()
                }))
            }
        }
    }

    /// Trains the prototypes on the rows of `data` (shape (n, d), standardise it first, see
    /// [`crate::cluster::standardize`]) and assigns every row to a cluster.
    ///
    /// Errors: [`Error::Parameter`] for a bad setting (k = 0 or k > n, beta <= 0, alpha outside
    /// (0, 1], ...), [`Error::Empty`] / [`Error::NonFinite`] for bad data, [`Error::NonFinite`]
    /// if a gradient overflows, [`Error::Backend`] if candle fails.
    pub fn fit(&self, data: ArrayView2<f64>) -> Result<ClamFit> {
        let init = self.initial_prototypes(data)?;
        let (n, d) = data.dim();
        let device = Device::Cpu;
        let mean = data.mean_axis(Axis(0)).expect("rows checked");
        let points = Tensor::from_slice(
            data.as_standard_layout()
                .as_slice()
                .expect("standard layout"),
            (n, d),
            &device,
        )?;
        let prototypes = Var::from_tensor(&Tensor::from_slice(
            init.as_standard_layout()
                .as_slice()
                .expect("standard layout"),
            (self.k, d),
            &device,
        )?)?;
        let config = AdamConfig {
            learning_rate: self.learning_rate,
            ..AdamConfig::default()
        };
        let mut adam = Adam::new(vec![prototypes.clone()], config)?;
        let hidden_per_point = ((self.mask_fraction * d as f64).round() as usize).clamp(1, d);
        let mut epoch_losses = Vec::with_capacity(self.epochs);
        let mut best = (f64::INFINITY, 0usize, init);
        for epoch in 0..self.epochs {
            let mut rng = Rng::stream(self.seed ^ MASK_SEED, epoch as u64);
            let (mut total, mut batches) = (0.0, 0usize);
            for rows in Minibatches::new(n, self.batch, self.seed, epoch as u64)? {
                let index: Vec<u32> = rows.iter().map(|&r| r as u32).collect();
                let index = Tensor::from_vec(index, rows.len(), &device)?;
                let batch = points.index_select(&index, 0)?;
                let mut hidden = vec![0f64; rows.len() * d];
                let mut start = vec![0f64; rows.len() * d];
                for (i, &r) in rows.iter().enumerate() {
                    for j in 0..d {
                        start[i * d + j] = data[[r, j]];
                    }
                    for j in rng.choose(d, hidden_per_point) {
                        hidden[i * d + j] = 1.0;
                        start[i * d + j] = mean[j];
                    }
                }
                let hidden = Tensor::from_vec(hidden, (rows.len(), d), &device)?;
                let start = Tensor::from_vec(start, (rows.len(), d), &device)?;
                let loss = masked_completion_loss(
                    prototypes.as_tensor(),
                    &batch,
                    &start,
                    &hidden,
                    self.beta,
                    self.step_size,
                    self.steps,
                )?;
                total += loss.to_scalar::<f64>()?;
                batches += 1;
                adam.step(&loss.backward()?)?;
            }
            let mean_loss = total / batches as f64;
            epoch_losses.push(mean_loss);
            if mean_loss < best.0 {
                let current = prototypes.as_tensor().to_vec2::<f64>()?;
                let flat: Vec<f64> = current.into_iter().flatten().collect();
                let array = Array2::from_shape_vec((self.k, d), flat)
                    .map_err(|e| Error::Backend(e.to_string()))?;
                best = (mean_loss, epoch, array);
            }
        }
        let (_, best_epoch, prototypes) = best;
        let memory = PrototypeMemory::new(prototypes, self.beta, self.step_size)?;
        let labels = memory.assign(data, self.steps)?;
        Ok(ClamFit {
            memory,
            labels,
            epoch_losses,
            best_epoch,
        })
    }
}

/// Stream of the prototype initialisation.
const INIT_STREAM: u64 = 0xC1A4;
/// Mixed into the seed of the per-epoch masks.
const MASK_SEED: u64 = 0x6D61_736B;

/// One unrolled run of the dynamics on candle tensors: `steps` steps from `start` (B, d), moving
/// only where `free` (B, d) is 1. The softmax subtracts a detached row maximum, so large beta does
/// not overflow and the gradient is exact.
pub fn settle_tensor(
    prototypes: &Tensor,
    start: &Tensor,
    free: &Tensor,
    beta: f64,
    step_size: f64,
    steps: usize,
) -> candle_core::Result<Tensor> {
    let rho_t = prototypes.t()?.contiguous()?;
    let rho_sq = prototypes.sqr()?.sum_keepdim(1)?.t()?; // (1, k)
    let mut x = start.clone();
    for _ in 0..steps {
        let x_sq = x.sqr()?.sum_keepdim(1)?; // (B, 1)
        let cross = x.matmul(&rho_t)?; // (B, k)
        let dist = x_sq.broadcast_add(&rho_sq)?.sub(&(cross * 2.0)?)?;
        let logits = (dist * (-0.5 * beta))?;
        let p = crate::train::ops::softmax(&logits, 1)?;
        let pull = p.matmul(prototypes)?.sub(&x)?;
        x = (x + (pull * step_size)?.mul(free)?)?;
    }
    Ok(x)
}

/// The masked-completion loss (1/B) sum_ij hidden_ij (x^T_ij - target_ij)^2, where x^T is
/// [`settle_tensor`] from `start` moving only the hidden coordinates. All tensors share one
/// dtype (f64 for gradient checks); `prototypes` is (k, d), the others (B, d).
pub fn masked_completion_loss(
    prototypes: &Tensor,
    target: &Tensor,
    start: &Tensor,
    hidden: &Tensor,
    beta: f64,
    step_size: f64,
    steps: usize,
) -> candle_core::Result<Tensor> {
    let settled = settle_tensor(prototypes, start, hidden, beta, step_size, steps)?;
    let rows = target.dim(0)? as f64;
    let error = settled.sub(target)?.mul(hidden)?;
    error.sqr()?.sum_all()? / rows
}

/// The loss as a plain number for f64 arrays (prototypes (k, d); the others (B, d)): a helper
/// for gradient checks and for measuring a model on held-out masks.
pub fn masked_completion_loss_value(
    prototypes: ArrayView2<f64>,
    target: ArrayView2<f64>,
    start: ArrayView2<f64>,
    hidden: ArrayView2<f64>,
    beta: f64,
    step_size: f64,
    steps: usize,
) -> Result<f64> {
    let t = |a: ArrayView2<f64>| -> Result<Tensor> {
        Ok(Tensor::from_slice(
            a.as_standard_layout().as_slice().expect("standard layout"),
            a.dim(),
            &Device::Cpu,
        )?)
    };
    if target.dim() != start.dim() || target.dim() != hidden.dim() {
        return Err(Error::shape(
            "start and hidden",
            format!("{:?}", target.dim()),
            format!("{:?} and {:?}", start.dim(), hidden.dim()),
        ));
    }
    if prototypes.ncols() != target.ncols() {
        return Err(Error::shape(
            "prototypes",
            target.ncols(),
            prototypes.ncols(),
        ));
    }
    let loss = masked_completion_loss(
        &t(prototypes)?,
        &t(target)?,
        &t(start)?,
        &t(hidden)?,
        beta,
        step_size,
        steps,
    )?;
    Ok(loss.to_dtype(DType::F64)?.to_scalar::<f64>()?)
}
