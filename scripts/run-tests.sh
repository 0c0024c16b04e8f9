#!/usr/bin/env bash
# Run the whole test suite. Creates .venv if missing and installs the locked dependencies with
# the dev extras. Extra arguments go to pytest (e.g. ./scripts/run-tests.sh -x tests/accounts).
#
# Without DATABASE_URL / REDIS_URL the suite uses SQLite and in-process equivalents; with them it
# uses PostgreSQL and Redis. Browser tests run when /usr/bin/chromium exists and skip otherwise.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/_venv.sh
source scripts/_venv.sh

kindred_venv ".[dev]"

export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
status=0
.venv/bin/python -m pytest "$@" || status=$?
if [ "$status" -eq 5 ]; then
    echo "run-tests: pytest collected no tests; treating that as a failure." >&2
fi
exit "$status"
