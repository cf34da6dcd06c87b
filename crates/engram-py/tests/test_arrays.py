"""Array handling at the border: dtypes, memory orders, strides, ranks, ownership."""

import numpy as np
import pytest

import engram


@pytest.fixture
def mhn_case():
    patterns = engram.random_sphere(40, 24, seed=1)
    queries = engram.add_gaussian_noise(patterns[:7], 0.1, seed=2)
    return patterns, queries


def variants(a):
    """The same values as float32 C, float32 F, float64 C, float64 F and a strided view."""
    wide = np.zeros((a.shape[0], 2 * a.shape[1]), dtype=np.float32)
    wide[:, ::2] = a
    return {
        "f32-C": np.ascontiguousarray(a, dtype=np.float32),
        "f32-F": np.asfortranarray(a, dtype=np.float32),
        "f64-C": np.ascontiguousarray(a, dtype=np.float64),
        "f64-F": np.asfortranarray(a, dtype=np.float64),
        "f32-strided": wide[:, ::2],
        "f32-reversed": np.ascontiguousarray(a[::-1])[::-1],
    }


@pytest.mark.parametrize("kind", list(variants(np.zeros((1, 1))).keys()))
def test_every_layout_and_float_dtype_gives_the_same_result(mhn_case, kind):
    patterns, queries = mhn_case
    base = engram.ModernHopfield(patterns, beta=6.0)
    expected = base.retrieve(queries)
    expected_energy = base.energy(queries)
    p = variants(patterns)[kind]
    q = variants(queries)[kind]
    net = engram.ModernHopfield(p, beta=6.0)
    np.testing.assert_allclose(net.retrieve(q), expected, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(net.energy(q), expected_energy, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(net.recall(q).states, base.recall(queries).states, rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(net.patterns, patterns)


def test_outputs_are_float32_and_owned(mhn_case):
    patterns, queries = mhn_case
    net = engram.ModernHopfield(patterns.astype(np.float64), beta=2.0)
    out = net.retrieve(queries.astype(np.float64))
    assert out.dtype == np.float32 and out.flags.c_contiguous and out.flags.writeable
    assert net.energy(queries).dtype == np.float64
    out[:] = 0  # writing to a result must not touch the model
    assert np.abs(net.retrieve(queries)).sum() > 0


def test_inputs_are_not_modified():
    patterns = engram.random_bipolar(5, 40, seed=3)
    kept = patterns.copy()
    cues = engram.flip_bits(patterns, 0.2, seed=4)
    kept_cues = cues.copy()
    engram.Hopfield(patterns).recall(cues)
    engram.DenseMemory(patterns).recall(cues)
    np.testing.assert_array_equal(patterns, kept)
    np.testing.assert_array_equal(cues, kept_cues)


def test_read_only_inputs_are_accepted():
    patterns = engram.random_bipolar(5, 40, seed=5)
    patterns.flags.writeable = False
    net = engram.Hopfield(patterns)
    np.testing.assert_array_equal(net.recall(patterns).states, patterns)


def test_one_dimensional_inputs_give_one_dimensional_outputs():
    patterns = engram.random_sphere(10, 8, seed=6)
    net = engram.ModernHopfield(patterns, beta=4.0)
    q = patterns[3]
    assert net.retrieve(q).shape == (8,)
    np.testing.assert_allclose(net.retrieve(q), net.retrieve(q[None, :])[0])
    assert net.step(q).shape == (8,)
    assert net.attention(q).shape == (10,)
    e = net.energy(q)
    assert isinstance(e, float)
    assert e == pytest.approx(float(net.energy(q[None, :])[0]))
    assert engram.flip_bits(engram.random_bipolar(1, 10, seed=1)[0], 0.5).shape == (10,)
    cues, observed = engram.mask_random(patterns[0], 0.5, seed=1)
    assert cues.shape == (8,) and observed.shape == (8,) and observed.dtype == np.bool_
    assert engram.add_gaussian_noise(patterns[0], 0.1).shape == (8,)
    hop = engram.Hopfield(engram.random_bipolar(3, 12, seed=2))
    assert hop.step(np.ones(12, dtype=np.float32)).shape == (12,)
    assert isinstance(hop.energy(np.ones(12, dtype=np.float32)), float)


def test_one_dimensional_observed_mask_with_one_dimensional_query():
    patterns = engram.random_bipolar(3, 30, seed=7)
    net = engram.Hopfield(patterns)
    cues, observed = engram.mask_random(patterns[1], 0.3, fill=1.0, seed=8)
    out = net.recall(cues, observed)
    np.testing.assert_array_equal(out.states[0][observed], cues[observed])


def test_float64_values_outside_float32_range_are_refused():
    p = np.ones((2, 4))
    p[1, 2] = 1e300
    with pytest.raises(ValueError, match="does not fit in float32"):
        engram.ModernHopfield(p)


def test_integer_arrays_need_an_explicit_cast():
    ints = np.array([[1, -1, 1, -1]])
    with pytest.raises(TypeError, match="float32 or float64"):
        engram.Hopfield(ints)
    net = engram.Hopfield(ints.astype(np.float32))
    assert net.dim == 4


def test_dense_memory_overlaps_follow_the_input_rank():
    patterns = engram.random_bipolar(6, 20, seed=9)
    dam = engram.DenseMemory(patterns)
    m = dam.overlaps(patterns)
    assert m.dtype == np.int32 and m.shape == (6, 6)
    np.testing.assert_array_equal(m.diagonal(), 20)
    np.testing.assert_array_equal(dam.overlaps(patterns[2]), m[2])
