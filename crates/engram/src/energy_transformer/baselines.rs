//! Baselines for masked completion, and the error they are compared by.
//!
//! * mean fill: every hidden pixel gets the training images' mean of that pixel;
//! * nearest stored image: the training image closest to the test image on its visible
//!   pixels (squared distance) lends its hidden pixels.

use ndarray::{Array1, Array2, ArrayView2, Axis};

use crate::error::{Error, Result};

fn check(train: ArrayView2<f32>, test: ArrayView2<f32>, hidden: ArrayView2<bool>) -> Result<()> {
    if train.nrows() == 0 {
        return Err(Error::Empty("no training images".into()));
    }
    if test.ncols() != train.ncols() {
        return Err(Error::shape(
            "test images",
            format!("(n, {})", train.ncols()),
            format!("{:?}", test.dim()),
        ));
    }
    if hidden.dim() != test.dim() {
        return Err(Error::shape(
            "pixel mask",
            format!("{:?}", test.dim()),
            format!("{:?}", hidden.dim()),
        ));
    }
    Ok(())
}

/// The test images with every hidden pixel (`hidden`, `(n, pixels)`, true = hidden) set to
/// the mean of that pixel over `train`.
pub fn mean_fill(
    train: ArrayView2<f32>,
    test: ArrayView2<f32>,
    hidden: ArrayView2<bool>,
) -> Result<Array2<f32>> {
    check(train, test, hidden)?;
    let mean: Array1<f32> = train
        .mean_axis(Axis(0))
        .ok_or_else(|| Error::Empty("no training images".into()))?;
    let mut out = test.to_owned();
    for (mut row, mask) in out.axis_iter_mut(Axis(0)).zip(hidden.axis_iter(Axis(0))) {
        for j in 0..row.len() {
            if mask[j] {
                row[j] = mean[j];
            }
        }
    }
    Ok(out)
}

/// The test images with their hidden pixels copied from the training image nearest on the
/// visible pixels.
pub fn nearest_fill(
    train: ArrayView2<f32>,
    test: ArrayView2<f32>,
    hidden: ArrayView2<bool>,
) -> Result<Array2<f32>> {
    check(train, test, hidden)?;
    let mut out = test.to_owned();
    for (i, mut row) in out.axis_iter_mut(Axis(0)).enumerate() {
        let mask = hidden.row(i);
        let mut best = (f32::INFINITY, 0);
        for (k, candidate) in train.axis_iter(Axis(0)).enumerate() {
            let d: f32 = (0..row.len())
                .filter(|&j| !mask[j])
                .map(|j| (candidate[j] - test[[i, j]]).powi(2))
                .sum();
            if d < best.0 {
                best = (d, k);
            }
        }
        for j in 0..row.len() {
            if mask[j] {
                row[j] = train[[best.1, j]];
            }
        }
    }
    Ok(out)
}

/// Mean squared error over the hidden pixels only.
pub fn masked_mse(
    predicted: ArrayView2<f32>,
    truth: ArrayView2<f32>,
    hidden: ArrayView2<bool>,
) -> Result<f64> {
    if predicted.dim() != truth.dim() || hidden.dim() != truth.dim() {
        return Err(Error::shape(
            "predicted, truth and mask",
            format!("{:?}", truth.dim()),
            format!("{:?} and {:?}", predicted.dim(), hidden.dim()),
        ));
    }
    let (mut sum, mut count) = (0.0f64, 0usize);
    ndarray::Zip::from(predicted)
        .and(truth)
        .and(hidden)
        .for_each(|&p, &t, &h| {
            if h {
                sum += (p as f64 - t as f64).powi(2);
                count += 1;
            }
        });
    if count == 0 {
        return Err(Error::Empty("the mask hides no pixel".into()));
    }
    Ok(sum / count as f64)
}
