# The HA cluster harness (tests/cluster/lib.sh) does what it says: a real
# Patroni cluster on etcd comes up inside the e2e namespaces, every failure
# it injects has the effect the later tests rely on, and cluster_down leaves
# nothing behind. Prints how long each phase took.
. "$(dirname "$0")/../e2e/lib.sh"
. "$(dirname "$0")/lib.sh"
e2e_setup
start_jumphost
T_ALL=$(cluster_usec)

# phase DESCRIPTION: starts the clock of a phase; took DESCRIPTION prints it.
phase() {
	echo "# $1"
	T_PHASE=$(cluster_usec)
}
took() {
	echo "#   $1: $(cluster_elapsed "$T_PHASE") s"
}
# sees N ID: node N's replica has replayed row ID of table t.
sees() {
	[ "$(cluster_psql "$1" "select count(*) from t where id = $2" 2> /dev/null)" = 1 ]
}
# rows_are N COUNT: node N has COUNT rows in table t.
rows_are() {
	[ "$(cluster_psql "$1" 'select count(*) from t' 2> /dev/null)" = "$2" ]
}
# failsafe_is VALUE: Patroni's dynamic config says failsafe_mode: VALUE.
failsafe_is() {
	timeout 10 patronictl -c "$CLUSTER_DIR/pg1/patroni.yml" show-config 2> /dev/null |
		grep -qx "failsafe_mode: $1"
}
# takes_writes N: node N's PostgreSQL assigns a transaction id.
takes_writes() {
	cluster_psql "$1" 'select txid_current()' > /dev/null 2>&1
}
# replay_behind N: replica N has received WAL that it has not replayed.
replay_behind() {
	[ "$(cluster_psql "$1" 'select pg_last_wal_receive_lsn() > pg_last_wal_replay_lsn()')" = t ]
}
# refuses_writes: no node takes a write through CLUSTER_CONNINFO.
refuses_writes() {
	! cluster_writable
}
# writes_for SECS: writes through CLUSTER_CONNINFO work every 0.5 s for SECS s.
writes_for() {
	local end=$(($(cluster_usec) + $1 * 1000000))
	while [ "$(cluster_usec)" -lt "$end" ]; do
		cluster_writable || return 1
		sleep 0.5
	done
}
# sysv_ours: the SysV segments in the machine's IPC namespace that a process
# of this PID namespace created (one from outside shows creator pid 0).
sysv_ours() {
	ipcs -m -p | awk 'NR > 3 && NF && $3 != 0'
}
# role_of N: replica, primary, or what Patroni says otherwise.
role_of() {
	if cluster_role_is "$1" primary; then
		echo primary
	elif cluster_role_is "$1" replica; then
		echo replica
	else
		echo none
	fi
}
# other_replica N: the replica that is not node N.
other_replica() {
	cluster_replicas | grep -vx "$1" | head -n 1
}

phase "bring-up"
cluster_up
took "bring-up"
L=$(cluster_leader)
check "a leader: pg$L" -- test -n "$L"
mapfile -t R < <(cluster_replicas)
eq "${#R[@]}" 2 "2 replicas: pg${R[0]:-?} and pg${R[1]:-?}"
eq "$(cluster_sql "$CLUSTER_CONNINFO" 'select current_user, current_database()' 2>&1)" "rjh|rjh" \
	"CLUSTER_CONNINFO reaches database rjh as rjh from the jumphost side"
expect 0 "a row written through CLUSTER_CONNINFO" -- cluster_sql "$CLUSTER_CONNINFO" \
	"create table t (id int primary key, at timestamptz default now()); insert into t (id) values (1)"
check "replica pg${R[0]} has it within 5 s" -- cluster_until 5 "row 1 on pg${R[0]}" sees "${R[0]}" 1
eq "$(cluster_sql "$CLUSTER_CONNINFO_ANY" 'select count(*) from t')" 1 \
	"CLUSTER_CONNINFO_ANY reads it"
PM=$(cluster_postmaster "$L")
check "the leader's PostgreSQL has an IPC namespace of its own" -- \
	test "$(readlink "/proc/$PM/ns/ipc")" != "$(readlink /proc/self/ns/ipc)"
eq "$(cluster_psql "$L" 'show dynamic_shared_memory_type')" mmap \
	"and keeps its dynamic shared memory in its data dir, not /dev/shm"

phase "kill -9 of the leader's postmaster (pg$L)"
check "the postmaster is killed" -- cluster_kill_postmaster "$L"
refute "right after, writes fail" -- cluster_writable
check "writes work again within 15 s" -- cluster_wait_writable 15
took "writable again"
eq "$(cluster_wait_leader 5)" "$L" "no failover: pg$L still leads"
check "and 2 replicas stream again within 20 s" -- cluster_wait_streaming 20
took "streaming again"

phase "pg$L dies (Patroni and postmaster, kill -9)"
check "pg$L is dead" -- cluster_kill_node "$L"
N=$(cluster_wait_leader 30 "$L")
check "another node leads within 30 s: pg${N:-none}" -- test -n "$N"
check "and takes writes" -- cluster_wait_writable 10
took "failover"
expect 0 "a row written on the new leader" -- \
	cluster_sql "$CLUSTER_CONNINFO" 'insert into t (id) values (2)'
phase "pg$L restarts"
check "its Patroni starts" -- cluster_start_node "$L"
check "it rejoins: 2 replicas stream within 30 s" -- cluster_wait_streaming 30
took "rejoined"
eq "$(role_of "$L")" replica "pg$L is a replica now"
check "it has the row written while it was dead" -- cluster_until 5 "row 2 on pg$L" sees "$L" 2
L=$N

phase "the leader pg$L is cut off the network"
check "pg$L is cut off" -- cluster_cut "$L"
N=$(cluster_wait_leader 30 "$L")
check "another node leads within 30 s: pg${N:-none}" -- test -n "$N"
check "and takes writes" -- cluster_wait_writable 10
took "failover"
# It demoted itself (no DCS) with a fast shutdown, which waits for its
# walsenders: it refuses connections until wal_sender_timeout or the heal.
refute "pg$L, cut off, takes no writes (it demoted itself)" -- takes_writes "$L"
phase "pg$L's network is back"
check "healed" -- cluster_heal "$L"
check "it rejoins: 2 replicas stream within 30 s" -- cluster_wait_streaming 30
took "rejoined"
eq "$(role_of "$L")" replica "pg$L is a replica now"
L=$N

phase "a replica held behind"
H=$(other_replica 0)
O=$(other_replica "$H")
check "replay on pg$H is held" -- standby_hold "$H"
expect 0 "a row written" -- cluster_sql "$CLUSTER_CONNINFO" 'insert into t (id) values (3)'
check "the other replica pg$O has it within 5 s" -- cluster_until 5 "row 3 on pg$O" sees "$O" 3
check "pg$H received the WAL, and has not replayed it" -- \
	cluster_until 5 "pg$H to receive" replay_behind "$H"
refute "pg$H does not show the row" -- sees "$H" 3
eq "$(role_of "$H")" replica "Patroni still counts pg$H a replica"
check "released" -- standby_release "$H"
check "pg$H shows the row within 5 s" -- cluster_until 5 "row 3 on pg$H" sees "$H" 3
took "hold, write, release"

phase "the jumphost cut off from the nodes"
check "partitioned" -- cluster_partition_jumphost
refute "psql through CLUSTER_CONNINFO fails" -- cluster_sql "$CLUSTER_CONNINFO" 'select 1'
took "a connection attempt through CLUSTER_CONNINFO"
eq "$(cluster_leader)" "$L" "the cluster does not notice: pg$L still leads"
check "with 2 streaming replicas" -- cluster_wait_streaming 3
check "healed" -- cluster_heal_jumphost
check "psql works again within 5 s" -- cluster_wait_writable 5
took "partition and heal"

phase "all of etcd down (failsafe_mode off)"
etcd_down
check "writes are refused within 15 s" -- cluster_until 15 "writes refused" refuses_writes
took "leader read-only"
eq "$(cluster_sql "$CLUSTER_CONNINFO_ANY" 'select count(*) from t')" 3 \
	"CLUSTER_CONNINFO_ANY still reads"
for i in 1 2 3; do
	check "pg$i serves reads (within 5 s: the demoted leader restarts)" -- \
		cluster_until 5 "reads on pg$i" rows_are "$i" 3
done
phase "etcd back"
check "etcd is up" -- etcd_up
check "writable again within 15 s" -- cluster_wait_writable 15
took "writable again"
check "2 replicas stream within 20 s" -- cluster_wait_streaming 20

phase "all of etcd down with failsafe_mode on"
check "failsafe_mode on, and the leader acts on it" -- cluster_set_failsafe on
check "patronictl shows it" -- failsafe_is true
etcd_down
check "writes keep working for 8 s (without failsafe_mode, they stop after 4-6 s)" -- \
	writes_for 8
check "etcd is up" -- etcd_up
check "failsafe_mode off" -- cluster_set_failsafe off
check "patronictl shows it" -- failsafe_is false
took "failsafe"

phase "cluster_down"
D=$CLUSTER_DIR
cluster_down
absent "$D" "the data dir is gone"
eq "$(cluster_pids 1 2 3 etcd)" "" "no process is left in the cluster's netns"
eq "$(ip netns list | grep -c "^$NS-\(pg\|etcd\)")" 0 "its netns are gone"
eq "$(pgrep -x etcd; pgrep -x patroni; pgrep -x postgres)" "" \
	"no etcd, patroni or postgres process in this PID namespace"
eq "$(sysv_ours)" "" "no SysV shared memory segment of theirs on the machine"
echo "# t_harness: $(cluster_elapsed "$T_ALL") s after the e2e setup"
finish
