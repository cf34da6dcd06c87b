//! The candle path (feature `autodiff`): every Lagrangian and synapse written as candle
//! operations, so that a composed network gets `∂L/∂x` and `∂E/∂g` from `backward()` without
//! hand-written derivatives. The closed forms of the other modules are checked against it.
//!
//! Softmax and log-sum-exp are built from core operations with a detached maximum (candle-nn's
//! softmax has no backward pass). Everything runs in f64 on the CPU.

use candle_core::{DType, Device, Tensor, Var};
use ndarray::Array1;

use super::{HopfieldFunction, Lagrangian, Layer, Network, Synapse};
use crate::error::{Error, Result};

fn to_tensor(values: &[f64], shape: &[usize]) -> Result<Tensor> {
    Ok(Tensor::from_vec(values.to_vec(), shape, &Device::Cpu)?)
}

fn to_vec(t: &Tensor) -> Result<Vec<f64>> {
    Ok(t.flatten_all()?.to_dtype(DType::F64)?.to_vec1::<f64>()?)
}

fn array_tensor(a: &ndarray::Array2<f64>) -> Result<Tensor> {
    to_tensor(
        &a.iter().cloned().collect::<Vec<_>>(),
        &[a.nrows(), a.ncols()],
    )
}

/// `Σ_rows (1/β) log Σ_j exp(β t_ij)` along dimension `dim` of a 2-D tensor, max-shifted.
fn logsumexp(t: &Tensor, beta: f64, dim: usize) -> Result<Tensor> {
    let lse = crate::train::ops::logsumexp_keepdim(&(t * beta)?, dim)?;
    Ok((lse.sum_all()? / beta)?)
}

/// `t^n` for an integer `n >= 1` by repeated products (valid for negative entries).
fn int_pow(t: &Tensor, n: u32) -> Result<Tensor> {
    let mut out = t.clone();
    for _ in 1..n {
        out = (&out * t)?;
    }
    Ok(out)
}

impl Lagrangian {
    /// `L(x)` as a scalar candle tensor, for `x` of shape `(groups, group)`.
    pub fn value_tensor(&self, x: &Tensor) -> Result<Tensor> {
        let t = match self {
            Lagrangian::Identity => (x.sqr()?.sum_all()? * 0.5)?,
            Lagrangian::Relu => (x.relu()?.sqr()?.sum_all()? * 0.5)?,
            Lagrangian::Sigmoid => {
                // log(1 + eˣ) = max(x, 0) + log(1 + e^-|x|)
                let tail = (x.abs()?.neg()?.exp()? + 1.0)?.log()?;
                (x.relu()? + tail)?.sum_all()?
            }
            Lagrangian::Tanh => {
                // log cosh x = |x| + log(1 + e^-2|x|) - log 2
                let a = x.abs()?;
                let tail = ((&a * -2.0)?.exp()? + 1.0)?.log()?;
                ((a + tail)? - std::f64::consts::LN_2)?.sum_all()?
            }
            Lagrangian::Softmax { beta } => logsumexp(x, *beta, 1)?,
            Lagrangian::LayerNorm { gamma, delta, eps } => {
                let d = x.dim(1)?;
                let centred = x.broadcast_sub(&x.mean_keepdim(1)?)?;
                let s = (centred.sqr()?.mean_keepdim(1)? + *eps)?.sqrt()?;
                let mut value = (s.sum_all()? * (gamma * d as f64))?;
                if !delta.is_empty() {
                    let bias = to_tensor(delta, &[1, d])?;
                    value = (value + x.broadcast_mul(&bias)?.sum_all()?)?;
                }
                value
            }
            Lagrangian::Spherical => x.sqr()?.sum_keepdim(1)?.sqrt()?.sum_all()?,
            Lagrangian::Power {
                degree,
                coefficient,
            } => (int_pow(x, *degree)?.sum_all()? * *coefficient)?,
            Lagrangian::RectifiedPower {
                degree,
                coefficient,
            } => (int_pow(&x.relu()?, *degree)?.sum_all()? * *coefficient)?,
        };
        Ok(t)
    }

    /// The activation `∂L/∂x` by reverse-mode autodiff of [`Lagrangian::value_tensor`].
    pub fn autodiff_activation(&self, x: &[f64], group: usize) -> Result<Vec<f64>> {
        if group == 0 || !x.len().is_multiple_of(group) {
            return Err(Error::shape(
                "state (a whole number of groups)",
                format!("a multiple of {group}"),
                x.len(),
            ));
        }
        let var = Var::from_tensor(&to_tensor(x, &[x.len() / group, group])?)?;
        let grads = self.value_tensor(var.as_tensor())?.backward()?;
        let g = grads
            .get(var.as_tensor())
            .ok_or_else(|| Error::Backend("no gradient reached the state".into()))?;
        to_vec(g)
    }
}

impl Synapse {
    /// `E_syn` as a scalar candle tensor; `g` holds one flat activation tensor per layer.
    pub fn energy_tensor(&self, layers: &[Layer], g: &[Tensor]) -> Result<Tensor> {
        let t = match self {
            Synapse::Dense(s) => {
                let (a, b) = s.layers();
                let w = array_tensor(s.weights())?;
                let wg = w.matmul(&g[b].reshape((layers[b].size(), 1))?)?;
                (wg.flatten_all()? * &g[a])?.sum_all()?.neg()?
            }
            Synapse::Conv2d(s) => {
                let (out, inp) = s.layers();
                let shape = layers[inp].shape();
                let k = s.kernel();
                let kernel = to_tensor(
                    &k.iter().cloned().collect::<Vec<_>>(),
                    &[k.dim().0, k.dim().1, k.dim().2, k.dim().3],
                )?;
                let input = g[inp].reshape((1, shape[0], shape[1], shape[2]))?;
                let conv = input.conv2d(&kernel, s.padding(), s.stride(), 1, 1)?;
                (conv.flatten_all()? * &g[out])?.sum_all()?.neg()?
            }
            Synapse::Attention(s) => {
                let (q, k) = s.layers();
                let wq = array_tensor(s.query_weights())?;
                let wk = array_tensor(s.key_weights())?;
                let tokens = |l: usize| {
                    g[l].reshape((layers[l].size() / layers[l].group(), layers[l].group()))
                };
                let keys = tokens(k)?.matmul(&wk.t()?)?;
                let queries = tokens(q)?.matmul(&wq.t()?)?;
                let scores = keys.matmul(&queries.t()?)?;
                logsumexp(&scores, s.beta(), 0)?.neg()?
            }
            Synapse::Hopfield(s) => {
                let l = s.layer();
                let tokens =
                    g[l].reshape((layers[l].size() / layers[l].group(), layers[l].group()))?;
                let scores = tokens.matmul(&array_tensor(s.patterns())?.t()?)?;
                match s.function() {
                    HopfieldFunction::RectifiedPower { degree } => {
                        (int_pow(&scores.relu()?, degree)?.sum_all()? / degree as f64)?.neg()?
                    }
                    HopfieldFunction::LogSumExp { beta } => logsumexp(&scores, beta, 1)?.neg()?,
                }
            }
        };
        Ok(t)
    }
}

impl Network {
    /// The total energy as a scalar tensor of states `x` (constants here) and activations `g`
    /// (flat tensors, one per layer): `Σ_l [x_l·g_l - L_l(x_l)] + Σ_s E_s(g)`.
    ///
    /// Differentiating it with respect to `g` with `x` held fixed gives `∂E/∂g_l = x_l +
    /// ∂E_syn/∂g_l`, because `∂(x·g - L(x))/∂g` along the Legendre pair is `x`.
    pub fn energy_tensor(&self, x: &[Tensor], g: &[Tensor]) -> Result<Tensor> {
        let mut total = Tensor::zeros((), DType::F64, &Device::Cpu)?;
        for ((layer, x), g) in self.layers().iter().zip(x).zip(g) {
            let grouped = x.reshape((layer.size() / layer.group(), layer.group()))?;
            let term = ((x * g)?.sum_all()? - layer.lagrangian().value_tensor(&grouped)?)?;
            total = (total + term)?;
        }
        for s in self.synapses() {
            total = (total + s.energy_tensor(self.layers(), g)?)?;
        }
        Ok(total)
    }

    /// The activations `g_l = ∂L_l/∂x_l` of every layer by autodiff.
    pub fn autodiff_activations(&self, states: &[Array1<f64>]) -> Result<Vec<Array1<f64>>> {
        self.check_states(states)?;
        self.layers()
            .iter()
            .zip(states)
            .map(|(layer, x)| {
                Ok(Array1::from(
                    layer
                        .lagrangian()
                        .autodiff_activation(&x.to_vec(), layer.group())?,
                ))
            })
            .collect()
    }

    /// `∂E/∂g_l` for every layer by autodiff: the activations come from
    /// [`Network::autodiff_activations`], the gradient from `backward()` of
    /// [`Network::energy_tensor`]. No closed-form derivative is used.
    pub fn autodiff_gradients(&self, states: &[Array1<f64>]) -> Result<Vec<Array1<f64>>> {
        let activations = self.autodiff_activations(states)?;
        let x: Vec<Tensor> = states
            .iter()
            .map(|x| to_tensor(&x.to_vec(), &[x.len()]))
            .collect::<Result<_>>()?;
        let vars: Vec<Var> = activations
            .iter()
            .map(|g| Ok(Var::from_tensor(&to_tensor(&g.to_vec(), &[g.len()])?)?))
            .collect::<Result<_>>()?;
        let g: Vec<Tensor> = vars.iter().map(|v| v.as_tensor().clone()).collect();
        let grads = self.energy_tensor(&x, &g)?.backward()?;
        g.iter()
            .zip(states)
            .map(|(t, x)| match grads.get(t) {
                Some(d) => Ok(Array1::from(to_vec(d)?)),
                // A layer no term depends on through g: only its own x·g term, gradient x.
                None => Ok(x.clone()),
            })
            .collect()
    }

    /// `Σ_s E_s(g)` evaluated through candle (to compare with [`Network::synapse_energy`]).
    pub fn autodiff_synapse_energy(&self, g: &[Array1<f64>]) -> Result<f64> {
        let g: Vec<Tensor> = g
            .iter()
            .map(|g| to_tensor(&g.to_vec(), &[g.len()]))
            .collect::<Result<_>>()?;
        let mut total = 0.0;
        for s in self.synapses() {
            total += s.energy_tensor(self.layers(), &g)?.to_scalar::<f64>()?;
        }
        Ok(total)
    }
}
