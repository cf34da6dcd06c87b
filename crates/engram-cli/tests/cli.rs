//! End-to-end tests of the `engram` binary: the demo, recall from files, capacity, and the
//! one-line errors.

mod common;

use common::*;

use engram::pattern::corrupt::flip_bits;
use engram::pattern::npy::{read_npy, read_npy_f64, write_npy, write_npy_bool_mask};
use engram::pattern::{random_bipolar, random_sphere};
use ndarray::Array2;

#[test]
fn default_run_prints_the_table_and_writes_recall_png() {
    let scratch = Scratch::new("default");
    let out = engram(&[], &scratch.0);
    assert_success(&out);
    let stdout = text(&out.stdout);
    for model in ["hopfield", "dam", "mhn", "universal"] {
        assert!(stdout.contains(model), "no {model} row:\n{stdout}");
    }
    assert!(stdout.contains("flip 20%") && stdout.contains("lower half hidden"));
    let png = std::fs::read(scratch.path("recall.png")).expect("recall.png written");
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"));

    // `engram recall` with one model and an explicit picture path.
    let out = engram(
        &[
            "recall", "--model", "mhn", "--beta", "4", "--png", "mhn.png",
        ],
        &scratch.0,
    );
    assert_success(&out);
    assert!(text(&out.stdout).contains("beta=4"));
    assert!(scratch.path("mhn.png").exists());
}

#[test]
fn recall_from_files_round_trips_shapes_and_energies() {
    let scratch = Scratch::new("files");
    let patterns = random_bipolar(6, 48, 1);
    let cues = flip_bits(patterns.view(), 0.1, 2).unwrap();
    write_npy(scratch.path("X.npy"), patterns.view()).unwrap();
    write_npy(scratch.path("Q.npy"), cues.view()).unwrap();
    let steps = 7;
    for (model, extra) in [
        ("hopfield", vec!["--rule", "pseudoinverse"]),
        ("dam", vec!["--separation", "exp:1"]),
    ] {
        let mut args = vec![
            "recall",
            "--model",
            model,
            "--steps",
            "7",
            "--memory",
            "X.npy",
            "--queries",
            "Q.npy",
            "--out",
            "R.npy",
            "--energies",
            "E.npy",
        ];
        args.extend(extra);
        let out = engram(&args, &scratch.0);
        assert_success(&out);
        assert!(
            text(&out.stderr).contains("converged"),
            "{}",
            text(&out.stderr)
        );
        let recalled = read_npy(scratch.path("R.npy")).unwrap();
        assert_eq!(recalled, patterns, "{model} recalls the stored patterns");
        let energies = read_npy_f64(scratch.path("E.npy")).unwrap();
        assert_eq!(energies.dim(), (6, steps + 1));
        for row in energies.rows() {
            // Asynchronous updates never raise the energy; padding repeats the last value.
            assert!(
                row.windows(2).into_iter().all(|w| w[1] <= w[0] + 1e-9),
                "{row}"
            );
        }
    }
}

#[test]
fn recall_with_mask_and_hetero_values() {
    let scratch = Scratch::new("mask");
    let patterns = random_sphere(5, 16, 3);
    write_npy(scratch.path("X.npy"), patterns.view()).unwrap();
    let mut observed = Array2::from_elem((5, 16), false);
    observed.column_mut(0).fill(true);
    write_npy_bool_mask(scratch.path("M.npy"), observed.view()).unwrap();
    let out = engram(
        &[
            "recall",
            "--model",
            "mhn",
            "--beta",
            "20",
            "--memory",
            "X.npy",
            "--queries",
            "X.npy",
            "--mask",
            "M.npy",
            "--out",
            "R.npy",
        ],
        &scratch.0,
    );
    assert_success(&out);
    let recalled = read_npy(scratch.path("R.npy")).unwrap();
    assert_eq!(recalled.dim(), (5, 16));
    assert_eq!(
        recalled.column(0),
        patterns.column(0),
        "observed entries stay clamped"
    );

    let values = random_sphere(5, 3, 4);
    write_npy(scratch.path("V.npy"), values.view()).unwrap();
    let out = engram(
        &[
            "recall",
            "--model",
            "universal",
            "--separation",
            "max",
            "--memory",
            "X.npy",
            "--values",
            "V.npy",
            "--queries",
            "X.npy",
            "--out",
            "Y.npy",
        ],
        &scratch.0,
    );
    assert_success(&out);
    assert_eq!(read_npy(scratch.path("Y.npy")).unwrap(), values);
}

#[test]
fn capacity_json_has_the_documented_keys() {
    let scratch = Scratch::new("capacity");
    let out = engram(
        &[
            "--threads",
            "1",
            "capacity",
            "--model",
            "hopfield",
            "--dim",
            "32",
            "--trials",
            "1",
            "--json",
        ],
        &scratch.0,
    );
    assert_success(&out);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("stdout is JSON");
    for key in [
        "model",
        "dim",
        "capacity",
        "capacity_ratio",
        "theory",
        "probes",
    ] {
        assert!(json.get(key).is_some(), "no {key} in {json}");
    }
    assert_eq!(json["dim"], 32);
    assert_eq!(json["model"], "hopfield-hebbian");
    assert!(json["capacity"].as_u64().unwrap() >= 1);

    let out = engram(
        &[
            "capacity", "--model", "dam", "--degree", "2", "--dim", "16", "--trials", "1",
        ],
        &scratch.0,
    );
    assert_success(&out);
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("measured:") && stdout.contains("theory:"),
        "{stdout}"
    );
}

#[test]
fn every_subcommand_has_help_with_examples() {
    let scratch = Scratch::new("help");
    for args in [
        vec!["--help"],
        vec!["recall", "--help"],
        vec!["capacity", "--help"],
    ] {
        let out = engram(&args, &scratch.0);
        assert_success(&out);
        assert!(text(&out.stdout).contains("Examples:"), "{args:?}");
    }
}

#[test]
fn bad_input_gives_one_error_line_and_status_2() {
    let scratch = Scratch::new("errors");
    let patterns = random_bipolar(4, 20, 5);
    write_npy(scratch.path("X.npy"), patterns.view()).unwrap();
    write_npy(
        scratch.path("narrow.npy"),
        patterns.slice(ndarray::s![.., ..10]),
    )
    .unwrap();
    write_npy(
        scratch.path("empty.npy"),
        Array2::<f32>::zeros((0, 20)).view(),
    )
    .unwrap();
    write_npy(scratch.path("grey.npy"), random_sphere(4, 20, 6).view()).unwrap();
    // A NaN cannot be written through write_npy; patch the bytes of a valid file.
    let mut bytes = std::fs::read(scratch.path("X.npy")).unwrap();
    let n = bytes.len();
    bytes[n - 4..].copy_from_slice(&f32::NAN.to_le_bytes());
    std::fs::write(scratch.path("nan.npy"), bytes).unwrap();
    std::fs::write(scratch.path("junk.npy"), b"not an npy file").unwrap();

    let files = |memory: &str, queries: &str| -> Vec<String> {
        [
            "recall",
            "--model",
            "mhn",
            "--memory",
            memory,
            "--queries",
            queries,
            "--out",
        ]
        .iter()
        .map(|s| s.to_string())
        .chain([scratch.arg("R.npy")])
        .collect()
    };
    let cases: Vec<(Vec<String>, &str)> = vec![
        (files("X.npy", "narrow.npy"), "shape mismatch"),
        (files("missing.npy", "X.npy"), "missing.npy"),
        (files("nan.npy", "X.npy"), "non-finite"),
        (files("junk.npy", "X.npy"), "junk.npy"),
        (files("empty.npy", "X.npy"), "empty"),
        (
            [files("X.npy", "X.npy"), vec!["--beta".into(), "0".into()]].concat(),
            "beta",
        ),
        (
            [files("X.npy", "X.npy"), vec!["--beta".into(), "-2".into()]].concat(),
            "beta",
        ),
        (
            [
                "recall",
                "--model",
                "hopfield",
                "--memory",
                "grey.npy",
                "--queries",
                "X.npy",
                "--out",
                "R.npy",
            ]
            .map(String::from)
            .to_vec(),
            "bipolar",
        ),
        (
            ["recall", "--model", "nope"].map(String::from).to_vec(),
            "nope",
        ),
        (
            ["recall", "--model", "dam", "--separation", "exp:-1"]
                .map(String::from)
                .to_vec(),
            "beta",
        ),
        (
            ["recall", "--model", "dam", "--degree", "0"]
                .map(String::from)
                .to_vec(),
            "degree",
        ),
        (
            ["recall", "--model", "hopfield", "--beta", "2"]
                .map(String::from)
                .to_vec(),
            "--beta",
        ),
        (
            ["recall", "--memory", "X.npy"].map(String::from).to_vec(),
            "--model",
        ),
        (
            ["capacity", "--model", "mhn", "--dim", "8"]
                .map(String::from)
                .to_vec(),
            "mhn",
        ),
        (
            ["capacity", "--model", "hopfield"]
                .map(String::from)
                .to_vec(),
            "--dim",
        ),
        (["--threads", "0"].map(String::from).to_vec(), "threads"),
        (["frobnicate"].map(String::from).to_vec(), "frobnicate"),
    ];
    for (args, needle) in cases {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = engram(&args, &scratch.0);
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.starts_with("error: "), "{args:?}: {stderr}");
        assert_eq!(stderr.trim_end().lines().count(), 1, "{args:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
        assert!(
            stderr.contains(needle),
            "{args:?}: {stderr:?} lacks {needle:?}"
        );
    }
}
