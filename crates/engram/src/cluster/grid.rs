//! The paper's model selection for ClAM: train every configuration of a small grid and keep the
//! one whose clustering has the highest silhouette coefficient (Saha et al. 2023, section 5 and
//! the authors' `hyper_params.py`: beta in {1.1, 1.5, 1.9, 2.4}, learning rate in
//! {0.001, 0.01, 0.1}, mask value in {mean, max, min}: 36 runs of 200 epochs).
//!
//! The configurations train in parallel (rayon); each is the same deterministic run as
//! [`Clam::fit`], so the result does not depend on the thread count. A configuration whose
//! training overflows is recorded as failed and skipped, as the authors' script skips it.
//!
//! Selecting on the very score that is reported has a failure mode that the paper's rule does
//! not guard against: a partition with one huge cluster and a few outliers can have a high
//! silhouette while agreeing with nothing. [`ClamGrid::paper`] therefore ranks first the runs
//! whose k clusters each hold at least a tenth of an even share (n / k) of the points;
//! `min_cluster_share = None` gives the paper's unrestricted rule.
//!
//! ```
//! use engram::cluster::{standardize, ClamGrid, Dataset};
//!
//! let iris = Dataset::Iris.load().unwrap();
//! let x = standardize(iris.features.view()).unwrap();
//! let mut grid = ClamGrid::paper(3);
//! grid.base.epochs = 2;
//! grid.betas = vec![1.1, 2.4];
//! let fit = grid.fit(x.view()).unwrap();
//! assert_eq!(fit.runs.len(), 2 * 3 * 3);
//! assert!(fit.runs.iter().all(|r| r.silhouette.is_some()));
//! assert!(fit.silhouette > 0.0);
//! ```

use ndarray::ArrayView2;
use rayon::prelude::*;

use crate::cluster::clam::{Clam, ClamFit, MaskValue};
use crate::cluster::datasets::check_data;
use crate::cluster::metrics::silhouette;
use crate::error::{Error, Result};

/// A grid of ClAM configurations around a base one.
#[derive(Debug, Clone, PartialEq)]
pub struct ClamGrid {
    /// Every setting not varied by the grid (k, alpha, T, epochs, seed, ...).
    pub base: Clam,
    /// Inverse temperatures to try.
    pub betas: Vec<f64>,
    /// Initial learning rates to try.
    pub learning_rates: Vec<f64>,
    /// Mask values to try.
    pub mask_values: Vec<MaskValue>,
    /// Selection rule. `Some(share)`: runs whose clustering uses all k prototypes, each
    /// cluster holding at least `share * n / k` points, win over the others, and the
    /// silhouette decides among equals. `None`: the silhouette alone (the paper's rule), which
    /// can favour a degenerate partition, such as one cluster holding nearly every point and a
    /// few outliers in the others, because such a partition can have a high silhouette.
    pub min_cluster_share: Option<f64>,
}

/// One configuration's outcome.
#[derive(Debug, Clone, PartialEq)]
pub struct GridRun {
    /// The configuration.
    pub config: Clam,
    /// Its silhouette (-1 when every point landed in one cluster); `None` if training failed
    /// (overflow).
    pub silhouette: Option<f64>,
    /// The lowest epoch loss reached (`NaN` if training failed).
    pub best_loss: f64,
    /// How many distinct clusters the final assignment uses (0 if training failed).
    pub clusters: usize,
    /// The number of points in its smallest non-empty cluster (0 if training failed).
    pub smallest_cluster: usize,
    /// The cluster of every point (empty if training failed).
    pub labels: Vec<usize>,
}

impl GridRun {
    /// Whether this run passes the selection rule `min_cluster_share` (see
    /// [`ClamGrid::min_cluster_share`]): always for `None`; otherwise it must use all k
    /// clusters, each holding at least `share * n / k` of its n points.
    pub fn admitted(&self, min_cluster_share: Option<f64>) -> bool {
        match (self.silhouette, min_cluster_share) {
            (None, _) => false,
            (Some(_), None) => true,
            (Some(_), Some(share)) => {
                let even = self.labels.len() as f64 / self.config.k as f64;
                self.clusters == self.config.k && self.smallest_cluster as f64 >= share * even
            }
        }
    }
}

/// The result of [`ClamGrid::fit`].
#[derive(Debug, Clone)]
pub struct GridFit {
    /// The winning model.
    pub best: ClamFit,
    /// Its configuration.
    pub config: Clam,
    /// Its silhouette: the highest of the grid among the runs that pass the selection rule
    /// (among all runs if none does).
    pub silhouette: f64,
    /// Every configuration, in grid order (beta, then learning rate, then mask value).
    pub runs: Vec<GridRun>,
}

impl GridFit {
    /// The index in [`GridFit::runs`] of the winner under the rule `min_cluster_share`: the
    /// best silhouette among the admitted runs ([`GridRun::admitted`]), or among all that
    /// trained if none is admitted; ties go to the first in grid order. `None` only if every
    /// run failed.
    pub fn winner(&self, min_cluster_share: Option<f64>) -> Option<usize> {
        winner(&self.runs, min_cluster_share)
    }

    /// The median silhouette over the configurations that trained: how the grid does without
    /// selection on the score it reports.
    pub fn median_silhouette(&self) -> f64 {
        let mut scores: Vec<f64> = self.runs.iter().filter_map(|r| r.silhouette).collect();
        scores.sort_by(f64::total_cmp);
        let m = scores.len();
        if m % 2 == 1 {
            scores[m / 2]
        } else {
            0.5 * (scores[m / 2 - 1] + scores[m / 2])
        }
    }
}

impl ClamGrid {
    /// The authors' 36-point grid around [`Clam::new`]`(k)`, selecting among the runs whose
    /// k clusters each hold at least a tenth of an even share of the points (see
    /// [`ClamGrid::min_cluster_share`]).
    pub fn paper(k: usize) -> Self {
        ClamGrid {
            base: Clam::new(k),
            betas: vec![1.1, 1.5, 1.9, 2.4],
            learning_rates: vec![0.001, 0.01, 0.1],
            mask_values: MaskValue::ALL.to_vec(),
            min_cluster_share: Some(0.1),
        }
    }

    /// Every configuration, beta slowest and mask value fastest.
    pub fn configs(&self) -> Vec<Clam> {
        let mut out = Vec::new();
        for &beta in &self.betas {
            for &learning_rate in &self.learning_rates {
                for &mask_value in &self.mask_values {
                    out.push(Clam {
                        beta,
                        learning_rate,
                        mask_value,
                        ..self.base
                    });
                }
            }
        }
        out
    }

    /// Trains every configuration on `data` (shape (n, d), standardised) and keeps the best
    /// by the selection rule (ties: the first in grid order).
    ///
    /// Errors: [`Error::Parameter`] for an empty grid or a bad setting in any configuration
    /// (checked before training), [`Error::Empty`] / [`Error::NonFinite`] for bad data,
    /// [`Error::NonFinite`] if every configuration fails.
    pub fn fit(&self, data: ArrayView2<f64>) -> Result<GridFit> {
        let configs = self.configs();
        if let Some(share) = self.min_cluster_share {
            if !(0.0..=1.0).contains(&share) {
                return Err(Error::param(
                    "min_cluster_share",
                    format!("must be in [0, 1], got {share}"),
                ));
            }
        }
        if configs.is_empty() {
            return Err(Error::param(
                "grid",
                "needs at least one beta, learning rate and mask value",
            ));
        }
        check_data(data)?;
        for config in &configs {
            config.validate(data.nrows())?;
        }
        let outcomes: Vec<Result<(ClamFit, f64)>> = configs
            .par_iter()
            .map(|config| {
                let fit = config.fit(data)?;
                let score = clustering_silhouette(data, &fit.labels)?;
                Ok((fit, score))
            })
            .collect();
        let mut runs = Vec::with_capacity(configs.len());
        let mut fits = Vec::with_capacity(configs.len());
        let mut last_error = None;
        for (config, outcome) in configs.into_iter().zip(outcomes) {
            match outcome {
                Ok((fit, score)) => {
                    let sizes = cluster_sizes(&fit.labels);
                    runs.push(GridRun {
                        config,
                        silhouette: Some(score),
                        best_loss: fit.epoch_losses[fit.best_epoch],
                        clusters: sizes.len(),
                        smallest_cluster: sizes.iter().copied().min().unwrap_or(0),
                        labels: fit.labels.clone(),
                    });
                    fits.push(Some(fit));
                }
                Err(Error::NonFinite { what, index }) => {
                    runs.push(GridRun {
                        config,
                        silhouette: None,
                        best_loss: f64::NAN,
                        clusters: 0,
                        smallest_cluster: 0,
                        labels: Vec::new(),
                    });
                    fits.push(None);
                    last_error = Some(Error::NonFinite { what, index });
                }
                Err(other) => return Err(other),
            }
        }
        let Some(index) = winner(&runs, self.min_cluster_share) else {
            return Err(last_error.expect("every configuration failed"));
        };
        Ok(GridFit {
            best: fits[index].take().expect("the winner trained"),
            config: runs[index].config,
            silhouette: runs[index].silhouette.expect("the winner trained"),
            runs,
        })
    }
}

/// See [`GridFit::winner`].
fn winner(runs: &[GridRun], min_cluster_share: Option<f64>) -> Option<usize> {
    let mut best: Option<(usize, (bool, f64))> = None;
    for (i, run) in runs.iter().enumerate() {
        if let Some(score) = run.silhouette {
            let key = (run.admitted(min_cluster_share), score);
            if best.is_none_or(|(_, b)| key > b) {
                best = Some((i, key));
            }
        }
    }
    best.map(|(i, _)| i)
}

/// The sizes of the non-empty clusters.
fn cluster_sizes(labels: &[usize]) -> Vec<usize> {
    let mut counts = std::collections::BTreeMap::new();
    for &l in labels {
        *counts.entry(l).or_insert(0usize) += 1;
    }
    counts.into_values().collect()
}

/// The silhouette of a clustering, or -1 when all points share one cluster (the authors'
/// convention: the silhouette is undefined there and such a run must lose any comparison).
///
/// Errors: those of [`silhouette`] (mismatched lengths, bad data).
pub fn clustering_silhouette(data: ArrayView2<f64>, labels: &[usize]) -> Result<f64> {
    let first = labels.first().copied();
    if labels.iter().all(|&l| Some(l) == first) && labels.len() == data.nrows() {
        return Ok(-1.0);
    }
    silhouette(data, labels)
}
