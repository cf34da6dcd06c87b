//! U-Hop / U-Hop+ (Wu et al., ICML 2024; Hu, Wu & Liu, NeurIPS 2024): the kernelized modern
//! Hopfield model and its learned, separating feature map.

use engram::dynamics::{recall, Dynamics, RecallOptions};
use engram::model::{
    min_separation, separation_loss, train_separation, FeatureKernel, FeatureMap,
    KernelizedHopfield, ModernHopfield, SeparationTraining,
};
use engram::numeric::Rng;
use engram::pattern::{random_sphere, Digits};
use engram::Error;
use ndarray::{Array2, Axis};

/// `m` digits (a seeded choice) as unit vectors.
fn unit_digits(m: usize, seed: u64) -> Array2<f32> {
    let digits = Digits::load().unwrap();
    let picks = Rng::new(seed).choose(digits.len(), m);
    let mut x = digits.images.select(Axis(0), &picks);
    for mut row in x.rows_mut() {
        let n = row.dot(&row).sqrt();
        row /= n;
    }
    x
}

#[test]
fn identity_map_with_the_dot_kernel_is_the_modern_hopfield_network() {
    // Claim (Wu et al. 2024, Section 3): with Φ = identity the kernelized energy and update are
    // Ramsauer et al.'s. Their energy carries the constant ln K / β + ½ M² (M = 1 here); the
    // update is identical. Tolerances: 1e-9 on energies (f64), 1e-6 on f32 states.
    let patterns = random_sphere(25, 12, 1);
    let queries = random_sphere(6, 12, 2) * 0.9;
    let beta = 7.0f32;
    let net = KernelizedHopfield::new(
        patterns.clone(),
        FeatureMap::identity(12).unwrap(),
        beta,
        FeatureKernel::Dot,
    )
    .unwrap();
    let mhn = ModernHopfield::new(patterns.clone(), beta).unwrap();
    let offset = (25f64).ln() / beta as f64 + 0.5;
    let e = net.energies(queries.view()).unwrap();
    let m = mhn.energies(queries.view()).unwrap();
    for (a, b) in e.iter().zip(m.iter()) {
        assert!((a + offset - b).abs() < 1e-6, "{a} + {offset} vs {b}");
    }
    let a = net.retrieve(queries.view()).unwrap();
    let b = mhn.retrieve(queries.view()).unwrap();
    assert!((&a - &b).iter().all(|d| d.abs() < 1e-6));
}

#[test]
fn separation_loss_gradient_matches_finite_differences() {
    // Claim: the closed-form gradient of the separation loss is its gradient. Central
    // differences with step 1e-6 in f64: agreement within 1e-5 of the largest component (the
    // truncation error is O(h²), rounding O(1e-16/h)).
    let patterns = unit_digits(7, 3);
    for map in [
        FeatureMap::linear(64, 64, 1).unwrap(),
        FeatureMap::linear(64, 5, 2).unwrap(),
        FeatureMap::mlp(64, 6, 9, 3).unwrap(),
    ] {
        let (_, grad) = separation_loss(&map, patterns.view(), 0.2).unwrap();
        let params = map.parameters();
        let scale = grad.iter().fold(1e-8f64, |m, g| m.max(g.abs()));
        let mut rng = Rng::new(4);
        for i in rng.choose(params.len(), 40) {
            let h = 1e-6;
            let mut shifted = map.clone();
            let mut p = params.clone();
            p[i] += h;
            shifted.set_parameters(&p).unwrap();
            let up = separation_loss(&shifted, patterns.view(), 0.2).unwrap().0;
            p[i] -= 2.0 * h;
            shifted.set_parameters(&p).unwrap();
            let down = separation_loss(&shifted, patterns.view(), 0.2).unwrap().0;
            let fd = (up - down) / (2.0 * h);
            assert!(
                (fd - grad[i]).abs() <= 1e-5 * scale,
                "{} parameter {i}: {} vs {fd}",
                map.name(),
                grad[i]
            );
        }
    }
}

#[test]
fn linear_map_with_the_dot_kernel_never_raises_the_energy() {
    // Claim: with Φ(x) = Wx and the dot kernel, E(x) = ½xᵀGx - lse(β, ΞGx) (G = WᵀW) and the
    // update x ← Ξᵀ softmax(βΞGx) is a concave-convex step (Ramsauer et al. 2020, Theorem 1, in
    // the metric G), so the energy cannot rise. Tolerance 1e-6 for f32 states.
    let patterns = random_sphere(30, 8, 5);
    for (out_dim, seed) in [(12usize, 6u64), (5, 7)] {
        let map = FeatureMap::linear(8, out_dim, seed).unwrap();
        let net = KernelizedHopfield::new(patterns.clone(), map, 4.0, FeatureKernel::Dot).unwrap();
        let starts = random_sphere(10, 8, 8) * 1.5;
        let out = recall(&net, starts.view(), None, &RecallOptions::default()).unwrap();
        for trace in &out.energies {
            for w in trace.windows(2) {
                assert!(w[1] <= w[0] + 1e-6, "D = {out_dim}: {w:?}");
            }
        }
    }
}

#[test]
fn training_separates_correlated_digits() {
    // Claim (Wu et al. 2024, Stage I): minimising the separation loss spreads the stored
    // patterns in feature space. Twenty unit-norm digits overlap heavily (Δ_min about 0.03 in
    // pixel space); a learned linear map of the same dimension must lower the loss and raise
    // Δ_min above 0.8 (their 20 points fit a simplex in 64 dimensions, whose Δ_min is
    // 20/19 ≈ 1.05, the bound of Rankin 1955).
    let patterns = unit_digits(20, 11);
    let mut map = FeatureMap::linear(64, 64, 0).unwrap();
    let before = min_separation(&map, patterns.view()).unwrap();
    let report =
        train_separation(&mut map, patterns.view(), &SeparationTraining::default()).unwrap();
    assert!(before < 0.2, "{before}");
    assert_eq!(report.initial_separation, before);
    assert!(report.final_loss < report.initial_loss);
    assert!(report.final_separation > 0.8, "{report:?}");
    assert!(report.final_separation <= 20.0 / 19.0 + 1e-9);
}

#[test]
fn learned_maps_reach_the_optimal_spherical_codes_in_three_dimensions() {
    // Claim (Hu, Wu & Liu 2024): minimising the separation loss drives the stored patterns
    // towards an optimal spherical code. In three feature dimensions the optima are known (the
    // Tammes problem): 4 points form a regular tetrahedron (cos = -1/3, Δ_min = 4/3), 6 an
    // octahedron (Δ_min = 1), 12 an icosahedron (cos = 1/√5, 63.435°, Δ_min = 0.5528; Tammes 1930,
    // Schütte & van der Waerden 1951). With τ = 0.02 and 1500 Adam steps, the best of three
    // random starts of the learned linear map from the 64 pixels must come within 2% of each
    // optimum, and none may exceed it (the loss is not convex: single starts can stop in a
    // worse local arrangement).
    let opts = SeparationTraining {
        steps: 1500,
        learning_rate: 0.01,
        temperature: 0.02,
    };
    for (m, optimum) in [(4usize, 4.0 / 3.0), (6, 1.0), (12, 1.0 - 1.0 / 5f64.sqrt())] {
        let patterns = unit_digits(m, 20 + m as u64);
        let got = (0..3u64)
            .map(|seed| {
                let mut map = FeatureMap::linear(64, 3, seed).unwrap();
                let report = train_separation(&mut map, patterns.view(), &opts).unwrap();
                assert!(report.final_separation <= optimum + 1e-9);
                report.final_separation
            })
            .fold(0.0f64, f64::max);
        assert!(
            got >= 0.98 * optimum && got <= optimum + 1e-9,
            "M = {m}: Δ_min {got} vs optimum {optimum}"
        );
    }
}

#[test]
fn learned_map_retrieves_more_noisy_digits_than_the_plain_network() {
    // Claim (Wu et al. 2024, Figs. 2-3: U-Hop lowers the retrieval error of the modern Hopfield
    // network at the same β). Fifty unit-norm digits, β = 10, cues with Gaussian noise of norm
    // about 0.1, one retrieval step, the cosine kernel with and without the learned linear map.
    // A digit counts as retrieved when the output lies within 0.1 of it. The plain network
    // averages the correlated digits (metastable states) and retrieves almost none; the learned
    // map must retrieve at least 30 of 50 and halve the mean squared error.
    let patterns = unit_digits(50, 31);
    let mut rng = Rng::new(32);
    let cues = patterns.mapv(|v| v + 0.1 / 8.0 * rng.normal() as f32);
    let evaluate = |map: FeatureMap| -> (usize, f64) {
        let net =
            KernelizedHopfield::new(patterns.clone(), map, 10.0, FeatureKernel::Cosine).unwrap();
        let out = net.retrieve(cues.view()).unwrap();
        let sq: Vec<f64> = (&out - &patterns)
            .rows()
            .into_iter()
            .map(|r| r.dot(&r) as f64)
            .collect();
        (
            sq.iter().filter(|&&e| e < 0.01).count(),
            sq.iter().sum::<f64>() / sq.len() as f64,
        )
    };
    let (plain_ok, plain_err) = evaluate(FeatureMap::identity(64).unwrap());
    let mut map = FeatureMap::linear(64, 64, 0).unwrap();
    train_separation(&mut map, patterns.view(), &SeparationTraining::default()).unwrap();
    let (learned_ok, learned_err) = evaluate(map);
    assert!(plain_ok <= 5, "plain network retrieved {plain_ok}");
    assert!(learned_ok >= 30, "learned map retrieved {learned_ok}");
    assert!(
        learned_err * 2.0 < plain_err,
        "{learned_err} vs {plain_err}"
    );
}

#[test]
fn bad_input_is_refused_with_typed_errors() {
    assert!(matches!(
        FeatureMap::identity(0),
        Err(Error::Parameter { .. })
    ));
    assert!(matches!(
        FeatureMap::mlp(4, 4, 0, 1),
        Err(Error::Parameter { .. })
    ));
    let map = FeatureMap::linear(4, 3, 1).unwrap();
    let one = random_sphere(1, 4, 1);
    assert!(matches!(
        separation_loss(&map, one.view(), 0.1),
        Err(Error::Empty(_))
    ));
    let two = random_sphere(2, 4, 2);
    assert!(matches!(
        separation_loss(&map, two.view(), 0.0),
        Err(Error::Parameter { .. })
    ));
    assert!(matches!(
        separation_loss(&map, random_sphere(3, 5, 2).view(), 0.1),
        Err(Error::Shape { .. })
    ));
    let zero = Array2::<f32>::zeros((2, 4));
    assert!(matches!(
        min_separation(&map, zero.view()),
        Err(Error::Unsupported(_))
    ));
    let mut m2 = map.clone();
    assert!(matches!(
        m2.set_parameters(&[1.0; 3]),
        Err(Error::Shape { .. })
    ));
    assert!(matches!(
        m2.set_parameters(&[f64::NAN; 12]),
        Err(Error::NonFinite { .. })
    ));
    assert!(matches!(
        KernelizedHopfield::new(two.clone(), map.clone(), 0.0, FeatureKernel::Dot),
        Err(Error::Parameter { .. })
    ));
    assert!(matches!(
        KernelizedHopfield::new(Array2::zeros((0, 4)), map.clone(), 1.0, FeatureKernel::Dot),
        Err(Error::Empty(_))
    ));
    let net =
        KernelizedHopfield::new(two.clone(), map.clone(), 1.0, FeatureKernel::Cosine).unwrap();
    let mut bad = two.clone();
    bad[[0, 0]] = f32::INFINITY;
    assert!(matches!(
        net.retrieve(bad.view()),
        Err(Error::NonFinite { .. })
    ));
    let mut m3 = map;
    let opts = SeparationTraining {
        learning_rate: -1.0,
        ..SeparationTraining::default()
    };
    assert!(matches!(
        train_separation(&mut m3, two.view(), &opts),
        Err(Error::Parameter { .. })
    ));
}
