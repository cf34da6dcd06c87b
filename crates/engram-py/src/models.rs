//! The four model classes. Each one owns an engram model and forwards to it; parsing of the
//! string options is the only thing done here.

use engram::dynamics::Dynamics;
use engram::learn::LearningRule;
use engram::model::{
    DamSeparation, DenseAssociativeMemory, Hopfield, ModernHopfield, Separation, Similarity,
    Universal,
};
use numpy::{PyArray2, ToPyArray};
use pyo3::prelude::*;

use crate::convert::{matrix, Raise, Rank};
use crate::recall::{self, RecallArgs, RecallResult};

/// Parses the interaction function of a dense memory: `power:N`, `rectified:N` or `exp:BETA`
/// (`N` defaults to 3 and `BETA` to 1 when left out).
pub(crate) fn parse_dam_separation(text: &str) -> PyResult<DamSeparation> {
    text.parse::<DamSeparation>().raise()
}

/// Classical Hopfield network (Hopfield 1982) over bipolar (+1/-1) states.
///
/// Weights W (N x N, symmetric) are learned from the patterns with ``rule``:
/// ``"hebbian"`` (W = X^T X / N, zero diagonal), ``"storkey"`` or ``"pseudoinverse"``.
/// Energy ``E(s) = -1/2 s^T W s``; the default recall schedule is asynchronous (one random
/// neuron at a time, which never raises E); ``step`` is one synchronous update ``sign(W s)``
/// (a neuron with zero field keeps its state).
///
/// Args:
///     patterns: (K, N) array of +1/-1, float32 or float64 (float64 is converted to float32).
///     rule: ``"hebbian"``, ``"storkey"`` or ``"pseudoinverse"``.
///
/// Example:
///     >>> import engram
///     >>> patterns = engram.random_bipolar(5, 200, seed=7)
///     >>> net = engram.Hopfield(patterns, rule="hebbian")
///     >>> cues = engram.flip_bits(patterns, 0.1, seed=1)
///     >>> out = net.recall(cues)
///     >>> bool((out.states == patterns).all())
///     True
#[pyclass(module = "engram", name = "Hopfield", frozen)]
pub struct PyHopfield {
    inner: Hopfield,
}

#[pymethods]
impl PyHopfield {
    #[new]
    #[pyo3(signature = (patterns, rule = "hebbian"))]
    fn new(py: Python<'_>, patterns: &Bound<'_, PyAny>, rule: &str) -> PyResult<Self> {
        let rule: LearningRule = rule.parse().raise()?;
        let patterns = matrix(patterns, "patterns", Rank::Matrix)?;
        let view = patterns.view();
        let inner = py.detach(|| Hopfield::new(view, rule)).raise()?;
        Ok(PyHopfield { inner })
    }

    /// A network with the given weights (square, finite, symmetric); the rule is then None.
    #[staticmethod]
    fn from_weights(weights: &Bound<'_, PyAny>) -> PyResult<Self> {
        let weights = matrix(weights, "weights", Rank::Matrix)?;
        let inner = Hopfield::from_weights(weights.into_owned_c()).raise()?;
        Ok(PyHopfield { inner })
    }

    /// The weight matrix, float32 (N, N) (a copy).
    #[getter]
    fn weights<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray2<f32>> {
        self.inner.weights().to_pyarray(py)
    }

    /// The learning rule's name, or None for a network built from weights.
    #[getter]
    fn rule(&self) -> Option<&'static str> {
        self.inner.rule().map(LearningRule::name)
    }

    /// Number of neurons N.
    #[getter]
    fn dim(&self) -> usize {
        self.inner.dim()
    }

    /// Local fields ``W s`` of each state: float32 with the shape of ``states``.
    fn local_fields<'py>(
        &self,
        py: Python<'py>,
        states: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let states = matrix(states, "states", Rank::RowOrMatrix)?;
        let view = states.view();
        let fields = py.detach(|| self.inner.local_fields(view)).raise()?;
        Ok(states.shape_like(py, fields))
    }

    /// Energy ``-1/2 s^T W s`` of each bipolar state: float64 array (B,), or a float for a 1-D
    /// state.
    fn energy<'py>(
        &self,
        py: Python<'py>,
        states: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        recall::energy(py, &self.inner, states)
    }

    /// One synchronous update ``sign(W s)`` of each state (zero field keeps the state).
    fn step<'py>(
        &self,
        py: Python<'py>,
        states: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        recall::step(py, &self.inner, states)
    }

    /// Runs the dynamics from each query until no neuron changes (or ``max_steps``).
    ///
    /// Args:
    ///     queries: (B, N) or (N,) array of +1/-1.
    ///     observed: optional bool array shaped like ``queries``; True entries are clamped to
    ///         the query's value (pattern completion).
    ///     max_steps: most steps per query (asynchronous: sweeps over all free neurons).
    ///     tol: a query has converged when no coordinate moved by more than ``tol``.
    ///     schedule: ``"async"`` (default for this model) or ``"sync"``.
    ///     seed: seed of the asynchronous update orders.
    ///     record_states: keep every visited state in ``RecallResult.trajectories``.
    ///
    /// Returns:
    ///     RecallResult (always batched: a 1-D query gives a batch of one).
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
            "Hopfield(dim={}, rule={})",
            self.inner.dim(),
            self.inner.rule().map_or("None", LearningRule::name)
        )
    }
}

/// Dense associative memory over bipolar states (Krotov & Hopfield 2016; Demircigil et al. 2017).
///
/// Energy ``E(s) = -sum_mu F(xi_mu . s)`` with ``F`` chosen by ``separation``:
/// ``"power:N"`` (``x^N``), ``"rectified:N"`` (``max(x, 0)^N``) or ``"exp:BETA"``
/// (``exp(BETA x)``). Each neuron takes the sign that gives the lower energy. Reported energies
/// are rescaled to stay finite: ``-sum_mu (m_mu / N)^n`` for the powers (m_mu the integer
/// overlap) and ``-(1/BETA) log sum_mu exp(BETA m_mu)`` for the exponential; both order states
/// exactly like the paper's energy.
///
/// Args:
///     patterns: (K, N) array of +1/-1, float32 or float64.
///     separation: ``"power:N"``, ``"rectified:N"`` or ``"exp:BETA"`` (N defaults to 3, BETA
///         to 1).
///
/// Example:
///     >>> import engram
///     >>> patterns = engram.random_bipolar(60, 100, seed=3)   # 0.6 N: beyond Hebbian capacity
///     >>> dam = engram.DenseMemory(patterns, separation="power:3")
///     >>> out = dam.recall(engram.flip_bits(patterns, 0.05, seed=2))
///     >>> bool((out.states == patterns).all())
///     True
#[pyclass(module = "engram", name = "DenseMemory", frozen)]
pub struct PyDenseMemory {
    inner: DenseAssociativeMemory,
}

#[pymethods]
impl PyDenseMemory {
    #[new]
    #[pyo3(signature = (patterns, separation = "power:3"))]
    fn new(patterns: &Bound<'_, PyAny>, separation: &str) -> PyResult<Self> {
        let separation = parse_dam_separation(separation)?;
        let patterns = matrix(patterns, "patterns", Rank::Matrix)?;
        let inner = DenseAssociativeMemory::new(patterns.into_owned_c(), separation).raise()?;
        Ok(PyDenseMemory { inner })
    }

    /// The stored patterns, float32 (K, N) (a copy).
    #[getter]
    fn patterns<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray2<f32>> {
        self.inner.patterns().to_pyarray(py)
    }

    /// The interaction function, as a string this constructor accepts (``"power:3"``).
    #[getter]
    fn separation(&self) -> String {
        self.inner.separation().spec()
    }

    /// Number of neurons N.
    #[getter]
    fn dim(&self) -> usize {
        self.inner.dim()
    }

    /// Number of stored patterns K.
    #[getter]
    fn num_patterns(&self) -> usize {
        self.inner.patterns().nrows()
    }

    /// Integer overlaps ``xi_mu . s`` of each state with each pattern: int32 (B, K), or (K,) for
    /// a 1-D state.
    fn overlaps<'py>(
        &self,
        py: Python<'py>,
        states: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let states = matrix(states, "states", Rank::RowOrMatrix)?;
        let view = states.view();
        let m = py.detach(|| self.inner.overlaps(view)).raise()?;
        Ok(states.shape_like(py, m))
    }

    /// Energy of each bipolar state (rescaled as described in the class docstring): float64
    /// array (B,), or a float for a 1-D state.
    fn energy<'py>(
        &self,
        py: Python<'py>,
        states: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        recall::energy(py, &self.inner, states)
    }

    /// One synchronous update of each state: every neuron takes its lower-energy sign given the
    /// others' current values.
    fn step<'py>(
        &self,
        py: Python<'py>,
        states: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        recall::step(py, &self.inner, states)
    }

    /// Runs the dynamics from each query; arguments as in ``Hopfield.recall`` (default schedule
    /// ``"async"``).
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
            "DenseMemory(num_patterns={}, dim={}, separation='{}')",
            self.num_patterns(),
            self.inner.dim(),
            self.separation()
        )
    }
}

/// Modern (continuous, softmax) Hopfield network (Ramsauer et al. 2020).
///
/// Patterns X (K, d) are stored as they are. Update ``x <- X^T softmax(beta X x)``; energy
/// ``E(x) = -lse(beta, X x) + x.x / 2 + log(K) / beta + M^2 / 2`` with
/// ``lse(beta, z) = log(sum exp(beta z)) / beta`` and M the largest pattern norm (E >= 0).
///
/// Args:
///     patterns: (K, d) real array, float32 or float64 (float64 is converted to float32).
///     beta: inverse temperature, > 0.
///
/// Example:
///     >>> import engram
///     >>> x = engram.random_sphere(100, 64, seed=1)
///     >>> net = engram.ModernHopfield(x, beta=20.0)
///     >>> noisy = engram.add_gaussian_noise(x[:4], 0.05, seed=2)
///     >>> out = net.retrieve(noisy)             # one update, (4, 64)
///     >>> bool(abs(out - x[:4]).max() < 0.05)
///     True
#[pyclass(module = "engram", name = "ModernHopfield", frozen)]
pub struct PyModernHopfield {
    inner: ModernHopfield,
}

#[pymethods]
impl PyModernHopfield {
    #[new]
    #[pyo3(signature = (patterns, beta = 1.0))]
    fn new(patterns: &Bound<'_, PyAny>, beta: f64) -> PyResult<Self> {
        let patterns = matrix(patterns, "patterns", Rank::Matrix)?;
        let inner = ModernHopfield::new(patterns.into_owned_c(), beta as f32).raise()?;
        Ok(PyModernHopfield { inner })
    }

    /// The inverse temperature.
    #[getter]
    fn beta(&self) -> f32 {
        self.inner.beta()
    }

    /// The stored patterns, float32 (K, d) (a copy).
    #[getter]
    fn patterns<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray2<f32>> {
        self.inner.patterns().to_pyarray(py)
    }

    /// The state dimension d.
    #[getter]
    fn dim(&self) -> usize {
        self.inner.dim()
    }

    /// Number of stored patterns K.
    #[getter]
    fn num_patterns(&self) -> usize {
        self.inner.patterns().nrows()
    }

    /// One retrieval ``X^T softmax(beta X x)`` of each query: float32 with the shape of
    /// ``queries``. Same as ``step``.
    fn retrieve<'py>(
        &self,
        py: Python<'py>,
        queries: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let queries = matrix(queries, "queries", Rank::RowOrMatrix)?;
        let view = queries.view();
        let out = py.detach(|| self.inner.retrieve(view)).raise()?;
        Ok(queries.shape_like(py, out))
    }

    /// Attention weights ``softmax(beta X x)`` of each query over the patterns: float32 (B, K),
    /// or (K,) for a 1-D query.
    fn attention<'py>(
        &self,
        py: Python<'py>,
        queries: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let queries = matrix(queries, "queries", Rank::RowOrMatrix)?;
        let view = queries.view();
        let weights = py.detach(|| self.inner.attention(view)).raise()?;
        Ok(queries.shape_like(py, weights))
    }

    /// Energy of each state (see the class docstring): float64 array (B,), or a float for a 1-D
    /// state.
    fn energy<'py>(
        &self,
        py: Python<'py>,
        states: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        recall::energy(py, &self.inner, states)
    }

    /// One update ``X^T softmax(beta X x)`` of each state.
    fn step<'py>(
        &self,
        py: Python<'py>,
        states: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        recall::step(py, &self.inner, states)
    }

    /// Iterates the update from each query until it stops moving (``tol``) or ``max_steps``;
    /// arguments as in ``Hopfield.recall`` (only the ``"sync"`` schedule exists here).
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
            "ModernHopfield(num_patterns={}, dim={}, beta={})",
            self.num_patterns(),
            self.inner.dim(),
            self.inner.beta()
        )
    }
}

/// Universal Hopfield network (Millidge et al. 2022): ``z = V^T sep(beta * sim(K, q))``.
///
/// Args:
///     patterns: (P, d) keys (the stored patterns), float32 or float64.
///     similarity: ``"dot"``, ``"euclidean"`` (negative L2 distance), ``"manhattan"`` (negative
///         L1 distance) or ``"cosine"``.
///     separation: ``"identity"``, ``"power:N"``, ``"softmax:BETA"``, ``"sparsemax:BETA"``,
///         ``"entmax:ALPHA:BETA"``, ``"topk:K"`` or ``"max"``.
///     values: optional (P, d_v) values for hetero-association; ``retrieve`` then maps keys to
///         values, while ``energy``, ``step`` and ``recall`` need auto-association (no values).
///
/// Energy (auto-association): ``E(x) = |x|^2 / 2 - Phi(beta sim(K, x)) / beta`` with ``Phi`` the
/// separation's convex potential (logsumexp for softmax); with ``"dot"`` every step lowers it.
///
/// Example:
///     >>> import engram, numpy as np
///     >>> keys = engram.random_sphere(50, 32, seed=4)
///     >>> values = np.eye(50, dtype=np.float32)          # one-hot labels
///     >>> net = engram.Universal(keys, similarity="cosine", separation="max", values=values)
///     >>> int(net.retrieve(keys[7]).argmax())
///     7
#[pyclass(module = "engram", name = "Universal", frozen)]
pub struct PyUniversal {
    inner: Universal,
}

#[pymethods]
impl PyUniversal {
    #[new]
    #[pyo3(signature = (patterns, similarity = "dot", separation = "softmax:1", values = None))]
    fn new(
        patterns: &Bound<'_, PyAny>,
        similarity: &str,
        separation: &str,
        values: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        let similarity: Similarity = similarity.parse().raise()?;
        let separation: Separation = separation.parse().raise()?;
        let keys = matrix(patterns, "patterns", Rank::Matrix)?.into_owned_c();
        let inner = match values {
            None => Universal::new(keys, similarity, separation),
            Some(values) => {
                let values = matrix(values, "values", Rank::Matrix)?.into_owned_c();
                Universal::hetero(keys, values, similarity, separation)
            }
        }
        .raise()?;
        Ok(PyUniversal { inner })
    }

    /// The stored keys, float32 (P, d) (a copy).
    #[getter]
    fn keys<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray2<f32>> {
        self.inner.keys().to_pyarray(py)
    }

    /// The values retrieved, float32 (P, d_v) (the keys for auto-association; a copy).
    #[getter]
    fn values<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray2<f32>> {
        self.inner.values().to_pyarray(py)
    }

    /// Whether values differ from keys.
    #[getter]
    fn is_hetero(&self) -> bool {
        self.inner.is_hetero()
    }

    /// The similarity's name.
    #[getter]
    fn similarity(&self) -> &'static str {
        self.inner.similarity().name()
    }

    /// The separation with its parameters, e.g. ``"softmax(beta=8)"``.
    #[getter]
    fn separation(&self) -> String {
        self.inner.separation().describe()
    }

    /// The key (state) dimension d.
    #[getter]
    fn dim(&self) -> usize {
        self.inner.dim()
    }

    /// Number of stored patterns P.
    #[getter]
    fn num_patterns(&self) -> usize {
        self.inner.len()
    }

    /// Similarities of each query to each key: float32 (B, P), or (P,) for a 1-D query.
    fn similarities<'py>(
        &self,
        py: Python<'py>,
        queries: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let queries = matrix(queries, "queries", Rank::RowOrMatrix)?;
        let view = queries.view();
        let s = py.detach(|| self.inner.similarities(view)).raise()?;
        Ok(queries.shape_like(py, s))
    }

    /// Separation weights ``sep(beta * sim(K, q))`` of each query: float32 (B, P), or (P,) for a
    /// 1-D query.
    fn attention<'py>(
        &self,
        py: Python<'py>,
        queries: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let queries = matrix(queries, "queries", Rank::RowOrMatrix)?;
        let view = queries.view();
        let (w, _) = py.detach(|| self.inner.weights(view)).raise()?;
        Ok(queries.shape_like(py, w))
    }

    /// One retrieval ``V^T sep(beta * sim(K, q))`` of each query: float32 (B, d_v), or (d_v,)
    /// for a 1-D query.
    fn retrieve<'py>(
        &self,
        py: Python<'py>,
        queries: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let queries = matrix(queries, "queries", Rank::RowOrMatrix)?;
        let view = queries.view();
        let out = py.detach(|| self.inner.retrieve(view)).raise()?;
        Ok(queries.shape_like(py, out))
    }

    /// Energy of each state (auto-association only): float64 array (B,), or a float for a 1-D
    /// state.
    fn energy<'py>(
        &self,
        py: Python<'py>,
        states: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        recall::energy(py, &self.inner, states)
    }

    /// One update ``K^T sep(beta * sim(K, x))`` of each state (auto-association only).
    fn step<'py>(
        &self,
        py: Python<'py>,
        states: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        recall::step(py, &self.inner, states)
    }

    /// Iterates the update from each query (auto-association only); arguments as in
    /// ``Hopfield.recall`` (only the ``"sync"`` schedule exists here).
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
            "Universal(num_patterns={}, dim={}, similarity='{}', separation='{}', hetero={})",
            self.inner.len(),
            self.inner.dim(),
            self.inner.similarity().name(),
            self.inner.separation().describe(),
            if self.inner.is_hetero() {
                "True"
            } else {
                "False"
            }
        )
    }
}
