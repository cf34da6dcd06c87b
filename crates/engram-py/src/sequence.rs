//! The models that project a pattern's similarity onto *other* patterns: sequence memories
//! (`SequenceMemory`, `VariableTiming`) and the correlated dense associative memory (`Cdam`).
//! They have no energy, so they get their own runs instead of `recall`. Parsing of the string
//! options is the only thing done here; everything else is engram's.

use engram::model::{
    Cdam, CdamParams, DamSeparation, SequenceMemory, SequenceRule, TimingCoupling, VariableTiming,
};
use ndarray::{Array1, ArrayView1};
use numpy::{IntoPyArray, PyArray1, PyArray2, ToPyArray};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

use crate::convert::{mask, matrix, Matrix, Raise, Rank};
use crate::models::parse_dam_separation;

/// The single row of a `start` argument: a 1-D array of length `dim` (or a `(1, dim)` array).
fn single_row<'a>(start: &'a Matrix<'_>) -> PyResult<ArrayView1<'a, f32>> {
    let view = start.view();
    if view.nrows() != 1 {
        return Err(PyValueError::new_err(format!(
            "start must be one state, a 1-D array (dim,); got {} rows",
            view.nrows()
        )));
    }
    Ok(view.index_axis_move(ndarray::Axis(0), 0))
}

fn parse_coupling(text: &str) -> PyResult<TimingCoupling> {
    match text {
        "gated" => Ok(TimingCoupling::Gated),
        "additive" => Ok(TimingCoupling::Additive),
        _ => Err(PyValueError::new_err(format!(
            "invalid parameter coupling: unknown coupling {text:?} (expected gated or additive)"
        ))),
    }
}

fn coupling_name(coupling: TimingCoupling) -> &'static str {
    match coupling {
        TimingCoupling::Gated => "gated",
        TimingCoupling::Additive => "additive",
    }
}

/// Memory of one cyclic sequence of bipolar patterns (Chaudhry, Zavatone-Veth, Krotov &
/// Pehlevan 2023, "Long Sequence Hopfield Memory").
///
/// The rows ``xi^1, ..., xi^P`` of ``patterns`` form the cycle ``xi^1 -> xi^2 -> ... -> xi^P ->
/// xi^1``. With ``rule="hebbian"`` one synchronous update is
/// ``x_i <- sgn(sum_mu xi_i^(mu+1) f(m_i^mu))``, ``m_i^mu = sum_{j != i} xi_j^mu x_j / (N - 1)``
/// (each neuron's own term left out); ``f`` is ``separation``: ``"power:1"`` is the classical
/// asymmetric network (SeqNet), ``"power:D"`` the polynomial DenseNet, ``"exp:BETA"``
/// ``f(m) = exp(BETA (N-1) (m - 1))``, ``"rectified:D"`` ``max(m, 0)^D``. With
/// ``rule="pseudoinverse"`` the overlaps ``m = Xi x / N`` are first decorrelated by the inverse
/// overlap matrix (no self-exclusion), which recalls correlated but linearly independent patterns
/// exactly. A zero field keeps the neuron's sign. There is no energy: the dynamics cycle.
///
/// Args:
///     patterns: (P, N) array of +1/-1 (N >= 2), float32 or float64.
///     separation: ``"power:N"``, ``"rectified:N"`` or ``"exp:BETA"``.
///     rule: ``"hebbian"`` or ``"pseudoinverse"``.
///
/// Example:
///     >>> import engram
///     >>> patterns = engram.random_bipolar(20, 100, seed=1)
///     >>> seq = engram.SequenceMemory(patterns, separation="power:2")
///     >>> trajectory = seq.run(patterns[0], 20)       # (21, 100), the start first
///     >>> bool((trajectory[5] == patterns[5]).all()), seq.recalls_sequence()
///     (True, True)
#[pyclass(module = "engram", name = "SequenceMemory", frozen)]
pub struct PySequenceMemory {
    inner: SequenceMemory,
}

#[pymethods]
impl PySequenceMemory {
    #[new]
    #[pyo3(signature = (patterns, separation = "power:1", rule = "hebbian"))]
    fn new(
        py: Python<'_>,
        patterns: &Bound<'_, PyAny>,
        separation: &str,
        rule: &str,
    ) -> PyResult<Self> {
        let separation: DamSeparation = parse_dam_separation(separation)?;
        let rule: SequenceRule = rule.parse().raise()?;
        let patterns = matrix(patterns, "patterns", Rank::Matrix)?.into_owned_c();
        let inner = py
            .detach(|| SequenceMemory::new(patterns, separation, rule))
            .raise()?;
        Ok(PySequenceMemory { inner })
    }

    /// The stored sequence, float32 (P, N), in order (a copy).
    #[getter]
    fn patterns<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray2<f32>> {
        self.inner.patterns().to_pyarray(py)
    }

    /// The interaction function, as a string the constructor accepts (``"power:1"``).
    #[getter]
    fn separation(&self) -> String {
        self.inner.separation().spec()
    }

    /// The storage rule: ``"hebbian"`` or ``"pseudoinverse"``.
    #[getter]
    fn rule(&self) -> &'static str {
        self.inner.rule().name()
    }

    /// Number of neurons N.
    #[getter]
    fn dim(&self) -> usize {
        self.inner.dim()
    }

    /// Number of patterns P in the sequence.
    #[getter]
    fn num_patterns(&self) -> usize {
        self.inner.len()
    }

    /// Local fields of each bipolar state: float32 with the shape of ``states``. The next state
    /// is their sign; only signs are meaningful (a row may carry a positive factor).
    fn fields<'py>(
        &self,
        py: Python<'py>,
        states: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let states = matrix(states, "states", Rank::RowOrMatrix)?;
        let view = states.view();
        let out = py.detach(|| self.inner.fields(view)).raise()?;
        Ok(states.shape_like(py, out))
    }

    /// One synchronous update of each bipolar state: float32 with the shape of ``states``.
    fn step<'py>(
        &self,
        py: Python<'py>,
        states: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let states = matrix(states, "states", Rank::RowOrMatrix)?;
        let view = states.view();
        let out = py.detach(|| self.inner.step(view)).raise()?;
        Ok(states.shape_like(py, out))
    }

    /// The trajectory of ``steps`` synchronous updates from ``start`` (one bipolar state, 1-D
    /// (N,)): float32 (steps + 1, N), row 0 being ``start``.
    fn run<'py>(
        &self,
        py: Python<'py>,
        start: &Bound<'py, PyAny>,
        steps: usize,
    ) -> PyResult<Bound<'py, PyArray2<f32>>> {
        let start = matrix(start, "start", Rank::RowOrMatrix)?;
        let row = single_row(&start)?;
        let out = py.detach(|| self.inner.run(row, steps)).raise()?;
        Ok(out.into_pyarray(py))
    }

    /// For every stored transition ``xi^mu -> xi^(mu+1)``, the number of bits one update from
    /// ``xi^mu`` gets wrong: int64 (P,) (all zero when the sequence is stored exactly).
    fn transition_errors<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyArray1<i64>>> {
        let errors = py.detach(|| self.inner.transition_errors()).raise()?;
        let errors: Array1<i64> = errors.into_iter().map(|e| e as i64).collect();
        Ok(errors.into_pyarray(py))
    }

    /// Whether every transition is exact, so the whole cycle is recalled from its first pattern.
    fn recalls_sequence(&self, py: Python<'_>) -> PyResult<bool> {
        py.detach(|| self.inner.recalls_sequence()).raise()
    }

    fn __repr__(&self) -> String {
        format!(
            "SequenceMemory(num_patterns={}, dim={}, separation='{}', rule='{}')",
            self.inner.len(),
            self.inner.dim(),
            self.inner.separation().spec(),
            self.inner.rule().name()
        )
    }
}

/// Sequence memory with variable timing: pattern ``mu`` is held for ``hold[mu]`` steps before
/// the cycle moves on (Chaudhry et al. 2023, the mixed symmetric + delayed asymmetric network).
///
/// With overlaps ``m^mu(t) = xi^mu . x(t) / N`` and ``tau_mu = hold[mu] - 1``:
/// ``x_i(t+1) = sgn(sum_mu xi_i^mu f(m^mu(t)) + lam sum_mu xi_i^(mu+1) g_mu(t))`` where
/// ``g_mu(t) = f(m^mu(t - tau_mu))`` (``coupling="additive"``, the paper's form) or
/// ``f(m^mu(t)) f(m^mu(t - tau_mu))`` (``coupling="gated"``, engram's gating, which lets every
/// pattern have its own hold time). Overlaps before the start are zero. ``"exp:BETA"`` means
/// ``exp(BETA N (m - 1))`` here.
///
/// Args:
///     patterns: (P, N) array of +1/-1, float32 or float64.
///     hold: P hold times (ints >= 1), one per pattern.
///     separation: ``"power:N"``, ``"rectified:N"`` or ``"exp:BETA"``.
///     lam: weight of the delayed term, > 0 (transitions need ``lam > 1``).
///     coupling: ``"gated"`` or ``"additive"``.
///
/// Example:
///     >>> import engram
///     >>> patterns = engram.random_bipolar(4, 100, seed=2)
///     >>> net = engram.VariableTiming(patterns, [3, 1, 4, 2], separation="power:2", lam=2.0)
///     >>> trajectory = net.run(patterns[0], 10)
///     >>> engram.nearest_pattern(patterns, trajectory).tolist()
///     [0, 0, 0, 1, 2, 2, 2, 2, 3, 3, 0]
#[pyclass(module = "engram", name = "VariableTiming", frozen)]
pub struct PyVariableTiming {
    inner: VariableTiming,
    coupling: TimingCoupling,
    separation: DamSeparation,
    lam: f64,
}

#[pymethods]
impl PyVariableTiming {
    #[new]
    #[pyo3(signature = (patterns, hold, separation = "power:2", lam = 2.0, coupling = "gated"))]
    fn new(
        patterns: &Bound<'_, PyAny>,
        hold: Vec<i64>,
        separation: &str,
        lam: f64,
        coupling: &str,
    ) -> PyResult<Self> {
        let hold = hold
            .iter()
            .enumerate()
            .map(|(i, &h)| {
                usize::try_from(h).map_err(|_| {
                    PyValueError::new_err(format!(
                        "invalid parameter hold: every hold time must be at least 1 step; \
                         hold[{i}] is {h}"
                    ))
                })
            })
            .collect::<PyResult<Vec<usize>>>()?;
        let separation: DamSeparation = parse_dam_separation(separation)?;
        let coupling = parse_coupling(coupling)?;
        let patterns = matrix(patterns, "patterns", Rank::Matrix)?.into_owned_c();
        let inner = VariableTiming::new(patterns, separation, hold, lam, coupling).raise()?;
        Ok(PyVariableTiming {
            inner,
            coupling,
            separation,
            lam,
        })
    }

    /// The hold time of each pattern, in steps.
    #[getter]
    fn hold(&self) -> Vec<usize> {
        self.inner.hold().to_vec()
    }

    /// The interaction function, as a string the constructor accepts.
    #[getter]
    fn separation(&self) -> String {
        self.separation.spec()
    }

    /// The weight of the delayed term.
    #[getter]
    fn lam(&self) -> f64 {
        self.lam
    }

    /// ``"gated"`` or ``"additive"``.
    #[getter]
    fn coupling(&self) -> &'static str {
        coupling_name(self.coupling)
    }

    /// Number of neurons N.
    #[getter]
    fn dim(&self) -> usize {
        self.inner.dim()
    }

    /// The trajectory of ``steps`` synchronous updates from ``start`` (one bipolar state, 1-D
    /// (N,)): float32 (steps + 1, N), row 0 being ``start``.
    fn run<'py>(
        &self,
        py: Python<'py>,
        start: &Bound<'py, PyAny>,
        steps: usize,
    ) -> PyResult<Bound<'py, PyArray2<f32>>> {
        let start = matrix(start, "start", Rank::RowOrMatrix)?;
        let row = single_row(&start)?;
        let out = py.detach(|| self.inner.run(row, steps)).raise()?;
        Ok(out.into_pyarray(py))
    }

    fn __repr__(&self) -> String {
        format!(
            "VariableTiming(num_patterns={}, dim={}, separation='{}', lam={}, coupling='{}')",
            self.inner.hold().len(),
            self.inner.dim(),
            self.separation.spec(),
            self.lam,
            coupling_name(self.coupling)
        )
    }
}

/// Correlated dense associative memory, CDAM (Burns 2024, "Semantically-correlated memories in a
/// dense associative model").
///
/// Continuous patterns ``Xi`` (P, N) are linked by a memory graph with adjacency ``A`` (P, P),
/// ``A[mu, nu] >= 0`` the weight of the edge ``mu -> nu``, through its normalised adjacency
/// ``M = D^-1/2 A D^-1/2`` (``D`` the row sums; a row without edges gets degree 1). One update of
/// a state ``s``::
///
///     w = softmax(beta Xi s)
///     q = sum_mu w_mu (a xi^mu + h sum_nu M[mu, nu] xi^nu) - c mean(Xi)
///     s <- s + eta (q - s)
///
/// ``a`` weighs auto-association, ``h`` hetero-association (negative: anti-Hebbian), ``c`` is
/// ``mean_offset`` (None: ``1/N``, the paper's printed term; 1: the author's notebooks; 0: none).
/// There is no energy, so there is no ``recall``: use ``run`` or ``settle``.
///
/// Args:
///     patterns: (P, N) real array, float32 or float64.
///     adjacency: (P, P) non-negative edge weights (give both directions for an undirected
///         graph).
///     a, h: auto- and hetero-association strengths (finite).
///     beta: inverse temperature of the softmax, > 0.
///     eta: step size in (0, 1].
///     mean_offset: coefficient of the mean pattern, or None for ``1/N``.
///
/// Example:
///     >>> import engram, numpy as np
///     >>> patterns = engram.random_sphere(3, 64, seed=1)
///     >>> cycle = np.roll(np.eye(3, dtype=np.float32), 1, axis=1)   # 0 -> 1 -> 2 -> 0
///     >>> net = engram.Cdam(patterns, cycle, a=0.0, h=1.0, beta=50.0)
///     >>> moved = net.step(patterns[0])
///     >>> bool(abs(moved - (patterns[1] - net.offset)).max() < 1e-3)
///     True
#[pyclass(module = "engram", name = "Cdam", frozen)]
pub struct PyCdam {
    inner: Cdam,
}

#[pymethods]
impl PyCdam {
    #[new]
    #[pyo3(signature = (patterns, adjacency, *, a = 1.0, h = 0.0, beta = 1.0, eta = 1.0, mean_offset = None))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        patterns: &Bound<'_, PyAny>,
        adjacency: &Bound<'_, PyAny>,
        a: f32,
        h: f32,
        beta: f32,
        eta: f32,
        mean_offset: Option<f32>,
    ) -> PyResult<Self> {
        let patterns = matrix(patterns, "patterns", Rank::Matrix)?.into_owned_c();
        let adjacency = matrix(adjacency, "adjacency", Rank::Matrix)?.into_owned_c();
        let mut params = CdamParams::new(a, h, beta, eta);
        if let Some(c) = mean_offset {
            params = params.with_mean_offset(c);
        }
        let inner = py
            .detach(|| Cdam::new(patterns, adjacency, params))
            .raise()?;
        Ok(PyCdam { inner })
    }

    /// The stored patterns, float32 (P, N) (a copy).
    #[getter]
    fn patterns<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray2<f32>> {
        self.inner.patterns().to_pyarray(py)
    }

    /// The adjacency as given, float32 (P, P) (a copy).
    #[getter]
    fn adjacency<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray2<f32>> {
        self.inner.adjacency().to_pyarray(py)
    }

    /// The normalised adjacency ``M = D^-1/2 A D^-1/2``, float32 (P, P).
    #[getter]
    fn transition<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray2<f32>> {
        self.inner.transition().to_pyarray(py)
    }

    /// The offset ``c mean(Xi)`` subtracted from every target, float32 (N,).
    #[getter]
    fn offset<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<f32>> {
        self.inner.offset().to_pyarray(py)
    }

    /// Auto-association strength.
    #[getter]
    fn a(&self) -> f32 {
        self.inner.params().a
    }

    /// Hetero-association strength.
    #[getter]
    fn h(&self) -> f32 {
        self.inner.params().h
    }

    /// Inverse temperature of the softmax.
    #[getter]
    fn beta(&self) -> f32 {
        self.inner.params().beta
    }

    /// Step size.
    #[getter]
    fn eta(&self) -> f32 {
        self.inner.params().eta
    }

    /// The mean pattern's coefficient as given (None: ``1/N``).
    #[getter]
    fn mean_offset(&self) -> Option<f32> {
        self.inner.params().mean_offset
    }

    /// Dimension N of a state.
    #[getter]
    fn dim(&self) -> usize {
        self.inner.dim()
    }

    /// Number of memories P.
    #[getter]
    fn num_patterns(&self) -> usize {
        self.inner.len()
    }

    /// Attention ``softmax(beta Xi s)`` of each state over the memories: float32 (B, P), or (P,)
    /// for a 1-D state.
    fn attention<'py>(
        &self,
        py: Python<'py>,
        states: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let states = matrix(states, "states", Rank::RowOrMatrix)?;
        let view = states.view();
        let out = py.detach(|| self.inner.weights(view)).raise()?;
        Ok(states.shape_like(py, out))
    }

    /// One update of each state (see the class docstring): float32 with the shape of
    /// ``states``.
    fn step<'py>(
        &self,
        py: Python<'py>,
        states: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let states = matrix(states, "states", Rank::RowOrMatrix)?;
        let view = states.view();
        let out = py.detach(|| self.inner.step(view)).raise()?;
        Ok(states.shape_like(py, out))
    }

    /// The trajectory of ``steps`` updates from ``start`` (1-D (N,)): float32 (steps + 1, N),
    /// row 0 being ``start``. Coordinates where ``clamp`` (bool (N,)) is True keep their start
    /// value.
    #[pyo3(signature = (start, steps, clamp = None))]
    fn run<'py>(
        &self,
        py: Python<'py>,
        start: &Bound<'py, PyAny>,
        steps: usize,
        clamp: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyArray2<f32>>> {
        let start = matrix(start, "start", Rank::RowOrMatrix)?;
        let row = single_row(&start)?;
        let clamp = clamp.map(|c| mask(c, "clamp")).transpose()?;
        let clamp_view = match &clamp {
            Some(m) => {
                let v = m.view();
                if v.nrows() != 1 {
                    return Err(PyValueError::new_err(format!(
                        "clamp must be a 1-D bool array (dim,); got {} rows",
                        v.nrows()
                    )));
                }
                Some(v.index_axis_move(ndarray::Axis(0), 0))
            }
            None => None,
        };
        let out = py
            .detach(|| self.inner.run(row, steps, clamp_view))
            .raise()?;
        Ok(out.into_pyarray(py))
    }

    /// Runs each state until no coordinate moves by more than ``tol`` in one step, or for
    /// ``max_steps`` steps; True entries of ``observed`` (bool, shaped like ``states``) stay at
    /// their starting values.
    ///
    /// Returns:
    ///     ``(states, steps, converged)``: final states (float32, shaped like ``states``), steps
    ///     taken (int64 (B,)) and whether each state stopped moving (bool (B,)).
    #[pyo3(signature = (states, observed = None, *, max_steps = 100, tol = 1e-6))]
    #[allow(clippy::type_complexity)]
    fn settle<'py>(
        &self,
        py: Python<'py>,
        states: &Bound<'py, PyAny>,
        observed: Option<&Bound<'py, PyAny>>,
        max_steps: usize,
        tol: f32,
    ) -> PyResult<(
        Bound<'py, PyAny>,
        Bound<'py, PyArray1<i64>>,
        Bound<'py, PyArray1<bool>>,
    )> {
        let states = matrix(states, "states", Rank::RowOrMatrix)?;
        let observed = observed.map(|m| mask(m, "observed")).transpose()?;
        let view = states.view();
        let observed_view = observed.as_ref().map(|m| m.view());
        let run = py
            .detach(|| self.inner.settle(view, observed_view, max_steps, tol))
            .raise()?;
        let steps: Array1<i64> = run.steps.iter().map(|&s| s as i64).collect();
        let converged = Array1::from(run.converged);
        Ok((
            states.shape_like(py, run.states),
            steps.into_pyarray(py),
            converged.into_pyarray(py),
        ))
    }

    /// Least-squares coefficients ``c`` with ``s ~ sum_mu c_mu xi^mu`` for each state: how
    /// strongly each memory is expressed. float64 (B, P), or (P,) for a 1-D state; needs linearly
    /// independent patterns.
    fn expression<'py>(
        &self,
        py: Python<'py>,
        states: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let states = matrix(states, "states", Rank::RowOrMatrix)?;
        let view = states.view();
        let out = py.detach(|| self.inner.expression(view)).raise()?;
        Ok(states.shape_like(py, out))
    }

    fn __repr__(&self) -> String {
        let p = self.inner.params();
        format!(
            "Cdam(num_patterns={}, dim={}, a={}, h={}, beta={}, eta={})",
            self.inner.len(),
            self.inner.dim(),
            p.a,
            p.h,
            p.beta,
            p.eta
        )
    }
}
