//! Implicit differentiation against backpropagation through a long unroll, on masked digit
//! completion (needs the `autodiff` feature).
//!
//! **Task.** A memory of `K` trainable patterns `Ξ` completes the lower half of 8×8 digits
//! (pixels in [0, 1]) from the upper half. The state follows the continuous modern Hopfield
//! dynamics `τ dx/dt = −x + Ξᵀ softmax(β Ξ x)`, Euler steps of size `dt`, with the observed
//! pixels clamped to the cue and the unknown ones starting at the training mean:
//!
//! ```text
//! f(x) = x + dt · (o ⊙ c + (1 − o) ⊙ Ξᵀ softmax(β Ξ x) − x)
//! ```
//!
//! With `dt = 0.1` the state needs on the order of a hundred steps to settle. The loss is the
//! squared error of the completed pixels at the end of the dynamics, averaged over pixels.
//!
//! **Three ways to train `Ξ`** (same initial memory, data order, optimizer and epochs):
//! * `unroll-long`: backpropagation through `T` unrolled steps (`T` large enough to converge);
//!   the tape keeps all `T` steps.
//! * `implicit`: solve the fixed point without a tape, then the adjoint equation
//!   ([`crate::train::implicit`]); the tape holds one step.
//! * `unroll-short`: backpropagation through a few steps only, the common workaround for
//!   vanishing or exploding gradients through long unrolls; it trains a different objective
//!   (the state after a few steps), which the evaluation at convergence exposes.
//!
//! Every trained memory is evaluated the same way: dynamics run to their fixed point on the
//! held-out digits, mean squared error of the completed pixels; beside two baselines (the
//! training mean, and the nearest training image on the visible pixels).

use candle_core::{Device, Tensor, Var};
use ndarray::{Array2, Axis};
use serde::Serialize;

use crate::energy_transformer::digits::{masked_mse, mean_fill, nearest_fill};
use crate::error::{ensure_positive, Error, Result};
use crate::numeric::Rng;
use crate::pattern::Digits;
use crate::train::implicit::{fixed_point, implicit_gradients, tape_bytes, FixedPointOptions};
use crate::train::ops::softmax;
use crate::train::{Adam, AdamConfig, Minibatches};

/// How the gradient reaches the memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "kind")]
pub enum GradientMode {
    /// Backpropagation through this many unrolled steps.
    Unroll {
        /// Steps on the tape.
        steps: usize,
    },
    /// Fixed point plus adjoint, with the config's iteration limits.
    Implicit,
}

/// Settings of the experiment.
#[derive(Debug, Clone, PartialEq)]
pub struct ImplicitConfig {
    /// Stored (trainable) patterns `K`.
    pub memories: usize,
    /// Inverse temperature `β` of the softmax.
    pub beta: f64,
    /// Euler step `dt` (in units of `τ`).
    pub dt: f64,
    /// Steps of the long unroll.
    pub long_steps: usize,
    /// Steps of the short unroll.
    pub short_steps: usize,
    /// Tolerance and iteration limit of the fixed-point and adjoint solves, and of evaluation.
    pub solve: FixedPointOptions,
    /// Passes over the training digits.
    pub epochs: usize,
    /// Digits per minibatch.
    pub batch: usize,
    /// Adam's step size.
    pub learning_rate: f64,
    /// Seed of the initial memory and of the data order.
    pub seed: u64,
}

impl Default for ImplicitConfig {
    fn default() -> Self {
        ImplicitConfig {
            memories: 40,
            beta: 0.5,
            dt: 0.1,
            long_steps: 150,
            short_steps: 5,
            solve: FixedPointOptions {
                tolerance: 1e-4,
                max_iterations: 600,
            },
            epochs: 12,
            batch: 64,
            learning_rate: 0.01,
            seed: 7,
        }
    }
}

impl ImplicitConfig {
    fn validate(&self) -> Result<()> {
        if self.memories == 0 {
            return Err(Error::param("memories", "must be at least 1"));
        }
        ensure_positive("beta", self.beta)?;
        if !(self.dt > 0.0 && self.dt <= 1.0) {
            return Err(Error::param(
                "dt",
                format!("must be in (0, 1], got {}", self.dt),
            ));
        }
        for (name, v) in [
            ("long_steps", self.long_steps),
            ("short_steps", self.short_steps),
            ("epochs", self.epochs),
            ("batch", self.batch),
        ] {
            if v == 0 {
                return Err(Error::param(name, "must be at least 1"));
            }
        }
        ensure_positive("learning_rate", self.learning_rate)
    }
}

/// One way of training, and what it achieved.
#[derive(Debug, Clone, Serialize)]
pub struct ModeReport {
    /// `unroll-long`, `implicit` or `unroll-short`.
    pub name: String,
    /// The gradient used.
    pub mode: GradientMode,
    /// Mean training loss of each epoch (the loss the mode optimises).
    pub epoch_loss: Vec<f64>,
    /// Held-out mean squared error of the completed pixels, dynamics run to their fixed point.
    pub test_mse: f64,
    /// Largest gradient tape of one minibatch, in bytes.
    pub tape_bytes: usize,
    /// Mean forward iterations per minibatch (the unroll length, or the fixed-point solve's).
    pub forward_iterations: f64,
    /// Mean adjoint iterations per minibatch (0 for unrolls).
    pub adjoint_iterations: f64,
    /// Minibatches whose fixed-point solve (forward or adjoint) hit the iteration limit.
    pub unconverged: usize,
    /// Wall-clock seconds of training.
    pub seconds: f64,
}

/// The experiment's result.
#[derive(Debug, Clone, Serialize)]
pub struct ImplicitReport {
    /// Training and held-out digits.
    pub train: usize,
    /// Held-out digits.
    pub test: usize,
    /// Held-out MSE of filling the unknown pixels with the training mean.
    pub mean_fill_mse: f64,
    /// Held-out MSE of copying them from the training image nearest on the visible pixels.
    pub nearest_image_mse: f64,
    /// Held-out MSE of the untrained memory (its initial patterns), run to its fixed point.
    pub untrained_mse: f64,
    /// One report per mode: `unroll-long`, `implicit`, `unroll-short`.
    pub modes: Vec<ModeReport>,
}

/// Pixels observed in the cue: the upper half of the image.
fn observed_mask() -> Vec<f32> {
    (0..Digits::DIM)
        .map(|i| if i < Digits::DIM / 2 { 1.0 } else { 0.0 })
        .collect()
}

/// The data as tensors, split into training and held-out digits (every fifth image held out).
struct Data {
    train: Array2<f32>,
    test: Array2<f32>,
    mean: Vec<f32>,
}

impl Data {
    fn load() -> Result<Data> {
        let images = Digits::load()?.unit();
        let (mut train, mut test) = (Vec::new(), Vec::new());
        for (i, row) in images.outer_iter().enumerate() {
            if i % 5 == 4 { &mut test } else { &mut train }.extend(row.iter().copied());
        }
        let shape = |v: Vec<f32>| {
            let n = v.len() / Digits::DIM;
            Array2::from_shape_vec((n, Digits::DIM), v)
                .map_err(|e| Error::Unsupported(e.to_string()))
        };
        let train = shape(train)?;
        let test = shape(test)?;
        let mean = train
            .mean_axis(Axis(0))
            .ok_or_else(|| Error::Empty("training digits".into()))?
            .to_vec();
        Ok(Data { train, test, mean })
    }
}

/// The dynamics for one batch of cues: observed mask, cues, and the step map.
struct Problem {
    observed: Tensor,
    hidden: Tensor,
    clamp: Tensor,
    start: Tensor,
    target: Tensor,
    beta: f64,
    dt: f64,
}

impl Problem {
    fn new(images: &Array2<f32>, mean: &[f32], beta: f64, dt: f64) -> Result<Problem> {
        let dev = Device::Cpu;
        let (n, d) = images.dim();
        let mask = observed_mask();
        let observed = Tensor::from_vec(mask.clone(), (1, d), &dev)?;
        let hidden = Tensor::from_vec(
            mask.iter().map(|m| 1.0 - m).collect::<Vec<f32>>(),
            (1, d),
            &dev,
        )?;
        let target = Tensor::from_vec(images.iter().copied().collect::<Vec<f32>>(), (n, d), &dev)?;
        let clamp = target.broadcast_mul(&observed)?;
        let fill = Tensor::from_vec(mean.to_vec(), (1, d), &dev)?.broadcast_mul(&hidden)?;
        let start = clamp.broadcast_add(&fill)?;
        Ok(Problem {
            observed,
            hidden,
            clamp,
            start,
            target,
            beta,
            dt,
        })
    }

    /// One Euler step of the clamped dynamics with memory `xi` (K × d).
    fn step(&self, xi: &Tensor, x: &Tensor) -> candle_core::Result<Tensor> {
        let scores = (x.matmul(&xi.t()?)? * self.beta)?;
        let p = softmax(&scores, 1)?;
        let recalled = p.matmul(xi)?;
        let drive = (recalled.broadcast_mul(&self.hidden)? + &self.clamp)?;
        x + ((drive - x)? * self.dt)?
    }

    /// Mean squared error of the unknown pixels.
    fn loss(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        let n = x.dim(0)? as f64;
        let unknown = self.hidden.sum_all()?.to_scalar::<f32>()? as f64;
        let squared = (x - &self.target)?
            .broadcast_mul(&self.hidden)?
            .sqr()?
            .sum_all()?;
        squared / (n * unknown)
    }

    fn rows(&self, rows: &[usize]) -> Result<Problem> {
        let index = Tensor::from_vec(
            rows.iter().map(|&r| r as u32).collect::<Vec<u32>>(),
            rows.len(),
            &Device::Cpu,
        )?;
        Ok(Problem {
            observed: self.observed.clone(),
            hidden: self.hidden.clone(),
            clamp: self.clamp.index_select(&index, 0)?,
            start: self.start.index_select(&index, 0)?,
            target: self.target.index_select(&index, 0)?,
            beta: self.beta,
            dt: self.dt,
        })
    }

    /// Held-out error of a memory: dynamics run to the fixed point.
    fn evaluate(&self, xi: &Tensor, solve: &FixedPointOptions) -> Result<f64> {
        let xi = xi.detach();
        let fp = fixed_point(|x| self.step(&xi, x), &self.start, solve)?;
        Ok(self.loss(&fp.state)?.to_scalar::<f32>()? as f64)
    }
}

/// Held-out MSE of the two baselines on the unknown (lower-half) pixels: filling them with the
/// training mean, and copying them from the training image nearest on the visible pixels.
fn baseline_mse(data: &Data) -> Result<(f64, f64)> {
    let observed = observed_mask();
    let hidden = Array2::from_shape_fn(data.test.dim(), |(_, j)| observed[j] == 0.0);
    let (train, test) = (data.train.view(), data.test.view());
    let mean = masked_mse(
        mean_fill(train, test, hidden.view())?.view(),
        test,
        hidden.view(),
    )?;
    let nearest = masked_mse(
        nearest_fill(train, test, hidden.view())?.view(),
        test,
        hidden.view(),
    )?;
    Ok((mean, nearest))
}

/// The initial memory: `K` training digits chosen by the seed.
fn initial_memory(data: &Data, config: &ImplicitConfig) -> Result<Tensor> {
    let picks =
        Rng::new(config.seed).choose(data.train.nrows(), config.memories.min(data.train.nrows()));
    let rows: Vec<f32> = picks
        .iter()
        .flat_map(|&i| data.train.row(i).to_vec())
        .collect();
    Ok(Tensor::from_vec(
        rows,
        (picks.len(), Digits::DIM),
        &Device::Cpu,
    )?)
}

/// Trains one copy of the memory with `mode` and evaluates it.
fn train_mode(
    name: &str,
    mode: GradientMode,
    train: &Problem,
    test: &Problem,
    init: &Tensor,
    config: &ImplicitConfig,
    progress: &mut dyn FnMut(&str, usize, usize),
) -> Result<ModeReport> {
    let started = std::time::Instant::now();
    let xi = Var::from_tensor(&init.copy()?)?;
    let mut adam = Adam::new(
        vec![xi.clone()],
        AdamConfig {
            learning_rate: config.learning_rate,
            ..Default::default()
        },
    )?;
    let n = train.target.dim(0)?;
    let (mut tape_max, mut forward, mut adjoint, mut batches) = (0usize, 0usize, 0usize, 0usize);
    let mut unconverged = 0;
    let mut epoch_loss = Vec::with_capacity(config.epochs);
    for epoch in 0..config.epochs {
        let mut total = 0.0;
        let mut count = 0;
        for rows in Minibatches::new(n, config.batch, config.seed, epoch as u64)? {
            let batch = train.rows(&rows)?;
            let f = |x: &Tensor| batch.step(xi.as_tensor(), x);
            let (loss, grads) = match mode {
                GradientMode::Unroll { steps } => {
                    let mut x = batch.start.clone();
                    for _ in 0..steps {
                        x = f(&x)?;
                    }
                    forward += steps;
                    let loss = batch.loss(&x)?;
                    tape_max = tape_max.max(tape_bytes(&loss));
                    (loss.to_scalar::<f32>()? as f64, loss.backward()?)
                }
                GradientMode::Implicit => {
                    let fp = fixed_point(f, &batch.start, &config.solve)?;
                    forward += fp.iterations;
                    let g = implicit_gradients(
                        f,
                        &fp.state,
                        |x| batch.loss(x),
                        std::slice::from_ref(&xi),
                        &config.solve,
                    )?;
                    adjoint += g.adjoint_iterations;
                    unconverged += usize::from(!fp.converged || !g.adjoint_converged);
                    tape_max = tape_max.max(g.tape_bytes);
                    (g.loss, g.grads)
                }
            };
            adam.step(&grads)?;
            total += loss * rows.len() as f64;
            count += rows.len();
            batches += 1;
        }
        epoch_loss.push(total / count as f64);
        progress(name, epoch + 1, config.epochs);
    }
    Ok(ModeReport {
        name: name.to_string(),
        mode,
        epoch_loss,
        test_mse: test.evaluate(xi.as_tensor(), &config.solve)?,
        tape_bytes: tape_max,
        forward_iterations: forward as f64 / batches as f64,
        adjoint_iterations: adjoint as f64 / batches as f64,
        unconverged,
        seconds: started.elapsed().as_secs_f64(),
    })
}

/// Runs the experiment; `progress(mode, epoch, epochs)` is called after every epoch.
pub fn run(
    config: &ImplicitConfig,
    progress: &mut dyn FnMut(&str, usize, usize),
) -> Result<ImplicitReport> {
    config.validate()?;
    let data = Data::load()?;
    let train = Problem::new(&data.train, &data.mean, config.beta, config.dt)?;
    let test = Problem::new(&data.test, &data.mean, config.beta, config.dt)?;
    let init = initial_memory(&data, config)?;
    let untrained_mse = test.evaluate(&init, &config.solve)?;
    let (mean_fill_mse, nearest_image_mse) = baseline_mse(&data)?;
    let mut modes = Vec::new();
    for (name, mode) in [
        (
            "unroll-long",
            GradientMode::Unroll {
                steps: config.long_steps,
            },
        ),
        ("implicit", GradientMode::Implicit),
        (
            "unroll-short",
            GradientMode::Unroll {
                steps: config.short_steps,
            },
        ),
    ] {
        modes.push(train_mode(
            name, mode, &train, &test, &init, config, progress,
        )?);
    }
    Ok(ImplicitReport {
        train: data.train.nrows(),
        test: data.test.nrows(),
        mean_fill_mse,
        nearest_image_mse,
        untrained_mse,
        modes,
    })
}
