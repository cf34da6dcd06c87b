//! `engram experiment drdam | uhop | kde`: memory beyond its size (random-feature DAM), a learned
//! separating feature map (U-Hop+), and the Gaussian KDE as an associative memory.

use std::io::Write;
use std::time::Duration;

use engram::experiment::drdam::{
    drdam_errors, feature_ablation, fit_slopes, AblationRow, DrDamOptions, DrDamRow, SlopeFit,
};
use engram::experiment::kde::{
    bound_growth_rate, capacity_growth_rate, kde_capacity, langevin_digits, theorem_check,
    KdeCapacityOptions, KdeCapacityRow, LangevinRow, TheoremCheck,
};
use engram::experiment::plot::{
    log_log_plot, Series, Style, BLACK, BLUE, GRAY, GREEN, ORANGE, PURPLE, RED, WHITE,
};
use engram::experiment::uhop::{
    spherical_codes, uhop_retrieval, CodeRow, UhopOptions, UhopRow, TAMMES_ANGLES,
};
use engram::model::{RandomFeatureKind, SeparationTraining};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::cli::{DrdamArgs, KdeArgs, UhopArgs};
use crate::error::{CliResult, Context};

fn spinner(prefix: &str) -> ProgressBar {
    let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
    bar.set_style(
        ProgressStyle::with_template("{spinner} {prefix} [{elapsed}] {msg}")
            .expect("the progress template is valid"),
    );
    bar.set_prefix(prefix.to_string());
    bar.enable_steady_tick(Duration::from_millis(120));
    bar
}

// ---------------------------------------------------------------------------------------------
// DrDAM
// ---------------------------------------------------------------------------------------------

/// Runs `engram experiment drdam`.
pub fn drdam(args: &DrdamArgs) -> CliResult<()> {
    let kind: RandomFeatureKind = args.kind.parse()?;
    let opts = DrDamOptions {
        dims: args.dims.clone(),
        betas: args.betas.clone(),
        features: args.features.clone(),
        patterns: args.patterns,
        queries: args.queries,
        flip: args.flip,
        steps: args.steps,
        step_size: args.step_size,
        repeats: args.repeats,
        kind,
        digit_betas: if args.no_digits {
            Vec::new()
        } else {
            args.digit_betas.clone()
        },
        seed: args.seed,
    };
    let bar = spinner("DrDAM vs exact memory");
    let rows = drdam_errors(&opts, |r| {
        bar.set_message(format!(
            "{} beta={} d={} Y={}",
            r.dataset, r.beta, r.dim, r.features
        ));
    });
    bar.finish_and_clear();
    let rows = rows?;
    let slopes = fit_slopes(&rows);
    let ablation_betas: Vec<f32> = [opts.betas.first(), opts.digit_betas.last()]
        .into_iter()
        .flatten()
        .copied()
        .collect();
    let ablation = if opts.digit_betas.is_empty() {
        Vec::new()
    } else {
        feature_ablation(&opts, &ablation_betas, 4000)?
    };
    drdam_plot(args, &rows)?;
    let mut out = std::io::stdout().lock();
    if args.json {
        serde_json::to_writer_pretty(
            &mut out,
            &serde_json::json!({
                "rows": rows,
                "slopes": slopes,
                "ablation": ablation,
                "png": args.png.display().to_string(),
            }),
        )?;
        writeln!(out).ok();
        return Ok(());
    }
    print_drdam(&mut out, &opts, &rows, &slopes, &ablation, args).ok();
    Ok(())
}

fn drdam_plot(args: &DrdamArgs, rows: &[DrDamRow]) -> CliResult<()> {
    let mut series = Vec::new();
    // The random patterns at the middle dimension (lines) and the digits (markers), one curve
    // per beta.
    let mid = args.dims.get(args.dims.len() / 2).copied();
    for (dataset, dim, style, colors) in [
        (
            "random",
            mid,
            Style::LineMarkers,
            [BLUE, RED, GREEN, ORANGE, PURPLE],
        ),
        (
            "digits",
            Some(64),
            Style::Markers,
            [ORANGE, PURPLE, BLACK, BLUE, RED],
        ),
    ] {
        let Some(dim) = dim else { continue };
        let betas = if dataset == "random" {
            &args.betas
        } else if args.no_digits {
            continue;
        } else {
            &args.digit_betas
        };
        for (i, &beta) in betas.iter().enumerate() {
            let points: Vec<(f64, f64)> = rows
                .iter()
                .filter(|r| r.dataset == dataset && r.dim == dim && r.beta == beta)
                .map(|r| (r.features as f64, r.energy_error))
                .collect();
            if !points.is_empty() {
                series.push(Series::new(
                    format!("{dataset} d={dim} beta={beta}"),
                    points,
                    colors[i % colors.len()],
                    style,
                ));
            }
        }
    }
    // A 1/sqrt(Y) reference through the first curve's first point.
    if let Some((y0, e0)) = series.first().and_then(|s| s.points.first().copied()) {
        let reference = args
            .features
            .iter()
            .map(|&y| (y as f64, e0 * (y0 / y as f64).sqrt()))
            .collect();
        series.push(Series::new("1/sqrt(Y)", reference, GRAY, Style::Line));
    }
    // The legend sits in the top left corner of the frame: one invisible point far above the
    // data raises the top of the axis so that the legend does not cover the curves.
    let ys: Vec<f64> = series
        .iter()
        .flat_map(|s| s.points.iter().map(|p| p.1))
        .filter(|&y| y > 0.0 && y.is_finite())
        .collect();
    let (lo, hi) = ys
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &y| {
            (a.min(y), b.max(y))
        });
    if let (Some(&x), true) = (args.features.iter().max(), hi > 0.0 && lo.is_finite()) {
        // The helper pads the range by 5% at each end and stacks legend rows of 22 of the 448
        // pixels of the frame from 10 pixels below its top; keep one spare row.
        let f = (22.0 * (series.len() + 1) as f64 + 10.0) / 448.0;
        let span = (hi / lo).log10().max(0.3);
        let lift = span * (1.1 * f - 0.05) / (1.05 - 1.1 * f).max(0.05);
        series.push(Series::new(
            "",
            vec![(x as f64, hi * 10f64.powf(lift))],
            WHITE,
            Style::Line,
        ));
    }
    log_log_plot(
        &args.png,
        "DRDAM ENERGY ERROR NEAR MEMORIES",
        "Y (RANDOM FEATURES)",
        "MEAN |E - E^|",
        &series,
    )
    .context(format!("--png {}", args.png.display()))
}

fn print_drdam(
    out: &mut impl Write,
    opts: &DrDamOptions,
    rows: &[DrDamRow],
    slopes: &[SlopeFit],
    ablation: &[AblationRow],
    args: &DrdamArgs,
) -> std::io::Result<()> {
    writeln!(
        out,
        "DrDAM (Hoover et al. 2024) vs the exact memory: K = {} patterns, {} queries per set, {} \
         features, {} draw{} per point",
        opts.patterns,
        opts.queries,
        opts.kind.name(),
        opts.repeats,
        if opts.repeats == 1 { "" } else { "s" }
    )?;
    writeln!(
        out,
        "{:<7} {:>5} {:>4} {:>6}  {:>9} {:>9} {:>9}  {:>7} {:>7} {:>6}",
        "data", "beta", "d", "Y", "E err mem", "E err near", "E err far", "state", "dist", "exact"
    )?;
    for r in rows {
        writeln!(
            out,
            "{:<7} {:>5} {:>4} {:>6}  {:>9.2e} {:>10.2e} {:>9.2e}  {:>7.3} {:>7.3} {:>6.2}",
            r.dataset,
            r.beta,
            r.dim,
            r.features,
            r.energy_error_memories,
            r.energy_error,
            r.energy_error_far,
            r.state_error,
            r.state_distance,
            r.exact_recalled
        )?;
    }
    writeln!(
        out,
        "E err: mean |E - E^| at the memories, near them (flip {}), far from them; state: \
         fraction of binarized coordinates where the DrDAM and exact final states differ ({} \
         steps of {}); dist: mean |x_DrDAM - x_exact|; exact: cues the exact memory returns to \
         their pattern",
        opts.flip, opts.steps, opts.step_size
    )?;
    if let Some(r) = rows.first() {
        writeln!(
            out,
            "memory: DrDAM holds {} numbers at Y = {} whatever K; the exact memory holds K d = {}",
            r.drdam_parameters, r.features, r.mrdam_parameters
        )?;
    }
    writeln!(out)?;
    writeln!(
        out,
        "Log-log slopes of the energy error against Y (1/sqrt(Y) gives -0.5):"
    )?;
    writeln!(
        out,
        "{:<7} {:>5} {:>4}  {:>9} {:>9} {:>9}",
        "data", "beta", "d", "memories", "near", "far"
    )?;
    for group in slopes.chunks(3) {
        let find = |q: &str| {
            group
                .iter()
                .find(|s| s.queries == q)
                .map(|s| s.slope)
                .unwrap_or(f64::NAN)
        };
        writeln!(
            out,
            "{:<7} {:>5} {:>4}  {:>9.3} {:>9.3} {:>9.3}",
            group[0].dataset,
            group[0].beta,
            group[0].dim,
            find("memories"),
            find("near"),
            find("far")
        )?;
    }
    let mean = |q: &str| {
        let v: Vec<f64> = slopes
            .iter()
            .filter(|s| s.queries == q && s.slope.is_finite())
            .map(|s| s.slope)
            .collect();
        v.iter().sum::<f64>() / v.len().max(1) as f64
    };
    writeln!(
        out,
        "mean slope: at the memories {:.3}, near them {:.3}, far {:.3}",
        mean("memories"),
        mean("near"),
        mean("far")
    )?;
    if !ablation.is_empty() {
        writeln!(out)?;
        writeln!(
            out,
            "Feature maps on the digits (the paper's Fig. 6 ablation), Y = {}:",
            ablation[0].features
        )?;
        writeln!(
            out,
            "{:<20} {:>5}  {:>11} {:>11}",
            "features", "beta", "E err mem", "E err far"
        )?;
        for a in ablation {
            writeln!(
                out,
                "{:<20} {:>5}  {:>11.2e} {:>11.2e}",
                a.kind, a.beta, a.energy_error_memories, a.energy_error_far
            )?;
        }
    }
    writeln!(out, "wrote {}", args.png.display())
}

// ---------------------------------------------------------------------------------------------
// U-Hop
// ---------------------------------------------------------------------------------------------

/// Runs `engram experiment uhop`.
pub fn uhop(args: &UhopArgs) -> CliResult<()> {
    let opts = UhopOptions {
        sizes: args.sizes.clone(),
        beta: args.beta,
        noise: args.noise.clone(),
        random_dim: args.random_dim,
        seed: args.seed,
        ..UhopOptions::default()
    };
    let bar = spinner("U-Hop retrieval");
    let rows = uhop_retrieval(&opts, |r| {
        bar.set_message(format!(
            "{} M={} {} noise {}",
            r.dataset, r.patterns, r.map, r.noise
        ));
    });
    bar.finish_and_clear();
    let rows = rows?;
    let training = SeparationTraining {
        steps: args.code_steps,
        learning_rate: 0.01,
        temperature: 0.02,
    };
    let cases: Vec<(usize, usize)> = TAMMES_ANGLES
        .iter()
        .map(|&(m, _)| (m, 3))
        .chain([(20, 64), (65, 64), (100, 64), (200, 64)])
        .collect();
    let bar = spinner("spherical codes");
    let codes = spherical_codes(&cases, 3, &training, args.seed);
    bar.finish_and_clear();
    let codes = codes?;
    let mut out = std::io::stdout().lock();
    if args.json {
        serde_json::to_writer_pretty(
            &mut out,
            &serde_json::json!({ "rows": rows, "codes": codes }),
        )?;
        writeln!(out).ok();
        return Ok(());
    }
    print_uhop(&mut out, &opts, &rows, &codes).ok();
    Ok(())
}

fn print_uhop(
    out: &mut impl Write,
    opts: &UhopOptions,
    rows: &[UhopRow],
    codes: &[CodeRow],
) -> std::io::Result<()> {
    writeln!(
        out,
        "U-Hop (Wu et al. 2024): one retrieval step at beta = {}, cosine kernel in feature space, \
         maps trained on the stored patterns",
        opts.beta
    )?;
    writeln!(
        out,
        "{:<7} {:>4} {:>3} {:>5}  {:<7} {:>9} {:>10} {:>8}",
        "data", "M", "d", "noise", "map", "error", "retrieved", "Delta"
    )?;
    for r in rows {
        writeln!(
            out,
            "{:<7} {:>4} {:>3} {:>5}  {:<7} {:>9.4} {:>10} {:>8.3}",
            r.dataset,
            r.patterns,
            r.dim,
            r.noise,
            r.map,
            r.retrieval_error,
            format!("{}/{}", r.retrieved, r.patterns),
            r.min_separation
        )?;
    }
    writeln!(
        out,
        "error: mean |x* - xi|^2; retrieved: |x* - xi| < 0.1; Delta: minimal separation \
         1 - max cos of the stored patterns in feature space (simplex bound M/(M-1))"
    )?;
    writeln!(out)?;
    writeln!(
        out,
        "Spherical codes (Hu, Wu & Liu 2024): M digits mapped linearly into D dimensions, best of 3 \
         starts"
    )?;
    writeln!(
        out,
        "{:>3} {:>4}  {:>8} {:>8} {:>8} {:>7}  {:>8} {:>8} {:>8}",
        "D", "M", "before", "learned", "optimum", "ratio", "lower", "upper", "simplex"
    )?;
    for c in codes {
        writeln!(
            out,
            "{:>3} {:>4}  {:>8.4} {:>8.4} {:>8.4} {:>7.4}  {:>8.4} {:>8.4} {:>8.4}",
            c.feature_dim,
            c.patterns,
            c.initial,
            c.achieved,
            c.optimum,
            c.achieved / c.optimum,
            c.lower_bound,
            c.upper_bound,
            c.simplex_bound
        )?;
    }
    writeln!(
        out,
        "optimum: the Tammes problem (D = 3) or the regular simplex (M <= D + 1); lower/upper: the \
         paper's bounds on the optimal separation; simplex: M/(M-1) (Rankin 1955)"
    )
}

// ---------------------------------------------------------------------------------------------
// KDE
// ---------------------------------------------------------------------------------------------

/// Runs `engram experiment kde`.
pub fn kde(args: &KdeArgs) -> CliResult<()> {
    let opts = KdeCapacityOptions {
        dims: args.dims.clone(),
        beta: args.beta,
        trials: args.trials,
        max_patterns: args.max_patterns,
        seed: args.seed,
        ..KdeCapacityOptions::default()
    };
    let bar = spinner("KDE capacity");
    let rows = kde_capacity(&opts, |r| {
        bar.set_message(format!("D={} capacity {}", r.dim, r.capacity));
    });
    bar.finish_and_clear();
    let rows = rows?;
    let rate = capacity_growth_rate(&rows);
    let bound_rate = bound_growth_rate(&rows);
    let bar = spinner("theorem checks and Langevin chains");
    let theorem: CliResult<Vec<TheoremCheck>> = [20usize, 24, 32]
        .iter()
        .map(|&d| Ok(theorem_check(d, 100.0, args.theorem_patterns, &opts)?))
        .collect();
    let langevin = langevin_digits(&[0.01, 0.02, 0.05, 0.1], 100, 400, 0.1, args.seed);
    bar.finish_and_clear();
    let (theorem, langevin) = (theorem?, langevin?);
    let mut out = std::io::stdout().lock();
    if args.json {
        serde_json::to_writer_pretty(
            &mut out,
            &serde_json::json!({
                "rows": rows,
                "growth_rate": rate,
                "bound_growth_rate": bound_rate,
                "theorem": theorem,
                "langevin": langevin,
            }),
        )?;
        writeln!(out).ok();
        return Ok(());
    }
    print_kde(
        &mut out,
        &opts,
        &rows,
        (rate, bound_rate),
        &theorem,
        &langevin,
    )
    .ok();
    Ok(())
}

fn print_kde(
    out: &mut impl Write,
    opts: &KdeCapacityOptions,
    rows: &[KdeCapacityRow],
    (rate, bound_rate): (f64, f64),
    theorem: &[TheoremCheck],
    langevin: &[LangevinRow],
) -> std::io::Result<()> {
    writeln!(
        out,
        "Gaussian KDE as an associative memory (Schaeffer et al. 2024): random unit patterns, \
         beta = 1/sigma^2 = {}, {} draws per D",
        opts.beta, opts.trials
    )?;
    writeln!(
        out,
        "{:>3}  {:>8}  {:<28}  {:>9} {:>7} {:>8}",
        "D", "capacity", "draws", "theorem N", "base c", "applies"
    )?;
    for r in rows {
        let draws = r
            .trials
            .iter()
            .map(|t| t.to_string())
            .collect::<Vec<_>>()
            .join(",");
        writeln!(
            out,
            "{:>3}  {:>8}{} {:<28}  {:>9.3} {:>7.3} {:>8}",
            r.dim,
            r.capacity,
            if r.censored { "+" } else { " " },
            draws,
            r.bound,
            r.bound_base,
            if r.bound_applies { "yes" } else { "no" }
        )?;
    }
    writeln!(
        out,
        "measured capacity grows as e^({rate:.3} D) (x{:.2} per dimension); the theorem's \
         sqrt(p) c^((D-1)/4) (p = {}) as e^({bound_rate:.3} D) over the same D",
        rate.exp(),
        opts.failure_probability
    )?;
    writeln!(out, "Where the theorem applies (beta = 100):")?;
    for t in theorem {
        writeln!(
            out,
            "  D = {:>2}: guaranteed {:>6.2} patterns; {} random patterns {}",
            t.dim,
            t.bound,
            t.patterns,
            if t.all_stored {
                "all stored"
            } else {
                "NOT all stored"
            }
        )?;
    }
    writeln!(out)?;
    writeln!(
        out,
        "Langevin sampling, one chain from each of {} unit-norm digits (D = 64), eta = 0.1 sigma^2:",
        langevin.first().map(|l| l.patterns).unwrap_or(0)
    )?;
    writeln!(
        out,
        "{:>6}  {:>11} {:>11}  {:>7} {:>10}",
        "sigma", "|x-xi|^2", "predicted", "stayed", "mean ln p"
    )?;
    for l in langevin {
        writeln!(
            out,
            "{:>6}  {:>11.5} {:>11.5}  {:>7.2} {:>10.2}",
            l.bandwidth, l.mean_sq_distance, l.predicted_sq_distance, l.stayed, l.mean_log_density
        )?;
    }
    writeln!(
        out,
        "predicted: D sigma^2 / (1 - eta/(2 sigma^2)) for a chain that stays in its Gaussian mode; \
         stayed: chains whose sample is closest to their own digit"
    )
}
