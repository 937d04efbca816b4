#!/usr/bin/env bash
# HUD face in its own virtual environment: hud pins fastmcp 3.x / mcp 1.x, which collides
# with verifiers (mcp 2.0). Builds .venvs/hud from scratch, installs warroom and hud, and
# runs tests/test_hud.py; exits non-zero when anything fails.
set -euo pipefail
cd "$(dirname "$0")/../.."
export WARROOM_SEPARATE_ENV=1  # tests/conftest.py collects these files only then

venv=.venvs/hud
"${PYTHON:-python3}" -m venv --clear "$venv"
# pip's config names file:// mirrors that may be absent; drop only those warnings.
"$venv/bin/pip" install -q -e ".[hud]" "hud>=0.6.21,<0.7" "pytest>=8" 2>&1 \
    | { grep -v -E '^WARNING: (Location|Running pip)' || true; }
"$venv/bin/python" -m pytest -q -p no:cacheprovider tests/test_hud.py
