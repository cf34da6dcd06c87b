//! The two signed-projection kernels of the bit-packed dense memory's synchronous step —
//! `f32` subset-sum tables and quantised integer weights (AVX-512 VNNI where available, a
//! portable loop otherwise) — give the same states as each other and as the plain engine, on
//! odd shapes, many interactions and up to 70 states: each kernel certifies every sign with
//! its own rigorous bound and hands near-ties to the plain engine's loop.

use engram::dynamics::Dynamics;
use engram::kernel::bitpack::PackedBits;
use engram::kernel::int_projection::{IntWeights, ProjectionKernel};
use engram::model::{DamSeparation, DenseAssociativeMemory, PackedDenseMemory, PackedHopfield};
use engram::pattern::{corrupt::flip_bits, random_bipolar};
use ndarray::{concatenate, Array2, Axis};

fn separations() -> Vec<DamSeparation> {
    let mut all: Vec<DamSeparation> = [1, 2, 3, 4, 5, 7, 30]
        .into_iter()
        .map(|degree| DamSeparation::Power { degree })
        .collect();
    all.push(DamSeparation::RectifiedPower { degree: 3 });
    all.push(DamSeparation::RectifiedPower { degree: 10 });
    all
}

/// `b` cues: corrupted patterns (cycling), then random states.
fn cues(patterns: &Array2<f32>, b: usize, seed: u64) -> Array2<f32> {
    let (k, n) = patterns.dim();
    let corrupted_count = b.div_ceil(2).min(k);
    let first = patterns.slice(ndarray::s![0..corrupted_count, ..]);
    let corrupted = flip_bits(first, 0.15, seed).unwrap();
    let random = random_bipolar(b - corrupted_count, n, seed + 1);
    concatenate(Axis(0), &[corrupted.view(), random.view()]).unwrap()
}

#[test]
fn both_kernels_give_the_plain_engines_step() {
    // (K, N, B): K and N off every block size, N = 1024 where the cubic weights are integers.
    for (k, n, b) in [
        (1usize, 65usize, 3usize),
        (7, 63, 70),
        (300, 130, 17),
        (1001, 257, 9),
        (300, 1024, 5),
    ] {
        let patterns = random_bipolar(k, n, (k * 3 + n) as u64);
        let states = cues(&patterns, b, (k + n) as u64);
        for separation in separations() {
            let what = format!("K {k} N {n} B {b} {separation:?}");
            let plain = DenseAssociativeMemory::new(patterns.clone(), separation).unwrap();
            let want = plain.step(states.view()).unwrap();
            let net = PackedDenseMemory::new(patterns.clone(), separation).unwrap();
            for kernel in [ProjectionKernel::Tables, ProjectionKernel::Vnni] {
                let net = net.clone().with_projection(kernel);
                assert_eq!(net.projection(), kernel);
                let got = net.step(states.view()).unwrap();
                assert_eq!(got, want, "{what}, {} kernel", kernel.name());
            }
        }
    }
}

#[test]
fn the_cubic_memory_at_n_1024_is_projected_exactly() {
    // A(m) = (6 m^2 + 8) / N^3 with m even: 2^-27 (3 (m/2)^2 + 1), integers after scaling by
    // 2^27 where they fit 16 bits (|m| <= 208), the cue's own pattern kept as an f64 outlier;
    // the bound is then only the outlier's f64 addition, of relative size about 1e-16.
    let (k, n, b) = (2000usize, 1024usize, 8usize);
    let patterns = random_bipolar(k, n, 4);
    let states = cues(&patterns, b, 5);
    let bits = PackedBits::from_bipolar(patterns.view()).unwrap();
    let s = PackedBits::from_bipolar(states.view()).unwrap();
    let m = bits.overlaps(&s).unwrap();
    let a =
        |x: i32| ((x as f64 + 2.0).powi(3) - (x as f64 - 2.0).powi(3)) / (2.0 * 1024f64.powi(3));
    let weights = m.mapv(a);
    let iw = IntWeights::new(weights.view()).unwrap();
    let mut got = Array2::zeros((b, n));
    bits.signed_projection_int(&iw, got.view_mut()).unwrap();
    let exact = weights.dot(&patterns.mapv(|v| v as f64));
    for q in 0..b {
        let sum_abs: f64 = weights.row(q).iter().map(|v| v.abs()).sum();
        assert!(iw.error_bound(q) <= 1e-15 * sum_abs, "state {q}");
        // Corrupted cues (the first half) have their own pattern as the one outlier.
        assert!(iw.outliers(q) <= if q < b / 2 { 1 } else { 0 }, "state {q}");
        assert!(iw.exponent(q) >= 27);
        for i in 0..n {
            // The f64 reference itself rounds; both sides are integers times 2^-29.
            assert!((got[[q, i]] - exact[[q, i]]).abs() <= 1e-12 * sum_abs);
        }
    }
}

#[test]
fn hopfield_fields_are_exact_integers_over_n() {
    let (k, n) = (120usize, 257usize);
    let patterns = random_bipolar(k, n, 8);
    let states = random_bipolar(6, n, 9);
    let net = PackedHopfield::new(patterns.view()).unwrap();
    let fields = net.local_fields(states.view()).unwrap();
    let c = patterns.t().dot(&patterns).mapv(|v| v as f64);
    for (q, s) in states.outer_iter().enumerate() {
        for i in 0..n {
            let h: f64 = (0..n)
                .filter(|&j| j != i)
                .map(|j| c[[i, j]] * s[j] as f64)
                .sum::<f64>()
                / n as f64;
            assert!((fields[[q, i]] - h).abs() <= 1e-12, "state {q} neuron {i}");
        }
    }
}

#[test]
fn detect_picks_an_available_kernel() {
    let kernel = ProjectionKernel::detect();
    assert!(kernel.available());
    assert!(ProjectionKernel::Tables.available());
    let patterns = random_bipolar(10, 70, 1);
    let net = PackedDenseMemory::new(patterns, DamSeparation::Power { degree: 3 }).unwrap();
    assert_eq!(net.projection(), kernel);
}
