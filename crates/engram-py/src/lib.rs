//! Python bindings of engram: numpy in, numpy out.
//!
//! The extension module `engram._engram`; the Python package `engram` (python/engram) re-exports
//! it. Every function converts its arguments (see [`convert`]), calls engram with the GIL
//! released for anything that can take long, and converts the result back. Models, dynamics and
//! experiments all live in the engram crate.

mod convert;
mod density;
mod functions;
mod kernelized;
mod models;
mod recall;
mod sequence;

use pyo3::prelude::*;

/// Energy-based associative memories (Hopfield, dense associative memory, modern Hopfield,
/// universal framework, sequence memories, CDAM, DrDAM, U-Hop, kernel density estimate): the
/// native part of the `engram` package.
#[pymodule]
#[pyo3(name = "_engram")]
fn engram_py(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_class::<models::PyHopfield>()?;
    m.add_class::<models::PyDenseMemory>()?;
    m.add_class::<models::PyModernHopfield>()?;
    m.add_class::<models::PyUniversal>()?;
    m.add_class::<sequence::PySequenceMemory>()?;
    m.add_class::<sequence::PyVariableTiming>()?;
    m.add_class::<sequence::PyCdam>()?;
    m.add_class::<density::PyDrDam>()?;
    m.add_class::<density::PyMrDam>()?;
    m.add_class::<density::PyGaussianKde>()?;
    m.add_class::<kernelized::PyKernelizedHopfield>()?;
    m.add_class::<recall::RecallResult>()?;
    m.add_function(wrap_pyfunction!(functions::random_bipolar, m)?)?;
    m.add_function(wrap_pyfunction!(functions::random_gaussian, m)?)?;
    m.add_function(wrap_pyfunction!(functions::random_sphere, m)?)?;
    m.add_function(wrap_pyfunction!(functions::random_binary01, m)?)?;
    m.add_function(wrap_pyfunction!(functions::flip_bits, m)?)?;
    m.add_function(wrap_pyfunction!(functions::mask_random, m)?)?;
    m.add_function(wrap_pyfunction!(functions::mask_block, m)?)?;
    m.add_function(wrap_pyfunction!(functions::add_gaussian_noise, m)?)?;
    m.add_function(wrap_pyfunction!(functions::overlaps, m)?)?;
    m.add_function(wrap_pyfunction!(functions::bit_errors, m)?)?;
    m.add_function(wrap_pyfunction!(functions::nearest_pattern, m)?)?;
    m.add_function(wrap_pyfunction!(functions::load_digits, m)?)?;
    m.add_function(wrap_pyfunction!(functions::capacity, m)?)?;
    m.add_function(wrap_pyfunction!(functions::set_threads, m)?)?;
    m.add_function(wrap_pyfunction!(functions::threads, m)?)?;
    Ok(())
}
