//! The Gaussian kernel density estimate as an associative memory (Schaeffer et al. 2024,
//! "Bridging Associative Memory and Probabilistic Modeling").

use engram::dynamics::{recall, Dynamics, RecallOptions};
use engram::experiment::kde::{
    capacity_bound, capacity_growth_rate, kde_capacity, KdeCapacityOptions,
};
use engram::experiment::theory::ramsauer_storage_capacity;
use engram::model::{GaussianKde, ModernHopfield};
use engram::pattern::random_sphere;
use engram::Error;
use ndarray::{Array1, Array2};

#[test]
fn negative_log_likelihood_is_beta_times_the_modern_hopfield_energy() {
    // Claim (Schaeffer et al. 2024, Section 2): for unit-norm patterns the KDE's negative
    // log-likelihood is the modern Hopfield energy (Ramsauer et al. 2020, eq. 2, M = 1) times β
    // plus (d/2) ln(2π/β). Tolerance 1e-6 relative: ModernHopfield computes its scores in f32.
    let patterns = random_sphere(40, 9, 1);
    let states = random_sphere(12, 9, 2) * 1.4;
    // σ = 0.5 makes β = 4 exact in f32 and f64 alike.
    let kde = GaussianKde::new(patterns.clone(), 0.5).unwrap();
    let mhn = ModernHopfield::new(patterns, 4.0).unwrap();
    let nll = kde.energies(states.view()).unwrap();
    let energy = mhn.energies(states.view()).unwrap();
    for (n, e) in nll.iter().zip(energy.iter()) {
        let want = 4.0 * e + 4.5 * (2.0 * std::f64::consts::PI / 4.0).ln();
        assert!(
            (n - want).abs() <= 1e-6 * want.abs().max(1.0),
            "{n} vs {want}"
        );
    }
}

#[test]
fn the_density_integrates_to_one() {
    // Claim: p is a normalized density. In d = 1 with three centers and σ = 0.3, the trapezoid
    // rule on [-6, 6] with step 1e-3 integrates it to 1 within 1e-6 (the tails beyond ±6 hold
    // less than 1e-30, the rule's error is O(h²) on a smooth integrand).
    let centers = Array2::from_shape_vec((3, 1), vec![-0.5f32, 0.2, 1.1]).unwrap();
    let kde = GaussianKde::new(centers, 0.3).unwrap();
    let h = 1e-3;
    let xs: Vec<f32> = (0..=12_000).map(|i| (-6.0 + i as f64 * h) as f32).collect();
    let grid = Array2::from_shape_vec((xs.len(), 1), xs).unwrap();
    let p: Array1<f64> = kde.log_density(grid.view()).unwrap().mapv(f64::exp);
    let integral = h * (p.sum() - 0.5 * (p[0] + p[p.len() - 1]));
    assert!((integral - 1.0).abs() < 1e-6, "{integral}");
}

#[test]
fn mean_shift_never_lowers_the_density() {
    // Claim: mean shift is the concave-convex step on -ln p (Ramsauer et al. 2020, Theorem 1;
    // Comaniciu & Meer 2002 for mean shift), so -ln p never rises. Tolerance 1e-9.
    let patterns = random_sphere(50, 6, 3);
    let kde = GaussianKde::new(patterns, 0.35).unwrap();
    let starts = random_sphere(20, 6, 4) * 0.7;
    let out = recall(&kde, starts.view(), None, &RecallOptions::default()).unwrap();
    for trace in &out.energies {
        for w in trace.windows(2) {
            assert!(w[1] <= w[0] + 1e-9, "{w:?}");
        }
    }
}

#[test]
fn score_matches_finite_differences_of_the_log_density() {
    // Claim: ∇ln p = (Σ w ξ - x)/σ² in closed form. Central differences, h = 1e-3 on f32
    // states: agreement within 1e-3 of the score's scale.
    let kde = GaussianKde::new(random_sphere(8, 5, 5), 0.5).unwrap();
    let x = random_sphere(1, 5, 6) * 0.8;
    let score = kde.score(x.view()).unwrap();
    let scale = score.iter().fold(1e-3f64, |m, v| m.max(v.abs()));
    for j in 0..5 {
        let (mut up, mut down) = (x.clone(), x.clone());
        up[[0, j]] += 1e-3;
        down[[0, j]] -= 1e-3;
        let dh = (up[[0, j]] - down[[0, j]]) as f64;
        let fd = (kde.log_density(up.view()).unwrap()[0]
            - kde.log_density(down.view()).unwrap()[0])
            / dh;
        assert!(
            (fd - score[[0, j]]).abs() <= 1e-3 * scale,
            "{fd} vs {}",
            score[[0, j]]
        );
    }
}

#[test]
fn langevin_samples_one_gaussian_with_its_known_discretization_bias() {
    // Claim: with one center the unadjusted Langevin chain x ← x + η(ξ - x)/σ² + √(2η) z is a
    // linear (AR(1)) chain whose stationary law is N(ξ, s²I), s² = σ²/(1 - η/(2σ²)). With
    // σ = 0.5, η = 0.02: s² = 0.25/0.96 = 0.260417. 4000 chains in d = 2 after 300 steps
    // (the memory factor 1 - η/σ² = 0.92 decays to 1e-11): the mean lies within 4 standard
    // errors (s/√4000 per coordinate) of ξ and the variance within 4% of s² (the standard error
    // of a variance from 8000 numbers is about 1.6%).
    let center = Array2::from_shape_vec((1, 2), vec![0.3f32, -0.7]).unwrap();
    let kde = GaussianKde::new(center.clone(), 0.5).unwrap();
    let start = Array2::<f32>::zeros((4000, 2));
    let samples = kde.langevin(start.view(), 300, 0.02, 9).unwrap();
    let s2: f64 = 0.25 / (1.0 - 0.02 / (2.0 * 0.25));
    for j in 0..2 {
        let col = samples.column(j).mapv(f64::from);
        let mean = col.mean().unwrap();
        let var = col.mapv(|v| (v - mean) * (v - mean)).mean().unwrap();
        assert!(
            (mean - center[[0, j]] as f64).abs() < 4.0 * (s2 / 4000.0).sqrt(),
            "coordinate {j}: mean {mean}"
        );
        assert!(
            (var / s2 - 1.0).abs() < 0.04,
            "coordinate {j}: variance {var} vs {s2}"
        );
    }
}

#[test]
fn separated_patterns_are_stored_and_crowded_ones_are_not() {
    // Claim: a stored pattern is a fixed point of mean shift next to it; patterns closer than
    // the bandwidth merge into one mode. Two unit vectors at 90 degrees with σ = 0.2 (β = 25,
    // separation 1): both stored. At 6 degrees apart (‖ξ1 - ξ2‖ = 0.105 < σ): neither is.
    let far = Array2::from_shape_vec((2, 2), vec![1.0f32, 0.0, 0.0, 1.0]).unwrap();
    let kde = GaussianKde::new(far, 0.2).unwrap();
    assert_eq!(kde.stored(0.05, 20).unwrap(), vec![true, true]);
    assert!(kde.is_stored(1, 0.05, 20).unwrap());
    let a = 6f32.to_radians();
    let near = Array2::from_shape_vec((2, 2), vec![1.0, 0.0, a.cos(), a.sin()]).unwrap();
    let kde = GaussianKde::new(near, 0.2).unwrap();
    assert_eq!(kde.stored(0.05, 20).unwrap(), vec![false, false]);
}

#[test]
fn measured_capacity_grows_exponentially_with_the_dimension() {
    // Claim (Schaeffer et al. 2024, following Ramsauer et al. 2020, Theorem 3): the number of
    // random unit patterns a Gaussian KDE stores grows exponentially with the dimension.
    // Measured here at β = 20 for D = 4, 8, 12 (median of 5 draws): each step of 4 dimensions
    // must multiply the capacity by more than 2, and the fitted rate must lie in [0.2, 0.8] per
    // dimension (engram measures about 0.42 over D = 4..16, i.e. x1.5 per dimension).
    let opts = KdeCapacityOptions {
        dims: vec![4, 8, 12],
        max_patterns: 1024,
        ..KdeCapacityOptions::default()
    };
    let rows = kde_capacity(&opts, |_| {}).unwrap();
    let caps: Vec<f64> = rows.iter().map(|r| r.capacity).collect();
    assert!(
        caps[1] > 2.0 * caps[0] && caps[2] > 2.0 * caps[1],
        "{caps:?}"
    );
    let rate = capacity_growth_rate(&rows);
    assert!(
        (0.2..0.8).contains(&rate),
        "rate {rate}, capacities {caps:?}"
    );
    assert!(rows.iter().all(|r| !r.censored));
}

#[test]
fn capacity_bound_is_ramsauers_theorem_with_the_radius_of_the_unit_sphere() {
    // Claim: the KDE bound is Ramsauer et al.'s Theorem 3 with K = 1/√(D-1). Their printed
    // example (β = 1, K = 3, d = 20, p = 0.001, c = 3.1546) is the unit sphere with β' = 9·19:
    // same base c (1e-9) and the same guaranteed count (7.41, see experiment::theory).
    let direct = ramsauer_storage_capacity(1.0, 3.0, 20, 0.001).unwrap();
    let kde = capacity_bound(20, 9.0 * 19.0, 0.001).unwrap();
    assert!((direct.c - kde.c).abs() < 1e-9);
    assert!((kde.c - 3.1546).abs() < 1e-4);
    assert!((kde.patterns - 7.41).abs() < 0.01, "{}", kde.patterns);
    assert!(kde.applies);
    assert!(matches!(
        capacity_bound(1, 1.0, 0.1),
        Err(Error::Parameter { .. })
    ));
}

#[test]
fn bad_input_is_refused_with_typed_errors() {
    for sigma in [0.0f32, -1.0, f32::NAN] {
        assert!(matches!(
            GaussianKde::new(random_sphere(3, 2, 1), sigma),
            Err(Error::Parameter { .. })
        ));
    }
    assert!(matches!(
        GaussianKde::new(Array2::zeros((0, 2)), 1.0),
        Err(Error::Empty(_))
    ));
    let kde = GaussianKde::new(random_sphere(3, 2, 1), 1.0).unwrap();
    assert!(matches!(
        kde.log_density(random_sphere(2, 3, 1).view()),
        Err(Error::Shape { .. })
    ));
    assert!(matches!(
        kde.langevin(random_sphere(2, 2, 1).view(), 5, 0.0, 1),
        Err(Error::Parameter { .. })
    ));
    assert!(matches!(
        kde.is_stored(3, 0.1, 5),
        Err(Error::Parameter { .. })
    ));
    let mut nan = random_sphere(1, 2, 1);
    nan[[0, 0]] = f32::NAN;
    assert!(matches!(
        kde.score(nan.view()),
        Err(Error::NonFinite { .. })
    ));
    let opts = KdeCapacityOptions {
        dims: vec![1],
        ..KdeCapacityOptions::default()
    };
    assert!(matches!(
        kde_capacity(&opts, |_| {}),
        Err(Error::Parameter { .. })
    ));
}
