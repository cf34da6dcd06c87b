//! Training the image model through its dynamics: the loss on the decoded state after `T`
//! steps is backpropagated through every unrolled step (candle autodiff) and Adam updates all
//! parameters, block and encoder/decoder alike.

use ndarray::{Array2, ArrayView2, Axis};

use super::image::ImageEt;
use crate::error::{ensure_finite, ensure_positive, Error, Result};
use crate::numeric::Rng;
use crate::train::{Adam, AdamConfig, Minibatches};

/// How to train.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TrainOptions {
    /// Passes over the training images.
    pub epochs: usize,
    /// Images per minibatch.
    pub batch_size: usize,
    /// Adam's step size.
    pub learning_rate: f64,
    /// Patches hidden in each training image (a fresh random choice every time).
    pub hidden_patches: usize,
    /// Seed of the batch order and the masks.
    pub seed: u64,
}

impl Default for TrainOptions {
    fn default() -> Self {
        TrainOptions {
            epochs: 60,
            batch_size: 32,
            learning_rate: 1e-2,
            hidden_patches: 8,
            seed: 0,
        }
    }
}

/// Where training is, passed to the progress callback after every minibatch.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TrainProgress {
    /// Current epoch (from 0).
    pub epoch: usize,
    /// Epochs in all.
    pub epochs: usize,
    /// Minibatch just done within the epoch (from 0).
    pub batch: usize,
    /// Minibatches per epoch.
    pub batches: usize,
    /// The masked-pixel MSE of that minibatch (before the update).
    pub loss: f64,
}

/// What training did.
#[derive(Debug, Clone, PartialEq)]
pub struct TrainSummary {
    /// Mean minibatch loss of every epoch.
    pub epoch_losses: Vec<f64>,
    /// Adam updates taken.
    pub updates: usize,
}

/// `n` token masks `(n, tokens)`, each hiding `hidden` distinct tokens chosen by `rng`.
pub fn random_masks(n: usize, tokens: usize, hidden: usize, rng: &mut Rng) -> Result<Array2<bool>> {
    if hidden == 0 || hidden >= tokens {
        return Err(Error::param(
            "hidden patches",
            format!(
                "must be between 1 and {} (tokens - 1), got {hidden}",
                tokens.saturating_sub(1)
            ),
        ));
    }
    let mut masks = Array2::from_elem((n, tokens), false);
    for mut row in masks.axis_iter_mut(Axis(0)) {
        for t in rng.choose(tokens, hidden) {
            row[t] = true;
        }
    }
    Ok(masks)
}

/// Trains `model` (in place: its variables are shared) to fill hidden patches of `images`
/// `(n, pixels)`, values in any finite range (the digits experiment uses [0, 1]).
///
/// Each epoch visits the images in a seeded order ([`Minibatches`]); each image gets a fresh
/// random mask of `hidden_patches` tokens; the loss is the MSE over the hidden pixels of the
/// decoded state after the model's `T` steps, backpropagated through the steps. `progress` is
/// called after every minibatch.
///
/// Errors: no images, wrong width, non-finite pixels, bad options, a non-finite loss or
/// gradient (training diverged: lower the learning rate or the step size).
pub fn train(
    model: &ImageEt,
    images: ArrayView2<f32>,
    options: &TrainOptions,
    mut progress: impl FnMut(&TrainProgress),
) -> Result<TrainSummary> {
    if images.nrows() == 0 {
        return Err(Error::Empty("no training images".into()));
    }
    ensure_finite("training images", images.iter())?;
    if options.epochs == 0 {
        return Err(Error::param("epochs", "must be at least 1"));
    }
    if options.batch_size == 0 {
        return Err(Error::param("batch_size", "must be at least 1"));
    }
    ensure_positive("learning_rate", options.learning_rate)?;
    let tokens = model.config().grid.tokens();
    // Checks the mask size and the image width before any work.
    random_masks(1, tokens, options.hidden_patches, &mut Rng::new(0))?;
    model
        .config()
        .grid
        .patchify(images.slice(ndarray::s![0..1, ..]))?;

    let config = AdamConfig {
        learning_rate: options.learning_rate,
        ..AdamConfig::default()
    };
    let mut adam = Adam::new(model.vars(), config)?;
    let mut epoch_losses = Vec::with_capacity(options.epochs);
    for epoch in 0..options.epochs {
        let batches = Minibatches::new(
            images.nrows(),
            options.batch_size,
            options.seed,
            epoch as u64,
        )?;
        let count = Minibatches::count(&batches);
        let mut mask_rng = Rng::stream(options.seed ^ 0x6d61_736b, epoch as u64);
        let mut total = 0.0;
        for (b, rows) in batches.enumerate() {
            let batch_images = images.select(Axis(0), &rows);
            let masks = random_masks(rows.len(), tokens, options.hidden_patches, &mut mask_rng)?;
            let (patches, hidden) = model.tensors(batch_images.view(), masks.view())?;
            let loss = model.masked_loss(&patches, &hidden)?;
            let value = loss.to_dtype(candle_core::DType::F64)?.to_scalar::<f64>()?;
            if !value.is_finite() {
                return Err(Error::NonFinite {
                    what: format!("training loss (epoch {epoch}, batch {b})"),
                    index: 0,
                });
            }
            adam.step(&loss.backward()?)?;
            total += value;
            progress(&TrainProgress {
                epoch,
                epochs: options.epochs,
                batch: b,
                batches: count,
                loss: value,
            });
        }
        epoch_losses.push(total / count as f64);
    }
    Ok(TrainSummary {
        epoch_losses,
        updates: adam.steps(),
    })
}
