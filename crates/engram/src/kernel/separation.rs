//! TEMPORARY scalar separations (replaced by the kernel work).
#![allow(missing_docs)]
pub fn softmax(z: &[f32], out: &mut [f32]) -> f64 {
    let m = z.iter().cloned().fold(f32::NEG_INFINITY, f32::max);
    let mut s = 0.0f64;
    for (o, &v) in out.iter_mut().zip(z) {
        *o = (v - m).exp();
        s += *o as f64;
    }
    for o in out.iter_mut() {
        *o = (*o as f64 / s) as f32;
    }
    m as f64 + s.ln()
}
pub fn sparsemax(z: &[f32], out: &mut [f32]) -> f64 {
    entmax(z, 2.0, out)
}
pub fn entmax(z: &[f32], _alpha: f32, out: &mut [f32]) -> f64 {
    softmax(z, out)
}
pub fn top_k(z: &[f32], k: usize, out: &mut [f32]) -> f64 {
    let mut idx: Vec<usize> = (0..z.len()).collect();
    idx.sort_by(|&a, &b| z[b].partial_cmp(&z[a]).unwrap());
    out.fill(0.0);
    let k = k.clamp(1, z.len());
    let mut s = 0.0;
    for &i in &idx[..k] {
        out[i] = 1.0 / k as f32;
        s += z[i] as f64;
    }
    s / k as f64
}
pub fn rectified_power(z: &[f32], degree: u32, out: &mut [f32]) -> f64 {
    let mut phi = 0.0;
    for (o, &v) in out.iter_mut().zip(z) {
        let r = v.max(0.0) as f64;
        *o = r.powi(degree as i32) as f32;
        phi += r.powi(degree as i32 + 1) / (degree as f64 + 1.0);
    }
    phi
}
pub fn identity(z: &[f32], out: &mut [f32]) -> f64 {
    out.copy_from_slice(z);
    z.iter().map(|&v| (v as f64) * (v as f64)).sum::<f64>() / 2.0
}
