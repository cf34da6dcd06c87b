//! The one error type of engram. Every fallible public call returns [`Result`].

use thiserror::Error;

/// Everything that can go wrong in engram, with enough context to name the problem in one line.
#[derive(Debug, Error)]
pub enum Error {
    /// Two arrays (or an array and a model) disagree on a dimension.
    #[error("shape mismatch: {what}: expected {expected}, got {got}")]
    Shape {
        /// Which argument was wrong.
        what: String,
        /// The shape that was expected, in words or numbers.
        expected: String,
        /// The shape that was received.
        got: String,
    },
    /// A memory, a pattern set or a query batch with nothing in it.
    #[error("empty input: {0}")]
    Empty(String),
    /// A NaN or an infinity where finite numbers are required.
    #[error("non-finite value in {what} at index {index}")]
    NonFinite {
        /// Which argument held the value.
        what: String,
        /// Flat (row-major) index of the first offending entry.
        index: usize,
    },
    /// A parameter outside its valid range (beta <= 0, degree 0, a fraction above 1, ...).
    #[error("invalid parameter {name}: {reason}")]
    Parameter {
        /// The parameter's name as the user wrote it.
        name: String,
        /// Why it was refused.
        reason: String,
    },
    /// Values that are not in the state space a model works on (for example not +-1 for a bipolar model).
    #[error("invalid state: {0}")]
    State(String),
    /// A computation that cannot be done on this input (a singular matrix, an unsupported schedule).
    #[error("unsupported: {0}")]
    Unsupported(String),
    /// A file that could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file's path.
        path: String,
        /// The underlying error.
        source: std::io::Error,
    },
    /// A file whose content is not what its format requires.
    #[error("{path}: corrupt or unsupported file: {reason}")]
    Format {
        /// The file's path (or a name for in-memory data).
        path: String,
        /// What was wrong.
        reason: String,
    },
    /// The tensor backend used for gradients (candle, behind the `autodiff` feature) failed.
    #[error("tensor backend: {0}")]
    Backend(String),
}

#[cfg(feature = "autodiff")]
impl From<candle_core::Error> for Error {
    fn from(e: candle_core::Error) -> Self {
        Error::Backend(e.to_string())
    }
}

/// `Result` with engram's [`Error`](enum@Error).
pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    /// Builds a [`Error::Shape`] from displayable parts.
    pub fn shape(
        what: impl Into<String>,
        expected: impl std::fmt::Display,
        got: impl std::fmt::Display,
    ) -> Self {
        Error::Shape {
            what: what.into(),
            expected: expected.to_string(),
            got: got.to_string(),
        }
    }

    /// Builds a [`Error::Parameter`].
    pub fn param(name: impl Into<String>, reason: impl Into<String>) -> Self {
        Error::Parameter {
            name: name.into(),
            reason: reason.into(),
        }
    }
}

/// Checks that every value is finite; names `what` and the first bad index otherwise.
pub fn ensure_finite<'a>(what: &str, values: impl IntoIterator<Item = &'a f32>) -> Result<()> {
    match values.into_iter().position(|v| !v.is_finite()) {
        Some(index) => Err(Error::NonFinite {
            what: what.to_string(),
            index,
        }),
        None => Ok(()),
    }
}

/// Checks that a parameter is finite and strictly positive.
pub fn ensure_positive(name: &str, value: f64) -> Result<()> {
    if value.is_finite() && value > 0.0 {
        Ok(())
    } else {
        Err(Error::param(
            name,
            format!("must be finite and > 0, got {value}"),
        ))
    }
}
