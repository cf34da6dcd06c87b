//! End-to-end tests of `engram experiment hierarchical`: the table, the JSON rows with a
//! descending energy trace, the PNG and the one-line errors, on a small setting.

mod common;

use common::*;

#[test]
fn hierarchical_json_rows_descend_and_the_png_is_written() {
    let scratch = Scratch::new("hierarchical-json");
    let out = engram(
        &[
            "experiment",
            "hierarchical",
            "--memories",
            "100",
            "--queries",
            "20",
            "--json",
            "--png",
            "h.png",
        ],
        &scratch.0,
    );
    assert_success(&out);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON on stdout");
    let rows = json["rows"].as_array().expect("rows");
    assert_eq!(rows.len(), 4); // 2 networks x 2 masks
    for row in rows {
        let trace: Vec<f64> = row["energy_trace"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_f64().unwrap())
            .collect();
        assert!(trace.len() > 1);
        assert!(trace.windows(2).all(|w| w[1] <= w[0] + 1e-9), "{row}");
        assert!(row["max_energy_rise"].as_f64().unwrap() <= 1e-9);
        let acc = row["completion_accuracy"].as_f64().unwrap();
        assert!((0.0..=1.0).contains(&acc));
    }
    assert!(scratch.path("h.png").exists());
}

#[test]
fn hierarchical_table_and_errors() {
    let scratch = Scratch::new("hierarchical-table");
    let out = engram(
        &[
            "experiment",
            "hierarchical",
            "--memories",
            "50",
            "--queries",
            "5",
            "--png",
            "t.png",
        ],
        &scratch.0,
    );
    assert_success(&out);
    let table = text(&out.stdout);
    assert!(
        table.contains("3-layer") && table.contains("lower half hidden"),
        "{table}"
    );
    for bad in [
        vec!["--beta-memory", "0"],
        vec!["--memories", "1800"],
        vec!["--step", "-1"],
        vec!["--queries", "0"],
    ] {
        let mut args = vec!["experiment", "hierarchical", "--png", "x.png"];
        args.extend(bad.iter());
        let out = engram(&args, &scratch.0);
        assert_eq!(out.status.code(), Some(2), "{bad:?}");
        let err = text(&out.stderr);
        assert!(
            err.starts_with("error: ") && err.trim().lines().count() == 1,
            "{err}"
        );
    }
}
