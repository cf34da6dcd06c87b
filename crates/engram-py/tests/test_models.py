"""Every model against the numpy reference equations in reference.py."""

import numpy as np
import pytest

import engram
import reference as ref


def bipolar(k, n, seed):
    return np.random.default_rng(seed).choice([-1.0, 1.0], size=(k, n)).astype(np.float32)


# ----------------------------------------------------------------------------- Hopfield


@pytest.mark.parametrize(
    "rule, expected",
    [("hebbian", ref.hebbian), ("storkey", ref.storkey), ("pseudoinverse", ref.pseudoinverse)],
)
def test_hopfield_weights_match_the_learning_rules(rule, expected):
    patterns = bipolar(6, 40, seed=1)
    net = engram.Hopfield(patterns, rule=rule)
    assert net.rule == rule and net.dim == 40
    assert net.weights.dtype == np.float32 and net.weights.shape == (40, 40)
    np.testing.assert_allclose(net.weights, expected(patterns), atol=1e-5)


def test_pseudoinverse_weights_fix_every_pattern():
    patterns = bipolar(20, 50, seed=2)
    net = engram.Hopfield(patterns, rule="pseudoinverse")
    np.testing.assert_allclose(patterns @ net.weights, patterns, atol=1e-4)


def test_hopfield_energy_and_sync_step_match_numpy():
    patterns = bipolar(8, 64, seed=3)
    net = engram.Hopfield(patterns)
    states = bipolar(10, 64, seed=4)
    w = ref.hebbian(patterns)
    energies = net.energy(states)
    assert energies.dtype == np.float64 and energies.shape == (10,)
    np.testing.assert_allclose(energies, ref.hopfield_energy(w, states), rtol=1e-5)
    np.testing.assert_array_equal(net.step(states), ref.hopfield_sync_step(w, states))
    np.testing.assert_allclose(net.local_fields(states), states @ w, atol=1e-5)


def test_hopfield_zero_field_keeps_the_state():
    # One pattern of ones: neuron i's field is (sum(s) - s_i) / 3, zero for some neurons here,
    # including ones in state -1 (which a "sign(0) = +1" rule would flip).
    patterns = np.ones((1, 3), dtype=np.float32)
    net = engram.Hopfield(patterns)
    state = np.array([[-1, -1, 1], [1, -1, 1]], dtype=np.float32)
    w = ref.hebbian(patterns)
    assert ((state @ w == 0) & (state == -1)).any()
    np.testing.assert_array_equal(net.step(state), ref.hopfield_sync_step(w, state))


def test_hopfield_from_weights_round_trips():
    patterns = bipolar(5, 30, seed=5)
    w = ref.hebbian(patterns)
    net = engram.Hopfield.from_weights(w)
    assert net.rule is None
    np.testing.assert_allclose(net.weights, w, atol=1e-7)
    states = bipolar(4, 30, seed=6)
    np.testing.assert_allclose(net.energy(states), ref.hopfield_energy(w, states), rtol=1e-5)


# ----------------------------------------------------------------------------- modern Hopfield


@pytest.mark.parametrize("beta", [0.5, 4.0, 32.0])
def test_mhn_update_attention_and_energy_match_numpy(beta):
    rng = np.random.default_rng(7)
    patterns = rng.standard_normal((50, 24)).astype(np.float32) / 5
    queries = rng.standard_normal((9, 24)).astype(np.float32) / 5
    net = engram.ModernHopfield(patterns, beta=beta)
    assert net.beta == pytest.approx(beta) and net.num_patterns == 50 and net.dim == 24
    expected = ref.mhn_update(patterns, queries, beta)
    np.testing.assert_allclose(net.retrieve(queries), expected, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(net.step(queries), expected, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(
        net.attention(queries), ref.mhn_attention(patterns, queries, beta), rtol=1e-4, atol=1e-6
    )
    np.testing.assert_allclose(
        net.energy(queries), ref.mhn_energy(patterns, queries, beta), rtol=1e-5, atol=1e-5
    )


def test_mhn_energy_is_non_negative_and_never_rises_along_updates():
    patterns = engram.random_sphere(40, 16, seed=8)
    net = engram.ModernHopfield(patterns, beta=6.0)
    state = engram.random_gaussian(5, 16, seed=9) / 4
    previous = ref.mhn_energy(patterns, state, 6.0)
    assert (previous >= 0).all()
    for _ in range(10):
        state = net.step(state)
        now = ref.mhn_energy(patterns, state, 6.0)
        assert (now <= previous + 1e-6).all()
        previous = now


# ----------------------------------------------------------------------------- dense memory


@pytest.mark.parametrize(
    "separation, kind, param",
    [
        ("power:3", "power", 3),
        ("power:2", "power", 2),
        ("rectified:4", "rectified", 4),
        ("exp:1.0", "exp", 1.0),
        ("exp:0.25", "exp", 0.25),
    ],
)
def test_dam_energy_matches_numpy(separation, kind, param):
    patterns = bipolar(12, 48, seed=10)
    dam = engram.DenseMemory(patterns, separation=separation)
    states = np.vstack([patterns[:3], bipolar(6, 48, seed=11)])
    np.testing.assert_allclose(
        dam.energy(states), ref.dam_energy(patterns, states, kind, param), rtol=1e-9, atol=1e-9
    )
    np.testing.assert_array_equal(dam.overlaps(states), np.rint(states @ patterns.T))


@pytest.mark.parametrize(
    "separation, kind, param",
    [("power:3", "power", 3), ("rectified:2", "rectified", 2), ("exp:0.5", "exp", 0.5)],
)
def test_dam_sync_step_takes_the_lower_energy_sign(separation, kind, param):
    patterns = bipolar(10, 32, seed=12)
    dam = engram.DenseMemory(patterns, separation=separation)
    states = engram.flip_bits(patterns[:4], 0.25, seed=13)
    stepped = dam.step(states)
    checked = 0
    for b in range(states.shape[0]):
        for i in range(states.shape[1]):
            field = ref.dam_field(patterns, states[b], i, kind, param)
            if abs(field) < 1e-9:  # a tie keeps the state; rounding decides borderline cases
                continue
            assert stepped[b, i] == (1.0 if field > 0 else -1.0), (b, i, field)
            checked += 1
    assert checked > 100


def test_dense_memory_properties():
    patterns = bipolar(7, 20, seed=14)
    dam = engram.DenseMemory(patterns, separation="rectified:5")
    assert dam.separation == "rectified:5"
    assert (dam.num_patterns, dam.dim) == (7, 20)
    np.testing.assert_array_equal(dam.patterns, patterns)
    assert engram.DenseMemory(patterns).separation == "power:3"
    assert engram.DenseMemory(patterns, "exp").separation == "exp:1"


# ----------------------------------------------------------------------------- universal


@pytest.mark.parametrize("similarity", ["dot", "euclidean", "manhattan", "cosine"])
@pytest.mark.parametrize(
    "separation, kind, param",
    [("softmax:3", "softmax", 3.0), ("max", "max", None), ("topk:3", "topk", 3)],
)
def test_universal_retrieval_matches_numpy(similarity, separation, kind, param):
    rng = np.random.default_rng(15)
    keys = rng.standard_normal((30, 12)).astype(np.float32)
    queries = keys[:5] + 0.3 * rng.standard_normal((5, 12)).astype(np.float32)
    net = engram.Universal(keys, similarity=similarity, separation=separation)
    np.testing.assert_allclose(
        net.similarities(queries), ref.similarities(keys, queries, similarity), rtol=1e-5, atol=1e-5
    )
    np.testing.assert_allclose(
        net.retrieve(queries),
        ref.universal_retrieve(keys, keys, queries, similarity, kind, param),
        rtol=1e-4,
        atol=1e-5,
    )


@pytest.mark.parametrize(
    "separation, kind, param",
    [
        ("softmax:2", "softmax", 2.0),
        ("identity", "identity", None),
        ("power:2", "power", 2),
        ("topk:2", "topk", 2),
        ("max", "max", None),
    ],
)
def test_universal_energy_matches_numpy(separation, kind, param):
    rng = np.random.default_rng(16)
    keys = rng.standard_normal((20, 8)).astype(np.float32) / 3
    states = rng.standard_normal((6, 8)).astype(np.float32) / 3
    net = engram.Universal(keys, "dot", separation)
    np.testing.assert_allclose(
        net.energy(states), ref.universal_energy(keys, states, "dot", kind, param), rtol=1e-5, atol=1e-5
    )
    np.testing.assert_allclose(
        net.step(states), ref.universal_retrieve(keys, keys, states, "dot", kind, param), rtol=1e-4, atol=1e-5
    )


def test_universal_softmax_dot_equals_modern_hopfield_up_to_the_energy_constant():
    patterns = engram.random_sphere(25, 10, seed=17)
    queries = engram.random_sphere(4, 10, seed=18)
    uni = engram.Universal(patterns, "dot", "softmax:5")
    mhn = engram.ModernHopfield(patterns, beta=5.0)
    np.testing.assert_allclose(uni.retrieve(queries), mhn.retrieve(queries), atol=1e-6)
    offset = np.log(25) / 5 + 0.5 * np.max(np.sum(patterns.astype(np.float64) ** 2, axis=1))
    np.testing.assert_allclose(mhn.energy(queries) - uni.energy(queries), offset, atol=1e-5)


@pytest.mark.parametrize("separation", ["sparsemax:2", "entmax:2:2"])
def test_universal_sparsemax_matches_numpy(separation):
    """entmax with alpha = 2 is sparsemax (Peters et al. 2019)."""
    rng = np.random.default_rng(19)
    keys = rng.standard_normal((15, 6)).astype(np.float32)
    queries = rng.standard_normal((4, 6)).astype(np.float32)
    net = engram.Universal(keys, "dot", separation)
    z = 2.0 * ref.similarities(keys, queries, "dot")
    p = ref.sparsemax(z)
    assert ((p > 0).sum(axis=1) < 15).all(), "the test needs sparse weights"
    np.testing.assert_allclose(net.attention(queries), p, atol=1e-5)
    np.testing.assert_allclose(net.retrieve(queries), p @ keys, atol=1e-5)
    # Phi(z) = <p, z> - |p|^2 / 2 + 1/2, and E = |x|^2 / 2 - Phi(beta s) / beta.
    phi = np.sum(p * z, axis=1) - 0.5 * np.sum(p * p, axis=1) + 0.5
    energy = 0.5 * np.sum(queries.astype(np.float64) ** 2, axis=1) - phi / 2.0
    np.testing.assert_allclose(net.energy(queries), energy, rtol=1e-5, atol=1e-5)


def test_universal_hetero_association_maps_keys_to_values():
    keys = engram.random_sphere(40, 16, seed=20)
    values = np.random.default_rng(21).standard_normal((40, 3)).astype(np.float32)
    net = engram.Universal(keys, "dot", "softmax:50", values=values)
    assert net.is_hetero and net.values.shape == (40, 3)
    out = net.retrieve(keys)
    assert out.shape == (40, 3)
    np.testing.assert_allclose(out, ref.universal_retrieve(keys, values, keys, "dot", "softmax", 50.0), atol=1e-4)
    assert net.similarity == "dot" and net.separation.startswith("softmax")
