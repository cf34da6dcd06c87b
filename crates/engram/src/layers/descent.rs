//! Energy descent: Euler steps of `τ_l dx_l/dt = -∂E/∂g_l` with an energy trace.
//!
//! One step moves every layer with a time constant by `x_l ← x_l - (Δt/τ_l) ∂E/∂g_l` (clamped
//! neurons excepted) and then puts the instantaneous layers at their equilibrium
//! ([`Network::settle`]). The continuous flow never increases the energy when all Lagrangians are
//! convex; Euler steps inherit that for a small enough step: `Δt/τ_l` times the largest
//! curvature the layer sees (the Lipschitz constant of its activation times the norm of its
//! couplings) well below 1. A two-layer network with an identity visible layer and an
//! instantaneous hidden layer is the exception that takes `Δt = τ = 1` exactly: each step is then
//! a concave-convex step (the modern Hopfield update), which never increases the energy.

use ndarray::Array1;

use super::Network;
use crate::error::{ensure_positive, Error, Result};

/// Settings of [`Network::descend`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DescentOptions {
    /// Euler step `Δt > 0` (each layer moves by `Δt/τ_l` times its force).
    pub step: f64,
    /// Largest number of steps.
    pub max_steps: usize,
    /// Stop once no state entry moved by more than this in a step.
    pub tolerance: f64,
}

impl Default for DescentOptions {
    fn default() -> Self {
        DescentOptions {
            step: 0.1,
            max_steps: 1000,
            tolerance: 1e-8,
        }
    }
}

/// The result of a descent.
#[derive(Clone, Debug)]
pub struct Trajectory {
    /// Final state of every layer.
    pub states: Vec<Array1<f64>>,
    /// Energy at the start (after settling the instantaneous layers) and after every step.
    pub energies: Vec<f64>,
    /// Steps taken.
    pub steps: usize,
    /// Whether the tolerance was reached before `max_steps`.
    pub converged: bool,
}

impl Network {
    /// Descends the energy from `init` (one state per layer); see [`Network::descend_clamped`].
    ///
    /// ```
    /// use engram::layers::{Dense, DescentOptions, Lagrangian, Layer, Network};
    /// use ndarray::{array, Array1};
    ///
    /// let visible = Layer::new(&[2], Lagrangian::Tanh).unwrap();
    /// let hidden = Layer::new(&[2], Lagrangian::Relu).unwrap().with_tau(0.5).unwrap();
    /// let w = array![[1.0, -0.5], [0.3, 0.8]];
    /// let net = Network::new(vec![visible, hidden], vec![Dense::new(1, 0, w).unwrap().into()])
    ///     .unwrap();
    /// let out = net.descend(&[array![1.0, -1.0], Array1::zeros(2)], &DescentOptions::default())
    ///     .unwrap();
    /// assert!(out.energies.windows(2).all(|e| e[1] <= e[0] + 1e-12));
    /// ```
    pub fn descend(&self, init: &[Array1<f64>], opts: &DescentOptions) -> Result<Trajectory> {
        self.descend_clamped(init, &[], opts)
    }

    /// Descends the energy from `init` with some neurons held fixed: `clamped` lists
    /// `(layer, mask)` pairs, `mask[i] == true` freezing neuron `i` of that layer at its initial
    /// value (the observed pixels of a completion task). Instantaneous layers cannot be clamped.
    ///
    /// Errors: states of the wrong number, size or with non-finite values; a bad step, a mask of
    /// the wrong size or on an instantaneous layer; a state that overflows during the descent
    /// (the step is too large).
    pub fn descend_clamped(
        &self,
        init: &[Array1<f64>],
        clamped: &[(usize, Vec<bool>)],
        opts: &DescentOptions,
    ) -> Result<Trajectory> {
        ensure_positive("step", opts.step)?;
        if opts.tolerance.is_nan() || opts.tolerance < 0.0 {
            return Err(Error::param("tolerance", "must be >= 0"));
        }
        self.check_states(init)?;
        let layers = self.layers();
        let mut free: Vec<Array1<f64>> = layers.iter().map(|l| Array1::ones(l.size())).collect();
        for (l, mask) in clamped {
            let layer = layers.get(*l).ok_or_else(|| {
                Error::param(
                    "clamped",
                    format!("no layer {l} (the network has {})", layers.len()),
                )
            })?;
            if layer.is_instantaneous() {
                return Err(Error::param(
                    "clamped",
                    format!("layer {l} is instantaneous; it cannot be clamped"),
                ));
            }
            if mask.len() != layer.size() {
                return Err(Error::shape(
                    format!("clamp mask of layer {l}"),
                    layer.size(),
                    mask.len(),
                ));
            }
            for (f, &m) in free[*l].iter_mut().zip(mask) {
                if m {
                    *f = 0.0;
                }
            }
        }
        let mut states = init.to_vec();
        self.settle_unchecked(&mut states);
        let mut energies = vec![self.energy_unchecked(&states)];
        let mut steps = 0;
        let mut converged = false;
        while steps < opts.max_steps {
            let g = self.activations_unchecked(&states);
            let forces = self.synapse_gradients(&g);
            let mut largest = 0.0f64;
            for (l, layer) in layers.iter().enumerate() {
                if layer.is_instantaneous() {
                    continue;
                }
                let rate = opts.step / layer.tau();
                let x = &mut states[l];
                for ((xi, &d), &f) in x.iter_mut().zip(&forces[l]).zip(&free[l]) {
                    let delta = -rate * (*xi + d) * f;
                    *xi += delta;
                    largest = largest.max(delta.abs());
                }
            }
            self.settle_unchecked(&mut states);
            steps += 1;
            let energy = self.energy_unchecked(&states);
            if !energy.is_finite() || states.iter().any(|x| x.iter().any(|v| !v.is_finite())) {
                return Err(Error::Unsupported(format!(
                    "the descent diverged at step {steps} (non-finite state or energy); \
                     use a smaller step"
                )));
            }
            energies.push(energy);
            if largest <= opts.tolerance {
                converged = true;
                break;
            }
        }
        Ok(Trajectory {
            states,
            energies,
            steps,
            converged,
        })
    }
}
