//! The energy of every model never increases along its dynamics (property tests over seeds).
//!
//! Theory: asynchronous Hopfield updates with non-negative self-coupling (Hopfield 1982); the
//! two-step Lyapunov function of synchronous Hopfield dynamics (Goles-Chacc et al. 1985); the
//! Krotov-Hopfield energy-difference update (2016, eq. 4) chooses the lower-energy sign by
//! construction; the modern Hopfield / universal update with the dot similarity is a
//! concave-convex step (Ramsauer et al. 2020, Theorem 1).

use engram::dynamics::{recall, Dynamics, RecallOptions, Schedule};
use engram::learn::LearningRule;
use engram::model::{
    DamSeparation, DenseAssociativeMemory, Hopfield, ModernHopfield, Separation, Similarity,
    Universal,
};
use engram::pattern::corrupt::{flip_bits, mask_random};
use engram::pattern::{random_bipolar, random_gaussian, random_sphere};
use ndarray::Array2;

/// Every trace is non-increasing up to a relative rounding slack.
fn assert_descends(name: &str, energies: &[Vec<f64>]) {
    for (q, trace) in energies.iter().enumerate() {
        for w in trace.windows(2) {
            // f32 states: allow rounding of one part in a million of the energy's size.
            let slack = 1e-6 * (1.0 + w[0].abs());
            assert!(
                w[1] <= w[0] + slack,
                "{name}: query {q}: energy rose from {} to {}",
                w[0],
                w[1]
            );
        }
    }
}

fn options(schedule: Schedule, seed: u64) -> RecallOptions {
    RecallOptions {
        max_steps: 50,
        schedule: Some(schedule),
        seed,
        ..RecallOptions::default()
    }
}

#[test]
fn hopfield_async_energy_never_increases_for_every_rule() {
    for seed in 0..6 {
        for rule in LearningRule::ALL {
            let patterns = random_bipolar(30, 60, seed);
            let net = Hopfield::new(patterns.view(), rule).unwrap();
            // Heavily corrupted and random starts, beyond capacity, so the dynamics travel.
            let mut cues = flip_bits(patterns.view(), 0.3, seed + 100).unwrap();
            cues.append(ndarray::Axis(0), random_bipolar(10, 60, seed + 7).view())
                .unwrap();
            let out = recall(
                &net,
                cues.view(),
                None,
                &options(Schedule::Asynchronous, seed),
            )
            .unwrap();
            assert_descends(&format!("hopfield {rule} seed {seed}"), &out.energies);
            assert!(
                out.converged.iter().all(|&c| c),
                "async Hopfield always reaches a fixed point"
            );
        }
    }
}

#[test]
fn hopfield_sync_lyapunov_never_increases() {
    for seed in 0..6 {
        let patterns = random_bipolar(40, 50, seed);
        let net = Hopfield::new(patterns.view(), LearningRule::Hebbian).unwrap();
        let cues = random_bipolar(8, 50, seed + 1);
        let opts = RecallOptions {
            record_states: true,
            ..options(Schedule::Synchronous, seed)
        };
        let out = recall(&net, cues.view(), None, &opts).unwrap();
        for traj in out.trajectories.unwrap() {
            let lyap: Vec<f64> = (1..traj.nrows())
                .map(|t| net.sync_lyapunov(traj.row(t - 1), traj.row(t)).unwrap())
                .collect();
            assert_descends("sync lyapunov", &[lyap]);
        }
    }
}

#[test]
fn dense_memory_async_energy_never_increases() {
    let separations = [
        DamSeparation::Power { degree: 2 },
        DamSeparation::Power { degree: 3 },
        DamSeparation::Power { degree: 30 },
        DamSeparation::RectifiedPower { degree: 3 },
        DamSeparation::Exp { beta: 1.0 },
        DamSeparation::Exp { beta: 0.05 },
    ];
    for seed in 0..4 {
        for sep in separations {
            let patterns = random_bipolar(200, 40, seed);
            let net = DenseAssociativeMemory::new(patterns.clone(), sep).unwrap();
            let mut cues = flip_bits(patterns.slice(ndarray::s![0..6, ..]), 0.35, seed).unwrap();
            cues.append(ndarray::Axis(0), random_bipolar(6, 40, seed + 9).view())
                .unwrap();
            let out = recall(
                &net,
                cues.view(),
                None,
                &options(Schedule::Asynchronous, seed),
            )
            .unwrap();
            assert_descends(
                &format!("dam {} seed {seed}", sep.describe()),
                &out.energies,
            );
        }
    }
}

#[test]
fn modern_hopfield_energy_never_increases_and_stays_non_negative() {
    for seed in 0..6 {
        for beta in [0.5f32, 4.0, 50.0] {
            let patterns = random_gaussian(64, 16, seed);
            let net = ModernHopfield::new(patterns, beta).unwrap();
            let cues = random_gaussian(10, 16, seed + 50);
            let out = recall(
                &net,
                cues.view(),
                None,
                &options(Schedule::Synchronous, seed),
            )
            .unwrap();
            assert_descends(&format!("mhn beta {beta}"), &out.energies);
            // Ramsauer et al. 2020, Lemma A2 / eq. 2: the energy with its constants is >= 0.
            assert!(out.energies.iter().flatten().all(|&e| e >= -1e-4));
        }
    }
}

#[test]
fn universal_dot_energy_never_increases_for_every_separation() {
    let separations = [
        Separation::Softmax { beta: 3.0 },
        Separation::Sparsemax { beta: 2.0 },
        Separation::Entmax {
            alpha: 1.5,
            beta: 2.0,
        },
        Separation::Power { degree: 3 },
        Separation::TopK { k: 3 },
        Separation::Max,
    ];
    for seed in 0..5 {
        for sep in separations {
            let patterns = random_sphere(40, 24, seed);
            let net = Universal::new(patterns, Similarity::Dot, sep).unwrap();
            let cues = random_sphere(8, 24, seed + 3);
            let out = recall(
                &net,
                cues.view(),
                None,
                &options(Schedule::Synchronous, seed),
            )
            .unwrap();
            assert_descends(&format!("universal dot {}", sep.describe()), &out.energies);
        }
    }
}

#[test]
fn clamped_recall_still_descends_and_keeps_observed_coordinates() {
    for seed in 0..4 {
        let patterns = random_bipolar(20, 80, seed);
        let (cues, observed) = mask_random(patterns.view(), 0.5, 0.0, seed).unwrap();
        let cont = ModernHopfield::new(patterns.clone(), 8.0).unwrap();
        let out = recall(
            &cont,
            cues.view(),
            Some(observed.view()),
            &options(Schedule::Synchronous, seed),
        )
        .unwrap();
        assert_descends("mhn clamped", &out.energies);
        for ((&v, &c), &keep) in out.states.iter().zip(cues.iter()).zip(observed.iter()) {
            if keep {
                assert_eq!(v, c);
            }
        }
        // Bipolar models need bipolar cues: fill the hidden half with random signs.
        let mut bip = cues.clone();
        let noise = random_bipolar(bip.nrows(), bip.ncols(), seed + 1);
        bip.zip_mut_with(&noise, |v, &r| {
            if *v == 0.0 {
                *v = r
            }
        });
        let dam = DenseAssociativeMemory::new(patterns.clone(), DamSeparation::Power { degree: 3 })
            .unwrap();
        let out = recall(
            &dam,
            bip.view(),
            Some(observed.view()),
            &options(Schedule::Asynchronous, seed),
        )
        .unwrap();
        assert_descends("dam clamped", &out.energies);
        // Half a pattern (plus random signs) is nearly always enough for a cubic DAM at K = 20.
        let exact = (0..20)
            .filter(|&i| out.states.row(i) == patterns.row(i))
            .count();
        assert!(exact >= 18, "seed {seed}: {exact} of 20 completed exactly");
    }
}

#[test]
fn energies_are_queryable_for_any_state() {
    let patterns = random_bipolar(5, 32, 1);
    let dam =
        DenseAssociativeMemory::new(patterns.clone(), DamSeparation::Power { degree: 2 }).unwrap();
    let e = dam.energies(patterns.view()).unwrap();
    // Each stored pattern overlaps itself fully: F(1) = 1 plus small cross terms.
    assert!(e.iter().all(|&v| v < -0.99));
    let hop = Hopfield::new(patterns.view(), LearningRule::Hebbian).unwrap();
    let states: Array2<f32> = random_bipolar(3, 32, 9);
    assert_eq!(hop.energies(states.view()).unwrap().len(), 3);
}
