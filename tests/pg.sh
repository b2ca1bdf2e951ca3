# A throwaway PostgreSQL 15 for tests of store = postgresql: initdb as the
# postgres user in a directory of the test's, listening on a Unix socket
# there only (and on TCP only when PG_ADDR is set), trust authentication.
# Source it; pg_start DIR, then pg_conninfo prints the conninfo of database
# rjh; pg_stop in the test's EXIT path (pg_start also arms that).
PG_BIN=/usr/lib/postgresql/15/bin
PG_DIR=
PG_PID=

# pg_start DIR: DIR is made (its parents must let postgres through).
pg_start() {
	PG_DIR=$1
	local t0=$SECONDS
	if [ ! -x "$PG_BIN/postgres" ]; then
		echo "pg_start: postgresql-15 is missing (make deps)" >&2
		return 1
	fi
	mkdir -p "$PG_DIR" && chown postgres: "$PG_DIR" && chmod 700 "$PG_DIR" || return 1
	setpriv --reuid=postgres --regid=postgres --init-groups "$PG_BIN/initdb" -D "$PG_DIR/data" \
		-A trust -U postgres --no-sync -E UTF8 --locale=C.UTF-8 > "$PG_DIR/initdb.log" 2>&1 || {
		echo "pg_start: initdb failed:" >&2
		tail -5 "$PG_DIR/initdb.log" >&2
		return 1
	}
	setpriv --reuid=postgres --regid=postgres --init-groups "$PG_BIN/postgres" -D "$PG_DIR/data" \
		-k "$PG_DIR" -c listen_addresses="${PG_ADDR:-}" -c fsync=off \
		-c shared_buffers=16MB -c max_connections=40 > "$PG_DIR/postgres.log" 2>&1 &
	PG_PID=$!
	local i
	for ((i = 0; i < 100; i++)); do
		if psql -h "$PG_DIR" -U postgres -d postgres -Atqc 'select 1' > /dev/null 2>&1; then
			psql -h "$PG_DIR" -U postgres -d postgres -qc 'CREATE DATABASE rjh' > /dev/null &&
				return 0
		fi
		sleep 0.1
	done
	echo "pg_start: PostgreSQL did not come up:" >&2
	tail -5 "$PG_DIR/postgres.log" >&2
	return 1
}

pg_conninfo() {
	echo "host=$PG_DIR port=5432 dbname=rjh user=postgres"
}

# pg_sql SQL: runs SQL in database rjh, prints the rows (-At).
pg_sql() {
	psql -h "$PG_DIR" -U postgres -d rjh -Atqc "$1"
}

# Stops PostgreSQL at once (SIGQUIT: immediate shutdown) and removes its directory.
pg_stop() {
	if [ -n "$PG_PID" ]; then
		kill -QUIT "$PG_PID" 2> /dev/null
		wait "$PG_PID" 2> /dev/null
		PG_PID=
	fi
	[ -n "$PG_DIR" ] && rm -rf "$PG_DIR"
	PG_DIR=
}

# pg_pause / pg_resume: the server stops answering (SIGSTOP), as if cut off.
pg_pause() {
	kill -STOP "$PG_PID"
}
pg_resume() {
	kill -CONT "$PG_PID"
}
