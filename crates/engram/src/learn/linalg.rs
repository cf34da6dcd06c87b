//! Dense f64 Cholesky factorization and solves, for the pseudoinverse rule's Gram matrix.

use ndarray::Array2;

/// Lower-triangular `L` with `a = L Lᵀ`, or `None` when `a` is not (numerically) positive definite.
pub(crate) fn cholesky(a: &Array2<f64>) -> Option<Array2<f64>> {
    let n = a.nrows();
    let mut l = Array2::<f64>::zeros((n, n));
    let scale = (0..n)
        .map(|i| a[[i, i]].abs())
        .fold(0.0, f64::max)
        .max(1e-300);
    for j in 0..n {
        let mut d = a[[j, j]];
        for k in 0..j {
            d -= l[[j, k]] * l[[j, k]];
        }
        if d <= 1e-10 * scale {
            return None;
        }
        let d = d.sqrt();
        l[[j, j]] = d;
        for i in j + 1..n {
            let mut s = a[[i, j]];
            for k in 0..j {
                s -= l[[i, k]] * l[[j, k]];
            }
            l[[i, j]] = s / d;
        }
    }
    Some(l)
}

/// Solves `L Lᵀ y = b` for every column of `b` (shape `(n, m)`), in place.
pub(crate) fn cholesky_solve(l: &Array2<f64>, b: &mut Array2<f64>) {
    let n = l.nrows();
    for c in 0..b.ncols() {
        for i in 0..n {
            let mut s = b[[i, c]];
            for k in 0..i {
                s -= l[[i, k]] * b[[k, c]];
            }
            b[[i, c]] = s / l[[i, i]];
        }
        for i in (0..n).rev() {
            let mut s = b[[i, c]];
            for k in i + 1..n {
                s -= l[[k, i]] * b[[k, c]];
            }
            b[[i, c]] = s / l[[i, i]];
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn solves_a_small_spd_system() {
        let a = ndarray::arr2(&[[4.0, 2.0, 0.4], [2.0, 5.0, 1.0], [0.4, 1.0, 3.0]]);
        let l = cholesky(&a).unwrap();
        let mut b = ndarray::arr2(&[[1.0], [2.0], [3.0]]);
        let rhs = b.clone();
        cholesky_solve(&l, &mut b);
        let back = a.dot(&b);
        assert!((&back - &rhs).iter().all(|d| d.abs() < 1e-12));
        assert!(cholesky(&ndarray::arr2(&[[1.0, 1.0], [1.0, 1.0]])).is_none());
    }
}
