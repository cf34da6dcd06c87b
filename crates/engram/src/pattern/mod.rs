//! Patterns: generating, corrupting, comparing, loading and saving the things a memory stores.
//!
//! Patterns are the rows of an `Array2<f32>` of shape `(num_patterns, dim)`.
//!
//! * Generators (this module): [`random_bipolar`], [`random_gaussian`], [`random_sphere`],
//!   [`random_binary01`], all seeded through [`crate::numeric::Rng`].
//! * [`corrupt`]: cues for recall: flipped signs, hidden coordinates (random or a block of image
//!   rows) and additive Gaussian noise.
//! * [`metrics`]: overlaps, bit errors, exact-recall fraction, mean squared error, cosine
//!   similarity and nearest stored pattern.
//! * [`npy`]: NumPy `.npy` files in and out.
//! * [`png`]: recall grids (original | cue | recalled) as grayscale PNG images.
//! * [`digits`]: the 8x8 handwritten digits of UCI / scikit-learn, shipped inside the crate.
//!
//! ```
//! use engram::pattern::{random_bipolar, corrupt::flip_bits, metrics::bit_errors};
//!
//! let memory = random_bipolar(3, 100, 42);
//! let cue = flip_bits(memory.view(), 0.1, 7).unwrap();
//! assert_eq!(bit_errors(memory.view(), cue.view()).unwrap(), vec![10, 10, 10]);
//! ```

pub(crate) mod atomic;
pub mod corrupt;
pub mod digits;
pub mod metrics;
pub mod npy;
pub mod png;

use ndarray::Array2;

use crate::numeric::Rng;

pub use self::corrupt::{add_gaussian_noise, flip_bits, mask_block, mask_random};
pub use self::digits::Digits;
pub use self::metrics::{
    bit_errors, cosine_rows, exact_recall_fraction, mse_rows, nearest_pattern, overlaps,
    overlaps_up_to_sign,
};
pub use self::npy::{
    read_npy, read_npy_bool_mask, read_npy_f64, write_npy, write_npy_bool_mask, write_npy_f64,
};
pub use self::png::{read_png_gray, write_grid_png};

/// `k` random bipolar patterns of dimension `n`: every entry is +1 or -1 with equal probability.
///
/// The same `seed` always gives the same patterns.
pub fn random_bipolar(k: usize, n: usize, seed: u64) -> Array2<f32> {
    let mut rng = Rng::new(seed);
    Array2::from_shape_simple_fn((k, n), || rng.sign())
}

/// `k` patterns of dimension `n` with independent standard normal entries.
pub fn random_gaussian(k: usize, n: usize, seed: u64) -> Array2<f32> {
    let mut rng = Rng::new(seed);
    Array2::from_shape_simple_fn((k, n), || rng.normal() as f32)
}

/// `k` patterns drawn uniformly from the unit sphere in dimension `n` (every row has L2 norm 1).
///
/// Rows are normalised Gaussian vectors. With `n == 0` the rows are empty.
pub fn random_sphere(k: usize, n: usize, seed: u64) -> Array2<f32> {
    let mut rng = Rng::new(seed);
    let mut out = Array2::<f32>::zeros((k, n));
    for mut row in out.rows_mut() {
        if n == 0 {
            break;
        }
        // Draw in f64 and normalise before rounding so each row's norm is 1 to f32 precision.
        // A zero Gaussian vector has probability zero; redraw if it ever happens.
        let (values, norm) = loop {
            let values: Vec<f64> = (0..n).map(|_| rng.normal()).collect();
            let norm = values.iter().map(|v| v * v).sum::<f64>().sqrt();
            if norm > 0.0 {
                break (values, norm);
            }
        };
        for (dst, v) in row.iter_mut().zip(values) {
            *dst = (v / norm) as f32;
        }
    }
    out
}

/// `k` random binary patterns of dimension `n`: every entry is 0 or 1 with equal probability.
pub fn random_binary01(k: usize, n: usize, seed: u64) -> Array2<f32> {
    let mut rng = Rng::new(seed);
    Array2::from_shape_simple_fn((k, n), || if rng.sign() > 0.0 { 1.0 } else { 0.0 })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bipolar_entries_are_signs_and_balanced() {
        let p = random_bipolar(20, 500, 1);
        assert_eq!(p.dim(), (20, 500));
        assert!(p.iter().all(|&v| v == 1.0 || v == -1.0));
        let mean = p.sum() / p.len() as f32;
        assert!(mean.abs() < 0.05, "mean {mean}");
        assert_eq!(p, random_bipolar(20, 500, 1));
        assert_ne!(p, random_bipolar(20, 500, 2));
    }

    #[test]
    fn gaussian_moments() {
        let p = random_gaussian(100, 1000, 3);
        let n = p.len() as f64;
        let mean = p.iter().map(|&v| v as f64).sum::<f64>() / n;
        let var = p.iter().map(|&v| (v as f64 - mean).powi(2)).sum::<f64>() / n;
        assert!(mean.abs() < 0.01);
        assert!((var - 1.0).abs() < 0.02);
        assert_eq!(p, random_gaussian(100, 1000, 3));
    }

    #[test]
    fn sphere_rows_have_unit_norm() {
        let p = random_sphere(50, 64, 9);
        for row in p.rows() {
            let norm = row.dot(&row).sqrt();
            assert!((norm - 1.0).abs() < 1e-5, "norm {norm}");
        }
        assert_eq!(random_sphere(3, 0, 1).dim(), (3, 0));
        assert_eq!(random_sphere(0, 5, 1).dim(), (0, 5));
        let one = random_sphere(4, 1, 2);
        assert!(one.iter().all(|&v| v.abs() == 1.0));
    }

    #[test]
    fn binary01_entries() {
        let p = random_binary01(10, 1000, 5);
        assert!(p.iter().all(|&v| v == 0.0 || v == 1.0));
        let mean = p.sum() / p.len() as f32;
        assert!((mean - 0.5).abs() < 0.03);
        assert_eq!(p, random_binary01(10, 1000, 5));
    }

    #[test]
    fn empty_shapes_are_fine() {
        assert_eq!(random_bipolar(0, 10, 1).dim(), (0, 10));
        assert_eq!(random_gaussian(4, 0, 1).dim(), (4, 0));
        assert_eq!(random_binary01(0, 0, 1).dim(), (0, 0));
    }
}
