//! Clustering with associative memories (ClAM, Saha, Krotov, Zaki & Ram, ICML 2023) beside
//! k-means, with the metrics and small labelled data sets to compare them.
//!
//! * [`PrototypeMemory`]: k prototypes as the memories of a dense associative memory; a point
//!   descends the energy -(1/beta) logsumexp(-beta/2 |x - rho|^2) and ends at a prototype.
//! * [`Clam`]: learns the prototypes end to end through the unrolled dynamics with a
//!   masked-completion loss (exact hand-written gradient, [`completion_loss_gradient`], checked
//!   against candle's autodiff in `masked_completion_loss` under feature `autodiff`);
//!   [`ClamGrid`]: the paper's 36-configuration selection by silhouette.
//! * [`KMeans`]: Lloyd's algorithm from k-means++ seeds, best of several restarts.
//! * [`silhouette`], [`normalized_mutual_info`], [`adjusted_rand_index`]: quality measures.
//! * [`Dataset`]: iris, wine, ecoli, breast cancer, digits and CTG, embedded; [`standardize`].
//!
//! See `docs/clam.md` for the equations and the measured figures.

mod clam;
#[cfg(feature = "autodiff")]
mod clam_autodiff;
mod datasets;
mod gradient;
mod grid;
mod kmeans;
mod memory;
mod metrics;

pub use clam::{Clam, ClamFit, MaskValue, Plateau, PrototypeInit};
#[cfg(feature = "autodiff")]
pub use clam_autodiff::{masked_completion_loss, masked_completion_loss_value, settle_tensor};
pub use datasets::{standardize, Dataset, LabeledData};
pub use gradient::completion_loss_gradient;
pub use grid::{clustering_silhouette, ClamGrid, GridFit, GridRun};
pub use kmeans::{kmeans_plus_plus, nearest, KMeans, KMeansFit};
pub use memory::PrototypeMemory;
pub use metrics::{adjusted_rand_index, normalized_mutual_info, silhouette};
