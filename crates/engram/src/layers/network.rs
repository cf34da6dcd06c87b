//! A network of layers and synapses and its total energy (Krotov 2021, eq. 4):
//!
//! ```text
//! E = Σ_layers [x_l · g_l - L_l(x_l)] + Σ_synapses E_syn(g)
//! ```
//!
//! The dynamics `τ_l dx_l/dt = -∂E/∂g_l` use the gradient with respect to the activations, which
//! (because `g_l = ∂L_l/∂x_l`) is `x_l + ∂E_syn/∂g_l`; then
//! `dE/dt = -Σ_l τ_l (dx_l/dt)ᵀ H_l (dx_l/dt) <= 0` when every Hessian `H_l = ∂²L_l/∂x_l²` is
//! positive semi-definite (Krotov & Hopfield 2021, eq. 8).

use ndarray::Array1;

use super::{Layer, Synapse};
use crate::error::{Error, Result};

/// Layers and the synapses between them.
///
/// ```
/// use engram::layers::{Dense, Lagrangian, Layer, Network};
/// use ndarray::{array, Array1};
///
/// let visible = Layer::new(&[2], Lagrangian::Identity).unwrap();
/// let hidden = Layer::new(&[3], Lagrangian::Softmax { beta: 1.0 }).unwrap();
/// let w = array![[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]];        // (hidden, visible)
/// let net = Network::new(vec![visible, hidden], vec![Dense::new(1, 0, w).unwrap().into()])
///     .unwrap();
/// let states = vec![array![0.5, -0.5], Array1::zeros(3)];
/// let e = net.energy(&states).unwrap();
/// let grads = net.gradients(&states).unwrap();              // ∂E/∂g per layer
/// assert!(e.is_finite() && grads[1].len() == 3);
/// ```
#[derive(Clone, Debug)]
pub struct Network {
    layers: Vec<Layer>,
    synapses: Vec<Synapse>,
}

impl Network {
    /// A network of `layers` coupled by `synapses` (indices into `layers`).
    ///
    /// Errors: no layers, a synapse naming a missing layer or disagreeing with its layers'
    /// shapes, or an instantaneous layer that touches a synapse not linear in it (attention,
    /// Hopfield, or a dense synapse from the layer to itself) or another instantaneous layer:
    /// its equilibrium would not have a closed form.
    pub fn new(layers: Vec<Layer>, synapses: Vec<Synapse>) -> Result<Network> {
        if layers.is_empty() {
            return Err(Error::Empty("a network needs at least one layer".into()));
        }
        for s in &synapses {
            s.check(&layers)?;
        }
        for (l, layer) in layers.iter().enumerate() {
            if !layer.is_instantaneous() {
                continue;
            }
            for s in synapses.iter().filter(|s| s.layers().contains(&l)) {
                if !s.is_linear_in(l) {
                    return Err(Error::Unsupported(format!(
                        "instantaneous layer {l}: its {} synapse is not linear in it, so its \
                         equilibrium has no closed form (give it a time constant)",
                        s.kind()
                    )));
                }
                if s.layers()
                    .iter()
                    .any(|&m| m != l && layers[m].is_instantaneous())
                {
                    return Err(Error::Unsupported(format!(
                        "instantaneous layer {l} is coupled to another instantaneous layer \
                         (give one of them a time constant)"
                    )));
                }
            }
        }
        Ok(Network { layers, synapses })
    }

    /// The layers.
    pub fn layers(&self) -> &[Layer] {
        &self.layers
    }

    /// The synapses.
    pub fn synapses(&self) -> &[Synapse] {
        &self.synapses
    }

    /// Checks one state per layer, each finite and of the layer's size.
    pub fn check_states(&self, states: &[Array1<f64>]) -> Result<()> {
        if states.len() != self.layers.len() {
            return Err(Error::shape(
                "states (one per layer)",
                self.layers.len(),
                states.len(),
            ));
        }
        for (l, (layer, x)) in self.layers.iter().zip(states).enumerate() {
            layer.check_state(&format!("state of layer {l}"), x.view())?;
        }
        Ok(())
    }

    /// Zero states, one per layer.
    pub fn zero_states(&self) -> Vec<Array1<f64>> {
        self.layers
            .iter()
            .map(|l| Array1::zeros(l.size()))
            .collect()
    }

    /// The activations `g_l = ∂L_l/∂x_l` of every layer.
    pub fn activations(&self, states: &[Array1<f64>]) -> Result<Vec<Array1<f64>>> {
        self.check_states(states)?;
        Ok(self.activations_unchecked(states))
    }

    pub(crate) fn activations_unchecked(&self, states: &[Array1<f64>]) -> Vec<Array1<f64>> {
        self.layers
            .iter()
            .zip(states)
            .map(|(layer, x)| layer.activation(x.view()))
            .collect()
    }

    /// The total energy `Σ_l [x_l·g_l - L_l(x_l)] + Σ_s E_s(g)`.
    pub fn energy(&self, states: &[Array1<f64>]) -> Result<f64> {
        self.check_states(states)?;
        Ok(self.energy_unchecked(states))
    }

    pub(crate) fn energy_unchecked(&self, states: &[Array1<f64>]) -> f64 {
        let g = self.activations_unchecked(states);
        let layers: f64 = self
            .layers
            .iter()
            .zip(states)
            .zip(&g)
            .map(|((layer, x), g)| x.dot(g) - layer.lagrangian().value(&x.to_vec(), layer.group()))
            .sum();
        layers + self.synapse_energy(&g)
    }

    /// `Σ_s E_s(g)` for activations `g` (one per layer, unchecked sizes are the caller's duty).
    pub fn synapse_energy(&self, g: &[Array1<f64>]) -> f64 {
        self.synapses
            .iter()
            .map(|s| s.energy(&self.layers, g))
            .sum()
    }

    /// `∂(Σ_s E_s)/∂g_l` for every layer, from activations `g`.
    pub fn synapse_gradients(&self, g: &[Array1<f64>]) -> Vec<Array1<f64>> {
        let mut grads: Vec<Array1<f64>> = g.iter().map(|g| Array1::zeros(g.len())).collect();
        for s in &self.synapses {
            s.add_gradients(&self.layers, g, &mut grads);
        }
        grads
    }

    /// `∂E/∂g_l = x_l + ∂(Σ_s E_s)/∂g_l` for every layer: minus the right-hand side of the
    /// dynamics `τ_l dx_l/dt = -∂E/∂g_l`.
    pub fn gradients(&self, states: &[Array1<f64>]) -> Result<Vec<Array1<f64>>> {
        self.check_states(states)?;
        let g = self.activations_unchecked(states);
        let mut grads = self.synapse_gradients(&g);
        for (d, x) in grads.iter_mut().zip(states) {
            *d += x;
        }
        Ok(grads)
    }

    /// Puts every instantaneous layer at its equilibrium `x_l = -∂E_syn/∂g_l` given the other
    /// layers (which it depends on only, since its synapses are linear in it and touch no other
    /// instantaneous layer). For a convex Lagrangian this minimises the energy over `x_l`.
    pub fn settle(&self, states: &mut [Array1<f64>]) -> Result<()> {
        self.check_states(states)?;
        self.settle_unchecked(states);
        Ok(())
    }

    pub(crate) fn settle_unchecked(&self, states: &mut [Array1<f64>]) {
        if !self.layers.iter().any(Layer::is_instantaneous) {
            return;
        }
        let g = self.activations_unchecked(states);
        let grads = self.synapse_gradients(&g);
        for ((layer, x), d) in self.layers.iter().zip(states.iter_mut()).zip(grads) {
            if layer.is_instantaneous() {
                *x = -d;
            }
        }
    }
}
