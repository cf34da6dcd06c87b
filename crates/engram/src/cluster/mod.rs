//! Clustering with associative memories (ClAM, Saha, Krotov, Zaki & Ram, ICML 2023) beside
//! k-means, with the metrics and small labelled data sets to compare them.
//!
//! * [`PrototypeMemory`]: k prototypes as the memories of a dense associative memory; a point
//!   descends the energy -(1/beta) logsumexp(-beta/2 |x - rho|^2) and ends at a prototype.
//! * [`Clam`] (feature `autodiff`): learns the prototypes end to end through the unrolled
//!   dynamics with a masked-completion loss (candle autodiff, [`crate::train::Adam`]).
//! * [`KMeans`]: Lloyd's algorithm from k-means++ seeds, best of several restarts.
//! * [`silhouette`], [`normalized_mutual_info`], [`adjusted_rand_index`]: quality measures.
//! * [`Dataset`]: iris, wine, ecoli, breast cancer, digits and CTG, embedded; [`standardize`].
//!
//! See `docs/clam.md` for the equations and the measured figures.

#[cfg(feature = "autodiff")]
mod clam;
mod datasets;
mod kmeans;
mod memory;
mod metrics;

#[cfg(feature = "autodiff")]
pub use clam::{
    masked_completion_loss, masked_completion_loss_value, settle_tensor, Clam, ClamFit,
    PrototypeInit,
};
pub use datasets::{standardize, Dataset, LabeledData};
pub use kmeans::{kmeans_plus_plus, nearest, KMeans, KMeansFit};
pub use memory::PrototypeMemory;
pub use metrics::{adjusted_rand_index, normalized_mutual_info, silhouette};
