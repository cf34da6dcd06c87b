//! Bit-packed bipolar memories: the dense associative memory of [`super::dam`] and the Hebbian
//! Hopfield network of [`super::hopfield`], computed from patterns stored one bit per entry
//! ([`PackedBits`], 32x smaller than `f32`) with no `N x N` weight matrix.
//!
//! Both models give **the same states as the plain engines**
//! ([`DenseAssociativeMemory`](super::DenseAssociativeMemory) and
//! [`Hopfield`](super::Hopfield) with [`LearningRule::Hebbian`](crate::learn::LearningRule)),
//! step for step, for synchronous steps and asynchronous sweeps alike, including where the plain
//! engines' floating-point sums decide a near-tie: every decision below is either certified by a
//! rigorous error bound or recomputed with the plain engine's own arithmetic. The dense
//! memory's energies are the plain engine's to the last bit; the Hopfield network's are exact
//! (the plain engine's carry the rounding of its `f32` weights and fields).
//!
//! # Dense associative memory ([`PackedDenseMemory`])
//! Patterns `ξ_μ ∈ {-1,+1}^N` (`K` of them), state `s`, overlaps `m_μ = ξ_μ·s` by XOR + popcount.
//! Energy `E = -Σ_μ T(m_μ)` with the plain engine's table `T(m) = F(m/N)` (or its log-sum-exp
//! form for `exp`), summed in the same order, so energies agree to the last bit.
//!
//! The update of neuron `i` takes the sign of
//! `D_i = Σ_μ [T(r_μ + ξ_μi) - T(r_μ - ξ_μi)]` with `r_μ = m_μ - ξ_μi s_i` (keeping `s_i` on a
//! tie). Because `{r_μ + ξ_μi, r_μ - ξ_μi} = {m_μ, m_μ - 2 ξ_μi s_i}`, for *any* function `T`:
//!
//! ```text
//! D_i = Σ_μ ξ_μi A(m_μ) + s_i Σ_μ B(m_μ),
//! A(m) = [T(m+2) - T(m-2)] / 2,      B(m) = T(m) - [T(m+2) + T(m-2)] / 2
//! ```
//!
//! (check the four cases `ξ_μi, s_i = ±1`). A synchronous step is therefore one packed overlap
//! computation, one table pass over the `K x B` overlaps, and one *signed projection*
//! `Σ_μ ξ_μi A(m_μ)` ([`PackedBits::signed_projection`]) — instead of `N` table passes per state.
//! For `F(x) = x^3` (unnormalized) this reads `D_i/2 = Σ_μ ξ_μi (3 m_μ² + 4) - 6 s_i Σ_μ m_μ`;
//! for `F(x) = x²` it is `4 (Σ_μ ξ_μi m_μ - K s_i) = 4 N h_i` with `h` the zero-diagonal
//! Hebbian field (the DAM update compares the energies of both signs of `s_i`, which cancels
//! each neuron's self term exactly; there is no constant shift). For `F(x) = x` the field `2 Σ_μ ξ_μi` does not
//! depend on the state at all.
//!
//! Exactness. The plain engine sums `D_i` term by term in `f64`; the closed form computes it in
//! a different order (and the projection in `f32`). Both are within rigorous bounds of the same
//! real number (Higham's `γ_n` bounds over the table values), so whenever the closed form's
//! `|D_i|` exceeds the sum of both bounds the two signs agree; otherwise (ties and near-ties
//! only) the neuron is recomputed with the plain engine's own loop. The exponential interaction
//! (compared in log space by the plain engine) always uses that loop: a synchronous `exp` step
//! costs `O(B N K)`, like the plain engine's.
//!
//! # Hebbian Hopfield network ([`PackedHopfield`])
//! Weights `w_ij = C_ij / N` with `C_ij = Σ_μ ξ_μi ξ_μj`, zero diagonal, never stored: the field
//! is `h_i = (Σ_μ ξ_μi m_μ - K s_i) / N` (an exact integer over `N`), the energy
//! `E = -½ sᵀ W s = -(Σ_μ m_μ² - K N) / (2N)`. The plain engine rounds each weight to `f32`;
//! where that rounding could decide the sign (in practice only an exactly zero integer field,
//! when `K (N - 1)` is even) the packed model rebuilds row `i` of the `f32` weights (`O(K N)`)
//! and sums it exactly as [`Hopfield`](super::Hopfield) does.
//!
//! # Asynchronous sweeps
//! Overlaps are computed once per sweep by popcount and then kept incrementally: flipping
//! neuron `i` to `s_i'` adds `2 s_i' ξ_μi` to every `m_μ`, `O(K)` per flip, never `O(K N)`.
//! A sweep first builds a column-major copy of the bits ([`PackedBits::transpose`], as large as
//! the patterns, dropped at the end of the sweep: the model itself stays 32x smaller), so that
//! neuron `i`'s `K` bits are contiguous. A polynomial memory then decides each visited neuron
//! from the closed form (a vectorized signed sum of the `A(m_μ)`, certified as above, `O(K)`),
//! refreshing `A(m_μ)` and `Σ_μ B(m_μ)` with the overlaps after each flip; the exponential one
//! and uncertified neurons use the plain engine's loop. The Hopfield network sums
//! `Σ_μ ξ_μi m_μ` exactly in integers.

use ndarray::{Array1, Array2, ArrayView2, ArrayViewMut2, Axis};
use rayon::prelude::*;

use super::{sign_or_keep, DamSeparation};
use crate::dynamics::{check_batch, Dynamics, Schedule};
use crate::error::{ensure_positive, Error, Result};
use crate::kernel::bitpack::{add_signed, gamma, signed_sum, BitKernel, LaneWeights, PackedBits};
use crate::kernel::int_projection::{IntWeights, ProjectionKernel, CODE_MAX};

/// The unit roundoff of `f32`, `2^-24`.
const U32: f64 = 1.0 / 16_777_216.0;
/// The unit roundoff of `f64`, `2^-53`.
const U64: f64 = f64::EPSILON / 2.0;
/// Scaled projection weights below this magnitude are flushed to zero (keeps `f32` sums clear
/// of subnormals); the flush is part of the error bound.
const FLUSH: f64 = 7.888_609_052_210_118e-31; // 2^-100

/// The interaction table, built exactly as the plain engine builds it.
#[derive(Clone, Debug)]
enum Table {
    /// `values[m + N] = F(m / N)` for the polynomial energies.
    Poly(Vec<f64>),
    /// `decay[j] = exp(-β j)` for `j = 0..=2N+2`, used in max-shifted log-sum-exp.
    Exp { beta: f64, decay: Vec<f64> },
}

fn validate(separation: DamSeparation) -> Result<()> {
    match separation {
        DamSeparation::Power { degree } | DamSeparation::RectifiedPower { degree } => {
            if degree == 0 {
                Err(Error::param("degree", "must be at least 1"))
            } else {
                Ok(())
            }
        }
        DamSeparation::Exp { beta } => ensure_positive("beta", beta),
    }
}

fn build_table(separation: DamSeparation, n: usize) -> Table {
    match separation {
        DamSeparation::Power { degree } | DamSeparation::RectifiedPower { degree } => {
            let rectified = matches!(separation, DamSeparation::RectifiedPower { .. });
            Table::Poly(
                (0..=2 * n)
                    .map(|j| {
                        let x = (j as f64 - n as f64) / n as f64;
                        let x = if rectified { x.max(0.0) } else { x };
                        x.powi(degree as i32)
                    })
                    .collect(),
            )
        }
        DamSeparation::Exp { beta } => Table::Exp {
            beta,
            decay: (0..=2 * n + 2).map(|j| (-beta * j as f64).exp()).collect(),
        },
    }
}

/// `A(m)`, `B(m)` and `|T(m-2)| + |T(m)| + |T(m+2)|` for every overlap `m ∈ [-N, N]` (index
/// `m + N`), with `T` read at the table's ends where `m ± 2` leaves `[-N, N]` (any value would
/// do there: those terms cancel exactly in `D_i`).
struct ClosedForm {
    a: Vec<f64>,
    b: Vec<f64>,
    s3: Vec<f64>,
}

impl ClosedForm {
    fn new(values: &[f64], n: i32) -> Self {
        let t = |x: i32| values[(x + n).clamp(0, 2 * n) as usize];
        let (mut a, mut b, mut s3) = (Vec::new(), Vec::new(), Vec::new());
        for x in -n..=n {
            let (lo, mid, hi) = (t(x - 2), t(x), t(x + 2));
            a.push((hi - lo) * 0.5);
            b.push(mid - (hi + lo) * 0.5);
            s3.push(lo.abs() + mid.abs() + hi.abs());
        }
        ClosedForm { a, b, s3 }
    }
}

/// One state's projection weights per overlap value, and what its decisions need.
struct StateWeights {
    /// `f32(A(m) * scale)` at index `m + N` (zero below [`FLUSH`]).
    weight: Vec<f32>,
    /// `1 / scale`, a power of two.
    inv_scale: f64,
    /// `Σ_μ B(m_μ)`.
    sum_b: f64,
    /// Closed-form values of `|D_i|` above this certify the sign.
    threshold: f64,
}

/// Per-thread buffers of the synchronous step, reused from call to call.
#[derive(Default)]
struct StepScratch {
    weights: Option<LaneWeights>,
    projection: Vec<f64>,
}

impl StepScratch {
    /// Zeroed weights for `b` states over `k` patterns and a `(b, n)` projection buffer.
    fn get(&mut self, b: usize, k: usize, n: usize) -> (&mut LaneWeights, ArrayViewMut2<'_, f64>) {
        let weights = match self.weights.take() {
            Some(mut w) if w.queries() == b && w.rows() == k => {
                w.clear();
                w
            }
            _ => LaneWeights::zeros(b, k),
        };
        self.weights = Some(weights);
        self.projection.resize(b * n, 0.0);
        let projection = ArrayViewMut2::from_shape((b, n), &mut self.projection[..b * n])
            .expect("buffer sized for (b, n)");
        (self.weights.as_mut().expect("just set"), projection)
    }
}

thread_local! {
    static STEP_SCRATCH: std::cell::RefCell<StepScratch> = std::cell::RefCell::new(StepScratch::default());
}

/// Packs a batch of states after the shape checks of [`check_batch`].
fn pack_states(what: &str, states: ArrayView2<f32>, dim: usize) -> Result<PackedBits> {
    check_batch(what, states, dim)?;
    PackedBits::from_bipolar(states).map_err(|e| match e {
        Error::State(msg) => Error::State(format!("{what}: {msg}")),
        other => other,
    })
}

/// A dense associative memory over bit-packed bipolar patterns, with exactly the dynamics and
/// energies of [`DenseAssociativeMemory`](super::DenseAssociativeMemory) (see the
/// module documentation).
///
/// ```
/// use engram::dynamics::{recall, RecallOptions};
/// use engram::model::{DamSeparation, PackedDenseMemory};
/// use engram::pattern::{corrupt::flip_bits, random_bipolar};
///
/// let patterns = random_bipolar(60, 120, 1);
/// let net = PackedDenseMemory::new(patterns.clone(), DamSeparation::Power { degree: 3 }).unwrap();
/// let cues = flip_bits(patterns.view(), 0.1, 2).unwrap();
/// let out = recall(&net, cues.view(), None, &RecallOptions::default()).unwrap();
/// assert_eq!(out.states, patterns);
/// assert_eq!(net.memory_bytes(), 60 * 2 * 8); // 120 bits -> two words per pattern
/// ```
#[derive(Clone, Debug)]
pub struct PackedDenseMemory {
    patterns: PackedBits,
    separation: DamSeparation,
    table: Table,
    projection: ProjectionKernel,
}

impl PackedDenseMemory {
    /// A memory holding the bipolar `patterns` (shape `(K, N)`) with interaction `separation`.
    ///
    /// # Errors
    /// [`Error::Empty`] without patterns, [`Error::State`] / [`Error::NonFinite`] for entries
    /// that are not ±1, [`Error::Parameter`] for a degree of 0 or a `β` that is not finite and
    /// positive.
    pub fn new(patterns: Array2<f32>, separation: DamSeparation) -> Result<Self> {
        if patterns.nrows() == 0 || patterns.ncols() == 0 {
            return Err(Error::Empty(
                "patterns: a dense associative memory needs at least one pattern".into(),
            ));
        }
        let packed = PackedBits::from_bipolar(patterns.view()).map_err(|e| match e {
            Error::State(msg) => Error::State(format!("patterns: {msg}")),
            other => other,
        })?;
        Self::from_packed(packed, separation)
    }

    /// A memory over patterns that are already packed (rows are patterns).
    ///
    /// # Errors
    /// As [`PackedDenseMemory::new`].
    pub fn from_packed(patterns: PackedBits, separation: DamSeparation) -> Result<Self> {
        if patterns.rows() == 0 || patterns.bits() == 0 {
            return Err(Error::Empty(
                "patterns: a dense associative memory needs at least one pattern".into(),
            ));
        }
        validate(separation)?;
        let table = build_table(separation, patterns.bits());
        Ok(PackedDenseMemory {
            patterns,
            separation,
            table,
            projection: ProjectionKernel::detect(),
        })
    }

    /// The same memory with its synchronous steps' signed projection computed by `kernel`
    /// (by default [`ProjectionKernel::detect`]: VNNI integer products where the CPU has them,
    /// subset-sum tables otherwise). Every kernel gives the same states: each decision is
    /// certified against its own error bound. [`ProjectionKernel::Vnni`] on a CPU without VNNI
    /// runs the integer path's portable loop (same results, much slower).
    ///
    /// ```
    /// use engram::kernel::int_projection::ProjectionKernel;
    /// use engram::model::{DamSeparation, PackedDenseMemory};
    /// use engram::pattern::random_bipolar;
    ///
    /// let patterns = random_bipolar(50, 100, 1);
    /// let net = PackedDenseMemory::new(patterns, DamSeparation::Power { degree: 3 }).unwrap();
    /// let tables = net.clone().with_projection(ProjectionKernel::Tables);
    /// let states = engram::kernel::bitpack::PackedBits::from_bipolar(
    ///     random_bipolar(4, 100, 2).view(),
    /// )
    /// .unwrap();
    /// assert_eq!(net.step_packed(&states).unwrap(), tables.step_packed(&states).unwrap());
    /// ```
    pub fn with_projection(mut self, kernel: ProjectionKernel) -> Self {
        self.projection = kernel;
        self
    }

    /// The kernel of the synchronous steps' signed projection.
    pub fn projection(&self) -> ProjectionKernel {
        self.projection
    }

    /// The stored patterns, packed, shape `(K, N)`.
    pub fn patterns(&self) -> &PackedBits {
        &self.patterns
    }

    /// The interaction function.
    pub fn separation(&self) -> DamSeparation {
        self.separation
    }

    /// Number of stored patterns `K`.
    pub fn num_patterns(&self) -> usize {
        self.patterns.rows()
    }

    /// Bytes used by the stored patterns: `K * ceil(N / 64) * 8` (the interaction table adds
    /// `(2N + 1) * 8` bytes).
    pub fn memory_bytes(&self) -> usize {
        self.patterns.memory_bytes()
    }

    fn n(&self) -> i32 {
        self.patterns.bits() as i32
    }

    /// Overlaps `m_μ = ξ_μ · σ` of each state with each pattern, shape `(B, K)`, exact integers.
    ///
    /// # Errors
    /// As [`Dynamics::validate_states`].
    pub fn overlaps(&self, states: ArrayView2<f32>) -> Result<Array2<i32>> {
        let packed = pack_states("states", states, self.dim())?;
        self.patterns.overlaps(&packed)
    }

    /// The energies of packed states (shape `(B, N)`), as [`Dynamics::energies`].
    ///
    /// # Errors
    /// [`Error::Shape`] if the states have the wrong number of bits.
    pub fn energies_packed(&self, states: &PackedBits) -> Result<Array1<f64>> {
        let m = self.patterns.overlaps(states)?;
        Ok(m.rows()
            .into_iter()
            .map(|row| self.energy_from_overlaps(row.as_slice().expect("owned rows")))
            .collect())
    }

    /// One synchronous step of packed states (shape `(B, N)`), as [`Dynamics::step`]: the
    /// fastest entry point, with no conversion to or from `f32`.
    ///
    /// # Errors
    /// [`Error::Shape`] if the states have the wrong number of bits.
    pub fn step_packed(&self, states: &PackedBits) -> Result<PackedBits> {
        let m = self.patterns.overlaps(states)?;
        Ok(self.step_from_overlaps(states, &m))
    }

    /// The synchronous step of packed states given their overlaps `m` (shape `(B, K)`).
    fn step_from_overlaps(&self, states: &PackedBits, m: &Array2<i32>) -> PackedBits {
        let mut next = states.clone();
        match &self.table {
            Table::Poly(values) => self.step_poly(states, m, values, &mut next),
            Table::Exp { .. } => {
                let flips: Vec<Vec<usize>> = (0..states.rows())
                    .into_par_iter()
                    .map(|q| {
                        let overlaps = m.row(q);
                        let overlaps = overlaps.as_slice().expect("owned rows");
                        (0..self.patterns.bits())
                            .filter(|&i| {
                                let s = states.value(q, i);
                                self.best_sign(overlaps, i, s) != s
                            })
                            .collect()
                    })
                    .collect();
                for (q, flips) in flips.into_iter().enumerate() {
                    for i in flips {
                        let plus = !states.get(q, i);
                        next.set(q, i, plus);
                    }
                }
            }
        }
        next
    }

    /// The synchronous step of a polynomial memory through the closed form
    /// `D_i = Σ_μ ξ_μi A(m_μ) + s_i Σ_μ B(m_μ)`, certified neuron by neuron against the plain
    /// engine's rounding (see the module documentation).
    fn step_poly(
        &self,
        states: &PackedBits,
        m: &Array2<i32>,
        values: &[f64],
        next: &mut PackedBits,
    ) {
        let closed = ClosedForm::new(values, self.n());
        let flips = match self.projection {
            ProjectionKernel::Vnni => self.flips_int(states, m, &closed),
            ProjectionKernel::Tables => self.flips_tables(states, m, &closed),
        };
        for (q, flips) in flips.into_iter().enumerate() {
            for i in flips {
                let plus = !states.get(q, i);
                next.set(q, i, plus);
            }
        }
    }

    /// The neurons to flip in each state, with the projection through quantised integer
    /// weights ([`PackedBits::signed_projection_int`]).
    fn flips_int(
        &self,
        states: &PackedBits,
        m: &Array2<i32>,
        closed: &ClosedForm,
    ) -> Vec<Vec<usize>> {
        let (b, n) = (m.nrows(), self.n());
        let t = closed.a.len();
        let table = ndarray::ArrayView1::from(&closed.a[..]).insert_axis(Axis(0));
        let table = table.broadcast((b, t)).expect("one row broadcasts");
        let k = m.ncols();
        // One histogram of each state's overlaps serves the quantisation, Σ_μ B(m_μ) and the
        // bound's Σ_μ s3(m_μ) (any order of summation is covered by the bounds).
        let (weights, sums) = IntWeights::from_table_with(table, m.view(), n, |_, count| {
            // Four accumulators over every entry (unused ones add zero): vectorizable.
            let (mut s3, mut sum_b) = ([0.0f64; 4], [0.0f64; 4]);
            let entries = count.chunks_exact(4).zip(closed.s3.chunks_exact(4));
            for ((c, s), bv) in entries.zip(closed.b.chunks_exact(4)) {
                for l in 0..4 {
                    s3[l] += c[l] as f64 * s[l];
                    sum_b[l] += c[l] as f64 * bv[l];
                }
            }
            let tail = count.len() / 4 * 4;
            let rest = count[tail..].iter().zip(&closed.s3[tail..]);
            for ((&c, &s), &bv) in rest.zip(&closed.b[tail..]) {
                s3[0] += c as f64 * s;
                sum_b[0] += c as f64 * bv;
            }
            let total = |v: [f64; 4]| (v[0] + v[1]) + (v[2] + v[3]);
            (total(s3), total(sum_b))
        })
        .expect("finite table, overlaps in range");
        let per_state: Vec<(f64, f64, f64)> = sums
            .iter()
            .enumerate()
            .map(|(q, &(s3, sum_b))| {
                let closed_form = U64 * s3 + gamma(k + 3, U64) * 2.0 * s3;
                let plain = gamma(k + 2, U64) * s3;
                let bound = weights.error_bound(q);
                let threshold = 2.0 * (bound + closed_form + plain) + f64::MIN_POSITIVE;
                (1.0, sum_b, threshold)
            })
            .collect();
        let mut projection = Array2::<f64>::zeros((b, self.patterns.bits()));
        self.patterns
            .signed_projection_int(&weights, projection.view_mut())
            .expect("shapes checked by the caller");
        self.decide(states, m, projection.view(), &per_state)
    }

    /// The neurons to flip in each state, given the projection `p` (shape `(B, N)`) and per
    /// state `(1 / scale, Σ_μ B(m_μ), threshold)`: the sign of `p / scale ± Σ B` where it
    /// exceeds the threshold, the plain engine's loop elsewhere. Branch-free on the certified
    /// neurons (the state bits are as good as random): each word of 64 neurons gives a word
    /// of flips and a word of neurons left to the plain loop.
    fn decide(
        &self,
        states: &PackedBits,
        m: &Array2<i32>,
        projection: ndarray::ArrayView2<f64>,
        per_state: &[(f64, f64, f64)],
    ) -> Vec<Vec<usize>> {
        let words = states.words_per_row();
        let n = self.patterns.bits();
        (0..m.nrows())
            .into_par_iter()
            .map(|q| {
                let (inv_scale, sum_b, threshold) = per_state[q];
                let bits = &states.words()[q * words..(q + 1) * words];
                let row = projection.row(q);
                let row = row.as_slice().expect("standard layout");
                let mut flips = Vec::new();
                for (w, (&word, chunk)) in bits.iter().zip(row.chunks(64)).enumerate() {
                    let (mut flip, mut unsure) = (0u64, 0u64);
                    for (j, &p) in chunk.iter().enumerate() {
                        let plus = (word >> j) & 1;
                        // ±Σ B by the sign bit: + for a set state bit.
                        let b = f64::from_bits(sum_b.to_bits() ^ ((plus ^ 1) << 63));
                        let d = p * inv_scale + b;
                        let up = (d > 0.0) as u64;
                        flip |= (up ^ plus) << j;
                        // Not certified (including a NaN) goes to the plain loop.
                        let certified = d.abs() * (1.0 - 4.0 * U64) > threshold;
                        unsure |= (!certified as u64) << j;
                    }
                    flip &= !unsure;
                    while unsure != 0 {
                        let j = unsure.trailing_zeros() as usize;
                        unsure &= unsure - 1;
                        let plus = (word >> j) & 1 == 1;
                        let s = if plus { 1.0 } else { -1.0 };
                        let overlaps = m.row(q);
                        let overlaps = overlaps.to_slice().expect("rows");
                        if (self.best_sign(overlaps, 64 * w + j, s) > 0.0) != plus {
                            flip |= 1 << j;
                        }
                    }
                    while flip != 0 {
                        let j = flip.trailing_zeros() as usize;
                        flip &= flip - 1;
                        flips.push(64 * w + j);
                    }
                }
                debug_assert!(flips.iter().all(|&i| i < n));
                flips
            })
            .collect()
    }

    /// The neurons to flip in each state, with the projection through `f32` subset-sum tables
    /// ([`PackedBits::signed_projection_lanes`]).
    fn flips_tables(
        &self,
        states: &PackedBits,
        m: &Array2<i32>,
        closed: &ClosedForm,
    ) -> Vec<Vec<usize>> {
        let (b, k) = m.dim();
        let n = self.n();
        // Per state: f32 weights A(m_μ) * scale (interleaved by groups of states, as the
        // projection reads them), and (1 / scale, Σ_μ B(m_μ), threshold). The weights and the
        // projection live in per-thread scratch reused from step to step.
        let lanes = LaneWeights::LANES;
        let body = |scratch: &mut StepScratch| -> Vec<Vec<usize>> {
            let (weights, mut projection) = scratch.get(b, k, self.patterns.bits());
            let per_group: Vec<Vec<(f64, f64, f64)>> = weights
                .par_groups_mut()
                .enumerate()
                .map(|(g, group)| {
                    let first = g * lanes;
                    let stats: Vec<StateWeights> = (first..(first + lanes).min(b))
                        .map(|q| self.state_weights(m.row(q).to_slice().expect("rows"), closed))
                        .collect();
                    // Interleave: row μ of the group holds its states' weights side by side.
                    let rows: Vec<&[i32]> = (first..first + stats.len())
                        .map(|q| m.row(q).to_slice().expect("rows"))
                        .collect();
                    for (mu, slot) in group.chunks_exact_mut(lanes).take(k).enumerate() {
                        for (l, st) in stats.iter().enumerate() {
                            slot[l] = st.weight[(rows[l][mu] + n) as usize];
                        }
                    }
                    stats
                        .iter()
                        .map(|st| (st.inv_scale, st.sum_b, st.threshold))
                        .collect()
                })
                .collect();
            let per_state: Vec<(f64, f64, f64)> = per_group.into_iter().flatten().collect();
            self.patterns
                .signed_projection_lanes(weights, projection.view_mut());
            self.decide(states, m, projection.view(), &per_state)
        };
        // The scratch is per thread; a nested call on the same thread (rayon may run another
        // task while this one waits) gets fresh buffers instead.
        STEP_SCRATCH.with(|cell| match cell.try_borrow_mut() {
            Ok(mut scratch) => body(&mut scratch),
            Err(_) => body(&mut StepScratch::default()),
        })
    }

    /// The scaled `f32` weights `A(m) * scale` of one state for every overlap value `m`, with
    /// `1 / scale`, `Σ_μ B(m_μ)` and the certification threshold: a neuron whose closed-form
    /// `|D_i|` exceeds the threshold has the sign the plain engine computes.
    fn state_weights(&self, m: &[i32], closed: &ClosedForm) -> StateWeights {
        let n = self.n();
        let k = m.len();
        // Overlaps take at most 2N + 1 values: a histogram turns the per-pattern sums into
        // per-value sums (any order of summation is covered by the bounds below).
        let mut count = vec![0u32; closed.a.len()];
        for &x in m {
            count[(x + n) as usize] += 1;
        }
        let (mut max_a, mut s3, mut sum_b) = (0.0f64, 0.0f64, 0.0f64);
        for (j, &c) in count.iter().enumerate() {
            if c > 0 {
                max_a = max_a.max(closed.a[j].abs());
                s3 += c as f64 * closed.s3[j];
                sum_b += c as f64 * closed.b[j];
            }
        }
        // A power of two bringing the largest weight into [0.5, 1): exact scaling.
        let exponent = if max_a > 0.0 {
            (-(max_a.log2().floor() as i32) - 1).clamp(-1000, 1000)
        } else {
            0
        };
        let scale = 2f64.powi(exponent);
        let mut sum_abs = 0.0f64;
        let weight: Vec<f32> = closed
            .a
            .iter()
            .zip(&count)
            .map(|(&a, &c)| {
                let a = a * scale;
                let w = if a.abs() < FLUSH { 0.0 } else { a as f32 };
                sum_abs += c as f64 * w.abs() as f64;
                w
            })
            .collect();
        // Rigorous bounds (Higham's γ_n) on |d_i - D_T| for the closed form and on
        // |D_plain - D_T| for the plain engine's term-by-term sum, where D_T is the exact value
        // of the energy difference over the table's values.
        let projection = (self.patterns.projection_error_bound(sum_abs)
            + U32 * sum_abs * (1.0 + 1e-6)
            + k as f64 * FLUSH)
            / scale;
        let closed_form = U64 * s3 + gamma(k + 3, U64) * 2.0 * s3;
        let plain = gamma(k + 2, U64) * s3;
        StateWeights {
            weight,
            inv_scale: 2f64.powi(-exponent),
            sum_b,
            threshold: 2.0 * (projection + closed_form + plain) + f64::MIN_POSITIVE,
        }
    }

    /// The energy of one state from its overlaps, summed exactly as the plain engine sums it.
    fn energy_from_overlaps(&self, m: &[i32]) -> f64 {
        let n = self.n();
        match &self.table {
            Table::Poly(values) => -m.iter().map(|&x| values[(x + n) as usize]).sum::<f64>(),
            Table::Exp { beta, decay } => {
                let top = *m.iter().max().expect("at least one pattern");
                let sum: f64 = m.iter().map(|&x| decay[(top - x) as usize]).sum();
                -(top as f64 + sum.ln() / beta)
            }
        }
    }

    /// The sign neuron `i` takes given overlaps `m` computed with its current value `s_i`,
    /// with the plain engine's arithmetic, term by term and in the same order (`O(K)`).
    fn best_sign(&self, m: &[i32], i: usize, s_i: f32) -> f32 {
        let n = self.n();
        let s = s_i as i32;
        let words = self.patterns.words();
        let stride = self.patterns.words_per_row();
        let (word, bit) = (i / 64, i % 64);
        let xi = |mu: usize| (((words[mu * stride + word] >> bit) & 1) as i32) * 2 - 1;
        match &self.table {
            Table::Poly(values) => {
                let mut diff = 0.0f64;
                for (mu, &overlap) in m.iter().enumerate() {
                    let x = xi(mu);
                    let rest = overlap - x * s;
                    diff += values[(rest + x + n) as usize] - values[(rest - x + n) as usize];
                }
                sign_or_keep(diff, s_i)
            }
            Table::Exp { beta, decay } => {
                let (mut top_plus, mut top_minus) = (i32::MIN, i32::MIN);
                for (mu, &overlap) in m.iter().enumerate() {
                    let x = xi(mu);
                    let rest = overlap - x * s;
                    top_plus = top_plus.max(rest + x);
                    top_minus = top_minus.max(rest - x);
                }
                let (mut sum_plus, mut sum_minus) = (0.0f64, 0.0f64);
                for (mu, &overlap) in m.iter().enumerate() {
                    let x = xi(mu);
                    let rest = overlap - x * s;
                    sum_plus += decay[(top_plus - rest - x) as usize];
                    sum_minus += decay[(top_minus - rest + x) as usize];
                }
                let lse_plus = beta * top_plus as f64 + sum_plus.ln();
                let lse_minus = beta * top_minus as f64 + sum_minus.ln();
                sign_or_keep(lse_plus - lse_minus, s_i)
            }
        }
    }
}

/// Adds `2 s_new ξ_μi` to every overlap after neuron `i` flipped to `s_new`: `O(K)`.
fn update_overlaps(patterns: &PackedBits, m: &mut [i32], i: usize, s_new: f32) {
    let words = patterns.words();
    let stride = patterns.words_per_row();
    let (word, bit) = (i / 64, i % 64);
    let delta = 2 * s_new as i32;
    for (mu, overlap) in m.iter_mut().enumerate() {
        let x = (((words[mu * stride + word] >> bit) & 1) as i32) * 2 - 1;
        *overlap += delta * x;
    }
}

/// Overlaps of one ±1 state with every pattern.
fn state_overlaps(patterns: &PackedBits, state: &[f32]) -> Result<(PackedBits, Vec<i32>)> {
    let packed = PackedBits::from_bipolar_slice(state).map_err(|e| match e {
        Error::State(msg) => Error::State(format!("state: {msg}")),
        other => other,
    })?;
    let mut m = vec![0i32; patterns.rows()];
    patterns.overlap_rows(BitKernel::detect(), packed.row(0), 0, &mut m);
    Ok((packed, m))
}

impl Dynamics for PackedDenseMemory {
    fn dim(&self) -> usize {
        self.patterns.bits()
    }

    fn energies(&self, states: ArrayView2<f32>) -> Result<Array1<f64>> {
        let packed = pack_states("states", states, self.dim())?;
        self.energies_packed(&packed)
    }

    fn step(&self, states: ArrayView2<f32>) -> Result<Array2<f32>> {
        let packed = pack_states("states", states, self.dim())?;
        Ok(self.step_packed(&packed)?.to_bipolar())
    }

    /// One overlap pass serves both the energies and the step.
    fn step_with_energies(&self, states: ArrayView2<f32>) -> Result<(Array2<f32>, Array1<f64>)> {
        let packed = pack_states("states", states, self.dim())?;
        let m = self.patterns.overlaps(&packed)?;
        let energies = m
            .rows()
            .into_iter()
            .map(|row| self.energy_from_overlaps(row.as_slice().expect("owned rows")))
            .collect();
        Ok((self.step_from_overlaps(&packed, &m).to_bipolar(), energies))
    }

    fn sweep(&self, state: &mut [f32], order: &[usize]) -> Result<()> {
        if state.len() != self.dim() {
            return Err(Error::shape("state length", self.dim(), state.len()));
        }
        let (_, mut m) = state_overlaps(&self.patterns, state)?;
        if let Table::Poly(values) = &self.table {
            self.sweep_poly(state, order, values, m);
            return Ok(());
        }
        for &i in order {
            let new = self.best_sign(&m, i, state[i]);
            if new != state[i] {
                update_overlaps(&self.patterns, &mut m, i, new);
                state[i] = new;
            }
        }
        Ok(())
    }

    fn default_schedule(&self) -> Schedule {
        Schedule::Asynchronous
    }

    fn validate_states(&self, what: &str, states: ArrayView2<f32>) -> Result<()> {
        pack_states(what, states, self.dim()).map(|_| ())
    }
}

impl PackedDenseMemory {
    /// An asynchronous sweep of a polynomial memory: each visited neuron's `D_i` comes from the
    /// closed form `Σ_μ ξ_μi A(m_μ) + s_i Σ_μ B(m_μ)` summed with four independent
    /// accumulators (the plain engine's one sequential sum is latency-bound), certified against
    /// both engines' rounding bounds, and recomputed with the plain engine's loop when not
    /// certified. `A(m_μ)`, `Σ B` and the bound's scale are refreshed after every flip, with
    /// the overlaps: `O(K)` per flip.
    fn sweep_poly(&self, state: &mut [f32], order: &[usize], values: &[f64], mut m: Vec<i32>) {
        let n = self.n();
        let k = m.len();
        let closed = ClosedForm::new(values, n);
        // Column i of the patterns as K contiguous bits (a transposed copy, as large as the
        // patterns, built per sweep so that the model itself stays 32x smaller than f32).
        let columns = self.patterns.transpose();
        // |closed form - D_T| <= γ_K Σ|A| + u Σ_μ s3 + 2 γ_{K+3} Σ_μ s3 (A, B and their sums) and
        // |plain - D_T| <= γ_{K+2} Σ_μ s3, with Σ|A| <= Σ_μ s3; doubled for safety.
        let unit = 2.0 * (U64 + 4.0 * gamma(k + 3, U64));
        // A(m_μ) per pattern, Σ_μ B(m_μ) and the threshold, from the overlaps; after a flip of
        // neuron i to s', the same pass first adds 2 s' ξ_μi to each overlap.
        let mut a = vec![0.0f64; k];
        let refresh = |m: &mut [i32], a: &mut [f64], flip: Option<(&[u64], i32)>| -> (f64, f64) {
            if let Some((column, delta)) = flip {
                add_signed(column, delta, m);
            }
            let (mut b, mut s3) = ([0.0f64; 4], [0.0f64; 4]);
            for (mq, aq) in m.chunks(4).zip(a.chunks_mut(4)) {
                for (l, (&x, av)) in mq.iter().zip(aq.iter_mut()).enumerate() {
                    let j = (x + n) as usize;
                    *av = closed.a[j];
                    b[l] += closed.b[j];
                    s3[l] += closed.s3[j];
                }
            }
            let s3 = (s3[0] + s3[1]) + (s3[2] + s3[3]);
            ((b[0] + b[1]) + (b[2] + b[3]), unit * s3 + f64::MIN_POSITIVE)
        };
        let (mut sum_b, mut threshold) = refresh(&mut m, &mut a, None);
        for &i in order {
            let s_i = state[i];
            let column = columns.row(i);
            let d = signed_sum(column, &a) + s_i as f64 * sum_b;
            let new = if d.abs() * (1.0 - 4.0 * U64) > threshold {
                if d > 0.0 {
                    1.0
                } else {
                    -1.0
                }
            } else {
                self.best_sign(&m, i, s_i)
            };
            if new != s_i {
                state[i] = new;
                (sum_b, threshold) = refresh(&mut m, &mut a, Some((column, 2 * new as i32)));
            }
        }
    }
}

/// The classical Hopfield network with Hebbian weights `W = ΞᵀΞ / N` (zero diagonal), computed
/// from bit-packed patterns without the `N x N` matrix; the same states as
/// [`Hopfield`](super::Hopfield) built with [`LearningRule::Hebbian`](crate::learn::LearningRule)
/// (see the module documentation).
///
/// Field `h_i = (Σ_μ ξ_μi m_μ - K s_i) / N`, energy `-(Σ_μ m_μ² - K N) / (2N)`.
#[derive(Clone, Debug)]
pub struct PackedHopfield {
    patterns: PackedBits,
}

impl PackedHopfield {
    /// The network storing bipolar `patterns` of shape `(K, N)`.
    ///
    /// # Errors
    /// [`Error::Empty`] without patterns, [`Error::State`] / [`Error::NonFinite`] for entries
    /// that are not ±1.
    pub fn new(patterns: ArrayView2<f32>) -> Result<Self> {
        if patterns.nrows() == 0 || patterns.ncols() == 0 {
            return Err(Error::Empty(
                "patterns: need at least one pattern of dimension >= 1".into(),
            ));
        }
        let packed = PackedBits::from_bipolar(patterns).map_err(|e| match e {
            Error::State(msg) => Error::State(format!("patterns: {msg}")),
            other => other,
        })?;
        Ok(PackedHopfield { patterns: packed })
    }

    /// The network storing already packed patterns (rows are patterns).
    ///
    /// # Errors
    /// [`Error::Empty`] without patterns.
    pub fn from_packed(patterns: PackedBits) -> Result<Self> {
        if patterns.rows() == 0 || patterns.bits() == 0 {
            return Err(Error::Empty(
                "patterns: need at least one pattern of dimension >= 1".into(),
            ));
        }
        Ok(PackedHopfield { patterns })
    }

    /// The stored patterns, packed, shape `(K, N)`.
    pub fn patterns(&self) -> &PackedBits {
        &self.patterns
    }

    /// Bytes used by the stored patterns, `K * ceil(N / 64) * 8`: no weight matrix is kept.
    pub fn memory_bytes(&self) -> usize {
        self.patterns.memory_bytes()
    }

    /// Integer fields `N h_i = Σ_μ ξ_μi m_μ - K s_i` for packed states and their overlaps.
    fn integer_fields(&self, states: &PackedBits, m: &Array2<i32>) -> Array2<i64> {
        let (b, k) = m.dim();
        let n = self.patterns.bits();
        let mut out = Array2::<i64>::zeros((b, n));
        // The projection of integer weights |m| <= N is exact when every f32 partial sum is an
        // integer below 2^24 (see `PackedBits::signed_projection`); otherwise sum exactly.
        if n <= CODE_MAX as usize && ProjectionKernel::detect() == ProjectionKernel::Vnni {
            // Integer weights |m| <= N <= CODE_MAX: quantised exactly, no outliers.
            let table: Vec<f64> = (-(n as i64)..=n as i64).map(|v| v as f64).collect();
            let table = ndarray::ArrayView1::from(&table[..]).insert_axis(Axis(0));
            let weights = IntWeights::from_table(
                table.broadcast((b, 2 * n + 1)).expect("one row broadcasts"),
                m.view(),
                n as i32,
            )
            .expect("finite table, overlaps in range");
            debug_assert!((0..b).all(|q| weights.error_bound(q) == 0.0));
            let mut proj = Array2::<f64>::zeros((b, n));
            self.patterns
                .signed_projection_int(&weights, proj.view_mut())
                .expect("shapes match");
            out.zip_mut_with(&proj, |o, &p| *o = p as i64);
        } else if n <= 1 << 16 {
            let weights = m.mapv(|v| v as f32);
            let mut proj = Array2::<f64>::zeros((b, n));
            self.patterns
                .signed_projection(weights.view(), proj.view_mut());
            out.zip_mut_with(&proj, |o, &p| *o = p as i64);
        } else {
            let words = self.patterns.words();
            let stride = self.patterns.words_per_row();
            out.outer_iter_mut()
                .into_par_iter()
                .zip(m.outer_iter().into_par_iter())
                .for_each(|(mut row, m)| {
                    for (i, o) in row.iter_mut().enumerate() {
                        let (word, bit) = (i / 64, i % 64);
                        *o = (0..k)
                            .map(|mu| {
                                let x = (((words[mu * stride + word] >> bit) & 1) as i64) * 2 - 1;
                                x * m[mu] as i64
                            })
                            .sum();
                    }
                });
        }
        let k = k as i64;
        for (q, mut row) in out.outer_iter_mut().enumerate() {
            for (i, o) in row.iter_mut().enumerate() {
                *o -= if states.get(q, i) { k } else { -k };
            }
        }
        out
    }

    /// Energies `-(Σ_μ m_μ² - K N) / (2N)` from overlaps `(B, K)`.
    fn energies_from_overlaps(&self, m: &Array2<i32>) -> Array1<f64> {
        let (k, n) = (self.patterns.rows() as f64, self.patterns.bits() as f64);
        m.rows()
            .into_iter()
            .map(|row| {
                let squares: f64 = row.iter().map(|&x| x as f64 * x as f64).sum();
                -(squares - k * n) / (2.0 * n)
            })
            .collect()
    }

    /// Local fields `h = W s` of each state, shape `(B, N)`, exact (as `f64` of `N h_i / N`).
    ///
    /// # Errors
    /// As [`Dynamics::validate_states`].
    pub fn local_fields(&self, states: ArrayView2<f32>) -> Result<Array2<f64>> {
        let packed = pack_states("states", states, self.dim())?;
        let m = self.patterns.overlaps(&packed)?;
        let n = self.patterns.bits() as f64;
        Ok(self.integer_fields(&packed, &m).mapv(|h| h as f64 / n))
    }

    /// The sign neuron `i` takes from its exact integer field `N h_i`, matching the plain
    /// engine: certified when `|h_i|` exceeds the plain engine's rounding, otherwise computed
    /// with the plain engine's `f32` weights and `f64` sum.
    fn decide(&self, field: i64, state: &[f32], i: usize) -> f32 {
        let (k, n) = (self.patterns.rows() as f64, self.patterns.bits());
        // |Σ_j w_ij s_j - field/N| <= u32 Σ_j |C_ij|/N <= u32 K, and the f64 sum adds
        // γ_N Σ_j |w_ij| <= γ_N K (1 + u32).
        let bound = (U32 * k + gamma(n + 1, U64) * k * (1.0 + U32)) * 2.0;
        let h = field as f64 / n as f64;
        if h.abs() > bound {
            sign_or_keep(h, state[i])
        } else {
            sign_or_keep(self.plain_field(state, i), state[i])
        }
    }

    /// The plain engine's field of neuron `i`: `Σ_j w_ij s_j` summed in `f64` over `j` in order,
    /// with `w_ij = f32(C_ij) / f32(N)` and `w_ii = 0`, exactly as `learn::hebbian` rounds them.
    /// Costs `O(K N)`; used for ties only.
    fn plain_field(&self, state: &[f32], i: usize) -> f64 {
        let n = self.patterns.bits();
        let words = self.patterns.words();
        let stride = self.patterns.words_per_row();
        let mut c = vec![0i32; n];
        for mu in 0..self.patterns.rows() {
            let row = &words[mu * stride..(mu + 1) * stride];
            let flip = if (row[i / 64] >> (i % 64)) & 1 == 1 {
                0
            } else {
                u64::MAX
            };
            for (j, cj) in c.iter_mut().enumerate() {
                *cj += ((((row[j / 64] ^ flip) >> (j % 64)) & 1) as i32) * 2 - 1;
            }
        }
        let nf = n as f32;
        c.iter()
            .zip(state)
            .enumerate()
            .map(|(j, (&cij, &s))| {
                let w = if j == i { 0.0 } else { cij as f32 / nf };
                w as f64 * s as f64
            })
            .sum()
    }
}

impl Dynamics for PackedHopfield {
    fn dim(&self) -> usize {
        self.patterns.bits()
    }

    fn energies(&self, states: ArrayView2<f32>) -> Result<Array1<f64>> {
        let packed = pack_states("states", states, self.dim())?;
        let m = self.patterns.overlaps(&packed)?;
        Ok(self.energies_from_overlaps(&m))
    }

    fn step(&self, states: ArrayView2<f32>) -> Result<Array2<f32>> {
        Ok(self.step_with_energies(states)?.0)
    }

    /// One overlap pass serves both the energies and the step.
    fn step_with_energies(&self, states: ArrayView2<f32>) -> Result<(Array2<f32>, Array1<f64>)> {
        let packed = pack_states("states", states, self.dim())?;
        let m = self.patterns.overlaps(&packed)?;
        let energies = self.energies_from_overlaps(&m);
        let fields = self.integer_fields(&packed, &m);
        let mut next = states.to_owned();
        next.axis_iter_mut(Axis(0))
            .into_par_iter()
            .zip(fields.axis_iter(Axis(0)).into_par_iter())
            .zip(states.axis_iter(Axis(0)).into_par_iter())
            .for_each(|((mut out, fields), state)| {
                let state = state.to_vec();
                for (i, (o, &h)) in out.iter_mut().zip(fields.iter()).enumerate() {
                    *o = self.decide(h, &state, i);
                }
            });
        Ok((next, energies))
    }

    fn sweep(&self, state: &mut [f32], order: &[usize]) -> Result<()> {
        if state.len() != self.dim() {
            return Err(Error::shape("state length", self.dim(), state.len()));
        }
        let (_, mut m) = state_overlaps(&self.patterns, state)?;
        // Column i as K contiguous bits (a transposed copy built per sweep, see
        // `PackedDenseMemory`'s sweep).
        let columns = self.patterns.transpose();
        let k = self.patterns.rows() as i64;
        for &i in order {
            let column = columns.row(i);
            // Σ_μ ξ_μi m_μ = 2 Σ_{ξ_μi = +1} m_μ - Σ_μ m_μ, exactly in integers.
            let (mut plus, mut total) = (0i64, 0i64);
            for (word, chunk) in column.iter().zip(m.chunks(64)) {
                for (j, &x) in chunk.iter().enumerate() {
                    plus += ((word >> j) & 1) as i64 * x as i64;
                    total += x as i64;
                }
            }
            let field = 2 * plus - total - k * state[i] as i64;
            let new = self.decide(field, state, i);
            if new != state[i] {
                add_signed(column, 2 * new as i32, &mut m);
                state[i] = new;
            }
        }
        Ok(())
    }

    fn default_schedule(&self) -> Schedule {
        Schedule::Asynchronous
    }

    fn validate_states(&self, what: &str, states: ArrayView2<f32>) -> Result<()> {
        pack_states(what, states, self.dim()).map(|_| ())
    }
}
