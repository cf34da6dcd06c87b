//! Matrix products through the `gemm` crate (the same micro-kernels faer uses), on ndarray views
//! of any strides, parallel on engram's rayon pool for large problems.

use ndarray::{Array2, ArrayView2, ArrayViewMut2};

/// Element types the products accept (f32 and f64).
pub trait Scalar: Copy + Default + Send + Sync + 'static {
    /// Zero.
    const ZERO: Self;
    /// One.
    const ONE: Self;
}
impl Scalar for f32 {
    const ZERO: Self = 0.0;
    const ONE: Self = 1.0;
}
impl Scalar for f64 {
    const ZERO: Self = 0.0;
    const ONE: Self = 1.0;
}

/// Below this many multiply-adds a product runs on the calling thread.
const PARALLEL_THRESHOLD: usize = 1 << 18;

fn parallelism(m: usize, n: usize, k: usize) -> gemm::Parallelism {
    let threads = rayon::current_num_threads();
    if threads > 1 && m.saturating_mul(n).saturating_mul(k) >= PARALLEL_THRESHOLD {
        gemm::Parallelism::Rayon(threads)
    } else {
        gemm::Parallelism::None
    }
}

/// `out = a · b` for `a` of shape (m, k) and `b` of shape (k, n); `out` must be (m, n).
///
/// # Panics
/// Panics if the shapes disagree: callers in engram check shapes first and return
/// [`crate::Error::Shape`] to users.
pub fn matmul_into<T: Scalar>(a: ArrayView2<T>, b: ArrayView2<T>, mut out: ArrayViewMut2<T>) {
    let (m, k) = a.dim();
    let (k2, n) = b.dim();
    assert_eq!(k, k2, "matmul: inner dimensions differ");
    assert_eq!(out.dim(), (m, n), "matmul: output shape");
    if m == 0 || n == 0 {
        return;
    }
    if k == 0 {
        out.fill(T::ZERO);
        return;
    }
    let (ars, acs) = (a.strides()[0], a.strides()[1]);
    let (brs, bcs) = (b.strides()[0], b.strides()[1]);
    let (ors, ocs) = (out.strides()[0], out.strides()[1]);
    // SAFETY: the pointers come from live ndarray views whose shapes were checked above, the
    // strides are those views' own element strides, and `out` is a unique mutable view, so every
    // address gemm touches lies inside an allocation it may read (a, b) or write (out).
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            out.as_mut_ptr(),
            ocs,
            ors,
            false,
            a.as_ptr(),
            acs,
            ars,
            b.as_ptr(),
            bcs,
            brs,
            T::ZERO,
            T::ONE,
            false,
            false,
            false,
            parallelism(m, n, k),
        );
    }
}

/// `a · b` for `a` (m, k) and `b` (k, n), as a new (m, n) array.
pub fn matmul<T: Scalar>(a: ArrayView2<T>, b: ArrayView2<T>) -> Array2<T> {
    let mut out = Array2::from_elem((a.nrows(), b.ncols()), T::ZERO);
    matmul_into(a, b, out.view_mut());
    out
}

/// `a · bᵀ` for `a` (m, k) and `b` (n, k): scores of every row of `a` against every row of `b`.
pub fn matmul_nt<T: Scalar>(a: ArrayView2<T>, b: ArrayView2<T>) -> Array2<T> {
    matmul(a, b.t())
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Array2;

    fn naive(a: &Array2<f64>, b: &Array2<f64>) -> Array2<f64> {
        let mut c = Array2::zeros((a.nrows(), b.ncols()));
        for i in 0..a.nrows() {
            for j in 0..b.ncols() {
                c[[i, j]] = (0..a.ncols()).map(|t| a[[i, t]] * b[[t, j]]).sum();
            }
        }
        c
    }

    #[test]
    fn matches_naive_product_for_odd_shapes_and_transposes() {
        let a = Array2::from_shape_fn((7, 13), |(i, j)| (i as f64 * 0.3 - j as f64 * 0.11).sin());
        let b = Array2::from_shape_fn((13, 5), |(i, j)| (i as f64 * 0.7 + j as f64).cos());
        let want = naive(&a, &b);
        assert!((&matmul(a.view(), b.view()) - &want)
            .iter()
            .all(|d| d.abs() < 1e-12));
        let bt = b.t().to_owned();
        assert!((&matmul_nt(a.view(), bt.view()) - &want)
            .iter()
            .all(|d| d.abs() < 1e-12));
        let v = a.row(2).to_owned().insert_axis(ndarray::Axis(0));
        let got = matmul(v.view(), b.view());
        assert!((got.row(0).to_owned() - want.row(2))
            .iter()
            .all(|d| d.abs() < 1e-12));
    }
}
