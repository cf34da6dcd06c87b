//! Measured capacities against the published ones.

use engram::experiment::capacity::{measure_capacity, CapacityModel, CapacityOptions};
use engram::learn::LearningRule;
use engram::model::DamSeparation;

#[test]
fn hebbian_capacity_near_0_138n() {
    // Amit, Gutfreund & Sompolinsky 1985 (Phys. Rev. Lett. 55, 1530): the retrieval state of a
    // Hebbian network disappears at a load of alpha_c ≈ 0.138 patterns per neuron.
    let model = CapacityModel::Hopfield(LearningRule::Hebbian);
    let opts = CapacityOptions::for_model(model, 500);
    let result = measure_capacity(model, &opts, |_| {}).unwrap();
    assert!(
        (0.12..=0.16).contains(&result.capacity_ratio),
        "measured {} patterns = {:.3} N",
        result.capacity,
        result.capacity_ratio
    );
    assert!((result.theory - 69.0).abs() < 1e-9);
}

#[test]
fn cubic_dense_memory_capacity_grows_like_n_squared_and_beats_hebbian() {
    // Krotov & Hopfield 2016: K_max ∝ N^(n-1) / ln N for F(x) = x^n.
    let cubic = CapacityModel::Dense(DamSeparation::Power { degree: 3 });
    let dims = [40usize, 80];
    let caps: Vec<f64> = dims
        .iter()
        .map(|&n| {
            let mut opts = CapacityOptions::for_model(cubic, n);
            opts.trials = 2;
            opts.probes_per_trial = 40;
            measure_capacity(cubic, &opts, |_| {}).unwrap().capacity as f64
        })
        .collect();
    let slope = (caps[1] / caps[0]).ln() / (2.0f64).ln();
    // N^2 / ln N between N = 40 and 80 has local slope 2 - ln 2 / ln 56.6 ≈ 1.83.
    assert!(
        (1.4..=2.4).contains(&slope),
        "capacities {caps:?}, slope {slope:.2}"
    );
    let hebb = CapacityModel::Hopfield(LearningRule::Hebbian);
    let h = measure_capacity(hebb, &CapacityOptions::for_model(hebb, 80), |_| {}).unwrap();
    assert!(
        caps[1] > 3.0 * h.capacity as f64,
        "cubic {} vs hebbian {}",
        caps[1],
        h.capacity
    );
}

#[test]
fn krotov_hopfield_appendix_b_low_powers_fail_high_powers_recall() {
    // Krotov & Hopfield 2016, Appendix B (Fig. 4): N = 100, K = 2000 random patterns, random
    // starts run to convergence. n = 2, 3 are far above capacity (≈ 11 and ≈ 360, eq. 6) and do
    // not reconstruct memories; n = 4 (capacity ≈ 7240) mostly does; for n >= 5 all of their
    // 10 000 starts converged to a memory. We run 40 starts per degree.
    use engram::experiment::krotov2016::appendix_b;
    let run = |sep| appendix_b(100, 2000, sep, 40, 100, 2016).unwrap();
    for degree in [2, 3] {
        let row = run(DamSeparation::Power { degree });
        assert!(row.exact_fraction <= 0.1, "n = {degree}: {row:?}");
    }
    let quartic = run(DamSeparation::Power { degree: 4 });
    assert!(quartic.exact_fraction >= 0.7, "n = 4: {quartic:?}");
    for degree in [5, 6] {
        let row = run(DamSeparation::Power { degree });
        assert_eq!(row.exact_fraction, 1.0, "n = {degree}: {row:?}");
        let rect = run(DamSeparation::RectifiedPower { degree });
        assert!(
            rect.exact_fraction >= 0.95,
            "rectified n = {degree}: {rect:?}"
        );
    }
}
