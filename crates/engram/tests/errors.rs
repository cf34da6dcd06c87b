//! Bad input gets a typed error, never a panic or a silent NaN.

use engram::dynamics::{recall, RecallOptions};
use engram::learn::LearningRule;
use engram::model::{
    DamSeparation, DenseAssociativeMemory, Hopfield, ModernHopfield, Separation, Similarity,
    Universal,
};
use engram::pattern::{random_bipolar, random_sphere};
use engram::Error;
use ndarray::Array2;

#[test]
fn wrong_shapes_are_reported() {
    let net = ModernHopfield::new(random_sphere(10, 8, 1), 1.0).unwrap();
    let q = Array2::<f32>::zeros((2, 9));
    assert!(matches!(
        recall(&net, q.view(), None, &RecallOptions::default()),
        Err(Error::Shape { .. })
    ));
    let q = Array2::<f32>::zeros((2, 8));
    let mask = Array2::from_elem((3, 8), true);
    assert!(matches!(
        recall(&net, q.view(), Some(mask.view()), &RecallOptions::default()),
        Err(Error::Shape { .. })
    ));
    let keys = random_sphere(4, 8, 1);
    let values = Array2::<f32>::zeros((5, 3));
    assert!(matches!(
        Universal::hetero(keys, values, Similarity::Dot, Separation::Max),
        Err(Error::Shape { .. })
    ));
}

#[test]
fn empty_memories_and_batches_are_reported() {
    let empty = Array2::<f32>::zeros((0, 8));
    assert!(matches!(
        ModernHopfield::new(empty.clone(), 1.0),
        Err(Error::Empty(_))
    ));
    assert!(matches!(
        Hopfield::new(empty.view(), LearningRule::Hebbian),
        Err(Error::Empty(_))
    ));
    assert!(matches!(
        DenseAssociativeMemory::new(empty, DamSeparation::Power { degree: 3 }),
        Err(Error::Empty(_))
    ));
    let net = ModernHopfield::new(random_sphere(4, 8, 1), 1.0).unwrap();
    let none = Array2::<f32>::zeros((0, 8));
    assert!(matches!(
        recall(&net, none.view(), None, &RecallOptions::default()),
        Err(Error::Empty(_))
    ));
}

#[test]
fn non_finite_values_are_reported() {
    let mut p = random_sphere(4, 8, 1);
    p[[2, 3]] = f32::NAN;
    assert!(matches!(
        ModernHopfield::new(p, 1.0),
        Err(Error::NonFinite { index: 19, .. })
    ));
    let net = ModernHopfield::new(random_sphere(4, 8, 1), 1.0).unwrap();
    let mut q = Array2::<f32>::zeros((1, 8));
    q[[0, 0]] = f32::INFINITY;
    assert!(matches!(
        recall(&net, q.view(), None, &RecallOptions::default()),
        Err(Error::NonFinite { .. })
    ));
}

#[test]
fn bad_parameters_are_reported() {
    let p = random_sphere(4, 8, 1);
    for beta in [0.0f32, -1.0, f32::NAN, f32::INFINITY] {
        assert!(matches!(
            ModernHopfield::new(p.clone(), beta),
            Err(Error::Parameter { .. })
        ));
    }
    assert!(matches!(
        Universal::new(
            p.clone(),
            Similarity::Dot,
            Separation::Entmax {
                alpha: 1.0,
                beta: 1.0
            }
        ),
        Err(Error::Parameter { .. })
    ));
    assert!(matches!(
        DenseAssociativeMemory::new(random_bipolar(3, 8, 1), DamSeparation::Power { degree: 0 }),
        Err(Error::Parameter { .. })
    ));
    // A temperature whose product with the similarities overflows f32 is refused at recall.
    let big = Universal::new(
        p.mapv(|v| v * 1e20),
        Similarity::Dot,
        Separation::Softmax { beta: 1e30 },
    )
    .unwrap();
    let q = random_sphere(1, 8, 2).mapv(|v| v * 1e20);
    assert!(matches!(
        big.retrieve(q.view()),
        Err(Error::Parameter { .. })
    ));
    assert!("softmax:abc".parse::<Separation>().is_err());
    assert!("bogus".parse::<Similarity>().is_err());
    assert!("hebb-ish".parse::<LearningRule>().is_err());
}

#[test]
fn bipolar_models_refuse_non_bipolar_states() {
    let net = Hopfield::new(random_bipolar(3, 8, 1).view(), LearningRule::Hebbian).unwrap();
    let q = Array2::<f32>::from_elem((1, 8), 0.5);
    assert!(matches!(
        recall(&net, q.view(), None, &RecallOptions::default()),
        Err(Error::State(_))
    ));
    let w = ndarray::arr2(&[[0.0f32, 1.0], [2.0, 0.0]]);
    assert!(matches!(
        Hopfield::from_weights(w),
        Err(Error::Parameter { .. })
    ));
}
