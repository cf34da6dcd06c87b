//! k-means: Lloyd's algorithm from k-means++ seeds, the best of several seeded restarts.
//!
//! Seeding follows Arthur & Vassilvitskii 2007 in scikit-learn's greedy form: the first centre is
//! a uniformly drawn point; every next one is the best (lowest total squared distance) of
//! 2 + floor(ln k) candidates drawn with probability proportional to their squared distance to
//! the nearest centre chosen so far. Lloyd's iterations then alternate nearest-centre assignment
//! and centroid updates until the centres move less than `tol` times the mean feature variance
//! (squared shift summed over centres), the assignment stops changing, or `max_iter` is reached.
//! An empty cluster is moved onto the point farthest from its centre. The restart with the
//! lowest inertia (sum of squared distances to the assigned centre) wins.
//!
//! ```
//! use engram::cluster::KMeans;
//! use ndarray::array;
//!
//! let x = array![[0.0, 0.0], [0.1, 0.0], [5.0, 5.0], [5.1, 5.0]];
//! let fit = KMeans::new(2).fit(x.view()).unwrap();
//! assert_eq!(fit.labels[0], fit.labels[1]);
//! assert_ne!(fit.labels[0], fit.labels[2]);
//! assert!((fit.inertia - 0.01).abs() < 1e-12);
//! ```

use ndarray::{Array2, ArrayView1, ArrayView2, Axis};

use crate::cluster::datasets::check_data;
use crate::error::{Error, Result};
use crate::numeric::Rng;

/// Settings of k-means; [`KMeans::new`] gives scikit-learn's classic defaults.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct KMeans {
    /// Number of clusters (at least 1, at most the number of points).
    pub k: usize,
    /// Independent k-means++ + Lloyd runs; the lowest inertia is kept.
    pub restarts: usize,
    /// Most Lloyd iterations per run.
    pub max_iter: usize,
    /// Convergence threshold, relative to the mean variance of the features.
    pub tol: f64,
    /// Seed of every random choice (run r draws from stream r of this seed).
    pub seed: u64,
}

/// The result of [`KMeans::fit`].
#[derive(Debug, Clone)]
pub struct KMeansFit {
    /// Shape (k, d): the cluster centres.
    pub centroids: Array2<f64>,
    /// The centre (0..k) each point is assigned to.
    pub labels: Vec<usize>,
    /// Sum over points of the squared distance to their centre.
    pub inertia: f64,
    /// Lloyd iterations of the winning run.
    pub iterations: usize,
}

impl KMeans {
    /// `k` clusters with 10 restarts, at most 300 iterations, `tol = 1e-4`, seed 0.
    ///
    /// (scikit-learn used 10 restarts by default until version 1.4; since then it runs one
    /// k-means++ start. Ten restarts make the baseline harder to beat.)
    pub fn new(k: usize) -> Self {
        KMeans {
            k,
            restarts: 10,
            max_iter: 300,
            tol: 1e-4,
            seed: 0,
        }
    }

    /// The same settings with another seed.
    pub fn with_seed(self, seed: u64) -> Self {
        KMeans { seed, ..self }
    }

    fn validate(&self, n: usize) -> Result<()> {
        if self.k == 0 {
            return Err(Error::param("k", "must be at least 1"));
        }
        if self.k > n {
            return Err(Error::param(
                "k",
                format!("{} clusters but only {n} points", self.k),
            ));
        }
        if self.restarts == 0 {
            return Err(Error::param("restarts", "must be at least 1"));
        }
        if self.max_iter == 0 {
            return Err(Error::param("max_iter", "must be at least 1"));
        }
        if !(self.tol >= 0.0 && self.tol.is_finite()) {
            return Err(Error::param("tol", "must be finite and >= 0"));
        }
        Ok(())
    }

    /// Clusters the rows of `data` (shape (n, d)).
    ///
    /// Errors: [`Error::Parameter`] for k = 0, k > n or other bad settings; [`Error::Empty`] and
    /// [`Error::NonFinite`] for empty or non-finite data.
    pub fn fit(&self, data: ArrayView2<f64>) -> Result<KMeansFit> {
        check_data(data)?;
        self.validate(data.nrows())?;
        let variance = data.var_axis(Axis(0), 0.0).mean().unwrap_or(0.0);
        let tol = self.tol * variance;
        let mut best: Option<KMeansFit> = None;
        for run in 0..self.restarts {
            let mut rng = Rng::stream(self.seed, run as u64);
            let seeds = kmeans_plus_plus(data, self.k, &mut rng)?;
            let fit = lloyd(data, seeds, self.max_iter, tol);
            if best.as_ref().is_none_or(|b| fit.inertia < b.inertia) {
                best = Some(fit);
            }
        }
        Ok(best.expect("at least one restart"))
    }
}

fn squared_distance(a: ArrayView1<f64>, b: ArrayView1<f64>) -> f64 {
    a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum()
}

/// For each row of `data`, the nearest row of `centres` and the squared distance to it (ties go
/// to the lower index).
pub fn nearest(data: ArrayView2<f64>, centres: ArrayView2<f64>) -> (Vec<usize>, Vec<f64>) {
    data.rows()
        .into_iter()
        .map(|x| {
            centres
                .rows()
                .into_iter()
                .map(|c| squared_distance(x, c))
                .enumerate()
                .fold(
                    (0, f64::INFINITY),
                    |best, (j, d)| {
                        if d < best.1 {
                            (j, d)
                        } else {
                            best
                        }
                    },
                )
        })
        .unzip()
}

/// Draws an index with probability proportional to `weights` (uniformly if they sum to 0).
fn draw(weights: &[f64], rng: &mut Rng) -> usize {
    let total: f64 = weights.iter().sum();
    if total <= 0.0 {
        return rng.below(weights.len());
    }
    let target = rng.uniform() * total;
    let mut acc = 0.0;
    for (i, w) in weights.iter().enumerate() {
        acc += w;
        if acc > target {
            return i;
        }
    }
    weights.len() - 1
}

/// k-means++ seeds (greedy: the best of 2 + floor(ln k) candidates per centre), shape (k, d).
///
/// Errors: [`Error::Parameter`] for k = 0 or k > n; [`Error::Empty`] / [`Error::NonFinite`] for
/// bad data.
pub fn kmeans_plus_plus(data: ArrayView2<f64>, k: usize, rng: &mut Rng) -> Result<Array2<f64>> {
    check_data(data)?;
    let n = data.nrows();
    if k == 0 || k > n {
        return Err(Error::param("k", format!("must be in 1..={n}, got {k}")));
    }
    let trials = 2 + (k as f64).ln().floor() as usize;
    let mut centres = Array2::zeros((k, data.ncols()));
    let first = rng.below(n);
    centres.row_mut(0).assign(&data.row(first));
    let mut closest: Vec<f64> = data
        .rows()
        .into_iter()
        .map(|x| squared_distance(x, data.row(first)))
        .collect();
    for c in 1..k {
        let mut best: Option<(f64, usize, Vec<f64>)> = None;
        for _ in 0..trials {
            let candidate = draw(&closest, rng);
            let updated: Vec<f64> = data
                .rows()
                .into_iter()
                .zip(&closest)
                .map(|(x, &d)| d.min(squared_distance(x, data.row(candidate))))
                .collect();
            let potential: f64 = updated.iter().sum();
            if best.as_ref().is_none_or(|b| potential < b.0) {
                best = Some((potential, candidate, updated));
            }
        }
        let (_, chosen, updated) = best.expect("at least two trials");
        centres.row_mut(c).assign(&data.row(chosen));
        closest = updated;
    }
    Ok(centres)
}

/// Lloyd's iterations from `centres`.
fn lloyd(data: ArrayView2<f64>, mut centres: Array2<f64>, max_iter: usize, tol: f64) -> KMeansFit {
    let (k, d) = centres.dim();
    let (mut labels, mut dists) = nearest(data, centres.view());
    let mut iterations = 0;
    for _ in 0..max_iter {
        iterations += 1;
        let mut sums = Array2::<f64>::zeros((k, d));
        let mut counts = vec![0usize; k];
        for (x, &l) in data.rows().into_iter().zip(&labels) {
            sums.row_mut(l).scaled_add(1.0, &x);
            counts[l] += 1;
        }
        let mut taken = vec![false; data.nrows()];
        for (c, &count) in counts.iter().enumerate() {
            if count > 0 {
                sums.row_mut(c).mapv_inplace(|v| v / count as f64);
            } else {
                // Relocate an empty cluster onto the worst-served point not already used.
                let far = (0..data.nrows())
                    .filter(|&i| !taken[i])
                    .max_by(|&a, &b| dists[a].total_cmp(&dists[b]))
                    .unwrap_or(0);
                taken[far] = true;
                sums.row_mut(c).assign(&data.row(far));
            }
        }
        let shift: f64 = (&sums - &centres).iter().map(|v| v * v).sum();
        centres = sums;
        let (new_labels, new_dists) = nearest(data, centres.view());
        let unchanged = new_labels == labels;
        labels = new_labels;
        dists = new_dists;
        if unchanged || shift <= tol {
            break;
        }
    }
    KMeansFit {
        centroids: centres,
        inertia: dists.iter().sum(),
        labels,
        iterations,
    }
}
