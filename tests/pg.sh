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

# In the e2e harness (tests/e2e/lib.sh, after e2e_setup): turns its jumphost
# into one of store = postgresql. pg_jumphost CONNINFO [CONF LINES...]
# rewrites $CONF in place (it is bind-mounted over /etc/rjh/rjh.conf),
# removes the SQLite registry and its snapshots, runs `rjh-admin init`
# against PostgreSQL unless it holds a registry already (PG_INIT=no), and
# starts rjh-sync (SYNC_PID, its log $WORK/rjh-sync.log), waiting until it
# made the cache.
pg_jumphost() {
	local conninfo=$1 l
	shift
	{
		echo "registry = $REG"
		echo "runtime_dir = $RUNTIME"
		echo "audit = best-effort"
		echo "public_name = $JUMP_ADDR"
		echo "store = postgresql"
		echo "conninfo = $conninfo"
		for l in "$@"; do echo "$l"; done
	} > "$CONF.new" && cat "$CONF.new" > "$CONF" && rm -f "$CONF.new" || return 1
	rm -f "$REG" "$REG".*
	if [ "${PG_INIT:-yes}" = yes ]; then
		"$ADMIN" -c "$CONF" init > "$WORK/init-pg.out" 2>&1 || {
			cat "$WORK/init-pg.out" >&2
			return 1
		}
	fi
	pg_sync_start
}

# (Re)starts the rjh-sync daemon of the jumphost; waits (10 s) for its stamp.
pg_sync_start() {
	"$TOP/build/rjh-sync" -c "$CONF" --verbose >> "$WORK/rjh-sync.log" 2>&1 &
	SYNC_PID=$!
	local i
	for ((i = 0; i < 100; i++)); do
		[ -e "$REG.synced" ] && [ -e "$REG.login" ] && return 0
		sleep 0.1
	done
	echo "pg_sync_start: no cache after 10 s: $(tail -3 "$WORK/rjh-sync.log")" >&2
	return 1
}

pg_sync_stop() {
	[ -n "${SYNC_PID:-}" ] || return 0
	kill "$SYNC_PID" 2> /dev/null
	wait "$SYNC_PID" 2> /dev/null
	SYNC_PID=
}
