//! The digits demo (`engram` / `engram recall` without `--memory`): store one binarized digit
//! per class, recall each from a noisy and from a half-hidden cue with several models side by
//! side, print a table and draw the recall.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use engram::dynamics::{recall, RecallOptions, Schedule};
use engram::model::{DamSeparation, Separation};
use engram::pattern::corrupt::{flip_bits, mask_block};
use engram::pattern::digits::Digits;
use engram::pattern::metrics::bit_errors;
use engram::pattern::png::write_grid_png;
use ndarray::{Array2, ArrayView2, Axis};

use crate::cli::RecallArgs;
use crate::error::{fail, CliResult, Context};
use crate::spec::{self, resolve, ModelSpec};

/// Grey level (of 0..16) above which a pixel is "on" (+1).
const THRESHOLD: f32 = 8.0;
/// Default fraction of pixels flipped in the noisy cue.
const DEFAULT_FLIP: f64 = 0.2;
/// Fraction of image rows hidden (from the bottom) in the completion cue.
const HIDDEN_ROWS: f64 = 0.5;
/// Pixel size of one digit cell in the PNG.
const PNG_SCALE: usize = 8;

/// The models of the default table, in order: each family at its default setting, plus the
/// cubic dense memory, which shows how a low-degree interaction fails on correlated digits.
fn default_models() -> Vec<ModelSpec> {
    vec![
        ModelSpec::Hopfield(spec::DEFAULT_RULE),
        ModelSpec::Dam(DamSeparation::Power { degree: 3 }),
        ModelSpec::Dam(DamSeparation::Exp { beta: 1.0 }),
        ModelSpec::Mhn(spec::DEFAULT_MHN_BETA),
        ModelSpec::Universal(
            spec::DEFAULT_SIMILARITY,
            Separation::Softmax {
                beta: spec::DEFAULT_UNIVERSAL_BETA,
            },
        ),
    ]
}

/// The model drawn in the PNG when the table shows them all: the most robust one on digits.
fn pictured_default() -> ModelSpec {
    ModelSpec::Universal(
        spec::DEFAULT_SIMILARITY,
        Separation::Softmax {
            beta: spec::DEFAULT_UNIVERSAL_BETA,
        },
    )
}

/// The stored digits in the two views the models work on.
struct Views {
    /// +1/-1 pixels (grey level > 8), for hopfield and dam.
    bipolar: Array2<f32>,
    /// Grey levels `g` mapped linearly to `g/8 - 1` in `[-1, 1]`, for mhn and universal.
    /// Centring matters for the dot similarity: on `[0, 1]` images it prefers bright digits.
    grey: Array2<f32>,
}

impl Views {
    fn for_model(&self, spec: &ModelSpec) -> &Array2<f32> {
        if spec.is_bipolar() {
            &self.bipolar
        } else {
            &self.grey
        }
    }
}

/// One cue set: the corrupted queries in both views and the clamped entries, if any.
struct Cue {
    name: String,
    queries: Views,
    observed: Option<Array2<bool>>,
}

/// What one model did on one cue set.
struct Outcome {
    /// Final states in the model's own view.
    states: Array2<f32>,
    exact: usize,
    pixel_error: f64,
    mean_steps: f64,
    millis: f64,
}

/// Runs the demo.
pub fn run(args: &RecallArgs) -> CliResult<()> {
    for (set, flag) in [
        (args.queries.is_some(), "--queries"),
        (args.mask.is_some(), "--mask"),
        (args.values.is_some(), "--values"),
        (args.out.is_some(), "--out"),
        (args.energies.is_some(), "--energies"),
    ] {
        if set {
            return fail(format!(
                "{flag} needs --memory (without it, recall runs the digits demo)"
            ));
        }
    }
    let models = match args.model {
        Some(kind) => vec![resolve(kind, args)?],
        None => {
            let given = [
                (args.rule.is_some(), "--rule"),
                (args.beta.is_some(), "--beta"),
                (args.degree.is_some(), "--degree"),
                (args.separation.is_some(), "--separation"),
                (args.similarity.is_some(), "--similarity"),
            ];
            if let Some((_, flag)) = given.iter().find(|(set, _)| *set) {
                return fail(format!("{flag} sets one model's parameter: add --model"));
            }
            default_models()
        }
    };
    let flip = args.flip.unwrap_or(DEFAULT_FLIP);
    if !(0.0..=1.0).contains(&flip) {
        return fail(format!(
            "invalid parameter flip: must lie in [0, 1], got {flip}"
        ));
    }

    let digits = Digits::load()?;
    let picked = digits.first_of_each_class();
    let stored = Views {
        bipolar: digits.bipolar(THRESHOLD).select(Axis(0), &picked),
        grey: digits
            .unit()
            .select(Axis(0), &picked)
            .mapv(|v| 2.0 * v - 1.0),
    };
    let cues = make_cues(&stored, flip, args.seed)?;
    let count = stored.bipolar.nrows();

    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "engram: recalling {count} stored digits (the first 8x8 image of each class) from \
         corrupted cues\n  hopfield, dam: +1/-1 pixels (grey > {THRESHOLD}); mhn, universal: \
         grey levels scaled to [-1, 1]"
    )
    .ok();
    writeln!(
        out,
        "{:<10} {:<28} {:<18} {:>6} {:>10} {:>6} {:>8}",
        "model", "setting", "cue", "exact", "pixel err", "steps", "ms"
    )
    .ok();
    let picture = match args.model {
        Some(_) => models[0].clone(),
        None => pictured_default(),
    };
    let mut pictured = None;
    for spec in &models {
        let model = spec.build(stored.for_model(spec).clone()).context(format!(
            "{} ({})",
            spec.family(),
            spec.setting()
        ))?;
        // Only the bipolar models have an asynchronous update: in the full table, a chosen
        // --schedule async applies to them alone.
        let schedule = match (args.model, args.schedule) {
            (None, Some(Schedule::Asynchronous)) if !spec.is_bipolar() => None,
            (_, s) => s,
        };
        let opts = RecallOptions {
            max_steps: args.steps,
            tol: args.tol,
            schedule,
            seed: args.seed,
            record_states: false,
        };
        let mut outcomes = Vec::with_capacity(cues.len());
        for cue in &cues {
            let start = Instant::now();
            let result = recall(
                model.as_ref(),
                cue.queries.for_model(spec).view(),
                cue.observed.as_ref().map(|m| m.view()),
                &opts,
            )
            .context(format!("{} ({})", spec.family(), spec.setting()))?;
            let millis = start.elapsed().as_secs_f64() * 1e3;
            let outcome = score(spec, result.states, &result.steps, millis, &stored.bipolar)?;
            writeln!(
                out,
                "{:<10} {:<28} {:<18} {:>6} {:>9.1}% {:>6.1} {:>8.2}",
                spec.family(),
                spec.setting(),
                cue.name,
                format!("{}/{count}", outcome.exact),
                outcome.pixel_error * 100.0,
                outcome.mean_steps,
                outcome.millis
            )
            .ok();
            outcomes.push(outcome);
        }
        if *spec == picture {
            pictured = Some(outcomes);
        }
    }
    let outcomes = pictured.expect("the pictured model is one of the table's");
    let png = args
        .png
        .clone()
        .unwrap_or_else(|| PathBuf::from("recall.png"));
    draw(&png, &picture, &stored, &cues, &outcomes)?;
    writeln!(
        out,
        "exact: digits recalled without a wrong pixel; pixel err: share of wrong pixels; \
         steps: mean per query"
    )
    .ok();
    writeln!(
        out,
        "wrote {} ({} {}): one row per digit, columns original | {} | recalled | {} | completed",
        png.display(),
        picture.family(),
        picture.setting(),
        cues[0].name,
        cues[1].name,
    )
    .ok();
    Ok(())
}

/// The two cue sets: flipped pixels; and the lower half hidden (set to background, -1, in the
/// bipolar view and to mid-grey, 0, in the grey view) with the upper half observed and clamped.
fn make_cues(stored: &Views, flip: f64, seed: u64) -> CliResult<Vec<Cue>> {
    // The same seed negates the same pixels in both views (the choice ignores the values).
    let flipped = Views {
        bipolar: flip_bits(stored.bipolar.view(), flip, seed)?,
        grey: flip_bits(stored.grey.view(), flip, seed)?,
    };
    let shape = Digits::IMAGE_SHAPE;
    let (bipolar, observed) = mask_block(stored.bipolar.view(), shape, HIDDEN_ROWS, -1.0)?;
    let (grey, _) = mask_block(stored.grey.view(), shape, HIDDEN_ROWS, 0.0)?;
    Ok(vec![
        Cue {
            name: format!("flip {:.0}%", flip * 100.0),
            queries: flipped,
            observed: None,
        },
        Cue {
            name: "lower half hidden".into(),
            queries: Views { bipolar, grey },
            observed: Some(observed),
        },
    ])
}

/// Compares final states with the stored +1/-1 digits, pixel by pixel.
fn score(
    spec: &ModelSpec,
    states: Array2<f32>,
    steps: &[usize],
    millis: f64,
    targets: &Array2<f32>,
) -> CliResult<Outcome> {
    let errors = if spec.is_bipolar() {
        bit_errors(states.view(), targets.view())?
    } else {
        // A grey state is "on" above the level between grey values 8 and 9 (8.5/8 - 1), the
        // binarization's threshold; grey 8 itself (0 here) is off, however small the drift.
        let shifted = states.mapv(|v| v - 1.0 / 16.0);
        bit_errors(shifted.view(), targets.view())?
    };
    Ok(Outcome {
        exact: errors.iter().filter(|&&e| e == 0).count(),
        pixel_error: errors.iter().sum::<usize>() as f64 / targets.len() as f64,
        mean_steps: steps.iter().sum::<usize>() as f64 / steps.len() as f64,
        millis,
        states,
    })
}

/// Writes the picture: rows = digits; columns original | cue 1 | recalled | cue 2 | completed,
/// in the pictured model's view (black = -1, white = +1).
fn draw(
    path: &Path,
    spec: &ModelSpec,
    stored: &Views,
    cues: &[Cue],
    outcomes: &[Outcome],
) -> CliResult<()> {
    let panels: Vec<ArrayView2<f32>> = vec![
        stored.for_model(spec).view(),
        cues[0].queries.for_model(spec).view(),
        outcomes[0].states.view(),
        cues[1].queries.for_model(spec).view(),
        outcomes[1].states.view(),
    ];
    write_grid_png(path, &panels, Digits::IMAGE_SHAPE, PNG_SCALE).context("--png")
}
