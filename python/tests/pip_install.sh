#!/usr/bin/env bash
# `pip install .` from python/ works offline against the CMake build: a copy of python/
# is installed into a fresh virtual environment (with the system site packages, where
# Debian's setuptools and wheel are) without the network, and the module imports there.
# Usage: pip_install.sh PYTHON SOURCE_DIR BUILD_DIR
set -eu
py=$1 src=$2 build=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp -r "$src/python" "$tmp/python"
rm -rf "$tmp/python/build" "$tmp/python/"*.egg-info
"$py" -m venv --system-site-packages "$tmp/venv"
(cd "$tmp/python" && OBOL_BUILD_DIR=$build PIP_NO_INDEX=1 "$tmp/venv/bin/pip" install -q .)
cd "$tmp"
"$tmp/venv/bin/python" - <<'PY'
import obol
card = obol.Card(None)
assert card.power_on() and card.transmit(bytes.fromhex("00B0810010"))[-2:] == b"\x90\x00"
assert "site-packages" in obol.__file__, obol.__file__
print("ok: pip install . ->", obol.__file__)
PY
