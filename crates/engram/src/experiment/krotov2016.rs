//! Krotov & Hopfield 2016 ("Dense Associative Memory for Pattern Recognition", NeurIPS),
//! Appendix B: N = 100 neurons store K = 2000 random patterns; random initial states are run to
//! convergence with the energy-difference update (their eq. 4), and the overlap of each final
//! state with its closest memory is recorded. Their capacity formula (eq. 6) gives about 11, 360
//! and 7240 patterns for n = 2, 3 and 4, so n = 2 and 3 cannot reconstruct the memories, n = 4
//! mostly can, and for n >= 5 every one of their 10 000 starts converged to a memory.

use serde::Serialize;

use crate::dynamics::{recall, RecallOptions, Schedule};
use crate::error::{Error, Result};
use crate::model::{DamSeparation, DenseAssociativeMemory};
use crate::pattern::random_bipolar;

/// One row of the Appendix B experiment.
#[derive(Clone, Debug, Serialize)]
pub struct AppendixBRow {
    /// `F(x)` as text (`x^n` or `relu(x)^n`).
    pub separation: String,
    /// Neurons `N`.
    pub neurons: usize,
    /// Stored patterns `K`.
    pub patterns: usize,
    /// Random starts run.
    pub starts: usize,
    /// Fraction of starts that ended exactly on a memory (up to sign for even plain powers,
    /// whose energy is symmetric under `σ → -σ`).
    pub exact_fraction: f64,
    /// Mean over starts of the best overlap `max_μ ξ_μ·σ / N` of the final state.
    pub mean_best_overlap: f64,
    /// Fraction of starts that converged within the step limit.
    pub converged_fraction: f64,
}

/// Runs the experiment for one interaction function: `starts` random initial states,
/// asynchronous dynamics to a fixed point (at most `max_steps` sweeps).
pub fn appendix_b(
    neurons: usize,
    patterns: usize,
    separation: DamSeparation,
    starts: usize,
    max_steps: usize,
    seed: u64,
) -> Result<AppendixBRow> {
    if starts == 0 {
        return Err(Error::param("starts", "must be at least 1"));
    }
    let memories = random_bipolar(patterns, neurons, seed);
    let net = DenseAssociativeMemory::new(memories, separation)?;
    let cues = random_bipolar(starts, neurons, seed ^ 0xA99E_D1C5);
    let opts = RecallOptions {
        max_steps,
        schedule: Some(Schedule::Asynchronous),
        seed,
        ..RecallOptions::default()
    };
    let out = recall(&net, cues.view(), None, &opts)?;
    let overlaps = net.overlaps(out.states.view())?;
    let symmetric = matches!(separation, DamSeparation::Power { degree } if degree % 2 == 0);
    let n = neurons as i32;
    let best: Vec<i32> = overlaps
        .rows()
        .into_iter()
        .map(|row| {
            row.iter()
                .map(|&m| if symmetric { m.abs() } else { m })
                .max()
                .expect("at least one pattern")
        })
        .collect();
    let exact = best.iter().filter(|&&m| m == n).count();
    Ok(AppendixBRow {
        separation: separation.describe(),
        neurons,
        patterns,
        starts,
        exact_fraction: exact as f64 / starts as f64,
        mean_best_overlap: best.iter().map(|&m| m as f64 / n as f64).sum::<f64>() / starts as f64,
        converged_fraction: out.converged.iter().filter(|&&c| c).count() as f64 / starts as f64,
    })
}
