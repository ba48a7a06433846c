# pg.sh — a throwaway PostgreSQL cluster for integration tests (source it from bash, after lib.sh).
#
#   pg_require                 # skips the whole test ("1..0 # SKIP") without root or PostgreSQL's binaries
#   pg_init                    # initdb under a temp dir owned by postgres; sets PG_DIR PG_PORT PG_BIN
#   pg_start / pg_stop         # pg_ctl start (on 127.0.0.1:PG_PORT, socket in PG_DIR) / fast stop
#   pg_psql SQL                # one query as postgres, unaligned tuples only: prints the result
#   pg_cleanup                 # stop and remove (call it from the test's cleanup)
#
# The cluster trusts every local connection: it only listens on 127.0.0.1 and its own socket directory.

PG_DIR=
PG_PORT=
PG_BIN=
PG__SKIP_STATUS=${PG_SKIP_STATUS:-0}

pg_require() {
	[ "$(id -u)" = 0 ] || { printf '1..0 # SKIP needs root to run PostgreSQL as the postgres user\n'; exit "$PG__SKIP_STATUS"; }
	local d
	for d in ${PG_BINDIR:-} /usr/lib/postgresql/*/bin; do
		[ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ] && [ -x "$d/psql" ] && { PG_BIN=$d; break; }
	done
	[ -n "$PG_BIN" ] || { printf '1..0 # SKIP PostgreSQL server binaries not installed (Debian package postgresql)\n'; exit "$PG__SKIP_STATUS"; }
	id postgres >/dev/null 2>&1 || { printf '1..0 # SKIP no postgres user (Debian package postgresql)\n'; exit "$PG__SKIP_STATUS"; }
	command -v runuser >/dev/null 2>&1 || { printf '1..0 # SKIP runuser not found\n'; exit "$PG__SKIP_STATUS"; }
}

pg__as() { runuser -u postgres -- "$@"; }

pg_init() {
	PG_DIR=$(mktemp -d /tmp/lookout-pg.XXXXXX) || bail "mktemp failed"
	chmod 755 "$PG_DIR"
	chown postgres: "$PG_DIR"
	PG_PORT=$(/usr/bin/python3 -c 'import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
	pg__as "$PG_BIN/initdb" -D "$PG_DIR/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 --no-sync \
		>"$PG_DIR/initdb.log" 2>&1 || { cat "$PG_DIR/initdb.log" | sed 's/^/# /'; bail "initdb failed"; }
}

pg_start() {
	pg__as "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w -t 60 \
		-o "-c listen_addresses=127.0.0.1 -p $PG_PORT -k $PG_DIR -c fsync=off -c max_connections=60" \
		start >/dev/null 2>&1 || { tail -n 20 "$PG_DIR/server.log" | sed 's/^/# /'; return 1; }
}

pg_stop() {
	pg__as "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m fast -w -t 60 stop >/dev/null 2>&1
}

pg_running() { pg__as "$PG_BIN/pg_ctl" -D "$PG_DIR/data" status >/dev/null 2>&1; }

# pg_psql SQL [DB]: runs SQL as postgres; prints unaligned, tuples-only output; non-zero on error.
pg_psql() {
	"$PG_BIN/psql" -X -q -A -t -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PG_PORT" -U postgres -d "${2:-postgres}" -c "$1"
}

pg_cleanup() {
	[ -n "$PG_DIR" ] || return 0
	pg_running && pg_stop
	[ -n "${KEEP_WORK:-}" ] || rm -rf "$PG_DIR"
	PG_DIR=
}
