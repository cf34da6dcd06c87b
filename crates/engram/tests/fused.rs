//! The fused streaming retrieval kernel (`engram::kernel::fused`) against the matrix-product
//! path and against a plain f64 reference: every fused separation (softmax over beta from 0.1
//! to 1e4, rectified power, identity), batch sizes 1..65, odd dimensions, pattern counts that
//! are not multiples of the chunk, and the exactness of merging per-range partial results.

use engram::dynamics::{recall, Dynamics, RecallOptions};
use engram::kernel::fused::{default_chunk_rows, fused_retrieve, FusedOptions, FusedSeparation};
use engram::model::{ModernHopfield, RetrievalPath, Separation, Similarity, Universal};
use engram::model::{FUSED_MAX_BATCH, FUSED_MIN_SCORE_BYTES};
use engram::pattern::{random_gaussian, random_sphere};
use ndarray::{Array1, Array2, ArrayView2};

/// Queries near the first `b` patterns (cycling), perturbed deterministically.
fn queries_near(patterns: &Array2<f32>, b: usize, noise: f32) -> Array2<f32> {
    let (k, d) = patterns.dim();
    Array2::from_shape_fn((b, d), |(i, j)| {
        patterns[[(i * 7) % k, j]] + noise * ((((i * 31 + j * 17) % 13) as f32) / 6.0 - 1.0)
    })
}

/// Straightforward f64 retrieval: weights from `sep` on every score, the weighted values and
/// the potential, with softmax computed with a max shift.
fn reference(
    queries: ArrayView2<f32>,
    keys: ArrayView2<f32>,
    values: ArrayView2<f32>,
    sep: FusedSeparation,
) -> (Array2<f64>, Array1<f64>) {
    let (b, dv) = (queries.nrows(), values.ncols());
    let mut out = Array2::<f64>::zeros((b, dv));
    let mut pot = Array1::<f64>::zeros(b);
    for qi in 0..b {
        let scores: Vec<f64> = keys
            .rows()
            .into_iter()
            .map(|k| {
                k.iter()
                    .zip(queries.row(qi))
                    .map(|(&a, &c)| a as f64 * c as f64)
                    .sum()
            })
            .collect();
        let (weights, phi): (Vec<f64>, f64) = match sep {
            FusedSeparation::Softmax { beta } => {
                let z: Vec<f64> = scores.iter().map(|s| s * beta as f64).collect();
                let m = z.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                let e: Vec<f64> = z.iter().map(|v| (v - m).exp()).collect();
                let sum: f64 = e.iter().sum();
                (
                    e.iter().map(|v| v / sum).collect(),
                    (m + sum.ln()) / beta as f64,
                )
            }
            FusedSeparation::RectifiedPower { degree } | FusedSeparation::Power { degree } => {
                let rect = matches!(sep, FusedSeparation::RectifiedPower { .. });
                let x: Vec<f64> = scores
                    .iter()
                    .map(|&s| if rect { s.max(0.0) } else { s })
                    .collect();
                (
                    x.iter().map(|v| v.powi(degree as i32)).collect(),
                    x.iter().map(|v| v.powi(degree as i32 + 1)).sum::<f64>()
                        / (degree as f64 + 1.0),
                )
            }
        };
        for (w, v) in weights.iter().zip(values.rows()) {
            for (o, &x) in out.row_mut(qi).iter_mut().zip(v) {
                *o += w * x as f64;
            }
        }
        pot[qi] = phi;
    }
    (out, pot)
}

/// Largest absolute difference, relative to the largest reference magnitude (at least 1).
fn rel_diff(got: ArrayView2<f32>, want: &Array2<f64>) -> f64 {
    let scale = want.iter().fold(1.0f64, |m, v| m.max(v.abs()));
    got.iter()
        .zip(want.iter())
        .map(|(&g, &w)| (g as f64 - w).abs())
        .fold(0.0, f64::max)
        / scale
}

fn max_abs_diff(a: ArrayView2<f32>, b: ArrayView2<f32>) -> f32 {
    a.iter()
        .zip(b.iter())
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f32::max)
}

#[test]
fn fused_softmax_matches_gemm_path_for_beta_0_1_to_1e4() {
    for &(b, k, d) in &[(1, 1000, 64), (3, 517, 33), (17, 1003, 17), (65, 300, 7)] {
        let patterns = random_sphere(k, d, 11);
        let queries = queries_near(&patterns, b, 0.05);
        for beta in [0.1f32, 1.0, 10.0, 100.0, 1e3, 1e4] {
            let sep = Separation::Softmax { beta };
            let fused = Universal::new(patterns.clone(), Similarity::Dot, sep)
                .unwrap()
                .with_path(RetrievalPath::Fused);
            let gemm = fused.clone().with_path(RetrievalPath::Gemm);
            assert!(fused.uses_fused(b) && !gemm.uses_fused(b));
            let (of, og) = (
                fused.retrieve(queries.view()).unwrap(),
                gemm.retrieve(queries.view()).unwrap(),
            );
            // Scores are rounded differently by the two products (|Δs| ~ 1e-7 for unit
            // vectors); the weights amplify that by beta.
            let tol = 2e-6 * (1.0 + beta);
            let diff = max_abs_diff(of.view(), og.view());
            assert!(diff <= tol, "B={b} K={k} d={d} beta={beta}: {diff} > {tol}");
            let (ef, eg) = (
                fused.energies(queries.view()).unwrap(),
                gemm.energies(queries.view()).unwrap(),
            );
            for (x, y) in ef.iter().zip(eg.iter()) {
                assert!(
                    (x - y).abs() <= 1e-5 * (1.0 + y.abs()),
                    "energy B={b} beta={beta}: {x} {y}"
                );
            }
            // Both against the f64 reference.
            let (want, pot) = reference(
                queries.view(),
                patterns.view(),
                patterns.view(),
                FusedSeparation::Softmax { beta },
            );
            assert!(
                rel_diff(of.view(), &want) <= tol as f64,
                "ref B={b} beta={beta}"
            );
            for (qi, e) in ef.iter().enumerate() {
                let x2: f64 = queries.row(qi).iter().map(|&v| v as f64 * v as f64).sum();
                let want_e = 0.5 * x2 - pot[qi];
                assert!(
                    (e - want_e).abs() <= 1e-5 * (1.0 + want_e.abs()),
                    "{e} {want_e}"
                );
            }
        }
    }
}

#[test]
fn fused_power_and_identity_match_gemm_path() {
    for &(b, k, d) in &[(1, 700, 31), (5, 333, 16), (33, 129, 9)] {
        // Gaussian patterns, so that scores are large and of both signs.
        let patterns = random_gaussian(k, d, 5);
        let queries = queries_near(&patterns, b, 0.3);
        for sep in [
            Separation::Identity,
            Separation::Power { degree: 1 },
            Separation::Power { degree: 2 },
            Separation::Power { degree: 3 },
            Separation::Power { degree: 5 },
        ] {
            let fused = Universal::new(patterns.clone(), Similarity::Dot, sep)
                .unwrap()
                .with_path(RetrievalPath::Fused);
            let gemm = fused.clone().with_path(RetrievalPath::Gemm);
            let of = fused.retrieve(queries.view()).unwrap();
            let og = gemm.retrieve(queries.view()).unwrap();
            let scale = og.iter().fold(1.0f32, |m, v| m.max(v.abs()));
            let diff = max_abs_diff(of.view(), og.view()) / scale;
            assert!(diff < 1e-5, "{} B={b} d={d}: {diff}", sep.describe());
            let ef = fused.energies(queries.view()).unwrap();
            let eg = gemm.energies(queries.view()).unwrap();
            for (x, y) in ef.iter().zip(eg.iter()) {
                assert!((x - y).abs() <= 1e-5 * (1.0 + y.abs()), "{x} {y}");
            }
        }
    }
}

#[test]
fn every_batch_size_1_to_65_with_odd_dimension_and_ragged_chunks() {
    let (k, d) = (203, 37);
    let patterns = random_sphere(k, d, 3);
    let queries = queries_near(&patterns, 65, 0.1);
    for sep in [
        FusedSeparation::Softmax { beta: 12.0 },
        FusedSeparation::RectifiedPower { degree: 3 },
        FusedSeparation::Power { degree: 2 },
    ] {
        for b in 1..=65 {
            let q = queries.slice(ndarray::s![..b, ..]);
            let (want, pot) = reference(q, patterns.view(), patterns.view(), sep);
            // 203 rows: chunks of 8 leave 3, of 13 leave 8, of 64 leave 11.
            for (chunk_rows, precise) in [(8, false), (13, true), (64, false), (64, true)] {
                let got = fused_retrieve(
                    q,
                    patterns.view(),
                    Some(patterns.view()),
                    sep,
                    FusedOptions {
                        chunk_rows,
                        parts: 3,
                        precise,
                    },
                );
                let out = got.out.unwrap();
                assert!(
                    rel_diff(out.view(), &want) < 1e-5,
                    "{sep:?} B={b} chunk={chunk_rows}"
                );
                // f64 scores make the potentials accurate far beyond f32 rounding.
                let tol = if precise { 1e-9 } else { 1e-5 };
                for (p, w) in got.potentials.iter().zip(pot.iter()) {
                    assert!((p - w).abs() <= tol * (1.0 + w.abs()), "{p} {w}");
                }
            }
        }
    }
}

#[test]
fn merging_partial_triples_is_exact_single_range_versus_many() {
    // One range (no merge) against 2..=40 ranges of chunks of 8: the merged (max, sum,
    // accumulator) triples must give the same result up to rounding, far below any
    // approximation error (a wrong rescaling would be off by factors like e^(beta * gap)).
    let patterns = random_sphere(320, 24, 9);
    let queries = queries_near(&patterns, 6, 0.2);
    for sep in [
        FusedSeparation::Softmax { beta: 50.0 },
        FusedSeparation::Softmax { beta: 0.5 },
        FusedSeparation::RectifiedPower { degree: 4 },
    ] {
        for precise in [false, true] {
            let run = |parts| {
                fused_retrieve(
                    queries.view(),
                    patterns.view(),
                    Some(patterns.view()),
                    sep,
                    FusedOptions {
                        chunk_rows: 8,
                        parts,
                        precise,
                    },
                )
            };
            let single = run(1);
            let one = single.out.as_ref().unwrap();
            for parts in [2, 3, 7, 40] {
                let many = run(parts);
                let diff = max_abs_diff(one.view(), many.out.as_ref().unwrap().view());
                assert!(diff < 2e-6, "{sep:?} parts={parts}: {diff}");
                // Ranges shift their exponentials by different maxima, so the f32 rounding of
                // each term differs: potentials agree to ~1e-9 relative, not bit for bit.
                for (a, b) in single.potentials.iter().zip(many.potentials.iter()) {
                    assert!((a - b).abs() < 1e-8 * (1.0 + a.abs()), "{a} {b}");
                }
            }
            // More parts than chunks is clamped to one part per chunk.
            let clamped = run(1000);
            assert!(max_abs_diff(one.view(), clamped.out.unwrap().view()) < 2e-6);
        }
    }
}

#[test]
fn potentials_only_mode_is_accurate_to_f64() {
    let patterns = random_sphere(500, 20, 2);
    let queries = queries_near(&patterns, 4, 0.1);
    let sep = FusedSeparation::Softmax { beta: 7.0 };
    let full = fused_retrieve(
        queries.view(),
        patterns.view(),
        Some(patterns.view()),
        sep,
        FusedOptions::default(),
    );
    let only = fused_retrieve(
        queries.view(),
        patterns.view(),
        None,
        sep,
        FusedOptions::default(),
    );
    assert!(only.out.is_none());
    // The potentials-only pass works in f64: at least as close to the f64 reference.
    let (_, want) = reference(queries.view(), patterns.view(), patterns.view(), sep);
    for ((f, o), w) in full.potentials.iter().zip(&only.potentials).zip(&want) {
        assert!((f - w).abs() < 1e-5 * (1.0 + w.abs()), "{f} {w}");
        assert!((o - w).abs() < 1e-7 * (1.0 + w.abs()), "{o} {w}");
    }
}

#[test]
fn hetero_association_uses_values_in_the_fused_pass() {
    let keys = random_sphere(411, 19, 4);
    let values = random_gaussian(411, 45, 8);
    let queries = queries_near(&keys, 9, 0.05);
    let sep = Separation::Softmax { beta: 30.0 };
    let fused = Universal::hetero(keys.clone(), values.clone(), Similarity::Dot, sep)
        .unwrap()
        .with_path(RetrievalPath::Fused);
    let gemm = fused.clone().with_path(RetrievalPath::Gemm);
    let of = fused.retrieve(queries.view()).unwrap();
    assert_eq!(of.dim(), (9, 45));
    let og = gemm.retrieve(queries.view()).unwrap();
    assert!(max_abs_diff(of.view(), og.view()) < 1e-4);
}

#[test]
fn auto_path_switches_at_the_documented_batch_and_only_for_fusable_models() {
    let patterns = random_sphere(50, 8, 1);
    let mhn = Universal::new(
        patterns.clone(),
        Similarity::Dot,
        Separation::Softmax { beta: 2.0 },
    )
    .unwrap();
    assert_eq!(mhn.path(), RetrievalPath::Auto);
    assert!(mhn.uses_fused(1) && mhn.uses_fused(FUSED_MAX_BATCH));
    assert!(!mhn.uses_fused(FUSED_MAX_BATCH + 1));
    // A score matrix beyond FUSED_MIN_SCORE_BYTES goes fused at any batch size.
    let wide_batch = FUSED_MIN_SCORE_BYTES / (4 * 50) + 1;
    assert!(mhn.uses_fused(wide_batch) && !mhn.uses_fused(wide_batch - 1));
    assert!(mhn
        .clone()
        .with_path(RetrievalPath::Fused)
        .uses_fused(10_000));
    assert!(!mhn.with_path(RetrievalPath::Gemm).uses_fused(1));
    for (sim, sep) in [
        (Similarity::Cosine, Separation::Softmax { beta: 2.0 }),
        (Similarity::NegEuclidean, Separation::Softmax { beta: 2.0 }),
        (Similarity::Dot, Separation::Sparsemax { beta: 2.0 }),
        (Similarity::Dot, Separation::Max),
    ] {
        let u = Universal::new(patterns.clone(), sim, sep)
            .unwrap()
            .with_path(RetrievalPath::Fused);
        assert!(!u.uses_fused(1), "{sim:?} {sep:?}");
    }
    assert_eq!(
        "fused".parse::<RetrievalPath>().unwrap(),
        RetrievalPath::Fused
    );
    assert!("fast".parse::<RetrievalPath>().is_err());
}

#[test]
fn modern_hopfield_recall_is_the_same_on_both_paths() {
    let patterns = random_sphere(300, 32, 21);
    let cues = queries_near(&patterns, 5, 0.3);
    let fused = ModernHopfield::new(patterns.clone(), 20.0)
        .unwrap()
        .with_path(RetrievalPath::Fused);
    let gemm = ModernHopfield::new(patterns, 20.0)
        .unwrap()
        .with_path(RetrievalPath::Gemm);
    let opts = RecallOptions::default();
    let a = recall(&fused, cues.view(), None, &opts).unwrap();
    let b = recall(&gemm, cues.view(), None, &opts).unwrap();
    assert!(max_abs_diff(a.states.view(), b.states.view()) < 1e-5);
    for (ea, eb) in a.final_energies().iter().zip(b.final_energies()) {
        assert!((ea - eb).abs() < 1e-5, "{ea} {eb}");
        assert!(*ea >= -1e-6, "the modern Hopfield energy is non-negative");
    }
}

#[test]
fn strided_inputs_and_default_chunk_give_the_same_result() {
    let patterns = random_sphere(150, 12, 6);
    let queries = queries_near(&patterns, 3, 0.1);
    // The same queries as a view of every other column of a wider array.
    let mut wide = Array2::<f32>::zeros((3, 24));
    wide.slice_mut(ndarray::s![.., ..;2]).assign(&queries);
    let strided = wide.slice(ndarray::s![.., ..;2]);
    assert!(!strided.is_standard_layout());
    let sep = FusedSeparation::Softmax { beta: 3.0 };
    let a = fused_retrieve(
        queries.view(),
        patterns.view(),
        Some(patterns.view()),
        sep,
        FusedOptions::default(),
    );
    let b = fused_retrieve(
        strided,
        patterns.view(),
        Some(patterns.view()),
        sep,
        FusedOptions::default(),
    );
    assert_eq!(a.out, b.out);
    assert_eq!(default_chunk_rows(128, 128), 48);
    assert_eq!(default_chunk_rows(256, 256), 24);
    assert_eq!(default_chunk_rows(784, 784), 56);
}

#[test]
fn overflow_is_reported_on_both_paths() {
    let patterns = random_gaussian(40, 16, 3) * 1e3;
    let queries = queries_near(&patterns, 2, 0.0);
    for sep in [
        Separation::Softmax { beta: 1e36 },
        Separation::Power { degree: 30 },
    ] {
        for path in [RetrievalPath::Fused, RetrievalPath::Gemm] {
            let u = Universal::new(patterns.clone(), Similarity::Dot, sep)
                .unwrap()
                .with_path(path);
            assert!(u.retrieve(queries.view()).is_err(), "{sep:?} {path:?}");
            assert!(u.energies(queries.view()).is_err(), "{sep:?} {path:?}");
        }
    }
}

#[test]
fn step_with_energies_matches_step_then_energies_on_both_paths() {
    let patterns = random_sphere(257, 40, 13);
    let queries = queries_near(&patterns, 7, 0.2);
    for path in [RetrievalPath::Fused, RetrievalPath::Gemm] {
        let net = ModernHopfield::new(patterns.clone(), 16.0)
            .unwrap()
            .with_path(path);
        let (next, energies) = net.step_with_energies(queries.view()).unwrap();
        let step = net.step(queries.view()).unwrap();
        let alone = net.energies(queries.view()).unwrap();
        assert!(max_abs_diff(next.view(), step.view()) < 1e-5, "{path:?}");
        for (a, b) in energies.iter().zip(alone.iter()) {
            assert!((a - b).abs() < 1e-8 * (1.0 + b.abs()), "{path:?}: {a} {b}");
        }
    }
    let power = Universal::new(
        random_gaussian(90, 11, 2),
        Similarity::Dot,
        Separation::Power { degree: 3 },
    )
    .unwrap()
    .with_path(RetrievalPath::Fused);
    let q = random_gaussian(5, 11, 3);
    let (next, energies) = power.step_with_energies(q.view()).unwrap();
    let step = power.step(q.view()).unwrap();
    let scale = step.iter().fold(1.0f32, |m, v| m.max(v.abs()));
    assert!(max_abs_diff(next.view(), step.view()) / scale < 1e-5);
    let alone = power.energies(q.view()).unwrap();
    for (a, b) in energies.iter().zip(alone.iter()) {
        assert!((a - b).abs() < 1e-8 * (1.0 + b.abs()), "{a} {b}");
    }
}

#[test]
fn gemm_path_in_query_blocks_matches_the_fused_kernel() {
    // More queries than GEMM_QUERY_BLOCK: the GEMM path works block by block.
    let b = engram::model::GEMM_QUERY_BLOCK + 45;
    let keys = random_sphere(120, 10, 31);
    let values = random_gaussian(120, 6, 32);
    let queries = queries_near(&keys, b, 0.1);
    let gemm = Universal::hetero(
        keys,
        values,
        Similarity::Dot,
        Separation::Softmax { beta: 9.0 },
    )
    .unwrap()
    .with_path(RetrievalPath::Gemm);
    let fused = gemm.clone().with_path(RetrievalPath::Fused);
    let og = gemm.retrieve(queries.view()).unwrap();
    assert_eq!(og.dim(), (b, 6));
    let of = fused.retrieve(queries.view()).unwrap();
    assert!(max_abs_diff(og.view(), of.view()) < 1e-4);
}
