//! TEMPORARY: replaced by the theory work.
#![allow(missing_docs)]
pub fn krotov_hopfield_capacity(n: usize, degree: u32) -> f64 {
    let n = n as f64;
    let mut df = 1.0;
    let mut k = 2 * degree as i64 - 3;
    while k > 1 {
        df *= k as f64;
        k -= 2;
    }
    n.powi(degree as i32 - 1) / (2.0 * df * n.ln())
}
