//! `engram experiment clam`: ClAM against k-means on every embedded data set, under the paper's
//! protocol (36-configuration grid, selection by silhouette) and under engram's guarded rule.

use std::io::Write;
use std::time::Instant;

use clap::Args;
use engram::cluster::{
    adjusted_rand_index, clustering_silhouette, normalized_mutual_info, standardize, ClamGrid,
    Dataset, KMeans,
};
use serde::Serialize;

use crate::error::{fail, CliResult};

const CLAM_HELP: &str = "\
For every data set: k = the number of classes, features standardised; k-means (k-means++ and
Lloyd, best inertia of --kmeans-restarts runs; the authors used 1000); ClAM trained on the
paper's 36-configuration grid (beta x learning rate x mask value, up to 200 epochs each).
Two ClAM columns: the paper's rule (the best silhouette of the grid, whatever the partition)
and engram's default (the best silhouette among runs whose k clusters each hold at least a tenth
of n / k points), plus the grid's median. NMI and ARI against the classes show whether a
partition means anything. docs/clam.md puts these figures in context (the paper's own tables
could not be read offline; see docs/clam-paper-numbers.md).";

/// Options of `engram experiment clam`.
#[derive(Debug, Args)]
#[command(after_help = CLAM_HELP)]
pub struct ClamArgs {
    /// Comma-separated data sets (default: every embedded one).
    #[arg(long, value_delimiter = ',', value_name = "NAMES")]
    pub datasets: Vec<String>,

    /// Seed of both methods.
    #[arg(long, default_value_t = 0, value_name = "S")]
    pub seed: u64,

    /// Most ClAM epochs per configuration.
    #[arg(long, default_value_t = 200, value_name = "E")]
    pub epochs: usize,

    /// k-means restarts.
    #[arg(long, default_value_t = 100, value_name = "R")]
    pub kmeans_restarts: usize,

    /// Print one JSON array, one object per data set, instead of the table.
    #[arg(long)]
    pub json: bool,
}

/// Silhouette, NMI and ARI of one partition, with its smallest cluster.
#[derive(Debug, Serialize)]
struct Scores {
    silhouette: f64,
    nmi: f64,
    ari: f64,
    clusters: usize,
    smallest_cluster: usize,
}

/// One data set's row.
#[derive(Debug, Serialize)]
struct Row {
    dataset: &'static str,
    points: usize,
    features: usize,
    k: usize,
    kmeans: Scores,
    clam_paper_rule: Scores,
    clam_default_rule: Scores,
    clam_grid_median_silhouette: f64,
    clam_failed_runs: usize,
    clam_seconds: f64,
}

fn scores_of(
    x: &ndarray::Array2<f64>,
    labels: &[usize],
    truth: &[usize],
    k: usize,
) -> CliResult<Scores> {
    let mut sizes = vec![0usize; k.max(labels.iter().max().map_or(0, |&m| m + 1))];
    for &l in labels {
        sizes[l] += 1;
    }
    let used: Vec<usize> = sizes.into_iter().filter(|&s| s > 0).collect();
    Ok(Scores {
        silhouette: clustering_silhouette(x.view(), labels)?,
        nmi: normalized_mutual_info(truth, labels)?,
        ari: adjusted_rand_index(truth, labels)?,
        clusters: used.len(),
        smallest_cluster: used.iter().copied().min().unwrap_or(0),
    })
}

/// Runs `engram experiment clam`.
pub fn run(args: &ClamArgs) -> CliResult<()> {
    let sets: Vec<Dataset> = if args.datasets.is_empty() {
        Dataset::ALL.to_vec()
    } else {
        args.datasets
            .iter()
            .map(|name| Dataset::from_name(name))
            .collect::<Result<_, _>>()?
    };
    if args.epochs == 0 || args.kmeans_restarts == 0 {
        return fail("invalid parameter: --epochs and --kmeans-restarts must be at least 1");
    }
    let mut rows = Vec::new();
    for set in sets {
        let data = set.load()?;
        let k = data.classes();
        let x = standardize(data.features.view())?;
        let kmeans = KMeans {
            restarts: args.kmeans_restarts,
            ..KMeans::new(k).with_seed(args.seed)
        }
        .fit(x.view())?;
        let mut grid = ClamGrid::paper(k);
        grid.base.epochs = args.epochs;
        grid.base.seed = args.seed;
        let clock = Instant::now();
        let fit = grid.fit(x.view())?;
        let clam_seconds = clock.elapsed().as_secs_f64();
        let paper_rule = fit.winner(None).expect("a run trained");
        let default_rule = fit.winner(grid.min_cluster_share).expect("a run trained");
        let row = Row {
            dataset: data.name,
            points: x.nrows(),
            features: x.ncols(),
            k,
            kmeans: scores_of(&x, &kmeans.labels, &data.labels, k)?,
            clam_paper_rule: scores_of(&x, &fit.runs[paper_rule].labels, &data.labels, k)?,
            clam_default_rule: scores_of(&x, &fit.runs[default_rule].labels, &data.labels, k)?,
            clam_grid_median_silhouette: fit.median_silhouette(),
            clam_failed_runs: fit.runs.iter().filter(|r| r.silhouette.is_none()).count(),
            clam_seconds,
        };
        if !args.json {
            eprintln!(
                "{}: done in {:.1} s (ClAM grid)",
                row.dataset, row.clam_seconds
            );
        }
        rows.push(row);
    }
    let mut out = std::io::stdout().lock();
    if args.json {
        serde_json::to_writer_pretty(&mut out, &rows)?;
        writeln!(out).ok();
        return Ok(());
    }
    writeln!(
        out,
        "Silhouette (NMI, ARI; clusters used / smallest cluster) on standardised features, seed {}, k-means best of \
         {} restarts, ClAM {} configurations x up to {} epochs.",
        args.seed,
        args.kmeans_restarts,
        ClamGrid::paper(2).configs().len(),
        args.epochs
    )
    .ok();
    writeln!(
        out,
        "{:<14} {:>11} {:>30} {:>30} {:>30} {:>7}",
        "data set", "n x d, k", "k-means", "ClAM, paper's rule", "ClAM, engram's rule", "median"
    )
    .ok();
    let cell = |s: &Scores| {
        format!(
            "{:.4} ({:.2}, {:.2}; {}/{})",
            s.silhouette, s.nmi, s.ari, s.clusters, s.smallest_cluster
        )
    };
    for row in &rows {
        writeln!(
            out,
            "{:<14} {:>11} {:>30} {:>30} {:>30} {:>7.4}",
            row.dataset,
            format!("{}x{}, {}", row.points, row.features, row.k),
            cell(&row.kmeans),
            cell(&row.clam_paper_rule),
            cell(&row.clam_default_rule),
            row.clam_grid_median_silhouette
        )
        .ok();
    }
    let above = |pick: fn(&Row) -> f64| {
        rows.iter()
            .filter(|r| pick(r) > r.kmeans.silhouette)
            .count()
    };
    writeln!(
        out,
        "ClAM's silhouette above k-means: {} of {} data sets by the paper's rule, {} of {} by \
         engram's.",
        above(|r| r.clam_paper_rule.silhouette),
        rows.len(),
        above(|r| r.clam_default_rule.silhouette),
        rows.len()
    )
    .ok();
    Ok(())
}
