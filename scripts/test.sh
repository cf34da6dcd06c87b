#!/usr/bin/env bash
# Runs every check and test of engram: formatting, lints, Rust unit/integration/doc tests.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo fmt --all --check
cargo clippy --workspace --all-targets -- -D warnings
cargo test --workspace
