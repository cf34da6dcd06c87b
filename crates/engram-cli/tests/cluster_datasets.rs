//! `engram cluster` on the ClAM paper's data sets embedded from the authors' repository (ecoli,
//! mice, ctg): the JSON scores with labels, the help text listing them, and an unknown name as one
//! `error:` line with exit status 2.

mod common;

use common::{assert_one_line_error, assert_success, engram, json_of, text, Scratch};

fn assert_unit_scores(value: &serde_json::Value) {
    for method in ["clam", "kmeans"] {
        let scores = &value[method];
        for (key, low) in [("silhouette", -1.0), ("nmi", 0.0), ("ari", -1.0)] {
            let v = scores[key]
                .as_f64()
                .unwrap_or_else(|| panic!("{method}.{key} missing in {value}"));
            assert!((low..=1.0).contains(&v), "{method}.{key} = {v}");
        }
    }
}

#[test]
fn ecoli_mice_and_ctg_give_scores_in_range() {
    let scratch = Scratch::new("cluster-clam-datasets");
    for name in ["ecoli", "mice", "ctg"] {
        let out = engram(
            &["cluster", "--dataset", name, "--epochs", "1", "--json"],
            &scratch.0,
        );
        assert_unit_scores(&json_of(&out));
    }
}

#[test]
fn help_lists_the_new_sets_and_unknown_names_fail() {
    let scratch = Scratch::new("cluster-clam-datasets-help");
    let out = engram(&["cluster", "--help"], &scratch.0);
    assert_success(&out);
    let help = text(&out.stdout);
    assert!(
        help.contains("ecoli") && help.contains("ctg") && help.contains("mice"),
        "{help}"
    );
    let out = engram(&["cluster", "--dataset", "zoo"], &scratch.0);
    assert_one_line_error(&out, "ecoli");
}
