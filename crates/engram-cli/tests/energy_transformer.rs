//! End-to-end tests of `engram experiment energy-transformer`: one short epoch, the JSON
//! report, the PNG, a checkpoint that loads back, and the one-line errors.

mod common;

use common::*;

#[test]
fn one_epoch_reports_baselines_energy_trace_png_and_checkpoint() {
    let scratch = Scratch::new("et-json");
    let json = json_of(&engram(
        &[
            "experiment",
            "energy-transformer",
            "--epochs",
            "1",
            "--seed",
            "5",
            "--json",
            "--out-dir",
            "out",
        ],
        &scratch.0,
    ));
    let report = &json["report"];
    assert_eq!(report["train_images"], 1438);
    assert_eq!(report["test_images"], 359);
    let rows = report["rows"].as_array().unwrap();
    let methods: Vec<&str> = rows.iter().map(|r| r["method"].as_str().unwrap()).collect();
    assert_eq!(
        methods,
        [
            "energy transformer",
            "untrained energy transformer",
            "mean fill",
            "nearest stored image"
        ]
    );
    for r in rows {
        let mse = r["masked_mse"].as_f64().unwrap();
        assert!(mse.is_finite() && mse > 0.0, "{r}");
    }
    // Even one epoch of training beats the untrained model.
    assert!(rows[0]["masked_mse"].as_f64() < rows[1]["masked_mse"].as_f64());
    let trace = report["energy_trace"].as_array().unwrap();
    assert_eq!(trace.len(), 13);
    assert!(trace[12].as_f64() < trace[0].as_f64());
    assert_eq!(report["energy_increases"], 0);
    assert!(is_png(scratch.path("out/energy-transformer.png")));
    let checkpoint = scratch.path("out/energy-transformer.safetensors");
    assert_eq!(json["checkpoint"], "out/energy-transformer.safetensors");
    let model = engram::energy_transformer::ImageEt::load(&checkpoint).unwrap();
    assert_eq!(
        model.parameter_count() as u64,
        report["parameters"].as_u64().unwrap()
    );
}

#[test]
fn table_names_the_methods_and_the_files() {
    let scratch = Scratch::new("et-table");
    let out = engram(
        &[
            "experiment",
            "energy-transformer",
            "--epochs",
            "1",
            "--checkpoint",
            "model.safetensors",
        ],
        &scratch.0,
    );
    assert_success(&out);
    let stdout = text(&out.stdout);
    for needle in [
        "nearest stored image",
        "mean fill",
        "Energy during inference",
        "model.safetensors",
        "energy-transformer.png",
    ] {
        assert!(stdout.contains(needle), "{needle} missing:\n{stdout}");
    }
    assert!(scratch.path("model.safetensors").exists());
    assert!(is_png(scratch.path("energy-transformer.png")));
}

#[test]
fn bad_options_are_one_line_errors() {
    let scratch = Scratch::new("et-errors");
    std::fs::write(scratch.path("a-file"), b"x").unwrap();
    for (args, needle) in [
        (vec!["--epochs", "0"], "epochs"),
        (vec!["--hidden", "16"], "hidden"),
        (vec!["--hidden", "0"], "hidden"),
        (vec!["--learning-rate", "-1"], "learning_rate"),
        (vec!["--batch-size", "0"], "batch"),
        (vec!["--out-dir", "a-file"], "--out-dir"),
        (vec!["--epochs", "x"], "epochs"),
    ] {
        let mut full = vec!["experiment", "energy-transformer"];
        full.extend(args);
        assert_one_line_error(&engram(&full, &scratch.0), needle);
    }
}
