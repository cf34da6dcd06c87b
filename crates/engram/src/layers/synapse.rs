//! Synapses: the energy terms that couple layers (Krotov 2021, eq. 3; Hoover et al. 2023).
//!
//! Every synapse is a function `E_syn(g)` of the activations of the layers it touches. The
//! dynamics need its gradients `∂E_syn/∂g_l`, which each kind gives in closed form here (and, with
//! the `autodiff` feature, as candle operations, `Synapse::energy_tensor`).

use ndarray::{Array1, Array2};

use super::{Attention, Conv2d, HopfieldSynapse, Layer};
use crate::error::{Error, Result};

/// A dense synapse between layers `a` and `b`: `E = -g_aᵀ W g_b`, `W` of shape
/// `(size_a, size_b)`. With `a == b` it is a recurrent coupling of one layer (then `W` should be
/// symmetric for the energy to be the one the dynamics descend; any `W` is accepted and its
/// symmetric part is what counts).
#[derive(Clone, Debug, PartialEq)]
pub struct Dense {
    a: usize,
    b: usize,
    weights: Array2<f64>,
}

impl Dense {
    /// A dense synapse from layer `b` to layer `a` with `weights` of shape `(size_a, size_b)`.
    pub fn new(a: usize, b: usize, weights: Array2<f64>) -> Result<Dense> {
        check_finite("dense weights", weights.iter())?;
        Ok(Dense { a, b, weights })
    }

    /// The two layers, `(a, b)`.
    pub fn layers(&self) -> (usize, usize) {
        (self.a, self.b)
    }

    /// The weights, shape `(size_a, size_b)`.
    pub fn weights(&self) -> &Array2<f64> {
        &self.weights
    }
}

/// Checks that every value is finite.
pub(crate) fn check_finite<'a>(what: &str, values: impl Iterator<Item = &'a f64>) -> Result<()> {
    let mut values = values;
    match values.position(|v| !v.is_finite()) {
        Some(index) => Err(Error::NonFinite {
            what: what.into(),
            index,
        }),
        None => Ok(()),
    }
}

/// One energy term of a network.
#[derive(Clone, Debug, PartialEq)]
pub enum Synapse {
    /// `E = -g_aᵀ W g_b`.
    Dense(Dense),
    /// `E = -g_out · conv2d(g_in, K)`.
    Conv2d(Conv2d),
    /// Energy attention over token-shaped layers.
    Attention(Attention),
    /// `E = -Σ_μ F(ξ_μ · g)` over stored patterns `ξ`, per token.
    Hopfield(HopfieldSynapse),
}

impl From<Dense> for Synapse {
    fn from(s: Dense) -> Synapse {
        Synapse::Dense(s)
    }
}

impl From<Conv2d> for Synapse {
    fn from(s: Conv2d) -> Synapse {
        Synapse::Conv2d(s)
    }
}

impl From<Attention> for Synapse {
    fn from(s: Attention) -> Synapse {
        Synapse::Attention(s)
    }
}

impl From<HopfieldSynapse> for Synapse {
    fn from(s: HopfieldSynapse) -> Synapse {
        Synapse::Hopfield(s)
    }
}

impl Synapse {
    /// The layers this synapse touches (a layer may appear twice).
    pub fn layers(&self) -> Vec<usize> {
        match self {
            Synapse::Dense(s) => vec![s.a, s.b],
            Synapse::Conv2d(s) => {
                let (o, i) = s.layers();
                vec![o, i]
            }
            Synapse::Attention(s) => {
                let (q, k) = s.layers();
                vec![q, k]
            }
            Synapse::Hopfield(s) => vec![s.layer()],
        }
    }

    /// Whether the energy is linear in the activation of `layer` (true for dense and
    /// convolutional synapses between two different layers); an instantaneous layer may only
    /// touch such synapses, so that its equilibrium has a closed form.
    pub fn is_linear_in(&self, layer: usize) -> bool {
        match self {
            Synapse::Dense(_) | Synapse::Conv2d(_) => {
                let l = self.layers();
                l.iter().filter(|&&x| x == layer).count() == 1
            }
            _ => false,
        }
    }

    /// Short name for tables and errors.
    pub fn kind(&self) -> &'static str {
        match self {
            Synapse::Dense(_) => "dense",
            Synapse::Conv2d(_) => "conv2d",
            Synapse::Attention(_) => "attention",
            Synapse::Hopfield(_) => "hopfield",
        }
    }

    /// Checks the synapse against the network's layers (indices and shapes).
    pub fn check(&self, layers: &[Layer]) -> Result<()> {
        for l in self.layers() {
            if l >= layers.len() {
                return Err(Error::param(
                    "synapse",
                    format!(
                        "{} synapse names layer {l}, but the network has {} layers",
                        self.kind(),
                        layers.len()
                    ),
                ));
            }
        }
        match self {
            Synapse::Dense(s) => {
                let expected = (layers[s.a].size(), layers[s.b].size());
                if s.weights.dim() != expected {
                    return Err(Error::shape(
                        format!("dense weights between layers {} and {}", s.a, s.b),
                        format!("{expected:?}"),
                        format!("{:?}", s.weights.dim()),
                    ));
                }
                Ok(())
            }
            Synapse::Conv2d(s) => s.check(layers),
            Synapse::Attention(s) => s.check(layers),
            Synapse::Hopfield(s) => s.check(layers),
        }
    }

    /// The energy `E_syn(g)`; `g` holds the activations of every layer of the network.
    /// `layers` are the network's layers (for the shapes).
    pub fn energy(&self, layers: &[Layer], g: &[Array1<f64>]) -> f64 {
        match self {
            Synapse::Dense(s) => -g[s.a].dot(&s.weights.dot(&g[s.b])),
            Synapse::Conv2d(s) => s.energy(layers, g),
            Synapse::Attention(s) => s.energy(layers, g),
            Synapse::Hopfield(s) => s.energy(layers, g[s.layer()].view()),
        }
    }

    /// Adds `∂E_syn/∂g_l` to `grads[l]` for every layer `l` the synapse touches.
    pub fn add_gradients(&self, layers: &[Layer], g: &[Array1<f64>], grads: &mut [Array1<f64>]) {
        match self {
            Synapse::Dense(s) => {
                let to_a = s.weights.dot(&g[s.b]);
                let to_b = s.weights.t().dot(&g[s.a]);
                grads[s.a] -= &to_a;
                grads[s.b] -= &to_b;
            }
            Synapse::Conv2d(s) => s.add_gradients(layers, g, grads),
            Synapse::Attention(s) => s.add_gradients(layers, g, grads),
            Synapse::Hopfield(s) => {
                let d = s.gradient(layers, g[s.layer()].view());
                grads[s.layer()] += &d;
            }
        }
    }
}
