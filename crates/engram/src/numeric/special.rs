//! Special functions used by the capacity formulas and the energies: double factorials, the
//! principal branch of the Lambert W function, `erf`, and a stable log-sum-exp.
//!
//! Everything here works in `f64`; the model code may run in `f32`, but the published formulas are
//! evaluated at full precision so that they can be compared with the digits the papers print.

use crate::error::{Error, Result};
use std::f64::consts::{E, FRAC_2_SQRT_PI, LN_2};

/// `-1/e`, the branch point of the Lambert W function: the smallest argument of `W0`.
pub const LAMBERT_W_BRANCH_POINT: f64 = -1.0 / E;

/// The low-order bits of `e` that do not fit in [`std::f64::consts::E`]; used to evaluate
/// `e·x + 1` near the branch point with less cancellation.
const E_LOW: f64 = 1.445_646_891_729_250_2e-16;

/// The double factorial `n!! = n·(n-2)·(n-4)···` down to 1 or 2, with `0!! = 1`.
///
/// The capacity of a polynomial dense associative memory uses the odd double factorial
/// `(2n-3)!!`; the convention `(-1)!! = 1` for `n = 1` is the caller's (the argument here is
/// unsigned). The product is exact while it stays below 2^53 (for odd `n`, up to `n = 29`) and
/// becomes `+inf` once it exceeds `f64::MAX` (beyond `n = 300`); use [`ln_double_factorial`] for
/// large arguments.
pub fn double_factorial(n: u32) -> f64 {
    let mut product = 1.0_f64;
    let mut k = n;
    while k > 1 {
        product *= f64::from(k);
        if product.is_infinite() {
            return f64::INFINITY;
        }
        k -= 2;
    }
    product
}

/// The natural logarithm of `n!`, exact summation for small `n` and Stirling's series beyond.
///
/// For `n >= 20` the series `ln Γ(n+1) = (n+½)ln n − n + ½ln 2π + 1/(12n) − 1/(360n³) + 1/(1260n⁵)
/// − 1/(1680n⁷)` has a truncation error below `1e-16` relative.
pub fn ln_factorial(n: u32) -> f64 {
    if n < 20 {
        return (2..=n).map(|k| f64::from(k).ln()).sum();
    }
    let x = f64::from(n);
    let inv = 1.0 / x;
    let inv2 = inv * inv;
    let series =
        inv * (1.0 / 12.0 - inv2 * (1.0 / 360.0 - inv2 * (1.0 / 1260.0 - inv2 * (1.0 / 1680.0))));
    (x + 0.5) * x.ln() - x + 0.5 * (2.0 * std::f64::consts::PI).ln() + series
}

/// The natural logarithm of the double factorial `n!!` (see [`double_factorial`]), finite for
/// every `u32`.
///
/// Uses `(2k)!! = 2^k k!` and `(2k+1)!! = (2k+1)·(2k)! / (2^k k!)` with [`ln_factorial`], so the
/// cost does not grow with `n`.
pub fn ln_double_factorial(n: u32) -> f64 {
    if n <= 33 {
        return double_factorial(n).ln();
    }
    let k = n / 2;
    if n.is_multiple_of(2) {
        f64::from(k) * LN_2 + ln_factorial(k)
    } else {
        // n = 2k + 1: n!! = n · (2k-1)!! = n · (2k)! / (2^k k!).
        f64::from(n).ln() + ln_factorial(n - 1) - f64::from(k) * LN_2 - ln_factorial(k)
    }
}

/// The principal branch `W0` of the Lambert W function: the solution `w >= -1` of `w·e^w = x`.
///
/// Defined for `x` in `[-1/e, +inf)`; `W0(-1/e) = -1`, `W0(0) = 0`, `W0(e) = 1`. Near the
/// branch point a series in `p = sqrt(2(e·x + 1))` is used (Corless, Gonnet, Hare, Jeffrey &
/// Knuth 1996, "On the Lambert W function", Adv. Comput. Math. 5, Sec. 4, series (4.22));
/// elsewhere Halley's iteration (Corless et al. 1996, eq. (5.9)) is run from a starting guess to
/// full precision, in the form `w + ln w = ln x` for large `x` so that nothing overflows up to
/// `f64::MAX`. The result is accurate to a few units in the last place, except within about
/// `1e-8` of the branch point, where `W0` itself is ill-conditioned (its derivative is infinite).
///
/// # Errors
///
/// [`Error::Parameter`] if `x` is NaN, infinite, or below `-1/e`.
pub fn lambert_w0(x: f64) -> Result<f64> {
    if !x.is_finite() {
        return Err(Error::param("x", format!("must be finite, got {x}")));
    }
    if x < LAMBERT_W_BRANCH_POINT {
        return Err(Error::param(
            "x",
            format!("W0 is defined for x >= -1/e = {LAMBERT_W_BRANCH_POINT}, got {x}"),
        ));
    }
    if x == 0.0 {
        return Ok(0.0);
    }
    if x.abs() < 1e-8 {
        // Taylor series at 0: x - x^2 + 3/2 x^3 - 8/3 x^4; truncation ~ x^5.
        return Ok(x * (1.0 - x * (1.0 - x * (1.5 - x * (8.0 / 3.0)))));
    }
    // Distance from the branch point, e·x + 1, with the low bits of e restored.
    let q = (x.mul_add(E, 1.0) + x * E_LOW).max(0.0);
    let p = (2.0 * q).sqrt();
    if p < 1e-2 {
        return Ok(branch_series(p));
    }
    if x > E {
        return Ok(halley_log_form(x.ln()));
    }
    let mut w = if x < 1.0 { branch_series(p) } else { x.ln_1p() };
    for _ in 0..64 {
        let ew = w.exp();
        let f = w * ew - x;
        let wp1 = w + 1.0;
        let denom = ew * wp1 - (w + 2.0) * f / (2.0 * wp1);
        let step = f / denom;
        w -= step;
        if step.abs() <= 4.0 * f64::EPSILON * (1.0 + w.abs()) {
            break;
        }
    }
    Ok(w)
}

/// Series of `W0` around the branch point in `p = sqrt(2(e·x + 1))`, ten terms.
fn branch_series(p: f64) -> f64 {
    const C: [f64; 10] = [
        -1.0,
        1.0,
        -1.0 / 3.0,
        11.0 / 72.0,
        -43.0 / 540.0,
        769.0 / 17280.0,
        -221.0 / 8505.0,
        680_863.0 / 43_545_600.0,
        -1963.0 / 204_120.0,
        226_287_557.0 / 37_623_398_400.0,
    ];
    C.iter().rev().fold(0.0, |acc, &c| acc * p + c)
}

/// Halley's iteration on `g(w) = w + ln w − ln x` (same root as `w e^w = x` for `x > 0`), taking
/// `lx = ln x`; it never overflows. Used for `x > e`, where `w > 1`.
fn halley_log_form(lx: f64) -> f64 {
    let llx = lx.ln();
    // Asymptotic start: ln x − ln ln x + ln ln x / ln x.
    let mut w = (lx - llx + llx / lx).max(1.0);
    for _ in 0..64 {
        let g = w + w.ln() - lx;
        let g1 = 1.0 + 1.0 / w;
        let g2 = -1.0 / (w * w);
        let step = g / (g1 - g * g2 / (2.0 * g1));
        w -= step;
        if step.abs() <= 4.0 * f64::EPSILON * w.abs() {
            break;
        }
    }
    w
}

/// `W0(e^u)` for any finite `u`, without forming `e^u` when it would overflow (this is Wright's
/// omega function on the real line: the solution of `w + ln w = u`).
///
/// The Ramsauer et al. capacity constant is written with `W0(exp(a + ln b))`; this evaluates it
/// for every finite `a + ln b`.
///
/// # Errors
///
/// [`Error::Parameter`] if `u` is NaN or infinite.
pub fn lambert_w0_exp(u: f64) -> Result<f64> {
    if !u.is_finite() {
        return Err(Error::param("u", format!("must be finite, got {u}")));
    }
    if u > 1.0 {
        Ok(halley_log_form(u))
    } else {
        lambert_w0(u.exp())
    }
}

/// The error function `erf(x) = 2/√π ∫₀ˣ e^{-t²} dt`.
///
/// Evaluated with the everywhere-convergent series `erf(x) = 2/√π · e^{-x²} Σ 2ⁿ x^{2n+1} /
/// (1·3···(2n+1))` (Abramowitz & Stegun 7.1.6), whose terms are all positive, so there is no
/// cancellation; for `|x| >= 6` the value is `±1` to double precision (`erfc(6) < 3e-17`).
/// Accurate to about `1e-15`. NaN maps to NaN.
pub fn erf(x: f64) -> f64 {
    if x.is_nan() {
        return f64::NAN;
    }
    let ax = x.abs();
    if ax >= 6.0 {
        return x.signum();
    }
    let x2 = ax * ax;
    let mut term = ax;
    let mut sum = ax;
    let mut n = 0.0_f64;
    loop {
        n += 1.0;
        term *= 2.0 * x2 / (2.0 * n + 1.0);
        sum += term;
        if term <= sum * 1e-17 {
            break;
        }
    }
    (FRAC_2_SQRT_PI * (-x2).exp() * sum).min(1.0).copysign(x)
}

/// `ln Σ exp(xᵢ)`, shifted by the maximum so that it neither overflows nor underflows.
///
/// Returns `-inf` for an empty slice or when every entry is `-inf`, `+inf` if any entry is `+inf`,
/// and NaN if any entry is NaN.
pub fn logsumexp(xs: &[f64]) -> f64 {
    let mut max = f64::NEG_INFINITY;
    for &x in xs {
        if x.is_nan() {
            return f64::NAN;
        }
        if x > max {
            max = x;
        }
    }
    if max.is_infinite() {
        return max;
    }
    let sum: f64 = xs.iter().map(|&x| (x - max).exp()).sum();
    max + sum.ln()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn double_factorial_small_values() {
        assert_eq!(double_factorial(0), 1.0);
        assert_eq!(double_factorial(1), 1.0);
        assert_eq!(double_factorial(2), 2.0);
        assert_eq!(double_factorial(3), 3.0);
        assert_eq!(double_factorial(5), 15.0);
        assert_eq!(double_factorial(6), 48.0);
        assert_eq!(double_factorial(7), 105.0);
        assert_eq!(double_factorial(9), 945.0);
        assert_eq!(double_factorial(10), 3840.0);
        assert!(double_factorial(400).is_infinite());
    }

    #[test]
    fn ln_double_factorial_matches_direct_sum() {
        for n in [
            0_u32, 1, 2, 3, 17, 33, 34, 35, 100, 101, 299, 300, 1001, 5000,
        ] {
            let direct: f64 = (1..=n).rev().step_by(2).map(|k| f64::from(k).ln()).sum();
            let got = ln_double_factorial(n);
            assert!(
                (got - direct).abs() <= 1e-12 * direct.abs().max(1.0),
                "n = {n}: {got} vs {direct}"
            );
        }
        // Finite for the largest argument.
        assert!(ln_double_factorial(u32::MAX).is_finite());
        assert!(ln_double_factorial(u32::MAX - 1).is_finite());
    }

    #[test]
    fn ln_factorial_matches_direct_sum() {
        for n in [0_u32, 1, 5, 19, 20, 21, 50, 170, 1000] {
            let direct: f64 = (2..=n).map(|k| f64::from(k).ln()).sum();
            let got = ln_factorial(n);
            assert!((got - direct).abs() <= 1e-13 * direct.max(1.0), "n = {n}");
        }
    }

    #[test]
    fn lambert_w0_special_values() {
        assert_eq!(lambert_w0(0.0).unwrap(), 0.0);
        assert!((lambert_w0(E).unwrap() - 1.0).abs() <= 1e-15);
        assert!((lambert_w0(LAMBERT_W_BRANCH_POINT).unwrap() + 1.0).abs() <= 1e-15);
        assert!((lambert_w0(-(-1.0_f64).exp()).unwrap() + 1.0).abs() <= 1e-15);
        // The omega constant W0(1).
        assert!((lambert_w0(1.0).unwrap() - 0.567_143_290_409_783_8).abs() <= 1e-15);
        // W0(2 ln 2) = ln 2, W0(-ln2/2) = -ln 2 (since (-ln 2) e^{-ln 2} = -ln2 / 2).
        assert!((lambert_w0(2.0 * LN_2).unwrap() - LN_2).abs() <= 1e-15);
        assert!((lambert_w0(-LN_2 / 2.0).unwrap() + LN_2).abs() <= 1e-15);
    }

    #[test]
    fn lambert_w0_inverts_w_exp_w_on_a_grid() {
        let mut xs: Vec<f64> = Vec::new();
        // Approach to the branch point.
        for k in 1..=15 {
            xs.push(LAMBERT_W_BRANCH_POINT + 10f64.powi(-k));
        }
        for i in 0..=200 {
            xs.push(LAMBERT_W_BRANCH_POINT + (i as f64) * 0.01);
        }
        for k in -300..=300 {
            if k % 7 == 0 {
                xs.push(10f64.powi(k));
            }
        }
        xs.extend([1e-9, -1e-9, 1e300, f64::MAX, 0.5, 2.0, 3.0, 10.0, 1e3, 1e6]);
        for &x in &xs {
            let w = lambert_w0(x).unwrap();
            assert!(w >= -1.0, "x = {x}: w = {w}");
            // Residual check in a form that does not overflow: w + ln w = ln x for x > 0.
            if x > 1.0 {
                let r = (w + w.ln() - x.ln()).abs();
                assert!(
                    r <= 1e-14 * x.ln().abs().max(1.0),
                    "x = {x}: w = {w}, r = {r}"
                );
            } else {
                let r = (w * w.exp() - x).abs();
                assert!(r <= 2e-16 + 1e-14 * x.abs(), "x = {x}: w = {w}, r = {r}");
            }
        }
        // Accurate as a value, not only as a residual, away from the branch point.
        let w = lambert_w0(1e300).unwrap();
        let back = w.ln() + w;
        assert!((back - 1e300_f64.ln()).abs() <= 1e-13);
    }

    #[test]
    fn lambert_w0_is_increasing() {
        let mut last = -1.0;
        let mut x = LAMBERT_W_BRANCH_POINT;
        while x < 50.0 {
            let w = lambert_w0(x).unwrap();
            assert!(w >= last, "not monotone at {x}");
            last = w;
            x += 0.013;
        }
    }

    #[test]
    fn lambert_w0_exp_agrees_and_extends() {
        for u in [
            -30.0, -5.0, -1.0, 0.0, 0.5, 1.0, 1.5, 3.0, 10.0, 100.0, 700.0,
        ] {
            let direct = lambert_w0(f64::exp(u)).unwrap();
            let via = lambert_w0_exp(u).unwrap();
            assert!(
                (direct - via).abs() <= 1e-14 * direct.abs().max(1e-300),
                "u = {u}"
            );
        }
        // Beyond exp's range: w + ln w = u still holds.
        for u in [1e3, 1e5, 1e300] {
            let w = lambert_w0_exp(u).unwrap();
            assert!((w + w.ln() - u).abs() <= 1e-14 * u, "u = {u}");
        }
        assert!(lambert_w0_exp(f64::NAN).is_err());
        assert!(lambert_w0_exp(f64::INFINITY).is_err());
    }

    #[test]
    fn lambert_w0_rejects_bad_input() {
        assert!(matches!(lambert_w0(-0.5), Err(Error::Parameter { .. })));
        assert!(lambert_w0(LAMBERT_W_BRANCH_POINT - 1e-12).is_err());
        assert!(lambert_w0(f64::NAN).is_err());
        assert!(lambert_w0(f64::INFINITY).is_err());
        assert!(lambert_w0(f64::NEG_INFINITY).is_err());
    }

    #[test]
    fn erf_reference_values() {
        // Abramowitz & Stegun Table 7.1 / standard values.
        let cases = [
            (0.0, 0.0),
            (0.5, 0.520_499_877_813_046_5),
            (1.0, 0.842_700_792_949_714_9),
            (2.0, 0.995_322_265_018_952_7),
            (3.0, 0.999_977_909_503_001_4),
            (-1.0, -0.842_700_792_949_714_9),
        ];
        for (x, want) in cases {
            assert!((erf(x) - want).abs() <= 1e-15, "erf({x}) = {}", erf(x));
        }
        assert_eq!(erf(7.0), 1.0);
        assert_eq!(erf(-7.0), -1.0);
        assert!(erf(f64::NAN).is_nan());
    }

    #[test]
    fn logsumexp_cases() {
        assert_eq!(logsumexp(&[]), f64::NEG_INFINITY);
        assert_eq!(
            logsumexp(&[f64::NEG_INFINITY, f64::NEG_INFINITY]),
            f64::NEG_INFINITY
        );
        assert_eq!(logsumexp(&[1.0, f64::INFINITY]), f64::INFINITY);
        assert!(logsumexp(&[1.0, f64::NAN]).is_nan());
        assert!((logsumexp(&[0.0, 0.0]) - LN_2).abs() <= 1e-15);
        assert!((logsumexp(&[3.5]) - 3.5).abs() <= 1e-15);
        // No overflow and no underflow.
        assert!((logsumexp(&[1000.0, 1000.0]) - (1000.0 + LN_2)).abs() <= 1e-12);
        assert!((logsumexp(&[-1000.0, -1000.0]) - (-1000.0 + LN_2)).abs() <= 1e-12);
        let xs = [0.1, -2.0, 3.0, 0.7];
        let direct: f64 = xs.iter().map(|x: &f64| x.exp()).sum::<f64>().ln();
        assert!((logsumexp(&xs) - direct).abs() <= 1e-14);
        assert_eq!(logsumexp(&[f64::NEG_INFINITY, 2.0]), 2.0);
    }
}
