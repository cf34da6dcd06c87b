//! Memories over real states with a Gaussian-kernel energy: the exact dense associative memory
//! `MrDam`, its random-feature approximation `DrDam` (Hoover et al. 2024) and the Gaussian kernel
//! density estimate `GaussianKde` (Schaeffer et al. 2024). Each class owns an engram model and
//! forwards to it.

use engram::dynamics::Dynamics;
use engram::model::{DrDam, GaussianKde, MrDam, RandomFeatureKind, RandomFeatures};
use ndarray::Array1;
use numpy::{IntoPyArray, PyArray1, ToPyArray};
use pyo3::prelude::*;

use crate::convert::{matrix, Raise, Rank};
use crate::recall::{self, RecallArgs, RecallResult};

/// Dense associative memory through random features, DrDAM (Hoover, Chau, Strobelt, Ram &
/// Krotov 2024, "Dense Associative Memory Through the Lens of Random Features").
///
/// A seeded feature map ``phi`` with ``E[phi(x) . phi(y)] = exp(-beta/2 |x - y|^2)``
/// (``projections`` random directions ``omega_j ~ N(0, I)``) turns the stored patterns into one
/// memory vector ``T = sum_mu phi(xi_mu)`` whose size does not depend on how many patterns are
/// stored. Energy ``E(x) = -ln max(phi(x) . T, kernel_floor) / beta``, the exact energy
/// ``-ln sum_mu exp(-beta/2 |x - xi_mu|^2) / beta`` (``MrDam``) with every kernel value replaced
/// by its random-feature estimate; update: gradient descent ``x <- x - step_size grad E(x)``
/// (zero gradient where the estimate is at or below the floor).
///
/// ``kind`` picks the feature map: ``"trig"`` (random Fourier features
/// ``[cos h, sin h] / sqrt(Y)``, ``h = sqrt(beta) Omega x``, 2Y entries, the paper's choice),
/// ``"cos"`` (one cosine with a random phase, Y entries), ``"positive"`` (``exp(h - beta |x|^2)
/// / sqrt(Y)``, Y entries) or ``"positive-symmetric"`` (both signs of ``h``, 2Y entries).
///
/// Unlike the other models, a DrDam can grow and shrink: ``add`` and ``remove`` fold patterns
/// into or out of ``T``.
///
/// Args:
///     patterns: optional (K, d) patterns to store; None for an empty memory of dimension
///         ``dim``.
///     beta: inverse temperature of the kernel, > 0.
///     projections: number Y of random projections, >= 1.
///     kind: ``"trig"``, ``"cos"``, ``"positive"`` or ``"positive-symmetric"``.
///     seed: seed of the random projections.
///     step_size: gradient step size, > 0.
///     kernel_floor: the floor of the kernel estimate in the energy, > 0.
///     dim: the state dimension, needed only without ``patterns``.
///
/// Example:
///     >>> import engram
///     >>> x = engram.random_sphere(20, 16, seed=1)
///     >>> approx = engram.DrDam(x, beta=8.0, projections=4000, seed=7)
///     >>> exact = engram.MrDam(x, beta=8.0)
///     >>> bool(abs(approx.energy(x[0]) - exact.energy(x[0])) < 0.05)
///     True
#[pyclass(module = "engram", name = "DrDam")]
pub struct PyDrDam {
    inner: DrDam,
}

#[pymethods]
impl PyDrDam {
    #[new]
    #[pyo3(signature = (patterns = None, *, beta = 1.0, projections = 1000, kind = "trig", seed = 0, step_size = 1.0, kernel_floor = 1e-5, dim = None))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        patterns: Option<&Bound<'_, PyAny>>,
        beta: f32,
        projections: usize,
        kind: &str,
        seed: u64,
        step_size: f32,
        kernel_floor: f64,
        dim: Option<usize>,
    ) -> PyResult<Self> {
        let kind: RandomFeatureKind = kind.parse().raise()?;
        let patterns = patterns
            .map(|p| matrix(p, "patterns", Rank::Matrix))
            .transpose()?;
        let dim = match (&patterns, dim) {
            (Some(p), None) => p.view().ncols(),
            (Some(p), Some(d)) => {
                let cols = p.view().ncols();
                if cols != d {
                    return Err(engram::Error::shape("patterns columns", d, cols)).raise();
                }
                d
            }
            (None, Some(d)) => d,
            (None, None) => {
                return Err(pyo3::exceptions::PyValueError::new_err(
                    "DrDam needs patterns or dim (the state dimension of an empty memory)",
                ))
            }
        };
        let view = patterns.as_ref().map(|p| p.view());
        let inner = py
            .detach(|| -> engram::Result<DrDam> {
                let map = RandomFeatures::new(kind, dim, projections, beta, seed)?;
                let mut net = DrDam::new(map)
                    .with_step_size(step_size)?
                    .with_kernel_floor(kernel_floor)?;
                if let Some(view) = view {
                    net.add(view)?;
                }
                Ok(net)
            })
            .raise()?;
        Ok(PyDrDam { inner })
    }

    /// Adds patterns (K, d) to the memory: ``T <- T + sum phi(xi)``.
    fn add(&mut self, py: Python<'_>, patterns: &Bound<'_, PyAny>) -> PyResult<()> {
        let patterns = matrix(patterns, "patterns", Rank::RowOrMatrix)?;
        let view = patterns.view();
        let inner = &mut self.inner;
        py.detach(|| inner.add(view)).raise()
    }

    /// Removes patterns (K, d) added before: ``T <- T - sum phi(xi)``. engram keeps no patterns,
    /// so it cannot check that these were stored; removing more patterns than are held raises
    /// ValueError.
    fn remove(&mut self, py: Python<'_>, patterns: &Bound<'_, PyAny>) -> PyResult<()> {
        let patterns = matrix(patterns, "patterns", Rank::RowOrMatrix)?;
        let view = patterns.view();
        let inner = &mut self.inner;
        py.detach(|| inner.remove(view)).raise()
    }

    /// The memory vector ``T``, float64 (F,).
    #[getter]
    fn memory<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<f64>> {
        self.inner.memory().to_pyarray(py)
    }

    /// The feature map's kind, e.g. ``"trig"``.
    #[getter]
    fn kind(&self) -> &'static str {
        self.inner.features().kind().name()
    }

    /// The inverse temperature of the approximated kernel.
    #[getter]
    fn beta(&self) -> f64 {
        self.inner.features().beta()
    }

    /// The number Y of random projections.
    #[getter]
    fn projections(&self) -> usize {
        self.inner.features().projections()
    }

    /// The length F of a feature vector (2Y or Y).
    #[getter]
    fn feature_dim(&self) -> usize {
        self.inner.features().feature_dim()
    }

    /// The gradient step size.
    #[getter]
    fn step_size(&self) -> f32 {
        self.inner.step_size()
    }

    /// The state dimension d.
    #[getter]
    fn dim(&self) -> usize {
        Dynamics::dim(&self.inner)
    }

    /// Number of patterns added and not removed.
    #[getter]
    fn num_patterns(&self) -> usize {
        self.inner.len()
    }

    /// Numbers the model holds (memory vector, projections, phases), whatever the number of
    /// stored patterns.
    #[getter]
    fn parameter_count(&self) -> usize {
        self.inner.parameter_count()
    }

    /// The random features ``phi(x)`` of each state: float64 (B, F), or (F,) for a 1-D state.
    fn random_features<'py>(
        &self,
        py: Python<'py>,
        states: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let states = matrix(states, "states", Rank::RowOrMatrix)?;
        let view = states.view();
        let out = py.detach(|| self.inner.features().features(view)).raise()?;
        Ok(states.shape_like(py, out))
    }

    /// The kernel estimates ``phi(x) . T ~ sum_mu exp(-beta/2 |x - xi_mu|^2)`` of each state:
    /// float64 (B,), or a float for a 1-D state.
    fn kernel_sums<'py>(
        &self,
        py: Python<'py>,
        states: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let states = matrix(states, "states", Rank::RowOrMatrix)?;
        let view = states.view();
        let out = py.detach(|| self.inner.kernel_sums(view)).raise()?;
        states.scalars_like(py, out)
    }

    /// The gradient of the approximate energy at each state: float64 with the shape of
    /// ``states``.
    fn gradients<'py>(
        &self,
        py: Python<'py>,
        states: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let states = matrix(states, "states", Rank::RowOrMatrix)?;
        let view = states.view();
        let out = py.detach(|| self.inner.gradients(view)).raise()?;
        Ok(states.shape_like(py, out))
    }

    /// Approximate energy ``-ln max(phi(x) . T, floor) / beta`` of each state: float64 (B,), or
    /// a float for a 1-D state. Needs at least one stored pattern.
    fn energy<'py>(
        &self,
        py: Python<'py>,
        states: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        recall::energy(py, &self.inner, states)
    }

    /// One gradient step ``x - step_size grad E(x)`` of each state.
    fn step<'py>(
        &self,
        py: Python<'py>,
        states: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        recall::step(py, &self.inner, states)
    }

    /// Iterates the gradient step from each query; arguments as in ``Hopfield.recall`` (only
    /// the ``"sync"`` schedule exists here). The approximate energy need not fall at every step.
    #[pyo3(signature = (queries, observed = None, *, max_steps = 100, tol = 1e-6, schedule = None, seed = 0, record_states = false))]
    #[allow(clippy::too_many_arguments)]
    fn recall(
        &self,
        py: Python<'_>,
        queries: &Bound<'_, PyAny>,
        observed: Option<&Bound<'_, PyAny>>,
        max_steps: usize,
        tol: f32,
        schedule: Option<&str>,
        seed: u64,
        record_states: bool,
    ) -> PyResult<RecallResult> {
        let args = RecallArgs {
            max_steps,
            tol,
            schedule,
            seed,
            record_states,
        };
        recall::recall(py, &self.inner, queries, observed, args)
    }

    fn __repr__(&self) -> String {
        format!(
            "DrDam(num_patterns={}, dim={}, beta={}, projections={}, kind='{}')",
            self.inner.len(),
            Dynamics::dim(&self.inner),
            self.inner.features().beta(),
            self.inner.features().projections(),
            self.inner.features().kind().name()
        )
    }
}

/// The exact dense associative memory that DrDam approximates, MrDAM (Hoover et al. 2024).
///
/// Energy ``E(x) = -ln sum_mu exp(-beta/2 |x - xi_mu|^2) / beta``; update: gradient descent
/// ``x <- x - step_size (x - sum_mu w_mu xi_mu)``, ``w = softmax(-beta/2 |x - xi|^2)``, which
/// never raises the energy for ``step_size`` in (0, 1]. For unit-norm patterns this is the modern
/// Hopfield energy less ``ln K / beta``, and a unit step is its update.
///
/// Args:
///     patterns: (K, d) real array, float32 or float64.
///     beta: inverse temperature, > 0.
///     step_size: gradient step size, > 0.
///
/// Example:
///     >>> import engram
///     >>> x = engram.random_sphere(50, 32, seed=1)
///     >>> net = engram.MrDam(x, beta=16.0)
///     >>> out = net.recall(engram.add_gaussian_noise(x[:3], 0.05, seed=2))
///     >>> engram.nearest_pattern(x, out.states).tolist()
///     [0, 1, 2]
#[pyclass(module = "engram", name = "MrDam", frozen)]
pub struct PyMrDam {
    inner: MrDam,
}

#[pymethods]
impl PyMrDam {
    #[new]
    #[pyo3(signature = (patterns, beta = 1.0, step_size = 1.0))]
    fn new(patterns: &Bound<'_, PyAny>, beta: f32, step_size: f32) -> PyResult<Self> {
        let patterns = matrix(patterns, "patterns", Rank::Matrix)?.into_owned_c();
        let inner = MrDam::new(patterns, beta)
            .and_then(|m| m.with_step_size(step_size))
            .raise()?;
        Ok(PyMrDam { inner })
    }

    /// The inverse temperature.
    #[getter]
    fn beta(&self) -> f32 {
        self.inner.beta()
    }

    /// The gradient step size.
    #[getter]
    fn step_size(&self) -> f32 {
        self.inner.step_size()
    }

    /// The state dimension d.
    #[getter]
    fn dim(&self) -> usize {
        Dynamics::dim(&self.inner)
    }

    /// Number of stored patterns K.
    #[getter]
    fn num_patterns(&self) -> usize {
        self.inner.len()
    }

    /// The energy gradient ``x - sum_mu w_mu xi_mu`` at each state: float64 with the shape of
    /// ``states``.
    fn gradients<'py>(
        &self,
        py: Python<'py>,
        states: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let states = matrix(states, "states", Rank::RowOrMatrix)?;
        let view = states.view();
        let out = py.detach(|| self.inner.gradients(view)).raise()?;
        Ok(states.shape_like(py, out))
    }

    /// Energy ``-ln sum_mu exp(-beta/2 |x - xi_mu|^2) / beta`` of each state: float64 (B,), or a
    /// float for a 1-D state.
    fn energy<'py>(
        &self,
        py: Python<'py>,
        states: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        recall::energy(py, &self.inner, states)
    }

    /// One gradient step of each state.
    fn step<'py>(
        &self,
        py: Python<'py>,
        states: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        recall::step(py, &self.inner, states)
    }

    /// Iterates the gradient step from each query; arguments as in ``Hopfield.recall`` (only
    /// the ``"sync"`` schedule exists here).
    #[pyo3(signature = (queries, observed = None, *, max_steps = 100, tol = 1e-6, schedule = None, seed = 0, record_states = false))]
    #[allow(clippy::too_many_arguments)]
    fn recall(
        &self,
        py: Python<'_>,
        queries: &Bound<'_, PyAny>,
        observed: Option<&Bound<'_, PyAny>>,
        max_steps: usize,
        tol: f32,
        schedule: Option<&str>,
        seed: u64,
        record_states: bool,
    ) -> PyResult<RecallResult> {
        let args = RecallArgs {
            max_steps,
            tol,
            schedule,
            seed,
            record_states,
        };
        recall::recall(py, &self.inner, queries, observed, args)
    }

    fn __repr__(&self) -> String {
        format!(
            "MrDam(num_patterns={}, dim={}, beta={}, step_size={})",
            self.inner.len(),
            Dynamics::dim(&self.inner),
            self.inner.beta(),
            self.inner.step_size()
        )
    }
}

/// Gaussian kernel density estimate read as an associative memory (Schaeffer et al. 2024,
/// "Bridging Associative Memory and Probabilistic Modeling").
///
/// Density ``p(x) = (1/K) sum_mu N(x; xi_mu, sigma^2 I)`` with bandwidth ``sigma``; energy
/// ``-ln p(x)``; update: mean shift ``x <- sum_mu w_mu xi_mu``,
/// ``w = softmax(-|x - xi|^2 / (2 sigma^2))`` (the modern Hopfield update for unit-norm patterns
/// at ``beta = 1 / sigma^2``), which never lowers ``p``; sampling by Langevin dynamics.
///
/// Args:
///     patterns: (K, d) real array, float32 or float64.
///     bandwidth: ``sigma``, > 0.
///
/// Example:
///     >>> import engram
///     >>> x = engram.random_sphere(10, 8, seed=1)
///     >>> kde = engram.GaussianKde(x, bandwidth=0.1)
///     >>> bool(kde.log_density(x[0]) > kde.log_density((x[0] + x[1]) / 2))
///     True
#[pyclass(module = "engram", name = "GaussianKde", frozen)]
pub struct PyGaussianKde {
    inner: GaussianKde,
}

#[pymethods]
impl PyGaussianKde {
    #[new]
    #[pyo3(signature = (patterns, bandwidth = 1.0))]
    fn new(patterns: &Bound<'_, PyAny>, bandwidth: f32) -> PyResult<Self> {
        let patterns = matrix(patterns, "patterns", Rank::Matrix)?.into_owned_c();
        let inner = GaussianKde::new(patterns, bandwidth).raise()?;
        Ok(PyGaussianKde { inner })
    }

    /// The bandwidth ``sigma``.
    #[getter]
    fn bandwidth(&self) -> f64 {
        self.inner.bandwidth()
    }

    /// ``1 / sigma^2``, the inverse temperature of the equivalent modern Hopfield network.
    #[getter]
    fn beta(&self) -> f64 {
        self.inner.beta()
    }

    /// The state dimension d.
    #[getter]
    fn dim(&self) -> usize {
        Dynamics::dim(&self.inner)
    }

    /// Number of stored patterns K.
    #[getter]
    fn num_patterns(&self) -> usize {
        self.inner.len()
    }

    /// ``ln p(x)`` of each state (normalised density): float64 (B,), or a float for a 1-D state.
    fn log_density<'py>(
        &self,
        py: Python<'py>,
        states: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let states = matrix(states, "states", Rank::RowOrMatrix)?;
        let view = states.view();
        let out = py.detach(|| self.inner.log_density(view)).raise()?;
        states.scalars_like(py, out)
    }

    /// The score ``grad ln p(x) = (sum_mu w_mu xi_mu - x) / sigma^2`` of each state: float64
    /// with the shape of ``states``.
    fn score<'py>(
        &self,
        py: Python<'py>,
        states: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let states = matrix(states, "states", Rank::RowOrMatrix)?;
        let view = states.view();
        let out = py.detach(|| self.inner.score(view)).raise()?;
        Ok(states.shape_like(py, out))
    }

    /// ``steps`` steps of unadjusted Langevin dynamics ``x <- x + step_size grad ln p(x) +
    /// sqrt(2 step_size) z`` from each row of ``start`` (chain i draws its noise from stream i of
    /// ``seed``): the final states, float32 with the shape of ``start``.
    #[pyo3(signature = (start, steps, step_size, seed = 0))]
    fn langevin<'py>(
        &self,
        py: Python<'py>,
        start: &Bound<'py, PyAny>,
        steps: usize,
        step_size: f64,
        seed: u64,
    ) -> PyResult<Bound<'py, PyAny>> {
        let start = matrix(start, "start", Rank::RowOrMatrix)?;
        let view = start.view();
        let out = py
            .detach(|| self.inner.langevin(view, steps, step_size, seed))
            .raise()?;
        Ok(start.shape_like(py, out))
    }

    /// For every stored pattern, whether mean shift run ``steps`` times from it stays within
    /// ``tolerance`` of it (a fixed point near the pattern): bool (K,).
    #[pyo3(signature = (tolerance = 1e-3, steps = 100))]
    fn stored<'py>(
        &self,
        py: Python<'py>,
        tolerance: f64,
        steps: usize,
    ) -> PyResult<Bound<'py, PyArray1<bool>>> {
        let out = py.detach(|| self.inner.stored(tolerance, steps)).raise()?;
        Ok(Array1::from(out).into_pyarray(py))
    }

    /// Energy ``-ln p(x)`` of each state: float64 (B,), or a float for a 1-D state.
    fn energy<'py>(
        &self,
        py: Python<'py>,
        states: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        recall::energy(py, &self.inner, states)
    }

    /// One mean-shift step ``sum_mu w_mu xi_mu`` of each state.
    fn step<'py>(
        &self,
        py: Python<'py>,
        states: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        recall::step(py, &self.inner, states)
    }

    /// Iterates mean shift from each query; arguments as in ``Hopfield.recall`` (only the
    /// ``"sync"`` schedule exists here).
    #[pyo3(signature = (queries, observed = None, *, max_steps = 100, tol = 1e-6, schedule = None, seed = 0, record_states = false))]
    #[allow(clippy::too_many_arguments)]
    fn recall(
        &self,
        py: Python<'_>,
        queries: &Bound<'_, PyAny>,
        observed: Option<&Bound<'_, PyAny>>,
        max_steps: usize,
        tol: f32,
        schedule: Option<&str>,
        seed: u64,
        record_states: bool,
    ) -> PyResult<RecallResult> {
        let args = RecallArgs {
            max_steps,
            tol,
            schedule,
            seed,
            record_states,
        };
        recall::recall(py, &self.inner, queries, observed, args)
    }

    fn __repr__(&self) -> String {
        format!(
            "GaussianKde(num_patterns={}, dim={}, bandwidth={})",
            self.inner.len(),
            Dynamics::dim(&self.inner),
            self.inner.bandwidth() as f32
        )
    }
}
