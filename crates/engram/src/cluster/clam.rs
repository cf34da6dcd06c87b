//! ClAM training: prototypes learned end to end through the unrolled memory dynamics with a
//! self-supervised masked-completion loss (Saha, Krotov, Zaki & Ram, ICML 2023).
//!
//! For a minibatch of points x, a random subset of each point's coordinates (the mask h, a
//! fraction `mask_fraction` of them) is replaced by a column statistic (mean, max or min); the
//! dynamics of [`PrototypeMemory`] then run for `steps` steps moving only the masked coordinates:
//!
//! ```text
//! x^0     = (1 - h) * x + h * mask_value
//! x^{t+1} = x^t + alpha h * sum_mu softmax_mu(-beta/2 |x^t - rho_mu|^2) (rho_mu - x^t)
//! L(rho)  = 1/(B d) sum_i sum_j h_ij (x^T_ij - x_ij)^2
//! ```
//!
//! and Adam follows the exact gradient of L with respect to the prototypes (the hand-written
//! reverse pass of [`crate::cluster::completion_loss_gradient`], checked against finite
//! differences and candle's autodiff), with the authors' learning-rate schedule ([`Plateau`]).
//! The prototypes of the epoch with the lowest loss are kept; then every point runs T free steps
//! and takes the nearest prototype (the authors' assignment). [`ClamGrid`] runs the paper's
//! 36-configuration protocol and keeps the configuration with the best silhouette.
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

use ndarray::{Array1, Array2, ArrayView2, Axis};

use crate::cluster::datasets::check_data;
use crate::cluster::gradient::Unroll;
use crate::cluster::kmeans::kmeans_plus_plus;
use crate::cluster::memory::{check_step_size, PrototypeMemory};
use crate::error::{ensure_positive, Error, Result};
use crate::numeric::Rng;
use crate::train::Minibatches;

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

/// The value a hidden coordinate starts from: a statistic of its column over the data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MaskValue {
    /// The column mean (0 for standardised data).
    Mean,
    /// The column maximum.
    Max,
    /// The column minimum.
    Min,
}

impl MaskValue {
    /// The three statistics of the paper's grid.
    pub const ALL: [MaskValue; 3] = [MaskValue::Mean, MaskValue::Max, MaskValue::Min];

    /// `mean`, `max` or `min`.
    pub fn name(self) -> &'static str {
        match self {
            MaskValue::Mean => "mean",
            MaskValue::Max => "max",
            MaskValue::Min => "min",
        }
    }

    /// The statistic of every column of `data` (shape (n, d), n >= 1).
    fn of_columns(self, data: ArrayView2<f64>) -> Array1<f64> {
        match self {
            MaskValue::Mean => data.mean_axis(Axis(0)).expect("rows checked"),
            MaskValue::Max => data.fold_axis(Axis(0), f64::NEG_INFINITY, |m, &v| m.max(v)),
            MaskValue::Min => data.fold_axis(Axis(0), f64::INFINITY, |m, &v| m.min(v)),
        }
    }
}

/// The authors' learning-rate schedule: from epoch `window` on, the mean loss of the last
/// `window` epochs is compared with the previous epoch's such mean; after `patience` epochs in
/// a row that improved it by less than `min_improvement`, the learning rate is multiplied by
/// `factor`. Training stops once the learning rate falls below `min_learning_rate`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Plateau {
    /// Epochs in the moving mean of the loss.
    pub window: usize,
    /// Epochs without enough improvement before the learning rate drops.
    pub patience: usize,
    /// Improvement of the moving mean that counts as progress.
    pub min_improvement: f64,
    /// Multiplier of the learning rate on a plateau, in (0, 1).
    pub factor: f64,
    /// Training stops below this learning rate.
    pub min_learning_rate: f64,
}

impl Default for Plateau {
    /// The authors' settings: window 10, patience 5, improvement 0.001, factor 0.8, stop below
    /// 1e-6.
    fn default() -> Self {
        Plateau {
            window: 10,
            patience: 5,
            min_improvement: 1e-3,
            factor: 0.8,
            min_learning_rate: 1e-6,
        }
    }
}

impl Plateau {
    fn validate(&self) -> Result<()> {
        if self.window == 0 || self.patience == 0 {
            return Err(Error::param(
                "plateau",
                "window and patience must be at least 1",
            ));
        }
        if !(self.factor > 0.0 && self.factor < 1.0) {
            return Err(Error::param(
                "plateau.factor",
                format!("must be in (0, 1), got {}", self.factor),
            ));
        }
        if !(self.min_improvement.is_finite() && self.min_learning_rate >= 0.0) {
            return Err(Error::param(
                "plateau",
                "min_improvement must be finite and min_learning_rate >= 0",
            ));
        }
        Ok(())
    }
}

/// ClAM's hyperparameters; [`Clam::new`] gives the authors' settings (see `docs/clam.md`).
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
    /// Fraction of each point's coordinates masked in training: `floor(fraction * d)` of them,
    /// at least one.
    pub mask_fraction: f64,
    /// What the masked coordinates start from.
    pub mask_value: MaskValue,
    /// Every this many epochs (1-based epoch divisible by it) all points of a minibatch share
    /// one mask, as in the authors' code; 0 never.
    pub shared_mask_every: usize,
    /// Adam's initial step size.
    pub learning_rate: f64,
    /// The learning-rate schedule; `None` keeps it constant.
    pub plateau: Option<Plateau>,
    /// Points per minibatch.
    pub batch: usize,
    /// Most passes over the data.
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
    /// Loss of every epoch run: the sum over its minibatches of their mean loss (the authors'
    /// bookkeeping, which their schedule's threshold refers to).
    pub epoch_losses: Vec<f64>,
    /// The epoch (0-based) whose prototypes were kept: the lowest loss.
    pub best_epoch: usize,
    /// The learning rate at the end of training (lower than the initial one after plateaus).
    pub final_learning_rate: f64,
}

impl Clam {
    /// `k` prototypes with the authors' settings: beta = 1.1 (the smallest of their grid),
    /// alpha = 0.1, T = 10 steps, 20% of coordinates masked at the column mean (one shared
    /// mask every third epoch), Adam at 0.01 with the [`Plateau`] schedule, batches of 8,
    /// 200 epochs, prototypes drawn from normal(0.1, 0.1) (the authors' `init = 'gaussian'`),
    /// seed 0.
    pub fn new(k: usize) -> Self {
        Clam {
            k,
            beta: 1.1,
            step_size: 0.1,
            steps: 10,
            mask_fraction: 0.2,
            mask_value: MaskValue::Mean,
            shared_mask_every: 3,
            learning_rate: 0.01,
            plateau: Some(Plateau::default()),
            batch: 8,
            epochs: 200,
            init: PrototypeInit::Gaussian {
                mean: 0.1,
                std: 0.1,
            },
            seed: 0,
        }
    }

    /// Checks every setting for data of `n` points.
    pub(crate) fn validate(&self, n: usize) -> Result<()> {
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
        if let Some(plateau) = &self.plateau {
            plateau.validate()?;
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
    /// if the loss or a gradient overflows.
    pub fn fit(&self, data: ArrayView2<f64>) -> Result<ClamFit> {
        let init = self.initial_prototypes(data)?;
        let (n, d) = data.dim();
        let data = data.as_standard_layout();
        let points = data.as_slice().expect("standard layout");
        let fill = self.mask_value.of_columns(data.view());
        // The authors mask int(mask_fraction * d) coordinates; at least one here.
        let hidden_per_point = ((self.mask_fraction * d as f64).floor() as usize).clamp(1, d);
        let mut prototypes = init.into_raw_vec_and_offset().0;
        let mut adam = AdamMoments::new(prototypes.len());
        let mut unroll = Unroll::new(self.k, d, self.steps);
        let mut grad = vec![0.0; prototypes.len()];
        let (mut start, mut hidden) = (vec![0.0; d], vec![0.0; d]);
        let mut learning_rate = self.learning_rate;
        let mut schedule = self.plateau.map(PlateauState::new);
        let mut epoch_losses = Vec::with_capacity(self.epochs);
        let mut best = (f64::INFINITY, 0usize, prototypes.clone());
        for epoch in 0..self.epochs {
            let mut rng = Rng::stream(self.seed ^ MASK_SEED, epoch as u64);
            let shared = self.shared_mask_every > 0 && (epoch + 1) % self.shared_mask_every == 0;
            let mut total = 0.0;
            for rows in Minibatches::new(n, self.batch, self.seed, epoch as u64)? {
                grad.fill(0.0);
                let scale = 1.0 / (rows.len() * d) as f64;
                let batch_mask = shared.then(|| rng.choose(d, hidden_per_point));
                for &r in &rows {
                    let chosen = match &batch_mask {
                        Some(mask) => mask.clone(),
                        None => rng.choose(d, hidden_per_point),
                    };
                    let x = &points[r * d..(r + 1) * d];
                    start.copy_from_slice(x);
                    hidden.fill(0.0);
                    for &j in &chosen {
                        hidden[j] = 1.0;
                        start[j] = fill[j];
                    }
                    total += unroll.row(
                        &prototypes,
                        x,
                        &start,
                        &hidden,
                        self.beta,
                        self.step_size,
                        scale,
                        &mut grad,
                    );
                }
                if let Some(index) = grad.iter().position(|g| !g.is_finite()) {
                    return Err(Error::NonFinite {
                        what: format!("ClAM gradient at epoch {}", epoch + 1),
                        index,
                    });
                }
                adam.step(&mut prototypes, &grad, learning_rate);
            }
            epoch_losses.push(total);
            if total < best.0 {
                best = (total, epoch, prototypes.clone());
            }
            if let Some(state) = &mut schedule {
                learning_rate = state.update(total, learning_rate);
                if learning_rate < state.settings.min_learning_rate {
                    break;
                }
            }
        }
        let (_, best_epoch, prototypes) = best;
        let prototypes = Array2::from_shape_vec((self.k, d), prototypes).expect("k x d values");
        let memory = PrototypeMemory::new(prototypes, self.beta, self.step_size)?;
        let labels = memory.assign(data.view(), self.steps)?;
        Ok(ClamFit {
            memory,
            labels,
            epoch_losses,
            best_epoch,
            final_learning_rate: learning_rate,
        })
    }
}

/// Stream of the prototype initialisation.
const INIT_STREAM: u64 = 0xC1A4;
/// Mixed into the seed of the per-epoch masks.
const MASK_SEED: u64 = 0x6D61_736B;

/// Adam's moment estimates for a flat parameter vector (Kingma & Ba; TensorFlow's defaults
/// beta1 = 0.9, beta2 = 0.999, epsilon = 1e-7, as in the authors' Keras optimiser).
#[derive(Debug, Clone)]
struct AdamMoments {
    first: Vec<f64>,
    second: Vec<f64>,
    steps: i32,
}

impl AdamMoments {
    const BETA1: f64 = 0.9;
    const BETA2: f64 = 0.999;
    const EPSILON: f64 = 1e-7;

    fn new(len: usize) -> Self {
        AdamMoments {
            first: vec![0.0; len],
            second: vec![0.0; len],
            steps: 0,
        }
    }

    fn step(&mut self, params: &mut [f64], grad: &[f64], learning_rate: f64) {
        self.steps += 1;
        let c1 = 1.0 - Self::BETA1.powi(self.steps);
        let c2 = 1.0 - Self::BETA2.powi(self.steps);
        for ((p, g), (m, v)) in params
            .iter_mut()
            .zip(grad)
            .zip(self.first.iter_mut().zip(self.second.iter_mut()))
        {
            *m = Self::BETA1 * *m + (1.0 - Self::BETA1) * g;
            *v = Self::BETA2 * *v + (1.0 - Self::BETA2) * g * g;
            *p -= learning_rate * (*m / c1) / ((*v / c2).sqrt() + Self::EPSILON);
        }
    }
}

/// The running state of a [`Plateau`] schedule.
#[derive(Debug, Clone)]
struct PlateauState {
    settings: Plateau,
    recent: std::collections::VecDeque<f64>,
    previous_mean: f64,
    stalled: usize,
}

impl PlateauState {
    fn new(settings: Plateau) -> Self {
        PlateauState {
            settings,
            recent: std::collections::VecDeque::with_capacity(settings.window),
            previous_mean: f64::INFINITY,
            stalled: 0,
        }
    }

    /// Records an epoch's loss and returns the learning rate for the next epoch.
    fn update(&mut self, loss: f64, learning_rate: f64) -> f64 {
        self.recent.push_back(loss);
        if self.recent.len() > self.settings.window {
            self.recent.pop_front();
        }
        if self.recent.len() < self.settings.window {
            return learning_rate;
        }
        let mean = self.recent.iter().sum::<f64>() / self.settings.window as f64;
        let mut rate = learning_rate;
        if self.previous_mean - mean < self.settings.min_improvement {
            self.stalled += 1;
            if self.stalled == self.settings.patience {
                rate *= self.settings.factor;
                self.stalled = 0;
            }
        } else {
            self.stalled = 0;
        }
        self.previous_mean = mean;
        rate
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plateau_lowers_the_rate_after_patience_flat_epochs() {
        let settings = Plateau::default();
        let mut state = PlateauState::new(settings);
        let mut rate = 0.1;
        // Ten epochs fill the window; the 10th compares against +inf (progress).
        for _ in 0..10 {
            rate = state.update(1.0, rate);
        }
        assert_eq!(rate, 0.1);
        for _ in 0..4 {
            rate = state.update(1.0, rate);
        }
        assert_eq!(rate, 0.1);
        rate = state.update(1.0, rate);
        assert!((rate - 0.08).abs() < 1e-15);
        // A real improvement resets the count.
        rate = state.update(0.0, rate);
        assert!((rate - 0.08).abs() < 1e-15);
        assert_eq!(state.stalled, 0);
    }

    #[test]
    fn adam_moves_against_the_gradient_by_about_the_learning_rate() {
        let mut adam = AdamMoments::new(2);
        let mut p = vec![1.0, -1.0];
        adam.step(&mut p, &[3.0, -0.5], 0.01);
        // lr * g / (|g| + 1e-7): 1e-9 relative to 0.01 for |g| = 0.5.
        assert!((p[0] - 0.99).abs() < 1e-8 && (p[1] + 0.99).abs() < 1e-8);
    }
}
