//! Helpers shared by the command's integration tests: a scratch directory, running the built
//! `engram` binary, and checks on its output.
#![allow(dead_code)] // each test file uses its own subset

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A fresh scratch directory, removed when dropped.
pub struct Scratch(pub PathBuf);

impl Scratch {
    /// A new empty directory named after `name` and this process.
    pub fn new(name: &str) -> Scratch {
        let dir = std::env::temp_dir().join(format!("engram-cli-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }

    /// The path of `file` inside the directory.
    pub fn path(&self, file: &str) -> PathBuf {
        self.0.join(file)
    }

    /// The path of `file` inside the directory, as a command-line argument.
    pub fn arg(&self, file: &str) -> String {
        self.path(file).display().to_string()
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Runs the built `engram` with `args` in `dir`.
pub fn engram(args: &[&str], dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_engram"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("the engram binary runs")
}

/// Bytes as (lossy) UTF-8 text.
pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Fails with both output streams unless the command succeeded.
pub fn assert_success(out: &Output) {
    assert!(
        out.status.success(),
        "status {:?}\nstdout:\n{}\nstderr:\n{}",
        out.status,
        text(&out.stdout),
        text(&out.stderr)
    );
}

/// The command's stdout as one JSON value, after checking that it succeeded.
pub fn json_of(out: &Output) -> serde_json::Value {
    assert_success(out);
    serde_json::from_slice(&out.stdout).expect("stdout is one JSON object")
}

/// Exit status 2 and exactly one stderr line starting with `error:` and containing `needle`.
pub fn assert_one_line_error(out: &Output, needle: &str) {
    assert_eq!(out.status.code(), Some(2), "stderr: {}", text(&out.stderr));
    let err = text(&out.stderr);
    let lines: Vec<&str> = err.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "stderr: {err}");
    assert!(lines[0].starts_with("error: "), "{}", lines[0]);
    assert!(lines[0].contains(needle), "{} lacks {needle}", lines[0]);
}

/// Whether `path` holds a PNG file (by its signature).
pub fn is_png(path: PathBuf) -> bool {
    std::fs::read(path)
        .map(|b| b.starts_with(b"\x89PNG\r\n\x1a\n"))
        .unwrap_or(false)
}
