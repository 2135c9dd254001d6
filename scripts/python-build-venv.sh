#!/usr/bin/env bash
# Make (once) and print build/python-build: a venv holding what building
# the Python package needs, from PyPI or pip's cache: the build backends
# python/pyproject.toml names (setuptools, setuptools-rust), `build`, and
# auditwheel (which brings pyelftools, for scripts/check-wheel.py). Builds
# then run with --no-isolation, so they need no network of their own.
#   scripts/python-build-venv.sh   -> prints the venv's directory
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
venv=$root/build/python-build
requires=$(sed -n 's/^requires = \[\(.*\)\]/\1/p' "$root/python/pyproject.toml" | tr -d '",')
[ -n "$requires" ] || { echo "python-build-venv: no build-system requires in python/pyproject.toml" >&2; exit 1; }
# Made again when pyproject.toml's requirements change.
if [ ! -x "$venv/bin/auditwheel" ] || [ "$(cat "$venv/requires.txt" 2>/dev/null)" != "$requires" ]; then
    rm -rf "$venv"
    python3 -m venv "$venv" >&2
    # shellcheck disable=SC2086
    "$venv/bin/pip" install --quiet --disable-pip-version-check build auditwheel $requires >&2
    echo "$requires" > "$venv/requires.txt"
fi
echo "$venv"
