//! What every model class shares: energies, one synchronous step and recall through engram's one
//! recall loop, with the GIL released while engram computes.

use engram::dynamics::{self, Dynamics, Recall, RecallOptions, Schedule};
use ndarray::{Array1, Array2};
use numpy::{IntoPyArray, PyArray1, PyArray2, PyArrayMethods};
use pyo3::prelude::*;
use pyo3::types::PyList;

use crate::convert::{mask, matrix, Raise, Rank};

/// `model.energy(states)`: one energy per row, or a float for a 1-D state.
pub fn energy<'py, D: Dynamics>(
    py: Python<'py>,
    model: &D,
    states: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyAny>> {
    let states = matrix(states, "states", Rank::RowOrMatrix)?;
    let view = states.view();
    let energies = py
        .detach(|| {
            model.validate_states("states", view)?;
            model.energies(view)
        })
        .raise()?;
    states.scalars_like(py, energies)
}

/// `model.step(states)`: one synchronous update of every row.
pub fn step<'py, D: Dynamics>(
    py: Python<'py>,
    model: &D,
    states: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyAny>> {
    let states = matrix(states, "states", Rank::RowOrMatrix)?;
    let view = states.view();
    let next = py
        .detach(|| {
            model.validate_states("states", view)?;
            model.step(view)
        })
        .raise()?;
    Ok(states.shape_like(py, next))
}

/// The options of `recall` as Python passes them.
pub struct RecallArgs<'a> {
    pub max_steps: usize,
    pub tol: f32,
    pub schedule: Option<&'a str>,
    pub seed: u64,
    pub record_states: bool,
}

/// `model.recall(queries, observed, ...)`.
pub fn recall<'py, D: Dynamics>(
    py: Python<'py>,
    model: &D,
    queries: &Bound<'py, PyAny>,
    observed: Option<&Bound<'py, PyAny>>,
    args: RecallArgs<'_>,
) -> PyResult<RecallResult> {
    let schedule = args
        .schedule
        .map(|s| s.parse::<Schedule>())
        .transpose()
        .raise()?;
    let opts = RecallOptions {
        max_steps: args.max_steps,
        tol: args.tol,
        schedule,
        seed: args.seed,
        record_states: args.record_states,
    };
    let queries = matrix(queries, "queries", Rank::RowOrMatrix)?;
    let observed = observed.map(|m| mask(m, "observed")).transpose()?;
    let query_view = queries.view();
    let mask_view = observed.as_ref().map(|m| m.view());
    let out = py
        .detach(|| dynamics::recall(model, query_view, mask_view, &opts))
        .raise()?;
    Ok(RecallResult::new(py, out))
}

/// The outcome of `recall` for a batch of `B` queries (a 1-D query is a batch of one).
///
/// Attributes:
///     states: final states, float32 array of shape (B, dim).
///     energies: float64 array of shape (B, T): row i holds the energy of query i's initial state
///         and then after every step it took; T is the longest trace (steps + 1) and shorter rows
///         are padded with NaN. `energy_traces` gives the unpadded rows.
///     steps: int64 array (B,): steps (sweeps, for the asynchronous schedule) each query took.
///     converged: bool array (B,): whether the query stopped moving within max_steps.
///     final_energies: float64 array (B,): the energy of each final state.
///     trajectories: with record_states=True, a list of B float32 arrays of shape
///         (steps_i + 1, dim), the visited states starting with the query; None otherwise.
///
/// Example:
///     >>> import engram
///     >>> x = engram.random_sphere(20, 32, seed=1)
///     >>> out = engram.ModernHopfield(x, beta=16.0).recall(x[:3])
///     >>> out.states.shape, bool(out.converged.all())
///     ((3, 32), True)
#[pyclass(module = "engram", name = "RecallResult", frozen)]
pub struct RecallResult {
    #[pyo3(get)]
    states: Py<PyArray2<f32>>,
    #[pyo3(get)]
    energies: Py<PyArray2<f64>>,
    #[pyo3(get)]
    steps: Py<PyArray1<i64>>,
    #[pyo3(get)]
    converged: Py<PyArray1<bool>>,
    #[pyo3(get)]
    final_energies: Py<PyArray1<f64>>,
    #[pyo3(get)]
    trajectories: Option<Py<PyList>>,
    traces: Vec<Vec<f64>>,
}

impl RecallResult {
    fn new(py: Python<'_>, out: Recall) -> Self {
        let longest = out.energies.iter().map(Vec::len).max().unwrap_or(0);
        let mut padded = Array2::from_elem((out.energies.len(), longest), f64::NAN);
        for (mut row, trace) in padded.rows_mut().into_iter().zip(&out.energies) {
            for (dst, &e) in row.iter_mut().zip(trace) {
                *dst = e;
            }
        }
        let final_energies: Array1<f64> = out.final_energies().into();
        let steps: Array1<i64> = out.steps.iter().map(|&s| s as i64).collect();
        let converged: Array1<bool> = out.converged.iter().copied().collect();
        let trajectories = out.trajectories.map(|all| {
            let arrays = all.into_iter().map(|t| t.into_pyarray(py));
            PyList::new(py, arrays)
                .expect("a list of arrays can always be built")
                .unbind()
        });
        RecallResult {
            states: out.states.into_pyarray(py).unbind(),
            energies: padded.into_pyarray(py).unbind(),
            steps: steps.into_pyarray(py).unbind(),
            converged: converged.into_pyarray(py).unbind(),
            final_energies: final_energies.into_pyarray(py).unbind(),
            trajectories,
            traces: out.energies,
        }
    }
}

#[pymethods]
impl RecallResult {
    /// The energy trace of each query without padding: a list of B float64 arrays of length
    /// steps_i + 1.
    #[getter]
    fn energy_traces<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        PyList::new(py, self.traces.iter().map(|t| t.clone().into_pyarray(py)))
    }

    fn __len__(&self) -> usize {
        self.traces.len()
    }

    fn __repr__(&self, py: Python<'_>) -> String {
        let converged = self.converged.bind(py).readonly();
        let converged = converged.as_array();
        let steps = self.steps.bind(py).readonly();
        let most = steps.as_array().iter().copied().max().unwrap_or(0);
        format!(
            "RecallResult(queries={}, converged={}/{}, max_steps_taken={})",
            self.traces.len(),
            converged.iter().filter(|&&c| c).count(),
            converged.len(),
            most
        )
    }
}
