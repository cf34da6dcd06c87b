"""Wrong input raises ValueError or TypeError carrying engram's message."""

import numpy as np
import pytest

import engram


@pytest.fixture
def bip():
    return engram.random_bipolar(5, 20, seed=1)


@pytest.fixture
def sphere():
    return engram.random_sphere(10, 8, seed=2)


# ----------------------------------------------------------------------------- types and dtypes


@pytest.mark.parametrize("bad", [[[1.0, -1.0]], ((1.0, -1.0),), 3.0, None, "patterns"])
def test_non_arrays_raise_type_error(bad):
    with pytest.raises(TypeError, match="patterns must be a numpy.ndarray"):
        engram.Hopfield(bad)


@pytest.mark.parametrize("dtype", [np.int64, np.int8, np.bool_, np.float16, np.complex64, object])
def test_wrong_dtypes_raise_type_error(dtype, bip):
    with pytest.raises(TypeError, match="dtype float32 or float64"):
        engram.Hopfield(bip.astype(dtype))
    net = engram.Hopfield(bip)
    with pytest.raises(TypeError, match="states must have dtype float32 or float64"):
        net.energy(bip.astype(dtype))


def test_big_endian_floats_are_refused_clearly(sphere):
    with pytest.raises(TypeError, match="native byte order"):
        engram.ModernHopfield(sphere.astype(">f4"))


def test_observed_mask_must_be_boolean(bip):
    net = engram.Hopfield(bip)
    with pytest.raises(TypeError, match="observed must have dtype bool"):
        net.recall(bip, np.ones(bip.shape, dtype=np.float32))
    with pytest.raises(TypeError, match="observed must be a numpy.ndarray"):
        net.recall(bip, [[True] * 20] * 5)


# ----------------------------------------------------------------------------- shapes


def test_wrong_ranks_raise_value_error(bip, sphere):
    with pytest.raises(ValueError, match="patterns must be a 2-D array"):
        engram.Hopfield(bip[0])
    with pytest.raises(ValueError, match="got 3-D"):
        engram.ModernHopfield(sphere[None])
    with pytest.raises(ValueError, match="queries must be a 1-D or 2-D array"):
        engram.ModernHopfield(sphere).retrieve(sphere[None])
    with pytest.raises(ValueError, match="got 0-D"):
        engram.ModernHopfield(sphere).retrieve(np.ones((), np.float32))


def test_dimension_mismatch_raises_value_error_with_engram_message(bip, sphere):
    net = engram.Hopfield(bip)
    with pytest.raises(ValueError, match=r"shape mismatch: states columns: expected 20, got 19"):
        net.energy(bip[:, :19])
    with pytest.raises(ValueError, match="shape mismatch: queries columns"):
        net.recall(bip[:, :19])
    with pytest.raises(ValueError, match="shape mismatch"):
        engram.ModernHopfield(sphere).retrieve(np.ones((2, 9), dtype=np.float32))
    with pytest.raises(ValueError, match="shape mismatch: observed mask"):
        net.recall(bip, np.ones((5, 19), dtype=bool))
    with pytest.raises(ValueError, match="shape mismatch: values rows"):
        engram.Universal(sphere, values=np.ones((3, 2), dtype=np.float32))
    with pytest.raises(ValueError, match="shape mismatch"):
        engram.overlaps(bip, bip[:3])
    with pytest.raises(ValueError, match="image_shape"):
        engram.mask_block(bip, (3, 3), 0.5)


def test_empty_inputs_raise_value_error():
    with pytest.raises(ValueError, match="empty input"):
        engram.Hopfield(np.zeros((0, 10), dtype=np.float32))
    with pytest.raises(ValueError, match="empty input"):
        engram.ModernHopfield(np.zeros((3, 0), dtype=np.float32))
    net = engram.ModernHopfield(engram.random_sphere(3, 4, seed=1))
    with pytest.raises(ValueError, match="empty input: queries has no rows"):
        net.recall(np.zeros((0, 4), dtype=np.float32))


# ----------------------------------------------------------------------------- values


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_non_finite_values_raise_value_error_with_index(bad, dtype, sphere):
    p = sphere.astype(dtype)
    p[2, 3] = bad
    with pytest.raises(ValueError, match=r"non-finite value in patterns at index 19"):
        engram.ModernHopfield(p)
    with pytest.raises(ValueError, match="non-finite value in patterns"):
        engram.Universal(p)
    net = engram.ModernHopfield(sphere)
    with pytest.raises(ValueError, match=r"non-finite value in queries at index 19"):
        net.recall(p)
    with pytest.raises(ValueError, match="non-finite value in states"):
        net.energy(p)
    with pytest.raises(ValueError, match="non-finite"):
        engram.flip_bits(p, 0.1)


def test_non_finite_values_in_fortran_order_report_the_row_major_index(sphere):
    p = np.asfortranarray(sphere)
    p[2, 3] = np.nan
    with pytest.raises(ValueError, match="at index 19"):
        engram.ModernHopfield(p)


def test_non_bipolar_states_raise_value_error(bip):
    bad = bip.copy()
    bad[1, 4] = 0.5
    with pytest.raises(ValueError, match=r"invalid state: patterns must be bipolar \(\+1/-1\); entry 24 is 0.5"):
        engram.Hopfield(bad)
    with pytest.raises(ValueError, match="must be bipolar"):
        engram.DenseMemory(bad)
    with pytest.raises(ValueError, match="queries must be bipolar"):
        engram.Hopfield(bip).recall(bad)
    with pytest.raises(ValueError, match="states must be bipolar"):
        engram.DenseMemory(bip).step(bad)


@pytest.mark.parametrize("beta", [0.0, -1.0, np.nan, np.inf])
def test_bad_beta_raises_value_error(beta, sphere):
    with pytest.raises(ValueError, match="invalid parameter beta"):
        engram.ModernHopfield(sphere, beta=beta)


def test_unknown_names_raise_value_error(bip, sphere):
    with pytest.raises(ValueError, match="unknown learning rule"):
        engram.Hopfield(bip, rule="oja")
    with pytest.raises(ValueError, match="unknown (interaction|dense-memory separation)"):
        engram.DenseMemory(bip, separation="cubic")
    with pytest.raises(ValueError, match="degree must be a non-negative integer|bad number"):
        engram.DenseMemory(bip, separation="power:2.5")
    with pytest.raises(ValueError, match="invalid parameter degree"):
        engram.DenseMemory(bip, separation="power:0")
    with pytest.raises(ValueError, match="invalid parameter beta"):
        engram.DenseMemory(bip, separation="exp:-1")
    with pytest.raises(ValueError, match="unknown similarity"):
        engram.Universal(sphere, similarity="jaccard")
    with pytest.raises(ValueError, match="unknown separation"):
        engram.Universal(sphere, separation="softermax")
    with pytest.raises(ValueError, match="unknown schedule"):
        engram.Hopfield(bip).recall(bip, schedule="random")
    with pytest.raises(ValueError, match="unknown form"):
        engram.load_digits(form="png")


def test_unsupported_combinations_raise_value_error(bip, sphere):
    with pytest.raises(ValueError, match="unsupported: this model has no asynchronous update"):
        engram.ModernHopfield(sphere).recall(sphere, schedule="async")
    hetero = engram.Universal(sphere, values=np.ones((10, 2), dtype=np.float32))
    with pytest.raises(ValueError, match="hetero-associative"):
        hetero.recall(sphere)
    with pytest.raises(ValueError, match="hetero-associative"):
        hetero.energy(sphere)
    with pytest.raises(ValueError, match="linearly dependent"):
        engram.Hopfield(engram.random_bipolar(30, 20, seed=1), rule="pseudoinverse")
    with pytest.raises(ValueError, match="must be symmetric"):
        engram.Hopfield.from_weights(np.triu(np.ones((4, 4), dtype=np.float32)))
    with pytest.raises(ValueError, match="cosine similarity needs non-zero patterns"):
        engram.Universal(np.zeros((2, 3), dtype=np.float32), similarity="cosine")


def test_bad_recall_options_raise_value_error(sphere):
    net = engram.ModernHopfield(sphere)
    for tol in [-1.0, np.nan, np.inf]:
        with pytest.raises(ValueError, match="invalid parameter tol"):
            net.recall(sphere, tol=tol)
    with pytest.raises(OverflowError):
        net.recall(sphere, max_steps=-1)


def test_bad_corruption_parameters_raise_value_error(bip):
    for fraction in [-0.1, 1.5, np.nan]:
        with pytest.raises(ValueError, match="invalid parameter fraction"):
            engram.flip_bits(bip, fraction)
        with pytest.raises(ValueError, match="invalid parameter fraction"):
            engram.mask_random(bip, fraction)
    with pytest.raises(ValueError, match="invalid parameter fill"):
        engram.mask_random(bip, 0.1, fill=np.nan)
    with pytest.raises(ValueError, match="invalid parameter sigma"):
        engram.add_gaussian_noise(bip, -1.0)


def test_bad_capacity_arguments_raise_value_error():
    with pytest.raises(ValueError, match="unknown model"):
        engram.capacity("boltzmann")
    with pytest.raises(ValueError, match="criterion"):
        engram.capacity(criterion="best")
    with pytest.raises(ValueError, match="invalid parameter dim"):
        engram.capacity(dim=1)
    with pytest.raises(ValueError, match="invalid parameter trials"):
        engram.capacity(trials=0)
    with pytest.raises(ValueError, match="flip_fraction"):
        engram.capacity(flip_fraction=0.9)


def test_set_threads_rejects_zero():
    with pytest.raises(ValueError, match="invalid parameter threads"):
        engram.set_threads(0)
