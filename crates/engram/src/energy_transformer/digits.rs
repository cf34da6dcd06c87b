//! Masked completion of the embedded 8x8 digits: train the image energy transformer on a
//! training split, compare its error on the hidden patches of held-out digits with the mean
//! fill and nearest-stored-image baselines, and trace the energy during inference.

use ndarray::{Array2, ArrayView2, Axis};
use serde::Serialize;

use super::image::{ImageEt, ImageEtConfig};
use super::training::{random_masks, train, TrainOptions, TrainProgress};
use crate::error::{Error, Result};
use crate::numeric::Rng;
use crate::pattern::Digits;

pub use super::baselines::{masked_mse, mean_fill, nearest_fill};

/// Settings of the digits experiment.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DigitsOptions {
    /// The model (8x8 images, 2x2 patches by default).
    pub model: ImageEtConfig,
    /// Training settings (epochs, batch, learning rate, hidden patches, seed).
    pub training: TrainOptions,
    /// Fraction of the 1797 digits held out for testing.
    pub test_fraction: f64,
    /// Held-out digits drawn in the picture (the first of each class, then the next ones).
    pub shown: usize,
    /// Seed of the split, the model's initial parameters and the test masks.
    pub seed: u64,
}

impl Default for DigitsOptions {
    fn default() -> Self {
        DigitsOptions {
            model: ImageEtConfig::digits(),
            training: TrainOptions::default(),
            test_fraction: 0.2,
            shown: 10,
            seed: 0,
        }
    }
}

/// One completion method's error on the held-out digits.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct MethodRow {
    /// The method.
    pub method: String,
    /// Mean squared error over the hidden pixels (pixel values in [0, 1]).
    pub masked_mse: f64,
}

/// The experiment's numbers.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct DigitsReport {
    /// Training digits.
    pub train_images: usize,
    /// Held-out digits.
    pub test_images: usize,
    /// Patches (of 16) hidden in every image.
    pub hidden_patches: usize,
    /// Trainable numbers of the model.
    pub parameters: usize,
    /// Mean training loss of every epoch.
    pub epoch_losses: Vec<f64>,
    /// The trained model, its untrained initialisation and the two baselines.
    pub rows: Vec<MethodRow>,
    /// Mean energy of the held-out digits after each descent step (`0..=T`), trained model.
    pub energy_trace: Vec<f64>,
    /// The same for the untrained (random) model.
    pub untrained_energy_trace: Vec<f64>,
    /// Steps, over all held-out digits and both models, at which the energy rose.
    pub energy_increases: usize,
    /// Step size `α` and step count `T` of the descent.
    pub step_size: f64,
    /// Descent steps `T`.
    pub steps: usize,
}

/// The picture's panels, `(shown, 64)` each, values in [0, 1]: masked (hidden pixels at 0.5),
/// completed by the model, original.
#[derive(Debug, Clone)]
pub struct DigitsPanels {
    /// Held-out digits with their hidden patches grey.
    pub masked: Array2<f32>,
    /// The model's completions (clamped to [0, 1]).
    pub completed: Array2<f32>,
    /// The digits themselves.
    pub original: Array2<f32>,
}

/// A finished run: the trained model, its report and the picture's panels.
#[derive(Debug, Clone)]
pub struct DigitsRun {
    /// The trained model (save it with [`ImageEt::save`]).
    pub model: ImageEt,
    /// The numbers.
    pub report: DigitsReport,
    /// The picture.
    pub panels: DigitsPanels,
}

/// Training and test row indices: a seeded shuffle of `0..n`, the last `test_fraction` held
/// out.
pub fn split(n: usize, test_fraction: f64, seed: u64) -> Result<(Vec<usize>, Vec<usize>)> {
    if !(test_fraction > 0.0 && test_fraction < 1.0) {
        return Err(Error::param(
            "test_fraction",
            format!("must be in (0, 1), got {test_fraction}"),
        ));
    }
    let mut order: Vec<usize> = (0..n).collect();
    Rng::stream(seed, 0x5b17).shuffle(&mut order);
    let test = ((n as f64) * test_fraction).round() as usize;
    if test == 0 || test >= n {
        return Err(Error::param(
            "test_fraction",
            format!("leaves {test} of {n} images for testing"),
        ));
    }
    let train = order[..n - test].to_vec();
    let held = order[n - test..].to_vec();
    Ok((train, held))
}

/// Mean over images of each step's energy.
fn mean_trace(energies: &[Vec<f64>]) -> Vec<f64> {
    energies
        .iter()
        .map(|step| step.iter().sum::<f64>() / step.len().max(1) as f64)
        .collect()
}

/// Steps at which some image's energy rose by more than rounding (relative 1e-5).
fn increases(energies: &[Vec<f64>]) -> usize {
    energies
        .windows(2)
        .map(|w| {
            w[0].iter()
                .zip(&w[1])
                .filter(|(a, b)| **b > **a + 1e-5 * a.abs().max(1.0))
                .count()
        })
        .sum()
}

/// Runs the experiment on the embedded digits: split, train (calling `progress` after every
/// minibatch), evaluate on the held-out digits, draw.
pub fn run(options: &DigitsOptions, progress: impl FnMut(&TrainProgress)) -> Result<DigitsRun> {
    let grid = options.model.grid;
    if grid.pixels() != Digits::DIM {
        return Err(Error::shape(
            "image shape",
            "8 x 8",
            format!("{:?}", grid.image_shape()),
        ));
    }
    let digits = Digits::load()?;
    let images = digits.unit();
    let (train_rows, test_rows) = split(images.nrows(), options.test_fraction, options.seed)?;
    let train_images = images.select(Axis(0), &train_rows);
    let test_images = images.select(Axis(0), &test_rows);

    let model = ImageEt::new(options.model, options.seed, candle_core::DType::F32)?;
    let untrained = model.snapshot()?;
    let training = TrainOptions {
        seed: options.training.seed ^ options.seed,
        ..options.training
    };
    let summary = train(&model, train_images.view(), &training, progress)?;

    let tokens = grid.tokens();
    let hidden_tokens = random_masks(
        test_images.nrows(),
        tokens,
        options.training.hidden_patches,
        &mut Rng::stream(options.seed, 0x7e57),
    )?;
    let hidden = grid.pixel_mask(hidden_tokens.view())?;
    let done = model.complete(test_images.view(), hidden_tokens.view())?;
    let before = untrained.complete(test_images.view(), hidden_tokens.view())?;
    let mean = mean_fill(train_images.view(), test_images.view(), hidden.view())?;
    let nearest = nearest_fill(train_images.view(), test_images.view(), hidden.view())?;
    let row = |method: &str, filled: ArrayView2<f32>| -> Result<MethodRow> {
        Ok(MethodRow {
            method: method.into(),
            masked_mse: masked_mse(filled, test_images.view(), hidden.view())?,
        })
    };
    let rows = vec![
        row("energy transformer", done.completed.view())?,
        row("untrained energy transformer", before.completed.view())?,
        row("mean fill", mean.view())?,
        row("nearest stored image", nearest.view())?,
    ];

    let shown = shown_rows(&digits.labels, &test_rows, options.shown);
    let pick = |a: &Array2<f32>| a.select(Axis(0), &shown);
    let mut masked = pick(&test_images);
    let shown_mask = hidden.select(Axis(0), &shown);
    ndarray::Zip::from(&mut masked)
        .and(&shown_mask)
        .for_each(|v, &h| {
            if h {
                *v = 0.5;
            }
        });
    let panels = DigitsPanels {
        masked,
        completed: pick(&done.completed).mapv(|v| v.clamp(0.0, 1.0)),
        original: pick(&test_images),
    };
    let report = DigitsReport {
        train_images: train_rows.len(),
        test_images: test_rows.len(),
        hidden_patches: options.training.hidden_patches,
        parameters: model.parameter_count(),
        epoch_losses: summary.epoch_losses,
        rows,
        energy_trace: mean_trace(&done.energies),
        untrained_energy_trace: mean_trace(&before.energies),
        energy_increases: increases(&done.energies) + increases(&before.energies),
        step_size: options.model.block.step_size,
        steps: options.model.block.steps,
    };
    Ok(DigitsRun {
        model,
        report,
        panels,
    })
}

/// Positions (within the test split) of the digits to draw: the first held-out image of each
/// class, then the following held-out images, `count` in all.
fn shown_rows(labels: &[u8], test_rows: &[usize], count: usize) -> Vec<usize> {
    let count = count.min(test_rows.len());
    let mut picked: Vec<usize> = Vec::with_capacity(count);
    for digit in 0..=9u8 {
        if let Some(i) = test_rows.iter().position(|&r| labels[r] == digit) {
            if picked.len() < count {
                picked.push(i);
            }
        }
    }
    let mut i = 0;
    while picked.len() < count {
        if !picked.contains(&i) {
            picked.push(i);
        }
        i += 1;
    }
    picked
}
