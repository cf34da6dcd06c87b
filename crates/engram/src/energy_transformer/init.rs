//! Seeded parameter initialisation and small tensor helpers shared by the modules.

use candle_core::{DType, Device, Tensor, Var};

use crate::error::{Error, Result};
use crate::numeric::Rng;

/// A variable of shape `shape` with independent normal entries of standard deviation `std`,
/// drawn from `rng` (so a seed fixes every parameter).
pub(crate) fn normal_var(rng: &mut Rng, shape: &[usize], std: f64, dtype: DType) -> Result<Var> {
    let n: usize = shape.iter().product();
    let values: Vec<f64> = (0..n).map(|_| std * rng.normal()).collect();
    let tensor = Tensor::from_vec(values, shape, &Device::Cpu)?.to_dtype(dtype)?;
    Ok(Var::from_tensor(&tensor)?)
}

/// A variable of shape `shape` filled with `value`.
pub(crate) fn constant_var(shape: &[usize], value: f64, dtype: DType) -> Result<Var> {
    let tensor = (Tensor::ones(shape, DType::F64, &Device::Cpu)? * value)?.to_dtype(dtype)?;
    Ok(Var::from_tensor(&tensor)?)
}

/// Checks that `dtype` is one the models compute in (f32 or f64).
pub(crate) fn check_dtype(dtype: DType) -> Result<()> {
    match dtype {
        DType::F32 | DType::F64 => Ok(()),
        other => Err(Error::param(
            "dtype",
            format!("must be f32 or f64, got {other:?}"),
        )),
    }
}

/// The dimensions of a `(batch, tokens, dim)` tensor, checked against the model's `dim` and
/// `dtype`; `what` names the argument in errors.
pub(crate) fn token_dims(
    what: &str,
    x: &Tensor,
    dim: usize,
    dtype: DType,
) -> Result<(usize, usize, usize)> {
    let dims = x.dims();
    if dims.len() != 3 || dims[2] != dim {
        return Err(Error::shape(
            what,
            format!("(batch, tokens, {dim})"),
            format!("{dims:?}"),
        ));
    }
    if x.dtype() != dtype {
        return Err(Error::param(
            what,
            format!("dtype {:?} differs from the model's {dtype:?}", x.dtype()),
        ));
    }
    if dims[0] == 0 || dims[1] == 0 {
        return Err(Error::Empty(format!("{what} has shape {dims:?}")));
    }
    Ok((dims[0], dims[1], dims[2]))
}

/// Fails with [`Error::NonFinite`] if any entry of `x` is NaN or infinite.
pub(crate) fn check_finite(what: &str, x: &Tensor) -> Result<()> {
    let values = x.flatten_all()?.to_dtype(DType::F64)?.to_vec1::<f64>()?;
    match values.iter().position(|v| !v.is_finite()) {
        Some(index) => Err(Error::NonFinite {
            what: what.to_string(),
            index,
        }),
        None => Ok(()),
    }
}

/// Per-sample sums: `(batch, ...)` to `(batch,)`.
pub(crate) fn sum_per_sample(x: &Tensor) -> Result<Tensor> {
    let batch = x.dim(0)?;
    Ok(x.reshape((batch, ()))?.sum(1)?)
}
