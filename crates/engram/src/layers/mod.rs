//! The Lagrangian framework of Krotov & Hopfield ("Large Associative Memory Problem in
//! Neurobiology and Machine Learning", ICLR 2021) and hierarchical associative memory (Krotov,
//! "Hierarchical Associative Memory", arXiv 2107.06446, 2021).
//!
//! A network is a graph of [`Layer`]s and [`Synapse`]s:
//!
//! * each layer `l` has a state `x_l`, a [`Lagrangian`] `L_l(x_l)`, an activation
//!   `g_l = ∂L_l/∂x_l` and a time constant `τ_l` (zero: instantaneous);
//! * each synapse adds an energy term `E_syn(g)`: [`Dense`] `-g_aᵀ W g_b`, [`Conv2d`]
//!   `-g_out · conv2d(g_in, K)`, [`Attention`] (energy attention over tokens) and
//!   [`HopfieldSynapse`] `-Σ_μ F(ξ_μ · g)`;
//! * the energy is `E = Σ_l [x_l·g_l - L_l(x_l)] + Σ_syn E_syn(g)` and the dynamics
//!   `τ_l dx_l/dt = -∂E/∂g_l = -(x_l + ∂E_syn/∂g_l)` descend it when every Lagrangian is convex.
//!
//! [`Network::descend`] integrates the dynamics with Euler steps and returns a [`Trajectory`]
//! with the energy trace. [`Network::two_layer_memory`] builds the two-layer networks that reduce
//! to the modern Hopfield network and the dense associative memory. With the `autodiff` feature,
//! every Lagrangian and synapse also writes its energy as candle operations
//! ([`Network::autodiff_gradients`]).
//!
//! ```
//! use engram::layers::{Dense, DescentOptions, Lagrangian, Layer, Network};
//! use ndarray::{array, Array1};
//!
//! // visible (3, tanh) <-> hidden1 (2, relu) <-> hidden2 (2, softmax, instantaneous)
//! let layers = vec![
//!     Layer::new(&[3], Lagrangian::Tanh).unwrap(),
//!     Layer::new(&[2], Lagrangian::Relu).unwrap(),
//!     Layer::new(&[2], Lagrangian::Softmax { beta: 2.0 }).unwrap().instantaneous(),
//! ];
//! let synapses = vec![
//!     Dense::new(1, 0, array![[1.0, -1.0, 0.5], [0.2, 0.4, -0.3]]).unwrap().into(),
//!     Dense::new(2, 1, array![[1.0, 0.0], [0.0, 1.0]]).unwrap().into(),
//! ];
//! let net = Network::new(layers, synapses).unwrap();
//! let init = vec![array![0.5, -0.2, 0.1], Array1::zeros(2), Array1::zeros(2)];
//! let out = net.descend(&init, &DescentOptions::default()).unwrap();
//! assert!(out.energies.windows(2).all(|e| e[1] <= e[0] + 1e-12));
//! ```

mod attention;
#[cfg(feature = "autodiff")]
mod autodiff;
mod conv;
mod descent;
mod hopfield;
mod lagrangian;
mod layer;
mod network;
mod reduction;
mod synapse;

pub use attention::Attention;
pub use conv::Conv2d;
pub use descent::{DescentOptions, Trajectory};
pub use hopfield::{HopfieldFunction, HopfieldSynapse};
pub use lagrangian::Lagrangian;
pub use layer::Layer;
pub use network::Network;
pub use synapse::{Dense, Synapse};
