#!/usr/bin/env python3
"""Reference timings for `engram bench`: the same retrieval steps in numpy and PyTorch (CPU).

For each shape (queries B, patterns K, dimension d, float32) one modern Hopfield step

    out = softmax(beta * Q X^T) X

is timed (median of --repeats runs after a warm-up) as

* numpy:  Q @ X.T, an in-place max-shifted softmax, then @ X (BLAS products);
* torch:  torch.softmax(beta * (Q @ X.T), -1) @ X;
* sdpa:   torch.nn.functional.scaled_dot_product_attention(Q, X, X, scale=beta), PyTorch's
          fused attention kernel;

and one synchronous step of the bipolar dense associative memory with F(x) = x^3
(K = 10000 patterns of d = 1024 bits, B = 64 queries) in float32:

    m = S X^T;  h = (3 m^2 + 4) X - 6 S * rowsum(m);  S' = sign(h)  (ties keep S)

which is the exact energy-difference update of Krotov & Hopfield (2016) for odd n = 3:
sum_mu [F(rest + xi) - F(rest - xi)] with rest = m - xi s, divided by 2.

Thread counts are pinned to --threads (BLAS and OpenMP variables, torch.set_num_threads).
numpy runs in a child process without OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE (they pin OpenBLAS
to an older kernel on some machines); the kernel it then uses is recorded (threadpoolctl if
installed, else numpy.show_config()). A missing torch gives null timings, not an error.

    python3 benches/reference.py --threads 2 --json
    python3 benches/reference.py --check target/release/engram   # formulas against engram
"""

import argparse
import io
import json
import os
import subprocess
import sys
import tempfile
import time
from contextlib import redirect_stdout

import numpy as np

BETA = 8.0

# (name, B, K, d) as in `engram bench` (crates/engram-cli/src/bench.rs).
SHAPES = [
    ("mhn-b1-k100000-d128", 1, 100_000, 128),
    ("mhn-b16-k100000-d128", 16, 100_000, 128),
    ("mhn-b64-k10000-d256", 64, 10_000, 256),
    ("mhn-b1024-k10000-d256", 1024, 10_000, 256),
    ("mhn-b16-k60000-d784", 16, 60_000, 784),
]
DAM = ("dam3-bipolar-b64-k10000-d1024", 64, 10_000, 1024)

THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def median_ms(fn, repeats):
    """Median wall time of `repeats` calls of fn (after one warm-up), in milliseconds."""
    fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    times.sort()
    return times[len(times) // 2] * 1e3


def sphere(k, d, rng):
    x = rng.standard_normal((k, d), dtype=np.float32)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    return x


def queries_near(x, b, rng, noise=0.01):
    idx = np.arange(b) % x.shape[0]
    return (x[idx] + noise * rng.standard_normal((b, x.shape[1]), dtype=np.float32)).astype(
        np.float32
    )


def bipolar(k, d, rng):
    return np.where(rng.random((k, d)) < 0.5, -1.0, 1.0).astype(np.float32)


def mhn_step_numpy(q, x, beta=BETA):
    """softmax(beta q x^T) x with an in-place, max-shifted softmax."""
    s = q @ x.T
    s *= beta
    s -= s.max(axis=1, keepdims=True)
    np.exp(s, out=s)
    s /= s.sum(axis=1, keepdims=True)
    return s @ x


def dam3_step_numpy(s, x):
    """One synchronous step of the x^3 dense associative memory (see the module docstring)."""
    m = s @ x.T
    h = (3.0 * m * m + 4.0) @ x
    h -= 6.0 * s * m.sum(axis=1, keepdims=True)
    return np.where(h > 0, 1.0, np.where(h < 0, -1.0, s)).astype(s.dtype)


def shapes(quick, only=None):
    rows = [row for row in SHAPES + [DAM] if only is None or only in row[0]]
    if quick:
        rows = [(n, b, k // 10, d) for (n, b, k, d) in rows]
    return rows


def blas_info():
    """Which BLAS numpy runs and with which kernel (threadpoolctl, else numpy.show_config)."""
    try:
        from threadpoolctl import threadpool_info

        return [
            {
                key: lib.get(key)
                for key in ("internal_api", "version", "architecture", "num_threads")
            }
            for lib in threadpool_info()
            if lib.get("user_api") == "blas"
        ]
    except ImportError:
        buf = io.StringIO()
        with redirect_stdout(buf):
            try:
                np.show_config()
            except Exception as exc:  # show_config's format differs between versions
                print(exc)
        return buf.getvalue()


def run_numpy(args):
    rng = np.random.default_rng(0)
    rows = {}
    for name, b, k, d in shapes(args.quick, args.only):
        if name.startswith("dam"):
            x = bipolar(k, d, rng)
            s = bipolar(b, d, rng)
            ms = median_ms(lambda: dam3_step_numpy(s, x), args.repeats)
        else:
            x = sphere(k, d, rng)
            q = queries_near(x, b, rng)
            ms = median_ms(lambda: mhn_step_numpy(q, x), args.repeats)
        rows[name] = ms
        print(f"numpy {name}: {ms:.3f} ms", file=sys.stderr)
    return {"numpy_ms": rows, "numpy_version": np.__version__, "numpy_blas": blas_info()}


def run_torch(args):
    try:
        import torch
        import torch.nn.functional as F
    except ImportError:
        print("torch is not installed: torch timings are null", file=sys.stderr)
        return {"torch_ms": {}, "torch_sdpa_ms": {}, "torch_version": None}
    torch.set_num_threads(args.threads)
    rng = np.random.default_rng(0)
    plain, sdpa = {}, {}
    with torch.inference_mode():
        for name, b, k, d in shapes(args.quick, args.only):
            if name.startswith("dam"):
                x = torch.from_numpy(bipolar(k, d, rng))
                s = torch.from_numpy(bipolar(b, d, rng))

                def dam_step():
                    m = s @ x.T
                    h = (3.0 * m * m + 4.0) @ x - 6.0 * s * m.sum(dim=1, keepdim=True)
                    return torch.where(h > 0, 1.0, torch.where(h < 0, -1.0, s))

                plain[name] = median_ms(dam_step, args.repeats)
                sdpa[name] = None
            else:
                x = torch.from_numpy(sphere(k, d, rng))
                q = torch.from_numpy(queries_near(x.numpy(), b, rng))
                plain[name] = median_ms(
                    lambda: torch.softmax(BETA * (q @ x.T), dim=-1) @ x, args.repeats
                )
                q3, x3 = q[None], x[None]
                sdpa[name] = median_ms(
                    lambda: F.scaled_dot_product_attention(q3, x3, x3, scale=BETA), args.repeats
                )
            print(
                f"torch {name}: {plain[name]:.3f} ms, sdpa {sdpa[name] or float('nan'):.3f} ms",
                file=sys.stderr,
            )
    return {
        "torch_ms": plain,
        "torch_sdpa_ms": sdpa,
        "torch_version": torch.__version__,
        "torch_cpu_capability": torch.backends.cpu.get_cpu_capability(),
    }


def child(args, backend, drop_openblas):
    """Runs this script for one backend in a fresh process with pinned thread counts."""
    env = dict(os.environ)
    for var in THREAD_VARS:
        env[var] = str(args.threads)
    if drop_openblas:
        env.pop("OPENBLAS_CORETYPE", None)
        env.pop("OPENBLAS_L2_SIZE", None)
    cmd = [
        sys.executable,
        os.path.abspath(__file__),
        "--backend",
        backend,
        "--threads",
        str(args.threads),
        "--repeats",
        str(args.repeats),
        "--raw",
    ]
    if args.quick:
        cmd.append("--quick")
    if args.only:
        cmd += ["--only", args.only]
    out = subprocess.run(cmd, env=env, check=True, stdout=subprocess.PIPE, text=True).stdout
    result = json.loads(out)
    if drop_openblas:
        result["numpy_env_dropped"] = ["OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"]
    return result


def check(engram):
    """Checks the reference formulas against engram's own steps through its command line."""
    rng = np.random.default_rng(1)
    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        path = lambda name: os.path.join(tmp, name)  # noqa: E731

        def engram_step(model_args, x, q):
            np.save(path("x.npy"), x)
            np.save(path("q.npy"), q)
            cmd = [engram, "recall", *model_args, "--steps", "1", "--memory", path("x.npy")]
            cmd += ["--queries", path("q.npy"), "--out", path("r.npy")]
            subprocess.run(cmd, check=True, stderr=subprocess.DEVNULL)
            return np.load(path("r.npy"))

        # Modern Hopfield: one step.
        x = sphere(500, 33, rng)
        q = queries_near(x, 8, rng, noise=0.2)
        got = engram_step(["--model", "mhn", "--beta", str(BETA)], x, q)
        diff = float(np.abs(got - mhn_step_numpy(q, x)).max())
        print(f"mhn step: max |engram - numpy| = {diff:.2e}")
        ok &= diff < 1e-5

        # Dense associative memory, F(x) = x^3, one synchronous step.
        x = bipolar(300, 64, rng)
        s = x[:16].copy()
        flip = rng.random(s.shape) < 0.25
        s[flip] = -s[flip]
        got = engram_step(
            ["--model", "dam", "--separation", "power:3", "--schedule", "sync"], x, s
        )
        exact = dam3_step_numpy(s.astype(np.float64), x.astype(np.float64))
        single = dam3_step_numpy(s, x)
        same = float((got == exact).mean())
        same32 = float((single == exact).mean())
        print(f"dam x^3 sync step: engram == float64 formula on {same:.4%} of entries, "
              f"float32 formula == float64 on {same32:.4%}")
        ok &= same == 1.0 and same32 > 0.999
    print("reference formulas agree with engram" if ok else "MISMATCH")
    return 0 if ok else 1


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--quick", action="store_true", help="patterns / 10, as engram --quick")
    parser.add_argument("--json", action="store_true", help="print one JSON array on stdout")
    parser.add_argument("--backend", choices=["all", "numpy", "torch"], default="all")
    parser.add_argument("--only", metavar="TEXT", help="only shapes whose name contains TEXT")
    parser.add_argument("--raw", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--check", metavar="ENGRAM", help="check the formulas against engram")
    args = parser.parse_args()
    if args.check:
        return check(args.check)
    if args.quick:
        args.repeats = min(args.repeats, 3)

    if args.raw:
        result = run_numpy(args) if args.backend == "numpy" else run_torch(args)
        print(json.dumps(result))
        return 0

    result = {}
    if args.backend in ("all", "numpy"):
        result.update(child(args, "numpy", drop_openblas=True))
    if args.backend in ("all", "torch"):
        result.update(child(args, "torch", drop_openblas=False))
    rows = []
    for name, b, k, d in shapes(args.quick, args.only):
        rows.append(
            {
                "name": name,
                "queries": b,
                "patterns": k,
                "dim": d,
                "threads": args.threads,
                "numpy_ms": result.get("numpy_ms", {}).get(name),
                "torch_ms": result.get("torch_ms", {}).get(name),
                "torch_sdpa_ms": result.get("torch_sdpa_ms", {}).get(name),
                "numpy_version": result.get("numpy_version"),
                "numpy_blas": result.get("numpy_blas"),
                "torch_version": result.get("torch_version"),
                "torch_cpu_capability": result.get("torch_cpu_capability"),
            }
        )
    if args.json:
        print(json.dumps(rows, indent=2))
    else:
        print(f"{'shape':<32} {'numpy ms':>10} {'torch ms':>10} {'sdpa ms':>10}")
        fmt = lambda v: "-" if v is None else f"{v:.3f}"  # noqa: E731
        for r in rows:
            print(
                f"{r['name']:<32} {fmt(r['numpy_ms']):>10} {fmt(r['torch_ms']):>10} "
                f"{fmt(r['torch_sdpa_ms']):>10}"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
