//! The three ClAM-paper data sets embedded from the authors' repository: Ecoli, mice protein
//! expression and cardiotocography (CTG). Shapes and class counts against the UCI descriptions,
//! finite values, the column means against values computed independently with numpy from the same
//! CSV files, the CTG means against the means published with the UCI data, and mice rows against
//! the UCI file.

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
fn mice_has_the_uci_shape_classes_missing_values_and_means() {
    let mice = Dataset::Mice.load().unwrap();
    assert_eq!(mice.name, "mice");
    assert_eq!(mice.features.dim(), (1080, 77));
    assert!(mice.features.iter().all(|v| v.is_finite()));
    // UCI: c-CS-m 150, c-SC-m 150, c-CS-s 135, c-SC-s 135, t-CS-m 135, t-SC-m 135, t-CS-s 105,
    // t-SC-s 135, in the order of the UCI file (the authors' class indices).
    assert_eq!(
        class_counts(&mice),
        vec![150, 150, 135, 135, 135, 135, 105, 135]
    );
    // numpy 2.x from data/mice/mice.csv.gz, `A[:, :-1].mean(0)` (missing values counted as 0).
    let numpy = [
        0.4246273569018525,
        0.6153878062870364,
        0.3182020278388888,
        2.2908878041731513,
        3.8332563520046303,
        0.2325204129824078,
        0.18134131977500015,
        3.527283800735183,
        0.2119834476314814,
        1.4247133566907382,
        0.5443876972916659,
        0.31263457814999973,
        0.317056300262037,
        0.27426922406111126,
        0.8235188556546292,
        0.7249135889268513,
        1.557626518420371,
        1.521100673799074,
        0.44161757598055573,
        0.6803413876055568,
        0.3774671021194453,
        0.3623473031833334,
        0.1799902135398149,
        1.153843109284259,
        2.467617958992589,
        1.169345408930556,
        0.24097290226018583,
        0.27102091195462985,
        0.6912540775787045,
        0.1679489364472221,
        0.40368385140555574,
        2.1107741435388903,
        0.5411273254185183,
        0.4512018697249999,
        0.4141571824675929,
        0.7569382979407414,
        0.5835601486055555,
        0.3673466294444438,
        0.563746265056481,
        0.35610273148148164,
        0.3149355164851853,
        0.41744256989629636,
        0.3933795324898148,
        0.18108010031296295,
        0.9431160957925935,
        0.16121101842592606,
        1.706598724372223,
        0.2924341133805557,
        0.4292256036212962,
        1.197420025968518,
        0.21648220961018488,
        0.1666312400907406,
        0.17930673651666662,
        0.12152081767314811,
        0.1564775439518519,
        0.18130010210277778,
        0.2104892061296295,
        0.12088914805462965,
        0.221850958999074,
        0.12656012293518512,
        0.5273486590999997,
        0.2912762873203703,
        1.548347661696297,
        2.2352359769481476,
        0.15982096524537032,
        1.2392703830777758,
        0.8487666234166669,
        0.22667649108240764,
        0.12677004455092586,
        0.09919962078703701,
        0.12152081767314811,
        0.1219521339203704,
        0.4460730181509261,
        0.14134102186944444,
        0.14752504486666662,
        0.15407968106018521,
        1.3377837497203708,
    ];
    assert_close(&column_means(&mice), &numpy, 1e-12, "mice mean");
    // Missing values are written as 0: the UCI file's 1396 empty cells, and no other zeros.
    let zeros = mice.features.iter().filter(|&&v| v == 0.0).count();
    assert_eq!(zeros, 1396);
    // Mouse 309 (c-CS-m), its first measurement: the UCI row starts 0.503643884, 0.747193224,
    // 0.4301753 and leaves BCL2_N (column 69) empty.
    let row = mice.features.row(0);
    assert_eq!(
        (row[0], row[1], row[2], row[69]),
        (0.503643884, 0.747193224, 0.4301753, 0.0)
    );
    // Class boundaries checked against the UCI file: mouse 3422's first row (c-SC-s) and mouse
    // 293's first row (t-SC-m).
    let row = mice.features.row(435);
    assert_eq!(
        (row[0], row[1], mice.labels[435]),
        (0.304965623, 0.47776929, 3)
    );
    assert_eq!(mice.labels[434], 2);
    let row = mice.features.row(705);
    assert_eq!(
        (row[0], row[1], mice.labels[705]),
        (0.364727273, 0.649212121, 5)
    );
    assert_eq!(mice.labels[704], 4);
    // Rows 987..=989 have all of the first 43 proteins missing (UCI as well).
    for r in 987..=989 {
        assert!(mice.features.row(r).iter().take(43).all(|&v| v == 0.0));
    }
    // One negative level in the source: RRP1_N (column 51) of row 298.
    let negatives: Vec<(usize, usize)> = mice
        .features
        .indexed_iter()
        .filter(|(_, &v)| v < 0.0)
        .map(|(ij, _)| ij)
        .collect();
    assert_eq!(negatives, vec![(298, 51)]);
    assert_eq!(mice.features[[298, 51]], -0.062007874);
}

#[test]
fn the_new_sets_are_named_listed_and_standardisable() {
    assert_eq!(Dataset::from_name("ecoli").unwrap(), Dataset::Ecoli);
    assert_eq!(Dataset::from_name("ctg").unwrap(), Dataset::Ctg);
    assert_eq!(Dataset::from_name("mice").unwrap(), Dataset::Mice);
    for set in [Dataset::Ecoli, Dataset::Ctg, Dataset::Mice] {
        assert!(Dataset::ALL.contains(&set), "{set:?}");
    }
    let message = Dataset::from_name("zoo").unwrap_err().to_string();
    assert!(
        message.contains("ecoli") && message.contains("ctg") && message.contains("mice"),
        "{message}"
    );
    // ALL is ordered by size.
    let sizes: Vec<usize> = Dataset::ALL
        .iter()
        .map(|d| d.load().unwrap().features.nrows())
        .collect();
    assert!(sizes.windows(2).all(|w| w[0] <= w[1]), "{sizes:?}");

    for set in [Dataset::Ecoli, Dataset::Ctg, Dataset::Mice] {
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
