#!/usr/bin/env bash
# Side-by-side retrieval timings: engram (`engram bench`) against numpy and PyTorch
# (benches/reference.py) on the same shapes and thread count, with the fraction of this
# machine's limit (memory bandwidth or GEMM peak, measured in the same run) that engram reaches.
#
#   benches/compare.sh [--json] [--quick] [--threads N] [--repeats R] [--rounds K] [--only TEXT]
#
# --json prints only a JSON array on stdout (one object per shape); progress goes to stderr.
# --rounds K alternates engram and the references K times and keeps, per shape and
# implementation, the best median (and the highest measured limits): on a shared 2-core
# machine a burst of other work then does not land on one side only.
# --only TEXT runs only the shapes whose name contains TEXT (e.g. b1024).
# PYTHON selects the interpreter with numpy (and optionally torch, threadpoolctl); default python3.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
python="${PYTHON:-python3}"
threads=2
repeats=15
rounds=1
json=0
quick=()
only=()
while [[ $# -gt 0 ]]; do
    case "$1" in
        --json) json=1 ;;
        --quick) quick=(--quick) ;;
        --threads) threads="$2"; shift ;;
        --threads=*) threads="${1#*=}" ;;
        --repeats) repeats="$2"; shift ;;
        --repeats=*) repeats="${1#*=}" ;;
        --rounds) rounds="$2"; shift ;;
        --rounds=*) rounds="${1#*=}" ;;
        --only) only=(--only "$2"); shift ;;
        --only=*) only=(--only "${1#*=}") ;;
        -h|--help) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "error: unknown option $1 (see --help)" >&2; exit 2 ;;
    esac
    shift
done

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

echo "building engram (release)..." >&2
(cd "$root" && cargo build --release -q -p engram-cli) >&2
engram="$root/target/release/engram"

for round in $(seq 1 "$rounds"); do
    rss=()
    [[ $round -gt 1 ]] && rss=(--no-rss)
    echo "round $round/$rounds, load average $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown)" >&2
    echo "  engram bench ($threads threads)..." >&2
    "$engram" --threads "$threads" bench --json --repeats "$repeats" "${quick[@]}" "${rss[@]}" "${only[@]}" \
        >"$work/engram-$round.json"
    echo "  reference.py: numpy and PyTorch ($threads threads)..." >&2
    "$python" "$here/reference.py" --json --threads "$threads" --repeats "$repeats" "${quick[@]}" \
        "${only[@]}" >"$work/reference-$round.json"
done

"$python" - "$work" "$rounds" "$json" <<'PY'
import json
import sys

work, rounds, as_json = sys.argv[1], int(sys.argv[2]), sys.argv[3] == "1"
engrams = [json.load(open(f"{work}/engram-{r}.json")) for r in range(1, rounds + 1)]
references = [json.load(open(f"{work}/reference-{r}.json")) for r in range(1, rounds + 1)]


def best(values):
    values = [v for v in values if v is not None]
    return min(values) if values else None


# Per shape and implementation, the best median over the rounds; the highest measured limits.
engram = dict(engrams[0])
engram["bandwidth_gb_s"] = max(e["bandwidth_gb_s"] for e in engrams)
engram["gemm_gflops"] = max(e["gemm_gflops"] for e in engrams)
engram["load_average"] = [e["load_average"] for e in engrams]
ours = {}
for row in engrams[0]["rows"]:
    mine = dict(row)
    mine["engram_ms"] = best(
        [next(r for r in e["rows"] if r["name"] == row["name"])["engram_ms"] for e in engrams]
    )
    bw_ms = row["bytes"] / (engram["bandwidth_gb_s"] * 1e9) * 1e3
    peak_ms = row["flops"] / (engram["gemm_gflops"] * 1e9) * 1e3
    mine["bound"], mine["limit_ms"] = ("memory", bw_ms) if bw_ms >= peak_ms else ("compute", peak_ms)
    mine["fraction_of_limit"] = mine["limit_ms"] / mine["engram_ms"]
    ours[row["name"]] = mine
reference = []
for i, ref in enumerate(references[0]):
    merged = dict(ref)
    for key in ("numpy_ms", "torch_ms", "torch_sdpa_ms"):
        merged[key] = best([rs[i][key] for rs in references])
    reference.append(merged)
rss = engrams[0].get("rss")


def ratio(ref, mine):
    return None if ref is None or mine is None else ref / mine


rows = []
for ref in reference:
    mine = ours.get(ref["name"], {})
    row = {
        "name": ref["name"],
        "queries": ref["queries"],
        "patterns": ref["patterns"],
        "dim": ref["dim"],
        "threads": engram["threads"],
        "engram_ms": mine.get("engram_ms"),
        "engram_path": mine.get("path"),
        "numpy_ms": ref["numpy_ms"],
        "torch_ms": ref["torch_ms"],
        "torch_sdpa_ms": ref["torch_sdpa_ms"],
        # How many times faster engram is than each reference (> 1: engram faster).
        "speedup_vs_numpy": ratio(ref["numpy_ms"], mine.get("engram_ms")),
        "speedup_vs_torch": ratio(ref["torch_ms"], mine.get("engram_ms")),
        "speedup_vs_torch_sdpa": ratio(ref["torch_sdpa_ms"], mine.get("engram_ms")),
        "bound": mine.get("bound"),
        "limit_ms": mine.get("limit_ms"),
        "fraction_of_limit": mine.get("fraction_of_limit"),
        "bandwidth_gb_s": engram["bandwidth_gb_s"],
        "gemm_gflops": engram["gemm_gflops"],
        "simd": engram["simd"],
        "load_average": engram["load_average"],
        "numpy_blas": ref["numpy_blas"],
        "torch_version": ref["torch_version"],
        "torch_cpu_capability": ref.get("torch_cpu_capability"),
    }
    if rss and (ref["queries"], ref["patterns"], ref["dim"]) == (
        rss["queries"], rss["patterns"], rss["dim"]
    ):
        row["peak_rss_mb"] = rss["peak_mb"]
        row["rss_working_mb"] = rss["working_mb"]
        row["memory_mb"] = rss["memory_mb"]
    rows.append(row)

if as_json:
    print(json.dumps(rows, indent=2))
    sys.exit(0)


def ms(v):
    return "-" if v is None else f"{v:.2f}"


def x(v):
    return "-" if v is None else f"{v:.2f}x"


blas = reference[0]["numpy_blas"] if reference else None
if isinstance(blas, list) and blas:
    blas = ", ".join(f"{b['internal_api']} {b['version']} ({b['architecture']})" for b in blas)
elif isinstance(blas, str):
    blas = "see numpy.show_config()"
print(
    f"threads {engram['threads']}, engram SIMD {engram['simd']}, numpy BLAS {blas}, "
    f"torch {reference[0]['torch_version'] if reference else None}, "
    f"load average at the start of each round {engram['load_average']}"
)
print(
    f"limits measured in this run: memory bandwidth {engram['bandwidth_gb_s']:.1f} GB/s, "
    f"f32 GEMM {engram['gemm_gflops']:.1f} GFLOP/s"
)
head = (
    f"{'shape':<31} {'engram':>8} {'numpy':>8} {'torch':>8} {'sdpa':>8} "
    f"{'vs np':>7} {'vs torch':>8} {'vs sdpa':>8} {'of limit':>9} {'bound':>8}"
)
print(head)
print("-" * len(head))
for r in rows:
    frac = r["fraction_of_limit"]
    print(
        f"{r['name']:<31} {ms(r['engram_ms']):>8} {ms(r['numpy_ms']):>8} {ms(r['torch_ms']):>8} "
        f"{ms(r['torch_sdpa_ms']):>8} {x(r['speedup_vs_numpy']):>7} {x(r['speedup_vs_torch']):>8} "
        f"{x(r['speedup_vs_torch_sdpa']):>8} "
        f"{'-' if frac is None else f'{100 * frac:.0f}%':>9} {r['bound'] or '-':>8}"
    )
print(
    f"times in ms: median of the repeats (best of {rounds} round(s)); "
    "'vs X' = X time / engram time (> 1: engram faster)"
)
if rss:
    print(
        f"peak RSS, retrieval of {rss['queries']} queries from ({rss['patterns']} x {rss['dim']}) "
        f"f32: {rss['peak_mb']:.1f} MB = {rss['baseline_mb']:.1f} process + "
        f"{rss['memory_mb']:.1f} patterns + {rss['working_mb']:.1f} working"
    )
PY
