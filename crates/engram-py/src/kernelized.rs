//! The kernelized modern Hopfield network with a learned feature map (U-Hop, U-Hop+). The class
//! owns an engram model; building the feature map and running engram's Stage I training are
//! forwarded to engram.

use engram::dynamics::Dynamics;
use engram::model::{
    train_separation, FeatureKernel, FeatureMap, KernelizedHopfield, SeparationTraining,
    TrainingReport,
};
use numpy::{IntoPyArray, PyArray1, PyArray2, ToPyArray};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::convert::{matrix, Raise, Rank};
use crate::recall::{self, RecallArgs, RecallResult};

fn parse_kernel(text: &str) -> PyResult<FeatureKernel> {
    match text {
        "dot" => Ok(FeatureKernel::Dot),
        "cosine" => Ok(FeatureKernel::Cosine),
        _ => Err(PyValueError::new_err(format!(
            "invalid parameter kernel: unknown kernel {text:?} (expected dot or cosine)"
        ))),
    }
}

fn kernel_name(kernel: FeatureKernel) -> &'static str {
    match kernel {
        FeatureKernel::Dot => "dot",
        FeatureKernel::Cosine => "cosine",
    }
}

/// Kernelized modern Hopfield network with a learned feature map: U-Hop and U-Hop+ (Wu, Hu,
/// Hsiao & Liu 2024, "Uniform Memory Retrieval with Larger Capacity for Modern Hopfield Models";
/// Hu, Wu & Liu 2024, "Provably Optimal Memory Capacity for Modern Hopfield Models").
///
/// A feature map ``Phi`` (``feature_map``: ``"identity"``, ``"linear"`` ``W x`` or ``"mlp"``
/// ``W x + V relu(U x + c)``) and a kernel ``K`` on features (``kernel``: ``"dot"``
/// ``Phi(x) . Phi(y)`` or ``"cosine"``). Energy
/// ``E(x) = K(x, x) / 2 - ln sum_mu exp(beta K(xi_mu, x)) / beta``; update
/// ``x <- Xi^T softmax(beta K(Xi, x))``. With the identity map and the dot kernel this is
/// ``ModernHopfield`` (its energy less the constant ``ln K / beta + M^2 / 2``); with the dot
/// kernel and a linear map the update never raises the energy.
///
/// Stage I (``train_steps > 0``): before storing, the map is fitted with Adam to separate the
/// patterns on the unit sphere of feature space, minimising
/// ``L = ln(mean_{mu<nu} exp(u_mu . u_nu / temperature)) / M``, ``u = Phi(xi) / |Phi(xi)|``;
/// ``training`` then reports the loss and the minimal separation
/// ``1 - max_{mu != nu} u_mu . u_nu`` before and after.
///
/// Args:
///     patterns: (M, d) real array, float32 or float64.
///     beta: inverse temperature, > 0.
///     feature_map: ``"identity"``, ``"linear"`` or ``"mlp"``.
///     features: feature dimension D (default d; ``"linear"`` and ``"mlp"`` start from the
///         identity when D = d, from Gaussian weights otherwise).
///     hidden: hidden units of the ``"mlp"`` map.
///     kernel: ``"dot"`` or ``"cosine"``.
///     train_steps: Adam steps of Stage I (0: no training).
///     learning_rate, temperature: Stage I's Adam learning rate and loss temperature.
///     seed: seed of the map's initial random weights.
///     parameters: optional map parameters to start from (float64, in the order of the
///         ``parameters`` property: ``W`` row-major, then ``U``, ``c``, ``V`` for the MLP).
///
/// Example:
///     >>> import engram
///     >>> x = engram.random_sphere(40, 16, seed=1)
///     >>> net = engram.KernelizedHopfield(x, beta=20.0, train_steps=200)
///     >>> r = net.training
///     >>> r["final_separation"] > r["initial_separation"]
///     True
///     >>> engram.nearest_pattern(x, net.recall(engram.add_gaussian_noise(x[:3], 0.05, seed=2)).states).tolist()
///     [0, 1, 2]
#[pyclass(module = "engram", name = "KernelizedHopfield", frozen)]
pub struct PyKernelizedHopfield {
    inner: KernelizedHopfield,
    training: Option<TrainingReport>,
}

#[pymethods]
impl PyKernelizedHopfield {
    #[new]
    #[pyo3(signature = (patterns, beta = 1.0, *, feature_map = "linear", features = None, hidden = 32, kernel = "dot", train_steps = 0, learning_rate = 0.01, temperature = 0.05, seed = 0, parameters = None))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        patterns: &Bound<'_, PyAny>,
        beta: f32,
        feature_map: &str,
        features: Option<usize>,
        hidden: usize,
        kernel: &str,
        train_steps: usize,
        learning_rate: f64,
        temperature: f64,
        seed: u64,
        parameters: Option<Vec<f64>>,
    ) -> PyResult<Self> {
        let kernel = parse_kernel(kernel)?;
        let patterns = matrix(patterns, "patterns", Rank::Matrix)?.into_owned_c();
        let dim = patterns.ncols();
        let out_dim = features.unwrap_or(dim);
        let mut map = match feature_map {
            "identity" => {
                if out_dim != dim {
                    return Err(PyValueError::new_err(format!(
                        "invalid parameter features: the identity map keeps the dimension {dim}, \
                         got features={out_dim}"
                    )));
                }
                FeatureMap::identity(dim)
            }
            "linear" => FeatureMap::linear(dim, out_dim, seed),
            "mlp" => FeatureMap::mlp(dim, out_dim, hidden, seed),
            other => {
                return Err(PyValueError::new_err(format!(
                    "invalid parameter feature_map: unknown feature map {other:?} \
                     (expected identity, linear or mlp)"
                )))
            }
        }
        .raise()?;
        if let Some(values) = parameters {
            map.set_parameters(&values).raise()?;
        }
        let opts = SeparationTraining {
            steps: train_steps,
            learning_rate,
            temperature,
        };
        let (inner, training) = py
            .detach(|| -> engram::Result<_> {
                let training = if train_steps > 0 {
                    Some(train_separation(&mut map, patterns.view(), &opts)?)
                } else {
                    None
                };
                Ok((
                    KernelizedHopfield::new(patterns, map, beta, kernel)?,
                    training,
                ))
            })
            .raise()?;
        Ok(PyKernelizedHopfield { inner, training })
    }

    /// The stored patterns, float32 (M, d) (a copy).
    #[getter]
    fn patterns<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray2<f32>> {
        self.inner.patterns().to_pyarray(py)
    }

    /// The inverse temperature.
    #[getter]
    fn beta(&self) -> f32 {
        self.inner.beta()
    }

    /// ``"dot"`` or ``"cosine"``.
    #[getter]
    fn kernel(&self) -> &'static str {
        kernel_name(self.inner.kernel())
    }

    /// ``"identity"``, ``"linear"`` or ``"mlp"``.
    #[getter]
    fn feature_map(&self) -> &'static str {
        self.inner.map().name()
    }

    /// The state dimension d.
    #[getter]
    fn dim(&self) -> usize {
        Dynamics::dim(&self.inner)
    }

    /// The feature dimension D.
    #[getter]
    fn feature_dim(&self) -> usize {
        self.inner.map().out_dim()
    }

    /// Number of stored patterns M.
    #[getter]
    fn num_patterns(&self) -> usize {
        self.inner.patterns().nrows()
    }

    /// The map's learnable parameters, float64 (``W`` row-major, then ``U``, ``c``, ``V`` for the
    /// MLP; empty for the identity).
    #[getter]
    fn parameters<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<f64>> {
        self.inner.map().parameters().into_pyarray(py)
    }

    /// Stage I's report, a dict with ``initial_loss``, ``final_loss``, ``initial_separation`` and
    /// ``final_separation``; None without training.
    #[getter]
    fn training<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyDict>>> {
        let Some(r) = &self.training else {
            return Ok(None);
        };
        let d = PyDict::new(py);
        d.set_item("initial_loss", r.initial_loss)?;
        d.set_item("final_loss", r.final_loss)?;
        d.set_item("initial_separation", r.initial_separation)?;
        d.set_item("final_separation", r.final_separation)?;
        Ok(Some(d))
    }

    /// The minimal separation ``1 - max_{mu != nu} cos(Phi(xi_mu), Phi(xi_nu))`` of the stored
    /// patterns in feature space; None for a single pattern.
    fn min_separation(&self, py: Python<'_>) -> PyResult<Option<f64>> {
        py.detach(|| self.inner.min_separation()).raise()
    }

    /// The features ``Phi(x)`` of each state: float64 (B, D), or (D,) for a 1-D state.
    fn features<'py>(
        &self,
        py: Python<'py>,
        states: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let states = matrix(states, "states", Rank::RowOrMatrix)?;
        let view = states.view();
        let out = py.detach(|| self.inner.map().apply(view)).raise()?;
        Ok(states.shape_like(py, out))
    }

    /// The kernel similarities ``K(xi_mu, x)``: float64 (B, M), or (M,) for a 1-D query.
    fn similarities<'py>(
        &self,
        py: Python<'py>,
        queries: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let queries = matrix(queries, "queries", Rank::RowOrMatrix)?;
        let view = queries.view();
        let out = py.detach(|| self.inner.similarities(view)).raise()?;
        Ok(queries.shape_like(py, out))
    }

    /// One retrieval ``Xi^T softmax(beta K(Xi, x))`` of each query: float32 with the shape of
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

    /// Energy ``K(x, x) / 2 - lse(beta K(Xi, x)) / beta`` of each state: float64 (B,), or a float
    /// for a 1-D state.
    fn energy<'py>(
        &self,
        py: Python<'py>,
        states: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        recall::energy(py, &self.inner, states)
    }

    /// One update of each state (the retrieval).
    fn step<'py>(
        &self,
        py: Python<'py>,
        states: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        recall::step(py, &self.inner, states)
    }

    /// Iterates the update from each query; arguments as in ``Hopfield.recall`` (only the
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
            "KernelizedHopfield(num_patterns={}, dim={}, feature_map='{}', features={}, kernel='{}', beta={})",
            self.inner.patterns().nrows(),
            Dynamics::dim(&self.inner),
            self.inner.map().name(),
            self.inner.map().out_dim(),
            kernel_name(self.inner.kernel()),
            self.inner.beta()
        )
    }
}
