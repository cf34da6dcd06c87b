//! Turning command-line settings into a configured model: which family, with which parameters,
//! and building it over a set of stored patterns.

use engram::dynamics::Dynamics;
use engram::learn::LearningRule;
use engram::model::{
    DamSeparation, DenseAssociativeMemory, Hopfield, ModernHopfield, Separation, Similarity,
    Universal,
};
use engram::Error;
use ndarray::Array2;

use crate::cli::{ModelKind, RecallArgs};
use crate::error::{fail, CliResult};

/// Default Hopfield learning rule: the projection rule stores correlated patterns (digits)
/// exactly, where Hebbian weights mix them up.
pub const DEFAULT_RULE: LearningRule = LearningRule::Pseudoinverse;
/// Default dense-memory interaction.
pub const DEFAULT_DAM: DamSeparation = DamSeparation::Power { degree: 3 };
/// Default inverse temperature of the modern Hopfield network.
pub const DEFAULT_MHN_BETA: f32 = 8.0;
/// Default similarity of the universal model: the best of Millidge et al.'s (2022) comparison,
/// and the one that tells correlated digits apart best here.
pub const DEFAULT_SIMILARITY: Similarity = Similarity::NegManhattan;
/// Default inverse temperature of the universal model's softmax (Manhattan distances between
/// digits are tens, so 1 already separates them sharply).
pub const DEFAULT_UNIVERSAL_BETA: f32 = 1.0;

/// A model family with all its parameters chosen.
#[derive(Clone, Debug, PartialEq)]
pub enum ModelSpec {
    /// Classical Hopfield network.
    Hopfield(LearningRule),
    /// Dense associative memory.
    Dam(DamSeparation),
    /// Modern Hopfield network with its inverse temperature.
    Mhn(f32),
    /// Universal model: similarity and separation.
    Universal(Similarity, Separation),
}

impl ModelSpec {
    /// Whether the model works on bipolar (+1/-1) states.
    pub fn is_bipolar(&self) -> bool {
        matches!(self, ModelSpec::Hopfield(_) | ModelSpec::Dam(_))
    }

    /// The family's command-line name.
    pub fn family(&self) -> &'static str {
        match self {
            ModelSpec::Hopfield(_) => "hopfield",
            ModelSpec::Dam(_) => "dam",
            ModelSpec::Mhn(_) => "mhn",
            ModelSpec::Universal(..) => "universal",
        }
    }

    /// The parameters, in short, for tables and summaries.
    pub fn setting(&self) -> String {
        match self {
            ModelSpec::Hopfield(rule) => rule.name().to_string(),
            ModelSpec::Dam(sep) => sep.spec(),
            ModelSpec::Mhn(beta) => format!("beta={beta}"),
            ModelSpec::Universal(sim, sep) => format!("{} x {}", sim.name(), sep.describe()),
        }
    }

    /// Builds the model over `patterns` (one per row).
    pub fn build(&self, patterns: Array2<f32>) -> engram::Result<Box<dyn Dynamics>> {
        Ok(match *self {
            ModelSpec::Hopfield(rule) => Box::new(Hopfield::new(patterns.view(), rule)?),
            ModelSpec::Dam(sep) => Box::new(DenseAssociativeMemory::new(patterns, sep)?),
            ModelSpec::Mhn(beta) => Box::new(ModernHopfield::new(patterns, beta)?),
            ModelSpec::Universal(sim, sep) => Box::new(Universal::new(patterns, sim, sep)?),
        })
    }
}

/// Parses a dense-memory interaction: `power:N`, `rectified:N` (or `relu:N`), `exp:BETA`; the
/// number may be left out (`power` = `power:3`, `exp` = `exp:1`).
pub fn parse_dam_separation(text: &str) -> CliResult<DamSeparation> {
    Ok(text.parse::<DamSeparation>()?)
}

/// Checks a degree given on the command line and narrows it.
pub fn check_degree(degree: i64) -> CliResult<u32> {
    if (1..=i64::from(u32::MAX)).contains(&degree) {
        Ok(degree as u32)
    } else {
        Err(Error::param("degree", format!("must be at least 1, got {degree}")).into())
    }
}

/// Refuses `flag` when it was given: it has no meaning for `model`.
fn reject<T>(value: &Option<T>, flag: &str, model: &str) -> CliResult<()> {
    match value {
        Some(_) => fail(format!("{flag} does not apply to --model {model}")),
        None => Ok(()),
    }
}

/// Refuses giving both `a` and `b`.
fn exclusive<A, B>(a: &Option<A>, an: &str, b: &Option<B>, bn: &str) -> CliResult<()> {
    if a.is_some() && b.is_some() {
        fail(format!("give either {an} or {bn}, not both"))
    } else {
        Ok(())
    }
}

/// The model `kind` configured from the recall options, with the documented defaults.
pub fn resolve(kind: ModelKind, args: &RecallArgs) -> CliResult<ModelSpec> {
    let name = kind.name();
    if kind != ModelKind::Hopfield {
        reject(&args.rule, "--rule", name)?;
    }
    if kind != ModelKind::Universal {
        reject(&args.similarity, "--similarity", name)?;
        reject(&args.values, "--values", name)?;
    }
    Ok(match kind {
        ModelKind::Hopfield => {
            reject(&args.beta, "--beta", name)?;
            reject(&args.degree, "--degree", name)?;
            reject(&args.separation, "--separation", name)?;
            ModelSpec::Hopfield(args.rule.unwrap_or(DEFAULT_RULE))
        }
        ModelKind::Dam => {
            exclusive(&args.separation, "--separation", &args.degree, "--degree")?;
            exclusive(&args.separation, "--separation", &args.beta, "--beta")?;
            exclusive(&args.degree, "--degree", &args.beta, "--beta")?;
            let sep = if let Some(text) = &args.separation {
                parse_dam_separation(text)?
            } else if let Some(degree) = args.degree {
                DamSeparation::Power {
                    degree: check_degree(degree)?,
                }
            } else if let Some(beta) = args.beta {
                engram::error::ensure_positive("beta", f64::from(beta))?;
                DamSeparation::Exp {
                    beta: f64::from(beta),
                }
            } else {
                DEFAULT_DAM
            };
            ModelSpec::Dam(sep)
        }
        ModelKind::Mhn => {
            reject(&args.degree, "--degree", name)?;
            reject(&args.separation, "--separation", name)?;
            let beta = args.beta.unwrap_or(DEFAULT_MHN_BETA);
            engram::error::ensure_positive("beta", f64::from(beta))?;
            ModelSpec::Mhn(beta)
        }
        ModelKind::Universal => {
            exclusive(&args.separation, "--separation", &args.degree, "--degree")?;
            exclusive(&args.separation, "--separation", &args.beta, "--beta")?;
            exclusive(&args.degree, "--degree", &args.beta, "--beta")?;
            let sep = if let Some(text) = &args.separation {
                text.parse::<Separation>()?
            } else if let Some(degree) = args.degree {
                Separation::Power {
                    degree: check_degree(degree)?,
                }
            } else {
                let beta = args.beta.unwrap_or(DEFAULT_UNIVERSAL_BETA);
                engram::error::ensure_positive("beta", f64::from(beta))?;
                Separation::Softmax { beta }
            };
            ModelSpec::Universal(args.similarity.unwrap_or(DEFAULT_SIMILARITY), sep)
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dam_separations_parse_and_print_back() {
        for text in ["power:3", "rectified:2", "exp:0.5"] {
            let sep = parse_dam_separation(text).unwrap();
            assert_eq!(sep.spec(), text);
        }
        assert_eq!(
            parse_dam_separation("exp").unwrap(),
            DamSeparation::Exp { beta: 1.0 }
        );
        assert_eq!(
            parse_dam_separation("relu:4").unwrap(),
            DamSeparation::RectifiedPower { degree: 4 }
        );
        for bad in ["power:0", "power:x", "exp:-1", "exp:0", "softmax:2", ""] {
            assert!(parse_dam_separation(bad).is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn degrees_must_be_positive() {
        assert_eq!(check_degree(5).unwrap(), 5);
        assert!(check_degree(0).is_err());
        assert!(check_degree(-2).is_err());
    }
}
