"""Plain numpy versions of the equations engram implements, written from the papers, in float64.

The tests compare engram (Rust, float32) against these. Nothing here imports engram.
"""

import numpy as np


def f64(a):
    return np.asarray(a, dtype=np.float64)


# ----------------------------------------------------------------------------- classical Hopfield


def hebbian(patterns):
    """W = X^T X / N with a zero diagonal (Hopfield 1982)."""
    x = f64(patterns)
    w = x.T @ x / x.shape[1]
    np.fill_diagonal(w, 0.0)
    return w


def storkey(patterns):
    """Storkey (1997): w_ij += (xi_i xi_j - xi_i h_ji - h_ij xi_j) / N per pattern, with
    h_ij = sum_{k != i, j} w_ik xi_k; zero diagonal at the end."""
    x = f64(patterns)
    n = x.shape[1]
    w = np.zeros((n, n))
    for xi in x:
        base = w @ xi - np.diag(w) * xi  # sum over k != i
        h = base[:, None] - w * xi[None, :]  # h[i, j] also leaves out k = j
        w = w + (np.outer(xi, xi) - xi[:, None] * h.T - h * xi[None, :]) / n
    np.fill_diagonal(w, 0.0)
    return w


def pseudoinverse(patterns):
    """Projection onto the span of the patterns: W = X^T (X X^T)^-1 X."""
    x = f64(patterns)
    return x.T @ np.linalg.solve(x @ x.T, x)


def hopfield_energy(w, states):
    """E(s) = -1/2 s^T W s, one per row."""
    s = f64(states)
    return -0.5 * np.einsum("bi,ij,bj->b", s, f64(w), s)


def hopfield_sync_step(w, states):
    """s <- sign(W s); a neuron with zero field keeps its state."""
    s = f64(states)
    h = s @ f64(w)
    return np.where(h > 0, 1.0, np.where(h < 0, -1.0, s))


# ----------------------------------------------------------------------------- softmax family


def logsumexp(z, axis=-1):
    m = np.max(z, axis=axis, keepdims=True)
    return (m + np.log(np.sum(np.exp(z - m), axis=axis, keepdims=True))).squeeze(axis)


def softmax(z, axis=-1):
    e = np.exp(z - np.max(z, axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def sparsemax(z):
    """Euclidean projection of each row onto the probability simplex (Martins & Astudillo 2016)."""
    z = f64(z)
    out = np.empty_like(z)
    for r, row in enumerate(z):
        s = np.sort(row)[::-1]
        cumulative = np.cumsum(s)
        k = np.arange(1, len(s) + 1)
        support = k[1 + k * s > cumulative].max()
        tau = (cumulative[support - 1] - 1) / support
        out[r] = np.maximum(row - tau, 0.0)
    return out


# ----------------------------------------------------------------------------- modern Hopfield


def mhn_attention(patterns, queries, beta):
    return softmax(beta * f64(queries) @ f64(patterns).T)


def mhn_update(patterns, queries, beta):
    """Ramsauer et al. (2020), eq. 3: x <- X^T softmax(beta X x)."""
    return mhn_attention(patterns, queries, beta) @ f64(patterns)


def mhn_energy(patterns, states, beta):
    """Ramsauer et al. (2020), eq. 2: -lse(beta, X x) + x.x/2 + log(K)/beta + M^2/2."""
    x, s = f64(patterns), f64(states)
    lse = logsumexp(beta * s @ x.T) / beta
    big_m_sq = np.max(np.sum(x * x, axis=1))
    return -lse + 0.5 * np.sum(s * s, axis=1) + np.log(x.shape[0]) / beta + 0.5 * big_m_sq


# ----------------------------------------------------------------------------- dense memory


def dam_interaction(kind, param, n):
    """F on integer overlaps m, as engram reports it: (m/N)^n, max(m/N, 0)^n, or exp(beta m)
    handled in log space by dam_energy."""
    if kind == "power":
        return lambda m: (f64(m) / n) ** param
    if kind == "rectified":
        return lambda m: np.maximum(f64(m) / n, 0.0) ** param
    raise ValueError(kind)


def dam_energy(patterns, states, kind, param):
    """E(s) = -sum_mu F(xi_mu . s) (Krotov & Hopfield 2016); for F = exp(beta x), the
    monotone transform -(1/beta) log sum_mu exp(beta m_mu) (Demircigil et al. 2017)."""
    x, s = f64(patterns), f64(states)
    m = np.rint(s @ x.T)
    if kind == "exp":
        return -logsumexp(param * m) / param
    return -dam_interaction(kind, param, x.shape[1])(m).sum(axis=1)


def dam_field(patterns, state, i, kind, param):
    """For neuron i: (energy with s_i = -1) - (energy with s_i = +1); > 0 means +1 is better.

    Computed exactly: integer arithmetic for the powers (scaled by N^n), float64 log-sum-exp for
    the exponential."""
    x = np.rint(f64(patterns)).astype(np.int64)
    s = np.rint(f64(state)).astype(np.int64)
    rest = x @ s - x[:, i] * s[i]
    plus, minus = rest + x[:, i], rest - x[:, i]
    if kind == "power":
        return float(np.sum(plus**param - minus**param))
    if kind == "rectified":
        return float(np.sum(np.maximum(plus, 0) ** param - np.maximum(minus, 0) ** param))
    if kind == "exp":
        return float(logsumexp(param * f64(plus)) - logsumexp(param * f64(minus))) / param
    raise ValueError(kind)


# ----------------------------------------------------------------------------- universal framework


def similarities(keys, queries, kind):
    k, q = f64(keys), f64(queries)
    if kind == "dot":
        return q @ k.T
    if kind == "euclidean":
        return -np.linalg.norm(q[:, None, :] - k[None, :, :], axis=2)
    if kind == "manhattan":
        return -np.abs(q[:, None, :] - k[None, :, :]).sum(axis=2)
    if kind == "cosine":
        qn = np.linalg.norm(q, axis=1, keepdims=True)
        kn = np.linalg.norm(k, axis=1)
        return np.where(qn > 0, (q @ k.T) / np.where(qn > 0, qn, 1.0) / kn, 0.0)
    raise ValueError(kind)


def separate(scores, kind, param=None):
    """Weights and potential Phi (whose gradient the weights are), row by row."""
    z = f64(scores)
    if kind == "softmax":
        return softmax(param * z), logsumexp(param * z) / param
    if kind == "identity":
        return z, 0.5 * np.sum(z * z, axis=1)
    if kind == "power":
        r = np.maximum(z, 0.0)
        return r**param, np.sum(r ** (param + 1), axis=1) / (param + 1)
    if kind == "topk":
        order = np.argsort(-z, axis=1, kind="stable")[:, :param]
        w = np.zeros_like(z)
        np.put_along_axis(w, order, 1.0 / param, axis=1)
        return w, np.take_along_axis(z, order, axis=1).mean(axis=1)
    if kind == "max":
        return separate(z, "topk", 1)
    if kind == "sparsemax":
        return sparsemax(param * z), None
    raise ValueError(kind)


def universal_retrieve(keys, values, queries, sim, sep, param=None):
    w, _ = separate(similarities(keys, queries, sim), sep, param)
    return w @ f64(values)


def universal_energy(keys, states, sim, sep, param=None):
    """E(x) = |x|^2 / 2 - Phi(beta sim(K, x)) / beta (Millidge et al. 2022)."""
    s = f64(states)
    _, phi = separate(similarities(keys, s, sim), sep, param)
    return 0.5 * np.sum(s * s, axis=1) - phi


# ----------------------------------------------------------------------------- sequence memory


def seq_interaction(separation, n):
    """f of a sequence memory for a separation string: power:D, rectified:D, exp:BETA (the last
    as exp(BETA (N-1) (m - 1)), Chaudhry et al. 2023)."""
    name, _, arg = separation.partition(":")
    if name == "power":
        d = int(arg)
        return lambda m: m**d
    if name == "rectified":
        d = int(arg)
        return lambda m: np.maximum(m, 0.0) ** d
    beta = float(arg)
    return lambda m: np.exp(beta * (n - 1) * (m - 1.0))


def sign_or_keep(h, x):
    return np.where(h > 0, 1.0, np.where(h < 0, -1.0, x))


def sequence_fields(patterns, x, separation):
    """h_i = sum_mu xi_i^(mu+1) f(m_i^mu), m_i^mu = sum_{j != i} xi_j^mu x_j / (N - 1)
    (Chaudhry et al. 2023, temporally asymmetric rule), neuron by neuron."""
    xi, x = f64(patterns), f64(x)
    p, n = xi.shape
    f = seq_interaction(separation, n)
    nxt = np.roll(xi, -1, axis=0)  # row mu holds xi^(mu+1)
    h = np.empty(n)
    for i in range(n):
        keep = np.arange(n) != i
        h[i] = nxt[:, i] @ f(xi[:, keep] @ x[keep] / (n - 1))
    return h


def sequence_step(patterns, x, separation):
    """x_i <- sgn(h_i) (sequence_fields); a zero field keeps x_i."""
    return sign_or_keep(sequence_fields(patterns, x, separation), f64(x))


def sequence_pinv_step(patterns, x, degree):
    """Generalized pseudoinverse rule with f(m) = m^degree: m~ = O^-1 (Xi x / N),
    O = Xi Xi^T / N, x <- sgn(sum_mu xi^(mu+1) f(m~_mu))."""
    xi, x = f64(patterns), f64(x)
    n = xi.shape[1]
    m = np.linalg.solve(xi @ xi.T / n, xi @ x / n)
    return sign_or_keep(np.roll(xi, -1, axis=0).T @ m**degree, x)


def variable_timing_run(patterns, hold, degree, lam, coupling, start, steps):
    """x_i(t+1) = sgn(sum_mu xi_i^mu f(m^mu(t)) + lam sum_mu xi_i^(mu+1) g_mu(t)),
    m^mu = xi^mu . x / N, g = f(m(t - hold + 1)) (additive) or f(m(t)) f(m(t - hold + 1)) (gated),
    zero before the start; f(m) = m^degree."""
    xi = f64(patterns)
    n = xi.shape[1]
    nxt = np.roll(xi, -1, axis=0)
    x = f64(start).copy()
    history, out = [], [x.copy()]
    for t in range(steps):
        now = (xi @ x / n) ** degree
        history.append(now)
        past = np.array(
            [history[t - (h - 1)][mu] if t >= h - 1 else 0.0 for mu, h in enumerate(hold)]
        )
        g = past if coupling == "additive" else now * past
        x = sign_or_keep(xi.T @ now + lam * (nxt.T @ g), x)
        out.append(x.copy())
    return np.array(out)


# ----------------------------------------------------------------------------- CDAM


def cdam_step(patterns, adjacency, a, h, beta, eta, c, states):
    """Burns (2024): M = D^-1/2 A D^-1/2 (row sums, empty rows degree 1), w = softmax(beta Xi s),
    s <- s + eta (w^T (a I + h M) Xi - c mean(Xi) - s)."""
    xi, adj, s = f64(patterns), f64(adjacency), np.atleast_2d(f64(states))
    d = adj.sum(axis=1)
    scale = np.where(d > 0, 1.0 / np.sqrt(np.where(d > 0, d, 1.0)), 1.0)
    m = scale[:, None] * adj * scale[None, :]
    q = (a * np.eye(len(xi)) + h * m) @ xi
    z = beta * s @ xi.T
    z -= z.max(axis=1, keepdims=True)
    w = np.exp(z)
    w /= w.sum(axis=1, keepdims=True)
    target = w @ q - c * xi.mean(axis=0)
    return s + eta * (target - s)


# ----------------------------------------------------------------------------- DrDAM, MrDAM, KDE


def logsumexp(z, axis=-1):
    top = z.max(axis=axis, keepdims=True)
    return (top + np.log(np.exp(z - top).sum(axis=axis, keepdims=True))).squeeze(axis)


def mrdam_energy(patterns, states, beta):
    """E(x) = -ln sum_mu exp(-beta/2 |x - xi_mu|^2) / beta (Hoover et al. 2024)."""
    xi, x = f64(patterns), np.atleast_2d(f64(states))
    d2 = ((x[:, None, :] - xi[None, :, :]) ** 2).sum(axis=2)
    return -logsumexp(-beta / 2 * d2) / beta


def mrdam_gradient(patterns, states, beta):
    """grad E(x) = x - sum_mu softmax(-beta/2 |x - xi|^2)_mu xi_mu."""
    xi, x = f64(patterns), np.atleast_2d(f64(states))
    z = -beta / 2 * ((x[:, None, :] - xi[None, :, :]) ** 2).sum(axis=2)
    z -= z.max(axis=1, keepdims=True)
    w = np.exp(z)
    w /= w.sum(axis=1, keepdims=True)
    return x - w @ xi


def kde_log_density(patterns, states, sigma):
    """ln p(x), p = (1/K) sum_mu N(x; xi_mu, sigma^2 I) (Schaeffer et al. 2024)."""
    xi, x = f64(patterns), np.atleast_2d(f64(states))
    k, d = xi.shape
    d2 = ((x[:, None, :] - xi[None, :, :]) ** 2).sum(axis=2)
    return logsumexp(-d2 / (2 * sigma**2)) - np.log(k) - d / 2 * np.log(2 * np.pi * sigma**2)


def kde_mean_shift(patterns, states, sigma):
    """sum_mu softmax(-|x - xi|^2 / (2 sigma^2))_mu xi_mu."""
    return f64(states) - mrdam_gradient(patterns, states, 1.0 / sigma**2)


# ----------------------------------------------------------------------------- U-Hop


def kernelized_energy_and_update(patterns, states, w, beta, kernel="dot"):
    """Phi(x) = W x; K = Phi(x).Phi(y) (dot) or its cosine. E(x) = K(x, x)/2 - lse(beta K(Xi, x))/beta,
    update Xi^T softmax(beta K(Xi, x)) (Wu et al. 2024)."""
    xi, x, w = f64(patterns), np.atleast_2d(f64(states)), f64(w)
    fk, fx = xi @ w.T, x @ w.T
    if kernel == "cosine":
        fk = fk / np.linalg.norm(fk, axis=1, keepdims=True)
        fx = fx / np.linalg.norm(fx, axis=1, keepdims=True)
    k = fx @ fk.T
    self_k = (fx**2).sum(axis=1)
    z = beta * k
    energy = 0.5 * self_k - logsumexp(z) / beta
    z -= z.max(axis=1, keepdims=True)
    a = np.exp(z)
    a /= a.sum(axis=1, keepdims=True)
    return energy, a @ xi, k


def separation_loss(features, temperature):
    """L = ln(mean_{mu<nu} exp(u_mu . u_nu / tau)) / M, u = Phi(xi)/|Phi(xi)| (U-Hop+)."""
    u = f64(features) / np.linalg.norm(features, axis=1, keepdims=True)
    m = len(u)
    c = (u @ u.T)[np.triu_indices(m, 1)]
    return (logsumexp(c / temperature) - np.log(len(c))) / m, 1.0 - c.max()
