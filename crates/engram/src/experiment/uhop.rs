//! U-Hop and U-Hop+ reproduced: retrieval with and without a learned feature map (Wu, Hu, Hsiao
//! & Liu, ICML 2024, arXiv:2404.03827, Figs. 2-3), and the minimal separation the learned map
//! reaches against the spherical-code bounds (Hu, Wu & Liu, NeurIPS 2024, arXiv:2410.23126).
//!
//! **Retrieval.** `M` unit-norm patterns (8x8 digits, or random points on the sphere of `R^d`)
//! are stored in a modern Hopfield network that compares in feature space with the cosine
//! kernel, at inverse temperature `β`, with three maps: none (the identity: the plain network),
//! a learned linear map and a learned residual MLP ([`crate::model::FeatureMap`]), both fitted
//! by [`train_separation`] on the stored patterns. Cues are the patterns plus Gaussian noise of
//! norm about `σ` (`σ/√d` per coordinate); one retrieval step (the papers' setting). Reported:
//! the mean squared error `‖x* - ξ‖²` and the number of patterns retrieved (`‖x* - ξ‖ < 0.1`).
//! Expected (the papers): the learned map lowers the error and retrieves more patterns at the
//! same `β`, because it separates the stored patterns (fewer metastable mixtures).
//!
//! **Spherical codes.** The normalized features of the stored patterns form a spherical code; the
//! separation loss pushes it towards an optimal one. [`spherical_codes`] learns maps into
//! `D = 3` dimensions, where the optima are known (the Tammes problem, [`TAMMES_ANGLES`]), and
//! reports the learned `Δ_min = 1 - max cos` beside the optimum and the bounds the U-Hop+ paper
//! states for the optimal `Δ_min` of `M` points on the sphere of `R^D`
//! ([`separation_lower_bound`], [`separation_upper_bound`]), and the simplex bound
//! `Δ_min <= M/(M-1)` (Rankin 1955; attained when `M <= D + 1`).

use ndarray::{Array2, Axis};
use serde::Serialize;

use crate::error::{ensure_positive, Error, Result};
use crate::model::{
    min_separation, train_separation, FeatureKernel, FeatureMap, KernelizedHopfield,
    SeparationTraining,
};
use crate::numeric::Rng;
use crate::pattern::{random_sphere, Digits};

/// Best known angular separations (degrees) of `M` points on the sphere in three dimensions,
/// the Tammes problem; proven optimal for these `M` (Fejes Tóth 1943 for 3, 4, 6, 12;
/// Schütte & van der Waerden 1951 for 5, 7, 8, 9; Danzer 1963 for 10, 11; Musin & Tarasov
/// 2012, 2015 for 13, 14; Robinson 1961 for 24). Values as tabulated by Sloane.
pub const TAMMES_ANGLES: [(usize, f64); 12] = [
    (4, 109.471_220_6),
    (5, 90.0),
    (6, 90.0),
    (7, 77.869_542_1),
    (8, 74.858_492_2),
    (9, 70.528_779_4),
    (10, 66.146_822_0),
    (11, 63.434_948_8),
    (12, 63.434_948_8),
    (13, 57.136_703_1),
    (14, 55.670_570_0),
    (24, 43.690_767_1),
];

/// `Γ((d+1)/2) / Γ(d/2)` for `d >= 1`, by the recursion `r(d+2) = r(d) (d+1)/d` from
/// `r(1) = 1/√π`, `r(2) = √π/2`.
fn gamma_ratio(d: usize) -> f64 {
    let sqrt_pi = std::f64::consts::PI.sqrt();
    let mut k = if d % 2 == 1 { 1 } else { 2 };
    let mut r = if k == 1 { 1.0 / sqrt_pi } else { sqrt_pi / 2.0 };
    while k < d {
        r *= (k + 1) as f64 / k as f64;
        k += 2;
    }
    r
}

/// The upper bound on the optimal minimal separation `Δ*_min` of `m` points on the unit sphere
/// of `R^d` stated in the U-Hop+ paper (Hu, Wu & Liu 2024; the form evaluated by the authors'
/// `bound_simulation.py`): `2 ((2√π/m) Γ((d+1)/2)/Γ(d/2))^(1/(d-1))`. NaN for `d < 2` or `m = 0`.
pub fn separation_upper_bound(m: usize, d: usize) -> f64 {
    if d < 2 || m == 0 {
        return f64::NAN;
    }
    let inside = 2.0 * std::f64::consts::PI.sqrt() / m as f64 * gamma_ratio(d);
    2.0 * inside.powf(1.0 / (d - 1) as f64)
}

/// The lower bound of the same paper (same source):
/// `½ ((√π/m) Γ((d+1)/2)/Γ(d/2+1))^(2/(d-1))`. NaN for `d < 2` or `m = 0`.
pub fn separation_lower_bound(m: usize, d: usize) -> f64 {
    if d < 2 || m == 0 {
        return f64::NAN;
    }
    // Γ(d/2 + 1) = (d/2) Γ(d/2).
    let inside = std::f64::consts::PI.sqrt() / m as f64 * gamma_ratio(d) * 2.0 / d as f64;
    0.5 * inside.powf(2.0 / (d - 1) as f64)
}

/// The simplex bound `Δ_min <= m/(m-1)` on any `m >= 2` points of a sphere (Rankin 1955): the
/// mean pairwise cosine of unit vectors is at least `-1/(m-1)`. NaN for `m < 2`.
pub fn simplex_bound(m: usize) -> f64 {
    if m < 2 {
        f64::NAN
    } else {
        m as f64 / (m - 1) as f64
    }
}

/// Options of [`uhop_retrieval`].
#[derive(Clone, Debug)]
pub struct UhopOptions {
    /// Numbers of stored patterns `M`.
    pub sizes: Vec<usize>,
    /// Inverse temperature `β`.
    pub beta: f32,
    /// Noise norms `σ` of the cues.
    pub noise: Vec<f64>,
    /// Dimension of the random patterns (the digits have 64).
    pub random_dim: usize,
    /// Hidden units of the MLP map.
    pub hidden: usize,
    /// Training of the maps.
    pub training: SeparationTraining,
    /// Seed of patterns, cues and maps.
    pub seed: u64,
}

impl Default for UhopOptions {
    fn default() -> Self {
        UhopOptions {
            sizes: vec![20, 50, 100, 200],
            beta: 10.0,
            noise: vec![0.1, 0.2],
            random_dim: 16,
            hidden: 128,
            training: SeparationTraining::default(),
            seed: 2024,
        }
    }
}

/// One data set, size, map and noise level.
#[derive(Clone, Debug, Serialize)]
pub struct UhopRow {
    /// `digits` or `random`.
    pub dataset: String,
    /// `none`, `linear` or `mlp`.
    pub map: String,
    /// Stored patterns `M`.
    pub patterns: usize,
    /// Pattern dimension.
    pub dim: usize,
    /// Inverse temperature.
    pub beta: f32,
    /// Noise norm `σ` of the cues.
    pub noise: f64,
    /// Mean `‖x* - ξ‖²` after one retrieval step.
    pub retrieval_error: f64,
    /// Patterns with `‖x* - ξ‖ < 0.1`.
    pub retrieved: usize,
    /// `Δ_min` of the stored patterns in the map's feature space.
    pub min_separation: f64,
    /// The simplex bound `M/(M-1)` on `Δ_min`.
    pub simplex_bound: f64,
    /// The U-Hop+ paper's upper bound on the optimal `Δ_min` in the feature dimension.
    pub upper_bound: f64,
}

/// Unit-norm rows.
fn unit_rows(mut x: Array2<f32>) -> Array2<f32> {
    for mut row in x.rows_mut() {
        let n = row.dot(&row).sqrt();
        if n > 0.0 {
            row /= n;
        }
    }
    x
}

/// `m` unit-norm digits, a seeded choice.
pub fn unit_digits(m: usize, seed: u64) -> Result<Array2<f32>> {
    let digits = Digits::load()?;
    if m > digits.len() {
        return Err(Error::param(
            "patterns",
            format!("{m} exceeds the {} digits", digits.len()),
        ));
    }
    let picks = Rng::new(seed).choose(digits.len(), m);
    Ok(unit_rows(digits.images.select(Axis(0), &picks)))
}

fn evaluate(
    patterns: &Array2<f32>,
    cues: &Array2<f32>,
    map: FeatureMap,
    beta: f32,
) -> Result<(f64, usize)> {
    let net = KernelizedHopfield::new(patterns.clone(), map, beta, FeatureKernel::Cosine)?;
    let out = net.retrieve(cues.view())?;
    let sq: Vec<f64> = (&out - patterns)
        .rows()
        .into_iter()
        .map(|r| r.dot(&r) as f64)
        .collect();
    Ok((
        sq.iter().sum::<f64>() / sq.len() as f64,
        sq.iter().filter(|&&e| e < 0.01).count(),
    ))
}

/// Runs the retrieval comparison on the digits and on random unit patterns; `progress` sees each
/// row as it is finished.
///
/// Errors: empty grids, `M < 2`, more digits than exist, `β <= 0`, `noise < 0`, training errors.
pub fn uhop_retrieval(
    opts: &UhopOptions,
    mut progress: impl FnMut(&UhopRow),
) -> Result<Vec<UhopRow>> {
    ensure_positive("beta", opts.beta as f64)?;
    if opts.sizes.is_empty() || opts.noise.is_empty() {
        return Err(Error::param("sizes/noise", "need at least one of each"));
    }
    if opts.sizes.iter().any(|&m| m < 2) {
        return Err(Error::param("sizes", "need at least two patterns"));
    }
    if opts.noise.iter().any(|&s| !(s >= 0.0 && s.is_finite())) {
        return Err(Error::param("noise", "must be finite and >= 0"));
    }
    if opts.random_dim < 2 || opts.hidden == 0 {
        return Err(Error::param(
            "random_dim/hidden",
            "need d >= 2 and a hidden unit",
        ));
    }
    let mut rows = Vec::new();
    for (di, dataset) in ["digits", "random"].iter().enumerate() {
        for &m in &opts.sizes {
            let seed = Rng::stream(opts.seed, ((di as u64) << 32) | m as u64).next_u64();
            let patterns = if *dataset == "digits" {
                unit_digits(m, seed)?
            } else {
                random_sphere(m, opts.random_dim, seed)
            };
            let d = patterns.ncols();
            let mut linear = FeatureMap::linear(d, d, seed ^ 1)?;
            train_separation(&mut linear, patterns.view(), &opts.training)?;
            let mut mlp = FeatureMap::mlp(d, d, opts.hidden, seed ^ 2)?;
            train_separation(&mut mlp, patterns.view(), &opts.training)?;
            let maps = [
                ("none", FeatureMap::identity(d)?),
                ("linear", linear),
                ("mlp", mlp),
            ];
            for (ni, &sigma) in opts.noise.iter().enumerate() {
                let mut rng = Rng::stream(seed ^ 0xC0E5, ni as u64);
                let scale = sigma / (d as f64).sqrt();
                let cues = patterns.mapv(|v| v + (scale * rng.normal()) as f32);
                for (name, map) in &maps {
                    let (err, ok) = evaluate(&patterns, &cues, map.clone(), opts.beta)?;
                    let row = UhopRow {
                        dataset: dataset.to_string(),
                        map: name.to_string(),
                        patterns: m,
                        dim: d,
                        beta: opts.beta,
                        noise: sigma,
                        retrieval_error: err,
                        retrieved: ok,
                        min_separation: min_separation(map, patterns.view())?,
                        simplex_bound: simplex_bound(m),
                        upper_bound: separation_upper_bound(m, map.out_dim()),
                    };
                    progress(&row);
                    rows.push(row);
                }
            }
        }
    }
    Ok(rows)
}

/// The learned spherical code of `M` digits in a `D`-dimensional feature space.
#[derive(Clone, Debug, Serialize)]
pub struct CodeRow {
    /// Feature dimension `D`.
    pub feature_dim: usize,
    /// Points `M`.
    pub patterns: usize,
    /// `Δ_min` of the raw (unit-norm) digits under the initial map.
    pub initial: f64,
    /// `Δ_min` after training (best of the starts).
    pub achieved: f64,
    /// The optimal `Δ_min` where known (Tammes, or the simplex when `M <= D + 1`), else NaN.
    pub optimum: f64,
    /// The U-Hop+ paper's lower bound on the optimal `Δ_min`.
    pub lower_bound: f64,
    /// The U-Hop+ paper's upper bound on the optimal `Δ_min`.
    pub upper_bound: f64,
    /// The simplex bound `M/(M-1)`.
    pub simplex_bound: f64,
}

/// Learns linear maps from the 64 pixels of `M` unit-norm digits into `D` dimensions (the best of
/// `starts` seeded starts) for every `(M, D)` of `cases`, and reports `Δ_min` against the
/// optimum and the bounds.
pub fn spherical_codes(
    cases: &[(usize, usize)],
    starts: usize,
    training: &SeparationTraining,
    seed: u64,
) -> Result<Vec<CodeRow>> {
    if starts == 0 {
        return Err(Error::param("starts", "must be at least 1"));
    }
    let mut rows = Vec::new();
    for &(m, dim) in cases {
        if m < 2 || dim < 2 {
            return Err(Error::param(
                "cases",
                "need M >= 2 points and D >= 2 dimensions",
            ));
        }
        let patterns = unit_digits(m, Rng::stream(seed, m as u64).next_u64())?;
        let initial = min_separation(&FeatureMap::identity(64)?, patterns.view())?;
        let mut achieved = f64::NEG_INFINITY;
        for s in 0..starts {
            let mut map = FeatureMap::linear(64, dim, seed ^ (s as u64 + 1))?;
            let report = train_separation(&mut map, patterns.view(), training)?;
            achieved = achieved.max(report.final_separation);
        }
        let optimum = if m <= dim + 1 {
            simplex_bound(m)
        } else if dim == 3 {
            TAMMES_ANGLES
                .iter()
                .find(|(k, _)| *k == m)
                .map(|(_, a)| 1.0 - a.to_radians().cos())
                .unwrap_or(f64::NAN)
        } else {
            f64::NAN
        };
        rows.push(CodeRow {
            feature_dim: dim,
            patterns: m,
            initial,
            achieved,
            optimum,
            lower_bound: separation_lower_bound(m, dim),
            upper_bound: separation_upper_bound(m, dim),
            simplex_bound: simplex_bound(m),
        });
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gamma_ratio_matches_known_values() {
        // Γ(1)/Γ(1/2) = 1/√π, Γ(3/2)/Γ(1) = √π/2, Γ(2)/Γ(3/2) = 2/√π, Γ(5/2)/Γ(2) = 3√π/4.
        let sp = std::f64::consts::PI.sqrt();
        for (d, want) in [(1, 1.0 / sp), (2, sp / 2.0), (3, 2.0 / sp), (4, 0.75 * sp)] {
            assert!((gamma_ratio(d) - want).abs() < 1e-14, "{d}");
        }
    }

    #[test]
    fn bounds_match_the_authors_values_in_three_dimensions() {
        // The authors' bound_simulation.py gives, for d = 3: upper 2.0 and lower 1/6 at M = 4,
        // upper 1.1547 and lower 0.05556 at M = 12 (they plot these against the Tammes optima
        // 1.3333 and 0.5528, which lie between). Tolerance 1e-4.
        assert!((separation_upper_bound(4, 3) - 2.0).abs() < 1e-4);
        assert!((separation_lower_bound(4, 3) - 1.0 / 6.0).abs() < 1e-4);
        assert!((separation_upper_bound(12, 3) - 1.1547).abs() < 1e-4);
        assert!((separation_lower_bound(12, 3) - 0.05556).abs() < 1e-4);
        for &(m, angle) in &TAMMES_ANGLES {
            let opt = 1.0 - angle.to_radians().cos();
            assert!(separation_lower_bound(m, 3) < opt && opt < separation_upper_bound(m, 3));
            assert!(opt <= simplex_bound(m) + 1e-12);
        }
        assert!(simplex_bound(1).is_nan() && separation_upper_bound(3, 1).is_nan());
    }
}
