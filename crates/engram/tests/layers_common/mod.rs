//! Shared by the layer tests: every Lagrangian, random synapses, finite differences.
#![allow(dead_code)] // each test file uses its own subset

use engram::layers::{
    Attention, Conv2d, Dense, HopfieldFunction, HopfieldSynapse, Lagrangian, Layer, Network,
    Synapse,
};
use engram::numeric::Rng;
use ndarray::{Array1, Array2, Array4};

/// Every Lagrangian the framework offers, with parameters (and the group size they are used with).
pub fn every_lagrangian(group: usize) -> Vec<Lagrangian> {
    vec![
        Lagrangian::Identity,
        Lagrangian::Relu,
        Lagrangian::Sigmoid,
        Lagrangian::Tanh,
        Lagrangian::Softmax { beta: 1.7 },
        Lagrangian::LayerNorm {
            gamma: 0.8,
            delta: (0..group).map(|i| 0.1 * i as f64 - 0.2).collect(),
            eps: 0.3,
        },
        Lagrangian::Spherical,
        Lagrangian::Power {
            degree: 4,
            coefficient: 0.25,
        },
        Lagrangian::Power {
            degree: 3,
            coefficient: 0.5,
        },
        Lagrangian::RectifiedPower {
            degree: 3,
            coefficient: 1.0 / 3.0,
        },
        Lagrangian::RectifiedPower {
            degree: 2,
            coefficient: 0.5,
        },
    ]
}

/// `n` standard normal draws times `scale`.
pub fn normal(rng: &mut Rng, n: usize, scale: f64) -> Array1<f64> {
    (0..n).map(|_| scale * rng.normal()).collect()
}

/// A `(rows, cols)` matrix of normal draws times `scale`.
pub fn normal_matrix(rng: &mut Rng, rows: usize, cols: usize, scale: f64) -> Array2<f64> {
    Array2::from_shape_fn((rows, cols), |_| scale * rng.normal())
}

/// Central difference of `f` at `x` along every coordinate.
pub fn numeric_gradient(x: &Array1<f64>, f: impl Fn(&Array1<f64>) -> f64) -> Array1<f64> {
    let h = 1e-6;
    (0..x.len())
        .map(|i| {
            let mut p = x.clone();
            let mut m = x.clone();
            p[i] += h;
            m[i] -= h;
            (f(&p) - f(&m)) / (2.0 * h)
        })
        .collect()
}

/// Largest absolute difference relative to `1 + max |b|`.
pub fn rel_err(a: &Array1<f64>, b: &Array1<f64>) -> f64 {
    assert_eq!(a.len(), b.len());
    let scale = 1.0 + b.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    a.iter()
        .zip(b)
        .fold(0.0f64, |m, (x, y)| m.max((x - y).abs()))
        / scale
}

/// A network exercising every synapse kind: a token layer (4 tokens x 3) with self-attention,
/// cross-attention and a Hopfield synapse of each function; an image layer (2 x 5 x 5) under a
/// strided, padded convolution to a feature layer (3 x 3 x 3); dense couplings (one recurrent).
pub fn every_synapse_network(seed: u64, lagrangians: [Lagrangian; 5]) -> Network {
    let mut rng = Rng::new(seed);
    let [l0, l1, l2, l3, l4] = lagrangians;
    let layers = vec![
        Layer::new(&[4, 3], l0).unwrap(),    // 0: tokens
        Layer::new(&[2, 5, 5], l1).unwrap(), // 1: image
        Layer::new(&[3, 3, 3], l2).unwrap(), // 2: conv features
        Layer::new(&[5], l3).unwrap(),       // 3: dense hidden
        Layer::new(&[2, 3], l4).unwrap(),    // 4: other tokens
    ];
    let kernel = Array4::from_shape_fn((3, 2, 3, 3), |_| 0.3 * rng.normal());
    let recurrent = normal_matrix(&mut rng, 5, 5, 0.2);
    let synapses: Vec<Synapse> = vec![
        Attention::new(
            0,
            0,
            normal_matrix(&mut rng, 2, 3, 0.7),
            normal_matrix(&mut rng, 2, 3, 0.7),
            1.3,
        )
        .unwrap()
        .into(),
        Attention::new(
            0,
            4,
            normal_matrix(&mut rng, 3, 3, 0.7),
            normal_matrix(&mut rng, 3, 3, 0.7),
            0.8,
        )
        .unwrap()
        .into(),
        HopfieldSynapse::new(
            0,
            normal_matrix(&mut rng, 6, 3, 0.8),
            HopfieldFunction::RectifiedPower { degree: 2 },
        )
        .unwrap()
        .into(),
        HopfieldSynapse::new(
            4,
            normal_matrix(&mut rng, 4, 3, 0.8),
            HopfieldFunction::LogSumExp { beta: 2.0 },
        )
        .unwrap()
        .into(),
        Conv2d::new(2, 1, kernel, 2, 1).unwrap().into(),
        Dense::new(3, 2, normal_matrix(&mut rng, 5, 27, 0.2))
            .unwrap()
            .into(),
        Dense::new(3, 3, &recurrent + &recurrent.t())
            .unwrap()
            .into(),
        Dense::new(0, 3, normal_matrix(&mut rng, 12, 5, 0.3))
            .unwrap()
            .into(),
    ];
    Network::new(layers, synapses).unwrap()
}

/// Random states for every layer of `net` (normal, times `scale`).
pub fn random_states(net: &Network, seed: u64, scale: f64) -> Vec<Array1<f64>> {
    let mut rng = Rng::new(seed);
    net.layers()
        .iter()
        .map(|l| normal(&mut rng, l.size(), scale))
        .collect()
}

/// `∂E_syn/∂g_l` by central differences of the synapse energy in the activations.
pub fn numeric_synapse_gradients(net: &Network, g: &[Array1<f64>]) -> Vec<Array1<f64>> {
    (0..g.len())
        .map(|l| {
            numeric_gradient(&g[l], |gl| {
                let mut all = g.to_vec();
                all[l] = gl.clone();
                net.synapse_energy(&all)
            })
        })
        .collect()
}
