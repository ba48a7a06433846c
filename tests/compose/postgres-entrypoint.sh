#!/bin/sh
# postgres-entrypoint.sh — first start: a cluster owned by POSTGRES_USER with POSTGRES_PASSWORD (scram) and the
# database POSTGRES_DB; then the server in the foreground. The smoke test's stand-in for the official image.
set -eu
: "${POSTGRES_USER:=postgres}" "${POSTGRES_DB:=$POSTGRES_USER}" "${POSTGRES_PASSWORD:?POSTGRES_PASSWORD is required}"
# As root: chown, then each step as postgres. As postgres already (user: postgres, no capabilities): as is.
if [ "$(id -u)" = 0 ]; then
	mkdir -p "$PGDATA" /run/postgresql
	chown -R postgres:postgres "$PGDATA" /run/postgresql
	pg() { runuser -u postgres -- "$@"; }
else
	pg() { "$@"; }
fi
chmod 700 "$PGDATA"
if [ ! -s "$PGDATA/PG_VERSION" ]; then
	pw=$(mktemp)
	printf '%s\n' "$POSTGRES_PASSWORD" >"$pw"
	[ "$(id -u)" = 0 ] && chown postgres "$pw"
	pg initdb -D "$PGDATA" -U "$POSTGRES_USER" --pwfile="$pw" -A scram-sha-256 \
		--auth-local=trust -E UTF8 --locale=C.UTF-8 >/dev/null
	rm -f "$pw"
	echo "host all all 0.0.0.0/0 scram-sha-256" >>"$PGDATA/pg_hba.conf"
	pg pg_ctl -D "$PGDATA" -w -o "-c listen_addresses=''" start >/dev/null
	if [ "$POSTGRES_DB" != postgres ]; then
		pg psql -q -v ON_ERROR_STOP=1 -U "$POSTGRES_USER" -d postgres \
			-c "CREATE DATABASE \"$POSTGRES_DB\""
	fi
	pg pg_ctl -D "$PGDATA" -m fast -w stop >/dev/null
fi
[ "$(id -u)" = 0 ] && exec runuser -u postgres -- postgres -D "$PGDATA" -c listen_addresses='*'
exec postgres -D "$PGDATA" -c listen_addresses='*'
