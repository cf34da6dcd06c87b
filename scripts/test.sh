#!/usr/bin/env bash
# Runs every check and test of engram: formatting, lints, the Rust unit, integration and doc
# tests, then the Python package's build and pytest suite (crates/engram-py/test.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
py=crates/engram-py/Cargo.toml

cargo fmt --all --check
cargo fmt --manifest-path "$py" --check
cargo clippy --workspace --all-targets -- -D warnings
cargo clippy --manifest-path "$py" --all-targets -- -D warnings
cargo test --workspace
bash crates/engram-py/test.sh
