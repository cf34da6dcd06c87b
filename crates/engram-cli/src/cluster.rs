//! `engram cluster`: ClAM beside k-means on an embedded data set or a .npy file.

use std::io::Write;
use std::path::PathBuf;
use std::time::Instant;

use clap::Args;
use engram::cluster::{
    adjusted_rand_index, clustering_silhouette, normalized_mutual_info, standardize, Clam,
    ClamGrid, Dataset, KMeans, MaskValue, PrototypeInit,
};
use ndarray::Array2;
use serde::Serialize;

use crate::error::{fail, CliResult, Context};

const CLUSTER_HELP: &str = "\
Clusters the rows of a data set with ClAM (Saha, Krotov, Zaki & Ram, ICML 2023: prototypes
learned through the unrolled dynamics of an associative memory with a masked-completion loss)
and with k-means (k-means++ seeds, Lloyd, best inertia of --kmeans-restarts runs), then prints
the silhouette coefficient (Euclidean) of both, and NMI and ARI against the true classes when
the data set has them.

ClAM follows the paper's protocol: it trains every configuration of the grid beta in
{1.1, 1.5, 1.9, 2.4} x learning rate in {0.001, 0.01, 0.1} x mask value in {mean, max, min}
(36 runs of up to 200 epochs, in parallel) and reports the one with the best silhouette.
Each of --beta, --lr and --mask-value fixes its axis of the grid; all three give one run.

Features are standardised first (zero mean and unit variance per column, the authors'
StandardScaler); both methods and the silhouette work on the standardised features. A ClAM run
that ends with a single cluster gets silhouette -1 (the authors' convention).

Data sets (embedded, with labels): iris, wine, ecoli, breast-cancer, mice, digits, ctg (ecoli,
mice and ctg are three of the ClAM paper's benchmarks); --data reads an (n, d) .npy file of f32 or
f64 values (no labels).

Examples:
  engram cluster --dataset iris
  engram cluster --dataset ecoli
  engram cluster --dataset wine --k 3 --seed 1 --json
  engram cluster --data points.npy --k 5 --epochs 50 --beta 2 --lr 0.01 --mask-value mean";

/// Options of `engram cluster`.
#[derive(Debug, Args)]
#[command(after_help = CLUSTER_HELP)]
pub struct ClusterArgs {
    /// An (n, d) .npy file of points, one per row.
    #[arg(long, value_name = "FILE.npy", conflicts_with = "dataset")]
    pub data: Option<PathBuf>,

    /// An embedded data set: iris, wine, ecoli, breast-cancer, mice, digits or ctg.
    #[arg(long, value_name = "NAME")]
    pub dataset: Option<String>,

    /// Number of clusters (default with --dataset: the number of classes).
    #[arg(long, value_name = "K")]
    pub k: Option<usize>,

    /// Seed of both methods (initialisation, minibatch order, masks).
    #[arg(long, default_value_t = 0, value_name = "S")]
    pub seed: u64,

    /// Most ClAM training epochs per configuration.
    #[arg(long, default_value_t = 200, value_name = "E")]
    pub epochs: usize,

    /// ClAM inverse temperature beta (default: the grid 1.1, 1.5, 1.9, 2.4).
    #[arg(long, value_name = "BETA")]
    pub beta: Option<f64>,

    /// ClAM initial learning rate of Adam (default: the grid 0.001, 0.01, 0.1).
    #[arg(long, value_name = "LR")]
    pub lr: Option<f64>,

    /// Where ClAM's masked coordinates start: mean, max or min (default: all three).
    #[arg(long, value_name = "STAT")]
    pub mask_value: Option<String>,

    /// How ClAM's prototypes start: gaussian (the authors' normal(0.1, 0.1)) or kmeans++.
    #[arg(long, default_value = "gaussian", value_name = "INIT")]
    pub init: String,

    /// ClAM minibatch size.
    #[arg(long, default_value_t = 8, value_name = "B")]
    pub batch: usize,

    /// k-means restarts (k-means++ + Lloyd each); the lowest inertia is kept.
    #[arg(long, default_value_t = 10, value_name = "R")]
    pub kmeans_restarts: usize,

    /// Select ClAM's configuration by silhouette alone, as the paper does, even when the
    /// winner is degenerate (default: runs whose k clusters each hold at least
    /// --min-cluster-share x n / k points come first).
    #[arg(long)]
    pub paper_selection: bool,

    /// The smallest admitted cluster, as a fraction of an even share n / k of the points.
    #[arg(
        long,
        default_value_t = 0.1,
        value_name = "S",
        conflicts_with = "paper_selection"
    )]
    pub min_cluster_share: f64,

    /// Print every ClAM configuration's silhouette and cluster count after the table.
    #[arg(long, conflicts_with = "json")]
    pub show_grid: bool,

    /// Print one JSON object {"clam": {...}, "kmeans": {...}} instead of the table.
    #[arg(long)]
    pub json: bool,
}

impl ClusterArgs {
    /// The ClAM grid these options describe, around `Clam::new(k)`.
    fn grid(&self, k: usize) -> CliResult<ClamGrid> {
        let init = match self.init.as_str() {
            "kmeans++" => PrototypeInit::KMeansPlusPlus,
            "gaussian" => PrototypeInit::Gaussian {
                mean: 0.1,
                std: 0.1,
            },
            other => {
                return fail(format!(
                    "unknown --init {other:?}: use kmeans++ or gaussian"
                ))
            }
        };
        let mut grid = ClamGrid::paper(k);
        grid.min_cluster_share = (!self.paper_selection).then_some(self.min_cluster_share);
        grid.base = Clam {
            epochs: self.epochs,
            batch: self.batch,
            seed: self.seed,
            init,
            ..grid.base
        };
        if let Some(beta) = self.beta {
            grid.betas = vec![beta];
        }
        if let Some(lr) = self.lr {
            grid.learning_rates = vec![lr];
        }
        if let Some(name) = &self.mask_value {
            match MaskValue::ALL.iter().find(|m| m.name() == name) {
                Some(&m) => grid.mask_values = vec![m],
                None => {
                    return fail(format!(
                        "unknown --mask-value {name:?}: use mean, max or min"
                    ))
                }
            }
        }
        Ok(grid)
    }
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
    let silhouette = clustering_silhouette(x.view(), labels)?;
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
    let grid = args.grid(k)?;
    let clock = Instant::now();
    let kmeans = KMeans {
        restarts: args.kmeans_restarts,
        ..KMeans::new(k).with_seed(args.seed)
    }
    .fit(x.view())?;
    let kmeans_time = clock.elapsed().as_secs_f64();
    let clock = Instant::now();
    let grid_fit = grid.fit(x.view())?;
    let clam_time = clock.elapsed().as_secs_f64();
    let (fit, clam) = (&grid_fit.best, grid_fit.config);
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
    let runs = grid_fit.runs.len();
    let failed = grid_fit
        .runs
        .iter()
        .filter(|r| r.silhouette.is_none())
        .count();
    writeln!(
        out,
        "ClAM: best of {runs} configurations by silhouette{}{} (median silhouette {:.4}): beta {}, \
         Adam {} ({} at the end), mask value {}; alpha {}, T = {} steps, {}% masked, batches of \
         {}, {} epochs run, epoch {} kept, completion loss {:.4} -> {:.4}.",
        match grid.min_cluster_share {
            Some(share) => format!(
                " among those whose {k} clusters hold at least {:.1} points each",
                share * n as f64 / k as f64
            ),
            None => String::new(),
        },
        if failed > 0 {
            format!(", {failed} failed")
        } else {
            String::new()
        },
        grid_fit.median_silhouette(),
        clam.beta,
        clam.learning_rate,
        fit.final_learning_rate,
        clam.mask_value.name(),
        clam.step_size,
        clam.steps,
        100.0 * clam.mask_fraction,
        clam.batch,
        fit.epoch_losses.len(),
        fit.best_epoch + 1,
        fit.epoch_losses[0],
        fit.epoch_losses[fit.best_epoch],
    )
    .ok();
    writeln!(
        out,
        "k-means: best inertia {:.4} of {} restarts.",
        kmeans.inertia, args.kmeans_restarts
    )
    .ok();
    if args.show_grid {
        writeln!(
            out,
            "{:>5} {:>6} {:>5} {:>10} {:>8} {:>8} {:>9}",
            "beta", "lr", "mask", "silhouette", "clusters", "smallest", "best loss"
        )
        .ok();
        for run in &grid_fit.runs {
            writeln!(
                out,
                "{:>5} {:>6} {:>5} {:>10} {:>8} {:>8} {:>9.4}",
                run.config.beta,
                run.config.learning_rate,
                run.config.mask_value.name(),
                run.silhouette
                    .map_or("failed".to_string(), |s| format!("{s:.4}")),
                run.clusters,
                run.smallest_cluster,
                run.best_loss
            )
            .ok();
        }
    }
    Ok(())
}
