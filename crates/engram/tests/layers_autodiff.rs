//! The candle path of the Lagrangian framework (feature `autodiff`): every Lagrangian's
//! activation and every synapse's gradient three ways, closed form against candle's
//! reverse-mode autodiff against central finite differences, and a whole network's ∂E/∂g.
#![cfg(feature = "autodiff")]

mod layers_common;

use engram::layers::Lagrangian;
use engram::numeric::Rng;
use layers_common::*;
use ndarray::Array1;

#[test]
fn autodiff_activations_match_closed_forms_and_finite_differences() {
    let mut rng = Rng::new(31);
    for lag in every_lagrangian(4) {
        for _ in 0..3 {
            let x = normal(&mut rng, 12, 1.5);
            let closed = Array1::from(lag.activation(&x.to_vec(), 4));
            let auto = Array1::from(lag.autodiff_activation(&x.to_vec(), 4).unwrap());
            let fd = numeric_gradient(&x, |x| lag.value(&x.to_vec(), 4));
            assert!(
                rel_err(&auto, &closed) < 1e-12,
                "{lag:?}: {auto} vs {closed}"
            );
            assert!(rel_err(&auto, &fd) < 1e-7, "{lag:?}: {auto} vs {fd}");
        }
    }
}

#[test]
fn candle_lagrangian_values_match_the_plain_ones() {
    let mut rng = Rng::new(32);
    for lag in every_lagrangian(4) {
        let x = normal(&mut rng, 12, 1.5);
        let t =
            candle_core::Tensor::from_vec(x.to_vec(), (3, 4), &candle_core::Device::Cpu).unwrap();
        let v = lag.value_tensor(&t).unwrap().to_scalar::<f64>().unwrap();
        let plain = lag.value(&x.to_vec(), 4);
        assert!(
            (v - plain).abs() < 1e-12 * (1.0 + plain.abs()),
            "{lag:?}: {v} vs {plain}"
        );
    }
}

#[test]
fn autodiff_synapse_gradients_match_closed_forms_and_finite_differences() {
    // Dense (one recurrent), conv2d with stride 2 and padding 1, self- and cross-attention and
    // both Hopfield functions, all in one network; energies too.
    let net = every_synapse_network(
        33,
        [
            Lagrangian::Identity,
            Lagrangian::Identity,
            Lagrangian::Identity,
            Lagrangian::Identity,
            Lagrangian::Identity,
        ],
    );
    for seed in 0..3 {
        let g = random_states(&net, 40 + seed, 1.0);
        let closed_e = net.synapse_energy(&g);
        let auto_e = net.autodiff_synapse_energy(&g).unwrap();
        assert!((closed_e - auto_e).abs() < 1e-10 * (1.0 + closed_e.abs()));
        // With identity Lagrangians g = x, so ∂E/∂g = x + ∂E_syn/∂g.
        let auto = net.autodiff_gradients(&g).unwrap();
        let closed = net.gradients(&g).unwrap();
        let fd = numeric_synapse_gradients(&net, &g);
        for l in 0..g.len() {
            let fd_total = &fd[l] + &g[l];
            assert!(rel_err(&auto[l], &closed[l]) < 1e-10, "layer {l}");
            assert!(rel_err(&auto[l], &fd_total) < 1e-7, "layer {l}");
        }
    }
}

#[test]
fn autodiff_network_gradients_match_for_every_lagrangian() {
    // The composed network with every Lagrangian placed on the token layers (the others rotate):
    // ∂E/∂g from backward() against the closed form x + ∂E_syn/∂g, and g from backward() of the
    // Lagrangians against the closed-form activations.
    let all = every_lagrangian(3);
    for (i, lag) in all.iter().enumerate() {
        let fit = |l: Lagrangian, group: usize| {
            if l.validate(group).is_ok() {
                l
            } else {
                Lagrangian::Sigmoid
            }
        };
        let lags = [
            lag.clone(),
            fit(all[(i + 1) % all.len()].clone(), 5),
            lag.clone(),
            fit(all[(i + 2) % all.len()].clone(), 5),
            lag.clone(),
        ];
        let net = every_synapse_network(50 + i as u64, lags);
        let x = random_states(&net, 60 + i as u64, 1.0);
        let auto_g = net.autodiff_activations(&x).unwrap();
        let closed_g = net.activations(&x).unwrap();
        let auto = net.autodiff_gradients(&x).unwrap();
        let closed = net.gradients(&x).unwrap();
        for l in 0..x.len() {
            assert!(
                rel_err(&auto_g[l], &closed_g[l]) < 1e-12,
                "{lag:?} layer {l}"
            );
            assert!(rel_err(&auto[l], &closed[l]) < 1e-10, "{lag:?} layer {l}");
        }
    }
}
