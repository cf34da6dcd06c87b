//! Comparing recalled states with stored patterns, row by row.
//!
//! Every function takes two arrays of the same shape `(rows, dim)` (except
//! [`nearest_pattern`], which compares every state with every stored pattern) and refuses
//! mismatched shapes with [`Error::Shape`] and non-finite entries with [`Error::NonFinite`].
//!
//! Signs: a value counts as "on" (+1) when it is strictly positive and as "off" otherwise, so
//! bipolar (+-1) and binary (0/1) patterns are both compared bit by bit.

use ndarray::{Array1, ArrayView2, Zip};

use crate::error::{ensure_finite, Error, Result};

/// Checks equal shapes and finite values of a pair of arrays.
fn check_pair(a: &ArrayView2<f32>, b: &ArrayView2<f32>) -> Result<()> {
    if a.dim() != b.dim() {
        return Err(Error::shape(
            "b",
            format!("{:?} (the shape of a)", a.dim()),
            format!("{:?}", b.dim()),
        ));
    }
    ensure_finite("a", a.iter())?;
    ensure_finite("b", b.iter())
}

/// Per-row overlap `a_i . b_i / dim`; for bipolar rows this lies in [-1, 1] (1 = identical).
///
/// Errors: shape mismatch, non-finite values, `dim == 0` ([`Error::Empty`]).
pub fn overlaps(a: ArrayView2<f32>, b: ArrayView2<f32>) -> Result<Array1<f32>> {
    check_pair(&a, &b)?;
    let n = a.ncols();
    if n == 0 {
        return Err(Error::Empty(
            "patterns of dimension 0 have no overlap".into(),
        ));
    }
    Ok(Zip::from(a.rows())
        .and(b.rows())
        .map_collect(|x, y| x.dot(&y) / n as f32))
}

/// Per-row `|overlap|`: 1 for a pattern or its sign-flipped twin (both are minima of a Hopfield
/// energy with symmetric weights).
pub fn overlaps_up_to_sign(a: ArrayView2<f32>, b: ArrayView2<f32>) -> Result<Array1<f32>> {
    Ok(overlaps(a, b)?.mapv(f32::abs))
}

/// Per-row number of coordinates whose signs disagree (positive vs. not positive).
pub fn bit_errors(a: ArrayView2<f32>, b: ArrayView2<f32>) -> Result<Vec<usize>> {
    check_pair(&a, &b)?;
    Ok(a.rows()
        .into_iter()
        .zip(b.rows())
        .map(|(x, y)| {
            x.iter()
                .zip(y)
                .filter(|(u, v)| (**u > 0.0) != (**v > 0.0))
                .count()
        })
        .collect())
}

/// Fraction of rows recalled without a single bit error, in [0, 1].
///
/// Errors: as [`bit_errors`], and [`Error::Empty`] when there are no rows.
pub fn exact_recall_fraction(a: ArrayView2<f32>, b: ArrayView2<f32>) -> Result<f64> {
    let errors = bit_errors(a, b)?;
    if errors.is_empty() {
        return Err(Error::Empty("no rows to compare".into()));
    }
    Ok(errors.iter().filter(|&&e| e == 0).count() as f64 / errors.len() as f64)
}

/// Per-row mean squared difference `|a_i - b_i|^2 / dim`.
///
/// Errors: shape mismatch, non-finite values, `dim == 0` ([`Error::Empty`]).
pub fn mse_rows(a: ArrayView2<f32>, b: ArrayView2<f32>) -> Result<Array1<f32>> {
    check_pair(&a, &b)?;
    let n = a.ncols();
    if n == 0 {
        return Err(Error::Empty("patterns of dimension 0 have no error".into()));
    }
    Ok(Zip::from(a.rows()).and(b.rows()).map_collect(|x, y| {
        let sum: f64 = x.iter().zip(y).map(|(u, v)| ((u - v) as f64).powi(2)).sum();
        (sum / n as f64) as f32
    }))
}

/// Per-row cosine similarity in [-1, 1]; a row that is all zeros has cosine 0 with anything.
pub fn cosine_rows(a: ArrayView2<f32>, b: ArrayView2<f32>) -> Result<Array1<f32>> {
    check_pair(&a, &b)?;
    Ok(Zip::from(a.rows()).and(b.rows()).map_collect(|x, y| {
        let (mut dot, mut nx, mut ny) = (0.0f64, 0.0f64, 0.0f64);
        for (&u, &v) in x.iter().zip(y) {
            dot += u as f64 * v as f64;
            nx += u as f64 * u as f64;
            ny += v as f64 * v as f64;
        }
        if nx == 0.0 || ny == 0.0 {
            0.0
        } else {
            (dot / (nx.sqrt() * ny.sqrt())).clamp(-1.0, 1.0) as f32
        }
    }))
}

/// For every state (row of `states`), the index of the stored pattern (row of `memory`) with the
/// highest overlap; ties go to the lowest index.
///
/// Errors: different dimensions ([`Error::Shape`]), an empty memory ([`Error::Empty`]),
/// non-finite values.
pub fn nearest_pattern(memory: ArrayView2<f32>, states: ArrayView2<f32>) -> Result<Vec<usize>> {
    if memory.ncols() != states.ncols() {
        return Err(Error::shape(
            "states",
            format!("(_, {}) (the dimension of memory)", memory.ncols()),
            format!("{:?}", states.dim()),
        ));
    }
    if memory.nrows() == 0 {
        return Err(Error::Empty("memory has no patterns".into()));
    }
    ensure_finite("memory", memory.iter())?;
    ensure_finite("states", states.iter())?;
    let scores = states.dot(&memory.t());
    Ok(scores
        .rows()
        .into_iter()
        .map(|row| {
            let mut best = 0;
            for (k, &s) in row.iter().enumerate() {
                if s > row[best] {
                    best = k;
                }
            }
            best
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pattern::{corrupt::flip_bits, random_bipolar};
    use ndarray::{array, Array2};

    #[test]
    fn overlaps_of_bipolar_rows() {
        let a = array![[1.0f32, 1.0, 1.0, 1.0], [1.0, -1.0, 1.0, -1.0]];
        let b = array![[1.0f32, 1.0, 1.0, -1.0], [-1.0, 1.0, -1.0, 1.0]];
        assert_eq!(overlaps(a.view(), b.view()).unwrap(), array![0.5, -1.0]);
        assert_eq!(
            overlaps_up_to_sign(a.view(), b.view()).unwrap(),
            array![0.5, 1.0]
        );
        assert_eq!(overlaps(a.view(), a.view()).unwrap(), array![1.0, 1.0]);
    }

    #[test]
    fn bit_errors_match_flip_count() {
        let p = random_bipolar(4, 200, 1);
        let c = flip_bits(p.view(), 0.15, 2).unwrap();
        assert_eq!(bit_errors(p.view(), c.view()).unwrap(), vec![30; 4]);
        let ov = overlaps(p.view(), c.view()).unwrap();
        for v in ov {
            assert!((v - (1.0 - 2.0 * 0.15)).abs() < 1e-6);
        }
        // Binary 0/1 patterns are compared bit by bit too.
        let x = array![[0.0f32, 1.0, 1.0]];
        let y = array![[1.0f32, 1.0, 0.0]];
        assert_eq!(bit_errors(x.view(), y.view()).unwrap(), vec![2]);
    }

    #[test]
    fn exact_recall() {
        let p = random_bipolar(4, 50, 3);
        let mut c = p.clone();
        c[[2, 7]] = -c[[2, 7]];
        assert_eq!(exact_recall_fraction(p.view(), c.view()).unwrap(), 0.75);
        let empty = Array2::<f32>::zeros((0, 50));
        assert!(matches!(
            exact_recall_fraction(empty.view(), empty.view()),
            Err(Error::Empty(_))
        ));
    }

    #[test]
    fn mse_and_cosine() {
        let a = array![[1.0f32, 0.0], [3.0, 4.0], [0.0, 0.0]];
        let b = array![[0.0f32, 1.0], [6.0, 8.0], [1.0, 1.0]];
        assert_eq!(
            mse_rows(a.view(), b.view()).unwrap(),
            array![1.0, 12.5, 1.0]
        );
        let c = cosine_rows(a.view(), b.view()).unwrap();
        assert_eq!(c[0], 0.0);
        assert!((c[1] - 1.0).abs() < 1e-6);
        assert_eq!(c[2], 0.0);
    }

    #[test]
    fn shape_and_value_errors() {
        let a = Array2::<f32>::zeros((2, 3));
        let b = Array2::<f32>::zeros((2, 4));
        assert!(matches!(
            overlaps(a.view(), b.view()),
            Err(Error::Shape { .. })
        ));
        assert!(matches!(
            bit_errors(a.view(), b.view()),
            Err(Error::Shape { .. })
        ));
        assert!(matches!(
            mse_rows(a.view(), b.view()),
            Err(Error::Shape { .. })
        ));
        assert!(matches!(
            cosine_rows(a.view(), b.view()),
            Err(Error::Shape { .. })
        ));
        assert!(matches!(
            nearest_pattern(a.view(), b.view()),
            Err(Error::Shape { .. })
        ));
        let mut n = a.clone();
        n[[1, 1]] = f32::INFINITY;
        assert!(matches!(
            overlaps(a.view(), n.view()),
            Err(Error::NonFinite { index: 4, .. })
        ));
        let z = Array2::<f32>::zeros((2, 0));
        assert!(matches!(overlaps(z.view(), z.view()), Err(Error::Empty(_))));
        assert!(matches!(mse_rows(z.view(), z.view()), Err(Error::Empty(_))));
    }

    #[test]
    fn nearest_pattern_finds_the_source() {
        let memory = random_bipolar(10, 100, 4);
        let cues = flip_bits(memory.view(), 0.2, 5).unwrap();
        assert_eq!(
            nearest_pattern(memory.view(), cues.view()).unwrap(),
            (0..10).collect::<Vec<_>>()
        );
        let tie = array![[0.0f32, 0.0]];
        let mem = array![[1.0f32, 0.0], [0.0, 1.0]];
        assert_eq!(nearest_pattern(mem.view(), tie.view()).unwrap(), vec![0]);
        let none = Array2::<f32>::zeros((0, 2));
        assert!(matches!(
            nearest_pattern(none.view(), tie.view()),
            Err(Error::Empty(_))
        ));
        assert!(nearest_pattern(mem.view(), none.view()).unwrap().is_empty());
    }
}
