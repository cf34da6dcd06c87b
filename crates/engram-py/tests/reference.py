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
