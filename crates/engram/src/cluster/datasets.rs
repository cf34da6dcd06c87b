//! Small labelled data sets for clustering, embedded in the library, and feature standardisation.
//!
//! Iris, wine and breast cancer are scikit-learn's copies of the UCI data sets (the CSV files of
//! `data/iris`, `data/wine` and `data/breast_cancer`, gzipped; see each folder's README for the
//! source and license); the handwritten digits come from [`crate::pattern::Digits`]. Ecoli, mice
//! protein expression and cardiotocography (CTG) are three of the ClAM paper's benchmark sets,
//! converted from the copies in the authors' repository to the same CSV layout (`data/ecoli`,
//! `data/mice`, `data/ctg`).
//!
//! ```
//! use engram::cluster::{standardize, Dataset};
//!
//! let iris = Dataset::Iris.load().unwrap();
//! assert_eq!(iris.features.dim(), (150, 4));
//! assert_eq!(iris.classes(), 3);
//! let z = standardize(iris.features.view()).unwrap();   // zero mean, unit variance per column
//! assert!(z.column(0).mean().unwrap().abs() < 1e-12);
//! ```

use std::io::Read;

use flate2::read::GzDecoder;
use ndarray::{Array2, ArrayView2, Axis};

use crate::error::{Error, Result};
use crate::pattern::Digits;

static IRIS_CSV_GZ: &[u8] = include_bytes!("../../../../data/iris/iris.csv.gz");
static WINE_CSV_GZ: &[u8] = include_bytes!("../../../../data/wine/wine_data.csv.gz");
static BREAST_CANCER_CSV_GZ: &[u8] =
    include_bytes!("../../../../data/breast_cancer/breast_cancer.csv.gz");
static ECOLI_CSV_GZ: &[u8] = include_bytes!("../../../../data/ecoli/ecoli.csv.gz");
static CTG_CSV_GZ: &[u8] = include_bytes!("../../../../data/ctg/ctg.csv.gz");
static MICE_CSV_GZ: &[u8] = include_bytes!("../../../../data/mice/mice.csv.gz");

/// One of the embedded labelled data sets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dataset {
    /// Fisher's iris: 150 flowers, 4 measurements, 3 species.
    Iris,
    /// UCI wine: 178 wines, 13 chemical measurements, 3 cultivators.
    Wine,
    /// UCI breast cancer Wisconsin (diagnostic): 569 masses, 30 features, 2 classes.
    BreastCancer,
    /// scikit-learn's 8x8 handwritten digits: 1797 images, 64 pixels, 10 digits.
    Digits,
    /// UCI Ecoli (protein localisation sites): 336 proteins, 7 scores, 8 sites.
    Ecoli,
    /// UCI cardiotocography: 2126 fetal cardiotocograms, 21 features, 10 morphologic patterns
    /// (the CLASS column; the ClAM paper's choice).
    Ctg,
    /// UCI mice protein expression: 1080 measurements (72 mice, 15 each) of 77 proteins in the
    /// cortex, 8 classes (genotype x behaviour x treatment). Missing values are 0, as in the ClAM
    /// authors' copy.
    Mice,
}

/// Features (rows are points) with their true class labels.
#[derive(Debug, Clone)]
pub struct LabeledData {
    /// The data set's name as the command line spells it (`iris`, `wine`, ...).
    pub name: &'static str,
    /// Shape (n, d): one point per row, the raw (unstandardised) values.
    pub features: Array2<f64>,
    /// The class (0-based) of each row.
    pub labels: Vec<usize>,
}

impl LabeledData {
    /// The number of distinct classes.
    pub fn classes(&self) -> usize {
        self.labels.iter().max().map_or(0, |&m| m + 1)
    }
}

impl Dataset {
    /// Every embedded data set, smallest first.
    pub const ALL: [Dataset; 7] = [
        Dataset::Iris,
        Dataset::Wine,
        Dataset::Ecoli,
        Dataset::BreastCancer,
        Dataset::Mice,
        Dataset::Digits,
        Dataset::Ctg,
    ];

    /// The name used on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Dataset::Iris => "iris",
            Dataset::Wine => "wine",
            Dataset::BreastCancer => "breast-cancer",
            Dataset::Digits => "digits",
            Dataset::Ecoli => "ecoli",
            Dataset::Ctg => "ctg",
            Dataset::Mice => "mice",
        }
    }

    /// The data set called `name` (`iris`, `wine`, `ecoli`, `breast-cancer`, `mice`, `digits` or
    /// `ctg`).
    pub fn from_name(name: &str) -> Result<Dataset> {
        Dataset::ALL
            .into_iter()
            .find(|d| d.name() == name || d.name().replace('-', "_") == name)
            .ok_or_else(|| {
                Error::param(
                    "dataset",
                    format!(
                        "unknown data set {name:?}; expected iris, wine, ecoli, breast-cancer, \
                         mice, digits or ctg"
                    ),
                )
            })
    }

    /// Decompresses and parses the embedded file (a few milliseconds).
    ///
    /// Errors: [`Error::Format`] if the embedded file is damaged (which the tests rule out).
    pub fn load(self) -> Result<LabeledData> {
        let (bytes, source) = match self {
            Dataset::Iris => (IRIS_CSV_GZ, "data/iris/iris.csv.gz"),
            Dataset::Wine => (WINE_CSV_GZ, "data/wine/wine_data.csv.gz"),
            Dataset::BreastCancer => (
                BREAST_CANCER_CSV_GZ,
                "data/breast_cancer/breast_cancer.csv.gz",
            ),
            Dataset::Ecoli => (ECOLI_CSV_GZ, "data/ecoli/ecoli.csv.gz"),
            Dataset::Ctg => (CTG_CSV_GZ, "data/ctg/ctg.csv.gz"),
            Dataset::Mice => (MICE_CSV_GZ, "data/mice/mice.csv.gz"),
            Dataset::Digits => {
                let digits = Digits::load()?;
                return Ok(LabeledData {
                    name: self.name(),
                    features: digits.images.mapv(f64::from),
                    labels: digits.labels.iter().map(|&l| l as usize).collect(),
                });
            }
        };
        let (features, labels) = parse_sklearn_csv(bytes, source)?;
        Ok(LabeledData {
            name: self.name(),
            features,
            labels,
        })
    }
}

fn format_error(source: &str, reason: impl Into<String>) -> Error {
    Error::Format {
        path: format!("embedded {source}"),
        reason: reason.into(),
    }
}

/// Parses scikit-learn's CSV layout: a header `n,d,class names...`, then `n` lines of `d`
/// features and an integer class.
fn parse_sklearn_csv(gz: &[u8], source: &str) -> Result<(Array2<f64>, Vec<usize>)> {
    let mut text = String::new();
    GzDecoder::new(gz)
        .read_to_string(&mut text)
        .map_err(|e| format_error(source, format!("cannot decompress: {e}")))?;
    let mut lines = text.lines().filter(|l| !l.trim().is_empty());
    let header: Vec<&str> = lines
        .next()
        .ok_or_else(|| format_error(source, "no header line"))?
        .split(',')
        .collect();
    let count = |i: usize| -> Result<usize> {
        header
            .get(i)
            .and_then(|s| s.trim().parse().ok())
            .ok_or_else(|| format_error(source, "header does not start with rows,columns"))
    };
    let (n, d) = (count(0)?, count(1)?);
    let mut values = Vec::with_capacity(n * d);
    let mut labels = Vec::with_capacity(n);
    for (row, line) in lines.enumerate() {
        let fields: Vec<&str> = line.split(',').map(str::trim).collect();
        if fields.len() != d + 1 {
            return Err(format_error(
                source,
                format!(
                    "line {}: {} fields, expected {}",
                    row + 2,
                    fields.len(),
                    d + 1
                ),
            ));
        }
        for field in &fields[..d] {
            let v: f64 = field.parse().map_err(|_| {
                format_error(source, format!("line {}: bad number {field:?}", row + 2))
            })?;
            values.push(v);
        }
        labels.push(
            fields[d]
                .parse()
                .map_err(|_| format_error(source, format!("line {}: bad label", row + 2)))?,
        );
    }
    if labels.len() != n {
        return Err(format_error(
            source,
            format!("{} rows, header says {n}", labels.len()),
        ));
    }
    let features =
        Array2::from_shape_vec((n, d), values).map_err(|e| format_error(source, e.to_string()))?;
    Ok((features, labels))
}

/// Checks that `data` has rows and columns and only finite values.
pub(crate) fn check_data(data: ArrayView2<f64>) -> Result<()> {
    if data.nrows() == 0 || data.ncols() == 0 {
        return Err(Error::Empty(format!(
            "data has shape ({}, {})",
            data.nrows(),
            data.ncols()
        )));
    }
    if let Some(index) = data.iter().position(|v| !v.is_finite()) {
        return Err(Error::NonFinite {
            what: "data".into(),
            index,
        });
    }
    Ok(())
}

/// Standardises every column to zero mean and unit variance (the population variance, divided
/// by n), as scikit-learn's `StandardScaler`, which the ClAM authors apply before clustering.
/// A constant column becomes all zeros.
///
/// Errors: [`Error::Empty`] for no rows or columns, [`Error::NonFinite`] for NaN or infinity.
pub fn standardize(data: ArrayView2<f64>) -> Result<Array2<f64>> {
    check_data(data)?;
    let mean = data.mean_axis(Axis(0)).expect("at least one row");
    let mut out = &data - &mean;
    let n = data.nrows() as f64;
    for mut column in out.columns_mut() {
        let var = column.iter().map(|v| v * v).sum::<f64>() / n;
        let scale = var.sqrt();
        if scale > f64::EPSILON * 1e3 {
            column.mapv_inplace(|v| v / scale);
        } else {
            column.fill(0.0);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_sets_have_their_published_shapes_and_classes() {
        let expected = [
            (Dataset::Iris, 150, 4, vec![50, 50, 50]),
            (Dataset::Wine, 178, 13, vec![59, 71, 48]),
            (Dataset::BreastCancer, 569, 30, vec![212, 357]),
        ];
        for (set, n, d, counts) in expected {
            let data = set.load().unwrap();
            assert_eq!(data.features.dim(), (n, d), "{}", set.name());
            let mut seen = vec![0; counts.len()];
            for &l in &data.labels {
                seen[l] += 1;
            }
            assert_eq!(seen, counts, "{}", set.name());
        }
        let digits = Dataset::Digits.load().unwrap();
        assert_eq!(digits.features.dim(), (1797, 64));
        assert_eq!(digits.classes(), 10);
        assert_eq!(
            Dataset::from_name("breast_cancer").unwrap(),
            Dataset::BreastCancer
        );
        assert!(Dataset::from_name("mnist").is_err());
    }

    #[test]
    fn standardized_columns_have_unit_variance() {
        let wine = Dataset::Wine.load().unwrap();
        let z = standardize(wine.features.view()).unwrap();
        for column in z.columns() {
            let mean = column.mean().unwrap();
            let var = column.iter().map(|v| v * v).sum::<f64>() / column.len() as f64;
            assert!(mean.abs() < 1e-12 && (var - 1.0).abs() < 1e-12);
        }
        let digits = Dataset::Digits.load().unwrap();
        let z = standardize(digits.features.view()).unwrap();
        assert!(z.column(0).iter().all(|&v| v == 0.0)); // pixel 0 is always blank
        let bad = ndarray::array![[1.0, f64::NAN]];
        assert!(matches!(
            standardize(bad.view()),
            Err(Error::NonFinite { index: 1, .. })
        ));
    }
}
