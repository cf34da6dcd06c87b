"""Modern Hopfield retrieval, numpy vs engram: the timing table of crates/engram-py/README.md.

Usage (with engram and numpy installed):

    python crates/engram-py/bench/mhn_vs_numpy.py            # every shape, 1 thread and all cores
    python crates/engram-py/bench/mhn_vs_numpy.py --quick    # the smallest shape only

Every (shape, threads) case runs in a fresh subprocess with OPENBLAS_NUM_THREADS,
OMP_NUM_THREADS, MKL_NUM_THREADS and RAYON_NUM_THREADS set to the same count, so numpy's BLAS
and engram's pool get the same cores. Both sides compute in float32. Reported: the fastest of
several timed runs after a warm-up, and with --rounds N the fastest over N fresh processes (the
least disturbed by other load on a shared machine).
"""

import argparse
import json
import os
import platform
import subprocess
import sys
import time

SHAPES = [
    # (patterns K, dimension d, queries B)
    (1_000, 64, 100),
    (10_000, 256, 256),
    (20_000, 512, 1_024),
]


def numpy_retrieve(np, x, q, beta):
    """One modern Hopfield update x <- X^T softmax(beta X x), for a batch of queries (rows of q)."""
    s = (beta * q) @ x.T
    s -= s.max(axis=1, keepdims=True)
    np.exp(s, out=s)
    s /= s.sum(axis=1, keepdims=True)
    return s @ x


def numpy_recall(np, x, q, beta, max_steps, tol):
    """Iterate the update until no query moves by more than tol (all queries, every step)."""
    for _ in range(max_steps):
        nxt = numpy_retrieve(np, x, q, beta)
        done = np.abs(nxt - q).max() <= tol
        q = nxt
        if done:
            break
    return q


def timed(fn, budget=1.0, least=3, most=20):
    fn()  # warm-up
    times = []
    start = time.perf_counter()
    while len(times) < least or (len(times) < most and time.perf_counter() - start < budget):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def run_case(k, d, b, beta):
    import numpy as np

    import engram

    x = engram.random_sphere(k, d, seed=1)
    q = engram.add_gaussian_noise(x[:b] if b <= k else x[np.arange(b) % k], 0.3 / np.sqrt(d), seed=2)
    net = engram.ModernHopfield(x, beta=beta)

    diff = float(np.abs(net.retrieve(q) - numpy_retrieve(np, x, q, beta)).max())
    out = {
        "numpy_step": timed(lambda: numpy_retrieve(np, x, q, beta)),
        "engram_step": timed(lambda: net.retrieve(q)),
        "max_abs_diff": diff,
    }
    steps = int(net.recall(q, max_steps=50, tol=1e-5).steps.max())
    out["recall_steps"] = steps
    out["numpy_recall"] = timed(lambda: numpy_recall(np, x, q, beta, 50, 1e-5), least=2)
    out["engram_recall"] = timed(lambda: net.recall(q, max_steps=50, tol=1e-5), least=2)
    out["threads"] = engram.threads()
    return out


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--beta", type=float, default=8.0)
    parser.add_argument("--threads", type=int, nargs="*", default=None)
    parser.add_argument("--rounds", type=int, default=1,
                        help="run every case this many times (fresh processes) and keep the fastest")
    parser.add_argument("--case", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.case:
        k, d, b = (int(v) for v in args.case.split(","))
        print(json.dumps(run_case(k, d, b, args.beta)))
        return

    cores = os.cpu_count() or 1
    thread_counts = args.threads or sorted({1, cores})
    shapes = SHAPES[:1] if args.quick else SHAPES
    import numpy

    print(f"machine: {platform.machine()}, {cores} cores, {platform.processor() or 'cpu'}")
    print(f"python {platform.python_version()}, numpy {numpy.__version__}, beta = {args.beta}, float32\n")
    print("| patterns K | dim d | queries B | threads | numpy step | engram step | speed-up | "
          "recall steps | numpy recall | engram recall | speed-up |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for k, d, b in shapes:
        for threads in thread_counts:
            env = dict(os.environ)
            for var in ["OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "RAYON_NUM_THREADS"]:
                env[var] = str(threads)
            r = None
            for _ in range(args.rounds):
                proc = subprocess.run(
                    [sys.executable, __file__, "--case", f"{k},{d},{b}", "--beta", str(args.beta)],
                    env=env, capture_output=True, text=True, check=True,
                )
                this = json.loads(proc.stdout)
                assert this["max_abs_diff"] < 1e-3, this
                r = this if r is None else {key: min(r[key], this[key]) for key in r}
            print(
                f"| {k:,} | {d} | {b:,} | {r['threads']} "
                f"| {r['numpy_step'] * 1e3:.2f} ms | {r['engram_step'] * 1e3:.2f} ms "
                f"| {r['numpy_step'] / r['engram_step']:.2f}x "
                f"| {r['recall_steps']} | {r['numpy_recall'] * 1e3:.1f} ms | {r['engram_recall'] * 1e3:.1f} ms "
                f"| {r['numpy_recall'] / r['engram_recall']:.2f}x |",
                flush=True,
            )


if __name__ == "__main__":
    main()
