//! Clustering quality: the silhouette coefficient (internal, Euclidean), normalised mutual
//! information and the adjusted Rand index (external, against true labels).
//!
//! The definitions follow scikit-learn's `silhouette_score`, `normalized_mutual_info_score`
//! (arithmetic-mean normalisation) and `adjusted_rand_score`, so numbers are comparable with
//! papers that use them (ClAM does).
//!
//! ```
//! use engram::cluster::{adjusted_rand_index, normalized_mutual_info, silhouette};
//! use ndarray::array;
//!
//! let x = array![[0.0, 0.0], [0.0, 1.0], [10.0, 0.0], [10.0, 1.0]];
//! let labels = [0, 0, 1, 1];
//! assert!(silhouette(x.view(), &labels).unwrap() > 0.9);
//! assert_eq!(adjusted_rand_index(&labels, &[1, 1, 0, 0]).unwrap(), 1.0);
//! assert!((normalized_mutual_info(&labels, &[1, 1, 0, 0]).unwrap() - 1.0).abs() < 1e-12);
//! ```

use std::collections::HashMap;

use ndarray::ArrayView2;
use rayon::prelude::*;

use crate::cluster::datasets::check_data;
use crate::error::{Error, Result};

/// Relabels arbitrary labels as 0..m in order of first appearance; returns them and m.
fn compact(labels: &[usize]) -> (Vec<usize>, usize) {
    let mut ids: HashMap<usize, usize> = HashMap::new();
    let out = labels
        .iter()
        .map(|l| {
            let next = ids.len();
            *ids.entry(*l).or_insert(next)
        })
        .collect();
    (out, ids.len())
}

/// The mean silhouette coefficient of a clustering, with Euclidean distances.
///
/// For point i with mean distance a(i) to the other members of its cluster and smallest mean
/// distance b(i) to the members of another cluster, s(i) = (b - a) / max(a, b); a point alone in
/// its cluster has s(i) = 0. The score is the mean of s(i) over all points, in [-1, 1].
/// O(n^2 d) time.
///
/// Errors: [`Error::Shape`] when `labels` does not have one entry per row; [`Error::Parameter`]
/// unless the labels hold between 2 and n - 1 distinct clusters (as scikit-learn requires);
/// [`Error::Empty`] / [`Error::NonFinite`] for empty or non-finite data.
pub fn silhouette(data: ArrayView2<f64>, labels: &[usize]) -> Result<f64> {
    check_data(data)?;
    let n = data.nrows();
    if labels.len() != n {
        return Err(Error::shape("labels", n, labels.len()));
    }
    let (labels, k) = compact(labels);
    if k < 2 || k >= n {
        return Err(Error::param(
            "labels",
            format!(
                "the silhouette needs 2 to n - 1 = {} clusters, got {k}",
                n - 1
            ),
        ));
    }
    let mut sizes = vec![0usize; k];
    for &l in &labels {
        sizes[l] += 1;
    }
    let total: f64 = (0..n)
        .into_par_iter()
        .map(|i| {
            let xi = data.row(i);
            let mut sums = vec![0.0f64; k];
            for (j, xj) in data.rows().into_iter().enumerate() {
                if j != i {
                    let d2: f64 = xi.iter().zip(xj).map(|(a, b)| (a - b) * (a - b)).sum();
                    sums[labels[j]] += d2.sqrt();
                }
            }
            let own = labels[i];
            if sizes[own] == 1 {
                return 0.0;
            }
            let a = sums[own] / (sizes[own] - 1) as f64;
            let b = (0..k)
                .filter(|&c| c != own)
                .map(|c| sums[c] / sizes[c] as f64)
                .fold(f64::INFINITY, f64::min);
            let denom = a.max(b);
            if denom > 0.0 {
                (b - a) / denom
            } else {
                0.0
            }
        })
        .sum();
    Ok(total / n as f64)
}

/// The contingency table of two labelings (after compacting each) with its margins.
struct Contingency {
    counts: HashMap<(usize, usize), u64>,
    rows: Vec<u64>,
    cols: Vec<u64>,
    n: u64,
}

fn contingency(truth: &[usize], predicted: &[usize]) -> Result<Contingency> {
    if truth.len() != predicted.len() {
        return Err(Error::shape(
            "predicted labels",
            truth.len(),
            predicted.len(),
        ));
    }
    if truth.is_empty() {
        return Err(Error::Empty("no labels".into()));
    }
    let (t, kt) = compact(truth);
    let (p, kp) = compact(predicted);
    let mut counts = HashMap::new();
    let mut rows = vec![0u64; kt];
    let mut cols = vec![0u64; kp];
    for (&a, &b) in t.iter().zip(&p) {
        *counts.entry((a, b)).or_insert(0) += 1;
        rows[a] += 1;
        cols[b] += 1;
    }
    Ok(Contingency {
        counts,
        rows,
        cols,
        n: t.len() as u64,
    })
}

fn entropy(margins: &[u64], n: f64) -> f64 {
    margins
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = c as f64 / n;
            -p * p.ln()
        })
        .sum()
}

/// Normalised mutual information between true and predicted labels: I(U; V) divided by the
/// arithmetic mean of the entropies H(U) and H(V) (scikit-learn's default), in [0, 1].
///
/// Two single-cluster labelings score 1; if either is a single cluster while the other is not,
/// the mutual information and the score are 0.
///
/// Errors: [`Error::Shape`] for different lengths, [`Error::Empty`] for no labels.
pub fn normalized_mutual_info(truth: &[usize], predicted: &[usize]) -> Result<f64> {
    let c = contingency(truth, predicted)?;
    if c.rows.len() == 1 && c.cols.len() == 1 {
        return Ok(1.0);
    }
    let n = c.n as f64;
    let mut mi = 0.0;
    for (&(a, b), &nij) in &c.counts {
        let nij = nij as f64;
        mi += nij / n * (n * nij / (c.rows[a] as f64 * c.cols[b] as f64)).ln();
    }
    let mean_entropy = 0.5 * (entropy(&c.rows, n) + entropy(&c.cols, n));
    if mi <= 0.0 || mean_entropy <= 0.0 {
        return Ok(0.0);
    }
    Ok((mi / mean_entropy).min(1.0))
}

fn pairs(count: u64) -> f64 {
    let c = count as f64;
    c * (c - 1.0) / 2.0
}

/// Adjusted Rand index (Hubert & Arabie 1985): the Rand index of the two labelings corrected
/// for chance, 1 for identical partitions (up to renaming), about 0 for random ones.
///
/// When both partitions are trivial in the same way (one cluster each, or every point alone),
/// the index is 1.
///
/// Errors: [`Error::Shape`] for different lengths, [`Error::Empty`] for no labels.
pub fn adjusted_rand_index(truth: &[usize], predicted: &[usize]) -> Result<f64> {
    let c = contingency(truth, predicted)?;
    let index: f64 = c.counts.values().map(|&v| pairs(v)).sum();
    let row_pairs: f64 = c.rows.iter().map(|&v| pairs(v)).sum();
    let col_pairs: f64 = c.cols.iter().map(|&v| pairs(v)).sum();
    let total = pairs(c.n);
    let expected = if total > 0.0 {
        row_pairs * col_pairs / total
    } else {
        0.0
    };
    let max_index = 0.5 * (row_pairs + col_pairs);
    let denom = max_index - expected;
    if denom == 0.0 {
        return Ok(1.0);
    }
    Ok((index - expected) / denom)
}
