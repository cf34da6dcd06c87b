//! End-to-end tests of `engram experiment sequence-capacity` and `engram experiment cdam-modes`:
//! the JSON shapes, the PNG files and the one-line errors.

mod common;

use common::*;

#[test]
fn sequence_capacity_json_has_rows_with_dim_and_capacity_and_an_exponent() {
    let scratch = Scratch::new("seq-json");
    let json = json_of(&engram(
        &[
            "experiment",
            "sequence-capacity",
            "--model",
            "poly",
            "--degree",
            "2",
            "--dims",
            "20,40",
            "--json",
            "--png",
            "cap.png",
        ],
        &scratch.0,
    ));
    let rows = json["rows"].as_array().expect("rows is an array");
    assert_eq!(rows.len(), 2);
    for (row, n) in rows.iter().zip([20, 40]) {
        assert_eq!(row["dim"], n);
        assert!(row["capacity"].as_f64().unwrap() >= 1.0, "{row}");
        assert!(row["theory"].as_f64().unwrap() > 0.0);
    }
    assert!(json["exponent"].as_f64().unwrap().is_finite());
    assert_eq!(json["exponent_kind"], "log-log slope");
    assert_eq!(json["model"], "poly");
    assert_eq!(json["degree"], 2);
    // The correlated run: the pseudoinverse recalls what the plain rule does not.
    let correlated = json["correlated"].as_array().unwrap();
    assert_eq!(correlated.len(), 4);
    assert_eq!(correlated[0]["rule"], "hebbian");
    assert_eq!(correlated[0]["recalled"], false);
    assert_eq!(correlated[1]["rule"], "pseudoinverse");
    assert_eq!(correlated[1]["recalled"], true);
    assert!(is_png(scratch.0.join("cap.png")));

    let json = json_of(&engram(
        &[
            "experiment",
            "sequence-capacity",
            "--model",
            "exp",
            "--dims",
            "8,10",
            "--json",
        ],
        &scratch.0,
    ));
    assert_eq!(json["exponent_kind"], "per-neuron rate");
    assert!(json["rows"][1]["pair_limit"].as_f64().is_some());
    assert!(is_png(scratch.0.join("sequence-capacity.png")));
}

#[test]
fn sequence_capacity_table_names_the_law() {
    let scratch = Scratch::new("seq-table");
    let out = engram(
        &[
            "experiment",
            "sequence-capacity",
            "--model",
            "classical",
            "--dims",
            "50,100",
        ],
        &scratch.0,
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("P_S = N / (4 ln N)"), "{stdout}");
    assert!(stdout.contains("fitted exponent"), "{stdout}");
    assert!(stdout.contains("pseudoinverse"), "{stdout}");
}

#[test]
fn cdam_modes_json_rows_carry_parameters_and_a_mode() {
    let scratch = Scratch::new("seq-cdam");
    let json = json_of(&engram(
        &[
            "experiment",
            "cdam-modes",
            "--grid",
            "3",
            "--steps",
            "60",
            "--json",
            "--png",
            "modes.png",
        ],
        &scratch.0,
    ));
    let rows = json["rows"].as_array().expect("rows is an array");
    assert_eq!(rows.len(), 9);
    for row in rows {
        for key in ["a", "h", "beta", "eta"] {
            assert!(row[key].as_f64().is_some(), "no {key} in {row}");
        }
        let mode = row["mode"].as_str().expect("mode is a string");
        assert!(
            ["auto", "narrow_hetero", "wide_hetero", "quiescent"].contains(&mode),
            "{mode}"
        );
    }
    // a = 1, h = -1 (the last cell of the first row) is auto-association.
    assert_eq!(rows[2]["a"], 1.0);
    assert_eq!(rows[2]["h"], -1.0);
    assert_eq!(rows[2]["mode"], "auto");
    assert_eq!(
        json["demos"]["automaton_correct"],
        json["demos"]["automaton_steps"]
    );
    assert!(is_png(scratch.0.join("modes.png")));
}

#[test]
fn help_has_examples_and_bad_input_fails_on_one_line() {
    let scratch = Scratch::new("seq-errors");
    for name in ["sequence-capacity", "cdam-modes"] {
        let out = engram(&["experiment", name, "--help"], &scratch.0);
        assert!(out.status.success());
        assert!(text(&out.stdout).contains("Examples:"), "{name}");
    }
    let cases: [(&[&str], &str); 6] = [
        (
            &[
                "experiment",
                "sequence-capacity",
                "--model",
                "poly",
                "--dims",
                "100",
            ],
            "two different N",
        ),
        (
            &[
                "experiment",
                "sequence-capacity",
                "--model",
                "classical",
                "--degree",
                "3",
            ],
            "--degree",
        ),
        (
            &[
                "experiment",
                "sequence-capacity",
                "--model",
                "exp",
                "--dims",
                "10,60",
            ],
            "too many",
        ),
        (
            &[
                "experiment",
                "sequence-capacity",
                "--model",
                "poly",
                "--degree",
                "0",
            ],
            "degree",
        ),
        (&["experiment", "cdam-modes", "--graph", "lattice"], "graph"),
        (&["experiment", "cdam-modes", "--eta", "2"], "eta"),
    ];
    for (args, needle) in cases {
        let out = engram(args, &scratch.0);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let stderr = text(&out.stderr);
        assert_eq!(stderr.lines().count(), 1, "{args:?}: {stderr}");
        assert!(
            stderr.starts_with("error: ") && stderr.contains(needle),
            "{args:?}: {stderr}"
        );
    }
}
