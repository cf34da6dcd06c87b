//! Learning rules that turn a set of bipolar patterns (rows of a `(K, N)` array) into the
//! symmetric `(N, N)` weight matrix of a classical Hopfield network.
//!
//! | rule | weights | stores |
//! | --- | --- | --- |
//! | [`hebbian`] | `W = XᵀX / N`, zero diagonal (Hopfield 1982) | about 0.138 N random patterns (Amit, Gutfreund & Sompolinsky 1985) |
//! | [`storkey`] | incremental, local, palimpsest (Storkey 1997) | more than Hebbian for random patterns |
//! | [`pseudoinverse`] | `W = Xᵀ (X Xᵀ)⁻¹ X`, the projection onto the patterns' span (Personnaz et al. 1985; Kanter & Sompolinsky 1987) | any `K < N` linearly independent patterns, exactly |
//!
//! Weights are computed in f64 where the rule needs it and returned as f32.

pub(crate) mod linalg;
mod rules;

pub use rules::{hebbian, pseudoinverse, storkey};

use crate::error::{Error, Result};

/// The rule that turns patterns into Hopfield weights.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LearningRule {
    /// Outer-product rule, zero diagonal.
    Hebbian,
    /// Storkey's incremental rule, zero diagonal.
    Storkey,
    /// Projection (pseudoinverse) rule; keeps its diagonal, which lies in `[0, 1]`.
    Pseudoinverse,
}

impl LearningRule {
    /// Every rule, in a fixed order.
    pub const ALL: [LearningRule; 3] = [
        LearningRule::Hebbian,
        LearningRule::Storkey,
        LearningRule::Pseudoinverse,
    ];

    /// The rule's command-line name.
    pub fn name(self) -> &'static str {
        match self {
            LearningRule::Hebbian => "hebbian",
            LearningRule::Storkey => "storkey",
            LearningRule::Pseudoinverse => "pseudoinverse",
        }
    }
}

impl std::str::FromStr for LearningRule {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "hebbian" | "hebb" => Ok(LearningRule::Hebbian),
            "storkey" => Ok(LearningRule::Storkey),
            "pseudoinverse" | "pinv" | "projection" => Ok(LearningRule::Pseudoinverse),
            _ => Err(Error::param(
                "rule",
                format!("unknown learning rule {s:?} (expected hebbian, storkey or pseudoinverse)"),
            )),
        }
    }
}

impl std::fmt::Display for LearningRule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}
