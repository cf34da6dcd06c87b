//! The command's error: one line of text, printed as `error: ...` with exit status 2.

use std::fmt;

/// An error of the command, already worded for the user (one line, no `error:` prefix).
#[derive(Debug)]
pub struct CliError(pub String);

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Whatever produced the text, keep it to one line.
        let mut first = true;
        for line in self.0.lines().map(str::trim).filter(|l| !l.is_empty()) {
            if !first {
                f.write_str(" ")?;
            }
            f.write_str(line)?;
            first = false;
        }
        Ok(())
    }
}

impl From<engram::Error> for CliError {
    fn from(e: engram::Error) -> Self {
        CliError(e.to_string())
    }
}

impl From<serde_json::Error> for CliError {
    fn from(e: serde_json::Error) -> Self {
        CliError(format!("cannot write JSON: {e}"))
    }
}

/// `Result` with [`CliError`].
pub type CliResult<T> = Result<T, CliError>;

/// An error with the given message.
pub fn fail<T>(message: impl Into<String>) -> CliResult<T> {
    Err(CliError(message.into()))
}

/// Adds what the command was doing in front of an error.
pub trait Context<T> {
    /// Prefixes the error message with `what: `.
    fn context(self, what: impl fmt::Display) -> CliResult<T>;
}

impl<T, E: Into<CliError>> Context<T> for Result<T, E> {
    fn context(self, what: impl fmt::Display) -> CliResult<T> {
        self.map_err(|e| CliError(format!("{what}: {}", e.into().0)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_folded_onto_one_line() {
        let e = CliError("first\n\n  second  \nthird".into());
        assert_eq!(e.to_string(), "first second third");
    }

    #[test]
    fn context_is_prepended() {
        let r: Result<(), engram::Error> = Err(engram::Error::Empty("memory has no rows".into()));
        assert_eq!(
            r.context("--memory m.npy").unwrap_err().to_string(),
            "--memory m.npy: empty input: memory has no rows"
        );
    }
}
