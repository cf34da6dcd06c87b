#!/usr/bin/env bash
# Builds engram's Python package, installs it into a virtual environment under target/ (created on
# the first run, reused afterwards) with pytest and numpy, and runs the Python test suite.
#
#   crates/engram-py/test.sh            # from anywhere
#   PYTHON=python3.12 crates/engram-py/test.sh
#   ENGRAM_PY_VENV=/tmp/venv crates/engram-py/test.sh
#
# Needs Python >= 3.9 with venv and pip, a Rust toolchain >= 1.85 and access to PyPI and
# crates.io (or their mirrors). Exits non-zero when the build or any test fails.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
venv="${ENGRAM_PY_VENV:-$root/target/engram-py-venv}"
python="${PYTHON:-python3}"

if [ ! -x "$venv/bin/python" ]; then
    echo "engram-py: creating $venv"
    "$python" -m venv "$venv"
fi

echo "engram-py: building and installing the package"
export PATH="$venv/bin:$PATH" # maturin's build hook runs the maturin executable from PATH
pip=("$venv/bin/python" -m pip --disable-pip-version-check)
# The build backend goes into the venv too, so that rebuilds need no network (no build isolation).
"${pip[@]}" install --quiet "maturin>=1.7,<2.0" pytest numpy
# --force-reinstall --no-deps: always replace the installed engram with a fresh build of this tree.
"${pip[@]}" install --quiet --no-build-isolation --force-reinstall --no-deps "$here"

echo "engram-py: running the tests"
# Run from the repository root so that no source directory can shadow the installed package.
cd "$root"
"$venv/bin/python" -m pytest "$here/tests" -q "$@"
