//! Crossing the border: numpy arrays in, ndarray views for engram, numpy arrays out, and engram's
//! errors as Python exceptions. No model logic lives here.

use engram::Error;
use ndarray::{Array1, Array2, ArrayView2, Axis, Ix1, Ix2};
use numpy::{
    Element, IntoPyArray, PyArrayDyn, PyArrayMethods, PyReadonlyArrayDyn, PyUntypedArray,
    PyUntypedArrayMethods,
};
use pyo3::exceptions::{PyOSError, PyTypeError, PyValueError};
use pyo3::prelude::*;

/// Turns an engram error into the Python exception that fits it, carrying the Rust message.
///
/// Wrong shapes, empty inputs, non-finite values, out-of-range parameters, states outside the
/// model's state space and unsupported combinations are the caller's arguments being wrong:
/// `ValueError`. Failing file access is `OSError`.
pub fn to_py_err(error: Error) -> PyErr {
    match error {
        Error::Io { .. } => PyOSError::new_err(error.to_string()),
        _ => PyValueError::new_err(error.to_string()),
    }
}

/// `.raise()` on engram results: `?`-friendly conversion to `PyResult`.
pub trait Raise<T> {
    /// The value, or the error as a Python exception.
    fn raise(self) -> PyResult<T>;
}

impl<T> Raise<T> for engram::Result<T> {
    fn raise(self) -> PyResult<T> {
        self.map_err(to_py_err)
    }
}

/// Which array ranks an argument accepts.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Rank {
    /// Only a 2-D array `(rows, dim)`.
    Matrix,
    /// A 2-D array, or a 1-D array read as a single row.
    RowOrMatrix,
}

enum Data<'py> {
    /// A float32 array, read in place whatever its strides (C order, F order, slices).
    Borrowed(PyReadonlyArrayDyn<'py, f32>),
    /// A float64 array, converted to float32 in standard layout.
    Converted(Array2<f32>),
}

/// A 2-D float32 view of a numpy argument; `was_vector` remembers a 1-D input so that the result
/// can be handed back 1-D as well.
pub struct Matrix<'py> {
    data: Data<'py>,
    pub was_vector: bool,
}

impl Matrix<'_> {
    /// The array as a 2-D view (a 1-D input is one row).
    pub fn view(&self) -> ArrayView2<'_, f32> {
        match &self.data {
            Data::Borrowed(array) => {
                let view = array.as_array();
                if self.was_vector {
                    view.into_dimensionality::<Ix1>()
                        .expect("rank checked on extraction")
                        .insert_axis(Axis(0))
                } else {
                    view.into_dimensionality::<Ix2>()
                        .expect("rank checked on extraction")
                }
            }
            Data::Converted(array) => array.view(),
        }
    }

    /// The values as an owned array in standard (C) layout, for engram constructors that keep
    /// their patterns: one copy of a float32 input, none more for a converted float64 one.
    pub fn into_owned_c(self) -> Array2<f32> {
        match self.data {
            Data::Converted(array) => array,
            Data::Borrowed(_) => self.view().as_standard_layout().into_owned(),
        }
    }

    /// Gives `result` (one row per input row) back with the input's rank: a 1-D input gets its
    /// single row back as a 1-D array.
    pub fn shape_like<'py, T: Element>(
        &self,
        py: Python<'py>,
        result: Array2<T>,
    ) -> Bound<'py, PyAny> {
        if self.was_vector && result.nrows() == 1 {
            result
                .index_axis_move(Axis(0), 0)
                .into_pyarray(py)
                .into_any()
        } else {
            result.into_pyarray(py).into_any()
        }
    }

    /// Like [`Matrix::shape_like`] for per-row scalars: a 1-D input gets a Python float.
    pub fn scalars_like<'py>(
        &self,
        py: Python<'py>,
        values: Array1<f64>,
    ) -> PyResult<Bound<'py, PyAny>> {
        if self.was_vector && values.len() == 1 {
            Ok(values[0].into_pyobject(py)?.into_any())
        } else {
            Ok(values.into_pyarray(py).into_any())
        }
    }
}

fn type_name(obj: &Bound<'_, PyAny>) -> String {
    obj.get_type()
        .name()
        .map(|n| n.to_string())
        .unwrap_or_else(|_| "object".into())
}

fn check_rank(what: &str, ndim: usize, shape: &[usize], rank: Rank) -> PyResult<bool> {
    match (ndim, rank) {
        (2, _) => Ok(false),
        (1, Rank::RowOrMatrix) => Ok(true),
        (1, Rank::Matrix) => Err(PyValueError::new_err(format!(
            "{what} must be a 2-D array (rows, dim), got a 1-D array of shape {shape:?}; \
             use {what}[None, :] for a single row"
        ))),
        _ => Err(PyValueError::new_err(format!(
            "{what} must be a {} array, got {ndim}-D with shape {shape:?}",
            if rank == Rank::Matrix {
                "2-D"
            } else {
                "1-D or 2-D"
            }
        ))),
    }
}

/// Reads a float32 or float64 numpy array as a 2-D float32 matrix.
///
/// float32 arrays are viewed in place (no copy, any strides); float64 arrays are converted to
/// float32 (one copy). Other dtypes and non-arrays raise `TypeError`; wrong ranks, and float64
/// values too large for float32, raise `ValueError`. Non-finite values are left for engram to
/// report, with their index.
pub fn matrix<'py>(obj: &Bound<'py, PyAny>, what: &str, rank: Rank) -> PyResult<Matrix<'py>> {
    let untyped = obj.cast::<PyUntypedArray>().map_err(|_| {
        PyTypeError::new_err(format!(
            "{what} must be a numpy.ndarray of float32 or float64, got {}",
            type_name(obj)
        ))
    })?;
    let was_vector = check_rank(what, untyped.ndim(), untyped.shape(), rank)?;
    if let Ok(array) = obj.cast::<PyArrayDyn<f32>>() {
        let readonly = array
            .try_readonly()
            .map_err(|e| PyValueError::new_err(format!("{what}: {e}")))?;
        return Ok(Matrix {
            data: Data::Borrowed(readonly),
            was_vector,
        });
    }
    if let Ok(array) = obj.cast::<PyArrayDyn<f64>>() {
        let readonly = array
            .try_readonly()
            .map_err(|e| PyValueError::new_err(format!("{what}: {e}")))?;
        let source = readonly.as_array();
        let source = if was_vector {
            source
                .into_dimensionality::<Ix1>()
                .expect("rank checked")
                .insert_axis(Axis(0))
        } else {
            source.into_dimensionality::<Ix2>().expect("rank checked")
        };
        let mut converted = Array2::<f32>::zeros(source.raw_dim());
        for (index, (dst, &v)) in converted.iter_mut().zip(source.iter()).enumerate() {
            let narrow = v as f32;
            if v.is_finite() && !narrow.is_finite() {
                return Err(PyValueError::new_err(format!(
                    "{what}: value {v:e} at index {index} does not fit in float32"
                )));
            }
            *dst = narrow;
        }
        return Ok(Matrix {
            data: Data::Converted(converted),
            was_vector,
        });
    }
    Err(PyTypeError::new_err(format!(
        "{what} must have dtype float32 or float64 (native byte order), got {}; \
         convert with .astype(numpy.float32)",
        untyped.dtype()
    )))
}

/// An optional boolean mask (`True` = observed, clamped) with the rank of `like`.
pub struct Mask<'py> {
    array: PyReadonlyArrayDyn<'py, bool>,
    was_vector: bool,
}

impl Mask<'_> {
    /// The mask as a 2-D view (a 1-D mask is one row).
    pub fn view(&self) -> ArrayView2<'_, bool> {
        let view = self.array.as_array();
        if self.was_vector {
            view.into_dimensionality::<Ix1>()
                .expect("rank checked on extraction")
                .insert_axis(Axis(0))
        } else {
            view.into_dimensionality::<Ix2>()
                .expect("rank checked on extraction")
        }
    }
}

/// Reads a boolean numpy array; engram checks that its shape matches the queries.
pub fn mask<'py>(obj: &Bound<'py, PyAny>, what: &str) -> PyResult<Mask<'py>> {
    let untyped = obj.cast::<PyUntypedArray>().map_err(|_| {
        PyTypeError::new_err(format!(
            "{what} must be a numpy.ndarray of bool, got {}",
            type_name(obj)
        ))
    })?;
    let was_vector = check_rank(what, untyped.ndim(), untyped.shape(), Rank::RowOrMatrix)?;
    let array = obj.cast::<PyArrayDyn<bool>>().map_err(|_| {
        PyTypeError::new_err(format!(
            "{what} must have dtype bool (True = observed), got {}",
            untyped.dtype()
        ))
    })?;
    let array = array
        .try_readonly()
        .map_err(|e| PyValueError::new_err(format!("{what}: {e}")))?;
    Ok(Mask { array, was_vector })
}

/// Gives a mask back with the rank of the input it belongs to.
pub fn mask_like<'py>(py: Python<'py>, like: &Matrix<'_>, mask: Array2<bool>) -> Bound<'py, PyAny> {
    like.shape_like(py, mask)
}
