//! Stored patterns are fixed points where the theory says so, and retrieval behaves as the papers
//! describe (one-step retrieval, metastable averages, numerical range).

use engram::dynamics::{recall, step_once, Dynamics, RecallOptions, Schedule};
use engram::learn::LearningRule;
use engram::model::{
    DamSeparation, DenseAssociativeMemory, Hopfield, ModernHopfield, Separation, Similarity,
    Universal,
};
use engram::pattern::corrupt::{add_gaussian_noise, flip_bits};
use engram::pattern::{random_bipolar, random_sphere};
use ndarray::{s, Array2, Axis};

fn max_abs_diff(a: &Array2<f32>, b: &Array2<f32>) -> f32 {
    (a - b).iter().fold(0.0, |m, v| m.max(v.abs()))
}

#[test]
fn hebbian_patterns_are_fixed_points_well_below_capacity() {
    // K = 10 << 0.138 N = 69 at N = 500 (Amit, Gutfreund & Sompolinsky 1985).
    let patterns = random_bipolar(10, 500, 3);
    let net = Hopfield::new(patterns.view(), LearningRule::Hebbian).unwrap();
    assert_eq!(net.step(patterns.view()).unwrap(), patterns);
    let cues = flip_bits(patterns.view(), 0.15, 4).unwrap();
    let out = recall(&net, cues.view(), None, &RecallOptions::default()).unwrap();
    assert_eq!(out.states, patterns);
}

#[test]
fn pseudoinverse_stores_linearly_independent_patterns_exactly_up_to_n() {
    // Personnaz et al. 1985: W ξ = ξ for any K linearly independent patterns, far above 0.138 N.
    let patterns = random_bipolar(60, 100, 5);
    let net = Hopfield::new(patterns.view(), LearningRule::Pseudoinverse).unwrap();
    assert_eq!(net.step(patterns.view()).unwrap(), patterns);
    let fields = net.local_fields(patterns.view()).unwrap();
    assert!(max_abs_diff(&fields, &patterns) < 1e-3);
    // Hebbian at the same load (0.6 N) loses them.
    let hebb = Hopfield::new(patterns.view(), LearningRule::Hebbian).unwrap();
    assert_ne!(hebb.step(patterns.view()).unwrap(), patterns);
}

#[test]
fn storkey_holds_more_than_hebbian_at_the_same_load() {
    // Storkey 1997: the rule's capacity exceeds Hebbian's for random patterns.
    let (n, k) = (200, 34); // 0.17 N, above Hebbian's 0.138 N
    let patterns = random_bipolar(k, n, 11);
    let stable = |rule| {
        let net = Hopfield::new(patterns.view(), rule).unwrap();
        let out = recall(&net, patterns.view(), None, &RecallOptions::default()).unwrap();
        (0..k)
            .filter(|&i| out.states.row(i) == patterns.row(i))
            .count()
    };
    assert!(stable(LearningRule::Storkey) > stable(LearningRule::Hebbian));
}

#[test]
fn cubic_dense_memory_recalls_far_beyond_hebbian_capacity() {
    // Krotov & Hopfield 2016: capacity ~ N^(n-1) / (2 (2n-3)!! ln N) = 120^2 / (6 ln 120) ≈ 501
    // for n = 3, N = 120; K = 100 (0.83 N, six times Hebbian's limit) is well within.
    let patterns = random_bipolar(100, 120, 8);
    let net =
        DenseAssociativeMemory::new(patterns.clone(), DamSeparation::Power { degree: 3 }).unwrap();
    let cues = flip_bits(patterns.view(), 0.1, 9).unwrap();
    let out = recall(&net, cues.view(), None, &RecallOptions::default()).unwrap();
    assert_eq!(out.states, patterns);
    let exp =
        DenseAssociativeMemory::new(patterns.clone(), DamSeparation::Exp { beta: 1.0 }).unwrap();
    let out = recall(&exp, cues.view(), None, &RecallOptions::default()).unwrap();
    assert_eq!(out.states, patterns);
}

#[test]
fn even_power_makes_the_negated_pattern_an_attractor_too() {
    // K = 5 is below the quadratic model's capacity N / (2 ln N) ≈ 11 at N = 100.
    let patterns = random_bipolar(5, 100, 2);
    let neg = patterns.mapv(|v| -v);
    assert_eq!(
        DenseAssociativeMemory::new(patterns.clone(), DamSeparation::Power { degree: 2 })
            .unwrap()
            .step(patterns.view())
            .unwrap(),
        patterns
    );
    let even =
        DenseAssociativeMemory::new(patterns.clone(), DamSeparation::Power { degree: 2 }).unwrap();
    assert_eq!(even.step(neg.view()).unwrap(), neg);
    let rect = DenseAssociativeMemory::new(
        patterns.clone(),
        DamSeparation::RectifiedPower { degree: 2 },
    )
    .unwrap();
    assert_ne!(rect.step(neg.view()).unwrap(), neg);
}

#[test]
fn modern_hopfield_retrieves_in_one_step_at_large_beta() {
    // Ramsauer et al. 2020, Theorem 4: the error after one step is exponentially small in the
    // separation; random unit vectors in d = 64 are well separated at beta = 32.
    let patterns = random_sphere(200, 64, 1);
    let net = ModernHopfield::new(patterns.clone(), 32.0).unwrap();
    let cues = add_gaussian_noise(patterns.view(), 0.05, 2).unwrap();
    let once = net.retrieve(cues.view()).unwrap();
    let err = max_abs_diff(&once, &patterns);
    assert!(err < 1e-3, "one-step error {err}");
}

#[test]
fn modern_hopfield_fixed_point_is_a_metastable_average_at_small_beta() {
    // Small beta: softmax is nearly uniform, so the fixed point is near the patterns' mean
    // (Ramsauer et al. 2020, Section 2: global averaging for small beta).
    let patterns = random_sphere(50, 32, 4);
    let mean = patterns.mean_axis(Axis(0)).unwrap().insert_axis(Axis(0));
    let net = ModernHopfield::new(patterns.clone(), 0.01).unwrap();
    let opts = RecallOptions {
        max_steps: 200,
        ..RecallOptions::default()
    };
    let out = recall(&net, patterns.slice(s![0..3, ..]), None, &opts).unwrap();
    for row in out.states.rows() {
        let d = (&row - &mean.row(0))
            .iter()
            .fold(0.0f32, |m, v| m.max(v.abs()));
        assert!(d < 2e-3, "distance to the mean {d}");
    }
    assert!(out.converged.iter().all(|&c| c));
}

#[test]
fn softmax_is_stable_up_to_beta_1e4_and_power_up_to_degree_30() {
    let patterns = random_sphere(100, 32, 6);
    let cues = add_gaussian_noise(patterns.slice(s![0..5, ..]), 0.01, 7).unwrap();
    for beta in [1e-3f32, 1.0, 1e2, 1e4] {
        let net = ModernHopfield::new(patterns.clone(), beta).unwrap();
        let out = recall(&net, cues.view(), None, &RecallOptions::default()).unwrap();
        assert!(out.states.iter().all(|v| v.is_finite()));
        assert!(out.energies.iter().flatten().all(|e| e.is_finite()));
    }
    let net = ModernHopfield::new(patterns.clone(), 1e4).unwrap();
    let once = net.retrieve(cues.view()).unwrap();
    assert!(max_abs_diff(&once, &patterns.slice(s![0..5, ..]).to_owned()) < 1e-5);
    // Cosine scores stay in [-1, 1], so iterating a degree-30 power cannot blow up.
    let power = Universal::new(
        patterns.clone(),
        Similarity::Cosine,
        Separation::Power { degree: 30 },
    )
    .unwrap();
    let out = recall(&power, cues.view(), None, &RecallOptions::default()).unwrap();
    assert!(out.states.iter().all(|v| v.is_finite()));
    // With the dot similarity the unnormalized power diverges once overlaps exceed 1: a typed
    // error, not silent infinities.
    let dot = Universal::new(
        patterns.mapv(|v| 2.0 * v),
        Similarity::Dot,
        Separation::Power { degree: 30 },
    )
    .unwrap();
    assert!(recall(&dot, cues.view(), None, &RecallOptions::default()).is_err());
    let dam = DenseAssociativeMemory::new(
        random_bipolar(50, 200, 1),
        DamSeparation::Power { degree: 30 },
    )
    .unwrap();
    let e = dam.energies(random_bipolar(4, 200, 2).view()).unwrap();
    assert!(e.iter().all(|v| v.is_finite()));
}

#[test]
fn universal_with_softmax_and_dot_is_the_modern_hopfield_update() {
    let patterns = random_sphere(30, 16, 2);
    let mhn = ModernHopfield::new(patterns.clone(), 5.0).unwrap();
    let uni = Universal::new(
        patterns.clone(),
        Similarity::Dot,
        Separation::Softmax { beta: 5.0 },
    )
    .unwrap();
    let q = random_sphere(4, 16, 3);
    assert!(
        max_abs_diff(
            &mhn.retrieve(q.view()).unwrap(),
            &uni.retrieve(q.view()).unwrap()
        ) < 1e-6
    );
}

#[test]
fn every_similarity_and_separation_retrieves_a_lightly_corrupted_pattern() {
    let patterns = random_sphere(20, 48, 5);
    let cues = add_gaussian_noise(patterns.view(), 0.02, 6).unwrap();
    for sim in Similarity::ALL {
        for sep in [
            Separation::Softmax { beta: 200.0 },
            Separation::Sparsemax { beta: 50.0 },
            Separation::Entmax {
                alpha: 1.5,
                beta: 50.0,
            },
            Separation::Max,
        ] {
            let net = Universal::new(patterns.clone(), sim, sep).unwrap();
            let out = net.retrieve(cues.view()).unwrap();
            let err = max_abs_diff(&out, &patterns);
            assert!(
                err < 0.05,
                "{} x {}: error {err}",
                sim.name(),
                sep.describe()
            );
        }
    }
}

#[test]
fn hetero_association_maps_keys_to_values() {
    let keys = random_sphere(10, 32, 1);
    let values = random_bipolar(10, 7, 2);
    let net = Universal::hetero(
        keys.clone(),
        values.clone(),
        Similarity::Cosine,
        Separation::Max,
    )
    .unwrap();
    let cues = add_gaussian_noise(keys.view(), 0.05, 3).unwrap();
    assert_eq!(net.retrieve(cues.view()).unwrap(), values);
    assert!(recall(&net, cues.view(), None, &RecallOptions::default()).is_err());
}

#[test]
fn sparsemax_retrieval_is_exact_where_softmax_is_only_close() {
    // Hu et al. 2023 (sparse modern Hopfield): sparse weights put zero mass on distant patterns.
    let patterns = random_sphere(50, 32, 7);
    let cues = add_gaussian_noise(patterns.view(), 0.02, 8).unwrap();
    let sparse = Universal::new(
        patterns.clone(),
        Similarity::Dot,
        Separation::Sparsemax { beta: 8.0 },
    )
    .unwrap();
    let (w, _) = sparse.weights(cues.view()).unwrap();
    let nonzero = w.iter().filter(|&&v| v > 0.0).count();
    assert!(
        nonzero <= 2 * cues.nrows(),
        "sparsemax kept {nonzero} weights"
    );
    let soft = ModernHopfield::new(patterns.clone(), 8.0).unwrap();
    let err_sparse = max_abs_diff(&sparse.retrieve(cues.view()).unwrap(), &patterns);
    let err_soft = max_abs_diff(&soft.retrieve(cues.view()).unwrap(), &patterns);
    assert!(
        err_sparse < err_soft,
        "sparse {err_sparse} vs softmax {err_soft}"
    );
}

#[test]
fn asynchronous_recall_is_reproducible_from_its_seed() {
    let patterns = random_bipolar(30, 64, 3);
    let net = Hopfield::new(patterns.view(), LearningRule::Hebbian).unwrap();
    let cues = random_bipolar(5, 64, 4);
    let opts = RecallOptions {
        schedule: Some(Schedule::Asynchronous),
        seed: 42,
        ..RecallOptions::default()
    };
    let a = recall(&net, cues.view(), None, &opts).unwrap();
    let b = recall(&net, cues.view(), None, &opts).unwrap();
    assert_eq!(a.states, b.states);
    assert_eq!(a.energies, b.energies);
    let one = step_once(&net, cues.view(), None).unwrap();
    assert_eq!(one, net.step(cues.view()).unwrap());
}
