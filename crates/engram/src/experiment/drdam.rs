//! How well the random-feature memory (DrDAM) approximates the exact dense memory (MrDAM) as the
//! number of random features `Y` grows: Hoover, Chau, Strobelt, Ram & Krotov, "Dense Associative
//! Memory Through the Lens of Random Features", NeurIPS 2024 (arXiv:2410.24153), Figs. 3, 4A
//! and 6.
//!
//! **Setup** (the authors' `exp_QUANT1b_opt_retrieval.py`): `K` distinct random `{0,1}^d`
//! patterns scaled by `1/√d`, the exact energy `E(x) = -(1/β) ln Σ_μ exp(-β/2 ‖x - ξ_μ‖²)` and
//! DrDAM with trigonometric features and Gaussian projections. Three sets of queries: the stored
//! patterns themselves ("at memories"), the patterns with a fraction of their bits flipped
//! ("near", the cues retrieval starts from) and fresh random patterns ("far"). The energy error
//! is the mean `|E(x) - Ê(x)|` over a set. Retrieval runs the same number of gradient steps of
//! the same size on both energies from the near cues; the state error is the fraction of
//! coordinates on which the two final states, binarized at `0.5/√d`, disagree (the authors'
//! normalized Hamming distance). The real-image variant stores 8x8 digits scaled to `[0, 1/√d]`
//! (the authors' `Normalizer`), cues invert a fraction of the pixels (`v ← 1/√d - v`) and the far
//! queries are digits that were not stored.
//!
//! **Expected** (the paper): the errors fall as `Y` grows, as `1/√Y` for a Monte-Carlo estimate
//! (the paper fits `b/√Y` curves to Fig. 3), and rise with `β` and with the distance of the
//! query from the memories; they grow with `d` where the kernel sum is small.

use ndarray::{Array2, ArrayView2, Axis};
use serde::Serialize;

use crate::dynamics::Dynamics;
use crate::error::{Error, Result};
use crate::model::{DrDam, MrDam, RandomFeatureKind, RandomFeatures};
use crate::numeric::Rng;
use crate::pattern::Digits;

/// Parameters of [`drdam_errors`].
#[derive(Clone, Debug)]
pub struct DrDamOptions {
    /// Dimensions `d` of the random patterns.
    pub dims: Vec<usize>,
    /// Inverse temperatures `β`.
    pub betas: Vec<f32>,
    /// Numbers of random projections `Y`.
    pub features: Vec<usize>,
    /// Stored patterns `K`.
    pub patterns: usize,
    /// Queries per set (at most `K` for the sets drawn from the patterns).
    pub queries: usize,
    /// Fraction of the coordinates flipped (or pixels inverted) in a near cue.
    pub flip: f64,
    /// Gradient steps of retrieval.
    pub steps: usize,
    /// Gradient step size `η` of retrieval.
    pub step_size: f32,
    /// Independent draws of the random features averaged per point.
    pub repeats: usize,
    /// The feature map.
    pub kind: RandomFeatureKind,
    /// Inverse temperatures of the 8x8 digits (dimension 64); empty skips them. The digits lie
    /// closer together than random patterns, so the exact memory needs a larger `β` to keep
    /// them apart.
    pub digit_betas: Vec<f32>,
    /// Seed of patterns, cues and features.
    pub seed: u64,
}

impl Default for DrDamOptions {
    fn default() -> Self {
        DrDamOptions {
            dims: vec![16, 64, 256],
            betas: vec![10.0, 30.0, 50.0],
            features: vec![1000, 2000, 4000, 8000, 16000],
            patterns: 100,
            queries: 50,
            flip: 0.1,
            steps: 30,
            step_size: 0.2,
            repeats: 3,
            kind: RandomFeatureKind::Trig,
            digit_betas: vec![50.0, 100.0, 200.0],
            seed: 2024,
        }
    }
}

/// One point of the error curves: a data set, `β`, `d` and `Y`.
#[derive(Clone, Debug, Serialize)]
pub struct DrDamRow {
    /// `random` or `digits`.
    pub dataset: String,
    /// The feature map's name.
    pub kind: String,
    /// Random projections `Y`.
    pub features: usize,
    /// Length of the memory vector `T` (`2Y` for trigonometric features).
    pub feature_dim: usize,
    /// Inverse temperature.
    pub beta: f32,
    /// Pattern dimension.
    pub dim: usize,
    /// Stored patterns `K`.
    pub patterns: usize,
    /// Mean `|E - Ê|` at the near cues (where retrieval starts).
    pub energy_error: f64,
    /// Mean `|E - Ê|` at the stored patterns.
    pub energy_error_memories: f64,
    /// Mean `|E - Ê|` at the far queries.
    pub energy_error_far: f64,
    /// Fraction of binarized coordinates on which DrDAM's final state differs from MrDAM's.
    pub state_error: f64,
    /// Mean Euclidean distance between the final states.
    pub state_distance: f64,
    /// Fraction of cues whose exact final state, binarized, is their pattern.
    pub exact_recalled: f64,
    /// Numbers DrDAM holds (memory vector and projections), independent of `K`.
    pub drdam_parameters: usize,
    /// Numbers MrDAM holds, `K d`.
    pub mrdam_parameters: usize,
}

/// The least-squares slope of `ln(error)` against `ln Y` for one curve.
#[derive(Clone, Debug, Serialize)]
pub struct SlopeFit {
    /// `random` or `digits`.
    pub dataset: String,
    /// Which error: `near`, `memories` or `far`.
    pub queries: String,
    /// Inverse temperature.
    pub beta: f32,
    /// Pattern dimension.
    pub dim: usize,
    /// The fitted log-log slope (`-0.5` for a `1/√Y` law).
    pub slope: f64,
}

/// One feature map at one `β` (the paper's Fig. 6 ablation).
#[derive(Clone, Debug, Serialize)]
pub struct AblationRow {
    /// `random` or `digits`.
    pub dataset: String,
    /// The feature map's name.
    pub kind: String,
    /// Random projections `Y`.
    pub features: usize,
    /// Inverse temperature.
    pub beta: f32,
    /// Mean `|E - Ê|` at the stored patterns.
    pub energy_error_memories: f64,
    /// Mean `|E - Ê|` at the far queries.
    pub energy_error_far: f64,
}

/// The least-squares slope of `ln y` against `ln x` over the points with positive finite
/// coordinates; NaN with fewer than two such points.
pub fn log_log_slope(points: &[(f64, f64)]) -> f64 {
    let logs: Vec<(f64, f64)> = points
        .iter()
        .filter(|(x, y)| *x > 0.0 && *y > 0.0 && x.is_finite() && y.is_finite())
        .map(|(x, y)| (x.ln(), y.ln()))
        .collect();
    if logs.len() < 2 {
        return f64::NAN;
    }
    let n = logs.len() as f64;
    let mx = logs.iter().map(|p| p.0).sum::<f64>() / n;
    let my = logs.iter().map(|p| p.1).sum::<f64>() / n;
    let sxy: f64 = logs.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum();
    let sxx: f64 = logs.iter().map(|p| (p.0 - mx) * (p.0 - mx)).sum();
    if sxx == 0.0 {
        f64::NAN
    } else {
        sxy / sxx
    }
}

/// Patterns, cues and queries of one data set, all scaled so that a coordinate lies in
/// `[0, 1/√d]`.
struct DataSet {
    name: &'static str,
    patterns: Array2<f32>,
    memories: Array2<f32>,
    near: Array2<f32>,
    far: Array2<f32>,
}

/// `k` distinct random `{0, 1/√d}` patterns.
fn distinct_binary(k: usize, d: usize, rng: &mut Rng) -> Array2<f32> {
    let scale = 1.0 / (d as f32).sqrt();
    let mut seen = std::collections::HashSet::new();
    let mut rows = Vec::with_capacity(k * d);
    let mut tries = 0usize;
    while seen.len() < k && tries < 1000 * k.max(1) {
        tries += 1;
        let bits: Vec<bool> = (0..d).map(|_| rng.sign() > 0.0).collect();
        if seen.insert(bits.clone()) {
            rows.extend(bits.iter().map(|&b| if b { scale } else { 0.0 }));
        }
    }
    Array2::from_shape_vec((rows.len() / d, d), rows).expect("rows of length d")
}

/// Inverts `fraction` of the coordinates of each row (`v ← 1/√d - v`).
fn invert_some(rows: ArrayView2<f32>, fraction: f64, rng: &mut Rng) -> Array2<f32> {
    let d = rows.ncols();
    let top = 1.0 / (d as f32).sqrt();
    let count = ((fraction * d as f64).round() as usize).min(d);
    let mut out = rows.to_owned();
    for mut row in out.rows_mut() {
        for j in rng.choose(d, count) {
            row[j] = top - row[j];
        }
    }
    out
}

fn random_set(opts: &DrDamOptions, d: usize, rng: &mut Rng) -> Result<DataSet> {
    let all = distinct_binary(opts.patterns + opts.queries, d, rng);
    if all.nrows() < opts.patterns + opts.queries {
        return Err(Error::param(
            "dims",
            format!(
                "d = {d} has too few distinct binary patterns for {} patterns and {} queries",
                opts.patterns, opts.queries
            ),
        ));
    }
    let patterns = all.slice(ndarray::s![..opts.patterns, ..]).to_owned();
    let far = all.slice(ndarray::s![opts.patterns.., ..]).to_owned();
    let q = opts.queries.min(opts.patterns);
    let memories = patterns.slice(ndarray::s![..q, ..]).to_owned();
    let near = invert_some(memories.view(), opts.flip, rng);
    Ok(DataSet {
        name: "random",
        patterns,
        memories,
        near,
        far,
    })
}

fn digits_set(opts: &DrDamOptions, rng: &mut Rng) -> Result<DataSet> {
    let digits = Digits::load()?;
    let n = digits.len();
    if opts.patterns + opts.queries > n {
        return Err(Error::param(
            "patterns",
            format!(
                "{} patterns and {} queries exceed the {n} digits",
                opts.patterns, opts.queries
            ),
        ));
    }
    let picks = rng.choose(n, opts.patterns + opts.queries);
    let scale = 1.0 / (Digits::MAX_VALUE * (Digits::DIM as f32).sqrt());
    let images = digits.images.select(Axis(0), &picks) * scale;
    let patterns = images.slice(ndarray::s![..opts.patterns, ..]).to_owned();
    let far = images.slice(ndarray::s![opts.patterns.., ..]).to_owned();
    let q = opts.queries.min(opts.patterns);
    let memories = patterns.slice(ndarray::s![..q, ..]).to_owned();
    let near = invert_some(memories.view(), opts.flip, rng);
    Ok(DataSet {
        name: "digits",
        patterns,
        memories,
        near,
        far,
    })
}

fn mean_abs(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| (x - y).abs()).sum::<f64>() / a.len().max(1) as f64
}

/// Binarizes at half the top value `1/√d`.
fn binarize(states: ArrayView2<f32>) -> Array2<bool> {
    let half = 0.5 / (states.ncols() as f32).sqrt();
    states.mapv(|v| v > half)
}

fn check_options(opts: &DrDamOptions) -> Result<()> {
    if opts.betas.is_empty() || opts.features.is_empty() {
        return Err(Error::param("betas/features", "need at least one of each"));
    }
    for &b in opts.betas.iter().chain(&opts.digit_betas) {
        crate::error::ensure_positive("beta", b as f64)?;
    }
    if opts.features.contains(&0) {
        return Err(Error::param("features", "Y must be at least 1"));
    }
    if opts.dims.contains(&0) {
        return Err(Error::param("dims", "d must be at least 1"));
    }
    if opts.patterns == 0 || opts.queries == 0 || opts.repeats == 0 {
        return Err(Error::param(
            "patterns/queries/repeats",
            "must be at least 1",
        ));
    }
    if !(0.0..=1.0).contains(&opts.flip) {
        return Err(Error::param("flip", "must lie in [0, 1]"));
    }
    crate::error::ensure_positive("step_size", opts.step_size as f64)?;
    Ok(())
}

/// `steps` updates of `model` from `start` (no energies, no stopping rule: both models run the
/// same number of gradient steps).
fn descend<D: Dynamics>(model: &D, start: ArrayView2<f32>, steps: usize) -> Result<Array2<f32>> {
    let mut x = start.to_owned();
    for _ in 0..steps {
        x = model.step(x.view())?;
    }
    Ok(x)
}

/// The error curves of one data set at one `β`.
fn run_set(
    set: &DataSet,
    beta: f32,
    opts: &DrDamOptions,
    stream: u64,
    progress: &mut dyn FnMut(&DrDamRow),
) -> Result<Vec<DrDamRow>> {
    let d = set.patterns.ncols();
    let exact = MrDam::new(set.patterns.clone(), beta)?.with_step_size(opts.step_size)?;
    let truth_mem = exact.energies(set.memories.view())?.to_vec();
    let truth_near = exact.energies(set.near.view())?.to_vec();
    let truth_far = exact.energies(set.far.view())?.to_vec();
    let exact_final = descend(&exact, set.near.view(), opts.steps)?;
    let exact_bits = binarize(exact_final.view());
    let pattern_bits = binarize(set.memories.view());
    let exact_recalled = exact_bits
        .rows()
        .into_iter()
        .zip(pattern_bits.rows())
        .filter(|(a, b)| a == b)
        .count() as f64
        / exact_bits.nrows() as f64;
    let mut rows = Vec::new();
    for &y in &opts.features {
        let (mut e_near, mut e_mem, mut e_far, mut s_err, mut s_dist) = (0.0, 0.0, 0.0, 0.0, 0.0);
        let mut params = 0;
        let mut feature_dim = 0;
        for rep in 0..opts.repeats {
            let seed = Rng::stream(opts.seed ^ stream, (y as u64) << 8 | rep as u64).next_u64();
            let map = RandomFeatures::new(opts.kind, d, y, beta, seed)?;
            feature_dim = map.feature_dim();
            let net =
                DrDam::from_patterns(map, set.patterns.view())?.with_step_size(opts.step_size)?;
            params = net.parameter_count();
            e_mem += mean_abs(&net.energy_of(set.memories.view())?.to_vec(), &truth_mem);
            e_near += mean_abs(&net.energy_of(set.near.view())?.to_vec(), &truth_near);
            e_far += mean_abs(&net.energy_of(set.far.view())?.to_vec(), &truth_far);
            let approx_final = descend(&net, set.near.view(), opts.steps)?;
            let bits = binarize(approx_final.view());
            let differ = bits
                .iter()
                .zip(exact_bits.iter())
                .filter(|(a, b)| a != b)
                .count();
            s_err += differ as f64 / bits.len() as f64;
            s_dist += (&approx_final - &exact_final)
                .rows()
                .into_iter()
                .map(|r| (r.dot(&r) as f64).sqrt())
                .sum::<f64>()
                / approx_final.nrows() as f64;
        }
        let r = opts.repeats as f64;
        let row = DrDamRow {
            dataset: set.name.to_string(),
            kind: opts.kind.name().to_string(),
            features: y,
            feature_dim,
            beta,
            dim: d,
            patterns: set.patterns.nrows(),
            energy_error: e_near / r,
            energy_error_memories: e_mem / r,
            energy_error_far: e_far / r,
            state_error: s_err / r,
            state_distance: s_dist / r,
            exact_recalled,
            drdam_parameters: params,
            mrdam_parameters: set.patterns.len(),
        };
        progress(&row);
        rows.push(row);
    }
    Ok(rows)
}

/// Runs the error curves: for every random-pattern dimension of `opts.dims` and every `β` of
/// `opts.betas`, and for the digits at every `β` of `opts.digit_betas`, every `Y`. `progress` sees each row as it is finished.
///
/// Errors: empty grids, `Y = 0`, `d = 0`, `β <= 0`, `flip` outside `[0, 1]`, more patterns and
/// queries than distinct patterns (or digits).
pub fn drdam_errors(
    opts: &DrDamOptions,
    mut progress: impl FnMut(&DrDamRow),
) -> Result<Vec<DrDamRow>> {
    check_options(opts)?;
    let mut rows = Vec::new();
    let mut rng = Rng::new(opts.seed);
    let mut sets = Vec::new();
    for &d in &opts.dims {
        sets.push((random_set(opts, d, &mut rng)?, &opts.betas));
    }
    if !opts.digit_betas.is_empty() {
        sets.push((digits_set(opts, &mut rng)?, &opts.digit_betas));
    }
    for (si, (set, betas)) in sets.iter().enumerate() {
        for (bi, &beta) in betas.iter().enumerate() {
            let stream = ((si as u64) << 32) | bi as u64;
            rows.extend(run_set(set, beta, opts, stream, &mut progress)?);
        }
    }
    Ok(rows)
}

/// The log-log slopes of the near-cue and at-memory energy errors and of the state error
/// against `Y`, one per data set, `β` and `d`.
pub fn fit_slopes(rows: &[DrDamRow]) -> Vec<SlopeFit> {
    let mut keys: Vec<(String, u32, usize)> = Vec::new();
    for r in rows {
        let key = (r.dataset.clone(), r.beta.to_bits(), r.dim);
        if !keys.contains(&key) {
            keys.push(key);
        }
    }
    let mut fits = Vec::new();
    for (dataset, beta_bits, dim) in keys {
        let curve: Vec<&DrDamRow> = rows
            .iter()
            .filter(|r| r.dataset == dataset && r.beta.to_bits() == beta_bits && r.dim == dim)
            .collect();
        for (name, pick) in [
            (
                "near",
                (|r: &DrDamRow| r.energy_error) as fn(&DrDamRow) -> f64,
            ),
            ("memories", |r: &DrDamRow| r.energy_error_memories),
            ("far", |r: &DrDamRow| r.energy_error_far),
        ] {
            let points: Vec<(f64, f64)> =
                curve.iter().map(|r| (r.features as f64, pick(r))).collect();
            fits.push(SlopeFit {
                dataset: dataset.clone(),
                queries: name.to_string(),
                beta: f32::from_bits(beta_bits),
                dim,
                slope: log_log_slope(&points),
            });
        }
    }
    fits
}

/// The paper's Fig. 6 ablation on the digits: the energy error of every feature map at the
/// stored patterns and at unstored digits, for each `β` of `betas`, with `features` projections
/// (averaged over `opts.repeats` draws). Uses `opts.patterns`, `opts.queries` and `opts.seed`.
pub fn feature_ablation(
    opts: &DrDamOptions,
    betas: &[f32],
    features: usize,
) -> Result<Vec<AblationRow>> {
    check_options(opts)?;
    if features == 0 {
        return Err(Error::param("features", "Y must be at least 1"));
    }
    let mut rng = Rng::new(opts.seed ^ 0xAB1A_7104);
    let set = digits_set(opts, &mut rng)?;
    let mut rows = Vec::new();
    for &beta in betas {
        let exact = MrDam::new(set.patterns.clone(), beta)?;
        let truth_mem = exact.energies(set.memories.view())?.to_vec();
        let truth_far = exact.energies(set.far.view())?.to_vec();
        for kind in RandomFeatureKind::ALL {
            let (mut e_mem, mut e_far) = (0.0, 0.0);
            for rep in 0..opts.repeats {
                let seed = Rng::stream(opts.seed, rep as u64).next_u64();
                let map = RandomFeatures::new(kind, set.patterns.ncols(), features, beta, seed)?;
                let net = DrDam::from_patterns(map, set.patterns.view())?;
                e_mem += mean_abs(&net.energy_of(set.memories.view())?.to_vec(), &truth_mem);
                e_far += mean_abs(&net.energy_of(set.far.view())?.to_vec(), &truth_far);
            }
            let r = opts.repeats as f64;
            rows.push(AblationRow {
                dataset: set.name.to_string(),
                kind: kind.name().to_string(),
                features,
                beta,
                energy_error_memories: e_mem / r,
                energy_error_far: e_far / r,
            });
        }
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slope_of_a_power_law_is_its_exponent() {
        let pts: Vec<(f64, f64)> = [1.0f64, 4.0, 16.0, 64.0]
            .iter()
            .map(|&x| (x, 3.0 * x.powf(-0.5)))
            .collect();
        assert!((log_log_slope(&pts) + 0.5).abs() < 1e-12);
        assert!(log_log_slope(&pts[..1]).is_nan());
        assert!(log_log_slope(&[(1.0, 0.0), (2.0, 1.0)]).is_nan());
    }

    #[test]
    fn cues_invert_the_requested_number_of_coordinates() {
        let mut rng = Rng::new(1);
        let p = distinct_binary(5, 20, &mut rng);
        let cues = invert_some(p.view(), 0.1, &mut rng);
        for (a, b) in p.rows().into_iter().zip(cues.rows()) {
            assert_eq!(a.iter().zip(b).filter(|(x, y)| x != y).count(), 2);
        }
        let all = distinct_binary(4, 2, &mut rng);
        assert_eq!(all.nrows(), 4);
        assert_eq!(distinct_binary(5, 2, &mut rng).nrows(), 4);
    }
}
