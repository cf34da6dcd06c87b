//! End-to-end tests of `engram experiment drdam`, `uhop` and `kde`: the JSON shapes, the PNG and
//! the one-line errors, on small settings that run in a few seconds.

mod common;

use common::*;

#[test]
fn drdam_json_has_the_error_rows_and_writes_the_plot() {
    let scratch = Scratch::new("mem-drdam");
    let json = json_of(&engram(
        &[
            "experiment",
            "drdam",
            "--dims",
            "16",
            "--betas",
            "10,40",
            "--digit-betas",
            "100",
            "--features",
            "200,3200",
            "--patterns",
            "20",
            "--queries",
            "10",
            "--repeats",
            "2",
            "--steps",
            "10",
            "--json",
            "--png",
            "err.png",
        ],
        &scratch.0,
    ));
    let rows = json["rows"].as_array().expect("rows is an array");
    // (one dimension x two betas + the digits at one beta) x two feature counts.
    assert_eq!(rows.len(), 6);
    for row in rows {
        for key in ["features", "beta", "dim", "energy_error", "state_error"] {
            assert!(row.get(key).is_some(), "{key} missing in {row}");
        }
        assert!(row["energy_error"].as_f64().unwrap() >= 0.0);
        let s = row["state_error"].as_f64().unwrap();
        assert!((0.0..=1.0).contains(&s), "{row}");
    }
    // The energy error at the memories falls with Y in every curve (16x more features: the
    // Monte-Carlo law predicts 4x less error; any decrease passes here).
    for pair in rows.chunks(2) {
        assert_eq!(pair[0]["features"], 200);
        assert_eq!(pair[1]["features"], 3200);
        let (a, b) = (
            pair[0]["energy_error_memories"].as_f64().unwrap(),
            pair[1]["energy_error_memories"].as_f64().unwrap(),
        );
        assert!(b < a, "{} -> {}", pair[0], pair[1]);
    }
    assert!(json["slopes"].as_array().unwrap().len() == 9);
    assert!(json["ablation"].as_array().unwrap().len() == 8);
    let png = std::fs::read(scratch.0.join("err.png")).unwrap();
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"));
    assert_eq!(json["png"], "err.png");
}

#[test]
fn uhop_json_compares_maps_and_reports_spherical_codes() {
    let scratch = Scratch::new("mem-uhop");
    let json = json_of(&engram(
        &[
            "experiment",
            "uhop",
            "--sizes",
            "20",
            "--noise",
            "0.1",
            "--code-steps",
            "60",
            "--json",
        ],
        &scratch.0,
    ));
    let rows = json["rows"].as_array().unwrap();
    // Two data sets x one size x one noise level x three maps.
    assert_eq!(rows.len(), 6);
    let digits: Vec<&serde_json::Value> =
        rows.iter().filter(|r| r["dataset"] == "digits").collect();
    let none = digits.iter().find(|r| r["map"] == "none").unwrap();
    let linear = digits.iter().find(|r| r["map"] == "linear").unwrap();
    // Wu et al. 2024: the learned map separates the digits and retrieves more of them.
    assert!(linear["min_separation"].as_f64() > none["min_separation"].as_f64());
    assert!(
        linear["retrieved"].as_u64() > none["retrieved"].as_u64(),
        "{linear} vs {none}"
    );
    let codes = json["codes"].as_array().unwrap();
    assert_eq!(codes.len(), 16);
    for c in codes {
        let got = c["achieved"].as_f64().unwrap();
        assert!(got <= c["simplex_bound"].as_f64().unwrap() + 1e-9, "{c}");
    }
}

#[test]
fn kde_json_reports_capacity_theorem_and_langevin() {
    let scratch = Scratch::new("mem-kde");
    let json = json_of(&engram(
        &[
            "experiment",
            "kde",
            "--dims",
            "4,8",
            "--trials",
            "3",
            "--max-patterns",
            "256",
            "--theorem-patterns",
            "64",
            "--json",
        ],
        &scratch.0,
    ));
    let rows = json["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 2);
    assert!(rows[1]["capacity"].as_f64() > rows[0]["capacity"].as_f64());
    assert!(json["growth_rate"].as_f64().unwrap() > 0.0);
    for t in json["theorem"].as_array().unwrap() {
        assert_eq!(t["bound_applies"], true);
        assert_eq!(t["all_stored"], true, "{t}");
    }
    let langevin = json["langevin"].as_array().unwrap();
    assert_eq!(langevin.len(), 4);
    // The smallest bandwidth keeps every chain in its mode.
    assert_eq!(langevin[0]["stayed"].as_f64(), Some(1.0));
}

#[test]
fn bad_settings_fail_with_one_line() {
    let scratch = Scratch::new("mem-errors");
    assert_one_line_error(
        &engram(&["experiment", "drdam", "--features", "0"], &scratch.0),
        "features",
    );
    assert_one_line_error(
        &engram(&["experiment", "drdam", "--kind", "sine"], &scratch.0),
        "feature map",
    );
    assert_one_line_error(
        &engram(&["experiment", "drdam", "--betas", "-1"], &scratch.0),
        "beta",
    );
    assert_one_line_error(
        &engram(&["experiment", "uhop", "--sizes", "1"], &scratch.0),
        "sizes",
    );
    assert_one_line_error(
        &engram(&["experiment", "kde", "--beta", "0"], &scratch.0),
        "beta",
    );
    assert_one_line_error(
        &engram(&["experiment", "kde", "--dims", "1"], &scratch.0),
        "dims",
    );
}
