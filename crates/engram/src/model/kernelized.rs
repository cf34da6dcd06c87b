//! Kernelized modern Hopfield model with a learned feature map (U-Hop and U-Hop+): Wu, Hu, Hsiao
//! & Liu, "Uniform Memory Retrieval with Larger Capacity for Modern Hopfield Models", ICML 2024
//! (arXiv:2404.03827); Hu, Wu & Liu, "Provably Optimal Memory Capacity for Modern Hopfield
//! Models: Transformer-Compatible Dense Associative Memories as Spherical Codes", NeurIPS 2024
//! (arXiv:2410.23126).
//!
//! Stored patterns `ξ_μ ∈ R^d` (rows of `Ξ`, `M` of them), a feature map `Φ: R^d → R^D`
//! ([`FeatureMap`]: identity, linear `Wx`, or a small residual MLP `Wx + V relu(Ux + c)`), a
//! kernel `K(x, y)` on features ([`FeatureKernel`]: `Φ(x)·Φ(y)`, or the cosine of the two feature
//! vectors), inverse temperature `β`.
//!
//! * Energy (the kernelized modern Hopfield energy): `E(x) = ½ K(x, x) - (1/β) ln Σ_μ exp(β K(ξ_μ, x))`.
//! * Update (the retrieval dynamics): `x ← Ξᵀ softmax(β K(Ξ, x))`. With the dot kernel and a
//!   linear map, `E(x) = ½ xᵀGx - lse(β, ΞGx)` with `G = WᵀW ⪰ 0` and the update is a
//!   concave-convex step that never raises `E` (Ramsauer et al.'s Theorem 1 argument in the
//!   metric `G`); with the identity map it is exactly [`super::ModernHopfield`]. For the cosine
//!   kernel or the MLP the same expression is reported but not guaranteed to fall.
//! * Stage I, learning `Φ` ([`train_separation`]): minimise the separation loss of the stored
//!   patterns on the unit sphere of feature space, `u_μ = Φ(ξ_μ)/‖Φ(ξ_μ)‖`,
//!   `L = (1/M) ln( mean_{μ<ν} exp(u_μ·u_ν / τ) )`, a smooth maximum of the pairwise cosines
//!   (the form of the authors' U-Hop+ code); as `τ → 0` minimising it maximises the minimal
//!   separation `Δ_min = 1 - max_{μ≠ν} u_μ·u_ν`, i.e. it seeks an optimal spherical code, which is
//!   where Hu, Wu & Liu place the optimal capacity. Gradients are written in closed form (checked
//!   against finite differences in the tests); the optimizer is Adam.
//! * Stage II: retrieval in the learned feature space with the update above.
//!
//! Features and the loss are computed in f64; states stay f32.

use ndarray::{Array1, Array2, ArrayView2, Axis};
use rayon::prelude::*;

use crate::dynamics::{check_batch, Dynamics};
use crate::error::{ensure_finite, ensure_positive, Error, Result};
use crate::kernel::matmul::{matmul, matmul_nt};
use crate::numeric::Rng;

/// A feature map `Φ: R^d → R^D` whose parameters [`train_separation`] learns.
#[derive(Clone, Debug, PartialEq)]
pub enum FeatureMap {
    /// `Φ(x) = x` (no learning: the plain modern Hopfield similarity).
    Identity {
        /// The dimension `d = D`.
        dim: usize,
    },
    /// `Φ(x) = W x`, `W` of shape `(D, d)`.
    Linear {
        /// `W`, shape `(D, d)`.
        weights: Array2<f64>,
    },
    /// `Φ(x) = W x + V relu(U x + c)`: the linear map plus a one-hidden-layer correction.
    Mlp {
        /// `W`, shape `(D, d)`.
        weights: Array2<f64>,
        /// `U`, shape `(H, d)`.
        hidden: Array2<f64>,
        /// `c`, length `H`.
        bias: Array1<f64>,
        /// `V`, shape `(D, H)`.
        output: Array2<f64>,
    },
}

fn gaussian(rows: usize, cols: usize, std: f64, rng: &mut Rng) -> Array2<f64> {
    Array2::from_shape_simple_fn((rows, cols), || std * rng.normal())
}

/// `W` at the start of training: the identity when `D = d` (training starts from the plain
/// modern Hopfield network), Gaussian with variance `1/d` otherwise.
fn initial_weights(in_dim: usize, out_dim: usize, rng: &mut Rng) -> Array2<f64> {
    if in_dim == out_dim {
        Array2::eye(in_dim)
    } else {
        gaussian(out_dim, in_dim, 1.0 / (in_dim as f64).sqrt(), rng)
    }
}

fn check_dims(in_dim: usize, out_dim: usize) -> Result<()> {
    if in_dim == 0 || out_dim == 0 {
        Err(Error::param(
            "feature map",
            "input and feature dimensions must be at least 1",
        ))
    } else {
        Ok(())
    }
}

impl FeatureMap {
    /// The identity map on `R^dim`.
    pub fn identity(dim: usize) -> Result<Self> {
        check_dims(dim, dim)?;
        Ok(FeatureMap::Identity { dim })
    }

    /// A linear map `R^in_dim → R^out_dim`: the identity when the dimensions agree, else
    /// Gaussian entries of variance `1/in_dim` drawn from `seed`.
    pub fn linear(in_dim: usize, out_dim: usize, seed: u64) -> Result<Self> {
        check_dims(in_dim, out_dim)?;
        let mut rng = Rng::new(seed);
        Ok(FeatureMap::Linear {
            weights: initial_weights(in_dim, out_dim, &mut rng),
        })
    }

    /// A residual MLP `Wx + V relu(Ux + c)` with `hidden` units: `W` as in [`FeatureMap::linear`],
    /// `U` Gaussian of variance `1/in_dim`, `c = 0`, `V` Gaussian of variance `0.01/hidden`, so it
    /// starts close to the linear map.
    pub fn mlp(in_dim: usize, out_dim: usize, hidden: usize, seed: u64) -> Result<Self> {
        check_dims(in_dim, out_dim)?;
        if hidden == 0 {
            return Err(Error::param("hidden", "must be at least 1"));
        }
        let mut rng = Rng::new(seed);
        let weights = initial_weights(in_dim, out_dim, &mut rng);
        let hidden_w = gaussian(hidden, in_dim, 1.0 / (in_dim as f64).sqrt(), &mut rng);
        let output = gaussian(out_dim, hidden, 0.1 / (hidden as f64).sqrt(), &mut rng);
        Ok(FeatureMap::Mlp {
            weights,
            hidden: hidden_w,
            bias: Array1::zeros(hidden),
            output,
        })
    }

    /// `identity`, `linear` or `mlp`.
    pub fn name(&self) -> &'static str {
        match self {
            FeatureMap::Identity { .. } => "identity",
            FeatureMap::Linear { .. } => "linear",
            FeatureMap::Mlp { .. } => "mlp",
        }
    }

    /// The input dimension `d`.
    pub fn in_dim(&self) -> usize {
        match self {
            FeatureMap::Identity { dim } => *dim,
            FeatureMap::Linear { weights } | FeatureMap::Mlp { weights, .. } => weights.ncols(),
        }
    }

    /// The feature dimension `D`.
    pub fn out_dim(&self) -> usize {
        match self {
            FeatureMap::Identity { dim } => *dim,
            FeatureMap::Linear { weights } | FeatureMap::Mlp { weights, .. } => weights.nrows(),
        }
    }

    /// The number of learnable parameters.
    pub fn parameter_count(&self) -> usize {
        match self {
            FeatureMap::Identity { .. } => 0,
            FeatureMap::Linear { weights } => weights.len(),
            FeatureMap::Mlp {
                weights,
                hidden,
                bias,
                output,
            } => weights.len() + hidden.len() + bias.len() + output.len(),
        }
    }

    /// The learnable parameters in a fixed order (`W`, then `U`, `c`, `V` for the MLP), row-major.
    pub fn parameters(&self) -> Vec<f64> {
        match self {
            FeatureMap::Identity { .. } => Vec::new(),
            FeatureMap::Linear { weights } => weights.iter().copied().collect(),
            FeatureMap::Mlp {
                weights,
                hidden,
                bias,
                output,
            } => weights
                .iter()
                .chain(hidden.iter())
                .chain(bias.iter())
                .chain(output.iter())
                .copied()
                .collect(),
        }
    }

    /// Replaces the parameters with `values` (the order of [`FeatureMap::parameters`]).
    ///
    /// Errors: wrong length ([`Error::Shape`]), non-finite values.
    pub fn set_parameters(&mut self, values: &[f64]) -> Result<()> {
        if values.len() != self.parameter_count() {
            return Err(Error::shape(
                "feature map parameters",
                self.parameter_count(),
                values.len(),
            ));
        }
        if let Some(index) = values.iter().position(|v| !v.is_finite()) {
            return Err(Error::NonFinite {
                what: "feature map parameters".into(),
                index,
            });
        }
        let mut rest = values;
        let mut fill = |a: &mut dyn Iterator<Item = &mut f64>| {
            for v in a {
                *v = rest[0];
                rest = &rest[1..];
            }
        };
        match self {
            FeatureMap::Identity { .. } => {}
            FeatureMap::Linear { weights } => fill(&mut weights.iter_mut()),
            FeatureMap::Mlp {
                weights,
                hidden,
                bias,
                output,
            } => {
                fill(&mut weights.iter_mut());
                fill(&mut hidden.iter_mut());
                fill(&mut bias.iter_mut());
                fill(&mut output.iter_mut());
            }
        }
        Ok(())
    }

    /// `Φ` of each row of `x` (f64, shape `(B, d)`, checked by the caller), with the MLP's
    /// hidden pre-activations when it has them.
    fn forward(&self, x: ArrayView2<f64>) -> (Array2<f64>, Option<Array2<f64>>) {
        match self {
            FeatureMap::Identity { .. } => (x.to_owned(), None),
            FeatureMap::Linear { weights } => (matmul_nt(x, weights.view()), None),
            FeatureMap::Mlp {
                weights,
                hidden,
                bias,
                output,
            } => {
                let mut z = matmul_nt(x, hidden.view());
                z += bias;
                let a = z.mapv(|v| v.max(0.0));
                let out = matmul_nt(x, weights.view()) + matmul_nt(a.view(), output.view());
                (out, Some(z))
            }
        }
    }

    /// The features `Φ(x)` of each row of `states` (shape `(B, d)`): shape `(B, D)`.
    pub fn apply(&self, states: ArrayView2<f32>) -> Result<Array2<f64>> {
        check_batch("states", states, self.in_dim())?;
        Ok(self.forward(states.mapv(f64::from).view()).0)
    }

    /// The gradient of a loss with respect to the parameters, given its gradient `d_out` with
    /// respect to the features of the rows of `x` (order of [`FeatureMap::parameters`]).
    fn backward(&self, x: ArrayView2<f64>, d_out: ArrayView2<f64>) -> Vec<f64> {
        match self {
            FeatureMap::Identity { .. } => Vec::new(),
            FeatureMap::Linear { .. } => matmul(d_out.t(), x).iter().copied().collect(),
            FeatureMap::Mlp { output, .. } => {
                let (_, z) = self.forward(x);
                let z = z.expect("the MLP keeps its pre-activations");
                let a = z.mapv(|v| v.max(0.0));
                let d_w = matmul(d_out.t(), x);
                let d_v = matmul(d_out.t(), a.view());
                let mut d_z = matmul(d_out, output.view());
                d_z.zip_mut_with(&z, |g, &zv| {
                    if zv <= 0.0 {
                        *g = 0.0;
                    }
                });
                let d_u = matmul(d_z.t(), x);
                let d_c = d_z.sum_axis(Axis(0));
                d_w.iter()
                    .chain(d_u.iter())
                    .chain(d_c.iter())
                    .chain(d_v.iter())
                    .copied()
                    .collect()
            }
        }
    }
}

/// Unit rows `u = v/‖v‖` and the norms; refuses a zero feature vector.
fn normalize_rows(v: &Array2<f64>) -> Result<(Array2<f64>, Array1<f64>)> {
    let norms: Array1<f64> = v.rows().into_iter().map(|r| r.dot(&r).sqrt()).collect();
    if let Some(i) = norms.iter().position(|&n| n <= 0.0 || !n.is_finite()) {
        return Err(Error::Unsupported(format!(
            "pattern {i} has a zero (or non-finite) feature vector, so it has no direction on the feature sphere"
        )));
    }
    let mut u = v.clone();
    for (mut row, &n) in u.rows_mut().into_iter().zip(norms.iter()) {
        row /= n;
    }
    Ok((u, norms))
}

fn check_patterns(patterns: ArrayView2<f32>, map: &FeatureMap, min_rows: usize) -> Result<()> {
    if patterns.nrows() < min_rows {
        return Err(Error::Empty(format!(
            "need at least {min_rows} patterns, got {}",
            patterns.nrows()
        )));
    }
    check_batch("patterns", patterns, map.in_dim())
}

/// The separation loss `L = (1/M) ln( mean_{μ<ν} exp(u_μ·u_ν/τ) )` of `patterns` (shape
/// `(M, d)`, `M >= 2`) under `map`, and its gradient with respect to the map's parameters (in
/// the order of [`FeatureMap::parameters`]).
///
/// Errors: fewer than two patterns, shape mismatch, non-finite values, `temperature <= 0`, a
/// pattern whose features are zero ([`Error::Unsupported`]).
pub fn separation_loss(
    map: &FeatureMap,
    patterns: ArrayView2<f32>,
    temperature: f64,
) -> Result<(f64, Vec<f64>)> {
    check_patterns(patterns, map, 2)?;
    ensure_positive("temperature", temperature)?;
    let x = patterns.mapv(f64::from);
    let (v, _) = map.forward(x.view());
    let (u, norms) = normalize_rows(&v)?;
    let m = u.nrows();
    let c = matmul_nt(u.view(), u.view());
    let mut max = f64::NEG_INFINITY;
    for i in 0..m {
        for j in i + 1..m {
            max = max.max(c[[i, j]]);
        }
    }
    // A[i][j] = dL/dc_ij for i != j (symmetric), from the softmax over pairs.
    let mut a = Array2::<f64>::zeros((m, m));
    let mut sum = 0.0;
    for i in 0..m {
        for j in i + 1..m {
            let e = ((c[[i, j]] - max) / temperature).exp();
            a[[i, j]] = e;
            sum += e;
        }
    }
    let pairs = (m * (m - 1) / 2) as f64;
    let loss = (max / temperature + sum.ln() - pairs.ln()) / m as f64;
    let scale = 1.0 / (sum * temperature * m as f64);
    for i in 0..m {
        for j in i + 1..m {
            let g = a[[i, j]] * scale;
            a[[i, j]] = g;
            a[[j, i]] = g;
        }
    }
    // dL/du = A u; dL/dv = (I - u uᵀ) dL/du / ‖v‖.
    let mut dv = matmul(a.view(), u.view());
    for ((mut g, ur), &n) in dv.rows_mut().into_iter().zip(u.rows()).zip(norms.iter()) {
        let along = g.dot(&ur);
        g.scaled_add(-along, &ur);
        g /= n;
    }
    Ok((loss, map.backward(x.view(), dv.view())))
}

/// The minimal separation `Δ_min = 1 - max_{μ≠ν} cos(Φ(ξ_μ), Φ(ξ_ν))` of `patterns` (at least
/// two) in the feature space of `map`: the minimal separation of the spherical code the
/// normalized features form (2 for two antipodal points; `M/(M-1)` for a regular simplex).
pub fn min_separation(map: &FeatureMap, patterns: ArrayView2<f32>) -> Result<f64> {
    check_patterns(patterns, map, 2)?;
    let (v, _) = map.forward(patterns.mapv(f64::from).view());
    let (u, _) = normalize_rows(&v)?;
    let c = matmul_nt(u.view(), u.view());
    let mut max = f64::NEG_INFINITY;
    for i in 0..c.nrows() {
        for j in i + 1..c.ncols() {
            max = max.max(c[[i, j]]);
        }
    }
    Ok(1.0 - max)
}

/// Options of [`train_separation`].
#[derive(Clone, Debug)]
pub struct SeparationTraining {
    /// Adam steps (full batch).
    pub steps: usize,
    /// Adam learning rate.
    pub learning_rate: f64,
    /// Temperature `τ` of the smooth maximum over pairs.
    pub temperature: f64,
}

impl Default for SeparationTraining {
    fn default() -> Self {
        SeparationTraining {
            steps: 300,
            learning_rate: 0.01,
            temperature: 0.05,
        }
    }
}

/// What [`train_separation`] reports.
#[derive(Clone, Debug)]
pub struct TrainingReport {
    /// The separation loss before the first step.
    pub initial_loss: f64,
    /// The separation loss after the last step.
    pub final_loss: f64,
    /// `Δ_min` before training.
    pub initial_separation: f64,
    /// `Δ_min` after training.
    pub final_separation: f64,
}

/// Stage I of U-Hop: fits `map` to separate `patterns` (shape `(M, d)`, `M >= 2`) on the unit
/// sphere of feature space by minimising [`separation_loss`] with Adam (`β₁ = 0.9`,
/// `β₂ = 0.999`, `ε = 1e-8`). Deterministic: the same inputs give the same map.
///
/// Errors: as [`separation_loss`]; `learning_rate <= 0`.
pub fn train_separation(
    map: &mut FeatureMap,
    patterns: ArrayView2<f32>,
    opts: &SeparationTraining,
) -> Result<TrainingReport> {
    ensure_positive("learning_rate", opts.learning_rate)?;
    let (initial_loss, mut grad) = separation_loss(map, patterns, opts.temperature)?;
    let initial_separation = min_separation(map, patterns)?;
    let mut params = map.parameters();
    let mut m = vec![0.0; params.len()];
    let mut v = vec![0.0; params.len()];
    let (b1, b2, eps) = (0.9f64, 0.999f64, 1e-8);
    let mut loss = initial_loss;
    for t in 1..=opts.steps {
        let c1 = 1.0 - b1.powi(t as i32);
        let c2 = 1.0 - b2.powi(t as i32);
        params
            .par_iter_mut()
            .zip(m.par_iter_mut())
            .zip(v.par_iter_mut())
            .zip(grad.par_iter())
            .for_each(|(((p, m), v), &g)| {
                *m = b1 * *m + (1.0 - b1) * g;
                *v = b2 * *v + (1.0 - b2) * g * g;
                *p -= opts.learning_rate * (*m / c1) / ((*v / c2).sqrt() + eps);
            });
        map.set_parameters(&params)?;
        (loss, grad) = separation_loss(map, patterns, opts.temperature)?;
    }
    Ok(TrainingReport {
        initial_loss,
        final_loss: loss,
        initial_separation,
        final_separation: min_separation(map, patterns)?,
    })
}

/// The kernel on features.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FeatureKernel {
    /// `K(x, y) = Φ(x)·Φ(y)`.
    Dot,
    /// `K(x, y) = Φ(x)·Φ(y) / (‖Φ(x)‖ ‖Φ(y)‖)` (0 for a zero feature vector): the similarity of
    /// the spherical code the separation loss shapes.
    Cosine,
}

/// A modern Hopfield network retrieving in the feature space of a (learned) map (U-Hop, U-Hop+).
///
/// Energy `E(x) = ½ K(x, x) - (1/β) ln Σ_μ exp(β K(ξ_μ, x))`, update
/// `x ← Ξᵀ softmax(β K(Ξ, x))`, with `K` the [`FeatureKernel`] on the features of the
/// [`FeatureMap`]. With the dot kernel and a linear (or identity) map the update never raises the
/// energy; with the identity map it is [`super::ModernHopfield`].
#[derive(Clone, Debug)]
pub struct KernelizedHopfield {
    patterns: Array2<f32>,
    map: FeatureMap,
    /// `Φ(ξ_μ)`, normalized for the cosine kernel, shape `(M, D)`.
    keys: Array2<f64>,
    beta: f32,
    kernel: FeatureKernel,
}

impl KernelizedHopfield {
    /// A network storing `patterns` (shape `(M, d)`) and comparing in the feature space of
    /// `map` with `kernel`, at inverse temperature `beta > 0`.
    ///
    /// Errors: no pattern, shape mismatch, non-finite values, `beta <= 0`, a stored pattern with
    /// zero features under the cosine kernel.
    pub fn new(
        patterns: Array2<f32>,
        map: FeatureMap,
        beta: f32,
        kernel: FeatureKernel,
    ) -> Result<Self> {
        ensure_positive("beta", beta as f64)?;
        check_patterns(patterns.view(), &map, 1)?;
        let (mut keys, _) = map.forward(patterns.mapv(f64::from).view());
        if kernel == FeatureKernel::Cosine {
            keys = normalize_rows(&keys)?.0;
        }
        Ok(KernelizedHopfield {
            patterns,
            map,
            keys,
            beta,
            kernel,
        })
    }

    /// The stored patterns, shape `(M, d)`.
    pub fn patterns(&self) -> ArrayView2<'_, f32> {
        self.patterns.view()
    }

    /// The feature map.
    pub fn map(&self) -> &FeatureMap {
        &self.map
    }

    /// The inverse temperature.
    pub fn beta(&self) -> f32 {
        self.beta
    }

    /// The kernel.
    pub fn kernel(&self) -> FeatureKernel {
        self.kernel
    }

    /// `Δ_min` of the stored patterns in feature space ([`min_separation`]); `None` for a
    /// single pattern.
    pub fn min_separation(&self) -> Result<Option<f64>> {
        if self.patterns.nrows() < 2 {
            return Ok(None);
        }
        min_separation(&self.map, self.patterns.view()).map(Some)
    }

    /// `K(ξ_μ, x)` for each query row and pattern, shape `(B, M)`, and `K(x, x)` per query.
    fn kernel_values(&self, queries: ArrayView2<f32>) -> Result<(Array2<f64>, Array1<f64>)> {
        check_batch("queries", queries, self.map.in_dim())?;
        let (mut f, _) = self.map.forward(queries.mapv(f64::from).view());
        let self_k: Array1<f64> = match self.kernel {
            FeatureKernel::Dot => f.rows().into_iter().map(|r| r.dot(&r)).collect(),
            FeatureKernel::Cosine => f
                .rows_mut()
                .into_iter()
                .map(|mut r| {
                    let n = r.dot(&r).sqrt();
                    if n > 0.0 {
                        r /= n;
                        1.0
                    } else {
                        0.0
                    }
                })
                .collect(),
        };
        Ok((matmul_nt(f.view(), self.keys.view()), self_k))
    }

    /// The kernel similarities `K(ξ_μ, x)` of each query to each pattern, shape `(B, M)`.
    pub fn similarities(&self, queries: ArrayView2<f32>) -> Result<Array2<f64>> {
        Ok(self.kernel_values(queries)?.0)
    }

    /// Softmax weights `softmax(β K(Ξ, x))` (shape `(B, M)`) and `(1/β) lse(β K(Ξ, x))` per query.
    fn weights(&self, queries: ArrayView2<f32>) -> Result<(Array2<f64>, Array1<f64>, Array1<f64>)> {
        let (mut k, self_k) = self.kernel_values(queries)?;
        let beta = self.beta as f64;
        let lse: Vec<f64> = k
            .axis_iter_mut(Axis(0))
            .into_par_iter()
            .map(|mut row| {
                let max = row.iter().fold(f64::NEG_INFINITY, |m, &v| m.max(beta * v));
                let mut sum = 0.0;
                for v in row.iter_mut() {
                    *v = (beta * *v - max).exp();
                    sum += *v;
                }
                row.mapv_inplace(|w| w / sum);
                (max + sum.ln()) / beta
            })
            .collect();
        Ok((k, Array1::from(lse), self_k))
    }

    /// One retrieval `Ξᵀ softmax(β K(Ξ, x))` of each query, shape `(B, d)`.
    pub fn retrieve(&self, queries: ArrayView2<f32>) -> Result<Array2<f32>> {
        let (w, _, _) = self.weights(queries)?;
        let out = matmul(w.mapv(|v| v as f32).view(), self.patterns.view());
        ensure_finite("retrieved states", out.iter())?;
        Ok(out)
    }
}

impl Dynamics for KernelizedHopfield {
    fn dim(&self) -> usize {
        self.map.in_dim()
    }

    fn energies(&self, states: ArrayView2<f32>) -> Result<Array1<f64>> {
        let (_, lse, self_k) = self.weights(states)?;
        Ok(0.5 * self_k - lse)
    }

    fn step(&self, states: ArrayView2<f32>) -> Result<Array2<f32>> {
        self.retrieve(states)
    }
}
