"""Type stubs of engram's native module (re-exported by the ``engram`` package).

Array conventions: every array argument is a numpy array of dtype float32 or float64 (float64
is converted to float32), any memory order; states, queries and cues may be 1-D (one row) or
2-D (rows, dim); patterns, keys, values and weights must be 2-D. Masks are bool arrays shaped
like the queries, True = observed (clamped).
"""

from typing import Literal, Optional, Sequence, TypedDict, Union

import numpy as np
import numpy.typing as npt

__version__: str

FloatArray = Union[npt.NDArray[np.float32], npt.NDArray[np.float64]]
"""What array arguments accept: float32 or float64 (converted to float32)."""
BoolArray = npt.NDArray[np.bool_]
F32 = npt.NDArray[np.float32]
F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]
Schedule = Literal["sync", "synchronous", "async", "asynchronous"]

class RecallResult:
    """The outcome of ``recall`` for a batch of B queries (a 1-D query is a batch of one).

    Example:
        >>> import engram
        >>> x = engram.random_sphere(20, 32, seed=1)
        >>> out = engram.ModernHopfield(x, beta=16.0).recall(x[:3])
        >>> out.states.shape, bool(out.converged.all())
        ((3, 32), True)
    """

    @property
    def states(self) -> F32:
        """Final states, float32 (B, dim)."""
    @property
    def energies(self) -> F64:
        """float64 (B, T): energy of the initial state, then after every step; rows shorter
        than the longest trace T are padded with NaN."""
    @property
    def energy_traces(self) -> list[F64]:
        """The unpadded energy trace of each query (length steps_i + 1)."""
    @property
    def final_energies(self) -> F64:
        """float64 (B,): energy of each final state."""
    @property
    def steps(self) -> I64:
        """int64 (B,): steps (or asynchronous sweeps) each query took."""
    @property
    def converged(self) -> BoolArray:
        """bool (B,): whether each query stopped moving within max_steps."""
    @property
    def trajectories(self) -> Optional[list[F32]]:
        """With record_states=True: per query, float32 (steps_i + 1, dim) visited states."""
    def __len__(self) -> int: ...

class Hopfield:
    """Classical Hopfield network over bipolar (+1/-1) states.

    Weights learned with ``rule`` ("hebbian": W = X^T X / N with zero diagonal, "storkey" or
    "pseudoinverse"); energy ``-1/2 s^T W s``; recall is asynchronous by default.

    Example:
        >>> import engram
        >>> patterns = engram.random_bipolar(5, 200, seed=7)
        >>> net = engram.Hopfield(patterns, rule="hebbian")
        >>> out = net.recall(engram.flip_bits(patterns, 0.1, seed=1))
        >>> bool((out.states == patterns).all())
        True
    """

    def __init__(
        self,
        patterns: FloatArray,
        rule: Literal["hebbian", "hebb", "storkey", "pseudoinverse", "pinv", "projection"] = "hebbian",
    ) -> None: ...
    @staticmethod
    def from_weights(weights: FloatArray) -> "Hopfield":
        """A network with given square, finite, symmetric weights (rule is then None)."""
    @property
    def weights(self) -> F32:
        """The (N, N) weight matrix (a copy)."""
    @property
    def rule(self) -> Optional[str]: ...
    @property
    def dim(self) -> int: ...
    def local_fields(self, states: FloatArray) -> F32:
        """Local fields ``W s``, shaped like ``states``."""
    def energy(self, states: FloatArray) -> Union[F64, float]:
        """Energy per row: float64 (B,), or a float for a 1-D state."""
    def step(self, states: FloatArray) -> F32:
        """One synchronous update ``sign(W s)`` (zero field keeps the state), shaped like
        ``states``."""
    def recall(
        self,
        queries: FloatArray,
        observed: Optional[BoolArray] = None,
        *,
        max_steps: int = 100,
        tol: float = 1e-6,
        schedule: Optional[Schedule] = None,
        seed: int = 0,
        record_states: bool = False,
    ) -> RecallResult:
        """Runs the dynamics from each query until nothing moves by more than ``tol`` (or
        ``max_steps``). ``observed`` (bool, shaped like ``queries``) clamps its True entries to
        the query. ``schedule``: "async" (default here) or "sync"; ``seed`` seeds the
        asynchronous update orders."""

class DenseMemory:
    """Dense associative memory over bipolar states (Krotov & Hopfield 2016; Demircigil et al.
    2017).

    ``separation``: "power:N" (F(x) = x^N), "rectified:N" (max(x, 0)^N) or "exp:BETA"
    (exp(BETA x)). Energies are reported rescaled: ``-sum (m/N)^n`` for powers,
    ``-(1/BETA) log sum exp(BETA m)`` for the exponential (m: integer overlaps).

    Example:
        >>> import engram
        >>> patterns = engram.random_bipolar(60, 100, seed=3)
        >>> dam = engram.DenseMemory(patterns, separation="power:3")
        >>> out = dam.recall(engram.flip_bits(patterns, 0.05, seed=2))
        >>> bool((out.states == patterns).all())
        True
    """

    def __init__(self, patterns: FloatArray, separation: str = "power:3") -> None: ...
    @property
    def patterns(self) -> F32: ...
    @property
    def separation(self) -> str:
        """The interaction, in the form the constructor reads ("power:3")."""
    @property
    def dim(self) -> int: ...
    @property
    def num_patterns(self) -> int: ...
    def overlaps(self, states: FloatArray) -> npt.NDArray[np.int32]:
        """Integer overlaps of each state with each pattern, int32 (B, K), or (K,) for 1-D."""
    def energy(self, states: FloatArray) -> Union[F64, float]: ...
    def step(self, states: FloatArray) -> F32:
        """One synchronous update: each neuron takes its lower-energy sign."""
    def recall(
        self,
        queries: FloatArray,
        observed: Optional[BoolArray] = None,
        *,
        max_steps: int = 100,
        tol: float = 1e-6,
        schedule: Optional[Schedule] = None,
        seed: int = 0,
        record_states: bool = False,
    ) -> RecallResult: ...

class ModernHopfield:
    """Modern (softmax) Hopfield network (Ramsauer et al. 2020).

    Update ``x <- X^T softmax(beta X x)``; energy
    ``-lse(beta, X x) + x.x / 2 + log(K) / beta + M^2 / 2`` (M: largest pattern norm).

    Example:
        >>> import engram
        >>> x = engram.random_sphere(100, 64, seed=1)
        >>> net = engram.ModernHopfield(x, beta=20.0)
        >>> out = net.retrieve(engram.add_gaussian_noise(x[:4], 0.05, seed=2))
        >>> bool(abs(out - x[:4]).max() < 0.05)
        True
    """

    def __init__(self, patterns: FloatArray, beta: float = 1.0) -> None: ...
    @property
    def beta(self) -> float: ...
    @property
    def patterns(self) -> F32: ...
    @property
    def dim(self) -> int: ...
    @property
    def num_patterns(self) -> int: ...
    def retrieve(self, queries: FloatArray) -> F32:
        """One update ``X^T softmax(beta X x)`` per query, shaped like ``queries``."""
    def attention(self, queries: FloatArray) -> F32:
        """``softmax(beta X x)`` per query: (B, K), or (K,) for a 1-D query."""
    def energy(self, states: FloatArray) -> Union[F64, float]: ...
    def step(self, states: FloatArray) -> F32: ...
    def recall(
        self,
        queries: FloatArray,
        observed: Optional[BoolArray] = None,
        *,
        max_steps: int = 100,
        tol: float = 1e-6,
        schedule: Optional[Schedule] = None,
        seed: int = 0,
        record_states: bool = False,
    ) -> RecallResult: ...

class Universal:
    """Universal Hopfield network (Millidge et al. 2022): ``V^T sep(beta * sim(K, q))``.

    ``similarity``: "dot", "euclidean", "manhattan" or "cosine". ``separation``: "identity",
    "power:N", "softmax:BETA", "sparsemax:BETA", "entmax:ALPHA:BETA", "topk:K" or "max".
    ``values`` (P, d_v) makes it hetero-associative (``retrieve`` only).

    Example:
        >>> import engram, numpy as np
        >>> keys = engram.random_sphere(50, 32, seed=4)
        >>> net = engram.Universal(keys, "cosine", "max", values=np.eye(50, dtype=np.float32))
        >>> int(net.retrieve(keys[7]).argmax())
        7
    """

    def __init__(
        self,
        patterns: FloatArray,
        similarity: Literal["dot", "euclidean", "l2", "manhattan", "l1", "cosine"] = "dot",
        separation: str = "softmax:1",
        values: Optional[FloatArray] = None,
    ) -> None: ...
    @property
    def keys(self) -> F32: ...
    @property
    def values(self) -> F32: ...
    @property
    def is_hetero(self) -> bool: ...
    @property
    def similarity(self) -> str: ...
    @property
    def separation(self) -> str: ...
    @property
    def dim(self) -> int: ...
    @property
    def num_patterns(self) -> int: ...
    def similarities(self, queries: FloatArray) -> F32: ...
    def attention(self, queries: FloatArray) -> F32:
        """Separation weights per query: (B, P), or (P,) for a 1-D query."""
    def retrieve(self, queries: FloatArray) -> F32:
        """``V^T sep(beta * sim(K, q))`` per query: (B, d_v), or (d_v,) for a 1-D query."""
    def energy(self, states: FloatArray) -> Union[F64, float]: ...
    def step(self, states: FloatArray) -> F32: ...
    def recall(
        self,
        queries: FloatArray,
        observed: Optional[BoolArray] = None,
        *,
        max_steps: int = 100,
        tol: float = 1e-6,
        schedule: Optional[Schedule] = None,
        seed: int = 0,
        record_states: bool = False,
    ) -> RecallResult: ...

class SequenceMemory:
    """Memory of one cyclic sequence of +1/-1 patterns (Chaudhry et al. 2023).

    ``rule="hebbian"``: ``x_i <- sgn(sum_mu xi_i^(mu+1) f(m_i^mu))`` with the self term left out
    of ``m_i^mu`` and overlaps normalised by N - 1; ``rule="pseudoinverse"`` decorrelates the
    overlaps first. ``separation`` is ``f``: "power:N", "rectified:N" or "exp:BETA". No energy.

    Example:
        >>> import engram
        >>> p = engram.random_bipolar(20, 100, seed=1)
        >>> seq = engram.SequenceMemory(p, separation="power:2")
        >>> bool((seq.run(p[0], 20)[5] == p[5]).all())
        True
    """

    def __init__(
        self,
        patterns: FloatArray,
        separation: str = "power:1",
        rule: Literal["hebbian", "asymmetric", "pseudoinverse", "gpi", "generalized-pseudoinverse"] = "hebbian",
    ) -> None: ...
    @property
    def patterns(self) -> F32: ...
    @property
    def separation(self) -> str: ...
    @property
    def rule(self) -> str: ...
    @property
    def dim(self) -> int: ...
    @property
    def num_patterns(self) -> int: ...
    def fields(self, states: FloatArray) -> F32:
        """Local fields (only their signs are meaningful), shaped like ``states``."""
    def step(self, states: FloatArray) -> F32:
        """One synchronous update of each state, shaped like ``states``."""
    def run(self, start: FloatArray, steps: int) -> F32:
        """Trajectory (steps + 1, N) from one 1-D state, the start first."""
    def transition_errors(self) -> I64:
        """Wrong bits of each stored transition after one update, int64 (P,)."""
    def recalls_sequence(self) -> bool:
        """Whether every transition is exact."""

class VariableTiming:
    """Sequence memory holding pattern ``mu`` for ``hold[mu]`` steps (Chaudhry et al. 2023).

    Example:
        >>> import engram
        >>> p = engram.random_bipolar(4, 100, seed=2)
        >>> net = engram.VariableTiming(p, [3, 1, 4, 2], separation="power:2", lam=2.0)
        >>> engram.nearest_pattern(p, net.run(p[0], 10)).tolist()
        [0, 0, 0, 1, 2, 2, 2, 2, 3, 3, 0]
    """

    def __init__(
        self,
        patterns: FloatArray,
        hold: Sequence[int],
        separation: str = "power:2",
        lam: float = 2.0,
        coupling: Literal["gated", "additive"] = "gated",
    ) -> None: ...
    @property
    def hold(self) -> list[int]: ...
    @property
    def separation(self) -> str: ...
    @property
    def lam(self) -> float: ...
    @property
    def coupling(self) -> str: ...
    @property
    def dim(self) -> int: ...
    def run(self, start: FloatArray, steps: int) -> F32:
        """Trajectory (steps + 1, N) from one 1-D state, the start first."""

class Cdam:
    """Correlated dense associative memory (Burns 2024): patterns linked by a memory graph.

    Update ``s <- s + eta (sum_mu w_mu (a xi^mu + h sum_nu M[mu, nu] xi^nu) - c mean(Xi) - s)``,
    ``w = softmax(beta Xi s)``, ``M = D^-1/2 A D^-1/2``. No energy: use ``run`` or ``settle``.

    Example:
        >>> import engram, numpy as np
        >>> p = engram.random_sphere(3, 64, seed=1)
        >>> net = engram.Cdam(p, np.roll(np.eye(3, dtype=np.float32), 1, axis=1), a=0.0, h=1.0, beta=50.0)
        >>> bool(abs(net.step(p[0]) - (p[1] - net.offset)).max() < 1e-3)
        True
    """

    def __init__(
        self,
        patterns: FloatArray,
        adjacency: FloatArray,
        *,
        a: float = 1.0,
        h: float = 0.0,
        beta: float = 1.0,
        eta: float = 1.0,
        mean_offset: Optional[float] = None,
    ) -> None: ...
    @property
    def patterns(self) -> F32: ...
    @property
    def adjacency(self) -> F32: ...
    @property
    def transition(self) -> F32:
        """The normalised adjacency ``D^-1/2 A D^-1/2``, (P, P)."""
    @property
    def offset(self) -> F32:
        """``c mean(Xi)``, (N,)."""
    @property
    def a(self) -> float: ...
    @property
    def h(self) -> float: ...
    @property
    def beta(self) -> float: ...
    @property
    def eta(self) -> float: ...
    @property
    def mean_offset(self) -> Optional[float]: ...
    @property
    def dim(self) -> int: ...
    @property
    def num_patterns(self) -> int: ...
    def attention(self, states: FloatArray) -> F32:
        """``softmax(beta Xi s)`` per state: (B, P), or (P,) for a 1-D state."""
    def step(self, states: FloatArray) -> F32: ...
    def run(self, start: FloatArray, steps: int, clamp: Optional[BoolArray] = None) -> F32:
        """Trajectory (steps + 1, N) from one 1-D state; ``clamp`` keeps coordinates fixed."""
    def settle(
        self,
        states: FloatArray,
        observed: Optional[BoolArray] = None,
        *,
        max_steps: int = 100,
        tol: float = 1e-6,
    ) -> tuple[F32, I64, BoolArray]:
        """``(states, steps, converged)`` after running each state to rest."""
    def expression(self, states: FloatArray) -> F64:
        """Least-squares coefficients of each state on the patterns: (B, P) or (P,)."""

class DrDam:
    """Dense associative memory through random features (Hoover et al. 2024).

    Energy ``-ln max(phi(x) . T, kernel_floor) / beta`` with ``T = sum_mu phi(xi_mu)``; update:
    gradient descent. ``add``/``remove`` fold patterns into or out of ``T``.

    Example:
        >>> import engram
        >>> x = engram.random_sphere(20, 16, seed=1)
        >>> approx = engram.DrDam(x, beta=8.0, projections=4000, seed=7)
        >>> bool(abs(approx.energy(x[0]) - engram.MrDam(x, beta=8.0).energy(x[0])) < 0.05)
        True
    """

    def __init__(
        self,
        patterns: Optional[FloatArray] = None,
        *,
        beta: float = 1.0,
        projections: int = 1000,
        kind: Literal["trig", "sincos", "cos", "positive", "exp", "positive-symmetric", "expexp"] = "trig",
        seed: int = 0,
        step_size: float = 1.0,
        kernel_floor: float = 1e-5,
        dim: Optional[int] = None,
    ) -> None: ...
    def add(self, patterns: FloatArray) -> None:
        """``T <- T + sum phi(xi)``."""
    def remove(self, patterns: FloatArray) -> None:
        """``T <- T - sum phi(xi)`` for patterns added before."""
    @property
    def memory(self) -> F64: ...
    @property
    def kind(self) -> str: ...
    @property
    def beta(self) -> float: ...
    @property
    def projections(self) -> int: ...
    @property
    def feature_dim(self) -> int: ...
    @property
    def step_size(self) -> float: ...
    @property
    def dim(self) -> int: ...
    @property
    def num_patterns(self) -> int: ...
    @property
    def parameter_count(self) -> int: ...
    def random_features(self, states: FloatArray) -> F64:
        """``phi(x)`` per state: (B, F), or (F,) for a 1-D state."""
    def kernel_sums(self, states: FloatArray) -> Union[F64, float]:
        """``phi(x) . T`` per state."""
    def gradients(self, states: FloatArray) -> F64: ...
    def energy(self, states: FloatArray) -> Union[F64, float]: ...
    def step(self, states: FloatArray) -> F32: ...
    def recall(
        self,
        queries: FloatArray,
        observed: Optional[BoolArray] = None,
        *,
        max_steps: int = 100,
        tol: float = 1e-6,
        schedule: Optional[Schedule] = None,
        seed: int = 0,
        record_states: bool = False,
    ) -> RecallResult: ...

class MrDam:
    """The exact memory DrDam approximates: ``E(x) = -ln sum_mu exp(-beta/2 |x - xi_mu|^2) / beta``.

    Example:
        >>> import engram
        >>> x = engram.random_sphere(50, 32, seed=1)
        >>> out = engram.MrDam(x, beta=16.0).recall(engram.add_gaussian_noise(x[:3], 0.05, seed=2))
        >>> engram.nearest_pattern(x, out.states).tolist()
        [0, 1, 2]
    """

    def __init__(self, patterns: FloatArray, beta: float = 1.0, step_size: float = 1.0) -> None: ...
    @property
    def beta(self) -> float: ...
    @property
    def step_size(self) -> float: ...
    @property
    def dim(self) -> int: ...
    @property
    def num_patterns(self) -> int: ...
    def gradients(self, states: FloatArray) -> F64: ...
    def energy(self, states: FloatArray) -> Union[F64, float]: ...
    def step(self, states: FloatArray) -> F32: ...
    def recall(
        self,
        queries: FloatArray,
        observed: Optional[BoolArray] = None,
        *,
        max_steps: int = 100,
        tol: float = 1e-6,
        schedule: Optional[Schedule] = None,
        seed: int = 0,
        record_states: bool = False,
    ) -> RecallResult: ...

class GaussianKde:
    """Gaussian kernel density estimate as an associative memory (Schaeffer et al. 2024).

    Energy ``-ln p(x)``, ``p(x) = (1/K) sum_mu N(x; xi_mu, bandwidth^2 I)``; update: mean shift.

    Example:
        >>> import engram
        >>> x = engram.random_sphere(10, 8, seed=1)
        >>> kde = engram.GaussianKde(x, bandwidth=0.1)
        >>> bool(kde.log_density(x[0]) > kde.log_density((x[0] + x[1]) / 2))
        True
    """

    def __init__(self, patterns: FloatArray, bandwidth: float = 1.0) -> None: ...
    @property
    def bandwidth(self) -> float: ...
    @property
    def beta(self) -> float: ...
    @property
    def dim(self) -> int: ...
    @property
    def num_patterns(self) -> int: ...
    def log_density(self, states: FloatArray) -> Union[F64, float]: ...
    def score(self, states: FloatArray) -> F64:
        """``grad ln p(x)`` per state."""
    def langevin(self, start: FloatArray, steps: int, step_size: float, seed: int = 0) -> F32:
        """Final states of unadjusted Langevin chains from each row of ``start``."""
    def stored(self, tolerance: float = 1e-3, steps: int = 100) -> BoolArray:
        """Whether mean shift from each stored pattern stays within ``tolerance`` of it."""
    def energy(self, states: FloatArray) -> Union[F64, float]: ...
    def step(self, states: FloatArray) -> F32: ...
    def recall(
        self,
        queries: FloatArray,
        observed: Optional[BoolArray] = None,
        *,
        max_steps: int = 100,
        tol: float = 1e-6,
        schedule: Optional[Schedule] = None,
        seed: int = 0,
        record_states: bool = False,
    ) -> RecallResult: ...

class KernelizedTrainingReport(TypedDict):
    """``KernelizedHopfield.training``: Stage I's separation loss and minimal separation."""

    initial_loss: float
    final_loss: float
    initial_separation: float
    final_separation: float

class KernelizedHopfield:
    """Kernelized modern Hopfield network with a learned feature map (U-Hop, U-Hop+; Wu et al.
    2024, Hu et al. 2024).

    Energy ``K(x, x) / 2 - lse(beta K(Xi, x)) / beta``, update ``Xi^T softmax(beta K(Xi, x))``
    with ``K`` the ``"dot"`` or ``"cosine"`` kernel on features ``Phi(x)`` (``"identity"``,
    ``"linear"`` or ``"mlp"`` map); ``train_steps > 0`` fits the map to separate the patterns
    first (Stage I).

    Example:
        >>> import engram
        >>> x = engram.random_sphere(40, 16, seed=1)
        >>> net = engram.KernelizedHopfield(x, beta=20.0, train_steps=200)
        >>> net.training["final_separation"] > net.training["initial_separation"]
        True
    """

    def __init__(
        self,
        patterns: FloatArray,
        beta: float = 1.0,
        *,
        feature_map: Literal["identity", "linear", "mlp"] = "linear",
        features: Optional[int] = None,
        hidden: int = 32,
        kernel: Literal["dot", "cosine"] = "dot",
        train_steps: int = 0,
        learning_rate: float = 0.01,
        temperature: float = 0.05,
        seed: int = 0,
        parameters: Optional[Sequence[float]] = None,
    ) -> None: ...
    @property
    def patterns(self) -> F32: ...
    @property
    def beta(self) -> float: ...
    @property
    def kernel(self) -> str: ...
    @property
    def feature_map(self) -> str: ...
    @property
    def dim(self) -> int: ...
    @property
    def feature_dim(self) -> int: ...
    @property
    def num_patterns(self) -> int: ...
    @property
    def parameters(self) -> F64:
        """The map's parameters: ``W`` row-major, then ``U``, ``c``, ``V`` for the MLP."""
    @property
    def training(self) -> Optional[KernelizedTrainingReport]: ...
    def min_separation(self) -> Optional[float]:
        """``1 - max cos(Phi(xi_mu), Phi(xi_nu))`` over stored pairs; None for one pattern."""
    def features(self, states: FloatArray) -> F64:
        """``Phi(x)`` per state: (B, D), or (D,) for a 1-D state."""
    def similarities(self, queries: FloatArray) -> F64:
        """``K(xi_mu, x)`` per query: (B, M), or (M,) for a 1-D query."""
    def retrieve(self, queries: FloatArray) -> F32: ...
    def energy(self, states: FloatArray) -> Union[F64, float]: ...
    def step(self, states: FloatArray) -> F32: ...
    def recall(
        self,
        queries: FloatArray,
        observed: Optional[BoolArray] = None,
        *,
        max_steps: int = 100,
        tol: float = 1e-6,
        schedule: Optional[Schedule] = None,
        seed: int = 0,
        record_states: bool = False,
    ) -> RecallResult: ...

def random_bipolar(k: int, n: int, seed: int = 0) -> F32:
    """``k`` random +1/-1 patterns of dimension ``n``, float32 (k, n)."""

def random_gaussian(k: int, n: int, seed: int = 0) -> F32:
    """``k`` standard normal patterns of dimension ``n``, float32 (k, n)."""

def random_sphere(k: int, n: int, seed: int = 0) -> F32:
    """``k`` patterns uniform on the unit sphere of dimension ``n``, float32 (k, n)."""

def random_binary01(k: int, n: int, seed: int = 0) -> F32:
    """``k`` random 0/1 patterns of dimension ``n``, float32 (k, n)."""

def flip_bits(patterns: FloatArray, fraction: float, seed: int = 0) -> F32:
    """Negates ``round(fraction * dim)`` random entries per row; shaped like ``patterns``."""

def mask_random(
    patterns: FloatArray, fraction: float, fill: float = 0.0, seed: int = 0
) -> tuple[F32, BoolArray]:
    """Hides ``round(fraction * dim)`` random entries per row (set to ``fill``); returns
    ``(cues, observed)`` with observed True where kept."""

def mask_block(
    patterns: FloatArray, image_shape: tuple[int, int], fraction: float, fill: float = 0.0
) -> tuple[F32, BoolArray]:
    """Hides the bottom ``fraction`` of the image rows of every pattern; returns
    ``(cues, observed)``."""

def add_gaussian_noise(patterns: FloatArray, sigma: float, seed: int = 0) -> F32:
    """Adds N(0, sigma^2) noise to every entry; shaped like ``patterns``."""

def overlaps(a: FloatArray, b: FloatArray) -> F32:
    """Per-row ``a_i . b_i / dim``, float32 (rows,)."""

def bit_errors(a: FloatArray, b: FloatArray) -> I64:
    """Per-row count of sign disagreements, int64 (rows,)."""

def nearest_pattern(memory: FloatArray, states: FloatArray) -> I64:
    """Index of the highest-overlap row of ``memory`` for each state, int64 (rows,)."""

def load_digits(
    form: Literal["raw", "unit", "bipolar"] = "raw", threshold: float = 8.0
) -> tuple[F32, npt.NDArray[np.uint8]]:
    """The shipped 8x8 digits: images float32 (1797, 64) and labels uint8 (1797,).

    Example:
        >>> import engram
        >>> images, labels = engram.load_digits(form="bipolar")
        >>> images.shape, sorted(set(images.ravel().tolist()))
        ((1797, 64), [-1.0, 1.0])
    """

class CapacityProbe(TypedDict):
    patterns: int
    mean_overlap: float
    exact_fraction: float
    recalled_fraction: float
    passed: bool

class CapacityOptions(TypedDict):
    trials: int
    flip_fraction: float
    probes_per_trial: int
    max_steps: int
    criterion: str
    max_patterns: int
    seed: int

class CapacityResult(TypedDict):
    model: str
    dim: int
    capacity: int
    capacity_ratio: float
    theory: float
    theory_source: str
    probes: list[CapacityProbe]
    options: CapacityOptions

def capacity(
    model: Literal["hopfield", "dense", "dam"] = "hopfield",
    *,
    rule: str = "hebbian",
    separation: str = "power:3",
    dim: int = 100,
    trials: Optional[int] = None,
    flip_fraction: Optional[float] = None,
    probes_per_trial: Optional[int] = None,
    max_steps: Optional[int] = None,
    criterion: Optional[str] = None,
    max_patterns: Optional[int] = None,
    seed: int = 0,
) -> CapacityResult:
    """Measured storage capacity (doubling then bisection over the number of patterns).

    ``criterion``: "overlap:MEAN", "exact:FRACTION" or "recalled:MIN_OVERLAP:FRACTION"; None
    keeps the model's defaults (returned in ``options``).

    Example:
        >>> import engram
        >>> r = engram.capacity("hopfield", rule="hebbian", dim=100, seed=1)
        >>> r["model"], 5 <= r["capacity"] <= 25
        ('hopfield-hebbian', True)
    """

def set_threads(threads: int) -> None:
    """Sets engram's thread count; call once before any computation (RuntimeError after)."""

def threads() -> int:
    """The number of threads engram computes with."""
