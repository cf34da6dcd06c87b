//! Implicit differentiation on masked digit completion: it reaches what backpropagation through a
//! long unroll reaches, with a tape of one step.
#![cfg(feature = "autodiff")]

use engram::experiment::implicit::{run, GradientMode, ImplicitConfig};
use engram::train::implicit::FixedPointOptions;
use engram::Error;

fn small() -> ImplicitConfig {
    ImplicitConfig {
        memories: 12,
        long_steps: 100,
        short_steps: 4,
        epochs: 1,
        batch: 128,
        solve: FixedPointOptions {
            tolerance: 1e-4,
            max_iterations: 400,
        },
        ..Default::default()
    }
}

#[test]
fn implicit_matches_the_long_unroll_with_a_small_tape() {
    let report = run(&small(), &mut |_, _, _| {}).unwrap();
    let by_name = |n: &str| report.modes.iter().find(|m| m.name == n).unwrap();
    let (long, implicit, short) = (
        by_name("unroll-long"),
        by_name("implicit"),
        by_name("unroll-short"),
    );
    assert_eq!(long.mode, GradientMode::Unroll { steps: 100 });
    assert_eq!(implicit.mode, GradientMode::Implicit);
    // Both follow (nearly) the same gradient, so they land on (nearly) the same memory.
    let gap = (long.test_mse - implicit.test_mse).abs();
    assert!(
        gap < 0.05 * long.test_mse,
        "long {} vs implicit {}",
        long.test_mse,
        implicit.test_mse
    );
    // Training helped both: below the untrained memory.
    assert!(implicit.test_mse < report.untrained_mse);
    // The implicit tape holds one step; the unroll holds all 100.
    assert!(implicit.tape_bytes * 50 < long.tape_bytes);
    assert!(short.tape_bytes < long.tape_bytes);
    assert!(implicit.adjoint_iterations > 0.0);
    assert!(report.mean_fill_mse > 0.0 && report.nearest_image_mse > 0.0);
    assert_eq!(report.train + report.test, 1797);
}

#[test]
fn bad_settings_are_errors() {
    let cases = [
        ImplicitConfig {
            memories: 0,
            ..small()
        },
        ImplicitConfig {
            beta: 0.0,
            ..small()
        },
        ImplicitConfig { dt: 1.5, ..small() },
        ImplicitConfig {
            epochs: 0,
            ..small()
        },
        ImplicitConfig {
            learning_rate: f64::NAN,
            ..small()
        },
    ];
    for config in cases {
        assert!(matches!(
            run(&config, &mut |_, _, _| {}),
            Err(Error::Parameter { .. })
        ));
    }
}
