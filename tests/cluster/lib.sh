# An HA PostgreSQL for tests: 3 PostgreSQL 15 nodes under Patroni 3.0 on a
# 3-member etcd 3.4, with functions that break it. Source it AFTER
# tests/e2e/lib.sh (it needs that file's namespaces, NS, NETNS, JUMP_ADDR, TOP,
# die and teardown), then call cluster_up.
#
# Network, inside the e2e script's own namespace (the jumphost, 10.77.0.1 on
# the bridge rjhbr0; cluster_up makes the bridge if start_jumphost has not, so
# call start_jumphost first if the test wants sshd too):
#   node N (1..3)  netns $NS-pgN, veth rjhpgN <-> eth0, 10.77.0.20N/24:
#                  PostgreSQL on :5432 (unix socket in its node dir), Patroni's
#                  REST API on :8008; member name pgN
#   etcd           netns $NS-etcd, veth rjhetcd <-> eth0, 10.77.0.250/24:
#                  members e1..e3, client ports 2379/2479/2579, peer 2380/2480/2580
# Data, config and logs live in CLUSTER_DIR, a directory under build/ (the e2e
# /run and /tmp are 64 MB tmpfs; the cluster takes about 600 MB):
#   pgN/patroni.yml, pgN/data  node N, owned by postgres, 0700
#   patroniN.log               Patroni's log and PostgreSQL's (its stderr)
#   etcdN, etcdN.log           member eN's data and log
# Patroni runs with fast timings (ttl 10, loop_wait 1, retry_timeout 4) and
# failsafe_mode off; every pg_hba rule is trust for 10.77.0.0/24 and local.
# The database rjh, owned by the login role rjh, is the application's; the
# superuser is postgres.
#
# Measured with tests/cluster/t_harness.sh (2 vCPU, n=11; min / median / max, s):
#   cluster_up                        7.1 / 8.4 / 13.6 (etcd 0.5-2.7, Patroni 5.6-9.7)
#   cluster_kill_postmaster(leader)   writable again, same leader: 1.4 / 2.5 / 3.2
#   cluster_kill_node(leader)         another node writable: 10.0 / 11.0 / 11.2
#   cluster_start_node                2 replicas stream again: 5.2 / 6.0 / 8.3
#   cluster_cut(leader)               another node writable: 12.3 / 14.2 / 15.2; the
#                                     cut node demotes itself (no DCS) after about
#                                     6 s, then refuses connections: its fast
#                                     shutdown waits for its walsenders until
#                                     wal_sender_timeout (60 s) or cluster_heal
#   cluster_heal                      2 replicas stream again: 5.0 / 6.4 / 8.9
#   etcd_down (failsafe_mode off)     writes refused: 3.3 / 4.6 / 5.3
#   etcd_up                           writable again: 1.0 / 1.5 / 1.6
#   cluster_down                      0.8 / 1.0 / 7.0
#   through CLUSTER_CONNINFO with the jumphost cut off, psql fails after 6.3 s
#   (2 s connect_timeout per host)
# See also /work/shared/cluster-facts.md.
#
# The e2e EXIT teardown is chained: cluster_down runs first (E2E_KEEP=DIR also
# gets the logs in DIR/cluster), so no process, netns, data dir or shared
# memory segment is left even when a test dies midway.
# Only a SIGKILL of the test's own shell skips that: the kernel then ends the
# processes, netns and IPC namespaces with the test's namespaces, but the
# directory in build/ stays (make clean removes it).
# NB. Never kill a leader's Patroni alone: its PostgreSQL stays read-write and
# a replica is promoted too (a lasting split brain). cluster_kill_node kills
# both together.

CLUSTER_PG_BIN=/usr/lib/postgresql/15/bin
CLUSTER_ETCD=10.77.0.250
CLUSTER_DIR=
CLUSTER_PATRONI_PID=()
CLUSTER_ETCD_PID=()
CLUSTER_HELD=()
# The application's view: any node that takes writes, or any node at all.
# NB. libpq wants one host per port; connect_timeout is 2 s at least.
CLUSTER_APP="host=10.77.0.201,10.77.0.202,10.77.0.203 port=5432,5432,5432 dbname=rjh user=rjh"
export CLUSTER_CONNINFO="$CLUSTER_APP connect_timeout=2 target_session_attrs=read-write"
export CLUSTER_CONNINFO_ANY="$CLUSTER_APP connect_timeout=2 target_session_attrs=any"

# ------------------------------------------------------------- helpers

# cluster_addr N: node N's address.
cluster_addr() {
	echo "10.77.0.20$1"
}

# cluster_usec: the wall clock in microseconds.
cluster_usec() {
	echo "${EPOCHREALTIME//[!0-9]/}"
}

# cluster_elapsed T0: seconds since T0 (from cluster_usec), as S.SS.
cluster_elapsed() {
	local d=$(($(cluster_usec) - $1))
	printf '%d.%02d' $((d / 1000000)) $((d % 1000000 / 10000))
}

# cluster_logs: the tails of every Patroni (and PostgreSQL) log and etcd log.
cluster_logs() {
	local f n
	[ -n "$CLUSTER_DIR" ] || return 0
	for f in "$CLUSTER_DIR"/patroni?.log "$CLUSTER_DIR"/etcd?.log; do
		[ -s "$f" ] || continue
		n=${CLUSTER_LOG_LINES:-20}
		case $f in *etcd?.log) n=5 ;; esac
		echo "    --- ${f##*/} (last $n lines)"
		tail -n "$n" "$f" | cut -c 1-300 | sed 's/^/    | /'
	done
}

# cluster_until SECS DESCRIPTION COMMAND...: runs COMMAND (quietly) every
# 0.2 s until it succeeds; 0 then. A status of 3 gives up at once. After SECS
# seconds of wall-clock time (COMMAND's own time counts, unlike wait_for's)
# or on giving up, prints DESCRIPTION and the logs' tails to stderr, returns 1.
cluster_until() {
	local secs=$1 desc=$2 end rc
	shift 2
	end=$(($(cluster_usec) + secs * 1000000))
	while :; do
		"$@" > /dev/null 2>&1
		rc=$?
		[ $rc = 0 ] && return 0
		[ $rc = 3 ] && break
		[ "$(cluster_usec)" -lt "$end" ] || break
		sleep 0.2
	done
	echo "    cluster: timed out after ${secs}s or gave up waiting for: $desc" >&2
	cluster_logs >&2
	return 1
}

# cluster_gone PID: PID has exited (a zombie counts: it holds nothing).
cluster_gone() {
	local stat
	{ read -r stat < "/proc/$1/stat"; } 2> /dev/null || return 0
	stat=${stat##*) }
	[ "${stat%% *}" = Z ]
}

# cluster_pids N|etcd...: the live processes in node N's netns (or etcd's).
cluster_pids() {
	local n p
	for n in "$@"; do
		[ "$n" = etcd ] || n=pg$n
		for p in $(ip netns pids "$NS-$n" 2> /dev/null); do
			cluster_gone "$p" || echo "$p"
		done
	done
}

# cluster_no_pids N|etcd...: no process is left in those netns.
cluster_no_pids() {
	[ -z "$(cluster_pids "$@")" ]
}

# cluster_postmaster N: prints the pid of node N's running postmaster, from
# the first line of postmaster.pid; 1 if there is none.
cluster_postmaster() {
	local pid comm
	{ read -r pid < "$CLUSTER_DIR/pg$1/data/postmaster.pid"; } 2> /dev/null || return 1
	{ read -r comm < "/proc/$pid/comm"; } 2> /dev/null || return 1
	[ "$comm" = postgres ] && ! cluster_gone "$pid" || return 1
	echo "$pid"
}

# cluster_startup_pid N: prints the pid of node N's startup (WAL replay)
# process, a child of its postmaster; 1 if N is not replaying.
cluster_startup_pid() {
	local pm
	pm=$(cluster_postmaster "$1") || return 1
	pgrep -P "$pm" -f '^postgres: [^ ]+: startup' | head -n 1 | grep .
}

# cluster_psql N SQL: SQL through psql on node N's unix socket as the
# superuser, in database rjh (CLUSTER_DB=NAME for another), unaligned and
# tuples only; prints the output, returns psql's status (2 when it cannot
# connect). NB. psql is bounded by timeout 20: a statement must not wait longer.
cluster_psql() {
	timeout 20 psql -X -At -v ON_ERROR_STOP=1 -c "$2" \
		"host=$CLUSTER_DIR/pg$1 port=5432 user=postgres dbname=${CLUSTER_DB:-rjh} connect_timeout=2"
}

# cluster_sql CONNINFO SQL: SQL through psql from the jumphost side (this
# netns, over the bridge) with CONNINFO, e.g. "$CLUSTER_CONNINFO"; like
# cluster_psql otherwise.
cluster_sql() {
	timeout 20 psql -X -At -v ON_ERROR_STOP=1 -c "$2" "$1"
}

# cluster_writable: some node takes a write (assigns a transaction id)
# through CLUSTER_CONNINFO.
cluster_writable() {
	cluster_sql "$CLUSTER_CONNINFO" 'select txid_current()' > /dev/null 2>&1
}

# cluster_rest N PATH: GET PATH from node N's Patroni REST API, from inside
# N's netns (so that network faults outside the node change nothing); prints
# the body and returns 0 on status 200 only. With curl, or else Patroni's
# own python3.
cluster_rest() {
	local url
	url=http://$(cluster_addr "$1"):8008/$2
	if command -v curl > /dev/null; then
		ip netns exec "$NS-pg$1" curl -sf --max-time 1 "$url"
	else
		ip netns exec "$NS-pg$1" /usr/bin/python3 -c 'import sys, urllib.request as u
sys.stdout.write(u.urlopen(sys.argv[1], timeout=1).read().decode())' "$url" 2> /dev/null
	fi
}

# cluster_role_is N primary|replica: Patroni on node N says so (its REST API
# answers 200 on /primary or /replica).
cluster_role_is() {
	cluster_rest "$1" "$2" > /dev/null
}

# cluster_streaming: exactly one node's PostgreSQL is out of recovery, Patroni
# agrees it leads and that the other two are replicas, and they stream from it.
cluster_streaming() {
	local i r leader='' others
	for i in 1 2 3; do
		r=$(CLUSTER_DB=postgres cluster_psql "$i" 'select pg_is_in_recovery()' 2> /dev/null)
		if [ "$r" = f ]; then
			[ -z "$leader" ] || return 1
			leader=$i
		fi
	done
	[ -n "$leader" ] && [ "$(cluster_leader)" = "$leader" ] &&
		[ "$(CLUSTER_DB=postgres cluster_psql "$leader" "select count(*) from pg_stat_replication
			where state = 'streaming' and application_name in ('pg1', 'pg2', 'pg3')")" = 2 ] &&
		others=123 && [ "$(cluster_replicas | tr -d '\n')" = "${others/$leader/}" ]
}

# cluster_bootstrapped: cluster_streaming, or 3 (give up) once a Patroni has
# exited (with a bad config it exits at once).
cluster_bootstrapped() {
	local i
	for i in 1 2 3; do
		cluster_gone "${CLUSTER_PATRONI_PID[$i]}" && return 3
	done
	cluster_streaming
}

# cluster_leader_except N: some node other than N leads (prints it).
cluster_leader_except() {
	local l
	l=$(cluster_leader) && [ "$l" != "$1" ] && echo "$l"
}

# ------------------------------------------------------------ the parts

# cluster_netns NAME VETH ADDR: netns NAME (in NETNS, so that the e2e teardown
# deletes it too) with lo up and eth0 at ADDR/24, whose peer VETH is a port of
# the bridge.
cluster_netns() {
	local ns=$1 veth=$2 addr=$3
	ip netns add "$ns" && NETNS+=("$ns") &&
		ip -n "$ns" link set lo up &&
		ip link add "$veth" type veth peer name eth0 netns "$ns" &&
		ip link set "$veth" master rjhbr0 up &&
		ip -n "$ns" addr add "$addr/24" dev eth0 &&
		ip -n "$ns" link set eth0 up
}

# cluster_net: the bridge (unless start_jumphost made it) and the four netns.
cluster_net() {
	local i
	if ! ip link show rjhbr0 > /dev/null 2>&1; then
		ip link add rjhbr0 type bridge && ip addr add "$JUMP_ADDR/24" dev rjhbr0 &&
			ip link set rjhbr0 up || return 1
	fi
	for i in 1 2 3; do
		cluster_netns "$NS-pg$i" "rjhpg$i" "$(cluster_addr "$i")" || return 1
	done
	cluster_netns "$NS-etcd" rjhetcd "$CLUSTER_ETCD"
}

# cluster_endpoints [PREFIX]: the etcd members' client addresses, each after
# PREFIX (default http://), comma-separated.
cluster_endpoints() {
	local prefix=${1-http://}
	echo "${prefix}$CLUSTER_ETCD:2379,${prefix}$CLUSTER_ETCD:2479,${prefix}$CLUSTER_ETCD:2579"
}

# cluster_etcd_healthy: all 3 members answer and there is a quorum.
cluster_etcd_healthy() {
	timeout 5 etcdctl --endpoints="$(cluster_endpoints)" --dial-timeout=1s \
		--command-timeout=2s endpoint health > /dev/null 2>&1
}

# cluster_etcd_start: starts the 3 members in $NS-etcd, on their data dirs if
# they have them (as root: etcd needs no other user). Does not wait.
cluster_etcd_start() {
	local i c p peers=
	for i in 1 2 3; do
		peers+=${peers:+,}e$i=http://$CLUSTER_ETCD:$((2280 + 100 * i))
	done
	for i in 1 2 3; do
		c=$((2279 + 100 * i))
		p=$((c + 1))
		bg "CLUSTER_ETCD_PID[$i]" ip netns exec "$NS-etcd" /usr/bin/etcd --name "e$i" \
			--data-dir "$CLUSTER_DIR/etcd$i" \
			--listen-client-urls "http://$CLUSTER_ETCD:$c" \
			--advertise-client-urls "http://$CLUSTER_ETCD:$c" \
			--listen-peer-urls "http://$CLUSTER_ETCD:$p" \
			--initial-advertise-peer-urls "http://$CLUSTER_ETCD:$p" \
			--initial-cluster "$peers" --initial-cluster-state new \
			--initial-cluster-token rjh-test \
			--logger zap --log-outputs "$CLUSTER_DIR/etcd$i.log" > /dev/null 2>&1
	done
}

# cluster_patroni_yml N: node N's directory and Patroni config (see
# cluster-facts.md section 2). use_unix_socket: Patroni talks to its own
# PostgreSQL through the socket, so a cut network does not look like a dead
# PostgreSQL to it. dynamic_shared_memory_type mmap keeps DSM segments in the
# data dir instead of /dev/shm, where a killed postmaster would leave them.
# No fsync (initdb, pg_basebackup, PostgreSQL) for a faster bring-up: the
# harness kills processes, never the kernel, so the page cache keeps every
# write that returned.
cluster_patroni_yml() {
	local n=$1 d=$CLUSTER_DIR/pg$1 a
	a=$(cluster_addr "$n")
	install -d -o postgres -g postgres -m 0700 "$d" || return 1
	cat > "$d/patroni.yml" <<- EOF || return 1
		scope: rjh
		namespace: /rjhtest/
		name: pg$n
		restapi: {listen: '$a:8008', connect_address: '$a:8008'}
		etcd3: {hosts: '$(cluster_endpoints '')'}
		watchdog: {mode: 'off'}
		bootstrap:
		  dcs:
		    ttl: 10
		    loop_wait: 1
		    retry_timeout: 4
		    maximum_lag_on_failover: 1048576
		    failsafe_mode: false
		    postgresql: {use_pg_rewind: true, use_slots: true, parameters: {max_connections: 50}}
		  initdb: [{encoding: UTF8}, {locale: C.UTF-8}, no-sync]
		postgresql:
		  listen: '$a:5432'
		  connect_address: '$a:5432'
		  use_unix_socket: true
		  basebackup: [{checkpoint: fast}, no-sync]
		  data_dir: $d/data
		  bin_dir: $CLUSTER_PG_BIN
		  pgpass: $d/pgpass
		  authentication:
		    superuser: {username: postgres, password: su-pass}
		    replication: {username: replicator, password: repl-pass}
		    rewind: {username: rewinder, password: rew-pass}
		  parameters:
		    unix_socket_directories: '$d'
		    shared_buffers: 16MB
		    dynamic_shared_memory_type: mmap
		    fsync: 'off'
		  pg_hba:
		    - local all all trust
		    - host all all 10.77.0.0/24 trust
		    - host replication all 10.77.0.0/24 trust
	EOF
	chown postgres:postgres "$d/patroni.yml" && chmod 0600 "$d/patroni.yml"
}

# cluster_patroni_start N: Patroni of node N in its netns, as postgres (pg_ctl
# refuses root), with a clean environment, in an IPC namespace of its own: the
# SysV segment of a postmaster killed with -9 (the e2e harness does not
# namespace IPC) goes with the node's last process instead of staying on the
# machine. Its pid (unshare, env and setpriv exec) in CLUSTER_PATRONI_PID[N].
# Does not wait.
cluster_patroni_start() {
	local d=$CLUSTER_DIR/pg$1
	bg "CLUSTER_PATRONI_PID[$1]" ip netns exec "$NS-pg$1" unshare --ipc env -i -C "$d" HOME="$d" \
		PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 \
		setpriv --reuid=postgres --regid=postgres --init-groups \
		/usr/bin/patroni "$d/patroni.yml" >> "$CLUSTER_DIR/patroni$1.log" 2>&1
}

# cluster_stop_pid PID: SIGKILL one process this shell started, and reap it
# without bash's "Killed" notice.
cluster_stop_pid() {
	[ -n "${1:-}" ] || return 0
	kill -KILL "$1" 2> /dev/null
	wait "$1" 2> /dev/null
	return 0
}

# ------------------------------------------------------------- contract

# cluster_up: the whole cluster, from nothing: netns and veths, etcd x3,
# Patroni x3; waits (60 s) for a leader with 2 streaming replicas, then makes
# role and database rjh. Prints how long it took. Any failure ends the test
# with die, after the logs' tails.
cluster_up() {
	local t0 t1 t2 t3 i l
	t0=$(cluster_usec)
	[ -z "$CLUSTER_DIR" ] || die "cluster_up: the cluster is already up"
	getent passwd postgres > /dev/null || die "cluster_up: no user postgres (make deps)"
	CLUSTER_DIR=$(mktemp -d "$TOP/build/.cluster.XXXXXX") || die "cluster_up: no directory in build/"
	chmod 0755 "$CLUSTER_DIR"
	for i in 1 2 3; do
		cluster_patroni_yml "$i" || die "cluster_up: config of node $i"
	done
	cluster_net || die "cluster_up: network namespaces"
	t1=$(cluster_usec)
	cluster_etcd_start
	cluster_until 20 "etcd: 3 healthy members" cluster_etcd_healthy ||
		die "cluster_up: etcd did not come up"
	t2=$(cluster_usec)
	for i in 1 2 3; do
		cluster_patroni_start "$i"
	done
	cluster_until 60 "a leader with 2 streaming replicas" cluster_bootstrapped ||
		die "cluster_up: no leader with 2 streaming replicas"
	t3=$(cluster_usec)
	l=$(cluster_leader) || die "cluster_up: no leader after all"
	if ! CLUSTER_DB=postgres cluster_psql "$l" 'create role rjh login' > /dev/null ||
		! CLUSTER_DB=postgres cluster_psql "$l" 'create database rjh owner rjh' > /dev/null; then
		die "cluster_up: role and database rjh"
	fi
	echo "# cluster up in $(cluster_elapsed "$t0") s (setup $(((t1 - t0) / 10000))0 ms," \
		"etcd $(((t2 - t1) / 10000))0 ms, Patroni $(((t3 - t2) / 10000))0 ms," \
		"rjh $(cluster_elapsed "$t3") s): leader pg$l, data in $CLUSTER_DIR"
}

# cluster_leader: prints the number (1..3) of the node whose Patroni leads
# (REST /primary is 200); returns 1, printing nothing, unless exactly one does.
cluster_leader() {
	local i found=()
	for i in 1 2 3; do
		cluster_role_is "$i" primary && found+=("$i")
	done
	[ ${#found[@]} = 1 ] || return 1
	echo "${found[0]}"
}

# cluster_replicas: prints the numbers of the nodes running as replicas
# (REST /replica is 200), one a line; returns 1 if there is none. With etcd
# down, every node is one.
cluster_replicas() {
	local i rc=1
	for i in 1 2 3; do
		cluster_role_is "$i" replica && echo "$i" && rc=0
	done
	return $rc
}

# cluster_wait_leader SECS [EXCEPT]: waits until exactly one node leads (one
# other than node EXCEPT) and prints its number.
cluster_wait_leader() {
	cluster_until "$1" "a leader${2:+ other than pg$2}" cluster_leader_except "${2:-0}" &&
		cluster_leader
}

# cluster_wait_writable SECS: waits until some node takes a write through
# CLUSTER_CONNINFO, from this (the jumphost's) netns.
cluster_wait_writable() {
	cluster_until "$1" "a write through CLUSTER_CONNINFO" cluster_writable
}

# cluster_wait_streaming SECS: waits until a leader has 2 streaming replicas.
cluster_wait_streaming() {
	cluster_until "$1" "a leader with 2 streaming replicas" cluster_streaming
}

# cluster_kill_postmaster N: kill -9 node N's postmaster (its children follow;
# Patroni, still running, restarts it: no failover).
cluster_kill_postmaster() {
	local pm
	pm=$(cluster_postmaster "$1") || return 1
	kill -KILL "$pm"
}

# cluster_kill_node N: node N dies as in a power cut: kill -9 of its Patroni,
# its postmaster and every other process in its netns, all at once; returns
# when they are gone. A replica takes over if N led.
cluster_kill_node() {
	local pids
	pids=$(cluster_pids "$1")
	# shellcheck disable=SC2086
	[ -n "$pids" ] && kill -KILL $pids 2> /dev/null
	cluster_stop_pid "${CLUSTER_PATRONI_PID[$1]:-}"
	CLUSTER_PATRONI_PID[$1]=
	CLUSTER_HELD[$1]=
	cluster_until 10 "node $1's processes to end" cluster_no_pids "$1"
}

# cluster_start_node N: starts node N's Patroni again (after
# cluster_kill_node); it starts PostgreSQL, and rejoins as a replica, through
# pg_rewind if its timeline diverged. Does not wait: see cluster_wait_streaming.
cluster_start_node() {
	if [ -n "${CLUSTER_PATRONI_PID[$1]:-}" ] && ! cluster_gone "${CLUSTER_PATRONI_PID[$1]}"; then
		echo "cluster_start_node: node $1's Patroni is running" >&2
		return 1
	fi
	cluster_patroni_start "$1"
}

# cluster_cut N: node N off the network, both ways, silently (its bridge port
# goes down: no packet in or out, no RST). Its processes keep running.
cluster_cut() {
	ip link set "rjhpg$1" down
}

# cluster_heal N: node N back on the network.
cluster_heal() {
	ip link set "rjhpg$1" up
}

# etcd_down: SIGKILL all 3 etcd members (SIGTERM to all costs 7 s).
etcd_down() {
	local i
	# One at a time: kill, then wait at once, or bash reports "Killed".
	for i in 1 2 3; do
		cluster_stop_pid "${CLUSTER_ETCD_PID[$i]:-}"
		CLUSTER_ETCD_PID[i]=
	done
}

# etcd_up: restarts the 3 members on their data dirs (after etcd_down); waits
# (15 s) until they are healthy.
etcd_up() {
	local i
	for i in 1 2 3; do
		if [ -n "${CLUSTER_ETCD_PID[$i]:-}" ] && ! cluster_gone "${CLUSTER_ETCD_PID[$i]}"; then
			echo "etcd_up: member e$i is running" >&2
			return 1
		fi
	done
	cluster_etcd_start
	cluster_until 15 "etcd: 3 healthy members" cluster_etcd_healthy
}

# cluster_failsafe_is true|false: the leader's Patroni has failsafe_mode so in
# its view of the config, and with true has published the 3 members it must
# reach (key /rjhtest/rjh/failsafe), which is what it checks with etcd down.
cluster_failsafe_is() {
	local l conf members
	l=$(cluster_leader) || return 1
	conf=$(cluster_rest "$l" config) || return 1
	case $conf in *"\"failsafe_mode\": $1"*) ;; *) return 1 ;; esac
	[ "$1" = false ] && return 0
	members=$(timeout 5 etcdctl --endpoints="$(cluster_endpoints)" --command-timeout=2s \
		get --print-value-only /rjhtest/rjh/failsafe)
	[[ $members == *'"pg1"'* && $members == *'"pg2"'* && $members == *'"pg3"'* ]]
}

# cluster_set_failsafe on|off: Patroni's failsafe_mode (a leader that keeps
# writing while etcd is down, as long as it reaches every member), through
# patronictl edit-config; waits (10 s) until the leader acts on it.
# NB. patronictl hangs while etcd is down: bounded by timeout.
cluster_set_failsafe() {
	local v
	case $1 in
	on) v=true ;;
	off) v=false ;;
	*) echo "cluster_set_failsafe: on or off, not '$1'" >&2; return 1 ;;
	esac
	timeout 15 patronictl -c "$CLUSTER_DIR/pg1/patroni.yml" edit-config --force \
		-s "failsafe_mode=$v" > /dev/null &&
		cluster_until 10 "the leader to see failsafe_mode $v" cluster_failsafe_is "$v" || return 1
	# It reads the config at the start of its next loop (loop_wait 1).
	sleep 1.2
}

# standby_hold N: stops WAL replay on replica N (SIGSTOP to its startup
# process): it still receives WAL and serves reads, which go stale. Patroni
# would undo pg_wal_replay_pause() within a second; it does not notice this.
standby_hold() {
	local pid
	pid=$(cluster_startup_pid "$1") || return 1
	kill -STOP "$pid" && CLUSTER_HELD[$1]=$pid
}

# standby_release N: replay on node N resumes (catches up in under 1 s).
standby_release() {
	[ -n "${CLUSTER_HELD[$1]:-}" ] || return 1
	kill -CONT "${CLUSTER_HELD[$1]}"
	CLUSTER_HELD[$1]=
}

# cluster_partition_jumphost: the jumphost (10.77.0.1, this netns) and the
# nodes stop hearing each other, silently both ways (iptables DROP inside each
# node's netns: the jumphost's packets never arrive, and no answer leaves);
# nodes and etcd keep talking.
cluster_partition_jumphost() {
	local i
	for i in 1 2 3; do
		ip netns exec "$NS-pg$i" iptables -C INPUT -s "$JUMP_ADDR" -j DROP 2> /dev/null ||
			ip netns exec "$NS-pg$i" iptables -I INPUT -s "$JUMP_ADDR" -j DROP || return 1
		ip netns exec "$NS-pg$i" iptables -C OUTPUT -d "$JUMP_ADDR" -j DROP 2> /dev/null ||
			ip netns exec "$NS-pg$i" iptables -I OUTPUT -d "$JUMP_ADDR" -j DROP || return 1
	done
}

# cluster_heal_jumphost: undoes cluster_partition_jumphost.
cluster_heal_jumphost() {
	local i
	for i in 1 2 3; do
		while ip netns exec "$NS-pg$i" iptables -D INPUT -s "$JUMP_ADDR" -j DROP 2> /dev/null; do :; done
		while ip netns exec "$NS-pg$i" iptables -D OUTPUT -d "$JUMP_ADDR" -j DROP 2> /dev/null; do :; done
	done
	return 0
}

# cluster_down: the fast teardown; leaves no process, netns, data dir or
# shared memory segment (E2E_KEEP=DIR: the logs go to DIR/cluster first).
# SIGKILL Patroni (so that nothing restarts PostgreSQL), SIGCONT anything
# held, SIGQUIT the postmasters (immediate shutdown), SIGKILL etcd, delete.
# Shared memory goes with the processes (see cluster_patroni_start and
# cluster_patroni_yml).
# Safe to call twice, and from the EXIT path with a half-built cluster.
# Prints how long it took.
cluster_down() {
	local i pm pids keep=() ns t0 t1 t2
	[ -n "$CLUSTER_DIR" ] || return 0
	t0=$(cluster_usec)
	if [ -n "${E2E_KEEP:-}" ]; then
		mkdir -p "$E2E_KEEP/cluster" &&
			cp "$CLUSTER_DIR"/*.log "$CLUSTER_DIR"/pg1/patroni.yml "$E2E_KEEP/cluster/"
	fi
	for i in 1 2 3; do
		cluster_stop_pid "${CLUSTER_PATRONI_PID[$i]:-}"
	done
	for i in 1 2 3; do
		pids=$(cluster_pids "$i")
		# shellcheck disable=SC2086
		[ -n "$pids" ] && kill -CONT $pids 2> /dev/null
		pm=$(cluster_postmaster "$i") && kill -QUIT "$pm"
	done
	CLUSTER_PATRONI_PID=()
	CLUSTER_HELD=()
	cluster_until 10 "PostgreSQL to stop" cluster_no_pids 1 2 3
	t1=$(cluster_usec)
	etcd_down
	# Whatever is left (nothing, normally), then wait for the kernel to end it.
	pids=$(cluster_pids 1 2 3 etcd)
	# shellcheck disable=SC2086
	[ -n "$pids" ] && kill -KILL $pids 2> /dev/null
	cluster_until 5 "the last processes to end" cluster_no_pids 1 2 3 etcd
	t2=$(cluster_usec)
	for ns in "${NETNS[@]}"; do
		case $ns in
		"$NS"-pg[123] | "$NS"-etcd) ip netns del "$ns" 2> /dev/null ;;
		*) keep+=("$ns") ;;
		esac
	done
	NETNS=("${keep[@]}")
	rm -rf "$CLUSTER_DIR"
	CLUSTER_DIR=
	echo "# cluster down in $(cluster_elapsed "$t0") s (PostgreSQL $(((t1 - t0) / 10000))0 ms," \
		"etcd $(((t2 - t1) / 10000))0 ms, netns and files $(cluster_elapsed "$t2") s)"
}

# The e2e EXIT teardown, with cluster_down first; it keeps the status the test
# exits with.
eval "cluster_e2e_teardown() $(declare -f teardown | tail -n +2)"
teardown() {
	local rc=$?
	cluster_down > /dev/null 2>&1
	(exit $rc)
	cluster_e2e_teardown
}
