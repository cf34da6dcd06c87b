"""Sequence memories, CDAM, DrDAM/MrDAM and the Gaussian KDE against plain numpy versions of their
equations (tests/reference.py), their shapes, and their error cases."""

import numpy as np
import pytest

import engram
import reference as ref


# ----------------------------------------------------------------------------- SequenceMemory


@pytest.mark.parametrize("separation", ["power:1", "power:2", "power:3", "rectified:2", "exp:1"])
def test_sequence_step_matches_the_self_excluded_update(separation):
    patterns = engram.random_bipolar(12, 31, seed=3)
    seq = engram.SequenceMemory(patterns, separation=separation)
    # Random states, and stored patterns with a few flipped bits (fields far from zero).
    states = np.vstack([engram.random_bipolar(6, 31, seed=4), engram.flip_bits(patterns, 0.1, seed=5)])
    got = seq.step(states)
    h = np.array([ref.sequence_fields(patterns, x, separation) for x in states])
    want = ref.sign_or_keep(h, states)
    # Exact ties (h = 0, common for power:1 on random states) keep the state; engram's float32
    # field may land a rounding error away from zero there, so ties are compared separately.
    scale = np.abs(h).max(axis=1, keepdims=True)
    clear = np.abs(h) > 1e-5 * scale
    assert clear.mean() > 0.9
    np.testing.assert_array_equal(got[clear], want[clear])
    assert set(np.unique(got)) <= {-1.0, 1.0}
    # The fields are the reference fields up to a positive factor per row.
    fields = seq.fields(states)
    assert fields.shape == states.shape and fields.dtype == np.float32
    np.testing.assert_allclose(fields / np.abs(fields).max(axis=1, keepdims=True), h / scale, atol=1e-4)


def test_sequence_pseudoinverse_step_matches_reference():
    base = engram.random_bipolar(1, 64, seed=1)
    # Correlated patterns: each shares most bits with a common base.
    patterns = np.where(engram.random_binary01(10, 64, seed=2) * (np.arange(64) < 24) > 0, -base, base)
    patterns = patterns.astype(np.float32)
    patterns[:, :10] = engram.random_bipolar(10, 10, seed=3)  # keep them linearly independent
    seq = engram.SequenceMemory(patterns, separation="power:1", rule="pseudoinverse")
    assert seq.rule == "pseudoinverse"
    states = engram.flip_bits(patterns, 0.05, seed=4)
    want = np.array([ref.sequence_pinv_step(patterns, x, 1) for x in states])
    np.testing.assert_array_equal(seq.step(states), want)
    assert seq.recalls_sequence()
    assert (seq.transition_errors() == 0).all()


def test_sequence_run_replays_the_cycle():
    patterns = engram.random_bipolar(20, 100, seed=1)
    seq = engram.SequenceMemory(patterns, separation="power:2")
    trajectory = seq.run(patterns[0], 45)
    assert trajectory.shape == (46, 100) and trajectory.dtype == np.float32
    np.testing.assert_array_equal(trajectory, patterns[np.arange(46) % 20])
    assert seq.recalls_sequence()
    errors = seq.transition_errors()
    assert errors.dtype == np.int64 and errors.shape == (20,) and errors.sum() == 0
    # 1-D in, 1-D out; a (1, N) start is one state too.
    assert seq.step(patterns[3]).shape == (100,)
    np.testing.assert_array_equal(seq.run(patterns[None, 0], 1)[1], patterns[1])
    assert (seq.num_patterns, seq.dim, seq.separation, seq.rule) == (20, 100, "power:2", "hebbian")
    np.testing.assert_array_equal(seq.patterns, patterns)
    assert repr(seq).startswith("SequenceMemory(num_patterns=20, dim=100")


def test_sequence_overload_has_transition_errors():
    patterns = engram.random_bipolar(60, 50, seed=7)  # far above the classical capacity
    seq = engram.SequenceMemory(patterns, separation="power:1")
    errors = seq.transition_errors()
    want = [int((ref.sequence_step(patterns, patterns[mu], "power:1") != patterns[(mu + 1) % 60]).sum()) for mu in range(60)]
    assert errors.tolist() == want
    assert errors.sum() > 0 and not seq.recalls_sequence()


def test_sequence_errors():
    bip = engram.random_bipolar(5, 20, seed=1)
    with pytest.raises(ValueError, match="must be bipolar"):
        engram.SequenceMemory(bip * 0.5)
    with pytest.raises(ValueError, match="at least 2 neurons"):
        engram.SequenceMemory(bip[:, :1])
    with pytest.raises(ValueError, match="unknown sequence rule"):
        engram.SequenceMemory(bip, rule="oja")
    with pytest.raises(ValueError, match="invalid parameter"):
        engram.SequenceMemory(bip, separation="power:0")
    with pytest.raises(ValueError, match="linearly independent"):
        engram.SequenceMemory(engram.random_bipolar(30, 20, seed=2), rule="pseudoinverse")
    with pytest.raises(TypeError, match="dtype float32 or float64"):
        engram.SequenceMemory(bip.astype(np.int8))
    with pytest.raises(ValueError, match="2-D"):
        engram.SequenceMemory(bip[0])
    seq = engram.SequenceMemory(bip)
    with pytest.raises(ValueError, match="start must be one state"):
        seq.run(bip[:2], 3)
    with pytest.raises(ValueError, match="shape mismatch"):
        seq.step(bip[:, :19])
    with pytest.raises(ValueError, match="must be bipolar"):
        seq.step(np.zeros(20, dtype=np.float32))
    with pytest.raises(ValueError, match="non-finite"):
        seq.fields(np.full(20, np.nan))


# ----------------------------------------------------------------------------- VariableTiming


@pytest.mark.parametrize("coupling", ["gated", "additive"])
def test_variable_timing_matches_reference(coupling):
    patterns = engram.random_bipolar(4, 100, seed=2)
    hold = [3, 1, 4, 2] if coupling == "gated" else [3, 3, 3, 3]
    net = engram.VariableTiming(patterns, hold, separation="power:2", lam=2.0, coupling=coupling)
    got = net.run(patterns[0], 24)
    want = ref.variable_timing_run(patterns, hold, 2, 2.0, coupling, patterns[0], 24)
    np.testing.assert_array_equal(got, want)
    assert net.hold == hold and net.coupling == coupling and net.lam == 2.0 and net.dim == 100


def test_variable_timing_holds_each_pattern():
    patterns = engram.random_bipolar(4, 100, seed=2)
    net = engram.VariableTiming(patterns, np.array([3, 1, 4, 2]), separation="power:2")
    visited = engram.nearest_pattern(patterns, net.run(patterns[0], 10)).tolist()
    assert visited == [0, 0, 0, 1, 2, 2, 2, 2, 3, 3, 0]
    assert "coupling='gated'" in repr(net)


def test_variable_timing_errors():
    patterns = engram.random_bipolar(4, 30, seed=2)
    with pytest.raises(ValueError, match="hold times"):
        engram.VariableTiming(patterns, [1, 2, 3])
    with pytest.raises(ValueError, match="at least 1 step"):
        engram.VariableTiming(patterns, [1, 0, 2, 2])
    with pytest.raises(ValueError, match="at least 1 step"):
        engram.VariableTiming(patterns, [1, -1, 2, 2])
    with pytest.raises(ValueError, match="unknown coupling"):
        engram.VariableTiming(patterns, [1, 1, 1, 1], coupling="mixed")
    with pytest.raises(ValueError, match="invalid parameter lambda"):
        engram.VariableTiming(patterns, [1, 1, 1, 1], lam=0.0)
    with pytest.raises(TypeError):
        engram.VariableTiming(patterns, "1111")
    net = engram.VariableTiming(patterns, [2, 2, 2, 2])
    with pytest.raises(ValueError, match="must be bipolar"):
        net.run(np.full(30, 0.5), 2)
    with pytest.raises(ValueError, match="shape mismatch"):
        net.run(patterns[0, :29], 2)


# ----------------------------------------------------------------------------- CDAM


def cycle(p):
    return np.roll(np.eye(p, dtype=np.float32), 1, axis=1)


@pytest.mark.parametrize(
    "a, h, beta, eta, offset",
    [(1.0, 0.0, 8.0, 1.0, None), (0.0, 1.0, 50.0, 1.0, None), (0.5, 0.8, 5.0, 0.3, 1.0), (1.0, -0.4, 2.0, 0.7, 0.0)],
)
def test_cdam_step_matches_reference(a, h, beta, eta, offset):
    patterns = engram.random_sphere(6, 32, seed=1)
    adjacency = engram.random_binary01(6, 6, seed=2) * np.float32(1.5)
    adjacency[3] = 0.0  # a node without out-edges
    net = engram.Cdam(patterns, adjacency, a=a, h=h, beta=beta, eta=eta, mean_offset=offset)
    states = engram.random_gaussian(5, 32, seed=3) * np.float32(0.3)
    c = 1.0 / 32 if offset is None else offset
    want = ref.cdam_step(patterns, adjacency, a, h, beta, eta, c, states)
    np.testing.assert_allclose(net.step(states), want, atol=2e-5)
    np.testing.assert_allclose(net.offset, c * patterns.mean(axis=0), atol=1e-7)
    # One row, 1-D in and out; run gives the same steps.
    np.testing.assert_allclose(net.step(states[0]), want[0], atol=2e-5)
    trajectory = net.run(states[0], 3)
    x = states[0]
    for t in range(1, 4):
        x = ref.cdam_step(patterns, adjacency, a, h, beta, eta, c, x)[0]
        np.testing.assert_allclose(trajectory[t], x, atol=1e-4)


def test_cdam_attention_transition_and_properties():
    patterns = engram.random_sphere(4, 16, seed=5)
    adjacency = np.array([[0, 2, 0, 0], [1, 0, 1, 0], [0, 0, 0, 0], [1, 1, 1, 0]], dtype=np.float32)
    net = engram.Cdam(patterns, adjacency, a=0.2, h=0.9, beta=4.0, eta=0.5)
    d = adjacency.sum(axis=1)
    s = np.where(d > 0, 1 / np.sqrt(np.maximum(d, 1e-30)), 1.0)
    np.testing.assert_allclose(net.transition, s[:, None] * adjacency * s[None, :], rtol=1e-6)
    q = engram.random_gaussian(3, 16, seed=1)
    z = 4.0 * q.astype(np.float64) @ patterns.T
    w = np.exp(z - z.max(axis=1, keepdims=True))
    np.testing.assert_allclose(net.attention(q), w / w.sum(axis=1, keepdims=True), atol=1e-6)
    assert net.attention(q[0]).shape == (4,)
    assert (net.a, net.h, net.beta, net.eta, net.mean_offset) == (np.float32(0.2), np.float32(0.9), 4.0, 0.5, None)
    assert (net.dim, net.num_patterns) == (16, 4)
    np.testing.assert_array_equal(net.adjacency, adjacency)
    np.testing.assert_array_equal(net.patterns, patterns)
    assert repr(net).startswith("Cdam(num_patterns=4, dim=16")


def test_cdam_hetero_association_walks_the_cycle():
    patterns = engram.random_sphere(3, 64, seed=1)
    net = engram.Cdam(patterns, cycle(3), a=0.0, h=1.0, beta=50.0, mean_offset=0.0)
    trajectory = net.run(patterns[0], 6)
    assert engram.nearest_pattern(patterns, trajectory).tolist() == [0, 1, 2, 0, 1, 2, 0]


def test_cdam_settle_clamp_and_expression():
    patterns = engram.random_sphere(5, 24, seed=2)
    net = engram.Cdam(patterns, np.zeros((5, 5), np.float32), a=1.0, h=0.0, beta=30.0, eta=0.5, mean_offset=0.0)
    cues = engram.add_gaussian_noise(patterns, 0.05, seed=3)
    states, steps, converged = net.settle(cues, max_steps=200, tol=1e-6)
    assert states.shape == (5, 24) and steps.dtype == np.int64 and converged.dtype == np.bool_
    assert converged.all() and (steps > 1).all()
    assert engram.nearest_pattern(patterns, states).tolist() == [0, 1, 2, 3, 4]
    # Settled states are fixed points of the reference update.
    np.testing.assert_allclose(ref.cdam_step(patterns, np.zeros((5, 5)), 1.0, 0.0, 30.0, 0.5, 0.0, states), states, atol=1e-4)
    observed = np.zeros((5, 24), dtype=bool)
    observed[:, :4] = True
    clamped, _, _ = net.settle(cues, observed, max_steps=50)
    np.testing.assert_array_equal(clamped[:, :4], cues[:, :4])
    one, s1, c1 = net.settle(cues[0])
    assert one.shape == (24,) and s1.shape == (1,)
    mask = np.zeros(24, dtype=bool)
    mask[5] = True
    run = net.run(cues[0], 4, clamp=mask)
    assert (run[:, 5] == cues[0, 5]).all()
    coef = net.expression(patterns)
    np.testing.assert_allclose(coef, np.eye(5), atol=1e-5)
    assert net.expression(patterns[1]).shape == (5,) and coef.dtype == np.float64


def test_cdam_errors():
    patterns = engram.random_sphere(4, 8, seed=1)
    adj = cycle(4)
    with pytest.raises(ValueError, match="adjacency"):
        engram.Cdam(patterns, adj[:3])
    with pytest.raises(ValueError, match="edge weights must be >= 0"):
        engram.Cdam(patterns, -adj)
    with pytest.raises(ValueError, match="invalid parameter eta"):
        engram.Cdam(patterns, adj, eta=0.0)
    with pytest.raises(ValueError, match="invalid parameter eta"):
        engram.Cdam(patterns, adj, eta=1.5)
    with pytest.raises(ValueError, match="invalid parameter beta"):
        engram.Cdam(patterns, adj, beta=-1.0)
    with pytest.raises(ValueError, match="invalid parameter a"):
        engram.Cdam(patterns, adj, a=float("inf"))
    with pytest.raises(ValueError, match="non-finite"):
        engram.Cdam(np.where(patterns > 0.5, np.nan, patterns), adj)
    with pytest.raises(TypeError, match="adjacency must have dtype"):
        engram.Cdam(patterns, adj.astype(int))
    with pytest.raises(TypeError):
        engram.Cdam(patterns, adj, 1.0)  # strengths are keyword-only
    net = engram.Cdam(patterns, adj)
    with pytest.raises(ValueError, match="shape mismatch"):
        net.step(patterns[:, :7])
    with pytest.raises(TypeError, match="clamp must have dtype bool"):
        net.run(patterns[0], 2, clamp=np.zeros(8))
    with pytest.raises(ValueError, match="clamp mask"):
        net.run(patterns[0], 2, clamp=np.zeros(7, dtype=bool))
    with pytest.raises(ValueError, match="observed mask"):
        net.settle(patterns, np.zeros((4, 7), dtype=bool))
    with pytest.raises(ValueError, match="invalid parameter tol"):
        net.settle(patterns, tol=-1.0)
    with pytest.raises(ValueError, match="linearly dependent"):
        engram.Cdam(np.vstack([patterns, patterns[:1]]), cycle(5)).expression(patterns)


# ----------------------------------------------------------------------------- MrDAM and DrDAM


def test_mrdam_energy_gradient_and_step_match_reference():
    x = engram.random_gaussian(30, 12, seed=1) * np.float32(0.5)
    q = engram.random_gaussian(7, 12, seed=2) * np.float32(0.5)
    net = engram.MrDam(x, beta=3.0, step_size=0.5)
    np.testing.assert_allclose(net.energy(q), ref.mrdam_energy(x, q, 3.0), rtol=1e-5, atol=1e-6)
    grad = ref.mrdam_gradient(x, q, 3.0)
    np.testing.assert_allclose(net.gradients(q), grad, atol=1e-5)
    np.testing.assert_allclose(net.step(q), q - 0.5 * grad, atol=1e-5)
    assert isinstance(net.energy(q[0]), float)
    out = net.recall(q, max_steps=200, tol=1e-7)
    assert (np.diff(out.energies, axis=1)[~np.isnan(np.diff(out.energies, axis=1))] <= 1e-9).all()
    assert (net.beta, net.step_size, net.dim, net.num_patterns) == (3.0, 0.5, 12, 30)


def test_mrdam_on_the_sphere_is_the_modern_hopfield_update():
    x = engram.random_sphere(40, 16, seed=3)
    q = engram.add_gaussian_noise(x[:5], 0.1, seed=4)
    q /= np.linalg.norm(q, axis=1, keepdims=True)
    mhn = engram.ModernHopfield(x, beta=6.0)
    np.testing.assert_allclose(engram.MrDam(x, beta=6.0).step(q), mhn.retrieve(q), atol=1e-5)


@pytest.mark.parametrize("kind", ["trig", "cos", "positive", "positive-symmetric"])
def test_drdam_energy_is_its_definition(kind):
    x = engram.random_sphere(25, 10, seed=1)
    q = engram.add_gaussian_noise(x[:6], 0.2, seed=2)
    net = engram.DrDam(x, beta=4.0, projections=512, kind=kind, seed=11, step_size=0.5, kernel_floor=1e-6)
    phi_x = net.random_features(x)
    phi_q = net.random_features(q)
    assert phi_x.dtype == np.float64 and phi_x.shape == (25, net.feature_dim)
    assert net.feature_dim == (1024 if kind in ("trig", "positive-symmetric") else 512)
    # T = sum_mu phi(xi_mu); the estimate is phi(x) . T; E = -ln max(estimate, floor) / beta.
    np.testing.assert_allclose(net.memory, phi_x.sum(axis=0), rtol=1e-9, atol=1e-12)
    sums = phi_q @ phi_x.sum(axis=0)
    np.testing.assert_allclose(net.kernel_sums(q), sums, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(net.energy(q), -np.log(np.maximum(sums, 1e-6)) / 4.0, rtol=1e-9, atol=1e-12)
    # One step is x - step_size * gradient.
    np.testing.assert_allclose(net.step(q), q - 0.5 * net.gradients(q), atol=1e-6)
    if kind == "trig":
        # cos^2 + sin^2: every trig feature vector has unit norm, so phi(x).phi(x) = 1 = kappa(x, x).
        np.testing.assert_allclose((phi_q**2).sum(axis=1), 1.0, rtol=1e-12)


def test_drdam_approximates_the_exact_energy_and_gradient():
    x = engram.random_sphere(20, 8, seed=1)
    q = engram.add_gaussian_noise(x[:4], 0.1, seed=2)
    net = engram.DrDam(x, beta=4.0, projections=20000, seed=3)
    np.testing.assert_allclose(net.energy(q), ref.mrdam_energy(x, q, 4.0), atol=0.03)
    np.testing.assert_allclose(net.gradients(q), ref.mrdam_gradient(x, q, 4.0), atol=0.05)
    # Kernel estimates against the kernel itself.
    k = net.random_features(q) @ net.random_features(x).T
    d2 = ((q[:, None, :].astype(np.float64) - x[None]) ** 2).sum(axis=2)
    np.testing.assert_allclose(k, np.exp(-2.0 * d2), atol=0.03)


def test_drdam_gradient_is_the_derivative_of_its_energy():
    x = engram.random_sphere(10, 6, seed=5)
    net = engram.DrDam(x, beta=2.0, projections=300, seed=1)
    q = engram.add_gaussian_noise(x[:2], 0.3, seed=6).astype(np.float64)
    g = net.gradients(q)
    eps = 1e-3
    for i in range(6):
        e = np.zeros(6)
        e[i] = eps
        fd = (net.energy(q + e) - net.energy(q - e)) / (2 * eps)
        np.testing.assert_allclose(fd, g[:, i], rtol=2e-2, atol=2e-3)


def test_drdam_add_and_remove():
    x = engram.random_sphere(12, 8, seed=1)
    full = engram.DrDam(x, beta=3.0, projections=64, seed=4)
    grown = engram.DrDam(dim=8, beta=3.0, projections=64, seed=4)
    assert grown.num_patterns == 0
    grown.add(x[:5])
    grown.add(x[5:])
    np.testing.assert_allclose(grown.memory, full.memory, atol=1e-12)
    grown.remove(x[10])
    assert grown.num_patterns == 11
    np.testing.assert_allclose(grown.memory, engram.DrDam(x[:10], beta=3.0, projections=64, seed=4).memory
                               + full.random_features(x[11]), atol=1e-12)
    assert full.parameter_count == 128 + 64 * 8
    assert (full.kind, full.beta, full.projections, full.dim, full.step_size) == ("trig", 3.0, 64, 8, 1.0)
    assert repr(full).startswith("DrDam(num_patterns=12, dim=8")
    out = full.recall(x[:2], max_steps=5)
    assert out.states.shape == (2, 8)


def test_drdam_and_mrdam_errors():
    x = engram.random_sphere(5, 8, seed=1)
    with pytest.raises(ValueError, match="unknown feature map"):
        engram.DrDam(x, kind="laplace")
    with pytest.raises(ValueError, match="at least one random feature"):
        engram.DrDam(x, projections=0)
    with pytest.raises(ValueError, match="invalid parameter beta"):
        engram.DrDam(x, beta=0.0)
    with pytest.raises(ValueError, match="step"):
        engram.DrDam(x, step_size=0.0)
    with pytest.raises(ValueError, match="kernel_floor"):
        engram.DrDam(x, kernel_floor=0.0)
    with pytest.raises(ValueError, match="patterns or dim"):
        engram.DrDam()
    with pytest.raises(ValueError, match="shape mismatch"):
        engram.DrDam(x, dim=7)
    with pytest.raises(TypeError):
        engram.DrDam(x, 2.0)  # options are keyword-only
    empty = engram.DrDam(dim=8)
    with pytest.raises(ValueError):
        empty.energy(x)
    with pytest.raises(ValueError):
        empty.remove(x)
    net = engram.DrDam(x)
    with pytest.raises(ValueError, match="shape mismatch"):
        net.add(x[:, :7])
    with pytest.raises(ValueError, match="non-finite"):
        net.energy(np.full(8, np.inf))
    with pytest.raises(TypeError, match="dtype float32 or float64"):
        net.step(x.astype(np.int32))
    with pytest.raises(ValueError, match="invalid parameter beta"):
        engram.MrDam(x, beta=-2.0)
    with pytest.raises(ValueError):
        engram.MrDam(x, step_size=0.0)
    with pytest.raises(ValueError, match="shape mismatch"):
        engram.MrDam(x).energy(x[:, :3])


# ----------------------------------------------------------------------------- Gaussian KDE


def test_kde_log_density_score_and_mean_shift_match_reference():
    x = engram.random_gaussian(40, 5, seed=1)
    q = engram.random_gaussian(9, 5, seed=2)
    kde = engram.GaussianKde(x, bandwidth=0.7)
    np.testing.assert_allclose(kde.log_density(q), ref.kde_log_density(x, q, 0.7), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(kde.energy(q), -ref.kde_log_density(x, q, 0.7), rtol=1e-5, atol=1e-5)
    shift = ref.kde_mean_shift(x, q, 0.7)
    np.testing.assert_allclose(kde.step(q), shift, atol=1e-5)
    np.testing.assert_allclose(kde.score(q), (shift - q) / 0.49, rtol=1e-4, atol=1e-4)
    assert isinstance(kde.log_density(q[0]), float) and kde.score(q[0]).shape == (5,)
    assert kde.bandwidth == pytest.approx(0.7) and kde.beta == pytest.approx(1 / 0.49)
    assert (kde.dim, kde.num_patterns) == (5, 40)


def test_kde_density_integrates_to_one_in_one_dimension():
    x = np.array([[-1.0], [0.5], [2.0]], dtype=np.float32)
    kde = engram.GaussianKde(x, bandwidth=0.4)
    grid = np.linspace(-6, 8, 4001)[:, None]
    dens = np.exp(kde.log_density(grid))
    integral = float(((dens[1:] + dens[:-1]) / 2 * np.diff(grid[:, 0])).sum())
    assert integral == pytest.approx(1.0, abs=1e-4)


def test_kde_recall_stored_and_langevin():
    x = engram.random_sphere(10, 8, seed=1)
    kde = engram.GaussianKde(x, bandwidth=0.1)
    out = kde.recall(engram.add_gaussian_noise(x, 0.02, seed=3))
    assert engram.nearest_pattern(x, out.states).tolist() == list(range(10))
    steps = np.diff(out.energies, axis=1)
    assert (steps[~np.isnan(steps)] <= 1e-6).all()
    stored = kde.stored(tolerance=1e-2, steps=50)
    assert stored.dtype == np.bool_ and stored.all()
    assert not engram.GaussianKde(x, bandwidth=5.0).stored(tolerance=1e-2, steps=50).any()
    # One center: Langevin's stationary variance is sigma^2 / (1 - eta / (2 sigma^2)).
    one = engram.GaussianKde(np.zeros((1, 1), np.float32), bandwidth=1.0)
    chains = one.langevin(np.zeros((4000, 1), np.float32), 200, 0.2, seed=5)
    assert chains.shape == (4000, 1) and chains.dtype == np.float32
    assert chains.var() == pytest.approx(1.0 / (1.0 - 0.1), rel=0.08)
    a = kde.langevin(x[0], 3, 0.01, seed=1)
    assert a.shape == (8,)
    np.testing.assert_array_equal(a, kde.langevin(x[0], 3, 0.01, seed=1))


def test_kde_errors():
    x = engram.random_sphere(5, 4, seed=1)
    with pytest.raises(ValueError, match="invalid parameter bandwidth"):
        engram.GaussianKde(x, bandwidth=0.0)
    with pytest.raises(ValueError, match="non-finite"):
        engram.GaussianKde(np.full((2, 2), np.nan))
    with pytest.raises(ValueError):
        engram.GaussianKde(np.zeros((0, 4), np.float32))
    kde = engram.GaussianKde(x)
    with pytest.raises(ValueError, match="invalid parameter step_size"):
        kde.langevin(x, 2, 0.0)
    with pytest.raises(ValueError, match="shape mismatch"):
        kde.log_density(x[:, :3])
    with pytest.raises(TypeError, match="states must have dtype"):
        kde.energy(x.astype(np.complex64))


# ----------------------------------------------------------------------------- U-Hop


def test_kernelized_identity_dot_is_the_modern_hopfield_network():
    x = engram.random_sphere(30, 12, seed=1)
    q = engram.add_gaussian_noise(x[:5], 0.2, seed=2)
    net = engram.KernelizedHopfield(x, beta=5.0, feature_map="identity")
    mhn = engram.ModernHopfield(x, beta=5.0)
    np.testing.assert_allclose(net.retrieve(q), mhn.retrieve(q), atol=1e-5)
    # ModernHopfield's energy adds ln K / beta + M^2 / 2 (M the largest pattern norm, 1 here).
    np.testing.assert_allclose(net.energy(q) + np.log(30) / 5.0 + 0.5, mhn.energy(q), atol=1e-5)
    assert net.parameters.shape == (0,) and net.training is None
    assert (net.feature_map, net.kernel, net.dim, net.feature_dim, net.num_patterns) == ("identity", "dot", 12, 12, 30)


@pytest.mark.parametrize("kernel", ["dot", "cosine"])
def test_kernelized_linear_map_matches_reference(kernel):
    x = engram.random_gaussian(20, 6, seed=1)
    q = engram.random_gaussian(4, 6, seed=2)
    net = engram.KernelizedHopfield(x, beta=2.0, feature_map="linear", features=9, kernel=kernel, seed=3)
    w = net.parameters.reshape(9, 6)
    np.testing.assert_allclose(net.features(q), q.astype(np.float64) @ w.T, rtol=1e-12, atol=1e-12)
    energy, update, k = ref.kernelized_energy_and_update(x, q, w, 2.0, kernel)
    np.testing.assert_allclose(net.similarities(q), k, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(net.energy(q), energy, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(net.retrieve(q), update, atol=1e-5)
    np.testing.assert_allclose(net.step(q[0]), update[0], atol=1e-5)
    # Given parameters are used as they are.
    w2 = engram.random_gaussian(9, 6, seed=9).astype(np.float64)
    net2 = engram.KernelizedHopfield(x, beta=2.0, features=9, kernel=kernel, parameters=w2.ravel())
    np.testing.assert_array_equal(net2.parameters, w2.ravel())
    np.testing.assert_allclose(net2.energy(q), ref.kernelized_energy_and_update(x, q, w2, 2.0, kernel)[0], rtol=1e-6, atol=1e-6)


def test_kernelized_linear_dot_recall_never_raises_the_energy():
    x = engram.random_gaussian(25, 8, seed=4)
    net = engram.KernelizedHopfield(x, beta=1.5, features=8, parameters=engram.random_gaussian(8, 8, seed=5).ravel())
    out = net.recall(engram.random_gaussian(6, 8, seed=6), max_steps=50)
    steps = np.diff(out.energies, axis=1)
    assert (steps[~np.isnan(steps)] <= 1e-6).all()


@pytest.mark.parametrize("feature_map", ["linear", "mlp"])
def test_kernelized_training_separates_the_patterns(feature_map):
    x = engram.random_sphere(24, 8, seed=1)
    net = engram.KernelizedHopfield(x, beta=8.0, feature_map=feature_map, hidden=16, train_steps=150, temperature=0.05)
    r = net.training
    assert set(r) == {"initial_loss", "final_loss", "initial_separation", "final_separation"}
    assert r["final_loss"] < r["initial_loss"] and r["final_separation"] > r["initial_separation"]
    loss, sep = ref.separation_loss(net.features(x), 0.05)
    assert r["final_loss"] == pytest.approx(loss, rel=1e-9, abs=1e-12)
    assert r["final_separation"] == pytest.approx(sep, rel=1e-9, abs=1e-12)
    assert net.min_separation() == pytest.approx(sep, rel=1e-9, abs=1e-12)
    if feature_map == "mlp":
        assert net.parameters.size == 8 * 8 + 16 * 8 + 16 + 8 * 16
    assert engram.KernelizedHopfield(x[:1]).min_separation() is None
    assert repr(net).startswith("KernelizedHopfield(num_patterns=24, dim=8")


def test_kernelized_errors():
    x = engram.random_sphere(5, 4, seed=1)
    with pytest.raises(ValueError, match="unknown feature map"):
        engram.KernelizedHopfield(x, feature_map="rbf")
    with pytest.raises(ValueError, match="unknown kernel"):
        engram.KernelizedHopfield(x, kernel="l2")
    with pytest.raises(ValueError, match="invalid parameter beta"):
        engram.KernelizedHopfield(x, beta=0.0)
    with pytest.raises(ValueError, match="identity map keeps"):
        engram.KernelizedHopfield(x, feature_map="identity", features=3)
    with pytest.raises(ValueError, match="invalid parameter hidden"):
        engram.KernelizedHopfield(x, feature_map="mlp", hidden=0)
    with pytest.raises(ValueError, match="invalid parameter learning_rate"):
        engram.KernelizedHopfield(x, train_steps=3, learning_rate=0.0)
    with pytest.raises(ValueError, match="invalid parameter temperature"):
        engram.KernelizedHopfield(x, train_steps=3, temperature=-1.0)
    with pytest.raises(ValueError):
        engram.KernelizedHopfield(x[:1], train_steps=3)  # training needs two patterns
    with pytest.raises(ValueError, match="shape mismatch"):
        engram.KernelizedHopfield(x, parameters=np.zeros(3))
    with pytest.raises(ValueError, match="non-finite"):
        engram.KernelizedHopfield(x, parameters=np.full(16, np.nan))
    with pytest.raises(TypeError):
        engram.KernelizedHopfield(x, 1.0, "linear")  # options are keyword-only
    net = engram.KernelizedHopfield(x)
    with pytest.raises(ValueError, match="shape mismatch"):
        net.retrieve(x[:, :3])
    with pytest.raises(TypeError, match="queries must have dtype"):
        net.similarities(x.astype(np.int16))


# ----------------------------------------------------------------------------- GIL


def ticks_during(call, seconds=0.5):
    """How many ticks a 1 ms Python ticker thread got in while ``call`` ran (repeated to fill
    about ``seconds``), not counting 10 ms at either end of each call."""
    import threading
    import time

    start = time.perf_counter()
    call()
    repeats = max(1, int(seconds / max(time.perf_counter() - start, 1e-3)))
    ticks, stop = [], threading.Event()

    def ticker():
        while not stop.is_set():
            ticks.append(time.perf_counter())
            time.sleep(0.001)

    thread = threading.Thread(target=ticker)
    thread.start()
    time.sleep(0.02)
    inside = 0
    try:
        for _ in range(repeats):
            begin = time.perf_counter()
            call()
            end = time.perf_counter()
            inside += sum(1 for t in list(ticks) if begin + 0.01 < t < end - 0.01)
    finally:
        stop.set()
        thread.join()
    return inside


def test_sequence_and_cdam_release_the_gil():
    # With the GIL held the ticker cannot append a single tick inside a call, so one tick
    # proves the release; asking for more only measures how busy the machine's cores are.
    patterns = engram.random_bipolar(400, 800, seed=1)
    seq = engram.SequenceMemory(patterns, separation="power:2")
    # Calls must outlast the 10 ms margins of ticks_during by far, even on a fast machine.
    states = engram.random_bipolar(8000, 800, seed=2)
    assert ticks_during(lambda: seq.step(states)) >= 1
    x = engram.random_sphere(400, 800, seed=3)
    net = engram.Cdam(x, np.ones((400, 400), np.float32), a=1.0, h=0.5, beta=4.0, eta=0.5)
    assert ticks_during(lambda: net.settle(x, max_steps=100, tol=0.0)) >= 1
