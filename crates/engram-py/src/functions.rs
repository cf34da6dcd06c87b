//! Module-level functions: pattern generators, corruption helpers, metrics, the shipped digits,
//! capacity experiments and the thread pool.

use engram::experiment::capacity::{
    measure_capacity, CapacityModel, CapacityOptions, CapacityResult, Criterion,
};
use engram::learn::LearningRule;
use engram::pattern::{self, corrupt, metrics, Digits};
use ndarray::Array1;
use numpy::{IntoPyArray, PyArray1, PyArray2};
use pyo3::exceptions::{PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};

use crate::convert::{mask_like, matrix, Raise, Rank};

/// ``k`` random bipolar patterns of dimension ``n`` (each entry +1 or -1 with probability 1/2):
/// float32 (k, n). The same seed always gives the same patterns.
///
/// Example:
///     >>> import engram
///     >>> engram.random_bipolar(2, 5, seed=0).shape
///     (2, 5)
#[pyfunction]
#[pyo3(signature = (k, n, seed = 0))]
pub fn random_bipolar(py: Python<'_>, k: usize, n: usize, seed: u64) -> Bound<'_, PyArray2<f32>> {
    pattern::random_bipolar(k, n, seed).into_pyarray(py)
}

/// ``k`` patterns of dimension ``n`` with independent standard normal entries: float32 (k, n).
///
/// Example:
///     >>> import engram
///     >>> g = engram.random_gaussian(100, 1000, seed=3)
///     >>> round(float(g.std()), 1)
///     1.0
#[pyfunction]
#[pyo3(signature = (k, n, seed = 0))]
pub fn random_gaussian(py: Python<'_>, k: usize, n: usize, seed: u64) -> Bound<'_, PyArray2<f32>> {
    pattern::random_gaussian(k, n, seed).into_pyarray(py)
}

/// ``k`` patterns drawn uniformly from the unit sphere in dimension ``n`` (rows of norm 1):
/// float32 (k, n).
///
/// Example:
///     >>> import engram, numpy as np
///     >>> x = engram.random_sphere(3, 16, seed=1)
///     >>> np.allclose(np.linalg.norm(x, axis=1), 1.0)
///     True
#[pyfunction]
#[pyo3(signature = (k, n, seed = 0))]
pub fn random_sphere(py: Python<'_>, k: usize, n: usize, seed: u64) -> Bound<'_, PyArray2<f32>> {
    pattern::random_sphere(k, n, seed).into_pyarray(py)
}

/// ``k`` random binary patterns of dimension ``n`` (each entry 0 or 1): float32 (k, n).
///
/// Example:
///     >>> import engram
///     >>> sorted(set(engram.random_binary01(4, 50, seed=2).ravel().tolist()))
///     [0.0, 1.0]
#[pyfunction]
#[pyo3(signature = (k, n, seed = 0))]
pub fn random_binary01(py: Python<'_>, k: usize, n: usize, seed: u64) -> Bound<'_, PyArray2<f32>> {
    pattern::random_binary01(k, n, seed).into_pyarray(py)
}

/// Negates exactly ``round(fraction * dim)`` randomly chosen entries of every row (flips that
/// many bits of a bipolar pattern). Returns a new float32 array shaped like ``patterns`` (1-D or
/// 2-D). Row i is corrupted the same way whether passed alone or in a batch.
///
/// Example:
///     >>> import engram
///     >>> p = engram.random_bipolar(3, 100, seed=42)
///     >>> cues = engram.flip_bits(p, 0.1, seed=7)
///     >>> (cues != p).sum(axis=1).tolist()
///     [10, 10, 10]
#[pyfunction]
#[pyo3(signature = (patterns, fraction, seed = 0))]
pub fn flip_bits<'py>(
    py: Python<'py>,
    patterns: &Bound<'py, PyAny>,
    fraction: f64,
    seed: u64,
) -> PyResult<Bound<'py, PyAny>> {
    let patterns = matrix(patterns, "patterns", Rank::RowOrMatrix)?;
    let out = corrupt::flip_bits(patterns.view(), fraction, seed).raise()?;
    Ok(patterns.shape_like(py, out))
}

/// Hides exactly ``round(fraction * dim)`` randomly chosen entries of every row, setting them to
/// ``fill``. Returns ``(cues, observed)``: float32 cues and a bool mask, True where the entry was
/// kept, ready for ``recall(cues, observed=observed)``.
///
/// Example:
///     >>> import engram
///     >>> p = engram.random_bipolar(2, 10, seed=1)
///     >>> cues, observed = engram.mask_random(p, 0.3, seed=5)
///     >>> (~observed).sum(axis=1).tolist(), bool((cues[~observed] == 0).all())
///     ([3, 3], True)
#[pyfunction]
#[pyo3(signature = (patterns, fraction, fill = 0.0, seed = 0))]
pub fn mask_random<'py>(
    py: Python<'py>,
    patterns: &Bound<'py, PyAny>,
    fraction: f64,
    fill: f32,
    seed: u64,
) -> PyResult<(Bound<'py, PyAny>, Bound<'py, PyAny>)> {
    let patterns = matrix(patterns, "patterns", Rank::RowOrMatrix)?;
    let (cues, observed) = corrupt::mask_random(patterns.view(), fraction, fill, seed).raise()?;
    Ok((
        patterns.shape_like(py, cues),
        mask_like(py, &patterns, observed),
    ))
}

/// Hides the bottom ``fraction`` of the pixel rows of every image: each pattern is read as an
/// image of ``image_shape = (height, width)`` in row-major order and its last
/// ``round(fraction * height)`` rows are set to ``fill``. Returns ``(cues, observed)`` like
/// ``mask_random``.
///
/// Example:
///     >>> import engram
///     >>> images, labels = engram.load_digits(form="bipolar")
///     >>> cues, observed = engram.mask_block(images[:10], (8, 8), 0.5, fill=-1.0)
///     >>> int(observed[0].sum())
///     32
#[pyfunction]
#[pyo3(signature = (patterns, image_shape, fraction, fill = 0.0))]
pub fn mask_block<'py>(
    py: Python<'py>,
    patterns: &Bound<'py, PyAny>,
    image_shape: (usize, usize),
    fraction: f64,
    fill: f32,
) -> PyResult<(Bound<'py, PyAny>, Bound<'py, PyAny>)> {
    let patterns = matrix(patterns, "patterns", Rank::RowOrMatrix)?;
    let (cues, observed) =
        corrupt::mask_block(patterns.view(), image_shape, fraction, fill).raise()?;
    Ok((
        patterns.shape_like(py, cues),
        mask_like(py, &patterns, observed),
    ))
}

/// Adds independent Gaussian noise of standard deviation ``sigma`` to every entry: a new float32
/// array shaped like ``patterns``.
///
/// Example:
///     >>> import engram, numpy as np
///     >>> x = np.zeros((10, 1000), dtype=np.float32)
///     >>> round(float(engram.add_gaussian_noise(x, 0.5, seed=1).std()), 2)
///     0.5
#[pyfunction]
#[pyo3(signature = (patterns, sigma, seed = 0))]
pub fn add_gaussian_noise<'py>(
    py: Python<'py>,
    patterns: &Bound<'py, PyAny>,
    sigma: f64,
    seed: u64,
) -> PyResult<Bound<'py, PyAny>> {
    let patterns = matrix(patterns, "patterns", Rank::RowOrMatrix)?;
    let out = corrupt::add_gaussian_noise(patterns.view(), sigma, seed).raise()?;
    Ok(patterns.shape_like(py, out))
}

/// Per-row overlap ``a_i . b_i / dim`` (1 for identical bipolar rows): float32 (rows,).
///
/// Example:
///     >>> import engram
///     >>> p = engram.random_bipolar(2, 100, seed=1)
///     >>> engram.overlaps(p, engram.flip_bits(p, 0.1, seed=2)).astype(float).round(3).tolist()
///     [0.8, 0.8]
#[pyfunction]
pub fn overlaps<'py>(
    py: Python<'py>,
    a: &Bound<'py, PyAny>,
    b: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyArray1<f32>>> {
    let a = matrix(a, "a", Rank::RowOrMatrix)?;
    let b = matrix(b, "b", Rank::RowOrMatrix)?;
    Ok(metrics::overlaps(a.view(), b.view())
        .raise()?
        .into_pyarray(py))
}

/// Per-row number of coordinates whose signs differ (positive vs not positive): int64 (rows,).
///
/// Example:
///     >>> import engram
///     >>> p = engram.random_bipolar(2, 100, seed=1)
///     >>> engram.bit_errors(p, engram.flip_bits(p, 0.1, seed=2)).tolist()
///     [10, 10]
#[pyfunction]
pub fn bit_errors<'py>(
    py: Python<'py>,
    a: &Bound<'py, PyAny>,
    b: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyArray1<i64>>> {
    let a = matrix(a, "a", Rank::RowOrMatrix)?;
    let b = matrix(b, "b", Rank::RowOrMatrix)?;
    let errors = metrics::bit_errors(a.view(), b.view()).raise()?;
    Ok(errors
        .into_iter()
        .map(|e| e as i64)
        .collect::<Array1<i64>>()
        .into_pyarray(py))
}

/// For each state, the index of the stored pattern (row of ``memory``) with the highest
/// overlap (ties go to the lower index): int64 (rows,).
///
/// Example:
///     >>> import engram
///     >>> memory = engram.random_bipolar(10, 64, seed=1)
///     >>> engram.nearest_pattern(memory, engram.flip_bits(memory[[4, 2]], 0.2, seed=3)).tolist()
///     [4, 2]
#[pyfunction]
pub fn nearest_pattern<'py>(
    py: Python<'py>,
    memory: &Bound<'py, PyAny>,
    states: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyArray1<i64>>> {
    let memory = matrix(memory, "memory", Rank::Matrix)?;
    let states = matrix(states, "states", Rank::RowOrMatrix)?;
    let (mv, sv) = (memory.view(), states.view());
    let nearest = py.detach(|| metrics::nearest_pattern(mv, sv)).raise()?;
    Ok(nearest
        .into_iter()
        .map(|i| i as i64)
        .collect::<Array1<i64>>()
        .into_pyarray(py))
}

/// `(images, labels)` of `load_digits`.
type ImagesAndLabels<'py> = (Bound<'py, PyArray2<f32>>, Bound<'py, PyArray1<u8>>);

/// The 8x8 handwritten digits of UCI / scikit-learn shipped with engram (1797 images, CC BY 4.0,
/// E. Alpaydin and C. Kaynak).
///
/// Args:
///     form: ``"raw"`` (pixel values 0..16), ``"unit"`` (pixel / 16, in [0, 1]) or
///         ``"bipolar"`` (+1 where a pixel exceeds ``threshold``, -1 elsewhere).
///     threshold: the cut for ``"bipolar"``.
///
/// Returns:
///     ``(images, labels)``: float32 (1797, 64), one image per row in row-major order, and
///     uint8 (1797,) digit labels 0..9.
///
/// Example:
///     >>> import engram
///     >>> images, labels = engram.load_digits()
///     >>> images.shape, float(images.max()), labels[:5].tolist()
///     ((1797, 64), 16.0, [0, 1, 2, 3, 4])
#[pyfunction]
#[pyo3(signature = (form = "raw", threshold = 8.0))]
pub fn load_digits<'py>(
    py: Python<'py>,
    form: &str,
    threshold: f32,
) -> PyResult<ImagesAndLabels<'py>> {
    let digits = Digits::load().raise()?;
    let images = match form {
        "raw" => digits.images.clone(),
        "unit" => digits.unit(),
        "bipolar" => digits.bipolar(threshold),
        other => {
            return Err(PyValueError::new_err(format!(
                "invalid parameter form: unknown form {other:?} (expected raw, unit or bipolar)"
            )))
        }
    };
    let labels = Array1::from(digits.labels);
    Ok((images.into_pyarray(py), labels.into_pyarray(py)))
}

fn capacity_model(model: &str, rule: &str, separation: &str) -> PyResult<CapacityModel> {
    match model {
        "hopfield" => Ok(CapacityModel::Hopfield(
            rule.parse::<LearningRule>().raise()?,
        )),
        "dense" | "dam" => Ok(CapacityModel::Dense(crate::models::parse_dam_separation(
            separation,
        )?)),
        other => Err(PyValueError::new_err(format!(
            "invalid parameter model: unknown model {other:?} (expected hopfield or dense)"
        ))),
    }
}

fn parse_criterion(text: &str) -> PyResult<Criterion> {
    let bad = || {
        PyValueError::new_err(format!(
            "invalid parameter criterion: {text:?} (expected overlap:MEAN, exact:FRACTION or \
             recalled:MIN_OVERLAP:FRACTION)"
        ))
    };
    let parts: Vec<&str> = text.split(':').map(str::trim).collect();
    let number = |s: &str| s.parse::<f64>().map_err(|_| bad());
    match parts.as_slice() {
        ["overlap", mean] => Ok(Criterion::MeanOverlap(number(mean)?)),
        ["exact", fraction] => Ok(Criterion::Recalled {
            min_overlap: 1.0,
            fraction: number(fraction)?,
        }),
        ["recalled", min_overlap, fraction] => Ok(Criterion::Recalled {
            min_overlap: number(min_overlap)?,
            fraction: number(fraction)?,
        }),
        _ => Err(bad()),
    }
}

/// A criterion written back in the form `parse_criterion` reads.
fn criterion_name(criterion: Criterion) -> String {
    match criterion {
        Criterion::MeanOverlap(mean) => format!("overlap:{mean}"),
        Criterion::Recalled {
            min_overlap: 1.0,
            fraction,
        } => format!("exact:{fraction}"),
        Criterion::Recalled {
            min_overlap,
            fraction,
        } => format!("recalled:{min_overlap}:{fraction}"),
    }
}

fn capacity_dict<'py>(
    py: Python<'py>,
    result: &CapacityResult,
    opts: &CapacityOptions,
) -> PyResult<Bound<'py, PyDict>> {
    let out = PyDict::new(py);
    out.set_item("model", &result.model)?;
    out.set_item("dim", result.dim)?;
    out.set_item("capacity", result.capacity)?;
    out.set_item("capacity_ratio", result.capacity_ratio)?;
    out.set_item("theory", result.theory)?;
    out.set_item("theory_source", &result.theory_source)?;
    let probes = PyList::empty(py);
    for p in &result.probes {
        let d = PyDict::new(py);
        d.set_item("patterns", p.patterns)?;
        d.set_item("mean_overlap", p.mean_overlap)?;
        d.set_item("exact_fraction", p.exact_fraction)?;
        d.set_item("recalled_fraction", p.recalled_fraction)?;
        d.set_item("passed", p.passed)?;
        probes.append(d)?;
    }
    out.set_item("probes", probes)?;
    let options = PyDict::new(py);
    options.set_item("trials", opts.trials)?;
    options.set_item("flip_fraction", opts.flip_fraction)?;
    options.set_item("probes_per_trial", opts.probes_per_trial)?;
    options.set_item("max_steps", opts.max_steps)?;
    options.set_item("criterion", criterion_name(opts.criterion))?;
    options.set_item("max_patterns", opts.max_patterns)?;
    options.set_item("seed", opts.seed)?;
    out.set_item("options", options)?;
    Ok(out)
}

/// Measures the storage capacity of a bipolar memory: the largest number K of random patterns
/// that recall still retrieves, found by doubling K and then bisecting (engram's protocol: K
/// random patterns of dimension ``dim``, up to ``probes_per_trial`` cues with ``flip_fraction``
/// of their bits flipped, asynchronous recall, pass/fail by ``criterion``, pooled over
/// ``trials`` pattern sets).
///
/// Args:
///     model: ``"hopfield"`` (with ``rule``) or ``"dense"`` (with ``separation``).
///     rule: learning rule of a Hopfield network.
///     separation: interaction of a dense memory (``"power:N"``, ``"rectified:N"``,
///         ``"exp:BETA"``).
///     dim: number of neurons N.
///     trials, flip_fraction, probes_per_trial, max_steps, criterion, max_patterns: None keeps
///         engram's defaults for the model; the result's ``options`` says which were used.
///         ``criterion`` is ``"overlap:MEAN"`` (mean final overlap at least MEAN),
///         ``"exact:FRACTION"`` (at least FRACTION of the cues recalled exactly) or
///         ``"recalled:MIN_OVERLAP:FRACTION"`` (at least FRACTION of the cues end with overlap
///         >= MIN_OVERLAP). ``max_patterns`` caps the search (the capacity is then a lower
///         bound).
///     seed: seed of patterns, cues and update orders.
///
/// Returns:
///     dict with ``model``, ``dim``, ``capacity``, ``capacity_ratio`` (capacity / dim),
///     ``theory`` and ``theory_source`` (the published value for comparison) and ``probes``
///     (one dict per probed K: ``patterns``, ``mean_overlap``, ``exact_fraction``,
///     ``recalled_fraction``, ``passed``) and ``options`` (the protocol's settings).
///
/// Example:
///     >>> import engram
///     >>> r = engram.capacity("hopfield", rule="hebbian", dim=100, seed=1)
///     >>> 5 <= r["capacity"] <= 25, round(r["theory"], 1)
///     (True, 13.8)
#[pyfunction]
#[pyo3(signature = (model = "hopfield", *, rule = "hebbian", separation = "power:3", dim = 100, trials = None, flip_fraction = None, probes_per_trial = None, max_steps = None, criterion = None, max_patterns = None, seed = 0))]
#[allow(clippy::too_many_arguments)]
pub fn capacity<'py>(
    py: Python<'py>,
    model: &str,
    rule: &str,
    separation: &str,
    dim: usize,
    trials: Option<usize>,
    flip_fraction: Option<f64>,
    probes_per_trial: Option<usize>,
    max_steps: Option<usize>,
    criterion: Option<&str>,
    max_patterns: Option<usize>,
    seed: u64,
) -> PyResult<Bound<'py, PyDict>> {
    let model = capacity_model(model, rule, separation)?;
    let mut opts = CapacityOptions::for_model(model, dim);
    opts.seed = seed;
    if let Some(t) = trials {
        opts.trials = t;
    }
    if let Some(f) = flip_fraction {
        opts.flip_fraction = f;
    }
    if let Some(p) = probes_per_trial {
        opts.probes_per_trial = p;
    }
    if let Some(m) = max_steps {
        opts.max_steps = m;
    }
    if let Some(c) = criterion {
        opts.criterion = parse_criterion(c)?;
    }
    if let Some(m) = max_patterns {
        opts.max_patterns = m;
    }
    let result = py
        .detach(|| measure_capacity(model, &opts, |_| {}))
        .raise()?;
    capacity_dict(py, &result, &opts)
}

/// Sets the number of threads engram computes with. Call it once, before any computation; it
/// raises RuntimeError once the thread pool has started. Without a call engram uses one thread
/// per core (or the ``RAYON_NUM_THREADS`` environment variable).
///
/// Example (at the top of a script, before engram computes anything):
///     >>> import engram
///     >>> engram.set_threads(4)  # doctest: +SKIP
#[pyfunction]
pub fn set_threads(threads: usize) -> PyResult<()> {
    engram::set_threads(threads).map_err(|e| match e {
        engram::Error::Parameter { .. } => PyValueError::new_err(e.to_string()),
        _ => PyRuntimeError::new_err(e.to_string()),
    })
}

/// The number of threads engram computes with.
///
/// Example:
///     >>> import engram
///     >>> engram.threads() >= 1
///     True
#[pyfunction]
pub fn threads() -> usize {
    engram::threads()
}
