//! The bit-packed memories agree exactly with the plain engines: same states, same trajectories
//! (same seeds give the same asynchronous orders), energies within 1e-9 relative (in fact to the
//! last bit for the dense memory), for every interaction and shape, including dimensions that are
//! not multiples of 64; and they take 32 times less memory for the patterns.

use engram::dynamics::{recall, Dynamics, Recall, RecallOptions, Schedule};
use engram::error::Error;
use engram::kernel::bitpack::PackedBits;
use engram::learn::LearningRule;
use engram::model::{
    DamSeparation, DenseAssociativeMemory, Hopfield, PackedDenseMemory, PackedHopfield,
};
use engram::pattern::{corrupt::flip_bits, random_bipolar};
use ndarray::{concatenate, Array2, Axis};

const DIMS: [usize; 6] = [1, 63, 64, 65, 130, 1000];
const COUNTS: [usize; 3] = [1, 7, 300];

fn separations() -> Vec<DamSeparation> {
    let mut all: Vec<DamSeparation> = [1, 2, 3, 4, 5, 30]
        .into_iter()
        .map(|degree| DamSeparation::Power { degree })
        .collect();
    all.push(DamSeparation::RectifiedPower { degree: 2 });
    all.push(DamSeparation::RectifiedPower { degree: 3 });
    all.push(DamSeparation::Exp { beta: 1.0 });
    all.push(DamSeparation::Exp { beta: 0.05 });
    all
}

/// Cues of every kind: corrupted patterns, a negated pattern, random states.
fn cues(patterns: &Array2<f32>, seed: u64) -> Array2<f32> {
    let n = patterns.ncols();
    let first = patterns.slice(ndarray::s![0..patterns.nrows().min(2), ..]);
    let corrupted = flip_bits(first, 0.2, seed).unwrap();
    let negated = patterns.slice(ndarray::s![0..1, ..]).mapv(|v| -v);
    let random = random_bipolar(3, n, seed + 1);
    concatenate(Axis(0), &[corrupted.view(), negated.view(), random.view()]).unwrap()
}

/// Asserts `|a - b| <= rel * max(|a|, |b|) + abs`.
fn assert_close(a: f64, b: f64, rel: f64, abs: f64, what: &str) {
    assert!(
        (a - b).abs() <= rel * a.abs().max(b.abs()) + abs,
        "{what}: energies {a} vs {b}"
    );
}

/// Same states, steps, convergence and trajectories; energies within `rel` relative plus `abs`.
fn assert_same_recall(plain: &Recall, packed: &Recall, rel: f64, abs: f64, what: &str) {
    assert_eq!(plain.states, packed.states, "{what}: final states");
    assert_eq!(plain.steps, packed.steps, "{what}: steps");
    assert_eq!(plain.converged, packed.converged, "{what}: convergence");
    assert_eq!(
        plain.trajectories, packed.trajectories,
        "{what}: trajectories"
    );
    for (a, b) in plain.energies.iter().zip(&packed.energies) {
        assert_eq!(a.len(), b.len(), "{what}: energy trace length");
        for (&x, &y) in a.iter().zip(b) {
            assert_close(x, y, rel, abs, what);
        }
    }
}

fn options(schedule: Schedule) -> RecallOptions {
    RecallOptions {
        max_steps: 25,
        schedule: Some(schedule),
        seed: 11,
        record_states: true,
        ..RecallOptions::default()
    }
}

#[test]
fn packed_dense_memory_matches_the_plain_engine_for_every_separation_and_shape() {
    for (ni, &n) in DIMS.iter().enumerate() {
        for (ki, &k) in COUNTS.iter().enumerate() {
            let seed = (10 * ni + ki) as u64;
            let patterns = random_bipolar(k, n, seed);
            let queries = cues(&patterns, seed + 100);
            for separation in separations() {
                let plain = DenseAssociativeMemory::new(patterns.clone(), separation).unwrap();
                let packed = PackedDenseMemory::new(patterns.clone(), separation).unwrap();
                let what = format!("N={n} K={k} {}", separation.describe());
                // One step and the energies, from every cue (and from the patterns themselves).
                for states in [&queries, &patterns] {
                    assert_eq!(
                        plain.step(states.view()).unwrap(),
                        packed.step(states.view()).unwrap(),
                        "{what}: one synchronous step"
                    );
                    let (a, b) = (
                        plain.energies(states.view()).unwrap(),
                        packed.energies(states.view()).unwrap(),
                    );
                    for (x, y) in a.iter().zip(&b) {
                        assert_eq!(x.to_bits(), y.to_bits(), "{what}: energy {x} vs {y}");
                    }
                }
                for schedule in [Schedule::Synchronous, Schedule::Asynchronous] {
                    let opts = options(schedule);
                    let a = recall(&plain, queries.view(), None, &opts).unwrap();
                    let b = recall(&packed, queries.view(), None, &opts).unwrap();
                    assert_same_recall(&a, &b, 1e-9, 0.0, &format!("{what} {schedule:?}"));
                }
            }
        }
    }
}

#[test]
fn closed_form_steps_match_on_many_states_near_and_far_from_patterns() {
    // Many neurons per step, so that the certified closed form and its fallback both run:
    // random states (fields near zero are common) and corrupted patterns at several noise levels.
    let (k, n) = (1000, 257);
    let patterns = random_bipolar(k, n, 21);
    let mut batches = vec![random_bipolar(64, n, 22)];
    for (i, noise) in [0.05, 0.2, 0.35, 0.45].into_iter().enumerate() {
        let first = patterns.slice(ndarray::s![0..32, ..]);
        batches.push(flip_bits(first, noise, 23 + i as u64).unwrap());
    }
    let mut separations: Vec<DamSeparation> = [1, 2, 3, 4, 5, 7, 30]
        .into_iter()
        .map(|degree| DamSeparation::Power { degree })
        .collect();
    separations.push(DamSeparation::RectifiedPower { degree: 3 });
    separations.push(DamSeparation::RectifiedPower { degree: 10 });
    for separation in separations {
        let plain = DenseAssociativeMemory::new(patterns.clone(), separation).unwrap();
        let packed = PackedDenseMemory::new(patterns.clone(), separation).unwrap();
        for states in &batches {
            assert_eq!(
                plain.step(states.view()).unwrap(),
                packed.step(states.view()).unwrap(),
                "{}",
                separation.describe()
            );
        }
    }
}

#[test]
fn packed_dense_memory_matches_with_clamped_coordinates() {
    let patterns = random_bipolar(40, 130, 5);
    let queries = cues(&patterns, 6);
    let mask = Array2::from_shape_fn(queries.dim(), |(q, i)| (q + i) % 3 == 0);
    for separation in [
        DamSeparation::Power { degree: 3 },
        DamSeparation::Exp { beta: 0.5 },
    ] {
        let plain = DenseAssociativeMemory::new(patterns.clone(), separation).unwrap();
        let packed = PackedDenseMemory::new(patterns.clone(), separation).unwrap();
        for schedule in [Schedule::Synchronous, Schedule::Asynchronous] {
            let opts = options(schedule);
            let a = recall(&plain, queries.view(), Some(mask.view()), &opts).unwrap();
            let b = recall(&packed, queries.view(), Some(mask.view()), &opts).unwrap();
            assert_same_recall(&a, &b, 0.0, 0.0, &format!("clamped {schedule:?}"));
        }
    }
}

#[test]
fn packed_hopfield_matches_the_hebbian_hopfield_network() {
    for (ni, &n) in DIMS.iter().enumerate() {
        for (ki, &k) in COUNTS.iter().enumerate() {
            let seed = (10 * ni + ki) as u64 + 500;
            let patterns = random_bipolar(k, n, seed);
            let queries = cues(&patterns, seed + 100);
            let plain = Hopfield::new(patterns.view(), LearningRule::Hebbian).unwrap();
            let packed = PackedHopfield::new(patterns.view()).unwrap();
            let what = format!("N={n} K={k}");
            for states in [&queries, &patterns] {
                assert_eq!(
                    plain.step(states.view()).unwrap(),
                    packed.step(states.view()).unwrap(),
                    "{what}: one synchronous step"
                );
            }
            // The plain engine's energies carry the rounding of its f32 weights and f32 fields
            // (relative 2^-24 per weight, N roundings per field: relative error up to about
            // (N + 1) 2^-24); the packed ones are exact. Energies range over [-K N / 2, K / 2],
            // so the tolerance is also taken relative to K.
            let rel = 4.0 * (n + 1) as f64 / 16_777_216.0;
            for schedule in [Schedule::Synchronous, Schedule::Asynchronous] {
                let opts = options(schedule);
                let a = recall(&plain, queries.view(), None, &opts).unwrap();
                let b = recall(&packed, queries.view(), None, &opts).unwrap();
                assert_same_recall(&a, &b, rel, rel * k as f64, &format!("{what} {schedule:?}"));
            }
        }
    }
}

#[test]
fn packed_hopfield_fields_are_the_exact_hebbian_fields() {
    let patterns = random_bipolar(9, 77, 3);
    let states = random_bipolar(4, 77, 4);
    let packed = PackedHopfield::new(patterns.view()).unwrap();
    let x = patterns.mapv(|v| v as f64);
    let mut w = x.t().dot(&x) / 77.0;
    w.diag_mut().fill(0.0);
    let want = states.mapv(|v| v as f64).dot(&w);
    let got = packed.local_fields(states.view()).unwrap();
    assert!((&got - &want).iter().all(|d| d.abs() < 1e-12));
}

#[test]
fn degree_two_dense_memory_is_the_zero_diagonal_hebbian_network() {
    // F(x) = x^2: the energy difference of both signs of s_i is 4 (Σ_μ ξ_μi m_μ - K s_i), the
    // zero-diagonal Hebbian field times 4N; at N = 64 both engines compute it without rounding.
    let patterns = random_bipolar(12, 64, 8);
    let queries = cues(&patterns, 9);
    let dam = PackedDenseMemory::new(patterns.clone(), DamSeparation::Power { degree: 2 }).unwrap();
    let hop = Hopfield::new(patterns.view(), LearningRule::Hebbian).unwrap();
    for schedule in [Schedule::Synchronous, Schedule::Asynchronous] {
        let opts = options(schedule);
        let a = recall(&dam, queries.view(), None, &opts).unwrap();
        let b = recall(&hop, queries.view(), None, &opts).unwrap();
        assert_eq!(a.trajectories, b.trajectories);
    }
}

#[test]
fn packed_patterns_take_32_times_less_memory() {
    for (k, n) in [(300usize, 1024usize), (7, 1000), (300, 65), (1, 1)] {
        let patterns = random_bipolar(k, n, 1);
        let dam =
            PackedDenseMemory::new(patterns.clone(), DamSeparation::Power { degree: 3 }).unwrap();
        let hop = PackedHopfield::new(patterns.view()).unwrap();
        let padded_bits = n.div_ceil(64) * 64;
        assert_eq!(dam.memory_bytes(), k * padded_bits / 8);
        assert_eq!(hop.memory_bytes(), k * padded_bits / 8);
        let f32_bytes = k * n * std::mem::size_of::<f32>();
        // Exactly 32x when N is a multiple of 64; otherwise only the row padding differs.
        assert_eq!(dam.memory_bytes() * 32 * n, f32_bytes * padded_bits);
    }
}

#[test]
fn non_bipolar_input_is_refused() {
    let mut patterns = random_bipolar(3, 70, 2);
    patterns[[1, 5]] = 0.5;
    let sep = DamSeparation::Power { degree: 3 };
    assert!(matches!(
        PackedDenseMemory::new(patterns.clone(), sep),
        Err(Error::State(_))
    ));
    assert!(matches!(
        PackedHopfield::new(patterns.view()),
        Err(Error::State(_))
    ));
    assert!(matches!(
        PackedBits::from_bipolar(patterns.view()),
        Err(Error::State(_))
    ));
    patterns[[1, 5]] = f32::NAN;
    assert!(matches!(
        PackedDenseMemory::new(patterns.clone(), sep),
        Err(Error::NonFinite { .. })
    ));
    assert!(matches!(
        PackedDenseMemory::new(Array2::zeros((0, 4)), sep),
        Err(Error::Empty(_))
    ));
    assert!(matches!(
        PackedHopfield::new(Array2::<f32>::zeros((2, 0)).view()),
        Err(Error::Empty(_))
    ));
    let good = random_bipolar(3, 70, 2);
    assert!(matches!(
        PackedDenseMemory::new(good.clone(), DamSeparation::Power { degree: 0 }),
        Err(Error::Parameter { .. })
    ));
    assert!(matches!(
        PackedDenseMemory::new(good.clone(), DamSeparation::Exp { beta: -1.0 }),
        Err(Error::Parameter { .. })
    ));
    let net = PackedDenseMemory::new(good.clone(), sep).unwrap();
    let mut cue = good.slice(ndarray::s![0..1, ..]).to_owned();
    cue[[0, 3]] = 0.0;
    assert!(matches!(
        recall(&net, cue.view(), None, &RecallOptions::default()),
        Err(Error::State(_))
    ));
    assert!(matches!(net.step(cue.view()), Err(Error::State(_))));
    assert!(matches!(net.energies(cue.view()), Err(Error::State(_))));
    let wrong = random_bipolar(1, 71, 3);
    assert!(matches!(net.step(wrong.view()), Err(Error::Shape { .. })));
    let hop = PackedHopfield::new(good.view()).unwrap();
    assert!(matches!(hop.step(cue.view()), Err(Error::State(_))));
    let mut state = vec![1.0f32; 71];
    assert!(matches!(
        net.sweep(&mut state, &[0]),
        Err(Error::Shape { .. })
    ));
}
