//! The energy transformer (Hoover et al. 2023) against its theory: every closed-form gradient
//! against candle's autodiff and finite differences (f64), the attention gradient against the
//! paper's equation written out index by index, energy descent for random and trained models,
//! exact gradients through the unrolled dynamics, bit-exact checkpoints and typed errors.
#![cfg(feature = "autodiff")]

use candle_core::{DType, Device, Tensor, Var};
use engram::energy_transformer::digits::{masked_mse, mean_fill, nearest_fill, split};
use engram::energy_transformer::{
    random_masks, train, EnergyAttention, EnergyLayerNorm, EnergyTransformer, EtConfig,
    HopfieldKind, HopfieldModule, ImageEt, ImageEtConfig, PatchGrid, TrainOptions,
};
use engram::numeric::Rng;
use engram::pattern::Digits;
use engram::Error;
use ndarray::{Array2, Axis};

/// A `(batch, tokens, dim)` f64 tensor of seeded normal entries.
fn tokens(batch: usize, n: usize, d: usize, seed: u64) -> Tensor {
    let mut rng = Rng::new(seed);
    let v: Vec<f64> = (0..batch * n * d).map(|_| rng.normal()).collect();
    Tensor::from_vec(v, (batch, n, d), &Device::Cpu).unwrap()
}

fn values(t: &Tensor) -> Vec<f64> {
    t.flatten_all()
        .unwrap()
        .to_dtype(DType::F64)
        .unwrap()
        .to_vec1()
        .unwrap()
}

fn max_abs_diff(a: &[f64], b: &[f64]) -> f64 {
    assert_eq!(a.len(), b.len());
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f64::max)
}

fn max_abs(a: &[f64]) -> f64 {
    a.iter().fold(0.0, |m, v| m.max(v.abs()))
}

/// Gradient of `sum(f(x))` with respect to `x`, by candle's autodiff.
fn autodiff(x: &Tensor, f: impl Fn(&Tensor) -> Tensor) -> Vec<f64> {
    let var = Var::from_tensor(x).unwrap();
    let y = f(var.as_tensor()).sum_all().unwrap();
    let grads = y.backward().unwrap();
    values(grads.get(var.as_tensor()).unwrap())
}

/// Central finite differences of `sum(f(x))` at every entry of `x` (step 1e-6, f64).
fn finite_differences(x: &Tensor, f: impl Fn(&Tensor) -> Tensor) -> Vec<f64> {
    let base = values(x);
    let h = 1e-6;
    (0..base.len())
        .map(|i| {
            let at = |delta: f64| {
                let mut v = base.clone();
                v[i] += delta;
                let t = Tensor::from_vec(v, x.dims(), &Device::Cpu).unwrap();
                f(&t).sum_all().unwrap().to_scalar::<f64>().unwrap()
            };
            (at(h) - at(-h)) / (2.0 * h)
        })
        .collect()
}

/// Checks a closed-form gradient against autodiff (to 1e-9 relative) and finite differences
/// (to 1e-5 relative) of the energy.
fn check_gradient(
    x: &Tensor,
    energy: impl Fn(&Tensor) -> Tensor,
    closed_form: impl Fn(&Tensor) -> Tensor,
) {
    let exact = values(&closed_form(x));
    let auto = autodiff(x, &energy);
    let fd = finite_differences(x, &energy);
    let scale = max_abs(&exact).max(1.0);
    assert!(
        max_abs_diff(&exact, &auto) < 1e-9 * scale,
        "autodiff differs by {}",
        max_abs_diff(&exact, &auto)
    );
    assert!(
        max_abs_diff(&exact, &fd) < 1e-5 * scale,
        "finite differences differ by {}",
        max_abs_diff(&exact, &fd)
    );
}

#[test]
fn layer_norm_activation_is_the_gradient_of_its_lagrangian() {
    let norm = EnergyLayerNorm::from_parameters(
        Tensor::new(&[1.7f64], &Device::Cpu).unwrap(),
        Tensor::new(&[0.1f64, -0.2, 0.3, 0.0, 0.5], &Device::Cpu).unwrap(),
        1e-5,
    )
    .unwrap();
    let x = tokens(2, 3, 5, 1);
    check_gradient(
        &x,
        |x| norm.lagrangian(x).unwrap(),
        |x| norm.activation(x).unwrap(),
    );
    // g has mean δ̄ and, without δ, variance γ² v / (v + ε) per token: the layer norm.
    let g = values(&norm.activation(&x).unwrap());
    let delta_mean = 0.7 / 5.0;
    for token in g.chunks(5) {
        let mean = token.iter().sum::<f64>() / 5.0;
        assert!((mean - delta_mean).abs() < 1e-12);
    }
}

#[test]
fn attention_gradient_matches_autodiff_and_finite_differences() {
    let mut rng = Rng::new(2);
    let att = EnergyAttention::new(3, 4, 6, 0.5, &mut rng, DType::F64).unwrap();
    let g = tokens(2, 5, 6, 3);
    check_gradient(
        &g,
        |g| att.energy(g).unwrap(),
        |g| att.energy_grad(g).unwrap(),
    );
}

#[test]
fn hopfield_gradients_match_autodiff_and_finite_differences() {
    for kind in [HopfieldKind::Relu, HopfieldKind::Softmax { beta: 2.0 }] {
        let mut rng = Rng::new(4);
        let hn = HopfieldModule::new(7, 6, kind, &mut rng, DType::F64).unwrap();
        let g = tokens(2, 4, 6, 5);
        check_gradient(
            &g,
            |g| hn.energy(g).unwrap(),
            |g| hn.energy_grad(g).unwrap(),
        );
    }
}

#[test]
fn block_gradient_matches_autodiff_and_finite_differences() {
    let config = EtConfig {
        dim: 8,
        heads: 2,
        head_dim: 4,
        memories: 10,
        ..EtConfig::default()
    };
    let et = EnergyTransformer::new(config, 6, DType::F64).unwrap();
    let g = tokens(2, 5, 8, 7);
    check_gradient(
        &g,
        |g| et.energy(g).unwrap(),
        |g| et.energy_grad(g).unwrap(),
    );
}

#[allow(clippy::needless_range_loop)] // the loops mirror the paper's indices
/// Hoover et al. 2023, eq. (4) (attention energy) and its derivative as printed in the paper:
/// ∂E/∂g_iA = -Σ_h Σ_α Σ_C [ W^Q_αhi K_αhC ω_hCA + W^K_αhi Q_αhC ω_hAC ], with
/// ω_hBC = softmax over B ≠ C of β K_hB . Q_hC. Written with explicit loops, independently of
/// the library's tensor code.
#[test]
fn attention_gradient_is_the_papers_equation() {
    let (h_count, y, d, n) = (2, 3, 5, 4);
    let beta = 0.7;
    let mut rng = Rng::new(8);
    let att = EnergyAttention::new(h_count, y, d, beta, &mut rng, DType::F64).unwrap();
    let wk = values(att.w_k().as_tensor());
    let wq = values(att.w_q().as_tensor());
    let g_t = tokens(1, n, d, 9);
    let g = values(&g_t);
    let w = |w: &[f64], h: usize, a: usize, i: usize| w[(h * y + a) * d + i];
    let proj = |w_: &[f64], h: usize, a: usize, tok: usize| -> f64 {
        (0..d).map(|i| w(w_, h, a, i) * g[tok * d + i]).sum()
    };
    let mut expected = vec![0.0; n * d];
    let mut energy = 0.0;
    for h in 0..h_count {
        let k = |b: usize, a: usize| proj(&wk, h, a, b);
        let q = |c: usize, a: usize| proj(&wq, h, a, c);
        let score = |b: usize, c: usize| (0..y).map(|a| k(b, a) * q(c, a)).sum::<f64>();
        // ω[b][c]: softmax over b ≠ c for each query c.
        let mut omega = vec![vec![0.0; n]; n];
        for c in 0..n {
            let z: f64 = (0..n)
                .filter(|&b| b != c)
                .map(|b| (beta * score(b, c)).exp())
                .sum();
            energy -= z.ln() / beta;
            for b in (0..n).filter(|&b| b != c) {
                omega[b][c] = (beta * score(b, c)).exp() / z;
            }
        }
        for a_tok in 0..n {
            for i in 0..d {
                let mut s = 0.0;
                for a in 0..y {
                    for c in 0..n {
                        s += w(&wq, h, a, i) * k(c, a) * omega[c][a_tok];
                        s += w(&wk, h, a, i) * q(c, a) * omega[a_tok][c];
                    }
                }
                expected[a_tok * d + i] -= s;
            }
        }
    }
    let got = values(&att.energy_grad(&g_t).unwrap());
    assert!(
        max_abs_diff(&got, &expected) < 1e-12,
        "{got:?} vs {expected:?}"
    );
    let e = values(&att.energy(&g_t).unwrap())[0];
    assert!((e - energy).abs() < 1e-12 * energy.abs().max(1.0));
}

/// When every token is the same, each query sees N - 1 equal keys, so
/// E_ATT = -(1/β) Σ_h N (β k_h . q_h + ln(N - 1)) exactly.
#[test]
fn identical_tokens_give_the_uniform_attention_energy() {
    let (heads, y, d, n) = (2, 4, 6, 5);
    let beta = 0.5;
    let mut rng = Rng::new(10);
    let att = EnergyAttention::new(heads, y, d, beta, &mut rng, DType::F64).unwrap();
    let one = tokens(1, 1, d, 11);
    let g = one.repeat((1, n, 1)).unwrap();
    let kq = |h: usize| -> f64 {
        let wk = values(att.w_k().as_tensor());
        let wq = values(att.w_q().as_tensor());
        let t = values(&one);
        (0..y)
            .map(|a| {
                let k: f64 = (0..d).map(|i| wk[(h * y + a) * d + i] * t[i]).sum();
                let q: f64 = (0..d).map(|i| wq[(h * y + a) * d + i] * t[i]).sum();
                k * q
            })
            .sum()
    };
    let expected: f64 = (0..heads)
        .map(|h| -(n as f64) * (beta * kq(h) + ((n - 1) as f64).ln()) / beta)
        .sum();
    let got = values(&att.energy(&g).unwrap())[0];
    assert!((got - expected).abs() < 1e-10, "{got} vs {expected}");
}

/// A small f64 image model: 4x4 images in 2x2 patches (4 tokens).
fn small_image_model(steps: usize, seed: u64) -> ImageEt {
    let config = ImageEtConfig {
        grid: PatchGrid::new((4, 4), (2, 2)).unwrap(),
        block: EtConfig {
            dim: 6,
            heads: 2,
            head_dim: 3,
            memories: 8,
            steps,
            ..EtConfig::default()
        },
    };
    ImageEt::new(config, seed, DType::F64).unwrap()
}

/// The loss after T steps is backpropagated through the unrolled dynamics (whose steps use
/// the closed-form ∂E/∂g): every parameter's gradient agrees with finite differences.
#[test]
fn gradients_through_the_unrolled_dynamics_are_exact() {
    let model = small_image_model(4, 12);
    let mut rng = Rng::new(13);
    let images = Array2::from_shape_fn((3, 16), |_| rng.uniform() as f32);
    let mut hidden = Array2::from_elem((3, 4), false);
    hidden[[0, 1]] = true;
    hidden[[1, 0]] = true;
    hidden[[1, 3]] = true;
    hidden[[2, 2]] = true;
    let loss = |m: &ImageEt| {
        m.loss(images.view(), hidden.view())
            .unwrap()
            .to_scalar::<f64>()
            .unwrap()
    };
    let grads = model
        .loss(images.view(), hidden.view())
        .unwrap()
        .backward()
        .unwrap();
    for (v, var) in model.vars().iter().enumerate() {
        let exact = values(grads.get(var.as_tensor()).unwrap());
        let base = values(var.as_tensor());
        // A few entries of each variable (all of the small ones).
        for i in (0..base.len()).step_by((base.len() / 5).max(1)) {
            let h = 1e-6;
            let set = |delta: f64| {
                let mut p = base.clone();
                p[i] += delta;
                var.set(&Tensor::from_vec(p, var.as_tensor().dims(), &Device::Cpu).unwrap())
                    .unwrap();
            };
            set(h);
            let up = loss(&model);
            set(-h);
            let down = loss(&model);
            set(0.0);
            let fd = (up - down) / (2.0 * h);
            assert!(
                (fd - exact[i]).abs() < 1e-6 * exact[i].abs().max(1e-2),
                "variable {v} entry {i}: backprop {} vs finite differences {fd}",
                exact[i]
            );
        }
    }
}

/// Energy descent of a random block, step size α = 0.1 (the reference code's), 30 steps: the
/// energy of every sample falls at every step.
#[test]
fn energy_never_increases_for_a_random_model() {
    for (seed, hopfield) in [
        (20, HopfieldKind::Relu),
        (21, HopfieldKind::Relu),
        (22, HopfieldKind::Softmax { beta: 1.0 }),
    ] {
        let config = EtConfig {
            hopfield,
            ..EtConfig::default()
        };
        let et = EnergyTransformer::new(config, seed, DType::F64).unwrap();
        let x = tokens(4, 16, config.dim, seed + 100);
        let out = et.descend(&x, 30).unwrap();
        for s in 1..out.energies.len() {
            for b in 0..4 {
                let (before, after) = (out.energies[s - 1][b], out.energies[s][b]);
                assert!(
                    after <= before + 1e-9 * before.abs(),
                    "seed {seed} step {s}: {before} -> {after}"
                );
            }
        }
        assert!(out.energies[30][0] < out.energies[0][0]);
    }
}

fn digits_subset(n: usize) -> Array2<f32> {
    let digits = Digits::load().unwrap();
    digits.unit().slice(ndarray::s![0..n, ..]).to_owned()
}

/// A briefly trained model (α = 0.1, T = 12) still descends its energy on held-out digits, and
/// training lowered its loss.
#[test]
fn energy_never_increases_for_a_trained_model() {
    let config = ImageEtConfig {
        block: EtConfig {
            dim: 16,
            heads: 2,
            head_dim: 8,
            memories: 32,
            ..EtConfig::default()
        },
        ..ImageEtConfig::digits()
    };
    let model = ImageEt::new(config, 30, DType::F32).unwrap();
    let images = digits_subset(300);
    let (train_images, test_images) = (
        images.slice(ndarray::s![..256, ..]),
        images.slice(ndarray::s![256.., ..]),
    );
    let options = TrainOptions {
        epochs: 6,
        batch_size: 32,
        learning_rate: 1e-2,
        hidden_patches: 8,
        seed: 31,
    };
    let mut calls = 0;
    let summary = train(&model, train_images, &options, |p| {
        calls += 1;
        assert!(p.loss.is_finite() && p.batch < p.batches && p.epoch < p.epochs);
    })
    .unwrap();
    assert_eq!(calls, 6 * 8);
    assert_eq!(summary.updates, 48);
    let first = summary.epoch_losses[0];
    let last = *summary.epoch_losses.last().unwrap();
    assert!(last < first, "loss {first} -> {last}");
    let hidden = random_masks(test_images.nrows(), 16, 8, &mut Rng::new(32)).unwrap();
    let out = model.complete(test_images, hidden.view()).unwrap();
    for s in 1..out.energies.len() {
        for (i, (a, b)) in out.energies[s - 1].iter().zip(&out.energies[s]).enumerate() {
            assert!(
                *b <= a + 1e-4 * a.abs().max(1.0),
                "image {i} step {s}: {a} -> {b}"
            );
        }
    }
    // Visible pixels are kept.
    let mask = config.grid.pixel_mask(hidden.view()).unwrap();
    for ((c, t), m) in out
        .completed
        .iter()
        .zip(test_images.iter())
        .zip(mask.iter())
    {
        if !m {
            assert_eq!(c, t);
        }
    }
}

#[test]
fn checkpoint_loads_back_into_an_identical_model() {
    let dir = std::env::temp_dir().join(format!("engram-et-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("et.safetensors");
    let model = ImageEt::new(ImageEtConfig::digits(), 40, DType::F32).unwrap();
    // Move the parameters away from their initial values first.
    let images = digits_subset(64);
    let options = TrainOptions {
        epochs: 1,
        batch_size: 32,
        ..TrainOptions::default()
    };
    train(&model, images.view(), &options, |_| {}).unwrap();
    model.save(&path).unwrap();
    let back = ImageEt::load(&path).unwrap();
    assert_eq!(back.config(), model.config());
    let hidden = random_masks(64, 16, 6, &mut Rng::new(41)).unwrap();
    let a = model.complete(images.view(), hidden.view()).unwrap();
    let b = back.complete(images.view(), hidden.view()).unwrap();
    assert_eq!(a.decoded, b.decoded);
    assert_eq!(a.energies, b.energies);
    let la = model
        .loss(images.view(), hidden.view())
        .unwrap()
        .to_scalar::<f32>()
        .unwrap();
    let lb = back
        .loss(images.view(), hidden.view())
        .unwrap()
        .to_scalar::<f32>()
        .unwrap();
    assert_eq!(la.to_bits(), lb.to_bits());
    // A damaged or foreign file is an error, not a panic.
    let bytes = std::fs::read(&path).unwrap();
    std::fs::write(&path, &bytes[..bytes.len() / 3]).unwrap();
    assert!(matches!(ImageEt::load(&path), Err(Error::Format { .. })));
    assert!(matches!(
        ImageEt::load(&dir.join("missing")),
        Err(Error::Io { .. })
    ));
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn baselines_fill_hidden_pixels_as_defined() {
    let train_images =
        Array2::from_shape_vec((2, 3), vec![0.0f32, 1.0, 1.0, 1.0, 0.0, 0.0]).unwrap();
    let test = Array2::from_shape_vec((1, 3), vec![0.9f32, 0.1, 0.5]).unwrap();
    let hidden = Array2::from_shape_vec((1, 3), vec![false, false, true]).unwrap();
    let mean = mean_fill(train_images.view(), test.view(), hidden.view()).unwrap();
    assert_eq!(mean.row(0).to_vec(), vec![0.9, 0.1, 0.5]);
    let near = nearest_fill(train_images.view(), test.view(), hidden.view()).unwrap();
    assert_eq!(near.row(0).to_vec(), vec![0.9, 0.1, 0.0]); // the second image is nearer
    let truth = Array2::from_shape_vec((1, 3), vec![0.9f32, 0.1, 0.25]).unwrap();
    assert!((masked_mse(near.view(), truth.view(), hidden.view()).unwrap() - 0.0625).abs() < 1e-12);
    let (tr, te) = split(100, 0.2, 1).unwrap();
    assert_eq!((tr.len(), te.len()), (80, 20));
    let mut all: Vec<usize> = tr.iter().chain(&te).copied().collect();
    all.sort();
    assert_eq!(all, (0..100).collect::<Vec<_>>());
}

#[test]
fn bad_inputs_are_typed_errors() {
    let et = EnergyTransformer::new(EtConfig::default(), 1, DType::F32).unwrap();
    let wrong_dim = Tensor::zeros((1, 4, 7), DType::F32, &Device::Cpu).unwrap();
    assert!(matches!(
        et.descend(&wrong_dim, 1),
        Err(Error::Shape { .. })
    ));
    let one_token = Tensor::ones((1, 1, 32), DType::F32, &Device::Cpu).unwrap();
    assert!(matches!(
        et.descend(&one_token, 1),
        Err(Error::Parameter { .. })
    ));
    let f64_tokens = Tensor::ones((1, 4, 32), DType::F64, &Device::Cpu).unwrap();
    assert!(matches!(
        et.descend(&f64_tokens, 1),
        Err(Error::Parameter { .. })
    ));
    let nan = Tensor::new(&[[[f32::NAN; 32], [0.0; 32]]], &Device::Cpu).unwrap();
    assert!(matches!(et.descend(&nan, 1), Err(Error::NonFinite { .. })));
    for bad in [
        EtConfig {
            dim: 0,
            ..EtConfig::default()
        },
        EtConfig {
            step_size: 0.0,
            ..EtConfig::default()
        },
        EtConfig {
            attention_beta: Some(f64::NAN),
            ..EtConfig::default()
        },
        EtConfig {
            hopfield: HopfieldKind::Softmax { beta: -1.0 },
            ..EtConfig::default()
        },
    ] {
        assert!(matches!(
            EnergyTransformer::new(bad, 1, DType::F32),
            Err(Error::Parameter { .. })
        ));
    }
    assert!(EnergyTransformer::new(EtConfig::default(), 1, DType::U8).is_err());

    let model = ImageEt::new(ImageEtConfig::digits(), 1, DType::F32).unwrap();
    let images = Array2::from_elem((2, 64), 0.5f32);
    let hidden = Array2::from_elem((2, 16), true);
    assert!(matches!(
        model.complete(images.view(), Array2::from_elem((2, 15), true).view()),
        Err(Error::Shape { .. })
    ));
    assert!(matches!(
        model.complete(Array2::from_elem((2, 63), 0.5f32).view(), hidden.view()),
        Err(Error::Shape { .. })
    ));
    assert!(matches!(
        model.complete(
            Array2::zeros((0, 64)).view(),
            Array2::from_elem((0, 16), true).view()
        ),
        Err(Error::Empty(_))
    ));
    let mut nan_images = images.clone();
    nan_images[[1, 5]] = f32::NAN;
    assert!(matches!(
        model.complete(nan_images.view(), hidden.view()),
        Err(Error::NonFinite { .. })
    ));
    let none_hidden = Array2::from_elem((2, 16), false);
    assert!(model.loss(images.view(), none_hidden.view()).is_err());
    for options in [
        TrainOptions {
            epochs: 0,
            ..TrainOptions::default()
        },
        TrainOptions {
            batch_size: 0,
            ..TrainOptions::default()
        },
        TrainOptions {
            learning_rate: -1.0,
            ..TrainOptions::default()
        },
        TrainOptions {
            hidden_patches: 16,
            ..TrainOptions::default()
        },
    ] {
        assert!(matches!(
            train(&model, images.view(), &options, |_| {}),
            Err(Error::Parameter { .. })
        ));
    }
    assert!(matches!(
        train(
            &model,
            Array2::zeros((0, 64)).view(),
            &TrainOptions::default(),
            |_| {}
        ),
        Err(Error::Empty(_))
    ));
    assert!(split(10, 1.5, 0).is_err());
    let _ = Axis(0);
}
