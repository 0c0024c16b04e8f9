#!/usr/bin/env bash
# Run Kindred on this machine with embedded defaults: SQLite, no Redis, background work run
# in-process. Creates .venv if missing, installs the locked dependencies, migrates, loads the
# demo data, collects static files and serves HTTP + WebSocket with daphne.
#
#   ./scripts/run-demo.sh                 # http://127.0.0.1:8000/
#   PORT=8080 ./scripts/run-demo.sh       # another port
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/_venv.sh
source scripts/_venv.sh

kindred_venv "."

export DJANGO_SETTINGS_MODULE=config.settings.local
PORT="${PORT:-8000}"
HOST="${HOST:-127.0.0.1}"

echo "==> Migrating the database (SQLite: db.sqlite3)"
.venv/bin/python manage.py migrate --noinput
echo "==> Loading the demo data"
.venv/bin/python manage.py seed_demo
echo "==> Collecting static files"
.venv/bin/python manage.py collectstatic --noinput --verbosity 0

cat <<BANNER

  Kindred is running at  http://$HOST:$PORT/
  Demo logins are listed above (printed by seed_demo).
  Stop with Ctrl-C.

BANNER
# No broker in the demo: the safety timers (unscreened-post sweeper, alert escalation) run in a
# loop beside the web server instead of Celery beat.
.venv/bin/python manage.py run_schedule_inprocess &
timers=$!
trap 'kill "$timers" 2>/dev/null || true' EXIT INT TERM
.venv/bin/daphne -b "$HOST" -p "$PORT" config.asgi:application
