//! Seeded corruption of patterns, to make cues for recall.
//!
//! Every function leaves its input alone and returns new arrays. Random choices are drawn from
//! one [`Rng::stream`] per row, so row `i` is corrupted the same way whether it is passed alone or
//! in a batch (for the same seed and row index).
//!
//! Masks follow the convention of the recall loop: `true` marks an **observed** (kept, clamped)
//! coordinate, `false` a hidden one.

use ndarray::{Array2, ArrayView2, Axis};

use crate::error::{ensure_finite, Error, Result};
use crate::numeric::Rng;

/// Checks that `fraction` lies in [0, 1].
fn check_fraction(fraction: f64) -> Result<()> {
    if (0.0..=1.0).contains(&fraction) {
        Ok(())
    } else {
        Err(Error::param(
            "fraction",
            format!("must lie in [0, 1], got {fraction}"),
        ))
    }
}

/// How many of `n` items a fraction selects: `round(fraction * n)`.
fn count_of(fraction: f64, n: usize) -> usize {
    ((fraction * n as f64).round() as usize).min(n)
}

/// Flips the sign of exactly `round(fraction * dim)` distinct, randomly chosen entries per row.
///
/// For bipolar patterns this flips that many bits; in general the chosen entries are negated
/// (so zeros stay zero). Errors: `fraction` outside [0, 1], non-finite input.
pub fn flip_bits(patterns: ArrayView2<f32>, fraction: f64, seed: u64) -> Result<Array2<f32>> {
    check_fraction(fraction)?;
    ensure_finite("patterns", patterns.iter())?;
    let n = patterns.ncols();
    let flips = count_of(fraction, n);
    let mut out = patterns.to_owned();
    for (i, mut row) in out.axis_iter_mut(Axis(0)).enumerate() {
        let mut rng = Rng::stream(seed, i as u64);
        for j in rng.choose(n, flips) {
            row[j] = -row[j];
        }
    }
    Ok(out)
}

/// Hides exactly `round(fraction * dim)` distinct, randomly chosen entries per row.
///
/// Hidden entries are set to `fill` (typically 0). Returns the corrupted patterns and the
/// observed mask (`true` = kept). Errors: `fraction` outside [0, 1], non-finite `fill` or input.
pub fn mask_random(
    patterns: ArrayView2<f32>,
    fraction: f64,
    fill: f32,
    seed: u64,
) -> Result<(Array2<f32>, Array2<bool>)> {
    check_fraction(fraction)?;
    check_fill(fill)?;
    ensure_finite("patterns", patterns.iter())?;
    let n = patterns.ncols();
    let hidden = count_of(fraction, n);
    let mut out = patterns.to_owned();
    let mut observed = Array2::from_elem(patterns.raw_dim(), true);
    for (i, (mut row, mut seen)) in out
        .axis_iter_mut(Axis(0))
        .zip(observed.axis_iter_mut(Axis(0)))
        .enumerate()
    {
        let mut rng = Rng::stream(seed, i as u64);
        for j in rng.choose(n, hidden) {
            row[j] = fill;
            seen[j] = false;
        }
    }
    Ok((out, observed))
}

/// Hides the bottom `fraction` of the pixel rows of every image (for example the lower half of a
/// digit with `fraction = 0.5`).
///
/// Each pattern is read as an image of `image_shape = (height, width)` in row-major order, so
/// `height * width` must equal the pattern dimension. The last `round(fraction * height)` image
/// rows are set to `fill`. Returns the corrupted patterns and the observed mask (`true` = kept).
/// Errors: shape mismatch, `fraction` outside [0, 1], non-finite `fill` or input.
pub fn mask_block(
    patterns: ArrayView2<f32>,
    image_shape: (usize, usize),
    fraction: f64,
    fill: f32,
) -> Result<(Array2<f32>, Array2<bool>)> {
    check_fraction(fraction)?;
    check_fill(fill)?;
    let (height, width) = image_shape;
    if height.checked_mul(width) != Some(patterns.ncols()) {
        return Err(Error::shape(
            "image_shape",
            format!("height * width = pattern dimension {}", patterns.ncols()),
            format!("{height} x {width}"),
        ));
    }
    ensure_finite("patterns", patterns.iter())?;
    let first_hidden = (height - count_of(fraction, height)) * width;
    let mut out = patterns.to_owned();
    let mut observed = Array2::from_elem(patterns.raw_dim(), true);
    for (mut row, mut seen) in out.rows_mut().into_iter().zip(observed.rows_mut()) {
        for j in first_hidden..row.len() {
            row[j] = fill;
            seen[j] = false;
        }
    }
    Ok((out, observed))
}

/// Adds independent Gaussian noise of standard deviation `sigma` to every entry.
///
/// Errors: `sigma` negative or non-finite, non-finite input.
pub fn add_gaussian_noise(patterns: ArrayView2<f32>, sigma: f64, seed: u64) -> Result<Array2<f32>> {
    if !(sigma.is_finite() && sigma >= 0.0) {
        return Err(Error::param(
            "sigma",
            format!("must be finite and >= 0, got {sigma}"),
        ));
    }
    ensure_finite("patterns", patterns.iter())?;
    let mut out = patterns.to_owned();
    for (i, mut row) in out.axis_iter_mut(Axis(0)).enumerate() {
        let mut rng = Rng::stream(seed, i as u64);
        for v in row.iter_mut() {
            *v = (*v as f64 + sigma * rng.normal()) as f32;
        }
    }
    ensure_finite("noisy patterns", out.iter())?;
    Ok(out)
}

fn check_fill(fill: f32) -> Result<()> {
    if fill.is_finite() {
        Ok(())
    } else {
        Err(Error::param("fill", format!("must be finite, got {fill}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pattern::random_bipolar;
    use ndarray::{array, s};

    #[test]
    fn flip_bits_flips_exactly_the_requested_count() {
        let p = random_bipolar(8, 101, 1);
        for (fraction, expected) in [(0.0, 0), (0.1, 10), (0.25, 25), (0.5, 51), (1.0, 101)] {
            let c = flip_bits(p.view(), fraction, 3).unwrap();
            for (a, b) in p.rows().into_iter().zip(c.rows()) {
                let diff = a.iter().zip(b).filter(|(x, y)| x != y).count();
                assert_eq!(diff, expected, "fraction {fraction}");
            }
        }
    }

    #[test]
    fn flip_bits_is_seeded_and_per_row_stable() {
        let p = random_bipolar(6, 64, 2);
        let a = flip_bits(p.view(), 0.2, 5).unwrap();
        assert_eq!(a, flip_bits(p.view(), 0.2, 5).unwrap());
        assert_ne!(a, flip_bits(p.view(), 0.2, 6).unwrap());
        let head = flip_bits(p.slice(s![0..2, ..]), 0.2, 5).unwrap();
        assert_eq!(head, a.slice(s![0..2, ..]));
        // Different rows get different flip positions.
        let flipped =
            |r: usize| -> Vec<usize> { (0..64).filter(|&j| a[[r, j]] != p[[r, j]]).collect() };
        assert_ne!(flipped(0), flipped(1));
    }

    #[test]
    fn flip_bits_rejects_bad_fraction_and_nan() {
        let p = random_bipolar(2, 10, 1);
        for bad in [-0.1, 1.5, f64::NAN, f64::INFINITY] {
            assert!(matches!(
                flip_bits(p.view(), bad, 1),
                Err(Error::Parameter { .. })
            ));
        }
        let mut q = p.clone();
        q[[1, 3]] = f32::NAN;
        assert!(matches!(
            flip_bits(q.view(), 0.1, 1),
            Err(Error::NonFinite { index: 13, .. })
        ));
    }

    #[test]
    fn mask_random_hides_exactly_and_reports_observed() {
        let p = random_bipolar(5, 40, 4);
        let (c, observed) = mask_random(p.view(), 0.25, 0.0, 9).unwrap();
        assert_eq!(observed.dim(), p.dim());
        for i in 0..5 {
            let hidden = observed.row(i).iter().filter(|&&o| !o).count();
            assert_eq!(hidden, 10);
            for j in 0..40 {
                if observed[[i, j]] {
                    assert_eq!(c[[i, j]], p[[i, j]]);
                } else {
                    assert_eq!(c[[i, j]], 0.0);
                }
            }
        }
        assert_eq!(
            (c.clone(), observed.clone()),
            mask_random(p.view(), 0.25, 0.0, 9).unwrap()
        );
        assert!(mask_random(p.view(), 0.25, f32::NAN, 9).is_err());
        assert!(mask_random(p.view(), 2.0, 0.0, 9).is_err());
    }

    #[test]
    fn mask_block_hides_bottom_rows() {
        let p = Array2::from_shape_fn((2, 12), |(i, j)| (i * 12 + j) as f32 + 1.0);
        let (c, observed) = mask_block(p.view(), (4, 3), 0.5, -7.0).unwrap();
        for i in 0..2 {
            for j in 0..12 {
                let hidden = j >= 6;
                assert_eq!(observed[[i, j]], !hidden);
                assert_eq!(c[[i, j]], if hidden { -7.0 } else { p[[i, j]] });
            }
        }
        let (c0, o0) = mask_block(p.view(), (4, 3), 0.0, 0.0).unwrap();
        assert_eq!(c0, p);
        assert!(o0.iter().all(|&o| o));
        let (_, o1) = mask_block(p.view(), (4, 3), 1.0, 0.0).unwrap();
        assert!(o1.iter().all(|&o| !o));
        // round(0.3 * 4) = 1 row hidden.
        let (_, o) = mask_block(p.view(), (4, 3), 0.3, 0.0).unwrap();
        assert_eq!(o.row(0).iter().filter(|&&v| !v).count(), 3);
    }

    #[test]
    fn mask_block_rejects_wrong_image_shape() {
        let p = Array2::<f32>::zeros((1, 12));
        assert!(matches!(
            mask_block(p.view(), (3, 3), 0.5, 0.0),
            Err(Error::Shape { .. })
        ));
        assert!(matches!(
            mask_block(p.view(), (usize::MAX, 2), 0.5, 0.0),
            Err(Error::Shape { .. })
        ));
        assert!(mask_block(p.view(), (3, 4), -0.5, 0.0).is_err());
    }

    #[test]
    fn gaussian_noise_has_the_requested_scale() {
        let p = Array2::<f32>::zeros((20, 1000));
        let noisy = add_gaussian_noise(p.view(), 0.5, 1).unwrap();
        let var = noisy.iter().map(|&v| (v as f64).powi(2)).sum::<f64>() / noisy.len() as f64;
        assert!((var.sqrt() - 0.5).abs() < 0.01, "std {}", var.sqrt());
        assert_eq!(noisy, add_gaussian_noise(p.view(), 0.5, 1).unwrap());
        let same = add_gaussian_noise(p.view(), 0.0, 1).unwrap();
        assert_eq!(same, p);
        for bad in [-1.0, f64::NAN, f64::INFINITY] {
            assert!(matches!(
                add_gaussian_noise(p.view(), bad, 1),
                Err(Error::Parameter { .. })
            ));
        }
    }

    #[test]
    fn corruption_leaves_input_untouched_and_handles_empty() {
        let p = array![[1.0f32, -1.0, 1.0, -1.0]];
        let before = p.clone();
        let _ = flip_bits(p.view(), 0.5, 1).unwrap();
        let _ = mask_random(p.view(), 0.5, 0.0, 1).unwrap();
        assert_eq!(p, before);
        let empty = Array2::<f32>::zeros((0, 4));
        assert_eq!(flip_bits(empty.view(), 0.5, 1).unwrap().dim(), (0, 4));
        let zero_dim = Array2::<f32>::zeros((3, 0));
        assert_eq!(flip_bits(zero_dim.view(), 0.5, 1).unwrap().dim(), (3, 0));
    }
}
