//! Small PNG plots for the experiments: log-log line charts (measured points beside a theory
//! curve) and categorical heat maps (which regime each parameter pair reaches).
//!
//! Everything is drawn on an RGB [`Canvas`] with straight lines, filled rectangles and a
//! built-in 5x7 bitmap font (upper-case letters, digits and common punctuation; lower-case
//! letters are drawn as capitals), then written with the `png` crate. No other dependency.
//!
//! ```
//! use engram::experiment::plot::{log_log_plot, Series, Style, BLUE, RED};
//!
//! let dir = std::env::temp_dir().join(format!("engram-plot-doc-{}", std::process::id()));
//! std::fs::create_dir_all(&dir).unwrap();
//! let measured = Series::new("measured", vec![(100.0, 120.0), (200.0, 410.0)], BLUE, Style::LineMarkers);
//! let theory = Series::new("theory", vec![(100.0, 109.0), (200.0, 390.0)], RED, Style::Line);
//! log_log_plot(dir.join("plot.png"), "CAPACITY", "N", "P", &[measured, theory]).unwrap();
//! assert!(std::fs::read(dir.join("plot.png")).unwrap().starts_with(b"\x89PNG"));
//! # std::fs::remove_dir_all(&dir).ok();
//! ```

use std::io::Write;
use std::path::Path;

use ndarray::Array2;

use crate::error::{Error, Result};

/// An RGB color.
pub type Color = [u8; 3];

/// White.
pub const WHITE: Color = [255, 255, 255];
/// Black.
pub const BLACK: Color = [0, 0, 0];
/// Light gray (grid lines).
pub const LIGHT_GRAY: Color = [225, 225, 225];
/// Blue.
pub const BLUE: Color = [31, 100, 200];
/// Red.
pub const RED: Color = [210, 45, 40];
/// Green.
pub const GREEN: Color = [40, 150, 60];
/// Orange.
pub const ORANGE: Color = [235, 140, 20];
/// Purple.
pub const PURPLE: Color = [130, 70, 170];
/// Gray.
pub const GRAY: Color = [150, 150, 150];

/// Width and height of one glyph of the bitmap font, in font pixels.
const GLYPH_W: usize = 5;
const GLYPH_H: usize = 7;

/// The 5x7 font: for each character, seven rows whose five low bits are the pixels (bit 4 is
/// the leftmost column).
fn glyph(c: char) -> [u8; 7] {
    match c.to_ascii_uppercase() {
        '0' => [0x0E, 0x11, 0x13, 0x15, 0x19, 0x11, 0x0E],
        '1' => [0x04, 0x0C, 0x04, 0x04, 0x04, 0x04, 0x0E],
        '2' => [0x0E, 0x11, 0x01, 0x02, 0x04, 0x08, 0x1F],
        '3' => [0x1F, 0x02, 0x04, 0x02, 0x01, 0x11, 0x0E],
        '4' => [0x02, 0x06, 0x0A, 0x12, 0x1F, 0x02, 0x02],
        '5' => [0x1F, 0x10, 0x1E, 0x01, 0x01, 0x11, 0x0E],
        '6' => [0x06, 0x08, 0x10, 0x1E, 0x11, 0x11, 0x0E],
        '7' => [0x1F, 0x01, 0x02, 0x04, 0x08, 0x08, 0x08],
        '8' => [0x0E, 0x11, 0x11, 0x0E, 0x11, 0x11, 0x0E],
        '9' => [0x0E, 0x11, 0x11, 0x0F, 0x01, 0x02, 0x0C],
        'A' => [0x0E, 0x11, 0x11, 0x1F, 0x11, 0x11, 0x11],
        'B' => [0x1E, 0x11, 0x11, 0x1E, 0x11, 0x11, 0x1E],
        'C' => [0x0E, 0x11, 0x10, 0x10, 0x10, 0x11, 0x0E],
        'D' => [0x1C, 0x12, 0x11, 0x11, 0x11, 0x12, 0x1C],
        'E' => [0x1F, 0x10, 0x10, 0x1E, 0x10, 0x10, 0x1F],
        'F' => [0x1F, 0x10, 0x10, 0x1E, 0x10, 0x10, 0x10],
        'G' => [0x0E, 0x11, 0x10, 0x17, 0x11, 0x11, 0x0F],
        'H' => [0x11, 0x11, 0x11, 0x1F, 0x11, 0x11, 0x11],
        'I' => [0x0E, 0x04, 0x04, 0x04, 0x04, 0x04, 0x0E],
        'J' => [0x07, 0x02, 0x02, 0x02, 0x02, 0x12, 0x0C],
        'K' => [0x11, 0x12, 0x14, 0x18, 0x14, 0x12, 0x11],
        'L' => [0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x1F],
        'M' => [0x11, 0x1B, 0x15, 0x15, 0x11, 0x11, 0x11],
        'N' => [0x11, 0x11, 0x19, 0x15, 0x13, 0x11, 0x11],
        'O' => [0x0E, 0x11, 0x11, 0x11, 0x11, 0x11, 0x0E],
        'P' => [0x1E, 0x11, 0x11, 0x1E, 0x10, 0x10, 0x10],
        'Q' => [0x0E, 0x11, 0x11, 0x11, 0x15, 0x12, 0x0D],
        'R' => [0x1E, 0x11, 0x11, 0x1E, 0x14, 0x12, 0x11],
        'S' => [0x0F, 0x10, 0x10, 0x0E, 0x01, 0x01, 0x1E],
        'T' => [0x1F, 0x04, 0x04, 0x04, 0x04, 0x04, 0x04],
        'U' => [0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x0E],
        'V' => [0x11, 0x11, 0x11, 0x11, 0x11, 0x0A, 0x04],
        'W' => [0x11, 0x11, 0x11, 0x15, 0x15, 0x15, 0x0A],
        'X' => [0x11, 0x11, 0x0A, 0x04, 0x0A, 0x11, 0x11],
        'Y' => [0x11, 0x11, 0x11, 0x0A, 0x04, 0x04, 0x04],
        'Z' => [0x1F, 0x01, 0x02, 0x04, 0x08, 0x10, 0x1F],
        ' ' => [0; 7],
        '.' => [0x00, 0x00, 0x00, 0x00, 0x00, 0x0C, 0x0C],
        ',' => [0x00, 0x00, 0x00, 0x00, 0x0C, 0x04, 0x08],
        '-' => [0x00, 0x00, 0x00, 0x1F, 0x00, 0x00, 0x00],
        '+' => [0x00, 0x04, 0x04, 0x1F, 0x04, 0x04, 0x00],
        '=' => [0x00, 0x00, 0x1F, 0x00, 0x1F, 0x00, 0x00],
        ':' => [0x00, 0x0C, 0x0C, 0x00, 0x0C, 0x0C, 0x00],
        '(' => [0x02, 0x04, 0x08, 0x08, 0x08, 0x04, 0x02],
        ')' => [0x08, 0x04, 0x02, 0x02, 0x02, 0x04, 0x08],
        '[' => [0x0E, 0x08, 0x08, 0x08, 0x08, 0x08, 0x0E],
        ']' => [0x0E, 0x02, 0x02, 0x02, 0x02, 0x02, 0x0E],
        '/' => [0x00, 0x01, 0x02, 0x04, 0x08, 0x10, 0x00],
        '^' => [0x04, 0x0A, 0x11, 0x00, 0x00, 0x00, 0x00],
        '_' => [0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x1F],
        '%' => [0x18, 0x19, 0x02, 0x04, 0x08, 0x13, 0x03],
        '*' => [0x00, 0x04, 0x15, 0x0E, 0x15, 0x04, 0x00],
        '<' => [0x02, 0x04, 0x08, 0x10, 0x08, 0x04, 0x02],
        '>' => [0x08, 0x04, 0x02, 0x01, 0x02, 0x04, 0x08],
        '!' => [0x04, 0x04, 0x04, 0x04, 0x04, 0x00, 0x04],
        '?' => [0x0E, 0x11, 0x01, 0x02, 0x04, 0x00, 0x04],
        '\'' => [0x04, 0x04, 0x08, 0x00, 0x00, 0x00, 0x00],
        '|' => [0x04; 7],
        '#' => [0x0A, 0x0A, 0x1F, 0x0A, 0x1F, 0x0A, 0x0A],
        // Anything else: an empty box, so that a missing glyph is visible.
        _ => [0x1F, 0x11, 0x11, 0x11, 0x11, 0x11, 0x1F],
    }
}

/// An RGB picture being drawn; the origin is the top-left corner.
#[derive(Clone, Debug)]
pub struct Canvas {
    width: usize,
    height: usize,
    pixels: Vec<u8>,
}

impl Canvas {
    /// A `width` x `height` canvas filled with `background`.
    pub fn new(width: usize, height: usize, background: Color) -> Self {
        let mut pixels = Vec::with_capacity(width * height * 3);
        for _ in 0..width * height {
            pixels.extend_from_slice(&background);
        }
        Canvas {
            width,
            height,
            pixels,
        }
    }

    /// Width in pixels.
    pub fn width(&self) -> usize {
        self.width
    }

    /// Height in pixels.
    pub fn height(&self) -> usize {
        self.height
    }

    /// The color at `(x, y)`, or `None` outside the canvas.
    pub fn pixel(&self, x: usize, y: usize) -> Option<Color> {
        (x < self.width && y < self.height).then(|| {
            let i = 3 * (y * self.width + x);
            [self.pixels[i], self.pixels[i + 1], self.pixels[i + 2]]
        })
    }

    /// Sets one pixel; points outside the canvas are ignored.
    pub fn set(&mut self, x: i64, y: i64, color: Color) {
        if x >= 0 && y >= 0 && (x as usize) < self.width && (y as usize) < self.height {
            let i = 3 * (y as usize * self.width + x as usize);
            self.pixels[i..i + 3].copy_from_slice(&color);
        }
    }

    /// Fills the rectangle with top-left corner `(x, y)` and the given size (clipped).
    pub fn fill_rect(&mut self, x: i64, y: i64, w: i64, h: i64, color: Color) {
        for yy in y.max(0)..(y + h).min(self.height as i64) {
            for xx in x.max(0)..(x + w).min(self.width as i64) {
                self.set(xx, yy, color);
            }
        }
    }

    /// Draws the outline of a rectangle.
    pub fn stroke_rect(&mut self, x: i64, y: i64, w: i64, h: i64, color: Color) {
        self.line(x, y, x + w - 1, y, color, 1);
        self.line(x, y + h - 1, x + w - 1, y + h - 1, color, 1);
        self.line(x, y, x, y + h - 1, color, 1);
        self.line(x + w - 1, y, x + w - 1, y + h - 1, color, 1);
    }

    /// A straight line from `(x0, y0)` to `(x1, y1)` (Bresenham), `thickness` pixels wide.
    pub fn line(&mut self, x0: i64, y0: i64, x1: i64, y1: i64, color: Color, thickness: i64) {
        let (dx, dy) = ((x1 - x0).abs(), -(y1 - y0).abs());
        let (sx, sy) = (if x0 < x1 { 1 } else { -1 }, if y0 < y1 { 1 } else { -1 });
        let (mut x, mut y, mut err) = (x0, y0, dx + dy);
        let lo = -(thickness - 1) / 2;
        let hi = thickness / 2;
        loop {
            for ox in lo..=hi {
                for oy in lo..=hi {
                    self.set(x + ox, y + oy, color);
                }
            }
            if x == x1 && y == y1 {
                break;
            }
            let e2 = 2 * err;
            if e2 >= dy {
                err += dy;
                x += sx;
            }
            if e2 <= dx {
                err += dx;
                y += sy;
            }
        }
    }

    /// A filled square marker of side `2 * radius + 1` centred on `(x, y)`, outlined in black.
    pub fn marker(&mut self, x: i64, y: i64, radius: i64, color: Color) {
        self.fill_rect(
            x - radius,
            y - radius,
            2 * radius + 1,
            2 * radius + 1,
            color,
        );
        self.stroke_rect(
            x - radius,
            y - radius,
            2 * radius + 1,
            2 * radius + 1,
            BLACK,
        );
    }

    /// Width in pixels of `text` drawn at `scale`.
    pub fn text_width(text: &str, scale: usize) -> usize {
        let n = text.chars().count();
        if n == 0 {
            0
        } else {
            (n * (GLYPH_W + 1) - 1) * scale
        }
    }

    /// Height in pixels of one line of text at `scale`.
    pub fn text_height(scale: usize) -> usize {
        GLYPH_H * scale
    }

    /// Draws `text` with its top-left corner at `(x, y)`, every font pixel a `scale` x `scale`
    /// block.
    pub fn text(&mut self, x: i64, y: i64, text: &str, scale: usize, color: Color) {
        let s = scale.max(1) as i64;
        for (k, c) in text.chars().enumerate() {
            let rows = glyph(c);
            let left = x + k as i64 * (GLYPH_W as i64 + 1) * s;
            for (r, bits) in rows.iter().enumerate() {
                for col in 0..GLYPH_W {
                    if bits & (1 << (GLYPH_W - 1 - col)) != 0 {
                        self.fill_rect(left + col as i64 * s, y + r as i64 * s, s, s, color);
                    }
                }
            }
        }
    }

    /// Draws `text` rotated a quarter turn counter-clockwise (reading bottom to top), with the
    /// top-left corner of its bounding box at `(x, y)`.
    pub fn text_vertical(&mut self, x: i64, y: i64, text: &str, scale: usize, color: Color) {
        let s = scale.max(1) as i64;
        let total = Self::text_width(text, scale) as i64;
        for (k, c) in text.chars().enumerate() {
            let rows = glyph(c);
            let along = k as i64 * (GLYPH_W as i64 + 1) * s;
            for (r, bits) in rows.iter().enumerate() {
                for col in 0..GLYPH_W {
                    if bits & (1 << (GLYPH_W - 1 - col)) != 0 {
                        let px = x + r as i64 * s;
                        let py = y + total - along - (col as i64 + 1) * s;
                        self.fill_rect(px, py, s, s, color);
                    }
                }
            }
        }
    }

    /// Encodes the canvas as an 8-bit RGB PNG and writes it to `path` (through a temporary file
    /// in the same directory that is then renamed, so a reader never sees half a file).
    pub fn save_png(&self, path: impl AsRef<Path>) -> Result<()> {
        let path = path.as_ref();
        let format_error = |e: ::png::EncodingError| Error::Format {
            path: path.display().to_string(),
            reason: e.to_string(),
        };
        let too_large = || Error::param("canvas", "too large for a PNG file");
        let w = u32::try_from(self.width).map_err(|_| too_large())?;
        let h = u32::try_from(self.height).map_err(|_| too_large())?;
        if w == 0 || h == 0 {
            return Err(Error::Empty("canvas has no pixels".into()));
        }
        let mut encoded = Vec::new();
        {
            let mut encoder = ::png::Encoder::new(&mut encoded, w, h);
            encoder.set_color(::png::ColorType::Rgb);
            encoder.set_depth(::png::BitDepth::Eight);
            let mut writer = encoder.write_header().map_err(format_error)?;
            writer
                .write_image_data(&self.pixels)
                .map_err(format_error)?;
            writer.finish().map_err(format_error)?;
        }
        write_replacing(path, &encoded)
    }
}

/// Writes `bytes` to a temporary sibling of `path` and renames it over `path`.
fn write_replacing(path: &Path, bytes: &[u8]) -> Result<()> {
    let io_error = |source: std::io::Error| Error::Io {
        path: path.display().to_string(),
        source,
    };
    let name = path
        .file_name()
        .ok_or_else(|| Error::param("path", format!("{} names no file", path.display())))?;
    let mut tmp_name = std::ffi::OsString::from(".");
    tmp_name.push(name);
    tmp_name.push(format!(".plot-tmp-{}", std::process::id()));
    let tmp = path.with_file_name(tmp_name);
    let result = (|| -> std::io::Result<()> {
        let mut file = std::fs::File::create(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if let Err(e) = result {
        let _ = std::fs::remove_file(&tmp);
        return Err(io_error(e));
    }
    Ok(())
}

/// How a [`Series`] is drawn.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Style {
    /// A line through the points.
    Line,
    /// A marker at each point.
    Markers,
    /// Markers joined by a thin line.
    LineMarkers,
}

/// One curve of a line chart.
#[derive(Clone, Debug)]
pub struct Series {
    /// Text of the legend entry.
    pub label: String,
    /// The `(x, y)` points, in the order they are joined.
    pub points: Vec<(f64, f64)>,
    /// Color of the line and markers.
    pub color: Color,
    /// Line, markers or both.
    pub style: Style,
}

impl Series {
    /// A series from its parts.
    pub fn new(
        label: impl Into<String>,
        points: Vec<(f64, f64)>,
        color: Color,
        style: Style,
    ) -> Self {
        Series {
            label: label.into(),
            points,
            color,
            style,
        }
    }
}

/// Tick values for a log axis spanning `[lo, hi]` (log10 units): evenly spaced round values
/// below a factor of 4, 1, 2, 3, 4, 5, 6, 8 times powers of ten within about a decade, 1, 2, 5 times powers of ten up to three decades, powers of ten
/// beyond.
fn log_ticks(lo: f64, hi: f64) -> Vec<f64> {
    let mut ticks = Vec::new();
    if hi - lo < 0.6 {
        // Less than a factor of 4: evenly spaced round values read better.
        let (a, b) = (10f64.powf(lo), 10f64.powf(hi));
        let raw = (b - a) / 5.0;
        let power = 10f64.powi(raw.log10().floor() as i32);
        let step = [1.0, 2.0, 5.0, 10.0]
            .iter()
            .map(|m| m * power)
            .find(|&s| s >= raw)
            .unwrap_or(10.0 * power);
        let mut v = (a / step).ceil() * step;
        while v <= b * (1.0 + 1e-12) {
            ticks.push(v);
            v += step;
        }
        return ticks;
    }
    let mantissas: &[f64] = if hi - lo <= 1.2 {
        &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 8.0]
    } else if hi - lo <= 3.0 {
        &[1.0, 2.0, 5.0]
    } else {
        &[1.0]
    };
    let step = if hi - lo > 12.0 {
        ((hi - lo) / 6.0).ceil() as i32
    } else {
        1
    };
    let mut k = lo.floor() as i32;
    while (k as f64) <= hi.ceil() {
        for &m in mantissas {
            let v = m * 10f64.powi(k);
            let l = v.log10();
            if l >= lo - 1e-9 && l <= hi + 1e-9 {
                ticks.push(v);
            }
        }
        k += step;
    }
    ticks
}

/// A short label for a tick value: integers below a million as digits, others as `mEk`.
pub fn tick_label(v: f64) -> String {
    if v == 0.0 {
        return "0".into();
    }
    let a = v.abs();
    if (1.0..1e6).contains(&a) && (v - v.round()).abs() < 1e-9 * a {
        format!("{}", v.round() as i64)
    } else if (0.01..1.0).contains(&a) {
        let s = format!("{v:.2}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        let e = a.log10().floor() as i32;
        let m = v / 10f64.powi(e);
        if (m - m.round()).abs() < 1e-6 {
            format!("{}E{e}", m.round() as i64)
        } else {
            format!("{m:.1}E{e}")
        }
    }
}

/// Draws a log-log line chart of `series` with decade (or 1-2-5) ticks, axis labels, a title
/// and a legend, and writes it as a PNG to `path`.
///
/// Points with a non-positive or non-finite coordinate are skipped. Errors: no drawable point
/// ([`Error::Empty`]), [`Error::Io`].
pub fn log_log_plot(
    path: impl AsRef<Path>,
    title: &str,
    x_label: &str,
    y_label: &str,
    series: &[Series],
) -> Result<()> {
    let usable = |&(x, y): &(f64, f64)| x > 0.0 && y > 0.0 && x.is_finite() && y.is_finite();
    let all: Vec<(f64, f64)> = series
        .iter()
        .flat_map(|s| s.points.iter().copied().filter(usable))
        .collect();
    if all.is_empty() {
        return Err(Error::Empty("no positive finite point to plot".into()));
    }
    let range = |values: Vec<f64>| {
        let lo = values.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let span = (hi - lo).max(0.3);
        let mid = 0.5 * (lo + hi);
        (mid - 0.55 * span, mid + 0.55 * span)
    };
    let (xlo, xhi) = range(all.iter().map(|p| p.0.log10()).collect());
    let (ylo, yhi) = range(all.iter().map(|p| p.1.log10()).collect());

    let (width, height) = (760usize, 560usize);
    let (left, right, top, bottom) = (96i64, 24i64, 48i64, 64i64);
    let mut c = Canvas::new(width, height, WHITE);
    let pw = width as i64 - left - right;
    let ph = height as i64 - top - bottom;
    let px = |x: f64| left + ((x.log10() - xlo) / (xhi - xlo) * pw as f64).round() as i64;
    let py = |y: f64| top + ph - ((y.log10() - ylo) / (yhi - ylo) * ph as f64).round() as i64;

    // Grid and ticks.
    for t in log_ticks(xlo, xhi) {
        let x = px(t);
        c.line(x, top, x, top + ph, LIGHT_GRAY, 1);
        c.line(x, top + ph, x, top + ph + 5, BLACK, 1);
        let label = tick_label(t);
        let w = Canvas::text_width(&label, 2) as i64;
        c.text(x - w / 2, top + ph + 10, &label, 2, BLACK);
    }
    for t in log_ticks(ylo, yhi) {
        let y = py(t);
        c.line(left, y, left + pw, y, LIGHT_GRAY, 1);
        c.line(left - 5, y, left, y, BLACK, 1);
        let label = tick_label(t);
        let w = Canvas::text_width(&label, 2) as i64;
        c.text(left - 9 - w, y - 7, &label, 2, BLACK);
    }
    c.stroke_rect(left, top, pw + 1, ph + 1, BLACK);

    // Curves.
    for s in series {
        let pts: Vec<(i64, i64)> = s
            .points
            .iter()
            .filter(|p| usable(p))
            .map(|&(x, y)| (px(x), py(y)))
            .collect();
        if matches!(s.style, Style::Line | Style::LineMarkers) {
            let thickness = if s.style == Style::Line { 3 } else { 1 };
            for w in pts.windows(2) {
                c.line(w[0].0, w[0].1, w[1].0, w[1].1, s.color, thickness);
            }
        }
        if matches!(s.style, Style::Markers | Style::LineMarkers) {
            for &(x, y) in &pts {
                c.marker(x, y, 4, s.color);
            }
        }
    }

    // Legend (top left, inside the frame).
    let mut ly = top + 10;
    for s in series {
        let lx = left + 12;
        match s.style {
            Style::Line => c.line(lx, ly + 7, lx + 28, ly + 7, s.color, 3),
            Style::Markers => c.marker(lx + 14, ly + 7, 4, s.color),
            Style::LineMarkers => {
                c.line(lx, ly + 7, lx + 28, ly + 7, s.color, 1);
                c.marker(lx + 14, ly + 7, 4, s.color);
            }
        }
        c.text(lx + 38, ly, &s.label, 2, BLACK);
        ly += 22;
    }

    // Title and axis labels.
    let tw = Canvas::text_width(title, 2) as i64;
    c.text((width as i64 - tw) / 2, 14, title, 2, BLACK);
    let xw = Canvas::text_width(x_label, 2) as i64;
    c.text(left + (pw - xw) / 2, height as i64 - 26, x_label, 2, BLACK);
    let yw = Canvas::text_width(y_label, 2) as i64;
    c.text_vertical(12, top + (ph - yw) / 2, y_label, 2, BLACK);
    c.save_png(path)
}

/// A categorical heat map: one colored cell per parameter pair.
#[derive(Clone, Debug)]
pub struct HeatMap {
    /// Title drawn above the map.
    pub title: String,
    /// Label of the horizontal axis.
    pub x_label: String,
    /// Label of the vertical axis.
    pub y_label: String,
    /// Tick label of each column, left to right.
    pub x_ticks: Vec<String>,
    /// Tick label of each row, bottom to top.
    pub y_ticks: Vec<String>,
    /// The category of each cell, shape `(rows, columns)`; row 0 is drawn at the bottom.
    pub cells: Array2<usize>,
    /// Color and legend text of each category.
    pub categories: Vec<(Color, String)>,
}

/// Draws `map` as a PNG at `path`: cells, tick labels, axis labels, title and a legend.
///
/// Errors: an empty grid ([`Error::Empty`]), tick lists that do not match the grid or a cell
/// whose category has no color ([`Error::Shape`]), [`Error::Io`].
pub fn heat_map_png(path: impl AsRef<Path>, map: &HeatMap) -> Result<()> {
    let (rows, cols) = map.cells.dim();
    if rows == 0 || cols == 0 {
        return Err(Error::Empty("heat map has no cells".into()));
    }
    if map.x_ticks.len() != cols || map.y_ticks.len() != rows {
        return Err(Error::shape(
            "heat map ticks",
            format!("{cols} x ticks and {rows} y ticks"),
            format!("{} and {}", map.x_ticks.len(), map.y_ticks.len()),
        ));
    }
    if let Some(&bad) = map.cells.iter().find(|&&k| k >= map.categories.len()) {
        return Err(Error::shape(
            "heat map category",
            format!("< {}", map.categories.len()),
            bad,
        ));
    }
    let cell = (420 / rows.max(cols)).clamp(12, 48) as i64;
    let (left, top) = (110i64, 52i64);
    let legend_w = map
        .categories
        .iter()
        .map(|(_, l)| Canvas::text_width(l, 2))
        .max()
        .unwrap_or(0) as i64
        + 60;
    let pw = cell * cols as i64;
    let ph = cell * rows as i64;
    let width = (left + pw + 24 + legend_w).max(Canvas::text_width(&map.title, 2) as i64 + 40);
    let height = top + ph + 80;
    let mut c = Canvas::new(width as usize, height as usize, WHITE);
    for r in 0..rows {
        for k in 0..cols {
            let color = map.categories[map.cells[[r, k]]].0;
            let y = top + ph - (r as i64 + 1) * cell;
            c.fill_rect(left + k as i64 * cell, y, cell, cell, color);
        }
    }
    // Thin white separators, then the frame.
    for k in 1..cols as i64 {
        c.line(
            left + k * cell,
            top,
            left + k * cell,
            top + ph - 1,
            WHITE,
            1,
        );
    }
    for r in 1..rows as i64 {
        c.line(
            left,
            top + r * cell,
            left + pw - 1,
            top + r * cell,
            WHITE,
            1,
        );
    }
    c.stroke_rect(left - 1, top - 1, pw + 2, ph + 2, BLACK);

    // Ticks: label every column/row when they fit, otherwise every other one.
    let every = |n: usize, room: i64, widest: i64| if widest + 6 > room && n > 1 { 2 } else { 1 };
    let widest_x = map
        .x_ticks
        .iter()
        .map(|t| Canvas::text_width(t, 1))
        .max()
        .unwrap_or(0) as i64;
    let step_x = every(cols, cell, widest_x);
    for (k, t) in map.x_ticks.iter().enumerate() {
        if k % step_x != 0 {
            continue;
        }
        let x = left + k as i64 * cell + cell / 2;
        let w = Canvas::text_width(t, 1) as i64;
        c.line(x, top + ph, x, top + ph + 4, BLACK, 1);
        c.text(x - w / 2, top + ph + 8, t, 1, BLACK);
    }
    let step_y = if cell < 10 { 2 } else { 1 };
    for (r, t) in map.y_ticks.iter().enumerate() {
        if r % step_y != 0 {
            continue;
        }
        let y = top + ph - r as i64 * cell - cell / 2;
        let w = Canvas::text_width(t, 1) as i64;
        c.line(left - 4, y, left, y, BLACK, 1);
        c.text(left - 8 - w, y - 3, t, 1, BLACK);
    }

    // Legend.
    let lx = left + pw + 24;
    for (i, (color, label)) in map.categories.iter().enumerate() {
        let ly = top + i as i64 * 26;
        c.fill_rect(lx, ly, 18, 18, *color);
        c.stroke_rect(lx, ly, 18, 18, BLACK);
        c.text(lx + 26, ly + 2, label, 2, BLACK);
    }

    let tw = Canvas::text_width(&map.title, 2) as i64;
    c.text((width - tw) / 2, 16, &map.title, 2, BLACK);
    let xw = Canvas::text_width(&map.x_label, 2) as i64;
    c.text(left + (pw - xw) / 2, top + ph + 30, &map.x_label, 2, BLACK);
    let yw = Canvas::text_width(&map.y_label, 2) as i64;
    c.text_vertical(20, top + (ph - yw) / 2, &map.y_label, 2, BLACK);
    c.save_png(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_and_lines_land_where_asked() {
        let mut c = Canvas::new(40, 20, WHITE);
        c.text(1, 1, "1", 1, BLACK);
        // The glyph "1" has its stem in column 2 on every row but the last three columns.
        assert_eq!(c.pixel(3, 2), Some(BLACK));
        assert_eq!(c.pixel(1, 1), Some(WHITE));
        c.line(0, 19, 39, 19, RED, 1);
        assert_eq!(c.pixel(20, 19), Some(RED));
        assert_eq!(Canvas::text_width("AB", 2), 22);
    }

    #[test]
    fn log_ticks_cover_the_range() {
        assert_eq!(log_ticks(2.0, 2.7), vec![100.0, 200.0, 300.0, 400.0, 500.0]);
        assert_eq!(
            log_ticks(1.0, 3.5),
            vec![10.0, 20.0, 50.0, 100.0, 200.0, 500.0, 1000.0, 2000.0]
        );
        assert_eq!(log_ticks(0.0, 5.5).len(), 6);
        assert_eq!(log_ticks(0.9, 1.2), vec![8.0, 10.0, 12.0, 14.0]);
        assert_eq!(tick_label(200.0), "200");
        assert_eq!(tick_label(3e7), "3E7");
        assert_eq!(tick_label(0.25), "0.25");
    }
}
