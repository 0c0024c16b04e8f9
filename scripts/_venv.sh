# Shared by run-demo.sh and run-tests.sh (sourced, not executed): make sure .venv exists and
# holds exactly what requirements.lock pins, plus the project itself.
#
# Re-installing is skipped when requirements.lock and pyproject.toml have not changed since the
# last successful install (a stamp inside .venv records their hash), so the second run is fast.

kindred_python() {
    local candidate
    for candidate in "${PYTHON:-}" python3.13 python3.12 python3.11 python3; do
        [ -n "$candidate" ] || continue
        if command -v "$candidate" >/dev/null 2>&1 \
            && "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
            echo "$candidate"
            return 0
        fi
    done
    echo "Kindred needs Python 3.11 or newer (set PYTHON=/path/to/python3.11)." >&2
    return 1
}

kindred_venv() {
    # $1: the pip requirement for the project itself, e.g. "." or ".[dev]".
    local project_spec="$1"
    if [ ! -x .venv/bin/python ]; then
        local python
        python="$(kindred_python)"
        echo "==> Creating .venv with $python"
        "$python" -m venv .venv
    fi
    local stamp=.venv/.kindred-install-stamp
    local wanted
    wanted="$(cat requirements.lock pyproject.toml | .venv/bin/python -c \
        'import hashlib, sys; print(hashlib.sha256(sys.stdin.buffer.read()).hexdigest())') $project_spec"
    if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$wanted" ]; then
        return 0
    fi
    echo "==> Installing requirements.lock and the project ($project_spec) into .venv"
    export PIP_DISABLE_PIP_VERSION_CHECK=1
    # Browser tests use the system's Chromium; never let Playwright fetch a browser of its own.
    export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
    .venv/bin/python -m pip install --quiet --upgrade pip
    # The lock pins every package; installing the project alongside it resolves within those pins.
    .venv/bin/python -m pip install --quiet -r requirements.lock -e "$project_spec"
    echo "$wanted" >"$stamp"
}
