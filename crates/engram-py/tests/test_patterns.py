"""Generators, corruption helpers, metrics and the shipped digits."""

import numpy as np
import pytest

import engram


@pytest.mark.parametrize(
    "make", [engram.random_bipolar, engram.random_gaussian, engram.random_sphere, engram.random_binary01]
)
def test_generators_are_seeded_float32(make):
    a = make(20, 300, seed=5)
    assert a.shape == (20, 300) and a.dtype == np.float32
    np.testing.assert_array_equal(a, make(20, 300, seed=5))
    assert not np.array_equal(a, make(20, 300, seed=6))
    assert make(0, 4).shape == (0, 4)


def test_generator_distributions():
    b = engram.random_bipolar(50, 400, seed=1)
    assert set(np.unique(b)) == {-1.0, 1.0} and abs(b.mean()) < 0.02
    g = engram.random_gaussian(50, 400, seed=1)
    assert abs(g.mean()) < 0.02 and abs(g.std() - 1) < 0.02
    s = engram.random_sphere(50, 400, seed=1)
    np.testing.assert_allclose(np.linalg.norm(s, axis=1), 1.0, atol=1e-5)
    z = engram.random_binary01(50, 400, seed=1)
    assert set(np.unique(z)) == {0.0, 1.0} and abs(z.mean() - 0.5) < 0.02


def test_flip_bits_flips_exactly_round_fraction_dim_per_row():
    p = engram.random_bipolar(8, 101, seed=1)
    for fraction, count in [(0.0, 0), (0.1, 10), (0.5, 51), (1.0, 101)]:
        c = engram.flip_bits(p, fraction, seed=3)
        assert ((c != p).sum(axis=1) == count).all()
        np.testing.assert_array_equal(np.abs(c), 1.0)
    # Row i is corrupted the same way alone or in a batch.
    np.testing.assert_array_equal(engram.flip_bits(p[:2], 0.2, seed=4), engram.flip_bits(p, 0.2, seed=4)[:2])
    np.testing.assert_array_equal(engram.flip_bits(p[0], 0.2, seed=4), engram.flip_bits(p, 0.2, seed=4)[0])


def test_mask_random_and_mask_block():
    p = engram.random_bipolar(5, 40, seed=4)
    cues, observed = engram.mask_random(p, 0.25, fill=0.0, seed=9)
    assert observed.dtype == np.bool_ and observed.shape == p.shape
    assert ((~observed).sum(axis=1) == 10).all()
    np.testing.assert_array_equal(cues[observed], p[observed])
    assert (cues[~observed] == 0).all()
    img = np.arange(24, dtype=np.float32).reshape(2, 12) + 1
    cues, observed = engram.mask_block(img, (4, 3), 0.5, fill=-7.0)
    assert (observed[:, :6]).all() and not observed[:, 6:].any()
    assert (cues[:, 6:] == -7).all()
    np.testing.assert_array_equal(cues[:, :6], img[:, :6])


def test_gaussian_noise():
    z = np.zeros((20, 1000), dtype=np.float32)
    noisy = engram.add_gaussian_noise(z, 0.5, seed=1)
    assert abs(noisy.std() - 0.5) < 0.01
    np.testing.assert_array_equal(noisy, engram.add_gaussian_noise(z, 0.5, seed=1))
    np.testing.assert_array_equal(engram.add_gaussian_noise(z, 0.0), z)


def test_metrics_match_numpy():
    a = engram.random_bipolar(6, 50, seed=1)
    b = engram.flip_bits(a, 0.2, seed=2)
    np.testing.assert_allclose(engram.overlaps(a, b), (a * b).sum(axis=1) / 50, atol=1e-7)
    errors = engram.bit_errors(a, b)
    assert errors.dtype == np.int64
    np.testing.assert_array_equal(errors, ((a > 0) != (b > 0)).sum(axis=1))
    memory = engram.random_bipolar(10, 50, seed=3)
    states = engram.flip_bits(memory[[3, 1, 7]], 0.1, seed=4)
    np.testing.assert_array_equal(engram.nearest_pattern(memory, states), [3, 1, 7])
    np.testing.assert_array_equal(engram.nearest_pattern(memory, states), np.argmax(states @ memory.T, axis=1))


def test_load_digits():
    images, labels = engram.load_digits()
    assert images.shape == (1797, 64) and images.dtype == np.float32
    assert labels.shape == (1797,) and labels.dtype == np.uint8
    assert images.min() == 0 and images.max() == 16
    np.testing.assert_array_equal(np.bincount(labels), [178, 182, 177, 183, 181, 182, 181, 179, 174, 180])
    np.testing.assert_array_equal(images[0, :8], [0, 0, 5, 13, 9, 1, 0, 0])
    unit, _ = engram.load_digits(form="unit")
    np.testing.assert_allclose(unit, images / 16)
    bipolar, _ = engram.load_digits(form="bipolar")
    np.testing.assert_array_equal(bipolar, np.where(images > 8, 1.0, -1.0))
    bipolar4, _ = engram.load_digits(form="bipolar", threshold=4.0)
    np.testing.assert_array_equal(bipolar4, np.where(images > 4, 1.0, -1.0))
