# store = postgresql against a real PostgreSQL 15 (tests/pg.sh): rjh-admin
# writes it, rjh-sync keeps this jumphost's cache and snapshots in step
# (never going back), ships presence and audit rows up exactly once after
# an outage, and bad input (no server, no conninfo, a newer schema, a
# corrupt cache) is refused with a clear line and changes nothing.
# The cluster cases (Patroni failover, partitions, a real sshd) are in
# tests/cluster/.
. "$(dirname "$0")/private-mounts.sh"
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/pg.sh"
SYNC="$TOP/build/rjh-sync"
AKC="$TOP/build/rjh-authorized-keys"
REG="$WORK/reg/registry.db"
trap 'pg_stop; rm -rf "$WORK"' EXIT

if ! pg_start "$WORK/pg"; then
	not_ok "a PostgreSQL of the test's own"
	finish
	exit 1
fi
CONNINFO=$(pg_conninfo)
write_conf "store = postgresql" "conninfo = $CONNINFO" "node_name = jump-a"
printf '%s\n' "passwd: files rjh" "group: files rjh" "shadow: files" > "$WORK/nsswitch.conf"
mount --bind "$WORK/nsswitch.conf" /etc/nsswitch.conf || {
	not_ok "cannot bind-mount a test nsswitch.conf"
	finish
	exit 1
}
export LD_LIBRARY_PATH="$TOP/build" RJH_CONF="$WORK/rjh.conf"
sync_once() { "$SYNC" -c "$WORK/rjh.conf" --once "$@"; }
akc() { "$AKC" --config "$WORK/rjh.conf" "$@"; }
cache() { sqlite3 "$REG" "$1"; }

# ---- bad configuration and no server: a clear line, exit 4, nothing written
write_conf "store = postgresql"
expect 2 "store = postgresql without conninfo is a config error" -- rjh list
match "store = postgresql needs conninfo" "the message says conninfo is missing"
write_conf "store = postgresql" "conninfo = host=$WORK/nowhere port=5432 dbname=rjh user=postgres"
expect 4 "no server: enroll exits 4" -- rjh enroll host-1 "$(newkey k1)"
match "no primary reachable" "the message says no primary is reachable"
expect 4 "no server: rjh-sync --once exits 4" -- "$SYNC" -c "$WORK/rjh.conf" --once
match "PostgreSQL: no server reachable" "and says no server is reachable"
absent_ok() { if [ ! -e "$1" ]; then ok "$2"; else not_ok "$2"; fi; }
absent_ok "$REG" "no cache file was made without a server"
write_conf "store = postgresql" "conninfo = $CONNINFO" "node_name = jump-a"
expect 4 "an empty database: list says run init" -- rjh list
match "no rjh registry \(run rjh-admin init\)" "the message says to run init"

# ---- init, enroll, sync
expect 0 "init creates the registry in PostgreSQL" -- rjh init
match -o "initialised the registry in PostgreSQL" "init says where"
PGV=$(find "$TOP/sql/pg" -name '[0-9][0-9][0-9]-*.sql' | wc -l)
eq "$(pg_sql "select value from settings where name = 'schema'")" "$PGV" "PostgreSQL schema $PGV (sql/pg/)"
expect 3 "a second init refuses" -- rjh init
match "already holds an rjh registry" "and says the registry exists"
expect 0 "migrate on an up-to-date registry" -- rjh migrate
match -o "at schema $PGV" "migrate reports the schema"
k1=$(newkey k1)
k2=$(newkey k2)
expect 0 "enroll host-1 writes PostgreSQL" -- rjh enroll host-1 "$k1" --from 10.0.0.0/8
expect 0 "enroll host-2" -- rjh enroll host-2 "$k2"
uid1=$(pg_sql "select uid from hosts where name = 'host-1'")
eq "$(pg_sql "select count(*) from hosts")" 2 "two hosts in PostgreSQL"
absent_ok "$REG" "rjh-admin made no local file: the cache is rjh-sync's"
expect 0 "rjh-sync --once builds the cache" -- sync_once
eq "$(cache "select uid from hosts where name = 'host-1'")" "$uid1" "the cache has PostgreSQL's uid"
expect 0 "getent resolves host-1 from the NSS snapshot" -- getent passwd host-1
match -o "^host-1:\*:$uid1:" "with PostgreSQL's uid"
fp1=$(ssh-keygen -lf "$k1" | cut -d' ' -f2)
expect 0 "the key helper answers host-1's key" -- akc host-1 "$fp1"
match -o 'from="10.0.0.0/8"' "with its from= policy"
gen=$(pg_sql "select value from generation")
eq "$(sed -n 's/^generation //p' "$REG.synced")" "$gen" "the stamp names PostgreSQL's generation"
st=$(stat -c %U:%a "$REG.synced")
eq "$st" "root:644" "the stamp is root's, 0644"

# ---- a change propagates; a refused change changes nothing
expect 0 "revoke-key in PostgreSQL" -- rjh revoke-key "$fp1"
expect 0 "rjh-sync installs it" -- sync_once
expect 0 "the key helper no longer answers the revoked key" -- akc host-1 "$fp1"
eq "$OUT" "" "no key line"
before=$(pg_sql "select value from generation")
expect 3 "enrolling a taken name is refused" -- rjh enroll host-2 "$(newkey k3)"
match "already enrolled" "as already enrolled"
expect 3 "a key enrolled for another host is refused" -- rjh add-key host-1 "$k2"
match "already enrolled for host host-2" "naming the owner"
eq "$(pg_sql "select count(*) from keys")" 2 "no key row was added"
eq "$(pg_sql "select value from generation")" "$before" "no generation went by for refusals"

# ---- rjh-admin reads and audit come from PostgreSQL
expect 0 "list reads PostgreSQL" -- rjh list
match -o "host-2" "host-2 is listed"
expect 0 "grant in PostgreSQL" -- rjh grant alice host-2
expect 0 "audit reads PostgreSQL's events" -- rjh audit
match -o "rjh-grant" "the grant is in the fleet's audit trail"
expect 2 "backup is for a registry file" -- rjh backup "$WORK/b.db"
match "pg_dump" "and says how to back up PostgreSQL"

# ---- never older: a snapshot of an older generation is not installed
pg_sql "CREATE DATABASE rjh_old TEMPLATE rjh" > /dev/null 2>&1 ||
	psql -h "$PG_DIR" -U postgres -d postgres -qc "CREATE DATABASE rjh_old TEMPLATE rjh" > /dev/null
expect 0 "enroll host-3 (newer than the copy)" -- rjh enroll host-3 "$(newkey k4)"
expect 0 "rjh-sync installs it" -- sync_once
cgen=$(cache "select value from settings where name = 'store_generation'")
write_conf "store = postgresql" "conninfo = ${CONNINFO/dbname=rjh/dbname=rjh_old}" "node_name = jump-a"
expect 4 "rjh-sync against an older copy exits 4" -- sync_once
match "older than this jumphost's" "and says the cache is kept"
eq "$(cache "select value from settings where name = 'store_generation'")" "$cgen" \
	"the cache keeps its generation"
expect 0 "host-3 still resolves" -- getent passwd host-3
write_conf "store = postgresql" "conninfo = $CONNINFO" "node_name = jump-a"

# ---- rows written into PostgreSQL behind rjh-admin's back are checked again
cgen=$(cache "select value from settings where name = 'store_generation'")
for bad in "host|INSERT INTO hosts(name, uid, state, created, updated) VALUES ('../x', 1900000900, 'active', 1, 1)|a host rjh refuses" \
	"host|INSERT INTO hosts(name, uid, state, created, updated) VALUES ('-oProxyCommand=x', 1900000901, 'active', 1, 1)|a host rjh refuses" \
	"host|INSERT INTO hosts(name, uid, state, created, updated) VALUES ('host-low', 5, 'active', 1, 1)|a host rjh refuses" \
	"host|INSERT INTO hosts(name, uid, state, created, updated, source_cidrs) VALUES ('host-c', 1900000902, 'active', 1, 1, '10.0.0.1/8 ,x')|addresses rjh refuses" \
	"key|INSERT INTO keys(host_id, algorithm, blob, fingerprint, created) SELECT id, 'ssh-ed25519', '$(cut -d' ' -f2 "$k2")', 'SHA256:$(printf 'A%.0s' {1..43})', 1 FROM hosts WHERE name = 'host-1'|a key rjh refuses" \
	"grant|INSERT INTO grants(principal, pattern, created) VALUES ('alice', '../*', 1)|a grant rjh refuses"; do
	IFS='|' read -r what sql why <<< "$bad"
	pg_sql "$sql" > /dev/null
	expect 4 "a $what written straight into PostgreSQL is refused by rjh-sync" -- sync_once
	match "$why" "saying so ($why)"
	eq "$(cache "select value from settings where name = 'store_generation'")" "$cgen" \
		"nothing of that snapshot was installed"
	pg_sql "DELETE FROM hosts WHERE name IN ('../x', '-oProxyCommand=x', 'host-low', 'host-c');
		DELETE FROM keys WHERE fingerprint LIKE 'SHA256:AAAA%'; DELETE FROM grants WHERE pattern = '../*'" > /dev/null
done
mv "$REG" "$WORK/cache.kept"
pg_sql "INSERT INTO grants(principal, pattern, created) VALUES ('alice', '../*', 1)" > /dev/null
expect 4 "no cache yet and a bad row: rjh-sync refuses" -- sync_once
absent_ok "$REG" "and leaves no half-made cache file behind"
pg_sql "DELETE FROM grants WHERE pattern = '../*'" > /dev/null
mv "$WORK/cache.kept" "$REG"
expect 0 "the bad rows gone, rjh-sync installs again" -- sync_once
expect 0 "host-3 still resolves" -- getent passwd host-3

# ---- a deleted cache is rebuilt, the same
cp "$REG.nss" "$WORK/nss.before"
rm -f "$REG"
expect 0 "rjh-sync rebuilds a deleted cache" -- sync_once
eq "$(cache "select group_concat(name || ':' || uid) from (select * from hosts order by name)")" \
	"$(pg_sql "select string_agg(name || ':' || uid, ',' order by name) from hosts")" \
	"the same hosts and uids as PostgreSQL"
expect 0 "getent still resolves host-1" -- getent passwd host-1

# ---- presence and audit flow up, exactly once, after an outage
cache "insert into sessions(host, uid, started) values ('host-2', $uid1, 1000)"
pg_pause
expect 4 "PostgreSQL stopped: rjh-sync --once fails" -- timeout 30 "$SYNC" -c "$WORK/rjh.conf" --once
cache "update sessions set ended = 1100, end_reason = 'closed' where started = 1000"
cache "insert into events(time, type, op, actor_uid, result, host) values (1050, 'USER_LOGIN', 'rjh-login', 0, 'success', 'host-2')"
eq "$(cache "select count(*) from outbox")" 3 "three rows wait in the outbox"
pg_resume
expect 0 "back: rjh-sync ships them" -- sync_once
eq "$(cache "select count(*) from outbox")" 0 "the outbox is empty"
eq "$(pg_sql "select jumphost || ' ' || ended || ' ' || end_reason from sessions where started = 1000")" \
	"jump-a 1100 closed" "the session is in PostgreSQL with its end, named after the jumphost"
eq "$(pg_sql "select count(*) from events where time = 1050")" 1 "the event once"
# An acknowledgement lost after the commit: the same rows shipped again change nothing.
cache "insert into outbox(kind, row_id) select 'session', id from sessions where started = 1000"
cache "insert into outbox(kind, row_id) select 'event', id from events where time = 1050"
expect 0 "rows shipped twice" -- sync_once
eq "$(pg_sql "select count(*) from sessions where started = 1000")" 1 "still one session row"
eq "$(pg_sql "select count(*) from events where time = 1050")" 1 "still one event row"

# ---- the cache's own history is pruned once PostgreSQL has it (retention)
cache "insert into sessions(host, uid, started, ended, end_reason) values ('host-2', $uid1, 1, 2, 'closed')"
expect 0 "rjh-sync ships an old session" -- sync_once
eq "$(pg_sql "select count(*) from sessions where started = 1")" 1 "PostgreSQL has it"
eq "$(cache "select count(*) from sessions where started in (1, 1000)")" 1 \
	"the cache pruned the older one (ended before retention, shipped), kept the newest row"
cache "insert into sessions(host, uid, started, ended, end_reason) values ('host-2', $uid1, 5, 6, 'closed')"
expect 0 "rjh-sync ships the next one" -- sync_once
eq "$(pg_sql "select count(*) from sessions where started in (1, 5, 1000)")" 3 \
	"three sessions in PostgreSQL: no id was reused for another row"
eq "$(pg_sql "select ended from sessions where started = 1000")" 1100 \
	"the first session's end is untouched"
cache "insert into sessions(host, uid, started, ended, end_reason) values ('host-2', $uid1, 3, 4, 'closed')"
pg_pause
expect 4 "PostgreSQL stopped: nothing shipped" -- timeout 30 "$SYNC" -c "$WORK/rjh.conf" --once
eq "$(cache "select count(*) from sessions where started = 3")" 1 \
	"an old session not yet shipped is kept"
pg_resume

# ---- a PostgreSQL of a newer schema
pg_sql "update settings set value = '99' where name in ('schema', 'compat_schema')"
expect 4 "rjh-admin refuses a newer schema" -- rjh list
match "schema 99 is newer than this rjh understands" "and says so"
cp "$REG" "$WORK/cache.before"
expect 4 "rjh-sync refuses it too" -- sync_once
match "newer than this rjh understands" "with the same sentence"
cmp -s "$REG" "$WORK/cache.before" && ok "the cache is unchanged" || not_ok "the cache is unchanged"
pg_sql "update settings set value = '$PGV' where name in ('schema', 'compat_schema')"

# ---- a corrupt cache: refused, snapshots and stamp untouched
cp "$REG.login" "$WORK/login.before"
touch -d '2000-01-01' "$REG.synced"
head -c 65536 /dev/urandom > "$REG"
expect 4 "rjh-sync refuses a corrupt cache" -- sync_once
match "corrupt|not a database|not an rjh registry" "naming the problem"
cmp -s "$REG.login" "$WORK/login.before" && ok "the login snapshot is untouched" ||
	not_ok "the login snapshot is untouched"
eq "$(stat -c %Y "$REG.synced")" "$(date -d 2000-01-01 +%s)" "the stamp was not made current"

# ---- a single-node registry never fills the outbox
write_conf
rm -f "$REG" "$REG".*
expect 0 "a single-node registry" -- rjh init
expect 0 "enroll there" -- rjh enroll host-9 "$(newkey k9)"
cache "insert into sessions(host, uid, started) values ('host-9', 1, 1)"
eq "$(cache "select count(*) from outbox")" 0 "its triggers write no outbox row"
expect 2 "rjh-sync refuses store = sqlite" -- "$SYNC" -c "$WORK/rjh.conf" --once
match "rjh-sync is for store = postgresql" "and says what it is for"

finish
