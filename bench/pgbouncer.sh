#!/usr/bin/env bash
# PgBouncer in transaction mode in front of the local PostgreSQL, for benchmarks (loopback only).
#
#   bench/pgbouncer.sh [port]          # default 6432; foreground, Ctrl-C or kill the PID to stop
#   DATABASE_URL=postgres://postgres@127.0.0.1:6432/kindred_bench bench/serve_prod.sh uvicorn 8000
#
# Why: Django opens a connection per request under ASGI (CONN_MAX_AGE=0, see serve_prod.sh), and
# a PostgreSQL connection is a forked backend that warms its catalog caches from scratch: most of
# PostgreSQL's CPU per page (bench/RESULTS.md). Connecting to PgBouncer costs a TCP handshake and
# a login packet; its few server connections (POOL_SIZE, default 8) stay open and warm.
# Transaction mode hands a server connection to a client for one transaction (or one autocommit
# statement), so Django must not use server-side cursors (DJANGO_DB_DISABLE_SERVER_SIDE_CURSORS,
# set by serve_prod.sh when the URL points at this port) and must not rely on session state.
#
# Trust authentication on 127.0.0.1 only, like the local PostgreSQL this fronts; the config and
# the log go to a private temporary directory. Needs the `pgbouncer` binary (Debian package).
set -euo pipefail

port="${1:-6432}"
upstream_host="${PGHOST_UPSTREAM:-127.0.0.1}"
upstream_port="${PGPORT_UPSTREAM:-5432}"
pool_size="${POOL_SIZE:-8}"

command -v pgbouncer >/dev/null || { echo "pgbouncer is not installed (apt-get install pgbouncer)" >&2; exit 2; }

dir="$(mktemp -d /tmp/kindred-pgbouncer.XXXXXX)"
cat >"$dir/pgbouncer.ini" <<EOF
[databases]
* = host=$upstream_host port=$upstream_port

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $port
unix_socket_dir =
auth_type = trust
auth_file = $dir/userlist.txt
pool_mode = transaction
default_pool_size = $pool_size
min_pool_size = 2
reserve_pool_size = 2
max_client_conn = 1000
max_db_connections = $((pool_size + 4))
server_reset_query =
server_check_delay = 30
ignore_startup_parameters = extra_float_digits
logfile = $dir/pgbouncer.log
pidfile = $dir/pgbouncer.pid
log_connections = 0
log_disconnections = 0
stats_period = 60
EOF
echo '"postgres" ""' >"$dir/userlist.txt"

user_args=()
if [ "$(id -u)" = 0 ]; then
  # PgBouncer refuses to run as root.
  chown -R postgres "$dir"
  user_args=(-u postgres)
fi
echo "PgBouncer on 127.0.0.1:$port -> $upstream_host:$upstream_port (transaction mode, pool $pool_size); config in $dir" >&2
exec pgbouncer "${user_args[@]}" "$dir/pgbouncer.ini"
