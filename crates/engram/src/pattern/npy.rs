//! NumPy `.npy` files: read format versions 1.0, 2.0 and 3.0, write version 1.0.
//!
//! Supported element types are little-endian `f32` (`'<f4'`), little-endian `f64` (`'<f8'`) and
//! booleans (`'|b1'`, for observed masks), all in C (row-major) order. A 2-D array is read as is;
//! a 1-D array is read as a single row. Anything else (Fortran order, other types, other ranks,
//! truncated or oversized data, a bad magic string or header) is refused with [`Error::Format`]
//! naming the file.
//!
//! Floating-point arrays must be finite both ways: a NaN or an infinity in a file (or an `f64`
//! that overflows `f32`) is refused with [`Error::NonFinite`] rather than passed on silently.
//! Writes are atomic (temporary sibling file, sync, rename).

use std::path::Path;

use ndarray::{Array2, ArrayView2};

use super::atomic::{read_all, write_atomic};
use crate::error::{Error, Result};

const MAGIC: &[u8] = b"\x93NUMPY";

/// Element types this module reads and writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Dtype {
    F32,
    F64,
    Bool,
}

impl Dtype {
    fn descr(self) -> &'static str {
        match self {
            Dtype::F32 => "<f4",
            Dtype::F64 => "<f8",
            Dtype::Bool => "|b1",
        }
    }

    fn size(self) -> usize {
        match self {
            Dtype::F32 => 4,
            Dtype::F64 => 8,
            Dtype::Bool => 1,
        }
    }
}

/// The parsed header and the raw data bytes of an `.npy` file.
struct Npy<'a> {
    dtype: Dtype,
    rows: usize,
    cols: usize,
    data: &'a [u8],
}

fn format_error(path: &Path, reason: impl Into<String>) -> Error {
    Error::Format {
        path: path.display().to_string(),
        reason: reason.into(),
    }
}

/// A value of the Python literal dictionary that forms the header.
#[derive(Debug, PartialEq)]
enum Literal {
    Str(String),
    Bool(bool),
    Tuple(Vec<usize>),
}

/// A minimal parser for the header dictionary, e.g.
/// `{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }`.
struct HeaderParser<'a> {
    text: &'a [u8],
    pos: usize,
}

impl<'a> HeaderParser<'a> {
    fn skip_space(&mut self) {
        while self.pos < self.text.len() && self.text[self.pos].is_ascii_whitespace() {
            self.pos += 1;
        }
    }

    fn peek(&mut self) -> Option<u8> {
        self.skip_space();
        self.text.get(self.pos).copied()
    }

    fn expect(&mut self, c: u8) -> std::result::Result<(), String> {
        if self.peek() == Some(c) {
            self.pos += 1;
            Ok(())
        } else {
            Err(format!("expected '{}' at byte {}", c as char, self.pos))
        }
    }

    fn string(&mut self) -> std::result::Result<String, String> {
        let quote = match self.peek() {
            Some(q @ (b'\'' | b'"')) => q,
            _ => return Err(format!("expected a quoted string at byte {}", self.pos)),
        };
        self.pos += 1;
        let start = self.pos;
        while self.pos < self.text.len() && self.text[self.pos] != quote {
            if self.text[self.pos] == b'\\' {
                return Err("escapes in header strings are not supported".into());
            }
            self.pos += 1;
        }
        if self.pos == self.text.len() {
            return Err("unterminated string".into());
        }
        let s = std::str::from_utf8(&self.text[start..self.pos])
            .map_err(|_| "header string is not UTF-8".to_string())?
            .to_string();
        self.pos += 1;
        Ok(s)
    }

    fn integer(&mut self) -> std::result::Result<usize, String> {
        self.skip_space();
        let start = self.pos;
        while self.pos < self.text.len() && self.text[self.pos].is_ascii_digit() {
            self.pos += 1;
        }
        let digits = std::str::from_utf8(&self.text[start..self.pos]).unwrap_or("");
        let value = digits
            .parse::<usize>()
            .map_err(|_| format!("expected a dimension at byte {start}"))?;
        // Python 2 wrote long integers with an 'L' suffix.
        if self.text.get(self.pos) == Some(&b'L') {
            self.pos += 1;
        }
        Ok(value)
    }

    fn tuple(&mut self) -> std::result::Result<Vec<usize>, String> {
        self.expect(b'(')?;
        let mut dims = Vec::new();
        loop {
            if self.peek() == Some(b')') {
                self.pos += 1;
                return Ok(dims);
            }
            dims.push(self.integer()?);
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b')') => {}
                _ => return Err(format!("malformed shape tuple at byte {}", self.pos)),
            }
        }
    }

    fn literal(&mut self) -> std::result::Result<Literal, String> {
        match self.peek() {
            Some(b'\'' | b'"') => Ok(Literal::Str(self.string()?)),
            Some(b'(') => Ok(Literal::Tuple(self.tuple()?)),
            _ => {
                let rest = &self.text[self.pos..];
                for (word, value) in [(&b"True"[..], true), (&b"False"[..], false)] {
                    if rest.starts_with(word) {
                        self.pos += word.len();
                        return Ok(Literal::Bool(value));
                    }
                }
                Err(format!("unexpected value at byte {}", self.pos))
            }
        }
    }

    fn dict(&mut self) -> std::result::Result<Vec<(String, Literal)>, String> {
        self.expect(b'{')?;
        let mut entries = Vec::new();
        loop {
            if self.peek() == Some(b'}') {
                self.pos += 1;
                break;
            }
            let key = self.string()?;
            self.expect(b':')?;
            entries.push((key, self.literal()?));
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b'}') => {}
                _ => return Err(format!("expected ',' or '}}' at byte {}", self.pos)),
            }
        }
        if self.peek().is_some() {
            return Err("trailing characters after the header dictionary".into());
        }
        Ok(entries)
    }
}

/// The element type, C-order flag and shape from a header dictionary's text.
fn parse_header(text: &[u8]) -> std::result::Result<(String, bool, Vec<usize>), String> {
    let entries = HeaderParser { text, pos: 0 }.dict()?;
    let (mut descr, mut fortran, mut shape) = (None, None, None);
    for (key, value) in entries {
        match (key.as_str(), value) {
            ("descr", Literal::Str(s)) => descr = Some(s),
            ("fortran_order", Literal::Bool(b)) => fortran = Some(b),
            ("shape", Literal::Tuple(t)) => shape = Some(t),
            (k @ ("descr" | "fortran_order" | "shape"), v) => {
                return Err(format!("bad value for '{k}': {v:?}"))
            }
            (k, _) => return Err(format!("unexpected header key '{k}'")),
        }
    }
    match (descr, fortran, shape) {
        (Some(d), Some(f), Some(s)) => Ok((d, f, s)),
        _ => Err("header lacks 'descr', 'fortran_order' or 'shape'".into()),
    }
}

/// Splits `bytes` (a whole file) into header and data, checking everything about the layout.
fn parse<'a>(path: &Path, bytes: &'a [u8]) -> Result<Npy<'a>> {
    let err = |reason: String| format_error(path, reason);
    if bytes.len() < 10 || &bytes[..6] != MAGIC {
        return Err(err("not a NumPy .npy file (bad magic string)".into()));
    }
    let (major, minor) = (bytes[6], bytes[7]);
    let (header_len, header_start) = match major {
        1 => (u16::from_le_bytes([bytes[8], bytes[9]]) as usize, 10),
        2 | 3 => {
            if bytes.len() < 12 {
                return Err(err("truncated header".into()));
            }
            let len = u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]);
            (len as usize, 12)
        }
        _ => return Err(err(format!("unsupported format version {major}.{minor}"))),
    };
    let data_start = header_start + header_len;
    if bytes.len() < data_start {
        return Err(err("truncated header".into()));
    }
    let header = &bytes[header_start..data_start];
    if major < 3 && !header.is_ascii() {
        return Err(err(format!("non-ASCII header in format version {major}.0")));
    }
    let (descr, fortran, shape) =
        parse_header(header).map_err(|r| err(format!("bad header: {r}")))?;
    let dtype = match descr.as_str() {
        "<f4" => Dtype::F32,
        "<f8" => Dtype::F64,
        "|b1" => Dtype::Bool,
        other => {
            return Err(err(format!(
                "unsupported dtype '{other}' (expected '<f4', '<f8' or '|b1')"
            )))
        }
    };
    if fortran {
        return Err(err("Fortran-order arrays are not supported".into()));
    }
    let (rows, cols) = match shape.as_slice() {
        [n] => (1, *n),
        [r, c] => (*r, *c),
        _ => {
            return Err(err(format!(
                "array of rank {} (only 1-D and 2-D arrays are supported)",
                shape.len()
            )))
        }
    };
    let expected = rows
        .checked_mul(cols)
        .and_then(|n| n.checked_mul(dtype.size()))
        .ok_or_else(|| err(format!("shape {shape:?} is too large")))?;
    let data = &bytes[data_start..];
    if data.len() != expected {
        let what = if data.len() < expected {
            "truncated data"
        } else {
            "trailing bytes after the data"
        };
        return Err(err(format!(
            "{what}: shape {shape:?} of '{descr}' needs {expected} bytes, found {}",
            data.len()
        )));
    }
    Ok(Npy {
        dtype,
        rows,
        cols,
        data,
    })
}

/// Reads and parses a file, requiring one of the floating-point types.
fn read_float<T>(path: &Path, from_f32: fn(f32) -> T, from_f64: fn(f64) -> T) -> Result<Array2<T>>
where
    T: Copy,
{
    let bytes = read_all(path)?;
    let npy = parse(path, &bytes)?;
    let values: Vec<T> = match npy.dtype {
        Dtype::F32 => npy
            .data
            .chunks_exact(4)
            .map(|c| from_f32(f32::from_le_bytes([c[0], c[1], c[2], c[3]])))
            .collect(),
        Dtype::F64 => npy
            .data
            .chunks_exact(8)
            .map(|c| {
                let mut b = [0u8; 8];
                b.copy_from_slice(c);
                from_f64(f64::from_le_bytes(b))
            })
            .collect(),
        Dtype::Bool => {
            return Err(format_error(
                path,
                "boolean array where floating-point numbers were expected",
            ))
        }
    };
    Array2::from_shape_vec((npy.rows, npy.cols), values)
        .map_err(|e| format_error(path, e.to_string()))
}

fn non_finite(path: &Path, index: usize) -> Error {
    Error::NonFinite {
        what: path.display().to_string(),
        index,
    }
}

/// Reads a `.npy` file of `'<f4'` or `'<f8'` values (converted to `f32`) as `(rows, cols)`.
///
/// A 1-D array of length `n` becomes one row of shape `(1, n)`. Errors: [`Error::Io`],
/// [`Error::Format`] (see the module docs), [`Error::NonFinite`] for NaN, infinities or `f64`
/// values beyond the `f32` range.
pub fn read_npy(path: impl AsRef<Path>) -> Result<Array2<f32>> {
    let path = path.as_ref();
    let array = read_float(path, |v| v, |v| v as f32)?;
    if let Some(index) = array.iter().position(|v| !v.is_finite()) {
        return Err(non_finite(path, index));
    }
    Ok(array)
}

/// Reads a `.npy` file of `'<f4'` or `'<f8'` values as `f64`, like [`read_npy`].
pub fn read_npy_f64(path: impl AsRef<Path>) -> Result<Array2<f64>> {
    let path = path.as_ref();
    let array = read_float(path, |v| v as f64, |v| v)?;
    if let Some(index) = array.iter().position(|v| !v.is_finite()) {
        return Err(non_finite(path, index));
    }
    Ok(array)
}

/// Reads a `.npy` file of booleans (`'|b1'`), such as an observed mask (`true` = observed).
///
/// Errors as [`read_npy`]; a byte other than 0 or 1 is an [`Error::Format`].
pub fn read_npy_bool_mask(path: impl AsRef<Path>) -> Result<Array2<bool>> {
    let path = path.as_ref();
    let bytes = read_all(path)?;
    let npy = parse(path, &bytes)?;
    if npy.dtype != Dtype::Bool {
        return Err(format_error(
            path,
            format!("dtype '{}' where '|b1' was expected", npy.dtype.descr()),
        ));
    }
    let values = npy
        .data
        .iter()
        .enumerate()
        .map(|(i, &b)| match b {
            0 => Ok(false),
            1 => Ok(true),
            _ => Err(format_error(
                path,
                format!("byte {b} at index {i} is not a boolean"),
            )),
        })
        .collect::<Result<Vec<bool>>>()?;
    Array2::from_shape_vec((npy.rows, npy.cols), values)
        .map_err(|e| format_error(path, e.to_string()))
}

/// The complete version-1.0 file: magic, version, header padded to 64 bytes, then `data`.
fn encode(dtype: Dtype, shape: (usize, usize), data: &[u8]) -> Vec<u8> {
    let dict = format!(
        "{{'descr': '{}', 'fortran_order': False, 'shape': ({}, {}), }}",
        dtype.descr(),
        shape.0,
        shape.1
    );
    // Preamble (magic 6 + version 2 + length 2) plus header plus '\n', padded to 64 bytes.
    let unpadded = 10 + dict.len() + 1;
    let padding = (64 - unpadded % 64) % 64;
    let header_len = dict.len() + padding + 1;
    let mut out = Vec::with_capacity(10 + header_len + data.len());
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&[1, 0]);
    // Two usize dimensions print in well under 65535 bytes.
    out.extend_from_slice(&(header_len as u16).to_le_bytes());
    out.extend_from_slice(dict.as_bytes());
    out.extend(std::iter::repeat_n(b' ', padding));
    out.push(b'\n');
    out.extend_from_slice(data);
    out
}

/// Writes `array` as a version-1.0 `.npy` file of `'<f4'`, atomically.
///
/// Errors: [`Error::NonFinite`] (nothing is written), [`Error::Io`].
pub fn write_npy(path: impl AsRef<Path>, array: ArrayView2<f32>) -> Result<()> {
    let path = path.as_ref();
    if let Some(index) = array.iter().position(|v| !v.is_finite()) {
        return Err(non_finite(path, index));
    }
    let data: Vec<u8> = array.iter().flat_map(|v| v.to_le_bytes()).collect();
    write_atomic(path, &encode(Dtype::F32, array.dim(), &data))
}

/// Writes `array` as a version-1.0 `.npy` file of `'<f8'`, atomically; errors as [`write_npy`].
pub fn write_npy_f64(path: impl AsRef<Path>, array: ArrayView2<f64>) -> Result<()> {
    let path = path.as_ref();
    if let Some(index) = array.iter().position(|v| !v.is_finite()) {
        return Err(non_finite(path, index));
    }
    let data: Vec<u8> = array.iter().flat_map(|v| v.to_le_bytes()).collect();
    write_atomic(path, &encode(Dtype::F64, array.dim(), &data))
}

/// Writes a boolean mask as a version-1.0 `.npy` file of `'|b1'`, atomically.
pub fn write_npy_bool_mask(path: impl AsRef<Path>, mask: ArrayView2<bool>) -> Result<()> {
    let data: Vec<u8> = mask.iter().map(|&b| b as u8).collect();
    write_atomic(path.as_ref(), &encode(Dtype::Bool, mask.dim(), &data))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pattern::atomic::test_dir;
    use crate::pattern::random_gaussian;
    use ndarray::array;
    use std::fs;

    /// A file with an arbitrary header dictionary and data, in format version `major`.0.
    fn raw_file(major: u8, dict: &str, data: &[u8]) -> Vec<u8> {
        let mut out = MAGIC.to_vec();
        out.extend_from_slice(&[major, 0]);
        let header = format!("{dict}\n");
        if major == 1 {
            out.extend_from_slice(&(header.len() as u16).to_le_bytes());
        } else {
            out.extend_from_slice(&(header.len() as u32).to_le_bytes());
        }
        out.extend_from_slice(header.as_bytes());
        out.extend_from_slice(data);
        out
    }

    fn f64_bytes(values: &[f64]) -> Vec<u8> {
        values.iter().flat_map(|v| v.to_le_bytes()).collect()
    }

    fn format_reason(result: Result<Array2<f32>>) -> String {
        match result {
            Err(Error::Format { reason, .. }) => reason,
            other => panic!("expected a format error, got {other:?}"),
        }
    }

    #[test]
    fn round_trips() {
        let dir = test_dir("npy-round-trip");
        let a = random_gaussian(7, 13, 1);
        let p = dir.join("a.npy");
        write_npy(&p, a.view()).unwrap();
        let bytes = fs::read(&p).unwrap();
        assert_eq!(bytes.len(), 128 + 7 * 13 * 4);
        assert_eq!(bytes[127], b'\n');
        assert_eq!(read_npy(&p).unwrap(), a);
        assert_eq!(read_npy_f64(&p).unwrap(), a.mapv(|v| v as f64));

        let b = array![[1.5f64, -2.25], [1e-300, 3.0]];
        write_npy_f64(&p, b.view()).unwrap();
        assert_eq!(read_npy_f64(&p).unwrap(), b);
        assert_eq!(read_npy(&p).unwrap(), b.mapv(|v| v as f32));

        let m = array![[true, false, true], [false, false, true]];
        write_npy_bool_mask(&p, m.view()).unwrap();
        assert_eq!(read_npy_bool_mask(&p).unwrap(), m);
        assert!(matches!(read_npy(&p), Err(Error::Format { .. })));

        let empty = Array2::<f32>::zeros((0, 5));
        write_npy(&p, empty.view()).unwrap();
        assert_eq!(read_npy(&p).unwrap().dim(), (0, 5));

        // A non-contiguous view is written in logical (row-major) order.
        write_npy(&p, a.t()).unwrap();
        assert_eq!(read_npy(&p).unwrap(), a.t());
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn reads_versions_and_one_dimensional_arrays() {
        let dir = test_dir("npy-versions");
        let p = dir.join("v.npy");
        for major in [1u8, 2, 3] {
            let file = raw_file(
                major,
                "{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }",
                &f64_bytes(&[1.0, 2.0, 3.0]),
            );
            fs::write(&p, file).unwrap();
            assert_eq!(read_npy(&p).unwrap(), array![[1.0f32, 2.0, 3.0]]);
        }
        // Key order, double quotes, no trailing comma, Python 2 long integers.
        let file = raw_file(
            1,
            "{\"shape\": (2L, 1L), \"fortran_order\": False, \"descr\": \"<f8\"}",
            &f64_bytes(&[4.0, 5.0]),
        );
        fs::write(&p, file).unwrap();
        assert_eq!(read_npy(&p).unwrap(), array![[4.0f32], [5.0]]);
        // Non-ASCII header bytes are allowed from version 3.0 on only.
        let dict = "{'descr': '<f8', 'fortran_order': False, 'shape': (1, 1)}      \u{e9}";
        fs::write(&p, raw_file(1, dict, &f64_bytes(&[6.0]))).unwrap();
        assert!(format_reason(read_npy(&p)).contains("non-ASCII"));
        fs::write(&p, raw_file(3, dict, &f64_bytes(&[6.0]))).unwrap();
        // The byte passes the version check and then fails as trailing text.
        assert!(format_reason(read_npy(&p)).contains("trailing characters"));
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn rejects_bad_files_naming_the_path() {
        let dir = test_dir("npy-bad");
        let p = dir.join("bad.npy");
        let good_dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2), }";
        let data = [0u8; 16];
        let cases: Vec<(Vec<u8>, &str)> = vec![
            (b"PK\x03\x04 not numpy".to_vec(), "magic"),
            (raw_file(4, good_dict, &data), "version"),
            (raw_file(1, good_dict, &data[..15]), "truncated data"),
            (
                {
                    let mut f = raw_file(1, good_dict, &data);
                    f.push(0);
                    f
                },
                "trailing",
            ),
            (
                raw_file(
                    1,
                    "{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2), }",
                    &data,
                ),
                "Fortran",
            ),
            (
                raw_file(
                    1,
                    "{'descr': '>f4', 'fortran_order': False, 'shape': (2, 2), }",
                    &data,
                ),
                "dtype",
            ),
            (
                raw_file(
                    1,
                    "{'descr': '<i8', 'fortran_order': False, 'shape': (2, 2), }",
                    &data,
                ),
                "dtype",
            ),
            (
                raw_file(
                    1,
                    "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 1, 2), }",
                    &data,
                ),
                "rank",
            ),
            (
                raw_file(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (), }", &data),
                "rank",
            ),
            (
                raw_file(1, "{'descr': '<f4', 'shape': (2, 2), }", &data),
                "lacks",
            ),
            (raw_file(1, "{'descr': '<f4', 'fortran_order': False", &data), "header"),
            (raw_file(1, "not a dict", &data), "header"),
            (
                raw_file(
                    1,
                    "{'descr': '<f4', 'fortran_order': False, 'shape': (2, -2), }",
                    &data,
                ),
                "header",
            ),
            (
                raw_file(
                    1,
                    "{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999, 99999999999), }",
                    &data,
                ),
                "too large",
            ),
            ({
                let mut f = raw_file(1, good_dict, &data);
                f.truncate(20);
                f
            }, "truncated header"),
        ];
        for (file, needle) in cases {
            fs::write(&p, &file).unwrap();
            let result = read_npy(&p);
            if let Err(e @ Error::Format { .. }) = &result {
                assert!(e.to_string().contains("bad.npy"), "{e}");
            }
            let reason = format_reason(result);
            assert!(reason.contains(needle), "'{reason}' lacks '{needle}'");
        }
        let missing = read_npy(dir.join("missing.npy")).unwrap_err();
        assert!(matches!(missing, Error::Io { .. }));
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn refuses_non_finite_values() {
        let dir = test_dir("npy-nan");
        let p = dir.join("nan.npy");
        let file = raw_file(
            1,
            "{'descr': '<f8', 'fortran_order': False, 'shape': (1, 3), }",
            &f64_bytes(&[1.0, f64::NAN, 0.0]),
        );
        fs::write(&p, file).unwrap();
        assert!(matches!(
            read_npy(&p),
            Err(Error::NonFinite { index: 1, .. })
        ));
        let big = raw_file(
            1,
            "{'descr': '<f8', 'fortran_order': False, 'shape': (1, 1), }",
            &f64_bytes(&[1e300]),
        );
        fs::write(&p, big).unwrap();
        assert!(matches!(read_npy(&p), Err(Error::NonFinite { .. })));
        assert_eq!(read_npy_f64(&p).unwrap()[[0, 0]], 1e300);

        let q = dir.join("out.npy");
        let a = array![[1.0f32, f32::INFINITY]];
        assert!(matches!(
            write_npy(&q, a.view()),
            Err(Error::NonFinite { index: 1, .. })
        ));
        assert!(!q.exists());
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn bool_mask_rejects_other_bytes() {
        let dir = test_dir("npy-bool");
        let p = dir.join("m.npy");
        let file = raw_file(
            1,
            "{'descr': '|b1', 'fortran_order': False, 'shape': (1, 2), }",
            &[1, 2],
        );
        fs::write(&p, file).unwrap();
        assert!(matches!(read_npy_bool_mask(&p), Err(Error::Format { .. })));
        write_npy(&p, array![[1.0f32]].view()).unwrap();
        assert!(matches!(read_npy_bool_mask(&p), Err(Error::Format { .. })));
        fs::remove_dir_all(&dir).unwrap();
    }
}
