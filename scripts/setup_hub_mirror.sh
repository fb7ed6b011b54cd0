#!/usr/bin/env bash
# Install the olah Hugging Face Hub mirror (PyPI) into its own virtual environment,
# .venv-olah, for the tests that load exported datasets through a real Hub server on
# 127.0.0.1 (tests/support/hub_mirror.py).  olah pins dependencies (psutil, ...) that
# must not leak into .venv, hence the separate venv.
#
# Idempotent: does nothing when the pinned version is already installed and runs.
# Needs only python3 (>= 3.10) and PyPI.  Usage: bash scripts/setup_hub_mirror.sh
set -euo pipefail
cd "$(dirname "$0")/.."

OLAH_VERSION="${OLAH_VERSION:-0.5.4}"
VENV="${OLAH_VENV:-.venv-olah}"
PYTHON="${PYTHON:-python3}"
STAMP="$VENV/.olah-$OLAH_VERSION"

if [ -f "$STAMP" ] && "$VENV/bin/python" -c "import olah.server" >/dev/null 2>&1; then
  exit 0
fi

if [ ! -x "$VENV/bin/python" ]; then
  rm -rf "$VENV"
  "$PYTHON" -m venv "$VENV"
fi
"$VENV/bin/python" -m pip install -q --disable-pip-version-check "olah==$OLAH_VERSION"
"$VENV/bin/python" -c "import olah.server" # fails loudly if the install is broken
test -x "$VENV/bin/olah-cli"
rm -f "$VENV"/.olah-*
touch "$STAMP"
echo "olah $OLAH_VERSION installed in $VENV"
