//! Long sequence memory (Chaudhry, Zavatone-Veth, Krotov & Pehlevan 2023, "Long Sequence Hopfield
//! Memory", NeurIPS 36, arXiv:2306.04532): exact transitions, the capacity laws, the generalized
//! pseudoinverse on correlated patterns, and variable timing.

use engram::experiment::sequence::{
    correlated_demo, correlated_patterns, exp_pair_limit, measure_sequence_capacity,
    sequence_capacity, sequence_capacity_theory, SequenceCapacityOptions,
};
use engram::model::{DamSeparation, SequenceMemory, SequenceRule, TimingCoupling, VariableTiming};
use engram::pattern::random_bipolar;
use engram::Error;

const CLASSICAL: DamSeparation = DamSeparation::Power { degree: 1 };
const QUADRATIC: DamSeparation = DamSeparation::Power { degree: 2 };
const CUBIC: DamSeparation = DamSeparation::Power { degree: 3 };
const EXPONENTIAL: DamSeparation = DamSeparation::Exp { beta: 1.0 };

#[test]
fn one_step_transitions_are_exact_well_below_capacity() {
    // Each model at about a quarter of its sequence capacity P_S (Chaudhry et al. 2023, the
    // polynomial law P_S = N^d / (2 (d+1) (2d-1)!! ln N); for the exponential the pair limit
    // 2^((N+1)/2)/sqrt(N) of `exp_pair_limit`, which is what limits it at small N):
    // classical N = 400 (P_S = 16.7) with 4 patterns, d = 2 at N = 100 (120.6) with 30,
    // d = 3 at N = 50 (266.3) with 60, exponential at N = 20 (pair limit 324) with 40.
    for (sep, n, p) in [
        (CLASSICAL, 400, 4),
        (QUADRATIC, 100, 30),
        (CUBIC, 50, 60),
        (EXPONENTIAL, 20, 40),
    ] {
        let reference = match sep {
            DamSeparation::Exp { .. } => exp_pair_limit(n),
            _ => sequence_capacity_theory(sep, n),
        };
        assert!(p as f64 <= 0.3 * reference, "{sep:?}: {p} vs {reference}");
        for seed in 0..3 {
            let patterns = random_bipolar(p, n, 100 + seed);
            let seq = SequenceMemory::new(patterns.clone(), sep, SequenceRule::Hebbian).unwrap();
            assert!(
                seq.transition_errors().unwrap().iter().all(|&e| e == 0),
                "{sep:?} N = {n} P = {p} seed {seed}"
            );
            // Replaying twice round the cycle from the first pattern visits every pattern in order.
            let trajectory = seq.run(patterns.row(0), 2 * p).unwrap();
            for t in 0..=2 * p {
                assert_eq!(trajectory.row(t), patterns.row(t % p));
            }
        }
    }
}

#[test]
fn measured_polynomial_capacity_within_factor_two_of_the_law() {
    // Chaudhry et al. 2023: P_S = N^d / (2 (d+1) (2d-1)!! ln N), an asymptotic law. With the
    // paper's protocol (start at twice the law, shrink 1% after an error) engram measures, over
    // 3 sequences each, 751 at d = 2, N = 200 (law 419.4) and 511 at d = 3, N = 50 (law 266.3):
    // 1.79 and 1.92 times the law, inside the factor of 2 the issue allows at small N. The same
    // Gaussian argument without the asymptotic simplifications (`gaussian_sequence_capacity`:
    // 704 and 523) is within 7% of both.
    let opts = SequenceCapacityOptions {
        trials: 3,
        seed: 7,
        ..SequenceCapacityOptions::default()
    };
    for (sep, n) in [(QUADRATIC, 200), (CUBIC, 50)] {
        let row = measure_sequence_capacity(sep, n, &opts, |_, _, _| {}).unwrap();
        assert!(
            (0.5..=2.0).contains(&row.ratio),
            "{sep:?} N = {n}: measured {} vs law {:.1}",
            row.capacity,
            row.theory
        );
        let to_gaussian = row.capacity / row.theory_gaussian;
        assert!(
            (0.85..=1.2).contains(&to_gaussian),
            "{sep:?} N = {n}: measured {} vs finite-N estimate {:.1}",
            row.capacity,
            row.theory_gaussian
        );
        assert!(!row.lower_bound);
    }
}

#[test]
fn quadratic_capacity_grows_with_the_laws_exponent() {
    // The law N^2 / (18 ln N) has a least-squares log-log slope of 1.78 over N = 50, 100, 200
    // (2 minus the 1/ln N correction). The measured slope (1.78 with this seed and 2 sequences
    // per N; 1.72 over N = 100..400 with seed 0) is within 0.3 of it.
    let opts = SequenceCapacityOptions {
        trials: 2,
        seed: 3,
        ..SequenceCapacityOptions::default()
    };
    let result = sequence_capacity(QUADRATIC, &[50, 100, 200], &opts, |_, _, _, _| {}).unwrap();
    assert_eq!(result.rows.len(), 3);
    assert!((result.theory_exponent - 1.781).abs() < 0.001);
    assert!(
        (result.exponent - result.theory_exponent).abs() < 0.3,
        "measured exponent {} vs law {}",
        result.exponent,
        result.theory_exponent
    );
    let c = result.constant.unwrap();
    assert!((result.theory_constant.unwrap() - 1.0 / 18.0).abs() < 1e-12);
    assert!(c > result.theory_constant.unwrap() && c < 2.5 * result.theory_constant.unwrap());
}

#[test]
fn exponential_model_beats_the_polynomial_ones_at_equal_n() {
    // Chaudhry et al. 2023: the exponential DenseNet's capacity grows exponentially in N, the
    // polynomial ones as N^d. At N = 16 engram measures 174 for the exponential, against 16
    // (d = 2) and 30 (d = 3).
    let opts = SequenceCapacityOptions {
        seed: 11,
        ..SequenceCapacityOptions::default()
    };
    let cap = |sep| {
        measure_sequence_capacity(sep, 16, &opts, |_, _, _| {})
            .unwrap()
            .capacity
    };
    let (quadratic, cubic, exponential) = (cap(QUADRATIC), cap(CUBIC), cap(EXPONENTIAL));
    assert!(cubic > quadratic, "d = 3: {cubic}, d = 2: {quadratic}");
    assert!(
        exponential > 3.0 * cubic,
        "exp: {exponential}, d = 3: {cubic}"
    );
    // Its measured capacity follows the pair-collision limit 2^((N+1)/2)/sqrt(N) = 90.5 within a
    // factor of 3, far below the Gaussian law's 967.6.
    assert!(exponential > exp_pair_limit(16) && exponential < 3.0 * exp_pair_limit(16));
}

#[test]
fn generalized_pseudoinverse_recalls_correlated_sequence_plain_rule_cannot() {
    // Chaudhry et al. 2023, generalized pseudoinverse rule: decorrelating the overlaps by the
    // inverse overlap matrix makes every transition of linearly independent patterns exact.
    // Random patterns sharing 85% of their bits with one pattern (pairwise overlap about 0.49)
    // and the ten digit prototypes (overlaps up to 0.8) defeat the Hebbian rule with the
    // classical and polynomial interactions. (The exponential one, exp(-(N-1)(1-m)), is sharp
    // enough to separate these patterns even with the plain rule; both rules recall them.)
    for sep in [CLASSICAL, QUADRATIC, CUBIC] {
        let rows = correlated_demo(sep, 5).unwrap();
        assert_eq!(rows.len(), 4);
        for pair in rows.chunks(2) {
            let (plain, gpi) = (&pair[0], &pair[1]);
            assert_eq!((plain.rule, gpi.rule), ("hebbian", "pseudoinverse"));
            assert!(
                !plain.recalled,
                "{sep:?} {}: Hebbian rule recalled",
                plain.patterns
            );
            assert!(
                gpi.recalled,
                "{sep:?} {}: pseudoinverse failed",
                gpi.patterns
            );
            assert_eq!(gpi.exact_transitions, gpi.length);
        }
    }
    for row in correlated_demo(EXPONENTIAL, 5).unwrap() {
        assert!(row.recalled, "exp {} {}", row.patterns, row.rule);
    }
    let random = &correlated_demo(QUADRATIC, 5).unwrap()[0];
    assert!(
        (random.mean_overlap - 0.49).abs() < 0.05,
        "{}",
        random.mean_overlap
    );
}

#[test]
fn generalized_pseudoinverse_refuses_dependent_patterns() {
    // More patterns than neurons cannot be linearly independent.
    let patterns = correlated_patterns(30, 20, 0.3, 1).unwrap();
    let err = SequenceMemory::new(patterns, QUADRATIC, SequenceRule::GeneralizedPseudoinverse)
        .unwrap_err();
    assert!(matches!(err, Error::Unsupported(_)), "{err}");
}

#[test]
fn gated_variable_timing_holds_every_state_for_its_time() {
    // The variable-timing network holds pattern mu for hold[mu] steps, then moves on.
    let hold = vec![3, 1, 4, 2, 5, 1];
    let patterns = random_bipolar(hold.len(), 200, 9);
    let net = VariableTiming::new(
        patterns.clone(),
        QUADRATIC,
        hold.clone(),
        2.0,
        TimingCoupling::Gated,
    )
    .unwrap();
    let period: usize = hold.iter().sum();
    let trajectory = net.run(patterns.row(0), 2 * period).unwrap();
    let expected: Vec<usize> = (0..2)
        .flat_map(|_| {
            hold.iter()
                .enumerate()
                .flat_map(|(mu, &h)| std::iter::repeat(mu).take(h))
        })
        .collect();
    for (t, &mu) in expected.iter().enumerate() {
        assert_eq!(trajectory.row(t), patterns.row(mu), "step {t}");
    }
}

#[test]
fn additive_variable_timing_holds_uniform_times_but_not_a_shorter_one() {
    // The paper's additive mix of a symmetric and a delayed asymmetric term: with one delay for
    // every pattern each state is held exactly that long.
    let patterns = random_bipolar(5, 200, 4);
    let net = VariableTiming::new(
        patterns.clone(),
        QUADRATIC,
        vec![3; 5],
        2.0,
        TimingCoupling::Additive,
    )
    .unwrap();
    let trajectory = net.run(patterns.row(0), 30).unwrap();
    for t in 0..=30 {
        assert_eq!(trajectory.row(t), patterns.row((t / 3) % 5), "step {t}");
    }
    // A state meant to be shorter than the one before it is held longer: the previous
    // transition's delayed push towards it is still on (see docs/sequence.md).
    let net = VariableTiming::new(
        patterns.clone(),
        QUADRATIC,
        vec![4, 1, 4, 4, 4],
        2.0,
        TimingCoupling::Additive,
    )
    .unwrap();
    let trajectory = net.run(patterns.row(0), 6).unwrap();
    assert_eq!(trajectory.row(4), patterns.row(1));
    assert_eq!(
        trajectory.row(5),
        patterns.row(1),
        "pattern 1 should outlast its 1 step"
    );
}

#[test]
fn sequence_models_reject_bad_input() {
    let patterns = random_bipolar(4, 10, 1);
    assert!(matches!(
        SequenceMemory::new(
            patterns.clone(),
            DamSeparation::Power { degree: 0 },
            SequenceRule::Hebbian
        ),
        Err(Error::Parameter { .. })
    ));
    assert!(matches!(
        SequenceMemory::new(patterns.mapv(|v| v * 0.5), QUADRATIC, SequenceRule::Hebbian),
        Err(Error::State(_))
    ));
    let seq = SequenceMemory::new(patterns.clone(), QUADRATIC, SequenceRule::Hebbian).unwrap();
    assert!(matches!(
        seq.run(random_bipolar(1, 9, 2).row(0), 3),
        Err(Error::Shape { .. })
    ));
    assert!(matches!(
        VariableTiming::new(
            patterns,
            QUADRATIC,
            vec![1, 2, 0, 1],
            2.0,
            TimingCoupling::Gated
        ),
        Err(Error::Parameter { .. })
    ));
}
