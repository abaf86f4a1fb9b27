#!/bin/sh
# Creates Benchmarks/peers/.venv and installs the pinned peers into it.
# Usage: sh Benchmarks/peers/setup.sh   (from anywhere; needs python3 with venv and pip)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
python=${PYTHON:-python3}
if [ ! -x "$here/.venv/bin/python" ]; then
    "$python" -m venv "$here/.venv"
fi
"$here/.venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$here/requirements.txt"
"$here/.venv/bin/python" -c 'from importlib.metadata import version as v; print("peers ready: loro", v("loro"), "/ pycrdt", v("pycrdt"))'
