//! `engram recall --memory ...`: recall from the user's own .npy files.

use std::path::{Path, PathBuf};
use std::time::Instant;

use engram::dynamics::{recall, RecallOptions};
use engram::model::{Separation, Similarity, Universal};
use engram::pattern::npy::{read_npy, read_npy_bool_mask, write_npy, write_npy_f64};
use ndarray::{Array2, ArrayView2};

use crate::cli::RecallArgs;
use crate::error::{fail, CliResult, Context};
use crate::spec::{resolve, ModelSpec};

/// Reads the 2-D .npy file given to `flag` (the reader refuses NaN and infinities).
fn load(flag: &str, path: &Path) -> CliResult<Array2<f32>> {
    read_npy(path).context(flag)
}

/// Reads `--mask`: a boolean .npy file, or a float one where nonzero means observed.
fn load_mask(path: &Path) -> CliResult<Array2<bool>> {
    match read_npy_bool_mask(path) {
        Ok(mask) => Ok(mask),
        // Not booleans: read it as numbers (which reports what is wrong, if anything).
        Err(engram::Error::Format { .. }) => Ok(load("--mask", path)?.mapv(|v| v != 0.0)),
        Err(e) => Err(e).context("--mask"),
    }
}

/// `flag FILE`, for messages.
fn named(flag: &str, path: &Path) -> String {
    format!("{flag} {}", path.display())
}

/// Requires an option that files mode needs.
fn required<'a>(value: &'a Option<PathBuf>, flag: &str) -> CliResult<&'a Path> {
    match value {
        Some(path) => Ok(path),
        None => fail(format!("{flag} is required with --memory")),
    }
}

/// Runs files mode: load, recall (or retrieve, for hetero-association), write, summarize.
pub fn run(args: &RecallArgs, memory_path: &Path) -> CliResult<()> {
    let Some(kind) = args.model else {
        return fail("--model is required with --memory (hopfield, dam, mhn or universal)");
    };
    for (set, flag) in [
        (args.png.is_some(), "--png"),
        (args.flip.is_some(), "--flip"),
    ] {
        if set {
            return fail(format!(
                "{flag} belongs to the digits demo; it does not apply with --memory"
            ));
        }
    }
    let queries_path = required(&args.queries, "--queries")?;
    let out_path = required(&args.out, "--out")?;
    let spec = resolve(kind, args)?;

    let memory = load("--memory", memory_path)?;
    let queries = load("--queries", queries_path)?;
    if memory.nrows() == 0 || memory.ncols() == 0 {
        return fail(format!(
            "empty input: {} holds no patterns (shape {:?})",
            named("--memory", memory_path),
            memory.dim()
        ));
    }
    if queries.nrows() == 0 {
        return fail(format!(
            "empty input: {} holds no queries (shape {:?})",
            named("--queries", queries_path),
            queries.dim()
        ));
    }
    if queries.ncols() != memory.ncols() {
        return fail(format!(
            "shape mismatch: {} has {} columns but {} has {}",
            named("--queries", queries_path),
            queries.ncols(),
            named("--memory", memory_path),
            memory.ncols()
        ));
    }

    if let Some(values_path) = &args.values {
        let ModelSpec::Universal(similarity, separation) = spec else {
            unreachable!("resolve refuses --values for models other than universal");
        };
        return hetero(
            args,
            (memory, memory_path),
            queries.view(),
            values_path,
            (similarity, separation),
            out_path,
        );
    }

    let observed = match &args.mask {
        Some(mask_path) => {
            let mask = load_mask(mask_path)?;
            if mask.dim() != queries.dim() {
                return fail(format!(
                    "shape mismatch: {} has shape {:?} but {} has {:?}",
                    named("--mask", mask_path),
                    mask.dim(),
                    named("--queries", queries_path),
                    queries.dim()
                ));
            }
            Some(mask)
        }
        None => None,
    };

    let model = spec.build(memory).context(named("--memory", memory_path))?;
    model
        .validate_states(&named("--queries", queries_path), queries.view())
        .map_err(crate::error::CliError::from)?;
    let opts = RecallOptions {
        max_steps: args.steps,
        tol: args.tol,
        schedule: args.schedule,
        seed: args.seed,
        record_states: false,
    };
    let start = Instant::now();
    let result = recall(
        model.as_ref(),
        queries.view(),
        observed.as_ref().map(|m| m.view()),
        &opts,
    )?;
    let elapsed = start.elapsed();

    write_npy(out_path, result.states.view()).context("--out")?;
    if let Some(energies_path) = &args.energies {
        let trace = energy_table(&result.energies, args.steps);
        write_npy_f64(energies_path, trace.view()).context("--energies")?;
    }

    let b = result.steps.len();
    let converged = result.converged.iter().filter(|&&c| c).count();
    let mean_steps = result.steps.iter().sum::<usize>() as f64 / b as f64;
    eprintln!(
        "{} ({}): {b} queries, {converged}/{b} converged, mean {mean_steps:.1} steps, {:.1} ms; \
         wrote {}{}",
        kind.name(),
        spec.setting(),
        elapsed.as_secs_f64() * 1e3,
        out_path.display(),
        args.energies
            .as_ref()
            .map(|p| format!(" and {}", p.display()))
            .unwrap_or_default(),
    );
    Ok(())
}

/// The energy traces as a `(B, steps + 1)` table, each row padded with its last energy.
pub fn energy_table(traces: &[Vec<f64>], steps: usize) -> Array2<f64> {
    Array2::from_shape_fn((traces.len(), steps + 1), |(q, t)| {
        let trace = &traces[q];
        trace[t.min(trace.len() - 1)]
    })
}

/// Hetero-association: one retrieval step from keys (the memory) to `--values`.
fn hetero(
    args: &RecallArgs,
    (keys, keys_path): (Array2<f32>, &Path),
    queries: ArrayView2<f32>,
    values_path: &Path,
    (similarity, separation): (Similarity, Separation),
    out_path: &Path,
) -> CliResult<()> {
    for (set, flag) in [
        (args.mask.is_some(), "--mask"),
        (args.energies.is_some(), "--energies"),
        (args.schedule.is_some(), "--schedule"),
    ] {
        if set {
            return fail(format!(
                "{flag} does not apply with --values (hetero-association is one retrieval step)"
            ));
        }
    }
    let values = load("--values", values_path)?;
    if values.nrows() != keys.nrows() {
        return fail(format!(
            "shape mismatch: {} has {} rows but {} has {} (one value per stored pattern)",
            named("--values", values_path),
            values.nrows(),
            named("--memory", keys_path),
            keys.nrows()
        ));
    }
    let dv = values.ncols();
    let model = Universal::hetero(keys, values, similarity, separation)
        .context(named("--memory", keys_path))?;
    let start = Instant::now();
    let out = model.retrieve(queries)?;
    let elapsed = start.elapsed();
    write_npy(out_path, out.view()).context("--out")?;
    eprintln!(
        "universal ({} x {}): {} queries mapped to values of dimension {dv} in one step, {:.1} ms; \
         wrote {}",
        similarity.name(),
        separation.describe(),
        queries.nrows(),
        elapsed.as_secs_f64() * 1e3,
        out_path.display()
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn energy_traces_are_padded_with_their_last_value() {
        let table = energy_table(&[vec![3.0, 2.0], vec![5.0, 4.0, 1.0]], 3);
        assert_eq!(table.dim(), (2, 4));
        assert_eq!(table.row(0).to_vec(), vec![3.0, 2.0, 2.0, 2.0]);
        assert_eq!(table.row(1).to_vec(), vec![5.0, 4.0, 1.0, 1.0]);
    }
}
