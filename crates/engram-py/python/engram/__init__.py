"""engram: energy-based associative memories, numpy in and numpy out.

Store patterns, recall them from partial or noisy cues, and read the energy that recall
descends. The models are written in Rust (the ``engram`` crate); this package is a thin
binding over it.

* ``Hopfield``: classical Hopfield network (Hebbian, Storkey or pseudoinverse weights).
* ``DenseMemory``: dense associative memory (polynomial, rectified polynomial, exponential).
* ``ModernHopfield``: the softmax memory of Ramsauer et al. (2020).
* ``Universal``: any similarity x separation (Millidge et al. 2022), optionally hetero-associative.
* ``SequenceMemory``, ``VariableTiming``: cyclic sequences of bipolar patterns (Chaudhry et al.
  2023).
* ``Cdam``: continuous patterns linked by a memory graph (Burns 2024).
* ``DrDam``, ``MrDam``: dense associative memory through random features and its exact
  counterpart (Hoover et al. 2024).
* ``KernelizedHopfield``: modern Hopfield retrieval in a learned feature space (U-Hop, U-Hop+;
  Wu et al. 2024, Hu et al. 2024).
* ``GaussianKde``: a Gaussian kernel density estimate as a memory (Schaeffer et al. 2024).

Arrays: inputs are numpy arrays of dtype float32 or float64 (float64 is converted to float32,
the precision engram computes in; energies come back as float64). float32 arrays are read in
place whatever their memory order; a 1-D array is one row. Wrong shapes, dtypes and non-finite
values raise ValueError or TypeError with engram's message. Long computations release the GIL.

Example:
    >>> import engram
    >>> patterns = engram.random_bipolar(5, 200, seed=7)
    >>> net = engram.Hopfield(patterns)
    >>> out = net.recall(engram.flip_bits(patterns, 0.1, seed=1))
    >>> bool((out.states == patterns).all()), out.energies.shape[0]
    (True, 5)
"""

from ._engram import (
    Cdam,
    DenseMemory,
    DrDam,
    GaussianKde,
    Hopfield,
    KernelizedHopfield,
    ModernHopfield,
    MrDam,
    RecallResult,
    SequenceMemory,
    Universal,
    VariableTiming,
    __version__,
    add_gaussian_noise,
    bit_errors,
    capacity,
    flip_bits,
    load_digits,
    mask_block,
    mask_random,
    nearest_pattern,
    overlaps,
    random_binary01,
    random_bipolar,
    random_gaussian,
    random_sphere,
    set_threads,
    threads,
)

__all__ = [
    "Cdam",
    "DenseMemory",
    "DrDam",
    "GaussianKde",
    "Hopfield",
    "KernelizedHopfield",
    "ModernHopfield",
    "MrDam",
    "RecallResult",
    "SequenceMemory",
    "Universal",
    "VariableTiming",
    "__version__",
    "add_gaussian_noise",
    "bit_errors",
    "capacity",
    "flip_bits",
    "load_digits",
    "mask_block",
    "mask_random",
    "nearest_pattern",
    "overlaps",
    "random_binary01",
    "random_bipolar",
    "random_gaussian",
    "random_sphere",
    "set_threads",
    "threads",
]
