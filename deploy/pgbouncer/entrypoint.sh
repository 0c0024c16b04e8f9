#!/bin/sh
# Write PgBouncer's auth file from the environment at start, so no password is in the image.
# One role: the application's (POSTGRES_USER / POSTGRES_PASSWORD, the same as the postgres service).
set -eu

: "${POSTGRES_USER:?set POSTGRES_USER}"
: "${POSTGRES_PASSWORD:?set POSTGRES_PASSWORD}"

umask 077
# userlist.txt quotes each field in double quotes; a double quote inside is written twice.
quote() { printf '"%s"' "$(printf '%s' "$1" | sed 's/"/""/g')"; }
printf '%s %s\n' "$(quote "$POSTGRES_USER")" "$(quote "$POSTGRES_PASSWORD")" > /run/pgbouncer/userlist.txt

exec "$@"
