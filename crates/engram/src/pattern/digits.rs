//! The 8x8 handwritten digits of UCI ("Optical Recognition of Handwritten Digits"), as shipped
//! with scikit-learn, embedded in the library.
//!
//! 1797 grayscale images of the digits 0 to 9, each 8 x 8 pixels with integer values 0..=16 (the
//! number of set pixels in a 4 x 4 block of a 32 x 32 bitmap). The file is
//! `data/digits/digits.csv.gz` of the repository; see `data/digits/README.md` for its source and
//! license (CC BY 4.0, E. Alpaydin and C. Kaynak).
//!
//! ```
//! use engram::pattern::Digits;
//!
//! let digits = Digits::load().unwrap();
//! let memory = digits.bipolar(8.0);                  // +-1 patterns of dimension 64
//! let one_per_class = digits.first_of_each_class();  // 10 row indices, digits 0..9
//! assert_eq!(memory.ncols(), 64);
//! assert_eq!(one_per_class.len(), 10);
//! ```

use std::io::Read;

use flate2::read::GzDecoder;
use ndarray::Array2;

use crate::error::{Error, Result};

/// The gzip-compressed CSV: one image per line, 64 pixel values then the label.
static DIGITS_CSV_GZ: &[u8] = include_bytes!("../../../../data/digits/digits.csv.gz");

/// Name used in errors about the embedded file.
const SOURCE: &str = "embedded data/digits/digits.csv.gz";

/// The handwritten digits data set: images as rows and their labels.
#[derive(Clone, Debug)]
pub struct Digits {
    /// Shape (1797, 64): one 8 x 8 image per row in row-major order, values 0..=16.
    pub images: Array2<f32>,
    /// The digit (0..=9) shown by each image.
    pub labels: Vec<u8>,
}

fn format_error(reason: impl Into<String>) -> Error {
    Error::Format {
        path: SOURCE.to_string(),
        reason: reason.into(),
    }
}

impl Digits {
    /// `(height, width)` of one image.
    pub const IMAGE_SHAPE: (usize, usize) = (8, 8);

    /// Pixels per image.
    pub const DIM: usize = 64;

    /// Largest pixel value.
    pub const MAX_VALUE: f32 = 16.0;

    /// Decompresses and parses the embedded data set (a few milliseconds).
    ///
    /// Errors: [`Error::Format`] if the embedded file is damaged (which a passing test suite rules
    /// out).
    pub fn load() -> Result<Digits> {
        let mut text = String::new();
        GzDecoder::new(DIGITS_CSV_GZ)
            .read_to_string(&mut text)
            .map_err(|e| format_error(format!("cannot decompress: {e}")))?;
        Self::parse_csv(&text)
    }

    /// Parses the CSV text: every non-empty line holds 64 pixel values and a label.
    fn parse_csv(text: &str) -> Result<Digits> {
        let mut pixels = Vec::with_capacity(1797 * Self::DIM);
        let mut labels = Vec::with_capacity(1797);
        for (number, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() {
                continue;
            }
            let fields: Vec<&str> = line.split(',').collect();
            if fields.len() != Self::DIM + 1 {
                return Err(format_error(format!(
                    "line {}: {} fields, expected {}",
                    number + 1,
                    fields.len(),
                    Self::DIM + 1
                )));
            }
            let parse = |field: &str, max: u8| -> Result<u8> {
                // Integers, possibly written as floats ("3.0").
                let value: f64 = field.trim().parse().map_err(|_| {
                    format_error(format!("line {}: '{field}' is not a number", number + 1))
                })?;
                if value.fract() != 0.0 || !(0.0..=max as f64).contains(&value) {
                    return Err(format_error(format!(
                        "line {}: value {value} outside 0..={max}",
                        number + 1
                    )));
                }
                Ok(value as u8)
            };
            for field in &fields[..Self::DIM] {
                pixels.push(parse(field, Self::MAX_VALUE as u8)? as f32);
            }
            labels.push(parse(fields[Self::DIM], 9)?);
        }
        if labels.is_empty() {
            return Err(format_error("no images"));
        }
        let images = Array2::from_shape_vec((labels.len(), Self::DIM), pixels)
            .map_err(|e| format_error(e.to_string()))?;
        Ok(Digits { images, labels })
    }

    /// Number of images.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// Whether there are no images.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// Bipolar patterns: +1 where a pixel is above `threshold`, -1 elsewhere.
    ///
    /// A threshold of 8 (half the value range) keeps the strokes of the digits.
    pub fn bipolar(&self, threshold: f32) -> Array2<f32> {
        self.images.mapv(|v| if v > threshold { 1.0 } else { -1.0 })
    }

    /// The images scaled to [0, 1] (pixel value / 16).
    pub fn unit(&self) -> Array2<f32> {
        self.images.mapv(|v| v / Self::MAX_VALUE)
    }

    /// Row index of the first image of each digit, in the order 0, 1, ..., 9 (a digit with no
    /// image is skipped).
    pub fn first_of_each_class(&self) -> Vec<usize> {
        (0..=9u8)
            .filter_map(|digit| self.labels.iter().position(|&l| l == digit))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loads_the_full_data_set() {
        let d = Digits::load().unwrap();
        assert_eq!(d.images.dim(), (1797, 64));
        assert_eq!(d.len(), 1797);
        assert!(!d.is_empty());
        let mut counts = [0usize; 10];
        for &l in &d.labels {
            counts[l as usize] += 1;
        }
        assert_eq!(counts, [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]);
        let min = d.images.iter().cloned().fold(f32::INFINITY, f32::min);
        let max = d.images.iter().cloned().fold(f32::NEG_INFINITY, f32::max);
        assert_eq!((min, max), (0.0, 16.0));
        // The first image is a zero (scikit-learn's digits.images[0]).
        assert_eq!(d.labels[0], 0);
        assert_eq!(
            d.images.row(0).iter().take(8).copied().collect::<Vec<_>>(),
            vec![0.0, 0.0, 5.0, 13.0, 9.0, 1.0, 0.0, 0.0]
        );
    }

    #[test]
    fn views_and_class_representatives() {
        let d = Digits::load().unwrap();
        let b = d.bipolar(8.0);
        assert!(b.iter().all(|&v| v == 1.0 || v == -1.0));
        assert_eq!(b[[0, 3]], 1.0); // 13 > 8
        assert_eq!(b[[0, 4]], 1.0); // 9 > 8
        assert_eq!(b[[0, 2]], -1.0); // 5 <= 8
        let u = d.unit();
        assert!(u.iter().all(|&v| (0.0..=1.0).contains(&v)));
        assert_eq!(u[[0, 3]], 13.0 / 16.0);
        let first = d.first_of_each_class();
        assert_eq!(first.len(), 10);
        for (digit, &i) in first.iter().enumerate() {
            assert_eq!(d.labels[i] as usize, digit);
            assert!(d.labels[..i].iter().all(|&l| l as usize != digit));
        }
        assert_eq!(
            Digits::IMAGE_SHAPE.0 * Digits::IMAGE_SHAPE.1,
            d.images.ncols()
        );
    }

    #[test]
    fn rejects_malformed_csv() {
        let row = |label: &str| format!("{}{label}", "1,".repeat(64));
        assert!(Digits::parse_csv(&row("3")).is_ok());
        assert!(Digits::parse_csv(&row("3.0")).is_ok());
        for bad in [
            row("10"),
            row("x"),
            row("1.5"),
            "1,2,3".to_string(),
            format!("17,{}", &row("1")[2..]),
            String::new(),
        ] {
            assert!(
                matches!(Digits::parse_csv(&bad), Err(Error::Format { .. })),
                "{bad}"
            );
        }
    }
}
