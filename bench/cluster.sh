#!/bin/bash
# Several jumphosts on one PostgreSQL registry (store = postgresql), measured
# in one run and printed as one table:
#   propagation  rjh-admin enroll / revoke-key on the primary, from its exit
#                (the commit acknowledged) until the jumphost's key helper
#                answers (or stops answering) for that host: rjh-sync with
#                LISTEN, NOTIFY on commit; target p99 <= 2 s;
#   rebuild      a deleted cache rebuilt from 50,000 hosts (rjh-sync --once),
#                wall time and peak RSS; target <= 5 s; and one change
#                installed at that size;
#   login CPU    sshd CPU per tunnel login (the listener and its reaped
#                children, as bench/login.sh counts it) on the same jumphost
#                and registry file, in batches taking turns: single-node
#                SQLite (no rjh-sync, the file not a cache) against the cache
#                of PostgreSQL with rjh-sync running and shipping the
#                sessions; target <= 1.02x;
# The failover numbers (rjh-admin's gap; client and tunnel failures across
# three kinds of leader failure, target 0) are measured and asserted by
# tests/cluster/t_cluster.sh (make cluster, part of make check), which
# prints them on every run.
# Runs inside the e2e harness (tests/e2e/lib.sh): its own namespaces, the
# system's sshd as the jumphost, a host behind NAT, a PostgreSQL 15 of its
# own (tests/pg.sh). Exits 1 if a target is missed, 2 if it could not run.
TEST_NAME=bench-cluster
LOGIN_BATCHES=${LOGIN_BATCHES:-10}
LOGIN_BATCH=${LOGIN_BATCH:-10}
PROPAGATIONS=${PROPAGATIONS:-20}
BULK=${BULK:-50000}
if [ "${RJH_E2E_INNER:-}" = "" ]; then
	[ "$(id -u)" = 0 ] || { echo "cluster.sh: needs root (namespaces, sshd)" >&2; exit 2; }
	top=$(cd "$(dirname "$0")/.." && pwd)
	for f in rjh-admin rjh-sync rjh-authorized-keys libnss_rjh.so.2; do
		[ -e "$top/build/$f" ] || { echo "cluster.sh: build/$f missing: run make" >&2; exit 2; }
	done
fi
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/pg.sh"
HOST=bench-host
TICK=$(getconf CLK_TCK)
AKC=$TOP/build/rjh-authorized-keys
PGW=$(mktemp -d "$TOP/build/.bench-pg.XXXXXX") || die "workspace"
chmod 755 "$PGW"
trap 'rc=$?; pg_sync_stop; pg_stop; rm -rf "$PGW"; (exit $rc); teardown' EXIT

now_ms() { date +%s%3N; }
pct() { # pct P: the P-th percentile of the numbers on stdin
	sort -n | awk -v p="$1" '{ v[NR] = $1 } END { i = int((NR * p + 99) / 100); if (i < 1) i = 1; print v[i] }'
}

# ------------------------------------------------------------------ setup
e2e_setup
pg_start "$PGW/pg" || die "PostgreSQL"
pg_jumphost "$(pg_conninfo)" "node_name = bench-jump" || die "rjh-sync on the jumphost"
start_jumphost
add_host "$HOST"
# The host resolves on the jumphost once rjh-sync installed it.
for ((i = 0; i < 50; i++)); do getent passwd "$HOST" > /dev/null && break; sleep 0.1; done
read -ra TUNNEL_CMD < "$WORK/hosts/$HOST/tunnel.cmd"

# --------------------------------------------------------------- login CPU

# The listener's own and reaped children's CPU, in clock ticks.
sshd_ticks() {
	awk '{ print $14 + $15 + $16 + $17 }' "/proc/$JUMP_PID/stat"
}

# One tunnel login, held until the socket exists, then ended; waits until
# sshd reaped the connection's processes.
one_login() {
	try_tunnel "$HOST" "$HOST" "$HOST" "${TUNNEL_CMD[@]:1:${#TUNNEL_CMD[@]}-2}"
	[ "$TRY" = up ] || die "login: $TRY: $(grep -v '^debug' "$TRY_LOG" | tail -2)"
	stop "$TRY_PID"
	for ((j = 0; j < 200; j++)); do
		[ -z "$(pgrep -P "$JUMP_PID")" ] && return 0
		sleep 0.01
	done
	die "sshd kept a child of the login"
}

mode_sqlite() {
	pg_sync_stop
	sqlite3 "$REG" "DELETE FROM settings WHERE name = 'cache_of'" || die "plain registry"
}
mode_pg() {
	sqlite3 "$REG" "INSERT OR IGNORE INTO settings(name, value) VALUES ('cache_of', 'postgresql')" ||
		die "cache registry"
	pg_sync_start || die "rjh-sync"
}

# batch MODE: LOGIN_BATCH logins; appends the ticks they cost to $WORK/cpu.MODE.
batch() {
	local t0 t1
	"mode_$1"
	t0=$(sshd_ticks)
	for ((k = 0; k < LOGIN_BATCH; k++)); do one_login; done
	t1=$(sshd_ticks)
	echo "$((t1 - t0))" >> "$WORK/cpu.$1"
}

echo "login CPU: $LOGIN_BATCHES batches of $LOGIN_BATCH logins per mode, taking turns..." >&2
mode_pg
one_login
for ((b = 0; b < LOGIN_BATCHES; b++)); do
	batch sqlite
	batch pg
done
mode_pg
for ((i = 0; i < 50; i++)); do
	outbox=$(sqlite3 "$REG" 'SELECT count(*) FROM outbox')
	[ "$outbox" = 0 ] && break
	sleep 0.1
done
# Sessions recorded while the file was a cache (the pg batches) flow up.
shipped=$(pg_sql "SELECT count(*) FROM sessions WHERE jumphost = 'bench-jump'")
cpu_ms() { awk -v t="$TICK" -v n="$LOGIN_BATCH" '{ s += $1; c++ } END { printf "%.2f", s * 1000 / t / (c * n) }' "$WORK/cpu.$1"; }
# The batches' own means, lowest and highest: the noise the ratio sits in.
cpu_range() { awk -v t="$TICK" -v n="$LOGIN_BATCH" '{ v = $1 * 1000 / t / n; if (NR == 1 || v < lo) lo = v; if (v > hi) hi = v } END { printf "%.0f-%.0f", lo, hi }' "$WORK/cpu.$1"; }
C_sqlite=$(cpu_ms sqlite)
C_pg=$(cpu_ms pg)

# ------------------------------------------------------------- propagation
echo "propagation: $PROPAGATIONS enrolls and revokes..." >&2
: > "$WORK/prop.enroll"
: > "$WORK/prop.revoke"
for ((i = 0; i < PROPAGATIONS; i++)); do
	pub=$(new_key "prop-$i") || die "key"
	fp=$(ssh-keygen -lf "$pub" | cut -d' ' -f2)
	rjh enroll "prop-$i" "$pub" > /dev/null 2>&1 || die "enroll prop-$i"
	t0=$(now_ms)
	until [ -n "$("$AKC" --config "$CONF" "prop-$i" "$fp" 2> /dev/null)" ]; do
		[ $(($(now_ms) - t0)) -gt 10000 ] && die "prop-$i never arrived"
		sleep 0.005
	done
	echo $(($(now_ms) - t0)) >> "$WORK/prop.enroll"
	rjh revoke-key "$fp" > /dev/null 2>&1 || die "revoke prop-$i"
	t0=$(now_ms)
	until [ -z "$("$AKC" --config "$CONF" "prop-$i" "$fp" 2> /dev/null)" ]; do
		[ $(($(now_ms) - t0)) -gt 10000 ] && die "the revocation of prop-$i never arrived"
		sleep 0.005
	done
	echo $(($(now_ms) - t0)) >> "$WORK/prop.revoke"
done
P_e50=$(pct 50 < "$WORK/prop.enroll")
P_e99=$(pct 99 < "$WORK/prop.enroll")
P_r50=$(pct 50 < "$WORK/prop.revoke")
P_r99=$(pct 99 < "$WORK/prop.revoke")

# ----------------------------------------------------------------- rebuild
echo "rebuild: $BULK hosts into PostgreSQL..." >&2
# Real keys (rjh-sync checks each one): gen-keys' lines, fingerprints computed in SQL.
"$TOP/build/tools/gen-keys" "$BULK" bulk- > "$WORK/bulk.keys" || die "gen-keys"
cat > "$WORK/bulk.sql" <<- EOF
	CREATE TEMP TABLE bulk(algorithm text, blob text, name text);
	\copy bulk FROM '$WORK/bulk.keys' WITH (FORMAT text, DELIMITER ' ')
	INSERT INTO hosts(name, uid, state, created, updated)
		SELECT name, 1900500000 + row_number() OVER (ORDER BY name), 'active', 1, 1 FROM bulk;
	INSERT INTO keys(host_id, algorithm, blob, fingerprint, created)
		SELECT h.id, b.algorithm, b.blob,
		'SHA256:' || rtrim(encode(sha256(decode(b.blob, 'base64')), 'base64'), '='), 1
		FROM bulk b JOIN hosts h ON h.name = b.name;
	UPDATE settings SET value = '$((1900500001 + BULK))' WHERE name = 'next_uid';
EOF
psql -X -q -v ON_ERROR_STOP=1 -h "$PG_DIR" -U postgres -d rjh -f "$WORK/bulk.sql" > /dev/null ||
	die "bulk insert"
for ((i = 0; i < 100; i++)); do
	[ "$(sqlite3 "$REG" "SELECT count(*) FROM hosts")" -gt "$BULK" ] && break
	sleep 0.2
done
pg_sync_stop
rm -f "$REG"
/usr/bin/time -f "%e %M" -o "$WORK/rebuild.time" "$TOP/build/rjh-sync" -c "$CONF" --once \
	> /dev/null 2>&1 || die "rebuild: $(cat "$WORK/rebuild.time")"
read -r R_s R_kb < "$WORK/rebuild.time"
nhosts=$(sqlite3 "$REG" "SELECT count(*) FROM hosts")
rjh enroll one-more "$(new_key one-more)" > /dev/null 2>&1 || die "enroll one-more"
/usr/bin/time -f "%e %M" -o "$WORK/change.time" "$TOP/build/rjh-sync" -c "$CONF" --once \
	> /dev/null 2>&1 || die "one change: $(cat "$WORK/change.time")"
read -r I_s I_kb < "$WORK/change.time"
pg_sync_start || die "rjh-sync"

# ---------------------------------------------------------------- the table
FAILED=0
line() { printf '| %-58s | %12s | %-10s | %-6s |\n' "$@"; }
# verdict VALUE OP LIMIT: ok or MISSED; a miss is noted in $WORK/missed
# (verdict runs in a command substitution: a variable would not reach us).
verdict() {
	if awk -v v="$1" -v op="$2" -v l="$3" 'BEGIN { exit !((op == "<=") ? v <= l : v >= l) }'; then
		echo ok
	else
		touch "$WORK/missed"
		echo MISSED
	fi
}
echo
echo "several jumphosts, one PostgreSQL registry ($(nproc) cores; PostgreSQL $(pg_sql 'SHOW server_version'))"
line measure value target result
printf '|%s|%s|%s|%s|\n' "$(printf -- '-%.0s' {1..60})" "--------------" "------------" "--------"
line "propagation: enroll -> key helper answers, p50 ($PROPAGATIONS)" "${P_e50} ms" - -
line "propagation: enroll -> key helper answers, p99" "${P_e99} ms" "<= 2000 ms" "$(verdict "$P_e99" "<=" 2000)"
line "propagation: revoke-key -> key helper silent, p50" "${P_r50} ms" - -
line "propagation: revoke-key -> key helper silent, p99" "${P_r99} ms" "<= 2000 ms" "$(verdict "$P_r99" "<=" 2000)"
line "rebuild of a deleted cache, $(printf "%'d" "$nhosts") hosts: wall" "${R_s} s" "<= 5 s" "$(verdict "$R_s" "<=" 5)"
line "rebuild: peak RSS of rjh-sync" "$((R_kb / 1024)) MiB" - -
line "one change installed at that size: wall" "${I_s} s" - -
line "one change installed at that size: peak RSS" "$((I_kb / 1024)) MiB" - -
line "sshd CPU per login, single-node SQLite (mean; batches $(cpu_range sqlite))" "${C_sqlite} ms" - -
line "sshd CPU per login, cache + rjh-sync (mean; batches $(cpu_range pg))" "${C_pg} ms" - -
ratio=$(awk -v a="$C_pg" -v b="$C_sqlite" 'BEGIN { printf "%.3f", (b > 0 ? a / b : 999) }')
line "sshd CPU: cache + rjh-sync / single-node SQLite" "${ratio}x" "<= 1.02x" "$(verdict "$ratio" "<=" 1.02)"
line "sessions shipped to PostgreSQL meanwhile" "$shipped" - -
line "rows left in the outbox after 5 s" "$outbox" "0" "$(verdict "$outbox" "<=" 0)"
[ -e "$WORK/missed" ] && FAILED=1
exit $FAILED
