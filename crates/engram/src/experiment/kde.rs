//! The Gaussian kernel density estimate as an associative memory (Schaeffer et al. 2024,
//! "Bridging Associative Memory and Probabilistic Modeling", arXiv:2402.10202): its measured
//! storage capacity against the exponential-capacity analysis, and Langevin sampling.
//!
//! **Capacity.** `N` patterns drawn uniformly from the unit sphere of `R^D` are the centers of a
//! KDE of bandwidth `σ = β^(-1/2)`. A pattern is stored when mean shift (the modern Hopfield
//! update) run from it stays within `ε` of it ([`GaussianKde::stored`]). The measured capacity at
//! `D` is the largest `N` for which every pattern of a draw is stored, found by doubling and
//! bisection on nested prefixes of one draw, the median over independent draws.
//!
//! **Analysis.** For unit-norm patterns the KDE's negative log-likelihood is `β` times the modern
//! Hopfield energy plus a constant, so the storage-capacity theorem of Ramsauer et al. 2020
//! (Theorem 3: with probability `1 - p`, `N >= √p c^((D-1)/4)` random patterns on the sphere of
//! radius `K √(D-1)` are stored, `c = b / W0(exp(a + ln b))`) carries over with `K = 1/√(D-1)`
//! and the same `β`; this is the route by which Schaeffer et al. state the exponential capacity
//! of Gaussian KDEs with well-separated data on a sphere. [`capacity_bound`] evaluates it; the
//! theorem applies only where `c >= (2/√p)^(4/(D-1))`, i.e. at large enough `β` and `D`.
//!
//! **Sampling.** Langevin chains started at stored digits: with a small bandwidth each chain
//! stays in its pattern's mode and its mean squared distance to the pattern approaches that of
//! the Gaussian kernel, `D σ² / (1 - η/(2σ²))` (the discretization bias of the unadjusted chain).

use ndarray::{s, Array2, Axis};
use serde::Serialize;

use super::theory::{ramsauer_storage_capacity, RamsauerCapacity};
use crate::error::{ensure_positive, Error, Result};
use crate::model::GaussianKde;
use crate::numeric::Rng;
use crate::pattern::{random_sphere, Digits};

/// Options of [`kde_capacity`].
#[derive(Clone, Debug)]
pub struct KdeCapacityOptions {
    /// Dimensions `D` of the sphere.
    pub dims: Vec<usize>,
    /// Inverse squared bandwidth `β = 1/σ²` (patterns on the unit sphere).
    pub beta: f64,
    /// Independent draws per dimension (the capacity is their median).
    pub trials: usize,
    /// Largest `N` tried; a draw that stores all of them is reported as censored.
    pub max_patterns: usize,
    /// Distance `ε` within which mean shift must stay for a pattern to count as stored.
    pub tolerance: f64,
    /// Mean-shift steps run from each pattern.
    pub steps: usize,
    /// Failure probability `p` of the theorem.
    pub failure_probability: f64,
    /// Seed of the patterns.
    pub seed: u64,
}

impl Default for KdeCapacityOptions {
    fn default() -> Self {
        KdeCapacityOptions {
            dims: vec![4, 6, 8, 10, 12, 14, 16],
            beta: 20.0,
            trials: 5,
            max_patterns: 4096,
            tolerance: 0.05,
            steps: 20,
            failure_probability: 0.001,
            seed: 2024,
        }
    }
}

/// The capacity at one dimension.
#[derive(Clone, Debug, Serialize)]
pub struct KdeCapacityRow {
    /// Dimension `D`.
    pub dim: usize,
    /// `β = 1/σ²`.
    pub beta: f64,
    /// Bandwidth `σ`.
    pub bandwidth: f64,
    /// Median over draws of the largest `N` with every pattern stored.
    pub capacity: f64,
    /// The largest `N` of each draw.
    pub trials: Vec<usize>,
    /// Whether some draw stored all `max_patterns` (its value is a lower bound).
    pub censored: bool,
    /// The number of patterns the theorem guarantees, `√p c^((D-1)/4)`.
    pub bound: f64,
    /// The theorem's base `c`.
    pub bound_base: f64,
    /// Whether the theorem's condition `c >= (2/√p)^(4/(D-1))` holds.
    pub bound_applies: bool,
}

/// The exponential-capacity analysis for a KDE on the unit sphere of `R^dim` with `β = 1/σ²`:
/// Ramsauer et al.'s Theorem 3 with `K = 1/√(dim-1)` (see the module documentation).
///
/// Errors: `dim < 2`, `beta <= 0`, `p` outside `(0, 1]`.
pub fn capacity_bound(dim: usize, beta: f64, p: f64) -> Result<RamsauerCapacity> {
    if dim < 2 {
        return Err(Error::param("dim", "must be at least 2"));
    }
    ramsauer_storage_capacity(beta, 1.0 / ((dim - 1) as f64).sqrt(), dim, p)
}

/// Whether every one of the first `n` patterns is stored in the KDE of those `n`.
fn all_stored(patterns: &Array2<f32>, n: usize, opts: &KdeCapacityOptions) -> Result<bool> {
    let kde = GaussianKde::new(
        patterns.slice(s![..n, ..]).to_owned(),
        (1.0 / opts.beta.sqrt()) as f32,
    )?;
    Ok(kde.stored(opts.tolerance, opts.steps)?.iter().all(|&s| s))
}

/// The largest prefix length of `patterns` whose patterns are all stored (at least 1: a single
/// pattern is its own fixed point), at most `patterns.nrows()`.
fn largest_stored_prefix(patterns: &Array2<f32>, opts: &KdeCapacityOptions) -> Result<usize> {
    let max = patterns.nrows();
    let (mut good, mut bad) = (1usize, None);
    let mut n = 2usize;
    while bad.is_none() {
        let tried = n.min(max);
        if all_stored(patterns, tried, opts)? {
            good = tried;
            if tried == max {
                return Ok(max);
            }
            n *= 2;
        } else {
            bad = Some(tried);
        }
    }
    let mut bad = bad.expect("the loop ends on a failure");
    while bad - good > 1 {
        let mid = good + (bad - good) / 2;
        if all_stored(patterns, mid, opts)? {
            good = mid;
        } else {
            bad = mid;
        }
    }
    Ok(good)
}

fn check_capacity_options(opts: &KdeCapacityOptions) -> Result<()> {
    ensure_positive("beta", opts.beta)?;
    ensure_positive("tolerance", opts.tolerance)?;
    if opts.dims.is_empty() || opts.dims.iter().any(|&d| d < 2) {
        return Err(Error::param("dims", "need dimensions of at least 2"));
    }
    if opts.trials == 0 || opts.max_patterns < 2 {
        return Err(Error::param(
            "trials/max_patterns",
            "need at least one trial and two patterns",
        ));
    }
    if !(opts.failure_probability > 0.0 && opts.failure_probability <= 1.0) {
        return Err(Error::param("p", "must lie in (0, 1]"));
    }
    Ok(())
}

/// Measures the capacity at every dimension of `opts.dims` and evaluates the analysis beside it.
/// `progress` sees each row as it is finished.
pub fn kde_capacity(
    opts: &KdeCapacityOptions,
    mut progress: impl FnMut(&KdeCapacityRow),
) -> Result<Vec<KdeCapacityRow>> {
    check_capacity_options(opts)?;
    let mut rows = Vec::new();
    for &dim in &opts.dims {
        let mut found = Vec::with_capacity(opts.trials);
        for t in 0..opts.trials {
            let seed = Rng::stream(opts.seed, ((dim as u64) << 16) | t as u64).next_u64();
            let patterns = random_sphere(opts.max_patterns, dim, seed);
            found.push(largest_stored_prefix(&patterns, opts)?);
        }
        let mut sorted = found.clone();
        sorted.sort_unstable();
        let mid = sorted.len() / 2;
        let capacity = if sorted.len() % 2 == 1 {
            sorted[mid] as f64
        } else {
            0.5 * (sorted[mid - 1] + sorted[mid]) as f64
        };
        let bound = capacity_bound(dim, opts.beta, opts.failure_probability)?;
        let row = KdeCapacityRow {
            dim,
            beta: opts.beta,
            bandwidth: 1.0 / opts.beta.sqrt(),
            capacity,
            censored: found.contains(&opts.max_patterns),
            trials: found,
            bound: bound.patterns,
            bound_base: bound.c,
            bound_applies: bound.applies,
        };
        progress(&row);
        rows.push(row);
    }
    Ok(rows)
}

/// The fitted growth of the capacity with the dimension: the least-squares slope `r` of
/// `ln capacity` against `D` (capacity `∝ e^(rD)`), over the uncensored rows; NaN with fewer
/// than two.
pub fn capacity_growth_rate(rows: &[KdeCapacityRow]) -> f64 {
    let points: Vec<(f64, f64)> = rows
        .iter()
        .filter(|r| !r.censored && r.capacity > 0.0)
        .map(|r| (r.dim as f64, r.capacity.ln()))
        .collect();
    line_slope(&points)
}

/// The growth rate of the theorem's guaranteed count over the same rows: the least-squares
/// slope of `ln bound` against `D` (whether or not the theorem applies there); NaN with fewer
/// than two rows.
pub fn bound_growth_rate(rows: &[KdeCapacityRow]) -> f64 {
    let points: Vec<(f64, f64)> = rows
        .iter()
        .filter(|r| r.bound > 0.0 && r.bound.is_finite())
        .map(|r| (r.dim as f64, r.bound.ln()))
        .collect();
    line_slope(&points)
}

/// The least-squares slope of `y` against `x`; NaN with fewer than two distinct `x`.
fn line_slope(points: &[(f64, f64)]) -> f64 {
    if points.len() < 2 {
        return f64::NAN;
    }
    let n = points.len() as f64;
    let mx = points.iter().map(|p| p.0).sum::<f64>() / n;
    let my = points.iter().map(|p| p.1).sum::<f64>() / n;
    let sxy: f64 = points.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum();
    let sxx: f64 = points.iter().map(|p| (p.0 - mx) * (p.0 - mx)).sum();
    if sxx == 0.0 {
        f64::NAN
    } else {
        sxy / sxx
    }
}

/// One point where the theorem applies: whether `patterns` random patterns are all stored.
#[derive(Clone, Debug, Serialize)]
pub struct TheoremCheck {
    /// Dimension `D`.
    pub dim: usize,
    /// `β = 1/σ²`.
    pub beta: f64,
    /// The number of patterns the theorem guarantees.
    pub bound: f64,
    /// Whether the theorem's condition holds.
    pub bound_applies: bool,
    /// Patterns stored in the check.
    pub patterns: usize,
    /// Whether all of them were stored.
    pub all_stored: bool,
}

/// Stores `patterns` random unit patterns in `R^dim` at `beta` and checks them all, beside the
/// theorem's guarantee (uses `opts.tolerance`, `opts.steps`, `opts.failure_probability`,
/// `opts.seed`).
pub fn theorem_check(
    dim: usize,
    beta: f64,
    patterns: usize,
    opts: &KdeCapacityOptions,
) -> Result<TheoremCheck> {
    let check = KdeCapacityOptions {
        dims: vec![dim],
        beta,
        max_patterns: patterns,
        ..opts.clone()
    };
    check_capacity_options(&check)?;
    let seed = Rng::stream(opts.seed ^ 0x7E0_4E33, dim as u64).next_u64();
    let x = random_sphere(patterns, dim, seed);
    let bound = capacity_bound(dim, beta, opts.failure_probability)?;
    Ok(TheoremCheck {
        dim,
        beta,
        bound: bound.patterns,
        bound_applies: bound.applies,
        patterns,
        all_stored: all_stored(&x, patterns, &check)?,
    })
}

/// Langevin chains on a KDE of digits at one bandwidth.
#[derive(Clone, Debug, Serialize)]
pub struct LangevinRow {
    /// Bandwidth `σ`.
    pub bandwidth: f64,
    /// Step size `η`.
    pub step_size: f64,
    /// Stored digits (one chain starts at each).
    pub patterns: usize,
    /// Dimension `D` (64).
    pub dim: usize,
    /// Mean over chains and kept steps of `‖x - ξ_start‖²`.
    pub mean_sq_distance: f64,
    /// `D σ² / (1 - η/(2σ²))`, the value for a chain that stays in its Gaussian mode.
    pub predicted_sq_distance: f64,
    /// Fraction of chains whose final state is closest to the digit it started from.
    pub stayed: f64,
    /// Mean `ln p` of the final samples.
    pub mean_log_density: f64,
}

/// Runs one Langevin chain from each of `patterns` unit-norm digits (one seeded choice) at each
/// bandwidth of `bandwidths`, with step size `η = step_fraction σ²`, `steps` steps of which the
/// second half are averaged.
pub fn langevin_digits(
    bandwidths: &[f64],
    patterns: usize,
    steps: usize,
    step_fraction: f64,
    seed: u64,
) -> Result<Vec<LangevinRow>> {
    ensure_positive("step_fraction", step_fraction)?;
    if patterns == 0 || steps < 2 {
        return Err(Error::param(
            "patterns/steps",
            "need at least one pattern and two steps",
        ));
    }
    let digits = Digits::load()?;
    if patterns > digits.len() {
        return Err(Error::param("patterns", "more than the 1797 digits"));
    }
    let picks = Rng::new(seed).choose(digits.len(), patterns);
    let mut x = digits.images.select(Axis(0), &picks);
    for mut row in x.rows_mut() {
        let n = row.dot(&row).sqrt();
        row /= n;
    }
    let dim = x.ncols();
    let mut rows = Vec::new();
    for &sigma in bandwidths {
        ensure_positive("bandwidth", sigma)?;
        let kde = GaussianKde::new(x.clone(), sigma as f32)?;
        let eta = step_fraction * sigma * sigma;
        let burn = steps / 2;
        let mut state = kde.langevin(x.view(), burn, eta, seed ^ 0x1A46)?;
        let mut total = 0.0;
        let kept = steps - burn;
        for k in 0..kept {
            state = kde.langevin(state.view(), 1, eta, seed ^ (0x5EED + k as u64))?;
            total += (&state - &x)
                .rows()
                .into_iter()
                .map(|r| r.dot(&r) as f64)
                .sum::<f64>();
        }
        let nearest = crate::pattern::nearest_pattern(x.view(), state.view())?;
        let stayed =
            nearest.iter().enumerate().filter(|(i, &n)| *i == n).count() as f64 / patterns as f64;
        let logp = kde.log_density(state.view())?;
        rows.push(LangevinRow {
            bandwidth: sigma,
            step_size: eta,
            patterns,
            dim,
            mean_sq_distance: total / (kept * patterns) as f64,
            predicted_sq_distance: dim as f64 * sigma * sigma / (1.0 - eta / (2.0 * sigma * sigma)),
            stayed,
            mean_log_density: logp.mean().unwrap_or(f64::NAN),
        });
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn growth_rate_of_an_exponential_is_its_exponent() {
        let rows: Vec<KdeCapacityRow> = [4usize, 8, 12]
            .iter()
            .map(|&d| KdeCapacityRow {
                dim: d,
                beta: 1.0,
                bandwidth: 1.0,
                capacity: 3.0 * (0.25 * d as f64).exp(),
                trials: vec![],
                censored: false,
                bound: 0.0,
                bound_base: 0.0,
                bound_applies: false,
            })
            .collect();
        assert!((capacity_growth_rate(&rows) - 0.25).abs() < 1e-12);
        assert!(capacity_growth_rate(&rows[..1]).is_nan());
    }
}
