#!/usr/bin/env bash
# Serve Kindred the production way on this machine, for benchmarks (loopback only).
#
#   bench/serve_prod.sh [uvicorn|daphne] [port]      # default: uvicorn 8000
#
# production settings with a throwaway secret, no HTTPS redirect (plain HTTP on loopback),
# PostgreSQL kindred_bench, Redis DB 8, static files collected first.
#   uvicorn: WORKERS processes (default 2, one per core), uvloop + httptools when installed.
#   daphne:  one process (Channels' server; sync views share its one thread pool).
# Django runs sync views under ASGI in a thread pool (asgiref sync_to_async, thread_sensitive),
# so in one process one view runs at a time: more processes is how it uses both cores.
# Stop it with Ctrl-C, or kill the PID it prints.
set -euo pipefail

server="${1:-uvicorn}"
port="${2:-8000}"
cd "$(dirname "$0")/.."

export DJANGO_SETTINGS_MODULE=config.settings.production
export DJANGO_SECRET_KEY="${DJANGO_SECRET_KEY:-bench-only-not-a-secret-$(hostname)-0123456789abcdef}"
export DJANGO_SECURE_SSL_REDIRECT=false
export DJANGO_ALLOWED_HOSTS=127.0.0.1,localhost
export DATABASE_URL="${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/kindred_bench}"
export REDIS_URL="${REDIS_URL:-redis://127.0.0.1:6379/8}"
# Persistent connections are per thread; Django's async mode docs advise against them, so the
# default here is 0 (a connection per request). Measured: with 60 (production.py's default) each
# request's fresh thread keeps its connection and PostgreSQL soon refuses clients ("too many
# clients already"); see RESULTS.md. A connection pool is the fix. Set DJANGO_CONN_MAX_AGE to compare.
export DJANGO_CONN_MAX_AGE="${DJANGO_CONN_MAX_AGE:-0}"
# Through PgBouncer (bench/pgbouncer.sh, port 6432) the per-request connection is cheap and the
# PostgreSQL backends stay warm; transaction pooling rules out server-side cursors.
case "$DATABASE_URL" in
  *:6432/*) export DJANGO_DB_DISABLE_SERVER_SIDE_CURSORS="${DJANGO_DB_DISABLE_SERVER_SIDE_CURSORS:-true}" ;;
esac
export DJANGO_LOG_LEVEL="${DJANGO_LOG_LEVEL:-WARNING}"

.venv/bin/python manage.py collectstatic --noinput -v0

case "$server" in
  uvicorn)
    exec .venv/bin/uvicorn config.asgi:application --host 127.0.0.1 --port "$port" \
      --workers "${WORKERS:-2}" --no-access-log --log-level warning
    ;;
  daphne)
    exec .venv/bin/daphne -b 127.0.0.1 -p "$port" -v 0 config.asgi:application
    ;;
  *)
    echo "usage: $0 [uvicorn|daphne] [port]" >&2
    exit 2
    ;;
esac
