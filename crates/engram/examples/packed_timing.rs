//! Timings of the bit-packed cubic dense memory's synchronous step and of its parts, for both
//! signed-projection kernels (subset-sum tables and VNNI integer products), on the shape of
//! `engram bench` (K = 10000 patterns, N = 1024 bits, B = 64 cues with 15% of bits flipped).
//!
//! ```text
//! cargo run --release -p engram --example packed_timing -- [threads] [repeats]
//! ```
//!
//! Prints best-of and median (milliseconds) of each part after a warm-up.

use std::time::Instant;

use engram::kernel::bitpack::{LaneWeights, PackedBits};
use engram::kernel::int_projection::{IntWeights, ProjectionKernel};
use engram::model::{DamSeparation, PackedDenseMemory};
use engram::pattern::{corrupt::flip_bits, random_bipolar};
use ndarray::{Array2, Axis};

/// Best and median of `repeats` timed runs of `f` (after one warm-up), in milliseconds.
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
    (times[0], times[times.len() / 2])
}

fn main() -> engram::Result<()> {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .map(|a| a.parse().expect("numbers: [threads] [repeats]"))
        .collect();
    let threads = args.first().copied().unwrap_or(2);
    let repeats = args.get(1).copied().unwrap_or(30);
    // ENGRAM_TIMING_STEP_ONLY=1: only the default step, `repeats` times (for a profiler).
    let step_only = std::env::var("ENGRAM_TIMING_STEP_ONLY").is_ok();
    engram::set_threads(threads)?;
    let (k, n, b) = (10_000, 1024, 64);
    let patterns = random_bipolar(k, n, 1);
    let cues = flip_bits(patterns.slice(ndarray::s![0..b, ..]), 0.15, 2)?;
    let net = PackedDenseMemory::new(patterns, DamSeparation::Power { degree: 3 })?;
    let states = PackedBits::from_bipolar(cues.view())?;
    let bits: &PackedBits = net.patterns();
    println!(
        "threads {threads}, repeats {repeats}, default projection {}",
        ProjectionKernel::detect().name()
    );
    let report = |what: &str, (best, median): (f64, f64)| {
        println!("{what:<44} best {best:7.3} ms   median {median:7.3} ms");
    };

    if step_only {
        for _ in 0..repeats {
            std::hint::black_box(net.step_packed(&states)?);
        }
        return Ok(());
    }
    report(
        "scores (popcount overlaps)",
        time_ms(repeats, || bits.overlaps(&states)),
    );

    // The cubic memory's projection weights A(m) = ((m+2)^3 - (m-2)^3) / (2 N^3).
    let m = bits.overlaps(&states)?;
    let n3 = (n as f64).powi(3);
    let a = |x: i32| {
        let x = x as f64;
        ((x + 2.0).powi(3) - (x - 2.0).powi(3)) / (2.0 * n3)
    };
    let table: Vec<f64> = (-(n as i32)..=n as i32).map(a).collect();
    let shared = ndarray::ArrayView1::from(&table[..]).insert_axis(Axis(0));
    let shared = shared.broadcast((b, table.len())).expect("broadcast");
    let mut out = Array2::<f64>::zeros((b, n));

    let weights = IntWeights::from_table(shared, m.view(), n as i32)?;
    report(
        "int: quantise (IntWeights::from_table)",
        time_ms(repeats, || {
            IntWeights::from_table(shared, m.view(), n as i32)
        }),
    );
    report(
        "int: projection (signed_projection_int)",
        time_ms(repeats, || {
            bits.signed_projection_int(&weights, out.view_mut())
                .expect("shapes")
        }),
    );
    let max_out = (0..b).map(|q| weights.outliers(q)).max().unwrap_or(0);
    let bound = (0..b).map(|q| weights.error_bound(q)).fold(0.0, f64::max);
    println!("  (outliers per state at most {max_out}, largest error bound {bound:e})");

    let lanes = LaneWeights::from_array(m.mapv(|x| a(x) as f32).view());
    report(
        "tables: projection (signed_projection_lanes)",
        time_ms(repeats, || {
            bits.signed_projection_lanes(&lanes, out.view_mut())
        }),
    );

    for kernel in [ProjectionKernel::Tables, ProjectionKernel::Vnni] {
        if !kernel.available() {
            println!("{} projection not available here", kernel.name());
            continue;
        }
        let net = net.clone().with_projection(kernel);
        report(
            &format!("step_packed, {} projection", kernel.name()),
            time_ms(repeats, || net.step_packed(&states).expect("shapes")),
        );
    }
    Ok(())
}
