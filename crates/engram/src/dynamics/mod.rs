//! The shared recall loop: every model supplies an energy, a synchronous step and (for bipolar
//! models) an asynchronous single-neuron sweep; this module runs them to convergence for a batch
//! of queries, with clamped (observed) coordinates, per-query stopping and an energy trace.

use ndarray::{Array1, Array2, ArrayView1, ArrayView2, Axis};
use rayon::prelude::*;

use crate::error::{ensure_finite, Error, Result};
use crate::numeric::Rng;

/// How the neurons of a state are updated within one step.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Schedule {
    /// Every coordinate is recomputed from the same previous state (one matrix product per step).
    Synchronous,
    /// Coordinates are updated one at a time in a fresh seeded random order each sweep, each
    /// update seeing the previous ones. One step is one sweep over all free coordinates.
    Asynchronous,
}

impl std::str::FromStr for Schedule {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "sync" | "synchronous" => Ok(Schedule::Synchronous),
            "async" | "asynchronous" => Ok(Schedule::Asynchronous),
            _ => Err(Error::param(
                "schedule",
                format!("unknown schedule {s:?} (expected sync or async)"),
            )),
        }
    }
}

/// Options of [`recall`].
#[derive(Clone, Debug)]
pub struct RecallOptions {
    /// Most steps (synchronous steps or asynchronous sweeps) per query.
    pub max_steps: usize,
    /// A query has converged when no coordinate moved by more than `tol` in one step.
    pub tol: f32,
    /// Update schedule; `None` uses the model's default ([`Dynamics::default_schedule`]).
    pub schedule: Option<Schedule>,
    /// Seed of the asynchronous update orders (query `i` uses stream `i` of this seed).
    pub seed: u64,
    /// Keep every intermediate state in [`Recall::trajectories`].
    pub record_states: bool,
}

impl Default for RecallOptions {
    fn default() -> Self {
        RecallOptions {
            max_steps: 100,
            tol: 1e-6,
            schedule: None,
            seed: 0,
            record_states: false,
        }
    }
}

/// What [`recall`] returns for a batch of `B` queries of dimension `d`.
#[derive(Clone, Debug)]
pub struct Recall {
    /// Final states, shape `(B, d)`.
    pub states: Array2<f32>,
    /// Per query: the energy of the initial state, then after every step taken.
    pub energies: Vec<Vec<f64>>,
    /// Per query: the number of steps taken (the last one is the step that changed nothing, when
    /// the query converged).
    pub steps: Vec<usize>,
    /// Per query: whether it converged within `max_steps`.
    pub converged: Vec<bool>,
    /// Per query, when [`RecallOptions::record_states`] is set: the states visited, shape
    /// `(steps + 1, d)`, starting with the query itself.
    pub trajectories: Option<Vec<Array2<f32>>>,
}

impl Recall {
    /// The energy of each final state.
    pub fn final_energies(&self) -> Vec<f64> {
        self.energies
            .iter()
            .map(|e| *e.last().expect("energy trace holds the initial state"))
            .collect()
    }
}

/// A model whose states descend an energy: what [`recall`] needs from it.
///
/// States are rows of an `(B, dim)` array. Implementations validate their own state space
/// (for example +-1 entries) in [`Dynamics::validate_states`].
pub trait Dynamics: Sync {
    /// Dimension of a state.
    fn dim(&self) -> usize;

    /// The energy of each row of `states`.
    fn energies(&self, states: ArrayView2<f32>) -> Result<Array1<f64>>;

    /// One synchronous step of every row of `states`: the new states.
    fn step(&self, states: ArrayView2<f32>) -> Result<Array2<f32>>;

    /// One synchronous step together with the energies of the states it started from.
    ///
    /// The recall loop calls this, so a model whose step already computes what its energy needs
    /// (the similarity scores, say) can return both from one pass. The default runs
    /// [`Dynamics::energies`] and [`Dynamics::step`] one after the other.
    fn step_with_energies(&self, states: ArrayView2<f32>) -> Result<(Array2<f32>, Array1<f64>)> {
        let energies = self.energies(states)?;
        Ok((self.step(states)?, energies))
    }

    /// One asynchronous sweep of a single state, updating the coordinates in `order` one at a
    /// time, in place. Models without an asynchronous rule return [`Error::Unsupported`].
    fn sweep(&self, state: &mut [f32], order: &[usize]) -> Result<()> {
        let _ = (state, order);
        Err(Error::Unsupported(
            "this model has no asynchronous update; use the synchronous schedule".into(),
        ))
    }

    /// The schedule used when the caller does not choose one.
    fn default_schedule(&self) -> Schedule {
        Schedule::Synchronous
    }

    /// Checks that `states` are valid states of this model (shape, finiteness, state space).
    fn validate_states(&self, what: &str, states: ArrayView2<f32>) -> Result<()> {
        check_batch(what, states, self.dim())
    }
}

/// Checks that `states` is a non-empty `(B, dim)` batch of finite values.
pub fn check_batch(what: &str, states: ArrayView2<f32>, dim: usize) -> Result<()> {
    if states.nrows() == 0 {
        return Err(Error::Empty(format!("{what} has no rows")));
    }
    if states.ncols() != dim {
        return Err(Error::shape(format!("{what} columns"), dim, states.ncols()));
    }
    ensure_finite(what, states.iter())
}

/// Checks that a clamping mask, when given, has the shape of the queries.
fn check_mask(observed: Option<ArrayView2<bool>>, queries: ArrayView2<f32>) -> Result<()> {
    match observed {
        Some(mask) if mask.dim() != queries.dim() => Err(Error::shape(
            "observed mask",
            format!("{:?}", queries.dim()),
            format!("{:?}", mask.dim()),
        )),
        _ => Ok(()),
    }
}

fn max_abs_change(a: ArrayView1<f32>, b: ArrayView1<f32>) -> f32 {
    a.iter()
        .zip(b.iter())
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f32::max)
}

/// Runs `model`'s dynamics from each row of `queries` until it stops moving or `max_steps`.
///
/// `observed`, when given, has the shape of `queries`; its `true` entries are clamped: they keep
/// the query's value throughout recall, so pattern completion from a partial cue is one call.
///
/// ```
/// use engram::dynamics::{recall, RecallOptions};
/// use engram::learn::LearningRule;
/// use engram::model::Hopfield;
/// use engram::pattern::{corrupt::flip_bits, random_bipolar};
///
/// let patterns = random_bipolar(5, 200, 7);
/// let net = Hopfield::new(patterns.view(), LearningRule::Hebbian).unwrap();
/// let cues = flip_bits(patterns.view(), 0.1, 1).unwrap();
/// let out = recall(&net, cues.view(), None, &RecallOptions::default()).unwrap();
/// assert_eq!(out.states, patterns);
/// ```
pub fn recall<D: Dynamics + ?Sized>(
    model: &D,
    queries: ArrayView2<f32>,
    observed: Option<ArrayView2<bool>>,
    opts: &RecallOptions,
) -> Result<Recall> {
    model.validate_states("queries", queries)?;
    check_mask(observed, queries)?;
    if !(opts.tol >= 0.0 && opts.tol.is_finite()) {
        return Err(Error::param("tol", "must be finite and >= 0"));
    }
    match opts.schedule.unwrap_or_else(|| model.default_schedule()) {
        Schedule::Synchronous => recall_sync(model, queries, observed, opts),
        Schedule::Asynchronous => recall_async(model, queries, observed, opts),
    }
}

fn recall_sync<D: Dynamics + ?Sized>(
    model: &D,
    queries: ArrayView2<f32>,
    observed: Option<ArrayView2<bool>>,
    opts: &RecallOptions,
) -> Result<Recall> {
    let b = queries.nrows();
    let mut states = queries.to_owned();
    let mut energies: Vec<Vec<f64>> = vec![Vec::new(); b];
    let mut trajectories: Option<Vec<Vec<Array1<f32>>>> = opts.record_states.then(|| {
        queries
            .rows()
            .into_iter()
            .map(|r| vec![r.to_owned()])
            .collect()
    });
    let mut steps = vec![0usize; b];
    let mut converged = vec![false; b];
    let mut active: Vec<usize> = (0..b).collect();
    for _ in 0..opts.max_steps {
        if active.is_empty() {
            break;
        }
        let current = states.select(Axis(0), &active);
        // One pass gives the next states and the energies of the current ones; the energy of
        // each final state is computed once, after the loop.
        let (mut next, current_energies) = model.step_with_energies(current.view())?;
        if let Some(mask) = observed {
            for (r, &q) in active.iter().enumerate() {
                for ((v, &keep), &cue) in next
                    .row_mut(r)
                    .iter_mut()
                    .zip(mask.row(q))
                    .zip(queries.row(q))
                {
                    if keep {
                        *v = cue;
                    }
                }
            }
        }
        ensure_finite("state after a step", next.iter())?;
        let mut still_moving = Vec::with_capacity(active.len());
        for (r, &q) in active.iter().enumerate() {
            let change = max_abs_change(next.row(r), states.row(q));
            states.row_mut(q).assign(&next.row(r));
            energies[q].push(current_energies[r]);
            steps[q] += 1;
            if let Some(t) = trajectories.as_mut() {
                t[q].push(next.row(r).to_owned());
            }
            if change <= opts.tol {
                converged[q] = true;
            } else {
                still_moving.push(q);
            }
        }
        active = still_moving;
    }
    for (trace, e) in energies.iter_mut().zip(model.energies(states.view())?) {
        trace.push(e);
    }
    Ok(Recall {
        states,
        energies,
        steps,
        converged,
        trajectories: trajectories.map(stack_trajectories),
    })
}

struct QueryRun {
    state: Array1<f32>,
    energies: Vec<f64>,
    steps: usize,
    converged: bool,
    trajectory: Vec<Array1<f32>>,
}

fn recall_async<D: Dynamics + ?Sized>(
    model: &D,
    queries: ArrayView2<f32>,
    observed: Option<ArrayView2<bool>>,
    opts: &RecallOptions,
) -> Result<Recall> {
    let runs: Vec<QueryRun> = (0..queries.nrows())
        .into_par_iter()
        .map(|q| {
            let mut rng = Rng::stream(opts.seed, q as u64);
            let mut order: Vec<usize> = match observed {
                Some(mask) => (0..model.dim()).filter(|&j| !mask[[q, j]]).collect(),
                None => (0..model.dim()).collect(),
            };
            let mut state = queries.row(q).to_owned();
            let energy = |s: &Array1<f32>| -> Result<f64> {
                Ok(model.energies(s.view().insert_axis(Axis(0)))?[0])
            };
            let mut run = QueryRun {
                energies: vec![energy(&state)?],
                trajectory: if opts.record_states {
                    vec![state.clone()]
                } else {
                    Vec::new()
                },
                state: Array1::zeros(0),
                steps: 0,
                converged: false,
            };
            for _ in 0..opts.max_steps {
                rng.shuffle(&mut order);
                let before = state.clone();
                let slice = state
                    .as_slice_mut()
                    .expect("an owned 1-D array is contiguous");
                model.sweep(slice, &order)?;
                ensure_finite("state after a sweep", state.iter())?;
                run.energies.push(energy(&state)?);
                run.steps += 1;
                if opts.record_states {
                    run.trajectory.push(state.clone());
                }
                if max_abs_change(state.view(), before.view()) <= opts.tol {
                    run.converged = true;
                    break;
                }
            }
            run.state = state;
            Ok(run)
        })
        .collect::<Result<_>>()?;
    let dim = model.dim();
    let mut states = Array2::zeros((runs.len(), dim));
    let mut out = Recall {
        states: Array2::zeros((0, dim)),
        energies: Vec::with_capacity(runs.len()),
        steps: Vec::with_capacity(runs.len()),
        converged: Vec::with_capacity(runs.len()),
        trajectories: None,
    };
    let mut trajectories = Vec::with_capacity(runs.len());
    for (q, run) in runs.into_iter().enumerate() {
        states.row_mut(q).assign(&run.state);
        out.energies.push(run.energies);
        out.steps.push(run.steps);
        out.converged.push(run.converged);
        trajectories.push(run.trajectory);
    }
    out.states = states;
    if opts.record_states {
        out.trajectories = Some(stack_trajectories(trajectories));
    }
    Ok(out)
}

fn stack_trajectories(per_query: Vec<Vec<Array1<f32>>>) -> Vec<Array2<f32>> {
    per_query
        .into_iter()
        .map(|rows| {
            let views: Vec<ArrayView1<f32>> = rows.iter().map(|r| r.view()).collect();
            ndarray::stack(Axis(0), &views).expect("all states of a query share one dimension")
        })
        .collect()
}

/// One synchronous step of `model` from each row of `queries`, with clamping as in [`recall`]
/// and the same input checks, without computing energies.
pub fn step_once<D: Dynamics + ?Sized>(
    model: &D,
    queries: ArrayView2<f32>,
    observed: Option<ArrayView2<bool>>,
) -> Result<Array2<f32>> {
    model.validate_states("queries", queries)?;
    check_mask(observed, queries)?;
    let mut next = model.step(queries)?;
    if let Some(mask) = observed {
        ndarray::Zip::from(&mut next)
            .and(mask)
            .and(queries)
            .for_each(|v, &keep, &cue| {
                if keep {
                    *v = cue;
                }
            });
    }
    ensure_finite("state after a step", next.iter())?;
    Ok(next)
}
