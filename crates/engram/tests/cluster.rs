//! ClAM, k-means and the clustering metrics: the theory (the memory's energy never rises along
//! its dynamics; autodiff gradients equal finite differences), k-means++ and Lloyd on toy data,
//! the metrics against scikit-learn, and a short ClAM training on iris.
//!
//! Reference numbers marked "scikit-learn 1.9.1" come from `tests/reference/cluster_metrics.py`,
//! run once in a throwaway virtual environment (scikit-learn is not a dependency).

use engram::cluster::{
    adjusted_rand_index, kmeans_plus_plus, nearest, normalized_mutual_info, silhouette,
    standardize, Dataset, KMeans, PrototypeMemory,
};
use engram::numeric::Rng;
use engram::Error;
use ndarray::{array, Array2};

fn random_matrix(rows: usize, cols: usize, scale: f64, rng: &mut Rng) -> Array2<f64> {
    Array2::from_shape_fn((rows, cols), |_| scale * rng.normal())
}

/// A small masked-completion problem: prototypes (3, 4), 6 points, a random half hidden.
fn problem(seed: u64) -> [Array2<f64>; 4] {
    let mut rng = Rng::new(seed);
    let prototypes = random_matrix(3, 4, 1.0, &mut rng);
    let target = random_matrix(6, 4, 1.0, &mut rng);
    let hidden = Array2::from_shape_fn((6, 4), |_| f64::from(u8::from(rng.uniform() < 0.5)));
    let start = &target * &hidden.mapv(|h| 1.0 - h);
    [prototypes, target, start, hidden]
}

/// Asserts that `grad` equals central finite differences of `value` at `point`, to 1e-6 of the
/// gradient's largest entry (`floor` keeps tiny gradients from tightening the test).
fn assert_finite_differences(
    point: &Array2<f64>,
    grad: &Array2<f64>,
    value: impl Fn(&Array2<f64>) -> f64,
    floor: f64,
    what: &str,
) {
    let eps = 1e-6;
    let scale = grad.iter().fold(0.0f64, |m, g| m.max(g.abs()));
    assert!(scale > 1e-5, "{what}: a gradient worth checking");
    for ((r, c), &g) in grad.indexed_iter() {
        let mut up = point.clone();
        up[[r, c]] += eps;
        let mut down = point.clone();
        down[[r, c]] -= eps;
        let numeric = (value(&up) - value(&down)) / (2.0 * eps);
        assert!(
            (numeric - g).abs() < 1e-6 * scale.max(floor),
            "{what} [{r},{c}]: {g} vs finite differences {numeric}"
        );
    }
}

/// Three tight blobs of 20 points around (0,0), (10,0) and (0,10); the blob of each point.
fn blobs(seed: u64) -> (Array2<f64>, Vec<usize>) {
    let centres = [[0.0, 0.0], [10.0, 0.0], [0.0, 10.0]];
    let mut rng = Rng::new(seed);
    let mut x = Array2::zeros((60, 2));
    let mut labels = Vec::new();
    for i in 0..60 {
        let c = i % 3;
        x[[i, 0]] = centres[c][0] + 0.5 * rng.normal();
        x[[i, 1]] = centres[c][1] + 0.5 * rng.normal();
        labels.push(c);
    }
    (x, labels)
}

fn standardized(set: Dataset) -> (Array2<f64>, Vec<usize>) {
    let data = set.load().unwrap();
    (standardize(data.features.view()).unwrap(), data.labels)
}

#[test]
fn metrics_match_scikit_learn() {
    // scikit-learn 1.9.1: silhouette_score of a toy set with a singleton cluster.
    let x = array![
        [0.0, 0.0],
        [1.0, 0.0],
        [0.0, 2.0],
        [5.0, 5.0],
        [6.0, 5.0],
        [5.0, 7.0],
        [10.0, 0.0]
    ];
    let s = silhouette(x.view(), &[0, 0, 0, 1, 1, 1, 2]).unwrap();
    assert!((s - 0.6436387856482453).abs() < 1e-12, "{s}");

    // scikit-learn 1.9.1: standardised iris / wine with their true classes.
    let (iris, iris_labels) = standardized(Dataset::Iris);
    let s = silhouette(iris.view(), &iris_labels).unwrap();
    assert!((s - 0.3811261580543803).abs() < 1e-12, "{s}");
    let (wine, wine_labels) = standardized(Dataset::Wine);
    let s = silhouette(wine.view(), &wine_labels).unwrap();
    assert!((s - 0.2797798205630649).abs() < 1e-12, "{s}");

    // scikit-learn 1.9.1: NMI (arithmetic) and ARI of iris against a labeling that shifts every
    // seventh flower to the next class, and of two small labelings.
    let other: Vec<usize> = iris_labels
        .iter()
        .enumerate()
        .map(|(i, &t)| (t + usize::from(i % 7 == 0)) % 3)
        .collect();
    let nmi = normalized_mutual_info(&iris_labels, &other).unwrap();
    let ari = adjusted_rand_index(&iris_labels, &other).unwrap();
    assert!((nmi - 0.6207722759707034).abs() < 1e-12, "{nmi}");
    assert!((ari - 0.6195189177349599).abs() < 1e-12, "{ari}");
    let (a, b) = ([0, 0, 1, 1, 2, 2, 2, 3], [1, 1, 0, 0, 0, 2, 2, 2]);
    assert!((normalized_mutual_info(&a, &b).unwrap() - 0.7020168761809934).abs() < 1e-12);
    assert!((adjusted_rand_index(&a, &b).unwrap() - 0.3684210526315789).abs() < 1e-12);
}

#[test]
fn metrics_are_invariant_to_renaming_and_check_their_input() {
    let truth = [0, 0, 1, 1, 2, 2];
    let renamed = [7, 7, 3, 3, 9, 9];
    assert_eq!(adjusted_rand_index(&truth, &renamed).unwrap(), 1.0);
    assert!((normalized_mutual_info(&truth, &renamed).unwrap() - 1.0).abs() < 1e-12);
    // Hand count: one cluster against three; no information, ARI 0.
    assert_eq!(normalized_mutual_info(&truth, &[0; 6]).unwrap(), 0.0);
    assert_eq!(adjusted_rand_index(&truth, &[0; 6]).unwrap(), 0.0);
    assert!(matches!(
        adjusted_rand_index(&truth, &[0, 1]),
        Err(Error::Shape { .. })
    ));
    let x = array![[0.0], [1.0], [2.0]];
    assert!(matches!(
        silhouette(x.view(), &[0, 0, 0]),
        Err(Error::Parameter { .. })
    ));
    assert!(matches!(
        silhouette(x.view(), &[0, 1, 2]),
        Err(Error::Parameter { .. })
    ));
    assert!(matches!(
        silhouette(x.view(), &[0, 1]),
        Err(Error::Shape { .. })
    ));
}

#[test]
fn kmeans_plus_plus_puts_one_seed_in_each_blob() {
    let (x, labels) = blobs(1);
    for seed in 0..20 {
        let seeds = kmeans_plus_plus(x.view(), 3, &mut Rng::new(seed)).unwrap();
        // Every seed is a data point, and the three lie in three different blobs.
        let (which, _) = nearest(seeds.view(), x.view());
        let mut blobs_hit: Vec<usize> = which.iter().map(|&i| labels[i]).collect();
        blobs_hit.sort_unstable();
        assert_eq!(blobs_hit, vec![0, 1, 2], "seed {seed}");
        for s in seeds.rows() {
            assert!(x.rows().into_iter().any(|r| r == s));
        }
    }
    assert!(kmeans_plus_plus(x.view(), 0, &mut Rng::new(0)).is_err());
    assert!(kmeans_plus_plus(x.view(), 61, &mut Rng::new(0)).is_err());
}

#[test]
fn lloyd_recovers_blobs_and_its_centroids_are_the_means() {
    let (x, truth) = blobs(2);
    let fit = KMeans::new(3).with_seed(5).fit(x.view()).unwrap();
    assert_eq!(adjusted_rand_index(&truth, &fit.labels).unwrap(), 1.0);
    // At convergence each centre is the mean of its points and the inertia their spread.
    let mut inertia = 0.0;
    for c in 0..3 {
        let members: Vec<usize> = (0..60).filter(|&i| fit.labels[i] == c).collect();
        let mean = x
            .select(ndarray::Axis(0), &members)
            .mean_axis(ndarray::Axis(0))
            .unwrap();
        assert!((&mean - &fit.centroids.row(c))
            .iter()
            .all(|d| d.abs() < 1e-12));
        for &i in &members {
            inertia += (&x.row(i) - &mean).mapv(|v| v * v).sum();
        }
    }
    assert!((inertia - fit.inertia).abs() < 1e-9);
    // Same seed, same answer.
    let again = KMeans::new(3).with_seed(5).fit(x.view()).unwrap();
    assert_eq!(again.labels, fit.labels);
}

#[test]
fn kmeans_on_iris_and_wine_is_as_good_as_scikit_learn() {
    // scikit-learn 1.9.1, KMeans(3, n_init=10, random_state=0) on the standardised data:
    // inertia 139.8205 (iris) and 1277.9285 (wine). Standardised iris has several local minima
    // (140.03 and 140.90 are common; 139.82 is reached from about one k-means++ start in seven),
    // so this uses 50 restarts and asks for the same optimum.
    for (set, reference) in [
        (Dataset::Iris, 139.82049635974982),
        (Dataset::Wine, 1277.9284888446423),
    ] {
        let (x, _) = standardized(set);
        let kmeans = KMeans {
            restarts: 50,
            ..KMeans::new(3)
        };
        let fit = kmeans.fit(x.view()).unwrap();
        assert!(
            (fit.inertia - reference).abs() < 1e-6,
            "{}: {}",
            set.name(),
            fit.inertia
        );
    }
}

#[test]
fn kmeans_refuses_bad_input() {
    let x = array![[0.0, 1.0], [2.0, 3.0]];
    assert!(matches!(
        KMeans::new(0).fit(x.view()),
        Err(Error::Parameter { .. })
    ));
    assert!(matches!(
        KMeans::new(3).fit(x.view()),
        Err(Error::Parameter { .. })
    ));
    let bad = array![[0.0, f64::INFINITY], [2.0, 3.0]];
    assert!(matches!(
        KMeans::new(1).fit(bad.view()),
        Err(Error::NonFinite { index: 1, .. })
    ));
    let empty = Array2::<f64>::zeros((0, 2));
    assert!(matches!(
        KMeans::new(1).fit(empty.view()),
        Err(Error::Empty(_))
    ));
}

#[test]
fn memory_energy_never_increases_along_the_dynamics() {
    let mut rng = Rng::new(11);
    for &(beta, alpha) in &[(0.2, 1.0), (1.0, 0.1), (1.0, 0.5), (5.0, 1.0), (30.0, 0.3)] {
        let memory = PrototypeMemory::new(random_matrix(5, 6, 2.0, &mut rng), beta, alpha).unwrap();
        let mut x = random_matrix(40, 6, 3.0, &mut rng);
        let free = Array2::from_shape_fn((40, 6), |_| rng.uniform() < 0.5);
        for masked in [false, true] {
            let free = masked.then_some(free.view());
            for _ in 0..25 {
                let next = memory.step(x.view(), free).unwrap();
                for (a, b) in x.rows().into_iter().zip(next.rows()) {
                    let (e0, e1) = (memory.energy(a), memory.energy(b));
                    assert!(
                        e1 <= e0 + 1e-12 * e0.abs().max(1.0),
                        "beta {beta}: {e0} -> {e1}"
                    );
                }
                if let Some(free) = free {
                    // Clamped coordinates stay put.
                    for ((v0, v1), f) in x.iter().zip(&next).zip(free) {
                        assert!(*f || v0 == v1);
                    }
                }
                x = next;
            }
        }
    }
}

#[test]
fn dynamics_end_at_the_nearest_prototype_of_well_separated_points() {
    let prototypes = array![[0.0, 0.0], [6.0, 0.0], [0.0, 6.0]];
    let memory = PrototypeMemory::new(prototypes.clone(), 4.0, 1.0).unwrap();
    let x = array![[0.5, 0.4], [5.0, 1.0], [-0.5, 6.5]];
    let settled = memory.settle(x.view(), None, 5).unwrap();
    assert!((&settled - &prototypes).iter().all(|d| d.abs() < 1e-9));
    assert_eq!(memory.assign(x.view(), 5).unwrap(), vec![0, 1, 2]);
    assert!(PrototypeMemory::new(prototypes.clone(), 0.0, 0.5).is_err());
    assert!(PrototypeMemory::new(prototypes.clone(), 1.0, 1.5).is_err());
    assert!(matches!(
        memory.step(array![[1.0, 2.0, 3.0]].view(), None),
        Err(Error::Shape { .. })
    ));
}

#[cfg(feature = "autodiff")]
mod clam_autodiff {
    use super::*;
    use candle_core::{Device, Tensor, Var};
    use engram::cluster::{
        completion_loss_gradient, masked_completion_loss, masked_completion_loss_value,
        settle_tensor,
    };

    fn tensor(a: &Array2<f64>) -> Tensor {
        Tensor::from_slice(a.as_slice().unwrap(), a.dim(), &Device::Cpu).unwrap()
    }

    fn to_array(t: &Tensor) -> Array2<f64> {
        let rows = t.to_vec2::<f64>().unwrap();
        let (r, c) = (rows.len(), rows[0].len());
        Array2::from_shape_vec((r, c), rows.into_iter().flatten().collect()).unwrap()
    }

    #[test]
    fn candle_dynamics_equal_the_ndarray_dynamics() {
        let [prototypes, target, _, hidden] = problem(3);
        let memory = PrototypeMemory::new(prototypes.clone(), 1.7, 0.3).unwrap();
        let free = hidden.mapv(|h| h > 0.5);
        let expected = memory.settle(target.view(), Some(free.view()), 7).unwrap();
        let got = settle_tensor(
            &tensor(&prototypes),
            &tensor(&target),
            &tensor(&hidden),
            1.7,
            0.3,
            7,
        )
        .unwrap();
        let got = to_array(&got);
        assert!((&got - &expected).iter().all(|d| d.abs() < 1e-12));
    }

    /// The loss and its candle autodiff gradient for one problem.
    fn autodiff(
        problem: &[Array2<f64>; 4],
        beta: f64,
        alpha: f64,
        steps: usize,
    ) -> (f64, Array2<f64>) {
        let [prototypes, target, start, hidden] = problem;
        let var = Var::from_tensor(&tensor(prototypes)).unwrap();
        let loss = masked_completion_loss(
            var.as_tensor(),
            &tensor(target),
            &tensor(start),
            &tensor(hidden),
            beta,
            alpha,
            steps,
        )
        .unwrap();
        let grad = to_array(loss.backward().unwrap().get(var.as_tensor()).unwrap());
        (loss.to_scalar::<f64>().unwrap(), grad)
    }

    #[test]
    fn loss_gradient_matches_finite_differences() {
        for (seed, beta, alpha, steps) in [(1, 1.0, 0.1, 10), (2, 3.0, 0.5, 5), (3, 0.3, 1.0, 3)] {
            let problem = problem(seed);
            let [prototypes, target, start, hidden] = &problem;
            let (_, grad) = autodiff(&problem, beta, alpha, steps);
            let value = |p: &Array2<f64>| {
                masked_completion_loss_value(
                    p.view(),
                    target.view(),
                    start.view(),
                    hidden.view(),
                    beta,
                    alpha,
                    steps,
                )
                .unwrap()
            };
            assert_finite_differences(
                prototypes,
                &grad,
                value,
                1e-3,
                &format!("autodiff, seed {seed}"),
            );
        }
    }

    #[test]
    fn hand_written_gradient_equals_candle_autodiff() {
        for (seed, beta, alpha, steps) in [(4, 1.1, 0.1, 10), (5, 2.4, 0.7, 6), (6, 0.5, 1.0, 1)] {
            let problem = problem(seed);
            let [prototypes, target, start, hidden] = &problem;
            let (loss, autodiff) = autodiff(&problem, beta, alpha, steps);
            let (value, grad) = completion_loss_gradient(
                prototypes.view(),
                target.view(),
                start.view(),
                hidden.view(),
                beta,
                alpha,
                steps,
            )
            .unwrap();
            assert!((value - loss).abs() < 1e-14);
            let gap = (&grad - &autodiff)
                .iter()
                .fold(0.0f64, |m, d| m.max(d.abs()));
            assert!(gap < 1e-12, "seed {seed}: max gap {gap}");
        }
    }
}

mod clam {
    use super::*;
    use engram::cluster::{
        clustering_silhouette, completion_loss_gradient, Clam, ClamGrid, MaskValue, Plateau,
        PrototypeInit,
    };

    #[test]
    fn hand_written_gradient_matches_finite_differences() {
        for (seed, beta, alpha, steps) in [(1, 1.0, 0.1, 10), (2, 3.0, 0.5, 5), (3, 0.3, 1.0, 3)] {
            let [prototypes, target, start, hidden] = problem(seed);
            let value = |p: &Array2<f64>| {
                completion_loss_gradient(
                    p.view(),
                    target.view(),
                    start.view(),
                    hidden.view(),
                    beta,
                    alpha,
                    steps,
                )
                .unwrap()
            };
            let (_, grad) = value(&prototypes);
            let what = format!("hand-written, seed {seed}");
            assert_finite_differences(&prototypes, &grad, |p| value(p).0, 1e-3, &what);
        }
    }

    #[test]
    fn gradient_refuses_bad_input() {
        let [prototypes, target, start, hidden] = problem(1);
        let call = |p: &Array2<f64>, t: &Array2<f64>, beta: f64| {
            completion_loss_gradient(
                p.view(),
                t.view(),
                start.view(),
                hidden.view(),
                beta,
                0.1,
                3,
            )
        };
        assert!(matches!(
            call(
                &prototypes,
                &target.slice(ndarray::s![.., ..3]).to_owned(),
                1.0
            ),
            Err(Error::Shape { .. })
        ));
        let mut nan = prototypes.clone();
        nan[[0, 0]] = f64::NAN;
        assert!(matches!(
            call(&nan, &target, 1.0),
            Err(Error::NonFinite { .. })
        ));
        assert!(matches!(
            call(&prototypes, &target, 0.0),
            Err(Error::Parameter { .. })
        ));
    }

    #[test]
    fn short_training_on_iris_lowers_the_completion_loss() {
        let (x, truth) = standardized(Dataset::Iris);
        let clam = Clam {
            epochs: 8,
            ..Clam::new(3)
        };
        let fit = clam.fit(x.view()).unwrap();
        let first = fit.epoch_losses[0];
        let best = fit.epoch_losses[fit.best_epoch];
        assert!(best < 0.8 * first, "losses {:?}", fit.epoch_losses);
        // The same masks, before and after: the trained prototypes complete them better.
        let mut rng = Rng::new(99);
        let hidden = Array2::from_shape_fn(x.dim(), |_| f64::from(u8::from(rng.uniform() < 0.25)));
        let start = &x * &hidden.mapv(|h| 1.0 - h); // masked coordinates at the column mean, 0
        let loss = |p: ndarray::ArrayView2<f64>| {
            completion_loss_gradient(p, x.view(), start.view(), hidden.view(), 1.1, 0.1, 10)
                .unwrap()
                .0
        };
        let before = loss(clam.initial_prototypes(x.view()).unwrap().view());
        let after = loss(fit.memory.prototypes());
        assert!(after < before, "held-out masks: {before} -> {after}");
        // Three clusters that agree with the species far better than chance.
        assert!(adjusted_rand_index(&truth, &fit.labels).unwrap() > 0.4);
        // Same seed, same model.
        let again = clam.fit(x.view()).unwrap();
        assert_eq!(again.labels, fit.labels);
        assert_eq!(again.epoch_losses, fit.epoch_losses);
    }

    #[test]
    fn clam_refuses_bad_settings() {
        let (x, _) = standardized(Dataset::Iris);
        let bad = [
            Clam {
                k: 0,
                ..Clam::new(3)
            },
            Clam {
                k: 151,
                ..Clam::new(3)
            },
            Clam {
                beta: -1.0,
                ..Clam::new(3)
            },
            Clam {
                step_size: 1.5,
                ..Clam::new(3)
            },
            Clam {
                steps: 0,
                ..Clam::new(3)
            },
            Clam {
                mask_fraction: 0.0,
                ..Clam::new(3)
            },
            Clam {
                epochs: 0,
                ..Clam::new(3)
            },
            Clam {
                plateau: Some(Plateau {
                    factor: 1.5,
                    ..Plateau::default()
                }),
                ..Clam::new(3)
            },
            Clam {
                init: PrototypeInit::Gaussian {
                    mean: 0.1,
                    std: f64::NAN,
                },
                ..Clam::new(3)
            },
        ];
        for clam in bad {
            assert!(
                matches!(clam.fit(x.view()), Err(Error::Parameter { .. })),
                "{clam:?}"
            );
        }
        let nan = array![[0.0, f64::NAN], [1.0, 1.0]];
        assert!(matches!(
            Clam::new(1).fit(nan.view()),
            Err(Error::NonFinite { .. })
        ));
    }

    #[test]
    fn grid_keeps_the_configuration_with_the_best_silhouette() {
        let (x, _) = standardized(Dataset::Iris);
        let grid = ClamGrid {
            base: Clam {
                epochs: 3,
                ..Clam::new(3)
            },
            betas: vec![1.1, 2.4],
            learning_rates: vec![0.01, 0.1],
            mask_values: vec![MaskValue::Mean, MaskValue::Min],
            min_cluster_share: None,
        };
        let fit = grid.fit(x.view()).unwrap();
        assert_eq!(fit.runs.len(), 8);
        let best = fit
            .runs
            .iter()
            .map(|r| r.silhouette.unwrap())
            .fold(f64::NEG_INFINITY, f64::max);
        assert_eq!(fit.silhouette, best);
        assert_eq!(
            fit.silhouette,
            clustering_silhouette(x.view(), &fit.best.labels).unwrap()
        );
        // Each run is the plain fit of its configuration (same seed, same labels).
        let winner = fit.config.fit(x.view()).unwrap();
        assert_eq!(winner.labels, fit.best.labels);
        assert!(fit.median_silhouette() <= fit.silhouette);
        // Requiring 3 clusters of at least 0.3 x 50 = 15 points: the best run that has them.
        let strict = ClamGrid {
            min_cluster_share: Some(0.3),
            ..grid.clone()
        }
        .fit(x.view())
        .unwrap();
        let admitted = || {
            fit.runs
                .iter()
                .filter(|r| r.clusters == 3 && r.smallest_cluster >= 15)
        };
        assert!(admitted().count() > 0);
        let best_admitted = admitted()
            .map(|r| r.silhouette.unwrap())
            .fold(f64::NEG_INFINITY, f64::max);
        assert_eq!(strict.silhouette, best_admitted);
        let bad_share = ClamGrid {
            min_cluster_share: Some(1.5),
            ..grid.clone()
        };
        assert!(matches!(
            bad_share.fit(x.view()),
            Err(Error::Parameter { .. })
        ));
        let empty = ClamGrid {
            betas: vec![],
            ..grid.clone()
        };
        assert!(matches!(empty.fit(x.view()), Err(Error::Parameter { .. })));
        let bad = ClamGrid {
            betas: vec![1.0, -1.0],
            ..grid
        };
        assert!(matches!(bad.fit(x.view()), Err(Error::Parameter { .. })));
    }

    #[test]
    fn one_cluster_scores_minus_one() {
        let (x, _) = standardized(Dataset::Iris);
        assert_eq!(clustering_silhouette(x.view(), &[0; 150]).unwrap(), -1.0);
    }

    #[test]
    fn plateau_schedule_lowers_the_learning_rate_and_can_stop_training() {
        let (x, _) = standardized(Dataset::Iris);
        let clam = Clam {
            epochs: 60,
            learning_rate: 0.1,
            plateau: Some(Plateau {
                window: 2,
                patience: 1,
                min_improvement: 1e9, // never enough progress: drop every epoch
                factor: 0.5,
                min_learning_rate: 0.1 * 0.5f64.powi(5),
            }),
            ..Clam::new(3)
        };
        let fit = clam.fit(x.view()).unwrap();
        // The window fills at epoch 2 (compared with +inf: progress); epochs 3..=8 each halve
        // the rate, and after epoch 8 it is below 0.1/32, so training stops there.
        assert_eq!(fit.epoch_losses.len(), 8);
        assert!((fit.final_learning_rate - 0.1 * 0.5f64.powi(6)).abs() < 1e-15);
    }

    /// The paper's claim (Saha et al. 2023, abstract and section 5: ClAM's silhouette above
    /// k-means') under its protocol, on iris, where it also holds for a non-degenerate
    /// partition. Measured: paper's rule 0.5818, engram's rule 0.4685, k-means 0.4630 (10
    /// restarts); the margins asserted are half of those.
    #[test]
    fn paper_protocol_beats_kmeans_silhouette_on_iris() {
        let (x, _) = standardized(Dataset::Iris);
        let kmeans = KMeans::new(3).with_seed(0).fit(x.view()).unwrap();
        let kmeans = clustering_silhouette(x.view(), &kmeans.labels).unwrap();
        let fit = ClamGrid::paper(3).fit(x.view()).unwrap();
        let paper = fit.runs[fit.winner(None).unwrap()].silhouette.unwrap();
        assert!(
            paper > kmeans + 0.05,
            "paper's rule {paper} vs k-means {kmeans}"
        );
        assert!(
            fit.silhouette > kmeans + 0.002,
            "guarded {} vs k-means {kmeans}",
            fit.silhouette
        );
        assert_eq!(fit.best.labels.len(), 150);
        assert_eq!(fit.runs.len(), 36);
    }
}
