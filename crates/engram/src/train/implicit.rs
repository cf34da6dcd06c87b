//! Implicit (fixed-point) differentiation: gradients at a converged state without storing the
//! trajectory that reached it.
//!
//! Let the dynamics be `x ← f(x, θ)` and `x*` a fixed point, `x* = f(x*, θ)`. Differentiating
//! that identity gives `dx*/dθ = (I − ∂f/∂x)⁻¹ ∂f/∂θ`, so for a loss `ℓ(x*)`
//!
//! ```text
//! dℓ/dθ = uᵀ ∂f/∂θ,   where u solves   u = ∂ℓ/∂x* + (∂f/∂x)ᵀ u.
//! ```
//!
//! The adjoint `u` is found by the same kind of fixed-point iteration as `x*` (it converges
//! whenever the forward iteration is a contraction), each iteration one vector-Jacobian product
//! through a single application of `f`. Memory is that of one step, whatever the number of steps
//! the forward solve took; backpropagating through an unrolled trajectory of `T` steps keeps all
//! `T` steps alive instead (see [`tape_bytes`]).

use candle_core::backprop::GradStore;
use candle_core::{Tensor, Var};

use crate::error::{ensure_positive, Error, Result};

/// Stopping rule of a fixed-point iteration.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FixedPointOptions {
    /// Stop when the largest change of one iteration is at most this: absolute, per entry, for
    /// the state; relative to the largest entry for the adjoint.
    pub tolerance: f64,
    /// Give up after this many iterations.
    pub max_iterations: usize,
}

impl Default for FixedPointOptions {
    fn default() -> Self {
        FixedPointOptions {
            tolerance: 1e-5,
            max_iterations: 500,
        }
    }
}

impl FixedPointOptions {
    fn validate(&self) -> Result<()> {
        ensure_positive("tolerance", self.tolerance)?;
        if self.max_iterations == 0 {
            return Err(Error::param("max_iterations", "must be at least 1"));
        }
        Ok(())
    }
}

/// The result of a fixed-point iteration.
#[derive(Debug, Clone)]
pub struct FixedPoint {
    /// The last iterate (detached from any gradient tape).
    pub state: Tensor,
    /// Iterations run.
    pub iterations: usize,
    /// Largest absolute change in the last iteration.
    pub change: f64,
    /// Whether the change fell to the tolerance.
    pub converged: bool,
}

/// The largest absolute entry of `a − b`.
fn max_abs_diff(a: &Tensor, b: &Tensor) -> Result<f64> {
    let d = (a - b)?.abs()?.flatten_all()?.max(0)?;
    let d = d.to_dtype(candle_core::DType::F64)?.to_scalar::<f64>()?;
    if !d.is_finite() {
        return Err(Error::NonFinite {
            what: "fixed-point iterate".into(),
            index: 0,
        });
    }
    Ok(d)
}

/// The largest absolute entry of `a`.
fn max_abs(a: &Tensor) -> Result<f64> {
    Ok(a.abs()?
        .flatten_all()?
        .max(0)?
        .to_dtype(candle_core::DType::F64)?
        .to_scalar::<f64>()?)
}

/// Iterates `x ← f(x)` from `x0` without recording a gradient tape (each iterate is detached).
///
/// Fails with [`Error::NonFinite`] if the iteration blows up; returns with `converged: false`
/// when `max_iterations` pass first.
pub fn fixed_point<F>(f: F, x0: &Tensor, options: &FixedPointOptions) -> Result<FixedPoint>
where
    F: Fn(&Tensor) -> candle_core::Result<Tensor>,
{
    options.validate()?;
    let mut x = x0.detach();
    let mut change = f64::INFINITY;
    for iteration in 1..=options.max_iterations {
        let next = f(&x)?.detach();
        if next.dims() != x.dims() {
            return Err(Error::shape(
                "fixed-point map output",
                format!("{:?}", x.dims()),
                format!("{:?}", next.dims()),
            ));
        }
        change = max_abs_diff(&next, &x)?;
        x = next;
        if change <= options.tolerance {
            return Ok(FixedPoint {
                state: x,
                iterations: iteration,
                change,
                converged: true,
            });
        }
    }
    Ok(FixedPoint {
        state: x,
        iterations: options.max_iterations,
        change,
        converged: false,
    })
}

/// Gradients of a loss at a fixed point, and how the adjoint solve went.
#[derive(Debug)]
pub struct ImplicitGradients {
    /// `dℓ/dθ` for each parameter (keyed by the parameters' tensors, ready for
    /// [`Adam::step`](crate::train::Adam::step)).
    pub grads: GradStore,
    /// The loss at the fixed point.
    pub loss: f64,
    /// Adjoint iterations run.
    pub adjoint_iterations: usize,
    /// Largest change in the last adjoint iteration, relative to the adjoint's largest entry.
    pub adjoint_change: f64,
    /// Whether that change fell to the tolerance. When it did not, the gradient is the
    /// truncated series `Σ_{k<n} ((∂f/∂x)ᵀ)ᵏ ∂ℓ/∂x*`, which is what backpropagating through
    /// `n = max_iterations` steps taken at the fixed point gives.
    pub adjoint_converged: bool,
    /// Bytes held by the tape of the single step `f(x*)` that the adjoint iterates through.
    pub tape_bytes: usize,
}

/// Gradients of `loss(x*)` with respect to `params`, where `x* = f(x*)` and `f` reads the
/// parameters (as the tensors of the given [`Var`]s).
///
/// `x_star` should be a converged fixed point (from [`fixed_point`]); the formula is exact only
/// there. The loss may also read the parameters directly (a decoder, say): that part of the
/// gradient is added. The adjoint iteration stops when its largest change, relative to the
/// adjoint's largest entry, falls to `options.tolerance`; if `options.max_iterations` pass
/// first (the dynamics contract slowly, or not at all, at `x*`), the result says so in
/// `adjoint_converged`. Fails with [`Error::NonFinite`] if the adjoint blows up.
///
/// ```
/// use candle_core::{Device, Tensor, Var};
/// use engram::train::implicit::{fixed_point, implicit_gradients, FixedPointOptions};
///
/// // x* = a x* + 1 has x* = 1 / (1 - a); d(x*)/da = 1 / (1 - a)^2 = 4 at a = 0.5.
/// let a = Var::new(&[0.5f64], &Device::Cpu).unwrap();
/// let f = |x: &Tensor| (x * a.as_tensor())? + 1.0;
/// let x0 = Tensor::new(&[0f64], &Device::Cpu).unwrap();
/// let options = FixedPointOptions { tolerance: 1e-12, max_iterations: 200 };
/// let x = fixed_point(f, &x0, &options).unwrap();
/// let g = implicit_gradients(f, &x.state, |x| x.sum_all(), &[a.clone()], &options).unwrap();
/// let da = g.grads.get(a.as_tensor()).unwrap().to_vec1::<f64>().unwrap()[0];
/// assert!((da - 4.0).abs() < 1e-9);
/// ```
pub fn implicit_gradients<F, L>(
    f: F,
    x_star: &Tensor,
    loss: L,
    params: &[Var],
    options: &FixedPointOptions,
) -> Result<ImplicitGradients>
where
    F: Fn(&Tensor) -> candle_core::Result<Tensor>,
    L: Fn(&Tensor) -> candle_core::Result<Tensor>,
{
    options.validate()?;
    let x = Var::from_tensor(&x_star.detach())?;
    // ∂ℓ/∂x* and the loss's direct dependence on the parameters.
    let value = loss(x.as_tensor())?;
    if value.elem_count() != 1 {
        return Err(Error::shape(
            "loss",
            "a scalar",
            format!("{:?}", value.dims()),
        ));
    }
    let loss_value = value
        .to_dtype(candle_core::DType::F64)?
        .flatten_all()?
        .to_vec1::<f64>()?[0];
    if !loss_value.is_finite() {
        return Err(Error::NonFinite {
            what: "loss at the fixed point".into(),
            index: 0,
        });
    }
    let direct = value.backward()?;
    let dloss = match direct.get(x.as_tensor()) {
        Some(g) => g.clone(),
        None => x.as_tensor().zeros_like()?,
    };

    // One application of f, kept on the tape; every adjoint iteration backpropagates through it.
    let step = f(x.as_tensor())?;
    if step.dims() != x.dims() {
        return Err(Error::shape(
            "fixed-point map output",
            format!("{:?}", x.dims()),
            format!("{:?}", step.dims()),
        ));
    }
    let tape = tape_bytes(&step);
    let vjp = |u: &Tensor| -> Result<GradStore> { Ok((&step * u)?.sum_all()?.backward()?) };

    let mut u = dloss.clone();
    let mut change = f64::INFINITY;
    let mut iterations = 0;
    while iterations < options.max_iterations {
        iterations += 1;
        let grads = vjp(&u)?;
        let jtu = grads
            .get(x.as_tensor())
            .cloned()
            .unwrap_or(x.as_tensor().zeros_like()?);
        let next = (&dloss + jtu)?.detach();
        change = max_abs_diff(&next, &u)? / max_abs(&next)?.max(f64::MIN_POSITIVE);
        u = next;
        if change <= options.tolerance {
            break;
        }
    }
    let through_step = vjp(&u)?;
    let mut grads = GradStore::default();
    for p in params {
        let t = p.as_tensor();
        let g = match (through_step.get(t), direct.get(t)) {
            (Some(a), Some(b)) => (a + b)?,
            (Some(a), None) => a.clone(),
            (None, Some(b)) => b.clone(),
            (None, None) => continue,
        };
        grads.insert(t, g);
    }
    Ok(ImplicitGradients {
        grads,
        loss: loss_value,
        adjoint_iterations: iterations,
        adjoint_change: change,
        adjoint_converged: change <= options.tolerance,
        tape_bytes: tape,
    })
}

/// Bytes held by the gradient tape behind `root`: every tensor the backward pass would reach
/// (variables and intermediate results), each counted once.
pub fn tape_bytes(root: &Tensor) -> usize {
    root.sorted_nodes()
        .iter()
        .map(|t| t.elem_count() * t.dtype().size_in_bytes())
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::Device;

    /// A contraction x ← tanh(W x + b) with small W, on f64.
    fn setup() -> (Var, Var, Tensor) {
        let dev = Device::Cpu;
        let w = Var::from_tensor(
            &Tensor::new(
                &[[0.2f64, -0.1, 0.05], [0.1, 0.3, -0.2], [-0.15, 0.05, 0.1]],
                &dev,
            )
            .unwrap(),
        )
        .unwrap();
        let b = Var::new(&[[0.3f64, -0.2, 0.1]], &dev).unwrap();
        let x0 = Tensor::zeros((1, 3), candle_core::DType::F64, &dev).unwrap();
        (w, b, x0)
    }

    fn step<'a>(w: &'a Var, b: &'a Var) -> impl Fn(&Tensor) -> candle_core::Result<Tensor> + 'a {
        move |x: &Tensor| {
            x.matmul(&w.as_tensor().t()?)?
                .broadcast_add(b.as_tensor())?
                .tanh()
        }
    }

    fn target() -> Tensor {
        Tensor::new(&[[0.5f64, 0.0, -0.5]], &Device::Cpu).unwrap()
    }

    fn loss(x: &Tensor) -> candle_core::Result<Tensor> {
        (x - target())?.sqr()?.sum_all()
    }

    #[test]
    fn matches_a_long_unroll_and_finite_differences() {
        let (w, b, x0) = setup();
        let options = FixedPointOptions {
            tolerance: 1e-13,
            max_iterations: 1000,
        };
        let f = step(&w, &b);
        let fp = fixed_point(&f, &x0, &options).unwrap();
        assert!(fp.converged);
        let implicit =
            implicit_gradients(&f, &fp.state, loss, &[w.clone(), b.clone()], &options).unwrap();

        // Backpropagation through 200 unrolled steps converges to the same gradient.
        let mut x = x0.clone();
        for _ in 0..200 {
            x = f(&x).unwrap();
        }
        let unrolled = loss(&x).unwrap().backward().unwrap();
        for v in [&w, &b] {
            let a = implicit.grads.get(v.as_tensor()).unwrap();
            let u = unrolled.get(v.as_tensor()).unwrap();
            let diff = max_abs_diff(a, u).unwrap();
            assert!(diff < 1e-10, "implicit vs unrolled: {diff}");
        }

        // Central finite differences on one weight.
        let h = 1e-6;
        let loss_at = |delta: f64| {
            let wv = w.as_tensor().to_vec2::<f64>().unwrap();
            let mut wv2 = wv.clone();
            wv2[1][2] += delta;
            let w2 = Var::new(wv2, &Device::Cpu).unwrap();
            let f2 = step(&w2, &b);
            let fp = fixed_point(&f2, &x0, &options).unwrap();
            loss(&fp.state).unwrap().to_scalar::<f64>().unwrap()
        };
        let fd = (loss_at(h) - loss_at(-h)) / (2.0 * h);
        let g = implicit
            .grads
            .get(w.as_tensor())
            .unwrap()
            .to_vec2::<f64>()
            .unwrap()[1][2];
        assert!(
            (fd - g).abs() < 1e-7,
            "finite difference {fd} vs implicit {g}"
        );
    }

    #[test]
    fn tape_of_an_unroll_grows_with_its_length() {
        let (w, b, x0) = setup();
        let f = step(&w, &b);
        let unroll = |t: usize| {
            let mut x = x0.clone();
            for _ in 0..t {
                x = f(&x).unwrap();
            }
            tape_bytes(&loss(&x).unwrap())
        };
        assert!(unroll(20) > 3 * unroll(5));
    }

    #[test]
    fn divergent_adjoint_is_reported() {
        let dev = Device::Cpu;
        // x ← 2x has the fixed point 0 but is expanding there.
        let a = Var::new(&[2f64], &dev).unwrap();
        let f = |x: &Tensor| x * a.as_tensor();
        let x0 = Tensor::new(&[0f64], &dev).unwrap();
        let options = FixedPointOptions {
            tolerance: 1e-9,
            max_iterations: 50,
        };
        let fp = fixed_point(f, &x0, &options).unwrap();
        let result = implicit_gradients(
            f,
            &fp.state,
            |x| (x + 1.0)?.sqr()?.sum_all(),
            std::slice::from_ref(&a),
            &options,
        )
        .unwrap();
        assert!(!result.adjoint_converged);
        assert!(fixed_point(
            f,
            &x0,
            &FixedPointOptions {
                tolerance: 0.0,
                max_iterations: 5
            }
        )
        .is_err());
    }
}
