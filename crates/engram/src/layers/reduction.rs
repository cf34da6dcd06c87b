//! Two-layer networks that reduce to the single-layer memories when the hidden layer is
//! integrated out (Krotov & Hopfield 2021, section 3).
//!
//! Visible layer `v` with the identity Lagrangian (`g = v`, `τ = 1`), an instantaneous hidden layer
//! `h` with Lagrangian `L_h`, and a dense synapse holding the patterns, `E_syn = -g_hᵀ Ξ v`. At the
//! hidden equilibrium `h = Ξ v` the energy is
//!
//! ```text
//! E(v) = ½ |v|² - L_h(Ξ v)       (their eq. 12 with L_v = ½ |v|²)
//! ```
//!
//! and an Euler step of size `Δt = τ = 1` is `v ← Ξᵀ ∂L_h/∂h (Ξ v)`:
//! * `L_h = (1/β) logsumexp(β h)`: the modern Hopfield energy (minus its constant) and update
//!   `v ← Ξᵀ softmax(β Ξ v)` (Ramsauer et al. 2020; Krotov & Hopfield 2021, eq. 15-16);
//! * `L_h = Σ max(h, 0)ⁿ⁺¹ / (n + 1)`: the continuous dense associative memory
//!   `v ← Ξᵀ max(Ξ v, 0)ⁿ` (the universal model's power separation);
//! * `L_h = Σ hⁿ` with `Ξ` scaled by `1/N`: on bipolar states, `N/2` plus the dense associative
//!   memory energy `-Σ_μ (ξ_μ·σ / N)ⁿ` (Krotov & Hopfield 2016, eq. 2, as `model::dam` scales it).

use ndarray::{Array1, ArrayView2};

use super::{Dense, Lagrangian, Layer, Network};
use crate::error::{Error, Result};

impl Network {
    /// The two-layer memory: an identity visible layer of `d` neurons (index 0, `τ = 1`), an
    /// instantaneous hidden layer of `K` neurons with Lagrangian `hidden` (index 1), and the
    /// patterns `(K, d)` as the dense synapse between them.
    ///
    /// ```
    /// use engram::layers::{DescentOptions, Lagrangian, Network};
    /// use ndarray::array;
    ///
    /// let patterns = array![[1.0, -1.0, 1.0], [-1.0, -1.0, 1.0]];
    /// let net = Network::two_layer_memory(patterns.view(), Lagrangian::Softmax { beta: 8.0 })
    ///     .unwrap();
    /// let opts = DescentOptions { step: 1.0, max_steps: 5, tolerance: 1e-9 };
    /// let out = net.descend(&net.visible_states(array![0.9, -0.8, 0.1]).unwrap(), &opts).unwrap();
    /// assert!((&out.states[0] - &patterns.row(0)).iter().all(|d| d.abs() < 1e-3));
    /// ```
    pub fn two_layer_memory(patterns: ArrayView2<f64>, hidden: Lagrangian) -> Result<Network> {
        let (k, d) = patterns.dim();
        if k == 0 || d == 0 {
            return Err(Error::Empty(
                "patterns: a memory needs at least one pattern of at least one entry".into(),
            ));
        }
        let visible = Layer::new(&[d], Lagrangian::Identity)?;
        let hidden = Layer::new(&[k], hidden)?.instantaneous();
        let synapse = Dense::new(1, 0, patterns.to_owned())?;
        Network::new(vec![visible, hidden], vec![synapse.into()])
    }

    /// States for a network whose layer 0 is visible: `visible` there, zeros elsewhere (the
    /// instantaneous layers are settled by the descent).
    pub fn visible_states(&self, visible: Array1<f64>) -> Result<Vec<Array1<f64>>> {
        let mut states = self.zero_states();
        if visible.len() != states[0].len() {
            return Err(Error::shape(
                "visible state",
                states[0].len(),
                visible.len(),
            ));
        }
        states[0] = visible;
        self.check_states(&states)?;
        Ok(states)
    }
}
