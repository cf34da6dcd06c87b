//! The Lagrangian framework (Krotov & Hopfield, ICLR 2021) and hierarchical associative memory
//! (Krotov 2021): closed-form activations, Hessians and synapse gradients against finite
//! differences, energy descent on random multi-layer networks, the convexity condition, and the
//! exact reductions to the modern Hopfield network and the dense associative memory.

mod layers_common;

use engram::dynamics::Dynamics;
use engram::layers::{
    Conv2d, Dense, DescentOptions, HopfieldFunction, HopfieldSynapse, Lagrangian, Layer, Network,
};
use engram::model::{
    DamSeparation, DenseAssociativeMemory, ModernHopfield, Separation, Similarity, Universal,
};
use engram::numeric::Rng;
use engram::pattern::random_sphere;
use engram::Error;
use layers_common::*;
use ndarray::{array, Array1, Array2, Array4};

#[test]
fn activations_are_the_gradients_of_the_lagrangians() {
    // g = ∂L/∂x (Krotov & Hopfield 2021, eq. 2) for every Lagrangian, on a layer of 3 groups of
    // 4 (softmax, layer norm and spherical act per group). Central differences, h = 1e-6.
    let mut rng = Rng::new(1);
    for lag in every_lagrangian(4) {
        for _ in 0..3 {
            let x = normal(&mut rng, 12, 1.5);
            let g = Array1::from(lag.activation(&x.to_vec(), 4));
            let fd = numeric_gradient(&x, |x| lag.value(&x.to_vec(), 4));
            assert!(rel_err(&g, &fd) < 1e-7, "{lag:?}: {g} vs {fd}");
        }
    }
}

#[test]
fn hessian_vector_products_are_the_jacobians_of_the_activations() {
    let mut rng = Rng::new(2);
    for lag in every_lagrangian(4) {
        let x = normal(&mut rng, 12, 1.5);
        let v = normal(&mut rng, 12, 1.0);
        let hv = Array1::from(lag.hessian_vector(&x.to_vec(), &v.to_vec(), 4));
        // Directional derivative of g along v.
        let h = 1e-6;
        let gp = lag.activation(&(&x + &(&v * h)).to_vec(), 4);
        let gm = lag.activation(&(&x - &(&v * h)).to_vec(), 4);
        let fd: Array1<f64> = gp
            .iter()
            .zip(&gm)
            .map(|(p, m)| (p - m) / (2.0 * h))
            .collect();
        assert!(rel_err(&hv, &fd) < 1e-6, "{lag:?}: {hv} vs {fd}");
    }
}

#[test]
fn convex_lagrangians_have_positive_semidefinite_hessians_and_odd_powers_do_not() {
    // Krotov & Hopfield 2021, eq. 8 and the sentence after it: dE/dt <= 0 needs every Hessian
    // ∂²L/∂x∂x to be positive semi-definite. vᵀHv over random points and directions.
    let mut rng = Rng::new(3);
    for lag in every_lagrangian(4) {
        let mut smallest = f64::INFINITY;
        for _ in 0..200 {
            let x = normal(&mut rng, 12, 2.0);
            let v = normal(&mut rng, 12, 1.0);
            let hv = lag.hessian_vector(&x.to_vec(), &v.to_vec(), 4);
            smallest = smallest.min(hv.iter().zip(&v).map(|(a, b)| a * b).sum());
        }
        if lag.is_convex() {
            assert!(smallest > -1e-12, "{lag:?}: vᵀHv = {smallest}");
        } else {
            assert!(smallest < -1e-3, "{lag:?} should have a negative direction");
        }
    }
}

#[test]
fn synapse_gradients_match_finite_differences() {
    // ∂E_syn/∂g for dense (one recurrent), strided and padded conv2d, self- and cross-attention
    // and both Hopfield functions on token layers.
    let net = every_synapse_network(
        4,
        [
            Lagrangian::Identity,
            Lagrangian::Identity,
            Lagrangian::Identity,
            Lagrangian::Identity,
            Lagrangian::Identity,
        ],
    );
    for seed in 0..3 {
        let g = random_states(&net, 10 + seed, 1.0);
        let closed = net.synapse_gradients(&g);
        let fd = numeric_synapse_gradients(&net, &g);
        for (l, (c, f)) in closed.iter().zip(&fd).enumerate() {
            assert!(rel_err(c, f) < 1e-7, "layer {l}: {c} vs {f}");
        }
    }
}

#[test]
fn conv2d_energy_is_the_dense_energy_of_its_unrolled_matrix() {
    // E = -g_out · conv2d(g_in, K) equals -g_outᵀ W g_in with W the convolution's matrix,
    // built column by column from unit inputs.
    let mut rng = Rng::new(5);
    let kernel = Array4::from_shape_fn((2, 1, 2, 3), |_| rng.normal());
    let conv = Conv2d::new(1, 0, kernel, 1, 1).unwrap();
    let out = conv.output_shape(&[1, 4, 4]).unwrap();
    assert_eq!(out, [2, 5, 4]);
    let n_out: usize = out.iter().product();
    let mut w = Array2::zeros((n_out, 16));
    for j in 0..16 {
        let mut e = Array1::zeros(16);
        e[j] = 1.0;
        w.column_mut(j).assign(&conv.forward(&e, (4, 4), n_out));
    }
    let layers = || {
        vec![
            Layer::new(&[1, 4, 4], Lagrangian::Identity).unwrap(),
            Layer::new(&out, Lagrangian::Identity).unwrap(),
        ]
    };
    let a = Network::new(layers(), vec![conv.into()]).unwrap();
    let b = Network::new(layers(), vec![Dense::new(1, 0, w).unwrap().into()]).unwrap();
    let g = vec![normal(&mut rng, 16, 1.0), normal(&mut rng, n_out, 1.0)];
    assert!((a.synapse_energy(&g) - b.synapse_energy(&g)).abs() < 1e-12);
}

/// Energy changes along a trajectory must be <= this (rounding of f64 sums).
fn assert_descends(energies: &[f64], what: &str) {
    for (t, e) in energies.windows(2).enumerate() {
        let slack = 1e-10 * (1.0 + e[0].abs());
        assert!(
            e[1] <= e[0] + slack,
            "{what}: step {t}: {} -> {}",
            e[0],
            e[1]
        );
    }
}

/// Whether `lag`'s activation stays bounded (or grows at most linearly): then every synapse term
/// grows at most as fast as the layer's own energy and the total is bounded below.
fn grows_at_most_linearly(lag: &Lagrangian) -> bool {
    !matches!(
        lag,
        Lagrangian::Power { .. } | Lagrangian::RectifiedPower { degree: 3.., .. }
    )
}

#[test]
fn energy_never_increases_on_random_networks_with_every_convex_lagrangian() {
    // dE/dt = -Σ_l τ_l (dx_l/dt)ᵀ H_l (dx_l/dt) <= 0 (Krotov & Hopfield 2021, eq. 8; Krotov 2021,
    // eq. 5). Euler steps: Δt = 0.02 with τ in [0.5, 2], couplings of norm about 1 and activations
    // of slope at most about 2, so Δt/τ times the curvature stays far below 1. Every synapse kind
    // is in the network; the Lagrangian under test sits on three of its five layers.
    let convex: Vec<Lagrangian> = every_lagrangian(3)
        .into_iter()
        .filter(|l| l.is_convex() && grows_at_most_linearly(l))
        .collect();
    let opts = DescentOptions {
        step: 0.02,
        max_steps: 150,
        tolerance: 0.0,
    };
    for (i, lag) in convex.iter().enumerate() {
        let pick = |k: usize| convex[(i + k) % convex.len()].clone();
        let mut lags = [lag.clone(), pick(1), lag.clone(), pick(2), lag.clone()];
        // Layer-norm deltas are sized for groups of 3; the image layer's last axis is 5.
        for (k, l) in lags.iter_mut().enumerate() {
            let group = [3, 5, 3, 5, 3][k];
            if l.validate(group).is_err() {
                *l = Lagrangian::Tanh;
            }
        }
        let net = every_synapse_network(20 + i as u64, lags);
        let net = with_taus(&net, &[1.0, 0.5, 2.0, 1.0, 0.7]);
        for seed in 0..2 {
            let init = random_states(&net, 100 + seed, 1.0);
            let out = net
                .descend(&init, &opts)
                .unwrap_or_else(|e| panic!("{lag:?}: {e}"));
            assert_descends(&out.energies, &format!("{lag:?}"));
            assert!(
                out.energies[0] - out.energies.last().unwrap() > 1e-3,
                "{lag:?} did not move"
            );
        }
    }
}

#[test]
fn energy_never_increases_with_polynomial_hidden_layers() {
    // Polynomial activations grow faster than their layer's energy can pay for a quadratic
    // coupling (a Hopfield or recurrent synapse on them leaves E unbounded below), so they sit
    // between bounded layers here: tanh (6) <-> polynomial (5) <-> softmax (4, instantaneous),
    // as in the dense associative memory. Every convex Lagrangian of the list takes the middle.
    let mut rng = Rng::new(21);
    let opts = DescentOptions {
        step: 0.02,
        max_steps: 300,
        tolerance: 0.0,
    };
    for lag in every_lagrangian(5).into_iter().filter(|l| l.is_convex()) {
        let layers = vec![
            Layer::new(&[6], Lagrangian::Tanh).unwrap(),
            Layer::new(&[5], lag.clone())
                .unwrap()
                .with_tau(0.5)
                .unwrap(),
            Layer::new(&[4], Lagrangian::Softmax { beta: 2.0 })
                .unwrap()
                .instantaneous(),
        ];
        let synapses = vec![
            Dense::new(1, 0, normal_matrix(&mut rng, 5, 6, 0.5))
                .unwrap()
                .into(),
            Dense::new(2, 1, normal_matrix(&mut rng, 4, 5, 0.5))
                .unwrap()
                .into(),
        ];
        let net = Network::new(layers, synapses).unwrap();
        for _ in 0..3 {
            let init = vec![
                normal(&mut rng, 6, 1.0),
                normal(&mut rng, 5, 1.0),
                Array1::zeros(4),
            ];
            let out = net
                .descend(&init, &opts)
                .unwrap_or_else(|e| panic!("{lag:?}: {e}"));
            assert_descends(&out.energies, &format!("{lag:?}"));
        }
    }
}

/// The same network with the given time constants.
fn with_taus(net: &Network, taus: &[f64]) -> Network {
    let layers = net
        .layers()
        .iter()
        .zip(taus)
        .map(|(l, &t)| l.clone().with_tau(t).unwrap())
        .collect();
    Network::new(layers, net.synapses().to_vec()).unwrap()
}

#[test]
fn a_non_convex_lagrangian_lets_the_energy_rise() {
    // The converse of eq. 8: L = x³ has H = 6x < 0 for x < 0. Alone, the layer's energy is
    // x·g - L = 2x³ and τ dx/dt = -x drives x < 0 up to 0, so E rises all the way; with the
    // convex L = x⁴ it falls.
    let opts = DescentOptions {
        step: 0.05,
        max_steps: 50,
        tolerance: 0.0,
    };
    let cubic = Lagrangian::Power {
        degree: 3,
        coefficient: 1.0,
    };
    let net = Network::new(vec![Layer::new(&[3], cubic).unwrap()], vec![]).unwrap();
    let out = net.descend(&[array![-1.0, -0.5, -2.0]], &opts).unwrap();
    assert!(out.energies.windows(2).all(|e| e[1] > e[0]));
    let quartic = Lagrangian::Power {
        degree: 4,
        coefficient: 1.0,
    };
    let net = Network::new(vec![Layer::new(&[3], quartic).unwrap()], vec![]).unwrap();
    let out = net.descend(&[array![-1.0, -0.5, -2.0]], &opts).unwrap();
    assert_descends(&out.energies, "x^4");
}

#[test]
fn hierarchical_three_layer_network_descends_with_a_conv_synapse_and_an_instant_top() {
    // Krotov 2021's hierarchical memory: visible image (1 x 6 x 6) -> conv features (4 x 3 x 3,
    // ReLU) -> dense top layer (8, softmax, instantaneous). Energy must fall on every step and the
    // state must settle.
    let mut rng = Rng::new(7);
    let layers = vec![
        Layer::new(&[1, 6, 6], Lagrangian::Sigmoid).unwrap(),
        Layer::new(&[4, 3, 3], Lagrangian::Relu)
            .unwrap()
            .with_tau(0.5)
            .unwrap(),
        Layer::new(&[8], Lagrangian::Softmax { beta: 3.0 })
            .unwrap()
            .instantaneous(),
    ];
    let kernel = Array4::from_shape_fn((4, 1, 2, 2), |_| 0.5 * rng.normal());
    let synapses = vec![
        Conv2d::new(1, 0, kernel, 2, 0).unwrap().into(),
        Dense::new(2, 1, normal_matrix(&mut rng, 8, 36, 0.3))
            .unwrap()
            .into(),
    ];
    let net = Network::new(layers, synapses).unwrap();
    let init = vec![
        normal(&mut rng, 36, 2.0),
        Array1::zeros(36),
        Array1::zeros(8),
    ];
    let opts = DescentOptions {
        step: 0.05,
        max_steps: 3000,
        tolerance: 1e-9,
    };
    let out = net.descend(&init, &opts).unwrap();
    assert_descends(&out.energies, "hierarchical");
    assert!(out.converged, "{} steps", out.steps);
    // At the fixed point ∂E/∂g = 0 for the layers with dynamics.
    let grads = net.gradients(&out.states).unwrap();
    for (l, d) in grads.iter().take(2).enumerate() {
        assert!(d.iter().all(|v| v.abs() < 1e-6), "layer {l}: {d}");
    }
}

#[test]
fn settling_an_instantaneous_layer_minimises_the_energy_over_it() {
    // x_h = -∂E_syn/∂g_h is the minimiser over x_h for a convex L_h (the τ → 0 limit that
    // integrates the hidden layer out, Krotov & Hopfield 2021, section 3).
    let mut rng = Rng::new(8);
    for hidden in [
        Lagrangian::Softmax { beta: 2.0 },
        Lagrangian::Relu,
        Lagrangian::Tanh,
        Lagrangian::Spherical,
    ] {
        let net = Network::new(
            vec![
                Layer::new(&[5], Lagrangian::Sigmoid).unwrap(),
                Layer::new(&[4], hidden.clone()).unwrap().instantaneous(),
            ],
            vec![Dense::new(1, 0, normal_matrix(&mut rng, 4, 5, 1.0))
                .unwrap()
                .into()],
        )
        .unwrap();
        let mut states = vec![normal(&mut rng, 5, 1.0), Array1::zeros(4)];
        net.settle(&mut states).unwrap();
        let best = net.energy(&states).unwrap();
        for _ in 0..50 {
            let mut other = states.clone();
            other[1] = &other[1] + &normal(&mut rng, 4, 0.5);
            assert!(net.energy(&other).unwrap() >= best - 1e-12, "{hidden:?}");
        }
    }
}

fn to_f64(a: &Array2<f32>) -> Array2<f64> {
    a.mapv(|v| v as f64)
}

#[test]
fn softmax_hidden_layer_reproduces_the_modern_hopfield_update_and_energy() {
    // Krotov & Hopfield 2021, eq. 15-16 (model C): identity visible neurons, softmax hidden
    // neurons at inverse temperature β, τ_h → 0, Euler step Δt = τ_v = 1: v ← Ξᵀ softmax(β Ξ v),
    // Ramsauer et al.'s eq. 3, with energy ½|v|² - lse(β, Ξv) = their eq. 2 minus the constant
    // β⁻¹ log K + ½ M². Compared step by step with engram::model::ModernHopfield (f32) over 6
    // steps from noisy cues: 1e-5 on states, 1e-4 on energies.
    let patterns = random_sphere(30, 16, 11);
    let beta = 4.0f32;
    let mhn = ModernHopfield::new(patterns.clone(), beta).unwrap();
    let net = Network::two_layer_memory(
        to_f64(&patterns).view(),
        Lagrangian::Softmax { beta: beta as f64 },
    )
    .unwrap();
    let max_sq = patterns
        .rows()
        .into_iter()
        .map(|r| r.dot(&r) as f64)
        .fold(0.0, f64::max);
    let offset = (30f64).ln() / beta as f64 + 0.5 * max_sq;
    let mut rng = Rng::new(12);
    let opts = DescentOptions {
        step: 1.0,
        max_steps: 1,
        tolerance: 0.0,
    };
    for q in 0..5 {
        let mut v: Array2<f32> = patterns.slice(ndarray::s![q..q + 1, ..]).to_owned();
        v.mapv_inplace(|x| x + 0.3 * rng.normal() as f32);
        let mut states = net.visible_states(v.row(0).mapv(|x| x as f64)).unwrap();
        for _ in 0..6 {
            let e_mhn = mhn.energies(v.view()).unwrap()[0];
            let out = net.descend(&states, &opts).unwrap();
            assert!((out.energies[0] + offset - e_mhn).abs() < 1e-4);
            v = mhn.step(v.view()).unwrap();
            states = out.states;
            for (a, b) in states[0].iter().zip(v.row(0)) {
                assert!((a - *b as f64).abs() < 1e-5, "{a} vs {b}");
            }
        }
    }
}

#[test]
fn rectified_power_hidden_layer_reproduces_the_continuous_dense_memory() {
    // Krotov & Hopfield 2021, eq. 12 with L_h = Σ max(h,0)ⁿ⁺¹/(n+1): E = ½|v|² - Σ_μ
    // max(ξ_μ·v, 0)ⁿ⁺¹/(n+1) and the step v ← Ξᵀ max(Ξv, 0)ⁿ, the universal model's power
    // separation (the continuous dense associative memory). 4 steps from noisy cues, n = 2, 3.
    let patterns = random_sphere(20, 12, 13);
    let mut rng = Rng::new(14);
    for n in [2u32, 3] {
        let dam = Universal::new(
            patterns.clone(),
            Similarity::Dot,
            Separation::Power { degree: n },
        )
        .unwrap();
        let net = Network::two_layer_memory(
            to_f64(&patterns).view(),
            Lagrangian::RectifiedPower {
                degree: n + 1,
                coefficient: 1.0 / (n + 1) as f64,
            },
        )
        .unwrap();
        let opts = DescentOptions {
            step: 1.0,
            max_steps: 1,
            tolerance: 0.0,
        };
        let mut v: Array2<f32> = patterns.slice(ndarray::s![3..4, ..]).to_owned();
        v.mapv_inplace(|x| x + 0.2 * rng.normal() as f32);
        let mut states = net.visible_states(v.row(0).mapv(|x| x as f64)).unwrap();
        for _ in 0..4 {
            let e = dam.energies(v.view()).unwrap()[0];
            let out = net.descend(&states, &opts).unwrap();
            // The universal model sums in f32: relative 1e-5.
            let tol = 1e-5 * (1.0 + e.abs());
            assert!(
                (out.energies[0] - e).abs() < tol,
                "{} vs {e}",
                out.energies[0]
            );
            v = dam.step(v.view()).unwrap();
            states = out.states;
            for (a, b) in states[0].iter().zip(v.row(0)) {
                assert!((a - *b as f64).abs() < 1e-5 * (1.0 + b.abs() as f64));
            }
        }
    }
}

#[test]
fn power_hidden_layer_gives_the_dense_associative_memory_energy_and_update() {
    // Krotov & Hopfield 2016, eq. 2 (energy -Σ_μ F(ξ_μ·σ), here F(m) = (m/N)ⁿ as model::dam
    // scales it) from Krotov & Hopfield 2021, eq. 12: hidden Lagrangian L_h = Σ hⁿ and patterns
    // scaled by 1/N give, on bipolar σ, N/2 + E_DAM exactly (1e-9). The DAM's update of neuron i
    // takes the sign of lower energy (2016, eq. 4); the network energy picks the same signs.
    let mut rng = Rng::new(15);
    let (k, n) = (12, 24);
    let patterns = Array2::from_shape_fn((k, n), |_| rng.sign());
    for degree in [2u32, 3, 4] {
        let dam =
            DenseAssociativeMemory::new(patterns.clone(), DamSeparation::Power { degree }).unwrap();
        let net = Network::two_layer_memory(
            (to_f64(&patterns) / n as f64).view(),
            Lagrangian::Power {
                degree,
                coefficient: 1.0,
            },
        )
        .unwrap();
        let energy = |sigma: &Array1<f64>| {
            let mut s = net.visible_states(sigma.clone()).unwrap();
            net.settle(&mut s).unwrap();
            net.energy(&s).unwrap()
        };
        for _ in 0..5 {
            let sigma: Array1<f32> = (0..n).map(|_| rng.sign()).collect();
            let s64 = sigma.mapv(|v| v as f64);
            let e_dam = dam
                .energies(sigma.view().insert_axis(ndarray::Axis(0)))
                .unwrap()[0];
            assert!((energy(&s64) - n as f64 / 2.0 - e_dam).abs() < 1e-9);
            let next = dam
                .step(sigma.view().insert_axis(ndarray::Axis(0)))
                .unwrap();
            for i in 0..n {
                let (mut plus, mut minus) = (s64.clone(), s64.clone());
                plus[i] = 1.0;
                minus[i] = -1.0;
                let (ep, em) = (energy(&plus), energy(&minus));
                // An exact tie (frequent for even n) is decided by rounding in the DAM's sums;
                // either sign is a minimiser there.
                if (ep - em).abs() < 1e-12 {
                    continue;
                }
                let pick = if ep < em { 1.0 } else { -1.0 };
                assert_eq!(pick as f32, next[[0, i]], "degree {degree}, neuron {i}");
            }
        }
    }
}

#[test]
fn clamped_neurons_stay_put_and_the_rest_descends() {
    let patterns = random_sphere(10, 8, 16);
    let net =
        Network::two_layer_memory(to_f64(&patterns).view(), Lagrangian::Softmax { beta: 8.0 })
            .unwrap();
    let mut cue = patterns.row(2).mapv(|v| v as f64);
    for v in cue.iter_mut().skip(4) {
        *v = 0.0;
    }
    let mask: Vec<bool> = (0..8).map(|i| i < 4).collect();
    let opts = DescentOptions {
        step: 0.5,
        max_steps: 200,
        tolerance: 1e-10,
    };
    let out = net
        .descend_clamped(
            &net.visible_states(cue.clone()).unwrap(),
            &[(0, mask)],
            &opts,
        )
        .unwrap();
    assert_descends(&out.energies, "clamped");
    for i in 0..4 {
        assert_eq!(out.states[0][i], cue[i]);
    }
    for i in 4..8 {
        assert!((out.states[0][i] - patterns[[2, i]] as f64).abs() < 0.05);
    }
}

#[test]
fn bad_inputs_are_typed_errors() {
    let id = || Layer::new(&[3], Lagrangian::Identity).unwrap();
    assert!(matches!(
        Layer::new(&[], Lagrangian::Identity),
        Err(Error::Empty(_))
    ));
    assert!(matches!(
        Layer::new(&[3, 0], Lagrangian::Identity),
        Err(Error::Empty(_))
    ));
    assert!(matches!(
        Layer::new(&[3], Lagrangian::Softmax { beta: 0.0 }),
        Err(Error::Parameter { .. })
    ));
    assert!(matches!(
        Layer::new(
            &[3],
            Lagrangian::LayerNorm {
                gamma: 1.0,
                delta: vec![0.0; 2],
                eps: 1e-3
            }
        ),
        Err(Error::Shape { .. })
    ));
    assert!(matches!(
        Layer::new(
            &[3],
            Lagrangian::Power {
                degree: 0,
                coefficient: 1.0
            }
        ),
        Err(Error::Parameter { .. })
    ));
    assert!(matches!(id().with_tau(-1.0), Err(Error::Parameter { .. })));
    assert!(matches!(Network::new(vec![], vec![]), Err(Error::Empty(_))));
    // Wrong weight shape, missing layer, non-finite weights.
    let dense = Dense::new(1, 0, Array2::zeros((2, 3))).unwrap();
    assert!(matches!(
        Network::new(vec![id(), id()], vec![dense.clone().into()]),
        Err(Error::Shape { .. })
    ));
    assert!(matches!(
        Network::new(vec![id()], vec![dense.into()]),
        Err(Error::Parameter { .. })
    ));
    assert!(matches!(
        Dense::new(0, 1, array![[f64::NAN]]),
        Err(Error::NonFinite { .. })
    ));
    assert!(matches!(
        Conv2d::new(0, 0, Array4::zeros((1, 1, 1, 1)), 1, 0),
        Err(Error::Parameter { .. })
    ));
    assert!(matches!(
        Conv2d::new(1, 0, Array4::zeros((1, 1, 1, 1)), 0, 0),
        Err(Error::Parameter { .. })
    ));
    // Conv shapes that do not fit the layers.
    let conv = Conv2d::new(1, 0, Array4::zeros((2, 1, 3, 3)), 1, 0).unwrap();
    assert!(matches!(
        Network::new(
            vec![
                Layer::new(&[1, 4, 4], Lagrangian::Identity).unwrap(),
                Layer::new(&[2, 3, 3], Lagrangian::Identity).unwrap()
            ],
            vec![conv.into()]
        ),
        Err(Error::Shape { .. })
    ));
    // An instantaneous layer under a Hopfield synapse has no closed-form equilibrium.
    let hop = HopfieldSynapse::new(
        0,
        Array2::ones((2, 3)),
        HopfieldFunction::LogSumExp { beta: 1.0 },
    )
    .unwrap();
    assert!(matches!(
        Network::new(vec![id().instantaneous()], vec![hop.into()]),
        Err(Error::Unsupported(_))
    ));
    assert!(matches!(
        Network::new(
            vec![id().instantaneous(), id().instantaneous()],
            vec![Dense::new(1, 0, Array2::eye(3)).unwrap().into()]
        ),
        Err(Error::Unsupported(_))
    ));
    // States: wrong count, wrong size, non-finite; descent options; clamps.
    let net = Network::new(
        vec![id(), id()],
        vec![Dense::new(1, 0, Array2::eye(3)).unwrap().into()],
    )
    .unwrap();
    assert!(matches!(
        net.energy(&[Array1::zeros(3)]),
        Err(Error::Shape { .. })
    ));
    assert!(matches!(
        net.energy(&[Array1::zeros(3), Array1::zeros(2)]),
        Err(Error::Shape { .. })
    ));
    assert!(matches!(
        net.gradients(&[array![0.0, f64::INFINITY, 0.0], Array1::zeros(3)]),
        Err(Error::NonFinite { .. })
    ));
    let zeros = net.zero_states();
    let bad_step = DescentOptions {
        step: 0.0,
        ..Default::default()
    };
    assert!(matches!(
        net.descend(&zeros, &bad_step),
        Err(Error::Parameter { .. })
    ));
    let opts = DescentOptions::default();
    assert!(matches!(
        net.descend_clamped(&zeros, &[(0, vec![true; 2])], &opts),
        Err(Error::Shape { .. })
    ));
    assert!(matches!(
        net.descend_clamped(&zeros, &[(5, vec![true; 3])], &opts),
        Err(Error::Parameter { .. })
    ));
    // A step far too large for the curvature diverges into an error, not a NaN state.
    let steep = Network::new(
        vec![id(), id()],
        vec![Dense::new(1, 0, Array2::eye(3) * 10.0).unwrap().into()],
    )
    .unwrap();
    let big = DescentOptions {
        step: 5.0,
        max_steps: 10_000,
        tolerance: 0.0,
    };
    assert!(matches!(
        steep.descend(&[array![1.0, 1.0, 1.0], Array1::zeros(3)], &big),
        Err(Error::Unsupported(_))
    ));
}

#[test]
fn hierarchical_digit_completion_descends_and_beats_chance() {
    // The experiment behind `engram experiment hierarchical`, small: 200 memories, 40 queries.
    // Every trace descends; completions land in their own class far above chance (10%).
    use engram::experiment::hierarchical::{hierarchical_completion, HierarchicalOptions};
    let opts = HierarchicalOptions {
        memories: 200,
        queries: 40,
        ..Default::default()
    };
    let result = hierarchical_completion(&opts).unwrap();
    assert_eq!(result.rows.len(), 4);
    for row in &result.rows {
        assert!(row.max_energy_rise <= 1e-9, "{row:?}");
        assert!(row.energy_end < row.energy_start);
        assert!(row.completion_accuracy > 0.5, "{row:?}");
    }
    assert!(matches!(
        hierarchical_completion(&HierarchicalOptions {
            memories: 2000,
            ..Default::default()
        }),
        Err(Error::Parameter { .. })
    ));
}
