#!/usr/bin/env bash
# Adapter tests against the real frameworks, each in its own virtual environment because
# their pins collide: the MCP server uses mcp 2.x; openenv needs fastmcp 3.x with mcp 1.x.
#   .venvs/mcp      warroom + mcp + gymnasium + pettingzoo
#                   -> tests/test_servers_mcp*.py tests/test_gym*.py
#   .venvs/openenv  warroom + openenv          -> tests/test_servers_openenv.py
# Both are rebuilt from scratch on every run. Prints each pytest summary, then one combined
# "adapters: N passed, M failed" line; exits non-zero when anything failed.
set -uo pipefail
cd "$(dirname "$0")/../.."
export WARROOM_SEPARATE_ENV=1

MCP_PINS=("mcp==2.3.0" "uvloop>=0.19" "httptools>=0.6" "gymnasium==1.4.0" "pettingzoo==1.27.0"
          "pytest>=8")
OPENENV_PINS=("openenv==0.10.0" "pytest>=8")
VENVS=.venvs
PY="$(command -v python3.11 || command -v python3)"
PY="$("$PY" -c 'import sys; print(sys.executable)')"

make_venv() {  # name, packages...
    local dir="$VENVS/$1"; shift
    "$PY" -m venv --clear "$dir" || return 1
    # pip's config names file:// mirrors that may be absent; drop only those warnings.
    "$dir/bin/pip" install --quiet --disable-pip-version-check -e . "$@" 2>&1 \
        | { grep -v -E '^WARNING: (Location|Running pip)' || true; }
    return "${PIPESTATUS[0]}"
}

passed=0
failed=0
status=0
run_tests() {  # venv name, test paths...
    local venv="$1"; shift
    local log
    log="$(mktemp)"
    "$VENVS/$venv/bin/python" -m pytest -q -p no:cacheprovider "$@" 2>&1 | tee "$log"
    local rc=${PIPESTATUS[0]}
    local counts
    counts="$(tail -n 1 "$log" | tr -d ',=' | awk '{for (i = 1; i < NF; i++) {
        if ($(i + 1) == "passed") p += $i; if ($(i + 1) ~ /^(failed|errors?)$/) f += $i }}
        END {print p + 0, f + 0}')"
    passed=$((passed + ${counts% *}))
    failed=$((failed + ${counts#* }))
    if [ "$rc" -ne 0 ]; then
        status=1
        if [ "${counts#* }" -eq 0 ]; then failed=$((failed + 1)); fi
    fi
    rm -f "$log"
}

echo "== adapters: building $VENVS/mcp and $VENVS/openenv"
make_venv mcp "${MCP_PINS[@]}" || { echo "adapters: 0 passed, 1 failed"; exit 1; }
make_venv openenv "${OPENENV_PINS[@]}" || { echo "adapters: 0 passed, 1 failed"; exit 1; }

echo "== adapters: MCP server, Gymnasium and PettingZoo (mcp 2.x)"
run_tests mcp tests/test_servers_mcp*.py tests/test_gym*.py
echo "== adapters: OpenEnv (openenv, fastmcp 3.x, mcp 1.x)"
run_tests openenv tests/test_servers_openenv.py

echo "adapters: $passed passed, $failed failed"
exit "$status"
