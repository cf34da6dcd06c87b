//! End-to-end smoke test of `engram bench`: the quick run prints one JSON report with every
//! shape, the machine's measured limits and the peak-memory measurement of a child process.

use std::process::Command;

#[test]
fn bench_quick_json_reports_every_shape_limits_and_peak_memory() {
    let out = Command::new(env!("CARGO_BIN_EXE_engram"))
        .args([
            "--threads",
            "2",
            "bench",
            "--quick",
            "--json",
            "--repeats",
            "1",
        ])
        .output()
        .expect("run engram");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON object");
    assert_eq!(report["threads"], 2);
    assert!(report["bandwidth_gb_s"].as_f64().unwrap() > 0.0);
    assert!(report["gemm_gflops"].as_f64().unwrap() > 0.0);
    let rows = report["rows"].as_array().unwrap();
    // Five modern Hopfield shapes, then the bit-packed cubic dense memory.
    assert_eq!(rows.len(), 6);
    for row in &rows[..5] {
        assert!(row["engram_ms"].as_f64().unwrap() > 0.0, "{row}");
        assert!(row["fraction_of_limit"].as_f64().unwrap() > 0.0, "{row}");
        let path = row["path"].as_str().unwrap();
        assert!(path == "fused" || path == "gemm", "{row}");
    }
    assert_eq!(rows[5]["name"], "dam3-bipolar-b64-k10000-d1024");
    assert_eq!(rows[5]["path"], "packed");
    assert!(rows[5]["engram_ms"].as_f64().unwrap() > 0.0);
    // B = 1 and 16 run fused under the automatic choice.
    assert_eq!(rows[0]["path"], "fused");
    assert_eq!(rows[1]["path"], "fused");
    let rss = &report["rss"];
    assert!(rss["peak_mb"].as_f64().unwrap() >= rss["memory_mb"].as_f64().unwrap());
}

#[test]
fn bench_rejects_an_unknown_path() {
    let out = Command::new(env!("CARGO_BIN_EXE_engram"))
        .args(["bench", "--path", "fast"])
        .output()
        .expect("run engram");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.starts_with("error:") && err.contains("fused"), "{err}");
}
