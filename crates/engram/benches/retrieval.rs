//! Criterion suite for retrieval: one modern Hopfield step `Xᵀ softmax(β X q)` on the shapes of
//! `engram bench` (queries B, patterns K, dimension d; f32), on the fused streaming kernel and on
//! the matrix-product path, plus the energy (the fused potentials-only pass).
//!
//! ```text
//! cargo bench -p engram --bench retrieval                 # all shapes
//! cargo bench -p engram --bench retrieval -- b16-k100000  # one shape
//! RAYON_NUM_THREADS=2 cargo bench -p engram --bench retrieval
//! ```
//!
//! `engram bench` and `benches/compare.sh` (repository root) report the same steps beside the
//! machine's measured limits and numpy / PyTorch.

use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use engram::dynamics::Dynamics;
use engram::model::{ModernHopfield, RetrievalPath};
use engram::pattern::random_sphere;
use ndarray::Array2;

/// (B, K, d) as in `engram bench`.
const SHAPES: [(usize, usize, usize); 5] = [
    (1, 100_000, 128),
    (16, 100_000, 128),
    (64, 10_000, 256),
    (1024, 10_000, 256),
    (16, 60_000, 784),
];

fn queries(memory: &Array2<f32>, b: usize) -> Array2<f32> {
    let (k, d) = memory.dim();
    Array2::from_shape_fn((b, d), |(i, j)| {
        memory[[i % k, j]] + 0.01 * (((i * 31 + j * 17) % 11) as f32 - 5.0)
    })
}

fn retrieval(c: &mut Criterion) {
    let mut group = c.benchmark_group("mhn-step");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3));
    for (b, k, d) in SHAPES {
        let memory = random_sphere(k, d, 1);
        let q = queries(&memory, b);
        let net = ModernHopfield::new(memory, 8.0).expect("valid memory");
        group.throughput(Throughput::Bytes((4 * k * d) as u64));
        let shape = format!("b{b}-k{k}-d{d}");
        for path in [RetrievalPath::Fused, RetrievalPath::Gemm] {
            let net = net.clone().with_path(path);
            group.bench_with_input(BenchmarkId::new(path.name(), &shape), &q, |bench, q| {
                bench.iter(|| net.step(q.view()).expect("finite"))
            });
        }
        if b <= 64 {
            let net = net.clone().with_path(RetrievalPath::Fused);
            group.bench_with_input(BenchmarkId::new("energy-fused", &shape), &q, |bench, q| {
                bench.iter(|| net.energies(q.view()).expect("finite"))
            });
        }
    }
    group.finish();
}

criterion_group!(benches, retrieval);
criterion_main!(benches);
