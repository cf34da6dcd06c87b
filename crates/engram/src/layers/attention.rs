//! The energy-attention synapse of the Energy Transformer (Hoover et al. 2023, eq. 3), one head.
//!
//! Over token-shaped layers (`T` tokens of `D` features, the last axis being the features): keys
//! `K_B = W_K g_B` from the key layer, queries `Q_C = W_Q g_C` from the query layer (both `Y`
//! dimensional), and
//!
//! ```text
//! E = -(1/β) Σ_C log Σ_B exp(β K_B · Q_C).
//! ```
//!
//! With `A_BC = softmax_B(β K_B · Q_C)`: `∂E/∂Q_C = -Σ_B A_BC K_B` and `∂E/∂K_B = -Σ_C A_BC Q_C`,
//! pulled back through `W_Q` and `W_K`. Several heads are several synapses (their energies add).
//! Unlike the paper this sum keeps `B = C`; a layer may attend to itself (`query == key`).

use ndarray::{Array1, Array2, ArrayView2, Axis};

use super::synapse::check_finite;
use super::Layer;
use crate::error::{ensure_positive, Error, Result};

/// One head of energy attention from a key layer to a query layer.
///
/// ```
/// use engram::layers::Attention;
/// use ndarray::Array2;
///
/// // Tokens of 8 features attending to themselves through 4-dimensional keys and queries.
/// let head = Attention::new(0, 0, Array2::eye(8).slice_move(ndarray::s![..4, ..]),
///     Array2::eye(8).slice_move(ndarray::s![..4, ..]), 1.0).unwrap();
/// assert_eq!(head.layers(), (0, 0));
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Attention {
    query: usize,
    key: usize,
    wq: Array2<f64>,
    wk: Array2<f64>,
    beta: f64,
}

impl Attention {
    /// A head with query weights `wq` `(Y, D_query)` on layer `query`, key weights `wk`
    /// `(Y, D_key)` on layer `key`, and inverse temperature `beta > 0`.
    pub fn new(
        query: usize,
        key: usize,
        wq: Array2<f64>,
        wk: Array2<f64>,
        beta: f64,
    ) -> Result<Attention> {
        ensure_positive("beta", beta)?;
        if wq.nrows() != wk.nrows() {
            return Err(Error::shape(
                "attention key weights (rows = Y of the queries)",
                wq.nrows(),
                wk.nrows(),
            ));
        }
        if wq.is_empty() || wk.is_empty() {
            return Err(Error::Empty("attention weights have a zero side".into()));
        }
        check_finite("attention query weights", wq.iter())?;
        check_finite("attention key weights", wk.iter())?;
        Ok(Attention {
            query,
            key,
            wq,
            wk,
            beta,
        })
    }

    /// The layers, `(query, key)`.
    pub fn layers(&self) -> (usize, usize) {
        (self.query, self.key)
    }

    /// Query weights `(Y, D_query)`.
    pub fn query_weights(&self) -> &Array2<f64> {
        &self.wq
    }

    /// Key weights `(Y, D_key)`.
    pub fn key_weights(&self) -> &Array2<f64> {
        &self.wk
    }

    /// The inverse temperature.
    pub fn beta(&self) -> f64 {
        self.beta
    }

    pub(crate) fn check(&self, layers: &[Layer]) -> Result<()> {
        for (name, l, w) in [("query", self.query, &self.wq), ("key", self.key, &self.wk)] {
            if layers[l].group() != w.ncols() {
                return Err(Error::shape(
                    format!("attention {name} weights (columns = features of layer {l})"),
                    layers[l].group(),
                    w.ncols(),
                ));
            }
        }
        Ok(())
    }

    /// `(tokens, features)` view of a flat activation with `features` per token.
    fn tokens(g: &Array1<f64>, features: usize) -> ArrayView2<'_, f64> {
        g.view()
            .into_shape_with_order((g.len() / features, features))
            .expect("a layer's size is a multiple of its group")
    }

    /// Keys `(T_k, Y)`, queries `(T_q, Y)` and attention `A` `(T_k, T_q)` (columns sum to 1),
    /// with each column's `log Σ_B exp(β S_BC)`.
    fn attend(&self, g: &[Array1<f64>]) -> (Array2<f64>, Array2<f64>, Array2<f64>, Vec<f64>) {
        let keys = Self::tokens(&g[self.key], self.wk.ncols()).dot(&self.wk.t());
        let queries = Self::tokens(&g[self.query], self.wq.ncols()).dot(&self.wq.t());
        let mut a = keys.dot(&queries.t()) * self.beta;
        let mut lse = Vec::with_capacity(a.ncols());
        for mut col in a.axis_iter_mut(Axis(1)) {
            let top = col.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
            col.mapv_inplace(|s| (s - top).exp());
            let sum = col.sum();
            col /= sum;
            lse.push(top + sum.ln());
        }
        (keys, queries, a, lse)
    }

    pub(crate) fn energy(&self, _layers: &[Layer], g: &[Array1<f64>]) -> f64 {
        let (_, _, _, lse) = self.attend(g);
        -lse.iter().sum::<f64>() / self.beta
    }

    pub(crate) fn add_gradients(
        &self,
        _layers: &[Layer],
        g: &[Array1<f64>],
        grads: &mut [Array1<f64>],
    ) {
        let (keys, queries, a, _) = self.attend(g);
        // ∂E/∂Q = -Aᵀ K (T_q, Y); ∂E/∂K = -A Q (T_k, Y).
        let d_queries = a.t().dot(&keys);
        let d_keys = a.dot(&queries);
        let to_query = d_queries.dot(&self.wq);
        let to_key = d_keys.dot(&self.wk);
        grads[self.query] -= &Array1::from_iter(to_query.iter().cloned());
        grads[self.key] -= &Array1::from_iter(to_key.iter().cloned());
    }
}
