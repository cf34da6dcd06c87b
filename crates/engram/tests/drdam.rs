//! DrDAM (Hoover et al., "Dense Associative Memory Through the Lens of Random Features", NeurIPS
//! 2024): the random-feature memory against the exact one it approximates.

use engram::dynamics::{recall, Dynamics, RecallOptions};
use engram::model::{DrDam, ModernHopfield, MrDam, RandomFeatureKind, RandomFeatures};
use engram::pattern::{random_binary01, random_sphere};
use engram::Error;
use ndarray::{s, Array2};

/// `{0,1}` patterns scaled by `1/√d`, the authors' setup (their `exp_QUANT1b_opt_retrieval.py`).
fn binary_patterns(k: usize, d: usize, seed: u64) -> Array2<f32> {
    random_binary01(k, d, seed) / (d as f32).sqrt()
}

fn mean_abs_diff(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| (x - y).abs()).sum::<f64>() / a.len() as f64
}

#[test]
fn every_feature_map_is_an_unbiased_estimate_of_the_gaussian_kernel() {
    // Claim: E[φ(x)·φ(y)] = exp(-β/2 ‖x - y‖²) (Rahimi & Recht 2007 for the trigonometric maps,
    // Choromanski et al. 2021 for the positive ones). Averaged over 40 seeds of Y = 2000
    // projections, the mean estimate must lie within 4 standard errors of the kernel.
    let points = random_sphere(4, 8, 3) * 0.6;
    let beta = 2.0f32;
    for kind in RandomFeatureKind::ALL {
        let trials = 40;
        let mut sum = Array2::<f64>::zeros((4, 4));
        let mut sum_sq = Array2::<f64>::zeros((4, 4));
        for seed in 0..trials {
            let map = RandomFeatures::new(kind, 8, 2000, beta, seed).unwrap();
            let k = map.kernel(points.view(), points.view()).unwrap();
            sum_sq += &k.mapv(|v| v * v);
            sum += &k;
        }
        for i in 0..4 {
            for j in 0..4 {
                let d2: f32 = (&points.row(i) - &points.row(j)).mapv(|v| v * v).sum();
                let truth = (-(beta as f64) / 2.0 * d2 as f64).exp();
                let mean = sum[[i, j]] / trials as f64;
                let var = (sum_sq[[i, j]] / trials as f64 - mean * mean).max(0.0);
                let stderr = (var / trials as f64).sqrt().max(1e-12);
                assert!(
                    (mean - truth).abs() <= 4.0 * stderr + 1e-9,
                    "{kind:?} ({i},{j}): mean {mean} vs kernel {truth} (stderr {stderr})"
                );
            }
        }
    }
}

#[test]
fn energy_error_falls_with_the_number_of_features_on_average_over_seeds() {
    // Claim (Hoover et al. 2024, Fig. 3 and Theorem 1): the energy error shrinks as Y grows, as
    // 1/√Y for a Monte-Carlo estimate. Setup: K = 20 binary patterns in d = 16 scaled by 1/√d,
    // β = 10, queries at the memories, errors averaged over 6 seeds. From Y = 250 to 4000
    // (16x) a 1/√Y law divides the error by 4; we accept a factor between 2.5 and 6.5, and
    // require each quadrupling of Y to lower the error.
    let patterns = binary_patterns(20, 16, 11);
    let exact = MrDam::new(patterns.clone(), 10.0).unwrap();
    let truth = exact.energies(patterns.view()).unwrap().to_vec();
    let errors: Vec<f64> = [250usize, 1000, 4000]
        .iter()
        .map(|&y| {
            (0..6u64)
                .map(|seed| {
                    let map =
                        RandomFeatures::new(RandomFeatureKind::Trig, 16, y, 10.0, seed).unwrap();
                    let net = DrDam::from_patterns(map, patterns.view()).unwrap();
                    let approx = net.energy_of(patterns.view()).unwrap().to_vec();
                    mean_abs_diff(&approx, &truth)
                })
                .sum::<f64>()
                / 6.0
        })
        .collect();
    assert!(errors[0] > errors[1] && errors[1] > errors[2], "{errors:?}");
    let ratio = errors[0] / errors[2];
    assert!(
        (2.5..6.5).contains(&ratio),
        "error ratio {ratio} for 16x features: {errors:?}"
    );
}

#[test]
fn memory_size_does_not_depend_on_the_number_of_stored_patterns() {
    // Claim (Hoover et al. 2024, Section 3): the distributed memory has a fixed number of
    // parameters; adding memories changes their values, not their count.
    let map = RandomFeatures::new(RandomFeatureKind::Trig, 32, 300, 5.0, 1).unwrap();
    let mut net = DrDam::new(map);
    let before = (net.memory().len(), net.parameter_count());
    assert_eq!(before, (600, 600 + 300 * 32));
    let mut seen = Vec::new();
    for (k, seed) in [(1usize, 1u64), (10, 2), (1000, 3)] {
        net.add(random_sphere(k, 32, seed).view()).unwrap();
        seen.push((net.len(), net.memory().len(), net.parameter_count()));
    }
    assert_eq!(
        seen,
        vec![
            (1, 600, before.1),
            (11, 600, before.1),
            (1011, 600, before.1)
        ]
    );
    // The exact model grows by one row per pattern.
    let exact = MrDam::new(random_sphere(1011, 32, 4), 5.0).unwrap();
    assert_eq!(exact.parameter_count(), 1011 * 32);
}

#[test]
fn removing_a_pattern_restores_the_earlier_memory_to_float_tolerance() {
    // Claim (Hoover et al. 2024, Section 3): memories are added by summing their features into
    // T, so subtracting them takes them out again. Tolerance: 1e-12 relative to the largest
    // entry of T (f64 sums of 51 terms).
    for kind in RandomFeatureKind::ALL {
        let map = RandomFeatures::new(kind, 16, 500, 4.0, 9).unwrap();
        let base = random_sphere(50, 16, 5);
        let extra = random_sphere(1, 16, 6);
        let mut net = DrDam::from_patterns(map, base.view()).unwrap();
        let before = net.memory().to_owned();
        net.add(extra.view()).unwrap();
        assert!(net.memory().iter().zip(before.iter()).any(|(a, b)| a != b));
        net.remove(extra.view()).unwrap();
        assert_eq!(net.len(), 50);
        let scale = before.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        let worst = net
            .memory()
            .iter()
            .zip(before.iter())
            .fold(0.0f64, |m, (a, b)| m.max((a - b).abs()));
        assert!(worst <= 1e-12 * scale, "{kind:?}: {worst} vs scale {scale}");
        // Removing everything leaves the empty memory (zero up to rounding).
        net.remove(base.view()).unwrap();
        assert!(net.is_empty());
        assert!(net.memory().iter().all(|v| v.abs() <= 1e-12 * scale));
    }
}

/// Central finite differences of `energy` at `x` (f64 step on an f32 state).
fn finite_difference(energy: impl Fn(&Array2<f32>) -> f64, x: &Array2<f32>, h: f32) -> Vec<f64> {
    (0..x.ncols())
        .map(|j| {
            let mut up = x.clone();
            let mut down = x.clone();
            up[[0, j]] += h;
            down[[0, j]] -= h;
            let dh = (up[[0, j]] - down[[0, j]]) as f64;
            (energy(&up) - energy(&down)) / dh
        })
        .collect()
}

#[test]
fn closed_form_gradients_match_finite_differences() {
    // Claim: the gradients written in closed form are those of the energies. Central
    // differences with h = 1e-3 on f32 states: agreement within 1e-3 of the gradient's scale
    // (truncation O(h²) and f32 rounding of the perturbed state, both far below that).
    let patterns = random_sphere(12, 6, 21) * 0.8;
    let x = random_sphere(1, 6, 22) * 0.7;
    let check = |grad: Vec<f64>, fd: Vec<f64>, what: &str| {
        let scale = grad.iter().fold(1e-3f64, |m, v| m.max(v.abs()));
        for (g, f) in grad.iter().zip(&fd) {
            assert!((g - f).abs() <= 1e-3 * scale, "{what}: {grad:?} vs {fd:?}");
        }
    };
    let exact = MrDam::new(patterns.clone(), 3.0).unwrap();
    check(
        exact.gradients(x.view()).unwrap().row(0).to_vec(),
        finite_difference(|s| exact.energies(s.view()).unwrap()[0], &x, 1e-3),
        "exact",
    );
    for kind in RandomFeatureKind::ALL {
        let map = RandomFeatures::new(kind, 6, 3000, 3.0, 23).unwrap();
        let net = DrDam::from_patterns(map, patterns.view()).unwrap();
        assert!(net.kernel_sums(x.view()).unwrap()[0] > 1e-3);
        check(
            net.gradients(x.view()).unwrap().row(0).to_vec(),
            finite_difference(|s| net.energy_of(s.view()).unwrap()[0], &x, 1e-3),
            kind.name(),
        );
    }
}

#[test]
fn exact_energy_is_the_modern_hopfield_energy_for_unit_norm_patterns() {
    // Claim: with ‖ξ_μ‖ = 1, -(1/β) ln Σ exp(-β/2 ‖x-ξ‖²) = -lse(β, Ξx) + ½‖x‖² + ½, which is
    // Ramsauer et al.'s energy (their eq. 2, with M = 1) minus ln K / β; and one gradient step
    // of size 1 is their update Ξᵀ softmax(βΞx). Tolerances: 1e-5 (f32 states, f64 energies).
    let patterns = random_sphere(30, 10, 31);
    let queries = random_sphere(7, 10, 32) * 1.3;
    let beta = 6.0f32;
    let exact = MrDam::new(patterns.clone(), beta).unwrap();
    let mhn = ModernHopfield::new(patterns.clone(), beta).unwrap();
    let e = exact.energies(queries.view()).unwrap();
    let m = mhn.energies(queries.view()).unwrap();
    for (a, b) in e.iter().zip(m.iter()) {
        assert!(
            (a - (b - (30f64).ln() / beta as f64)).abs() < 1e-5,
            "{a} vs {b}"
        );
    }
    let stepped = exact.step(queries.view()).unwrap();
    let update = mhn.retrieve(queries.view()).unwrap();
    assert!((&stepped - &update).iter().all(|d| d.abs() < 1e-5));
}

#[test]
fn exact_gradient_descent_never_raises_the_energy() {
    // Claim: for η in (0, 1] the step lies between x and the concave-convex minimiser Σ w ξ, so
    // the exact energy cannot rise (the CCCP argument of Ramsauer et al. 2020, Theorem 1).
    // Tolerance 1e-9 for f32 rounding of the states.
    let patterns = binary_patterns(40, 20, 41);
    let starts = random_binary01(10, 20, 42) / (20f32).sqrt();
    for eta in [0.1f32, 0.5, 1.0] {
        let net = MrDam::new(patterns.clone(), 30.0)
            .unwrap()
            .with_step_size(eta)
            .unwrap();
        let opts = RecallOptions {
            max_steps: 40,
            ..RecallOptions::default()
        };
        let out = recall(&net, starts.view(), None, &opts).unwrap();
        for trace in &out.energies {
            for w in trace.windows(2) {
                assert!(w[1] <= w[0] + 1e-9, "eta {eta}: {w:?}");
            }
        }
    }
}

#[test]
fn drdam_retrieval_approaches_the_exact_fixed_points_as_features_grow() {
    // Claim (Hoover et al. 2024, Fig. 4A): the states DrDAM descends to approach those of the
    // exact memory as Y grows. Setup: K = 16 binary patterns in d = 24 (scaled by 1/√d),
    // β = 40, cues with 2 bits flipped, 40 gradient steps of size 0.25 on each energy; the mean
    // distance between the final states, averaged over 3 seeds, must fall from Y = 200 to
    // Y = 6400 by at least 2x (1/√Y predicts about 5.7x).
    let d = 24;
    let patterns = binary_patterns(16, d, 51);
    let mut cues = patterns.clone() * (d as f32).sqrt();
    for (i, mut row) in cues.rows_mut().into_iter().enumerate() {
        for j in [i % d, (i * 7 + 3) % d] {
            row[j] = 1.0 - row[j];
        }
    }
    cues /= (d as f32).sqrt();
    let opts = RecallOptions {
        max_steps: 40,
        tol: 0.0,
        ..RecallOptions::default()
    };
    let exact = MrDam::new(patterns.clone(), 40.0)
        .unwrap()
        .with_step_size(0.25)
        .unwrap();
    let target = recall(&exact, cues.view(), None, &opts).unwrap().states;
    let distance = |y: usize| -> f64 {
        (0..3u64)
            .map(|seed| {
                let map = RandomFeatures::new(RandomFeatureKind::Trig, d, y, 40.0, seed).unwrap();
                let net = DrDam::from_patterns(map, patterns.view())
                    .unwrap()
                    .with_step_size(0.25)
                    .unwrap();
                let got = recall(&net, cues.view(), None, &opts).unwrap().states;
                (&got - &target)
                    .rows()
                    .into_iter()
                    .map(|r| r.dot(&r).sqrt() as f64)
                    .sum::<f64>()
                    / 16.0
            })
            .sum::<f64>()
            / 3.0
    };
    let (coarse, fine) = (distance(200), distance(6400));
    assert!(
        fine * 2.0 < coarse,
        "distance {coarse} at Y=200, {fine} at Y=6400"
    );
}

#[test]
fn bad_input_is_refused_with_typed_errors() {
    assert!(matches!(
        RandomFeatures::new(RandomFeatureKind::Trig, 4, 0, 1.0, 0),
        Err(Error::Parameter { .. })
    ));
    assert!(matches!(
        RandomFeatures::new(RandomFeatureKind::Trig, 0, 5, 1.0, 0),
        Err(Error::Parameter { .. })
    ));
    for beta in [0.0, -1.0, f32::NAN, f32::INFINITY] {
        assert!(matches!(
            RandomFeatures::new(RandomFeatureKind::Cos, 4, 5, beta, 0),
            Err(Error::Parameter { .. })
        ));
        assert!(matches!(
            MrDam::new(random_sphere(3, 4, 0), beta),
            Err(Error::Parameter { .. })
        ));
    }
    let map = RandomFeatures::new(RandomFeatureKind::Trig, 4, 10, 1.0, 0).unwrap();
    let mut net = DrDam::new(map);
    let x = random_sphere(2, 4, 1);
    assert!(matches!(net.energy_of(x.view()), Err(Error::Empty(_))));
    assert!(matches!(net.remove(x.view()), Err(Error::Parameter { .. })));
    assert!(matches!(
        net.add(random_sphere(2, 5, 1).view()),
        Err(Error::Shape { .. })
    ));
    let mut bad = x.clone();
    bad[[1, 2]] = f32::NAN;
    assert!(matches!(net.add(bad.view()), Err(Error::NonFinite { .. })));
    net.add(x.view()).unwrap();
    assert!(matches!(
        net.energy_of(x.slice(s![.., 0..3])),
        Err(Error::Shape { .. })
    ));
    assert!(matches!(
        net.clone().with_step_size(0.0),
        Err(Error::Parameter { .. })
    ));
    assert!(matches!(
        net.with_kernel_floor(-1.0),
        Err(Error::Parameter { .. })
    ));
    assert!(matches!(
        MrDam::new(Array2::zeros((0, 4)), 1.0),
        Err(Error::Empty(_))
    ));
    assert!("trig".parse::<RandomFeatureKind>().is_ok());
    assert!(matches!(
        "sine".parse::<RandomFeatureKind>(),
        Err(Error::Parameter { .. })
    ));
}
