# The end-to-end harness: a real sshd as the jumphost, hosts behind NAT in
# network namespaces, rjh in between. Source it from tests/e2e/t_*.sh (and
# demo.sh); call `finish` at the end.
#
# Everything runs in private mount, network and PID namespaces of its own (the
# script re-executes itself under `unshare`), so nothing outside changes:
#   /run, /tmp            fresh tmpfs (/tmp kept when the tree is under it); the workspace is /run/rjh-e2e and the
#                         runtime tree /run/rjh, which gets a tmpfs of its own
#                         (in this namespace) once a test runs `rjh runtime`
#   /etc                  read-only, with bind mounts of test copies of passwd
#                         and group (plus the key helper's user `rjh`),
#                         nsswitch.conf (`files rjh`), pam.d (service
#                         rjh-sshd) and ssh/sshd_config.d (the rjh drop-in)
#   /dev                  a tmpfs holding bind mounts of the real null, zero,
#                         full, random, urandom, tty and shm, the fd and std*
#                         links, a devpts of its own (ptmx -> pts/ptmx), and
#                         /dev/log: build/tools/syslog-sink appends every
#                         syslog(3) message to $SYSLOG ($WORK/syslog), one line
#                         each, "<PRI>" prefix kept (authpriv.err is <83>).
#                         syslog_mark, then syslog_since, gives what was logged
#                         in between.
#   network               the script's own namespace is the jumphost side:
#                         lo and a bridge at 10.77.0.1/24. Host N lives in
#                         netns rjh-e2e-PID-hN at 10.77.N.2 behind router
#                         netns rjh-e2e-PID-rN, which MASQUERADEs it to
#                         10.77.0.(10+N) and lets nothing in.
# Host accounts come from build/libnss_rjh.so.2 (LD_LIBRARY_PATH, RJH_CONF).
# rjh.conf's public_name is the jumphost's link address, so that the tunnel
# command `rjh-admin enroll` prints is the one the hosts run.
# The EXIT trap kills every process in these namespaces and deletes them;
# E2E_KEEP=DIR first copies the workspace (logs, keys, registry) to DIR.
set -u

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
. "$TOP/tests/assert.sh"
. "$TOP/tests/devlog.sh"
TEST_NAME=${TEST_NAME:-$(basename "$0" .sh)}

if [ "${RJH_E2E_INNER:-}" != "$TOP" ]; then
	if [ "$(id -u)" != 0 ]; then
		echo "$TEST_NAME: must run as root (namespaces, sshd, chroot)" >&2
		exit 1
	fi
	for tool in unshare setpriv ip ss iptables nc pgrep logger ssh ssh-keygen ssh-agent sftp \
		/usr/sbin/sshd; do
		if ! command -v "$tool" > /dev/null; then
			echo "$TEST_NAME: $tool is missing (make deps)" >&2
			exit 1
		fi
	done
	for f in rjh-admin rjh-authorized-keys libnss_rjh.so.2 pam_rjh.so tools/syslog-sink; do
		if [ ! -e "$TOP/build/$f" ]; then
			echo "$TEST_NAME: build/$f is missing (run make)" >&2
			exit 1
		fi
	done
	# auditd of our own, from here: the kernel takes audit control only from
	# the initial PID namespace. Its log lives in build/, which the test sees.
	. "$TOP/tests/auditd.sh"
	e2e_audit_dir=$(mktemp -d "$TOP/build/.e2e-audit.XXXXXX") || exit 1
	trap 'auditd_stop; rm -rf "$e2e_audit_dir"' EXIT
	if auditd_start "$e2e_audit_dir"; then
		export RJH_E2E_AUDIT_LOG=$AUDIT_LOG
	else
		echo "$TEST_NAME: no auditd of its own ($AUDIT_WHY): audit checks will fail" >&2
		export RJH_E2E_AUDIT_LOG=
	fi
	# A PID namespace too: if the test dies without its EXIT trap (kill -9),
	# the kernel still ends every process it started.
	RJH_E2E_INNER=$TOP RJH_E2E_ID=$$ unshare --mount --net --pid --fork --mount-proc \
		--propagation private -- bash "$0" "$@" &
	e2e_unshare=$!
	# unshare holds SIGINT and SIGTERM while it waits: hand them to the test
	# (its only child), whose EXIT trap then tears everything down.
	trap 'kill -TERM $(pgrep -P "$e2e_unshare") 2> /dev/null' INT TERM HUP
	while :; do
		wait "$e2e_unshare"
		e2e_rc=$?
		kill -0 "$e2e_unshare" 2> /dev/null || exit $e2e_rc
	done
fi
. "$TOP/tests/auditd.sh"
AUDIT_LOG=${RJH_E2E_AUDIT_LOG:-/nonexistent}

ADMIN=$TOP/build/rjh-admin
HELPER=$TOP/build/rjh-authorized-keys
WORK=/run/rjh-e2e
RUNTIME=/run/rjh
CONF=$WORK/rjh.conf
REG=$WORK/reg/registry.db
JUMP_ADDR=10.77.0.1
NS=rjh-e2e-${RJH_E2E_ID:-$$}
JUMP_SSHD=$WORK/bin/rjh-sshd
JUMP_LOG=$WORK/jump/sshd.log
SYSLOG=$WORK/syslog
LOG_MARK=0
NETNS=()
HOST_COUNT=0
declare -A HOST_NS HOST_ADDR HOST_PUBLIC TUNNEL_PID

# ---------------------------------------------------------------- output

# The jumphost's sshd log written since the last assertion (or all of it).
jump_log_since() {
	[ -f "$JUMP_LOG" ] || return 0
	tail -c +$((${1:-0} + 1)) "$JUMP_LOG" | tail -n "${2:-40}" | sed 's/^/    | /'
}

log_mark() {
	LOG_MARK=$(stat -c %s "$JUMP_LOG" 2> /dev/null || echo 0)
}

ok() {
	PASS=$((PASS + 1))
	echo "ok - $*"
	log_mark
}

# A failure prints what the jumphost's sshd logged while the step ran.
not_ok() {
	FAIL=$((FAIL + 1))
	echo "not ok - $*"
	if [ -s "$JUMP_LOG" ]; then
		echo "    jumphost sshd log since the previous check:"
		jump_log_since "$LOG_MARK"
	fi
	log_mark
}

# Setup failures end the test: what follows would only repeat them.
die() {
	echo "$TEST_NAME: setup failed: $*" >&2
	if [ -s "$JUMP_LOG" ]; then
		echo "    jumphost sshd log (tail):" >&2
		jump_log_since 0 60 >&2
	fi
	FAIL=$((FAIL + 1))
	finish
	exit 1
}

finish() {
	echo "$TEST_NAME: $PASS passed, $FAIL failed"
	[ "$FAIL" = 0 ]
}

# ------------------------------------------------------------ assertions

# expect RC DESCRIPTION -- COMMAND...: runs COMMAND, checks its exit status,
# keeps stdout in $OUT, stderr in $ERR and the status in $RC.
expect() {
	local want=$1 desc=$2
	shift 3
	OUT=$("$@" 2> "$WORK/.err")
	RC=$?
	ERR=$(cat "$WORK/.err")
	if [ "$RC" = "$want" ]; then
		ok "$desc"
	else
		not_ok "$desc (exit $RC, wanted $want; stdout: ${OUT:0:200}; stderr: ${ERR:0:300})"
	fi
}

# expect_fail DESCRIPTION -- COMMAND...: like expect, but any non-zero status passes.
expect_fail() {
	local desc=$1
	shift 2
	OUT=$("$@" 2> "$WORK/.err")
	RC=$?
	ERR=$(cat "$WORK/.err")
	if [ "$RC" != 0 ]; then
		ok "$desc"
	else
		not_ok "$desc (exit 0, wanted failure; stdout: ${OUT:0:200}; stderr: ${ERR:0:300})"
	fi
}


# check DESCRIPTION -- COMMAND...: COMMAND succeeds (its output is not kept).
check() {
	local desc=$1
	shift 2
	if "$@" > /dev/null 2>&1; then
		ok "$desc"
	else
		not_ok "$desc"
	fi
}

# refute DESCRIPTION -- COMMAND...: COMMAND fails.
refute() {
	local desc=$1
	shift 2
	if "$@" > /dev/null 2>&1; then
		not_ok "$desc"
	else
		ok "$desc"
	fi
}

# absent PATH DESCRIPTION: nothing at PATH, not even a dangling symlink.
absent() {
	if [ -e "$1" ] || [ -L "$1" ]; then
		not_ok "$2: $(ls -ld "$1")"
	else
		ok "$2"
	fi
}

# owner_mode PATH "USER:GROUP MODE TYPE" DESCRIPTION
owner_mode() {
	eq "$(stat -c '%U:%G %a %F' "$1" 2>&1)" "$2" "$3"
}

# wait_for SECONDS DESCRIPTION COMMAND...: polls COMMAND every 0.1 s until it
# succeeds (0); a status of 3 gives up at once. On failure prints the log.
wait_for() {
	local secs=$1 desc=$2 rc i
	shift 2
	for ((i = 0; i < secs * 10; i++)); do
		"$@"
		rc=$?
		[ $rc = 0 ] && return 0
		[ $rc = 3 ] && break
		sleep 0.1
	done
	echo "    timed out or gave up waiting for: $desc" >&2
	if [ -s "$JUMP_LOG" ]; then
		echo "    jumphost sshd log since the previous check:" >&2
		jump_log_since "$LOG_MARK" >&2
	fi
	return 1
}

# ------------------------------------------------------------- processes

# Ends every process we started and deletes the network namespaces. Every
# process in our namespaces is ours: this script's network and PID namespaces
# are fresh, and so is each named one. Runs on EXIT.
teardown() {
	local rc=$? ns self pids
	trap - EXIT
	if [ -n "${E2E_KEEP:-}" ] && [ -d "$WORK" ]; then
		mkdir -p "$E2E_KEEP" && cp -a "$WORK/." "$E2E_KEEP/" 2> /dev/null
		echo "$TEST_NAME: workspace copied to $E2E_KEEP" >&2
	fi
	# Not bash's "Killed" notices for the jobs ended here.
	exec 2> /dev/null
	for ns in "${NETNS[@]}"; do
		pids=$(ip netns pids "$ns" 2> /dev/null)
		# shellcheck disable=SC2086
		[ -n "$pids" ] && kill -KILL $pids 2> /dev/null
	done
	self=$(stat -L -c %i /proc/$$/ns/net)
	pids=$(stat -L -c '%i %n' /proc/[0-9]*/ns/net 2> /dev/null |
		awk -v ino="$self" -v me=$$ '$1 == ino { split($2, p, "/"); if (p[3] != me) print p[3] }')
	# shellcheck disable=SC2086
	[ -n "$pids" ] && kill -KILL $pids 2> /dev/null
	wait 2> /dev/null
	for ns in "${NETNS[@]}"; do
		ip netns del "$ns" 2> /dev/null
	done
	if [ -n "${TEARDOWN_REPORT:-}" ]; then
		echo "   ended every process started, deleted ${#NETNS[@]} network namespaces;" \
			"$(ls /run/netns 2> /dev/null | wc -l) left"
	fi
	exit $rc
}
trap teardown EXIT
trap 'echo "$TEST_NAME: interrupted"; FAIL=$((FAIL + 1)); finish; exit 130' INT TERM HUP

# bg VAR COMMAND...: starts COMMAND in the background, its pid in VAR. COMMAND
# must be a program, not a shell function, for that pid to be its own.
bg() {
	local var=$1
	shift
	"$@" &
	printf -v "$var" %s $!
}

# stop PID: kills one process we started and reaps it quietly.
stop() {
	[ -n "${1:-}" ] || return 0
	kill -KILL "$1" 2> /dev/null
	wait "$1" 2> /dev/null
	return 0
}

# ------------------------------------------------------------ the machine

# The user the key helper runs as: a free system uid/gid, or an existing rjh.
pick_keys_user() {
	local u
	KEYS_USER=rjh
	if getent passwd rjh > /dev/null; then
		KEYS_GROUP=$(id -gn rjh)
		return 0
	fi
	for u in 990 991 992 993 994 995 989 988 987 986 985; do
		if ! getent passwd "$u" > /dev/null && ! getent group "$u" > /dev/null &&
			! getent group rjh > /dev/null; then
			echo "rjh:x:$u:$u:rjh key helper (e2e):/nonexistent:/usr/sbin/nologin" >> "$WORK/etc/passwd"
			echo "rjh:x:$u:" >> "$WORK/etc/group"
			KEYS_GROUP=rjh
			return 0
		fi
	done
	return 1
}

# Client accounts on the jumphost, for rjh-connect: alice (in group ops) and
# bob, uids CLIENT_UID.., with homes under $WORK/home (keys: e2e_clients).
add_client_accounts() {
	local u=64001 g=64100
	while getent passwd "$u" > /dev/null || getent passwd $((u + 1)) > /dev/null ||
		getent group "$u" > /dev/null || getent group $((u + 1)) > /dev/null ||
		getent group "$g" > /dev/null; do
		u=$((u + 10))
		g=$((g + 10))
		[ $u -lt 65000 ] || return 1
	done
	for n in alice bob ops; do
		! getent passwd "$n" > /dev/null && ! getent group "$n" > /dev/null || return 1
	done
	CLIENT_UID=$u
	echo "alice:*:$u:$u:rjh e2e client:$WORK/home/alice:/bin/sh" >> "$WORK/etc/passwd"
	echo "bob:*:$((u + 1)):$((u + 1)):rjh e2e client:$WORK/home/bob:/bin/sh" >> "$WORK/etc/passwd"
	{
		echo "alice:x:$u:"
		echo "bob:x:$((u + 1)):"
		echo "ops:x:$g:alice"
	} >> "$WORK/etc/group"
}

# sshd wants the AuthorizedKeysCommand and every directory above it owned by
# root and writable by nobody else.
path_is_root_only() {
	local p=$1
	while :; do
		[ "$(stat -L -c %u "$p")" = 0 ] || return 1
		[ $(($(stat -L -c 0%a "$p") & 022)) = 0 ] || return 1
		[ "$p" = / ] && return 0
		p=$(dirname "$p")
	done
}

e2e_mounts() {
	# A fresh /run and /tmp, unless the tree under test lives there (a CI clone
	# in /tmp): hiding it would hide the binaries being tested.
	case "$TOP/" in
	/run/*) echo "e2e: the source tree must not live under /run" >&2; return 1 ;;
	esac
	mount -t tmpfs -o mode=0755,size=64m rjh-e2e-run /run || return 1
	case "$TOP/" in
	/tmp/*) ;;
	*) mount -t tmpfs -o mode=1777,size=64m rjh-e2e-tmp /tmp || return 1 ;;
	esac
	# /etc as an overlay, so that /etc/rjh/rjh.conf (the only config
	# rjh-connect reads) can exist here; it is bound to $CONF later.
	mkdir -p /run/.e2e-etc/up /run/.e2e-etc/work &&
		mount -t overlay rjh-e2e-etc \
			-o lowerdir=/etc,upperdir=/run/.e2e-etc/up,workdir=/run/.e2e-etc/work /etc &&
		mkdir -p -m 0755 /etc/rjh && : > /etc/rjh/rjh.conf || return 1
	mkdir -m 0755 /run/sshd "$WORK" "$WORK/etc" "$WORK/bin" "$WORK/jump" "$WORK/hosts" \
		"$WORK/keys" "$WORK/client" "$WORK/etc/sshd_config.d" "$WORK/home" || return 1
	cp /etc/passwd /etc/group "$WORK/etc/" || return 1
	pick_keys_user || return 1
	add_client_accounts || return 1
	printf 'passwd: files rjh\ngroup: files rjh\nshadow: files\nhosts: files\n' \
		> "$WORK/etc/nsswitch.conf"
	cp -a /etc/pam.d "$WORK/etc/pam.d" || return 1
	pam_stack on || return 1
	chmod 0644 "$WORK/etc/"*
	mount --bind "$WORK/etc/passwd" /etc/passwd &&
		mount --bind "$WORK/etc/group" /etc/group &&
		mount --bind "$WORK/etc/nsswitch.conf" /etc/nsswitch.conf &&
		mount --bind "$WORK/etc/pam.d" /etc/pam.d &&
		mount --bind "$WORK/etc/sshd_config.d" /etc/ssh/sshd_config.d || return 1
	# Nothing this test runs may write to the machine's /etc.
	mount --rbind /etc /etc && mount -o remount,bind,ro /etc || return 1
	ln -s /usr/sbin/sshd "$JUMP_SSHD"
}

# pam_stack on|off: sshd's PAM service (the name it runs under, $JUMP_SSHD)
# is Debian's /etc/pam.d/sshd, with pam_rjh added after common-account and
# common-session (on) or not (off). libpam reads it at each connection, so a
# change applies to the next login without restarting sshd.
pam_stack() {
	local so="$TOP/build/pam_rjh.so conf=$CONF"
	if [ "$1" = on ]; then
		sed -e "s|^@include common-account\$|&\naccount    required     $so|" \
			-e "s|^@include common-session\$|&\nsession    required     $so|" \
			/etc/pam.d/sshd
	else
		cat /etc/pam.d/sshd
	fi > "$WORK/etc/pam.d/rjh-sshd.new" && chmod 0644 "$WORK/etc/pam.d/rjh-sshd.new" &&
		mv "$WORK/etc/pam.d/rjh-sshd.new" "$WORK/etc/pam.d/rjh-sshd" || return 1
	[ "$1" = off ] || [ "$(grep -c pam_rjh "$WORK/etc/pam.d/rjh-sshd")" = 2 ]
}

# The registry, its config and the sshd drop-in.
e2e_registry() {
	cat > "$CONF" <<- EOF
		registry = $REG
		runtime_dir = $RUNTIME
		audit = best-effort
		public_name = $JUMP_ADDR
	EOF
	# More rjh.conf lines a test needs (one per line), e.g. user_ca_key.
	[ -z "${E2E_CONF_EXTRA:-}" ] || printf '%s\n' "$E2E_CONF_EXTRA" >> "$CONF"
	chmod 0644 "$CONF"
	"$ADMIN" -c "$CONF" init ${E2E_INIT_ARGS:-} > "$WORK/init.out" 2>&1 || return 1
	# The helper runs as $KEYS_USER and reads the login snapshot through its
	# group (init gives it the group of keys_user, rjh); the registry stays
	# root's alone. t_sshd checks both.
	AKC=$HELPER
	if ! path_is_root_only "$HELPER"; then
		mkdir -m 0755 "$WORK/libexec"
		install -m 0755 "$HELPER" "$WORK/libexec/rjh-authorized-keys"
		AKC=$WORK/libexec/rjh-authorized-keys
	fi
	"$ADMIN" -c "$CONF" sshd-config --helper "$AKC" --keys-user "$KEYS_USER" \
		> "$WORK/etc/sshd_config.d/rjh.conf" || return 1
	chmod 0644 "$WORK/etc/sshd_config.d/rjh.conf"
	# rjh-connect as installed: setuid root, reading /etc/rjh/rjh.conf.
	mount --bind "$CONF" /etc/rjh/rjh.conf &&
		install -m 4755 "$TOP/build/rjh-connect" "$WORK/bin/rjh-connect" || return 1
}

# The client accounts: their keys, and sshd letting them run rjh-connect only
# (ForceCommand: SSH_ORIGINAL_COMMAND is "rjh-connect HOST").
e2e_clients() {
	local u
	for u in alice bob; do
		mkdir -p -m 0700 "$WORK/home/$u/.ssh" &&
			ssh-keygen -q -N '' -t ed25519 -C "$u" -f "$WORK/client/$u" &&
			cp "$WORK/client/$u.pub" "$WORK/home/$u/.ssh/authorized_keys" &&
			chown -R "$u:$u" "$WORK/home/$u" || return 1
	done
	cat > "$WORK/etc/sshd_config.d/clients.conf" <<- EOF
		# rjh e2e: client accounts reach hosts through rjh-connect and nothing else.
		Match User alice,bob
		    AuthenticationMethods publickey
		    ForceCommand $WORK/bin/rjh-connect
		    PermitTTY no
		    DisableForwarding yes
	EOF
	chmod 0644 "$WORK/etc/sshd_config.d/clients.conf"
}

# ssh configurations: hosts to the jumphost, and the client to hosts by name.
e2e_ssh_configs() {
	ssh-keygen -q -N '' -t ed25519 -C jumphost -f "$WORK/jump/ssh_host_ed25519_key" &&
		ssh-keygen -q -N '' -t ed25519 -C client -f "$WORK/client/id_ed25519" || return 1
	echo "$JUMP_ADDR $(cut -d' ' -f1,2 "$WORK/jump/ssh_host_ed25519_key.pub")" \
		> "$WORK/jump/known_hosts"
	: > "$WORK/client/known_hosts"
	cat > "$WORK/tunnel_config" <<- EOF
		# How a host reaches the jumphost.
		Host *
		    BatchMode yes
		    IdentitiesOnly yes
		    UserKnownHostsFile $WORK/jump/known_hosts
		    GlobalKnownHostsFile /dev/null
		    StrictHostKeyChecking yes
		    UpdateHostKeys no
		    ConnectTimeout 5
	EOF
	cat > "$WORK/client_config" <<- EOF
		# How a client on the jumphost reaches a host by name, through its socket.
		Host *
		    User root
		    IdentityFile $WORK/client/id_ed25519
		    IdentitiesOnly yes
		    BatchMode yes
		    UserKnownHostsFile $WORK/client/known_hosts
		    GlobalKnownHostsFile /dev/null
		    StrictHostKeyChecking yes
		    UpdateHostKeys no
		    ConnectTimeout 10
		    LogLevel ERROR
		    ProxyCommand nc -U $RUNTIME/hosts/%n/sock/ssh.sock
	EOF
}

e2e_setup() {
	e2e_mounts || die "mounts"
	devlog_start "$SYSLOG" || die "syslog-sink on /dev/log"
	export LD_LIBRARY_PATH=$TOP/build RJH_CONF=$CONF
	export HOME=$WORK/client
	e2e_registry || die "registry: $(cat "$WORK/init.out" 2> /dev/null)"
	e2e_ssh_configs || die "ssh keys and configs"
	e2e_clients || die "client accounts"
	ip link set lo up || die "loopback"
}

# rjh-admin with the test config.
rjh() {
	"$ADMIN" -c "$CONF" "$@"
}

# ------------------------------------------------------------- jumphost

JUMP_OPTS=(-o "HostKey=$WORK/jump/ssh_host_ed25519_key" -o "PidFile=$WORK/jump/sshd.pid"
	-o "ListenAddress=$JUMP_ADDR" -o "ListenAddress=127.0.0.1" -o "LogLevel=VERBOSE")

# The jumphost's sshd (the system's sshd_config with the rjh drop-in) on
# $JUMP_ADDR:22 and 127.0.0.1:22.
start_jumphost() {
	local ms
	# The MaxStartups that sshd-config recommends (a comment in the drop-in).
	ms=$(sed -n 's/^#   MaxStartups //p' "$WORK/etc/sshd_config.d/rjh.conf")
	[ -n "$ms" ] || die "the drop-in recommends no MaxStartups"
	JUMP_OPTS+=(-o "MaxStartups=$ms")
	ip link add rjhbr0 type bridge && ip addr add "$JUMP_ADDR/24" dev rjhbr0 &&
		ip link set rjhbr0 up || die "jumphost bridge"
	"$JUMP_SSHD" -t "${JUMP_OPTS[@]}" || die "sshd -t on the jumphost config"
	: > "$JUMP_LOG"
	bg JUMP_PID "$JUMP_SSHD" -D -E "$JUMP_LOG" "${JUMP_OPTS[@]}"
	wait_for 10 "the jumphost's sshd on 127.0.0.1:22 and $JUMP_ADDR:22" \
		jump_listening || die "the jumphost's sshd did not start"
}

jump_listening() {
	kill -0 "$JUMP_PID" 2> /dev/null || return 3
	nc -z -w 1 127.0.0.1 22 && nc -z -w 1 "$JUMP_ADDR" 22
}

# ----------------------------------------------------------------- hosts

# new_key NAME [TYPE [BITS]]: a key pair $WORK/keys/NAME(.pub), ed25519 unless
# TYPE says otherwise; prints the .pub path.
new_key() {
	rm -f "$WORK/keys/$1" "$WORK/keys/$1.pub"
	ssh-keygen -q -N '' -t "${2:-ed25519}" ${3:+-b "$3"} -C "$1" -f "$WORK/keys/$1" &&
		echo "$WORK/keys/$1.pub"
}

# enroll NAME [ENROLL OPTIONS...]: a fresh key $WORK/keys/NAME, enrolled;
# keeps rjh-admin's output and the tunnel command it prints.
enroll() {
	local name=$1 pub
	shift
	mkdir -p "$WORK/hosts/$name"
	pub=$(new_key "$name") || die "key for $name"
	rjh enroll "$name" "$pub" "$@" > "$WORK/hosts/$name/enroll.out" 2>&1 ||
		die "enroll $name: $(cat "$WORK/hosts/$name/enroll.out")"
	grep -E '^ +ssh -N ' "$WORK/hosts/$name/enroll.out" | sed 's/^ *//' \
		> "$WORK/hosts/$name/tunnel.cmd"
	[ -s "$WORK/hosts/$name/tunnel.cmd" ] || die "enroll $name printed no tunnel command"
}

# host_up NAME: NAME's network namespace behind a NAT router, and its own
# sshd on port 22 in a UTS namespace whose hostname is NAME.
host_up() {
	local name=$1 n h r dir=$WORK/hosts/$1 pid
	n=$((++HOST_COUNT))
	h=$NS-h$n
	r=$NS-r$n
	mkdir -p "$dir"
	ip netns add "$h" && NETNS+=("$h") && ip netns add "$r" && NETNS+=("$r") ||
		die "netns for $name"
	{
		ip -n "$h" link set lo up &&
			ip -n "$r" link set lo up &&
			ip link add "rjhw$n" type veth peer name wan0 netns "$r" &&
			ip link set "rjhw$n" master rjhbr0 up &&
			ip -n "$r" link add lan0 type veth peer name eth0 netns "$h" &&
			ip -n "$r" addr add "10.77.$n.1/24" dev lan0 &&
			ip -n "$r" link set lan0 up &&
			ip -n "$r" addr add "10.77.0.$((10 + n))/24" dev wan0 &&
			ip -n "$r" link set wan0 up &&
			ip -n "$h" addr add "10.77.$n.2/24" dev eth0 &&
			ip -n "$h" link set eth0 up &&
			ip -n "$h" route add default via "10.77.$n.1" &&
			ip netns exec "$r" sysctl -qw net.ipv4.ip_forward=1 &&
			ip netns exec "$r" iptables -t nat -A POSTROUTING -o wan0 -j MASQUERADE &&
			ip netns exec "$r" iptables -A FORWARD -i wan0 -m conntrack \
				--ctstate NEW -j DROP
	} || die "network of $name"
	HOST_NS[$name]=$h
	HOST_ADDR[$name]=10.77.$n.2
	HOST_PUBLIC[$name]=10.77.0.$((10 + n))

	ssh-keygen -q -N '' -t ed25519 -C "$name" -f "$dir/ssh_host_ed25519_key" ||
		die "host key of $name"
	echo "$name $(cut -d' ' -f1,2 "$dir/ssh_host_ed25519_key.pub")" >> "$WORK/client/known_hosts"
	cp "$WORK/client/id_ed25519.pub" "$dir/authorized_keys"
	cat > "$dir/sshd_config" <<- EOF
		# $name's own sshd, reachable only through its tunnel.
		Port 22
		ListenAddress 0.0.0.0
		HostKey $dir/ssh_host_ed25519_key
		PidFile $dir/sshd.pid
		UsePAM no
		PermitRootLogin prohibit-password
		PasswordAuthentication no
		KbdInteractiveAuthentication no
		AuthorizedKeysFile $dir/authorized_keys
		Subsystem sftp internal-sftp
		LogLevel VERBOSE
	EOF
	bg pid ip netns exec "$h" unshare --uts -- sh -c \
		'hostname "$1" && exec /usr/sbin/sshd -D -f "$2" -E "$3"' sh \
		"$name" "$dir/sshd_config" "$dir/sshd.log"
	wait_for 10 "$name's sshd" ip netns exec "$h" nc -z -w 1 127.0.0.1 22 ||
		die "$name's sshd did not start: $(cat "$dir/sshd.log")"
}

# add_host NAME [ENROLL OPTIONS...]
add_host() {
	enroll "$@"
	host_up "$1"
}

# in_host NAME COMMAND...: runs COMMAND in NAME's network namespace. To start
# one in the background with bg, use `ip netns exec "${HOST_NS[NAME]}"`, so
# that the pid is the command's own and not a subshell's.
in_host() {
	local name=$1
	shift
	ip netns exec "${HOST_NS[$name]}" "$@"
}

sock_of() {
	echo "$RUNTIME/hosts/$1/sock/ssh.sock"
}

sock_ino() {
	stat -c %i "$(sock_of "$1")" 2> /dev/null
}

# ---------------------------------------------------------------- clients

# The laptop: netns $NS-c at 10.77.0.200 on the jumphost's bridge.
client_up() {
	ip netns add "$NS-c" && NETNS+=("$NS-c") &&
		ip link add rjhwc type veth peer name eth0 netns "$NS-c" &&
		ip link set rjhwc master rjhbr0 up &&
		ip -n "$NS-c" addr add 10.77.0.200/24 dev eth0 &&
		ip -n "$NS-c" link set eth0 up && ip -n "$NS-c" link set lo up
}
# laptop USER COMMAND...: COMMAND as USER on the laptop, HOME its home.
laptop() {
	local u=$1
	shift
	ip netns exec "$NS-c" setpriv --reuid="$u" --regid="$u" --init-groups \
		env HOME="$WORK/home/$u" "$@"
}
# client_ssh_config USER [PATTERNS]: the user's ~/.ssh/config: the jumphost, then
# client-config for PATTERNS (default host-*,web-*).
client_ssh_config() {
	local u=$1 h=$WORK/home/$1/.ssh pat=${2:-host-*,web-*}
	{
		echo "Host $JUMP_ADDR"
		echo "    User $u"
		echo "    IdentityFile $h/id_ed25519"
		echo "    IdentitiesOnly yes"
		echo "    UserKnownHostsFile $h/known_hosts"
		echo "    BatchMode yes"
		echo "Host ${pat//,/ }"
		echo "    User root"
		echo "    IdentityFile $h/id_ed25519"
		echo "    IdentitiesOnly yes"
		echo "    BatchMode yes"
		echo "    LogLevel ERROR"
		rjh client-config --server "$JUMP_ADDR" --pattern "$pat" --user "$u"
	} > "$h/config" || return 1
	cp "$WORK/client/$u" "$h/id_ed25519" &&
		cp "$WORK/jump/known_hosts" "$h/known_hosts" &&
		rjh known-hosts > "$h/known_hosts.rjh" 2> /dev/null &&
		chown -R "$u:$u" "$h" && chmod 0600 "$h/config" "$h/id_ed25519"
}

# ---------------------------------------------------------------- tunnels

# try_tunnel FROM USER KEY [SSH ARGS...]: from FROM's network namespace, as a
# host would, `ssh -v -E LOG -i $WORK/keys/KEY ARGS USER@jumphost` in the
# background. Waits (10 s) until it reports a remote forward established,
# exits, or neither. Sets TRY to "up", "exit N" or "timeout", TRY_PID (the
# ssh, still running when up) and TRY_LOG.
TRY_SEQ=0
try_tunnel() {
	local from=$1 user=$2 key=$3 i rc
	shift 3
	TRY_LOG=$WORK/hosts/$from/ssh.$((++TRY_SEQ)).log
	# Not through in_host: bg must get the pid of ssh itself (ip netns exec execs it).
	bg TRY_PID ip netns exec "${HOST_NS[$from]}" ssh -F "$WORK/tunnel_config" -i "$WORK/keys/$key" \
		-v -E "$TRY_LOG" "$@" "$user@$JUMP_ADDR"
	TRY=timeout
	for ((i = 0; i < 100; i++)); do
		if grep -q 'remote forward success' "$TRY_LOG" 2> /dev/null; then
			TRY=up
			return 0
		fi
		if ! kill -0 "$TRY_PID" 2> /dev/null; then
			wait "$TRY_PID" 2> /dev/null
			rc=$?
			TRY="exit $rc"
			return 0
		fi
		sleep 0.1
	done
}

# A refused attempt: ssh ran to its end with a non-zero status, established
# no forward, and is gone. try_refused DESCRIPTION FROM USER KEY [SSH ARGS...]
try_refused() {
	local desc=$1 why
	shift
	try_tunnel "$@"
	why=$(grep -m1 -E 'Error|denied|failed|refused' "$TRY_LOG" | tr -d '\r')
	case $TRY in
	"exit 0") not_ok "$desc: ssh exited 0" ;;
	exit*) ok "$desc (ssh ${TRY/exit/exited}: $why)" ;;
	up)
		not_ok "$desc: the forward was established"
		stop "$TRY_PID"
		;;
	*)
		not_ok "$desc: ssh neither failed nor forwarded in 10 s"
		stop "$TRY_PID"
		;;
	esac
}

# An accepted attempt: try_accepted DESCRIPTION FROM USER KEY [SSH ARGS...];
# the ssh is stopped afterwards.
try_accepted() {
	local desc=$1
	shift
	try_tunnel "$@"
	if [ "$TRY" = up ]; then
		ok "$desc"
	else
		not_ok "$desc: $TRY: $(grep -v '^debug' "$TRY_LOG" | tail -3 | tr '\n' ' ')"
	fi
	stop "$TRY_PID"
}

# tunnel_up NAME [SSH ARGS...]: NAME runs the tunnel command enroll printed
# (with its key, the test's known_hosts and ARGS) from its network namespace,
# and it is up once sshd bound RUNTIME/hosts/NAME/sock/ssh.sock for it.
# The ssh keeps running; its pid is ${TUNNEL_PID[NAME]}.
tunnel_up() {
	local name=$1 cmd
	shift
	read -ra cmd < "$WORK/hosts/$name/tunnel.cmd"
	# cmd: ssh OPTIONS... NAME@PUBLIC_NAME
	try_tunnel "$name" "${cmd[-1]%@*}" "$name" "$@" "${cmd[@]:1:${#cmd[@]}-2}"
	TUNNEL_PID[$name]=$TRY_PID
	[ "$TRY" = up ] && wait_for 5 "$(sock_of "$name")" test -S "$(sock_of "$name")" && return 0
	echo "    tunnel of $name: $TRY; ssh said: $(grep -v '^debug' "$TRY_LOG" | tail -3)" >&2
	return 1
}

tunnel_down() {
	stop "${TUNNEL_PID[$1]:-}"
	TUNNEL_PID[$1]=
}

# reach NAME [COMMAND...]: from the jumphost, as root, ssh to NAME's own sshd
# through NAME's socket (client_config: ProxyCommand nc -U RUNTIME/hosts/%n/...).
reach() {
	local name=$1
	shift
	timeout 20 ssh -F "$WORK/client_config" "$name" "$@"
}
