#!/usr/bin/env bash
# Creates .venv beside this checkout and installs SD Studio with its test tools.
# torch is pinned to the build that ships on this project's machines; on your own
# machine any torch>=2.4 works (see README, "Installing").
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
    "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip >/dev/null
.venv/bin/python -m pip install -q "torch==2.14.1" "torchvision==0.29.1"
.venv/bin/python -m pip install -q -e ".[dev,heif]"
