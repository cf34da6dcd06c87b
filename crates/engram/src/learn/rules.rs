//! The three learning rules.

use ndarray::{Array2, ArrayView2};

use super::linalg::{cholesky, cholesky_solve};
use crate::error::{Error, Result};
use crate::kernel::matmul::{matmul, matmul_nt};
use crate::model::ensure_bipolar;

fn check_patterns(patterns: ArrayView2<f32>) -> Result<()> {
    if patterns.nrows() == 0 || patterns.ncols() == 0 {
        return Err(Error::Empty(
            "patterns: need at least one pattern of dimension >= 1".into(),
        ));
    }
    ensure_bipolar("patterns", patterns)
}

/// Hebbian (outer-product) weights `W = XᵀX / N` with zero diagonal, for `K` bipolar patterns
/// `X` of shape `(K, N)` (Hopfield 1982).
pub fn hebbian(patterns: ArrayView2<f32>) -> Result<Array2<f32>> {
    check_patterns(patterns)?;
    let n = patterns.ncols();
    let mut w = matmul(patterns.t(), patterns);
    w.mapv_inplace(|v| v / n as f32);
    w.diag_mut().fill(0.0);
    Ok(w)
}

/// Storkey's (1997) incremental rule, pattern by pattern:
/// `w_ij += (ξ_i ξ_j - ξ_i h_ji - h_ij ξ_j) / N` with local fields
/// `h_ij = Σ_{k≠i,j} w_ik ξ_k`; computed in f64, diagonal zeroed at the end.
pub fn storkey(patterns: ArrayView2<f32>) -> Result<Array2<f32>> {
    check_patterns(patterns)?;
    let n = patterns.ncols();
    let mut w = Array2::<f64>::zeros((n, n));
    let inv_n = 1.0 / n as f64;
    for xi in patterns.rows() {
        let xi: Vec<f64> = xi.iter().map(|&v| v as f64).collect();
        // Full field (Wξ)_i including the diagonal term; h_ij removes w_ii ξ_i and w_ij ξ_j.
        let field: Vec<f64> = w
            .rows()
            .into_iter()
            .map(|row| row.iter().zip(&xi).map(|(a, b)| a * b).sum())
            .collect();
        let base: Vec<f64> = (0..n).map(|i| field[i] - w[[i, i]] * xi[i]).collect();
        let old = w.clone();
        for i in 0..n {
            for j in 0..n {
                let h_ij = base[i] - old[[i, j]] * xi[j];
                let h_ji = base[j] - old[[j, i]] * xi[i];
                w[[i, j]] += inv_n * (xi[i] * xi[j] - xi[i] * h_ji - h_ij * xi[j]);
            }
        }
    }
    w.diag_mut().fill(0.0);
    Ok(w.mapv(|v| v as f32))
}

/// Pseudoinverse (projection) weights `W = Xᵀ (X Xᵀ)⁻¹ X` for `X` of shape `(K, N)`: the
/// orthogonal projection onto the span of the patterns, so every stored pattern satisfies
/// `Wξ = ξ` exactly (Personnaz, Guyon & Dreyfus 1985). Computed in f64 through a Cholesky
/// factorization of the Gram matrix; the diagonal is kept (it lies in `[0, 1]`, so asynchronous
/// dynamics still descend the energy).
///
/// Fails with [`Error::Unsupported`] when the patterns are linearly dependent (for instance
/// `K > N`), since their Gram matrix is then singular.
pub fn pseudoinverse(patterns: ArrayView2<f32>) -> Result<Array2<f32>> {
    check_patterns(patterns)?;
    let (k, n) = patterns.dim();
    if k > n {
        return Err(Error::Unsupported(format!(
            "pseudoinverse rule: {k} patterns in dimension {n} are linearly dependent (need K <= N)"
        )));
    }
    let x = patterns.mapv(|v| v as f64);
    let gram = matmul_nt(x.view(), x.view());
    let l = cholesky(&gram).ok_or_else(|| {
        Error::Unsupported(
            "pseudoinverse rule: the patterns are linearly dependent (singular Gram matrix)".into(),
        )
    })?;
    let mut y = x.clone();
    cholesky_solve(&l, &mut y);
    let w = matmul(x.t(), y.view());
    let w = (&w + &w.t()) / 2.0;
    Ok(w.mapv(|v| v as f32))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pattern::random_bipolar;

    #[test]
    fn hebbian_is_symmetric_with_zero_diagonal() {
        let x = random_bipolar(4, 30, 1);
        let w = hebbian(x.view()).unwrap();
        assert!(w.diag().iter().all(|&d| d == 0.0));
        assert_eq!(w, w.t());
        let expected = (0..4).map(|k| x[[k, 0]] * x[[k, 1]]).sum::<f32>() / 30.0;
        assert!((w[[0, 1]] - expected).abs() < 1e-6);
    }

    #[test]
    fn storkey_first_pattern_equals_hebbian() {
        // With W = 0 every local field vanishes, so the first pattern adds ξ_i ξ_j / N.
        let x = random_bipolar(1, 25, 2);
        let s = storkey(x.view()).unwrap();
        let h = hebbian(x.view()).unwrap();
        assert!((&s - &h).iter().all(|d| d.abs() < 1e-6));
        let x = random_bipolar(6, 25, 3);
        let s = storkey(x.view()).unwrap();
        assert!((&s - &s.t()).iter().all(|d| d.abs() < 1e-5));
    }

    #[test]
    fn pseudoinverse_projects_onto_the_patterns() {
        let x = random_bipolar(20, 64, 4);
        let w = pseudoinverse(x.view()).unwrap();
        let back = matmul(x.view(), w.view());
        assert!((&back - &x).iter().all(|d| d.abs() < 1e-4));
        // A projection is idempotent with trace equal to its rank.
        let trace: f32 = w.diag().sum();
        assert!((trace - 20.0).abs() < 1e-3);
        assert!(w.diag().iter().all(|&d| (-1e-5..=1.0 + 1e-5).contains(&d)));
    }

    #[test]
    fn pseudoinverse_rejects_dependent_patterns() {
        let mut x = random_bipolar(3, 16, 5);
        let first = x.row(0).to_owned();
        x.row_mut(2).assign(&first);
        assert!(matches!(
            pseudoinverse(x.view()),
            Err(Error::Unsupported(_))
        ));
        let many = random_bipolar(20, 16, 6);
        assert!(matches!(
            pseudoinverse(many.view()),
            Err(Error::Unsupported(_))
        ));
    }

    #[test]
    fn rules_reject_non_bipolar_and_empty_patterns() {
        let bad = ndarray::arr2(&[[1.0f32, 0.5]]);
        assert!(matches!(hebbian(bad.view()), Err(Error::State(_))));
        let empty = Array2::<f32>::zeros((0, 4));
        assert!(matches!(storkey(empty.view()), Err(Error::Empty(_))));
    }
}
