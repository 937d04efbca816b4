#!/usr/bin/env bash
# verifiers face in its own virtual environment: verifiers pins mcp 2.0, which collides
# with hud and openenv (mcp 1.x). Builds .venvs/verifiers from scratch, installs warroom and
# verifiers, and runs tests/test_verifiers*.py (the incident taskset and the domain taskset);
# exits non-zero when anything fails.
set -euo pipefail
cd "$(dirname "$0")/../.."
export WARROOM_SEPARATE_ENV=1  # tests/conftest.py collects these files only then

venv=.venvs/verifiers
"${PYTHON:-python3}" -m venv --clear "$venv"
# pip's config names file:// mirrors that may be absent; drop only those warnings.
"$venv/bin/pip" install -q -e ".[verifiers]" "verifiers>=0.4,<0.5" "pytest>=8" 2>&1 \
    | { grep -v -E '^WARNING: (Location|Running pip)' || true; }
"$venv/bin/python" -m pytest -q -p no:cacheprovider tests/test_verifiers*.py
