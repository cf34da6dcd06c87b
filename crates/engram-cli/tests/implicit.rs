//! `engram experiment implicit`: the JSON report and its errors.

mod common;

use common::{assert_one_line_error, assert_success, engram, json_of, Scratch};

#[test]
fn json_report_has_every_mode() {
    let dir = Scratch::new("implicit");
    let out = engram(
        &[
            "experiment",
            "implicit",
            "--epochs",
            "1",
            "--memories",
            "8",
            "--long-steps",
            "60",
            "--json",
        ],
        &dir.0,
    );
    assert_success(&out);
    let report = json_of(&out);
    let modes = report["modes"].as_array().unwrap();
    let names: Vec<&str> = modes.iter().map(|m| m["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["unroll-long", "implicit", "unroll-short"]);
    for m in modes {
        assert!(m["test_mse"].as_f64().unwrap() > 0.0);
        assert!(m["tape_bytes"].as_u64().unwrap() > 0);
    }
    assert!(report["nearest_image_mse"].as_f64().unwrap() > 0.0);
}

#[test]
fn bad_arguments_fail_with_one_line() {
    let dir = Scratch::new("implicit-bad");
    let out = engram(&["experiment", "implicit", "--beta", "0"], &dir.0);
    assert_one_line_error(&out, "beta");
    let out = engram(&["experiment", "implicit", "--epochs", "0"], &dir.0);
    assert_one_line_error(&out, "epochs");
}
