"""recall(): the shared loop, checked step by step against numpy."""

import numpy as np
import pytest

import engram
import reference as ref


def test_mhn_recall_trajectory_follows_the_numpy_update_and_energy():
    patterns = engram.random_sphere(60, 32, seed=1)
    beta = 8.0
    net = engram.ModernHopfield(patterns, beta=beta)
    queries = engram.add_gaussian_noise(patterns[:6], 0.2, seed=2)
    out = net.recall(queries, max_steps=50, tol=1e-6, record_states=True)
    assert isinstance(out, engram.RecallResult) and len(out) == 6
    assert out.states.shape == (6, 32) and out.states.dtype == np.float32
    assert out.steps.dtype == np.int64 and out.converged.dtype == np.bool_
    assert out.converged.all()
    for q in range(6):
        trajectory = out.trajectories[q]
        trace = out.energy_traces[q]
        assert trajectory.shape == (out.steps[q] + 1, 32)
        assert len(trace) == out.steps[q] + 1
        np.testing.assert_array_equal(trajectory[0], queries[q])
        np.testing.assert_array_equal(trajectory[-1], out.states[q])
        # Every transition is one numpy update, every energy the numpy energy of that state.
        np.testing.assert_allclose(
            trajectory[1:], ref.mhn_update(patterns, trajectory[:-1], beta), rtol=1e-4, atol=1e-5
        )
        np.testing.assert_allclose(trace, ref.mhn_energy(patterns, trajectory, beta), atol=1e-4)
        assert np.all(np.diff(trace) <= 1e-5), "MHN energy must not rise"
        # Padded 2-D energies hold the same trace, then NaN.
        np.testing.assert_array_equal(out.energies[q, : len(trace)], trace)
        assert np.isnan(out.energies[q, len(trace) :]).all()
        assert out.final_energies[q] == trace[-1]
    # Retrieval ends nearest to the pattern each query was made from.
    np.testing.assert_array_equal(engram.nearest_pattern(patterns, out.states), np.arange(6))


def test_mhn_recall_fixed_point_matches_numpy_iteration():
    patterns = engram.random_sphere(30, 20, seed=3)
    beta = 2.0  # small beta: metastable averages, several steps
    queries = engram.random_gaussian(4, 20, seed=4) / 3
    out = engram.ModernHopfield(patterns, beta).recall(queries, max_steps=500, tol=1e-7)
    x = queries.astype(np.float64)
    for _ in range(500):
        nxt = ref.mhn_update(patterns, x, beta)
        if np.abs(nxt - x).max() <= 1e-10:
            break
        x = nxt
    np.testing.assert_allclose(out.states, x, atol=1e-4)


def test_hopfield_async_recall_descends_to_fixed_points():
    patterns = engram.random_bipolar(10, 100, seed=5)
    net = engram.Hopfield(patterns)
    cues = engram.flip_bits(patterns, 0.15, seed=6)
    out = net.recall(cues, seed=3)
    w = ref.hebbian(patterns)
    assert out.converged.all()
    for trace in out.energy_traces:
        assert np.all(np.diff(trace) <= 1e-9)
    np.testing.assert_allclose(out.final_energies, ref.hopfield_energy(w, out.states), rtol=1e-6)
    # A converged asynchronous run is a fixed point of the synchronous rule too.
    np.testing.assert_array_equal(ref.hopfield_sync_step(w, out.states), out.states)
    np.testing.assert_array_equal(out.states, patterns)


def test_recall_is_seeded():
    patterns = engram.random_bipolar(12, 80, seed=7)
    net = engram.Hopfield(patterns)
    cues = engram.flip_bits(patterns, 0.3, seed=8)
    a = net.recall(cues, seed=1, record_states=True)
    b = net.recall(cues, seed=1, record_states=True)
    np.testing.assert_array_equal(a.states, b.states)
    for x, y in zip(a.trajectories, b.trajectories):
        np.testing.assert_array_equal(x, y)


def test_hopfield_sync_recall_matches_numpy_iteration():
    patterns = engram.random_bipolar(12, 64, seed=9)
    net = engram.Hopfield(patterns)
    cues = engram.flip_bits(patterns, 0.2, seed=10)
    out = net.recall(cues, schedule="sync", max_steps=30)
    w = ref.hebbian(patterns)
    x = cues.astype(np.float64)
    steps = np.zeros(len(x), dtype=int)
    done = np.zeros(len(x), dtype=bool)
    for _ in range(30):
        nxt = ref.hopfield_sync_step(w, x)
        moved = np.abs(nxt - x).max(axis=1) > 0
        steps[~done] += 1
        x = np.where(done[:, None], x, nxt)
        done |= ~moved
        if done.all():
            break
    np.testing.assert_array_equal(out.states, x)
    np.testing.assert_array_equal(out.steps, steps)
    np.testing.assert_array_equal(out.converged, done)


@pytest.mark.parametrize("schedule", ["async", "sync"])
def test_dam_recall_beyond_hebbian_capacity(schedule):
    patterns = engram.random_bipolar(60, 100, seed=11)  # 0.6 N patterns
    dam = engram.DenseMemory(patterns, "power:3")
    cues = engram.flip_bits(patterns, 0.05, seed=12)
    out = dam.recall(cues, schedule=schedule)
    np.testing.assert_array_equal(out.states, patterns)
    np.testing.assert_allclose(out.final_energies, ref.dam_energy(patterns, out.states, "power", 3))
    hebbian = engram.Hopfield(patterns).recall(cues)
    assert (hebbian.states != patterns).any()


def test_observed_entries_stay_clamped():
    patterns = engram.random_bipolar(8, 64, seed=13)
    net = engram.Hopfield(patterns)
    cues, observed = engram.mask_random(patterns, 0.4, fill=1.0, seed=14)
    out = net.recall(cues, observed, record_states=True)
    np.testing.assert_array_equal(out.states[observed], cues[observed])
    for q, trajectory in enumerate(out.trajectories):
        np.testing.assert_array_equal(trajectory[:, observed[q]], np.broadcast_to(cues[q, observed[q]], trajectory[:, observed[q]].shape))
    np.testing.assert_array_equal(out.states, patterns)

    sphere = engram.random_sphere(30, 16, seed=15)
    mhn = engram.ModernHopfield(sphere, beta=10.0)
    cues, observed = engram.mask_random(sphere[:5], 0.5, seed=16)
    out = mhn.recall(cues, observed)
    np.testing.assert_array_equal(out.states[observed], cues[observed])


def test_digit_completion_from_the_top_half():
    images, labels = engram.load_digits(form="bipolar")
    first = [int(np.flatnonzero(labels == d)[0]) for d in range(10)]
    memory = images[first]
    cues, observed = engram.mask_block(memory, (8, 8), 0.5, fill=-1.0)
    dam = engram.DenseMemory(memory, "exp:1")
    out = dam.recall(cues, observed)
    assert (engram.nearest_pattern(memory, out.states) == np.arange(10)).sum() >= 8


def test_max_steps_and_unconverged_queries():
    patterns = engram.random_sphere(30, 16, seed=17)
    net = engram.ModernHopfield(patterns, beta=1.0)
    queries = engram.random_gaussian(3, 16, seed=18)
    out = net.recall(queries, max_steps=1)
    assert (out.steps == 1).all() and not out.converged.any()
    assert out.energies.shape == (3, 2)
    out = net.recall(queries, max_steps=0)
    np.testing.assert_array_equal(out.states, queries)
    assert (out.steps == 0).all() and out.energies.shape == (3, 1)


def test_one_dimensional_query_is_a_batch_of_one():
    patterns = engram.random_bipolar(4, 50, seed=19)
    net = engram.Hopfield(patterns)
    out = net.recall(patterns[2])
    assert out.states.shape == (1, 50) and out.energies.shape[0] == 1
    np.testing.assert_array_equal(out.states[0], patterns[2])
    assert "RecallResult(queries=1" in repr(out)
    assert out.trajectories is None
