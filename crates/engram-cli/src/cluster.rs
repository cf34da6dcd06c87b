//! `engram cluster`: ClAM beside k-means on an embedded data set or a .npy file.

use std::io::Write;
use std::path::PathBuf;
use std::time::Instant;

use clap::Args;
use engram::cluster::{
    adjusted_rand_index, normalized_mutual_info, silhouette, standardize, Clam, Dataset, KMeans,
};
use ndarray::Array2;
use serde::Serialize;

use crate::error::{fail, CliResult, Context};

const CLUSTER_HELP: &str = "\
Clusters the rows of a data set with ClAM (Saha, Krotov, Zaki & Ram, ICML 2023: prototypes
learned through the unrolled dynamics of an associative memory with a masked-completion loss)
and with k-means (k-means++ seeds, Lloyd, 10 restarts), then prints the silhouette coefficient
(Euclidean) of both, and NMI and ARI against the true classes when the data set has them.

Features are standardised first (zero mean and unit variance per column, the authors'
StandardScaler); both methods and the silhouette work on the standardised features. A ClAM run
that ends with a single cluster gets silhouette -1 (the authors' convention).

Data sets (embedded, with labels): iris, wine, ecoli, breast-cancer, digits, ctg (ecoli and ctg
are two of the ClAM paper's benchmarks); --data reads an (n, d) .npy file of f32 or f64 values
(no labels).

Examples:
  engram cluster --dataset iris
  engram cluster --dataset ecoli
  engram cluster --dataset wine --k 3 --seed 1 --json
  engram cluster --data points.npy --k 5 --epochs 50";

/// Options of `engram cluster`.
#[derive(Debug, Args)]
#[command(after_help = CLUSTER_HELP)]
pub struct ClusterArgs {
    /// An (n, d) .npy file of points, one per row.
    #[arg(long, value_name = "FILE.npy", conflicts_with = "dataset")]
    pub data: Option<PathBuf>,

    /// An embedded data set: iris, wine, ecoli, breast-cancer, digits or ctg.
    #[arg(long, value_name = "NAME")]
    pub dataset: Option<String>,

    /// Number of clusters (default with --dataset: the number of classes).
    #[arg(long, value_name = "K")]
    pub k: Option<usize>,

    /// Seed of both methods (initialisation, minibatch order, masks).
    #[arg(long, default_value_t = 0, value_name = "S")]
    pub seed: u64,

    /// ClAM training epochs.
    #[arg(long, default_value_t = 30, value_name = "E")]
    pub epochs: usize,

    /// ClAM inverse temperature beta.
    #[arg(long, default_value_t = 1.0, value_name = "BETA")]
    pub beta: f64,

    /// ClAM minibatch size.
    #[arg(long, default_value_t = 8, value_name = "B")]
    pub batch: usize,

    /// ClAM learning rate (Adam).
    #[arg(long, default_value_t = 0.01, value_name = "LR")]
    pub lr: f64,

    /// Print one JSON object {"clam": {...}, "kmeans": {...}} instead of the table.
    #[arg(long)]
    pub json: bool,
}

/// The scores of one clustering.
#[derive(Debug, Serialize)]
struct Scores {
    silhouette: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    nmi: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    ari: Option<f64>,
}

fn scores(x: &Array2<f64>, labels: &[usize], truth: Option<&[usize]>) -> CliResult<Scores> {
    let mut distinct = labels.to_vec();
    distinct.sort_unstable();
    distinct.dedup();
    let silhouette = if distinct.len() < 2 {
        -1.0
    } else {
        silhouette(x.view(), labels)?
    };
    let (nmi, ari) = match truth {
        Some(t) => (
            Some(normalized_mutual_info(t, labels)?),
            Some(adjusted_rand_index(t, labels)?),
        ),
        None => (None, None),
    };
    Ok(Scores {
        silhouette,
        nmi,
        ari,
    })
}

/// Runs `engram cluster`.
pub fn run(args: &ClusterArgs) -> CliResult<()> {
    let (name, features, truth) = match (&args.data, &args.dataset) {
        (Some(path), None) => {
            let features = engram::pattern::read_npy_f64(path)
                .context(format!("--data {}", path.display()))?;
            (path.display().to_string(), features, None)
        }
        (None, Some(name)) => {
            let set = Dataset::from_name(name)?.load()?;
            (set.name.to_string(), set.features, Some(set.labels))
        }
        (None, None) => return fail("give --data FILE.npy or --dataset NAME"),
        (Some(_), Some(_)) => return fail("give either --data or --dataset, not both"),
    };
    let (n, d) = features.dim();
    let k = match (args.k, &truth) {
        (Some(k), _) => k,
        (None, Some(labels)) => labels.iter().max().map_or(0, |&m| m + 1),
        (None, None) => return fail("--k is required with --data"),
    };
    if k < 2 {
        return fail(format!(
            "invalid parameter k: must be at least 2 (the silhouette compares clusters), got {k}"
        ));
    }
    if k >= n {
        return fail(format!(
            "invalid parameter k: {k} clusters need more than {k} points, the data has {n}"
        ));
    }
    let x = standardize(features.view()).context(format!("data {name}"))?;
    let clock = Instant::now();
    let kmeans = KMeans::new(k).with_seed(args.seed).fit(x.view())?;
    let kmeans_time = clock.elapsed().as_secs_f64();
    let clam = Clam {
        beta: args.beta,
        epochs: args.epochs,
        batch: args.batch,
        learning_rate: args.lr,
        seed: args.seed,
        ..Clam::new(k)
    };
    let clock = Instant::now();
    let fit = clam.fit(x.view())?;
    let clam_time = clock.elapsed().as_secs_f64();
    let truth = truth.as_deref();
    let clam_scores = scores(&x, &fit.labels, truth)?;
    let kmeans_scores = scores(&x, &kmeans.labels, truth)?;
    let mut out = std::io::stdout().lock();
    if args.json {
        let value = serde_json::json!({ "clam": clam_scores, "kmeans": kmeans_scores });
        serde_json::to_writer(&mut out, &value)?;
        writeln!(out).ok();
        return Ok(());
    }
    writeln!(
        out,
        "{name}: {n} points x {d} features, k = {k}, seed {}; features standardised (z-score)",
        args.seed
    )
    .ok();
    writeln!(
        out,
        "{:<8} {:>10} {:>7} {:>7} {:>8}",
        "method", "silhouette", "NMI", "ARI", "seconds"
    )
    .ok();
    let cell = |v: Option<f64>| v.map_or("-".to_string(), |v| format!("{v:.4}"));
    for (method, s, time) in [
        ("ClAM", &clam_scores, clam_time),
        ("k-means", &kmeans_scores, kmeans_time),
    ] {
        writeln!(
            out,
            "{method:<8} {:>10.4} {:>7} {:>7} {time:>8.2}",
            s.silhouette,
            cell(s.nmi),
            cell(s.ari),
        )
        .ok();
    }
    writeln!(
        out,
        "ClAM: beta {}, alpha {}, T = {} steps, {}% masked, Adam {} x {} epochs of batches of {}; \
         completion loss {:.4} -> {:.4} (epoch {} kept). k-means: inertia {:.4}",
        clam.beta,
        clam.step_size,
        clam.steps,
        100.0 * clam.mask_fraction,
        clam.learning_rate,
        clam.epochs,
        clam.batch,
        fit.epoch_losses[0],
        fit.epoch_losses[fit.best_epoch],
        fit.best_epoch + 1,
        kmeans.inertia
    )
    .ok();
    Ok(())
}
