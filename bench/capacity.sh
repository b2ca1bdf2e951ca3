#!/bin/bash
# Capacity of one jumphost, printed as one table measured in one run: memory
# per live tunnel at CAP_N (1,000) live tunnels, sshd CPU per tunnel at steady
# state (keepalives only), and the reconnect storm after the jumphost's sshd
# was killed with every tunnel on it.
# It runs inside the e2e harness (tests/e2e/lib.sh): private mount, network
# and PID namespaces, the system sshd as the jumphost with the rjh drop-in and
# pam_rjh (account + session) in its PAM stack, the MaxStartups that
# `rjh-admin sshd-config` recommends. As in bench/storm.sh the hosts' clients
# run in the jumphost's own network namespace, at nice 10 (this shell at
# -10): keys from ssh-keygen, CAP_N - 1 imported with `rjh import` and the
# last one enrolled with `rjh-admin enroll`, whose printed tunnel command
# (`ssh -N -o ExitOnForwardFailure=yes -o ServerAliveInterval=30
# -o ServerAliveCountMax=3 -R /sock/ssh.sock:localhost:22 NAME@JUMPHOST`) every
# host runs with its own name, plus the harness's tunnel_config (host key
# pinned, BatchMode) and ConnectTimeout=CAP_TIMEOUT. A client whose ssh exited
# is started again CAP_RESTART (5) s later, as the host unit that
# `rjh-admin host-unit` prints does (Restart=always, RestartSec=5).
# NB. the CAP_N ssh clients run on the same cores as sshd: wall times are
# those of a loaded machine; sshd's CPU accounting is its own.
#
# The run, in order:
#   ramp     CAP_N tunnels brought up CAP_BATCH (100) at a time, each batch
#            once the one before listens, with ServerAliveInterval=CAP_FAST
#            (5) instead of 30 so that the steady CPU has a visible number.
#   CPU      steady state: every tunnel up and idle but for its keepalives
#            (the client's every ServerAliveInterval s, answered by sshd; the
#            drop-in's ClientAliveInterval 30 sends sshd's own only when the
#            client was silent that long). Over CAP_WINDOW (60) s: utime+stime
#            (/proc/PID/stat, clock ticks) of every sshd process (the
#            listener, per tunnel the root monitor and the host's chrooted
#            child), the same set at both ends (a note if it changed), and the
#            scheduler's exact runtime (/proc/PID/schedstat, ns) beside it.
#            Printed as CPU-ms per tunnel per minute and as % of one core
#            for all CAP_N. The clients' own CPU over the window is printed
#            too (not sshd's, not counted).
#   storm    every sshd process (listener, monitors, children) killed with
#            SIGKILL, as a crash of the jumphost would, and the listener
#            started again at once. Every client sees its connection closed
#            and exits; each is started again 5 s after it exited, now with
#            the tunnel command exactly as enroll printed it. Timed from the
#            kill: the listener accepting again, the first tunnel and all
#            CAP_N listening (`ss -xlH`, sock_diag: listeners on
#            /sock/ssh.sock, polled every 0.2 s). failures: tunnels not
#            listening CAP_TIMEOUT (600) s after the kill; target 0. restarts:
#            clients started again more than once (an info line says what the
#            exited ssh printed, and the kernel's listen-queue counters). sshd
#            CPU per login: every sshd process's utime+stime+cutime+cstime at
#            the end (the new listener started from 0; what each monitor
#            reaped, the pre-auth child and the AuthorizedKeysCommand runs, is
#            in its cutime), divided by CAP_N.
#            Only one jumphost: the other half of the issue's case (clients
#            served by the other jumphosts while this one's share comes back)
#            is not measured here.
#   memory   with all CAP_N up after the storm, each with the enrolled
#            command, and after a settle: the sum of Pss (/proc/PID/smaps_rollup)
#            of every sshd process, minus the same sum of the listener alone
#            (the freshly restarted one, read before its first client came
#            back), divided by CAP_N; target <= 2.5 MiB. The Rss sum and the
#            private pages (Private_Clean + Private_Dirty, what the process
#            alone maps) beside it, split by process kind. Pss divides each
#            shared page among every process that maps it, the ssh clients'
#            shared libraries too: with no clients on the machine the shared
#            part falls on sshd alone, a few KiB per process at most (the
#            private column does not depend on it). Not in any of these:
#            the kernel's side (socket buffers, page tables, kernel stacks);
#            the page tables (VmPTE) are printed in an info line. The ramp's
#            memory (interval 5, against the first listener alone) is printed
#            as a second row.
#   CPU      steady state again, with ServerAliveInterval=30 (the enrolled
#            command), over the same window.
# Before it starts it checks the limits (open files, processes, pid_max,
# MemAvailable against CAP_N * 8 MiB) and prints them in an info line.
# About 11 minutes on this 2-core VM with CAP_N 1000 (keys, a ramp of about
# 280 s, a storm of about 220 s, two windows of 60 s), after the harness got
# its auditd (tests/auditd.sh: it waits while another test holds it).
# Exits 1 if a target is missed, 2 if the benchmark could not run.
TEST_NAME=bench-capacity
CAP_N=${CAP_N:-1000}
CAP_BATCH=${CAP_BATCH:-100}
CAP_WINDOW=${CAP_WINDOW:-60}
CAP_FAST=${CAP_FAST:-5}
CAP_TIMEOUT=${CAP_TIMEOUT:-600}
CAP_RESTART=${CAP_RESTART:-5}
TARGET_KIB=2560
if [ "${RJH_E2E_INNER:-}" = "" ]; then
	top=$(cd "$(dirname "$0")/.." && pwd)
	[ "$(id -u)" = 0 ] || { echo "capacity.sh: needs root (namespaces, sshd)" >&2; exit 2; }
	for f in rjh-admin rjh-authorized-keys libnss_rjh.so.2 pam_rjh.so tools/syslog-sink; do
		[ -e "$top/build/$f" ] || { echo "capacity.sh: build/$f missing: run make" >&2; exit 2; }
	done
	for t in ss ssh-keygen ps awk; do
		command -v "$t" > /dev/null || { echo "capacity.sh: needs $t" >&2; exit 2; }
	done
fi
. "$(dirname "$0")/lib.sh"

TICK=$(getconf CLK_TCK)
SD=$WORK/capacity

# note: something that misses a target; info: worth knowing, not a miss.
NOTES=()
INFOS=()
note() { NOTES+=("$*"); echo "    note: $*" >&2; }
info() { INFOS+=("$*"); echo "    info: $*" >&2; }
since() { awk -v s="$1" -v e="${2:-$EPOCHREALTIME}" 'BEGIN { printf "%.1f", e - s }'; }

# CAP_N clients and 2 CAP_N sshd processes with a few fds each, and a
# listener holding a startup pipe per connection not yet authenticated.
limits() {
	local want=$((CAP_N * 8 + 1024)) avail
	[ "$(ulimit -Sn)" = unlimited ] || [ "$(ulimit -Sn)" -ge "$want" ] ||
		ulimit -Sn "$(ulimit -Hn)" 2> /dev/null
	[ "$(ulimit -Sn)" = unlimited ] || [ "$(ulimit -Sn)" -ge "$want" ] ||
		die "open files: ulimit -n is $(ulimit -Sn), $CAP_N tunnels need $want"
	[ "$(ulimit -Su)" = unlimited ] || [ "$(ulimit -Su)" -ge $((CAP_N * 4 + 512)) ] ||
		ulimit -Su "$(ulimit -Hu)" 2> /dev/null
	[ "$(ulimit -Su)" = unlimited ] || [ "$(ulimit -Su)" -ge $((CAP_N * 4 + 512)) ] ||
		die "processes: ulimit -u is $(ulimit -Su)"
	[ "$(cat /proc/sys/kernel/pid_max)" -ge $((CAP_N * 8)) ] || die "pid_max too small"
	# An ssh client and its two sshd processes take about 2 + 2.5 MiB.
	avail=$(awk '/^MemAvailable:/ { print int($2 / 1024) }' /proc/meminfo)
	[ "$avail" -ge $((CAP_N * 8)) ] || die "MemAvailable is $avail MiB, $CAP_N tunnels want $((CAP_N * 8))"
	LIMITS="MemAvailable $avail MiB, ulimit -n $(ulimit -Sn), ulimit -u $(ulimit -Su), pid_max $(
		cat /proc/sys/kernel/pid_max)"
}

# Keys for cap-1..cap-N; all but the last imported, the last enrolled: its
# tunnel command (ENROLLED) is every host's, with the host's own name.
setup() {
	local i last=cap-$CAP_N
	limits
	e2e_setup
	snapshot_build || die "a copy of build/"
	mkdir -m 0700 "$SD" || die "mkdir $SD"
	echo "keys: $CAP_N hosts..." >&2
	for ((i = 1; i <= CAP_N; i++)); do
		ssh-keygen -q -N '' -t ed25519 -C "cap-$i" -f "$SD/cap-$i" || die "ssh-keygen $i"
	done
	cat "$SD"/cap-*.pub | grep -v " $last\$" > "$SD/all.pub"
	rjh import "$SD/all.pub" > "$SD/import.out" 2>&1 || die "import: $(cat "$SD/import.out")"
	rjh enroll "$last" "$SD/$last.pub" > "$SD/enroll.out" 2>&1 || die "enroll: $(cat "$SD/enroll.out")"
	read -ra ENROLLED < <(grep -E '^ +ssh -N ' "$SD/enroll.out")
	[ "${ENROLLED[0]:-}" = ssh ] || die "enroll printed no tunnel command: $(cat "$SD/enroll.out")"
	[ "${ENROLLED[-1]}" = "$last@$JUMP_ADDR" ] ||
		die "enroll printed no tunnel command for $last@$JUMP_ADDR: $(cat "$SD/enroll.out")"
	grep -q '^ServerAliveInterval=30$' <(printf '%s\n' "${ENROLLED[@]}") ||
		die "the enrolled command has no ServerAliveInterval=30: ${ENROLLED[*]}"
	rjh runtime > /dev/null 2>&1 || die "rjh runtime"
	LIMITS+=", tmpfs /run $(df -m --output=size /run | tail -1 | tr -d ' ') MiB and $RUNTIME $(
		df -m --output=size "$RUNTIME" | tail -1 | tr -d ' ') MiB"
	start_jumphost
	CLIENT_NICE=()
	renice -n -10 -p $$ > /dev/null 2>&1 && CLIENT_NICE=(nice -n 10)
	MAXSTARTUPS=$(sed -n 's/^#   MaxStartups //p' "$WORK/etc/sshd_config.d/rjh.conf")
	use_interval 30
}

# use_interval SECS: the command clients start from now on, ServerAliveInterval SECS.
use_interval() {
	local a
	CMD=()
	for a in "${ENROLLED[@]:1:${#ENROLLED[@]}-2}"; do
		[ "$a" = ServerAliveInterval=30 ] && a=ServerAliveInterval=$1
		CMD+=("$a")
	done
	INTERVAL=$1
}

# client I: becomes host I's tunnel command. Run it in the background: exec
# makes $! the ssh itself.
client() {
	exec "${CLIENT_NICE[@]}" ssh -F "$WORK/tunnel_config" -i "$SD/cap-$1" \
		-o ConnectTimeout="$CAP_TIMEOUT" "${CMD[@]}" "cap-$1@$JUMP_ADDR"
}

# start I: starts client I (PIDS[I]), counting restarts of a client already started.
declare -a PIDS DEAD STARTS
start() {
	client "$1" 2>> "$SD/ssh.$1.log" &
	PIDS[$1]=$!
	DEAD[$1]=
	STARTS[$1]=$((${STARTS[$1]:-0} + 1))
}

# restart_exited: as the host unit does, starts again every client whose ssh
# exited at least CAP_RESTART s ago (seen exited by this poll: up to 0.3 s late).
restart_exited() {
	local i t=${EPOCHREALTIME/./}
	for i in "${!PIDS[@]}"; do
		kill -0 "${PIDS[i]}" 2> /dev/null && continue
		if [ -z "${DEAD[i]}" ]; then
			DEAD[i]=$t
		elif ((t - DEAD[i] >= CAP_RESTART * 1000000)); then
			start "$i"
		fi
	done
}

listening() { ss -xlH 2> /dev/null | grep -c ' /sock/ssh\.sock '; }

# wait_listening N DEADLINE: polls until N listen, restarting exited clients;
# FIRST_UP is the time the first one listened. Returns 1 at DEADLINE.
wait_listening() {
	local up i
	FIRST_UP=
	for ((i = 0; ; i++)); do
		up=$(listening)
		[ -z "$FIRST_UP" ] && [ "$up" -gt 0 ] && FIRST_UP=$EPOCHREALTIME
		[ "$up" -ge "$1" ] && return 0
		((${EPOCHREALTIME%.*} < $2)) || return 1
		restart_exited
		sleep 0.2
	done
}

# sshd_tree: "PID DEPTH" of the listener (0) and every process below it,
# from every process's /proc/PID/stat (ps takes seconds with 3,000 processes).
sshd_tree() {
	printf '%s\n' /proc/[0-9]*/stat | awk -v root="$JUMP_PID" '{ if ((getline l < $1) > 0) {
			pid = l; sub(/ .*/, "", pid); sub(/.*\) /, "", l); split(l, f, " "); p[pid] = f[2] } close($1) }
		END { d[root] = 0; print root, 0
			do { more = 0; for (k in p) if (!(k in d) && (p[k] in d)) { d[k] = d[p[k]] + 1; print k, d[k]; more = 1 } } while (more) }'
}

# settle N: waits (60 s at most) until the tree is the listener and 2
# processes per tunnel, nothing else (no login in progress), then 5 s more.
settle() {
	local end=$((${EPOCHREALTIME%.*} + 60)) n
	while n=$(sshd_tree | wc -l) && [ "$n" != $((2 * $1 + 1)) ] && ((${EPOCHREALTIME%.*} < end)); do
		sleep 0.5
	done
	[ "$n" = $((2 * $1 + 1)) ] || note "with $1 tunnels listening, sshd had $((n - 1)) processes" \
		"besides the listener, not $((2 * $1))"
	sleep 5
}

# memory: per kind of sshd process (0 the listener, 1 the monitors, 2 the
# hosts' children and anything below them) "KIND COUNT PSS RSS PRIVATE PTE", KiB.
memory() {
	sshd_tree | awk '{ c = ($2 > 2 ? 2 : $2); n[c]++; f = "/proc/" $1 "/smaps_rollup"
		while ((getline l < f) > 0) { split(l, a, " ")
			if (a[1] == "Pss:") p[c] += a[2]; else if (a[1] == "Rss:") r[c] += a[2]
			else if (a[1] == "Private_Clean:" || a[1] == "Private_Dirty:") u[c] += a[2] }
		close(f); f = "/proc/" $1 "/status"
		while ((getline l < f) > 0) { split(l, a, " "); if (a[1] == "VmPTE:") t[c] += a[2] }
		close(f) }
		END { for (c = 0; c <= 2; c++) print c, n[c] + 0, p[c] + 0, r[c] + 0, u[c] + 0, t[c] + 0 }'
}

# cpu_of: for each pid on stdin, "PID TICKS NS": utime+stime (+cutime+cstime
# with ALL=1) and the scheduler's runtime of the live process.
cpu_of() {
	awk -v all="${ALL:-0}" '{ f = "/proc/" $1 "/stat"; if ((getline l < f) <= 0) next; close(f)
		sub(/.*\) /, "", l); split(l, s, " "); t = s[12] + s[13] + (all ? s[14] + s[15] : 0)
		f = "/proc/" $1 "/schedstat"; ns = 0; if ((getline l < f) > 0) { split(l, x, " "); ns = x[1] }
		close(f); print $1, t, ns }'
}

# steady: sshd's CPU over CAP_WINDOW s with CAP_N tunnels idle. Appends
# a row to ROWS.
steady() {
	local a b ca cb t0 t1 secs ticks ns cticks gone born sa sb
	sshd_tree > "$SD/tree.a"
	printf '%s\n' "${PIDS[@]}" > "$SD/clients"
	sa=$(awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 }' /proc/stat)
	t0=$EPOCHREALTIME
	a=$(cpu_of < "$SD/tree.a")
	ca=$(cpu_of < "$SD/clients")
	sleep "$CAP_WINDOW"
	b=$(cpu_of < "$SD/tree.a")
	cb=$(cpu_of < "$SD/clients")
	t1=$EPOCHREALTIME
	sb=$(awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 }' /proc/stat)
	secs=$(since "$t0" "$t1")
	read -r ticks ns gone < <(awk 'NR == FNR { t[$1] = $2; n[$1] = $3; na++; next }
		($1 in t) { dt += $2 - t[$1]; dn += $3 - n[$1]; seen++ } END { print dt + 0, dn + 0, na - seen }' \
		<(echo "$a") <(echo "$b"))
	cticks=$(awk 'NR == FNR { t[$1] = $2; next } ($1 in t) { d += $2 - t[$1] } END { print d + 0 }' \
		<(echo "$ca") <(echo "$cb"))
	born=$(sshd_tree | awk 'NR == FNR { a[$1]; next } !($1 in a)' "$SD/tree.a" - | wc -l)
	if [ "$gone" != 0 ] || [ "$born" != 0 ]; then
		note "steady, ServerAliveInterval=$INTERVAL: $gone sshd processes ended and $born started during the window"
	fi
	echo "    steady, ServerAliveInterval=$INTERVAL: $(wc -l < "$SD/tree.a") sshd processes, $secs s:" \
		"utime+stime $((ticks * 1000 / TICK)) ms, schedstat $((ns / 1000000)) ms;" \
		"clients $((cticks * 1000 / TICK)) ms; whole machine $(((sb - sa) * 1000 / TICK)) ms" >&2
	ROWS+=("$(awk -v d="$ticks" -v t="$TICK" -v s="$secs" -v n="$CAP_N" -v ns="$ns" -v i="$INTERVAL" \
		-v c="$cticks" -v m=$((sb - sa)) 'BEGIN {
		ms = d * 1000 / t; printf "sshd CPU, steady, ServerAliveInterval=%d|%.3f ms|%.2f%%|%.3f ms|%.2f%%|%.2f%%",
			i, ms / n / (s / 60), ms / 10 / s, ns / 1e6 / n / (s / 60), c * 100 / t / s, m * 100 / t / s }')")
}

# kill_all: SIGKILL to every sshd process at once, then the listener again.
# Sets T_KILL, T_LISTEN and BASE (the fresh listener's memory).
kill_all() {
	local i
	T_KILL=$EPOCHREALTIME
	# shellcheck disable=SC2046
	kill -KILL $(sshd_tree | cut -d' ' -f1)
	wait "$JUMP_PID" 2> /dev/null
	for ((i = 0; i < 100; i++)); do
		[ "$(listening)" = 0 ] && break
		sleep 0.05
	done
	# At nice 0, as the first one: this shell runs at -10.
	bg JUMP_PID "${CLIENT_NICE[@]}" "$JUMP_SSHD" -D -E "$JUMP_LOG" "${JUMP_OPTS[@]}"
	wait_for 10 "the jumphost's sshd again" jump_listening || die "sshd did not start again"
	T_LISTEN=$EPOCHREALTIME
	BASE=$(memory)
}

# tcpext: the kernel's TCP listen-queue counters of this network namespace.
tcpext() {
	awk '/^TcpExt:/ { if (!h) { for (i = 2; i <= NF; i++) k[i] = $i; h = 1 } else
		for (i = 2; i <= NF; i++) if (k[i] ~ /^(ListenOverflows|ListenDrops|SyncookiesSent|SyncookiesFailed)$/)
			printf "%s %s\n", k[i], $i }' /proc/net/netstat
}
tcpext_delta() {
	awk 'NR == FNR { a[$1] = $2; next } $2 != a[$1] { printf "%s=+%d ", $1, $2 - a[$1] }' <(echo "$1") <(echo "$2")
}

# per_tunnel MEM BASE: "PSS RSS PRIVATE PTE" per tunnel, KiB, and the split.
per_tunnel() {
	awk -v n="$CAP_N" 'NR == FNR { for (i = 3; i <= 6; i++) b[i] += $i; next }
		{ for (i = 3; i <= 6; i++) m[i] += $i }
		END { printf "%.0f %.0f %.0f %.0f\n", (m[3] - b[3]) / n, (m[4] - b[4]) / n, (m[5] - b[5]) / n, (m[6] - b[6]) / n }' \
		<(echo "$2") <(echo "$1")
}

FAILED=0
ROWS=()
START=$(date +%s)
setup
info "limits: $LIMITS; MaxStartups $MAXSTARTUPS; sshd MaxSessions does not apply (-N opens no session channel)"
BASE0=$(memory)

# The ramp, with the short keepalive.
use_interval "$CAP_FAST"
echo "ramp: $CAP_N tunnels, $CAP_BATCH at a time, ServerAliveInterval=$CAP_FAST..." >&2
t0=$EPOCHREALTIME
for ((i = 1; i <= CAP_N; i += CAP_BATCH)); do
	for ((j = i; j < i + CAP_BATCH && j <= CAP_N; j++)); do start "$j"; done
	wait_listening $((j - 1)) $((${EPOCHREALTIME%.*} + CAP_TIMEOUT)) ||
		die "only $(listening) of $((j - 1)) tunnels listening after $CAP_TIMEOUT s"
done
RAMP_SECS=$(since "$t0")
echo "    $CAP_N listening after $RAMP_SECS s" >&2
settle "$CAP_N"
MEM_RAMP=$(memory)
CLIENT_PSS=$(printf '/proc/%s/smaps_rollup\n' "${PIDS[@]}" | xargs cat 2> /dev/null |
	awk -v n="$CAP_N" '/^Pss:/ { p += $2 } END { printf "%.0f", p / n }')
echo "steady state, ServerAliveInterval=$CAP_FAST, $CAP_WINDOW s..." >&2
steady

# The storm: every sshd process killed, the listener restarted, the clients
# back on their unit's restart with the enrolled command.
use_interval 30
echo "storm: SIGKILL to every sshd process, the listener again, $CAP_N tunnels back..." >&2
for i in "${!PIDS[@]}"; do STARTS[i]=0; done
: > "$SD/storm.log"
rm -f "$SD"/ssh.*.log
qa=$(tcpext)
kill_all
ALL_BACK="not in $CAP_TIMEOUT s"
wait_listening "$CAP_N" $((${T_KILL%.*} + CAP_TIMEOUT)) && ALL_BACK="$(since "$T_KILL") s"
qb=$(tcpext)
UP=$(listening)
STORM_FAIL=$((CAP_N - UP))
RESTARTS=$(printf '%s\n' "${STARTS[@]}" | awk '$1 > 1 { r += $1 - 1 } END { print r + 0 }')
settle "$UP"
STORM_CPU=$(sshd_tree | ALL=1 cpu_of | awk -v t="$TICK" -v n="$UP" '{ s += $2 } END { printf "%.1f", s * 1000 / t / n }')
echo "    listener back $(since "$T_KILL" "$T_LISTEN") s after the kill, first tunnel $(since "$T_KILL" "$FIRST_UP") s," \
	"all $ALL_BACK; $UP up, $RESTARTS more restarts;" \
	"sshd CPU $STORM_CPU ms per login" >&2
if [ "$RESTARTS" -gt 0 ]; then
	info "storm: $RESTARTS ssh exited again and were restarted ${CAP_RESTART} s later; they said: $(
		cat "$SD"/ssh.*.log 2> /dev/null | sort | uniq -c | sort -rn | head -3 | tr -s ' \n' ' ');" \
		"kernel listen queue: $(tcpext_delta "$qa" "$qb")"
fi

MEM=$(memory)
echo "steady state, ServerAliveInterval=30 (as enrolled), $CAP_WINDOW s..." >&2
steady

# ------------------------------------------------------------------ table
read -r PSS RSS PRIV PTE < <(per_tunnel "$MEM" "$BASE")
read -r PSS0 RSS0 _ < <(per_tunnel "$MEM_RAMP" "$BASE0")
mv=ok sv=ok
((PSS <= TARGET_KIB)) || { mv=MISSED; FAILED=1; }
((STORM_FAIL == 0)) || { sv=MISSED; FAILED=1; }
kib() { awk -v k="$1" 'BEGIN { printf "%d KiB (%.2f MiB)", k, k / 1024 }'; }

echo
echo "capacity of one jumphost ($(/usr/sbin/sshd -V 2>&1 | head -1 | cut -d, -f1), $(nproc) cores," \
	"MaxStartups $MAXSTARTUPS, pam_rjh on): $CAP_N host tunnels (the enrolled tunnel command), their" \
	"$CAP_N ssh clients on the same cores (not counted); $(($(date +%s) - START)) s in all"
line() { printf '| %-52s | %-30s | %-12s | %-6s |\n' "$@"; }
line measure value target result
printf '|%s|%s|%s|%s|\n' "$(printf -- '-%.0s' {1..54})" "$(printf -- '-%.0s' {1..32})" "--------------" "--------"
line "sshd Pss per live tunnel, at $CAP_N minus at 0" "$(kib "$PSS")" "<= 2.5 MiB" "$mv"
line "  Rss sum per tunnel (for comparison)" "$(kib "$RSS")" "-" "-"
line "  private pages per tunnel (Private_Clean+Dirty)" "$(kib "$PRIV")" "-" "-"
line "  the same after the ramp (interval $CAP_FAST): Pss / Rss" "$PSS0 / $RSS0 KiB" "-" "-"
line "reconnect storm: listener accepting after the kill" "$(since "$T_KILL" "$T_LISTEN") s" "-" "-"
line "  first tunnel back (clients restart after ${CAP_RESTART} s)" "${FIRST_UP:+$(since "$T_KILL" "$FIRST_UP") s}" "-" "-"
line "  all $CAP_N tunnels back" "$ALL_BACK" "-" "-"
line "  tunnels not back after $CAP_TIMEOUT s" "$STORM_FAIL (restarts: $RESTARTS)" "0" "$sv"
line "  sshd CPU per login in the storm" "$STORM_CPU ms" "-" "-"
line "  the others keep serving (needs several jumphosts)" "not measured" "0 failures" "-"
line "ramp: $CAP_N tunnels, $CAP_BATCH at a time, all listening" "$RAMP_SECS s" "-" "-"
echo
echo "memory by sshd process kind, all $CAP_N up after the storm (KiB; 0 tunnels: the listener alone)"
mline() { printf '| %-26s | %9s | %10s | %10s | %10s | %11s | %8s |\n' "$@"; }
mline kind processes "Pss sum" "Pss each" "Rss sum" "private sum" "VmPTE"
printf '|%s|%s|%s|%s|%s|%s|%s|\n' "$(printf -- '-%.0s' {1..28})" "-----------" "------------" "------------" \
	"------------" "-------------" "----------"
names=("listener, 0 tunnels" "listener" "root monitor, per tunnel" "host's child (chrooted)")
while read -r _ n p r u t; do
	mline "${names[0]}" "$n" "$p" "$((n ? p / n : 0))" "$r" "$u" "$t"
done < <(head -1 <<< "$BASE")
while read -r k n p r u t; do
	mline "${names[k + 1]}" "$n" "$p" "$((n ? p / n : 0))" "$r" "$u" "$t"
done <<< "$MEM"
echo
echo "sshd CPU at steady state: $CAP_N tunnels idle but for keepalives, over $CAP_WINDOW s (utime+stime;" \
	"schedstat: the scheduler's runtime in ns, a check on tick rounding); % of one core for all $CAP_N;" \
	"the ssh clients' CPU and the whole machine's, for scale"
cline() { printf '| %-42s | %-18s | %-14s | %-18s | %-14s | %-13s |\n' "$@"; }
cline case "ms/tunnel/minute" "% core, fleet" "schedstat ms/t/min" "clients % core" "machine % core"
printf '|%s|%s|%s|%s|%s|%s|\n' "$(printf -- '-%.0s' {1..44})" "--------------------" "----------------" \
	"--------------------" "----------------" "---------------"
for r in "${ROWS[@]}"; do
	IFS='|' read -r a b c d e f <<< "$r"
	cline "$a" "$b" "$c" "$d" "$e" "$f"
done
info "memory not in Pss: the kernel's side; page tables alone $PTE KiB per tunnel (VmPTE); an ssh client" \
	"(the host's side, here on the same machine) $CLIENT_PSS KiB Pss"
for x in "${NOTES[@]}"; do echo "note: $x"; done
for x in "${INFOS[@]}"; do echo "info: $x"; done
[ ${#NOTES[@]} = 0 ] || FAILED=1
exit $FAILED
