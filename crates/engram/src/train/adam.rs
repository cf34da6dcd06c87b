//! Adam (Kingma & Ba 2015) over candle variables.

use candle_core::backprop::GradStore;
use candle_core::{Tensor, Var};

use crate::error::{ensure_positive, Error, Result};

/// Adam's hyperparameters.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AdamConfig {
    /// Step size.
    pub learning_rate: f64,
    /// Decay of the first-moment (mean) estimate.
    pub beta1: f64,
    /// Decay of the second-moment (uncentred variance) estimate.
    pub beta2: f64,
    /// Added to the root of the second moment before dividing.
    pub eps: f64,
    /// Decoupled weight decay (AdamW); 0 for plain Adam.
    pub weight_decay: f64,
}

impl Default for AdamConfig {
    fn default() -> Self {
        AdamConfig {
            learning_rate: 1e-3,
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
            weight_decay: 0.0,
        }
    }
}

impl AdamConfig {
    fn validate(&self) -> Result<()> {
        ensure_positive("learning_rate", self.learning_rate)?;
        for (name, beta) in [("beta1", self.beta1), ("beta2", self.beta2)] {
            if !(0.0..1.0).contains(&beta) {
                return Err(Error::param(name, format!("must be in [0, 1), got {beta}")));
            }
        }
        ensure_positive("eps", self.eps)?;
        if !(self.weight_decay >= 0.0 && self.weight_decay.is_finite()) {
            return Err(Error::param("weight_decay", "must be finite and >= 0"));
        }
        Ok(())
    }
}

/// Adam over a fixed list of variables.
///
/// ```
/// use candle_core::{Device, Tensor, Var};
/// use engram::train::{Adam, AdamConfig};
///
/// // Minimise (w - 3)^2 from w = 0.
/// let w = Var::new(&[0f32], &Device::Cpu).unwrap();
/// let config = AdamConfig { learning_rate: 0.1, ..Default::default() };
/// let mut adam = Adam::new(vec![w.clone()], config).unwrap();
/// for _ in 0..300 {
///     let loss = (w.as_tensor() - 3.0).unwrap().sqr().unwrap().sum_all().unwrap();
///     adam.step(&loss.backward().unwrap()).unwrap();
/// }
/// let w = w.as_tensor().to_vec1::<f32>().unwrap()[0];
/// assert!((w - 3.0).abs() < 1e-2);
/// ```
#[derive(Debug)]
pub struct Adam {
    vars: Vec<Var>,
    first: Vec<Tensor>,
    second: Vec<Tensor>,
    config: AdamConfig,
    steps: i32,
}

impl Adam {
    /// An optimizer for `vars`, with zero moments.
    pub fn new(vars: Vec<Var>, config: AdamConfig) -> Result<Self> {
        config.validate()?;
        let first = vars
            .iter()
            .map(|v| v.as_tensor().zeros_like())
            .collect::<candle_core::Result<Vec<_>>>()?;
        let second = first.clone();
        Ok(Adam {
            vars,
            first,
            second,
            config,
            steps: 0,
        })
    }

    /// The variables being optimised.
    pub fn vars(&self) -> &[Var] {
        &self.vars
    }

    /// How many steps have been taken.
    pub fn steps(&self) -> usize {
        self.steps as usize
    }

    /// Changes the step size (for schedules).
    pub fn set_learning_rate(&mut self, learning_rate: f64) -> Result<()> {
        ensure_positive("learning_rate", learning_rate)?;
        self.config.learning_rate = learning_rate;
        Ok(())
    }

    /// One update from the gradients in `grads`; a variable without a gradient is left alone.
    ///
    /// Fails with [`Error::NonFinite`] (and changes nothing) if any gradient is NaN or infinite.
    pub fn step(&mut self, grads: &GradStore) -> Result<()> {
        for (i, var) in self.vars.iter().enumerate() {
            if let Some(g) = grads.get(var.as_tensor()) {
                let finite = g
                    .flatten_all()?
                    .to_dtype(candle_core::DType::F32)?
                    .to_vec1::<f32>()?;
                if let Some(index) = finite.iter().position(|v| !v.is_finite()) {
                    return Err(Error::NonFinite {
                        what: format!("gradient of variable {i}"),
                        index,
                    });
                }
            }
        }
        self.steps += 1;
        let c = self.config;
        let correction1 = 1.0 - c.beta1.powi(self.steps);
        let correction2 = 1.0 - c.beta2.powi(self.steps);
        for (i, var) in self.vars.iter().enumerate() {
            let Some(g) = grads.get(var.as_tensor()) else {
                continue;
            };
            // candle leaves a variable's gradient attached to the graph that produced it;
            // detached, the moments do not keep every step's graph alive.
            let g = &g.detach();
            let m = ((&self.first[i] * c.beta1)? + (g * (1.0 - c.beta1))?)?;
            let v = ((&self.second[i] * c.beta2)? + (g.sqr()? * (1.0 - c.beta2))?)?;
            let m_hat = (&m / correction1)?;
            let v_hat = (&v / correction2)?;
            let mut update = (m_hat / (v_hat.sqrt()? + c.eps)?)?;
            if c.weight_decay > 0.0 {
                update = (update + (var.as_tensor() * c.weight_decay)?)?;
            }
            let next = (var.as_tensor() - (update * c.learning_rate)?)?;
            var.set(&next.detach())?;
            self.first[i] = m;
            self.second[i] = v;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::train::implicit::tape_bytes;
    use candle_core::Device;

    /// candle leaves gradients attached to the graph that produced them; the moments must not
    /// keep that graph (and so every step's graph) alive.
    #[test]
    fn moments_hold_no_graph() {
        let w = Var::new(&[1f32, 2.0, 3.0], &Device::Cpu).unwrap();
        let mut adam = Adam::new(vec![w.clone()], AdamConfig::default()).unwrap();
        for _ in 0..3 {
            let loss = w
                .as_tensor()
                .sqr()
                .unwrap()
                .exp()
                .unwrap()
                .sum_all()
                .unwrap();
            adam.step(&loss.backward().unwrap()).unwrap();
        }
        assert_eq!(tape_bytes(&adam.first[0]), 0);
        assert_eq!(tape_bytes(&adam.second[0]), 0);
        assert_eq!(tape_bytes(w.as_tensor()), 12);
    }

    #[test]
    fn bad_settings_and_gradients_are_errors() {
        let w = Var::new(&[1f32], &Device::Cpu).unwrap();
        for config in [
            AdamConfig {
                learning_rate: 0.0,
                ..Default::default()
            },
            AdamConfig {
                beta1: 1.0,
                ..Default::default()
            },
            AdamConfig {
                eps: -1.0,
                ..Default::default()
            },
        ] {
            assert!(Adam::new(vec![w.clone()], config).is_err());
        }
        let mut adam = Adam::new(vec![w.clone()], AdamConfig::default()).unwrap();
        let loss = (w.as_tensor() * f64::NAN).unwrap().sum_all().unwrap();
        assert!(matches!(
            adam.step(&loss.backward().unwrap()),
            Err(Error::NonFinite { .. })
        ));
        assert_eq!(adam.steps(), 0);
    }
}
