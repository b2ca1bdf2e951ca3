# No reader that someone else can start, stop or slow delays a registry
# writer. The key helper (started by sshd for any host that connects) and
# rjh-connect (started by any local user, who can freeze its cgroup) are
# stopped, in turn, at every system call they make in a full run, as a
# debugger would stop them (strace injects SIGSTOP). While each is stopped
# there, an rjh-admin change (revoke or enable host-3, in turn) must complete
# within 2 s; at every STALL_LOGIN_EVERY-th stop (default 6, and the last),
# a new tunnel login of host-2 through the real sshd too, since a login
# costs a second's CPU on this VM. Then the reader is killed.
. "$(dirname "$0")/lib.sh"
e2e_setup

LIMIT_MS=2000
command -v strace > /dev/null || die "strace is missing (make deps)"

echo "# a jumphost, host-1 with its tunnel up, host-2 that logs in while readers stop"
start_jumphost
add_host host-1
tunnel_up host-1 || die "tunnel of host-1"
add_host host-2
enroll host-3
expect 0 "grant alice host-1" -- rjh grant alice host-1
FP1=$(ssh-keygen -l -E sha256 -f "$WORK/keys/host-1.pub" | awk '{print $2}')
B64=$(cut -d' ' -f2 "$WORK/keys/host-1.pub")

# The readers, as they run in production: the key helper as the keys user
# with sshd's %u %f %t %k, rjh-connect as alice (strace -u runs the command
# as that user with the setuid bit honoured).
akc_cmd=("$AKC" --config "$CONF" -- host-1 "$FP1" ssh-ed25519 "$B64")
connect_cmd=("$WORK/bin/rjh-connect" host-1)
EVERY=${STALL_LOGIN_EVERY:-6}

# positions FILE: "SYSCALL N" for each system call of a traced run, in order:
# the Nth call of that system call, which is what strace's when=N counts.
positions() {
	awk '{ s = $2; sub(/\(.*/, "", s); if (s ~ /^[a-z_0-9]+$/) print s, ++n[s] }' "$1"
}

# stopped PID: one of the processes strace PID traces (its children and
# theirs) is stopped.
stopped() {
	local p
	for p in $(pgrep -P "$1") $(pgrep -P "$(pgrep -P "$1" | head -1)" 2> /dev/null); do
		case "$(awk '/^State:/ {print $2}' "/proc/$p/status" 2> /dev/null)" in
		t | T) return 0 ;;
		esac
	done
	return 1
}

# ms COMMAND...: runs COMMAND, sets MS to its wall time in ms and RC to its status.
ms() {
	local t0 t1
	t0=$(date +%s%N)
	"$@" > /dev/null 2>&1
	RC=$?
	t1=$(date +%s%N)
	MS=$(((t1 - t0) / 1000000))
}

STATE=enable
writer() {
	STATE=$([ $STATE = enable ] && echo revoke || echo enable)
	rjh "$STATE" host-3
}
login() { tunnel_up host-2 > /dev/null 2>&1 && tunnel_down host-2; }

# stall NAME STRACE_OPTS... -- COMMAND...: stops COMMAND at each of its system
# calls in turn; at each, times the writer and a tunnel login.
stall() {
	local name=$1 opts=() worst_w=0 worst_l=0 n=0 nl=0 total slow=() sp sys occ
	shift
	while [ "$1" != -- ]; do
		opts+=("$1")
		shift
	done
	shift
	strace -f -qq "${opts[@]}" -o "$WORK/$name.trace" "$@" < "$WORK/stdin" > /dev/null 2>&1
	positions "$WORK/$name.trace" > "$WORK/$name.pos"
	total=$(wc -l < "$WORK/$name.pos")
	[ "$total" -gt 0 ] || die "no system calls traced for $name"
	while read -r sys occ; do
		n=$((n + 1))
		# Not a job of this shell: its end is no "Killed" notice.
		(strace -f -qq "${opts[@]}" -o /dev/null -e trace="$sys" \
			-e inject="$sys:signal=SIGSTOP:when=$occ" "$@" < "$WORK/stdin" > /dev/null 2>&1 &
			echo $! > "$WORK/stall.pid")
		sp=$(cat "$WORK/stall.pid")
		for _ in $(seq 50); do
			stopped "$sp" || ! kill -0 "$sp" 2> /dev/null && break
			sleep 0.02
		done
		ms writer
		[ $RC = 0 ] || slow+=("$sys#$occ: rjh-admin $STATE failed")
		[ $MS -gt $worst_w ] && worst_w=$MS
		[ $MS -ge $LIMIT_MS ] && slow+=("$sys#$occ: rjh-admin $STATE took $MS ms")
		if [ $((n % EVERY)) = 0 ] || [ "$n" = "$total" ]; then
			nl=$((nl + 1))
			ms login
			[ $RC = 0 ] || slow+=("$sys#$occ: the tunnel did not come up")
			[ $MS -gt $worst_l ] && worst_l=$MS
			[ $MS -ge $LIMIT_MS ] && slow+=("$sys#$occ: the tunnel took $MS ms")
		fi
		pkill -KILL -P "$sp" 2> /dev/null
		kill -KILL "$sp" 2> /dev/null
		while kill -0 "$sp" 2> /dev/null; do sleep 0.01; done
	done < "$WORK/$name.pos"
	if [ ${#slow[@]} = 0 ]; then
		ok "$name stopped at each of its $n system calls: an rjh-admin change took at worst $worst_w ms; a new tunnel, at $nl of them, at worst $worst_l ms (limit $LIMIT_MS)"
	else
		not_ok "$name stopped at ${#slow[@]} of $n points delays writers: ${slow[*]:0:6}"
	fi
}

printf 'SSH-2.0-stall-probe\r\n' > "$WORK/stdin"
echo "# the key helper"
expect 0 "the key helper answers for host-1" -- strace -qq -o /dev/null -u "$KEYS_USER" "${akc_cmd[@]}"
has -o "$B64" "with host-1's key"
stall key-helper -u "$KEYS_USER" -- "${akc_cmd[@]}"

echo "# rjh-connect, as alice"
expect 0 "alice reaches host-1's sshd through rjh-connect" -- \
	strace -qq -o /dev/null -u alice "${connect_cmd[@]}" < "$WORK/stdin"
has -o "SSH-2.0-" "host-1's sshd answers"
stall rjh-connect -u alice -- "${connect_cmd[@]}"

echo "# a refused rjh-connect (bob has no grant), the attack of the review"
stall rjh-connect-refused -u bob -- "${connect_cmd[@]}"
finish
