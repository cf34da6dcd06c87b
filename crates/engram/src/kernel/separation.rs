//! Separation functions: the sharpening step between similarity scores and weights.
//!
//! Each function takes one row of scores `z` (already multiplied by the inverse temperature
//! `beta` by the caller), writes weights into `out` (same length) and returns the separation's
//! convex potential `Phi(z)` in `f64`. The weights are exactly the gradient of `Phi`, so a model
//! whose update is `x <- sum_i w_i(beta * s(x)) * v_i` descends the energy
//! `E(x) = |x|^2 / 2 - Phi(beta * s(x)) / beta`.
//!
//! | function | weights | `Phi(z)` |
//! |---|---|---|
//! | [`softmax`] | `exp(z_i) / sum exp(z)` | `logsumexp(z)` |
//! | [`sparsemax`] | projection of `z` onto the simplex | `<p,z> - abs(p)^2/2 + 1/2` |
//! | [`entmax`] | `[(alpha-1) z_i - tau]_+^(1/(alpha-1))` | `<p,z> - (sum p^alpha - 1)/(alpha(alpha-1))` |
//! | [`top_k`] | `1/k` on the `k` largest | mean of the `k` largest |
//! | [`rectified_power`] | `max(z,0)^n` | `sum max(z,0)^(n+1)/(n+1)` |
//! | [`identity`] | `z` | `abs(z)^2/2` |
//!
//! The simplex maps (softmax, sparsemax, entmax, top-k) return weights summing to 1 and, for an
//! empty row, `Phi = -inf` (the supremum over an empty simplex). Non-finite scores are not
//! hidden: they produce non-finite weights or potentials for the caller to detect.
//!
//! # Panics
//! Every function panics if `out.len() != z.len()`; engram's models check shapes before calling.

use super::simd;
use std::cmp::Ordering;

fn check_len(z: &[f32], out: &[f32], name: &str) {
    assert_eq!(
        z.len(),
        out.len(),
        "{name}: output length differs from the scores'"
    );
}

/// Copies the values of `src` that pass `keep` (called with the value in `f64`) to the front of
/// `dst`, in order; returns how many there are and their sum. `dst` must be at least as long.
///
/// Every value is written and the count advanced by 0 or 1, so there is no branch to
/// mispredict; the sum is taken afterwards over the kept values only.
fn gather(src: &[f32], dst: &mut [f32], keep: impl Fn(f64) -> bool) -> (usize, f64) {
    let mut count = 0usize;
    for &v in src {
        dst[count] = v;
        count += keep(v as f64) as usize;
    }
    (count, sum_f64(&dst[..count]))
}

/// In-place [`gather`]: moves the values of `buf` that pass `keep` to its front.
fn compact(buf: &mut [f32], keep: impl Fn(f64) -> bool) -> (usize, f64) {
    let mut count = 0usize;
    for j in 0..buf.len() {
        let v = buf[j];
        buf[count] = v;
        count += keep(v as f64) as usize;
    }
    (count, sum_f64(&buf[..count]))
}

/// Sum of `f32` values accumulated in `f64`, with four independent partial sums.
fn sum_f64(x: &[f32]) -> f64 {
    let mut acc = [0.0f64; 4];
    let mut chunks = x.chunks_exact(4);
    for c in &mut chunks {
        for l in 0..4 {
            acc[l] += c[l] as f64;
        }
    }
    let tail: f64 = chunks.remainder().iter().map(|&v| v as f64).sum();
    (acc[0] + acc[2]) + (acc[1] + acc[3]) + tail
}

/// `max(d, 0)` that lets NaN through instead of turning it into 0.
fn positive_part(d: f64) -> f64 {
    if d <= 0.0 {
        0.0
    } else {
        d
    }
}

/// Softmax weights; returns `logsumexp(z)`.
///
/// The scores are shifted by their maximum before exponentiating, so scores of any finite
/// magnitude (beta of 1e4 and more on unit-norm patterns) neither overflow nor underflow: the
/// largest weight is at least `1/len` and the log-sum-exp is `max + ln(sum)` with `sum >= 1`.
pub fn softmax(z: &[f32], out: &mut [f32]) -> f64 {
    check_len(z, out, "softmax");
    if z.is_empty() {
        return f64::NEG_INFINITY;
    }
    out.copy_from_slice(z);
    let m = simd::max(out);
    let sum = simd::exp_shift_sum(out, m);
    simd::scale(out, (1.0 / sum) as f32);
    m as f64 + sum.ln()
}

/// Sparsemax: the Euclidean projection of `z` onto the probability simplex (Martins & Astudillo
/// 2016), `p_i = max(z_i - tau, 0)` with `tau` such that the weights sum to 1. Returns
/// `Phi(z) = <p,z> - |p|^2/2 + 1/2`.
///
/// Only scores above `max(z) - 1` can be in the support. The threshold is found among those
/// (in `out`, used as scratch) by a few threshold-raising passes that each discard candidates
/// below the current bound, finishing with a sort if many remain: `O(len)` in typical cases and
/// `O(len + m log m)` at worst for `m` candidates.
pub fn sparsemax(z: &[f32], out: &mut [f32]) -> f64 {
    check_len(z, out, "sparsemax");
    if z.is_empty() {
        return f64::NEG_INFINITY;
    }
    let tau = simplex_threshold(z, out);
    let (mut pz, mut pp) = (0.0f64, 0.0f64);
    for (o, &zi) in out.iter_mut().zip(z) {
        let p = positive_part(zi as f64 - tau);
        *o = p as f32;
        pz += p * zi as f64;
        pp += p * p;
    }
    pz - 0.5 * pp + 0.5
}

/// Passes of the threshold-raising iteration before the remaining candidates are sorted.
const RAISING_PASSES: usize = 32;

/// The threshold `tau` of the simplex projection of `z`, with `scratch` (same length) as workspace.
fn simplex_threshold(z: &[f32], scratch: &mut [f32]) -> f64 {
    simplex_threshold_with(z, scratch, RAISING_PASSES)
}

/// [`simplex_threshold`] with a chosen number of raising passes before sorting.
fn simplex_threshold_with(z: &[f32], scratch: &mut [f32], passes: usize) -> f64 {
    let top = simd::max(z) as f64;
    // The largest weight is at most 1, so tau >= max - 1 and nothing at or below it is kept.
    let mut tau = top - 1.0;
    let (mut count, mut sum) = gather(z, scratch, |v| v > tau);
    // Raising iteration (Michelot 1986): the threshold implied by a candidate set that contains
    // the support never exceeds the true one, so candidates at or below it can be dropped and
    // the threshold recomputed. When nothing is dropped, the set is the support and tau is exact.
    // Each pass usually drops a large share, but adversarial rows can drop one at a time, so
    // after a few passes the rest is sorted instead.
    for _ in 0..passes {
        tau = (sum - 1.0) / count as f64;
        let kept;
        (kept, sum) = compact(&mut scratch[..count], |v| v > tau);
        if kept == count {
            return tau;
        }
        count = kept;
    }
    sorted_threshold(&mut scratch[..count], tau)
}

/// Simplex threshold from candidates that contain the support, by sorting; `floor` is a lower
/// bound on the threshold.
fn sorted_threshold(candidates: &mut [f32], floor: f64) -> f64 {
    candidates.sort_unstable_by(|a, b| b.total_cmp(a));
    // The support is the longest prefix of the sorted scores whose smallest member stays above
    // the threshold that prefix would imply.
    let mut tau = floor;
    let mut cumulative = 0.0f64;
    for (j, &u) in candidates.iter().enumerate() {
        cumulative += u as f64;
        let t = (cumulative - 1.0) / (j + 1) as f64;
        if u as f64 > t {
            tau = t;
        } else {
            break;
        }
    }
    tau
}

/// Alpha-entmax (Peters, Niculae & Martins 2019): `p_i = [(alpha-1) z_i - tau]_+^(1/(alpha-1))`
/// with `tau` chosen so that the weights sum to 1. Returns
/// `Phi(z) = <p,z> - (sum p_i^alpha - 1) / (alpha (alpha - 1))`.
///
/// `alpha` must be greater than 1 (callers validate it). `alpha = 2` is sparsemax (and is
/// computed by [`sparsemax`]); as `alpha -> 1` the weights approach softmax and `Phi` approaches
/// log-sum-exp. `tau` is found in `f64` by bisection on its known bracket, accelerated with
/// Newton steps that stay inside the bracket, to a weight sum within about 1e-12 of 1; the
/// weights are then divided by their sum.
pub fn entmax(z: &[f32], alpha: f32, out: &mut [f32]) -> f64 {
    debug_assert!(alpha > 1.0, "entmax needs alpha > 1, got {alpha}");
    check_len(z, out, "entmax");
    if z.is_empty() {
        return f64::NEG_INFINITY;
    }
    if alpha == 2.0 {
        return sparsemax(z, out);
    }
    entmax_general(z, alpha as f64, out)
}

/// `t^q` for `t > 0`, with the common exponents done without `powf`.
fn power(t: f64, q: f64) -> f64 {
    if q == 1.0 {
        t
    } else if q == 2.0 {
        t * t
    } else {
        t.powf(q)
    }
}

/// The entmax threshold `tau` for scores `z` scaled by `am1 = alpha - 1`, with `scratch` (same
/// length) as workspace; `term(t)` gives `(t_+^q, q t_+^(q-1))` for `q = 1/am1`.
fn entmax_threshold(
    z: &[f32],
    am1: f64,
    scratch: &mut [f32],
    term: impl Fn(f64) -> (f64, f64),
) -> f64 {
    let top = am1 * simd::max(z) as f64;
    // Scores scaled by alpha - 1 at or below top - 1 get no weight (the largest weight is at
    // most 1), so the search runs over the others only, gathered into `scratch` and thinned as
    // the lower end of the bracket rises.
    let mut count = gather(z, scratch, |v| am1 * v > top - 1.0).0;
    // g(tau) = sum (u_i - tau)_+^q falls from >= 1 at top - 1 to <= 1 where the largest term
    // alone is 1/count.
    let mut lo = top - 1.0;
    let mut hi = top - (count as f64).powf(-am1);
    let mut tau = lo;
    for _ in 0..200 {
        let (mut g, mut slope, mut active) = (0.0f64, 0.0f64, 0usize);
        for &v in &scratch[..count] {
            let t = am1 * v as f64 - tau;
            let (p, dp) = term(t);
            g += p;
            slope += dp;
            active += (t > 0.0) as usize;
        }
        let excess = g - 1.0;
        if excess.abs() <= 1e-12 || !excess.is_finite() {
            break;
        }
        if excess > 0.0 {
            lo = tau;
            // tau is below the root, so scores with no weight at tau have none at the root.
            if active < count {
                count = compact(&mut scratch[..count], |v| am1 * v - tau > 0.0).0;
            }
        } else {
            hi = tau;
        }
        if hi - lo <= 1e-15 * (1.0 + tau.abs()) {
            break;
        }
        // For alpha <= 2 the sum is convex in tau and Newton from the left never overshoots;
        // for alpha > 2 the bracket catches steps that would.
        let newton = tau + excess / slope;
        tau = if slope > 0.0 && newton > lo && newton < hi {
            newton
        } else {
            0.5 * (lo + hi)
        };
    }
    tau
}

/// Entmax for any `alpha > 1` through the threshold search (no sparsemax shortcut).
fn entmax_general(z: &[f32], alpha: f64, out: &mut [f32]) -> f64 {
    if z.is_empty() {
        return f64::NEG_INFINITY;
    }
    let am1 = alpha - 1.0;
    let q = 1.0 / am1;
    // Each term (t)_+^q of the weight sum and its derivative q (t)_+^(q-1), for t = u_i - tau.
    // The two common exponents get branch-free closures the compiler can keep in registers.
    let tau = if q == 1.0 {
        entmax_threshold(z, am1, out, |t| {
            let tp = t.max(0.0);
            (tp, if t > 0.0 { 1.0 } else { 0.0 })
        })
    } else if q == 2.0 {
        entmax_threshold(z, am1, out, |t| {
            let tp = t.max(0.0);
            (tp * tp, 2.0 * tp)
        })
    } else {
        entmax_threshold(z, am1, out, |t| {
            if t > 0.0 {
                let w = t.powf(q - 1.0);
                (t * w, q * w)
            } else {
                (0.0, 0.0)
            }
        })
    };
    // One pass writes the unnormalized weights w_i = t_i^q and collects sum w, sum w z and
    // sum w^alpha = sum w t (since q alpha = q + 1); normalizing afterwards gives p and Phi.
    let (mut s, mut wz, mut wt) = (0.0f64, 0.0f64, 0.0f64);
    for (o, &v) in out.iter_mut().zip(z) {
        let t = positive_part(am1 * v as f64 - tau);
        let w = if t > 0.0 { power(t, q) } else { t };
        *o = w as f32;
        s += w;
        wz += w * v as f64;
        wt += w * t;
    }
    simd::scale(out, (1.0 / s) as f32);
    let sum_p_alpha = wt / s.powf(alpha);
    wz / s - (sum_p_alpha - 1.0) / (alpha * am1)
}

/// Weight `1/k` on the `k` largest scores and 0 elsewhere; returns their mean.
///
/// `k` is clamped to `1..=len` (`k = 1` is the one-hot max separation). Scores are ordered by
/// `f32::total_cmp` (so `-0.0` ranks below `+0.0`); equal scores are taken in index order.
/// The potential is convex and piecewise linear, and away from ties its gradient is the weights.
pub fn top_k(z: &[f32], k: usize, out: &mut [f32]) -> f64 {
    check_len(z, out, "top_k");
    let n = z.len();
    if n == 0 {
        return f64::NEG_INFINITY;
    }
    let k = k.clamp(1, n);
    if k == 1 {
        let mut best = 0;
        for (i, v) in z.iter().enumerate().skip(1) {
            if v.total_cmp(&z[best]) == Ordering::Greater {
                best = i;
            }
        }
        out.fill(0.0);
        out[best] = 1.0;
        return z[best] as f64;
    }
    out.copy_from_slice(z);
    let threshold = *out.select_nth_unstable_by(k - 1, |a, b| b.total_cmp(a)).1;
    let above = z
        .iter()
        .filter(|v| v.total_cmp(&threshold) == Ordering::Greater)
        .count();
    let mut ties_left = k - above;
    let w = (1.0 / k as f64) as f32;
    let mut sum = 0.0f64;
    for (o, &v) in out.iter_mut().zip(z) {
        let take = match v.total_cmp(&threshold) {
            Ordering::Greater => true,
            Ordering::Equal if ties_left > 0 => {
                ties_left -= 1;
                true
            }
            _ => false,
        };
        *o = if take {
            sum += v as f64;
            w
        } else {
            0.0
        };
    }
    sum / k as f64
}

/// Rectified power: `out_i = max(z_i, 0)^degree`; returns `sum max(z_i, 0)^(degree+1) / (degree+1)`
/// computed in `f64`.
///
/// Degree 0 gives the step function (1 where `z_i > 0`). Weights that overflow `f32` come out as
/// `+inf`, for the caller to detect.
pub fn rectified_power(z: &[f32], degree: u32, out: &mut [f32]) -> f64 {
    check_len(z, out, "rectified_power");
    let d = degree.min(i32::MAX as u32 - 1) as i32;
    let mut phi = 0.0f64;
    for (o, &v) in out.iter_mut().zip(z) {
        let r = positive_part(v as f64) as f32;
        *o = if d == 0 {
            // powi(0) would be 1 at 0 and for NaN; the gradient of max(z, 0) is the step.
            if r > 0.0 {
                1.0
            } else {
                r
            }
        } else {
            r.powi(d)
        };
        phi += (r as f64).powi(d + 1);
    }
    phi / (d as f64 + 1.0)
}

/// Identity: `out = z`; returns `|z|^2 / 2` computed in `f64`.
pub fn identity(z: &[f32], out: &mut [f32]) -> f64 {
    check_len(z, out, "identity");
    out.copy_from_slice(z);
    0.5 * z.iter().map(|&v| v as f64 * v as f64).sum::<f64>()
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::numeric::Rng;

    type Sep = Box<dyn Fn(&[f32], &mut [f32]) -> f64>;

    fn simplex_maps() -> Vec<(&'static str, Sep)> {
        vec![
            ("softmax", Box::new(softmax)),
            ("sparsemax", Box::new(sparsemax)),
            ("entmax1.5", Box::new(|z, o| entmax(z, 1.5, o))),
            ("entmax1.2", Box::new(|z, o| entmax(z, 1.2, o))),
            ("entmax3", Box::new(|z, o| entmax(z, 3.0, o))),
            (
                "entmax2-general",
                Box::new(|z, o| entmax_general(z, 2.0, o)),
            ),
            ("top3", Box::new(|z, o| top_k(z, 3, o))),
        ]
    }

    fn all_maps() -> Vec<(&'static str, Sep)> {
        let mut maps = simplex_maps();
        maps.push(("entmax1.01", Box::new(|z, o| entmax(z, 1.01, o))));
        maps.push(("top1", Box::new(|z, o| top_k(z, 1, o))));
        maps.push(("relu^1", Box::new(|z, o| rectified_power(z, 1, o))));
        maps.push(("relu^3", Box::new(|z, o| rectified_power(z, 3, o))));
        maps.push(("identity", Box::new(identity)));
        maps
    }

    fn phi(f: &Sep, z: &[f32]) -> f64 {
        let mut out = vec![0.0; z.len()];
        f(z, &mut out)
    }

    /// True if two scores of `z` are within `gap` of each other.
    fn has_near_tie(z: &[f32], gap: f32) -> bool {
        let mut s = z.to_vec();
        s.sort_by(f32::total_cmp);
        s.windows(2).any(|w| w[1] - w[0] < gap)
    }

    #[test]
    fn weights_are_the_gradient_of_the_potential() {
        let mut rng = Rng::new(11);
        for (name, f) in all_maps() {
            for trial in 0..20 {
                let n = 3 + trial % 9;
                let z = rng.uniform_vec(n, -2.0, 2.0);
                // Softmax's potential carries f32 rounding of its exponentials, so it needs a
                // wider step; the others are computed in f64 from the scores.
                let h = if name == "softmax" { 1e-2f32 } else { 1e-3 };
                if name.starts_with("top") && has_near_tie(&z, 4.0 * h) {
                    continue;
                }
                // max(z, 0)^2 / 2 has a second-derivative kink at 0.
                if name == "relu^1" && z.iter().any(|v| v.abs() < 2.0 * h) {
                    continue;
                }
                let mut out = vec![0.0; n];
                f(&z, &mut out);
                for i in 0..n {
                    let (mut zp, mut zm) = (z.clone(), z.clone());
                    zp[i] += h;
                    zm[i] -= h;
                    let step = zp[i] as f64 - zm[i] as f64;
                    let fd = (phi(&f, &zp) - phi(&f, &zm)) / step;
                    // Central differences err by h^2 |Phi'''| / 6.
                    let tol = 2e-4 * (1.0 + out[i].abs() as f64);
                    assert!(
                        (fd - out[i] as f64).abs() <= tol,
                        "{name}: z={z:?} i={i}: finite difference {fd} vs weight {}",
                        out[i]
                    );
                }
            }
        }
    }

    #[test]
    fn simplex_maps_sum_to_one_at_every_scale() {
        let mut rng = Rng::new(5);
        for (name, f) in simplex_maps() {
            for n in 1..60 {
                for &beta in &[0.1f32, 1.0, 30.0, 1e3, 1e4] {
                    let z: Vec<f32> = rng
                        .uniform_vec(n, -1.0, 1.0)
                        .iter()
                        .map(|v| v * beta)
                        .collect();
                    let mut out = vec![f32::NAN; n];
                    let p = f(&z, &mut out);
                    assert!(p.is_finite(), "{name} n={n} beta={beta}");
                    let sum: f64 = out.iter().map(|&v| v as f64).sum();
                    assert!(
                        (sum - 1.0).abs() < 2e-6,
                        "{name} n={n} beta={beta}: sum {sum}"
                    );
                    assert!(
                        out.iter().all(|&v| (0.0..=1.0).contains(&v)),
                        "{name}: {out:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn softmax_survives_huge_scores() {
        let mut out = [0.0f32; 3];
        let lse = softmax(&[1e4, 0.0, -1e4], &mut out);
        assert_eq!(out, [1.0, 0.0, 0.0]);
        assert_eq!(lse, 1e4);
        let mut out = [0.0f32; 5];
        for v in [1e4f32, -1e4, 1e6, 3e38] {
            let lse = softmax(&[v; 5], &mut out);
            assert!(out.iter().all(|&p| (p - 0.2).abs() < 1e-7), "{v}: {out:?}");
            assert!((lse - (v as f64 + 5f64.ln())).abs() <= 1e-9 * v.abs() as f64);
        }
        let mut out = [0.0f32; 2];
        let lse = softmax(&[1e4, 1e4 - 1.0], &mut out);
        let want = 1.0 / (1.0 + (-1.0f64).exp());
        assert!((out[0] as f64 - want).abs() < 1e-6 && (out[1] as f64 - (1.0 - want)).abs() < 1e-6);
        assert!((lse - (1e4 + (1.0 + (-1.0f64).exp()).ln())).abs() < 1e-6);
        let mut one = [0.0f32];
        assert_eq!(softmax(&[-7.5], &mut one), -7.5);
        assert_eq!(one, [1.0]);
    }

    #[test]
    fn softmax_matches_f64_reference() {
        let mut rng = Rng::new(9);
        for n in [1, 7, 8, 9, 100, 1001] {
            let z = rng.uniform_vec(n, -20.0, 20.0);
            let mut out = vec![0.0; n];
            let lse = softmax(&z, &mut out);
            let m = z
                .iter()
                .map(|&v| v as f64)
                .fold(f64::NEG_INFINITY, f64::max);
            let s: f64 = z.iter().map(|&v| (v as f64 - m).exp()).sum();
            assert!((lse - (m + s.ln())).abs() < 1e-6);
            for i in 0..n {
                let gap = m - z[i] as f64;
                let want = (-gap).exp() / s;
                // The shift z_i - max is rounded to f32, a relative error of gap * 2^-24.
                let tol = (5e-7 + 6e-8 * gap) * want;
                assert!((out[i] as f64 - want).abs() <= tol, "n={n} i={i}");
            }
        }
    }

    #[test]
    fn sparsemax_known_values() {
        let mut out = [0.0f32; 3];
        let phi = sparsemax(&[1.0, 0.5, -1.0], &mut out);
        assert_eq!(out, [0.75, 0.25, 0.0]);
        // <p,z> = 0.875, |p|^2 = 0.625
        assert!((phi - (0.875 - 0.3125 + 0.5)).abs() < 1e-12);
        sparsemax(&[0.0, 0.0, 0.0], &mut out);
        assert!(out.iter().all(|&p| (p - 1.0 / 3.0).abs() < 1e-7));
        let phi = sparsemax(&[3.0, 0.0, 1.0], &mut out);
        assert_eq!(out, [1.0, 0.0, 0.0]);
        assert_eq!(phi, 3.0);
        let mut out = [0.0f32; 4];
        sparsemax(&[0.5, 0.4, 0.3, -5.0], &mut out);
        // tau = (0.5 + 0.4 + 0.3 - 1) / 3
        let tau = 0.2 / 3.0;
        let want = [0.5 - tau, 0.4 - tau, 0.3 - tau, 0.0];
        for (o, w) in out.iter().zip(want) {
            assert!((*o as f64 - w).abs() < 1e-7, "{out:?}");
        }
    }

    #[test]
    fn sparsemax_threshold_search_agrees_with_sorting() {
        let mut rng = Rng::new(17);
        for n in 1..300 {
            let scale = [0.01f32, 0.3, 1.0, 5.0, 100.0][n % 5];
            let z: Vec<f32> = rng
                .uniform_vec(n, -1.0, 1.0)
                .iter()
                .map(|v| v * scale)
                .collect();
            let mut scratch = vec![0.0; n];
            let fast = simplex_threshold(&z, &mut scratch);
            // With no raising pass, the threshold comes from sorting all candidates.
            let sorted = simplex_threshold_with(&z, &mut scratch, 0);
            let partial = simplex_threshold_with(&z, &mut scratch, 1);
            let tol = 1e-12 * (1.0 + fast.abs());
            assert!((fast - sorted).abs() <= tol, "n={n}: {fast} vs {sorted}");
            assert!(
                (partial - sorted).abs() <= tol,
                "n={n}: {partial} vs {sorted}"
            );
            let mass: f64 = z.iter().map(|&v| (v as f64 - fast).max(0.0)).sum();
            assert!((mass - 1.0).abs() < 1e-9, "n={n}: {mass}");
        }
    }

    #[test]
    fn entmax_two_is_sparsemax() {
        let mut rng = Rng::new(21);
        for n in 1..40 {
            let z = rng.uniform_vec(n, -1.5, 1.5);
            let (mut a, mut b, mut c) = (vec![0.0; n], vec![0.0; n], vec![0.0; n]);
            let pa = entmax(&z, 2.0, &mut a);
            let pb = sparsemax(&z, &mut b);
            let pc = entmax_general(&z, 2.0, &mut c);
            assert_eq!(a, b);
            assert_eq!(pa, pb);
            assert!((pb - pc).abs() < 1e-9, "{pb} {pc}");
            for i in 0..n {
                assert!((b[i] - c[i]).abs() < 1e-6, "n={n}: {b:?} vs {c:?}");
            }
        }
    }

    #[test]
    fn entmax_near_one_approaches_softmax() {
        let mut rng = Rng::new(4);
        for n in [2, 5, 17, 64] {
            let z = rng.uniform_vec(n, -2.0, 2.0);
            let mut s = vec![0.0; n];
            let ps = softmax(&z, &mut s);
            // Distance to softmax (largest weight difference, potential difference) for an alpha.
            let distance = |alpha: f32| {
                let mut e = vec![0.0; n];
                let pe = entmax(&z, alpha, &mut e);
                let dw = e
                    .iter()
                    .zip(&s)
                    .map(|(a, b)| (a - b).abs())
                    .fold(0.0f32, f32::max);
                (dw as f64, (pe - ps).abs())
            };
            let (w3, p3) = distance(1.001);
            let (w4, p4) = distance(1.0001);
            assert!(w3 < 3e-3 && p3 < 2e-2, "n={n}: {w3} {p3}");
            assert!(w4 < 4e-4 && p4 < 2e-3, "n={n}: {w4} {p4}");
        }
    }

    #[test]
    fn entmax_one_point_five_matches_closed_form() {
        // For alpha = 1.5, p_i = ((z_i / 2 - tau)_+)^2; check against an f64 bisection.
        let z = [0.8f32, 0.3, -0.2, 1.1, 0.9];
        let mut out = [0.0f32; 5];
        entmax(&z, 1.5, &mut out);
        let g = |tau: f64| -> f64 {
            z.iter()
                .map(|&v| (0.5 * v as f64 - tau).max(0.0).powi(2))
                .sum()
        };
        let (mut lo, mut hi) = (-10.0f64, 10.0f64);
        for _ in 0..200 {
            let mid = 0.5 * (lo + hi);
            if g(mid) > 1.0 {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        for (o, &v) in out.iter().zip(&z) {
            let want = (0.5 * v as f64 - lo).max(0.0).powi(2);
            assert!((*o as f64 - want).abs() < 1e-7, "{out:?}");
        }
    }

    #[test]
    fn top_k_ties_and_clamping() {
        let mut out = [0.0f32; 5];
        let m = top_k(&[1.0, 3.0, 3.0, 2.0, 3.0], 2, &mut out);
        assert_eq!(out, [0.0, 0.5, 0.5, 0.0, 0.0]);
        assert_eq!(m, 3.0);
        let m = top_k(&[1.0, 3.0, 3.0, 2.0, 3.0], 1, &mut out);
        assert_eq!(out, [0.0, 1.0, 0.0, 0.0, 0.0]);
        assert_eq!(m, 3.0);
        let m = top_k(&[1.0, 3.0, 0.0, 2.0, 3.0], 0, &mut out);
        assert_eq!(out, [0.0, 1.0, 0.0, 0.0, 0.0]);
        assert_eq!(m, 3.0);
        let m = top_k(&[1.0, 3.0, 0.0, 2.0, 4.0], 99, &mut out);
        assert!(out.iter().all(|&p| p == 0.2));
        assert!((m - 2.0).abs() < 1e-12);
        let m = top_k(&[1.0, 3.0, 0.0, 2.0, 4.0], 3, &mut out);
        assert_eq!(out, [0.0, 1.0 / 3.0, 0.0, 1.0 / 3.0, 1.0 / 3.0]);
        assert!((m - 3.0).abs() < 1e-12);
    }

    #[test]
    fn rectified_power_values_and_overflow() {
        let mut out = [0.0f32; 4];
        let phi = rectified_power(&[2.0, -1.0, 0.5, 0.0], 2, &mut out);
        assert_eq!(out, [4.0, 0.0, 0.25, 0.0]);
        assert!((phi - (8.0 + 0.125) / 3.0).abs() < 1e-12);
        let phi = rectified_power(&[2.0, -1.0, 0.5, 0.0], 0, &mut out);
        assert_eq!(out, [1.0, 0.0, 1.0, 0.0]);
        assert_eq!(phi, 2.5);
        let mut big = [0.0f32; 2];
        rectified_power(&[1e10, 1.0], 5, &mut big);
        assert_eq!(big[0], f32::INFINITY);
        assert_eq!(big[1], 1.0);
        let phi = identity(&[3.0, -4.0], &mut out[..2]);
        assert_eq!(phi, 12.5);
        assert_eq!(&out[..2], &[3.0, -4.0]);
    }

    #[test]
    fn potentials_are_convex_along_random_lines() {
        let mut rng = Rng::new(13);
        for (name, f) in all_maps() {
            for trial in 0..200 {
                let n = 2 + trial % 13;
                let a = rng.uniform_vec(n, -3.0, 3.0);
                let b = rng.uniform_vec(n, -3.0, 3.0);
                let mid: Vec<f32> = a.iter().zip(&b).map(|(x, y)| 0.5 * (x + y)).collect();
                let (pa, pb, pm) = (phi(&f, &a), phi(&f, &b), phi(&f, &mid));
                let tol = 1e-6 * (1.0 + pa.abs() + pb.abs());
                assert!(
                    pm <= 0.5 * (pa + pb) + tol,
                    "{name}: {pm} > mean of {pa}, {pb}"
                );
            }
        }
    }

    #[test]
    fn empty_rows_and_non_finite_scores() {
        let mut none: [f32; 0] = [];
        for (_, f) in simplex_maps() {
            assert_eq!(f(&[], &mut none), f64::NEG_INFINITY);
        }
        assert_eq!(identity(&[], &mut none), 0.0);
        assert_eq!(rectified_power(&[], 3, &mut none), 0.0);
        let mut out = [0.0f32; 3];
        for (name, f) in all_maps() {
            let phi = f(&[0.5, f32::NAN, 0.1], &mut out);
            let hidden = phi.is_finite() && out.iter().all(|v| v.is_finite());
            assert!(!hidden, "{name} hid a NaN: {phi} {out:?}");
        }
    }

    #[test]
    #[should_panic(expected = "output length")]
    fn mismatched_output_length_panics() {
        softmax(&[1.0, 2.0], &mut [0.0]);
    }
}
