//! End-to-end checks of the pattern module through the public API: generate, corrupt, save,
//! load, compare and draw.

use std::fs;
use std::path::PathBuf;

use engram::pattern::{
    bit_errors, exact_recall_fraction, flip_bits, mask_block, nearest_pattern, overlaps,
    random_bipolar, read_npy, read_npy_bool_mask, read_png_gray, write_grid_png, write_npy,
    write_npy_bool_mask, Digits,
};
use engram::Error;
use ndarray::Axis;

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("engram-io-{}-{name}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn corrupted_cues_survive_a_trip_through_npy() {
    let dir = scratch("npy");
    let memory = random_bipolar(20, 256, 11);
    let cues = flip_bits(memory.view(), 0.1, 12).unwrap();
    write_npy(dir.join("memory.npy"), memory.view()).unwrap();
    write_npy(dir.join("cues.npy"), cues.view()).unwrap();

    let memory2 = read_npy(dir.join("memory.npy")).unwrap();
    let cues2 = read_npy(dir.join("cues.npy")).unwrap();
    assert_eq!(memory2, memory);
    assert_eq!(cues2, cues);
    assert_eq!(
        bit_errors(memory2.view(), cues2.view()).unwrap(),
        vec![26; 20]
    );
    for o in overlaps(memory2.view(), cues2.view()).unwrap() {
        assert!((o - (1.0 - 2.0 * 26.0 / 256.0)).abs() < 1e-6);
    }
    assert_eq!(
        nearest_pattern(memory2.view(), cues2.view()).unwrap(),
        (0..20).collect::<Vec<_>>()
    );
    assert_eq!(
        exact_recall_fraction(memory.view(), cues.view()).unwrap(),
        0.0
    );
    assert_eq!(
        exact_recall_fraction(memory.view(), memory2.view()).unwrap(),
        1.0
    );
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn digit_recall_grid_and_mask() {
    let dir = scratch("digits");
    let digits = Digits::load().unwrap();
    let idx = digits.first_of_each_class();
    let memory = digits.bipolar(8.0).select(Axis(0), &idx);
    let (cues, observed) = mask_block(memory.view(), Digits::IMAGE_SHAPE, 0.5, 0.0).unwrap();
    assert_eq!(observed.iter().filter(|&&o| o).count(), 10 * 32);

    write_npy_bool_mask(dir.join("observed.npy"), observed.view()).unwrap();
    assert_eq!(
        read_npy_bool_mask(dir.join("observed.npy")).unwrap(),
        observed
    );

    let png = dir.join("grid.png");
    write_grid_png(
        &png,
        &[memory.view(), cues.view(), memory.view()],
        (8, 8),
        2,
    )
    .unwrap();
    let img = read_png_gray(&png).unwrap();
    assert_eq!(img.dim(), ((10 * 9 - 1) * 2, (3 * 9 - 1) * 2));
    // The top-left pixel pair of digit 0 matches the stored pattern (-1 -> black).
    assert_eq!(img[[0, 0]], if memory[[0, 0]] > 0.0 { 1.0 } else { 0.0 });
    let names: Vec<_> = fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names.len(), 2, "temporary files left behind: {names:?}");
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn errors_name_the_file() {
    let dir = scratch("errors");
    let path = dir.join("not-numpy.npy");
    fs::write(&path, b"hello").unwrap();
    let err = read_npy(&path).unwrap_err();
    assert!(matches!(err, Error::Format { .. }));
    assert!(err.to_string().contains("not-numpy.npy"), "{err}");
    fs::remove_dir_all(&dir).unwrap();
}
