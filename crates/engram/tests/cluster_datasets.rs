//! The two ClAM-paper data sets embedded from the authors' repository: Ecoli and cardiotocography
//! (CTG). Shapes and class counts against the UCI descriptions, finite values, the column means
//! against values computed independently with numpy from the same CSV files, and the CTG means
//! against the means published with the UCI data.

use engram::cluster::{silhouette, standardize, Dataset, LabeledData};

fn class_counts(data: &LabeledData) -> Vec<usize> {
    let mut counts = vec![0; data.classes()];
    for &l in &data.labels {
        counts[l] += 1;
    }
    counts
}

fn column_means(data: &LabeledData) -> Vec<f64> {
    data.features
        .mean_axis(ndarray::Axis(0))
        .expect("rows")
        .to_vec()
}

fn assert_close(got: &[f64], want: &[f64], tol: f64, what: &str) {
    assert_eq!(got.len(), want.len(), "{what}");
    for (j, (g, w)) in got.iter().zip(want).enumerate() {
        assert!(
            (g - w).abs() <= tol * w.abs().max(1.0),
            "{what} column {j}: {g} vs {w}"
        );
    }
}

#[test]
fn ecoli_has_the_uci_shape_classes_and_means() {
    let ecoli = Dataset::Ecoli.load().unwrap();
    assert_eq!(ecoli.name, "ecoli");
    assert_eq!(ecoli.features.dim(), (336, 7));
    assert!(ecoli.features.iter().all(|v| v.is_finite()));
    // UCI description: cp 143, im 77, pp 52, imU 35, om 20, omL 5, imL 2, imS 2; the indices
    // follow first appearance in the file: cp, im, imS, imL, imU, om, omL, pp.
    assert_eq!(class_counts(&ecoli), vec![143, 77, 2, 2, 35, 20, 5, 52]);
    // numpy 2.x, `np.loadtxt`-style parse of data/ecoli/ecoli.csv.gz, `A[:, :-1].mean(0)`.
    let numpy = [
        0.5000595238095235,
        0.5000000000000006,
        0.49547619047618935,
        0.5014880952380952,
        0.5000297619047621,
        0.5001785714285714,
        0.49973214285714296,
    ];
    assert_close(&column_means(&ecoli), &numpy, 1e-12, "ecoli mean");
    // Every value is a score in [0, 1], given with two decimals.
    assert!(ecoli.features.iter().all(|&v| (0.0..=1.0).contains(&v)));
    assert!(ecoli
        .features
        .iter()
        .all(|&v| ((v * 100.0).round() - v * 100.0).abs() < 1e-9));
}

#[test]
fn ctg_has_the_uci_shape_classes_and_published_means() {
    let ctg = Dataset::Ctg.load().unwrap();
    assert_eq!(ctg.name, "ctg");
    assert_eq!(ctg.features.dim(), (2126, 21));
    assert!(ctg.features.iter().all(|v| v.is_finite()));
    // UCI description of CLASS: A 384, B 579, C 53, D 81, SH 72, AD 332, DE 252, LD 107, FS 69,
    // SUSP 197 (index = CLASS - 1).
    assert_eq!(
        class_counts(&ctg),
        vec![384, 579, 53, 81, 72, 332, 252, 107, 69, 197]
    );
    // numpy 2.x from data/ctg/ctg.csv.gz, `A[:, :-1].mean(0)`.
    let numpy = [
        133.3038570084666,
        0.003178269049858867,
        0.009480714957667028,
        0.004366415804327334,
        0.0018894637817497494,
        3.292568203198495e-06,
        0.00015851364063969908,
        46.99012229539041,
        1.3327845719661344,
        9.846660395108184,
        8.187629350893681,
        70.44590780809031,
        93.57949200376294,
        164.02539981185325,
        4.068203198494826,
        0.3236124176857949,
        137.45202257761053,
        134.61053621825025,
        138.09031044214487,
        18.808090310442147,
        0.32031984948259645,
    ];
    let means = column_means(&ctg);
    assert_close(&means, &numpy, 1e-12, "ctg mean");
    // The means printed (six decimals) with the UCI cardiotocography data as redistributed in
    // Kaggle's "fetal_health.csv" (same 2126 records): an independent check of the transcription.
    let published = [
        133.303857, 0.003178, 0.009481, 0.004366, 0.001889, 0.000003, 0.000159, 46.990122,
        1.332785, 9.846660, 8.187629, 70.445908, 93.579492, 164.025400, 4.068203, 0.323612,
        137.452023, 134.610536, 138.090310, 18.808090, 0.320320,
    ];
    for (j, (m, p)) in means.iter().zip(published).enumerate() {
        assert!(
            (m - p).abs() <= 5e-7,
            "ctg column {j}: {m} vs published {p}"
        );
    }
    // Tendency is -1, 0 or 1.
    assert!(ctg
        .features
        .column(20)
        .iter()
        .all(|&t| t == -1.0 || t == 0.0 || t == 1.0));
}

#[test]
fn the_new_sets_are_named_listed_and_standardisable() {
    assert_eq!(Dataset::from_name("ecoli").unwrap(), Dataset::Ecoli);
    assert_eq!(Dataset::from_name("ctg").unwrap(), Dataset::Ctg);
    assert!(Dataset::ALL.contains(&Dataset::Ecoli) && Dataset::ALL.contains(&Dataset::Ctg));
    let message = Dataset::from_name("mice").unwrap_err().to_string();
    assert!(
        message.contains("ecoli") && message.contains("ctg"),
        "{message}"
    );
    // ALL is ordered by size.
    let sizes: Vec<usize> = Dataset::ALL
        .iter()
        .map(|d| d.load().unwrap().features.nrows())
        .collect();
    assert!(sizes.windows(2).all(|w| w[0] <= w[1]), "{sizes:?}");

    for set in [Dataset::Ecoli, Dataset::Ctg] {
        let data = set.load().unwrap();
        let z = standardize(data.features.view()).unwrap();
        for column in z.columns() {
            let n = column.len() as f64;
            let mean = column.sum() / n;
            let var = column.iter().map(|v| v * v).sum::<f64>() / n;
            assert!(
                mean.abs() < 1e-12 && (var - 1.0).abs() < 1e-9,
                "{}",
                set.name()
            );
        }
        // The true classes are a valid (if poor) clustering: silhouette in [-1, 1].
        let s = silhouette(z.view(), &data.labels).unwrap();
        assert!((-1.0..=1.0).contains(&s), "{}: {s}", set.name());
    }
}
