# Several jumphosts for tests: each a machine of its own, with its own
# network and mount namespace, its own sshd (the e2e jumphost's drop-in, PAM
# stack and NSS), runtime tree, registry cache and rjh-sync, all on one
# registry in PostgreSQL; hosts behind NAT that keep a tunnel to every
# jumphost; a client laptop whose ssh config fails over between them.
# Source it after tests/e2e/lib.sh, tests/cluster/lib.sh and tests/pg.sh,
# run e2e_setup, start the database (cluster_up), then jh_admin CONNINFO.
#
# The e2e script's own namespaces are the operator's machine ("outside"):
# rjh-admin runs there with $CONF (store = postgresql, no rjh-sync, no sshd).
# Jumphost NAME (jh_up NAME, the Nth one made):
#   network    netns $NS-NAME, veth rjhjN <-> eth0 at 10.77.0.(100+N)/24 on
#              the bridge rjhbr0 (hosts' NAT routers are 10.77.0.(10+K), the
#              cluster 10.77.0.20x and .250, the laptop .200); sshd listens on
#              that address and 127.0.0.1. Its kernel's listening sockets are
#              its own: that is what rjh-sync reports as presence.
#   mounts     a mount namespace of its own, held by a process that sleeps
#              in it (JH_HOLDER[NAME], entered through /proc/PID/ns/mnt), in
#              which its rjh.conf ($JH_WORK/NAME/rjh.conf, node_name = NAME)
#              is bound over $CONF (pam_rjh's conf=, nss_rjh's RJH_CONF) and
#              /etc/rjh/rjh.conf (the key helper, rjh-connect), and
#              `rjh-admin runtime` mounts its own tmpfs on /run/rjh at boot.
#              NB. Not `unshare --mount=FILE`: on this kernel (6.18) its bind
#              of the new namespace onto FILE fails now and then with EINVAL,
#              three times in a row once.
#   disk       $JH_WORK/NAME/reg: its registry cache, snapshots and spool;
#              its sshd host key (and certificate), logs.
# What survives jh_kill then jh_start, as on a machine that crashed and
# booted again: the disk (cache, spool, keys, config). What does not: every
# process, and the mount namespace with the runtime tree's tmpfs (/run).
#
# Hosts (jh_host NAME, or jh_hosts NAME... for many): enrolled from outside, their own sshd behind NAT
# (host_up), and a tunnel to every jumphost that `rjh-admin host-unit NAME`
# lists, each ssh run by a loop that restarts it $JH_RESTART_SEC after it
# exits (systemd's Restart=always, RestartSec); the ssh options are the
# rjh-tunnel@.service unit's. The pid of the ssh now running for host H to
# jumphost address A is in $WORK/hosts/H/tun-A.pid.
#
# The laptop (jh_laptop USER): client_up's netns; ~/.ssh/config is a block
# for the jumphosts (10.77.0.*: user, key) and `rjh-admin client-config`.
#
# The EXIT teardown is chained before cluster_down and the e2e teardown: it
# kills every jumphost's, host's and the laptop's processes at once (the
# mount namespaces go with their holders); the e2e teardown deletes the
# netns (they are in NETNS). Everything lives under $WORK, the e2e tmpfs.

JH_WORK=$WORK/jh
JH_RESTART_SEC=${JH_RESTART_SEC:-1}
JH_NAMES=()
JH_CONNINFO=
declare -A JH_ADDR JH_NUM JH_SYNC_PID JH_SSHD_PID JH_HOLDER

# jh_admin CONNINFO [CONF LINES...]: the outside's $CONF becomes an rjh-admin
# configuration of store = postgresql on CONNINFO (the lines added), and
# `rjh-admin init` makes the registry there. Jumphosts get CONNINFO too.
jh_admin() {
	local l
	JH_CONNINFO=$1
	shift
	mkdir -m 0755 "$JH_WORK" || return 1
	{
		echo "registry = $REG"
		echo "runtime_dir = $RUNTIME"
		echo "audit = best-effort"
		echo "store = postgresql"
		echo "conninfo = $JH_CONNINFO"
		echo "node_name = admin"
		for l in "$@"; do echo "$l"; done
	} > "$CONF.new" && cat "$CONF.new" > "$CONF" && rm -f "$CONF.new" || return 1
	rm -f "$REG" "$REG".*
	"$ADMIN" -c "$CONF" init > "$WORK/init-pg.out" 2>&1 || {
		cat "$WORK/init-pg.out" >&2
		return 1
	}
}

# ------------------------------------------------------------- jumphosts

# jh_exec NAME COMMAND...: COMMAND in jumphost NAME's network and mount
# namespaces (nsenter execs it: its pid is COMMAND's).
jh_exec() {
	local name=$1
	shift
	nsenter --mount="/proc/${JH_HOLDER[$name]}/ns/mnt" --net="/run/netns/$NS-$name" -- "$@"
}

# jh_rjh NAME ARGS...: rjh-admin on jumphost NAME, with its rjh.conf.
jh_rjh() {
	local name=$1
	shift
	jh_exec "$name" "$ADMIN" -c "$CONF" "$@"
}

# jh_pids NAME: the live processes of jumphost NAME (its netns's).
jh_pids() {
	local p
	for p in $(ip netns pids "$NS-$1" 2> /dev/null); do
		cluster_gone "$p" || echo "$p"
	done
}

jh_no_pids() {
	[ -z "$(jh_pids "$1")" ]
}

# jh_log NAME: the tails of jumphost NAME's sshd and rjh-sync logs.
jh_log() {
	local f
	for f in "$JH_WORK/$1/sshd.log" "$JH_WORK/$1/rjh-sync.log"; do
		[ -s "$f" ] || continue
		echo "    --- $1: ${f##*/} (last 15 lines)"
		tail -n 15 "$f" | cut -c 1-300 | sed 's/^/    | /'
	done
}

# jh_up NAME [CONF LINES...]: a new jumphost NAME: its network, disk,
# config (node_name = NAME, the lines added), registered from outside
# (`rjh-admin jumphost add NAME ADDRESS`), its sshd host key (certified by
# the host CA with `rjh-admin host-ca sign` when JH_CERT=yes), then jh_start.
jh_up() {
	local name=$1 n d l
	shift
	[ -z "${JH_NUM[$name]:-}" ] || die "jh_up: $name exists"
	n=$((${#JH_NAMES[@]} + 1))
	d=$JH_WORK/$name
	JH_NAMES+=("$name")
	JH_NUM[$name]=$n
	JH_ADDR[$name]=10.77.0.$((100 + n))
	cluster_netns "$NS-$name" "rjhj$n" "${JH_ADDR[$name]}" || die "jh_up: network of $name"
	mkdir -m 0755 "$d" "$d/reg" || die "jh_up: directories of $name"
	{
		echo "registry = $d/reg/registry.db"
		echo "runtime_dir = $RUNTIME"
		echo "audit = best-effort"
		echo "public_name = ${JH_ADDR[$name]}"
		echo "store = postgresql"
		echo "conninfo = $JH_CONNINFO"
		echo "node_name = $name"
		for l in "$@"; do echo "$l"; done
	} > "$d/rjh.conf" || die "jh_up: rjh.conf of $name"
	chmod 0644 "$d/rjh.conf"
	# Its own sshd drop-in, as each jumphost makes from its rjh.conf: the
	# KRL and trusted CAs it names are beside this jumphost's registry.
	"$ADMIN" -c "$d/rjh.conf" sshd-config --helper "$AKC" --keys-user "$KEYS_USER" \
		> "$d/sshd-rjh.conf" && chmod 0644 "$d/sshd-rjh.conf" ||
		die "jh_up: sshd-config of $name"
	rjh jumphost add "$name" "${JH_ADDR[$name]}" > "$d/add.out" 2>&1 ||
		die "jh_up: jumphost add $name: $(cat "$d/add.out")"
	ssh-keygen -q -N '' -t ed25519 -C "$name" -f "$d/ssh_host_ed25519_key" ||
		die "jh_up: host key of $name"
	if [ "${JH_CERT:-no}" = yes ]; then
		if ! rjh host-ca sign "$name" "$d/ssh_host_ed25519_key.pub" \
			> "$d/ssh_host_ed25519_key-cert.pub" 2> "$d/sign.err" ||
			[ ! -s "$d/ssh_host_ed25519_key-cert.pub" ]; then
			die "jh_up: rjh-admin host-ca sign $name: $(cat "$d/sign.err")"
		fi
	fi
	jh_start "$name"
}

# jh_boot_mounts NAME: its mount namespace, made fresh (as at boot): its
# rjh.conf bound over $CONF and /etc/rjh/rjh.conf, its sshd drop-in over
# the harness's, held by a sleeping process in its netns (so that jh_kill
# ends it with the rest).
jh_boot_mounts() {
	local name=$1 d=$JH_WORK/$1 i
	rm -f "$d/booted"
	# shellcheck disable=SC2016
	bg "JH_HOLDER[$name]" nsenter --net="/run/netns/$NS-$name" -- \
		unshare --mount --propagation private -- sh -c \
		'mount --bind "$1" "$2" && mount --bind "$1" /etc/rjh/rjh.conf &&
			mount --bind "$4" /etc/ssh/sshd_config.d/rjh.conf && : > "$3" &&
			exec sleep 2147483647' sh "$d/rjh.conf" "$CONF" "$d/booted" "$d/sshd-rjh.conf"
	for ((i = 0; i < 50; i++)); do
		[ -e "$d/booted" ] && return 0
		kill -0 "${JH_HOLDER[$name]}" 2> /dev/null || return 1
		sleep 0.1
	done
	return 1
}

# jh_start NAME: jumphost NAME boots: a fresh mount namespace (no tmpfs on
# /run/rjh until `rjh-admin runtime` mounts its own), then its units
# in their order: rjh-sync (waits, 10 s, for the cache and its snapshots),
# `rjh-admin runtime` (its own tmpfs on /run/rjh), sshd (waits until it
# listens). Dies on failure.
jh_start() {
	local name=$1 d=$JH_WORK/$1 i ms
	jh_no_pids "$name" || die "jh_start: $name is running"
	jh_boot_mounts "$name" || die "jh_start: mount namespace of $name"
	jh_exec "$name" ip link set lo up
	# nsenter itself, not jh_exec (a function would run in a subshell): $! is
	# the daemon's own pid.
	nsenter --mount="/proc/${JH_HOLDER[$name]}/ns/mnt" --net="/run/netns/$NS-$name" -- \
		"$TOP/build/rjh-sync" -c "$CONF" --verbose >> "$d/rjh-sync.log" 2>&1 &
	JH_SYNC_PID[$name]=$!
	for ((i = 0; i < 100; i++)); do
		[ -e "$d/reg/registry.db.synced" ] && [ -e "$d/reg/registry.db.login" ] && break
		kill -0 "${JH_SYNC_PID[$name]}" 2> /dev/null || break
		sleep 0.1
	done
	[ -e "$d/reg/registry.db.login" ] || {
		jh_log "$name" >&2
		die "jh_start: $name's rjh-sync made no cache"
	}
	jh_rjh "$name" runtime > "$d/runtime.out" 2>&1 ||
		die "jh_start: rjh-admin runtime on $name: $(cat "$d/runtime.out")"
	ms=$(sed -n 's/^#   MaxStartups //p' "$WORK/etc/sshd_config.d/rjh.conf")
	JH_SSHD_OPTS=(-o "HostKey=$d/ssh_host_ed25519_key" -o "PidFile=$d/sshd.pid"
		-o "ListenAddress=${JH_ADDR[$name]}" -o "ListenAddress=127.0.0.1"
		-o "LogLevel=VERBOSE" -o "MaxStartups=$ms")
	[ -s "$d/ssh_host_ed25519_key-cert.pub" ] &&
		JH_SSHD_OPTS+=(-o "HostCertificate=$d/ssh_host_ed25519_key-cert.pub")
	jh_exec "$name" "$JUMP_SSHD" -t "${JH_SSHD_OPTS[@]}" > "$d/sshd-t.out" 2>&1 ||
		die "jh_start: sshd -t on $name: $(cat "$d/sshd-t.out")"
	nsenter --mount="/proc/${JH_HOLDER[$name]}/ns/mnt" --net="/run/netns/$NS-$name" -- \
		"$JUMP_SSHD" -D -E "$d/sshd.log" "${JH_SSHD_OPTS[@]}" &
	JH_SSHD_PID[$name]=$!
	wait_for 10 "$name's sshd on ${JH_ADDR[$name]}:22" jh_listening "$name" || {
		jh_log "$name" >&2
		die "jh_start: $name's sshd did not start"
	}
}

jh_listening() {
	kill -0 "${JH_SSHD_PID[$1]}" 2> /dev/null || return 3
	nc -z -w 1 "${JH_ADDR[$1]}" 22
}

# jh_kill NAME: kill -9 everything of jumphost NAME at once (sshd, its
# children, rjh-sync, anything else in its netns); returns once they are
# gone. Its mount namespace (and so its runtime tmpfs) goes with them: what
# is left is what a machine keeps across a crash, its disk.
jh_kill() {
	local name=$1 pids
	pids=$(jh_pids "$name")
	# shellcheck disable=SC2086
	[ -n "$pids" ] && kill -KILL $pids 2> /dev/null
	cluster_stop_pid "${JH_SYNC_PID[$name]:-}"
	cluster_stop_pid "${JH_SSHD_PID[$name]:-}"
	cluster_stop_pid "${JH_HOLDER[$name]:-}"
	JH_SYNC_PID[$name]=
	JH_SSHD_PID[$name]=
	JH_HOLDER[$name]=
	cluster_until 10 "$name's processes to end" jh_no_pids "$name"
}

# jh_sync_kill NAME: kill -9 jumphost NAME's rjh-sync alone.
jh_sync_kill() {
	cluster_stop_pid "${JH_SYNC_PID[$1]:-}"
	JH_SYNC_PID[$1]=
}

# jh_tunnels NAME: the hosts whose tunnel jumphost NAME's kernel has
# listening, sorted, one a line. Every chrooted host binds "/sock/ssh.sock",
# so a socket is told apart by the uid of the sshd that listens on it (ss
# names its pid), and that uid by NSS on NAME.
jh_tunnels() {
	local pid uids=()
	for pid in $(ip netns exec "$NS-$1" ss -xlpH 2> /dev/null |
		awk '$5 == "/sock/ssh.sock"' | grep -o 'pid=[0-9]*' | cut -d= -f2 | sort -u); do
		uids+=("$(awk '$1 == "Uid:" { print $2 }' "/proc/$pid/status" 2> /dev/null)")
	done
	[ ${#uids[@]} -gt 0 ] || return 0
	jh_exec "$1" getent passwd "${uids[@]}" | cut -d: -f1 | sort -u
}

# jh_has_tunnels NAME HOST...: every HOST's tunnel is listening on NAME.
jh_has_tunnels() {
	local name=$1 have h
	shift
	have=$(jh_tunnels "$name")
	for h in "$@"; do
		grep -qx -- "$h" <<< "$have" || return 1
	done
}

# jh_teardown: the EXIT path: SIGKILL to every process in the jumphosts',
# hosts' and laptop's netns at once (one pass over /proc, not one per netns:
# with 20 hosts that saved about 15 s), then jh_kill each jumphost (its
# mount namespace goes with its holder). The cluster's are cluster_down's.
jh_teardown() {
	local name ns inos='' pids
	for ns in "${NETNS[@]}"; do
		case $ns in "$NS"-pg[123] | "$NS"-etcd) continue ;; esac
		inos+=" $(stat -L -c %i "/run/netns/$ns" 2> /dev/null)"
	done
	pids=$(stat -L -c '%i %n' /proc/[0-9]*/ns/net 2> /dev/null | awk -v list="$inos" '
		BEGIN { n = split(list, a, " "); for (i = 1; i <= n; i++) want[a[i]] = 1 }
		$1 in want { split($2, p, "/"); print p[3] }')
	# shellcheck disable=SC2086
	[ -n "$pids" ] && kill -KILL $pids 2> /dev/null
	for name in "${JH_NAMES[@]}"; do
		jh_kill "$name" > /dev/null 2>&1
	done
	JH_NAMES=()
}

# ----------------------------------------------------------------- hosts

# jh_host NAME: a host behind NAT: its key, enrolled from outside, its sshd
# up (host_up; the laptop's users' keys let in as root), its own host key
# recorded (set-host-key), and its tunnels (jh_host_tunnels).
jh_host() {
	local name=$1 pub
	mkdir -p "$WORK/hosts/$name"
	pub=$(new_key "$name") || die "key for $name"
	rjh enroll "$name" "$pub" > "$WORK/hosts/$name/enroll.out" 2>&1 ||
		die "enroll $name: $(cat "$WORK/hosts/$name/enroll.out")"
	host_up "$name"
	cat "$WORK/client/alice.pub" >> "$WORK/hosts/$name/authorized_keys"
	rjh set-host-key "$name" "$WORK/hosts/$name/ssh_host_ed25519_key.pub" > /dev/null ||
		die "set-host-key $name"
	jh_host_tunnels "$name"
}

# jh_hosts NAME...: jh_host for many hosts, the rjh-admin calls (enroll,
# set-host-key) 4 at a time.
jh_hosts() {
	local h
	for h in "$@"; do
		mkdir -p "$WORK/hosts/$h" || die "directory of $h"
		new_key "$h" > /dev/null || die "key for $h"
	done
	# shellcheck disable=SC2016
	printf '%s\n' "$@" | xargs -P 4 -I{} sh -c '"$1" -c "$2" enroll {} "$3/keys/{}.pub" \
		> "$3/hosts/{}/enroll.out" 2>&1' sh "$ADMIN" "$CONF" "$WORK" ||
		die "enroll: $(cat "$WORK"/hosts/*/enroll.out | grep -v '^ ' | head -5)"
	for h in "$@"; do
		host_up "$h"
		cat "$WORK/client/alice.pub" >> "$WORK/hosts/$h/authorized_keys"
	done
	# shellcheck disable=SC2016
	printf '%s\n' "$@" | xargs -P 4 -I{} sh -c '"$1" -c "$2" set-host-key {} \
		"$3/hosts/{}/ssh_host_ed25519_key.pub" > /dev/null' sh "$ADMIN" "$CONF" "$WORK" ||
		die "set-host-key"
	for h in "$@"; do
		jh_host_tunnels "$h"
	done
}

# jh_host_targets NAME: the jumphosts `rjh-admin host-unit NAME` enables a
# tunnel to (rjh-tunnel@ADDRESS[:PORT].service, quoted or not), one a line.
jh_host_targets() {
	rjh host-unit "$1" | grep -o "enable --now '\?rjh-tunnel@[^ ']*\.service" |
		sed "s/^enable --now '\?rjh-tunnel@//; s/\.service\$//" | sort -u
}

# jh_host_tunnels NAME: what a host does when it re-runs the one command: its
# known_hosts for the jumphosts from `rjh-admin host-unit NAME --known-hosts`
# (written only the first time: a host pins it once), and a tunnel (its
# restart loop) to every jumphost host-unit lists that it has none to yet.
jh_host_tunnels() {
	local name=$1 dir=$WORK/hosts/$1 t
	if [ ! -s "$dir/jumphost_known_hosts" ]; then
		if ! rjh host-unit "$name" --known-hosts > "$dir/jumphost_known_hosts" 2> "$dir/kh.err" ||
			[ ! -s "$dir/jumphost_known_hosts" ]; then
			die "host-unit $name --known-hosts: $(cat "$dir/kh.err")"
		fi
	fi
	t=$(jh_host_targets "$name")
	[ -n "$t" ] || die "host-unit $name lists no jumphost"
	for t in $t; do
		[ -e "$dir/tun-$t.loop" ] || jh_tunnel_loop "$name" "$t"
	done
}

# jh_tunnel_loop HOST TARGET: in HOST's netns, the rjh-tunnel@TARGET unit's
# ssh (TARGET is ADDRESS or ADDRESS:PORT), started again JH_RESTART_SEC
# after each exit. The loop's pid is in $WORK/hosts/HOST/tun-TARGET.loop,
# the running ssh's in tun-TARGET.pid, each exit status in tun-TARGET.exits.
jh_tunnel_loop() {
	local name=$1 t=$2 dir=$WORK/hosts/$1 pid
	# shellcheck disable=SC2016
	bg pid ip netns exec "${HOST_NS[$name]}" bash -c '
		f=$1 rs=$2
		shift 2
		exec 2>> "$f.err"
		while :; do
			ssh "$@" < /dev/null &
			echo $! > "$f.pid"
			wait $!
			echo "$? $(date +%s.%N)" >> "$f.exits"
			sleep "$rs"
		done' rjh-tunnel "$dir/tun-$t" "$JH_RESTART_SEC" \
		-N -F none -o BatchMode=yes -o IdentitiesOnly=yes -i "$WORK/keys/$name" \
		-o "UserKnownHostsFile=$dir/jumphost_known_hosts" -o GlobalKnownHostsFile=/dev/null \
		-o StrictHostKeyChecking=yes -o CheckHostIP=no -o UpdateHostKeys=no \
		-o ExitOnForwardFailure=yes -o ServerAliveInterval=5 -o ServerAliveCountMax=3 \
		-o ConnectTimeout=5 -E "$dir/tun-$t.log" \
		-R /sock/ssh.sock:localhost:22 "ssh://$name@$t"
	echo "$pid" > "$dir/tun-$t.loop"
}

# jh_tunnel_pid HOST TARGET: the pid of HOST's ssh to TARGET now.
jh_tunnel_pid() {
	cat "$WORK/hosts/$1/tun-$2.pid" 2> /dev/null
}

# ---------------------------------------------------------------- laptop

# jh_laptop USER [CLIENT-CONFIG ARGS...]: USER's ~/.ssh on the laptop: a
# block for every jumphost (10.77.0.*: USER, USER's key), a block for the
# hosts (root, the same key), then `rjh-admin client-config ARGS`; its
# known_hosts files from `rjh-admin host-ca known-hosts` (the jumphosts,
# ~/.ssh/known_hosts.rjh-jumphosts) and `rjh-admin known-hosts` (the hosts).
jh_laptop() {
	local u=$1 h=$WORK/home/$1/.ssh
	shift
	[ -d "$h" ] || mkdir -m 0700 "$h" || return 1
	{
		echo "Host 10.77.0.*"
		echo "    User $u"
		echo "    IdentityFile ~/.ssh/id_ed25519"
		echo "    IdentitiesOnly yes"
		echo "    BatchMode yes"
		echo "    CheckHostIP no"
		echo "Host host-*"
		echo "    User root"
		echo "    IdentityFile ~/.ssh/id_ed25519"
		echo "    IdentitiesOnly yes"
		echo "    BatchMode yes"
		echo "    LogLevel ERROR"
		rjh client-config "$@"
	} > "$h/config" || return 1
	cp "$WORK/client/$u" "$h/id_ed25519" &&
		rjh host-ca known-hosts > "$h/known_hosts.rjh-jumphosts" &&
		: > "$h/known_hosts" && jh_laptop_hosts "$u" &&
		chown -R "$u:$u" "$h" && chmod 0600 "$h/config" "$h/id_ed25519"
}

# jh_laptop_hosts USER: the hosts' own keys for USER to pin, from
# `rjh-admin known-hosts`: again after a host is enrolled.
jh_laptop_hosts() {
	local h=$WORK/home/$1/.ssh
	rjh known-hosts > "$h/known_hosts.rjh" 2> /dev/null && chown "$1:$1" "$h/known_hosts.rjh"
}

# jh_reach VIA HOST [COMMAND...]: alice on the laptop runs `ssh HOST COMMAND`
# (default hostname) with RJH_JUMPHOSTS=VIA (addresses, or "" for the
# config's own order), bounded by 30 s.
jh_reach() {
	local via=$1 host=$2
	shift 2
	[ $# -gt 0 ] || set -- hostname
	if [ -n "$via" ]; then
		laptop alice env RJH_JUMPHOSTS="$via" timeout 30 ssh "$host" "$@"
	else
		laptop alice timeout 30 ssh "$host" "$@"
	fi
}

# jh_reach_all VIA HOST...: jh_reach VIA H for every HOST, 6 at a time; each
# must print H. Prints the ones that did not, with what they said; returns 1
# if there is one.
jh_reach_all() {
	local via=$1 h bad
	shift
	export -f jh_reach laptop
	export NS WORK via
	# shellcheck disable=SC2016
	bad=$(printf '%s\n' "$@" | xargs -P 6 -I{} bash -c '
		out=$(jh_reach "$via" {} hostname 2> "$WORK/.reach-{}")
		[ "$out" = {} ] || echo "{}: ${out:0:100} $(tail -c 300 "$WORK/.reach-{}")"')
	[ -z "$bad" ] && return 0
	echo "$bad"
	return 1
}

# ------------------------------------------------------------- teardown

# The EXIT teardown: the jumphosts first, then the cluster and the e2e
# teardown it chains (tests/cluster/lib.sh), keeping the status.
eval "jh_cluster_teardown() $(declare -f teardown | tail -n +2)"
teardown() {
	local rc=$?
	jh_teardown > /dev/null 2>&1
	(exit $rc)
	jh_cluster_teardown
}
