//! Dense associative memory through random features: the distributed representation (DrDAM)
//! beside the exact memory representation (MrDAM) it approximates. Hoover, Chau, Strobelt, Ram &
//! Krotov, "Dense Associative Memory Through the Lens of Random Features", NeurIPS 2024
//! (arXiv:2410.24153).
//!
//! Stored patterns `ξ_μ` (rows of a `(K, d)` array), state `x ∈ R^d`, inverse temperature `β`.
//!
//! * Exact energy ([`MrDam`], the paper's eq. for the L2 similarity with exponential separation):
//!   `E(x) = -(1/β) ln Σ_μ exp(-β/2 ‖x - ξ_μ‖²)`, gradient `∇E(x) = x - Σ_μ w_μ(x) ξ_μ` with
//!   `w = softmax(-β/2 ‖x - ξ‖²)`. For patterns of one norm `r` this is the modern Hopfield energy
//!   of [`super::ModernHopfield`] less its constant `ln K / β`, and a gradient step of size 1 is
//!   its update `Ξᵀ softmax(β Ξ x)`.
//! * Random features `φ: R^d → R^F` with `E[φ(x)·φ(y)] = κ(x, y) = exp(-β/2 ‖x - y‖²)`
//!   ([`RandomFeatures`], [`RandomFeatureKind`]; `Y` random projections `ω_j ~ N(0, I_d)`).
//! * Distributed memory: `T = Σ_μ φ(ξ_μ) ∈ R^F`. Its size does not depend on `K`; adding or
//!   removing a pattern adds or subtracts its features ([`DrDam::add`], [`DrDam::remove`]).
//! * Approximate energy ([`DrDam`]): `Ê(x) = -(1/β) ln φ(x)·T`, the exact energy with each
//!   kernel value replaced by its random-feature estimate. When the estimate `φ(x)·T` is not
//!   above a floor `ε` (trigonometric features can make it zero or negative far from every
//!   pattern) the energy is `-(1/β) ln ε` and the gradient is zero, as in the authors' code.
//! * Update (both models): gradient descent `x ← x - η ∇E(x)` with step size `η`. For the exact
//!   energy any `η ∈ (0, 1]` never raises it (the step lands between `x` and the concave-convex
//!   minimiser `Σ_μ w_μ ξ_μ`); for the approximate energy there is no such guarantee.
//!
//! Features, energies and gradients are computed in f64; states stay f32 like every engram model.

use std::f64::consts::PI;

use ndarray::{s, Array1, Array2, ArrayView1, ArrayView2, Axis};
use rayon::prelude::*;

use super::rbf::RbfMixture;
use crate::dynamics::{check_batch, Dynamics};
use crate::error::{ensure_finite, ensure_positive, Error, Result};
use crate::kernel::matmul::{matmul, matmul_nt};
use crate::numeric::Rng;

/// The floor `ε` of the kernel estimate `φ(x)·T` below which the approximate energy is clipped
/// (the value the authors' code uses).
pub const DEFAULT_KERNEL_FLOOR: f64 = 1e-5;

/// Most entries of one `(rows, Y)` block of projections held at once (about 32 MiB of f64).
const BLOCK_ENTRIES: usize = 1 << 22;

/// Largest `|x|` [`sin_cos_into`] reduces accurately (Cody-Waite with a three-part `π/2`);
/// beyond it the standard library's `sin_cos` is used.
const FAST_TRIG_LIMIT: f64 = 1e5;

/// `s[i] = sin x[i]`, `c[i] = cos x[i]` for `|x[i]| <= FAST_TRIG_LIMIT`: the argument is reduced
/// to `r ∈ [-π/4, π/4]` by the nearest multiple `q` of `π/2` (three-part constant, exact
/// products for `|q| < 2^20`), both functions are evaluated by their minimax polynomials on that
/// interval (the coefficients of fdlibm's `__kernel_sin` / `__kernel_cos`) and the quadrant of
/// `q` picks and signs them, without branches so that the loop vectorizes. Agrees with the
/// standard library to a few units in the last place (checked in the tests).
fn sin_cos_into(x: &[f64], s: &mut [f64], c: &mut [f64]) {
    const PIO2_1: f64 = 1.570_796_326_734_125_6;
    const PIO2_2: f64 = 6.077_100_506_303_966e-11;
    const PIO2_3: f64 = 2.022_266_248_711_166_5e-21;
    const ROUND: f64 = 6_755_399_441_055_744.0; // 1.5 * 2^52: adding it rounds to an integer
    const S: [f64; 6] = [
        -1.666_666_666_666_663_2e-1,
        8.333_333_333_322_49e-3,
        -1.984_126_982_985_795e-4,
        2.755_731_370_707_007e-6,
        -2.505_076_025_340_686_3e-8,
        1.589_690_995_211_55e-10,
    ];
    const C: [f64; 6] = [
        4.166_666_666_666_66e-2,
        -1.388_888_888_887_411e-3,
        2.480_158_728_947_673e-5,
        -2.755_731_435_139_066_3e-7,
        2.087_572_321_298_175e-9,
        -1.135_964_755_778_819_5e-11,
    ];
    for ((&v, si), ci) in x.iter().zip(s.iter_mut()).zip(c.iter_mut()) {
        let q = (v * std::f64::consts::FRAC_2_PI + ROUND) - ROUND;
        let r = ((v - q * PIO2_1) - q * PIO2_2) - q * PIO2_3;
        let r2 = r * r;
        let ps = S[0] + r2 * (S[1] + r2 * (S[2] + r2 * (S[3] + r2 * (S[4] + r2 * S[5]))));
        let pc = C[0] + r2 * (C[1] + r2 * (C[2] + r2 * (C[3] + r2 * (C[4] + r2 * C[5]))));
        let sin_r = r + r * r2 * ps;
        let cos_r = 1.0 - 0.5 * r2 + r2 * r2 * pc;
        let k = q as i64;
        let swap = (k & 1) as f64;
        let sign_s = 1.0 - 2.0 * ((k >> 1) & 1) as f64;
        let sign_c = 1.0 - 2.0 * (((k + 1) >> 1) & 1) as f64;
        *si = sign_s * (sin_r * (1.0 - swap) + cos_r * swap);
        *ci = sign_c * (cos_r * (1.0 - swap) + sin_r * swap);
    }
}

/// [`sin_cos_into`] where every argument is small enough, the standard library otherwise.
fn sin_cos_slice(x: &[f64], s: &mut [f64], c: &mut [f64]) {
    if x.iter().all(|v| v.abs() <= FAST_TRIG_LIMIT) {
        sin_cos_into(x, s, c);
    } else {
        for ((&v, si), ci) in x.iter().zip(s.iter_mut()).zip(c.iter_mut()) {
            (*si, *ci) = v.sin_cos();
        }
    }
}

/// Entries per chunk of the trigonometric loops (stack buffers).
const TRIG_CHUNK: usize = 256;

/// Which random feature map approximates the Gaussian kernel `exp(-β/2 ‖x - y‖²)`.
///
/// With `h_j = √β ω_j · x` for `Y` projections `ω_j ~ N(0, I_d)`:
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RandomFeatureKind {
    /// Random Fourier features (Rahimi & Recht 2007), the paper's choice:
    /// `φ = Y^(-1/2) [cos h_1 .. cos h_Y, sin h_1 .. sin h_Y]`, `F = 2Y` entries.
    Trig,
    /// One cosine with a random phase `b_j ~ U[0, 2π)`: `φ_j = (2/Y)^(1/2) cos(h_j + b_j)`, `F = Y`.
    Cos,
    /// Positive random features (Choromanski et al. 2021):
    /// `φ_j = Y^(-1/2) exp(h_j - β‖x‖²)`, `F = Y`; the estimate is never negative.
    Positive,
    /// Positive features with both signs of each projection:
    /// `φ = (2Y)^(-1/2) [exp(h_j - β‖x‖²), exp(-h_j - β‖x‖²)]`, `F = 2Y`.
    PositiveSymmetric,
}

impl RandomFeatureKind {
    /// Every kind, in a fixed order.
    pub const ALL: [RandomFeatureKind; 4] = [
        RandomFeatureKind::Trig,
        RandomFeatureKind::Cos,
        RandomFeatureKind::Positive,
        RandomFeatureKind::PositiveSymmetric,
    ];

    /// The command-line name.
    pub fn name(self) -> &'static str {
        match self {
            RandomFeatureKind::Trig => "trig",
            RandomFeatureKind::Cos => "cos",
            RandomFeatureKind::Positive => "positive",
            RandomFeatureKind::PositiveSymmetric => "positive-symmetric",
        }
    }

    /// Feature entries per projection: 2 for the paired maps, 1 otherwise.
    pub fn entries_per_projection(self) -> usize {
        match self {
            RandomFeatureKind::Trig | RandomFeatureKind::PositiveSymmetric => 2,
            RandomFeatureKind::Cos | RandomFeatureKind::Positive => 1,
        }
    }
}

impl std::str::FromStr for RandomFeatureKind {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "trig" | "sincos" => Ok(RandomFeatureKind::Trig),
            "cos" => Ok(RandomFeatureKind::Cos),
            "positive" | "exp" => Ok(RandomFeatureKind::Positive),
            "positive-symmetric" | "expexp" => Ok(RandomFeatureKind::PositiveSymmetric),
            _ => Err(Error::param(
                "features",
                format!("unknown feature map {s:?} (expected trig, cos, positive or positive-symmetric)"),
            )),
        }
    }
}

/// A seeded random feature map for the Gaussian kernel `κ(x, y) = exp(-β/2 ‖x - y‖²)` on `R^d`.
#[derive(Clone, Debug)]
pub struct RandomFeatures {
    kind: RandomFeatureKind,
    beta: f64,
    /// `√β ω_j` as rows, shape `(Y, d)`.
    scaled: Array2<f64>,
    /// Random phases `b_j` (only for [`RandomFeatureKind::Cos`], otherwise empty).
    phases: Array1<f64>,
}

impl RandomFeatures {
    /// `projections` (`Y >= 1`) random projections of `R^dim` for inverse temperature `beta`,
    /// all drawn from `seed`.
    ///
    /// Errors: `dim == 0` or `projections == 0` ([`Error::Parameter`]), `beta` not finite and > 0.
    pub fn new(
        kind: RandomFeatureKind,
        dim: usize,
        projections: usize,
        beta: f32,
        seed: u64,
    ) -> Result<Self> {
        ensure_positive("beta", beta as f64)?;
        if dim == 0 {
            return Err(Error::param("dim", "must be at least 1"));
        }
        if projections == 0 {
            return Err(Error::param("features", "need at least one random feature"));
        }
        let beta = beta as f64;
        let root = beta.sqrt();
        let mut rng = Rng::new(seed);
        let scaled = Array2::from_shape_simple_fn((projections, dim), || root * rng.normal());
        let phases = if kind == RandomFeatureKind::Cos {
            Array1::from_shape_simple_fn(projections, || 2.0 * PI * rng.uniform())
        } else {
            Array1::zeros(0)
        };
        Ok(RandomFeatures {
            kind,
            beta,
            scaled,
            phases,
        })
    }

    /// The feature map's kind.
    pub fn kind(&self) -> RandomFeatureKind {
        self.kind
    }

    /// The inverse temperature `β` of the approximated kernel.
    pub fn beta(&self) -> f64 {
        self.beta
    }

    /// The input dimension `d`.
    pub fn dim(&self) -> usize {
        self.scaled.ncols()
    }

    /// The number `Y` of random projections.
    pub fn projections(&self) -> usize {
        self.scaled.nrows()
    }

    /// The length `F` of a feature vector (`2Y` or `Y`, see [`RandomFeatureKind`]).
    pub fn feature_dim(&self) -> usize {
        self.projections() * self.kind.entries_per_projection()
    }

    /// Numbers the map holds: the projections and, for the cosine map, the phases.
    pub fn parameter_count(&self) -> usize {
        self.scaled.len() + self.phases.len()
    }

    /// The features `φ(x)` of each row of `states` (shape `(B, d)`): shape `(B, F)`.
    pub fn features(&self, states: ArrayView2<f32>) -> Result<Array2<f64>> {
        check_batch("states", states, self.dim())?;
        let x = states.mapv(f64::from);
        let mut out = Array2::zeros((x.nrows(), self.feature_dim()));
        for (start, block) in self.blocks(x.view()) {
            let end = start + block.nrows();
            out.slice_mut(s![start..end, ..])
                .axis_iter_mut(Axis(0))
                .into_par_iter()
                .zip(block.axis_iter(Axis(0)).into_par_iter())
                .zip(
                    x.slice(s![start..end, ..])
                        .axis_iter(Axis(0))
                        .into_par_iter(),
                )
                .for_each(|((mut row, h), xr)| {
                    let out = row.as_slice_mut().expect("fresh rows are contiguous");
                    self.write_features(h, xr.dot(&xr), out);
                });
        }
        Ok(out)
    }

    /// The estimate `φ(x)·φ(y)` of `κ(x, y)` for every pair of a row of `a` (shape `(A, d)`) and
    /// a row of `b` (shape `(B, d)`): shape `(A, B)`.
    pub fn kernel(&self, a: ArrayView2<f32>, b: ArrayView2<f32>) -> Result<Array2<f64>> {
        let fa = self.features(a)?;
        let fb = self.features(b)?;
        Ok(matmul_nt(fa.view(), fb.view()))
    }

    /// Row blocks of the projections `h = x (√β Ω)ᵀ`, each at most [`BLOCK_ENTRIES`] numbers,
    /// with the index of their first row.
    fn blocks<'a>(
        &'a self,
        x: ArrayView2<'a, f64>,
    ) -> impl Iterator<Item = (usize, Array2<f64>)> + 'a {
        let rows = (BLOCK_ENTRIES / self.projections().max(1)).max(1);
        (0..x.nrows()).step_by(rows).map(move |start| {
            let end = (start + rows).min(x.nrows());
            (
                start,
                matmul_nt(x.slice(s![start..end, ..]), self.scaled.view()),
            )
        })
    }

    /// Writes `φ(x)` (length `F`) from the projections `h` of `x` and `‖x‖²`.
    fn write_features(&self, h: ArrayView1<f64>, sq_norm: f64, out: &mut [f64]) {
        let y = h.len();
        match self.kind {
            RandomFeatureKind::Trig => {
                let c = (1.0 / y as f64).sqrt();
                let (cos, sin) = out.split_at_mut(y);
                let h = h.as_slice().expect("projection rows are contiguous");
                sin_cos_slice(h, sin, cos);
                cos.iter_mut().chain(sin.iter_mut()).for_each(|v| *v *= c);
            }
            RandomFeatureKind::Cos => {
                let c = (2.0 / y as f64).sqrt();
                let mut arg = [0.0; TRIG_CHUNK];
                let mut sin = [0.0; TRIG_CHUNK];
                let h = h.as_slice().expect("projection rows are contiguous");
                let phases = self.phases.as_slice().expect("phases are contiguous");
                for ((hc, bc), oc) in h
                    .chunks(TRIG_CHUNK)
                    .zip(phases.chunks(TRIG_CHUNK))
                    .zip(out.chunks_mut(TRIG_CHUNK))
                {
                    let n = hc.len();
                    for ((a, &hj), &b) in arg.iter_mut().zip(hc).zip(bc) {
                        *a = hj + b;
                    }
                    sin_cos_slice(&arg[..n], &mut sin[..n], oc);
                    oc.iter_mut().for_each(|v| *v *= c);
                }
            }
            RandomFeatureKind::Positive => {
                let c = (1.0 / y as f64).sqrt();
                let shift = self.beta * sq_norm;
                for (&hj, o) in h.iter().zip(out) {
                    *o = c * (hj - shift).exp();
                }
            }
            RandomFeatureKind::PositiveSymmetric => {
                let c = (0.5 / y as f64).sqrt();
                let shift = self.beta * sq_norm;
                let (plus, minus) = out.split_at_mut(y);
                for ((&hj, p), m) in h.iter().zip(plus).zip(minus) {
                    *p = c * (hj - shift).exp();
                    *m = c * (-hj - shift).exp();
                }
            }
        }
    }

    /// For each row `x` of `states`: `k(x) = φ(x)·t` and, if asked, `∇_x k(x)` (shape `(B, d)`).
    fn kernel_sums<'a>(
        &'a self,
        states: ArrayView2<'a, f64>,
        t: ArrayView1<f64>,
        want_grad: bool,
    ) -> (Array1<f64>, Option<Array2<f64>>) {
        let y = self.projections();
        let mut sums = Array1::zeros(states.nrows());
        let mut grads = want_grad.then(|| Array2::zeros(states.dim()));
        for (start, mut block) in self.blocks(states) {
            let end = start + block.nrows();
            let xs = states.slice(s![start..end, ..]);
            // Each row of `block` is overwritten with dk/dh (the coefficients of √β ω_j in ∇k);
            // the positive maps add a multiple of x that is collected in `radial`.
            let pairs: Vec<(f64, f64)> = block
                .axis_iter_mut(Axis(0))
                .into_par_iter()
                .zip(xs.axis_iter(Axis(0)).into_par_iter())
                .map(|(mut row, x)| {
                    let h = row.as_slice_mut().expect("fresh rows are contiguous");
                    self.row_kernel(h, x.dot(&x), t, y)
                })
                .collect();
            for (i, &(k, _)) in pairs.iter().enumerate() {
                sums[start + i] = k;
            }
            if let Some(g) = grads.as_mut() {
                let mut part = matmul(block.view(), self.scaled.view());
                for ((mut row, x), &(_, radial)) in part
                    .axis_iter_mut(Axis(0))
                    .zip(xs.axis_iter(Axis(0)))
                    .zip(pairs.iter())
                {
                    if radial != 0.0 {
                        row.scaled_add(radial, &x);
                    }
                }
                g.slice_mut(s![start..end, ..]).assign(&part);
            }
        }
        (sums, grads)
    }

    /// `k = φ(x)·t` from the projections `h` (overwritten with `∂k/∂h`) and the coefficient of
    /// `x` in `∇k` (non-zero for the positive maps, whose features depend on `‖x‖²`).
    fn row_kernel(&self, h: &mut [f64], sq_norm: f64, t: ArrayView1<f64>, y: usize) -> (f64, f64) {
        let t = t.as_slice().expect("the memory vector is contiguous");
        match self.kind {
            RandomFeatureKind::Trig => {
                let c = (1.0 / y as f64).sqrt();
                let (tc, ts) = t.split_at(y);
                let mut sin = [0.0; TRIG_CHUNK];
                let mut cos = [0.0; TRIG_CHUNK];
                let mut k = 0.0;
                for ((hc, ac), bc) in h
                    .chunks_mut(TRIG_CHUNK)
                    .zip(tc.chunks(TRIG_CHUNK))
                    .zip(ts.chunks(TRIG_CHUNK))
                {
                    let n = hc.len();
                    sin_cos_slice(hc, &mut sin[..n], &mut cos[..n]);
                    for ((((hj, &a), &b), &sj), &cj) in
                        hc.iter_mut().zip(ac).zip(bc).zip(&sin[..n]).zip(&cos[..n])
                    {
                        k += a * cj + b * sj;
                        *hj = c * (b * cj - a * sj);
                    }
                }
                (c * k, 0.0)
            }
            RandomFeatureKind::Cos => {
                let c = (2.0 / y as f64).sqrt();
                let phases = self.phases.as_slice().expect("phases are contiguous");
                let mut sin = [0.0; TRIG_CHUNK];
                let mut cos = [0.0; TRIG_CHUNK];
                let mut k = 0.0;
                for ((hc, ac), bc) in h
                    .chunks_mut(TRIG_CHUNK)
                    .zip(t.chunks(TRIG_CHUNK))
                    .zip(phases.chunks(TRIG_CHUNK))
                {
                    let n = hc.len();
                    for (hj, &b) in hc.iter_mut().zip(bc) {
                        *hj += b;
                    }
                    sin_cos_slice(hc, &mut sin[..n], &mut cos[..n]);
                    for (((hj, &a), &sj), &cj) in
                        hc.iter_mut().zip(ac).zip(&sin[..n]).zip(&cos[..n])
                    {
                        k += a * cj;
                        *hj = -c * a * sj;
                    }
                }
                (c * k, 0.0)
            }
            RandomFeatureKind::Positive => {
                let c = (1.0 / y as f64).sqrt();
                let shift = self.beta * sq_norm;
                let mut k = 0.0;
                for (hj, &a) in h.iter_mut().zip(t) {
                    let term = a * c * (*hj - shift).exp();
                    k += term;
                    *hj = term;
                }
                (k, -2.0 * self.beta * k)
            }
            RandomFeatureKind::PositiveSymmetric => {
                let c = (0.5 / y as f64).sqrt();
                let shift = self.beta * sq_norm;
                let (tp, tm) = t.split_at(y);
                let mut k = 0.0;
                for ((hj, &a), &b) in h.iter_mut().zip(tp).zip(tm) {
                    let plus = a * c * (*hj - shift).exp();
                    let minus = b * c * (-*hj - shift).exp();
                    k += plus + minus;
                    *hj = plus - minus;
                }
                (k, -2.0 * self.beta * k)
            }
        }
    }
}

fn check_step_size(step_size: f32) -> Result<()> {
    ensure_positive("step_size", step_size as f64)
}

/// The distributed (random-feature) dense associative memory of Hoover et al. 2024 (DrDAM):
/// every stored pattern is folded into one feature-space vector `T = Σ_μ φ(ξ_μ)` whose size
/// does not grow with the number of patterns.
///
/// Energy `Ê(x) = -(1/β) ln max(φ(x)·T, ε)`, the exact [`MrDam`] energy with each Gaussian
/// kernel `exp(-β/2 ‖x - ξ_μ‖²)` replaced by its random-feature estimate; update
/// `x ← x - η ∇Ê(x)`. Where `φ(x)·T <= ε` (far from every pattern, trigonometric estimates can
/// be zero or negative) the energy is `-(1/β) ln ε` and the gradient zero.
///
/// ```
/// use engram::dynamics::{recall, RecallOptions};
/// use engram::model::{DrDam, MrDam, RandomFeatureKind, RandomFeatures};
/// use engram::pattern::random_sphere;
///
/// let patterns = random_sphere(20, 16, 1);
/// let map = RandomFeatures::new(RandomFeatureKind::Trig, 16, 4000, 8.0, 7).unwrap();
/// let mut net = DrDam::new(map);
/// net.add(patterns.view()).unwrap();                     // T grows by nothing but its values
/// let exact = MrDam::new(patterns.clone(), 8.0).unwrap();
/// let approx = net.energy_of(patterns.view()).unwrap();
/// let truth = engram::dynamics::Dynamics::energies(&exact, patterns.view()).unwrap();
/// assert!((approx[0] - truth[0]).abs() < 0.05);
/// ```
#[derive(Clone, Debug)]
pub struct DrDam {
    map: RandomFeatures,
    memory: Array1<f64>,
    stored: usize,
    step_size: f32,
    floor: f64,
}

impl DrDam {
    /// An empty memory over the feature map `map`, with step size 1 and the kernel floor
    /// [`DEFAULT_KERNEL_FLOOR`].
    pub fn new(map: RandomFeatures) -> Self {
        let memory = Array1::zeros(map.feature_dim());
        DrDam {
            map,
            memory,
            stored: 0,
            step_size: 1.0,
            floor: DEFAULT_KERNEL_FLOOR,
        }
    }

    /// A memory holding `patterns` (shape `(K, d)`).
    pub fn from_patterns(map: RandomFeatures, patterns: ArrayView2<f32>) -> Result<Self> {
        let mut net = DrDam::new(map);
        net.add(patterns)?;
        Ok(net)
    }

    /// The same memory with gradient step size `η > 0`.
    pub fn with_step_size(mut self, step_size: f32) -> Result<Self> {
        check_step_size(step_size)?;
        self.step_size = step_size;
        Ok(self)
    }

    /// The same memory with kernel floor `ε > 0`: the estimate `φ(x)·T` is clipped from below at
    /// `ε` in the energy, and the gradient is zero where it is not above `ε`.
    pub fn with_kernel_floor(mut self, floor: f64) -> Result<Self> {
        ensure_positive("kernel_floor", floor)?;
        self.floor = floor;
        Ok(self)
    }

    /// The feature map.
    pub fn features(&self) -> &RandomFeatures {
        &self.map
    }

    /// The memory vector `T`, length [`RandomFeatures::feature_dim`].
    pub fn memory(&self) -> ArrayView1<'_, f64> {
        self.memory.view()
    }

    /// The gradient step size `η`.
    pub fn step_size(&self) -> f32 {
        self.step_size
    }

    /// The number of patterns added and not removed.
    pub fn len(&self) -> usize {
        self.stored
    }

    /// Whether no pattern is stored.
    pub fn is_empty(&self) -> bool {
        self.stored == 0
    }

    /// Numbers the model holds (memory vector, projections, phases): fixed by the feature map,
    /// whatever the number of stored patterns.
    pub fn parameter_count(&self) -> usize {
        self.memory.len() + self.map.parameter_count()
    }

    fn fold(&mut self, patterns: ArrayView2<f32>, sign: f64) -> Result<()> {
        let features = self.map.features(patterns)?;
        // Row by row in a fixed order, so the same patterns always give the same T.
        for row in features.rows() {
            self.memory.scaled_add(sign, &row);
        }
        Ok(())
    }

    /// Adds `patterns` (shape `(K, d)`): `T ← T + Σ φ(ξ)`.
    ///
    /// Errors: shape mismatch, no rows, non-finite values.
    pub fn add(&mut self, patterns: ArrayView2<f32>) -> Result<()> {
        self.fold(patterns, 1.0)?;
        self.stored += patterns.nrows();
        Ok(())
    }

    /// Removes `patterns` that were added before: `T ← T - Σ φ(ξ)`. engram does not keep the
    /// patterns, so it cannot check that these were stored; it refuses to remove more patterns
    /// than it holds ([`Error::Parameter`]).
    pub fn remove(&mut self, patterns: ArrayView2<f32>) -> Result<()> {
        if patterns.nrows() > self.stored {
            return Err(Error::param(
                "patterns",
                format!(
                    "cannot remove {} patterns from a memory holding {}",
                    patterns.nrows(),
                    self.stored
                ),
            ));
        }
        self.fold(patterns, -1.0)?;
        self.stored -= patterns.nrows();
        Ok(())
    }

    fn require_patterns(&self) -> Result<()> {
        if self.stored == 0 {
            Err(Error::Empty("the memory holds no pattern".into()))
        } else {
            Ok(())
        }
    }

    /// The kernel estimates `φ(x)·T ≈ Σ_μ exp(-β/2 ‖x - ξ_μ‖²)` of each row of `states`.
    pub fn kernel_sums(&self, states: ArrayView2<f32>) -> Result<Array1<f64>> {
        check_batch("states", states, self.map.dim())?;
        let x = states.mapv(f64::from);
        Ok(self.map.kernel_sums(x.view(), self.memory.view(), false).0)
    }

    /// The approximate energy `Ê(x) = -(1/β) ln max(φ(x)·T, ε)` of each row of `states`.
    ///
    /// Errors: empty memory, shape mismatch, non-finite values.
    pub fn energy_of(&self, states: ArrayView2<f32>) -> Result<Array1<f64>> {
        self.require_patterns()?;
        let k = self.kernel_sums(states)?;
        let beta = self.map.beta();
        Ok(k.mapv(|k| -k.max(self.floor).ln() / beta))
    }

    /// The gradient `∇Ê(x) = -(1/β) ∇(φ(x)·T) / (φ(x)·T)` of each row of `states` (zero where
    /// the estimate is at or below the floor), shape `(B, d)`.
    pub fn gradients(&self, states: ArrayView2<f32>) -> Result<Array2<f64>> {
        self.require_patterns()?;
        check_batch("states", states, self.map.dim())?;
        let x = states.mapv(f64::from);
        let (k, grads) = self.map.kernel_sums(x.view(), self.memory.view(), true);
        let mut g = grads.expect("gradients were asked for");
        let beta = self.map.beta();
        for (mut row, &k) in g.rows_mut().into_iter().zip(k.iter()) {
            if k > self.floor {
                row.mapv_inplace(|v| -v / (beta * k));
            } else {
                row.fill(0.0);
            }
        }
        Ok(g)
    }
}

impl Dynamics for DrDam {
    fn dim(&self) -> usize {
        self.map.dim()
    }

    fn energies(&self, states: ArrayView2<f32>) -> Result<Array1<f64>> {
        self.energy_of(states)
    }

    fn step(&self, states: ArrayView2<f32>) -> Result<Array2<f32>> {
        let g = self.gradients(states)?;
        let eta = self.step_size as f64;
        let next = ndarray::Zip::from(&states)
            .and(&g)
            .map_collect(|&x, &g| (x as f64 - eta * g) as f32);
        ensure_finite("state after a gradient step", next.iter())?;
        Ok(next)
    }
}

/// The exact dense associative memory DrDAM approximates (the paper's "memory representation",
/// MrDAM): one row per stored pattern, energy `E(x) = -(1/β) ln Σ_μ exp(-β/2 ‖x - ξ_μ‖²)` and
/// gradient-descent updates `x ← x - η (x - Σ_μ w_μ(x) ξ_μ)`, `w = softmax(-β/2 ‖x - ξ‖²)`. For
/// `η ∈ (0, 1]` the energy never rises; for unit-norm patterns `E` is the modern Hopfield energy
/// less `ln K / β` and the step with `η = 1` is its update.
#[derive(Clone, Debug)]
pub struct MrDam {
    mixture: RbfMixture,
    beta: f32,
    step_size: f32,
}

impl MrDam {
    /// A memory of `patterns` (shape `(K, d)`) at inverse temperature `beta > 0`, step size 1.
    pub fn new(patterns: Array2<f32>, beta: f32) -> Result<Self> {
        ensure_positive("beta", beta as f64)?;
        Ok(MrDam {
            mixture: RbfMixture::new(patterns.view())?,
            beta,
            step_size: 1.0,
        })
    }

    /// The same memory with gradient step size `η > 0`.
    pub fn with_step_size(mut self, step_size: f32) -> Result<Self> {
        check_step_size(step_size)?;
        self.step_size = step_size;
        Ok(self)
    }

    /// The inverse temperature.
    pub fn beta(&self) -> f32 {
        self.beta
    }

    /// The gradient step size `η`.
    pub fn step_size(&self) -> f32 {
        self.step_size
    }

    /// The number of stored patterns.
    pub fn len(&self) -> usize {
        self.mixture.centers().nrows()
    }

    /// Whether no pattern is stored (never true: construction requires one).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Numbers the model holds: one row per pattern, `K d`.
    pub fn parameter_count(&self) -> usize {
        self.mixture.centers().len()
    }

    /// The gradient `∇E(x) = x - Σ_μ w_μ(x) ξ_μ` of each row of `states`, shape `(B, d)`.
    pub fn gradients(&self, states: ArrayView2<f32>) -> Result<Array2<f64>> {
        check_batch("states", states, self.dim())?;
        let x = states.mapv(f64::from);
        let eval = self.mixture.evaluate(x.view(), self.beta as f64, true);
        Ok(x - eval.means.expect("means were asked for"))
    }
}

impl Dynamics for MrDam {
    fn dim(&self) -> usize {
        self.mixture.centers().ncols()
    }

    fn energies(&self, states: ArrayView2<f32>) -> Result<Array1<f64>> {
        check_batch("states", states, self.dim())?;
        let x = states.mapv(f64::from);
        let beta = self.beta as f64;
        Ok(self.mixture.evaluate(x.view(), beta, false).lse / -beta)
    }

    fn step(&self, states: ArrayView2<f32>) -> Result<Array2<f32>> {
        let g = self.gradients(states)?;
        let eta = self.step_size as f64;
        Ok(ndarray::Zip::from(&states)
            .and(&g)
            .map_collect(|&x, &g| (x as f64 - eta * g) as f32))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fast_sin_cos_agrees_with_the_standard_library() {
        // Claim: the branch-free reduction and polynomials agree with libm to 4e-16 absolute
        // (a few ulps of values in [-1, 1]) over |x| <= 1e5, including the quadrant edges.
        let mut rng = Rng::new(5);
        let mut x: Vec<f64> = (0..20_000)
            .map(|i| {
                let scale = [1.0, 10.0, 1e3, 1e5][i % 4];
                (2.0 * rng.uniform() - 1.0) * scale
            })
            .collect();
        for k in -8..=8 {
            let edge = k as f64 * std::f64::consts::FRAC_PI_4;
            x.extend([edge, edge + 1e-12, edge - 1e-12]);
        }
        x.extend([0.0, -0.0, FAST_TRIG_LIMIT, -FAST_TRIG_LIMIT]);
        let mut s = vec![0.0; x.len()];
        let mut c = vec![0.0; x.len()];
        sin_cos_into(&x, &mut s, &mut c);
        for ((&v, &sv), &cv) in x.iter().zip(&s).zip(&c) {
            let (ws, wc) = v.sin_cos();
            assert!(
                (sv - ws).abs() <= 4e-16 && (cv - wc).abs() <= 4e-16,
                "{v}: {sv} {cv}"
            );
        }
        // Beyond the limit the slice function falls back to the standard library.
        let big = [1e9, -3e7, 2.5];
        let (mut s, mut c) = ([0.0; 3], [0.0; 3]);
        sin_cos_slice(&big, &mut s, &mut c);
        for i in 0..3 {
            assert_eq!((s[i], c[i]), big[i].sin_cos());
        }
    }
}
