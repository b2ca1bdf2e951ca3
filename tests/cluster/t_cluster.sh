# Several jumphosts on one registry: store = postgresql against a 3-node
# PostgreSQL 15 under Patroni on 3 etcd members (tests/cluster/lib.sh), with
# the e2e harness's real sshd as the jumphost, hosts behind NAT and a client
# laptop. rjh-sync runs on the jumphost as it would under its unit.
# Asserted:
#  - enroll on the primary: the host resolves, logs in and is reachable
#    through the jumphost within 2 s, with the uid PostgreSQL gave it;
#  - the leader fails three ways (its postmaster killed; its postmaster and
#    Patroni killed together; cut off the network): in each, 100 client
#    connections and tunnel logins across the failover, 0 failures;
#    rjh-admin refuses cleanly (exit 4) in the gap and works after it, and no
#    acknowledged change is lost;
#  - all of etcd down (failsafe_mode off, as documented): writes refused,
#    logins unaffected; back: writable;
#  - the jumphost cut off from the database for longer than max_cache_age:
#    tunnels keep working, a key revoked meanwhile still works there and is
#    refused within 2 s of the heal; clients are refused after max_cache_age
#    with a clear line; presence and audit rows of the outage reach
#    PostgreSQL exactly once;
#  - a deleted cache is rebuilt; a standby held behind never rolls the cache
#    back (nor makes it look current).
. "$(dirname "$0")/../e2e/lib.sh"
. "$TOP/tests/cluster/lib.sh"
. "$TOP/tests/cluster/load.sh"
. "$TOP/tests/pg.sh"
T_START=$SECONDS

e2e_setup
start_jumphost
cluster_up || die "the cluster did not come up"
cluster_psql "$(cluster_leader)" "ALTER ROLE rjh SET statement_timeout = '10s'" > /dev/null
# Reads may come from any node; the stamp needs the WAL receiver's state.
cluster_psql "$(cluster_leader)" "GRANT pg_read_all_stats TO rjh" > /dev/null ||
	die "grant pg_read_all_stats"
pg_jumphost "$CLUSTER_CONNINFO_ANY" "node_name = jump-a" "max_cache_age = 60s" ||
	die "rjh-sync on the jumphost: $(tail -5 "$WORK/rjh-sync.log")"
client_up || die "client netns"
# rjh-admin from elsewhere (a node's netns) while the jumphost is cut off.
cat > "$WORK/remote.conf" <<- EOF
	registry = $WORK/remote/registry.db
	audit = off
	store = postgresql
	conninfo = $CLUSTER_CONNINFO
EOF
chmod 0644 "$WORK/remote.conf"

# set_conf KEY VALUE: changes one line of the jumphost's rjh.conf in place.
set_conf() {
	sed "s|^$1 = .*|$1 = $2|" "$CONF" > "$CONF.new" && cat "$CONF.new" > "$CONF" && rm -f "$CONF.new"
}
leader_sql() {
	cluster_sql "$CLUSTER_CONNINFO" "$1"
}

# ---- 1. enroll on the primary: resolves, logs in, reachable within 2 s
host_up host-1
# The host's own sshd lets alice in as root.
cat "$WORK/client/alice.pub" >> "$WORK/hosts/host-1/authorized_keys"
pub=$(new_key host-1) || die "key"
rjh enroll host-1 "$pub" > "$WORK/hosts/host-1/enroll.out" 2>&1 || die "enroll host-1"
t0=$(cluster_usec)
grep -E '^ +ssh -N ' "$WORK/hosts/host-1/enroll.out" | sed 's/^ *//' > "$WORK/hosts/host-1/tunnel.cmd"
if wait_for 2 "host-1 resolves on the jumphost" getent passwd host-1 > /dev/null; then
	ok "enrolled on the primary, host-1 resolves on the jumphost in $(cluster_elapsed "$t0") s"
else
	not_ok "host-1 did not resolve within 2 s"
fi
eq "$(getent passwd host-1 | cut -d: -f3)" "$(leader_sql "select uid from hosts where name = 'host-1'")" \
	"host-1's uid on the jumphost is the one PostgreSQL gave it"
if tunnel_up host-1; then
	t=$(cluster_elapsed "$t0")
	if [ "${t%%.*}" -lt 2 ]; then
		ok "host-1 logged in (its tunnel is up) $t s after the enroll"
	else
		not_ok "host-1's tunnel came up $t s after the enroll, not within 2 s"
	fi
else
	not_ok "host-1's tunnel"
fi
t=$(cluster_elapsed "$t0")
expect 0 "host-1 is reachable by name through the jumphost ($t s after the enroll)" -- \
	reach host-1 hostname
eq "$OUT" host-1 "and it is host-1 that answers"
rjh set-host-key host-1 "$WORK/hosts/host-1/ssh_host_ed25519_key.pub" > /dev/null ||
	die "set-host-key"
rjh grant alice 'host-*' > /dev/null || die "grant"
client_ssh_config alice || die "alice's ssh config"
t1=$(cluster_usec)
if wait_for 2 "alice reaches host-1" laptop alice ssh host-1 true; then
	ok "alice reaches host-1 from her laptop $(cluster_elapsed "$t1") s after the grant"
else
	not_ok "alice could not reach host-1 within 2 s of the grant"
fi
add_host host-2 || die "host-2"
wait_for 5 "host-2 resolves" getent passwd host-2 > /dev/null || die "host-2 does not resolve"

# ---- 2. the leader fails: load across it (tests/cluster/load.sh)
# failover NAME BREAK [REPAIR]: load and the admin probe across BREAK (a
# command given the leader's number), then asserts.
PROBE_ROUND=0
failover() {
	local name=$1 brk=$2 repair=${3:-} leader kill_t gap bad want have missing
	PROBE_ROUND=$((PROBE_ROUND + 1))
	leader=$(cluster_leader) || die "no leader before $name"
	load 50
	admin_probe "$PROBE_ROUND"
	sleep 2
	kill_t=$(cluster_usec)
	$brk "$leader" || die "$name: $brk $leader"
	load_wait
	cluster_wait_writable 60 || die "$name: no writable node after 60 s"
	sleep 1
	admin_probe_stop
	[ -n "$repair" ] && { $repair "$leader" || die "$name: $repair"; }
	eq "$LOAD_RUN" 100 "$name: 100 client connections and tunnel logins ran across it"
	if [ "$LOAD_FAILED" = 0 ]; then
		ok "$name: 0 client or tunnel failures"
	else
		not_ok "$name: $LOAD_FAILED failed: $(head -3 "$WORK/load.fail" | tr '\n' ';')"
	fi
	gap=$(probe_gap "$kill_t")
	if [ -n "$gap" ]; then
		ok "$name: rjh-admin worked again; its longest wait between acknowledged changes: $gap s"
	else
		not_ok "$name: rjh-admin never worked again"
	fi
	bad=$(awk '$3 != 4' "$WORK/admin.err" 2> /dev/null | head -2)
	if [ -z "$bad" ]; then
		ok "$name: rjh-admin's $(wc -l < "$WORK/admin.err" 2> /dev/null || echo 0) refusals in the gap all exit 4"
	else
		not_ok "$name: a refusal that is not exit 4: $bad"
	fi
	[ -s "$WORK/admin.err" ] && echo "    e.g. $(head -1 "$WORK/admin.err" | cut -d' ' -f4- | cut -c1-160)"
	# Every acknowledged change is there.
	want=$(awk '{ print $1 }' "$WORK/admin.ok" | sort)
	have=$(leader_sql "select substr(pattern, length('probe-$PROBE_ROUND-') + 1) from grants where principal = 'bob' and pattern like 'probe-$PROBE_ROUND-%'" | sort)
	missing=$(comm -23 <(echo "$want") <(echo "$have") | tr '\n' ' ')
	if [ -z "${missing// /}" ]; then
		ok "$name: all $(wc -l < "$WORK/admin.ok") acknowledged changes are in PostgreSQL"
	else
		not_ok "$name: acknowledged but lost: $missing"
	fi
}

failover "postmaster killed" cluster_kill_postmaster
cluster_wait_streaming 60 || die "not streaming after the postmaster kill"
restart_node() {
	cluster_start_node "$1" && cluster_wait_streaming 90
}
failover "postmaster and Patroni killed" cluster_kill_node restart_node
heal_node() {
	cluster_heal "$1" && cluster_wait_streaming 90
}
failover "leader cut off the network" cluster_cut heal_node

# ---- 3. all of etcd down (failsafe_mode off): writes refused, logins go on
load 20
etcd_down
t0=$(cluster_usec)
if cluster_until 20 "writes refused" sh -c "! \"$ADMIN\" -c \"$CONF\" grant bob etcd-probe-\$(date +%s%N) > /dev/null 2>&1"; then
	ok "etcd down: rjh-admin's changes are refused after $(cluster_elapsed "$t0") s"
else
	not_ok "etcd down: writes still accepted after 20 s"
fi
expect 4 "etcd down: a change exits 4" -- rjh grant bob etcd-down
has "PostgreSQL" "naming PostgreSQL"
load_wait
if [ "$LOAD_FAILED" = 0 ]; then
	ok "etcd down: $LOAD_RUN client connections and tunnel logins, 0 failures"
else
	not_ok "etcd down: $LOAD_FAILED logins failed: $(head -2 "$WORK/load.fail" | tr '\n' ';')"
fi
etcd_up || die "etcd back"
cluster_wait_writable 60 || die "not writable after etcd came back"
expect 0 "etcd back: rjh-admin works" -- rjh grant bob etcd-back
cluster_wait_streaming 60 || die "not streaming after etcd"

# ---- 4. the jumphost cut off from the database for longer than max_cache_age
pub3=$(new_key host-3)
rjh enroll host-3 "$pub3" > /dev/null || die "enroll host-3"
fp3=$(ssh-keygen -lf "$pub3" | cut -d' ' -f2)
host_up host-3
wait_for 5 "host-3 resolves" getent passwd host-3 > /dev/null || die "host-3 does not resolve"
set_conf max_cache_age 20s
before_sessions=$(leader_sql "select count(*) from sessions where jumphost = 'jump-a'")
cluster_partition_jumphost || die "partition"
part_t=$(cluster_usec)
# rjh-connect's exit status is the client's through ssh jumphost HOST (its ForceCommand).
expect 0 "cut off, within max_cache_age: alice still reaches host-1" -- laptop alice ssh host-1 true
try_accepted "cut off: host-2 still logs in (tunnel)" host-2 host-2 host-2 -N \
	-o ExitOnForwardFailure=yes -R /sock/ssh.sock:localhost:22
ip netns exec "$NS-pg1" "$ADMIN" -c "$WORK/remote.conf" revoke-key "$fp3" > "$WORK/revoke.out" 2>&1 ||
	die "revoke-key from a node: $(cat "$WORK/revoke.out")"
ok "host-3's key revoked in PostgreSQL from elsewhere"
try_accepted "cut off: host-3's key, revoked meanwhile, still works on this jumphost" host-3 host-3 \
	host-3 -N -o ExitOnForwardFailure=yes -R /sock/ssh.sock:localhost:22
expect 4 "cut off: rjh-admin on the jumphost exits 4" -- rjh grant bob cut-off
has "no primary reachable" "saying no primary is reachable"
while [ $(($(cluster_usec) - part_t)) -lt 22000000 ]; do sleep 0.2; done
expect 8 "cut off past max_cache_age: rjh-connect refuses alice (exit 8)" -- \
	laptop alice ssh "$JUMP_ADDR" host-1
has "max_cache_age" "with a line naming max_cache_age"
expect_fail "and alice's ssh host-1 fails" -- laptop alice ssh host-1 true
try_accepted "past max_cache_age: host-2's tunnel login still works" host-2 host-2 host-2 -N \
	-o ExitOnForwardFailure=yes -R /sock/ssh.sock:localhost:22
outage_sessions=$(sqlite3 "$REG" "select count(*) from outbox where kind = 'session'")
cluster_heal_jumphost
heal_t=$(cluster_usec)
AKC=$TOP/build/rjh-authorized-keys
if wait_for 2 "host-3's key gone from the key helper" sh -c "[ -z \"\$(\"$AKC\" --config \"$CONF\" host-3 \"$fp3\")\" ]"; then
	ok "healed: host-3's revoked key is refused $(cluster_elapsed "$heal_t") s after the heal"
else
	not_ok "healed: host-3's key still accepted 2 s after the heal"
fi
try_refused "healed: host-3 cannot log in with its revoked key" host-3 host-3 host-3 -N \
	-o ExitOnForwardFailure=yes -R /sock/ssh.sock:localhost:22
wait_for 5 "alice reaches host-1 again" laptop alice ssh host-1 true &&
	ok "healed: alice reaches host-1 again" || not_ok "healed: alice still refused"
wait_for 10 "the outbox drained" sh -c "[ \"\$(sqlite3 \"$REG\" 'select count(*) from outbox')\" = 0 ]" ||
	not_ok "the outbox did not drain"
local_ids=$(sqlite3 "$REG" "select count(*) from sessions")
pg_rows=$(leader_sql "select count(*) from sessions where jumphost = 'jump-a'")
pg_distinct=$(leader_sql "select count(distinct origin) from sessions where jumphost = 'jump-a'")
eq "$pg_rows" "$local_ids" "every session this jumphost recorded is in PostgreSQL"
eq "$pg_distinct" "$pg_rows" "each exactly once"
[ "$pg_rows" -gt "$before_sessions" ] && ok "including the $outage_sessions of the outage" ||
	not_ok "no session of the outage reached PostgreSQL"
stale_local=$(sqlite3 "$REG" "select count(*) from events where op = 'rjh-connect' and result = 'failed' and detail like '%stale-cache%'")
stale_pg=$(leader_sql "select count(*) from events where jumphost = 'jump-a' and op = 'rjh-connect' and result = 'failed' and detail like '%stale-cache%'")
[ "$stale_local" -ge 2 ] && ok "the stale-cache refusals are audited ($stale_local)" ||
	not_ok "only $stale_local stale-cache refusals audited, wanted 2 or more"
eq "$stale_pg" "$stale_local" "and each is in PostgreSQL's audit trail once"
set_conf max_cache_age 60s

# ---- 5. a deleted cache is rebuilt
rm -f "$REG"
if wait_for 5 "the cache rebuilt" test -s "$REG" && wait_for 5 "host-1 resolves" getent passwd host-1 > /dev/null; then
	ok "a deleted cache is rebuilt by the running rjh-sync"
else
	not_ok "the cache was not rebuilt"
fi
eq "$(sqlite3 "$REG" "select count(*) from hosts")" "$(leader_sql "select count(*) from hosts")" \
	"with every host"
expect 0 "alice reaches host-1 after the rebuild" -- laptop alice ssh host-1 true

# ---- 6. a standby held behind never rolls the cache back
pg_sync_stop
held=$(cluster_replicas | head -1)
standby_hold "$held" || die "hold pg$held"
rjh enroll host-late "$(new_key host-late)" > /dev/null || die "enroll host-late"
set_conf conninfo "$CLUSTER_CONNINFO"
expect 0 "rjh-sync --once from the primary installs host-late" -- "$TOP/build/rjh-sync" -c "$CONF" --once
gen=$(sqlite3 "$REG" "select value from settings where name = 'store_generation'")
touch -d '-30 seconds' "$REG.synced"
stamp=$(stat -c %Y "$REG.synced")
set_conf conninfo "host=10.77.0.20$held port=5432 dbname=rjh user=rjh connect_timeout=2"
expect 4 "rjh-sync --once from the held standby refuses to go back" -- "$TOP/build/rjh-sync" -c "$CONF" --once
has "older than this jumphost's" "saying the cache is kept"
eq "$(sqlite3 "$REG" "select value from settings where name = 'store_generation'")" "$gen" \
	"the cache keeps its generation"
expect 0 "host-late still resolves" -- getent passwd host-late
eq "$(stat -c %Y "$REG.synced")" "$stamp" "the held standby did not make the cache look current"
standby_release "$held"
wait_for 5 "the standby caught up" sh -c "\"$TOP/build/rjh-sync\" -c \"$CONF\" --once > /dev/null 2>&1"
[ "$(stat -c %Y "$REG.synced")" -gt "$stamp" ] && ok "released, the standby makes it current again" ||
	not_ok "the released standby never made the cache current"
set_conf conninfo "$CLUSTER_CONNINFO_ANY"
pg_sync_start || die "rjh-sync"

echo "    ($((SECONDS - T_START)) s)"
finish
