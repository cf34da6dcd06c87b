//! Grayscale PNG pictures of patterns: recall grids out, single images in.
//!
//! A recall grid shows several panels side by side, for example original | cue | recalled. Each
//! panel is an array whose rows are images; panel `p` becomes column `p` of the grid and image
//! `i` of every panel sits in grid row `i`.

use std::io::Cursor;
use std::path::Path;

use ndarray::{Array2, ArrayView2};

use super::atomic::{read_all, write_atomic};
use crate::error::{ensure_finite, Error, Result};

/// Gray level of the gaps between images (mid-gray, so black and white images both stand out).
const GAP: u8 = 128;

fn format_error(path: &Path, reason: impl std::fmt::Display) -> Error {
    Error::Format {
        path: path.display().to_string(),
        reason: reason.to_string(),
    }
}

/// Maps a panel's values to gray levels 0..=255 by its own minimum and maximum.
///
/// The smallest value becomes black and the largest white (so bipolar -1 is black and +1 white).
/// A constant panel has no range; its value is clamped to [0, 1] and drawn as that gray level.
fn to_gray(panel: &ArrayView2<f32>) -> Array2<u8> {
    let (lo, hi) = panel
        .iter()
        .fold((f32::INFINITY, f32::NEG_INFINITY), |(lo, hi), &v| {
            (lo.min(v), hi.max(v))
        });
    let level = |t: f32| (t.clamp(0.0, 1.0) * 255.0).round() as u8;
    if hi > lo {
        let range = hi - lo;
        panel.mapv(|v| level((v - lo) / range))
    } else {
        panel.mapv(level)
    }
}

/// Writes a recall grid as an 8-bit grayscale PNG, atomically.
///
/// * `panels`: one array per grid column, all of shape `(images, height * width)`.
/// * `image_shape`: `(height, width)` of one image; a row is laid out row-major.
/// * `scale`: every pixel becomes a `scale` x `scale` block (nearest-neighbour upscaling).
///
/// Values are min-max normalised per panel (see the module docs). Images are separated by a
/// mid-gray gap of one pixel before upscaling (so `scale` pixels in the file); there is no outer
/// border. Errors: no panels or no images ([`Error::Empty`]), a zero `scale` or image side
/// ([`Error::Parameter`]), panels that disagree with `image_shape` or with each other
/// ([`Error::Shape`]), non-finite values, a picture too large for PNG, [`Error::Io`].
pub fn write_grid_png(
    path: impl AsRef<Path>,
    panels: &[ArrayView2<f32>],
    image_shape: (usize, usize),
    scale: usize,
) -> Result<()> {
    let path = path.as_ref();
    let (h, w) = image_shape;
    if h == 0 || w == 0 {
        return Err(Error::param(
            "image_shape",
            format!("sides must be at least 1, got {h} x {w}"),
        ));
    }
    if scale == 0 {
        return Err(Error::param("scale", "must be at least 1"));
    }
    let first = panels
        .first()
        .ok_or_else(|| Error::Empty("no panels to draw".into()))?;
    let images = first.nrows();
    for (p, panel) in panels.iter().enumerate() {
        if h.checked_mul(w) != Some(panel.ncols()) || panel.nrows() != images {
            return Err(Error::shape(
                format!("panel {p}"),
                format!("({images}, {h} x {w})"),
                format!("{:?}", panel.dim()),
            ));
        }
        ensure_finite(&format!("panel {p}"), panel.iter())?;
    }
    if images == 0 {
        return Err(Error::Empty("panels hold no images".into()));
    }

    let cols = panels.len();
    let too_large = || Error::param("scale", "the picture is too large for a PNG file");
    let grid_w = cols
        .checked_mul(w + 1)
        .map(|v| v - 1)
        .ok_or_else(too_large)?;
    let grid_h = images
        .checked_mul(h + 1)
        .map(|v| v - 1)
        .ok_or_else(too_large)?;
    let out_w = grid_w.checked_mul(scale).ok_or_else(too_large)?;
    let out_h = grid_h.checked_mul(scale).ok_or_else(too_large)?;
    let (png_w, png_h) = match (u32::try_from(out_w), u32::try_from(out_h)) {
        (Ok(a), Ok(b)) if out_w.checked_mul(out_h).is_some() => (a, b),
        _ => return Err(too_large()),
    };

    // The grid at one pixel per value, then upscaled row by row.
    let mut grid = Array2::from_elem((grid_h, grid_w), GAP);
    for (p, panel) in panels.iter().enumerate() {
        let gray = to_gray(panel);
        for (i, image) in gray.rows().into_iter().enumerate() {
            for (k, &g) in image.iter().enumerate() {
                grid[[i * (h + 1) + k / w, p * (w + 1) + k % w]] = g;
            }
        }
    }
    let mut pixels = Vec::with_capacity(out_w * out_h);
    for row in grid.rows() {
        let line: Vec<u8> = row
            .iter()
            .flat_map(|&g| std::iter::repeat_n(g, scale))
            .collect();
        for _ in 0..scale {
            pixels.extend_from_slice(&line);
        }
    }

    let mut encoded = Vec::new();
    {
        let mut encoder = ::png::Encoder::new(&mut encoded, png_w, png_h);
        encoder.set_color(::png::ColorType::Grayscale);
        encoder.set_depth(::png::BitDepth::Eight);
        let mut writer = encoder.write_header().map_err(|e| format_error(path, e))?;
        writer
            .write_image_data(&pixels)
            .map_err(|e| format_error(path, e))?;
        writer.finish().map_err(|e| format_error(path, e))?;
    }
    write_atomic(path, &encoded)
}

/// Reads one PNG image as gray levels in [0, 1], shape `(height, width)`.
///
/// Any bit depth and color type is accepted: colors are converted to luma
/// (0.299 R + 0.587 G + 0.114 B) and alpha is ignored. Errors: [`Error::Io`], [`Error::Format`].
pub fn read_png_gray(path: impl AsRef<Path>) -> Result<Array2<f32>> {
    let path = path.as_ref();
    let bytes = read_all(path)?;
    let mut decoder = ::png::Decoder::new(Cursor::new(bytes));
    decoder.set_transformations(::png::Transformations::normalize_to_color8());
    let mut reader = decoder.read_info().map_err(|e| format_error(path, e))?;
    let mut buf = vec![0u8; reader.output_buffer_size()];
    let info = reader
        .next_frame(&mut buf)
        .map_err(|e| format_error(path, e))?;
    let channels = match info.color_type {
        ::png::ColorType::Grayscale => 1,
        ::png::ColorType::GrayscaleAlpha => 2,
        ::png::ColorType::Rgb => 3,
        ::png::ColorType::Rgba => 4,
        other => {
            return Err(format_error(
                path,
                format!("unexpected color type {other:?}"),
            ))
        }
    };
    if info.bit_depth != ::png::BitDepth::Eight {
        return Err(format_error(
            path,
            format!("unexpected bit depth {:?}", info.bit_depth),
        ));
    }
    let (height, width) = (info.height as usize, info.width as usize);
    let line = info.line_size;
    if line < width * channels || buf.len() < line * height {
        return Err(format_error(
            path,
            "decoded image is smaller than its header says",
        ));
    }
    Ok(Array2::from_shape_fn((height, width), |(y, x)| {
        let px = &buf[y * line + x * channels..][..channels];
        let gray = if channels >= 3 {
            0.299 * px[0] as f32 + 0.587 * px[1] as f32 + 0.114 * px[2] as f32
        } else {
            px[0] as f32
        };
        gray / 255.0
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pattern::atomic::test_dir;
    use ndarray::{array, s};
    use std::fs;

    #[test]
    fn grid_layout_and_normalisation() {
        let dir = test_dir("png-grid");
        let p = dir.join("grid.png");
        // Two 2x3 bipolar images per panel; the second panel uses the range 0..4.
        let a = array![
            [1.0f32, -1.0, 1.0, -1.0, 1.0, -1.0],
            [-1.0, -1.0, -1.0, 1.0, 1.0, 1.0]
        ];
        let b = a.mapv(|v| 2.0 + 2.0 * v);
        write_grid_png(&p, &[a.view(), b.view()], (2, 3), 1).unwrap();
        let img = read_png_gray(&p).unwrap();
        assert_eq!(img.dim(), (2 * 2 + 1, 2 * 3 + 1));
        let unit = a.mapv(|v| (v + 1.0) / 2.0);
        for panel in 0..2 {
            for i in 0..2 {
                let x0 = panel * 4;
                let y0 = i * 3;
                let cell = img.slice(s![y0..y0 + 2, x0..x0 + 3]);
                let expected = unit
                    .row(i)
                    .to_owned()
                    .into_shape_with_order((2, 3))
                    .unwrap();
                assert_eq!(cell, expected);
            }
        }
        let gap = GAP as f32 / 255.0;
        assert!(img.column(3).iter().all(|&v| v == gap));
        assert!(img.row(2).iter().all(|&v| v == gap));
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn scale_upscales_by_nearest_neighbour() {
        let dir = test_dir("png-scale");
        let p = dir.join("s.png");
        let a = array![[0.0f32, 1.0, 2.0, 3.0]];
        write_grid_png(&p, &[a.view()], (2, 2), 3).unwrap();
        let img = read_png_gray(&p).unwrap();
        assert_eq!(img.dim(), (6, 6));
        let small = array![[0.0f32, 1.0 / 3.0], [2.0 / 3.0, 1.0]];
        for y in 0..6 {
            for x in 0..6 {
                let want = (small[[y / 3, x / 3]] * 255.0).round() / 255.0;
                assert_eq!(img[[y, x]], want);
            }
        }
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn constant_panels_are_clamped() {
        let dir = test_dir("png-const");
        let p = dir.join("c.png");
        let ones = Array2::<f32>::ones((1, 4));
        let minus = -Array2::<f32>::ones((1, 4));
        write_grid_png(&p, &[ones.view(), minus.view()], (2, 2), 1).unwrap();
        let img = read_png_gray(&p).unwrap();
        assert_eq!(img[[0, 0]], 1.0);
        assert_eq!(img[[0, 3]], 0.0);
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn rejects_bad_arguments() {
        let dir = test_dir("png-bad");
        let p = dir.join("bad.png");
        let a = Array2::<f32>::zeros((2, 6));
        let other = Array2::<f32>::zeros((3, 6));
        assert!(matches!(
            write_grid_png(&p, &[], (2, 3), 1),
            Err(Error::Empty(_))
        ));
        assert!(matches!(
            write_grid_png(&p, &[a.view()], (2, 2), 1),
            Err(Error::Shape { .. })
        ));
        assert!(matches!(
            write_grid_png(&p, &[a.view(), other.view()], (2, 3), 1),
            Err(Error::Shape { .. })
        ));
        assert!(matches!(
            write_grid_png(&p, &[a.view()], (2, 3), 0),
            Err(Error::Parameter { .. })
        ));
        assert!(matches!(
            write_grid_png(&p, &[a.view()], (0, 6), 1),
            Err(Error::Parameter { .. })
        ));
        assert!(matches!(
            write_grid_png(&p, &[a.view()], (2, 3), usize::MAX / 2),
            Err(Error::Parameter { .. })
        ));
        let none = Array2::<f32>::zeros((0, 6));
        assert!(matches!(
            write_grid_png(&p, &[none.view()], (2, 3), 1),
            Err(Error::Empty(_))
        ));
        let mut nan = a.clone();
        nan[[1, 2]] = f32::NAN;
        assert!(matches!(
            write_grid_png(&p, &[a.view(), nan.view()], (2, 3), 1),
            Err(Error::NonFinite { index: 8, .. })
        ));
        assert!(!p.exists());
        fs::write(&p, b"not a png").unwrap();
        let err = read_png_gray(&p).unwrap_err();
        assert!(matches!(err, Error::Format { .. }));
        assert!(err.to_string().contains("bad.png"));
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn reads_color_images_as_luma() {
        let dir = test_dir("png-rgb");
        let p = dir.join("rgb.png");
        let mut encoded = Vec::new();
        {
            let mut enc = ::png::Encoder::new(&mut encoded, 2, 1);
            enc.set_color(::png::ColorType::Rgba);
            enc.set_depth(::png::BitDepth::Eight);
            let mut w = enc.write_header().unwrap();
            w.write_image_data(&[255, 255, 255, 0, 255, 0, 0, 255])
                .unwrap();
        }
        fs::write(&p, encoded).unwrap();
        let img = read_png_gray(&p).unwrap();
        assert_eq!(img.dim(), (1, 2));
        assert!((img[[0, 0]] - 1.0).abs() < 1e-4);
        assert!((img[[0, 1]] - 0.299).abs() < 1e-4);
        fs::remove_dir_all(&dir).unwrap();
    }
}
