//! `engram cluster`: the JSON shape with and without labels, the table, and every refused input
//! as one `error:` line with exit status 2.

mod common;

use common::{assert_one_line_error, assert_success, engram, json_of, text, Scratch};
use engram::pattern::npy::write_npy_f64;
use ndarray::Array2;

/// Two well-separated groups of 10 points in 3 dimensions.
fn two_groups() -> Array2<f64> {
    Array2::from_shape_fn((20, 3), |(i, j)| {
        let offset = if i < 10 { 0.0 } else { 8.0 };
        offset + ((i * 7 + j * 3) % 5) as f64 * 0.1
    })
}

fn assert_score(value: &serde_json::Value, key: &str, low: f64, high: f64) {
    let v = value[key]
        .as_f64()
        .unwrap_or_else(|| panic!("{key} missing in {value}"));
    assert!((low..=high).contains(&v), "{key} = {v}");
}

#[test]
fn json_holds_clam_and_kmeans_scores_with_labels() {
    let scratch = Scratch::new("cluster-json");
    let out = engram(
        &[
            "cluster",
            "--dataset",
            "iris",
            "--k",
            "3",
            "--epochs",
            "2",
            "--json",
            "--seed",
            "3",
        ],
        &scratch.0,
    );
    let value = json_of(&out);
    let object = value.as_object().unwrap();
    assert_eq!(object.len(), 2, "{value}");
    for method in ["clam", "kmeans"] {
        let scores = &value[method];
        assert_eq!(scores.as_object().unwrap().len(), 3, "{scores}");
        assert_score(scores, "silhouette", -1.0, 1.0);
        assert_score(scores, "nmi", 0.0, 1.0);
        assert_score(scores, "ari", -1.0, 1.0);
    }
    // k-means on standardised iris: one of its known local optima (silhouette 0.46 or 0.46).
    assert_score(&value["kmeans"], "silhouette", 0.40, 0.50);
}

#[test]
fn npy_data_without_labels_gives_silhouettes_only() {
    let scratch = Scratch::new("cluster-npy");
    write_npy_f64(scratch.path("X.npy"), two_groups().view()).unwrap();
    let out = engram(
        &[
            "cluster", "--data", "X.npy", "--k", "2", "--epochs", "3", "--json",
        ],
        &scratch.0,
    );
    let value = json_of(&out);
    for method in ["clam", "kmeans"] {
        let scores = value[method].as_object().unwrap();
        assert_eq!(scores.keys().collect::<Vec<_>>(), vec!["silhouette"]);
        // Two far-apart groups: both methods find them.
        assert_score(&value[method], "silhouette", 0.9, 1.0);
    }
}

#[test]
fn table_names_both_methods() {
    let scratch = Scratch::new("cluster-table");
    let out = engram(
        &["cluster", "--dataset", "wine", "--epochs", "1"],
        &scratch.0,
    );
    assert_success(&out);
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("ClAM") && stdout.contains("k-means"),
        "{stdout}"
    );
    assert!(stdout.contains("k = 3"), "{stdout}");
}

#[test]
fn bad_input_is_one_error_line() {
    let scratch = Scratch::new("cluster-errors");
    write_npy_f64(scratch.path("X.npy"), two_groups().view()).unwrap();
    // The writer refuses NaN, so patch one value of a valid file: the last 8 bytes are x[19, 2].
    write_npy_f64(scratch.path("nan.npy"), two_groups().view()).unwrap();
    let mut bytes = std::fs::read(scratch.path("nan.npy")).unwrap();
    let end = bytes.len();
    bytes[end - 8..].copy_from_slice(&f64::NAN.to_le_bytes());
    std::fs::write(scratch.path("nan.npy"), bytes).unwrap();
    let cases: [(&[&str], &str); 9] = [
        (
            &["cluster", "--data", "missing.npy", "--k", "2"],
            "missing.npy",
        ),
        (&["cluster", "--data", "X.npy", "--k", "0"], "k"),
        (&["cluster", "--data", "X.npy", "--k", "1"], "at least 2"),
        (
            &["cluster", "--data", "X.npy", "--k", "25"],
            "the data has 20",
        ),
        (
            &["cluster", "--data", "X.npy", "--k", "20"],
            "the data has 20",
        ),
        (&["cluster", "--data", "nan.npy", "--k", "2"], "non-finite"),
        (&["cluster", "--data", "X.npy"], "--k is required"),
        (&["cluster", "--dataset", "mnist"], "unknown data set"),
        (&["cluster", "--dataset", "iris", "--beta=-1"], "beta"),
    ];
    for (args, needle) in cases {
        let out = engram(args, &scratch.0);
        assert_one_line_error(&out, needle);
    }
    assert_one_line_error(&engram(&["cluster"], &scratch.0), "--dataset");
    assert_one_line_error(
        &engram(
            &["cluster", "--dataset", "iris", "--data", "X.npy"],
            &scratch.0,
        ),
        "cannot be used with",
    );
}

#[test]
fn experiment_clam_reports_both_selection_rules_beside_kmeans() {
    let scratch = Scratch::new("experiment-clam");
    let out = engram(
        &[
            "experiment",
            "clam",
            "--datasets",
            "iris,wine",
            "--epochs",
            "3",
            "--kmeans-restarts",
            "2",
            "--json",
        ],
        &scratch.0,
    );
    let value = json_of(&out);
    let rows = value.as_array().unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0]["dataset"], "iris");
    assert_eq!(rows[1]["k"], 3);
    for row in rows {
        for key in ["kmeans", "clam_paper_rule", "clam_default_rule"] {
            assert_score(&row[key], "silhouette", -1.0, 1.0);
            assert_score(&row[key], "nmi", 0.0, 1.0);
        }
        // The paper's rule maximises the silhouette over the whole grid.
        let paper = row["clam_paper_rule"]["silhouette"].as_f64().unwrap();
        let default = row["clam_default_rule"]["silhouette"].as_f64().unwrap();
        assert!(paper >= default, "{row}");
    }
    assert_one_line_error(
        &engram(&["experiment", "clam", "--datasets", "mnist"], &scratch.0),
        "unknown data set",
    );
}
