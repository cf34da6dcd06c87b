//! `engram bench`: retrieval speed on fixed shapes, beside this machine's own limits.
//!
//! For each shape (queries `B`, patterns `K`, dimension `d`, f32) it times one modern Hopfield
//! retrieval step `Xᵀ softmax(β X q)` (the median of `--repeats` runs after one warm-up), and in
//! the same run measures the two limits such a step can hit:
//!
//! * memory bandwidth: a streaming reduction over a 256 MiB buffer on every thread;
//! * compute: a large square f32 matrix product through [`engram::kernel::matmul`].
//!
//! A step must read the `K × d` memory once (`4 K d` bytes) and performs `4 B K d` flops (two
//! products), so it cannot run faster than `max(bytes / bandwidth, flops / peak)`; the report
//! gives that bound, which of the two it is, and the fraction of it reached (1.0 = at the limit).
//!
//! `--rss` measures the peak resident memory of a retrieval at B = 16 on the (100000 × 128)
//! memory in a child process (so that the other shapes do not pollute it).

use std::time::Instant;

use engram::dynamics::Dynamics;
use engram::kernel::matmul::matmul_into;
use engram::model::{DamSeparation, ModernHopfield, PackedDenseMemory, RetrievalPath};
use engram::pattern::corrupt::flip_bits;
use engram::pattern::{random_bipolar, random_sphere};
use ndarray::Array2;
use serde::Serialize;

use crate::cli::BenchArgs;
use crate::error::{CliError, CliResult};

/// Inverse temperature of the benchmarked steps (the time does not depend on it).
const BETA: f32 = 8.0;

/// One benchmarked shape.
#[derive(Clone, Copy, Debug)]
struct Shape {
    name: &'static str,
    queries: usize,
    patterns: usize,
    dim: usize,
}

/// The shapes of the issue, in order.
const SHAPES: [Shape; 5] = [
    Shape {
        name: "mhn-b1-k100000-d128",
        queries: 1,
        patterns: 100_000,
        dim: 128,
    },
    Shape {
        name: "mhn-b16-k100000-d128",
        queries: 16,
        patterns: 100_000,
        dim: 128,
    },
    Shape {
        name: "mhn-b64-k10000-d256",
        queries: 64,
        patterns: 10_000,
        dim: 256,
    },
    Shape {
        name: "mhn-b1024-k10000-d256",
        queries: 1024,
        patterns: 10_000,
        dim: 256,
    },
    Shape {
        name: "mhn-b16-k60000-d784",
        queries: 16,
        patterns: 60_000,
        dim: 784,
    },
];

/// The bipolar dense-memory shape: one synchronous step of `F(x) = x^3` on bit-packed patterns.
const DAM_SHAPE: Shape = Shape {
    name: "dam3-bipolar-b64-k10000-d1024",
    queries: 64,
    patterns: 10_000,
    dim: 1024,
};

/// One row of the report.
#[derive(Debug, Serialize)]
struct Row {
    name: String,
    queries: usize,
    patterns: usize,
    dim: usize,
    /// The retrieval path the step ran on (`fused` or `gemm`).
    path: String,
    /// Median time of one step, milliseconds.
    engram_ms: f64,
    /// Fastest of the timed runs, milliseconds.
    engram_min_ms: f64,
    /// Bytes of the memory a step must read.
    bytes: f64,
    /// Floating-point operations of a step (two products).
    flops: f64,
    /// `memory` or `compute`: which limit binds.
    bound: &'static str,
    /// The fastest time the limits allow, milliseconds.
    limit_ms: f64,
    /// `limit_ms / engram_ms`.
    fraction_of_limit: f64,
}

/// Peak memory of a retrieval, from `/proc/self/status`.
#[derive(Debug, Serialize, serde::Deserialize)]
struct Rss {
    /// Bytes of the stored patterns, MB (10^6 bytes).
    memory_mb: f64,
    /// Resident set before the patterns were allocated, MB.
    baseline_mb: f64,
    /// Resident set with the memory built, before retrieval, MB.
    before_mb: f64,
    /// Peak resident set during retrieval (VmHWM, reset before retrieval when the kernel
    /// allows it), MB.
    peak_mb: f64,
    /// `peak - baseline - memory`: the working space of retrieval, MB.
    working_mb: f64,
    /// Whether the high-water mark could be reset after building the memory.
    hwm_reset: bool,
    queries: usize,
    patterns: usize,
    dim: usize,
}

/// The whole report.
#[derive(Debug, Serialize)]
struct Report {
    threads: usize,
    simd: &'static str,
    repeats: usize,
    /// One-minute load average when the run started (other work on the machine skews timings).
    load_average: Option<f64>,
    bandwidth_gb_s: f64,
    gemm_gflops: f64,
    gemm_size: usize,
    rows: Vec<Row>,
    rss: Option<Rss>,
}

/// Runs `engram bench`.
pub fn run(args: &BenchArgs) -> CliResult<()> {
    if args.rss {
        let rss = measure_rss(args.path)?;
        println!("{}", serde_json::to_string(&rss).map_err(json_error)?);
        return Ok(());
    }
    let repeats = if args.quick {
        args.repeats.min(3)
    } else {
        args.repeats
    }
    .max(1);
    let load_average = load_average();
    let bandwidth = bandwidth_gb_s(if args.quick { 64 } else { 256 }, repeats);
    let gemm_size = if args.quick { 1024 } else { 2048 };
    let gemm_gflops = gemm_peak_gflops(gemm_size, repeats);
    let mut rows = Vec::new();
    let path = args.path;
    let wanted = |s: &Shape| {
        args.only
            .as_ref()
            .is_none_or(|text| s.name.contains(text.as_str()))
    };
    for shape in SHAPES.into_iter().filter(wanted) {
        let shape = if args.quick {
            Shape {
                patterns: shape.patterns / 10,
                ..shape
            }
        } else {
            shape
        };
        let row = bench_shape(shape, path, repeats, bandwidth, gemm_gflops)?;
        if !args.json {
            eprintln!("{:<24} {:>8.3} ms  ({})", row.name, row.engram_ms, row.path);
        }
        rows.push(row);
    }
    if wanted(&DAM_SHAPE) {
        let shape = if args.quick {
            Shape {
                patterns: DAM_SHAPE.patterns / 10,
                ..DAM_SHAPE
            }
        } else {
            DAM_SHAPE
        };
        let row = bench_packed_dam(shape, repeats, bandwidth)?;
        if !args.json {
            eprintln!("{:<24} {:>8.3} ms  ({})", row.name, row.engram_ms, row.path);
        }
        rows.push(row);
    }
    let rss = if args.no_rss {
        None
    } else {
        Some(rss_in_child(args)?)
    };
    let report = Report {
        threads: engram::threads(),
        simd: engram::kernel::simd_level(),
        repeats,
        load_average,
        bandwidth_gb_s: bandwidth,
        gemm_gflops,
        gemm_size,
        rows,
        rss,
    };
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&report).map_err(json_error)?
        );
    } else {
        print_table(&report);
    }
    Ok(())
}

fn json_error(e: serde_json::Error) -> CliError {
    CliError(format!("cannot write JSON: {e}"))
}

/// Median and minimum of `repeats` timed calls of `f` (after one untimed warm-up), in ms.
fn time_ms<T>(repeats: usize, mut f: impl FnMut() -> T) -> (f64, f64) {
    std::hint::black_box(f());
    let mut times: Vec<f64> = (0..repeats)
        .map(|_| {
            let start = Instant::now();
            std::hint::black_box(f());
            start.elapsed().as_secs_f64() * 1e3
        })
        .collect();
    times.sort_by(f64::total_cmp);
    (times[times.len() / 2], times[0])
}

/// Memory bandwidth in GB/s (10^9 bytes): the median time of a multithreaded streaming
/// reduction (engram's AVX2 maximum, four vector loads per step, no stores) over a buffer of
/// `mib` MiB, far larger than the caches.
fn bandwidth_gb_s(mib: usize, repeats: usize) -> f64 {
    let len = mib * (1 << 20) / 4;
    let threads = engram::threads().max(1);
    let per = len.div_ceil(threads);
    let mut buffer = vec![0.0f32; len];
    // Touch every page, each thread its own part (and make the sum depend on data).
    std::thread::scope(|scope| {
        for (i, part) in buffer.chunks_mut(per).enumerate() {
            scope.spawn(move || part.fill((i % 7) as f32));
        }
    });
    let (median, _) = time_ms(repeats.max(5), || {
        std::thread::scope(|scope| {
            let sums: Vec<_> = buffer
                .chunks(per)
                .map(|part| scope.spawn(move || engram::kernel::simd::max(part)))
                .collect();
            sums.into_iter()
                .map(|h| h.join().expect("the reduction cannot panic"))
                .fold(f32::NEG_INFINITY, f32::max)
        })
    });
    (len * 4) as f64 / (median * 1e-3) / 1e9
}

/// Throughput of an `n × n × n` f32 product through engram's matmul, GFLOP/s (median time).
fn gemm_peak_gflops(n: usize, repeats: usize) -> f64 {
    let a = Array2::from_shape_fn((n, n), |(i, j)| ((i * 7 + j * 3) % 13) as f32 * 0.1);
    let b = Array2::from_shape_fn((n, n), |(i, j)| ((i * 5 + j * 11) % 17) as f32 * 0.1);
    let mut c = Array2::<f32>::zeros((n, n));
    let (median, _) = time_ms(repeats, || matmul_into(a.view(), b.view(), c.view_mut()));
    2.0 * (n as f64).powi(3) / (median * 1e-3) / 1e9
}

/// Times one retrieval step of `shape` and sets it against the machine's limits.
fn bench_shape(
    shape: Shape,
    path: RetrievalPath,
    repeats: usize,
    bandwidth_gb_s: f64,
    gemm_gflops: f64,
) -> CliResult<Row> {
    let memory = random_sphere(shape.patterns, shape.dim, 1);
    let queries = noisy_queries(&memory, shape.queries);
    let net = ModernHopfield::new(memory, BETA)?.with_path(path);
    let used = if net.as_universal().uses_fused(shape.queries) {
        "fused"
    } else {
        "gemm"
    };
    // Fail early on any error; the timed closure then cannot fail.
    net.step(queries.view())?;
    let (median, min) = time_ms(repeats, || net.step(queries.view()).expect("checked"));
    let bytes = 4.0 * (shape.patterns * shape.dim) as f64;
    let flops = 4.0 * (shape.queries * shape.patterns * shape.dim) as f64;
    let memory_ms = bytes / (bandwidth_gb_s * 1e9) * 1e3;
    let compute_ms = flops / (gemm_gflops * 1e9) * 1e3;
    let (bound, limit_ms) = if memory_ms >= compute_ms {
        ("memory", memory_ms)
    } else {
        ("compute", compute_ms)
    };
    Ok(Row {
        name: shape.name.to_string(),
        queries: shape.queries,
        patterns: shape.patterns,
        dim: shape.dim,
        path: used.to_string(),
        engram_ms: median,
        engram_min_ms: min,
        bytes,
        flops,
        bound,
        limit_ms,
        fraction_of_limit: limit_ms / median,
    })
}

/// Times one synchronous step of the bit-packed cubic dense memory on cues with 15% of their
/// bits flipped. Its limit is reading the packed patterns once (`K N / 8` bytes).
fn bench_packed_dam(shape: Shape, repeats: usize, bandwidth_gb_s: f64) -> CliResult<Row> {
    let patterns = random_bipolar(shape.patterns, shape.dim, 1);
    let cues = flip_bits(patterns.slice(ndarray::s![0..shape.queries, ..]), 0.15, 2)?;
    let net = PackedDenseMemory::new(patterns, DamSeparation::Power { degree: 3 })?;
    net.step(cues.view())?;
    let (median, min) = time_ms(repeats, || net.step(cues.view()).expect("checked"));
    let bytes = (shape.patterns * shape.dim) as f64 / 8.0;
    let limit_ms = bytes / (bandwidth_gb_s * 1e9) * 1e3;
    Ok(Row {
        name: shape.name.to_string(),
        queries: shape.queries,
        patterns: shape.patterns,
        dim: shape.dim,
        path: "packed".to_string(),
        engram_ms: median,
        engram_min_ms: min,
        bytes,
        flops: 0.0,
        bound: "memory",
        limit_ms,
        fraction_of_limit: limit_ms / median,
    })
}

/// The first `b` patterns (cycling if there are fewer) with a little deterministic noise.
fn noisy_queries(memory: &Array2<f32>, b: usize) -> Array2<f32> {
    let (k, d) = memory.dim();
    Array2::from_shape_fn((b, d), |(i, j)| {
        memory[[i % k, j]] + 0.01 * (((i * 31 + j * 17) % 11) as f32 - 5.0)
    })
}

/// The one-minute load average, where `/proc/loadavg` exists.
fn load_average() -> Option<f64> {
    std::fs::read_to_string("/proc/loadavg")
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// A `kB` field of `/proc/self/status`, in MB.
fn status_mb(field: &str) -> Option<f64> {
    let text = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = text.lines().find(|l| l.starts_with(field))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024.0 / 1e6)
}

/// Builds the (100000 × 128) memory, retrieves a batch of 16 queries a few times and reports
/// the resident memory (run in a fresh process: `engram bench --rss`).
fn measure_rss(path: RetrievalPath) -> CliResult<Rss> {
    let (b, k, d) = (16, 100_000, 128);
    let unavailable = || CliError("peak memory needs /proc/self/status (Linux)".into());
    let baseline_mb = status_mb("VmRSS:").ok_or_else(unavailable)?;
    let memory = random_sphere(k, d, 1);
    let queries = noisy_queries(&memory, b);
    let net = ModernHopfield::new(memory, BETA)?.with_path(path);
    let before_mb = status_mb("VmRSS:").ok_or_else(unavailable)?;
    // Writing 5 to clear_refs resets VmHWM to the current RSS (Linux >= 4.0), so the peak
    // below is that of retrieval alone, not of building the memory.
    let hwm_reset = std::fs::write("/proc/self/clear_refs", "5").is_ok();
    for _ in 0..5 {
        std::hint::black_box(net.retrieve(queries.view())?);
    }
    let peak_mb = status_mb("VmHWM:").ok_or_else(unavailable)?;
    let memory_mb = (4 * k * d) as f64 / 1e6;
    Ok(Rss {
        memory_mb,
        baseline_mb,
        before_mb,
        peak_mb,
        working_mb: peak_mb - baseline_mb - memory_mb,
        hwm_reset,
        queries: b,
        patterns: k,
        dim: d,
    })
}

/// Runs `engram bench --rss` as a child process with the same thread count and path.
fn rss_in_child(args: &BenchArgs) -> CliResult<Rss> {
    let exe = std::env::current_exe()
        .map_err(|e| CliError(format!("cannot find the engram executable: {e}")))?;
    let output = std::process::Command::new(exe)
        .args([
            "--threads",
            &engram::threads().to_string(),
            "bench",
            "--rss",
        ])
        .args(["--path", args.path.name()])
        .output()
        .map_err(|e| CliError(format!("cannot run the peak-memory child: {e}")))?;
    if !output.status.success() {
        return Err(CliError(format!(
            "peak-memory child failed: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        )));
    }
    serde_json::from_slice(&output.stdout)
        .map_err(|e| CliError(format!("peak-memory child printed no report: {e}")))
}

fn print_table(report: &Report) {
    println!(
        "engram bench: {} threads, {}, median of {} runs, load average {}",
        report.threads,
        report.simd,
        report.repeats,
        report
            .load_average
            .map_or("unknown".into(), |l| format!("{l:.2}"))
    );
    println!(
        "limits measured now: memory bandwidth {:.1} GB/s (streaming read of 256 MiB), f32 GEMM {:.1} GFLOP/s ({}^3)",
        report.bandwidth_gb_s, report.gemm_gflops, report.gemm_size
    );
    println!();
    println!(
        "{:<24} {:>6} {:>7} {:>5} {:>6} {:>10} {:>10} {:>8} {:>9}",
        "shape", "B", "K", "d", "path", "ms", "limit ms", "bound", "of limit"
    );
    for r in &report.rows {
        println!(
            "{:<24} {:>6} {:>7} {:>5} {:>6} {:>10.3} {:>10.3} {:>8} {:>8.0}%",
            r.name,
            r.queries,
            r.patterns,
            r.dim,
            r.path,
            r.engram_ms,
            r.limit_ms,
            r.bound,
            100.0 * r.fraction_of_limit
        );
    }
    if let Some(rss) = &report.rss {
        println!();
        println!(
            "peak memory, retrieval of {} queries on ({} x {}) f32: {:.1} MB resident at peak = \
             {:.1} MB process baseline + {:.1} MB patterns + {:.1} MB working space",
            rss.queries,
            rss.patterns,
            rss.dim,
            rss.peak_mb,
            rss.baseline_mb,
            rss.memory_mb,
            rss.working_mb
        );
    }
}
