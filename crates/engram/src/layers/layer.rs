//! A layer of neurons: its shape, its Lagrangian and its time constant.

use ndarray::{Array1, ArrayView1};

use super::Lagrangian;
use crate::error::{Error, Result};

/// A layer of neurons with state `x` (a flat vector holding an array of shape [`Layer::shape`]),
/// Lagrangian `L` and time constant `τ` of its dynamics `τ dx/dt = -∂E/∂g`.
///
/// A time constant of zero makes the layer *instantaneous*: it sits at its equilibrium given the
/// other layers at every moment, which integrates it out of the energy (Krotov & Hopfield 2021,
/// section 3).
///
/// ```
/// use engram::layers::{Lagrangian, Layer};
///
/// let hidden = Layer::new(&[10], Lagrangian::Softmax { beta: 4.0 }).unwrap().instantaneous();
/// assert_eq!(hidden.size(), 10);
/// assert!(hidden.is_instantaneous());
/// let tokens = Layer::new(&[5, 8], Lagrangian::Spherical).unwrap();
/// assert_eq!(tokens.group(), 8);   // each token is normalised on its own
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Layer {
    shape: Vec<usize>,
    lagrangian: Lagrangian,
    tau: f64,
}

impl Layer {
    /// A layer of the given shape (at least one axis, no zero sides) with time constant 1.
    pub fn new(shape: &[usize], lagrangian: Lagrangian) -> Result<Layer> {
        if shape.is_empty() || shape.contains(&0) {
            return Err(Error::Empty(format!(
                "layer shape {shape:?}: a layer needs at least one axis and no zero side"
            )));
        }
        let group = *shape.last().expect("checked non-empty");
        lagrangian.validate(group)?;
        Ok(Layer {
            shape: shape.to_vec(),
            lagrangian,
            tau: 1.0,
        })
    }

    /// The same layer with time constant `tau` (`tau > 0`; see [`Layer::instantaneous`] for 0).
    pub fn with_tau(mut self, tau: f64) -> Result<Layer> {
        crate::error::ensure_positive("tau", tau)?;
        self.tau = tau;
        Ok(self)
    }

    /// The same layer at instantaneous equilibrium (`τ → 0`).
    pub fn instantaneous(mut self) -> Layer {
        self.tau = 0.0;
        self
    }

    /// The shape of the state (the last axis is the group a coupled Lagrangian acts on).
    pub fn shape(&self) -> &[usize] {
        &self.shape
    }

    /// Number of neurons.
    pub fn size(&self) -> usize {
        self.shape.iter().product()
    }

    /// Neurons per group: the length of the last axis.
    pub fn group(&self) -> usize {
        *self.shape.last().expect("a layer has at least one axis")
    }

    /// The Lagrangian.
    pub fn lagrangian(&self) -> &Lagrangian {
        &self.lagrangian
    }

    /// The time constant (0 for an instantaneous layer).
    pub fn tau(&self) -> f64 {
        self.tau
    }

    /// Whether the layer is at instantaneous equilibrium.
    pub fn is_instantaneous(&self) -> bool {
        self.tau == 0.0
    }

    /// Checks that `x` is a finite state of this layer; `what` names it in the error.
    pub fn check_state(&self, what: &str, x: ArrayView1<f64>) -> Result<()> {
        if x.len() != self.size() {
            return Err(Error::shape(what, self.size(), x.len()));
        }
        match x.iter().position(|v| !v.is_finite()) {
            Some(index) => Err(Error::NonFinite {
                what: what.into(),
                index,
            }),
            None => Ok(()),
        }
    }

    /// The activation `g = ∂L/∂x` of state `x` (which must have [`Layer::size`] entries).
    pub fn activation(&self, x: ArrayView1<f64>) -> Array1<f64> {
        let x = x.to_vec();
        Array1::from(self.lagrangian.activation(&x, self.group()))
    }

    /// The energy term `x·g - L(x)` of state `x`.
    pub fn energy(&self, x: ArrayView1<f64>) -> f64 {
        let x = x.to_vec();
        self.lagrangian.energy(&x, self.group())
    }
}
